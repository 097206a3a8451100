"""Releases of a GitHub (or GitHub Enterprise) repository, newest first, drafts left out.

python3 standard library only. Follows the Link header's rel="next" pages; a token (optional, a secret)
raises the rate limit and reaches private repositories.
"""

import json
import os

from _http import base_url, fetch, flag, named, next_link, pattern, write  # customsrc:include

named("github-releases")
base = base_url()
owner, repo = os.environ["OWNER"], os.environ["REPOSITORY"]
headers = {"Accept": "application/vnd.github+json", "X-GitHub-Api-Version": "2022-11-28"}
if os.environ.get("GITHUB_TOKEN"):
    headers["Authorization"] = f"Bearer {os.environ['GITHUB_TOKEN']}"
asset_pattern = pattern("ASSET_REGEX")
with_prereleases = flag("INCLUDE_PRERELEASES")
url = f"{base}/repos/{owner}/{repo}/releases?per_page=100"
items = []
while url:
    body, response_headers = fetch(url, headers)
    for release in json.loads(body):
        if release.get("draft") or (release.get("prerelease") and not with_prereleases):
            continue
        assets = [a for a in release.get("assets") or [] if asset_pattern.search(a.get("name", ""))]
        asset = assets[0] if assets else {}
        items.append(
            {
                "version": release.get("tag_name"),
                "name": release.get("name") or "",
                "url": release.get("html_url", ""),
                "published": release.get("published_at") or "",
                "prerelease": str(bool(release.get("prerelease"))).lower(),
                "asset": asset.get("browser_download_url", ""),
                "assetSize": str(asset.get("size", "")),
            }
        )
    url = next_link(response_headers, url)
items.sort(key=lambda item: item["published"], reverse=True)
write(items)
