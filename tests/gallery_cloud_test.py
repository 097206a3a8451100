"""The gallery's cloud entries, end to end: ecr-images and ec2-amis against moto (signature checks on,
images pushed and AMIs created with boto3) and servers of AWS's documented answers for their pages;
gcs-objects against gcp-storage-emulator and a server of the Cloud Storage JSON API's documented
answers (pages, bearer tokens, errors); azure-blob against azurite (SharedKey and SAS)."""

from __future__ import annotations

import base64
import contextlib
import datetime
import email.utils
import hashlib
import hmac
import json
import os
import shutil
import time
import urllib.parse
import urllib.request
from collections.abc import Iterator
from pathlib import Path
from typing import Any, ClassVar

import pytest

from customsrc.gallery import entry

from . import servers
from .gallery_test import run_loud as run
from .helpers import CLI, need

ACCOUNT = "123456789012"  # moto's account


# -- moto: ECR and EC2 with signature checks on ---------------------------------------------------


@contextlib.contextmanager
def moto_aws() -> Iterator[tuple[str, dict[str, str]]]:
    """moto's server checking every request's signature (after 3 free actions that create an IAM
    user, its key and its policy); yields the endpoint and boto3 keyword arguments for that user."""
    import boto3

    binary = shutil.which("moto_server")
    need(binary, "moto's server", "pip install 'moto[server]'; nox -s tests does")
    assert binary is not None
    port = servers.free_port()
    endpoint = f"http://127.0.0.1:{port}"
    env = {**os.environ, "INITIAL_NO_AUTH_ACTION_COUNT": "3"}
    with servers.process(
        [binary, "-H", "127.0.0.1", "-p", str(port)], port, env=env, cwd=os.environ.get("TMPDIR", "/tmp")
    ):
        setup = {"aws_access_key_id": "setup", "aws_secret_access_key": "setup", "region_name": "eu-west-1"}
        iam = boto3.client("iam", endpoint_url=endpoint, **setup)
        iam.create_user(UserName="ci")
        key = iam.create_access_key(UserName="ci")["AccessKey"]
        policy = {"Version": "2012-10-17", "Statement": [{"Effect": "Allow", "Action": "*", "Resource": "*"}]}
        iam.put_user_policy(UserName="ci", PolicyName="all", PolicyDocument=json.dumps(policy))
        yield (
            endpoint,
            {
                "endpoint_url": endpoint,
                "region_name": "eu-west-1",
                "aws_access_key_id": key["AccessKeyId"],
                "aws_secret_access_key": key["SecretAccessKey"],
            },
        )


def signed(aws: dict[str, str]) -> dict[str, str]:
    """The template inputs for moto's user: its key id, its secret key (as the template's secret) and
    the region the boto3 clients used (moto keeps each region's resources apart)."""
    return {
        "input_access_key_id": aws["aws_access_key_id"],
        "input_secret_access_key": aws["aws_secret_access_key"],
        "input_region": aws["region_name"],
    }


def push(ecr: Any, repository: str, tags: list[str], layer: str) -> str:
    """Push one image (a Docker v2 manifest) with ``tags`` as `docker push` ends, with PutImage;
    return its digest."""
    manifest = json.dumps(
        {
            "schemaVersion": 2,
            "mediaType": "application/vnd.docker.distribution.manifest.v2+json",
            "config": {
                "mediaType": "application/vnd.docker.container.image.v1+json",
                "size": 7023,
                "digest": "sha256:" + hashlib.sha256(f"config {layer}".encode()).hexdigest(),
            },
            "layers": [
                {
                    "mediaType": "application/vnd.docker.image.rootfs.diff.tar.gzip",
                    "size": 32654,
                    "digest": "sha256:" + hashlib.sha256(layer.encode()).hexdigest(),
                }
            ],
        }
    )
    digest = "sha256:" + hashlib.sha256(manifest.encode()).hexdigest()
    for tag in tags:
        ecr.put_image(repositoryName=repository, imageManifest=manifest, imageTag=tag, imageDigest=digest)
    if not tags:  # pushed by digest alone
        ecr.put_image(repositoryName=repository, imageManifest=manifest, imageDigest=digest)
    return digest


@pytest.mark.slow
def test_ecr_images_newest_push_first_one_item_per_tag(cli: CLI) -> None:
    """Tags newest push first (a 1.9.1 hotfix pushed after 2.0.0 comes first: ECR's own order is by
    digest), the tags of one image by version; an untagged image left out; pre-releases only with
    INCLUDE_PRERELEASES; TAG_REGEX; a forged key refused; a repository that does not exist named."""
    import boto3

    with moto_aws() as (endpoint, aws):
        ecr = boto3.client("ecr", **aws)
        ecr.create_repository(repositoryName="team/app")
        ecr.create_repository(repositoryName="team/empty")
        pushes = [  # one push a second: ECR's imagePushedAt counts seconds
            (["1.9.0"], "a"),
            (["1.10.0-rc.1", "dev"], "b"),
            (["2.0.0", "stable"], "c"),
            (["sha-3f2e1d0"], "d"),
            (["1.9.1"], "e"),  # a hotfix of the old line, pushed after 2.0.0
            (["2.1.0-beta.1"], "f"),
        ]
        digests = {}
        for tags, layer in pushes:
            digest = push(ecr, "team/app", tags, layer)
            digests.update(dict.fromkeys(tags, digest))
            time.sleep(1.05)
        push(ecr, "team/app", [], "untagged")  # no tag: nothing to list
        code, doc, err = run(
            cli, "ecr-images", endpoint, "--version", "2.0.0", input_repository="team/app", **signed(aws)
        )
        every = run(
            cli, "ecr-images", endpoint, input_repository="team/app", input_include_prereleases="true", **signed(aws)
        )
        only_2 = run(cli, "ecr-images", endpoint, input_repository="team/app", input_tag_regex=r"^2\.", **signed(aws))
        none = run(cli, "ecr-images", endpoint, input_repository="team/app", input_tag_regex="^9", **signed(aws))
        only_pre = run(
            cli, "ecr-images", endpoint, input_repository="team/app", input_tag_regex=r"^2\.1", **signed(aws)
        )
        empty = run(cli, "ecr-images", endpoint, input_repository="team/empty", **signed(aws))
        missing = run(cli, "ecr-images", endpoint, input_repository="team/nope", **signed(aws))
        forged = run(
            cli, "ecr-images", endpoint, input_repository="team/app",
            input_access_key_id=aws["aws_access_key_id"], input_secret_access_key="wrong", input_region="eu-west-1",
        )  # fmt: skip
    assert code == 0, err
    assert [a["version"] for a in doc["artifacts"]] == ["1.9.1", "sha-3f2e1d0", "2.0.0", "stable", "dev", "1.9.0"]
    meta = doc["selected"]["metadata"]
    host = f"{ACCOUNT}.dkr.ecr.eu-west-1.amazonaws.com"  # the region in the signing scope
    assert meta["digest"] == digests["2.0.0"]
    assert meta["image"] == f"{host}/team/app:2.0.0"
    assert meta["imageByDigest"] == f"{host}/team/app@{digests['2.0.0']}"
    assert meta["mediaType"] == "application/vnd.docker.distribution.manifest.v2+json"
    assert meta["pushedAt"].endswith("Z") and int(meta["size"]) > 0
    assert every[0] == 0, every[2]
    assert [a["version"] for a in every[1]["artifacts"]] == [
        "2.1.0-beta.1", "1.9.1", "sha-3f2e1d0", "2.0.0", "stable", "1.10.0-rc.1", "dev", "1.9.0",
    ]  # fmt: skip
    assert [a["version"] for a in only_2[1]["artifacts"]] == ["2.0.0"]
    assert none[0] == 0 and none[1]["artifacts"] == []
    assert "8 tags on 6 images in repository team/app, but none matches TAG_REGEX '^9'" in none[2]
    assert only_pre[0] == 0 and only_pre[1]["artifacts"] == []
    assert "1 pre-release tags left out: INCLUDE_PRERELEASES=true lists them" in only_pre[2]
    assert empty[0] == 0 and empty[1]["artifacts"] == []
    assert "no tagged images in repository team/empty" in empty[2]
    assert missing[0] == 3
    assert f"no repository 'team/nope' at {endpoint}" in missing[2] and "RepositoryNotFoundException" in missing[2]
    assert forged[0] == 3 and "HTTP 403" in forged[2] and "SignatureDoesNotMatch" in forged[2]
    assert aws["aws_secret_access_key"] not in err + json.dumps(doc)


@pytest.mark.slow
def test_ecr_images_with_temporary_credentials(cli: CLI) -> None:
    """Credentials from STS AssumeRole: moto accepts them only with the session token sent and signed."""
    import boto3

    with moto_aws() as (endpoint, aws):
        boto3.client("ecr", **aws).create_repository(repositoryName="app")
        push(boto3.client("ecr", **aws), "app", ["1.0.0"], "a")
        temporary = assume_role(aws)
        given = {
            "input_repository": "app",
            "input_region": "eu-west-1",
            "input_access_key_id": temporary["AccessKeyId"],
            "input_secret_access_key": temporary["SecretAccessKey"],
        }
        code, doc, err = run(cli, "ecr-images", endpoint, input_session_token=temporary["SessionToken"], **given)
        without = run(cli, "ecr-images", endpoint, **given)
    assert code == 0, err
    assert [a["version"] for a in doc["artifacts"]] == ["1.0.0"]
    assert temporary["SessionToken"] not in err + json.dumps(doc)
    assert without[0] == 3 and "HTTP 403" in without[2] and "InvalidClientTokenId" in without[2]


def assume_role(aws: dict[str, str]) -> dict[str, str]:
    """Temporary credentials (an ASIA... key, its secret and a session token) from STS AssumeRole."""
    import boto3

    iam = boto3.client("iam", **aws)
    user = iam.get_user(UserName="ci")["User"]["Arn"]
    trust = {
        "Version": "2012-10-17",
        "Statement": [{"Effect": "Allow", "Principal": {"AWS": user}, "Action": "sts:AssumeRole"}],
    }
    role = iam.create_role(RoleName="reader", AssumeRolePolicyDocument=json.dumps(trust))["Role"]["Arn"]
    allow = {"Version": "2012-10-17", "Statement": [{"Effect": "Allow", "Action": "*", "Resource": "*"}]}
    iam.put_role_policy(RoleName="reader", PolicyName="read", PolicyDocument=json.dumps(allow))
    credentials = boto3.client("sts", **aws).assume_role(RoleArn=role, RoleSessionName="harness")["Credentials"]
    assert credentials["AccessKeyId"].startswith("ASIA")
    return {k: str(v) for k, v in credentials.items()}


@pytest.mark.slow
def test_ec2_amis_by_name_pattern_newest_first(cli: CLI) -> None:
    """AMIs created from an instance, one a second: newest first by CreationDate (a 1.9.1 hotfix made
    after 2.0.0 comes first), the version from the name, a name without one and other names left out,
    pre-releases only with INCLUDE_PRERELEASES, OWNER passed on (an account with no such AMI)."""
    import boto3

    with moto_aws() as (endpoint, aws):
        ec2 = boto3.client("ec2", **aws)
        instance = ec2.run_instances(ImageId="ami-12c6146b", MinCount=1, MaxCount=1)["Instances"][0]["InstanceId"]
        ids = {}
        for name in ("app-1.9.0", "app-2.0.0", "app-base", "app-1.9.1", "app-2.1.0-rc.1", "web-3.0.0"):
            ids[name] = ec2.create_image(InstanceId=instance, Name=name, Description=f"built {name}")["ImageId"]
            time.sleep(1.05)  # CreationDate counts seconds here
        code, doc, err = run(cli, "ec2-amis", endpoint, "--version", "2.0.0", **signed(aws))
        every = run(cli, "ec2-amis", endpoint, input_include_prereleases="true", **signed(aws))
        strict = run(
            cli, "ec2-amis", endpoint, input_version_regex=r"^app-(\d+\.\d+\.\d+)$",
            input_include_prereleases="true", **signed(aws),
        )  # fmt: skip
        other = run(cli, "ec2-amis", endpoint, input_owner="210987654321", **signed(aws))
        nothing = run(cli, "ec2-amis", endpoint, input_name_pattern="db-*", **signed(aws))
        forged = run(
            cli, "ec2-amis", endpoint,
            input_access_key_id=aws["aws_access_key_id"], input_secret_access_key="wrong", input_region="eu-west-1",
        )  # fmt: skip
    assert code == 0, err
    assert [a["version"] for a in doc["artifacts"]] == ["1.9.1", "2.0.0", "1.9.0"]
    meta = doc["selected"]["metadata"]
    assert meta["imageId"] == ids["app-2.0.0"] and meta["name"] == "app-2.0.0"
    assert meta["ownerId"] == ACCOUNT and meta["description"] == "built app-2.0.0"
    assert meta["created"].endswith("Z") and meta["architecture"]
    assert [a["version"] for a in every[1]["artifacts"]] == ["2.1.0-rc.1", "1.9.1", "2.0.0", "1.9.0"]
    assert [a["version"] for a in strict[1]["artifacts"]] == ["1.9.1", "2.0.0", "1.9.0"]
    assert other[0] == 0 and other[1]["artifacts"] == []
    assert "no available AMIs named app-* owned by 210987654321" in other[2]
    assert nothing[0] == 0 and "no available AMIs named db-* owned by self" in nothing[2]
    assert forged[0] == 3 and "HTTP 401" in forged[2] and "AuthFailure" in forged[2]


# -- AWS's documented answers: pages, errors ------------------------------------------------------


def ecr_image(tag: str, pushed: float) -> dict[str, Any]:
    digest = "sha256:" + hashlib.sha256(tag.encode()).hexdigest()
    return {
        "registryId": ACCOUNT,
        "repositoryName": "team/app",
        "imageDigest": digest,
        "imageTags": [tag],
        "imageSizeInBytes": 52_428_800,
        "imagePushedAt": pushed,
        "imageManifestMediaType": "application/vnd.oci.image.manifest.v1+json",
        "artifactMediaType": "application/vnd.oci.image.config.v1+json",
    }


def ami(name: str, created: str) -> str:
    return (
        f"<item><imageId>ami-{hashlib.sha1(name.encode()).hexdigest()[:17]}</imageId>"
        f"<imageLocation>{ACCOUNT}/{name}</imageLocation><imageState>available</imageState>"
        f"<imageOwnerId>{ACCOUNT}</imageOwnerId><creationDate>{created}</creationDate><isPublic>false</isPublic>"
        f"<architecture>arm64</architecture><imageType>machine</imageType><name>{name}</name>"
        "<rootDeviceType>ebs</rootDeviceType><virtualizationType>hvm</virtualizationType></item>"
    )


def ec2_page(items: list[str], token: str = "") -> bytes:
    more = f"<nextToken>{token}</nextToken>" if token else ""
    return (
        '<?xml version="1.0" encoding="UTF-8"?>\n<DescribeImagesResponse xmlns="http://ec2.amazonaws.com/doc/2016-11-15/">'
        f"<requestId>59dbff89-35bd-4eac-99ed-be587EXAMPLE</requestId><imagesSet>{''.join(items)}</imagesSet>{more}"
        "</DescribeImagesResponse>"
    ).encode()


class AwsApi(servers.Quiet):
    """ECR's and EC2's DescribeImages as AWS documents them: POST, the page asked for by its token
    (``pages``: token -> (status, headers, body); "" the first page). Records what was asked."""

    pages: ClassVar[dict[str, tuple[int, dict[str, str], bytes]]] = {}
    seen: ClassVar[list[tuple[dict[str, str], bytes]]] = []

    def do_POST(self) -> None:
        body = self.rfile.read(int(self.headers.get("Content-Length") or 0))
        self.seen.append((dict(self.headers), body))
        if self.headers.get("X-Amz-Target"):
            token = json.loads(body).get("nextToken", "")
        else:
            token = urllib.parse.parse_qs(body.decode()).get("NextToken", [""])[0]
        status, headers, answer = self.pages[token]
        self.reply(status, answer, headers)


def aws_api(pages: dict[str, tuple[int, dict[str, str], bytes]]) -> type[AwsApi]:
    return type("Api", (AwsApi,), {"pages": pages, "seen": []})


JSON11 = {"Content-Type": "application/x-amz-json-1.1"}
XML = {"Content-Type": "text/xml;charset=UTF-8"}
AWS_KEY = {"input_access_key_id": "AKIAEXAMPLE", "input_secret_access_key": "wJalrXUtnFEMI/K7MDENG"}


def test_ecr_images_follows_next_token_pages(cli: CLI) -> None:
    """Three DescribeImages pages: all read, in push-time order across pages (fractions of a second
    apart); each request signed for ecr in the endpoint's region, with the filter and the token."""
    pages = {
        "": (200, JSON11, servers.json_body({"imageDetails": [ecr_image("1.0.0", 1767225600.25)], "nextToken": "t1"})),
        "t1": (200, JSON11, servers.json_body({"imageDetails": [ecr_image("1.2.0", 1767225600.5)], "nextToken": "t2"})),
        "t2": (200, JSON11, servers.json_body({"imageDetails": [ecr_image("1.1.0", 1767225600.75)]})),
    }
    handler = aws_api(pages)
    with servers.serving(handler) as url:
        code, doc, err = run(cli, "ecr-images", url, input_repository="team/app", input_page_size="1", **AWS_KEY)
    assert code == 0, err
    assert [a["version"] for a in doc["artifacts"]] == ["1.1.0", "1.2.0", "1.0.0"]
    assert doc["artifacts"][0]["metadata"]["pushedAt"] == "2026-01-01T00:00:00.750Z"
    asked = [json.loads(body) for _, body in handler.seen]
    assert [a.get("nextToken") for a in asked] == [None, "t1", "t2"]
    assert asked[0] == {"repositoryName": "team/app", "maxResults": 1, "filter": {"tagStatus": "TAGGED"}}
    headers = handler.seen[0][0]
    assert headers["X-Amz-Target"] == "AmazonEC2ContainerRegistry_V20150921.DescribeImages"
    assert "/us-east-1/ecr/aws4_request" in headers["Authorization"]  # no region in 127.0.0.1


def test_ec2_amis_follows_next_token_pages_and_compares_instants(cli: CLI) -> None:
    """Two DescribeImages pages; creation dates with offsets compared as instants; the Query API's
    owners and filters sent as EC2 documents them."""
    pages = {
        "": (200, XML, ec2_page([ami("app-1.2.0", "2026-03-01T10:00:00.000+05:00")], "page2")),  # 05:00 UTC
        "page2": (
            200,
            XML,
            ec2_page(
                [
                    ami("app-1.3.0", "2026-03-01T06:00:00.000-01:00"),  # 07:00 UTC: newest
                    ami("app-1.10.0", "2026-03-01T06:00:00.000Z"),
                ]
            ),
        ),
    }
    handler = aws_api(pages)
    with servers.serving(handler) as url:
        code, doc, err = run(
            cli, "ec2-amis", url, input_owner="self, 123456789012", input_region="eu-central-1", **AWS_KEY
        )
    assert code == 0, err
    assert [a["version"] for a in doc["artifacts"]] == ["1.3.0", "1.10.0", "1.2.0"]
    first = urllib.parse.parse_qs(handler.seen[0][1].decode())
    assert first["Action"] == ["DescribeImages"] and first["Version"] == ["2016-11-15"]
    assert first["Owner.1"] == ["self"] and first["Owner.2"] == [ACCOUNT]
    assert first["Filter.1.Name"] == ["name"] and first["Filter.1.Value.1"] == ["app-*"]
    assert first["Filter.2.Name"] == ["state"] and first["Filter.2.Value.1"] == ["available"]
    assert urllib.parse.parse_qs(handler.seen[1][1].decode())["NextToken"] == ["page2"]
    assert "/eu-central-1/ec2/aws4_request" in handler.seen[0][0]["Authorization"]


ECR_ERRORS = {  # status: (AWS's error type, message) as ECR answers them
    400: ("RepositoryNotFoundException", "The repository with name 'team/app' does not exist"),
    401: ("UnrecognizedClientException", "The security token included in the request is invalid."),
    403: ("AccessDeniedException", "User is not authorized to perform: ecr:DescribeImages"),
    404: ("UnknownOperationException", ""),
    429: ("ThrottlingException", "Rate exceeded"),
    500: ("ServerException", "Internal error"),
}


@pytest.mark.parametrize("page", [1, 2])
@pytest.mark.parametrize("status", [401, 403, 404, 429, 500])
@pytest.mark.parametrize("name", ["ecr-images", "ec2-amis"])
def test_aws_errors_fail_in_one_line_on_any_page(cli: CLI, name: str, status: int, page: int) -> None:
    """An error on the first page, or on page 2 of a listing, is one line naming the status, AWS's
    error code and message, and the URL; a 429 is asked again first (the wait AWS names)."""
    code_name, message = ECR_ERRORS[status]
    if name == "ecr-images":
        error = servers.json_body({"__type": f"com.amazonaws.ecr#{code_name}", "message": message})
        first = servers.json_body({"imageDetails": [ecr_image("1.0.0", 1767225600)], "nextToken": "t1"})
        ok, extra = (200, JSON11, first), {"input_repository": "team/app"}
    else:
        code_name = {401: "AuthFailure", 403: "UnauthorizedOperation", 429: "RequestLimitExceeded"}.get(
            status, code_name
        )
        error = (
            f"<Response><Errors><Error><Code>{code_name}</Code><Message>{message}</Message></Error></Errors>"
            "<RequestID>ea966190-f9aa-478e-9ede-example</RequestID></Response>"
        ).encode()
        ok, extra = (200, XML, ec2_page([ami("app-1.0.0", "2026-01-01T00:00:00.000Z")], "t1")), {}
    failure = (status, {**(JSON11 if name == "ecr-images" else XML), "Retry-After": "0"}, error)
    handler = aws_api({"": failure} if page == 1 else {"": ok, "t1": failure})
    with servers.serving(handler) as url:
        code, doc, err = run(cli, name, url, **extra, **AWS_KEY)
    assert code == 3, err
    assert doc["error"]["kind"] == "script_failed"
    lines = [line for line in err.splitlines() if line.startswith(f"{name}: ")]
    assert len(lines) == 1, err
    assert f"HTTP {status}" in lines[0] and f"from {url}/" in lines[0] and code_name in lines[0]
    assert len(handler.seen) == page + (3 if status == 429 else 0)


def test_ecr_images_missing_repository_says_so(cli: CLI) -> None:
    error = servers.json_body({"__type": "RepositoryNotFoundException", "message": ECR_ERRORS[400][1]})
    handler = aws_api({"": (400, JSON11, error)})
    with servers.serving(handler) as url:
        code, _doc, err = run(
            cli, "ecr-images", url, input_repository="team/app", input_registry_id="210987654321", **AWS_KEY
        )
    assert code == 3
    assert f"no repository 'team/app' in registry 210987654321 at {url}" in err
    assert json.loads(handler.seen[0][1])["registryId"] == "210987654321"


def test_aws_signing_region_comes_from_region_or_the_endpoint(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.syspath_prepend(str(Path(entry("ecr-images").path).parent.parent / "scripts"))
    import _aws

    monkeypatch.delenv("REGION", raising=False)
    assert _aws.Credentials("https://api.ecr.eu-west-1.amazonaws.com", "ecr").region == "eu-west-1"
    assert _aws.Credentials("https://ec2.us-gov-west-1.amazonaws.com", "ec2").region == "us-gov-west-1"
    assert _aws.Credentials("https://ec2.cn-north-1.amazonaws.com.cn", "ec2").region == "cn-north-1"
    assert _aws.Credentials("http://127.0.0.1:5000", "ec2").region == "us-east-1"
    monkeypatch.setenv("REGION", "ap-south-1")
    assert _aws.Credentials("https://api.ecr.eu-west-1.amazonaws.com", "ecr").region == "ap-south-1"


@pytest.mark.parametrize("prefix", ["", "releases%2F"])
def test_aws_signing_matches_botocore_for_ecr_and_ec2(prefix: str, monkeypatch: pytest.MonkeyPatch) -> None:
    """_aws.sigv4_headers is byte for byte botocore's plain SigV4 signer (ECR's JSON POST, EC2's form
    POST, with a session token) as well as its S3 signer (test_s3_signature_matches_botocore)."""
    from botocore.auth import SigV4Auth
    from botocore.awsrequest import AWSRequest
    from botocore.credentials import Credentials

    monkeypatch.syspath_prepend(str(Path(entry("ecr-images").path).parent.parent / "scripts"))
    import _aws

    secret, token = "wJalrXUtnFEMI/K7MDENG+bPxRfiCYEXAMPLEKEY", "IQoJb3JpZ2luX2VjEJr//////////wEaCXVz+token=="
    cases = [
        (
            "ecr",
            json.dumps({"repositoryName": "team/app", "nextToken": "a/b+c="}).encode(),
            {
                "Content-Type": "application/x-amz-json-1.1",
                "X-Amz-Target": "AmazonEC2ContainerRegistry_V20150921.DescribeImages",
            },
        ),
        (
            "ec2",
            b"Action=DescribeImages&Version=2016-11-15&Filter.1.Name=name&Filter.1.Value.1=app-%2A",
            {"Content-Type": "application/x-www-form-urlencoded; charset=utf-8"},
        ),
    ]
    for service, body, headers in cases:
        url = f"https://{service}.eu-west-1.amazonaws.com/?x={prefix}"
        request = AWSRequest(method="POST", url=url, data=body, headers=dict(headers))
        SigV4Auth(Credentials("ASIAEXAMPLE", secret, token), service, "eu-west-1").add_auth(request)
        when = datetime.datetime.strptime(request.headers["X-Amz-Date"], "%Y%m%dT%H%M%SZ").replace(
            tzinfo=datetime.timezone.utc
        )
        ours = _aws.sigv4_headers("POST", url, "eu-west-1", "ASIAEXAMPLE", secret, when, service, token, body, headers)
        assert ours["Authorization"] == request.headers["Authorization"], service
        assert ours["x-amz-security-token"] == token


# -- gcs-objects: gcp-storage-emulator, and the JSON API's documented answers ---------------------


@contextlib.contextmanager
def gcs_emulator(tmp_path: Path) -> Iterator[str]:
    """gcp-storage-emulator (in memory) on a free port; yields its base URL."""
    binary = shutil.which("gcp-storage-emulator")
    need(binary, "gcp-storage-emulator", "pip install gcp-storage-emulator")
    assert binary is not None
    port = servers.free_port()
    argv = [binary, "start", "--host", "127.0.0.1", "--port", str(port), "--in-memory", "--quiet"]
    with servers.process(argv, port, cwd=str(tmp_path)):
        yield f"http://127.0.0.1:{port}"


def gcs_upload(base: str, bucket: str, name: str, body: bytes) -> dict[str, Any]:
    """Upload an object with the JSON API's simple upload (uploadType=media); return its resource."""
    query = urllib.parse.urlencode({"uploadType": "media", "name": name})
    ask = urllib.request.Request(
        f"{base}/upload/storage/v1/b/{bucket}/o?{query}",
        data=body,
        method="POST",
        headers={"Content-Type": "application/gzip"},
    )
    with urllib.request.urlopen(ask) as response:
        return dict(json.load(response))


def gcs_bucket(base: str, name: str) -> None:
    ask = urllib.request.Request(
        f"{base}/storage/v1/b?project=test",
        data=json.dumps({"name": name}).encode(),
        method="POST",
        headers={"Content-Type": "application/json"},
    )
    urllib.request.urlopen(ask).close()


@pytest.mark.slow
def test_gcs_objects_against_the_emulator(cli: CLI, tmp_path: Path) -> None:
    """Objects uploaded through the JSON API: newest upload first (a 1.9.1 hotfix uploaded after 2.0.0
    comes first; timeCreated to the microsecond), the version from the name, pre-releases only with
    INCLUDE_PRERELEASES, a FILE_REGEX with a / matching the name after PREFIX; a missing bucket named."""
    with gcs_emulator(tmp_path) as url:
        gcs_bucket(url, "my-builds")
        gcs_bucket(url, "empty")
        resources = {}
        for name in (
            "releases/app-1.9.0.tgz",
            "releases/app-2.0.0.tgz",
            "releases/app-2.1.0-rc.1.tgz",
            "releases/notes.txt",
            "releases/app-1.9.1.tgz",  # a hotfix of the old line, uploaded after 2.0.0
            "nightly/app-2.2.0.tgz",
            "folders/1.3.0/app.tar.gz",
            "folders/1.3.0/app.tar.gz.sha256",
            "folders/1.4.0/app.tar.gz",
        ):
            resources[name] = gcs_upload(url, "my-builds", name, f"content of {name}".encode())
            time.sleep(0.01)
        code, doc, err = run(cli, "gcs-objects", url, "--version", "2.0.0", input_prefix="releases/")
        every = run(
            cli, "gcs-objects", url + "/storage/v1/", input_prefix="releases/", input_include_prereleases="true"
        )
        folder = run(cli, "gcs-objects", url, input_prefix="folders/", input_file_regex=r"^([^/]+)/app\.tar\.gz$")
        none = run(cli, "gcs-objects", url, input_prefix="releases/", input_file_regex=r"^web-(.+)\.tgz$")
        empty = run(cli, "gcs-objects", url, input_bucket="empty")
        missing = run(cli, "gcs-objects", url, input_bucket="nope")
    assert code == 0, err
    assert [a["version"] for a in doc["artifacts"]] == ["1.9.1", "2.0.0", "1.9.0"]
    made = resources["releases/app-2.0.0.tgz"]
    assert doc["selected"]["metadata"] == {
        "name": "releases/app-2.0.0.tgz",
        "url": f"{url}/storage/v1/b/my-builds/o/releases%2Fapp-2.0.0.tgz?alt=media&generation={made['generation']}",
        "gsUri": "gs://my-builds/releases/app-2.0.0.tgz",
        "generation": made["generation"],
        "md5Hash": base64.b64encode(hashlib.md5(b"content of releases/app-2.0.0.tgz").digest()).decode(),
        "crc32c": made["crc32c"],
        "size": str(len(b"content of releases/app-2.0.0.tgz")),
        "created": made["timeCreated"],
        "updated": made["updated"],
    }
    assert every[0] == 0, every[2]
    assert "ends in /storage/v1" in every[2]
    assert [a["version"] for a in every[1]["artifacts"]] == ["1.9.1", "2.1.0-rc.1", "2.0.0", "1.9.0"]
    assert [a["version"] for a in folder[1]["artifacts"]] == ["1.4.0", "1.3.0"]
    assert none[0] == 0 and none[1]["artifacts"] == []
    assert "5 objects under PREFIX 'releases/' in bucket my-builds, but none matches FILE_REGEX" in none[2]
    assert empty[0] == 0 and "no objects in bucket empty" in empty[2]
    assert missing[0] == 3 and f"no bucket 'nope' at {url}" in missing[2]


GCS_TOKEN = "ya29.a0AfH6SMBx-example-access-token"
GCS_PAGE2 = "CiVyZWxlYXNlcy9hcHAtMS4xMC4wLnRneg=="  # the API's opaque page token


def gcs_object(name: str, created: str, generation: int) -> dict[str, Any]:
    return {
        "kind": "storage#object",
        "id": f"my-builds/{name}/{generation}",
        "name": name,
        "bucket": "my-builds",
        "generation": str(generation),
        "metageneration": "1",
        "contentType": "application/gzip",
        "timeCreated": created,
        "updated": created,
        "size": "1048576",
        "md5Hash": "kAFQmDzST7DWlj99KOF/cg==",
        "crc32c": "Nks/tw==",
        "etag": "CIDq9Lf4qP8CEAE=",
    }


class GcsApi(servers.Quiet):
    """objects.list as the JSON API documents it: a bearer token required (401 with its JSON error
    without one), nextPageToken pages; ``pages``: pageToken -> (status, body)."""

    pages: ClassVar[dict[str, tuple[int, bytes]]] = {}
    seen: ClassVar[list[tuple[str, dict[str, str]]]] = []

    def do_GET(self) -> None:
        self.seen.append((self.path, dict(self.headers)))
        url = urllib.parse.urlsplit(self.path)
        query = urllib.parse.parse_qs(url.query)
        if url.path != "/storage/v1/b/my-builds/o":
            error = {"error": {"code": 404, "message": "The specified bucket does not exist.", "errors": [
                {"message": "The specified bucket does not exist.", "domain": "global", "reason": "notFound"}]}}  # fmt: skip
            self.reply(404, servers.json_body(error), {"Content-Type": "application/json; charset=UTF-8"})
            return
        if self.headers.get("Authorization") != f"Bearer {GCS_TOKEN}":
            message = "Anonymous caller does not have storage.objects.list access to the Google Cloud Storage bucket."
            error = {"error": {"code": 401, "message": message, "errors": [
                {"message": message, "domain": "global", "reason": "required", "locationType": "header",
                 "location": "Authorization"}]}}  # fmt: skip
            headers = {
                "Content-Type": "application/json; charset=UTF-8",
                "WWW-Authenticate": 'Bearer realm="https://accounts.google.com/"',
            }
            self.reply(401, servers.json_body(error), headers)
            return
        status, body = self.pages[query.get("pageToken", [""])[0]]
        self.reply(status, body, {"Content-Type": "application/json; charset=UTF-8", "Retry-After": "0"})


def gcs_api(pages: dict[str, tuple[int, bytes]]) -> type[GcsApi]:
    return type("Gcs", (GcsApi,), {"pages": pages, "seen": []})


GCS_PAGES = {
    "": (
        200,
        servers.json_body(
            {
                "kind": "storage#objects",
                "nextPageToken": GCS_PAGE2,
                "items": [
                    gcs_object("releases/app-1.10.0.tgz", "2026-03-01T06:00:00.000Z", 1772344800000000),
                    gcs_object("releases/app-1.2.0.tgz", "2026-03-01T10:00:00.000+05:00", 1772341200000000),
                ],
            }
        ),
    ),
    GCS_PAGE2: (
        200,
        servers.json_body(
            {
                "kind": "storage#objects",
                "items": [gcs_object("releases/app-1.3.0.tgz", "2026-03-01T06:00:00.000-01:00", 1772348400000000)],
            }
        ),
    ),
}


def test_gcs_objects_pages_and_bearer_token(cli: CLI) -> None:
    """Two objects.list pages with the bearer token on each; times with offsets compared as instants;
    without the token the API's 401 and its message; a missing bucket named."""
    handler = gcs_api(GCS_PAGES)
    with servers.serving(handler) as url:
        code, doc, err = run(cli, "gcs-objects", url, input_bucket="my-builds", input_prefix="releases/",
                             input_page_size="2", input_access_token=GCS_TOKEN)  # fmt: skip
        anonymous = run(cli, "gcs-objects", url, input_bucket="my-builds")
        missing = run(cli, "gcs-objects", url, input_bucket="nope", input_access_token=GCS_TOKEN)
    assert code == 0, err
    assert [a["version"] for a in doc["artifacts"]] == ["1.3.0", "1.10.0", "1.2.0"]  # 07:00, 06:00, 05:00 UTC
    first, second = (urllib.parse.parse_qs(urllib.parse.urlsplit(path).query) for path, _ in handler.seen[:2])
    assert first["prefix"] == ["releases/"] and first["maxResults"] == ["2"] and "pageToken" not in first
    assert second["pageToken"] == [GCS_PAGE2]
    assert all(headers["Authorization"] == f"Bearer {GCS_TOKEN}" for _, headers in handler.seen[:2])
    assert GCS_TOKEN not in err + json.dumps(doc)
    assert anonymous[0] == 3 and "HTTP 401" in anonymous[2] and "Anonymous caller does not have" in anonymous[2]
    assert missing[0] == 3 and f"no bucket 'nope' at {url}" in missing[2]


@pytest.mark.parametrize("page", [1, 2])
@pytest.mark.parametrize("status", [401, 403, 429, 500])
def test_gcs_objects_errors_fail_in_one_line_on_any_page(cli: CLI, status: int, page: int) -> None:
    message = {401: "Invalid Credentials", 403: "does not have storage.objects.list access", 429: "rateLimitExceeded", 500: "Backend Error"}[status]  # fmt: skip
    failure = (status, servers.json_body({"error": {"code": status, "message": message}}))
    handler = gcs_api({"": failure} if page == 1 else {**GCS_PAGES, GCS_PAGE2: failure})
    with servers.serving(handler) as url:
        code, doc, err = run(cli, "gcs-objects", url, input_bucket="my-builds", input_access_token=GCS_TOKEN)
    assert code == 3, err
    assert doc["error"]["kind"] == "script_failed"
    lines = [line for line in err.splitlines() if line.startswith("gcs-objects: ")]
    assert len(lines) == 1, err
    assert f"HTTP {status}" in lines[0] and message in lines[0] and f"{url}/storage/v1/b/my-builds/o" in lines[0]
    assert len(handler.seen) == page + (3 if status == 429 else 0)


# -- azure-blob: Azurite ---------------------------------------------------------------------------

AZURITE = Path(__file__).resolve().parent / "azurite-server"
DEV_ACCOUNT = "devstoreaccount1"  # Azurite's well-known account and key
DEV_KEY = "Eby8vdM02xNOcqFlqUwJPLlmEtlCDXJ1OUzFT50uSRZ6IFsuFq2UVErCz4I6tq/K1SZFPTOtr/KBHBeksoGMGw=="


@contextlib.contextmanager
def azurite(tmp_path: Path) -> Iterator[str]:
    """Azurite's blob service (installed in tests/azurite-server by nox: npm ci), telemetry off;
    yields the account's blob endpoint (path-style: http://127.0.0.1:PORT/devstoreaccount1)."""
    binary = AZURITE / "node_modules" / ".bin" / "azurite-blob"
    need(shutil.which("node"), "Node.js (Azurite's runtime)", "apt-get install nodejs npm")
    need(binary.exists(), "Azurite", "npm ci --prefix tests/azurite-server; nox -s tests does where npm is")
    port = servers.free_port()
    location = tmp_path / "azurite"
    location.mkdir()
    argv = [str(binary), "--blobHost", "127.0.0.1", "--blobPort", str(port), "--location", str(location),
            "--skipApiVersionCheck", "--disableTelemetry", "--silent"]  # fmt: skip
    with servers.process(argv, port, cwd=str(tmp_path)):
        yield f"http://127.0.0.1:{port}/{DEV_ACCOUNT}"


def azure_put(url: str, body: bytes | None = None, headers: dict[str, str] | None = None) -> None:
    """A PUT signed with Shared Key as Azure documents it (the test's own signer, not the script's)."""
    length = "" if not body else str(len(body))
    headers = {"x-ms-date": email.utils.formatdate(usegmt=True), "x-ms-version": "2021-08-06", **(headers or {})}
    kind = "application/octet-stream"  # urllib would send its own form type: sign the one sent
    parts = urllib.parse.urlsplit(url)
    query = sorted(urllib.parse.parse_qsl(parts.query))
    to_sign = "\n".join(["PUT", "", "", length, "", kind, "", "", "", "", "", ""]) + "\n"
    to_sign += "".join(f"{k}:{v}\n" for k, v in sorted(headers.items()))
    to_sign += f"/{DEV_ACCOUNT}{parts.path}" + "".join(f"\n{k}:{v}" for k, v in query)
    signature = base64.b64encode(hmac.new(base64.b64decode(DEV_KEY), to_sign.encode(), hashlib.sha256).digest())
    headers["Authorization"] = f"SharedKey {DEV_ACCOUNT}:{signature.decode()}"
    headers["Content-Type"] = kind
    ask = urllib.request.Request(url, data=body or b"", method="PUT", headers=headers)
    urllib.request.urlopen(ask).close()


def account_sas(permissions: str = "rl", expiry: str = "2099-01-01T00:00:00Z") -> str:
    """An account SAS for the blob service (signed version 2019-12-12), as Azure documents it."""
    fields = [DEV_ACCOUNT, permissions, "b", "sco", "", expiry, "", "http,https", "2019-12-12", ""]
    signature = base64.b64encode(
        hmac.new(base64.b64decode(DEV_KEY), "\n".join(fields).encode(), hashlib.sha256).digest()
    )
    query = {"sv": "2019-12-12", "ss": "b", "srt": "sco", "sp": permissions, "se": expiry, "spr": "http,https",
             "sig": signature.decode()}  # fmt: skip
    return urllib.parse.urlencode(query)


@pytest.mark.slow
def test_azure_blob_against_azurite(cli: CLI, tmp_path: Path) -> None:
    """Blobs put one a second (Last-Modified counts seconds): newest first (a 1.9.1 hotfix put after
    2.0.0 comes first, ties by version), NextMarker pages of 2; Shared Key, an account SAS, a wrong
    key refused, anonymous access to a private container refused; a missing container named."""
    with azurite(tmp_path) as url:
        azure_put(f"{url}/builds?restype=container")
        azure_put(f"{url}/empty?restype=container")
        batches = [
            ["releases/app-1.9.0.tgz", "releases/notes.txt"],
            ["releases/app-2.0.0.tgz", "releases/app-2.0.0-rc.1.tgz", "releases/app-1.10.0.tgz"],
            ["releases/app-1.9.1.tgz", "releases/app-2.1.0-beta.1.tgz", "other/app-9.0.0.tgz"],
        ]
        for batch in batches:
            for name in batch:
                azure_put(f"{url}/builds/{name}", f"blob {name}".encode(), {"x-ms-blob-type": "BlockBlob"})
            time.sleep(1.05)
        key = {"input_account_key": DEV_KEY, "input_prefix": "releases/"}
        code, doc, err = run(
            cli, "azure-blob", url, "--version", "2.0.0", input_container="builds", input_page_size="2", **key
        )
        every = run(  # no PREFIX: the whole container, signed without one
            cli,
            "azure-blob",
            url,
            input_container="builds",
            input_include_prereleases="true",
            input_account_key=DEV_KEY,
        )
        sas = run(
            cli,
            "azure-blob",
            url,
            input_container="builds",
            input_prefix="releases/",
            input_sas_token="?" + account_sas(),
        )
        wrong = run(
            cli, "azure-blob", url, input_container="builds", input_account_key=base64.b64encode(b"x" * 64).decode()
        )
        anonymous = run(cli, "azure-blob", url, input_container="builds")
        none = run(cli, "azure-blob", url, input_container="builds", input_file_regex=r"^web-(.+)\.tgz$", **key)
        empty = run(cli, "azure-blob", url, input_container="empty", **key)
        missing = run(cli, "azure-blob", url, input_container="nope", **key)
    assert code == 0, err
    assert [a["version"] for a in doc["artifacts"]] == ["1.9.1", "2.0.0", "1.10.0", "1.9.0"]
    meta = doc["selected"]["metadata"]
    assert meta["name"] == "releases/app-2.0.0.tgz" and meta["url"] == f"{url}/builds/releases/app-2.0.0.tgz"
    assert meta["size"] == str(len(b"blob releases/app-2.0.0.tgz")) and meta["etag"].startswith("0x")
    assert meta["md5"] == base64.b64encode(hashlib.md5(b"blob releases/app-2.0.0.tgz").digest()).decode()
    assert meta["lastModified"].endswith("Z") and meta["created"].endswith("Z")
    assert every[0] == 0, every[2]
    assert [a["version"] for a in every[1]["artifacts"]] == [
        "9.0.0",
        "2.1.0-beta.1",
        "1.9.1",
        "2.0.0",
        "2.0.0-rc.1",
        "1.10.0",
        "1.9.0",
    ]  # fmt: skip  (one Last-Modified second each line: ties by version)
    assert sas[0] == 0, sas[2]
    assert [a["version"] for a in sas[1]["artifacts"]] == ["1.9.1", "2.0.0", "1.10.0", "1.9.0"]
    for refused in (wrong, anonymous):  # Azurite's code for both (Azure: AuthenticationFailed, or 404 for anonymous)
        assert refused[0] == 3 and "HTTP 403" in refused[2] and "(AuthorizationFailure)" in refused[2]
        assert f"from {url}/builds\n" in refused[2]
    assert none[0] == 0 and "7 blobs under PREFIX 'releases/' in container builds, but none matches" in none[2]
    assert empty[0] == 0 and "no blobs under PREFIX 'releases/' in container empty" in empty[2]
    assert missing[0] == 3 and f"no container 'nope' at {url}" in missing[2]
    assert DEV_KEY not in err + json.dumps(doc) and "sig=" not in sas[2]


def blob_page(names: list[str], marker: str = "") -> bytes:
    """A List Blobs answer as Azure documents it."""
    blobs = "".join(
        f"<Blob><Name>{name}</Name><Properties><Creation-Time>Sun, 01 Mar 2026 06:00:00 GMT</Creation-Time>"
        f"<Last-Modified>{modified}</Last-Modified><Etag>0x8DC1A2B3C4D5E6F</Etag><Content-Length>1024</Content-Length>"
        "<Content-Type>application/gzip</Content-Type><Content-MD5>kAFQmDzST7DWlj99KOF/cg==</Content-MD5>"
        "<BlobType>BlockBlob</BlobType><LeaseStatus>unlocked</LeaseStatus></Properties></Blob>"
        for name, modified in names
    )
    return (
        '<?xml version="1.0" encoding="utf-8"?><EnumerationResults ServiceEndpoint="https://myaccount.blob.core.windows.net/"'
        f' ContainerName="builds"><Prefix /><MaxResults>1</MaxResults><Blobs>{blobs}</Blobs>'
        f"<NextMarker>{marker}</NextMarker></EnumerationResults>"
    ).encode()


class BlobApi(servers.Quiet):
    """List Blobs: ``pages``: marker -> (status, x-ms-error-code, body)."""

    pages: ClassVar[dict[str, tuple[int, str, bytes]]] = {}
    seen: ClassVar[list[tuple[str, dict[str, str]]]] = []

    def do_GET(self) -> None:
        self.seen.append((self.path, dict(self.headers)))
        query = urllib.parse.parse_qs(urllib.parse.urlsplit(self.path).query)
        status, code, body = self.pages[query.get("marker", [""])[0]]
        headers = {"Content-Type": "application/xml", "x-ms-version": "2021-08-06", "Retry-After": "0"}
        self.reply(status, body, {**headers, **({"x-ms-error-code": code} if code else {})})


MARKER = "2!96!MDAwMDIwIXJlbGVhc2VzL2FwcC0xLjIuMC50Z3ohMDAwMDI4ITk5OTktMTItMzFUMjM6NTk6NTkuOTk5OTk5OVoh"


@pytest.mark.parametrize("page", [1, 2])
@pytest.mark.parametrize(
    ("status", "code"),
    [(401, "NoAuthenticationInformation"), (403, "AuthenticationFailed"), (404, "ResourceNotFound"),
     (429, "ServerBusy"), (500, "InternalError")],
)  # fmt: skip
def test_azure_blob_errors_fail_in_one_line_on_any_page(cli: CLI, status: int, code: str, page: int) -> None:
    """Azure's documented error answers (x-ms-error-code and an XML <Error>) on the first page or on
    page 2: one line naming the status, the code and the URL without the SAS query."""
    error = f'<?xml version="1.0" encoding="utf-8"?><Error><Code>{code}</Code><Message>m</Message></Error>'.encode()
    first = (200, "", blob_page([("releases/app-1.2.0.tgz", "Sun, 01 Mar 2026 06:00:00 GMT")], MARKER))
    handler = type(
        "Blobs",
        (BlobApi,),
        {"pages": {"": (status, code, error)} if page == 1 else {"": first, MARKER: (status, code, error)}, "seen": []},
    )
    with servers.serving(handler) as url:
        done, _doc, err = run(
            cli,
            "azure-blob",
            url + "/myaccount",
            input_container="builds",
            input_sas_token="sv=2019-12-12&sig=c2VjcmV0",
        )
    assert done == 3, err
    lines = [line for line in err.splitlines() if line.startswith("azure-blob: ")]
    assert len(lines) == 1 and f"HTTP {status}" in lines[0] and f"({code})" in lines[0], err
    assert lines[0].endswith(f" from {url}/myaccount/builds") and "c2VjcmV0" not in err
    assert len(handler.seen) == page + (3 if status == 429 else 0)
    assert all(
        urllib.parse.parse_qs(urllib.parse.urlsplit(path).query)["sig"] == ["c2VjcmV0"] for path, _ in handler.seen
    )


def test_azure_blob_pages_and_shared_key_on_the_public_endpoint(cli: CLI) -> None:
    """NextMarker pages; Last-Modified (RFC 1123) compared as instants; the account taken from
    ACCOUNT for Shared Key, whose signature covers the marker."""
    pages = {
        "": (200, "", blob_page([("releases/app-1.10.0.tgz", "Sun, 01 Mar 2026 06:00:00 GMT")], MARKER)),
        MARKER: (200, "", blob_page([("releases/app-1.3.0.tgz", "Sun, 01 Mar 2026 07:00:00 GMT"),
                                     ("releases/app-1.2.0.tgz", "Sun, 01 Mar 2026 05:00:00 GMT")])),
    }  # fmt: skip
    handler = type("Blobs", (BlobApi,), {"pages": pages, "seen": []})
    with servers.serving(handler) as url:
        code, doc, err = run(cli, "azure-blob", url, input_container="builds", input_account="myaccount",
                             input_account_key=DEV_KEY, input_page_size="1")  # fmt: skip
    assert code == 0, err
    assert [a["version"] for a in doc["artifacts"]] == ["1.3.0", "1.10.0", "1.2.0"]
    assert doc["artifacts"][0]["metadata"]["lastModified"] == "2026-03-01T07:00:00Z"
    assert [urllib.parse.parse_qs(urllib.parse.urlsplit(p).query).get("marker") for p, _ in handler.seen] == [
        None,
        [MARKER],
    ]
    for path, sent in handler.seen:  # the signature the documented string to sign gives
        headers = {name.lower(): value for name, value in sent.items()}
        query = sorted(urllib.parse.parse_qsl(urllib.parse.urlsplit(path).query, keep_blank_values=True))
        to_sign = "GET\n" + "\n" * 11 + f"x-ms-date:{headers['x-ms-date']}\nx-ms-version:{headers['x-ms-version']}\n"
        to_sign += f"/myaccount{urllib.parse.urlsplit(path).path}" + "".join(f"\n{k}:{v}" for k, v in query)
        mac = hmac.new(base64.b64decode(DEV_KEY), to_sign.encode(), hashlib.sha256).digest()
        assert headers["authorization"] == f"SharedKey myaccount:{base64.b64encode(mac).decode()}"
