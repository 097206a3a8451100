"""Versions of a package in an npm registry (verdaccio, npmjs.org, GitHub Packages, Nexus, Artifactory).

python3 standard library only. Reads the full package document (it has publish times; the abbreviated
install document does not). Authenticates as the npm client does: a bearer token (NPM_TOKEN, npm's
_authToken) or, for registries that use it (Nexus, Artifactory, verdaccio's htpasswd), a user and
password (REPO_USER, REPO_PASSWORD: npm's _auth); the token wins when both are given, as in npm.
Semver pre-releases (1.0.0-rc.1) are left out unless INCLUDE_PRERELEASES is true. Newest first by
publish time, ties and versions without a time by the gallery's version order. Deprecated versions are
kept, and say so.
"""

import json
import os
import re
import urllib.error
import urllib.parse

from _http import (  # customsrc:include
    base_url,
    basic,
    error_detail,
    fail,
    failed,
    flag,
    instant,
    named,
    newest_first,
    rate_limit_note,
    request,
    say,
    version_key,
    write,
)

named("npm-registry")
# semver: a hyphen right after the patch number is a pre-release (1.0.0-rc.1; 1.0.0+b-1 is none)
SEMVER_PRE = re.compile(r"v?\d+\.\d+\.\d+-")


def is_semver_prerelease(version):
    return bool(SEMVER_PRE.match(version)) if re.match(r"v?\d+\.\d+\.\d+", version) else False


base = base_url()
package = os.environ.get("PACKAGE", "").strip()
if not package:
    fail("PACKAGE is empty: give the package's name, e.g. express or @scope/name")
with_prereleases = flag("INCLUDE_PRERELEASES")
url = f"{base}/{urllib.parse.quote(package, safe='@')}"  # a scoped name is @scope%2Fname
headers = {"Accept": "application/json"}
token = os.environ.get("NPM_TOKEN", "").strip()
if token:
    headers["Authorization"] = f"Bearer {token}"
    if os.environ.get("REPO_USER"):
        say("NPM_TOKEN and REPO_USER are both given: using the token, as npm does")
elif os.environ.get("REPO_USER"):
    headers["Authorization"] = basic(os.environ["REPO_USER"], os.environ.get("REPO_PASSWORD", ""))
credentials = "Authorization" in headers
try:
    body, _ = request(url, headers)
except urllib.error.HTTPError as exc:
    if exc.code == 404:
        hint = "" if credentials else " (or it is private: give NPM_TOKEN, or REPO_USER and REPO_PASSWORD)"
        fail(f"no package {package} on this registry ({base}){hint}")
    if exc.code in (401, 403):
        hint = "the credentials given were refused" if credentials else "give NPM_TOKEN, or REPO_USER and REPO_PASSWORD"
        fail(f"HTTP {exc.code} {exc.reason}{error_detail(exc)}{rate_limit_note(exc)} from {url}: {hint}")
    failed(exc, url)
except urllib.error.URLError as exc:
    failed(exc, url)
try:
    document = json.loads(body)
except ValueError:
    fail(f"{url} did not answer with a package document (JSON): {body[:80]!r}")
if not isinstance(document, dict):
    fail(f"{url} did not answer with a package document (a JSON object)")

times = document.get("time") or {}
versions = document.get("versions") or {}
tags = {}
for tag, version in (document.get("dist-tags") or {}).items():
    tags.setdefault(version, []).append(tag)
items, left_out = [], []
for version, manifest in versions.items():
    if is_semver_prerelease(version) and not with_prereleases:
        left_out.append(version)
        continue
    dist = (manifest or {}).get("dist") or {}
    items.append(
        {
            "version": version,
            "published": times.get(version, ""),
            "tarball": dist.get("tarball", ""),
            "shasum": dist.get("shasum", ""),
            "integrity": dist.get("integrity", ""),
            "tags": ",".join(sorted(tags.get(version, []))),
            "deprecated": str(bool((manifest or {}).get("deprecated"))).lower(),
        }
    )
for version in sorted(left_out, key=version_key, reverse=True):
    for tag in sorted(tags.get(version, [])):
        say(f"dist-tag {tag} is {version}, a pre-release left out (INCLUDE_PRERELEASES=true lists it)")


items.sort(key=lambda item: newest_first(item["published"], item["version"]), reverse=True)
undated = sum(1 for item in items if instant(item["published"]) is None)
if items and undated:
    say(f"{undated} of {len(items)} versions have no publish time: they come last, by version")
if versions:
    write(
        items,
        found=f"{len(versions)} versions of {package}",
        kept_by="is a release (INCLUDE_PRERELEASES=true lists pre-releases)",
    )
else:
    gone = " (it was unpublished)" if times.get("unpublished") else ""
    write(items, found=f"the registry lists no versions of {package}{gone}")
