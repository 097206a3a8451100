"""An embedded default for ``customsrc demo``: a small Nexus-style repository served on
127.0.0.1, and a source whose bash + curl script queries it with a bearer token (on a machine
without curl, the same request with python3's standard library, so the quick start needs Python only).

Everything here is real: a real HTTP server on loopback, a real bash script, real curl.
"""

from __future__ import annotations

import json
import threading
from collections.abc import Iterator
from contextlib import contextmanager
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from urllib.parse import parse_qs, urlparse

TYPE_CHECKING = False
if TYPE_CHECKING:
    from typing import Any

DEMO_TOKEN = "demo-token-7f3c9a"  # noqa: S105 - the demo's secret: watch it come out masked
VERSIONS = ["2.4.1", "2.4.0", "2.3.7", "2.3.6-rc1", "2.2.0"]


def _components(base: str) -> dict[str, Any]:
    items = []
    for n, version in enumerate(VERSIONS):
        items.append(
            {
                "id": f"ZGVtby1hcHA6{n}",
                "repository": "releases",
                "format": "maven2",
                "group": "com.example",
                "name": "demo-app",
                "version": version,
                "assets": [
                    {
                        "downloadUrl": f"{base}/repository/releases/com/example/demo-app/{version}/"
                        f"demo-app-{version}.jar",
                        "path": f"com/example/demo-app/{version}/demo-app-{version}.jar",
                        "checksum": {
                            "sha1": f"{n:02d}" + "a1b2c3d4" * 4 + "e5f6",
                            "md5": f"{n:02d}" + "9f8e7d6c" * 3 + "bb",
                        },
                        "fileSize": 1048576 + n * 4096,
                        "lastModified": f"2026-11-{20 - n:02d}T10:00:00.000+00:00",
                    }
                ],
            }
        )
    return {"items": items, "continuationToken": None}


class _Handler(BaseHTTPRequestHandler):
    def do_GET(self) -> None:
        url = urlparse(self.path)
        if self.headers.get("Authorization") != f"Bearer {DEMO_TOKEN}":
            self._send(401, {"message": "Unauthorized"})
            return
        if url.path != "/service/rest/v1/components":
            self._send(404, {"message": "Not Found"})
            return
        repo = parse_qs(url.query).get("repository", [""])[0]
        if repo != "releases":
            self._send(404, {"message": f"Repository not found: {repo}"})
            return
        port = self.server.server_port  # type: ignore[attr-defined]
        self._send(200, _components(f"http://127.0.0.1:{port}"))

    def _send(self, status: int, body: dict[str, Any]) -> None:
        data = json.dumps(body, indent=2).encode()
        self.send_response(status)
        self.send_header("Content-Type", "application/json")
        self.send_header("Content-Length", str(len(data)))
        self.end_headers()
        self.wfile.write(data)

    def log_message(self, format: str, *args: Any) -> None:
        pass


@contextmanager
def serve(handler: type[BaseHTTPRequestHandler] = _Handler, backlog: int = 5) -> Iterator[str]:
    """Serve ``handler`` (the demo repository by default) on a free loopback port in a thread;
    yield its base URL. ``backlog`` is the listen queue: raise it when many clients connect at
    once. The tests serve their recorded and counting handlers through this too."""
    server_class = type("Server", (ThreadingHTTPServer,), {"request_queue_size": backlog})
    server = server_class(("127.0.0.1", 0), handler)
    thread = threading.Thread(target=server.serve_forever, name="customsrc-serve", daemon=True)
    thread.start()
    try:
        yield f"http://127.0.0.1:{server.server_address[1]}"
    finally:
        server.shutdown()
        server.server_close()
        thread.join()


SOURCE = """\
# The demo source: Harness's own Nexus `components` example, run against a local server.
identifier: demo_nexus_components
type: CustomArtifact
spec:
  version: <+lastPublished.tag>
  versionRegex: ^2\\.3\\.
  inputs:
    - name: NEXUS_URL
      type: String
      value: <+input>
    - name: REPOSITORY
      type: String
      value: releases
  scripts:
    fetchAllArtifacts:
      artifactsArrayPath: $.items
      versionPath: version
      attributes:
        - {name: url, type: String, value: "assets[0].downloadUrl"}
        - {name: sha1, type: String, value: "assets[0].checksum.sha1"}
        - {name: size, type: String, value: "assets[0].fileSize"}
      spec:
        shell: Bash
        source:
          type: Inline
          spec:
            script: |
              set -euo pipefail
              url="$NEXUS_URL/service/rest/v1/components?repository=$REPOSITORY"
              echo "GET $url (token <+secrets.getValue("nexus_token")>)" >&2
              if command -v curl >/dev/null; then
                curl --fail --silent --show-error \\
                  -H "Authorization: Bearer <+secrets.getValue("nexus_token")>" \\
                  -o "$HARNESS_ARTIFACT_RESULT_PATH" "$url"
              else  # a machine without curl: the same request with Python's standard library
                TOKEN="<+secrets.getValue("nexus_token")>" python3 -c 'import os, sys, urllib.request as r
              request = r.Request(sys.argv[1], headers={"Authorization": "Bearer " + os.environ["TOKEN"]})
              open(os.environ["HARNESS_ARTIFACT_RESULT_PATH"], "wb").write(r.urlopen(request).read())' "$url"
              fi
"""
