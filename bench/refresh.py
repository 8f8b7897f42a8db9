"""The refresh rows: throughput against the lower bound and a naive script, per-request overhead
against a bare `requests` loop, and the YouTube quota against its minimum.

The refresh is the real one: `okrkit.refresh` with the installed ``http`` and ``youtube``
connectors found through `Registry()`, `concurrency` requests at a time, into a SQLite store in
a temporary folder, against the fake API (`bench.fakeapi`) in another process.
"""

from __future__ import annotations

import datetime as dt
import math
import tempfile
import time
from pathlib import Path
from typing import TYPE_CHECKING, Any

from bench.fakeapi import MAX_IDS, FakeApiServer, view_count
from bench.harness import Result, best_of
from bench.workload import API_KEY, TOKEN, refresh_workload

if TYPE_CHECKING:
    from collections.abc import Callable

    from bench.harness import Sizes
    from bench.workload import RefreshWorkload

__all__ = ["ROWS", "run_rows"]

ROWS = ("refresh-bound", "refresh-naive", "request-overhead", "quota")
AT = dt.datetime(2026, 8, 15, 12, tzinfo=dt.UTC)


def _refresh_once(workload: RefreshWorkload, sizes: Sizes, folder: Path, number: int) -> Any:
    import okrkit  # noqa: PLC0415
    from okrkit.connectors import Registry  # noqa: PLC0415

    plan = okrkit.loads(workload.text, path=str(folder / "okrs.yaml"))
    with okrkit.open_store(folder / f"refresh-{number}.db") as store:
        started = time.perf_counter()
        result = okrkit.refresh(
            plan,
            store,
            registry=Registry(),
            environ=workload.environ,
            at=AT,
            concurrency=sizes.concurrency,
        )
        seconds = time.perf_counter() - started
    _check(result, workload)
    return seconds, result


def _check(result: Any, workload: RefreshWorkload) -> None:
    """The benchmark counts only a refresh that measured every key result right."""
    wrong = [
        f"{outcome.key_result}: {outcome.status} {outcome.value} {outcome.error or ''}"
        for outcome in result.outcomes
        if outcome.status != "measured" or outcome.value != workload.expected[outcome.key_result]
    ]
    if wrong or len(result.outcomes) != workload.key_results:
        shown = "; ".join(wrong[:3])
        raise RuntimeError(f"the refresh went wrong ({len(wrong)} key results): {shown}")


def _timed_refreshes(
    workload: RefreshWorkload,
    sizes: Sizes,
    server: FakeApiServer,
    baseline: Callable[[], object],
) -> tuple[list[float], list[float], dict[str, Any]]:
    """`refresh_repeats` refreshes, each followed by a run of `baseline`, so that a noisy moment
    of the machine hits both (a first refresh warms the imports up, untimed). Returns the
    refreshes' times, the baseline's, and the fake API's counts of the last refresh."""
    with tempfile.TemporaryDirectory(prefix="okrkit-bench-") as folder:
        _refresh_once(workload, sizes, Path(folder), 0)  # imports googleapiclient & co.
        times: list[float] = []
        baseline_times: list[float] = []
        stats: dict[str, Any] = {}
        for number in range(1, sizes.refresh_repeats + 1):
            server.reset()
            seconds, _ = _refresh_once(workload, sizes, Path(folder), number)
            stats = server.stats()
            times.append(seconds)
            baseline_times += best_of(1, baseline)[1]
    return times, baseline_times, stats


def _bare_loop(workload: RefreshWorkload, url: str) -> None:
    """The same requests, made one after the other on one `requests.Session`: the JSON endpoints,
    then the distinct videos 50 ids a call."""
    import requests  # noqa: PLC0415

    headers = {"Authorization": f"Bearer {TOKEN}"}
    with requests.Session() as session:
        for endpoint in workload.urls:
            session.get(endpoint, headers=headers, timeout=10).json()
        distinct = list(dict.fromkeys(video for listed in workload.videos for video in listed))
        for start in range(0, len(distinct), MAX_IDS):
            ids = ",".join(distinct[start : start + MAX_IDS])
            params = {"part": "statistics", "id": ids, "key": API_KEY, "maxResults": "50"}
            session.get(f"{url}/youtube/v3/videos", params=params, timeout=10).json()


def _threaded_requests(workload: RefreshWorkload, url: str, concurrency: int) -> None:
    """The same requests as `_bare_loop`, `concurrency` at a time on a pool of threads with a
    `requests.Session` each: what `requests` alone costs at the refresh's concurrency."""
    import threading  # noqa: PLC0415
    from concurrent.futures import ThreadPoolExecutor  # noqa: PLC0415

    import requests  # noqa: PLC0415

    local = threading.local()
    headers = {"Authorization": f"Bearer {TOKEN}"}

    def get(target: str, params: dict[str, str] | None) -> None:
        session = getattr(local, "session", None)
        if session is None:
            session = local.session = requests.Session()
        session.get(target, params=params, headers=headers, timeout=10).json()

    distinct = list(dict.fromkeys(video for listed in workload.videos for video in listed))
    calls: list[tuple[str, dict[str, str] | None]] = [
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
    calls += [(endpoint, None) for endpoint in workload.urls]
    with ThreadPoolExecutor(max_workers=concurrency) as pool:
        for future in [pool.submit(get, target, params) for target, params in calls]:
            future.result()


def _naive(workload: RefreshWorkload, url: str, sample: int) -> tuple[float, int]:
    """A naive script: one `requests.get` per key result, one after the other, on `sample` key
    results spread over the plan. Returns the seconds per key result and the sample's size."""
    import requests  # noqa: PLC0415

    headers = {"Authorization": f"Bearer {TOKEN}"}
    everything: list[tuple[str, Any]] = [("http", endpoint) for endpoint in workload.urls]
    everything += [("youtube", listed) for listed in workload.videos]
    step = max(1, len(everything) // max(1, sample))
    chosen = everything[::step][:sample]
    started = time.perf_counter()
    for kind, what in chosen:
        if kind == "http":
            value = requests.get(what, headers=headers, timeout=10).json()["data"]["total"]
        else:
            params = {"part": "statistics", "id": ",".join(what), "key": API_KEY}
            answer = requests.get(f"{url}/youtube/v3/videos", params=params, timeout=10).json()
            value = sum(int(item["statistics"]["viewCount"]) for item in answer["items"])
            if value != sum(view_count(int(video[1:])) for video in what):
                raise RuntimeError("the naive script read a wrong value")
    return (time.perf_counter() - started) / len(chosen), len(chosen)


def run_rows(sizes: Sizes, wanted: set[str]) -> list[Result]:
    results: list[Result] = []
    requests_needed = 0
    if wanted & {"refresh-bound", "refresh-naive", "quota"}:
        with FakeApiServer(latency=sizes.latency, token=TOKEN) as server:
            workload = refresh_workload(sizes, server.url)
            minimum_calls = math.ceil(workload.distinct_videos / MAX_IDS)
            requests_needed = len(workload.urls) + minimum_calls
            times, floors, stats = _timed_refreshes(
                workload,
                sizes,
                server,
                lambda: _threaded_requests(workload, server.url, sizes.concurrency),
            )
            best, floor = min(times), min(floors)
            counts = stats.get("counts", {})
            shape = {
                "key_results": workload.key_results,
                "http_key_results": len(workload.urls),
                "youtube_key_results": len(workload.videos),
                "distinct_videos": workload.distinct_videos,
                "latency_s": sizes.latency,
                "concurrency": sizes.concurrency,
                "requests_needed": requests_needed,
                "requests_made": sum(
                    count for name, count in counts.items() if not name.endswith(".ids")
                ),
                "most_in_flight": stats.get("most_in_flight"),
                "times_s": times,
                # the same requests with requests alone, on as many threads: no planning, no
                # store, no YouTube client; what the HTTP library costs at this concurrency
                "requests_alone_threaded_s": floor,
                "requests_alone_threaded_times_s": floors,
            }
            if "refresh-bound" in wanted:
                bound = requests_needed * sizes.latency / sizes.concurrency
                results.append(
                    Result(
                        "refresh-bound",
                        "refresh throughput",
                        best,
                        bound,
                        "s",
                        "lower bound: requests x latency / concurrency",
                        "ratio <= 1.5",
                        1.5,
                        details=shape,
                    )
                )
            if "refresh-naive" in wanted:
                per_key_result, sampled = _naive(workload, server.url, sizes.naive_sample)
                naive = per_key_result * workload.key_results
                results.append(
                    Result(
                        "refresh-naive",
                        "refresh throughput",
                        best,
                        naive,
                        "s",
                        "naive script: requests.get per key result, sequential",
                        "ratio <= 1/30 (30x faster)",
                        1 / 30,
                        details={
                            **shape,
                            "naive_sampled_key_results": sampled,
                            "naive_seconds_per_key_result": per_key_result,
                            "naive_scaled_to": workload.key_results,
                        },
                    )
                )
            if "quota" in wanted:
                calls = counts.get("videos.list", 0)
                results.append(
                    Result(
                        "quota",
                        "YouTube API quota",
                        calls,
                        minimum_calls,
                        "calls",
                        "one videos.list per 50 distinct videos",
                        "exactly the minimum",
                        1.0,
                        exact=True,
                        details={
                            "distinct_videos": workload.distinct_videos,
                            "videos_listed_by_key_results": sum(map(len, workload.videos)),
                            "ids_asked": counts.get("videos.ids", 0),
                            "youtube_key_results": len(workload.videos),
                        },
                    )
                )
    if "request-overhead" in wanted:
        with FakeApiServer(latency=0.0, token=TOKEN) as server:
            workload = refresh_workload(sizes, server.url)
            times, bare_times, _ = _timed_refreshes(
                workload, sizes, server, lambda: _bare_loop(workload, server.url)
            )
            best, bare = min(times), min(bare_times)
            minimum_calls = math.ceil(workload.distinct_videos / MAX_IDS)
            results.append(
                Result(
                    "request-overhead",
                    "per-request overhead (refresh at 0 ms latency)",
                    best,
                    bare,
                    "s",
                    "bare requests.Session loop, same requests",
                    "ratio <= 1.5",
                    1.5,
                    details={
                        "key_results": workload.key_results,
                        "requests": len(workload.urls) + minimum_calls,
                        "concurrency": sizes.concurrency,
                        "times_s": times,
                        "bare_times_s": bare_times,
                    },
                )
            )
    return results
