"""Refreshes started at once on one store: one fetches, the others leave saying why.

Two and four ``okrkit refresh`` processes start together on one store. Whichever takes the
plan's lock first fetches; its first request is held at the fake server until every other
process has exited, so the runs overlap whatever the machine's speed. The others exit 75 with
the lock's message, naming the process that holds it. The server sees one set of requests, the
store one run and one row per key result; a later refresh works. On each store backend: a SQLite
file, and a PostgreSQL store when a server is given.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
import textwrap
import threading
import time

import pytest

import okrkit
from fakeapi import Answer
from okrkit.store.sqlite import SQLiteStore

KEY_RESULTS = ("a", "b", "c")


def plan_text(url: str) -> str:
    lines = [
        f"- id: {kr}\n  title: Sign-ups ({kr}) over 100\n  source: "
        + json.dumps({"connector": "http", "url": f"{url}/{kr}", "path": "v"})
        for kr in KEY_RESULTS
    ]
    return (
        "cycle: 2026-Q3\nobjectives:\n  - id: o\n    title: Become the tool teams reach for\n"
        "    key_results:\n" + textwrap.indent("\n".join(lines), " " * 6) + "\n"
    )


def refresh(file, store) -> subprocess.Popen[str]:
    return subprocess.Popen(
        [
            *(sys.executable, "-m", "okrkit", "refresh", str(file)),
            *("--store", str(store), "--format", "json", "--quiet"),
        ],
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
        cwd=file.parent,
        env={**os.environ, "NO_COLOR": "1"},
    )


def stored(store) -> tuple[list[str], dict[str, list[tuple[float, str]]]]:
    """The store's runs, oldest first, and each key result's rows (value, run id)."""
    runs = [row[0] for row in store.rows("SELECT id FROM runs ORDER BY started_at")]
    found: dict[str, list[tuple[float, str]]] = {}
    for key_result, value, run_id in store.rows(
        "SELECT key_result, value, run_id FROM measurements ORDER BY id"
    ):
        found.setdefault(key_result, []).append((value, run_id))
    return runs, found


@pytest.mark.parametrize("count", [2, 4])
def test_refreshes_started_at_once_fetch_once(count, fake_api, tmp_path, store_tables):
    released = threading.Event()

    def held(_seen):
        released.wait(60)  # until every other refresh has left
        return {"v": 1}

    fake_api.route("/a", Answer(body=held))
    fake_api.route("/b", {"v": 2})
    fake_api.route("/c", {"v": 3})
    file = tmp_path / "okrs.yaml"
    file.write_text(plan_text(fake_api.url), encoding="utf-8")
    store = store_tables  # the store's tables; str(): its URL
    okrkit.open_store(store.url).close()  # made beforehand: see the test of opening a new one below

    processes = [refresh(file, store) for _ in range(count)]
    try:
        deadline = time.monotonic() + 60
        while sum(p.poll() is not None for p in processes) < count - 1:
            assert time.monotonic() < deadline, "the other refreshes never left"
            time.sleep(0.02)
    finally:
        released.set()
    done = [(p.pid, *p.communicate(timeout=60), p.returncode) for p in processes]

    winners = [item for item in done if item[3] == 0]
    losers = [item for item in done if item[3] != 0]
    assert len(winners) == 1, done
    assert len(losers) == count - 1, done
    winner_pid, out, errors, _ = winners[0]
    report = json.loads(out)
    assert (report["measured"], report["failed"], report["skipped"]) == (3, 0, 0), errors
    assert [(r["key_result"], r["value"]) for r in report["results"]] == [
        ("a", 1.0),
        ("b", 2.0),
        ("c", 3.0),
    ]
    for _, out, errors, code in losers:
        assert (code, out) == (75, "")
        assert errors.startswith(
            f"error: another refresh holds the key results of plan 'okrs' in store {store} ("
        ), errors
        assert f" pid {winner_pid} run " in errors
        assert "wait for it, or run again after that" in errors
        assert "Traceback" not in errors

    # one set of requests; one run; one row per key result
    assert [len(fake_api.requests_to(f"/{kr}")) for kr in KEY_RESULTS] == [1, 1, 1]
    runs, values = stored(store)
    assert runs == [report["run_id"]]
    assert values == {
        "a": [(1.0, report["run_id"])],
        "b": [(2.0, report["run_id"])],
        "c": [(3.0, report["run_id"])],
    }

    # the lock was released: a later refresh works and adds one row to each
    later = refresh(file, store)
    out, errors = later.communicate(timeout=60)
    assert later.returncode == 0, errors
    second = json.loads(out)["run_id"]
    runs, values = stored(store)
    assert runs == [report["run_id"], second]
    assert {kr: [run for _, run in found] for kr, found in values.items()} == {
        kr: [report["run_id"], second] for kr in KEY_RESULTS
    }


def test_two_processes_may_create_the_same_new_store_at_once(tmp_path, monkeypatch):
    path = tmp_path / "new.okrkit.db"
    header = SQLiteStore._header
    raced: list[bool] = []

    def header_then_another_opens(self, connection):
        found = header(self, connection)
        if not raced:  # right after this opener read the empty header, another creates the store
            raced.append(True)
            okrkit.open_store(path).close()
        return found

    monkeypatch.setattr(SQLiteStore, "_header", header_then_another_opens)
    with okrkit.open_store(path) as store:
        assert store.plans() == []
    assert raced == [True]
