"""``customsrc watch SOURCES --every 1m --state FILE``: report new versions as JSON lines."""

from __future__ import annotations

import argparse
import json
import os
import sys

from ..errors import UsageError
from ..watch import DEFAULT_KEEP
from .common import register
from .many import expand
from .options import add_run_options, collect_secrets, fetch_options, pairs, prepare_process

TYPE_CHECKING = False
if TYPE_CHECKING:
    from typing import Any

HELP = "poll sources and report versions new since the last poll (JSON lines)"


def add_parser(sub: Any, exit_codes: str) -> None:
    parser = register(
        sub,
        "watch",
        help=HELP,
        description="Poll sources every --every and print one JSON line per version that is new since the "
        "last poll, like a Harness artifact trigger. The first poll of a source sets its baseline "
        "(--report-existing reports it too). The state file is written atomically and a failed fetch never "
        "erases known versions. Delivery is at least once: a kill at any moment loses no event, and repeats "
        'at most the one being reported when it came, with the same id (the event\'s "id", '
        "CUSTOMSRC_EVENT_ID for --on-new) so a consumer can drop it. SIGINT or SIGTERM stops it cleanly, "
        "killing running scripts. --once exits 1 when any fetch failed.",
        exit_codes=exit_codes,
        main=main,
    )
    parser.add_argument("source", nargs="+", help="source files or folders")
    parser.add_argument("--state", required=True, metavar="FILE", help="where known versions are kept")
    parser.add_argument("--every", default="1m", metavar="DURATION", help="time between polls (1m)")
    parser.add_argument("--on-new", metavar="CMD", help="run CMD (bash -c) per new version, with CUSTOMSRC_* variables")
    parser.add_argument("--once", action="store_true", help="poll once and exit")
    parser.add_argument("--report-existing", action="store_true", help="report what the first poll finds too")
    parser.add_argument("--jobs", type=int, default=4, metavar="N", help="sources polled at once (4)")
    parser.add_argument(
        "--keep",
        type=int,
        default=DEFAULT_KEEP,
        metavar="N",
        help=f"versions a source no longer lists to remember per source ({DEFAULT_KEEP}; listed ones always are)",
    )
    parser.add_argument(
        "--per-host", type=int, metavar="N", help="at most N fetches at once from one repository host (no limit)"
    )
    parser.add_argument(
        "--rate",
        action="append",
        metavar="HOST=RATE",
        help="at most RATE fetches from HOST (e.g. registry.example.com=30/minute; the host of REPO_URL or of the "
        "script's first URL); a host that answers 429 or 503 is left alone for the wait it names",
    )
    parser.add_argument(
        "--shard",
        metavar="I/N",
        help="poll only shard I of N (I from 0): a stable hash of each source's path, for N machines or jobs "
        "(a Kubernetes Indexed Job: --shard $JOB_COMPLETION_INDEX/N), each with its own --state",
    )
    add_run_options(parser)
    parser.set_defaults(format=None, limit=None)  # watch prints JSON lines: these cannot apply


def on_new_environment(event: dict[str, Any]) -> dict[str, str]:
    """The CUSTOMSRC_* variables ``--on-new`` gets for one event."""
    env = {
        "CUSTOMSRC_EVENT_ID": event["id"],
        "CUSTOMSRC_SOURCE": event["source"],
        "CUSTOMSRC_IDENTIFIER": event["identifier"],
        "CUSTOMSRC_VERSION": event["version"],
        "CUSTOMSRC_METADATA": json.dumps(event["metadata"], ensure_ascii=False),
    }
    for key, value in event["metadata"].items():
        env["CUSTOMSRC_METADATA_" + "".join(c if c.isalnum() else "_" for c in key).upper()] = value
    return env


def main(args: argparse.Namespace) -> int:
    import signal
    import subprocess
    import threading

    from ..output import visible
    from ..units import parse_duration
    from ..watch import StateStore, poll

    prepare_process()
    query = None
    if args.query:
        from ..query import apply, compile_query

        query = compile_query(args.query)
    cannot_apply = {
        "--format": args.format,
        "--limit": args.limit,
        "--explain": args.explain or None,
        "--save-payload": args.save_payload,
    }
    for flag, given in cannot_apply.items():
        if given is not None:
            raise UsageError(f"watch prints one JSON line per new version: {flag} does not apply")
    try:
        every = parse_duration(args.every)
    except ValueError as exc:
        raise UsageError(f"--every: {exc}") from None
    files = expand(args.source)
    if args.keep < 0:
        raise UsageError("--keep must be 0 or more")
    from ..polite import Politeness

    polite = Politeness(args.per_host, pairs(args.rate, "--rate"))
    if args.shard:
        total = len(files)
        files = select_shard(files, args.shard)
        if not files:
            sys.stderr.write(f"customsrc: warning: shard {args.shard} holds none of the {total} sources\n")
    inputs = pairs(args.input, "--input")
    options = fetch_options(args, inputs=inputs or None, secrets=collect_secrets(args))
    store = StateStore(args.state)
    stop = threading.Event()
    for signum in (signal.SIGINT, signal.SIGTERM):
        signal.signal(signum, lambda *_: stop.set())

    def report(event: dict[str, Any]) -> None:
        shown = event if query is None else apply(query, event)
        if shown is not None:  # a query that finds nothing in an event prints nothing for it
            sys.stdout.write(json.dumps(shown, ensure_ascii=False) + "\n")
            sys.stdout.flush()
        if args.on_new:
            done = subprocess.run(
                ["bash", "-c", args.on_new], env={**os.environ, **on_new_environment(event)}, check=False
            )
            if done.returncode != 0:
                sys.stderr.write(f"customsrc: warning: --on-new exited {done.returncode} for {event['version']}\n")

    failures = []

    def warn(message: str) -> None:
        failures.append(message)
        sys.stderr.write(f"customsrc: warning: {visible(message)}\n")

    while not stop.is_set():
        poll(
            store,
            files,
            report,
            concurrency=args.jobs,
            cancel=stop,
            report_existing=args.report_existing,
            warn=warn,
            keep=args.keep,
            polite=polite,
            options=options,
        )
        if args.once:
            return 1 if failures else 0  # cron must see a source that could not be fetched
        stop.wait(every)
    return 0


def select_shard(files: list[str], shard: str) -> list[str]:
    """The files of shard ``I/N``."""
    from ..watch import shard_of

    index, sep, count = shard.partition("/")
    if not (sep and index.isdigit() and count.isdigit() and int(count) >= 1 and int(index) < int(count)):
        raise UsageError(f"--shard expects I/N with 0 <= I < N, e.g. 0/3; got {shard!r}")
    return [f for f in files if shard_of(f, int(count)) == int(index)]
