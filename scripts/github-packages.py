"""Versions of a GitHub Packages package (container, npm, maven, rubygems, nuget, docker), newest first.

python3 standard library only. GET /orgs/OWNER/packages/TYPE/NAME/versions (an organisation's), or
/users/OWNER/... when OWNER is a user, per_page=100, following the Link header's rel="next" pages.
A container version is an image digest with tags: each tag is an item (its digest beside it), and
untagged digests are left out. Newest first by updated_at (when the version or its tags last changed),
else created_at, as instants. The packages API needs a token (read:packages) even for public packages.
"""

import json
import os
import urllib.error
import urllib.parse

from _http import (  # customsrc:include
    base_url,
    fail,
    failed,
    flag,
    is_prerelease,
    named,
    newest_first,
    next_link,
    releases_only,
    request,
    say,
    write,
)

named("github-packages")

TYPES = ("container", "npm", "maven", "rubygems", "nuget", "docker")

base = base_url()
owner = os.environ.get("OWNER", "").strip()
kind = os.environ.get("PACKAGE_TYPE", "").strip().lower()
package = os.environ.get("PACKAGE", "").strip()
if not owner or not package:
    fail("OWNER and PACKAGE are both needed, e.g. OWNER=example PACKAGE=app for ghcr.io/example/app")
if kind not in TYPES:
    fail(f"PACKAGE_TYPE must be one of {', '.join(TYPES)}, got {kind!r}")
with_prereleases = flag("INCLUDE_PRERELEASES")
token = os.environ.get("GITHUB_TOKEN", "").strip()
headers = {"Accept": "application/vnd.github+json", "X-GitHub-Api-Version": "2022-11-28"}
if token:
    headers["Authorization"] = f"Bearer {token}"
path = f"{urllib.parse.quote(owner, safe='')}/packages/{kind}/{urllib.parse.quote(package, safe='')}/versions"


def pages(first):
    """Each page's versions from ``first`` on; None when the first page is a 404 (no such owner or
    package for this kind of account)."""
    url = first
    while url:
        try:
            body, answer_headers = request(url, headers)
        except urllib.error.HTTPError as exc:
            if url == first and exc.code == 404:
                yield None
                return
            if exc.code == 401 and not token:
                fail(
                    f"HTTP 401 {exc.reason} from {url.split('?')[0]}: the packages API needs a token,"
                    " give GITHUB_TOKEN (read:packages)"
                )
            failed(exc, url)
        except urllib.error.URLError as exc:
            failed(exc, url)
        try:
            versions = json.loads(body)
        except ValueError:
            fail(f"{url.split('?')[0]} did not answer JSON (is REPO_URL the API, e.g. https://HOST/api/v3?)")
        if not isinstance(versions, list):
            fail(f"{url.split('?')[0]} did not answer a list of package versions")
        yield versions
        url = next_link(answer_headers, url)


def listed():
    """Every version of the package, asking as an organisation's, then as a user's."""
    for scope in ("orgs", "users"):
        found = []
        for versions in pages(f"{base}/{scope}/{path}?per_page=100&state=active"):
            if versions is None:
                break
            found += [v for v in versions if isinstance(v, dict)]
        else:
            return found
    why = "or GITHUB_TOKEN cannot see it: it needs read:packages" if token else "or it is private: give GITHUB_TOKEN"
    return fail(f"no {kind} package {package} owned by {owner} at {base} ({why})")


def tags_of(version):
    metadata = version.get("metadata") or {}
    tags = (metadata.get("container") or {}).get("tags")
    if tags is None:
        tags = (metadata.get("docker") or {}).get("tag")
    return [t for t in tags or [] if isinstance(t, str)]


versions = listed()
image_host = "ghcr.io" if urllib.parse.urlsplit(base).hostname == "api.github.com" else ""
items, untagged, prereleases = [], 0, 0
for version in versions:
    when = version.get("updated_at") or version.get("created_at") or ""
    common = {
        "created": version.get("created_at") or "",
        "updated": version.get("updated_at") or "",
        "url": version.get("html_url") or "",
        "id": str(version.get("id", "")),
    }
    if kind in ("container", "docker"):
        tags = tags_of(version)
        if not tags:
            untagged += 1
        digest = version.get("name") or ""
        for tag in tags:
            if is_prerelease(tag) and not with_prereleases:
                prereleases += 1
                continue
            image = f"{image_host}/{owner.lower()}/{package}" if image_host else ""
            items.append(
                {
                    "version": tag,
                    "when": when,
                    "digest": digest,
                    "image": f"{image}:{tag}" if image else "",
                    "imageByDigest": f"{image}@{digest}" if image else "",
                    **common,
                }
            )
    else:
        name = version.get("name") or ""
        if is_prerelease(name) and not with_prereleases:
            prereleases += 1
            continue
        items.append({"version": name, "when": when, "digest": "", "image": "", "imageByDigest": "", **common})

items.sort(key=lambda i: newest_first(i["when"], i["version"]), reverse=True)
for item in items:
    del item["when"]
if untagged and items:
    say(f"left out {untagged} untagged {kind} versions (digests with no tag)")
reasons = []
if untagged:
    reasons.append(f"has a tag ({untagged} untagged digests)")
if prereleases:
    reasons.append(releases_only(prereleases))
write(
    items,
    found=f"{len(versions)} versions of {kind} package {owner}/{package}",
    kept_by=" or ".join(reasons) or None,
)
