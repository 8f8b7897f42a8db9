"""Scores from the store: the shell around `okrkit.score` that reads what refreshes recorded."""

from __future__ import annotations

import datetime as dt
from typing import TYPE_CHECKING

from okrkit.runner import stored_key
from okrkit.scoring import Pace, Scorecard, score

if TYPE_CHECKING:
    import os

    from okrkit.model import Plan
    from okrkit.store import Store

__all__ = ["status"]


def status(
    plan: Plan,
    store: Store | None,
    at: dt.datetime | None = None,
    *,
    key: str | None = None,
    path: str | os.PathLike[str] | None = None,
    pace: Pace = Pace(),  # noqa: B008  # an immutable value
) -> Scorecard:
    """The plan scored at `at` (default: now) from the store's measurements, check-ins and
    measured baselines, as `okrkit status` shows it; the file's `current` values stand in for
    key results the store has nothing for. With no store, only the file's values count.

    `key` is the plan's key in the store (default: its `id`, or the file's name from `path` or
    the plan's own source).
    """
    moment = at or dt.datetime.now(dt.UTC)
    if moment.tzinfo is None:
        moment = moment.replace(tzinfo=dt.UTC)
    if store is None:
        return score(plan, moment, pace=pace)
    name = stored_key(plan, store, key, path)
    baselines = {kr: baseline.value for kr, baseline in store.baselines(name).items()}
    return score(
        plan.with_baselines(baselines),
        moment,
        measurements=store.measurements(name, until=moment),
        check_ins=store.check_ins(name, until=moment),
        pace=pace,
    )
