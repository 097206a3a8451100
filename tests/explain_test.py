"""--explain: the reason for every decision, on every selection path."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import jsonschema

import customsrc
from customsrc.masking import MASK

from .helpers import CLI, payload_script, source_doc, write_yaml

ROOT = Path(__file__).resolve().parent.parent
ITEMS = [
    {"version": "1.9"},
    {"version": None},
    {"version": "1.10"},
    {"version": "1.9"},
    {"version": "2.0-rc"},
    {"version": ""},
]


def explained(tmp_path: Path, **kw: Any) -> dict[int, tuple[str, str]]:
    spec = {k: kw.pop(k) for k in ("version", "version_regex") if k in kw}
    path = write_yaml(tmp_path / "s.yaml", source_doc(payload_script({"items": ITEMS}), **spec))
    result = customsrc.fetch(path, explain=True, **kw)
    assert result.explain is not None
    return {e["item"]: (e["decision"], e["reason"]) for e in result.explain["items"]["shown"]}


def test_skipped_and_duplicates(tmp_path: Path) -> None:
    items = explained(tmp_path, version="<+input>")
    assert items[1] == ("skipped", "version is null or empty (Harness skips the item)")
    assert items[5][0] == "skipped"
    assert items[3] == ("dropped", "duplicate of item [0] (Harness keeps the first)")
    assert items[0] == ("listed", "listed; no version asked for (version is a runtime input)")


def test_regex_path(tmp_path: Path) -> None:
    items = explained(tmp_path, version="<+input>", version_regex=r"^1\.")
    assert items[0] == ("chosen", "the first match of regex '^1\\\\.' in the script's output order")
    assert items[2] == ("listed", "matches regex '^1\\\\.', but not the first match in the script's output order")
    assert items[4] == ("dropped", "regex '^1\\\\.' not found in the version")


def test_exact_path(tmp_path: Path) -> None:
    items = explained(tmp_path, version="1.10")
    assert items[2] == ("chosen", "equals version '1.10' (spec.version)")
    assert items[0] == ("listed", "not equal to '1.10'")


def test_latest_and_range_paths(tmp_path: Path) -> None:
    items = explained(tmp_path, version="<+input>", latest=True, semver=">=1")
    assert items[2] == ("chosen", "the highest in semver descending order (--latest)")
    assert items[0] == ("listed", "not the highest in semver descending order")
    assert items[4] == ("dropped", "outside semver range '>=1'")


def test_order_path(tmp_path: Path) -> None:
    items = explained(tmp_path, version="<+lastPublished.tag>", order="natural")
    assert items[4][0] == "chosen"
    assert items[4][1] == "the first match of regex '.*?' in natural descending order"


def test_explain_document_and_masking(cli: CLI) -> None:
    script = 'echo "<+secrets.getValue("tok")>" > /dev/null\n' + payload_script({"items": ITEMS})
    path = cli.source(script, version="1.10", inputs=[{"name": "REPO", "type": "String", "value": "r"}])
    proc = cli.run("run", str(path), "--format", "json", "--explain", "--secret", "tok=hunter2-xyz")
    assert proc.returncode == 0
    doc = json.loads(proc.stdout)
    jsonschema.validate(doc, json.loads((ROOT / "schemas" / "run-output.schema.json").read_text()))
    explain = doc["explain"]
    assert "hunter2-xyz" not in proc.stdout + proc.stderr
    assert MASK in explain["script"]
    assert {"REPO", "HARNESS_ARTIFACT_RESULT_PATH", "PATH"} <= set(explain["environment"])
    assert set(explain["timings_ms"]) >= {"render", "run", "read", "validate", "map", "select", "total"}
    assert explain["payload_head"].startswith('{"items"')
    assert explain["items"]["count"] == 6
    table = cli.run("run", str(path), "--explain", "--secret", "tok=hunter2-xyz").stdout
    assert "rendered script (secrets masked):" in table
    assert "[2] '1.10': chosen: equals version '1.10' (spec.version)" in table
