"""Shared by the package-repository entries (apt-repository, rpm-repository, nuget-v3, rubygems-compact,
terraform-provider, terraform-module). Standard library only; imported like _http:
``from _pkg import semver_key, not_found  # customsrc:include``.
"""

import difflib
import gzip
import hashlib
import json
import re
import urllib.parse

from _http import fail, get_or_none, origin  # customsrc:include


def not_found(what, name, where, names=()):
    """Fail: no ``what`` ``name`` at ``where``, naming (up to 10) close or first names it has."""
    names = sorted(set(names))
    if not names:
        fail(f"no {what} {name} at {where}")
    close = difflib.get_close_matches(name, names, n=10, cutoff=0.6)
    shown = (close + [n for n in names if n not in close])[:10]
    more = f" ({len(names)} in all)" if len(names) > len(shown) else ""
    fail(f"no {what} {name} at {where}; it has: {', '.join(shown)}{more}")


def unpack(body, name, where):
    """The bytes of ``body`` uncompressed by the suffix of ``name`` (.gz, .xz, .lzma, .bz2 or none)."""
    try:
        if name.endswith(".gz"):
            return gzip.decompress(body)
        if name.endswith((".xz", ".lzma")):
            import lzma

            return lzma.decompress(body)
        if name.endswith(".bz2"):
            import bz2

            return bz2.decompress(body)
    except (OSError, EOFError, ValueError) as exc:
        fail(f"{where} is not a readable {name.rsplit('.', 1)[-1]} file ({exc})")
    return body


def check_digest(body, algorithm, expected, where, index):
    """Fail when ``body`` does not have the digest ``index`` gives for it (a mirror caught mid-sync)."""
    if not expected or algorithm not in hashlib.algorithms_available:
        return
    if hashlib.new(algorithm, body).hexdigest().lower() != expected.strip().lower():
        fail(f"{where} does not match the {algorithm} {index} gives for it (a mirror mid-update?): try again")


def gunzipped(body):
    """A response body, uncompressed when it is gzip (Content-Encoding: gzip, which urllib leaves as
    it came): by its magic bytes, which no JSON or text document starts with."""
    if body[:2] == b"\x1f\x8b":
        try:
            return gzip.decompress(body)
        except (OSError, EOFError) as exc:
            fail(f"a gzip response could not be read ({exc})")
    return body


def json_of(body, where):
    """The JSON document of a response, or a clear failure when it is none."""
    try:
        return json.loads(body)
    except ValueError:
        return fail(f"{where} did not answer JSON: {body[:80]!r}")


def under(folder, path):
    """``path`` resolved under the folder URL ``folder`` (with or without its trailing slash)."""
    return urllib.parse.urljoin(folder if folder.endswith("/") else folder + "/", path)


def headers_for(url, home, headers):
    """``headers`` (credentials) for a request to ``url`` only when it is on the origin of ``home``,
    the URL they were given for: a service index or discovery document may name another host."""
    return dict(headers) if origin(url) == origin(home) else {}


# -- SemVer 2.0.0 precedence (semver.org section 11) ---------------------------------------------------

_SEMVER = re.compile(r"[vV]?(\d+(?:\.\d+)*)(?:-([0-9A-Za-z.-]+))?(?:\+[0-9A-Za-z.-]+)?\Z")


def semver_key(text, fold_case=False):
    """Sort key (highest last) by SemVer 2.0 precedence: numbers as numbers (1.10.0 > 1.9.0; a fourth
    part, as NuGet allows, counts too: 1.0.0.1 > 1.0.0), a release above its pre-releases, pre-release
    identifiers compared one by one (numeric ones as numbers and below alphanumeric ones; a longer
    list above its prefix: 1.0.0-rc.1 < 1.0.0-rc.1.1), build metadata (+...) ignored. ``fold_case``
    compares labels case-insensitively, as NuGet does. A name that is no version sorts below all."""
    match = _SEMVER.match(text.strip())
    if not match:
        return (0, (), 0, ())
    numbers = tuple(int(n) for n in match.group(1).split("."))
    while len(numbers) > 3 and numbers[-1] == 0:  # NuGet: 1.0.0.0 is 1.0.0
        numbers = numbers[:-1]
    numbers = numbers + (0,) * (3 - len(numbers))
    if match.group(2) is None:
        return (1, numbers, 1, ())
    labels = match.group(2).lower() if fold_case else match.group(2)
    parts = tuple((0, int(p), "") if p.isdigit() else (1, 0, p) for p in labels.split("."))
    return (1, numbers, 0, parts)


def is_semver_prerelease(text):
    """A SemVer pre-release: a '-' suffix before any +build metadata."""
    match = _SEMVER.match(text.strip())
    return bool(match and match.group(2))


# -- Terraform's remote service discovery ---------------------------------------------------------------


def terraform_service(base, service, headers):
    """The URL of ``service`` (providers.v1, modules.v1) that {base}/.well-known/terraform.json names,
    resolved against it as Terraform does (a path, or a URL on another host)."""
    url = f"{base}/.well-known/terraform.json"
    body = get_or_none(url, headers)
    if body is None:
        fail(f"no Terraform registry at {base}: HTTP 404 from {url} (service discovery)")
    services = json_of(body, url)
    if not isinstance(services, dict) or not isinstance(services.get(service), str):
        offered = ", ".join(sorted(services)) if isinstance(services, dict) else "nothing"
        fail(f"{url} offers no {service} service (it offers: {offered or 'nothing'})")
    found = urllib.parse.urljoin(url, services[service])
    return found if found.endswith("/") else found + "/"
