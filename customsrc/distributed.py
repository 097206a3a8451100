"""Watching many sources on Celery and Redis: ``customsrc worker``, ``customsrc scheduler``,
``customsrc events`` (``pip install customsrc[celery]``).

* The **scheduler** is Celery beat: every ``--every`` it sends one ``customsrc.dispatch`` task, which
  queues one ``customsrc.poll`` task per source (``--once``: one round, sent directly, for cron).
* A **worker** (a Celery worker, threads) runs each poll exactly as ``fetch`` does, with the sandbox,
  secrets and options of its own command line: secrets never travel through Redis.
* What a poll finds is recorded in Redis by one Lua script, atomically: the source's known versions
  (a set), and for each version not known before an event appended to the stream
  ``NAMESPACE:events``. A poll that runs twice (a worker killed mid-task: tasks are acknowledged late
  and redelivered; the scheduler killed and restarted) adds nothing the second time: each version
  reaches the stream exactly once. The first poll of a source sets its baseline, as ``watch`` does.
* Politeness is shared: ``--rate HOST=RATE`` through the ``limits`` package on the same Redis (every
  worker together), and a host that answered 429 or 503 is left alone by every worker for the wait
  it named (a key with that lifetime).
* **events** reads the stream as JSON lines (``--follow`` to wait for more, ``--after`` to resume);
  any Redis client can (``XREAD STREAMS customsrc:events 0``).

Sources are paths every worker can read (the same checkout on each machine); a source's identity is
its absolute path and identifier, as in ``watch``.
"""

from __future__ import annotations

import datetime
import json
import os
import threading

from .errors import CustomsrcError, RateLimited, UsageError
from .polite import Politeness, backoff_for, host_of
from .watch import event_id, source_key

TYPE_CHECKING = False
if TYPE_CHECKING:
    from typing import Any

    from .options import FetchOptions
    from .result import FetchResult

DEFAULT_BROKER = "redis://127.0.0.1:6379/0"
POLL_TASK = "customsrc.poll"
DISPATCH_TASK = "customsrc.dispatch"

# KEYS: the source's known-versions set, the hash of sources polled (source key -> last poll), the
# event stream. ARGV: source key, poll time, report_existing (1/0), then (version, event JSON) pairs.
_RECORD = """
local first = redis.call('HEXISTS', KEYS[2], ARGV[1]) == 0
redis.call('HSET', KEYS[2], ARGV[1], ARGV[2])
local added = 0
for i = 4, #ARGV, 2 do
  if redis.call('SADD', KEYS[1], ARGV[i]) == 1 and ((not first) or ARGV[3] == '1') then
    redis.call('XADD', KEYS[3], '*', 'event', ARGV[i + 1])
    added = added + 1
  end
end
return added
"""


def _require() -> None:
    try:
        import celery  # noqa: F401
        import redis  # noqa: F401
    except ImportError:
        raise UsageError(
            "the distributed mode needs Celery and Redis's client: pip install 'customsrc[celery]'"
        ) from None


class RedisState:
    """The watch state and event stream of the distributed mode, in Redis."""

    def __init__(self, url: str, namespace: str = "customsrc") -> None:
        _require()
        import redis

        self.url = url
        self.redis = redis.Redis.from_url(url)
        self.namespace = namespace
        self.stream = f"{namespace}:events"
        self._record = self.redis.register_script(_RECORD)

    def record(self, label: str, result: FetchResult, report_existing: bool) -> int:
        """Record one source's listing; returns the number of events added to the stream."""
        identifier = result.source.identifier
        key = source_key(label, identifier)
        now = datetime.datetime.now(datetime.timezone.utc).isoformat(timespec="seconds")
        argv: list[str] = [key, now, "1" if report_existing else "0"]
        for artifact in result.artifacts:
            event = {
                "id": event_id(label, identifier, artifact.version),
                "source": label,
                "identifier": identifier,
                "version": artifact.version,
                "metadata": dict(artifact.metadata),
                "detected": now,
            }
            argv += [artifact.version, json.dumps(event, ensure_ascii=False)]
        keys = [f"{self.namespace}:known:{key}", f"{self.namespace}:sources", self.stream]
        return int(self._record(keys=keys, args=argv))

    def paused(self, host: str | None) -> float:
        """Seconds every worker still leaves ``host`` alone (after its 429 or 503)."""
        if host is None:
            return 0.0
        left = self.redis.pttl(f"{self.namespace}:pause:{host}")
        return max(0.0, int(left) / 1000) if left and int(left) > 0 else 0.0

    def pause(self, host: str, seconds: float) -> None:
        self.redis.set(f"{self.namespace}:pause:{host}", str(seconds), px=max(1, int(seconds * 1000)))

    def events(self, after: str = "0", block_ms: int | None = None, count: int = 1000) -> list[tuple[str, Any]]:
        """(stream id, event) pairs after ``after``; ``block_ms`` waits that long for the first."""
        answer: Any = self.redis.xread({self.stream: after}, count=count, block=block_ms)
        out = []
        for _stream, entries in answer or []:
            for entry_id, fields in entries:
                out.append((entry_id.decode(), json.loads(fields[b"event"])))
        return out


class Worker:
    """What a worker process polls with: its fetch options, its politeness, the Redis state."""

    def __init__(self, options: FetchOptions, state: RedisState, polite: Politeness) -> None:
        self.options = options
        self.state = state
        self.polite = polite
        self._loaded: dict[str, tuple[tuple[int, int, int], Any]] = {}  # path -> (file identity, Source)

    def load(self, path: str) -> Any:
        """The source at ``path``, parsed again only when the file changed (a worker polls the same
        sources every interval)."""
        from .spec import load_source

        info = os.stat(path)
        identity = (info.st_ino, info.st_mtime_ns, info.st_size)
        cached = self._loaded.get(path)
        if cached is not None and cached[0] == identity:
            return cached[1]
        source = load_source(path, source_id=self.options.source_id, allow_read=self.options.allow_read)
        self._loaded[path] = (identity, source)
        return source

    def poll(self, path: str, report_existing: bool) -> dict[str, Any]:
        """Fetch one source and record what it lists; never raises for the source's own failure."""
        from .api import fetch_with

        try:
            source = self.load(path)
        except CustomsrcError as exc:
            return {"source": path, "error": exc.kind, "message": exc.message}
        except OSError as exc:
            return {"source": path, "error": "source", "message": f"{path}: {exc.strerror}"}
        host = host_of(source, self.options.inputs)
        wait = self.state.paused(host)
        if wait > 0:
            return {"source": path, "error": "rate_limited", "message": f"{host} is left alone for {wait:.0f} s"}
        try:
            self.polite.enter(host)
        except RateLimited as exc:
            return {"source": path, "error": exc.kind, "message": exc.message}
        error: CustomsrcError | None = None
        try:
            result = fetch_with(source, self.options)
        except CustomsrcError as exc:
            error = exc
            if host is not None:
                seconds = backoff_for(exc, 0.0)
                if seconds:
                    self.state.pause(host, seconds)
            return {"source": path, "error": exc.kind, "message": exc.message}
        finally:
            self.polite.leave(host, error)
        added = self.state.record(path, result, report_existing)
        return {"source": path, "versions": len(result.artifacts), "new": added}


_worker: dict[str, Worker] = {}
_lock = threading.Lock()


def make_app(broker: str, namespace: str = "customsrc", visibility_timeout: float = 3600) -> Any:
    """The Celery app: late acknowledgement (a task whose worker dies is delivered again), one task
    fetched at a time per thread, nothing stored as a task result (the stream is the result)."""
    _require()
    from celery import Celery

    app = Celery("customsrc", broker=broker, set_as_current=False)
    app.conf.update(
        task_acks_late=True,
        task_reject_on_worker_lost=True,
        worker_prefetch_multiplier=1,
        task_ignore_result=True,
        task_default_queue=f"{namespace}.polls",
        broker_transport_options={"visibility_timeout": visibility_timeout},
        broker_connection_retry_on_startup=True,
        worker_hijack_root_logger=False,
        beat_scheduler="celery.beat:Scheduler",  # in memory: a restarted scheduler simply goes on
    )

    @app.task(name=POLL_TASK)  # type: ignore[untyped-decorator]
    def poll(path: str, report_existing: bool = False) -> dict[str, Any]:
        worker = _worker.get("current")
        if worker is None:
            raise RuntimeError("customsrc.poll runs in `customsrc worker`, which knows the fetch options")
        return worker.poll(path, report_existing)

    @app.task(name=DISPATCH_TASK)  # type: ignore[untyped-decorator]
    def dispatch(paths: list[str], report_existing: bool = False) -> int:
        for path in paths:
            poll.delay(path, report_existing)
        return len(paths)

    return app


def run_worker(app: Any, worker: Worker, concurrency: int, queue: str) -> None:
    """Run a Celery worker in this process (threads: the fetches wait on their scripts)."""
    with _lock:
        _worker["current"] = worker
    app.worker_main(
        [
            "worker",
            "--pool",
            "threads",
            "--concurrency",
            str(concurrency),
            "--queues",
            queue,
            "--loglevel",
            "WARNING",
            "--without-gossip",
            "--without-mingle",
            "--without-heartbeat",
            "--hostname",
            f"customsrc-{os.getpid()}@%h",
        ]
    )


def run_scheduler(app: Any, paths: list[str], every: float, report_existing: bool) -> None:
    """Celery beat with one entry: every ``every`` seconds, a dispatch of one poll per source."""
    app.conf.beat_schedule = {
        "customsrc-poll": {"task": DISPATCH_TASK, "schedule": every, "args": (paths, report_existing)}
    }
    app.Beat(loglevel="WARNING", quiet=True).run()
