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

from .helpers import CLI, WRITTEN, payload_script, source_doc, write_yaml

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
    guard, heredoc = script.split("\n", 1)
    assert guard.startswith("command -v python3 >/dev/null 2>&1 || { echo 'customsrc: python3 is not on the stock")
    assert heredoc.startswith("python3 - <<'CUSTOMSRC_SCRIPT'\n")
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
    with pytest.raises(customsrc.InputError, match=r"pass inputs=\{'URL': \.\.\.\}"):
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
        assert text.startswith("command -v python3 ")  # the guard, then python3 run from Bash
        assert text.split("\n", 1)[1].startswith("python3 - <<'CUSTOMSRC_SCRIPT'\n")
    assert all("has no Harness field" in w for w in warnings)


# -- what Harness's schema rejects is refused, naming the field ---------------------------------


def _fetch(doc: dict[str, Any]) -> dict[str, Any]:
    return doc["spec"]["scripts"]["fetchAllArtifacts"]  # type: ignore[no-any-return]


REFUSED = {
    "timeout under 10s": (lambda d: d["spec"].update(timeout="2s"), "spec.timeout '2s'"),
    "input without value": (
        lambda d: d["spec"].update(inputs=[{"name": "URL", "type": "String"}]),
        "spec.inputs[0] (URL) has no value",
    ),
    "secret input as an expression": (
        lambda d: d["spec"].update(inputs=[{"name": "TOKEN", "type": "Secret", "value": '<+secrets.getValue("t")>'}]),
        "spec.inputs[0] (TOKEN): a Secret input's value is the secret's identifier",
    ),
    "number input not a number": (
        lambda d: d["spec"].update(inputs=[{"name": "N", "type": "Number", "value": "many"}]),
        "spec.inputs[0] (N): a Number's value must be a number",
    ),
    "number attribute holding a path": (
        lambda d: _fetch(d).update(attributes=[{"name": "size", "type": "Number", "value": "size"}]),
        "fetchAllArtifacts.attributes[0] (size): a Number's value",
    ),
}


@pytest.mark.parametrize("case", REFUSED)
def test_what_harness_rejects_is_refused_naming_the_field(cli: CLI, tmp_path: Path, case: str) -> None:
    change, message = REFUSED[case]
    doc = source_doc(payload_script(PAYLOAD), version="1.0")
    change(doc)
    path = write_yaml(tmp_path / "s.yaml", doc)
    for kind in ("source", "service", "template"):
        proc = cli.run("export", str(path), "--as", kind)
        assert proc.returncode == 2, proc.stderr
        assert proc.stderr.startswith(f"customsrc: error: cannot export: {message}"), proc.stderr
        assert proc.stderr.count("\n") == 1


def test_what_harness_accepts_beside_each_refusal_exports_valid(harness: dict[str, Any], tmp_path: Path) -> None:
    """The controls: the nearest accepted value of each refused field passes Harness's schema."""
    doc = source_doc(payload_script(PAYLOAD), version="1.0", timeout="10s")
    doc["spec"]["inputs"] = [
        {"name": "URL", "type": "String", "value": "<+input>"},
        {"name": "TOKEN", "type": "Secret", "value": "org.token"},
        {"name": "N", "type": "Number", "value": 3},
        {"name": "PORT", "type": "String", "value": 8080},  # a YAML number becomes the string "8080"
    ]
    _fetch(doc)["attributes"] = [{"name": "size", "type": "String", "value": "size"}]
    source = load_source(str(write_yaml(tmp_path / "s.yaml", doc)))
    for kind in ("source", "service", "template"):
        document, _ = export(source, kind)
        assert harness_errors(harness, kind, yaml.safe_load(to_yaml(document))) == []


def test_timeouts_exported_are_timeouts_harness_accepts(harness: dict[str, Any], tmp_path: Path) -> None:
    """Random timeouts: whatever export accepts, Harness's schema accepts; and every duration
    written the way Harness documents it (10s and up, 1m30s, 2h 5m) is accepted."""
    import random

    from customsrc.errors import SourceError

    check = validator(harness, "#/definitions/pipeline/stages/cd/ArtifactSource")
    source = load_source(str(write_yaml(tmp_path / "s.yaml", source_doc(payload_script(PAYLOAD), version="1.0"))))
    rng = random.Random(20261127)
    tokens = ["0", "1", "2", "9", "10", "45", "s", "m", "h", "d", "w", " ", "x", "<+input>", "1m", "30s"]
    outcomes = {"accepted": 0, "refused": 0}
    reasons = []
    for _ in range(1500):
        timeout = "".join(rng.choice(tokens) for _ in range(rng.randint(1, 5)))
        entry = dict(source.raw)
        entry["spec"] = {**entry["spec"], "timeout": timeout}
        try:
            document, _ = export(source._replace(raw=entry), "source")
        except SourceError as exc:
            reasons.append(exc.message)
            outcomes["refused"] += 1
            continue
        outcomes["accepted"] += 1
        assert [e.message for e in check.iter_errors(document)] == [], timeout
    for good in ("10s", "90s", "1m", "1m30s", "2h 5m", "1d", "1w2d", "<+input>"):
        entry = {**source.raw, "spec": {**source.raw["spec"], "timeout": good}}
        export(source._replace(raw=entry), "source")
    assert min(outcomes.values()) > 100, outcomes  # both sides exercised
    assert all(r.startswith("cannot export: spec.timeout ") for r in reasons)


@pytest.mark.corpus
@pytest.mark.slow
def test_every_source_the_suite_wrote_exports_valid_or_is_refused(harness: dict[str, Any]) -> None:
    """The differential over everything: each source document any test wrote, and each gallery
    template, exported in all three shapes, either passes Harness's schema or is refused with a
    message naming the field. Runs last (conftest) so the corpus is complete."""
    from customsrc.errors import CustomsrcError, SourceError
    from customsrc.gallery import entries

    sources_seen = [e.source for e in entries()]
    for path in dict.fromkeys(WRITTEN):
        try:
            sources_seen.append(load_source(str(path)))
        except (CustomsrcError, OSError):
            continue  # a document written to be refused on load, or gone: nothing to export
    failures, refusals = [], []
    for source in sources_seen:
        for kind in ("source", "service", "template"):
            try:
                document, _ = export(source, kind)
            except SourceError as exc:
                refusals.append(exc.message)
                continue
            errors = harness_errors(harness, kind, yaml.safe_load(to_yaml(document)))
            if errors:
                failures.append((source.file, kind, errors[:2]))
    assert failures == []
    assert all(r.startswith("cannot export: ") for r in refusals), refusals
    assert len(sources_seen) > len(entries())  # the corpus holds more than the gallery when run in the suite
