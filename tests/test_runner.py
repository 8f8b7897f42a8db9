"""The refresh runner, with fake connectors: planning, batching, retries, secrets, outcomes."""

import datetime as dt
import textwrap
import threading

import attrs
import pytest

import okrkit
from okrkit.connectors import (
    Connector,
    CredentialsError,
    Reading,
    Registry,
    TerminalError,
    TransientError,
    connector,
)
from okrkit.runner import Retry, refresh
from okrkit.testing import FakeConnector, registry

AT = dt.datetime(2026, 8, 15, 12, tzinfo=dt.UTC)
NO_WAIT = Retry(attempts=3, backoff=0.01, max_wait=5)


def plan_of(key_results: str, cycle: str = "2026-Q3") -> okrkit.Plan:
    text = f"""
cycle: {cycle}
objectives:
  - id: o
    title: Become the tool teams reach for
    key_results:
{textwrap.indent(textwrap.dedent(key_results).strip(), " " * 6)}
"""
    return okrkit.loads(text, path="okrs.yaml")


def run(plan, fake_or_registry, **kwargs):
    reg = (
        fake_or_registry.registry()
        if isinstance(fake_or_registry, FakeConnector)
        else fake_or_registry
    )
    kwargs.setdefault("at", AT)
    kwargs.setdefault("retry", NO_WAIT)
    kwargs.setdefault("environ", {})
    kwargs.setdefault("sleep", lambda _s: None)
    return refresh(plan, None, registry=reg, **kwargs)


def by_id(result):
    return {outcome.key_result: outcome for outcome in result.outcomes}


TWO = """
- {id: a, title: Sign-ups over 5k, source: {connector: fake, table: a}}
- {id: b, title: Views over 100k, source: {connector: fake, table: b}}
- {id: manual, title: Deals over 10, current: 4}
"""


def test_measures_every_sourced_key_result_in_one_batch():
    fake = FakeConnector("fake", {"a": 4200, "b": Reading(50_000, raw={"views": "50000"})})
    result = run(plan_of(TWO), fake)
    outcomes = by_id(result)
    assert set(outcomes) == {"a", "b"}  # key results without a source are not part of a refresh
    assert (outcomes["a"].status, outcomes["a"].value) == ("measured", 4200)
    assert outcomes["b"].value == 50_000
    assert fake.calls == 1  # a batch connector gets all of its queries at once
    assert [q.key_result for q in fake.queries] == ["a", "b"]
    assert fake.queries[0].settings == {"table": "a"}
    assert fake.closed == 1
    assert result.exit_code() == 0
    assert (result.measured, result.failed, result.skipped) == (2, 0, 0)


def test_function_connectors_get_one_call_each_on_threads():
    seen = []
    lock = threading.Lock()

    @connector("fake")
    def fake(query):
        with lock:
            seen.append((query.key_result, threading.current_thread().name))
        return {"a": 1, "b": 2}[query.key_result]

    result = run(plan_of(TWO), registry(fake), concurrency=4)
    assert {o.key_result: o.value for o in result.outcomes} == {"a": 1, "b": 2}
    assert sorted(k for k, _ in seen) == ["a", "b"]


def test_one_failure_keeps_the_other_values():
    fake = FakeConnector("fake", {"a": TerminalError("table 'a' is gone"), "b": 7})
    result = run(plan_of(TWO), fake)
    outcomes = by_id(result)
    assert outcomes["a"].status == "failed"
    assert outcomes["a"].error == "table 'a' is gone [terminal]"
    assert outcomes["b"].status == "measured"
    assert result.exit_code() == 1


def test_transient_failures_are_retried_honouring_retry_after():
    waits = []
    fake = FakeConnector(
        "fake",
        {"a": [TransientError("busy", retry_after=2.5), TransientError("busy"), 9], "b": 1},
    )
    result = run(plan_of(TWO), fake, sleep=waits.append)
    outcomes = by_id(result)
    assert (outcomes["a"].status, outcomes["a"].value, outcomes["a"].attempts) == ("measured", 9, 3)
    assert outcomes["b"].attempts == 1
    assert waits[0] == 2.5  # the source's Retry-After, not the backoff
    assert len(waits) == 2
    assert [q.key_result for q in fake.queries] == ["a", "b", "a", "a"]  # only failures again


def test_retries_give_up_after_the_attempts_and_say_so():
    fake = FakeConnector("fake", {"a": TransientError("timed out"), "b": 1})
    result = run(plan_of(TWO), fake)
    outcome = by_id(result)["a"]
    assert outcome.status == "failed"
    assert outcome.attempts == 3
    assert outcome.error == "timed out [transient]"


def test_a_retry_after_longer_than_max_wait_is_not_waited():
    waits = []
    fake = FakeConnector("fake", {"a": TransientError("quota window", retry_after=3600), "b": 1})
    result = run(plan_of(TWO), fake, sleep=waits.append, retry=Retry(attempts=3, max_wait=60))
    outcome = by_id(result)["a"]
    assert outcome.attempts == 1
    assert waits == []
    assert "asked to wait 3600s, more than the 60s okrkit waits" in outcome.error


def test_terminal_errors_are_not_retried():
    fake = FakeConnector("fake", {"a": CredentialsError("key refused"), "b": 1})
    result = run(plan_of(TWO), fake)
    assert by_id(result)["a"].attempts == 1


def test_a_crashing_connector_fails_only_its_key_results():
    class Broken(Connector):
        name = "broken"

        def fetch(self, queries, context):
            raise KeyError("oops")

    plan = plan_of("""
        - {id: a, title: Sign-ups over 5k, source: {connector: broken}}
        - {id: b, title: Views over 100k, source: {connector: fake}}
    """)
    fake = FakeConnector("fake", {"b": 3})
    result = run(plan, registry(Broken, fake))
    outcomes = by_id(result)
    assert outcomes["a"].status == "failed"
    assert "connector 'broken' crashed: KeyError" in outcomes["a"].error
    assert outcomes["b"].value == 3


def test_a_connector_returning_the_wrong_number_of_results_fails_clearly():
    class Short(Connector):
        name = "short"

        def fetch(self, queries, context):
            return [1]

    plan = plan_of("""
        - {id: a, title: Sign-ups over 5k, source: {connector: short}}
        - {id: b, title: Views over 100k, source: {connector: short}}
    """)
    result = run(plan, registry(Short))
    assert "returned 1 results for 2 queries" in by_id(result)["a"].error


def test_garbage_values_are_refused():
    fake = FakeConnector("fake", {"a": float("nan"), "b": "12"})
    result = run(plan_of(TWO), fake)
    outcomes = by_id(result)
    assert "not a finite number" in outcomes["a"].error
    assert outcomes["b"].status == "failed"


class TestSettings:
    @attrs.frozen
    class TableSettings:
        table: str
        limit: int = 10

    def test_settings_are_validated_before_any_call(self):
        fake = FakeConnector("fake", {"a": 1, "b": 2}, settings=self.TableSettings)
        plan = plan_of("""
            - {id: a, title: Sign-ups over 5k, source: {connector: fake, table: a, limit: many}}
            - {id: b, title: Views over 100k, source: {connector: fake, tabel: b}}
            - {id: c, title: Deals over 10, source: {connector: fake, table: c}}
        """)
        fake.set("c", 5)
        result = run(plan, fake)
        outcomes = by_id(result)
        assert outcomes["a"].status == "invalid"
        assert "setting 'limit'" in outcomes["a"].error
        assert outcomes["b"].status == "invalid"
        assert "tabel" in outcomes["b"].error
        assert outcomes["c"].value == 5
        assert [q.key_result for q in fake.queries] == ["c"]
        assert fake.queries[0].settings == self.TableSettings("c")
        assert result.exit_code() == 2

    def test_window_needs_a_windowed_connector(self):
        fake = FakeConnector("fake", {"a": 1}, windowed=False)
        plan = plan_of("- {id: a, title: Mentions over 500, source: {connector: fake, window: 7d}}")
        outcome = run(plan, fake).outcomes[0]
        assert outcome.status == "invalid"
        assert "cannot count over a window" in outcome.error

    def test_bad_window_and_aggregate(self):
        plan = plan_of("""
            - {id: a, title: Mentions over 500, source: {connector: fake, window: a week}}
            - {id: b, title: Views over 100k, source: {connector: fake, aggregate: max}}
        """)
        outcomes = by_id(run(plan, FakeConnector("fake")))
        assert "not a duration" in outcomes["a"].error
        assert "not an aggregation" in outcomes["b"].error


class TestSecrets:
    PLAN = """
        - {id: a, title: Sign-ups over 5k, source: {connector: fake, key: "${SIGNUPS_KEY}"}}
        - {id: b, title: Views over 100k, source: {connector: fake, key: "${VIEWS_KEY}"}}
    """

    def test_resolved_from_the_environment(self):
        fake = FakeConnector("fake", {"a": 1, "b": 2})
        result = run(
            plan_of(self.PLAN), fake, environ={"SIGNUPS_KEY": "s3cret-a", "VIEWS_KEY": "v"}
        )
        assert result.measured == 2
        assert fake.asked("a")[0].settings["key"] == "s3cret-a"

    def test_a_missing_variable_skips_that_key_result_only(self):
        fake = FakeConnector("fake", {"a": 1, "b": 2})
        result = run(plan_of(self.PLAN), fake, environ={"SIGNUPS_KEY": "s3cret-a"})
        outcomes = by_id(result)
        assert outcomes["a"].status == "measured"
        assert outcomes["b"].status == "skipped"
        assert outcomes["b"].error == (
            "environment variable VIEWS_KEY is not set: export it before the refresh runs"
        )
        assert result.exit_code() == 0
        assert result.exit_code(strict=True) == 1

    def test_secrets_never_appear_in_errors(self):
        secret = "tok-9f8e7d6c5b"
        fake = FakeConnector(
            "fake",
            {
                "a": TerminalError(f"server said: bad token {secret}"),
                "b": CredentialsError(f"GET https://api.example.com/v1?key={secret}&q=1 refused"),
            },
        )
        result = run(
            plan_of(self.PLAN), fake, environ={"SIGNUPS_KEY": secret, "VIEWS_KEY": "other-key"}
        )
        text = repr(result.to_dict())
        assert secret not in text
        assert "bad token ***" in by_id(result)["a"].error
        assert "key=***&q=1" in by_id(result)["b"].error


class TestConnectorsThatAreNotThere:
    def test_an_unknown_connector_is_skipped_with_the_reason(self):
        plan = plan_of(
            "- {id: v, title: YouTube video views over 100k, source: {connector: youtube}}"
        )
        outcome = run(plan, Registry(entry_points=None)).outcomes[0]
        assert outcome.status == "skipped"
        assert "no connector named 'youtube' is installed" in outcome.error
        assert "okrkit-youtube" in outcome.error

    def test_a_connector_outside_okrkit_connectors_is_skipped(self, monkeypatch):
        monkeypatch.setenv("OKRKIT_CONNECTORS", "sql,csv")
        plan = plan_of("- {id: v, title: Views over 100k, source: {connector: fake}}")
        outcome = run(
            plan, Registry(entry_points=None, extra=[FakeConnector("fake").connector])
        ).outcomes[0]
        assert outcome.status == "skipped"
        assert "OKRKIT_CONNECTORS" in outcome.error


class TestWindowsAndBaselines:
    def test_windows_end_at_the_refresh_or_the_cycle_end(self):
        fake = FakeConnector("fake", {"m": 170})
        plan = plan_of("- {id: m, title: Mentions over 200, source: {connector: fake, window: 7d}}")
        run(plan, fake)
        window = fake.queries[0].window
        assert window.until == AT
        assert window.since == AT - dt.timedelta(days=7)
        late = dt.datetime(2026, 11, 27, tzinfo=dt.UTC)
        run(plan, fake, at=late)
        assert fake.queries[-1].window.until == dt.datetime(2026, 10, 1, tzinfo=dt.UTC)

    def test_a_relative_key_result_measures_its_baseline_before_the_cycle(self):
        fake = FakeConnector("fake", {"m": 210})
        plan = plan_of(
            "- {id: m, title: Organic mentions up by 40%, source: {connector: fake, window: 7d}}"
        )
        result = run(plan, fake)
        purposes = {q.purpose: q.window for q in fake.queries}
        assert set(purposes) == {"value", "baseline"}
        start = dt.datetime(2026, 7, 1, tzinfo=dt.UTC)
        assert purposes["baseline"].until == start
        assert purposes["baseline"].since == start - dt.timedelta(days=7)
        (baseline,) = result.baselines
        assert (baseline.key_result, baseline.value) == ("m", 210)

    def test_a_baseline_in_the_file_is_not_measured(self):
        fake = FakeConnector("fake", {"m": 210})
        plan = plan_of(
            "- {id: m, title: Organic mentions up by 40%, baseline: 150, "
            "source: {connector: fake, window: 7d}}"
        )
        result = run(plan, fake)
        assert [q.purpose for q in fake.queries] == ["value"]
        assert result.baselines == ()

    def test_change_counts_from_the_cycle_start(self):
        fake = FakeConnector("fake", {"v": 130_000})
        plan = plan_of(
            "- {id: v, title: Views gained over 50k, source: {connector: fake, aggregate: change}}"
        )
        # the fake answers every query with 130,000; a windowed connector is asked for the start
        result = run(plan, fake)
        assert {q.purpose for q in fake.queries} == {"value", "start"}
        assert result.outcomes[0].value == 0
        assert result.baselines[0].value == 130_000

    def test_change_with_a_present_only_connector_starts_counting_now(self):
        fake = FakeConnector("fake", {"v": 130_000}, windowed=False)
        plan = plan_of(
            "- {id: v, title: Views gained over 50k, source: {connector: fake, aggregate: change}}"
        )
        result = run(plan, fake)
        assert result.outcomes[0].value == 0
        assert "first reading" in result.outcomes[0].note


def test_sum_adds_up_several_sources():
    one = FakeConnector("crm", {"s": 1200})
    two = FakeConnector("shop", {"s": Reading(800, raw={"n": 800})})
    plan = plan_of(
        "- {id: s, title: Sign-ups over 5k, source: {connector: sum, sources: "
        "[{connector: crm, list: beta}, {connector: shop}]}}"
    )
    result = run(plan, registry(one, two))
    outcome = result.outcomes[0]
    assert (outcome.status, outcome.value, outcome.connector) == ("measured", 2000, "sum(crm+shop)")


def test_sum_fails_when_a_part_fails():
    one = FakeConnector("crm", {"s": 1200})
    two = FakeConnector("shop", {"s": TerminalError("shop down")})
    plan = plan_of(
        "- {id: s, title: Sign-ups over 5k, source: {connector: sum, sources: "
        "[{connector: crm}, {connector: shop}]}}"
    )
    outcome = run(plan, registry(one, two)).outcomes[0]
    assert outcome.status == "failed"
    assert outcome.error == "shop: shop down [terminal]"


def test_dry_run_fetches_nothing():
    fake = FakeConnector("fake", {"a": 1, "b": 2})
    result = run(plan_of(TWO), fake, dry_run=True)
    assert fake.calls == 0
    assert {o.status for o in result.outcomes} == {"planned"}
    assert "would ask fake for up to 2026-08-15T12:00:00+00:00" in result.outcomes[0].note


def test_only_named_key_results():
    fake = FakeConnector("fake", {"a": 1, "b": 2})
    result = run(plan_of(TWO), fake, only=["b"])
    assert [o.key_result for o in result.outcomes] == ["b"]
    with pytest.raises(okrkit.UnknownIdError, match="'nope'"):
        run(plan_of(TWO), fake, only=["nope"])


def test_progress_is_reported():
    calls = []
    fake = FakeConnector("fake", {"a": 1, "b": 2}, batch=False)
    run(plan_of(TWO), fake, progress=lambda done, total: calls.append((done, total)))
    assert calls[-1] == (2, 2)


def test_to_dict_shape():
    fake = FakeConnector("fake", {"a": 1, "b": TerminalError("x")})
    data = run(plan_of(TWO), fake).to_dict()
    assert {"run_id", "measured", "failed", "skipped", "results"} <= set(data)
    assert data["results"][0].keys() >= {"key_result", "value", "status", "error"}
    assert (data["measured"], data["failed"], data["skipped"]) == (1, 1, 0)
