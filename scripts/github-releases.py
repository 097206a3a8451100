"""Releases of a GitHub (or GitHub Enterprise) repository, newest first, drafts left out.

python3 standard library only. Follows the Link header's rel="next" pages; a token (optional, a secret)
raises the rate limit and reaches private repositories.
"""

import json
import os
import re
import sys
import urllib.error

# customsrc:include _net.py

NAME = "github-releases"


def fail(message):
    print(f"{NAME}: {message}", file=sys.stderr)
    sys.exit(1)


def get_page(url, headers):
    try:
        body, response_headers = request(url, headers)
    except urllib.error.HTTPError as exc:
        fail(f"HTTP {exc.code} {exc.reason}{rate_limit_note(exc)} from {url}")
    except urllib.error.URLError as exc:
        fail(f"cannot reach {url}: {exc.reason}")
    return body, response_headers.get("Link", "")


def next_link(header):
    for part in header.split(","):
        match = re.match(r'\s*<([^>]+)>\s*;\s*rel="next"', part)
        if match:
            return match.group(1)
    return None


base = os.environ["REPO_URL"].rstrip("/")
if not base.startswith(("http://", "https://")):
    fail(f"REPO_URL must be an http(s) URL, got {base!r}")
owner, repo = os.environ["OWNER"], os.environ["REPOSITORY"]
headers = {"Accept": "application/vnd.github+json", "X-GitHub-Api-Version": "2022-11-28"}
if os.environ.get("GITHUB_TOKEN"):
    headers["Authorization"] = f"Bearer {os.environ['GITHUB_TOKEN']}"
asset_pattern = re.compile(os.environ.get("ASSET_REGEX") or ".")
with_prereleases = os.environ.get("INCLUDE_PRERELEASES", "false").lower() == "true"
url = f"{base}/repos/{owner}/{repo}/releases?per_page=100"
items = []
while url:
    body, link = get_page(url, headers)
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
    url = next_link(link)
items.sort(key=lambda item: item["published"], reverse=True)
with open(os.environ["HARNESS_ARTIFACT_RESULT_PATH"], "w", encoding="utf-8") as out:
    json.dump({"items": items}, out)
