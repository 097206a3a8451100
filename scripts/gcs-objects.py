"""Versions from object names in a Google Cloud Storage bucket.

python3 standard library only. The Cloud Storage JSON API's objects.list (GET
/storage/v1/b/BUCKET/o?prefix=...), following nextPageToken pages, with an OAuth 2.0 access token as a
bearer token (empty for a public bucket). FILE_REGEX picks the objects and its first group is the
version, as in s3-list: it matches the name after the last / (app-1.3.0.tgz), or, when it holds a /
itself, the name after PREFIX (1.3.0/app.tar.gz). Pre-releases are left out unless
INCLUDE_PRERELEASES is true. Newest first by timeCreated (when this generation of the object was
written) as an instant, ties by the gallery's version order.
"""

import json
import os
import urllib.error
import urllib.parse

from _http import (  # customsrc:include
    FileMatcher,
    base_url,
    fail,
    failed,
    flag,
    named,
    newest_first,
    request,
)

named("gcs-objects")
FIELDS = "items(name,generation,timeCreated,updated,md5Hash,crc32c,size),nextPageToken"  # a partial response


def listing(url, headers, bucket, base):
    """One objects.list page; a bucket that does not exist fails saying so."""
    try:
        return json.loads(request(url, headers)[0])
    except urllib.error.HTTPError as exc:
        if exc.code == 404:
            fail(f"HTTP 404: no bucket {bucket!r} at {base} (or REPO_URL is not the Cloud Storage JSON API)")
        failed(exc, url)
    except urllib.error.URLError as exc:
        failed(exc, url)
    except ValueError:
        fail(f"{base} did not answer objects.list with JSON: is REPO_URL the Cloud Storage JSON API?")
    return {}


def main():
    base = base_url(adds=("/storage/v1",))
    bucket, prefix = os.environ.get("BUCKET", "").strip(), os.environ.get("PREFIX", "")
    if not bucket:
        fail("BUCKET is empty: give the bucket's name, e.g. my-builds")
    files = FileMatcher(prefix, prereleases=flag("INCLUDE_PRERELEASES"))
    page_size = os.environ.get("PAGE_SIZE", "").strip() or "1000"
    if not page_size.isdigit() or not 1 <= int(page_size) <= 1000:
        fail(f"PAGE_SIZE must be a number from 1 to 1000 (objects.list's maxResults), got {page_size!r}")
    token = os.environ.get("ACCESS_TOKEN", "").strip()
    headers = {"Authorization": f"Bearer {token}"} if token else {}
    folder = f"{base}/storage/v1/b/{urllib.parse.quote(bucket, safe='')}/o"
    items, page_token = [], ""
    while True:
        query = {"prefix": prefix, "maxResults": page_size, "fields": FIELDS}
        if page_token:
            query["pageToken"] = page_token
        page = listing(f"{folder}?{urllib.parse.urlencode(query)}", headers, bucket, base)
        for entry in page.get("items") or []:
            name = entry.get("name", "")
            version = files.version(name)
            if not version:
                continue
            quoted = urllib.parse.quote(name, safe="")
            items.append(
                {
                    "version": version,
                    "name": name,
                    "url": f"{folder}/{quoted}?alt=media&generation={entry.get('generation', '')}",
                    "gsUri": f"gs://{bucket}/{name}",
                    "generation": str(entry.get("generation", "")),
                    "md5Hash": entry.get("md5Hash", ""),
                    "crc32c": entry.get("crc32c", ""),
                    "size": str(entry.get("size", "")),
                    "created": entry.get("timeCreated", ""),
                    "updated": entry.get("updated", ""),
                }
            )
        page_token = page.get("nextPageToken")
        if not page_token:
            break
    items.sort(key=lambda item: newest_first(item["created"] or item["updated"], item["version"]), reverse=True)
    files.write(items, "objects", f"bucket {bucket}")


if __name__ == "__main__":
    main()
