"""The import row: the time `import okrkit` adds to starting Python, and what it must not import.

Each figure is the best of `import_repeats` fresh interpreters (``python -c "import okrkit"``
against ``python -c pass``); a separate interpreter lists the heavy modules in ``sys.modules``
after the import, and ``python -X importtime`` says what okrkit's own modules cost.
"""

from __future__ import annotations

import subprocess
import sys
import time
from typing import TYPE_CHECKING

from bench.harness import Result

if TYPE_CHECKING:
    from bench.harness import Sizes

__all__ = ["HEAVY", "ROWS", "run_rows"]

ROWS = ("import",)
#: Modules `import okrkit` must leave alone: each loads only when a feature needs it.
HEAVY = ("requests", "yaml", "googleapiclient", "sqlalchemy")


def _seconds(code: str) -> float:
    started = time.perf_counter()
    subprocess.run([sys.executable, "-c", code], check=True)  # noqa: S603  # our interpreter
    return time.perf_counter() - started


def _heavy_imported() -> list[str]:
    code = f"import sys, okrkit; print(' '.join(name for name in {HEAVY!r} if name in sys.modules))"
    out = subprocess.run(  # noqa: S603  # our interpreter
        [sys.executable, "-c", code], capture_output=True, text=True, check=True
    ).stdout
    return out.split()


def _own_import_time() -> float:
    """The cumulative time ``-X importtime`` gives ``okrkit`` itself, in seconds."""
    err = subprocess.run(  # our interpreter
        [sys.executable, "-X", "importtime", "-c", "import okrkit"],
        capture_output=True,
        text=True,
        check=True,
    ).stderr
    for line in err.splitlines():
        parts = [part.strip() for part in line.removeprefix("import time:").split("|")]
        if len(parts) == 3 and parts[2] == "okrkit":  # self | cumulative | name
            return int(parts[1]) / 1e6
    return float("nan")


def run_rows(sizes: Sizes, wanted: set[str]) -> list[Result]:
    if "import" not in wanted:
        return []
    with_okrkit: list[float] = []
    bare: list[float] = []
    for _ in range(max(1, sizes.import_repeats)):  # alternating, so noise hits both
        with_okrkit.append(_seconds("import okrkit"))
        bare.append(_seconds("pass"))
    heavy = _heavy_imported()
    return [
        Result(
            "import",
            "import okrkit",
            min(with_okrkit),
            min(bare),
            "s",
            "python -c pass",
            "no heavy import; figure reported",
            float("inf"),
            met_override=not heavy,
            details={
                "heavy_modules_imported": heavy,
                "okrkit_cumulative_importtime_s": _own_import_time(),
                "added_s": min(with_okrkit) - min(bare),
                "times_s": with_okrkit,
                "baseline_times_s": bare,
            },
        )
    ]
