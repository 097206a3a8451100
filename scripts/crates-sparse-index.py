"""Versions of a Rust crate from a sparse registry index (crates.io, Cloudsmith, Kellnr, a static index).

python3 standard library only. Newest first (the index lists versions in publish order); yanked
versions are left out unless INCLUDE_YANKED is true.
"""

import base64
import json
import os
import sys
import urllib.error
import urllib.request

NAME = "crates-sparse-index"


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


def index_path(name):
    name = name.lower()
    if len(name) <= 2:
        return f"{len(name)}/{name}"
    if len(name) == 3:
        return f"3/{name[0]}/{name}"
    return f"{name[:2]}/{name[2:4]}/{name}"


def download_url(template, crate, version):
    markers = ("{crate}", "{version}", "{prefix}", "{lowerprefix}", "{sha256-checksum}")
    if not any(m in template for m in markers):
        return f"{template.rstrip('/')}/{crate}/{version}/download"
    prefix = index_path(crate).rsplit("/", 1)[0]
    return (
        template.replace("{crate}", crate)
        .replace("{version}", version)
        .replace("{prefix}", prefix)
        .replace("{lowerprefix}", prefix.lower())
    )


base = base_url()
crate = os.environ["CRATE"].strip()
headers = auth_headers()
config = json.loads(get(f"{base}/config.json", headers))
lines = get(f"{base}/{index_path(crate)}", headers).decode().splitlines()
keep_yanked = os.environ.get("INCLUDE_YANKED", "false").lower() == "true"
items = []
for line in reversed(lines):
    if not line.strip():
        continue
    record = json.loads(line)
    if record.get("yanked") and not keep_yanked:
        continue
    items.append(
        {
            "version": record["vers"],
            "sha256": record.get("cksum", ""),
            "url": download_url(config.get("dl", ""), record["name"], record["vers"]),
            "yanked": str(bool(record.get("yanked"))).lower(),
        }
    )
write(items)
