"""Source settings: the runner's own keys (`SourceOptions.read`), durations, and the connector's
typed `Settings` structured from plain data with errors that name the setting."""

import datetime as dt
from types import MappingProxyType
from typing import Literal

import attrs
import pytest

from okrkit.connectors import Connector, parse_duration
from okrkit.connectors._settings import RESERVED, SourceOptions, structure_settings
from okrkit.errors import SettingsError, TerminalError

# --- parse_duration ------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("30m", dt.timedelta(minutes=30)),
        ("45min", dt.timedelta(minutes=45)),
        ("24h", dt.timedelta(hours=24)),
        ("7d", dt.timedelta(days=7)),
        ("2w", dt.timedelta(weeks=2)),
        ("1.5d", dt.timedelta(hours=36)),
        ("0.5h", dt.timedelta(minutes=30)),
        (" 7 D ", dt.timedelta(days=7)),
        ("10MIN", dt.timedelta(minutes=10)),
        (7, dt.timedelta(days=7)),  # a bare number is days
        (0.25, dt.timedelta(hours=6)),
    ],
)
def test_parse_duration_reads_minutes_hours_days_weeks_and_numbers(text, expected):
    assert parse_duration(text) == expected


@pytest.mark.parametrize(
    "text",
    ["0d", "0", "-1d", "7", "7 days", "1y", "d", "", "1.5.d", "7d ago", None, True, False, 0, -2],
)
def test_parse_duration_refuses_what_is_not_a_positive_duration(text):
    with pytest.raises(ValueError, match="is not a duration") as caught:
        parse_duration(text)
    assert str(caught.value) == f"{text!r} is not a duration: write 7d, 24h, 30m or 2w"


@pytest.mark.parametrize("text", ["99999999999d", float("inf"), 1e12])
def test_parse_duration_refuses_a_duration_too_long_for_a_timedelta(text):
    with pytest.raises(ValueError, match="is not a duration"):
        parse_duration(text)


def test_parse_duration_refuses_nan():
    with pytest.raises(ValueError, match="is not a duration") as caught:
        parse_duration(float("nan"))
    assert str(caught.value) == "nan is not a duration: write 7d, 24h, 30m or 2w"


# --- SourceOptions.read --------------------------------------------------------------------


def _refused(source, setting, message):
    with pytest.raises(SettingsError) as caught:
        SourceOptions.read(source, "kr-views")
    error = caught.value
    assert error.setting == setting
    assert error.key_result == "kr-views"
    assert error.message == f"setting {setting!r}: {message}"
    assert str(error) == f"key result 'kr-views': setting {setting!r}: {message}"
    assert isinstance(error, TerminalError)
    assert isinstance(error, ValueError)


def test_read_splits_the_runners_keys_from_the_connectors_settings():
    options = SourceOptions.read(
        {"connector": "http", "window": "7d", "aggregate": "change", "url": "u", "n": 1}, "kr"
    )
    assert options == SourceOptions(
        connector="http",
        window=dt.timedelta(days=7),
        aggregate="change",
        sources=(),
        settings={"url": "u", "n": 1},
    )
    assert RESERVED == ("connector", "window", "aggregate", "sources")


def test_read_defaults():
    options = SourceOptions.read({"connector": " static ", "value": 3}, "kr")
    assert options.connector == "static"
    assert options.window is None
    assert options.aggregate == "latest"
    assert options.sources == ()
    assert options.settings == {"value": 3}


def test_a_window_of_none_is_no_window():
    assert SourceOptions.read({"connector": "sql", "window": None}, "kr").window is None


@pytest.mark.parametrize("connector", [None, "", "   ", 5, ["sql"], {"name": "sql"}])
def test_read_needs_a_connector_name(connector):
    source = {"url": "u"} if connector is None else {"connector": connector}
    _refused(source, "connector", "name the connector, as in {connector: sql, ...}")


@pytest.mark.parametrize("window", ["soon", "0d", 0, "7", True, [7]])
def test_read_refuses_a_window_that_is_not_a_duration(window):
    _refused(
        {"connector": "sql", "window": window},
        "window",
        f"{window!r} is not a duration: write 7d, 24h, 30m or 2w",
    )


@pytest.mark.parametrize("aggregate", ["sum", "Latest", None, 1])
def test_read_refuses_an_unknown_aggregation(aggregate):
    _refused(
        {"connector": "sql", "aggregate": aggregate},
        "aggregate",
        f"{aggregate!r} is not an aggregation: use latest (the value as read) or change "
        "(the gain since the cycle began, for a counter that only grows)",
    )


def test_read_a_sum_of_sources():
    parts = [{"connector": "static", "value": 1}, {"connector": "http", "url": "u"}]
    options = SourceOptions.read({"connector": "sum", "sources": parts, "window": "1d"}, "kr")
    assert options.connector == "sum"
    assert options.sources == tuple(parts)
    assert options.settings == {}
    assert options.window == dt.timedelta(days=1)


@pytest.mark.parametrize("sources", [None, [], (), "static", {"connector": "static"}, 3])
def test_a_sum_needs_a_list_of_sources(sources):
    source = {"connector": "sum"} if sources is None else {"connector": "sum", "sources": sources}
    _refused(
        source,
        "sources",
        "connector 'sum' adds up several sources: give them as "
        "sources: [{connector: ...}, {connector: ...}]",
    )


@pytest.mark.parametrize(
    ("entry", "message"),
    [
        ("static", "each entry must be a source mapping with its own connector"),
        (5, "each entry must be a source mapping with its own connector"),
        ({"value": 5}, "each entry must be a source mapping with its own connector"),
        (
            {"connector": "sum", "sources": [{"connector": "static"}]},
            "sums do not nest: list every source in one sum",
        ),
        ({"connector": "static", "sources": []}, "sums do not nest: list every source in one sum"),
    ],
)
def test_each_summed_source_is_checked_and_named_by_index(entry, message):
    _refused(
        {"connector": "sum", "sources": [{"connector": "static"}, entry]}, "sources[1]", message
    )


def test_sources_belong_to_the_sum_connector_only():
    _refused(
        {"connector": "http", "sources": [{"connector": "static"}]},
        "sources",
        "'sources' belongs to connector 'sum'",
    )


def test_a_sum_named_with_spaces_is_still_a_sum():
    options = SourceOptions.read({"connector": " sum ", "sources": [{"connector": "static"}]}, "kr")
    assert options.connector == "sum"
    assert options.sources == ({"connector": "static"},)


def test_the_first_problem_in_source_order_is_reported():
    # connector first, then window, then aggregate, then sources
    _refused(
        {"window": "x", "aggregate": "x"},
        "connector",
        "name the connector, as in {connector: sql, ...}",
    )
    with pytest.raises(SettingsError) as caught:
        SourceOptions.read({"connector": "sum", "window": "x", "aggregate": "x"}, "kr")
    assert caught.value.setting == "window"


# --- structure_settings --------------------------------------------------------------------


def _positive(_instance, attribute, value):
    if value <= 0:
        raise ValueError(f"'{attribute.name}' must be more than 0, got {value}")


def _not_thirteen(_instance, _attribute, value):
    if value == 13:
        error = ValueError("thirteen brings bad luck")
        error.setting = "limit"  # type: ignore[attr-defined]
        raise error


@attrs.frozen
class HttpSettings:
    url: str
    method: Literal["GET", "POST"] = "GET"
    limit: int = attrs.field(default=10, validator=[_positive, _not_thirteen])
    ratio: float = 1.0
    verify: bool = True
    headers: dict[str, str] = attrs.field(factory=dict)
    tags: list[str] = attrs.field(factory=list)


class HttpLike(Connector):
    name = "http_like"
    Settings = HttpSettings


class Untyped(Connector):
    name = "untyped"


TAKES = "it takes url, method, limit, ratio, verify, headers, tags"


def _settings_error(settings, setting, message):
    with pytest.raises(SettingsError) as caught:
        structure_settings(HttpLike, settings, "kr-views")
    error = caught.value
    assert error.setting == setting
    assert error.key_result == "kr-views"
    where = f"setting {setting!r}: " if setting else ""
    assert str(error) == f"key result 'kr-views': {where}{message}"


def test_settings_are_structured_into_the_connectors_class():
    settings = structure_settings(
        HttpLike,
        {
            "url": "https://a.example",
            "method": "POST",
            "limit": 3,
            "ratio": 2,
            "verify": False,
            "headers": {"Accept": "application/json"},
            "tags": ("a", "b"),
        },
        "kr",
    )
    assert settings == HttpSettings(
        url="https://a.example",
        method="POST",
        limit=3,
        ratio=2.0,
        verify=False,
        headers={"Accept": "application/json"},
        tags=["a", "b"],
    )
    assert type(settings.ratio) is float


def test_defaults_fill_what_is_not_given():
    assert structure_settings(HttpLike, {"url": "u"}, "kr") == HttpSettings(url="u")


def test_an_unknown_setting_suggests_the_closest_name():
    _settings_error(
        {"url": "u", "metod": "GET"},
        "metod",
        f"unknown setting metod (did you mean 'method'?); {TAKES}",
    )


def test_several_unknown_settings_are_listed_with_hints_where_close():
    _settings_error(
        {"url": "u", "metod": "GET", "zzz": 1},
        "metod",
        f"unknown settings metod (did you mean 'method'?), zzz; {TAKES}",
    )


def test_an_unknown_setting_is_said_before_the_required_one_it_misspells():
    _settings_error(
        {"ur": "u"}, "ur", f"unknown setting ur (did you mean 'url'?); {TAKES} (and 1 more)"
    )


def test_a_missing_required_setting():
    _settings_error({}, "url", "this setting is required")


@pytest.mark.parametrize(
    ("settings", "setting", "expected"),
    [
        ({"url": 5}, "url", "str"),
        ({"url": None}, "url", "str"),
        ({"url": "u", "limit": "5"}, "limit", "int"),
        ({"url": "u", "limit": 5.0}, "limit", "int"),
        ({"url": "u", "limit": True}, "limit", "int"),
        ({"url": "u", "ratio": "1.5"}, "ratio", "float"),
        ({"url": "u", "ratio": True}, "ratio", "float"),
        ({"url": "u", "verify": "yes"}, "verify", "bool"),
        ({"url": "u", "verify": 1}, "verify", "bool"),
    ],
)
def test_a_value_of_the_wrong_type_names_the_expected_type(settings, setting, expected):
    _settings_error(settings, setting, f"expected {expected}")


def test_a_literal_setting_lists_its_choices():
    _settings_error({"url": "u", "method": "PUT"}, "method", "'PUT' is not one of: GET, POST")


def test_nested_values_are_checked_and_named_by_their_path():
    _settings_error({"url": "u", "headers": {"Accept": 1}}, "headers['Accept']", "expected str")
    _settings_error({"url": "u", "headers": "Accept: x"}, "headers", "expected a mapping")
    _settings_error({"url": "u", "tags": ["a", 2]}, "tags[1]", "expected str")


def test_several_errors_say_how_many_more():
    _settings_error({"url": 5, "limit": "x", "verify": "no"}, "url", "expected str (and 2 more)")


def test_a_validator_error_keeps_its_message_and_names_the_setting():
    _settings_error({"url": "u", "limit": -1}, "limit", "'limit' must be more than 0, got -1")


def test_a_validator_error_may_name_its_setting_itself():
    _settings_error({"url": "u", "limit": 13}, "limit", "thirteen brings bad luck")


def test_an_error_raised_after_structuring_is_a_settings_error_too():
    @attrs.frozen
    class Pair:
        low: int
        high: int

        def __attrs_post_init__(self) -> None:
            if self.low > self.high:
                raise ValueError("low must not be more than 'high'")

    class Ranged(Connector):
        name = "ranged"
        Settings = Pair

    with pytest.raises(SettingsError) as caught:
        structure_settings(Ranged, {"low": 5, "high": 1}, "kr")
    assert caught.value.setting == "high"
    assert str(caught.value) == "key result 'kr': setting 'high': low must not be more than 'high'"


def test_settings_given_as_read_only_mappings_are_structured():
    source = MappingProxyType({"url": "u", "headers": MappingProxyType({"A": "b"})})
    assert structure_settings(HttpLike, source, "kr") == HttpSettings(url="u", headers={"A": "b"})


def test_a_connector_without_settings_gets_a_read_only_plain_mapping():
    given = {"a": {"b": [1, (2, 3)]}, 3: "number key"}
    settings = structure_settings(Untyped, given, "kr")
    assert isinstance(settings, MappingProxyType)
    assert dict(settings) == {"a": {"b": [1, [2, 3]]}, "3": "number key"}
    with pytest.raises(TypeError):
        settings["a"] = 1  # type: ignore[index]
    given["a"]["b"].append(4)
    assert settings["a"] == {"b": [1, [2, 3]]}  # a copy, not a view of the source
