"""The distributed mode with a real redis-server and real Celery worker processes: every version in
the stream exactly once (worker and scheduler killed at random), the shared rate limit, the shared
back-off after a 429."""

from __future__ import annotations

import contextlib
import json
import os
import random
import shutil
import signal
import subprocess
import threading
import time
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any, ClassVar

import pytest

from . import servers
from .helpers import CLI, need, source_doc, write_yaml

pytest.importorskip("celery", reason="tool missing: celery (pip install 'customsrc[celery]'; nox -s tests does)")
redis_client = pytest.importorskip("redis", reason="tool missing: redis (pip install 'customsrc[celery]')")


@pytest.fixture
def redis_url(tmp_path: Path) -> Iterator[str]:
    binary = shutil.which("redis-server") or "/usr/bin/redis-server"
    need(os.path.isfile(binary) and os.access(binary, os.X_OK), "redis-server", "apt-get install redis-server")
    port = servers.free_port()
    argv = [binary, "--port", str(port), "--bind", "127.0.0.1", "--save", "", "--appendonly", "no"]
    with servers.process(argv, port, cwd=str(tmp_path)):
        yield f"redis://127.0.0.1:{port}/0"


class Versions(servers.Quiet):
    """GET /sN: source N's versions as a JSON array; records arrivals; ``answer_429`` first requests get 429."""

    listing: ClassVar[dict[str, list[str]]] = {}
    arrivals: ClassVar[list[float]] = []
    answer_429: ClassVar[list[int]] = [0]
    lock: ClassVar[threading.Lock] = threading.Lock()

    def do_GET(self) -> None:
        with self.lock:
            self.arrivals.append(time.monotonic())
            refuse = self.answer_429[0] > 0
            self.answer_429[0] -= 1 if refuse else 0
        if refuse:
            self.reply(429, b"slow down", {"Retry-After": "4"})
            return
        versions = self.listing.get(self.path.strip("/"), [])
        self.reply(200, json.dumps([{"version": v} for v in versions]).encode(), {"Content-Type": "application/json"})


SCRIPT = """set -euo pipefail
code=$(curl -s -o "$HARNESS_ARTIFACT_RESULT_PATH" -w '%{http_code}' "$REPO_URL/$NAME")
[ "$code" = 200 ] || { echo "HTTP $code from $REPO_URL (rate limited: retry after 4 s)" >&2; exit 1; }
"""


def make_sources(folder: Path, url: str, count: int) -> list[Path]:
    folder.mkdir()
    paths = []
    for i in range(count):
        inputs = [
            {"name": "REPO_URL", "type": "String", "value": url},
            {"name": "NAME", "type": "String", "value": f"s{i}"},
        ]
        doc = source_doc(SCRIPT, identifier=f"s{i}", array="$", inputs=inputs)
        paths.append(write_yaml(folder / f"s{i}.yaml", doc))
    return paths


def wait_until(done: Callable[[], bool], seconds: float, what: str) -> None:
    deadline = time.monotonic() + seconds
    while not done():
        if time.monotonic() > deadline:
            raise AssertionError(f"not within {seconds} s: {what}")
        time.sleep(0.1)


class Cluster:
    def __init__(self, cli: CLI, url: str, tmp_path: Path) -> None:
        self.cli, self.url, self.tmp_path = cli, url, tmp_path
        self.redis = redis_client.Redis.from_url(url)
        self.workers: list[subprocess.Popen[str]] = []
        self.logs: list[Any] = []

    def worker(self, *extra: str) -> subprocess.Popen[str]:
        log = open(self.tmp_path / f"worker-{len(self.workers)}.log", "w")  # noqa: SIM115 - closed in stop()
        self.logs.append(log)
        proc = self.cli.start(
            "worker", "--broker", self.url, "--sandbox", "off", "--concurrency", "4", "--visibility-timeout", "4",
            *extra, stdout=log, stderr=subprocess.STDOUT, start_new_session=True,
        )  # fmt: skip
        self.workers.append(proc)
        return proc

    def schedule(self, paths: list[Path], *extra: str) -> None:
        done = self.cli.run("scheduler", "--broker", self.url, "--once", *map(str, paths), *extra)
        assert done.returncode == 0, done.stderr

    def idle(self) -> bool:
        return self.redis.llen("customsrc.polls") == 0 and self.redis.hlen("unacked") == 0

    def events(self) -> list[dict[str, Any]]:
        done = self.cli.run("events", "--broker", self.url)
        assert done.returncode == 0, done.stderr
        return [json.loads(line) for line in done.stdout.splitlines()]

    def stop(self) -> None:
        for proc in self.workers:
            with contextlib.suppress(ProcessLookupError):
                proc.kill()
            proc.wait()
        for log in self.logs:
            log.close()


@pytest.fixture
def cluster(cli: CLI, redis_url: str, tmp_path: Path) -> Iterator[Cluster]:
    made = Cluster(cli, redis_url, tmp_path)
    try:
        yield made
    finally:
        made.stop()


@pytest.mark.slow
def test_workers_killed_at_random_lose_no_version_and_repeat_none(cluster: Cluster, tmp_path: Path) -> None:
    handler = type("V", (Versions,), {"listing": {}, "arrivals": [], "answer_429": [0]})
    with servers.serving(handler, backlog=64) as url:
        paths = make_sources(tmp_path / "sources", url, 1000)
        handler.listing.update({f"s{i}": ["1.0"] for i in range(1000)})
        for _ in range(3):
            cluster.worker()
        cluster.schedule(paths)  # the first poll of each source is its baseline: no events
        wait_until(lambda: cluster.redis.hlen("customsrc:sources") == 1000, 120, "1,000 baselines")
        assert cluster.events() == []
        for i in range(1000):
            handler.listing[f"s{i}"].append("1.1")
        cluster.schedule(paths)
        wait_until(cluster.idle, 120, "the second round")
        first = cluster.events()
        assert sorted(e["version"] for e in first) == ["1.1"] * 1000
        assert len({e["identifier"] for e in first}) == 1000

        # Round three, with a worker killed -9 at random moments and replaced, and every poll queued twice.
        rng = random.Random(7)
        for i in range(1000):
            handler.listing[f"s{i}"].append("2.0")
        cluster.schedule(paths)
        cluster.schedule(paths)
        for _ in range(6):
            time.sleep(rng.uniform(0.1, 0.6))
            victim = rng.choice([w for w in cluster.workers if w.poll() is None])
            victim.send_signal(signal.SIGKILL)
            victim.wait()
            cluster.worker()
        wait_until(cluster.idle, 180, "the third round, after the kills (tasks delivered again)")
        events = cluster.events()
        third = [e for e in events if e["version"] == "2.0"]
        assert len(third) == 1000 and len({e["identifier"] for e in third}) == 1000  # none lost, none twice
        assert len(events) == 2000
        resumed = cluster.cli.run("events", "--broker", cluster.url, "--after", first[-1]["cursor"])
        assert [json.loads(line)["version"] for line in resumed.stdout.splitlines()] == ["2.0"] * 1000


@pytest.mark.slow
def test_a_scheduler_killed_and_restarted_repeats_no_event(cluster: Cluster, cli: CLI, tmp_path: Path) -> None:
    handler = type("V", (Versions,), {"listing": {}, "arrivals": [], "answer_429": [0]})
    with servers.serving(handler) as url:
        paths = make_sources(tmp_path / "sources", url, 20)
        handler.listing.update({f"s{i}": ["1"] for i in range(20)})
        cluster.worker()
        beat_args = ("scheduler", "--broker", cluster.url, "--every", "1s", *map(str, paths))
        beat = cli.start(*beat_args, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL, start_new_session=True)
        try:
            wait_until(lambda: cluster.redis.hlen("customsrc:sources") == 20, 60, "the baselines")
            rng = random.Random(3)
            for round_number in range(2, 6):
                for i in range(20):
                    handler.listing[f"s{i}"].append(str(round_number))
                time.sleep(rng.uniform(0.2, 1.5))
                beat.send_signal(signal.SIGKILL)
                beat.wait()
                beat = cli.start(
                    *beat_args, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL, start_new_session=True
                )
            wait_until(lambda: len(cluster.events()) == 80, 60, "every version of every round")
            time.sleep(2.5)  # more polls of the same listings: nothing more may appear
        finally:
            beat.kill()
            beat.wait()
    events = cluster.events()
    assert sorted((e["identifier"], e["version"]) for e in events) == sorted(
        (f"s{i}", str(r)) for i in range(20) for r in range(2, 6)
    )


@pytest.mark.slow
def test_the_rate_limit_holds_across_workers(cluster: Cluster, tmp_path: Path) -> None:
    handler = type("V", (Versions,), {"listing": {}, "arrivals": [], "answer_429": [0]})
    with servers.serving(handler, backlog=32) as url:
        host = url.removeprefix("http://")
        paths = make_sources(tmp_path / "sources", url, 24)
        for _ in range(2):
            cluster.worker("--rate", f"{host}=4/second")
        cluster.schedule(paths, "--report-existing")
        wait_until(lambda: cluster.redis.hlen("customsrc:sources") == 24, 60, "24 polls at 4 a second")
        times = sorted(handler.arrivals)
        # The limit holds where the polls start; each reaches the server after its own bash and curl
        # start-up (tens of ms, more on a busy machine), so arrivals are measured in windows a little
        # shorter than the second. 24 polls at 4 a second span 5 s (two workers limited each on its
        # own would take half that).
        busiest = max(sum(1 for t in times if start <= t < start + 0.75) for start in times)
        assert len(times) == 24 and busiest <= 4 and times[-1] - times[0] >= 4.5, (busiest, times[-1] - times[0])
        # The control: the same polls without a rate arrive far faster than 4 a second.
        handler.arrivals.clear()
        cluster.redis.delete("customsrc:sources")
        cluster.stop()
        cluster.workers = []
        for _ in range(2):
            cluster.worker()
        cluster.schedule(paths, "--report-existing")
        wait_until(lambda: cluster.redis.hlen("customsrc:sources") == 24, 60, "24 polls unlimited")
        times = sorted(handler.arrivals)
        assert max(sum(1 for t in times if start <= t < start + 0.75) for start in times) > 4
        assert times[-1] - times[0] < 4.5


@pytest.mark.slow
def test_a_429_with_retry_after_pauses_the_host_for_every_worker(cluster: Cluster, tmp_path: Path) -> None:
    handler = type("V", (Versions,), {"listing": {}, "arrivals": [], "answer_429": [1]})
    with servers.serving(handler) as url:
        host = url.removeprefix("http://")
        paths = make_sources(tmp_path / "sources", url, 8)
        handler.listing.update({f"s{i}": ["1"] for i in range(8)})
        cluster.worker("--concurrency", "1")
        cluster.worker("--concurrency", "1")
        cluster.schedule(paths[:1])
        wait_until(cluster.idle, 30, "the refused poll")
        ttl = cluster.redis.pttl(f"customsrc:pause:{host}")
        assert 2000 < ttl <= 4000  # Retry-After: 4, shared through Redis
        cluster.schedule(paths)
        wait_until(cluster.idle, 30, "the paused round")
        assert len(handler.arrivals) == 1  # nobody asked the host while it said to wait
        time.sleep(ttl / 1000)
        cluster.schedule(paths)
        wait_until(lambda: cluster.redis.hlen("customsrc:sources") == 8, 30, "the round after the pause")
        assert len(handler.arrivals) == 9
