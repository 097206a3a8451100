"""Versions of a package in an npm registry (verdaccio, npmjs.org, GitHub Packages, Nexus, Artifactory).

python3 standard library only. Reads the full package document (it has publish times; the abbreviated
install document does not); newest first by publish time. Deprecated versions are kept, and say so.
"""

import json
import os
import sys
import urllib.error
import urllib.parse
import urllib.request

# customsrc:include _net.py

NAME = "npm-registry"


def fail(message):
    print(f"{NAME}: {message}", file=sys.stderr)
    sys.exit(1)


base = os.environ["REPO_URL"].rstrip("/")
if not base.startswith(("http://", "https://")):
    fail(f"REPO_URL must be an http(s) URL, got {base!r}")
package = os.environ["PACKAGE"].strip()
url = f"{base}/{urllib.parse.quote(package, safe='@')}"  # a scoped name is @scope%2Fname
headers = {"Accept": "application/json"}
if os.environ.get("NPM_TOKEN"):
    headers["Authorization"] = f"Bearer {os.environ['NPM_TOKEN']}"
try:
    with urllib.request.urlopen(urllib.request.Request(url, headers=headers), timeout=30) as response:
        document = json.loads(response.read())
except urllib.error.HTTPError as exc:
    fail(f"HTTP {exc.code} {exc.reason} from {url}")
except urllib.error.URLError as exc:
    fail(f"cannot reach {url}: {exc.reason}")

times = document.get("time") or {}
tags = {}
for tag, version in (document.get("dist-tags") or {}).items():
    tags.setdefault(version, []).append(tag)
items = []
for version, manifest in (document.get("versions") or {}).items():
    dist = manifest.get("dist") or {}
    items.append(
        {
            "version": version,
            "published": times.get(version, ""),
            "tarball": dist.get("tarball", ""),
            "shasum": dist.get("shasum", ""),
            "integrity": dist.get("integrity", ""),
            "tags": ",".join(sorted(tags.get(version, []))),
            "deprecated": str(bool(manifest.get("deprecated"))).lower(),
        }
    )
items.sort(key=lambda item: item["published"], reverse=True)
with open(os.environ["HARNESS_ARTIFACT_RESULT_PATH"], "w", encoding="utf-8") as out:
    json.dump({"items": items}, out)
