"""``customsrc doctor``: which sandbox levels and network modes work on this machine, and why not."""

from __future__ import annotations

import argparse
import sys

from .common import register

TYPE_CHECKING = False
if TYPE_CHECKING:
    from typing import Any

HELP = "report which sandbox levels and network modes work here"


def add_parser(sub: Any, exit_codes: str) -> None:
    register(
        sub,
        "doctor",
        help=HELP,
        description="Check this machine for what each sandbox level needs (unshare, user namespaces, "
        "bubblewrap) by trying them, and say what to install where one is missing. Exit 0 when every "
        "level works, 1 otherwise.",
        exit_codes=exit_codes,
        main=main,
    )


def main(args: argparse.Namespace) -> int:
    from ..doctor import checks

    rows = checks()
    width = max(len(name) for name, _, _ in rows)
    for name, ok, detail in rows:
        mark = "ok  " if ok else "NO  "
        sys.stdout.write(f"{mark}{name.ljust(width)}  {detail}\n")
    return 0 if all(ok for _, ok, _ in rows) else 1
