"""Versions of a component in Sonatype Nexus Repository 3 (the search API, any format), newest first.

python3 standard library only. Follows continuationToken pages; the first asset gives the download URL,
checksums, size and publish time.
"""

import json
import os
import urllib.error
import urllib.parse
import urllib.request

from _http import auth_headers, base_url, get, named, write  # customsrc:include

named("nexus3-components")


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
