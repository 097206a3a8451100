"""Tags of a Harbor repository from Harbor's v2.0 API, one item per tag, newest first by its push time.

python3 standard library only. GET /api/v2.0/projects/P/repositories/R/artifacts?with_tag=true&page=N
&page_size=100, following the Link header's rel="next" (X-Total-Count says how many artifacts there
are); each tag of each artifact is an item with the artifact's digest, type, media type and size and
the tag's own push time (a tag moved to a newer artifact is as new as its move). Untagged artifacts
are left out. Basic auth with a robot account (robot$project+name) or a user and its secret.
"""

import urllib.parse

from _http import auth_headers, base_url, fail, named, next_link, number, say, write  # customsrc:include
from _registry import get_json, keep, newest, required  # customsrc:include

named("harbor-artifacts")


def main():
    base = base_url(adds=("/api/v2.0",))
    project = required("PROJECT", "library")
    repository = required("REPOSITORY", "team/app")
    size = number("PAGE_SIZE", 100, 1, 100)
    headers = {"Accept": "application/json", **auth_headers()}
    # Harbor takes a repository name holding a / encoded twice (team/app: team%252Fapp), as it documents.
    encoded = urllib.parse.quote(urllib.parse.quote(repository, safe=""), safe="")
    url = (
        f"{base}/api/v2.0/projects/{urllib.parse.quote(project, safe='')}/repositories/{encoded}/artifacts"
        f"?with_tag=true&with_label=false&with_scan_overview=false&page=1&page_size={size}"
    )
    why = "or REPO_USER cannot read it" if headers.get("Authorization") else "or it is private: give REPO_USER"
    artifacts, total, seen = [], None, set()
    while url and url not in seen:
        seen.add(url)
        missing = f"no repository {project}/{repository} on this Harbor ({base}) ({why})" if len(seen) == 1 else None
        page, answer = get_json(url, headers, missing=missing, base=base)
        if not isinstance(page, list):
            fail(f"{url.partition('?')[0]} did not answer a list of artifacts")
        artifacts += [artifact for artifact in page if isinstance(artifact, dict)]
        if total is None and (answer.get("X-Total-Count") or "").isdigit():
            total = int(answer["X-Total-Count"])
        url = next_link(answer, url)
    if total is not None and total != len(artifacts):
        say(f"Harbor counts {total} artifacts in {project}/{repository}, {len(artifacts)} listed (changed meanwhile?)")

    host = urllib.parse.urlsplit(base).netloc
    items, untagged, names = [], 0, set()
    for artifact in artifacts:
        tags = [tag for tag in artifact.get("tags") or [] if isinstance(tag, dict) and tag.get("name")]
        if not tags:
            untagged += 1
        digest = artifact.get("digest") or ""
        for tag in tags:
            if tag["name"] in names:
                continue
            names.add(tag["name"])
            items.append(
                {
                    "version": tag["name"],
                    "time": tag.get("push_time") or artifact.get("push_time"),
                    "digest": digest,
                    "pushTime": tag.get("push_time") or "",
                    "artifactPushTime": artifact.get("push_time") or "",
                    "pullTime": tag.get("pull_time") or "",
                    "type": artifact.get("type") or "",
                    "mediaType": artifact.get("manifest_media_type") or artifact.get("media_type") or "",
                    "size": "" if artifact.get("size") is None else str(artifact["size"]),
                    "immutable": "true" if tag.get("immutable") else "false",
                    "image": f"{host}/{project}/{repository}:{tag['name']}",
                    "imageByDigest": f"{host}/{project}/{repository}@{digest}" if digest else "",
                }
            )
    if untagged:
        say(f"{untagged} of {len(artifacts)} artifacts have no tag: left out")
    kept, kept_by = keep(newest(items))
    for item in kept:
        del item["time"]
    found = f"{len(items)} tags of {project}/{repository}" if items else None
    if not items:
        say(f"{project}/{repository} has no tagged artifacts: the list is empty")
    write(kept, found=found, kept_by=kept_by)


if __name__ == "__main__":
    main()
