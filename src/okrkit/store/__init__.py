"""The measurement store: every value a key result ever had, with where it came from.

A refresh reads key results from live sources and writes each value as a `Record` with its
provenance (connector, settings fingerprint, raw value, run), together with a `RunRecord` of the
run itself and any `Baseline` it measured, in one transaction. Scoring and reports read them
back. Reviews are kept so that the next one compares against them, and each cycle's final
scores as `CycleResult`s, so that a retrospective can look across cycles. `open_store` opens a
store by URL; every store follows the `Store` protocol:

    >>> with open_store(":memory:") as store:
    ...     store.plans()
    []

Importing this module is light: the SQLite backend (and ``sqlite3``) load on the first
`open_store`, the PostgreSQL backend (and psycopg) on the first ``postgresql://`` one.
"""

from __future__ import annotations

import os
import re
from pathlib import Path
from typing import TYPE_CHECKING

from okrkit.errors import StoreError
from okrkit.store._base import (
    DEFAULT_LEASE_TTL,
    DEFAULT_LOCK_TTL,
    RUN_STATUSES,
    Baseline,
    Claim,
    CycleResult,
    Lease,
    PlanInfo,
    Record,
    RunRecord,
    Store,
    mask_url,
)
from okrkit.store._checks import (
    is_plan_conflict,
)

if TYPE_CHECKING:
    from okrkit.store.postgres import PostgresStore
    from okrkit.store.sqlite import SQLiteStore

__all__ = [
    "DEFAULT_LEASE_TTL",
    "DEFAULT_LOCK_TTL",
    "RUN_STATUSES",
    "STORE_SUFFIX",
    "Baseline",
    "Claim",
    "CycleResult",
    "Lease",
    "PlanInfo",
    "Record",
    "RunRecord",
    "Store",
    "default_store_path",
    "is_plan_conflict",
    "open_store",
]

#: What `default_store_path` puts in place of the OKR file's extension.
STORE_SUFFIX = ".okrkit.db"

_SCHEME = re.compile(r"^([A-Za-z][A-Za-z0-9+.\-]*)://")
_FORMS = (
    "a file path (okrs.okrkit.db), sqlite:///relative/path.db, sqlite:////absolute/path.db, "
    ":memory: or postgresql://user@host:port/database"
)


def open_store(url: str | os.PathLike[str]) -> Store:
    """Open (creating it if missing) the store at `url`, migrated to this okrkit's schema.

    Accepted: a file path (``"okrs.okrkit.db"``), ``"sqlite:///relative/path.db"``,
    ``"sqlite:////absolute/path.db"``, and ``":memory:"`` (a store that lives as long as the
    object, for tests); and a PostgreSQL database, ``"postgresql://user@host:port/database"``
    (or ``postgres://``), the store in its schema ``okrkit`` unless ``?schema=name`` names
    another; it needs psycopg (``pip install 'okrkit[postgresql]'``). Raises `StoreError` for
    anything else, and `SchemaVersionError` for a store written by a newer okrkit.
    """
    if isinstance(url, os.PathLike):
        return _sqlite(os.fspath(url), os.fspath(url))
    if not isinstance(url, str):
        raise StoreError(f"a store URL must be text or a path, got {url!r}; use {_FORMS}")
    if url in (":memory:", "sqlite://", "sqlite:///:memory:"):
        return _sqlite(":memory:", url)
    scheme = _SCHEME.match(url)
    if scheme is None:
        if not url.strip():
            raise StoreError(f"the store URL is empty; use {_FORMS}")
        return _sqlite(url, url)
    name = scheme.group(1).lower()
    if name == "sqlite":
        rest = url[len(scheme.group(0)) :]
        if rest.startswith("/") and len(rest) > 1 and not set("?#") & set(rest):
            return _sqlite(rest[1:], url)
    elif name in ("postgresql", "postgres") or name.startswith("postgresql+"):
        return _postgres(url)
    raise StoreError(f"cannot open the store {mask_url(url)!r}: use {_FORMS}")


def default_store_path(okr_file: str | os.PathLike[str]) -> Path:
    """Where an OKR file's store lives by default: beside it.

    ``examples/product-launch/okrs.yaml`` -> ``examples/product-launch/okrs.okrkit.db``.
    """
    path = Path(okr_file)
    if not path.name:
        raise StoreError(f"{os.fspath(okr_file)!r} does not name an OKR file")
    return path.with_name(path.stem + STORE_SUFFIX)


def _sqlite(path: str, url: str) -> SQLiteStore:
    from okrkit.store.sqlite import SQLiteStore  # noqa: PLC0415  # sqlite3 loads on first use

    return SQLiteStore(path, url=url)


def _postgres(url: str) -> PostgresStore:
    try:
        from okrkit.store.postgres import PostgresStore  # noqa: PLC0415  # psycopg on first use
    except ImportError as error:
        if (error.name or "").partition(".")[0] != "psycopg":
            raise
        raise StoreError(
            f"cannot open {mask_url(url)}: the PostgreSQL store needs psycopg, which is not "
            "installed: pip install 'okrkit[postgresql]'"
        ) from error
    return PostgresStore(url)
