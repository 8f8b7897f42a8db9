"""The connector registry: lazy entry points, plugin problems, narrowing, and what it describes.

Also the connector-definition helpers it relies on: `@connector`, `connector_class`,
`settings_of`, `check_results` and the `Context` a connector is lent.
"""

import datetime as dt
import importlib.metadata
import math
import threading
from collections.abc import Callable
from pathlib import Path
from typing import Any, Literal

import attrs
import pytest

from okrkit.connectors import (
    ENTRY_POINT_GROUP,
    ENV_VAR,
    Connector,
    ConnectorInfo,
    Context,
    PluginProblem,
    Query,
    Reading,
    Registry,
    Window,
    connector,
)
from okrkit.connectors._base import check_results, connector_class, settings_of
from okrkit.errors import (
    ConnectorError,
    TerminalError,
    TransientError,
    UnknownConnectorError,
)


@attrs.define
class FakeDistribution:
    name: str
    version: str

    @property
    def metadata(self) -> dict[str, str]:
        return {"Name": self.name}


@attrs.define
class FakeEntryPoint:
    """What `importlib.metadata.entry_points` gives: a name, a target, a distribution, load()."""

    name: str
    value: str
    target: Callable[[], Any]
    dist: FakeDistribution | None = attrs.field(
        factory=lambda: FakeDistribution("okrkit-fake", "1.2.3")
    )
    loads: int = 0

    def load(self) -> Any:
        self.loads += 1
        return self.target()


@attrs.frozen
class RowsSettings:
    table: str = attrs.field(metadata={"help": "the table to count"})
    limit: int = attrs.field(default=5, metadata={"help": "at most this many"})
    columns: list[str] = attrs.field(factory=list)
    method: Literal["GET", "POST"] = "GET"
    headers: dict[str, str] = attrs.field(factory=dict)
    ratio: float | None = None


class RowsConnector(Connector):
    name = "rows"
    Settings = RowsSettings
    summary = "Count the rows of a table."
    windowed = True


class PingConnector(Connector):
    name = "ping"
    summary = "Always one."
    batch = False


@connector("double", summary="Twice the setting.")
def double(query: Query) -> float:
    return 2.0


@connector("with_context", windowed=True)
def with_context(query: Query, context: Context) -> float:
    """Uses the context.

    More words that are not the summary.
    """
    return 1.0


def _point(name: str, target: Any, value: str | None = None, **kwargs: Any) -> FakeEntryPoint:
    """An entry point whose load() returns `target`."""
    return FakeEntryPoint(name, value or f"fake_module:{name}", lambda: target, **kwargs)


def _broken(name: str, error: BaseException, **kwargs: Any) -> FakeEntryPoint:
    """An entry point whose load() raises `error`, as a failing import would."""

    def load() -> Any:
        raise error

    return FakeEntryPoint(name, f"fake_module:{name}", load, **kwargs)


@pytest.fixture(autouse=True)
def _no_env(monkeypatch):
    monkeypatch.delenv(ENV_VAR, raising=False)


def _registry(*points: FakeEntryPoint, **kwargs: Any) -> Registry:
    return Registry(entry_points=lambda: list(points), **kwargs)


# --- lazy loading --------------------------------------------------------------------------


def test_names_lists_entry_points_sorted_without_loading_any():
    rows = _point("rows", RowsConnector)
    ping = _point("ping", PingConnector)
    registry = _registry(rows, ping)
    assert registry.names() == ["ping", "rows"]
    assert (rows.loads, ping.loads) == (0, 0)


def test_entry_points_are_discovered_once():
    calls = []

    def points():
        calls.append(1)
        return [_point("ping", PingConnector)]

    registry = Registry(entry_points=points)
    registry.names()
    registry.names()
    registry.get("ping")
    assert calls == [1]


def test_get_loads_only_the_named_connector_once_and_caches_it():
    rows = _point("rows", RowsConnector)
    ping = _point("ping", PingConnector)
    registry = _registry(rows, ping)
    assert registry.get("rows") is RowsConnector
    assert registry.get("rows") is RowsConnector
    assert (rows.loads, ping.loads) == (1, 0)


def test_get_from_several_threads_loads_once():
    rows = _point("rows", RowsConnector)
    registry = _registry(rows)
    found: list[type[Connector]] = []
    threads = [
        threading.Thread(target=lambda: found.append(registry.get("rows"))) for _ in range(8)
    ]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert found == [RowsConnector] * 8
    assert rows.loads == 1


def test_an_entry_point_may_name_a_connector_function_or_an_instance():
    registry = _registry(
        _point("double", double), _point("ping", PingConnector()), _point("rows", RowsConnector)
    )
    assert registry.get("double") is double.__okrkit_connector__
    assert registry.get("ping") is PingConnector


def test_no_entry_points_at_all():
    registry = Registry(entry_points=None)
    assert registry.names() == []
    assert registry.load_all() == ([], [])


# --- plugin problems -----------------------------------------------------------------------


def test_an_import_error_names_the_distribution_and_the_error():
    broken = _broken(
        "broken",
        ImportError("No module named 'vendor_sdk'"),
        dist=FakeDistribution("okrkit-broken", "0.1"),
    )
    registry = _registry(broken, _point("rows", RowsConnector))
    message = (
        "connector 'broken' from okrkit-broken could not be loaded: "
        "ImportError: No module named 'vendor_sdk'"
    )
    with pytest.raises(ConnectorError) as caught:
        registry.get("broken")
    assert str(caught.value) == message
    assert type(caught.value) is ConnectorError
    # asked again, the problem is reported without importing again
    with pytest.raises(ConnectorError, match=r"^connector 'broken' from okrkit-broken"):
        registry.get("broken")
    assert broken.loads == 1
    infos, problems = registry.load_all()
    assert [info.name for info in infos] == ["rows"]
    assert problems == [
        PluginProblem("broken", "okrkit-broken", "ImportError: No module named 'vendor_sdk'")
    ]
    assert str(problems[0]) == message


def test_load_all_reports_every_failure_and_keeps_the_rest():
    registry = _registry(
        _broken("a_syntax", SyntaxError("invalid syntax")),
        _broken("b_runtime", RuntimeError("SDK needs Python 3.12")),
        _point("ping", PingConnector),
        _point("rows", RowsConnector),
    )
    infos, problems = registry.load_all()
    assert [info.name for info in infos] == ["ping", "rows"]
    assert [(p.name, p.error) for p in problems] == [
        ("a_syntax", "SyntaxError: invalid syntax"),
        ("b_runtime", "RuntimeError: SDK needs Python 3.12"),
    ]


def test_a_problem_without_a_distribution_says_so_plainly():
    registry = _registry(_broken("broken", ImportError("nope"), dist=None))
    with pytest.raises(ConnectorError) as caught:
        registry.get("broken")
    assert str(caught.value) == "connector 'broken' could not be loaded: ImportError: nope"


@pytest.mark.parametrize("target", [object(), 42, "rows", attrs.frozen(type("X", (), {}))])
def test_an_object_that_is_not_a_connector_is_a_problem(target):
    point = _point("thing", target, value="pkg.mod:thing")
    registry = _registry(point)
    error = "pkg.mod:thing is not a Connector subclass or an @connector function"
    with pytest.raises(ConnectorError) as caught:
        registry.get("thing")
    assert str(caught.value) == f"connector 'thing' from okrkit-fake could not be loaded: {error}"
    assert registry.load_all() == ([], [PluginProblem("thing", "okrkit-fake", error)])


def test_a_connector_whose_name_differs_from_its_entry_point_is_a_problem():
    registry = _registry(_point("row_count", RowsConnector, value="pkg.mod:RowsConnector"))
    error = (
        "the entry point is named 'row_count' but pkg.mod:RowsConnector calls itself 'rows': "
        "give both the same name"
    )
    with pytest.raises(ConnectorError) as caught:
        registry.get("row_count")
    assert (
        str(caught.value) == f"connector 'row_count' from okrkit-fake could not be loaded: {error}"
    )
    assert registry.load_all() == ([], [PluginProblem("row_count", "okrkit-fake", error)])


def test_a_second_entry_point_with_the_same_name_is_reported():
    first = _point("rows", RowsConnector, dist=FakeDistribution("okrkit-first", "1"))
    second = _point("rows", RowsConnector, dist=FakeDistribution("okrkit-second", "2"))
    registry = _registry(first, second)
    assert registry.names() == ["rows"]
    _, problems = registry.load_all()
    assert problems == [
        PluginProblem(
            "rows",
            "okrkit-second",
            "the name is already taken by okrkit-first, which is used; uninstall one of them",
        )
    ]
    assert second.loads == 0


def test_the_first_of_two_entry_points_with_the_same_name_wins():
    first = _point("rows", RowsConnector, dist=FakeDistribution("okrkit-first", "1"))
    second = _point("rows", RowsConnector, dist=FakeDistribution("okrkit-second", "2"))
    registry = _registry(first, second)
    assert registry.get("rows") is RowsConnector
    infos, _ = registry.load_all()
    assert [(info.name, info.distribution) for info in infos] == [("rows", "okrkit-first")]


def test_a_duplicate_without_a_distribution_says_another_plugin():
    registry = _registry(_point("rows", RowsConnector, dist=None), _point("rows", RowsConnector))
    _, problems = registry.load_all()
    assert [p.error for p in problems] == [
        "the name is already taken by another plugin, which is used; uninstall one of them"
    ]


# --- unknown names and narrowing -----------------------------------------------------------


def test_an_unknown_name_lists_the_installed_ones():
    registry = _registry(_point("rows", RowsConnector), _point("ping", PingConnector))
    with pytest.raises(UnknownConnectorError) as caught:
        registry.get("youtube")
    assert str(caught.value) == (
        "no connector named 'youtube' is installed (installed: ping, rows); install the "
        "package that provides it, such as okrkit-youtube"
    )
    assert isinstance(caught.value, LookupError)


def test_an_unknown_name_with_nothing_installed():
    with pytest.raises(UnknownConnectorError) as caught:
        _registry().get("youtube")
    assert "(installed: none)" in str(caught.value)


def test_only_narrows_names_and_get():
    rows = _point("rows", RowsConnector)
    ping = _point("ping", PingConnector)
    registry = _registry(rows, ping, only=["rows", "not_installed"])
    assert registry.names() == ["rows"]
    with pytest.raises(UnknownConnectorError) as caught:
        registry.get("ping")
    assert str(caught.value) == (
        "connector 'ping' is not among those OKRKIT_CONNECTORS allows (not_installed, rows); "
        "add it there or unset OKRKIT_CONNECTORS"
    )
    assert ping.loads == 0
    with pytest.raises(UnknownConnectorError) as caught:
        registry.get("not_installed")
    assert "(installed: rows)" in str(caught.value)


def test_the_environment_variable_narrows_what_loads(monkeypatch):
    monkeypatch.setenv(ENV_VAR, " ping , double,, ")
    broken = _broken("broken", ImportError("nope"))
    registry = _registry(broken, _point("ping", PingConnector), extra=[RowsConnector, double])
    assert registry.names() == ["double", "ping"]
    with pytest.raises(UnknownConnectorError, match="OKRKIT_CONNECTORS allows \\(double, ping\\)"):
        registry.get("rows")
    infos, problems = registry.load_all()
    assert [info.name for info in infos] == ["double", "ping"]
    assert problems == []  # the broken plugin is never imported
    assert broken.loads == 0


@pytest.mark.parametrize("value", ["", "  "])
def test_an_empty_environment_variable_narrows_nothing(monkeypatch, value):
    monkeypatch.setenv(ENV_VAR, value)
    assert _registry(_point("ping", PingConnector)).names() == ["ping"]


def test_only_wins_over_the_environment_variable(monkeypatch):
    monkeypatch.setenv(ENV_VAR, "ping")
    registry = _registry(_point("ping", PingConnector), _point("rows", RowsConnector), only=[])
    assert registry.names() == []


def test_a_problem_of_a_plugin_left_out_is_not_reported():
    registry = _registry(_broken("broken", ImportError("nope")), only=["ping"])
    with pytest.raises(UnknownConnectorError):
        registry.get("broken")
    assert registry.load_all() == ([], [])


# --- extra connectors ----------------------------------------------------------------------


def test_extra_adds_classes_and_connector_functions():
    registry = Registry(entry_points=None, extra=[RowsConnector, double])
    assert registry.names() == ["double", "rows"]
    assert registry.get("rows") is RowsConnector
    made = registry.get("double")
    assert issubclass(made, Connector)
    assert made.name == "double"
    assert made.summary == "Twice the setting."


def test_extra_wins_over_an_entry_point_of_the_same_name():
    point = _broken("rows", ImportError("never imported"))
    registry = _registry(point, extra=[RowsConnector])
    assert registry.get("rows") is RowsConnector
    assert point.loads == 0


@pytest.mark.parametrize("item", [object(), "rows", Connector, int])
def test_extra_refuses_what_is_not_a_named_connector(item):
    with pytest.raises(TypeError) as caught:
        Registry(entry_points=None, extra=[item])
    assert str(caught.value) == f"{item!r} is not a connector with a name"


# --- ConnectorInfo -------------------------------------------------------------------------


def test_connector_info_describes_the_connector_and_its_settings():
    registry = _registry(
        _point(
            "rows",
            RowsConnector,
            value="okrkit_rows:RowsConnector",
            dist=FakeDistribution("okrkit-rows", "2.0.1"),
        )
    )
    (info,), problems = registry.load_all()
    assert problems == []
    assert info.to_dict() == {
        "name": "rows",
        "distribution": "okrkit-rows",
        "version": "2.0.1",
        "target": "okrkit_rows:RowsConnector",
        "summary": "Count the rows of a table.",
        "windowed": True,
        "batch": True,
        "settings": [
            {
                "name": "table",
                "type": "str",
                "required": True,
                "default": None,
                "help": "the table to count",
            },
            {
                "name": "limit",
                "type": "int",
                "required": False,
                "default": 5,
                "help": "at most this many",
            },
            {"name": "columns", "type": "list[str]", "required": False, "default": [], "help": ""},
            {
                "name": "method",
                "type": "Literal['GET', 'POST']",
                "required": False,
                "default": "GET",
                "help": "",
            },
            {
                "name": "headers",
                "type": "dict[str, str]",
                "required": False,
                "default": {},
                "help": "",
            },
            {
                "name": "ratio",
                "type": "float | None",
                "required": False,
                "default": None,
                "help": "",
            },
        ],
    }


def test_connector_info_of_extras_and_settingless_connectors():
    registry = Registry(entry_points=None, extra=[PingConnector, with_context])
    infos, _ = registry.load_all()
    assert [info.to_dict() for info in infos] == [
        {
            "name": "ping",
            "distribution": None,
            "version": None,
            "target": f"{__name__}:PingConnector",
            "summary": "Always one.",
            "windowed": False,
            "batch": False,
            "settings": [],
        },
        {
            "name": "with_context",
            "distribution": None,
            "version": None,
            "target": f"{__name__}:with_context_connector",
            "summary": "Uses the context.",
            "windowed": True,
            "batch": False,
            "settings": [],
        },
    ]


def test_connector_info_is_frozen_and_to_dict_copies_settings():
    info = ConnectorInfo(
        name="x",
        distribution=None,
        version=None,
        target="m:X",
        summary="",
        windowed=False,
        batch=True,
        settings=({"name": "a"},),
    )
    data = info.to_dict()
    data["settings"][0]["name"] = "changed"
    assert info.settings == ({"name": "a"},)
    with pytest.raises(attrs.exceptions.FrozenInstanceError):
        info.name = "y"  # type: ignore[misc]


def test_settings_help_from_string_annotations():
    @attrs.frozen
    class Later:
        size: "int" = 3

    class Lazy(Connector):
        name = "lazy"
        Settings = Later

    assert settings_of(Lazy) == [
        {"name": "size", "type": "int", "required": False, "default": 3, "help": ""}
    ]


def test_settings_of_a_class_that_is_not_attrs_is_empty():
    class Plain(Connector):
        name = "plain"
        Settings = dict

    assert settings_of(Plain) == []


def test_settings_of_uses_the_alias_of_a_private_field():
    @attrs.frozen
    class Aliased:
        _token: str = attrs.field(alias="token")

    class Private(Connector):
        name = "private"
        Settings = Aliased

    assert [setting["name"] for setting in settings_of(Private)] == ["token"]


# --- the real registry ---------------------------------------------------------------------


def test_the_installed_registry_has_the_builtins_from_okrkit():
    registry = Registry()
    assert {"csv", "http", "sql", "static"} <= set(registry.names())
    infos, _ = registry.load_all()
    builtins = {info.name: info for info in infos if info.name in {"csv", "http", "sql", "static"}}
    assert sorted(builtins) == ["csv", "http", "sql", "static"]
    version = importlib.metadata.version("okrkit")
    for name, info in builtins.items():
        assert info.distribution == "okrkit"
        assert info.version == version
        assert info.target.startswith(f"okrkit.connectors.builtin.{name}:")
        assert info.summary
    assert builtins["static"].target == "okrkit.connectors.builtin.static:StaticConnector"
    assert ENTRY_POINT_GROUP == "okrkit.connectors"


# --- the connector decorator and connector_class -------------------------------------------


def test_the_connector_decorator_keeps_the_function_and_attaches_a_class():
    assert double(Query("kr", None, Window(None, _at()), _at())) == 2.0
    made = connector_class(double)
    assert made is not None
    assert made.name == "double"
    assert made.batch is False
    assert made.windowed is False
    assert made.Settings is None
    assert made.__module__ == __name__
    assert made.__name__ == "double_connector"
    assert connector_class(with_context).summary == "Uses the context."  # type: ignore[union-attr]


def test_a_function_connector_without_docstring_or_summary_has_an_empty_summary():
    @connector("bare")
    def bare(query):
        return 1

    assert connector_class(bare).summary == ""  # type: ignore[union-attr]


def test_a_function_connector_calls_the_function_once_per_query_with_the_context():
    seen: list[tuple[str, Context]] = []

    @connector("seen", settings=RowsSettings)
    def record(query, context):
        seen.append((query.key_result, context))
        return len(seen)

    made = connector_class(record)
    assert made is not None
    assert made.Settings is RowsSettings
    context = Context()
    queries = [Query(name, None, Window(None, _at()), _at()) for name in ("a", "b")]
    assert list(made().fetch(queries, context)) == [1, 2]
    assert seen == [("a", context), ("b", context)]


@pytest.mark.parametrize(
    ("value", "expected"),
    [
        (RowsConnector, RowsConnector),
        (RowsConnector(), RowsConnector),
        (double, "double"),
        (Connector, Connector),
        (object(), None),
        (RowsSettings, None),
        (len, None),
    ],
)
def test_connector_class(value, expected):
    made = connector_class(value)
    if expected == "double":
        assert made is double.__okrkit_connector__
    else:
        assert made is expected


def test_a_connector_implements_fetch_or_fetch_one():
    query = Query("k", {}, Window(None, _at()), _at())
    with pytest.raises(NotImplementedError, match="'ping' implements neither fetch\\(\\) nor"):
        PingConnector().fetch([query], Context())

    class One(PingConnector):
        def fetch_one(self, query, context):
            if query.key_result == "bad":
                raise TerminalError("no such thing")
            return 3

    bad = Query("bad", {}, Window(None, _at()), _at())
    answers = One().fetch([query, bad], Context())
    assert answers[0] == 3
    assert isinstance(answers[1], TerminalError)  # one query's error stands for it alone


# --- check_results -------------------------------------------------------------------------


def _at():
    return dt.datetime(2025, 1, 1, tzinfo=dt.UTC)


def _queries(count: int) -> list[Query]:
    return [Query(f"kr{index}", None, Window(None, _at()), _at()) for index in range(count)]


def test_check_results_turns_numbers_into_readings_and_keeps_errors():
    failed = TransientError("later")
    reading = Reading(3.0, note="n")
    checked = check_results(PingConnector, _queries(4), [1, 2.5, reading, failed])
    assert checked == [Reading(1), Reading(2.5), reading, failed]


@pytest.mark.parametrize(
    "value", [math.nan, math.inf, -math.inf, True, "12", None, {"value": 1}, [1]]
)
def test_check_results_turns_a_bad_value_into_a_terminal_error_for_that_query(value):
    checked = check_results(PingConnector, _queries(2), [value, 7])
    assert isinstance(checked[0], TerminalError)
    assert checked[1] == Reading(7)
    if isinstance(value, dict):
        assert str(checked[0]) == "the connector returned a mapping, not a number or a Reading"
    else:
        assert str(checked[0]) == f"the source answered {value!r}, which is not a finite number"


SHAPE = "it must return a list with one item per query"
COUNT = "it must return exactly one per query, in order"


@pytest.mark.parametrize(
    ("results", "message"),
    [
        (None, f"connector 'ping' returned NoneType from fetch(); {SHAPE}"),
        ("12", f"connector 'ping' returned str from fetch(); {SHAPE}"),
        (b"12", f"connector 'ping' returned bytes from fetch(); {SHAPE}"),
        (5, f"connector 'ping' returned int from fetch(); {SHAPE}"),
        ([1], f"connector 'ping' returned 1 results for 2 queries; {COUNT}"),
        ([1, 2, 3], f"connector 'ping' returned 3 results for 2 queries; {COUNT}"),
    ],
)
def test_check_results_refuses_the_wrong_shape(results, message):
    with pytest.raises(TerminalError) as caught:
        check_results(PingConnector, _queries(2), results)
    assert str(caught.value) == message


def test_check_results_accepts_a_tuple():
    assert check_results(PingConnector, _queries(1), (4,)) == [Reading(4)]


# --- Context -------------------------------------------------------------------------------


def test_context_path_is_relative_to_the_okr_files_folder(tmp_path):
    context = Context(base_dir=tmp_path)
    assert context.path("data/x.db") == tmp_path / "data" / "x.db"
    assert context.path("/abs/x.db") == Path("/abs/x.db")
    assert context.path("~/x.db") == Path.home() / "x.db"
    assert Context().path("data/x.db") == Path("data/x.db")


def test_context_spend_adds_up_costs_per_unit():
    context = Context()
    context.spend("youtube.units")
    context.spend("youtube.units", 100)
    context.spend("calls", 0.5)
    costs = context.costs
    assert costs == {"youtube.units": 101, "calls": 0.5}
    costs["calls"] = 99  # a copy
    assert context.costs["calls"] == 0.5


def test_context_spend_from_several_threads_loses_nothing():
    context = Context()

    def spend():
        for _ in range(1000):
            context.spend("calls")

    threads = [threading.Thread(target=spend) for _ in range(8)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert context.costs == {"calls": 8000}


def test_context_http_is_made_once_from_the_factory_and_closed():
    made = []

    class FakeHttp:
        closed = False

        def close(self):
            self.closed = True

    def factory():
        made.append(FakeHttp())
        return made[-1]

    context = Context(http_factory=factory)
    assert context.http is context.http
    assert len(made) == 1
    context.close()
    assert made[0].closed is True


def test_context_http_by_default_uses_the_contexts_timeout_and_redactor():
    context = Context(timeout=2.5)
    http = context.http
    assert http.timeout == 2.5
    assert http.redactor is context.redactor
    Context().close()  # closing a context that never made a client is fine
