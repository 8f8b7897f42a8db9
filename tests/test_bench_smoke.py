"""The benchmark harness at tiny sizes: every row runs and reports a figure, a baseline and a
ratio, so the harness cannot rot. The benchmarks themselves are not run here (``python -m bench``
does that, in minutes); see docs/benchmarks.md."""

import json
import math
import os
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
ROWS = [
    "refresh-bound",
    "refresh-naive",
    "request-overhead",
    "quota",
    "store-writes",
    "history-read",
    "history-read-cold",
    "plan",
    "memory",
    "import",
    "workers-2",
    "workers-4",
]
# run only where a PostgreSQL server is given (OKRKIT_BENCH_POSTGRES_URL or the tests' own)
POSTGRES_ROWS = ["workers-4-postgresql"]


def test_a_smoke_run_reports_every_row_with_its_baseline_and_ratio(tmp_path):
    out = tmp_path / "results.json"
    done = subprocess.run(
        [sys.executable, "-m", "bench", "--smoke", "--json", str(out)],
        cwd=ROOT,
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )
    assert done.returncode == 0, done.stderr
    results = json.loads(out.read_text(encoding="utf-8"))
    rows = {row["row"]: row for row in results["rows"]}
    with_postgres = bool(
        os.environ.get("OKRKIT_BENCH_POSTGRES_URL") or os.environ.get("OKRKIT_TEST_POSTGRES_URL")
    )
    assert list(rows) == ROWS + (POSTGRES_ROWS if with_postgres else [])
    for name, row in rows.items():
        assert row["figure"] > 0, name
        assert row["baseline"] > 0, name
        assert math.isclose(row["ratio"], row["figure"] / row["baseline"]), name
        assert isinstance(row["met"], bool), name
        assert row["goal"], name
    assert rows["quota"]["figure"] == 2  # 60 distinct videos: two videos.list calls of 50
    assert rows["quota"]["met"] is True
    assert rows["import"]["details"]["heavy_modules_imported"] == []
    assert results["sizes"]["smoke"] is True
    assert results["machine"]["cores"] >= 1
    assert rows["workers-4"]["details"]["key_results"] == 40  # every one measured and asked once
    for name in rows:  # the printed table has a line per row
        assert any(line.startswith(name + " ") for line in done.stdout.splitlines()), name


def test_only_runs_the_rows_asked_for(tmp_path):
    out = tmp_path / "results.json"
    subprocess.run(
        [sys.executable, "-m", "bench", "--smoke", "--only", "quota", "--json", str(out)],
        cwd=ROOT,
        capture_output=True,
        text=True,
        timeout=60,
        check=True,
    )
    rows = json.loads(out.read_text(encoding="utf-8"))["rows"]
    assert [row["row"] for row in rows] == ["quota"]
    assert rows[0]["figure"] == rows[0]["baseline"] == 2


def test_a_smoke_comparison_runs_a_revision_and_this_tree_in_turns():
    done = subprocess.run(
        [sys.executable, "-m", "bench.compare", "HEAD", "--smoke", "--turns", "2"],
        cwd=ROOT,
        capture_output=True,
        text=True,
        timeout=300,
        check=False,
    )
    assert done.returncode == 0, done.stderr
    turns = [line.split() for line in done.stdout.splitlines() if line.startswith("turn ")]
    assert [(words[1], words[2]) for words in turns] == [
        ("1", "HEAD"),
        ("1", "this"),
        ("2", "HEAD"),
        ("2", "this"),
    ]
    assert "best of the turns: HEAD" in done.stdout
    listed = subprocess.run(
        ["git", "worktree", "list"],  # noqa: S607  # git from PATH, as the bench runs it
        cwd=ROOT,
        capture_output=True,
        text=True,
        check=True,
    )
    assert "okrkit-compare-" not in listed.stdout  # the revision's checkout is gone
