"""Files in a JFrog Artifactory repository found by AQL, newest first, each a version by FILE_REGEX.

python3 standard library only. The query, POSTed as text/plain to /artifactory/api/search/aql:

    items.find({"repo":REPOSITORY,"type":"file","path":{"$match":PATH_PATTERN},"name":{"$match":NAME_PATTERN}})
      .include("repo","path","name","created","modified","size","sha256","actual_sha1")
      .sort({"$desc":["created"]}).offset(N).limit(500)

pages of 500 until one comes back empty. The version is FILE_REGEX's first group in the file name
(files it does not match are left out, and stderr says so). A version stored twice (two paths) is
listed once, its newest file. Credentials: an access token (Bearer), or a user with a password or
API key (basic).
"""

import os

from _artifactory import api, aql, credentials, quoted, repository  # customsrc:include
from _http import (  # customsrc:include
    fail,
    flag,
    is_prerelease,
    named,
    newest_first,
    pattern,
    releases_only,
    say,
    write,
)

named("artifactory-aql")

# After a "-": a digit, then the shortest text before the extension (.tar.gz, .jar, ...): app-1.2.3.tar.gz
# gives 1.2.3, app-2.0.0-rc.1.jar gives 2.0.0-rc.1.
DEFAULT_REGEX = r"-v?(\d[^/]*?)(?:\.tar\.[A-Za-z0-9]+|\.[A-Za-z][A-Za-z0-9]*)?$"

root = api()
repo = os.environ.get("REPOSITORY", "").strip()
if not repo:
    fail("REPOSITORY is required, e.g. libs-release-local")
path_pattern = os.environ.get("PATH_PATTERN", "").strip().strip("/")
name_pattern = os.environ.get("NAME_PATTERN", "").strip()
with_prereleases = flag("INCLUDE_PRERELEASES")
if not os.environ.get("FILE_REGEX", "").strip():
    os.environ["FILE_REGEX"] = DEFAULT_REGEX
file_regex = pattern("FILE_REGEX")

headers = {"Accept": "application/json", **credentials()}
repository(root, repo, headers)  # a repository that does not exist fails here, not as an empty list

criteria = [f'"repo":{quoted(repo)}', '"type":"file"']
if path_pattern and path_pattern != "*":
    criteria.append(f'"path":{{"$match":{quoted(path_pattern)}}}')
if name_pattern and name_pattern != "*":
    criteria.append(f'"name":{{"$match":{quoted(name_pattern)}}}')
find = "{" + ",".join(criteria) + "}"
include = ("repo", "path", "name", "created", "modified", "size", "sha256", "actual_sha1")

found, unmatched, prereleases, repeated = 0, [], 0, 0
seen = {}
for row in aql(root, headers, find, include):
    found += 1
    name = str(row.get("name") or "")
    match = file_regex.search(name)
    if not match:
        unmatched.append(name)
        continue
    version = match.group(1) if file_regex.groups else match.group(0)
    if not version:
        unmatched.append(name)
        continue
    if is_prerelease(version) and not with_prereleases:
        prereleases += 1
        continue
    folder = str(row.get("path") or ".")
    location = name if folder in (".", "") else f"{folder}/{name}"
    item = {
        "version": version,
        "url": f"{root}/{row.get('repo') or repo}/{location}",
        "repo": str(row.get("repo") or repo),
        "path": location,
        "created": str(row.get("created") or ""),
        "modified": str(row.get("modified") or ""),
        "sha256": str(row.get("sha256") or ""),
        "sha1": str(row.get("actual_sha1") or ""),
        "size": "" if row.get("size") is None else str(row.get("size")),
    }
    earlier = seen.get(version)
    if earlier is not None:
        repeated += 1
        if newest_first(item["created"], version) <= newest_first(earlier["created"], version):
            continue
    seen[version] = item

items = sorted(seen.values(), key=lambda i: newest_first(i["created"], i["version"]), reverse=True)
query = f"items.find({find})"
if not found:
    fail(f"no files in repository {repo} match {query}")
if unmatched and items:
    say(f"left out {len(unmatched)} files FILE_REGEX {file_regex.pattern!r} does not match, e.g. {unmatched[0]}")
if repeated:
    say(f"{repeated} files repeat a version listed already (another path): each version is listed once, its newest")
reasons = []
if unmatched:
    reasons.append(f"matches FILE_REGEX {file_regex.pattern!r} (e.g. {unmatched[0]})")
if prereleases:
    reasons.append(releases_only(prereleases))
write(items, found=f"{found} files in {repo} match {query}", kept_by=" or ".join(reasons) or None)
