"""A fake API server for the benchmarks: a JSON endpoint and the YouTube Data API's list calls.

It is an asyncio server on 127.0.0.1 that runs in its own process (`FakeApiServer` starts and
stops it), so its work does not compete for the benchmarked process's interpreter lock. Every
answer waits `latency` seconds first, as a remote API would, without holding a thread.

Routes:

- ``GET /metrics/N``: ``{"data": {"total": N, "unit": "count"}}``, with ``Authorization:
  Bearer TOKEN`` required when the server was started with a token;
- ``GET /youtube/v3/videos?part=statistics&id=A,B&key=K``: the statistics of up to 50 videos,
  shaped like the YouTube Data API v3 (counts as text); ids ``v0000000000``, ``v0000000001``...
  exist (`video_id`), with ``viewCount`` = 100 + the id's number;
- ``GET /youtube/v3/channels?part=statistics&id=...``: the same for channels ``UC`` + 22 digits;
- ``GET /_stats``: the requests counted since the last ``GET /_reset`` (no latency on either).

Run it alone with ``python -m bench.fakeapi --latency 0.02``: it prints ``listening on PORT``.
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import json
import subprocess
import sys
import urllib.request
from collections import Counter
from typing import Any, Self
from urllib.parse import parse_qs, urlsplit

__all__ = ["FakeApiServer", "channel_id", "video_id", "view_count"]

MAX_IDS = 50
_REASONS = {200: "OK", 400: "Bad Request", 401: "Unauthorized", 404: "Not Found"}


def video_id(number: int) -> str:
    """The id of the fake API's video `number`: 11 characters, as YouTube's."""
    return f"v{number:010d}"


def channel_id(number: int) -> str:
    """The id of the fake API's channel `number`: UC and 22 characters, as YouTube's."""
    return f"UC{number:022d}"


def view_count(number: int) -> int:
    """The views of video (or channel) `number`."""
    return 100 + number


def _number_of(identifier: str, prefix: str, length: int) -> int | None:
    rest = identifier[len(prefix) :]
    if len(identifier) != length or not identifier.startswith(prefix) or not rest.isdigit():
        return None
    return int(rest)


class _Api:
    """The answers and the counts; one per server process."""

    def __init__(self, latency: float, token: str | None) -> None:
        self.latency = latency
        self.token = token
        self.counts: Counter[str] = Counter()
        self.ids: set[str] = set()
        self.in_flight = 0
        self.most_in_flight = 0

    def answer(self, target: str, headers: dict[str, str]) -> tuple[int, Any]:
        parts = urlsplit(target)
        path = parts.path
        if path.startswith("/metrics/"):
            self.counts["metrics"] += 1
            if self.token is not None and headers.get("authorization") != f"Bearer {self.token}":
                return 401, {"error": "missing or wrong bearer token"}
            tail = path.removeprefix("/metrics/")
            if not tail.isdigit():
                return 404, {"error": f"no metric {tail!r}"}
            return 200, {"data": {"total": int(tail), "unit": "count"}}
        if path.startswith("/youtube/v3/"):
            return self.youtube(path.removeprefix("/youtube/v3/"), parse_qs(parts.query))
        return 404, {"error": f"no route {path}"}

    def youtube(self, resource: str, query: dict[str, list[str]]) -> tuple[int, Any]:
        self.counts[f"{resource}.list"] += 1
        if not query.get("key"):
            return 400, _google_error(
                400, "forbidden", "Method doesn't allow unregistered callers."
            )
        if resource not in ("videos", "channels"):
            return 404, _google_error(404, "notFound", "Not Found")
        ids = (query.get("id") or [""])[0].split(",")
        ids = [item for item in ids if item]
        if len(ids) > MAX_IDS:
            return 400, _google_error(400, "badRequest", "The request specifies more than 50 ids.")
        self.ids.update(ids)
        self.counts[f"{resource}.ids"] += len(ids)
        prefix, length = ("v", 11) if resource == "videos" else ("UC", 24)
        items = []
        for item in ids:
            number = _number_of(item, prefix, length)
            if number is None:
                continue
            statistics = {"viewCount": str(view_count(number))}
            if resource == "videos":
                statistics |= {"likeCount": str(number % 1000), "commentCount": "1"}
            else:
                statistics |= {"subscriberCount": "10", "videoCount": "3"}
            kind = "youtube#video" if resource == "videos" else "youtube#channel"
            items.append({"kind": kind, "etag": "e", "id": item, "statistics": statistics})
        kind = (
            "youtube#videoListResponse" if resource == "videos" else "youtube#channelListResponse"
        )
        page = {"totalResults": len(items), "resultsPerPage": len(items)}
        return 200, {"kind": kind, "etag": "e", "items": items, "pageInfo": page}

    def stats(self) -> dict[str, Any]:
        return {
            "counts": dict(self.counts),
            "distinct_ids": len(self.ids),
            "most_in_flight": self.most_in_flight,
        }

    def reset(self) -> None:
        self.counts.clear()
        self.ids.clear()
        self.most_in_flight = self.in_flight

    async def serve(self, reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        try:
            while True:
                try:
                    head = await reader.readuntil(b"\r\n\r\n")
                except (asyncio.IncompleteReadError, asyncio.LimitOverrunError):
                    return
                lines = head.decode("latin-1").split("\r\n")
                method, target, version = [*lines[0].split(" "), "", "", ""][:3]
                headers = {}
                for line in lines[1:]:
                    name, _, value = line.partition(":")
                    if name:
                        headers[name.strip().lower()] = value.strip()
                length = int(headers.get("content-length") or 0)
                if length:
                    await reader.readexactly(length)
                status, body = await self.respond(method, target, headers)
                payload = json.dumps(body, separators=(",", ":")).encode()
                close = headers.get("connection", "").lower() == "close" or version == "HTTP/1.0"
                writer.write(
                    (
                        f"HTTP/1.1 {status} {_REASONS.get(status, 'Error')}\r\n"
                        "Content-Type: application/json; charset=UTF-8\r\n"
                        f"Content-Length: {len(payload)}\r\n"
                        f"{'Connection: close' if close else 'Connection: keep-alive'}\r\n\r\n"
                    ).encode("latin-1")
                    + payload
                )
                await writer.drain()
                if close:
                    return
        except (ConnectionError, asyncio.CancelledError):  # a client gone, or the server stopping
            return
        finally:
            writer.close()

    async def respond(self, method: str, target: str, headers: dict[str, str]) -> tuple[int, Any]:
        if target == "/_stats":
            return 200, self.stats()
        if target == "/_reset":
            self.reset()
            return 200, {"reset": True}
        self.in_flight += 1
        self.most_in_flight = max(self.most_in_flight, self.in_flight)
        try:
            if self.latency > 0:
                await asyncio.sleep(self.latency)
            if method not in ("GET", "POST"):
                return 400, {"error": f"method {method} not allowed"}
            return self.answer(target, headers)
        finally:
            self.in_flight -= 1


def _google_error(status: int, reason: str, message: str) -> dict[str, Any]:
    errors = [{"message": message, "domain": "youtube", "reason": reason}]
    return {"error": {"code": status, "message": message, "errors": errors}}


async def _main(latency: float, token: str | None, port: int) -> None:
    api = _Api(latency, token)
    server = await asyncio.start_server(api.serve, "127.0.0.1", port, backlog=1024)
    bound = server.sockets[0].getsockname()[1]
    print(f"listening on {bound}", flush=True)  # noqa: T201  # the parent reads the port here
    loop = asyncio.get_running_loop()
    stdin_closed = loop.create_future()

    def watch_stdin() -> None:  # the parent closing our stdin (or dying) stops the server
        sys.stdin.read()
        loop.call_soon_threadsafe(stdin_closed.set_result, None)

    loop.run_in_executor(None, watch_stdin)
    async with server:
        await stdin_closed


class FakeApiServer:
    """The fake API in a child process, for a `with` block: ``url``, `stats` and `reset`."""

    def __init__(self, *, latency: float = 0.0, token: str | None = None) -> None:
        command = [sys.executable, "-m", "bench.fakeapi", "--latency", repr(latency)]
        if token is not None:
            command += ["--token", token]
        self.latency = latency
        self.process = subprocess.Popen(  # noqa: S603  # our own module, our own arguments
            command, stdin=subprocess.PIPE, stdout=subprocess.PIPE, text=True
        )
        assert self.process.stdout is not None  # noqa: S101  # stdout=PIPE
        line = self.process.stdout.readline()
        if not line.startswith("listening on "):
            self.close()
            raise RuntimeError(f"the fake API did not start: {line!r}")
        self.url = f"http://127.0.0.1:{int(line.split()[-1])}"

    def __enter__(self) -> Self:
        return self

    def __exit__(self, *_: object) -> None:
        self.close()

    def _get(self, path: str) -> Any:
        with urllib.request.urlopen(self.url + path, timeout=10) as answer:  # noqa: S310  # ours
            return json.loads(answer.read())

    def stats(self) -> dict[str, Any]:
        """``{"counts": {"metrics": n, "videos.list": n, ...}, "distinct_ids": n, ...}``."""
        return self._get("/_stats")  # type: ignore[no-any-return]

    def reset(self) -> None:
        self._get("/_reset")

    def close(self) -> None:
        if self.process.poll() is None:
            with contextlib.suppress(OSError):
                assert self.process.stdin is not None  # noqa: S101  # stdin=PIPE
                self.process.stdin.close()
            try:
                self.process.wait(timeout=5)
            except subprocess.TimeoutExpired:
                self.process.kill()
                self.process.wait()
        if self.process.stdout is not None:
            self.process.stdout.close()


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(prog="python -m bench.fakeapi", description=__doc__)
    parser.add_argument("--latency", type=float, default=0.0, help="seconds before each answer")
    parser.add_argument("--token", default=None, help="the bearer token /metrics requires")
    parser.add_argument("--port", type=int, default=0, help="0: any free port")
    options = parser.parse_args(argv)
    with contextlib.suppress(KeyboardInterrupt):
        asyncio.run(_main(options.latency, options.token, options.port))


if __name__ == "__main__":
    main()
