"""Versions of a component in Sonatype Nexus Repository 3 (the search API, any format), newest first.

python3 standard library only. Follows continuationToken pages. Each component's main asset (not its
javadoc, sources, .pom or checksum and signature files; EXTENSION and CLASSIFIER choose) gives the
download URL, checksums, size and time. A raw repository's components have no version: VERSION_REGEX
reads it from the asset's path.
"""

import datetime
import json
import os
import re
import urllib.error
import urllib.parse

from _http import (  # customsrc:include
    auth_headers,
    base_url,
    fail,
    get_or_none,
    named,
    pattern,
    request,
    say,
    version_key,
    write,
)

named("nexus3-components")

SIGNATURES = (".md5", ".sha1", ".sha256", ".sha512", ".asc")
FIRST_NAMES = 10  # component names shown when the one asked for is not there

base = base_url(adds=("/service/rest/v1", "/service/rest"))
head, repository_path, _ = (base + "/").partition("/repository/")
if repository_path:  # the URL of a repository, as a build tool is configured with
    base = head
    say(f"REPO_URL names a repository; the search API is at the Nexus base URL, so using {base}")
repository = os.environ.get("REPOSITORY", "").strip()
name = os.environ.get("COMPONENT", "").strip()
if not repository or not name:
    fail("REPOSITORY and COMPONENT are required (e.g. maven-releases and app)")
group = os.environ.get("GROUP", "").strip()
form = os.environ.get("FORMAT", "").strip()
extension = os.environ.get("EXTENSION", "").strip().lstrip(".")
classifier = os.environ.get("CLASSIFIER", "").strip()
version_regex = pattern("VERSION_REGEX") if os.environ.get("VERSION_REGEX", "").strip() else None
headers = {"Accept": "application/json", **auth_headers()}


def answer(path, query):
    """The JSON answer to GET ``path?query``; None for a 404 (the caller says what is missing)."""
    url = f"{base}{path}" + (f"?{urllib.parse.urlencode(query)}" if query else "")
    body = get_or_none(url, headers)
    if body is None:
        return None
    try:
        return json.loads(body)
    except ValueError:
        return fail(
            f"{base}{path} did not answer JSON: is REPO_URL the Nexus base URL (e.g. https://nexus.example.com)?"
        )


def search(query, pages=None):
    """The components the search finds, following continuationToken pages (``pages`` at most)."""
    token, page = None, 0
    while pages is None or page < pages:
        data = answer("/service/rest/v1/search", dict(query, continuationToken=token) if token else query)
        if data is None:
            fail(
                f"HTTP 404 from {base}/service/rest/v1/search: no repository {repository} on this Nexus,"
                " or REPO_URL is not the Nexus base URL"
            )
        yield from (data.get("items") or []) if isinstance(data, dict) else []
        token, page = data.get("continuationToken") if isinstance(data, dict) else None, page + 1
        if not token:
            return


def not_found():
    """Fail for a search that found nothing: what the repository has instead, or that it is empty
    or missing."""
    what = f"no component {name} in repository {repository}"
    what += (f" with group {group}" if group else "") + (f" of format {form}" if form else "")
    first = list(search({"repository": repository}, pages=1))
    names = list(dict.fromkeys(c.get("name") or "" for c in first if c.get("name")))
    if names:
        more = " ..." if len(names) > FIRST_NAMES else ""
        hint = ""
        if "*" not in name and any(c.get("format") == "raw" for c in first):
            hint = f"; a raw component's name is its path: use a wildcard, e.g. COMPONENT={name.strip('/')}/*"
        fail(f"{what}; its first components: {', '.join(names[:FIRST_NAMES])}{more}{hint}")
    try:
        listed = json.loads(request(f"{base}/service/rest/v1/repositories", headers)[0])
        known = [r.get("name") for r in listed if isinstance(r, dict) and r.get("name")]
    except (urllib.error.HTTPError, urllib.error.URLError, ValueError, TypeError, AttributeError):
        fail(f"{what}: the search finds nothing there, so the repository is empty or does not exist")
    if repository not in known:
        shown = ", ".join(sorted(known)[:FIRST_NAMES]) + (" ..." if len(known) > FIRST_NAMES else "")
        fail(f"no repository {repository} on this Nexus" + (f"; it has: {shown}" if known else ""))
    fail(f"{what}: the repository is empty")


def file_name(asset):
    return (asset.get("path") or "").rsplit("/", 1)[-1]


def maven_parts(component, asset):
    """(classifier, extension) of a maven2 asset: from its maven2 attributes where Nexus gives them,
    else from its file name (ARTIFACT-VERSION[-CLASSIFIER].EXTENSION)."""
    attributes = asset.get("maven2") or {}
    if attributes.get("extension"):
        return attributes.get("classifier") or "", attributes["extension"]
    stem = f"{component.get('name')}-{component.get('version')}"
    rest = file_name(asset)[len(stem) :] if file_name(asset).startswith(stem) else ""
    if rest.startswith("-"):
        found, _, kind = rest[1:].partition(".")
        return found, kind
    return ("", rest[1:]) if rest.startswith(".") else (None, None)


def main_asset(component):
    """The asset to deploy: for maven2 the EXTENSION (default jar) file with CLASSIFIER (default
    none); for other formats the first that is no checksum or signature, ending in .EXTENSION and
    holding -CLASSIFIER. when those are set."""
    assets = [a for a in component.get("assets") or [] if not file_name(a).lower().endswith(SIGNATURES)]
    if component.get("format") == "maven2":
        return next((a for a in assets if maven_parts(component, a) == (classifier, extension or "jar")), None)
    if extension:
        assets = [a for a in assets if file_name(a).lower().endswith("." + extension.lower())]
    if classifier:
        assets = [a for a in assets if f"-{classifier}." in file_name(a)]
    return assets[0] if assets else None


def modified(asset):
    """lastModified as seconds since the epoch (any offset; none is UTC), or None."""
    text = re.sub(r"([+-]\d\d)(\d\d)$", r"\1:\2", str(asset.get("lastModified") or "").strip())
    try:
        when = datetime.datetime.fromisoformat(text[:-1] + "+00:00" if text.endswith("Z") else text)
    except ValueError:
        return None
    return (when if when.tzinfo else when.replace(tzinfo=datetime.timezone.utc)).timestamp()


query = {"repository": repository, "name": name, "sort": "version", "direction": "desc"}
for key, value in (("group", group), ("format", form)):
    if value:
        query[key] = value
components = list(search(query))
if not components:
    not_found()

kept, missing, unversioned = [], [], []
for component in components:
    asset = main_asset(component)
    if asset is None:
        if any(not file_name(a).lower().endswith(SIGNATURES) for a in component.get("assets") or []):
            missing.append(component)
        continue  # else a checksum or signature file stored as a component of its own (raw)
    version = component.get("version")
    if not version:
        if version_regex is None:
            fail(
                f"component {component.get('name')} in {repository} has no version (a {component.get('format')}"
                f" file: {asset.get('path')}): set VERSION_REGEX, its first group the version in the asset's path,"
                r" e.g. app-(\d[^/]*)\.tar\.gz$"
            )
        match = version_regex.search(asset.get("path") or "")
        if not match:
            unversioned.append(asset.get("path") or "")
            continue
        version = match.group(1) if version_regex.groups else match.group(0)
    kept.append((modified(asset), version, component, asset))

# Newest first: the asset's lastModified where Nexus gives it (undated ones after), then the version.
kept.sort(key=lambda k: (k[0] is not None, k[0] or 0, version_key(k[1])), reverse=True)
items = []
for _, version, component, asset in kept:
    checksum = asset.get("checksum") or {}
    items.append(
        {
            "version": version,
            "url": asset.get("downloadUrl") or "",
            "sha1": checksum.get("sha1") or "",
            "sha256": checksum.get("sha256") or "",
            "md5": checksum.get("md5") or "",
            "size": "" if asset.get("fileSize") is None else str(asset.get("fileSize")),
            "lastModified": asset.get("lastModified") or "",
            "path": asset.get("path") or "",
            "group": component.get("group") or "",
            "name": component.get("name") or "",
        }
    )

if any(c.get("format") == "maven2" for c in missing):
    wanted = f"{extension or 'jar'}" + (f" with classifier {classifier}" if classifier else "")
else:
    wanted = (f".{extension}" if extension else "main") + (f" with -{classifier}. in its name" if classifier else "")
reasons = []
if missing:
    sample = max(missing, key=lambda c: version_key(str(c.get("version") or c.get("name") or "")))
    has = sorted({file_name(a) for a in sample.get("assets") or []})
    label = sample.get("version") or sample.get("name")
    reasons.append(f"have a {wanted} asset (EXTENSION, CLASSIFIER; {label} has: {', '.join(has)})")
    if items:
        say(f"left out {len(missing)} components with no {wanted} asset, e.g. {label}")
if unversioned:
    reasons.append(f"have an asset path matching VERSION_REGEX {version_regex.pattern!r} (e.g. {unversioned[0]})")
    if items:
        say(f"left out {len(unversioned)} assets whose path VERSION_REGEX does not match, e.g. {unversioned[0]}")
write(
    items,
    found=f"{len(components)} components named {name} in repository {repository}",
    kept_by=" or ".join(reasons) or None,
)
