"""okrkit: Objectives and Key Results as a Python library.

Load an OKR file, lint it for quality, score it honestly at any moment:

    >>> import okrkit
    >>> plan = okrkit.load("examples/product-launch/okrs.yaml")
    >>> card = okrkit.score(plan, at=datetime.datetime(2026, 8, 15, tzinfo=datetime.UTC))

Importing okrkit does no I/O and imports nothing heavy: the YAML parser and the command line
load only when used.
"""

from __future__ import annotations

import importlib
from typing import TYPE_CHECKING, Any

from okrkit.errors import (
    ConnectorError,
    CredentialsError,
    FileFormatError,
    Location,
    ModelError,
    OkrkitError,
    PlanError,
    PolicyError,
    Problem,
    QuotaError,
    SchemaVersionError,
    SentenceError,
    SettingsError,
    StoreError,
    StoreLockedError,
    TerminalError,
    TransientError,
    UnknownConnectorError,
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

if TYPE_CHECKING:
    from okrkit.live import status
    from okrkit.policy import Policy
    from okrkit.runner import Outcome, RefreshResult, Retry, refresh
    from okrkit.store import Baseline, Record, RunRecord, Store, open_store

#: Imported on first use: the refresh runner and the store pull in threads, hashing and sqlite3,
#: which a script that only lints or scores does not need.
_LAZY = {
    "Baseline": "okrkit.store",
    "Outcome": "okrkit.runner",
    "Policy": "okrkit.policy",
    "Record": "okrkit.store",
    "RefreshResult": "okrkit.runner",
    "Retry": "okrkit.runner",
    "RunRecord": "okrkit.store",
    "Store": "okrkit.store",
    "open_store": "okrkit.store",
    "refresh": "okrkit.runner",
    "status": "okrkit.live",
}


def __getattr__(name: str) -> Any:
    # The version is read from the installed metadata on first use: importlib.metadata costs
    # more to import than the rest of okrkit together.
    if name == "__version__":
        from importlib.metadata import PackageNotFoundError, version  # noqa: PLC0415

        try:
            return version("okrkit")
        except PackageNotFoundError:  # pragma: no cover - a source tree that is not installed
            return "0+unknown"
    if name in _LAZY:
        value = getattr(importlib.import_module(_LAZY[name]), name)
        globals()[name] = value
        return value
    raise AttributeError(f"module 'okrkit' has no attribute {name!r}")


__all__ = [
    "RULES",
    "Baseline",
    "CheckIn",
    "ConnectorError",
    "CredentialsError",
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
    "Outcome",
    "Pace",
    "Plan",
    "PlanError",
    "Policy",
    "PolicyError",
    "Problem",
    "Project",
    "ProjectProgress",
    "QuotaError",
    "Record",
    "RefreshResult",
    "Retry",
    "Rule",
    "RunRecord",
    "SchemaVersionError",
    "Scorecard",
    "SentenceError",
    "SettingsError",
    "Severity",
    "SourceMap",
    "Status",
    "Store",
    "StoreError",
    "StoreLockedError",
    "Target",
    "Task",
    "TaskStatus",
    "TerminalError",
    "TransientError",
    "UnknownConnectorError",
    "UnknownIdError",
    "__version__",
    "dump",
    "dumps",
    "json_schema",
    "lint",
    "load",
    "loads",
    "open_store",
    "parse",
    "refresh",
    "score",
    "status",
]
