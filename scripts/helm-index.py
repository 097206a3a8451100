"""Versions of a chart in a Helm chart repository (index.yaml: ChartMuseum, Harbor, GitHub Pages, S3 static sites).

python3 standard library only, so index.yaml is read by a small reader of the structure Helm writes
(entries: CHART: - version/created/digest/urls ...); newest first by creation time.
"""

import os

from _http import auth_headers, base_url, fail, get, named, write  # customsrc:include

named("helm-index")


def scalar(text):
    text = text.strip()
    if len(text) >= 2 and text[0] == text[-1] and text[0] in "\"'":
        return text[1:-1]
    return text


def chart_entries(text, chart):
    """The list of entries of one chart, each a dict of scalar fields plus its urls."""
    entries, item, in_entries, current, field_indent, list_key = [], None, False, None, None, None
    for raw in text.splitlines():
        if not raw.strip() or raw.lstrip().startswith("#"):
            continue
        indent = len(raw) - len(raw.lstrip(" "))
        line = raw.strip()
        if indent == 0:
            in_entries, current, item = line == "entries:", None, None
            continue
        if not in_entries:
            continue
        if not line.startswith("- ") and line.endswith(":") and (item is None or indent < field_indent):
            current, item = scalar(line[:-1]), None  # a chart name under entries:
            continue
        if current != chart:
            continue
        if line.startswith("- ") and (item is None or indent < field_indent):
            item = {"urls": []}
            entries.append(item)
            field_indent, list_key = indent + 2, None
            line, indent = line[2:].strip(), field_indent
        if item is None:
            continue
        if indent == field_indent and not line.startswith("- "):
            key, _, value = line.partition(":")
            list_key = key.strip() if not value.strip() else None
            if value.strip():
                item[key.strip()] = scalar(value)
        elif list_key == "urls" and line.startswith("- "):
            item["urls"].append(scalar(line[2:]))
    return entries


base = base_url(adds=("/index.yaml",))
chart = os.environ["CHART"].strip()
index = get(f"{base}/index.yaml", auth_headers()).decode("utf-8", "replace")
if "entries:" not in index:
    fail(f"{base}/index.yaml is not a Helm repository index (no entries:)")
items = []
for entry in chart_entries(index, chart):
    url = entry["urls"][0] if entry["urls"] else ""
    if url and not url.startswith(("http://", "https://")):
        url = f"{base}/{url}"
    items.append(
        {
            "version": entry.get("version", ""),
            "appVersion": entry.get("appVersion", ""),
            "created": entry.get("created", ""),
            "digest": entry.get("digest", ""),
            "url": url,
        }
    )
items.sort(key=lambda item: item["created"], reverse=True)
write(items)
