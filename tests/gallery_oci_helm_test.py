"""oci-registry-tags and helm-index against real servers: Debian's docker-registry (CNCF distribution),
also with token authentication signed by a token server here; a registry of the OCI distribution
spec's documented responses that answers slowly, to measure the concurrency; nginx serving a chart
repository whose index.yaml is written as `helm repo index` writes it."""

from __future__ import annotations

import base64
import contextlib
import datetime
import hashlib
import json
import os
import shutil
import threading
import time
import urllib.parse
import uuid
from collections.abc import Iterator
from importlib.util import find_spec
from pathlib import Path
from typing import Any, ClassVar

import pytest

from . import servers
from .gallery_test import run, run_loud
from .helpers import CLI, need

# -- oci-registry-tags: the order, against docker-registry -----------------------------------------

# Tags as a real project's registry holds them: releases, a v-prefixed old one, release candidates
# (one older and one newer than the newest release), a beta, and names that are no version.
TAGS = [
    "1.4.0-rc.1",
    "1.4.0",
    "1.9.0",
    "v0.9.1",
    "1.10.0",
    "1.5.0-rc.1",
    "2.0.0-beta.2",
    "latest",
    "main",
    "sha-1f2e3d4",
]
RELEASES_FIRST = ["1.10.0", "1.9.0", "1.4.0", "v0.9.1", "sha-1f2e3d4", "main", "latest"]
WITH_PRERELEASES = [
    "2.0.0-beta.2",
    "1.10.0",
    "1.9.0",
    "1.5.0-rc.1",
    "1.4.0",
    "1.4.0-rc.1",
    "v0.9.1",
    "sha-1f2e3d4",
    "main",
    "latest",
]


def push_all(url: str, image: str, tags: list[str]) -> dict[str, str]:
    return {tag: servers.push_image(url, image, tag, f"layer {image} {tag}".encode()) for tag in tags}


@pytest.mark.slow
def test_oci_tags_newest_version_first_releases_only_unless_asked(cli: CLI, tmp_path: Path) -> None:
    with servers.docker_registry(tmp_path / "registry") as url:
        digests = push_all(url, "team/app", TAGS)
        servers.push_image(url, "team/api", "1.0.0", b"another image")
        code, doc, err = run(cli, "oci-registry-tags", url, input_page_size="3")
        code_pre, doc_pre, err_pre = run(cli, "oci-registry-tags", url, input_include_prereleases="true")
        code_none, doc_none, err_none = run_loud(cli, "oci-registry-tags", url, input_tag_regex="^3")
        code_rc, doc_rc, err_rc = run_loud(cli, "oci-registry-tags", url, input_tag_regex="-rc")
        code_missing, _doc, err_missing = run(cli, "oci-registry-tags", url, input_image="team/ap")
    assert code == 0, err
    assert [a["version"] for a in doc["artifacts"]] == RELEASES_FIRST  # over pages of 3 tags
    assert {a["version"]: a["metadata"]["digest"] for a in doc["artifacts"]} == {t: digests[t] for t in RELEASES_FIRST}
    assert code_pre == 0, err_pre
    assert [a["version"] for a in doc_pre["artifacts"]] == WITH_PRERELEASES
    assert doc_pre["artifacts"][3]["metadata"]["SHAV2"] == digests["1.5.0-rc.1"]
    # A regex that matches nothing: an empty list that says why, not a silent one.
    assert code_none == 0, err_none
    assert doc_none["artifacts"] == []
    assert "10 tags of team/app, but none match TAG_REGEX '^3': the list is empty" in err_none
    # Only pre-releases match: the message names the pre-release switch too.
    assert code_rc == 0, err_rc
    assert doc_rc["artifacts"] == []
    assert "but none match TAG_REGEX '-rc' and are releases (INCLUDE_PRERELEASES=true lists" in err_rc
    # An image the registry does not have fails, naming those it has (its catalog is open here).
    assert code_missing == 3
    assert "no image team/ap on this registry" in err_missing and "404 NAME_UNKNOWN" in err_missing
    assert "it has: team/app, team/api" in err_missing


# -- oci-registry-tags: concurrency and scale, against a slow registry of the spec's responses -------


class SlowRegistry(servers.Quiet):
    """GET /v2/NAME/tags/list (n, last, a Link header to the next page) and HEAD /v2/NAME/manifests/TAG
    as the OCI distribution spec documents them; each HEAD waits ``delay`` seconds (``uneven``: twice
    that for every other tag, so answers come back out of order), and the highest number in flight is kept."""

    name: ClassVar[str] = "team/app"
    tags: ClassVar[list[str]] = []
    delay: ClassVar[float] = 0.1
    uneven: ClassVar[bool] = True
    lock: ClassVar[threading.Lock]
    in_flight: ClassVar[int] = 0
    most: ClassVar[int] = 0
    heads: ClassVar[list[str]] = []
    gone: ClassVar[set[str]] = set()

    def do_GET(self) -> None:
        url = urllib.parse.urlsplit(self.path)
        query = dict(urllib.parse.parse_qsl(url.query))
        if url.path != f"/v2/{self.name}/tags/list":
            error = {"errors": [{"code": "NAME_UNKNOWN", "message": "repository name not known to registry"}]}
            self.reply(404, json.dumps(error).encode(), {"Content-Type": "application/json"})
            return
        ordered = sorted(self.tags)  # lexical, as distribution lists them
        start = ordered.index(query["last"]) + 1 if "last" in query else 0
        size = int(query.get("n", 100))
        page = ordered[start : start + size]
        headers = {"Content-Type": "application/json"}
        if start + size < len(ordered):
            headers["Link"] = f'</v2/{self.name}/tags/list?n={size}&last={page[-1]}>; rel="next"'
        self.reply(200, json.dumps({"name": self.name, "tags": page}).encode(), headers)

    def do_HEAD(self) -> None:
        tag = urllib.parse.unquote(self.path.rsplit("/manifests/", 1)[-1])
        if tag in self.gone:  # deleted after the listing: a HEAD has no body, only the status
            self.send_response(404)
            self.send_header("Content-Type", "application/json")
            self.end_headers()
            return
        with self.lock:
            type(self).in_flight += 1
            type(self).most = max(self.most, self.in_flight)
            self.heads.append(tag)
        try:
            time.sleep(self.delay * (2 if self.uneven and self.tags.index(tag) % 2 else 1))
        finally:
            with self.lock:
                type(self).in_flight -= 1
        self.send_response(200)
        self.send_header("Content-Type", "application/vnd.oci.image.index.v1+json")
        self.send_header("Docker-Content-Digest", digest_of(tag))
        self.send_header("Content-Length", "512")
        self.end_headers()


def digest_of(tag: str) -> str:
    return "sha256:" + hashlib.sha256(tag.encode()).hexdigest()


@contextlib.contextmanager
def slow_registry(
    tags: list[str], delay: float, uneven: bool = True, gone: frozenset[str] = frozenset()
) -> Iterator[tuple[str, type[SlowRegistry]]]:
    fields = {
        "tags": tags,
        "delay": delay,
        "uneven": uneven,
        "gone": gone,
        "lock": threading.Lock(),
        "heads": [],
        "most": 0,
    }
    handler: type[SlowRegistry] = type("Slow", (SlowRegistry,), fields)
    with servers.serving(handler, backlog=128) as url:
        yield url, handler


def many_tags(count: int) -> list[str]:
    """``count`` tags: patch releases of many minors, a release candidate of each, and a few others."""
    tags = ["latest", "main", "sha-0a1b2c3"]
    minor = 0
    while len(tags) < count:
        tags += [f"3.{minor}.{patch}" for patch in range(4)] + [f"3.{minor + 1}.0-rc.1"]
        minor += 1
    return tags[:count]


@pytest.mark.slow
@pytest.mark.parametrize(("concurrency", "most"), [(None, 8), ("3", 3)])
def test_oci_digests_are_read_concurrently_in_order(cli: CLI, concurrency: str | None, most: int) -> None:
    tags = many_tags(40)
    inputs = {"input_concurrency": concurrency} if concurrency else {}
    with slow_registry(tags, 0.1) as (url, registry):
        code, doc, err = run(cli, "oci-registry-tags", url, input_include_prereleases="true", **inputs)
    assert code == 0, err
    assert registry.most == most  # CONCURRENCY at a time: never more, and that many used
    expected = sorted(tags, key=_version_key, reverse=True)
    assert [a["version"] for a in doc["artifacts"]] == expected
    assert [a["metadata"]["digest"] for a in doc["artifacts"]] == [digest_of(tag) for tag in expected]
    assert sorted(registry.heads) == sorted(tags)  # each digest read once


def test_oci_a_tag_deleted_after_the_listing_is_left_out_saying_so(cli: CLI) -> None:
    tags = ["1.0.0", "1.1.0", "1.2.0", "latest"]
    with slow_registry(tags, 0.01, gone=frozenset({"1.1.0"})) as (url, _registry):
        code, doc, err = run_loud(cli, "oci-registry-tags", url)
    assert code == 0, err
    assert [a["version"] for a in doc["artifacts"]] == ["1.2.0", "1.0.0", "latest"]
    assert "tag 1.1.0 was listed but its manifest is gone (HTTP 404): left out" in err


def _version_key(tag: str) -> Any:
    import sys

    scripts = str(Path(__file__).resolve().parent.parent / "scripts")
    if scripts not in sys.path:
        sys.path.insert(0, scripts)
    import _http

    return (_http.version_key(tag), tag)


@pytest.mark.slow
def test_oci_600_tags_on_a_slow_registry_within_the_timeout(cli: CLI) -> None:
    """600 tags at 100 ms a HEAD: one after another that is 60 s, twice the template's 30 s timeout;
    8 at a time they are all read (MAX_TAGS=0) well within it, and by default only the newest 200 are."""
    tags = many_tags(600)
    releases = [tag for tag in sorted(tags, key=_version_key, reverse=True) if "-rc" not in tag]
    with slow_registry(tags, 0.1, uneven=False) as (url, registry):
        started = time.monotonic()
        code, doc, err = run(cli, "oci-registry-tags", url, input_include_prereleases="true", input_max_tags="0")
        took = time.monotonic() - started
        heads_all = len(registry.heads)
        del registry.heads[:]
        code_cut, doc_cut, err_cut = run_loud(cli, "oci-registry-tags", url)
    assert code == 0, err
    assert len(doc["artifacts"]) == 600 and heads_all == 600
    assert took < 20, took  # measured: about 11 s here (60 s one at a time)
    assert code_cut == 0, err_cut
    assert [a["version"] for a in doc_cut["artifacts"]] == releases[:200]
    assert len(registry.heads) == 200  # digests read for the listed tags only
    assert f"{len(releases)} tags of team/app are kept; listing the newest 200 only" in err_cut


# -- oci-registry-tags: token authentication, against docker-registry ------------------------------

SERVICE = "customsrc-test-registry"
ISSUER = "customsrc-test-token-server"
USERS = {"deployer": "s3cr3t-pw"}


def _b64url(data: bytes) -> str:
    return base64.urlsafe_b64encode(data).rstrip(b"=").decode()


class TokenKey:
    """An RSA key and its self-signed certificate (the registry's rootcertbundle), signing RS256 JWTs
    with the certificate in the x5c header, as distribution's token authentication expects."""

    def __init__(self, folder: Path) -> None:
        from cryptography import x509
        from cryptography.hazmat.primitives import hashes, serialization
        from cryptography.hazmat.primitives.asymmetric import rsa
        from cryptography.x509.oid import NameOID

        self.key = rsa.generate_private_key(public_exponent=65537, key_size=2048)
        name = x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, ISSUER)])
        now = datetime.datetime.now(datetime.timezone.utc)
        self.certificate = (
            x509.CertificateBuilder()
            .subject_name(name)
            .issuer_name(name)
            .public_key(self.key.public_key())
            .serial_number(x509.random_serial_number())
            .not_valid_before(now - datetime.timedelta(minutes=5))
            .not_valid_after(now + datetime.timedelta(days=1))
            .add_extension(x509.BasicConstraints(ca=True, path_length=None), critical=True)
            .sign(self.key, hashes.SHA256())
        )
        self.bundle = folder / "token-root.pem"
        self.bundle.write_bytes(self.certificate.public_bytes(serialization.Encoding.PEM))
        self.der = self.certificate.public_bytes(serialization.Encoding.DER)

    def sign(self, claims: dict[str, Any]) -> str:
        from cryptography.hazmat.primitives import hashes
        from cryptography.hazmat.primitives.asymmetric import padding

        header = {"typ": "JWT", "alg": "RS256", "x5c": [base64.b64encode(self.der).decode()]}
        signing_input = f"{_b64url(json.dumps(header).encode())}.{_b64url(json.dumps(claims).encode())}"
        signature = self.key.sign(signing_input.encode(), padding.PKCS1v15(), hashes.SHA256())
        return f"{signing_input}.{_b64url(signature)}"


class TokenServer(servers.Quiet):
    """A token service (distribution's token authentication spec): GET /token?service=&scope=&account=
    with optional basic auth; a wrong password is 401; pull on public/* is granted to anyone, on
    private/* to the users it knows; anything else is granted nothing (the registry then says 401)."""

    key: ClassVar[TokenKey]
    seen: ClassVar[list[tuple[dict[str, str], str]]] = []

    def do_GET(self) -> None:
        url = urllib.parse.urlsplit(self.path)
        query = dict(urllib.parse.parse_qsl(url.query))
        auth = self.headers.get("Authorization", "")
        self.seen.append((query, auth))
        user = ""
        if auth:
            name, _, password = base64.b64decode(auth.removeprefix("Basic ")).decode().partition(":")
            if USERS.get(name) != password:
                body = json.dumps({"details": "incorrect username or password"}).encode()
                self.reply(401, body, {"Content-Type": "application/json"})
                return
            user = name
        access = []
        kind, _, rest = query.get("scope", "").partition(":")
        repository, _, _actions = rest.rpartition(":")
        if kind == "repository" and (repository.startswith("public/") or (user and repository.startswith("private/"))):
            access.append({"type": "repository", "name": repository, "actions": ["pull"]})
        now = int(time.time())
        claims = {
            "iss": ISSUER,
            "sub": user,
            "aud": query.get("service", ""),
            "exp": now + 300,
            "nbf": now - 10,
            "iat": now,
            "jti": uuid.uuid4().hex,
            "access": access,
        }
        token = self.key.sign(claims)
        body = json.dumps({"token": token, "access_token": token, "expires_in": 300}).encode()
        self.reply(200, body, {"Content-Type": "application/json"})


TOKEN_REGISTRY_CONF = (
    servers.REGISTRY_CONF
    + """auth:
  token:
    realm: {realm}
    service: {service}
    issuer: {issuer}
    rootcertbundle: {bundle}
"""
)


@contextlib.contextmanager
def token_registry(root: Path, realm: str, bundle: Path) -> Iterator[str]:
    """docker-registry over the images under ``root``, asking for Bearer tokens from ``realm``."""
    binary = shutil.which("docker-registry") or "/usr/bin/docker-registry"
    need(os.path.isfile(binary) and os.access(binary, os.X_OK), "docker-registry", "apt-get install docker-registry")
    port = servers.free_port()
    conf = root.parent / f"registry-token-{port}.yml"
    conf.write_text(
        TOKEN_REGISTRY_CONF.format(root=root, port=port, realm=realm, service=SERVICE, issuer=ISSUER, bundle=bundle)
    )
    with servers.process([binary, "serve", str(conf)], port, cwd=str(root.parent)):
        yield f"http://127.0.0.1:{port}"


@pytest.mark.slow
def test_oci_token_auth_anonymous_and_with_credentials(cli: CLI, tmp_path: Path) -> None:
    need(find_spec("cryptography"), "cryptography (signs the token server's JWTs)", "pip install cryptography")
    root = tmp_path / "registry"
    with servers.docker_registry(root) as plain:  # push without auth, then serve the same storage with it
        public = push_all(plain, "public/app", ["1.0.0", "1.1.0", "latest"])
        private = push_all(plain, "private/app", ["2.0.0", "2.1.0-rc.1", "2.1.0"])
    handler: type[TokenServer] = type("Tokens", (TokenServer,), {"key": TokenKey(tmp_path), "seen": []})
    with servers.serving(handler) as tokens, token_registry(root, f"{tokens}/token", handler.key.bundle) as url:
        anonymous = run(cli, "oci-registry-tags", url, input_image="public/app")
        anonymous_seen = list(handler.seen)
        del handler.seen[:]
        signed_in = run(
            cli,
            "oci-registry-tags",
            url,
            input_image="private/app",
            input_repo_user="deployer",
            input_repo_password="s3cr3t-pw",
        )
        signed_in_seen = list(handler.seen)
        refused = run(cli, "oci-registry-tags", url, input_image="private/app")
        wrong = run(
            cli,
            "oci-registry-tags",
            url,
            input_image="private/app",
            input_repo_user="deployer",
            input_repo_password="wrong",
        )
    code, doc, err = anonymous
    assert code == 0, err
    assert [(a["version"], a["metadata"]["digest"]) for a in doc["artifacts"]] == [
        ("1.1.0", public["1.1.0"]),
        ("1.0.0", public["1.0.0"]),
        ("latest", public["latest"]),
    ]
    assert anonymous_seen == [({"service": SERVICE, "scope": "repository:public/app:pull"}, "")]
    code, doc, err = signed_in
    assert code == 0, err
    assert [(a["version"], a["metadata"]["SHAV2"]) for a in doc["artifacts"]] == [
        ("2.1.0", private["2.1.0"]),
        ("2.0.0", private["2.0.0"]),
    ]
    expected_auth = "Basic " + base64.b64encode(b"deployer:s3cr3t-pw").decode()
    assert signed_in_seen == [
        ({"service": SERVICE, "scope": "repository:private/app:pull", "account": "deployer"}, expected_auth)
    ]  # one token, for the listing and every digest
    code, _doc, err = refused  # anonymous: the token grants nothing on private/*
    assert code == 3 and "HTTP 401" in err and f"{url}/v2/private/app/tags/list" in err
    code, _doc, err = wrong  # the token service refuses the password: said, with where
    assert code == 3 and "HTTP 401" in err and f"{tokens}/token" in err


# -- helm-index, against nginx ---------------------------------------------------------------------


def helm_index(charts: dict[str, list[dict[str, Any]]]) -> str:
    """index.yaml as `helm repo index` writes it (Go's yaml: keys sorted, sequences not indented,
    created as RFC3339Nano with the offset it was made in, strings quoted where YAML needs it)."""
    lines = ["apiVersion: v1", "entries:"]
    for name in sorted(charts):
        lines.append(f"  {name}:")
        for version in charts[name]:
            fields = {"apiVersion": "v2", "name": name, **version}
            fields.setdefault("urls", [f"charts/{name}-{version['version']}.tgz"])
            fields.setdefault("digest", hashlib.sha256(f"{name}-{version['version']}".encode()).hexdigest())
            first = True
            for key in sorted(fields):
                value = fields[key]
                prefix = "  - " if first else "    "
                first = False
                if isinstance(value, list):
                    lines.append(f"{prefix}{key}:")
                    lines += [f"    - {v}" for v in value]
                elif isinstance(value, bool):
                    lines.append(f"{prefix}{key}: {str(value).lower()}")
                else:
                    quoted = key in ("created", "appVersion")
                    lines.append(f'{prefix}{key}: "{value}"' if quoted else f"{prefix}{key}: {value}")
    lines.append('generated: "2024-01-07T10:00:00.987654321+01:00"')
    return "\n".join(lines) + "\n"


# mychart's versions, in the order helm writes them (highest version first), published in another
# order: a backport (1.0.5) after 1.1.1, whose created text sorts higher only as text; two builds at
# the same instant written in two offsets (a tie: the higher version first, though the lower one's text
# sorts higher); two a nanosecond apart (a float of seconds cannot tell them apart).
MYCHART = [
    {"version": "1.2.0-rc.1", "appVersion": "2.0.0-rc.1", "created": "2024-01-06T08:00:00Z"},
    {"version": "1.1.1", "appVersion": "1.9.1", "created": "2024-01-05T10:00:00.123456789+02:00"},
    {"version": "1.1.0", "appVersion": "1.9.0", "created": "2024-01-04T20:00:00.5-08:00"},
    {"version": "1.0.5", "appVersion": "1.8.5", "created": "2024-01-05T09:30:00Z"},
    {"version": "1.0.4", "appVersion": "1.8.4", "created": "2024-01-03T12:00:00.5Z"},
    {"version": "1.0.3", "appVersion": "1.8.3", "created": "2024-01-03T13:00:00.500000000+01:00"},
    {"version": "1.0.2", "appVersion": "1.8.2", "created": "2024-01-02T00:00:00.000000001Z"},
    {"version": "1.0.1", "appVersion": "1.8.1", "created": "2024-01-02T00:00:00.000000002Z"},
    {"version": "1.0.0-beta.1", "appVersion": "1.8.0", "created": "2023-12-20T09:00:00+05:30"},
]
# As instants in UTC: 1.1.0 is 04:00:00.5 on the 5th, 1.1.1 08:00:00.123456789, 1.0.5 09:30.
MYCHART_NEWEST_FIRST = ["1.0.5", "1.1.1", "1.1.0", "1.0.4", "1.0.3", "1.0.1", "1.0.2"]
OTHER_CHARTS = [f"{name}" for name in ("api", "web", "worker", "cron", "db", "cache", "queue", "proxy", "auth", "ui")]


@pytest.fixture(params=["as helm writes it", "oldest first"])
def chart_repo(tmp_path: Path, request: pytest.FixtureRequest) -> Iterator[str]:
    """nginx serving the index as helm writes it (highest version first), and with each chart's
    versions the other way round, as a tool appending to the index leaves them: the same result."""
    root = tmp_path / "charts"
    root.mkdir()
    flip = request.param == "oldest first"
    charts: dict[str, list[dict[str, Any]]] = {"mychart": MYCHART[::-1] if flip else MYCHART}
    charts["oldchart"] = [
        {"version": "0.3.0", "created": "2023-06-01T10:00:00Z", "deprecated": True},
        {"version": "0.2.0", "created": "2023-05-01T10:00:00Z", "deprecated": True},
    ][:: -1 if flip else 1]
    charts["nightly"] = [
        {"version": "0.1.0-nightly.20240102", "created": "2024-01-02T01:00:00Z"},
        {"version": "0.1.0-nightly.20240101", "created": "2024-01-01T01:00:00Z"},
    ]
    for name in OTHER_CHARTS:
        charts[name] = [{"version": "1.0.0", "created": "2024-01-01T00:00:00Z"}]
    (root / "index.yaml").write_text(helm_index(charts))
    with servers.nginx(root) as url:
        yield url


def test_helm_index_written_by_the_helper_reads_as_helm_writes_it() -> None:
    import yaml

    doc = yaml.safe_load(helm_index({"mychart": MYCHART[:2]}))
    assert doc["entries"]["mychart"][1]["created"] == "2024-01-05T10:00:00.123456789+02:00"
    assert doc["entries"]["mychart"][0]["urls"] == ["charts/mychart-1.2.0-rc.1.tgz"]


def test_helm_created_compared_as_instants_releases_only(cli: CLI, chart_repo: str) -> None:
    code, doc, err = run(cli, "helm-index", chart_repo)
    assert code == 0, err
    assert [a["version"] for a in doc["artifacts"]] == MYCHART_NEWEST_FIRST
    first = doc["artifacts"][0]["metadata"]
    assert first["created"] == "2024-01-05T09:30:00Z"
    assert first["url"] == f"{chart_repo}/charts/mychart-1.0.5.tgz"
    assert first["deprecated"] == "false"


def test_helm_prereleases_when_asked(cli: CLI, chart_repo: str) -> None:
    code, doc, err = run(cli, "helm-index", chart_repo, input_include_prereleases="true")
    assert code == 0, err
    assert [a["version"] for a in doc["artifacts"]] == ["1.2.0-rc.1", *MYCHART_NEWEST_FIRST, "1.0.0-beta.1"]
    code, doc, err = run_loud(cli, "helm-index", chart_repo, input_chart="nightly")
    assert code == 0, err
    assert doc["artifacts"] == []
    assert "2 versions of nightly, but none are releases (INCLUDE_PRERELEASES=true lists pre-releases too)" in err


def test_helm_deprecated_charts_are_kept_and_say_so(cli: CLI, chart_repo: str) -> None:
    code, doc, err = run(cli, "helm-index", chart_repo, input_chart="oldchart")
    assert code == 0, err
    assert [(a["version"], a["metadata"]["deprecated"]) for a in doc["artifacts"]] == [
        ("0.3.0", "true"),
        ("0.2.0", "true"),
    ]


def test_helm_a_chart_the_index_lacks_fails_naming_those_it_has(cli: CLI, chart_repo: str) -> None:
    code, _doc, err = run(cli, "helm-index", chart_repo, input_chart="mychrt")
    assert code == 3
    prefix = f"helm-index: no chart mychrt in {chart_repo}/index.yaml; it has: "
    assert prefix in err, err
    line = err[err.index(prefix) :].splitlines()[0]
    names = line.removeprefix(prefix).removesuffix(" (13 in all)").split(", ")
    assert line.endswith(" (13 in all)") and len(names) == 10
    assert names[0] == "mychart"  # the close match first, then the rest in name order
    assert names[1:] == sorted(["oldchart", "nightly", *OTHER_CHARTS])[:9]
