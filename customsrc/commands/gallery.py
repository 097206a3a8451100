"""``customsrc gallery list`` / ``customsrc gallery show NAME`` / ``customsrc gallery site DIR``."""

from __future__ import annotations

import argparse
import os
import sys

from .common import register

TYPE_CHECKING = False
if TYPE_CHECKING:
    from typing import Any

HELP = "list the ready-made, tested sources, show one, or write them as a static site"


def add_parser(sub: Any, exit_codes: str) -> None:
    parser = register(
        sub,
        "gallery",
        help=HELP,
        description="The gallery: sources for repositories Harness does not support natively, each tested "
        "against the real server software or the vendor's documented API responses.",
        exit_codes=exit_codes,
        main=main,
    )
    parser.add_argument("action", choices=("list", "show", "site"))
    parser.add_argument(
        "name",
        nargs="?",
        help="show: the template to show; site: the folder to write the static site into (index.html, a page "
        "per entry with its Harness YAML, search and filters; opens from file:// or any static host)",
    )
    parser.add_argument(
        "--query",
        metavar="JMESPATH",
        help="list: print this part of the entries as JSON objects (name, description, stockDelegate, "
        "testedAgainst, requires, inputs, secrets), e.g. \"[?stockDelegate=='yes'].name\"",
    )


def main(args: argparse.Namespace) -> int:
    from ..errors import UsageError
    from ..gallery import entries, entry, example_command, stock_delegate

    out = sys.stdout
    if args.action == "site":
        if args.query:
            raise UsageError("--query applies to gallery list")
        if not args.name:
            raise UsageError("gallery site needs a folder to write the site into, e.g. build/gallery-site")
        from ..site import write_site

        written = write_site(args.name)
        out.write(f"wrote {len(written)} files; open {os.path.join(args.name, 'index.html')}\n")
        return 0
    if args.query:
        from ..query import compile_query
        from ..query import write as query_write

        query = compile_query(args.query)
        if args.action != "list":
            raise UsageError("--query applies to gallery list")
        listed = [
            {
                "name": e.name,
                "description": e.description,
                "stockDelegate": stock_delegate(e),
                "testedAgainst": e.tested_against,
                "orderedBy": e.ordered_by,
                "requires": list(e.source.requires),
                "inputs": [v["name"] for v in e.inputs],
                "secrets": [s.name for s in e.secrets],
            }
            for e in entries()
        ]
        query_write(out, query, listed, "table")
        return 0
    if args.action == "list":
        header = ("NAME", "WHAT", "STOCK DELEGATE", "TESTED AGAINST")
        rows = [(e.name, e.description, stock_delegate(e), e.tested_against) for e in entries()]
        widths = [max([len(h), *(len(r[i]) for r in rows)]) for i, h in enumerate(header)]
        for row in [header, *rows]:
            out.write("  ".join(cell.ljust(widths[i]) for i, cell in enumerate(row)).rstrip() + "\n")
        return 0
    if not args.name:
        raise UsageError("gallery show needs a template name; see customsrc gallery list")
    item = entry(args.name)
    out.write(f"{item.name}: {item.description}\n  tested against: {item.tested_against}\n  file: {item.path}\n")
    out.write(f"  on Harness's stock delegate: {stock_delegate(item)}\n")
    out.write(f"  lists versions newest first by: {item.ordered_by}\n")
    out.write("inputs:\n")
    described = []
    for variable in item.inputs:
        value = variable.get("value")
        if value is None or str(value).startswith("<+input>"):
            shown = "required"
        else:
            shown = f"optional, default {value}" if str(value) else "optional"
        note = " (names a secret)" if variable.get("type") == "Secret" else ""
        described.append((variable["name"], shown, f"{variable.get('description', '')}{note}"))
    width = max((len(name) for name, _, _ in described), default=0)
    shown_width = max((len(shown) for _, shown, _ in described), default=0)
    for name, shown, description in described:
        out.write(f"  {name.ljust(width)}  {shown.ljust(shown_width)}  {description}\n")
    if item.secrets:
        out.write("secrets:\n")
        for secret in item.secrets:
            out.write(f"  {secret.name}: {secret.description}\n")
    source = item.source
    out.write(f"mapping: {source.artifacts_array_path} -> version {source.version_path}")
    out.write("".join(f", {name} {path}" for name, path in source.attributes) + "\n")
    out.write(f"example:\n  {example_command(item)}\n")
    return 0
