"""Reviews: every rule with exact values, the shell over a store, and the seed example."""

import datetime as dt
import shutil
from pathlib import Path

import attrs
import pytest

import okrkit
from okrkit import (
    CheckIn,
    Cycle,
    KeyResult,
    Measurement,
    Objective,
    OkrkitError,
    Plan,
    Project,
    Target,
    Task,
)
from okrkit.review import (
    ActivityWithoutImpact,
    MissedCheckIn,
    Movement,
    Review,
    ReviewError,
    Risk,
    Staleness,
    grace_period,
    review,
    run_review,
)
from okrkit.scoring import Status
from okrkit.store import Baseline, Record, RunRecord, open_store

UTC = dt.UTC
ROOT = Path(__file__).parent.parent
Q3 = Cycle.parse("2026-Q3")
START = Q3.starts_at  # 2026-07-01T00:00Z
DAY = dt.timedelta(days=1)


def day(number: float, hours: float = 0) -> dt.datetime:
    """The moment `number` days into the cycle (day 0 is 1 July, midnight UTC)."""
    return START + dt.timedelta(days=number, hours=hours)


def key_result(id_, goal=1000.0, *, source=True, **fields) -> KeyResult:
    fields.setdefault("target", Target(goal, "at_least"))
    return KeyResult(
        id_, f"{id_} over {goal:g}", source={"connector": "sql"} if source else None, **fields
    )


def plan_of(*key_results: KeyResult, tasks=(), kind="aspirational", cycle=Q3) -> Plan:
    projects = (Project("work", "The work", objective="growth", tasks=tasks),) if tasks else ()
    return Plan(
        objectives=[Objective("growth", "Grow a loyal user base", key_results, kind=kind)],
        projects=projects,
        cycle=cycle,
        id="team",
    )


def m(key_result_id: str, value: float, moment: dt.datetime) -> Measurement:
    return Measurement(key_result_id, value, moment, "sql")


# -- What moved --------------------------------------------------------------------------------


def test_moved_compares_the_value_then_and_now_with_progress_and_change():
    plan = plan_of(key_result("signups"), key_result("views"), key_result("empty"))
    measured = [
        m("signups", 100, day(1)),
        m("signups", 300, day(10)),
        m("signups", 450, day(20)),  # after the review: ignored
        m("views", 200, day(2)),
        m("views", 200, day(9)),  # measured again, same value: not moved
    ]
    result = review(plan, measured, [], day(14), since=day(5))
    assert result.since == day(5)
    assert result.at == day(14)
    assert result.moved == (Movement("signups", 100.0, 300.0, 0.1, 0.3, 200.0),)
    assert result.moved[0].progress_change == pytest.approx(0.2)


def test_a_key_result_with_no_value_before_moved_with_no_change():
    plan = plan_of(key_result("signups"))
    result = review(plan, [m("signups", 250, day(3))], [], day(14))  # since the cycle start
    assert result.since == START
    assert result.moved == (Movement("signups", None, 250.0, None, 0.25, None),)
    assert result.moved[0].progress_change == 0.25


def test_since_comes_from_since_then_the_previous_review_then_the_cycle_start():
    plan = plan_of(key_result("signups"))
    measured = [m("signups", 100, day(1)), m("signups", 300, day(10))]
    earlier = review(plan, measured, [], day(7))
    assert earlier.since == START
    assert review(plan, measured, [], day(14), previous=earlier).since == day(7)
    as_data = earlier.to_dict()
    assert review(plan, measured, [], day(14), previous=as_data).since == day(7)
    # an explicit since wins over the previous review
    assert review(plan, measured, [], day(14), since=day(2), previous=earlier).since == day(2)
    # a review of the cycle before counts from this cycle's start
    old = {"at": "2026-06-20T00:00:00+00:00"}
    assert review(plan, measured, [], day(14), previous=old).since == START
    # a naive since is taken as UTC, another zone is converted
    naive = dt.datetime(2026, 7, 3)  # noqa: DTZ001
    assert review(plan, measured, [], day(14), since=naive).since == day(2)
    # before the cycle starts, nothing can have moved since its start: since is the moment
    before = review(plan, measured, [], START - DAY)
    assert before.since == START - DAY
    assert before.moved == ()
    # no cycle and nothing to compare with: since is unknown, every value now has moved
    loose = review(attrs.evolve(plan, cycle=None), measured, [], day(14))
    assert loose.since is None
    assert loose.moved == (Movement("signups", None, 300.0, None, 0.3, None),)


def test_a_since_after_the_moment_is_refused():
    plan = plan_of(key_result("signups"))
    with pytest.raises(ReviewError) as caught:
        review(plan, [], [], day(14), since=day(15))
    assert str(caught.value) == (
        "since (2026-07-16T00:00:00+00:00) is after the review's moment "
        "(2026-07-15T00:00:00+00:00): a review compares with an earlier moment"
    )
    assert isinstance(caught.value, OkrkitError)
    assert isinstance(caught.value, ValueError)
    with pytest.raises(ReviewError, match=r"the previous review \(2026-07-16"):
        review(plan, [], [], day(14), previous={"at": day(15).isoformat()})
    with pytest.raises(ReviewError, match="'at' time with a time zone"):
        review(plan, [], [], day(14), previous={"at": "2026-07-10T00:00:00"})
    with pytest.raises(ReviewError, match="'at' time with a time zone"):
        review(plan, [], [], day(14), previous={"moved": []})
    with pytest.raises(ReviewError, match="check_in_days must be a whole number"):
        review(plan, [], [], day(14), check_in_days=0)


# -- At risk -----------------------------------------------------------------------------------


def test_at_risk_lists_key_results_at_risk_or_off_track_in_plan_order():
    plan = plan_of(
        key_result("ahead"), key_result("behind"), key_result("far-behind"), key_result("none")
    )
    # at day 46 of 92, 0.5 of the cycle is gone: 0.35 expected of an aspirational objective
    measured = [m("ahead", 400, day(1)), m("behind", 150, day(1)), m("far-behind", 20, day(1))]
    result = review(plan, measured, [], day(46))
    assert result.at_risk == (
        Risk("behind", Status.AT_RISK, 0.15, 0.35),
        Risk("far-behind", Status.OFF_TRACK, 0.02, 0.35),
    )
    assert [r.to_dict() for r in result.at_risk] == [
        {"key_result": "behind", "status": "at_risk"},
        {"key_result": "far-behind", "status": "off_track"},
    ]


# -- Stale -------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("gaps_in_hours", "grace"),
    [
        ([24, 24, 24], 2 * DAY),  # daily: twice the median interval
        ([24, 24, 72], 2 * DAY),  # the median, not the mean
        ([6, 6, 6], DAY),  # every 6 hours: at least a day
        ([240, 240], 14 * DAY),  # every 10 days: at most 14
        ([36, 36], 3 * DAY),
    ],
)
def test_the_grace_is_twice_the_median_interval_within_one_and_fourteen_days(gaps_in_hours, grace):
    moments = [START]
    for gap in gaps_in_hours:
        moments.append(moments[-1] + dt.timedelta(hours=gap))
    assert grace_period(key_result("signups"), moments) == grace
    assert grace_period(key_result("signups", source=False), moments) == grace


def test_with_fewer_than_two_values_the_grace_depends_on_the_source():
    assert grace_period(key_result("signups"), []) == 2 * DAY
    assert grace_period(key_result("signups"), [START, START]) == 2 * DAY  # one moment
    assert grace_period(key_result("nps", source=False), [START]) == 14 * DAY


def test_stale_key_results_have_no_new_value_within_their_grace():
    plan = plan_of(
        key_result("daily"),
        key_result("fresh"),
        key_result("nothing"),
        key_result("by-hand", source=False, current=10),
        key_result("checked", source=False),
    )
    measured = [
        *(m("daily", 10 * n, day(n)) for n in range(5)),  # daily until day 4: grace 2 days
        m("fresh", 1, day(9)),  # one value: 2 days for a source
    ]
    check_ins = [CheckIn("checked", day(1), value=3), CheckIn("checked", day(8), confidence=0.9)]
    result = review(plan, measured, check_ins, day(10))
    assert result.stale == (
        Staleness("daily", day(4), 2 * DAY),
        Staleness("nothing", None, 2 * DAY),
        Staleness("by-hand", None, 14 * DAY),  # a value typed into the file has no date
    )
    # `checked`: its check-in with a value (day 1) is 9 days old, within 14 days;
    # a check-in with only a confidence is no value
    assert [s.to_dict() for s in result.stale][:1] == [
        {"key_result": "daily", "last_observed": "2026-07-05T00:00:00+00:00", "grace_days": 2.0}
    ]
    exactly = review(plan, measured, check_ins, day(6))  # day 4 + 2 days: not yet stale
    assert [s.key_result for s in exactly.stale] == ["fresh", "nothing", "by-hand"]
    assert exactly.stale[0] == Staleness("fresh", None, 2 * DAY)  # its value comes on day 9
    later = review(plan, measured, check_ins, day(16))
    assert [s.key_result for s in later.stale] == [
        "daily",
        "fresh",
        "nothing",
        "by-hand",
        "checked",
    ]


def test_after_the_cycle_values_observed_at_its_end_are_not_stale():
    plan = plan_of(key_result("signups"))
    measured = [m("signups", 10, Q3.ends_at - DAY), m("signups", 20, Q3.ends_at)]
    assert review(plan, measured, [], Q3.ends_at + 30 * DAY).stale == ()
    short = [m("signups", 10, Q3.ends_at - 5 * DAY)]
    assert review(plan, short, [], Q3.ends_at + 30 * DAY).stale == (
        Staleness("signups", Q3.ends_at - 5 * DAY, 2 * DAY),
    )


# -- Missed check-ins --------------------------------------------------------------------------


def test_missed_check_ins_are_key_results_without_one_in_the_last_seven_days():
    plan = plan_of(key_result("recent"), key_result("old"), key_result("never"))
    check_ins = [
        CheckIn("recent", day(13), confidence=0.7),  # exactly 7 days before: in time
        CheckIn("old", day(2), value=5),
        CheckIn("old", day(12, hours=23), confidence=0.5),  # 7 days and an hour before
    ]
    result = review(plan, [], check_ins, day(20))
    assert result.missed_check_ins == (
        MissedCheckIn("old", day(12, hours=23)),
        MissedCheckIn("never", None),
    )
    assert [c.to_dict() for c in result.missed_check_ins] == [
        {"key_result": "old", "last_check_in": "2026-07-13T23:00:00+00:00"},
        {"key_result": "never", "last_check_in": None},
    ]
    shorter = review(plan, [], check_ins, day(20), check_in_days=3)
    assert [c.key_result for c in shorter.missed_check_ins] == ["recent", "old", "never"]
    assert shorter.check_in_days == 3


def test_check_ins_are_missed_only_while_the_cycle_runs():
    plan = plan_of(key_result("never"))
    assert review(plan, [], [], day(6)).missed_check_ins == ()  # not a whole week in yet
    assert review(plan, [], [], day(7)).missed_check_ins == (MissedCheckIn("never", None),)
    assert review(plan, [], [], Q3.ends_at).missed_check_ins == ()  # over
    loose = attrs.evolve(plan, cycle=None)  # no cycle: checked at any moment
    assert review(loose, [], [], day(2)).missed_check_ins == (MissedCheckIn("never", None),)


# -- Activity without impact -------------------------------------------------------------------


def tasks_for(key_result_id, *statuses):
    return [
        Task(f"{key_result_id} task {n}", status=status, key_results=[key_result_id])
        for n, status in enumerate(statuses)
    ]


def test_activity_without_impact_is_most_tasks_done_while_progress_is_flat():
    tasks = [
        *tasks_for("flat", "done", "done", "todo"),  # 2 of 3 done, value flat
        *tasks_for("moving", "done", "done", "done"),  # all done, and the value moved
        *tasks_for("half", "done", "todo"),  # 1 of 2: not most
        *tasks_for("single", "done"),  # 1 task: too few to judge
        *tasks_for("dropped", "done", "done", "done", "todo", "dropped"),  # 3 of 4 count
        *tasks_for("blank", "done", "doing", "done"),  # no value at all
        *tasks_for("crawl", "done", "done"),  # moved less than 0.05
        *tasks_for("edge", "done", "done"),  # moved exactly 0.05
        *tasks_for("met", "done", "done"),  # achieved: nothing left to move
    ]
    plan = plan_of(
        *(
            key_result(name)
            for name in ("flat", "moving", "half", "single", "dropped", "blank", "crawl", "edge")
        ),
        key_result("met", goal=100),
        tasks=tasks,
    )
    measured = [
        m("flat", 300, START),
        m("flat", 300, day(20)),
        m("moving", 100, START),
        m("moving", 400, day(20)),
        m("half", 0, day(20)),
        m("single", 0, day(20)),
        m("dropped", 120, START),
        m("dropped", 150, day(20)),
        m("crawl", 100, START),
        m("crawl", 140, day(20)),
        m("edge", 100, START),
        m("edge", 150, day(20)),
        m("met", 100, START),
    ]
    result = review(plan, measured, [], day(30), since=day(25))
    assert result.activity_without_impact == (
        ActivityWithoutImpact("flat", 2, 3, 0.0, 0.0),
        ActivityWithoutImpact("dropped", 3, 4, 30.0, pytest.approx(0.03)),
        ActivityWithoutImpact("blank", 2, 3, None, None),
        ActivityWithoutImpact("crawl", 2, 2, 40.0, pytest.approx(0.04)),
    )
    assert result.activity_without_impact[0].to_dict() == {
        "key_result": "flat",
        "tasks_done": 2,
        "tasks_total": 3,
        "value_change": 0.0,
    }


def test_activity_without_impact_counts_from_progress_zero_when_the_start_had_no_value():
    tasks = tasks_for("late", "done", "done")
    plan = plan_of(
        key_result("late"), key_result("later"), tasks=tasks + tasks_for("later", "done", "done")
    )
    measured = [m("late", 30, day(10)), m("later", 80, day(10))]
    result = review(plan, measured, [], day(20))
    assert result.activity_without_impact == (ActivityWithoutImpact("late", 2, 2, None, 0.03),)


# -- The report data ---------------------------------------------------------------------------


def test_to_dict_is_exactly_the_review_object_of_the_report_data():
    plan = plan_of(
        key_result("signups"), key_result("views"), tasks=tasks_for("views", "done", "done")
    )
    measured = [m("signups", 100, day(1)), m("signups", 300, day(10))]
    check_ins = [CheckIn("signups", day(12), confidence=0.8)]
    result = review(plan, measured, check_ins, day(14), since=day(5))
    assert result.to_dict() == {
        "since": "2026-07-06T00:00:00+00:00",
        "at": "2026-07-15T00:00:00+00:00",
        "moved": [
            {
                "key_result": "signups",
                "before": 100.0,
                "now": 300.0,
                "progress_before": 0.1,
                "progress_now": 0.3,
                "change": 200.0,
            }
        ],
        "at_risk": [],
        # signups: values 9 days apart, a grace of 14 days; views: never measured
        "stale": [{"key_result": "views", "last_observed": None, "grace_days": 2.0}],
        "missed_check_ins": [{"key_result": "views", "last_check_in": None}],
        "activity_without_impact": [
            {"key_result": "views", "tasks_done": 2, "tasks_total": 2, "value_change": None}
        ],
    }
    assert result.scorecard.key_result("signups").value == 300.0
    # times in another zone come out in UTC
    paris = dt.timezone(dt.timedelta(hours=2))
    assert review(plan, measured, [], day(14).astimezone(paris)).to_dict()["at"] == (
        "2026-07-15T00:00:00+00:00"
    )


# -- The shell: run_review over a store --------------------------------------------------------


def test_run_review_reads_the_store_records_the_review_and_the_next_compares_with_it(tmp_path):
    plan = plan_of(
        key_result("signups"),
        KeyResult(
            "mentions",
            "Mentions up by 40%",
            target=Target(0.4, "increase", relative=True),
            source={"connector": "csv"},
        ),
    )
    with open_store(tmp_path / "team.okrkit.db") as store:
        run = RunRecord("r1", "team", day(7), day(7), "ok", 2, 0, 0)
        store.record_run(
            run,
            [
                Record("team", "signups", 200, day(7), "sql"),
                Record("team", "mentions", 120, day(7), "csv"),
            ],
            [Baseline("team", "mentions", 100, day(7), None, START, "csv")],
        )
        first = run_review(plan, store, at=day(7, hours=1))
        assert first.since == START
        assert [(mv.key_result, mv.now, mv.progress_now) for mv in first.moved] == [
            ("signups", 200.0, 0.2),
            ("mentions", 120.0, 0.5),  # from the stored baseline, 100: goal 140
        ]
        assert store.last_review("team") == (day(7, hours=1), first.to_dict())

        store.backfill([Record("team", "signups", 350, day(14), "backfill")])
        store.add_check_in("team", CheckIn("mentions", day(13), value=125, confidence=0.6))
        second = run_review(plan, store, at=day(14, hours=1))
        assert second.since == day(7, hours=1)  # the last review
        assert second.moved == (Movement("signups", 200.0, 350.0, 0.2, 0.35, 150.0),)
        assert [c.key_result for c in second.missed_check_ins] == ["signups"]

        # a look back at an earlier moment compares with the review before it, and is kept
        between = run_review(plan, store, at=day(10))
        assert between.since == day(7, hours=1)
        assert store.last_review("team") == (day(14, hours=1), second.to_dict())
        assert store.last_review("team", before=day(14, hours=1))[0] == day(10)

        # with record=False nothing is written; an explicit since wins over the last review
        peek = run_review(plan, store, at=day(20), since=START, record=False)
        assert peek.since == START
        assert [mv.key_result for mv in peek.moved] == ["signups", "mentions"]
        assert store.last_review("team")[0] == day(14, hours=1)


def test_run_review_finds_the_plan_key_from_the_file_name_or_takes_one(tmp_path):
    plan = attrs.evolve(plan_of(key_result("signups")), id=None)
    with open_store(":memory:") as store:
        store.backfill([Record("okrs", "signups", 10, day(1), "sql")])
        assert run_review(plan, store, at=day(2), path="somewhere/okrs.yaml").moved[0].now == 10.0
        assert store.last_review("okrs")[0] == day(2)
        assert run_review(plan, store, at=day(2), key="other").moved == ()
        assert store.plans() == ["okrs", "other"]


# -- The seed example --------------------------------------------------------------------------

REFRESHES = [
    dt.datetime(2026, month, d, tzinfo=UTC)
    for month, d in ((7, 15), (8, 1), (8, 15), (9, 1), (9, 15))
]
REVIEWED = dt.datetime(2026, 9, 15, 12, tzinfo=UTC)


def refreshed_example(folder: Path, edit=None) -> tuple[Plan, okrkit.Store]:
    shutil.copytree(
        ROOT / "examples" / "product-launch", folder, ignore=shutil.ignore_patterns("*.okrkit.db*")
    )
    path = folder / "okrs.yaml"
    if edit is not None:
        path.write_text(edit(path.read_text()))
    plan = okrkit.load(path)
    store = open_store(folder / "okrs.okrkit.db")
    for moment in REFRESHES:
        result = okrkit.refresh(plan, store, at=moment, environ={})
        assert (result.measured, result.skipped) == (2, 1)  # YouTube has no key: skipped
    return plan, store


def test_the_seed_example_reviewed_names_what_moved_what_is_at_risk_and_what_is_stale(tmp_path):
    plan, store = refreshed_example(tmp_path / "launch")
    with store:
        latest = store.latest("okrs")
        first = run_review(plan, store, at=dt.datetime(2026, 9, 1, 12, tzinfo=UTC))
        result = run_review(plan, store, at=REVIEWED)
        then = store.latest("okrs", until=dt.datetime(2026, 9, 1, 12, tzinfo=UTC))
    assert first.since == Q3.starts_at
    assert result.since == dt.datetime(2026, 9, 1, 12, tzinfo=UTC)
    assert [(mv.key_result, mv.before, mv.now) for mv in result.moved] == [
        ("mentions", then["mentions"].value, latest["mentions"].value),
        ("signups", then["signups"].value, latest["signups"].value),
    ]
    assert all(mv.change > 0 and mv.progress_now > mv.progress_before for mv in result.moved)
    # YouTube stays at the 38,000 typed into the file: behind the pace two-thirds in
    assert [(r.key_result, r.status) for r in result.at_risk] == [("youtube-views", Status.AT_RISK)]
    assert result.at_risk[0].progress == 0.38
    # refreshed about every 15 days: a grace of 14 days (the cap); YouTube never measured
    assert result.stale == (Staleness("youtube-views", None, 2 * DAY),)
    assert [c.key_result for c in result.missed_check_ins] == [
        "mentions",
        "youtube-views",
        "signups",
    ]
    assert result.activity_without_impact == ()


def test_the_seed_example_with_its_video_tasks_done_shows_activity_without_impact(tmp_path):
    def finish_videos(text: str) -> str:
        for title in ("Creative team develops videos for new product", "YouTube videos launched"):
            text = text.replace(f"{{title: {title},", f"{{title: {title}, done: true,")
        return text

    plan, store = refreshed_example(tmp_path / "launch", finish_videos)
    assert [t.done for t in plan.tasks_for("youtube-views")] == [True, True]
    with store:
        result = run_review(plan, store, at=REVIEWED)
    assert result.activity_without_impact == (
        ActivityWithoutImpact("youtube-views", 2, 2, 0.0, 0.0),
    )
    assert [r.key_result for r in result.at_risk] == ["youtube-views"]
    assert isinstance(result, Review)
