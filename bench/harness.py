"""The harness: what a row is, how the sizes scale, timing helpers, the table and the JSON.

Every row measures a figure and, in the same run, the baseline it is judged against; the verdict
is on their ratio (figure / baseline), so a slower or noisier machine moves both together.
"""

from __future__ import annotations

import gc
import json
import math
import platform
import subprocess
import sys
import time
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from collections.abc import Callable, Sequence

__all__ = ["Result", "Sizes", "best_of", "machine", "render_table", "write_json"]


@dataclass(frozen=True)
class Sizes:
    """How big each workload is; `full()` is the issue's, `smoke()` proves the harness runs."""

    # refresh: JSON-endpoint key results, YouTube key results, distinct videos among them
    http_key_results: int = 5_000
    youtube_key_results: int = 5_000
    videos: int = 5_000
    videos_per_key_result: int = 2
    latency: float = 0.020
    concurrency: int = 64
    refresh_repeats: int = 4
    naive_sample: int = 1_000  # key results the naive script fetches; scaled to all of them
    # the OKR file: objectives x key results each
    objectives: int = 10_000
    key_results_per_objective: int = 4
    plan_repeats: int = 5
    # the store
    store_rows: int = 1_000_000
    run_size: int = 10_000
    history_repeats: int = 200
    # import
    import_repeats: int = 10
    smoke: bool = False

    @classmethod
    def full(cls) -> Sizes:
        return cls()

    @classmethod
    def smoke_sized(cls) -> Sizes:
        return cls(
            http_key_results=40,
            youtube_key_results=40,
            videos=60,
            latency=0.002,
            concurrency=8,
            refresh_repeats=1,
            naive_sample=10,
            objectives=50,
            plan_repeats=1,
            store_rows=2_000,
            run_size=500,
            history_repeats=5,
            import_repeats=2,
            smoke=True,
        )


@dataclass
class Result:
    """One row of the table: a figure, its baseline from the same run, and the verdict."""

    row: str  # the row's name, as --only takes it
    what: str  # what is measured, in words
    figure: float
    baseline: float
    unit: str  # "s", "calls", "MiB"
    baseline_is: str  # what the baseline is, in words
    goal: str  # the goal, in words
    limit: float  # the goal on the ratio: ratio <= limit (or == limit when exact)
    exact: bool = False  # the ratio must equal `limit`
    met_override: bool | None = None  # a goal that is not about the ratio (the import row)
    details: dict[str, Any] = field(default_factory=dict)

    @property
    def ratio(self) -> float:
        return self.figure / self.baseline if self.baseline else math.inf

    @property
    def met(self) -> bool:
        if self.met_override is not None:
            return self.met_override
        if self.exact:
            return math.isclose(self.ratio, self.limit)
        return self.ratio <= self.limit

    def to_dict(self) -> dict[str, Any]:
        data = asdict(self)
        data.pop("met_override")
        data["ratio"] = self.ratio
        data["met"] = self.met
        return data


def best_of(repeats: int, run: Callable[[], Any]) -> tuple[float, list[float]]:
    """The shortest of `repeats` timed calls of `run` (garbage collected between calls), and
    every time taken."""
    times: list[float] = []
    for _ in range(max(1, repeats)):
        gc.collect()
        started = time.perf_counter()
        run()
        times.append(time.perf_counter() - started)
    return min(times), times


def machine() -> dict[str, Any]:
    """The machine the run was on, as the docs report it."""
    cpu = platform.processor() or platform.machine()
    try:
        for line in Path("/proc/cpuinfo").read_text(encoding="utf-8").splitlines():
            if line.startswith("model name"):
                cpu = line.partition(":")[2].strip()
                break
    except OSError:
        pass
    memory = None
    try:
        for line in Path("/proc/meminfo").read_text(encoding="utf-8").splitlines():
            if line.startswith("MemTotal:"):
                memory = f"{int(line.split()[1]) / 1024 / 1024:.0f} GiB"
                break
    except OSError:
        pass
    sqlite = subprocess.run(  # the running interpreter
        [sys.executable, "-c", "import sqlite3; print(sqlite3.sqlite_version)"],
        capture_output=True,
        text=True,
        check=False,
    ).stdout.strip()
    import os  # noqa: PLC0415

    return {
        "cpu": cpu,
        "cores": os.cpu_count(),
        "memory": memory,
        "python": platform.python_version(),
        "implementation": platform.python_implementation(),
        "system": f"{platform.system()} {platform.release()}",
        "sqlite": sqlite,
    }


def _number(value: float, unit: str) -> str:
    if unit == "s":
        if value < 1e-3:
            return f"{value * 1e6:.0f} µs"
        if value < 1:
            return f"{value * 1e3:.1f} ms"
        return f"{value:.2f} s"
    if unit == "calls":
        return f"{value:,.0f} calls"
    if unit == "MiB":
        return f"{value:,.1f} MiB"
    return f"{value:g} {unit}"


def _ratio(result: Result) -> str:
    ratio = result.ratio
    if ratio < 0.1:
        return f"{ratio:.4f} ({1 / ratio:.0f}x faster)" if ratio else "0"
    return f"{ratio:.2f}"


def render_table(results: Sequence[Result]) -> str:
    """The results as an aligned text table: row, figure, baseline, ratio, goal, met."""
    header = ("row", "figure", "baseline", "ratio", "goal", "met")
    lines = [
        (
            result.row,
            _number(result.figure, result.unit),
            f"{_number(result.baseline, result.unit)} ({result.baseline_is})",
            _ratio(result),
            result.goal,
            "yes" if result.met else "NO",
        )
        for result in results
    ]
    widths = [max(len(row[i]) for row in [header, *lines]) for i in range(len(header))]
    rule = "  ".join("-" * width for width in widths)
    out = ["  ".join(cell.ljust(width) for cell, width in zip(header, widths, strict=True)), rule]
    out += [
        "  ".join(cell.ljust(width) for cell, width in zip(row, widths, strict=True))
        for row in lines
    ]
    return "\n".join(line.rstrip() for line in out)


def write_json(path: Path, results: Sequence[Result], sizes: Sizes, seconds: float) -> None:
    data = {
        "machine": machine(),
        "sizes": asdict(sizes),
        "seconds": seconds,
        "rows": [result.to_dict() for result in results],
    }
    path.write_text(json.dumps(data, indent=2, ensure_ascii=False) + "\n", encoding="utf-8")
