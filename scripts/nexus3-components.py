"""Versions of a component in Sonatype Nexus Repository 3 (the search API, any format), newest first.

python3 standard library only. Follows continuationToken pages; the first asset gives the download URL,
checksums, size and publish time.
"""

import base64
import json
import os
import sys
import urllib.error
import urllib.parse
import urllib.request

NAME = "nexus3-components"


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
query = {
    "repository": os.environ["REPOSITORY"],
    "name": os.environ["COMPONENT"],
    "sort": "version",
    "direction": "desc",
}
for key, variable in (("group", "GROUP"), ("format", "FORMAT")):
    if os.environ.get(variable):
        query[key] = os.environ[variable]
headers = {"Accept": "application/json", **auth_headers()}
items, token = [], None
while True:
    page = dict(query, continuationToken=token) if token else query
    data = json.loads(get(f"{base}/service/rest/v1/search?{urllib.parse.urlencode(page)}", headers))
    for component in data.get("items") or []:
        asset = (component.get("assets") or [{}])[0]
        checksum = asset.get("checksum") or {}
        items.append(
            {
                "version": component.get("version"),
                "url": asset.get("downloadUrl", ""),
                "sha1": checksum.get("sha1", ""),
                "sha256": checksum.get("sha256", ""),
                "size": str(asset.get("fileSize", "")),
                "lastModified": asset.get("lastModified", ""),
                "group": component.get("group") or "",
                "name": component.get("name", ""),
            }
        )
    token = data.get("continuationToken")
    if not token:
        break
write(items)
