"""okrkit: Objectives and Key Results as a Python library.

Load an OKR file, lint it for quality, score it honestly at any moment:

    >>> import okrkit
    >>> plan = okrkit.load("examples/product-launch/okrs.yaml")
    >>> card = okrkit.score(plan, at=datetime.datetime(2026, 8, 15, tzinfo=datetime.UTC))

Importing okrkit does no I/O and imports nothing heavy: the YAML parser and the command line
load only when used.
"""

from __future__ import annotations

from importlib.metadata import PackageNotFoundError, version

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

try:
    __version__ = version("okrkit")
except PackageNotFoundError:  # pragma: no cover - running from a source tree that is not installed
    __version__ = "0+unknown"

__all__ = [
    "CheckIn",
    "Cycle",
    "Direction",
    "FileFormatError",
    "KeyResult",
    "Kind",
    "Location",
    "Measurement",
    "ModelError",
    "Objective",
    "OkrkitError",
    "Plan",
    "PlanError",
    "Problem",
    "Project",
    "SentenceError",
    "SourceMap",
    "Target",
    "Task",
    "TaskStatus",
    "UnknownIdError",
    "__version__",
]
