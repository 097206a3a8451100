"""Versions of a Python package from a PEP 503/691 simple index (pypiserver, devpi, Nexus, Artifactory, GitLab, PyPI).

python3 standard library only. One item per version, newest first by PEP 440 order in full (epoch,
release, a/b/rc, post, dev, local), as pip orders them; the sdist (else the first wheel) gives the
download URL and sha256. JSON (PEP 691) when the index offers it, HTML otherwise. As pip: pre- and dev
releases only with INCLUDE_PRERELEASES, yanked files (PEP 592) only with INCLUDE_YANKED.

An index that redirects a package it does not have (pypiserver's fallback to pypi.org, a proxy) is
followed, as pip follows it: the versions listed are the other index's, said on stderr, and the
credentials given stay with REPO_URL's own origin (the helper drops them on a redirect elsewhere).
"""

import functools
import html.parser
import json
import os
import re
import time
import urllib.error
import urllib.parse
import urllib.request

from _http import (  # customsrc:include
    auth_headers,
    base_url,
    fail,
    failed,
    flag,
    named,
    retry_wait,
    say,
    version_key,
    write,
)

named("pypi-simple")

# PEP 440's own grammar (as the packaging library writes it), matched case-insensitively.
PEP440 = re.compile(
    r"""^\s*v?
    (?:(?P<epoch>[0-9]+)!)?
    (?P<release>[0-9]+(?:\.[0-9]+)*)
    (?P<pre>[-_.]?(?P<pre_l>alpha|a|beta|b|preview|pre|c|rc)[-_.]?(?P<pre_n>[0-9]+)?)?
    (?P<post>(?:-(?P<post_n1>[0-9]+))|(?:[-_.]?(?P<post_l>post|rev|r)[-_.]?(?P<post_n2>[0-9]+)?))?
    (?P<dev>[-_.]?(?P<dev_l>dev)[-_.]?(?P<dev_n>[0-9]+)?)?
    (?:\+(?P<local>[a-z0-9]+(?:[-_.][a-z0-9]+)*))?
    \s*$""",
    re.VERBOSE | re.IGNORECASE,
)
PRE_RANK = {"a": 0, "alpha": 0, "b": 1, "beta": 1, "c": 2, "rc": 2, "pre": 2, "preview": 2}
SDIST = (".tar.gz", ".zip", ".tar.bz2", ".tar.xz", ".tgz", ".tar")


def pep440(version):
    """The sort key of a PEP 440 version (packaging's order), or None for a version that is not one."""
    match = PEP440.match(version)
    if not match:
        return None
    release = [int(part) for part in match.group("release").split(".")]
    while len(release) > 1 and release[-1] == 0:  # 1.0 == 1.0.0
        release.pop()
    pre, post, dev = match.group("pre_l"), match.group("post"), match.group("dev")
    if pre:
        pre_key = (1, PRE_RANK[pre.lower()], int(match.group("pre_n") or 0))
    elif dev and not post:
        pre_key = (0, 0, 0)  # 1.0.dev1 comes before 1.0a1
    else:
        pre_key = (2, 0, 0)  # a release comes after its pre-releases
    post_key = (1, int(match.group("post_n1") or match.group("post_n2") or 0)) if post else (0, 0)
    dev_key = (0, int(match.group("dev_n") or 0)) if dev else (1, 0)  # a dev release before its base
    local = match.group("local")
    # A local version sorts above the same public one; its parts: numbers above names, numbers as numbers.
    local_key = (
        (1, tuple((1, int(p), "") if p.isdigit() else (0, 0, p.lower()) for p in re.split(r"[-_.]", local)))
        if local
        else (0, ())
    )
    return (int(match.group("epoch") or 0), tuple(release), pre_key, post_key, dev_key, local_key)


def is_prerelease(version):
    """PEP 440: a pre-release (a, b, rc) or a development release (.devN)."""
    match = PEP440.match(version)
    return bool(match and (match.group("pre") or match.group("dev")))


def compare(left, right):
    """PEP 440 versions in PEP 440 order; anything else below them all, in the gallery's order."""
    a, b = pep440(left), pep440(right)
    if a is not None and b is not None:
        return (a > b) - (a < b) or (version_key(left) > version_key(right)) - (version_key(left) < version_key(right))
    if a is not None or b is not None:
        return 1 if a is not None else -1
    return (version_key(left) > version_key(right)) - (version_key(left) < version_key(right))


class Links(html.parser.HTMLParser):
    def __init__(self):
        super().__init__()
        self.files = []

    def handle_starttag(self, tag, attrs):
        if tag == "a":
            attributes = dict(attrs)
            self.files.append({"href": attributes.get("href") or "", "yanked": "data-yanked" in attributes})

    def handle_data(self, data):
        if self.files and "filename" not in self.files[-1]:
            self.files[-1]["filename"] = data.strip()


def normalize(name):
    return re.sub(r"[-_.]+", "-", name).lower()


def version_of(filename, project):
    """The version in a wheel's or an sdist's file name, when the file is ``project``'s."""
    if filename.endswith(".whl"):
        parts = filename[: -len(".whl")].split("-")
        return parts[1] if len(parts) in (5, 6) and normalize(parts[0]) == project else None
    stem = next((filename[: -len(ext)] for ext in SDIST if filename.lower().endswith(ext)), None)
    if stem is None:
        return None
    for position in (i for i, char in enumerate(stem) if char == "-"):  # the name may hold "-" itself
        if normalize(stem[:position]) == project and stem[position + 1 : position + 2].isdigit():
            return stem[position + 1 :]
    return None


def open_page(url, headers):
    """(body, content type, the URL it came from after any redirect); a 404 is "no such package"."""
    attempt = 0
    while True:
        try:
            with urllib.request.urlopen(urllib.request.Request(url, headers=headers), timeout=30) as response:
                return response.read(), response.headers.get_content_type(), response.geturl()
        except urllib.error.HTTPError as exc:
            if exc.code in (404, 410):
                where = exc.geturl() or url
                elsewhere = f"; it redirected to {where}, which has none either" if where != url else ""
                fail(f"no package {os.environ['PACKAGE'].strip()} on this index ({url}){elsewhere}")
            wait = retry_wait(exc, attempt)
            if wait is None:
                failed(exc, url)
            time.sleep(wait)
            attempt += 1
        except urllib.error.URLError as exc:
            failed(exc, url)


base = base_url(adds=("/simple",))
project = normalize(os.environ["PACKAGE"].strip())
simple = base if base.endswith("/+simple") else f"{base}/simple"  # devpi's is USER/INDEX/+simple
page = f"{simple}/{project}/"
headers = {"Accept": "application/vnd.pypi.simple.v1+json, text/html;q=0.5", **auth_headers()}
body, content_type, final_url = open_page(page, headers)
if urllib.parse.urlsplit(final_url)[:2] != urllib.parse.urlsplit(page)[:2]:
    say(
        f"{page} redirected to {final_url} (another index, such as pypiserver's fallback): listing the versions"
        " there, as pip would; the credentials given were not sent to it"
    )

files = []
if content_type == "application/vnd.pypi.simple.v1+json":
    for entry in json.loads(body).get("files", []):
        files.append(
            {
                "filename": entry["filename"],
                "url": urllib.parse.urljoin(final_url, entry["url"]),
                "sha256": (entry.get("hashes") or {}).get("sha256", ""),
                "yanked": bool(entry.get("yanked")),  # false, true, or the reason (PEP 691)
            }
        )
else:
    parser = Links()
    parser.feed(body.decode("utf-8", "replace"))
    for entry in parser.files:
        url, _, fragment = entry["href"].partition("#")
        digest = fragment.split("=", 1)[1] if fragment.startswith("sha256=") else ""
        files.append(
            {
                "filename": entry.get("filename", ""),
                "url": urllib.parse.urljoin(final_url, url),
                "sha256": digest,
                "yanked": entry["yanked"],
            }
        )

with_prereleases, with_yanked = flag("INCLUDE_PRERELEASES"), flag("INCLUDE_YANKED")
versions, skipped = set(), {"yanked": set(), "pre": set()}
by_version = {}
for entry in files:
    version = version_of(entry["filename"], project)
    if version is None:
        continue
    versions.add(version)
    if entry["yanked"] and not with_yanked:
        skipped["yanked"].add(version)
        continue
    if not with_prereleases and is_prerelease(version):
        skipped["pre"].add(version)
        continue
    chosen = by_version.get(version)
    if chosen is None or (not chosen["filename"].endswith(SDIST) and entry["filename"].endswith(SDIST)):
        by_version[version] = entry
ordered = sorted(by_version, key=functools.cmp_to_key(compare), reverse=True)
items = [
    {
        "version": version,
        "url": by_version[version]["url"],
        "filename": by_version[version]["filename"],
        "sha256": by_version[version]["sha256"],
    }
    for version in ordered
]
left_out = []
if skipped["pre"]:
    left_out.append(f"INCLUDE_PRERELEASES false ({len(skipped['pre'])} pre- and dev releases left out)")
if skipped["yanked"] - set(by_version):
    gone = len(skipped["yanked"] - set(by_version))
    left_out.append(f"INCLUDE_YANKED false ({gone} yanked version{'s' * (gone != 1)} left out)")
write(
    items,
    found=(
        f"{len(versions)} version{'s' * (len(versions) != 1)} of {project} on {final_url}"
        if versions
        else f"no files of {project} on {final_url}"
    ),
    kept_by="kept by " + " and ".join(left_out) if left_out else None,
)
