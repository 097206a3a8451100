"""Versions of one package in a NuGet v3 feed: nuget.org, Azure Artifacts, GitHub Packages,
Artifactory, Nexus, BaGet, ProGet.

As the NuGet client reads it: the service index (index.json) names the resources; the package's
registration index (RegistrationsBaseUrl, the SemVer 2.0.0 hive where the feed has one; pages of
versions inline or behind their own URL, gzip where the feed compresses them) gives each version
with its published time and whether it is listed; the .nupkg is at PackageBaseAddress (the flat
container). A feed without registrations is read from the flat container's version list alone.
Newest first by NuGet's SemVer 2.0 order (labels case-insensitive, a fourth number part allowed).
Pre-releases and unlisted versions are left out unless INCLUDE_PRERELEASES / INCLUDE_UNLISTED is true.
"""

import os
import re

from _http import auth_headers, base_url, fail, flag, get, get_or_none, named, write  # customsrc:include
from _pkg import gunzipped, headers_for, is_semver_prerelease, json_of, semver_key, under  # customsrc:include

named("nuget-v3")

# Registration resources, best first (the SemVer 2.0.0 hive lists 1.0.0-beta.1 and 1.0.0+build too).
REGISTRATIONS = ("RegistrationsBaseUrl/3.6.0", "RegistrationsBaseUrl/3.4.0", "RegistrationsBaseUrl/3.0.0-rc")
REGISTRATIONS_ANY = "RegistrationsBaseUrl"
FLAT = "PackageBaseAddress/3.0.0"


def normalized(version):
    """NuGet's normalized version, as in flat-container URLs: no build metadata, no leading zeros,
    no fourth part when it is 0, lower case."""
    text = version.split("+", 1)[0]
    core, dash, label = text.partition("-")
    numbers = [str(int(n)) if n.isdigit() else n for n in core.split(".")]
    if len(numbers) == 4 and numbers[3] == "0":
        numbers = numbers[:3]
    return (".".join(numbers) + dash + label).lower()


class Feed:
    def __init__(self, index_url):
        self.home = index_url
        self.auth = auth_headers()

    def json(self, url, missing_ok=False):
        """The JSON at ``url`` (None for a 404 when ``missing_ok``), gzip or not; credentials only to
        the origin of the service index (a resource may be on a CDN)."""
        headers = {**headers_for(url, self.home, self.auth), "Accept-Encoding": "gzip"}
        body = get_or_none(url, headers) if missing_ok else get(url, headers)
        return None if body is None else json_of(gunzipped(body), url)


def main():
    base = base_url()
    index_url = base if base.endswith(".json") else f"{base}/index.json"
    package = os.environ.get("PACKAGE", "").strip()
    if not package:
        fail("PACKAGE is required (e.g. PACKAGE=Newtonsoft.Json)")
    with_prereleases = flag("INCLUDE_PRERELEASES")
    with_unlisted = flag("INCLUDE_UNLISTED")
    feed = Feed(index_url)

    service = feed.json(index_url, missing_ok=True)
    if service is None:
        fail(f"no NuGet v3 service index at {index_url} (HTTP 404): REPO_URL is the feed's index.json URL")
    resources = {}
    for resource in service.get("resources", []) if isinstance(service, dict) else []:
        types = resource.get("@type", [])
        for kind in [types] if isinstance(types, str) else types:
            resources.setdefault(kind, resource.get("@id", ""))
    if not resources:
        fail(f"{index_url} is not a NuGet v3 service index (no resources)")
    flat = resources.get(FLAT, "")
    registrations = next((resources[k] for k in REGISTRATIONS if resources.get(k)), "") or next(
        (v for k, v in resources.items() if k.startswith(REGISTRATIONS_ANY) and v), ""
    )
    lower = package.lower()
    if registrations:
        entries = from_registrations(feed, registrations, lower, package, flat)
    elif flat:
        entries = from_flat_container(feed, flat, lower, package)
    else:
        fail(f"{index_url} names neither RegistrationsBaseUrl nor {FLAT}: cannot list versions")

    kept = [
        e
        for e in entries
        if (with_prereleases or not is_semver_prerelease(e["version"])) and (with_unlisted or e["listed"] != "false")
    ]
    kept.sort(key=lambda e: semver_key(e["version"], fold_case=True), reverse=True)
    why = []
    if not with_prereleases and any(is_semver_prerelease(e["version"]) for e in entries):
        why.append("INCLUDE_PRERELEASES=true lists pre-releases")
    if not with_unlisted and any(e["listed"] == "false" for e in entries):
        why.append("INCLUDE_UNLISTED=true lists unlisted versions")
    write(
        kept,
        found=f"{len(entries)} versions of {package}" if entries else f"{package} has no versions",
        kept_by=f"is listed and a release ({'; '.join(why)})" if len(kept) < len(entries) else None,
    )


def from_registrations(feed, registrations, lower, package, flat):
    index_url = under(registrations, f"{lower}/index.json")
    index = feed.json(index_url, missing_ok=True)
    if index is None:
        fail(f"no package {package} on this feed (HTTP 404 from {index_url})")
    entries = []
    for page in index.get("items", []):
        leaves = page.get("items")
        if leaves is None:  # a page listed by reference: its versions are at its own URL
            leaves = feed.json(page["@id"]).get("items", [])
        for leaf in leaves:
            entry = leaf.get("catalogEntry", {})
            if isinstance(entry, str):  # a catalog entry given by URL only: its version is in the leaf's URL
                entry = {"version": re.sub(r".*/([^/]+)\.json$", r"\1", leaf.get("@id", ""))}
            version = entry.get("version", "")
            if not version:
                continue
            listed = entry.get("listed")
            published = entry.get("published", "")
            if listed is None:  # nuget.org marks an unlisted version by publishing it in 1900
                listed = not published.startswith("1900-")
            content = leaf.get("packageContent") or entry.get("packageContent") or nupkg(flat, lower, version)
            entries.append(
                {
                    "version": version,
                    "id": entry.get("id", package),
                    "published": published,
                    "listed": "true" if listed else "false",
                    "nupkg": content,
                    "deprecated": "true" if entry.get("deprecation") else "false",
                    "vulnerable": "true" if entry.get("vulnerabilities") else "false",
                }
            )
    return entries


def from_flat_container(feed, flat, lower, package):
    url = under(flat, f"{lower}/index.json")
    listing = feed.json(url, missing_ok=True)
    if listing is None:
        fail(f"no package {package} on this feed (HTTP 404 from {url})")
    return [
        {
            "version": version,
            "id": package,
            "published": "",
            "listed": "",
            "nupkg": nupkg(flat, lower, version),
            "deprecated": "",
            "vulnerable": "",
        }
        for version in listing.get("versions", [])
    ]


def nupkg(flat, lower, version):
    if not flat:
        return ""
    norm = normalized(version)
    return under(flat, f"{lower}/{norm}/{lower}.{norm}.nupkg")


if __name__ == "__main__":
    main()
