"""OKR quality rules: is this plan written the way the method asks?

Each `Rule` has a code (``OKR101``), a kebab-case name (``objective-not-time-bound``), a
`Severity` and a one-line summary; `lint` runs the rules over a `Plan` and returns `Finding`s in
document order, each saying what is wrong, what to do about it, and where (a JSON pointer, and
a line and column when the plan came from a file). Codes are grouped by area: ``OKR1xx``
objectives, ``OKR2xx`` key results, ``OKR3xx`` the plan as a whole and its projects.

Everything here is a pure function of the plan: no I/O, no clock.
"""

from __future__ import annotations

import enum
import re
from types import MappingProxyType
from typing import TYPE_CHECKING

import attrs

from okrkit.errors import UnknownIdError
from okrkit.model import Direction, KeyResult, Objective, Plan

if TYPE_CHECKING:
    from collections.abc import Callable, Iterable, Iterator, Mapping

__all__ = ["RULES", "Finding", "Rule", "Severity", "lint", "rule"]


class Severity(enum.StrEnum):
    """How much a finding matters: errors fail `okrkit lint`, warnings and info do not."""

    ERROR = "error"
    WARNING = "warning"
    INFO = "info"


@attrs.frozen
class _Hit:
    """What a rule's check reports: the rule adds its code, name and severity."""

    message: str
    pointer: str
    objective: str | None = None
    key_result: str | None = None


@attrs.frozen
class Rule:
    """One OKR quality rule: its code, name, severity, why it matters, and its check."""

    code: str
    name: str
    severity: Severity
    summary: str
    check: Callable[[Plan], Iterable[_Hit]] = attrs.field(repr=False)


@attrs.frozen
class Finding:
    """One thing a rule found: what is wrong and what to do, where, and which ids."""

    code: str
    name: str
    severity: Severity
    message: str
    pointer: str
    line: int | None = None
    column: int | None = None
    path: str | None = None
    objective: str | None = None
    key_result: str | None = None

    def __str__(self) -> str:
        """``okrs.yaml:12:9: OKR201 error key result 'reach' ... [key-result-not-measurable]``.

        Without a line (a plan built in Python) the JSON pointer says where instead.
        """
        where = [self.path or "<plan>"]
        if self.line is not None:
            where.append(str(self.line))
            if self.column is not None:
                where.append(str(self.column))
        else:
            where.append(self.pointer or "/")
        return f"{':'.join(where)}: {self.code} {self.severity} {self.message} [{self.name}]"


_REGISTRY: dict[str, Rule] = {}

#: A finding of the key's rule is dropped when the value's rule reports the same pointer.
_SUPERSEDED_BY = {"OKR103": "OKR104"}


def _rule(
    code: str, name: str, severity: Severity, summary: str
) -> Callable[[Callable[[Plan], Iterable[_Hit]]], Callable[[Plan], Iterable[_Hit]]]:
    def register(check: Callable[[Plan], Iterable[_Hit]]) -> Callable[[Plan], Iterable[_Hit]]:
        _REGISTRY[code] = Rule(code, name, severity, summary, check)
        return check

    return register


def _objectives(plan: Plan) -> Iterator[tuple[str, Objective]]:
    for i, objective in enumerate(plan.objectives):
        yield f"/objectives/{i}", objective


def _key_results(plan: Plan) -> Iterator[tuple[str, Objective, KeyResult]]:
    for pointer, objective in _objectives(plan):
        for j, key_result in enumerate(objective.key_results):
            yield f"{pointer}/key_results/{j}", objective, key_result


def _words(title: str) -> list[str]:
    return [word.strip(".,:;!?()[]\"'").lower() for word in title.split()]


# -- Objectives (OKR1xx) ------------------------------------------------------------------


@_rule(
    "OKR101",
    "objective-not-time-bound",
    Severity.ERROR,
    "An objective needs a cycle (its own or the plan's): without a deadline it cannot be scored.",
)
def _not_time_bound(plan: Plan) -> Iterator[_Hit]:
    for pointer, objective in _objectives(plan):
        if plan.cycle_of(objective) is None:
            yield _Hit(
                f"objective {objective.id!r} has no cycle, so nothing says by when it should be "
                "met: set 'cycle: 2026-Q3' (or start..end dates) on the plan or the objective",
                pointer,
                objective.id,
            )


@_rule(
    "OKR102",
    "too-few-key-results",
    Severity.WARNING,
    "An objective is measured by three to five key results; fewer leave most of it unmeasured.",
)
def _too_few_key_results(plan: Plan) -> Iterator[_Hit]:
    for pointer, objective in _objectives(plan):
        count = len(objective.key_results)
        if count == 0:
            message = (
                f"objective {objective.id!r} has no key results, so nothing measures it: add "
                "three to five key results that show it is met"
            )
        elif count < 3:
            message = (
                f"objective {objective.id!r} has {count} key result{'s' if count > 1 else ''}: "
                "add more until three to five together show the objective is met"
            )
        else:
            continue
        yield _Hit(message, f"{pointer}/key_results", objective.id)


@_rule(
    "OKR103",
    "many-key-results",
    Severity.WARNING,
    "More than five key results dilute focus: keep the three to five that matter most.",
)
def _many_key_results(plan: Plan) -> Iterator[_Hit]:
    for pointer, objective in _objectives(plan):
        count = len(objective.key_results)
        if count > 5:
            yield _Hit(
                f"objective {objective.id!r} has {count} key results: keep the three to five "
                "that best show it is met and move the rest to a later cycle or a project",
                f"{pointer}/key_results",
                objective.id,
            )


@_rule(
    "OKR104",
    "too-many-key-results",
    Severity.ERROR,
    "More than seven key results is a task list, not a focus: split the objective or cut.",
)
def _too_many_key_results(plan: Plan) -> Iterator[_Hit]:
    for pointer, objective in _objectives(plan):
        count = len(objective.key_results)
        if count > 7:
            yield _Hit(
                f"objective {objective.id!r} has {count} key results, more than anyone can focus "
                "on: keep three to five, or split it into two objectives",
                f"{pointer}/key_results",
                objective.id,
            )


_STEADY_START = re.compile(
    r"^\s*(?:maintain|maintaining|continue|continuing|keep|keeping|sustain|sustaining|"
    r"preserve|preserving|retain|retaining|uphold|upholding)\b",
    re.IGNORECASE,
)
_STEADY_ENSURE = re.compile(
    r"^\s*(?:ensure|ensuring|make\s+sure)\b.*\b(?:continues?|continuing|remains?|stays?|"
    r"still)\b",
    re.IGNORECASE,
)
_STEADY_PHRASE = re.compile(
    r"\b(?:business|work)\s+as\s+usual\b|\bkeep\s+the\s+lights\s+on\b", re.IGNORECASE
)


@_rule(
    "OKR105",
    "objective-business-as-usual",
    Severity.WARNING,
    "An objective should name an ambitious change, not keep things as they are.",
)
def _business_as_usual(plan: Plan) -> Iterator[_Hit]:
    for pointer, objective in _objectives(plan):
        title = objective.title
        if (
            _STEADY_START.search(title)
            or _STEADY_ENSURE.search(title)
            or _STEADY_PHRASE.search(title)
        ):
            yield _Hit(
                f"objective {objective.id!r} ({title!r}) reads as business as usual: name the "
                "change worth making this cycle; keep steady-state health as a threshold key "
                "result ('Keep uptime above 99.9%') under an ambitious objective",
                f"{pointer}/title",
                objective.id,
            )


# Dates and cycle labels are not the numbers this rule is about.
_DATE_OR_CYCLE = re.compile(r"\b\d{4}-(?:\d{2}(?:-\d{2})?|[QH]\d)\b", re.IGNORECASE)
_NUMBER = re.compile(
    r"(?<![\w.])(?P<currency>[$€£¥]\s?)?(?P<digits>\d+(?:[.,]\d+)*)"
    r"(?P<suffix>\s?%|\s?percent\b|(?:k|m|bn|b|x)(?![A-Za-z]))?(?![\w])",
    re.IGNORECASE,
)


def _number_in(title: str) -> str | None:
    """The first number in `title` that is not a date, a cycle label or a year (1900-2100)."""
    text = _DATE_OR_CYCLE.sub(" ", title)
    for match in _NUMBER.finditer(text):
        digits = match["digits"]
        bare = match["currency"] is None and match["suffix"] is None
        if bare and digits.isdigit() and len(digits) == 4 and 1900 <= int(digits) <= 2100:
            continue
        return match[0].strip()
    return None


@_rule(
    "OKR106",
    "objective-has-number",
    Severity.WARNING,
    "Numbers belong in key results; an objective says in words what should change and why.",
)
def _objective_has_number(plan: Plan) -> Iterator[_Hit]:
    for pointer, objective in _objectives(plan):
        number = _number_in(objective.title)
        if number is not None:
            yield _Hit(
                f"objective {objective.id!r} has a number in its title ({number!r}): say in words "
                "what should change and why, and move the number into a key result that "
                "measures it",
                f"{pointer}/title",
                objective.id,
            )


@_rule(
    "OKR107",
    "objective-without-owner",
    Severity.WARNING,
    "Every objective needs an owner who is accountable for it.",
)
def _without_owner(plan: Plan) -> Iterator[_Hit]:
    for pointer, objective in _objectives(plan):
        if objective.owner is None or not objective.owner.strip():
            yield _Hit(
                f"objective {objective.id!r} has no owner: set 'owner' to the person or team "
                "accountable for it (its key results inherit that owner)",
                pointer,
                objective.id,
            )


@_rule(
    "OKR108",
    "key-result-weights-all-zero",
    Severity.WARNING,
    "When every key result of an objective weighs zero, the objective has no score.",
)
def _weights_all_zero(plan: Plan) -> Iterator[_Hit]:
    for pointer, objective in _objectives(plan):
        weights = [key_result.weight for key_result in objective.key_results]
        if weights and not any(weights):
            yield _Hit(
                f"every key result of objective {objective.id!r} has weight 0, so the objective "
                "cannot be scored: give the key results positive weights (the default is 1)",
                f"{pointer}/key_results",
                objective.id,
            )


# -- Key results (OKR2xx) -----------------------------------------------------------------


@_rule(
    "OKR201",
    "key-result-not-measurable",
    Severity.ERROR,
    "A key result needs a target (a number to reach) or nobody can tell whether it is met.",
)
def _not_measurable(plan: Plan) -> Iterator[_Hit]:
    for pointer, objective, key_result in _key_results(plan):
        if key_result.target is None:
            yield _Hit(
                f"key result {key_result.id!r} ({key_result.title!r}) has no target, so nobody "
                "can tell whether it is met: name the metric, where it starts and the number to "
                "reach, as in 'Monthly active customers from 12k to 20k', or add 'target: NUMBER'",
                f"{pointer}/title",
                objective.id,
                key_result.id,
            )


#: Verbs that describe work to do rather than a value to change. Outcome verbs (increase, grow,
#: reduce, cut, improve, raise, lower, reach, keep, double, ...) are deliberately absent.
_ACTIVITY_VERBS = frozenset(
    {
        "analyse", "analyze", "arrange", "assist", "attend", "brainstorm", "build", "collaborate",
        "complete", "conduct", "configure", "contribute", "coordinate", "create", "define",
        "deliver", "deploy", "design", "develop", "discuss", "distribute", "do", "document",
        "draft", "establish", "evaluate", "explore", "facilitate", "finalise", "finalize",
        "finish", "help", "hire", "hold", "host", "implement", "install", "integrate", "introduce",
        "investigate", "launch", "make", "meet", "migrate", "organise", "organize", "participate",
        "perform", "plan", "post", "prepare", "produce", "publish", "redesign", "refactor",
        "release", "research", "review", "run", "schedule", "send", "ship", "start", "support",
        "test", "train", "update", "upgrade", "write",
    }
)  # fmt: skip
_ACTIVITY_PHRASES = frozenset(
    {("set", "up"), ("roll", "out"), ("kick", "off"), ("work", "on"), ("carry", "out")}
)
_IRREGULAR = {
    "built": "build", "done": "do", "held": "hold", "made": "make",
    "ran": "run", "sent": "send", "written": "write", "wrote": "write",
}  # fmt: skip


def _base_forms(word: str, ending: str) -> set[str]:
    """Candidate base forms of a verb written with `ending` ("ing" or "ed")."""
    if word in _IRREGULAR and ending == "ed":
        return {_IRREGULAR[word]}
    if not word.endswith(ending) or len(word) <= len(ending) + 1:
        return set()
    stem = word[: -len(ending)]
    forms = {stem, f"{stem}e"}
    if len(stem) > 2 and stem[-1] == stem[-2]:
        forms.add(stem[:-1])  # planning, shipped
    if ending == "ed" and stem.endswith("i"):
        forms.add(f"{stem[:-1]}y")  # applied
    return forms


def _activity(title: str) -> str | None:
    """The activity verb a title is built on ("Launch the website", "Website launched")."""
    words = [word for word in _words(title) if word]
    if not words:
        return None
    first = words[0]
    if tuple(words[:2]) in _ACTIVITY_PHRASES:
        return " ".join(words[:2])
    if first in _ACTIVITY_VERBS or _base_forms(first, "ing") & _ACTIVITY_VERBS:
        return first
    last = words[-1]
    if len(words) > 1 and _base_forms(last, "ed") & _ACTIVITY_VERBS:
        return last
    return None


@_rule(
    "OKR202",
    "key-result-is-task",
    Severity.WARNING,
    "A key result measures value created, not work done: move tasks to a project.",
)
def _is_task(plan: Plan) -> Iterator[_Hit]:
    for pointer, objective, key_result in _key_results(plan):
        if key_result.target is None and (verb := _activity(key_result.title)) is not None:
            yield _Hit(
                f"key result {key_result.id!r} ({key_result.title!r}) reads as a task "
                f"({verb!r} is work to do, not a result): put the work in a project's tasks "
                "and write the key result as the change it should bring, as in 'Website "
                "sign-ups over 2k' or 'Trial-to-paid conversion from 3% to 5%'",
                f"{pointer}/title",
                objective.id,
                key_result.id,
            )


@_rule(
    "OKR203",
    "key-result-is-output",
    Severity.INFO,
    "Counting work shipped measures output; ask what that output should change and measure it.",
)
def _is_output(plan: Plan) -> Iterator[_Hit]:
    for pointer, objective, key_result in _key_results(plan):
        if key_result.target is not None and (verb := _activity(key_result.title)) is not None:
            yield _Hit(
                f"key result {key_result.id!r} ({key_result.title!r}) counts output ({verb!r}), "
                "not outcome: ask what that work should change (readers, leads, retention) "
                "and measure that; keep it only if the output itself is the goal",
                f"{pointer}/title",
                objective.id,
                key_result.id,
            )


def _number(value: float) -> str:
    return f"{value:g}"


@_rule(
    "OKR204",
    "baseline-equals-target",
    Severity.ERROR,
    "A target equal to its baseline asks for no change: there is nothing to achieve.",
)
def _baseline_equals_target(plan: Plan) -> Iterator[_Hit]:
    for pointer, objective, key_result in _key_results(plan):
        target = key_result.target
        if (
            target is not None
            and target.baseline is not None
            and not target.relative
            and not target.threshold
            and target.baseline == target.value
        ):
            yield _Hit(
                f"key result {key_result.id!r} starts and ends at {_number(target.value)}, so it "
                "asks for no change: set the target to the value worth reaching, or correct the "
                "baseline",
                f"{pointer}/target",
                objective.id,
                key_result.id,
            )


@_rule(
    "OKR205",
    "relative-target-without-baseline",
    Severity.WARNING,
    "A change 'up by 40%' needs a baseline or a source to measure one, or the goal is unknown.",
)
def _relative_without_baseline(plan: Plan) -> Iterator[_Hit]:
    for pointer, objective, key_result in _key_results(plan):
        target = key_result.target
        if (
            target is not None
            and target.relative
            and target.baseline is None
            and key_result.source is None
        ):
            share = _number(target.value * 100)
            yield _Hit(
                f"key result {key_result.id!r} asks for a change of {share}% but has no baseline "
                "and no source to measure one, so its goal is unknown: set 'baseline' to the "
                "value at the start of the cycle, or add a 'source'",
                f"{pointer}/target",
                objective.id,
                key_result.id,
            )


@_rule(
    "OKR206",
    "decrease-without-baseline",
    Severity.INFO,
    "Without a baseline, progress on lowering a value is met-or-not until a start is known.",
)
def _decrease_without_baseline(plan: Plan) -> Iterator[_Hit]:
    for pointer, objective, key_result in _key_results(plan):
        target = key_result.target
        if (
            target is not None
            and target.direction in (Direction.DECREASE, Direction.AT_MOST)
            and not target.relative
            and not target.threshold
            and target.baseline is None
        ):
            yield _Hit(
                f"key result {key_result.id!r} lowers a value to {_number(target.value)} but has "
                "no baseline, so progress is only met or not met until a starting value is "
                "known: set 'baseline' to the value at the start of the cycle",
                f"{pointer}/target",
                objective.id,
                key_result.id,
            )


# -- The plan and its projects (OKR3xx) ---------------------------------------------------


def _problems(plan: Plan, code: str) -> Iterator[_Hit]:
    for problem in plan.problems():
        if problem.code == code:
            yield _Hit(problem.message, problem.pointer, problem.objective, problem.key_result)


@_rule(
    "OKR301",
    "duplicate-id",
    Severity.ERROR,
    "Ids must be unique (key result ids across the whole plan), or references are ambiguous.",
)
def _duplicate_id(plan: Plan) -> Iterator[_Hit]:
    for hit in _problems(plan, "duplicate-id"):
        yield attrs.evolve(hit, message=f"{hit.message}: give each one its own id")


@_rule(
    "OKR302",
    "unknown-reference",
    Severity.ERROR,
    "A parent, a project's objective or a task's key result must name an id in the plan.",
)
def _unknown_reference(plan: Plan) -> Iterator[_Hit]:
    for hit in _problems(plan, "unknown-reference"):
        yield attrs.evolve(hit, message=f"{hit.message}: fix the id or remove the reference")


@_rule(
    "OKR303",
    "objective-parent-cycle",
    Severity.ERROR,
    "Objectives that align to each other in a loop have no top: break the loop.",
)
def _parent_cycle(plan: Plan) -> Iterator[_Hit]:
    parents: dict[str, str | None] = {}
    index: dict[str, int] = {}
    for i, objective in enumerate(plan.objectives):
        parents.setdefault(objective.id, objective.parent)
        index.setdefault(objective.id, i)
    reported: set[str] = set()
    for i, objective in enumerate(plan.objectives):
        if index[objective.id] != i or objective.id in reported:
            continue
        path = [objective.id]
        step = parents[objective.id]
        while step is not None and step in parents and step not in path:
            path.append(step)
            step = parents[step]
        # A loop through this objective; self-parents are unknown-reference problems already.
        if step == objective.id and len(path) > 1:
            reported.update(path)
            loop = " -> ".join([*path, objective.id])
            yield _Hit(
                f"objectives align in a loop ({loop}), so none of them leads up to a top-level "
                "objective: remove or change one of these 'parent' links",
                f"/objectives/{i}/parent",
                objective.id,
            )


@_rule(
    "OKR304",
    "project-without-tasks",
    Severity.INFO,
    "A project is broken into tasks; one with none has no plan of action yet.",
)
def _project_without_tasks(plan: Plan) -> Iterator[_Hit]:
    for i, project in enumerate(plan.projects):
        if not project.tasks:
            yield _Hit(
                f"project {project.id!r} has no tasks: break it into the actions meant to move "
                "its key results, or remove it",
                f"/projects/{i}/tasks",
                project.objective,
            )


@_rule(
    "OKR305",
    "project-without-objective",
    Severity.INFO,
    "Work that serves no objective competes for time with work that does.",
)
def _project_without_objective(plan: Plan) -> Iterator[_Hit]:
    for i, project in enumerate(plan.projects):
        if project.objective is None and not any(task.key_results for task in project.tasks):
            yield _Hit(
                f"project {project.id!r} serves no objective: set 'objective' to the one it "
                "moves or link its tasks to key results, or question whether it belongs in "
                "this cycle",
                f"/projects/{i}",
            )


@_rule(
    "OKR306",
    "task-serves-other-objective",
    Severity.INFO,
    "A task linked to another objective's key result may belong in another project.",
)
def _task_serves_other_objective(plan: Plan) -> Iterator[_Hit]:
    owners = {kr.id: objective.id for objective in plan.objectives for kr in objective.key_results}
    objective_ids = {objective.id for objective in plan.objectives}
    for i, project in enumerate(plan.projects):
        if project.objective is None or project.objective not in objective_ids:
            continue
        for j, task in enumerate(project.tasks):
            for k, reference in enumerate(task.key_results):
                owner = owners.get(reference)
                if owner is not None and owner != project.objective:
                    yield _Hit(
                        f"task {task.title!r} in project {project.id!r} (serving objective "
                        f"{project.objective!r}) moves key result {reference!r} of objective "
                        f"{owner!r}: move the task to a project for {owner!r}, or check the link",
                        f"/projects/{i}/tasks/{j}/key_results/{k}",
                        owner,
                        reference,
                    )


def _find(code_or_name: object) -> Rule | None:
    if not isinstance(code_or_name, str):
        return None
    text = code_or_name.strip()
    if (found := _REGISTRY.get(text.upper())) is not None:
        return found
    lowered = text.lower()
    return next((item for item in _REGISTRY.values() if item.name == lowered), None)


@_rule(
    "OKR307",
    "unknown-lint-rule",
    Severity.WARNING,
    "The file's 'lint: {disable: [...]}' names a rule that does not exist: it disables nothing.",
)
def _unknown_lint_rule(plan: Plan) -> Iterator[_Hit]:
    for k, entry in enumerate(plan.disabled_rules):
        if _find(entry) is None:
            yield _Hit(
                f"'lint: disable' names {entry!r}, which is not a lint rule, so it disables "
                "nothing: use a code such as OKR106 or a name such as objective-has-number",
                f"/lint/disable/{k}",
            )


#: Every rule, by code, in code order.
RULES: Mapping[str, Rule] = MappingProxyType(dict(sorted(_REGISTRY.items())))


def rule(code_or_name: str) -> Rule:
    """The rule with this code (``OKR101``, any case) or name (``objective-not-time-bound``)."""
    found = _find(code_or_name)
    if found is None:
        raise UnknownIdError("lint rule", str(code_or_name), list(RULES))
    return found


def _codes(items: Iterable[str]) -> set[str]:
    if isinstance(items, str):  # a single code given where a list was meant
        items = (items,)
    return {rule(item).code for item in items}


#: Fields in the order an OKR file usually writes them, to sort findings without positions.
_FIELD_ORDER = {
    name: rank
    for rank, name in enumerate(
        (
            "id", "title", "description", "owner", "cycle", "kind", "weight", "parent",
            "objectives", "metric", "unit", "target", "direction", "baseline", "threshold",
            "current", "source", "key_results", "objective", "status", "due", "tasks",
            "projects", "lint", "disable",
        )
    )
}  # fmt: skip


def _pointer_order(pointer: str) -> tuple[tuple[int, int, str], ...]:
    return tuple(
        (0, int(part), "") if part.isdigit() else (1, _FIELD_ORDER.get(part, 99), part)
        for part in pointer.split("/")
    )


def _document_order(finding: Finding) -> tuple[object, ...]:
    if finding.line is None:
        return (0, 0, "", _pointer_order(finding.pointer), finding.code)
    return (finding.line, finding.column or 0, finding.code, _pointer_order(finding.pointer), "")


def lint(
    plan: Plan, *, disable: Iterable[str] = (), select: Iterable[str] | None = None
) -> list[Finding]:
    """Run the rules over `plan` and return what they find, in document order.

    `select` (codes or names) runs only those rules; `disable` and the plan's own
    ``lint: {disable: [...]}`` (`Plan.disabled_rules`) skip rules, and win over `select`.
    Unknown codes or names in `select` or `disable` raise `UnknownIdError`; unknown ones in
    the plan are reported as ``OKR307 unknown-lint-rule``.
    """
    chosen = set(RULES) if select is None else _codes(select)
    skipped = _codes(disable)
    skipped.update(found.code for entry in plan.disabled_rules if (found := _find(entry)))
    source_map = plan.source_map
    findings: list[Finding] = []
    for item in RULES.values():
        if item.code not in chosen or item.code in skipped:
            continue
        for hit in item.check(plan):
            position = source_map.position(hit.pointer) if source_map is not None else None
            findings.append(
                Finding(
                    code=item.code,
                    name=item.name,
                    severity=item.severity,
                    message=hit.message,
                    pointer=hit.pointer,
                    line=position[0] if position else None,
                    column=position[1] if position else None,
                    path=source_map.path if source_map is not None else None,
                    objective=hit.objective,
                    key_result=hit.key_result,
                )
            )
    reported = {(finding.code, finding.pointer) for finding in findings}
    kept = [
        finding
        for finding in findings
        if (_SUPERSEDED_BY.get(finding.code), finding.pointer) not in reported
    ]
    return sorted(kept, key=_document_order)
