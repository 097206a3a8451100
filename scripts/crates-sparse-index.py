"""Versions of a Rust crate from a sparse registry index (crates.io, Cloudsmith, Kellnr, a static index).

python3 standard library only. Newest first by semver precedence (the index lists versions in publish
order, and a 1.2.5 hotfix published after 2.0.0 must not come first), the gallery's version order
breaking ties; semver pre-releases (1.0.0-rc.1) only with INCLUDE_PRERELEASES, yanked versions only
with INCLUDE_YANKED. Authentication is cargo's: a registry whose config.json says "auth-required" (or
answers 401 for it) gets the TOKEN secret, as it is, in the Authorization header of every request.
"""

import json
import os
import re
import urllib.error

from _http import base_url, fail, failed, flag, named, request, version_key, write  # customsrc:include

named("crates-sparse-index")

SEMVER = re.compile(r"^(\d+)\.(\d+)\.(\d+)(?:-([0-9A-Za-z.-]+))?(?:\+[0-9A-Za-z.-]+)?$")


def prefix(name):
    """cargo's index prefix of a crate name (1, 2, 3/a, ab/cd), in the name's own case."""
    if len(name) <= 2:
        return str(len(name))
    if len(name) == 3:
        return f"3/{name[0]}"
    return f"{name[:2]}/{name[2:4]}"


def semver_key(version):
    """Semver 2.0 precedence: a release above its pre-releases, whose dot-separated identifiers
    compare numbers as numbers, below names, and more identifiers above fewer; build metadata ignored."""
    match = SEMVER.match(version)
    if not match:
        return (0, (), 0, ())
    numbers = tuple(int(match.group(i)) for i in (1, 2, 3))
    if match.group(4) is None:
        return (1, numbers, 1, ())
    identifiers = tuple((0, int(p), "") if p.isdigit() else (1, 0, p) for p in match.group(4).split("."))
    return (1, numbers, 0, identifiers)


def download_url(template, record):
    """The config.json ``dl`` template filled in as cargo does (without a marker: {dl}/{crate}/{version}/download)."""
    crate, version = record["name"], record["vers"]
    markers = ("{crate}", "{version}", "{prefix}", "{lowerprefix}", "{sha256-checksum}")
    if not any(m in template for m in markers):
        return f"{template.rstrip('/')}/{crate}/{version}/download"
    return (
        template.replace("{crate}", crate)
        .replace("{version}", version)
        .replace("{prefix}", prefix(crate))
        .replace("{lowerprefix}", prefix(crate).lower())
        .replace("{sha256-checksum}", record.get("cksum", ""))
    )


def explain(exc, url, headers, missing=None):
    """End the script for a failed request: ``missing`` for a 404/410/451 (cargo's "not found"),
    a 401 without a token as the token it needs, anything else as the helper says it."""
    if missing and exc.code in (404, 410, 451):
        fail(missing)
    if exc.code == 401 and not headers.get("Authorization"):
        fail(
            f"HTTP 401 {exc.reason} from {url}: this registry needs a token (cargo's auth-required): name the"
            " secret holding it in TOKEN"
        )
    failed(exc, url)


def read(url, headers, missing=None):
    """The body at ``url``, or the end of the script, said plainly."""
    try:
        return request(url, headers)[0]
    except urllib.error.HTTPError as exc:
        return explain(exc, url, headers, missing)
    except urllib.error.URLError as exc:
        return failed(exc, url)


def is_prerelease(version):
    """A semver pre-release: 1.0.0-rc.1 (build metadata, 1.0.0+build, is none)."""
    match = SEMVER.match(version)
    return bool(match and match.group(4) is not None)


base = base_url(adds=("/config.json",))
crate = os.environ["CRATE"].strip()
token = os.environ.get("TOKEN", "").strip()
headers = {}
config_url = f"{base}/config.json"
try:
    config_body = request(config_url)[0]  # cargo asks without the token first
except urllib.error.HTTPError as exc:
    if exc.code != 401 or not token:
        explain(exc, config_url, headers)
    headers = {"Authorization": token}  # a 401 for config.json means auth-required: ask again with it
    config_body = read(config_url, headers)
except urllib.error.URLError as exc:
    failed(exc, config_url)
try:
    config = json.loads(config_body)
except ValueError:
    fail(f"{config_url} is not a registry's config.json (not JSON)")
if config.get("auth-required"):
    if not token:
        fail(f"{config_url} says auth-required: name the secret holding this registry's token in TOKEN")
    headers = {"Authorization": token}  # cargo sends the token as it is, no scheme

index_url = f"{base}/{prefix(crate.lower())}/{crate.lower()}"
body = read(index_url, headers, missing=f"no crate {crate} in this index ({index_url}: not found)")
with_yanked, with_prereleases = flag("INCLUDE_YANKED"), flag("INCLUDE_PRERELEASES")
records, left_out = [], {"yanked": 0, "pre": 0}
for line in body.decode("utf-8", "replace").splitlines():
    if not line.strip():
        continue
    record = json.loads(line)
    if record.get("yanked") and not with_yanked:
        left_out["yanked"] += 1
        continue
    if not with_prereleases and is_prerelease(record["vers"]):
        left_out["pre"] += 1
        continue
    records.append(record)
records.sort(key=lambda r: (semver_key(r["vers"]), version_key(r["vers"])), reverse=True)
items = [
    {
        "version": record["vers"],
        "sha256": record.get("cksum", ""),
        "url": download_url(config.get("dl", ""), record),
        "yanked": str(bool(record.get("yanked"))).lower(),
    }
    for record in records
]
why = [f"{n} {what} left out" for what, n in (("yanked", left_out["yanked"]), ("pre-releases", left_out["pre"])) if n]
write(
    items,
    found=f"{sum(left_out.values()) + len(records)} versions of {crate}",
    kept_by=("kept: INCLUDE_YANKED and INCLUDE_PRERELEASES are false (" + ", ".join(why) + ")") if why else None,
)
