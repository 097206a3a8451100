"""Versions of one package in an APT (Debian/Ubuntu) repository: aptly, reprepro, Artifactory,
Nexus, Cloudsmith, a mirror of deb.debian.org.

As apt reads it: dists/SUITE/InRelease (or Release when the repository is unsigned) names the
indexes and their SHA256; COMPONENT/binary-ARCH/Packages(.xz|.gz|.bz2) holds one stanza per
package version. The index is checked against the SHA256 the Release file gives for it (no GPG
check: standard library only, so trust rests on TLS and the Release file's digest). Newest first by
dpkg's version order (epochs, ~ below everything, as dpkg --compare-versions); a ~ in the upstream
version (1.2~rc1-1) marks a pre-release, left out unless INCLUDE_PRERELEASES is true, while a ~ in
the Debian revision (1.2-1~bpo12+1, a backport) does not.
"""

import functools
import os
import re
import urllib.parse

from _http import auth_headers, base_url, fail, flag, get_or_none, named, write  # customsrc:include
from _pkg import check_digest, not_found, unpack  # customsrc:include

named("apt-repository")


# -- dpkg's version order (lib/dpkg/version.c) -------------------------------------------------------


def _order(char):
    if char.isdigit():
        return 0
    if char.isascii() and char.isalpha():
        return ord(char)
    if char == "~":
        return -1
    return ord(char) + 256 if char else 0


def _verrevcmp(a, b):
    i = j = 0
    while i < len(a) or j < len(b):
        first_diff = 0
        while (i < len(a) and not a[i].isdigit()) or (j < len(b) and not b[j].isdigit()):
            ac = _order(a[i] if i < len(a) else "")
            bc = _order(b[j] if j < len(b) else "")
            if ac != bc:
                return ac - bc
            i, j = i + 1, j + 1
        while i < len(a) and a[i] == "0":
            i += 1
        while j < len(b) and b[j] == "0":
            j += 1
        while i < len(a) and a[i].isdigit() and j < len(b) and b[j].isdigit():
            if not first_diff:
                first_diff = ord(a[i]) - ord(b[j])
            i, j = i + 1, j + 1
        if i < len(a) and a[i].isdigit():
            return 1
        if j < len(b) and b[j].isdigit():
            return -1
        if first_diff:
            return first_diff
    return 0


def parse_version(text):
    """(epoch, upstream, revision) of a Debian version: [epoch:]upstream[-revision]."""
    text = text.strip()
    epoch, colon, rest = text.partition(":")
    if not colon:
        epoch, rest = "0", text
    upstream, dash, revision = rest.rpartition("-")
    if not dash:
        upstream, revision = rest, ""
    return int(epoch) if epoch.isdigit() else 0, upstream, revision


def compare_versions(a, b):
    """dpkg --compare-versions a b as a number: < 0, 0 or > 0."""
    ea, ua, ra = parse_version(a)
    eb, ub, rb = parse_version(b)
    if ea != eb:
        return ea - eb
    return _verrevcmp(ua, ub) or _verrevcmp(ra, rb)


def is_prerelease(version):
    """A ~ in the upstream version (1.2~rc1, 2.0~beta2, 1.0~git20240101): Debian's pre-release mark."""
    return "~" in parse_version(version)[1]


# -- the repository's files ---------------------------------------------------------------------------


def release_text(text):
    """The Release text of an InRelease file (the clearsigned message, dash-escaping undone)."""
    if not text.startswith("-----BEGIN PGP SIGNED MESSAGE-----"):
        return text
    body = text.split("\n\n", 1)[1] if "\n\n" in text else ""
    body = body.split("\n-----BEGIN PGP SIGNATURE-----", 1)[0]
    return "\n".join(line[2:] if line.startswith("- ") else line for line in body.split("\n"))


def stanzas(text):
    """Each paragraph of a deb822 file (Release, Packages) as {field: value}."""
    current, field = {}, None
    for line in text.splitlines():
        if not line.strip():
            if current:
                yield current
            current, field = {}, None
        elif line[0] in " \t" and field:
            current[field] += "\n" + line.strip()
        elif ":" in line:
            field, _, value = line.partition(":")
            field = field.strip()
            current[field] = value.strip()
    if current:
        yield current


def indexes(release):
    """{path: (algorithm, digest)} of the files the Release file lists, by its strongest digest."""
    found = {}
    for field, algorithm in (("MD5Sum", "md5"), ("SHA1", "sha1"), ("SHA256", "sha256"), ("SHA512", "sha512")):
        for line in release.get(field, "").splitlines():
            parts = line.split()
            if len(parts) == 3:
                found[parts[2]] = (algorithm, parts[0])
    return found


def main():
    base = base_url()
    suite = os.environ.get("SUITE", "").strip().strip("/")
    component = os.environ.get("COMPONENT", "").strip().strip("/") or "main"
    arch = os.environ.get("ARCH", "").strip() or "amd64"
    package = os.environ.get("PACKAGE", "").strip()
    if not suite or not package:
        fail("SUITE and PACKAGE are required (e.g. SUITE=stable PACKAGE=myapp)")
    with_prereleases = flag("INCLUDE_PRERELEASES")
    headers = auth_headers()

    dists = f"{base}/dists/{suite}"
    body = get_or_none(f"{dists}/InRelease", headers)
    if body is None:
        body = get_or_none(f"{dists}/Release", headers)
    if body is None:
        fail(f"no suite {suite} at {base}: HTTP 404 from {dists}/InRelease and {dists}/Release")
    release = next(stanzas(release_text(body.decode("utf-8", "replace"))), {})
    listed = indexes(release)

    stem = f"{component}/binary-{arch}/Packages"
    candidates = [stem + ext for ext in (".xz", ".gz", ".bz2", "", ".lzma") if stem + ext in listed]
    if not candidates:
        components = release.get("Components", "").split()
        if components and component not in components:
            not_found("component", component, f"{dists}/Release", components)
        fail(
            f"{dists}/Release lists no {stem} index: no architecture {arch} in {suite}/{component}"
            f" (Architectures: {release.get('Architectures', '?')})"
        )
    packages = None
    for path in candidates:  # a Release may list an index the server does not keep (Debian: plain Packages)
        url = f"{dists}/{path}"
        raw = get_or_none(url, headers)
        if raw is not None:
            check_digest(raw, *listed[path], url, f"{dists}/Release")
            packages = unpack(raw, path, url).decode("utf-8", "replace")
            break
    if packages is None:
        fail(f"HTTP 404 from every {stem} index {dists}/Release lists ({', '.join(candidates)})")

    names, found = set(), []
    for stanza in stanzas(packages):
        name = stanza.get("Package", "")
        names.add(name)
        if name == package and stanza.get("Version"):
            found.append(stanza)
    if not found:
        not_found("package", package, f"{dists}/{stem}", names)

    kept = [s for s in found if with_prereleases or not is_prerelease(s["Version"])]
    kept.sort(key=functools.cmp_to_key(lambda a, b: compare_versions(a["Version"], b["Version"])), reverse=True)
    items, seen = [], set()
    for stanza in kept:
        version = stanza["Version"]
        if version in seen:  # the same version twice (an Architecture: all copy): the first is kept
            continue
        seen.add(version)
        filename = stanza.get("Filename", "")
        items.append(
            {
                "version": version,
                "package": package,
                "architecture": stanza.get("Architecture", ""),
                "filename": filename,
                "url": f"{base}/{urllib.parse.quote(filename, safe='/~+')}" if filename else "",
                "sha256": stanza.get("SHA256", ""),
                "size": stanza.get("Size", ""),
                "source": re.sub(r"\s*\(.*\)", "", stanza.get("Source", package)),
            }
        )
    write(
        items,
        found=f"{len(found)} versions of {package}",
        kept_by="is a release (INCLUDE_PRERELEASES=true lists ~ pre-releases too)" if len(kept) < len(found) else None,
    )


if __name__ == "__main__":
    main()
