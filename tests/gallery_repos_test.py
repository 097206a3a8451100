"""The package-repository gallery entries end to end, each on nginx serving what the real tools write:
apt-repository (a repository published by aptly from .deb files built with dpkg-deb), rpm-repository
(createrepo_c over .rpm files built with rpmbuild), nuget-v3, rubygems-compact, terraform-provider and
terraform-module (the files their protocols document). Each version order is checked against the
tool that owns it: dpkg --compare-versions, rpm.vercmp, Gem::Version."""

from __future__ import annotations

import gzip
import hashlib
import importlib.util
import itertools
import json
import random
import shutil
import subprocess
import sys
import urllib.request
from pathlib import Path
from types import ModuleType
from typing import Any, ClassVar

import pytest

from . import servers
from .gallery_test import run_loud as run
from .helpers import CLI, ROOT, need

ENTRIES = ["apt-repository", "rpm-repository", "nuget-v3", "rubygems-compact", "terraform-provider", "terraform-module"]


def versions(doc: dict[str, Any]) -> list[str]:
    return [a["version"] for a in doc["artifacts"]]


def script_module(name: str) -> ModuleType:
    """A gallery script imported as a module (its helpers are real imports from scripts/)."""
    sys.path.insert(0, str(ROOT / "scripts"))
    try:
        spec = importlib.util.spec_from_file_location(name.replace("-", "_"), ROOT / "scripts" / f"{name}.py")
        assert spec is not None and spec.loader is not None
        module = importlib.util.module_from_spec(spec)
        spec.loader.exec_module(module)
        return module
    finally:
        sys.path.remove(str(ROOT / "scripts"))


def sha256(data: bytes) -> str:
    return hashlib.sha256(data).hexdigest()


def download(url: str, headers: dict[str, str] | None = None) -> bytes:
    with urllib.request.urlopen(urllib.request.Request(url, headers=headers or {})) as response:
        return bytes(response.read())


BASIC_AUTH = 'auth_basic "repository"; auth_basic_user_file {file};'


def htpasswd(folder: Path, user: str, password: str) -> str:
    """nginx's basic-auth directives over a password file ({PLAIN} scheme, which nginx reads)."""
    path = folder / "htpasswd"
    path.write_text(f"{user}:{{PLAIN}}{password}\n")
    return BASIC_AUTH.format(file=path)


# -- every entry: the statuses a repository answers with ------------------------------------------------


class _Refusing(servers.Quiet):
    status = 500
    calls: ClassVar[list[str]] = []

    def do_GET(self) -> None:
        self.calls.append(self.path)
        headers = {"Content-Type": "application/json"}
        if self.status == 429:
            headers["Retry-After"] = "0"
        self.reply(self.status, b'{"errors": ["refused"]}', headers)


@pytest.mark.parametrize("status", [401, 403, 404, 429, 500])
@pytest.mark.parametrize("name", ENTRIES)
def test_every_status_a_repository_refuses_with_is_a_clear_failure(cli: CLI, name: str, status: int) -> None:
    handler = type("Refusing", (_Refusing,), {"status": status, "calls": []})
    with servers.serving(handler) as url:
        code, doc, err = run(cli, name, url)
    assert code == 3, err
    assert doc["error"]["kind"] == "script_failed"
    line = [line for line in err.splitlines() if line.startswith(f"{name}: ")]
    assert len(line) == 1, err
    assert f"HTTP {status}" in line[0] and url in line[0]
    if status == 404:
        assert "no " in line[0]  # says what is missing: no suite, no repository, no feed, no gem, no registry
    if status == 429:
        assert len(handler.calls) == 4 and "rate limited" in line[0]  # asked again after Retry-After, then failed


# -- apt-repository: aptly on nginx --------------------------------------------------------------------

DPKG_PAIRS = [
    "1.0 1.0-0",
    "1.0 1.0.0",
    "1.0~rc1 1.0",
    "1.0~~ 1.0~",
    "1.0~ 1.0",
    "1.0 1.0+b1",
    "1.0-1 1.0-1~bpo12+1",
    "1:0.1 2.0",
    "0:1.0 1.0",
    "1.0a 1.0",
    "1.0+dfsg-1 1.0-1",
    "1.0.0 1.0.a",
    "2.10 2.9",
    "2.010 2.10",
    "1.2.3-1ubuntu1 1.2.3-1",
    "1.2.3-1ubuntu0.20.04.1 1.2.3-1build1",
    "7.4.052-1 7.4.52-1",
    "1.0-1.1 1.0-1a",
    "a b",
    "1.0.A 1.0.a",
    "1.0-2 1.0-10",
    "2:1.0 1:9.9",
    "1.0~beta1~git20240101 1.0~beta1",
    "1.0.. 1.0.",
    "3.0-1+deb12u1 3.0-1",
    "0.0 0",
    "1~ 1~a",
    "1.0-a 1.0-1",
]


@pytest.mark.slow
def test_dpkg_version_order_is_dpkgs() -> None:
    """compare_versions against dpkg --compare-versions, both ways, on tricky pairs (epochs, ~, letters
    against punctuation, leading zeros, revisions) and every pair of a real package's history."""
    need(shutil.which("dpkg"), "dpkg", "apt-get install dpkg")
    apt = script_module("apt-repository")
    pairs = [tuple(p.split(" ")) for p in DPKG_PAIRS]
    history = ["1.0-1", "1.0-1~bpo12+1", "1:0.9-1", "1.0~rc1-1", "1.0+dfsg-2", "1.10-1", "1.9.9-3", "1.0-10"]
    pairs += list(itertools.combinations(history, 2))
    for a, b in pairs:
        for left, right in ((a, b), (b, a)):  # lt both ways: less, greater or equal
            dpkg = subprocess.run(["dpkg", "--compare-versions", left, "lt", right], check=False).returncode == 0
            assert (apt.compare_versions(left, right) < 0) == dpkg, (left, "lt", right)


def deb(folder: Path, package: str, version: str, arch: str = "amd64") -> Path:
    """A tiny .deb built with dpkg-deb."""
    tree = folder / "build" / f"{package}-{version}-{arch}"
    (tree / "DEBIAN").mkdir(parents=True)
    (tree / "DEBIAN" / "control").write_text(
        f"Package: {package}\nVersion: {version}\nArchitecture: {arch}\nMaintainer: Team <team@example.com>\n"
        f"Description: {package} for the gallery tests\n"
    )
    (tree / "usr" / "share" / package).mkdir(parents=True)
    (tree / "usr" / "share" / package / "VERSION").write_text(version)
    out = folder / "debs" / f"{package}_{version.replace(':', '%3a')}_{arch}.deb"
    out.parent.mkdir(exist_ok=True)
    subprocess.run(["dpkg-deb", "--build", "-Zgzip", str(tree), str(out)], check=True, capture_output=True)
    return out


APT_HISTORY = [  # (package, version, architecture)
    ("myapp", "1.0-1", "amd64"),
    ("myapp", "1.0-2", "amd64"),
    ("myapp", "1.9.0-1", "amd64"),
    ("myapp", "1.10.0-1", "amd64"),
    ("myapp", "1.10.0-1~bpo12+1", "amd64"),  # a backport: ~ in the revision is no pre-release
    ("myapp", "1.11.0~rc1-1", "amd64"),  # a pre-release
    ("myapp", "1.11.0~beta2-1", "amd64"),
    ("myapp", "1:0.5-1", "amd64"),  # an epoch: above every 0: version
    ("myapp", "1:0.6-1", "arm64"),  # only for arm64
    ("myapp", "1.0+dfsg-1", "amd64"),
    ("myapp-doc", "1.10.0-1", "all"),
    ("other", "9.0-1", "amd64"),
]
APT_RELEASES = ["1:0.5-1", "1.10.0-1", "1.10.0-1~bpo12+1", "1.9.0-1", "1.0+dfsg-1", "1.0-2", "1.0-1"]


def aptly_repository(tmp_path: Path) -> tuple[Path, dict[str, Path]]:
    """A repository published by aptly (suite stable, component main, amd64 and arm64, unsigned);
    returns the folder to serve and the .deb of each package_version_arch."""
    need(shutil.which("aptly"), "aptly", "apt-get install aptly")
    need(shutil.which("dpkg-deb"), "dpkg-deb", "apt-get install dpkg")
    debs = {f"{p}_{v}_{a}": deb(tmp_path, p, v, a) for p, v, a in APT_HISTORY}
    conf = tmp_path / "aptly.conf"
    conf.write_text(json.dumps({"rootDir": str(tmp_path / "aptly"), "architectures": ["amd64", "arm64"]}))

    def aptly(*args: str) -> None:
        subprocess.run(["aptly", f"-config={conf}", *args], check=True, capture_output=True)

    aptly("repo", "create", "-distribution=stable", "-component=main", "team")
    aptly("repo", "add", "team", *(str(p) for p in debs.values()))
    aptly("publish", "repo", "-skip-signing", "-architectures=amd64,arm64", "team")
    return tmp_path / "aptly" / "public", debs


@pytest.mark.slow
def test_apt_repository_lists_an_aptly_repository_by_dpkg_order(cli: CLI, tmp_path: Path) -> None:
    root, debs = aptly_repository(tmp_path)
    with servers.nginx(root) as url:
        code, doc, err = run(cli, "apt-repository", url, input_suite="stable", input_package="myapp")
        every = run(
            cli, "apt-repository", url, input_suite="stable", input_package="myapp", input_include_prereleases="true"
        )
        arm = run(cli, "apt-repository", url, input_suite="stable", input_package="myapp", input_arch="arm64")
        doc_all = run(cli, "apt-repository", url, input_suite="stable", input_package="myapp-doc", input_arch="arm64")
        epoch_url = doc["artifacts"][0]["metadata"]["url"]
        fetched = download(epoch_url)
    assert code == 0, err
    assert versions(doc) == APT_RELEASES
    assert every[0] == 0, every[2]
    assert versions(every[1]) == ["1:0.5-1", "1.11.0~rc1-1", "1.11.0~beta2-1", *APT_RELEASES[1:]]
    assert "1:0.6-1" in versions(arm[1]) and "1:0.5-1" not in versions(arm[1])  # the arm64 index
    assert versions(doc_all[1]) == ["1.10.0-1"]  # Architecture: all is in every architecture's index
    meta = doc["artifacts"][0]["metadata"]
    body = debs["myapp_1:0.5-1_amd64"].read_bytes()
    assert fetched == body  # the URL of a file whose name has %3a for the epoch's colon works
    assert meta == {
        "url": epoch_url,
        "sha256": sha256(body),
        "size": str(len(body)),
        "filename": "pool/main/m/myapp/myapp_1%3a0.5-1_amd64.deb",
        "architecture": "amd64",
        "package": "myapp",
        "source": "myapp",
    }
    assert epoch_url == f"{url}/pool/main/m/myapp/myapp_1%253a0.5-1_amd64.deb"


@pytest.mark.slow
def test_apt_repository_names_what_is_missing_and_checks_the_index(cli: CLI, tmp_path: Path) -> None:
    root, _debs = aptly_repository(tmp_path)
    with servers.nginx(root) as url:
        missing = run(cli, "apt-repository", url, input_suite="stable", input_package="myap")
        suite = run(cli, "apt-repository", url, input_suite="bookworm", input_package="myapp")
        component = run(
            cli, "apt-repository", url, input_suite="stable", input_package="myapp", input_component="contrib"
        )
        arch = run(cli, "apt-repository", url, input_suite="stable", input_package="myapp", input_arch="riscv64")
        only_pre = run(
            cli, "apt-repository", url, input_suite="stable", input_package="myapp", input_include_prereleases="no"
        )
        packages = root / "dists" / "stable" / "main" / "binary-amd64" / "Packages.gz"
        text = gzip.decompress(packages.read_bytes()).replace(b"Version: 1.10.0-1\n", b"Version: 9.9.9-1\n")
        packages.write_bytes(gzip.compress(text))  # a mirror caught mid-update: the index is not the Release's
        tampered = run(cli, "apt-repository", url, input_suite="stable", input_package="myapp")
    assert missing[0] == 3
    assert f"no package myap at {url}/dists/stable/main/binary-amd64/Packages; it has: myapp, myapp-doc" in missing[2]
    assert suite[0] == 3 and f"no suite bookworm at {url}: HTTP 404 from {url}/dists/bookworm/InRelease" in suite[2]
    assert component[0] == 3 and "no component contrib" in component[2] and "it has: main" in component[2]
    assert arch[0] == 3 and "no architecture riscv64" in arch[2] and "Architectures: amd64 arm64" in arch[2]
    assert only_pre[0] == 0
    assert tampered[0] == 3
    assert "Packages.gz does not match the sha512" in tampered[2] and "Release gives for it" in tampered[2]


@pytest.mark.slow
def test_apt_repository_signed_with_basic_auth_and_a_failing_index(cli: CLI, tmp_path: Path) -> None:
    """A signed suite (InRelease, clearsigned by gpg: read without its signature) behind basic auth,
    as apt's auth.conf reaches it; an index answering 500 after the Release file is a failure."""
    need(shutil.which("gpg"), "gpg", "apt-get install gnupg")
    root, _debs = aptly_repository(tmp_path)
    home = tmp_path / "gnupg"
    home.mkdir(mode=0o700)
    gpg = ["gpg", "--batch", "--homedir", str(home), "--passphrase", "", "--pinentry-mode", "loopback"]
    release = root / "dists" / "stable" / "Release"
    release.write_text(release.read_text() + "- a line gpg dash-escapes\n")
    try:
        subprocess.run([*gpg, "--quick-gen-key", "Repo <repo@example.com>", "ed25519", "sign", "never"], check=True)
        subprocess.run(
            [*gpg, "--clearsign", "-o", str(root / "dists" / "stable" / "InRelease"), str(release)], check=True
        )
    finally:  # gpg started an agent for this home: a test leaves no process behind
        if shutil.which("gpgconf"):
            subprocess.run(["gpgconf", "--homedir", str(home), "--kill", "gpg-agent"], check=False)
    assert "- - a line" in (root / "dists" / "stable" / "InRelease").read_text()
    release.unlink()  # only InRelease: it is read first
    with servers.nginx(root, extra=htpasswd(tmp_path, "deployer", "s3cr3t-pw")) as url:
        anonymous = run(cli, "apt-repository", url, input_suite="stable", input_package="myapp")
        signed = run(
            cli,
            "apt-repository",
            url,
            input_suite="stable",
            input_package="myapp",
            input_repo_user="deployer",
            input_repo_password="s3cr3t-pw",
        )
    assert anonymous[0] == 3 and f"HTTP 401 Unauthorized from {url}/dists/stable/InRelease" in anonymous[2]
    assert signed[0] == 0, signed[2]
    assert versions(signed[1]) == APT_RELEASES
    with servers.nginx(root, extra='if ($uri ~ "/Packages") { return 500; }') as url:
        broken = run(cli, "apt-repository", url, input_suite="stable", input_package="myapp")
    assert broken[0] == 3
    assert f"HTTP 500 Internal Server Error from {url}/dists/stable/main/binary-amd64/Packages.gz" in broken[2]


# -- rpm-repository: createrepo_c on nginx ---------------------------------------------------------------

RPM_PAIRS = [
    ("1.0", "1.0"),
    ("1.0", "1.0.0"),
    ("1.0~rc1", "1.0"),
    ("1.0~rc1", "1.0~rc2"),
    ("1.0~~", "1.0~"),
    ("1.0^", "1.0"),
    ("1.0^git1", "1.0.1"),
    ("1.0^git1", "1.0^git2"),
    ("1.0^git1~pre", "1.0^git1"),
    ("1.0a", "1.0"),
    ("1.0a", "1.0.1"),
    ("2.10", "2.9"),
    ("2.010", "2.10"),
    ("1.el9", "1.el8"),
    ("1.fc40", "2.fc39"),
    ("5.5p1", "5.5p10"),
    ("a", "b"),
    ("1.0_1", "1.0.1"),
    ("1.0+1", "1.0.1"),
    ("abc", "1"),
    ("1.0.A", "1.0.a"),
    ("0.1.rc1", "1"),
    ("1.0", "1.0.a"),
    ("20240101", "2.0"),
]


def test_rpm_version_order_is_rpms() -> None:
    """rpmvercmp against rpm's own (rpm.vercmp in rpm's Lua), both ways, on tricky pairs: ~ and ^,
    letters against numbers, leading zeros, separators, dist tags."""
    need(shutil.which("rpm"), "rpm", "apt-get install rpm")
    module = script_module("rpm-repository")
    pairs = [*RPM_PAIRS, *[(b, a) for a, b in RPM_PAIRS]]
    lua = "".join(f'print(rpm.vercmp("{a}", "{b}") .. ",")\n' for a, b in pairs)
    out = subprocess.run(["rpm", "--eval", f"%{{lua:\n{lua}}}"], check=True, capture_output=True, text=True).stdout
    theirs = [int(n) for n in out.replace("\n", "").split(",") if n]
    assert len(theirs) == len(pairs)
    assert [module.rpmvercmp(a, b) for a, b in pairs] == theirs
    assert module.compare_evr((1, "0.1", "1"), (0, "9.9", "9")) == 1  # the epoch first


RPM_SPEC = """Name: %{pkg}
Version: %{ver}
Release: %{rel}
Epoch: %{ep}
Summary: a tiny package for the gallery tests
License: MIT
%{?buildarch:BuildArch: %{buildarch}}
%description
tiny
%files
"""
RPM_HISTORY = [  # (name, epoch, version, release, arch)
    ("myapp", 0, "1.0", "1.el9", "x86_64"),
    ("myapp", 0, "1.0", "2.el9", "x86_64"),
    ("myapp", 0, "1.9", "1.el9", "x86_64"),
    ("myapp", 0, "1.10", "1.el9", "noarch"),
    ("myapp", 0, "1.10^20240301git1a2b3c", "1.el9", "x86_64"),  # a snapshot after 1.10
    ("myapp", 0, "2.0~rc1", "1.el9", "x86_64"),  # a pre-release
    ("myapp", 1, "0.5", "1.el9", "x86_64"),  # an epoch
    ("myapp", 1, "0.6", "1.el9", "aarch64"),
    ("myapp-devel", 0, "1.10", "1.el9", "x86_64"),
    ("other", 0, "9.0", "1", "x86_64"),
]
RPM_RELEASES = ["1:0.5-1.el9", "1.10^20240301git1a2b3c-1.el9", "1.10-1.el9", "1.9-1.el9", "1.0-2.el9", "1.0-1.el9"]


def rpm_repository(tmp_path: Path, *createrepo: str) -> Path:
    """A repository made by createrepo_c over .rpm files built with rpmbuild."""
    need(shutil.which("rpmbuild"), "rpmbuild", "apt-get install rpm")
    need(shutil.which("createrepo_c"), "createrepo_c", "apt-get install createrepo-c")
    spec = tmp_path / "tiny.spec"
    spec.write_text(RPM_SPEC)
    repo = tmp_path / "repo"
    for name, epoch, version, release, arch in RPM_HISTORY:
        defines = {"pkg": name, "ep": str(epoch), "ver": version, "rel": release}
        defines |= {"buildarch": "noarch"} if arch == "noarch" else {}
        defines |= {"_topdir": str(tmp_path / "rpmbuild"), "_rpmdir": str(repo / "Packages")}
        argv = ["rpmbuild", "-bb", "--quiet", "--target", "x86_64" if arch == "noarch" else arch]
        for key, value in defines.items():
            argv += ["--define", f"{key} {value}"]
        subprocess.run([*argv, str(spec)], check=True, capture_output=True)
    subprocess.run(["createrepo_c", "-q", *createrepo, str(repo)], check=True, capture_output=True)
    return repo


@pytest.mark.slow
@pytest.mark.parametrize("compression", ["gz", "xz", "bz2"])
def test_rpm_repository_lists_a_createrepo_c_repository_by_rpm_order(
    cli: CLI, tmp_path: Path, compression: str
) -> None:
    repo = rpm_repository(tmp_path, f"--general-compress-type={compression}")
    assert list((repo / "repodata").glob(f"*-primary.xml.{compression}"))
    with servers.nginx(repo) as url:
        code, doc, err = run(cli, "rpm-repository", url, input_package="myapp")
        every = run(cli, "rpm-repository", url + "/repodata/", input_package="myapp", input_include_prereleases="true")
        arm = run(cli, "rpm-repository", url, input_package="myapp", input_arch="aarch64")
        fetched = download(doc["artifacts"][1]["metadata"]["url"])
    assert code == 0, err
    assert versions(doc) == RPM_RELEASES
    assert every[0] == 0, every[2]
    assert versions(every[1]) == ["1:0.5-1.el9", "2.0~rc1-1.el9", *RPM_RELEASES[1:]]
    assert "REPO_URL ends in /repodata" in every[2]
    assert versions(arm[1]) == ["1:0.6-1.el9", "1.10-1.el9"]  # aarch64 and noarch
    meta = doc["artifacts"][1]["metadata"]
    assert fetched[:4] == b"\xed\xab\xee\xdb"  # an rpm's lead, at the URL listed (~ and ^ in its name)
    assert meta["checksum"] == sha256(fetched) and meta["checksumType"] == "sha256"
    assert meta["size"] == str(len(fetched))
    assert meta["url"] == f"{url}/Packages/x86_64/myapp-1.10%5E20240301git1a2b3c-1.el9.x86_64.rpm"
    assert {k: meta[k] for k in ("name", "epoch", "ver", "rel", "arch")} == {
        "name": "myapp",
        "epoch": "0",
        "ver": "1.10^20240301git1a2b3c",
        "rel": "1.el9",
        "arch": "x86_64",
    }
    assert meta["buildTime"].endswith("Z") and meta["buildTime"][:2] == "20"
    assert doc["artifacts"][0]["metadata"]["epoch"] == "1"


def primary_as_zstd(repo: Path) -> None:
    """The repository's primary metadata as createrepo_c 1.0 and later write it by default (zstd),
    repomd.xml naming it with its checksum."""
    need(shutil.which("zstd"), "zstd", "apt-get install zstd")
    repomd = repo / "repodata" / "repomd.xml"
    (old,) = (repo / "repodata").glob("*-primary.xml.gz")
    packed = subprocess.run(
        ["zstd", "-q", "-c"], input=gzip.decompress(old.read_bytes()), capture_output=True, check=True
    )
    new = repo / "repodata" / f"{sha256(packed.stdout)}-primary.xml.zst"
    new.write_bytes(packed.stdout)
    text = repomd.read_text().replace(old.name, new.name).replace(old.name.split("-")[0], sha256(packed.stdout))
    repomd.write_text(text)
    old.unlink()


@pytest.mark.slow
def test_rpm_repository_zstd_missing_names_and_failures(cli: CLI, tmp_path: Path) -> None:
    repo = rpm_repository(tmp_path)
    primary_as_zstd(repo)
    with servers.nginx(repo) as url:
        zstd = run(cli, "rpm-repository", url, input_package="myapp")
        missing = run(cli, "rpm-repository", url, input_package="myap")
        wrong_arch = run(cli, "rpm-repository", url, input_package="myapp-devel", input_arch="ppc64le")
        empty = run(cli, "rpm-repository", url, input_package="myapp", input_arch="s390x")
    assert zstd[0] == 0, zstd[2]
    assert versions(zstd[1]) == RPM_RELEASES
    assert missing[0] == 3 and f"no package myap at {url}; it has: myapp, myapp-devel, other" in missing[2]
    assert wrong_arch[0] == 3 and "myapp-devel has no ppc64le or noarch packages" in wrong_arch[2]
    assert empty[0] == 0 and versions(empty[1]) == ["1.10-1.el9"]  # noarch only
    with servers.nginx(repo, extra='if ($uri ~ "primary") { return 500; }') as url:
        broken = run(cli, "rpm-repository", url, input_package="myapp")
    assert broken[0] == 3 and "HTTP 500 Internal Server Error" in broken[2] and "-primary.xml.zst" in broken[2]
    (zst,) = (repo / "repodata").glob("*-primary.xml.zst")
    zst.write_bytes(zst.read_bytes()[:-8] + b"\0" * 8)  # not what repomd.xml's checksum says
    with servers.nginx(repo, extra=htpasswd(tmp_path, "deployer", "s3cr3t-pw")) as url:
        anonymous = run(cli, "rpm-repository", url, input_package="myapp")
        tampered = run(
            cli,
            "rpm-repository",
            url,
            input_package="myapp",
            input_repo_user="deployer",
            input_repo_password="s3cr3t-pw",
        )
    assert anonymous[0] == 3 and f"HTTP 401 Unauthorized from {url}/repodata/repomd.xml" in anonymous[2]
    assert tampered[0] == 3 and "does not match the sha256" in tampered[2]


# -- nuget-v3: a feed's files on nginx ------------------------------------------------------------------

NUGET_HISTORY = [  # (version as published, published, listed); the id's case is the package's own
    ("1.0.0", "2024-01-10T09:00:00+00:00", True),
    ("1.0.1", "2024-02-01T10:00:00-05:00", True),
    ("1.1.0-beta.1", "2024-03-01T00:00:00Z", True),
    ("1.1.0-Beta.2", "2024-03-05T00:00:00Z", True),
    ("1.1.0-beta.10", "2024-03-09T00:00:00Z", True),
    ("1.1.0-RC.1", "2024-03-10T00:00:00Z", True),
    ("1.1.0", "2024-03-20T12:00:00+01:00", True),
    ("1.2.0", "2024-04-01T00:00:00Z", False),  # unlisted
    ("1.9.0", "2024-05-01T00:00:00Z", True),
    ("1.10.0+build.7", "2024-06-01T00:00:00Z", True),  # SemVer 2.0 build metadata
    ("2.0.0.1", "2024-07-01T00:00:00Z", True),  # a fourth part, as NuGet allows
    ("2.0.0", "2024-06-20T00:00:00Z", True),
]
NUGET_RELEASES = ["2.0.0.1", "2.0.0", "1.10.0+build.7", "1.9.0", "1.1.0", "1.0.1", "1.0.0"]


def nuget_feed(root: Path, base: str, registrations: str = "") -> None:
    """A NuGet v3 feed at ``base`` as the server API documents it: the service index, the package's
    registration index (its first page inline, its second by reference; the hive at ``registrations``
    when that is another host) and the flat container."""
    package, lower = "Contoso.App", "contoso.app"
    hive_url = registrations or f"{base}/v3/registration5-gz-semver2/"

    def put(path: Path, document: Any) -> None:
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(json.dumps(document))

    put(
        root / "v3" / "index.json",
        {
            "version": "3.0.0",
            "resources": [
                {"@id": f"{base}/v3-flatcontainer/", "@type": "PackageBaseAddress/3.0.0"},
                {"@id": f"{base}/v3/registration5/", "@type": "RegistrationsBaseUrl"},  # the SemVer 1 hive
                {"@id": hive_url, "@type": "RegistrationsBaseUrl/3.6.0"},
                {"@id": f"{base}/query", "@type": ["SearchQueryService", "SearchQueryService/3.0.0-rc"]},
            ],
        },
    )

    def leaf(version: str, published: str, listed: bool) -> dict[str, Any]:
        norm = version.split("+", maxsplit=1)[0].lower()
        entry: dict[str, Any] = {
            "@id": f"{base}/v3/catalog0/data/2024.01.01.00.00.00/{lower}.{norm}.json",
            "id": package,
            "version": version,
            "listed": listed,
            "published": published if listed else "1900-01-01T00:00:00+00:00",
            "packageContent": f"{base}/v3-flatcontainer/{lower}/{norm}/{lower}.{norm}.nupkg",
        }
        if version == "1.0.0":
            entry["deprecation"] = {"reasons": ["Legacy"], "message": "use 2.x"}
        return {"@id": f"{hive_url}{lower}/{norm}.json", "catalogEntry": entry}

    leaves = [leaf(*h) for h in NUGET_HISTORY]
    page2 = f"{hive_url}{lower}/page2.json"
    first = {"@id": f"{hive_url}{lower}/index.json#page/1.0.0/1.1.0-rc.1", "count": 6, "items": leaves[:6]}
    put(
        root / "v3" / "registration5-gz-semver2" / lower / "index.json",
        {
            "@id": f"{hive_url}{lower}/index.json",
            "count": 2,
            "items": [
                {**first, "lower": "1.0.0", "upper": "1.1.0-rc.1"},
                {"@id": page2, "count": 6, "lower": "1.1.0", "upper": "2.0.0.1"},  # its items at its own URL
            ],
        },
    )
    put(
        root / "v3" / "registration5-gz-semver2" / lower / "page2.json",
        {"@id": page2, "count": 6, "items": leaves[6:], "lower": "1.1.0", "upper": "2.0.0.1"},
    )
    put(
        root / "v3-flatcontainer" / lower / "index.json",
        {"versions": [v.split("+")[0].lower() for v, _, _ in NUGET_HISTORY]},
    )


GZIP = "gzip on; gzip_types application/json; gzip_min_length 1;"


@pytest.mark.slow
def test_nuget_v3_reads_registration_pages_gzip_and_lists_by_semver(cli: CLI, tmp_path: Path) -> None:
    root = tmp_path / "feed"
    root.mkdir()
    with servers.nginx(root, extra=GZIP) as url:
        nuget_feed(root, url)
        asked = urllib.request.Request(
            f"{url}/v3/registration5-gz-semver2/contoso.app/index.json", headers={"Accept-Encoding": "gzip"}
        )
        with urllib.request.urlopen(asked) as raw:
            assert raw.headers["Content-Encoding"] == "gzip"  # compressed, as nuget.org's gz hives are
        code, doc, err = run(cli, "nuget-v3", url + "/v3/index.json", input_package="contoso.APP")
        every = run(cli, "nuget-v3", url + "/v3", input_package="Contoso.App", input_include_prereleases="true")
        unlisted = run(
            cli, "nuget-v3", f"{url}/v3/index.json", input_package="Contoso.App", input_include_unlisted="true"
        )
        missing = run(cli, "nuget-v3", url + "/v3/index.json", input_package="Contoso.Nope")
    assert code == 0, err
    assert versions(doc) == NUGET_RELEASES
    assert every[0] == 0, every[2]
    assert versions(every[1]) == [
        *NUGET_RELEASES[:5],
        "1.1.0-RC.1",
        "1.1.0-beta.10",
        "1.1.0-Beta.2",  # labels compared case-insensitively, numbers as numbers: beta.2 < beta.10 < rc.1
        "1.1.0-beta.1",
        "1.0.1",
        "1.0.0",
    ]
    assert versions(unlisted[1]) == [*NUGET_RELEASES[:4], "1.2.0", *NUGET_RELEASES[4:]]
    assert doc["artifacts"][3]["metadata"] == {
        "nupkg": f"{url}/v3-flatcontainer/contoso.app/1.9.0/contoso.app.1.9.0.nupkg",
        "published": "2024-05-01T00:00:00Z",
        "listed": "true",
        "id": "Contoso.App",
        "deprecated": "false",
        "vulnerable": "false",
    }
    assert doc["artifacts"][-1]["metadata"]["deprecated"] == "true"
    assert missing[0] == 3
    hive = f"{url}/v3/registration5-gz-semver2"
    assert f"no package Contoso.Nope on this feed (HTTP 404 from {hive}/contoso.nope/index.json)" in missing[2]


@pytest.mark.slow
def test_nuget_v3_page_two_failing_and_credentials_kept_on_the_feeds_origin(cli: CLI, tmp_path: Path) -> None:
    """A registration page answering 500 fails the run; behind basic auth the credentials go to the
    service index's origin and not to a registration hive on another host (a CDN, gzip always)."""
    root = tmp_path / "feed"
    root.mkdir()
    with servers.nginx(root, extra='if ($uri ~ "page2") { return 500; }') as url:
        nuget_feed(root, url)
        broken = run(cli, "nuget-v3", f"{url}/v3/index.json", input_package="Contoso.App")
    assert broken[0] == 3
    assert f"HTTP 500 Internal Server Error from {url}/v3/registration5-gz-semver2/contoso.app/page2.json" in broken[2]

    routes: dict[str, servers.Route] = {}
    private = tmp_path / "private"
    private.mkdir()
    with (
        servers.recorded(routes) as (cdn, seen),
        servers.nginx(private, extra=htpasswd(tmp_path, "deployer", "s3cr3t-pw")) as url,
    ):
        copy = tmp_path / "cdn"
        nuget_feed(copy, url, registrations=f"{cdn}/v3/registration5-gz-semver2/")
        for name in ("index.json", "page2.json"):
            body = (copy / "v3" / "registration5-gz-semver2" / "contoso.app" / name).read_bytes()
            routes[f"/v3/registration5-gz-semver2/contoso.app/{name}"] = (
                200,
                {"Content-Type": "application/json", "Content-Encoding": "gzip"},
                gzip.compress(body),
            )
        nuget_feed(private, url, registrations=f"{cdn}/v3/registration5-gz-semver2/")
        anonymous = run(cli, "nuget-v3", f"{url}/v3/index.json", input_package="Contoso.App")
        code, doc, err = run(
            cli,
            "nuget-v3",
            f"{url}/v3/index.json",
            input_package="Contoso.App",
            input_repo_user="deployer",
            input_repo_password="s3cr3t-pw",
        )
    assert anonymous[0] == 3 and f"HTTP 401 Unauthorized from {url}/v3/index.json" in anonymous[2]
    assert code == 0, err
    assert versions(doc) == NUGET_RELEASES
    assert len(seen) == 2 and all("Authorization" not in headers for _, headers in seen)
    assert "s3cr3t-pw" not in err + json.dumps(doc)


def test_nuget_v3_semver_order_and_a_feed_without_registrations(cli: CLI, tmp_path: Path) -> None:
    pkg = script_module("nuget-v3")
    semver_org = [  # semver.org section 11's own example, lowest first, then numbers as numbers
        "1.0.0-alpha",
        "1.0.0-alpha.1",
        "1.0.0-alpha.beta",
        "1.0.0-beta",
        "1.0.0-beta.2",
        "1.0.0-beta.11",
        "1.0.0-rc.1",
        "1.0.0",
        "1.9.0",
        "1.10.0",
        "2.0.0",
    ]
    assert sorted(random.Random(7).sample(semver_org, len(semver_org)), key=pkg.semver_key) == semver_org
    assert pkg.semver_key("1.0.0+a") == pkg.semver_key("1.0.0+b") == pkg.semver_key("1.0.0.0")
    assert pkg.semver_key("1.0.0-RC.1", fold_case=True) == pkg.semver_key("1.0.0-rc.1", fold_case=True)
    assert pkg.semver_key("1.0.0-RC.1") < pkg.semver_key("1.0.0-rc.1")  # semver itself: ASCII order
    assert pkg.normalized("01.02.03.0-Beta+meta") == "1.2.3-beta"
    root = tmp_path / "flat"
    root.mkdir()
    with servers.nginx(root) as url:
        (root / "index.json").write_text(
            json.dumps({"version": "3.0.0", "resources": [{"@id": f"{url}/flat", "@type": "PackageBaseAddress/3.0.0"}]})
        )
        (root / "flat" / "tool").mkdir(parents=True)
        (root / "flat" / "tool" / "index.json").write_text(
            json.dumps({"versions": ["0.9.0", "1.0.0-rc.1", "1.0.0", "0.10.0"]})
        )
        code, doc, err = run(cli, "nuget-v3", url, input_package="Tool")
    assert code == 0, err
    assert versions(doc) == ["1.0.0", "0.10.0", "0.9.0"]
    assert doc["artifacts"][0]["metadata"]["nupkg"] == f"{url}/flat/tool/1.0.0/tool.1.0.0.nupkg"


# -- rubygems-compact: a compact index on nginx ------------------------------------------------------------

GEM_PAIRS = [
    ("1.0", "1.0.0"),
    ("1.0.0.rc1", "1.0.0"),
    ("1.0.0.rc1", "1.0.0.rc2"),
    ("1.0.0.rc10", "1.0.0.rc2"),
    ("1.0.0.beta", "1.0.0.alpha"),
    ("1.0.0.pre", "1.0.0.a"),
    ("1.0.a", "1.0.0"),
    ("1.0.0-rc1", "1.0.0.pre.rc1"),
    ("1.10", "1.9"),
    ("1.0.0.1", "1.0.0"),
    ("1.0.b1", "1.0.a2"),
    ("0.9", "0.10"),
    ("2.0.0.rc.2", "2.0.0.rc.10"),
    ("1.a.0", "1.a"),
    ("1.0.0.a.0", "1.0.0.a"),
    ("7.1.3.4", "7.1.3"),
    ("1.0.0.RC1", "1.0.0.rc1"),
]


def test_gem_version_order_is_rubygems() -> None:
    """compare_gem_versions against Ruby's own Gem::Version, both ways."""
    need(shutil.which("ruby"), "ruby", "apt-get install ruby")
    gems = script_module("rubygems-compact")
    pairs = [*GEM_PAIRS, *[(b, a) for a, b in GEM_PAIRS]]
    program = "ARGV.each_slice(2) { |a, b| puts(Gem::Version.new(a) <=> Gem::Version.new(b)) }"
    out = subprocess.run(["ruby", "-e", program, *itertools.chain(*pairs)], check=True, capture_output=True, text=True)
    assert [gems.compare_gem_versions(a, b) for a, b in pairs] == [int(n) for n in out.stdout.split()]
    assert [gems.is_prerelease(v) for v in ("1.0.0.rc1", "1.0.0", "2.0.0-beta")] == [True, False, True]


GEM_INFO = """---
0.9.0 |checksum:{c0}
1.0.0 activesupport:>= 6.0&< 8,rack:~> 2.2|checksum:{c1},ruby:>= 2.7.0
1.0.0-java activesupport:>= 6.0|checksum:{c2},ruby:>= 2.7.0
1.1.0.rc1 |checksum:{c3}
1.1.0 |checksum:{c4},ruby:>= 3.0,rubygems:>= 3.3.22
1.1.0-x86_64-linux |checksum:{c5},ruby:>= 3.0
1.1.0-arm64-darwin |checksum:{c6},ruby:>= 3.0
1.10.0.beta2 |checksum:{c7}
1.9.0 |checksum:{c8}
1.9.1-java |checksum:{c9}
"""


def gem_index(root: Path, auth: str = "") -> str:
    (root / "info").mkdir(parents=True)
    (root / "gems").mkdir()
    (root / "info" / "mygem").write_text(GEM_INFO.format(**{f"c{i}": f"{i:x}" * 64 for i in range(10)}))
    (root / "info" / "mygem-only-java").write_text("---\n1.0.0-java |checksum:" + "a" * 64 + "\n")
    (root / "versions").write_text("created_at: 2024-01-01T00:00:00Z\n---\nmygem 0.9.0,1.0.0,1.0.0-java abc\n")
    return auth


@pytest.mark.slow
def test_rubygems_compact_lists_a_platforms_gems_by_gem_version(cli: CLI, tmp_path: Path) -> None:
    root = tmp_path / "gems"
    gem_index(root)
    with servers.nginx(root) as url:
        code, doc, err = run(cli, "rubygems-compact", url, input_gem="mygem")
        every = run(cli, "rubygems-compact", url + "/info", input_gem="mygem", input_include_prereleases="true")
        java = run(cli, "rubygems-compact", url, input_gem="mygem", input_platform="java")
        linux = run(cli, "rubygems-compact", url, input_gem="mygem", input_platform="x86_64-linux")
        anything = run(cli, "rubygems-compact", url, input_gem="mygem", input_platform="*")
        none = run(cli, "rubygems-compact", url, input_gem="mygem-only-java")
        missing = run(cli, "rubygems-compact", url, input_gem="nope")
    assert code == 0, err
    assert versions(doc) == ["1.9.0", "1.1.0", "1.0.0", "0.9.0"]
    assert versions(every[1]) == ["1.10.0.beta2", "1.9.0", "1.1.0", "1.1.0.rc1", "1.0.0", "0.9.0"]
    assert versions(java[1]) == ["1.9.1", "1.0.0"]
    assert versions(linux[1]) == ["1.1.0"]
    assert versions(anything[1]) == ["1.9.1", "1.9.0", "1.1.0", "1.0.0", "0.9.0"]
    assert doc["artifacts"][2]["metadata"] == {
        "url": f"{url}/gems/mygem-1.0.0.gem",
        "sha256": "1" * 64,
        "platform": "ruby",
        "ruby": ">= 2.7.0",
        "rubygems": "",
        "dependencies": "activesupport (>= 6.0, < 8), rack (~> 2.2)",
    }
    assert doc["artifacts"][1]["metadata"]["rubygems"] == ">= 3.3.22"
    assert java[1]["artifacts"][1]["metadata"]["url"] == f"{url}/gems/mygem-1.0.0-java.gem"
    assert none[0] == 0 and none[1]["artifacts"] == []
    assert "1 versions of mygem-only-java, but none is for platform ruby (it has: java)" in none[2]
    assert missing[0] == 3 and f"no gem nope at {url} (HTTP 404 from {url}/info/nope)" in missing[2]


@pytest.mark.slow
def test_rubygems_compact_behind_basic_auth_and_only_prereleases(cli: CLI, tmp_path: Path) -> None:
    root = tmp_path / "gems"
    gem_index(root)
    (root / "info" / "beta-gem").write_text("---\n2.0.0.beta1 |checksum:" + "b" * 64 + "\n")
    with servers.nginx(root, extra=htpasswd(tmp_path, "deployer", "s3cr3t-pw")) as url:
        anonymous = run(cli, "rubygems-compact", url, input_gem="mygem")
        beta = run(
            cli,
            "rubygems-compact",
            url,
            input_gem="beta-gem",
            input_repo_user="deployer",
            input_repo_password="s3cr3t-pw",
        )
    assert anonymous[0] == 3 and f"HTTP 401 Unauthorized from {url}/info/mygem" in anonymous[2]
    assert beta[0] == 0 and beta[1]["artifacts"] == []
    assert "1 ruby versions of beta-gem, but none is a release (INCLUDE_PRERELEASES=true" in beta[2]


# -- terraform-provider and terraform-module: the registry protocols on nginx ------------------------------

TOKEN_CHECK = 'if ($http_authorization != "Bearer tf-s3cr3t") {{ return 401 \'{{"errors":["unauthorized"]}}\'; }}'


def terraform_registry(root: Path, services: dict[str, str] | None = None) -> None:
    """A registry's files as the provider and module registry protocols document them."""
    (root / ".well-known").mkdir(parents=True)
    (root / ".well-known" / "terraform.json").write_text(
        json.dumps(services or {"providers.v1": "/v1/providers/", "modules.v1": "/v1/modules/"})
    )
    linux = {"os": "linux", "arch": "amd64"}
    darwin = {"os": "darwin", "arch": "arm64"}
    provider = [
        ("5.9.0", ["5.0"], [linux, darwin]),
        ("5.10.0", ["5.0"], [linux, darwin]),
        ("5.10.0-beta1", ["5.0"], [linux]),
        ("4.67.0", ["4.0", "5.0"], [linux]),
        ("5.11.0-alpha20240101", ["6.0"], [linux, darwin]),
        ("6.0.0", ["6.0"], [darwin]),
        ("5.2.0", ["5.0"], [linux, darwin]),
    ]
    folder = root / "v1" / "providers" / "example" / "cloud"
    folder.mkdir(parents=True)
    (folder / "versions").write_text(
        json.dumps(
            {
                "id": "example/cloud",
                "versions": [{"version": v, "protocols": p, "platforms": pl} for v, p, pl in provider],
                "warnings": ["example/cloud is deprecated: use example/cloud2"],
            }
        )
    )
    module = folder = root / "v1" / "modules" / "example" / "network" / "aws"
    module.mkdir(parents=True)
    listed = ["1.0.0", "1.2.0", "1.10.0", "1.9.3", "2.0.0-rc.1", "2.0.0-rc.2", "0.9.0"]
    (module / "versions").write_text(
        json.dumps(
            {
                "modules": [
                    {
                        "source": "example/network/aws",
                        "versions": [
                            {"version": v, "submodules": [{"path": "modules/subnets"}] if v == "1.10.0" else []}
                            for v in listed
                        ],
                    }
                ]
            }
        )
    )


@pytest.mark.slow
def test_terraform_provider_lists_by_semver_with_platforms_and_a_token(cli: CLI, tmp_path: Path) -> None:
    root = tmp_path / "registry"
    terraform_registry(root)
    with servers.nginx(root, extra=TOKEN_CHECK.format()) as url:
        anonymous = run(cli, "terraform-provider", url, input_namespace="example", input_type="cloud")
        code, doc, err = run(
            cli, "terraform-provider", url, input_namespace="example", input_type="cloud", input_tf_token="tf-s3cr3t"
        )
        every = run(
            cli,
            "terraform-provider",
            url,
            input_namespace="example",
            input_type="cloud",
            input_tf_token="tf-s3cr3t",
            input_include_prereleases="true",
        )
        linux = run(
            cli,
            "terraform-provider",
            url,
            input_namespace="example",
            input_type="cloud",
            input_tf_token="tf-s3cr3t",
            input_platform="linux_amd64",
        )
        nowhere = run(
            cli,
            "terraform-provider",
            url,
            input_namespace="example",
            input_type="cloud",
            input_tf_token="tf-s3cr3t",
            input_platform="windows_386",
        )
        missing = run(
            cli, "terraform-provider", url, input_namespace="example", input_type="nope", input_tf_token="tf-s3cr3t"
        )
    assert anonymous[0] == 3 and f"HTTP 401 Unauthorized from {url}/.well-known/terraform.json" in anonymous[2]
    assert code == 0, err
    assert versions(doc) == ["6.0.0", "5.10.0", "5.9.0", "5.2.0", "4.67.0"]
    assert "the registry warns: example/cloud is deprecated" in err
    assert versions(every[1]) == ["6.0.0", "5.11.0-alpha20240101", "5.10.0", "5.10.0-beta1", "5.9.0", "5.2.0", "4.67.0"]
    assert versions(linux[1]) == ["5.10.0", "5.9.0", "5.2.0", "4.67.0"]
    host = url.removeprefix("http://")
    assert doc["artifacts"][4]["metadata"] == {
        "protocols": "4.0,5.0",
        "platforms": "linux_amd64",
        "source": f"{host}/example/cloud",
        "download": "",
    }
    assert (
        linux[1]["artifacts"][0]["metadata"]["download"]
        == f"{url}/v1/providers/example/cloud/5.10.0/download/linux/amd64"
    )
    assert nowhere[0] == 0 and nowhere[1]["artifacts"] == []
    assert "7 versions of example/cloud, but none has a build for windows_386" in nowhere[2]
    assert (
        missing[0] == 3
        and f"no provider example/nope on this registry (HTTP 404 from {url}/v1/providers/example/nope/versions)"
        in missing[2]
    )
    assert "tf-s3cr3t" not in err + json.dumps(doc)


@pytest.mark.slow
def test_terraform_module_lists_by_semver_and_keeps_the_token_on_its_host(cli: CLI, tmp_path: Path) -> None:
    """Discovery naming modules.v1 on another host (a URL, as the protocol allows): the versions are
    read there without the token, which belongs to the registry's own host."""
    api = tmp_path / "api"
    terraform_registry(api)
    with servers.recorded(
        {
            "/v1/modules/example/network/aws/versions": (
                200,
                {},
                (api / "v1" / "modules" / "example" / "network" / "aws" / "versions").read_bytes(),
            )
        }
    ) as (elsewhere, seen):
        root = tmp_path / "registry"
        terraform_registry(root, {"modules.v1": f"{elsewhere}/v1/modules/"})
        with servers.nginx(root, extra=TOKEN_CHECK.format()) as url:
            code, doc, err = run(
                cli,
                "terraform-module",
                url,
                input_namespace="example",
                input_name="network",
                input_system="aws",
                input_tf_token="tf-s3cr3t",
            )
            provider = run(
                cli,
                "terraform-provider",
                url,
                input_namespace="example",
                input_type="cloud",
                input_tf_token="tf-s3cr3t",
            )
    assert code == 0, err
    assert versions(doc) == ["1.10.0", "1.9.3", "1.2.0", "1.0.0", "0.9.0"]
    assert len(seen) == 1 and "Authorization" not in seen[0][1]
    host = url.removeprefix("http://")
    assert doc["artifacts"][0]["metadata"] == {
        "source": f"{host}/example/network/aws",
        "download": f"{elsewhere}/v1/modules/example/network/aws/1.10.0/download",
        "submodules": "modules/subnets",
    }
    assert provider[0] == 3 and "offers no providers.v1 service (it offers: modules.v1)" in provider[2]
    with servers.nginx(api) as url:
        every = run(
            cli,
            "terraform-module",
            url,
            input_namespace="example",
            input_name="network",
            input_system="aws",
            input_include_prereleases="true",
        )
        missing = run(cli, "terraform-module", url, input_namespace="example", input_name="network", input_system="gcp")
    assert versions(every[1]) == ["2.0.0-rc.2", "2.0.0-rc.1", "1.10.0", "1.9.3", "1.2.0", "1.0.0", "0.9.0"]
    assert missing[0] == 3 and "no module example/network/gcp on this registry (HTTP 404 from" in missing[2]
    with servers.nginx(api, extra='if ($uri ~ "/versions$") { return 500; }') as url:
        broken = run(cli, "terraform-module", url, input_namespace="example", input_name="network", input_system="aws")
    assert (
        broken[0] == 3
        and f"HTTP 500 Internal Server Error from {url}/v1/modules/example/network/aws/versions" in broken[2]
    )
