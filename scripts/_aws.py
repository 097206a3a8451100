"""What the AWS entries share (s3-list, ecr-images, ec2-amis). Standard library only.

AWS Signature Version 4 (byte for byte botocore's: S3's signer for service s3, its plain signer for
the others), the credential inputs (ACCESS_KEY_ID, the SECRET_ACCESS_KEY and SESSION_TOKEN secrets,
REGION or the region in the endpoint's host name) and AWS's error answers (a JSON ``__type`` and
``message``, or an XML ``<Code>`` and ``<Message>``) said in one line. Imported with a marked line,
``from _aws import sigv4_headers  # customsrc:include``, and inlined once like _http.
"""

import datetime
import hashlib
import hmac
import json
import os
import re
import urllib.error
import urllib.parse

from _http import fail  # customsrc:include


def quote(text):
    """AWS's URI encoding: everything but unreserved characters, a / included."""
    return urllib.parse.quote(text, safe="-_.~")


def sigv4_headers(
    method, url, region, access_key, secret_key, now, service="s3", session_token="", body=b"", headers=None
):
    """The headers that sign a request with AWS Signature Version 4: ``headers`` (such as
    Content-Type and X-Amz-Target) signed with host and x-amz-date, and for S3 the payload's hash
    as x-amz-content-sha256; a session token (temporary credentials) is sent as
    x-amz-security-token and signed with the other headers."""
    parts = urllib.parse.urlsplit(url)
    amz_date, day = now.strftime("%Y%m%dT%H%M%SZ"), now.strftime("%Y%m%d")
    query = sorted(urllib.parse.parse_qsl(parts.query, keep_blank_values=True))
    canonical_query = "&".join(f"{quote(k)}={quote(v)}" for k, v in query)
    payload = hashlib.sha256(body).hexdigest()
    signing = {name.lower(): " ".join(str(value).split()) for name, value in (headers or {}).items()}
    signing.update({"host": parts.netloc, "x-amz-date": amz_date})
    if service == "s3":
        signing["x-amz-content-sha256"] = payload
    if session_token:
        signing["x-amz-security-token"] = session_token
    signed = ";".join(sorted(signing))
    canonical = "\n".join(
        [
            method,
            parts.path or "/",
            canonical_query,
            "".join(f"{k}:{signing[k]}\n" for k in sorted(signing)),
            signed,
            payload,
        ]
    )
    scope = f"{day}/{region}/{service}/aws4_request"
    to_sign = "\n".join(["AWS4-HMAC-SHA256", amz_date, scope, hashlib.sha256(canonical.encode()).hexdigest()])
    key = ("AWS4" + secret_key).encode()
    for part in (day, region, service, "aws4_request"):
        key = hmac.new(key, part.encode(), hashlib.sha256).digest()
    signature = hmac.new(key, to_sign.encode(), hashlib.sha256).hexdigest()
    out = {name: value for name, value in signing.items() if name != "host"}
    out["Authorization"] = (
        f"AWS4-HMAC-SHA256 Credential={access_key}/{scope}, SignedHeaders={signed}, Signature={signature}"
    )
    return out


class Credentials:
    """ACCESS_KEY_ID, the secret key and the session token given, and the signing region: REGION,
    else the region in the endpoint's host (api.ecr.eu-west-1.amazonaws.com), else us-east-1."""

    def __init__(self, endpoint, service):
        self.service = service
        self.access_key = os.environ.get("ACCESS_KEY_ID", "").strip()
        self.secret_key = os.environ.get("SECRET_ACCESS_KEY", "")
        self.session_token = os.environ.get("SESSION_TOKEN", "").strip()
        if self.session_token and not self.access_key:
            fail("SESSION_TOKEN is given without ACCESS_KEY_ID: temporary credentials are all three")
        self.region = os.environ.get("REGION", "").strip() or region_of(endpoint) or "us-east-1"

    def sign(self, method, url, body=b"", headers=None):
        """``headers`` with the SigV4 signature added (unchanged without an access key)."""
        if not self.access_key:
            return dict(headers or {})
        now = datetime.datetime.now(datetime.timezone.utc)
        return sigv4_headers(
            method,
            url,
            self.region,
            self.access_key,
            self.secret_key,
            now,
            self.service,
            self.session_token,
            body,
            headers,
        )


def region_of(endpoint):
    """The region in an AWS endpoint's host name (ec2.eu-west-1.amazonaws.com), or ''."""
    host = urllib.parse.urlsplit(endpoint).hostname or ""
    match = re.search(r"\.([a-z]{2}(?:-gov|-iso[a-z]*)?-[a-z]+-\d)\.amazonaws\.com(?:\.cn)?$", host)
    return match.group(1) if match else ""


def aws_error(exc):
    """(code, message) of an AWS error answer: JSON protocols' ``__type`` (its part after #) and
    ``message``, or the query and REST protocols' XML ``<Code>`` and ``<Message>``; ('', '') when the
    body is neither (not an AWS endpoint, or a proxy's page). Reads the body: call it once."""
    try:
        body = exc.read()[:8192] if exc.fp else b""
    except OSError:
        body = b""
    code = re.search(rb"<Code>([^<]{1,100})</Code>", body)
    if code:
        message = re.search(rb"<Message>([^<]{0,300})</Message>", body)
        said = message.group(1).decode(errors="replace").strip() if message else ""
        return code.group(1).decode(errors="replace"), said
    try:
        data = json.loads(body)
    except ValueError:
        data = None
    if isinstance(data, dict):
        kind = str(data.get("__type") or data.get("code") or "").rsplit("#", 1)[-1].split(":")[0]
        said = str(data.get("message") or data.get("Message") or "")
        return kind, said[:300]
    amzn = (exc.headers or {}).get("x-amzn-ErrorType", "")
    return amzn.split(":")[0], ""


def aws_failed(exc, url, code="", message=""):
    """End the script for a failed AWS request: the HTTP status, AWS's error code and message, and
    the URL without its query (which may carry a signature)."""
    where = url.split("?")[0]
    if not isinstance(exc, urllib.error.HTTPError):
        fail(f"cannot reach {where}: {getattr(exc, 'reason', exc)}")
    said = f" ({code}: {message})" if code and message else (f" ({code or message})" if code or message else "")
    fail(f"HTTP {exc.code} {exc.reason}{said} from {where}")
