"""The library entry point: typed results and errors, nothing secret returned."""

from __future__ import annotations

from pathlib import Path

import pytest

import customsrc
from customsrc.masking import MASK

from .helpers import payload_script, source_doc, write_yaml

SECRET = "s3cr3t-Vx7"


def source(tmp_path: Path, script: str, **kw: object) -> Path:
    return write_yaml(tmp_path / "s.yaml", source_doc(script, **kw))  # type: ignore[arg-type]


def test_fetch_returns_a_typed_result(tmp_path: Path) -> None:
    path = source(
        tmp_path, payload_script({"items": [{"version": "2"}, {"version": "1"}]}), version="<+lastPublished.tag>"
    )
    result = customsrc.fetch(path)
    assert isinstance(result, customsrc.FetchResult)
    assert [a.version for a in result.artifacts] == ["2", "1"]
    assert result.selected is not None and result.selected.version == "2"
    assert result.run.exit_code == 0 and result.run.ran
    assert set(result.timings) >= {"render", "run", "validate", "map", "select", "total"}


def test_errors_are_typed_and_carry_the_partial_result(tmp_path: Path) -> None:
    path = source(tmp_path, payload_script({"items": [{"version": "1"}]}), version="9")
    with pytest.raises(customsrc.NoMatchingVersion) as info:
        customsrc.fetch(path)
    assert info.value.exit_code == 6
    partial = info.value.result  # type: ignore[attr-defined]
    assert [a.version for a in partial.artifacts] == ["1"]


def test_nothing_secret_comes_back(tmp_path: Path) -> None:
    payload = {"items": [{"version": "1", "u": f"https://x:{SECRET}@h/"}, {"version": f"v-{SECRET}", "u": "plain"}]}
    script = f'echo "token {SECRET}"; echo "err {SECRET}" >&2\n' + payload_script(payload)
    inputs = [{"name": "TOKEN", "type": "Secret", "value": "tok"}]
    path = source(tmp_path, script, version="1", attributes=[("u", "u")], inputs=inputs)
    seen: list[bytes] = []
    result = customsrc.fetch(path, secrets={"tok": SECRET}, on_output=lambda _name, data: seen.append(data))
    everything = repr([result.artifacts, result.selected, result.expressions, result.warnings])
    everything += result.run.stdout_tail + result.run.stderr_tail + b"".join(seen).decode()
    assert SECRET not in everything
    assert result.selected is not None and result.selected.metadata["u"] == f"https://x:{MASK}@h/"
    assert [a.version for a in result.artifacts] == ["1", f"v-{MASK}"]


def test_secret_in_an_error_message_is_masked(tmp_path: Path) -> None:
    path = source(tmp_path, f'echo "denied for {SECRET}" >&2; exit 1\n')
    with pytest.raises(customsrc.ScriptFailed) as info:
        customsrc.fetch(path, secrets={"tok": SECRET})
    assert SECRET not in str(info.value)
    assert MASK in info.value.message


def test_unknown_sandbox_or_network_is_a_usage_error(tmp_path: Path) -> None:
    path = source(tmp_path, "true")
    with pytest.raises(customsrc.UsageError, match="unknown level 'jail'"):
        customsrc.fetch(path, sandbox="jail")
    with pytest.raises(customsrc.UsageError, match="unknown mode 'wifi'"):
        customsrc.fetch(path, network="wifi")
