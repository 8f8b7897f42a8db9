import json
import subprocess
import sys
from pathlib import Path

import pytest
from click.testing import CliRunner

from okrkit.cli import main

ROOT = Path(__file__).parent.parent
EXAMPLE = str(ROOT / "examples" / "product-launch" / "okrs.yaml")


@pytest.fixture
def run():
    runner = CliRunner()

    def invoke(*args):
        return runner.invoke(main, list(args), catch_exceptions=False)

    return invoke


def okrkit(*args, cwd=ROOT):
    """The real command, as a user runs it."""
    return subprocess.run(
        [sys.executable, "-m", "okrkit", *args],
        capture_output=True,
        text=True,
        cwd=cwd,
        check=False,
    )


BAD_KR = """\
cycle: 2026-Q3
objectives:
  - id: grow
    title: Win the hearts of small businesses
    owner: sales
    key_results:
      - {id: reach, title: Increase customer reach}
      - {id: press, title: Create press release}
      - {id: signups, title: Pre-release sign-ups over 5k}
"""


class TestLint:
    def test_the_example_has_no_errors(self):
        result = okrkit("lint", EXAMPLE)
        assert result.returncode == 0, result.stdout + result.stderr
        assert "0 findings in 1 file" in result.stderr
        assert "Traceback" not in result.stderr

    def test_findings_at_error_severity_exit_1(self, tmp_path):
        path = tmp_path / "okrs.yaml"
        path.write_text(BAD_KR)
        result = okrkit("lint", str(path), "--format", "json")
        assert result.returncode == 1
        findings = json.loads(result.stdout)["findings"]
        by_kr = {}
        for finding in findings:
            by_kr.setdefault(finding["key_result"], []).append(finding)
        reach = by_kr["reach"]
        assert any(f["severity"] == "error" and "measurable" in f["name"] for f in reach)
        assert reach[0]["line"] == 7
        assert reach[0]["path"] == str(path)
        press = by_kr["press"]
        assert any("task" in f["name"] for f in press)
        assert "signups" not in by_kr

    def test_text_and_github_formats(self, tmp_path, run):
        path = tmp_path / "okrs.yaml"
        path.write_text(BAD_KR)
        text = run("lint", str(path))
        assert text.exit_code == 1
        assert f"{path}:7:21: OKR201 error " in text.stdout
        github = run("lint", str(path), "--format", "github")
        assert github.exit_code == 1
        lines = [line for line in github.stdout.splitlines() if "line=7" in line]
        assert lines
        assert lines[0].startswith(
            f"::error file={path},line=7,col=21,title=OKR201 key-result-not-measurable::"
        )

    def test_disable_by_code_and_name(self, tmp_path, run):
        path = tmp_path / "okrs.yaml"
        path.write_text(BAD_KR)
        data = json.loads(run("lint", str(path), "--format", "json").stdout)
        codes = {f["code"] for f in data["findings"] if f["severity"] == "error"}
        names = {f["name"] for f in data["findings"] if f["severity"] == "error"}
        args = [arg for code in codes for arg in ("--disable", code)]
        assert run("lint", str(path), *args).exit_code == 0
        args = [arg for name in names for arg in ("--disable", name)]
        assert run("lint", str(path), *args).exit_code == 0

    def test_unknown_rule_exits_2(self, run):
        result = run("lint", EXAMPLE, "--disable", "OKR999")
        assert result.exit_code == 2
        assert "OKR999" in result.stderr

    def test_unreadable_file_exits_2_and_others_are_still_checked(self, tmp_path):
        broken = tmp_path / "broken.yaml"
        broken.write_text("objectives:\n  - id: o\n    title: [oops\n")
        bad = tmp_path / "bad.yaml"
        bad.write_text(BAD_KR)
        result = okrkit("lint", str(broken), str(bad), "--format", "json")
        assert result.returncode == 2
        data = json.loads(result.stdout)
        assert data["unreadable"][0]["path"] == str(broken)
        assert f"{broken}:" in data["unreadable"][0]["error"]
        assert any(f["key_result"] == "reach" for f in data["findings"])

    def test_missing_file(self):
        result = okrkit("lint", "no/such/okrs.yaml")
        assert result.returncode == 2
        assert "no/such/okrs.yaml: no such file" in result.stderr
        assert "Traceback" not in result.stderr


class TestParse:
    @pytest.mark.parametrize(
        ("text", "expected"),
        [
            (
                "Organic social media mentions up by 40%",
                {
                    "metric": "Organic social media mentions",
                    "direction": "increase",
                    "target": 0.4,
                    "relative": True,
                    "baseline": None,
                    "unit": None,
                },
            ),
            (
                "YouTube video views over 100k",
                {
                    "metric": "YouTube video views",
                    "direction": "at_least",
                    "target": 100000,
                    "relative": False,
                    "baseline": None,
                    "unit": None,
                },
            ),
            (
                "Pre-release sign-ups over 5k",
                {
                    "metric": "Pre-release sign-ups",
                    "direction": "at_least",
                    "target": 5000,
                    "relative": False,
                    "baseline": None,
                    "unit": None,
                },
            ),
            (
                "Grow MRR from $20k to $35k",
                {
                    "metric": "MRR",
                    "direction": "increase",
                    "target": 35000,
                    "relative": False,
                    "baseline": 20000,
                    "unit": "USD",
                },
            ),
        ],
    )
    def test_json(self, text, expected):
        result = okrkit("parse", text, "--format", "json")
        assert result.returncode == 0
        assert json.loads(result.stdout) == expected

    def test_not_measurable_exits_1(self):
        result = okrkit("parse", "Increase customer reach", "--format", "json")
        assert result.returncode == 1
        data = json.loads(result.stdout)
        assert data["target"] is None
        assert data["direction"] is None
        assert "not measurable" in result.stderr

    def test_text(self, run):
        result = run("parse", "Reduce churn to 2%")
        assert result.exit_code == 0
        assert "direction: decrease" in result.stdout
        assert "unit:      %" in result.stdout


class TestStatus:
    def test_json_shape_and_numbers(self):
        result = okrkit("status", EXAMPLE, "--at", "2026-08-15", "--format", "json")
        assert result.returncode == 0, result.stderr
        data = json.loads(result.stdout)
        (objective,) = data["objectives"]
        assert {"id", "score", "grade", "status", "key_results"} <= set(objective)
        assert objective["id"] == "launch-buzz"
        krs = {kr["id"]: kr for kr in objective["key_results"]}
        assert set(krs) == {"mentions", "youtube-views", "signups"}
        for kr in krs.values():
            assert {"id", "progress", "attainment", "status", "value", "target"} <= set(kr)
        assert krs["mentions"]["target"] == pytest.approx(1680)
        assert krs["mentions"]["progress"] == pytest.approx(250 / 480)
        assert krs["youtube-views"]["progress"] == pytest.approx(0.38)
        assert krs["signups"]["value"] == 3100
        assert krs["signups"]["target"] == 5000
        assert krs["signups"]["progress"] == pytest.approx(0.62)
        assert objective["score"] == pytest.approx((250 / 480 + 0.38 + 0.62) / 3)
        assert objective["grade"] == "yellow"
        # half of 2026-Q3 has passed; aspirational OKRs are expected at 0.7 by the end
        assert {kr["status"] for kr in krs.values()} == {"on_track"}
        assert data["projects"] == [{"id": "campaign", "tasks_done": 1, "tasks_total": 14}] or (
            data["projects"][0]["tasks_done"] == 1 and data["projects"][0]["tasks_total"] == 14
        )

    def test_text(self, run):
        result = run("status", EXAMPLE, "--at", "2026-08-15")
        assert result.exit_code == 0
        assert "launch-buzz" in result.stdout
        assert "score 0.51" in result.stdout
        assert "campaign: 1/14 tasks done" in result.stdout

    def test_at_past_the_end_is_off_track(self, run):
        data = json.loads(run("status", EXAMPLE, "--at", "2026-12-01", "--format", "json").stdout)
        statuses = {kr["id"]: kr["status"] for kr in data["objectives"][0]["key_results"]}
        assert statuses["youtube-views"] == "off_track"

    def test_bad_date(self, run):
        result = run("status", EXAMPLE, "--at", "next week")
        assert result.exit_code == 2
        assert "not a date" in result.stderr


class TestShowAndSchema:
    def test_show_tree(self, run):
        result = run("show", EXAMPLE)
        assert result.exit_code == 0
        out = result.stdout
        assert "Acme widget launch - 2026-Q3 (2026-07-01..2026-09-30)" in out
        assert "-> at least 100,000  [youtube]" in out
        assert "-> +40% on the baseline (1,200 -> 1,680)" in out
        assert "tasks done 1/14" in out
        assert "[x] Marketing team develops a roadmap" in out

    def test_show_json(self, run):
        data = json.loads(run("show", EXAMPLE, "--format", "json").stdout)
        krs = data["objectives"][0]["key_results"]
        assert [kr["goal"] for kr in krs] == [pytest.approx(1680), 100000, 5000]
        assert data["projects"][0]["tasks_total"] == 14

    def test_schema(self):
        result = okrkit("schema")
        assert result.returncode == 0
        assert json.loads(result.stdout)["$schema"].endswith("2020-12/schema")

    def test_malformed_file_no_traceback(self, tmp_path):
        path = tmp_path / "okrs.yaml"
        path.write_text("objectives:\n  - id: o\n    titel: t\n")
        result = okrkit("show", str(path))
        assert result.returncode == 2
        assert result.stderr.startswith(f"error: {path}:3:5: unknown field 'titel'")
        assert "Traceback" not in result.stderr


def test_every_command_has_help(run):
    for name in main.commands:
        result = run(name, "--help")
        assert result.exit_code == 0
        assert f"Usage: main {name}" in result.stdout or f"Usage: okrkit {name}" in result.stdout


def test_version(run):
    result = run("--version")
    assert result.exit_code == 0
    assert result.stdout.startswith("okrkit, version ")
