"""The gallery: every template listed, well-formed, lint-clean, failing loudly on 401 and 500,
and proven end to end against real server software or the vendor's documented responses."""

from __future__ import annotations

import hashlib
import json
import py_compile
import shutil
import subprocess
import sys
from pathlib import Path
from typing import Any, ClassVar

import pytest

from customsrc.gallery import entries, entry, example_command, required_inputs
from customsrc.lint import lint
from customsrc.render import secret_env_key

from . import servers
from .helpers import CLI, need

TEMPLATES = [e.name for e in entries()]
# Inputs each template needs besides REPO_URL (the repository's base URL, in every template): its
# example values (customsrc.examples), which `gallery show` prints too.
REQUIRED: dict[str, dict[str, str]] = {
    e.name: {k: v for k, v in e.examples.items() if k in required_inputs(e) and k != "REPO_URL"} for e in entries()
}


def test_the_gallery_has_its_templates() -> None:
    assert len(TEMPLATES) >= 12
    for item in entries():  # every input a run needs has an example (the tests run each with them)
        needed = [n for n in required_inputs(item) if n not in {s.input for s in item.secrets}]
        assert [n for n in needed if n not in item.examples] == [], item.name


def run(
    cli: CLI, name: str, url: str, *extra: str, quiet: bool = True, **inputs: str
) -> tuple[int, dict[str, Any], str]:
    """Run a template; ``input_NAME=value`` keywords set further inputs. ``quiet=False`` keeps the
    script's own stderr on a run that succeeds (its notes on what it left out)."""
    inputs = {k.removeprefix("input_").upper(): v for k, v in inputs.items()}
    values = {"REPO_URL": url, **REQUIRED[name], **inputs}
    # A Secret input names the template's secret, as in Harness; the value comes from the environment.
    named = {s.input: s.name for s in entry(name).secrets if s.input}
    env = {secret_env_key(named[k]): v for k, v in values.items() if k in named}
    args = [f"--input={k}={named.get(k, v)}" for k, v in values.items()]
    proc = cli.run("run", entry(name).path, "--format", "json", *(["-q"] if quiet else []), *args, *extra, env=env)
    return proc.returncode, json.loads(proc.stdout), proc.stderr


def run_loud(cli: CLI, name: str, url: str, *extra: str, **inputs: str) -> tuple[int, dict[str, Any], str]:
    """``run`` with the script's stderr kept."""
    return run(cli, name, url, *extra, quiet=False, **inputs)


@pytest.mark.slow
def test_list_and_show(cli: CLI) -> None:
    listing = cli.run("gallery", "list")
    assert listing.returncode == 0
    for name in TEMPLATES:
        assert name in listing.stdout
        shown = cli.run("gallery", "show", name)
        assert shown.returncode == 0
        assert "inputs:" in shown.stdout and "REPO_URL" in shown.stdout and "example:" in shown.stdout
        assert f"lists versions newest first by: {entry(name).ordered_by}\n" in shown.stdout
        assert "  REPO_URL" in shown.stdout.split("inputs:")[1] and "(required)" not in shown.stdout
    assert cli.run("gallery", "show", "nope").returncode == 2


@pytest.mark.parametrize("name", TEMPLATES)
def test_every_entry_says_what_it_orders_by_and_each_input_is_described(name: str) -> None:
    item = entry(name)
    assert len(item.ordered_by) > 10
    assert all(len(str(v.get("description", ""))) > 10 for v in item.inputs), [v["name"] for v in item.inputs]


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
        need(shellcheck, "shellcheck", "apt-get install shellcheck")
        assert shellcheck is not None
        subprocess.run([shellcheck, "--shell=bash", str(script)], check=True)


@pytest.mark.parametrize("name", TEMPLATES)
def test_template_is_lint_clean(name: str) -> None:
    assert lint(entry(name).source) == []


@pytest.mark.parametrize("name", TEMPLATES)
def test_each_script_runs_on_its_own_and_reaches_harness_whole(name: str, tmp_path: Path) -> None:
    """A gallery script is an ordinary program (its helper import is real: ``python3 scripts/X.py``
    runs it), and the source customsrc loads from it is one file with the helper inlined once."""
    import yaml

    template = Path(entry(name).path)
    script = (template.parent / yaml.safe_load(template.read_text())["customsrc"]["scriptFile"]).resolve()
    assert "from _http import" in script.read_text()
    inputs = {"REPO_URL": "", **REQUIRED[name], "FILE_REGEX": "^app-(.+)$"}
    with servers.failing(500) as url:
        env = {**inputs, "REPO_URL": url, "PATH": "/usr/bin:/bin", "HARNESS_ARTIFACT_RESULT_PATH": str(tmp_path / "o")}
        proc = subprocess.run(
            [sys.executable, str(script)], check=False, env=env, capture_output=True, text=True, cwd=tmp_path
        )
    assert proc.returncode == 1, proc.stderr
    assert proc.stderr.startswith(f"{name}: HTTP 500") and url in proc.stderr
    loaded = entry(name).source.script
    assert not [line for line in loaded.splitlines() if line.startswith(("from _http", "# customsrc:include"))]
    assert loaded.count("class SameOriginCredentials") == 1


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
        code, doc, err = run(cli, "maven-metadata", url, "--version-regex", r"^1\.10", input_include_prereleases="true")
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


def test_go_module_proxy(cli: CLI, tmp_path: Path) -> None:
    root = tmp_path / "goproxy"
    folder = root / "github.com" / "!example" / "app" / "@v"
    folder.mkdir(parents=True)
    (folder / "list").write_text("v1.2.0\nv1.10.0\nv1.11.0-rc.1\n")
    for version, when in (("v1.2.0", "2026-01-01"), ("v1.10.0", "2026-06-01"), ("v1.11.0-rc.1", "2026-07-01")):
        (folder / f"{version}.info").write_text(json.dumps({"Version": version, "Time": f"{when}T00:00:00Z"}))
    with servers.nginx(root) as url:
        code, doc, err = run(
            cli, "go-module-proxy", url, "--version-regex", r"^v1\.\d+\.\d+$", input_include_prereleases="true"
        )
    assert code == 0, err
    assert [a["version"] for a in doc["artifacts"]] == ["v1.11.0-rc.1", "v1.10.0", "v1.2.0"]
    assert doc["selected"]["metadata"] == {
        "time": "2026-06-01T00:00:00Z",
        "zip": f"{url}/github.com/!example/app/@v/v1.10.0.zip",
        "mod": f"{url}/github.com/!example/app/@v/v1.10.0.mod",
        "module": "github.com/Example/app",
    }


def test_conda_channel(cli: CLI, tmp_path: Path) -> None:
    root = tmp_path / "channel"
    (root / "noarch").mkdir(parents=True)
    record = {"name": "mypkg", "depends": [], "subdir": "noarch", "sha256": "ab" * 32, "size": 2048}
    repodata = {
        "info": {"subdir": "noarch"},
        "packages": {
            "mypkg-1.0-py_0.tar.bz2": {
                **record,
                "version": "1.0",
                "build": "py_0",
                "build_number": 0,
                "timestamp": 1700000000000,
            }
        },
        "packages.conda": {
            "mypkg-1.1-py_0.conda": {
                **record,
                "version": "1.1",
                "build": "py_0",
                "build_number": 0,
                "timestamp": 1710000000000,
            },
            "mypkg-1.1-py_1.conda": {
                **record,
                "version": "1.1",
                "build": "py_1",
                "build_number": 1,
                "timestamp": 1710000000000,
            },
            "other-9.0-0.conda": {
                **record,
                "name": "other",
                "version": "9.0",
                "build": "0",
                "timestamp": 1720000000000,
            },
        },
    }
    (root / "noarch" / "repodata.json").write_text(json.dumps(repodata))
    with servers.nginx(root) as url:
        code, doc, err = run(cli, "conda-channel", url, "--version", "1.1")
    assert code == 0, err
    assert [a["version"] for a in doc["artifacts"]] == ["1.1", "1.0"]  # the second 1.1 build is a duplicate
    assert doc["selected"]["metadata"]["build"] == "py_1"  # the newest build of 1.1 comes first
    assert doc["selected"]["metadata"]["url"] == f"{url}/noarch/mypkg-1.1-py_1.conda"
    assert doc["selected"]["metadata"]["published"] == "2024-03-09T16:00:00+00:00"
    assert any("duplicate" in w for w in doc["warnings"])


def test_crates_sparse_index(cli: CLI, tmp_path: Path) -> None:
    root = tmp_path / "index"
    (root / "my" / "-c").mkdir(parents=True)
    (root / "config.json").write_text(json.dumps({"dl": "https://dl.example/api/v1/crates"}))
    lines = [
        {"name": "my-crate", "vers": "0.9.0", "deps": [], "cksum": "aa" * 32, "features": {}, "yanked": False},
        {"name": "my-crate", "vers": "1.0.0", "deps": [], "cksum": "bb" * 32, "features": {}, "yanked": True},
        {"name": "my-crate", "vers": "1.0.1", "deps": [], "cksum": "cc" * 32, "features": {}, "yanked": False},
    ]
    (root / "my" / "-c" / "my-crate").write_text("\n".join(json.dumps(line) for line in lines) + "\n")
    with servers.nginx(root) as url:
        code, doc, err = run(cli, "crates-sparse-index", url, "--version-regex", ".")
        yanked = run(cli, "crates-sparse-index", url, input_include_yanked="true")
    assert code == 0, err
    assert [a["version"] for a in doc["artifacts"]] == ["1.0.1", "0.9.0"]
    assert doc["selected"]["metadata"] == {
        "sha256": "cc" * 32,
        "url": "https://dl.example/api/v1/crates/my-crate/1.0.1/download",
        "yanked": "false",
    }
    assert yanked[0] == 0, yanked[2]
    assert [a["version"] for a in yanked[1]["artifacts"]] == ["1.0.1", "1.0.0", "0.9.0"]


def nexus_component(version: str, size: int) -> dict[str, Any]:
    path = f"org/example/app/{version}/app-{version}.jar"
    return {
        "id": f"bWF2ZW4tcmVsZWFzZXM6{version}",
        "repository": "maven-releases",
        "format": "maven2",
        "group": "org.example",
        "name": "app",
        "version": version,
        "assets": [
            {
                "downloadUrl": f"{{base}}/repository/maven-releases/{path}",
                "path": path,
                "id": "YXNzZXQ",
                "repository": "maven-releases",
                "format": "maven2",
                "checksum": {"sha1": f"{size:040x}", "sha256": f"{size:064x}"},
                "contentType": "application/java-archive",
                "lastModified": "2026-11-20T10:00:00.000+00:00",
                "fileSize": size,
            }
        ],
    }


def test_nexus3_components(cli: CLI) -> None:
    search = "/service/rest/v1/search?repository=maven-releases&name=app&sort=version&direction=desc"
    routes = {
        search: (
            200,
            {"Content-Type": "application/json"},
            servers.json_body(
                {"items": [nexus_component("2.0.0", 300), nexus_component("1.9.0", 200)], "continuationToken": "page2"}
            ),
        ),
        search + "&continuationToken=page2": (
            200,
            {"Content-Type": "application/json"},
            servers.json_body({"items": [nexus_component("1.0.0", 100)], "continuationToken": None}),
        ),
    }
    with servers.recorded(routes) as (url, seen):
        code, doc, err = run(
            cli,
            "nexus3-components",
            url,
            "--version",
            "1.9.0",
            input_repo_user="deployer",
            input_repo_password="s3cr3t-pw",  # given as the template's secret, named in REPO_PASSWORD
        )
    assert code == 0, err
    assert [a["version"] for a in doc["artifacts"]] == ["2.0.0", "1.9.0", "1.0.0"]
    assert doc["selected"]["metadata"] == {
        "url": f"{url}/repository/maven-releases/org/example/app/1.9.0/app-1.9.0.jar",
        "sha1": f"{200:040x}",
        "sha256": f"{200:064x}",
        "size": "200",
        "lastModified": "2026-11-20T10:00:00.000+00:00",
    }
    assert len(seen) == 2
    assert seen[0][1]["Authorization"] == "Basic ZGVwbG95ZXI6czNjcjN0LXB3"  # deployer:s3cr3t-pw


def test_the_example_command_authenticates_as_printed(cli: CLI) -> None:
    """`gallery show`'s example, with its `...` filled in and the secret typed on stdin, sends the
    credentials: the Secret input names the secret, as Harness resolves it."""
    import shlex

    item = entry("nexus3-components")
    routes = {
        "/service/rest/v1/search?repository=maven-releases&name=app&sort=version&direction=desc": (
            200,
            {"Content-Type": "application/json"},
            servers.json_body({"items": [nexus_component("1.0.0", 100)], "continuationToken": None}),
        )
    }
    with servers.recorded(routes) as (url, seen):
        argv = shlex.split(example_command(item))
        assert argv[:2] == ["customsrc", "run"] and "..." not in " ".join(argv)  # every value an example
        args = [f"REPO_URL={url}" if a.startswith("REPO_URL=") else a for a in argv[2:]]  # the server here
        assert "--input" in args and "--secret" in args and "REPO_USER=deployer" in args
        proc = cli.run("run", *args, "--format", "json", "-q", stdin="s3cr3t-pw\n")
    assert proc.returncode == 0, proc.stderr
    assert seen[0][1]["Authorization"] == "Basic ZGVwbG95ZXI6czNjcjN0LXB3"  # deployer:s3cr3t-pw


@pytest.mark.parametrize("name", TEMPLATES)
def test_every_example_command_names_its_secrets_in_their_inputs(name: str) -> None:
    item = entry(name)
    command = example_command(item)
    for secret in item.secrets:
        assert f"--input {secret.input}={secret.name} " in command
        assert command.endswith(f"--secret {secret.name}") or f"--secret {secret.name} " in command
        assert all(f"--input {beside}=" in command for beside in secret.beside)
    assert "--secret" not in command or "=..." not in command.split("--secret", 1)[1].split()[0]


def release(tag: str, published: str, *, draft: bool = False, prerelease: bool = False) -> dict[str, Any]:
    return {
        "id": abs(hash(tag)) % 10**8,
        "tag_name": tag,
        "name": f"Release {tag}",
        "draft": draft,
        "prerelease": prerelease,
        "html_url": f"https://github.com/example/app/releases/tag/{tag}",
        "published_at": published,
        "target_commitish": "main",
        "assets": [
            {"name": f"app-{tag}.sha256", "size": 90, "browser_download_url": f"https://dl.example/{tag}/app.sha256"},
            {
                "name": f"app-{tag}-linux-amd64.tar.gz",
                "size": 4096,
                "browser_download_url": f"https://dl.example/{tag}/app-linux-amd64.tar.gz",
            },
        ],
    }


def test_github_releases(cli: CLI) -> None:
    page2 = "/repositories/42/releases?per_page=100&page=2"
    routes = {
        "/repos/example/app/releases?per_page=100": (
            200,
            {
                "Content-Type": "application/json",
                "Link": f'<{{base}}{page2}>; rel="next", <{{base}}{page2}>; rel="last"',
            },
            servers.json_body(
                [
                    release("v2.1.0-rc.1", "2026-11-01T00:00:00Z", prerelease=True),
                    release("v2.0.0", "2026-10-01T00:00:00Z"),
                    release("v2.2.0", "2026-11-10T00:00:00Z", draft=True),
                ]
            ),
        ),
        page2: (
            200,
            {"Content-Type": "application/json"},
            servers.json_body([release("v1.9.0", "2026-09-01T00:00:00Z")]),
        ),
    }
    with servers.recorded(routes) as (url, seen):
        code, doc, err = run(
            cli,
            "github-releases",
            url,
            "--version-regex",
            "^v",
            input_github_token="ghp_abc123",
            input_asset_regex="linux-amd64",
        )
    assert code == 0, err
    assert [a["version"] for a in doc["artifacts"]] == ["v2.0.0", "v1.9.0"]
    assert doc["selected"]["version"] == "v2.0.0"
    assert doc["selected"]["metadata"] == {
        "url": "https://github.com/example/app/releases/tag/v2.0.0",
        "published": "2026-10-01T00:00:00Z",
        "asset": "https://dl.example/v2.0.0/app-linux-amd64.tar.gz",
        "assetSize": "4096",
        "prerelease": "false",
    }
    assert seen[0][1]["Authorization"] == "Bearer ghp_abc123"
    assert "ghp_abc123" not in err + json.dumps(doc)


def test_pypi_simple(cli: CLI, tmp_path: Path) -> None:
    import hashlib

    packages = tmp_path / "packages"
    packages.mkdir()
    for name in (
        "my_pkg-1.9.0.tar.gz",
        "my_pkg-1.10.0-py3-none-any.whl",
        "my_pkg-1.10.0.tar.gz",
        "my_pkg-2.0.0rc1.tar.gz",
        "my_pkg-1.0.0.zip",
        "other-9.0.tar.gz",
    ):
        (packages / name).write_bytes(name.encode())
    with servers.pypiserver(packages) as url:
        code, doc, err = run(cli, "pypi-simple", url, "--version", "1.10.0", input_include_prereleases="true")
        stable = run(cli, "pypi-simple", url, input_include_prereleases="false")
        pasted = run(
            cli, "pypi-simple", url + "/simple/", input_include_prereleases="true"
        )  # the URL pip is configured with
    assert pasted[0] == 0, pasted[2]
    assert [a["version"] for a in pasted[1]["artifacts"]] == ["2.0.0rc1", "1.10.0", "1.9.0", "1.0.0"]
    assert code == 0, err
    assert [a["version"] for a in doc["artifacts"]] == ["2.0.0rc1", "1.10.0", "1.9.0", "1.0.0"]
    assert doc["selected"]["metadata"] == {
        "url": f"{url}/packages/my_pkg-1.10.0.tar.gz",
        "filename": "my_pkg-1.10.0.tar.gz",
        "sha256": hashlib.sha256(b"my_pkg-1.10.0.tar.gz").hexdigest(),
    }
    assert [a["version"] for a in stable[1]["artifacts"]] == ["1.10.0", "1.9.0", "1.0.0"]


@pytest.mark.slow
def test_s3_list(cli: CLI) -> None:
    objects = {
        "releases/app-1.9.0.tgz": b"a" * 10,
        "releases/app-1.10.0.tgz": b"b" * 20,
        "releases/notes.txt": b"",
        "other/app-9.9.9.tgz": b"c",
    }
    with servers.moto_s3(objects, pause=1.1) as (endpoint, key_id, secret):
        # No "/" in the prefix: moto's signature check rejects an encoded "/" in the query, boto3's own
        # requests included (test_s3_signature_matches_botocore covers that case against botocore).
        signed = {"input_access_key_id": key_id, "input_prefix": "releases", "input_page_size": "1"}
        code, doc, err = run(cli, "s3-list", endpoint, "--version", "1.10.0", input_secret_access_key=secret, **signed)
        forged = run(cli, "s3-list", endpoint, input_secret_access_key="wrong-" + secret, **signed)
    assert code == 0, err
    assert [a["version"] for a in doc["artifacts"]] == ["1.10.0", "1.9.0"]  # newest first, 3 pages of 1
    meta = doc["selected"]["metadata"]
    assert meta["key"] == "releases/app-1.10.0.tgz"
    assert meta["url"] == f"{endpoint}/builds/releases/app-1.10.0.tgz"
    assert meta["size"] == "20"
    assert meta["etag"] == hashlib.md5(b"b" * 20).hexdigest()
    assert forged[0] == 3
    assert "HTTP 403" in forged[2] and "SignatureDoesNotMatch" in forged[2]
    assert secret not in err + forged[2] + json.dumps(doc)


@pytest.mark.parametrize("prefix", ["releases%2F", "a%20b", ""])
def test_s3_signature_matches_botocore(prefix: str, monkeypatch: pytest.MonkeyPatch) -> None:
    """The script's SigV4 is byte for byte botocore's, for the S3 signer and a path-style URL. (The
    script is imported as it stands: its helper import is a real one.)"""
    import datetime
    import importlib.util

    from botocore.auth import S3SigV4Auth
    from botocore.awsrequest import AWSRequest
    from botocore.credentials import Credentials

    scripts = Path(entry("s3-list").path).parent.parent / "scripts"
    monkeypatch.syspath_prepend(str(scripts))
    spec = importlib.util.spec_from_file_location("s3_list", scripts / "s3-list.py")
    assert spec is not None and spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    url = f"http://127.0.0.1:9000/my-bucket?continuation-token=1%2Fab%2Bc%3D&list-type=2&max-keys=1000&prefix={prefix}"
    request = AWSRequest(method="GET", url=url, headers={})
    S3SigV4Auth(Credentials("AKIDEXAMPLE", "wJalrXUtnFEMI/K7MDENG+bPxRfiCYEXAMPLEKEY"), "s3", "eu-west-1").add_auth(
        request
    )
    when = datetime.datetime.strptime(request.headers["X-Amz-Date"], "%Y%m%dT%H%M%SZ").replace(
        tzinfo=datetime.timezone.utc
    )
    ours = module.sigv4_headers(
        "GET", url, "eu-west-1", "AKIDEXAMPLE", "wJalrXUtnFEMI/K7MDENG+bPxRfiCYEXAMPLEKEY", when
    )
    assert ours["Authorization"] == request.headers["Authorization"]


HELM_INDEX = """apiVersion: v1
entries:
  other:
  - name: other
    version: 9.0.0
    urls:
    - other-9.0.0.tgz
  mychart:
  - apiVersion: v2
    appVersion: "1.16.0"
    created: "2026-11-20T10:00:00.123456789Z"
    description: A Helm chart for Kubernetes
    digest: 1111111111111111111111111111111111111111111111111111111111111111
    maintainers:
    - email: team@example.com
      name: team
    name: mychart
    urls:
    - mychart-0.10.0.tgz
    version: 0.10.0
  - apiVersion: v2
    appVersion: 1.15.0
    created: "2026-10-01T09:00:00Z"
    digest: 2222222222222222222222222222222222222222222222222222222222222222
    name: mychart
    urls:
    - https://charts.example.com/mychart-0.9.0.tgz
    version: 0.9.0
generated: "2026-11-20T10:00:01Z"
"""


@pytest.mark.parametrize("style", ["helm", "indented"])
def test_helm_index(cli: CLI, tmp_path: Path, style: str) -> None:
    import yaml

    root = tmp_path / "charts"
    root.mkdir()
    text = HELM_INDEX
    if style == "indented":  # the same index as other tools write it: sequences indented under their key

        class Indented(yaml.SafeDumper):
            def increase_indent(self, flow: bool = False, indentless: bool = False) -> Any:
                return super().increase_indent(flow, False)

        text = yaml.dump(yaml.safe_load(HELM_INDEX), Dumper=Indented, sort_keys=False)
    (root / "index.yaml").write_text(text)
    with servers.nginx(root) as url:
        code, doc, err = run(cli, "helm-index", url, "--version", "0.10.0")
        pasted = run(cli, "helm-index", url + "/index.yaml")
    assert pasted[0] == 0, pasted[2]
    assert [a["version"] for a in pasted[1]["artifacts"]] == ["0.10.0", "0.9.0"]
    assert code == 0, err
    assert [a["version"] for a in doc["artifacts"]] == ["0.10.0", "0.9.0"]
    assert doc["selected"]["metadata"] == {
        "appVersion": "1.16.0",
        "created": "2026-11-20T10:00:00.123456789Z",
        "digest": "1" * 64,
        "url": f"{url}/mychart-0.10.0.tgz",
        "deprecated": "false",
    }
    assert doc["artifacts"][1]["metadata"]["url"] == "https://charts.example.com/mychart-0.9.0.tgz"


def test_oci_registry_tags(cli: CLI, tmp_path: Path) -> None:
    with servers.docker_registry(tmp_path / "registry") as url:
        digests = {
            tag: servers.push_image(url, "team/app", tag, f"layer {tag}".encode())
            for tag in ("1.9.0", "1.10.0", "latest")
        }
        code, doc, err = run(
            cli, "oci-registry-tags", url, "--version", "1.10.0", input_tag_regex=r"^\d", input_page_size="1"
        )
    assert code == 0, err
    assert [a["version"] for a in doc["artifacts"]] == ["1.10.0", "1.9.0"]  # natural order, highest first
    host = url.removeprefix("http://")
    assert doc["selected"]["metadata"] == {
        "digest": digests["1.10.0"],
        "SHA": digests["1.10.0"],
        "SHAV2": digests["1.10.0"],
        "image": f"{host}/team/app:1.10.0",
        "imageByDigest": f"{host}/team/app@{digests['1.10.0']}",
        "mediaType": "application/vnd.oci.image.manifest.v1+json",
    }
    assert doc["expressions"]["<+artifact.metadata.SHAV2>"] == digests["1.10.0"]


def test_npm_registry(cli: CLI, tmp_path: Path) -> None:
    import time

    with servers.verdaccio(tmp_path / "verdaccio") as url:
        shasums = {}
        for version, tags in (("1.9.0", ("latest",)), ("1.10.0", ("latest",)), ("2.0.0-beta.1", ("next",))):
            shasums[version] = servers.npm_publish(url, "@team/app", version, f"tarball {version}".encode(), tags)
            time.sleep(0.01)
        code, doc, err = run(
            cli, "npm-registry", url, "--version-regex", r"^\d+\.\d+\.\d+$", input_include_prereleases="true"
        )
    assert code == 0, err
    assert [a["version"] for a in doc["artifacts"]] == ["2.0.0-beta.1", "1.10.0", "1.9.0"]  # newest first
    meta = doc["selected"]["metadata"]
    assert doc["selected"]["version"] == "1.10.0"
    assert meta["shasum"] == shasums["1.10.0"]
    assert meta["tags"] == "latest"
    assert meta["tarball"].endswith("/@team/app/-/app-1.10.0.tgz")
    assert meta["integrity"].startswith("sha512-")
    assert meta["deprecated"] == "false"
    assert doc["artifacts"][0]["metadata"]["tags"] == "next"


@pytest.mark.parametrize("template", ["helm-index", "github-releases"])
def test_credentials_never_follow_a_redirect_to_another_origin(cli: CLI, template: str) -> None:
    """A private repository redirecting to a CDN or a fallback index: the credentials stay with the
    origin they were given for (urllib would copy them across), and do follow a same-origin redirect.
    helm-index reaches the server through the shared helper, github-releases through its own code."""
    first = "/index.yaml" if template == "helm-index" else "/repos/example/app/releases?per_page=100"
    body = (
        HELM_INDEX.encode()
        if template == "helm-index"
        else servers.json_body([release("v1.0.0", "2026-01-01T00:00:00Z")])
    )
    kind = "text/yaml" if template == "helm-index" else "application/json"
    with servers.recorded({"/cdn/data": (200, {"Content-Type": kind}, body)}) as (cdn, cdn_seen):
        routes = {
            first: (302, {"Location": "{base}/moved"}, b""),  # same origin: credentials kept
            "/moved": (302, {"Location": f"{cdn}/cdn/data"}, b""),  # another origin: dropped
        }
        with servers.recorded(routes) as (origin, origin_seen):
            secret = {"input_repo_user": "deployer", "input_repo_password": "s3cr3t-pw"}
            token = {"input_github_token": "ghp_abc123"}
            code, doc, err = run(cli, template, origin, **(secret if template == "helm-index" else token))
            leak = subprocess.run(  # the control: plain urllib hands them to the CDN
                [
                    sys.executable,
                    "-c",
                    "import sys, urllib.request as u; u.urlopen(u.Request(sys.argv[1], "
                    "headers={'Authorization': 'Basic x'})).read()",
                    origin + first,
                ],
                check=True,
            )
    assert code == 0, err
    assert doc["artifacts"], doc
    assert [("Authorization" in headers) for _, headers in origin_seen[:2]] == [True, True]
    assert "Authorization" not in cdn_seen[0][1]
    assert leak.returncode == 0 and "Authorization" in cdn_seen[1][1]


def _answers(replies: list[tuple[int, dict[str, str], bytes]]) -> type[servers.Quiet]:
    """A server answering each request with the next reply (the last one repeats)."""

    class Answers(servers.Quiet):
        calls: ClassVar[list[str]] = []

        def do_GET(self) -> None:
            self.calls.append(self.path)
            status, headers, body = replies[min(len(self.calls), len(replies)) - 1]
            self.reply(status, body, headers)

    return Answers


@pytest.mark.slow
def test_a_busy_server_is_asked_again_after_the_wait_it_names(cli: CLI) -> None:
    handler = _answers([(429, {"Retry-After": "1"}, b"slow down"), (503, {}, b""), (200, {}, HELM_INDEX.encode())])
    with servers.serving(handler) as url:
        code, doc, err = run(cli, "helm-index", url)
    assert code == 0, err
    assert len(handler.calls) == 3  # 429 after 1 s, 503 after a backoff, then the index
    assert [a["version"] for a in doc["artifacts"]] == ["0.10.0", "0.9.0"]


def test_a_rate_limit_is_named_with_when_it_resets(cli: CLI) -> None:
    import time as clock

    reset = int(clock.time()) + 600
    limited = {"X-RateLimit-Remaining": "0", "X-RateLimit-Reset": str(reset), "Content-Type": "application/json"}
    handler = _answers([(403, limited, b'{"message": "API rate limit exceeded"}')])
    with servers.serving(handler) as url:
        code, _doc, err = run(cli, "github-releases", url)
    assert code == 3
    assert "HTTP 403" in err and "(rate limit reached: it resets at " in err and "a token raises it" in err
    assert len(handler.calls) == 1  # a 403 is not retried


def test_a_server_that_stays_unavailable_fails_after_a_few_tries(cli: CLI) -> None:
    handler = _answers([(503, {"Retry-After": "0"}, b"")])
    with servers.serving(handler) as url:
        code, _doc, err = run(cli, "helm-index", url)
    assert code == 3 and "HTTP 503" in err
    assert len(handler.calls) == 4  # the first try and three more, then a clear failure


def test_the_gallery_version_order(monkeypatch: pytest.MonkeyPatch) -> None:
    """_http.version_key, the one order the gallery's entries sort by where the server gives no date."""
    monkeypatch.syspath_prepend(str(Path(entry("helm-index").path).parent.parent / "scripts"))
    import _http

    listed = [
        "latest",
        "1.9.0",
        "v1.10.0",
        "1.10.0-rc.1",
        "1.10.0-rc.2",
        "1.10.0-beta",
        "1.10.0-1",
        "sha-1f2e3d",
        "1.10",
    ]
    newest_first = sorted(listed, key=_http.version_key, reverse=True)
    assert newest_first[:6] == ["1.10.0-1", "v1.10.0", "1.10", "1.10.0-rc.2", "1.10.0-rc.1", "1.10.0-beta"]
    assert newest_first[6] == "1.9.0" and set(newest_first[7:]) == {"latest", "sha-1f2e3d"}
    assert [_http.is_prerelease(v) for v in ("2.0.0-SNAPSHOT", "2.0a1", "2.0.dev3", "2.0", "2.0-1", "main")] == [
        True,
        True,
        True,
        False,
        False,
        False,
    ]
