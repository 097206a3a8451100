"""Tags of an image in an OCI / Docker Registry v2 (distribution, Harbor, Quay, GHCR, GitLab, Zot, ...).

python3 standard library only. Follows tags/list Link pages and, per tag, reads the manifest digest
(Docker-Content-Digest) with a HEAD request accepting OCI and Docker manifests and indexes. Answers a
Bearer token challenge (the registry's own token service) with the credentials given, or anonymously.
Publish dates would need every config blob, so tags are sorted highest first in natural order
(numbers inside tags compared as numbers: 1.10.0 before 1.9.0), which suits Harness's first match.
"""

import json
import os
import re
import urllib.error
import urllib.parse

from _http import (  # customsrc:include
    base_url,
    basic,
    fail,
    failed,
    named,
    natural_key,
    next_link,
    pattern,
    request,
    write,
)

named("oci-registry-tags")
MANIFEST_TYPES = ", ".join(
    [
        "application/vnd.oci.image.index.v1+json",
        "application/vnd.oci.image.manifest.v1+json",
        "application/vnd.docker.distribution.manifest.list.v2+json",
        "application/vnd.docker.distribution.manifest.v2+json",
    ]
)


class Client:
    def __init__(self, base, user, password):
        self.base, self.user, self.password, self.token = base, user, password, None

    def request(self, method, url, accept="application/json", retried=False):
        headers = {"Accept": accept}
        if self.token:
            headers["Authorization"] = f"Bearer {self.token}"
        elif self.user:
            headers["Authorization"] = basic(self.user, self.password)
        try:
            return request(url, headers, method)
        except urllib.error.HTTPError as exc:
            challenge = exc.headers.get("WWW-Authenticate", "")
            if exc.code == 401 and challenge.lower().startswith("bearer ") and not retried:
                self.token = self.fetch_token(challenge)
                return self.request(method, url, accept, retried=True)
            failed(exc, url)
        except urllib.error.URLError as exc:
            failed(exc, url)

    def fetch_token(self, challenge):
        fields = dict(re.findall(r'(\w+)="([^"]*)"', challenge))
        realm = fields.pop("realm", "")
        if not realm.startswith(("http://", "https://")):
            fail(f"the registry's token realm is not an http(s) URL: {realm!r}")
        url = realm + "?" + urllib.parse.urlencode(fields)
        headers = {"Authorization": basic(self.user, self.password)} if self.user else {}
        try:
            body = json.loads(request(url, headers)[0])
        except (urllib.error.HTTPError, urllib.error.URLError) as exc:
            failed(exc, realm)
        except ValueError:
            fail(f"the token service {realm} did not answer JSON")
        return body.get("token") or body.get("access_token") or fail(f"no token from {realm}")


def main():
    base = base_url()
    image = os.environ["IMAGE"].strip("/")
    client = Client(base, os.environ.get("REPO_USER", ""), os.environ.get("REPO_PASSWORD", ""))
    tags, url = [], f"{base}/v2/{image}/tags/list?n={os.environ.get('PAGE_SIZE') or '1000'}"
    while url:
        body, headers = client.request("GET", url)
        tags += json.loads(body).get("tags") or []
        url = next_link(headers, url)
    wanted = pattern("TAG_REGEX")
    host = urllib.parse.urlsplit(base).netloc
    items = []
    for tag in sorted(tags, key=natural_key, reverse=True):
        if not wanted.search(tag):
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
    write(items)


if __name__ == "__main__":
    main()
