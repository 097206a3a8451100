"""Versions of a package in an Azure Artifacts feed (npm, NuGet, Maven, PyPI, Universal, Cargo), newest first.

python3 standard library only. GET https://feeds.dev.azure.com/ORG[/PROJECT]/_apis/packaging/feeds/FEED/
packages?packageNameQuery=PACKAGE&includeAllVersions=true&api-version=7.1 ($top/$skip pages of
packages; the name query matches any name containing it, so the package is the one named exactly).
Versions the feed marks unlisted are left out unless INCLUDE_UNLISTED is true, and VIEW keeps only the
versions promoted to a view (@Release, @Prerelease). A personal access token goes as basic auth with
an empty user, as Azure DevOps documents. Newest first by publishDate as an instant.
"""

import json
import os
import urllib.parse

from _http import (  # customsrc:include
    base_url,
    basic,
    fail,
    fetch,
    flag,
    is_prerelease,
    named,
    newest_first,
    say,
    write,
)

named("azure-artifacts")

PAGE = 100  # packages a request ($top)
PROTOCOLS = {  # the protocolType Azure takes, by the name a user gives
    "npm": "npm",
    "nuget": "NuGet",
    "maven": "Maven",
    "pypi": "PyPI",
    "upack": "UPack",
    "universal": "UPack",
    "cargo": "Cargo",
}

base = base_url()
organization = os.environ.get("ORGANIZATION", "").strip().strip("/")
project = os.environ.get("PROJECT", "").strip().strip("/")
feed = os.environ.get("FEED", "").strip()
package = os.environ.get("PACKAGE", "").strip()
if not organization or not feed or not package:
    fail("ORGANIZATION, FEED and PACKAGE are required (PROJECT too for a project-scoped feed)")
given_protocol = os.environ.get("PROTOCOL", "").strip()
protocol = PROTOCOLS.get(given_protocol.lower(), "") if given_protocol else ""
if given_protocol and not protocol:
    fail(f"PROTOCOL must be one of npm, NuGet, Maven, PyPI, Universal (UPack), Cargo; got {given_protocol!r}")
view = os.environ.get("VIEW", "").strip().lstrip("@")
with_prereleases = flag("INCLUDE_PRERELEASES")
with_unlisted = flag("INCLUDE_UNLISTED")
headers = {"Accept": "application/json"}
pat = os.environ.get("AZURE_DEVOPS_PAT", "").strip()
if pat:
    headers["Authorization"] = basic("", pat)

scope = "/".join(urllib.parse.quote(p, safe="") for p in (organization, project) if p)
where = f"{organization}/{project}" if project else organization
endpoint = f"{base}/{scope}/_apis/packaging/feeds/{urllib.parse.quote(feed, safe='')}/packages"


def listing(name_query):
    """Every package whose name contains ``name_query`` (of PROTOCOL), page after page."""
    skip = 0
    while True:
        query = {"packageNameQuery": name_query, "includeAllVersions": "true", "$top": PAGE, "$skip": skip}
        if protocol:
            query["protocolType"] = protocol
        url = f"{endpoint}?{urllib.parse.urlencode(query, safe='$')}&api-version=7.1"
        body, _ = fetch(url, headers)
        try:
            data = json.loads(body)
        except ValueError:
            sign_in = body.lstrip()[:1] == b"<"
            why = (
                "a sign-in page: AZURE_DEVOPS_PAT is missing, expired or lacks Packaging (Read)"
                if sign_in
                else "is REPO_URL https://feeds.dev.azure.com?"
            )
            return fail(f"{endpoint} did not answer JSON ({why})")
        packages = data.get("value") if isinstance(data, dict) else None
        if not isinstance(packages, list):
            fail(f"{endpoint} answered no list of packages")
        yield from (p for p in packages if isinstance(p, dict))
        if len(packages) < PAGE:
            return
        skip += PAGE


def same(a, b):
    return (a or "").lower() == (b or "").lower()


candidates = list(listing(package))
chosen = [p for p in candidates if same(p.get("name"), package) or same(p.get("normalizedName"), package)]
what = f"{protocol + ' ' if protocol else ''}package {package}"
if not chosen:
    others = sorted({str(p.get("name")) for p in candidates if p.get("name")})
    hint = f"; names containing it: {', '.join(others[:10])}{' ...' if len(others) > 10 else ''}" if others else ""
    fail(f"no {what} in feed {feed} of {where}{hint}")
if len(chosen) > 1:
    kinds = ", ".join(sorted(str(p.get("protocolType")) for p in chosen))
    fail(f"feed {feed} has a package {package} for each of {kinds}: set PROTOCOL to one of them")
found = chosen[0]

items, unlisted, deleted, prereleases, outside = [], 0, 0, 0, 0
versions = [v for v in found.get("versions") or [] if isinstance(v, dict)]
for version in versions:
    number = str(version.get("version") or version.get("normalizedVersion") or "")
    views = [str(v.get("name") or "") for v in version.get("views") or [] if isinstance(v, dict)]
    if version.get("isDeleted") or version.get("deletedDate"):
        deleted += 1
        continue
    if version.get("isListed") is False and not with_unlisted:
        unlisted += 1
        continue
    if view and not any(same(v, view) for v in views):
        outside += 1
        continue
    if is_prerelease(number) and not with_prereleases:
        prereleases += 1
        continue
    items.append(
        {
            "version": number,
            "normalizedVersion": str(version.get("normalizedVersion") or number),
            "published": str(version.get("publishDate") or ""),
            "isLatest": str(bool(version.get("isLatest"))).lower(),
            "isListed": str(version.get("isListed") is not False).lower(),
            "views": ",".join("@" + v for v in views),
            "protocol": str(found.get("protocolType") or ""),
            "packageId": str(found.get("id") or ""),
            "versionId": str(version.get("id") or ""),
        }
    )
items.sort(key=lambda i: newest_first(i["published"], i["version"]), reverse=True)
undated = [i["version"] for i in items if not i["published"]]
if undated:
    say(f"{len(undated)} of {len(items)} versions have no publishDate: they come last, by version")
reasons = []
if outside:
    reasons.append(f"is in view @{view} ({outside} versions are not)")
if unlisted:
    reasons.append(f"is listed ({unlisted} unlisted: INCLUDE_UNLISTED=true lists them)")
if prereleases:
    reasons.append(f"is a release ({prereleases} pre-releases: INCLUDE_PRERELEASES=true lists them)")
if deleted:
    reasons.append(f"is not deleted ({deleted} deleted)")
kind = f"{found.get('protocolType')} " if found.get("protocolType") else ""
write(
    items,
    found=f"{len(versions)} versions of {kind}package {package} in feed {feed}",
    kept_by=", ".join(reasons) or None,
)
