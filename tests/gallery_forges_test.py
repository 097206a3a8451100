"""The forge and CI server entries, end to end against servers built from each vendor's documented
API (none of GitLab, Gitea/Forgejo, Jenkins or Bamboo installs here from Debian, PyPI or npm):
gitlab-packages and gitlab-releases (GitLab REST v4: offset pages with Link and X-Next-Page,
PRIVATE-TOKEN / JOB-TOKEN / Bearer, 404 for private projects), gitea-releases (Gitea API v1:
page/limit capped at 50, Link and X-Total-Count, "Authorization: token"), jenkins-builds (Jenkins
remote access API: api/json?tree=...{M,N}, builds capped at 100 and allBuilds, folders and
multibranch, basic auth with an API token) and bamboo-results (Bamboo REST: result resource with
expand, max-result/start-index, results.size, Bearer personal access tokens)."""

from __future__ import annotations

import base64
import json
import re
import urllib.parse
from collections.abc import Callable
from typing import Any, ClassVar

import pytest

from . import servers
from .gallery_test import run_loud as run
from .helpers import CLI

JSON = {"Content-Type": "application/json"}


class Vendor(servers.Quiet):
    """A vendor-format server: ``answer(path, query)`` gives (status, headers, document); requests
    are recorded in ``seen`` (path and headers); ``broken`` (a predicate on the path and query)
    answers 500 with an HTML page, as a proxy in front of a failing server does."""

    seen: ClassVar[list[tuple[str, dict[str, str]]]] = []
    broken: ClassVar[Callable[[str, dict[str, str]], bool] | None] = None

    def do_GET(self) -> None:
        self.seen.append((self.path, dict(self.headers)))
        parts = urllib.parse.urlsplit(self.path)
        query = dict(urllib.parse.parse_qsl(parts.query, keep_blank_values=True))
        if type(self).broken is not None and type(self).broken(parts.path, query):  # type: ignore[misc]
            self.reply(500, b"<html><body>500 Internal Server Error</body></html>", {"Content-Type": "text/html"})
            return
        status, headers, document = self.answer(parts.path, query)
        body = document if isinstance(document, bytes) else json.dumps(document).encode()
        self.reply(status, body, {**JSON, **headers} if not isinstance(document, bytes) else headers)

    def answer(self, path: str, query: dict[str, str]) -> tuple[int, dict[str, str], Any]:
        raise NotImplementedError

    @property
    def base(self) -> str:
        return f"http://{self.headers.get('Host')}"


def vendor(cls: type[Vendor], **state: Any) -> type[Vendor]:
    """A fresh subclass holding this test's data (class attributes are per server)."""
    return type(cls.__name__, (cls,), {"seen": [], "broken": None, **state})


def offset_page(handler: Vendor, path: str, query: dict[str, str], items: list[Any], cap: int, link: bool = True):
    """GitLab's offset pagination: page/per_page (at most ``cap``), X-Page, X-Per-Page, X-Total,
    X-Total-Pages, X-Next-Page (empty on the last page), X-Prev-Page and a Link header."""
    per_page = min(int(query.get("per_page") or 20), cap)
    page = int(query.get("page") or 1)
    pages = max(1, -(-len(items) // per_page))
    chunk = items[(page - 1) * per_page : page * per_page]

    def at(number: int) -> str:
        return f"{handler.base}{path}?{urllib.parse.urlencode({**query, 'page': number, 'per_page': per_page})}"

    headers = {
        "X-Page": str(page),
        "X-Per-Page": str(per_page),
        "X-Total": str(len(items)),
        "X-Total-Pages": str(pages),
        "X-Next-Page": str(page + 1) if page < pages else "",
        "X-Prev-Page": str(page - 1) if page > 1 else "",
    }
    if link:
        links = [f'<{at(page + 1)}>; rel="next"'] if page < pages else []
        links += [f'<{at(1)}>; rel="first"', f'<{at(pages)}>; rel="last"']
        headers["Link"] = ", ".join(links)
    return 200, headers, chunk


# -- GitLab: packages and releases -----------------------------------------------------------------


class GitLab(Vendor):
    """GitLab's REST v4 for one project, 42 = group/app: packages (fuzzy package_name, package_type,
    order_by created_at, statuses hidden/processing not listed by default), package_files, releases
    (order_by released_at desc). A private project is 404 without a token, as GitLab answers."""

    packages: ClassVar[list[dict[str, Any]]] = []
    files: ClassVar[dict[int, list[dict[str, Any]]]] = {}
    releases: ClassVar[list[dict[str, Any]]] = []
    private = True
    tokens: ClassVar[dict[str, str]] = {"PRIVATE-TOKEN": "glpat-secret", "JOB-TOKEN": "job-secret"}
    link = True

    def authorised(self) -> bool | None:
        """True for a valid token, None for none, False for a wrong one."""
        given = [(h, self.headers.get(h)) for h in ("PRIVATE-TOKEN", "JOB-TOKEN") if self.headers.get(h)]
        bearer = (self.headers.get("Authorization") or "").removeprefix("Bearer ")
        if bearer:
            given.append(("PRIVATE-TOKEN", bearer))
        if not given:
            return None
        return all(self.tokens.get(h) == v for h, v in given)

    def answer(self, path: str, query: dict[str, str]) -> tuple[int, dict[str, str], Any]:
        auth = self.authorised()
        if auth is False:
            return 401, {}, {"message": "401 Unauthorized"}
        match = re.fullmatch(r"/api/v4/projects/([^/]+)(/.*)", path)
        project = urllib.parse.unquote(match.group(1)) if match else ""
        if project not in ("42", "group/app") or (self.private and not auth):
            return 404, {}, {"message": "404 Project Not Found"}
        rest = match.group(2) if match else ""
        if rest == "/packages":
            kinds = [
                "composer",
                "conan",
                "generic",
                "golang",
                "helm",
                "maven",
                "npm",
                "nuget",
                "pypi",
                "terraform_module",
            ]
            if query.get("package_type") and query["package_type"] not in kinds:
                return 400, {}, {"error": "package_type does not have a valid value"}
            name = query.get("package_name", "").lower()
            found = [
                p
                for p in self.packages
                if name in p["name"].lower()
                and query.get("package_type", p["package_type"]) == p["package_type"]
                and p["status"] in ("default", "deprecated", "error")
            ]
            found.sort(key=lambda p: p["created_at_utc"], reverse=query.get("sort") == "desc")
            shown = [{k: v for k, v in p.items() if k != "created_at_utc"} for p in found]
            return offset_page(self, path, query, shown, 100, self.link)
        files = re.fullmatch(r"/packages/(\d+)/package_files", rest)
        if files:
            if int(files.group(1)) not in self.files:
                return 404, {}, {"message": "404 Package Not Found"}
            return offset_page(self, path, query, self.files[int(files.group(1))], 100, self.link)
        if rest == "/releases":
            ordered = sorted(self.releases, key=lambda r: r["released_at_utc"], reverse=True)
            shown = [{k: v for k, v in r.items() if k != "released_at_utc"} for r in ordered]
            return offset_page(self, path, query, shown, 100, self.link)
        return 404, {}, {"error": "404 Not Found"}


class Redirect(servers.Quiet):
    """Every request moved (302) to the same path on another origin, ``to``."""

    to = ""

    def do_GET(self) -> None:
        self.reply(302, b"", {"Location": self.to + self.path})


def gl_package(pid: int, name: str, version: str, created: str, utc: str, **extra: Any) -> dict[str, Any]:
    """A package as GET /projects/:id/packages documents it (``utc``: the server's sort key)."""
    return {
        "id": pid,
        "name": name,
        "version": version,
        "package_type": extra.get("package_type", "generic"),
        "status": extra.get("status", "default"),
        "_links": {
            "web_path": f"/group/app/-/packages/{pid}",
            "delete_api_path": f"/api/v4/projects/42/packages/{pid}",
        },
        "created_at": created,
        "created_at_utc": utc,
        "last_downloaded_at": None,
        "pipelines": [{"id": 9000 + pid, "status": "success", "ref": "main", "sha": "a91957a8"}],
        "tags": [],
    }


def gl_file(fid: int, pid: int, name: str, created: str) -> dict[str, Any]:
    """A file as GET /projects/:id/packages/:package_id/package_files documents it."""
    return {
        "id": fid,
        "package_id": pid,
        "created_at": created,
        "file_name": name,
        "size": 1000 + fid,
        "file_md5": f"{fid:032x}",
        "file_sha1": f"{fid:040x}",
        "file_sha256": f"{fid:064x}",
        "pipelines": [],
    }


def gitlab_registry() -> dict[str, Any]:
    """105 releases of app 1.0.0 ... 1.104.0 a day apart (two pages of 100), and the cases around
    them: a pre-release, a failed upload, a hidden package, a name the fuzzy search also finds, a
    version uploaded twice, times in other zones, a Maven package of the same name."""
    packages, files = [], {}
    for n in range(105):
        utc = f"2025-{1 + n // 28:02d}-{1 + n % 28:02d}T12:00:00Z"
        packages.append(gl_package(n + 1, "app", f"1.{n}.0", utc.replace("Z", ".000Z"), utc))
        files[n + 1] = [
            gl_file(10 * (n + 1), n + 1, f"app-1.{n}.0.tar.gz", utc),
            gl_file(10 * (n + 1) + 1, n + 1, "app.sha256", utc),
        ]
    specials = [
        # 2.0.0 at 10:00+02:00 is 08:00 UTC: older than 1.200.0 at 09:30 UTC, though its text sorts higher
        gl_package(500, "app", "2.0.0", "2026-05-01T10:00:00.000+02:00", "2026-05-01T08:00:00Z"),
        gl_package(501, "app", "1.200.0", "2026-05-01T09:30:00.000Z", "2026-05-01T09:30:00Z"),
        gl_package(502, "app", "2.1.0-rc.1", "2026-05-02T00:00:00.000Z", "2026-05-02T00:00:00Z"),
        gl_package(503, "app", "2.1.0", "2026-05-03T00:00:00.000Z", "2026-05-03T00:00:00Z", status="error"),
        gl_package(504, "app", "2.2.0", "2026-05-04T00:00:00.000Z", "2026-05-04T00:00:00Z", status="hidden"),
        gl_package(505, "app-cli", "9.0.0", "2026-05-05T00:00:00.000Z", "2026-05-05T00:00:00Z"),
        gl_package(506, "app", "2.0.1", "2026-04-30T20:00:00.000-05:00", "2026-05-01T01:00:00Z"),  # 01:00 UTC
        gl_package(507, "app", "2.0.1", "2026-05-01T05:00:00.000Z", "2026-05-01T05:00:00Z"),  # uploaded again
        gl_package(508, "app", "3.0.0", "2026-04-01T00:00:00.000Z", "2026-04-01T00:00:00Z", package_type="maven"),
    ]
    packages += specials
    for package in specials:
        pid = package["id"]
        files[pid] = [gl_file(10 * pid, pid, f"app-{package['version']}.tar.gz", package["created_at"])]
    # 1.200.0 was uploaded twice under one package: the newer file wins
    files[501] = [
        gl_file(5010, 501, "app-1.200.0.tar.gz", "2026-05-01T09:30:00.000Z"),
        gl_file(5011, 501, "app-1.200.0.tar.gz", "2026-05-01T09:45:00.000Z"),
    ]
    files[507] = []  # the newer upload of 2.0.1 has no files at all
    return {"packages": packages, "files": files}


@pytest.mark.slow
def test_gitlab_packages_one_name_newest_first_with_the_newest_matching_file(cli: CLI) -> None:
    """Only the exact name (GitLab's search is fuzzy), across two pages; by created_at as an instant
    (2.0.0 at 10:00+02:00 is older than 1.200.0 at 09:30Z); a version uploaded twice once, its newest
    package; error-state packages and pre-releases out (said on stderr); the newest matching file,
    its SHA-256 and generic download URL; a version without a matching file kept, empty, and counted."""
    handler = vendor(GitLab, **gitlab_registry())
    with servers.serving(handler) as url:
        code, doc, err = run(
            cli,
            "gitlab-packages",
            url,
            input_gitlab_token="glpat-secret",
            input_file_regex=r"\.tar\.gz$",
            input_package_type="generic",
            input_max_versions="0",
        )
        pre = run(cli, "gitlab-packages", url, input_gitlab_token="glpat-secret", input_include_prereleases="true")
    assert code == 0, err
    versions = [a["version"] for a in doc["artifacts"]]
    assert versions[:5] == ["1.200.0", "2.0.0", "2.0.1", "1.104.0", "1.103.0"]
    assert len(versions) == 108 and versions[-1] == "1.0.0" and "2.1.0-rc.1" not in versions
    assert "app-cli" not in json.dumps(doc) and "2.1.0" not in versions and "3.0.0" not in versions
    first = doc["artifacts"][0]["metadata"]
    assert first == {
        "created": "2026-05-01T09:30:00.000Z",
        "packageId": "501",
        "packageType": "generic",
        "status": "default",
        "file": "app-1.200.0.tar.gz",
        "sha256": f"{5011:064x}",
        "size": str(1000 + 5011),
        "download": f"{url}/api/v4/projects/group%2Fapp/packages/generic/app/1.200.0/app-1.200.0.tar.gz",
        "webUrl": f"{url}/group/app/-/packages/501",
        "pipelineId": str(9000 + 501),
    }
    assert doc["artifacts"][2]["metadata"]["packageId"] == "507" and doc["artifacts"][2]["metadata"]["file"] == ""
    assert "1 packages repeat a version listed already" in err
    assert "1 of 108 versions have no file matching FILE_REGEX" in err and "(2.0.1)" in err
    listing = [p for p, _ in handler.seen if "/packages?" in p and "package_type=generic" in p]
    assert len(listing) == 2 and "package_name=app" in listing[0] and "order_by=created_at" in listing[0]
    assert all(h.get("Private-Token") == "glpat-secret" for _, h in handler.seen)
    assert pre[0] == 0, pre[2]
    pre_versions = [a["version"] for a in pre[1]["artifacts"]]
    assert pre_versions[:2] == ["2.1.0-rc.1", "1.200.0"]  # 3.0.0 (maven) is 2026-04-01: after these
    assert len(pre_versions) == 50 and "listing the newest 50 (MAX_VERSIONS=50" in pre[2]


@pytest.mark.slow
def test_gitlab_packages_tokens_go_in_the_header_asked_for_and_only_to_their_origin(cli: CLI) -> None:
    """PRIVATE-TOKEN by default, JOB-TOKEN or Bearer by TOKEN_HEADER; a private project without a
    token fails saying it may be private; a wrong token is GitLab's 401; a redirect to another
    origin carries no token."""
    handler = vendor(GitLab, **gitlab_registry())
    with servers.serving(handler) as url:
        anonymous = run(cli, "gitlab-packages", url)
        wrong = run(cli, "gitlab-packages", url, input_gitlab_token="nope")
        job = run(cli, "gitlab-packages", url, input_gitlab_token="job-secret", input_token_header="JOB-TOKEN")
        bearer = run(cli, "gitlab-packages", url, input_gitlab_token="glpat-secret", input_token_header="Bearer")
        small = gitlab_registry()
        other = vendor(GitLab, packages=small["packages"][105:], files=small["files"], private=False)
        with servers.serving(other) as elsewhere:
            moved = type("Moved", (Redirect,), {"to": elsewhere})
            with servers.serving(moved) as front:
                redirected = run(cli, "gitlab-packages", front, input_gitlab_token="glpat-secret")
    assert anonymous[0] == 3
    assert (
        f"no project group/app at {url} (or it is private: give GITLAB_TOKEN) (404 Project Not Found)" in anonymous[2]
    )
    assert wrong[0] == 3 and "HTTP 401 Unauthorized (401 Unauthorized)" in wrong[2] and url in wrong[2]
    for code, doc, err in (job, bearer):
        assert code == 0, err
        assert doc["artifacts"][0]["version"] == "1.200.0"
    assert any(h.get("Job-Token") == "job-secret" for _, h in handler.seen)
    assert any(h.get("Authorization") == "Bearer glpat-secret" for _, h in handler.seen)
    assert redirected[0] == 0, redirected[2]
    assert redirected[1]["artifacts"][0]["version"] == "1.200.0"
    assert other.seen and not [h for _, h in other.seen if "Private-Token" in h or "Authorization" in h]
    assert "glpat-secret" not in json.dumps(bearer[1]) + bearer[2]


@pytest.mark.slow
def test_gitlab_packages_missing_names_empty_filters_and_failing_pages(cli: CLI) -> None:
    """A name with no package fails naming the similar ones; only pre-releases kept says why the
    list is empty; a wrong PACKAGE_TYPE is GitLab's 400; page 2 or a version's files answering 500
    fail naming the status and URL; X-Next-Page alone (no Link) pages too."""
    registry = gitlab_registry()
    only_rc = [gl_package(700, "tool", "0.1.0-rc.1", "2026-01-01T00:00:00Z", "2026-01-01T00:00:00Z")]
    handler = vendor(
        GitLab, packages=registry["packages"] + only_rc, files={**registry["files"], 700: []}, private=False
    )
    with servers.serving(handler) as url:
        missing = run(cli, "gitlab-packages", url, input_package_name="ap")
        rc = run(cli, "gitlab-packages", url, input_package_name="tool")
        bad_type = run(cli, "gitlab-packages", url, input_package_type="rpm")
        no_project = run(cli, "gitlab-packages", url, input_project="group/nope")
        handler.broken = staticmethod(lambda path, query: path.endswith("/packages") and query.get("page") == "2")
        page2 = run(cli, "gitlab-packages", url)
        handler.broken = staticmethod(lambda path, query: path.endswith("/packages/60/package_files"))
        files = run(cli, "gitlab-packages", url, input_max_versions="0")
    assert missing[0] == 3
    assert f"no package ap in project group/app at {url}; packages with similar names: app, app-cli" in missing[2]
    assert rc[0] == 0 and rc[1]["artifacts"] == []
    assert "1 packages named tool, but none is kept: 1 pre-releases are left out (INCLUDE_PRERELEASES=true" in rc[2]
    assert bad_type[0] == 3 and "HTTP 400 Bad Request (package_type does not have a valid value)" in bad_type[2]
    assert no_project[0] == 3 and f"no project group/nope at {url}" in no_project[2]
    assert (
        page2[0] == 3 and f"HTTP 500 Internal Server Error from {url}/api/v4/projects/group%2Fapp/packages" in page2[2]
    )
    assert (
        files[0] == 3
        and f"HTTP 500 Internal Server Error from {url}/api/v4/projects/group%2Fapp/packages/60/package_files"
        in files[2]
    )
    no_link = vendor(GitLab, **registry, private=False, link=False)
    with servers.serving(no_link) as url:
        code, doc, err = run(cli, "gitlab-packages", url, input_max_versions="0")
    assert code == 0, err
    assert len(doc["artifacts"]) == 109  # 3.0.0, a Maven package, too: no PACKAGE_TYPE
    assert len([p for p, _ in no_link.seen if "/packages?" in p]) == 2


def gl_release(
    tag: str, released: str, utc: str, *, upcoming: bool = False, links: tuple[str, ...] = ()
) -> dict[str, Any]:
    """A release as GET /projects/:id/releases documents it."""
    return {
        "name": f"Release {tag}",
        "tag_name": tag,
        "description": "notes",
        "created_at": "2026-01-01T00:00:00.000Z",
        "released_at": released,
        "released_at_utc": utc,
        "upcoming_release": upcoming,
        "author": {"id": 1, "username": "root"},
        "commit": {"id": f"{abs(hash(tag)) % 16**40:040x}", "short_id": "0123abcd"},
        "assets": {
            "count": 4 + len(links),
            "sources": [
                {"format": fmt, "url": f"https://gitlab.example.com/group/app/-/archive/{tag}/app-{tag}.{fmt}"}
                for fmt in ("zip", "tar.gz", "tar.bz2", "tar")
            ],
            "links": [
                {
                    "id": n,
                    "name": name,
                    "url": f"https://cdn.example.com/{tag}/{name}",
                    "direct_asset_url": f"https://gitlab.example.com/group/app/-/releases/{tag}/downloads/{name}",
                    "link_type": "package" if name.endswith(".tar.gz") else "other",
                }
                for n, name in enumerate(links)
            ],
        },
        "evidences": [],
        "_links": {"self": f"https://gitlab.example.com/group/app/-/releases/{tag}"},
    }


@pytest.mark.slow
def test_gitlab_releases_by_release_time_upcoming_and_prereleases_out(cli: CLI) -> None:
    """Newest first by released_at as an instant (offsets applied), across two pages; an upcoming
    release only with INCLUDE_UPCOMING, an -rc tag only with INCLUDE_PRERELEASES; the link matching
    ASSET_REGEX with its type, and the tar.gz source archive."""
    linux = ("checksums.txt", "app-linux-amd64.tar.gz", "app-darwin-arm64.tar.gz")
    releases = [
        gl_release(
            f"v1.{n}.0",
            f"2025-{1 + n // 28:02d}-{1 + n % 28:02d}T00:00:00.000Z",
            f"2025-{1 + n // 28:02d}-{1 + n % 28:02d}T00:00:00Z",
            links=linux,
        )
        for n in range(102)
    ]
    releases += [
        gl_release("v2.0.0", "2026-03-01T09:00:00.000+01:00", "2026-03-01T08:00:00Z", links=linux),
        gl_release("v1.102.1", "2026-03-01T08:30:00.000Z", "2026-03-01T08:30:00Z", links=("checksums.txt",)),
        gl_release("v2.1.0-rc.1", "2026-03-02T00:00:00.000Z", "2026-03-02T00:00:00Z", links=linux),
        gl_release("v3.0.0", "2099-01-01T00:00:00.000Z", "2099-01-01T00:00:00Z", upcoming=True, links=linux),
    ]
    handler = vendor(GitLab, releases=releases, private=False)
    with servers.serving(handler) as url:
        code, doc, err = run(cli, "gitlab-releases", url, input_asset_regex=r"linux-amd64\.tar\.gz$")
        every = run(cli, "gitlab-releases", url, input_include_upcoming="true", input_include_prereleases="true")
        handler.broken = staticmethod(lambda path, query: query.get("page") == "2")
        page2 = run(cli, "gitlab-releases", url)
        handler.broken = None
        missing = run(cli, "gitlab-releases", url, input_project="other/app")
    assert code == 0, err
    assert [a["version"] for a in doc["artifacts"]][:4] == ["v1.102.1", "v2.0.0", "v1.101.0", "v1.100.0"]
    assert len(doc["artifacts"]) == 104
    second = doc["artifacts"][1]["metadata"]
    assert second["asset"] == "https://cdn.example.com/v2.0.0/app-linux-amd64.tar.gz"
    assert (
        second["assetDirect"]
        == "https://gitlab.example.com/group/app/-/releases/v2.0.0/downloads/app-linux-amd64.tar.gz"
    )
    assert second["assetType"] == "package" and second["assetName"] == "app-linux-amd64.tar.gz"
    assert second["source"] == "https://gitlab.example.com/group/app/-/archive/v2.0.0/app-v2.0.0.tar.gz"
    assert second["released"] == "2026-03-01T09:00:00.000+01:00" and second["upcoming"] == "false"
    assert doc["artifacts"][0]["metadata"]["asset"] == ""
    assert "1 of 104 releases have no asset matching ASSET_REGEX" in err and "(v1.102.1)" in err
    assert every[0] == 0, every[2]
    assert [a["version"] for a in every[1]["artifacts"]][:3] == ["v3.0.0", "v2.1.0-rc.1", "v1.102.1"]
    assert every[1]["artifacts"][0]["metadata"]["upcoming"] == "true"
    assert (
        page2[0] == 3 and f"HTTP 500 Internal Server Error from {url}/api/v4/projects/group%2Fapp/releases" in page2[2]
    )
    assert missing[0] == 3 and f"no project other/app at {url}" in missing[2]


@pytest.mark.slow
def test_gitlab_releases_nothing_kept_says_why(cli: CLI) -> None:
    releases = [
        gl_release("v3.0.0", "2099-01-01T00:00:00Z", "2099-01-01T00:00:00Z", upcoming=True),
        gl_release("v2.0.0-beta.1", "2026-01-01T00:00:00Z", "2026-01-01T00:00:00Z"),
    ]
    with servers.serving(vendor(GitLab, releases=releases, private=False)) as url:
        code, doc, err = run(cli, "gitlab-releases", url, input_project="42")
        bare = vendor(GitLab, releases=[], private=False)
    with servers.serving(bare) as url:
        empty = run(cli, "gitlab-releases", url)
    assert code == 0 and doc["artifacts"] == []
    assert (
        "2 releases of 42, but none is kept: 1 upcoming releases and 1 pre-releases are left out "
        "(INCLUDE_UPCOMING=true, INCLUDE_PRERELEASES=true lists them)"
    ) in err
    assert empty[0] == 0 and "group/app has no releases" in empty[2]


# -- Gitea / Forgejo releases ----------------------------------------------------------------------


class Gitea(Vendor):
    """Gitea's API v1: /repos/{owner}/{repo}/releases?page=&limit= (limit capped at 50, the default
    MAX_RESPONSE_ITEMS), newest created first, drafts only for a token holder, X-Total-Count and a
    Link header; 404 for a repository it does not have or hides."""

    releases: ClassVar[list[dict[str, Any]]] = []
    token = "gitea-secret"
    private = False
    link = True

    def answer(self, path: str, query: dict[str, str]) -> tuple[int, dict[str, str], Any]:
        given = self.headers.get("Authorization")
        if given and given != f"token {self.token}":
            return 401, {}, {"message": "user does not exist [uid: 0, name: ]", "url": f"{self.base}/api/swagger"}
        if path != "/api/v1/repos/example/app/releases" or (self.private and not given):
            return (
                404,
                {},
                {"errors": None, "message": "The target couldn't be found.", "url": f"{self.base}/api/swagger"},
            )
        shown = [r for r in self.releases if given or not r["draft"]]
        limit = min(int(query.get("limit") or 30), 50)
        page = int(query.get("page") or 1)
        chunk = shown[(page - 1) * limit : page * limit]
        headers = {"X-Total-Count": str(len(shown))}
        if self.link and page * limit < len(shown):
            last = -(-len(shown) // limit)
            headers["Link"] = (
                f'<{self.base}{path}?limit={limit}&page={page + 1}>; rel="next",'
                f'<{self.base}{path}?limit={limit}&page={last}>; rel="last"'
            )
        return 200, headers, chunk


def gitea_release(
    n: int, tag: str, published: str, *, draft: bool = False, prerelease: bool = False, assets: tuple[str, ...] = ()
) -> dict[str, Any]:
    return {
        "id": n,
        "tag_name": tag,
        "target_commitish": "main",
        "name": tag,
        "body": "",
        "url": f"https://gitea.example.com/api/v1/repos/example/app/releases/{n}",
        "html_url": f"https://gitea.example.com/example/app/releases/tag/{tag}",
        "tarball_url": f"https://gitea.example.com/example/app/archive/{tag}.tar.gz",
        "zipball_url": f"https://gitea.example.com/example/app/archive/{tag}.zip",
        "draft": draft,
        "prerelease": prerelease,
        "created_at": published,
        "published_at": published,
        "author": {"id": 1, "login": "example"},
        "assets": [
            {
                "id": 100 * n + k,
                "name": name,
                "size": 2048 + k,
                "download_count": 3,
                "created_at": published,
                "uuid": f"{n:08d}-0000-0000-0000-{k:012d}",
                "browser_download_url": f"https://gitea.example.com/example/app/releases/download/{tag}/{name}",
            }
            for k, name in enumerate(assets)
        ],
    }


def gitea_history() -> list[dict[str, Any]]:
    """60 releases (two pages of 50), newest first as Gitea lists them, and around them a draft, a
    pre-release, a hotfix of an old line published last, times in other zones."""
    binaries = ("app-linux-amd64", "app-linux-amd64.sha256", "app-windows-amd64.exe")
    releases = [
        gitea_release(10 + n, f"v1.{n}.0", f"2025-{1 + n // 28:02d}-{1 + n % 28:02d}T10:00:00+08:00", assets=binaries)
        for n in range(60)
    ]
    releases += [
        gitea_release(200, "v2.0.0", "2026-02-01T12:00:00+02:00", assets=binaries),  # 10:00 UTC
        gitea_release(201, "v1.59.1", "2026-02-01T05:30:00-05:00", assets=("app-linux-amd64.sha256",)),  # 10:30 UTC
        gitea_release(202, "v2.1.0-rc1", "2026-02-10T00:00:00Z", prerelease=True, assets=binaries),
        gitea_release(203, "v2.1.0", "2026-02-20T00:00:00Z", draft=True, assets=binaries),
    ]
    return sorted(releases, key=lambda r: r["id"], reverse=True)


@pytest.mark.slow
def test_gitea_releases_newest_first_drafts_never_prereleases_when_asked(cli: CLI) -> None:
    """Across Gitea's pages of 50 (Link), by published_at as an instant (v1.59.1 at 05:30-05:00 is
    after v2.0.0 at 12:00+02:00); drafts, which a token holder sees, never listed; pre-releases only
    with INCLUDE_PRERELEASES; the token sent as "token ..."; the asset matching ASSET_REGEX."""
    handler = vendor(Gitea, releases=gitea_history())
    with servers.serving(handler) as url:
        code, doc, err = run(
            cli, "gitea-releases", url, input_gitea_token="gitea-secret", input_asset_regex=r"linux-amd64$"
        )
        every = run(cli, "gitea-releases", url, input_include_prereleases="true")
    assert code == 0, err
    versions = [a["version"] for a in doc["artifacts"]]
    assert versions[:4] == ["v1.59.1", "v2.0.0", "v1.59.0", "v1.58.0"] and len(versions) == 62
    assert "v2.1.0" not in versions and "v2.1.0-rc1" not in versions
    assert doc["artifacts"][1]["metadata"] == {
        "name": "v2.0.0",
        "url": "https://gitea.example.com/example/app/releases/tag/v2.0.0",
        "published": "2026-02-01T12:00:00+02:00",
        "prerelease": "false",
        "asset": "https://gitea.example.com/example/app/releases/download/v2.0.0/app-linux-amd64",
        "assetName": "app-linux-amd64",
        "assetSize": "2048",
        "tarball": "https://gitea.example.com/example/app/archive/v2.0.0.tar.gz",
    }
    assert "1 of 62 releases have no asset matching ASSET_REGEX 'linux-amd64$' (v1.59.1)" in err
    pages = [p for p, _ in handler.seen]
    assert pages[:2] == [
        "/api/v1/repos/example/app/releases?page=1&limit=50",
        "/api/v1/repos/example/app/releases?limit=50&page=2",
    ]
    assert handler.seen[0][1]["Authorization"] == "token gitea-secret"
    assert every[0] == 0, every[2]
    assert every[1]["artifacts"][0]["version"] == "v2.1.0-rc1"


@pytest.mark.slow
def test_gitea_releases_total_count_paging_private_missing_and_failures(cli: CLI) -> None:
    """X-Total-Count alone (no Link: a proxy dropped it) still reads every page; a private
    repository without a token fails saying so, a wrong token is Gitea's 401; page 2 answering 500
    fails naming it; a filter leaving nothing says why."""
    no_link = vendor(Gitea, releases=gitea_history(), link=False)
    with servers.serving(no_link) as url:
        code, doc, err = run(cli, "gitea-releases", url, input_page_size="20")
    assert code == 0, err
    assert len(doc["artifacts"]) == 62 and len(no_link.seen) == 4
    private = vendor(Gitea, releases=gitea_history(), private=True)
    with servers.serving(private) as url:
        anonymous = run(cli, "gitea-releases", url)
        wrong = run(cli, "gitea-releases", url, input_gitea_token="nope")
        missing = run(cli, "gitea-releases", url, input_repository="nope", input_gitea_token="gitea-secret")
        private.broken = staticmethod(lambda path, query: query.get("page") == "2")
        page2 = run(cli, "gitea-releases", url, input_gitea_token="gitea-secret")
    assert anonymous[0] == 3
    assert (
        f"no repository example/app at {url} (or it is private: give GITEA_TOKEN) (The target couldn't be found.)"
        in anonymous[2]
    )
    assert wrong[0] == 3 and "HTTP 401" in wrong[2] and "user does not exist" in wrong[2]
    assert missing[0] == 3 and "no repository example/nope" in missing[2] and "GITEA_TOKEN cannot see it" in missing[2]
    assert page2[0] == 3 and f"HTTP 500 Internal Server Error from {url}/api/v1/repos/example/app/releases" in page2[2]
    only = [
        gitea_release(1, "v1.0.0-rc1", "2026-01-01T00:00:00Z", prerelease=True),
        gitea_release(2, "v1.0.0", "2026-01-02T00:00:00Z", draft=True),
    ]
    with servers.serving(vendor(Gitea, releases=only)) as url:
        none = run(cli, "gitea-releases", url, input_gitea_token="gitea-secret")
    assert none[0] == 0 and none[1]["artifacts"] == []
    assert "2 releases of example/app, but none is kept: 1 drafts and 1 pre-releases are left out" in none[2]


# -- Jenkins builds --------------------------------------------------------------------------------

JOB_CLASS = "org.jenkinsci.plugins.workflow.job.WorkflowJob"


class Jenkins(Vendor):
    """Jenkins's remote access API for jobs by full name: /job/A/job/B/api/json?tree=F[...]{M,N}
    (builds is the newest 100 only; allBuilds every build), newest build first; a multibranch
    project has jobs, no builds. Basic auth with an API token: a wrong one 401, none 403 when
    anonymous users may not read; 404 (an HTML page) for a job it does not have."""

    jobs: ClassVar[dict[str, list[dict[str, Any]]]] = {}
    user, token = "deployer", "11aa22bb33cc"
    anonymous_read = False

    def answer(self, path: str, query: dict[str, str]) -> tuple[int, dict[str, str], Any]:
        given = self.headers.get("Authorization")
        if given and given != "Basic " + base64.b64encode(f"{self.user}:{self.token}".encode()).decode():
            return (
                401,
                {"Content-Type": "text/html"},
                b"<html><body>Invalid password/token for user: deployer</body></html>",
            )
        if not given and not self.anonymous_read:
            return (
                403,
                {"Content-Type": "text/html", "X-You-Are-Authenticated-As": "anonymous"},
                b"<html>Authentication required</html>",
            )
        segments = path.removesuffix("/api/json").split("/")[1:]
        names = [urllib.parse.unquote(s) for s in segments[1::2]]
        if not path.endswith("/api/json") or segments[::2] != ["job"] * len(names):
            return 404, {"Content-Type": "text/html"}, b"<html>Not Found</html>"
        full = "/".join(names)
        if full == "team/app":
            return (
                200,
                {},
                {"_class": "org.jenkinsci.plugins.workflow.multibranch.WorkflowMultiBranchProject", "jobs": []},
            )
        if full not in self.jobs:
            return 404, {"Content-Type": "text/html"}, b"<html><body><h2>HTTP ERROR 404 Not Found</h2></body></html>"
        tree = re.fullmatch(r"(builds|allBuilds)\[(.*)\]\{(\d*),(\d*)\}", query.get("tree", ""))
        if not tree:
            return 400, {}, {"message": "tree expected"}
        field, start, end = tree.group(1), int(tree.group(3) or 0), tree.group(4)
        builds = sorted(self.jobs[full], key=lambda b: b["number"], reverse=True)
        builds = builds[:100] if field == "builds" else builds
        chosen = builds[start : int(end) if end else None]
        for build in chosen:
            build["url"] = f"{self.base}/job/{'/job/'.join(segments[1::2])}/{build['number']}/"
        return 200, {}, {"_class": JOB_CLASS, field: chosen}


def jenkins_build(
    number: int,
    result: str | None,
    timestamp: int,
    *,
    name: str = "",
    artifacts: tuple[str, ...] = ("target/app.jar", "target/app.pom"),
) -> dict[str, Any]:
    return {
        "_class": "org.jenkinsci.plugins.workflow.job.WorkflowRun",
        "number": number,
        "result": result,
        "building": result is None,
        "timestamp": timestamp,
        "duration": 0 if result is None else 61_000,
        "displayName": name or f"#{number}",
        "artifacts": [{"fileName": a.rsplit("/", 1)[-1], "relativePath": a} for a in artifacts],
    }


def jenkins_history() -> list[dict[str, Any]]:
    """230 builds an hour apart, every 7th failed, every 11th unstable, and around them a running
    build, an aborted one, two builds started the same millisecond, one without artifacts."""
    start = 1_767_225_600_000  # 2026-01-01T00:00:00Z
    results = {0: "FAILURE"}
    builds = []
    for n in range(1, 231):
        result = "FAILURE" if n % 7 == 0 else "UNSTABLE" if n % 11 == 0 else "SUCCESS"
        builds.append(jenkins_build(n, results.get(n, result), start + n * 3_600_000, name=f"1.{n}.0"))
    builds += [
        jenkins_build(231, "SUCCESS", start + 232 * 3_600_000, name="2.0.0"),  # same start as 232
        jenkins_build(232, "SUCCESS", start + 232 * 3_600_000, name="#232", artifacts=()),
        jenkins_build(233, "ABORTED", start + 233 * 3_600_000, name="2.0.1"),
        jenkins_build(234, "SUCCESS", start + 234 * 3_600_000, name="2.1.0-rc.1"),
        jenkins_build(235, None, start + 235 * 3_600_000),
    ]
    return builds


@pytest.mark.slow
def test_jenkins_builds_multibranch_pages_results_and_artifacts(cli: CLI) -> None:
    """A multibranch branch (team/app/main), read 100 at a time up to MAX_BUILDS (builds{0,100},
    then allBuilds{100,200} ...); only SUCCESS by default, running builds never; newest first by
    start time, ties by number; version from the number or the display name (#232 read as 232,
    an -rc name out without INCLUDE_PRERELEASES); the artifact matching ARTIFACT_REGEX, by its URL."""
    handler = vendor(Jenkins, jobs={"team/app/main": jenkins_history()})
    auth = {"input_repo_user": "deployer", "input_repo_password": "11aa22bb33cc"}
    with servers.serving(handler) as url:
        code, doc, err = run(cli, "jenkins-builds", url, input_max_builds="250", input_artifact_regex=r"\.jar$", **auth)
        named = run(
            cli, "jenkins-builds", url, input_version_from="displayName", input_results="SUCCESS,UNSTABLE", **auth
        )
        rc = run(cli, "jenkins-builds", url, input_version_from="displayName", input_include_prereleases="true", **auth)
    assert code == 0, err
    versions = [a["version"] for a in doc["artifacts"]]
    assert versions[:4] == ["234", "232", "231", "230"]
    assert "235" not in versions and "233" not in versions and "220" not in versions  # running, aborted, unstable
    expected = [n for n in range(1, 231) if n % 7 and n % 11] + [231, 232, 234]
    assert sorted(int(v) for v in versions) == expected
    assert doc["artifacts"][2]["metadata"] == {
        "number": "231",
        "result": "SUCCESS",
        "started": "2026-01-10T16:00:00.000+00:00",
        "timestamp": str(1_767_225_600_000 + 232 * 3_600_000),
        "url": f"{url}/job/team/job/app/job/main/231/",
        "artifact": f"{url}/job/team/job/app/job/main/231/artifact/target/app.jar",
        "artifactName": "app.jar",
    }
    assert doc["artifacts"][1]["metadata"]["artifact"] == "" and "1 of " in err and "(232)" in err
    trees = [urllib.parse.unquote(urllib.parse.urlsplit(p).query) for p, _ in handler.seen[:3]]
    assert [t.split("]")[-1] for t in trees] == ["{0,100}", "{100,200}", "{200,250}"]
    assert trees[0].startswith("tree=builds[") and trees[1].startswith("tree=allBuilds[")
    assert named[0] == 0, named[2]
    names = [a["version"] for a in named[1]["artifacts"]]
    assert names[:3] == ["232", "2.0.0", "1.230.0"] and "1.220.0" in names  # 220: unstable, asked for
    assert len(names) == len([n for n in range(136, 231) if n % 7]) + 2  # the newest 100 read: 136 ... 235
    assert rc[0] == 0 and rc[1]["artifacts"][0]["version"] == "2.1.0-rc.1"


@pytest.mark.slow
def test_jenkins_builds_auth_branches_folders_and_failures(cli: CLI) -> None:
    """Anonymous is Jenkins's 403 and a wrong token its 401; a branch with a slash (feature%2Flogin)
    is encoded once more in the URL; a multibranch project itself, a job that does not exist and
    allBuilds answering 500 all fail saying so; a RESULTS filter leaving nothing says why."""
    branch = [jenkins_build(1, "FAILURE", 1_767_225_600_000), jenkins_build(2, "FAILURE", 1_767_229_200_000)]
    handler = vendor(Jenkins, jobs={"team/app/main": jenkins_history(), "team/app/feature%2Flogin": branch})
    auth = {"input_repo_user": "deployer", "input_repo_password": "11aa22bb33cc"}
    with servers.serving(handler) as url:
        anonymous = run(cli, "jenkins-builds", url)
        wrong = run(cli, "jenkins-builds", url, input_repo_user="deployer", input_repo_password="nope")
        failed = run(cli, "jenkins-builds", url, input_job="team/app/feature%2Flogin", **auth)
        pasted = run(
            cli, "jenkins-builds", url, input_job="job/team/job/app/job/feature%2Flogin/", input_results="any", **auth
        )
        folder = run(cli, "jenkins-builds", url, input_job="team/app", **auth)
        missing = run(cli, "jenkins-builds", url, input_job="team/nope", **auth)
        handler.broken = staticmethod(lambda path, query: "allBuilds" in query.get("tree", ""))
        page2 = run(cli, "jenkins-builds", url, input_max_builds="300", **auth)
    assert anonymous[0] == 3 and f"HTTP 403 Forbidden from {url}/job/team/job/app/job/main/api/json" in anonymous[2]
    assert wrong[0] == 3 and "HTTP 401" in wrong[2]
    assert failed[0] == 0 and failed[1]["artifacts"] == []
    assert (
        "2 builds of team/app/feature%2Flogin, but none is kept: 2 with a result not in RESULTS (SUCCESS)" in failed[2]
    )
    assert pasted[0] == 0 and [a["version"] for a in pasted[1]["artifacts"]] == ["2", "1"]
    assert any(p.startswith("/job/team/job/app/job/feature%252Flogin/api/json") for p, _ in handler.seen)
    assert folder[0] == 3 and "a folder or multibranch project? name a job in it" in folder[2]
    assert missing[0] == 3 and f"no job team/nope at {url}" in missing[2]
    assert page2[0] == 3 and f"HTTP 500 Internal Server Error from {url}/job/team/job/app/job/main/api/json" in page2[2]
    assert not [h for _, h in handler.seen if "Jenkins-Crumb" in h]


# -- Bamboo plan results ---------------------------------------------------------------------------


class Bamboo(Vendor):
    """Bamboo's REST API: /rest/api/latest/result/PLAN.json?expand=results.result.artifacts&
    max-result=&start-index= (newest build first; results.size the total; artifacts only when
    expanded); a personal access token as Bearer (a wrong one 401); an unknown or hidden plan 404."""

    results: ClassVar[dict[str, list[dict[str, Any]]]] = {}
    token = "NjQ0MzE0NTE2OTk2Ol8pat"
    private = True

    def answer(self, path: str, query: dict[str, str]) -> tuple[int, dict[str, str], Any]:
        given = self.headers.get("Authorization")
        if given and given != f"Bearer {self.token}":
            return 401, {}, {"message": "Client must be authenticated to access this resource.", "status-code": 401}
        match = re.fullmatch(r"/rest/api/latest/result/([A-Z0-9_]+-[A-Z0-9_]+)\.json", path)
        if not match or match.group(1) not in self.results or (self.private and not given):
            key = match.group(1) if match else path
            return 404, {}, {"message": f"Result {key} not found", "status-code": 404}
        plan = match.group(1)
        start, size = int(query.get("start-index") or 0), int(query.get("max-result") or 25)
        every = sorted(self.results[plan], key=lambda r: r["buildNumber"], reverse=True)
        chunk = [dict(r) for r in every[start : start + size]]
        if "results.result.artifacts" not in query.get("expand", ""):
            for result in chunk:
                result["artifacts"] = {"size": len(result["artifacts"]["artifact"])}
        for result in chunk:
            for artifact in result["artifacts"].get("artifact", []):
                artifact["link"]["href"] = artifact["link"]["href"].replace("{base}", self.base)
        return (
            200,
            {},
            {
                "expand": "results",
                "link": {"href": f"{self.base}/rest/api/latest/result/{plan}", "rel": "self"},
                "plan": {"key": plan, "shortName": "Build", "enabled": True},
                "results": {
                    "size": len(every),
                    "expand": "result",
                    "start-index": start,
                    "max-result": size,
                    "result": chunk,
                },
            },
        )


def bamboo_result(
    plan: str,
    number: int,
    state: str,
    completed: str,
    *,
    life: str = "Finished",
    artifacts: tuple[str, ...] = ("app-dist", "test-reports"),
) -> dict[str, Any]:
    key = f"{plan}-{number}"
    return {
        "expand": "changes,metadata,artifacts,comments,labels,jiraIssues,stages",
        "link": {"href": f"https://bamboo.example.com/rest/api/latest/result/{key}", "rel": "self"},
        "planName": "Build",
        "projectName": "App",
        "buildResultKey": key,
        "lifeCycleState": life,
        "id": 100000 + number,
        "buildStartedTime": completed,
        "buildCompletedTime": completed if life == "Finished" else None,
        "buildDurationInSeconds": 300,
        "vcsRevisionKey": f"{number:040x}",
        "successful": state == "Successful",
        "buildReason": "Changes by Ada",
        "key": key,
        "state": state,
        "buildState": state,
        "number": number,
        "buildNumber": number,
        "artifacts": {
            "size": len(artifacts),
            "start-index": 0,
            "max-result": len(artifacts),
            "artifact": [
                {
                    "name": name,
                    "link": {"href": f"{{base}}/browse/{key}/artifact/shared/{name}/", "rel": "self"},
                    "producerJobKey": f"{plan}-JOB1-{number}",
                    "shared": True,
                    "size": 4096 + number,
                    "prettySizeDescription": "4 KB",
                }
                for name in artifacts
            ],
        },
    }


def bamboo_history() -> list[dict[str, Any]]:
    """130 results (two pages of 100), every 5th failed, and around them a running build, a rerun
    that completed after a newer number, completion times in other zones, one with no artifacts."""
    plan = "APP-BUILD"
    results = [
        bamboo_result(
            plan, n, "Failed" if n % 5 == 0 else "Successful", f"2026-01-{1 + n // 24:02d}T{n % 24:02d}:10:00.000Z"
        )
        for n in range(1, 131)
    ]
    results += [
        bamboo_result(plan, 131, "Successful", "2026-02-01T10:00:00.000+01:00"),  # 09:00 UTC
        bamboo_result(
            plan, 132, "Successful", "2026-02-01T08:30:00.000-01:00", artifacts=("test-reports",)
        ),  # 09:30 UTC
        bamboo_result(plan, 133, "Unknown", "2026-02-01T12:00:00.000Z", life="InProgress"),
    ]
    return results


@pytest.mark.slow
def test_bamboo_results_pages_states_order_and_artifacts(cli: CLI) -> None:
    """Every page (max-result/start-index up to results.size) with artifacts expanded; Successful only
    by default, unfinished never; newest first by buildCompletedTime as an instant (132 at
    08:30-01:00 after 131 at 10:00+01:00); the artifact matching ARTIFACT_REGEX; the token as Bearer."""
    handler = vendor(Bamboo, results={"APP-BUILD": bamboo_history()})
    with servers.serving(handler) as url:
        code, doc, err = run(
            cli, "bamboo-results", url, input_bamboo_token=Bamboo.token, input_artifact_regex="^app-dist$"
        )
        failed = run(cli, "bamboo-results", url, input_bamboo_token=Bamboo.token, input_states="Failed")
        capped = run(
            cli, "bamboo-results", url, input_bamboo_token=Bamboo.token, input_max_results="50", input_states="any"
        )
    assert code == 0, err
    versions = [a["version"] for a in doc["artifacts"]]
    assert versions[:4] == ["132", "131", "129", "128"] and len(versions) == 106
    assert doc["artifacts"][1]["metadata"] == {
        "key": "APP-BUILD-131",
        "state": "Successful",
        "completed": "2026-02-01T10:00:00.000+01:00",
        "vcsRevision": f"{131:040x}",
        "url": f"{url}/browse/APP-BUILD-131",
        "artifact": f"{url}/browse/APP-BUILD-131/artifact/shared/app-dist/",
        "artifactName": "app-dist",
        "artifactSize": str(4096 + 131),
    }
    assert doc["artifacts"][0]["metadata"]["artifact"] == "" and "1 of 106 results have no artifact" in err
    queries = [dict(urllib.parse.parse_qsl(urllib.parse.urlsplit(p).query)) for p, _ in handler.seen[:2]]
    assert [(q["start-index"], q["max-result"]) for q in queries] == [("0", "100"), ("100", "100")]
    assert all(q["expand"] == "results.result.artifacts" for q in queries)
    assert handler.seen[0][1]["Authorization"] == f"Bearer {Bamboo.token}"
    assert failed[0] == 0 and [a["version"] for a in failed[1]["artifacts"]][:2] == ["130", "125"]
    assert capped[0] == 0 and len(capped[1]["artifacts"]) == 49  # 133 is still running
    assert "only the newest 50 results are read of 133 (MAX_RESULTS=50)" in capped[2]


@pytest.mark.slow
def test_bamboo_results_auth_missing_plans_failing_pages_and_nothing_kept(cli: CLI) -> None:
    handler = vendor(
        Bamboo,
        results={
            "APP-BUILD": bamboo_history(),
            "APP-OLD": [bamboo_result("APP-OLD", 1, "Failed", "2026-01-01T00:00:00Z")],
        },
    )
    with servers.serving(handler) as url:
        anonymous = run(cli, "bamboo-results", url)
        wrong = run(cli, "bamboo-results", url, input_bamboo_token="nope")
        missing = run(cli, "bamboo-results", url, input_plan_key="APP-NOPE", input_bamboo_token=Bamboo.token)
        bad_key = run(cli, "bamboo-results", url, input_plan_key="not a key", input_bamboo_token=Bamboo.token)
        old = run(cli, "bamboo-results", url, input_plan_key="APP-OLD", input_bamboo_token=Bamboo.token)
        handler.broken = staticmethod(lambda path, query: query.get("start-index") == "100")
        page2 = run(cli, "bamboo-results", url, input_bamboo_token=Bamboo.token)
    assert (
        anonymous[0] == 3
        and f"no plan APP-BUILD at {url} (or it needs BAMBOO_TOKEN) (Result APP-BUILD not found)" in anonymous[2]
    )
    assert wrong[0] == 3 and "HTTP 401" in wrong[2] and "Client must be authenticated" in wrong[2]
    assert missing[0] == 3 and "no plan APP-NOPE" in missing[2] and "BAMBOO_TOKEN's user cannot see it" in missing[2]
    assert bad_key[0] == 3 and "PLAN_KEY must be a plan key such as PROJ-PLAN" in bad_key[2]
    assert old[0] == 0 and old[1]["artifacts"] == []
    assert "1 results of APP-OLD, but none is kept: 1 with a buildState not in STATES (Successful)" in old[2]
    assert (
        page2[0] == 3 and f"HTTP 500 Internal Server Error from {url}/rest/api/latest/result/APP-BUILD.json" in page2[2]
    )
