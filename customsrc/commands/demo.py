"""``customsrc demo``: a real fetch end to end against an embedded default.

Starts a Nexus-style repository on 127.0.0.1, then runs the bundled source (bash + curl, with a
bearer-token secret) through exactly the code path of ``customsrc run``.
"""

from __future__ import annotations

import argparse
import sys

from . import run
from .common import register
from .options import add_run_options, prepare_process

TYPE_CHECKING = False
if TYPE_CHECKING:
    from typing import Any


HELP = "run a bundled source against a bundled repository on 127.0.0.1"


def add_parser(sub: Any, exit_codes: str) -> None:
    parser = register(
        sub,
        "demo",
        help=HELP,
        description="Serve a small Nexus-style repository on loopback and run a bash + curl source "
        "against it, exactly as `customsrc run` would. --show-source prints the source YAML.",
        exit_codes=exit_codes,
        main=main,
    )
    parser.add_argument("--show-source", action="store_true", help="print the demo source YAML and exit")
    add_run_options(parser)


def main(args: argparse.Namespace) -> int:
    from ..demo import DEMO_TOKEN, SOURCE, serve

    if args.show_source:
        sys.stdout.write(SOURCE)
        return 0
    with serve() as url:
        sys.stderr.write(f"customsrc demo: serving a Nexus-style repository at {url}\n")
        prepare_process()
        return run.run_one(args, "-", text=SOURCE, inputs={"NEXUS_URL": url}, secrets={"nexus_token": DEMO_TOKEN})
