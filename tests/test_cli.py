import json
import shutil
import subprocess
import sys
from pathlib import Path

import pytest
from click.testing import CliRunner

import okrkit as okrkit_api
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


@pytest.fixture
def example(tmp_path):
    """A copy of the example, so refreshes write their store in a scratch folder."""
    folder = tmp_path / "product-launch"
    shutil.copytree(ROOT / "examples" / "product-launch", folder)
    for stale in folder.glob("*.okrkit.db*"):
        stale.unlink()
    return folder / "okrs.yaml"


class TestStatus:
    def test_refresh_then_status_json(self, example):
        refreshed = okrkit("refresh", str(example), "--at", "2026-08-15", "--format", "json")
        assert refreshed.returncode == 0, refreshed.stderr
        run = json.loads(refreshed.stdout)
        assert (run["measured"], run["failed"], run["skipped"]) == (2, 0, 1)
        result = okrkit("status", str(example), "--at", "2026-08-15", "--format", "json")
        assert result.returncode == 0, result.stderr
        data = json.loads(result.stdout)
        (objective,) = data["objectives"]
        assert {"id", "score", "grade", "status", "key_results"} <= set(objective)
        assert objective["id"] == "launch-buzz"
        krs = {kr["id"]: kr for kr in objective["key_results"]}
        assert set(krs) == {"mentions", "youtube-views", "signups"}
        for kr in krs.values():
            assert {"id", "progress", "attainment", "status", "value", "target"} <= set(kr)
        # mentions: 196 in the 7 days to 15 August, against 172 in the 7 days before the cycle
        assert krs["mentions"]["value"] == 196
        assert krs["mentions"]["target"] == pytest.approx(172 * 1.4)
        assert krs["mentions"]["progress"] == pytest.approx((196 - 172) / (172 * 0.4))
        assert krs["youtube-views"]["value"] == 38000  # the file's hand-typed value
        assert krs["youtube-views"]["progress"] == pytest.approx(0.38)
        assert (krs["signups"]["value"], krs["signups"]["target"]) == (1778, 5000)
        assert objective["score"] == pytest.approx(
            ((196 - 172) / (172 * 0.4) + 0.38 + 1778 / 5000) / 3
        )
        assert objective["grade"] == "yellow"
        # half of 2026-Q3 has passed; aspirational OKRs are expected at 0.7 by the end
        assert {kr["status"] for kr in krs.values()} == {"on_track"}
        (project,) = data["projects"]
        assert (project["id"], project["tasks_done"], project["tasks_total"]) == ("campaign", 1, 14)

    def test_status_without_a_store_uses_the_file(self, example, run):
        data = json.loads(
            run("status", str(example), "--at", "2026-08-15", "--format", "json").stdout
        )
        krs = {kr["id"]: kr for kr in data["objectives"][0]["key_results"]}
        assert krs["youtube-views"]["value"] == 38000
        assert krs["signups"]["status"] == "no_data"
        assert krs["mentions"]["status"] == "no_data"  # relative, and no baseline measured yet
        assert not (example.parent / "okrs.okrkit.db").exists()  # status never creates a store

    def test_text(self, example, run):
        assert run("refresh", str(example), "--at", "2026-08-15").exit_code == 0
        result = run("status", str(example), "--at", "2026-08-15")
        assert result.exit_code == 0
        assert "launch-buzz" in result.stdout
        assert "score 0.36" in result.stdout
        assert "1,778 / 5,000  tasks 0/2" in result.stdout
        assert "campaign: 1/14 tasks done" in result.stdout

    def test_at_past_the_end_is_off_track(self, example, run):
        data = json.loads(
            run("status", str(example), "--at", "2026-12-01", "--format", "json").stdout
        )
        statuses = {kr["id"]: kr["status"] for kr in data["objectives"][0]["key_results"]}
        assert statuses["youtube-views"] == "off_track"

    def test_bad_date(self, run):
        result = run("status", EXAMPLE, "--at", "next week")
        assert result.exit_code == 2
        assert "not a date" in result.stderr


class TestRefresh:
    def test_text_says_what_was_measured_and_why_youtube_was_skipped(self, example, run):
        result = run("refresh", str(example))
        assert result.exit_code == 0
        out = result.stdout
        assert "signups        measured         4,242  sql" in out
        assert "mentions       measured           233  csv" in out
        assert "youtube-views  skipped" in out
        assert "environment variable YOUTUBE_API_KEY is not set" in out
        assert "2 measured, 0 failed, 1 skipped" in out
        assert run("refresh", str(example), "--strict").exit_code == 1

    def test_rate_limit_option(self, example, run):
        result = run("refresh", str(example), "--rate-limit", "nonsense")
        assert result.exit_code == 2
        assert "is not HOST=N" in result.stderr
        assert run("refresh", str(example), "--rate-limit", "api.example.com=5").exit_code == 0

    def test_dry_run_writes_nothing(self, example, run):
        result = run("refresh", str(example), "--dry-run", "--format", "json")
        assert result.exit_code == 0
        data = json.loads(result.stdout)
        assert [r["status"] for r in data["results"]] == ["planned", "skipped", "planned"]
        assert (
            run("history", "signups", "-f", str(example), "--format", "json").stdout.count(
                "observed_at"
            )
            == 0
        )

    def test_invalid_settings_exit_2_and_keep_the_rest(self, example, run):
        text = example.read_text().replace("measure: count,", "measure: count, colum: x,")
        example.write_text(text)
        result = run("refresh", str(example), "--format", "json")
        assert result.exit_code == 2
        data = json.loads(result.stdout)
        results = {r["key_result"]: r for r in data["results"]}
        assert results["mentions"]["status"] == "invalid"
        assert "colum" in results["mentions"]["error"]
        assert results["signups"]["status"] == "measured"

    def test_a_failing_source_exits_1_and_keeps_the_others(self, example, run):
        (example.parent / "signups.db").unlink()
        result = run("refresh", str(example), "--format", "json")
        assert result.exit_code == 1
        results = {r["key_result"]: r for r in json.loads(result.stdout)["results"]}
        assert results["signups"]["status"] == "failed"
        assert "signups.db" in results["signups"]["error"]
        assert results["mentions"]["status"] == "measured"
        history = json.loads(
            run("history", "mentions", "-f", str(example), "--format", "json").stdout
        )
        assert [row["value"] for row in history["history"]] == [233]

    @pytest.mark.parametrize(
        ("option", "value", "message"),
        [
            ("--shard", "5/4", "Invalid value for --shard: shard 5/4 does not exist: give K/N"),
            ("--shard", "half", "Invalid value for --shard: 'half' is not a shard: write K/N"),
            (
                "--fresh-for",
                "soon",
                "Invalid value for --fresh-for: 'soon' is not a duration: write 90s, 30m, 6h or 1d",
            ),
            ("--lease-ttl", "-2m", "Invalid value for --lease-ttl: '-2m' is not a duration"),
        ],
    )
    def test_bad_sharing_options_are_refused_before_anything_runs(
        self, example, run, option, value, message
    ):
        result = run("refresh", str(example), option, value)
        assert result.exit_code == 2
        assert message in " ".join(result.stderr.split())
        assert not (example.parent / "okrs.okrkit.db").exists()  # nothing created

    def test_a_second_run_while_another_holds_the_key_results(self, example, run):
        ids = [kr.id for kr in okrkit_api.load(example).key_results()]
        with okrkit_api.open_store(example.parent / "okrs.okrkit.db") as store:
            store.claim("okrs", ids, holder="cron on box-1", token="t1", host="box-1", pid=7)
            result = run("refresh", str(example))
            assert result.exit_code == 75  # busy, not bad input: a retry later works
            assert "another refresh holds the key results of plan 'okrs'" in result.stderr
            assert "cron on box-1" in result.stderr
            # with one key result free, the run fetches it and leaves the others to their holder
            store.release("okrs", "t1")
            store.claim(
                "okrs", ["signups"], holder="cron on box-1", token="t2", host="box-1", pid=7
            )
            result = run("refresh", str(example), "--format", "json")
        report = json.loads(result.stdout)
        statuses = {r["key_result"]: r["status"] for r in report["results"]}
        assert statuses["signups"] == "held"
        assert statuses["mentions"] == "measured"
        assert report["held"] == 1
        assert result.exit_code == 0


class TestHistoryAndCheckin:
    def test_history_after_two_refreshes(self, example, run):
        run("refresh", str(example), "--at", "2026-08-15")
        run("refresh", str(example))
        data = json.loads(run("history", "signups", "-f", str(example), "--format", "json").stdout)
        assert [row["value"] for row in data["history"]] == [1778, 4242]
        assert {row["source"] for row in data["history"]} == {"sql"}
        csv_out = run("history", "signups", "-f", str(example), "--format", "csv").stdout
        assert csv_out.splitlines()[0] == "observed_at,value,source,fetched_at,run_id"
        text = run("history", "signups", "-f", str(example), "--since", "2026-09-01").stdout
        assert "4,242" in text
        assert "1,778" not in text

    def test_history_of_an_unknown_key_result(self, example, run):
        result = run("history", "nope", "-f", str(example))
        assert result.exit_code == 2
        assert "no key result with id 'nope'" in result.stderr

    def test_checkin_counts_in_status(self, example, run):
        result = run(
            "checkin",
            "youtube-views",
            "61000",
            "--confidence",
            "0.2",
            "--note",
            "launch slipped",
            "--at",
            "2026-08-10",
            "-f",
            str(example),
        )
        assert result.exit_code == 0, result.stderr
        assert "checked in youtube-views: value 61,000, confidence 0.2" in result.stdout
        data = json.loads(
            run("status", str(example), "--at", "2026-08-15", "--format", "json").stdout
        )
        kr = {k["id"]: k for k in data["objectives"][0]["key_results"]}["youtube-views"]
        assert kr["confidence"] == 0.2
        assert kr["note"] == "launch slipped"
        assert kr["status"] == "at_risk"  # on pace by value, but the team's confidence is low

    def test_checkin_needs_a_value_or_a_confidence(self, example, run):
        result = run("checkin", "signups", "-f", str(example))
        assert result.exit_code == 2
        assert "needs a value, a confidence, or both" in result.stderr


def test_connectors_lists_the_builtins(run):
    data = json.loads(run("connectors", "--format", "json").stdout)
    names = {c["name"]: c for c in data["connectors"]}
    assert {"static", "http", "sql", "csv"} <= set(names)
    assert names["sql"]["distribution"] == "okrkit"
    assert "query" in {s["name"] for s in names["sql"]["settings"]}
    text = run("connectors").stdout
    assert "sql  (okrkit " in text


class TestShowAndSchema:
    def test_show_tree(self, run):
        result = run("show", EXAMPLE)
        assert result.exit_code == 0
        out = result.stdout
        assert "Acme widget launch - 2026-Q3 (2026-07-01..2026-09-30)" in out
        assert "-> at least 100,000  [youtube]" in out
        assert "-> +40% on the baseline  [csv]" in out
        assert "tasks done 1/14" in out
        assert "[x] Marketing team develops a roadmap" in out

    def test_show_json(self, run):
        data = json.loads(run("show", EXAMPLE, "--format", "json").stdout)
        krs = data["objectives"][0]["key_results"]
        assert [kr["goal"] for kr in krs] == [None, 100000, 5000]
        assert [kr["connector"] for kr in krs] == ["csv", "youtube", "sql"]
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
