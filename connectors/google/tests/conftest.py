"""Test doubles for the Google connectors: a recording transport and a throwaway service account.

The transport stands in for ``httplib2.Http`` (what googleapiclient and google-auth-httplib2
call), answers from a script, and records every request: method, URL, query parameters, headers
and body. The service account's RSA key is made here, so its token exchange is a real signed JWT
grant that the transport answers: no request leaves the machine.
"""

# the keys and tokens here are made up for the tests

from __future__ import annotations

import base64
import json
from typing import Any
from urllib.parse import parse_qs, urlsplit

import attrs
import httplib2
import pytest

TOKEN_URI = "https://oauth2.googleapis.com/token"
ACCESS_TOKEN = "ya29.test-access-token"
ROBOT = "okr-reader@acme-okrs.iam.gserviceaccount.com"


@attrs.frozen
class Request:
    """One request the connector sent."""

    method: str
    url: str  # without the query string
    query: dict[str, list[str]]
    headers: dict[str, str]
    body: str | None

    @property
    def json(self) -> Any:
        return json.loads(self.body or "null")

    @property
    def form(self) -> dict[str, list[str]]:
        return parse_qs(self.body or "")


class Transport:
    """A scripted, recording ``httplib2.Http``; also the connector's ``http_factory``."""

    def __init__(self, answers: list[Any]) -> None:
        self.answers = list(answers)
        self.requests: list[Request] = []
        self.timeouts: list[float] = []

    def __call__(self, timeout: float) -> Transport:
        self.timeouts.append(timeout)
        return self

    def request(  # noqa: PLR0917  # httplib2.Http.request's signature, positional as there
        self,
        uri: str,
        method: str = "GET",
        body: Any = None,
        headers: dict[str, str] | None = None,
        redirections: int = 5,
        connection_type: Any = None,
    ) -> tuple[httplib2.Response, bytes]:
        parts = urlsplit(uri)
        text = body.decode() if isinstance(body, bytes) else body
        self.requests.append(
            Request(
                method,
                f"{parts.scheme}://{parts.netloc}{parts.path}",
                parse_qs(parts.query),
                {key.lower(): value for key, value in (headers or {}).items()},
                text,
            )
        )
        if not self.answers:
            raise AssertionError(f"unexpected request {method} {uri}")
        answer = self.answers.pop(0)
        if isinstance(answer, BaseException):
            raise answer
        status, content, extra = answer
        response = httplib2.Response({"status": str(status), **extra})
        return response, content if isinstance(content, bytes) else json.dumps(content).encode()

    @property
    def api_requests(self) -> list[Request]:
        """The requests other than the token exchange."""
        return [request for request in self.requests if request.url != TOKEN_URI]

    def assert_done(self) -> None:
        assert self.answers == [], f"{len(self.answers)} scripted answers were never asked for"


def ok(body: Any, **headers: str) -> tuple[int, Any, dict[str, str]]:
    return (200, body, headers)


def error(
    status: int,
    state: str,
    message: str,
    details: list[Any] | None = None,
    **headers: str,
) -> tuple[int, Any, dict[str, str]]:
    """Google's JSON error body (``{"error": {"code", "message", "status", "details"}}``)."""
    body: dict[str, Any] = {"code": status, "message": message, "status": state}
    if details is not None:
        body["details"] = details
    return (status, {"error": body}, headers)


def token() -> tuple[int, Any, dict[str, str]]:
    return ok({"access_token": ACCESS_TOKEN, "expires_in": 3599, "token_type": "Bearer"})


def claims(request: Request) -> dict[str, Any]:
    """The claims of the signed JWT a token request carries (not verified: we made it)."""
    assertion = request.form["assertion"][0]
    payload = assertion.split(".")[1]
    return json.loads(base64.urlsafe_b64decode(payload + "=" * (-len(payload) % 4)))


class Kit:
    """What a test needs, as one fixture: the doubles and the answer builders."""

    ok = staticmethod(ok)
    error = staticmethod(error)
    token = staticmethod(token)
    claims = staticmethod(claims)
    TOKEN_URI = TOKEN_URI
    ACCESS_TOKEN = ACCESS_TOKEN
    ROBOT = ROBOT

    def __init__(self, key_file: Any) -> None:
        self.key_file = key_file

    def transport(self, *answers: Any) -> Transport:
        return Transport(list(answers))


@pytest.fixture(scope="session")
def private_key_pem() -> str:
    from cryptography.hazmat.primitives import serialization
    from cryptography.hazmat.primitives.asymmetric import rsa

    key = rsa.generate_private_key(public_exponent=65537, key_size=2048)
    return key.private_bytes(
        serialization.Encoding.PEM,
        serialization.PrivateFormat.PKCS8,
        serialization.NoEncryption(),
    ).decode()


@pytest.fixture
def key_file(tmp_path: Any, private_key_pem: str) -> Any:
    """A service account's JSON key, as the Google Cloud console gives it."""
    path = tmp_path / "okr-reader.json"
    path.write_text(
        json.dumps(
            {
                "type": "service_account",
                "project_id": "acme-okrs",
                "private_key_id": "0123456789abcdef",
                "private_key": private_key_pem,
                "client_email": ROBOT,
                "client_id": "100000000000000000001",
                "auth_uri": "https://accounts.google.com/o/oauth2/auth",
                "token_uri": TOKEN_URI,
            }
        ),
        encoding="utf-8",
    )
    return path


@pytest.fixture
def google(key_file: Any) -> Kit:
    return Kit(key_file)
