"""What every store holds and promises: the stored records and the `Store` protocol.

The records (`Record`, `RunRecord`, `Baseline`, `CycleResult`) are plain frozen containers: they
hold what they are given, so that a refresh can build a million of them cheaply. Every store
checks them when they are written (`okrkit.store._checks`) and raises `StoreError` naming the bad
one; nothing invalid is ever stored.
"""

from __future__ import annotations

import datetime as dt
import re
from typing import TYPE_CHECKING, Any, NamedTuple, Protocol, Self, runtime_checkable

import attrs

from okrkit.model import CheckIn, Cycle, Kind, Measurement

if TYPE_CHECKING:
    from collections.abc import Iterable, Mapping, Sequence
    from contextlib import AbstractContextManager

__all__ = [
    "DEFAULT_LEASE_TTL",
    "DEFAULT_LOCK_TTL",
    "PLANS_SQL",
    "RUN_STATUSES",
    "Baseline",
    "Claim",
    "CycleResult",
    "Lease",
    "PlanInfo",
    "Record",
    "RunRecord",
    "Store",
    "mask_url",
]

#: How long a refresh lock lasts when its holder neither releases it nor renews it (a crash).
DEFAULT_LOCK_TTL = dt.timedelta(hours=1)

#: How long a key result's lease lasts when its holder neither renews nor releases it (a crash).
#: A refresh renews its leases while it runs, so a long run keeps them.
DEFAULT_LEASE_TTL = dt.timedelta(minutes=2)

#: The statuses a refresh run ends with: every key result measured, some, or none.
RUN_STATUSES = frozenset({"ok", "partial", "failed"})

#: Every plan key with anything stored, sorted: the same SQL in every backend. A loose index scan
#: (one index seek per plan) of the large measurements table, then the small tables.
PLANS_SQL = """
WITH RECURSIVE measured (plan) AS (
    SELECT min(plan) FROM measurements
    UNION ALL
    SELECT (SELECT min(plan) FROM measurements WHERE plan > measured.plan)
    FROM measured WHERE measured.plan IS NOT NULL
)
SELECT plan FROM measured WHERE plan IS NOT NULL
UNION SELECT plan FROM runs
UNION SELECT plan FROM check_ins
UNION SELECT plan FROM baselines
UNION SELECT plan FROM reviews
UNION SELECT plan FROM cycle_results
UNION SELECT plan FROM plan_keys
ORDER BY 1
"""

# The model's id rule (okrkit.model): key results are stored under the ids plans give them.
_PASSWORD_IN_URL = re.compile(r"^([A-Za-z][A-Za-z0-9+.\-]*://[^/@:?#]*:)[^/@?#]*@")
_PASSWORD_IN_QUERY = re.compile(r"(?i)([?&](?:password|passwd|pwd)=)[^&#]*")


class Record(NamedTuple):
    """One measurement as stored, with its provenance.

    `observed_at` is when the value was true at the source, `fetched_at` when okrkit read it.
    `fingerprint` is a hash of the source settings (never the settings: they may hold
    secrets) and `raw` the value as the source gave it, already redacted by the caller.

    A named tuple, not an attrs class: a store reads thousands of them back at a time, and a
    tuple is made in a fraction of the time (`docs/benchmarks.md`, the history row). Copy one
    with a change with ``record._replace(value=...)``.
    """

    plan: str
    key_result: str
    value: float
    observed_at: dt.datetime
    source: str
    fetched_at: dt.datetime | None = None
    fingerprint: str | None = None
    raw: str | None = None
    run_id: str | None = None

    def measurement(self) -> Measurement:
        """The value as the scoring functions take it."""
        return Measurement(self.key_result, self.value, self.observed_at, self.source)


def _results(value: Iterable[Mapping[str, Any]]) -> tuple[Mapping[str, Any], ...]:
    return tuple(value)


@attrs.frozen
class RunRecord:
    """One refresh run: when, how it ended, and what happened to each key result.

    `status` is ``"ok"`` (every key result measured), ``"partial"`` (some failed or were
    skipped) or ``"failed"`` (nothing measured). `results` holds one JSON-ready mapping per key
    result: ``{"key_result", "value", "status", "error"}``, redacted by the caller.
    """

    id: str
    plan: str
    started_at: dt.datetime
    finished_at: dt.datetime | None
    status: str
    measured: int
    failed: int
    skipped: int
    results: tuple[Mapping[str, Any], ...] = attrs.field(default=(), converter=_results)


@attrs.frozen
class Baseline:
    """The value a relative key result ("up by 40%") is measured against.

    It was measured at `measured_at` over the window `since`..`until`, before the cycle began.
    """

    plan: str
    key_result: str
    value: float
    measured_at: dt.datetime
    since: dt.datetime | None
    until: dt.datetime | None
    source: str
    run_id: str | None = None


@attrs.frozen
class CycleResult:
    """A key result's final score in one cycle, as a retrospective recorded it.

    `score` is the key result's progress at the cycle's end (0..1), or None when it could not
    be scored; `kind` is its objective's (committed or aspirational) in that cycle.
    """

    plan: str
    cycle: Cycle
    objective: str
    key_result: str
    kind: Kind
    score: float | None
    recorded_at: dt.datetime


@attrs.frozen
class Lease:
    """A refresh's claim on one key result: no other refresh fetches it until it is released
    (when the run is recorded) or expires (its holder crashed and stopped renewing it).

    `holder` describes the refresh for people; `host` and `pid` let a refresh on the same host
    take over the lease of a process that is no longer alive; `token` identifies the run.
    """

    plan: str
    key_result: str
    holder: str
    token: str
    acquired_at: dt.datetime
    expires_at: dt.datetime
    host: str | None = None
    pid: int | None = None


@attrs.frozen
class Claim:
    """What `Store.claim` did: the key results now leased to the caller, those another live
    lease holds (by key result), and those fetched recently enough not to fetch again (by key
    result: when they were fetched)."""

    token: str
    claimed: tuple[str, ...]
    held: Mapping[str, Lease] = attrs.field(factory=dict)
    fresh: Mapping[str, dt.datetime] = attrs.field(factory=dict)


@attrs.frozen
class PlanInfo:
    """What a store knows of a plan key: the title of the plan stored under it, whether that
    plan named itself (an ``id`` in its file, or a key given on purpose) and when it was first
    and last refreshed."""

    plan: str
    title: str
    explicit: bool
    first_seen: dt.datetime
    last_seen: dt.datetime


@runtime_checkable
class Store(Protocol):
    """Where measurements, check-ins, baselines and refresh runs are kept, with provenance, and
    the reviews and cycle results that reviews and retrospectives record.

    Every write is one transaction: all of it is stored, or none of it. Times go in with a time
    zone and come back in UTC.
    """

    url: str

    @property
    def schema_version(self) -> int: ...

    def close(self) -> None: ...

    def __enter__(self) -> Self: ...

    def __exit__(self, *exc_info: object) -> None: ...

    def record_run(
        self,
        run: RunRecord,
        records: Sequence[Record],
        baselines: Sequence[Baseline] = (),
        *,
        release: str | None = None,
    ) -> None: ...

    def backfill(self, records: Iterable[Record]) -> int: ...

    def history(
        self,
        plan: str,
        key_result: str,
        *,
        since: dt.datetime | None = None,
        until: dt.datetime | None = None,
    ) -> list[Record]: ...

    def measurements(self, plan: str, *, until: dt.datetime | None = None) -> list[Measurement]: ...

    def latest(self, plan: str, *, until: dt.datetime | None = None) -> dict[str, Record]: ...

    def add_check_in(self, plan: str, check_in: CheckIn) -> None: ...

    def check_ins(
        self, plan: str, *, key_result: str | None = None, until: dt.datetime | None = None
    ) -> list[CheckIn]: ...

    def baseline(self, plan: str, key_result: str) -> Baseline | None: ...

    def baselines(self, plan: str) -> dict[str, Baseline]: ...

    def runs(self, plan: str, *, limit: int = 20) -> list[RunRecord]: ...

    def plans(self) -> list[str]: ...

    def record_review(self, plan: str, review: Mapping[str, Any], at: dt.datetime) -> None: ...

    def last_review(
        self, plan: str, *, before: dt.datetime | None = None
    ) -> tuple[dt.datetime, dict[str, Any]] | None: ...

    def record_cycle_results(
        self, plan: str, cycle: Cycle, results: Iterable[CycleResult]
    ) -> int: ...

    def cycle_results(self, plan: str) -> list[CycleResult]: ...

    def lock(
        self, plan: str, *, holder: str, ttl: dt.timedelta = DEFAULT_LOCK_TTL
    ) -> AbstractContextManager[None]: ...

    # Work shared by several refreshes (workers, overlapping schedules): leases per key result.

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
    ) -> Claim: ...

    def renew(self, plan: str, token: str, *, ttl: dt.timedelta = DEFAULT_LEASE_TTL) -> int: ...

    def release(self, plan: str, token: str) -> int: ...

    def leases(self, plan: str) -> list[Lease]: ...

    # Plan keys: which plan a key stands for, so that two files never share one by accident.

    def register_plan(
        self, plan: str, *, title: str, explicit: bool, at: dt.datetime | None = None
    ) -> PlanInfo: ...

    def plan_info(self, plan: str) -> PlanInfo | None: ...


def mask_url(url: str) -> str:
    """`url` with any password replaced by ``***``: safe for messages and logs."""
    return _PASSWORD_IN_QUERY.sub(r"\1***", _PASSWORD_IN_URL.sub(r"\1***@", url))
