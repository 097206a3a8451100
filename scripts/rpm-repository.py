"""Versions of one package in an RPM (YUM/DNF) repository: createrepo_c, Pulp, Artifactory, Nexus,
Cloudsmith, a Fedora or EPEL mirror.

As dnf reads it: repodata/repomd.xml names the primary metadata (primary.xml.gz, or .xz, .bz2,
.zst: createrepo_c 1.0 and later write zstd, read here with the system's zstd command) and its
checksum, checked; primary.xml has one <package> per name, arch and version. Newest first by rpm's
own order of epoch:version-release (rpmvercmp, ~ and ^ included, as rpm.vercmp); a ~ in the version
(1.2~rc1, the RPM packaging guidelines' pre-release mark) is a pre-release, left out unless
INCLUDE_PRERELEASES is true. Source packages (arch src) are never listed.
"""

import functools
import io
import os
import shutil
import subprocess
import time
import urllib.parse
import xml.etree.ElementTree as ET

from _http import auth_headers, base_url, fail, flag, get, get_or_none, named, write  # customsrc:include
from _pkg import check_digest, not_found, under, unpack  # customsrc:include

named("rpm-repository")

REPO = "{http://linux.duke.edu/metadata/repo}"
COMMON = "{http://linux.duke.edu/metadata/common}"
XML_BASE = "{http://www.w3.org/XML/1998/namespace}base"


# -- rpm's version order (rpmio/rpmvercmp.c) -----------------------------------------------------


def _alnum(char):
    return char.isascii() and char.isalnum()


def rpmvercmp(a, b):
    """rpm.vercmp(a, b) of one version or release string: -1, 0 or 1."""
    if a == b:
        return 0
    i = j = 0
    while i < len(a) or j < len(b):
        while i < len(a) and not _alnum(a[i]) and a[i] not in "~^":
            i += 1
        while j < len(b) and not _alnum(b[j]) and b[j] not in "~^":
            j += 1
        one, two = a[i : i + 1], b[j : j + 1]
        if "~" in (one, two):  # a tilde sorts before everything, even the end
            if one != "~":
                return 1
            if two != "~":
                return -1
            i, j = i + 1, j + 1
            continue
        if "^" in (one, two):  # a caret sorts after the end, before anything else
            if not one:
                return -1
            if not two:
                return 1
            if one != "^":
                return 1
            if two != "^":
                return -1
            i, j = i + 1, j + 1
            continue
        if not (one and two):
            break
        test = str.isdigit if one.isdigit() else (lambda c: c.isascii() and c.isalpha())
        end1, end2 = i, j
        while end1 < len(a) and test(a[end1]):
            end1 += 1
        while end2 < len(b) and test(b[end2]):
            end2 += 1
        if end2 == j:  # segments of different kinds: a number is newer than letters
            return 1 if one.isdigit() else -1
        seg1, seg2 = a[i:end1], b[j:end2]
        if one.isdigit():
            seg1, seg2 = seg1.lstrip("0"), seg2.lstrip("0")
            if len(seg1) != len(seg2):
                return 1 if len(seg1) > len(seg2) else -1
        if seg1 != seg2:
            return 1 if seg1 > seg2 else -1
        i, j = end1, end2
    if i >= len(a) and j >= len(b):
        return 0
    return -1 if i >= len(a) else 1


def compare_evr(a, b):
    """Order of two (epoch, version, release): the epoch as a number, then version, then release."""
    return (a[0] > b[0]) - (a[0] < b[0]) or rpmvercmp(a[1], b[1]) or rpmvercmp(a[2], b[2])


def evr_text(epoch, version, release):
    """The version as dnf shows it: [EPOCH:]VERSION-RELEASE (no epoch when it is 0)."""
    return f"{epoch}:{version}-{release}" if epoch else f"{version}-{release}"


# -- the repository's files ---------------------------------------------------------------------------


def unzstd(body, where):
    binary = shutil.which("zstd")
    if binary is None:
        fail(f"{where} is zstd-compressed and this delegate has no zstd command (install zstd)")
    proc = subprocess.run([binary, "-dc"], input=body, capture_output=True, check=False)
    if proc.returncode != 0:
        fail(f"{where} is not a readable zstd file ({proc.stderr.decode(errors='replace').strip()[:120]})")
    return proc.stdout


def primary_location(repomd, where):
    """(href, checksum type, checksum) of the primary metadata repomd.xml names."""
    try:
        root = ET.fromstring(repomd)
    except ET.ParseError as exc:
        fail(f"{where} is not repository metadata ({exc})")
    for data in root.iter(f"{REPO}data"):
        if data.get("type") == "primary":
            location, checksum = data.find(f"{REPO}location"), data.find(f"{REPO}checksum")
            if location is not None and location.get("href"):
                digest = (checksum.get("type", ""), checksum.text or "") if checksum is not None else ("", "")
                return location.get("href"), digest[0], digest[1]
    return fail(f"{where} names no primary metadata")


def main():
    base = base_url(adds=("/repodata/repomd.xml", "/repodata"))
    package = os.environ.get("PACKAGE", "").strip()
    if not package:
        fail("PACKAGE is required (e.g. PACKAGE=myapp)")
    wanted = os.environ.get("ARCH", "").strip() or "x86_64"
    with_prereleases = flag("INCLUDE_PRERELEASES")
    headers = auth_headers()

    repomd_url = f"{base}/repodata/repomd.xml"
    repomd = get_or_none(repomd_url, headers)
    if repomd is None:
        fail(f"no RPM repository at {base}: HTTP 404 from {repomd_url}")
    href, algorithm, digest = primary_location(repomd, repomd_url)
    primary_url = f"{base}/{href}"
    body = get(primary_url, headers)
    check_digest(body, algorithm if algorithm != "sha" else "sha1", digest, primary_url, repomd_url)
    body = unzstd(body, primary_url) if href.endswith(".zst") else unpack(body, href, primary_url)

    names, found, arches = set(), [], set()
    try:
        for _event, element in ET.iterparse(io.BytesIO(body)):
            if element.tag != f"{COMMON}package":
                continue
            name = element.findtext(f"{COMMON}name", "")
            names.add(name)
            arch = element.findtext(f"{COMMON}arch", "")
            if name == package and arch != "src":
                arches.add(arch)
                if wanted == "*" or arch in (wanted, "noarch"):
                    found.append(read_package(element, base))
            element.clear()
    except ET.ParseError as exc:
        fail(f"{primary_url} is not readable primary metadata ({exc})")
    if not arches:
        not_found("package", package, base, names)
    if not found:
        fail(f"{package} has no {wanted} or noarch packages at {base} (it has: {', '.join(sorted(arches))})")

    kept = [p for p in found if with_prereleases or "~" not in p["ver"]]
    kept.sort(key=functools.cmp_to_key(lambda a, b: compare_evr(a["evr"], b["evr"])), reverse=True)
    items, seen = [], set()
    for item in kept:
        del item["evr"]
        if item["version"] in seen:  # the same version for several architectures (ARCH=*): the first is kept
            continue
        seen.add(item["version"])
        items.append(item)
    write(
        items,
        found=f"{len(found)} versions of {package}",
        kept_by="is a release (INCLUDE_PRERELEASES=true lists ~ pre-releases too)" if len(kept) < len(found) else None,
    )


def read_package(element, base):
    version = element.find(f"{COMMON}version")
    epoch_text = version.get("epoch", "0") if version is not None else "0"
    epoch = int(epoch_text) if epoch_text.isdigit() else 0
    ver = version.get("ver", "") if version is not None else ""
    rel = version.get("rel", "") if version is not None else ""
    location = element.find(f"{COMMON}location")
    href = location.get("href", "") if location is not None else ""
    where = (location.get(XML_BASE) if location is not None else None) or base + "/"
    checksum = element.find(f"{COMMON}checksum")
    times = element.find(f"{COMMON}time")
    built = times.get("build", "") if times is not None else ""
    size = element.find(f"{COMMON}size")
    return {
        "evr": (epoch, ver, rel),
        "version": evr_text(epoch, ver, rel),
        "name": element.findtext(f"{COMMON}name", ""),
        "epoch": str(epoch),
        "ver": ver,
        "rel": rel,
        "arch": element.findtext(f"{COMMON}arch", ""),
        "url": under(where, urllib.parse.quote(href, safe="/~+")),
        "checksum": (checksum.text or "").strip() if checksum is not None else "",
        "checksumType": checksum.get("type", "") if checksum is not None else "",
        "size": size.get("package", "") if size is not None else "",
        "buildTime": time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime(int(built))) if built.isdigit() else "",
    }


if __name__ == "__main__":
    main()
