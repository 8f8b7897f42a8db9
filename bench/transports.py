"""What an HTTP request costs through each transport, at the refresh's concurrency (issue 7).

The refresh's requests (the 5,000 JSON endpoints and the 100 ``videos.list`` calls of the
`refresh-bound` row), against the fake API in its own process, `concurrency` at a time, through:

- ``requests``: a `requests.Session` per thread (what okrkit's client was, and a user's script);
- ``urllib3``: one `urllib3.PoolManager` shared by the threads;
- ``http.client``: an `http.client.HTTPConnection` per thread, kept alive;
- ``okrkit``: `okrkit.connectors.HttpClient`, as a refresh uses it (``context.http``);
- ``aiohttp``: no pool of threads, but one asyncio event loop making the requests `concurrency`
  at a time, where aiohttp is installed (it is no dependency of okrkit): what a transport
  without a thread per request would cost.

Each is timed `rounds` times, in turn, and the best counts; the CPU is the process's (every
thread's) per request. Not a row of the table: it is how the transport was chosen, and how to
check the choice again (``python -m bench.transports``).
"""

from __future__ import annotations

import argparse
import http.client
import json
import math
import threading
import time
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from typing import TYPE_CHECKING, Any
from urllib.parse import urlencode, urlsplit

from bench.fakeapi import MAX_IDS, FakeApiServer
from bench.harness import Sizes
from bench.workload import API_KEY, TOKEN, refresh_workload

if TYPE_CHECKING:
    from bench.workload import RefreshWorkload

__all__ = ["TRANSPORTS", "main", "measure"]

Call = tuple[str, dict[str, str] | None]
Get = Callable[[str, dict[str, str] | None], None]
Runner = Callable[[list[Call], int], None]
HEADERS = {"Authorization": f"Bearer {TOKEN}"}


def _calls(workload: RefreshWorkload, url: str) -> list[Call]:
    """The refresh's requests: the videos 50 ids a call, then the JSON endpoints."""
    distinct = list(dict.fromkeys(video for listed in workload.videos for video in listed))
    calls: list[Call] = [
        (
            f"{url}/youtube/v3/videos",
            {
                "part": "statistics",
                "id": ",".join(distinct[start : start + MAX_IDS]),
                "key": API_KEY,
            },
        )
        for start in range(0, len(distinct), MAX_IDS)
    ]
    return calls + [(endpoint, None) for endpoint in workload.urls]


def _requests() -> Get:
    import requests  # noqa: PLC0415

    local = threading.local()

    def get(target: str, params: dict[str, str] | None) -> None:
        session = getattr(local, "session", None)
        if session is None:
            session = local.session = requests.Session()
        session.get(target, params=params, headers=HEADERS, timeout=10).json()

    return get


def _urllib3() -> Get:
    import urllib3  # noqa: PLC0415

    manager = urllib3.PoolManager(maxsize=64, timeout=urllib3.Timeout(10), retries=False)

    def get(target: str, params: dict[str, str] | None) -> None:
        json.loads(manager.request("GET", target, fields=params, headers=HEADERS).data)

    return get


def _http_client() -> Get:
    local = threading.local()

    def get(target: str, params: dict[str, str] | None) -> None:
        parts = urlsplit(target)
        connection = getattr(local, "connection", None)
        if connection is None:
            connection = local.connection = http.client.HTTPConnection(
                parts.hostname or "", parts.port, timeout=10
            )
        path = parts.path + (f"?{urlencode(params)}" if params else "")
        connection.request("GET", path, headers=HEADERS)
        answer = connection.getresponse()
        body = answer.read()
        if answer.status != 200:
            raise RuntimeError(f"HTTP {answer.status} from {target}")
        json.loads(body)

    return get


def _okrkit() -> Get:
    from okrkit.connectors import HttpClient  # noqa: PLC0415

    client = HttpClient()

    def get(target: str, params: dict[str, str] | None) -> None:
        client.get_json(target, params=params, headers=HEADERS)

    return get


def _threaded(make: Callable[[], Get]) -> Runner:
    """The calls on a pool of `concurrency` threads, through a ``get`` made for the round."""

    def run(calls: list[Call], concurrency: int) -> None:
        get = make()
        with ThreadPoolExecutor(max_workers=concurrency) as pool:
            for future in [pool.submit(get, target, params) for target, params in calls]:
                future.result()

    return run


def _aiohttp(calls: list[Call], concurrency: int) -> None:
    """The calls on one thread: an asyncio event loop and an aiohttp session (its HTTP parser is
    in C), `concurrency` at once. Not a dependency of okrkit: measured only where aiohttp is
    installed, as what a transport without a thread per request would cost."""
    import asyncio  # noqa: PLC0415

    import aiohttp  # type: ignore[import-not-found, unused-ignore]  # noqa: PLC0415

    async def main() -> None:
        limit = asyncio.Semaphore(concurrency)
        connector = aiohttp.TCPConnector(limit=concurrency)
        async with aiohttp.ClientSession(connector=connector) as session:

            async def get(target: str, params: dict[str, str] | None) -> None:
                async with limit, session.get(target, params=params, headers=HEADERS) as answer:
                    body = await answer.read()
                    if answer.status != 200:
                        raise RuntimeError(f"HTTP {answer.status} from {target}")
                    json.loads(body)

            await asyncio.gather(*(get(target, params) for target, params in calls))

    asyncio.run(main())


#: Each transport's name and how it makes a round of calls (`calls`, `concurrency`).
TRANSPORTS: dict[str, Runner] = {
    "requests": _threaded(_requests),
    "urllib3": _threaded(_urllib3),
    "http.client": _threaded(_http_client),
    "okrkit": _threaded(_okrkit),
    "aiohttp": _aiohttp,
}


def available() -> tuple[str, ...]:
    """The transports this machine can measure: aiohttp only where it is installed."""
    import importlib.util  # noqa: PLC0415

    return tuple(
        name
        for name in TRANSPORTS
        if name != "aiohttp" or importlib.util.find_spec("aiohttp") is not None
    )


def measure(sizes: Sizes, rounds: int = 4, names: tuple[str, ...] = ()) -> dict[str, Any]:
    """Time each transport `rounds` times, in turn; the best wall time and CPU of each."""
    names = names or available()
    with FakeApiServer(latency=sizes.latency, token=TOKEN) as server:
        calls = _calls(refresh_workload(sizes, server.url), server.url)
        for name in names:  # warm up: imports, first connections
            TRANSPORTS[name](calls[:200], sizes.concurrency)
        walls: dict[str, list[float]] = {name: [] for name in names}
        cpus: dict[str, list[float]] = {name: [] for name in names}
        for _ in range(rounds):
            for name in names:
                cpu, started = time.process_time(), time.perf_counter()
                TRANSPORTS[name](calls, sizes.concurrency)
                walls[name].append(time.perf_counter() - started)
                cpus[name].append(time.process_time() - cpu)
    bound = len(calls) * sizes.latency / sizes.concurrency
    return {
        "requests": len(calls),
        "latency_s": sizes.latency,
        "concurrency": sizes.concurrency,
        "bound_s": bound,
        "transports": {
            name: {
                "best_s": min(walls[name]),
                "times_s": walls[name],
                "ratio_to_bound": min(walls[name]) / bound if bound else math.nan,
                "cpu_us_per_request": min(cpus[name]) / len(calls) * 1e6,
            }
            for name in names
        },
    }


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(prog="python -m bench.transports", description=__doc__)
    parser.add_argument("--latency", type=float, default=Sizes.latency, help="seconds")
    parser.add_argument("--rounds", type=int, default=4)
    parser.add_argument("--only", nargs="+", choices=tuple(TRANSPORTS), default=available())
    options = parser.parse_args(argv)
    sizes = Sizes(latency=options.latency)
    found = measure(sizes, options.rounds, tuple(options.only))
    print(  # noqa: T201
        f"{found['requests']} GETs, {sizes.latency * 1000:g} ms latency, "
        f"{sizes.concurrency} at a time: lower bound {found['bound_s']:.2f} s"
    )
    for name, row in found["transports"].items():
        ratio = f"{row['ratio_to_bound']:.2f}x the bound" if found["bound_s"] else ""
        print(  # noqa: T201
            f"{name:12} {row['best_s']:6.2f} s  {ratio:18} "
            f"{row['cpu_us_per_request']:5.0f} µs of CPU a request"
        )


if __name__ == "__main__":
    main()
