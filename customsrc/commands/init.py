"""``customsrc init NAME``: a source file, a recorded payload and a pytest test, ready to run."""

from __future__ import annotations

import argparse

from .common import register

TYPE_CHECKING = False
if TYPE_CHECKING:
    from typing import Any

HELP = "scaffold a source, a recorded payload and a pytest test for it"


def add_parser(sub: Any, exit_codes: str) -> None:
    parser = register(
        sub,
        "init",
        help=HELP,
        description="Write NAME.yaml (a minimal bash + curl source, or a copy of --from, a gallery template or a "
        "source file), NAME.payload.json (a recorded payload) and test_NAME.py (a pytest test that maps the "
        "recorded payload with the source, as Harness would). Existing files are not overwritten without --force.",
        exit_codes=exit_codes,
        main=main,
    )
    parser.add_argument("name", help="the source's identifier (letters, digits, _)")
    parser.add_argument("--from", dest="origin", metavar="TEMPLATE", help="a gallery template name or a source file")
    parser.add_argument("--dir", default=".", help="where to write the files (.)")
    parser.add_argument("--force", action="store_true", help="overwrite existing files")


def main(args: argparse.Namespace) -> int:
    import sys

    from ..scaffold import scaffold

    for path in scaffold(args.name, args.dir, origin=args.origin, force=args.force):
        sys.stdout.write(f"wrote {path}\n")
    return 0
