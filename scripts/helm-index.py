"""Versions of a chart in a Helm chart repository (index.yaml: ChartMuseum, Harbor, GitHub Pages, S3 static sites).

python3 standard library only, so index.yaml is read by a small reader of the structure Helm writes
(entries: CHART: - version/created/digest/urls ...). Newest first by creation time, compared as
instants (created carries any UTC offset and up to nanoseconds), ties by the gallery's version order.
Pre-releases (a semver suffix, 1.2.0-rc.1) are left out unless INCLUDE_PRERELEASES is true, as Helm
does without --devel; deprecated charts are kept and say so.
"""

import difflib
import os

from _http import auth_headers, base_url, fail, flag, get, instant, named, say, version_key, write  # customsrc:include

named("helm-index")


def scalar(text):
    text = text.strip()
    if len(text) >= 2 and text[0] == text[-1] and text[0] in "\"'":
        return text[1:-1]
    return text


def read_index(text):
    """{chart name: its entries}, each entry a dict of scalar fields plus its urls, in index order."""
    charts, item, in_entries, current, field_indent, list_key = {}, None, False, None, None, None
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
            charts.setdefault(current, [])
            continue
        if current is None:
            continue
        if line.startswith("- ") and (item is None or indent < field_indent):
            item = {"urls": []}
            charts[current].append(item)
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
    return charts


def is_semver_prerelease(version):
    """A semver pre-release: a '-' suffix before any +build (Helm lists these only with --devel)."""
    return "-" in version.split("+", 1)[0]


def not_found(chart, where, names):
    close = difflib.get_close_matches(chart, names, n=10, cutoff=0.6)
    shown = (close + [name for name in sorted(names) if name not in close])[:10]
    more = f" ({len(names)} in all)" if len(names) > len(shown) else ""
    fail(f"no chart {chart} in {where}; it has: {', '.join(shown) or 'no charts'}{more}")


def main():
    base = base_url(adds=("/index.yaml",))
    chart = os.environ["CHART"].strip()
    with_prereleases = flag("INCLUDE_PRERELEASES")
    index = get(f"{base}/index.yaml", auth_headers()).decode("utf-8", "replace")
    if "entries:" not in index:
        fail(f"{base}/index.yaml is not a Helm repository index (no entries:)")
    charts = read_index(index)
    if chart not in charts:
        not_found(chart, f"{base}/index.yaml", list(charts))

    entries = charts[chart]
    kept = [e for e in entries if with_prereleases or not is_semver_prerelease(e.get("version", ""))]
    items, undated = [], 0
    for entry in kept:
        url = entry["urls"][0] if entry["urls"] else ""
        if url and not url.startswith(("http://", "https://")):
            url = f"{base}/{url}"
        created = entry.get("created", "")
        when = instant(created)
        undated += when is None
        version = entry.get("version", "")
        items.append(
            (
                (when is not None, when or (0, 0), version_key(version)),
                {
                    "version": version,
                    "appVersion": entry.get("appVersion", ""),
                    "created": created,
                    "digest": entry.get("digest", ""),
                    "url": url,
                    "deprecated": "true" if entry.get("deprecated", "").lower() == "true" else "false",
                },
            )
        )
    if undated:
        say(f"{undated} versions of {chart} have no readable created time: listed after the rest, by version")
    items.sort(key=lambda pair: pair[0], reverse=True)
    write(
        [item for _, item in items],
        found=f"{len(entries)} versions of {chart}" if entries else f"{chart} has no versions",
        kept_by="are releases (INCLUDE_PRERELEASES=true lists pre-releases too)" if len(kept) < len(entries) else None,
    )


if __name__ == "__main__":
    main()
