"""The report renderers: what each format says, exactly, for the product launch and edge cases."""

from __future__ import annotations

import csv
import io
import json
import re
import sys
import types
from html.parser import HTMLParser

import pytest

import report_sample as sample
from okrkit import report as reports
from okrkit.report import COLUMNS, FORMATS, render, to_dataframe
from okrkit.report import _format as fmt

ANSI = re.compile(r"\x1b\[[0-9;]*m")


# -- a small HTML tree, to read the dashboard the way a browser would ------------------------

VOID = {"meta", "br", "img", "input", "link", "hr", "wbr", "source"}


class Node:
    def __init__(self, tag: str, attrs: dict[str, str | None], parent: Node | None) -> None:
        self.tag, self.attrs, self.parent = tag, attrs, parent
        self.children: list[Node | str] = []

    def text(self) -> str:
        return "".join(c if isinstance(c, str) else c.text() for c in self.children)

    def walk(self):
        yield self
        for child in self.children:
            if isinstance(child, Node):
                yield from child.walk()

    def find_all(self, tag: str | None = None, **attrs: str):
        for node in self.walk():
            if tag is not None and node.tag != tag:
                continue
            if all(node.attrs.get(k.replace("_", "-")) == v for k, v in attrs.items()):
                yield node

    def find(self, tag: str | None = None, **attrs: str) -> Node:
        found = list(self.find_all(tag, **attrs))
        assert len(found) == 1, (tag, attrs, len(found))
        return found[0]

    def field(self, name: str) -> str:
        return " ".join(self.find(data_field=name).text().split())


class TreeBuilder(HTMLParser):
    def __init__(self) -> None:
        super().__init__(convert_charrefs=True)
        self.root = Node("#document", {}, None)
        self.current = self.root
        self.tags: list[tuple[str, dict[str, str | None]]] = []
        self.declarations: list[str] = []

    def handle_decl(self, decl):
        self.declarations.append(decl)

    def handle_starttag(self, tag, attrs):
        node = Node(tag, dict(attrs), self.current)
        self.tags.append((tag, dict(attrs)))
        self.current.children.append(node)
        if tag not in VOID:
            self.current = node

    def handle_startendtag(self, tag, attrs):
        self.tags.append((tag, dict(attrs)))
        self.current.children.append(Node(tag, dict(attrs), self.current))

    def handle_endtag(self, tag):
        node = self.current
        while node is not None and node.tag != tag:
            node = node.parent
        assert node is not None, f"unbalanced </{tag}>"
        assert node.parent is not None, f"unbalanced </{tag}>"
        self.current = node.parent

    def handle_data(self, data):
        self.current.children.append(data)


def parse(html: str) -> TreeBuilder:
    builder = TreeBuilder()
    builder.feed(html)
    builder.close()
    assert builder.current is builder.root, "an element was left open"
    return builder


# -- the API ----------------------------------------------------------------------------------


def test_the_formats_and_the_public_names():
    assert FORMATS == ("text", "markdown", "json", "csv", "html")
    assert reports.__all__ == sorted(reports.__all__)
    assert set(reports.__all__) == {"COLUMNS", "FORMATS", "build", "render", "to_dataframe"}


def test_an_unknown_format_is_refused_with_the_choices():
    with pytest.raises(ValueError, match=r"unknown report format 'pdf': choose one of text, "):
        render(sample.launch(), "pdf")


@pytest.mark.parametrize("name", sorted(sample.ALL))
@pytest.mark.parametrize("format_", FORMATS)
def test_every_sample_renders_in_every_format_and_ends_with_a_newline(name, format_):
    output = render(sample.ALL[name](), format_)
    assert output.endswith("\n")
    assert output.strip()


def test_rendering_does_not_change_the_mapping():
    report = sample.reliability()
    for format_ in FORMATS:
        render(report, format_)
    assert report == sample.reliability()


# -- numbers and words --------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("value", "unit", "text"),
    [
        (1778, None, "1,778"),
        (100000.0, None, "100,000"),
        (240.8, None, "240.8"),
        (6.8249, None, "6.82"),
        (0.005, None, "0.005"),
        (0.12345, None, "0.123"),
        (4153.7, None, "4,154"),
        (-50.2, None, "-50.2"),
        (0.6, "%", "0.6%"),
        (1130, "ms", "1,130 ms"),
        (35000, "$", "$35,000"),
        (-12, "$", "-$12"),
        (None, "ms", "?"),
        (-0.0, None, "0"),
    ],
)
def test_numbers_are_formatted_for_people(value, unit, text):
    assert fmt.number(value, unit) == text


@pytest.mark.parametrize(
    ("share", "text"),
    [(0.62, "62%"), (0.5, "50%"), (0.004, "<1%"), (0.999, ">99%"), (0.0, "0%"), (1.0, "100%")],
)
def test_percentages_never_round_to_a_false_none_or_all(share, text):
    assert fmt.percent(share) == text


def test_forecasts_are_rounded_to_three_significant_digits():
    assert fmt.rounded(4153.2) == 4150
    assert fmt.rounded(6.8249) == 6.82
    assert fmt.rounded(0.01234) == 0.0123
    assert fmt.rounded(0) == 0


def test_the_forecast_phrase_of_a_decrease_asks_for_a_drop():
    report = sample.reliability()
    page_load = fmt.by_id(report)["page-load"]
    assert fmt.forecast_phrase(page_load, report) == (
        "on course for 965 ms by 30 Sep (80%: 873-1,060 ms), 11% chance; "
        "needs a drop of 50.2 ms/week"
    )


def test_the_forecast_phrase_says_nothing_is_needed_once_achieved():
    report = sample.launch()
    signups = fmt.by_id(report)["signups"]
    signups["status"] = "achieved"
    assert fmt.forecast_phrase(signups, report) == (
        "on course for 4,150 by 30 Sep (80%: 3,710-4,590), 2% chance"
    )


def test_the_forecast_phrase_without_a_cycle_says_by_the_end():
    report = sample.launch()
    report["plan"]["cycle"] = None
    mentions = fmt.by_id(report)["mentions"]
    assert fmt.forecast_phrase(mentions, report).startswith("on course for 222 by the end (")


# -- text -------------------------------------------------------------------------------------

LAUNCH_TEXT = """\
Acme widget launch - 2026-Q3 (1 Jul to 30 Sep 2026)
as of 15 Aug 2026 23:59 UTC, 50% of the cycle passed

launch-buzz: Stir up a user-generated buzz around the new product launch that outshines competitors
   score 0.36  yellow  on track  (expected by now 0.35; aspirational, aims at 0.7; owner marketing)
   mentions       ███████░░░░░░░░░░░░░ 0.35  on track   196 / 240.8
                  Organic social media mentions up by 40%
                  forecast: on course for 222 by 30 Sep (80%: 209-234), 4% chance; needs 6.82/week
                  activity: 0/1 tasks done
   youtube-views  ████████░░░░░░░░░░░░ 0.38  on track   38,000 / 100,000
                  YouTube video views over 100k
                  forecast: none (needs at least 3 values in the cycle, has 0)
                  value typed in the file (current), not measured
                  activity: 0/2 tasks done
   signups        ███████░░░░░░░░░░░░░ 0.36  on track   1,778 / 5,000
                  Pre-release sign-ups over 5k
                  forecast: on course for 4,150 by 30 Sep (80%: 3,710-4,590), 2% chance; needs
                    490/week
                  check-in: confidence 60%, "Email campaign goes out on 20 Aug"
                  activity: 0/2 tasks done

projects (tasks done: activity, not results)
   campaign: 1/14 tasks done, serves launch-buzz - A multi-channel marketing campaign to gain
      widespread exposure for new product launch

review since 1 Aug 2026
   moved
      mentions: 185 → 196 (progress 0.19 → 0.35)
      signups: 850 → 1,778 (progress 0.17 → 0.36)
   stale
      youtube-views: never observed (expected every 7 days)
   missed check-ins
      mentions: no check-in yet
"""


def test_the_text_view_of_the_launch_at_mid_quarter():
    assert render(sample.launch()) == LAUNCH_TEXT
    assert render(sample.launch(), "text", width=100) == LAUNCH_TEXT


def test_text_keeps_tasks_beside_the_results_never_on_their_line():
    for line in render(sample.launch()).splitlines():
        if "█" in line:
            assert "task" not in line


@pytest.mark.parametrize("width", [20, 32, 40, 60, 80, 100, 140])
@pytest.mark.parametrize("name", sorted(sample.ALL))
def test_text_lines_fit_the_width(name, width):
    output = render(sample.ALL[name](), width=width, color=True)
    for line in output.splitlines():
        assert len(ANSI.sub("", line)) <= width, line


def test_narrow_text_still_says_everything():
    narrow = render(sample.launch(), width=40)
    flat = " ".join(narrow.split())
    for phrase in ("196 / 240.8", "38,000 / 100,000", "1,778 / 5,000", "score 0.36", "yellow"):
        assert phrase in flat
    assert "on course for 4,150 by 30 Sep (80%: 3,710-4,590), 2% chance; needs 490/week" in flat


def test_text_width_below_twenty_is_refused():
    with pytest.raises(ValueError, match="at least 20 columns, got 19"):
        render(sample.launch(), width=19)


def test_colour_is_ansi_and_only_when_asked():
    plain = render(sample.reliability())
    coloured = render(sample.reliability(), color=True)
    assert "\x1b[" not in plain
    assert ANSI.sub("", coloured) == plain
    lines = coloured.splitlines()
    page_load = next(line for line in lines if "page-load " in line and "█" in line)
    assert page_load.startswith("\x1b[33m")  # at risk: yellow
    errors = next(line for line in lines if "checkout-errors" in line and "█" in line)
    assert errors.startswith("\x1b[32m")  # on track: green
    assert lines[0] == "\x1b[1mAcme widget launch - 2026-Q3 (1 Jul to 30 Sep 2026)\x1b[0m"


def test_text_of_a_threshold_and_a_decrease():
    text = render(sample.reliability())
    assert "checkout-errors  ████████████████████ 1.00  on track   0.6% (at most 1%)" in text
    assert "page-load        █████████░░░░░░░░░░░ 0.45  at risk    1,130 ms / 800 ms" in text
    assert "score 0.72  green  at risk  (expected by now 0.50; committed, aims at 1.0;" in text
    assert "speed: 2/3 tasks done, serves launch-ready - Make the shop fast" in text
    assert "      page-load: at risk\n" in text
    assert "      page-load: 2/3 tasks done, value unchanged\n" in text


def test_text_with_no_data():
    text = render(sample.no_data())
    assert "score -  no grade  no data" in text
    assert "   nps  ····················    -  no data    no data / 40\n" in text
    assert "forecast: none (no values yet)" in text
    assert "activity" not in text  # no tasks: no activity line
    assert "review" not in text


def test_text_without_a_cycle():
    text = render(sample.no_cycle())
    assert text.startswith("Support desk\nas of 20 May 2026 12:00 UTC\n\n")
    assert "first-reply  ██████████░░░░░░░░░░ 0.50  on track   5 h / 2 h" in text
    assert "forecast: none (no cycle: nothing to forecast to)" in text
    assert "expected by now" not in text


def test_text_without_objectives():
    assert "no objectives yet" in render(sample.no_objectives())


# -- markdown -----------------------------------------------------------------------------------


def _table_cells(line: str) -> list[str]:
    """The cells of a Markdown table row, honouring escaped pipes."""
    assert line.startswith("| ")
    assert line.endswith(" |")
    return [cell.strip() for cell in re.split(r"(?<!\\)\|", line[1:-1])]


def test_markdown_of_the_launch():
    text = render(sample.launch(), "markdown")
    lines = text.splitlines()
    assert lines[0] == "# Acme widget launch - 2026-Q3"
    assert lines[2] == (
        "As of 15 Aug 2026 23:59 UTC: 50% of 2026-Q3 (1 Jul to 30 Sep 2026) has passed."
    )
    assert (
        "## launch-buzz: Stir up a user-generated buzz around the new product launch "
        "that outshines competitors"
    ) in lines
    assert (
        "**Score 0.36**, yellow, on track "
        "(expected by now 0.35; aspirational, aims at 0.7; owner marketing)"
    ) in lines
    rows = [_table_cells(line) for line in lines if line.startswith("| **")]
    assert rows[:3] == [
        [
            "**mentions** Organic social media mentions up by 40%",
            "`▓▓▓░░░░░░░ 0.35`",
            "on track",
            "196 / 240.8",
            "on course for 222 by 30 Sep (80%: 209-234), 4% chance; needs 6.82/week",
        ],
        [
            "**youtube-views** YouTube video views over 100k",
            "`▓▓▓▓░░░░░░ 0.38`",
            "on track",
            "38,000 / 100,000",
            "none (needs at least 3 values in the cycle, has 0)",
        ],
        [
            "**signups** Pre-release sign-ups over 5k",
            "`▓▓▓▓░░░░░░ 0.36`",
            "on track",
            "1,778 / 5,000",
            "on course for 4,150 by 30 Sep (80%: 3,710-4,590), 2% chance; needs 490/week",
        ],
    ]
    assert "| Key result | Progress | Status | Value / goal | Forecast |" in lines
    assert "Activity (tasks done, not results): mentions 0/1, youtube-views 0/2, signups 0/2." in (
        lines
    )
    assert "- **signups**: confidence 60%; “Email campaign goes out on 20 Aug”" in lines


def test_markdown_keeps_tasks_out_of_the_key_result_table():
    text = render(sample.launch(), "markdown")
    table = [line for line in text.splitlines() if line.startswith("| **")][:3]
    assert all("task" not in line for line in table)


def test_markdown_projects_and_review_bullets():
    text = render(sample.launch(), "markdown")
    assert (
        "| **campaign** A multi-channel marketing campaign to gain widespread exposure for new "
        "product launch | launch-buzz | 1/14 |"
    ) in text
    assert text.endswith(
        "## Review since 1 Aug 2026\n\n"
        "- **Moved**\n"
        "  - mentions: 185 → 196 (progress 0.19 → 0.35)\n"
        "  - signups: 850 → 1,778 (progress 0.17 → 0.36)\n"
        "- **Stale**\n"
        "  - youtube-views: never observed (expected every 7 days)\n"
        "- **Missed check-ins**\n"
        "  - mentions: no check-in yet\n"
    )


def test_markdown_escapes_hostile_titles_and_keeps_the_table_shape():
    text = render(sample.hostile(), "markdown")
    assert not re.search(r"(?<!\\)[<>]", text)  # every angle bracket is escaped
    assert r"\<script\>alert(\"x\")" not in text  # quotes are left alone
    assert r"\<script\>alert(" in text
    assert r"\| \*bold\* \`code\`" in text
    rows = [line for line in text.splitlines() if line.startswith("| **")]
    assert len(rows) == 4  # three key results, one project
    assert [len(_table_cells(row)) for row in rows] == [5, 5, 5, 3]


def test_markdown_edge_cases():
    assert "## Review" not in render(sample.no_review(), "markdown")
    assert "| **nps** NPS at least 40 | `·········· -` | no data | no data / 40 |" in render(
        sample.no_data(), "markdown"
    )
    no_cycle = render(sample.no_cycle(), "markdown")
    assert no_cycle.startswith("# Support desk\n\nAs of 20 May 2026 12:00 UTC.\n")
    assert "No objectives yet." in render(sample.no_objectives(), "markdown")
    reliability = render(sample.reliability(), "markdown")
    assert "| `▓▓▓▓▓▓▓▓▓▓ 1.00` | on track | 0.6% (at most 1%) |" in reliability
    assert "## Review\n\n- **At risk**\n  - page-load: at risk\n" in reliability


# -- json -------------------------------------------------------------------------------------


@pytest.mark.parametrize("name", sorted(sample.ALL))
def test_json_round_trips(name):
    report = sample.ALL[name]()
    assert json.loads(render(report, "json")) == report


def test_json_is_indented_with_sorted_keys_whatever_the_insertion_order():
    report = sample.launch()
    backwards = dict(reversed(report.items()))
    text = render(report, "json")
    assert render(backwards, "json") == text
    assert text.startswith('{\n  "at": "2026-08-15T23:59:59+00:00",\n  "elapsed": 0.5,\n')
    assert (
        '          "title": "Pre-release sign-ups over 5k",\n'
        '          "unit": null,\n'
        '          "value": 1778\n'
        "        }\n"
    ) in text


def test_json_refuses_values_that_are_not_json():
    report = sample.launch()
    report["elapsed"] = float("nan")
    with pytest.raises(ValueError, match="JSON"):
        render(report, "json")


# -- csv --------------------------------------------------------------------------------------


def _csv(report) -> list[dict[str, str]]:
    text = render(report, "csv")
    reader = csv.DictReader(io.StringIO(text))
    assert tuple(reader.fieldnames or ()) == COLUMNS
    return list(reader)


def test_csv_columns():
    assert COLUMNS == (
        "objective",
        "key_result",
        "title",
        "value",
        "target",
        "baseline",
        "progress",
        "attainment",
        "status",
        "grade",
        "confidence",
        "tasks_done",
        "tasks_total",
        "forecast_value_at_end",
        "forecast_low",
        "forecast_high",
        "forecast_probability",
        "needed_per_week",
    )


def test_csv_has_one_row_per_key_result_with_unformatted_numbers():
    rows = _csv(sample.launch())
    assert [row["key_result"] for row in rows] == ["mentions", "youtube-views", "signups"]
    assert {row["objective"] for row in rows} == {"launch-buzz"}
    mentions, views, signups = rows
    assert mentions["title"] == "Organic social media mentions up by 40%"
    assert (mentions["value"], mentions["target"], mentions["baseline"]) == ("196", "240.8", "172")
    assert float(mentions["progress"]) == sample.MENTIONS_PROGRESS
    assert (mentions["status"], mentions["grade"]) == ("on_track", "red")
    assert (mentions["tasks_done"], mentions["tasks_total"]) == ("0", "1")
    assert mentions["forecast_value_at_end"] == "221.6"
    assert (mentions["forecast_low"], mentions["forecast_high"]) == ("209.4", "233.9")
    assert (mentions["forecast_probability"], mentions["needed_per_week"]) == ("0.04", "6.82")
    assert views["value"] == "38000"
    assert views["forecast_value_at_end"] == views["needed_per_week"] == ""
    assert views["confidence"] == ""
    assert signups["confidence"] == "0.6"
    assert signups["value"] == "1778"
    assert signups["forecast_value_at_end"] == "4153.2"


def test_csv_quotes_titles_with_commas_and_quotes():
    report = sample.launch()
    report["objectives"][0]["key_results"][0]["title"] = 'Mentions, "organic" only'
    assert _csv(report)[0]["title"] == 'Mentions, "organic" only'


def test_csv_of_edge_cases():
    assert _csv(sample.no_objectives()) == []
    (nps,) = _csv(sample.no_data())
    assert (nps["value"], nps["progress"], nps["status"], nps["grade"]) == ("", "", "no_data", "")
    assert nps["target"] == "40"
    rows = _csv(sample.reliability())
    assert [row["key_result"] for row in rows][:2] == ["checkout-errors", "page-load"]
    assert rows[1]["needed_per_week"] == "-50.2"


# -- pandas -----------------------------------------------------------------------------------


def test_to_dataframe_without_pandas_says_how_to_get_it(monkeypatch):
    monkeypatch.setitem(sys.modules, "pandas", None)
    with pytest.raises(ImportError, match=r"needs pandas, which is not installed: pip install"):
        to_dataframe(sample.launch())


def test_to_dataframe_passes_one_row_per_key_result_and_the_columns(monkeypatch):
    calls = []
    fake = types.ModuleType("pandas")
    fake.DataFrame = lambda rows, columns: calls.append((rows, columns)) or "frame"
    monkeypatch.setitem(sys.modules, "pandas", fake)
    assert to_dataframe(sample.launch()) == "frame"
    ((rows, columns),) = calls
    assert columns == list(COLUMNS)
    assert [row["key_result"] for row in rows] == ["mentions", "youtube-views", "signups"]
    assert rows[2]["value"] == 1778
    assert rows[1]["forecast_value_at_end"] is None


def test_to_dataframe_with_real_pandas():
    pd = pytest.importorskip("pandas")
    frame = to_dataframe(sample.launch())
    assert isinstance(frame, pd.DataFrame)
    assert list(frame.columns) == list(COLUMNS)
    assert frame["value"].tolist() == [196, 38000, 1778]
    assert frame.loc[1, "forecast_value_at_end"] != frame.loc[1, "forecast_value_at_end"]  # NaN


# -- html -------------------------------------------------------------------------------------


def test_html_is_one_complete_accessible_document():
    html = render(sample.launch(), "html")
    tree = parse(html)
    assert tree.declarations == ["DOCTYPE html"]
    root = tree.root.find("html")
    assert root.attrs["lang"] == "en"
    assert root.find("head").find("title").text() == (
        "Acme widget launch - 2026-Q3 · OKR report, 15 Aug 2026"
    )
    assert root.find("h1").text() == "Acme widget launch 2026-Q3"
    assert [h.text() for h in root.find_all("h2")] == [
        "Stir up a user-generated buzz around the new product launch that outshines competitors",
        "Projects",
        "Review since 1 Aug 2026",
    ]
    assert root.find("meta", name="viewport").attrs["content"] == (
        "width=device-width, initial-scale=1"
    )
    assert "@media (prefers-color-scheme: dark)" in html
    assert "@media (max-width: 34rem)" in html


def test_html_shows_every_objective_with_its_grade():
    tree = parse(render(sample.reliability(), "html")).root
    ready = tree.find("section", data_objective="launch-ready")
    assert (ready.field("score"), ready.field("grade")) == ("0.72", "green")
    assert "committed, aims at 1.0" in ready.text()
    buzz = tree.find("section", data_objective="launch-buzz")
    assert (buzz.field("score"), buzz.field("grade")) == ("0.36", "yellow")
    assert "expected by now 0.35" in buzz.text()


@pytest.mark.parametrize(
    ("kr", "expected"),
    [
        ("mentions", ("196", "240.8", "0.35", "on track", "0/1 tasks done")),
        ("youtube-views", ("38,000", "100,000", "0.38", "on track", "0/2 tasks done")),
        ("signups", ("1,778", "5,000", "0.36", "on track", "0/2 tasks done")),
    ],
)
def test_html_shows_every_key_result_with_its_numbers(kr, expected):
    value, target, progress, status, tasks = expected
    card = parse(render(sample.launch(), "html")).root.find("article", data_key_result=kr)
    assert card.attrs["data-status"] == "on_track"
    assert card.field("value") == value
    assert card.field("target") == target
    assert card.field("progress") == progress
    assert card.field("status") == status  # words, never colour alone
    assert card.field("tasks") == tasks
    title = fmt.by_id(sample.launch())[kr]["title"]
    assert card.find("h3").text() == title


def test_html_keeps_value_and_activity_visibly_apart():
    card = parse(render(sample.launch(), "html")).root.find("article", data_key_result="mentions")
    value = card.find("p", **{"class": "value-line"}).text()
    assert value == "Value: 0.35 of the way from 172 to 240.8 · expected by now 0.35"
    activity = card.find("div", **{"class": "activity"})
    assert activity.find("p").text() == "Activity: 0/1 tasks done"
    assert [li.text() for li in activity.find_all("li")] == [
        "doing Create press release (campaign)"
    ]
    assert "task" not in value


def test_html_forecast_and_check_in():
    tree = parse(render(sample.launch(), "html")).root
    signups = tree.find("article", data_key_result="signups")
    assert signups.field("forecast") == (
        "Forecast: on course for 4,150 by 30 Sep (80%: 3,710-4,590), "
        "2% chance of reaching the goal; needs 490/week"
    )
    assert "Check-in: confidence 60% · “Email campaign goes out on 20 Aug”" in signups.text()
    views = tree.find("article", data_key_result="youtube-views")
    assert views.field("forecast") == "Forecast: none (needs at least 3 values in the cycle, has 0)"
    assert "No values recorded in this cycle yet." in views.text()
    assert not list(views.find_all("svg"))


def _points(text: str) -> list[tuple[float, float]]:
    return [tuple(map(float, pair.split(","))) for pair in text.split()]


def test_html_chart_draws_history_goal_pace_and_forecast_band():
    card = parse(render(sample.launch(), "html")).root.find("article", data_key_result="mentions")
    svg = card.find("svg")
    assert svg.attrs["role"] == "img"
    assert svg.attrs["viewBox".lower()] == "0 0 320 168"
    title_id, desc_id = svg.attrs["aria-labelledby"].split()
    assert svg.find(id=title_id).text() == "History of mentions"
    assert svg.find(id=desc_id).text() == (
        "7 values, from 174 on 7 Jul 2026 to 196 on 15 Aug 2026; goal 240.8; forecast on course "
        "for 222 by 30 Sep (80%: 209-234), 4% chance; needs 6.82/week."
    )
    history = _points(svg.find("polyline", **{"class": "value"}).attrs["points"])
    assert len(history) == 7
    assert [x for x, _ in history] == sorted(x for x, _ in history)
    assert [y for _, y in history] == sorted((y for _, y in history), reverse=True)  # rising
    goal = svg.find("line", **{"class": "goal"})
    pace = svg.find("line", **{"class": "pace"})
    # the expected pace runs from the baseline at the cycle's start to the goal at its end
    assert (float(pace.attrs["x1"]), float(pace.attrs["x2"])) == (40.0, 310.0)
    assert pace.attrs["y2"] == goal.attrs["y1"] == goal.attrs["y2"]
    assert float(pace.attrs["y1"]) > float(goal.attrs["y1"])
    assert svg.find("text", **{"class": "goal-label"}).text() == "goal 240.8"
    band = _points(svg.find("polygon", **{"class": "band"}).attrs["points"])
    assert band[0] == history[-1]  # the fan opens at the last value ...
    assert band[1][0] == band[2][0] == 310.0  # ... and reaches the cycle's end
    assert band[1][1] < band[2][1]  # high above low
    forecast = svg.find("line", **{"class": "forecast"})
    assert band[1][1] < float(forecast.attrs["y2"]) < band[2][1]
    assert [c.text() for c in svg.find_all("title")][-1] == "15 Aug 2026: 196"
    legend = [span.text() for span in card.find("figcaption").find_all("span")]
    assert legend == ["value", "expected pace", "goal", "forecast (80% range)"]


def test_html_chart_of_a_threshold_has_a_limit_and_no_pace():
    card = parse(render(sample.reliability(), "html")).root.find(
        "article", data_key_result="checkout-errors"
    )
    svg = card.find("svg")
    assert not list(svg.find_all("line", **{"class": "pace"}))
    assert svg.find("text", **{"class": "goal-label"}).text() == "limit 1%"
    assert card.field("value") == "0.6%"
    assert "Value: 1.00 (met: at most 1%)" in card.text()


def test_html_chart_without_a_cycle_has_no_pace_and_no_band():
    card = parse(render(sample.no_cycle(), "html")).root.find(
        "article", data_key_result="first-reply"
    )
    svg = card.find("svg")
    assert not list(svg.find_all("line", **{"class": "pace"}))
    assert not list(svg.find_all("polygon"))
    assert len(_points(svg.find("polyline").attrs["points"])) == 4
    assert card.field("value") == "5 h"
    assert card.field("forecast") == "Forecast: none (no cycle: nothing to forecast to)"


def test_html_projects_and_review():
    tree = parse(render(sample.reliability(), "html")).root
    speed = tree.find("article", data_project="speed")
    assert speed.field("tasks") == "2/3 tasks done"
    assert [li.text() for li in speed.find_all("li")][-1] == "dropped Rewrite in Rust → page-load"
    review = tree.find("section", **{"class": "review"})
    assert review.find("div", data_review="at-risk").find("li").text() == "page-load: at risk"
    assert review.find("div", data_review="activity-without-impact").find("li").text() == (
        "page-load: 2/3 tasks done, value unchanged"
    )


def test_html_edge_cases():
    no_review = render(sample.no_review(), "html")
    assert 'class="review"' not in no_review
    empty = parse(render(sample.no_data(), "html")).root
    nps = empty.find("article", data_key_result="nps")
    assert (nps.field("value"), nps.field("progress"), nps.field("status")) == (
        "no data",
        "-",
        "no data",
    )
    objective = empty.find("section", data_objective="retention")
    assert (objective.field("score"), objective.field("grade")) == ("-", "no grade")
    assert "No objectives yet." in render(sample.no_objectives(), "html")
    no_cycle = parse(render(sample.no_cycle(), "html")).root
    assert not list(no_cycle.find_all(data_field="elapsed"))


ALLOWED_TAGS = {
    "html", "head", "meta", "title", "style", "body", "header", "main", "footer", "section",
    "article", "div", "p", "span", "b", "h1", "h2", "h3", "time", "figure", "figcaption",
    "details", "summary", "ul", "li", "svg", "desc", "line", "polyline", "polygon", "circle",
    "text",
}  # fmt: skip


def test_html_escapes_every_text_from_the_data():
    html = render(sample.hostile(), "html")
    tree = parse(html)
    tags = {tag for tag, _ in tree.tags}
    assert tags <= ALLOWED_TAGS, tags - ALLOWED_TAGS
    for tag, attrs in tree.tags:
        assert not [name for name in attrs if name.startswith("on")], (tag, attrs)
    assert "<script" not in html.lower()
    assert "&lt;script&gt;alert(&quot;x&quot;)&lt;/script&gt;" in html
    root = tree.root
    assert root.find("head").find("title").text().startswith(sample.HOSTILE)
    assert root.find("h1").text() == f"{sample.HOSTILE} Q3 </title><script>x()</script>"
    card = root.find("article", data_key_result="mentions")
    assert card.find("h3").text() == f"mentions {sample.HOSTILE}"
    assert card.field("value") == "196 <u>"
    owners = [li.text() for li in root.find("article", data_project="campaign").find_all("li")]
    assert owners[0] == f"done {sample.HOSTILE} · </li><li>"


def test_html_ids_from_hostile_key_result_ids_stay_one_token():
    report = sample.launch()
    report["objectives"][0]["key_results"][0]["id"] = 'a b"><x'
    tree = parse(render(report, "html")).root
    card = tree.find("article", data_key_result='a b"><x')
    title_id, desc_id = card.find("svg").attrs["aria-labelledby"].split()
    assert re.fullmatch(r"[A-Za-z0-9_-]+-title", title_id)
    assert card.find(id=title_id).text() == 'History of a b"><x'
    assert desc_id == title_id.replace("-title", "-desc")


@pytest.mark.parametrize("name", sorted(sample.ALL))
def test_html_loads_nothing_from_anywhere(name):
    html = render(sample.ALL[name](), "html")
    tree = parse(html)
    for tag, attrs in tree.tags:
        assert "src" not in attrs, tag
        assert "href" not in attrs, tag
        assert tag not in {"script", "link", "img", "iframe", "object", "embed"}
    assert "http://" not in html
    assert "https://" not in html
    assert "@import" not in html
    assert "url(" not in html
    assert "@font-face" not in html
    policy = tree.root.find("meta", http_equiv="Content-Security-Policy").attrs["content"]
    assert policy == "default-src 'none'; style-src 'unsafe-inline'; img-src data:"


def test_html_ids_are_unique():
    html = render(sample.reliability(), "html")
    ids = [attrs["id"] for _, attrs in parse(html).tags if "id" in attrs]
    assert len(ids) == len(set(ids))
    for reference in re.findall(r'aria-labelledby="([^"]+)"', html):
        for target in reference.split():
            assert target in ids


def test_control_characters_from_the_data_never_reach_the_output():
    report = sample.launch()
    report["objectives"][0]["title"] = "Buzz\x1b[2J\x07 now"
    report["objectives"][0]["key_results"][0]["title"] = "Mentions\x1b]0;pwned\x07 up"
    for format_ in ("text", "markdown", "html"):
        output = render(report, format_, color=True)
        assert "\x07" not in output
        assert "\x1b[2J" not in output
        assert "\x1b]" not in output
    assert "launch-buzz: Buzz[2J now" in render(report)
    assert "Mentions]0;pwned up" in render(report)


@pytest.mark.parametrize(
    "report",
    [
        {},
        {"objectives": [{"id": "o", "key_results": [{"id": "k"}]}]},
        {"plan": {"cycle": None}, "objectives": [], "projects": [{"id": "p"}], "review": {}},
    ],
    ids=["empty", "bare-key-result", "bare-project"],
)
@pytest.mark.parametrize("format_", FORMATS)
def test_missing_keys_read_as_null(report, format_):
    output = render(report, format_)
    assert output.endswith("\n")
    if format_ != "json" and report.get("objectives"):
        assert "k" in output


# -- several plans ------------------------------------------------------------------------------


def two_teams() -> list[dict]:
    """Two teams' reports with the same objective and key result ids, each its own numbers."""
    first, second = sample.launch(), sample.reliability()
    first["plan"].update(key="team-a", title="Team A launch")
    second["plan"].update(key="team-b", title="Team B launch")
    return [first, second]


def test_several_plans_render_in_every_format_in_the_order_given():
    for format_ in FORMATS:
        output = render(two_teams(), format_)
        assert output.endswith("\n")
        assert output.index("Team A launch" if format_ != "csv" else "team-a") < output.index(
            "Team B launch" if format_ != "csv" else "team-b"
        )


def test_an_empty_sequence_or_an_unknown_format_of_several_is_refused():
    with pytest.raises(ValueError, match=r"no reports to render"):
        render([], "html")
    with pytest.raises(ValueError, match=r"unknown report format 'pdf': choose one of text, "):
        render(two_teams(), "pdf")


def test_several_plans_as_text_and_markdown_are_each_report_in_turn():
    first, second = two_teams()
    assert render([first, second], "text", width=80) == (
        render(first, width=80) + "\n" + render(second, width=80)
    )
    assert render([first, second], "text", color=True) == (
        render(first, color=True) + "\n" + render(second, color=True)
    )
    markdown = render([first, second], "markdown")
    assert markdown == render(first, "markdown") + "\n" + render(second, "markdown")
    assert [line for line in markdown.splitlines() if line.startswith("# ")] == [
        "# Team A launch - 2026-Q3",
        "# Team B launch - 2026-Q3",
    ]


def test_several_plans_as_json_are_one_object_with_a_list_of_plans():
    teams = two_teams()
    data = json.loads(render(teams, "json"))
    assert data == {"plans": teams}
    assert json.loads(render(teams[:1], "json")) == {"plans": teams[:1]}  # a list stays a list


def test_several_plans_as_csv_are_one_table_with_a_leading_plan_column():
    rows = list(csv.reader(io.StringIO(render(two_teams(), "csv"))))
    assert rows[0] == ["plan", *COLUMNS]
    assert [(row[0], row[1], row[2], row[4]) for row in rows[1:]] == [
        ("team-a", "launch-buzz", "mentions", "196"),
        ("team-a", "launch-buzz", "youtube-views", "38000"),
        ("team-a", "launch-buzz", "signups", "1778"),
        ("team-b", "launch-ready", "checkout-errors", "0.6"),
        ("team-b", "launch-ready", "page-load", "1130"),
        ("team-b", "launch-buzz", "mentions", "196"),
        ("team-b", "launch-buzz", "youtube-views", "38000"),
        ("team-b", "launch-buzz", "signups", "1778"),
    ]
    one = list(csv.reader(io.StringIO(render(sample.launch(), "csv"))))
    assert one[0] == list(COLUMNS)  # one report: the table as it always was


def test_to_dataframe_of_several_plans_has_the_plan_column(monkeypatch):
    calls = []
    fake = types.ModuleType("pandas")
    fake.DataFrame = lambda rows, columns: calls.append((rows, columns)) or "frame"
    monkeypatch.setitem(sys.modules, "pandas", fake)
    assert to_dataframe(two_teams()) == "frame"
    ((rows, columns),) = calls
    assert columns == ["plan", *COLUMNS]
    assert [(row["plan"], row["key_result"]) for row in rows][2:4] == [
        ("team-a", "signups"),
        ("team-b", "checkout-errors"),
    ]


PLANS_TAGS = ALLOWED_TAGS | {"nav", "ol", "a", "h4"}


def test_several_plans_as_html_are_one_page_with_contents_and_a_section_each():
    html = render(two_teams(), "html")
    tree = parse(html)
    assert tree.declarations == ["DOCTYPE html"]
    root = tree.root
    assert root.find("head").find("title").text() == "OKR report · 2 plans, 15 Aug 2026"
    assert root.find("h1").text() == "OKR report"
    head = root.find("header", **{"class": "page-head"})
    assert head.find("p", **{"class": "meta"}).text() == "2 plans · as of 15 Aug 2026 23:59 UTC"
    sections = list(root.find_all("section", **{"class": "plan"}))
    assert [s.attrs["data-plan"] for s in sections] == ["team-a", "team-b"]
    assert [s.attrs["id"] for s in sections] == ["plan-team-a-1", "plan-team-b-2"]
    entries = list(root.find("nav").find_all("li"))
    assert [li.find("a").attrs["href"] for li in entries] == ["#plan-team-a-1", "#plan-team-b-2"]
    assert [" ".join(li.text().split()) for li in entries] == [
        "Team A launch 2026-Q3 team-a · launch-buzz 0.36 yellow",
        "Team B launch 2026-Q3 team-b · launch-ready 0.72 green, launch-buzz 0.36 yellow",
    ]
    # headings one level down: h2 plan, h3 objective and sections, h4 key result and project
    team_b = sections[1]
    assert [h.text() for h in team_b.find_all("h2")] == ["Team B launch 2026-Q3"]
    assert [h.text() for h in team_b.find_all("h3")] == [
        "The site holds up under the launch traffic",
        "Stir up a user-generated buzz around the new product launch that outshines competitors",
        "Projects",
        "Review",
    ]
    card = team_b.find("article", data_key_result="page-load")
    assert card.find("h4").text() == "Cut p95 page load from 1,400 ms to 800 ms"
    assert card.field("value") == "1,130 ms"
    signups = sections[0].find("article", data_key_result="signups")
    assert (signups.field("value"), signups.field("target")) == ("1,778", "5,000")
    assert 'class="page-foot"' in html
    assert html.count("<footer") == 1


def test_several_plans_in_html_never_share_an_id():
    html = render(two_teams(), "html")
    tree = parse(html)
    ids = [attrs["id"] for _, attrs in tree.tags if "id" in attrs]
    assert len(ids) == len(set(ids))
    assert {"p1-kr-signups-4", "p2-kr-signups-7", "p1-review-heading", "p2-review-heading"} <= set(
        ids
    )
    for reference in re.findall(r'aria-labelledby="([^"]+)"', html):
        for target in reference.split():
            assert target in ids
    # every chart is labelled by the title inside it, not by the other plan's chart
    for section in tree.root.find_all("section", **{"class": "plan"}):
        inside = {node.attrs.get("id") for node in section.walk()}
        for svg in section.find_all("svg"):
            assert set(svg.attrs["aria-labelledby"].split()) <= inside


def test_several_plans_in_html_load_nothing_and_escape_everything():
    hostile = sample.hostile()
    hostile["plan"]["key"] = '"><script>x()</script>'
    hostile["objectives"][0]["id"] = "a&b<i>"
    html = render([sample.launch(), hostile], "html")
    tree = parse(html)
    tags = {tag for tag, _ in tree.tags}
    assert tags <= PLANS_TAGS, tags - PLANS_TAGS
    for tag, attrs in tree.tags:
        assert "src" not in attrs, tag
        assert not [name for name in attrs if name.startswith("on")], (tag, attrs)
        if "href" in attrs:
            assert re.fullmatch(r"#plan-[A-Za-z0-9_-]+", attrs["href"]), attrs["href"]
    assert "<script" not in html.lower()
    assert "http://" not in html
    assert "https://" not in html
    policy = tree.root.find("meta", http_equiv="Content-Security-Policy").attrs["content"]
    assert policy == "default-src 'none'; style-src 'unsafe-inline'; img-src data:"
    entry = list(tree.root.find("nav").find_all("li"))[1]
    assert " · a&b<i> " in entry.text()  # escaped once: the text reads as it was written
    section = tree.root.find("section", data_plan='"><script>x()</script>')
    assert re.fullmatch(r"plan-[A-Za-z0-9_-]+-2", section.attrs["id"])


def test_several_plans_of_different_moments_say_each_its_own():
    first, second = two_teams()
    second["at"] = "2026-08-20T12:00:00+00:00"
    html = render([first, second], "html")
    root = parse(html).root
    assert root.find("head").find("title").text() == "OKR report · 2 plans"
    assert root.find("header", **{"class": "page-head"}).find("p").text() == "2 plans"
    heads = [h.find("p", **{"class": "meta"}).text() for h in root.find_all("header")][1:]
    assert heads[0].startswith("As of 15 Aug 2026 23:59 UTC")
    assert heads[1].startswith("As of 20 Aug 2026 12:00 UTC")


def test_one_report_in_a_list_is_a_page_of_several_plans():
    html = render([sample.launch()], "html")
    assert '<nav class="contents"' in html
    assert "1 plan ·" in html
    assert render(sample.launch(), "html") != html
