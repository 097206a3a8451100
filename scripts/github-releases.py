"""Releases of a GitHub (or GitHub Enterprise) repository, newest first, drafts left out.

python3 standard library only. Follows the Link header's rel="next" pages; a token (optional, a secret)
raises the rate limit and reaches private repositories. Pre-releases only with INCLUDE_PRERELEASES.
Each release's asset is the first whose name matches ASSET_REGEX; a release with none is kept with an
empty asset, and stderr says how many had none. Newest first by published_at as an instant, ties by
the gallery's version order of the tag.
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
    named,
    newest_first,
    next_link,
    pattern,
    request,
    say,
    write,
)

named("github-releases")


base = base_url()
owner, repo = os.environ.get("OWNER", "").strip(), os.environ.get("REPOSITORY", "").strip()
if not owner or not repo:
    fail("OWNER and REPOSITORY are both needed, e.g. OWNER=cli REPOSITORY=cli for github.com/cli/cli")
headers = {"Accept": "application/vnd.github+json", "X-GitHub-Api-Version": "2022-11-28"}
token = os.environ.get("GITHUB_TOKEN", "").strip()
if token:
    headers["Authorization"] = f"Bearer {token}"
asset_pattern = pattern("ASSET_REGEX")
with_prereleases = flag("INCLUDE_PRERELEASES")
quoted = f"{urllib.parse.quote(owner, safe='')}/{urllib.parse.quote(repo, safe='')}"
url = f"{base}/repos/{quoted}/releases?per_page=100"
items, found, drafts, prereleases, without_asset = [], 0, 0, 0, []
first = True
while url:
    try:
        body, response_headers = request(url, headers)
    except urllib.error.HTTPError as exc:
        if first and exc.code == 404:
            why = "or GITHUB_TOKEN cannot see it" if token else "or it is private: give GITHUB_TOKEN"
            fail(f"no repository {owner}/{repo} at {base} ({why})")
        failed(exc, url)
    except urllib.error.URLError as exc:
        failed(exc, url)
    first = False
    try:
        releases = json.loads(body)
    except ValueError:
        fail(f"{url.partition('?')[0]} did not answer with JSON (is REPO_URL the API, e.g. https://HOST/api/v3?)")
    if not isinstance(releases, list):
        fail(f"{url.partition('?')[0]} did not answer with a list of releases")
    for release in releases:
        found += 1
        if release.get("draft"):
            drafts += 1
            continue
        if release.get("prerelease") and not with_prereleases:
            prereleases += 1
            continue
        assets = [a for a in release.get("assets") or [] if asset_pattern.search(a.get("name") or "")]
        asset = assets[0] if assets else {}
        if not assets:
            without_asset.append(release.get("tag_name") or "")
        items.append(
            {
                "version": release.get("tag_name") or "",
                "name": release.get("name") or "",
                "url": release.get("html_url") or "",
                "published": release.get("published_at") or "",
                "prerelease": str(bool(release.get("prerelease"))).lower(),
                "asset": asset.get("browser_download_url") or "",
                "assetSize": str(asset.get("size", "")),
            }
        )
    url = next_link(response_headers, url)


items.sort(key=lambda item: newest_first(item["published"], item["version"]), reverse=True)
if without_asset:
    named_tags = ", ".join(without_asset[:5]) + (" ..." if len(without_asset) > 5 else "")
    say(
        f"{len(without_asset)} of {len(items)} releases have no asset matching ASSET_REGEX "
        f"{asset_pattern.pattern!r} ({named_tags}): their asset is empty"
    )
left = [f"{count} {what}" for count, what in ((drafts, "drafts"), (prereleases, "pre-releases")) if count]
if found:
    hint = " (INCLUDE_PRERELEASES=true lists pre-releases)" if prereleases else ""
    write(
        items, found=f"{found} releases of {owner}/{repo}", kept_by=f"is kept: {' and '.join(left)} are left out{hint}"
    )
else:
    write(items, found=f"{owner}/{repo} has no releases (tags without a release are not listed)")
