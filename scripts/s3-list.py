"""Versions from object keys in an S3-compatible bucket (AWS S3, MinIO, Ceph, Cloudflare R2, Wasabi).

python3 standard library only, including the AWS Signature Version 4 signing (path-style requests,
so any S3-compatible endpoint works). Follows ListObjectsV2 continuation tokens. FILE_REGEX picks the
objects and its first group is the version; newest first by LastModified.
"""

import datetime
import hashlib
import hmac
import os
import re
import urllib.error
import urllib.parse
import urllib.request
import xml.etree.ElementTree as ET

from _http import base_url, fail, get, named, write  # customsrc:include

named("s3-list")
EMPTY_SHA256 = hashlib.sha256(b"").hexdigest()
S3_XMLNS = "{http://s3.amazonaws.com/doc/2006-03-01/}"


def quote(text):
    return urllib.parse.quote(text, safe="-_.~")


def sigv4_headers(method, url, region, access_key, secret_key, now, service="s3"):
    """The headers that sign a request with AWS Signature Version 4 (an empty body)."""
    parts = urllib.parse.urlsplit(url)
    amz_date, day = now.strftime("%Y%m%dT%H%M%SZ"), now.strftime("%Y%m%d")
    query = sorted(urllib.parse.parse_qsl(parts.query, keep_blank_values=True))
    canonical_query = "&".join(f"{quote(k)}={quote(v)}" for k, v in query)
    headers = {"host": parts.netloc, "x-amz-content-sha256": EMPTY_SHA256, "x-amz-date": amz_date}
    signed = ";".join(sorted(headers))
    canonical = "\n".join(
        [
            method,
            parts.path or "/",
            canonical_query,
            "".join(f"{k}:{headers[k]}\n" for k in sorted(headers)),
            signed,
            EMPTY_SHA256,
        ]
    )
    scope = f"{day}/{region}/{service}/aws4_request"
    to_sign = "\n".join(["AWS4-HMAC-SHA256", amz_date, scope, hashlib.sha256(canonical.encode()).hexdigest()])
    key = ("AWS4" + secret_key).encode()
    for part in (day, region, service, "aws4_request"):
        key = hmac.new(key, part.encode(), hashlib.sha256).digest()
    signature = hmac.new(key, to_sign.encode(), hashlib.sha256).hexdigest()
    credential = f"Credential={access_key}/{scope}"
    return {
        "Authorization": f"AWS4-HMAC-SHA256 {credential}, SignedHeaders={signed}, Signature={signature}",
        "x-amz-date": amz_date,
        "x-amz-content-sha256": EMPTY_SHA256,
    }


def main():
    endpoint = base_url()
    bucket, prefix = os.environ["BUCKET"], os.environ.get("PREFIX", "")
    region = os.environ.get("REGION") or "us-east-1"
    access_key, secret_key = os.environ.get("ACCESS_KEY_ID", ""), os.environ.get("SECRET_ACCESS_KEY", "")
    pattern = re.compile(os.environ["FILE_REGEX"])
    if pattern.groups < 1:
        fail("FILE_REGEX needs a group for the version, e.g. ^app-(.+)\\.tgz$")
    items, token = [], None
    while True:
        query = {"list-type": "2", "prefix": prefix, "max-keys": os.environ.get("PAGE_SIZE") or "1000"}
        if token:
            query["continuation-token"] = token
        url = f"{endpoint}/{quote(bucket)}?" + "&".join(f"{quote(k)}={quote(v)}" for k, v in sorted(query.items()))
        headers = {}
        if access_key:
            now = datetime.datetime.now(datetime.timezone.utc)
            headers = sigv4_headers("GET", url, region, access_key, secret_key, now)
        root = ET.fromstring(get(url, headers))
        for entry in root.iter(f"{S3_XMLNS}Contents"):
            key = entry.findtext(f"{S3_XMLNS}Key") or ""
            match = pattern.search(key.rsplit("/", 1)[-1])
            if match:
                items.append(
                    {
                        "version": match.group(1),
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
    items.sort(key=lambda item: item["lastModified"], reverse=True)
    write(items)


if __name__ == "__main__":
    main()
