"""Tags of a Quay repository (quay.io or Red Hat Quay) from Quay's API, newest first by last_modified.

python3 standard library only. GET /api/v1/repository/NS/REPO/tag/?onlyActiveTags=true&limit=100&page=N
while has_additional is true; each active tag with its manifest digest, whether it is a manifest list,
its size and its last_modified (RFC 1123, compared as an instant). A bearer token (an OAuth
application token or a robot's, a secret) for private repositories; anonymous otherwise.
"""

import os
import urllib.parse

from _http import base_url, fail, named, number, write  # customsrc:include
from _registry import get_json, keep, newest, required, rfc1123  # customsrc:include

named("quay-tags")


def main():
    base = base_url(adds=("/api/v1",))
    repository = required("REPOSITORY", "myorg/app (quay.io/myorg/app)")
    if "/" not in repository:
        fail(f"REPOSITORY must be NAMESPACE/NAME, e.g. myorg/app, got {repository!r}")
    limit = number("PAGE_SIZE", 100, 1, 100)
    headers = {"Accept": "application/json"}
    token = os.environ.get("QUAY_TOKEN", "").strip()
    if token:
        headers["Authorization"] = f"Bearer {token}"
    why = "or QUAY_TOKEN cannot read it" if token else "or it is private: give QUAY_TOKEN"
    path = "/".join(urllib.parse.quote(part, safe="") for part in repository.split("/"))
    tags, page = [], 1
    while True:
        url = f"{base}/api/v1/repository/{path}/tag/?onlyActiveTags=true&limit={limit}&page={page}"
        missing = f"no repository {repository} on {base} ({why})" if page == 1 else None
        answer, _headers = get_json(url, headers, missing=missing, base=base)
        if not isinstance(answer, dict) or not isinstance(answer.get("tags"), list):
            fail(f"{url.partition('?')[0]} did not answer a page of tags (no tags list)")
        tags += [tag for tag in answer["tags"] if isinstance(tag, dict) and tag.get("name")]
        if not answer.get("has_additional") or not answer["tags"]:
            break
        page += 1

    host = urllib.parse.urlsplit(base).netloc
    items, names = [], set()
    for tag in tags:
        if tag["name"] in names:  # listed twice (a page boundary moved while listing): the first is newest
            continue
        names.add(tag["name"])
        digest = tag.get("manifest_digest") or ""
        items.append(
            {
                "version": tag["name"],
                "time": rfc1123(tag.get("last_modified")),
                "digest": digest,
                "lastModified": tag.get("last_modified") or "",
                "isManifestList": "true" if tag.get("is_manifest_list") else "false",
                "size": "" if tag.get("size") is None else str(tag["size"]),
                "expiration": tag.get("expiration") or "",
                "image": f"{host}/{repository}:{tag['name']}",
                "imageByDigest": f"{host}/{repository}@{digest}" if digest else "",
            }
        )
    kept, kept_by = keep(newest(items))
    for item in kept:
        del item["time"]
    write(kept, found=f"{len(items)} tags of {repository}" if items else f"{repository} has no tags", kept_by=kept_by)


if __name__ == "__main__":
    main()
