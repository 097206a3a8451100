"""Tags of a Docker image in a JFrog Artifactory Docker repository, newest first by when each was pushed.

python3 standard library only. The tags come from Artifactory's Docker API (GET
/artifactory/api/docker/REPO/v2/IMAGE/tags/list?n=PAGE_SIZE, following the Link header's next
pages). Each tag's manifest digest and created time come from ONE AQL query (pages of 500) for the
image's manifest files, IMAGE/TAG/manifest.json and IMAGE/TAG/list.manifest.json (multi-arch), rather
than the storage API, which takes a request per tag (a thousand tags would run past the timeout).
Artifactory stores a manifest as pushed, so the file's sha256 is the image's digest. A tag whose
manifest AQL does not show (a remote repository's uncached tag) is listed after the dated ones, by
version, with an empty digest.
"""

import os
import urllib.parse

from _artifactory import api, aql, call, credentials, quoted, repository  # customsrc:include
from _http import (  # customsrc:include
    fail,
    flag,
    is_prerelease,
    named,
    newest_first,
    next_link,
    pattern,
    releases_only,
    say,
    write,
)

named("artifactory-docker-tags")

MANIFESTS = ("manifest.json", "list.manifest.json")

root = api()
repo = os.environ.get("REPOSITORY", "").strip()
image = os.environ.get("IMAGE", "").strip().strip("/")
if not repo or not image:
    fail("REPOSITORY and IMAGE are required, e.g. docker-local and team/app")
tag_regex = pattern("TAG_REGEX")
with_prereleases = flag("INCLUDE_PRERELEASES")
page_size = os.environ.get("PAGE_SIZE", "").strip() or "1000"
if not page_size.isdigit() or int(page_size) < 1:
    fail(f"PAGE_SIZE must be a positive number, got {page_size!r}")
headers = {"Accept": "application/json", **credentials()}

config = repository(root, repo, headers)
kind = str(config.get("packageType") or "").lower()
if kind and kind not in ("docker", "oci"):
    fail(f"repository {repo} is a {kind} repository, not a Docker one")

# 1. The tags, from the Docker API, page after page.
url = f"{root}/api/docker/{urllib.parse.quote(repo, safe='')}/v2/{urllib.parse.quote(image)}/tags/list?n={page_size}"
tags = []
while url:
    data, answer_headers = call(url, headers, missing=(404,))
    if data is None:
        fail(f"no image {image} in repository {repo} (HTTP 404 from {url.split('?', maxsplit=1)[0]})")
    tags += [t for t in (data.get("tags") or []) if isinstance(t, str)] if isinstance(data, dict) else []
    url = next_link(answer_headers, url)
tags = list(dict.fromkeys(tags))

# 2. Each tag's manifest: its digest and created time, by AQL.
find = (
    f'{{"repo":{quoted(repo)},"path":{{"$match":{quoted(image + "/*")}}},'
    f'"name":{{"$in":[{",".join(quoted(m) for m in MANIFESTS)}]}}}}'
)
manifests = {}
for row in aql(root, headers, find, ("repo", "path", "name", "created", "sha256", "size")):
    folder, _, tag = str(row.get("path") or "").rpartition("/")
    if folder != image or (tag in manifests and row.get("name") != "list.manifest.json"):
        continue  # another image's folder; a multi-arch tag's list wins over a stray manifest
    manifests[tag] = row

kept, filtered, prereleases = [], 0, 0
for tag in tags:
    if not tag_regex.search(tag):
        filtered += 1
        continue
    if is_prerelease(tag) and not with_prereleases:
        prereleases += 1
        continue
    kept.append(tag)

host = urllib.parse.urlsplit(root).netloc
items = []
for tag in kept:
    row = manifests.get(tag) or {}
    digest = f"sha256:{row['sha256']}" if row.get("sha256") else ""
    items.append(
        {
            "version": tag,
            "digest": digest,
            "SHA": digest,
            "SHAV2": digest,
            "created": str(row.get("created") or ""),
            "image": f"{host}/{repo}/{image}:{tag}",
            "imageByDigest": f"{host}/{repo}/{image}@{digest}" if digest else "",
            "manifest": str(row.get("name") or ""),
        }
    )
items.sort(key=lambda i: newest_first(i["created"], i["version"]), reverse=True)
undated = [i["version"] for i in items if not i["created"]]
if undated:
    say(
        f"{len(undated)} of {len(items)} tags have no manifest AQL can see ({', '.join(undated[:5])}"
        f"{' ...' if len(undated) > 5 else ''}): they come last, by version, with no digest"
    )
reasons = []
if filtered:
    reasons.append(f"matches TAG_REGEX {tag_regex.pattern!r}")
if prereleases:
    reasons.append(releases_only(prereleases, "pre-release tags"))
if tags:
    write(items, found=f"{len(tags)} tags of {image} in {repo}", kept_by=" and ".join(reasons) or None)
else:
    write(items, found=f"image {image} in {repo} has no tags")
