"""A real HTTP server on 127.0.0.1 for tests of a connector's whole path.

Each route answers from a script of responses, one per request (the last one repeats), and every
request is recorded. A response can be delayed (to trip timeouts), cut short mid-body, sent
without a Content-Length (chunked), or be any status, headers and body. Given an
``ssl.SSLContext``, the server speaks HTTPS (for connectors that accept only https addresses).
"""

from __future__ import annotations

import json
import ssl
import threading
import time
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any
from urllib.parse import parse_qs, urlsplit

import attrs


@attrs.frozen
class Answer:
    status: int = 200
    body: Any = None  # dict/list/number: JSON; str or bytes: as is; a callable: see payload
    headers: dict[str, str] = attrs.field(factory=dict)
    delay: float = 0.0
    cut: bool = False  # promise a longer body than is sent, then close
    chunked: bool = False  # no Content-Length: the body in chunks (Transfer-Encoding: chunked)

    def payload(self, seen: Seen | None = None) -> bytes:
        """The body's bytes; a callable body is called with the request (a `Seen`) first, so
        a route can echo what it was sent."""
        body = self.body(seen) if callable(self.body) else self.body
        if isinstance(body, bytes):
            return body
        if isinstance(body, str):
            return body.encode()
        return json.dumps(body).encode()


@attrs.frozen
class Seen:
    method: str
    path: str
    query: dict[str, list[str]]
    headers: dict[str, str]
    body: bytes
    at: float
    target: str = ""  # the request line's target: the path with its query string, as sent


class _TlsServer(ThreadingHTTPServer):
    """A threaded HTTP server that speaks TLS; the handshake runs in the request's thread."""

    tls: ssl.SSLContext

    def finish_request(self, request: Any, client_address: Any) -> None:
        try:
            wrapped = self.tls.wrap_socket(request, server_side=True)
        except (ssl.SSLError, OSError):
            return  # a client that gave up during the handshake
        try:
            super().finish_request(wrapped, client_address)
        finally:
            wrapped.close()


class FakeApi:
    def __init__(self, *, tls: ssl.SSLContext | None = None) -> None:
        self.routes: dict[str, list[Answer]] = {}
        self.seen: list[Seen] = []
        self.lock = threading.Lock()
        self.in_flight = 0
        self.most_in_flight = 0
        api = self

        class Handler(BaseHTTPRequestHandler):
            protocol_version = "HTTP/1.1"

            def log_message(self, format: str, *args: Any) -> None:  # noqa: A002
                pass

            def do_GET(self) -> None:
                api.handle(self)

            def do_POST(self) -> None:
                api.handle(self)

        if tls is None:
            self.server: ThreadingHTTPServer = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        else:
            self.server = _TlsServer(("127.0.0.1", 0), Handler)
            self.server.tls = tls
        self.scheme = "http" if tls is None else "https"
        self.server.daemon_threads = True
        self.thread = threading.Thread(
            target=self.server.serve_forever, kwargs={"poll_interval": 0.05}, daemon=True
        )  # a short poll: close() waits for it
        self.thread.start()

    @property
    def url(self) -> str:
        host, port = self.server.server_address[:2]
        return f"{self.scheme}://{host}:{port}"

    def route(self, path: str, *answers: Answer | Any) -> str:
        """Script a path's answers; plain values are JSON bodies with status 200."""
        self.routes[path] = [a if isinstance(a, Answer) else Answer(body=a) for a in answers]
        return self.url + path

    def reset(self) -> None:
        """Forget every route and request: the server is as new, for the next test."""
        with self.lock:
            self.routes.clear()
            self.seen.clear()
            self.most_in_flight = self.in_flight

    def requests_to(self, path: str) -> list[Seen]:
        return [seen for seen in self.seen if seen.path == path]

    def handle(self, handler: BaseHTTPRequestHandler) -> None:
        parts = urlsplit(handler.path)
        length = int(handler.headers.get("Content-Length") or 0)
        body = handler.rfile.read(length) if length else b""
        seen = Seen(
            handler.command,
            parts.path,
            parse_qs(parts.query),
            dict(handler.headers),
            body,
            time.monotonic(),
            handler.path,
        )
        with self.lock:
            self.seen.append(seen)
            script = self.routes.get(parts.path)
            answer = (
                (script.pop(0) if len(script) > 1 else script[0])
                if script
                else Answer(404, {"error": "no route"})
            )
            self.in_flight += 1
            self.most_in_flight = max(self.most_in_flight, self.in_flight)
        try:
            if answer.delay:
                time.sleep(answer.delay)
            payload = answer.payload(seen)
            handler.send_response(answer.status)
            for name, value in answer.headers.items():
                handler.send_header(name, value)
            if "Content-Type" not in answer.headers:
                handler.send_header("Content-Type", "application/json")
            if answer.chunked:
                handler.send_header("Transfer-Encoding", "chunked")
                handler.end_headers()
                for start in range(0, len(payload), 65536):
                    chunk = payload[start : start + 65536]
                    handler.wfile.write(b"%x\r\n%s\r\n" % (len(chunk), chunk))
                handler.wfile.write(b"0\r\n\r\n")
                return
            handler.send_header("Content-Length", str(len(payload) * (2 if answer.cut else 1)))
            handler.end_headers()
            if answer.cut:
                handler.wfile.write(payload[: max(1, len(payload) // 2)])
                handler.wfile.flush()
                handler.close_connection = True
                return
            handler.wfile.write(payload)
        except (BrokenPipeError, ConnectionResetError, ssl.SSLError):
            pass
        finally:
            with self.lock:
                self.in_flight -= 1

    def close(self) -> None:
        self.server.shutdown()
        self.server.server_close()
