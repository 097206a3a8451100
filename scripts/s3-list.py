"""Versions from object keys in an S3-compatible bucket (AWS S3, MinIO, Ceph, Cloudflare R2, Wasabi).

python3 standard library only, including the AWS Signature Version 4 signing (_aws.py; path-style requests,
so any S3-compatible endpoint works), with a session token for temporary credentials (STS, SSO, an
instance role). Follows ListObjectsV2 continuation tokens. FILE_REGEX picks the objects and its first
group is the version: it matches the name after the last / (app-1.3.0.tgz), or, when it holds a /
itself, the key after PREFIX (1.3.0/app.tar.gz in releases/app/1.3.0/app.tar.gz). Newest first by
LastModified as an instant, ties by the gallery's version order.
"""

import datetime
import os
import re
import urllib.error
import urllib.parse
import xml.etree.ElementTree as ET

from _aws import quote, sigv4_headers  # customsrc:include
from _http import FileMatcher, base_url, fail, failed, named, newest_first, request  # customsrc:include

named("s3-list")
S3_XMLNS = "{http://s3.amazonaws.com/doc/2006-03-01/}"


def listing(url, headers, bucket, endpoint):
    """One ListObjectsV2 page; a bucket that does not exist fails with S3's own code and its name."""
    try:
        return request(url, headers)[0]
    except urllib.error.HTTPError as exc:
        if exc.code == 404:
            code = error_code(exc)
            if code == "NoSuchBucket":
                fail(f"HTTP 404 NoSuchBucket: no bucket {bucket!r} at {endpoint}")
            said = f" {code}" if code else " (no S3 error code: is REPO_URL the S3 endpoint?)"
            fail(f"HTTP 404{said} for bucket {bucket!r} at {endpoint}")
        failed(exc, url)
    except urllib.error.URLError as exc:
        failed(exc, url)
    return b""


def error_code(exc):
    """S3's <Code> of an error answer, or ''."""
    try:
        body = exc.read()[:4096] if exc.fp else b""
    except OSError:
        body = b""
    match = re.search(rb"<Code>([^<]{1,80})</Code>", body)
    return match.group(1).decode(errors="replace") if match else ""


def main():
    endpoint = base_url()
    bucket, prefix = os.environ["BUCKET"], os.environ.get("PREFIX", "")
    region = os.environ.get("REGION") or "us-east-1"
    access_key, secret_key = os.environ.get("ACCESS_KEY_ID", "").strip(), os.environ.get("SECRET_ACCESS_KEY", "")
    session_token = os.environ.get("SESSION_TOKEN", "").strip()
    if session_token and not access_key:
        fail("SESSION_TOKEN is given without ACCESS_KEY_ID: temporary credentials are all three")
    files = FileMatcher(prefix, noun="key")
    items, token = [], None
    while True:
        query = {"list-type": "2", "prefix": prefix, "max-keys": os.environ.get("PAGE_SIZE") or "1000"}
        if token:
            query["continuation-token"] = token
        url = f"{endpoint}/{quote(bucket)}?" + "&".join(f"{quote(k)}={quote(v)}" for k, v in sorted(query.items()))
        headers = {}
        if access_key:
            now = datetime.datetime.now(datetime.timezone.utc)
            headers = sigv4_headers("GET", url, region, access_key, secret_key, now, session_token=session_token)
        try:
            root = ET.fromstring(listing(url, headers, bucket, endpoint))
        except ET.ParseError as exc:
            fail(f"{endpoint}/{bucket} did not answer with a ListObjectsV2 XML document ({exc})")
        for entry in root.iter(f"{S3_XMLNS}Contents"):
            key = entry.findtext(f"{S3_XMLNS}Key") or ""
            version = files.version(key)
            if version:
                items.append(
                    {
                        "version": version,
                        "key": key,
                        "url": f"{endpoint}/{quote(bucket)}/{urllib.parse.quote(key)}",
                        "etag": (entry.findtext(f"{S3_XMLNS}ETag") or "").strip('"'),
                        "size": entry.findtext(f"{S3_XMLNS}Size") or "",
                        "lastModified": entry.findtext(f"{S3_XMLNS}LastModified") or "",
                    }
                )
        if (root.findtext(f"{S3_XMLNS}IsTruncated") or "false") != "true":
            break
        token = root.findtext(f"{S3_XMLNS}NextContinuationToken")
        if not token:
            break
    items.sort(key=lambda item: newest_first(item["lastModified"], item["version"]), reverse=True)
    files.write(items, "keys", f"bucket {bucket}")


if __name__ == "__main__":
    main()
