"""Vendor-shaped fakes for the fault matrix: every connector that speaks HTTP, pointed at a real
server on 127.0.0.1 (or, where the connector gives no way to do that, at `responses`).

Each `Vendor` knows how to aim its connector at a server (`origin`), the source settings of one
key result, the route its value comes from, and how to write a good answer around a JSON literal
(``"123"``, ``NaN``, ``1e999``...), so a test can script any fault on that route and run the real
`okrkit.refresh`.

How each connector is reached (and what that says about its testability):

- ``http``, ``csv``: the URL is a setting;
- ``youtube``: the ``endpoint`` setting;
- ``mastodon``, ``bluesky``: ``server`` / ``service`` settings, https only: an HTTPS fake whose
  self-signed certificate is trusted through ``REQUESTS_CA_BUNDLE`` (requests reads it because
  okrkit's session trusts the environment);
- ``x``, ``kit``: no setting; the module constant (``okrkit_social.x.URL``,
  ``okrkit_signups.kit.API``) is patched;
- ``sheets``, ``ga4``: the connector's ``http_factory``, with a real ``httplib2.Http`` that sends
  every request (the token exchange too) to the fake server;
- ``mailchimp``: its host comes from the API key's datacenter and cannot be changed, so the
  faults are played by `responses` at the requests adapter instead.
"""

from __future__ import annotations

import datetime as dt
import functools
import io
import ipaddress
import json
import socket
import ssl
import threading
from typing import TYPE_CHECKING, Any, ClassVar
from urllib.parse import urlsplit

if TYPE_CHECKING:
    from pathlib import Path

    import pytest

    from fakeapi import Answer, FakeApi
    from okrkit.connectors import Connector

__all__ = [
    "AT",
    "VENDORS",
    "Rerouting",
    "Vendor",
    "make_tls",
    "service_account_file",
    "unused_port",
]

AT = dt.datetime(2026, 8, 15, 12, tzinfo=dt.UTC)
DAY = dt.timedelta(days=1)


def unused_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def make_tls(folder: Path) -> tuple[ssl.SSLContext, Path]:
    """A server context with a self-signed certificate for 127.0.0.1 and localhost, and the
    certificate's file, for ``REQUESTS_CA_BUNDLE``."""
    from cryptography import x509
    from cryptography.hazmat.primitives import hashes, serialization
    from cryptography.hazmat.primitives.asymmetric import ec
    from cryptography.x509.oid import NameOID

    key = ec.generate_private_key(ec.SECP256R1())
    name = x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, "okrkit fault matrix")])
    now = dt.datetime.now(dt.UTC)
    certificate = (
        x509.CertificateBuilder()
        .subject_name(name)
        .issuer_name(name)
        .public_key(key.public_key())
        .serial_number(x509.random_serial_number())
        .not_valid_before(now - DAY)
        .not_valid_after(now + DAY)
        .add_extension(
            x509.SubjectAlternativeName(
                [x509.DNSName("localhost"), x509.IPAddress(ipaddress.ip_address("127.0.0.1"))]
            ),
            critical=False,
        )
        .add_extension(x509.BasicConstraints(ca=True, path_length=None), critical=True)
        .sign(key, hashes.SHA256())
    )
    cert_file = folder / "fake-api.pem"
    key_file = folder / "fake-api.key"
    cert_file.write_bytes(certificate.public_bytes(serialization.Encoding.PEM))
    key_file.write_bytes(
        key.private_bytes(
            serialization.Encoding.PEM,
            serialization.PrivateFormat.PKCS8,
            serialization.NoEncryption(),
        )
    )
    context = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
    context.load_cert_chain(cert_file, key_file)
    return context, cert_file


@functools.cache
def _private_key() -> str:
    """An RSA key in PEM, made once per test session (making one takes a while)."""
    from cryptography.hazmat.primitives import serialization
    from cryptography.hazmat.primitives.asymmetric import rsa

    key = rsa.generate_private_key(public_exponent=65537, key_size=2048)
    return key.private_bytes(
        serialization.Encoding.PEM,
        serialization.PrivateFormat.PKCS8,
        serialization.NoEncryption(),
    ).decode()


def service_account_file(folder: Path, token_uri: str) -> Path:
    """A service account's JSON key (a fresh RSA key) whose token exchange goes to `token_uri`."""
    pem = _private_key()
    path = folder / "robot.json"
    path.write_text(
        json.dumps(
            {
                "type": "service_account",
                "project_id": "acme-okrs",
                "private_key_id": "0123456789abcdef",
                "private_key": pem,
                "client_email": "okr-reader@acme-okrs.iam.gserviceaccount.com",
                "client_id": "100000000000000000001",
                "token_uri": token_uri,
            }
        ),
        encoding="utf-8",
    )
    return path


class Vendor:
    """One connector in the matrix: how to reach it, its settings, and the answer it reads.

    `body(literal)` is a good answer holding the JSON text `literal` where the value goes, or
    without the value at all when `literal` is None. `script(*answers)` plays answers on the
    value's route; `hits()` counts the requests that route saw.
    """

    name: ClassVar[str]
    tls: ClassVar[bool] = False  # needs the HTTPS fake
    route: ClassVar[str] = "/v"  # where the value comes from
    good: ClassVar[str] = "42"  # the literal of a good answer

    def __init__(self, api: FakeApi | None, monkeypatch: pytest.MonkeyPatch, folder: Path) -> None:
        self.api = api
        self.monkeypatch = monkeypatch
        self.folder = folder
        self.refused = False  # aim at a port nobody listens on

    @property
    def origin(self) -> str:
        if self.refused:
            scheme = "https" if self.tls else "http"
            return f"{scheme}://127.0.0.1:{unused_port()}"
        assert self.api is not None
        return self.api.url

    @property
    def url(self) -> str:
        """The value's address, as messages show it."""
        return f"{self.origin}{self.route}"

    def source(self) -> dict[str, Any]:
        raise NotImplementedError

    def body(self, literal: str | None) -> str:
        raise NotImplementedError

    def prepare(self) -> None:
        """Routes the value needs besides its own (a session, a token), and patches."""

    def extra(self) -> list[type[Connector]]:
        """Connector classes for the registry (empty: the installed ones)."""
        return []

    def environ(self) -> dict[str, str]:
        return {}

    def script(self, *answers: Answer) -> None:
        assert self.api is not None
        self.api.route(self.route, *answers)

    def hits(self) -> int:
        assert self.api is not None
        return len(self.api.requests_to(self.route))

    def close(self) -> None:
        """Undo what `prepare` started."""


class HttpVendor(Vendor):
    name = "http"

    def source(self) -> dict[str, Any]:
        return {"connector": "http", "url": f"{self.origin}{self.route}", "path": "data.total"}

    def body(self, literal: str | None) -> str:
        inner = "" if literal is None else f'"total": {literal}, '
        return f'{{"data": {{{inner}"label": "sign-ups"}}}}'


class CsvVendor(Vendor):
    name = "csv"
    route = "/export.csv"

    def source(self) -> dict[str, Any]:
        return {
            "connector": "csv",
            "path": f"{self.origin}{self.route}",
            "measure": "last",
            "column": "signups",
        }

    def body(self, literal: str | None) -> str:
        # a CSV cell is text: a JSON string literal is written as a quoted field
        cell = "" if literal is None else literal
        return f"day,signups\n2026-08-14,40\n2026-08-15,{cell}\n"


class MastodonVendor(Vendor):
    name = "mastodon"
    tls = True
    route = "/api/v1/tags/acmewidget"

    def source(self) -> dict[str, Any]:
        host = urlsplit(self.origin).netloc
        return {"connector": "mastodon", "server": host, "tag": "acmewidget", "window": "7d"}

    def body(self, literal: str | None) -> str:
        today = dt.datetime(2026, 8, 15, tzinfo=dt.UTC)
        days = []
        for back in range(7):  # today first; the value is today's uses, the other days 0
            stamp = int((today - back * DAY).timestamp())
            uses = '"0"' if back else literal
            field = "" if uses is None else f', "uses": {uses}'
            days.append(f'{{"day": "{stamp}", "accounts": "1"{field}}}')
        return f'{{"name": "acmewidget", "history": [{", ".join(days)}]}}'


class XVendor(Vendor):
    name = "x"
    route = "/2/tweets/counts/recent"

    def prepare(self) -> None:
        import okrkit_social.x

        self.monkeypatch.setattr(okrkit_social.x, "URL", f"{self.origin}{self.route}")

    def extra(self) -> list[type[Connector]]:
        from okrkit_social import XConnector

        class XAtTheRefresh(XConnector):
            """X counts the last 7 days from its clock: here the clock is the refresh's."""

            def __init__(self) -> None:
                super().__init__(clock=AT.timestamp)

        return [XAtTheRefresh]

    def environ(self) -> dict[str, str]:
        return {"X_BEARER_TOKEN": "AAAA-fault-matrix-bearer"}

    def source(self) -> dict[str, Any]:
        return {
            "connector": "x",
            "query": "acmewidget",
            "token": "${X_BEARER_TOKEN}",
            "window": "7d",
        }

    def body(self, literal: str | None) -> str:
        total = "" if literal is None else f'"total_tweet_count": {literal}'
        return f'{{"meta": {{{total}}}}}'


class BlueskyVendor(Vendor):
    name = "bluesky"
    tls = True
    route = "/xrpc/app.bsky.feed.searchPosts"

    def prepare(self) -> None:
        if self.api is not None:
            self.api.route(
                "/xrpc/com.atproto.server.createSession",
                {"accessJwt": "eyJ.fault-matrix.jwt", "did": "did:plc:a"},
            )

    def environ(self) -> dict[str, str]:
        return {"BLUESKY_APP_PASSWORD": "abcd-efgh-ijkl-mnop"}

    def source(self) -> dict[str, Any]:
        return {
            "connector": "bluesky",
            "query": "acmewidget",
            "handle": "acme.bsky.social",
            "app_password": "${BLUESKY_APP_PASSWORD}",
            "service": self.origin,
            "window": "7d",
        }

    def body(self, literal: str | None) -> str:
        total = "" if literal is None else f'"hitsTotal": {literal}, '
        return f'{{{total}"cursor": ""}}'


class KitVendor(Vendor):
    name = "kit"
    route = "/v4/subscribers"

    def prepare(self) -> None:
        import okrkit_signups.kit

        self.monkeypatch.setattr(okrkit_signups.kit, "API", self.origin)

    def environ(self) -> dict[str, str]:
        return {"KIT_API_KEY": "kit_0a1b2c3d4e5f60718293a4b5c6d7e8f9"}

    def source(self) -> dict[str, Any]:
        return {"connector": "kit", "api_key": "${KIT_API_KEY}"}

    def body(self, literal: str | None) -> str:
        total = "" if literal is None else f', "total_count": {literal}'
        return f'{{"subscribers": [], "pagination": {{"per_page": 1{total}}}}}'


class MailchimpVendor(Vendor):
    """Mailchimp's host is ``{datacenter}.api.mailchimp.com``, from the API key: no setting,
    no constant to aim it elsewhere. The same `Answer` scripts are played by `responses`."""

    name = "mailchimp"
    route = "/3.0/lists/a1b2c3d4e5"
    host = "https://us21.api.mailchimp.com"

    def __init__(self, api: FakeApi | None, monkeypatch: pytest.MonkeyPatch, folder: Path) -> None:
        super().__init__(api, monkeypatch, folder)
        self.answers: list[Answer] = []
        self.calls: list[str] = []
        self.lock = threading.Lock()
        self.mock: Any = None

    @property
    def url(self) -> str:
        return f"{self.host}{self.route}"

    def environ(self) -> dict[str, str]:
        return {"MAILCHIMP_API_KEY": "0123456789abcdef0123456789abcdef-us21"}

    def source(self) -> dict[str, Any]:
        return {
            "connector": "mailchimp",
            "api_key": "${MAILCHIMP_API_KEY}",
            "list_id": "a1b2c3d4e5",
        }

    def body(self, literal: str | None) -> str:
        count = "" if literal is None else f', "member_count": {literal}'
        return f'{{"id": "a1b2c3d4e5", "name": "Launch", "stats": {{"open_rate": 0.5{count}}}}}'

    def prepare(self) -> None:
        import re

        import responses

        self.mock = responses.RequestsMock(assert_all_requests_are_fired=False)
        self.mock.start()
        self.mock.add_callback(
            responses.GET, re.compile(re.escape(self.host + self.route)), callback=self._answer
        )

    def close(self) -> None:
        if self.mock is not None:
            self.mock.stop()
            self.mock.reset()

    def script(self, *answers: Answer) -> None:
        self.answers = list(answers)

    def hits(self) -> int:
        return len(self.calls)

    def _answer(self, request: Any) -> Any:
        import requests

        with self.lock:
            self.calls.append(request.url)
            answer = self.answers.pop(0) if len(self.answers) > 1 else self.answers[0]
        if self.refused:
            return requests.ConnectionError(
                "[Errno 111] Connection refused (played by responses)", request=request
            )
        if answer.delay:
            return requests.ReadTimeout("read timed out (played by responses)", request=request)
        payload = answer.payload()
        headers = {"Content-Type": "application/json", **answer.headers}
        if answer.cut:  # promise the whole body, break the connection halfway through it
            headers["Content-Length"] = str(len(payload))
            return (
                answer.status,
                headers,
                io.BufferedReader(_Broken(payload[: len(payload) // 2])),
            )
        if not answer.chunked:
            headers["Content-Length"] = str(len(payload))
        return (answer.status, headers, payload)


class _Broken(io.RawIOBase):
    """A body that gives its bytes, then fails as a connection reset by the peer does."""

    def __init__(self, data: bytes) -> None:
        self.data = data

    def readable(self) -> bool:
        return True

    def readinto(self, buffer: Any) -> int:
        if not self.data:
            raise ConnectionResetError(104, "Connection reset by peer")
        size = min(len(buffer), len(self.data))
        buffer[:size] = self.data[:size]
        self.data = self.data[size:]
        return size


class YouTubeVendor(Vendor):
    name = "youtube"
    route = "/youtube/v3/videos"

    def environ(self) -> dict[str, str]:
        return {"YOUTUBE_API_KEY": "AIzaSy-fault-matrix-0123456789abcdef"}

    def source(self) -> dict[str, Any]:
        return {
            "connector": "youtube",
            "videos": ["dQw4w9WgXcQ"],
            "statistic": "views",
            "api_key": "${YOUTUBE_API_KEY}",
            "endpoint": self.origin,
        }

    def body(self, literal: str | None) -> str:
        views = "" if literal is None else f'"viewCount": {literal}, '
        return (
            '{"kind": "youtube#videoListResponse", "items": [{"kind": "youtube#video", '
            f'"id": "dQw4w9WgXcQ", "statistics": {{{views}"favoriteCount": "0"}}}}]}}'
        )


class Rerouting:
    """The Google connectors' `http_factory`: real ``httplib2.Http`` objects that send every
    request (the token exchange too) to the fake server instead of Google's hosts.

    It keeps each transport it made and records whether the connector closed it (`unclosed`);
    `close` closes the rest, so a test does not leave sockets to the garbage collector.
    """

    def __init__(self, vendor: Vendor) -> None:
        self.vendor = vendor
        self.made: list[Any] = []
        self.closed: list[Any] = []

    def __call__(self, timeout: float) -> Any:
        import httplib2

        origin = self.vendor.origin
        factory = self

        class Rerouted(httplib2.Http):  # type: ignore[misc]
            def request(self, uri: str, *args: Any, **kwargs: Any) -> Any:
                parts = urlsplit(uri)
                target = f"{origin}{parts.path}" + (f"?{parts.query}" if parts.query else "")
                return super().request(target, *args, **kwargs)

            def close(self) -> None:
                factory.closed.append(self)
                super().close()

        made = Rerouted(timeout=timeout)
        self.made.append(made)
        return made

    @property
    def unclosed(self) -> int:
        return sum(all(made is not done for done in self.closed) for made in self.made)

    def close(self) -> None:
        for made in self.made:
            made.close()


class GoogleVendor(Vendor):
    """A Google connector, its transports made by `Rerouting`."""

    def __init__(self, api: FakeApi | None, monkeypatch: pytest.MonkeyPatch, folder: Path) -> None:
        super().__init__(api, monkeypatch, folder)
        self.transports = Rerouting(self)

    def close(self) -> None:
        self.transports.close()


class SheetsVendor(GoogleVendor):
    name = "sheets"
    route = "/v4/spreadsheets/1FaultMatrixSheet/values/B2"

    def environ(self) -> dict[str, str]:
        return {"GOOGLE_API_KEY": "AIzaSy-fault-matrix-sheets-0123456789"}

    def extra(self) -> list[type[Connector]]:
        from okrkit_google import SheetsConnector

        factory = self.transports

        class ReroutedSheets(SheetsConnector):
            def __init__(self) -> None:
                super().__init__(http_factory=factory)

        return [ReroutedSheets]

    def source(self) -> dict[str, Any]:
        return {
            "connector": "sheets",
            "spreadsheet": "1FaultMatrixSheet",
            "range": "B2",
            "api_key": "${GOOGLE_API_KEY}",
        }

    def body(self, literal: str | None) -> str:
        values = "" if literal is None else f', "values": [[{literal}]]'
        return f'{{"range": "Sheet1!B2", "majorDimension": "ROWS"{values}}}'


class Ga4Vendor(GoogleVendor):
    name = "ga4"
    route = "/v1beta/properties/123456789:runReport"
    token_route = "/token"

    def prepare(self) -> None:
        if self.api is not None:
            self.api.route(
                self.token_route,
                {"access_token": "ya29.fault-matrix", "expires_in": 3599, "token_type": "Bearer"},
            )
        self.key_file = service_account_file(
            self.folder, f"https://oauth2.googleapis.com{self.token_route}"
        )

    def extra(self) -> list[type[Connector]]:
        from okrkit_google import Ga4Connector

        factory = self.transports

        class ReroutedGa4(Ga4Connector):
            def __init__(self) -> None:
                super().__init__(http_factory=factory)

        return [ReroutedGa4]

    def source(self) -> dict[str, Any]:
        return {
            "connector": "ga4",
            "property": 123456789,
            "metric": "eventCount",
            "event_name": "sign_up",
            "service_account_file": str(self.key_file),
            "window": "7d",
        }

    def body(self, literal: str | None) -> str:
        value = "" if literal is None else f'"value": {literal}'
        return (
            '{"dimensionHeaders": [], "metricHeaders": [{"name": "eventCount", "type": '
            f'"TYPE_INTEGER"}}], "totals": [{{"metricValues": [{{{value}}}]}}], "rowCount": 1}}'
        )


VENDORS: dict[str, type[Vendor]] = {
    vendor.name: vendor
    for vendor in (
        HttpVendor,
        CsvVendor,
        MastodonVendor,
        XVendor,
        BlueskyVendor,
        MailchimpVendor,
        KitVendor,
        YouTubeVendor,
        SheetsVendor,
        Ga4Vendor,
    )
}
