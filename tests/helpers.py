"""Test helpers: write real source files and run the real CLI in a subprocess."""

from __future__ import annotations

import json
import os
import subprocess
import sys
import textwrap
from collections.abc import Sequence
from pathlib import Path
from typing import Any

import yaml

ROOT = Path(__file__).resolve().parent.parent
# .ci/run sets it: there a missing system tool is a failure, not a skip.
STRICT_TOOLS = os.environ.get("CUSTOMSRC_TEST_STRICT") == "1"


def need(present: object, what: str, install: str) -> None:
    """Skip the test when a system tool is missing, saying which and how to install it (pytest -ra
    lists them at the end); fail instead under CUSTOMSRC_TEST_STRICT=1, as in CI."""
    if present:
        return
    import pytest

    message = f"tool missing: {what} ({install})"
    if STRICT_TOOLS:
        pytest.fail(message)
    pytest.skip(message)


def source_doc(
    script: str,
    *,
    identifier: str = "test_source",
    version: str = "<+input>",
    version_regex: str | None = None,
    array: str | None = "$.items",
    version_path: str | None = "version",
    attributes: Sequence[tuple[str, str]] = (),
    inputs: Sequence[dict[str, Any]] = (),
    timeout: str | None = None,
    customsrc: dict[str, Any] | None = None,
) -> dict[str, Any]:
    fetch: dict[str, Any] = {
        "spec": {"shell": "Bash", "source": {"type": "Inline", "spec": {"script": textwrap.dedent(script)}}}
    }
    if array is not None:
        fetch["artifactsArrayPath"] = array
    if version_path is not None:
        fetch["versionPath"] = version_path
    if attributes:
        fetch["attributes"] = [{"name": n, "type": "String", "value": v} for n, v in attributes]
    spec: dict[str, Any] = {"version": version, "scripts": {"fetchAllArtifacts": fetch}}
    if version_regex is not None:
        spec["versionRegex"] = version_regex
    if inputs:
        spec["inputs"] = list(inputs)
    if timeout is not None:
        spec["timeout"] = timeout
    doc: dict[str, Any] = {"identifier": identifier, "type": "CustomArtifact", "spec": spec}
    if customsrc:
        doc["customsrc"] = customsrc
    return doc


WRITTEN: list[Path] = []  # every YAML document the suite wrote: the export differential's corpus


def write_yaml(path: Path, doc: dict[str, Any]) -> Path:
    path.write_text(yaml.safe_dump(doc, sort_keys=False))
    WRITTEN.append(path)
    return path


def payload_script(payload: Any) -> str:
    """A bash script that writes ``payload`` (JSON) to the result file."""
    text = json.dumps(payload)
    return f"cat > \"$HARNESS_ARTIFACT_RESULT_PATH\" <<'JSON'\n{text}\nJSON\n"


class CLI:
    def __init__(self, tmp_path: Path) -> None:
        self.tmp_path = tmp_path

    def source(self, script: str, name: str = "source.yaml", **kwargs: Any) -> Path:
        return write_yaml(self.tmp_path / name, source_doc(script, **kwargs))

    def environment(self, env: dict[str, str] | None = None) -> dict[str, str]:
        """This process's environment without any CUSTOMSRC_* variable (but the machine's choice of
        launcher, ``CUSTOMSRC_LAUNCHER``), plus ``env``."""
        full_env = {k: v for k, v in os.environ.items() if not k.startswith("CUSTOMSRC_") or k == "CUSTOMSRC_LAUNCHER"}
        full_env.update(env or {})
        return full_env

    def run(
        self, *args: str, env: dict[str, str] | None = None, stdin: str | None = None, timeout: float = 60
    ) -> subprocess.CompletedProcess[str]:
        return subprocess.run(
            [sys.executable, "-m", "customsrc.cli", *args],
            capture_output=True,
            text=True,
            env=self.environment(env),
            input=stdin,
            timeout=timeout,
            cwd=self.tmp_path,
            check=False,
        )

    def start(self, *args: str, env: dict[str, str] | None = None, **popen: Any) -> subprocess.Popen[str]:
        """The CLI started in the background (the caller waits for it and closes its pipes)."""
        return subprocess.Popen(
            [sys.executable, "-m", "customsrc.cli", *args],
            text=True,
            env=self.environment(env),
            cwd=self.tmp_path,
            **popen,
        )

    def json(self, *args: str, **kwargs: Any) -> tuple[int, dict[str, Any], str]:
        proc = self.run(*args, "--format", "json", **kwargs)
        return proc.returncode, json.loads(proc.stdout), proc.stderr


def processes_with(marker: str) -> list[int]:
    """Host pids of live (non-zombie) processes whose command line contains ``marker``."""
    found = []
    for entry in os.listdir("/proc"):
        if not entry.isdigit():
            continue
        try:
            with open(f"/proc/{entry}/cmdline", "rb") as handle:
                cmdline = handle.read()
            with open(f"/proc/{entry}/stat") as handle:
                state = handle.read().rsplit(")", 1)[1].split()[0]
        except OSError:
            continue
        if marker.encode() in cmdline and state != "Z":
            found.append(int(entry))
    return found


def wait_for_process(marker: str, seconds: float) -> None:
    """Wait until a process whose command line holds ``marker`` runs (the script has started)."""
    import time

    deadline = time.monotonic() + seconds
    while not processes_with(marker) and time.monotonic() < deadline:
        time.sleep(0.05)
    assert processes_with(marker), "the script never started"


def marker() -> str:
    import uuid

    return f"customsrc-test-{uuid.uuid4().hex[:12]}"


def template_doc(
    spec: dict[str, Any], identifier: str = "tpl", variables: Sequence[dict[str, Any]] = ()
) -> dict[str, Any]:
    """A Harness Artifact Source Template around a CustomArtifact ``spec``."""
    template: dict[str, Any] = {"name": "t", "identifier": identifier, "versionLabel": "1", "type": "ArtifactSource"}
    if variables:
        template["variables"] = list(variables)
    template["spec"] = {"type": "CustomArtifact", "spec": spec}
    return {"template": template}
