"""Versions of a package in an npm registry (verdaccio, npmjs.org, GitHub Packages, Nexus, Artifactory).

python3 standard library only. Reads the full package document (it has publish times; the abbreviated
install document does not); newest first by publish time. Deprecated versions are kept, and say so.
"""

import json
import os
import urllib.parse

from _http import base_url, get, named, write  # customsrc:include

named("npm-registry")
base = base_url()
package = os.environ["PACKAGE"].strip()
url = f"{base}/{urllib.parse.quote(package, safe='@')}"  # a scoped name is @scope%2Fname
headers = {"Accept": "application/json"}
if os.environ.get("NPM_TOKEN"):
    headers["Authorization"] = f"Bearer {os.environ['NPM_TOKEN']}"
document = json.loads(get(url, headers))

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
write(items)
