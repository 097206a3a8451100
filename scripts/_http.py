"""The one helper every gallery script shares. Standard library only.

A script imports what it uses with a marked line, ``from _http import get, fail  # customsrc:include``:
run on its own (``python3 scripts/NAME.py``) that is an ordinary import of this file; loaded by
customsrc the line is replaced by this file, so run, lint, export and Harness see one whole script.

The rules every request follows: credentials go only to the origin they were given for (urllib
copies Authorization onto a redirect to any host, so a private index redirecting to a CDN would hand
them to a third party); a server that says "too many requests" or "unavailable" is asked again after
the wait it names, briefly; a rate limit is named as such, with when it resets; every failure is one
line on stderr and exit 1.
"""

import base64
import email.utils
import json
import os
import re
import sys
import time
import urllib.error
import urllib.parse
import urllib.request

_SCRIPT = {"name": "gallery"}  # the script's name in its messages: named("helm-index")
RETRIES = 3  # attempts after the first, for 429 and 503
LONGEST_WAIT = 10  # seconds: a longer Retry-After is reported, not waited for (the run has a timeout)


def named(name):
    """Set the name the script's messages start with."""
    _SCRIPT["name"] = name


def fail(message):
    """One line on stderr, then exit 1 (Harness: "No Artifact found"; customsrc: exit 3)."""
    print(f"{_SCRIPT['name']}: {message}", file=sys.stderr)
    sys.exit(1)


def say(message):
    """A note on stderr that does not stop the script."""
    print(f"{_SCRIPT['name']}: {message}", file=sys.stderr)


# -- requests --------------------------------------------------------------------------------------


# Headers that may follow a redirect to another origin; every other one a script set is dropped
# there (Authorization, Cookie, and vendors' own: GitLab's PRIVATE-TOKEN, JFrog's X-JFrog-Art-Api, ...).
_CROSS_ORIGIN_SAFE = {"Accept", "Accept-encoding", "Accept-language", "User-agent", "Content-type"}


class SameOriginCredentials(urllib.request.HTTPRedirectHandler):
    """Follows redirects, keeping only harmless headers when the scheme, host or port changes."""

    def redirect_request(self, req, fp, code, msg, headers, newurl):
        new = super().redirect_request(req, fp, code, msg, headers, newurl)
        if new is not None and origin(req.full_url) != origin(new.full_url):
            for name in list(new.headers):  # as urllib spells them: "Private-token"
                if name.capitalize() not in _CROSS_ORIGIN_SAFE:
                    new.remove_header(name)
            for name in list(new.unredirected_hdrs):
                if name.capitalize() not in _CROSS_ORIGIN_SAFE:
                    new.remove_header(name)
        return new


def origin(url):
    """(scheme, host, port) of ``url``: where credentials given for it may go."""
    parts = urllib.parse.urlsplit(url)
    return parts.scheme, parts.hostname, parts.port or {"http": 80, "https": 443}.get(parts.scheme)


urllib.request.install_opener(urllib.request.build_opener(SameOriginCredentials))


def request(url, headers=None, method="GET", data=None):
    """(body, response headers), asking again after a 429 or 503 (the wait the server names,
    briefly); the last HTTPError or URLError is raised for the caller to handle or ``failed()``."""
    attempt = 0
    while True:
        try:
            ask = urllib.request.Request(url, data=data, headers=headers or {}, method=method)
            with urllib.request.urlopen(ask, timeout=30) as response:
                return response.read(), response.headers
        except urllib.error.HTTPError as exc:
            wait = retry_wait(exc, attempt)
            if wait is None:
                raise
            time.sleep(wait)
            attempt += 1


def fetch(url, headers=None, method="GET", data=None):
    """(body, response headers) of a request; any failure ends the script with a clear line."""
    try:
        return request(url, headers, method, data)
    except (urllib.error.HTTPError, urllib.error.URLError) as exc:
        failed(exc, url)


def get(url, headers=None):
    """The body at ``url``; any failure ends the script with a clear line."""
    return fetch(url, headers)[0]


def get_or_none(url, headers=None, missing=(404,)):
    """The body at ``url``, or None when the server says there is no such thing (404, or a code in
    ``missing``: the caller says what is missing); any other failure ends the script."""
    try:
        return request(url, headers)[0]
    except urllib.error.HTTPError as exc:
        if exc.code in missing:
            return None
        failed(exc, url)
    except urllib.error.URLError as exc:
        failed(exc, url)


def failed(exc, url):
    """End the script for a failed request: the status, the vendor's own words, a rate limit with
    when it resets, and the URL (without its query, which may carry a signature)."""
    where = url.split("?")[0]
    if isinstance(exc, urllib.error.HTTPError):
        fail(f"HTTP {exc.code} {exc.reason}{error_detail(exc)}{rate_limit_note(exc)} from {where}")
    fail(f"cannot reach {where}: {getattr(exc, 'reason', exc)}")


def error_detail(exc):
    """The vendor's own error code or message, from an XML <Code> or a JSON "message"/"error"."""
    try:
        body = exc.read()[:4096] if exc.fp else b""
    except OSError:
        body = b""
    code = re.search(rb"<Code>([^<]{1,80})</Code>", body)
    if code:
        return f" ({code.group(1).decode(errors='replace')})"
    try:
        data = json.loads(body)
    except ValueError:
        return ""
    message = (data.get("message") or data.get("error")) if isinstance(data, dict) else None
    if isinstance(message, dict):  # {"error": {"message": ...}}
        message = message.get("message")
    return f" ({str(message)[:120]})" if isinstance(message, str) and message else ""


def retry_wait(exc, attempt):
    """Seconds to wait before asking again after HTTP error ``exc``, or None to give up now."""
    if exc.code not in (429, 503) or attempt >= RETRIES:
        return None
    wait = _retry_after(exc)
    wait = 2**attempt if wait is None else wait
    return wait if wait <= LONGEST_WAIT else None


def rate_limit_note(exc):
    """' (rate limit reached: ...)' for a rate-limited answer (GitHub's X-RateLimit-*, Retry-After)."""
    if exc.code not in (403, 429):
        return ""
    headers = exc.headers or {}
    if headers.get("X-RateLimit-Remaining") == "0" and (headers.get("X-RateLimit-Reset") or "").isdigit():
        reset = int(headers["X-RateLimit-Reset"])
        when = time.strftime("%H:%M:%S UTC", time.gmtime(reset))
        return f" (rate limit reached: it resets at {when}, in {max(0, reset - int(time.time()))} s; a token raises it)"
    wait = _retry_after(exc)
    if exc.code == 429 or wait is not None:
        return " (rate limited" + (f": retry after {wait:.0f} s)" if wait is not None else ")")
    return ""


def _retry_after(exc):
    value = ((exc.headers or {}).get("Retry-After") or "").strip()
    if value.isdigit():
        return float(value)
    if value:
        try:
            return max(0.0, email.utils.parsedate_to_datetime(value).timestamp() - time.time())
        except (TypeError, ValueError):
            return None
    return None


def next_link(headers, base):
    """The rel="next" URL of a Link header (RFC 8288), resolved against ``base``; None at the end."""
    for part in (headers.get("Link") or "").split(","):
        match = re.match(r'\s*<([^>]+)>\s*;.*\brel="?next"?', part)
        if match:
            return urllib.parse.urljoin(base, match.group(1))
    return None


# -- inputs ----------------------------------------------------------------------------------------


def base_url(adds=()):
    """REPO_URL without a trailing slash; a path the template adds itself (``adds``, such as
    /simple) is taken off, saying so, since users paste the URL their client is configured with."""
    url = os.environ.get("REPO_URL", "").strip().rstrip("/")
    if not url.startswith(("http://", "https://")):
        fail(f"REPO_URL must be an http(s) URL, got {url!r}")
    for suffix in adds:
        if url.endswith(suffix):
            url = url[: -len(suffix)].rstrip("/")
            say(f"REPO_URL ends in {suffix}, which this template adds itself; using {url}")
    return url


def basic(user, password):
    """An HTTP basic Authorization value."""
    return "Basic " + base64.b64encode(f"{user}:{password}".encode()).decode()


def auth_headers():
    """HTTP basic auth from REPO_USER and the REPO_PASSWORD secret input, when a user is given."""
    if os.environ.get("REPO_USER"):
        return {"Authorization": basic(os.environ["REPO_USER"], os.environ.get("REPO_PASSWORD", ""))}
    return {}


def flag(name, default=False):
    """A true/false input (true, yes, 1; false, no, 0, empty: the default)."""
    value = os.environ.get(name, "").strip().lower()
    if not value:
        return default
    if value in ("true", "yes", "1"):
        return True
    if value in ("false", "no", "0"):
        return False
    return fail(f"{name} must be true or false, got {value!r}")


def number(name, default, least, most):
    """A whole-number input between ``least`` and ``most`` (empty: the default)."""
    text = os.environ.get(name, "").strip()
    if not text:
        return default
    if not text.isdigit() or not least <= int(text) <= most:
        fail(f"{name} must be a whole number from {least} to {most}, got {text!r}")
    return int(text)


def pattern(name):
    """A regular expression input (empty: match everything), or a clear failure for a bad one."""
    text = os.environ.get(name, "")
    try:
        return re.compile(text or ".")
    except re.error as exc:
        fail(f"{name} is not a valid regular expression ({exc}): {text!r}")


class FileMatcher:
    """FILE_REGEX over the object names of a store listing (s3-list, gcs-objects, azure-blob): its
    first group is the version; a regex with a ``/`` matches the name after ``prefix``, else the part
    after the last ``/``; pre-releases are left out unless INCLUDE_PRERELEASES is true. It counts
    what it saw, so an empty result can say why (``write``)."""

    def __init__(self, prefix, prereleases=True, noun="name"):
        self.regex = pattern("FILE_REGEX")
        if self.regex.groups < 1:
            fail("FILE_REGEX needs a group for the version, e.g. ^app-(.+)\\.tgz$")
        self.prefix = prefix
        self.whole = "/" in self.regex.pattern
        self.prereleases = prereleases
        self.noun = noun
        self.seen = self.dropped = 0

    def version(self, name):
        """The version in object ``name``, or None when it is not one of the files wanted."""
        self.seen += 1
        short = name[len(self.prefix) :] if self.whole and name.startswith(self.prefix) else name.rsplit("/", 1)[-1]
        match = self.regex.search(short)
        if not match or not match.group(1):
            return None
        if not self.prereleases and is_prerelease(match.group(1)):
            self.dropped += 1
            return None
        return match.group(1)

    def write(self, items, what, where):
        """``write`` the items, saying what was listed (``what``: keys, objects, blobs) and why
        none was kept."""
        under = f"under PREFIX {self.prefix!r} " if self.prefix else ""
        if not self.seen:
            write(items, found=f"no {what} {under}in {where}")
            return
        against = f"the {self.noun} after PREFIX" if self.whole else "the name after the last /"
        kept_by = f"matches FILE_REGEX {self.regex.pattern!r} (on {against})"
        if self.dropped:
            kept_by += " and " + releases_only(self.dropped)
        write(items, found=f"{self.seen} {what} {under}in {where}", kept_by=kept_by)


# -- versions --------------------------------------------------------------------------------------

_RELEASE = re.compile(r"[vV]?(\d+(?:[._]\d+)*)(.*)\Z", re.DOTALL)
_PRE = re.compile(
    r"[-._+~ ]?(?:a|alpha|b|beta|c|rc|cr|pre|preview|dev|snapshot|m|milestone|ea|nightly|canary|next)(?:[-._]?\d+)*"
    r"(?:[-._+].*)?\Z",
    re.IGNORECASE,
)


def natural_key(text):
    """Numbers inside the text compare as numbers: 1.9 < 1.10."""
    return tuple((0, int(part), "") if part.isdigit() else (1, 0, part) for part in re.split(r"(\d+)", text) if part)


def version_key(text):
    """The gallery's one version order, highest last (sort with reverse=True for newest first):
    versions (digits first, after an optional v) above every other name (latest, main, sha-...);
    their numbers compared as numbers (1.10 > 1.9); a release above its pre-releases (1.0 > 1.0-rc2
    > 1.0-rc1 > 1.0-beta, a, alpha, b, beta, c, rc, pre, dev, snapshot, milestone...), and a suffix
    that is no pre-release (1.0-1, 1.0.post1, 1.0+build) above the release itself."""
    match = _RELEASE.match(text.strip())
    if not match:
        return (0, (), 0, natural_key(text))
    numbers = tuple(int(n) for n in re.split(r"[._]", match.group(1)))
    while len(numbers) > 1 and numbers[-1] == 0:  # 1.0 and 1.0.0 are the same release
        numbers = numbers[:-1]
    rest = match.group(2)
    rank = 1 if not rest else (0 if _PRE.match(rest) else 2)
    return (1, numbers, rank, natural_key(rest))


def is_prerelease(text):
    """Is ``text`` a version whose suffix marks a pre-release (rc, beta, SNAPSHOT, ...)?"""
    key = version_key(text)
    return key[0] == 1 and key[2] == 0


# -- times ---------------------------------------------------------------------------------------

# RFC 3339 / ISO 8601 as registries write it: 2024-01-05T10:00:00.123456789+02:00, 2024-01-05T09:30:00Z
_INSTANT = re.compile(
    r"(\d{4})-(\d\d)-(\d\d)[Tt ](\d\d):(\d\d):(\d\d)(?:[.,](\d+))?\s*(?:([Zz])|([+-])(\d\d):?(\d\d)?)?\Z"
)


def instant(text):
    """(seconds since the epoch, nanoseconds) of an RFC 3339 time, its offset applied (none: UTC),
    exactly (two builds 1 ns apart stay apart); None when it is no such time. Compare, never print."""
    import calendar

    match = _INSTANT.match((text or "").strip())
    if not match:
        return None
    year, month, day, hour, minute, second = (int(part) for part in match.group(1, 2, 3, 4, 5, 6))
    nanos = int((match.group(7) or "")[:9].ljust(9, "0"))
    offset = 0
    if match.group(9):
        offset = (int(match.group(10)) * 3600 + int(match.group(11) or 0) * 60) * (-1 if match.group(9) == "-" else 1)
    try:
        return calendar.timegm((year, month, day, hour, minute, second, 0, 0, 0)) - offset, nanos
    except (ValueError, OverflowError):
        return None


def newest_first(when, version):
    """Sort key (with reverse=True): dated before undated, newest instant first, ties by version_key."""
    moment = instant(when)
    return (moment is not None, moment or (0, 0), version_key(version))


# -- the result ------------------------------------------------------------------------------------


def releases_only(dropped, noun="pre-releases"):
    """The ``kept_by`` reason when INCLUDE_PRERELEASES left ``dropped`` pre-releases out."""
    return f"is a release ({dropped} {noun} left out: INCLUDE_PRERELEASES=true lists them)"


def write(items, found=None, kept_by=None):
    """Write the items for Harness ({"items": [...]}). Nothing to write is said plainly on stderr,
    never a silent empty list: ``found`` names what was there before ``kept_by`` (the filter)
    left nothing."""
    if not items:
        if found and kept_by:
            say(f"{found}, but none {kept_by}: the list is empty")
        elif found:
            say(f"{found}: the list is empty")
    with open(os.environ["HARNESS_ARTIFACT_RESULT_PATH"], "w", encoding="utf-8") as out:
        json.dump({"items": items}, out)
