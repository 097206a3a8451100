"""Versions of a package in a Conda channel (repodata.json: conda-forge mirrors, Quetz, a static channel).

python3 standard library only. One item per file (.conda and .tar.bz2), newest first by build time:
Harness keeps the first item of each version, so that is the newest build.
"""

import json
import os
from datetime import datetime, timezone

from _http import auth_headers, base_url, get, named, write  # customsrc:include

named("conda-channel")


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
