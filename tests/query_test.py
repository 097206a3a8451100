"""--query: JMESPath over the JSON a command prints, as the AWS CLI does."""

from __future__ import annotations

import json
from pathlib import Path

from .helpers import CLI, source_doc, write_yaml

ITEMS = [
    {"version": "2.0.0", "isRelease": "true", "url": "u2"},
    {"version": "2.1.0-SNAPSHOT", "isRelease": "false", "url": "u21"},
    {"version": "1.9.0", "isRelease": "true", "url": "u19"},
]
SCRIPT = f"cat > \"$HARNESS_ARTIFACT_RESULT_PATH\" <<'JSON'\n{json.dumps(ITEMS)}\nJSON\n"


def source(cli: CLI) -> Path:
    return cli.source(
        SCRIPT, array="$", version_path="version", attributes=[("isRelease", "isRelease"), ("url", "url")]
    )


def test_query_prints_the_part_asked_for(cli: CLI) -> None:
    path = source(cli)
    releases = cli.run("run", str(path), "-q", "--query", "artifacts[?metadata.isRelease=='true'].version")
    assert (releases.returncode, releases.stdout) == (0, "2.0.0\n1.9.0\n")  # text: one per line
    as_json = cli.run("run", str(path), "-q", "--format", "json", "--query", "artifacts[0].metadata")
    assert json.loads(as_json.stdout) == {"isRelease": "true", "url": "u2"}
    nothing = cli.run("run", str(path), "-q", "--query", "artifacts[?version=='9'].version")
    assert (nothing.returncode, nothing.stdout) == (0, "")


def test_a_bad_query_is_refused_before_the_script_runs(cli: CLI, tmp_path: Path) -> None:
    ran = tmp_path / "ran"
    path = cli.source(f"touch {ran}\n" + SCRIPT, array="$", version_path="version")
    proc = cli.run("run", str(path), "--sandbox", "off", "--query", "artifacts[?")
    assert proc.returncode == 2
    assert proc.stderr.startswith("customsrc: error: --query 'artifacts[?': invalid JMESPath")
    assert not ran.exists()


def test_query_over_several_sources_and_the_gallery(cli: CLI, tmp_path: Path) -> None:
    folder = tmp_path / "many"
    folder.mkdir()
    for name in ("a", "b"):
        write_yaml(folder / f"{name}.yaml", source_doc(SCRIPT, identifier=name, array="$", version="1.9.0"))
    proc = cli.run("run", str(folder), "-q", "--query", "selected.version")
    assert (proc.returncode, proc.stdout) == (0, "1.9.0\n1.9.0\n")
    names = cli.run("gallery", "list", "--query", "[?contains(requires, 'python3')].name").stdout.split()
    assert "maven-metadata" in names and len(names) >= 12


def test_watch_prints_the_query_of_each_event(cli: CLI, tmp_path: Path) -> None:
    path = source(cli)
    state = tmp_path / "state.json"
    argv = ["watch", str(path), "--state", str(state), "--once", "--report-existing", "--sandbox", "off"]
    proc = cli.run(*argv, "--query", "version")
    assert proc.returncode == 0, proc.stderr
    assert [json.loads(line) for line in proc.stdout.splitlines()] == ["2.0.0", "2.1.0-SNAPSHOT", "1.9.0"]
