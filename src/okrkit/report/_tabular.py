"""The report as data: indented JSON, CSV with one row per key result, a pandas DataFrame.

Several reports (one per plan) make one JSON object ``{"plans": [...]}`` and one table whose
first column, ``plan``, holds each row's plan key (`PLAN_COLUMNS`).
"""

from __future__ import annotations

import csv
import io
import json
from collections.abc import Mapping
from typing import TYPE_CHECKING, Any

from okrkit.report import _format as f

if TYPE_CHECKING:
    from collections.abc import Sequence

    import pandas as pd  # type: ignore[import-not-found,import-untyped,unused-ignore]

__all__ = [
    "COLUMNS",
    "PLAN_COLUMNS",
    "plan_rows",
    "render_csv",
    "render_csv_plans",
    "render_json",
    "render_json_plans",
    "rows",
    "to_dataframe",
]

COLUMNS = (
    "objective",
    "key_result",
    "title",
    "value",
    "target",
    "baseline",
    "progress",
    "attainment",
    "status",
    "grade",
    "confidence",
    "tasks_done",
    "tasks_total",
    "forecast_value_at_end",
    "forecast_low",
    "forecast_high",
    "forecast_probability",
    "needed_per_week",
)
# the table of several plans: which plan each row belongs to, then the columns of one plan
PLAN_COLUMNS = ("plan", *COLUMNS)
_FORECAST = {
    "forecast_value_at_end": "value_at_end",
    "forecast_low": "low",
    "forecast_high": "high",
    "forecast_probability": "probability",
    "needed_per_week": "needed_per_week",
}


def rows(report: Mapping[str, Any]) -> list[dict[str, Any]]:
    """One plain row per key result, with the `COLUMNS` as keys; numbers as they are."""
    table = []
    for objective, key_result in f.key_results(report):
        forecast = key_result.get("forecast") or {}
        row: dict[str, Any] = {
            "objective": objective.get("id"),
            "key_result": key_result.get("id"),
        }
        for column in COLUMNS[2:]:
            if column in _FORECAST:
                row[column] = forecast.get(_FORECAST[column])
            else:
                row[column] = key_result.get(column)
        table.append(row)
    return table


def plan_rows(reports: Sequence[Mapping[str, Any]]) -> list[dict[str, Any]]:
    """The rows of every report in turn, with the `PLAN_COLUMNS`: ``plan`` is the plan's key."""
    return [
        {"plan": (report.get("plan") or {}).get("key"), **row}
        for report in reports
        for row in rows(report)
    ]


def render_json(report: Mapping[str, Any]) -> str:
    """The mapping itself, indented by two, keys sorted, non-ASCII kept as it is."""
    return json.dumps(report, indent=2, sort_keys=True, ensure_ascii=False, allow_nan=False) + "\n"


def render_json_plans(reports: Sequence[Mapping[str, Any]]) -> str:
    """Several reports as one JSON object, ``{"plans": [report, ...]}``, in the order given."""
    return render_json({"plans": list(reports)})


def _csv(fieldnames: Sequence[str], table: list[dict[str, Any]]) -> str:
    out = io.StringIO()
    writer = csv.DictWriter(out, fieldnames=fieldnames, lineterminator="\n")
    writer.writeheader()
    writer.writerows(table)
    return out.getvalue()


def render_csv(report: Mapping[str, Any]) -> str:
    """A header row, then one row per key result; empty cells for unknown values."""
    return _csv(COLUMNS, rows(report))


def render_csv_plans(reports: Sequence[Mapping[str, Any]]) -> str:
    """One table of several reports: a header row with a leading ``plan`` column, then every
    plan's rows in turn."""
    return _csv(PLAN_COLUMNS, plan_rows(reports))


def to_dataframe(report: Mapping[str, Any] | Sequence[Mapping[str, Any]]) -> pd.DataFrame:
    """One row per key result, the CSV's `COLUMNS` as columns (needs pandas); for a sequence
    of reports, the rows of each in turn with a leading ``plan`` column (`PLAN_COLUMNS`)."""
    try:
        import pandas as pd  # type: ignore[import-not-found,import-untyped,unused-ignore]  # noqa: PLC0415
    except ImportError as error:
        raise ImportError(
            "okrkit.report.to_dataframe needs pandas, which is not installed: "
            "pip install pandas (or use render(report, 'csv'))"
        ) from error
    if isinstance(report, Mapping):
        return pd.DataFrame(rows(report), columns=list(COLUMNS))
    return pd.DataFrame(plan_rows(report), columns=list(PLAN_COLUMNS))
