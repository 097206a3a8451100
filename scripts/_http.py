# Shared by the gallery scripts: `# customsrc:include _http.py` in a script is replaced by this file
# when the source is loaded, so run, lint and export (and so Harness) all see one self-contained
# script. The including script defines NAME (for messages) first. Standard library only.
import base64
import json
import os
import re
import sys
import urllib.error

# customsrc:include _net.py


def fail(message):
    print(f"{NAME}: {message}", file=sys.stderr)
    sys.exit(1)


def error_detail(exc):
    """The vendor's own error code or message, from an XML <Code> or a JSON "message"/"error"."""
    body = exc.read()[:4096] if exc.fp else b""
    code = re.search(rb"<Code>([^<]{1,80})</Code>", body)
    if code:
        return f" ({code.group(1).decode(errors='replace')})"
    try:
        data = json.loads(body)
    except ValueError:
        return ""
    message = data.get("message") or data.get("error") if isinstance(data, dict) else None
    return f" ({str(message)[:120]})" if isinstance(message, str) and message else ""


def get(url, headers):
    """The body at ``url``; an HTTP error or an unreachable host ends the script with a clear line
    (429 and 503 are asked again first, after the wait the server names: _net.request)."""
    try:
        return request(url, headers)[0]
    except urllib.error.HTTPError as exc:
        note = rate_limit_note(exc)
        fail(f"HTTP {exc.code} {exc.reason}{error_detail(exc)}{note} from {url.split('?')[0]}")
    except urllib.error.URLError as exc:
        fail(f"cannot reach {url}: {exc.reason}")


def base_url(adds=()):
    """REPO_URL without a trailing slash; a path the template adds itself (``adds``, such as
    /simple) is taken off, saying so, since users paste the URL their client is configured with."""
    url = os.environ["REPO_URL"].rstrip("/")
    if not url.startswith(("http://", "https://")):
        fail(f"REPO_URL must be an http(s) URL, got {url!r}")
    for suffix in adds:
        if url.endswith(suffix):
            url = url[: -len(suffix)].rstrip("/")
            print(f"{NAME}: REPO_URL ends in {suffix}, which this template adds itself; using {url}", file=sys.stderr)
    return url


def auth_headers():
    """HTTP basic auth from REPO_USER and the REPO_PASSWORD secret input, when a user is given."""
    if os.environ.get("REPO_USER"):
        token = f"{os.environ['REPO_USER']}:{os.environ.get('REPO_PASSWORD', '')}".encode()
        return {"Authorization": "Basic " + base64.b64encode(token).decode()}
    return {}


def write(items):
    with open(os.environ["HARNESS_ARTIFACT_RESULT_PATH"], "w", encoding="utf-8") as out:
        json.dump({"items": items}, out)
