"""maven-metadata against nginx serving a Maven 2 layout written as Maven 3 writes it (checked against
Maven's own version order where Java and Maven are installed), and nexus3-components against a server
built from Nexus 3's documented search API (components, assets, continuationToken pages)."""

from __future__ import annotations

import base64
import datetime
import fnmatch
import functools
import hashlib
import json
import random
import shutil
import subprocess
import urllib.error
import urllib.parse
import urllib.request
from collections.abc import Iterator
from pathlib import Path
from typing import Any, ClassVar

import pytest

from customsrc.demo import serve
from customsrc.gallery import entry

from . import servers
from .gallery_test import run, run_loud
from .helpers import CLI, need


def versions(doc: dict[str, Any]) -> list[str]:
    return [a["version"] for a in doc["artifacts"]]


def download(url: str, headers: dict[str, str] | None = None) -> tuple[int, bytes]:
    try:
        with urllib.request.urlopen(urllib.request.Request(url, headers=headers or {}), timeout=10) as response:
            return response.status, response.read()
    except urllib.error.HTTPError as exc:
        return exc.code, b""


# -- maven-metadata: a Maven 2 layout as Maven 3 deploys it ------------------------------------------

# Maven 3.9 writes repository metadata with its namespace (Maven 3.8 and older without: the
# existing gallery test covers that form); the elements and their order are MetadataXpp3Writer's.
HEAD = (
    '<?xml version="1.0" encoding="UTF-8"?>\n'
    '<metadata xmlns="http://maven.apache.org/METADATA/1.1.0" xmlns:xsi="http://www.w3.org/2001/XMLSchema-instance"'
    ' xsi:schemaLocation="http://maven.apache.org/METADATA/1.1.0'
    ' https://maven.apache.org/xsd/repository-metadata-1.1.0.xsd" modelVersion="1.1.0">\n'
)


class MavenRepo:
    """Deploys as `mvn deploy` does to a remote repository: the files with .md5 and .sha1 beside
    them, the artifact's maven-metadata.xml (versions in deploy order, latest and release the last
    deployed), and for a SNAPSHOT timestamped files with the version's own maven-metadata.xml."""

    def __init__(self, root: Path, group: str = "org.example") -> None:
        self.root, self.group = root, group
        self.deployed: dict[str, list[str]] = {}
        self.builds: dict[tuple[str, str], dict[tuple[str, str], tuple[str, str]]] = {}

    def folder(self, artifact: str) -> Path:
        return self.root / self.group.replace(".", "/") / artifact

    def put(self, path: Path, body: bytes) -> None:
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_bytes(body)
        for kind in ("md5", "sha1"):
            path.with_name(f"{path.name}.{kind}").write_text(hashlib.new(kind, body).hexdigest())

    def deploy(self, artifact: str, version: str, when: datetime.datetime, files: tuple[str, ...] = ("jar",)) -> None:
        """Deploy ``version`` of ``artifact`` with its pom and ``files`` ("jar", "linux-x86_64:zip")."""
        stamp = when.strftime("%Y%m%d%H%M%S")
        folder = self.folder(artifact) / version
        value = version
        if version.endswith("-SNAPSHOT"):
            builds = self.builds.setdefault((artifact, version), {})
            number = 1 + max((int(v.rsplit("-", 1)[1]) for v, _ in builds.values()), default=0)
            value = f"{version.removesuffix('SNAPSHOT')}{when.strftime('%Y%m%d.%H%M%S')}-{number}"
        for spec in ("pom", *files):
            classifier, _, extension = spec.rpartition(":")
            name = f"{artifact}-{value}{'-' + classifier if classifier else ''}.{extension}"
            self.put(folder / name, f"{artifact} {value} {spec}".encode())
            if value != version:
                self.builds[(artifact, version)][(classifier, extension)] = (value, stamp)
        if value != version:
            self.snapshot_metadata(artifact, version, value, stamp)
        listed = self.deployed.setdefault(artifact, [])
        if version not in listed:
            listed.append(version)
        release = [v for v in listed if not v.endswith("-SNAPSHOT")]
        xml = [HEAD, f"  <groupId>{self.group}</groupId>\n  <artifactId>{artifact}</artifactId>\n  <versioning>\n"]
        xml.append(f"    <latest>{version}</latest>\n")
        if release:
            xml.append(f"    <release>{release[-1]}</release>\n")
        xml.append(
            "    <versions>\n" + "".join(f"      <version>{v}</version>\n" for v in listed) + "    </versions>\n"
        )
        xml.append(f"    <lastUpdated>{stamp}</lastUpdated>\n  </versioning>\n</metadata>\n")
        self.put(self.folder(artifact) / "maven-metadata.xml", "".join(xml).encode())

    def snapshot_metadata(self, artifact: str, version: str, value: str, stamp: str) -> None:
        timestamp, number = value.removeprefix(version.removesuffix("SNAPSHOT")).rsplit("-", 1)
        entries = "".join(
            "      <snapshotVersion>\n"
            + (f"        <classifier>{classifier}</classifier>\n" if classifier else "")
            + f"        <extension>{extension}</extension>\n"
            + f"        <value>{built}</value>\n        <updated>{updated}</updated>\n"
            + "      </snapshotVersion>\n"
            for (classifier, extension), (built, updated) in self.builds[(artifact, version)].items()
        )
        xml = (
            f"{HEAD}  <groupId>{self.group}</groupId>\n  <artifactId>{artifact}</artifactId>\n"
            f"  <versioning>\n    <lastUpdated>{stamp}</lastUpdated>\n"
            f"    <snapshot>\n      <timestamp>{timestamp}</timestamp>\n      <buildNumber>{number}</buildNumber>\n"
            f"    </snapshot>\n    <snapshotVersions>\n{entries}    </snapshotVersions>\n  </versioning>\n"
            f"  <version>{version}</version>\n</metadata>\n"
        )
        self.put(self.folder(artifact) / version / "maven-metadata.xml", xml.encode())


def at(day: str, hour: int = 10) -> datetime.datetime:
    return datetime.datetime.fromisoformat(f"{day}T{hour:02d}:15:00")


# Deploy order, as a project's CI deploys: pre-releases before their release, a 1.9.5 hotfix after
# 1.10.0, three builds of 2.0.0-SNAPSHOT (the third without the linux zip, so that file's newest
# build is the second).
DEPLOYS = [
    ("1.0.0", "2025-01-10", ("jar", "linux-x86_64:zip")),
    ("1.1.0-beta-1", "2025-02-01", ("jar", "linux-x86_64:zip")),
    ("1.1.0", "2025-02-20", ("jar", "linux-x86_64:zip", "javadoc:jar", "sources:jar")),
    ("1.2.0-M1", "2025-04-01", ("jar", "linux-x86_64:zip")),
    ("1.9.0", "2025-09-01", ("jar", "linux-x86_64:zip")),
    ("1.10.0-RC1", "2025-10-01", ("jar", "linux-x86_64:zip")),
    ("1.10.0", "2025-10-15", ("jar", "linux-x86_64:zip", "sources:jar")),
    ("1.9.5", "2025-11-02", ("jar", "linux-x86_64:zip")),
    ("2.0.0-alpha-1", "2025-11-10", ("jar", "linux-x86_64:zip")),
    ("2.0.0-SNAPSHOT", "2025-11-18", ("jar", "linux-x86_64:zip")),
    ("2.0.0-SNAPSHOT", "2025-11-19", ("jar", "linux-x86_64:zip")),
    ("2.0.0-SNAPSHOT", "2025-11-20", ("jar",)),
]
RELEASES = ["1.10.0", "1.9.5", "1.9.0", "1.1.0", "1.0.0"]
ALL = ["2.0.0-SNAPSHOT", "2.0.0-alpha-1", "1.10.0", "1.10.0-RC1", "1.9.5", "1.9.0", "1.2.0-M1", "1.1.0"]
ALL += ["1.1.0-beta-1", "1.0.0"]


@pytest.fixture
def maven(tmp_path: Path) -> Iterator[tuple[str, MavenRepo]]:
    repo = MavenRepo(tmp_path / "maven2")
    for version, day, files in DEPLOYS:
        repo.deploy("app", version, at(day), files)
    repo.deploy("app-cli", "1.0.0", at("2025-03-01"))
    repo.deploy("nightly", "3.0.0-SNAPSHOT", at("2025-11-20"))
    repo.deploy("nightly", "3.0.0-RC1", at("2025-11-21"))
    with servers.nginx(repo.root) as url:
        yield url, repo


def test_maven_releases_newest_first_by_maven_order_not_deploy_order(cli: CLI, maven: tuple[str, MavenRepo]) -> None:
    url, repo = maven
    written = (repo.folder("app") / "maven-metadata.xml").read_text()
    assert 'xmlns="http://maven.apache.org/METADATA/1.1.0"' in written
    # <release> is the last non-SNAPSHOT deployed, <versions> the deploy order: neither is the newest.
    assert "<release>2.0.0-alpha-1</release>" in written
    assert "<version>1.10.0</version>\n      <version>1.9.5</version>" in written
    code, doc, err = run(cli, "maven-metadata", url, "--version-regex", r"^1\.")
    assert code == 0, err
    assert versions(doc) == RELEASES  # <versions> ends ..., 1.10.0, 1.9.5, 2.0.0-alpha-1, 2.0.0-SNAPSHOT
    for artifact in doc["artifacts"]:
        meta = artifact["metadata"]
        assert meta["url"] == f"{url}/org/example/app/{artifact['version']}/app-{artifact['version']}.jar"
        assert download(meta["url"]) == (200, f"app {artifact['version']} jar".encode())
        assert meta["isRelease"] == "true"
        assert meta["repositoryUpdated"] == "20251120101500"
    assert doc["selected"]["version"] == "1.10.0"


def test_maven_snapshots_resolve_to_their_newest_timestamped_build(cli: CLI, maven: tuple[str, MavenRepo]) -> None:
    url, _ = maven
    code, doc, err = run(cli, "maven-metadata", url, input_include_prereleases="true")
    assert code == 0, err
    assert versions(doc) == ALL
    assert {a["version"]: a["metadata"]["isRelease"] for a in doc["artifacts"]} == {
        v: str(v in RELEASES).lower() for v in ALL
    }
    folder = f"{url}/org/example/app"
    snapshot = doc["artifacts"][0]["metadata"]["url"]
    assert snapshot == f"{folder}/2.0.0-SNAPSHOT/app-2.0.0-20251120.101500-3.jar"
    assert download(snapshot) == (200, b"app 2.0.0-20251120.101500-3 jar")
    assert download(f"{folder}/2.0.0-SNAPSHOT/app-2.0.0-SNAPSHOT.jar")[0] == 404  # what the old script gave
    for artifact in doc["artifacts"][1:]:
        assert download(artifact["metadata"]["url"])[0] == 200, artifact


def test_maven_classifier_and_packaging_choose_the_file(cli: CLI, maven: tuple[str, MavenRepo]) -> None:
    url, _ = maven
    code, doc, err = run(
        cli,
        "maven-metadata",
        url,
        input_include_prereleases="true",
        input_classifier="linux-x86_64",
        input_packaging="zip",
    )
    assert code == 0, err
    assert versions(doc) == ALL
    urls = [a["metadata"]["url"] for a in doc["artifacts"]]
    # The third SNAPSHOT build had no linux zip: the second build's file is the newest there is.
    assert urls[0] == f"{url}/org/example/app/2.0.0-SNAPSHOT/app-2.0.0-20251119.101500-2-linux-x86_64.zip"
    assert urls[2] == f"{url}/org/example/app/1.10.0/app-1.10.0-linux-x86_64.zip"
    assert [download(u) for u in urls[:3]] == [
        (200, b"app 2.0.0-20251119.101500-2 linux-x86_64:zip"),
        (200, b"app 2.0.0-alpha-1 linux-x86_64:zip"),
        (200, b"app 1.10.0 linux-x86_64:zip"),
    ]
    assert all(download(u)[0] == 200 for u in urls)
    code, doc, err = run_loud(cli, "maven-metadata", url, input_include_prereleases="true", input_classifier="sources")
    assert code == 0, err
    assert versions(doc)[:2] == ["2.0.0-alpha-1", "1.10.0"]  # the SNAPSHOT has no sources jar
    assert doc["artifacts"][1]["metadata"]["url"] == f"{url}/org/example/app/1.10.0/app-1.10.0-sources.jar"
    assert "2.0.0-SNAPSHOT left out: it has no sources jar file (it has: jar, linux-x86_64 zip, pom)" in err


def test_maven_missing_artifact_fails_naming_it_and_the_group(cli: CLI, maven: tuple[str, MavenRepo]) -> None:
    url, _ = maven
    code, doc, err = run(cli, "maven-metadata", url, input_artifact_id="ap")
    assert code == 3 and doc["error"]["kind"] == "script_failed"
    assert (
        f"no artifact org.example:ap in this repository ({url}/org/example/ap/maven-metadata.xml: HTTP 404);"
        " org.example has: app, app-cli, nightly"
    ) in err
    code, _, err = run(cli, "maven-metadata", url, input_group_id="com.example")
    assert code == 3 and f"no artifact com.example:app in this repository ({url}/com/example/app/" in err


def test_maven_a_filter_that_leaves_nothing_says_why(cli: CLI, maven: tuple[str, MavenRepo]) -> None:
    url, _ = maven
    code, doc, err = run_loud(cli, "maven-metadata", url, input_artifact_id="nightly")
    assert code == 0, err
    assert doc["artifacts"] == []
    assert (
        "maven-metadata.xml of org.example:nightly lists 2 versions (3.0.0-SNAPSHOT, 3.0.0-RC1), but none are"
        " releases (INCLUDE_PRERELEASES=true lists SNAPSHOTs and pre-releases too): the list is empty"
    ) in err
    code, doc, err = run(cli, "maven-metadata", url, input_artifact_id="nightly", input_include_prereleases="yes")
    assert code == 0, err
    assert versions(doc) == ["3.0.0-SNAPSHOT", "3.0.0-RC1"]  # rc < SNAPSHOT in Maven's order


def test_maven_the_old_gallery_example_lists_its_rc_when_asked(cli: CLI, tmp_path: Path) -> None:
    """tests/gallery_test.py::test_maven_metadata's repository (no namespace, as Maven 3.8 writes):
    its RC is a pre-release now, listed with INCLUDE_PRERELEASES=true."""
    folder = tmp_path / "repo" / "org" / "example" / "app"
    folder.mkdir(parents=True)
    (folder / "maven-metadata.xml").write_text(
        "<metadata><groupId>org.example</groupId><artifactId>app</artifactId><versioning>"
        "<latest>1.10.0</latest><release>1.10.0</release>"
        "<versions><version>1.9.0</version><version>1.10.0-RC1</version><version>1.10.0</version></versions>"
        "<lastUpdated>20261120100000</lastUpdated></versioning></metadata>"
    )
    with servers.nginx(tmp_path / "repo") as url:
        default = run(cli, "maven-metadata", url, "--version-regex", r"^1\.10")
        asked = run(cli, "maven-metadata", url, "--version-regex", r"^1\.10", input_include_prereleases="true")
    assert versions(default[1]) == ["1.10.0", "1.9.0"]
    assert versions(asked[1]) == ["1.10.0", "1.10.0-RC1", "1.9.0"]
    assert asked[1]["selected"]["metadata"]["isRelease"] == "true"
    assert [a["metadata"]["isRelease"] for a in asked[1]["artifacts"]] == ["true", "false", "true"]


# Versions as Maven projects name them, for the order checked against Maven's own ComparableVersion.
MAVEN_NAMES = """1 1.0 1.0.0 1.0.1 1.0-1 1.0.0-1 1-0.1 1.0-alpha 1.0-alpha1 1.0-alpha-1 1.0a1 1.0-b2 1.0-beta-2
1.0-m1 1.0-M2 1.0-milestone-3 1.0-rc1 1.0-RC2 1.0-cr3 1.0-SNAPSHOT 1.0-ga 1.0.Final 1.0.RELEASE 1.0-sp 1.0-sp1
1.0-foo 1.0.foo 1.0-1-SNAPSHOT 1.0.0.1 1.10.0 1.10.0-RC1 1.9.5 1.9 2.0.0-SNAPSHOT 2.0.0-20261120.101500-3 2.0.0-rc1
2.0-dev 2.0-preview 31.1-jre 31.1-android 1.0.0.M1 5.3.0.RELEASE 5.3.0-RC1 9.4.0.v20210101 1.0-1.1 1.0.alpha
1.0.alpha.1 1.foo.2 1.0.foo.bar 1.a.b 2.0.0.Beta1 1.2.3-SP1 99999999999999999999 0.0.1 latest 6.0.0.CR2"""
MAVEN_VERSIONS = MAVEN_NAMES.split()


def test_maven_order_is_mavens_own(tmp_path: Path) -> None:
    """The script's order against Maven's ComparableVersion (its main prints the comparison of each
    neighbour): sorted ascending, no neighbour may be greater than the next."""
    jar = Path("/usr/share/maven/lib/maven-artifact-3.x.jar")
    need(shutil.which("java") and jar.exists(), "Java and Maven (maven-artifact)", "apt-get install maven")
    script = Path(entry("maven-metadata").path).parent.parent / "scripts" / "maven-metadata.py"
    namespace: dict[str, Any] = {}
    exec(compile(entry("maven-metadata").source.script.split("# -- the repository")[0], str(script), "exec"), namespace)
    rng = random.Random(7)
    parts = ["1", "2", "0", "10", "alpha", "beta", "rc", "cr", "m", "SNAPSHOT", "ga", "final", "sp", "foo", "jre"]
    generated = []
    for _ in range(150):
        text = rng.choice(["1", "2", "10"])
        for _ in range(rng.randint(1, 4)):
            text += rng.choice([".", "-", ""]) + rng.choice(parts)
        generated.append(text)
    candidates = list(dict.fromkeys(MAVEN_VERSIONS + generated))
    ordered = sorted(candidates, key=functools.cmp_to_key(namespace["maven_compare"]))
    out = subprocess.run(
        ["java", "-cp", str(jar), "org.apache.maven.artifact.versioning.ComparableVersion", *ordered],
        capture_output=True,
        text=True,
        check=True,
    ).stdout
    comparisons = [line.strip() for line in out.splitlines() if line.startswith("   ")]
    assert len(comparisons) == len(ordered) - 1
    assert [c for c in comparisons if " > " in c] == []
    assert ordered.index("1.9.5") < ordered.index("1.10.0-RC1") < ordered.index("1.10.0")
    assert ordered.index("1.0-SNAPSHOT") < ordered.index("1.0") < ordered.index("1.0-sp1") < ordered.index("1.0-foo")


# -- nexus3-components: a server built from Nexus 3's documented search API -----------------------

PAGE = 4  # components a search page holds (Nexus: 50), small to follow continuationToken pages
SUFFIXES = ("md5", "sha1", "sha256", "sha512")


def blob(path: str) -> bytes:
    return f"content of {path}".encode()


def nexus_asset(repository: str, form: str, path: str, modified: str, extra: dict[str, Any] | None = None) -> dict:
    body = blob(path)
    return {
        "downloadUrl": f"{{base}}/repository/{repository}/{path}",
        "path": path,
        "id": base64.b64encode(f"{repository}:{path}".encode()).decode().rstrip("="),
        "repository": repository,
        "format": form,
        "checksum": {kind: hashlib.new(kind, body).hexdigest() for kind in SUFFIXES if kind != "sha512"},
        "contentType": "application/java-archive" if path.endswith(".jar") else "application/octet-stream",
        "lastModified": modified,
        "fileSize": len(body),
        **(extra or {}),
    }


def maven_component(name: str, version: str, modified: str, files: tuple[str, ...], attributes: bool) -> dict:
    """A maven2 component as Nexus lists it: assets in path order (javadoc, sources and the checksum
    and signature files beside the jar come first or in between); newer Nexus adds maven2 attributes."""
    folder = f"org/example/{name}/{version}"
    paths = []
    for spec in ("pom", *files):
        classifier, _, extension = spec.rpartition(":")
        main = f"{folder}/{name}-{version}{'-' + classifier if classifier else ''}.{extension}"
        paths += [main, f"{main}.asc", *(f"{main}.{kind}" for kind in ("md5", "sha1"))]
        if spec == "jar":
            paths += [f"{main}.sha256", f"{main}.sha512"]
    assets = []
    for path in sorted(paths):
        extra = None
        if attributes:
            stem = path.rsplit("/", 1)[1].removeprefix(f"{name}-{version}")
            classifier, _, extension = stem[1:].partition(".") if stem.startswith("-") else ("", "", stem[1:])
            extra = {
                "maven2": {"groupId": "org.example", "artifactId": name, "version": version, "extension": extension}
            }
            if classifier:
                extra["maven2"]["classifier"] = classifier
        assets.append(nexus_asset("maven-releases", "maven2", path, modified, extra))
    return {
        "id": base64.b64encode(f"maven-releases:{name}:{version}".encode()).decode().rstrip("="),
        "repository": "maven-releases",
        "format": "maven2",
        "group": "org.example",
        "name": name,
        "version": version,
        "assets": assets,
    }


def raw_component(path: str, modified: str) -> dict:
    return {
        "id": base64.b64encode(f"raw-hosted:{path}".encode()).decode().rstrip("="),
        "repository": "raw-hosted",
        "format": "raw",
        "group": "/" + path.rsplit("/", 1)[0],
        "name": path,
        "version": None,
        "assets": [nexus_asset("raw-hosted", "raw", path, modified)],
    }


ZIP = ("jar", "javadoc:jar", "sources:jar", "linux-x86_64:zip")
# Uploads over two years in several time zones; 1.9.5 is a hotfix that reads as uploaded after 1.10.0
# (14:30+02:00 against 08:00-05:00) but came before it (12:30Z < 13:00Z); 1.10.1 was uploaded after 2.0.0, whose
# lastModified reads later as text (2026-09-15T00:15+09:00 = 2026-09-14T15:15Z); 0.9.0 and 0.10.0
# came in together from a migration (the same lastModified: the version decides).
NEXUS_APP = [
    ("0.9.0", "2024-01-01T00:00:00.000+00:00", ("jar",)),
    ("0.10.0", "2024-01-01T00:00:00.000+00:00", ("jar",)),
    ("1.0.0", "2025-03-01T09:00:00.000+00:00", ("jar", "javadoc:jar")),
    ("1.9.0", "2026-01-10T12:00:00.000+01:00", ZIP),
    ("1.10.0-RC1", "2026-05-20T08:00:00.000-05:00", ZIP),
    ("1.10.0", "2026-06-01T08:00:00.000-05:00", ZIP),
    ("1.9.5", "2026-06-01T14:30:00.000+02:00", ZIP),
    ("2.0.0", "2026-09-15T00:15:00.000+09:00", ZIP),
    ("1.10.1", "2026-09-14T18:00:00.000+00:00", ("jar", "sources:jar")),
]
NEXUS_NEWEST_FIRST = ["1.10.1", "2.0.0", "1.10.0", "1.9.5", "1.10.0-RC1", "1.9.0", "1.0.0", "0.10.0", "0.9.0"]
RAW = [
    ("app/1.2.0/app-1.2.0.tar.gz", "2026-02-01T10:00:00.000+00:00"),
    ("app/1.2.0/app-1.2.0.tar.gz.sha256", "2026-02-01T10:00:01.000+00:00"),
    ("app/1.10.0/app-1.10.0.tar.gz", "2026-07-01T10:00:00.000+02:00"),
    ("app/1.10.0/app-1.10.0.tar.gz.sha256", "2026-07-01T10:00:01.000+02:00"),
    ("app/1.3.0/app-1.3.0.tar.gz", "2026-03-01T10:00:00.000+00:00"),
    ("app/2.0.0-rc.1/app-2.0.0-rc.1.tar.gz", "2026-08-01T10:00:00.000+00:00"),
    ("app/README.md", "2026-08-02T10:00:00.000+00:00"),
    ("other/0.1.0/other-0.1.0.tar.gz", "2026-08-03T10:00:00.000+00:00"),
]
USER, PASSWORD = "deployer", "s3cr3t-pw"


class NexusSearch(servers.Quiet):
    """GET /service/rest/v1/search (repository, name with * wildcards, group, format, sort,
    direction, continuationToken), /service/rest/v1/repositories, and the assets' downloads, all
    behind HTTP basic auth; a search of an unknown repository is empty, or answers 404 when
    ``missing_status`` is 404 (as some Nexus versions do)."""

    components: ClassVar[list[dict[str, Any]]] = []
    repositories: ClassVar[list[dict[str, Any]]] = []
    missing_status: ClassVar[int] = 200
    seen: ClassVar[list[str]] = []

    def do_GET(self) -> None:
        self.seen.append(self.path)
        if self.headers.get("Authorization") != "Basic " + base64.b64encode(f"{USER}:{PASSWORD}".encode()).decode():
            self.reply(401, b"", {"WWW-Authenticate": 'BASIC realm="Sonatype Nexus Repository Manager"'})
            return
        url = urllib.parse.urlsplit(self.path)
        query = dict(urllib.parse.parse_qsl(url.query))
        host = f"http://{self.headers.get('Host')}"
        if url.path == "/service/rest/v1/repositories":
            self.json(self.repositories)
        elif url.path == "/service/rest/v1/search":
            self.search(query, host)
        elif url.path.startswith("/repository/"):
            repository, _, path = url.path.removeprefix("/repository/").partition("/")
            known = {(a["repository"], a["path"]) for c in self.components for a in c["assets"]}
            if (repository, path) in known:
                self.reply(200, blob(path), {"Content-Type": "application/octet-stream"})
            else:
                self.reply(404, b"Not Found")
        else:
            self.reply(404, b'{"message":"Not Found"}')

    def json(self, value: Any, status: int = 200) -> None:
        self.reply(status, json.dumps(value, indent=2).encode(), {"Content-Type": "application/json"})

    def search(self, query: dict[str, str], host: str) -> None:
        repository = query.get("repository")
        if repository and repository not in {r["name"] for r in self.repositories} and self.missing_status == 404:
            self.json({"message": "Repository not found"}, 404)
            return
        found = [
            c
            for c in self.components
            if all(
                fnmatch.fnmatchcase(str(c.get(key) or ""), query[key])
                for key in ("repository", "name", "group", "format")
                if key in query
            )
        ]
        if query.get("sort") == "version":  # Nexus's order of the version text, not the gallery's
            found.sort(key=lambda c: str(c.get("version")), reverse=query.get("direction", "desc") == "desc")
        start = int(query.get("continuationToken", "0" * 32)[-8:], 16)
        page = found[start : start + PAGE]
        token = f"{'0' * 24}{start + PAGE:08x}" if start + PAGE < len(found) else None
        text = json.dumps({"items": page, "continuationToken": token}).replace("{base}", host)
        self.reply(200, text.encode(), {"Content-Type": "application/json"})


@pytest.fixture
def nexus() -> Iterator[tuple[str, type[NexusSearch]]]:
    components = [
        maven_component("app", v, when, files, attributes=i % 2 == 0) for i, (v, when, files) in enumerate(NEXUS_APP)
    ]
    components += [
        maven_component(n, "1.0.0", "2026-01-01T00:00:00.000+00:00", ("jar",), True) for n in ("app-cli", "lib")
    ]
    components += [raw_component(path, when) for path, when in RAW]
    repositories = [
        {"name": name, "format": form, "type": "hosted", "url": f"http://nexus/repository/{name}", "attributes": {}}
        for name, form in (("maven-releases", "maven2"), ("maven-snapshots", "maven2"), ("raw-hosted", "raw"))
    ]
    handler = type("Nexus", (NexusSearch,), {"components": components, "repositories": repositories, "seen": []})
    with serve(handler) as url:
        yield url, handler


def nexus_run(cli: CLI, url: str, **inputs: str) -> tuple[int, dict[str, Any], str]:
    return run_loud(cli, "nexus3-components", url, input_repo_user=USER, input_repo_password=PASSWORD, **inputs)


def test_nexus_main_asset_with_its_checksums_newest_first_by_upload_time(
    cli: CLI, nexus: tuple[str, type[NexusSearch]]
) -> None:
    url, handler = nexus
    code, doc, err = nexus_run(cli, url)
    assert code == 0, err
    assert versions(doc) == NEXUS_NEWEST_FIRST
    searches = [p for p in handler.seen if p.startswith("/service/rest/v1/search")]
    assert len(searches) == 3  # 9 components, 4 a page
    auth = {"Authorization": "Basic " + base64.b64encode(f"{USER}:{PASSWORD}".encode()).decode()}
    for artifact in doc["artifacts"]:
        version, meta = artifact["version"], artifact["metadata"]
        path = f"org/example/app/{version}/app-{version}.jar"  # not javadoc, sources, .asc, .md5, .pom
        assert meta["url"] == f"{url}/repository/maven-releases/{path}"
        status, body = download(meta["url"], auth)
        assert status == 200 and body == blob(path)
        assert meta["sha1"] == hashlib.sha1(body).hexdigest()
        assert meta["sha256"] == hashlib.sha256(body).hexdigest()
        assert meta["size"] == str(len(body))
    assert doc["artifacts"][1]["metadata"]["lastModified"] == "2026-09-15T00:15:00.000+09:00"


@pytest.mark.slow
def test_nexus_extension_and_classifier_choose_the_asset(cli: CLI, nexus: tuple[str, type[NexusSearch]]) -> None:
    url, _ = nexus
    code, doc, err = nexus_run(cli, url, input_extension="zip", input_classifier="linux-x86_64")
    assert code == 0, err
    assert versions(doc) == ["2.0.0", "1.10.0", "1.9.5", "1.10.0-RC1", "1.9.0"]
    assert doc["artifacts"][0]["metadata"]["url"] == (
        f"{url}/repository/maven-releases/org/example/app/2.0.0/app-2.0.0-linux-x86_64.zip"
    )
    assert "left out 4 components with no zip with classifier linux-x86_64 asset, e.g. 1.10.1" in err
    code, doc, err = nexus_run(cli, url, input_extension="pom")
    assert code == 0, err
    assert [a["metadata"]["url"].rsplit("/", 1)[1] for a in doc["artifacts"][:2]] == ["app-1.10.1.pom", "app-2.0.0.pom"]
    code, doc, err = nexus_run(cli, url, input_classifier="javadoc")
    assert code == 0, err
    assert versions(doc)[-1] == "1.0.0" and doc["artifacts"][-1]["metadata"]["url"].endswith("app-1.0.0-javadoc.jar")


def test_nexus_a_filter_that_leaves_nothing_says_why(cli: CLI, nexus: tuple[str, type[NexusSearch]]) -> None:
    url, _ = nexus
    code, doc, err = nexus_run(cli, url, input_extension="war")
    assert code == 0, err
    assert doc["artifacts"] == []
    assert (
        "9 components named app in repository maven-releases, but none have a war asset (EXTENSION, CLASSIFIER;" in err
    )
    assert "2.0.0 has: app-2.0.0-javadoc.jar, app-2.0.0-javadoc.jar.asc, " in err


def test_nexus_raw_components_take_their_version_from_the_path(cli: CLI, nexus: tuple[str, type[NexusSearch]]) -> None:
    url, _ = nexus
    regex = r"app-(\d[^/]*)\.tar\.gz$"
    code, doc, err = nexus_run(
        cli, url, input_repository="raw-hosted", input_component="app/*", input_version_regex=regex
    )
    assert code == 0, err
    # 1.10.0 was uploaded at 10:00+02:00 = 08:00Z, after 1.3.0; README.md and the .sha256 files are no versions.
    assert versions(doc) == ["2.0.0-rc.1", "1.10.0", "1.3.0", "1.2.0"]
    assert doc["artifacts"][1]["metadata"]["url"] == f"{url}/repository/raw-hosted/app/1.10.0/app-1.10.0.tar.gz"
    assert "left out 1 assets whose path VERSION_REGEX does not match, e.g. app/README.md" in err
    code, doc, err = nexus_run(cli, url, input_repository="raw-hosted", input_component="app/*")
    assert code == 3
    assert "component app/1.2.0/app-1.2.0.tar.gz in raw-hosted has no version (a raw file:" in err
    assert r"set VERSION_REGEX, its first group the version in the asset's path, e.g. app-(\d[^/]*)\.tar\.gz$" in err


@pytest.mark.slow
def test_nexus_missing_component_names_what_the_repository_has(cli: CLI, nexus: tuple[str, type[NexusSearch]]) -> None:
    url, _ = nexus
    code, doc, err = nexus_run(cli, url, input_component="ap")
    assert code == 3 and doc["error"]["kind"] == "script_failed"
    assert "no component ap in repository maven-releases; its first components: app" in err
    code, _, err = nexus_run(cli, url, input_repository="raw-hosted", input_component="app")
    assert code == 3
    assert "no component app in repository raw-hosted; its first components: app/1.2.0/app-1.2.0.tar.gz" in err
    assert "a raw component's name is its path: use a wildcard, e.g. COMPONENT=app/*" in err
    code, _, err = nexus_run(cli, url, input_repository="maven-snapshots")
    assert code == 3 and "no component app in repository maven-snapshots: the repository is empty" in err


@pytest.mark.parametrize("status", [200, 404])
def test_nexus_missing_repository_says_so(cli: CLI, nexus: tuple[str, type[NexusSearch]], status: int) -> None:
    url, handler = nexus
    handler.missing_status = status
    code, _, err = nexus_run(cli, url, input_repository="maven-release")
    assert code == 3
    if status == 404:
        assert f"HTTP 404 from {url}/service/rest/v1/search: no repository maven-release on this Nexus" in err
    else:
        assert "no repository maven-release on this Nexus; it has: maven-releases, maven-snapshots, raw-hosted" in err


def test_nexus_repo_url_of_a_repository_is_taken_to_the_base(cli: CLI, nexus: tuple[str, type[NexusSearch]]) -> None:
    url, _ = nexus
    code, doc, err = nexus_run(cli, f"{url}/repository/maven-releases/")
    assert code == 0, err
    assert versions(doc) == NEXUS_NEWEST_FIRST
    assert f"REPO_URL names a repository; the search API is at the Nexus base URL, so using {url}" in err
