from __future__ import annotations

from pathlib import Path

import pytest

from customsrc.errors import ExpressionError, InputError, SecretError
from customsrc.render import render_source
from customsrc.spec import load_source

from .helpers import source_doc, template_doc, write_yaml


def load(tmp_path: Path, script: str = "true", **kw: object) -> object:
    return load_source(str(write_yaml(tmp_path / "s.yaml", source_doc(script, **kw))))  # type: ignore[arg-type]


def test_inputs_become_environment_text(tmp_path: Path) -> None:
    src = load(
        tmp_path,
        inputs=[{"name": "N", "type": "Number", "value": "1.10"}, {"name": "S", "type": "String", "value": "x"}],
    )
    assert render_source(src).env == {"N": "1.10", "S": "x"}  # type: ignore[arg-type]


def test_number_written_unquoted_keeps_its_text(tmp_path: Path) -> None:
    path = tmp_path / "s.yaml"
    path.write_text(
        "identifier: a\ntype: CustomArtifact\nspec:\n  version: '1'\n  inputs:\n"
        "    - {name: N, type: Number, value: 1.10}\n    - {name: B, type: String, value: yes}\n"
    )
    assert render_source(load_source(str(path))).env == {"N": "1.10", "B": "yes"}


def test_input_without_value_fails_before_running(tmp_path: Path) -> None:
    src = load(tmp_path, inputs=[{"name": "MISSING_THING", "type": "String", "value": "<+input>"}])
    with pytest.raises(InputError) as info:
        render_source(src)  # type: ignore[arg-type]
    assert info.value.message == "input MISSING_THING has no value; pass inputs={'MISSING_THING': ...}"
    assert info.value.said == "input MISSING_THING has no value; pass --input MISSING_THING=..."  # the CLI's words
    assert info.value.harness_message == "Env. variable [MISSING_THING] value found to be null"
    assert info.value.exit_code == 2


def test_input_override_and_unknown_input(tmp_path: Path) -> None:
    src = load(tmp_path, inputs=[{"name": "A", "type": "String", "value": "<+input>"}])
    assert render_source(src, inputs={"A": "v"}).env == {"A": "v"}  # type: ignore[arg-type]
    with pytest.raises(InputError, match="declares no such input"):
        render_source(src, inputs={"A": "v", "B": "w"})  # type: ignore[arg-type]


def test_secret_in_script_is_rendered_and_recorded(tmp_path: Path) -> None:
    src = load(tmp_path, script='curl -H "T: <+secrets.getValue("tok")>" x')
    rendered = render_source(src, secrets={"tok": "s3cr3t"})  # type: ignore[arg-type]
    assert 'T: s3cr3t"' in rendered.script
    assert rendered.secret_values == ["s3cr3t"]


def test_secret_from_environment_key(tmp_path: Path) -> None:
    src = load(tmp_path, script="echo <+secrets.getValue('account.nexus-token')>")
    rendered = render_source(src, secrets={"CUSTOMSRC_SECRET_NEXUS_TOKEN": "v"})  # type: ignore[arg-type]
    assert rendered.script.strip() == "echo v"


def test_missing_secret(tmp_path: Path) -> None:
    src = load(tmp_path, script='echo <+secrets.getValue("nope")>')
    with pytest.raises(SecretError, match="pass it in secrets= as 'nope'") as info:
        render_source(src)  # type: ignore[arg-type]
    assert "CUSTOMSRC_SECRET_NOPE" in info.value.message


def test_secret_type_input_resolves_the_named_secret(tmp_path: Path) -> None:
    src = load(tmp_path, inputs=[{"name": "TOKEN", "type": "Secret", "value": "nexus_token"}])
    rendered = render_source(src, secrets={"nexus_token": "hunter2"})  # type: ignore[arg-type]
    assert rendered.env == {"TOKEN": "hunter2"}
    assert rendered.secret_values == ["hunter2"]


def test_unknown_expression_is_named_with_its_line(tmp_path: Path) -> None:
    src = load(tmp_path, script="echo one\necho <+pipeline.name>\n")
    with pytest.raises(ExpressionError) as info:
        render_source(src)  # type: ignore[arg-type]
    assert info.value.message == (
        "script line 2: expression <+pipeline.name> has no value outside Harness; "
        "pass expressions={'<+pipeline.name>': ...}"
    )


def test_expression_given_with_expr(tmp_path: Path) -> None:
    src = load(tmp_path, script="echo <+pipeline.name>")
    assert render_source(src, expressions={"<+pipeline.name>": "deploy"}).script.strip() == "echo deploy"  # type: ignore[arg-type]


def test_template_variables_feed_inputs(tmp_path: Path) -> None:

    spec = source_doc("echo $REPO", inputs=[{"name": "REPO", "type": "String", "value": "<+template.variables.repo>"}])[
        "spec"
    ]
    doc = template_doc(spec, variables=[{"name": "repo", "type": "String", "value": "releases"}])
    path = write_yaml(tmp_path / "t.yaml", doc)
    assert render_source(load_source(str(path))).env == {"REPO": "releases"}


def test_a_secret_input_given_with_input_names_a_secret_too(tmp_path: Path) -> None:
    src = load(tmp_path, inputs=[{"name": "TOKEN", "type": "Secret", "value": ""}])
    rendered = render_source(src, inputs={"TOKEN": "org.nexus_token"}, secrets={"nexus_token": "hunter2"})  # type: ignore[arg-type]
    assert rendered.env == {"TOKEN": "hunter2"}
    with pytest.raises(SecretError) as info:
        render_source(src, inputs={"TOKEN": "account.other"}, secrets={"nexus_token": "hunter2"})  # type: ignore[arg-type]
    assert info.value.message.startswith("secret 'account.other' (named by Secret input TOKEN) was not supplied")
    assert "secrets= as 'other'" in info.value.message and "--secret other " in info.value.said


def test_a_secret_given_in_place_of_its_name_is_refused_and_never_repeated(tmp_path: Path) -> None:
    src = load(tmp_path, inputs=[{"name": "TOKEN", "type": "Secret", "value": ""}])
    with pytest.raises(SecretError) as info:
        render_source(src, inputs={"TOKEN": "s3cr3t-pw!"})  # type: ignore[arg-type]
    assert "s3cr3t" not in info.value.message
    assert "its value names a secret" in info.value.message


def test_empty_secret_input_means_no_secret(tmp_path: Path) -> None:
    src = load(tmp_path, inputs=[{"name": "PASSWORD", "type": "Secret", "value": ""}])
    assert render_source(src).env == {"PASSWORD": ""}  # type: ignore[arg-type]
