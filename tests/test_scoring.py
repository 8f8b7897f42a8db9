"""Scoring: progress, grades, pace, roll-ups and the scorecard's JSON shape."""

from __future__ import annotations

import datetime as dt
import json
import math

import pytest
from hypothesis import given
from hypothesis import strategies as st

from okrkit.errors import ModelError, OkrkitError, UnknownIdError
from okrkit.model import (
    CheckIn,
    Cycle,
    Direction,
    KeyResult,
    Kind,
    Measurement,
    Objective,
    Plan,
    Project,
    Target,
    Task,
    TaskStatus,
)
from okrkit.scoring import (
    Grade,
    KeyResultScore,
    Pace,
    Progress,
    Scorecard,
    Status,
    grade,
    progress,
    score,
)

# A ten-day cycle: each day is exactly a tenth of it, so day 6 at 00:00 is half way.
CYCLE = Cycle(dt.date(2026, 7, 1), dt.date(2026, 7, 10))
UP_TO_100 = Target(100, Direction.INCREASE)
DEFAULT_PACE = Pace()


def day(number: int, hour: int = 0) -> dt.datetime:
    """A moment in July 2026, UTC."""
    return dt.datetime(2026, 7, number, hour, tzinfo=dt.UTC)


DAY_2 = day(2)
DAY_4 = day(4)
MID = day(6)  # elapsed 0.5
AFTER = dt.datetime(2026, 7, 20, tzinfo=dt.UTC)  # the cycle is over
BEFORE = dt.datetime(2026, 6, 20, tzinfo=dt.UTC)  # the cycle has not started


def key_result(kr_id: str = "kr", target: Target | None = UP_TO_100, **fields: object) -> KeyResult:
    return KeyResult(id=kr_id, title=f"Key result {kr_id}", target=target, **fields)  # type: ignore[arg-type]


def plan_of(
    *key_results: KeyResult,
    kind: Kind = Kind.COMMITTED,
    cycle: Cycle | None = CYCLE,
    projects: tuple[Project, ...] = (),
) -> Plan:
    objective = Objective(id="obj", title="Launch well", key_results=key_results, kind=kind)
    return Plan(objectives=(objective,), projects=projects, cycle=cycle)


def seen(value: float, at: dt.datetime = DAY_2, kr_id: str = "kr") -> Measurement:
    return Measurement(key_result=kr_id, value=value, observed_at=at)


def kr_at(
    value: float | None,
    *,
    target: Target | None = UP_TO_100,
    at: dt.datetime = MID,
    kind: Kind = Kind.COMMITTED,
    cycle: Cycle | None = CYCLE,
    pace: Pace = DEFAULT_PACE,
    check_ins: tuple[CheckIn, ...] = (),
) -> KeyResultScore:
    """Score a single key result with one measurement (on day 2) of `value`."""
    plan = plan_of(key_result(target=target), kind=kind, cycle=cycle)
    measurements = () if value is None else (seen(value),)
    return score(plan, at, measurements, check_ins, pace).key_result("kr")


# -- grade -------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("value", "expected"),
    [
        (0.0, Grade.RED),
        (0.3, Grade.RED),
        (0.34, Grade.RED),
        (0.3499, Grade.RED),
        (0.35, Grade.YELLOW),  # the float 0.35 is a hair below 0.35: still rounds up
        (0.3 + 0.05, Grade.YELLOW),
        (1 - 0.65, Grade.YELLOW),
        (0.69 - 0.34, Grade.YELLOW),  # 0.3499999999999999: float noise, not a lower score
        (0.4, Grade.YELLOW),
        (0.6, Grade.YELLOW),
        (0.64, Grade.YELLOW),
        (0.6499, Grade.YELLOW),
        (0.65, Grade.GREEN),
        (0.7 - 0.05, Grade.GREEN),  # 0.6499999999999999
        (0.7, Grade.GREEN),
        (1.0, Grade.GREEN),
        (1.5, Grade.GREEN),
        (-0.2, Grade.RED),
        (0, Grade.RED),
        (1, Grade.GREEN),
    ],
)
def test_grade_bands_round_half_up_to_one_decimal(value, expected):
    assert grade(value) is expected


@pytest.mark.parametrize("bad", [math.nan, math.inf, -math.inf, True, "0.5"])
def test_grade_refuses_what_is_not_a_finite_number(bad):
    with pytest.raises(ModelError, match="finite number"):
        grade(bad)


# -- Pace ----------------------------------------------------------------------------------------


def test_pace_defaults():
    assert Pace() == Pace(at_risk=0.15, off_track=0.30)


@pytest.mark.parametrize(
    ("fields", "message"),
    [
        ({"at_risk": -0.1}, "between 0 and 1"),
        ({"off_track": 1.5}, "between 0 and 1"),
        ({"at_risk": math.nan}, "between 0 and 1"),
        ({"at_risk": True}, "between 0 and 1"),
        ({"at_risk": 0.4, "off_track": 0.3}, "must not exceed"),
    ],
)
def test_pace_margins_are_validated(fields, message):
    with pytest.raises(ModelError, match=message) as caught:
        Pace(**fields)
    assert caught.value.owner == "pace"


def test_pace_margins_may_be_equal_or_at_the_ends():
    assert Pace(0.2, 0.2).judge(0.3, 0.5) is Status.ON_TRACK
    assert Pace(0.2, 0.2).judge(0.29, 0.5) is Status.OFF_TRACK  # no at-risk band left
    assert Pace(0.0, 1.0).judge(0.5, 0.5) is Status.ON_TRACK
    assert Pace(0.0, 1.0).judge(0.49, 0.5) is Status.AT_RISK


@pytest.mark.parametrize(
    ("progress_value", "expected"),
    [
        (0.5, Status.ON_TRACK),
        (0.9, Status.ON_TRACK),
        (0.35, Status.ON_TRACK),  # behind by exactly 0.15 (float noise forgiven)
        (0.34, Status.AT_RISK),
        (0.2, Status.AT_RISK),  # behind by exactly 0.30
        (0.19, Status.OFF_TRACK),
        (0.0, Status.OFF_TRACK),
    ],
)
def test_pace_judge_boundaries(progress_value, expected):
    assert Pace().judge(progress_value, 0.5) is expected


# -- progress: one value against one target --------------------------------------------------


def test_increase_from_a_baseline():
    target = Target(35_000, Direction.INCREASE, baseline=20_000)
    assert progress(target, 26_000) == Progress(0.4, 0.4, 35_000.0, 20_000.0, met=False)


def test_increase_without_a_baseline_counts_from_zero():
    assert progress(UP_TO_100, 25) == Progress(0.25, 0.25, 100.0, 0.0, met=False)


def test_at_least_without_a_baseline_counts_from_zero():
    target = Target(100_000, Direction.AT_LEAST)
    assert progress(target, 40_000) == Progress(0.4, 0.4, 100_000.0, 0.0, met=False)
    assert progress(target, 100_000) == Progress(1.0, 1.0, 100_000.0, 0.0, met=True)


def test_at_least_from_a_baseline():
    target = Target(5_000, Direction.AT_LEAST, baseline=1_000)
    assert progress(target, 3_000) == Progress(0.5, 0.5, 5_000.0, 1_000.0, met=False)


def test_decrease_from_a_baseline():
    target = Target(2, Direction.DECREASE, baseline=5)
    assert progress(target, 3.5) == Progress(0.5, 0.5, 2.0, 5.0, met=False)
    assert progress(target, 2) == Progress(1.0, 1.0, 2.0, 5.0, met=True)


def test_decrease_without_a_baseline_is_met_or_not():
    target = Target(2, Direction.DECREASE)
    assert progress(target, 3) == Progress(0.0, 0.0, 2.0, None, met=False)
    assert progress(target, 2) == Progress(1.0, 1.0, 2.0, None, met=True)
    assert progress(target, 0.5) == Progress(1.0, 1.0, 2.0, None, met=True)


def test_at_most_from_a_baseline():
    target = Target(300, Direction.AT_MOST, baseline=500)
    assert progress(target, 400) == Progress(0.5, 0.5, 300.0, 500.0, met=False)


def test_at_most_without_a_baseline_is_met_or_not():
    target = Target(300, Direction.AT_MOST)
    assert progress(target, 250) == Progress(1.0, 1.0, 300.0, None, met=True)
    assert progress(target, 301) == Progress(0.0, 0.0, 300.0, None, met=False)


def test_relative_increase_with_a_baseline():
    target = Target(0.4, Direction.INCREASE, baseline=1_000, relative=True)  # up by 40%
    assert progress(target, 1_200) == Progress(0.5, 0.5, 1_400.0, 1_000.0, met=False)
    assert progress(target, 1_400) == Progress(1.0, 1.0, 1_400.0, 1_000.0, met=True)


def test_relative_decrease_with_a_baseline():
    target = Target(0.25, Direction.DECREASE, baseline=200, relative=True)  # down by 25%
    assert progress(target, 175) == Progress(0.5, 0.5, 150.0, 200.0, met=False)


def test_relative_target_without_a_baseline_cannot_be_computed():
    assert progress(Target(0.4, Direction.INCREASE, relative=True), 1_200) is None
    assert progress(Target(0.25, Direction.DECREASE, relative=True), 175) is None


def test_baseline_argument_resolves_a_relative_target():
    target = Target(0.4, Direction.INCREASE, relative=True)
    assert progress(target, 1_200, baseline=1_000) == Progress(
        0.5, 0.5, 1_400.0, 1_000.0, met=False
    )


def test_baseline_argument_yields_to_the_targets_own():
    target = Target(100, Direction.INCREASE, baseline=50)
    assert progress(target, 75, baseline=0) == Progress(0.5, 0.5, 100.0, 50.0, met=False)
    assert progress(Target(2, Direction.DECREASE), 3.5, baseline=5) == Progress(
        0.5, 0.5, 2.0, 5.0, met=False
    )


@pytest.mark.parametrize("direction", [Direction.INCREASE, Direction.DECREASE])
def test_start_equal_to_goal_is_met_or_not(direction):
    target = Target(100, direction, baseline=100)
    assert progress(target, 100) == Progress(1.0, 1.0, 100.0, 100.0, met=True)
    missed = 99 if direction is Direction.INCREASE else 101
    assert progress(target, missed) == Progress(0.0, 0.0, 100.0, 100.0, met=False)


def test_start_already_past_the_goal_is_met_or_not():
    target = Target(100, Direction.AT_LEAST, baseline=150)
    assert progress(target, 120) == Progress(1.0, 1.0, 100.0, 150.0, met=True)
    assert progress(target, 90) == Progress(0.0, 0.0, 100.0, 150.0, met=False)


def test_value_past_the_goal_keeps_the_over_achievement_in_attainment():
    target = Target(100, Direction.INCREASE, baseline=50)
    assert progress(target, 150) == Progress(1.0, 2.0, 100.0, 50.0, met=True)
    assert progress(Target(2, Direction.DECREASE, baseline=5), 0.5) == Progress(
        1.0, 1.5, 2.0, 5.0, met=True
    )


def test_value_moving_the_wrong_way_has_negative_attainment():
    assert progress(Target(100, Direction.INCREASE, baseline=50), 25) == Progress(
        0.0, -0.5, 100.0, 50.0, met=False
    )
    assert progress(Target(2, Direction.DECREASE, baseline=5), 6.5) == Progress(
        0.0, -0.5, 2.0, 5.0, met=False
    )


def test_threshold_is_met_or_not():
    above = Target(99.9, Direction.AT_LEAST, threshold=True)
    assert progress(above, 99.95) == Progress(1.0, 1.0, 99.9, None, met=True)
    assert progress(above, 99.8) == Progress(0.0, 0.0, 99.9, None, met=False)
    below = Target(2, Direction.AT_MOST, threshold=True, baseline=3)
    assert progress(below, 1.5) == Progress(1.0, 1.0, 2.0, 3.0, met=True)
    assert progress(below, 2.5) == Progress(0.0, 0.0, 2.0, 3.0, met=False)


@pytest.mark.parametrize("bad", [math.nan, math.inf, True])
def test_progress_refuses_a_value_that_is_not_a_finite_number(bad):
    with pytest.raises(ModelError, match="finite number"):
        progress(UP_TO_100, bad)


_numbers = st.floats(min_value=-1e6, max_value=1e6, allow_nan=False, allow_infinity=False)


@st.composite
def _targets(draw: st.DrawFn) -> Target:
    direction = draw(st.sampled_from(Direction))
    baseline = draw(st.none() | _numbers)
    if direction in (Direction.INCREASE, Direction.DECREASE) and draw(st.booleans()):
        share = draw(st.floats(min_value=0.01, max_value=5))
        return Target(share, direction, baseline=baseline, relative=True)
    threshold = direction in (Direction.AT_LEAST, Direction.AT_MOST) and draw(st.booleans())
    return Target(draw(_numbers), direction, baseline=baseline, threshold=threshold)


@given(_targets(), _numbers, st.none() | _numbers)
def test_progress_is_clamped_attainment(target, value, baseline):
    result = progress(target, value, baseline)
    if result is None:
        assert target.relative
        assert target.baseline is None
        assert baseline is None
        return
    assert 0.0 <= result.progress <= 1.0
    assert result.progress == min(1.0, max(0.0, result.attainment))
    if result.met:
        assert result.progress == 1.0


# -- Which value is scored ---------------------------------------------------------------------


def test_latest_measurement_at_or_before_at_is_used_and_later_ones_ignored():
    plan = plan_of(key_result())
    measurements = [seen(30, day(3)), seen(10, day(1)), seen(40, day(6)), seen(90, day(8))]
    card = score(plan, MID, measurements)
    assert card.key_result("kr").value == 40.0  # observed exactly at `at`: counts
    assert card.key_result("kr").observed_at == day(6)
    earlier = score(plan, day(5), measurements)
    assert earlier.key_result("kr").value == 30.0
    assert earlier.key_result("kr").progress == 0.3


def test_on_equal_times_the_later_measurement_in_the_input_wins():
    card = score(plan_of(key_result()), MID, [seen(30, day(3)), seen(35, day(3))])
    assert card.key_result("kr").value == 35.0


def test_typed_in_current_value_when_there_is_no_measurement():
    plan = plan_of(key_result(current=45))
    result = score(plan, MID).key_result("kr")
    assert (result.value, result.observed_at, result.progress) == (45.0, None, 0.45)
    # a measurement wins over the typed-in value
    assert score(plan, MID, [seen(20)]).key_result("kr").value == 20.0


def test_check_in_value_when_there_is_neither_measurement_nor_current():
    plan = plan_of(key_result())
    check_ins = [
        CheckIn(key_result="kr", at=day(3), value=40),
        CheckIn(key_result="kr", at=day(4), value=50, confidence=0.8),
        CheckIn(key_result="kr", at=day(5), confidence=0.9),  # no value: does not count here
        CheckIn(key_result="kr", at=day(9), value=99),  # after `at`
    ]
    result = score(plan, MID, check_ins=check_ins).key_result("kr")
    assert (result.value, result.observed_at, result.confidence) == (50.0, day(4), 0.9)
    assert (
        score(plan_of(key_result(current=10)), MID, check_ins=check_ins).key_result("kr").value
        == 10.0
    )


def test_no_value_is_no_data():
    result = kr_at(None)
    assert result.status is Status.NO_DATA
    assert (result.value, result.progress, result.attainment, result.grade) == (
        None,
        None,
        None,
        None,
    )
    assert result.met is None
    assert result.goal == 100.0
    assert result.reason == (
        "no value yet: no measurement, current value or check-in at or before "
        "2026-07-06T00:00:00+00:00"
    )


def test_measurements_only_after_at_is_no_data():
    card = score(plan_of(key_result()), MID, [seen(50, day(8))])
    assert card.key_result("kr").status is Status.NO_DATA


def test_naive_at_is_taken_as_utc():
    naive = dt.datetime(2026, 7, 6)  # noqa: DTZ001  # the point of the test
    plan = plan_of(key_result())
    card = score(plan, naive, [seen(40, day(6)), seen(90, day(6, 1))])
    assert card.at == MID
    assert card == score(plan, MID, [seen(40, day(6)), seen(90, day(6, 1))])
    assert card.key_result("kr").value == 40.0


def test_an_aware_at_in_another_zone_compares_as_the_same_instant():
    plus_two = dt.timezone(dt.timedelta(hours=2))
    at = dt.datetime(2026, 7, 6, 9, tzinfo=plus_two)  # 07:00 UTC
    card = score(plan_of(key_result()), at, [seen(30, day(6, 7)), seen(60, day(6, 8))])
    assert card.key_result("kr").value == 30.0


def test_values_for_key_results_the_plan_does_not_have_are_ignored():
    card = score(plan_of(key_result()), MID, [seen(30), seen(90, kr_id="other")])
    assert [k.id for k in card.key_results()] == ["kr"]
    assert card.key_result("kr").value == 30.0


# -- Baselines and unscorable key results ----------------------------------------------------


def test_relative_target_without_a_baseline_is_no_data_needing_a_baseline():
    result = kr_at(1_200, target=Target(0.4, Direction.INCREASE, relative=True))
    assert result.status is Status.NO_DATA
    assert result.reason is not None
    assert result.reason.startswith("needs a baseline")
    assert result.baseline_known is False
    assert (result.value, result.goal, result.baseline, result.progress) == (
        1_200.0,
        None,
        None,
        None,
    )


def test_relative_decrease_without_a_baseline_is_no_data_too():
    result = kr_at(None, target=Target(0.25, Direction.DECREASE, relative=True))
    assert result.status is Status.NO_DATA
    assert result.reason is not None
    assert result.reason.startswith("needs a baseline")


def test_relative_target_with_a_baseline_is_scored():
    result = kr_at(1_200, target=Target(0.4, Direction.INCREASE, baseline=1_000, relative=True))
    assert (result.goal, result.baseline, result.progress) == (1_400.0, 1_000.0, 0.5)
    assert result.baseline_known is True
    assert result.reason is None


def test_key_result_without_a_target_is_no_data():
    result = kr_at(50, target=None)
    assert result.status is Status.NO_DATA
    assert result.reason is not None
    assert result.reason.startswith("has no target")
    assert (result.value, result.goal) == (50.0, None)


def test_decrease_without_a_baseline_reports_baseline_unknown():
    result = kr_at(3, target=Target(2, Direction.DECREASE))
    assert (result.progress, result.attainment, result.met) == (0.0, 0.0, False)
    assert result.baseline is None
    assert result.baseline_known is False
    assert result.status is Status.OFF_TRACK
    assert result.reason == "no baseline: progress counts only whether the goal is met"
    met = kr_at(1.5, target=Target(2, Direction.AT_MOST))
    assert (met.progress, met.status, met.baseline_known) == (1.0, Status.ACHIEVED, False)


def test_increase_without_a_baseline_reports_the_zero_it_counts_from():
    result = kr_at(25)
    assert (result.baseline, result.baseline_known, result.reason) == (0.0, True, None)


# -- Status of a key result --------------------------------------------------------------------


def test_goal_met_is_achieved_even_before_the_cycle_ends():
    result = kr_at(120, at=day(3))
    assert (result.status, result.progress, result.attainment) == (Status.ACHIEVED, 1.0, 1.2)
    assert result.grade is Grade.GREEN


@pytest.mark.parametrize(
    ("value", "expected"),
    [
        (50, Status.ON_TRACK),
        (35, Status.ON_TRACK),  # behind by exactly at_risk
        (34, Status.AT_RISK),
        (20, Status.AT_RISK),  # behind by exactly off_track
        (19, Status.OFF_TRACK),
    ],
)
def test_mid_cycle_pace_bands_at_their_boundaries(value, expected):
    result = kr_at(value)
    assert result.expected == 0.5
    assert result.status is expected


def test_custom_pace_margins():
    strict = Pace(at_risk=0.05, off_track=0.1)
    assert kr_at(40, pace=strict).status is Status.AT_RISK
    assert kr_at(39, pace=strict).status is Status.OFF_TRACK
    assert kr_at(45, pace=strict).status is Status.ON_TRACK


def test_aspirational_objectives_expect_seven_tenths_of_the_elapsed_share():
    committed = kr_at(30)
    aspirational = kr_at(30, kind=Kind.ASPIRATIONAL)
    assert (committed.expected, committed.status) == (0.5, Status.AT_RISK)
    assert (aspirational.expected, aspirational.status) == (0.35, Status.ON_TRACK)


def test_before_the_cycle_starts_anything_is_on_track():
    card = score(plan_of(key_result()), BEFORE, [seen(0, BEFORE)])
    result = card.key_result("kr")
    assert (result.expected, result.progress, result.status) == (0.0, 0.0, Status.ON_TRACK)
    objective = card.objective("obj")
    assert (objective.expected, objective.score, objective.status) == (0.0, 0.0, Status.ON_TRACK)


def test_after_the_cycle_ends_the_full_bar_is_expected():
    assert kr_at(80, at=AFTER).expected == 1.0
    assert kr_at(85, at=AFTER).status is Status.ON_TRACK
    assert kr_at(80, at=AFTER).status is Status.AT_RISK
    assert kr_at(60, at=AFTER).status is Status.OFF_TRACK
    aspirational = kr_at(60, at=AFTER, kind=Kind.ASPIRATIONAL)
    assert (aspirational.expected, aspirational.status) == (0.7, Status.ON_TRACK)


def test_expected_at_the_exact_end_of_the_cycle_is_the_full_bar():
    end = dt.datetime(2026, 7, 11, tzinfo=dt.UTC)
    assert kr_at(100, at=end).expected == 1.0


def test_without_a_cycle_pace_is_not_judged():
    result = kr_at(5, cycle=None)
    assert (result.expected, result.status) == (None, Status.ON_TRACK)
    assert kr_at(100, cycle=None).status is Status.ACHIEVED
    objective = score(plan_of(key_result(), cycle=None), MID, [seen(5)]).objective("obj")
    assert (objective.expected, objective.status, objective.score) == (None, Status.ON_TRACK, 0.05)


def test_the_objectives_own_cycle_wins_over_the_plans():
    july = Cycle(dt.date(2026, 7, 1), dt.date(2026, 7, 10))
    year = Cycle(dt.date(2026, 1, 1), dt.date(2026, 12, 31))
    objective = Objective(id="obj", title="Launch well", key_results=(key_result(),), cycle=july)
    plan = Plan(objectives=(objective,), cycle=year)
    assert score(plan, MID, [seen(50)]).objective("obj").expected == 0.5


# -- Thresholds ---------------------------------------------------------------------------------

UPTIME = Target(99.9, Direction.AT_LEAST, threshold=True)


def _uptime(values_and_days: list[tuple[float, dt.datetime]], at: dt.datetime) -> KeyResultScore:
    plan = plan_of(key_result(target=UPTIME))
    return score(plan, at, [seen(v, d) for v, d in values_and_days]).key_result("kr")


def test_threshold_attainment_is_the_share_of_cycle_measurements_that_met_it():
    history = [
        (95.0, BEFORE),  # before the cycle: not counted
        (99.95, day(2)),
        (99.5, day(3)),
        (99.99, day(5)),
        (90.0, day(8)),  # after `at`: not counted
    ]
    result = _uptime(history, MID)
    assert (result.progress, result.met, result.status) == (1.0, True, Status.ON_TRACK)
    assert result.attainment == 2 / 3


def test_threshold_not_met_at_the_latest_measurement_is_off_track():
    result = _uptime([(99.95, day(2)), (99.5, day(5))], MID)
    assert (result.progress, result.attainment, result.met) == (0.0, 0.5, False)
    assert result.status is Status.OFF_TRACK
    assert result.grade is Grade.RED


def test_threshold_met_at_the_end_of_the_cycle_is_achieved():
    result = _uptime([(99.95, day(2)), (99.99, day(10, 12))], AFTER)
    assert (result.status, result.attainment) == (Status.ACHIEVED, 1.0)
    assert _uptime([(99.5, day(10))], AFTER).status is Status.OFF_TRACK


def test_threshold_with_a_single_value_attains_one_or_zero():
    plan = plan_of(key_result(target=UPTIME, current=99.95))
    result = score(plan, MID).key_result("kr")
    assert (result.progress, result.attainment) == (1.0, 1.0)
    below = plan_of(key_result(target=Target(2, Direction.AT_MOST, threshold=True), current=3))
    result = score(below, MID).key_result("kr")
    assert (result.progress, result.attainment, result.status) == (0.0, 0.0, Status.OFF_TRACK)


def test_threshold_with_only_a_measurement_before_the_cycle_attains_one_or_zero():
    result = _uptime([(99.95, BEFORE)], MID)
    assert (result.progress, result.attainment, result.status) == (1.0, 1.0, Status.ON_TRACK)


def test_threshold_without_a_cycle_is_never_achieved():
    plan = plan_of(key_result(target=UPTIME), cycle=None)
    result = score(plan, AFTER, [seen(99.95, BEFORE), seen(99.0, day(2))]).key_result("kr")
    assert (result.status, result.attainment) == (Status.OFF_TRACK, 0.5)
    again = score(plan, AFTER, [seen(99.95)]).key_result("kr")
    assert again.status is Status.ON_TRACK


# -- Check-in confidence ---------------------------------------------------------------------


def _confidence(value: float, at: dt.datetime = DAY_4, note: str | None = None) -> CheckIn:
    return CheckIn(key_result="kr", at=at, confidence=value, note=note)


def test_latest_confidence_and_its_note_are_reported():
    check_ins = (
        _confidence(0.9, day(2), "fine"),
        _confidence(0.6, day(5), "slower than hoped"),
        _confidence(0.1, day(8), "after at"),
    )
    result = kr_at(50, check_ins=check_ins)
    assert (result.confidence, result.note) == (0.6, "slower than hoped")
    assert result.status is Status.ON_TRACK


def test_low_confidence_makes_an_on_track_key_result_at_risk():
    result = kr_at(50, check_ins=(_confidence(0.2, note="vendor slipped"),))
    assert result.status is Status.AT_RISK
    assert result.reason == "confidence 0.2 is below 0.3 at the latest check-in"
    assert result.note == "vendor slipped"
    assert result.progress == 0.5  # confidence never changes progress


def test_confidence_of_exactly_three_tenths_is_not_low():
    assert kr_at(50, check_ins=(_confidence(0.3),)).status is Status.ON_TRACK


def test_low_confidence_never_improves_a_status():
    assert kr_at(10, check_ins=(_confidence(0.1),)).status is Status.OFF_TRACK
    assert kr_at(30, check_ins=(_confidence(0.1),)).status is Status.AT_RISK
    assert kr_at(100, check_ins=(_confidence(0.0),)).status is Status.ACHIEVED
    assert kr_at(None, check_ins=(_confidence(0.0),)).status is Status.NO_DATA


def test_low_confidence_applies_to_a_threshold_that_is_met():
    plan = plan_of(key_result(target=UPTIME))
    card = score(plan, MID, [seen(99.95)], [_confidence(0.25)])
    assert card.key_result("kr").status is Status.AT_RISK


def test_low_confidence_after_a_better_one_counts():
    check_ins = (_confidence(0.9, day(2)), _confidence(0.2, day(5)))
    assert kr_at(50, check_ins=check_ins).status is Status.AT_RISK
    assert kr_at(50, check_ins=check_ins, at=day(4)).status is Status.ON_TRACK


# -- Objectives: weights, coverage, status ---------------------------------------------------


def _objective(*values: tuple[str, float | None, float], **plan_fields: object):
    """An objective of key results given as (id, value or None, weight), scored at MID."""
    key_results = [key_result(kr_id, weight=weight) for kr_id, _, weight in values]
    measurements = [seen(v, kr_id=kr_id) for kr_id, v, _ in values if v is not None]
    plan = plan_of(*key_results, **plan_fields)  # type: ignore[arg-type]
    return score(plan, MID, measurements).objective("obj")


def test_objective_score_is_the_weighted_mean_of_progress():
    objective = _objective(("a", 25, 3.0), ("b", 75, 1.0))
    assert (objective.score, objective.coverage) == (0.375, 1.0)
    assert objective.grade is Grade.YELLOW
    assert objective.status is Status.ON_TRACK  # behind 0.5 by 0.125


def test_objective_score_uses_clamped_progress():
    objective = _objective(("a", 150, 1.0), ("b", -50, 1.0))
    assert objective.score == 0.5
    assert [k.attainment for k in objective.key_results] == [1.5, -0.5]


def test_coverage_is_the_share_of_weight_with_data():
    objective = _objective(("a", 50, 3.0), ("b", None, 1.0))
    assert (objective.score, objective.coverage) == (0.5, 0.75)
    assert objective.status is Status.ON_TRACK


def test_all_weights_zero_is_a_plain_mean():
    objective = _objective(("a", 25, 0.0), ("b", 75, 0.0))
    assert (objective.score, objective.coverage) == (0.5, 1.0)
    partial = _objective(("a", 25, 0.0), ("b", None, 0.0))
    assert (partial.score, partial.coverage) == (0.25, 0.5)


def test_a_zero_weight_key_result_is_reported_but_does_not_count():
    objective = _objective(("a", 100, 0.0), ("b", 40, 1.0))
    assert (objective.score, objective.coverage) == (0.4, 1.0)
    assert objective.key_results[0].status is Status.ACHIEVED
    only_weightless = _objective(("a", 100, 0.0), ("b", None, 1.0))
    assert (only_weightless.score, only_weightless.status) == (None, Status.NO_DATA)
    assert only_weightless.coverage == 0.0


def test_objective_without_data_is_no_data():
    objective = _objective(("a", None, 1.0), ("b", None, 1.0))
    assert (objective.score, objective.grade, objective.status) == (None, None, Status.NO_DATA)
    assert objective.coverage == 0.0
    assert objective.expected == 0.5


def test_objective_without_key_results_is_no_data():
    objective = _objective()
    assert (objective.score, objective.status, objective.coverage) == (None, Status.NO_DATA, 0.0)
    assert objective.key_results == ()


def test_objective_is_achieved_when_every_key_result_is():
    objective = _objective(("a", 100, 1.0), ("b", 130, 2.0))
    assert (objective.score, objective.status, objective.grade) == (
        1.0,
        Status.ACHIEVED,
        Grade.GREEN,
    )


def test_objective_is_not_achieved_while_a_key_result_lacks_data():
    objective = _objective(("a", 100, 1.0), ("b", None, 1.0))
    assert (objective.score, objective.coverage, objective.status) == (1.0, 0.5, Status.ON_TRACK)


def test_objective_status_follows_pace_on_its_score():
    assert _objective(("a", 30, 1.0)).status is Status.AT_RISK
    assert _objective(("a", 10, 1.0)).status is Status.OFF_TRACK
    aspirational = _objective(("a", 30, 1.0), kind=Kind.ASPIRATIONAL)
    assert (aspirational.expected, aspirational.status) == (0.35, Status.ON_TRACK)


def test_objective_reports_its_kind_and_bar():
    committed = _objective(("a", 30, 1.0))
    aspirational = _objective(("a", 30, 1.0), kind=Kind.ASPIRATIONAL)
    assert (committed.kind, committed.bar) == (Kind.COMMITTED, 1.0)
    assert (aspirational.kind, aspirational.bar) == (Kind.ASPIRATIONAL, 0.7)


# -- Tasks, beside progress -----------------------------------------------------------------


def _projects() -> tuple[Project, ...]:
    campaign = Project(
        id="campaign",
        title="Campaign",
        objective="obj",
        tasks=(
            Task("Roadmap", status=TaskStatus.DONE),
            Task("Press release", status=TaskStatus.DONE, key_results=("kr",)),
            Task("Videos", status=TaskStatus.DOING, key_results=("kr",)),
            Task("Print ads", status=TaskStatus.DROPPED, key_results=("kr",)),
            Task("Email", status=TaskStatus.TODO),
        ),
    )
    side = Project(
        id="side",
        title="Side work",
        tasks=(Task("Blog post", status=TaskStatus.DONE, key_results=("kr", "other")),),
    )
    return campaign, side


def test_project_task_completion_leaves_dropped_tasks_out():
    plan = plan_of(key_result(), projects=_projects())
    card = score(plan, MID)
    campaign = card.project("campaign")
    assert (campaign.tasks_done, campaign.tasks_total, campaign.objective) == (2, 4, "obj")
    side = card.project("side")
    assert (side.tasks_done, side.tasks_total, side.objective) == (1, 1, None)


def test_key_result_task_completion_gathers_tasks_from_every_project():
    plan = plan_of(key_result(), projects=_projects())
    result = score(plan, MID, [seen(0)]).key_result("kr")
    assert (result.tasks_done, result.tasks_total) == (2, 3)
    assert (result.progress, result.status) == (0.0, Status.OFF_TRACK)  # tasks are not results


def test_a_project_without_tasks_has_zero_of_zero():
    plan = plan_of(key_result(), projects=(Project(id="empty", title="Empty"),))
    empty = score(plan, MID).project("empty")
    assert (empty.tasks_done, empty.tasks_total) == (0, 0)
    assert score(plan, MID).key_result("kr").tasks_total == 0


# -- The scorecard --------------------------------------------------------------------------


def test_lookups_by_id_and_unknown_ids():
    card = score(plan_of(key_result(), projects=_projects()), MID)
    assert card.objective("obj").id == "obj"
    assert card.key_result("kr").title == "Key result kr"
    assert card.project("side").title == "Side work"
    for lookup, name in ((card.objective, "objective"), (card.key_result, "key result")):
        with pytest.raises(UnknownIdError, match=f"no {name} with id 'nope'") as caught:
            lookup("nope")
        assert isinstance(caught.value, LookupError)
        assert isinstance(caught.value, OkrkitError)
    with pytest.raises(UnknownIdError, match="known: campaign, side"):
        card.project("nope")


def test_scorecard_to_dict_is_the_json_contract():
    plan = plan_of(
        key_result("views", Target(100_000, Direction.AT_LEAST)),
        key_result("mentions", Target(0.4, Direction.INCREASE, relative=True)),
        kind=Kind.ASPIRATIONAL,
        projects=(
            Project(
                id="campaign",
                title="Campaign",
                objective="obj",
                tasks=(Task("Videos", status=TaskStatus.DONE, key_results=("views",)),),
            ),
        ),
    )
    check_in = CheckIn(key_result="views", at=day(5), confidence=0.5, note="steady")
    card = score(plan, MID, [seen(25_000, day(5), "views")], [check_in])
    data = card.to_dict()
    assert json.loads(json.dumps(data)) == data
    assert data == {
        "at": "2026-07-06T00:00:00+00:00",
        "objectives": [
            {
                "id": "obj",
                "title": "Launch well",
                "kind": "aspirational",
                "bar": 0.7,
                "score": 0.25,
                "grade": "red",
                "status": "on_track",
                "expected": 0.35,
                "coverage": 0.5,
                "key_results": [
                    {
                        "id": "views",
                        "title": "Key result views",
                        "value": 25_000.0,
                        "target": 100_000.0,
                        "baseline": 0.0,
                        "baseline_known": True,
                        "progress": 0.25,
                        "attainment": 0.25,
                        "met": False,
                        "status": "on_track",
                        "grade": "red",
                        "expected": 0.35,
                        "confidence": 0.5,
                        "note": "steady",
                        "observed_at": "2026-07-05T00:00:00+00:00",
                        "tasks_done": 1,
                        "tasks_total": 1,
                        "reason": None,
                    },
                    {
                        "id": "mentions",
                        "title": "Key result mentions",
                        "value": None,
                        "target": None,
                        "baseline": None,
                        "baseline_known": False,
                        "progress": None,
                        "attainment": None,
                        "met": None,
                        "status": "no_data",
                        "grade": None,
                        "expected": 0.35,
                        "confidence": None,
                        "note": None,
                        "observed_at": None,
                        "tasks_done": 0,
                        "tasks_total": 0,
                        "reason": "needs a baseline: a relative target (up or down by a share) "
                        "resolves against the value at the start; set target.baseline",
                    },
                ],
            }
        ],
        "projects": [
            {
                "id": "campaign",
                "title": "Campaign",
                "objective": "obj",
                "tasks_done": 1,
                "tasks_total": 1,
            }
        ],
    }


def test_to_dict_keeps_floats_unrounded():
    plan = plan_of(key_result(target=Target(3, Direction.INCREASE)))
    data = score(plan, MID, [seen(1)]).to_dict()
    key_result_data = data["objectives"][0]["key_results"][0]
    assert key_result_data["progress"] == 1 / 3
    assert data["objectives"][0]["score"] == 1 / 3


def test_scorecard_is_immutable_and_comparable():
    plan = plan_of(key_result())
    first = score(plan, MID, [seen(40)])
    assert first == score(plan, MID, [seen(40)])
    assert isinstance(first, Scorecard)
    with pytest.raises(AttributeError):
        first.at = AFTER  # type: ignore[misc]


def test_the_seed_example_mid_cycle():
    q3 = Cycle.parse("2026-Q3")
    objective = Objective(
        id="launch-buzz",
        title="Stir up a user-generated buzz around the new product launch",
        kind=Kind.ASPIRATIONAL,
        key_results=(
            KeyResult(
                id="mentions",
                title="Organic social media mentions up by 40%",
                target=Target(0.4, Direction.INCREASE, baseline=500, relative=True),
            ),
            KeyResult(
                id="youtube-views",
                title="YouTube video views over 100k",
                target=Target(100_000, Direction.AT_LEAST),
            ),
            KeyResult(
                id="signups",
                title="Pre-release sign-ups over 5k",
                target=Target(5_000, Direction.AT_LEAST),
            ),
        ),
    )
    plan = Plan(objectives=(objective,), cycle=q3)
    at = dt.datetime(2026, 8, 16, tzinfo=dt.UTC)  # 46 of 92 days: half way
    card = score(
        plan,
        at,
        [
            Measurement("mentions", 600, dt.datetime(2026, 8, 14, tzinfo=dt.UTC)),
            Measurement("youtube-views", 30_000, dt.datetime(2026, 8, 15, tzinfo=dt.UTC)),
            Measurement("signups", 5_200, dt.datetime(2026, 8, 10, tzinfo=dt.UTC)),
        ],
    )
    buzz = card.objective("launch-buzz")
    assert buzz.expected == 0.5 * 0.7
    assert [(k.id, k.progress, k.status) for k in buzz.key_results] == [
        ("mentions", 0.5, Status.ON_TRACK),
        ("youtube-views", 0.3, Status.ON_TRACK),
        ("signups", 1.0, Status.ACHIEVED),
    ]
    assert buzz.score == pytest.approx(0.6)
    assert (buzz.grade, buzz.status) == (Grade.YELLOW, Status.ON_TRACK)
