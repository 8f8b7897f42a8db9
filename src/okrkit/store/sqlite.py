"""The SQLite store: one file beside the OKR file, safe for concurrent refreshes.

The file is opened in WAL mode (readers never block the writer), every write is one
``BEGIN IMMEDIATE`` transaction, and the schema is versioned in ``PRAGMA user_version`` and
marked as okrkit's with ``PRAGMA application_id``. Times are stored as integer microseconds since
1970-01-01T00:00:00Z: exact, compact, and fast to write and to sort. The schema is documented
for dashboards that read the file directly in ``docs/reference/store.md``.
"""

from __future__ import annotations

import contextlib
import datetime as dt
import json
import os
import sqlite3
import threading
from pathlib import Path
from typing import TYPE_CHECKING, Any, Self

from okrkit.errors import SchemaVersionError, StoreError, StoreLockedError
from okrkit.model import CheckIn, Cycle, Kind, Measurement
from okrkit.store._base import (
    DEFAULT_LEASE_TTL,
    DEFAULT_LOCK_TTL,
    PLANS_SQL,
    Baseline,
    Claim,
    CycleResult,
    Lease,
    PlanInfo,
    Record,
    RunRecord,
    mask_url,
)
from okrkit.store._checks import (
    check_baselines,
    check_check_in,
    check_claim,
    check_instant,
    check_limit,
    check_lock,
    check_plan,
    check_plan_title,
    check_records,
    check_release,
    check_review,
    check_run,
    check_ttl,
    cycle_result_rows,
    decide_claim,
    decide_plan_key,
    lease_from_row,
    plan_info_from_row,
    results_text,
)

if TYPE_CHECKING:
    from collections.abc import Iterable, Iterator, Mapping, Sequence

__all__ = ["APPLICATION_ID", "BUSY_TIMEOUT", "MIGRATIONS", "SQLiteStore", "schema_version"]

#: ``PRAGMA application_id`` of every okrkit store: "OKRK" in ASCII.
APPLICATION_ID = 0x4F4B524B

#: How long a write waits for another process's write to finish before giving up, in seconds.
BUSY_TIMEOUT = 5.0

#: The schema, as the steps that build it: step ``n`` (0-based) takes a store from version ``n``
#: to ``n + 1``. Steps are only ever appended; a released step never changes.
MIGRATIONS: tuple[tuple[str, ...], ...] = (
    (
        """CREATE TABLE runs (
            id          TEXT    NOT NULL PRIMARY KEY,
            plan        TEXT    NOT NULL,
            started_at  INTEGER NOT NULL,
            finished_at INTEGER,
            status      TEXT    NOT NULL CHECK (status IN ('ok', 'partial', 'failed')),
            measured    INTEGER NOT NULL CHECK (measured >= 0),
            failed      INTEGER NOT NULL CHECK (failed >= 0),
            skipped     INTEGER NOT NULL CHECK (skipped >= 0),
            results     TEXT    NOT NULL DEFAULT '[]'
        )""",
        "CREATE INDEX runs_by_plan ON runs (plan, started_at)",
        """CREATE TABLE measurements (
            id          INTEGER PRIMARY KEY,
            plan        TEXT    NOT NULL,
            key_result  TEXT    NOT NULL,
            value       REAL    NOT NULL,
            observed_at INTEGER NOT NULL,
            fetched_at  INTEGER,
            source      TEXT    NOT NULL,
            fingerprint TEXT,
            raw         TEXT,
            run_id      TEXT    REFERENCES runs (id)
        )""",
        "CREATE INDEX measurements_history ON measurements (plan, key_result, observed_at)",
        """CREATE TABLE check_ins (
            id          INTEGER PRIMARY KEY,
            plan        TEXT    NOT NULL,
            key_result  TEXT    NOT NULL,
            at          INTEGER NOT NULL,
            value       REAL,
            confidence  REAL    CHECK (confidence BETWEEN 0 AND 1),
            note        TEXT,
            author      TEXT,
            CHECK (value IS NOT NULL OR confidence IS NOT NULL)
        )""",
        "CREATE INDEX check_ins_by_key_result ON check_ins (plan, key_result, at)",
        """CREATE TABLE baselines (
            plan        TEXT    NOT NULL,
            key_result  TEXT    NOT NULL,
            value       REAL    NOT NULL,
            measured_at INTEGER NOT NULL,
            since       INTEGER,
            until       INTEGER,
            source      TEXT    NOT NULL,
            run_id      TEXT    REFERENCES runs (id),
            PRIMARY KEY (plan, key_result)
        )""",
        """CREATE TABLE locks (
            plan        TEXT    NOT NULL PRIMARY KEY,
            holder      TEXT    NOT NULL,
            token       TEXT    NOT NULL,
            acquired_at INTEGER NOT NULL,
            expires_at  INTEGER NOT NULL
        )""",
    ),
    (
        """CREATE TABLE reviews (
            plan        TEXT    NOT NULL,
            at          INTEGER NOT NULL,
            data        TEXT    NOT NULL,
            PRIMARY KEY (plan, at)
        )""",
        """CREATE TABLE cycle_results (
            plan        TEXT    NOT NULL,
            cycle       TEXT    NOT NULL,
            cycle_start TEXT    NOT NULL,
            cycle_end   TEXT    NOT NULL,
            key_result  TEXT    NOT NULL,
            objective   TEXT    NOT NULL,
            kind        TEXT    NOT NULL CHECK (kind IN ('committed', 'aspirational')),
            score       REAL    CHECK (score BETWEEN 0 AND 1),
            recorded_at INTEGER NOT NULL,
            PRIMARY KEY (plan, cycle_start, cycle_end, key_result)
        )""",
    ),
    (
        """CREATE TABLE leases (
            plan        TEXT    NOT NULL,
            key_result  TEXT    NOT NULL,
            holder      TEXT    NOT NULL,
            token       TEXT    NOT NULL,
            host        TEXT,
            pid         INTEGER,
            acquired_at INTEGER NOT NULL,
            expires_at  INTEGER NOT NULL,
            PRIMARY KEY (plan, key_result)
        )""",
        "CREATE INDEX leases_by_token ON leases (plan, token)",
        """CREATE TABLE plan_keys (
            plan        TEXT    NOT NULL PRIMARY KEY,
            title       TEXT    NOT NULL,
            explicit    INTEGER NOT NULL CHECK (explicit IN (0, 1)),
            first_seen  INTEGER NOT NULL,
            last_seen   INTEGER NOT NULL
        )""",
    ),
)

# Set on every connection. The page cache and memory map keep a large history fast to read.
_PRAGMAS = (
    "PRAGMA synchronous = NORMAL",
    "PRAGMA foreign_keys = ON",
    "PRAGMA cache_size = -65536",
    "PRAGMA mmap_size = 268435456",
)

# Key results per statement in a claim: under SQLite's limit of bound parameters.
_CHUNK = 500

_EPOCH = dt.datetime(1970, 1, 1, tzinfo=dt.UTC)
_MICROSECOND = dt.timedelta(microseconds=1)
_EARLIEST = -(2**63)
# Within this many microseconds of 1970, micros / 1e6 converts exactly (see _instant).
_EXACT = 2**52
_LATEST = 2**63 - 1

_INSERT_RUN = (
    "INSERT INTO runs (id, plan, started_at, finished_at, status, measured, failed, skipped, "
    "results) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?)"
)
_INSERT_MEASUREMENT = (
    "INSERT INTO measurements (plan, key_result, value, observed_at, fetched_at, source, "
    "fingerprint, raw, run_id) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?)"
)
# A newer baseline (by measured_at) replaces the stored one; an older one is ignored.
_UPSERT_BASELINE = (
    "INSERT INTO baselines (plan, key_result, value, measured_at, since, until, source, run_id) "
    "VALUES (?, ?, ?, ?, ?, ?, ?, ?) ON CONFLICT (plan, key_result) DO UPDATE SET "
    "value = excluded.value, measured_at = excluded.measured_at, since = excluded.since, "
    "until = excluded.until, source = excluded.source, run_id = excluded.run_id "
    "WHERE excluded.measured_at >= baselines.measured_at"
)
_RECORD_COLUMNS = "value, observed_at, source, fetched_at, fingerprint, raw, run_id"
_HISTORY = (
    f"SELECT {_RECORD_COLUMNS} FROM measurements "  # noqa: S608  # constant column list
    "WHERE plan = ? AND key_result = ? AND observed_at BETWEEN ? AND ? ORDER BY observed_at, id"
)
# One index seek per key result ("loose index scan"), then its last value up to the moment.
_LATEST_SQL = f"""
WITH RECURSIVE key_results (key_result) AS (
    SELECT MIN(key_result) FROM measurements WHERE plan = :plan
    UNION ALL
    SELECT (SELECT MIN(key_result) FROM measurements
            WHERE plan = :plan AND key_result > key_results.key_result)
    FROM key_results WHERE key_results.key_result IS NOT NULL
)
SELECT m.key_result, {", ".join(f"m.{c}" for c in _RECORD_COLUMNS.split(", "))}
FROM key_results JOIN measurements AS m ON m.id = (
    SELECT id FROM measurements
    WHERE plan = :plan AND key_result = key_results.key_result AND observed_at <= :until
    ORDER BY observed_at DESC, id DESC LIMIT 1
)
ORDER BY m.key_result
"""  # noqa: S608  # constant column list


def schema_version() -> int:
    """The schema version this okrkit writes: the number of migration steps."""
    return len(MIGRATIONS)


def _micros(moment: dt.datetime) -> int:
    return (moment - _EPOCH) // _MICROSECOND


def _bound(moment: dt.datetime | None, what: str, default: int) -> int:
    if moment is None:
        return default
    check_instant(moment, what)
    return _micros(moment)


def _instant(micros: int) -> dt.datetime:
    """The UTC datetime `micros` microseconds after 1970 began.

    Within 2**52 microseconds of 1970 (up to the year 2112) the float ``micros / 1e6`` is the
    exact quotient rounded once, and ``fromtimestamp`` rounds it back to the same microsecond:
    that path is twice as fast as adding a timedelta, which stays the rule beyond.
    """
    if -_EXACT < micros < _EXACT:
        return dt.datetime.fromtimestamp(micros / 1e6, dt.UTC)
    return _EPOCH + dt.timedelta(0, 0, micros)


def _optional_micros(moment: dt.datetime | None) -> int | None:
    return None if moment is None else _micros(moment)


def _optional_instant(micros: int | None) -> dt.datetime | None:
    return None if micros is None else _instant(micros)


class _Instants(dict[int, dt.datetime]):
    """The datetimes made from stored microseconds, kept for the reads that follow.

    A run's records share their instants (observed at the run's moment, fetched when its
    fetching ended), so reading every key result's history, or a plan's measurements, makes
    each instant once rather than once a row: a lookup is a sixth of the cost of making one.
    Bounded: emptied when a read leaves it fuller than `limit`. Datetimes are immutable, so
    threads may share it.
    """

    limit = 65_536

    def __missing__(self, micros: int) -> dt.datetime:
        made = self[micros] = _instant(micros)
        return made

    def trim(self) -> None:
        """Empty it when a read left it fuller than `limit`."""
        if len(self) > self.limit:
            self.clear()


def _measurement_rows(
    records: Iterable[Record], *, plan: str | None, run_id: str | None
) -> list[tuple[Any, ...]]:
    """Rows for ``_INSERT_MEASUREMENT``: the records, checked (`check_records`), with their
    times in microseconds (a run's records share their `fetched_at`: converted once)."""
    rows: list[tuple[Any, ...]] = []
    append = rows.append
    epoch, microsecond = _EPOCH, _MICROSECOND
    last_fetched: dt.datetime | None = None
    fetched_micros: int | None = None
    checked = check_records(records, plan=plan, run_id=run_id)
    for plan_key, key_result, value, observed, source, fetched, fingerprint, raw, run in checked:
        if fetched is not last_fetched:
            last_fetched = fetched
            fetched_micros = None if fetched is None else (fetched - epoch) // microsecond
        append(
            (
                plan_key,
                key_result,
                value,
                (observed - epoch) // microsecond,
                fetched_micros,
                source,
                fingerprint,
                raw,
                run,
            )
        )
    return rows


def _baseline_row(baseline: Baseline, run_id: str) -> tuple[Any, ...]:
    return (
        baseline.plan,
        baseline.key_result,
        float(baseline.value),
        _micros(baseline.measured_at),
        _optional_micros(baseline.since),
        _optional_micros(baseline.until),
        baseline.source,
        run_id,
    )


class SQLiteStore:
    """A store in one SQLite file (or in memory, for tests): see `okrkit.open_store`.

    One connection, shared by every thread through a lock: calls from several threads are safe
    and run one at a time. Several processes may open the same file; their writes take turns.
    """

    def __init__(self, path: str | os.PathLike[str], *, url: str | None = None) -> None:
        text = os.fspath(path)
        self.path: Path | None = None if text == ":memory:" else Path(text)
        self.url: str = mask_url(url if url is not None else text)
        self._where = "the in-memory store" if self.path is None else f"store {text}"
        self._guard = threading.RLock()
        self._connection: sqlite3.Connection | None = self._connect()
        self._version = schema_version()  # what the file holds now: _connect migrated it
        self._instants = _Instants()

    def __repr__(self) -> str:
        return f"SQLiteStore({self.url!r})"

    # Opening ------------------------------------------------------------------------------

    def _connect(self) -> sqlite3.Connection:
        target = ":memory:" if self.path is None else str(self.path)
        if self.path is not None:
            self._prepare_location(self.path)
        try:
            connection = sqlite3.connect(
                target, timeout=BUSY_TIMEOUT, isolation_level=None, check_same_thread=False
            )
        except sqlite3.Error as error:
            raise self._failure(error, "opening it") from error
        try:
            connection.execute(f"PRAGMA busy_timeout = {int(BUSY_TIMEOUT * 1000)}")
            # an unmarked file with tables is judged in _migrate, under the write lock: another
            # process may be creating the store right now
            self._check_header(connection, final=False)
            for pragma in _PRAGMAS:
                connection.execute(pragma)
            self._migrate(connection)
            # only now that it is known to be an okrkit store: WAL is a setting of the file
            connection.execute("PRAGMA journal_mode = WAL")
        except BaseException as error:
            connection.close()
            if isinstance(error, sqlite3.Error):
                raise self._failure(error, "opening it") from error
            raise
        return connection

    def _prepare_location(self, path: Path) -> None:
        if path.is_dir():
            raise StoreError(
                f"{self._where}: {path} is a directory, not a store file: give a file path, "
                f"for example {path / 'okrs.okrkit.db'}"
            )
        try:
            path.parent.mkdir(parents=True, exist_ok=True)
        except OSError as error:
            raise StoreError(
                f"{self._where}: cannot create its directory {path.parent} "
                f"({error.strerror or error}): choose a writable location for the store"
            ) from error

    def _header(self, connection: sqlite3.Connection) -> tuple[int, int]:
        version = connection.execute("PRAGMA user_version").fetchone()[0]
        application = connection.execute("PRAGMA application_id").fetchone()[0]
        return int(version), int(application)

    def _check_header(
        self, connection: sqlite3.Connection, *, final: bool = True
    ) -> tuple[int, int]:
        """Refuse a database that is not an okrkit store, or is newer than this okrkit.

        Not `final`, an unmarked file that already has tables passes: only under the write
        lock can okrkit tell another application's database from a store being created.
        """
        version, application = self._header(connection)
        known = schema_version()
        if application == 0:
            if not final:
                return version, application
            tables = [
                row[0]
                for row in connection.execute(
                    "SELECT name FROM sqlite_master WHERE name NOT LIKE 'sqlite_%' ORDER BY name"
                )
            ]
            if tables or version != 0:
                shown = ", ".join(tables[:5]) + (" ..." if len(tables) > 5 else "")
                raise StoreError(
                    f"{self._where} is a SQLite database of another application "
                    f"(it holds {shown or f'schema version {version}'}), not an okrkit store: "
                    "give the path of an okrkit store, or a new file name"
                )
        elif application != APPLICATION_ID:
            raise StoreError(
                f"{self._where} is a SQLite database of another application "
                f"(application id {application:#x}), not an okrkit store: "
                "give the path of an okrkit store, or a new file name"
            )
        if version > known:
            raise SchemaVersionError(
                f"{self._where} was written by a newer okrkit (schema {version}, this one "
                f"knows {known}): upgrade okrkit"
            )
        return version, application

    def _migrate(self, connection: sqlite3.Connection) -> None:
        """Apply the missing migration steps in one transaction: all of them, or none."""
        known = schema_version()
        if self._header(connection) == (known, APPLICATION_ID):
            return
        connection.execute("BEGIN IMMEDIATE")
        try:
            version, _ = self._check_header(connection)  # again: another process may have won
            for step in MIGRATIONS[version:]:
                for statement in step:
                    connection.execute(statement)
            connection.execute(f"PRAGMA user_version = {known}")
            connection.execute(f"PRAGMA application_id = {APPLICATION_ID}")
            connection.execute("COMMIT")
        except BaseException:
            with contextlib.suppress(sqlite3.Error):
                connection.execute("ROLLBACK")
            raise

    # Plumbing -----------------------------------------------------------------------------

    def _failure(self, error: sqlite3.Error, doing: str) -> StoreError:
        """A StoreError for a sqlite3 error: which store, what okrkit was doing, what to do."""
        name = getattr(error, "sqlite_errorname", "") or ""
        text = str(error)
        where = self._where
        if name.startswith("SQLITE_BUSY") or "database is locked" in text:
            message = (
                f"{where} is busy: another process kept it locked for more than "
                f"{BUSY_TIMEOUT:g} s while okrkit was {doing}; try again"
            )
        elif name == "SQLITE_NOTADB" or "not a database" in text:
            message = (
                f"{where} is not a SQLite database ({text}): give the path of an okrkit store, "
                "or a new file name (okrkit creates the store when it is missing)"
            )
        elif name.startswith("SQLITE_READONLY"):
            message = (
                f"{where} is read-only ({text}) while okrkit was {doing}: check the "
                "permissions of the file and its directory, or choose another location"
            )
        elif name.startswith("SQLITE_CANTOPEN"):
            message = (
                f"cannot open {where} ({text}): check that its directory exists and is "
                "writable, or choose another location"
            )
        elif name == "SQLITE_FULL":
            message = f"{where}: the disk is full while okrkit was {doing}: free some space"
        elif name.startswith("SQLITE_CORRUPT"):
            message = (
                f"{where} is damaged ({text}): restore it from a backup, or move it aside and "
                "let okrkit create a new one"
            )
        else:
            message = f"{where}: {doing} failed: {text}"
        return StoreError(message)

    def _live(self) -> sqlite3.Connection:
        if self._connection is None:
            raise StoreError(f"{self._where} is closed: open it again with okrkit.open_store")
        return self._connection

    def _read(self, sql: str, parameters: Any, doing: str) -> list[Any]:
        with self._guard:
            connection = self._live()
            try:
                return connection.execute(sql, parameters).fetchall()
            except sqlite3.Error as error:
                raise self._failure(error, doing) from error

    @contextlib.contextmanager
    def _write(self, doing: str) -> Iterator[sqlite3.Connection]:
        """One write transaction: committed when the block ends, rolled back if it raises."""
        with self._guard:
            connection = self._live()
            try:
                connection.execute("BEGIN IMMEDIATE")
            except sqlite3.Error as error:
                raise self._failure(error, doing) from error
            try:
                yield connection
                connection.execute("COMMIT")
            except BaseException as error:
                with contextlib.suppress(sqlite3.Error):  # SQLite may have rolled back already
                    connection.execute("ROLLBACK")
                if isinstance(error, sqlite3.IntegrityError):
                    hint = (
                        " (a run_id names a run that is not in this store: give None, or the "
                        "id of a recorded run)"
                        if "FOREIGN KEY" in str(error)
                        else ""
                    )
                    raise StoreError(
                        f"{self._where}: {doing}: {error}{hint}; nothing of it was written"
                    ) from error
                if isinstance(error, sqlite3.Error):
                    raise self._failure(error, doing) from error
                raise

    # The Store protocol -------------------------------------------------------------------

    @property
    def schema_version(self) -> int:
        """The schema version of the store (the one this okrkit writes, once opened)."""
        with self._guard:
            if self._connection is not None:  # read it: a newer okrkit may have migrated it
                self._version = int(
                    self._read("PRAGMA user_version", (), "reading its version")[0][0]
                )
            return self._version

    def close(self) -> None:
        """Close the store; closing twice is harmless."""
        with self._guard:
            if self._connection is not None:
                self._connection.close()
                self._connection = None

    def __enter__(self) -> Self:
        return self

    def __exit__(self, *exc_info: object) -> None:
        self.close()

    def record_run(
        self,
        run: RunRecord,
        records: Sequence[Record],
        baselines: Sequence[Baseline] = (),
        *,
        release: str | None = None,
    ) -> None:
        """Store a run with its records and baselines in one transaction, or nothing.

        With `release`, the leases of that token (see `claim`) end in the same transaction: no
        other refresh can claim a key result between its value being stored and its lease ending.
        """
        check_run(run)
        check_release(release)
        results = results_text(run)
        rows = _measurement_rows(records, plan=run.plan, run_id=run.id)
        baseline_rows = [
            _baseline_row(baseline, run.id) for baseline in check_baselines(baselines, run)
        ]
        with self._write(f"recording run {run.id!r}") as connection:
            if connection.execute("SELECT 1 FROM runs WHERE id = ?", (run.id,)).fetchone():
                raise StoreError(
                    f"{self._where} already holds run {run.id!r}: give every run a new id "
                    "(for example uuid.uuid4().hex); nothing of it was written"
                )
            connection.execute(
                _INSERT_RUN,
                (
                    run.id,
                    run.plan,
                    _micros(run.started_at),
                    _optional_micros(run.finished_at),
                    run.status,
                    run.measured,
                    run.failed,
                    run.skipped,
                    results,
                ),
            )
            connection.executemany(_INSERT_MEASUREMENT, rows)
            connection.executemany(_UPSERT_BASELINE, baseline_rows)
            if release is not None:
                connection.execute(
                    "DELETE FROM leases WHERE plan = ? AND token = ?", (run.plan, release)
                )

    def backfill(self, records: Iterable[Record]) -> int:
        """Store past values (from a newly connected source) in one transaction; the count."""
        rows = _measurement_rows(records, plan=None, run_id=None)
        with self._write(f"backfilling {len(rows)} records") as connection:
            connection.executemany(_INSERT_MEASUREMENT, rows)
        return len(rows)

    def history(
        self,
        plan: str,
        key_result: str,
        *,
        since: dt.datetime | None = None,
        until: dt.datetime | None = None,
    ) -> list[Record]:
        """One key result's records from `since` to `until` (both included), oldest first."""
        rows = self._read(
            _HISTORY,
            (
                plan,
                key_result,
                _bound(since, "since", _EARLIEST),
                _bound(until, "until", _LATEST),
            ),
            f"reading the history of {key_result!r}",
        )
        # the hot loop of a history read: one tuple a row, and two datetimes looked up (made,
        # and kept, the first time an instant is read; fromtimestamp is exact within _EXACT)
        instants, utc, make = self._instants, dt.UTC, tuple.__new__
        get, moment = instants.get, dt.datetime.fromtimestamp
        records: list[Record] = []
        add = records.append
        for value, observed, source, fetched_at, fingerprint, raw, run_id in rows:
            observed_at = get(observed)
            if observed_at is None:
                observed_at = instants[observed] = (
                    moment(observed / 1e6, utc)
                    if -_EXACT < observed < _EXACT
                    else _instant(observed)
                )
            fetched = get(fetched_at)
            if fetched is None and fetched_at is not None:
                fetched = instants[fetched_at] = (
                    moment(fetched_at / 1e6, utc)
                    if -_EXACT < fetched_at < _EXACT
                    else _instant(fetched_at)
                )
            add(
                make(
                    Record,
                    (
                        plan,
                        key_result,
                        value,
                        observed_at,
                        source,
                        fetched,
                        fingerprint,
                        raw,
                        run_id,
                    ),
                )
            )
        instants.trim()
        return records

    def measurements(self, plan: str, *, until: dt.datetime | None = None) -> list[Measurement]:
        """Every measurement of the plan up to `until`, by key result then time, for scoring."""
        rows = self._read(
            "SELECT key_result, value, observed_at, source FROM measurements "
            "WHERE plan = ? AND observed_at <= ? ORDER BY key_result, observed_at, id",
            (plan, _bound(until, "until", _LATEST)),
            "reading measurements",
        )
        instant = self._instants
        measurements = [
            Measurement(key_result, value, instant[observed], source)
            for key_result, value, observed, source in rows
        ]
        instant.trim()
        return measurements

    def latest(self, plan: str, *, until: dt.datetime | None = None) -> dict[str, Record]:
        """Per key result, its last record observed at or before `until`."""
        rows = self._read(
            _LATEST_SQL,
            {"plan": plan, "until": _bound(until, "until", _LATEST)},
            "reading the latest values",
        )
        instant = self._instants
        latest = {
            key_result: Record(
                plan,
                key_result,
                value,
                instant[observed],
                source,
                None if fetched_at is None else instant[fetched_at],
                fingerprint,
                raw,
                run_id,
            )
            for key_result, value, observed, source, fetched_at, fingerprint, raw, run_id in rows
        }
        instant.trim()
        return latest

    def add_check_in(self, plan: str, check_in: CheckIn) -> None:
        """Store a person's check-in on a key result of the plan."""
        check_check_in(plan, check_in)
        with self._write(f"adding a check-in on {check_in.key_result!r}") as connection:
            connection.execute(
                "INSERT INTO check_ins (plan, key_result, at, value, confidence, note, author) "
                "VALUES (?, ?, ?, ?, ?, ?, ?)",
                (
                    plan,
                    check_in.key_result,
                    _micros(check_in.at),
                    None if check_in.value is None else float(check_in.value),
                    None if check_in.confidence is None else float(check_in.confidence),
                    check_in.note,
                    check_in.author,
                ),
            )

    def check_ins(
        self, plan: str, *, key_result: str | None = None, until: dt.datetime | None = None
    ) -> list[CheckIn]:
        """The plan's check-ins (or one key result's) up to `until`, oldest first."""
        rows = self._read(
            "SELECT key_result, at, value, confidence, note, author FROM check_ins "
            "WHERE plan = ? AND (? IS NULL OR key_result = ?) AND at <= ? ORDER BY at, id",
            (plan, key_result, key_result, _bound(until, "until", _LATEST)),
            "reading check-ins",
        )
        return [
            CheckIn(key, _instant(at), value, confidence, note, author)
            for key, at, value, confidence, note, author in rows
        ]

    def baseline(self, plan: str, key_result: str) -> Baseline | None:
        """The key result's baseline, or None when none was measured yet."""
        return self.baselines(plan, key_result=key_result).get(key_result)

    def baselines(self, plan: str, *, key_result: str | None = None) -> dict[str, Baseline]:
        """Every baseline of the plan, by key result."""
        rows = self._read(
            "SELECT key_result, value, measured_at, since, until, source, run_id FROM baselines "
            "WHERE plan = ? AND (? IS NULL OR key_result = ?) ORDER BY key_result",
            (plan, key_result, key_result),
            "reading baselines",
        )
        return {
            key: Baseline(
                plan,
                key,
                value,
                _instant(measured_at),
                _optional_instant(since),
                _optional_instant(until),
                source,
                run_id,
            )
            for key, value, measured_at, since, until, source, run_id in rows
        }

    def runs(self, plan: str, *, limit: int = 20) -> list[RunRecord]:
        """The plan's last `limit` runs, newest first."""
        check_limit(limit)
        rows = self._read(
            "SELECT id, started_at, finished_at, status, measured, failed, skipped, results "
            "FROM runs WHERE plan = ? ORDER BY started_at DESC, rowid DESC LIMIT ?",
            (plan, limit),
            "reading runs",
        )
        return [
            RunRecord(
                run_id,
                plan,
                _instant(started_at),
                _optional_instant(finished_at),
                status,
                measured,
                failed,
                skipped,
                tuple(json.loads(results)),
            )
            for run_id, started_at, finished_at, status, measured, failed, skipped, results in rows
        ]

    def plans(self) -> list[str]:
        """Every plan key with anything stored, sorted."""
        return [row[0] for row in self._read(PLANS_SQL, (), "listing plans")]

    def record_review(self, plan: str, review: Mapping[str, Any], at: dt.datetime) -> None:
        """Store a review of the plan made at `at`; a review at the same moment is replaced."""
        check_plan(plan)
        check_instant(at, "the review's at")
        text = check_review(review, f"the review of plan {plan!r}")
        with self._write(f"recording a review of plan {plan!r}") as connection:
            connection.execute(
                "INSERT INTO reviews (plan, at, data) VALUES (?, ?, ?) "
                "ON CONFLICT (plan, at) DO UPDATE SET data = excluded.data",
                (plan, _micros(at), text),
            )

    def last_review(
        self, plan: str, *, before: dt.datetime | None = None
    ) -> tuple[dt.datetime, dict[str, Any]] | None:
        """The plan's latest review (made strictly before `before`, if given): when, and its
        data; None when there is none."""
        rows = self._read(
            "SELECT at, data FROM reviews WHERE plan = ? AND at < ? ORDER BY at DESC LIMIT 1",
            (plan, _bound(before, "before", _LATEST)),
            "reading the last review",
        )
        if not rows:
            return None
        at, data = rows[0]
        return _instant(at), dict(json.loads(data))

    def record_cycle_results(self, plan: str, cycle: Cycle, results: Iterable[CycleResult]) -> int:
        """Store the plan's results for `cycle` in one transaction, replacing any earlier record
        of the same cycle (same start and end); the number stored."""
        rows = cycle_result_rows(plan, cycle, results, day=dt.date.isoformat, instant=_micros)
        with self._write(f"recording the results of cycle {cycle}") as connection:
            connection.execute(
                "DELETE FROM cycle_results WHERE plan = ? AND cycle_start = ? AND cycle_end = ?",
                (plan, cycle.start.isoformat(), cycle.end.isoformat()),
            )
            connection.executemany(
                "INSERT INTO cycle_results (plan, cycle, cycle_start, cycle_end, key_result, "
                "objective, kind, score, recorded_at) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?)",
                rows,
            )
        return len(rows)

    def cycle_results(self, plan: str) -> list[CycleResult]:
        """Every cycle's recorded results, oldest cycle first, each in the order written."""
        rows = self._read(
            "SELECT cycle, cycle_start, cycle_end, objective, key_result, kind, score, "
            "recorded_at FROM cycle_results WHERE plan = ? "
            "ORDER BY cycle_start, cycle_end, rowid",
            (plan,),
            "reading cycle results",
        )
        cycles: dict[tuple[str, str, str], Cycle] = {}
        results = []
        for label, start, end, objective, key_result, kind, score, recorded_at in rows:
            cycle = cycles.get((label, start, end))
            if cycle is None:
                cycle = cycles[label, start, end] = Cycle(
                    dt.date.fromisoformat(start), dt.date.fromisoformat(end), label
                )
            results.append(
                CycleResult(
                    plan, cycle, objective, key_result, Kind(kind), score, _instant(recorded_at)
                )
            )
        return results

    @contextlib.contextmanager
    def lock(
        self, plan: str, *, holder: str, ttl: dt.timedelta = DEFAULT_LOCK_TTL
    ) -> Iterator[None]:
        """Hold the plan's refresh lease for the `with` block; see the Store protocol."""
        check_lock(plan, holder, ttl)
        token = os.urandom(16).hex()
        now = dt.datetime.now(dt.UTC)
        with self._write(f"taking the lock on plan {plan!r}") as connection:
            row = connection.execute(
                "SELECT holder, expires_at FROM locks WHERE plan = ?", (plan,)
            ).fetchone()
            if row is not None and row[1] > _micros(now):
                expires_at = _instant(row[1])
                raise StoreLockedError(
                    f"another refresh holds the lock on plan {plan!r} in {self._where} "
                    f"({row[0]}); it expires at {expires_at:%Y-%m-%d %H:%M:%S} UTC: "
                    "wait for it, or run again after that",
                    holder=row[0],
                    expires_at=expires_at,
                )
            connection.execute(
                "INSERT OR REPLACE INTO locks (plan, holder, token, acquired_at, expires_at) "
                "VALUES (?, ?, ?, ?, ?)",
                (plan, holder, token, _micros(now), _micros(now + ttl)),
            )
        try:
            yield
        except BaseException:
            with contextlib.suppress(StoreError):  # the block's own error matters more
                self._release(plan, token)
            raise
        self._release(plan, token)

    def _release(self, plan: str, token: str) -> None:
        # Only our own lease: if it expired and another run took it over, that one keeps it.
        with self._write(f"releasing the lock on plan {plan!r}") as connection:
            connection.execute("DELETE FROM locks WHERE plan = ? AND token = ?", (plan, token))

    # Leases: refreshes that share the work ---------------------------------------------------

    def claim(
        self,
        plan: str,
        key_results: Sequence[str],
        *,
        holder: str,
        token: str,
        ttl: dt.timedelta = DEFAULT_LEASE_TTL,
        fresh_after: dt.datetime | None = None,
        dead: Iterable[str] = (),
        host: str | None = None,
        pid: int | None = None,
    ) -> Claim:
        """Lease the key results that no one else is refreshing, in one transaction.

        For each key result: if another token holds a live lease on it (one that has not
        expired, and whose token is not in `dead`), it is `held`; else, with `fresh_after`, if a
        value of it was fetched at or after that moment, it is `fresh` (not to fetch again);
        else it is leased to `token` until ``now + ttl`` and `claimed`. Leasing a key result
        the token already holds renews it.
        """
        ids, dead_tokens = check_claim(
            plan,
            key_results,
            holder=holder,
            token=token,
            ttl=ttl,
            fresh_after=fresh_after,
            dead=dead,
            host=host,
            pid=pid,
        )
        now = dt.datetime.now(dt.UTC)
        now_micros, expires = _micros(now), _micros(now + ttl)
        with self._write(f"claiming key results of plan {plan!r}") as connection:
            leases = {
                row[1]: lease_from_row(row, _instant)
                for row in _chunked_select(
                    connection,
                    "SELECT plan, key_result, holder, token, acquired_at, expires_at, host, pid "
                    "FROM leases WHERE plan = ? AND key_result IN ({})",
                    plan,
                    ids,
                )
            }
            fetched: dict[str, dt.datetime] = {}
            if fresh_after is not None:
                fetched = {
                    row[0]: _instant(row[1])
                    for row in _chunked_select(
                        connection,
                        "SELECT key_result, MAX(fetched_at) FROM measurements "
                        "WHERE plan = ? AND key_result IN ({}) GROUP BY key_result",
                        plan,
                        ids,
                    )
                    if row[1] is not None
                }
            claim = decide_claim(
                ids,
                token=token,
                now=now,
                leases=leases,
                dead=dead_tokens,
                fetched=fetched,
                fresh_after=fresh_after,
            )
            connection.executemany(
                "INSERT OR REPLACE INTO leases (plan, key_result, holder, token, host, pid, "
                "acquired_at, expires_at) VALUES (?, ?, ?, ?, ?, ?, ?, ?)",
                [
                    (plan, key_result, holder, token, host, pid, now_micros, expires)
                    for key_result in claim.claimed
                ],
            )
        return claim

    def renew(self, plan: str, token: str, *, ttl: dt.timedelta = DEFAULT_LEASE_TTL) -> int:
        """Extend the token's leases to ``now + ttl``; how many it still holds (0: none left,
        they expired and were taken over)."""
        check_plan(plan)
        check_ttl(ttl, "a lease")
        expires = _micros(dt.datetime.now(dt.UTC) + ttl)
        with self._write(f"renewing leases on plan {plan!r}") as connection:
            cursor = connection.execute(
                "UPDATE leases SET expires_at = ? WHERE plan = ? AND token = ?",
                (expires, plan, token),
            )
            return cursor.rowcount

    def release(self, plan: str, token: str) -> int:
        """End the token's leases; how many there were."""
        check_plan(plan)
        with self._write(f"releasing leases on plan {plan!r}") as connection:
            cursor = connection.execute(
                "DELETE FROM leases WHERE plan = ? AND token = ?", (plan, token)
            )
            return cursor.rowcount

    def leases(self, plan: str) -> list[Lease]:
        """The plan's leases, live or expired but not yet taken over, by key result."""
        rows = self._read(
            "SELECT plan, key_result, holder, token, acquired_at, expires_at, host, pid "
            "FROM leases WHERE plan = ? ORDER BY key_result",
            (plan,),
            "reading leases",
        )
        return [lease_from_row(row, _instant) for row in rows]

    # Plan keys ------------------------------------------------------------------------------

    def register_plan(
        self, plan: str, *, title: str, explicit: bool, at: dt.datetime | None = None
    ) -> PlanInfo:
        """Record that the plan titled `title` is stored under the key `plan`.

        Raises `StoreError` when the key already stands for a plan of another title and the
        two cannot be the same plan renamed (see `okrkit.store.is_plan_conflict`): the
        history of two teams' plans never mixes.
        """
        check_plan(plan)
        check_plan_title(title, explicit)
        moment = check_instant(at, "at", optional=True) or dt.datetime.now(dt.UTC)
        micros = _micros(moment)
        with self._write(f"registering plan {plan!r}") as connection:
            row = connection.execute(
                "SELECT plan, title, explicit, first_seen, last_seen FROM plan_keys WHERE plan = ?",
                (plan,),
            ).fetchone()
            stored = None if row is None else plan_info_from_row(row, _instant)
            info = decide_plan_key(
                stored, plan, title=title, explicit=explicit, at=moment, where=self._where
            )
            if stored is None:
                connection.execute(
                    "INSERT INTO plan_keys (plan, title, explicit, first_seen, last_seen) "
                    "VALUES (?, ?, ?, ?, ?)",
                    (plan, title, int(explicit), micros, micros),
                )
            else:
                connection.execute(
                    "UPDATE plan_keys SET title = ?, explicit = ?, "
                    "last_seen = MAX(last_seen, ?) WHERE plan = ?",
                    (title, int(info.explicit), micros, plan),
                )
            return info

    def plan_info(self, plan: str) -> PlanInfo | None:
        """What the store knows of the plan key, or None."""
        rows = self._read(
            "SELECT plan, title, explicit, first_seen, last_seen FROM plan_keys WHERE plan = ?",
            (plan,),
            "reading plan keys",
        )
        return plan_info_from_row(rows[0], _instant) if rows else None


def _chunked_select(
    connection: sqlite3.Connection, sql: str, plan: str, ids: Sequence[str]
) -> Iterator[tuple[Any, ...]]:
    """Rows of `sql` (with one ``IN ({})`` list) for `ids`, a few hundred at a time."""
    for start in range(0, len(ids), _CHUNK):
        chunk = ids[start : start + _CHUNK]
        yield from connection.execute(sql.format(", ".join("?" * len(chunk))), (plan, *chunk))
