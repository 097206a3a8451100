"""Container registries with their own APIs, each against a server built from the vendor's documented
API reference: docker-hub-tags (Docker Hub API v2: tag pages with next links, POST /v2/auth/token,
429 with X-RateLimit-*), quay-tags (Quay's tag API: page/limit/has_additional, RFC 1123 times, bearer
tokens), harbor-artifacts (Harbor v2.0: artifacts with tags, X-Total-Count and Link pages, a robot
account), google-artifact-registry (Artifact Registry REST v1: versions and tags, nextPageToken,
Google's error body) and oci-registry-tags with Azure Container Registry's token exchange
(POST /oauth2/exchange, POST /oauth2/token) and its admin user (GET /oauth2/token with basic auth)."""

from __future__ import annotations

import base64
import datetime
import hashlib
import json
import time
import urllib.parse
from typing import Any, ClassVar

import pytest

from . import servers
from .gallery_test import run_loud as run
from .helpers import CLI

Seen = list[tuple[str, str, dict[str, str], bytes]]


class Vendor(servers.Quiet):
    """A vendor API: ``answer`` gives (status, headers, JSON body) for each request; every request is
    recorded (method, path with query, headers, body); ``faults`` maps a path prefix and query
    fragment to a status answered instead (a page 2 failing)."""

    seen: ClassVar[Seen] = []
    faults: ClassVar[dict[tuple[str, str], int]] = {}

    def answer(self, method: str, path: str, query: dict[str, str], body: bytes) -> tuple[int, dict[str, str], Any]:
        raise NotImplementedError

    def respond(self, method: str) -> None:
        length = int(self.headers.get("Content-Length") or 0)
        body = self.rfile.read(length) if length else b""
        self.seen.append((method, self.path, dict(self.headers), body))
        url = urllib.parse.urlsplit(self.path)
        query = dict(urllib.parse.parse_qsl(url.query))
        for (prefix, fragment), status in self.faults.items():
            if url.path.startswith(prefix) and fragment in url.query:
                error = {"errors": [{"code": "UNKNOWN", "message": "internal server error"}]}
                self.reply(status, json.dumps(error).encode(), {"Content-Type": "application/json"})
                return
        status, headers, document = self.answer(method, url.path, query, body)
        data = b"" if document is None else json.dumps(document).encode()
        self.reply(status, b"" if method == "HEAD" else data, {"Content-Type": "application/json", **headers})

    def do_GET(self) -> None:
        self.respond("GET")

    def do_POST(self) -> None:
        self.respond("POST")

    def do_HEAD(self) -> None:
        self.respond("HEAD")

    def base(self) -> str:
        return f"http://{self.headers.get('Host')}"


def vendor(cls: type[Vendor], **attributes: Any) -> type[Vendor]:
    """A fresh subclass with its own record of requests and its own faults."""
    return type(cls.__name__, (cls,), {"seen": [], "faults": {}, **attributes})


def digest(text: str) -> str:
    return "sha256:" + hashlib.sha256(text.encode()).hexdigest()


def versions(doc: dict[str, Any]) -> list[str]:
    return [a["version"] for a in doc["artifacts"]]


# -- docker-hub-tags: Docker Hub API v2 -------------------------------------------------------------

HUB_USERS = {"deployer": "dckr_pat_s3cr3t"}
HUB_JWT = "eyJhbGciOiJSUzI1NiJ9.hub-access-token.signature"


def hub_tag(name: str, updated: str, platforms: tuple[str, ...] = ("linux/amd64", "linux/arm64/v8")) -> dict[str, Any]:
    """One result of GET /v2/namespaces/{namespace}/repositories/{repository}/tags."""
    images = []
    for platform in platforms:
        os_name, architecture, *variant = platform.split("/")
        images.append(
            {
                "architecture": architecture,
                "os": os_name,
                "variant": variant[0] if variant else None,
                "digest": digest(f"{name} {platform}"),
                "size": 4_000_000,
                "status": "active",
                "last_pushed": updated,
            }
        )
    return {
        "id": abs(hash(name)) % 10**8,
        "images": images,
        "creator": 7,
        "last_updated": updated,
        "last_updater": 7,
        "last_updater_username": "deployer",
        "name": name,
        "repository": 42,
        "full_size": 4_000_000,
        "v2": True,
        "tag_status": "active",
        "tag_last_pulled": "2026-05-01T00:00:00.000000Z",
        "tag_last_pushed": updated,
        "media_type": "application/vnd.oci.image.index.v1+json",
        "content_type": "image",
        "digest": digest(name),
    }


HUB_HISTORY = [  # as Docker Hub answers: its own order (here by name), last_updated in UTC with microseconds
    hub_tag("1.27.3", "2026-04-10T09:00:00.000001Z"),
    hub_tag("1.27.3-alpine", "2026-04-10T09:05:00.5Z"),
    hub_tag("1.28.0", "2026-04-02T12:00:00.000000Z"),
    hub_tag("1.28.0-alpine", "2026-04-02T12:00:00.000000Z"),  # the same instant as 1.28.0: by version
    hub_tag("1.29.0-rc.1", "2026-04-20T00:00:00.000000Z"),
    hub_tag("1.9.15", "2026-01-15T00:00:00.000000Z", platforms=("linux/amd64",)),
    hub_tag("latest", "2026-04-02T12:00:01.000000Z"),
    hub_tag("mainline", "2026-03-01T00:00:00.000000Z", platforms=("linux/amd64",)),
    *(  # 120 older patch releases, a day apart: a second page of tags
        hub_tag(f"1.0.{n}", (datetime.datetime(2025, 1, 1) + datetime.timedelta(days=n)).strftime("%Y-%m-%dT%H:%M:%SZ"))
        for n in range(120)
    ),
]


class DockerHub(Vendor):
    """Docker Hub's API as its reference documents it: tags in pages of at most 100 with absolute
    next/previous links and a count; POST /v2/auth/token ({identifier, secret} -> {access_token});
    an unknown (or private, unauthenticated) repository answers 404 {"message": ...}."""

    repositories: ClassVar[dict[str, list[dict[str, Any]]]] = {}
    private: ClassVar[set[str]] = set()
    next_host: ClassVar[str] = ""  # another origin for the next links (the credentials must not follow)
    rate_limited: ClassVar[bool] = False

    def answer(self, method: str, path: str, query: dict[str, str], body: bytes) -> tuple[int, dict[str, str], Any]:
        if self.rate_limited:
            reset = str(int(time.time()) + 45)
            limit = {"X-RateLimit-Limit": "180", "X-RateLimit-Remaining": "0", "X-RateLimit-Reset": reset}
            return 429, {**limit, "Retry-After": "45"}, {"message": "Too Many Requests"}
        if method == "POST" and path == "/v2/auth/token":
            login = json.loads(body or b"{}")
            if HUB_USERS.get(login.get("identifier")) != login.get("secret"):
                return 401, {}, {"detail": "Incorrect authentication credentials", "message": "invalid credentials"}
            return 200, {}, {"access_token": HUB_JWT}
        parts = path.strip("/").split("/")  # v2 namespaces NS repositories REPO tags
        if len(parts) != 6 or parts[:2] != ["v2", "namespaces"] or parts[3] != "repositories" or parts[5] != "tags":
            return 404, {}, {"message": "page not found"}
        name = f"{parts[2]}/{parts[4]}"
        signed_in = self.headers.get("Authorization") == f"Bearer {HUB_JWT}"
        if name not in self.repositories or (name in self.private and not signed_in):
            return 404, {}, {"message": "object not found", "errinfo": {"namespace": parts[2], "repository": parts[4]}}
        tags = self.repositories[name]
        size, page = min(int(query.get("page_size", 10)), 100), int(query.get("page", 1))
        chunk = tags[(page - 1) * size : page * size]
        origin = self.next_host or self.base()
        link = f"{origin}{path}?page_size={size}&page={{}}"
        more = page * size < len(tags)
        return (
            200,
            {},
            {
                "count": len(tags),
                "next": link.format(page + 1) if more else None,
                "previous": link.format(page - 1) if page > 1 else None,
                "results": chunk,
            },
        )


def hub(**attributes: Any) -> type[Vendor]:
    repositories = {
        "library/nginx": sorted(HUB_HISTORY, key=lambda t: t["name"]),
        "myorg/app": [hub_tag("2.0.0", "2026-02-01T00:00:00Z"), hub_tag("2.1.0", "2026-03-01T00:00:00Z")],
    }
    return vendor(DockerHub, repositories=repositories, private={"myorg/app"}, **attributes)


@pytest.mark.slow
def test_docker_hub_tags_pages_order_platforms_and_prereleases(cli: CLI) -> None:
    """128 tags over two pages (next links followed), newest first by last_updated as an instant,
    ties by version (1.28.0 above 1.28.0-alpine); pre-releases only when asked for; PLATFORM keeps the
    tags built for it and gives that image's digest; a regex matching nothing says why."""
    handler = hub()
    with servers.serving(handler) as url:
        code, doc, err = run(cli, "docker-hub-tags", url, input_image="nginx")
        every = run(cli, "docker-hub-tags", url, input_image="nginx", input_include_prereleases="true")
        arm = run(cli, "docker-hub-tags", url, input_image="library/nginx", input_platform="linux/arm64")
        none = run(cli, "docker-hub-tags", url, input_image="nginx", input_tag_regex="^3\\.")
    assert code == 0, err
    assert versions(doc)[:8] == [
        "1.27.3-alpine",
        "1.27.3",
        "latest",
        "1.28.0-alpine",  # the same instant as 1.28.0: a suffix that is no pre-release ranks above
        "1.28.0",
        "mainline",
        "1.9.15",
        "1.0.119",
    ]
    assert len(doc["artifacts"]) == 127  # the rc is left out
    pages = [path for method, path, _h, _b in handler.seen if method == "GET"]
    assert (
        pages
        == [
            "/v2/namespaces/library/repositories/nginx/tags?page_size=100",
            "/v2/namespaces/library/repositories/nginx/tags?page_size=100&page=2",
        ]
        * 4
    )
    first = doc["artifacts"][0]["metadata"]
    assert first["digest"] == digest("1.27.3-alpine")
    assert first["platforms"] == "linux/amd64,linux/arm64/v8"
    assert first["lastUpdated"] == "2026-04-10T09:05:00.5Z"
    assert first["image"] == "docker.io/library/nginx:1.27.3-alpine"
    assert first["imageByDigest"] == f"docker.io/library/nginx@{digest('1.27.3-alpine')}"
    assert first["platformDigest"] == ""
    assert every[0] == 0, every[2]
    assert versions(every[1])[0] == "1.29.0-rc.1" and len(every[1]["artifacts"]) == 128
    assert arm[0] == 0, arm[2]
    assert "mainline" not in versions(arm[1]) and "1.9.15" not in versions(arm[1])
    assert arm[1]["artifacts"][0]["metadata"]["platformDigest"] == digest("1.27.3-alpine linux/arm64/v8")
    assert none[0] == 0 and none[1]["artifacts"] == []
    assert "128 tags of library/nginx, but none match TAG_REGEX '^3\\\\.'" in none[2]


@pytest.mark.slow
def test_docker_hub_tags_access_token_for_a_private_repository(cli: CLI) -> None:
    """A private repository is not found anonymously (Docker Hub says 404), is listed with the access
    token exchanged for a JWT at POST /v2/auth/token (the JWT, never the token, on the tag pages), and a
    refused token is said with the status and where."""
    handler = hub()
    with servers.serving(handler) as url:
        anonymous = run(cli, "docker-hub-tags", url, input_image="myorg/app")
        del handler.seen[:]
        code, doc, err = run(
            cli,
            "docker-hub-tags",
            url,
            input_image="myorg/app",
            input_hub_user="deployer",
            input_hub_token="dckr_pat_s3cr3t",
        )
        signed_in = list(handler.seen)
        wrong = run(
            cli, "docker-hub-tags", url, input_image="myorg/app", input_hub_user="deployer", input_hub_token="no"
        )
        missing = run(cli, "docker-hub-tags", url, input_image="myorg/nope")
    assert anonymous[0] == 3
    assert (
        f"no repository myorg/app on Docker Hub at {url} (or it is private: give HUB_USER and HUB_TOKEN)"
        in anonymous[2]
    )
    assert code == 0, err
    assert versions(doc) == ["2.1.0", "2.0.0"]
    login, listing = signed_in
    assert login[0] == "POST" and login[1] == "/v2/auth/token"
    assert json.loads(login[3]) == {"identifier": "deployer", "secret": "dckr_pat_s3cr3t"}
    assert listing[2]["Authorization"] == f"Bearer {HUB_JWT}"
    assert "dckr_pat_s3cr3t" not in err + json.dumps(doc)
    assert wrong[0] == 3 and "HTTP 401" in wrong[2] and f"{url}/v2/auth/token" in wrong[2]
    assert "(invalid credentials)" in wrong[2]
    assert (
        missing[0] == 3 and "no repository myorg/nope on Docker Hub" in missing[2] and "object not found" in missing[2]
    )


def test_docker_hub_tags_credentials_stay_on_their_origin(cli: CLI) -> None:
    """A next link on another origin (here localhost for 127.0.0.1) is fetched without the JWT."""
    handler = hub()
    with servers.serving(handler) as url:
        handler.next_host = url.replace("127.0.0.1", "localhost")
        handler.repositories["myorg/app"] = HUB_HISTORY
        code, _doc, err = run(
            cli,
            "docker-hub-tags",
            url,
            input_image="myorg/app",
            input_hub_user="deployer",
            input_hub_token="dckr_pat_s3cr3t",
        )
    pages = [(h.get("Host", ""), h.get("Authorization")) for method, _p, h, _b in handler.seen if method == "GET"]
    assert pages[0][1] == f"Bearer {HUB_JWT}"
    assert pages[1][0].startswith("localhost:") and pages[1][1] is None
    assert code == 3 and "HTTP 404" in err  # the private repository, asked for without credentials


@pytest.mark.slow
def test_docker_hub_tags_rate_limit_and_a_failing_second_page(cli: CLI) -> None:
    """Docker Hub's 429 (X-RateLimit-Remaining 0, X-RateLimit-Reset, Retry-After beyond the wait the
    script allows) fails at once, naming the limit and when it resets; page 2 answering 500 fails."""
    limited = hub(rate_limited=True)
    with servers.serving(limited) as url:
        code, _doc, err = run(cli, "docker-hub-tags", url, input_image="nginx")
    assert code == 3 and "HTTP 429" in err and "rate limit reached: it resets at" in err
    assert f"{url}/v2/namespaces/library/repositories/nginx/tags" in err
    assert len(limited.seen) == 1  # not asked again: the wait is longer than a run may take
    broken = hub()
    broken.faults[("/v2/namespaces/library/repositories/nginx/tags", "page=2")] = 500
    with servers.serving(broken) as url:
        code, doc, err = run(cli, "docker-hub-tags", url, input_image="nginx")
    assert code == 3 and doc["error"]["kind"] == "script_failed"
    assert f"HTTP 500 Internal Server Error (UNKNOWN: internal server error) from {url}/v2/namespaces/" in err


# -- quay-tags: Quay's API -----------------------------------------------------------------------------

QUAY_TOKEN = "quay-oauth-token-abc123"


def quay_tag(name: str, modified: str, *, manifest_list: bool = False, size: int | None = 1234) -> dict[str, Any]:
    """One tag of GET /api/v1/repository/{repository}/tag/ (last_modified in RFC 1123, as Quay writes it)."""
    moment = datetime.datetime.strptime(modified, "%a, %d %b %Y %H:%M:%S %z")
    return {
        "name": name,
        "reversion": False,
        "start_ts": int(moment.timestamp()),
        "manifest_digest": digest(name),
        "is_manifest_list": manifest_list,
        "size": size,
        "last_modified": modified,
    }


QUAY_HISTORY = [  # Quay lists the newest first itself, but by start_ts: the order is re-checked
    quay_tag("v2.1.0-beta.1", "Fri, 01 May 2026 10:00:00 -0000"),
    quay_tag("v2.0.1", "Tue, 21 Apr 2026 08:00:00 -0000", manifest_list=True, size=None),
    quay_tag("v2.0.0", "Mon, 20 Apr 2026 10:00:00 +0200"),  # 08:00 UTC
    quay_tag("v1.10.0", "Mon, 20 Apr 2026 09:00:00 -0000"),  # 09:00 UTC: newer than v2.0.0
    quay_tag("latest", "Tue, 21 Apr 2026 08:00:00 -0000", manifest_list=True, size=None),
    quay_tag("v1.9.0", "Sun, 01 Mar 2026 00:00:00 -0000"),
    quay_tag("sha-1f2e3d4", "Sat, 28 Feb 2026 23:59:59 -0000"),
]


class Quay(Vendor):
    """Quay's tag API: onlyActiveTags, page (from 1) and limit (at most 100), has_additional; a bearer
    token for private repositories (401 with Quay's error body without); 404 for an unknown one."""

    repositories: ClassVar[dict[str, list[dict[str, Any]]]] = {}
    private: ClassVar[set[str]] = set()

    def answer(self, method: str, path: str, query: dict[str, str], body: bytes) -> tuple[int, dict[str, str], Any]:
        name = urllib.parse.unquote(path.removeprefix("/api/v1/repository/").removesuffix("/tag/"))
        if not path.startswith("/api/v1/repository/") or not path.endswith("/tag/") or name not in self.repositories:
            error = {"detail": "Not Found", "error_message": "Not Found", "error_type": "not_found", "status": 404}
            return 404, {}, {**error, "title": "not_found", "type": f"{self.base()}/api/v1/error/not_found"}
        if name in self.private and self.headers.get("Authorization") != f"Bearer {QUAY_TOKEN}":
            error = {"detail": "Unauthorized", "error_message": "Unauthorized", "error_type": "invalid_token"}
            return 401, {"WWW-Authenticate": 'Bearer realm="quay"'}, {**error, "status": 401, "title": "invalid_token"}
        assert query.get("onlyActiveTags") == "true"
        limit, page = min(int(query.get("limit", 50)), 100), int(query.get("page", 1))
        tags = self.repositories[name]
        chunk = tags[(page - 1) * limit : page * limit]
        return 200, {}, {"tags": chunk, "page": page, "has_additional": page * limit < len(tags)}


def quay(**attributes: Any) -> type[Vendor]:
    repositories = {"myorg/app": QUAY_HISTORY, "myorg/private": QUAY_HISTORY[:3]}
    return vendor(Quay, repositories=repositories, private={"myorg/private"}, **attributes)


@pytest.mark.slow
def test_quay_tags_pages_order_and_prereleases(cli: CLI) -> None:
    """Pages of 3 while has_additional; newest first by last_modified as an instant (+0200 and -0000
    compared as UTC), ties by version (v2.0.1 above latest); the beta only when asked for."""
    handler = quay()
    with servers.serving(handler) as url:
        code, doc, err = run(cli, "quay-tags", url, input_page_size="3")
        every = run(cli, "quay-tags", url, input_include_prereleases="true")
        none = run(cli, "quay-tags", url, input_tag_regex="^v3")
    assert code == 0, err
    assert versions(doc) == ["v2.0.1", "latest", "v1.10.0", "v2.0.0", "v1.9.0", "sha-1f2e3d4"]
    assert [path for _m, path, _h, _b in handler.seen[:3]] == [
        f"/api/v1/repository/myorg/app/tag/?onlyActiveTags=true&limit=3&page={n}" for n in (1, 2, 3)
    ]
    first = doc["artifacts"][0]["metadata"]
    host = url.removeprefix("http://")
    assert first == {
        "digest": digest("v2.0.1"),
        "lastModified": "Tue, 21 Apr 2026 08:00:00 -0000",
        "isManifestList": "true",
        "size": "",
        "expiration": "",
        "image": f"{host}/myorg/app:v2.0.1",
        "imageByDigest": f"{host}/myorg/app@{digest('v2.0.1')}",
    }
    assert every[0] == 0 and versions(every[1])[0] == "v2.1.0-beta.1"
    assert none[0] == 0 and none[1]["artifacts"] == []
    assert "7 tags of myorg/app, but none match TAG_REGEX '^v3'" in none[2]


@pytest.mark.slow
def test_quay_tags_token_missing_repository_and_a_failing_page(cli: CLI) -> None:
    handler = quay()
    handler.faults[("/api/v1/repository/myorg/app/tag/", "page=2")] = 500
    with servers.serving(handler) as url:
        anonymous = run(cli, "quay-tags", url, input_repository="myorg/private")
        code, doc, err = run(cli, "quay-tags", url, input_repository="myorg/private", input_quay_token=QUAY_TOKEN)
        missing = run(cli, "quay-tags", url, input_repository="myorg/nope")
        broken = run(cli, "quay-tags", url, input_page_size="2")
    assert anonymous[0] == 3
    assert f"HTTP 401 Unauthorized (Unauthorized) from {url}/api/v1/repository/myorg/private/tag/" in anonymous[2]
    assert code == 0, err
    assert versions(doc) == ["v2.0.1", "v2.0.0"]
    assert handler.seen[1][2]["Authorization"] == f"Bearer {QUAY_TOKEN}"
    assert QUAY_TOKEN not in err + json.dumps(doc)
    assert missing[0] == 3
    assert f"no repository myorg/nope on {url} (or it is private: give QUAY_TOKEN) (HTTP 404: Not Found" in missing[2]
    assert (
        broken[0] == 3
        and f"HTTP 500 Internal Server Error (UNKNOWN: internal server error) from {url}/api" in broken[2]
    )


# -- harbor-artifacts: Harbor v2.0 API -------------------------------------------------------------

ROBOT = ("robot$library+harness", "Rb0t-s3cret")


def harbor_artifact(name: str, pushed: str, tags: list[tuple[str, str]], kind: str = "IMAGE") -> dict[str, Any]:
    """One artifact of GET /api/v2.0/projects/{p}/repositories/{r}/artifacts?with_tag=true."""
    return {
        "id": abs(hash(name)) % 10**6,
        "type": kind,
        "media_type": "application/vnd.oci.image.config.v1+json",
        "manifest_media_type": "application/vnd.oci.image.index.v1+json",
        "project_id": 1,
        "repository_id": 7,
        "digest": digest(name),
        "size": 2048,
        "push_time": pushed,
        "pull_time": "0001-01-01T00:00:00.000Z",
        "extra_attrs": {},
        "annotations": None,
        "references": None,
        "tags": [
            {
                "id": abs(hash(tag)) % 10**6,
                "repository_id": 7,
                "artifact_id": 1,
                "name": tag,
                "push_time": when,
                "pull_time": "0001-01-01T00:00:00.000Z",
                "immutable": tag == "1.0.0",
                "signed": False,
            }
            for tag, when in tags
        ]
        or None,
        "labels": None,
    }


HARBOR_HISTORY = [  # Harbor lists by push time, newest first; tag push times may be later (a tag moved)
    harbor_artifact("c", "2026-04-01T10:00:00.000Z", [("2.0.0-rc.1", "2026-04-01T10:00:00.000Z")]),
    harbor_artifact("b", "2026-03-01T10:00:00.123Z", [("1.1.0", "2026-03-01T10:00:00.123Z")]),
    harbor_artifact("untagged", "2026-02-15T00:00:00Z", []),
    harbor_artifact(
        "a",
        "2026-01-01T10:00:00Z",
        [("1.0.0", "2026-01-01T10:00:00Z"), ("stable", "2026-04-05T12:00:00+02:00"), ("1.0", "2026-01-01T10:00:00Z")],
    ),
    harbor_artifact("z", "2025-12-01T00:00:00.000Z", [("0.9.0", "2025-12-01T00:00:00.000Z")], kind="CHART"),
]


class Harbor(Vendor):
    """Harbor's v2.0 API: a repository name with a slash encoded twice in the path; page and
    page_size (at most 100); X-Total-Count and a Link header with relative prev/next; basic auth with
    a robot account; {"errors": [{"code", "message"}]} bodies."""

    repositories: ClassVar[dict[str, list[dict[str, Any]]]] = {}

    def answer(self, method: str, path: str, query: dict[str, str], body: bytes) -> tuple[int, dict[str, str], Any]:
        expected = "Basic " + base64.b64encode(":".join(ROBOT).encode()).decode()
        if self.headers.get("Authorization") != expected:
            return 401, {}, {"errors": [{"code": "UNAUTHORIZED", "message": "unauthorized"}]}
        prefix = "/api/v2.0/projects/"
        project, _, rest = path.removeprefix(prefix).partition("/repositories/")
        encoded = rest.removesuffix("/artifacts")
        if "%2F" in encoded:  # a slash encoded once: Harbor would take it as a path separator
            return 404, {}, {"errors": [{"code": "NOT_FOUND", "message": "route not found"}]}
        name = f"{project}/{urllib.parse.unquote(urllib.parse.unquote(encoded))}"
        if name not in self.repositories:
            return 404, {}, {"errors": [{"code": "NOT_FOUND", "message": f"repository {name} not found"}]}
        assert query.get("with_tag") == "true"
        size, page = min(int(query.get("page_size", 10)), 100), int(query.get("page", 1))
        artifacts = self.repositories[name]
        links = []
        link = f"{path}?with_tag=true&page={{}}&page_size={size}"
        if page > 1:
            links.append(f'<{link.format(page - 1)}>; rel="prev"')
        if page * size < len(artifacts):
            links.append(f'<{link.format(page + 1)}>; rel="next"')
        headers = {"X-Total-Count": str(len(artifacts)), **({"Link": " , ".join(links)} if links else {})}
        return 200, headers, artifacts[(page - 1) * size : page * size]


def harbor(**attributes: Any) -> type[Vendor]:
    return vendor(Harbor, repositories={"library/team/app": HARBOR_HISTORY, "library/empty": []}, **attributes)


@pytest.mark.slow
def test_harbor_artifacts_one_item_per_tag_newest_push_first(cli: CLI) -> None:
    """Pages of 2 by the Link header; one item per tag, newest first by the tag's own push time (stable,
    moved onto an old artifact later, comes first; +02:00 read as an instant); untagged artifacts left
    out, saying so; the rc only when asked for."""
    handler = harbor()
    robot = {"input_repo_user": ROBOT[0], "input_repo_password": ROBOT[1]}
    with servers.serving(handler) as url:
        code, doc, err = run(cli, "harbor-artifacts", url, input_page_size="2", **robot)
        every = run(cli, "harbor-artifacts", url, input_include_prereleases="true", **robot)
        empty = run(cli, "harbor-artifacts", url, input_repository="empty", **robot)
    assert code == 0, err
    assert versions(doc) == ["stable", "1.1.0", "1.0.0", "1.0", "0.9.0"]
    assert [path.partition("?")[2] for _m, path, _h, _b in handler.seen[:3]] == [
        "with_tag=true&with_label=false&with_scan_overview=false&page=1&page_size=2",
        "with_tag=true&page=2&page_size=2",
        "with_tag=true&page=3&page_size=2",
    ]
    assert handler.seen[0][1].startswith("/api/v2.0/projects/library/repositories/team%252Fapp/artifacts?")
    assert "1 of 5 artifacts have no tag: left out" in err
    host = url.removeprefix("http://")
    assert doc["artifacts"][0]["metadata"] == {
        "digest": digest("a"),
        "pushTime": "2026-04-05T12:00:00+02:00",
        "artifactPushTime": "2026-01-01T10:00:00Z",
        "pullTime": "0001-01-01T00:00:00.000Z",
        "type": "IMAGE",
        "mediaType": "application/vnd.oci.image.index.v1+json",
        "size": "2048",
        "immutable": "false",
        "image": f"{host}/library/team/app:stable",
        "imageByDigest": f"{host}/library/team/app@{digest('a')}",
    }
    assert doc["artifacts"][-1]["metadata"]["type"] == "CHART"
    assert every[0] == 0 and versions(every[1])[:2] == ["stable", "2.0.0-rc.1"]
    assert empty[0] == 0 and empty[1]["artifacts"] == [] and "library/empty has no tagged artifacts" in empty[2]


@pytest.mark.slow
def test_harbor_artifacts_auth_missing_repository_and_a_failing_page(cli: CLI) -> None:
    handler = harbor()
    handler.faults[("/api/v2.0/projects/library/repositories/team%252Fapp/artifacts", "page=2&")] = 500
    with servers.serving(handler) as url:
        anonymous = run(cli, "harbor-artifacts", url)
        wrong = run(cli, "harbor-artifacts", url, input_repo_user=ROBOT[0], input_repo_password="nope")
        missing = run(
            cli,
            "harbor-artifacts",
            url,
            input_repository="nope",
            input_repo_user=ROBOT[0],
            input_repo_password=ROBOT[1],
        )
        broken = run(
            cli, "harbor-artifacts", url, input_page_size="2", input_repo_user=ROBOT[0], input_repo_password=ROBOT[1]
        )
    for code, _doc, err in (anonymous, wrong):
        assert code == 3 and "HTTP 401 Unauthorized (UNAUTHORIZED: unauthorized) from" in err
        assert f"{url}/api/v2.0/projects/library/repositories/team%252Fapp/artifacts" in err
    assert "Rb0t-s3cret" not in json.dumps(handler.seen[0][2])  # anonymous: no credentials sent
    assert missing[0] == 3
    assert "no repository library/nope on this Harbor" in missing[2]
    assert "NOT_FOUND: repository library/nope not found" in missing[2]
    assert broken[0] == 3 and "HTTP 500 Internal Server Error" in broken[2] and "team%252Fapp/artifacts" in broken[2]


# -- google-artifact-registry: Artifact Registry REST API v1 ---------------------------------------

GCP_TOKEN = "ya29.a0-access-token"
GAR_PARENT = "projects/my-project/locations/europe-west1/repositories/containers/packages"


def gar_version(package: str, ident: str, created: str) -> dict[str, Any]:
    encoded = urllib.parse.quote(package, safe="")
    return {
        "name": f"{GAR_PARENT}/{encoded}/versions/{ident}",
        "createTime": created,
        "updateTime": created,
        "metadata": {"mediaType": "application/vnd.docker.distribution.manifest.v2+json"},
    }


def gar_tag(package: str, tag: str, ident: str) -> dict[str, Any]:
    encoded = urllib.parse.quote(package, safe="")
    return {"name": f"{GAR_PARENT}/{encoded}/tags/{tag}", "version": f"{GAR_PARENT}/{encoded}/versions/{ident}"}


GAR_IMAGES = {  # digest: (createTime, tags)
    digest("one"): ("2026-01-10T08:00:00.123456Z", ["1.0.0"]),
    digest("two"): ("2026-02-10T08:00:00.000000001Z", ["1.1.0", "1.1", "latest"]),
    digest("rc"): ("2026-03-01T00:00:00Z", ["1.2.0-rc.1"]),
    digest("dangling"): ("2026-03-05T00:00:00Z", []),
    digest("hotfix"): ("2026-02-10T08:00:00.000000002Z", ["1.0.1"]),  # 1 ns after 1.1.0's image
}


class Artifactory(Vendor):
    """Artifact Registry's REST API v1: versions and tags of a package (its id URL-encoded in the
    path), pageSize and nextPageToken, a bearer access token, Google's error body."""

    packages: ClassVar[dict[str, tuple[list[dict[str, Any]], list[dict[str, Any]]]]] = {}

    def answer(self, method: str, path: str, query: dict[str, str], body: bytes) -> tuple[int, dict[str, str], Any]:
        if self.headers.get("Authorization") != f"Bearer {GCP_TOKEN}":
            message = "Request had invalid authentication credentials. Expected OAuth 2 access token."
            return 401, {}, {"error": {"code": 401, "message": message, "status": "UNAUTHENTICATED"}}
        prefix = f"/v1/{GAR_PARENT}/"
        package, _, collection = path.removeprefix(prefix).rpartition("/")
        package = urllib.parse.unquote(package)
        if not path.startswith(prefix) or package not in self.packages or collection not in ("versions", "tags"):
            return (
                404,
                {},
                {"error": {"code": 404, "message": "Requested entity was not found.", "status": "NOT_FOUND"}},
            )
        entries = self.packages[package][0 if collection == "versions" else 1]
        size = min(int(query.get("pageSize", 100)), 1000)
        start = int(query.get("pageToken", "0").removeprefix("t") or 0)
        page: dict[str, Any] = {collection: entries[start : start + size]}
        if start + size < len(entries):
            page["nextPageToken"] = f"t{start + size}"
        return 200, {}, page


def gar(**attributes: Any) -> type[Vendor]:
    image = "team/app"
    docker = (
        [gar_version(image, ident, created) for ident, (created, _tags) in GAR_IMAGES.items()],
        [gar_tag(image, tag, ident) for ident, (_created, tags) in GAR_IMAGES.items() for tag in tags],
    )
    maven = (
        [
            gar_version("com.example:app", "1.0.0", "2026-01-01T00:00:00Z"),
            gar_version("com.example:app", "1.1.0-SNAPSHOT", "2026-03-01T00:00:00Z"),
            gar_version("com.example:app", "1.0.1", "2026-02-01T00:00:00Z"),
        ],
        [],
    )
    return vendor(Artifactory, packages={image: docker, "com.example:app": maven}, **attributes)


@pytest.mark.slow
def test_google_artifact_registry_docker_tags_with_digests(cli: CLI) -> None:
    """A docker package: pages of 2 of versions and of tags; each tag an item with its image's digest,
    newest first by the image's createTime to the nanosecond, ties (one image's tags) by version; an
    untagged digest left out, saying so; the rc only when asked for."""
    handler = gar()
    with servers.serving(handler) as url:
        code, doc, err = run(cli, "google-artifact-registry", url, input_page_size="2", input_access_token=GCP_TOKEN)
        every = run(
            cli, "google-artifact-registry", url, input_include_prereleases="true", input_access_token=GCP_TOKEN
        )
    assert code == 0, err
    assert versions(doc) == ["1.0.1", "1.1", "1.1.0", "latest", "1.0.0"]
    paths = [path for _m, path, _h, _b in handler.seen]
    base = f"/v1/{GAR_PARENT}/team%2Fapp"
    assert paths[:3] == [
        f"{base}/versions?pageSize=2",
        f"{base}/versions?pageSize=2&pageToken=t2",
        f"{base}/versions?pageSize=2&pageToken=t4",
    ]
    assert paths[3:6] == [
        f"{base}/tags?pageSize=2",
        f"{base}/tags?pageSize=2&pageToken=t2",
        f"{base}/tags?pageSize=2&pageToken=t4",
    ]
    assert "1 of 5 image digests of team/app have no tag: left out" in err
    assert doc["artifacts"][2]["metadata"] == {
        "digest": digest("two"),
        "tags": "1.1,1.1.0,latest",
        "createTime": "2026-02-10T08:00:00.000000001Z",
        "updateTime": "2026-02-10T08:00:00.000000001Z",
        "versionName": f"{GAR_PARENT}/team%2Fapp/versions/{digest('two')}",
        "image": "europe-west1-docker.pkg.dev/my-project/containers/team/app:1.1.0",
        "imageByDigest": f"europe-west1-docker.pkg.dev/my-project/containers/team/app@{digest('two')}",
    }
    assert handler.seen[0][2]["Authorization"] == f"Bearer {GCP_TOKEN}"
    assert every[0] == 0 and versions(every[1])[0] == "1.2.0-rc.1"


@pytest.mark.slow
def test_google_artifact_registry_other_formats_errors_and_a_failing_page(cli: CLI) -> None:
    """A Maven package is listed by version (newest createTime first, the SNAPSHOT only when asked
    for); no token is Google's 401 said; a package that does not exist fails naming it; page 2 of the
    versions answering 500 fails."""
    handler = gar()
    handler.faults[(f"/v1/{GAR_PARENT}/team%2Fapp/versions", "pageToken=t2")] = 500
    token = {"input_access_token": GCP_TOKEN}
    with servers.serving(handler) as url:
        maven = run(cli, "google-artifact-registry", url, input_package="com.example:app", **token)
        snapshots = run(
            cli,
            "google-artifact-registry",
            url,
            input_package="com.example:app",
            input_include_prereleases="1",
            **token,
        )
        anonymous = run(cli, "google-artifact-registry", url)
        missing = run(cli, "google-artifact-registry", url, input_package="team/nope", **token)
        broken = run(cli, "google-artifact-registry", url, input_page_size="2", **token)
    assert maven[0] == 0, maven[2]
    assert versions(maven[1]) == ["1.0.1", "1.0.0"]
    assert maven[1]["artifacts"][0]["metadata"]["digest"] == "" and maven[1]["artifacts"][0]["metadata"]["tags"] == ""
    assert snapshots[0] == 0 and versions(snapshots[1]) == ["1.1.0-SNAPSHOT", "1.0.1", "1.0.0"]
    assert anonymous[0] == 3
    assert "HTTP 401 Unauthorized (UNAUTHENTICATED: Request had invalid authentication credentials." in anonymous[2]
    assert f"{url}/v1/{GAR_PARENT}/team%2Fapp/versions" in anonymous[2]
    assert missing[0] == 3
    assert (
        "no package team/nope in projects/my-project/locations/europe-west1/repositories/containers "
        "(or ACCESS_TOKEN cannot see it) (HTTP 404: NOT_FOUND: Requested entity was not found."
    ) in missing[2]
    assert broken[0] == 3 and "HTTP 500" in broken[2] and "team%2Fapp/versions" in broken[2]


# -- oci-registry-tags with Azure Container Registry's authentication ------------------------------

AAD_TOKEN = "eyJ0eXAiOiJKV1Qi.aad-access-token.sig"
ACR_ADMIN = ("contosoregistry", "admin-pa55word")


class Acr(Vendor):
    """Azure Container Registry's auth as Azure documents it: a registry v2 API answering 401 with a
    Bearer challenge (realm https://REGISTRY/oauth2/token, service, scope); POST /oauth2/exchange
    (grant_type=access_token, service, tenant, access_token: an AAD token) -> refresh_token; POST
    /oauth2/token (grant_type=refresh_token, service, scope, refresh_token) -> access_token; GET
    /oauth2/token?service&scope with basic auth (the admin user) -> access_token; errors as
    {"errors": [{"code", "message"}]}."""

    tags: ClassVar[list[str]] = ["1.0.0", "1.1.0", "1.2.0-rc.1", "latest"]
    realm_host: ClassVar[str] = ""  # a realm on another origin

    def service(self) -> str:
        return str(self.headers.get("Host")).split(":")[0]

    def answer(self, method: str, path: str, query: dict[str, str], body: bytes) -> tuple[int, dict[str, str], Any]:
        form = dict(urllib.parse.parse_qsl(body.decode()))
        unauthorized = {"errors": [{"code": "UNAUTHORIZED", "message": "authentication required"}]}
        if path == "/oauth2/exchange" and method == "POST":
            if form.get("grant_type") != "access_token" or form.get("access_token") != AAD_TOKEN:
                return 401, {}, {"errors": [{"code": "UNAUTHORIZED", "message": "invalid aad access token"}]}
            return 200, {}, {"refresh_token": f"acr-refresh:{form.get('service')}:{form.get('tenant', '')}"}
        if path == "/oauth2/token":
            if method == "POST":
                if form.get("grant_type") != "refresh_token" or not form.get("refresh_token", "").startswith(
                    "acr-refresh:"
                ):
                    return 401, {}, unauthorized
                scope = form.get("scope", "")
            else:
                admin = "Basic " + base64.b64encode(":".join(ACR_ADMIN).encode()).decode()
                if self.headers.get("Authorization") != admin:
                    return 401, {}, unauthorized
                scope = query.get("scope", "")
            return 200, {}, {"access_token": f"acr-access:{scope}"}
        repository = (
            path.removeprefix("/v2/").rpartition("/tags/list")[0]
            or path.removeprefix("/v2/").partition("/manifests/")[0]
        )
        scope = f"repository:{repository}:pull"
        if self.headers.get("Authorization") != f"Bearer acr-access:{scope}":
            realm = f"{self.realm_host or self.base()}/oauth2/token"
            challenge = f'Bearer realm="{realm}",service="{self.service()}",scope="{scope}"'
            return 401, {"WWW-Authenticate": challenge}, unauthorized
        if path.endswith("/tags/list"):
            return 200, {}, {"name": repository, "tags": self.tags}
        tag = path.rpartition("/")[2]
        headers = {"Docker-Content-Digest": digest(tag), "Content-Type": "application/vnd.oci.image.index.v1+json"}
        return 200, headers, None


@pytest.mark.slow
def test_acr_aad_token_exchanged_as_azure_documents(cli: CLI) -> None:
    """With AAD_ACCESS_TOKEN: the challenge answered by exchanging the AAD token once (POST
    /oauth2/exchange, with the tenant) and a refresh-token grant for the challenge's scope (POST
    /oauth2/token), that access token used for the listing and every digest."""
    handler = vendor(Acr)
    with servers.serving(handler) as url:
        code, doc, err = run(
            cli,
            "oci-registry-tags",
            url,
            input_image="team/app",
            input_aad_access_token=AAD_TOKEN,
            input_aad_tenant="tenant-1",
        )
        seen = list(handler.seen)
        wrong = run(cli, "oci-registry-tags", url, input_image="team/app", input_aad_access_token="expired")
    assert code == 0, err
    assert [(a["version"], a["metadata"]["digest"]) for a in doc["artifacts"]] == [
        ("1.1.0", digest("1.1.0")),
        ("1.0.0", digest("1.0.0")),
        ("latest", digest("latest")),
    ]
    posts = [(path, dict(urllib.parse.parse_qsl(body.decode()))) for method, path, _h, body in seen if method == "POST"]
    assert posts[:2] == [
        (
            "/oauth2/exchange",
            {"grant_type": "access_token", "service": "127.0.0.1", "access_token": AAD_TOKEN, "tenant": "tenant-1"},
        ),
        (
            "/oauth2/token",
            {
                "grant_type": "refresh_token",
                "service": "127.0.0.1",
                "scope": "repository:team/app:pull",
                "refresh_token": "acr-refresh:127.0.0.1:tenant-1",
            },
        ),
    ]
    assert len(posts) == 2  # one exchange, one access token for the listing and the three digests
    assert AAD_TOKEN not in err + json.dumps(doc)
    assert wrong[0] == 3 and "HTTP 401" in wrong[2] and f"{url}/oauth2/exchange" in wrong[2]


@pytest.mark.slow
def test_acr_admin_user_and_a_realm_elsewhere(cli: CLI) -> None:
    """ACR's admin user answers the same challenge with basic auth at GET /oauth2/token (already how
    the template answers any registry's challenge); an AAD token is never sent to a realm on another
    origin than REPO_URL."""
    handler = vendor(Acr)
    with servers.serving(handler) as url:
        code, doc, err = run(
            cli,
            "oci-registry-tags",
            url,
            input_image="team/app",
            input_repo_user=ACR_ADMIN[0],
            input_repo_password=ACR_ADMIN[1],
        )
        handler.realm_host = url.replace("127.0.0.1", "localhost")
        elsewhere = run(cli, "oci-registry-tags", url, input_image="team/app", input_aad_access_token=AAD_TOKEN)
    assert code == 0, err
    assert versions(doc) == ["1.1.0", "1.0.0", "latest"]
    assert [path.partition("?")[0] for method, path, _h, _b in handler.seen if "oauth2" in path] == ["/oauth2/token"]
    assert elsewhere[0] == 3
    assert "is not on the registry's origin: AAD_ACCESS_TOKEN goes only to" in elsewhere[2]
    assert not [body for _m, _p, _h, body in handler.seen if AAD_TOKEN.encode() in body]


class TooMany(servers.Quiet):
    """Every request answered 429 with a Retry-After longer than a run may wait."""

    def do_GET(self) -> None:
        self.reply(429, b'{"message": "Too Many Requests"}', {"Content-Type": "application/json", "Retry-After": "120"})

    do_POST = do_HEAD = do_GET


REGISTRIES = ["docker-hub-tags", "quay-tags", "harbor-artifacts", "google-artifact-registry"]


@pytest.mark.parametrize("name", REGISTRIES)
@pytest.mark.parametrize("status", [403, 404, 429])
def test_registries_fail_clearly_on_more_http_errors(cli: CLI, name: str, status: int) -> None:
    """403, 404 and 429 on the first request: one line naming the status and the URL, exit non-zero
    (a 404 said as the missing repository or package, a 429 as a rate limit)."""
    with servers.failing(status) if status != 429 else servers.serving(TooMany) as url:
        code, doc, err = run(cli, name, url)
    assert code == 3 and doc["error"]["kind"] == "script_failed"
    assert f"HTTP {status}" in err and url in err
    if status == 404:
        assert "no repository" in err or "no package" in err
    if status == 429:
        assert "(rate limited: retry after 120 s)" in err
