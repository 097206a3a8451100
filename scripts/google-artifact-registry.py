"""Versions of a package in Google Artifact Registry (any format) from its REST API v1.

python3 standard library only. Lists .../packages/PKG/versions and .../packages/PKG/tags, following
nextPageToken. A docker image's versions are its manifest digests (sha256:...): each of its tags is an
item, with the digest from the version's name; an untagged digest is left out. In the other formats
(Maven, npm, Python, Go, apt, yum, generic) each version is an item, with the tags pointing at it
(npm's dist-tags). Newest first by the version's createTime as an instant, ties by version order.
A bearer OAuth access token (gcloud auth print-access-token, a service account's token), a secret.
"""

import os
import urllib.parse

from _http import base_url, fail, named, number, say, write  # customsrc:include
from _registry import get_json, keep, newest, required  # customsrc:include

named("google-artifact-registry")


def last_part(name, collection):
    """The id after /COLLECTION/ in a resource name, decoded (team%2Fapp: team/app)."""
    return urllib.parse.unquote(name.rpartition(f"/{collection}/")[2]) if f"/{collection}/" in name else ""


def listing(url, field, headers, base, missing):
    """Every entry of ``field`` across the pages of a list call (nextPageToken)."""
    entries, token, seen = [], None, set()
    while True:
        page_url = url + (f"&pageToken={urllib.parse.quote(token, safe='')}" if token else "")
        answer, _headers = get_json(page_url, headers, missing=missing if not seen else None, base=base)
        if not isinstance(answer, dict):
            fail(f"{url.split('?')[0]} did not answer a list document")
        entries += [entry for entry in answer.get(field) or [] if isinstance(entry, dict) and entry.get("name")]
        seen.add(token)
        token = answer.get("nextPageToken") or None
        if not token or token in seen:
            return entries


def main():
    base = base_url(adds=("/v1",))
    project = required("PROJECT", "my-project")
    location = required("LOCATION", "europe-west1")
    repository = required("REPOSITORY", "containers")
    package = required("PACKAGE", "team/app")
    size = number("PAGE_SIZE", 1000, 1, 1000)
    token = os.environ.get("ACCESS_TOKEN", "").strip()
    headers = {"Accept": "application/json"}
    if token:
        headers["Authorization"] = f"Bearer {token}"
    parent = "/".join(
        urllib.parse.quote(part, safe="")
        for part in ("projects", project, "locations", location, "repositories", repository, "packages", package)
    )
    where = f"projects/{project}/locations/{location}/repositories/{repository}"
    why = "or ACCESS_TOKEN cannot see it" if token else "or it is private: give ACCESS_TOKEN"
    missing = f"no package {package} in {where} ({why})"
    versions = listing(f"{base}/v1/{parent}/versions?pageSize={size}", "versions", headers, base, missing)
    tags = listing(f"{base}/v1/{parent}/tags?pageSize={size}", "tags", headers, base, missing)
    tagged = {}
    for tag in tags:
        tagged.setdefault(last_part(tag.get("version") or "", "versions"), []).append(last_part(tag["name"], "tags"))

    host = f"{location}-docker.pkg.dev/{project}/{repository}/{package}"
    items, untagged = [], 0
    for version in versions:
        ident = last_part(version["name"], "versions")
        names = sorted(tagged.get(ident, []))
        common = {
            "time": version.get("createTime"),
            "createTime": version.get("createTime") or "",
            "updateTime": version.get("updateTime") or "",
            "versionName": version["name"],
        }
        if ident.startswith("sha256:"):  # a docker image: its tags are its versions
            if not names:
                untagged += 1
            for name in names:
                items.append(
                    {
                        "version": name,
                        **common,
                        "digest": ident,
                        "tags": ",".join(names),
                        "image": f"{host}:{name}",
                        "imageByDigest": f"{host}@{ident}",
                    }
                )
        elif ident:
            items.append(
                {"version": ident, **common, "digest": "", "tags": ",".join(names), "image": "", "imageByDigest": ""}
            )
    if untagged:
        say(f"{untagged} of {len(versions)} image digests of {package} have no tag: left out")
    kept, kept_by = keep(newest(items))
    for item in kept:
        del item["time"]
    write(kept, found=f"{len(items)} versions of {package}" if items else f"{package} has no versions", kept_by=kept_by)


if __name__ == "__main__":
    main()
