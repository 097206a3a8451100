"""Versions of a Go module from a module proxy (the GOPROXY protocol: Athens, JFrog, goproxy.io, a static mirror).

python3 standard library only. Reads @v/list, then each version's .info (a few at a time, CONCURRENCY)
for its time. Pre-releases (v1.2.0-rc.1) and pseudo-versions (v0.0.0-20240105090000-abcdef123456) are
left out unless INCLUDE_PRERELEASES is true; +incompatible versions (v2.0.0+incompatible, a v2+ tag
without a /v2 module path) are releases. Newest first by .info Time as an instant (offsets differ),
ties and versions without a time by the gallery's version order. A module the proxy does not have
fails, with the proxy's own words; an empty @v/list (no tagged versions) says so and names @latest.
"""

import concurrent.futures
import json
import os
import re
import urllib.error

from _http import (  # customsrc:include
    auth_headers,
    base_url,
    fail,
    failed,
    flag,
    named,
    newest_first,
    request,
    say,
    write,
)

named("go-module-proxy")
# The go command's own definition (golang.org/x/mod/module.IsPseudoVersion).
PSEUDO = re.compile(
    r"v[0-9]+\.(?:0\.0-|\d+\.\d+-(?:[^+]*\.)?0\.)\d{14}-[A-Za-z0-9]+(?:\+[0-9A-Za-z-]+(?:\.[0-9A-Za-z-]+)*)?\Z"
)


def escape(path):
    """The proxy protocol's case encoding: an upper-case letter becomes '!' and its lower case."""
    return "".join(f"!{c.lower()}" if c.isupper() else c for c in path)


def is_prerelease(version):
    """A semver pre-release: a hyphen before any +build (pseudo-versions are pre-releases too)."""
    return "-" in version.split("+", 1)[0]


def proxy_words(exc):
    """The proxy's own first line of an error answer (proxy.golang.org: "not found: ...")."""
    try:
        text = exc.read()[:1000].decode("utf-8", "replace") if exc.fp else ""
    except OSError:
        text = ""
    line = text.strip().splitlines()[0].strip() if text.strip() else ""
    return f": {line[:300]}" if line and not line.startswith("<") else ""


def ask(url, headers):
    """(body, None), or (None, the error) for the caller to report."""
    try:
        return request(url, headers)[0], None
    except (urllib.error.HTTPError, urllib.error.URLError) as exc:
        return None, exc


base = base_url()
module = os.environ.get("MODULE", "").strip()
if not module:
    fail("MODULE is empty: give the module path, e.g. github.com/example/app")
with_prereleases = flag("INCLUDE_PRERELEASES")
concurrency = (os.environ.get("CONCURRENCY") or "8").strip()
if not concurrency.isdigit() or not 1 <= int(concurrency) <= 32:
    fail(f"CONCURRENCY must be a whole number from 1 to 32, got {concurrency!r}")
headers = auth_headers()
root = f"{base}/{escape(module)}/@v"
body, error = ask(f"{root}/list", headers)
if isinstance(error, urllib.error.HTTPError) and error.code in (404, 410):
    fail(f"no module {module} on this proxy ({base}){proxy_words(error)}")
if error:
    failed(error, f"{root}/list")
listed = []
for line in body.decode("utf-8", "replace").splitlines():
    version = line.strip().split(" ")[0]
    if version and version not in listed:
        listed.append(version)

if not listed:  # no tagged version: the go command falls back on @latest, often a pseudo-version
    latest, _ = ask(f"{base}/{escape(module)}/@latest", headers)
    try:
        latest = json.loads(latest).get("Version") if latest else None
    except (ValueError, AttributeError):
        latest = None
    if latest and (with_prereleases or not is_prerelease(latest)):
        listed = [latest]
        say(f"the proxy's @v/list of {module} is empty (no tagged versions): listing its @latest, {latest}")
    else:
        note = f"; its @latest is {latest} (INCLUDE_PRERELEASES=true lists it)" if latest else ""
        write([], found=f"the proxy lists no versions of {module} (its @v/list is empty: no tagged versions{note})")
        raise SystemExit(0)

versions = [v for v in listed if with_prereleases or not is_prerelease(v)]
pseudo = sum(1 for v in listed if PSEUDO.match(v))
with concurrent.futures.ThreadPoolExecutor(max_workers=int(concurrency)) as pool:  # map keeps the order
    answers = list(pool.map(lambda v: ask(f"{root}/{escape(v)}.info", headers), versions))
items, undated = [], []
for index, version in enumerate(versions):
    body, error = answers[index]
    if isinstance(error, urllib.error.HTTPError) and error.code in (404, 410):
        undated.append(version)
        body = b"{}"
    elif error:
        failed(error, f"{root}/{escape(version)}.info")
    try:
        info = json.loads(body)
    except ValueError:
        fail(f"{root}/{escape(version)}.info is not JSON: {body[:80]!r}")
    if not isinstance(info, dict):
        fail(f"{root}/{escape(version)}.info is not a JSON object")
    items.append(
        {
            "version": version,
            "time": str(info.get("Time") or ""),
            "zip": f"{root}/{escape(version)}.zip",
            "mod": f"{root}/{escape(version)}.mod",
            "module": module,
        }
    )
if undated:
    say(f"no .info for {', '.join(undated[:5])}{' ...' if len(undated) > 5 else ''}: they come last, by version")


items.sort(key=lambda item: newest_first(item["time"], item["version"]), reverse=True)
kinds = f" ({pseudo} of them pseudo-versions)" if pseudo else ""
write(
    items,
    found=f"{len(listed)} versions of {module}{kinds}",
    kept_by="is a release (INCLUDE_PRERELEASES=true lists pre-releases and pseudo-versions)",
)
