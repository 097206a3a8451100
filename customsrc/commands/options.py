"""The options ``run``, ``run DIR``, ``watch`` and ``demo`` share: their flags, and turning them into
one :class:`customsrc.FetchOptions` (with the inputs and secrets they name)."""

from __future__ import annotations

import argparse
import os
import sys
from collections.abc import Sequence

from ..errors import UsageError
from ..options import FetchOptions
from ..sandbox import Limits


def add_run_options(parser: argparse.ArgumentParser) -> None:
    """The flags of a fetch, shared by ``run``, ``watch`` and ``demo``."""
    parser.add_argument("--source", dest="source_id", metavar="ID", help="the source to run in a file with several")
    parser.add_argument("--input", action="append", metavar="NAME=VALUE", help="set or override a declared input")
    parser.add_argument(
        "--secret",
        action="append",
        metavar="NAME[=VALUE]",
        help='a secret for <+secrets.getValue("NAME")>; NAME alone reads the value from standard input or a '
        "prompt (a value on the command line is visible to other processes: prefer this, --secrets-file or "
        "CUSTOMSRC_SECRET_NAME)",
    )
    parser.add_argument("--secrets-file", metavar="FILE", help="NAME=VALUE lines of secrets")
    parser.add_argument(
        "--expr", action="append", metavar="'<+EXPR>=VALUE'", help="a value for another <+...> expression"
    )
    parser.add_argument("--version", dest="version", metavar="VERSION", help="choose this exact version")
    parser.add_argument("--version-regex", metavar="REGEX", help="choose the first version matching REGEX")
    beyond = parser.add_argument_group("choosing beyond Harness (a warning says when Harness would choose otherwise)")
    beyond.add_argument(
        "--order", metavar="ORDER", help="output|natural|semver|numeric|lexical|attr:NAME, then :asc or :desc (desc)"
    )
    beyond.add_argument("--latest", action="store_true", help="choose the highest version (by --order; else natural)")
    beyond.add_argument("--semver", metavar="RANGE", help="keep versions in a semver range, e.g. '>=1.2 <2', '^1.4'")
    beyond.add_argument("--pre", action="store_true", help="let --semver keep pre-releases")
    parser.add_argument("--timeout", metavar="DURATION", help="e.g. 30s, 2m (default: spec.timeout, else 3m)")
    parser.add_argument("--format", choices=("table", "json", "yaml", "env"), default="table")
    parser.add_argument("--limit", type=int, default=50, metavar="N", help="table rows to show (0: all)")
    parser.add_argument(
        "--query",
        metavar="JMESPATH",
        help="print only this part of the JSON document, as the AWS CLI does: 'artifacts[].version'",
    )
    parser.add_argument("--max-result-size", metavar="SIZE", help="largest result file read (default 512M)")
    parser.add_argument(
        "--save-payload", metavar="FILE", help="also save the result file as the script wrote it (secrets masked)"
    )
    sandbox = parser.add_argument_group("sandbox (see docs/sandbox.md)")
    sandbox.add_argument(
        "--sandbox",
        choices=("off", "basic", "strict"),
        help="isolation level (basic; named, a guarantee this machine cannot give is an error, not a warning)",
    )
    sandbox.add_argument(
        "--allow-read",
        action="append",
        metavar="DIR",
        help="a folder the script may read (read-only) and the source may name files in",
    )
    sandbox.add_argument(
        "--network", choices=("host", "none"), default="host", help="none: no network, loopback included"
    )
    sandbox.add_argument(
        "--tools",
        choices=("host", "delegate"),
        default="host",
        help="delegate: only the commands of Harness's stock delegate image (no jq, no python3), as there",
    )
    sandbox.add_argument(
        "--pass-env", action="append", metavar="NAME", help="let the script see this variable of yours"
    )
    sandbox.add_argument("--memory", metavar="SIZE", help="memory for the whole run (2G)")
    sandbox.add_argument(
        "--disk", metavar="SIZE", help="size of each private temp folder, /tmp and the work directory included (1G)"
    )
    sandbox.add_argument("--cpu-time", metavar="DURATION", help="CPU-time limit (default: the timeout)")
    sandbox.add_argument("--max-file-size", metavar="SIZE", help="largest file the script may write (1G)")
    sandbox.add_argument("--max-open-files", type=int, metavar="N", help="open files (1024)")
    sandbox.add_argument("--max-processes", type=int, metavar="N", help="processes of the whole run (512)")
    sandbox.add_argument("--max-output", metavar="SIZE", help="script output shown live (1M); the rest is counted")
    parser.add_argument("-q", "--quiet", action="store_true", help="do not stream the script's output")
    parser.add_argument(
        "--explain", action="store_true", help="show the rendered script, environment, timings and every decision"
    )
    parser.add_argument("--debug", action="store_true", help="print a traceback on internal errors")


# The flag of each Limits field, for the command line's words.
LIMIT_FLAGS = {
    "memory": "--memory",
    "cpu_time": "--cpu-time",
    "file_size": "--max-file-size",
    "open_files": "--max-open-files",
    "processes": "--max-processes",
    "output": "--max-output",
    "disk": "--disk",
}


def collect_limits(args: argparse.Namespace) -> Limits:
    """Limits from the flags, defaults for the rest."""
    from ..sandbox import limit_problem
    from ..units import parse_duration, parse_size

    limits = Limits()
    changes: dict[str, int] = {}
    sizes = (("memory", "memory"), ("max_file_size", "file_size"), ("max_output", "output"), ("disk", "disk"))
    for flag, field in sizes:
        value = getattr(args, flag)
        if value is not None:
            try:
                changes[field] = parse_size(value)
            except ValueError as exc:
                raise UsageError(f"--{flag.replace('_', '-')}: {exc}") from None
    if args.cpu_time is not None:
        try:
            changes["cpu_time"] = max(1, int(parse_duration(args.cpu_time) + 0.999))
        except ValueError as exc:
            raise UsageError(f"--cpu-time: {exc}") from None
    for flag, field in (("max_open_files", "open_files"), ("max_processes", "processes")):
        value = getattr(args, flag)
        if value is not None:
            changes[field] = value
    limits = limits._replace(**changes)
    problem = limit_problem(limits)
    if problem is not None:
        raise UsageError(f"{LIMIT_FLAGS[problem[0]]} {problem[1]}")
    return limits


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


def collect_secrets(args: argparse.Namespace, *, stdin_taken: bool = False) -> dict[str, str]:
    """Environment < --secrets-file < --secret. ``stdin_taken``: standard input holds the source."""
    from ..render import secrets_from_environ

    secrets = secrets_from_environ(os.environ)
    if args.secrets_file:
        secrets.update(read_secrets_file(args.secrets_file))
    named = [item for item in args.secret or () if "=" not in item]
    secrets.update(pairs([item for item in args.secret or () if "=" in item], "--secret"))
    secrets.update(read_secret_values(named, stdin_taken=stdin_taken))
    return secrets


def read_secret_values(names: list[str], *, stdin_taken: bool = False) -> dict[str, str]:
    """Values for ``--secret NAME``: one line each from standard input, or a prompt on a terminal,
    so the value never sits in customsrc's command line where any process could read it."""
    if not names:
        return {}
    out: dict[str, str] = {}
    if sys.stdin.isatty():
        import getpass

        for name in names:
            out[name.strip()] = getpass.getpass(f"secret {name.strip()}: ")
        return out
    if stdin_taken:
        raise UsageError("--secret NAME reads standard input, which holds the source here; use --secrets-file")
    for name in names:
        line = sys.stdin.readline(1 << 20)  # one line, however endless standard input is
        if len(line) >= 1 << 20 and not line.endswith("\n"):
            raise UsageError(f"--secret {name.strip()}: the line on standard input is longer than 1 MiB")
        if not line:
            raise UsageError(f"--secret {name.strip()}: no value on standard input (one line per --secret NAME)")
        out[name.strip()] = line.rstrip("\r\n")
    return out


def prepare_process() -> None:
    """The CLI process: no cyclic GC (its big allocations are acyclic: see payload.GCPaused), and
    payload text with lone surrogates (legal JSON escapes) must never crash a write."""
    import gc

    gc.disable()
    for stream in (sys.stdout, sys.stderr):
        reconfigure = getattr(stream, "reconfigure", None)
        if reconfigure is not None:
            reconfigure(errors="backslashreplace")


def fetch_options(
    args: argparse.Namespace,
    *,
    inputs: dict[str, str] | None = None,
    secrets: dict[str, str] | None = None,
    hide: tuple[str, ...] = (),
) -> FetchOptions:
    """The one :class:`FetchOptions` the command line's flags make (``inputs`` and ``secrets``, as
    collected, and ``hide``, more folders to hide, are added to what the flags say)."""
    from ..payload import DEFAULT_MAX_RESULT_SIZE
    from ..units import parse_size

    max_size = DEFAULT_MAX_RESULT_SIZE
    if args.max_result_size is not None:
        try:
            max_size = parse_size(args.max_result_size)
        except ValueError as exc:
            raise UsageError(f"--max-result-size: {exc}") from None
    secrets_folder = (os.path.dirname(os.path.abspath(args.secrets_file)),) if args.secrets_file else ()
    return FetchOptions(
        source_id=args.source_id,
        inputs=inputs,
        secrets=secrets,
        expressions=expression_pairs(args.expr),
        version=args.version,
        version_regex=args.version_regex,
        timeout=args.timeout,
        max_result_size=max_size,
        sandbox=args.sandbox,
        allow_read=tuple(args.allow_read or ()),
        hide=(*secrets_folder, *hide),
        network=args.network,
        tools=args.tools,
        pass_env=tuple(args.pass_env or ()),
        limits=collect_limits(args),
        order=args.order,
        latest=args.latest,
        semver=args.semver,
        prereleases=args.pre,
        explain=getattr(args, "explain", False),
        save_payload=getattr(args, "save_payload", None),
    ).check()
