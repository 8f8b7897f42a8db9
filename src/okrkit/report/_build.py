"""The report data: one JSON-ready mapping of a plan at a moment, from the store.

`build` assembles what every renderer shows (scores, histories, forecasts, tasks and the last
review's highlights) in the shape documented on the reports page, so a dashboard, a bot or a
notebook can use it without rendering anything.
"""

from __future__ import annotations

import datetime as dt
from collections import defaultdict
from typing import TYPE_CHECKING, Any

from okrkit.forecast import forecast_plan
from okrkit.live import status
from okrkit.runner import plan_key

if TYPE_CHECKING:
    import os

    from okrkit.model import Measurement, Plan
    from okrkit.store import Store

__all__ = ["build"]


def _iso(moment: dt.datetime | dt.date | None) -> str | None:
    return moment.isoformat() if moment is not None else None


def build(
    plan: Plan,
    store: Store | None,
    at: dt.datetime | None = None,
    *,
    key: str | None = None,
    path: str | os.PathLike[str] | None = None,
    review: Any = None,
    level: float = 0.8,
) -> dict[str, Any]:
    """The report mapping for `plan` at `at` (default: now), from `store` (None: the file's
    values only). `review` is a review to show (a `Review` or its `to_dict()`); by default the
    last one recorded in the store, if any."""
    moment = at or dt.datetime.now(dt.UTC)
    if moment.tzinfo is None:
        moment = moment.replace(tzinfo=dt.UTC)
    source = path or (plan.source_map.path if plan.source_map else None)
    name = key or (plan_key(plan, source) if (plan.id or source) else "plan")
    baselines: dict[str, float] = {}
    measurements: list[Measurement] = []
    if store is not None:
        baselines = {kr: b.value for kr, b in store.baselines(name).items()}
        measurements = store.measurements(name, until=moment)
    scored_plan = plan.with_baselines(baselines)
    card = status(plan, store, moment, key=name, path=source)
    forecasts = forecast_plan(scored_plan, measurements, moment, level=level)
    histories: dict[str, list[dict[str, Any]]] = defaultdict(list)
    for measurement in sorted(measurements, key=lambda m: m.observed_at):
        objective = (
            scored_plan.objective_of(measurement.key_result)
            if _has(scored_plan, measurement.key_result)
            else None
        )
        cycle = scored_plan.cycle_of(objective) if objective is not None else None
        if cycle is not None and measurement.observed_at < cycle.starts_at:
            continue
        histories[measurement.key_result].append(
            {
                "at": measurement.observed_at.isoformat(),
                "value": measurement.value,
                "source": measurement.source,
            }
        )
    tasks_of: dict[str, list[dict[str, Any]]] = defaultdict(list)
    for project in plan.projects:
        for task in project.tasks:
            for reference in dict.fromkeys(task.key_results):
                tasks_of[reference].append(
                    {"title": task.title, "status": task.status.value, "project": project.id}
                )
    objectives = []
    for objective_score in card.objectives:
        objective = scored_plan.objective(objective_score.id)
        key_results = []
        for kr_score in objective_score.key_results:
            key_result = scored_plan.key_result(kr_score.id)
            target = key_result.target
            key_results.append(
                {
                    "id": kr_score.id,
                    "title": key_result.title,
                    "owner": key_result.owner or objective.owner,
                    "metric": key_result.metric,
                    "unit": key_result.unit,
                    "direction": target.direction.value if target else None,
                    "threshold": bool(target and target.threshold),
                    "value": kr_score.value,
                    "target": kr_score.goal,
                    "baseline": kr_score.baseline,
                    "progress": kr_score.progress,
                    "attainment": kr_score.attainment,
                    "status": kr_score.status.value,
                    "grade": kr_score.grade.value if kr_score.grade else None,
                    "confidence": kr_score.confidence,
                    "note": kr_score.note,
                    "observed_at": _iso(kr_score.observed_at),
                    "reason": kr_score.reason,
                    "tasks_done": kr_score.tasks_done,
                    "tasks_total": kr_score.tasks_total,
                    "tasks": tasks_of.get(kr_score.id, []),
                    "history": histories.get(kr_score.id, []),
                    "forecast": forecasts[kr_score.id].to_dict(),
                }
            )
        objectives.append(
            {
                "id": objective_score.id,
                "title": objective.title,
                "owner": objective.owner,
                "kind": objective.kind.value,
                "bar": objective.kind.expected_score,
                "score": objective_score.score,
                "grade": objective_score.grade.value if objective_score.grade else None,
                "status": objective_score.status.value,
                "expected": objective_score.expected,
                "coverage": objective_score.coverage,
                "key_results": key_results,
            }
        )
    projects = []
    for project_score in card.projects:
        project = plan.project(project_score.id)
        projects.append(
            {
                "id": project.id,
                "title": project.title,
                "objective": project.objective,
                "tasks_done": project_score.tasks_done,
                "tasks_total": project_score.tasks_total,
                "tasks": [
                    {
                        "title": task.title,
                        "status": task.status.value,
                        "owner": task.owner,
                        "due": _iso(task.due),
                        "key_results": list(task.key_results),
                    }
                    for task in project.tasks
                ],
            }
        )
    if review is None and store is not None:
        last = store.last_review(name)
        review = last[1] if last is not None else None
    if review is not None and hasattr(review, "to_dict"):
        review = review.to_dict()
    cycle = plan.cycle
    return {
        "plan": {
            "key": name,
            "title": plan.title,
            "cycle": (
                {
                    "label": str(cycle),
                    "start": cycle.start.isoformat(),
                    "end": cycle.end.isoformat(),
                }
                if cycle
                else None
            ),
        },
        "at": moment.isoformat(),
        "generated_at": dt.datetime.now(dt.UTC).isoformat(),
        "elapsed": cycle.elapsed(moment) if cycle else None,
        "objectives": objectives,
        "projects": projects,
        "review": review,
    }


def _has(plan: Plan, key_result: str) -> bool:
    try:
        plan.key_result(key_result)
    except LookupError:
        return False
    return True
