"""The package-index gallery entries against real servers: pypi-simple (pypiserver, devpi-server, a
static PEP 503/691 index on nginx), conda-channel (a channel on nginx, repodata.json and
channeldata.json as conda-index writes them), crates-sparse-index (a sparse index on nginx, with
cargo's auth-required checked by nginx itself)."""

from __future__ import annotations

import base64
import contextlib
import hashlib
import importlib.util
import io
import json
import shutil
import subprocess
import sys
import tarfile
import urllib.request
import uuid
import zipfile
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from . import servers
from .gallery_test import REQUIRED, run, run_loud
from .helpers import CLI, ROOT, need


def script(name: str, tmp_path: Path, **env: str) -> tuple[int, list[dict[str, str]], str]:
    """The gallery script run on its own (python3 scripts/NAME.py): every item it writes, in its order
    (customsrc run keeps only the first of each version), and its stderr."""
    out = tmp_path / f"{name}-{uuid.uuid4().hex[:8]}.json"
    full = {"PATH": "/usr/bin:/bin", "HARNESS_ARTIFACT_RESULT_PATH": str(out), **REQUIRED[name], **env}
    proc = subprocess.run(
        [sys.executable, str(ROOT / "scripts" / f"{name}.py")],
        env=full,
        capture_output=True,
        text=True,
        cwd=tmp_path,
        check=False,
    )
    items = json.loads(out.read_text())["items"] if proc.returncode == 0 else []
    return proc.returncode, items, proc.stderr


# -- Python packages, built here with the standard library -------------------------------------------


def wheel(name: str, version: str) -> bytes:
    """A minimal, well-formed pure-Python wheel."""
    dist = f"{name.replace('-', '_')}-{version}.dist-info"
    out = io.BytesIO()
    with zipfile.ZipFile(out, "w", zipfile.ZIP_DEFLATED) as archive:
        archive.writestr(f"{name.replace('-', '_')}/__init__.py", f"__version__ = {version!r}\n")
        archive.writestr(f"{dist}/METADATA", f"Metadata-Version: 2.1\nName: {name}\nVersion: {version}\n")
        archive.writestr(
            f"{dist}/WHEEL", "Wheel-Version: 1.0\nGenerator: test\nRoot-Is-Purelib: true\nTag: py3-none-any\n"
        )
        archive.writestr(f"{dist}/RECORD", "")
    return out.getvalue()


def sdist(name: str, version: str) -> bytes:
    """A minimal sdist (PKG-INFO and pyproject.toml under NAME-VERSION/)."""
    top = f"{name.replace('-', '_')}-{version}"
    out = io.BytesIO()
    with tarfile.open(fileobj=out, mode="w:gz") as archive:
        for member, text in (
            ("PKG-INFO", f"Metadata-Version: 2.1\nName: {name}\nVersion: {version}\n"),
            ("pyproject.toml", f'[project]\nname = "{name}"\nversion = "{version}"\n'),
        ):
            data = text.encode()
            info = tarfile.TarInfo(f"{top}/{member}")
            info.size = len(data)
            archive.addfile(info, io.BytesIO(data))
    return out.getvalue()


# my-pkg as a real project's history: releases, an epoch change, calendar versions, pre-, post- and
# dev releases, a local build, and a project whose name starts like it (my-pkg-extra).
RELEASES = [
    ("my-pkg", "0.9", "sdist"),
    ("my-pkg", "1.0", "sdist"),
    ("my-pkg", "1.0", "wheel"),
    ("my-pkg", "1.0.post1", "sdist"),
    ("my-pkg", "1.0+local.1", "wheel"),
    ("my-pkg", "1.1.dev1", "sdist"),
    ("my-pkg", "1.1a1", "sdist"),
    ("my-pkg", "1.1b2", "wheel"),
    ("my-pkg", "1.1rc1", "sdist"),
    ("my-pkg", "1.1", "wheel"),
    ("my-pkg", "1.1", "sdist"),
    ("my-pkg", "1.10.0", "sdist"),
    ("my-pkg", "2.0.dev3", "sdist"),
    ("my-pkg", "2.0rc1", "sdist"),
    ("my-pkg", "2024.1", "sdist"),
    ("my-pkg", "1!1.0", "sdist"),
    ("my-pkg", "1!1.1rc1", "wheel"),
    ("my-pkg-extra", "3.0", "sdist"),
]
STABLE = ["1!1.0", "2024.1", "1.10.0", "1.1", "1.0.post1", "1.0+local.1", "1.0", "0.9"]
EVERYTHING = [
    "1!1.1rc1",
    "1!1.0",
    "2024.1",
    "2.0rc1",
    "2.0.dev3",
    "1.10.0",
    "1.1",
    "1.1rc1",
    "1.1b2",
    "1.1a1",
    "1.1.dev1",
    "1.0.post1",
    "1.0+local.1",
    "1.0",
    "0.9",
]


def build(name: str, version: str, kind: str) -> tuple[str, bytes]:
    stem = f"{name.replace('-', '_')}-{version}"
    if kind == "wheel":
        return f"{stem}-py3-none-any.whl", wheel(name, version)
    return f"{stem}.tar.gz", sdist(name, version)


def seed(folder: Path) -> dict[str, bytes]:
    folder.mkdir(parents=True, exist_ok=True)
    files = dict(build(*release) for release in RELEASES)
    for filename, body in files.items():
        (folder / filename).write_bytes(body)
    return files


def versions(doc: dict[str, Any]) -> list[str]:
    return [a["version"] for a in doc["artifacts"]]


@contextlib.contextmanager
def pypiserver(packages: Path, *options: str) -> Iterator[str]:
    """pypiserver with options of its own (auth, fallback); servers.pypiserver runs it with auth off."""
    binary = shutil.which("pypi-server")
    need(binary, "pypiserver", "pip install pypiserver; nox -s tests does")
    assert binary is not None
    port = servers.free_port()
    argv = [binary, "run", "-p", str(port), "-i", "127.0.0.1", *options, str(packages)]
    with servers.process(argv, port, cwd=str(packages.parent)):
        yield f"http://127.0.0.1:{port}"


def htpasswd(path: Path, user: str, password: str) -> Path:
    """An Apache htpasswd file ({SHA} scheme), which pypiserver reads with passlib."""
    need(
        importlib.util.find_spec("passlib"),
        "passlib (pypiserver's password files)",
        "pip install 'pypiserver[passlib]'",
    )
    digest = base64.b64encode(hashlib.sha1(password.encode()).digest()).decode()
    path.write_text(f"{user}:{{SHA}}{digest}\n")
    return path


@pytest.mark.slow
def test_pypi_simple_pep440_order_and_prereleases_on_pypiserver(cli: CLI, tmp_path: Path) -> None:
    files = seed(tmp_path / "packages")
    with servers.pypiserver(tmp_path / "packages") as url:
        code, doc, err = run(cli, "pypi-simple", url, "--version", "1.1")
        everything = run(cli, "pypi-simple", url, input_include_prereleases="true")
        bad = run(cli, "pypi-simple", url, input_include_prereleases="maybe")
    assert code == 0, err
    assert versions(doc) == STABLE  # an epoch above calendar versions, a local build above its release
    assert doc["selected"]["metadata"] == {  # the sdist, not the wheel
        "url": f"{url}/packages/my_pkg-1.1.tar.gz",
        "filename": "my_pkg-1.1.tar.gz",
        "sha256": hashlib.sha256(files["my_pkg-1.1.tar.gz"]).hexdigest(),
    }
    assert everything[0] == 0, everything[2]
    assert versions(everything[1]) == EVERYTHING  # dev < a < b < rc < release < post
    assert bad[0] == 3 and "INCLUDE_PRERELEASES must be true or false" in bad[2]


@pytest.mark.slow
def test_pypi_simple_only_prereleases_is_an_empty_list_that_says_why(cli: CLI, tmp_path: Path) -> None:
    packages = tmp_path / "packages"
    packages.mkdir()
    for version in ("0.1.dev1", "0.1a1", "0.1rc2"):
        (packages / f"new_pkg-{version}.tar.gz").write_bytes(sdist("new-pkg", version))
    with servers.pypiserver(packages) as url:
        code, doc, err = run_loud(cli, "pypi-simple", url, input_package="new-pkg")
    assert code == 0, err
    assert doc["artifacts"] == []
    assert "3 versions of new-pkg" in err and "INCLUDE_PRERELEASES false (3 pre- and dev releases left out)" in err


@pytest.mark.slow
def test_pypi_simple_basic_auth_missing_package_and_fallback_redirect(cli: CLI, tmp_path: Path) -> None:
    """pypiserver with reads behind basic auth: the credentials open it; a package it does not have,
    fallback off, fails saying so; with its fallback on, the redirect is followed as pip follows it
    (the versions are the other index's), and the credentials never reach that index."""
    seed(tmp_path / "packages")
    passwords = htpasswd(tmp_path / "htpasswd", "ci", "s3cret")
    auth = ["-a", "list,download,update", "-P", str(passwords)]
    login = {"input_repo_user": "ci", "input_repo_password": "s3cret"}
    other_page = (
        b'<!DOCTYPE html><html><body><a href="/files/elsewhere-5.0.tar.gz#sha256=' + b"ab" * 32 + b'">'
        b'elsewhere-5.0.tar.gz</a><br><a href="/files/elsewhere-4.2.tar.gz">elsewhere-4.2.tar.gz</a></body></html>'
    )
    routes = {"/simple/elsewhere/": (200, {"Content-Type": "text/html"}, other_page)}
    with servers.recorded(routes) as (other, seen):
        fallback = ["--fallback-url", f"{other}/simple/"]
        with pypiserver(tmp_path / "packages", *auth, "--disable-fallback") as url:
            code, doc, err = run(cli, "pypi-simple", url, **login)
            anonymous = run(cli, "pypi-simple", url)
            missing = run(cli, "pypi-simple", url, input_package="No_Such.Pkg", **login)
        with pypiserver(tmp_path / "packages", *auth, *fallback) as url2:
            redirected = run_loud(cli, "pypi-simple", url2, input_package="elsewhere", **login)
            nowhere = run(cli, "pypi-simple", url2, input_package="nowhere", **login)
    assert code == 0, err
    assert versions(doc) == STABLE
    assert anonymous[0] == 3 and "HTTP 401" in anonymous[2]
    assert missing[0] == 3
    assert f"no package No_Such.Pkg on this index ({url}/simple/no-such-pkg/)" in missing[2]
    assert redirected[0] == 0, redirected[2]
    assert versions(redirected[1]) == ["5.0", "4.2"]
    assert redirected[1]["artifacts"][0]["metadata"]["url"] == f"{other}/files/elsewhere-5.0.tar.gz"
    assert f"redirected to {other}/simple/elsewhere/" in redirected[2]
    assert nowhere[0] == 3
    assert f"no package nowhere on this index ({url2}/simple/nowhere/); it redirected to {other}" in nowhere[2]
    assert [path for path, _ in seen] == ["/simple/elsewhere/", "/simple/nowhere/"]  # it did reach the other index
    assert all("Authorization" not in headers and "authorization" not in headers for _, headers in seen)


def static_index(root: Path, mode: str) -> None:
    """A static simple index (as dumb-pypi or a CI job writes one) with PEP 592 yanked files."""
    files = [
        ("app-1.4.0.tar.gz", None),
        ("app-1.4.1.tar.gz", "broken build"),  # the whole release yanked, with a reason
        ("app-1.5.0.tar.gz", ""),  # its sdist yanked (no reason), its wheel not
        ("app-1.5.0-py3-none-any.whl", None),
        ("app-2.0.0.tar.gz", "wrong dependency pins"),
        ("app-2.1.0b1.tar.gz", None),
    ]
    (root / "files").mkdir(parents=True)
    for filename, _ in files:
        (root / "files" / filename).write_bytes(filename.encode())
    folder = root / "simple" / "app"
    folder.mkdir(parents=True)
    digest = {f: hashlib.sha256(f.encode()).hexdigest() for f, _ in files}
    if mode == "html":
        links = "".join(
            f'<a href="../../files/{f}#sha256={digest[f]}"'
            + ("" if why is None else f' data-yanked="{why}"')
            + f">{f}</a><br>\n"
            for f, why in files
        )
        (folder / "index.html").write_text(f"<!DOCTYPE html><html><body>\n{links}</body></html>\n")
    else:
        entries = [
            {
                "filename": f,
                "url": f"../../files/{f}",
                "hashes": {"sha256": digest[f]},
                **({} if why is None else {"yanked": why or True}),
            }
            for f, why in files
        ]
        (folder / "index.json").write_text(
            json.dumps({"meta": {"api-version": "1.0"}, "name": "app", "files": entries})
        )
    # A project whose every release was yanked.
    (root / "simple" / "gone").mkdir()
    (root / "files" / "gone-0.1.tar.gz").write_bytes(b"gone")
    if mode == "html":
        page = '<html><body><a href="../../files/gone-0.1.tar.gz" data-yanked="">gone-0.1.tar.gz</a></body></html>'
        (root / "simple" / "gone" / "index.html").write_text(page)
    else:
        gone = {"filename": "gone-0.1.tar.gz", "url": "../../files/gone-0.1.tar.gz", "hashes": {}, "yanked": True}
        (root / "simple" / "gone" / "index.json").write_text(
            json.dumps({"meta": {"api-version": "1.0"}, "files": [gone]})
        )


@pytest.mark.slow
@pytest.mark.parametrize("mode", ["html", "json"])
def test_pypi_simple_yanked_files_left_out_as_pip_does(cli: CLI, tmp_path: Path, mode: str) -> None:
    root = tmp_path / "index"
    static_index(root, mode)
    extra = "index index.json; types { application/vnd.pypi.simple.v1+json json; }" if mode == "json" else ""
    with servers.nginx(root, extra=extra) as url:
        code, doc, err = run(cli, "pypi-simple", url, "--version", "1.5.0", input_package="app")
        yanked = run(cli, "pypi-simple", url, input_package="app", input_include_yanked="true")
        gone = run_loud(cli, "pypi-simple", url, input_package="gone")
    assert code == 0, err
    assert versions(doc) == ["1.5.0", "1.4.0"]
    assert doc["selected"]["metadata"]["filename"] == "app-1.5.0-py3-none-any.whl"  # the file not yanked
    assert doc["selected"]["metadata"]["url"] == f"{url}/files/app-1.5.0-py3-none-any.whl"
    assert versions(yanked[1]) == ["2.0.0", "1.5.0", "1.4.1", "1.4.0"]
    assert yanked[1]["artifacts"][1]["metadata"]["filename"] == "app-1.5.0.tar.gz"
    assert gone[0] == 0 and gone[1]["artifacts"] == []  # an empty list, saying why
    assert "1 version of gone" in gone[2] and "INCLUDE_YANKED false (1 yanked version left out)" in gone[2]


@pytest.mark.slow
def test_pypi_simple_on_devpi(cli: CLI, tmp_path: Path) -> None:
    """devpi-server (PEP 691 JSON, files under +f/): a user's index, uploaded to with basic auth as
    twine does, read with the user's credentials at the URL pip is given (USER/INDEX/+simple/)."""
    init, server = shutil.which("devpi-init"), shutil.which("devpi-server")
    need(init and server, "devpi-server", "pip install devpi-server")
    assert init is not None and server is not None
    serverdir = tmp_path / "devpi"
    subprocess.run([init, "--serverdir", str(serverdir), "--root-passwd", "root"], check=True, capture_output=True)
    port = servers.free_port()
    argv = [server, "--serverdir", str(serverdir), "--host", "127.0.0.1", "--port", str(port), "--offline-mode"]
    with servers.process(argv, port, cwd=str(tmp_path)):
        url = f"http://127.0.0.1:{port}"
        login = {"Authorization": "Basic " + base64.b64encode(b"alice:s3cret").decode()}
        as_json = {"Content-Type": "application/json", "Accept": "application/json"}

        def call(method: str, path: str, body: bytes, headers: dict[str, str]) -> None:
            urllib.request.urlopen(urllib.request.Request(url + path, body, headers, method=method), timeout=30).close()

        call("PUT", "/alice", json.dumps({"password": "s3cret"}).encode(), as_json)
        call("PUT", "/alice/dev", json.dumps({"bases": []}).encode(), {**as_json, **login})
        uploaded = {}
        for name, version, kind in RELEASES:
            filename, content = build(name, version, kind)
            uploaded[filename] = content
            boundary = uuid.uuid4().hex
            fields = [(":action", "file_upload", None), ("name", name, None), ("version", version, None)]
            fields.append(("content", content, filename))
            form = b"".join(
                f'--{boundary}\r\nContent-Disposition: form-data; name="{field}"'.encode()
                + (f'; filename="{file}"'.encode() if file else b"")
                + b"\r\n\r\n"
                + (value if isinstance(value, bytes) else value.encode())
                + b"\r\n"
                for field, value, file in fields
            )
            form += f"--{boundary}--\r\n".encode()
            call("POST", "/alice/dev/", form, {"Content-Type": f"multipart/form-data; boundary={boundary}", **login})
        index = f"{url}/alice/dev/+simple/"
        creds = {"input_repo_user": "alice", "input_repo_password": "s3cret"}
        code, doc, err = run(cli, "pypi-simple", index, "--version", "1!1.0", **creds)
        everything = run(cli, "pypi-simple", index, input_include_prereleases="true", **creds)
        missing = run(cli, "pypi-simple", index, input_package="nope", **creds)
        assert code == 0, err
        with urllib.request.urlopen(doc["selected"]["metadata"]["url"], timeout=30) as response:
            downloaded = response.read()  # the URL is the file's own
    assert versions(doc) == STABLE
    meta = doc["selected"]["metadata"]
    assert meta["filename"] == "my_pkg-1!1.0.tar.gz"
    assert meta["sha256"] == hashlib.sha256(uploaded["my_pkg-1!1.0.tar.gz"]).hexdigest()
    assert meta["url"].startswith(f"{url}/alice/dev/+f/") and meta["url"].endswith("/my_pkg-1!1.0.tar.gz")
    assert downloaded == uploaded["my_pkg-1!1.0.tar.gz"]
    assert versions(everything[1]) == EVERYTHING
    assert missing[0] == 3 and f"no package nope on this index ({index}nope/)" in missing[2]


# -- conda ----------------------------------------------------------------------------------------------


def conda_record(name: str, version: str, build_number: int, subdir: str, stamp: int, **extra: Any) -> dict[str, Any]:
    build = extra.pop("build", f"py_{build_number}" if subdir == "noarch" else f"h1234abc_{build_number}")
    digest = hashlib.sha256(f"{name}{version}{build}{subdir}".encode()).hexdigest()
    return {
        "build": build,
        "build_number": build_number,
        "depends": ["python >=3.9"],
        "license": "MIT",
        "md5": digest[:32],
        "name": name,
        "sha256": digest,
        "size": 4096 + build_number,
        "subdir": subdir,
        "timestamp": stamp,
        "version": version,
        **extra,
    }


def write_channel(root: Path, packages: dict[str, list[tuple[str, dict[str, Any]]]]) -> None:
    """repodata.json per subdir and channeldata.json, shaped as conda-index writes them."""
    channeldata: dict[str, Any] = {"channeldata_version": 1, "packages": {}, "subdirs": sorted(packages)}
    for subdir, files in packages.items():
        (root / subdir).mkdir(parents=True)
        repodata: dict[str, Any] = {
            "info": {"subdir": subdir},
            "packages": {},
            "packages.conda": {},
            "removed": [],
            "repodata_version": 1,
        }
        for filename, record in files:
            repodata["packages.conda" if filename.endswith(".conda") else "packages"][filename] = record
            entry = channeldata["packages"].setdefault(record["name"], {"subdirs": []})
            if subdir not in entry["subdirs"]:
                entry["subdirs"].append(subdir)
        (root / subdir / "repodata.json").write_text(json.dumps(repodata, indent=2))
    (root / "channeldata.json").write_text(json.dumps(channeldata, indent=2))


def both_formats(
    name: str, version: str, build_number: int, subdir: str, stamp: int
) -> list[tuple[str, dict[str, Any]]]:
    record = conda_record(name, version, build_number, subdir, stamp)
    stem = f"{name}-{version}-{record['build']}"
    return [(f"{stem}.conda", record), (f"{stem}.tar.bz2", {**record, "size": record["size"] * 2})]


def conda_channel(root: Path) -> None:
    linux = [
        *both_formats("mypkg", "1.9.0", 0, "linux-64", 1_690_000_000),  # seconds (older conda-build)
        *both_formats("mypkg", "1.10.0", 0, "linux-64", 1_700_000_000_000),
        *both_formats("mypkg", "2.0.0rc1", 0, "linux-64", 1_705_000_000_000),
        *both_formats("mypkg", "2.0.0", 0, "linux-64", 1_710_000_000_000),
        *both_formats("mypkg", "2.0.0.post1", 0, "linux-64", 1_712_000_000_000),
        *both_formats("mypkg", "2.1.0.dev0", 0, "linux-64", 1_713_000_000_000),
        # A rebuild of 1.9.0 (new dependency pins) long after 2.0.0: the newest file of all.
        *both_formats("mypkg", "1.9.0", 1, "linux-64", 1_730_000_000_000),
        ("native-0.3-h0_0.conda", conda_record("native", "0.3", 0, "linux-64", 1_700_000_000_000, build="h0_0")),
        ("twoplat-1.0-h0_0.conda", conda_record("twoplat", "1.0", 0, "linux-64", 1_700_000_000_000, build="h0_0")),
    ]
    noarch = [
        *both_formats("mypkg", "0.8.1", 0, "noarch", 1_600_000_000_000),  # before it had compiled parts
        ("tool-3.1-py_0.conda", conda_record("tool", "3.1", 0, "noarch", 1_720_000_000_000)),
        ("tool-3.10-py_0.conda", conda_record("tool", "3.10", 0, "noarch", 1_721_000_000_000)),
        ("tool-1!0.1-py_0.conda", conda_record("tool", "1!0.1", 0, "noarch", 1_600_000_000_000)),
    ]
    osx = [("twoplat-1.0-h0_0.conda", conda_record("twoplat", "1.0", 0, "osx-arm64", 1_700_000_000_000, build="h0_0"))]
    write_channel(root, {"linux-64": linux, "noarch": noarch, "osx-arm64": osx})


def test_conda_channel_version_order_then_build_then_time(cli: CLI, tmp_path: Path) -> None:
    root = tmp_path / "channel"
    conda_channel(root)
    with servers.nginx(root) as url:
        code, items, err = script("conda-channel", tmp_path, REPO_URL=url, SUBDIR="linux-64")
        code2, doc, err2 = run(cli, "conda-channel", url, "--version", "1.9.0", input_subdir="linux-64")
    assert code == 0, err
    listed = [(item["version"], item["build"], item["url"].rsplit(".", 1)[-1]) for item in items]
    assert listed == [
        ("2.1.0.dev0", "h1234abc_0", "conda"),
        ("2.1.0.dev0", "h1234abc_0", "bz2"),
        ("2.0.0.post1", "h1234abc_0", "conda"),
        ("2.0.0.post1", "h1234abc_0", "bz2"),
        ("2.0.0", "h1234abc_0", "conda"),
        ("2.0.0", "h1234abc_0", "bz2"),
        ("2.0.0rc1", "h1234abc_0", "conda"),
        ("2.0.0rc1", "h1234abc_0", "bz2"),
        ("1.10.0", "h1234abc_0", "conda"),
        ("1.10.0", "h1234abc_0", "bz2"),
        ("1.9.0", "h1234abc_1", "conda"),  # the rebuild: first of 1.9.0, below every newer version
        ("1.9.0", "h1234abc_1", "bz2"),
        ("1.9.0", "h1234abc_0", "conda"),
        ("1.9.0", "h1234abc_0", "bz2"),
        ("0.8.1", "py_0", "conda"),  # from noarch, read with linux-64 as conda does
        ("0.8.1", "py_0", "bz2"),
    ]
    assert items[-3]["published"] == "2023-07-22T04:26:40+00:00"  # a timestamp in seconds
    assert code2 == 0, err2
    assert versions(doc) == ["2.1.0.dev0", "2.0.0.post1", "2.0.0", "2.0.0rc1", "1.10.0", "1.9.0", "0.8.1"]
    meta = doc["selected"]["metadata"]
    assert meta["build"] == "h1234abc_1" and meta["url"] == f"{url}/linux-64/mypkg-1.9.0-h1234abc_1.conda"
    assert meta["published"] == "2024-10-27T03:33:20+00:00"


def test_conda_channel_noarch_and_platforms(cli: CLI, tmp_path: Path) -> None:
    root = tmp_path / "channel"
    conda_channel(root)
    with servers.nginx(root) as url:
        tool = run(cli, "conda-channel", url, input_package="tool", input_subdir="linux-64")
        native = run_loud(cli, "conda-channel", url, input_package="native")  # SUBDIR noarch, the default
        twoplat = run(cli, "conda-channel", url, input_package="twoplat")
        typo = run(cli, "conda-channel", url, input_package="mypgk", input_subdir="linux-64")
        nosubdir = run(cli, "conda-channel", url, input_package="mypkg", input_subdir="win-64")
    assert tool[0] == 0, tool[2]
    assert versions(tool[1]) == ["1!0.1", "3.10", "3.1"]  # an epoch above all; 3.10 > 3.1
    assert tool[1]["artifacts"][0]["metadata"]["url"] == f"{url}/noarch/tool-1!0.1-py_0.conda"
    assert native[0] == 0, native[2]
    assert versions(native[1]) == ["0.3"] and native[1]["artifacts"][0]["metadata"]["url"].startswith(
        f"{url}/linux-64/"
    )
    assert "builds it for linux-64 only" in native[2]
    assert twoplat[0] == 3 and "it is built for linux-64, osx-arm64: set SUBDIR" in twoplat[2]
    assert typo[0] == 3
    assert f"no package mypgk in {url}/linux-64 (or noarch)" in typo[2] and "such as: mypkg" in typo[2]
    assert nosubdir[0] == 3 and "no subdir win-64" in nosubdir[2] and "linux-64, noarch, osx-arm64" in nosubdir[2]


# -- crates ---------------------------------------------------------------------------------------------


def crate_line(name: str, version: str, yanked: bool = False) -> str:
    cksum = hashlib.sha256(f"{name}-{version}".encode()).hexdigest()
    record = {"name": name, "vers": version, "deps": [], "cksum": cksum, "features": {}, "yanked": yanked, "v": 2}
    return json.dumps(record)


def index_file(root: Path, name: str, lines: list[str]) -> None:
    lower = name.lower()
    folder = {1: "1", 2: "2", 3: f"3/{lower[0]}"}.get(len(lower), f"{lower[:2]}/{lower[2:4]}")
    (root / folder).mkdir(parents=True, exist_ok=True)
    (root / folder / lower).write_text("".join(line + "\n" for line in lines))


# Publish order, as the index keeps it: a 1.2.5 hotfix and a 1.1.1 backport after 2.0.0, yanked and
# pre-release versions, build metadata (as the -sys crates carry the C library's version).
PUBLISHED = [
    ("1.0.0", False),
    ("1.1.0", False),
    ("2.0.0-beta.2", False),
    ("2.0.0-beta.11", False),
    ("2.0.0-rc.1", False),
    ("2.0.0", False),
    ("1.2.5", False),
    ("2.0.1", True),
    ("1.1.1+zstd.1.5.6", False),
    ("2.1.0-alpha.1", False),
    ("0.9.9", False),
]


def crates_index(root: Path, config: dict[str, Any]) -> None:
    root.mkdir(parents=True)
    (root / "config.json").write_text(json.dumps(config))
    index_file(root, "Inflector", [crate_line("Inflector", v, y) for v, y in PUBLISHED])
    for name in ("a", "ab", "abc"):
        index_file(root, name, [crate_line(name, "0.1.0"), crate_line(name, "0.2.0")])
    index_file(root, "only-pre", [crate_line("only-pre", "0.1.0-alpha.1"), crate_line("only-pre", "0.1.0-alpha.2")])


def test_crates_sparse_index_order_prereleases_yanked_and_missing(cli: CLI, tmp_path: Path) -> None:
    root = tmp_path / "index"
    crates_index(root, {"dl": "https://dl.example/api/v1/crates", "api": "https://dl.example"})
    with servers.nginx(root) as url:
        code, doc, err = run(cli, "crates-sparse-index", url, input_crate="inflector")
        pre = run(cli, "crates-sparse-index", url, input_crate="Inflector", input_include_prereleases="true")
        yanked = run(cli, "crates-sparse-index", url, input_crate="Inflector", input_include_yanked="true")
        missing = run(cli, "crates-sparse-index", url, input_crate="no-such-crate")
        only_pre = run_loud(cli, "crates-sparse-index", url, input_crate="only-pre")
    assert code == 0, err
    assert versions(doc) == ["2.0.0", "1.2.5", "1.1.1+zstd.1.5.6", "1.1.0", "1.0.0", "0.9.9"]
    assert doc["artifacts"][0]["metadata"]["url"] == "https://dl.example/api/v1/crates/Inflector/2.0.0/download"
    assert versions(pre[1]) == [
        "2.1.0-alpha.1",
        "2.0.0",
        "2.0.0-rc.1",
        "2.0.0-beta.11",  # numbers as numbers: beta.11 above beta.2
        "2.0.0-beta.2",
        "1.2.5",
        "1.1.1+zstd.1.5.6",
        "1.1.0",
        "1.0.0",
        "0.9.9",
    ]
    assert versions(yanked[1])[:2] == ["2.0.1", "2.0.0"] and yanked[1]["artifacts"][0]["metadata"]["yanked"] == "true"
    assert missing[0] == 3 and "no crate no-such-crate in this index" in missing[2]
    assert f"{url}/no/-s/no-such-crate" in missing[2]
    assert only_pre[0] == 0 and only_pre[1]["artifacts"] == []
    assert "2 versions of only-pre" in only_pre[2] and "2 pre-releases left out" in only_pre[2]


@pytest.mark.parametrize(
    ("template", "expected"),
    [
        ("https://dl.example/files/{crate}/{version}/download", "https://dl.example/files/{crate}/{version}/download"),
        (
            "https://dl.example/{prefix}/{crate}/{crate}-{version}.crate",
            "https://dl.example/{prefix}/{crate}/{crate}-{version}.crate",
        ),
        (
            "https://dl.example/{lowerprefix}/{crate}-{version}.crate",
            "https://dl.example/{lowerprefix}/{crate}-{version}.crate",
        ),
        ("https://dl.example/by-sum/{sha256-checksum}", "https://dl.example/by-sum/{sha256}"),
        ("https://dl.example/crates", "https://dl.example/crates/{crate}/{version}/download"),
    ],
)
def test_crates_sparse_index_dl_templates(cli: CLI, tmp_path: Path, template: str, expected: str) -> None:
    root = tmp_path / "index"
    crates_index(root, {"dl": template})
    prefixes = {"Inflector": ("In/fl", "in/fl"), "a": ("1", "1"), "ab": ("2", "2"), "abc": ("3/a", "3/a")}
    with servers.nginx(root) as url:
        for crate, (prefix, lowerprefix) in prefixes.items():
            code, doc, err = run(cli, "crates-sparse-index", url, input_crate=crate)
            assert code == 0, err
            top = doc["artifacts"][0]
            sha256 = hashlib.sha256(f"{crate}-{top['version']}".encode()).hexdigest()
            assert top["metadata"]["sha256"] == sha256
            assert top["metadata"]["url"] == expected.format(
                crate=crate, version=top["version"], prefix=prefix, lowerprefix=lowerprefix, sha256=sha256
            )


TOKEN = "cio_Q2FyZ29Ub2tlbi1zZWNyZXQ"
# nginx checks cargo's header itself: the raw token, no scheme.
EVERYTHING_GUARDED = f'if ($http_authorization != "{TOKEN}") {{ return 401; }}'
INDEX_GUARDED = (
    "set $refuse 1; if ($uri = /config.json) { set $refuse 0; } "
    f'if ($http_authorization = "{TOKEN}") {{ set $refuse 0; }} if ($refuse) {{ return 401; }}'
)
NO_CREDENTIALS_WANTED = "if ($http_authorization) { return 400; }"


@pytest.mark.parametrize("guard", ["everything", "index files"])
def test_crates_sparse_index_auth_required(cli: CLI, tmp_path: Path, guard: str) -> None:
    root = tmp_path / "index"
    crates_index(root, {"dl": "https://dl.example/crates", "auth-required": True})
    extra = EVERYTHING_GUARDED if guard == "everything" else INDEX_GUARDED
    with servers.nginx(root, extra=extra) as url:
        code, doc, err = run(cli, "crates-sparse-index", url, input_crate="Inflector", input_token=TOKEN)
        without = run(cli, "crates-sparse-index", url, input_crate="Inflector")
        wrong = run(cli, "crates-sparse-index", url, input_crate="Inflector", input_token="cio_wrong")
    assert code == 0, err
    assert versions(doc)[0] == "2.0.0"
    assert without[0] == 3 and "TOKEN" in without[2]
    assert wrong[0] == 3 and "HTTP 401" in wrong[2]
    assert TOKEN not in err + without[2] + wrong[2] + json.dumps(doc)


def test_crates_sparse_index_token_not_sent_where_not_required(cli: CLI, tmp_path: Path) -> None:
    """As cargo: a registry whose config.json does not say auth-required is not sent the token."""
    root = tmp_path / "index"
    crates_index(root, {"dl": "https://dl.example/crates"})
    with servers.nginx(root, extra=NO_CREDENTIALS_WANTED) as url:
        code, doc, err = run(cli, "crates-sparse-index", url, input_crate="abc", input_token=TOKEN)
    assert code == 0, err
    assert versions(doc) == ["0.2.0", "0.1.0"]
