"""Forecasts: Theil-Sen projection to the cycle's end, interval, probability and run-rates."""

from __future__ import annotations

import datetime as dt
import importlib
import math
from statistics import NormalDist

import pytest
from hypothesis import given
from hypothesis import strategies as st

from okrkit.errors import ModelError
from okrkit.forecast import MAX_PAIRED_POINTS, Forecast, forecast, forecast_plan
from okrkit.model import Cycle, Direction, KeyResult, Measurement, Objective, Plan, Target

# the module itself (okrkit may export a function of the same name)
forecast_module = importlib.import_module("okrkit.forecast")

# 2026-Q3: 2026-07-01 00:00Z to 2026-10-01 00:00Z, 92 days. x is counted in days from its start.
CYCLE = Cycle.parse("2026-Q3")
START = CYCLE.starts_at
END_DAY = 92.0
Z80 = NormalDist().inv_cdf(0.9)


def day(x: float) -> dt.datetime:
    return START + dt.timedelta(days=x)


def series(key_result: str, points: list[tuple[float, float]]) -> list[Measurement]:
    return [Measurement(key_result, value, day(x)) for x, value in points]


def signups(goal: float = 5000) -> KeyResult:
    return KeyResult("signups", "Pre-release sign-ups over 5k", Target(goal, "at_least"))


def churn(goal: float = 2.0) -> KeyResult:
    return KeyResult("churn", "Reduce churn from 5% to 2%", Target(goal, "decrease", baseline=5.0))


def least_squares_slope(points: list[tuple[float, float]]) -> float:
    mean_x = sum(x for x, _ in points) / len(points)
    mean_y = sum(y for _, y in points) / len(points)
    sxy = sum((x - mean_x) * (y - mean_y) for x, y in points)
    sxx = sum((x - mean_x) ** 2 for x, _ in points)
    return sxy / sxx


# -- A perfect line ---------------------------------------------------------------------------

# 350 sign-ups a week, measured weekly for four weeks: 0, 350, ..., 1400; `at` is day 28.
LINE = series("signups", [(7.0 * w, 350.0 * w) for w in range(5)])


def test_a_perfect_line_below_the_goal_projects_exactly_and_cannot_make_it():
    result = forecast(signups(5000), CYCLE, LINE, day(28))
    assert result == Forecast(
        key_result="signups",
        value_at_end=4600.0,  # 50 a day for 92 days
        low=4600.0,
        high=4600.0,
        probability=0.0,
        needed_per_week=393.75,  # (5000 - 1400) over the 64 days (64/7 weeks) left
        rate_per_week=350.0,
        points=5,
        enough_data=True,
        reason=None,
    )


def test_a_perfect_line_above_the_goal_is_certain():
    result = forecast(signups(4000), CYCLE, LINE, day(28))
    assert result.value_at_end == 4600.0
    assert result.low == result.high == 4600.0
    assert result.probability == 1.0
    assert result.needed_per_week == pytest.approx(2600 * 7 / 64, rel=1e-12)  # not met yet
    assert result.rate_per_week == 350.0


def test_a_line_with_float_noise_still_collapses_the_interval():
    # 0.1 a day: the residuals are rounding noise (~1e-16), not spread
    points = [(float(x), 0.1 * x) for x in range(11)]
    result = forecast(signups(9.0), CYCLE, series("signups", points), day(10))
    assert result.value_at_end == pytest.approx(9.2, rel=1e-12)
    assert result.low == result.high == result.value_at_end
    assert result.probability == 1.0
    assert result.rate_per_week == pytest.approx(0.7, rel=1e-12)


def test_a_goal_met_exactly_by_the_line_counts_as_reached():
    result = forecast(signups(4600), CYCLE, LINE, day(28))
    assert result.probability == 1.0


def test_the_goal_already_met_needs_nothing_more():
    result = forecast(signups(1000), CYCLE, LINE, day(28))
    assert result.needed_per_week == 0.0
    assert result.probability == 1.0


def test_a_flat_series_stays_where_it_is():
    points = [(float(x), 42.0) for x in range(0, 29, 4)]
    result = forecast(signups(50), CYCLE, series("signups", points), day(28))
    assert result.value_at_end == 42.0
    assert result.low == result.high == 42.0
    assert result.rate_per_week == 0.0
    assert result.probability == 0.0
    assert result.needed_per_week == pytest.approx(8 * 7 / 64, rel=1e-12)
    assert result.points == 8


# -- Noise and the interval -------------------------------------------------------------------


def test_the_interval_follows_the_formula_with_the_mad():
    # y = 10x + r, r alternating +1/-1 on days 0..5: Theil-Sen recovers slope 10 and intercept 0
    # exactly; the residuals are r, so the MAD is 1 and the spread 1.4826.
    points = [(float(x), 10.0 * x + (1 if x % 2 == 0 else -1)) for x in range(6)]
    result = forecast(signups(1000), CYCLE, series("signups", points), day(5))
    assert result.rate_per_week == 70.0
    assert result.value_at_end == 920.0
    mean_x, sxx, n = 2.5, 17.5, 6
    spread = 1.4826 * math.sqrt(1 + 1 / n + (END_DAY - mean_x) ** 2 / sxx)
    assert result.high - result.value_at_end == pytest.approx(Z80 * spread, rel=1e-12)
    assert result.value_at_end - result.low == pytest.approx(Z80 * spread, rel=1e-12)
    expected = 1 - NormalDist(920.0, spread).cdf(1000.0)
    assert result.probability == pytest.approx(expected, rel=1e-12)
    assert result.needed_per_week == pytest.approx((1000 - 49) * 7 / 87, rel=1e-12)


def test_a_wider_level_gives_a_wider_interval():
    points = [(float(x), 10.0 * x + (1 if x % 2 == 0 else -1)) for x in range(6)]
    narrow = forecast(signups(), CYCLE, series("signups", points), day(5))
    wide = forecast(signups(), CYCLE, series("signups", points), day(5), level=0.95)
    ratio = NormalDist().inv_cdf(0.975) / Z80
    assert wide.value_at_end == narrow.value_at_end
    assert wide.high - wide.low == pytest.approx(ratio * (narrow.high - narrow.low), rel=1e-12)


def test_the_mean_absolute_deviation_stands_in_when_the_mad_is_zero():
    # residuals 0, -2, 0, -2, 0: most points on the line, so the MAD is 0 although they are not
    # on one line; the spread is then 1.2533 * the mean absolute deviation (0.8).
    points = [(float(x), 10.0 * x + (1 if x % 2 == 0 else -1)) for x in range(5)]
    result = forecast(signups(), CYCLE, series("signups", points), day(4))
    assert result.rate_per_week == 70.0
    assert result.value_at_end == 921.0  # the intercept is the median of the residuals, 1
    spread = 1.2533 * 0.8 * math.sqrt(1 + 1 / 5 + (END_DAY - 2) ** 2 / 10)
    assert result.high - result.low == pytest.approx(2 * Z80 * spread, rel=1e-12)


def test_one_wild_outlier_does_not_move_theil_sen_but_moves_least_squares():
    noise = [0.4, -0.3, 0.2, -0.5, 0.1, 0.3, -0.2, -0.4, 0.5, 0.0, -0.1, 0.2, -0.3, 0.4]
    points = [(2.0 * i, 100.0 + 10.0 * 2 * i + e) for i, e in enumerate(noise)]
    x_last, y_last = points[-1]
    points[-1] = (x_last, y_last + 600.0)  # a double count on the last day: high leverage
    result = forecast(signups(1000), CYCLE, series("signups", points), day(26))
    assert result.rate_per_week is not None
    assert result.rate_per_week / 7 == pytest.approx(10.0, abs=0.1)
    assert least_squares_slope(points) == pytest.approx(18.6, abs=0.1)  # off by almost double
    assert result.value_at_end == pytest.approx(100 + 10 * END_DAY, abs=5)
    # the outlier does not blow up the spread either: the interval stays narrow
    assert result.low is not None
    assert result.high is not None
    assert result.high - result.low < 30
    assert result.low <= 100 + 10 * END_DAY <= result.high
    assert result.probability == pytest.approx(1.0, abs=1e-6)


# -- Direction --------------------------------------------------------------------------------


def test_a_trend_the_wrong_way_has_almost_no_chance():
    points = [(float(x), 3000.0 - 20.0 * x + (5 if x % 3 == 0 else -5)) for x in range(0, 30, 3)]
    result = forecast(signups(5000), CYCLE, series("signups", points), day(28))
    assert result.probability is not None
    assert result.probability < 0.001
    assert result.rate_per_week is not None
    assert result.needed_per_week is not None
    assert result.rate_per_week < 0 < result.needed_per_week


def test_churn_going_down_too_slowly():
    # 5% falling 0.03 points a day: 2.24% at the end, short of 2%
    points = [(7.0 * w, 5.0 - 0.21 * w) for w in range(5)]
    result = forecast(churn(2.0), CYCLE, series("churn", points), day(28))
    assert result.value_at_end == pytest.approx(2.24, rel=1e-12)
    assert result.low == result.high == result.value_at_end
    assert result.probability == 0.0
    assert result.rate_per_week == pytest.approx(-0.21, rel=1e-12)
    assert result.needed_per_week == pytest.approx((2.0 - 4.16) * 7 / 64, rel=1e-12)
    assert result.needed_per_week < result.rate_per_week  # must fall faster than it does


def test_churn_going_down_fast_enough():
    points = [(7.0 * w, 5.0 - 0.28 * w) for w in range(5)]  # 0.04 a day: 1.32% at the end
    result = forecast(churn(2.0), CYCLE, series("churn", points), day(28))
    assert result.value_at_end == pytest.approx(1.32, rel=1e-12)
    assert result.probability == 1.0
    assert result.needed_per_week == pytest.approx((2.0 - 3.88) * 7 / 64, rel=1e-12)


def test_noisy_churn_uses_the_lower_tail():
    points = [(float(x), 5.0 - 0.04 * x + (0.1 if x % 2 == 0 else -0.1)) for x in range(6)]
    result = forecast(churn(2.0), CYCLE, series("churn", points), day(5))
    assert result.value_at_end == pytest.approx(5.0 - 0.04 * END_DAY, rel=1e-12)
    spread = 0.1 * 1.4826 * math.sqrt(1 + 1 / 6 + (END_DAY - 2.5) ** 2 / 17.5)
    expected = NormalDist(5.0 - 0.04 * END_DAY, spread).cdf(2.0)
    assert result.probability == pytest.approx(expected, rel=1e-9)
    assert 0.5 < result.probability < 1.0


def test_churn_already_below_the_goal_needs_nothing():
    points = [(7.0 * w, 2.5 - 0.2 * w) for w in range(5)]
    result = forecast(churn(2.0), CYCLE, series("churn", points), day(28))
    assert result.needed_per_week == 0.0


def test_a_threshold_is_judged_on_the_projected_end_value():
    uptime = KeyResult(
        "uptime", "Keep uptime above 99.9%", Target(99.9, Direction.AT_LEAST, threshold=True)
    )
    points = [(float(x), 99.95 + (0.01 if x % 2 == 0 else -0.01)) for x in range(6)]
    result = forecast(uptime, CYCLE, series("uptime", points), day(5))
    assert result.value_at_end == pytest.approx(99.95, abs=1e-9)
    assert result.rate_per_week == 0.0
    spread = 0.01 * 1.4826 * math.sqrt(1 + 1 / 6 + (END_DAY - 2.5) ** 2 / 17.5)
    assert result.probability == pytest.approx(1 - NormalDist(99.95, spread).cdf(99.9), rel=1e-9)
    assert result.needed_per_week == 0.0


# -- Not enough data ---------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("points", "reason"),
    [
        ([], "no values in the cycle; a forecast needs at least 3"),
        ([(3.0, 100.0)], "1 value in the cycle; a forecast needs at least 3"),
        ([(3.0, 100.0), (10.0, 200.0)], "2 values in the cycle; a forecast needs at least 3"),
    ],
)
def test_too_few_points_is_not_enough_data(points, reason):
    result = forecast(signups(), CYCLE, series("signups", points), day(20))
    assert result == Forecast(
        key_result="signups",
        value_at_end=None,
        low=None,
        high=None,
        probability=None,
        needed_per_week=None,
        rate_per_week=None,
        points=len(points),
        enough_data=False,
        reason=reason,
    )


def test_points_within_a_day_are_not_enough_data():
    points = [(3.0, 100.0), (3.2, 150.0), (3.9, 180.0)]
    result = forecast(signups(), CYCLE, series("signups", points), day(20))
    assert not result.enough_data
    assert result.reason == (
        "the 3 values in the cycle span less than a day; a forecast needs values at least a day "
        "apart"
    )
    assert result.points == 3
    assert result.value_at_end is None


def test_before_the_cycle_starts_is_not_enough_data():
    early = series("signups", [(-30.0, 10.0), (-20.0, 20.0), (-10.0, 30.0)])
    result = forecast(signups(), CYCLE, early, day(-1))
    assert not result.enough_data
    assert result.reason == "the cycle has not started: it starts on 2026-07-01"
    assert result.value_at_end is None


def test_values_before_the_cycle_do_not_count():
    mixed = series("signups", [(-30.0, 10.0), (-20.0, 20.0), (5.0, 30.0), (9.0, 40.0)])
    result = forecast(signups(), CYCLE, mixed, day(20))
    assert result.reason == "2 values in the cycle; a forecast needs at least 3"


def test_a_relative_target_without_baseline_is_not_enough_data():
    mentions = KeyResult(
        "mentions",
        "Organic social media mentions up by 40%",
        Target(0.4, "increase", relative=True),
    )
    points = series("mentions", [(7.0 * w, 100.0 + 10.0 * w) for w in range(5)])
    result = forecast(mentions, CYCLE, points, day(28))
    assert not result.enough_data
    assert result.reason is not None
    assert result.reason.startswith("needs a baseline")
    assert result.points == 5
    given_baseline = forecast(mentions, CYCLE, points, day(28), baseline=100.0)
    assert given_baseline.enough_data
    assert given_baseline.value_at_end == pytest.approx(100 + 10 * 92 / 7, rel=1e-12)
    assert given_baseline.needed_per_week == 0.0  # 140 on day 28: the goal, 140, is met


def test_a_key_result_without_target_or_cycle_is_not_enough_data():
    bare = KeyResult("signups", "Pre-release sign-ups")
    assert forecast(bare, CYCLE, LINE, day(28)).reason == (
        "has no target: give the key result a goal to forecast against"
    )
    no_cycle = forecast(signups(), None, LINE, day(28))
    assert not no_cycle.enough_data
    assert no_cycle.reason == "has no cycle: a forecast projects to the cycle's end"


# -- Filtering -------------------------------------------------------------------------------


def test_measurements_after_at_are_ignored():
    later = series("signups", [(40.0, 99_999.0), (50.0, -5.0), (95.0, 7.0)])
    assert forecast(signups(), CYCLE, [*LINE, *later], day(28)) == forecast(
        signups(), CYCLE, LINE, day(28)
    )


def test_other_key_results_are_ignored():
    others = series("mentions", [(1.0, 1e6), (2.0, -1e6), (3.0, 0.0), (4.0, 5.0)])
    assert forecast(signups(), CYCLE, [*others, *LINE], day(28)) == forecast(
        signups(), CYCLE, LINE, day(28)
    )


def test_the_order_of_measurements_does_not_matter():
    assert forecast(signups(), CYCLE, LINE[::-1], day(28)) == forecast(
        signups(), CYCLE, LINE, day(28)
    )


def test_a_naive_at_is_utc():
    naive = day(28).replace(tzinfo=None)
    assert forecast(signups(), CYCLE, LINE, naive) == forecast(signups(), CYCLE, LINE, day(28))


def test_a_level_outside_zero_to_one_is_refused():
    for level in (0.0, 1.0, 1.5, -0.2):
        with pytest.raises(ModelError, match="level"):
            forecast(signups(), CYCLE, LINE, day(28), level=level)


# -- After the cycle ---------------------------------------------------------------------------


def test_after_the_end_the_last_value_is_the_result():
    points = [(10.0, 1000.0), (40.0, 3000.0), (80.0, 5100.0), (91.5, 4900.0)]
    after = series("signups", [(93.0, 9000.0)])  # after the end, before `at`: not the result
    result = forecast(signups(5000), CYCLE, [*series("signups", points), *after], day(100))
    assert result.value_at_end == 4900.0
    assert result.low == result.high == 4900.0
    assert result.probability == 0.0  # 4900 falls short of 5000
    assert result.needed_per_week is None
    assert result.rate_per_week is not None  # the trend over the cycle, still reported
    assert result.points == 4
    assert result.enough_data
    met = forecast(signups(4800), CYCLE, series("signups", points), day(100))
    assert met.probability == 1.0


def test_after_the_end_one_value_is_enough_but_gives_no_rate():
    result = forecast(churn(2.0), CYCLE, series("churn", [(60.0, 1.9)]), day(120))
    assert result.enough_data
    assert result.value_at_end == result.low == result.high == 1.9
    assert result.probability == 1.0
    assert result.rate_per_week is None
    assert result.needed_per_week is None


def test_after_the_end_with_no_value_is_not_enough_data():
    result = forecast(signups(), CYCLE, series("signups", [(95.0, 1.0)]), day(120))
    assert not result.enough_data
    assert result.reason == "the cycle is over with no values in it"


def test_at_the_end_instant_the_cycle_is_over():
    result = forecast(signups(4000), CYCLE, LINE, CYCLE.ends_at)
    assert result.value_at_end == 1400.0
    assert result.probability == 0.0
    assert result.needed_per_week is None


# -- Many points -------------------------------------------------------------------------------


def test_many_points_are_subsampled_evenly_and_deterministically():
    count = 1000
    points = [(80.0 * i / count, 3.0 * 80.0 * i / count) for i in range(count)]
    measured = series("signups", points)
    result = forecast(signups(300), CYCLE, measured, day(80))
    assert result.points == count
    assert result.rate_per_week == pytest.approx(21.0, rel=1e-9)
    assert result.value_at_end == pytest.approx(3.0 * END_DAY, rel=1e-9)
    assert result == forecast(signups(300), CYCLE, measured[::-1], day(80))


def test_evenly_spaced_keeps_the_ends():
    chosen = forecast_module._evenly_spaced(1000, MAX_PAIRED_POINTS)
    assert len(chosen) == MAX_PAIRED_POINTS
    assert chosen[0] == 0
    assert chosen[-1] == 999
    assert forecast_module._evenly_spaced(5, MAX_PAIRED_POINTS) == [0, 1, 2, 3, 4]


# -- A plan ------------------------------------------------------------------------------------


def test_forecast_plan_uses_each_objectives_cycle():
    july = Cycle.parse("2026-07")
    plan = Plan(
        cycle=CYCLE,
        objectives=[
            Objective("launch", "Launch", key_results=[signups(5000)]),
            Objective("retain", "Retain", key_results=[churn(2.0)], cycle=july),
        ],
    )
    measured = [*LINE, *series("churn", [(7.0 * w, 5.0 - 0.21 * w) for w in range(4)])]
    result = forecast_plan(plan, measured, day(22))
    assert list(result) == ["signups", "churn"]
    assert result["signups"] == forecast(signups(5000), CYCLE, LINE, day(22))
    # the churn cycle is July: 31 days, 5.0 - 0.03 * 31 at its end
    assert result["churn"].value_at_end == pytest.approx(4.07, rel=1e-12)
    assert result["churn"].needed_per_week == pytest.approx((2.0 - 4.37) * 7 / 9, rel=1e-12)


def test_to_dict_has_exactly_the_report_keys():
    data = forecast(signups(), CYCLE, LINE, day(28)).to_dict()
    assert data == {
        "value_at_end": 4600.0,
        "low": 4600.0,
        "high": 4600.0,
        "probability": 0.0,
        "needed_per_week": 393.75,
        "rate_per_week": 350.0,
        "points": 5,
        "enough_data": True,
        "reason": None,
    }


# -- Properties --------------------------------------------------------------------------------

_point = st.tuples(
    st.floats(min_value=-10, max_value=100, allow_nan=False),
    st.floats(min_value=-1e6, max_value=1e6, allow_nan=False),
)


@given(
    points=st.lists(_point, max_size=15),
    at_day=st.floats(min_value=-5, max_value=110, allow_nan=False),
    goal=st.floats(min_value=-1e6, max_value=1e6, allow_nan=False),
    direction=st.sampled_from(list(Direction)),
    level=st.floats(min_value=0.01, max_value=0.99),
)
def test_the_interval_holds_the_value_and_the_probability_is_a_probability(
    points, at_day, goal, direction, level
):
    key_result = KeyResult("kr", "A key result", Target(goal, direction))
    result = forecast(key_result, CYCLE, series("kr", points), day(at_day), level=level)
    if result.enough_data:
        assert result.low is not None
        assert result.value_at_end is not None
        assert result.high is not None
        assert result.low <= result.value_at_end <= result.high
        assert result.probability is not None
        assert 0.0 <= result.probability <= 1.0
        assert result.reason is None
    else:
        assert result.reason
        assert result.value_at_end is None
        assert result.probability is None
