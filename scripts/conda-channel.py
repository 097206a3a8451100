"""Versions of a package in a Conda channel (repodata.json: conda-forge mirrors, Quetz, a static channel).

python3 standard library only. One item per file (.conda and .tar.bz2), newest first by build time:
Harness keeps the first item of each version, so that is the newest build.
"""

import base64
import json
import os
import sys
import urllib.error
import urllib.request
from datetime import datetime, timezone

NAME = "conda-channel"


def fail(message):
    print(f"{NAME}: {message}", file=sys.stderr)
    sys.exit(1)


def get(url, headers):
    request = urllib.request.Request(url, headers=headers)
    try:
        with urllib.request.urlopen(request, timeout=30) as response:
            return response.read()
    except urllib.error.HTTPError as exc:
        fail(f"HTTP {exc.code} {exc.reason} from {url}")
    except urllib.error.URLError as exc:
        fail(f"cannot reach {url}: {exc.reason}")


def base_url():
    url = os.environ["REPO_URL"].rstrip("/")
    if not url.startswith(("http://", "https://")):
        fail(f"REPO_URL must be an http(s) URL, got {url!r}")
    return url


def auth_headers():
    if os.environ.get("REPO_USER"):
        token = f"{os.environ['REPO_USER']}:{os.environ.get('REPO_PASSWORD', '')}".encode()
        return {"Authorization": "Basic " + base64.b64encode(token).decode()}
    return {}


def write(items):
    with open(os.environ["HARNESS_ARTIFACT_RESULT_PATH"], "w", encoding="utf-8") as out:
        json.dump({"items": items}, out)


base = base_url()
package, subdir = os.environ["PACKAGE"].strip(), (os.environ.get("SUBDIR") or "noarch").strip()
repodata = json.loads(get(f"{base}/{subdir}/repodata.json", auth_headers()))
items = []
for section in ("packages.conda", "packages"):
    for filename, record in (repodata.get(section) or {}).items():
        if record.get("name") != package:
            continue
        stamp = record.get("timestamp") or 0
        stamp = stamp / 1000 if stamp > 10**11 else stamp  # conda writes milliseconds (older: seconds)
        items.append(
            {
                "version": str(record.get("version", "")),
                "build": str(record.get("build", "")),
                "url": f"{base}/{subdir}/{filename}",
                "sha256": record.get("sha256", ""),
                "size": str(record.get("size", "")),
                "published": datetime.fromtimestamp(stamp, timezone.utc).isoformat() if stamp else "",
                "_order": (stamp, record.get("build_number", 0)),
            }
        )
items.sort(key=lambda item: item["_order"], reverse=True)
for item in items:
    del item["_order"]
write(items)
