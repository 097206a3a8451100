"""fetch_many: bounded, isolated, cancellable, each result tied to its source."""

from __future__ import annotations

import threading
import time
from pathlib import Path

import pytest

import customsrc
from customsrc.errors import Cancelled, ScriptFailed, ScriptTimeout

from . import servers
from .helpers import CLI, marker, need, payload_script, processes_with, source_doc, write_yaml


def source(tmp_path: Path, name: str, script: str, **kw: object) -> Path:
    return write_yaml(tmp_path / f"{name}.yaml", source_doc(script, identifier=name, **kw))  # type: ignore[arg-type]


def good(tmp_path: Path, name: str, delay: float = 0) -> Path:
    return source(tmp_path, name, f"sleep {delay}\n" + payload_script({"items": [{"version": name}]}))


def test_each_result_is_tied_to_its_source_and_yielded_as_it_completes(tmp_path: Path) -> None:
    paths = [good(tmp_path, "slow", 0.8), good(tmp_path, "fast", 0)]
    outcomes = list(customsrc.fetch_many(paths, concurrency=2))
    assert [o.label for o in outcomes] == [str(paths[1]), str(paths[0])]  # fast first
    for outcome in outcomes:
        assert outcome.ok and outcome.result is not None
        assert outcome.result.artifacts[0].version == Path(outcome.label).stem
        assert outcome.position == paths.index(Path(outcome.label))


@pytest.mark.slow
def test_a_failing_or_hanging_source_does_not_delay_or_break_the_others(tmp_path: Path) -> None:
    paths = [
        source(tmp_path, "hangs", "sleep 30", timeout="2s"),
        source(tmp_path, "fails", "echo broken >&2; exit 7"),
        *(good(tmp_path, f"ok{i}") for i in range(4)),
    ]
    start = time.monotonic()
    seen: dict[str, float] = {}
    results = {}
    for outcome in customsrc.fetch_many(paths, concurrency=3):
        seen[Path(outcome.label).stem] = time.monotonic() - start
        results[Path(outcome.label).stem] = outcome
    assert all(seen[f"ok{i}"] < 1.5 for i in range(4)), seen  # not held up by the 2 s timeout
    assert isinstance(results["hangs"].error, ScriptTimeout)
    assert isinstance(results["fails"].error, ScriptFailed)
    assert results["fails"].error.exit_code == 3
    assert all(results[f"ok{i}"].ok for i in range(4))


def test_concurrency_is_bounded(tmp_path: Path) -> None:
    paths = [good(tmp_path, f"s{i}", 0.5) for i in range(4)]
    start = time.monotonic()
    assert all(o.ok for o in customsrc.fetch_many(paths, concurrency=2))
    elapsed = time.monotonic() - start
    assert 0.95 < elapsed < 1.9, elapsed  # two waves of two


def test_cancel_kills_every_running_tree(tmp_path: Path) -> None:
    tag = marker()
    paths = [
        source(
            tmp_path,
            f"long{i}",
            f"(exec -a {tag}-{i} sleep 300) &\nsetsid bash -c 'exec -a {tag}-s{i} sleep 300' &\nwait",
        )
        for i in range(4)
    ]
    cancel = threading.Event()
    threading.Timer(0.5, cancel.set).start()
    start = time.monotonic()
    outcomes = list(customsrc.fetch_many(paths, concurrency=2, cancel=cancel))
    assert time.monotonic() - start < 3
    assert len(outcomes) == 4
    assert all(isinstance(o.error, Cancelled) for o in outcomes)
    assert processes_with(tag) == []


def test_closing_the_iterator_early_stops_the_rest(tmp_path: Path) -> None:
    tag = marker()
    paths = [good(tmp_path, "quick"), *(source(tmp_path, f"long{i}", f"exec -a {tag}-{i} sleep 300") for i in range(2))]
    iterator = customsrc.fetch_many(paths, concurrency=3)
    first = next(iterator)
    assert Path(first.label).stem == "quick"
    start = time.monotonic()
    iterator.close()
    assert time.monotonic() - start < 3
    assert processes_with(tag) == []


def test_per_source_options(tmp_path: Path) -> None:
    path = source(
        tmp_path,
        "needs",
        'echo "[{\\"v\\": \\"$WHO\\"}]" > "$HARNESS_ARTIFACT_RESULT_PATH"',
        array="$",
        version_path="v",
        inputs=[{"name": "WHO", "type": "String", "value": "<+input>"}],
    )
    outcomes = list(customsrc.fetch_many([(path, {"inputs": {"WHO": "a"}}), (path, {"inputs": {"WHO": "b"}})]))
    assert sorted(o.result.artifacts[0].version for o in outcomes if o.result) == ["a", "b"]


def test_safe_to_call_from_several_threads(tmp_path: Path) -> None:
    groups = [[good(tmp_path, f"t{t}_{i}") for i in range(5)] for t in range(3)]
    found: dict[int, list[str]] = {}

    def worker(t: int) -> None:
        found[t] = sorted(
            o.result.artifacts[0].version for o in customsrc.fetch_many(groups[t], concurrency=2) if o.result
        )

    threads = [threading.Thread(target=worker, args=(t,)) for t in range(3)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(60)
    assert found == {t: sorted(f"t{t}_{i}" for i in range(5)) for t in range(3)}


def test_cli_runs_a_folder_as_json_lines(cli: CLI, tmp_path: Path) -> None:
    import json

    folder = tmp_path / "sources"
    folder.mkdir()
    for name in ("a", "b", "c"):
        good(folder, name)
    source(folder, "broken", "exit 9")
    proc = cli.run("run", str(folder), "--format", "json", "--jobs", "2")
    assert proc.returncode == 3  # the worst of the sources' exit codes
    docs = [json.loads(line) for line in proc.stdout.splitlines()]
    assert len(docs) == 4
    by_file = {Path(d["source"]["file"]).stem: d for d in docs}
    assert {k: (d["artifacts"][0]["version"] if d["artifacts"] else None) for k, d in by_file.items()} == {
        "a": "a",
        "b": "b",
        "c": "c",
        "broken": None,
    }
    assert by_file["broken"]["error"]["kind"] == "script_failed"


def test_cli_several_files_table_summary(cli: CLI, tmp_path: Path) -> None:
    paths = [good(tmp_path, "x"), good(tmp_path, "y")]
    proc = cli.run("run", *map(str, paths))
    assert proc.returncode == 0
    lines = proc.stdout.splitlines()
    assert lines[0].split() == ["SOURCE", "STATUS", "VERSIONS", "CHOSEN", "SCRIPT"]
    assert lines[-1] == "2 sources: 2 ok, 0 failed"
    assert cli.run("run", str(paths[0]), str(paths[1]), "--format", "env").returncode == 2
    assert cli.run("run", str(paths[0]), "-").returncode == 2


def test_the_readme_embedding_example_runs(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    import re

    from customsrc.machine import bubblewrap

    need(bubblewrap(), "bubblewrap (a working bwrap)", "apt-get install bubblewrap")  # the example names basic
    readme = (Path(__file__).resolve().parent.parent / "docs" / "library.md").read_text()
    block = next(b for b in re.findall(r"```python\n(.*?)```", readme, re.S) if "fetch_many" in b)
    write_yaml(
        tmp_path / "svc-a.yaml", source_doc(payload_script({"items": [{"version": "svc-a"}]}), identifier="svc_a")
    )
    script = 'echo "[{\\"v\\": \\"$REPO\\"}]" > "$HARNESS_ARTIFACT_RESULT_PATH"'
    inputs = [{"name": "REPO", "type": "String", "value": "<+input>"}]
    write_yaml(
        tmp_path / "svc-b.yaml", source_doc(script, identifier="svc_b", array="$", version_path="v", inputs=inputs)
    )
    monkeypatch.chdir(tmp_path)
    exec(compile(block, "docs/library.md", "exec"), {})
    printed = capsys.readouterr().out.splitlines()
    assert sorted(printed) == ["svc-a.yaml ['svc-a']", "svc-b.yaml ['releases']"]


def test_loaded_sources_work_too(tmp_path: Path) -> None:
    from customsrc.spec import load_source

    loaded = load_source(str(good(tmp_path, "loaded")))
    outcomes = list(customsrc.fetch_many([loaded, (loaded, {"version": "loaded"})]))
    assert sorted(o.result.artifacts[0].version for o in outcomes if o.result) == ["loaded", "loaded"]
    assert {o.label for o in outcomes} == {loaded.file}


@pytest.mark.slow
def test_load_200_concurrent_sources_against_a_loopback_server(tmp_path: Path) -> None:
    import json

    served: list[str] = []

    class Items(servers.Quiet):
        def do_GET(self) -> None:
            number = self.path.rsplit("/", 1)[-1]
            served.append(number)
            self.reply(200, json.dumps([{"version": f"v{number}", "n": number}]).encode())

    with servers.serving(Items, backlog=512) as url:  # 200 clients connect at once
        script = (
            'set -euo pipefail\ncurl --fail --silent --show-error -o "$HARNESS_ARTIFACT_RESULT_PATH" "$URL/item/$ID"\n'
        )
        doc = source_doc(
            script,
            identifier="item",
            array="$",
            attributes=[("n", "n")],
            inputs=[
                {"name": "URL", "type": "String", "value": url},
                {"name": "ID", "type": "String", "value": "<+input>"},
            ],
        )
        path = write_yaml(tmp_path / "item.yaml", doc)
        from customsrc.spec import load_source

        source_obj = load_source(str(path))
        jobs = [(source_obj, {"inputs": {"ID": str(i)}}) for i in range(200)]
        start = time.monotonic()
        outcomes = list(customsrc.fetch_many(jobs, concurrency=200))
        elapsed = time.monotonic() - start
    assert len(outcomes) == 200
    failures = [(o.position, o.error.message) for o in outcomes if o.error]
    assert failures == []
    for outcome in outcomes:  # every result is its own source's
        assert outcome.result is not None
        assert [(a.version, a.metadata["n"]) for a in outcome.result.artifacts] == [
            (f"v{outcome.position}", str(outcome.position))
        ]
    assert sorted(outcome.position for outcome in outcomes) == list(range(200))
    assert sorted(served, key=int) == [str(i) for i in range(200)]
    assert elapsed < 60


def test_the_options_record_example_runs(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    import re

    from customsrc.machine import bubblewrap

    need(bubblewrap(), "bubblewrap (a working bwrap)", "apt-get install bubblewrap")  # the example names strict
    docs = (Path(__file__).resolve().parent.parent / "docs" / "library.md").read_text()
    block = next(b for b in re.findall(r"```python\n(.*?)```", docs, re.S) if "FetchOptions(" in b)
    write_yaml(tmp_path / "svc-a.yaml", source_doc(payload_script({"items": [{"version": "s3cr3t-value"}]})))
    script = 'echo "[{\\"v\\": \\"$REPO\\"}]" > "$HARNESS_ARTIFACT_RESULT_PATH"'
    inputs = [{"name": "REPO", "type": "String", "value": "<+input>"}]
    write_yaml(tmp_path / "svc-b.yaml", source_doc(script, identifier="b", array="$", version_path="v", inputs=inputs))
    monkeypatch.chdir(tmp_path)
    exec(compile(block, "docs/library.md", "exec"), {})
    printed = capsys.readouterr().out.splitlines()
    assert printed[0] == "- ['**************']"  # the secret is masked in what comes back
    assert sorted(printed[1:]) == ["svc-a.yaml True", "svc-b.yaml True"]
    with pytest.raises(customsrc.UsageError, match="unknown fetch option"):
        customsrc.FetchOptions().replace(sandboxx="strict")
    with pytest.raises(customsrc.UsageError, match="unknown level"):
        list(customsrc.fetch_many(["svc-a.yaml"], options=customsrc.FetchOptions(sandbox="tight")))
