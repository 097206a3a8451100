"""Versions of a Go module from a module proxy (the GOPROXY protocol: Athens, JFrog, goproxy.io, a static mirror).

python3 standard library only. Newest first by publish time, from each version's .info.
"""

import json
import os

from _http import auth_headers, base_url, get, named, write  # customsrc:include

named("go-module-proxy")


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
