"""import (FirstGen -> NextGen), init (scaffold + test) and replay (a recorded payload)."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import pytest
import yaml

import customsrc
from customsrc.errors import SourceError
from customsrc.firstgen import to_nextgen
from customsrc.lint import lint
from customsrc.spec import load_source

from .helpers import CLI, source_doc, write_yaml

FIRSTGEN = """\
harnessApiVersion: '1.0'
type: CUSTOM
sourceName: nexus-components
scripts:
- action: FETCH_VERSIONS
  scriptString: |
    set -e
    curl --fail -s -H "Authorization: Bearer ${secrets.getValue("nexus_token")}" "$REPO_URL" > "$ARTIFACT_RESULT_PATH"
    echo "${app.name}" >&2
  timeout: 45
  customRepositoryMapping:
    artifactRoot: $.items
    buildNoPath: version
    artifactAttributes:
    - mappedAttribute: metadata.downloadUrl
      relativePath: assets[0].downloadUrl
    - mappedAttribute: sha1
      relativePath: assets[0].checksum.sha1
templateVariables:
- name: REPO_URL
  value: https://nexus.example/service/rest/v1/components?repository=releases
"""


def test_firstgen_stream_becomes_a_nextgen_source(tmp_path: Path) -> None:
    document, warnings = to_nextgen(yaml.safe_load(FIRSTGEN))
    assert document["identifier"] == "nexus_components"
    spec = document["spec"]
    assert spec["timeout"] == "45s"
    assert spec["inputs"] == [
        {
            "name": "REPO_URL",
            "type": "String",
            "value": "https://nexus.example/service/rest/v1/components?repository=releases",
        }
    ]
    fetch = spec["scripts"]["fetchAllArtifacts"]
    assert (fetch["artifactsArrayPath"], fetch["versionPath"]) == ("$.items", "version")
    assert fetch["attributes"] == [
        {"name": "downloadUrl", "type": "String", "value": "assets[0].downloadUrl"},
        {"name": "sha1", "type": "String", "value": "assets[0].checksum.sha1"},
    ]
    script = fetch["spec"]["source"]["spec"]["script"]
    assert '"$HARNESS_ARTIFACT_RESULT_PATH"' in script
    assert '<+secrets.getValue("nexus_token")>' in script
    assert len(warnings) == 3
    assert any("${app.name}" in w for w in warnings)
    path = tmp_path / "ng.yaml"
    path.write_text(yaml.safe_dump(document))
    assert load_source(str(path)).identifier == "nexus_components"


def test_imported_source_runs(cli: CLI, tmp_path: Path) -> None:
    stream = {
        "sourceName": "demo",
        "scriptString": 'echo \'{"items": [{"v": "7", "u": "x"}]}\' > $ARTIFACT_RESULT_PATH\n',
        "customRepositoryMapping": {
            "artifactRoot": "$.items",
            "buildNoPath": "v",
            "artifactAttributes": [{"mappedAttribute": "metadata.url", "relativePath": "u"}],
        },
    }
    (tmp_path / "fg.yaml").write_text(yaml.safe_dump(stream))
    proc = cli.run("import", "fg.yaml", "-o", "ng.yaml")
    assert proc.returncode == 0
    assert "HARNESS_ARTIFACT_RESULT_PATH" in proc.stderr
    code, doc, _ = cli.json("run", "ng.yaml", "--version", "7")
    assert (code, doc["selected"]) == (0, {"version": "7", "metadata": {"url": "x"}})


@pytest.mark.parametrize(
    "stream",
    [[], {"type": "CUSTOM"}, {"scriptString": "x", "customRepositoryMapping": {"artifactRoot": "$"}}],
)
def test_not_a_firstgen_stream(stream: object) -> None:
    with pytest.raises(SourceError):
        to_nextgen(stream)


def generated_tests(project: Path) -> subprocess.CompletedProcess[str]:
    """Run the pytest file ``customsrc init`` wrote, as its author would; it must pass."""
    tests = subprocess.run(
        [sys.executable, "-m", "pytest", "-q", "-p", "no:cacheprovider", str(project)],
        capture_output=True,
        text=True,
        check=False,
    )
    assert tests.returncode == 0, tests.stdout
    return tests


def test_init_writes_a_working_source_payload_and_test(cli: CLI, tmp_path: Path) -> None:
    proc = cli.run("init", "my_source", "--dir", "proj")
    assert proc.returncode == 0, proc.stderr
    project = tmp_path / "proj"
    assert sorted(p.name for p in project.iterdir()) == [
        "my_source.payload.json",
        "my_source.yaml",
        "test_my_source.py",
    ]
    assert lint(load_source(str(project / "my_source.yaml"))) == []
    tests = generated_tests(project)
    assert "1 passed" in tests.stdout
    again = cli.run("init", "my_source", "--dir", "proj")
    assert again.returncode == 2
    assert "exists; pass --force" in again.stderr


def test_init_from_a_source_file(cli: CLI, tmp_path: Path) -> None:
    from customsrc.demo import SOURCE

    (tmp_path / "demo.yaml").write_text(SOURCE)
    proc = cli.run("init", "copied", "--from", "demo.yaml", "--dir", "p2")
    assert proc.returncode == 0, proc.stderr
    assert load_source(str(tmp_path / "p2" / "copied.yaml")).identifier == "copied"
    assert cli.run("init", "x", "--from", "nope").returncode == 2
    assert cli.run("init", "1bad").returncode == 2


def test_replay_maps_and_chooses_without_running(tmp_path: Path) -> None:
    source = tmp_path / "s.yaml"
    source.write_text(
        "identifier: s\ntype: CustomArtifact\nspec:\n  version: <+lastPublished.tag>\n  scripts:\n    fetchAllArtifacts:\n"
        "      artifactsArrayPath: $\n      versionPath: v\n      spec:\n        shell: Bash\n        source:\n"
        "          type: Inline\n          spec:\n            script: exit 99\n"
    )
    payload = tmp_path / "p.json"
    payload.write_text(json.dumps([{"v": "1.9"}, {"v": "1.10"}]))
    result = customsrc.replay(source, payload)
    assert (result.selected.version if result.selected else None, result.run.ran) == ("1.9", False)
    assert customsrc.replay(source, payload, latest=True).selected.version == "1.10"  # type: ignore[union-attr]


def test_init_from_a_gallery_template_copies_its_script(cli: CLI, tmp_path: Path) -> None:
    proc = cli.run("init", "payments", "--from", "maven-metadata", "--dir", "loop")
    assert proc.returncode == 0, proc.stderr
    project = tmp_path / "loop"
    assert (project / "payments.py").read_text().startswith('"""Versions of one Maven artifact')
    source = load_source(str(project / "payments.yaml"))
    assert (source.identifier, source.shell) == ("payments", "python")
    assert lint(source) == []
    generated_tests(project)


def test_save_payload_records_what_the_script_wrote_with_secrets_masked(cli: CLI, tmp_path: Path) -> None:
    payload = {"items": [{"version": "1.0", "url": "https://u:hunter2-pw@repo/1.0"}]}
    script = f"cat > \"$HARNESS_ARTIFACT_RESULT_PATH\" <<'JSON'\n{json.dumps(payload)}\nJSON\n"
    path = cli.source(script, version_path="version", attributes=[("url", "url")])
    saved = tmp_path / "saved.json"
    code, doc, err = cli.json("run", str(path), "--save-payload", str(saved), "--secret", "pw=hunter2-pw", "-q")
    assert code == 0, err
    assert "hunter2" not in saved.read_text()
    assert json.loads(saved.read_text())["items"][0]["version"] == "1.0"
    assert any("the saved payload held secret values" in w for w in doc["warnings"])
    plain = tmp_path / "plain.json"
    assert cli.run("run", str(path), "--save-payload", str(plain), "-q").returncode == 0
    assert json.loads(plain.read_text()) == payload  # byte for byte what the script wrote (no secrets given)


def test_save_payload_is_for_one_source(cli: CLI, tmp_path: Path) -> None:
    folder = tmp_path / "many"
    folder.mkdir()
    write_yaml(folder / "a.yaml", source_doc("true\n", identifier="a"))
    proc = cli.run("run", str(folder), "--save-payload", str(tmp_path / "x.json"))
    assert proc.returncode == 2 and "--save-payload records one source's payload" in proc.stderr


def test_init_says_what_to_do_next(cli: CLI, tmp_path: Path) -> None:
    proc = cli.run("init", "payments", "--dir", str(tmp_path))
    assert proc.returncode == 0, proc.stderr
    assert "python3 -m pip install pytest" in proc.stdout and "--save-payload" in proc.stdout
