"""The ``sql`` connector: one number from a SQL query, read-only.

``sqlite:`` URLs use the standard library: the file is opened read-only (``mode=ro``) and an
authorizer refuses anything but reading, so no query can change it. Every other URL
(``postgresql://``, ``mysql+pymysql://``, ``sqlite+pysqlite://``...) goes through SQLAlchemy,
imported only then, inside a transaction that is always rolled back (and read-only on
PostgreSQL). Settings ``params`` are bound as named parameters, never formatted into the text;
``:since`` and ``:until`` are bound from the query's window when the query names them.
"""

from __future__ import annotations

import copy
import re
import time
from collections.abc import Callable, Hashable, Mapping, Sequence
from typing import TYPE_CHECKING, Any, ClassVar
from urllib.parse import quote

import attrs

from okrkit.connectors._base import Connector, Context, Query, Reading
from okrkit.connectors.builtin import (
    InvalidSettingError,
    describe_value,
    format_instant,
    parse_number,
    past_asked,
)
from okrkit.errors import (
    ConnectorError,
    CredentialsError,
    PolicyError,
    SettingsError,
    TerminalError,
    TransientError,
)

if TYPE_CHECKING:
    import sqlite3
    from pathlib import Path

__all__ = ["SqlConnector", "SqlSettings", "parameters_of"]

_URL = re.compile(r"^[A-Za-z][A-Za-z0-9+.\-]*://")
_NAME = re.compile(r"^[A-Za-z_]\w*$")
_HIDDEN = re.compile(
    r"--[^\n]*|/\*.*?(?:\*/|\Z)|'(?:[^']|'')*(?:'|\Z)|\"(?:[^\"]|\"\")*(?:\"|\Z)", re.DOTALL
)
# the parameter syntax SQLAlchemy's text() reads: ``:name``, not ``::cast`` nor ``\:escaped``
_PARAMETER = re.compile(r"(?<![:\w\\]):([A-Za-z_]\w*)(?!:)")
_WINDOW_PARAMETERS = ("since", "until")
_CREDENTIALS_WORDS = re.compile(
    r"password authentication failed|access denied|authentication failed|login failed",
    re.IGNORECASE,
)
_WRITE_VERBS = {
    9: "delete from {0}",  # SQLITE_DELETE
    18: "insert into {0}",  # SQLITE_INSERT
    23: "update {0}",  # SQLITE_UPDATE
    24: "attach a database",  # SQLITE_ATTACH
    19: "run PRAGMA {0}",  # SQLITE_PRAGMA
    22: "start or end a transaction",  # SQLITE_TRANSACTION
    31: "call {1}()",  # SQLITE_FUNCTION
}
_READ_ACTIONS = frozenset({20, 21, 33})  # SQLITE_READ, SQLITE_SELECT, SQLITE_RECURSIVE
_FUNCTION = 31
_REFUSED_FUNCTIONS = frozenset({"load_extension"})


def _code_only(sql: str) -> str:
    """The query with comments and quoted text blanked out, so only the code is searched."""
    return _HIDDEN.sub(lambda match: " " * len(match[0]), sql)


def parameters_of(sql: str) -> list[str]:
    """The named parameters a query uses (``:name``), in order, once each."""
    return list(dict.fromkeys(_PARAMETER.findall(_code_only(sql))))


def _check_url(_instance: Any, attribute: attrs.Attribute[str], value: str) -> None:
    if not _URL.match(value.strip()):
        raise InvalidSettingError(
            attribute.name,
            "write a database URL, such as sqlite:///signups.db (next to the OKR file), "
            "sqlite:////var/data/signups.db or postgresql://reader:${DB_PASSWORD}@host/db",
        )
    if value.strip().lower().startswith("sqlite:"):
        _sqlite_name(value.strip())


def _check_query(_instance: Any, attribute: attrs.Attribute[str], value: str) -> None:
    code = _code_only(value).strip()
    first = re.match(r"\(*\s*([A-Za-z]+)", code)
    if first is None or first[1].upper() not in ("SELECT", "WITH"):
        raise InvalidSettingError(
            attribute.name,
            "the sql connector only reads: write one query that starts with SELECT or WITH",
        )
    if ";" in code.rstrip("; \t\r\n"):
        raise InvalidSettingError(attribute.name, "write one query, without a second after ';'")


def _check_params(instance: Any, attribute: attrs.Attribute[Any], value: Mapping[str, Any]) -> None:
    for name, item in value.items():
        if not _NAME.match(name):
            raise InvalidSettingError(
                attribute.name, f"{name!r} is not a parameter name: use letters, digits and _"
            )
        if name in _WINDOW_PARAMETERS:
            raise InvalidSettingError(
                attribute.name,
                f":{name} is bound from the key result's window; do not set it in params",
            )
        if item is not None and (
            isinstance(item, Mapping | list) or not isinstance(item, str | int | float | bool)
        ):
            raise InvalidSettingError(
                attribute.name, f"{name}: a parameter is text, a number, true/false or null"
            )
    used = [name for name in parameters_of(instance.query) if name not in _WINDOW_PARAMETERS]
    missing = [name for name in used if name not in value]
    if missing:
        raise InvalidSettingError(
            attribute.name,
            f"the query uses {', '.join(':' + name for name in missing)}: give "
            f"{'it' if len(missing) == 1 else 'them'} a value in params",
        )
    unused = [name for name in value if name not in used]
    if unused:
        raise InvalidSettingError(
            attribute.name, f"the query does not use {', '.join(':' + n for n in unused)}"
        )


@attrs.frozen
class SqlSettings:
    """The settings of the ``sql`` connector."""

    url: str = attrs.field(
        validator=_check_url,
        metadata={
            "help": "sqlite:///file.db (relative to the OKR file), sqlite:////abs/path.db, or "
            "any SQLAlchemy URL; write passwords as ${ENV_VAR}."
        },
    )
    query: str = attrs.field(
        validator=_check_query,
        metadata={
            "help": "One SELECT (or WITH) returning one row with one number; may use :since, "
            ":until and the names in params."
        },
    )
    params: dict[str, Any] = attrs.field(
        factory=dict,
        validator=_check_params,
        metadata={"help": "Values bound to the query's :name parameters (never pasted into it)."},
    )


class SqlConnector(Connector):
    """Runs a read-only query and reports the one number it returns."""

    name: ClassVar[str] = "sql"
    Settings: ClassVar[type | None] = SqlSettings
    summary: ClassVar[str] = (
        "One number from a read-only SQL query (SQLite built in; any SQLAlchemy URL)."
    )
    windowed: ClassVar[bool] = True
    batch: ClassVar[bool] = True

    @classmethod
    def check_policy(cls, settings: SqlSettings, context: Context) -> None:
        """Refuse, before any connection, a database the policy's `databases` do not list."""
        if context.policy is None:
            return
        url = settings.url.strip()
        if url.lower().startswith("sqlite:"):
            _database_file(context.path(_sqlite_name(url)), context)
            return
        try:
            from sqlalchemy import exc  # noqa: PLC0415
            from sqlalchemy.engine import make_url  # noqa: PLC0415
        except ImportError:  # the fetch says SQLAlchemy is needed
            return
        try:
            target = make_url(url)
        except exc.ArgumentError:  # the fetch says the URL cannot be read
            return
        _check_target(url, target, context)

    def fetch(
        self, queries: Sequence[Query], context: Context
    ) -> Sequence[Reading | float | ConnectorError]:
        results: list[Reading | float | ConnectorError] = [0.0] * len(queries)
        groups: dict[str, list[int]] = {}
        for position, query in enumerate(queries):
            groups.setdefault(query.settings.url.strip(), []).append(position)
        for url, positions in groups.items():
            group = [queries[position] for position in positions]
            answers: Sequence[Reading | ConnectorError]
            try:
                if url.lower().startswith("sqlite:"):
                    answers = _run_sqlite(url, group, context)
                else:
                    answers = _run_sqlalchemy(url, group, context)
            except ConnectorError as error:  # the database itself failed: every query fails
                answers = [copy.copy(error) for _ in group]
            for position, answer in zip(positions, answers, strict=True):
                results[position] = answer
        return results


def _bindings(query: Query) -> dict[str, Any]:
    settings: SqlSettings = query.settings
    names = parameters_of(settings.query)
    past = past_asked(query)
    if past is not None and "until" not in names:
        raise SettingsError(
            f"to measure {past[0]}, the query must use :until (as in WHERE created_at < :until), "
            f"{past[1]}",
            setting="query",
        )
    bound: dict[str, Any] = {}
    for name in names:
        if name == "since":
            if query.window.since is None:
                raise SettingsError(
                    "the query uses :since, but this key result has no window to take it from: "
                    "give its source a window, as in window: 7d",
                    setting="query",
                )
            bound[name] = format_instant(query.window.since)
        elif name == "until":
            bound[name] = format_instant(query.window.until)
        else:
            bound[name] = settings.params[name]
    return bound


def _one_number(columns: Sequence[str], rows: Sequence[Sequence[Any]]) -> Reading:
    if len(columns) != 1:
        listed = f" ({', '.join(columns)})" if columns else ""
        raise TerminalError(
            f"the query returned {len(columns)} columns{listed}; it must return one row "
            "with one number"
        )
    if not rows:
        raise TerminalError("the query returned no rows; it must return one row with one number")
    if len(rows) > 1:
        raise TerminalError(
            "the query returned more than one row; it must return one row with one number "
            "(use an aggregate such as COUNT(*) or SUM(...))"
        )
    value = rows[0][0]
    if value is None:
        raise TerminalError(
            "the query returned NULL, not a number (a SUM over no rows is NULL: "
            "write COALESCE(SUM(...), 0))"
        )
    try:
        number = parse_number(value)
    except ValueError:
        raise TerminalError(
            f"the query returned {describe_value(value)}, not a finite number"
        ) from None
    return Reading(number, raw={columns[0]: number})


# --- SQLite through the standard library ---------------------------------------------------


def _sqlite_name(url: str) -> str:
    """The database path of a ``sqlite:`` URL, as written (relative or absolute)."""
    if not url.lower().startswith("sqlite:///"):
        raise InvalidSettingError(
            "url",
            "write sqlite:///relative/path.db or sqlite:////absolute/path.db "
            "(an in-memory database holds no data to read)",
        )
    name = url[len("sqlite:///") :]
    if "?" in name:
        raise InvalidSettingError(
            "url", "a sqlite: URL takes no options after '?': the database is always read-only"
        )
    if name in ("", ":memory:"):
        raise InvalidSettingError("url", "an in-memory database holds no data to read")
    return name


def _run_sqlite(
    url: str, queries: Sequence[Query], context: Context
) -> list[Reading | ConnectorError]:
    import sqlite3  # noqa: PLC0415  # only a refresh with a sql source needs it

    path = _existing(_database_file(context.path(_sqlite_name(url)), context))
    try:
        connection = sqlite3.connect(
            f"file:{quote(str(path))}?mode=ro",
            uri=True,
            timeout=context.timeout,
            isolation_level=None,
        )
    except sqlite3.Error as error:
        raise TerminalError(f"cannot open the SQLite database {path}: {error}") from None
    try:
        connection.execute("PRAGMA query_only = ON")
        refused: list[str] = []
        connection.set_authorizer(_authorizer(refused))
        results: list[Reading | ConnectorError] = []
        for query in queries:
            refused.clear()
            try:
                results.append(_run_sqlite_query(connection, query, path, refused, context.timeout))
            except ConnectorError as error:
                results.append(error)
        return results
    finally:
        connection.close()


def _database_file(path: Path, context: Context) -> Path:
    """The SQLite file to open: under a policy, the file `path` really is (``..`` and symlinks
    resolved), which the policy's databases must list."""
    if context.policy is not None:
        return context.policy.check_database_file(path)
    return path


def _url_key(url: str) -> Hashable:
    """A database URL as SQLAlchemy reads it, without the password: what a policy compares."""
    from sqlalchemy.engine import make_url  # noqa: PLC0415

    target = make_url(url)
    query = tuple(
        sorted(
            (name, value if isinstance(value, str) else tuple(value))
            for name, value in target.query.items()
        )
    )
    host = (target.host or "").lower()
    return (target.drivername, target.username, host, target.port, target.database, query)


def _check_target(url: str, target: Any, context: Context) -> None:
    """Refuse, under a policy, a SQLAlchemy URL its databases do not list: a SQLite file by
    its real path, any other database by its URL without the password."""
    policy = context.policy
    if policy is None:
        return
    shown = target.render_as_string(hide_password=True)
    if target.get_backend_name() != "sqlite":
        policy.check_database_url(url, key=_url_key, shown=shown)
        return
    database = target.database or ""
    if database.startswith("file:"):
        raise PolicyError(
            f"{policy.named} does not allow a SQLite file: URI "
            f"({context.redactor.redact(url.strip())}): write the "
            "database's path, as in sqlite:///signups.db",
            policy_key="databases",
        )
    if database not in ("", ":memory:"):
        _database_file(context.path(database), context)


def _existing(path: Path) -> Path:
    if not path.exists():
        raise TerminalError(
            f"there is no SQLite database at {path} (the sql connector reads one, "
            "it never creates one)"
        )
    if not path.is_file():
        raise TerminalError(f"{path} is not a file, so it cannot be a SQLite database")
    return path


def _authorizer(
    refused: list[str],
) -> Callable[[int, str | None, str | None, str | None, str | None], int]:
    import sqlite3  # noqa: PLC0415

    def authorize(
        action: int, first: str | None, second: str | None, _db: str | None, _source: str | None
    ) -> int:
        if action in _READ_ACTIONS:
            return sqlite3.SQLITE_OK
        if action == _FUNCTION and (second or "").lower() not in _REFUSED_FUNCTIONS:
            return sqlite3.SQLITE_OK
        verb = _WRITE_VERBS.get(action, "change the database")
        refused.append(verb.format(first or "", second or ""))
        return sqlite3.SQLITE_DENY

    return authorize


def _run_sqlite_query(
    connection: sqlite3.Connection, query: Query, path: Path, refused: list[str], timeout: float
) -> Reading:
    import sqlite3  # noqa: PLC0415

    bound = _bindings(query)
    deadline = time.monotonic() + timeout
    connection.set_progress_handler(lambda: int(time.monotonic() > deadline), 10_000)
    try:
        cursor = connection.execute(query.settings.query, bound)
        columns = [column[0] for column in cursor.description or ()]
        rows = cursor.fetchmany(2)
    except sqlite3.Error as error:
        text = str(error)
        if refused:
            raise TerminalError(
                f"the sql connector only reads, and the query tries to {refused[0]}"
            ) from None
        if time.monotonic() > deadline and "interrupt" in text:
            raise TransientError(f"the query on {path} took more than {timeout:g}s") from None
        if "locked" in text or "busy" in text:
            raise TransientError(f"the SQLite database {path} is busy: {text}") from None
        if "not a database" in text:
            raise TerminalError(f"{path} is not a SQLite database") from None
        raise TerminalError(f"the query on {path} failed: {text}") from None
    finally:
        connection.set_progress_handler(None, 0)
    return _one_number(columns, rows)


# --- everything else through SQLAlchemy ----------------------------------------------------


def _run_sqlalchemy(
    url: str, queries: Sequence[Query], context: Context
) -> list[Reading | ConnectorError]:
    engine, shown, backend = _engine(url, context)  # first: it says so if SQLAlchemy is missing
    from sqlalchemy import exc  # noqa: PLC0415

    try:
        try:
            connection = engine.connect()
        except exc.DBAPIError as error:
            message = _driver_message(error, context)
            if _CREDENTIALS_WORDS.search(message):
                raise CredentialsError(f"{shown} refused the credentials: {message}") from None
            if backend == "sqlite":
                raise TerminalError(f"cannot open {shown}: {message}") from None
            raise TransientError(f"could not connect to {shown}: {message}") from None
        with connection:
            if backend == "postgresql":
                connection = connection.execution_options(postgresql_readonly=True)
            results: list[Reading | ConnectorError] = []
            for query in queries:
                transaction = connection.begin()
                try:
                    results.append(
                        _run_sqlalchemy_query(connection, query, shown, backend, context)
                    )
                except ConnectorError as error:
                    results.append(error)
                finally:
                    transaction.rollback()
            return results
    finally:
        engine.dispose()


def _engine(url: str, context: Context) -> tuple[Any, str, str]:
    """A SQLAlchemy engine for the URL, the URL as it may be shown, and the backend's name."""
    scheme = url.split("://", 1)[0]
    try:
        import sqlalchemy  # noqa: PLC0415  # optional, and slow to import
    except ImportError:
        raise TerminalError(
            f"{scheme}:// URLs need SQLAlchemy: pip install sqlalchemy and the database's "
            "driver (psycopg for postgresql, pymysql for mysql)"
        ) from None
    from sqlalchemy import exc  # noqa: PLC0415

    try:
        target = sqlalchemy.engine.make_url(url)
    except exc.ArgumentError:
        raise SettingsError(
            f"this is not a database URL SQLAlchemy can read (it starts with {scheme}://)",
            setting="url",
        ) from None
    if target.password:
        context.redactor.add(str(target.password))
    _check_target(url, target, context)
    shown = target.render_as_string(hide_password=True)
    backend = target.get_backend_name()
    if backend == "sqlite":
        database = target.database or ""
        if database in ("", ":memory:"):
            raise SettingsError("an in-memory database holds no data to read", setting="url")
        if not database.startswith("file:"):
            path = _existing(_database_file(context.path(database), context))
            target = target.set(
                database=f"file:{quote(str(path))}",
                query={**target.query, "mode": "ro", "uri": "true"},
            )
    try:
        return sqlalchemy.create_engine(target), shown, backend
    except exc.NoSuchModuleError:
        raise TerminalError(
            f"SQLAlchemy has no dialect {target.drivername!r} for {shown}: pip install the "
            "package that provides it"
        ) from None
    except ImportError as error:
        raise TerminalError(
            f"the database driver for {shown} is not installed ({error.name or error}): "
            "pip install it"
        ) from None
    except exc.ArgumentError as error:
        raise SettingsError(
            f"SQLAlchemy cannot use {shown}: {context.redactor.redact(str(error))}", setting="url"
        ) from None


def _run_sqlalchemy_query(
    connection: Any, query: Query, shown: str, backend: str, context: Context
) -> Reading:
    from sqlalchemy import exc, text  # noqa: PLC0415

    bound = _bindings(query)
    try:
        result = connection.execute(text(query.settings.query), bound)
        if not result.returns_rows:
            raise TerminalError("the sql connector only reads, and the query returned no rows")
        columns = list(map(str, result.keys()))
        rows = [tuple(row) for row in result.fetchmany(2)]
    except exc.DBAPIError as error:
        message = _driver_message(error, context)
        if "read-only" in message.lower() or "readonly" in message.lower():
            raise TerminalError(f"the sql connector only reads: {message}") from None
        if isinstance(error, exc.OperationalError) and (backend != "sqlite" or "locked" in message):
            raise TransientError(f"the query on {shown} failed: {message}") from None
        raise TerminalError(f"the query on {shown} failed: {message}") from None
    except exc.StatementError as error:
        raise TerminalError(
            f"the query on {shown} failed: {_first_line(str(error.orig or error), context)}"
        ) from None
    return _one_number(columns, rows)


def _driver_message(error: Any, context: Context) -> str:
    return _first_line(str(error.orig if error.orig is not None else error), context)


def _first_line(text: str, context: Context) -> str:
    lines = text.strip().splitlines()
    return context.redactor.redact(lines[0] if lines else "")
