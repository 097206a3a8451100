"""Versions of one package in a GitLab project's package registry (any type: generic, maven, npm,
pypi, nuget, helm, ...), newest first, with the chosen file's SHA-256.

python3 standard library only. Lists /api/v4/projects/:id/packages (package_name is a fuzzy search
on GitLab's side: only the exact name is kept) newest first by created_at, following the pages
(Link, X-Next-Page); packages in the error state are left out, deprecated ones kept and marked. Then
reads each kept version's files (/packages/:id/package_files, 8 at a time, for the newest
MAX_VERSIONS) and takes the newest file whose name matches FILE_REGEX. Credentials: GITLAB_TOKEN as
PRIVATE-TOKEN, JOB-TOKEN or an OAuth Bearer token, sent only to REPO_URL's origin.
"""

import os
import urllib.parse

from _forge import (  # customsrc:include
    each_page,
    gather,
    gitlab_headers,
    gitlab_missing,
    gitlab_project,
    listing,
    without_note,
)
from _http import (  # customsrc:include
    base_url,
    fail,
    flag,
    instant,
    is_prerelease,
    named,
    newest_first,
    number,
    pattern,
    say,
    write,
)

named("gitlab-packages")


def files_of(package, headers, base, quoted):
    """Every file of a package, across its pages (a Maven SNAPSHOT can have hundreds)."""
    url = f"{base}/api/v4/projects/{quoted}/packages/{package['id']}/package_files?per_page=100"
    files = []
    for page in each_page(url, headers, "package files"):
        files += page
    return files


def main():
    base = base_url(adds=("/api/v4",))
    project, quoted = gitlab_project(base)
    name = os.environ.get("PACKAGE_NAME", "").strip()
    if not name:
        fail("PACKAGE_NAME is empty: name the package, e.g. app (Maven: com/example/app)")
    kind = os.environ.get("PACKAGE_TYPE", "").strip().lower()
    wanted = pattern("FILE_REGEX")
    with_prereleases = flag("INCLUDE_PRERELEASES")
    most = number("MAX_VERSIONS", 50, 0, 10**6)
    headers = gitlab_headers()

    query = {"package_name": name, "order_by": "created_at", "sort": "desc", "per_page": "100"}
    if kind:
        query["package_type"] = kind
    url = f"{base}/api/v4/projects/{quoted}/packages?{urllib.parse.urlencode(query)}"
    packages = listing(url, headers, "packages", gitlab_missing(project, base))

    exact = [p for p in packages if isinstance(p, dict) and p.get("name") == name]
    of_type = f" of type {kind}" if kind else ""
    if not exact:
        similar = sorted({str(p.get("name")) for p in packages if isinstance(p, dict)})
        also = f"; packages with similar names: {', '.join(similar[:10])}" if similar else ""
        fail(f"no package {name}{of_type} in project {project} at {base}{also}")

    rules, kept = [], []
    errors = [p for p in exact if p.get("status") == "error"]
    if errors:
        rules.append(f"{len(errors)} in the error state (a failed upload) are left out")
    kept = [p for p in exact if p.get("status") != "error"]
    if not with_prereleases:
        releases = [p for p in kept if not is_prerelease(str(p.get("version") or ""))]
        if len(releases) < len(kept):
            rules.append(f"{len(kept) - len(releases)} pre-releases are left out (INCLUDE_PRERELEASES=true lists them)")
        kept = releases
    kept.sort(key=lambda p: newest_first(p.get("created_at"), str(p.get("version") or "")), reverse=True)
    newest, duplicates = {}, 0
    for package in kept:  # a version uploaded again is another package: the newest one is listed
        if str(package.get("version") or "") in newest:
            duplicates += 1
        else:
            newest[str(package.get("version") or "")] = package
    if duplicates:
        say(f"{duplicates} packages repeat a version listed already: the newest package of each version is listed")
    kept = list(newest.values())
    if most and len(kept) > most:
        say(f"{len(kept)} versions of {name} are kept; listing the newest {most} (MAX_VERSIONS={most}; 0 for all)")
        kept = kept[:most]

    every_files = gather(lambda package: files_of(package, headers, base, quoted), kept)
    items, without = [], []
    for package, files in zip(kept, every_files, strict=True):
        version = str(package.get("version") or "")
        matching = [f for f in files if isinstance(f, dict) and wanted.search(str(f.get("file_name") or ""))]
        matching.sort(key=lambda f: (instant(f.get("created_at")) or (0, 0), f.get("id") or 0), reverse=True)
        chosen = matching[0] if matching else {}
        if not chosen:
            without.append(version)
        file_name = str(chosen.get("file_name") or "")
        download = ""
        if chosen and package.get("package_type") == "generic":
            download = "/".join(
                [f"{base}/api/v4/projects/{quoted}/packages/generic"]
                + [urllib.parse.quote(part, safe="") for part in (name, version, file_name)]
            )
        web_path = str((package.get("_links") or {}).get("web_path") or "")
        pipeline = package.get("pipeline") or (package.get("pipelines") or [{}])[0] or {}
        items.append(
            {
                "version": version,
                "created": package.get("created_at") or "",
                "packageId": str(package.get("id", "")),
                "packageType": package.get("package_type") or "",
                "status": package.get("status") or "default",
                "file": file_name,
                "sha256": chosen.get("file_sha256") or "",
                "size": str(chosen.get("size", "")),
                "download": download,
                "webUrl": base + web_path if web_path else "",
                "pipelineId": str(pipeline.get("id", "")) if isinstance(pipeline, dict) else "",
            }
        )
    note = without_note(without, len(items), "versions", "FILE_REGEX", wanted)
    if note:
        say(note)
    kept_by = "is kept: " + " and ".join(rules) if rules else None
    write(items, found=f"{len(exact)} packages named {name}{of_type}", kept_by=kept_by)


if __name__ == "__main__":
    main()
