"""Crash safety: a refresh killed with SIGKILL at any point leaves a sound store.

A child process refreshes a plan of 300 key results into a real store and is killed: at five
exact points (it stops at a barrier there and says so) and at twenty moments spread over the
run. After every kill the store holds each run whole (its run record and all 300 values) or not
at all (a SQLite file also passes ``PRAGMA integrity_check``), and the next refresh works. Every
test runs on each backend: a SQLite file, and a PostgreSQL store when a server is given.

The leases a killed refresh held on its key results outlive it. The next refresh on the same
host sees their process is gone and takes them over at once; a refresh on another host is
refused, naming the dead holder, until they expire (`DEFAULT_LEASE_TTL`): the tests check both,
the second by moving the clock the store reads its leases with.
"""

from __future__ import annotations

import datetime as dt
import importlib.util
import os
import signal
import subprocess
import sys
import time
import types

import pytest

import okrkit
from okrkit.errors import StoreLockedError
from okrkit.store import DEFAULT_LEASE_TTL

pytestmark = pytest.mark.skipif(not hasattr(signal, "SIGKILL"), reason="needs SIGKILL")

KEY_RESULTS = 300
KEY = "crash"

# The child: refreshes the plan into the store, printing where it is; with a point named on its
# command line, it stops there and waits to be killed. Its hooks wrap the store from outside
# (the store's connection and its record_run): okrkit itself has none.
CHILD = '''
import itertools
import sys
import threading
import time

import okrkit
from okrkit.connectors import Connector, Registry
from okrkit.runner import Retry

KEY_RESULTS = 300
STOP = ""  # the point to stop at (main() reads it from the command line)
DELAY = 0.0  # seconds each key result takes to fetch


def mark(point):
    print(point, flush=True)
    if point == STOP:
        print("at " + point, flush=True)
        time.sleep(120)  # the parent kills the process here
        sys.exit(3)


def plan():
    lines = ["cycle: 2026-Q3", "objectives:"]
    for objective in range(KEY_RESULTS // 5):
        lines += [f"  - id: o{objective}", f"    title: Objective {objective}", "    key_results:"]
        for item in range(5):
            number = objective * 5 + item
            lines += [
                f"      - id: kr{number:03d}",
                f"        title: Sign-ups over {number + 100}",
                f"        source: {{connector: counter, n: {number}}}",
            ]
    return okrkit.loads("\\n".join(lines) + "\\n", path="crash.yaml")


class Counter(Connector):
    """Answers each key result's n, a few milliseconds later, one call per key result."""

    name = "counter"
    batch = False
    calls = itertools.count(1)
    lock = threading.Lock()

    def fetch(self, queries, context):
        with Counter.lock:
            call = next(Counter.calls)
        if call == 1:
            mark("first-fetch")
        if call == KEY_RESULTS // 2:
            mark("mid-fetch")
        time.sleep(DELAY)
        return [float(query.settings["n"]) for query in queries]


def registry():
    return Registry(entry_points=None, extra=[Counter])


class Watched:
    """The store's connection (sqlite3's or psycopg's), marking the statements a refresh runs."""

    def __init__(self, inner):
        self.inner = inner
        self.recording = False

    def execute(self, sql, *args):
        if sql.startswith("INSERT INTO leases"):  # PostgreSQL's claim
            mark("claiming")
        elif sql.startswith("INSERT INTO runs"):
            self.recording = True
        elif sql == "COMMIT" and self.recording:
            mark("in-transaction")
            self.recording = False
        return self.inner.execute(sql, *args)

    def executemany(self, sql, rows):
        if sql.startswith("INSERT OR REPLACE INTO leases"):
            mark("claiming")
        return self.inner.executemany(sql, rows)

    def __getattr__(self, name):
        return getattr(self.inner, name)


def watched(store):
    store._connection = Watched(store._connection)
    record_run = store.record_run

    def record(*args, **kwargs):
        mark("before-record")
        return record_run(*args, **kwargs)

    store.record_run = record
    return store


def main():
    global STOP, DELAY
    STOP, DELAY = sys.argv[2], float(sys.argv[3])
    the_plan = plan()
    with okrkit.open_store(sys.argv[1]) as store:
        mark("planned")
        result = okrkit.refresh(
            the_plan, watched(store), registry=registry(), retry=Retry(attempts=1)
        )
    print(f"done {result.run_id} {result.measured}", flush=True)


if __name__ == "__main__":
    main()
'''

POINTS = (
    "claiming",  # inside the transaction that leases the key results
    "first-fetch",  # the leases held, nothing fetched yet
    "mid-fetch",  # half the key results fetched
    "before-record",  # every value fetched, nothing written
    "in-transaction",  # the run, its 300 values and the leases' end written, not committed
)
HOLDS_LEASES = {"first-fetch", "mid-fetch", "before-record", "in-transaction"}
TIMED_KILLS = 20


@pytest.fixture(scope="module")
def child(tmp_path_factory):
    """The child's script, and the same code imported here for the runs after each kill."""
    path = tmp_path_factory.mktemp("child") / "crash_child.py"
    path.write_text(CHILD, encoding="utf-8")
    spec = importlib.util.spec_from_file_location("crash_child", path)
    assert spec is not None
    assert spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return path, module


def start(script, store_path, stop: str = "", delay: float = 0.004) -> subprocess.Popen[str]:
    return subprocess.Popen(
        [sys.executable, str(script), str(store_path), stop, str(delay)],
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
        env={**os.environ, "PYTHONUNBUFFERED": "1"},
    )


def wait_for(process: subprocess.Popen[str], line: str, seen: list[str]) -> None:
    assert process.stdout is not None
    deadline = time.monotonic() + 60
    while time.monotonic() < deadline:
        text = process.stdout.readline()
        if not text:
            break
        seen.append(text.strip())
        if text.strip() == line:
            return
    process.kill()
    _, errors = process.communicate(timeout=10)
    raise AssertionError(f"the child never printed {line!r}: {seen}\n{errors}")


def kill(process: subprocess.Popen[str], seen: list[str]) -> None:
    process.send_signal(signal.SIGKILL)
    rest, _ = process.communicate(timeout=30)
    seen.extend(line for line in rest.splitlines() if line)
    assert process.returncode in (-signal.SIGKILL, 0), (process.returncode, seen)


def check_store(store_path) -> dict[str, int]:
    """The store after a kill: sound, every run whole; the values of each run, by run id."""
    if not store_path.postgres:  # the server checks foreign keys on every write
        assert store_path.rows("PRAGMA integrity_check") == [("ok",)]
        assert store_path.rows("PRAGMA foreign_key_check") == []
    runs = dict(store_path.rows("SELECT id, measured FROM runs"))
    values = dict(store_path.rows("SELECT run_id, COUNT(*) FROM measurements GROUP BY run_id"))
    assert set(values) == set(runs)  # no value without its run, no run without its values
    assert set(values.values()) <= {KEY_RESULTS}
    assert set(runs.values()) <= {KEY_RESULTS}
    return values


def lease_rows(store_path) -> list[tuple[str, str, int, int]]:
    """The plan's leases: holder, host, pid, and how long each was taken for (microseconds)."""
    rows = store_path.rows(
        "SELECT holder, host, pid, expires_at - acquired_at FROM leases WHERE plan = ?",
        (KEY,),
    )
    micro = dt.timedelta(microseconds=1)
    return [
        (holder, host, pid, taken // micro if isinstance(taken, dt.timedelta) else taken)
        for holder, host, pid, taken in rows
    ]


def move_leases_to_another_host(store_path) -> None:
    store_path.rows("UPDATE leases SET host = 'another-box' WHERE plan = ?", (KEY,))


def later(offset: dt.timedelta) -> types.SimpleNamespace:
    """The `datetime` module as the store sees it, with its clock `offset` ahead."""

    class Later(dt.datetime):
        @classmethod
        def now(cls, tz=None):
            return dt.datetime.now(tz) + offset

    return types.SimpleNamespace(**{**vars(dt), "datetime": Later})


def next_run(module, store_path, monkeypatch, *, elsewhere: bool = False) -> str:
    """The refresh after a kill: whole. From `elsewhere` (another host, which cannot tell the
    dead process is gone), refused while the dead run's leases last, then whole."""
    plan = module.plan()
    with okrkit.open_store(store_path.url) as store:
        if elsewhere:
            move_leases_to_another_host(store_path)
            with pytest.raises(StoreLockedError) as refused:
                okrkit.refresh(plan, store, registry=module.registry())
            assert "another refresh holds the key results of plan 'crash'" in str(refused.value)
            assert refused.value.holder is not None
            assert " pid " in refused.value.holder
            backend = type(store).__module__  # its clock, which it reads leases with
            ahead = later(DEFAULT_LEASE_TTL + dt.timedelta(seconds=1))
            monkeypatch.setattr(f"{backend}.dt", ahead)
        result = okrkit.refresh(plan, store, registry=module.registry())
        monkeypatch.undo()
        assert (result.measured, result.failed, result.exit_code()) == (KEY_RESULTS, 0, 0)
        assert len(store.history(KEY, "kr150")) >= 1
    assert lease_rows(store_path) == []
    return result.run_id


def test_a_refresh_killed_at_each_exact_point_leaves_a_sound_store(
    child, store_tables, monkeypatch
):
    script, module = child
    store_path = store_tables  # the store's tables; str(): its URL
    survived = []
    for point in POINTS:
        before = check_store(store_path) if store_path.exists() else {}
        process = start(script, store_path, stop=point)
        seen: list[str] = []
        wait_for(process, f"at {point}", seen)
        kill(process, seen)

        assert check_store(store_path) == before
        rows = lease_rows(store_path)
        assert len(rows) == (KEY_RESULTS if point in HOLDS_LEASES else 0), point
        for holder, _host, pid, taken_for in rows:
            assert f"pid {process.pid} " in holder
            assert pid == process.pid
            assert taken_for == DEFAULT_LEASE_TTL // dt.timedelta(microseconds=1)
        # half the time the next refresh runs on this host, half on another
        elsewhere = bool(rows) and len(survived) % 2 == 1
        run_id = next_run(module, store_path, monkeypatch, elsewhere=elsewhere)
        assert check_store(store_path)[run_id] == KEY_RESULTS
        survived.append(point)
    assert survived == list(POINTS)


def test_a_refresh_killed_at_twenty_moments_leaves_a_sound_store(child, store_tables, monkeypatch):
    script, module = child
    store_path = store_tables

    # a whole run first, to know how long one takes once planned
    process = start(script, store_path)
    seen: list[str] = []
    wait_for(process, "planned", seen)
    began = time.monotonic()
    out, errors = process.communicate(timeout=60)
    span = time.monotonic() - began
    assert process.returncode == 0, errors
    assert out.splitlines()[-1].endswith(f" {KEY_RESULTS}")
    assert len(check_store(store_path)) == 1

    reached = []
    for kill_at in range(TIMED_KILLS):
        before = check_store(store_path)
        process = start(script, store_path)
        seen = []
        wait_for(process, "planned", seen)
        time.sleep(span * kill_at / (TIMED_KILLS - 1) * 1.05)
        kill(process, seen)
        reached.append(seen[-1].split()[0])

        after = check_store(store_path)
        finished = seen[-1].startswith("done")
        assert len(after) - len(before) in ((1,) if finished else (0, 1))
        rows = lease_rows(store_path)
        assert len(rows) in (0, KEY_RESULTS)
        assert all(f"pid {process.pid} " in row[0] for row in rows)
        run_id = next_run(
            module, store_path, monkeypatch, elsewhere=bool(rows) and kill_at % 2 == 0
        )
        assert check_store(store_path)[run_id] == KEY_RESULTS
    # the kills fell all over the run (here: before the claim, while fetching, after the commit)
    assert len(reached) == TIMED_KILLS
    assert len(set(reached)) >= 3, reached
