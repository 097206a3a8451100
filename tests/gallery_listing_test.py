"""http-directory against the real directory listings of Apache httpd (mod_autoindex: FancyIndexing,
HTMLTable, plain), Caddy (file_server browse, JSON), nginx (autoindex, local time) and python's
http.server (a plain index page without dates), each serving a folder shaped like a real download
area: many releases, release candidates, a checksum per release, a batch of old releases uploaded
at once, a hotfix of an older line after a newer release, subfolders (one named like a file)."""

from __future__ import annotations

import contextlib
import os
import shutil
import tempfile
import urllib.request
from collections.abc import Iterator
from datetime import datetime, timedelta, timezone
from pathlib import Path
from typing import Any

import pytest

from . import servers
from .gallery_test import run
from .gallery_test import run_loud as gallery_run_loud
from .helpers import CLI, need

T0 = datetime(2024, 1, 5, 9, 0, tzinfo=timezone.utc)  # more than a year before any "now" of these tests
# (version, days after T0): 1.0.x came in one batch (same time); 1.9.2 is a hotfix after 1.10.0;
# 2.1.0-rc1 is newer than the newest release; app-latest is a copy of 2.0.0 made at the same time.
FILES = [
    ("1.0.0", 0),
    ("1.0.1", 0),
    ("1.0.2", 0),
    ("1.0.10", 0),
    ("1.1.0", 30),
    ("1.2.0", 60),
    ("1.2.1", 75),
    ("1.3.0", 100),
    ("1.4.0", 130),
    ("1.5.0-rc1", 150),
    ("1.5.0", 160),
    ("1.6.0", 200),
    ("1.7.0", 240),
    ("1.8.0", 280),
    ("1.9.0", 320),
    ("1.9.1", 340),
    ("1.10.0", 360),
    ("1.9.2", 370),
    ("1.10.1", 400),
    ("2.0.0-rc1", 430),
    ("2.0.0-rc2", 445),
    ("2.0.0", 460),
    ("latest", 460),
    ("2.1.0-rc1", 500),
]
# Newest first by time; equal times by version (2.0.0 above latest, 1.0.10 above 1.0.2).
BY_TIME = [
    "2.0.0",
    "latest",
    "1.10.1",
    "1.9.2",
    "1.10.0",
    "1.9.1",
    "1.9.0",
    "1.8.0",
    "1.7.0",
    "1.6.0",
    "1.5.0",
    "1.4.0",
    "1.3.0",
    "1.2.1",
    "1.2.0",
    "1.1.0",
    "1.0.10",
    "1.0.2",
    "1.0.1",
    "1.0.0",
]
BY_TIME_WITH_PRERELEASES = [
    "2.1.0-rc1",
    *BY_TIME[:2],
    "2.0.0-rc2",
    "2.0.0-rc1",
    *BY_TIME[2:11],
    "1.5.0-rc1",
    *BY_TIME[11:],
]
# A listing without dates: by version only (1.10 above 1.9, 2.0.0 above 2.0.0-rc2, latest below every version).
BY_VERSION = [
    "2.0.0",
    "1.10.1",
    "1.10.0",
    "1.9.2",
    "1.9.1",
    "1.9.0",
    "1.8.0",
    "1.7.0",
    "1.6.0",
    "1.5.0",
    "1.4.0",
    "1.3.0",
    "1.2.1",
    "1.2.0",
    "1.1.0",
    "1.0.10",
    "1.0.2",
    "1.0.1",
    "1.0.0",
    "latest",
]
FILE_COUNT = 2 * len(FILES) - 1 + 3  # each with a checksum but latest; README.txt, tool-3.0.0.zip, index-notes.html


def when(days: float) -> datetime:
    return T0 + timedelta(days=days)


def seed(root: Path) -> Path:
    """The download folder root/app/ (the URL path /app/, below a parent)."""
    folder = root / "app"
    folder.mkdir(parents=True)
    for number, (version, days) in enumerate(FILES):
        stamp = when(days).timestamp()
        artifact = folder / f"app-{version}.tar.gz"
        artifact.write_bytes(b"\x1f\x8b" + b"x" * (1000 + 37 * number))
        os.utime(artifact, (stamp, stamp))
        if version != "latest":
            checksum = folder / f"app-{version}.tar.gz.sha256"
            checksum.write_text(f"{'0' * 64}  app-{version}.tar.gz\n")
            os.utime(checksum, (stamp + 60, stamp + 60))  # written just after, so newer
    for name, days in (("README.txt", 600), ("tool-3.0.0.zip", 600), ("index-notes.html", 10)):
        (folder / name).write_text(name)
        os.utime(folder / name, (when(days).timestamp(),) * 2)
    for sub in ("old", "nightly", "app-9.9.9.tar.gz"):  # folders, one named like a release
        (folder / sub).mkdir()
        (folder / sub / "app-0.9.0.tar.gz").write_bytes(b"old")
        os.utime(folder / sub, (when(700).timestamp(),) * 2)
    return folder


@pytest.fixture
def public() -> Iterator[Path]:
    """A folder every user can read: Apache serves as an unprivileged user, and pytest's tmp_path
    is private to its owner."""
    folder = Path(tempfile.mkdtemp(prefix="customsrc-listing-"))
    folder.chmod(0o755)
    try:
        yield folder
    finally:
        shutil.rmtree(folder, ignore_errors=True)


def run_loud(cli: CLI, url: str, *extra: str, **inputs: str) -> tuple[int, dict[str, Any], str]:
    """The http-directory template, its stderr kept."""
    return gallery_run_loud(cli, "http-directory", url, *extra, **inputs)


def versions(doc: dict[str, Any]) -> list[str]:
    return [a["version"] for a in doc["artifacts"]]


# -- servers ---------------------------------------------------------------------------------------

APACHE_MODULES = "/usr/lib/apache2/modules"
APACHE_CONF = """ServerRoot {state}
Listen 127.0.0.1:{port}
ServerName 127.0.0.1
LoadModule mpm_prefork_module {modules}/mod_mpm_prefork.so
LoadModule authz_core_module {modules}/mod_authz_core.so
LoadModule dir_module {modules}/mod_dir.so
LoadModule autoindex_module {modules}/mod_autoindex.so
PidFile {state}/httpd.pid
ErrorLog {state}/error.log
DefaultRuntimeDir {state}
StartServers 1
{user}
DocumentRoot {root}
<Directory {root}>
    Options +Indexes
    Require all granted
    IndexOptions {index_options}
</Directory>
"""


@contextlib.contextmanager
def apache(root: Path, state: Path, index_options: str, tz: str) -> Iterator[str]:
    """Debian's apache2 serving ``root`` with mod_autoindex, in time zone ``tz``; yields its base URL."""
    binary = "/usr/sbin/apache2"
    need(
        os.access(binary, os.X_OK) and os.path.exists(f"{APACHE_MODULES}/mod_autoindex.so"),
        "apache2",
        "apt-get install apache2",
    )
    state.mkdir(parents=True, exist_ok=True)
    port = servers.free_port()
    user = "User nobody\nGroup nogroup" if os.geteuid() == 0 else ""  # as root it must drop to someone
    conf = state / "httpd.conf"
    conf.write_text(
        APACHE_CONF.format(
            state=state, port=port, modules=APACHE_MODULES, user=user, root=root, index_options=index_options
        )
    )
    env = {"PATH": os.environ.get("PATH", "/usr/bin:/bin"), "TZ": tz}
    with servers.process([binary, "-f", str(conf), "-DFOREGROUND"], port, env=env, cwd=str(state)):
        yield f"http://127.0.0.1:{port}"


@contextlib.contextmanager
def caddy(root: Path, state: Path) -> Iterator[str]:
    """Caddy's file_server with browse on ``root``; its home and data in ``state``; yields its base URL."""
    binary = shutil.which("caddy")
    need(binary, "caddy", "apt-get install caddy")
    assert binary is not None
    state.mkdir(parents=True, exist_ok=True)
    port = servers.free_port()
    home = str(state)
    env = {"PATH": os.environ.get("PATH", ""), "HOME": home, "XDG_DATA_HOME": home, "XDG_CONFIG_HOME": home}
    argv = [binary, "file-server", "--browse", "--listen", f"127.0.0.1:{port}", "--root", str(root)]
    with servers.process(argv, port, env=env, cwd=home):
        yield f"http://127.0.0.1:{port}"


@contextlib.contextmanager
def python_http_server(root: Path, state: Path) -> Iterator[str]:
    """python's http.server: a plain index page (links only, no dates, no sizes)."""
    state.mkdir(parents=True, exist_ok=True)
    port = servers.free_port()
    argv = [shutil.which("python3") or "python3", "-m", "http.server", "--bind", "127.0.0.1", str(port)]
    with servers.process([*argv, "--directory", str(root)], port, cwd=str(state)):
        yield f"http://127.0.0.1:{port}"


def utc(days: float) -> str:
    return when(days).isoformat(timespec="seconds")


# -- Apache httpd ----------------------------------------------------------------------------------

APACHE_LAYOUTS = {
    "fancy": "FancyIndexing",
    # Debian's own default (/etc/apache2/mods-available/autoindex.conf)
    "htmltable": "FancyIndexing VersionSort HTMLTable NameWidth=* DescriptionWidth=* Charset=UTF-8",
}


@pytest.mark.slow
@pytest.mark.parametrize("layout", sorted(APACHE_LAYOUTS))
def test_apache_autoindex_in_local_time(cli: CLI, tmp_path: Path, public: Path, layout: str) -> None:
    """Apache shows local times without a zone (2024-01-05 14:30 in +05:30) and sizes like 1.1K;
    they are read, set to UTC, and order the files, old ones too (Apache's format does not change
    after a year)."""
    seed(public)
    with apache(public, tmp_path / "apache", APACHE_LAYOUTS[layout], tz="IST-5:30") as url:
        with urllib.request.urlopen(f"{url}/app/", timeout=10) as response:
            page = response.read().decode()
        code, doc, err = run(cli, "http-directory", f"{url}/app/", "--version", "1.9.2")
        code_pre, doc_pre, err_pre = run(
            cli,
            "http-directory",
            f"{url}/app",
            input_include_prereleases="true",
            input_file_regex=r"^app-(.+)\.tar\.gz$",
        )
    # what this test is about: Apache's own page, in local time, with a parent link
    assert "2024-01-05 14:30" in page and "Parent Directory" in page and "app-9.9.9.tar.gz/" in page
    assert code == 0, err
    assert versions(doc) == BY_TIME
    assert doc["selected"]["metadata"] == {
        "url": f"{url}/app/app-1.9.2.tar.gz",
        "file": "app-1.9.2.tar.gz",
        "modified": utc(370),  # 2025-01-09T09:00:00+00:00, shown as 14:30 by Apache
        "size": "1.6K",  # 1000 + 2 + 37 * 17 = 1631 bytes, as Apache shows it
    }
    assert code_pre == 0, err_pre
    assert versions(doc_pre) == BY_TIME_WITH_PRERELEASES
    assert doc_pre["artifacts"][0]["metadata"]["modified"] == utc(500)
    assert doc_pre["artifacts"][-1]["metadata"]["modified"] == "2024-01-05T09:00:00+00:00"


@pytest.mark.slow
def test_apache_plain_index_is_ordered_by_version(cli: CLI, tmp_path: Path, public: Path) -> None:
    """IndexOptions -FancyIndexing: a bare list of links, no dates; the version orders it."""
    seed(public)
    with apache(public, tmp_path / "apache", "-FancyIndexing", tz="UTC") as url:
        code, doc, err = run(cli, "http-directory", f"{url}/app/", "--version", "1.10.0")
    assert code == 0, err
    assert versions(doc) == BY_VERSION
    assert doc["selected"]["metadata"] == {
        "url": f"{url}/app/app-1.10.0.tar.gz",
        "file": "app-1.10.0.tar.gz",
        "modified": "",
        "size": "",
    }


# -- Caddy -----------------------------------------------------------------------------------------


@pytest.mark.slow
def test_caddy_browse_json(cli: CLI, tmp_path: Path) -> None:
    """Caddy answers Accept: application/json with [{name, size, url, mod_time, is_dir, ...}]: read,
    folders (is_dir) left out, a checksum matched by a loose FILE_REGEX left out as its file's companion."""
    seed(tmp_path / "www")
    with caddy(tmp_path / "www", tmp_path / "caddy") as url:
        code, doc, err = run(cli, "http-directory", f"{url}/app/", "--version", "2.0.0")
        loose = run(cli, "http-directory", f"{url}/app/", input_file_regex=r"app-(.+?)\.tar\.gz")
        pre = run(cli, "http-directory", f"{url}/app/", input_include_prereleases="true")
        missing = run(cli, "http-directory", f"{url}/nope/")
    assert code == 0, err
    assert versions(doc) == BY_TIME
    assert doc["selected"]["metadata"] == {
        "url": f"{url}/app/app-2.0.0.tar.gz",
        "file": "app-2.0.0.tar.gz",
        "modified": utc(460),
        "size": str(1000 + 2 + 37 * 21),
    }
    assert loose[0] == 0, loose[2]
    # app-X.tar.gz.sha256 (a minute newer) matches too, but is its file's companion, not a version
    assert [a["metadata"]["file"] for a in loose[1]["artifacts"]] == [f"app-{v}.tar.gz" for v in BY_TIME]
    assert pre[0] == 0 and versions(pre[1]) == BY_TIME_WITH_PRERELEASES
    assert missing[0] == 3 and "HTTP 404" in missing[2] and f"{url}/nope/" in missing[2]


# -- nginx -----------------------------------------------------------------------------------------


@pytest.mark.slow
def test_nginx_html_in_local_time(cli: CLI, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """autoindex_localtime on in New York: nginx shows every time at the offset of the day it
    started (05-Jan-2024 04:00 in winter, EST); they are set to UTC all the same."""
    seed(tmp_path / "www")
    monkeypatch.setenv("TZ", "EST5EDT,M3.2.0,M11.1.0")
    with servers.nginx(tmp_path / "www", autoindex="html", extra="autoindex_localtime on;") as url:
        code, doc, err = run(cli, "http-directory", f"{url}/app/", "--version", "1.10.1")
    assert code == 0, err
    assert versions(doc) == BY_TIME
    assert doc["selected"]["metadata"] == {
        "url": f"{url}/app/app-1.10.1.tar.gz",
        "file": "app-1.10.1.tar.gz",
        "modified": utc(400),
        "size": str(1000 + 2 + 37 * 18),
    }


@pytest.mark.slow
@pytest.mark.parametrize("mode", ["json", "html"])
def test_nginx_autoindex(cli: CLI, tmp_path: Path, mode: str) -> None:
    seed(tmp_path / "www")
    with servers.nginx(tmp_path / "www", autoindex=mode) as url:
        code, doc, err = run(cli, "http-directory", f"{url}/app/", "--version", "1.0.10")
    assert code == 0, err
    assert versions(doc) == BY_TIME
    assert doc["selected"]["metadata"]["modified"] == "2024-01-05T09:00:00+00:00"
    assert doc["selected"]["metadata"]["url"] == f"{url}/app/app-1.0.10.tar.gz"


# -- plain index pages -----------------------------------------------------------------------------


@pytest.mark.slow
def test_python_http_server_plain_listing_by_version(cli: CLI, tmp_path: Path) -> None:
    seed(tmp_path / "www")
    with python_http_server(tmp_path / "www", tmp_path / "py") as url:
        code, doc, err = run(cli, "http-directory", f"{url}/app/", input_include_prereleases="true")
    assert code == 0, err
    assert versions(doc) == [
        "2.1.0-rc1",
        "2.0.0",
        "2.0.0-rc2",
        "2.0.0-rc1",
        *BY_VERSION[1:9],
        "1.5.0",
        "1.5.0-rc1",
        *BY_VERSION[10:],
    ]
    assert "9.9.9" not in versions(doc)  # the folder app-9.9.9.tar.gz/


def test_links_elsewhere_are_no_files(cli: CLI, tmp_path: Path) -> None:
    """A hand-written index page: only links to files in this folder count; not other hosts, the
    parent, another path, a subfolder's file, a sort link or a folder."""
    root = tmp_path / "www"
    (root / "app").mkdir(parents=True)
    with servers.nginx(root, autoindex="html") as url:
        (root / "app" / "index.html").write_text(
            "<html><body><h1>Downloads</h1><ul>"
            '<li><a href="?C=M;O=A">Last modified</a></li>'
            '<li><a href="https://mirror.example.net/app/app-9.0.0.tar.gz">mirror</a></li>'
            '<li><a href="../app-8.0.0.tar.gz">parent</a> <a href="../">Parent Directory</a></li>'
            '<li><a href="/elsewhere/app-7.0.0.tar.gz">elsewhere</a></li>'
            '<li><a href="sub/app-6.0.0.tar.gz">sub</a> <a href="app-5.0.0.tar.gz/">a folder</a></li>'
            '<li><a href="app-1.2.0.tar.gz#sha256=abc">1.2.0</a> <a href="app-1.2.0.tar.gz">again</a></li>'
            f'<li><a href="{url}/app/app-1.10.0.tar.gz">1.10.0</a></li>'
            '<li><a href="app-1.9.0.tar.gz">1.9.0</a> <a href="mailto:ops@example.com">mail</a></li>'
            "</ul></body></html>"
        )
        code, doc, err = run(cli, "http-directory", f"{url}/app/")
    assert code == 0, err
    assert [(a["version"], a["metadata"]["url"]) for a in doc["artifacts"]] == [
        ("1.10.0", f"{url}/app/app-1.10.0.tar.gz"),
        ("1.9.0", f"{url}/app/app-1.9.0.tar.gz"),
        ("1.2.0", f"{url}/app/app-1.2.0.tar.gz"),
    ]


# -- saying why the list is empty ------------------------------------------------------------------


@pytest.mark.slow
def test_empty_results_say_why(cli: CLI, tmp_path: Path) -> None:
    seed(tmp_path / "www")
    only_folders = tmp_path / "www" / "empty"
    (only_folders / "a").mkdir(parents=True)
    (only_folders / "b").mkdir()
    with caddy(tmp_path / "www", tmp_path / "caddy") as url:
        none = run_loud(cli, f"{url}/app/", input_file_regex=r"^app-(.+)\.rpm$")
        rc_only = run_loud(cli, f"{url}/app/", input_file_regex=r"^app-(2\.1\..*)\.tar\.gz$")
        empty = run_loud(cli, f"{url}/empty/")
        bad = run(cli, "http-directory", f"{url}/app/", input_include_prereleases="maybe")
        no_group = run(cli, "http-directory", f"{url}/app/", input_file_regex=r"^app-.+\.tar\.gz$")
    for code, doc, _ in (none, rc_only, empty):
        assert code == 0 and doc["artifacts"] == []
    assert f"{FILE_COUNT} files, but none match FILE_REGEX '^app-(.+)\\\\.rpm$': the list is empty" in none[2]
    assert (
        "1 file matching FILE_REGEX, but none are releases (INCLUDE_PRERELEASES=true lists pre-releases too)"
        in rc_only[2]
    )
    assert f"the listing at {url}/empty/ has no files, only 2 folders: the list is empty" in empty[2]
    assert bad[0] == 3 and "INCLUDE_PRERELEASES must be true or false" in bad[2]
    assert no_group[0] == 3 and "FILE_REGEX needs a group for the version" in no_group[2]
