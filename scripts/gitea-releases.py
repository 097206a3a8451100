"""Releases of a Gitea or Forgejo repository (gitea.com, Codeberg, your own server), newest first by
published_at, with the download URL of the asset whose name matches ASSET_REGEX.

python3 standard library only. Lists /api/v1/repos/OWNER/REPO/releases?page=&limit=, following the
pages (Link rel="next", else X-Total-Count). Drafts are never listed (Gitea shows them only to
writers); pre-releases (Gitea's prerelease flag) only with INCLUDE_PRERELEASES. A release with no
matching asset is kept with an empty asset, and stderr says how many. GITEA_TOKEN goes as
"Authorization: token ...", only to REPO_URL's origin.
"""

import os
import urllib.parse

from _forge import first_match, listing, without_note  # customsrc:include
from _http import base_url, fail, flag, named, newest_first, number, pattern, say, write  # customsrc:include

named("gitea-releases")


def main():
    base = base_url(adds=("/api/v1",))
    owner, repo = os.environ.get("OWNER", "").strip(), os.environ.get("REPOSITORY", "").strip()
    if not owner or not repo:
        fail("OWNER and REPOSITORY are both needed, e.g. OWNER=gitea REPOSITORY=tea for gitea.com/gitea/tea")
    wanted = pattern("ASSET_REGEX")
    with_prereleases = flag("INCLUDE_PRERELEASES")
    limit = number("PAGE_SIZE", 50, 1, 1000)
    headers = {"Accept": "application/json"}
    token = os.environ.get("GITEA_TOKEN", "").strip()
    if token:
        headers["Authorization"] = f"token {token}"
    where = f"{urllib.parse.quote(owner, safe='')}/{urllib.parse.quote(repo, safe='')}"

    def missing(detail):
        why = "or GITEA_TOKEN cannot see it" if token else "or it is private: give GITEA_TOKEN"
        fail(f"no repository {owner}/{repo} at {base} ({why}){detail}")

    releases = listing(f"{base}/api/v1/repos/{where}/releases?page=1&limit={limit}", headers, "releases", missing)

    items, drafts, prereleases, without = [], 0, 0, []
    for release in releases:
        if not isinstance(release, dict):
            continue
        if release.get("draft"):
            drafts += 1
            continue
        if release.get("prerelease") and not with_prereleases:
            prereleases += 1
            continue
        tag = str(release.get("tag_name") or "")
        asset = first_match(wanted, release.get("assets") or [], "name")
        if not asset:
            without.append(tag)
        items.append(
            {
                "version": tag,
                "name": release.get("name") or "",
                "url": release.get("html_url") or "",
                "published": release.get("published_at") or release.get("created_at") or "",
                "prerelease": str(bool(release.get("prerelease"))).lower(),
                "asset": asset.get("browser_download_url") or "",
                "assetName": asset.get("name") or "",
                "assetSize": str(asset.get("size", "")),
                "tarball": release.get("tarball_url") or "",
            }
        )
    items.sort(key=lambda item: newest_first(item["published"], item["version"]), reverse=True)
    note = without_note(without, len(items), "releases", "ASSET_REGEX", wanted)
    if note:
        say(note)
    if releases:
        left = [f"{count} {what}" for count, what in ((drafts, "drafts"), (prereleases, "pre-releases")) if count]
        hint = " (INCLUDE_PRERELEASES=true lists pre-releases)" if prereleases else ""
        kept_by = f"is kept: {' and '.join(left)} are left out{hint}"
        write(items, found=f"{len(releases)} releases of {owner}/{repo}", kept_by=kept_by)
    else:
        write(items, found=f"{owner}/{repo} has no releases (tags without a release are not listed)")


if __name__ == "__main__":
    main()
