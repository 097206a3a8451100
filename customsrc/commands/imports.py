"""``customsrc import FILE``: a FirstGen custom artifact stream as a NextGen source (stdout or -o)."""

from __future__ import annotations

import argparse
import sys

from .common import register

TYPE_CHECKING = False
if TYPE_CHECKING:
    from typing import Any

HELP = "turn a FirstGen custom artifact stream into a NextGen artifact source"


def add_parser(sub: Any, exit_codes: str) -> None:
    parser = register(
        sub,
        "import",
        help=HELP,
        description="Read a FirstGen custom artifact stream (scriptString, customRepositoryMapping with "
        "artifactRoot, buildNoPath and artifactAttributes) and print the NextGen artifact source entry. "
        "$ARTIFACT_RESULT_PATH becomes $HARNESS_ARTIFACT_RESULT_PATH and ${secrets.getValue()} becomes "
        "<+secrets.getValue()>; every change is reported on stderr.",
        exit_codes=exit_codes,
        main=main,
    )
    parser.add_argument("file", help="the FirstGen artifact stream YAML, or -")
    parser.add_argument("--identifier", help="the NextGen identifier (default: from sourceName)")
    parser.add_argument("-o", "--output", metavar="FILE", help="write to FILE instead of stdout")


def main(args: argparse.Namespace) -> int:
    from ..documents import read_document
    from ..export import to_yaml
    from ..firstgen import to_nextgen
    from .common import write_output

    document, warnings = to_nextgen(read_document(args.file), args.identifier)
    for warning in warnings:
        sys.stderr.write(f"customsrc: warning: {warning}\n")
    write_output(to_yaml(document), args.output)
    return 0
