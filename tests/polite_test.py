"""Politeness towards shared repositories: per-host concurrency and rate, back-off after 429/503,
and identical sources fetched once — each against a real loopback server counting what it saw."""

from __future__ import annotations

import threading
import time
from pathlib import Path
from typing import Any, ClassVar

import pytest

import customsrc
from customsrc.polite import Politeness, host_of
from customsrc.spec import load_source

from . import servers
from .helpers import CLI, source_doc, write_yaml


class Counting(servers.Quiet):
    """Answers ``[{"version": "1.0"}]`` after ``delay`` seconds; records arrival times and the
    highest number of requests in flight. ``status`` answers instead (with ``Retry-After``)."""

    delay: ClassVar[float] = 0.3
    status: ClassVar[int] = 200
    arrivals: ClassVar[list[float]] = []
    in_flight: ClassVar[list[int]] = [0, 0]  # now, highest
    lock: ClassVar[threading.Lock] = threading.Lock()

    def do_GET(self) -> None:
        with self.lock:
            self.arrivals.append(time.monotonic())
            self.in_flight[0] += 1
            self.in_flight[1] = max(self.in_flight[1], self.in_flight[0])
        time.sleep(self.delay)
        with self.lock:
            self.in_flight[0] -= 1
        if self.status != 200:
            self.reply(self.status, b"slow down", {"Retry-After": "60"})
        else:
            self.reply(200, b'[{"version": "1.0"}]', {"Content-Type": "application/json"})


def counting(status: int = 200, delay: float = 0.3) -> Any:
    handler = type("C", (Counting,), {"status": status, "delay": delay, "arrivals": [], "in_flight": [0, 0]})
    return handler, servers.serving(handler, backlog=32)


SCRIPT = """set -euo pipefail
code=$(curl -s -o "$HARNESS_ARTIFACT_RESULT_PATH" -w '%{http_code}' "$REPO_URL/versions")
[ "$code" = 200 ] || { echo "HTTP $code from $REPO_URL (rate limited: retry after 60 s)" >&2; exit 1; }
"""


def sources(tmp_path: Path, url: str, count: int, *, script: str = SCRIPT) -> list[str]:
    inputs = [{"name": "REPO_URL", "type": "String", "value": url}]
    return [
        str(write_yaml(tmp_path / f"s{i}.yaml", source_doc(script, identifier=f"s{i}", array="$", inputs=inputs)))
        for i in range(count)
    ]


def test_the_host_is_the_first_url_of_the_inputs_else_of_the_script(tmp_path: Path) -> None:
    repo = [{"name": "REPO_URL", "type": "String", "value": "<+input>"}]
    one = load_source(str(write_yaml(tmp_path / "a.yaml", source_doc("curl https://cdn.example.org/x", inputs=repo))))
    assert host_of(one, {"REPO_URL": "https://Registry.Example.com:5000/v2/"}) == "registry.example.com:5000"
    assert host_of(one, {}) == "cdn.example.org"  # no value given: the script's own URL
    none = load_source(str(write_yaml(tmp_path / "b.yaml", source_doc("echo '[]' > x"))))
    assert host_of(none) is None


def test_per_host_bounds_fetches_at_once_from_one_host(tmp_path: Path) -> None:
    handler, server = counting()
    with server as url:
        files = sources(tmp_path, url, 6)
        outcomes = list(customsrc.fetch_many(files, concurrency=6, sandbox="off", polite=Politeness(per_host=2)))
        assert all(o.ok for o in outcomes) and handler.in_flight[1] == 2
        handler.in_flight[1] = 0  # the control: without it all six arrive together
        list(customsrc.fetch_many(files, concurrency=6, sandbox="off"))
        assert handler.in_flight[1] >= 4


@pytest.mark.slow
def test_a_rate_spaces_the_fetches_from_a_host(tmp_path: Path) -> None:
    handler, server = counting(delay=0)
    with server as url:
        host = url.removeprefix("http://")
        files = sources(tmp_path, url, 3)
        polite = Politeness(rates={host: "1/second"})
        assert all(o.ok for o in customsrc.fetch_many(files, concurrency=3, sandbox="off", polite=polite))
        span = handler.arrivals[-1] - handler.arrivals[0]
        assert span >= 1.8, handler.arrivals  # three fetches at one a second: two seconds apart at least
        handler.arrivals.clear()  # the control: unlimited, they arrive at once
        list(customsrc.fetch_many(files, concurrency=3, sandbox="off"))
        assert handler.arrivals[-1] - handler.arrivals[0] < 1


def test_a_host_that_answers_429_is_left_alone_for_the_wait_it_names(tmp_path: Path) -> None:
    handler, server = counting(status=429, delay=0)
    with server as url:
        files = sources(tmp_path, url, 4)
        outcomes = list(customsrc.fetch_many(files, concurrency=1, sandbox="off", polite=Politeness()))
        kinds = [o.error.kind if o.error else "ok" for o in sorted(outcomes, key=lambda o: o.position)]
        assert kinds == ["script_failed", "rate_limited", "rate_limited", "rate_limited"]
        assert len(handler.arrivals) == 1  # the other three never ran
        assert "left alone for another 60 s" in str(outcomes[-1].error)
        handler.arrivals.clear()  # the control: without politeness every source asks again
        list(customsrc.fetch_many(files, concurrency=1, sandbox="off"))
        assert len(handler.arrivals) == 4


def test_identical_sources_are_fetched_once_each_under_its_own_identifier(tmp_path: Path) -> None:
    counter = tmp_path / "runs"
    script = f'echo run >> {counter}; echo \'[{{"version": "2.0"}}]\' > "$HARNESS_ARTIFACT_RESULT_PATH"'
    same = [
        str(write_yaml(tmp_path / f"svc{i}.yaml", source_doc(script, identifier=f"svc{i}", array="$", version="2.0")))
        for i in range(3)
    ]
    inputs = [{"name": "X", "type": "String", "value": "other"}]
    different = write_yaml(
        tmp_path / "x.yaml", source_doc(script, identifier="x", array="$", version="2.0", inputs=inputs)
    )
    outcomes = list(customsrc.fetch_many([*same, str(different)], sandbox="off", dedupe=True))
    assert counter.read_text().count("run") == 2  # the three identical ones once, the different one once
    by_label = {o.label: o for o in outcomes}
    for i in range(3):
        result = by_label[same[i]].result
        assert result is not None and result.selected is not None and result.selected.version == "2.0"
        assert result.expressions["<+artifacts.primary.identifier>"] == f"svc{i}"
    counter.write_text("")  # the control: without dedupe each runs
    list(customsrc.fetch_many(same, sandbox="off"))
    assert counter.read_text().count("run") == 3


def test_watch_flags(cli: CLI, tmp_path: Path) -> None:
    source = sources(tmp_path, "http://127.0.0.1:9", 1)[0]
    state = str(tmp_path / "state.json")
    bad = cli.run("watch", source, "--state", state, "--once", "--per-host", "0")
    assert bad.returncode == 2 and bad.stderr.strip() == "customsrc: error: --per-host must be at least 1"
    bad = cli.run("watch", source, "--state", state, "--once", "--rate", "127.0.0.1:9=lots")
    assert bad.returncode == 2 and "--rate 127.0.0.1:9=lots: not a rate" in bad.stderr
    assert len(bad.stderr.strip().splitlines()) == 1
