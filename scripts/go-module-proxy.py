"""Versions of a Go module from a module proxy (the GOPROXY protocol: Athens, JFrog, goproxy.io, a static mirror).

python3 standard library only. Newest first by publish time, from each version's .info.
"""

import base64
import json
import os
import sys
import urllib.error
import urllib.request

NAME = "go-module-proxy"


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


def escape(path):
    """The proxy protocol's case encoding: an upper-case letter becomes '!' and its lower case."""
    return "".join(f"!{c.lower()}" if c.isupper() else c for c in path)


base = base_url()
module = os.environ["MODULE"].strip()
headers = auth_headers()
root = f"{base}/{escape(module)}/@v"
versions = [v.strip() for v in get(f"{root}/list", headers).decode().splitlines() if v.strip()]
items = []
for version in versions:
    info = json.loads(get(f"{root}/{escape(version)}.info", headers))
    items.append(
        {
            "version": info.get("Version", version),
            "time": info.get("Time", ""),
            "zip": f"{root}/{escape(version)}.zip",
            "mod": f"{root}/{escape(version)}.mod",
            "module": module,
        }
    )
items.sort(key=lambda item: item["time"], reverse=True)
write(items)
