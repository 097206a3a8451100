"""Tags of an image in an OCI / Docker Registry v2 (distribution, Harbor, Quay, GHCR, GitLab, Zot, ...).

python3 standard library only. Follows tags/list Link pages and, per tag, reads the manifest digest
(Docker-Content-Digest) with a HEAD request accepting OCI and Docker manifests and indexes. Answers a
Bearer token challenge (the registry's own token service) with the credentials given, or anonymously.
Publish dates would need every config blob, so tags are sorted highest first in natural order
(numbers inside tags compared as numbers: 1.10.0 before 1.9.0), which suits Harness's first match.
"""

import base64
import json
import os
import re
import sys
import urllib.error
import urllib.parse
import urllib.request

# customsrc:include _net.py

NAME = "oci-registry-tags"
MANIFEST_TYPES = ", ".join(
    [
        "application/vnd.oci.image.index.v1+json",
        "application/vnd.oci.image.manifest.v1+json",
        "application/vnd.docker.distribution.manifest.list.v2+json",
        "application/vnd.docker.distribution.manifest.v2+json",
    ]
)


def fail(message):
    print(f"{NAME}: {message}", file=sys.stderr)
    sys.exit(1)


class Client:
    def __init__(self, base, user, password):
        self.base, self.user, self.password, self.token = base, user, password, None

    def basic(self):
        return "Basic " + base64.b64encode(f"{self.user}:{self.password}".encode()).decode()

    def request(self, method, url, accept="application/json", retried=False):
        headers = {"Accept": accept}
        if self.token:
            headers["Authorization"] = f"Bearer {self.token}"
        elif self.user:
            headers["Authorization"] = self.basic()
        try:
            with urllib.request.urlopen(urllib.request.Request(url, headers=headers, method=method), timeout=30) as r:
                return r.read(), r.headers
        except urllib.error.HTTPError as exc:
            challenge = exc.headers.get("WWW-Authenticate", "")
            if exc.code == 401 and challenge.lower().startswith("bearer ") and not retried:
                self.token = self.fetch_token(challenge)
                return self.request(method, url, accept, retried=True)
            fail(f"HTTP {exc.code} {exc.reason} from {url}")
        except urllib.error.URLError as exc:
            fail(f"cannot reach {url}: {exc.reason}")

    def fetch_token(self, challenge):
        fields = dict(re.findall(r'(\w+)="([^"]*)"', challenge))
        realm = fields.pop("realm", "")
        if not realm.startswith(("http://", "https://")):
            fail(f"the registry's token realm is not an http(s) URL: {realm!r}")
        url = realm + "?" + urllib.parse.urlencode(fields)
        headers = {"Authorization": self.basic()} if self.user else {}
        try:
            with urllib.request.urlopen(urllib.request.Request(url, headers=headers), timeout=30) as r:
                body = json.loads(r.read())
        except urllib.error.HTTPError as exc:
            fail(f"HTTP {exc.code} {exc.reason} from the token service {realm}")
        except urllib.error.URLError as exc:
            fail(f"cannot reach the token service {realm}: {exc.reason}")
        return body.get("token") or body.get("access_token") or fail(f"no token from {realm}")


def next_link(headers, base):
    match = re.search(r'<([^>]+)>\s*;\s*rel="next"', headers.get("Link", ""))
    return urllib.parse.urljoin(base, match.group(1)) if match else None


def natural_key(tag):
    return [(0, int(part), "") if part.isdigit() else (1, 0, part) for part in re.split(r"(\d+)", tag) if part]


def main():
    base = os.environ["REPO_URL"].rstrip("/")
    if not base.startswith(("http://", "https://")):
        fail(f"REPO_URL must be an http(s) URL, got {base!r}")
    image = os.environ["IMAGE"].strip("/")
    client = Client(base, os.environ.get("REPO_USER", ""), os.environ.get("REPO_PASSWORD", ""))
    tags, url = [], f"{base}/v2/{image}/tags/list?n={os.environ.get('PAGE_SIZE') or '1000'}"
    while url:
        body, headers = client.request("GET", url)
        tags += json.loads(body).get("tags") or []
        url = next_link(headers, base)
    pattern = re.compile(os.environ.get("TAG_REGEX") or ".")
    host = urllib.parse.urlsplit(base).netloc
    items = []
    for tag in sorted(tags, key=natural_key, reverse=True):
        if not pattern.search(tag):
            continue
        manifest = f"{base}/v2/{image}/manifests/{urllib.parse.quote(tag)}"
        _, headers = client.request("HEAD", manifest, accept=MANIFEST_TYPES)
        digest = headers.get("Docker-Content-Digest", "")
        items.append(
            {
                "version": tag,
                "digest": digest,
                "SHA": digest,
                "SHAV2": digest,
                "mediaType": headers.get_content_type(),
                "image": f"{host}/{image}:{tag}",
                "imageByDigest": f"{host}/{image}@{digest}",
            }
        )
    with open(os.environ["HARNESS_ARTIFACT_RESULT_PATH"], "w", encoding="utf-8") as out:
        json.dump({"items": items}, out)


if __name__ == "__main__":
    main()
