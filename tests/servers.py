"""Real servers for the gallery tests, started on 127.0.0.1 on free ports and always stopped.

All server start-up lives here: nginx (static files, autoindex), a server of recorded vendor
responses (their documented format, pagination headers and all), and a server that fails every
request with a given status. pypiserver, moto and docker-registry are started here too.
"""

from __future__ import annotations

import contextlib
import json
import os
import shutil
import socket
import subprocess
import time
from collections.abc import Iterator
from http.server import BaseHTTPRequestHandler
from pathlib import Path
from typing import Any, ClassVar
from urllib.parse import urlparse

from customsrc.demo import serve as serving  # one loopback server for the demo and the tests

from .helpers import need


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def wait_for_port(port: int, process: subprocess.Popen[bytes] | None = None, timeout: float = 20) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if process is not None and process.poll() is not None:
            raise RuntimeError(f"server exited with {process.returncode} before listening on {port}")
        with contextlib.suppress(OSError), socket.create_connection(("127.0.0.1", port), timeout=0.2):
            return
        time.sleep(0.05)
    raise RuntimeError(f"nothing listens on 127.0.0.1:{port} after {timeout}s")


@contextlib.contextmanager
def process(argv: list[str], port: int, *, env: dict[str, str] | None = None, cwd: str | None = None) -> Iterator[None]:
    """Run a server process until the block ends; its output goes to a log shown on failure."""
    log = Path(cwd or ".") / f"server-{port}.log"
    with open(log, "wb") as out:
        proc = subprocess.Popen(argv, stdout=out, stderr=subprocess.STDOUT, env=env, cwd=cwd, start_new_session=True)
    try:
        try:
            wait_for_port(port, proc)
        except RuntimeError as exc:
            raise RuntimeError(f"{exc}; log:\n{log.read_text(errors='replace')[-2000:]}") from None
        yield
    finally:
        with contextlib.suppress(ProcessLookupError):
            os.killpg(proc.pid, 15)
        try:
            proc.wait(10)
        except subprocess.TimeoutExpired:
            os.killpg(proc.pid, 9)
            proc.wait()


NGINX_CONF = """
daemon off;
worker_processes 1;
user root;
pid {prefix}/nginx.pid;
error_log {prefix}/error.log warn;
events {{ worker_connections 64; }}
http {{
    access_log off;
    client_body_temp_path {prefix}/tmp/body;
    proxy_temp_path {prefix}/tmp/proxy;
    fastcgi_temp_path {prefix}/tmp/fastcgi;
    uwsgi_temp_path {prefix}/tmp/uwsgi;
    scgi_temp_path {prefix}/tmp/scgi;
    types {{ application/json json; text/xml xml; application/x-yaml yaml; text/plain txt info mod; }}
    default_type application/octet-stream;
    server {{
        listen 127.0.0.1:{port};
        root {root};
        location / {{ autoindex on; autoindex_format {format}; {extra} }}
    }}
}}
"""


def _runnable(path: str) -> bool:
    return os.path.isfile(path) and os.access(path, os.X_OK)


@contextlib.contextmanager
def nginx(root: Path, *, autoindex: str = "json", extra: str = "") -> Iterator[str]:
    """nginx serving ``root``; yields its base URL."""
    binary = shutil.which("nginx") or "/usr/sbin/nginx"
    need(_runnable(binary), "nginx", "apt-get install nginx-light")
    prefix = root.parent / f"nginx-{root.name}"
    (prefix / "tmp").mkdir(parents=True, exist_ok=True)
    port = free_port()
    conf = prefix / "nginx.conf"
    conf.write_text(NGINX_CONF.format(prefix=prefix, port=port, root=root, format=autoindex, extra=extra))
    with process([binary, "-p", str(prefix), "-c", str(conf), "-e", str(prefix / "error.log")], port, cwd=str(prefix)):
        yield f"http://127.0.0.1:{port}"


@contextlib.contextmanager
def pypiserver(packages: Path) -> Iterator[str]:
    """pypiserver serving ``packages`` (auth off); yields its base URL."""
    binary = shutil.which("pypi-server")
    need(binary, "pypiserver", "pip install pypiserver; nox -s tests does")
    assert binary is not None
    port = free_port()
    argv = [binary, "run", "-p", str(port), "-i", "127.0.0.1", "-a", ".", "-P", ".", str(packages)]
    with process(argv, port, cwd=str(packages.parent)):
        yield f"http://127.0.0.1:{port}"


@contextlib.contextmanager
def moto_s3(objects: dict[str, bytes], bucket: str = "builds", pause: float = 0) -> Iterator[tuple[str, str, str]]:
    """moto's server with signature checks on (after 3 free actions that create an IAM user, its key
    and its policy), a bucket holding ``objects`` (``pause`` seconds apart, for distinct LastModified).
    Yields the endpoint, the access key id and the secret key."""
    import boto3

    binary = shutil.which("moto_server")
    need(binary, "moto's server", "pip install 'moto[server]'; nox -s tests does")
    assert binary is not None
    port = free_port()
    endpoint = f"http://127.0.0.1:{port}"
    env = {**os.environ, "INITIAL_NO_AUTH_ACTION_COUNT": "3"}
    workdir = Path(os.environ.get("TMPDIR", "/tmp"))
    with process([binary, "-H", "127.0.0.1", "-p", str(port)], port, env=env, cwd=str(workdir)):
        anonymous = {"aws_access_key_id": "setup", "aws_secret_access_key": "setup"}
        iam = boto3.client("iam", endpoint_url=endpoint, region_name="us-east-1", **anonymous)
        iam.create_user(UserName="ci")
        key = iam.create_access_key(UserName="ci")["AccessKey"]
        policy = {"Version": "2012-10-17", "Statement": [{"Effect": "Allow", "Action": "*", "Resource": "*"}]}
        iam.put_user_policy(UserName="ci", PolicyName="all", PolicyDocument=json.dumps(policy))
        s3 = boto3.client(
            "s3",
            endpoint_url=endpoint,
            region_name="us-east-1",
            aws_access_key_id=key["AccessKeyId"],
            aws_secret_access_key=key["SecretAccessKey"],
        )
        s3.create_bucket(Bucket=bucket)
        for name, body in objects.items():
            s3.put_object(Bucket=bucket, Key=name, Body=body)
            time.sleep(pause)
        yield endpoint, key["AccessKeyId"], key["SecretAccessKey"]


REGISTRY_CONF = """version: 0.1
log:
  level: error
storage:
  filesystem:
    rootdirectory: {root}
http:
  addr: 127.0.0.1:{port}
"""


@contextlib.contextmanager
def docker_registry(root: Path) -> Iterator[str]:
    """Debian's docker-registry (CNCF distribution) with filesystem storage; yields its base URL."""
    binary = shutil.which("docker-registry") or "/usr/bin/docker-registry"
    need(_runnable(binary), "docker-registry", "apt-get install docker-registry")
    port = free_port()
    root.mkdir(parents=True, exist_ok=True)
    conf = root.parent / f"registry-{port}.yml"
    conf.write_text(REGISTRY_CONF.format(root=root, port=port))
    with process([binary, "serve", str(conf)], port, cwd=str(root.parent)):
        yield f"http://127.0.0.1:{port}"


def push_image(base: str, name: str, tag: str, layer: bytes) -> str:
    """Push a one-layer OCI image over the registry's HTTP API; return the manifest digest."""
    import hashlib
    import urllib.request

    def upload(blob: bytes) -> tuple[str, int]:
        digest = "sha256:" + hashlib.sha256(blob).hexdigest()
        start = urllib.request.Request(f"{base}/v2/{name}/blobs/uploads/", method="POST", data=b"")
        with urllib.request.urlopen(start) as response:
            location = response.headers["Location"]
        location = location if location.startswith("http") else base + location
        separator = "&" if "?" in location else "?"
        put = urllib.request.Request(
            f"{location}{separator}digest={digest}",
            method="PUT",
            data=blob,
            headers={"Content-Type": "application/octet-stream"},
        )
        urllib.request.urlopen(put).close()
        return digest, len(blob)

    config = json.dumps({"architecture": "amd64", "os": "linux", "rootfs": {"type": "layers", "diff_ids": []}}).encode()
    config_digest, config_size = upload(config)
    layer_digest, layer_size = upload(layer)
    manifest = json.dumps(
        {
            "schemaVersion": 2,
            "mediaType": "application/vnd.oci.image.manifest.v1+json",
            "config": {
                "mediaType": "application/vnd.oci.image.config.v1+json",
                "digest": config_digest,
                "size": config_size,
            },
            "layers": [
                {"mediaType": "application/vnd.oci.image.layer.v1.tar+gzip", "digest": layer_digest, "size": layer_size}
            ],
        }
    ).encode()
    put = urllib.request.Request(
        f"{base}/v2/{name}/manifests/{tag}",
        method="PUT",
        data=manifest,
        headers={"Content-Type": "application/vnd.oci.image.manifest.v1+json"},
    )
    with urllib.request.urlopen(put) as response:
        return str(response.headers["Docker-Content-Digest"])


NPM_SERVER = Path(__file__).resolve().parent / "npm-server"
VERDACCIO_CONF = """storage: {root}/storage
auth:
  htpasswd:
    file: {root}/htpasswd
    max_users: -1
packages:
{private}  '**':
    access: $all
    publish: $all
uplinks: {{}}
log: {{type: stdout, format: pretty, level: error}}
listen: 127.0.0.1:{port}
"""
# With users: @private/* is readable only by a logged-in user, as on a company registry.
PRIVATE_PACKAGES = """  '@private/*':
    access: $authenticated
    publish: $authenticated
"""


@contextlib.contextmanager
def verdaccio(root: Path, users: dict[str, str] | None = None) -> Iterator[str]:
    """verdaccio, installed in tests/npm-server by nox (npm ci); yields its base URL. ``users``
    (name: password) go into its htpasswd (the {SHA} form it reads), and then @private/* packages
    need one of them."""
    import base64
    import hashlib

    binary = NPM_SERVER / "node_modules" / ".bin" / "verdaccio"
    need(shutil.which("node"), "Node.js (verdaccio's runtime)", "apt-get install nodejs npm")
    need(_runnable(str(binary)), "verdaccio", "npm ci --prefix tests/npm-server; nox -s tests does where npm is")
    port = free_port()
    root.mkdir(parents=True, exist_ok=True)
    if users:
        lines = [
            f"{user}:{{SHA}}{base64.b64encode(hashlib.sha1(password.encode()).digest()).decode()}:autocreated 2026-01-01"
            for user, password in users.items()
        ]
        (root / "htpasswd").write_text("\n".join(lines) + "\n")
    conf = root / "config.yaml"
    conf.write_text(VERDACCIO_CONF.format(root=root, port=port, private=PRIVATE_PACKAGES if users else ""))
    with process([str(binary), "--config", str(conf)], port, cwd=str(root)):
        yield f"http://127.0.0.1:{port}"


def npm_publish(
    base: str, name: str, version: str, tarball: bytes, tags: tuple[str, ...] = ("latest",), token: str | None = None
) -> str:
    """Publish one version the way the npm client does (a PUT of the package document, with the
    publisher's bearer ``token`` where the registry needs one); return its sha1 shasum."""
    import base64
    import hashlib
    import urllib.parse
    import urllib.request

    filename = f"{name.rsplit('/', maxsplit=1)[-1]}-{version}.tgz"
    shasum = hashlib.sha1(tarball).hexdigest()
    integrity = "sha512-" + base64.b64encode(hashlib.sha512(tarball).digest()).decode()
    document = {
        "_id": name,
        "name": name,
        "dist-tags": dict.fromkeys(tags, version),
        "versions": {
            version: {
                "name": name,
                "version": version,
                "dist": {"tarball": f"{base}/{name}/-/{filename}", "shasum": shasum, "integrity": integrity},
            }
        },
        "_attachments": {
            filename: {
                "content_type": "application/octet-stream",
                "data": base64.b64encode(tarball).decode(),
                "length": len(tarball),
            }
        },
    }
    request = urllib.request.Request(
        f"{base}/{urllib.parse.quote(name, safe='@')}",
        data=json.dumps(document).encode(),
        method="PUT",
        headers={"Content-Type": "application/json", **({"Authorization": f"Bearer {token}"} if token else {})},
    )
    urllib.request.urlopen(request).close()
    return shasum


Route = tuple[int, dict[str, str], bytes]


class Quiet(BaseHTTPRequestHandler):
    """A request handler that logs nothing and answers with one ``reply``."""

    def reply(self, status: int, body: bytes, headers: dict[str, str] | None = None) -> None:
        self.send_response(status)
        for name, value in (headers or {}).items():
            self.send_header(name, value)
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        self.wfile.write(body)

    def log_message(self, *_: object) -> None:
        pass


class _Recorded(Quiet):
    routes: ClassVar[dict[str, Route]] = {}
    seen: ClassVar[list[tuple[str, dict[str, str]]]] = []

    def do_GET(self) -> None:
        self.seen.append((self.path, dict(self.headers)))
        url = urlparse(self.path)
        key = url.path + (f"?{url.query}" if url.query else "")
        status, headers, body = (
            self.routes.get(key) or self.routes.get(url.path) or (404, {}, b'{"message":"Not Found"}')
        )
        base = f"http://{self.headers.get('Host')}"
        self.reply(
            status,
            body.replace(b"{base}", base.encode()),
            {name: value.replace("{base}", base) for name, value in headers.items()},
        )


@contextlib.contextmanager
def recorded(routes: dict[str, Route]) -> Iterator[tuple[str, list[tuple[str, dict[str, str]]]]]:
    """Serve recorded responses: ``{path or path?query: (status, headers, body)}``; ``{base}`` in a
    header or body becomes the server's own URL. Yields the base URL and the requests seen."""
    handler = type("Recorded", (_Recorded,), {"routes": routes, "seen": []})
    with serving(handler) as url:
        yield url, handler.seen


class _Failing(Quiet):
    status = 500

    def do_GET(self) -> None:
        body = f"<html><body><h1>{self.status}</h1></body></html>".encode()
        self.reply(self.status, body, {"Content-Type": "text/html"})

    do_HEAD = do_POST = do_GET  # AWS JSON and Query APIs ask with POST


@contextlib.contextmanager
def failing(status: int) -> Iterator[str]:
    """Every request answered with ``status`` and an HTML error page (what curl without --fail keeps)."""
    with serving(type("Failing", (_Failing,), {"status": status})) as url:
        yield url


def json_body(value: Any) -> bytes:
    return json.dumps(value).encode()
