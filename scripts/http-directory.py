"""Versions from an HTTP directory listing: nginx autoindex in JSON or HTML, or a plain index page.

python3 standard library only. FILE_REGEX picks the files and its first group is the version;
newest first by modification time (when the listing gives one), else by file name.
"""

import html.parser
import json
import os
import re
import urllib.parse
from datetime import datetime, timezone

from _http import auth_headers, base_url, fail, fetch, named, write  # customsrc:include

named("http-directory")


class Links(html.parser.HTMLParser):
    """Links of an HTML listing, with nginx autoindex's date and size text when present."""

    def __init__(self):
        super().__init__()
        self.entries, self._href = [], None

    def handle_starttag(self, tag, attrs):
        if tag == "a":
            self._href = dict(attrs).get("href")

    def handle_data(self, data):
        if self._href is not None:
            self.entries.append([urllib.parse.unquote(self._href), "", ""])
            self._href = None
        elif self.entries:
            match = re.match(r"\s*(\d{2}-\w{3}-\d{4} \d{2}:\d{2})\s+(\d+|-)", data)
            if match and not self.entries[-1][1]:
                self.entries[-1][1:] = [match.group(1), match.group(2)]


url = base_url() + "/"
pattern = re.compile(os.environ["FILE_REGEX"])
if pattern.groups < 1:
    fail("FILE_REGEX needs a group for the version, e.g. ^app-(.+)\\.tar\\.gz$")
headers = {"Accept": "application/json, text/html;q=0.9", **auth_headers()}
body, response_headers = fetch(url, headers)
content_type = response_headers.get_content_type()
files = []  # (name, modified ISO-8601 or "", size or "")
if content_type == "application/json":
    for item in json.loads(body):
        if item.get("type") == "file":
            mtime = item.get("mtime", "")
            if mtime:
                mtime = datetime.strptime(mtime, "%a, %d %b %Y %H:%M:%S %Z").replace(tzinfo=timezone.utc).isoformat()
            files.append((item["name"], mtime, str(item.get("size", ""))))
else:
    parser = Links()
    parser.feed(body.decode("utf-8", "replace"))
    for href, date, size in parser.entries:
        name = href.rsplit("/", 1)[-1]
        if name and not href.endswith("/") and not href.startswith(("?", "#", "..")):
            mtime = datetime.strptime(date, "%d-%b-%Y %H:%M").replace(tzinfo=timezone.utc).isoformat() if date else ""
            files.append((name, mtime, size if size != "-" else ""))

items = []
for name, mtime, size in files:
    match = pattern.search(name)
    if match:
        items.append(
            {
                "version": match.group(1),
                "file": name,
                "url": urllib.parse.urljoin(url, urllib.parse.quote(name)),
                "modified": mtime,
                "size": size,
            }
        )
items.sort(key=lambda i: (i["modified"], i["file"]), reverse=True)
write(items)
