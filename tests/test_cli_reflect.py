"""okrkit review, retro, carry-over and report: the real command on a copy of the example."""

import csv
import io
import json
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

import okrkit

ROOT = Path(__file__).parent.parent


def okrkit_cli(*args, cwd=ROOT):
    return subprocess.run(
        [sys.executable, "-m", "okrkit", *args],
        capture_output=True,
        text=True,
        cwd=cwd,
        check=False,
        env={"PATH": "/usr/bin:/bin", "NO_COLOR": "1"},
    )


@pytest.fixture(scope="module")
def refreshed(tmp_path_factory):
    """The example refreshed at four moments of 2026-Q3 and after its end."""
    folder = tmp_path_factory.mktemp("launch") / "product-launch"
    shutil.copytree(
        ROOT / "examples" / "product-launch", folder, ignore=shutil.ignore_patterns("*.okrkit.db*")
    )
    file = folder / "okrs.yaml"
    for day in ("2026-07-20", "2026-08-15", "2026-09-15"):
        result = okrkit_cli("refresh", str(file), "--at", day)
        assert result.returncode == 0, result.stdout + result.stderr
    return file


def test_review_names_what_moved_and_what_is_at_risk(refreshed):
    first = okrkit_cli("review", str(refreshed), "--at", "2026-08-15", "--format", "json")
    assert first.returncode == 0, first.stderr
    second = okrkit_cli("review", str(refreshed), "--at", "2026-09-15", "--format", "json")
    data = json.loads(second.stdout)
    assert data["since"].startswith("2026-08-15")  # compared with the recorded review
    moved = {m["key_result"]: m for m in data["moved"]}
    assert (moved["mentions"]["before"], moved["mentions"]["now"]) == (196, 220)
    assert (moved["signups"]["before"], moved["signups"]["now"]) == (1778, 3325)
    assert {r["key_result"] for r in data["at_risk"]} == {"youtube-views"}
    text = okrkit_cli("review", str(refreshed), "--at", "2026-09-15", "--no-record").stdout
    assert "mentions: 196 -> 220" in text
    assert "youtube-views: at risk" in text


def test_review_flags_activity_without_impact(tmp_path):
    folder = tmp_path / "launch"
    shutil.copytree(
        ROOT / "examples" / "product-launch", folder, ignore=shutil.ignore_patterns("*.okrkit.db*")
    )
    file = folder / "okrs.yaml"
    text = file.read_text()
    for title in ("YouTube videos launched", "Creative team develops videos for new product"):
        text = text.replace(
            f"{{title: {title}, key_results: [youtube-views]}}",
            f"{{title: {title}, key_results: [youtube-views], done: true}}",
        )
    file.write_text(text)
    okrkit_cli("refresh", str(file), "--at", "2026-08-15")
    data = json.loads(
        okrkit_cli("review", str(file), "--at", "2026-08-15", "--format", "json").stdout
    )
    idle = {a["key_result"]: a for a in data["activity_without_impact"]}
    assert set(idle) == {"youtube-views"}
    assert (idle["youtube-views"]["tasks_done"], idle["youtube-views"]["tasks_total"]) == (2, 2)


def test_retro_before_the_end_is_refused(refreshed):
    result = okrkit_cli("retro", str(refreshed), "--at", "2026-09-01")
    assert result.returncode == 2
    assert "error:" in result.stderr
    assert "Traceback" not in result.stderr


def test_retro_after_the_end(refreshed):
    okrkit_cli("refresh", str(refreshed))
    result = okrkit_cli("retro", str(refreshed), "--format", "json")
    assert result.returncode == 0, result.stderr
    data = json.loads(result.stdout)
    (objective,) = data["objectives"]
    assert objective["grade"] == "green"
    scores = {kr["id"]: kr["score"] for kr in objective["key_results"]}
    assert scores["signups"] == pytest.approx(4242 / 5000)
    assert data["calibration"]["verdict"] == "not_enough_history"
    assert "launch-buzz: 0.71 green" in okrkit_cli("retro", str(refreshed)).stdout


def test_carry_over_writes_a_plan_that_loads_and_lints(refreshed, tmp_path):
    okrkit_cli("refresh", str(refreshed))
    out = tmp_path / "q4.yaml"
    result = okrkit_cli("carry-over", str(refreshed), "--to", "2026-Q4", "-o", str(out))
    assert result.returncode == 0, result.stderr
    plan = okrkit.load(out)
    assert str(plan.cycle) == "2026-Q4"
    assert plan.key_result("signups").target.baseline == 4242
    assert plan.key_result("mentions").target.baseline == 233
    assert all(
        task.status.value in ("todo", "doing")
        for p in plan.projects
        for t in p.tasks
        for task in [t]
    )
    assert [f for f in okrkit.lint(plan) if f.severity == "error"] == []
    assert okrkit_cli("carry-over", str(refreshed), "--to", "2026-Q2").returncode == 2


@pytest.mark.parametrize("fmt", ["text", "markdown", "json", "csv", "html"])
def test_report_in_every_format(refreshed, fmt):
    result = okrkit_cli("report", str(refreshed), "--at", "2026-09-15", "--format", fmt)
    assert result.returncode == 0, result.stderr
    out = result.stdout
    for key_result in ("mentions", "youtube-views", "signups"):
        assert key_result in out
    if fmt == "json":
        data = json.loads(out)
        krs = {kr["id"]: kr for kr in data["objectives"][0]["key_results"]}
        assert krs["signups"]["value"] == 3325
        # the three refreshes of the cycle, oldest first
        assert [h["value"] for h in krs["signups"]["history"]] == [818, 1778, 3325]
        assert krs["signups"]["forecast"]["enough_data"] is True
        assert krs["youtube-views"]["forecast"]["enough_data"] is False
        assert data["projects"][0]["tasks_total"] == 14
    if fmt == "csv":
        rows = {row["key_result"]: row for row in csv.DictReader(io.StringIO(out))}
        assert float(rows["signups"]["value"]) == 3325
    if fmt == "html":
        assert out.lstrip().lower().startswith("<!doctype html>")
        assert 'data-key-result="signups"' in out


def test_report_to_a_file(refreshed, tmp_path):
    out = tmp_path / "report.html"
    result = okrkit_cli("report", str(refreshed), "--format", "html", "-o", str(out))
    assert result.returncode == 0, result.stderr
    assert "wrote" in result.stderr
    assert "signups" in out.read_text()
