"""Releases of a GitLab project, newest first by released_at, with the URL of the asset link whose
name matches ASSET_REGEX.

python3 standard library only. Lists /api/v4/projects/:id/releases (order_by=released_at, desc),
following the pages (Link, X-Next-Page). Upcoming releases (released_at in the future: GitLab's
upcoming_release) are left out unless INCLUDE_UPCOMING is true; GitLab has no pre-release flag, so a
tag whose version marks one (v2.0.0-rc.1) is left out unless INCLUDE_PRERELEASES is true. A release
with no matching link is kept with an empty asset, and stderr says how many.
"""

import os
import urllib.parse

from _forge import (  # customsrc:include
    first_match,
    gitlab_headers,
    gitlab_missing,
    gitlab_project,
    listing,
    without_note,
)
from _http import base_url, flag, is_prerelease, named, newest_first, pattern, say, write  # customsrc:include

named("gitlab-releases")


def main():
    base = base_url(adds=("/api/v4",))
    project, quoted = gitlab_project(base)
    wanted = pattern("ASSET_REGEX")
    with_prereleases = flag("INCLUDE_PRERELEASES")
    with_upcoming = flag("INCLUDE_UPCOMING")
    archive = os.environ.get("SOURCE_FORMAT", "").strip() or "tar.gz"
    headers = gitlab_headers()
    query = urllib.parse.urlencode({"order_by": "released_at", "sort": "desc", "per_page": "100"})
    releases = listing(
        f"{base}/api/v4/projects/{quoted}/releases?{query}", headers, "releases", gitlab_missing(project, base)
    )

    items, upcoming, prereleases, without = [], 0, 0, []
    for release in releases:
        if not isinstance(release, dict):
            continue
        tag = str(release.get("tag_name") or "")
        if release.get("upcoming_release") and not with_upcoming:
            upcoming += 1
            continue
        if is_prerelease(tag) and not with_prereleases:
            prereleases += 1
            continue
        assets = release.get("assets") or {}
        link = first_match(wanted, assets.get("links") or [], "name")
        if not link:
            without.append(tag)
        sources = [s for s in assets.get("sources") or [] if isinstance(s, dict) and s.get("format") == archive]
        source = sources[0] if sources else {}
        items.append(
            {
                "version": tag,
                "name": release.get("name") or "",
                "released": release.get("released_at") or "",
                "upcoming": str(bool(release.get("upcoming_release"))).lower(),
                "asset": link.get("url") or "",
                "assetDirect": link.get("direct_asset_url") or "",
                "assetName": link.get("name") or "",
                "assetType": link.get("link_type") or "",
                "source": source.get("url") or "",
                "commit": str((release.get("commit") or {}).get("id") or ""),
                "url": str((release.get("_links") or {}).get("self") or ""),
            }
        )
    items.sort(key=lambda item: newest_first(item["released"], item["version"]), reverse=True)
    note = without_note(without, len(items), "releases", "ASSET_REGEX", wanted)
    if note:
        say(note)
    left = [
        f"{count} {what}" for count, what in ((upcoming, "upcoming releases"), (prereleases, "pre-releases")) if count
    ]
    hints = [h for c, h in ((upcoming, "INCLUDE_UPCOMING"), (prereleases, "INCLUDE_PRERELEASES")) if c]
    if releases:
        write(
            items,
            found=f"{len(releases)} releases of {project}",
            kept_by=f"is kept: {' and '.join(left)} are left out ({'=true, '.join(hints)}=true lists them)",
        )
    else:
        write(items, found=f"{project} has no releases (tags without a release are not listed)")


if __name__ == "__main__":
    main()
