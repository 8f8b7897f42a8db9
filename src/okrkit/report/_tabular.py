"""The report as data: indented JSON, CSV with one row per key result, a pandas DataFrame."""

from __future__ import annotations

import csv
import io
import json
from typing import TYPE_CHECKING, Any

from okrkit.report import _format as f

if TYPE_CHECKING:
    from collections.abc import Mapping

    import pandas as pd  # type: ignore[import-not-found,import-untyped,unused-ignore]

__all__ = ["COLUMNS", "render_csv", "render_json", "rows", "to_dataframe"]

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


def render_json(report: Mapping[str, Any]) -> str:
    """The mapping itself, indented by two, keys sorted, non-ASCII kept as it is."""
    return json.dumps(report, indent=2, sort_keys=True, ensure_ascii=False, allow_nan=False) + "\n"


def render_csv(report: Mapping[str, Any]) -> str:
    """A header row, then one row per key result; empty cells for unknown values."""
    out = io.StringIO()
    writer = csv.DictWriter(out, fieldnames=COLUMNS, lineterminator="\n")
    writer.writeheader()
    writer.writerows(rows(report))
    return out.getvalue()


def to_dataframe(report: Mapping[str, Any]) -> pd.DataFrame:
    """One row per key result, the CSV's `COLUMNS` as columns (needs pandas)."""
    try:
        import pandas as pd  # type: ignore[import-not-found,import-untyped,unused-ignore]  # noqa: PLC0415
    except ImportError as error:
        raise ImportError(
            "okrkit.report.to_dataframe needs pandas, which is not installed: "
            "pip install pandas (or use render(report, 'csv'))"
        ) from error
    return pd.DataFrame(rows(report), columns=list(COLUMNS))
