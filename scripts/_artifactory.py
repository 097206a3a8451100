"""What the JFrog Artifactory entries share: the REST API's base, credentials, its JSON error bodies,
a repository's existence, and AQL with offset/limit pages. Standard library only.

A script imports it with a marked line, ``from _artifactory import aql, api  # customsrc:include``;
customsrc inlines it once when the source is loaded (it imports ``_http`` the same way).
"""

import json
import os
import urllib.error
import urllib.parse

from _http import base_url, basic, fail, rate_limit_note, request, say  # customsrc:include

AQL_PAGE = 500  # AQL rows a request (offset/limit pages)


def api():
    """The REST API's root, REPO_URL/artifactory: REPO_URL is the platform URL (a pasted
    .../artifactory is taken off, saying so)."""
    return base_url(adds=("/artifactory/api", "/artifactory")) + "/artifactory"


def credentials():
    """Authorization from the ACCESS_TOKEN secret (Bearer), else REPO_USER and the REPO_PASSWORD
    secret (basic: a password or an API key); none for anonymous access."""
    token = os.environ.get("ACCESS_TOKEN", "").strip()
    user = os.environ.get("REPO_USER", "").strip()
    if token:
        if user:
            say("both ACCESS_TOKEN and REPO_USER are given: using the access token")
        return {"Authorization": f"Bearer {token}"}
    if user:
        return {"Authorization": basic(user, os.environ.get("REPO_PASSWORD", ""))}
    return {}


def _detail(exc):
    """Artifactory's own words: {"errors":[{"status":..,"message":..}]}, a JSON "message", or the
    first line of a plain-text answer (AQL's parse errors)."""
    try:
        body = exc.read()[:4096] if exc.fp else b""
    except OSError:
        body = b""
    try:
        data = json.loads(body)
    except ValueError:
        text = body.decode(errors="replace").strip()
        first = text.splitlines()[0] if text else ""
        return f" ({first[:160]})" if first and not first.lstrip().startswith("<") else ""
    message = None
    if isinstance(data, dict):
        errors = data.get("errors")
        if isinstance(errors, list) and errors and isinstance(errors[0], dict):
            message = errors[0].get("message")
        message = message or data.get("message") or data.get("error")
    return f" ({str(message)[:160]})" if message else ""


def _failed(exc, url, headers):
    where = url.split("?")[0]
    if isinstance(exc, urllib.error.HTTPError):
        hint = ""
        if exc.code in (401, 403):
            given = "the credentials given were refused" if headers.get("Authorization") else "anonymous access"
            hint = f": {given} (ACCESS_TOKEN, or REPO_USER and REPO_PASSWORD)"
        fail(f"HTTP {exc.code} {exc.reason}{_detail(exc)}{rate_limit_note(exc)} from {where}{hint}")
    fail(f"cannot reach {where}: {getattr(exc, 'reason', exc)}")


def call(url, headers, method="GET", data=None, missing=()):
    """(JSON answer, response headers) of a request; (None, None) for a status in ``missing`` (the
    caller says what is missing); any other failure ends the script in one line."""
    try:
        body, answer_headers = request(url, headers, method, data)
    except urllib.error.HTTPError as exc:
        if exc.code in missing:
            return None, None
        _failed(exc, url, headers)
    except urllib.error.URLError as exc:
        _failed(exc, url, headers)
    try:
        return json.loads(body), answer_headers
    except ValueError:
        return fail(f"{url.split('?')[0]} did not answer JSON: is REPO_URL the JFrog platform URL (https://HOST)?")


def repository(root, key, headers):
    """The repository's configuration (key, rclass, packageType: partial for a non-admin), or a
    failure saying there is no such repository (Artifactory answers 400 or 404 for one)."""
    url = f"{root}/api/repositories/{urllib.parse.quote(key, safe='')}"
    config, _ = call(url, headers, missing=(400, 404))
    if not isinstance(config, dict):
        fail(f"no repository {key} on this Artifactory ({root}), or this user may not see it")
    return config


def quoted(value):
    """A JSON string for an AQL query."""
    return json.dumps(value)


def aql(root, headers, find, include, sort_desc="created", page=AQL_PAGE):
    """The rows of ``items.find(FIND).include(...).sort({"$desc":[SORT]})``, page after page
    (offset/limit) until a page comes back empty: Artifactory filters a page by the user's read
    permissions after the limit, so a short page is no sign of the end."""
    url = f"{root}/api/search/aql"
    offset = 0
    fields = ",".join(quoted(f) for f in include)
    while True:
        query = (
            f"items.find({find}).include({fields})"
            f'.sort({{"$desc":[{quoted(sort_desc)}]}}).offset({offset}).limit({page})'
        )
        data, _ = call(url, {**headers, "Content-Type": "text/plain"}, "POST", query.encode())
        rows = data.get("results") if isinstance(data, dict) else None
        if not isinstance(rows, list):
            fail(f"{url} answered no AQL results list")
        if not rows:
            return
        yield from (r for r in rows if isinstance(r, dict))
        offset += page
