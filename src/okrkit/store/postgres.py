"""The PostgreSQL store: the same store as the SQLite file, in a schema of a shared database.

Opened by ``okrkit.open_store("postgresql://user@host/database")``. The store's tables live in one
schema of the database (``okrkit`` unless the URL's ``?schema=`` names another), created when
missing; the schema version is kept in its ``okrkit_meta`` table, and migrations run in one
transaction under an advisory lock, so that several workers opening a new database at once build
it once. Times are ``timestamptz``, values ``double precision``, run results and reviews ``json``:
dashboards read the tables with plain SQL (see ``docs/reference/store.md``).

One connection per store object, shared by threads through a lock, in autocommit mode: every
write is one explicit ``BEGIN`` ... ``COMMIT`` transaction, and reads never leave a transaction
open. Where the SQLite store relies on ``BEGIN IMMEDIATE`` (one writer at a time), this one takes
row locks and a per-plan advisory lock. psycopg (3) is imported by this module only: ``import
okrkit`` never loads it.
"""

from __future__ import annotations

import contextlib
import datetime as dt
import hashlib
import os
import re
import threading
import time
from typing import TYPE_CHECKING, Any, Self, TypeAlias, TypeVar

import psycopg
from psycopg import sql
from psycopg.conninfo import conninfo_to_dict

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
    from collections.abc import Callable, Iterable, Iterator, Mapping, Sequence

__all__ = [
    "CONNECT_TIMEOUT",
    "DEFAULT_SCHEMA",
    "LOCK_TIMEOUT",
    "MIGRATIONS",
    "RETRIES",
    "PostgresStore",
    "schema_version",
]

#: The schema okrkit's tables live in when the URL names none (``?schema=...``).
DEFAULT_SCHEMA = "okrkit"

#: How long okrkit waits for the server to answer a new connection, in seconds, unless the URL
#: sets ``connect_timeout``.
CONNECT_TIMEOUT = 10

#: How long a statement waits for a row another session has locked before giving up, in seconds.
LOCK_TIMEOUT = 30.0

#: How many times a write is tried when the server aborts it for a conflict with another
#: (a serialization failure or a deadlock) before `StoreError` says so.
RETRIES = 4

# "OKRK" in ASCII, as the SQLite store's application_id: it seeds the advisory lock keys.
_APPLICATION = "okrkit"
_TIME = "timestamptz NOT NULL"

#: The schema, as the steps that build it: step ``n`` (0-based) takes a store from version ``n``
#: to ``n + 1``, as the SQLite store's `okrkit.store.sqlite.MIGRATIONS` (the same tables, in
#: PostgreSQL's types). Steps are only ever appended; a released step never changes.
MIGRATIONS: tuple[tuple[str, ...], ...] = (
    (
        """CREATE TABLE okrkit_meta (
            key         text        NOT NULL PRIMARY KEY,
            value       text        NOT NULL
        )""",
        """CREATE TABLE runs (
            id          text        NOT NULL PRIMARY KEY,
            seq         bigint      GENERATED ALWAYS AS IDENTITY UNIQUE,
            plan        text        COLLATE "C" NOT NULL,
            started_at  timestamptz NOT NULL,
            finished_at timestamptz,
            status      text        NOT NULL CHECK (status IN ('ok', 'partial', 'failed')),
            measured    bigint      NOT NULL CHECK (measured >= 0),
            failed      bigint      NOT NULL CHECK (failed >= 0),
            skipped     bigint      NOT NULL CHECK (skipped >= 0),
            results     json        NOT NULL DEFAULT '[]'
        )""",
        "CREATE INDEX runs_by_plan ON runs (plan, started_at)",
        """CREATE TABLE measurements (
            id          bigint      GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
            plan        text        COLLATE "C" NOT NULL,
            key_result  text        COLLATE "C" NOT NULL,
            value       double precision NOT NULL,
            observed_at timestamptz NOT NULL,
            fetched_at  timestamptz,
            source      text        NOT NULL,
            fingerprint text,
            raw         text,
            run_id      text        REFERENCES runs (id)
        )""",
        "CREATE INDEX measurements_history ON measurements (plan, key_result, observed_at, id)",
        """CREATE TABLE check_ins (
            id          bigint      GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
            plan        text        COLLATE "C" NOT NULL,
            key_result  text        COLLATE "C" NOT NULL,
            at          timestamptz NOT NULL,
            value       double precision,
            confidence  double precision CHECK (confidence BETWEEN 0 AND 1),
            note        text,
            author      text,
            CHECK (value IS NOT NULL OR confidence IS NOT NULL)
        )""",
        "CREATE INDEX check_ins_by_key_result ON check_ins (plan, key_result, at)",
        """CREATE TABLE baselines (
            plan        text        COLLATE "C" NOT NULL,
            key_result  text        COLLATE "C" NOT NULL,
            value       double precision NOT NULL,
            measured_at timestamptz NOT NULL,
            since       timestamptz,
            until       timestamptz,
            source      text        NOT NULL,
            run_id      text        REFERENCES runs (id),
            PRIMARY KEY (plan, key_result)
        )""",
        """CREATE TABLE locks (
            plan        text        COLLATE "C" NOT NULL PRIMARY KEY,
            holder      text        NOT NULL,
            token       text        NOT NULL,
            acquired_at timestamptz NOT NULL,
            expires_at  timestamptz NOT NULL
        )""",
    ),
    (
        """CREATE TABLE reviews (
            plan        text        COLLATE "C" NOT NULL,
            at          timestamptz NOT NULL,
            data        json        NOT NULL,
            PRIMARY KEY (plan, at)
        )""",
        """CREATE TABLE cycle_results (
            plan        text        COLLATE "C" NOT NULL,
            cycle       text        NOT NULL,
            cycle_start date        NOT NULL,
            cycle_end   date        NOT NULL,
            key_result  text        COLLATE "C" NOT NULL,
            objective   text        NOT NULL,
            kind        text        NOT NULL CHECK (kind IN ('committed', 'aspirational')),
            score       double precision CHECK (score BETWEEN 0 AND 1),
            recorded_at timestamptz NOT NULL,
            seq         bigint      GENERATED ALWAYS AS IDENTITY UNIQUE,
            PRIMARY KEY (plan, cycle_start, cycle_end, key_result)
        )""",
    ),
    (
        """CREATE TABLE leases (
            plan        text        COLLATE "C" NOT NULL,
            key_result  text        COLLATE "C" NOT NULL,
            holder      text        NOT NULL,
            token       text        NOT NULL,
            host        text,
            pid         bigint,
            acquired_at timestamptz NOT NULL,
            expires_at  timestamptz NOT NULL,
            PRIMARY KEY (plan, key_result)
        )""",
        "CREATE INDEX leases_by_token ON leases (plan, token)",
        """CREATE TABLE plan_keys (
            plan        text        COLLATE "C" NOT NULL PRIMARY KEY,
            title       text        NOT NULL,
            explicit    boolean     NOT NULL,
            first_seen  timestamptz NOT NULL,
            last_seen   timestamptz NOT NULL
        )""",
    ),
)

# A schema name okrkit accepts: what PostgreSQL keeps as written without quotes (lower case),
# so that dashboards can write okrkit.measurements; pg_* names are the server's own.
_SCHEMA_NAME = re.compile(r"^(?!pg_)[a-z_][a-z0-9_]{0,62}$")
_SCHEME = re.compile(r"^([A-Za-z][A-Za-z0-9+.\-]*)://")

_EARLIEST = dt.datetime.min.replace(tzinfo=dt.UTC)
_LATEST = dt.datetime.max.replace(tzinfo=dt.UTC)

# Sessions that wait for each other: retried. Connection classes: the connection is gone.
_RETRIED = frozenset({"40001", "40P01"})

_INSERT_RUN = (
    "INSERT INTO runs (id, plan, started_at, finished_at, status, measured, failed, skipped, "
    "results) VALUES (%s, %s, %s, %s, %s, %s, %s, %s, %s::json) "
    "ON CONFLICT (id) DO NOTHING RETURNING id"
)
# The columns in a Record's order: a checked record is a row.
_COPY_MEASUREMENTS = (
    "COPY measurements (plan, key_result, value, observed_at, source, fetched_at, fingerprint, "
    "raw, run_id) FROM STDIN"
)
# A newer baseline (by measured_at) replaces the stored one; an older one is ignored.
_UPSERT_BASELINE = (
    "INSERT INTO baselines (plan, key_result, value, measured_at, since, until, source, run_id) "
    "VALUES (%s, %s, %s, %s, %s, %s, %s, %s) ON CONFLICT (plan, key_result) DO UPDATE SET "
    "value = excluded.value, measured_at = excluded.measured_at, since = excluded.since, "
    "until = excluded.until, source = excluded.source, run_id = excluded.run_id "
    "WHERE excluded.measured_at >= baselines.measured_at"
)
_RECORD_COLUMNS = "value, observed_at, source, fetched_at, fingerprint, raw, run_id"
_HISTORY = (
    f"SELECT {_RECORD_COLUMNS} FROM measurements "  # noqa: S608  # constant column list
    "WHERE plan = %s AND key_result = %s AND observed_at BETWEEN %s AND %s "
    "ORDER BY observed_at, id"
)
# One index seek per key result ("loose index scan"), then its last value up to the moment.
_LATEST_SQL = f"""
WITH RECURSIVE key_results (key_result) AS (
    SELECT min(key_result) FROM measurements WHERE plan = %(plan)s
    UNION ALL
    SELECT (SELECT min(key_result) FROM measurements
            WHERE plan = %(plan)s AND key_result > key_results.key_result)
    FROM key_results WHERE key_results.key_result IS NOT NULL
)
SELECT key_results.key_result, last.*
FROM key_results CROSS JOIN LATERAL (
    SELECT {_RECORD_COLUMNS} FROM measurements
    WHERE plan = %(plan)s AND key_result = key_results.key_result AND observed_at <= %(until)s
    ORDER BY observed_at DESC, id DESC LIMIT 1
) AS last
ORDER BY key_results.key_result
"""  # noqa: S608  # constant column list
_LEASE_COLUMNS = "plan, key_result, holder, token, acquired_at, expires_at, host, pid"
# Takes a lease only if it is free, ours, expired or a dead holder's, judged on the row as it is
# once any session changing it (its holder renewing it) has committed: never two holders.
_UPSERT_LEASES = (
    "INSERT INTO leases (plan, key_result, holder, token, host, pid, acquired_at, expires_at) "
    "SELECT %(plan)s, claimed, %(holder)s, %(token)s, %(host)s, %(pid)s, %(now)s, %(expires)s "
    "FROM unnest(%(claimed)s::text[]) AS claimed "
    "ON CONFLICT (plan, key_result) DO UPDATE SET holder = excluded.holder, "
    "token = excluded.token, host = excluded.host, pid = excluded.pid, "
    "acquired_at = excluded.acquired_at, expires_at = excluded.expires_at "
    "WHERE leases.token = excluded.token OR leases.expires_at <= %(now)s "
    "OR leases.token = ANY(%(dead)s::text[]) "
    "RETURNING key_result"
)
_PLAN_KEY_COLUMNS = "plan, title, explicit, first_seen, last_seen"


def schema_version() -> int:
    """The schema version this okrkit writes: the number of migration steps."""
    return len(MIGRATIONS)


def _lock_key(schema: str, what: str) -> int:
    """A 64-bit advisory lock key for `what` in the store in `schema`: the same in every
    process (Python's hash() is not)."""
    digest = hashlib.blake2b(f"{_APPLICATION}\0{schema}\0{what}".encode(), digest_size=8)
    return int.from_bytes(digest.digest(), "big", signed=True)


def _split_url(url: str) -> tuple[str, str]:
    """The libpq connection URI of a store URL, and the schema it names (or the default).

    ``postgres://`` and ``postgresql+driver://`` (SQLAlchemy's form) become ``postgresql://``;
    the ``schema`` query parameter is okrkit's, not libpq's, and is taken out.
    """
    scheme = _SCHEME.match(url)
    if scheme is None or not (
        scheme.group(1).lower() in ("postgresql", "postgres")
        or scheme.group(1).lower().startswith("postgresql+")
    ):
        raise StoreError(f"{mask_url(url)!r} is not a postgresql:// URL")
    rest = url[len(scheme.group(0)) :]
    base, mark, query = rest.partition("?")
    kept: list[str] = []
    schemas: list[str] = []
    for item in query.split("&") if mark else ():
        name, _, value = item.partition("=")
        if name == "schema":
            schemas.append(value)
        elif item:
            kept.append(item)
    if len(schemas) > 1:
        raise StoreError(
            f"cannot open store {mask_url(url)}: give schema= once, not {len(schemas)} times"
        )
    schema = schemas[0] if schemas else DEFAULT_SCHEMA
    if not _SCHEMA_NAME.match(schema):
        raise StoreError(
            f"cannot open store {mask_url(url)}: schema {schema!r} is not a schema name okrkit "
            "uses: give lower case letters, digits and '_' (at most 63, not starting with a "
            f"digit or pg_), for example ?schema={DEFAULT_SCHEMA}"
        )
    conninfo = "postgresql://" + base + ("?" + "&".join(kept) if kept else "")
    return conninfo, schema


def _target(params: Mapping[str, str]) -> str:
    """Where the server is, as people write it: host:port (the libpq defaults when unset)."""
    host = params.get("host") or params.get("hostaddr") or os.environ.get("PGHOST") or "localhost"
    port = params.get("port") or os.environ.get("PGPORT") or "5432"
    if host.startswith("/"):
        return f"the socket in {host} (port {port})"
    return f"{host}:{port}"


def _measurement_rows(
    records: Iterable[Record], *, plan: str | None, run_id: str | None
) -> list[Record]:
    """Rows for ``_COPY_MEASUREMENTS``: the records, checked (`check_records`).

    PostgreSQL's text cannot hold NUL characters: in `raw` (the source's answer, kept to explain
    a value) they become U+FFFD; anywhere else they are refused (`_failure`).
    """
    rows = check_records(records, plan=plan, run_id=run_id)
    for index, record in enumerate(rows):
        raw = record.raw
        if raw is not None and "\0" in raw:
            rows[index] = record._replace(raw=raw.replace("\0", "\ufffd"))
    return rows


def _baseline_row(baseline: Baseline, run_id: str) -> tuple[Any, ...]:
    return (
        baseline.plan,
        baseline.key_result,
        float(baseline.value),
        baseline.measured_at,
        baseline.since,
        baseline.until,
        baseline.source,
        run_id,
    )


_Connection: TypeAlias = "psycopg.Connection[tuple[Any, ...]]"
_T = TypeVar("_T")


class PostgresStore:
    """A store in a schema of a PostgreSQL database: see `okrkit.open_store`.

    One connection, shared by every thread through a lock: calls from several threads are safe
    and run one at a time. Any number of processes, on any number of hosts, may open the same
    store: writes that touch the same rows take turns.
    """

    def __init__(self, url: str) -> None:
        self.url: str = mask_url(url)
        self._where = f"store {self.url}"
        conninfo, self.schema = _split_url(url)
        try:
            self._params: dict[str, str] = {
                key: str(value) for key, value in conninfo_to_dict(conninfo).items()
            }
        except psycopg.Error as error:
            raise StoreError(
                f"cannot open {self._where}: it is not a PostgreSQL URL "
                f"({self._clean(error)}): use "
                "postgresql://user@host:port/database?schema=okrkit"
            ) from error
        self._conninfo = conninfo
        self._guard = threading.RLock()
        self._version = 0
        self._connection: _Connection | None = self._connect()

    def __repr__(self) -> str:
        return f"PostgresStore({self.url!r})"

    # Opening ------------------------------------------------------------------------------

    def _connect(self) -> _Connection:
        extra: dict[str, Any] = {}
        if "connect_timeout" not in self._params:
            extra["connect_timeout"] = CONNECT_TIMEOUT
        if "application_name" not in self._params:
            extra["application_name"] = _APPLICATION
        try:
            connection: _Connection = psycopg.connect(self._conninfo, autocommit=True, **extra)
        except psycopg.Error as error:
            raise self._failure(error, "connecting", connecting=True) from error
        try:
            self._configure(connection)
            self._migrate(connection)
        except BaseException as error:
            connection.close()
            if isinstance(error, psycopg.Error):
                raise self._failure(error, "opening it") from error
            raise
        return connection

    def _configure(self, connection: _Connection) -> None:
        """The session's settings: UTC times, okrkit's schema first, a bounded wait for locks."""
        connection.execute(
            "SELECT set_config('TimeZone', 'UTC', false), "
            "set_config('search_path', %s, false), set_config('lock_timeout', %s, false)",
            (
                sql.Identifier(self.schema).as_string(connection),
                f"{round(LOCK_TIMEOUT * 1000)}ms",
            ),
        )

    def _stored_version(self, connection: _Connection) -> int | None:
        """The schema version the store holds, or None when its schema has no okrkit store."""
        table = sql.Identifier(self.schema, "okrkit_meta").as_string(connection)
        row = connection.execute("SELECT to_regclass(%s) IS NOT NULL", (table,)).fetchone()
        if row is None or not row[0]:
            return None
        found = connection.execute(
            "SELECT value FROM okrkit_meta WHERE key = 'schema_version'"
        ).fetchone()
        return 0 if found is None else int(found[0])

    def _check_version(self, version: int) -> None:
        if version > schema_version():
            raise SchemaVersionError(
                f"{self._where} was written by a newer okrkit (schema {version}, this one "
                f"knows {schema_version()}): upgrade okrkit"
            )

    def _migrate(self, connection: _Connection) -> None:
        """Create the schema and apply the missing migration steps in one transaction, under an
        advisory lock: all of them, or none, and once when several processes open it at once."""
        known = schema_version()
        version = self._stored_version(connection)
        if version is not None:
            self._check_version(version)
            if version == known:
                self._version = version
                return
        connection.execute("BEGIN")
        try:
            connection.execute(
                "SELECT pg_advisory_xact_lock(%s)", (_lock_key(self.schema, "migrate"),)
            )
            exists = connection.execute(
                "SELECT 1 FROM pg_namespace WHERE nspname = %s", (self.schema,)
            ).fetchone()
            if exists is None:  # CREATE needs a privilege a DBA-made schema does not
                connection.execute(sql.SQL("CREATE SCHEMA {}").format(sql.Identifier(self.schema)))
            version = self._stored_version(connection)  # again: another process may have won
            if version is None:
                self._refuse_foreign_tables(connection)
                version = 0
            self._check_version(version)
            for step in MIGRATIONS[version:]:
                for statement in step:
                    connection.execute(statement)
            connection.execute(
                "INSERT INTO okrkit_meta (key, value) VALUES ('application', %s), "
                "('schema_version', %s) ON CONFLICT (key) DO UPDATE SET value = excluded.value",
                (_APPLICATION, str(known)),
            )
            connection.execute("COMMIT")
        except BaseException:
            with contextlib.suppress(psycopg.Error):
                connection.execute("ROLLBACK")
            raise
        self._version = known

    def _refuse_foreign_tables(self, connection: _Connection) -> None:
        """A schema that holds tables but no okrkit store is another application's."""
        tables = [
            row[0]
            for row in connection.execute(
                "SELECT c.relname FROM pg_class AS c JOIN pg_namespace AS n "
                "ON n.oid = c.relnamespace WHERE n.nspname = %s "
                "AND c.relkind IN ('r', 'p', 'v', 'm', 'f') ORDER BY c.relname LIMIT 6",
                (self.schema,),
            )
        ]
        if tables:
            shown = ", ".join(tables[:5]) + (" ..." if len(tables) > 5 else "")
            raise StoreError(
                f"{self._where}: schema {self.schema!r} holds tables of another application "
                f"({shown}) and no okrkit store: give okrkit a schema of its own "
                f"(?schema={DEFAULT_SCHEMA}_store in the URL, a new name) or another database"
            )

    # Plumbing -----------------------------------------------------------------------------

    def _clean(self, error: Exception | str) -> str:
        """An error's text fit to show: the server's message (or the first lines of the
        client's), no password, no URL secrets."""
        diagnostic = getattr(error, "diag", None)
        primary = getattr(diagnostic, "message_primary", None)
        text = primary if isinstance(primary, str) and primary else str(error)
        password = getattr(self, "_params", {}).get("password")
        if password:
            text = text.replace(password, "***")
        lines = [line.strip() for line in text.strip().splitlines() if line.strip()]
        return mask_url("; ".join(lines[:3]))

    def _failure(self, error: psycopg.Error, doing: str, *, connecting: bool = False) -> StoreError:
        """A StoreError for a psycopg error: which store, what okrkit was doing, what to do."""
        state = error.sqlstate or ""
        text = self._clean(error)
        where = self._where
        lowered = text.lower()
        params = self._params
        user = params.get("user") or os.environ.get("PGUSER") or "(your login name)"
        database = params.get("dbname") or os.environ.get("PGDATABASE") or user
        target = _target(params)
        if (
            state == "28P01"
            or "password authentication failed" in lowered
            or ("no password supplied" in lowered)
        ):
            message = (
                f"cannot open {where}: the server at {target} refused the password of user "
                f"{user!r} ({text}): check the password; okrkit takes it from the URL "
                "(postgresql://user:password@host/database), else from PGPASSWORD, else from "
                "the password file (~/.pgpass, or the file PGPASSFILE names); it never prints it"
            )
        elif (
            state == "28000"
            or "no pg_hba.conf entry" in lowered
            or ("role" in lowered and "does not exist" in lowered)
        ):
            message = (
                f"cannot open {where}: the server at {target} does not let user {user!r} in "
                f"({text}): check the user name in the URL, and ask the server's administrator "
                "to create the role or allow it in pg_hba.conf"
            )
        elif state == "3D000" or ("database" in lowered and "does not exist" in lowered):
            message = (
                f"cannot open {where}: the server at {target} has no database {database!r} "
                f"({text}): create it (createdb {database}, or CREATE DATABASE {database}) "
                "or fix the database name in the URL"
            )
        elif state == "42501":
            message = (
                f"{where}: permission denied while okrkit was {doing} ({text}): the role needs "
                f"USAGE and CREATE on schema {self.schema!r} (or CREATE on the database, to "
                "create it) and SELECT, INSERT, UPDATE and DELETE on its tables; see the "
                "PostgreSQL section of the store reference"
            )
        elif state in _RETRIED:
            message = (
                f"{where}: okrkit was {doing} and the server aborted it {RETRIES} times for "
                f"conflicts with other sessions ({text}); nothing of it was written: try again"
            )
        elif state == "55P03":
            message = (
                f"{where} is busy: another session kept rows locked for more than "
                f"{LOCK_TIMEOUT:g} s while okrkit was {doing}; try again"
            )
        elif state == "53300" or ("too many" in lowered and "connections" in lowered):
            message = (
                f"cannot open {where}: the server at {target} has too many connections "
                f"({text}): try again later, or raise its max_connections"
            )
        elif "nul" in lowered and "0x00" in lowered:
            message = (
                f"{where}: {doing} failed: a text holds a NUL character (\\x00), which "
                "PostgreSQL cannot store: remove it; nothing of it was written"
            )
        elif connecting:
            message = (
                f"cannot open {where}: no PostgreSQL server answered at {target} ({text}): is "
                "it running, and listening there? check the host and port in the URL"
            )
        elif state.startswith("08") or isinstance(error, psycopg.OperationalError):
            message = (
                f"{where}: lost the connection to the server at {target} while okrkit was "
                f"{doing} ({text}): a write it interrupted was stored whole or not at all; "
                "check the server, then try again"
            )
        else:
            message = f"{where}: {doing} failed: {text}"
        return StoreError(message)

    def _live(self) -> _Connection:
        """The connection; a new one when the server dropped it (a restart, a failover)."""
        if self._connection is None:
            raise StoreError(f"{self._where} is closed: open it again with okrkit.open_store")
        if self._connection.broken:
            with contextlib.suppress(psycopg.Error):
                self._connection.close()
            self._connection = self._connect()
        return self._connection

    def _read(self, query: str, parameters: Any, doing: str) -> list[Any]:
        """Rows of one statement; tried twice when the connection was lost (reads repeat)."""
        with self._guard:
            for attempt in (1, 2):
                connection = self._live()
                try:
                    return connection.execute(query, parameters).fetchall()
                except psycopg.Error as error:
                    if attempt == 1 and connection.broken:
                        continue
                    raise self._failure(error, doing) from error
        raise AssertionError  # pragma: no cover - the loop returns or raises

    def _write(self, doing: str, work: Callable[[_Connection], _T]) -> _T:
        """`work` in one transaction: committed when it returns, rolled back if it raises;
        tried again (a few times) when the server aborts it for a conflict with another."""
        for attempt in range(1, RETRIES + 1):
            with self._guard:
                connection = self._begin(doing)
                try:
                    result = work(connection)
                    connection.execute("COMMIT")
                except BaseException as error:
                    if not connection.closed:
                        with contextlib.suppress(psycopg.Error):
                            connection.execute("ROLLBACK")
                    if isinstance(error, psycopg.Error):
                        if error.sqlstate in _RETRIED and attempt < RETRIES:
                            retry = True
                        else:
                            raise self._write_failure(error, doing) from error
                    else:
                        raise
                else:
                    return result
            if retry:
                time.sleep(0.01 * 2**attempt)
        raise AssertionError  # pragma: no cover - the loop returns or raises

    def _begin(self, doing: str) -> _Connection:
        """The connection, in a new transaction; connected again when the server dropped the
        connection since the last call (nothing was sent yet: nothing is lost)."""
        for attempt in (1, 2):
            connection = self._live()
            try:
                connection.execute("BEGIN")
            except psycopg.Error as error:
                if attempt == 1 and connection.broken:
                    continue
                raise self._failure(error, doing) from error
            return connection
        raise AssertionError  # pragma: no cover - the loop returns or raises

    def _write_failure(self, error: psycopg.Error, doing: str) -> StoreError:
        if isinstance(error, psycopg.errors.IntegrityError):
            hint = (
                " (a run_id names a run that is not in this store: give None, or the id of a "
                "recorded run)"
                if error.sqlstate == "23503"
                else ""
            )
            return StoreError(
                f"{self._where}: {doing}: {self._clean(error)}{hint}; nothing of it was written"
            )
        return self._failure(error, doing)

    @staticmethod
    def _copy_measurements(connection: _Connection, rows: list[Record]) -> None:
        if not rows:
            return
        with connection.cursor() as cursor, cursor.copy(_COPY_MEASUREMENTS) as copy:
            for row in rows:
                copy.write_row(row)

    # The Store protocol -------------------------------------------------------------------

    @property
    def schema_version(self) -> int:
        """The schema version of the store (the one this okrkit writes, once opened)."""
        with self._guard:
            if self._connection is not None:  # read it: a newer okrkit may have migrated it
                rows = self._read(
                    "SELECT value FROM okrkit_meta WHERE key = 'schema_version'",
                    (),
                    "reading its version",
                )
                self._version = int(rows[0][0]) if rows else 0
            return self._version

    def close(self) -> None:
        """Close the store; closing twice is harmless."""
        with self._guard:
            if self._connection is not None:
                with contextlib.suppress(psycopg.Error):
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

        def work(connection: _Connection) -> None:
            inserted = connection.execute(
                _INSERT_RUN,
                (
                    run.id,
                    run.plan,
                    run.started_at,
                    run.finished_at,
                    run.status,
                    run.measured,
                    run.failed,
                    run.skipped,
                    results,
                ),
            ).fetchone()
            if inserted is None:
                raise StoreError(
                    f"{self._where} already holds run {run.id!r}: give every run a new id "
                    "(for example uuid.uuid4().hex); nothing of it was written"
                )
            self._copy_measurements(connection, rows)
            if baseline_rows:
                with connection.cursor() as cursor:
                    cursor.executemany(_UPSERT_BASELINE, baseline_rows)
            if release is not None:
                connection.execute(
                    "DELETE FROM leases WHERE plan = %s AND token = %s", (run.plan, release)
                )

        self._write(f"recording run {run.id!r}", work)

    def backfill(self, records: Iterable[Record]) -> int:
        """Store past values (from a newly connected source) in one transaction; the count."""
        rows = _measurement_rows(records, plan=None, run_id=None)
        self._write(
            f"backfilling {len(rows)} records",
            lambda connection: self._copy_measurements(connection, rows),
        )
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
        start = _EARLIEST if since is None else check_instant(since, "since")
        end = _LATEST if until is None else check_instant(until, "until")
        rows = self._read(
            _HISTORY, (plan, key_result, start, end), f"reading the history of {key_result!r}"
        )
        return [
            Record(plan, key_result, value, observed, source, fetched, fingerprint, raw, run_id)
            for value, observed, source, fetched, fingerprint, raw, run_id in rows
        ]

    def measurements(self, plan: str, *, until: dt.datetime | None = None) -> list[Measurement]:
        """Every measurement of the plan up to `until`, by key result then time, for scoring."""
        end = _LATEST if until is None else check_instant(until, "until")
        rows = self._read(
            "SELECT key_result, value, observed_at, source FROM measurements "
            "WHERE plan = %s AND observed_at <= %s ORDER BY key_result, observed_at, id",
            (plan, end),
            "reading measurements",
        )
        return [
            Measurement(key_result, value, observed, source)
            for key_result, value, observed, source in rows
        ]

    def latest(self, plan: str, *, until: dt.datetime | None = None) -> dict[str, Record]:
        """Per key result, its last record observed at or before `until`."""
        end = _LATEST if until is None else check_instant(until, "until")
        rows = self._read(_LATEST_SQL, {"plan": plan, "until": end}, "reading the latest values")
        return {
            key_result: Record(
                plan, key_result, value, observed, source, fetched, fingerprint, raw, run_id
            )
            for key_result, value, observed, source, fetched, fingerprint, raw, run_id in rows
        }

    def add_check_in(self, plan: str, check_in: CheckIn) -> None:
        """Store a person's check-in on a key result of the plan."""
        check_check_in(plan, check_in)
        self._write(
            f"adding a check-in on {check_in.key_result!r}",
            lambda connection: connection.execute(
                "INSERT INTO check_ins (plan, key_result, at, value, confidence, note, author) "
                "VALUES (%s, %s, %s, %s, %s, %s, %s)",
                (
                    plan,
                    check_in.key_result,
                    check_in.at,
                    None if check_in.value is None else float(check_in.value),
                    None if check_in.confidence is None else float(check_in.confidence),
                    check_in.note,
                    check_in.author,
                ),
            ),
        )

    def check_ins(
        self, plan: str, *, key_result: str | None = None, until: dt.datetime | None = None
    ) -> list[CheckIn]:
        """The plan's check-ins (or one key result's) up to `until`, oldest first."""
        end = _LATEST if until is None else check_instant(until, "until")
        rows = self._read(
            "SELECT key_result, at, value, confidence, note, author FROM check_ins "
            "WHERE plan = %s AND (%s::text IS NULL OR key_result = %s) AND at <= %s "
            "ORDER BY at, id",
            (plan, key_result, key_result, end),
            "reading check-ins",
        )
        return [
            CheckIn(key, at, value, confidence, note, author)
            for key, at, value, confidence, note, author in rows
        ]

    def baseline(self, plan: str, key_result: str) -> Baseline | None:
        """The key result's baseline, or None when none was measured yet."""
        return self.baselines(plan, key_result=key_result).get(key_result)

    def baselines(self, plan: str, *, key_result: str | None = None) -> dict[str, Baseline]:
        """Every baseline of the plan, by key result."""
        rows = self._read(
            "SELECT key_result, value, measured_at, since, until, source, run_id FROM baselines "
            "WHERE plan = %s AND (%s::text IS NULL OR key_result = %s) ORDER BY key_result",
            (plan, key_result, key_result),
            "reading baselines",
        )
        return {
            key: Baseline(plan, key, value, measured_at, since, until, source, run_id)
            for key, value, measured_at, since, until, source, run_id in rows
        }

    def runs(self, plan: str, *, limit: int = 20) -> list[RunRecord]:
        """The plan's last `limit` runs, newest first."""
        check_limit(limit)
        rows = self._read(
            "SELECT id, started_at, finished_at, status, measured, failed, skipped, results "
            "FROM runs WHERE plan = %s ORDER BY started_at DESC, seq DESC LIMIT %s",
            (plan, limit),
            "reading runs",
        )
        return [
            RunRecord(
                run_id,
                plan,
                started_at,
                finished_at,
                status,
                measured,
                failed,
                skipped,
                tuple(results),
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
        self._write(
            f"recording a review of plan {plan!r}",
            lambda connection: connection.execute(
                "INSERT INTO reviews (plan, at, data) VALUES (%s, %s, %s::json) "
                "ON CONFLICT (plan, at) DO UPDATE SET data = excluded.data",
                (plan, at, text),
            ),
        )

    def last_review(
        self, plan: str, *, before: dt.datetime | None = None
    ) -> tuple[dt.datetime, dict[str, Any]] | None:
        """The plan's latest review (made strictly before `before`, if given): when, and its
        data; None when there is none."""
        end = _LATEST if before is None else check_instant(before, "before")
        rows = self._read(
            "SELECT at, data FROM reviews WHERE plan = %s AND at < %s ORDER BY at DESC LIMIT 1",
            (plan, end),
            "reading the last review",
        )
        if not rows:
            return None
        at, data = rows[0]
        return at, dict(data)

    def record_cycle_results(self, plan: str, cycle: Cycle, results: Iterable[CycleResult]) -> int:
        """Store the plan's results for `cycle` in one transaction, replacing any earlier record
        of the same cycle (same start and end); the number stored."""
        rows = cycle_result_rows(plan, cycle, results)

        def work(connection: _Connection) -> None:
            connection.execute(
                "DELETE FROM cycle_results WHERE plan = %s AND cycle_start = %s AND cycle_end = %s",
                (plan, cycle.start, cycle.end),
            )
            if rows:
                connection.cursor().executemany(
                    "INSERT INTO cycle_results (plan, cycle, cycle_start, cycle_end, key_result, "
                    "objective, kind, score, recorded_at) "
                    "VALUES (%s, %s, %s, %s, %s, %s, %s, %s, %s)",
                    rows,
                )

        self._write(f"recording the results of cycle {cycle}", work)
        return len(rows)

    def cycle_results(self, plan: str) -> list[CycleResult]:
        """Every cycle's recorded results, oldest cycle first, each in the order written."""
        rows = self._read(
            "SELECT cycle, cycle_start, cycle_end, objective, key_result, kind, score, "
            "recorded_at FROM cycle_results WHERE plan = %s "
            "ORDER BY cycle_start, cycle_end, seq",
            (plan,),
            "reading cycle results",
        )
        cycles: dict[tuple[str, dt.date, dt.date], Cycle] = {}
        results = []
        for label, start, end, objective, key_result, kind, score, recorded_at in rows:
            cycle = cycles.get((label, start, end))
            if cycle is None:
                cycle = cycles[label, start, end] = Cycle(start, end, label)
            results.append(
                CycleResult(plan, cycle, objective, key_result, Kind(kind), score, recorded_at)
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

        def work(connection: _Connection) -> None:
            # one statement: of two sessions taking it at once, the second waits for the
            # first's row, then finds it live and takes nothing
            taken = connection.execute(
                "INSERT INTO locks (plan, holder, token, acquired_at, expires_at) "
                "VALUES (%s, %s, %s, %s, %s) ON CONFLICT (plan) DO UPDATE SET "
                "holder = excluded.holder, token = excluded.token, "
                "acquired_at = excluded.acquired_at, expires_at = excluded.expires_at "
                "WHERE locks.expires_at <= %s RETURNING token",
                (plan, holder, token, now, now + ttl, now),
            ).fetchone()
            if taken is not None:
                return
            row = connection.execute(
                "SELECT holder, expires_at FROM locks WHERE plan = %s", (plan,)
            ).fetchone()
            held_by, expires_at = row if row is not None else ("?", now)
            raise StoreLockedError(
                f"another refresh holds the lock on plan {plan!r} in {self._where} "
                f"({held_by}); it expires at {expires_at:%Y-%m-%d %H:%M:%S} UTC: "
                "wait for it, or run again after that",
                holder=held_by,
                expires_at=expires_at,
            )

        self._write(f"taking the lock on plan {plan!r}", work)
        try:
            yield
        except BaseException:
            with contextlib.suppress(StoreError):  # the block's own error matters more
                self._release_lock(plan, token)
            raise
        self._release_lock(plan, token)

    def _release_lock(self, plan: str, token: str) -> None:
        # Only our own lease: if it expired and another run took it over, that one keeps it.
        self._write(
            f"releasing the lock on plan {plan!r}",
            lambda connection: connection.execute(
                "DELETE FROM locks WHERE plan = %s AND token = %s", (plan, token)
            ),
        )

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

        As the SQLite store's: for each key result, `held` when another token holds a live
        lease on it (not expired, its token not in `dead`); else `fresh` when, with
        `fresh_after`, a value of it was fetched at or after that moment; else leased to `token`
        until ``now + ttl`` and `claimed`. Claims of one plan take turns (an advisory lock), so
        that two never lease one key result, and each sees the others' leases and the values of
        the runs recorded before it; a lease is taken over only if, once a holder renewing it
        has committed, it is still expired (or its holder dead).
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
        lock_key = _lock_key(self.schema, f"leases\0{plan}")

        def work(connection: _Connection) -> Claim:
            connection.execute("SELECT pg_advisory_xact_lock(%s)", (lock_key,))
            leases = {
                row[1]: lease_from_row(row)
                for row in connection.execute(
                    f"SELECT {_LEASE_COLUMNS} FROM leases "  # noqa: S608  # constant columns
                    "WHERE plan = %s AND key_result = ANY(%s)",
                    (plan, ids),
                )
            }
            fetched: dict[str, dt.datetime] = {}
            if fresh_after is not None:
                fetched = dict(
                    connection.execute(
                        "SELECT key_result, max(fetched_at) FROM measurements "
                        "WHERE plan = %s AND key_result = ANY(%s) AND fetched_at >= %s "
                        "GROUP BY key_result",
                        (plan, ids, fresh_after),
                    ).fetchall()
                )
            claim = decide_claim(
                ids,
                token=token,
                now=now,
                leases=leases,
                dead=dead_tokens,
                fetched=fetched,
                fresh_after=fresh_after,
            )
            claimed, held = list(claim.claimed), dict(claim.held)
            if claimed:
                taken = {
                    row[0]
                    for row in connection.execute(
                        _UPSERT_LEASES,
                        {
                            "plan": plan,
                            "holder": holder,
                            "token": token,
                            "host": host,
                            "pid": pid,
                            "now": now,
                            "expires": now + ttl,
                            "claimed": claimed,
                            "dead": sorted(dead_tokens),
                        },
                    )
                }
                if len(taken) < len(claimed):  # its holder renewed it meanwhile: it holds it
                    for row in connection.execute(
                        f"SELECT {_LEASE_COLUMNS} FROM leases "  # noqa: S608  # constant columns
                        "WHERE plan = %s AND key_result = ANY(%s)",
                        (plan, [key for key in claimed if key not in taken]),
                    ):
                        held[row[1]] = lease_from_row(row)
                    claimed = [key for key in claimed if key in taken]
            return Claim(token, tuple(claimed), dict(sorted(held.items())), claim.fresh)

        return self._write(f"claiming key results of plan {plan!r}", work)

    def renew(self, plan: str, token: str, *, ttl: dt.timedelta = DEFAULT_LEASE_TTL) -> int:
        """Extend the token's leases to ``now + ttl``; how many it still holds (0: none left,
        they expired and were taken over)."""
        check_plan(plan)
        check_ttl(ttl, "a lease")
        expires = dt.datetime.now(dt.UTC) + ttl
        return self._write(
            f"renewing leases on plan {plan!r}",
            lambda connection: (
                connection.execute(
                    "UPDATE leases SET expires_at = %s WHERE plan = %s AND token = %s",
                    (expires, plan, token),
                ).rowcount
            ),
        )

    def release(self, plan: str, token: str) -> int:
        """End the token's leases; how many there were."""
        check_plan(plan)
        return self._write(
            f"releasing leases on plan {plan!r}",
            lambda connection: (
                connection.execute(
                    "DELETE FROM leases WHERE plan = %s AND token = %s", (plan, token)
                ).rowcount
            ),
        )

    def leases(self, plan: str) -> list[Lease]:
        """The plan's leases, live or expired but not yet taken over, by key result."""
        rows = self._read(
            f"SELECT {_LEASE_COLUMNS} FROM leases "  # noqa: S608  # constant columns
            "WHERE plan = %s ORDER BY key_result",
            (plan,),
            "reading leases",
        )
        return [lease_from_row(row) for row in rows]

    # Plan keys ------------------------------------------------------------------------------

    def register_plan(
        self, plan: str, *, title: str, explicit: bool, at: dt.datetime | None = None
    ) -> PlanInfo:
        """Record that the plan titled `title` is stored under the key `plan`.

        Raises `StoreError` when the key already stands for a plan of another title and the
        two cannot be the same plan renamed (see `okrkit.store.is_plan_conflict`).
        """
        check_plan(plan)
        check_plan_title(title, explicit)
        moment = check_instant(at, "at", optional=True) or dt.datetime.now(dt.UTC)

        def work(connection: _Connection) -> PlanInfo:
            # insert, or lock the stored row: two new registrations at once take turns
            inserted = connection.execute(
                f"INSERT INTO plan_keys ({_PLAN_KEY_COLUMNS}) "  # noqa: S608  # constant columns
                "VALUES (%s, %s, %s, %s, %s) ON CONFLICT (plan) DO NOTHING RETURNING plan",
                (plan, title, explicit, moment, moment),
            ).fetchone()
            if inserted is not None:
                first = moment.astimezone(dt.UTC)
                return PlanInfo(plan, title, explicit, first, first)
            row = connection.execute(
                f"SELECT {_PLAN_KEY_COLUMNS} FROM plan_keys "  # noqa: S608  # constant columns
                "WHERE plan = %s FOR UPDATE",
                (plan,),
            ).fetchone()
            if row is None:  # pragma: no cover - the row was there a statement ago
                raise StoreError(f"{self._where}: plan key {plan!r} vanished while registering it")
            info = decide_plan_key(
                plan_info_from_row(row),
                plan,
                title=title,
                explicit=explicit,
                at=moment,
                where=self._where,
            )
            updated = connection.execute(
                "UPDATE plan_keys SET title = %s, explicit = %s, "  # noqa: S608  # constant columns
                "last_seen = greatest(last_seen, %s) WHERE plan = %s "
                f"RETURNING {_PLAN_KEY_COLUMNS}",
                (title, info.explicit, moment, plan),
            ).fetchone()
            assert updated is not None  # noqa: S101  # the row is locked: it is there
            return plan_info_from_row(updated)

        return self._write(f"registering plan {plan!r}", work)

    def plan_info(self, plan: str) -> PlanInfo | None:
        """What the store knows of the plan key, or None."""
        rows = self._read(
            f"SELECT {_PLAN_KEY_COLUMNS} FROM plan_keys WHERE plan = %s",  # noqa: S608
            (plan,),
            "reading plan keys",
        )
        return plan_info_from_row(rows[0]) if rows else None
