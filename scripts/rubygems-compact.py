"""Versions of one gem from a RubyGems compact index: rubygems.org, Gemstash, Gemfury, Artifactory,
Nexus, GitHub Packages.

As Bundler reads it: /info/GEM has one line per version and platform, "VERSION[-PLATFORM] DEPS|REQS"
(dependencies "name:req&req,...", then checksum:SHA256, ruby:REQ, rubygems:REQ), yanked versions
already taken out. (/versions, the list of every gem, is tens of megabytes on rubygems.org: it is not
read.) Only PLATFORM's gems are listed (ruby, the pure-Ruby gem, by default). Newest first by RubyGems'
own version order (Gem::Version: segments compared one by one, numbers as numbers, a letter segment
below a number, so 1.0.0.rc1 < 1.0.0); a version with a letter is a pre-release, left out unless
INCLUDE_PRERELEASES is true.
"""

import functools
import os
import re
import urllib.parse

from _http import auth_headers, base_url, fail, flag, get_or_none, named, write  # customsrc:include

named("rubygems-compact")


# -- Gem::Version (rubygems/version.rb) -------------------------------------------------------------


def segments(version):
    """Gem::Version#canonical_segments: the number part and the letter part, trailing zeros dropped."""
    text = version.strip().replace("-", ".pre.")
    parts = [int(s) if s.isdigit() else s for s in re.findall(r"[0-9]+|[a-zA-Z]+", text)]
    first_letter = next((i for i, s in enumerate(parts) if isinstance(s, str)), len(parts))
    numbers, letters = parts[:first_letter], parts[first_letter:]
    while numbers and numbers[-1] == 0:
        numbers.pop()
    while letters and letters[-1] == 0:
        letters.pop()
    return numbers + letters


def compare_gem_versions(a, b):
    """Gem::Version.new(a) <=> Gem::Version.new(b): -1, 0 or 1."""
    left, right = segments(a), segments(b)
    for i in range(max(len(left), len(right))):
        one = left[i] if i < len(left) else 0
        two = right[i] if i < len(right) else 0
        if one == two:
            continue
        if isinstance(one, str) and isinstance(two, int):
            return -1
        if isinstance(one, int) and isinstance(two, str):
            return 1
        return -1 if one < two else 1
    return 0


def is_prerelease(version):
    """Gem::Version#prerelease?: any letter in the version."""
    return bool(re.search(r"[a-zA-Z]", version))


# -- the compact index ---------------------------------------------------------------------------------


def read_info(text):
    """Each line of an /info file as (version, platform, {checksum, ruby, rubygems}, dependencies)."""
    lines = text.split("\n")
    if "---" in lines:
        lines = lines[lines.index("---") + 1 :]
    for line in lines:
        if not line.strip():
            continue
        head, _, requirements = line.partition("|")
        name_part, _, deps = head.partition(" ")
        version, dash, platform = name_part.partition("-")
        fields = {}
        for part in requirements.split(","):
            key, colon, value = part.partition(":")
            if colon:
                fields[key.strip()] = value.strip().replace("&", ", ")
        dependencies = ", ".join(
            f"{n} ({r.replace('&', ', ')})" for n, _, r in (d.partition(":") for d in deps.strip().split(",") if d)
        )
        yield version, platform if dash else "ruby", fields, dependencies


def main():
    base = base_url(adds=("/info",))
    gem = os.environ.get("GEM", "").strip()
    if not gem:
        fail("GEM is required (e.g. GEM=rails)")
    platform = os.environ.get("PLATFORM", "").strip() or "ruby"
    with_prereleases = flag("INCLUDE_PRERELEASES")

    url = f"{base}/info/{urllib.parse.quote(gem)}"
    body = get_or_none(url, {**auth_headers(), "Accept": "text/plain"})
    if body is None:
        fail(f"no gem {gem} at {base} (HTTP 404 from {url})")
    lines = list(read_info(body.decode("utf-8", "replace")))
    platforms = sorted({p for _, p, _, _ in lines})
    on_platform = [line for line in lines if platform in ("*", line[1])]
    kept = [line for line in on_platform if with_prereleases or not is_prerelease(line[0])]
    kept.sort(key=functools.cmp_to_key(lambda a, b: compare_gem_versions(a[0], b[0])), reverse=True)
    items, seen = [], set()
    for version, on, fields, dependencies in kept:
        if version in seen:  # PLATFORM=*: a version built for several platforms is listed once
            continue
        seen.add(version)
        filename = f"{gem}-{version}" + ("" if on == "ruby" else f"-{on}") + ".gem"
        items.append(
            {
                "version": version,
                "platform": on,
                "sha256": fields.get("checksum", ""),
                "ruby": fields.get("ruby", ""),
                "rubygems": fields.get("rubygems", ""),
                "dependencies": dependencies,
                "url": f"{base}/gems/{urllib.parse.quote(filename)}",
            }
        )
    if not lines:
        write([], found=f"{gem} has no versions (all yanked?)")
    elif not on_platform:
        write(
            [],
            found=f"{len(lines)} versions of {gem}",
            kept_by=f"is for platform {platform} (it has: {', '.join(platforms)})",
        )
    else:
        write(
            items,
            found=f"{len(on_platform)} {platform} versions of {gem}",
            kept_by="is a release (INCLUDE_PRERELEASES=true lists pre-releases too)" if not kept else None,
        )


if __name__ == "__main__":
    main()
