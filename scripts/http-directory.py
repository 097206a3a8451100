"""Versions from an HTTP directory listing: nginx autoindex (JSON or HTML), Caddy's file_server browse
(JSON), Apache httpd's mod_autoindex (FancyIndexing, HTMLTable or plain), or a plain index page.

python3 standard library only. FILE_REGEX picks the files and its first group is the version. Newest
first by modification time (read as UTC: a listing's offset is respected, and the local times of an
Apache or nginx HTML listing are set right by the Last-Modified of one file), equal times and listings
without dates by the version (version_key). Folders, parent links and links to other hosts are never files.
"""

import email.utils
import html.parser
import json
import re
import urllib.parse
from datetime import datetime, timedelta, timezone

from _http import (  # customsrc:include
    auth_headers,
    base_url,
    fail,
    fetch,
    flag,
    is_prerelease,
    named,
    pattern,
    request,
    say,
    version_key,
    write,
)

named("http-directory")

_MONTHS = "jan feb mar apr may jun jul aug sep oct nov dec"
_TIME = r"(\d{1,2}):(\d{2})(?::(\d{2}))?"
_ZONE = r"(?:\.(\d+))?\s*(Z|UTC|GMT|[+-]\d{2}:?\d{2})?"
# Dates as listings show them: (regex, where year, month and day are among its first 3 groups); the
# groups after them are hour, minute, second, fraction, zone.
_STAMPS = (
    (re.compile(r"(\d{4})-(\d{2})-(\d{2})[T ]\s*" + _TIME + _ZONE), (0, 1, 2)),  # Apache 2.4, RFC 3339
    (re.compile(r"(\d{1,2})-([A-Za-z]{3})-(\d{4}) " + _TIME + _ZONE), (2, 1, 0)),  # nginx, Apache 2.2
    (re.compile(r"(\d{4})-([A-Za-z]{3})-(\d{1,2}) " + _TIME + _ZONE), (0, 1, 2)),  # lighttpd (untested here)
)
_SIZE = re.compile(r"\s*(-|\d+(?:\.\d+)? ?[KMGTP]?i?B?)(?![\w.:-])", re.IGNORECASE)


def stamp(text):
    """(datetime, end of the match in text) of the first date in text, or (None, 0). A date with an
    offset (Z, GMT, +05:30) is aware, in UTC; one without is naive: the server's local time."""
    for regex, (y, m, d) in _STAMPS:
        match = regex.search(text)
        if not match:
            continue
        parts = match.groups()
        month = (_MONTHS.find(parts[m].lower()) // 4 + 1) if parts[m].isalpha() else int(parts[m])
        try:
            when = datetime(
                int(parts[y]),
                month,
                int(parts[d]),
                int(parts[3]),
                int(parts[4]),
                int(parts[5] or 0),
                int((parts[6] or "0")[:6].ljust(6, "0")),
            )
        except ValueError:
            continue
        zone = parts[7]
        if zone:
            offset = 0 if zone in ("Z", "UTC", "GMT") else int(zone[1:3]) * 60 + int(zone[-2:])
            offset = -offset if zone.startswith("-") else offset
            when = (when - timedelta(minutes=offset)).replace(tzinfo=timezone.utc)
        return when, match.end()
    return None, 0


def rfc1123(text):
    """nginx's JSON mtime (Thu, 16 Nov 2023 02:00:00 GMT) in UTC, or None."""
    try:
        when = email.utils.parsedate_to_datetime(text)
    except (TypeError, ValueError, IndexError):
        return None
    return when.astimezone(timezone.utc) if when.tzinfo else when.replace(tzinfo=timezone.utc)


class Links(html.parser.HTMLParser):
    """Each link of an HTML listing with the text after it, up to the next link (its row's date
    and size), and a <time datetime=...> in that stretch (Caddy's HTML, for a Caddy that does not answer JSON)."""

    def __init__(self):
        super().__init__()
        self.entries = []  # [href, text after the link, datetime attribute]
        self._inside = False

    def handle_starttag(self, tag, attrs):
        attrs = dict(attrs)
        if tag == "a" and attrs.get("href") is not None:
            self.entries.append([attrs["href"], "", ""])
            self._inside = True
        elif tag == "time" and self.entries and attrs.get("datetime") and not self._inside:
            self.entries[-1][2] = self.entries[-1][2] or attrs["datetime"].strip()

    def handle_endtag(self, tag):
        if tag == "a":
            self._inside = False

    def handle_data(self, data):
        if self.entries and not self._inside:
            self.entries[-1][1] += " " + data


def in_folder(folder, link):
    """The file name ``link`` names directly inside ``folder`` (same origin), or None for anything
    else: a subfolder (ends in /), the parent, another host, another path, a sort link (?C=N;O=D)."""
    target = urllib.parse.urlsplit(urllib.parse.urljoin(folder, link))
    here = urllib.parse.urlsplit(folder)
    if (target.scheme, target.netloc) != (here.scheme, here.netloc) or target.query:
        return None
    path = urllib.parse.unquote(target.path)
    prefix = urllib.parse.unquote(here.path)
    if not path.startswith(prefix):
        return None
    name = path[len(prefix) :]
    return name if name and "/" not in name else None


def from_json(folder, listing):
    """Files of nginx's (type, mtime) or Caddy's (is_dir, mod_time, url) JSON listing; the count of folders."""
    if not isinstance(listing, list) or not all(isinstance(item, dict) and "name" in item for item in listing):
        fail(f"{folder} answered JSON that is no directory listing (nginx or Caddy): {json.dumps(listing)[:120]}")
    files, folders = [], 0
    for item in listing:
        name = str(item["name"])
        if item.get("is_dir") or item.get("type") == "directory" or name.endswith("/"):
            folders += 1
            continue
        if item.get("type", "file") != "file":  # nginx's "other": a socket, a device
            continue
        link = urllib.parse.urljoin(folder, item.get("url") or urllib.parse.quote(name))
        if in_folder(folder, link) is None:
            continue
        # Caddy's mod_time is RFC 3339, nginx's mtime RFC 1123 in GMT
        modified = stamp(str(item["mod_time"]))[0] if "mod_time" in item else rfc1123(str(item.get("mtime", "")))
        size = item.get("size")
        files.append({"name": name, "url": link, "modified": modified, "size": "" if size is None else str(size)})
    return files, folders


def from_html(folder, page):
    """Files of an HTML listing (nginx, Apache, Caddy, lighttpd, a plain page); the count of folders."""
    parser = Links()
    parser.feed(page)
    files, folders, seen = [], set(), set()
    for href, after, datetime_attribute in parser.entries:
        link = urllib.parse.urljoin(folder, href.split("#")[0])
        name = in_folder(folder, link)
        if name is None:
            if link.endswith("/") and in_folder(folder, link[:-1]) is not None:
                folders.add(link)  # a subfolder: every server links one with a trailing /
            continue
        if link in seen:
            continue
        seen.add(link)
        modified, end = stamp(datetime_attribute) if datetime_attribute else (None, 0)
        size = ""
        if modified is None:
            modified, end = stamp(after)
            shown = _SIZE.match(after, end) if modified else None
            size = shown.group(1) if shown and shown.group(1) != "-" else ""
        files.append({"name": name, "url": link, "modified": modified, "size": size})
    return files, len(folders)


def to_utc(items):
    """Set the naive (server-local) times of an HTML listing to UTC: the offset is the difference
    between the newest one and that file's Last-Modified (one HEAD request), in whole quarter hours.
    nginx shows every time at one offset; Apache each at its own date's, so across a daylight-saving
    change older times may be an hour off (the order within the listing is the server's either way)."""
    local = [item for item in items if item["modified"] is not None and item["modified"].tzinfo is None]
    if not local:
        return
    newest = max(local, key=lambda item: item["modified"])
    offset = None
    try:
        headers = request(newest["url"], auth_headers(), method="HEAD")[1]
        last_modified = rfc1123(headers.get("Last-Modified") or "")
    except OSError:  # HTTPError, URLError, a timeout: the times stay as they are, said below
        last_modified = None
    if last_modified is not None:
        seconds = (newest["modified"] - last_modified.replace(tzinfo=None)).total_seconds()
        quarters = round(seconds / 900)
        if abs(quarters) <= 14 * 4 and abs(seconds - quarters * 900) <= 120:
            offset = timedelta(seconds=quarters * 900)
    if offset is None:
        say(f"the listing's times carry no time zone and {newest['url']} gave no usable Last-Modified: read as UTC")
        offset = timedelta(0)
    for item in local:
        item["modified"] = (item["modified"] - offset).replace(tzinfo=timezone.utc)


def count(n, what):
    return f"{n} {what}{'s' * (n != 1)}"


url = base_url() + "/"
regex = pattern("FILE_REGEX")
if regex.groups < 1:
    fail("FILE_REGEX needs a group for the version, e.g. ^app-(.+)\\.tar\\.gz$")
with_prereleases = flag("INCLUDE_PRERELEASES")
body, response_headers = fetch(url, {"Accept": "application/json, text/html;q=0.9", **auth_headers()})
if response_headers.get_content_type() == "application/json":
    try:
        listing = json.loads(body)
    except ValueError:
        fail(f"{url} says it answered JSON, but it is not: {body[:80]!r}")
    files, folders = from_json(url, listing)
else:
    files, folders = from_html(url, body.decode(response_headers.get_content_charset() or "utf-8", "replace"))

matched = []
for file in files:
    match = regex.search(file["name"])
    if match and match.group(1):
        matched.append({**file, "version": match.group(1)})
# A checksum or signature of a listed file (app-1.2.0.tar.gz.sha256, .asc) is no version of its own.
names = {(item["name"], item["version"]) for item in matched}
matched = [item for item in matched if (item["name"].rpartition(".")[0], item["version"]) not in names]
kept = [item for item in matched if with_prereleases or not is_prerelease(item["version"])]
to_utc(kept)
oldest = datetime.min.replace(tzinfo=timezone.utc)
kept.sort(key=lambda i: (i["modified"] or oldest, version_key(i["version"]), i["name"]), reverse=True)

items = [
    {
        "version": item["version"],
        "file": item["name"],
        "url": item["url"],
        "modified": item["modified"].isoformat(timespec="seconds") if item["modified"] else "",
        "size": item["size"],
    }
    for item in kept
]


if not files:
    write(items, found=f"the listing at {url} has no files" + (f", only {count(folders, 'folder')}" if folders else ""))
elif not matched:
    write(items, found=count(len(files), "file"), kept_by=f"match FILE_REGEX {regex.pattern!r}")
else:
    releases = "are releases (INCLUDE_PRERELEASES=true lists pre-releases too)"
    write(items, found=count(len(matched), "file") + " matching FILE_REGEX", kept_by=releases)
