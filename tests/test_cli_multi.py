"""okrkit status and okrkit report over several OKR files: two teams, one shared store.

Team A and team B each have a key result `signups`, with different values, refreshed for real
(the `static` connector) into one SQLite store. Every format must show each team its own values,
in the order the files are given; two plans the store cannot tell apart are refused.
"""

import csv
import io
import json
import re
from html.parser import HTMLParser
from pathlib import Path

import pytest
from click.testing import CliRunner

from okrkit.cli import main
from okrkit.report import COLUMNS

TEAM = """\
{id_line}title: {title}
cycle: 2026-Q3
objectives:
  - id: grow
    title: {objective}
    owner: {owner}
    key_results:
      - id: signups
        title: Sign-ups over {goal}
        source: {{connector: static, value: {signups}}}
{extra}"""

ACTIVATIONS = """\
      - id: activations
        title: Activations over 100
        source: {connector: static, value: 40}
"""

TEAMS = {
    "a": {
        "id": "team-a",
        "title": "Team A growth",
        "objective": "Win the hearts of small businesses",
        "owner": "sales",
        "goal": "5k",
        "values": (800, 1200),
        "extra": "",
    },
    "b": {
        "id": "team-b",
        "title": "Team B growth",
        "objective": "Become the tool developers reach for first",
        "owner": "devrel",
        "goal": "2k",
        "values": (900, 1500),
        "extra": ACTIVATIONS,
    },
}
REFRESHES = ("2026-07-20", "2026-08-15")
AT = "2026-08-15"


def run(*args):
    return CliRunner().invoke(main, [str(arg) for arg in args], catch_exceptions=False)


def write_team(folder: Path, team: str, signups: float, *, with_id: bool = True) -> Path:
    spec = TEAMS[team]
    folder.mkdir(parents=True, exist_ok=True)
    path = folder / "okrs.yaml"
    path.write_text(
        TEAM.format(
            id_line=f"id: {spec['id']}\n" if with_id else "",
            signups=signups,
            **{k: v for k, v in spec.items() if k not in ("id", "values")},
        )
    )
    return path


def refresh_team(folder: Path, team: str, store: str | None, *, with_id: bool = True) -> Path:
    """The team's file refreshed for real at each of `REFRESHES`, its value rising each time."""
    path = folder / "okrs.yaml"
    for day, value in zip(REFRESHES, TEAMS[team]["values"], strict=True):
        write_team(folder, team, value, with_id=with_id)
        extra = ("--store", store) if store else ()
        result = run("refresh", path, "--at", day, *extra)
        assert result.exit_code == 0, result.output
        assert "1 measured" in result.output or "2 measured" in result.output
    return path


@pytest.fixture
def teams(tmp_path):
    """Team A's and team B's files, refreshed into one shared store: (a, b, store)."""
    store = str(tmp_path / "shared.db")
    a = refresh_team(tmp_path / "a", "a", store)
    b = refresh_team(tmp_path / "b", "b", store)
    return a, b, store


def key_results(objectives):
    return {kr["id"]: kr for objective in objectives for kr in objective["key_results"]}


# -- status -----------------------------------------------------------------------------------


def test_status_text_shows_each_plan_with_its_own_values_in_the_order_given(teams):
    a, b, store = teams
    result = run("status", a, b, "--store", store, "--at", AT)
    assert result.exit_code == 0, result.output
    first, second = result.stdout.split("\n\nTeam B growth - 2026-Q3")
    assert first.startswith("Team A growth - 2026-Q3 (2026-07-01..2026-09-30)\n")
    assert f"{a}, plan team-a" in first
    assert "signups  █████░░░░░░░░░░░░░░░ 0.24  at risk    1,200 / 5,000" in first
    assert "1,500" not in first
    assert f"{b}, plan team-b" in second
    assert "signups      ███████████████░░░░░ 0.75  on track   1,500 / 2,000" in second
    assert "activations  ████████░░░░░░░░░░░░ 0.40" in second
    assert "1,200" not in second
    backwards = run("status", b, a, "--store", store, "--at", AT).stdout
    assert backwards.index("Team B growth") < backwards.index("Team A growth")


def test_status_json_of_several_plans(teams):
    a, b, store = teams
    result = run("status", a, b, "--store", store, "--at", AT, "--format", "json")
    assert result.exit_code == 0, result.output
    data = json.loads(result.stdout)
    assert list(data) == ["plans"]
    first, second = data["plans"]
    assert (first["file"], first["key"], first["title"]) == (str(a), "team-a", "Team A growth")
    assert (second["file"], second["key"], second["title"]) == (str(b), "team-b", "Team B growth")
    assert {"at", "objectives", "projects"} <= set(first)
    assert first["at"] == second["at"]
    signups_a = key_results(first["objectives"])["signups"]
    signups_b = key_results(second["objectives"])["signups"]
    assert (signups_a["value"], signups_a["target"], signups_a["progress"]) == (1200, 5000, 0.24)
    assert (signups_b["value"], signups_b["target"], signups_b["progress"]) == (1500, 2000, 0.75)
    assert set(key_results(first["objectives"])) == {"signups"}
    assert key_results(second["objectives"])["activations"]["value"] == 40


def test_status_of_one_file_is_unchanged(teams):
    a, _, store = teams
    data = json.loads(run("status", a, "--store", store, "--at", AT, "--format", "json").stdout)
    assert set(data) == {"at", "objectives", "projects"}  # no "plans", no "file"
    assert key_results(data["objectives"])["signups"]["value"] == 1200
    text = run("status", a, "--store", store, "--at", AT).stdout
    assert text.startswith("Team A growth - 2026-Q3 (2026-07-01..2026-09-30)\nas of 2026-08-15")
    assert "plan team-a" not in text


def test_status_needs_a_file():
    result = run("status")
    assert result.exit_code == 2
    assert "Missing argument 'FILE...'" in result.stderr


# -- report -----------------------------------------------------------------------------------


def test_report_text_and_markdown_show_each_plan_in_turn(teams):
    a, b, store = teams
    text = run("report", a, b, "--store", store, "--at", AT).stdout
    first, second = text.split("\nTeam B growth - 2026-Q3 (1 Jul to 30 Sep 2026)\n")
    assert first.startswith("Team A growth - 2026-Q3 (1 Jul to 30 Sep 2026)\n")
    assert "signups  █████░░░░░░░░░░░░░░░ 0.24  at risk    1,200 / 5,000" in first
    assert "1,500" not in first
    assert "signups      ███████████████░░░░░ 0.75  on track   1,500 / 2,000" in second
    assert "1,200" not in second
    markdown = run("report", a, b, "--store", store, "--at", AT, "--format", "markdown").stdout
    headings = [line for line in markdown.splitlines() if line.startswith("# ")]
    assert headings == ["# Team A growth - 2026-Q3", "# Team B growth - 2026-Q3"]
    first, second = markdown.split("# Team B growth - 2026-Q3")
    row_a = "| **signups** Sign-ups over 5k | `▓▓░░░░░░░░ 0.24` | at risk | 1,200 / 5,000 |"
    row_b = "| **signups** Sign-ups over 2k | `▓▓▓▓▓▓▓▓░░ 0.75` | on track | 1,500 / 2,000 |"
    assert row_a in first
    assert row_a not in second
    assert row_b in second


def test_report_json_of_several_plans(teams):
    a, b, store = teams
    result = run("report", a, b, "--store", store, "--at", AT, "--format", "json")
    assert result.exit_code == 0, result.output
    data = json.loads(result.stdout)
    assert list(data) == ["plans"]
    first, second = data["plans"]
    assert (first["plan"]["key"], second["plan"]["key"]) == ("team-a", "team-b")
    assert first["at"] == second["at"] == "2026-08-15T23:59:59.999999+00:00"
    signups_a = key_results(first["objectives"])["signups"]
    signups_b = key_results(second["objectives"])["signups"]
    assert signups_a["value"] == 1200
    assert signups_b["value"] == 1500
    # each history holds its own plan's refreshes, never the other team's
    assert [h["value"] for h in signups_a["history"]] == [800, 1200]
    assert [h["value"] for h in signups_b["history"]] == [900, 1500]
    single = json.loads(run("report", a, "--store", store, "--at", AT, "--format", "json").stdout)
    assert "plans" not in single
    assert single["plan"]["key"] == "team-a"


def test_report_csv_has_a_leading_plan_column(teams):
    a, b, store = teams
    out = run("report", a, b, "--store", store, "--at", AT, "--format", "csv").stdout
    reader = csv.reader(io.StringIO(out))
    assert next(reader) == ["plan", *COLUMNS]
    rows = [dict(zip(["plan", *COLUMNS], row, strict=True)) for row in reader]
    assert [(r["plan"], r["key_result"], float(r["value"]), r["status"]) for r in rows] == [
        ("team-a", "signups", 1200, "at_risk"),
        ("team-b", "signups", 1500, "on_track"),
        ("team-b", "activations", 40, "on_track"),
    ]
    single = run("report", a, "--store", store, "--at", AT, "--format", "csv").stdout
    assert single.splitlines()[0] == ",".join(COLUMNS)  # one file: no plan column


class Page(HTMLParser):
    """Every start tag of a page, with its attributes."""

    def __init__(self, html: str) -> None:
        super().__init__(convert_charrefs=True)
        self.tags: list[tuple[str, dict[str, str]]] = []
        self.feed(html)

    def handle_starttag(self, tag, attrs):
        self.tags.append((tag, {name: value or "" for name, value in attrs}))


def test_report_html_is_one_page_with_a_section_per_plan(teams, tmp_path):
    a, b, store = teams
    out = tmp_path / "report.html"
    result = run("report", a, b, "--store", store, "--at", AT, "--format", "html", "-o", out)
    assert result.exit_code == 0, result.output
    assert f"wrote {out} (html)" in result.stderr
    html = out.read_text()
    assert html.count("<!DOCTYPE html>") == 1
    assert html.count("<html") == 1
    page = Page(html)
    ids = [attrs["id"] for _, attrs in page.tags if "id" in attrs]
    assert len(ids) == len(set(ids))  # both plans have a `signups`, yet no id is used twice
    for reference in re.findall(r'aria-labelledby="([^"]+)"', html):
        assert set(reference.split()) <= set(ids)
    sections = [attrs for tag, attrs in page.tags if tag == "section" and "data-plan" in attrs]
    assert [s["data-plan"] for s in sections] == ["team-a", "team-b"]
    links = [attrs["href"] for tag, attrs in page.tags if tag == "a"]
    assert links == [f"#{s['id']}" for s in sections]  # the contents list, in order
    assert html.count('data-key-result="signups"') == 2
    assert "<script" not in html
    assert "default-src 'none'" in html
    plan_a, plan_b = html.split('data-plan="team-b"')
    assert '<span class="big" data-field="value">1,200</span>' in plan_a
    assert '<span class="big" data-field="value">1,500</span>' in plan_b
    assert "1,500</span>" not in plan_a  # team B's value never shows in team A's section


def test_report_of_one_file_is_unchanged(teams):
    a, _, store = teams
    html = run("report", a, "--store", store, "--at", AT, "--format", "html").stdout
    assert "data-plan" not in html
    assert '<nav class="contents"' not in html
    assert "<h1>Team A growth" in html


# -- refusals ---------------------------------------------------------------------------------


def test_two_plans_with_the_same_key_in_one_store_are_refused(tmp_path):
    store = str(tmp_path / "shared.db")
    # two teams' okrs.yaml without an id: both would be plan "okrs" in the shared store
    a = refresh_team(tmp_path / "a", "a", store, with_id=False)
    b = write_team(tmp_path / "b", "b", 1500, with_id=False)
    for command in ("status", "report"):
        result = run(command, a, b, "--store", store, "--at", AT)
        assert result.exit_code == 2
        assert result.stdout == ""  # never team A's values under team B's title
        message = result.stderr
        assert message.startswith(f"error: {a} and {b} would both be read as plan 'okrs'")
        assert f"from the store {store}" in message
        assert "give each plan an id of its own in its file" in message


def test_the_same_key_in_stores_of_their_own_is_fine(tmp_path):
    a = refresh_team(tmp_path / "a", "a", None, with_id=False)
    b = refresh_team(tmp_path / "b", "b", None, with_id=False)
    result = run("status", a, b, "--at", AT, "--format", "json")
    assert result.exit_code == 0, result.output
    first, second = json.loads(result.stdout)["plans"]
    assert (first["key"], second["key"]) == ("okrs", "okrs")
    assert key_results(first["objectives"])["signups"]["value"] == 1200
    assert key_results(second["objectives"])["signups"]["value"] == 1500


def test_two_files_sharing_a_default_store_and_a_key_are_refused(tmp_path):
    a = write_team(tmp_path / "a", "a", 1200, with_id=False)
    twin = a.with_name("okrs.yml")  # okrs.okrkit.db is the default store of both
    twin.write_text(a.read_text().replace("Team A", "Team Z"))
    result = run("status", a, twin, "--at", AT)
    assert result.exit_code == 2
    assert f"{a} and {twin} would both be read as plan 'okrs'" in result.stderr


def test_the_same_file_twice_is_refused(teams):
    a, _, store = teams
    result = run("report", a, a, "--store", store)
    assert result.exit_code == 2
    assert result.stdout == ""
    assert f"{a} is given twice" in result.stderr


def test_a_file_that_cannot_be_loaded_stops_everything_and_is_named(teams, tmp_path):
    a, b, store = teams
    broken = tmp_path / "broken.yaml"
    broken.write_text("objectives:\n  - id: o\n    title: [oops\n")
    for command in ("status", "report"):
        result = run(command, a, broken, b, "--store", store, "--at", AT)
        assert result.exit_code == 2
        assert result.stdout == ""  # all or nothing: team A is not shown either
        assert result.stderr.startswith(f"error: {broken}:")
        assert "Traceback" not in result.stderr
    missing = run("status", a, tmp_path / "nope.yaml", "--store", store)
    assert missing.exit_code == 2
    assert f"{tmp_path / 'nope.yaml'}: no such file" in missing.stderr


# -- both store backends ----------------------------------------------------------------------


def test_two_teams_in_one_store_of_each_backend(tmp_path, store_url):
    a = refresh_team(tmp_path / "a", "a", store_url)
    b = refresh_team(tmp_path / "b", "b", store_url)
    result = run("report", a, b, "--store", store_url, "--at", AT, "--format", "json")
    assert result.exit_code == 0, result.output
    first, second = json.loads(result.stdout)["plans"]
    assert key_results(first["objectives"])["signups"]["value"] == 1200
    assert key_results(second["objectives"])["signups"]["value"] == 1500
