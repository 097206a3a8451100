"""Versions of a Python package from a PEP 503/691 simple index (pypiserver, devpi, Nexus, Artifactory, GitLab, PyPI).

python3 standard library only. One item per version, newest first by PEP 440 order; the sdist (else the
first wheel) gives the download URL and sha256. JSON (PEP 691) when the index offers it, HTML otherwise.
"""

import html.parser
import json
import os
import re
import urllib.error
import urllib.parse
import urllib.request

from _http import auth_headers, base_url, fail, named, write  # customsrc:include

named("pypi-simple")


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


def version_of(filename, project):
    stem = re.sub(r"[-_.]+", "_", project).lower()
    if filename.endswith(".whl"):
        parts = filename[: -len(".whl")].split("-")
        return parts[1] if len(parts) >= 5 and re.sub(r"[-_.]+", "_", parts[0]).lower() == stem else None
    match = re.match(r"^(.+?)-(\d[^-]*)\.(?:tar\.gz|zip|tar\.bz2)$", filename)
    if match and re.sub(r"[-_.]+", "_", match.group(1)).lower() == stem:
        return match.group(2)
    return None


def pep440_key(version):
    """Release numbers, then pre-releases (a < b < rc) before the release, post after, dev first."""
    match = re.match(
        r"^v?(\d+(?:\.\d+)*)(?:[-_.]?(a|b|rc|alpha|beta|c)[-_.]?(\d*))?(?:[-_.]?post[-_.]?(\d*))?(?:[-_.]?dev(\d*))?",
        version.lower(),
    )
    if not match:
        return ((), (-2, 0), (-1,), (0,))
    release = tuple(int(p) for p in match.group(1).split("."))
    release += (0,) * (10 - len(release))
    rank = {"a": 0, "alpha": 0, "b": 1, "beta": 1, "c": 2, "rc": 2}
    pre = (rank[match.group(2)], int(match.group(3) or 0)) if match.group(2) else (3, 0)
    if match.group(5) is not None and not match.group(2) and match.group(4) is None:
        pre = (-1, 0)  # a .devN release comes before its pre-releases
    post = (int(match.group(4) or 0),) if match.group(4) is not None else (-1,)
    dev = (int(match.group(5) or 0),) if match.group(5) is not None else (float("inf"),)
    return (release, pre, post, dev)


base = base_url(adds=("/simple",))
project = re.sub(r"[-_.]+", "-", os.environ["PACKAGE"]).lower()
page = f"{base}/simple/{project}/"
headers = {"Accept": "application/vnd.pypi.simple.v1+json, text/html;q=0.5", **auth_headers()}
request = urllib.request.Request(page, headers=headers)
try:
    with urllib.request.urlopen(request, timeout=30) as response:
        body, content_type, final_url = response.read(), response.headers.get_content_type(), response.geturl()
except urllib.error.HTTPError as exc:
    fail(f"HTTP {exc.code} {exc.reason} from {page}")
except urllib.error.URLError as exc:
    fail(f"cannot reach {page}: {exc.reason}")

files = []
if content_type == "application/vnd.pypi.simple.v1+json":
    for entry in json.loads(body).get("files", []):
        files.append(
            {
                "filename": entry["filename"],
                "url": urllib.parse.urljoin(final_url, entry["url"]),
                "sha256": (entry.get("hashes") or {}).get("sha256", ""),
                "yanked": bool(entry.get("yanked")),
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

with_prereleases = os.environ.get("INCLUDE_PRERELEASES", "true").lower() == "true"
by_version = {}
for entry in files:
    version = version_of(entry["filename"], project)
    if version is None or entry["yanked"]:
        continue
    if not with_prereleases and re.search(r"(a|b|rc|alpha|beta|c|dev)\d*$", version.lower()):
        continue
    chosen = by_version.get(version)
    if chosen is None or (
        not chosen["filename"].endswith((".tar.gz", ".zip")) and entry["filename"].endswith((".tar.gz", ".zip"))
    ):
        by_version[version] = entry
items = [
    {"version": version, "url": entry["url"], "filename": entry["filename"], "sha256": entry["sha256"]}
    for version, entry in sorted(by_version.items(), key=lambda pair: pep440_key(pair[0]), reverse=True)
]
write(items)
