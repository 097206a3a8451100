# Shared by every gallery script (`# customsrc:include _net.py`): the rules every request follows.
# Credentials go only to the origin they were given for (urllib copies Authorization onto a redirect
# to any host, so a private index redirecting to a CDN would hand them to a third party); a server
# that says "too many requests" or "unavailable" is asked again after the wait it names, briefly;
# a rate limit is named as such, with when it resets.
import email.utils
import time
import urllib.error
import urllib.parse
import urllib.request

RETRIES = 3  # attempts after the first, for 429 and 503
LONGEST_WAIT = 10  # seconds: a longer Retry-After is reported, not waited for (the run has a timeout)


class SameOriginCredentials(urllib.request.HTTPRedirectHandler):
    """Follows redirects, dropping Authorization and Cookie when the scheme, host or port changes."""

    def redirect_request(self, req, fp, code, msg, headers, newurl):
        new = super().redirect_request(req, fp, code, msg, headers, newurl)
        if new is not None and _origin(req.full_url) != _origin(new.full_url):
            for name in ("Authorization", "Cookie", "Proxy-authorization"):
                new.remove_header(name)
        return new


def _origin(url):
    parts = urllib.parse.urlsplit(url)
    return parts.scheme, parts.hostname, parts.port or {"http": 80, "https": 443}.get(parts.scheme)


urllib.request.install_opener(urllib.request.build_opener(SameOriginCredentials))


def request(url, headers):
    """(body, response headers) of a GET, asking again after a 429 or 503 (the wait the server
    names, briefly); the last HTTPError or URLError is raised for the script to report."""
    attempt = 0
    while True:
        try:
            with urllib.request.urlopen(urllib.request.Request(url, headers=headers), timeout=30) as response:
                return response.read(), response.headers
        except urllib.error.HTTPError as exc:
            wait = retry_wait(exc, attempt)
            if wait is None:
                raise
            time.sleep(wait)
            attempt += 1


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
