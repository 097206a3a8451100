"""export: valid against Harness's published schema, and export -> run gives the same answer."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import jsonschema
import pytest
import yaml

import customsrc
from customsrc.export import export, to_yaml
from customsrc.spec import load_source

from .helpers import CLI, payload_script, source_doc, write_yaml

ROOT = Path(__file__).resolve().parent.parent
PAYLOAD = {
    "items": [
        {"version": "2.0", "url": "u2", "sum": {"sha1": "ab"}},
        {"version": "1.0", "url": "u1", "sum": {"sha1": "cd"}},
    ]
}
PY_SCRIPT = (
    "import json, os\n"
    f"data = {json.dumps(PAYLOAD)!r}\n"
    "open(os.environ['HARNESS_ARTIFACT_RESULT_PATH'], 'w').write(data)\n"
    "print('EOF inside the script does not end the heredoc')\n"
)


def sources(tmp_path: Path) -> dict[str, Path]:
    (tmp_path / "fetch.py").write_text(PY_SCRIPT)
    attrs = [("url", "url"), ("sha1", "sum.sha1")]
    inputs = [{"name": "REPO", "type": "String", "value": "releases"}]
    return {
        "bash": write_yaml(
            tmp_path / "bash.yaml",
            source_doc(payload_script(PAYLOAD), version="<+lastPublished.tag>", attributes=attrs, inputs=inputs),
        ),
        "python-file": write_yaml(
            tmp_path / "py.yaml",
            source_doc(
                "",
                version="1.0",
                attributes=attrs,
                customsrc={"shell": "python", "scriptFile": "fetch.py", "description": "d"},
            ),
        ),
        "regex": write_yaml(
            tmp_path / "re.yaml",
            source_doc(payload_script(PAYLOAD), version="<+input>", version_regex="^1", timeout="1m"),
        ),
    }


def validator(harness: dict[str, Any], ref: str) -> jsonschema.Draft7Validator:
    return jsonschema.Draft7Validator({"definitions": harness["definitions"], "$ref": ref})


def harness_errors(harness: dict[str, Any], kind: str, doc: dict[str, Any]) -> list[str]:
    cd = "#/definitions/pipeline/stages/cd/"
    if kind == "source":
        targets = [(cd + "ArtifactSource", doc)]
    elif kind == "service":
        # pipeline.json has no service-entity root (ServiceYamlV2 is a stage's service reference):
        # check the service definition, which reaches ArtifactListConfig and ArtifactSource.
        targets = [(cd + "ServiceDefinition", doc["service"]["serviceDefinition"])]
    else:
        spec = doc["template"]["spec"]
        targets = [
            (
                cd + "ArtifactSource",
                {"identifier": doc["template"]["identifier"], "type": spec["type"], "spec": spec["spec"]},
            )
        ]
    return [e.message for ref, instance in targets for e in validator(harness, ref).iter_errors(instance)]


@pytest.mark.parametrize("kind", ["source", "service", "template"])
@pytest.mark.parametrize("name", ["bash", "python-file", "regex"])
def test_exports_validate_against_harness_schema(harness: dict[str, Any], tmp_path: Path, kind: str, name: str) -> None:
    document, _ = export(load_source(str(sources(tmp_path)[name])), kind)
    assert harness_errors(harness, kind, yaml.safe_load(to_yaml(document))) == []


def test_harness_schema_check_is_not_vacuous(harness: dict[str, Any], tmp_path: Path) -> None:
    document, _ = export(load_source(str(sources(tmp_path)["bash"])), "service")
    document["service"]["serviceDefinition"]["spec"]["artifacts"]["primary"]["sources"][0]["spec"]["scripts"][
        "fetchAllArtifacts"
    ]["spec"]["shell"] = "Zsh"
    assert harness_errors(harness, "service", document)


def summary(result: customsrc.FetchResult) -> tuple[Any, ...]:
    return ([(a.version, a.metadata) for a in result.artifacts], result.selected, result.expressions)


@pytest.mark.parametrize("kind", ["source", "service", "template"])
@pytest.mark.parametrize("name", ["bash", "python-file", "regex"])
def test_export_then_run_gives_the_same_answer(tmp_path: Path, kind: str, name: str) -> None:
    original = load_source(str(sources(tmp_path)[name]))
    document, _ = export(original, kind)
    exported = tmp_path / f"exported-{kind}.yaml"
    exported.write_text(to_yaml(document))
    reloaded = load_source(str(exported))
    assert reloaded.shell == "bash" and reloaded.declared_shell == "Bash"
    assert summary(customsrc.fetch(reloaded)) == summary(customsrc.fetch(original))


def test_python_becomes_a_heredoc_and_settings_are_dropped_with_warnings(tmp_path: Path) -> None:
    document, warnings = export(load_source(str(sources(tmp_path)["python-file"])), "source")
    script = document["spec"]["scripts"]["fetchAllArtifacts"]["spec"]["source"]["spec"]["script"]
    assert script.startswith("python3 - <<'CUSTOMSRC_SCRIPT'\n")
    assert script.endswith("\nCUSTOMSRC_SCRIPT\n")
    assert "customsrc" not in document
    assert warnings == ["customsrc.description has no Harness field and is not exported"]


def test_template_inputs_come_from_variables(tmp_path: Path) -> None:
    document, _ = export(load_source(str(sources(tmp_path)["bash"])), "template")
    template = document["template"]
    assert template["variables"] == [{"name": "REPO", "type": "String", "value": "releases"}]
    assert template["spec"]["spec"]["inputs"][0]["value"] == "<+template.variables.REPO>"


def test_template_variable_without_value_is_a_missing_input(tmp_path: Path) -> None:
    doc = source_doc(payload_script(PAYLOAD), inputs=[{"name": "URL", "type": "String", "value": "<+input>"}])
    document, _ = export(load_source(str(write_yaml(tmp_path / "s.yaml", doc))), "template")
    exported = tmp_path / "t.yaml"
    exported.write_text(to_yaml(document))
    with pytest.raises(customsrc.InputError, match="pass --input URL="):
        customsrc.fetch(exported)
    assert customsrc.fetch(exported, inputs={"URL": "x"}).artifacts


def test_cli_export_to_file(cli: CLI, tmp_path: Path) -> None:
    path = sources(tmp_path)["python-file"]
    proc = cli.run("export", str(path), "--as", "service", "-o", str(tmp_path / "svc.yaml"))
    assert proc.returncode == 0
    assert proc.stdout == ""
    assert "customsrc: warning: customsrc.description has no Harness field" in proc.stderr
    assert yaml.safe_load((tmp_path / "svc.yaml").read_text())["service"]["identifier"] == "test_source"
    code, doc, _ = cli.json("run", str(tmp_path / "svc.yaml"))
    assert (code, doc["selected"]["version"]) == (0, "1.0")


@pytest.mark.parametrize("kind", ["source", "service", "template"])
def test_demo_source_exports_validate(harness: dict[str, Any], tmp_path: Path, kind: str) -> None:
    from customsrc.demo import SOURCE

    (tmp_path / "demo.yaml").write_text(SOURCE)
    document, warnings = export(load_source(str(tmp_path / "demo.yaml")), kind)
    assert warnings == []
    assert harness_errors(harness, kind, yaml.safe_load(to_yaml(document))) == []


def gallery_templates() -> list[str]:
    from customsrc.gallery import entries

    return [e.name for e in entries()]


@pytest.mark.parametrize("kind", ["source", "service", "template"])
@pytest.mark.parametrize("name", gallery_templates())
def test_every_gallery_template_exports_valid_harness_yaml(harness: dict[str, Any], name: str, kind: str) -> None:
    from customsrc.gallery import entry

    item = entry(name)
    document, warnings = export(item.source, kind)
    assert harness_errors(harness, kind, yaml.safe_load(to_yaml(document))) == []
    script = document if kind == "source" else None
    if script is not None:
        text = script["spec"]["scripts"]["fetchAllArtifacts"]["spec"]["source"]["spec"]["script"]
        assert text.startswith("python3 - <<'CUSTOMSRC_SCRIPT'\n")  # gallery scripts are python3, run from Bash
    assert all("has no Harness field" in w for w in warnings)
