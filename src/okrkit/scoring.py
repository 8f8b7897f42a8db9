"""Scoring: a plan, the values known and a moment `at`, turned into a `Scorecard`.

Everything here is a pure function over the immutable model: no I/O and no clock. The rules are
those of the OKR method, written out precisely in ``docs/reference/scoring.md``:

- a key result's *progress* is ``(value - start) / (goal - start)``, direction-aware, clamped to
  0..1; its *attainment* is the same ratio unclamped (over-achievement is information);
- thresholds ("keep uptime above 99.9%") are met or not at each measurement;
- an objective's score is the weighted mean of its key results' progress, graded red (0.0-0.3),
  yellow (0.4-0.6) or green (0.7-1.0);
- pace compares progress with the share of the cycle elapsed times the bar (1.0 for committed
  objectives, 0.7 for aspirational ones);
- task completion is reported beside progress and never mixed into it: tasks done are activity,
  not results.
"""

from __future__ import annotations

import datetime as dt
import enum
import math
from decimal import ROUND_HALF_UP, Decimal
from typing import TYPE_CHECKING, Any

import attrs

from okrkit.errors import ModelError, UnknownIdError
from okrkit.model import (
    CheckIn,
    Cycle,
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

if TYPE_CHECKING:
    from collections.abc import Iterable, Iterator, Mapping, Sequence

__all__ = [
    "Grade",
    "KeyResultScore",
    "ObjectiveScore",
    "Pace",
    "Progress",
    "ProjectProgress",
    "Scorecard",
    "Status",
    "grade",
    "progress",
    "score",
]

#: Comparisons of progress with expectations forgive this much float noise.
_TOLERANCE = 1e-9
#: A check-in confidence below this keeps a key result that is not achieved at risk or worse.
_LOW_CONFIDENCE = 0.3


class Grade(enum.StrEnum):
    """The colour of a score: 0.0-0.3 red, 0.4-0.6 yellow, 0.7-1.0 green."""

    RED = "red"
    YELLOW = "yellow"
    GREEN = "green"


class Status(enum.StrEnum):
    """Where a key result or objective stands at a moment."""

    ON_TRACK = "on_track"
    AT_RISK = "at_risk"
    OFF_TRACK = "off_track"
    ACHIEVED = "achieved"
    NO_DATA = "no_data"


def _check_margin(_instance: Any, attribute: attrs.Attribute[Any], value: Any) -> None:
    valid = isinstance(value, int | float) and not isinstance(value, bool) and math.isfinite(value)
    if not valid or not 0 <= value <= 1:
        raise ModelError(
            f"must be a number between 0 and 1, got {value!r}", field=attribute.name, owner="pace"
        )


@attrs.frozen
class Pace:
    """How far behind the expected progress a key result may be before it is at risk or off track.

    Behind by at most `at_risk` is on track, by at most `off_track` at risk, by more off track.
    """

    at_risk: float = attrs.field(default=0.15, validator=_check_margin)
    off_track: float = attrs.field(default=0.30, validator=_check_margin)

    def __attrs_post_init__(self) -> None:
        if self.at_risk > self.off_track:
            raise ModelError(
                f"the at-risk margin ({self.at_risk!r}) must not exceed the off-track margin "
                f"({self.off_track!r})",
                field="at_risk",
                owner="pace",
            )

    def judge(self, progress: float, expected: float) -> Status:
        """On track, at risk or off track: how far `progress` is behind `expected`."""
        behind = expected - progress
        if behind <= self.at_risk + _TOLERANCE:
            return Status.ON_TRACK
        if behind <= self.off_track + _TOLERANCE:
            return Status.AT_RISK
        return Status.OFF_TRACK


_DEFAULT_PACE = Pace()


def _is_finite(value: Any) -> bool:
    return isinstance(value, int | float) and not isinstance(value, bool) and math.isfinite(value)


def grade(score: float) -> Grade:
    """The grade of a score, on the score rounded half up to one decimal.

    0.0-0.3 is red, 0.4-0.6 yellow, 0.7-1.0 green: below 0.35 red, below 0.65 yellow, else
    green. Float noise is ignored (``1 - 0.65`` grades like 0.35, yellow).
    """
    if not _is_finite(score):
        raise ModelError(f"a score must be a finite number, got {score!r}", field="score")
    rounded = Decimal(f"{score:.9f}").quantize(Decimal("0.1"), rounding=ROUND_HALF_UP)
    if rounded <= Decimal("0.3"):
        return Grade.RED
    if rounded <= Decimal("0.6"):
        return Grade.YELLOW
    return Grade.GREEN


# -- One value against one target ----------------------------------------------------------


@attrs.frozen
class Progress:
    """How far one value goes towards a target.

    `progress` is clamped to 0..1; `attainment` is the same ratio unclamped. `goal` is the
    absolute value to reach, `baseline` the start progress counted from (None when there was
    none and progress is met-or-not), `met` whether the goal is reached.
    """

    progress: float
    attainment: float
    goal: float
    baseline: float | None
    met: bool


def _clamp(ratio: float) -> float:
    return min(1.0, max(0.0, ratio))


def _start(target: Target, baseline: float | None) -> float | None:
    """The value progress counts from: the baseline, else 0 for targets that go up."""
    base = target.baseline if target.baseline is not None else baseline
    counts_up = not target.threshold and not target.relative and target.direction.higher_is_better
    if base is None and counts_up:
        return 0.0
    return base


def progress(target: Target, value: float, baseline: float | None = None) -> Progress | None:
    """How far `value` goes towards `target`; None for a relative target with no baseline.

    `baseline` is used when the target has none of its own. See the module docstring and
    ``docs/reference/scoring.md`` for the rules.
    """
    if not _is_finite(value):
        raise ModelError(f"a value must be a finite number, got {value!r}", field="value")
    base = target.baseline if target.baseline is not None else baseline
    goal = target.goal(base)
    if goal is None:
        return None
    met = bool(target.met(value, base))
    hit = 1.0 if met else 0.0
    goal = float(goal)
    start = _start(target, base)
    if target.threshold or start is None:
        return Progress(hit, hit, goal, None if start is None else float(start), met)
    start = float(start)
    higher = target.direction.higher_is_better
    need = goal - start if higher else start - goal
    if need <= 0:  # the start is already at (or past) the goal: met or not
        return Progress(hit, hit, goal, start, met)
    gain = value - start if higher else start - value
    attainment = gain / need
    return Progress(_clamp(attainment), attainment, goal, start, met)


# -- Results ---------------------------------------------------------------------------------


def _iso(moment: dt.datetime | None) -> str | None:
    return None if moment is None else moment.isoformat()


@attrs.frozen
class KeyResultScore:
    """A key result at a moment: its value, progress against the goal, status and tasks."""

    id: str
    title: str
    value: float | None
    goal: float | None
    baseline: float | None
    progress: float | None
    attainment: float | None
    status: Status
    grade: Grade | None
    met: bool | None
    expected: float | None
    confidence: float | None
    observed_at: dt.datetime | None
    tasks_done: int
    tasks_total: int
    reason: str | None = None
    baseline_known: bool = True
    note: str | None = None

    def to_dict(self) -> dict[str, Any]:
        return {
            "id": self.id,
            "title": self.title,
            "value": self.value,
            "target": self.goal,
            "baseline": self.baseline,
            "baseline_known": self.baseline_known,
            "progress": self.progress,
            "attainment": self.attainment,
            "met": self.met,
            "status": self.status.value,
            "grade": None if self.grade is None else self.grade.value,
            "expected": self.expected,
            "confidence": self.confidence,
            "note": self.note,
            "observed_at": _iso(self.observed_at),
            "tasks_done": self.tasks_done,
            "tasks_total": self.tasks_total,
            "reason": self.reason,
        }


@attrs.frozen
class ObjectiveScore:
    """An objective at a moment: the weighted score of its key results, graded and paced."""

    id: str
    title: str
    kind: Kind
    score: float | None
    grade: Grade | None
    status: Status
    expected: float | None
    coverage: float
    key_results: tuple[KeyResultScore, ...]

    @property
    def bar(self) -> float:
        """The score the objective is judged against: 1.0 committed, 0.7 aspirational."""
        return self.kind.expected_score

    def to_dict(self) -> dict[str, Any]:
        return {
            "id": self.id,
            "title": self.title,
            "kind": self.kind.value,
            "bar": self.bar,
            "score": self.score,
            "grade": None if self.grade is None else self.grade.value,
            "status": self.status.value,
            "expected": self.expected,
            "coverage": self.coverage,
            "key_results": [key_result.to_dict() for key_result in self.key_results],
        }


@attrs.frozen
class ProjectProgress:
    """A project's task completion: activity, reported beside progress and never mixed in."""

    id: str
    title: str
    objective: str | None
    tasks_done: int
    tasks_total: int

    def to_dict(self) -> dict[str, Any]:
        return {
            "id": self.id,
            "title": self.title,
            "objective": self.objective,
            "tasks_done": self.tasks_done,
            "tasks_total": self.tasks_total,
        }


@attrs.frozen
class Scorecard:
    """Every objective, key result and project of a plan, scored at the moment `at` (UTC-aware)."""

    at: dt.datetime
    objectives: tuple[ObjectiveScore, ...]
    projects: tuple[ProjectProgress, ...] = ()

    def objective(self, objective_id: str) -> ObjectiveScore:
        for objective in self.objectives:
            if objective.id == objective_id:
                return objective
        raise UnknownIdError("objective", objective_id, [o.id for o in self.objectives])

    def key_results(self) -> Iterator[KeyResultScore]:
        for objective in self.objectives:
            yield from objective.key_results

    def key_result(self, key_result_id: str) -> KeyResultScore:
        for key_result in self.key_results():
            if key_result.id == key_result_id:
                return key_result
        raise UnknownIdError("key result", key_result_id, [k.id for k in self.key_results()])

    def project(self, project_id: str) -> ProjectProgress:
        for project in self.projects:
            if project.id == project_id:
                return project
        raise UnknownIdError("project", project_id, [p.id for p in self.projects])

    def to_dict(self) -> dict[str, Any]:
        """JSON-ready data (the ``okrkit status --format json`` shape); floats are not rounded."""
        return {
            "at": self.at.isoformat(),
            "objectives": [objective.to_dict() for objective in self.objectives],
            "projects": [project.to_dict() for project in self.projects],
        }


# -- Scoring a plan --------------------------------------------------------------------------


def _count(tasks: Iterable[Task]) -> tuple[int, int]:
    """Tasks done and tasks that count: dropped tasks leave the total."""
    counted = [task for task in tasks if task.status is not TaskStatus.DROPPED]
    return sum(1 for task in counted if task.done), len(counted)


def _latest_measurement(measured: Sequence[Measurement]) -> Measurement | None:
    latest: Measurement | None = None
    for measurement in measured:  # on equal times the later one in the input wins
        if latest is None or measurement.observed_at >= latest.observed_at:
            latest = measurement
    return latest


def _latest_check_in(checked: Sequence[CheckIn], *, value: bool) -> CheckIn | None:
    latest: CheckIn | None = None
    for check_in in checked:
        wanted = check_in.value if value else check_in.confidence
        if wanted is not None and (latest is None or check_in.at >= latest.at):
            latest = check_in
    return latest


def _value_of(
    key_result: KeyResult, measured: Sequence[Measurement], checked: Sequence[CheckIn]
) -> tuple[float | None, dt.datetime | None]:
    """The value to score and when it was observed (None for a typed-in current value)."""
    if (measurement := _latest_measurement(measured)) is not None:
        return measurement.value, measurement.observed_at
    if key_result.current is not None:
        return key_result.current, None
    if (check_in := _latest_check_in(checked, value=True)) is not None:
        return check_in.value, check_in.at
    return None, None


def _in_cycle(measured: Sequence[Measurement], cycle: Cycle | None) -> list[Measurement]:
    if cycle is None:
        return list(measured)
    return [m for m in measured if cycle.starts_at <= m.observed_at < cycle.ends_at]


def _missing(key_result: KeyResult) -> str | None:
    """Why the key result cannot be scored whatever its value, if it cannot."""
    target = key_result.target
    if target is None:
        return "has no target: give the key result a goal to score it against"
    if target.goal() is None:
        return (
            "needs a baseline: a relative target (up or down by a share) resolves against the "
            "value at the start; set target.baseline"
        )
    return None


def _score_key_result(
    plan: Plan,
    *,
    key_result: KeyResult,
    cycle: Cycle | None,
    bar: float,
    moment: dt.datetime,
    measured: Sequence[Measurement],
    checked: Sequence[CheckIn],
    pace: Pace,
) -> KeyResultScore:
    expected = None if cycle is None else cycle.elapsed(moment) * bar
    value, observed_at = _value_of(key_result, measured, checked)
    confident = _latest_check_in(checked, value=False)
    done, total = _count(plan.tasks_for(key_result.id))
    target = key_result.target
    base = _start(target, None) if target is not None else None
    goal = None if target is None else target.goal()
    # the fields of the score, built once (attrs.evolve costs more than scoring itself)
    fields: dict[str, Any] = dict(  # noqa: C408  # the field names as KeyResultScore takes them
        id=key_result.id,
        title=key_result.title,
        value=None if value is None else float(value),
        goal=None if goal is None else float(goal),
        baseline=None if base is None else float(base),
        progress=None,
        attainment=None,
        status=Status.NO_DATA,
        grade=None,
        met=None,
        expected=expected,
        confidence=None if confident is None else confident.confidence,
        note=None if confident is None else confident.note,
        observed_at=observed_at,
        tasks_done=done,
        tasks_total=total,
        # False only when a missing baseline limits the score (unscorable, or met-or-not)
        baseline_known=target is None or target.threshold or base is not None,
    )
    if (why := _missing(key_result)) is not None:
        return KeyResultScore(**fields, reason=why)
    assert target is not None  # noqa: S101  # _missing said so
    if value is None:
        return KeyResultScore(
            **fields,
            reason=f"no value yet: no measurement, current value or check-in at or before "
            f"{moment.isoformat()}",
        )
    result = progress(target, value)
    assert result is not None  # noqa: S101  # the goal is known: _missing said so
    attainment = result.attainment
    reasons: list[str] = []
    if target.threshold:
        in_cycle = _in_cycle(measured, cycle)
        if in_cycle:
            attainment = sum(1 for m in in_cycle if target.met(m.value)) / len(in_cycle)
        ended = cycle is not None and cycle.elapsed(moment) >= 1.0
        if not result.met:
            status = Status.OFF_TRACK
        else:
            status = Status.ACHIEVED if ended else Status.ON_TRACK
    elif result.met:
        status = Status.ACHIEVED
    elif expected is None:
        status = Status.ON_TRACK
    else:
        status = pace.judge(result.progress, expected)
    if not fields["baseline_known"]:
        reasons.append("no baseline: progress counts only whether the goal is met")
    if (
        confident is not None
        and confident.confidence is not None
        and confident.confidence < _LOW_CONFIDENCE
        and status is Status.ON_TRACK
    ):
        status = Status.AT_RISK
        reasons.append(
            f"confidence {confident.confidence:g} is below {_LOW_CONFIDENCE:g} at the latest "
            "check-in"
        )
    fields.update(
        goal=result.goal,
        progress=result.progress,
        attainment=attainment,
        status=status,
        grade=grade(result.progress),
        met=result.met,
    )
    return KeyResultScore(**fields, reason="; ".join(reasons) or None)


def _score_objective(
    plan: Plan,
    objective: Objective,
    *,
    moment: dt.datetime,
    measured: Mapping[str, Sequence[Measurement]],
    checked: Mapping[str, Sequence[CheckIn]],
    pace: Pace,
) -> ObjectiveScore:
    cycle = plan.cycle_of(objective)
    bar = objective.kind.expected_score
    expected = None if cycle is None else cycle.elapsed(moment) * bar
    scores = tuple(
        _score_key_result(
            plan,
            key_result=key_result,
            cycle=cycle,
            bar=bar,
            moment=moment,
            measured=measured.get(key_result.id, ()),
            checked=checked.get(key_result.id, ()),
            pace=pace,
        )
        for key_result in objective.key_results
    )
    weights = [key_result.weight for key_result in objective.key_results]
    if not any(weights):  # all zero (or no key results): every key result counts the same
        weights = [1.0] * len(weights)
    total = sum(weights)
    covered = sum(w for w, s in zip(weights, scores, strict=True) if s.progress is not None)
    coverage = covered / total if total else 0.0
    if not covered:
        return ObjectiveScore(
            objective.id,
            objective.title,
            objective.kind,
            None,
            None,
            Status.NO_DATA,
            expected,
            coverage,
            scores,
        )
    value = (
        sum(w * s.progress for w, s in zip(weights, scores, strict=True) if s.progress is not None)
        / covered
    )
    scored = [s for s in scores if s.progress is not None]
    complete = all(s.progress is not None for w, s in zip(weights, scores, strict=True) if w)
    if complete and all(s.status is Status.ACHIEVED for s in scored):
        status = Status.ACHIEVED
    elif expected is None:
        status = Status.ON_TRACK
    else:
        status = pace.judge(value, expected)
    return ObjectiveScore(
        objective.id,
        objective.title,
        objective.kind,
        value,
        grade(value),
        status,
        expected,
        coverage,
        scores,
    )


def _project_progress(project: Project) -> ProjectProgress:
    done, total = _count(project.tasks)
    return ProjectProgress(project.id, project.title, project.objective, done, total)


def score(
    plan: Plan,
    at: dt.datetime,
    measurements: Iterable[Measurement] = (),
    check_ins: Iterable[CheckIn] = (),
    pace: Pace = _DEFAULT_PACE,
) -> Scorecard:
    """Score every objective and key result of `plan` as it stood at `at`.

    Only measurements and check-ins at or before `at` count; a naive `at` is taken as UTC.
    Measurements and check-ins for key results the plan does not have are ignored.
    """
    moment = (
        at if at.tzinfo is not None and at.utcoffset() is not None else at.replace(tzinfo=dt.UTC)
    )
    measured: dict[str, list[Measurement]] = {}
    for measurement in measurements:
        if measurement.observed_at <= moment:
            measured.setdefault(measurement.key_result, []).append(measurement)
    checked: dict[str, list[CheckIn]] = {}
    for check_in in check_ins:
        if check_in.at <= moment:
            checked.setdefault(check_in.key_result, []).append(check_in)
    return Scorecard(
        at=moment,
        objectives=tuple(
            _score_objective(
                plan, objective, moment=moment, measured=measured, checked=checked, pace=pace
            )
            for objective in plan.objectives
        ),
        projects=tuple(_project_progress(project) for project in plan.projects),
    )
