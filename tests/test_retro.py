"""Retrospectives and carry-over: calibration over cycles in a store, and the next cycle's plan."""

import datetime as dt
import shutil
from pathlib import Path

import attrs
import pytest

import okrkit
from okrkit import (
    Cycle,
    KeyResult,
    Kind,
    Measurement,
    Objective,
    OkrkitError,
    Plan,
    Project,
    Target,
    Task,
)
from okrkit.retro import (
    Calibration,
    CalibrationFinding,
    MissedCommitment,
    Verdict,
    carry_over,
    retrospective,
    run_carry_over,
    run_retrospective,
)
from okrkit.review import ReviewError
from okrkit.store import CycleResult, Record, open_store

UTC = dt.UTC
ROOT = Path(__file__).parent.parent
Q1, Q2, Q3, Q4 = (Cycle.parse(f"2026-Q{n}") for n in (1, 2, 3, 4))
RECORDED = dt.datetime(2026, 10, 2, tzinfo=UTC)


def kr(id_, goal=100.0, **fields) -> KeyResult:
    fields.setdefault("target", Target(goal, "at_least"))
    return KeyResult(id_, f"{id_} over {goal:g}", **fields)


def team_plan(cycle: Cycle, *, committed=False) -> Plan:
    """Three aspirational key results (and, if asked, a committed objective) for one cycle."""
    objectives = [Objective("buzz", "Stir up buzz", [kr("mentions"), kr("views"), kr("signups")])]
    objectives[0] = attrs.evolve(objectives[0], kind="aspirational")
    if committed:
        objectives.append(Objective("reliable", "Be reliable", [kr("uptime"), kr("latency")]))
    return Plan(objectives=objectives, cycle=cycle, id="team")


def record_values(store, cycle: Cycle, values: dict[str, float]) -> None:
    """What refreshes would have stored: each value a week before the cycle's end."""
    moment = cycle.ends_at - dt.timedelta(days=7)
    store.backfill(Record("team", key, value, moment, "sql") for key, value in values.items())


# -- The key test: aiming too low, from a store filled cycle after cycle -------------------------


def test_three_cycles_of_aspirational_key_results_at_one_say_the_team_is_aiming_too_low(tmp_path):
    verdicts = []
    with open_store(tmp_path / "team.okrkit.db") as store:
        for cycle in (Q1, Q2, Q3):
            record_values(store, cycle, {"mentions": 100, "views": 120, "signups": 100})
            retro = run_retrospective(team_plan(cycle), store, at=cycle.ends_at)
            verdicts.append(retro.calibration.verdict)
        stored = store.cycle_results("team")
    assert verdicts == [
        Verdict.NOT_ENOUGH_HISTORY,
        Verdict.NOT_ENOUGH_HISTORY,
        Verdict.AIMING_TOO_LOW,
    ]
    assert [(r.cycle.label, r.key_result, r.score) for r in stored] == [
        (cycle.label, key, 1.0)
        for cycle in (Q1, Q2, Q3)
        for key in ("mentions", "views", "signups")
    ]
    calibration = retro.calibration
    assert calibration.cycles == (Q1, Q2, Q3)
    assert calibration.aiming_too_low == tuple(
        CalibrationFinding(key, "buzz", (1.0, 1.0, 1.0), 1.0)
        for key in ("mentions", "views", "signups")
    )
    assert calibration.out_of_reach == ()
    assert calibration.message == (
        "The team is aiming too low: 3 of 3 aspirational key results scored 0.9 or more on "
        "average over the last 3 cycles (2026-Q1, 2026-Q2, 2026-Q3): mentions, views, signups. "
        "Aspirational OKRs should land around 0.7: set bolder targets."
    )
    assert retro.to_dict()["calibration"] == {
        "verdict": "aiming_too_low",
        "message": calibration.message,
        "cycles": ["2026-Q1", "2026-Q2", "2026-Q3"],
        "aiming_too_low": [
            {"key_result": key, "objective": "buzz", "scores": [1.0, 1.0, 1.0], "mean": 1.0}
            for key in ("mentions", "views", "signups")
        ],
        "out_of_reach": [],
    }


def test_the_first_retrospectives_say_calibration_needs_more_cycles(tmp_path):
    with open_store(":memory:") as store:
        record_values(store, Q2, {"mentions": 50})
        retro = run_retrospective(team_plan(Q2), store, at=Q2.ends_at)
    assert retro.calibration == Calibration(
        Verdict.NOT_ENOUGH_HISTORY,
        "Calibration needs the results of 3 cycles; the store holds 1 (2026-Q2). Run a "
        "retrospective at the end of every cycle.",
        (Q2,),
    )


def test_a_retrospective_run_again_replaces_the_cycles_record(tmp_path):
    with open_store(":memory:") as store:
        record_values(store, Q3, {"mentions": 50})
        run_retrospective(team_plan(Q3), store, at=Q3.ends_at)
        record_values(store, Q3, {"mentions": 80})  # a late value, then the retro again
        run_retrospective(team_plan(Q3), store, at=Q3.ends_at)
        assert [(r.key_result, r.score) for r in store.cycle_results("team")] == [
            ("mentions", 0.8),
            ("views", None),
            ("signups", None),
        ]


# -- Final scores and committed OKRs that missed ---------------------------------------------------


def test_final_scores_grades_and_the_committed_objectives_that_missed(tmp_path):
    plan = team_plan(Q3, committed=True)
    with open_store(":memory:") as store:
        record_values(store, Q3, {"mentions": 70, "views": 35, "uptime": 100, "latency": 60})
        retro = run_retrospective(plan, store, at=Q3.ends_at)
    assert retro.at == Q3.ends_at
    assert retro.cycle == Q3
    assert retro.committed_missed == (
        MissedCommitment("reliable", "Be reliable", 0.8, ("latency",)),
    )
    data = retro.to_dict()
    assert data["cycle"] == {"label": "2026-Q3", "start": "2026-07-01", "end": "2026-09-30"}
    assert data["at"] == "2026-10-01T00:00:00+00:00"
    assert data["committed_missed"] == [
        {"objective": "reliable", "title": "Be reliable", "score": 0.8, "key_results": ["latency"]}
    ]
    buzz, reliable = data["objectives"]
    assert (buzz["id"], buzz["kind"], buzz["bar"], buzz["grade"]) == (
        "buzz",
        "aspirational",
        0.7,
        "yellow",
    )
    assert buzz["score"] == pytest.approx(0.525)  # signups unscored: of the two scored
    assert [(k["id"], k["score"], k["grade"], k["met"]) for k in buzz["key_results"]] == [
        ("mentions", 0.7, "green", False),
        ("views", 0.35, "yellow", False),
        ("signups", None, None, None),
    ]
    assert buzz["key_results"][0] == {
        "id": "mentions",
        "title": "mentions over 100",
        "value": 70.0,
        "target": 100.0,
        "score": 0.7,
        "attainment": 0.7,
        "grade": "green",
        "met": False,
        "status": "on_track",  # 0.7 is the bar of an aspirational key result
    }
    assert (reliable["score"], reliable["grade"], reliable["kind"]) == (0.8, "green", "committed")
    assert retro.committed_missed[0].to_dict()["key_results"] == ["latency"]


def test_a_committed_objective_with_no_score_missed_too():
    plan = team_plan(Q3, committed=True)
    card = okrkit.score(plan, Q3.ends_at, [Measurement("uptime", 100, Q3.starts_at)])
    retro = retrospective(plan, card)
    assert retro.committed_missed == (
        MissedCommitment("reliable", "Be reliable", 1.0, ("latency",)),  # latency unscored
    )
    empty = retrospective(plan, okrkit.score(plan, Q3.ends_at))
    assert empty.committed_missed == (
        MissedCommitment("reliable", "Be reliable", None, ("uptime", "latency")),
    )


# -- Refusals --------------------------------------------------------------------------------------


def test_a_retrospective_before_the_cycles_end_is_refused():
    plan = team_plan(Q3)
    with open_store(":memory:") as store:
        with pytest.raises(ReviewError) as caught:
            run_retrospective(plan, store, at=Q3.ends_at - dt.timedelta(seconds=1))
        assert str(caught.value) == (
            "cycle 2026-Q3 runs until 2026-09-30: a retrospective looks back at a cycle that is "
            "over, from 2026-10-01T00:00:00+00:00 on (asked at 2026-09-30T23:59:59+00:00)"
        )
        assert isinstance(caught.value, OkrkitError)
        assert isinstance(caught.value, ValueError)
        future = team_plan(Cycle.parse("2999-Q1"))
        with pytest.raises(ReviewError, match="cycle 2999-Q1 runs until 2999-03-31"):
            run_retrospective(future, store)  # `at` left to the clock: the cycle is not over
        with pytest.raises(ReviewError, match="the plan has no cycle"):
            run_retrospective(attrs.evolve(plan, cycle=None), store, at=Q3.ends_at)
        assert store.cycle_results("team") == []  # nothing recorded
    with pytest.raises(ReviewError, match="runs until 2026-09-30"):
        retrospective(plan, okrkit.score(plan, Q3.ends_at - dt.timedelta(days=1)))


def test_without_at_a_past_cycle_is_scored_at_its_end(tmp_path):
    plan = team_plan(Cycle.parse("2020-Q1"))
    with open_store(":memory:") as store:
        store.backfill(
            [
                Record("team", "mentions", 40, dt.datetime(2020, 3, 1, tzinfo=UTC), "sql"),
                Record("team", "mentions", 90, dt.datetime(2020, 4, 2, tzinfo=UTC), "sql"),  # after
            ]
        )
        retro = run_retrospective(plan, store)
    assert retro.at == dt.datetime(2020, 4, 1, tzinfo=UTC)
    assert retro.scorecard.key_result("mentions").progress == 0.4


# -- Calibration rules ----------------------------------------------------------------------------


def history(*rows) -> list[CycleResult]:
    """Cycle results: (cycle, key result, score) aspirational, or with a kind as a fourth item."""
    return [
        CycleResult("team", cycle, "buzz", key, Kind(*rest or ["aspirational"]), score, RECORDED)
        for cycle, key, score, *rest in rows
    ]


def scored(values: dict[str, float], *, committed=False) -> tuple[Plan, okrkit.Scorecard]:
    plan = team_plan(Q3, committed=committed)
    measured = [Measurement(key, value, Q3.starts_at) for key, value in values.items()]
    return plan, okrkit.score(plan, Q3.ends_at, measured)


@pytest.mark.parametrize(
    ("earlier", "now", "too_low"),
    [
        ((0.8, 0.95), 95, True),  # mean 0.9, none below 0.8
        ((0.79, 1.0), 100, False),  # one below 0.8
        ((0.85, 0.9), 90, False),  # mean 0.883
        ((1.0, 1.0), 80, True),  # mean 0.933
    ],
)
def test_aiming_too_low_is_a_mean_of_at_least_point_9_with_none_below_point_8(
    earlier, now, too_low
):
    plan, card = scored({"mentions": now, "views": 100, "signups": 100})
    past = history(
        (Q1, "mentions", earlier[0]),
        (Q2, "mentions", earlier[1]),
        *((q, key, 1.0) for q in (Q1, Q2) for key in ("views", "signups")),
    )
    calibration = retrospective(plan, card, past).calibration
    assert ("mentions" in [f.key_result for f in calibration.aiming_too_low]) is too_low
    assert calibration.verdict is Verdict.AIMING_TOO_LOW  # views and signups: 2 of 3 anyway


def test_one_key_result_aiming_too_low_of_three_is_named_but_the_team_is_calibrated():
    plan, card = scored({"mentions": 100, "views": 70, "signups": 60})
    past = history(
        (Q1, "mentions", 1.0),
        (Q2, "mentions", 0.9),
        (Q1, "views", 0.7),
        (Q2, "views", 0.6),
        (Q1, "signups", 0.65),
        (Q2, "signups", 0.7),
    )
    calibration = retrospective(plan, card, past).calibration
    assert calibration.verdict is Verdict.CALIBRATED
    assert calibration.aiming_too_low == (
        CalibrationFinding("mentions", "buzz", (1.0, 0.9, 1.0), pytest.approx(0.9666666)),
    )
    assert calibration.message == (
        "The targets are well calibrated over the last cycles (2026-Q1, 2026-Q2, 2026-Q3). "
        "Aiming too low: mentions."
    )


def test_key_results_repeatedly_under_point_3_are_out_of_reach():
    plan, card = scored({"mentions": 20, "views": 10, "signups": 45})
    past = history(
        (Q1, "mentions", 0.35),
        (Q2, "mentions", 0.3),  # mean 0.283, all under 0.4
        (Q1, "views", 0.0),
        (Q2, "views", 0.2),
        (Q1, "signups", 0.1),  # mean 0.283 but 0.45 now: reached 0.4 once
        (Q2, "signups", 0.3),
    )
    calibration = retrospective(plan, card, past).calibration
    assert [f.key_result for f in calibration.out_of_reach] == ["mentions", "views"]
    assert calibration.verdict is Verdict.OUT_OF_REACH
    assert calibration.message == (
        "The team's goals are out of reach: 2 of 3 key results scored under 0.3 on average over "
        "the last 3 cycles (2026-Q1, 2026-Q2, 2026-Q3): mentions, views. Set targets the team "
        "can reach at least in part."
    )


def test_both_at_once_is_a_mixed_verdict_and_committed_key_results_never_aim_too_low():
    plan, card = scored(
        {"mentions": 100, "views": 100, "signups": 10, "uptime": 5, "latency": 100},
        committed=True,
    )
    past = history(
        *((q, "mentions", 1.0) for q in (Q1, Q2)),
        *((q, "views", 1.0) for q in (Q1, Q2)),
        *((q, "signups", 0.1) for q in (Q1, Q2)),
        *((q, "uptime", 0.1, "committed") for q in (Q1, Q2)),
        *((q, "latency", 1.0, "committed") for q in (Q1, Q2)),
    )
    calibration = retrospective(plan, card, past).calibration
    # too low: 2 of 3 aspirational; out of reach: signups and uptime, 2 of 5: not most
    assert [f.key_result for f in calibration.aiming_too_low] == ["mentions", "views"]
    assert [f.key_result for f in calibration.out_of_reach] == ["signups", "uptime"]
    assert calibration.verdict is Verdict.AIMING_TOO_LOW
    more = history(*((q, key, 0.1) for q in (Q1, Q2) for key in ("latency",)))
    plan, card = scored(
        {"mentions": 100, "views": 100, "signups": 10, "uptime": 5, "latency": 10},
        committed=True,
    )
    mixed = retrospective(plan, card, [*past[:8], *more]).calibration
    assert mixed.verdict is Verdict.MIXED
    assert mixed.message.startswith("The team is aiming too low: 2 of 3 aspirational")
    assert "The team's goals are out of reach: 3 of 5 key results" in mixed.message


def test_only_key_results_scored_in_each_of_the_last_three_cycles_are_judged():
    plan, card = scored({"mentions": 100, "views": 100})  # signups unscored now
    past = history(
        (Q1, "mentions", 1.0),  # missing in Q2: not judged
        (Q1, "views", 1.0),
        (Q2, "views", None),  # unscored in Q2: not judged
        (Q1, "signups", 1.0),
        (Q2, "signups", 1.0),
        (Cycle.parse("2025-Q4"), "mentions", 1.0),  # older than the last three
    )
    calibration = retrospective(plan, card, past).calibration
    assert calibration.cycles == (Q1, Q2, Q3)
    assert calibration.aiming_too_low == ()
    assert calibration.verdict is Verdict.CALIBRATED


def test_later_cycles_are_left_out_and_this_cycles_record_is_replaced_by_the_scorecard():
    plan, card = scored({"mentions": 50, "views": 50, "signups": 50})
    past = history(
        *((q, key, 1.0) for q in (Q1, Q2, Q3, Q4) for key in ("mentions", "views", "signups"))
    )
    calibration = retrospective(plan, card, past).calibration
    assert calibration.cycles == (Q1, Q2, Q3)
    assert calibration.aiming_too_low == ()  # Q3 is 0.5 in the scorecard, not 1.0 as recorded


# -- Carry over ----------------------------------------------------------------------------------


def carry_plan() -> Plan:
    relative = Target(0.4, "increase", relative=True)
    return Plan(
        title="Acme",
        id="acme",
        cycle=Q3,
        objectives=[
            Objective(
                "done",
                "A finished objective",
                [kr("a", current=5), kr("b")],
                kind="aspirational",
            ),
            Objective(
                "open",
                "An unfinished objective",
                [
                    kr("short", current=1),
                    kr("achieved", description="The count."),
                    KeyResult("rise", "Mentions up by 40%", target=relative),
                    KeyResult("rise-later", "Posts up by 40%", target=relative),
                    KeyResult(
                        "uptime", "Uptime above 99", target=Target(99, "at_least", threshold=True)
                    ),
                    kr("gained", source={"connector": "sql", "aggregate": "change"}),
                    kr("typed", current=3),
                    kr("blank"),
                ],
                parent="done",
                cycle=Q3,
            ),
            Objective("child", "A child objective", [kr("c")], parent="open"),
            Objective("empty", "An objective with no key results yet"),
        ],
        projects=[
            Project(
                "p-open",
                "Open work",
                objective="open",
                tasks=[
                    Task("finished", status="done", key_results=["short"]),
                    Task("abandoned", status="dropped"),
                    Task("started", status="doing", key_results=["short", "a"]),
                    Task("next", key_results=["a"]),
                ],
            ),
            Project("p-done", "Finished objective's work", objective="done", tasks=[Task("x")]),
            Project("p-free", "Serves no objective", tasks=[Task("y"), Task("z", status="done")]),
            Project("p-over", "All done", objective="open", tasks=[Task("w", status="done")]),
        ],
    )


CARRY_VALUES = {
    "a": 100,
    "b": 150,
    "short": 60,
    "achieved": 120,
    "rise": 150,
    "rise-later": 90,
    "uptime": 99.5,
    "gained": 30,
    "c": 10,
}


def carry_card(plan: Plan) -> okrkit.Scorecard:
    measured = [Measurement(key, value, Q3.starts_at) for key, value in CARRY_VALUES.items()]
    baselined = plan.with_baselines({"rise": 100, "rise-later": 100})
    return okrkit.score(baselined, Q3.ends_at, measured)


def test_carry_over_keeps_the_unfinished_objectives_re_based_where_the_cycle_ended():
    plan = carry_plan()
    carried = carry_over(plan, carry_card(plan), Q4)
    assert carried.cycle == Q4
    assert (carried.title, carried.id, carried.source_map) == ("Acme", "acme", None)
    assert [o.id for o in carried.objectives] == ["open", "child", "empty"]
    assert all(o.cycle == Q4 for o in carried.objectives)
    open_, child, _ = carried.objectives
    assert open_.parent is None  # its parent was finished and dropped
    assert child.parent == "open"
    by_id = {k.id: k for k in carried.key_results()}
    assert all(k.current is None for k in by_id.values())
    assert by_id["short"].target == Target(100, "at_least", baseline=60.0)
    assert by_id["rise"].target == Target(0.4, "increase", baseline=150.0, relative=True)
    assert by_id["rise-later"].target == Target(0.4, "increase", baseline=90.0, relative=True)
    assert by_id["achieved"].target == Target(100, "at_least")  # kept as it was, and said so
    assert by_id["achieved"].description == (
        "The count. Achieved in 2026-Q3 at 120 (goal 100): raise the target or remove this key "
        "result."
    )
    assert by_id["uptime"].target == Target(99, "at_least", threshold=True)
    assert by_id["gained"].target == Target(100, "at_least")  # counts from zero every cycle
    assert by_id["typed"].target == Target(100, "at_least", baseline=3.0)  # typed in the file
    assert by_id["blank"].target == Target(100, "at_least")  # no value: left as it was
    assert by_id["c"].target == Target(100, "at_least", baseline=10.0)


def test_carry_over_keeps_the_unfinished_tasks_of_the_carried_projects():
    plan = carry_plan()
    carried = carry_over(plan, carry_card(plan), Q4)
    assert carried.projects == (
        Project(
            "p-open",
            "Open work",
            objective="open",
            tasks=[
                Task("started", status="doing", key_results=["short"]),  # 'a' was dropped
                Task("next"),
            ],
        ),
        Project("p-free", "Serves no objective", tasks=[Task("y")]),
    )


def test_an_achieved_key_result_with_no_goal_known_or_no_cycle_is_still_said_so():
    plan = attrs.evolve(carry_plan(), cycle=None)
    plan = attrs.evolve(plan, objectives=[attrs.evolve(o, cycle=None) for o in plan.objectives])
    carried = carry_over(plan, carry_card(plan), "2026-Q4")
    assert carried.cycle == Q4
    assert carried.key_result("achieved").description == (
        "The count. Achieved last cycle at 120 (goal 100): raise the target or remove this key "
        "result."
    )


def test_carry_over_to_a_cycle_that_is_not_after_this_one_is_refused():
    plan = carry_plan()
    with pytest.raises(ReviewError) as caught:
        carry_over(plan, carry_card(plan), "2026-Q3")
    assert str(caught.value) == (
        "carry over to a cycle that starts after 2026-Q3 ends (2026-09-30); 2026-Q3 starts on "
        "2026-07-01"
    )


def test_the_carried_plan_writes_out_and_loads_back_equal():
    plan = okrkit.loads(okrkit.dumps(carry_plan()))  # as read from a file: metrics filled in
    carried = carry_over(plan, carry_card(plan), Q4)
    for form in ("yaml", "json"):
        assert okrkit.loads(okrkit.dumps(carried, form)) == carried


def test_the_seed_example_carried_to_2026_q4_loads_back_equal_and_lints_clean(tmp_path):
    folder = tmp_path / "launch"
    shutil.copytree(
        ROOT / "examples" / "product-launch", folder, ignore=shutil.ignore_patterns("*.okrkit.db*")
    )
    plan = okrkit.load(folder / "okrs.yaml")
    with open_store(folder / "okrs.okrkit.db") as store:
        okrkit.refresh(plan, store, at=dt.datetime(2026, 10, 1, tzinfo=UTC), environ={})
        latest = store.latest("okrs")
        carried = run_carry_over(plan, store, "2026-Q4")
        retro = run_retrospective(plan, store, at=Q3.ends_at)
    assert retro.calibration.verdict is Verdict.NOT_ENOUGH_HISTORY
    assert retro.committed_missed == ()  # its one objective is aspirational
    assert carried.cycle == Q4
    by_id = {k.id: k for k in carried.key_results()}
    assert by_id["mentions"].target.relative
    assert by_id["mentions"].target.baseline == latest["mentions"].value
    assert by_id["signups"].target.baseline == latest["signups"].value
    assert by_id["youtube-views"].target.baseline == 38000.0  # the value typed in the file
    assert by_id["youtube-views"].current is None
    (campaign,) = carried.projects
    assert len(campaign.tasks) == 13  # the roadmap was done
    text = okrkit.dumps(carried)
    assert "cycle: 2026-Q4" in text
    back = okrkit.loads(text)
    assert back == carried
    errors = [f for f in okrkit.lint(back) if f.severity is okrkit.Severity.ERROR]
    assert errors == []
    # the file written beside the original loads, resolving its connectors' relative paths
    (folder / "okrs-2026-q4.yaml").write_text(text)
    assert okrkit.load(folder / "okrs-2026-q4.yaml") == carried
