"""Tags of a Docker Hub repository from Docker Hub's API v2, newest first by last_updated.

python3 standard library only. GET /v2/namespaces/NS/repositories/REPO/tags?page_size=100, following
each page's "next" link (sent credentials only while it stays on REPO_URL's origin). Each tag's digest
(the image index for a multi-platform tag), its platforms, and with PLATFORM the digest of that
platform's image. A personal (or organization) access token is exchanged for a short-lived JWT at
POST /v2/auth/token, as Docker documents; anonymous otherwise (public repositories). A rate limit
(429, X-RateLimit-*, Retry-After) is named with when it resets.
"""

import json
import os
import urllib.parse

from _http import base_url, fail, named, write  # customsrc:include
from _registry import get_json, keep, newest, required  # customsrc:include

named("docker-hub-tags")


def access_token(base):
    """The JWT for HUB_USER's access token (Docker Hub's POST /v2/auth/token), or None."""
    user, secret = os.environ.get("HUB_USER", "").strip(), os.environ.get("HUB_TOKEN", "").strip()
    if not secret:
        return None
    if not user:
        fail("HUB_TOKEN is given without HUB_USER: name the Docker Hub user (or organization) the token is for")
    body = json.dumps({"identifier": user, "secret": secret}).encode()
    answer, _headers = get_json(
        f"{base}/v2/auth/token",
        {"Content-Type": "application/json", "Accept": "application/json"},
        method="POST",
        data=body,
    )
    token = answer.get("access_token") if isinstance(answer, dict) else None
    if not token:
        fail(f"{base}/v2/auth/token answered without an access_token")
    return token


def platform_of(image):
    """os/architecture[/variant] of one entry of a tag's images[]."""
    parts = [image.get("os") or "", image.get("architecture") or "", image.get("variant") or ""]
    return "/".join(part for part in parts if part)


def main():
    base = base_url(adds=("/v2",))
    image = required("IMAGE", "nginx (an official image) or myorg/app")
    namespace, _, repository = image.rpartition("/")
    namespace = namespace or "library"
    platform = os.environ.get("PLATFORM", "").strip().strip("/")
    headers = {"Accept": "application/json"}
    token = access_token(base)
    if token:
        headers["Authorization"] = f"Bearer {token}"
    quoted = f"{urllib.parse.quote(namespace, safe='')}/repositories/{urllib.parse.quote(repository, safe='')}"
    url, seen, tags = f"{base}/v2/namespaces/{quoted}/tags?page_size=100", set(), []
    why = "or HUB_TOKEN cannot see it" if token else "or it is private: give HUB_USER and HUB_TOKEN"
    while url and url not in seen:
        seen.add(url)
        missing = f"no repository {namespace}/{repository} on Docker Hub at {base} ({why})" if not tags else None
        page, _headers = get_json(url, headers, missing=missing, base=base)
        if not isinstance(page, dict) or not isinstance(page.get("results"), list):
            fail(f"{url.partition('?')[0]} did not answer a page of tags (no results list)")
        tags += [tag for tag in page["results"] if isinstance(tag, dict) and tag.get("name")]
        url = page.get("next") or None

    host = "docker.io"
    items, without_platform = [], 0
    for tag in tags:
        images = [entry for entry in tag.get("images") or [] if isinstance(entry, dict)]
        platforms = [platform_of(entry) for entry in images]
        chosen = [entry for entry in images if platform and platform_of(entry) in (platform, f"{platform}/")]
        if platform and not chosen:  # linux/arm64 also matches linux/arm64/v8
            chosen = [entry for entry in images if platform_of(entry).startswith(platform + "/")]
        if platform and not chosen:
            without_platform += 1
            continue
        digest = tag.get("digest") or (images[0].get("digest") if len(images) == 1 else "") or ""
        items.append(
            {
                "version": tag["name"],
                "time": tag.get("last_updated") or tag.get("tag_last_pushed"),
                "digest": digest,
                "lastUpdated": tag.get("last_updated") or "",
                "lastPushed": tag.get("tag_last_pushed") or "",
                "status": tag.get("tag_status") or "",
                "mediaType": tag.get("media_type") or "",
                "platforms": ",".join(sorted(set(platforms))),
                "platformDigest": (chosen[0].get("digest") or "") if chosen else "",
                "size": str(tag.get("full_size") or ""),
                "image": f"{host}/{namespace}/{repository}:{tag['name']}",
                "imageByDigest": f"{host}/{namespace}/{repository}@{digest}" if digest else "",
            }
        )
    kept, kept_by = keep(newest(items))
    if without_platform:
        rule = f"have an image for PLATFORM {platform} ({without_platform} have none)"
        kept_by = f"{kept_by} and {rule}" if kept_by else rule
    for item in kept:
        del item["time"]
    found = f"{len(tags)} tags of {namespace}/{repository}" if tags else f"{namespace}/{repository} has no tags"
    write(kept, found=found, kept_by=kept_by)


if __name__ == "__main__":
    main()
