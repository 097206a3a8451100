"""Versions from blob names in an Azure Blob Storage container.

python3 standard library only. List Blobs (GET CONTAINER?restype=container&comp=list&prefix=...),
following NextMarker, authorized with Shared Key (the account key, HMAC-SHA256 of the documented
string to sign) or a SAS token appended to the query, or anonymously for a public container.
FILE_REGEX picks the blobs and its first group is the version, as in s3-list: it matches the name
after the last / (app-1.3.0.tgz), or, when it holds a /, the name after PREFIX. Pre-releases are left
out unless INCLUDE_PRERELEASES is true. Newest first by Last-Modified (RFC 1123, to the second) as an
instant, ties by the gallery's version order.
"""

import base64
import datetime
import email.utils
import hashlib
import hmac
import os
import urllib.error
import urllib.parse
import xml.etree.ElementTree as ET

from _http import (  # customsrc:include
    FileMatcher,
    base_url,
    fail,
    failed,
    flag,
    named,
    newest_first,
    request,
    say,
)

named("azure-blob")
API_VERSION = "2021-08-06"


def account_of(base):
    """ACCOUNT, else the account in the URL: ACCOUNT.blob.core.windows.net, or the first path
    segment of an emulator's or a path-style URL (http://127.0.0.1:10000/devstoreaccount1)."""
    given = os.environ.get("ACCOUNT", "").strip()
    if given:
        return given
    parts = urllib.parse.urlsplit(base)
    host = parts.hostname or ""
    if ".blob." in host:
        return host.split(".", 1)[0]
    return parts.path.strip("/").split("/", 1)[0]


def shared_key(method, url, headers, account, key):
    """The Authorization value of Shared Key for a request without a body (version 2009-09-19 and
    later): HMAC-SHA256, with the base64-decoded account key, of the verb, the standard headers
    (empty here), the x-ms- headers and the canonicalized resource."""
    parts = urllib.parse.urlsplit(url)
    canonical_headers = "".join(
        f"{k.lower()}:{v.strip()}\n" for k, v in sorted(headers.items()) if k.lower().startswith("x-ms-")
    )
    resource = f"/{account}{parts.path or '/'}"
    params = {}
    for name, value in urllib.parse.parse_qsl(parts.query, keep_blank_values=True):
        params.setdefault(name.lower(), []).append(value)
    resource += "".join(f"\n{name}:{','.join(sorted(values))}" for name, values in sorted(params.items()))
    to_sign = f"{method}\n" + "\n" * 11 + canonical_headers + resource
    try:
        secret = base64.b64decode(key, validate=True)
    except ValueError:
        fail("ACCOUNT_KEY is not a storage account key (base64, as the portal shows it)")
    signature = base64.b64encode(hmac.new(secret, to_sign.encode(), hashlib.sha256).digest()).decode()
    return f"SharedKey {account}:{signature}"


def rfc3339(text):
    """An RFC 1123 time (Last-Modified: Fri, 20 Nov 2026 10:00:00 GMT) as RFC 3339 UTC, or ''."""
    try:
        when = email.utils.parsedate_to_datetime(text)
    except (TypeError, ValueError):
        return ""
    if when.tzinfo is None:
        when = when.replace(tzinfo=datetime.timezone.utc)
    return when.astimezone(datetime.timezone.utc).strftime("%Y-%m-%dT%H:%M:%SZ")


def listing(url, headers, container, base):
    """One List Blobs page; a container that does not exist fails saying so."""
    try:
        return ET.fromstring(request(url, headers)[0])
    except urllib.error.HTTPError as exc:
        if exc.code == 404 and (exc.headers or {}).get("x-ms-error-code") == "ContainerNotFound":
            fail(f"HTTP 404 ContainerNotFound: no container {container!r} at {base}")
        failed(exc, url)
    except urllib.error.URLError as exc:
        failed(exc, url)
    except ET.ParseError as exc:
        fail(f"{base}/{container} did not answer List Blobs with XML ({exc}): is REPO_URL the blob endpoint?")
    return None


def main():
    base = base_url()
    container, prefix = os.environ.get("CONTAINER", "").strip(), os.environ.get("PREFIX", "")
    if not container:
        fail("CONTAINER is empty: give the container's name, e.g. builds")
    files = FileMatcher(prefix, prereleases=flag("INCLUDE_PRERELEASES"))
    page_size = os.environ.get("PAGE_SIZE", "").strip() or "5000"
    if not page_size.isdigit() or not 1 <= int(page_size) <= 5000:
        fail(f"PAGE_SIZE must be a number from 1 to 5000 (List Blobs' maxresults), got {page_size!r}")
    key, sas = os.environ.get("ACCOUNT_KEY", "").strip(), os.environ.get("SAS_TOKEN", "").strip().lstrip("?")
    account = account_of(base)
    if key and not account:
        fail("ACCOUNT is empty and REPO_URL names no account: Shared Key needs the account's name")
    if key and sas:
        say("both ACCOUNT_KEY and SAS_TOKEN are given: using the account key (Shared Key)")
        sas = ""
    folder = f"{base}/{urllib.parse.quote(container, safe='')}"
    items, marker = [], ""
    while True:
        query = {"restype": "container", "comp": "list", "maxresults": page_size}
        if prefix:
            query["prefix"] = prefix
        if marker:
            query["marker"] = marker
        url = f"{folder}?{urllib.parse.urlencode(query, quote_via=urllib.parse.quote)}" + (f"&{sas}" if sas else "")
        headers = {
            "x-ms-version": API_VERSION,
            "x-ms-date": email.utils.formatdate(usegmt=True),
        }
        if key:
            headers["Authorization"] = shared_key("GET", url, headers, account, key)
        root = listing(url, headers, container, base)
        for blob in root.iter("Blob"):
            name = blob.findtext("Name") or ""
            version = files.version(name)
            if not version:
                continue
            properties = blob.find("Properties")
            prop = {} if properties is None else {node.tag: (node.text or "") for node in properties}
            items.append(
                {
                    "version": version,
                    "name": name,
                    "url": f"{folder}/{urllib.parse.quote(name)}",
                    "etag": prop.get("Etag", "").strip('"'),
                    "md5": prop.get("Content-MD5", ""),
                    "size": prop.get("Content-Length", ""),
                    "lastModified": rfc3339(prop.get("Last-Modified", "")),
                    "created": rfc3339(prop.get("Creation-Time", "")),
                }
            )
        marker = root.findtext("NextMarker")
        if not marker:
            break
    items.sort(key=lambda item: newest_first(item["lastModified"], item["version"]), reverse=True)
    files.write(items, "blobs", f"container {container}")


if __name__ == "__main__":
    main()
