"""The CLI end to end with real bash scripts: every exit code, every format, secrets masked."""

from __future__ import annotations

import json
from pathlib import Path

import jsonschema
import pytest
import yaml

from customsrc.masking import MASK

from .helpers import CLI, payload_script, source_doc, write_yaml

ROOT = Path(__file__).resolve().parent.parent
OUTPUT_SCHEMA = json.loads((ROOT / "schemas" / "run-output.schema.json").read_text())
PAYLOAD = {"items": [{"version": "1.2.3", "url": "https://x/1.2.3"}, {"version": "1.2.2", "url": "https://x/1.2.2"}]}


def check(doc: dict[str, object]) -> None:
    jsonschema.validate(doc, OUTPUT_SCHEMA)


def test_json_success_document(cli: CLI) -> None:
    path = cli.source(
        payload_script(PAYLOAD), version="1.2.2", attributes=[("url", "url")], identifier="nexus_components"
    )
    code, doc, _ = cli.json("run", str(path))
    check(doc)
    assert code == 0
    assert doc["artifacts"] == [
        {"version": "1.2.3", "metadata": {"url": "https://x/1.2.3"}},
        {"version": "1.2.2", "metadata": {"url": "https://x/1.2.2"}},
    ]
    assert doc["selected"] == {"version": "1.2.2", "metadata": {"url": "https://x/1.2.2"}}
    assert doc["expressions"]["<+artifacts.primary.version>"] == "1.2.2"
    assert doc["expressions"]["<+artifact.metadata.url>"] == "https://x/1.2.2"
    assert doc["expressions"]["<+artifacts.primary.displayName>"] == "Build# 1.2.2"
    assert doc["expressions"]["<+artifacts.primary.tag>"] == "1.2.2"
    assert doc["source"] == {"identifier": "nexus_components", "file": str(path), "role": "primary"}
    assert doc["run"]["exit_code"] == 0 and doc["run"]["timed_out"] is False


def test_runtime_input_version_lists_without_choosing(cli: CLI) -> None:
    code, doc, _ = cli.json("run", str(cli.source(payload_script(PAYLOAD))))
    assert code == 0
    assert doc["selected"] is None and doc["expressions"] == {}
    assert [a["version"] for a in doc["artifacts"]] == ["1.2.3", "1.2.2"]


def test_version_regex_flag_overrides(cli: CLI) -> None:
    code, doc, _ = cli.json("run", str(cli.source(payload_script(PAYLOAD))), "--version-regex", r"2$")
    assert (code, doc["selected"]["version"]) == (0, "1.2.2")


def test_exit_2_missing_input(cli: CLI) -> None:
    path = cli.source("true", inputs=[{"name": "MISSING_THING", "type": "String", "value": "<+input>"}])
    proc = cli.run("run", str(path))
    assert proc.returncode == 2
    assert proc.stderr == "customsrc: error: input MISSING_THING has no value; pass --input MISSING_THING=...\n"
    assert proc.stdout == ""


def test_exit_2_bad_source_file_in_json_still_prints_a_document(cli: CLI) -> None:
    (cli.tmp_path / "bad.yaml").write_text("identifier: x\ntype: CustomArtifact\n")
    code, doc, err = cli.json("run", "bad.yaml")
    check(doc)
    assert code == 2
    assert doc["error"]["kind"] == "source"
    assert err.startswith("customsrc: error: bad.yaml: invalid artifact source ==> ")
    assert err.count("\n") == 1


def test_exit_2_unknown_expression(cli: CLI) -> None:
    proc = cli.run("run", str(cli.source("echo <+pipeline.name>")))
    assert proc.returncode == 2
    assert "expression <+pipeline.name>" in proc.stderr


def test_expr_flag(cli: CLI) -> None:
    script = 'echo "[{\\"v\\": \\"<+pipeline.name>\\"}]" > "$HARNESS_ARTIFACT_RESULT_PATH"'
    code, doc, _ = cli.json(
        "run", str(cli.source(script, array="$", version_path="v")), "--expr", "<+pipeline.name>=deploy"
    )
    assert (code, doc["artifacts"][0]["version"]) == (0, "deploy")


def test_exit_3_script_failed(cli: CLI) -> None:
    path = cli.source('echo "curl: (22) The requested URL returned error: 401" >&2; exit 22')
    code, doc, err = cli.json("run", str(path))
    check(doc)
    assert code == 3
    assert doc["error"]["harness_message"] == "No Artifact found in HARNESS_ARTIFACT_RESULT_PATH"
    assert doc["run"]["exit_code"] == 22
    assert "customsrc: error: the script exited with code 22: curl: (22) The requested URL returned error: 401" in err


def test_only_the_last_command_counts_like_harness(cli: CLI) -> None:
    # No set -e on the delegate: a failing command followed by a successful one "succeeds".
    script = "false\n" + payload_script(PAYLOAD)
    assert cli.json("run", str(cli.source(script)))[0] == 0


def test_exit_4_timeout(cli: CLI) -> None:
    path = cli.source("trap '' TERM; sleep 30 & wait", timeout="1s")
    code, doc, err = cli.json("run", str(path))
    check(doc)
    assert code == 4
    assert doc["run"]["timed_out"] is True
    assert "1s timeout" in err


def test_timeout_flag_beats_spec(cli: CLI) -> None:
    proc = cli.run("run", str(cli.source("sleep 30", timeout="10m")), "--timeout", "1s", "-q")
    assert proc.returncode == 4


@pytest.mark.parametrize(
    ("script", "kind", "fragment"),
    [
        ("true", "result_missing", "wrote no result file"),
        ('echo "<html>502</html>" > "$HARNESS_ARTIFACT_RESULT_PATH"', "result_not_json", "curl --fail"),
        ('echo \'"just a string"\' > "$HARNESS_ARTIFACT_RESULT_PATH"', "schema", "not an object or array"),
        ('echo \'{"items": [{"n": 1}]}\' > "$HARNESS_ARTIFACT_RESULT_PATH"', "mapping", "item [0]: no key"),
        ('mkfifo "$HARNESS_ARTIFACT_RESULT_PATH"', "result_unreadable", "not a regular file"),
        ('ln -s /etc/passwd "$HARNESS_ARTIFACT_RESULT_PATH"', "result_unreadable", "symlink"),
    ],
)
def test_exit_5_result_problems(cli: CLI, script: str, kind: str, fragment: str) -> None:
    code, doc, err = cli.json("run", str(cli.source(script)))
    check(doc)
    assert code == 5
    assert doc["error"]["kind"] == kind
    assert fragment in err
    assert doc["error"]["harness_message"].startswith("Failed to transform results to the Custom Repository Response.")
    assert "root:" not in json.dumps(doc)


def test_exit_5_own_payload_schema(cli: CLI) -> None:
    schema = {"type": "object", "properties": {"items": {"type": "array", "items": {"required": ["version", "url"]}}}}
    path = cli.source(
        payload_script({"items": [{"version": "1", "url": "u"}, {"version": "2"}]}), customsrc={"payloadSchema": schema}
    )
    code, _doc, err = cli.json("run", str(path))
    assert code == 5
    assert "payload ==> At key: items ==> At index 1 ==> 'url' is a required property" in err


def test_exit_6_no_version(cli: CLI) -> None:
    code, doc, _err = cli.json("run", str(cli.source(payload_script(PAYLOAD), version="9.9")))
    check(doc)
    assert code == 6
    assert doc["error"]["harness_message"] == "Artifact version not found"
    assert len(doc["artifacts"]) == 2  # what was listed is not lost


def test_yaml_format(cli: CLI) -> None:
    proc = cli.run("run", str(cli.source(payload_script(PAYLOAD), version="1.2.3")), "--format", "yaml")
    doc = yaml.safe_load(proc.stdout)
    check(doc)
    assert doc["selected"]["version"] == "1.2.3"


def test_env_format_is_shell_safe(cli: CLI, tmp_path: Path) -> None:
    payload = {"items": [{"version": "1.0", "note": "it's $(rm -rf /) `x`"}]}
    path = cli.source(payload_script(payload), version="1.0", attributes=[("release-note", "note")])
    proc = cli.run("run", str(path), "--format", "env")
    assert proc.returncode == 0
    script = tmp_path / "check.sh"
    script.write_text(proc.stdout + 'printf "%s|%s" "$ARTIFACT_VERSION" "$ARTIFACT_METADATA_RELEASE_NOTE"\n')
    import subprocess

    out = subprocess.run(["bash", str(script)], capture_output=True, text=True, check=True).stdout
    assert out == "1.0|it's $(rm -rf /) `x`"


def test_table_format(cli: CLI) -> None:
    proc = cli.run("run", str(cli.source(payload_script(PAYLOAD), version="1.2.2", attributes=[("url", "url")])))
    assert proc.returncode == 0
    lines = proc.stdout.splitlines()
    assert lines[0].startswith("test_source (primary) — 2 artifacts")
    assert any(line.startswith("*  1.2.2") for line in lines)
    assert "chosen: 1.2.2 — version '1.2.2' (spec.version)" in proc.stdout
    assert "<+artifacts.primary.metadata.url>" in proc.stdout


def test_sidecar_expressions(cli: CLI) -> None:
    side = source_doc(payload_script(PAYLOAD), identifier="side_car", version="1.2.3", attributes=[("url", "url")])
    doc = {
        "service": {
            "serviceDefinition": {"type": "Kubernetes", "spec": {"artifacts": {"sidecars": [{"sidecar": side}]}}}
        }
    }
    path = write_yaml(cli.tmp_path / "svc.yaml", doc)
    code, out, _ = cli.json("run", str(path))
    assert code == 0
    assert out["source"]["role"] == "sidecar"
    assert out["expressions"]["<+artifacts.sidecars.side_car.version>"] == "1.2.3"
    assert out["expressions"]["<+artifacts.sidecars.side_car.metadata.url>"] == "https://x/1.2.3"
    assert not any(k.startswith("<+artifact.") or "primary" in k for k in out["expressions"])


def test_stdin_source(cli: CLI) -> None:
    text = yaml.safe_dump(source_doc(payload_script(PAYLOAD), version="1.2.3"))
    proc = cli.run("run", "-", "--format", "json", stdin=text)
    assert proc.returncode == 0
    assert json.loads(proc.stdout)["source"]["file"] is None


SECRET = "hunter2-Zq9"


@pytest.mark.parametrize("fmt", ["table", "json", "yaml", "env"])
def test_secrets_masked_in_every_output(cli: CLI, fmt: str) -> None:
    # The secret reaches the script, which echoes it to stdout/stderr and into the payload.
    script = (
        'echo "token=<+secrets.getValue("tok")>"; echo "tok <+secrets.getValue("tok")>" >&2\n'
        'echo "[{\\"v\\": \\"1\\", \\"u\\": \\"https://u:<+secrets.getValue("tok")>@x\\"}]" > "$HARNESS_ARTIFACT_RESULT_PATH"\n'
    )
    path = cli.source(script, array="$", version_path="v", version="1", attributes=[("url", "u")])
    proc = cli.run("run", str(path), "--format", fmt, "--secret", f"tok={SECRET}")
    assert proc.returncode == 0
    assert SECRET not in proc.stdout + proc.stderr
    assert MASK in proc.stdout
    assert f"token={MASK}" in proc.stderr


def test_secret_masked_in_error_message(cli: CLI) -> None:
    path = cli.source('echo "auth failed for <+secrets.getValue("tok")>" >&2; exit 1')
    proc = cli.run("run", str(path), "--format", "json", "--secret", f"tok={SECRET}")
    assert proc.returncode == 3
    assert SECRET not in proc.stdout + proc.stderr
    assert f"auth failed for {MASK}" in proc.stderr


def test_secrets_file_and_environment(cli: CLI, tmp_path: Path) -> None:
    script = (
        'echo "[{\\"v\\": \\"<+secrets.getValue("a")>-<+secrets.getValue("b")>\\"}]" > "$HARNESS_ARTIFACT_RESULT_PATH"'
    )
    path = cli.source(script, array="$", version_path="v")
    (tmp_path / "secrets.env").write_text("# comment\n\na=one\n")
    code, doc, _ = cli.json("run", str(path), "--secrets-file", "secrets.env", env={"CUSTOMSRC_SECRET_B": "two"})
    assert code == 0
    assert doc["artifacts"][0]["version"] == f"{MASK}-{MASK}"


def test_secrets_file_bad_line_does_not_echo_it(cli: CLI, tmp_path: Path) -> None:
    (tmp_path / "s.env").write_text("a=1\nsupersecretvalue\n")
    proc = cli.run("run", str(cli.source("true")), "--secrets-file", "s.env")
    assert proc.returncode == 2
    assert "line 2: expected NAME=VALUE" in proc.stderr
    assert "supersecretvalue" not in proc.stderr


def test_help_documents_exit_codes(cli: CLI) -> None:
    proc = cli.run("run", "--help")
    assert proc.returncode == 0
    for line in ("0  ok", "3  the script exited non-zero", "4  the script timed out", "6  no artifact version matches"):
        assert line in proc.stdout


def test_no_command_is_usage(cli: CLI) -> None:
    assert cli.run().returncode == 2


def test_demo_end_to_end(cli: CLI) -> None:
    code, doc, err = cli.json("demo")
    check(doc)
    assert code == 0
    assert [a["version"] for a in doc["artifacts"]] == ["2.4.1", "2.4.0", "2.3.7", "2.3.6-rc1", "2.2.0"]
    assert doc["selected"]["version"] == "2.3.7"
    assert doc["selected"]["metadata"]["size"] == "1056768"
    assert "demo-token" not in err + json.dumps(doc)
    assert f"token {MASK}" in err


def test_exit_5_deeply_nested_result(cli: CLI) -> None:
    script = 'python3 -c "import sys; d=200000; sys.stdout.write(\'[{\\"v\\": \\"1\\", \\"a\\": \' + \'[\'*d + \']\'*d + \'}]\')" > "$HARNESS_ARTIFACT_RESULT_PATH"'
    code, doc, err = cli.json("run", str(cli.source(script, array="$", version_path="v", attributes=[("a", "a")])))
    check(doc)
    assert code == 5
    assert "nested too deeply" in err
    assert len(json.dumps(doc)) < 10_000


@pytest.mark.parametrize("count", [3, 1500])
def test_lone_surrogates_and_unicode_survive_every_format(cli: CLI, count: int) -> None:
    items = ",".join(f'{{"v": "{i}", "n": "\\ud800 é {i}"}}' for i in range(count))
    script = f"cat > \"$HARNESS_ARTIFACT_RESULT_PATH\" <<'JSON'\n[{items}]\nJSON\n"
    path = cli.source(script, array="$", version_path="v", version="1", attributes=[("n", "n")])
    for fmt in ("json", "yaml", "env", "table"):
        proc = cli.run("run", str(path), "--format", fmt, "-q")
        assert proc.returncode == 0, proc.stderr
    doc = json.loads(cli.run("run", str(path), "--format", "json", "-q").stdout)
    assert doc["selected"]["metadata"]["n"] == "\ud800 é 1"
    assert len(doc["artifacts"]) == count


def test_secret_input_names_a_secret_resolved_from_stdin_and_masked(cli: CLI) -> None:
    inputs = [{"name": "TOKEN", "type": "Secret", "value": "tok"}]
    script = (
        'echo "using $TOKEN"\necho "[{\\"v\\": \\"1\\", \\"t\\": \\"$TOKEN\\"}]" > "$HARNESS_ARTIFACT_RESULT_PATH"\n'
    )
    path = cli.source(script, array="$", version_path="v", version="1", attributes=[("t", "t")], inputs=inputs)
    for fmt in ("json", "yaml", "env", "table"):
        proc = cli.run(
            "run",
            str(path),
            "--format",
            fmt,
            "--input",
            "TOKEN=org.ci_token",
            "--secret",
            "ci_token",
            stdin=SECRET + "\n",
        )
        assert proc.returncode == 0, proc.stderr
        assert SECRET not in proc.stdout + proc.stderr
        assert MASK in proc.stdout
    unresolved = cli.run("run", str(path), "--input", "TOKEN=ci_token")
    assert unresolved.returncode == 2
    assert "secret 'ci_token' (named by Secret input TOKEN) was not supplied" in unresolved.stderr


def test_demo_runs_on_a_machine_without_curl(cli: CLI) -> None:
    """The quick start needs Python only: without curl the demo's script makes the same request
    with python3's standard library (a PATH holding python3 alone stands for such a machine)."""
    import shutil
    import tempfile

    python = shutil.which("python3", path="/usr/bin:/bin:/usr/local/bin")
    assert python is not None
    folder = Path(tempfile.mkdtemp(prefix="customsrc-nocurl-", dir="/tmp"))
    try:
        folder.chmod(0o755)  # reachable by the sandbox's own uid
        (folder / "python3").symlink_to(python)
        code, doc, err = cli.json("demo", "--allow-read", str(folder), env={"PATH": str(folder)})
    finally:
        shutil.rmtree(folder)
    assert code == 0, err
    assert doc["selected"]["version"] == "2.3.7"
    assert "demo-token" not in err + json.dumps(doc)


def test_a_large_json_document_is_written_in_pieces_that_join_to_the_whole(monkeypatch: pytest.MonkeyPatch) -> None:
    from customsrc import output

    monkeypatch.setattr(output, "CHUNK_ARTIFACTS", 7)
    artifacts = [{"version": f"1.{i}", "metadata": {"url": f"https://x/{i}", "n": "é"}} for i in range(1203)]
    doc = {"source": {"identifier": "s", "file": 'a "artifacts":[] b', "role": "primary"}, "artifacts": artifacts}
    doc.update(selected=artifacts[0], criterion=None, expressions={}, warnings=[], run={"ran": True})
    pieces = list(output.json_chunks(doc))
    assert len(pieces) > 100
    assert b"".join(pieces) == output.dumps_json_bytes(doc)
    # A lone surrogate in one piece: that piece is escaped by the json module, the whole stays valid.
    artifacts[500]["metadata"]["n"] = "\ud800"
    joined = b"".join(output.json_chunks(doc))
    assert json.loads(joined) == json.loads(output.dumps_json_bytes(doc))
    assert json.loads(joined)["artifacts"][500]["metadata"]["n"] == "\ud800"
