"""Image tags of an Amazon ECR repository, with their digests, sizes and push times.

python3 standard library only. ECR's API (JSON 1.1: POST with X-Amz-Target
AmazonEC2ContainerRegistry_V20150921.DescribeImages, signed with AWS Signature Version 4 for the
service ecr, _aws.py), following nextToken pages; tagged images only (filter tagStatus TAGGED; an
untagged image is left out here too), one item per tag. ECR's own order is not by time: newest
first by imagePushedAt, tags of one image by the gallery's version order. TAG_REGEX
picks tags; pre-release tags are left out unless INCLUDE_PRERELEASES is true.
"""

import datetime
import json
import os
import urllib.error

from _aws import Credentials, aws_error, aws_failed  # customsrc:include
from _http import (  # customsrc:include
    base_url,
    fail,
    flag,
    is_prerelease,
    named,
    pattern,
    releases_only,
    request,
    version_key,
    write,
)

named("ecr-images")
TARGET = "AmazonEC2ContainerRegistry_V20150921.DescribeImages"


def pushed(value):
    """imagePushedAt (epoch seconds, as the JSON protocol writes a timestamp) as RFC 3339 UTC, or ''."""
    try:
        when = datetime.datetime.fromtimestamp(float(value), datetime.timezone.utc)
    except (TypeError, ValueError, OverflowError, OSError):
        return ""
    return when.isoformat(timespec="milliseconds" if float(value) % 1 else "seconds").replace("+00:00", "Z")


def describe(endpoint, credentials, query, repository):
    """One DescribeImages page; a repository or registry that does not exist fails saying so."""
    body = json.dumps(query).encode()
    headers = {"Content-Type": "application/x-amz-json-1.1", "X-Amz-Target": TARGET}
    url = endpoint + "/"
    try:
        return json.loads(request(url, credentials.sign("POST", url, body, headers), "POST", body)[0])
    except urllib.error.HTTPError as exc:
        code, message = aws_error(exc)
        if code == "RepositoryNotFoundException":
            where = f" in registry {query['registryId']}" if query.get("registryId") else ""
            fail(f"no repository {repository!r}{where} at {endpoint} (HTTP {exc.code} {code}: {message})")
        aws_failed(exc, url, code, message)
    except urllib.error.URLError as exc:
        aws_failed(exc, url)
    except ValueError:
        fail(f"{endpoint} did not answer DescribeImages with JSON: is REPO_URL ECR's API endpoint?")
    return {}


def main():
    endpoint = base_url()
    credentials = Credentials(endpoint, "ecr")
    repository = os.environ.get("REPOSITORY", "").strip()
    if not repository:
        fail("REPOSITORY is empty: give the repository's name, e.g. team/app")
    registry = os.environ.get("REGISTRY_ID", "").strip()
    tags, prereleases = pattern("TAG_REGEX"), flag("INCLUDE_PRERELEASES")
    page_size = os.environ.get("PAGE_SIZE", "").strip() or "1000"
    if not page_size.isdigit() or not 1 <= int(page_size) <= 1000:
        fail(f"PAGE_SIZE must be a number from 1 to 1000 (DescribeImages' maxResults), got {page_size!r}")
    query = {"repositoryName": repository, "maxResults": int(page_size), "filter": {"tagStatus": "TAGGED"}}
    if registry:
        query["registryId"] = registry
    items, images, listed, dropped = [], 0, 0, 0
    while True:
        page = describe(endpoint, credentials, query, repository)
        for image in page.get("imageDetails") or []:
            images += bool(image.get("imageTags"))  # an untagged image has none (the filter leaves it out)
            digest = image.get("imageDigest", "")
            account = image.get("registryId") or registry
            host = f"{account}.dkr.ecr.{credentials.region}.amazonaws.com"
            for tag in image.get("imageTags") or []:
                listed += 1
                if not tags.search(tag):
                    continue
                if is_prerelease(tag) and not prereleases:
                    dropped += 1
                    continue
                items.append(
                    {
                        "version": tag,
                        "digest": digest,
                        "image": f"{host}/{repository}:{tag}",
                        "imageByDigest": f"{host}/{repository}@{digest}",
                        "size": str(image.get("imageSizeInBytes", "")),
                        "pushedAt": pushed(image.get("imagePushedAt")),
                        "mediaType": image.get("imageManifestMediaType", ""),
                        "_at": float(image.get("imagePushedAt") or 0),
                    }
                )
        token = page.get("nextToken")
        if not token:
            break
        query["nextToken"] = token
    items.sort(key=lambda item: (item["_at"], version_key(item["version"])), reverse=True)
    for item in items:
        del item["_at"]
    if not listed:
        write(items, found=f"no tagged images in repository {repository}")
        return
    kept_by = f"matches TAG_REGEX {tags.pattern!r}"
    if dropped:
        kept_by += " and " + releases_only(dropped, "pre-release tags")
    write(items, found=f"{listed} tags on {images} images in repository {repository}", kept_by=kept_by)


if __name__ == "__main__":
    main()
