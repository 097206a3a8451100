"""Politeness towards the repositories many sources share (``fetch_many``, ``watch``).

A source's *host* is the host of the first http(s) URL among its input values (``REPO_URL`` in every
gallery template), else of the first URL written in its script; a source with neither has none and is
never held back. Per host: at most ``per_host`` fetches at once; at most the rate given for it (the
``limits`` package's moving window, in its own syntax: ``10/minute``, ``100 per hour``); and after a
fetch that failed with HTTP 429 or 503 the host is left alone for the wait the server named (the
gallery scripts print it), else 30 s doubling to 10 minutes, reset by the next success. A fetch that
would wait longer than ``MAX_WAIT`` for its host fails at once with :class:`RateLimited` (``watch``
keeps the source's known versions and tries again next poll) instead of holding a worker.
"""

from __future__ import annotations

import re
import threading
import time
from collections.abc import Callable, Mapping

from .errors import CustomsrcError, RateLimited, UsageError

TYPE_CHECKING = False
if TYPE_CHECKING:
    from typing import Any

    from .spec import Source

MAX_WAIT = 20.0  # seconds a fetch may wait for its host before it is deferred
FIRST_BACKOFF = 30.0
LONGEST_BACKOFF = 600.0
_URL = re.compile(r"https?://[^\s\"'<>`$]+")
_SLOW_DOWN = re.compile(r"\bHTTP (?:429|503)\b|\b(?:429 Too Many Requests|503 Service Unavailable)\b|rate limit", re.I)
_RETRY_AFTER = re.compile(r"retry after (\d+(?:\.\d+)?) ?s|Retry-After:? *(\d+)", re.I)


def host_of(source: Source, inputs: Mapping[str, str] | None = None) -> str | None:
    """The host a source fetches from (see the module's docstring), lower case, with its port."""
    import urllib.parse

    values = [(inputs or {}).get(var.name, var.value or "") for var in source.inputs]
    for text in [*values, source.script]:
        found = _URL.search(text or "")
        if found and "<+" not in found.group(0):
            try:
                parts = urllib.parse.urlsplit(found.group(0))
                host = parts.hostname
                port = parts.port
            except ValueError:
                continue
            if host:
                return f"{host}:{port}" if port else host
    return None


def backoff_for(error: CustomsrcError, previous: float) -> float:
    """How long to leave a host alone after ``error``: the wait it named (429/503 with Retry-After,
    as the gallery scripts print it), else twice the ``previous`` back-off (30 s first, 10 min at
    most); 0 when the error is no "slow down"."""
    if isinstance(error, RateLimited) or not _SLOW_DOWN.search(error.message):
        return 0.0
    named = _RETRY_AFTER.search(error.message)
    if named:
        return float(named.group(1) or named.group(2))
    return min(LONGEST_BACKOFF, previous * 2 if previous else FIRST_BACKOFF)


def parse_rates(pairs: Mapping[str, str]) -> dict[str, Any]:
    """``{host: "10/minute"}`` to limits' rate items; a bad one is a UsageError naming it."""
    from limits import parse

    out = {}
    for host, text in pairs.items():
        try:
            out[host.lower()] = parse(text)
        except ValueError:
            raise UsageError(
                f"rate for {host}: {text!r} is not a rate; write it as 10/minute, 100/hour or '5 per second'",
                cli_message=f"--rate {host}={text}: not a rate; write it as 10/minute, 100/hour or '5 per second'",
            ) from None
    return out


class Politeness:
    """Per-host concurrency, rate and back-off for the fetches of one ``fetch_many`` call (shared
    by its threads). ``storage`` is a limits storage URI: ``memory://`` here, ``redis://...`` to share
    the rates between processes and machines."""

    def __init__(
        self,
        per_host: int | None = None,
        rates: Mapping[str, str] | None = None,
        *,
        storage: str = "memory://",
        clock: Callable[[], float] = time.time,
    ) -> None:
        if per_host is not None and per_host < 1:
            raise UsageError("per_host must be at least 1", cli_message="--per-host must be at least 1")
        self.per_host = per_host
        self.rates = parse_rates(rates or {})
        self.clock = clock
        self._limiter: Any = None
        if self.rates:
            from limits import storage as limits_storage
            from limits import strategies

            self._limiter = strategies.MovingWindowRateLimiter(limits_storage.storage_from_string(storage))
        self._running: dict[str, int] = {}
        self._paused: dict[str, tuple[float, float]] = {}  # host -> (until, the back-off that set it)
        self._changed = threading.Condition()

    def enter(self, host: str | None, stop: Callable[[], bool] = lambda: False) -> None:
        """Wait until a fetch from ``host`` may start (or raise RateLimited if that is too long)."""
        if host is None:
            return
        deadline = self.clock() + MAX_WAIT
        with self._changed:
            while True:
                wait = self._wait(host)
                if wait <= 0:
                    self._running[host] = self._running.get(host, 0) + 1
                    return
                if stop():
                    return  # the fetch itself sees the stop and comes back Cancelled
                if self.clock() + wait > deadline:
                    raise RateLimited(
                        f"{host} is being left alone for another {wait:.0f} s ({self._why(host)}); "
                        "this source is tried again later"
                    )
                self._changed.wait(min(wait, 0.5))

    def _wait(self, host: str) -> float:
        """Seconds until a fetch from ``host`` may start; 0: now (and the rate is charged)."""
        now = self.clock()
        until = self._paused.get(host, (0.0, 0.0))[0]
        if until > now:
            return until - now
        if self.per_host is not None and self._running.get(host, 0) >= self.per_host:
            return 0.05  # woken when one ends
        rate = self.rates.get(host)
        if rate is not None and not self._limiter.hit(rate, host):
            reset = float(self._limiter.get_window_stats(rate, host).reset_time)
            return max(0.05, reset - now)
        return 0.0

    def _why(self, host: str) -> str:
        if self._paused.get(host, (0.0, 0.0))[0] > self.clock():
            return "it answered 429 or 503"
        return f"its rate, {self.rates[host]}" if host in self.rates else "its limit of fetches at once"

    def leave(self, host: str | None, error: CustomsrcError | None) -> None:
        """A fetch from ``host`` ended (``error``: how it failed): free its place, back off on 429/503."""
        if host is None:
            return
        with self._changed:
            self._running[host] = max(0, self._running.get(host, 0) - 1)
            backoff = backoff_for(error, self._paused.get(host, (0.0, 0.0))[1]) if error is not None else 0.0
            if backoff:
                self._paused[host] = (self.clock() + backoff, backoff)
            elif error is None:
                self._paused.pop(host, None)
            self._changed.notify_all()
