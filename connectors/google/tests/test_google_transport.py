"""The transports the Google connectors make: armed with the run's body cap and rate limits, and
closed when the fetch ends. Real ``httplib2.Http`` objects, rerouted to a server on 127.0.0.1."""

# the keys and tokens here are made up for the tests

import datetime as dt
import gzip
import json
import threading
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from urllib.parse import urlsplit

import httplib2
import pytest
from okrkit_google import Ga4Connector, Ga4Settings, SheetsConnector, SheetsSettings
from okrkit_google._google import Transports

from okrkit.connectors import Context, CredentialsError, HttpClient, Query, TerminalError, Window
from okrkit.connectors._httplib2 import MAX_BODY, BodyTooLargeError, capped, run_limits

AT = dt.datetime(2026, 8, 15, 9, 30, tzinfo=dt.UTC)
CAP = 1000


class Server:
    """Answers ``/<kind>/<size>`` with `size` bytes (declared, chunked or gzip) and anything
    else with a Sheets value range of 12; counts requests."""

    def __init__(self) -> None:
        server = self

        class Handler(BaseHTTPRequestHandler):
            protocol_version = "HTTP/1.1"

            def log_message(self, format, *args):  # noqa: A002
                pass

            def do_GET(self):
                server.paths.append(self.path)
                try:
                    server.answer(self)
                except (BrokenPipeError, ConnectionResetError):  # the client stopped reading
                    self.close_connection = True

        self.paths: list[str] = []
        self.http = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.http.daemon_threads = True
        self.origin = f"http://127.0.0.1:{self.http.server_address[1]}"
        threading.Thread(
            target=self.http.serve_forever, kwargs={"poll_interval": 0.02}, daemon=True
        ).start()

    def answer(self, handler: BaseHTTPRequestHandler) -> None:
        kind, _, size = handler.path.strip("/").partition("/")
        body = b"a" * int(size) if size.isdigit() else b""
        handler.send_response(200)
        if kind == "chunked":
            handler.send_header("Transfer-Encoding", "chunked")
            handler.end_headers()
            for start in range(0, len(body), 100):
                piece = body[start : start + 100]
                handler.wfile.write(f"{len(piece):x}\r\n".encode() + piece + b"\r\n")
            handler.wfile.write(b"0\r\n\r\n")
            return
        if kind == "gzip":
            body = gzip.compress(body)
            handler.send_header("Content-Encoding", "gzip")
        elif kind != "declared":
            body = json.dumps({"range": "Sheet1!B2", "values": [[12]]}).encode()
            handler.send_header("Content-Type", "application/json")
        handler.send_header("Content-Length", str(len(body)))
        handler.end_headers()
        handler.wfile.write(body)

    def close(self) -> None:
        self.http.shutdown()
        self.http.server_close()


@pytest.fixture
def server():
    started = Server()
    yield started
    started.close()


class Rerouting:
    """An `http_factory` of real ``httplib2.Http`` objects that send every request to `origin`
    and record being closed."""

    def __init__(self, origin: str) -> None:
        self.origin = origin
        self.made: list[httplib2.Http] = []
        self.closed: list[httplib2.Http] = []

    def __call__(self, timeout: float) -> httplib2.Http:
        factory = self

        class Rerouted(httplib2.Http):
            def request(self, uri, *args, **kwargs):
                parts = urlsplit(uri)
                return super().request(f"{factory.origin}{parts.path}", *args, **kwargs)

            def close(self):
                factory.closed.append(self)
                super().close()

        made = Rerouted(timeout=timeout)
        self.made.append(made)
        return made


@pytest.mark.parametrize(("kind", "size"), [("declared", 1001), ("chunked", None), ("gzip", None)])
def test_a_body_over_the_cap_is_refused(kind, size, server):
    http = capped(httplib2.Http(timeout=5), max_body=CAP)
    try:
        response, content = http.request(f"{server.origin}/{kind}/{CAP}")
        assert (response.status, content) == (200, b"a" * CAP)
        with pytest.raises(BodyTooLargeError) as raised:
            http.request(f"{server.origin}/{kind}/{CAP + 1}")
    finally:
        http.close()
    assert (raised.value.limit, raised.value.size) == (CAP, size)


def test_the_limits_are_those_of_the_runs_http_client():
    sleeps = []
    client = HttpClient(rate_limits={"api.example": 2}, clock=lambda: 9.0, sleep=sleeps.append)
    max_body, limit = run_limits(Context(http_factory=lambda: client))
    assert max_body == MAX_BODY == client.max_body
    limit("api.example")
    limit("api.example")
    assert sleeps == [0.5]


def sheet(key, spreadsheet):
    settings = SheetsSettings(spreadsheet=spreadsheet, range="B2", api_key="AIzaSyTEST-key-0123")
    return Query(key, settings, Window(None, AT), AT)


def test_a_fetch_arms_its_transports_and_closes_them_when_it_ends(server):
    factory = Rerouting(server.origin)
    sleeps = []
    client = HttpClient(rate_limits={"127.0.0.1": 4}, clock=lambda: 0.0, sleep=sleeps.append)
    results = SheetsConnector(http_factory=factory).fetch(
        [sheet("a", "1SheetA"), sheet("b", "1SheetB")], Context(http_factory=lambda: client)
    )
    assert [result.value for result in results] == [12.0, 12.0]
    assert [urlsplit(path).path for path in server.paths] == [
        "/v4/spreadsheets/1SheetA/values/B2",
        "/v4/spreadsheets/1SheetB/values/B2",
    ]
    assert sleeps == [0.25]  # the run's limit of 4 requests a second to the host
    assert len(factory.made) == 1  # one client for one API key
    assert factory.closed == factory.made


def test_an_answer_over_the_runs_cap_fails_the_key_result_as_terminal(server):
    factory = Rerouting(server.origin)
    client = HttpClient(max_body=20)
    [result] = SheetsConnector(http_factory=factory).fetch(
        [sheet("a", "1SheetA")], Context(http_factory=lambda: client)
    )
    assert isinstance(result, TerminalError)
    assert result.message == "Google Sheets: the answer is 40 bytes, more than the 20 okrkit reads"
    assert factory.closed == factory.made


def test_a_transport_is_closed_even_when_the_client_cannot_be_made(tmp_path, server):
    factory = Rerouting(server.origin)
    settings = Ga4Settings(
        property=123, metric="eventCount", service_account_file=str(tmp_path / "missing.json")
    )
    [result] = Ga4Connector(http_factory=factory).fetch(
        [Query("a", settings, Window(AT - dt.timedelta(days=7), AT), AT)], Context()
    )
    assert isinstance(result, CredentialsError)
    assert server.paths == []
    assert factory.closed == factory.made


def test_transports_close_only_what_can_be_closed():
    double = object()
    transports = Transports(lambda _timeout: double, Context(timeout=3.0))
    with transports:
        assert transports.make() is double
    assert transports.made == []
