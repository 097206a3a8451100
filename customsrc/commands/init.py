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
    import os
    import sys

    from ..scaffold import scaffold

    written = scaffold(args.name, args.dir, origin=args.origin, force=args.force)
    for path in written:
        sys.stdout.write(f"wrote {path}\n")
    test = next((p for p in written if os.path.basename(p).startswith("test_")), None)
    source = written[0] if written else ""
    payload = next((p for p in written if p.endswith(".json")), None)
    if test:
        sys.stdout.write(f"next: python3 -m pip install pytest (or 'customsrc[test]'), then python3 -m pytest {test}\n")
    if payload:
        sys.stdout.write(
            f"record real data: customsrc run {source} --input NAME=VALUE... --save-payload {payload}, "
            "then update the test's expected versions\n"
        )
    return 0
