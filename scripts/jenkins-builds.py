"""Builds of a Jenkins job (in folders, or a multibranch pipeline's branch), newest first by start
time, with the URL of the artifact whose path matches ARTIFACT_REGEX.

python3 standard library only. One request per 100 builds: /job/A/job/B/api/json?tree=builds[...]{0,100}
(the newest 100, which Jenkins keeps cheap), then allBuilds[...]{100,200} and on, up to MAX_BUILDS.
Only finished builds whose result is in RESULTS (SUCCESS by default) are listed. The version is the
build number, or with VERSION_FROM=displayName the display name (the default "#42" read as 42).
REPO_USER and an API token (REPO_PASSWORD) go as HTTP basic auth, only to REPO_URL's origin; GET
needs no CSRF crumb.
"""

import datetime
import os
import urllib.parse

from _forge import Stop, ask, choices, first_match, read_json, without_note  # customsrc:include
from _http import (  # customsrc:include
    auth_headers,
    base_url,
    error_detail,
    fail,
    flag,
    is_prerelease,
    named,
    number,
    pattern,
    say,
    write,
)

named("jenkins-builds")
RESULTS = ("SUCCESS", "UNSTABLE", "FAILURE", "ABORTED", "NOT_BUILT")
FIELDS = "number,result,building,timestamp,duration,displayName,url,artifacts[fileName,relativePath]"
PAGE = 100


def job_path(job):
    """/job/A/job/B for JOB a/b (folders, a multibranch branch); a pasted job URL path (job/a/job/b)
    too. Each name is encoded once more, as Jenkins's URLs do (a branch feature%2Fx: feature%252Fx)."""
    parts = [part for part in job.strip().strip("/").split("/") if part]
    if parts and parts[0] == "job" and len(parts) % 2 == 0 and all(p == "job" for p in parts[::2]):
        parts = parts[1::2]
    if not parts:
        fail("JOB is empty: name the job, e.g. app, or team/app/main for a folder's multibranch branch")
    return "".join(f"/job/{urllib.parse.quote(part, safe='')}" for part in parts)


def version_of(build, source):
    if source == "displayName":
        name = str(build.get("displayName") or "").strip()
        if name.startswith("#") and name[1:].isdigit():
            return name[1:]
        if name:
            return name
    return str(build.get("number", ""))


def main():
    base = base_url()
    job = os.environ.get("JOB", "")
    path = job_path(job)
    source = os.environ.get("VERSION_FROM", "").strip() or "number"
    if source not in ("number", "displayName"):
        fail(f"VERSION_FROM must be number or displayName, got {source!r}")
    wanted_results = choices("RESULTS", "SUCCESS", RESULTS)
    wanted = pattern("ARTIFACT_REGEX")
    with_prereleases = flag("INCLUDE_PRERELEASES")
    most = number("MAX_BUILDS", 100, 1, 100000)
    headers = {"Accept": "application/json", **auth_headers()}

    builds, start = [], 0
    while start < most:
        end = min(start + PAGE, most)
        field = "builds" if start == 0 else "allBuilds"
        tree = f"{field}[{FIELDS}]{{{start},{end}}}"
        url = f"{base}{path}/api/json?tree={urllib.parse.quote(tree, safe=',')}"
        try:
            body = ask(url, headers)[0]
        except Stop as stop:
            if start == 0 and getattr(stop.error, "code", None) == 404:
                fail(
                    f"no job {job.strip().strip('/')} at {base} (or REPO_USER cannot read it: Jenkins answers "
                    f"404 for a job it hides){error_detail(stop.error)}"
                )
            stop.end()
        document = read_json(body, url, "a job's builds")
        page = document.get(field) if isinstance(document, dict) else None
        if page is None:
            kind = document.get("_class", "?") if isinstance(document, dict) else "?"
            fail(f"{base}{path} has no builds list (it is a {kind}: a folder or multibranch project? name a job in it)")
        builds += [b for b in page if isinstance(b, dict)]
        if len(page) < end - start:
            break
        start = end
    else:
        say(f"only the newest {most} builds are read (MAX_BUILDS={most})")

    items, running, other, prereleases, without = [], 0, 0, 0, []
    for build in builds:
        if build.get("building") or build.get("result") is None:
            running += 1
            continue
        if build.get("result") not in wanted_results:
            other += 1
            continue
        version = version_of(build, source)
        if source == "displayName" and is_prerelease(version) and not with_prereleases:
            prereleases += 1
            continue
        artifact = first_match(wanted, build.get("artifacts") or [], "relativePath")
        if not artifact:
            without.append(version)
        build_url = str(build.get("url") or f"{base}{path}/{build.get('number')}/")
        build_url += "" if build_url.endswith("/") else "/"
        stamp = build.get("timestamp")
        when = (
            datetime.datetime.fromtimestamp(stamp / 1000, datetime.timezone.utc).isoformat(timespec="milliseconds")
            if isinstance(stamp, (int, float))
            else ""
        )
        relative = str(artifact.get("relativePath") or "")
        items.append(
            {
                "version": version,
                "number": str(build.get("number", "")),
                "result": build.get("result") or "",
                "started": when,
                "timestamp": str(stamp if stamp is not None else ""),
                "url": build_url,
                "artifact": build_url + "artifact/" + urllib.parse.quote(relative) if relative else "",
                "artifactName": str(artifact.get("fileName") or ""),
                "_order": (stamp if isinstance(stamp, (int, float)) else -1, build.get("number") or 0),
            }
        )
    items.sort(key=lambda item: item["_order"], reverse=True)
    for item in items:
        del item["_order"]
    note = without_note(without, len(items), "builds", "ARTIFACT_REGEX", wanted)
    if note:
        say(note)
    left = [
        f"{count} {what}"
        for count, what in (
            (running, "still running"),
            (other, f"with a result not in RESULTS ({','.join(sorted(wanted_results))})"),
            (prereleases, "named as pre-releases (INCLUDE_PRERELEASES=true lists them)"),
        )
        if count
    ]
    found = f"{len(builds)} builds of {job.strip().strip('/')}" if builds else f"{job.strip().strip('/')} has no builds"
    write(items, found=found, kept_by=f"is kept: {'; '.join(left)}" if left else None)


if __name__ == "__main__":
    main()
