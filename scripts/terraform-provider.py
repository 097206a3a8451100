"""Versions of one Terraform provider from a registry speaking the provider registry protocol:
registry.terraform.io, HCP Terraform / Terraform Enterprise, OpenTofu's registry, Artifactory, a
static registry.

As Terraform reads it: /.well-known/terraform.json names providers.v1 (service discovery); its
NAMESPACE/TYPE/versions lists every version with its protocols and platforms. Newest first by
semantic version order (Terraform's own); a pre-release (1.2.0-beta1) is left out unless
INCLUDE_PRERELEASES is true; with PLATFORM (linux_amd64) versions without a build for it are left
out. TF_TOKEN goes as a bearer token to the registry's own host only, as Terraform's credentials
block does.
"""

import os
import urllib.parse

from _http import base_url, fail, flag, get_or_none, named, say, write  # customsrc:include
from _pkg import headers_for, is_semver_prerelease, json_of, semver_key, terraform_service  # customsrc:include

named("terraform-provider")


def main():
    base = base_url()
    namespace = os.environ.get("NAMESPACE", "").strip().strip("/")
    kind = os.environ.get("TYPE", "").strip().strip("/")
    if not namespace or not kind:
        fail("NAMESPACE and TYPE are required (e.g. NAMESPACE=hashicorp TYPE=aws)")
    platform = os.environ.get("PLATFORM", "").strip()
    if platform and platform.count("_") != 1:
        fail(f"PLATFORM is OS_ARCH, e.g. linux_amd64, got {platform!r}")
    with_prereleases = flag("INCLUDE_PRERELEASES")
    token = os.environ.get("TF_TOKEN", "").strip()
    auth = {"Authorization": f"Bearer {token}"} if token else {}

    service = terraform_service(base, "providers.v1", auth)
    url = urllib.parse.urljoin(service, f"{namespace}/{kind}/versions")
    body = get_or_none(url, headers_for(url, base, auth))
    if body is None:
        fail(f"no provider {namespace}/{kind} on this registry (HTTP 404 from {url})")
    document = json_of(body, url)
    listed = document.get("versions") if isinstance(document, dict) else None
    if not isinstance(listed, list):
        fail(f"{url} has no versions list")
    for warning in document.get("warnings") or []:
        say(f"the registry warns: {warning}")

    host = urllib.parse.urlsplit(base).netloc
    found = [v for v in listed if isinstance(v, dict) and v.get("version")]
    releases = [v for v in found if with_prereleases or not is_semver_prerelease(v["version"])]
    kept = releases
    if platform:
        kept = [v for v in releases if platform in platforms(v)]
    kept.sort(key=lambda v: semver_key(v["version"]), reverse=True)
    items = []
    for version in kept:
        number = version["version"]
        os_name, _, arch = platform.partition("_")
        items.append(
            {
                "version": number,
                "protocols": ",".join(version.get("protocols") or []),
                "platforms": ",".join(platforms(version)),
                "source": f"{host}/{namespace}/{kind}",
                "download": urllib.parse.urljoin(service, f"{namespace}/{kind}/{number}/download/{os_name}/{arch}")
                if platform
                else "",
            }
        )
    if len(releases) < len(found) and not releases:
        kept_by = "is a release (INCLUDE_PRERELEASES=true lists pre-releases too)"
    elif platform and not kept:
        kept_by = f"has a build for {platform}"
    else:
        kept_by = None
    write(items, found=f"{len(found)} versions of {namespace}/{kind}" if found else "no versions", kept_by=kept_by)


def platforms(version):
    return [f"{p.get('os')}_{p.get('arch')}" for p in version.get("platforms") or [] if isinstance(p, dict)]


if __name__ == "__main__":
    main()
