"""The workers rows: one refresh of a plan shared by 2 and 4 worker processes, against 1.

Each worker is the real command, ``okrkit refresh FILE --store URL --shard K/N``, in its own
process (as a scheduler starts them), every one limited to the same number of requests at a time
(`WORKER_CONCURRENCY`: what one process may ask of a rate-limited source). They share one store:
a SQLite file, or a PostgreSQL schema when ``OKRKIT_BENCH_POSTGRES_URL`` (or the test suite's
``OKRKIT_TEST_POSTGRES_URL``) names a server. The time counted is from starting the first
worker to the last one's exit: process start, imports and the store's writes included. Each run
must measure every key result once, and the fake API must have been asked once per key result.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
import tempfile
import time
import uuid
from pathlib import Path
from typing import TYPE_CHECKING, Any

from bench.fakeapi import FakeApiServer
from bench.harness import Result
from bench.workload import TOKEN, refresh_workload

if TYPE_CHECKING:
    from bench.harness import Sizes

__all__ = ["ROWS", "run_rows"]

ROWS = ("workers-2", "workers-4", "workers-4-postgresql")

#: Requests at once in each worker.
WORKER_CONCURRENCY = 8
#: Key results in the plan (all of them JSON endpoints).
KEY_RESULTS = 2_000
#: The speed-up each row must show over one worker: ratio = time with N / time with 1.
GOALS = {2: 0.67, 4: 0.4}


def _postgres_url() -> str | None:
    return (
        os.environ.get("OKRKIT_BENCH_POSTGRES_URL")
        or os.environ.get("OKRKIT_TEST_POSTGRES_URL")
        or None
    )


def _shared_run(
    okr_file: Path, store_url: str, workers: int, environ: dict[str, str]
) -> tuple[float, int]:
    """Run `workers` workers at once; the wall time and the key results they measured."""
    started = time.perf_counter()
    processes = [
        subprocess.Popen(  # noqa: S603  # our own interpreter and command
            [
                sys.executable,
                "-m",
                "okrkit",
                "refresh",
                str(okr_file),
                "--store",
                store_url,
                "--shard",
                f"{index}/{workers}",
                "--concurrency",
                str(WORKER_CONCURRENCY),
                "--at",
                "2026-08-15",
                "--format",
                "json",
                "--quiet",
            ],
            stdout=subprocess.PIPE,
            stderr=subprocess.PIPE,
            text=True,
            env={**os.environ, **environ},
        )
        for index in range(1, workers + 1)
    ]
    measured = 0
    for process in processes:
        out, errors = process.communicate(timeout=600)
        if process.returncode != 0:
            raise RuntimeError(f"a worker failed ({process.returncode}): {errors[-2000:]}")
        measured += json.loads(out)["measured"]
    return time.perf_counter() - started, measured


def _series(
    folder: Path, sizes: Sizes, server: FakeApiServer, store_url: Any, counts: tuple[int, ...]
) -> dict[int, list[float]]:
    """Time 1, 2 and 4 workers, in turn, `repeats` times each; a new store for every run."""
    key_results = 40 if sizes.smoke else KEY_RESULTS
    workload = refresh_workload(_http_only(sizes, key_results), server.url)
    okr_file = folder / "okrs.yaml"
    okr_file.write_text(workload.text, encoding="utf-8")
    repeats = 1 if sizes.smoke else 3
    times: dict[int, list[float]] = {count: [] for count in counts}
    for attempt in range(repeats):
        for count in counts:
            server.reset()
            seconds, measured = _shared_run(
                okr_file, store_url(f"{count}-{attempt}"), count, workload.environ
            )
            asked = server.stats().get("counts", {}).get("metrics", 0)
            if measured != key_results or asked != key_results:
                raise RuntimeError(
                    f"{count} workers measured {measured} and asked {asked} times for "
                    f"{key_results} key results"
                )
            times[count].append(seconds)
    return times


def _http_only(sizes: Sizes, key_results: int) -> Sizes:
    from dataclasses import replace  # noqa: PLC0415

    return replace(sizes, http_key_results=key_results, youtube_key_results=0, videos=1)


def _results(
    times: dict[int, list[float]], sizes: Sizes, backend: str, rows: set[str]
) -> list[Result]:
    one = min(times[1])
    out = []
    for count in (2, 4):
        row = f"workers-{count}" + ("-postgresql" if backend == "postgresql" else "")
        if row not in rows:
            continue
        out.append(
            Result(
                row,
                f"refresh shared by {count} workers ({backend})",
                min(times[count]),
                one,
                "s",
                f"1 worker, {WORKER_CONCURRENCY} requests at once each",
                f"ratio <= {GOALS[count]}",
                GOALS[count],
                details={
                    "backend": backend,
                    "key_results": 40 if sizes.smoke else KEY_RESULTS,
                    "latency_s": sizes.latency,
                    "worker_concurrency": WORKER_CONCURRENCY,
                    "times_s": {str(k): v for k, v in times.items()},
                    "lower_bound_1_worker_s": (40 if sizes.smoke else KEY_RESULTS)
                    * sizes.latency
                    / WORKER_CONCURRENCY,
                },
            )
        )
    return out


def run_rows(sizes: Sizes, wanted: set[str]) -> list[Result]:
    results: list[Result] = []
    with (
        tempfile.TemporaryDirectory(prefix="okrkit-bench-") as name,
        FakeApiServer(latency=sizes.latency, token=TOKEN) as server,
    ):
        folder = Path(name)
        if wanted & {"workers-2", "workers-4"}:
            times = _series(
                folder, sizes, server, lambda tag: str(folder / f"store-{tag}.db"), (1, 2, 4)
            )
            results += _results(times, sizes, "sqlite", wanted)
        url = _postgres_url()
        if "workers-4-postgresql" in wanted and url is not None:
            schema = f"bench_{uuid.uuid4().hex[:8]}"
            separator = "&" if "?" in url else "?"
            try:
                times = _series(
                    folder,
                    sizes,
                    server,
                    lambda tag: f"{url}{separator}schema={schema}_{tag.replace('-', '_')}",
                    (1, 4),
                )
            finally:
                _drop_schemas(url, schema)
            results += _results(times, sizes, "postgresql", wanted)
        elif "workers-4-postgresql" in wanted:
            print(  # noqa: T201
                "workers-4-postgresql: skipped (set OKRKIT_BENCH_POSTGRES_URL)", file=sys.stderr
            )
    return results


def _drop_schemas(url: str, prefix: str) -> None:
    import psycopg  # noqa: PLC0415

    with psycopg.connect(url.split("?", maxsplit=1)[0], autocommit=True) as connection:
        names = connection.execute(
            "SELECT nspname FROM pg_namespace WHERE nspname LIKE %s", (prefix + "%",)
        ).fetchall()
        for (schema,) in names:
            connection.execute(f'DROP SCHEMA "{schema}" CASCADE')
