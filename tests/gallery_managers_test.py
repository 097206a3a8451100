"""The gallery's artifact managers, end to end against servers built from each vendor's documented API:
artifactory-aql and artifactory-docker-tags (JFrog's REST API: AQL over POST with offset/limit
pages, the Docker tags API with Link pages, repository configuration, {"errors": [...]} bodies),
github-packages (GitHub's packages REST API) and azure-artifacts (Azure DevOps' feeds API)."""

from __future__ import annotations

import base64
import datetime
import fnmatch
import hashlib
import json
import re
import urllib.parse
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from typing import Any

import pytest

from . import servers
from .gallery_test import run_loud as run
from .helpers import CLI

Reply = tuple[int, dict[str, str], bytes]
JSON = {"Content-Type": "application/json"}


def when(text: str) -> datetime.datetime:
    return datetime.datetime.fromisoformat(text.replace("Z", "+00:00"))


@dataclass
class Seen:
    method: str
    path: str
    query: dict[str, str]
    headers: dict[str, str]
    body: str


class Vendor(servers.Quiet):
    """A handler answering through ``answer(request) -> reply``, recording every request."""

    answer: Callable[[Seen], Reply]
    seen: list[Seen]

    def _any(self, method: str) -> None:
        url = urllib.parse.urlsplit(self.path)
        size = int(self.headers.get("Content-Length") or 0)
        body = self.rfile.read(size).decode() if size else ""
        asked = Seen(method, url.path, dict(urllib.parse.parse_qsl(url.query)), dict(self.headers), body)
        self.seen.append(asked)
        status, headers, reply = type(self).answer(asked)
        self.reply(status, reply, headers)

    def do_GET(self) -> None:
        self._any("GET")

    def do_POST(self) -> None:
        self._any("POST")


@contextmanager
def vendor(answer: Callable[[Seen], Reply]) -> Iterator[tuple[str, list[Seen]]]:
    handler = type("Handler", (Vendor,), {"answer": staticmethod(answer), "seen": []})
    with servers.serving(handler) as url:
        yield url, handler.seen


def errors_body(status: int, message: str) -> bytes:
    """Artifactory's error body (JFrog REST APIs, "Error Responses")."""
    return servers.json_body({"errors": [{"status": status, "message": message}]})


# -- JFrog Artifactory -----------------------------------------------------------------------------


@dataclass
class Artifactory:
    """Artifactory as its REST API documents it: repositories, AQL items, Docker tags, auth."""

    repos: dict[str, str] = field(default_factory=dict)  # key: packageType
    files: list[dict[str, Any]] = field(default_factory=list)  # AQL item rows
    tags: dict[str, list[str]] = field(default_factory=dict)  # "repo/image": tags
    tokens: tuple[str, ...] = ("tok-123",)
    users: dict[str, str] = field(default_factory=lambda: {"deployer": "AKCp-api-key"})
    anonymous: bool = False
    hidden: set[str] = field(default_factory=set)  # paths the user may not read (filtered after .limit)
    fail: Callable[[Seen], int | None] = lambda _seen: None

    def authorized(self, asked: Seen) -> Reply | None:
        given = asked.headers.get("Authorization", "")
        if given.startswith("Bearer ") and given[7:] in self.tokens:
            return None
        if given.startswith("Basic "):
            user, _, password = base64.b64decode(given[6:]).decode().partition(":")
            if self.users.get(user) == password:
                return None
        if not given and self.anonymous:
            return None
        message = "Bad credentials" if given else "Authentication is required"
        return 401, {**JSON, "WWW-Authenticate": 'Basic realm="Artifactory Realm"'}, errors_body(401, message)

    def answer(self, asked: Seen) -> Reply:
        status = self.fail(asked)
        if status:
            headers = {**JSON, "Retry-After": "0"} if status == 429 else JSON
            return status, headers, errors_body(status, {429: "Too many requests"}.get(status, "Failure"))
        refused = self.authorized(asked)
        if refused:
            return refused
        path = asked.path
        if asked.method == "GET" and path.startswith("/artifactory/api/repositories/"):
            key = urllib.parse.unquote(path.rsplit("/", 1)[1])
            if key not in self.repos:
                return 400, JSON, errors_body(400, "Bad Request")
            return 200, JSON, servers.json_body({"key": key, "rclass": "local", "packageType": self.repos[key]})
        if asked.method == "POST" and path == "/artifactory/api/search/aql":
            return self.aql(asked)
        docker = re.fullmatch(r"/artifactory/api/docker/([^/]+)/v2/(.+)/tags/list", path)
        if asked.method == "GET" and docker:
            return self.tags_list(docker.group(1), urllib.parse.unquote(docker.group(2)), asked)
        return 404, JSON, errors_body(404, "File not found.")

    def aql(self, asked: Seen) -> Reply:
        if asked.headers.get("Content-Type") != "text/plain":
            return 415, JSON, errors_body(415, "Unsupported Media Type")
        query = re.fullmatch(
            r"items\.find\((.*)\)\.include\((.*)\)\.sort\((.*)\)\.offset\((\d+)\)\.limit\((\d+)\)", asked.body, re.S
        )
        if not query:
            return 400, {"Content-Type": "text/plain"}, b"Failed to parse query: " + asked.body.encode()[:80]
        criteria = json.loads(query.group(1))
        include = json.loads(f"[{query.group(2)}]")
        sort = json.loads(query.group(3))
        offset, limit = int(query.group(4)), int(query.group(5))
        rows = [f for f in self.files if all(matches(f.get(k), c) for k, c in criteria.items())]
        (field_name,) = sort["$desc"]
        rows.sort(key=lambda f: when(f[field_name]), reverse=True)
        page = rows[offset : offset + limit]
        visible = [{k: f[k] for k in include if k in f} for f in page if f"{f['path']}/{f['name']}" not in self.hidden]
        body = {
            "results": visible,
            "range": {"start_pos": offset, "end_pos": offset + len(visible), "total": len(visible), "limit": limit},
        }
        return 200, JSON, servers.json_body(body)

    def tags_list(self, repo: str, image: str, asked: Seen) -> Reply:
        tags = self.tags.get(f"{repo}/{image}")
        if tags is None:
            problem = {"code": "NAME_UNKNOWN", "message": "Repository name not known to registry.", "detail": image}
            return 404, JSON, servers.json_body({"errors": [problem]})
        ordered = sorted(tags)
        last = asked.query.get("last")
        start = ordered.index(last) + 1 if last in ordered else 0
        size = int(asked.query.get("n") or 100)
        page = ordered[start : start + size]
        headers = dict(JSON)
        if start + size < len(ordered):
            quoted = urllib.parse.quote(page[-1])
            headers["Link"] = (
                f'</artifactory/api/docker/{repo}/v2/{image}/tags/list?last={quoted}&n={size}>; rel="next"'
            )
        return 200, headers, servers.json_body({"name": image, "tags": page})


def matches(value: Any, condition: Any) -> bool:
    """One AQL criterion: a value ($eq), {"$eq"}, {"$match"} (* and ? wildcards) or {"$in"}."""
    if not isinstance(condition, dict):
        return bool(value == condition)
    ((op, operand),) = condition.items()
    if op == "$match":
        return fnmatch.fnmatchcase(str(value), operand)
    if op == "$in":
        return value in operand
    return bool(value == operand)


def item(repo: str, path: str, name: str, created: str, size: int = 1024) -> dict[str, Any]:
    digest = hashlib.sha256(f"{path}/{name}".encode()).hexdigest()
    return {
        "repo": repo,
        "path": path,
        "name": name,
        "type": "file",
        "created": created,
        "modified": created,
        "size": size,
        "sha256": digest,
        "actual_sha1": hashlib.sha1(f"{path}/{name}".encode()).hexdigest(),
    }


def release_history() -> list[dict[str, Any]]:
    """A generic repository's history: 1,100 builds of app (1.0.0 ... 1.10.99, an hour apart, the
    later in other time zones), pre-releases, checksums and names with no version beside them."""
    files = []
    start = datetime.datetime(2026, 1, 1, tzinfo=datetime.timezone.utc)
    zones = [
        datetime.timezone.utc,
        datetime.timezone(datetime.timedelta(hours=2)),
        datetime.timezone(-datetime.timedelta(hours=5)),
    ]
    for n in range(1100):
        minor, patch = divmod(n, 100)
        moment = (start + datetime.timedelta(hours=n)).astimezone(zones[n % 3])
        stamp = moment.isoformat(timespec="milliseconds")
        files.append(
            item("libs-release-local", f"com/example/app/1.{minor}.{patch}", f"app-1.{minor}.{patch}.tar.gz", stamp)
        )
        files.append(
            item(
                "libs-release-local",
                f"com/example/app/1.{minor}.{patch}",
                f"app-1.{minor}.{patch}.tar.gz.sha256",
                stamp,
            )
        )
    files += [
        # 2.0.0-rc.1, then 1.10.100 a hotfix an hour later written in -05:00 (its text sorts lower)
        item(
            "libs-release-local", "com/example/app/2.0.0-rc.1", "app-2.0.0-rc.1.tar.gz", "2026-03-01T12:00:00.000+02:00"
        ),
        item("libs-release-local", "com/example/app/1.10.100", "app-1.10.100.tar.gz", "2026-03-01T06:00:00.000-05:00"),
        item("libs-release-local", "com/example/app/latest", "app-latest.tar.gz", "2026-03-02T00:00:00.000Z"),
        item("libs-release-local", "com/example/other/9.9.9", "other-9.9.9.tar.gz", "2026-03-03T00:00:00.000Z"),
        item("libs-snapshot-local", "com/example/app/3.0.0", "app-3.0.0.tar.gz", "2026-03-03T00:00:00.000Z"),
    ]
    return files


def aql_server(**settings: Any) -> Artifactory:
    return Artifactory(
        repos={"libs-release-local": "generic", "libs-snapshot-local": "generic"}, files=release_history(), **settings
    )


AQL_INPUTS = {
    "input_repository": "libs-release-local",
    "input_path_pattern": "com/example/app/*",
    "input_name_pattern": "app-*.tar.gz",
}


@pytest.mark.slow
def test_artifactory_aql_lists_every_page_newest_first(cli: CLI) -> None:
    """1,103 files in pages of 500 (offset/limit), a first page cut short by read permissions (no
    sign of the end), newest first by created as an instant (the hotfix written in -05:00 before the
    rc in +02:00), pre-releases and names with no version left out, the token sent as Bearer."""
    fake = aql_server(hidden={"com/example/app/1.10.99/app-1.10.99.tar.gz", "com/example/app/1.3.7/app-1.3.7.tar.gz"})
    with vendor(fake.answer) as (url, seen):
        code, doc, err = run(
            cli, "artifactory-aql", url, "--version", "1.10.98", input_access_token="tok-123", **AQL_INPUTS
        )
        every = run(
            cli, "artifactory-aql", url, input_access_token="tok-123", input_include_prereleases="true", **AQL_INPUTS
        )
    assert code == 0, err
    versions = [a["version"] for a in doc["artifacts"]]
    # 1.10.99 and 1.3.7 hidden, 2.0.0-rc.1 a pre-release; the builds an hour apart in three zones, whose
    # text order is not their order in time (1.10.96 at 18:00+02:00 is before 1.10.97 at 12:00-05:00)
    builds = [f"1.{n // 100}.{n % 100}" for n in reversed(range(1100))]
    assert versions == ["1.10.100"] + [v for v in builds if v not in ("1.10.99", "1.3.7")]
    assert [a["version"] for a in every[1]["artifacts"]][:2] == ["1.10.100", "2.0.0-rc.1"]
    assert doc["selected"]["metadata"] == {
        "url": f"{url}/artifactory/libs-release-local/com/example/app/1.10.98/app-1.10.98.tar.gz",
        "path": "com/example/app/1.10.98/app-1.10.98.tar.gz",
        "repo": "libs-release-local",
        "created": "2026-02-15T18:00:00.000+00:00",
        "modified": "2026-02-15T18:00:00.000+00:00",
        "sha256": hashlib.sha256(b"com/example/app/1.10.98/app-1.10.98.tar.gz").hexdigest(),
        "sha1": hashlib.sha1(b"com/example/app/1.10.98/app-1.10.98.tar.gz").hexdigest(),
        "size": "1024",
    }
    assert "left out 1 files FILE_REGEX" in err and "app-latest.tar.gz" in err
    queries = [s.body for s in seen[:5] if s.method == "POST"]
    assert [re.search(r"\.offset\((\d+)\)\.limit\((\d+)\)$", q).groups() for q in queries] == [  # type: ignore[union-attr]
        ("0", "500"),
        ("500", "500"),
        ("1000", "500"),
        ("1500", "500"),
    ]
    assert queries[0].startswith(
        'items.find({"repo":"libs-release-local","type":"file","path":{"$match":"com/example/app/*"},'
        '"name":{"$match":"app-*.tar.gz"}}).include('
    )
    assert '.sort({"$desc":["created"]})' in queries[0]
    assert seen[0].path == "/artifactory/api/repositories/libs-release-local"
    assert all(s.headers["Authorization"] == "Bearer tok-123" for s in seen)
    assert "tok-123" not in err + json.dumps(doc)


@pytest.mark.slow
def test_artifactory_aql_basic_auth_and_refusals(cli: CLI) -> None:
    """A user with an API key (basic); a wrong key and no credentials refused with Artifactory's
    words; a pasted .../artifactory URL is taken back to the platform URL."""
    fake = aql_server()  # 1.10.100 copied to a mirror folder earlier: listed once, its newest file
    fake.files.append(
        item("libs-release-local", "com/example/app/mirror", "app-1.10.100.tar.gz", "2026-02-01T00:00:00Z")
    )
    with vendor(fake.answer) as (url, seen):
        basic = run(
            cli,
            "artifactory-aql",
            url + "/artifactory/",
            input_repo_user="deployer",
            input_repo_password="AKCp-api-key",
            **AQL_INPUTS,
        )
        wrong = run(cli, "artifactory-aql", url, input_repo_user="deployer", input_repo_password="nope", **AQL_INPUTS)
        anonymous = run(cli, "artifactory-aql", url, **AQL_INPUTS)
    assert basic[0] == 0, basic[2]
    assert [a["version"] for a in basic[1]["artifacts"]][:2] == ["1.10.100", "1.10.99"]
    assert basic[1]["artifacts"][0]["metadata"]["path"] == "com/example/app/1.10.100/app-1.10.100.tar.gz"
    assert "1 files repeat a version listed already (another path)" in basic[2]
    assert "REPO_URL ends in /artifactory, which this template adds itself" in basic[2]
    assert seen[0].headers["Authorization"] == "Basic " + base64.b64encode(b"deployer:AKCp-api-key").decode()
    assert wrong[0] == 3 and "HTTP 401" in wrong[2] and "(Bad credentials)" in wrong[2]
    assert "the credentials given were refused" in wrong[2]
    assert anonymous[0] == 3 and "(Authentication is required)" in anonymous[2] and "anonymous access" in anonymous[2]
    assert "AKCp-api-key" not in basic[2] + json.dumps(basic[1])


@pytest.mark.slow
def test_artifactory_aql_missing_names_and_empty_filters(cli: CLI) -> None:
    with vendor(aql_server(anonymous=True).answer) as (url, _seen):
        missing = run(cli, "artifactory-aql", url, **{**AQL_INPUTS, "input_repository": "libs-nope"})
        nothing = run(cli, "artifactory-aql", url, **{**AQL_INPUTS, "input_path_pattern": "org/none/*"})
        unmatched = run(cli, "artifactory-aql", url, **AQL_INPUTS, input_file_regex=r"^app-(\d+)\.zip$")
        only_rc = run(cli, "artifactory-aql", url, **{**AQL_INPUTS, "input_name_pattern": "app-2.0.0-rc*"})
    assert missing[0] == 3 and "no repository libs-nope on this Artifactory" in missing[2]
    assert nothing[0] == 3
    assert 'no files in repository libs-release-local match items.find({"repo":"libs-release-local"' in nothing[2]
    assert unmatched[0] == 0 and unmatched[1]["artifacts"] == []
    assert "1103 files in libs-release-local match" in unmatched[2]
    assert "but none matches FILE_REGEX '^app-(\\\\d+)\\\\.zip$'" in unmatched[2]
    assert only_rc[0] == 0 and only_rc[1]["artifacts"] == []
    assert "but none is a release (1 pre-releases left out: INCLUDE_PRERELEASES=true lists them)" in only_rc[2]


@pytest.mark.parametrize("status", [401, 403, 404, 429, 500])
def test_artifactory_aql_fails_on_each_error_of_the_query(cli: CLI, status: int) -> None:
    fake = aql_server(anonymous=True, fail=lambda s: status if s.method == "POST" else None)
    with vendor(fake.answer) as (url, seen):
        code, _doc, err = run(cli, "artifactory-aql", url, **AQL_INPUTS)
    assert code == 3
    line = f"HTTP {status} "
    assert line in err and f"from {url}/artifactory/api/search/aql" in err
    assert len([s for s in seen if s.method == "POST"]) == (4 if status == 429 else 1)  # 429 asked again, briefly
    assert len([line for line in err.splitlines() if line.startswith("artifactory-aql:")]) == 1


def test_artifactory_aql_fails_when_a_later_page_fails(cli: CLI) -> None:
    fake = aql_server(anonymous=True, fail=lambda s: 500 if ".offset(500)" in s.body else None)
    with vendor(fake.answer) as (url, _seen):
        code, doc, err = run(cli, "artifactory-aql", url, **AQL_INPUTS)
    assert code == 3 and doc["error"]["kind"] == "script_failed"
    assert f"HTTP 500 Internal Server Error (Failure) from {url}/artifactory/api/search/aql" in err


# -- Artifactory Docker tags -----------------------------------------------------------------------


def manifest(image: str, tag: str, created: str, name: str = "manifest.json") -> dict[str, Any]:
    return item("docker-local", f"{image}/{tag}", name, created, size=528)


def docker_server(**settings: Any) -> Artifactory:
    """team/app with 40 tags pushed over 40 days (times in three zones), rc tags, latest re-pushed
    last, a multi-arch tag (list.manifest.json), one tag whose manifest the user cannot read, and a
    nested image team/app/tools whose folders AQL's team/app/* also matches."""
    files, tags = [], []
    zones = ["+00:00", "+09:00", "-07:00"]
    for n in range(40):
        tag = f"1.{n // 10}.{n % 10}"
        moment = datetime.datetime(2026, 5, 1, tzinfo=datetime.timezone.utc) + datetime.timedelta(days=n)
        offset = datetime.timezone(datetime.timedelta(hours=int(zones[n % 3][:3])))
        files.append(manifest("team/app", tag, moment.astimezone(offset).isoformat(timespec="milliseconds")))
        tags.append(tag)
    files += [
        manifest("team/app", "2.0.0-rc.1", "2026-06-20T00:00:00.000Z"),
        manifest("team/app", "1.4.0", "2026-06-21T08:00:00.000+09:00", "list.manifest.json"),  # 2026-06-20T23:00Z
        manifest("team/app", "latest", "2026-06-22T00:00:00.000Z"),
        manifest("team/app", "sha-1f2e3d", "2026-06-01T00:00:00.000Z"),
        manifest("team/app/tools", "9.9.9", "2026-07-01T00:00:00.000Z"),
        manifest("team/other", "9.9.9", "2026-07-01T00:00:00.000Z"),
    ]
    tags += ["2.0.0-rc.1", "1.4.0", "latest", "sha-1f2e3d", "1.5.0"]  # 1.5.0: no manifest AQL can see
    return Artifactory(
        repos={"docker-local": "docker", "libs-release-local": "generic"},
        files=files,
        tags={"docker-local/team/app": tags, "docker-local/team/app/tools": ["9.9.9"]},
        **settings,
    )


def test_artifactory_docker_tags_newest_first_with_digests(cli: CLI) -> None:
    fake = docker_server()
    inputs = {"input_repository": "docker-local", "input_image": "team/app", "input_page_size": "7"}
    with vendor(fake.answer) as (url, seen):
        code, doc, err = run(
            cli, "artifactory-docker-tags", url, "--version", "1.4.0", input_access_token="tok-123", **inputs
        )
        numbered = run(
            cli,
            "artifactory-docker-tags",
            url,
            input_access_token="tok-123",
            input_tag_regex=r"^\d",
            input_include_prereleases="true",
            **inputs,
        )
    assert code == 0, err
    versions = [a["version"] for a in doc["artifacts"]]
    assert versions[:4] == ["latest", "1.4.0", "1.3.9", "1.3.8"]  # by push time, 1.4.0's +09:00 read as an instant
    assert versions.index("sha-1f2e3d") == versions.index("1.3.1") + 1  # pushed at the same instant: by version
    assert versions[-2:] == ["1.0.0", "1.5.0"]  # 1.5.0 has no manifest AQL shows: last
    assert "2.0.0-rc.1" not in versions and "9.9.9" not in versions and len(versions) == 44
    digest = "sha256:" + hashlib.sha256(b"team/app/1.4.0/list.manifest.json").hexdigest()
    host = url.removeprefix("http://")
    assert doc["selected"]["metadata"] == {
        "digest": digest,
        "SHA": digest,
        "SHAV2": digest,
        "created": "2026-06-21T08:00:00.000+09:00",
        "image": f"{host}/docker-local/team/app:1.4.0",
        "imageByDigest": f"{host}/docker-local/team/app@{digest}",
    }
    assert doc["artifacts"][-1]["metadata"]["digest"] == ""
    assert "1 of 44 tags have no manifest AQL can see (1.5.0)" in err
    assert [a["version"] for a in numbered[1]["artifacts"]][:3] == ["1.4.0", "2.0.0-rc.1", "1.3.9"]
    pages = [s for s in seen if s.path.endswith("/tags/list")][:7]
    assert [s.query.get("last") for s in pages] == [None, "1.0.6", "1.1.3", "1.2.0", "1.2.7", "1.3.4", "1.5.0"]
    aql_query = next(s.body for s in seen if s.method == "POST")
    assert '"path":{"$match":"team/app/*"},"name":{"$in":["manifest.json","list.manifest.json"]}' in aql_query


@pytest.mark.slow
def test_artifactory_docker_tags_missing_names_and_filters(cli: CLI) -> None:
    with vendor(docker_server(anonymous=True).answer) as (url, _seen):
        image = run(cli, "artifactory-docker-tags", url, input_repository="docker-local", input_image="team/nope")
        repo = run(cli, "artifactory-docker-tags", url, input_repository="docker-nope", input_image="team/app")
        generic = run(
            cli, "artifactory-docker-tags", url, input_repository="libs-release-local", input_image="team/app"
        )
        none = run(
            cli,
            "artifactory-docker-tags",
            url,
            input_repository="docker-local",
            input_image="team/app",
            input_tag_regex="^3\\.",
        )
    assert image[0] == 3 and "no image team/nope in repository docker-local (HTTP 404 from" in image[2]
    assert repo[0] == 3 and "no repository docker-nope on this Artifactory" in repo[2]
    assert generic[0] == 3 and "repository libs-release-local is a generic repository, not a Docker one" in generic[2]
    assert none[0] == 0 and none[1]["artifacts"] == []
    assert "45 tags of team/app in docker-local, but none matches TAG_REGEX '^3\\\\.'" in none[2]


@pytest.mark.parametrize(
    ("status", "where"),
    [(401, "tags"), (403, "aql"), (404, "aql"), (429, "tags"), (500, "aql"), (500, "tags page 2")],
)
def test_artifactory_docker_tags_fails_on_each_error(cli: CLI, status: int, where: str) -> None:
    def failing(s: Seen) -> int | None:
        if where == "aql" and s.method == "POST":
            return status
        if where == "tags" and s.path.endswith("/tags/list"):
            return status
        if where == "tags page 2" and s.query.get("last"):
            return status
        return None

    with vendor(docker_server(anonymous=True, fail=failing).answer) as (url, _seen):
        code, _doc, err = run(
            cli,
            "artifactory-docker-tags",
            url,
            input_repository="docker-local",
            input_image="team/app",
            input_page_size="10",
        )
    assert code == 3
    assert f"HTTP {status} " in err
    assert (
        f"from {url}/artifactory/api/"
        + ("search/aql" if where == "aql" else "docker/docker-local/v2/team/app/tags/list")
        in err
    )


# -- GitHub Packages -------------------------------------------------------------------------------


def container_version(number: int, digest_of: str, tags: list[str], updated: str) -> dict[str, Any]:
    digest = "sha256:" + hashlib.sha256(digest_of.encode()).hexdigest()
    return {
        "id": 1000 + number,
        "name": digest,
        "url": f"https://api.github.com/orgs/example/packages/container/app/versions/{1000 + number}",
        "package_html_url": "https://github.com/orgs/example/packages/container/package/app",
        "created_at": updated,
        "updated_at": updated,
        "html_url": f"https://github.com/orgs/example/packages/container/app/{1000 + number}",
        "metadata": {"package_type": "container", "container": {"tags": tags}},
    }


def container_history() -> list[dict[str, Any]]:
    """130 image digests, newest first as GitHub lists them: 1.0.0 ... 1.9.x tags, a digest tagged
    both 2.0.0 and latest, an rc, untagged digests (the layers of multi-arch builds)."""
    versions = []
    start = datetime.datetime(2026, 1, 1, tzinfo=datetime.timezone.utc)
    for n in range(120):
        moment = (start + datetime.timedelta(hours=n)).isoformat().replace("+00:00", "Z")
        tags = [] if n % 12 == 5 else [f"1.{n // 12}.{n % 12}"]
        versions.append(container_version(n, f"d{n}", tags, moment))
    versions += [
        container_version(200, "rc", ["2.0.0-rc.1"], "2026-02-01T00:00:00Z"),
        container_version(201, "two", ["2.0.0", "latest"], "2026-02-02T09:00:00+09:00"),  # 2026-02-02T00:00Z
        container_version(202, "hotfix", ["1.9.12"], "2026-02-01T20:00:00-05:00"),  # 2026-02-02T01:00Z: newest
    ]
    versions += [container_version(300 + n, f"u{n}", [], "2026-01-03T00:00:00Z") for n in range(7)]
    versions.sort(key=lambda v: when(v["updated_at"]), reverse=True)
    return versions


def github_answer(
    versions: list[dict[str, Any]],
    scope: str = "orgs",
    fail: Callable[[Seen], Reply | None] = lambda _s: None,
    kind: str = "container",
) -> Callable[[Seen], Reply]:
    """GitHub's REST API for /{orgs|users}/OWNER/packages/TYPE/NAME/versions: per_page pages with a
    Link header (next, last), 401 without a token, 404 with GitHub's message otherwise."""

    def answer(asked: Seen) -> Reply:
        failed = fail(asked)
        if failed:
            return failed
        if not asked.headers.get("Authorization", "").startswith("Bearer ghp_"):
            body = {"message": "Requires authentication", "documentation_url": "https://docs.github.com/rest"}
            return 401, JSON, servers.json_body(body)
        match = re.fullmatch(r"/(orgs|users)/([^/]+)/packages/([^/]+)/([^/]+)/versions", asked.path)
        if not match or match.groups()[0] != scope or match.groups()[1:] != ("example", kind, "app"):
            body = {"message": "Package not found.", "documentation_url": "https://docs.github.com/rest/packages"}
            return 404, JSON, servers.json_body(body)
        size, page = int(asked.query.get("per_page", 30)), int(asked.query.get("page", 1))
        last = (len(versions) + size - 1) // size
        headers = dict(JSON)
        if page < last:
            link = f"{{base}}{asked.path}?per_page={size}&state=active&page="
            headers["Link"] = f'<{link}{page + 1}>; rel="next", <{link}{last}>; rel="last"'
        return 200, headers, servers.json_body(versions[(page - 1) * size : page * size])

    def with_base(asked: Seen) -> Reply:
        status, headers, body = answer(asked)
        base = f"http://{asked.headers['Host']}"
        return status, {k: v.replace("{base}", base) for k, v in headers.items()}, body

    return with_base


GITHUB = {"input_owner": "example", "input_package_type": "container", "input_package": "app"}


def test_github_packages_lists_each_tag_newest_first(cli: CLI) -> None:
    with vendor(github_answer(container_history())) as (url, seen):
        code, doc, err = run(
            cli, "github-packages", url, "--version", "2.0.0", input_github_token="ghp_abc123", **GITHUB
        )
    assert code == 0, err
    versions = [a["version"] for a in doc["artifacts"]]
    assert versions[:4] == ["1.9.12", "2.0.0", "latest", "1.9.11"]  # the hotfix in -05:00 is the newest instant
    assert "2.0.0-rc.1" not in versions and len(versions) == 2 + 1 + 110
    digest = "sha256:" + hashlib.sha256(b"two").hexdigest()
    assert doc["selected"]["metadata"] == {
        "digest": digest,
        "image": "",  # ghcr.io only for api.github.com
        "imageByDigest": "",
        "created": "2026-02-02T09:00:00+09:00",
        "updated": "2026-02-02T09:00:00+09:00",
        "url": "https://github.com/orgs/example/packages/container/app/1201",
    }
    assert doc["artifacts"][2]["metadata"]["digest"] == digest  # latest: the same digest as 2.0.0
    assert "left out 17 untagged container versions" in err
    assert [(s.path, s.query.get("page")) for s in seen] == [
        ("/orgs/example/packages/container/app/versions", None),
        ("/orgs/example/packages/container/app/versions", "2"),
    ]
    assert seen[0].query == {"per_page": "100", "state": "active"}
    assert all(s.headers["Authorization"] == "Bearer ghp_abc123" for s in seen)
    assert "ghp_abc123" not in err + json.dumps(doc)


@pytest.mark.slow
def test_github_packages_of_a_user_prereleases_and_missing_packages(cli: CLI) -> None:
    with vendor(github_answer(container_history(), scope="users")) as (url, seen):
        user = run(
            cli, "github-packages", url, input_github_token="ghp_abc123", input_include_prereleases="true", **GITHUB
        )
        missing = run(
            cli, "github-packages", url, input_github_token="ghp_abc123", **{**GITHUB, "input_package": "nope"}
        )
        no_token = run(cli, "github-packages", url, **GITHUB)
    assert user[0] == 0, user[2]
    assert [a["version"] for a in user[1]["artifacts"]][:5] == ["1.9.12", "2.0.0", "latest", "2.0.0-rc.1", "1.9.11"]
    assert seen[0].path.startswith("/orgs/") and seen[1].path.startswith("/users/example/")
    assert missing[0] == 3
    assert "no container package nope owned by example at" in missing[2] and "read:packages" in missing[2]
    assert no_token[0] == 3
    assert "HTTP 401 Unauthorized from" in no_token[2] and "give GITHUB_TOKEN (read:packages)" in no_token[2]


def test_github_packages_leaves_out_what_the_filters_say(cli: CLI) -> None:
    only = [
        container_version(1, "rc", ["3.0.0-rc.1"], "2026-01-01T00:00:00Z"),
        container_version(2, "u", [], "2026-01-01T00:00:00Z"),
    ]
    with vendor(github_answer(only)) as (url, _seen):
        code, doc, err = run(cli, "github-packages", url, input_github_token="ghp_abc123", **GITHUB)
    assert code == 0 and doc["artifacts"] == []
    assert "2 versions of container package example/app, but none has a tag (1 untagged digests) or is a release" in err


def test_github_packages_of_another_type_lists_version_names(cli: CLI) -> None:
    """An npm package: each version's name is the version, with no digest or image."""

    def npm(number: int, name: str, created: str) -> dict[str, Any]:
        version = container_version(number, name, [], created)
        version["name"] = name
        version["metadata"] = {"package_type": "npm"}
        return version

    versions = [
        npm(4, "2.0.0-next.1", "2026-04-01T00:00:00Z"),
        npm(3, "1.10.0", "2026-03-01T10:00:00-01:00"),  # 11:00Z
        npm(2, "1.9.3", "2026-03-01T12:00:00+02:00"),  # 10:00Z: older, though its text sorts higher
        npm(1, "1.9.2", "2026-02-01T00:00:00Z"),
    ]
    with vendor(github_answer(versions, kind="npm")) as (url, seen):
        code, doc, err = run(
            cli, "github-packages", url, input_github_token="ghp_abc123", **{**GITHUB, "input_package_type": "npm"}
        )
    assert code == 0, err
    assert [a["version"] for a in doc["artifacts"]] == ["1.10.0", "1.9.3", "1.9.2"]
    assert doc["artifacts"][0]["metadata"]["digest"] == "" and doc["artifacts"][0]["metadata"]["image"] == ""
    assert seen[0].path == "/orgs/example/packages/npm/app/versions"


@pytest.mark.parametrize("status", [401, 403, 404, 429, 500, "page 2"])
def test_github_packages_fails_on_each_error(cli: CLI, status: int | str) -> None:
    def fail(asked: Seen) -> Reply | None:
        if status == "page 2":
            return (500, JSON, b'{"message": "Server Error"}') if asked.query.get("page") == "2" else None
        if status == 403:
            limited = {**JSON, "X-RateLimit-Remaining": "0", "X-RateLimit-Reset": "4102444800"}
            return 403, limited, b'{"message": "API rate limit exceeded"}'
        if status == 404:  # GitHub's answer for a package that is neither an organisation's nor a user's
            return 404, JSON, b'{"message": "Package not found."}'
        return int(status), {**JSON, "Retry-After": "0"}, b'{"message": "Bad credentials"}'

    with vendor(github_answer(container_history(), fail=fail)) as (url, _seen):
        code, _doc, err = run(cli, "github-packages", url, input_github_token="ghp_abc123", **GITHUB)
    assert code == 3
    if status == 404:
        assert "no container package app owned by example" in err
        return
    expected = {"page 2": "HTTP 500", 403: "HTTP 403 Forbidden (API rate limit exceeded) (rate limit reached"}
    assert expected.get(status, f"HTTP {status}") in err
    assert f"from {url}/" in err


# -- Azure Artifacts -------------------------------------------------------------------------------


def azure_version(version: str, published: str, views: tuple[str, ...] = (), **extra: Any) -> dict[str, Any]:
    return {
        "id": hashlib.md5(version.encode()).hexdigest(),
        "normalizedVersion": version.lower(),
        "version": version,
        "isLatest": False,
        "isListed": True,
        "storageId": hashlib.sha1(version.encode()).hexdigest().upper(),
        "views": [{"id": f"view-{v}", "name": v, "url": None, "type": "release"} for v in views],
        "publishDate": published,
        **extra,
    }


def azure_package(name: str, protocol: str, versions: list[dict[str, Any]]) -> dict[str, Any]:
    return {
        "id": hashlib.md5(f"{protocol}/{name}".encode()).hexdigest(),
        "normalizedName": name.lower(),
        "name": name,
        "protocolType": protocol,
        "url": f"https://feeds.dev.azure.com/contoso/_apis/Packaging/Feeds/releases/Packages/{name}",
        "versions": versions,
        "_links": {},
    }


def azure_feed() -> list[dict[str, Any]]:
    """A feed with 130 packages whose names contain "app" (the one asked for on the second page of
    100), npm and NuGet packages of one name, and app's versions: views, an unlisted one, a deleted
    one, pre-releases, publishDates in 7-digit fractions and offsets."""
    app = [
        azure_version("1.0.0", "2026-01-05T10:00:00.1234567Z", ("Release",)),
        azure_version("1.1.0", "2026-02-05T10:00:00Z", ("Release",)),
        azure_version("1.2.0", "2026-03-01T10:00:00+05:00", ("Prerelease",)),  # 05:00Z
        azure_version("1.1.1", "2026-03-01T06:00:00-01:00", ("Release",)),  # 07:00Z: newer than 1.2.0
        azure_version("2.0.0-beta.1", "2026-03-02T00:00:00Z", ("Prerelease",)),
        azure_version("1.1.2", "2026-03-03T00:00:00Z", ("Release",), isListed=False),
        azure_version("1.3.0", "2026-03-04T00:00:00Z", (), isLatest=True),
        azure_version("1.0.1", "2026-03-05T00:00:00Z", (), isDeleted=True, deletedDate="2026-03-06T00:00:00Z"),
    ]
    packages = [
        azure_package(f"app-plugin-{n:03}", "npm", [azure_version("1.0.0", "2026-01-01T00:00:00Z")]) for n in range(110)
    ]
    packages.append(azure_package("app", "npm", app))
    packages += [azure_package(f"my-app-{n}", "npm", []) for n in range(19)]
    packages += [azure_package("Shared", "npm", []), azure_package("shared", "NuGet", [])]
    return packages


def azure_answer(
    packages: list[dict[str, Any]], fail: Callable[[Seen], Reply | None] = lambda _s: None
) -> Callable[[Seen], Reply]:
    """Azure DevOps' Get Packages: a PAT as basic auth with any user, else the sign-in page with 203."""

    def answer(asked: Seen) -> Reply:
        failed = fail(asked)
        if failed:
            return failed
        given = asked.headers.get("Authorization", "")
        if not given.startswith("Basic ") or base64.b64decode(given[6:]).decode().partition(":")[2] != "pat-xyz":
            return (
                203,
                {"Content-Type": "text/html; charset=utf-8"},
                b"<!DOCTYPE html><html><head><title>Azure DevOps Services | Sign In</title>",
            )
        if asked.path != "/contoso/web/_apis/packaging/feeds/releases/packages":
            body = {
                "$id": "1",
                "innerException": None,
                "message": "VS800055: Feed does not exist.",
                "typeName": "Microsoft.VisualStudio.Services.Feed.WebApi.FeedIdNotFoundException, Microsoft.VisualStudio.Services.Feed.WebApi",
                "typeKey": "FeedIdNotFoundException",
                "errorCode": 0,
                "eventId": 3000,
            }
            return 404, JSON, servers.json_body(body)
        if asked.query.get("api-version") != "7.1" or asked.query.get("includeAllVersions") != "true":
            return 400, JSON, servers.json_body({"message": "bad query"})
        name, protocol = asked.query.get("packageNameQuery", "").lower(), asked.query.get("protocolType")
        found = [p for p in packages if name in p["name"].lower() and (not protocol or p["protocolType"] == protocol)]
        skip, top = int(asked.query.get("$skip", 0)), int(asked.query.get("$top", 1000))
        page = found[skip : skip + top]
        return 200, JSON, servers.json_body({"count": len(page), "value": page})

    return answer


AZURE = {"input_organization": "contoso", "input_project": "web", "input_feed": "releases", "input_package": "app"}


@pytest.mark.slow
def test_azure_artifacts_lists_versions_newest_first(cli: CLI) -> None:
    with vendor(azure_answer(azure_feed())) as (url, seen):
        code, doc, err = run(
            cli,
            "azure-artifacts",
            url,
            "--version",
            "1.1.1",
            input_azure_devops_pat="pat-xyz",
            input_protocol="npm",
            **AZURE,
        )
        released = run(cli, "azure-artifacts", url, input_azure_devops_pat="pat-xyz", input_view="@Release", **AZURE)
        every = run(
            cli,
            "azure-artifacts",
            url,
            input_azure_devops_pat="pat-xyz",
            input_include_unlisted="true",
            input_include_prereleases="true",
            **AZURE,
        )
    assert code == 0, err
    assert [a["version"] for a in doc["artifacts"]] == ["1.3.0", "1.1.1", "1.2.0", "1.1.0", "1.0.0"]
    assert doc["selected"]["metadata"] == {
        "published": "2026-03-01T06:00:00-01:00",
        "isLatest": "false",
        "views": "@Release",
        "normalizedVersion": "1.1.1",
        "protocol": "npm",
        "packageId": hashlib.md5(b"npm/app").hexdigest(),
        "versionId": hashlib.md5(b"1.1.1").hexdigest(),
    }
    assert doc["artifacts"][0]["metadata"]["isLatest"] == "true"
    assert [a["version"] for a in released[1]["artifacts"]] == ["1.1.1", "1.1.0", "1.0.0"]
    assert [a["version"] for a in every[1]["artifacts"]] == [
        "1.3.0",
        "1.1.2",
        "2.0.0-beta.1",
        "1.1.1",
        "1.2.0",
        "1.1.0",
        "1.0.0",
    ]
    assert [(s.query["$skip"], s.query["$top"], s.query.get("protocolType")) for s in seen[:2]] == [
        ("0", "100", "npm"),
        ("100", "100", "npm"),
    ]
    assert seen[0].query["packageNameQuery"] == "app" and seen[0].query["api-version"] == "7.1"
    assert seen[0].headers["Authorization"] == "Basic " + base64.b64encode(b":pat-xyz").decode()
    assert "pat-xyz" not in err + json.dumps(doc)


@pytest.mark.slow
def test_azure_artifacts_missing_ambiguous_and_filtered(cli: CLI) -> None:
    pat = {"input_azure_devops_pat": "pat-xyz"}
    with vendor(azure_answer(azure_feed())) as (url, _seen):
        missing = run(cli, "azure-artifacts", url, **pat, **{**AZURE, "input_package": "my-ap"})
        feed = run(cli, "azure-artifacts", url, **pat, **{**AZURE, "input_feed": "nope"})
        both = run(cli, "azure-artifacts", url, **pat, **{**AZURE, "input_package": "shared"})
        nuget = run(cli, "azure-artifacts", url, **pat, input_protocol="NuGet", **{**AZURE, "input_package": "shared"})
        view = run(cli, "azure-artifacts", url, **pat, input_view="Local", **AZURE)
        signed_out = run(cli, "azure-artifacts", url, **AZURE)
    assert (
        missing[0] == 3
        and "no package my-ap in feed releases of contoso/web; names containing it: my-app-0, my-app-1" in missing[2]
    )
    assert feed[0] == 3 and "HTTP 404 Not Found (VS800055: Feed does not exist.) from" in feed[2]
    assert both[0] == 3 and "feed releases has a package shared for each of NuGet, npm: set PROTOCOL" in both[2]
    assert nuget[0] == 0 and nuget[1]["artifacts"] == [] and "0 versions of NuGet package shared" in nuget[2]
    assert view[0] == 0 and view[1]["artifacts"] == []
    assert "8 versions of npm package app in feed releases, but none is in view @Local (6 versions are not)" in view[2]
    assert signed_out[0] == 3
    assert (
        "did not answer JSON (a sign-in page: AZURE_DEVOPS_PAT is missing, expired or lacks Packaging (Read))"
        in signed_out[2]
    )


@pytest.mark.parametrize("status", [401, 403, 429, 500, "page 2"])
def test_azure_artifacts_fails_on_each_error(cli: CLI, status: int | str) -> None:
    def fail(asked: Seen) -> Reply | None:
        if status == "page 2":
            return (
                (500, JSON, b'{"message": "VS800010: internal error"}') if asked.query.get("$skip") == "100" else None
            )
        return int(status), {**JSON, "Retry-After": "0"}, servers.json_body({"message": f"TF400813: status {status}"})

    with vendor(azure_answer(azure_feed(), fail=fail)) as (url, _seen):
        code, _doc, err = run(cli, "azure-artifacts", url, input_azure_devops_pat="pat-xyz", **AZURE)
    assert code == 3
    expected = "HTTP 500 Internal Server Error (VS800010: internal error)" if status == "page 2" else f"HTTP {status} "
    assert expected in err and f"from {url}/contoso/web/_apis/packaging/feeds/releases/packages" in err
