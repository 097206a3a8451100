"""``customsrc export SOURCE --as source|service|template``: Harness NextGen YAML on stdout (or -o FILE)."""

from __future__ import annotations

import argparse
import sys

from .common import register, write_output

TYPE_CHECKING = False
if TYPE_CHECKING:
    from typing import Any

HELP = "print the Harness NextGen YAML for a source: an entry, a service or a template"


def add_parser(sub: Any, exit_codes: str) -> None:
    parser = register(
        sub,
        "export",
        help=HELP,
        description="Print Harness NextGen YAML for a source: a bare artifact source entry, a minimal Kubernetes "
        "service holding it as the primary source, or an Artifact Source Template whose inputs are fed by "
        "template variables. Scripts from customsrc.scriptFile are inlined; sh and python3 scripts become Bash "
        "that runs them from a quoted heredoc; settings Harness has no field for are dropped with a warning.",
        exit_codes=exit_codes,
        main=main,
    )
    parser.add_argument("source", help="source file (as for run), or -")
    parser.add_argument("--as", dest="kind", choices=("source", "service", "template"), default="source")
    parser.add_argument("--source", dest="source_id", metavar="ID", help="the source to export in a file with several")
    parser.add_argument("-o", "--output", metavar="FILE", help="write to FILE instead of stdout")


def main(args: argparse.Namespace) -> int:
    from ..export import export, to_yaml
    from ..spec import load_source

    source = load_source(args.source, source_id=args.source_id)
    document, warnings = export(source, args.kind)
    text = to_yaml(document)
    for warning in warnings:
        sys.stderr.write(f"customsrc: warning: {warning}\n")
    write_output(text, args.output)
    return 0
