"""SigV4 verification of incoming requests, with botocore's own signer.

A request is checked in AWS's order, each failure answered as AWS answers it: no
``Authorization`` header (MissingAuthenticationTokenException), a header missing its parts
or with a bad date, algorithm or credential (IncompleteSignatureException), a date more than
15 minutes away, ``host`` not signed or a credential scoped elsewhere
(InvalidSignatureException), an access key we do not know (UnrecognizedClientException), and
last the signature itself (InvalidSignatureException).

The signature is computed by :class:`botocore.auth.SigV4Auth` over a request rebuilt from
what arrived: the method, the raw path and query, the headers the client listed in
``SignedHeaders`` (no others), the body, and the client's own ``X-Amz-Date``. Any region is
accepted; the service must be ``states`` or ``events``. A session token
(``X-Amz-Security-Token``, from temporary credentials) is signed like any header and
otherwise not checked: stepline knows only long-term keys.
"""

from __future__ import annotations

import datetime
import hashlib
import hmac
import re
import time
from collections.abc import Callable, Mapping
from typing import Any

from botocore.auth import SIGV4_TIMESTAMP, SigV4Auth
from botocore.awsrequest import AWSRequest
from botocore.compat import HTTPHeaders
from botocore.credentials import Credentials

from .errors import ApiError

ALGORITHM = "AWS4-HMAC-SHA256"
SERVICES = ("states", "events")
MAX_SKEW = datetime.timedelta(minutes=15)

MISSING = "MissingAuthenticationTokenException"
INCOMPLETE = "IncompleteSignatureException"
INVALID = "InvalidSignatureException"
UNRECOGNIZED = "UnrecognizedClientException"

MISMATCH = ("The request signature we calculated does not match the signature you provided. "
            "Check your AWS Secret Access Key and signing method. Consult the service documentation for details.")

_DATE = re.compile(r"\d{8}T\d{6}Z")
_KEY_ID = re.compile(r"[A-Za-z0-9_.-]+")
_REGION = re.compile(r"[a-z0-9-]+")


def parse_credentials(text: str) -> dict[str, str]:
    """``"AKID:SECRET[,AKID2:SECRET2]"`` (``STEPLINE_CREDENTIALS``) as ``{akid: secret}``.
    Raises ValueError for anything else, naming the faulty entry by its position (never
    echoing it: it may hold a secret)."""
    credentials: dict[str, str] = {}
    for number, entry in enumerate(text.split(","), 1):
        key_id, colon, secret = entry.partition(":")
        key_id, secret = key_id.strip(), secret.strip()
        if not colon or not key_id or not secret:
            raise ValueError(f"credential {number} is not of the form ACCESS_KEY_ID:SECRET_ACCESS_KEY")
        if not _KEY_ID.fullmatch(key_id):
            raise ValueError(f"credential {number}: access key id {key_id!r} may hold only letters, digits, "
                             f"'_', '.' and '-'")
        if key_id in credentials:
            raise ValueError(f"credential {number}: access key id {key_id!r} is given twice")
        credentials[key_id] = secret
    return credentials


class Verifier:
    """Checks SigV4-signed requests against a set of access keys."""

    def __init__(self, credentials: str | Mapping[str, str], *, clock: Callable[[], float] = time.time) -> None:
        self.credentials = dict(parse_credentials(credentials) if isinstance(credentials, str) else credentials)
        if not self.credentials:
            raise ValueError("no credentials")
        self.clock = clock

    def verify(self, method: str, path_and_query: str, headers: Mapping[str, str], body: bytes | None,
               *, service: str | None = None) -> str:
        """The access key id that signed this request, or ApiError.

        ``path_and_query`` is the request target as it arrived (still percent-encoded);
        ``headers`` may hold a name more than once (as a multi-dict's ``items()`` does);
        ``service``, when given, is the only signing name accepted (else ``states`` or
        ``events``). With ``body`` None, everything but the signature itself is checked (the
        headers, before a body is read: a request of no known key is refused unread).
        """
        received: dict[str, list[str]] = {}
        for name, value in headers.items():
            received.setdefault(name.lower(), []).append(value)
        header = _first(received, "authorization")
        if header is None:
            raise ApiError(MISSING, "Missing Authentication Token", 403)
        header = header.strip()
        algorithm, _, rest = header.partition(" ")
        parts = _parameters(rest)
        amz_date = _first(received, "x-amz-date")
        missing = [f"Authorization header requires '{name}' parameter. "
                   for name in ("Credential", "Signature", "SignedHeaders") if not parts.get(name)]
        if amz_date is None:
            missing.append("Authorization header requires existence of either a 'X-Amz-Date' or a 'Date' header. ")
        if missing or amz_date is None:
            raise ApiError(INCOMPLETE, "".join(missing) + f"Authorization={header}")

        amz_date = amz_date.strip()
        self._check_skew(_parse_date(amz_date))
        signed_names = parts["SignedHeaders"].lower().split(";")
        if "host" not in signed_names:
            raise ApiError(INVALID, "'Host' or ':authority' must be a 'SignedHeader' in the AWS Authorization.")
        if algorithm != ALGORITHM:
            raise ApiError(INCOMPLETE, f"Unsupported AWS 'algorithm': '{algorithm}' (only {ALGORITHM} for now). ")

        credential = parts["Credential"].rstrip("/")
        scope = credential.split("/")
        if len(scope) != 5:
            raise ApiError(INCOMPLETE, "Credential must have exactly 5 slash-delimited elements, "
                                       f"e.g. keyid/date/region/service/term, got '{credential}'")
        key_id, date, region, signing_name, terminator = scope
        wrong = []
        if not _REGION.fullmatch(region):
            wrong.append(f"Credential should be scoped to a valid region, not '{region}'. ")
        allowed = (service,) if service else SERVICES
        if signing_name not in allowed:
            wrong.append(f"Credential should be scoped to correct service: '{allowed[0]}'. ")
        if terminator != "aws4_request":
            wrong.append(f"Credential should be scoped with a valid terminator: 'aws4_request', not '{terminator}'. ")
        if date != amz_date[:8]:
            wrong.append("Date in Credential scope does not match YYYYMMDD from ISO-8601 version of date from "
                         f"HTTP: '{date}' != '{amz_date[:8]}', from '{amz_date}'.")
        if wrong:
            raise ApiError(INVALID, "".join(wrong).rstrip())

        secret = self.credentials.get(key_id)
        if secret is None:
            raise ApiError(UNRECOGNIZED, "The security token included in the request is invalid.")
        if body is None:
            return key_id
        expected = _signature(Credentials(key_id, secret), signing_name, region, method, path_and_query,
                              received, signed_names, body, amz_date)
        if expected is None or not hmac.compare_digest(expected.encode(), parts["Signature"].encode()):
            raise ApiError(INVALID, MISMATCH)
        return key_id

    def _check_skew(self, signed_at: datetime.datetime) -> None:
        now = datetime.datetime.fromtimestamp(self.clock(), datetime.UTC).replace(microsecond=0)
        if signed_at < now - MAX_SKEW:
            raise ApiError(INVALID, f"Signature expired: {_stamp(signed_at)} is now earlier than "
                                    f"{_stamp(now - MAX_SKEW)} ({_stamp(now)} - 15 min.)")
        if signed_at > now + MAX_SKEW:
            raise ApiError(INVALID, f"Signature not yet current: {_stamp(signed_at)} is still later than "
                                    f"{_stamp(now + MAX_SKEW)} ({_stamp(now)} + 15 min.)")


class _Signer(SigV4Auth):
    """botocore's SigV4 over exactly the headers the client signed (on its own, botocore
    takes every header but a few it never signs, such as User-Agent)."""

    def __init__(self, credentials: Credentials, service: str, region: str, signed: HTTPHeaders,
                 content_hash: str) -> None:
        super().__init__(credentials, service, region)
        self._signed = signed
        self._content_hash = content_hash

    def headers_to_sign(self, request: Any) -> HTTPHeaders:
        return self._signed

    def payload(self, request: Any) -> str:
        return self._content_hash  # the body's SHA-256, as botocore computes it (without re-preparing the request)


def _signature(credentials: Credentials, service: str, region: str, method: str, path_and_query: str,
               received: dict[str, list[str]], signed_names: list[str], body: bytes, amz_date: str) -> str | None:
    """The signature botocore computes for this request, or None when the request cannot be
    the one the client signed (a signed header absent, a body not the one hashed)."""
    signed = HTTPHeaders()
    for name in signed_names:
        values = received.get(name)
        if not values:
            return None
        for value in values:
            signed[name] = value
    content_hash = hashlib.sha256(body).hexdigest()
    declared = _first(received, "x-amz-content-sha256")
    if declared is not None and declared.strip() != content_hash:
        return None  # UNSIGNED-PAYLOAD, or another body's hash: the body must be the one signed
    request = AWSRequest(method=method.upper(), url=f"http://localhost{path_and_query}", data=body)
    request.context["timestamp"] = amz_date
    signer = _Signer(credentials, service, region, signed, content_hash)
    try:
        canonical = signer.canonical_request(request)
    except ValueError:  # a request target urllib cannot split
        return None
    return signer.signature(signer.string_to_sign(request, canonical), request)


def _first(received: dict[str, list[str]], name: str) -> str | None:
    values = received.get(name)
    return values[0] if values else None


def _parameters(text: str) -> dict[str, str]:
    """``Credential=..., SignedHeaders=..., Signature=...`` (commas and/or spaces between)."""
    parts: dict[str, str] = {}
    for token in re.split(r"[,\s]+", text):
        name, equals, value = token.partition("=")
        if equals:
            parts[name] = value
    return parts


def _parse_date(text: str) -> datetime.datetime:
    try:
        if not _DATE.fullmatch(text):
            raise ValueError(text)
        return datetime.datetime(int(text[:4]), int(text[4:6]), int(text[6:8]), int(text[9:11]), int(text[11:13]),
                                 int(text[13:15]), tzinfo=datetime.UTC)
    except ValueError:
        raise ApiError(INCOMPLETE, f"Date must be in ISO-8601 'basic format'. Got '{text}'. "
                                   "See http://en.wikipedia.org/wiki/ISO_8601") from None


def _stamp(moment: datetime.datetime) -> str:
    return moment.strftime(SIGV4_TIMESTAMP)
