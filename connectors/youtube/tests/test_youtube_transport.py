"""The body cap and the run's rate limits on a real ``httplib2.Http``, against a real server on
127.0.0.1 that answers with a declared length, chunks, a body read until it closes, or gzip."""

import datetime as dt
import gzip
import socket
import threading
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

import httplib2
import pytest
from okrkit.connectors import Context, HttpClient, Query, TerminalError, Window
from okrkit.connectors._httplib2 import MAX_BODY, BodyTooLargeError, capped, run_limits

from okrkit_youtube import YouTubeConnector, YouTubeSettings

CAP = 1000  # bytes: small, so that a body over it is quick to send


class Server:
    """Answers each path with a body of a given size, sent in a given way; counts connections."""

    def __init__(self) -> None:
        server = self

        class Handler(BaseHTTPRequestHandler):
            protocol_version = "HTTP/1.1"

            def log_message(self, format, *args):  # noqa: A002
                pass

            def setup(self):
                super().setup()
                server.connections += 1

            def do_GET(self):
                server.paths.append(self.path)
                try:
                    server.answer(self)
                except (BrokenPipeError, ConnectionResetError):  # the client stopped reading
                    self.close_connection = True

        self.paths: list[str] = []
        self.connections = 0
        self.http = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.http.daemon_threads = True
        self.port = self.http.server_address[1]
        self.thread = threading.Thread(
            target=self.http.serve_forever, kwargs={"poll_interval": 0.02}, daemon=True
        )
        self.thread.start()

    def url(self, path: str, host: str = "127.0.0.1") -> str:
        return f"http://{host}:{self.port}{path}"

    def answer(self, handler: BaseHTTPRequestHandler) -> None:
        kind, _, size = handler.path.strip("/").partition("/")
        body = b"a" * int(size or 0)
        if kind == "redirect":
            handler.send_response(302)
            handler.send_header("Location", self.url(f"/declared/{size}", host="localhost"))
            handler.send_header("Content-Length", "0")
            handler.end_headers()
            return
        handler.send_response(200)
        if kind == "declared":
            handler.send_header("Content-Length", str(len(body)))
            handler.end_headers()
            handler.wfile.write(body)
        elif kind == "gzip":
            packed = gzip.compress(body)
            handler.send_header("Content-Encoding", "gzip")
            handler.send_header("Content-Length", str(len(packed)))
            handler.end_headers()
            handler.wfile.write(packed)
        elif kind == "chunked":
            handler.send_header("Transfer-Encoding", "chunked")
            handler.end_headers()
            for start in range(0, len(body), 100):
                piece = body[start : start + 100]
                handler.wfile.write(f"{len(piece):x}\r\n".encode() + piece + b"\r\n")
            handler.wfile.write(b"0\r\n\r\n")
        else:  # "until-close": no length, the body ends when the connection does
            handler.send_header("Connection", "close")
            handler.end_headers()
            handler.wfile.write(body)
            handler.close_connection = True

    def close(self) -> None:
        self.http.shutdown()
        self.http.server_close()


@pytest.fixture
def server():
    started = Server()
    yield started
    started.close()


@pytest.fixture
def http():
    made = httplib2.Http(timeout=5)
    yield made
    made.close()


def test_a_body_within_the_cap_is_read_whole_and_the_connection_kept(server, http):
    hosts = []
    armed = capped(http, max_body=CAP, limit=hosts.append)
    assert armed is http
    for path in ("/declared/1000", "/chunked/1000", "/gzip/1000"):
        response, content = http.request(server.url(path))
        assert (response.status, content) == (200, b"a" * 1000), path
    assert server.connections == 1  # one keep-alive connection for the three
    assert hosts == ["127.0.0.1"] * 3


def test_a_declared_length_over_the_cap_is_refused_before_the_body_is_read(server, http):
    capped(http, max_body=CAP)
    with pytest.raises(BodyTooLargeError) as raised:
        http.request(server.url("/declared/5000"))
    assert (raised.value.limit, raised.value.size) == (CAP, 5000)
    assert raised.value.words == "is 5,000 bytes, more than the 1,000 okrkit reads"
    # the connection left halfway is not reused: the next request opens another one
    response, content = http.request(server.url("/declared/10"))
    assert (response.status, content, server.connections) == (200, b"a" * 10, 2)


@pytest.mark.parametrize("kind", ["chunked", "until-close", "gzip"])
def test_a_body_without_a_length_over_the_cap_stops_being_read_past_it(kind, server, http):
    capped(http, max_body=CAP)
    with pytest.raises(BodyTooLargeError) as raised:
        http.request(server.url(f"/{kind}/{CAP + 1}"))
    assert (raised.value.limit, raised.value.size) == (CAP, None)
    assert raised.value.words == "is more than the 1,000 bytes okrkit reads"
    response, content = http.request(server.url("/chunked/10"))
    assert (response.status, content) == (200, b"a" * 10)


def test_a_redirect_to_another_host_is_capped_and_rate_limited_too(server, http):
    hosts = []
    capped(http, max_body=CAP, limit=hosts.append)
    with pytest.raises(BodyTooLargeError):
        http.request(server.url("/redirect/5000"))
    assert hosts == ["127.0.0.1", "localhost"]
    assert server.paths == ["/redirect/5000", "/declared/5000"]


def test_only_an_httplib2_http_is_armed_and_only_once(server, http):
    double = object()
    assert capped(double, max_body=CAP) is double
    hosts = []
    capped(http, max_body=CAP, limit=hosts.append)
    capped(http, max_body=CAP, limit=hosts.append)
    http.request(server.url("/declared/1"))
    assert hosts == ["127.0.0.1"]


def test_the_limits_are_those_of_the_runs_http_client():
    sleeps = []
    client = HttpClient(rate_limits={"api.example": 2}, clock=lambda: 100.0, sleep=sleeps.append)
    max_body, limit = run_limits(Context(http_factory=lambda: client))
    assert max_body == MAX_BODY == client.max_body == 10 * 1024 * 1024
    assert limit is not None
    for _ in range(3):
        limit("api.example")
    limit("other.example")  # no limit for a host not named
    assert sleeps == [0.5, 1.0]


def test_a_context_whose_client_has_no_limits_limits_nothing():
    class Bare:
        pass

    assert run_limits(Context(http_factory=Bare)) == (MAX_BODY, None)


def test_the_connector_waits_for_the_runs_rate_limit_and_caps_every_call(fake_youtube):
    api = fake_youtube(
        videos={"dQw4w9WgXcQ": {"viewCount": "10"}},
        channels={"UC_x5XG1OV2P6uZZ5FSM9Ttw": {"viewCount": "42"}},
    )
    sleeps = []
    client = HttpClient(
        rate_limits={"127.0.0.1": 4}, max_body=50, clock=lambda: 0.0, sleep=sleeps.append
    )
    at = dt.datetime(2026, 8, 15, tzinfo=dt.UTC)

    def query(key, **settings):
        settings = YouTubeSettings(api_key="test-key", endpoint=api.url, **settings)
        return Query(key, settings, Window(None, at), at)

    results = YouTubeConnector().fetch(
        [
            query("video", videos=["dQw4w9WgXcQ"]),
            query("channel", channel="UC_x5XG1OV2P6uZZ5FSM9Ttw"),
        ],
        Context(http_factory=lambda: client),
    )
    assert sleeps == [0.25]  # two calls to 127.0.0.1 at 4 a second
    # both answers are longer than the 50 bytes this run reads
    assert all(isinstance(result, TerminalError) for result in results)
    assert results[0].message.startswith("YouTube videos.list: the answer is ")
    assert results[0].message.endswith(" bytes, more than the 50 okrkit reads; check the endpoint")
    assert results[1].message.startswith("YouTube channels.list: the answer is ")


def test_a_port_nobody_listens_on_still_fails_as_before(http):
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        port = sock.getsockname()[1]
    capped(http, max_body=CAP)
    with pytest.raises(ConnectionRefusedError):
        http.request(f"http://127.0.0.1:{port}/")
