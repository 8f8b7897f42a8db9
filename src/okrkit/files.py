"""OKR files (YAML or JSON) to and from the model, with file:line:column on every error.

The reader is in two steps: a YAML safe loader that remembers where every mapping key and list
item was written, then `_Reader`, which turns that plain data into model objects and fills a
`SourceMap` (JSON pointer to line and column) so lint findings can point at lines too.
YAML is imported only when a file is read or written, so `import okrkit` stays light.
"""

from __future__ import annotations

import datetime as dt
import difflib
import json
import math
import os
from collections.abc import Callable, Mapping
from pathlib import Path
from typing import TYPE_CHECKING, Any, Literal

import attrs

from okrkit.errors import FileFormatError, Location, ModelError, PlanError
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
    TaskStatus,
    thaw,
)
from okrkit.parsing import parse

if TYPE_CHECKING:
    import yaml

__all__ = ["FIELDS", "dump", "dumps", "load", "loads", "to_data"]

Format = Literal["yaml", "json"]

#: The fields each part of an OKR file accepts, with a one-line description. The loader rejects
#: any other field, and `okrkit schema` and the file-format docs are built from this table.
FIELDS: Mapping[str, Mapping[str, str]] = {
    "plan": {
        "id": "A stable id for this plan in a shared store (default: the file's name).",
        "title": "A name for this set of OKRs (team, product or company).",
        "cycle": "The time box: 2026-Q3, 2026-H1, 2026, 2026-07 or {start, end}.",
        "objectives": "The objectives, each with its key results.",
        "projects": "The projects whose tasks are meant to move the key results.",
        "lint": "Lint settings for this file: {disable: [codes or names]}.",
    },
    "objective": {
        "id": "A unique id: letters, digits, '-', '_' or '.'.",
        "title": "The objective: qualitative, ambitious, inspiring.",
        "description": "Why it matters, in a sentence or two.",
        "owner": "Who is accountable.",
        "cycle": "The objective's own cycle, when it differs from the file's.",
        "kind": "committed (expected to reach 1.0) or aspirational (about 0.7).",
        "weight": "Its weight in roll-ups (default 1).",
        "parent": "The id of the objective this one aligns to.",
        "key_results": "Three to five key results that measure it.",
    },
    "key_result": {
        "id": "A unique id across the whole file.",
        "title": "The key result as a sentence, such as 'Pre-release sign-ups over 5k'.",
        "description": "More detail.",
        "owner": "Who is accountable (defaults to the objective's owner).",
        "metric": "What is measured; read from the title when not given.",
        "unit": "The metric's unit: %, ms, USD, ...; read from the title when not given.",
        "target": "The goal: a number, or '+40%' / '-20%' for a change relative to the baseline.",
        "direction": "increase, decrease, at_least or at_most; read from the title when not given.",
        "baseline": "The value at the start of the cycle.",
        "threshold": "true for a level to stay on the right side of at every measurement.",
        "weight": "Its weight in the objective's score (default 1).",
        "current": "The latest value, typed by hand (a connector's value replaces it).",
        "source": "Where live values come from: {connector: NAME, ...settings}.",
    },
    "project": {
        "id": "A unique id.",
        "title": "What the project does.",
        "description": "More detail.",
        "objective": "The id of the objective the project serves.",
        "owner": "Who runs it.",
        "tasks": "The actions, in order.",
    },
    "task": {
        "id": "An optional id.",
        "title": "The action.",
        "owner": "Who does it.",
        "due": "The due date (YYYY-MM-DD).",
        "status": "todo, doing, done or dropped.",
        "done": "Shorthand for status: done.",
        "key_results": "The ids of the key results this task is meant to move.",
    },
}


# -- Reading YAML with positions ---------------------------------------------------------


class _LocatedDict(dict[Any, Any]):
    """A mapping read from a file, with the position of its start and of each key."""

    position: tuple[int, int]
    keys_at: dict[Any, tuple[int, int]]


class _LocatedList(list[Any]):
    position: tuple[int, int]
    items_at: list[tuple[int, int]]


def _mark(node: yaml.Node) -> tuple[int, int]:
    return node.start_mark.line + 1, node.start_mark.column + 1


def _yaml_loader(path: str | None) -> type[yaml.SafeLoader]:
    import yaml  # noqa: PLC0415  # kept out of `import okrkit`

    base: type[yaml.SafeLoader] = getattr(yaml, "CSafeLoader", yaml.SafeLoader)

    class Loader(base):  # type: ignore[valid-type,misc]
        pass

    def construct_mapping(loader: yaml.SafeLoader, node: yaml.MappingNode) -> _LocatedDict:
        loader.flatten_mapping(node)
        result = _LocatedDict()
        result.position = _mark(node)
        result.keys_at = {}
        for key_node, value_node in node.value:
            key = loader.construct_object(key_node, deep=True)
            try:
                hash(key)
            except TypeError:
                line, column = _mark(key_node)
                raise FileFormatError(
                    "a mapping key must be a plain value", Location(path, line, column)
                ) from None
            if key in result:
                line, column = _mark(key_node)
                first = result.keys_at[key][0]
                raise FileFormatError(
                    f"duplicate key {key!r} (first on line {first}): keep one",
                    Location(path, line, column),
                )
            result[key] = loader.construct_object(value_node, deep=True)
            result.keys_at[key] = _mark(key_node)
        return result

    def construct_sequence(loader: yaml.SafeLoader, node: yaml.SequenceNode) -> _LocatedList:
        result = _LocatedList(loader.construct_object(child, deep=True) for child in node.value)
        result.position = _mark(node)
        result.items_at = [_mark(child) for child in node.value]
        return result

    Loader.add_constructor("tag:yaml.org,2002:map", construct_mapping)
    Loader.add_constructor("tag:yaml.org,2002:seq", construct_sequence)
    return Loader


def _read_yaml(text: str, path: str | None) -> Any:
    import yaml  # noqa: PLC0415

    try:
        return yaml.load(text, Loader=_yaml_loader(path))  # noqa: S506  # a SafeLoader subclass
    except yaml.MarkedYAMLError as error:
        mark = error.problem_mark or error.context_mark
        problem = error.problem or "not valid YAML"
        context = f" {error.context}" if error.context else ""
        if mark is None:
            raise FileFormatError(f"not valid YAML: {problem}", Location(path)) from None
        raise FileFormatError(
            f"not valid YAML: {problem}{context}",
            Location(path, mark.line + 1, mark.column + 1),
        ) from None
    except yaml.YAMLError as error:
        raise FileFormatError(f"not valid YAML: {error}", Location(path)) from None


def _read_json(text: str, path: str | None) -> Any:
    def no_duplicates(pairs: list[tuple[str, Any]]) -> dict[str, Any]:
        result: dict[str, Any] = {}
        for key, value in pairs:
            if key in result:
                raise FileFormatError(f"duplicate key {key!r}: keep one", Location(path))
            result[key] = value
        return result

    try:
        data = json.loads(text, object_pairs_hook=no_duplicates)
    except json.JSONDecodeError as error:
        raise FileFormatError(
            f"not valid JSON: {error.msg}", Location(path, error.lineno, error.colno)
        ) from None
    try:  # JSON is YAML: read it again for positions, where PyYAML can
        located = _read_yaml(text, path)
    except FileFormatError:
        return data
    return _with_positions(data, located)


def _with_positions(value: Any, located: Any) -> Any:
    """JSON's values with YAML's positions: PyYAML (YAML 1.1) reads some JSON numbers, such
    as 1e-09, as text, so the values come from the JSON parser and only positions from YAML."""
    if isinstance(value, dict):
        result = _LocatedDict()
        same = isinstance(located, _LocatedDict) and located.keys() == value.keys()
        for key, item in value.items():
            result[key] = _with_positions(item, located[key] if same else None)
        if same:
            result.position, result.keys_at = located.position, located.keys_at
        return result
    if isinstance(value, list):
        same = isinstance(located, _LocatedList) and len(located) == len(value)
        items = _LocatedList(
            _with_positions(item, located[index] if same else None)
            for index, item in enumerate(value)
        )
        if same:
            items.position, items.items_at = located.position, located.items_at
        return items
    return value


# -- From plain data to the model --------------------------------------------------------


def _kind_of(value: Any) -> str:
    if value is None:
        return "nothing"
    if isinstance(value, bool):
        return "true/false"
    if isinstance(value, int | float):
        return "a number"
    if isinstance(value, str):
        return "text"
    if isinstance(value, Mapping):
        return "a mapping"
    if isinstance(value, list):
        return "a list"
    return type(value).__name__


@attrs.define
class _Reader:
    path: str | None
    positions: dict[str, tuple[int, int]] = attrs.field(factory=dict)

    # Positions --------------------------------------------------------------------------

    def note(self, pointer: str, data: Any) -> None:
        position = getattr(data, "position", None)
        if position is not None:
            self.positions[pointer] = position
        keys_at = getattr(data, "keys_at", None)
        if keys_at:
            for key, at in keys_at.items():
                self.positions[f"{pointer}/{key}"] = at
        items_at = getattr(data, "items_at", None)
        if items_at:
            for index, at in enumerate(items_at):
                self.positions.setdefault(f"{pointer}/{index}", at)

    def where(self, pointer: str) -> Location:
        found = SourceMap(self.path, self.positions).position(pointer)
        return Location(self.path, *found) if found else Location(self.path)

    def fail(self, pointer: str, message: str) -> FileFormatError:
        return FileFormatError(message, self.where(pointer))

    # Shapes -----------------------------------------------------------------------------

    def mapping(self, data: Any, pointer: str, part: str, label: str) -> Mapping[str, Any]:
        if not isinstance(data, Mapping):
            self.note(pointer, data)
            raise self.fail(pointer, f"{label} should be a mapping of fields, got {_kind_of(data)}")
        self.note(pointer, data)
        allowed = FIELDS[part]
        for key in data:
            if key not in allowed:
                close = difflib.get_close_matches(str(key), allowed, n=1)
                hint = f"; did you mean {close[0]!r}?" if close else ""
                raise self.fail(
                    f"{pointer}/{key}",
                    f"unknown field {key!r} in {label}{hint} (allowed: {', '.join(allowed)})",
                )
        return data

    def items(self, data: Mapping[str, Any], key: str, pointer: str) -> list[Any]:
        value = data.get(key)
        if value is None:
            return []
        if not isinstance(value, list):
            raise self.fail(f"{pointer}/{key}", f"{key!r} should be a list, got {_kind_of(value)}")
        self.note(f"{pointer}/{key}", value)
        return value

    def text(
        self, data: Mapping[str, Any], key: str, pointer: str, *, required: bool = False
    ) -> Any:
        value = data.get(key)
        if value is None:
            if required:
                raise self.fail(pointer, f"missing required field {key!r}")
            return None
        if isinstance(value, bool) or not isinstance(value, str | int | float):
            raise self.fail(f"{pointer}/{key}", f"{key!r} should be text, got {_kind_of(value)}")
        return str(value)

    def number(self, data: Mapping[str, Any], key: str, pointer: str) -> float | None:
        value = data.get(key)
        if value is None:
            return None
        if (
            isinstance(value, bool)
            or not isinstance(value, int | float)
            or not math.isfinite(value)
        ):
            raise self.fail(f"{pointer}/{key}", f"{key!r} should be a finite number, got {value!r}")
        return value

    def flag(self, data: Mapping[str, Any], key: str, pointer: str) -> bool | None:
        value = data.get(key)
        if value is None or isinstance(value, bool):
            return value
        raise self.fail(f"{pointer}/{key}", f"{key!r} should be true or false, got {value!r}")

    def build(self, factory: Callable[..., Any], pointer: str, **fields: Any) -> Any:
        """Call a model constructor, turning its ModelError into an error at the field's line."""
        try:
            return factory(**fields)
        except ModelError as error:
            field = f"{pointer}/{error.field}" if error.field else pointer
            raise self.fail(field, str(error)) from None

    # Parts ------------------------------------------------------------------------------

    def cycle(self, value: Any, pointer: str) -> Cycle | None:
        if value is None:
            return None
        if isinstance(value, Mapping):
            self.note(pointer, value)
            unknown = set(value) - {"start", "end", "label"}
            if unknown:
                raise self.fail(
                    f"{pointer}/{min(map(str, unknown))}",
                    "a cycle mapping takes start, end and an optional label",
                )
            for key in ("start", "end"):
                if not isinstance(value.get(key), dt.date) or isinstance(
                    value.get(key), dt.datetime
                ):
                    raise self.fail(
                        f"{pointer}/{key}" if key in value else pointer,
                        f"cycle {key} should be a date written YYYY-MM-DD, got {value.get(key)!r}",
                    )
            label = value.get("label")
            return self.build(Cycle, pointer, start=value["start"], end=value["end"], label=label)  # type: ignore[no-any-return]
        if isinstance(value, int) and not isinstance(value, bool):
            value = str(value)
        try:
            return Cycle.parse(value)
        except ModelError as error:
            raise self.fail(pointer, str(error)) from None

    def target(
        self, data: Mapping[str, Any], title: str, pointer: str
    ) -> tuple[Target | None, str | None, str | None]:
        sentence = parse(title)
        said = sentence.target
        raw = data.get("target")
        relative: bool | None = None
        value: float | None
        if raw is None:
            value = None
        elif isinstance(raw, str):
            value, relative = self.relative_target(raw, f"{pointer}/target")
        else:
            value = self.number(data, "target", pointer)
        direction_text = self.text(data, "direction", pointer)
        baseline = self.number(data, "baseline", pointer)
        threshold = self.flag(data, "threshold", pointer)
        direction: Direction | None = None
        if direction_text is not None:
            try:
                direction = Direction(direction_text.replace(" ", "_").replace("-", "_"))
            except ValueError:
                raise self.fail(
                    f"{pointer}/direction",
                    f"direction should be one of {', '.join(d.value for d in Direction)}, "
                    f"got {direction_text!r}",
                ) from None
        elif relative is not None:
            direction = (
                Direction.INCREASE if value is not None and value >= 0 else Direction.DECREASE
            )
        if relative and value is not None:
            value = abs(value)
        if value is None and said is None:
            if direction is not None or baseline is not None or threshold is not None:
                raise self.fail(
                    pointer,
                    f"key result {title!r} gives a direction, baseline or threshold but no "
                    "target: add 'target: NUMBER' or write the target in the title",
                )
            return None, sentence.metric, sentence.unit
        fields: dict[str, Any] = {}
        if said is not None:
            fields = attrs.asdict(said, recurse=False)
        if value is not None:
            fields["value"] = value
            fields["relative"] = bool(relative)
            if said is None or (direction is None and relative is None and said.relative):
                fields["direction"] = self.inferred_direction(value, baseline)
        if direction is not None:
            fields["direction"] = direction
        if baseline is not None:
            fields["baseline"] = baseline
        if threshold is not None:
            fields["threshold"] = threshold
        target = self.build(Target, pointer, **fields)
        return target, sentence.metric, sentence.unit

    @staticmethod
    def inferred_direction(value: float, baseline: float | None) -> Direction:
        if baseline is not None and value < baseline:
            return Direction.DECREASE
        if baseline is not None:
            return Direction.INCREASE
        return Direction.AT_LEAST

    def relative_target(self, raw: str, pointer: str) -> tuple[float, bool]:
        text = raw.strip().replace(" ", "")
        if text.endswith("%") and text[:1] in "+-":
            try:
                share = float(text[1:-1]) / 100
            except ValueError:
                share = math.nan
            if math.isfinite(share) and share > 0:
                return (share if text[0] == "+" else -share), True
        raise self.fail(
            pointer,
            f"target {raw!r} is not a number or a relative change: write 5000, or '+40%' / "
            "'-20%' for a change against the baseline",
        )

    def key_result(self, data: Any, pointer: str, owner: str) -> KeyResult:
        fields = self.mapping(data, pointer, "key_result", f"key result in {owner}")
        title = self.text(fields, "title", pointer, required=True)
        target, metric, unit = self.target(fields, title, pointer)
        source = fields.get("source")
        if source is not None:
            if not isinstance(source, Mapping):
                raise self.fail(
                    f"{pointer}/source",
                    f"source should be a mapping such as {{connector: sql, query: ...}}, "
                    f"got {_kind_of(source)}",
                )
            self.note(f"{pointer}/source", source)
        return self.build(  # type: ignore[no-any-return]
            KeyResult,
            pointer,
            id=self.text(fields, "id", pointer, required=True),
            title=title,
            target=target,
            metric=self.text(fields, "metric", pointer) or metric,
            unit=self.text(fields, "unit", pointer) or unit,
            weight=_default(self.number(fields, "weight", pointer), 1.0),
            owner=self.text(fields, "owner", pointer),
            description=self.text(fields, "description", pointer),
            source=_plain(source),
            current=self.number(fields, "current", pointer),
        )

    def objective(self, data: Any, pointer: str, cycle: Cycle | None) -> Objective:
        fields = self.mapping(data, pointer, "objective", f"objective #{pointer.rsplit('/', 1)[1]}")
        identifier = self.text(fields, "id", pointer, required=True)
        key_results = [
            self.key_result(item, f"{pointer}/key_results/{index}", f"objective {identifier!r}")
            for index, item in enumerate(self.items(fields, "key_results", pointer))
        ]
        return self.build(  # type: ignore[no-any-return]
            Objective,
            pointer,
            id=identifier,
            title=self.text(fields, "title", pointer, required=True),
            key_results=key_results,
            description=self.text(fields, "description", pointer),
            owner=self.text(fields, "owner", pointer),
            cycle=self.cycle(fields.get("cycle"), f"{pointer}/cycle") or cycle,
            kind=_default(self.text(fields, "kind", pointer), Kind.COMMITTED),
            weight=_default(self.number(fields, "weight", pointer), 1.0),
            parent=self.text(fields, "parent", pointer),
        )

    def task(self, data: Any, pointer: str, project: str) -> Task:
        if isinstance(data, str):
            return self.build(Task, pointer, title=data)  # type: ignore[no-any-return]
        fields = self.mapping(data, pointer, "task", f"a task of project {project!r}")
        status = self.text(fields, "status", pointer)
        done = self.flag(fields, "done", pointer)
        if done is not None and status is not None and (status == "done") != done:
            raise self.fail(
                f"{pointer}/done", f"'done: {str(done).lower()}' contradicts 'status: {status}'"
            )
        if status is None:
            status = TaskStatus.DONE if done else TaskStatus.TODO
        due = fields.get("due")
        if due is not None and (not isinstance(due, dt.date) or isinstance(due, dt.datetime)):
            raise self.fail(
                f"{pointer}/due", f"due should be a date written YYYY-MM-DD, got {due!r}"
            )
        references = self.items(fields, "key_results", pointer)
        return self.build(  # type: ignore[no-any-return]
            Task,
            pointer,
            title=self.text(fields, "title", pointer, required=True),
            status=status,
            owner=self.text(fields, "owner", pointer),
            due=due,
            key_results=[str(item) for item in references],
            id=self.text(fields, "id", pointer),
        )

    def project(self, data: Any, pointer: str) -> Project:
        fields = self.mapping(data, pointer, "project", f"project #{pointer.rsplit('/', 1)[1]}")
        identifier = self.text(fields, "id", pointer, required=True)
        tasks = [
            self.task(item, f"{pointer}/tasks/{index}", identifier)
            for index, item in enumerate(self.items(fields, "tasks", pointer))
        ]
        return self.build(  # type: ignore[no-any-return]
            Project,
            pointer,
            id=identifier,
            title=self.text(fields, "title", pointer, required=True),
            objective=self.text(fields, "objective", pointer),
            tasks=tasks,
            owner=self.text(fields, "owner", pointer),
            description=self.text(fields, "description", pointer),
        )

    def plan(self, data: Any) -> Plan:
        if data is None:
            raise self.fail("", "the file is empty: it should hold a cycle and objectives")
        fields = self.mapping(data, "", "plan", "the file")
        cycle = self.cycle(fields.get("cycle"), "/cycle")
        objectives = [
            self.objective(item, f"/objectives/{index}", cycle)
            for index, item in enumerate(self.items(fields, "objectives", ""))
        ]
        projects = [
            self.project(item, f"/projects/{index}")
            for index, item in enumerate(self.items(fields, "projects", ""))
        ]
        disabled: list[str] = []
        lint_settings = fields.get("lint")
        if lint_settings is not None:
            if not isinstance(lint_settings, Mapping) or set(lint_settings) - {"disable"}:
                raise self.fail("/lint", "lint settings should be {disable: [codes or names]}")
            self.note("/lint", lint_settings)
            disabled = [str(item) for item in self.items(lint_settings, "disable", "/lint")]
        return Plan(
            objectives=objectives,
            projects=projects,
            cycle=cycle,
            title=self.text(fields, "title", ""),
            disabled_rules=disabled,
            id=self.text(fields, "id", ""),
            source_map=SourceMap(self.path, dict(self.positions)),
        )


def _default(value: Any, default: Any) -> Any:
    return default if value is None else value


def _plain(value: Any) -> Any:
    """Dates in settings become ISO text: settings are plain data."""
    if isinstance(value, Mapping):
        return {str(key): _plain(item) for key, item in value.items()}
    if isinstance(value, list):
        return [_plain(item) for item in value]
    if isinstance(value, dt.date):
        return value.isoformat()
    return value


# -- Public API -----------------------------------------------------------------------------


def _format_of(path: str | None, text: str) -> Format:
    if path is not None and path.lower().endswith(".json"):
        return "json"
    if path is None and text.lstrip().startswith("{"):
        return "json"
    return "yaml"


def loads(
    text: str | bytes,
    *,
    path: str | None = None,
    format: Format | None = None,  # noqa: A002  # the natural name, as in json and yaml APIs
    strict: bool = True,
) -> Plan:
    """Read a plan from the text of an OKR file.

    With `strict` (the default) a plan whose ids collide or point nowhere raises `PlanError`
    listing every such problem with its line; `lint` loads with ``strict=False`` and reports
    them as findings instead.
    """
    if isinstance(text, bytes):
        try:
            text = text.decode("utf-8-sig")
        except UnicodeDecodeError as error:
            raise FileFormatError(
                f"not UTF-8 text (byte {error.start}): save the file as UTF-8", Location(path)
            ) from None
    chosen = format or _format_of(path, text)
    data = _read_json(text, path) if chosen == "json" else _read_yaml(text, path)
    reader = _Reader(path)
    plan = reader.plan(data)
    if strict and (problems := plan.problems()):
        raise PlanError(problems, locations=[reader.where(p.pointer) for p in problems])
    return plan


def load(path: str | os.PathLike[str], *, strict: bool = True) -> Plan:
    """Read a plan from an OKR file (``.yaml``, ``.yml`` or ``.json``)."""
    name = os.fspath(path)
    try:
        raw = Path(name).read_bytes()
    except FileNotFoundError:
        raise FileFormatError("no such file", Location(name)) from None
    except IsADirectoryError:
        raise FileFormatError("is a directory, not an OKR file", Location(name)) from None
    except OSError as error:
        raise FileFormatError(f"cannot read: {error.strerror}", Location(name)) from None
    return loads(raw, path=name, strict=strict)


# -- Writing ----------------------------------------------------------------------------------


def _cycle_data(cycle: Cycle) -> Any:
    if cycle.label is not None:
        try:
            if Cycle.parse(cycle.label) == cycle:
                return cycle.label
        except ModelError:
            pass
    data: dict[str, Any] = {"start": cycle.start, "end": cycle.end}
    if cycle.label is not None:
        data["label"] = cycle.label
    return data


def _target_data(key_result: KeyResult) -> dict[str, Any]:
    """The target fields a file needs beside the title to give back this key result."""
    sentence = parse(key_result.title)
    target = key_result.target
    data: dict[str, Any] = {}
    if target is not None and target != sentence.target:
        if target.relative:
            sign = "+" if target.direction is Direction.INCREASE else "-"
            data["target"] = f"{sign}{_number(target.value * 100)}%"
        else:
            data["target"] = target.value
        data["direction"] = target.direction.value
        if target.baseline is not None:
            data["baseline"] = target.baseline
        if target.threshold:
            data["threshold"] = True
    if key_result.metric != sentence.metric and key_result.metric is not None:
        data["metric"] = key_result.metric
    if key_result.unit != sentence.unit and key_result.unit is not None:
        data["unit"] = key_result.unit
    return data


def _number(value: float) -> str:
    return repr(int(value)) if float(value).is_integer() else repr(value)


def _drop_none(data: dict[str, Any]) -> dict[str, Any]:
    return {key: value for key, value in data.items() if value is not None}


def to_data(plan: Plan) -> dict[str, Any]:
    """The plan as plain data in the file format (what `dump` writes)."""
    data: dict[str, Any] = _drop_none({"id": plan.id, "title": plan.title})
    if plan.cycle is not None:
        data["cycle"] = _cycle_data(plan.cycle)
    objectives = []
    for objective in plan.objectives:
        key_results = []
        for kr in objective.key_results:
            entry = {"id": kr.id, "title": kr.title, **_target_data(kr)}
            entry |= _drop_none(
                {
                    "description": kr.description,
                    "owner": kr.owner,
                    "weight": kr.weight if kr.weight != 1.0 else None,
                    "current": kr.current,
                    "source": thaw(kr.source) if kr.source is not None else None,
                }
            )
            key_results.append(entry)
        item = _drop_none(
            {
                "id": objective.id,
                "title": objective.title,
                "description": objective.description,
                "owner": objective.owner,
                "kind": objective.kind.value if objective.kind is not Kind.COMMITTED else None,
                "weight": objective.weight if objective.weight != 1.0 else None,
                "parent": objective.parent,
            }
        )
        if objective.cycle is not None and objective.cycle != plan.cycle:
            item["cycle"] = _cycle_data(objective.cycle)
        item["key_results"] = key_results
        objectives.append(item)
    data["objectives"] = objectives
    if plan.projects:
        data["projects"] = [
            _drop_none(
                {
                    "id": project.id,
                    "title": project.title,
                    "description": project.description,
                    "objective": project.objective,
                    "owner": project.owner,
                    "tasks": [_task_data(task) for task in project.tasks],
                }
            )
            for project in plan.projects
        ]
    if plan.disabled_rules:
        data["lint"] = {"disable": list(plan.disabled_rules)}
    return data


def _task_data(task: Task) -> dict[str, Any]:
    data = _drop_none({"id": task.id, "title": task.title, "owner": task.owner, "due": task.due})
    if task.status is TaskStatus.DONE:
        data["done"] = True
    elif task.status is not TaskStatus.TODO:
        data["status"] = task.status.value
    if task.key_results:
        data["key_results"] = list(task.key_results)
    return data


def _json_default(value: Any) -> Any:
    if isinstance(value, dt.date):
        return value.isoformat()
    raise TypeError(f"cannot write {type(value).__name__} to JSON")


def dumps(plan: Plan, format: Format = "yaml") -> str:  # noqa: A002
    """The plan as the text of an OKR file; `loads` reads it back to an equal plan."""
    data = to_data(plan)
    if format == "json":
        return json.dumps(data, indent=2, ensure_ascii=False, default=_json_default) + "\n"
    import yaml  # noqa: PLC0415

    return yaml.dump(data, Dumper=_yaml_dumper(), sort_keys=False, allow_unicode=True, width=100)


def _yaml_dumper() -> type[yaml.SafeDumper]:
    import yaml  # noqa: PLC0415

    base: type[yaml.SafeDumper] = getattr(yaml, "CSafeDumper", yaml.SafeDumper)

    class Dumper(base):  # type: ignore[valid-type,misc]
        pass

    def represent_float(dumper: yaml.SafeDumper, value: float) -> yaml.ScalarNode:
        # YAML 1.1 (PyYAML) reads 1e-09 as text: a float needs a dot in its mantissa.
        text = repr(value)
        mantissa, e, exponent = text.partition("e")
        if e and "." not in mantissa:
            text = f"{mantissa}.0e{exponent}"
        return dumper.represent_scalar("tag:yaml.org,2002:float", text)

    Dumper.add_representer(float, represent_float)
    return Dumper


def dump(plan: Plan, path: str | os.PathLike[str], format: Format | None = None) -> None:  # noqa: A002
    """Write the plan to an OKR file, YAML or JSON by the file's extension."""
    name = os.fspath(path)
    chosen = format or ("json" if name.lower().endswith(".json") else "yaml")
    Path(name).write_text(dumps(plan, chosen), encoding="utf-8")
