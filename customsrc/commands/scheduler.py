"""``customsrc scheduler``: Celery beat queueing one poll per source per interval (pip install customsrc[celery])."""

from __future__ import annotations

import argparse
import os
import sys

from ..errors import UsageError
from .common import register

TYPE_CHECKING = False
if TYPE_CHECKING:
    from typing import Any

HELP = "queue one poll per source every --every for customsrc workers (Celery beat)"


def add_parser(sub: Any, exit_codes: str) -> None:
    from .distributed import add_broker_options

    parser = register(
        sub,
        "scheduler",
        help=HELP,
        description="Celery beat: every --every, one poll task per source for `customsrc worker`. Run one "
        "scheduler; a restarted one simply goes on (a poll queued twice records nothing twice). --once "
        "queues one round and exits (for cron or a Kubernetes CronJob).",
        exit_codes=exit_codes,
        main=main,
    )
    add_broker_options(parser)
    parser.add_argument("source", nargs="+", help="source files or folders (paths every worker can read)")
    parser.add_argument("--every", default="1m", metavar="DURATION", help="time between polls of a source (1m)")
    parser.add_argument("--once", action="store_true", help="queue one poll per source and exit")
    parser.add_argument("--report-existing", action="store_true", help="a source's first poll reports too")
    parser.add_argument("--shard", metavar="I/N", help="only shard I of N of the sources (see watch --shard)")


def main(args: argparse.Namespace) -> int:
    from ..distributed import POLL_TASK, make_app, run_scheduler
    from ..units import parse_duration
    from .many import expand
    from .watch import select_shard

    try:
        every = parse_duration(args.every)
    except ValueError as exc:
        raise UsageError(f"--every: {exc}") from None
    files = [os.path.abspath(f) for f in expand(args.source)]
    if args.shard:
        files = select_shard(files, args.shard)
    app = make_app(args.broker, args.namespace)
    if args.once:
        for path in files:
            app.send_task(POLL_TASK, args=(path, args.report_existing), queue=f"{args.namespace}.polls")
        sys.stderr.write(f"customsrc scheduler: queued {len(files)} polls\n")
        return 0
    app.conf.task_default_queue = f"{args.namespace}.polls"
    run_scheduler(app, files, every, args.report_existing)
    return 0
