"""The OKR model: immutable attrs classes, validated on construction.

A `Plan` holds a `Cycle`, `Objective`s with their `KeyResult`s, and `Project`s whose `Task`s are
the actions meant to move those key results. `Measurement`s and `CheckIn`s are the values and
judgements recorded over time. Nothing here does I/O or reads the clock.
"""

from __future__ import annotations

import calendar
import datetime as dt
import enum
import math
import re
from collections.abc import Iterator, Mapping, Sequence
from types import MappingProxyType
from typing import Any, TypeVar

import attrs

from okrkit.errors import ModelError, Problem, UnknownIdError

__all__ = [
    "CheckIn",
    "Cycle",
    "Direction",
    "KeyResult",
    "Kind",
    "Measurement",
    "Objective",
    "Plan",
    "Project",
    "SourceMap",
    "Target",
    "Task",
    "TaskStatus",
]

_ID = re.compile(r"^[A-Za-z0-9][A-Za-z0-9_.\-]*$")
_T = TypeVar("_T")


class Direction(enum.StrEnum):
    """Which way a key result's value should go.

    `INCREASE` and `DECREASE` ask for change from a baseline ("grow MRR from $20k to $35k",
    "reduce churn to 2%"); `AT_LEAST` and `AT_MOST` ask for a level ("views over 100k",
    "latency at most 300ms"). With ``Target.threshold`` set, `AT_LEAST`/`AT_MOST` mean *stay*
    above/below: met or not at each measurement.
    """

    INCREASE = "increase"
    DECREASE = "decrease"
    AT_LEAST = "at_least"
    AT_MOST = "at_most"

    @property
    def higher_is_better(self) -> bool:
        return self in (Direction.INCREASE, Direction.AT_LEAST)


class Kind(enum.StrEnum):
    """Committed objectives are expected to reach 1.0; aspirational ones about 0.7."""

    COMMITTED = "committed"
    ASPIRATIONAL = "aspirational"

    @property
    def expected_score(self) -> float:
        return 1.0 if self is Kind.COMMITTED else 0.7


class TaskStatus(enum.StrEnum):
    TODO = "todo"
    DOING = "doing"
    DONE = "done"
    DROPPED = "dropped"


def _owner_of(kind: str, instance: Any) -> str:
    identifier = getattr(instance, "id", None)
    return f"{kind} {identifier!r}" if identifier else kind


def _fail(instance: Any, field: str, message: str) -> ModelError:
    kind = type(instance).__name__
    readable = re.sub(r"(?<!^)(?=[A-Z])", " ", kind).lower()
    return ModelError(message, field=field, owner=_owner_of(readable, instance))


def _check_id(instance: Any, attribute: attrs.Attribute[Any], value: Any) -> None:
    if not isinstance(value, str) or not _ID.match(value):
        raise _fail(
            instance,
            attribute.name,
            f"{value!r} is not a valid id: use letters, digits, '-', '_' or '.', "
            "starting with a letter or digit",
        )


def _check_optional_id(instance: Any, attribute: attrs.Attribute[Any], value: Any) -> None:
    if value is not None:
        _check_id(instance, attribute, value)


def _check_text(instance: Any, attribute: attrs.Attribute[Any], value: Any) -> None:
    if not isinstance(value, str) or not value.strip():
        raise _fail(instance, attribute.name, f"must be non-empty text, got {value!r}")


def _check_optional_text(instance: Any, attribute: attrs.Attribute[Any], value: Any) -> None:
    if value is not None and not isinstance(value, str):
        raise _fail(instance, attribute.name, f"must be text, got {type(value).__name__}")


def _is_number(value: Any) -> bool:
    return isinstance(value, int | float) and not isinstance(value, bool)


def _check_number(instance: Any, attribute: attrs.Attribute[Any], value: Any) -> None:
    if not _is_number(value) or not math.isfinite(value):
        raise _fail(instance, attribute.name, f"must be a finite number, got {value!r}")


def _check_optional_number(instance: Any, attribute: attrs.Attribute[Any], value: Any) -> None:
    if value is not None:
        _check_number(instance, attribute, value)


def _check_weight(instance: Any, attribute: attrs.Attribute[Any], value: Any) -> None:
    _check_number(instance, attribute, value)
    if value < 0:
        raise _fail(instance, attribute.name, f"must be zero or more, got {value!r}")


def _check_unit_interval(instance: Any, attribute: attrs.Attribute[Any], value: Any) -> None:
    if value is None:
        return
    _check_number(instance, attribute, value)
    if not 0 <= value <= 1:
        raise _fail(instance, attribute.name, f"must be between 0 and 1, got {value!r}")


def _check_aware(instance: Any, attribute: attrs.Attribute[Any], value: Any) -> None:
    if not isinstance(value, dt.datetime):
        raise _fail(instance, attribute.name, f"must be a datetime, got {value!r}")
    if value.tzinfo is None or value.utcoffset() is None:
        raise _fail(instance, attribute.name, "must carry a time zone (use datetime.UTC)")


def _coerce(enum_type: type[enum.StrEnum], value: Any) -> Any:
    if isinstance(value, enum_type):
        return value
    try:
        return enum_type(value)
    except ValueError:
        return value  # the validator names the field and the choices


def _to_direction(value: Any) -> Any:
    return _coerce(Direction, value)


def _to_kind(value: Any) -> Any:
    return _coerce(Kind, value)


def _to_task_status(value: Any) -> Any:
    return _coerce(TaskStatus, value)


def _check_enum(enum_type: type[enum.StrEnum]) -> Any:
    def check(instance: Any, attribute: attrs.Attribute[Any], value: Any) -> None:
        if not isinstance(value, enum_type):
            choices = ", ".join(member.value for member in enum_type)
            raise _fail(instance, attribute.name, f"must be one of {choices}; got {value!r}")

    return check


def _tuple_of(item_type: type[_T]) -> Any:
    def check(instance: Any, attribute: attrs.Attribute[Any], value: Any) -> None:
        for item in value:
            if not isinstance(item, item_type):
                raise _fail(
                    instance,
                    attribute.name,
                    f"must hold {item_type.__name__} items, got {type(item).__name__}",
                )

    return check


def _to_tuple(value: Any) -> Any:
    """Lists become tuples; anything else is left for the validator to report."""
    if isinstance(value, str | bytes) or not isinstance(value, Sequence | Iterator | tuple):
        return value
    return tuple(value)


# -- Cycle ---------------------------------------------------------------------------------

_QUARTER = re.compile(r"^(\d{4})-?Q([1-4])$", re.IGNORECASE)
_HALF = re.compile(r"^(\d{4})-?H([12])$", re.IGNORECASE)
_YEAR = re.compile(r"^(\d{4})$")
_MONTH = re.compile(r"^(\d{4})-(\d{2})$")


def _month_end(year: int, month: int) -> dt.date:
    return dt.date(year, month, calendar.monthrange(year, month)[1])


def _check_date(instance: Any, attribute: attrs.Attribute[Any], value: Any) -> None:
    if not isinstance(value, dt.date) or isinstance(value, dt.datetime):
        raise _fail(instance, attribute.name, f"must be a date, got {value!r}")


@attrs.frozen
class Cycle:
    """The time box of an OKR: from `start` to `end`, both days included."""

    start: dt.date = attrs.field(validator=_check_date)
    end: dt.date = attrs.field(validator=_check_date)
    label: str | None = attrs.field(default=None, validator=_check_optional_text, eq=False)

    def __attrs_post_init__(self) -> None:
        if self.end < self.start:
            raise ModelError(
                f"ends ({self.end}) before it starts ({self.start})", field="end", owner="cycle"
            )

    @classmethod
    def parse(cls, text: str) -> Cycle:
        """Read ``2026-Q3``, ``2026-H1``, ``2026``, ``2026-07`` or ``2026-07-01..2026-09-30``."""
        if not isinstance(text, str):
            raise ModelError(f"expected text such as '2026-Q3', got {text!r}", owner="cycle")
        value = text.strip()
        if match := _QUARTER.match(value):
            year, quarter = int(match[1]), int(match[2])
            first = 3 * quarter - 2
            return cls(dt.date(year, first, 1), _month_end(year, first + 2), f"{year}-Q{quarter}")
        if match := _HALF.match(value):
            year, half = int(match[1]), int(match[2])
            first = 6 * half - 5
            return cls(dt.date(year, first, 1), _month_end(year, first + 5), f"{year}-H{half}")
        if match := _YEAR.match(value):
            year = int(match[1])
            return cls(dt.date(year, 1, 1), dt.date(year, 12, 31), str(year))
        if match := _MONTH.match(value):
            year, month = int(match[1]), int(match[2])
            if 1 <= month <= 12:
                return cls(dt.date(year, month, 1), _month_end(year, month), value)
        if ".." in value:
            first_day, _, last_day = value.partition("..")
            try:
                return cls(
                    dt.date.fromisoformat(first_day.strip()),
                    dt.date.fromisoformat(last_day.strip()),
                )
            except ValueError:
                pass
        raise ModelError(
            f"cannot read {text!r}: write a quarter (2026-Q3), a half (2026-H1), a year (2026), "
            "a month (2026-07) or start..end dates (2026-07-01..2026-09-30)",
            owner="cycle",
        )

    @property
    def days(self) -> int:
        return (self.end - self.start).days + 1

    @property
    def starts_at(self) -> dt.datetime:
        """The first instant of the cycle, UTC."""
        return dt.datetime.combine(self.start, dt.time(), dt.UTC)

    @property
    def ends_at(self) -> dt.datetime:
        """The instant after the cycle's last day, UTC."""
        return dt.datetime.combine(self.end + dt.timedelta(days=1), dt.time(), dt.UTC)

    def elapsed(self, at: dt.datetime) -> float:
        """The fraction of the cycle that has passed at `at`, from 0.0 to 1.0."""
        moment = at if at.tzinfo else at.replace(tzinfo=dt.UTC)
        span = (self.ends_at - self.starts_at).total_seconds()
        passed = (moment - self.starts_at).total_seconds()
        return min(1.0, max(0.0, passed / span))

    def __str__(self) -> str:
        return self.label or f"{self.start.isoformat()}..{self.end.isoformat()}"


# -- Target -------------------------------------------------------------------------------


@attrs.frozen
class Target:
    """Where a key result should end up.

    `value` is the goal in the metric's unit, or, when `relative` is true, the fraction of change
    asked for ("up by 40%" is ``value=0.4``) that resolves against `baseline` once it is known.
    `baseline` is the value at the start. `threshold` marks a level to stay on the right side of
    at each measurement ("keep uptime above 99.9%") rather than one to reach.
    """

    value: float = attrs.field(validator=_check_number)
    direction: Direction = attrs.field(converter=_to_direction, validator=_check_enum(Direction))
    baseline: float | None = attrs.field(default=None, validator=_check_optional_number)
    relative: bool = attrs.field(default=False, validator=attrs.validators.instance_of(bool))
    threshold: bool = attrs.field(default=False, validator=attrs.validators.instance_of(bool))

    def __attrs_post_init__(self) -> None:
        if self.relative and self.direction not in (Direction.INCREASE, Direction.DECREASE):
            raise ModelError(
                "a relative target (up or down by a share) must go in direction increase or "
                f"decrease, not {self.direction.value}",
                field="relative",
                owner="target",
            )
        if self.relative and self.value <= 0:
            raise ModelError(
                f"a relative change must be more than zero, got {self.value!r}",
                field="value",
                owner="target",
            )
        if self.threshold and self.direction not in (Direction.AT_LEAST, Direction.AT_MOST):
            raise ModelError(
                "a threshold (stay above or below) must go in direction at_least or at_most, "
                f"not {self.direction.value}",
                field="threshold",
                owner="target",
            )

    def goal(self, baseline: float | None = None) -> float | None:
        """The absolute value to reach, or None while a relative target has no baseline."""
        if not self.relative:
            return self.value
        base = self.baseline if self.baseline is not None else baseline
        if base is None:
            return None
        change = abs(base) * self.value
        return base + change if self.direction is Direction.INCREASE else base - change

    def resolve(self, baseline: float) -> Target:
        """This target with the baseline set and a relative goal turned into an absolute one."""
        base = self.baseline if self.baseline is not None else baseline
        goal = self.goal(base)
        assert goal is not None  # noqa: S101  # base is set on both paths
        return attrs.evolve(self, value=goal, baseline=base, relative=False)

    def met(self, value: float, baseline: float | None = None) -> bool | None:
        """Whether `value` satisfies the goal (None while the goal is unknown)."""
        goal = self.goal(baseline)
        if goal is None:
            return None
        return value >= goal if self.direction.higher_is_better else value <= goal


# -- Key results, objectives, projects ---------------------------------------------------


def _freeze(value: Any) -> Any:
    if isinstance(value, Mapping):
        return MappingProxyType({str(key): _freeze(item) for key, item in value.items()})
    if isinstance(value, list | tuple):
        return tuple(_freeze(item) for item in value)
    return value


def thaw(value: Any) -> Any:
    """Plain, mutable copies of frozen settings: dicts and lists again."""
    if isinstance(value, Mapping):
        return {str(key): thaw(item) for key, item in value.items()}
    if isinstance(value, tuple | list):
        return [thaw(item) for item in value]
    return value


def _plain_data(value: Any, path: str) -> str | None:
    """Where `value` stops being plain data (str, number, bool, None, list, mapping)."""
    if value is None or isinstance(value, str | bool | int | float):
        if isinstance(value, float) and not math.isfinite(value):
            return path
        return None
    if isinstance(value, Mapping):
        for key, item in value.items():
            if not isinstance(key, str):
                return f"{path}.{key!r}"
            if (where := _plain_data(item, f"{path}.{key}")) is not None:
                return where
        return None
    if isinstance(value, tuple | list):
        for index, item in enumerate(value):
            if (where := _plain_data(item, f"{path}[{index}]")) is not None:
                return where
        return None
    return path


def _convert_source(value: Any) -> Any:
    if value is None or not isinstance(value, Mapping):
        return value
    return _freeze(value)


def _check_source(instance: Any, attribute: attrs.Attribute[Any], value: Any) -> None:
    if value is None:
        return
    if not isinstance(value, Mapping):
        raise _fail(instance, attribute.name, f"must be a mapping of settings, got {value!r}")
    connector = value.get("connector")
    if not isinstance(connector, str) or not connector.strip():
        raise _fail(
            instance, attribute.name, "needs a 'connector' naming where the value comes from"
        )
    if (where := _plain_data(value, "source")) is not None:
        raise _fail(
            instance,
            attribute.name,
            f"{where} is not plain data (text, numbers, true/false, lists and mappings only)",
        )


@attrs.frozen
class KeyResult:
    """A measurable outcome: what value shows the objective is met, and how much of it."""

    id: str = attrs.field(validator=_check_id)
    title: str = attrs.field(validator=_check_text)
    target: Target | None = attrs.field(
        default=None, validator=attrs.validators.optional(attrs.validators.instance_of(Target))
    )
    metric: str | None = attrs.field(default=None, validator=_check_optional_text)
    unit: str | None = attrs.field(default=None, validator=_check_optional_text)
    weight: float = attrs.field(default=1.0, validator=_check_weight)
    owner: str | None = attrs.field(default=None, validator=_check_optional_text)
    description: str | None = attrs.field(default=None, validator=_check_optional_text)
    source: Mapping[str, Any] | None = attrs.field(
        default=None, converter=_convert_source, validator=_check_source
    )
    current: float | None = attrs.field(default=None, validator=_check_optional_number)


@attrs.frozen
class Objective:
    """An ambitious, time-bound, qualitative goal, measured by three to five key results."""

    id: str = attrs.field(validator=_check_id)
    title: str = attrs.field(validator=_check_text)
    key_results: tuple[KeyResult, ...] = attrs.field(
        default=(), converter=_to_tuple, validator=_tuple_of(KeyResult)
    )
    description: str | None = attrs.field(default=None, validator=_check_optional_text)
    owner: str | None = attrs.field(default=None, validator=_check_optional_text)
    cycle: Cycle | None = attrs.field(
        default=None, validator=attrs.validators.optional(attrs.validators.instance_of(Cycle))
    )
    kind: Kind = attrs.field(
        default=Kind.COMMITTED, converter=_to_kind, validator=_check_enum(Kind)
    )
    weight: float = attrs.field(default=1.0, validator=_check_weight)
    parent: str | None = attrs.field(default=None, validator=_check_optional_id)


def _check_date_or_none(instance: Any, attribute: attrs.Attribute[Any], value: Any) -> None:
    if value is not None:
        _check_date(instance, attribute, value)


def _check_ids(instance: Any, attribute: attrs.Attribute[Any], value: Any) -> None:
    if not isinstance(value, tuple):
        raise _fail(instance, attribute.name, f"must be a list of ids, got {value!r}")
    for item in value:
        _check_id(instance, attribute, item)


@attrs.frozen
class Task:
    """An action in a project. Done tasks are activity, not results."""

    title: str = attrs.field(validator=_check_text)
    status: TaskStatus = attrs.field(
        default=TaskStatus.TODO,
        converter=_to_task_status,
        validator=_check_enum(TaskStatus),
    )
    owner: str | None = attrs.field(default=None, validator=_check_optional_text)
    due: dt.date | None = attrs.field(default=None, validator=_check_date_or_none)
    key_results: tuple[str, ...] = attrs.field(
        default=(), converter=_to_tuple, validator=_check_ids
    )
    id: str | None = attrs.field(default=None, validator=_check_optional_id)

    @property
    def done(self) -> bool:
        return self.status is TaskStatus.DONE


@attrs.frozen
class Project:
    """Work that serves an objective, broken into tasks."""

    id: str = attrs.field(validator=_check_id)
    title: str = attrs.field(validator=_check_text)
    objective: str | None = attrs.field(default=None, validator=_check_optional_id)
    tasks: tuple[Task, ...] = attrs.field(
        default=(), converter=_to_tuple, validator=_tuple_of(Task)
    )
    owner: str | None = attrs.field(default=None, validator=_check_optional_text)
    description: str | None = attrs.field(default=None, validator=_check_optional_text)


# -- Values over time ----------------------------------------------------------------------


@attrs.frozen
class Measurement:
    """A value of a key result observed at a moment, with where it came from."""

    key_result: str = attrs.field(validator=_check_id)
    value: float = attrs.field(validator=_check_number)
    observed_at: dt.datetime = attrs.field(validator=_check_aware)
    source: str | None = attrs.field(default=None, validator=_check_optional_text)


@attrs.frozen
class CheckIn:
    """A person's update on a key result: a value, a confidence (0..1), or both, and a note."""

    key_result: str = attrs.field(validator=_check_id)
    at: dt.datetime = attrs.field(validator=_check_aware)
    value: float | None = attrs.field(default=None, validator=_check_optional_number)
    confidence: float | None = attrs.field(default=None, validator=_check_unit_interval)
    note: str | None = attrs.field(default=None, validator=_check_optional_text)
    author: str | None = attrs.field(default=None, validator=_check_optional_text)

    def __attrs_post_init__(self) -> None:
        if self.value is None and self.confidence is None:
            raise ModelError(
                "needs a value, a confidence, or both", field="value", owner="check-in"
            )


# -- The plan ------------------------------------------------------------------------------


_NOWHERE: Any = object()  # what a pointer without a position maps to


@attrs.frozen
class SourceMap:
    """Where each part of a plan was written: JSON pointers to (line, column), 1-based.

    `positions` can be any mapping. A plan read from a file carries one that works a pointer's
    position out when asked, since a large file has hundreds of thousands and few are ever
    needed; ``dict(source_map.positions)`` writes them all out.
    """

    path: str | None
    positions: Mapping[str, tuple[int, int]] = attrs.field(factory=dict)

    def position(self, pointer: str) -> tuple[int, int] | None:
        """The position of `pointer`, or of its nearest enclosing part that has one."""
        positions = self.positions
        while True:
            found: tuple[int, int] | None = positions.get(pointer, _NOWHERE)
            if found is not _NOWHERE:
                return found
            if not pointer:
                return None
            pointer = pointer.rpartition("/")[0]


@attrs.frozen
class _PlanIndex:
    """Lookups by id, built once per plan so that large plans stay fast to query."""

    objectives: dict[str, Objective]
    key_results: dict[str, tuple[Objective, KeyResult]]
    projects: dict[str, Project]
    tasks: dict[str, tuple[Task, ...]]

    @classmethod
    def of(cls, plan: Plan) -> _PlanIndex:
        objectives: dict[str, Objective] = {}
        key_results: dict[str, tuple[Objective, KeyResult]] = {}
        for objective in plan.objectives:
            objectives.setdefault(objective.id, objective)
            for key_result in objective.key_results:
                key_results.setdefault(key_result.id, (objective, key_result))
        projects: dict[str, Project] = {}
        tasks: dict[str, list[Task]] = {}
        for project in plan.projects:
            projects.setdefault(project.id, project)
            for task in project.tasks:
                for reference in dict.fromkeys(task.key_results):
                    tasks.setdefault(reference, []).append(task)
        return cls(
            objectives, key_results, projects, {key: tuple(found) for key, found in tasks.items()}
        )


@attrs.frozen
class Plan:
    """A cycle's OKRs: objectives with key results, and the projects that serve them."""

    objectives: tuple[Objective, ...] = attrs.field(
        default=(), converter=_to_tuple, validator=_tuple_of(Objective)
    )
    projects: tuple[Project, ...] = attrs.field(
        default=(), converter=_to_tuple, validator=_tuple_of(Project)
    )
    cycle: Cycle | None = attrs.field(
        default=None, validator=attrs.validators.optional(attrs.validators.instance_of(Cycle))
    )
    title: str | None = attrs.field(default=None, validator=_check_optional_text)
    disabled_rules: tuple[str, ...] = attrs.field(default=(), converter=_to_tuple)
    id: str | None = attrs.field(default=None, validator=_check_optional_id)
    source_map: SourceMap | None = attrs.field(default=None, eq=False, repr=False)

    _index: _PlanIndex = attrs.field(init=False, eq=False, repr=False)

    def __attrs_post_init__(self) -> None:
        object.__setattr__(self, "_index", _PlanIndex.of(self))

    # Lookups by id (first one wins where ids collide; problems() reports the collision) ----

    def objective(self, objective_id: str) -> Objective:
        try:
            return self._index.objectives[objective_id]
        except KeyError:
            raise UnknownIdError("objective", objective_id, self._index.objectives) from None

    def key_result(self, key_result_id: str) -> KeyResult:
        try:
            return self._index.key_results[key_result_id][1]
        except KeyError:
            raise UnknownIdError("key result", key_result_id, self._index.key_results) from None

    def project(self, project_id: str) -> Project:
        try:
            return self._index.projects[project_id]
        except KeyError:
            raise UnknownIdError("project", project_id, self._index.projects) from None

    def objective_of(self, key_result_id: str) -> Objective:
        """The objective a key result belongs to."""
        try:
            return self._index.key_results[key_result_id][0]
        except KeyError:
            raise UnknownIdError("key result", key_result_id, self._index.key_results) from None

    def key_results(self) -> Iterator[KeyResult]:
        for objective in self.objectives:
            yield from objective.key_results

    def tasks_for(self, key_result_id: str) -> tuple[Task, ...]:
        """Every task, in any project, meant to move the key result."""
        return self._index.tasks.get(key_result_id, ())

    def with_baselines(self, baselines: Mapping[str, float]) -> Plan:
        """This plan with each relative target that has no baseline given one from `baselines`
        (key result id to value), as a refresh measures and stores them."""
        changed = False
        objectives = []
        for objective in self.objectives:
            key_results = []
            for key_result in objective.key_results:
                target = key_result.target
                if (
                    target is not None
                    and target.relative
                    and target.baseline is None
                    and key_result.id in baselines
                ):
                    target = attrs.evolve(target, baseline=baselines[key_result.id])
                    key_result = attrs.evolve(key_result, target=target)  # noqa: PLW2901
                    changed = True
                key_results.append(key_result)
            objectives.append(attrs.evolve(objective, key_results=key_results))
        if not changed:
            return self
        return attrs.evolve(self, objectives=objectives, source_map=self.source_map)

    def cycle_of(self, objective: Objective) -> Cycle | None:
        return objective.cycle or self.cycle

    # Cross-references -------------------------------------------------------------------

    def problems(self) -> list[Problem]:
        """Duplicate ids and references to ids the plan does not have, in document order."""
        problems: list[Problem] = []
        objective_ids: dict[str, str] = {}
        key_result_ids: dict[str, str] = {}
        for i, objective in enumerate(self.objectives):
            pointer = f"/objectives/{i}"
            if objective.id in objective_ids:
                problems.append(
                    Problem(
                        "duplicate-id",
                        f"objective id {objective.id!r} is used twice "
                        f"(first at {objective_ids[objective.id]})",
                        f"{pointer}/id",
                        objective=objective.id,
                    )
                )
            else:
                objective_ids[objective.id] = pointer
            for j, key_result in enumerate(objective.key_results):
                kr_pointer = f"{pointer}/key_results/{j}"
                if key_result.id in key_result_ids:
                    problems.append(
                        Problem(
                            "duplicate-id",
                            f"key result id {key_result.id!r} is used twice "
                            f"(first at {key_result_ids[key_result.id]}); key result ids are "
                            "unique across the plan",
                            f"{kr_pointer}/id",
                            objective=objective.id,
                            key_result=key_result.id,
                        )
                    )
                else:
                    key_result_ids[key_result.id] = kr_pointer
        for i, objective in enumerate(self.objectives):
            if objective.parent is not None and objective.parent not in objective_ids:
                problems.append(
                    Problem(
                        "unknown-reference",
                        f"objective {objective.id!r} aligns to parent {objective.parent!r}, "
                        "which is not an objective in this plan",
                        f"/objectives/{i}/parent",
                        objective=objective.id,
                    )
                )
            elif objective.parent == objective.id:
                problems.append(
                    Problem(
                        "unknown-reference",
                        f"objective {objective.id!r} names itself as its parent",
                        f"/objectives/{i}/parent",
                        objective=objective.id,
                    )
                )
        project_ids: dict[str, str] = {}
        for i, project in enumerate(self.projects):
            pointer = f"/projects/{i}"
            if project.id in project_ids:
                problems.append(
                    Problem(
                        "duplicate-id",
                        f"project id {project.id!r} is used twice "
                        f"(first at {project_ids[project.id]})",
                        f"{pointer}/id",
                    )
                )
            else:
                project_ids[project.id] = pointer
            if project.objective is not None and project.objective not in objective_ids:
                problems.append(
                    Problem(
                        "unknown-reference",
                        f"project {project.id!r} serves objective {project.objective!r}, "
                        "which is not in this plan",
                        f"{pointer}/objective",
                        objective=project.objective,
                    )
                )
            for j, task in enumerate(project.tasks):
                for k, reference in enumerate(task.key_results):
                    if reference not in key_result_ids:
                        problems.append(
                            Problem(
                                "unknown-reference",
                                f"task {task.title!r} in project {project.id!r} points at key "
                                f"result {reference!r}, which is not in this plan",
                                f"{pointer}/tasks/{j}/key_results/{k}",
                                key_result=reference,
                            )
                        )
        return problems
