"""Versions of one Terraform module from a registry speaking the module registry protocol:
registry.terraform.io, HCP Terraform / Terraform Enterprise private registries, OpenTofu's
registry, Artifactory, a static registry.

As Terraform reads it: /.well-known/terraform.json names modules.v1 (service discovery); its
NAMESPACE/NAME/SYSTEM/versions lists the module's versions. Newest first by semantic version order
(Terraform's own); a pre-release (1.2.0-beta1) is left out unless INCLUDE_PRERELEASES is true.
TF_TOKEN goes as a bearer token to the registry's own host only, as Terraform's credentials block
does.
"""

import os
import urllib.parse

from _http import base_url, fail, flag, get_or_none, named, write  # customsrc:include
from _pkg import headers_for, is_semver_prerelease, json_of, semver_key, terraform_service  # customsrc:include

named("terraform-module")


def main():
    base = base_url()
    namespace = os.environ.get("NAMESPACE", "").strip().strip("/")
    name = os.environ.get("NAME", "").strip().strip("/")
    system = os.environ.get("SYSTEM", "").strip().strip("/")
    if not namespace or not name or not system:
        fail("NAMESPACE, NAME and SYSTEM are required (e.g. NAMESPACE=terraform-aws-modules NAME=vpc SYSTEM=aws)")
    with_prereleases = flag("INCLUDE_PRERELEASES")
    token = os.environ.get("TF_TOKEN", "").strip()
    auth = {"Authorization": f"Bearer {token}"} if token else {}

    service = terraform_service(base, "modules.v1", auth)
    module = f"{namespace}/{name}/{system}"
    url = urllib.parse.urljoin(service, f"{module}/versions")
    body = get_or_none(url, headers_for(url, base, auth))
    if body is None:
        fail(f"no module {module} on this registry (HTTP 404 from {url})")
    document = json_of(body, url)
    modules = document.get("modules") if isinstance(document, dict) else None
    if not isinstance(modules, list):
        fail(f"{url} has no modules list")
    listed = [v for m in modules if isinstance(m, dict) for v in m.get("versions") or []]
    found = [v for v in listed if isinstance(v, dict) and v.get("version")]
    kept = [v for v in found if with_prereleases or not is_semver_prerelease(v["version"])]
    kept.sort(key=lambda v: semver_key(v["version"]), reverse=True)
    host = urllib.parse.urlsplit(base).netloc
    items = [
        {
            "version": v["version"],
            "source": f"{host}/{module}",
            "download": urllib.parse.urljoin(service, f"{module}/{v['version']}/download"),
            "submodules": ",".join(s.get("path", "") for s in v.get("submodules") or [] if isinstance(s, dict)),
        }
        for v in kept
    ]
    write(
        items,
        found=f"{len(found)} versions of {module}" if found else f"{module} has no versions",
        kept_by="is a release (INCLUDE_PRERELEASES=true lists pre-releases too)" if len(kept) < len(found) else None,
    )


if __name__ == "__main__":
    main()
