"""The runner fetches while it plans: a single query starts as soon as its key result is planned,
a batch connector's key results are planned first so that its call starts early, and a failure
or Ctrl-C anywhere stops the threads and stores nothing."""

import datetime as dt
import threading
from typing import ClassVar

import attrs
import pytest

import okrkit
from okrkit.connectors import Connector, Reading
from okrkit.runner import Retry, refresh
from okrkit.testing import registry

AT = dt.datetime(2026, 8, 15, 12, tzinfo=dt.UTC)
WAIT = 10.0  # seconds a planning step waits for a fetch that the runner should have started


class Events:
    """What happened, in order, across the planning thread and the fetching threads."""

    def __init__(self) -> None:
        self.lock = threading.Lock()
        self.seen: list[tuple[str, str]] = []
        self.fetched = threading.Event()

    def add(self, what: str, key: str) -> None:
        with self.lock:
            self.seen.append((what, key))


def connectors(events: Events, *, wait_on: str | None = None, interrupt: str | None = None):
    """A single-query connector and a batch one whose settings note when they are planned (the
    runner structures settings while planning); planning `wait_on` waits until some fetch has
    begun, planning `interrupt` raises KeyboardInterrupt (Ctrl-C)."""

    @attrs.frozen
    class TableSettings:
        table: str

        def __attrs_post_init__(self) -> None:
            if self.table == interrupt:
                raise KeyboardInterrupt
            if self.table == wait_on:
                events.fetched.wait(WAIT)
            events.add("planned", self.table)

    class Single(Connector):
        name: ClassVar[str] = "single"
        Settings: ClassVar[type] = TableSettings
        batch: ClassVar[bool] = False

        def fetch(self, queries, context):
            events.add("fetched", queries[0].settings.table)
            events.fetched.set()
            return [Reading(1.0) for _ in queries]

    class Bulk(Single):
        name: ClassVar[str] = "bulk"
        batch: ClassVar[bool] = True

        def fetch(self, queries, context):
            events.add("batch", ",".join(q.settings.table for q in queries))
            events.fetched.set()
            return [Reading(2.0) for _ in queries]

    return registry(Single, Bulk)


def plan_of(*sources: tuple[str, str]) -> okrkit.Plan:
    lines = "\n".join(
        f"      - {{id: {table}, title: Sign-ups over 5k, "
        f"source: {{connector: {name}, table: {table}}}}}"
        for name, table in sources
    )
    head = "id: pipeline\ncycle: 2026-Q3\nobjectives:\n  - id: o\n    title: Grow\n"
    text = f"{head}    key_results:\n{lines}\n"
    return okrkit.loads(text, path="okrs.yaml")


def run(plan, reg, store=None, **kwargs):
    kwargs.setdefault("concurrency", 4)
    return refresh(
        plan,
        store,
        registry=reg,
        at=AT,
        environ={},
        retry=Retry(attempts=1),
        sleep=lambda _s: None,
        **kwargs,
    )


def refresh_threads() -> list[threading.Thread]:
    return [t for t in threading.enumerate() if t.name.startswith("okrkit-refresh")]


def test_the_first_key_result_is_fetched_while_the_last_is_still_being_planned():
    events = Events()
    plan = plan_of(("single", "first"), ("single", "middle"), ("single", "last"))
    result = run(plan, connectors(events, wait_on="last"))
    assert [o.status for o in result.outcomes] == ["measured"] * 3
    # planning "last" waited for a fetch: one had begun before the planning ended
    done = events.seen.index(("planned", "last"))
    assert any(what == "fetched" for what, _ in events.seen[:done]), events.seen
    assert not refresh_threads()


def test_a_batch_connectors_key_results_are_planned_first_and_its_call_starts_early():
    events = Events()
    # the batch's key results come last in the file; the single ones' planning waits for a fetch
    plan = plan_of(("single", "s1"), ("single", "s2"), ("bulk", "b1"), ("bulk", "b2"))
    result = run(plan, connectors(events, wait_on="s1"), concurrency=1)
    assert {o.key_result: o.value for o in result.outcomes} == {
        "s1": 1.0,
        "s2": 1.0,
        "b1": 2.0,
        "b2": 2.0,
    }
    assert [o.key_result for o in result.outcomes] == ["s1", "s2", "b1", "b2"]  # file order
    assert events.seen[:3] == [("planned", "b1"), ("planned", "b2"), ("batch", "b1,b2")]
    assert ("planned", "s1") in events.seen[3:]


def test_ctrl_c_while_planning_stops_the_fetching_stores_nothing_and_frees_the_key_results(
    tmp_path,
):
    events = Events()
    plan = plan_of(*(("single", f"kr{n}") for n in range(6)))
    with okrkit.open_store(tmp_path / "okrkit.db") as store:
        with pytest.raises(KeyboardInterrupt):
            run(plan, connectors(events, wait_on="kr3", interrupt="kr4"), store)
        assert ("fetched", "kr0") in events.seen  # fetching had begun
        assert not refresh_threads()
        assert store.runs("pipeline") == []
        assert store.history("pipeline", "kr0") == []
        assert store.leases("pipeline") == []  # the next run need not wait for them
        again = run(plan, connectors(Events()), store)
        assert again.measured == 6


def test_ctrl_c_in_a_fetching_thread_is_raised_and_nothing_is_stored(tmp_path):
    class Stopping(Connector):
        name: ClassVar[str] = "single"
        batch: ClassVar[bool] = False

        def fetch(self, queries, context):
            if queries[0].key_result == "kr2":
                raise KeyboardInterrupt
            return [Reading(1.0)]

    plan = plan_of(*(("single", f"kr{n}") for n in range(5)))
    with okrkit.open_store(tmp_path / "okrkit.db") as store:
        with pytest.raises(KeyboardInterrupt):
            run(plan, registry(Stopping), store, concurrency=2)
        assert not refresh_threads()
        assert store.runs("pipeline") == []
        assert store.leases("pipeline") == []


def test_a_key_result_refused_while_planning_is_leased_then_freed_with_the_run(tmp_path):
    events = Events()
    plan = plan_of(("single", "good"), ("nowhere", "unknown"))
    with okrkit.open_store(tmp_path / "okrkit.db") as store:
        result = run(plan, connectors(events), store)
        outcomes = {o.key_result: o.status for o in result.outcomes}
        assert outcomes == {"good": "measured", "unknown": "skipped"}
        assert store.leases("pipeline") == []
        assert [r.key_result for r in store.latest("pipeline").values()] == ["good"]


def test_a_batch_connector_still_gets_all_of_a_runs_queries_in_one_call_sums_included():
    events = Events()
    text = """
id: pipeline
cycle: 2026-Q3
objectives:
  - id: o
    title: Grow
    key_results:
      - {id: s1, title: Sign-ups over 5k, source: {connector: single, table: s1}}
      - id: both
        title: Sign-ups over 9k
        source:
          connector: sum
          sources: [{connector: single, table: part}, {connector: bulk, table: bulk-part}]
      - {id: b1, title: Sign-ups over 3k, source: {connector: bulk, table: b1}}
"""
    result = run(okrkit.loads(text, path="okrs.yaml"), connectors(events))
    assert {o.key_result: o.value for o in result.outcomes} == {"s1": 1.0, "both": 3.0, "b1": 2.0}
    assert [key for what, key in events.seen if what == "batch"] == ["bulk-part,b1"]


def test_a_run_left_only_key_results_it_cannot_fetch_says_the_rest_are_held(tmp_path):
    # "good" is another live refresh's; "unknown" names no installed connector. Leasing first
    # and planning after must not turn "all held" into a run that stores a skip: the scheduler
    # is told to retry (exit 75), as when nothing could be leased
    plan = plan_of(("single", "good"), ("nowhere", "unknown"))
    with okrkit.open_store(tmp_path / "okrkit.db") as store:
        store.claim(
            "pipeline",
            ["good"],
            holder="a refresh elsewhere",
            token="elsewhere",
            ttl=dt.timedelta(minutes=10),
            host="elsewhere.example",
            pid=1,
        )
        with pytest.raises(okrkit.StoreLockedError, match="another refresh holds"):
            run(plan, connectors(Events()), store)
        assert store.runs("pipeline") == []
        assert [(lease.key_result, lease.holder) for lease in store.leases("pipeline")] == [
            ("good", "a refresh elsewhere")
        ]
