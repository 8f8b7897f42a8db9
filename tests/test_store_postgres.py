"""The PostgreSQL store itself: its URL and schema, connection and permission errors, the schema
and its migrations (with several processes at once), and what only a server can show.

Every behaviour of the store protocol runs on PostgreSQL in tests/test_store.py and
tests/test_store_leases.py (the `store` fixture); these tests need a server too
(OKRKIT_TEST_POSTGRES_URL, see tests/conftest.py), except the first few, which check what happens
without one.
"""

import datetime as dt
import os
import re
import signal
import subprocess
import sys
import time
import uuid
from pathlib import Path

import attrs
import pytest

from okrkit.errors import SchemaVersionError, StoreError
from okrkit.model import CheckIn, Cycle, Kind
from okrkit.store import Baseline, CycleResult, Record, RunRecord, open_store

UTC = dt.UTC
T0 = dt.datetime(2026, 7, 1, 9, 0, tzinfo=UTC)
PLAN = "launch"
VERSION = 3


def record(key_result="signups", value=1.0, day=0.0, **fields) -> Record:
    fields.setdefault("source", "sql")
    return Record(PLAN, key_result, value, T0 + dt.timedelta(days=day), **fields)


def run_of(run_id="run-1", day=0.0) -> RunRecord:
    started = T0 + dt.timedelta(days=day)
    return RunRecord(run_id, PLAN, started, started + dt.timedelta(minutes=1), "ok", 1, 0, 0)


def parts(url: str) -> dict[str, str]:
    from psycopg.conninfo import conninfo_to_dict

    return {key: str(value) for key, value in conninfo_to_dict(url).items()}


def url_of(base: str, *, user=None, password=None, dbname=None, query="") -> str:
    """`base` (the test server's URL) as another user, password or database."""
    found = parts(base)
    who = user or found.get("user", "")
    if password is not None:
        who += f":{password}"
    host = found.get("host", "127.0.0.1")
    port = found.get("port", "5432")
    return f"postgresql://{who}{'@' if who else ''}{host}:{port}/{dbname or found['dbname']}{query}"


def run_python(code: str, *args: str, env=None) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-c", code, *args],
        capture_output=True,
        text=True,
        check=False,
        env=env,
        timeout=120,
    )


# -- Without a server -----------------------------------------------------------------------------


def test_importing_okrkit_does_not_load_psycopg():
    code = (
        "import sys, okrkit, okrkit.store; "
        "print([m for m in ('psycopg', 'okrkit.store.postgres') if m in sys.modules])"
    )
    result = run_python(code)
    assert (result.returncode, result.stdout) == (0, "[]\n"), result.stderr


def test_without_psycopg_a_postgresql_url_says_what_to_install():
    code = (
        "import sys; sys.modules['psycopg'] = None\n"
        "from okrkit.store import open_store\n"
        "try:\n"
        "    open_store('postgresql://okr:s3cret@127.0.0.1:1/okrs')\n"
        "except Exception as error:\n"
        "    print(type(error).__name__, error)\n"
    )
    result = run_python(code)
    assert result.stdout == (
        "StoreError cannot open postgresql://okr:***@127.0.0.1:1/okrs: the PostgreSQL store "
        "needs psycopg, which is not installed: pip install 'okrkit[postgresql]'\n"
    ), result.stderr


@pytest.mark.parametrize(
    ("url", "message"),
    [
        (
            "postgresql://okr:s3cret@127.0.0.1:1/okrs?schema=Okrs",
            (
                "postgresql://okr:***@127.0.0.1:1/okrs?schema=Okrs: schema 'Okrs' is not a schema "
                "name okrkit uses: give lower case letters, digits and '_'"
            ),
        ),
        ("postgresql://127.0.0.1:1/okrs?schema=pg_okrs", "schema 'pg_okrs' is not a schema name"),
        ("postgresql://127.0.0.1:1/okrs?schema=", "schema '' is not a schema name"),
        ("postgresql://127.0.0.1:1/okrs?schema=a&schema=b", "give schema= once, not 2 times"),
        (
            "postgresql://okr:s3cret@127.0.0.1:1/okrs",
            (
                "cannot open store postgresql://okr:***@127.0.0.1:1/okrs: no PostgreSQL server "
                "answered at 127.0.0.1:1 ("
            ),
        ),
        (
            "postgres://127.0.0.1:1/okrs?sslmode=disable&schema=team_a",
            (
                "cannot open store postgres://127.0.0.1:1/okrs?sslmode=disable&schema=team_a: no "
                "PostgreSQL server answered at 127.0.0.1:1"
            ),
        ),
        ("postgresql://127.0.0.1:notaport/okrs", "cannot open store postgresql://127.0.0.1:"),
    ],
)
def test_bad_urls_and_unreachable_servers_are_refused_saying_what_to_do(url, message):
    pytest.importorskip("psycopg")
    with pytest.raises(StoreError) as caught:
        open_store(url)
    assert message in str(caught.value)
    assert "s3cret" not in str(caught.value)
    if "answered" in message:
        assert str(caught.value).endswith(
            "is it running, and listening there? check the host and port in the URL"
        )


# -- Opening: the URL and the schema --------------------------------------------------------------


def test_the_store_lives_in_the_schema_the_url_names(
    postgres_store_url, postgres_schema, postgres_admin
):
    with open_store(postgres_store_url) as store:
        assert type(store).__name__ == "PostgresStore"
        assert store.url == postgres_store_url
        assert repr(store) == f"PostgresStore({postgres_store_url!r})"
        assert store.schema == postgres_schema
        store.backfill([record()])
    tables = {
        row[0]
        for row in postgres_admin.execute(
            "SELECT table_name FROM information_schema.tables WHERE table_schema = %s",
            (postgres_schema,),
        )
    }
    assert tables == {
        "okrkit_meta",
        "runs",
        "measurements",
        "check_ins",
        "baselines",
        "locks",
        "reviews",
        "cycle_results",
        "leases",
        "plan_keys",
    }
    meta = dict(
        postgres_admin.execute(
            f'SELECT key, value FROM "{postgres_schema}".okrkit_meta'  # noqa: S608
        ).fetchall()
    )
    assert meta == {"application": "okrkit", "schema_version": str(VERSION)}


def test_the_default_schema_is_okrkit_and_the_other_url_parameters_reach_the_server(
    postgres_url, postgres_admin
):
    exists = postgres_admin.execute("SELECT 1 FROM pg_namespace WHERE nspname = 'okrkit'")
    if exists.fetchone() is not None:
        pytest.skip("the test database already has a schema okrkit")
    url = postgres_url.replace("postgresql://", "postgresql+psycopg://", 1)
    query = "&" if "?" in url else "?"
    try:
        with open_store(f"{url}{query}application_name=dashboard-feed") as store:
            assert store.schema == "okrkit"
            store.backfill([record()])
            connection = store._connection
            assert connection.execute("SHOW application_name").fetchone() == ("dashboard-feed",)
            assert connection.execute("SHOW TimeZone").fetchone() == ("UTC",)
            assert connection.execute("SHOW search_path").fetchone() == ('"okrkit"',)
            assert connection.execute("SHOW lock_timeout").fetchone() == ("30s",)
        rows = postgres_admin.execute("SELECT count(*) FROM okrkit.measurements").fetchone()
        assert rows == (1,)
    finally:
        postgres_admin.execute("DROP SCHEMA IF EXISTS okrkit CASCADE")


def test_the_password_never_shows(postgres_url, postgres_schema):
    found = parts(postgres_url)
    passfile = os.environ.get("PGPASSFILE")
    if found.get("password") or not passfile or not Path(passfile).is_file():
        pytest.skip("needs the password in a password file (as .ci/postgres.sh sets it up)")
    password = Path(passfile).read_text().strip().split(":")[-1]
    url = url_of(postgres_url, password=password, query=f"?schema={postgres_schema}")
    with open_store(url) as store:
        assert password in url
        assert password not in store.url
        assert password not in repr(store)
        assert store.url == url.replace(f":{password}@", ":***@")
        with pytest.raises(StoreError) as caught:
            store.backfill([record(run_id="no-such-run")])
        assert password not in str(caught.value)
        assert str(caught.value).startswith(f"store {store.url}: backfilling 1 records: ")


def test_a_wrong_password_says_where_passwords_come_from(postgres_url):
    url = url_of(postgres_url, password="not-the-password-42")
    with pytest.raises(StoreError) as caught:
        open_store(url)
    message = str(caught.value)
    user = parts(postgres_url).get("user")
    assert message.startswith(
        f"cannot open store {url.replace('not-the-password-42', '***')}: the server at "
    )
    assert f"refused the password of user {user!r}" in message
    assert "password authentication failed" in message
    assert message.endswith(
        "check the password; okrkit takes it from the URL (postgresql://user:password@host/"
        "database), else from PGPASSWORD, else from the password file (~/.pgpass, or the file "
        "PGPASSFILE names); it never prints it"
    )
    assert "not-the-password-42" not in message


def test_no_password_at_all_says_the_same(postgres_url, tmp_path, monkeypatch):
    empty = tmp_path / "pgpass"
    empty.write_text("")
    empty.chmod(0o600)
    monkeypatch.setenv("PGPASSFILE", str(empty))
    monkeypatch.delenv("PGPASSWORD", raising=False)
    url = url_of(postgres_url, user=f"nobody_{uuid.uuid4().hex[:6]}")
    with pytest.raises(StoreError) as caught:
        open_store(url)
    if "does not let user" in str(caught.value):  # pragma: no cover - a server trusting loopback
        pytest.skip("the test server does not ask for passwords")
    assert re.search(
        r"refused the password of user 'nobody_\w+' \(.*no password supplied", str(caught.value)
    )
    assert "else from PGPASSWORD, else from the password file" in str(caught.value)


def test_a_missing_database_says_how_to_create_it(postgres_url):
    url = url_of(postgres_url, dbname="no_such_okrs")
    with pytest.raises(StoreError) as caught:
        open_store(url)
    message = str(caught.value)
    assert message.startswith(f"cannot open store {url}: the server at ")
    assert "has no database 'no_such_okrs'" in message
    assert message.endswith(
        "create it (createdb no_such_okrs, or CREATE DATABASE no_such_okrs) or fix the database "
        "name in the URL"
    )


@pytest.fixture
def role(postgres_url, postgres_admin):
    """A new login role with a password, dropped after the test; needs a superuser admin."""
    (superuser,) = postgres_admin.execute(
        "SELECT rolsuper FROM pg_roles WHERE rolname = current_user"
    ).fetchone()
    if not superuser:
        pytest.skip("the test server's user cannot create roles")
    name = f"okrkit_role_{uuid.uuid4().hex[:8]}"
    postgres_admin.execute(f"CREATE ROLE {name} LOGIN PASSWORD 'role-pw-1'")
    yield name
    postgres_admin.execute(f"DROP OWNED BY {name}")
    postgres_admin.execute(f"DROP ROLE {name}")


def test_a_role_that_may_not_create_the_schema_is_told_which_rights_it_needs(
    postgres_url, postgres_admin, postgres_schema, role
):
    url = url_of(postgres_url, user=role, password="role-pw-1", query=f"?schema={postgres_schema}")
    with pytest.raises(StoreError) as caught:
        open_store(url)
    message = str(caught.value)
    assert message.startswith(f"store {url.replace('role-pw-1', '***')}: permission denied ")
    assert "while okrkit was opening it (permission denied for database" in message
    assert f"CREATE on schema '{postgres_schema}' (or CREATE on the database" in message
    assert "role-pw-1" not in message
    # a schema made for it by an administrator is enough
    postgres_admin.execute(f'CREATE SCHEMA "{postgres_schema}" AUTHORIZATION {role}')
    with open_store(url) as store:
        store.backfill([record()])
        assert store.schema_version == VERSION


def test_a_reader_reads_and_is_refused_writes(
    postgres_url, postgres_store_url, postgres_admin, postgres_schema, role
):
    with open_store(postgres_store_url) as store:
        store.record_run(run_of(), [record(run_id="run-1")])
    schema = postgres_schema
    postgres_admin.execute(f'GRANT USAGE ON SCHEMA "{schema}" TO {role}')
    postgres_admin.execute(f'GRANT SELECT ON ALL TABLES IN SCHEMA "{schema}" TO {role}')
    url = url_of(postgres_url, user=role, password="role-pw-1", query=f"?schema={schema}")
    with open_store(url) as reader:
        assert [r.value for r in reader.history(PLAN, "signups")] == [1.0]
        assert reader.plans() == [PLAN]
        with pytest.raises(StoreError, match=r"permission denied while okrkit was recording run"):
            reader.record_run(run_of("run-2", day=1), [record(day=1)])


@pytest.fixture
def pg_store(postgres_store_url):
    """A fresh, empty PostgreSQL store."""
    with open_store(postgres_store_url) as opened:
        yield opened


# -- The schema: versions, migrations, other applications' tables ----------------------------------


def test_the_schema_has_the_same_versions_as_the_sqlite_store():
    from okrkit.store import postgres, sqlite

    assert postgres.schema_version() == sqlite.schema_version() == VERSION


def test_columns_have_postgresql_types_for_dashboards(pg_store, postgres_admin, postgres_schema):
    columns = dict(
        postgres_admin.execute(
            "SELECT table_name || '.' || column_name, data_type FROM information_schema.columns "
            "WHERE table_schema = %s",
            (postgres_schema,),
        ).fetchall()
    )
    assert columns["measurements.observed_at"] == "timestamp with time zone"
    assert columns["measurements.value"] == "double precision"
    assert columns["measurements.id"] == "bigint"
    assert columns["runs.results"] == "json"
    assert columns["reviews.data"] == "json"
    assert columns["cycle_results.cycle_start"] == "date"
    assert columns["plan_keys.explicit"] == "boolean"
    assert columns["leases.expires_at"] == "timestamp with time zone"


def test_a_store_from_a_newer_okrkit_is_refused_untouched(
    postgres_store_url, postgres_admin, postgres_schema
):
    open_store(postgres_store_url).close()
    postgres_admin.execute(
        f"UPDATE \"{postgres_schema}\".okrkit_meta SET value = '7' "  # noqa: S608
        "WHERE key = 'schema_version'"
    )
    with pytest.raises(SchemaVersionError) as caught:
        open_store(postgres_store_url)
    assert str(caught.value) == (
        f"store {postgres_store_url} was written by a newer okrkit (schema 7, this one knows "
        f"{VERSION}): upgrade okrkit"
    )
    (value,) = postgres_admin.execute(
        f"SELECT value FROM \"{postgres_schema}\".okrkit_meta WHERE key = 'schema_version'"  # noqa: S608
    ).fetchone()
    assert value == "7"


def test_another_applications_schema_is_refused_untouched(
    postgres_store_url, postgres_admin, postgres_schema
):
    postgres_admin.execute(f'CREATE SCHEMA "{postgres_schema}"')
    postgres_admin.execute(f'CREATE TABLE "{postgres_schema}".users (id integer PRIMARY KEY)')
    with pytest.raises(StoreError) as caught:
        open_store(postgres_store_url)
    assert str(caught.value) == (
        f"store {postgres_store_url}: schema {postgres_schema!r} holds tables of another "
        "application (users) and no okrkit store: give okrkit a schema of its own "
        "(?schema=okrkit_store in the URL, a new name) or another database"
    )
    tables = postgres_admin.execute(
        "SELECT table_name FROM information_schema.tables WHERE table_schema = %s",
        (postgres_schema,),
    ).fetchall()
    assert tables == [("users",)]


def test_an_empty_schema_made_beforehand_becomes_a_store(
    postgres_store_url, postgres_admin, postgres_schema
):
    postgres_admin.execute(f'CREATE SCHEMA "{postgres_schema}"')
    with open_store(postgres_store_url) as store:
        assert store.schema_version == VERSION
        store.backfill([record()])


def test_missing_migration_steps_are_applied_in_order_in_one_transaction(
    postgres_store_url, monkeypatch
):
    from okrkit.store import postgres

    with open_store(postgres_store_url) as first:
        first.backfill([record()])
    step_a = ("CREATE TABLE notes (id integer GENERATED ALWAYS AS IDENTITY, text text NOT NULL)",)
    step_b = ("INSERT INTO notes (text) VALUES ('added by the last step')",)
    monkeypatch.setattr(postgres, "MIGRATIONS", (*postgres.MIGRATIONS, step_a, step_b))
    with open_store(postgres_store_url) as migrated:
        assert migrated.schema_version == VERSION + 2
        notes = migrated._connection.execute("SELECT text FROM notes").fetchall()
        assert notes == [("added by the last step",)]
        assert len(migrated.history(PLAN, "signups")) == 1


def test_a_version_1_store_gains_the_later_tables_and_keeps_its_data(
    postgres_store_url, monkeypatch
):
    from okrkit.store import postgres

    monkeypatch.setattr(postgres, "MIGRATIONS", postgres.MIGRATIONS[:1])
    with open_store(postgres_store_url) as old:
        assert old.schema_version == 1
        old.record_run(run_of(), [record(value=42)])
        old.add_check_in(PLAN, CheckIn("signups", T0, confidence=0.5))
    monkeypatch.undo()
    with open_store(postgres_store_url) as migrated:
        assert migrated.schema_version == VERSION
        assert [r.value for r in migrated.history(PLAN, "signups")] == [42.0]
        assert len(migrated.check_ins(PLAN)) == 1
        q3 = Cycle.parse("2026-Q3")
        result = CycleResult(PLAN, q3, "o", "signups", Kind.COMMITTED, 1.0, T0)
        migrated.record_cycle_results(PLAN, q3, [result])
        assert migrated.cycle_results(PLAN) == [result]
        assert migrated.claim(PLAN, ["signups"], holder="h", token="t").claimed == ("signups",)


def test_a_failing_migration_leaves_the_store_as_it_was(postgres_store_url, monkeypatch):
    from okrkit.store import postgres

    open_store(postgres_store_url).close()
    good = postgres.MIGRATIONS
    broken = ("CREATE TABLE notes (id integer)", "INSERT INTO nowhere VALUES (1)")
    monkeypatch.setattr(postgres, "MIGRATIONS", (*good, broken))
    with pytest.raises(StoreError, match=r"opening it failed: relation \"nowhere\" does not exist"):
        open_store(postgres_store_url)
    monkeypatch.setattr(postgres, "MIGRATIONS", good)
    with open_store(postgres_store_url) as opened:
        assert opened.schema_version == VERSION
        found = opened._connection.execute("SELECT to_regclass('notes')").fetchone()
        assert found == (None,)


def test_a_store_created_by_another_process_between_the_check_and_the_lock(
    postgres_store_url, monkeypatch
):
    from okrkit.store.postgres import PostgresStore

    stored_version = PostgresStore._stored_version
    raced: list[bool] = []

    def version_then_another_opens(self, connection):
        found = stored_version(self, connection)
        if not raced:  # right after this opener found no store, another one creates it
            raced.append(True)
            open_store(postgres_store_url).close()
        return found

    monkeypatch.setattr(PostgresStore, "_stored_version", version_then_another_opens)
    with open_store(postgres_store_url) as store:
        assert store.schema_version == VERSION
        store.backfill([record()])
    assert raced == [True]


OPENER = """
import sys
from okrkit.store import open_store

with open_store(sys.argv[1]) as store:
    print(store.schema_version, store.plans())
"""


def test_processes_opening_a_brand_new_database_at_once_build_it_once(postgres_url, postgres_admin):
    database = f"okrkit_new_{uuid.uuid4().hex[:8]}"
    try:
        postgres_admin.execute(f"CREATE DATABASE {database}")
    except Exception as error:  # noqa: BLE001  # a server where the test user may not
        pytest.skip(f"cannot create a database on the test server: {error}")
    url = url_of(postgres_url, dbname=database)
    try:
        children = [
            subprocess.Popen(
                [sys.executable, "-c", OPENER, url],
                stdout=subprocess.PIPE,
                stderr=subprocess.PIPE,
                text=True,
            )
            for _ in range(6)
        ]
        outputs = [child.communicate(timeout=120) for child in children]
        assert [child.returncode for child in children] == [0] * 6, outputs
        assert [out for out, _ in outputs] == [f"{VERSION} []\n"] * 6
        with open_store(url) as store:  # the default schema, okrkit, built once
            assert store.schema == "okrkit"
            count = store._connection.execute(
                "SELECT count(*) FROM okrkit_meta WHERE key = 'schema_version'"
            ).fetchone()
            assert count == (1,)
    finally:
        postgres_admin.execute(f"DROP DATABASE IF EXISTS {database} WITH (FORCE)")


# -- What only a server shows ------------------------------------------------------------------


def test_times_are_instants_whatever_time_zone_a_reader_uses(
    postgres_store_url, postgres_schema, postgres_admin
):
    paris = dt.timezone(dt.timedelta(hours=2))
    observed = dt.datetime(2026, 8, 15, 12, 30, 5, 123456, tzinfo=paris)
    with open_store(postgres_store_url) as store:
        store.backfill([Record(PLAN, "signups", 1.0, observed, "file")])
    reader = postgres_admin
    reader.execute("SET TimeZone = 'America/New_York'")
    (seen,) = reader.execute(
        f'SELECT observed_at FROM "{postgres_schema}".measurements'  # noqa: S608
    ).fetchone()
    (text,) = reader.execute(
        "SELECT to_char(observed_at AT TIME ZONE 'UTC', 'YYYY-MM-DD\"T\"HH24:MI:SS.US') "  # noqa: S608
        f'FROM "{postgres_schema}".measurements'
    ).fetchone()
    assert seen == observed
    assert text == "2026-08-15T10:30:05.123456"


def test_nul_characters_in_raw_are_replaced_and_refused_elsewhere(pg_store):
    store = pg_store  # SQLite keeps NUL characters
    store.backfill([record(raw="4\x0020")])
    assert store.history(PLAN, "signups")[0].raw == "4\ufffd20"
    with pytest.raises(StoreError) as caught:
        store.add_check_in(PLAN, CheckIn("signups", T0, value=1, note="a\x00b"))
    assert str(caught.value) == (
        f"store {store.url}: adding a check-in on 'signups' failed: a text holds a NUL "
        "character (\\x00), which PostgreSQL cannot store: remove it; nothing of it was written"
    )
    assert store.check_ins(PLAN) == []


def test_a_lost_connection_is_made_again(pg_store, postgres_admin):
    store = pg_store

    def server_drops_it():
        (pid,) = store._connection.execute("SELECT pg_backend_pid()").fetchone()
        postgres_admin.execute("SELECT pg_terminate_backend(%s)", (pid,))
        time.sleep(0.1)
        return pid

    store.backfill([record()])
    first = server_drops_it()
    assert [r.value for r in store.history(PLAN, "signups")] == [1.0]  # a read: connects again
    second = server_drops_it()
    assert second != first
    store.backfill([record(value=2, day=1)])  # a write: nothing was sent, connects again
    assert [r.value for r in store.history(PLAN, "signups")] == [1.0, 2.0]

    def dropped_half_way(connection):
        connection.execute("INSERT INTO locks VALUES ('p', 'h', 't', now(), now())")
        connection.execute("SELECT pg_terminate_backend(pg_backend_pid())")

    with pytest.raises(StoreError) as caught:
        store._write("recording run 'r'", dropped_half_way)  # never repeated by itself
    assert str(caught.value).startswith(f"store {store.url}: lost the connection to the server at ")
    assert str(caught.value).endswith(
        "while okrkit was recording run 'r' (terminating connection due to administrator "
        "command): a write it interrupted was stored whole or not at all; check the server, "
        "then try again"
    )
    assert store._read("SELECT count(*) FROM locks", (), "counting") == [(0,)]


def test_a_busy_store_raises_a_store_error(
    postgres_store_url, postgres_admin, postgres_schema, monkeypatch
):
    from okrkit.store import postgres

    monkeypatch.setattr(postgres, "LOCK_TIMEOUT", 0.2)
    with open_store(postgres_store_url) as store:
        postgres_admin.execute("BEGIN")
        postgres_admin.execute(f'LOCK TABLE "{postgres_schema}".runs IN ACCESS EXCLUSIVE MODE')
        try:
            with pytest.raises(StoreError) as caught:
                store.record_run(run_of(), [record()])
        finally:
            postgres_admin.execute("ROLLBACK")
        assert str(caught.value) == (
            f"store {postgres_store_url} is busy: another session kept rows locked for more "
            "than 0.2 s while okrkit was recording run 'run-1'; try again"
        )
        store.record_run(run_of(), [record()])
        assert len(store.runs(PLAN)) == 1


def test_conflicts_with_other_sessions_are_tried_again_then_reported(pg_store, monkeypatch):
    from okrkit.store import postgres

    store = pg_store

    monkeypatch.setattr(postgres.time, "sleep", lambda seconds: None)
    abort = "DO $$ BEGIN RAISE EXCEPTION 'could not serialize' USING ERRCODE = '40001'; END $$"
    tries = []

    def work(connection):
        tries.append(len(tries))
        connection.execute("INSERT INTO locks VALUES ('p', 'h', 't', now(), now())")
        if len(tries) < 3:
            connection.execute(abort)
        return "done"

    assert store._write("testing", work) == "done"
    assert len(tries) == 3
    tries.clear()

    def always(connection):
        tries.append(len(tries))
        connection.execute(abort)

    with pytest.raises(StoreError) as caught:
        store._write("recording run 'r'", always)
    assert len(tries) == postgres.RETRIES
    assert str(caught.value) == (
        f"store {store.url}: okrkit was recording run 'r' and the server aborted it 4 times for "
        "conflicts with other sessions (could not serialize); nothing of it was written: "
        "try again"
    )
    assert store._connection.execute("SELECT count(*) FROM locks").fetchone() == (1,)


WRITER = """
import datetime as dt
import sys
from okrkit.store import Record, RunRecord, open_store

url, size = sys.argv[1], int(sys.argv[2])
start = dt.datetime(2026, 7, 1, tzinfo=dt.UTC)
store = open_store(url)
number = 0
while True:
    records = [
        Record("launch", f"kr{i % 10}", float(i), start + dt.timedelta(seconds=i), "sql")
        for i in range(size)
    ]
    print("writing", number, flush=True)
    store.record_run(RunRecord(f"run-{number}", "launch", start, None, "ok", size, 0, 0), records)
    print("committed", number, flush=True)
    number += 1
"""


def test_a_writer_killed_mid_run_leaves_whole_runs_only(postgres_store_url):
    size = 100_000
    child = subprocess.Popen(
        [sys.executable, "-c", WRITER, postgres_store_url, str(size)],
        stdout=subprocess.PIPE,
        text=True,
    )
    lines = []
    try:
        while "committed 0\n" not in lines:  # one whole run first
            lines.append(child.stdout.readline())
            assert lines[-1], lines
        assert child.stdout.readline() == "writing 1\n"  # the second run's records are built
        time.sleep(0.3)  # and being copied to the server
    finally:
        child.send_signal(signal.SIGKILL)
        child.wait()
        child.stdout.close()
    assert child.returncode == -signal.SIGKILL
    with open_store(postgres_store_url) as store:
        counts = dict(
            store._connection.execute(
                "SELECT run_id, count(*) FROM measurements GROUP BY run_id"
            ).fetchall()
        )
        runs = {run.id for run in store.runs("launch", limit=100)}
        assert "run-0" in runs
        assert counts == dict.fromkeys(runs, size)  # every run whole, nothing of a half run
        store.record_run(attrs.evolve(run_of("after-the-crash")), [record(value=1)])
        assert len(store.history(PLAN, "signups")) == 1


def test_the_documented_dashboard_query_runs_on_a_real_store(
    pg_store, postgres_admin, postgres_schema
):
    docs = Path(__file__).parent.parent / "docs" / "reference" / "store.md"
    queries = re.findall(r"^```sql\n(.*?)^```$", docs.read_text(), re.MULTILINE | re.DOTALL)
    (query,) = [query for query in queries if "okrkit.measurements" in query]
    observed = dt.datetime(2026, 8, 15, 10, 0, 0, 250000, tzinfo=UTC)
    pg_store.record_run(
        RunRecord("r1", "product-launch", observed, None, "ok", 2, 0, 0),
        [
            Record("product-launch", "signups", 4100.0, observed, "sql"),
            Record("product-launch", "signups", 4200.0, observed, "sql"),  # written last
            Record("product-launch", "mentions", 930.0, observed - dt.timedelta(1), "csv"),
            Record("product-launch", "mentions", 900.0, observed - dt.timedelta(2), "csv"),
        ],
    )
    postgres_admin.execute("SET TimeZone = 'UTC'")
    rows = postgres_admin.execute(
        query.replace("okrkit.measurements", f'"{postgres_schema}".measurements')
    ).fetchall()
    assert rows == [
        ("mentions", 930.0, observed - dt.timedelta(1), "csv", "r1"),
        ("signups", 4200.0, observed, "sql", "r1"),
    ]


class _RenewsFirst:
    """The store's connection; just before the claim's upsert, the holder of the lease on
    'signups' renews it (another session, committed): the claim must not take it over."""

    def __init__(self, inner, admin, schema):
        self.inner, self.admin, self.schema = inner, admin, schema

    def execute(self, query, *args):
        if isinstance(query, str) and query.startswith("INSERT INTO leases"):
            self.admin.execute(
                f"UPDATE \"{self.schema}\".leases SET expires_at = now() + interval '1 hour' "  # noqa: S608
                "WHERE key_result = 'signups'"
            )
        return self.inner.execute(query, *args)

    def __getattr__(self, name):
        return getattr(self.inner, name)


def test_a_lease_renewed_while_another_claims_it_stays_its_holders(
    pg_store, postgres_admin, postgres_schema
):
    keys = ["mentions", "signups", "views"]
    pg_store.claim(PLAN, keys, holder="slow run", token="a", ttl=dt.timedelta(milliseconds=20))
    time.sleep(0.05)  # expired: a claim would take all three over
    real = pg_store._connection
    pg_store._connection = _RenewsFirst(real, postgres_admin, postgres_schema)
    try:
        got = pg_store.claim(PLAN, keys, holder="next run", token="b")
    finally:
        pg_store._connection = real
    assert got.claimed == ("mentions", "views")
    assert list(got.held) == ["signups"]
    assert got.held["signups"].holder == "slow run"
    assert {lease.key_result: lease.token for lease in pg_store.leases(PLAN)} == {
        "mentions": "b",
        "signups": "a",
        "views": "b",
    }


def test_a_failure_after_the_records_are_written_rolls_the_whole_run_back(
    pg_store, postgres_admin, postgres_schema
):
    schema = postgres_schema
    postgres_admin.execute(
        f'CREATE FUNCTION "{schema}".refuse() RETURNS trigger LANGUAGE plpgsql AS '
        "$$ BEGIN RAISE EXCEPTION 'could not extend file: No space left on device'; END $$"
    )
    postgres_admin.execute(
        f'CREATE TRIGGER refuse BEFORE INSERT ON "{schema}".baselines '
        f'FOR EACH ROW EXECUTE FUNCTION "{schema}".refuse()'
    )
    baseline = Baseline(PLAN, "mentions", 120.0, T0, None, None, "csv")
    records = [record(value=v, day=v) for v in range(100)]
    with pytest.raises(StoreError) as caught:
        pg_store.record_run(run_of(), records, [baseline])
    assert str(caught.value) == (
        f"store {pg_store.url}: recording run 'run-1' failed: could not extend file: No space "
        "left on device"
    )
    assert pg_store.runs(PLAN) == []
    assert pg_store.history(PLAN, "signups") == []
    postgres_admin.execute(f'DROP TRIGGER refuse ON "{schema}".baselines')
    pg_store.record_run(run_of(), records, [baseline])
    assert len(pg_store.history(PLAN, "signups")) == 100
    assert pg_store.baseline(PLAN, "mentions").run_id == "run-1"
