"""Versions of one Maven artifact, from its maven-metadata.xml (Maven 2 repository layout).

python3 standard library only. Newest first: Harness takes the first match of a version regex.
"""

import base64
import json
import os
import xml.etree.ElementTree as ET

NAME = "maven-metadata"

# customsrc:include _http.py


base = os.environ["REPO_URL"].rstrip("/")
if not base.startswith(("http://", "https://")):
    fail(f"REPO_URL must be an http(s) URL, got {base!r}")
group, artifact = os.environ["GROUP_ID"], os.environ["ARTIFACT_ID"]
packaging = os.environ.get("PACKAGING") or "jar"
headers = {"Accept": "application/xml"}
if os.environ.get("REPO_USER"):
    token = f"{os.environ['REPO_USER']}:{os.environ.get('REPO_PASSWORD', '')}".encode()
    headers["Authorization"] = "Basic " + base64.b64encode(token).decode()

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
with open(os.environ["HARNESS_ARTIFACT_RESULT_PATH"], "w", encoding="utf-8") as out:
    json.dump({"items": items}, out)
