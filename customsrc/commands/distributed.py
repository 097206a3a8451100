"""Flags shared by ``worker``, ``scheduler`` and ``events``: where Redis is, and the namespace."""

from __future__ import annotations

import argparse
import os


def add_broker_options(parser: argparse.ArgumentParser) -> None:
    """``--broker`` (default $CUSTOMSRC_BROKER, else a local Redis) and ``--namespace``."""
    from ..distributed import DEFAULT_BROKER

    parser.add_argument(
        "--broker",
        default=os.environ.get("CUSTOMSRC_BROKER") or DEFAULT_BROKER,
        metavar="URL",
        help=f"the Redis URL of the queue, the state and the events ($CUSTOMSRC_BROKER, else {DEFAULT_BROKER})",
    )
    parser.add_argument(
        "--namespace", default="customsrc", metavar="NAME", help="prefix of every Redis key and the queue (customsrc)"
    )
