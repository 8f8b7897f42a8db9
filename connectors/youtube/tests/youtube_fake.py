"""A fake YouTube Data API v3: a real HTTP server on 127.0.0.1, for end-to-end tests and
benchmarks of the ``youtube`` connector.

It answers ``/youtube/v3/videos``, ``/youtube/v3/channels`` and ``/youtube/v3/playlistItems``
with JSON shaped like the real API's (``kind``, ``etag``, ``items``, ``pageInfo``,
``nextPageToken``), statistics as text, and errors in Google's error format. It records every
request and counts quota units (one per list call, as the real API does), and how many requests
it was answering at once at most (`most_at_once`: with a `delay`, to see calls overlap).

    with FakeYouTube(videos={"aaaaaaaaaaa": {"viewCount": "12"}}, keys={"test-key"}) as api:
        ...  # point the connector at endpoint=api.url
        assert api.calls("videos")[0].ids == ["aaaaaaaaaaa"]

`make_videos(n)` makes n distinct valid video ids with statistics, for load tests.
"""

from __future__ import annotations

import json
import threading
import time
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import TYPE_CHECKING, Any, Self
from urllib.parse import parse_qs, urlsplit

import attrs

if TYPE_CHECKING:
    from collections.abc import Iterable, Mapping

__all__ = ["FakeYouTube", "Request", "error_body", "make_videos"]

PREFIX = "/youtube/v3/"
MAX_IDS = 50


def error_body(status: int, reason: str, message: str, domain: str = "youtube") -> dict[str, Any]:
    """An error answer in Google's format (``{"error": {"code", "message", "errors"}}``)."""
    error: dict[str, Any] = {
        "code": status,
        "message": message,
        "errors": [{"message": message, "domain": domain, "reason": reason}],
    }
    if reason == "API_KEY_INVALID":  # what Google answers today for a bad key
        error["errors"] = [{"message": message, "domain": "global", "reason": "badRequest"}]
        error["status"] = "INVALID_ARGUMENT"
        error["details"] = [
            {
                "@type": "type.googleapis.com/google.rpc.ErrorInfo",
                "reason": "API_KEY_INVALID",
                "domain": "googleapis.com",
                "metadata": {"service": "youtube.googleapis.com"},
            }
        ]
    return {"error": error}


def make_videos(count: int, *, start: int = 0, views: int = 100) -> dict[str, dict[str, str]]:
    """`count` distinct video ids (``v0000000000``, ...) with views, likes and comments."""
    return {
        f"v{number:010d}": {
            "viewCount": str(views + number),
            "likeCount": str(number),
            "commentCount": "1",
            "favoriteCount": "0",
        }
        for number in range(start, start + count)
    }


@attrs.frozen
class Request:
    """A request the fake API received."""

    method: str
    resource: str  # videos, channels, playlistItems
    query: Mapping[str, list[str]]
    target: str  # the path and query string as sent

    def get(self, name: str) -> str | None:
        values = self.query.get(name)
        return values[0] if values else None

    @property
    def ids(self) -> list[str]:
        value = self.get("id")
        return value.split(",") if value else []


@attrs.define
class _Failure:
    status: int
    body: Any
    headers: dict[str, str]
    times: int


class FakeYouTube:
    """A threaded HTTP server answering like the YouTube Data API v3 (read-only list calls)."""

    def __init__(
        self,
        *,
        videos: Mapping[str, Mapping[str, str]] | None = None,
        channels: Mapping[str, Mapping[str, Any]] | None = None,
        handles: Mapping[str, str] | None = None,
        playlists: Mapping[str, Iterable[str]] | None = None,
        keys: Iterable[str] | None = None,
        page_size: int = MAX_IDS,
        delay: float = 0.0,
    ) -> None:
        self.videos = {key: dict(value) for key, value in (videos or {}).items()}
        self.channels = {key: dict(value) for key, value in (channels or {}).items()}
        self.handles = {key.lower(): value for key, value in (handles or {}).items()}
        self.playlists = {key: list(value) for key, value in (playlists or {}).items()}
        self.keys = set(keys) if keys is not None else None
        self.page_size = page_size
        self.delay = delay
        self.requests: list[Request] = []
        self.units = 0
        self.at_once = 0  # requests being answered now
        self.most_at_once = 0  # the most answered at once
        self._failures: dict[str, list[_Failure]] = {}
        self._lock = threading.Lock()
        fake = self

        class Handler(BaseHTTPRequestHandler):
            protocol_version = "HTTP/1.1"

            def log_message(self, format: str, *args: Any) -> None:  # noqa: A002
                pass

            def do_GET(self) -> None:
                fake.handle(self)

        self.server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.server.daemon_threads = True
        self.thread = threading.Thread(
            target=self.server.serve_forever, kwargs={"poll_interval": 0.05}, daemon=True
        )
        self.thread.start()

    @property
    def url(self) -> str:
        """The API's root, for the connector's ``endpoint`` setting."""
        host, port = self.server.server_address[:2]
        return f"http://{host}:{port}"

    def __enter__(self) -> Self:
        return self

    def __exit__(self, *_: object) -> None:
        self.close()

    def close(self) -> None:
        self.server.shutdown()
        self.server.server_close()

    def calls(self, resource: str) -> list[Request]:
        """The requests to one resource: ``videos``, ``channels`` or ``playlistItems``."""
        with self._lock:
            return [request for request in self.requests if request.resource == resource]

    def fail(
        self,
        resource: str,
        status: int,
        reason: str,
        message: str = "failed",
        *,
        headers: Mapping[str, str] | None = None,
        times: int = 1,
        domain: str = "youtube",
    ) -> None:
        """Answer the next `times` requests to `resource` with an error."""
        failure = _Failure(
            status, error_body(status, reason, message, domain), dict(headers or {}), times
        )
        with self._lock:
            self._failures.setdefault(resource, []).append(failure)

    # -- answering ------------------------------------------------------------------------

    def handle(self, handler: BaseHTTPRequestHandler) -> None:
        parts = urlsplit(handler.path)
        resource = parts.path.removeprefix(PREFIX) if parts.path.startswith(PREFIX) else ""
        request = Request(handler.command, resource, parse_qs(parts.query), handler.path)
        with self._lock:
            self.requests.append(request)
            if resource:
                self.units += 1
            failure = self._next_failure(resource)
            self.at_once += 1
            self.most_at_once = max(self.most_at_once, self.at_once)
        try:  # counted while it is answered, not while the answer is sent
            if self.delay:
                time.sleep(self.delay)
            if failure is not None:
                status, body, headers = failure.status, failure.body, failure.headers
            else:
                status, body = self.answer(request)
                headers = {}
            payload = json.dumps(body).encode()
        finally:
            with self._lock:
                self.at_once -= 1
        try:
            handler.send_response(status)
            handler.send_header("Content-Type", "application/json; charset=UTF-8")
            for name, value in headers.items():
                handler.send_header(name, value)
            handler.send_header("Content-Length", str(len(payload)))
            handler.end_headers()
            handler.wfile.write(payload)
        except (BrokenPipeError, ConnectionResetError):
            pass

    def _next_failure(self, resource: str) -> _Failure | None:
        queue = self._failures.get(resource)
        if not queue:
            return None
        failure = queue[0]
        failure.times -= 1
        if failure.times <= 0:
            queue.pop(0)
        return failure

    def answer(self, request: Request) -> tuple[int, Any]:
        key = request.get("key")
        if key is None:
            return 403, error_body(
                403, "forbidden", "Method doesn't allow unregistered callers.", "global"
            )
        if self.keys is not None and key not in self.keys:
            return 400, error_body(
                400, "API_KEY_INVALID", "API key not valid. Please pass a valid API key."
            )
        if request.get("part") is None:
            return 400, error_body(400, "required", "No filter selected.", "global")
        if request.resource == "videos":
            return self._list_by_id(request, "youtube#video", self.videos)
        if request.resource == "channels":
            handle = request.get("forHandle")
            if handle is not None:
                channel = self.handles.get(("@" + handle.lstrip("@")).lower())
                found = {channel: self.channels[channel]} if channel in self.channels else {}
                return 200, self._page("youtube#channel", found, omit_empty=True)
            return self._list_by_id(request, "youtube#channel", self.channels)
        if request.resource == "playlistItems":
            return self._playlist_page(request)
        return 404, error_body(404, "notFound", "Not Found", "global")

    def _list_by_id(
        self, request: Request, kind: str, known: Mapping[str, Mapping[str, Any]]
    ) -> tuple[int, Any]:
        ids = request.ids
        if len(ids) > MAX_IDS:
            return 400, error_body(
                400, "badRequest", f"The request specifies more than {MAX_IDS} ids.", "global"
            )
        found = {item: known[item] for item in ids if item in known}
        return 200, self._page(kind, found, omit_empty=kind == "youtube#channel")

    @staticmethod
    def _page(kind: str, found: Mapping[str, Mapping[str, Any]], *, omit_empty: bool) -> Any:
        body: dict[str, Any] = {
            "kind": kind + "ListResponse",
            "etag": "fake-etag",
            "pageInfo": {"totalResults": len(found), "resultsPerPage": len(found)},
        }
        if found or not omit_empty:
            body["items"] = [
                {"kind": kind, "etag": "fake-etag", "id": item, "statistics": dict(stats)}
                for item, stats in found.items()
            ]
        return body

    def _playlist_page(self, request: Request) -> tuple[int, Any]:
        playlist = request.get("playlistId")
        if playlist not in self.playlists:
            return 404, error_body(
                404,
                "playlistNotFound",
                "The playlist identified with the request's <code>playlistId</code> parameter "
                "cannot be found.",
            )
        videos = self.playlists[playlist]
        size = min(int(request.get("maxResults") or 5), self.page_size)
        start = int(request.get("pageToken") or "0")
        page = videos[start : start + size]
        body: dict[str, Any] = {
            "kind": "youtube#playlistItemListResponse",
            "etag": "fake-etag",
            "items": [
                {
                    "kind": "youtube#playlistItem",
                    "etag": "fake-etag",
                    "id": f"item-{start + offset}",
                    "contentDetails": {
                        "videoId": video,
                        "videoPublishedAt": "2026-07-01T00:00:00Z",
                    },
                }
                for offset, video in enumerate(page)
            ],
            "pageInfo": {"totalResults": len(videos), "resultsPerPage": size},
        }
        if start + size < len(videos):
            body["nextPageToken"] = str(start + size)
        return 200, body
