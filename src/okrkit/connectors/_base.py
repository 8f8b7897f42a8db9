"""What a connector is: the classes a connector author writes against."""

from __future__ import annotations

import inspect
import logging
import math
import threading
from collections.abc import Callable, Mapping, Sequence
from pathlib import Path
from typing import TYPE_CHECKING, Any, ClassVar, Literal, TypeVar

import attrs

from okrkit.errors import ConnectorError, TerminalError
from okrkit.secrets import Redactor

if TYPE_CHECKING:
    import datetime as dt

    from okrkit.connectors._http import HttpClient
    from okrkit.policy import Policy

__all__ = ["Connector", "Context", "Query", "Reading", "Window", "connector"]

_F = TypeVar("_F", bound=Callable[..., Any])


@attrs.frozen
class Window:
    """The span of time a query asks about: `since` (None: from the beginning) to `until`."""

    since: dt.datetime | None
    until: dt.datetime

    @property
    def duration(self) -> dt.timedelta | None:
        return None if self.since is None else self.until - self.since


@attrs.frozen
class Query:
    """One key result's question to a connector.

    `settings` is an instance of the connector's `Settings` class, validated before any call
    (or a read-only mapping when the connector declares no `Settings`), with `${VAR}` secrets
    already resolved. `window` is the time span the value should cover: for "mentions in the last
    7 days" it is the 7 days before `at`; for a baseline, the span before the cycle began.
    """

    key_result: str
    settings: Any
    window: Window
    at: dt.datetime
    plan: str = ""
    purpose: Literal["value", "baseline", "start"] = "value"


def _finite(_instance: Any, _attribute: Any, value: Any) -> None:
    try:
        finite = not isinstance(value, bool) and math.isfinite(value)
    except (TypeError, OverflowError):  # not a number, or an integer no float can hold
        finite = False
    if not finite:
        shown = repr(value) if len(repr(value)) <= 40 else f"{repr(value)[:37]}..."
        raise TerminalError(f"the source answered {shown}, which is not a finite number")


@attrs.frozen
class Reading:
    """A connector's answer for one query: the value, when it was true, and the raw evidence.

    `raw` is kept with the measurement as provenance (JSON-ready data; secrets are redacted
    before it is stored). `note` says anything a reader should know ("counted the first 1,000
    posts only").
    """

    value: float = attrs.field(validator=_finite)
    observed_at: dt.datetime | None = None
    raw: Any = None
    note: str | None = None


@attrs.define
class Context:
    """What the runner lends a connector for one refresh: HTTP, logging, redaction, accounting.

    `policy` is the operator's `okrkit.policy.Policy` (None: everything allowed); `http` and
    `path` apply it, and a connector that reaches a source another way checks with it.
    """

    redactor: Redactor = attrs.field(factory=Redactor)
    timeout: float = 10.0
    base_dir: Path | None = None  # the OKR file's folder: relative paths in settings start here
    http_factory: Callable[[], HttpClient] | None = None
    logger: logging.Logger = attrs.field(factory=lambda: logging.getLogger("okrkit.connectors"))
    policy: Policy | None = None
    _http: HttpClient | None = attrs.field(default=None, init=False)
    _costs: dict[str, float] = attrs.field(factory=dict, init=False)
    _lock: threading.Lock = attrs.field(factory=threading.Lock, init=False)

    @property
    def http(self) -> HttpClient:
        """An HTTP client with the run's timeouts, per-host rate limits and error mapping."""
        with self._lock:
            if self._http is None:
                if self.http_factory is not None:
                    self._http = self.http_factory()
                else:
                    from okrkit.connectors._http import HttpClient  # noqa: PLC0415

                    self._http = HttpClient(
                        timeout=self.timeout, redactor=self.redactor, policy=self.policy
                    )
            return self._http

    def path(self, name: str) -> Path:
        """A path from settings, relative to the OKR file's folder when it is not absolute.

        ``~`` is the home folder, unless the policy refuses it (`PolicyError`)."""
        if self.policy is not None:
            self.policy.check_home(name)
        path = Path(name).expanduser()
        if not path.is_absolute() and self.base_dir is not None:
            path = self.base_dir / path
        return path

    def spend(self, unit: str, amount: float = 1) -> None:
        """Account for quota a call used (``spend("youtube.units", 1)``); the run reports it."""
        with self._lock:
            self._costs[unit] = self._costs.get(unit, 0) + amount

    @property
    def costs(self) -> dict[str, float]:
        with self._lock:
            return dict(self._costs)

    def close(self) -> None:
        if self._http is not None:
            self._http.close()


class Connector:
    """The base of every connector. Subclass it for a batch source, or use `@connector`.

    - `name`: what a key result's ``source: {connector: NAME}`` says;
    - `Settings`: an attrs class of the settings it takes (validated before any call);
    - `summary`: one line for ``okrkit connectors``;
    - `windowed`: True if it can count or sum over a time window (``window: 7d``);
    - `batch`: True if `fetch` should get all of a run's queries at once. False lets the runner
      spread the queries over its threads, one call each.

    `fetch` returns one item per query, in order: a `Reading`, a plain number, or a
    `ConnectorError` for a query that failed on its own. Raising instead fails the whole batch:
    a `TransientError` is retried, anything else is not.
    """

    name: ClassVar[str] = ""
    Settings: ClassVar[type | None] = None
    summary: ClassVar[str] = ""
    windowed: ClassVar[bool] = False
    batch: ClassVar[bool] = True

    def fetch(
        self, queries: Sequence[Query], context: Context
    ) -> Sequence[Reading | float | ConnectorError]:
        """All of a run's queries at once. By default, `fetch_one` for each, a
        `ConnectorError` raised for one query standing in for its answer alone."""
        results: list[Reading | float | ConnectorError] = []
        for query in queries:
            try:
                results.append(self.fetch_one(query, context))
            except ConnectorError as error:
                results.append(error)
        return results

    def fetch_one(self, query: Query, context: Context) -> Reading | float:
        """One query's answer, for a connector that asks its source once per key result."""
        raise NotImplementedError(
            f"connector {self.name!r} implements neither fetch() nor fetch_one()"
        )

    def close(self) -> None:
        """Release what the connector holds (sessions, connections). Called once per run."""


class FunctionConnector(Connector):
    """A connector made from a plain function by `@connector`: one query in, one value out."""

    batch = False
    function: ClassVar[Callable[..., Any]]
    wants_context: ClassVar[bool] = False

    def fetch(
        self, queries: Sequence[Query], context: Context
    ) -> Sequence[Reading | float | ConnectorError]:
        results: list[Reading | float | ConnectorError] = []
        for query in queries:
            function = type(self).function
            value = function(query, context) if self.wants_context else function(query)
            results.append(value)
        return results


def connector(
    name: str,
    *,
    settings: type | None = None,
    summary: str | None = None,
    windowed: bool = False,
) -> Callable[[_F], _F]:
    """Make a connector from a function ``f(query)`` or ``f(query, context)``.

    The function returns a number or a `Reading`, or raises a `ConnectorError`. It stays a
    plain function (call it in your tests); register it under the ``okrkit.connectors`` entry
    point like a class.
    """

    def wrap(function: _F) -> _F:
        parameters = inspect.signature(function).parameters
        line = summary or (inspect.getdoc(function) or "").strip().splitlines()[:1]
        made = type(
            f"{function.__name__}_connector",
            (FunctionConnector,),
            {
                "name": name,
                "Settings": settings,
                "summary": line if isinstance(line, str) else (line[0] if line else ""),
                "windowed": windowed,
                "function": staticmethod(function),
                "wants_context": len(parameters) >= 2,
                "__module__": function.__module__,
                "__doc__": function.__doc__,
            },
        )
        function.__okrkit_connector__ = made  # type: ignore[attr-defined]
        return function

    return wrap


def connector_class(value: Any) -> type[Connector] | None:
    """The Connector class behind an entry point's object, or None if it is not one."""
    made = getattr(value, "__okrkit_connector__", None)
    if made is not None:
        return made  # type: ignore[no-any-return]
    if isinstance(value, type) and issubclass(value, Connector):
        return value
    if isinstance(value, Connector):
        return type(value)
    return None


def settings_of(connector_type: type[Connector]) -> list[dict[str, Any]]:
    """The settings a connector takes: name, type, whether required, default, and help."""
    settings_class = connector_type.Settings
    if settings_class is None or not attrs.has(settings_class):
        return []
    described = []
    for field in attrs.fields(settings_class):
        required = field.default is attrs.NOTHING
        default = None
        if not required:
            value: Any = field.default
            default = value.factory() if isinstance(value, attrs.Factory) else value  # type: ignore[arg-type]
        described.append(
            {
                "name": field.alias or field.name,
                "type": _type_name(field.type),
                "required": required,
                "default": default,
                "help": field.metadata.get("help", ""),
            }
        )
    return described


def _type_name(annotation: Any) -> str:
    """A readable type: ``str``, ``dict[str, str]``, ``Literal['GET', 'POST']``."""
    if isinstance(annotation, str):
        return annotation
    if isinstance(annotation, type) and not getattr(annotation, "__args__", None):
        return annotation.__name__
    return str(annotation).replace("typing.", "")


def as_reading(value: Any) -> Reading:
    if isinstance(value, Reading):
        return value
    if isinstance(value, Mapping):
        raise TerminalError("the connector returned a mapping, not a number or a Reading")
    return Reading(value)


def check_results(
    connector_type: type[Connector], queries: Sequence[Query], results: Any
) -> list[Reading | ConnectorError]:
    """A connector's answers, checked: one per query, each a Reading or a ConnectorError."""
    if not isinstance(results, Sequence) or isinstance(results, str | bytes):
        raise TerminalError(
            f"connector {connector_type.name!r} returned {type(results).__name__} from fetch(); "
            "it must return a list with one item per query"
        )
    if len(results) != len(queries):
        raise TerminalError(
            f"connector {connector_type.name!r} returned {len(results)} results for "
            f"{len(queries)} queries; it must return exactly one per query, in order"
        )
    checked: list[Reading | ConnectorError] = []
    for item in results:
        if isinstance(item, ConnectorError):
            checked.append(item)
            continue
        try:
            checked.append(as_reading(item))
        except ConnectorError as error:
            checked.append(error)
    return checked
