"""Helpers shared by subcommands: NAME=VALUE options, secrets files, the error handler."""

from __future__ import annotations

import argparse
import os
import sys
from collections.abc import Callable

from ..errors import CustomsrcError, UsageError
from ..masking import Masker

TYPE_CHECKING = False
if TYPE_CHECKING:
    from typing import Any


def fail(error: CustomsrcError, *, debug: bool = False) -> int:
    """Say ``error`` on one line (secrets were masked where it was raised: see customsrc.result) and
    return its exit code. A bug also leaves its traceback in a log file (and on stderr with --debug)."""
    from ..errors import InternalError
    from ..output import visible

    said = visible(error.said)  # control characters as escapes: a quoted version must not drive the terminal
    if isinstance(error, InternalError):
        log = _crash_log(error.details)
        if debug:
            sys.stderr.write(error.details)
        said += f" (traceback in {log}; please attach it to a bug report)"
    sys.stderr.write(f"customsrc: error: {said}\n")
    return error.exit_code


def _crash_log(text: str) -> str:
    import tempfile

    fd, log = tempfile.mkstemp(prefix="customsrc-crash-", suffix=".log")
    with os.fdopen(fd, "w") as handle:
        handle.write(text)
    return log


def guarded(handler: Callable[[argparse.Namespace], int]) -> Callable[[argparse.Namespace], int]:
    """Turn an unexpected exception into one line plus a log file (the traceback with --debug).
    A bug inside a fetch arrives as InternalError, masked; one outside any fetch never held a secret."""

    def wrapper(args: argparse.Namespace) -> int:
        from ..result import internal_error

        debug = bool(getattr(args, "debug", False))
        try:
            return handler(args)
        except CustomsrcError as exc:  # raised before a command could report it itself
            return fail(exc, debug=debug)
        except (KeyboardInterrupt, SystemExit):
            raise
        except Exception as exc:
            return fail(internal_error(exc, Masker(())), debug=debug)

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
