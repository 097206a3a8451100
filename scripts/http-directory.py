"""Versions from an HTTP directory listing: nginx autoindex in JSON or HTML, or a plain index page.

python3 standard library only. FILE_REGEX picks the files and its first group is the version;
newest first by modification time (when the listing gives one), else by file name.
"""

import base64
import html.parser
import json
import os
import re
import sys
import urllib.error
import urllib.parse
import urllib.request
from datetime import datetime, timezone

# customsrc:include _net.py


def fail(message):
    print(f"http-directory: {message}", file=sys.stderr)
    sys.exit(1)


def get(url, headers):
    request = urllib.request.Request(url, headers=headers)
    try:
        with urllib.request.urlopen(request, timeout=30) as response:
            return response.read(), response.headers.get_content_type()
    except urllib.error.HTTPError as exc:
        fail(f"HTTP {exc.code} {exc.reason} from {url}")
    except urllib.error.URLError as exc:
        fail(f"cannot reach {url}: {exc.reason}")


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


url = os.environ["REPO_URL"]
if not url.startswith(("http://", "https://")):
    fail(f"REPO_URL must be an http(s) URL, got {url!r}")
url = url if url.endswith("/") else url + "/"
pattern = re.compile(os.environ["FILE_REGEX"])
if pattern.groups < 1:
    fail("FILE_REGEX needs a group for the version, e.g. ^app-(.+)\\.tar\\.gz$")
headers = {"Accept": "application/json, text/html;q=0.9"}
if os.environ.get("REPO_USER"):
    token = f"{os.environ['REPO_USER']}:{os.environ.get('REPO_PASSWORD', '')}".encode()
    headers["Authorization"] = "Basic " + base64.b64encode(token).decode()

body, content_type = get(url, headers)
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
with open(os.environ["HARNESS_ARTIFACT_RESULT_PATH"], "w", encoding="utf-8") as out:
    json.dump({"items": items}, out)
