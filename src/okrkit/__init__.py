"""okrkit: Objectives and Key Results as a Python library.

Load an OKR file, lint it for quality, score it honestly at any moment:

    >>> import okrkit
    >>> plan = okrkit.load("examples/product-launch/okrs.yaml")
    >>> card = okrkit.score(plan, at=datetime.datetime(2026, 8, 15, tzinfo=datetime.UTC))

Importing okrkit does no I/O and imports nothing heavy: the YAML parser and the command line
load only when used.
"""

from __future__ import annotations

from typing import Any

from okrkit.errors import (
    FileFormatError,
    Location,
    ModelError,
    OkrkitError,
    PlanError,
    Problem,
    SentenceError,
    UnknownIdError,
)
from okrkit.files import dump, dumps, load, loads
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
    SourceMap,
    Target,
    Task,
    TaskStatus,
)
from okrkit.parsing import KeyResultSentence, parse
from okrkit.rules import RULES, Finding, Rule, Severity, lint
from okrkit.schema import json_schema
from okrkit.scoring import (
    Grade,
    KeyResultScore,
    ObjectiveScore,
    Pace,
    ProjectProgress,
    Scorecard,
    Status,
    score,
)


def __getattr__(name: str) -> Any:
    # The version is read from the installed metadata on first use: importlib.metadata costs
    # more to import than the rest of okrkit together.
    if name == "__version__":
        from importlib.metadata import PackageNotFoundError, version  # noqa: PLC0415

        try:
            return version("okrkit")
        except PackageNotFoundError:  # pragma: no cover - a source tree that is not installed
            return "0+unknown"
    raise AttributeError(f"module 'okrkit' has no attribute {name!r}")


__all__ = [
    "RULES",
    "CheckIn",
    "Cycle",
    "Direction",
    "FileFormatError",
    "Finding",
    "Grade",
    "KeyResult",
    "KeyResultScore",
    "KeyResultSentence",
    "Kind",
    "Location",
    "Measurement",
    "ModelError",
    "Objective",
    "ObjectiveScore",
    "OkrkitError",
    "Pace",
    "Plan",
    "PlanError",
    "Problem",
    "Project",
    "ProjectProgress",
    "Rule",
    "Scorecard",
    "SentenceError",
    "Severity",
    "SourceMap",
    "Status",
    "Target",
    "Task",
    "TaskStatus",
    "UnknownIdError",
    "__version__",
    "dump",
    "dumps",
    "json_schema",
    "lint",
    "load",
    "loads",
    "parse",
    "score",
]
