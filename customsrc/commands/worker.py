"""``customsrc worker``: a Celery worker that runs the polls the scheduler queues (pip install customsrc[celery])."""

from __future__ import annotations

import argparse

from ..errors import UsageError
from .common import register
from .options import add_run_options, collect_secrets, fetch_options, pairs, prepare_process

TYPE_CHECKING = False
if TYPE_CHECKING:
    from typing import Any

HELP = "run polls from Redis as a Celery worker, recording new versions in a Redis stream"


def add_parser(sub: Any, exit_codes: str) -> None:
    from .distributed import add_broker_options

    parser = register(
        sub,
        "worker",
        help=HELP,
        description="A Celery worker (threads) that runs the polls `customsrc scheduler` queues, each as "
        "`customsrc run` would with the options given here (sandbox, secrets, inputs: they stay on this "
        "machine), and records every version not known before in the stream NAMESPACE:events, exactly once. "
        "A worker killed mid-poll loses nothing: its task is delivered again after --visibility-timeout.",
        exit_codes=exit_codes,
        main=main,
    )
    add_broker_options(parser)
    parser.add_argument("--concurrency", type=int, default=4, metavar="N", help="polls at once (4)")
    parser.add_argument(
        "--visibility-timeout",
        type=float,
        default=3600,
        metavar="SECONDS",
        help="a poll not acknowledged for this long is delivered again (3600; above the longest fetch)",
    )
    parser.add_argument("--per-host", type=int, metavar="N", help="at most N polls at once per host, in this worker")
    parser.add_argument(
        "--rate",
        action="append",
        metavar="HOST=RATE",
        help="at most RATE polls of HOST for all workers together (e.g. registry.example.com=30/minute)",
    )
    add_run_options(parser)
    parser.set_defaults(format=None, limit=None)


def main(args: argparse.Namespace) -> int:
    from ..distributed import RedisState, Worker, make_app, run_worker
    from ..polite import Politeness

    prepare_process()
    if args.concurrency < 1:
        raise UsageError("--concurrency must be at least 1")
    for flag, given in {"--explain": args.explain or None, "--save-payload": args.save_payload}.items():
        if given is not None:
            raise UsageError(f"worker records versions in Redis: {flag} does not apply")
    inputs = pairs(args.input, "--input")
    options = fetch_options(args, inputs=inputs or None, secrets=collect_secrets(args))
    state = RedisState(args.broker, args.namespace)
    polite = Politeness(args.per_host, pairs(args.rate, "--rate"), storage=args.broker)
    app = make_app(args.broker, args.namespace, args.visibility_timeout)
    run_worker(app, Worker(options, state, polite), args.concurrency, f"{args.namespace}.polls")
    return 0
