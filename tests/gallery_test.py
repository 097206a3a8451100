"""The gallery: every template listed, well-formed, lint-clean, failing loudly on 401 and 500,
and proven end to end against real server software or the vendor's documented responses."""

from __future__ import annotations

import json
import py_compile
import shutil
import subprocess
from pathlib import Path
from typing import Any

import pytest

from customsrc.gallery import entries, entry
from customsrc.lint import lint

from . import servers
from .helpers import CLI

TEMPLATES = [e.name for e in entries()]
# Inputs each template needs besides REPO_URL (the repository's base URL, in every template).
REQUIRED: dict[str, dict[str, str]] = {
    "maven-metadata": {"GROUP_ID": "org.example", "ARTIFACT_ID": "app"},
    "http-directory": {},
}


def test_the_gallery_has_its_templates() -> None:
    assert set(TEMPLATES) == set(REQUIRED)


def run(cli: CLI, name: str, url: str, *extra: str, **inputs: str) -> tuple[int, dict[str, Any], str]:
    values = {"REPO_URL": url, **REQUIRED[name], **inputs}
    args = [f"--input={k}={v}" for k, v in values.items()]
    proc = cli.run("run", entry(name).path, "--format", "json", "-q", *args, *extra)
    return proc.returncode, json.loads(proc.stdout), proc.stderr


def test_list_and_show(cli: CLI) -> None:
    listing = cli.run("gallery", "list")
    assert listing.returncode == 0
    for name in TEMPLATES:
        assert name in listing.stdout
        shown = cli.run("gallery", "show", name)
        assert shown.returncode == 0
        assert "inputs:" in shown.stdout and "REPO_URL" in shown.stdout and "example:" in shown.stdout
    assert cli.run("gallery", "show", "nope").returncode == 2


@pytest.mark.parametrize("name", TEMPLATES)
def test_script_is_well_formed(name: str, tmp_path: Path) -> None:
    source = entry(name).source
    script = tmp_path / "script"
    script.write_text(source.script)
    if source.shell == "python":
        py_compile.compile(str(script), cfile=str(tmp_path / "script.pyc"), doraise=True)
    else:
        subprocess.run(["bash", "-n", str(script)], check=True)
        shellcheck = shutil.which("shellcheck")
        assert shellcheck, "shellcheck is needed (apt-get install shellcheck; .ci/run installs it)"
        subprocess.run([shellcheck, "--shell=bash", str(script)], check=True)


@pytest.mark.parametrize("name", TEMPLATES)
def test_template_is_lint_clean(name: str) -> None:
    assert lint(entry(name).source) == []


@pytest.mark.parametrize("status", [401, 500])
@pytest.mark.parametrize("name", TEMPLATES)
def test_fails_loudly_on_http_errors(cli: CLI, name: str, status: int) -> None:
    with servers.failing(status) as url:
        code, doc, err = run(cli, name, url)
    assert code == 3, err
    assert doc["error"]["kind"] == "script_failed"
    assert f"HTTP {status}" in err
    assert url in err


def test_maven_metadata(cli: CLI, tmp_path: Path) -> None:
    root = tmp_path / "repo"
    folder = root / "org" / "example" / "app"
    folder.mkdir(parents=True)
    (folder / "maven-metadata.xml").write_text(
        "<metadata><groupId>org.example</groupId><artifactId>app</artifactId><versioning>"
        "<latest>1.10.0</latest><release>1.10.0</release>"
        "<versions><version>1.9.0</version><version>1.10.0-RC1</version><version>1.10.0</version></versions>"
        "<lastUpdated>20261120100000</lastUpdated></versioning></metadata>"
    )
    with servers.nginx(root) as url:
        code, doc, err = run(cli, "maven-metadata", url, "--version-regex", r"^1\.10")
    assert code == 0, err
    assert [a["version"] for a in doc["artifacts"]] == ["1.10.0", "1.10.0-RC1", "1.9.0"]
    assert doc["selected"]["metadata"] == {
        "url": f"{url}/org/example/app/1.10.0/app-1.10.0.jar",
        "groupId": "org.example",
        "artifactId": "app",
        "isRelease": "true",
        "repositoryUpdated": "20261120100000",
    }


@pytest.mark.parametrize("mode", ["json", "html"])
def test_http_directory(cli: CLI, tmp_path: Path, mode: str) -> None:
    import os

    root = tmp_path / "downloads"
    root.mkdir()
    for name, mtime in (
        ("app-1.9.0.tar.gz", 1_700_000_000),
        ("app-1.10.0.tar.gz", 1_700_100_000),
        ("readme.txt", 1_700_200_000),
    ):
        (root / name).write_bytes(b"x" * 1234)
        os.utime(root / name, (mtime, mtime))
    (root / "old").mkdir()
    with servers.nginx(root, autoindex=mode) as url:
        code, doc, err = run(cli, "http-directory", url + "/", "--version", "1.10.0")
    assert code == 0, err
    assert [a["version"] for a in doc["artifacts"]] == ["1.10.0", "1.9.0"]
    assert doc["selected"]["metadata"] == {
        "url": f"{url}/app-1.10.0.tar.gz",
        "file": "app-1.10.0.tar.gz",
        "modified": "2023-11-16T02:00:00+00:00",  # 1,700,100,000 s
        "size": "1234",
    }
