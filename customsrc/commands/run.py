"""``customsrc run SOURCE``: run one custom artifact source and show what Harness would see."""

from __future__ import annotations

import argparse
import os
import sys

from ..errors import CustomsrcError
from .common import fail, register
from .options import add_run_options, collect_secrets, fetch_options, pairs, prepare_process

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


def main(args: argparse.Namespace) -> int:
    prepare_process()
    if len(args.source) > 1 or os.path.isdir(args.source[0]):
        from .many import main as main_many

        return main_many(args)
    return run_one(args, args.source[0])


def run_one(
    args: argparse.Namespace,
    path: str,
    *,
    text: str | None = None,
    inputs: dict[str, str] | None = None,
    secrets: dict[str, str] | None = None,
) -> int:
    """Run the source at ``path`` (``-``: standard input, or ``text``) and print what Harness would
    see. ``inputs`` and ``secrets`` are defaults the flags override (the demo's)."""
    from .. import output
    from ..api import fetch_with
    from ..query import compile_query
    from ..query import write as query_write
    from ..spec import load_source

    query = compile_query(args.query) if args.query else None  # a bad query is found before anything runs
    file = None if path == "-" else path
    result = None
    error: CustomsrcError | None = None
    try:
        secrets = {**(secrets or {}), **collect_secrets(args, stdin_taken=path == "-" and text is None)}
        inputs = {**(inputs or {}), **pairs(args.input, "--input")}
        options = fetch_options(args, inputs=inputs, secrets=secrets)
        out = sys.stderr.buffer

        def stream(_name: str, data: bytes) -> None:
            out.write(data)
            out.flush()

        if not args.quiet:
            options = options._replace(on_output=stream)
        source = load_source(path, source_id=args.source_id, text=text, allow_read=options.allow_read)
        result = fetch_with(source, options)
    except CustomsrcError as exc:
        error = exc
        result = getattr(exc, "result", None)
    doc = output.document(result, file=file, error=error)
    if error is None and query is not None:
        query_write(sys.stdout, query, doc, args.format)
    elif error is None or args.format in ("json", "yaml"):
        output.write(doc, args.format, sys.stdout, limit=args.limit)
        sys.stdout.flush()
    elif doc.get("explain"):  # a failure is exactly when an author needs the explanation
        output.write_explain(doc["explain"], sys.stdout if args.format == "table" else sys.stderr)
    if error is not None:
        return fail(error, debug=args.debug)
    for warning in doc["warnings"] if args.format != "table" else ():
        sys.stderr.write(f"customsrc: warning: {warning}\n")
    return 0
