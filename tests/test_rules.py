"""The OKR quality rules: each fires on the plan it is about and stays quiet otherwise."""

from __future__ import annotations

import re
from pathlib import Path
from typing import Any

import attrs
import pytest

from okrkit.errors import UnknownIdError
from okrkit.model import (
    Cycle,
    Direction,
    KeyResult,
    Kind,
    Objective,
    Plan,
    Project,
    SourceMap,
    Target,
    Task,
)
from okrkit.rules import RULES, Finding, Severity, lint, rule

Q3 = Cycle.parse("2026-Q3")


def at_least(value: float, **fields: Any) -> Target:
    return Target(value, Direction.AT_LEAST, **fields)


def kr(identifier: str, title: str | None = None, **fields: Any) -> KeyResult:
    fields.setdefault("target", at_least(100))
    return KeyResult(identifier, title or f"Weekly active users over {identifier}", **fields)


def objective(
    identifier: str = "delight",
    title: str = "Delight our first customers",
    key_results: tuple[KeyResult, ...] | None = None,
    **fields: Any,
) -> Objective:
    if key_results is None:
        key_results = (kr(f"{identifier}-a"), kr(f"{identifier}-b"), kr(f"{identifier}-c"))
    fields.setdefault("owner", "product")
    return Objective(identifier, title, key_results, **fields)


def plan(*objectives: Objective, **fields: Any) -> Plan:
    fields.setdefault("cycle", Q3)
    return Plan(objectives or (objective(),), **fields)


def only(findings: list[Finding], code: str) -> Finding:
    matching = [finding for finding in findings if finding.code == code]
    assert len(matching) == 1, findings
    return matching[0]


def codes(findings: list[Finding]) -> list[str]:
    return [finding.code for finding in findings]


def test_a_well_written_plan_is_clean():
    assert lint(plan()) == []


# -- The registry -------------------------------------------------------------------------


def test_rules_are_in_code_order_with_unique_kebab_case_names():
    assert list(RULES) == sorted(RULES)
    names = [item.name for item in RULES.values()]
    assert len(set(names)) == len(names)
    for code, item in RULES.items():
        assert item.code == code
        assert re.fullmatch(r"OKR[1-3]\d\d", code)
        assert re.fullmatch(r"[a-z]+(-[a-z]+)+", item.name)
        assert isinstance(item.severity, Severity)
        assert item.summary.strip()
        assert "\n" not in item.summary


def test_rules_cannot_be_changed():
    with pytest.raises(TypeError):
        RULES["OKR999"] = RULES["OKR101"]  # type: ignore[index]


def test_rule_looks_up_by_code_in_any_case_or_by_name():
    assert rule("OKR101").name == "objective-not-time-bound"
    assert rule("okr101") is RULES["OKR101"]
    assert rule("objective-not-time-bound") is RULES["OKR101"]


def test_unknown_rule_is_an_unknown_id_error():
    with pytest.raises(UnknownIdError, match=r"no lint rule with id 'OKR999'") as caught:
        rule("OKR999")
    assert caught.value.kind == "lint rule"
    assert caught.value.identifier == "OKR999"
    assert "OKR101" in str(caught.value)


def test_severity_values():
    assert [member.value for member in Severity] == ["error", "warning", "info"]


# -- OKR101 objective-not-time-bound ------------------------------------------------------


def test_objective_without_a_cycle_is_not_time_bound():
    findings = lint(plan(cycle=None))
    found = only(findings, "OKR101")
    assert found.name == "objective-not-time-bound"
    assert found.severity is Severity.ERROR
    assert found.pointer == "/objectives/0"
    assert found.objective == "delight"
    assert found.key_result is None
    assert "'delight' has no cycle" in found.message
    assert "cycle: 2026-Q3" in found.message


def test_objective_with_its_own_cycle_is_time_bound():
    assert lint(plan(objective(cycle=Q3), cycle=None)) == []


# -- OKR102-104 key result counts ---------------------------------------------------------


def test_objective_with_no_key_results():
    found = only(lint(plan(objective(key_results=()))), "OKR102")
    assert found.name == "too-few-key-results"
    assert found.severity is Severity.WARNING
    assert found.pointer == "/objectives/0/key_results"
    assert found.objective == "delight"
    assert "has no key results" in found.message


@pytest.mark.parametrize(("count", "said"), [(1, "has 1 key result:"), (2, "has 2 key results:")])
def test_objective_with_fewer_than_three_key_results(count, said):
    key_results = tuple(kr(f"k{i}") for i in range(count))
    found = only(lint(plan(objective(key_results=key_results))), "OKR102")
    assert said in found.message
    assert "three to five" in found.message


@pytest.mark.parametrize("count", [3, 4, 5])
def test_three_to_five_key_results_are_right(count):
    key_results = tuple(kr(f"k{i}") for i in range(count))
    assert lint(plan(objective(key_results=key_results))) == []


@pytest.mark.parametrize("count", [6, 7])
def test_six_or_seven_key_results_are_many(count):
    key_results = tuple(kr(f"k{i}") for i in range(count))
    findings = lint(plan(objective(key_results=key_results)))
    assert codes(findings) == ["OKR103"]
    assert findings[0].name == "many-key-results"
    assert findings[0].severity is Severity.WARNING
    assert findings[0].pointer == "/objectives/0/key_results"
    assert f"has {count} key results" in findings[0].message


def test_more_than_seven_key_results_is_an_error_reported_once():
    key_results = tuple(kr(f"k{i}") for i in range(8))
    findings = lint(plan(objective(key_results=key_results)))
    assert codes(findings) == ["OKR104"]
    assert findings[0].name == "too-many-key-results"
    assert findings[0].severity is Severity.ERROR
    assert "has 8 key results" in findings[0].message
    assert "split it into two objectives" in findings[0].message


def test_many_key_results_still_warns_when_too_many_is_disabled():
    key_results = tuple(kr(f"k{i}") for i in range(8))
    findings = lint(plan(objective(key_results=key_results)), disable=["OKR104"])
    assert codes(findings) == ["OKR103"]


# -- OKR105 objective-business-as-usual ---------------------------------------------------


@pytest.mark.parametrize(
    "title",
    [
        "Maintain our customer satisfaction",
        "Continue the partner programme",
        "Keep the support queue under control",
        "Sustain engineering velocity",
        "Preserve our brand reputation",
        "Ensure the platform continues to run smoothly",
        "Ensure billing remains reliable",
        "Run support as business as usual",
    ],
)
def test_business_as_usual_objectives(title):
    found = only(lint(plan(objective(title=title))), "OKR105")
    assert found.name == "objective-business-as-usual"
    assert found.severity is Severity.WARNING
    assert found.pointer == "/objectives/0/title"
    assert found.objective == "delight"
    assert "business as usual" in found.message
    assert "change worth making" in found.message


@pytest.mark.parametrize(
    "title",
    [
        "Delight our first customers",
        "Ensure a flawless product launch",
        "Become the team customers recommend to their friends",
        "Make onboarding effortless for new teams",
    ],
)
def test_ambitious_objectives_are_not_business_as_usual(title):
    assert lint(plan(objective(title=title))) == []


# -- OKR106 objective-has-number ----------------------------------------------------------


@pytest.mark.parametrize(
    ("title", "number"),
    [
        ("Reach 10k users", "10k"),
        ("Grow revenue by 40%", "40%"),
        ("Earn $1M in new business", "$1M"),
        ("Make the app 10x faster", "10x"),
        ("Win 3 enterprise customers in 2026", "3"),
        ("Hit 99.9 percent uptime", "99.9 percent"),
    ],
)
def test_objective_with_a_number(title, number):
    found = only(lint(plan(objective(title=title))), "OKR106")
    assert found.name == "objective-has-number"
    assert found.severity is Severity.WARNING
    assert found.pointer == "/objectives/0/title"
    assert f"({number!r})" in found.message
    assert "move the number into a key result" in found.message


@pytest.mark.parametrize(
    "title",
    [
        "Become the best-loved tool of 2026",
        "Own the conversation around the 2026-Q3 launch",
        "Make our B2B onboarding delightful in Q3",
        "Make Web3 payments feel ordinary",
        "Put 3D printing within every designer's reach",
    ],
)
def test_years_cycle_labels_and_names_with_digits_are_not_numbers(title):
    assert lint(plan(objective(title=title))) == []


# -- OKR107 objective-without-owner -------------------------------------------------------


@pytest.mark.parametrize("owner", [None, "  "])
def test_objective_without_owner(owner):
    found = only(lint(plan(objective(owner=owner))), "OKR107")
    assert found.name == "objective-without-owner"
    assert found.severity is Severity.WARNING
    assert found.pointer == "/objectives/0"
    assert found.objective == "delight"
    assert "has no owner" in found.message


def test_key_results_without_owner_inherit_the_objectives():
    key_results = (kr("a"), kr("b", owner="ana"), kr("c"))
    assert lint(plan(objective(key_results=key_results))) == []


# -- OKR108 key-result-weights-all-zero ---------------------------------------------------


def test_all_key_results_weighing_zero():
    key_results = (kr("a", weight=0), kr("b", weight=0), kr("c", weight=0))
    found = only(lint(plan(objective(key_results=key_results))), "OKR108")
    assert found.name == "key-result-weights-all-zero"
    assert found.severity is Severity.WARNING
    assert found.pointer == "/objectives/0/key_results"
    assert "cannot be scored" in found.message


def test_some_key_results_weighing_zero_is_fine():
    key_results = (kr("a", weight=0), kr("b", weight=0), kr("c", weight=2))
    assert lint(plan(objective(key_results=key_results))) == []


# -- OKR201 key-result-not-measurable / OKR202 key-result-is-task / OKR203 output -------


def objective_with(*key_results: KeyResult) -> Objective:
    return objective(key_results=(kr("a"), kr("b"), *key_results))


def test_key_result_without_target_is_not_measurable():
    findings = lint(plan(objective_with(kr("reach", "Increase customer reach", target=None))))
    assert codes(findings) == ["OKR201"]
    found = findings[0]
    assert found.name == "key-result-not-measurable"
    assert found.severity is Severity.ERROR
    assert found.pointer == "/objectives/0/key_results/2/title"
    assert found.objective == "delight"
    assert found.key_result == "reach"
    assert "('Increase customer reach') has no target" in found.message
    assert "'Monthly active customers from 12k to 20k'" in found.message


@pytest.mark.parametrize(
    ("title", "verb"),
    [
        ("Create press release", "create"),
        ("Help the sales team", "help"),
        ("Launch the website", "launch"),
        ("Develop a roadmap", "develop"),
        ("Write blog posts", "write"),
        ("Hold meetings with key accounts", "hold"),
        ("Organize a webinar", "organize"),
        ("Meet with the top ten resellers", "meet"),
        ("Attend industry conferences", "attend"),
        ("Implement single sign-on", "implement"),
        ("Support the partner programme", "support"),
        ("Set up a CRM", "set up"),
        ("Planning the offsite", "planning"),
        ("Website launched", "launched"),
        ("Roadmap done", "done"),
    ],
)
def test_key_result_that_reads_as_a_task(title, verb):
    findings = lint(plan(objective_with(kr("work", title, target=None))))
    # Both fire: the task rule says how to rewrite it, not-measurable keeps it an error.
    assert codes(findings) == ["OKR201", "OKR202"]
    found = findings[1]
    assert found.name == "key-result-is-task"
    assert found.severity is Severity.WARNING
    assert found.pointer == "/objectives/0/key_results/2/title"
    assert found.key_result == "work"
    assert found.objective == "delight"
    assert f"reads as a task ({verb!r} is work to do" in found.message
    assert "project's tasks" in found.message


def test_task_rule_alone_when_not_measurable_is_disabled():
    findings = lint(
        plan(objective_with(kr("work", "Launch the website", target=None))),
        disable=["key-result-not-measurable"],
    )
    assert codes(findings) == ["OKR202"]


@pytest.mark.parametrize(
    ("title", "target"),
    [
        ("YouTube video views over 100k", at_least(100_000)),
        ("Pre-release sign-ups over 5k", at_least(5000)),
        (
            "Organic social media mentions up by 40%",
            Target(0.4, Direction.INCREASE, relative=True, baseline=1200),
        ),
        ("Grow MRR from $20k to $35k", Target(35_000, Direction.INCREASE, baseline=20_000)),
        ("Reduce churn to 2%", Target(2, Direction.DECREASE, baseline=3.5)),
        ("Cut p95 latency from 900ms to 300ms", Target(300, Direction.DECREASE, baseline=900)),
        ("Keep uptime above 99.9%", Target(99.9, Direction.AT_LEAST, threshold=True)),
    ],
)
def test_measurable_outcomes_are_clean(title, target):
    assert lint(plan(objective_with(kr("good", title, target=target)))) == []


def test_an_outcome_verb_without_target_is_not_measurable_but_not_a_task():
    findings = lint(plan(objective_with(kr("reach", "Increase customer reach", target=None))))
    assert "OKR202" not in codes(findings)


@pytest.mark.parametrize(
    ("title", "verb"),
    [("Ship 3 case studies", "ship"), ("Publish 10 blog posts", "publish"), ("Launch 2", "launch")],
)
def test_counting_output_is_info(title, verb):
    findings = lint(plan(objective_with(kr("output", title, target=at_least(3)))))
    assert codes(findings) == ["OKR203"]
    found = findings[0]
    assert found.name == "key-result-is-output"
    assert found.severity is Severity.INFO
    assert found.pointer == "/objectives/0/key_results/2/title"
    assert found.key_result == "output"
    assert f"counts output ({verb!r}), not outcome" in found.message


# -- OKR204 baseline-equals-target --------------------------------------------------------


def test_baseline_equal_to_target():
    target = Target(20_000, Direction.INCREASE, baseline=20_000)
    findings = lint(plan(objective_with(kr("mrr", "Grow MRR from $20k to $20k", target=target))))
    found = only(findings, "OKR204")
    assert found.name == "baseline-equals-target"
    assert found.severity is Severity.ERROR
    assert found.pointer == "/objectives/0/key_results/2/target"
    assert found.key_result == "mrr"
    assert "starts and ends at 20000" in found.message
    assert "asks for no change" in found.message


@pytest.mark.parametrize(
    "target",
    [
        Target(35_000, Direction.INCREASE, baseline=20_000),
        Target(99.9, Direction.AT_LEAST, baseline=99.9, threshold=True),
        Target(0.5, Direction.INCREASE, baseline=0.5, relative=True),
    ],
)
def test_baseline_equal_to_target_only_for_absolute_goals_to_reach(target):
    assert lint(plan(objective_with(kr("mrr", "Monthly revenue", target=target)))) == []


# -- OKR205 relative-target-without-baseline ----------------------------------------------


def test_relative_target_without_baseline_or_source():
    target = Target(0.4, Direction.INCREASE, relative=True)
    findings = lint(plan(objective_with(kr("mentions", "Mentions up by 40%", target=target))))
    assert codes(findings) == ["OKR205"]
    found = findings[0]
    assert found.name == "relative-target-without-baseline"
    assert found.severity is Severity.WARNING
    assert found.pointer == "/objectives/0/key_results/2/target"
    assert found.key_result == "mentions"
    assert "a change of 40% but has no baseline and no source" in found.message


@pytest.mark.parametrize(
    "fields",
    [
        {"target": Target(0.4, Direction.INCREASE, relative=True, baseline=1200)},
        {
            "target": Target(0.4, Direction.INCREASE, relative=True),
            "source": {"connector": "mastodon", "tag": "acmewidget"},
        },
    ],
)
def test_relative_target_with_baseline_or_source(fields):
    assert lint(plan(objective_with(kr("mentions", "Mentions up by 40%", **fields)))) == []


# -- OKR206 decrease-without-baseline -----------------------------------------------------


@pytest.mark.parametrize(
    ("title", "target"),
    [
        ("Reduce churn to 2%", Target(2, Direction.DECREASE)),
        ("p95 latency at most 300ms", Target(300, Direction.AT_MOST)),
    ],
)
def test_lowering_a_value_without_baseline_is_info(title, target):
    findings = lint(plan(objective_with(kr("lower", title, target=target))))
    assert codes(findings) == ["OKR206"]
    found = findings[0]
    assert found.name == "decrease-without-baseline"
    assert found.severity is Severity.INFO
    assert found.pointer == "/objectives/0/key_results/2/target"
    assert found.key_result == "lower"
    assert "only met or not met until a starting value is known" in found.message


@pytest.mark.parametrize(
    "target",
    [
        Target(2, Direction.DECREASE, baseline=3.5),
        Target(300, Direction.AT_MOST, threshold=True),
        Target(0.2, Direction.DECREASE, relative=True, baseline=10),
    ],
)
def test_lowering_a_value_with_baseline_or_as_threshold(target):
    assert lint(plan(objective_with(kr("lower", "Churn", target=target)))) == []


# -- OKR301 duplicate-id / OKR302 unknown-reference ---------------------------------------


def test_duplicate_ids_are_errors():
    first = objective("launch", key_results=(kr("views"), kr("signups"), kr("mentions")))
    second = objective("launch", key_results=(kr("views"), kr("b"), kr("c")))
    findings = lint(plan(first, second))
    assert codes(findings) == ["OKR301", "OKR301"]
    assert [f.pointer for f in findings] == ["/objectives/1/id", "/objectives/1/key_results/0/id"]
    assert all(f.name == "duplicate-id" and f.severity is Severity.ERROR for f in findings)
    assert findings[0].objective == "launch"
    assert findings[1].key_result == "views"
    assert "objective id 'launch' is used twice" in findings[0].message
    assert findings[0].message.endswith("give each one its own id")


def test_unknown_references_are_errors():
    child = objective("child", parent="nowhere")
    project = Project("p", "Campaign", objective="ghost", tasks=(Task("Post", key_results=["x"]),))
    findings = lint(plan(child, projects=[project]))
    assert codes(findings) == ["OKR302", "OKR302", "OKR302"]
    assert [f.pointer for f in findings] == [
        "/objectives/0/parent",
        "/projects/0/objective",
        "/projects/0/tasks/0/key_results/0",
    ]
    assert findings[0].objective == "child"
    assert findings[2].key_result == "x"
    assert "aligns to parent 'nowhere'" in findings[0].message
    assert findings[0].message.endswith("fix the id or remove the reference")
    assert all(f.name == "unknown-reference" and f.severity is Severity.ERROR for f in findings)


def test_self_parent_is_an_unknown_reference_not_a_loop():
    findings = lint(plan(objective("solo", parent="solo")))
    assert codes(findings) == ["OKR302"]


# -- OKR303 objective-parent-cycle --------------------------------------------------------


def test_parent_loop_is_reported_once_at_its_first_objective():
    top = objective("top")
    a = objective("a", parent="b")
    b = objective("b", parent="c")
    c = objective("c", parent="a")
    below = objective("below", parent="a")
    findings = lint(plan(top, a, b, c, below))
    assert codes(findings) == ["OKR303"]
    found = findings[0]
    assert found.name == "objective-parent-cycle"
    assert found.severity is Severity.ERROR
    assert found.pointer == "/objectives/1/parent"
    assert found.objective == "a"
    assert "(a -> b -> c -> a)" in found.message


def test_parent_chain_without_loop():
    findings = lint(
        plan(objective("top"), objective("mid", parent="top"), objective("low", parent="mid"))
    )
    assert findings == []


# -- OKR304-306 projects ------------------------------------------------------------------


def test_project_without_tasks():
    findings = lint(plan(projects=[Project("p", "Campaign", objective="delight")]))
    assert codes(findings) == ["OKR304"]
    found = findings[0]
    assert found.name == "project-without-tasks"
    assert found.severity is Severity.INFO
    assert found.pointer == "/projects/0/tasks"
    assert found.objective == "delight"
    assert "project 'p' has no tasks" in found.message


def test_project_serving_no_objective():
    project = Project("p", "Side quest", tasks=[Task("Tidy the wiki")])
    findings = lint(plan(projects=[project]))
    assert codes(findings) == ["OKR305"]
    found = findings[0]
    assert found.name == "project-without-objective"
    assert found.severity is Severity.INFO
    assert found.pointer == "/projects/0"
    assert found.objective is None
    assert "project 'p' serves no objective" in found.message


def test_project_whose_tasks_link_key_results_serves_an_objective():
    project = Project("p", "Campaign", tasks=[Task("Post", key_results=["delight-a"])])
    assert lint(plan(projects=[project])) == []


def test_task_moving_another_objectives_key_result():
    project = Project(
        "p",
        "Campaign",
        objective="delight",
        tasks=[Task("Post", key_results=["delight-a"]), Task("Fix", key_results=["speed-b"])],
    )
    findings = lint(plan(objective(), objective("speed"), projects=[project]))
    assert codes(findings) == ["OKR306"]
    found = findings[0]
    assert found.name == "task-serves-other-objective"
    assert found.severity is Severity.INFO
    assert found.pointer == "/projects/0/tasks/1/key_results/0"
    assert found.objective == "speed"
    assert found.key_result == "speed-b"
    assert "moves key result 'speed-b' of objective 'speed'" in found.message


# -- OKR307 unknown-lint-rule and disabling -----------------------------------------------


def test_unknown_rule_in_the_files_disable_list_is_a_finding():
    findings = lint(plan(disabled_rules=["OKR106", "no-such-rule"]))
    assert codes(findings) == ["OKR307"]
    found = findings[0]
    assert found.name == "unknown-lint-rule"
    assert found.severity is Severity.WARNING
    assert found.pointer == "/lint/disable/1"
    assert "names 'no-such-rule', which is not a lint rule" in found.message


def bad_plan() -> Plan:
    """One objective with a number and no owner, and a key result that is not measurable."""
    key_results = (kr("a"), kr("b"), kr("reach", "Increase customer reach", target=None))
    return plan(objective(title="Reach 10k users", owner=None, key_results=key_results))


def test_bad_plan_findings():
    assert codes(lint(bad_plan())) == ["OKR107", "OKR106", "OKR201"]


@pytest.mark.parametrize("how", ["OKR106", "okr106", "objective-has-number"])
def test_disable_by_code_or_name(how):
    assert codes(lint(bad_plan(), disable=[how])) == ["OKR107", "OKR201"]


def test_disable_accepts_a_single_string():
    assert codes(lint(bad_plan(), disable="OKR106")) == ["OKR107", "OKR201"]


def test_select_by_code_or_name():
    selected = lint(bad_plan(), select=["OKR201", "objective-without-owner"])
    assert codes(selected) == ["OKR107", "OKR201"]


def test_disable_wins_over_select():
    assert codes(lint(bad_plan(), select=["OKR201", "OKR106"], disable=["OKR201"])) == ["OKR106"]


def test_the_plans_own_disabled_rules_are_honoured():
    disabled = attrs.evolve(bad_plan(), disabled_rules=["OKR201", "objective-has-number"])
    assert codes(lint(disabled)) == ["OKR107"]
    assert codes(lint(disabled, select=["OKR201"])) == []


@pytest.mark.parametrize("argument", ["disable", "select"])
def test_unknown_rule_in_disable_or_select_raises(argument):
    with pytest.raises(UnknownIdError, match=r"no lint rule with id 'OKR999'"):
        lint(bad_plan(), **{argument: ["OKR106", "OKR999"]})


# -- Positions ----------------------------------------------------------------------------


def test_findings_carry_positions_from_the_source_map_in_document_order():
    source_map = SourceMap(
        path="okrs.yaml",
        positions={
            "/objectives/0": (3, 5),
            "/objectives/0/title": (4, 12),
            "/objectives/0/key_results/2": (14, 9),
            "/objectives/0/key_results/2/title": (15, 16),
        },
    )
    findings = lint(attrs.evolve(bad_plan(), source_map=source_map))
    assert [(f.code, f.line, f.column, f.path) for f in findings] == [
        ("OKR107", 3, 5, "okrs.yaml"),
        ("OKR106", 4, 12, "okrs.yaml"),
        ("OKR201", 15, 16, "okrs.yaml"),
    ]
    assert str(findings[1]) == (
        f"okrs.yaml:4:12: OKR106 warning {findings[1].message} [objective-has-number]"
    )


def test_position_falls_back_to_the_nearest_enclosing_part():
    source_map = SourceMap(path="okrs.yaml", positions={"/objectives/0": (3, 5)})
    findings = lint(attrs.evolve(bad_plan(), source_map=source_map))
    assert [(f.line, f.column) for f in findings] == [(3, 5)] * 3
    # Same position: ordered by code.
    assert codes(findings) == ["OKR106", "OKR107", "OKR201"]


def test_findings_without_a_source_map_have_no_position():
    findings = lint(bad_plan())
    assert {(f.line, f.column, f.path) for f in findings} == {(None, None, None)}
    assert str(findings[0]).startswith("<plan>:/objectives/0: OKR107 warning objective ")
    assert str(findings[0]).endswith(" [objective-without-owner]")


def test_findings_are_in_document_order_without_a_source_map():
    late = objective("late", title="Reach 10k users")
    project = Project("p", "Campaign", objective="early")
    findings = lint(plan(objective("early", owner=None), late, projects=[project]))
    assert [(f.code, f.pointer) for f in findings] == [
        ("OKR107", "/objectives/0"),
        ("OKR106", "/objectives/1/title"),
        ("OKR304", "/projects/0/tasks"),
    ]


def test_objectives_past_the_ninth_sort_by_number():
    objectives = [objective(f"o{i}", owner=None) for i in range(11)]
    findings = lint(plan(*objectives))
    assert [f.objective for f in findings] == [f"o{i}" for i in range(11)]


# -- The seed example ---------------------------------------------------------------------

SEED_TASKS = [
    ("Marketing team develops a roadmap", "done", ()),
    ("Meeting and briefing with the creative team", "todo", ()),
    ("Create press release", "todo", ("mentions",)),
    ("Press release distributed to targeted media outlets", "todo", ()),
    ("Website and social media channels updated with new product info", "todo", ()),
    ("Social media ad campaign launched", "todo", ()),
    ("Creative team develops videos for new product", "todo", ("youtube-views",)),
    ("YouTube videos launched", "todo", ("youtube-views",)),
    ("Review social media ad campaign metrics", "todo", ()),
    ("Retarget social media ad campaign", "todo", ()),
    ("Email marketing campaign content created", "todo", ("signups",)),
    ("Email marketing campaign launched", "todo", ("signups",)),
    ("Review email marketing campaign metrics", "todo", ()),
    ("Retarget email marketing campaign", "todo", ()),
]


def seed_plan() -> Plan:
    buzz = Objective(
        "launch-buzz",
        "Stir up a user-generated buzz around the new product launch that outshines competitors",
        key_results=[
            KeyResult(
                "mentions",
                "Organic social media mentions up by 40%",
                target=Target(0.4, Direction.INCREASE, relative=True),
                source={"connector": "mastodon", "tag": "acmewidget", "measure": "count"},
            ),
            KeyResult(
                "youtube-views",
                "YouTube video views over 100k",
                target=at_least(100_000),
                source={"connector": "youtube", "videos": ["V1", "V2"], "statistic": "views"},
            ),
            KeyResult("signups", "Pre-release sign-ups over 5k", target=at_least(5000)),
        ],
        owner="marketing",
        kind=Kind.ASPIRATIONAL,
    )
    campaign = Project(
        "campaign",
        "A multi-channel marketing campaign to gain widespread exposure for new product launch",
        objective="launch-buzz",
        tasks=[Task(title, status=status, key_results=refs) for title, status, refs in SEED_TASKS],
    )
    return Plan([buzz], [campaign], cycle=Q3)


def test_the_seed_example_is_clean():
    seed = seed_plan()
    assert len(seed.projects[0].tasks) == 14
    assert lint(seed) == []


# -- The docs page ------------------------------------------------------------------------

DOCS = Path(__file__).parent.parent / "docs" / "reference" / "lint-rules.md"


@pytest.mark.parametrize("code", list(RULES))
def test_every_rule_has_a_docs_section(code):
    item = RULES[code]
    page = DOCS.read_text(encoding="utf-8")
    heading = f"### {item.code} {item.name}\n"
    assert heading in page
    section = page.split(heading, 1)[1].split("\n### ", 1)[0]
    assert section.startswith(f"\n**Severity:** {item.severity}\n")
    assert f"\n{item.summary}\n" in section
    assert "Fails:" in section
    assert "Fixed" in section
    assert section.count("```yaml") >= 2
    assert f"| {item.code} | {item.name} | {item.severity} |" in page
