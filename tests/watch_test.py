"""watch: new versions reported once, across failed fetches, crashes and restarts."""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import time
from pathlib import Path
from typing import Any

import pytest

from customsrc import watch as watch_module
from customsrc.watch import StateStore, poll

from .helpers import CLI, marker, processes_with, source_doc, wait_for_process, write_yaml


class Crash(BaseException):
    """A simulated kill -9: nothing after it runs, nothing catches it."""


def versions_source(tmp_path: Path, name: str = "src") -> tuple[Path, Path]:
    """A source listing the versions written in a file the test controls (one per line)."""
    listing = tmp_path / f"{name}.versions"
    listing.write_text("")
    script = f"""set -euo pipefail
{{ echo '['; sep=''; while read -r v; do [ -n "$v" ] && printf '%s{{"version": "%s", "n": "%s"}}' "$sep" "$v" "$v" && sep=','; done < {listing}; echo ']'; }} > "$HARNESS_ARTIFACT_RESULT_PATH"
"""
    path = write_yaml(
        tmp_path / f"{name}.yaml", source_doc(script, identifier=name, array="$", attributes=[("n", "n")])
    )
    return path, listing


def run_poll(state: Path, sources: list[Path], **kw: Any) -> list[dict[str, Any]]:
    events: list[dict[str, Any]] = []
    poll(StateStore(str(state)), [str(s) for s in sources], events.append, sandbox="off", **kw)
    return events


def test_first_poll_is_the_baseline_then_each_new_version_once(tmp_path: Path) -> None:
    source, listing = versions_source(tmp_path)
    state = tmp_path / "state.json"
    listing.write_text("1.0\n1.1\n")
    assert run_poll(state, [source]) == []
    listing.write_text("1.2\n1.0\n1.1\n")
    events = run_poll(state, [source])
    assert [(e["version"], e["metadata"]) for e in events] == [("1.2", {"n": "1.2"})]
    assert events[0]["identifier"] == "src"
    assert run_poll(state, [source]) == []
    assert json.loads(state.read_text())["outbox"] == []


def test_report_existing(tmp_path: Path) -> None:
    source, listing = versions_source(tmp_path)
    listing.write_text("1.0\n")
    assert [e["version"] for e in run_poll(tmp_path / "s.json", [source], report_existing=True)] == ["1.0"]


def test_a_failed_fetch_never_erases_known_versions(tmp_path: Path) -> None:
    source, listing = versions_source(tmp_path)
    state = tmp_path / "state.json"
    listing.write_text("1.0\n")
    run_poll(state, [source])
    listing.unlink()  # the script now fails
    warnings: list[str] = []
    assert run_poll(state, [source], warn=warnings.append) == []
    assert warnings and "known versions kept" in warnings[0]
    listing.write_text("1.0\n2.0\n")
    assert [e["version"] for e in run_poll(state, [source])] == ["2.0"]  # 1.0 was not forgotten


def test_kill_between_write_and_rename_loses_and_repeats_nothing(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    source, listing = versions_source(tmp_path)
    state = tmp_path / "state.json"
    listing.write_text("1.0\n")
    run_poll(state, [source])
    listing.write_text("1.0\n2.0\n3.0\n")
    reported: list[str] = []
    real_replace = os.replace

    def crash_before_rename(src: str, dst: str) -> None:
        raise Crash  # the temp file is written and fsynced; the rename never happens

    monkeypatch.setattr(watch_module.os, "replace", crash_before_rename)
    with pytest.raises(Crash):
        poll(StateStore(str(state)), [str(source)], lambda e: reported.append(e["version"]), sandbox="off")
    assert reported == []  # nothing was reported before the state was safe
    monkeypatch.setattr(watch_module.os, "replace", real_replace)
    # "restart": a new process reads the state file, which still holds the old state
    assert json.loads(state.read_text())["sources"][next(iter(json.loads(state.read_text())["sources"]))]["known"] == [
        "1.0"
    ]
    poll(StateStore(str(state)), [str(source)], lambda e: reported.append(e["version"]), sandbox="off")
    poll(StateStore(str(state)), [str(source)], lambda e: reported.append(e["version"]), sandbox="off")
    assert reported == ["2.0", "3.0"]


def test_kill_after_the_state_is_saved_but_before_reporting(tmp_path: Path) -> None:
    source, listing = versions_source(tmp_path)
    state = tmp_path / "state.json"
    listing.write_text("1.0\n")
    run_poll(state, [source])
    listing.write_text("1.0\n2.0\n")

    def crash(_event: dict[str, Any]) -> None:
        raise Crash

    with pytest.raises(Crash):
        poll(StateStore(str(state)), [str(source)], crash, sandbox="off")
    assert [e["version"] for e in json.loads(state.read_text())["outbox"]] == ["2.0"]
    # restart with nothing new on the server: the outbox is still reported, once
    assert [e["version"] for e in run_poll(state, [source])] == ["2.0"]
    assert run_poll(state, [source]) == []


def test_no_duplicate_or_lost_events_across_many_restarts(tmp_path: Path) -> None:
    sources = [versions_source(tmp_path, f"s{i}") for i in range(3)]
    state = tmp_path / "state.json"
    seen: list[tuple[str, str]] = []
    for round_number in range(6):
        for i, (_, listing) in enumerate(sources):
            listing.write_text("".join(f"{r}.{i}\n" for r in range(round_number + 1)))
        seen += [
            (e["identifier"], e["version"]) for e in run_poll(state, [p for p, _ in sources])
        ]  # a new StateStore: a restart
    expected = [(f"s{i}", f"{r}.{i}") for r in range(1, 6) for i in range(3)]
    assert sorted(seen) == sorted(expected)
    assert len(seen) == len(set(seen))


def test_cli_once_and_on_new(cli: CLI, tmp_path: Path) -> None:
    source, listing = versions_source(tmp_path)
    for path in (tmp_path, listing):
        path.chmod(0o755 if path.is_dir() else 0o644)
    log = tmp_path / "on-new.log"
    argv = [
        "watch",
        str(source),
        "--state",
        str(tmp_path / "st.json"),
        "--once",
        "--report-existing",
        "--sandbox",
        "off",
        "--on-new",
        f'echo "$CUSTOMSRC_VERSION $CUSTOMSRC_METADATA_N" >> {log}',
    ]
    listing.write_text("1.0\n")
    first = cli.run(*argv)
    assert first.returncode == 0, first.stderr
    assert [json.loads(line)["version"] for line in first.stdout.splitlines()] == ["1.0"]
    listing.write_text("1.0\n1.1\n")
    second = cli.run(*argv)
    assert [json.loads(line)["version"] for line in second.stdout.splitlines()] == ["1.1"]
    assert log.read_text() == "1.0 1.0\n1.1 1.1\n"


def test_sigterm_stops_cleanly_and_kills_running_scripts(tmp_path: Path) -> None:
    tag = marker()
    script = f"(exec -a {tag} sleep 300) &\nwait\n"
    source = write_yaml(tmp_path / "slow.yaml", source_doc(script, identifier="slow"))
    proc = subprocess.Popen(
        [
            sys.executable,
            "-m",
            "customsrc.cli",
            "watch",
            str(source),
            "--state",
            str(tmp_path / "st.json"),
            "--every",
            "1h",
        ],
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    wait_for_process(tag, 10)
    start = time.monotonic()
    proc.send_signal(signal.SIGTERM)
    assert proc.wait(10) == 0
    assert time.monotonic() - start < 3
    assert processes_with(tag) == []


def _cli_watch(tmp_path: Path, source: Path, *extra: str) -> list[str]:
    return ["watch", str(source), "--state", str(tmp_path / "st.json"), "--sandbox", "off", *extra]


def test_once_exits_1_when_a_fetch_failed(cli: CLI, tmp_path: Path) -> None:
    good, listing = versions_source(tmp_path, "good")
    listing.write_text("1.0\n")
    bad = write_yaml(tmp_path / "bad.yaml", source_doc("exit 7\n", identifier="bad", array="$"))
    assert cli.run(*_cli_watch(tmp_path, good, "--once")).returncode == 0
    proc = cli.run("watch", str(good), str(bad), "--state", str(tmp_path / "st.json"), "--sandbox", "off", "--once")
    assert proc.returncode == 1  # cron sees it; the good source was still recorded
    assert "bad.yaml: the script exited with code 7" in proc.stderr


@pytest.mark.parametrize("option", [["--format", "table"], ["--limit", "5"], ["--explain"]])
def test_options_watch_cannot_honour_are_refused(cli: CLI, tmp_path: Path, option: list[str]) -> None:
    source, _ = versions_source(tmp_path)
    proc = cli.run(*_cli_watch(tmp_path, source, "--once", *option))
    assert proc.returncode == 2
    assert proc.stderr == f"customsrc: error: watch prints one JSON line per new version: {option[0]} does not apply\n"


@pytest.mark.parametrize(
    "broken",
    [
        {"format": 1, "sources": {}, "outbox": [1, "x", None]},
        {"format": 1, "sources": {"a": {"known": [1, 2]}}, "outbox": []},
        {"format": 1, "sources": {}, "outbox": [{"version": "1"}]},
        [[[[]]]],
    ],
)
def test_a_state_with_wrong_inner_types_is_refused(cli: CLI, tmp_path: Path, broken: Any) -> None:
    source, _ = versions_source(tmp_path)
    (tmp_path / "st.json").write_text(json.dumps(broken))
    proc = cli.run(*_cli_watch(tmp_path, source, "--once"))
    assert proc.returncode == 2, proc.stderr
    assert proc.stdout == "" and len(proc.stderr.splitlines()) == 1 and "move" in proc.stderr


def test_temporary_files_a_kill_left_are_removed(tmp_path: Path) -> None:
    state = tmp_path / "st.json"
    StateStore(str(state)).save()
    left = tmp_path / "st.json.0123456789ab.tmp"
    left.write_text("half")
    other = tmp_path / "unrelated.tmp"
    other.write_text("keep")
    StateStore(str(state))
    assert not left.exists() and other.exists()


@pytest.mark.slow
def test_kill_9_at_random_moments_loses_nothing_and_repeats_only_with_the_same_id(tmp_path: Path) -> None:
    """The chaos test: kill -9 during polls and during a slow --on-new; every version is reported,
    every hook call carries the event's id, and a repeat is only ever the event being reported
    when the kill came, with the id it had."""
    import random

    source, listing = versions_source(tmp_path)
    for path in (tmp_path, listing):
        path.chmod(0o755 if path.is_dir() else 0o644)
    log = tmp_path / "hook.log"
    hook = f'echo "$CUSTOMSRC_EVENT_ID $CUSTOMSRC_VERSION" >> {log}; sleep 0.05'
    argv = [sys.executable, "-m", "customsrc.cli", *_cli_watch(tmp_path, source, "--on-new", hook), "--every", "0.1s"]
    env = {k: v for k, v in os.environ.items() if not k.startswith("CUSTOMSRC_")}
    rng = random.Random(11)
    versions: list[str] = []
    printed: list[dict[str, Any]] = []
    listing.write_text("base\n")
    subprocess.run([*argv[:-2], "--once"], env=env, capture_output=True, check=True, cwd=tmp_path)  # baseline
    for kill in range(20):
        versions += [f"{kill}.{i}" for i in range(rng.randint(1, 3))]
        listing.write_text("base\n" + "".join(v + "\n" for v in versions))
        proc = subprocess.Popen(
            argv, env=env, stdout=subprocess.PIPE, stderr=subprocess.DEVNULL, text=True, cwd=tmp_path
        )
        time.sleep(rng.uniform(0.05, 0.6))
        proc.send_signal(signal.SIGKILL)
        out, _ = proc.communicate()
        printed += [json.loads(line) for line in out.splitlines() if line.strip()]
    final = subprocess.run([*argv[:-2], "--once"], env=env, capture_output=True, text=True, check=True, cwd=tmp_path)
    printed += [json.loads(line) for line in final.stdout.splitlines()]
    hooked = [line.split() for line in log.read_text().splitlines()] if log.exists() else []
    assert sorted({e["version"] for e in printed}) == sorted(versions)  # nothing lost
    ids = {e["version"]: e["id"] for e in printed}
    assert all(e["id"] == ids[e["version"]] for e in printed)  # a repeat has the same id
    assert all(ids[version] == event_id for event_id, version in hooked)  # every hook call has it
    assert {version for _, version in hooked} == set(versions)  # and every version's hook ran
    repeats = len(printed) - len(ids)
    assert repeats <= 20  # at most the one event in hand at each kill


def fetched(label: str, versions: list[str]) -> Any:
    """An Outcome as fetch_many yields it, for the bookkeeping alone (no script runs)."""
    import tempfile

    from customsrc.many import Outcome
    from customsrc.mapping import Artifact
    from customsrc.result import FetchResult
    from customsrc.spec import load_source

    with tempfile.TemporaryDirectory() as folder:
        loaded = load_source(str(write_yaml(Path(folder) / "s.yaml", source_doc("true", identifier="a"))))
    result = FetchResult(loaded._replace(file=label))
    result.artifacts = [Artifact(v, {"n": v}, i) for i, v in enumerate(versions)]
    return Outcome(0, label, result, None)


def test_draining_is_linear_one_write_for_the_whole_outbox(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """Before, every event rewrote and fsynced the whole state (quadratic: 130 s for 4,000). Now each
    delivery is one journal line and the drained outbox one atomic write."""
    store = StateStore(str(tmp_path / "state.json"))
    versions = [f"1.{i}" for i in range(3000)]
    watch_module.record(store, [fetched("/s/a.yaml", versions)], report_existing=True)
    saves: list[int] = []
    original = StateStore.save
    monkeypatch.setattr(StateStore, "save", lambda self: (saves.append(1), original(self)))
    reported: list[str] = []
    watch_module._drain(store, lambda e: reported.append(e["version"]))
    assert reported == versions and len(saves) == 1
    assert not Path(store.journal_path).exists() and json.loads((tmp_path / "state.json").read_text())["outbox"] == []


def test_a_kill_mid_drain_repeats_at_most_the_event_it_interrupted(tmp_path: Path) -> None:
    state = tmp_path / "state.json"
    store = StateStore(str(state))
    watch_module.record(store, [fetched("/s/a.yaml", ["1", "2", "3", "4", "5"])], report_existing=True)
    store.save()
    delivered: list[str] = []

    def report(event: dict[str, Any]) -> None:
        if event["version"] == "3":
            raise Crash  # killed while reporting 3: 1 and 2 were delivered and journalled
        delivered.append(event["version"])

    with pytest.raises(Crash):
        watch_module._drain(store, report)
    assert Path(store.journal_path).read_text().count("\n") == 2
    restarted = StateStore(str(state))  # the journal is replayed: 1 and 2 are not reported again
    watch_module._drain(restarted, lambda e: delivered.append(e["version"]))
    assert delivered == ["1", "2", "3", "4", "5"]
    assert not Path(restarted.journal_path).exists()


def test_keep_bounds_what_is_remembered_but_never_forgets_a_listed_version(tmp_path: Path) -> None:
    store = StateStore(str(tmp_path / "state.json"))
    watch_module.record(store, [fetched("/s/a.yaml", ["1", "2", "3", "4", "5"])], keep=1)
    watch_module.record(store, [fetched("/s/a.yaml", ["4", "5", "6"])], keep=1)
    (entry,) = store.state["sources"].values()
    assert entry["known"] == ["3", "4", "5", "6"]  # 1 and 2 no longer listed and beyond --keep 1
    assert [e["version"] for e in store.state["outbox"]] == ["6"]
    watch_module.record(store, [fetched("/s/a.yaml", ["5", "6"])], keep=0)
    assert store.state["sources"]["/s/a.yaml#a"]["known"] == ["5", "6"]  # keep 0: only what is listed
    # The control: with the default, nothing listed before is forgotten.
    other = StateStore(str(tmp_path / "other.json"))
    watch_module.record(other, [fetched("/s/a.yaml", ["1", "2", "3"])])
    watch_module.record(other, [fetched("/s/a.yaml", ["3"])])
    assert next(iter(other.state["sources"].values()))["known"] == ["1", "2", "3"]


def test_shards_split_the_sources_stably_and_completely(cli: CLI, tmp_path: Path) -> None:
    from customsrc.commands.watch import select_shard
    from customsrc.errors import UsageError

    files = [f"sources/team-{i}/app.yaml" for i in range(60)]
    parts = [select_shard(files, f"{i}/3") for i in range(3)]
    assert sorted(f for part in parts for f in part) == sorted(files)  # every source in exactly one shard
    assert all(10 <= len(p) <= 30 for p in parts)  # and spread
    assert select_shard(list(reversed(files)), "1/3") == list(reversed(parts[1]))  # stable
    for bad in ("3/3", "1", "a/b", "1/0", "-1/3"):
        with pytest.raises(UsageError):
            select_shard(files, bad)
    sources = [versions_source(tmp_path, f"s{i}")[0] for i in range(6)]
    polled = []
    for i in range(2):
        state = tmp_path / f"state-{i}.json"
        proc = cli.run(
            "watch", *map(str, sources), "--state", str(state), "--once", "--shard", f"{i}/2", "--sandbox", "off"
        )
        assert proc.returncode == 0, proc.stderr
        polled.append({k.split("#")[1] for k in json.loads(state.read_text())["sources"]})
    assert polled[0] | polled[1] == {f"s{i}" for i in range(6)} and not polled[0] & polled[1]
    assert cli.run("watch", str(sources[0]), "--state", str(tmp_path / "x.json"), "--shard", "2/2").returncode == 2
