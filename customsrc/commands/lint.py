"""``customsrc lint SOURCE``: find the delegate traps in a source. Exit 1 on any finding, 0 when clean."""

from __future__ import annotations

import argparse
import json
import sys

from ..errors import UsageError
from .common import register

TYPE_CHECKING = False
if TYPE_CHECKING:
    from typing import Any

HELP = "find what passes locally but fails or misleads on a Harness delegate"


def add_parser(sub: Any, exit_codes: str) -> None:
    parser = register(
        sub,
        "lint",
        help=HELP,
        description="Check a source for the traps of custom artifact scripts (no set -e, curl without --fail, "
        "tools missing on a minimal delegate, PowerShell, timeouts Harness does not allow, <+lastPublished.tag> "
        "read as 'highest', a $-prefixed versionPath, credentials in plain text, ...). Each finding has a stable "
        "code, a severity, the script line and a fix. Exit 1 when there is any finding, 0 when clean, 2 on bad usage.",
        exit_codes=exit_codes,
        main=main,
    )
    parser.add_argument("source", help="source file (as for run), or -")
    parser.add_argument("--source", dest="source_id", metavar="ID", help="the source to lint in a file with several")
    parser.add_argument("--payload", metavar="FILE", help="a recorded result, to check attribute values too")
    parser.add_argument("--format", choices=("text", "json"), default="text")


def main(args: argparse.Namespace) -> int:
    from ..lint import lint
    from ..payload import parse_payload
    from ..spec import load_source

    source = load_source(args.source, source_id=args.source_id)
    payload = None
    if args.payload:
        from ..files import Unreadable, read_bounded
        from ..payload import DEFAULT_MAX_RESULT_SIZE

        try:
            payload = parse_payload(read_bounded(args.payload, DEFAULT_MAX_RESULT_SIZE)).value
        except Unreadable as exc:
            raise UsageError(f"--payload {args.payload}: {exc.reason}") from None
    findings = lint(source, payload)
    label = "<stdin>" if args.source == "-" else args.source
    if args.format == "json":
        doc = {
            "source": {"identifier": source.identifier, "file": source.file},
            "findings": [f.as_dict() for f in findings],
        }
        sys.stdout.write(json.dumps(doc, ensure_ascii=False) + "\n")
    else:
        for f in findings:
            where = f"script line {f.line}" if f.line else "source"
            sys.stdout.write(f"{label}: {where}: {f.code} {f.severity}: {f.message} (fix: {f.fix})\n")
        if not findings:
            sys.stdout.write(f"{label}: {source.identifier}: no findings\n")
    return 1 if findings else 0
