"""The measurement store: the Store protocol (run against every backend), then SQLite itself.

The `store` and `store_url` fixtures (tests/conftest.py) are parametrised over the backends:
SQLite, and PostgreSQL when a server is given (OKRKIT_TEST_POSTGRES_URL). Tests after the
"SQLite only" lines check what only a file can show: its location, WAL, integrity after a killed
writer, its migrations; tests/test_store_postgres.py checks the same of PostgreSQL.
"""

import datetime as dt
import math
import os
import random
import re
import signal
import sqlite3
import subprocess
import sys
import threading
import time
from pathlib import Path

import attrs
import pytest

from okrkit.errors import SchemaVersionError, StoreError, StoreLockedError
from okrkit.model import CheckIn, Cycle, Kind, Measurement
from okrkit.store import (
    Baseline,
    CycleResult,
    Record,
    RunRecord,
    Store,
    default_store_path,
    open_store,
)
from okrkit.store import sqlite as sqlite_store
from okrkit.store._base import mask_url

UTC = dt.UTC
T0 = dt.datetime(2026, 7, 1, 9, 0, tzinfo=UTC)
PLAN = "launch"


def at(days: float = 0, **delta: float) -> dt.datetime:
    return T0 + dt.timedelta(days=days, **delta)


def record(key_result="signups", value=1.0, day=0.0, **fields) -> Record:
    fields.setdefault("source", "sql")
    fields.setdefault("plan", PLAN)
    fields.setdefault("observed_at", at(day))
    return Record(key_result=key_result, value=value, **fields)


def run_of(run_id="run-1", plan=PLAN, *, day=0.0, status="ok", measured=1, results=()):
    return RunRecord(
        run_id, plan, at(day), at(day, minutes=1), status, measured, 0, 0, results=results
    )


def baseline(key_result="mentions", value=120.0, day=-1.0, **fields) -> Baseline:
    fields.setdefault("since", at(-31))
    fields.setdefault("until", at(-1))
    fields.setdefault("source", "mastodon")
    return Baseline(PLAN, key_result, value, at(day), **fields)


#: The schema version this okrkit writes.
VERSION = 3


# -- The Store protocol ----------------------------------------------------------------------


def test_a_new_store_is_empty_and_follows_the_protocol(store):
    assert isinstance(store, Store)
    assert store.schema_version == sqlite_store.schema_version() == VERSION
    assert store.plans() == []
    assert store.runs(PLAN) == []
    assert store.history(PLAN, "signups") == []
    assert store.latest(PLAN) == {}
    assert store.measurements(PLAN) == []
    assert store.check_ins(PLAN) == []
    assert store.baselines(PLAN) == {}
    assert store.baseline(PLAN, "mentions") is None
    assert store.last_review(PLAN) is None
    assert store.cycle_results(PLAN) == []


def test_a_run_is_stored_with_its_records_and_their_provenance(store):
    fetched = at(0, minutes=1)
    records = [
        record("signups", 4200, 0, fetched_at=fetched, fingerprint="3f2a", raw="4200"),
        record("views", 81234.5, 0, source="youtube", fetched_at=fetched, raw='{"views": 81234}'),
    ]
    run = run_of(
        measured=2,
        results=(
            {"key_result": "signups", "value": 4200, "status": "ok", "error": None},
            {"key_result": "views", "value": 81234.5, "status": "ok", "error": None},
        ),
    )
    store.record_run(run, records)
    # the records come back as written, each tagged with the run that fetched it
    assert store.history(PLAN, "signups") == [records[0]._replace(run_id="run-1")]
    assert store.history(PLAN, "views") == [records[1]._replace(run_id="run-1")]
    assert store.runs(PLAN) == [run]
    assert store.plans() == [PLAN]


def test_history_is_in_time_order_then_insertion_order_with_inclusive_bounds(store):
    store.backfill([record(value=3, day=2), record(value=1, day=0), record(value=2, day=1)])
    store.backfill([record(value=2.5, day=1)])  # same moment as value 2, written later
    assert [r.value for r in store.history(PLAN, "signups")] == [1, 2, 2.5, 3]
    assert [r.value for r in store.history(PLAN, "signups", since=at(1))] == [2, 2.5, 3]
    assert [r.value for r in store.history(PLAN, "signups", until=at(1))] == [1, 2, 2.5]
    assert [r.value for r in store.history(PLAN, "signups", since=at(1), until=at(1))] == [2, 2.5]
    assert store.history(PLAN, "signups", since=at(3)) == []
    assert store.history("another-plan", "signups") == []


def test_times_come_back_in_utc_to_the_microsecond(store):
    paris = dt.timezone(dt.timedelta(hours=2))
    observed = dt.datetime(2026, 8, 15, 12, 30, 5, 123456, tzinfo=paris)
    ancient = dt.datetime(1969, 12, 31, 23, 59, 59, 999999, tzinfo=UTC)
    store.backfill([Record(PLAN, "signups", 1.0, observed, "file", fetched_at=ancient)])
    (stored,) = store.history(PLAN, "signups")
    assert stored.observed_at == observed
    assert stored.observed_at.tzinfo is UTC
    assert stored.observed_at.isoformat() == "2026-08-15T10:30:05.123456+00:00"
    assert stored.fetched_at == ancient
    assert stored.value == 1.0


def test_values_are_stored_exactly_and_whole_numbers_become_floats(store):
    store.backfill([record(value=0.1 + 0.2, day=0), record(value=7, day=1)])
    values = [r.value for r in store.history(PLAN, "signups")]
    assert values == [0.30000000000000004, 7.0]
    assert [type(v) for v in values] == [float, float]


def test_measurements_are_the_plan_up_to_a_moment_for_scoring(store):
    store.backfill(
        [
            record("signups", 10, 0),
            record("views", 500, 1, source="youtube"),
            record("signups", 20, 2),
            record("signups", 99, 0, plan="other-team"),
        ]
    )
    assert store.measurements(PLAN) == [
        Measurement("signups", 10.0, at(0), "sql"),
        Measurement("signups", 20.0, at(2), "sql"),
        Measurement("views", 500.0, at(1), "youtube"),
    ]
    assert store.measurements(PLAN, until=at(1)) == [
        Measurement("signups", 10.0, at(0), "sql"),
        Measurement("views", 500.0, at(1), "youtube"),
    ]
    assert record("signups", 10, 0).measurement() == Measurement("signups", 10.0, at(0), "sql")


def test_latest_is_the_last_value_of_each_key_result_at_a_moment(store):
    store.backfill(
        [
            record("signups", 10, 0),
            record("signups", 20, 2),
            record("signups", 21, 2),  # same moment, written later: wins
            record("views", 500, 1, source="youtube"),
            record("views", 700, 3, source="youtube"),
        ]
    )
    assert {k: r.value for k, r in store.latest(PLAN).items()} == {"signups": 21, "views": 700}
    assert {k: r.value for k, r in store.latest(PLAN, until=at(1)).items()} == {
        "signups": 10,
        "views": 500,
    }
    assert store.latest(PLAN, until=at(-1)) == {}
    assert store.latest(PLAN)["views"] == record("views", 700, 3, source="youtube")


def test_check_ins_by_plan_key_result_and_moment(store):
    first = CheckIn("signups", at(1), confidence=0.6, note="campaign slipped", author="ana")
    second = CheckIn("views", at(2), value=90000)
    third = CheckIn("signups", at(3), value=4300, confidence=0.8)
    for check_in in (third, first, second):
        store.add_check_in(PLAN, check_in)
    store.add_check_in("other-team", CheckIn("signups", at(1), value=1))
    assert store.check_ins(PLAN) == [first, second, third]
    assert store.check_ins(PLAN, key_result="signups") == [first, third]
    assert store.check_ins(PLAN, until=at(2)) == [first, second]
    assert store.check_ins(PLAN, key_result="views", until=at(1)) == []


def test_baselines_are_kept_one_per_key_result_and_a_newer_one_replaces(store):
    old = baseline(value=120, day=-1)
    store.record_run(run_of("run-1"), [], [old])
    assert store.baseline(PLAN, "mentions") == attrs.evolve(old, run_id="run-1")
    newer = baseline(value=150, day=0, since=None, until=None, source="file")
    store.record_run(run_of("run-2", day=1), [], [newer])
    assert store.baseline(PLAN, "mentions") == attrs.evolve(newer, run_id="run-2")
    store.record_run(run_of("run-3", day=2), [], [baseline(value=1, day=-5)])  # older: ignored
    assert store.baselines(PLAN) == {"mentions": attrs.evolve(newer, run_id="run-2")}
    assert store.baseline(PLAN, "signups") is None


def test_runs_are_newest_first_and_limited(store):
    for number in range(5):
        store.record_run(run_of(f"run-{number}", day=number), [])
    assert [run.id for run in store.runs(PLAN)] == ["run-4", "run-3", "run-2", "run-1", "run-0"]
    assert [run.id for run in store.runs(PLAN, limit=2)] == ["run-4", "run-3"]
    assert store.runs("other-team") == []
    with pytest.raises(StoreError, match="limit must be a whole number, 1 or more; got 0"):
        store.runs(PLAN, limit=0)


def test_run_results_round_trip_as_json(store):
    results = (
        {"key_result": "signups", "value": 4200.5, "status": "ok", "error": None},
        {"key_result": "views", "value": None, "status": "failed", "error": "quota spent ✗"},
    )
    run = RunRecord("r", PLAN, at(0), None, "partial", 1, 1, 0, results=list(results))
    store.record_run(run, [record()])
    (stored,) = store.runs(PLAN)
    assert stored == run
    assert stored.results == results
    assert stored.finished_at is None


def test_plans_lists_every_plan_with_anything_stored(store):
    store.backfill([record(plan="b-team")])
    store.record_run(run_of("r", plan="a-team"), [])
    store.add_check_in("c-team", CheckIn("signups", at(0), value=1))
    assert store.plans() == ["a-team", "b-team", "c-team"]


def test_backfill_counts_what_it_stored_and_takes_any_iterable(store):
    store.record_run(run_of("run-1"), [])
    count = store.backfill(
        record(value=v, day=v, source="backfill", run_id="run-1" if v else None) for v in range(3)
    )
    assert count == 3
    assert [(r.value, r.run_id) for r in store.history(PLAN, "signups")] == [
        (0, None),
        (1, "run-1"),
        (2, "run-1"),
    ]
    assert store.backfill([]) == 0


# -- Reviews and cycle results ------------------------------------------------------------------

Q2 = Cycle.parse("2026-Q2")
Q3 = Cycle.parse("2026-Q3")


def cycle_result(key_result="signups", score=0.8, cycle=Q3, **fields) -> CycleResult:
    fields.setdefault("plan", PLAN)
    fields.setdefault("objective", "launch-buzz")
    fields.setdefault("kind", Kind.ASPIRATIONAL)
    fields.setdefault("recorded_at", at(92))
    return CycleResult(cycle=cycle, key_result=key_result, score=score, **fields)


def test_reviews_are_kept_and_the_last_one_before_a_moment_comes_back(store):
    paris = dt.timezone(dt.timedelta(hours=2))
    first = {"at": "first", "moved": [{"key_result": "signups", "change": 12.5}]}
    second = {"at": "second", "moved": (), "note": "réunion ✓", "nested": {"list": (1, None)}}
    store.record_review(PLAN, second, at(14))
    store.record_review(PLAN, first, at(7))
    store.record_review("other-team", {"at": "theirs"}, at(30))
    assert store.last_review(PLAN) == (
        at(14),
        {"at": "second", "moved": [], "note": "réunion ✓", "nested": {"list": [1, None]}},
    )
    assert store.last_review(PLAN, before=at(14)) == (at(7), first)  # strictly before
    assert store.last_review(PLAN, before=at(7)) is None
    assert store.last_review(PLAN, before=at(14).astimezone(paris)) == (at(7), first)
    (moment, _) = store.last_review(PLAN)
    assert moment.tzinfo is UTC
    assert store.last_review("other-team") == (at(30), {"at": "theirs"})
    assert store.last_review("nobody") is None


def test_a_review_at_the_same_moment_replaces_the_earlier_one(store):
    store.record_review(PLAN, {"try": 1}, at(7))
    store.record_review(PLAN, {"try": 2}, at(7))
    assert store.last_review(PLAN) == (at(7), {"try": 2})
    assert store.last_review(PLAN, before=at(7)) is None


@pytest.mark.parametrize(
    ("plan", "review", "moment", "message"),
    [
        (PLAN, [("moved", [])], at(0), "review of plan 'launch' must be a mapping"),
        (PLAN, {"change": math.nan}, at(0), "review of plan 'launch' is not JSON-ready"),
        (PLAN, {"at": at(0)}, at(0), "is not JSON-ready"),
        (PLAN, {}, dt.datetime(2026, 7, 1), "the review's at 2026-07-01T00:00:00 has no time"),  # noqa: DTZ001
        (" launch", {}, at(0), "plan ' launch' is not a plan key"),
    ],
)
def test_a_bad_review_is_refused(store, plan, review, moment, message):
    with pytest.raises(StoreError, match=message):
        store.record_review(plan, review, moment)
    assert store.plans() == []


def test_cycle_results_are_kept_per_cycle_and_a_new_record_of_a_cycle_replaces_it(store):
    q3 = [
        cycle_result("signups", 0.85),
        cycle_result("uptime", 1, objective="reliable", kind="committed"),
        cycle_result("views", None),
    ]
    assert store.record_cycle_results(PLAN, Q3, q3) == 3
    q2 = [cycle_result("signups", 0.5, Q2, recorded_at=at(1))]
    assert store.record_cycle_results(PLAN, Q2, q2) == 1
    store.record_cycle_results("other-team", Q3, [cycle_result(plan="other-team")])
    stored = store.cycle_results(PLAN)
    # oldest cycle first, then in the order written; kinds come back as Kind, scores as floats
    assert stored == [q2[0], *[attrs.evolve(r, kind=Kind(r.kind)) for r in q3]]
    assert [(r.cycle.label, r.key_result, r.kind, r.score) for r in stored] == [
        ("2026-Q2", "signups", Kind.ASPIRATIONAL, 0.5),
        ("2026-Q3", "signups", Kind.ASPIRATIONAL, 0.85),
        ("2026-Q3", "uptime", Kind.COMMITTED, 1.0),
        ("2026-Q3", "views", Kind.ASPIRATIONAL, None),
    ]
    assert type(stored[2].score) is float
    assert stored[1].recorded_at.tzinfo is UTC
    # the same cycle again (same dates, even under another label): the old record goes
    relabelled = Cycle(Q3.start, Q3.end, "summer")
    again = [cycle_result("signups", 0.9, relabelled)]
    assert store.record_cycle_results(PLAN, relabelled, again) == 1
    assert [(r.cycle.label, r.key_result, r.score) for r in store.cycle_results(PLAN)] == [
        ("2026-Q2", "signups", 0.5),
        ("summer", "signups", 0.9),
    ]
    assert len(store.cycle_results("other-team")) == 1
    assert store.record_cycle_results(PLAN, Q2, []) == 0  # an empty record clears the cycle
    assert [r.cycle for r in store.cycle_results(PLAN)] == [Q3]


def test_a_cycle_without_a_label_is_kept_under_its_dates(store):
    dates = Cycle(dt.date(2026, 7, 1), dt.date(2026, 8, 15))
    store.record_cycle_results(PLAN, dates, [cycle_result(cycle=dates)])
    (stored,) = store.cycle_results(PLAN)
    assert stored.cycle == dates
    assert stored.cycle.label == "2026-07-01..2026-08-15"


@pytest.mark.parametrize(
    ("bad", "message"),
    [
        ({"plan": "other-team"}, r"cycle result 1 \(key result 'mentions'\) is for plan 'other"),
        ({"cycle": Q2}, r"is for cycle 2026-Q2, not for cycle 2026-Q3"),
        ({"kind": "stretch"}, "kind 'stretch' is not one of committed, aspirational"),
        ({"score": 1.5}, "score must be between 0 and 1, got 1.5"),
        ({"score": math.nan}, "score is nan"),
        ({"score": "0.5"}, "score must be a number"),
        ({"recorded_at": dt.datetime(2026, 10, 1)}, "recorded_at 2026-10-01T00:00:00 has no"),  # noqa: DTZ001
        ({"key_result": "sign ups"}, "'sign ups' is not a key result id"),
        ({"objective": "launch buzz"}, "'launch buzz' is not an objective id"),
    ],
)
def test_a_bad_cycle_result_is_refused_and_the_earlier_record_kept(store, bad, message):
    store.record_cycle_results(PLAN, Q3, [cycle_result("views", 0.4)])
    with pytest.raises(StoreError, match=message):
        store.record_cycle_results(
            PLAN, Q3, [cycle_result(), attrs.evolve(cycle_result("mentions"), **bad)]
        )
    assert [(r.key_result, r.score) for r in store.cycle_results(PLAN)] == [("views", 0.4)]


def test_cycle_results_must_be_cycle_results_one_per_key_result(store):
    with pytest.raises(StoreError, match="cycle result 1 is a dict, not an okrkit CycleResult"):
        store.record_cycle_results(PLAN, Q3, [cycle_result(), {"key_result": "views"}])
    with pytest.raises(StoreError, match="key result 'signups' appears twice"):
        store.record_cycle_results(PLAN, Q3, [cycle_result(), cycle_result(score=0.2)])
    with pytest.raises(StoreError, match="cycle must be an okrkit Cycle, not '2026-Q3'"):
        store.record_cycle_results(PLAN, "2026-Q3", [cycle_result()])
    assert store.cycle_results(PLAN) == []


def test_plans_counts_reviews_and_cycle_results_too(store):
    store.record_review("a-team", {}, at(0))
    store.record_cycle_results("b-team", Q3, [cycle_result(plan="b-team")])
    assert store.plans() == ["a-team", "b-team"]


# -- Nothing half-written ----------------------------------------------------------------------


def test_a_run_with_a_bad_record_half_way_leaves_nothing_and_the_store_still_works(store):
    records = [record(value=v, day=v) for v in range(5)]
    records[3] = record(value=math.nan, day=3)
    with pytest.raises(StoreError, match=r"record 3 \(key result 'signups'\): value is nan"):
        store.record_run(run_of("run-1"), records)
    assert store.runs(PLAN) == []
    assert store.history(PLAN, "signups") == []
    store.record_run(run_of("run-1"), [record(value=1)])
    assert [r.value for r in store.history(PLAN, "signups")] == [1.0]


def test_a_constraint_failing_mid_write_leaves_nothing(store):
    good = [record(value=v, day=v) for v in range(3)]
    with pytest.raises(StoreError, match="run_id names a run that is not in this store"):
        store.backfill([*good, record(value=9, day=9, run_id="no-such-run")])
    assert store.history(PLAN, "signups") == []
    assert store.backfill(good) == 3


def test_the_same_run_twice_is_refused_and_the_first_is_kept(store):
    store.record_run(run_of("run-1"), [record(value=1)])
    with pytest.raises(StoreError, match="already holds run 'run-1'"):
        store.record_run(run_of("run-1", day=1), [record(value=2, day=1)])
    assert [r.value for r in store.history(PLAN, "signups")] == [1.0]
    assert len(store.runs(PLAN)) == 1


@pytest.mark.parametrize(
    ("bad", "message"),
    [
        ({"value": math.inf}, r"record 0 \(key result 'signups'\): value is inf"),
        ({"value": "12"}, "value must be a number, got '12'"),
        ({"value": True}, "value must be a number, got True"),
        ({"observed_at": dt.datetime(2026, 7, 1)}, "observed_at 2026-07-01T00:00:00 has no time"),  # noqa: DTZ001
        ({"observed_at": dt.date(2026, 7, 1)}, "observed_at must be a datetime"),
        ({"fetched_at": dt.datetime(2026, 7, 1)}, "fetched_at 2026-07-01T00:00:00 has no time"),  # noqa: DTZ001
        ({"source": ""}, "source must be non-empty text"),
        ({"fingerprint": 42}, "fingerprint must be text, got 42"),
        ({"raw": b"x"}, "raw must be text"),
        ({"key_result": "sign ups"}, "'sign ups' is not a key result id"),
        ({"plan": "other-team"}, "is for plan 'other-team', but the run is for plan 'launch'"),
        ({"run_id": "run-0"}, "belongs to run 'run-0', not to run 'run-1'"),
    ],
)
def test_a_bad_record_is_refused_with_what_is_wrong(store, bad, message):
    with pytest.raises(StoreError, match=message):
        store.record_run(run_of("run-1"), [record(**bad)])
    assert store.plans() == []


def test_records_must_be_records(store):
    measurement = Measurement("signups", 1.0, at(0), "sql")
    with pytest.raises(StoreError, match="record 1 is a Measurement, not an okrkit Record"):
        store.backfill([record(), measurement])
    assert store.plans() == []


def test_a_bad_run_or_baseline_is_refused(store):
    naive = dt.datetime(2026, 7, 1)  # noqa: DTZ001
    with pytest.raises(StoreError, match="started_at 2026-07-01T00:00:00 has no time zone"):
        store.record_run(attrs.evolve(run_of(), started_at=naive), [])
    with pytest.raises(StoreError, match="status 'dry-run' is not one of failed, ok, partial"):
        store.record_run(attrs.evolve(run_of(), status="dry-run"), [])
    with pytest.raises(StoreError, match="failed must be a whole number, zero or more; got -1"):
        store.record_run(attrs.evolve(run_of(), failed=-1), [])
    with pytest.raises(StoreError, match="results are not JSON-ready"):
        store.record_run(run_of(results=({"value": math.nan},)), [])
    with pytest.raises(StoreError, match="results are not JSON-ready"):
        store.record_run(run_of(results=({"when": at(0)},)), [])
    with pytest.raises(StoreError, match=r"baseline 0 \(key result 'mentions'\): since 2026"):
        store.record_run(run_of(), [], [baseline(since=naive)])
    with pytest.raises(StoreError, match=r"value is nan"):
        store.record_run(run_of(), [], [baseline(value=math.nan)])
    assert store.plans() == []


def test_naive_moments_are_refused_when_reading_too(store):
    naive = dt.datetime(2026, 7, 1)  # noqa: DTZ001
    with pytest.raises(StoreError, match="until 2026-07-01T00:00:00 has no time zone"):
        store.history(PLAN, "signups", until=naive)
    with pytest.raises(StoreError, match=r"since .* has no time zone"):
        store.history(PLAN, "signups", since=naive)
    with pytest.raises(StoreError, match=r"until .* has no time zone"):
        store.latest(PLAN, until=naive)


# -- The refresh lock --------------------------------------------------------------------------


def test_a_lock_is_held_for_its_block_and_names_its_holder(store):
    with store.lock(PLAN, holder="ci-runner pid 41"):
        with pytest.raises(StoreLockedError) as caught, store.lock(PLAN, holder="laptop"):
            pass  # pragma: no cover - never entered
        error = caught.value
        assert error.holder == "ci-runner pid 41"
        assert isinstance(error.expires_at, dt.datetime)
        assert error.expires_at.tzinfo is UTC
        remaining = error.expires_at - dt.datetime.now(UTC)
        assert dt.timedelta(minutes=59) < remaining <= dt.timedelta(hours=1)
        assert str(error) == (
            f"another refresh holds the lock on plan 'launch' in {store_name(store)} "
            f"(ci-runner pid 41); it expires at {error.expires_at:%Y-%m-%d %H:%M:%S} UTC: "
            "wait for it, or run again after that"
        )
        with store.lock("other-team", holder="laptop"):  # other plans are not blocked
            pass
    with store.lock(PLAN, holder="laptop"):  # released
        pass


def store_name(store) -> str:
    return f"store {store.url}"


def test_a_lock_is_released_when_its_block_raises(store):
    with pytest.raises(RuntimeError, match="connector blew up"), store.lock(PLAN, holder="a"):
        raise RuntimeError("connector blew up")
    with store.lock(PLAN, holder="b"):
        pass


def test_an_expired_lock_is_taken_over(store):
    with store.lock(PLAN, holder="crashed run", ttl=dt.timedelta(milliseconds=50)):
        time.sleep(0.1)
        with store.lock(PLAN, holder="next run"):
            pass  # took it over
        with store.lock(PLAN, holder="next run"):
            # the first holder's release (at the end of its block) must not free this one
            pass
    with (
        store.lock(PLAN, holder="next run"),
        pytest.raises(StoreLockedError, match="next run"),
        store.lock(PLAN, holder="third"),
    ):
        pass  # pragma: no cover


def test_an_expired_lock_taken_over_keeps_the_new_holder_after_the_old_one_ends(store):
    # the crashed run's block ends (releases) while the new holder still holds the lock
    old = store.lock(PLAN, holder="slow run", ttl=dt.timedelta(milliseconds=50))
    old.__enter__()
    time.sleep(0.1)
    with store.lock(PLAN, holder="new run"):
        old.__exit__(None, None, None)
        with pytest.raises(StoreLockedError, match="new run"), store.lock(PLAN, holder="third"):
            pass  # pragma: no cover


def test_lock_arguments_are_checked(store):
    with (
        pytest.raises(StoreError, match="holder must be non-empty text"),
        store.lock(PLAN, holder=" "),
    ):
        pass  # pragma: no cover
    with (
        pytest.raises(StoreError, match="ttl must be a positive timedelta"),
        store.lock(PLAN, holder="a", ttl=dt.timedelta(0)),
    ):
        pass  # pragma: no cover


# -- Life cycle ---------------------------------------------------------------------------------


def test_a_closed_store_says_so(store):
    store.close()
    store.close()  # harmless
    assert isinstance(store, Store)
    assert store.schema_version == VERSION
    with pytest.raises(StoreError, match="is closed"):
        store.plans()
    with pytest.raises(StoreError, match="is closed"):
        store.backfill([record()])


def test_a_store_is_a_context_manager(store_url):
    with open_store(store_url) as opened:
        opened.backfill([record()])
    with pytest.raises(StoreError, match="is closed"):
        opened.history(PLAN, "signups")
    with open_store(store_url) as reopened:
        assert [r.value for r in reopened.history(PLAN, "signups")] == [1.0]


def test_reopening_is_idempotent_and_keeps_everything(store_url):
    with open_store(store_url) as first:
        first.record_run(run_of(), [record()])
    for _ in range(2):
        with open_store(store_url) as again:
            assert again.schema_version == VERSION
            assert len(again.history(PLAN, "signups")) == 1


def test_two_store_objects_on_one_store_see_each_others_writes(store_url):
    with open_store(store_url) as one, open_store(store_url) as two:
        one.backfill([record(value=1)])
        two.backfill([record(value=2, day=1)])
        assert [r.value for r in one.history(PLAN, "signups")] == [1, 2]


def test_threads_can_share_one_store(store):
    errors: list[BaseException] = []

    def refresh(worker: int) -> None:
        try:
            for number in range(10):
                records = [record(f"kr{worker}", v, number) for v in range(50)]
                store.record_run(run_of(f"run-{worker}-{number}", day=number), records)
                store.history(PLAN, f"kr{worker}")
        except BaseException as error:  # noqa: BLE001  # reported below
            errors.append(error)

    threads = [threading.Thread(target=refresh, args=(worker,)) for worker in range(4)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert errors == []
    assert len(store.runs(PLAN, limit=100)) == 40
    assert [len(store.history(PLAN, f"kr{worker}")) for worker in range(4)] == [500] * 4


# -- SQLite only: opening, the file, migrations ---------------------------------------------------


def test_open_store_accepts_paths_sqlite_urls_and_memory(tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)
    with open_store("relative/okrs.okrkit.db") as plain:
        assert plain.url == "relative/okrs.okrkit.db"
    with open_store("sqlite:///relative/okrs.okrkit.db") as relative:
        assert relative.url == "sqlite:///relative/okrs.okrkit.db"
        assert relative.path == Path("relative/okrs.okrkit.db")
    absolute = tmp_path / "deep" / "down" / "okrs.okrkit.db"
    with open_store(f"sqlite:///{absolute}") as opened:  # sqlite:////abs/path
        assert opened.path == absolute
        opened.backfill([record()])
    assert absolute.is_file()  # the missing directories were created
    with open_store(absolute) as by_path:
        assert len(by_path.history(PLAN, "signups")) == 1
    for memory in (":memory:", "sqlite:///:memory:", "sqlite://"):
        with open_store(memory) as in_memory:
            assert in_memory.path is None
            assert in_memory.plans() == []
    assert sorted(p.name for p in tmp_path.iterdir()) == ["deep", "relative"]


def test_open_store_refuses_other_urls_and_masks_passwords():
    with pytest.raises(StoreError) as caught:
        open_store("mysql://root:hunter2@localhost/okrs")
    assert str(caught.value) == (
        "cannot open the store 'mysql://root:***@localhost/okrs': use a file path "
        "(okrs.okrkit.db), sqlite:///relative/path.db, sqlite:////absolute/path.db, :memory: "
        "or postgresql://user@host:port/database"
    )
    for bad in ("sqlite://host/okrs.db", "sqlite:///okrs.db?mode=ro", "sqlite:///", ""):
        with pytest.raises(StoreError, match=":memory:"):
            open_store(bad)


def test_passwords_are_masked_in_urls():
    assert mask_url("postgresql://u:p@h:5432/d") == "postgresql://u:***@h:5432/d"
    assert mask_url("postgresql://h/d?user=u&password=p&x=1") == (
        "postgresql://h/d?user=u&password=***&x=1"
    )
    assert mask_url("sqlite:///okrs.db") == "sqlite:///okrs.db"


def test_the_default_store_lives_beside_the_okr_file():
    assert default_store_path("examples/product-launch/okrs.yaml") == Path(
        "examples/product-launch/okrs.okrkit.db"
    )
    assert default_store_path(Path("/srv/okrs/team.okrs.json")) == Path(
        "/srv/okrs/team.okrs.okrkit.db"
    )
    assert default_store_path("okrs") == Path("okrs.okrkit.db")


def test_the_file_is_in_wal_mode_with_the_documented_settings(tmp_path):
    path = tmp_path / "okrs.okrkit.db"
    with open_store(path) as opened:
        connection = opened._connection
        assert connection.execute("PRAGMA journal_mode").fetchone() == ("wal",)
        assert connection.execute("PRAGMA synchronous").fetchone() == (1,)  # NORMAL
        assert connection.execute("PRAGMA foreign_keys").fetchone() == (1,)
        assert connection.execute("PRAGMA busy_timeout").fetchone() == (5000,)
    raw = sqlite3.connect(path)
    try:
        assert raw.execute("PRAGMA user_version").fetchone() == (VERSION,)
        assert raw.execute("PRAGMA application_id").fetchone() == (0x4F4B524B,)
        tables = [row[0] for row in raw.execute("SELECT name FROM sqlite_master ORDER BY name")]
    finally:
        raw.close()
    assert tables == [
        "baselines",
        "check_ins",
        "check_ins_by_key_result",
        "cycle_results",
        "leases",
        "leases_by_token",
        "locks",
        "measurements",
        "measurements_history",
        "plan_keys",
        "reviews",
        "runs",
        "runs_by_plan",
        "sqlite_autoindex_baselines_1",
        "sqlite_autoindex_cycle_results_1",
        "sqlite_autoindex_leases_1",
        "sqlite_autoindex_locks_1",
        "sqlite_autoindex_plan_keys_1",
        "sqlite_autoindex_reviews_1",
        "sqlite_autoindex_runs_1",
    ]


def test_the_documented_dashboard_query_runs_on_a_real_store(tmp_path):
    docs = Path(__file__).parent.parent / "docs" / "reference" / "store.md"
    queries = re.findall(r"^```sql\n(.*?)^```$", docs.read_text(), re.MULTILINE | re.DOTALL)
    (query,) = [query for query in queries if "strftime" in query]  # SQLite's; not PostgreSQL's
    path = tmp_path / "okrs.okrkit.db"
    observed = dt.datetime(2026, 8, 15, 10, 0, 0, 250000, tzinfo=UTC)
    with open_store(path) as opened:
        opened.record_run(
            run_of("r1", "product-launch"),
            [
                Record("product-launch", "signups", 4100.0, observed, "sql"),
                Record("product-launch", "signups", 4200.0, observed, "sql"),  # written last
                Record("product-launch", "mentions", 930.0, observed - dt.timedelta(1), "csv"),
                Record("product-launch", "mentions", 900.0, observed - dt.timedelta(2), "csv"),
            ],
        )
    raw = sqlite3.connect(path)
    try:
        rows = raw.execute(query).fetchall()
    finally:
        raw.close()
    assert rows == [
        ("mentions", 930.0, "2026-08-14T10:00:00.250Z", "csv", "r1"),
        ("signups", 4200.0, "2026-08-15T10:00:00.250Z", "sql", "r1"),
    ]


def test_a_store_from_a_newer_okrkit_is_refused_untouched(tmp_path):
    path = tmp_path / "okrs.okrkit.db"
    open_store(path).close()
    raw = sqlite3.connect(path)
    raw.execute("PRAGMA user_version = 7")
    raw.commit()
    raw.close()
    with pytest.raises(SchemaVersionError) as caught:
        open_store(path)
    assert str(caught.value) == (
        f"store {path} was written by a newer okrkit (schema 7, this one knows {VERSION}): "
        "upgrade okrkit"
    )
    raw = sqlite3.connect(path)
    assert raw.execute("PRAGMA user_version").fetchone() == (7,)
    raw.close()


def test_an_empty_sqlite_file_is_made_a_store(tmp_path):
    path = tmp_path / "okrs.okrkit.db"
    sqlite3.connect(path).close()  # a database with nothing in it: version 0
    path.touch()
    with open_store(path) as opened:
        assert opened.schema_version == VERSION
        opened.backfill([record()])


def test_missing_migration_steps_are_applied_in_order_in_one_transaction(tmp_path, monkeypatch):
    path = tmp_path / "okrs.okrkit.db"
    with open_store(path) as first:
        first.backfill([record()])
    version_2 = ("CREATE TABLE notes (id INTEGER PRIMARY KEY, text TEXT NOT NULL)",)
    version_3 = ("INSERT INTO notes (text) VALUES ('added by step 3')",)
    monkeypatch.setattr(
        sqlite_store, "MIGRATIONS", (*sqlite_store.MIGRATIONS, version_2, version_3)
    )
    with open_store(path) as migrated:
        assert migrated.schema_version == VERSION + 2
        assert migrated._connection.execute("SELECT text FROM notes").fetchall() == [
            ("added by step 3",)
        ]
        assert len(migrated.history(PLAN, "signups")) == 1


def test_a_version_1_store_gains_reviews_and_cycle_results_and_keeps_its_data(
    tmp_path, monkeypatch
):
    path = tmp_path / "okrs.okrkit.db"
    monkeypatch.setattr(sqlite_store, "MIGRATIONS", sqlite_store.MIGRATIONS[:1])
    with open_store(path) as old:
        assert old.schema_version == 1
        old.record_run(run_of(), [record(value=42)], [baseline()])
        old.add_check_in(PLAN, CheckIn("signups", at(1), confidence=0.5))
    monkeypatch.undo()
    with open_store(path) as migrated:
        assert migrated.schema_version == VERSION
        assert [r.value for r in migrated.history(PLAN, "signups")] == [42.0]
        assert migrated.baseline(PLAN, "mentions").value == 120.0
        assert len(migrated.check_ins(PLAN)) == 1
        migrated.record_review(PLAN, {"moved": []}, at(7))
        migrated.record_cycle_results(PLAN, Q3, [cycle_result()])
        assert migrated.last_review(PLAN) == (at(7), {"moved": []})
        assert migrated.cycle_results(PLAN) == [cycle_result()]


def test_a_failing_migration_leaves_the_store_as_it_was(tmp_path, monkeypatch):
    path = tmp_path / "okrs.okrkit.db"
    open_store(path).close()
    good = sqlite_store.MIGRATIONS
    broken = ("CREATE TABLE notes (id INTEGER PRIMARY KEY)", "INSERT INTO nowhere VALUES (1)")
    monkeypatch.setattr(sqlite_store, "MIGRATIONS", (*good, broken))
    with pytest.raises(StoreError, match=r"opening it failed: no such table: nowhere"):
        open_store(path)
    monkeypatch.setattr(sqlite_store, "MIGRATIONS", good)
    with open_store(path) as opened:
        assert opened.schema_version == VERSION
        tables = opened._connection.execute("SELECT name FROM sqlite_master").fetchall()
        assert ("notes",) not in tables


def test_a_file_that_is_not_a_database_is_refused_with_its_path(tmp_path):
    path = tmp_path / "okrs.yaml"
    path.write_text("objectives: []\n" * 100)
    with pytest.raises(StoreError) as caught:
        open_store(path)
    assert str(caught.value).startswith(f"store {path} is not a SQLite database")
    assert "give the path of an okrkit store, or a new file name" in str(caught.value)
    assert path.read_text() == "objectives: []\n" * 100


def test_another_applications_database_is_refused_untouched(tmp_path):
    path = tmp_path / "app.db"
    raw = sqlite3.connect(path)
    raw.execute("CREATE TABLE users (id INTEGER PRIMARY KEY)")
    raw.commit()
    raw.close()
    with pytest.raises(StoreError, match=r"another application \(it holds users\), not an okrkit"):
        open_store(path)
    raw = sqlite3.connect(path)
    assert raw.execute("PRAGMA journal_mode").fetchone() == ("delete",)  # not switched to WAL
    raw.close()


def test_a_directory_or_an_unwritable_place_is_refused_with_what_to_do(tmp_path):
    with pytest.raises(StoreError, match="is a directory, not a store file: give a file path"):
        open_store(tmp_path)
    blocker = tmp_path / "a-file"
    blocker.write_text("")
    with pytest.raises(StoreError, match=f"cannot create its directory {blocker}"):
        open_store(blocker / "okrs.okrkit.db")


@pytest.mark.skipif(not Path("/proc/self").is_dir(), reason="needs Linux /proc")
def test_a_read_only_location_is_refused():
    with pytest.raises(StoreError, match=r"cannot open store /proc/okrs.okrkit.db .*writable"):
        open_store("/proc/okrs.okrkit.db")


@pytest.mark.skipif(os.name != "posix" or os.geteuid() == 0, reason="root ignores permissions")
def test_a_read_only_file_is_refused(tmp_path):
    path = tmp_path / "okrs.okrkit.db"
    open_store(path).close()
    path.chmod(0o444)
    tmp_path.chmod(0o555)
    try:
        with pytest.raises(StoreError, match=r"read-only|cannot open"):
            open_store(path)
    finally:
        tmp_path.chmod(0o755)


def test_a_busy_store_raises_a_store_error_not_a_sqlite_error(tmp_path, monkeypatch):
    monkeypatch.setattr(sqlite_store, "BUSY_TIMEOUT", 0.1)
    path = tmp_path / "okrs.okrkit.db"
    with open_store(path) as opened:
        other = sqlite3.connect(path, isolation_level=None)
        other.execute("BEGIN IMMEDIATE")  # another process writing
        try:
            with pytest.raises(StoreError, match=r"is busy: .* for more than 0.1 s .* try again"):
                opened.record_run(run_of(), [record()])
        finally:
            other.execute("ROLLBACK")
            other.close()
        opened.record_run(run_of(), [record()])


class _FailingBaselines:
    """A connection that fails on the last statement of a run, after the run and its records."""

    def __init__(self, connection):
        self.connection = connection

    def execute(self, *args):
        return self.connection.execute(*args)

    def executemany(self, sql, rows):
        if sql.startswith("INSERT INTO baselines"):
            raise sqlite3.OperationalError("disk I/O error")
        return self.connection.executemany(sql, rows)


def test_a_failure_after_the_records_are_written_rolls_the_whole_run_back(tmp_path):
    with open_store(tmp_path / "okrs.okrkit.db") as opened:
        real = opened._connection
        opened._connection = _FailingBaselines(real)
        with pytest.raises(StoreError, match="recording run 'run-1' failed: disk I/O error"):
            opened.record_run(run_of(), [record(value=v, day=v) for v in range(100)], [baseline()])
        opened._connection = real
        assert opened.runs(PLAN) == []
        assert opened.history(PLAN, "signups") == []
        assert opened.baselines(PLAN) == {}
        opened.record_run(run_of(), [record()], [baseline()])
        assert len(opened.history(PLAN, "signups")) == 1


def test_importing_the_store_does_not_load_the_sqlite_backend():
    code = "import sys, okrkit.store; print('okrkit.store.sqlite' in sys.modules)"
    result = subprocess.run(
        [sys.executable, "-c", code], capture_output=True, text=True, check=True
    )
    assert result.stdout == "False\n"


# -- Several processes (the lock: every backend; the rest: SQLite only) ------------------------

LOCKER = """
import sys
from okrkit.errors import StoreLockedError
from okrkit.store import open_store

path, plan, holder = sys.argv[1:4]
with open_store(path) as store:
    print("ready", flush=True)
    sys.stdin.readline()  # go
    try:
        with store.lock(plan, holder=holder):
            print("got", flush=True)
            sys.stdin.readline()  # until told to release
    except StoreLockedError as error:
        print("locked", error.holder, flush=True)
"""

WRITER = """
import datetime as dt
import sys
from okrkit.store import Record, RunRecord, open_store

path, size = sys.argv[1], int(sys.argv[2])
start = dt.datetime(2026, 7, 1, tzinfo=dt.UTC)
store = open_store(path)
store._connection.set_trace_callback(
    lambda sql: sql.startswith("BEGIN") and print("begin", flush=True)
)
store._connection.execute("PRAGMA cache_size = 50")  # spill the open transaction to the WAL
number = 0
while True:
    records = [
        Record("launch", f"kr{i % 10}", float(i), start + dt.timedelta(seconds=i), "sql")
        for i in range(size)
    ]
    store.record_run(RunRecord(f"run-{number}", "launch", start, None, "ok", size, 0, 0), records)
    print("committed", number, flush=True)
    number += 1
"""


def _script(tmp_path: Path, name: str, text: str) -> str:
    script = tmp_path / name
    script.write_text(text)
    return str(script)


def test_exactly_one_of_several_processes_gets_the_lock(store_url, tmp_path):
    path = store_url
    open_store(path).close()
    script = _script(tmp_path, "locker.py", LOCKER)
    children = [
        subprocess.Popen(
            [sys.executable, script, str(path), PLAN, f"child-{number}"],
            stdin=subprocess.PIPE,
            stdout=subprocess.PIPE,
            text=True,
        )
        for number in range(4)
    ]
    try:
        assert [child.stdout.readline() for child in children] == ["ready\n"] * 4
        for child in children:
            child.stdin.write("go\n")
            child.stdin.flush()
        answers = [child.stdout.readline().split() for child in children]
        winners = [number for number, answer in enumerate(answers) if answer == ["got"]]
        assert len(winners) == 1, answers
        winner = f"child-{winners[0]}"
        assert sorted(answers) == sorted([["got"]] + [["locked", winner]] * 3)
        with open_store(path) as store:
            with (
                pytest.raises(StoreLockedError, match=rf"\({winner}\)"),
                store.lock(PLAN, holder="parent"),
            ):
                pass  # pragma: no cover
            with store.lock("other-team", holder="parent"):
                pass
            for child in children:
                child.stdin.close()  # the winner releases and exits
            assert [child.wait(timeout=30) for child in children] == [0] * 4
            with store.lock(PLAN, holder="parent"):
                pass
    finally:
        for child in children:
            if child.poll() is None:  # pragma: no cover - only when an assertion failed
                child.kill()
                child.wait()
            child.stdout.close()


def test_processes_opening_a_new_store_at_once_all_succeed(tmp_path):
    path = tmp_path / "new.okrkit.db"
    code = (
        "import sys; from okrkit.store import open_store; "
        "s = open_store(sys.argv[1]); print(s.schema_version); s.close()"
    )
    children = [
        subprocess.Popen([sys.executable, "-c", code, str(path)], stdout=subprocess.PIPE, text=True)
        for _ in range(4)
    ]
    outputs = [child.communicate(timeout=60)[0] for child in children]
    assert outputs == [f"{VERSION}\n"] * 4
    assert [child.returncode for child in children] == [0] * 4


def test_a_writer_killed_mid_run_leaves_whole_runs_only(tmp_path):
    path = tmp_path / "okrs.okrkit.db"
    size = 200_000
    script = _script(tmp_path, "writer.py", WRITER)
    child = subprocess.Popen(
        [sys.executable, script, str(path), str(size)], stdout=subprocess.PIPE, text=True
    )
    lines = []
    try:
        while "committed 0\n" not in lines:  # one whole run first
            lines.append(child.stdout.readline())
            assert lines[-1], lines
        assert child.stdout.readline() == "begin\n"  # the second run's transaction started
        time.sleep(0.05)  # well inside its executemany of 200,000 rows
    finally:
        child.send_signal(signal.SIGKILL)
        child.wait()
        child.stdout.close()
    assert child.returncode == -signal.SIGKILL
    raw = sqlite3.connect(path)
    try:
        assert raw.execute("PRAGMA integrity_check").fetchall() == [("ok",)]
        runs = dict(raw.execute("SELECT id, measured FROM runs").fetchall())
        counts = dict(
            raw.execute("SELECT run_id, COUNT(*) FROM measurements GROUP BY run_id").fetchall()
        )
    finally:
        raw.close()
    assert "run-0" in runs
    assert "run-1" not in runs  # it was killed half-way
    assert counts == dict.fromkeys(runs, size)  # every run whole, nothing of a half run
    with open_store(path) as store:
        store.record_run(run_of("after-the-crash", day=1), [record(value=1)])
        assert len(store.history(PLAN, "signups")) == 1
        assert {run.id for run in store.runs(PLAN, limit=10)} == {*runs, "after-the-crash"}


def test_times_read_back_are_exact_to_the_microsecond_on_either_path():
    # _instant converts through a float below 2**52 microseconds and a timedelta beyond: both
    # must give the very microsecond that was stored
    rng = random.Random(7)  # noqa: S311  # reproducible samples, not secrets
    exact = 2**52
    samples = [0, 1, -1, exact - 1, -(exact - 1), exact, -exact, 2**62, -(2**62)]
    samples += [rng.randrange(-exact, exact) for _ in range(100_000)]
    samples += [rng.randrange(-(2**50), 2**50) * 1_000_000 + 500_000 for _ in range(1000)]
    epoch = dt.datetime(1970, 1, 1, tzinfo=dt.UTC)
    for micros in samples:
        try:
            expected = epoch + dt.timedelta(microseconds=micros)
        except OverflowError:
            continue
        assert sqlite_store._instant(micros) == expected, micros
        assert sqlite_store._instant(micros).tzinfo is dt.UTC


def test_history_gives_the_stored_microsecond_whether_an_instant_was_read_before_or_not(tmp_path):
    # the SQLite store keeps the datetimes it made for the next reads (a run's records share
    # them): the first read makes them, later reads look them up; both must be exact, on the
    # float path and the timedelta path, with and without a fetched_at
    exact = 2**52
    moments = [0, 1, -1, exact - 1, -(exact - 1), exact, -exact, 2**62 // 1000, 1_780_000_123_456]
    epoch = dt.datetime(1970, 1, 1, tzinfo=dt.UTC)
    instants = [epoch + dt.timedelta(microseconds=micros) for micros in moments]
    with sqlite_store.SQLiteStore(tmp_path / "okrkit.db") as store:
        store.backfill(
            record(key_result=name, observed_at=moment, fetched_at=fetched, run_id=None)
            for name in ("a", "b")
            for moment, fetched in zip(instants, [None, *instants[:-1]], strict=True)
        )
        first = store.history(PLAN, "a")  # every instant made here
        second = store.history(PLAN, "b")  # every instant looked up
        again = store.history(PLAN, "a")
    expected = sorted(instants)
    for records in (first, second, again):
        assert [r.observed_at for r in records] == expected
        assert all(r.observed_at.tzinfo is dt.UTC for r in records)
    fetched_of = {r.observed_at: r.fetched_at for r in first}
    assert fetched_of == {r.observed_at: r.fetched_at for r in second}
    assert fetched_of[instants[0]] is None
    assert fetched_of[instants[1]] == instants[0]
    # made once, shared: b's records hold the very datetimes a's read made
    assert all(a.observed_at is b.observed_at for a, b in zip(first, second, strict=True))


def test_the_kept_instants_are_bounded(tmp_path, monkeypatch):
    monkeypatch.setattr(sqlite_store._Instants, "limit", 5)
    with sqlite_store.SQLiteStore(tmp_path / "okrkit.db") as store:
        store.backfill(record(day=day, run_id=None) for day in range(8))
        records = store.history(PLAN, "signups")
        assert [r.observed_at for r in records] == [at(day) for day in range(8)]
        assert len(store._instants) == 0  # 8 instants read, more than 5: emptied after the read
        assert store.measurements(PLAN)[3].observed_at == at(3)
        assert len(store._instants) == 0
        store.history(PLAN, "signups", until=at(1))
        assert len(store._instants) == 2  # 2 records, 2 instants (no fetched_at): kept
