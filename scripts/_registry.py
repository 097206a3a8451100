"""Shared by the container registries with their own APIs (docker-hub-tags, quay-tags,
harbor-artifacts, google-artifact-registry). Standard library only; imported with a marked line,
``from _registry import get_json, keep  # customsrc:include``, and inlined once, like ``_http``.

JSON requests whose failures are one line naming the status, the vendor's own words (each vendor
words its errors its own way) and the URL; a 404 on the first page said as the missing thing it is;
credentials sent only to the origin REPO_URL names (a next-page link elsewhere gets none); the tags
kept by TAG_REGEX and INCLUDE_PRERELEASES, saying why when none is.
"""

import email.utils
import json
import os
import urllib.error
import urllib.parse

from _http import (  # customsrc:include
    fail,
    flag,
    is_prerelease,
    newest_first,
    origin,
    pattern,
    rate_limit_note,
    request,
)


def vendor_words(body):
    """The vendor's own error message in a JSON error body: {"errors": [{"code", "message"}]}
    (Harbor, ACR, distribution), {"error_message"} / {"detail"} (Quay), {"message"} / {"detail"}
    (Docker Hub), {"error": {"message", "status"}} (Google); empty when there is none."""
    try:
        data = json.loads(body[:8192])
    except ValueError:
        return ""
    if not isinstance(data, dict):
        return ""
    words = ""
    errors = data.get("errors")
    if isinstance(errors, list) and errors and isinstance(errors[0], dict):
        first = errors[0]
        words = ": ".join(str(part) for part in (first.get("code"), first.get("message")) if part)
    elif isinstance(data.get("error"), dict):
        inner = data["error"]
        words = ": ".join(str(part) for part in (inner.get("status"), inner.get("message")) if part)
    else:
        for key in ("error_message", "message", "detail", "error", "errinfo"):
            if isinstance(data.get(key), str) and data[key]:
                words = data[key]
                break
    return " ".join(words.split())[:160]


def get_json(url, headers=None, missing=None, base=None, method="GET", data=None):
    """(the JSON document at ``url``, the response headers). A 404 fails with ``missing`` (what is
    not there) when given; any other failure fails with the status, the vendor's words and the URL
    (without its query). Headers go only to ``base``'s origin when ``base`` is given."""
    where = url.split("?")[0]
    if base is not None and origin(url) != origin(base):
        headers = {k: v for k, v in (headers or {}).items() if k.lower() not in ("authorization", "cookie")}
    try:
        body, answer = request(url, headers, method, data)
    except urllib.error.HTTPError as exc:
        try:
            text = exc.read() if exc.fp else b""
        except OSError:
            text = b""
        words = vendor_words(text)
        if exc.code == 404 and missing:
            fail(f"{missing} (HTTP 404{': ' + words if words else ''} from {where})")
        fail(f"HTTP {exc.code} {exc.reason}{f' ({words})' if words else ''}{rate_limit_note(exc)} from {where}")
    except (urllib.error.URLError, OSError) as exc:
        fail(f"cannot reach {where}: {getattr(exc, 'reason', exc)}")
    try:
        return json.loads(body), answer
    except ValueError:
        return fail(f"{where} did not answer JSON (is REPO_URL the registry's API URL?)")


def required(name, example):
    """A required text input, stripped of spaces and slashes at its ends."""
    value = os.environ.get(name, "").strip().strip("/")
    if not value:
        fail(f"{name} is empty: name it, e.g. {example}")
    return value


def rfc1123(text):
    """An RFC 1123 time (Thu, 01 Feb 2024 10:00:00 -0000) as RFC 3339, for ``newest_first``; ''
    when it is none."""
    try:
        moment = email.utils.parsedate_to_datetime(text or "")
    except (TypeError, ValueError, IndexError):
        return ""
    if moment is None:
        return ""
    if moment.tzinfo is None:  # -0000: UTC
        return moment.isoformat() + "Z"
    return moment.isoformat()


def newest(items, when="time"):
    """The items (dicts with a version and a time under ``when``), newest first by the time as an
    instant, ties (and undated items, last) by the gallery's version order."""
    return sorted(items, key=lambda item: newest_first(item.get(when), item["version"]), reverse=True)


def keep(items):
    """(the items TAG_REGEX and INCLUDE_PRERELEASES keep, in order; why the others were not, for
    ``write(kept_by=)``, or None)."""
    wanted, rules = pattern("TAG_REGEX"), []
    kept = [item for item in items if wanted.search(item["version"])]
    if len(kept) < len(items):
        rules.append(f"match TAG_REGEX {os.environ.get('TAG_REGEX', '')!r}")
    if not flag("INCLUDE_PRERELEASES"):
        releases = [item for item in kept if not is_prerelease(item["version"])]
        if len(releases) < len(kept):
            rules.append("are releases (INCLUDE_PRERELEASES=true lists pre-releases too)")
        kept = releases
    return kept, " and ".join(rules) or None
