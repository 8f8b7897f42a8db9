"""The store rows: writing a million measurements, and reading one key result's history back.

Both sides use the same schema (okrkit's own migrations), the same pragmas (WAL, synchronous
NORMAL) and files in the same temporary folder. The writes go in runs of `run_size` records, as a
refresh writes them: `SQLiteStore.record_run` (checks, conversion, one transaction) against
``executemany`` of the same rows, already converted, in one transaction per run.
"""

from __future__ import annotations

import datetime as dt
import gc
import sqlite3
import tempfile
import time
from pathlib import Path
from typing import TYPE_CHECKING, Any

from bench.harness import Result

if TYPE_CHECKING:
    from bench.harness import Sizes

__all__ = ["ROWS", "run_rows"]

ROWS = ("store-writes", "history-read", "history-read-cold")
PLAN = "bench"
START = dt.datetime(2026, 7, 1, tzinfo=dt.UTC)
_EPOCH = dt.datetime(1970, 1, 1, tzinfo=dt.UTC)
_HISTORY_SQL = (
    "SELECT value, observed_at, source, fetched_at, fingerprint, raw, run_id FROM measurements "
    "WHERE plan = ? AND key_result = ? AND observed_at BETWEEN ? AND ? ORDER BY observed_at, id"
)


def _micros(moment: dt.datetime) -> int:
    return (moment - _EPOCH) // dt.timedelta(microseconds=1)


def _raw_connection(path: Path) -> sqlite3.Connection:
    """A plain sqlite3 connection with okrkit's schema and pragmas."""
    from okrkit.store.sqlite import MIGRATIONS  # noqa: PLC0415

    connection = sqlite3.connect(path, isolation_level=None)
    connection.execute("PRAGMA journal_mode = WAL")
    for pragma in ("synchronous = NORMAL", "foreign_keys = ON", "cache_size = -65536"):
        connection.execute(f"PRAGMA {pragma}")
    for step in MIGRATIONS:
        for statement in step:
            connection.execute(statement)
    return connection


def _batch(run: int, size: int) -> tuple[Any, list[Any], tuple[Any, ...], list[tuple[Any, ...]]]:
    """Run `run`'s record and its `size` records, for okrkit and as rows for sqlite3."""
    from okrkit.store import Record, RunRecord  # noqa: PLC0415

    run_id = f"run-{run:06d}"
    observed = START + dt.timedelta(hours=run)
    fetched = observed + dt.timedelta(seconds=2)
    record = RunRecord(run_id, PLAN, observed, fetched, "ok", size, 0, 0, ())
    records = [
        Record(
            PLAN,
            f"kr{number}",
            float(number + run),
            observed,
            "http",
            fetched,
            "0123456789abcdef",
            '{"value": 1.0, "parts": [1.0]}',
            run_id,
        )
        for number in range(size)
    ]
    run_row = (run_id, PLAN, _micros(observed), _micros(fetched), "ok", size, 0, 0, "[]")
    rows = [
        (
            r.plan,
            r.key_result,
            r.value,
            _micros(r.observed_at),
            _micros(fetched),
            r.source,
            r.fingerprint,
            r.raw,
            r.run_id,
        )
        for r in records
    ]
    return record, records, run_row, rows


def _write(sizes: Sizes, folder: Path) -> tuple[float, float, Path, int]:
    """Both stores filled, run by run, alternating: okrkit's seconds, sqlite3's, okrkit's file."""
    import okrkit  # noqa: PLC0415

    ours_path, raw_path = folder / "okrkit.db", folder / "raw.db"
    ours = raw = 0.0
    runs = max(1, sizes.store_rows // sizes.run_size)
    raw_connection = _raw_connection(raw_path)
    with okrkit.open_store(ours_path) as store:
        for run in range(runs):
            record, records, run_row, rows = _batch(run, sizes.run_size)
            gc.collect()
            started = time.perf_counter()
            store.record_run(record, records)
            ours += time.perf_counter() - started
            started = time.perf_counter()
            raw_connection.execute("BEGIN IMMEDIATE")
            raw_connection.execute("INSERT INTO runs VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?)", run_row)
            raw_connection.executemany(
                "INSERT INTO measurements (plan, key_result, value, observed_at, fetched_at, "
                "source, fingerprint, raw, run_id) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?)",
                rows,
            )
            raw_connection.execute("COMMIT")
            raw += time.perf_counter() - started
    raw_connection.close()
    return ours, raw, ours_path, runs * sizes.run_size


def _read(sizes: Sizes, path: Path) -> tuple[float, float, float, int]:
    """Key results' histories through okrkit and as a raw indexed SELECT: best times of each.

    Each repeat reads another key result, as a report or a dashboard does, after an untimed
    read of its neighbour on both sides (the neighbour's rows share its pages, so both read from
    a warm page cache). okrkit's store keeps the instants it has made, which a run's records
    share: after the neighbour's read they are there (warm, the figure), and the read is timed
    again with them emptied first (cold: the first history a process reads).
    """
    import okrkit  # noqa: PLC0415

    raw_connection = sqlite3.connect(path, isolation_level=None)
    ours = cold = raw = float("inf")
    count = 0
    with okrkit.open_store(path) as store:
        for repeat in range(sizes.history_repeats):
            number = (sizes.run_size // 2 + 2 * repeat) % sizes.run_size
            key_result, neighbour = f"kr{number}", f"kr{(number + 1) % sizes.run_size}"
            bounds = (PLAN, key_result, -(2**63), 2**63 - 1)
            raw_connection.execute(_HISTORY_SQL, (PLAN, neighbour, *bounds[2:])).fetchall()
            started = time.perf_counter()
            rows = raw_connection.execute(_HISTORY_SQL, bounds).fetchall()
            raw = min(raw, time.perf_counter() - started)
            store.history(PLAN, neighbour)
            started = time.perf_counter()
            history = store.history(PLAN, key_result)
            ours = min(ours, time.perf_counter() - started)
            store._instants.clear()  # noqa: SLF001  # the cold read: no instant made yet
            started = time.perf_counter()
            again = store.history(PLAN, key_result)
            cold = min(cold, time.perf_counter() - started)
            count = len(history)
            if count != len(rows) or again != history:
                raise RuntimeError("okrkit and sqlite3 read different histories")
    raw_connection.close()
    return ours, cold, raw, count


def run_rows(sizes: Sizes, wanted: set[str]) -> list[Result]:
    results: list[Result] = []
    with tempfile.TemporaryDirectory(prefix="okrkit-bench-") as name:
        folder = Path(name)
        ours, raw, path, total = _write(sizes, folder)
        if "store-writes" in wanted:
            results.append(
                Result(
                    "store-writes",
                    "store writes",
                    ours,
                    raw,
                    "s",
                    "raw sqlite3 executemany, same rows and schema",
                    "ratio <= 1.5",
                    1.5,
                    details={
                        "measurements": total,
                        "run_size": sizes.run_size,
                        "rows_per_s": total / ours,
                        "raw_rows_per_s": total / raw,
                    },
                )
            )
        if wanted & {"history-read", "history-read-cold"}:
            read, cold, raw_read, count = _read(sizes, path)
            details = {"store_rows": total, "history_rows": count}
            rows = [
                ("history-read", "history read of one key result, after others", read),
                ("history-read-cold", "history read of one key result, the first", cold),
            ]
            results += [
                Result(
                    row,
                    what,
                    figure,
                    raw_read,
                    "s",
                    "raw indexed SELECT, same query",
                    "ratio <= 1.5",
                    1.5,
                    details=details,
                )
                for row, what, figure in rows
                if row in wanted
            ]
    return results
