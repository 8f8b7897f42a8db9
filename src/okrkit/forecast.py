"""Forecasts: where a key result is heading by the end of its cycle, and how likely it gets there.

Pure functions over the immutable model: no I/O and no clock (`at` is passed in). The method,
written out with its formulas in ``docs/reference/forecast.md``:

- the line is a Theil-Sen regression over the cycle's measurements up to `at` (slope = the
  median of the pairwise slopes, intercept = the median of ``y - slope * x``), robust to a wild
  point; beyond `MAX_PAIRED_POINTS` measurements the slope is taken over that many evenly spaced
  ones (the first and last always among them);
- the spread is a robust scale of the residuals, ``1.4826 * MAD`` (falling back to
  ``1.2533 * mean absolute deviation`` when more than half the residuals are zero), widened at
  the cycle's end by ``sqrt(1 + 1/n + (x_end - mean(x))^2 / Sxx)``;
- the interval and the probability of reaching the goal use the normal distribution with that
  spread; with no spread at all the interval is the line and the probability is 1.0 or 0.0;
- too few measurements (fewer than three, or spanning less than a day), no goal, no cycle or a
  cycle not yet started give ``enough_data=False`` with a reason in words, never a made-up line.
"""

from __future__ import annotations

import datetime as dt
import math
from statistics import NormalDist, fmean, median
from typing import TYPE_CHECKING, Any

import attrs

from okrkit.errors import ModelError

if TYPE_CHECKING:
    from collections.abc import Iterable, Sequence

    from okrkit.model import Cycle, KeyResult, Measurement, Plan, Target

__all__ = ["MAX_PAIRED_POINTS", "MIN_POINTS", "Forecast", "forecast", "forecast_plan"]

#: A forecast needs at least this many measurements in the cycle.
MIN_POINTS = 3
#: The slope is the median over all pairs of up to this many measurements (44,850 pairs);
#: beyond, over this many evenly spaced ones.
MAX_PAIRED_POINTS = 300

_DAY = 86_400.0
#: 1.4826 * MAD estimates the standard deviation of normal noise.
_MAD_SCALE = 1.4826
#: sqrt(pi / 2) * mean absolute deviation estimates it too: the fallback when the MAD is zero.
_MEAN_AD_SCALE = 1.2533
#: A spread this small next to the values is float noise around an exact line: no spread.
_RELATIVE_NOISE = 1e-12


@attrs.frozen
class Forecast:
    """A key result's projection to the end of its cycle.

    `value_at_end` is the value projected at the cycle's end (after the end: the last value
    measured in the cycle), `low`..`high` the interval around it, `probability` the chance
    (0..1) of meeting the goal by the end. `needed_per_week` is the change per week still
    needed from the latest value to reach the goal by the end (0 when already met, None once
    the cycle is over) and `rate_per_week` the current trend (the regression slope); both are
    signed, in the metric's unit per week. `points` counts the cycle's measurements up to
    `at`. With `enough_data` false the numbers are None and `reason` says why.
    """

    key_result: str
    value_at_end: float | None
    low: float | None
    high: float | None
    probability: float | None
    needed_per_week: float | None
    rate_per_week: float | None
    points: int
    enough_data: bool
    reason: str | None

    def to_dict(self) -> dict[str, Any]:
        """JSON-ready data: the ``forecast`` object of a key result in the report data."""
        return {
            "value_at_end": self.value_at_end,
            "low": self.low,
            "high": self.high,
            "probability": self.probability,
            "needed_per_week": self.needed_per_week,
            "rate_per_week": self.rate_per_week,
            "points": self.points,
            "enough_data": self.enough_data,
            "reason": self.reason,
        }


# -- The line -----------------------------------------------------------------------------


@attrs.frozen
class _Line:
    """A fitted line over (days since the cycle's start, value) and its residual spread."""

    slope: float  # per day
    intercept: float
    spread: float  # robust standard deviation of the residuals
    mean_x: float
    sxx: float  # sum of squared deviations of x from its mean
    n: int

    def at(self, x: float) -> float:
        return self.intercept + self.slope * x

    def spread_at(self, x: float) -> float:
        """The spread of a value measured at `x`: wider the farther `x` is from the data."""
        if self.spread == 0.0:
            return 0.0
        return self.spread * math.sqrt(1.0 + 1.0 / self.n + (x - self.mean_x) ** 2 / self.sxx)


def _evenly_spaced(count: int, keep: int) -> list[int]:
    """`keep` indices spread evenly over ``range(count)``, first and last included."""
    if count <= keep:
        return list(range(count))
    return sorted({round(i * (count - 1) / (keep - 1)) for i in range(keep)})


def _theil_sen_slope(xs: Sequence[float], ys: Sequence[float]) -> float:
    chosen = _evenly_spaced(len(xs), MAX_PAIRED_POINTS)
    slopes = [
        (ys[j] - ys[i]) / (xs[j] - xs[i])
        for a, i in enumerate(chosen)
        for j in chosen[a + 1 :]
        if xs[j] != xs[i]
    ]
    return median(slopes)


def _robust_spread(residuals: Sequence[float], magnitude: float) -> float:
    centre = median(residuals)
    deviations = [abs(r - centre) for r in residuals]
    spread = _MAD_SCALE * median(deviations)
    if spread == 0.0:  # more than half the residuals sit on the line: the MAD cannot see the rest
        spread = _MEAN_AD_SCALE * fmean(deviations)
    return 0.0 if spread <= _RELATIVE_NOISE * max(1.0, magnitude) else spread


def _fit(xs: Sequence[float], ys: Sequence[float]) -> _Line:
    """Theil-Sen over points sorted by x, with at least two distinct x."""
    slope = _theil_sen_slope(xs, ys)
    intercept = median([y - slope * x for x, y in zip(xs, ys, strict=True)])
    residuals = [y - (intercept + slope * x) for x, y in zip(xs, ys, strict=True)]
    mean_x = fmean(xs)
    return _Line(
        slope=slope,
        intercept=intercept,
        spread=_robust_spread(residuals, max(abs(y) for y in ys)),
        mean_x=mean_x,
        sxx=math.fsum((x - mean_x) ** 2 for x in xs),
        n=len(xs),
    )


# -- One key result -------------------------------------------------------------------------


def _aware(moment: dt.datetime) -> dt.datetime:
    if moment.tzinfo is None or moment.utcoffset() is None:
        return moment.replace(tzinfo=dt.UTC)
    return moment


def _days(since: dt.datetime, moment: dt.datetime) -> float:
    return (moment - since).total_seconds() / _DAY


def _values(count: int) -> str:
    return "no values" if count == 0 else f"{count} value{'' if count == 1 else 's'}"


def _missing_goal(target: Target | None, baseline: float | None) -> str | None:
    if target is None:
        return "has no target: give the key result a goal to forecast against"
    if target.goal(baseline) is None:
        return (
            "needs a baseline: a relative target (up or down by a share) resolves against the "
            "value at the start; set target.baseline"
        )
    return None


def _reaches(target: Target, value: float, goal: float) -> bool:
    """Whether `value` meets `goal`, forgiving float noise around an exact hit."""
    slack = 1e-9 * max(1.0, abs(goal))
    if target.direction.higher_is_better:
        return value >= goal - slack
    return value <= goal + slack


def _probability(target: Target, centre: float, spread: float, goal: float) -> float:
    if spread == 0.0:
        return 1.0 if _reaches(target, centre, goal) else 0.0
    below = NormalDist(centre, spread).cdf(goal)
    return 1.0 - below if target.direction.higher_is_better else below


def _needed_per_week(target: Target, latest: float, goal: float, days_left: float) -> float | None:
    if days_left <= 0:
        return None
    if _reaches(target, latest, goal):
        return 0.0
    return (goal - latest) * 7.0 / days_left


def _not_enough(key_result: KeyResult, points: int, reason: str) -> Forecast:
    return Forecast(
        key_result=key_result.id,
        value_at_end=None,
        low=None,
        high=None,
        probability=None,
        needed_per_week=None,
        rate_per_week=None,
        points=points,
        enough_data=False,
        reason=reason,
    )


def forecast(
    key_result: KeyResult,
    cycle: Cycle | None,
    measurements: Sequence[Measurement],
    at: dt.datetime,
    *,
    baseline: float | None = None,
    level: float = 0.8,
) -> Forecast:
    """Project `key_result` to the end of `cycle` from its measurements in the cycle up to `at`.

    `measurements` may hold other key results' values and values outside the cycle or after
    `at`: they are ignored. `baseline` resolves a relative target that has none of its own.
    `level` is the interval's coverage (0.8: an 80% interval). A naive `at` is taken as UTC.
    See ``docs/reference/forecast.md`` for the method and the rules.
    """
    if not isinstance(level, int | float) or isinstance(level, bool) or not 0 < level < 1:
        raise ModelError(
            f"must be a number between 0 and 1 (exclusive), got {level!r}",
            field="level",
            owner="forecast",
        )
    moment = _aware(at)
    target = key_result.target
    if cycle is None:
        return _not_enough(key_result, 0, "has no cycle: a forecast projects to the cycle's end")
    if moment < cycle.starts_at:
        return _not_enough(
            key_result, 0, f"the cycle has not started: it starts on {cycle.start.isoformat()}"
        )
    found = sorted(
        (
            m
            for m in measurements
            if m.key_result == key_result.id
            and m.observed_at <= moment
            and cycle.starts_at <= m.observed_at < cycle.ends_at
        ),
        key=lambda m: m.observed_at,  # stable: on equal times the later one in the input is last
    )
    count = len(found)
    if (why := _missing_goal(target, baseline)) is not None:
        return _not_enough(key_result, count, why)
    assert target is not None  # noqa: S101  # _missing_goal said so
    goal = target.goal(baseline)
    assert goal is not None  # noqa: S101  # _missing_goal said so
    ended = moment >= cycle.ends_at
    needs = (
        f"{_values(count)} in the cycle; a forecast needs at least {MIN_POINTS}"
        if count < MIN_POINTS
        else None
    )
    if ended and count == 0:
        return _not_enough(key_result, count, "the cycle is over with no values in it")
    if not ended and needs is not None:
        return _not_enough(key_result, count, needs)
    xs = [_days(cycle.starts_at, m.observed_at) for m in found]
    ys = [float(m.value) for m in found]
    span = xs[-1] - xs[0]
    short = (
        f"the {_values(count)} in the cycle span less than a day; a forecast needs values at "
        "least a day apart"
        if span < 1.0
        else None
    )
    line = _fit(xs, ys) if needs is None and short is None else None
    rate = None if line is None else line.slope * 7.0
    latest = ys[-1]
    if ended:  # the result is known: no projection
        hit = 1.0 if target.met(latest, baseline) else 0.0
        return Forecast(
            key_result=key_result.id,
            value_at_end=latest,
            low=latest,
            high=latest,
            probability=hit,
            needed_per_week=None,
            rate_per_week=rate,
            points=count,
            enough_data=True,
            reason=None,
        )
    if line is None:
        return _not_enough(key_result, count, short or "")
    end = _days(cycle.starts_at, cycle.ends_at)
    centre = line.at(end)
    spread = line.spread_at(end)
    half = NormalDist().inv_cdf((1.0 + level) / 2.0) * spread
    numbers = (centre, centre - half, centre + half, rate)
    if not all(math.isfinite(number) for number in numbers if number is not None):
        return _not_enough(key_result, count, "the values are too large to project")
    return Forecast(
        key_result=key_result.id,
        value_at_end=centre,
        low=centre - half,
        high=centre + half,
        probability=_probability(target, centre, spread, goal),
        needed_per_week=_needed_per_week(target, latest, goal, _days(moment, cycle.ends_at)),
        rate_per_week=rate,
        points=count,
        enough_data=True,
        reason=None,
    )


def forecast_plan(
    plan: Plan, measurements: Iterable[Measurement], at: dt.datetime, *, level: float = 0.8
) -> dict[str, Forecast]:
    """A forecast for every key result of `plan`, by id, in plan order.

    Each key result is projected to its objective's cycle (else the plan's). Relative targets
    resolve against their own `Target.baseline` only: apply stored baselines first with
    `Plan.with_baselines`. Where ids collide the first key result wins, as in `Plan.key_result`.
    """
    by_key_result: dict[str, list[Measurement]] = {}
    for measurement in measurements:
        by_key_result.setdefault(measurement.key_result, []).append(measurement)
    forecasts: dict[str, Forecast] = {}
    for key_result in plan.key_results():
        if key_result.id in forecasts:
            continue
        cycle = plan.cycle_of(plan.objective_of(key_result.id))
        forecasts[key_result.id] = forecast(
            key_result, cycle, by_key_result.get(key_result.id, []), at, level=level
        )
    return forecasts
