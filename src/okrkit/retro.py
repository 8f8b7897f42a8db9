"""The end of a cycle: the retrospective, and carrying the unfinished OKRs over to the next cycle.

`retrospective` is pure: the plan scored at its cycle's end, with the results of the cycles
before it, gives a `Retrospective`: final scores and grades, the committed objectives that missed
1.0, and a calibration verdict across the last three cycles (aspirational key results that score
0.9 and more cycle after cycle aim too low; key results that stay under 0.3 are out of reach).
`carry_over` is pure too: it writes the next cycle's plan from the unfinished objectives.
`run_retrospective` and `run_carry_over` are the shell around them: they read the store (and
`run_retrospective` records the cycle's results). The rules are in ``docs/how-to/review.md``.
"""

from __future__ import annotations

import datetime as dt
import enum
import statistics
from typing import TYPE_CHECKING, Any

import attrs

from okrkit.model import Cycle, Kind, TaskStatus
from okrkit.review import ReviewError, _store_key, _utc
from okrkit.scoring import KeyResultScore, ObjectiveScore, Pace, Scorecard

if TYPE_CHECKING:
    import os
    from collections.abc import Iterable, Sequence

    from okrkit.model import KeyResult, Objective, Plan, Project
    from okrkit.store import CycleResult, Store

__all__ = [
    "CALIBRATION_CYCLES",
    "OUT_OF_REACH_MAX",
    "OUT_OF_REACH_MEAN",
    "TOO_LOW_MEAN",
    "TOO_LOW_MIN",
    "Calibration",
    "CalibrationFinding",
    "MissedCommitment",
    "Retrospective",
    "Verdict",
    "carry_over",
    "retrospective",
    "run_carry_over",
    "run_retrospective",
]

#: Calibration looks at this many cycles, the last one included.
CALIBRATION_CYCLES = 3
#: Aiming too low: an aspirational key result whose mean score over those cycles is at least
#: `TOO_LOW_MEAN`, and no score below `TOO_LOW_MIN`.
TOO_LOW_MEAN = 0.9
TOO_LOW_MIN = 0.8
#: Out of reach: a key result whose mean score is below `OUT_OF_REACH_MEAN`, and no score
#: reached `OUT_OF_REACH_MAX`.
OUT_OF_REACH_MEAN = 0.3
OUT_OF_REACH_MAX = 0.4

_TOLERANCE = 1e-9


class Verdict(enum.StrEnum):
    """The team-level calibration verdict of a retrospective."""

    AIMING_TOO_LOW = "aiming_too_low"
    OUT_OF_REACH = "out_of_reach"
    MIXED = "mixed"
    CALIBRATED = "calibrated"
    NOT_ENOUGH_HISTORY = "not_enough_history"


def _cycle_data(cycle: Cycle) -> dict[str, Any]:
    return {"label": str(cycle), "start": cycle.start.isoformat(), "end": cycle.end.isoformat()}


@attrs.frozen
class MissedCommitment:
    """A committed objective that ended below 1.0, with its key results that did."""

    objective: str
    title: str
    score: float | None
    key_results: tuple[str, ...]

    def to_dict(self) -> dict[str, Any]:
        return {
            "objective": self.objective,
            "title": self.title,
            "score": self.score,
            "key_results": list(self.key_results),
        }


@attrs.frozen
class CalibrationFinding:
    """A key result's scores over the calibration cycles (oldest first) and their mean."""

    key_result: str
    objective: str
    scores: tuple[float, ...]
    mean: float

    def to_dict(self) -> dict[str, Any]:
        return {
            "key_result": self.key_result,
            "objective": self.objective,
            "scores": list(self.scores),
            "mean": self.mean,
        }


@attrs.frozen
class Calibration:
    """Whether the team sets its targets well, judged over the last `cycles` (oldest first)."""

    verdict: Verdict
    message: str
    cycles: tuple[Cycle, ...]
    aiming_too_low: tuple[CalibrationFinding, ...] = ()
    out_of_reach: tuple[CalibrationFinding, ...] = ()

    def to_dict(self) -> dict[str, Any]:
        return {
            "verdict": self.verdict.value,
            "message": self.message,
            "cycles": [str(cycle) for cycle in self.cycles],
            "aiming_too_low": [finding.to_dict() for finding in self.aiming_too_low],
            "out_of_reach": [finding.to_dict() for finding in self.out_of_reach],
        }


@attrs.frozen
class Retrospective:
    """A cycle looked back on: its final scorecard, missed commitments and calibration."""

    cycle: Cycle
    scorecard: Scorecard
    committed_missed: tuple[MissedCommitment, ...]
    calibration: Calibration

    @property
    def at(self) -> dt.datetime:
        return self.scorecard.at

    def to_dict(self) -> dict[str, Any]:
        """JSON-ready data; see ``docs/how-to/review.md`` for the shape."""
        return {
            "cycle": _cycle_data(self.cycle),
            "at": self.at.isoformat(),
            "objectives": [_objective_data(objective) for objective in self.scorecard.objectives],
            "committed_missed": [missed.to_dict() for missed in self.committed_missed],
            "calibration": self.calibration.to_dict(),
        }


def _objective_data(objective: ObjectiveScore) -> dict[str, Any]:
    return {
        "id": objective.id,
        "title": objective.title,
        "kind": objective.kind.value,
        "bar": objective.bar,
        "score": objective.score,
        "grade": None if objective.grade is None else objective.grade.value,
        "status": objective.status.value,
        "key_results": [
            {
                "id": key_result.id,
                "title": key_result.title,
                "value": key_result.value,
                "target": key_result.goal,
                "score": key_result.progress,
                "attainment": key_result.attainment,
                "grade": None if key_result.grade is None else key_result.grade.value,
                "met": key_result.met,
                "status": key_result.status.value,
            }
            for key_result in objective.key_results
        ],
    }


# -- The retrospective ------------------------------------------------------------------------


def _cycle_of(plan: Plan) -> Cycle:
    if plan.cycle is None:
        raise ReviewError(
            "the plan has no cycle: a retrospective and a carry-over need one (cycle: 2026-Q3)"
        )
    return plan.cycle


def _check_ended(cycle: Cycle, moment: dt.datetime) -> None:
    if moment < cycle.ends_at:
        raise ReviewError(
            f"cycle {cycle} runs until {cycle.end.isoformat()}: a retrospective looks back at a "
            f"cycle that is over, from {cycle.ends_at.isoformat()} on (asked at "
            f"{moment.isoformat()})"
        )


def _below_one(value: float | None) -> bool:
    return value is None or value < 1.0 - _TOLERANCE


def _missed_commitments(scorecard: Scorecard) -> tuple[MissedCommitment, ...]:
    """Committed objectives below 1.0, or with a key result below 1.0 or not scored."""
    missed = []
    for objective in scorecard.objectives:
        if objective.kind is not Kind.COMMITTED:
            continue
        short = tuple(kr.id for kr in objective.key_results if _below_one(kr.progress))
        if short or _below_one(objective.score):
            missed.append(MissedCommitment(objective.id, objective.title, objective.score, short))
    return tuple(missed)


def _names(findings: Sequence[CalibrationFinding]) -> str:
    return ", ".join(finding.key_result for finding in findings)


def _calibrate(cycle: Cycle, scorecard: Scorecard, history: Iterable[CycleResult]) -> Calibration:
    """Judge the last `CALIBRATION_CYCLES` cycles: this one (from `scorecard`) and the earlier
    ones in `history`. A record of this same cycle in `history` is replaced by `scorecard`."""
    scores: dict[Cycle, dict[str, tuple[Kind, float | None]]] = {}
    for result in history:
        if result.cycle != cycle and result.cycle.start <= cycle.start:
            scores.setdefault(result.cycle, {})[result.key_result] = (
                Kind(result.kind),
                result.score,
            )
    scores[cycle] = {
        kr.id: (objective.kind, kr.progress)
        for objective in scorecard.objectives
        for kr in objective.key_results
    }
    window = tuple(sorted(scores, key=lambda c: (c.start, c.end))[-CALIBRATION_CYCLES:])
    labels = ", ".join(str(c) for c in window)
    if len(window) < CALIBRATION_CYCLES:
        return Calibration(
            Verdict.NOT_ENOUGH_HISTORY,
            f"Calibration needs the results of {CALIBRATION_CYCLES} cycles; the store holds "
            f"{len(window)} ({labels}). Run a retrospective at the end of every cycle.",
            window,
        )
    too_low: list[CalibrationFinding] = []
    out_of_reach: list[CalibrationFinding] = []
    aspirational = 0
    total = 0
    for objective in scorecard.objectives:
        for kr in objective.key_results:
            total += 1
            aspirational += objective.kind is Kind.ASPIRATIONAL
            series = [scores[c].get(kr.id) for c in window]
            values = [entry[1] for entry in series if entry is not None]
            if len(values) < len(window) or any(value is None for value in values):
                continue  # not scored in every cycle: not judged
            known = [float(value) for value in values if value is not None]
            mean = statistics.fmean(known)
            finding = CalibrationFinding(kr.id, objective.id, tuple(known), mean)
            kinds = {entry[0] for entry in series if entry is not None}
            if (
                kinds == {Kind.ASPIRATIONAL}
                and mean >= TOO_LOW_MEAN - _TOLERANCE
                and min(known) >= TOO_LOW_MIN - _TOLERANCE
            ):
                too_low.append(finding)
            elif mean < OUT_OF_REACH_MEAN - _TOLERANCE and max(known) < OUT_OF_REACH_MAX:
                out_of_reach.append(finding)
    low = 2 * len(too_low) > aspirational > 0
    far = 2 * len(out_of_reach) > total > 0
    sentences = []
    if low:
        sentences.append(
            f"The team is aiming too low: {len(too_low)} of {aspirational} aspirational key "
            f"results scored {TOO_LOW_MEAN:g} or more on average over the last "
            f"{CALIBRATION_CYCLES} cycles ({labels}): {_names(too_low)}. Aspirational OKRs "
            "should land around 0.7: set bolder targets."
        )
    if far:
        sentences.append(
            f"The team's goals are out of reach: {len(out_of_reach)} of {total} key results "
            f"scored under {OUT_OF_REACH_MEAN:g} on average over the last {CALIBRATION_CYCLES} "
            f"cycles ({labels}): {_names(out_of_reach)}. Set targets the team can reach at least "
            "in part."
        )
    if low and far:
        verdict = Verdict.MIXED
    elif low:
        verdict = Verdict.AIMING_TOO_LOW
    elif far:
        verdict = Verdict.OUT_OF_REACH
    else:
        verdict = Verdict.CALIBRATED
        sentences.append(f"The targets are well calibrated over the last cycles ({labels}).")
        if too_low:
            sentences.append(f"Aiming too low: {_names(too_low)}.")
        if out_of_reach:
            sentences.append(f"Out of reach: {_names(out_of_reach)}.")
    return Calibration(verdict, " ".join(sentences), window, tuple(too_low), tuple(out_of_reach))


def retrospective(
    plan: Plan, scorecard: Scorecard, history: Iterable[CycleResult] = ()
) -> Retrospective:
    """Look back at the plan's cycle from `scorecard` (the plan scored at or after its end).

    `history` is the results of earlier cycles, as `Store.cycle_results` gives them; a record of
    this cycle among them is replaced by `scorecard`, and later cycles are left out. Raises
    `ReviewError` for a plan without a cycle, or a scorecard from before the cycle's end.
    """
    cycle = _cycle_of(plan)
    _check_ended(cycle, scorecard.at)
    return Retrospective(
        cycle=cycle,
        scorecard=scorecard,
        committed_missed=_missed_commitments(scorecard),
        calibration=_calibrate(cycle, scorecard, history),
    )


# -- Carrying over ----------------------------------------------------------------------------


def _number(value: float) -> str:
    return f"{int(value):,}" if float(value).is_integer() else f"{value:,.6g}"


def _carry_key_result(
    key_result: KeyResult, result: KeyResultScore | None, cycle: Cycle | None
) -> KeyResult:
    target = key_result.target
    value = None if result is None else result.value
    changes: dict[str, Any] = {"current": None}
    counts_in_cycle = key_result.source is not None and key_result.source.get("aggregate") == (
        "change"
    )
    if target is None or target.threshold or value is None or counts_in_cycle:
        return attrs.evolve(key_result, **changes)
    if target.relative or not (result is not None and result.met):
        changes["target"] = attrs.evolve(target, baseline=float(value))
    else:  # achieved: re-basing would ask for no change; say so instead
        when = f"in {cycle}" if cycle is not None else "last cycle"
        goal = f" (goal {_number(result.goal)})" if result.goal is not None else ""
        note = (
            f"Achieved {when} at {_number(value)}{goal}: raise the target or remove this key "
            "result."
        )
        changes["description"] = (
            f"{key_result.description} {note}" if key_result.description else note
        )
    return attrs.evolve(key_result, **changes)


def _finished(objective: Objective, results: dict[str, KeyResultScore]) -> bool:
    return bool(objective.key_results) and all(
        (found := results.get(kr.id)) is not None and found.met is True
        for kr in objective.key_results
    )


def _carry_project(project: Project, key_results: set[str]) -> Project | None:
    tasks = [
        attrs.evolve(task, key_results=[kr for kr in task.key_results if kr in key_results])
        for task in project.tasks
        if task.status not in (TaskStatus.DONE, TaskStatus.DROPPED)
    ]
    return attrs.evolve(project, tasks=tasks) if tasks else None


def carry_over(plan: Plan, scorecard: Scorecard, to: Cycle | str) -> Plan:
    """The plan for the cycle `to` (a `Cycle`, or text such as ``"2026-Q4"``): the objectives
    not finished in `scorecard`, re-based where the cycle ended, with the unfinished work.

    An objective is finished when it has key results and every one of them met its goal; it is
    dropped. See ``docs/how-to/review.md`` for what happens to each kept key result and project.
    Raises `ReviewError` when `to` does not start after the plan's cycle ends.
    """
    following = Cycle.parse(to) if isinstance(to, str) else to
    if plan.cycle is not None and following.start <= plan.cycle.end:
        raise ReviewError(
            f"carry over to a cycle that starts after {plan.cycle} ends ({plan.cycle.end}); "
            f"{following} starts on {following.start}"
        )
    results = {kr.id: kr for kr in scorecard.key_results()}
    kept = [objective for objective in plan.objectives if not _finished(objective, results)]
    kept_ids = {objective.id for objective in kept}
    objectives = [
        attrs.evolve(
            objective,
            key_results=[
                _carry_key_result(kr, results.get(kr.id), plan.cycle_of(objective))
                for kr in objective.key_results
            ],
            cycle=following,
            parent=objective.parent if objective.parent in kept_ids else None,
        )
        for objective in kept
    ]
    key_result_ids = {kr.id for objective in kept for kr in objective.key_results}
    projects = [
        carried
        for project in plan.projects
        if project.objective is None or project.objective in kept_ids
        if (carried := _carry_project(project, key_result_ids)) is not None
    ]
    return attrs.evolve(
        plan, objectives=objectives, projects=projects, cycle=following, source_map=None
    )


# -- The shell ----------------------------------------------------------------------------------


def run_retrospective(
    plan: Plan,
    store: Store,
    at: dt.datetime | None = None,
    key: str | None = None,
    *,
    path: str | os.PathLike[str] | None = None,
    pace: Pace = Pace(),  # noqa: B008  # an immutable value
) -> Retrospective:
    """The retrospective of the plan's cycle, from the store; records the cycle's results.

    Scores the plan at `at`, by default at the cycle's end (the first instant after its last
    day), as `okrkit.status` does; records every key result's final score for the cycle
    (replacing an earlier record of the same cycle); then judges the calibration over the
    cycles the store holds. Raises `ReviewError` before the cycle's end.
    """
    from okrkit.live import status  # noqa: PLC0415  # the store and runner load on use
    from okrkit.store import CycleResult  # noqa: PLC0415

    cycle = _cycle_of(plan)
    now = dt.datetime.now(dt.UTC)
    moment = _utc(at) if at is not None else cycle.ends_at
    _check_ended(cycle, moment if at is not None else now)
    name = _store_key(plan, key, path, store)
    scorecard = status(plan, store, moment, key=name, pace=pace)
    store.record_cycle_results(
        name,
        cycle,
        [
            CycleResult(name, cycle, objective.id, kr.id, objective.kind, kr.progress, now)
            for objective in scorecard.objectives
            for kr in objective.key_results
        ],
    )
    return retrospective(plan, scorecard, store.cycle_results(name))


def run_carry_over(
    plan: Plan,
    store: Store | None,
    to: Cycle | str,
    *,
    at: dt.datetime | None = None,
    key: str | None = None,
    path: str | os.PathLike[str] | None = None,
) -> Plan:
    """The plan carried over to `to`, from the plan scored at `at` (default: its cycle's end,
    or now for a plan without a cycle) with the store's values; write it with `okrkit.dump`."""
    from okrkit.live import status  # noqa: PLC0415

    if at is not None:
        moment = _utc(at)
    elif plan.cycle is not None:
        moment = plan.cycle.ends_at
    else:
        moment = dt.datetime.now(dt.UTC)
    name = None if store is None else _store_key(plan, key, path, store)
    return carry_over(plan, status(plan, store, moment, key=name), to)
