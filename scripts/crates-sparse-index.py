"""Versions of a Rust crate from a sparse registry index (crates.io, Cloudsmith, Kellnr, a static index).

python3 standard library only. Newest first (the index lists versions in publish order); yanked
versions are left out unless INCLUDE_YANKED is true.
"""

import json
import os

from _http import auth_headers, base_url, get, named, write  # customsrc:include

named("crates-sparse-index")


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
