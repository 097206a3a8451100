"""Tags of an image in an OCI / Docker Registry v2 (distribution, Harbor, Quay, GHCR, GitLab, Zot, ...).

python3 standard library only. Follows tags/list Link pages, orders the tags highest version first
(the gallery's version order: numbers as numbers, a release above its pre-releases, names that are no
version such as latest, main or sha-1f2e3d4 below every version: a registry gives no tag dates without
reading every config blob), filters them, and reads each kept tag's manifest digest
(Docker-Content-Digest) with HEAD requests accepting OCI and Docker manifests and indexes, CONCURRENCY
at a time, for the first MAX_TAGS tags. Answers a Bearer token challenge (the registry's token service)
with the credentials given, or anonymously. For Azure Container Registry an Entra ID (AAD) access token
is exchanged as Azure documents: POST /oauth2/exchange for an ACR refresh token, then POST /oauth2/token
with the challenge's scope for an access token (on the registry's own origin only); ACR's admin user,
a service principal or a repository-scoped token go as REPO_USER and REPO_PASSWORD instead.
"""

import concurrent.futures
import difflib
import json
import os
import re
import threading
import urllib.error
import urllib.parse

from _http import (  # customsrc:include
    base_url,
    basic,
    fail,
    failed,
    flag,
    is_prerelease,
    named,
    next_link,
    number,
    origin,
    pattern,
    request,
    say,
    version_key,
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


class Stop(Exception):
    """A failed request, said once by the main thread (worker threads only raise it)."""

    def __init__(self, url, error=None, message=""):
        super().__init__(message or url)
        self.url, self.error, self.message = url, error, message

    def end(self):
        if self.message:
            fail(self.message)
        failed(self.error, self.url)


class Client:
    """Requests to one registry: basic auth, or the Bearer token its challenge asks for (fetched
    once and shared by the threads; fetched again when the registry refuses it)."""

    def __init__(self, user, password, base="", aad_token="", tenant=""):
        self.user, self.password, self.token = user, password, None
        self.base, self.aad_token, self.tenant, self.refresh_token = base, aad_token, tenant, None
        self.lock = threading.Lock()

    def ask(self, method, url, accept="application/json"):
        """(body, headers), or Stop."""
        used = self.token
        try:
            return request(url, self.headers(accept, used), method)
        except urllib.error.HTTPError as exc:
            challenge = (exc.headers or {}).get("WWW-Authenticate", "")
            if exc.code != 401 or not challenge.lower().startswith("bearer "):
                raise Stop(url, exc) from None
        except OSError as exc:  # URLError, or a timeout while reading
            raise Stop(url, exc) from None
        with self.lock:
            if self.token == used:  # no other thread has renewed it meanwhile
                self.token = self.fetch_token(challenge)
        try:
            return request(url, self.headers(accept, self.token), method)
        except OSError as exc:
            raise Stop(url, exc) from None

    def headers(self, accept, token):
        headers = {"Accept": accept}
        if token:
            headers["Authorization"] = f"Bearer {token}"
        elif self.user:
            headers["Authorization"] = basic(self.user, self.password)
        return headers

    def fetch_token(self, challenge):
        """A token from the realm the challenge names, for its service and scope (distribution's
        token authentication spec): the credentials go there as basic auth, or none for anonymous."""
        fields = dict(re.findall(r'(\w+)="([^"]*)"', challenge))
        realm = fields.pop("realm", "")
        if not realm.startswith(("http://", "https://")):
            raise Stop(realm, message=f"the registry's token realm is not an http(s) URL: {realm!r}")
        fields.pop("error", None)
        fields.pop("error_description", None)
        if self.aad_token:
            return self.acr_token(realm, fields)
        headers = {}
        if self.user:
            fields["account"] = self.user
            headers["Authorization"] = basic(self.user, self.password)
        url = realm + ("&" if "?" in realm else "?") + urllib.parse.urlencode(fields)
        try:
            body = json.loads(request(url, headers)[0])
        except OSError as exc:
            raise Stop(realm, exc) from None
        except ValueError:
            raise Stop(realm, message=f"the token service {realm} did not answer JSON") from None
        token = body.get("token") or body.get("access_token") if isinstance(body, dict) else None
        if not token:
            raise Stop(realm, message=f"the token service {realm} answered without a token")
        return token

    def acr_token(self, realm, fields):
        """An ACR access token for the challenge's scope: the AAD access token exchanged once for an
        ACR refresh token (POST /oauth2/exchange), that for an access token (POST the realm)."""
        if origin(realm) != origin(self.base):
            why = f"the token realm {realm} is not on the registry's origin: AAD_ACCESS_TOKEN goes only to {self.base}"
            raise Stop(realm, message=why)
        if self.refresh_token is None:
            form = {"grant_type": "access_token", "service": fields.get("service", ""), "access_token": self.aad_token}
            if self.tenant:
                form["tenant"] = self.tenant
            exchange = urllib.parse.urljoin(realm, "/oauth2/exchange")
            self.refresh_token = self.post_form(exchange, form, "refresh_token")
        form = {
            "grant_type": "refresh_token",
            "service": fields.get("service", ""),
            "scope": fields.get("scope", ""),
            "refresh_token": self.refresh_token,
        }
        return self.post_form(realm, form, "access_token")

    @staticmethod
    def post_form(url, form, field):
        """``field`` of the JSON a form POST to ``url`` answers, or Stop."""
        headers = {"Content-Type": "application/x-www-form-urlencoded", "Accept": "application/json"}
        try:
            body = json.loads(request(url, headers, "POST", urllib.parse.urlencode(form).encode())[0])
        except OSError as exc:
            raise Stop(url, exc) from None
        except ValueError:
            raise Stop(url, message=f"{url} did not answer JSON") from None
        value = body.get(field) if isinstance(body, dict) else None
        if not value:
            raise Stop(url, message=f"{url} answered without a {field}")
        return value


def not_found(client, base, image, exc):
    """Fail for an image the registry does not have, naming images it has where its catalog says."""
    try:
        body = exc.read()[:4096] if exc.fp else b""
    except OSError:
        body = b""
    if b'"errors"' not in body:  # not the registry's own error document: a wrong URL, say it as it is
        failed(exc, f"{base}/v2/{image}/tags/list")
    message = f"no image {image} on this registry ({base}): tags/list answered 404 NAME_UNKNOWN"
    try:
        names = json.loads(client.ask("GET", f"{base}/v2/_catalog?n=1000")[0]).get("repositories") or []
    except (Stop, ValueError, AttributeError):
        names = []  # a catalog is often closed to pulls: then there is nothing more to say
    if names:
        close = difflib.get_close_matches(image, names, n=10, cutoff=0.5)
        shown = (close + [name for name in sorted(names) if name not in close])[:10]
        more = f" ({len(names)} in all)" if len(names) > len(shown) else ""
        message += f"; it has: {', '.join(shown)}{more}"
    fail(message)


def list_tags(client, base, image):
    tags, url = [], f"{base}/v2/{image}/tags/list?n={number('PAGE_SIZE', 1000, 1, 100000)}"
    while url:
        try:
            body, headers = client.ask("GET", url)
        except Stop as stop:
            if stop.error is not None and getattr(stop.error, "code", None) == 404 and not tags:
                not_found(client, base, image, stop.error)
            stop.end()
        try:
            tags += json.loads(body).get("tags") or []
        except (ValueError, AttributeError):
            fail(f"{url.split('?', 1)[0]} did not answer a tags/list JSON document")
        url = next_link(headers, url)
    return tags


def read_digests(client, base, image, tags, concurrency):
    """(tag, its manifest's HEAD answer headers, or None for a tag gone since the listing) for each
    tag, in the tags' order, ``concurrency`` at a time."""
    pool = concurrent.futures.ThreadPoolExecutor(max_workers=concurrency)

    def head(tag):
        manifest = f"{base}/v2/{image}/manifests/{urllib.parse.quote(tag)}"
        try:
            return client.ask("HEAD", manifest, accept=MANIFEST_TYPES)[1]
        except Stop as stop:
            if getattr(stop.error, "code", None) == 404:  # deleted since the listing (retention, GC)
                return None
            raise

    futures = [(tag, pool.submit(head, tag)) for tag in tags]
    try:
        return [(tag, future.result()) for tag, future in futures]
    except Stop as stop:
        for _, future in futures:
            future.cancel()
        stop.end()
    finally:
        pool.shutdown(wait=False)


def main():
    base = base_url()
    image = os.environ["IMAGE"].strip().strip("/")
    if not image:
        fail("IMAGE is empty: name the image, e.g. team/app")
    with_prereleases = flag("INCLUDE_PRERELEASES")
    wanted = pattern("TAG_REGEX")
    concurrency = number("CONCURRENCY", 8, 1, 64)
    max_tags = number("MAX_TAGS", 200, 0, 10**9)
    client = Client(
        os.environ.get("REPO_USER", ""),
        os.environ.get("REPO_PASSWORD", ""),
        base,
        os.environ.get("AAD_ACCESS_TOKEN", "").strip(),
        os.environ.get("AAD_TENANT", "").strip(),
    )

    tags = sorted(set(list_tags(client, base, image)), key=lambda tag: (version_key(tag), tag), reverse=True)
    kept, rules = [tag for tag in tags if wanted.search(tag)], []
    if len(kept) < len(tags):
        rules.append(f"match TAG_REGEX {os.environ.get('TAG_REGEX', '')!r}")
    if not with_prereleases:
        releases = [tag for tag in kept if not is_prerelease(tag)]
        if len(releases) < len(kept):
            rules.append("are releases (INCLUDE_PRERELEASES=true lists pre-releases too)")
        kept = releases
    if max_tags and len(kept) > max_tags:
        say(
            f"{len(kept)} tags of {image} are kept; listing the newest {max_tags} only, with their digests "
            f"(MAX_TAGS={max_tags}: narrow TAG_REGEX, or raise MAX_TAGS, 0 for all, within the timeout)"
        )
        kept = kept[:max_tags]

    host = urllib.parse.urlsplit(base).netloc
    items = []
    for tag, headers in read_digests(client, base, image, kept, concurrency):
        if headers is None:
            say(f"tag {tag} was listed but its manifest is gone (HTTP 404): left out")
            continue
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
    found = f"{len(tags)} tags of {image}" if tags else f"{image} has no tags"
    write(items, found=found, kept_by=" and ".join(rules) or None)


if __name__ == "__main__":
    main()
