"""Workers sharing one store: four processes refresh 2,000 key results against a local source.

Each worker is the real command (`okrkit refresh --shard K/4`) in its own process; the source is
a real HTTP server on 127.0.0.1 that counts every request. Checked: the shards split the plan
with no overlap, every key result is fetched once and stored once, a run that overlaps the
workers (a whole-plan refresh started at the same time) fetches nothing twice, and a worker
killed mid-run loses nothing: its retry takes over the dead worker's leases at once and fetches
its part. A run is stored whole or not at all, so what the killed worker had fetched but not yet
stored is fetched again by its retry: the test counts those, and only those, twice.
"""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import time
from collections import Counter
from typing import TYPE_CHECKING

import pytest

import okrkit
from fakeapi import Answer
from okrkit.sharing import Shard

if TYPE_CHECKING:
    from pathlib import Path

KEY_RESULTS = 2000
WORKERS = 4
PLAN = "workers"


def plan_text(api_url: str) -> str:
    lines = [f"id: {PLAN}", "title: Four workers", "cycle: 2026-Q3", "objectives:"]
    for objective in range(KEY_RESULTS // 5):
        lines += [f"  - id: o{objective}", f"    title: Objective {objective}", "    key_results:"]
        for item in range(5):
            number = objective * 5 + item
            lines += [
                f"      - id: kr{number:04d}",
                f"        title: Sign-ups over {number + 100}",
                f"        source: {{connector: http, url: '{api_url}/kr/{number}', path: value}}",
            ]
    return "\n".join(lines) + "\n"


@pytest.fixture
def source(fake_api):
    """The local source: each key result's value after a few milliseconds."""
    for number in range(KEY_RESULTS):
        fake_api.route(f"/kr/{number}", Answer(body={"value": number}, delay=0.008))
    return fake_api


@pytest.fixture
def okr_file(source, tmp_path) -> Path:
    path = tmp_path / "okrs.yaml"
    path.write_text(plan_text(source.url), encoding="utf-8")
    return path


def refresh(okr_file: Path, store_url: str, *options: str) -> subprocess.Popen[str]:
    return subprocess.Popen(
        [
            sys.executable,
            "-m",
            "okrkit",
            "refresh",
            str(okr_file),
            "--store",
            store_url,
            "--concurrency",
            "4",
            "--format",
            "json",
            "--quiet",
            *options,
        ],
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
        env={**os.environ, "PYTHONUNBUFFERED": "1"},
    )


def finish(process: subprocess.Popen[str]) -> tuple[int, dict | None, str]:
    out, errors = process.communicate(timeout=300)
    return process.returncode, json.loads(out) if out.strip() else None, errors


def fetches(source) -> Counter[int]:
    """How many times the source was asked for each key result's value."""
    return Counter(int(seen.path.rsplit("/", 1)[1]) for seen in source.seen)


def stored(store_url: str) -> Counter[str]:
    """How many values the store holds for each key result."""
    with okrkit.open_store(store_url) as store:
        return Counter(m.key_result for m in store.measurements(PLAN))


def shard_of(number: int) -> int:
    return next(k for k in range(1, WORKERS + 1) if f"kr{number:04d}" in Shard(k, WORKERS))


def test_the_shards_split_the_plan_evenly_and_with_no_overlap():
    sizes = Counter(shard_of(number) for number in range(KEY_RESULTS))
    assert sum(sizes.values()) == KEY_RESULTS
    assert set(sizes) == {1, 2, 3, 4}
    assert all(
        abs(size - KEY_RESULTS / WORKERS) < 0.1 * KEY_RESULTS / WORKERS for size in sizes.values()
    )


def test_four_workers_fetch_and_store_every_key_result_once(okr_file, store_url, source):
    workers = [refresh(okr_file, store_url, "--shard", f"{k}/{WORKERS}") for k in range(1, 5)]
    reports = [finish(worker) for worker in workers]
    for code, report, errors in reports:
        assert code == 0, errors
        assert report["held"] == report["failed"] == report["skipped"] == 0
    assert sum(report["measured"] for _, report, _ in reports) == KEY_RESULTS
    assert fetches(source) == Counter(range(KEY_RESULTS))
    assert stored(store_url) == Counter(f"kr{n:04d}" for n in range(KEY_RESULTS))
    with okrkit.open_store(store_url) as store:
        assert store.leases(PLAN) == []
        assert len(store.runs(PLAN)) == WORKERS


def test_a_run_overlapping_the_workers_fetches_nothing_twice(okr_file, store_url, source):
    # a whole-plan refresh (another schedule, another machine) starts with the workers
    everyone = [refresh(okr_file, store_url, "--fresh-for", "1h")]
    everyone += [refresh(okr_file, store_url, "--shard", f"{k}/{WORKERS}") for k in range(1, 5)]
    reports = [finish(process) for process in everyone]
    for code, _report, errors in reports:
        # a run that found every key result it wanted leased to the others exits 75, saying so
        assert code == 0 or (code == 75 and "another refresh holds the key results" in errors)
    measured = sum(report["measured"] for _, report, _ in reports if report)
    assert measured == KEY_RESULTS
    assert fetches(source) == Counter(range(KEY_RESULTS))
    assert stored(store_url) == Counter(f"kr{n:04d}" for n in range(KEY_RESULTS))


def test_a_worker_killed_mid_run_loses_nothing(okr_file, store_url, source):
    victim = 2
    workers = {k: refresh(okr_file, store_url, "--shard", f"{k}/{WORKERS}") for k in range(1, 5)}
    # kill the victim once it has fetched a hundred of its key results
    deadline = time.monotonic() + 120
    while sum(n for key, n in fetches(source).items() if shard_of(key) == victim) < 100:
        assert time.monotonic() < deadline, "the victim never got going"
        assert workers[victim].poll() is None, "the victim finished before it could be killed"
        time.sleep(0.01)
    workers[victim].send_signal(signal.SIGKILL)
    code, report, _ = finish(workers[victim])
    assert (code, report) == (-signal.SIGKILL, None)
    fetched_by_victim = {key for key in fetches(source) if shard_of(key) == victim}
    for k, worker in workers.items():
        if k != victim:
            code, _, errors = finish(worker)
            assert code == 0, errors
    with okrkit.open_store(store_url) as store:
        leases = store.leases(PLAN)
    # the dead worker's leases outlive it; nothing of its run was stored
    assert {lease.pid for lease in leases} == {workers[victim].pid}
    assert all(shard_of(int(lease.key_result[2:])) == victim for lease in leases)
    assert not any(shard_of(int(key[2:])) == victim for key in stored(store_url))

    # the scheduler retries the shard: on this host, it sees the holder is gone and takes over
    code, report, errors = finish(refresh(okr_file, store_url, "--shard", f"{victim}/{WORKERS}"))
    assert code == 0, errors
    assert "taking over the leases of a refresh that is gone" in errors
    assert report["measured"] == sum(shard_of(n) == victim for n in range(KEY_RESULTS))

    assert stored(store_url) == Counter(f"kr{n:04d}" for n in range(KEY_RESULTS))
    counts = fetches(source)
    twice = {key for key, count in counts.items() if count == 2}
    assert set(counts) == set(range(KEY_RESULTS))
    assert set(counts.values()) <= {1, 2}
    # fetched twice: exactly what the killed worker had fetched before it died
    assert twice == fetched_by_victim
    assert 100 <= len(twice) < sum(shard_of(n) == victim for n in range(KEY_RESULTS))
