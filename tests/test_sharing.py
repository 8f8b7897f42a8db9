"""Shards, dead holders and the lease heartbeat (okrkit.sharing), and a refresh's use of them."""

from __future__ import annotations

import datetime as dt
import logging
import subprocess
import sys
import time
from pathlib import Path

import pytest

import okrkit
from okrkit.errors import StoreLockedError
from okrkit.sharing import Heartbeat, Shard, ShardError, claim, host_id, process_alive
from okrkit.testing import FakeConnector

PLAN_TEXT = """\
id: team
title: The team
cycle: 2026-Q3
objectives:
  - id: grow
    title: Grow the community
    key_results:
"""


def plan(count: int = 12):
    lines = [
        f"      - {{id: kr{n}, title: Sign-ups over {n + 10}, source: {{connector: fake}}}}"
        for n in range(count)
    ]
    return okrkit.loads(PLAN_TEXT + "\n".join(lines) + "\n", path="team.yaml")


def fake(count: int = 12) -> FakeConnector:
    return FakeConnector("fake", {f"kr{n}": float(n) for n in range(count)})


@pytest.mark.parametrize(
    ("text", "shard"), [("1/1", Shard(1, 1)), ("2/4", Shard(2, 4)), (" 4 / 4 ", Shard(4, 4))]
)
def test_a_shard_is_read_from_k_slash_n(text, shard):
    assert Shard.parse(text) == shard
    assert str(shard) == f"{shard.index}/{shard.count}"


@pytest.mark.parametrize(
    ("text", "message"),
    [
        ("0/4", "shard 0/4 does not exist: give K/N with 1 <= K <= N"),
        ("5/4", "shard 5/4 does not exist"),
        ("2", "'2' is not a shard: write K/N"),
        ("a/b", "'a/b' is not a shard"),
        ("-1/4", "'-1/4' is not a shard"),
    ],
)
def test_a_bad_shard_says_what_to_write(text, message):
    with pytest.raises(ShardError, match=message):
        Shard.parse(text)


def test_the_shards_of_n_cover_every_key_result_exactly_once():
    ids = [f"kr-{n}" for n in range(1000)] + ["signups", "mentions", "views"]
    for count in (1, 2, 3, 4, 7):
        shards = [Shard(k, count) for k in range(1, count + 1)]
        for key in ids:
            assert sum(key in shard for shard in shards) == 1
    assert 12 not in Shard(1, 1)  # only ids are in shards


def test_process_alive_tells_a_running_process_from_a_gone_one():
    child = subprocess.Popen([sys.executable, "-c", "pass"])
    child.wait()
    assert process_alive(child.pid) is False  # reaped: its id is free (until reused)
    assert process_alive(0) is False
    import os

    assert process_alive(os.getpid()) is True


def test_a_reused_process_id_does_not_keep_a_lease_alive():
    import os

    now = dt.datetime.now(dt.UTC)
    assert process_alive(os.getpid(), since=now) is True  # started before the lease was taken
    # a lease taken before this process started: its holder had the same id, and is gone
    assert process_alive(os.getpid(), since=now - dt.timedelta(days=3650)) is False


@pytest.mark.skipif(not Path("/proc/self/ns/pid").exists(), reason="Linux only")
def test_the_host_of_a_lease_names_the_process_namespace():
    import socket

    name, namespace = host_id().split(" pidns:")
    assert name == socket.gethostname()
    assert int(namespace) == Path("/proc/self/ns/pid").stat().st_ino


def test_a_refresh_takes_over_the_leases_of_a_dead_process_on_this_host(store, caplog):
    the_plan = plan()
    gone = subprocess.Popen([sys.executable, "-c", "pass"])
    gone.wait()
    ids = [kr.id for kr in the_plan.key_results()]
    store.claim("team", ids, holder="crashed run", token="dead", host=host_id(), pid=gone.pid)
    with caplog.at_level(logging.WARNING, logger="okrkit.refresh"):
        result = okrkit.refresh(the_plan, store, registry=fake().registry())
    assert result.measured == 12
    assert "taking over the leases of a refresh that is gone: crashed run" in caplog.text
    assert store.leases("team") == []


def test_leases_of_a_live_process_or_another_host_are_not_taken_over(store):
    the_plan = plan()
    import os

    ids = [kr.id for kr in the_plan.key_results()]
    store.claim("team", ids[:6], holder="alive", token="a", host=host_id(), pid=os.getpid())
    store.claim("team", ids[6:], holder="elsewhere", token="b", host="another-box", pid=1)
    with pytest.raises(StoreLockedError) as refused:
        okrkit.refresh(the_plan, store, registry=fake().registry())
    assert "another refresh holds the key results of plan 'team'" in str(refused.value)
    assert "alive; elsewhere" in str(refused.value)
    assert refused.value.holder == "alive"


def test_claim_helper_reports_held_fresh_and_claimed_together(store):
    gone = subprocess.Popen([sys.executable, "-c", "pass"])
    gone.wait()
    host = host_id()
    store.claim("team", ["a", "b"], holder="dead", token="d", host=host, pid=gone.pid)
    store.claim("team", ["c"], holder="far", token="f", host="another-box", pid=gone.pid)
    got = claim(
        store,
        "team",
        ["a", "b", "c", "d"],
        holder="me",
        token="me",
        ttl=dt.timedelta(minutes=1),
        fresh_after=None,
        host=host,
        pid=12345,
    )
    assert got.claimed == ("a", "b", "d")
    assert list(got.held) == ["c"]


def test_the_heartbeat_renews_leases_while_the_block_runs(store):
    store.claim("team", ["a", "b"], holder="me", token="t", ttl=dt.timedelta(milliseconds=300))
    first = max(lease.expires_at for lease in store.leases("team"))
    with Heartbeat(store, "team", "t", dt.timedelta(milliseconds=300), 2) as beat:
        time.sleep(0.5)
    assert beat.renewals >= 2
    assert max(lease.expires_at for lease in store.leases("team")) > first
    # nothing beats after the block
    renewals = beat.renewals
    time.sleep(0.25)
    assert beat.renewals == renewals


def test_the_heartbeat_says_when_the_run_lost_leases(store, caplog):
    store.claim("team", ["a", "b"], holder="me", token="t", ttl=dt.timedelta(minutes=1))
    store.release("team", "t")  # as if they had lapsed and another run took them
    with (
        caplog.at_level(logging.WARNING, logger="okrkit.refresh"),
        Heartbeat(store, "team", "t", dt.timedelta(milliseconds=150), 2),
    ):
        time.sleep(0.25)
    assert "this run lost 2 of its 2 leases on plan 'team'" in caplog.text


def test_shard_and_fresh_for_through_refresh(store):
    the_plan = plan()
    first = okrkit.refresh(the_plan, store, registry=fake().registry(), shard="1/3")
    measured = {o.key_result for o in first.outcomes if o.status == "measured"}
    assert measured == {kr.id for kr in the_plan.key_results() if kr.id in Shard(1, 3)}
    assert all(o.status == "measured" for o in first.outcomes)  # others are not listed at all
    again = okrkit.refresh(
        the_plan, store, registry=fake().registry(), fresh_for=dt.timedelta(hours=1)
    )
    assert {o.key_result for o in again.outcomes if o.status == "fresh"} == measured
    assert again.fresh == len(measured)
    assert again.measured == 12 - len(measured)
    assert again.exit_code(strict=True) == 0
    assert again.to_dict()["fresh"] == len(measured)
    # the shard's values were stored once: fresh ones were not fetched again
    assert len(store.history("team", min(measured))) == 1


def test_a_plan_key_that_stands_for_another_plan_is_refused(store):
    okrkit.refresh(plan(), store, registry=fake().registry())
    other = okrkit.loads(
        PLAN_TEXT.replace("id: team\n", "").replace("The team", "Another team")
        + "      - {id: kr0, title: Sign-ups over 10, source: {connector: fake}}\n",
        path="elsewhere/team.yaml",
    )
    with pytest.raises(okrkit.StoreError, match="already holds plan 'team', titled 'The team'"):
        okrkit.refresh(other, store, registry=fake().registry())
    assert len(store.history("team", "kr0")) == 1  # nothing of the other plan was written
    # with a key of its own it goes in beside the first
    result = okrkit.refresh(other, store, registry=fake().registry(), key="another-team")
    assert result.measured == 1
    assert sorted(store.plans()) == ["another-team", "team"]
