"""``customsrc run SOURCE``: run one custom artifact source and show what Harness would see."""

from __future__ import annotations

import argparse
import os
import sys

from ..errors import CustomsrcError, UsageError
from ..masking import Masker
from ..sandbox import Limits
from .common import expression_pairs, fail, pairs, read_secrets_file, register

TYPE_CHECKING = False
if TYPE_CHECKING:
    from typing import Any


HELP = "run a source's fetch script and show its artifacts, choice and expressions"


def add_parser(sub: Any, exit_codes: str) -> None:
    parser = register(
        sub,
        "run",
        help=HELP,
        description="Run a custom artifact source as a Harness delegate would: render it, run its "
        "script in a private work directory, read and map the result, choose a version.",
        exit_codes=exit_codes,
        main=main,
    )
    parser.add_argument(
        "source", nargs="+", help="source files (an artifact source entry, a service YAML, a template), folders, or -"
    )
    parser.add_argument("--jobs", type=int, default=4, metavar="N", help="sources run at once with several (4)")
    add_run_options(parser)


def add_run_options(parser: argparse.ArgumentParser) -> None:
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


def collect_secrets(args: argparse.Namespace) -> dict[str, str]:
    """Environment < --secrets-file < --secret."""
    from ..render import secrets_from_environ

    secrets = secrets_from_environ(os.environ)
    if args.secrets_file:
        secrets.update(read_secrets_file(args.secrets_file))
    named = [item for item in args.secret or () if "=" not in item]
    secrets.update(pairs([item for item in args.secret or () if "=" in item], "--secret"))
    secrets.update(read_secret_values(named, stdin_taken=getattr(args, "source", None) in ("-", ["-"])))
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
    """The CLI process: no cyclic GC (its big allocations are acyclic: see api._GCPaused), and
    payload text with lone surrogates (legal JSON escapes) must never crash a write."""
    import gc

    gc.disable()
    for stream in (sys.stdout, sys.stderr):
        reconfigure = getattr(stream, "reconfigure", None)
        if reconfigure is not None:
            reconfigure(errors="backslashreplace")


def fetch_options(args: argparse.Namespace) -> dict[str, Any]:
    """The fetch() keyword arguments the command line sets (besides inputs and secrets)."""
    from ..payload import DEFAULT_MAX_RESULT_SIZE
    from ..units import parse_size

    max_size = DEFAULT_MAX_RESULT_SIZE
    if args.max_result_size is not None:
        try:
            max_size = parse_size(args.max_result_size)
        except ValueError as exc:
            raise UsageError(f"--max-result-size: {exc}") from None
    return {
        "expressions": expression_pairs(args.expr),
        "version": args.version,
        "version_regex": args.version_regex,
        "timeout": args.timeout,
        "max_result_size": max_size,
        "sandbox": args.sandbox,
        "allow_read": tuple(args.allow_read or ()),
        "hide": (os.path.dirname(os.path.abspath(args.secrets_file)),) if args.secrets_file else (),
        "network": args.network,
        "tools": args.tools,
        "pass_env": tuple(args.pass_env or ()),
        "limits": collect_limits(args),
        "order": args.order,
        "latest": args.latest,
        "semver": args.semver,
        "prereleases": args.pre,
        "explain": args.explain,
        "save_payload": args.save_payload,
    }


def main(args: argparse.Namespace, *, text: str | None = None) -> int:
    prepare_process()
    if isinstance(args.source, list):
        if len(args.source) > 1 or os.path.isdir(args.source[0]):
            from .many import main as main_many

            return main_many(args)
        args.source = args.source[0]
    return main_one(args, text=text)


def main_one(args: argparse.Namespace, *, text: str | None = None) -> int:
    from .. import output
    from ..api import fetch
    from ..query import compile_query
    from ..query import write as query_write
    from ..spec import load_source

    query = compile_query(args.query) if args.query else None  # a bad query is found before anything runs
    masker = Masker(())
    args.masker = masker
    file = None if args.source == "-" else args.source
    result = None
    error: CustomsrcError | None = None
    try:
        secrets = collect_secrets(args)
        masker = Masker(secrets.values())
        args.masker = masker
        options = fetch_options(args)
        source = load_source(args.source, source_id=args.source_id, text=text, allow_read=options["allow_read"])
        inputs = pairs(args.input, "--input")
        masker = Masker(list(secrets.values()))
        args.masker = masker
        out = sys.stderr.buffer

        def stream(_name: str, data: bytes) -> None:
            out.write(data)
            out.flush()

        result = fetch(source, inputs=inputs, secrets=secrets, on_output=None if args.quiet else stream, **options)
    except CustomsrcError as exc:
        error = exc
        result = getattr(exc, "result", None)
    doc = output.document(result, file=file, error=error, masker=masker)
    if error is None and query is not None:
        query_write(sys.stdout, query, doc, args.format)
    elif error is None or args.format in ("json", "yaml"):
        output.write(doc, args.format, sys.stdout, limit=args.limit)
        sys.stdout.flush()
    elif doc.get("explain"):  # a failure is exactly when an author needs the explanation
        output.write_explain(doc["explain"], sys.stdout if args.format == "table" else sys.stderr)
    if error is not None:
        return fail(error, masker)
    for warning in doc["warnings"] if args.format != "table" else ():
        sys.stderr.write(f"customsrc: warning: {warning}\n")
    return 0
