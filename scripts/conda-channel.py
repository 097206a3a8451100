"""Versions of a package in a Conda channel (repodata.json: conda-forge mirrors, Quetz, a static channel).

python3 standard library only. One item per file (.conda and .tar.bz2), newest first by conda's own
version order (conda.models.version.VersionOrder, implemented here in full: epoch!, numbers as
numbers, dev < _ < letters (pre-releases) < the release < post, +local), then build number, then
build time: Harness keeps the first item of each version, so that is its newest build, and a rebuild
of an old version never rises above newer versions. As conda does, SUBDIR's packages and noarch's are
read together.
"""

import difflib
import functools
import json
import os
import re
import urllib.error
import urllib.parse
from datetime import datetime, timezone
from itertools import zip_longest

from _http import auth_headers, base_url, fail, failed, named, request, say, write  # customsrc:include

named("conda-channel")

_ATOMS = re.compile(r"([0-9]+|[*]+|[^0-9*]+)")


def version_order(text):
    """conda's VersionOrder as lists of components, each a list of atoms (int, inf for post, str),
    or None for a string conda would reject."""
    version = str(text).strip().lower().replace("-", "_")
    if not version or not re.fullmatch(r"[*.+!_0-9a-z]+", version):
        return None
    epoch, _, rest = version.rpartition("!")
    if epoch and not epoch.isdigit():
        return None
    main, _, local = rest.partition("+")
    if not main or "+" in local:
        return None
    if main.endswith("_"):  # openssl-like 1.0.1_ : the trailing _ stays with the last component
        parts = main[:-1].replace("_", ".").split(".")
        parts[-1] += "_"
    else:
        parts = main.replace("_", ".").split(".")
    result = []
    for components in ([epoch or "0", *parts], local.replace("_", ".").split(".") if local else []):
        converted = []
        for component in components:
            atoms = _ATOMS.findall(component)
            if not atoms:
                return None
            atoms = [
                int(a) if a.isdigit() else float("inf") if a == "post" else "DEV" if a == "dev" else a for a in atoms
            ]
            converted.append([0, *atoms] if component[0].isalpha() else atoms)
        result.append(converted)
    return result


def _less(left, right):
    """conda's VersionOrder.__lt__: components compared atom by atom, a missing atom being 0; a
    string below a number; strings as strings ("DEV" < "_" < "a" ... "rc" ...)."""
    for t1, t2 in zip(left, right, strict=True):
        for v1, v2 in zip_longest(t1, t2, fillvalue=[]):
            for c1, c2 in zip_longest(v1, v2, fillvalue=0):
                if c1 == c2:
                    continue
                if isinstance(c1, str):
                    if not isinstance(c2, str):
                        return True
                elif isinstance(c2, str):
                    return False
                return c1 < c2
    return False


def compare_items(a, b):
    """Newest first: version (conda's order; a version conda rejects below all), build number, time."""
    va, vb = a["_version"], b["_version"]
    if va is not None and vb is not None:
        if _less(va, vb):
            return 1
        if _less(vb, va):
            return -1
    elif va is not None or vb is not None:
        return -1 if va is not None else 1
    for key in ("_build_number", "_stamp", "_conda"):
        if a[key] != b[key]:
            return -1 if a[key] > b[key] else 1
    return 0


def repodata(subdir, required):
    """A subdir's repodata.json, or None when it has none and it is not ``required``."""
    url = f"{base}/{subdir}/repodata.json"
    try:
        return json.loads(request(url, auth_headers())[0])
    except urllib.error.HTTPError as exc:
        if exc.code == 404 and not required:
            return None
        if exc.code == 404:
            fail(f"no subdir {subdir} in {base} ({url}: HTTP 404){known_subdirs()}")
        failed(exc, url)
    except urllib.error.URLError as exc:
        failed(exc, url)


def channeldata():
    """The channel's channeldata.json (conda-index writes it), or {} where there is none."""
    try:
        return json.loads(request(f"{base}/channeldata.json", auth_headers())[0])
    except (urllib.error.URLError, ValueError):
        return {}


def known_subdirs():
    subdirs = channeldata().get("subdirs") or []
    return f"; the channel has: {', '.join(subdirs)}" if subdirs else ""


def records(data, subdir):
    """(filename, record, its URL) for ``package`` in one repodata.json."""
    info = data.get("info") or {}
    # repodata v2 (CEP 15) may name where the files are; else they sit beside repodata.json
    where = urllib.parse.urljoin(f"{base}/{subdir}/", info["base_url"]) if info.get("base_url") else f"{base}/{subdir}"
    for section in ("packages.conda", "packages"):
        for filename, record in (data.get(section) or {}).items():
            if record.get("name") == package:
                yield filename, record, f"{where.rstrip('/')}/{filename}"


base = base_url(adds=("/repodata.json",))
package, subdir = os.environ["PACKAGE"].strip(), (os.environ.get("SUBDIR") or "noarch").strip().strip("/")
if "/" in subdir:
    fail(f"SUBDIR is one platform folder (noarch, linux-64, osx-arm64, ...), got {subdir!r}")
read = {subdir: repodata(subdir, required=True)}
if subdir != "noarch":  # conda reads noarch with every platform
    read["noarch"] = repodata("noarch", required=False)
found = [(name, record, url) for sub, data in read.items() if data for name, record, url in records(data, sub)]
if not found and subdir == "noarch":
    # Not noarch: the channel's channeldata.json says which platforms build it.
    listed = (channeldata().get("packages") or {}).get(package) or {}
    elsewhere = [s for s in listed.get("subdirs") or [] if s != "noarch"]
    if len(elsewhere) == 1:
        say(f"{package} is not in {base}/noarch; the channel builds it for {elsewhere[0]} only: listing that")
        subdir = elsewhere[0]
        data = repodata(subdir, required=True)
        found = list(records(data, subdir))
    elif elsewhere:
        fail(f"no package {package} in {base}/noarch; it is built for {', '.join(elsewhere)}: set SUBDIR to one")
if not found:
    names = sorted(
        {
            record.get("name", "")
            for data in read.values()
            if data
            for section in ("packages.conda", "packages")
            for record in (data.get(section) or {}).values()
        }
    )
    near = difflib.get_close_matches(package, names, n=10, cutoff=0.6) or names[:10]
    hint = f"; it has {len(names)} packages, such as: {', '.join(near)}" if names else "; its repodata has none"
    also = " (or noarch)" if subdir != "noarch" else ""
    fail(f"no package {package} in {base}/{subdir}{also}{hint}")

items = []
for filename, record, url in found:
    stamp = record.get("timestamp") or 0
    stamp = stamp / 1000 if stamp > 10**11 else stamp  # conda writes milliseconds (older: seconds)
    version = str(record.get("version", ""))
    items.append(
        {
            "version": version,
            "build": str(record.get("build", "")),
            "url": url,
            "sha256": record.get("sha256", ""),
            "size": str(record.get("size", "")),
            "published": datetime.fromtimestamp(stamp, timezone.utc).isoformat() if stamp else "",
            "_version": version_order(version),
            "_build_number": int(record.get("build_number") or 0),
            "_stamp": stamp,
            "_conda": filename.endswith(".conda"),  # the same build's .conda before its .tar.bz2
        }
    )
items.sort(key=functools.cmp_to_key(compare_items))
for item in items:
    for key in [k for k in item if k.startswith("_")]:
        del item[key]
write(items)
