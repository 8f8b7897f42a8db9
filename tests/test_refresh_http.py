"""The refresh runner's whole path over real HTTP: plan, `http` connector, HttpClient, store.

Every test runs real OKR plans through `okrkit.refresh` with the real registry against a real
server on 127.0.0.1 (the `fake_api` fixture), and a real SQLite store. Waits between attempts go
to a recording `sleep`, so retries cost no time; only the timeout tests wait for real.
"""

import datetime as dt
import email.utils
import json
import os
import socket
import subprocess
import sys
import textwrap

import pytest

import okrkit
from fakeapi import Answer
from okrkit.connectors import Registry
from okrkit.runner import Retry, refresh

AT = dt.datetime(2026, 8, 15, 12, tzinfo=dt.UTC)
RETRY = Retry(attempts=3, backoff=0.01, max_wait=5)
KEY = "okrs"  # the plan's key in the store: the name of its file, okrs.yaml


def plan_text(sources: dict[str, dict]) -> str:
    """An OKR file with one key result per source, in order; sources are written as JSON."""
    lines = [
        f"- id: {kr_id}\n  title: Sign-ups ({kr_id}) over 100\n  source: {json.dumps(source)}"
        for kr_id, source in sources.items()
    ]
    return f"""\
cycle: 2026-Q3
objectives:
  - id: o
    title: Become the tool teams reach for
    key_results:
{textwrap.indent(chr(10).join(lines), " " * 6)}
"""


def http(url: str, path: str = "v", **settings) -> dict:
    return {"connector": "http", "url": url, "path": path, **settings}


@pytest.fixture
def store(tmp_path):
    with okrkit.open_store(tmp_path / "s.db") as opened:
        yield opened


@pytest.fixture
def make_plan(tmp_path):
    def make(sources: dict[str, dict]) -> okrkit.Plan:
        return okrkit.loads(plan_text(sources), path=str(tmp_path / "okrs.yaml"))

    return make


class Sleeps(list):
    """A `sleep` that records how long it was asked to wait, and returns at once."""

    def __call__(self, seconds: float) -> None:
        self.append(seconds)


def run(plan, store, **kwargs):
    kwargs.setdefault("at", AT)
    kwargs.setdefault("environ", {})
    kwargs.setdefault("registry", Registry())
    kwargs.setdefault("retry", RETRY)
    kwargs.setdefault("sleep", Sleeps())
    return refresh(plan, store, **kwargs)


def by_id(result):
    return {outcome.key_result: outcome for outcome in result.outcomes}


def stored(store, kr_id: str) -> list[float]:
    return [record.value for record in store.history(KEY, kr_id)]


def unused_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


# -- Many at once ------------------------------------------------------------------------------


def test_twenty_slow_key_results_are_fetched_at_most_eight_at_a_time(fake_api, make_plan, store):
    sources = {
        f"kr{i:02d}": http(fake_api.route(f"/m{i}", Answer(body={"v": i * 10}, delay=0.2)))
        for i in range(20)
    }
    sleeps = Sleeps()
    result = run(make_plan(sources), store, concurrency=8, sleep=sleeps)

    assert (result.measured, result.failed, result.skipped, result.exit_code()) == (20, 0, 0, 0)
    assert {o.key_result: (o.status, o.value, o.attempts) for o in result.outcomes} == {
        f"kr{i:02d}": ("measured", i * 10.0, 1) for i in range(20)
    }
    assert 2 <= fake_api.most_in_flight <= 8
    assert [len(fake_api.requests_to(f"/m{i}")) for i in range(20)] == [1] * 20
    assert sleeps == []
    for i in range(20):
        assert stored(store, f"kr{i:02d}") == [i * 10.0]
    [run_record] = store.runs(KEY)
    assert (run_record.id, run_record.status, run_record.measured, run_record.failed) == (
        result.run_id,
        "ok",
        20,
        0,
    )


# -- Retries -------------------------------------------------------------------------------------


def test_429_waits_what_retry_after_asks_then_measures(fake_api, make_plan, store):
    url = fake_api.route(
        "/busy", Answer(429, {"error": "slow down"}, {"Retry-After": "2"}), {"v": 5}
    )
    sleeps = Sleeps()
    result = run(make_plan({"a": http(url)}), store, sleep=sleeps)

    [outcome] = result.outcomes
    assert (outcome.status, outcome.value, outcome.attempts, outcome.error) == (
        "measured",
        5.0,
        2,
        None,
    )
    assert sleeps == [2.0]  # the source's Retry-After, not the 0.01 s backoff
    assert len(fake_api.requests_to("/busy")) == 2
    assert stored(store, "a") == [5.0]


def test_retry_after_as_an_http_date(fake_api, make_plan, store):
    when = dt.datetime.now(dt.UTC) + dt.timedelta(seconds=4)
    header = email.utils.format_datetime(when, usegmt=True)  # whole seconds: 3 to 4 s from now
    url = fake_api.route("/busy", Answer(429, "", {"Retry-After": header}), {"v": 6})
    sleeps = Sleeps()
    result = run(make_plan({"a": http(url)}), store, sleep=sleeps)

    [outcome] = result.outcomes
    assert (outcome.status, outcome.value, outcome.attempts) == ("measured", 6.0, 2)
    [wait] = sleeps
    assert 2.0 < wait <= 4.0


def test_retry_after_longer_than_max_wait_fails_saying_so(fake_api, make_plan, store):
    url = fake_api.route("/busy", Answer(503, "", {"Retry-After": "120"}), {"v": 6})
    sleeps = Sleeps()
    result = run(make_plan({"a": http(url)}), store, sleep=sleeps)

    [outcome] = result.outcomes
    assert (outcome.status, outcome.attempts) == ("failed", 1)
    assert outcome.error.endswith(
        "answered HTTP 503 (asked to wait 120s) (the source asked to wait 120s, more than the "
        "5s okrkit waits; try again later) [transient]"
    )
    assert sleeps == []
    assert len(fake_api.requests_to("/busy")) == 1


def test_503_twice_then_200_is_measured_on_the_third_attempt(fake_api, make_plan, store):
    url = fake_api.route("/flaky", Answer(503, "busy"), Answer(503, "busy"), {"v": 7})
    sleeps = Sleeps()
    result = run(make_plan({"a": http(url)}), store, sleep=sleeps)

    [outcome] = result.outcomes
    assert (outcome.status, outcome.value, outcome.attempts) == ("measured", 7.0, 3)
    assert len(sleeps) == 2
    assert all(0 < wait <= 0.05 for wait in sleeps)  # the backoff: 0.01 s, then 0.02 s, jittered
    assert len(fake_api.requests_to("/flaky")) == 3
    assert stored(store, "a") == [7.0]


def test_500_every_time_fails_after_three_attempts(fake_api, make_plan, store):
    url = fake_api.route("/down", Answer(500, "boom"))
    ok = fake_api.route("/ok", {"v": 1})
    sleeps = Sleeps()
    result = run(make_plan({"a": http(url), "b": http(ok)}), store, sleep=sleeps)

    outcomes = by_id(result)
    assert (outcomes["a"].status, outcomes["a"].value, outcomes["a"].attempts) == (
        "failed",
        None,
        3,
    )
    assert outcomes["a"].error == f"GET {url} answered HTTP 500: boom [transient]"
    assert "[transient]" in outcomes["a"].error
    assert "HTTP 500" in outcomes["a"].error
    assert len(fake_api.requests_to("/down")) == 3
    assert len(sleeps) == 2
    assert (outcomes["b"].status, outcomes["b"].value) == ("measured", 1.0)
    assert stored(store, "a") == []
    assert stored(store, "b") == [1.0]
    assert result.exit_code() == 1
    assert store.runs(KEY)[0].status == "partial"


# -- Transient failures that do not lose the other values ------------------------------------


def test_a_timeout_fails_transiently_and_the_others_are_stored(fake_api, make_plan, store):
    slow = fake_api.route("/slow", Answer(body={"v": 1}, delay=1.0))
    sources = {
        "slow": http(slow),
        "b": http(fake_api.route("/b", {"v": 2})),
        "c": http(fake_api.route("/c", {"data": {"total": 3}}), path="data.total"),
    }
    result = run(make_plan(sources), store, timeout=0.3)  # real waiting: the point is the clock

    outcomes = by_id(result)
    assert (outcomes["slow"].status, outcomes["slow"].attempts) == ("failed", 3)
    assert outcomes["slow"].error == f"GET {slow} timed out after 0.3s [transient]"
    assert "timed out" in outcomes["slow"].error
    assert len(fake_api.requests_to("/slow")) == 3
    assert {kr: (o.status, o.value) for kr, o in outcomes.items() if kr != "slow"} == {
        "b": ("measured", 2.0),
        "c": ("measured", 3.0),
    }
    assert (stored(store, "slow"), stored(store, "b"), stored(store, "c")) == ([], [2.0], [3.0])
    [run_record] = store.runs(KEY)
    assert (run_record.status, run_record.measured, run_record.failed) == ("partial", 2, 1)
    assert result.exit_code() == 1


def test_a_garbage_body_is_retried_then_fails_and_the_others_are_stored(fake_api, make_plan, store):
    bad = fake_api.route("/bad", Answer(200, "<html>oops", {"Content-Type": "text/html"}))
    ok = fake_api.route("/ok", {"v": 11})
    result = run(make_plan({"bad": http(bad), "ok": http(ok)}), store)

    outcomes = by_id(result)
    assert (outcomes["bad"].status, outcomes["bad"].attempts) == ("failed", 3)
    assert outcomes["bad"].error == (
        f"GET {bad} answered with something that is not JSON: '<html>oops' [transient]"
    )
    assert len(fake_api.requests_to("/bad")) == 3
    assert (outcomes["ok"].status, outcomes["ok"].value) == ("measured", 11.0)
    assert (stored(store, "bad"), stored(store, "ok")) == ([], [11.0])


def test_a_connection_cut_mid_body_is_a_transient_failure(fake_api, make_plan, store):
    cut = fake_api.route("/cut", Answer(body={"v": 123456, "padding": "x" * 200}, cut=True))
    ok = fake_api.route("/ok", {"v": 4})
    result = run(make_plan({"cut": http(cut), "ok": http(ok)}), store)

    outcomes = by_id(result)
    assert (outcomes["cut"].status, outcomes["cut"].value, outcomes["cut"].attempts) == (
        "failed",
        None,
        3,
    )
    assert outcomes["cut"].error.startswith(
        f"GET {cut}: the connection broke while reading the answer ("
    )
    assert outcomes["cut"].error.endswith(") [transient]")
    assert len(fake_api.requests_to("/cut")) == 3
    assert (outcomes["ok"].status, outcomes["ok"].value) == ("measured", 4.0)
    assert (stored(store, "cut"), stored(store, "ok")) == ([], [4.0])


def test_connection_refused_is_a_transient_failure(fake_api, make_plan, store):
    nowhere = f"http://127.0.0.1:{unused_port()}/v1/count"
    ok = fake_api.route("/ok", {"v": 4})
    sleeps = Sleeps()
    result = run(make_plan({"gone": http(nowhere), "ok": http(ok)}), store, sleep=sleeps)

    outcomes = by_id(result)
    assert (outcomes["gone"].status, outcomes["gone"].attempts) == ("failed", 3)
    assert outcomes["gone"].error.startswith(f"GET {nowhere}: could not connect to 127.0.0.1: ")
    assert outcomes["gone"].error.endswith(" [transient]")
    assert len(sleeps) == 2
    assert (outcomes["ok"].status, outcomes["ok"].value) == ("measured", 4.0)
    assert (stored(store, "gone"), stored(store, "ok")) == ([], [4.0])


# -- A failure after a success keeps the value ------------------------------------------------


def test_a_500_after_a_200_keeps_the_first_value(fake_api, make_plan, store):
    url = fake_api.route("/v", {"v": 40}, Answer(500, "down for maintenance"))
    plan = make_plan({"a": http(url)})

    first = run(plan, store, at=AT)
    second = run(plan, store, at=AT + dt.timedelta(days=1))

    assert [(o.status, o.value, o.attempts) for o in first.outcomes] == [("measured", 40.0, 1)]
    assert [(o.status, o.value, o.attempts) for o in second.outcomes] == [("failed", None, 3)]
    assert (
        second.outcomes[0].error == f"GET {url} answered HTTP 500: down for maintenance [transient]"
    )
    assert (first.exit_code(), second.exit_code()) == (0, 1)

    [record] = store.history(KEY, "a")
    assert (record.value, record.observed_at, record.run_id, record.source) == (
        40.0,
        AT,
        first.run_id,
        "http",
    )
    latest, earlier = store.runs(KEY)
    assert (latest.id, latest.status, latest.measured, latest.failed) == (
        second.run_id,
        "failed",
        0,
        1,
    )
    assert [(r["key_result"], r["status"], r["value"]) for r in latest.results] == [
        ("a", "failed", None)
    ]
    assert latest.results[0]["error"] == second.outcomes[0].error
    assert (earlier.id, earlier.status, earlier.measured) == (first.run_id, "ok", 1)

    card = okrkit.status(plan, store, AT + dt.timedelta(days=1, hours=1))
    score = card.key_result("a")
    assert (score.value, score.goal, score.observed_at) == (40.0, 100.0, AT)


# -- Terminal failures: one attempt ----------------------------------------------------------


def test_401_is_a_credentials_error_and_is_not_retried(fake_api, make_plan, store):
    url = fake_api.route("/private", Answer(401, {"error": "bad token"}))
    sleeps = Sleeps()
    result = run(
        make_plan({"a": http(url, token="${TOKEN}")}),
        store,
        environ={"TOKEN": "tok_abcdef123456"},
        sleep=sleeps,
    )

    [outcome] = result.outcomes
    assert (outcome.status, outcome.attempts) == ("failed", 1)
    assert outcome.error == (
        f"GET {url} answered HTTP 401: the credentials were refused or lack permission; check "
        'the key or token in the environment: {"error": "bad token"} [terminal]'
    )
    [seen] = fake_api.requests_to("/private")
    assert seen.headers["Authorization"] == "Bearer tok_abcdef123456"
    assert sleeps == []
    assert stored(store, "a") == []


@pytest.mark.parametrize(
    "case",  # the answer, the path to the number, the error ({url}: the route's address)
    [
        (
            {"data": {"other": 1}},
            "data.total",
            (
                "the answer from {url} does not have 'data.total': data has no key 'total' "
                "(its keys: other) [terminal]"
            ),
        ),
        ({"v": "lots"}, "v", "v in the answer from {url}: 'lots' is not a number [terminal]"),
    ],
    ids=["missing-at-path", "not-a-number"],
)
def test_an_answer_without_the_number_is_terminal(fake_api, make_plan, store, case):
    answer, path, error = case
    url = fake_api.route("/v", answer)
    ok = fake_api.route("/ok", {"v": "1,234"})  # text holding a number is fine
    sleeps = Sleeps()
    result = run(make_plan({"a": http(url, path=path), "ok": http(ok)}), store, sleep=sleeps)

    outcomes = by_id(result)
    assert (outcomes["a"].status, outcomes["a"].attempts) == ("failed", 1)
    assert outcomes["a"].error == error.format(url=url)
    assert len(fake_api.requests_to("/v")) == 1
    assert sleeps == []
    assert (outcomes["ok"].status, outcomes["ok"].value) == ("measured", 1234.0)
    assert stored(store, "ok") == [1234.0]


def test_an_error_from_a_path_named_token_stays_readable(fake_api, make_plan, store):
    url = fake_api.route("/v1/token", Answer(500, "boom"))
    result = run(make_plan({"a": http(url)}), store, retry=Retry(attempts=1))

    [outcome] = result.outcomes
    assert outcome.error == f"GET {url} answered HTTP 500: boom [transient]"


def test_a_redirect_loop_is_terminal(fake_api, make_plan, store):
    url = fake_api.route("/a", Answer(302, "", {"Location": "/a"}))
    result = run(make_plan({"a": http(url)}), store)

    [outcome] = result.outcomes
    assert (outcome.status, outcome.attempts) == ("failed", 1)
    assert outcome.error == f"GET {url} was redirected more than 5 times [terminal]"
    assert len(fake_api.requests_to("/a")) == 6  # the request and 5 redirects, once


# -- The command line ------------------------------------------------------------------------


def okrkit_command(*args: str, cwd) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "okrkit", *args],
        capture_output=True,
        text=True,
        cwd=cwd,
        env={**os.environ, "NO_COLOR": "1"},
        timeout=60,
        check=False,
    )


def test_the_refresh_command_over_http(fake_api, tmp_path):
    sources = {
        "a": http(fake_api.route("/a", {"v": 12})),
        "b": http(
            fake_api.route("/b", {"data": [{"n": 1}, {"n": 2}]}), path="data", measure="count"
        ),
        "gone": http(fake_api.route("/gone", Answer(404, {"error": "no such report"}))),
    }
    file = tmp_path / "okrs.yaml"
    file.write_text(plan_text(sources))

    done = okrkit_command("refresh", str(file), "--format", "json", cwd=tmp_path)
    assert done.returncode == 1, done.stderr
    report = json.loads(done.stdout)
    assert (report["measured"], report["failed"], report["skipped"]) == (2, 1, 0)
    assert [(r["key_result"], r["status"], r["value"]) for r in report["results"]] == [
        ("a", "measured", 12.0),
        ("b", "measured", 2.0),
        ("gone", "failed", None),
    ]
    gone = report["results"][2]
    assert gone["error"] == (
        f'GET {fake_api.url}/gone answered HTTP 404: {{"error": "no such report"}} [terminal]'
    )
    assert gone["attempts"] == 1
    assert (tmp_path / "okrs.okrkit.db").is_file()

    for kr_id, values in {"a": [12.0], "b": [2.0], "gone": []}.items():
        history = okrkit_command(
            "history", kr_id, "-f", str(file), "--format", "json", cwd=tmp_path
        )
        assert history.returncode == 0, history.stderr
        rows = json.loads(history.stdout)
        assert rows["key_result"] == kr_id
        assert [row["value"] for row in rows["history"]] == values
        assert all(row["run_id"] == report["run_id"] for row in rows["history"])
        assert all(row["source"] == "http" for row in rows["history"])
