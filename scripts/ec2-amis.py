"""Amazon EC2 AMIs (machine images) by name pattern and owner, newest first by creation date.

python3 standard library only. EC2's Query API (POST Action=DescribeImages, Version 2016-11-15, as
the SDKs send it, signed with AWS Signature Version 4 for the service ec2, _aws.py), with the
filters name=NAME_PATTERN (EC2's wildcards: * and ?) and state=available and the owners in OWNER,
following NextToken pages. VERSION_REGEX's first group, searched in the AMI's name, is the version; an
AMI whose name it does not match is left out, and so is a pre-release unless INCLUDE_PRERELEASES is
true. Newest first by CreationDate as an instant, ties by the gallery's version order.
"""

import os
import urllib.error
import urllib.parse
import xml.etree.ElementTree as ET

from _aws import Credentials, aws_error, aws_failed  # customsrc:include
from _http import (  # customsrc:include
    base_url,
    fail,
    flag,
    is_prerelease,
    named,
    newest_first,
    pattern,
    releases_only,
    request,
    write,
)

named("ec2-amis")
API_VERSION = "2016-11-15"
VERSION = r"(\d+(?:\.\d+)+(?:-[0-9A-Za-z.]+)?)"  # VERSION_REGEX's default: 1.4.0 of app-1.4.0


def describe(endpoint, credentials, params):
    """One DescribeImages page, as an XML element."""
    body = urllib.parse.urlencode(params).encode()
    headers = {"Content-Type": "application/x-www-form-urlencoded; charset=utf-8"}
    url = endpoint + "/"
    try:
        text = request(url, credentials.sign("POST", url, body, headers), "POST", body)[0]
    except urllib.error.HTTPError as exc:
        aws_failed(exc, url, *aws_error(exc))
    except urllib.error.URLError as exc:
        aws_failed(exc, url)
    try:
        return ET.fromstring(text)
    except ET.ParseError as exc:
        fail(f"{endpoint} did not answer DescribeImages with XML ({exc}): is REPO_URL EC2's endpoint?")
    return None


def child(element, name):
    """The text of ``element``'s child ``name`` in any XML namespace, or ''."""
    for node in element:
        if node.tag.rsplit("}", 1)[-1] == name:
            return (node.text or "").strip()
    return ""


def main():
    endpoint = base_url()
    credentials = Credentials(endpoint, "ec2")
    name_pattern = os.environ.get("NAME_PATTERN", "").strip()
    if not name_pattern:
        fail("NAME_PATTERN is empty: give the AMI names to list, e.g. app-* (EC2's wildcards * and ?)")
    owners = [owner.strip() for owner in os.environ.get("OWNER", "self").split(",") if owner.strip()]
    if not os.environ.get("VERSION_REGEX"):
        os.environ["VERSION_REGEX"] = VERSION
    regex, prereleases = pattern("VERSION_REGEX"), flag("INCLUDE_PRERELEASES")
    if regex.groups < 1:
        fail("VERSION_REGEX needs a group for the version, e.g. ^app-(.+)$")
    page_size = os.environ.get("PAGE_SIZE", "").strip() or "1000"
    if not page_size.isdigit() or not 5 <= int(page_size) <= 1000:
        fail(f"PAGE_SIZE must be a number from 5 to 1000 (DescribeImages' MaxResults), got {page_size!r}")
    params = {"Action": "DescribeImages", "Version": API_VERSION, "MaxResults": page_size}
    params.update({f"Owner.{n}": owner for n, owner in enumerate(owners, 1)})
    params.update({"Filter.1.Name": "name", "Filter.1.Value.1": name_pattern})
    params.update({"Filter.2.Name": "state", "Filter.2.Value.1": "available"})
    items, amis, dropped = [], 0, 0
    while True:
        root = describe(endpoint, credentials, params)
        images = next((node for node in root if node.tag.endswith("imagesSet")), None)
        for image in [] if images is None else images:
            amis += 1
            name = child(image, "name")
            match = regex.search(name)
            if not match or not match.group(1):
                continue
            version = match.group(1)
            if is_prerelease(version) and not prereleases:
                dropped += 1
                continue
            items.append(
                {
                    "version": version,
                    "imageId": child(image, "imageId"),
                    "name": name,
                    "created": child(image, "creationDate"),
                    "ownerId": child(image, "imageOwnerId"),
                    "architecture": child(image, "architecture"),
                    "description": child(image, "description"),
                }
            )
        token = child(root, "nextToken")
        if not token:
            break
        params["NextToken"] = token
    items.sort(key=lambda item: newest_first(item["created"], item["version"]), reverse=True)
    where = f"AMIs named {name_pattern} owned by {', '.join(owners) or 'anyone'}"
    if not amis:
        write(items, found=f"no available {where} (NAME_PATTERN is matched whole: add * for more)")
        return
    kept_by = f"has a version in its name (VERSION_REGEX {regex.pattern!r})"
    if dropped:
        kept_by += " and " + releases_only(dropped)
    write(items, found=f"{amis} available {where}", kept_by=kept_by)


if __name__ == "__main__":
    main()
