"""More of the gallery, end to end against real servers: npm-registry (verdaccio, with basic and token
auth), go-module-proxy (nginx serving the GOPROXY layout), github-releases (GitHub's documented REST
answers) and s3-list (moto, signatures checked, temporary credentials)."""

from __future__ import annotations

import base64
import contextlib
import datetime
import json
import os
import shutil
import threading
import time
import urllib.parse
import urllib.request
from collections.abc import Iterator
from pathlib import Path
from typing import Any, ClassVar

import pytest

from customsrc.gallery import entry

from . import servers
from .gallery_test import run_loud as run
from .helpers import CLI, need

# -- npm-registry: verdaccio -----------------------------------------------------------------------


def npm_login(base: str, user: str, password: str) -> str:
    """Log in as `npm login` does for an existing user (PUT /-/user/org.couchdb.user:NAME, with the
    user's basic credentials); return the token verdaccio issues."""
    ask = urllib.request.Request(
        f"{base}/-/user/org.couchdb.user:{user}",
        data=json.dumps({"name": user, "password": password}).encode(),
        method="PUT",
        headers={
            "Content-Type": "application/json",
            "Authorization": "Basic " + base64.b64encode(f"{user}:{password}".encode()).decode(),
        },
    )
    with urllib.request.urlopen(ask) as response:
        return str(json.load(response)["token"])


def npm_publish_as(base: str, token: str, name: str, version: str, tags: tuple[str, ...] = ("latest",)) -> None:
    """Publish one version as `npm publish` does, with the publisher's bearer token."""
    servers.npm_publish(base, name, version, f"tarball {name} {version}".encode(), tags, token=token)


@pytest.mark.slow
def test_npm_registry_authenticates_as_npm_does(cli: CLI, tmp_path: Path) -> None:
    """A package only a logged-in user may read: refused anonymously and with a wrong password,
    listed with the right user and password (HTTP basic, npm's _auth) and with a token (npm's
    _authToken), the token winning when both are given, as in npm."""
    with servers.verdaccio(tmp_path / "verdaccio", {"deployer": "s3cr3t-pw", "other": "0ther-pw"}) as url:
        token = npm_login(url, "deployer", "s3cr3t-pw")
        for version in ("1.0.0", "1.1.0"):
            npm_publish_as(url, token, "@private/app", version)
        anonymous = run(cli, "npm-registry", url, input_package="@private/app")
        wrong = run(
            cli, "npm-registry", url, input_package="@private/app", input_repo_user="deployer", input_repo_password="no"
        )
        basic = run(
            cli,
            "npm-registry",
            url,
            input_package="@private/app",
            input_repo_user="deployer",
            input_repo_password="s3cr3t-pw",
        )
        bearer = run(cli, "npm-registry", url, input_package="@private/app", input_npm_token=token)
        both = run(
            cli,
            "npm-registry",
            url,
            input_package="@private/app",
            input_npm_token=token,
            input_repo_user="deployer",
            input_repo_password="no",
        )
    assert anonymous[0] == 3
    assert "HTTP 401" in anonymous[2] and "give NPM_TOKEN, or REPO_USER and REPO_PASSWORD" in anonymous[2]
    assert wrong[0] == 3 and "HTTP 401" in wrong[2] and "the credentials given were refused" in wrong[2]
    for code, doc, err in (basic, bearer, both):
        assert code == 0, err
        assert [a["version"] for a in doc["artifacts"]] == ["1.1.0", "1.0.0"]
    assert "using the token, as npm does" in both[2]
    assert "s3cr3t-pw" not in basic[2] + json.dumps(basic[1]) and token not in bearer[2] + json.dumps(bearer[1])


@pytest.mark.slow
def test_npm_registry_prereleases_order_and_a_missing_package(cli: CLI, tmp_path: Path) -> None:
    """Pre-releases only with INCLUDE_PRERELEASES (a dist-tag pointing at one is named); newest first
    by publish time, not by version (a 1.9.x hotfix published after 2.0.0 comes first); a package
    the registry does not have fails saying so."""
    published = [  # the order of publication, as a real project's history goes
        ("1.9.0", ("latest",)),
        ("2.0.0-alpha.1", ("next",)),
        ("2.0.0-rc.1", ("next",)),
        ("2.0.0", ("latest",)),
        ("1.9.1", ("v1-maintenance",)),  # a hotfix of the old line, published last but one
        ("2.1.0-beta.1", ("next",)),
        ("2.0.1", ("latest",)),
    ]
    with servers.verdaccio(tmp_path / "verdaccio") as url:
        for version, tags in published:
            servers.npm_publish(url, "@team/app", version, f"tarball {version}".encode(), tags)
            time.sleep(0.02)
        code, doc, err = run(cli, "npm-registry", url)
        every = run(cli, "npm-registry", url, input_include_prereleases="true")
        servers.npm_publish(url, "@team/rc-only", "3.0.0-rc.1", b"rc", ("next",))
        only_pre = run(cli, "npm-registry", url, input_package="@team/rc-only")
        missing = run(cli, "npm-registry", url, input_package="@team/nope")
    assert code == 0, err
    assert [a["version"] for a in doc["artifacts"]] == ["2.0.1", "1.9.1", "2.0.0", "1.9.0"]
    assert doc["artifacts"][0]["metadata"]["tags"] == "latest"
    assert "dist-tag next is 2.1.0-beta.1, a pre-release left out (INCLUDE_PRERELEASES=true lists it)" in err
    assert every[0] == 0, every[2]
    assert [a["version"] for a in every[1]["artifacts"]] == [v for v, _ in reversed(published)]
    assert "dist-tag" not in every[2]
    assert only_pre[0] == 0 and only_pre[1]["artifacts"] == []
    assert (
        "1 versions of @team/rc-only, but none is a release (INCLUDE_PRERELEASES=true lists pre-releases)"
        in only_pre[2]
    )
    assert missing[0] == 3
    assert f"no package @team/nope on this registry ({url})" in missing[2]


def test_npm_registry_orders_by_instant_and_undated_versions_by_version(cli: CLI) -> None:
    """A registry whose document gives times with offsets (compared as instants, not as text) and
    leaves some versions without one (they come last, by the gallery's version order)."""

    def version(number: str) -> dict[str, Any]:
        return {"name": "app", "version": number, "dist": {"tarball": f"{{base}}/app/-/app-{number}.tgz"}}

    document = {
        "name": "app",
        "dist-tags": {"latest": "1.3.0"},
        "versions": {v: version(v) for v in ("1.0.0", "1.2.0", "1.3.0", "1.10.0", "1.9.0", "0.9.0")},
        "time": {
            "created": "2026-01-01T00:00:00.000Z",
            "1.2.0": "2026-03-01T10:00:00+05:00",  # 05:00 UTC
            "1.3.0": "2026-03-01T06:00:00-01:00",  # 07:00 UTC: newer, though its text sorts lower
            "1.0.0": "2026-02-01T00:00:00.000Z",
        },
    }
    routes = {"/app": (200, {"Content-Type": "application/json"}, servers.json_body(document))}
    with servers.recorded(routes) as (url, _seen):
        code, doc, err = run(cli, "npm-registry", url, input_package="app")
    assert code == 0, err
    assert [a["version"] for a in doc["artifacts"]] == ["1.3.0", "1.2.0", "1.0.0", "1.10.0", "1.9.0", "0.9.0"]
    assert "3 of 6 versions have no publish time: they come last, by version" in err


# -- go-module-proxy: nginx serving the GOPROXY layout ---------------------------------------------


def goproxy_module(root: Path, module: str, infos: dict[str, str], listed: list[str] | None = None) -> Path:
    """Write a module's @v folder as `go mod download` and proxies lay it out; ``infos`` maps each
    version to its .info Time (no .info for an empty time)."""
    escaped = "".join(f"!{c.lower()}" if c.isupper() else c for c in module)
    folder = root / escaped / "@v"
    folder.mkdir(parents=True, exist_ok=True)
    (folder / "list").write_text("".join(f"{v}\n" for v in (infos if listed is None else listed)))
    for version, when in infos.items():
        if when:
            (folder / f"{version}.info").write_text(json.dumps({"Version": version, "Time": when}))
        (folder / f"{version}.mod").write_text(f"module {module}\n")
    return folder


GO_HISTORY = {  # listed in the proxy's (arbitrary) order
    "v1.10.0": "2026-04-01T12:00:00Z",
    "v1.2.0": "2026-01-10T09:00:00+01:00",
    "v1.9.1": "2026-04-01T14:00:00+02:00",  # the same instant as v1.10.0: ties go by version
    "v1.3.0": "2026-03-01T10:00:00+05:00",  # 05:00 UTC
    "v1.2.1": "2026-03-01T06:00:00-01:00",  # 07:00 UTC: newer than v1.3.0 though its text sorts lower
    "v1.11.0-rc.1": "2026-05-01T00:00:00.123456789Z",
    "v0.0.0-20240105090000-abcdef123456": "2024-01-05T09:00:00Z",  # a pseudo-version
    "v1.10.1-0.20260601080000-0123456789ab": "2026-06-01T08:00:00Z",  # a pseudo-version after v1.10.0
    "v2.0.0+incompatible": "2026-04-20T00:00:00Z",  # a v2 tag without /v2 in the module path
    "v2.1.0-beta.2+incompatible": "2026-04-25T00:00:00Z",
}


def test_go_module_proxy_orders_by_instant_and_leaves_prereleases_out(cli: CLI, tmp_path: Path) -> None:
    root = tmp_path / "goproxy"
    goproxy_module(root, "github.com/Example/app", GO_HISTORY)
    with servers.nginx(root) as url:
        code, doc, err = run(cli, "go-module-proxy", url, "--version", "v2.0.0+incompatible")
        every = run(cli, "go-module-proxy", url, input_include_prereleases="true")
    assert code == 0, err
    assert [a["version"] for a in doc["artifacts"]] == [
        "v2.0.0+incompatible",
        "v1.10.0",
        "v1.9.1",
        "v1.2.1",
        "v1.3.0",
        "v1.2.0",
    ]
    assert doc["selected"]["metadata"]["zip"] == f"{url}/github.com/!example/app/@v/v2.0.0+incompatible.zip"
    assert every[0] == 0, every[2]
    assert [a["version"] for a in every[1]["artifacts"]] == [
        "v1.10.1-0.20260601080000-0123456789ab",
        "v1.11.0-rc.1",
        "v2.1.0-beta.2+incompatible",
        "v2.0.0+incompatible",
        "v1.10.0",
        "v1.9.1",
        "v1.2.1",
        "v1.3.0",
        "v1.2.0",
        "v0.0.0-20240105090000-abcdef123456",
    ]


def test_go_module_proxy_missing_module_empty_list_and_only_prereleases(cli: CLI, tmp_path: Path) -> None:
    """A module the proxy does not have fails with the proxy's words (proxy.golang.org answers 404 or
    410 "not found: ..."); an empty @v/list says so and names @latest; a module with only
    pre-releases says what was found and why nothing was kept."""
    root = tmp_path / "goproxy"
    goproxy_module(root, "github.com/example/app", {"v1.0.0": "2026-01-01T00:00:00Z"})
    tip = goproxy_module(root, "github.com/example/tip", {}, listed=[])
    (tip.parent / "@latest").write_text(
        json.dumps({"Version": "v0.0.0-20260105090000-abcdef123456", "Time": "2026-01-05T09:00:00Z"})
    )
    (tip / "v0.0.0-20260105090000-abcdef123456.info").write_text((tip.parent / "@latest").read_text())
    goproxy_module(root, "github.com/example/next", {"v2.0.0-rc.1": "2026-01-01T00:00:00Z"})
    gone = 'location /github.com/example/gone/ { return 410 "not found: module github.com/example/gone: no matching versions for query \\"latest\\"\\n"; }'
    with servers.nginx(root, extra=gone) as url:
        absent = run(cli, "go-module-proxy", url, input_module="github.com/example/absent")
        removed = run(cli, "go-module-proxy", url, input_module="github.com/example/gone")
        empty = run(cli, "go-module-proxy", url, input_module="github.com/example/tip")
        pseudo = run(cli, "go-module-proxy", url, input_module="github.com/example/tip", input_include_prereleases="1")
        only_pre = run(cli, "go-module-proxy", url, input_module="github.com/example/next")
    assert absent[0] == 3 and f"no module github.com/example/absent on this proxy ({url})" in absent[2]
    assert removed[0] == 3
    assert (
        f'no module github.com/example/gone on this proxy ({url}): not found: module github.com/example/gone: no matching versions for query "latest"'
        in removed[2]
    )
    assert empty[0] == 0 and empty[1]["artifacts"] == []
    assert (
        "the proxy lists no versions of github.com/example/tip (its @v/list is empty: no tagged versions; "
        "its @latest is v0.0.0-20260105090000-abcdef123456 (INCLUDE_PRERELEASES=true lists it))"
    ) in empty[2]
    assert pseudo[0] == 0, pseudo[2]
    assert [a["version"] for a in pseudo[1]["artifacts"]] == ["v0.0.0-20260105090000-abcdef123456"]
    assert pseudo[1]["artifacts"][0]["metadata"]["time"] == "2026-01-05T09:00:00Z"
    assert only_pre[0] == 0 and only_pre[1]["artifacts"] == []
    assert (
        "1 versions of github.com/example/next, but none is a release "
        "(INCLUDE_PRERELEASES=true lists pre-releases and pseudo-versions)"
    ) in only_pre[2]


class SlowProxy(servers.Quiet):
    """A GOPROXY answering each .info after a pause, counting how many it serves at once."""

    infos: ClassVar[dict[str, str]] = {}
    lock = threading.Lock()
    active = 0
    most: ClassVar[list[int]] = [0]

    def do_GET(self) -> None:
        path = urllib.parse.unquote(self.path)
        prefix = "/github.com/example/busy/@v/"
        if path == prefix + "list":
            self.reply(200, "".join(f"{v}\n" for v in self.infos).encode())
            return
        version = path.removeprefix(prefix).removesuffix(".info")
        if not path.endswith(".info") or version not in self.infos:
            self.reply(404, b"not found")
            return
        cls = type(self)
        with cls.lock:
            cls.active += 1
            cls.most[0] = max(cls.most[0], cls.active)
        time.sleep(0.05)
        with cls.lock:
            cls.active -= 1
        self.reply(200, json.dumps({"Version": version, "Time": self.infos[version]}).encode())


@pytest.mark.parametrize(("concurrency", "most"), [("", 8), ("3", 3), ("1", 1)])
def test_go_module_proxy_asks_for_info_a_few_at_a_time(cli: CLI, concurrency: str, most: int) -> None:
    """The .info requests run CONCURRENCY at a time (8 by default), never more, each answer kept with
    its own version: the times are in the reverse order of the list."""
    start = datetime.datetime(2026, 1, 1, tzinfo=datetime.timezone.utc)
    count = 30
    infos = {f"v1.{n}.0": (start - datetime.timedelta(days=n)).strftime("%Y-%m-%dT%H:%M:%SZ") for n in range(count)}
    handler = type("Slow", (SlowProxy,), {"infos": infos, "active": 0, "most": [0], "lock": threading.Lock()})
    with servers.serving(handler, backlog=64) as url:
        extra = {"input_concurrency": concurrency} if concurrency else {}
        code, doc, err = run(cli, "go-module-proxy", url, input_module="github.com/example/busy", **extra)
    assert code == 0, err
    assert [a["version"] for a in doc["artifacts"]] == [f"v1.{n}.0" for n in range(count)]
    assert [a["metadata"]["time"] for a in doc["artifacts"]] == [infos[f"v1.{n}.0"] for n in range(count)]
    assert handler.most[0] == most


# -- github-releases: GitHub's documented REST answers ---------------------------------------------


def gh_release(
    tag: str, published: str | None, *, draft: bool = False, prerelease: bool = False, assets: tuple[str, ...] = ()
) -> dict[str, Any]:
    """One release as GET /repos/{owner}/{repo}/releases documents it."""
    return {
        "url": f"https://api.github.com/repos/example/app/releases/{abs(hash(tag)) % 10**6}",
        "id": abs(hash(tag)) % 10**8,
        "tag_name": tag,
        "target_commitish": "main",
        "name": tag,
        "draft": draft,
        "prerelease": prerelease,
        "created_at": "2026-01-01T00:00:00Z",
        "published_at": published,
        "html_url": f"https://github.com/example/app/releases/tag/{tag}",
        "assets": [
            {
                "name": name,
                "size": 100 + n,
                "browser_download_url": f"https://github.com/example/app/releases/download/{tag}/{name}",
            }
            for n, name in enumerate(assets)
        ],
    }


def test_github_releases_order_assets_and_prereleases(cli: CLI) -> None:
    """Releases come back from GitHub by creation, not publication: the list is ordered by
    published_at (ties by tag version), a release without the asset asked for is kept with an empty
    asset and counted on stderr, drafts are never listed, pre-releases only when asked for."""
    linux = ("checksums.txt", "app-linux-amd64.tar.gz", "app-darwin-arm64.tar.gz")
    page1 = [
        gh_release("v2.0.0", None, draft=True, assets=linux),
        gh_release("v1.9.1", "2026-03-01T10:00:00Z", assets=linux),  # the same second as v1.10.0: by version
        gh_release("v1.10.0", "2026-03-01T10:00:00Z", assets=linux),
        gh_release("v2.0.0-rc.1", "2026-02-20T00:00:00Z", prerelease=True, assets=linux),
        gh_release("v1.9.0", "2026-03-05T00:00:00Z", assets=("checksums.txt",)),  # published last, no binary
    ]
    page2 = [
        gh_release("v1.8.0", "2026-01-15T00:00:00Z", assets=()),  # no assets at all
        gh_release("nightly", "2026-02-25T00:00:00Z", prerelease=True, assets=linux),
        gh_release("v1.7.0", "2026-01-01T00:00:00Z", assets=linux),
    ]
    second = "/repositories/42/releases?per_page=100&page=2"
    routes = {
        "/repos/example/app/releases?per_page=100": (
            200,
            {"Content-Type": "application/json", "Link": f'<{{base}}{second}>; rel="next"'},
            servers.json_body(page1),
        ),
        second: (200, {"Content-Type": "application/json"}, servers.json_body(page2)),
    }
    with servers.recorded(routes) as (url, _seen):
        code, doc, err = run(cli, "github-releases", url, input_asset_regex=r"linux-amd64\.tar\.gz$")
        every = run(cli, "github-releases", url, input_include_prereleases="true", input_asset_regex="linux-amd64")
    assert code == 0, err
    assert [a["version"] for a in doc["artifacts"]] == ["v1.9.0", "v1.10.0", "v1.9.1", "v1.8.0", "v1.7.0"]
    assets = {a["version"]: a["metadata"]["asset"] for a in doc["artifacts"]}
    assert assets["v1.10.0"] == "https://github.com/example/app/releases/download/v1.10.0/app-linux-amd64.tar.gz"
    assert assets["v1.9.0"] == "" and assets["v1.8.0"] == ""
    assert r"2 of 5 releases have no asset matching ASSET_REGEX 'linux-amd64\\.tar\\.gz$' (v1.9.0, v1.8.0)" in err
    assert every[0] == 0, every[2]
    assert [a["version"] for a in every[1]["artifacts"]] == [
        "v1.9.0",
        "v1.10.0",
        "v1.9.1",
        "nightly",
        "v2.0.0-rc.1",
        "v1.8.0",
        "v1.7.0",
    ]


def test_github_releases_missing_repository_and_nothing_kept(cli: CLI) -> None:
    routes = {
        "/repos/example/app/releases?per_page=100": (
            200,
            {"Content-Type": "application/json"},
            servers.json_body(
                [
                    gh_release("v2.0.0", None, draft=True),
                    gh_release("v2.0.0-rc.2", "2026-02-01T00:00:00Z", prerelease=True),
                    gh_release("v2.0.0-rc.1", "2026-01-01T00:00:00Z", prerelease=True),
                ]
            ),
        ),
        "/repos/example/bare/releases?per_page=100": (200, {"Content-Type": "application/json"}, b"[]"),
    }
    with servers.recorded(routes) as (url, _seen):
        missing = run(cli, "github-releases", url, input_repository="nope")
        with_token = run(cli, "github-releases", url, input_repository="nope", input_github_token="ghp_abc123")
        only_pre = run(cli, "github-releases", url)
        bare = run(cli, "github-releases", url, input_repository="bare")
    assert missing[0] == 3
    assert f"no repository example/nope at {url} (or it is private: give GITHUB_TOKEN)" in missing[2]
    assert with_token[0] == 3 and "(or GITHUB_TOKEN cannot see it)" in with_token[2]
    assert only_pre[0] == 0 and only_pre[1]["artifacts"] == []
    assert (
        "3 releases of example/app, but none is kept: 1 drafts and 2 pre-releases are left out "
        "(INCLUDE_PRERELEASES=true lists pre-releases)"
    ) in only_pre[2]
    assert bare[0] == 0 and bare[1]["artifacts"] == []
    assert "example/bare has no releases" in bare[2]


# -- s3-list: moto ---------------------------------------------------------------------------------


def s3_client(endpoint: str, key_id: str, secret: str, token: str | None = None) -> Any:
    import boto3

    return boto3.client(
        "s3",
        endpoint_url=endpoint,
        region_name="us-east-1",
        aws_access_key_id=key_id,
        aws_secret_access_key=secret,
        aws_session_token=token,
    )


@pytest.mark.slow
def test_s3_list_orders_by_instant_then_version_and_says_what_no_key_matched(cli: CLI) -> None:
    """Keys written in the same second tie on LastModified (S3 keeps seconds): they go by version,
    not by key order; a key written later comes first whatever its version. FILE_REGEX with a / in it
    matches the whole key after PREFIX (here none, so the whole key). A regex matching none of the
    keys says so, and a bucket that does not exist fails with S3's code and the bucket's name."""
    with servers.moto_s3({}) as (endpoint, key_id, secret):
        s3 = s3_client(endpoint, key_id, secret)
        for _attempt in range(5):  # three keys in one second (S3's LastModified has whole seconds)
            for version in ("1.10.0", "1.2.0", "1.9.0"):
                s3.put_object(Bucket="builds", Key=f"releases/app/{version}/app.tar.gz", Body=version.encode())
            listed = s3.list_objects_v2(Bucket="builds")["Contents"]
            if len({o["LastModified"] for o in listed}) == 1:
                break
            time.sleep(0.3)
        else:
            pytest.fail("moto never wrote three keys within one second")
        time.sleep(1.1)
        s3.put_object(Bucket="builds", Key="releases/app/1.0.5/app.tar.gz", Body=b"hotfix")
        s3.put_object(Bucket="builds", Key="releases/app/1.0.5/app.tar.gz.sha256", Body=b"sum")
        signed = {"input_access_key_id": key_id, "input_secret_access_key": secret}
        code, doc, err = run(
            cli, "s3-list", endpoint, input_file_regex=r"^releases/app/([^/]+)/app\.tar\.gz$", **signed
        )
        none = run(cli, "s3-list", endpoint, input_file_regex=r"^app-(.+)\.tgz$", input_prefix="releases", **signed)
        no_bucket = run(cli, "s3-list", endpoint, input_bucket="no-such-builds", **signed)
    assert code == 0, err
    assert [a["version"] for a in doc["artifacts"]] == ["1.0.5", "1.10.0", "1.9.0", "1.2.0"]
    assert doc["artifacts"][0]["metadata"]["key"] == "releases/app/1.0.5/app.tar.gz"
    assert none[0] == 0 and none[1]["artifacts"] == []
    assert (
        "5 keys under PREFIX 'releases' in bucket builds, but none matches FILE_REGEX '^app-(.+)\\\\.tgz$' "
        "(on the name after the last /)"
    ) in none[2]
    assert no_bucket[0] == 3
    assert f"HTTP 404 NoSuchBucket: no bucket 'no-such-builds' at {endpoint}" in no_bucket[2]


@contextlib.contextmanager
def public_moto(objects: dict[str, bytes]) -> Iterator[str]:
    """moto's server without signature checks: a public bucket read anonymously (moto's check
    refuses any query holding an encoded /, boto3's own requests included, so a PREFIX such as
    releases/app/ is proven here; its signing is botocore's, test_s3_signature_matches_botocore)."""
    binary = shutil.which("moto_server")
    need(binary, "moto's server", "pip install 'moto[server]'; nox -s tests does")
    assert binary is not None
    port = servers.free_port()
    endpoint = f"http://127.0.0.1:{port}"
    env = {k: v for k, v in os.environ.items() if k != "INITIAL_NO_AUTH_ACTION_COUNT"}
    with servers.process(
        [binary, "-H", "127.0.0.1", "-p", str(port)], port, env=env, cwd=os.environ.get("TMPDIR", "/tmp")
    ):
        s3 = s3_client(endpoint, "anonymous", "anonymous")
        s3.create_bucket(Bucket="builds")
        for key, body in objects.items():
            s3.put_object(Bucket="builds", Key=key, Body=body)
        yield endpoint


def test_s3_list_file_regex_with_a_slash_matches_the_key_after_prefix(cli: CLI) -> None:
    """The version in a folder (releases/app/1.3.0/app.tar.gz): a FILE_REGEX holding a / matches the
    key after PREFIX (one folder deeper is no match); one without matches the name after the last /."""
    objects = {
        "releases/app/1.3.0/app.tar.gz": b"130",
        "releases/app/1.3.0/app.tar.gz.sha256": b"sum",
        "releases/app/1.2.0/app.tar.gz": b"120",
        "releases/app/1.2.0/notes/app.tar.gz": b"not a release",  # one folder deeper: not matched
        "releases/app/latest/README": b"",
        "releases/app-1.0.0.tgz": b"100",
    }
    with public_moto(objects) as endpoint:
        folder = run(
            cli, "s3-list", endpoint, "--version", "1.3.0",
            input_prefix="releases/app/", input_file_regex=r"^([^/]+)/app\.tar\.gz$",
        )  # fmt: skip
        by_name = run(cli, "s3-list", endpoint, input_prefix="releases/")
    assert folder[0] == 0, folder[2]
    assert sorted(a["version"] for a in folder[1]["artifacts"]) == ["1.2.0", "1.3.0"]
    assert folder[1]["selected"]["metadata"]["key"] == "releases/app/1.3.0/app.tar.gz"
    assert folder[1]["selected"]["metadata"]["url"] == f"{endpoint}/builds/releases/app/1.3.0/app.tar.gz"
    assert by_name[0] == 0, by_name[2]
    assert [a["version"] for a in by_name[1]["artifacts"]] == ["1.0.0"]


@pytest.mark.slow
def test_s3_list_with_temporary_credentials(cli: CLI) -> None:
    """Credentials from STS AssumeRole (an ASIA... key, its secret and a session token): moto accepts
    the request only with the token sent and signed; without it the key is unknown."""
    import boto3

    with servers.moto_s3({"releases/app-1.9.0.tgz": b"a", "releases/app-1.10.0.tgz": b"b"}, pause=1.1) as (
        endpoint,
        key_id,
        secret,
    ):
        signed = {"aws_access_key_id": key_id, "aws_secret_access_key": secret, "region_name": "us-east-1"}
        iam = boto3.client("iam", endpoint_url=endpoint, **signed)
        user = iam.get_user(UserName="ci")["User"]["Arn"]
        trust = {
            "Version": "2012-10-17",
            "Statement": [{"Effect": "Allow", "Principal": {"AWS": user}, "Action": "sts:AssumeRole"}],
        }
        role = iam.create_role(RoleName="reader", AssumeRolePolicyDocument=json.dumps(trust))["Role"]["Arn"]
        read = {"Version": "2012-10-17", "Statement": [{"Effect": "Allow", "Action": "s3:*", "Resource": "*"}]}
        iam.put_role_policy(RoleName="reader", PolicyName="read", PolicyDocument=json.dumps(read))
        sts = boto3.client("sts", endpoint_url=endpoint, **signed)
        temporary = sts.assume_role(RoleArn=role, RoleSessionName="harness")["Credentials"]
        assert temporary["AccessKeyId"].startswith("ASIA")
        given = {
            "input_access_key_id": temporary["AccessKeyId"],
            "input_secret_access_key": temporary["SecretAccessKey"],
            "input_prefix": "releases",
        }
        code, doc, err = run(cli, "s3-list", endpoint, input_session_token=temporary["SessionToken"], **given)
        without = run(cli, "s3-list", endpoint, **given)
        forged = run(cli, "s3-list", endpoint, input_session_token=temporary["SessionToken"] + "x", **given)
    assert code == 0, err
    assert [a["version"] for a in doc["artifacts"]] == ["1.10.0", "1.9.0"]
    assert temporary["SessionToken"] not in err + json.dumps(doc)
    assert without[0] == 3 and "HTTP 403" in without[2] and "InvalidAccessKeyId" in without[2]
    assert forged[0] == 3 and "HTTP 400" in forged[2] and "InvalidToken" in forged[2]


@pytest.mark.parametrize("prefix", ["releases%2F", ""])
def test_s3_signature_with_a_session_token_matches_botocore(prefix: str, monkeypatch: pytest.MonkeyPatch) -> None:
    """With temporary credentials the script's SigV4 is still byte for byte botocore's: the token is
    sent as x-amz-security-token and is one of the signed headers."""
    import importlib.util

    from botocore.auth import S3SigV4Auth
    from botocore.awsrequest import AWSRequest
    from botocore.credentials import Credentials

    scripts = Path(entry("s3-list").path).parent.parent / "scripts"
    monkeypatch.syspath_prepend(str(scripts))
    spec = importlib.util.spec_from_file_location("s3_list_session", scripts / "s3-list.py")
    assert spec is not None and spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    url = f"http://127.0.0.1:9000/my-bucket?list-type=2&max-keys=1000&prefix={prefix}"
    token = "IQoJb3JpZ2luX2VjEJr//////////wEaCXVzLWVhc3QtMSJHMEUCIQ+session/token=="
    secret = "wJalrXUtnFEMI/K7MDENG+bPxRfiCYEXAMPLEKEY"
    request = AWSRequest(method="GET", url=url, headers={})
    S3SigV4Auth(Credentials("ASIAEXAMPLE", secret, token), "s3", "eu-west-1").add_auth(request)
    when = datetime.datetime.strptime(request.headers["X-Amz-Date"], "%Y%m%dT%H%M%SZ").replace(
        tzinfo=datetime.timezone.utc
    )
    ours = module.sigv4_headers("GET", url, "eu-west-1", "ASIAEXAMPLE", secret, when, session_token=token)
    assert "x-amz-security-token" in request.headers["Authorization"]
    assert ours["Authorization"] == request.headers["Authorization"]
    assert ours["x-amz-security-token"] == request.headers["X-Amz-Security-Token"] == token
