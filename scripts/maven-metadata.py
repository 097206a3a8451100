"""Versions of one Maven artifact, from its maven-metadata.xml (Maven 2 repository layout).

python3 standard library only. Newest first by Maven's own version order (ComparableVersion), not the
order of <versions>, which is deploy order (a hotfix 1.9.5 deployed after 1.10.0 comes last there).
A SNAPSHOT's file is timestamped on a remote repository (app-2.0.0-20261120.101500-3.jar): its URL is
read from that version's own maven-metadata.xml.
"""

import functools
import json
import os
import re
import urllib.error
import xml.etree.ElementTree as ET

from _http import (  # customsrc:include
    auth_headers,
    base_url,
    fail,
    flag,
    get_or_none,
    is_prerelease,
    named,
    request,
    say,
    version_key,
    write,
)

named("maven-metadata")

# -- Maven's version order: org.apache.maven.artifact.versioning.ComparableVersion ------------------
# A version is a list of items: numbers, qualifiers and sub-lists (a "-" or a switch between digits
# and letters starts one); trailing zeros and empty qualifiers are dropped (1.0.0 = 1 = 1-ga).
# Qualifiers: alpha < beta < milestone < rc = cr < snapshot < "" = ga = final = release < sp < others
# (in text order); a/b/m followed by a digit are alpha/beta/milestone (1.0a1 = 1.0-alpha-1).

QUALIFIERS = ["alpha", "beta", "milestone", "rc", "snapshot", "", "sp"]
ALIASES = {"ga": "", "final": "", "release": "", "cr": "rc"}
RELEASE = str(QUALIFIERS.index(""))


def _qualifier(text):
    return str(QUALIFIERS.index(text)) if text in QUALIFIERS else f"{len(QUALIFIERS)}-{text}"


def _word(text, followed_by_digit=False):
    if followed_by_digit and len(text) == 1:
        text = {"a": "alpha", "b": "beta", "m": "milestone"}.get(text, text)
    return ALIASES.get(text, text)


def _item(digits, text):
    return int(text) if digits else _word(text)


def _is_null(item):
    return item == 0 if isinstance(item, int) else len(item) == 0


def maven_parse(version):
    """The item list of ``version``: ints, qualifier strings and nested lists."""
    version = version.strip().lower()
    root = current = []
    stack = [root]
    digits, start = False, 0

    def sublist():
        nonlocal current
        current.append([])
        current = current[-1]
        stack.append(current)

    for i, char in enumerate(version):
        if char in ".-":
            current.append(0 if i == start else _item(digits, version[start:i]))
            start = i + 1
            if char == "-":
                sublist()
        elif "0" <= char <= "9":
            if not digits and i > start:
                if current:  # 1.0.0.X1 is 1.0.0-X1
                    sublist()
                current.append(_word(version[start:i], followed_by_digit=True))
                start = i
                sublist()
            digits = True
        else:
            if digits and i > start:
                current.append(_item(True, version[start:i]))
                start = i
                sublist()
            digits = False
    if len(version) > start:
        if not digits and current:  # 1.0.alpha is 1.0-alpha
            sublist()
        current.append(_item(digits, version[start:]))
    while stack:
        items = stack.pop()
        for i in range(len(items) - 1, -1, -1):
            if _is_null(items[i]):
                del items[i]
            elif not isinstance(items[i], list):
                break
    return root


def _sign(a, b):
    return (a > b) - (a < b)


def _compare(left, right):
    """ComparableVersion's Item.compareTo; ``right`` None is the end of the other version."""
    if isinstance(left, int):
        if right is None:
            return 0 if left == 0 else 1
        return _sign(left, right) if isinstance(right, int) else 1
    if isinstance(left, str):
        if right is None:
            return _sign(_qualifier(left), RELEASE)
        if isinstance(right, int):
            return -1
        return _sign(_qualifier(left), _qualifier(right)) if isinstance(right, str) else -1
    if right is None:
        return next((result for result in (_compare(item, None) for item in left) if result), 0)
    if isinstance(right, int):
        return -1
    if isinstance(right, str):
        return 1
    for i in range(max(len(left), len(right))):
        one = left[i] if i < len(left) else None
        other = right[i] if i < len(right) else None
        result = (0 if other is None else -_compare(other, one)) if one is None else _compare(one, other)
        if result:
            return result
    return 0


def maven_compare(a, b):
    """Maven's order of versions a and b (-1, 0, 1); equal ones (1.0 = 1.0.0) by the gallery's order."""
    return _compare(maven_parse(a), maven_parse(b)) or _sign(version_key(a), version_key(b)) or _sign(a, b)


def is_snapshot(version):
    return version.upper().endswith("SNAPSHOT")


def is_pre(version):
    """A SNAPSHOT, or a qualifier Maven orders below the release (alpha, beta, milestone, rc, cr), or
    one the gallery counts as a pre-release (dev, preview, ...)."""

    def below_release(items):
        return any(
            below_release(i) if isinstance(i, list) else isinstance(i, str) and _qualifier(i) < RELEASE for i in items
        )

    return is_snapshot(version) or below_release(maven_parse(version)) or is_prerelease(version)


# -- the repository ----------------------------------------------------------------------------------

base = base_url()
group = os.environ.get("GROUP_ID", "").strip()
artifact = os.environ.get("ARTIFACT_ID", "").strip()
if not group or not artifact:
    fail("GROUP_ID and ARTIFACT_ID are required (e.g. org.example and app)")
packaging = (os.environ.get("PACKAGING") or "jar").strip().lstrip(".")
classifier = os.environ.get("CLASSIFIER", "").strip()
prereleases = flag("INCLUDE_PRERELEASES")
headers = {"Accept": "application/xml", **auth_headers()}
group_folder = f"{base}/{group.replace('.', '/')}"
folder = f"{group_folder}/{artifact}"
wanted = f"{classifier} {packaging}" if classifier else packaging


def metadata(url):
    """The <versioning> of the maven-metadata.xml at ``url`` (namespaces dropped: Maven 3 writes
    them with or without xmlns="http://maven.apache.org/METADATA/1.1.0"); None for a 404."""
    body = get_or_none(url, headers)
    if body is None:
        return None
    try:
        root = ET.fromstring(body)
    except ET.ParseError as exc:
        fail(f"{url} is not XML ({exc}); is REPO_URL the repository root?")
    for element in root.iter():
        if isinstance(element.tag, str) and "}" in element.tag:
            element.tag = element.tag.split("}", 1)[1]
    if root.tag != "metadata":
        fail(f"{url} is <{root.tag}>, not Maven repository <metadata>")
    versioning = root.find("versioning")
    return ET.Element("versioning") if versioning is None else versioning


def artifacts_in_group():
    """'; GROUP has: a, b' from the group folder's directory listing (HTML or nginx JSON), if any."""
    try:
        body = request(f"{group_folder}/", {"Accept": "text/html, application/json", **auth_headers()})[0]
    except (urllib.error.HTTPError, urllib.error.URLError):
        return ""
    text = body.decode("utf-8", "replace")
    try:
        names = [e["name"] for e in json.loads(text) if isinstance(e, dict) and e.get("type") == "directory"]
    except (ValueError, TypeError, KeyError):
        names = [h.rstrip("/").rsplit("/", 1)[-1] for h in re.findall(r'href="([^"?#]+/)"', text)]
        names = [n for n in dict.fromkeys(names) if n and n != ".." and not n.startswith(("http:", "https:"))]
    if not names:
        return ""
    return f"; {group} has: {', '.join(sorted(names)[:10])}" + (" ..." if len(names) > 10 else "")


def snapshot_file(version):
    """The timestamped file name part (2.0.0-20261120.101500-3) of SNAPSHOT ``version``'s file, from
    its own maven-metadata.xml; None (said on stderr) when it has no such file."""
    url = f"{folder}/{version}/maven-metadata.xml"
    versioning = metadata(url)
    if versioning is None:
        say(f"{version} left out: {url} is missing, so its timestamped file is unknown")
        return None
    files = versioning.findall("snapshotVersions/snapshotVersion")
    for entry in files:
        if (entry.findtext("extension") or "").strip() == packaging and (
            entry.findtext("classifier") or ""
        ).strip() == classifier:
            return (entry.findtext("value") or "").strip() or None
    snapshot = versioning.find("snapshot")
    if not files and snapshot is not None:  # Maven 2 metadata: the last build's timestamp only
        if (snapshot.findtext("localCopy") or "").strip() == "true":
            return version
        timestamp, build = (snapshot.findtext("timestamp") or "").strip(), (snapshot.findtext("buildNumber") or "")
        if timestamp and build.strip():
            return f"{version[: -len('SNAPSHOT')]}{timestamp}-{build.strip()}"
    has = sorted(
        {f"{(e.findtext('classifier') or '').strip()} {(e.findtext('extension') or '').strip()}".strip() for e in files}
    )
    say(f"{version} left out: it has no {wanted} file (it has: {', '.join(has) or 'none listed'})")
    return None


versioning = metadata(f"{folder}/maven-metadata.xml")
if versioning is None:
    where = f"{folder}/maven-metadata.xml: HTTP 404"
    fail(f"no artifact {group}:{artifact} in this repository ({where}){artifacts_in_group()}")
updated = (versioning.findtext("lastUpdated") or "").strip()
listed = list(
    dict.fromkeys(v.text.strip() for v in versioning.findall("versions/version") if v.text and v.text.strip())
)
ordered = sorted(listed, key=functools.cmp_to_key(maven_compare), reverse=True)
items, left_out = [], []
for version in ordered:
    pre = is_pre(version)
    if pre and not prereleases:
        left_out.append(version)
        continue
    stem = snapshot_file(version) if is_snapshot(version) else version
    if stem is None:
        continue
    suffix = f"-{classifier}" if classifier else ""
    items.append(
        {
            "version": version,
            "url": f"{folder}/{version}/{artifact}-{stem}{suffix}.{packaging}",
            "groupId": group,
            "artifactId": artifact,
            "isRelease": str(not pre).lower(),
            "repositoryUpdated": updated,
        }
    )
if left_out and items:
    say(f"left out {len(left_out)} SNAPSHOT and pre-release versions (INCLUDE_PRERELEASES is false)")
shown = ", ".join(ordered[:5]) + (" ..." if len(ordered) > 5 else "")
write(
    items,
    found=f"maven-metadata.xml of {group}:{artifact} lists {len(listed)} versions" + (f" ({shown})" if listed else ""),
    kept_by=(
        "are releases (INCLUDE_PRERELEASES=true lists SNAPSHOTs and pre-releases too)"
        if left_out
        else f"have a {wanted} file"
    )
    if listed
    else None,
)
