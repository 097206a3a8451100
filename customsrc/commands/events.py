"""``customsrc events``: the new-version events the workers recorded, as JSON lines."""

from __future__ import annotations

import argparse
import json
import sys

from .common import register

TYPE_CHECKING = False
if TYPE_CHECKING:
    from typing import Any

HELP = "print the events of the Redis stream as JSON lines (--follow to wait for more)"


def add_parser(sub: Any, exit_codes: str) -> None:
    from .distributed import add_broker_options

    parser = register(
        sub,
        "events",
        help=HELP,
        description="The events `customsrc worker` recorded (one per new version, exactly once), oldest "
        'first, one JSON line each with its stream position in "cursor": pass the last one to --after to '
        "resume. Any Redis client can read the stream too (XREAD STREAMS NAMESPACE:events 0).",
        exit_codes=exit_codes,
        main=main,
    )
    add_broker_options(parser)
    parser.add_argument("--after", default="0", metavar="CURSOR", help="start after this cursor (0: the beginning)")
    parser.add_argument("--follow", action="store_true", help="wait for new events instead of exiting")
    parser.add_argument("--query", metavar="JMESPATH", help="print only this part of each event")


def main(args: argparse.Namespace) -> int:
    from ..distributed import RedisState
    from .options import prepare_process

    prepare_process()
    query = None
    if args.query:
        from ..query import compile_query

        query = compile_query(args.query)
    state = RedisState(args.broker, args.namespace)
    cursor = args.after
    while True:
        batch = state.events(cursor, block_ms=1000 if args.follow else None)
        for cursor, event in batch:
            shown: Any = {**event, "cursor": cursor}
            if query is not None:
                from ..query import apply

                shown = apply(query, shown)
                if shown is None:
                    continue
            sys.stdout.write(json.dumps(shown, ensure_ascii=False) + "\n")
        sys.stdout.flush()
        if not batch and not args.follow:
            return 0
