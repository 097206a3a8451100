"""Every lint rule with a positive and a negative case; the CLI's exit codes and formats."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest

from customsrc.lint import RULES, lint
from customsrc.spec import load_source

from .helpers import CLI, source_doc, write_yaml

GOOD = """set -euo pipefail
curl --fail --silent --show-error -H "Authorization: Bearer <+secrets.getValue("tok")>" \\
  -o "$HARNESS_ARTIFACT_RESULT_PATH" "$REPO_URL/items"
"""


def codes(tmp_path: Path, script: str = GOOD, payload: Any = None, **kw: Any) -> list[str]:
    kw.setdefault("version", "1.0")
    source = load_source(str(write_yaml(tmp_path / "s.yaml", source_doc(script, **kw))))
    return [f.code for f in lint(source, payload)]


def test_a_good_source_is_clean(tmp_path: Path) -> None:
    assert codes(tmp_path) == []


@pytest.mark.parametrize(
    ("code", "script"),
    [
        ("CS001", GOOD.replace("set -euo pipefail\n", "set -o pipefail\n")),
        ("CS002", GOOD.replace("--fail ", "")),
        ("CS003", GOOD + 'jq ".items" "$HARNESS_ARTIFACT_RESULT_PATH" > /dev/null\n'),
        ("CS003", GOOD + "pip install requests\n"),
        ("CS009", GOOD + "curl --fail -u admin:hunter22 https://x\n"),
        ("CS009", GOOD + 'curl --fail -H "Authorization: Bearer abcdef123456" https://x\n'),
        ("CS009", GOOD + "curl --fail https://admin:hunter22@nexus.example/x\n"),
        ("CS009", GOOD + "export AWS_ACCESS_KEY_ID=AKIAABCDEFGHIJKLMNOP\n"),
        ("CS009", GOOD + "TOKEN=abcdef123456\n"),
        ("CS010", GOOD + "echo '[]' > $HARNESS_ARTIFACT_RESULT_PATH\n"),
        ("CS011", "set -e\necho '[]' > /tmp/out.json\n"),
        (
            "CS012",
            GOOD.replace("set -euo pipefail", "set -eu")
            + 'curl --fail https://x | tee "$HARNESS_ARTIFACT_RESULT_PATH"\n',
        ),
        ("CS013", GOOD + 'echo "[]" > "$ARTIFACT_RESULT_PATH"\n'),
    ],
)
def test_script_rules_fire(tmp_path: Path, code: str, script: str) -> None:
    assert code in codes(tmp_path, script)


@pytest.mark.parametrize(
    "script",
    [
        GOOD,
        GOOD + "# jq would be nice here; curl https://x\n",  # comments are not code
        GOOD + 'curl -fsSL "$URL" -o "$HARNESS_ARTIFACT_RESULT_PATH"\n',  # -f in a flag group
        GOOD + 'curl --fail-with-body -u "$USER:$PASS" "$URL"\n',  # credentials from variables
        GOOD + 'TOKEN="$1"\nPASSWORD=<+secrets.getValue("p")>\n',
        GOOD + 'echo "[]" > "${HARNESS_ARTIFACT_RESULT_PATH}"\n',
        GOOD + 'token=$(curl --fail -s "$URL/token")\n',
    ],
)
def test_script_rules_stay_quiet(tmp_path: Path, script: str) -> None:
    assert codes(tmp_path, script) == []


def test_python_rules(tmp_path: Path) -> None:
    python = {"shell": "python", "requires": ["python3"]}
    ok = "import json, os, urllib.request\nopen(os.environ['HARNESS_ARTIFACT_RESULT_PATH'], 'w').write('[]')\n"
    assert codes(tmp_path, ok, customsrc=python) == []
    bad = "import requests\n" + ok
    assert codes(tmp_path, bad, customsrc=python) == ["CS003"]
    paging = ok + 'token = data.get("continuationToken")\n'
    assert codes(tmp_path, paging, customsrc=python) == []
    literal = ok + 'api_key = "abcdef123456"\n'
    assert codes(tmp_path, literal, customsrc=python) == ["CS009"]


def test_tools_the_stock_delegate_lacks_are_named_with_the_init_script_fix(tmp_path: Path) -> None:
    def findings(script: str, **settings: object) -> list[tuple[str, str, str]]:
        path = write_yaml(tmp_path / "s.yaml", source_doc(script, customsrc=settings or None))
        return [(f.code, f.message, f.fix) for f in lint(load_source(str(path))) if f.code == "CS003"]

    jq = findings(GOOD + 'jq -c .items "$HARNESS_ARTIFACT_RESULT_PATH" >/dev/null\n')
    assert [(c, m) for c, m, _ in jq] == [("CS003", "jq is not on the stock Harness delegate image")]
    assert "INIT_SCRIPT: microdnf install -y jq" in jq[0][2]
    assert findings(GOOD + "kubectl version --client >/dev/null\n") == []  # on the image's PATH
    assert findings(GOOD + "jq . x >/dev/null\n", requires=["jq"]) == []  # declared: the export guards it
    python = findings("import json\n", shell="python")
    assert [m for _, m, _ in python] == ["python3 is not on the stock Harness delegate image"]
    assert "microdnf install -y python3" in python[0][2]


def test_powershell(tmp_path: Path) -> None:
    doc = source_doc(GOOD, version="1")
    doc["spec"]["scripts"]["fetchAllArtifacts"]["spec"]["shell"] = "PowerShell"
    assert [f.code for f in lint(load_source(str(write_yaml(tmp_path / "p.yaml", doc))))] == ["CS004"]


@pytest.mark.parametrize(("timeout", "found"), [("5m", ["CS005"]), ("1m", ["CS005"]), ("30s", []), (None, [])])
def test_timeouts(tmp_path: Path, timeout: str | None, found: list[str]) -> None:
    assert codes(tmp_path, timeout=timeout) == found


def test_last_published(tmp_path: Path) -> None:
    assert codes(tmp_path, version="<+lastPublished.tag>") == ["CS006"]
    assert codes(tmp_path, version="<+input>", version_regex="^1") == []


def test_version_path_dollar(tmp_path: Path) -> None:
    assert codes(tmp_path, version_path="$.version") == ["CS007"]
    assert codes(tmp_path, version_path="['version']") == []


def test_object_valued_attribute_with_a_recorded_payload(tmp_path: Path) -> None:
    payload = {"items": [{"version": "1", "checksum": {"sha1": "ab"}, "url": "u"}]}
    assert codes(tmp_path, payload=payload, attributes=[("sum", "checksum")]) == ["CS008"]
    assert codes(tmp_path, payload=payload, attributes=[("sum", "checksum.sha1"), ("url", "url")]) == []


def test_every_rule_is_documented_and_tested() -> None:
    tested = {
        "CS001",
        "CS002",
        "CS003",
        "CS004",
        "CS005",
        "CS006",
        "CS007",
        "CS008",
        "CS009",
        "CS010",
        "CS011",
        "CS012",
        "CS013",
    }
    assert set(RULES) == tested


def test_cli_exit_codes_and_json(cli: CLI) -> None:
    clean = cli.source(GOOD, name="clean.yaml", version="1")
    dirty = cli.source("curl https://x > $HARNESS_ARTIFACT_RESULT_PATH\n", name="dirty.yaml", version="1")
    proc = cli.run("lint", str(clean))
    assert (proc.returncode, proc.stdout.strip().endswith("no findings")) == (0, True)
    proc = cli.run("lint", str(dirty))
    assert proc.returncode == 1
    assert "script line 1: CS002 warning:" in proc.stdout
    proc = cli.run("lint", str(dirty), "--format", "json")
    doc = json.loads(proc.stdout)
    assert {f["code"] for f in doc["findings"]} == {"CS001", "CS002", "CS010"}
    assert all(set(f) == {"code", "severity", "line", "message", "fix"} for f in doc["findings"])
    assert cli.run("lint", "missing.yaml").returncode == 2
