"""Build results of an Atlassian Bamboo plan (or plan branch), newest first by completion time, with
the link of the artifact whose name matches ARTIFACT_REGEX.

python3 standard library only. Lists /rest/api/latest/result/PLAN_KEY.json with
expand=results.result.artifacts, max-result and start-index pages (results.size is the total), up to
MAX_RESULTS. Only results whose buildState is in STATES (Successful by default) are listed; the
version is the build number. BAMBOO_TOKEN (a personal access token) goes as a Bearer token, only to
REPO_URL's origin.
"""

import os
import re
import urllib.parse

from _forge import Stop, ask, choices, first_match, read_json, without_note  # customsrc:include
from _http import base_url, error_detail, fail, named, newest_first, number, pattern, say, write  # customsrc:include

named("bamboo-results")
STATES = ("Successful", "Failed", "Unknown")


def main():
    base = base_url(adds=("/rest/api/latest",))
    plan = os.environ.get("PLAN_KEY", "").strip().upper()
    if not re.fullmatch(r"[A-Z][A-Z0-9_]*-[A-Z0-9_]+", plan):
        fail(f"PLAN_KEY must be a plan key such as PROJ-PLAN (or a plan branch's, PROJ-PLAN12), got {plan!r}")
    states = choices("STATES", "Successful", STATES)
    wanted = pattern("ARTIFACT_REGEX")
    most = number("MAX_RESULTS", 500, 1, 100000)
    size = number("PAGE_SIZE", 100, 1, 1000)
    headers = {"Accept": "application/json"}
    token = os.environ.get("BAMBOO_TOKEN", "").strip()
    if token:
        headers["Authorization"] = f"Bearer {token}"

    results, start, total = [], 0, None
    while start < most:
        query = {"expand": "results.result.artifacts", "max-result": min(size, most - start), "start-index": start}
        url = f"{base}/rest/api/latest/result/{urllib.parse.quote(plan)}.json?{urllib.parse.urlencode(query)}"
        try:
            body = ask(url, headers)[0]
        except Stop as stop:
            if start == 0 and getattr(stop.error, "code", None) == 404:
                why = "or BAMBOO_TOKEN's user cannot see it" if token else "or it needs BAMBOO_TOKEN"
                fail(f"no plan {plan} at {base} ({why}){error_detail(stop.error)}")
            stop.end()
        document = read_json(body, url, "a plan's results")
        block = document.get("results") if isinstance(document, dict) else None
        if not isinstance(block, dict):
            fail(f"{url.split('?', 1)[0]} answered no results block")
        page = [r for r in block.get("result") or [] if isinstance(r, dict)]
        results += page
        total = block.get("size") if isinstance(block.get("size"), int) else total
        start += len(page)
        if not page or (total is not None and start >= total):
            break
    else:
        if total is None or total > most:
            say(f"only the newest {most} results are read{f' of {total}' if total else ''} (MAX_RESULTS={most})")

    items, other, without = [], 0, []
    for result in results:
        state = result.get("buildState") or result.get("state")
        if state not in states or result.get("lifeCycleState", "Finished") != "Finished":
            other += 1
            continue
        version = str(result.get("buildNumber") or result.get("number") or "")
        artifacts = (result.get("artifacts") or {}).get("artifact") or []
        artifact = first_match(wanted, artifacts, "name")
        if not artifact:
            without.append(version)
        key = str(result.get("buildResultKey") or result.get("key") or f"{plan}-{version}")
        items.append(
            {
                "version": version,
                "key": key,
                "state": state,
                "completed": result.get("buildCompletedTime") or "",
                "vcsRevision": result.get("vcsRevisionKey") or "",
                "url": f"{base}/browse/{key}",
                "artifact": str((artifact.get("link") or {}).get("href") or ""),
                "artifactName": str(artifact.get("name") or ""),
                "artifactSize": str(artifact.get("size", "")),
            }
        )
    items.sort(key=lambda item: newest_first(item["completed"], item["version"]), reverse=True)
    note = without_note(without, len(items), "results", "ARTIFACT_REGEX", wanted)
    if note:
        say(note)
    found = f"{len(results)} results of {plan}" if results else f"{plan} has no build results"
    kept_by = f"is kept: {other} with a buildState not in STATES ({','.join(sorted(states))}) or unfinished"
    write(items, found=found, kept_by=kept_by + " are left out" if other else None)


if __name__ == "__main__":
    main()
