"""Leases on key results and plan keys: what lets many refreshes share one store safely.

Every test runs on each store backend (the `store` fixture). The multi-process test claims
from several processes at once and checks that no key result is leased twice.
"""

from __future__ import annotations

import datetime as dt
import json
import subprocess
import sys
import time

import pytest

from okrkit.errors import StoreError
from okrkit.store import Claim, Lease, Record, RunRecord

PLAN = "launch"


KRS = ["mentions", "signups", "views"]


def now() -> dt.datetime:
    return dt.datetime.now(dt.UTC)


def claim(store, token, key_results=KRS, **options) -> Claim:
    options.setdefault("holder", f"worker {token}")
    return store.claim(PLAN, key_results, token=token, **options)


def run(run_id: str, key_results, fetched_at: dt.datetime) -> tuple[RunRecord, list[Record]]:
    records = [
        Record(PLAN, key, 1.0, fetched_at, "static", fetched_at=fetched_at, run_id=run_id)
        for key in key_results
    ]
    started = fetched_at - dt.timedelta(seconds=1)
    return RunRecord(run_id, PLAN, started, fetched_at, "ok", len(records), 0, 0), records


def test_a_claim_leases_what_no_one_holds(store):
    before = now()
    got = claim(store, "a", host="box-1", pid=41, ttl=dt.timedelta(minutes=5))
    assert got == Claim("a", tuple(KRS), {}, {})
    leases = store.leases(PLAN)
    assert [lease.key_result for lease in leases] == KRS
    lease = leases[0]
    assert (lease.holder, lease.token, lease.host, lease.pid) == ("worker a", "a", "box-1", 41)
    assert before <= lease.acquired_at <= now()
    assert lease.expires_at - lease.acquired_at == dt.timedelta(minutes=5)
    assert store.leases("other-team") == []


def test_a_live_lease_is_held_against_other_tokens(store):
    claim(store, "a", ["mentions", "signups"])
    got = claim(store, "b", ["signups", "views", "mentions"])
    assert got.claimed == ("views",)
    assert sorted(got.held) == ["mentions", "signups"]
    assert isinstance(got.held["signups"], Lease)
    assert got.held["signups"].holder == "worker a"
    assert {lease.key_result: lease.token for lease in store.leases(PLAN)} == {
        "mentions": "a",
        "signups": "a",
        "views": "b",
    }
    # other plans are not affected
    assert store.claim("other-team", ["signups"], holder="c", token="c").claimed == ("signups",)


def test_claiming_again_with_the_same_token_renews(store):
    claim(store, "a", ttl=dt.timedelta(seconds=30))
    first = store.leases(PLAN)[0].expires_at
    time.sleep(0.01)
    assert claim(store, "a", ttl=dt.timedelta(minutes=10)).claimed == tuple(KRS)
    assert store.leases(PLAN)[0].expires_at > first + dt.timedelta(minutes=9)


def test_an_expired_lease_is_taken_over(store):
    claim(store, "crashed", ttl=dt.timedelta(milliseconds=50))
    time.sleep(0.1)
    got = claim(store, "b")
    assert got.claimed == tuple(KRS)
    assert {lease.token for lease in store.leases(PLAN)} == {"b"}


def test_a_dead_holders_lease_is_taken_over_before_it_expires(store):
    claim(store, "dead", ttl=dt.timedelta(hours=1), host="box-1", pid=999_999)
    assert claim(store, "b").claimed == ()
    got = claim(store, "b", dead=["dead"])
    assert got.claimed == tuple(KRS)
    assert got.held == {}


def test_fresh_values_are_not_claimed(store):
    fetched = now() - dt.timedelta(minutes=10)
    store.record_run(*run("r1", ["mentions", "signups"], fetched))
    got = claim(store, "a", fresh_after=fetched - dt.timedelta(minutes=5))
    assert got.claimed == ("views",)
    assert got.fresh == {"mentions": fetched, "signups": fetched}
    # fetched before the threshold: stale, claimed again
    later = claim(store, "b", fresh_after=fetched + dt.timedelta(seconds=1))
    assert later.claimed == ("mentions", "signups")
    assert later.held.keys() == {"views"}
    assert later.fresh == {}


def test_renew_and_release_count_the_tokens_leases(store):
    claim(store, "a", ttl=dt.timedelta(seconds=1))
    claim(store, "b", ["other"])
    assert store.renew(PLAN, "a", ttl=dt.timedelta(hours=2)) == 3
    assert all(
        lease.expires_at > now() + dt.timedelta(minutes=119)
        for lease in store.leases(PLAN)
        if lease.token == "a"
    )
    assert store.renew(PLAN, "nobody") == 0
    assert store.release(PLAN, "a") == 3
    assert store.release(PLAN, "a") == 0
    assert [lease.key_result for lease in store.leases(PLAN)] == ["other"]
    assert claim(store, "c").claimed == tuple(KRS)


def test_recording_a_run_releases_its_leases_in_the_same_transaction(store):
    claim(store, "r1")
    store.record_run(*run("r1", KRS, now()), release="r1")
    assert store.leases(PLAN) == []
    # a run that cannot be recorded keeps its leases: nothing of it was written
    claim(store, "r2")
    with pytest.raises(StoreError, match="already holds run 'r1'"):
        store.record_run(*run("r1", KRS, now()), release="r2")
    assert {lease.token for lease in store.leases(PLAN)} == {"r2"}


@pytest.mark.parametrize(
    ("arguments", "message"),
    [
        ({"key_results": ["no spaces"]}, "is not a key result id"),
        ({"key_results": "mentions"}, "must be a list of key result ids"),
        ({"ttl": dt.timedelta(0)}, "ttl must be a positive timedelta"),
        ({"fresh_after": dt.datetime(2026, 1, 1)}, "has no time zone"),  # noqa: DTZ001
        ({"holder": " "}, "holder must be non-empty text"),
        ({"pid": -1}, "pid must be a whole number"),
        ({"dead": "a"}, "dead must be a list of lease tokens"),
    ],
)
def test_a_bad_claim_is_refused_and_leases_nothing(store, arguments, message):
    arguments = {"key_results": KRS, **arguments}
    with pytest.raises(StoreError, match=message):
        claim(store, "a", **arguments)
    assert store.leases(PLAN) == []


# Each claimer opens the store, waits for the go file, claims, prints what it got as JSON.
_CLAIMER = """
import json, pathlib, sys, time
from okrkit.store import open_store
url, token, go, ids = sys.argv[1], sys.argv[2], pathlib.Path(sys.argv[3]), sys.argv[4:]
with open_store(url) as store:
    while not go.exists():
        time.sleep(0.001)
    print(json.dumps(store.claim("launch", ids, holder=token, token=token).claimed))
"""


def test_processes_claiming_at_once_never_share_a_key_result(store, store_url, tmp_path):
    ids = [f"kr-{number:04d}" for number in range(400)]
    go = tmp_path / "go"
    # every worker asks for every key result, each starting at another place
    workers = {
        f"w{index}": subprocess.Popen(  # our own interpreter and script
            [
                sys.executable,
                "-c",
                _CLAIMER,
                store.url,
                f"w{index}",
                str(go),
                *ids[index * 100 :],
                *ids[: index * 100],
            ],
            stdout=subprocess.PIPE,
            stderr=subprocess.PIPE,
            text=True,
        )
        for index in range(4)
    }
    time.sleep(0.5)  # let them open the store; the go file starts them together
    go.touch()
    claimed = {}
    for token, worker in workers.items():
        out, err = worker.communicate(timeout=120)
        assert worker.returncode == 0, err
        claimed[token] = json.loads(out)
    everything = [key for keys in claimed.values() for key in keys]
    assert len(everything) == len(set(everything)) == len(ids)
    leases = {lease.key_result: lease.token for lease in store.leases(PLAN)}
    assert leases == {key: token for token, keys in claimed.items() for key in keys}


# -- Plan keys ------------------------------------------------------------------------------------


def test_a_plan_key_stands_for_one_plan(store):
    first = store.register_plan("okrs", title="Growth team Q3", explicit=False)
    assert (first.plan, first.title, first.explicit) == ("okrs", "Growth team Q3", False)
    again = store.register_plan("okrs", title="Growth team Q3", explicit=False)
    assert again.first_seen == first.first_seen
    assert again.last_seen >= first.last_seen
    assert store.plans() == ["okrs"]
    with pytest.raises(StoreError) as caught:
        store.register_plan("okrs", title="Acme widget launch", explicit=False)
    assert "already holds plan 'okrs', titled 'Growth team Q3'" in str(caught.value)
    assert "`id: acme-widget-launch`" in str(caught.value)
    # a plan that names itself may not take a key another file's name gave
    with pytest.raises(StoreError, match="has the same key: give this plan an id"):
        store.register_plan("okrs", title="Acme widget launch", explicit=True)
    assert store.plan_info("okrs").title == "Growth team Q3"
    assert store.plan_info("nothing") is None


def test_a_plan_that_names_itself_may_be_renamed(store):
    store.register_plan("acme-launch", title="Acme widget launch", explicit=True)
    renamed = store.register_plan("acme-launch", title="Acme widget launch, v2", explicit=True)
    assert (renamed.title, renamed.explicit) == ("Acme widget launch, v2", True)
    assert store.plan_info("acme-launch") == renamed
