"""Helpers shared by subcommands: NAME=VALUE options, secrets files, the error handler."""

from __future__ import annotations

import argparse
import os
import sys
from collections.abc import Callable, Sequence

from ..errors import CustomsrcError, UsageError
from ..masking import Masker

TYPE_CHECKING = False
if TYPE_CHECKING:
    from typing import Any


def pairs(values: Sequence[str] | None, option: str) -> dict[str, str]:
    """``NAME=VALUE`` strings to a dict; a value may contain ``=``."""
    out: dict[str, str] = {}
    for item in values or []:
        name, sep, value = item.partition("=")
        if not sep or not name.strip():
            # Never repeat what was given: it may be the value itself (a secret, typed without NAME=).
            raise UsageError(f"{option} expects NAME=VALUE; the argument given has no NAME= before its value")
        out[name.strip()] = value
    return out


def expression_pairs(values: Sequence[str] | None) -> dict[str, str]:
    """``'<+pipeline.name>=value'``: the expression ends at the first ``>=``."""
    out: dict[str, str] = {}
    for item in values or []:
        head, sep, value = item.partition(">=")
        if not sep or not head.startswith("<+"):
            raise UsageError("--expr expects '<+expression>=VALUE'; the argument given is not of that form")
        out[head + ">"] = value
    return out


def read_secrets_file(path: str) -> dict[str, str]:
    """``NAME=VALUE`` lines; blank lines and ``#`` comments are ignored."""
    from ..files import SECRETS_LIMIT, Unreadable, decode, read_bounded

    try:
        lines = decode(read_bounded(path, SECRETS_LIMIT)).splitlines()
    except Unreadable as exc:
        raise UsageError(f"--secrets-file {path}: {exc.reason}") from None
    out: dict[str, str] = {}
    for number, line in enumerate(lines, 1):
        stripped = line.strip()
        if not stripped or stripped.startswith("#"):
            continue
        name, sep, value = line.partition("=")
        if not sep or not name.strip():
            # Never echo the line: it may hold a secret.
            raise UsageError(f"--secrets-file {path} line {number}: expected NAME=VALUE")
        out[name.strip()] = value
    return out


def fail(error: CustomsrcError, masker: Masker) -> int:
    from ..output import visible

    # Masked, and with control characters shown as escapes: a version quoted in the message must
    # not drive the terminal.
    sys.stderr.write(f"customsrc: error: {visible(masker.text(error.said))}\n")
    return error.exit_code


def guarded(handler: Callable[[argparse.Namespace], int]) -> Callable[[argparse.Namespace], int]:
    """Turn an unexpected exception into one line plus a log file (the traceback with --debug)."""

    def wrapper(args: argparse.Namespace) -> int:
        try:
            return handler(args)
        except CustomsrcError as exc:  # raised before a command could report it itself
            return fail(exc, Masker(()))
        except (KeyboardInterrupt, SystemExit):
            raise
        except Exception as exc:
            import tempfile
            import traceback

            masker: Masker = getattr(args, "masker", None) or Masker(())
            text = masker.text(traceback.format_exc())
            if getattr(args, "debug", False):
                sys.stderr.write(text)
            fd, log = tempfile.mkstemp(prefix="customsrc-crash-", suffix=".log")
            with os.fdopen(fd, "w") as handle:
                handle.write(text)
            sys.stderr.write(
                f"customsrc: error: internal error: {masker.text(type(exc).__name__ + ': ' + str(exc))} "
                f"(traceback in {log}; please attach it to a bug report)\n"
            )
            return 1

    return wrapper


class HelpFormatter(argparse.RawDescriptionHelpFormatter):
    """argparse's formatter, given a width so that it does not import shutil (and with it bz2
    and lzma) on every run just to size help text nobody asked for."""

    def __init__(self, prog: str, indent_increment: int = 2, max_help_position: int = 24, width: int | None = None):
        if width is None:
            try:
                width = os.get_terminal_size(2).columns
            except OSError:
                width = int(os.environ.get("COLUMNS", "") or 80)
            width -= 2
        super().__init__(prog, indent_increment, max_help_position, width)


def write_output(text: str, path: str | None) -> None:
    """``text`` to stdout, or atomically to ``path``."""
    if not path:
        sys.stdout.write(text)
        return
    tmp = f"{path}.{os.getpid()}.tmp"
    try:
        with open(tmp, "w", encoding="utf-8") as handle:
            handle.write(text)
        os.replace(tmp, path)
    except OSError as exc:
        raise UsageError(f"-o {path}: cannot write: {exc.strerror}") from None


def register(
    sub: Any, name: str, *, help: str, description: str, exit_codes: str, main: Callable[[argparse.Namespace], int]
) -> argparse.ArgumentParser:
    """Add subcommand ``name``: its help, the exit-code epilog, and ``main`` behind the error handler."""
    parser: argparse.ArgumentParser = sub.add_parser(
        name, formatter_class=HelpFormatter, help=help, description=description, epilog=exit_codes
    )
    parser.set_defaults(handler=guarded(main))
    return parser
