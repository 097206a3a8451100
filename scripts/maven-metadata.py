"""Versions of one Maven artifact, from its maven-metadata.xml (Maven 2 repository layout).

python3 standard library only. Newest first: Harness takes the first match of a version regex.
"""

import os
import xml.etree.ElementTree as ET

from _http import auth_headers, base_url, fail, get, named, write  # customsrc:include

named("maven-metadata")
base = base_url()
group, artifact = os.environ["GROUP_ID"], os.environ["ARTIFACT_ID"]
packaging = os.environ.get("PACKAGING") or "jar"
headers = {"Accept": "application/xml", **auth_headers()}

folder = f"{base}/{group.replace('.', '/')}/{artifact}"
try:
    root = ET.fromstring(get(f"{folder}/maven-metadata.xml", headers))
except ET.ParseError as exc:
    fail(f"{folder}/maven-metadata.xml is not XML ({exc}); is REPO_URL the repository root?")
versioning = root.find("versioning")
if versioning is None:
    fail(f"{folder}/maven-metadata.xml has no <versioning>")
release = versioning.findtext("release") or ""
updated = versioning.findtext("lastUpdated") or ""
versions = [v.text.strip() for v in versioning.findall("versions/version") if v.text and v.text.strip()]
items = [
    {
        "version": version,
        "url": f"{folder}/{version}/{artifact}-{version}.{packaging}",
        "groupId": group,
        "artifactId": artifact,
        "isRelease": str(version == release).lower(),
        "repositoryUpdated": updated,
    }
    for version in reversed(versions)
]
write(items)
