"""Fixtures shared by the test files: a fake HTTP API, and stores of every backend.

`store`, `store_url` (for tests that open the store in other processes) and `store_tables` (to
read its tables directly) are parametrised over `BACKENDS`: a SQLite file, and a schema of its
own in the PostgreSQL database that ``OKRKIT_TEST_POSTGRES_URL`` names (``source
.ci/postgres.sh`` starts one). Without that variable the PostgreSQL parameter is skipped, saying
why; with ``OKRKIT_REQUIRE_POSTGRES=1`` (CI sets it) it fails instead.
"""

import os
import sys
import uuid
from pathlib import Path

import pytest

sys.path.insert(0, str(Path(__file__).parent))

from fakeapi import FakeApi

#: The store backends every behaviour test runs on.
BACKENDS = ("sqlite", "postgresql")


@pytest.fixture
def fake_api():
    """A real HTTP server on 127.0.0.1 answering from scripted responses."""
    api = FakeApi()
    yield api
    api.close()


def with_schema(url: str, schema: str) -> str:
    """`url` naming `schema` (okrkit's ``?schema=`` parameter)."""
    return f"{url}{'&' if '?' in url else '?'}schema={schema}"


@pytest.fixture(scope="session")
def postgres_url():
    """The test server's URL (a database okrkit may create schemas in), or a skip."""
    url = os.environ.get("OKRKIT_TEST_POSTGRES_URL", "").strip()
    if not url:
        reason = (
            "no PostgreSQL server for the tests: set OKRKIT_TEST_POSTGRES_URL "
            "(source .ci/postgres.sh starts one)"
        )
        if os.environ.get("OKRKIT_REQUIRE_POSTGRES") == "1":
            pytest.fail(f"OKRKIT_REQUIRE_POSTGRES=1 but {reason}")
        pytest.skip(reason)
    try:
        import psycopg  # noqa: F401
    except ImportError:
        if os.environ.get("OKRKIT_REQUIRE_POSTGRES") == "1":
            raise
        pytest.skip("the PostgreSQL store needs psycopg: pip install 'okrkit[postgresql]'")
    return url


@pytest.fixture
def postgres_admin(postgres_url):
    """A plain psycopg connection to the test database (autocommit), closed after the test."""
    import psycopg

    connection = psycopg.connect(postgres_url, autocommit=True)
    yield connection
    connection.close()


@pytest.fixture
def postgres_schema(postgres_url):
    """A new schema name, not created yet (the store creates it); dropped after the test."""
    import psycopg

    schema = f"test_{uuid.uuid4().hex[:12]}"
    yield schema
    with psycopg.connect(postgres_url, autocommit=True) as connection:
        connection.execute(f'DROP SCHEMA IF EXISTS "{schema}" CASCADE')


@pytest.fixture
def postgres_store_url(postgres_url, postgres_schema):
    """The URL of a fresh, empty PostgreSQL store: a schema of its own, dropped after."""
    return with_schema(postgres_url, postgres_schema)


@pytest.fixture(params=BACKENDS)
def store_url(request, tmp_path):
    """The URL of a fresh, empty store of each backend (not opened yet)."""
    if request.param == "sqlite":
        return str(tmp_path / "okrs.okrkit.db")
    return request.getfixturevalue("postgres_store_url")


class StoreTables:
    """The tables of the store at `url`, read (or changed) directly, as a dashboard or an
    operator would: with sqlite3 in a file, with psycopg in a PostgreSQL store's schema."""

    def __init__(self, url):
        self.url = str(url)
        self.postgres = self.url.startswith(("postgresql://", "postgres://"))

    def __str__(self) -> str:
        return self.url

    def rows(self, sql: str, parameters=()) -> list[tuple]:
        """The rows of `sql` (``?`` placeholders), committed."""
        if not self.postgres:
            import sqlite3

            connection = sqlite3.connect(self.url)
            try:
                with connection:
                    return connection.execute(sql, parameters).fetchall()
            finally:
                connection.close()
        import psycopg

        base, _, query = self.url.partition("?")
        pairs = dict(item.partition("=")[::2] for item in query.split("&") if item)
        schema = pairs.pop("schema", "okrkit")
        rest = "&".join(f"{key}={value}" for key, value in pairs.items())
        with psycopg.connect(base + (f"?{rest}" if rest else ""), autocommit=True) as connection:
            connection.execute("SELECT set_config('search_path', %s, false)", (f'"{schema}"',))
            connection.execute("SET TimeZone = 'UTC'")
            cursor = connection.execute(sql.replace("?", "%s"), parameters)
            return cursor.fetchall() if cursor.description else []

    def exists(self) -> bool:
        """Whether the store was created (its file, or its schema's tables)."""
        if self.postgres:
            return self.rows("SELECT to_regclass('runs') IS NOT NULL") == [(True,)]
        return Path(self.url).exists()


@pytest.fixture
def store_tables(store_url):
    """The tables of the fresh store at `store_url` (each backend), for direct reads."""
    return StoreTables(store_url)


@pytest.fixture
def store(store_url):
    """A fresh, empty store of each backend, open; closed after the test."""
    from okrkit.store import open_store

    opened = open_store(store_url)
    yield opened
    opened.close()
