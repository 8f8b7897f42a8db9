"""The OKR-file rows: load + validate + score + lint of a large file against PyYAML alone, and the
peak memory of the loaded plan against the parsed YAML alone.

The file has `objectives` objectives of `key_results_per_objective` key results each (10,000 and
4 in the full run: 40,000 key results), a project of five tasks for every tenth objective, and
is written to a temporary folder. `okrkit.load` reads and validates it (strict: ids unique,
references resolved), `okrkit.score` scores it, `okrkit.lint` runs every rule.
"""

from __future__ import annotations

import datetime as dt
import subprocess
import sys
import tempfile
import textwrap
from pathlib import Path
from typing import TYPE_CHECKING, Any

from bench.harness import Result, best_of
from bench.workload import large_plan_text

if TYPE_CHECKING:
    from bench.harness import Sizes

__all__ = ["ROWS", "run_rows"]

ROWS = ("plan", "memory")
AT = dt.datetime(2026, 8, 15, 12, tzinfo=dt.UTC)

# Both measure the peak of tracemalloc in a fresh interpreter, after the imports (and a warm-up
# on a tiny file, so that compiled regular expressions and caches are not counted).
_PEAK_OKRKIT = """
import sys, tracemalloc, yaml, okrkit
okrkit.loads("cycle: 2026-Q3\\nobjectives: [{id: o, title: Warm up, key_results: []}]")
tracemalloc.start()
plan = okrkit.load(sys.argv[1])
current, peak = tracemalloc.get_traced_memory()
print(peak, current, sum(1 for _ in plan.key_results()))
"""
_PEAK_YAML = """
import sys, tracemalloc, yaml, okrkit
from pathlib import Path
yaml.load("a: 1", Loader=yaml.CSafeLoader)
tracemalloc.start()
data = yaml.load(Path(sys.argv[1]).read_text(encoding="utf-8"), Loader=yaml.CSafeLoader)
current, peak = tracemalloc.get_traced_memory()
print(peak, current, sum(len(o["key_results"]) for o in data["objectives"]))
"""


def _peak(code: str, path: Path) -> tuple[int, int, int]:
    out = subprocess.run(  # noqa: S603  # the running interpreter and our own code
        [sys.executable, "-c", textwrap.dedent(code), str(path)],
        capture_output=True,
        text=True,
        check=True,
    ).stdout.split()
    peak, current, key_results = (int(item) for item in out)
    return peak, current, key_results


def run_rows(sizes: Sizes, wanted: set[str]) -> list[Result]:
    import yaml  # noqa: PLC0415

    import okrkit  # noqa: PLC0415

    results: list[Result] = []
    text = large_plan_text(sizes.objectives, sizes.key_results_per_objective)
    key_results = sizes.objectives * sizes.key_results_per_objective
    shape: dict[str, Any] = {
        "objectives": sizes.objectives,
        "key_results": key_results,
        "file_bytes": len(text.encode()),
    }
    with tempfile.TemporaryDirectory(prefix="okrkit-bench-") as folder:
        path = Path(folder) / "okrs.yaml"
        path.write_text(text, encoding="utf-8")
        if "plan" in wanted:
            phases: dict[str, float] = {}
            findings: list[int] = []

            def whole() -> None:
                import time  # noqa: PLC0415

                started = time.perf_counter()
                plan = okrkit.load(path)
                loaded = time.perf_counter()
                card = okrkit.score(plan, AT)
                scored = time.perf_counter()
                found = okrkit.lint(plan)
                linted = time.perf_counter()
                if sum(1 for _ in card.key_results()) != key_results:
                    raise RuntimeError("the scorecard lost key results")
                findings.append(len(found))
                for name, seconds in (
                    ("load_s", loaded - started),
                    ("score_s", scored - loaded),
                    ("lint_s", linted - scored),
                ):
                    phases[name] = min(phases.get(name, seconds), seconds)

            def parse_only() -> None:
                yaml.load(path.read_text(encoding="utf-8"), Loader=yaml.CSafeLoader)

            # alternate the two, so that a noisy moment hits both
            figure_times: list[float] = []
            baseline_times: list[float] = []
            for _ in range(sizes.plan_repeats):
                figure_times += best_of(1, whole)[1]
                baseline_times += best_of(1, parse_only)[1]
            results.append(
                Result(
                    "plan",
                    "load + validate + score + lint",
                    min(figure_times),
                    min(baseline_times),
                    "s",
                    "PyYAML CSafeLoader parse of the same file",
                    "ratio <= 2",
                    2.0,
                    details={
                        **shape,
                        **phases,
                        "findings": findings[-1],
                        "times_s": figure_times,
                        "baseline_times_s": baseline_times,
                    },
                )
            )
        if "memory" in wanted:
            peak, kept, counted = _peak(_PEAK_OKRKIT, path)
            base_peak, base_kept, base_counted = _peak(_PEAK_YAML, path)
            if counted != key_results or base_counted != key_results:
                raise RuntimeError("the memory row loaded the wrong number of key results")
            mib = 1024 * 1024
            results.append(
                Result(
                    "memory",
                    "peak memory of loading the file",
                    peak / mib,
                    base_peak / mib,
                    "MiB",
                    "peak of yaml.load(text, CSafeLoader)",
                    "ratio <= 2",
                    2.0,
                    details={
                        **shape,
                        "plan_retained_mib": kept / mib,
                        "yaml_retained_mib": base_kept / mib,
                        "measured_with": "tracemalloc in a fresh interpreter",
                    },
                )
            )
    return results
