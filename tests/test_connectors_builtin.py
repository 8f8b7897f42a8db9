"""The built-in connectors: static, http, sql and csv, called the way the runner calls them."""

# the tokens and passwords here are made up for the tests

import base64
import datetime as dt
import json
import pathlib
import re
import runpy
import sqlite3
import subprocess
import sys
from pathlib import Path

import attrs
import pytest
import responses

from okrkit.connectors import (
    Context,
    CredentialsError,
    Query,
    Reading,
    Registry,
    SettingsError,
    TerminalError,
    TransientError,
    Window,
)
from okrkit.connectors._base import settings_of
from okrkit.connectors._settings import structure_settings
from okrkit.connectors.builtin import (
    InvalidSettingError,
    format_instant,
    parse_number,
)
from okrkit.connectors.builtin.csv import CsvConnector, CsvSettings
from okrkit.connectors.builtin.http import Each, HttpConnector, HttpSettings, Index, Key, parse_path
from okrkit.connectors.builtin.sql import SqlConnector, SqlSettings, parameters_of
from okrkit.connectors.builtin.static import StaticConnector, StaticSettings

ROOT = Path(__file__).parent.parent
EXAMPLE = ROOT / "examples" / "product-launch"
UTC = dt.UTC
AT = dt.datetime(2026, 8, 15, tzinfo=UTC)
WEEK_BEFORE_AT = dt.datetime(2026, 8, 8, tzinfo=UTC)
API = "https://api.example.com/stats"


def query(settings, since=None, until=AT, key="k", purpose="value"):
    return Query(
        key_result=key, settings=settings, window=Window(since, until), at=AT, purpose=purpose
    )


def only(results):
    assert len(results) == 1
    return results[0]


# --- shared helpers ------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("value", "expected"),
    [
        (12, 12.0),
        (-3.5, -3.5),
        ("12345", 12345.0),
        (" 42 ", 42.0),
        ("-0.5", -0.5),
        ("2e3", 2000.0),
        ("1,234", 1234.0),
        ("1,234,567.25", 1234567.25),
    ],
)
def test_parse_number_reads_numbers_and_numeric_text(value, expected):
    assert parse_number(value) == expected


@pytest.mark.parametrize(
    ("value", "message"),
    [
        (True, "true is not a number"),
        (None, "null is not a number"),
        ("abc", "'abc' is not a number"),
        ("1,5", "'1,5' is not a number"),
        ("12,34", "'12,34' is not a number"),
        ("", "'' is not a number"),
        ("nan", "'nan' is not a number"),
        (float("inf"), "inf is not a finite number"),
        ([1, 2], "a list of 2 items is not a number"),
        ({"a": 1}, "an object with keys a is not a number"),
    ],
)
def test_parse_number_refuses_what_is_not_one_finite_number(value, message):
    with pytest.raises(ValueError, match=f"^{re.escape(message)}$"):
        parse_number(value)


def test_format_instant_writes_utc_with_a_z():
    assert format_instant(dt.datetime(2026, 7, 1, tzinfo=UTC)) == "2026-07-01T00:00:00Z"
    plus_two = dt.timezone(dt.timedelta(hours=2))
    assert format_instant(dt.datetime(2026, 7, 1, 2, tzinfo=plus_two)) == "2026-07-01T00:00:00Z"
    naive = dt.datetime(2026, 7, 1, 0, 0, 0, 5)  # noqa: DTZ001  # naive is taken as UTC
    assert format_instant(naive) == "2026-07-01T00:00:00.000005Z"


def test_the_builtins_are_registered_through_entry_points():
    registry = Registry(only=None)
    assert registry.get("static") is StaticConnector
    assert registry.get("http") is HttpConnector
    assert registry.get("sql") is SqlConnector
    assert registry.get("csv") is CsvConnector
    for connector in (StaticConnector, HttpConnector, SqlConnector, CsvConnector):
        described = settings_of(connector)
        assert described, connector.name
        assert all(setting["help"] for setting in described), connector.name
        assert connector.summary


def test_importing_the_builtins_imports_neither_requests_nor_sqlalchemy():
    code = (
        "import sys, okrkit\n"
        "import okrkit.connectors.builtin.static, okrkit.connectors.builtin.http\n"
        "import okrkit.connectors.builtin.sql, okrkit.connectors.builtin.csv\n"
        "print(sorted(m for m in ('requests', 'sqlalchemy') if m in sys.modules))"
    )
    result = subprocess.run(
        [sys.executable, "-c", code], capture_output=True, text=True, check=True
    )
    assert result.stdout.strip() == "[]"


# --- static --------------------------------------------------------------------------------


def test_static_reports_the_typed_value_for_every_query():
    results = StaticConnector().fetch(
        [query(StaticSettings(12.5)), query(StaticSettings(-3), key="other")], Context()
    )
    assert [result.value for result in results] == [12.5, -3.0]
    assert all(isinstance(result, Reading) for result in results)


def test_static_settings_are_validated():
    assert structure_settings(StaticConnector, {"value": 7}, "k") == StaticSettings(7.0)
    with pytest.raises(SettingsError) as caught:
        structure_settings(StaticConnector, {"value": "7"}, "k")
    assert caught.value.setting == "value"
    assert "expected float" in str(caught.value)
    with pytest.raises(SettingsError) as caught:
        structure_settings(StaticConnector, {}, "k")
    assert caught.value.setting == "value"
    with pytest.raises(InvalidSettingError, match="not a finite number") as invalid:
        StaticSettings(float("nan"))
    assert invalid.value.setting == "value"


# --- http: the path language ---------------------------------------------------------------


def test_parse_path_reads_keys_indexes_wildcards_and_quoted_keys():
    assert parse_path("") == ()
    assert parse_path("data.stats[0].total") == (Key("data"), Key("stats"), Index(0), Key("total"))
    assert parse_path("items[*].amount") == (Key("items"), Each(), Key("amount"))
    assert parse_path('[-1]["odd.key"].x') == (Index(-1), Key("odd.key"), Key("x"))


@pytest.mark.parametrize(
    ("text", "message"),
    [
        ("data..total", "cannot read 'data..total' at character 5"),
        (".data", "a path does not start with a dot"),
        ("items[x]", "cannot read 'items[x]' at character 6"),
        ("items[0]total", "put a dot before the key 'total'"),
        ("items[", "cannot read 'items[' at character 6"),
    ],
)
def test_parse_path_says_where_a_path_is_wrong(text, message):
    with pytest.raises(ValueError, match=re.escape(message)):
        parse_path(text)


# --- http: requests ------------------------------------------------------------------------


def http(**settings):
    return HttpSettings(**{"url": API, **settings})


def test_http_get_sends_params_headers_and_bearer_token_with_the_window_filled():
    settings = http(
        url=API + "?fixed=1",
        path="data.total",
        params={"since": "{since}", "until": "{until}", "day": "{until_date}"},
        headers={"Accept": "application/json"},
        token="s3cret-token",
    )
    with responses.RequestsMock(assert_all_requests_are_fired=True) as mock:
        mock.get(API, json={"data": {"total": 1234}})
        result = only(HttpConnector().fetch([query(settings, since=WEEK_BEFORE_AT)], Context()))
        request = mock.calls[0].request
    assert result == Reading(1234.0, raw=1234)
    assert request.method == "GET"
    assert request.url == (
        API + "?fixed=1&since=2026-08-08T00%3A00%3A00Z&until=2026-08-15T00%3A00%3A00Z"
        "&day=2026-08-15"
    )
    assert request.headers["Accept"] == "application/json"
    assert request.headers["Authorization"] == "Bearer s3cret-token"
    assert request.body is None


def test_http_post_sends_json_with_placeholders_filled_and_basic_auth():
    settings = http(
        method="POST",
        url=API + "/{since_date}",
        body={"range": {"from": "{since}", "to": "{until}"}, "limit": 10, "tags": ["a", "{until}"]},
        username="reader",
        password="pa55word",
        path="count",
    )
    with responses.RequestsMock(assert_all_requests_are_fired=True) as mock:
        mock.post(API + "/2026-08-08", json={"count": "1,024"})
        result = only(HttpConnector().fetch([query(settings, since=WEEK_BEFORE_AT)], Context()))
        request = mock.calls[0].request
    assert result.value == 1024.0
    assert request.method == "POST"
    assert json.loads(request.body) == {
        "range": {"from": "2026-08-08T00:00:00Z", "to": "2026-08-15T00:00:00Z"},
        "limit": 10,
        "tags": ["a", "2026-08-15T00:00:00Z"],
    }
    assert request.headers["Content-Type"] == "application/json"
    expected = base64.b64encode(b"reader:pa55word").decode()
    assert request.headers["Authorization"] == f"Basic {expected}"


def test_http_without_placeholders_works_for_a_windowed_key_result():
    with responses.RequestsMock(assert_all_requests_are_fired=True) as mock:
        mock.get(API, json=41)
        result = only(HttpConnector().fetch([query(http(), since=WEEK_BEFORE_AT)], Context()))
        assert mock.calls[0].request.url == API
    assert result.value == 41.0


def test_http_since_placeholder_without_a_window_is_a_settings_error():
    settings = http(url=API + "?from={since}")
    result = only(HttpConnector().fetch([query(settings)], Context()))
    assert isinstance(result, SettingsError)
    assert result.setting == "url"
    assert "no window" in str(result)


def test_http_asked_about_the_past_needs_a_placeholder():
    start = dt.datetime(2026, 7, 1, tzinfo=UTC)
    with responses.RequestsMock(assert_all_requests_are_fired=True) as mock:
        mock.get(API + "?at=2026-07-01T00%3A00%3A00Z", json=3)
        answered, refused = HttpConnector().fetch(
            [
                query(http(params={"at": "{until}"}), until=start, purpose="start"),
                query(http(), until=start, purpose="start"),
            ],
            Context(),
        )
    assert answered.value == 3.0
    assert isinstance(refused, SettingsError)
    assert refused.setting == "url"
    assert "the value when the cycle began" in str(refused)
    assert "or use aggregate: latest" in str(refused)


DOCUMENT = {
    "data": {"stats": [{"total": 12345, "label": "all"}, {"total": "7", "label": "new"}]},
    "items": [{"amount": 2.5}, {"amount": "1,000"}, {"amount": -0.5}],
    "numbers": [1, 2, 3],
    "empty": [],
    "balance": -42.75,
    "text": " 99 ",
    "odd.key": {"n": 5},
}


@pytest.mark.parametrize(
    ("path", "measure", "expected"),
    [
        ("data.stats[0].total", "value", 12345.0),
        ("data.stats[1].total", "value", 7.0),
        ("data.stats[-1].total", "value", 7.0),
        ("balance", "value", -42.75),
        ("text", "value", 99.0),
        ('["odd.key"].n', "value", 5.0),
        ("items", "count", 3.0),
        ("items[*]", "count", 3.0),
        ("data.stats[*].total", "count", 2.0),
        ("data", "count", 1.0),
        ("empty", "count", 0.0),
        ("items[*].amount", "sum", 1002.0),
        ("data.stats[*].total", "sum", 12352.0),
        ("numbers", "sum", 6.0),
        ("empty", "sum", 0.0),
        ("empty[*].amount", "sum", 0.0),
    ],
)
def test_http_picks_counts_and_sums_from_the_answer(path, measure, expected):
    with responses.RequestsMock(assert_all_requests_are_fired=True) as mock:
        mock.get(API, json=DOCUMENT)
        result = only(HttpConnector().fetch([query(http(path=path, measure=measure))], Context()))
    assert isinstance(result, Reading)
    assert result.value == expected


@pytest.mark.parametrize(
    ("path", "measure", "message"),
    [
        (
            "data.stats[0].count",
            "value",
            (
                "the answer from https://api.example.com/stats does not have "
                "'data.stats[0].count': data.stats[0] has no key 'count' (its keys: total, label)"
            ),
        ),
        ("missing", "value", "the answer has no key 'missing' (its keys: data, items, numbers,"),
        ("data.stats[2].total", "value", "data.stats has 2 items, so there is no item [2]"),
        ("data.stats.total", "value", "data.stats is a list of 2, not an object with keys: pick"),
        ("data[0]", "value", "data is an object, not a list (its keys: stats)"),
        ("balance.x", "value", "balance is -42.75, not an object with keys"),
        ("data.stats[0].label", "value", "data.stats[0].label in the answer from"),
        ("data.stats", "value", "data.stats in the answer from https://api.example.com/stats: "),
        ("items[*].amount.x", "sum", "items[0].amount is 2.5, not an object with keys"),
        ("data.stats[*].label", "sum", "data.stats[0].label in the answer from"),
        ("balance", "count", "balance in the answer from https://api.example.com/stats is -42.75"),
        ("data", "sum", "data in the answer from https://api.example.com/stats is an object"),
    ],
)
def test_http_says_which_part_of_the_path_is_missing_or_not_a_number(path, measure, message):
    with responses.RequestsMock(assert_all_requests_are_fired=True) as mock:
        mock.get(API, json=DOCUMENT)
        result = only(HttpConnector().fetch([query(http(path=path, measure=measure))], Context()))
    assert type(result) is TerminalError
    assert message in str(result)


@pytest.mark.parametrize("value", [True, None, "abc", "1,5", "NaN", [1]])
def test_http_refuses_values_that_are_not_finite_numbers(value):
    with responses.RequestsMock(assert_all_requests_are_fired=True) as mock:
        mock.get(API, body=json.dumps({"n": value}), content_type="application/json")
        result = only(HttpConnector().fetch([query(http(path="n"))], Context()))
    assert type(result) is TerminalError
    assert "n in the answer from https://api.example.com/stats: " in str(result)
    assert "not a" in str(result)


def test_http_json_nan_is_not_a_finite_number():
    with responses.RequestsMock(assert_all_requests_are_fired=True) as mock:
        mock.get(API, body='{"n": NaN}', content_type="application/json")
        result = only(HttpConnector().fetch([query(http(path="n"))], Context()))
    assert type(result) is TerminalError
    assert str(result).endswith("nan is not a finite number")


def test_http_401_is_a_credentials_error_that_does_not_show_the_token():
    with responses.RequestsMock(assert_all_requests_are_fired=True) as mock:
        mock.get(API, status=401, body="token s3cret-token is not valid")
        result = only(HttpConnector().fetch([query(http(token="s3cret-token"))], Context()))
    assert isinstance(result, CredentialsError)
    assert "HTTP 401" in str(result)
    assert "s3cret-token" not in str(result)


def test_http_secret_headers_are_redacted_from_errors():
    settings = http(headers={"X-Api-Key": "k3y-value-123"})
    with responses.RequestsMock(assert_all_requests_are_fired=True) as mock:
        mock.get(API, status=403, body="key k3y-value-123 lacks the stats scope")
        result = only(HttpConnector().fetch([query(settings)], Context()))
        assert mock.calls[0].request.headers["X-Api-Key"] == "k3y-value-123"
    assert isinstance(result, CredentialsError)
    assert "k3y-value-123" not in str(result)


def test_http_429_is_transient_with_the_servers_retry_after():
    with responses.RequestsMock(assert_all_requests_are_fired=True) as mock:
        mock.get(API, status=429, headers={"Retry-After": "30"})
        result = only(HttpConnector().fetch([query(http())], Context()))
    assert type(result) is TransientError
    assert result.retry_after == 30.0


def test_http_500_is_transient():
    with responses.RequestsMock(assert_all_requests_are_fired=True) as mock:
        mock.get(API, status=500, body="oops")
        result = only(HttpConnector().fetch([query(http())], Context()))
    assert type(result) is TransientError
    assert "HTTP 500" in str(result)
    assert result.retry_after is None


def test_http_garbage_body_is_transient():
    with responses.RequestsMock(assert_all_requests_are_fired=True) as mock:
        mock.get(API, body="<html>maintenance</html>")
        result = only(HttpConnector().fetch([query(http())], Context()))
    assert type(result) is TransientError
    assert "not JSON" in str(result)


def test_http_answers_each_query_in_order_even_when_one_fails():
    with responses.RequestsMock(assert_all_requests_are_fired=True) as mock:
        mock.get(API, json={"n": 1})
        mock.get(API + "/b", status=404)
        results = HttpConnector().fetch(
            [query(http(path="n")), query(http(url=API + "/b"))], Context()
        )
    assert results[0].value == 1.0
    assert type(results[1]) is TerminalError
    assert "HTTP 404" in str(results[1])


# --- http: settings ------------------------------------------------------------------------


def test_http_settings_from_plain_data():
    settings = structure_settings(
        HttpConnector,
        {"url": API, "path": "a.b", "headers": {"X": "1"}, "token": "t0ken-value"},
        "k",
    )
    assert settings == HttpSettings(url=API, path="a.b", headers={"X": "1"}, token="t0ken-value")


@pytest.mark.parametrize(
    ("raw", "setting", "message"),
    [
        ({"url": API, "colour": "red"}, "colour", "unknown setting colour"),
        ({"url": API, "headers": {"X": 1}}, "headers['X']", "expected str"),
        ({"url": API, "params": "a=1"}, "params", ""),
        ({"path": "a"}, "url", "this setting is required"),
        ({"url": 42}, "url", "expected str"),
        ({"url": API, "method": "PUT"}, "method", "PUT"),
        ({"url": API, "measure": "max"}, "measure", "max"),
    ],
)
def test_http_settings_errors_name_the_setting(raw, setting, message):
    with pytest.raises(SettingsError) as caught:
        structure_settings(HttpConnector, raw, "reach")
    assert caught.value.setting == setting
    assert caught.value.key_result == "reach"
    assert message in str(caught.value)


@pytest.mark.parametrize(
    ("settings", "setting", "message"),
    [
        ({"url": ""}, "url", "starting with https://"),
        ({"url": "ftp://example.com/x"}, "url", "starting with https://"),
        ({"url": API, "path": "a..b"}, "path", "cannot read 'a..b'"),
        ({"url": API, "path": "items[*]"}, "measure", "use measure: count or measure: sum"),
        ({"url": API, "body": {"a": 1}}, "body", "only sent with method: POST"),
        ({"url": API, "method": "POST", "body": {"d": dt.date(2026, 1, 1)}}, "body", "JSON"),
        ({"url": API, "token": "t", "username": "u", "password": "p"}, "token", "not both"),
        ({"url": API, "token": "t", "headers": {"authorization": "x"}}, "headers", "token sets"),
        ({"url": API, "username": "u"}, "password", "needs both"),
        ({"url": API, "password": "p"}, "username", "needs both"),
    ],
)
def test_http_settings_validators_name_the_setting(settings, setting, message):
    with pytest.raises(InvalidSettingError) as caught:
        HttpSettings(**settings)
    assert caught.value.setting == setting
    assert message in str(caught.value)


def test_a_settings_validator_error_reaches_the_user_as_a_settings_error():
    with pytest.raises(SettingsError) as caught:
        structure_settings(HttpConnector, {"url": "ftp://example.com/x"}, "k")
    assert caught.value.setting == "url"
    assert "starting with https://" in str(caught.value)


# --- sql -----------------------------------------------------------------------------------


@pytest.fixture
def database(tmp_path):
    path = tmp_path / "shop.db"
    with sqlite3.connect(path) as connection:
        connection.execute(
            "CREATE TABLE signups (id INTEGER PRIMARY KEY, email TEXT, plan TEXT, "
            "amount REAL, created_at TEXT)"
        )
        connection.executemany(
            "INSERT INTO signups (email, plan, amount, created_at) VALUES (?, ?, ?, ?)",
            [
                ("a@example.com", "free", 0, "2026-08-01T10:00:00Z"),
                ("b@example.com", "pro", 12.5, "2026-08-08T00:00:00Z"),
                ("c@example.com", "pro", 12.5, "2026-08-10T09:00:00Z"),
                ("d@example.com", "team", 40, "2026-08-14T23:59:59Z"),
                ("e@example.com", "pro", 12.5, "2026-08-15T00:00:00Z"),
            ],
        )
    connection.close()
    return path


def sql(query_text, url="sqlite:///shop.db", **params):
    return SqlSettings(url=url, query=query_text, params=params)


def fetch_sql(tmp_path, *settings, since=None):
    results = SqlConnector().fetch(
        [query(item, since=since) for item in settings], Context(base_dir=tmp_path)
    )
    assert len(results) == len(settings)
    return results


def test_sql_counts_rows_relative_to_the_okr_file_and_by_absolute_path(tmp_path, database):
    relative, absolute = fetch_sql(
        tmp_path,
        sql("SELECT COUNT(*) FROM signups"),
        sql("SELECT COUNT(*) AS n FROM signups", url=f"sqlite:///{database}"),
    )
    assert relative == Reading(5.0, raw={"COUNT(*)": 5.0})
    assert absolute.value == 5.0
    assert f"sqlite:///{database}".startswith("sqlite:////")


def test_sql_binds_params_as_values_never_as_sql(tmp_path, database):
    injection = "x' OR '1'='1"
    bound, plain = fetch_sql(
        tmp_path,
        sql("SELECT COUNT(*) FROM signups WHERE email = :email", email=injection),
        sql("SELECT SUM(amount) FROM signups WHERE plan = :plan", plan="pro"),
    )
    assert bound.value == 0.0
    assert plain.value == 37.5
    with sqlite3.connect(database) as connection:
        assert connection.execute("SELECT COUNT(*) FROM signups").fetchone() == (5,)
    connection.close()


@pytest.mark.usefixtures("database")
def test_sql_binds_since_and_until_from_the_window_when_the_query_names_them(tmp_path):
    windowed, until_only, neither = fetch_sql(
        tmp_path,
        sql("SELECT COUNT(*) FROM signups WHERE created_at >= :since AND created_at < :until"),
        sql("SELECT COUNT(*) FROM signups WHERE created_at < :until"),
        sql("SELECT COUNT(*) FROM signups"),
        since=WEEK_BEFORE_AT,
    )
    assert windowed.value == 3.0  # b (on the start, included), c, d; e is at `until`, excluded
    assert until_only.value == 4.0
    assert neither.value == 5.0


@pytest.mark.usefixtures("database")
def test_sql_baseline_needs_a_query_that_uses_until(tmp_path):
    cycle_start = dt.datetime(2026, 8, 9, tzinfo=UTC)
    context = Context(base_dir=tmp_path)
    answered, refused = SqlConnector().fetch(
        [
            query(
                sql("SELECT COUNT(*) FROM signups WHERE created_at < :until"),
                until=cycle_start,
                purpose="baseline",
            ),
            query(sql("SELECT COUNT(*) FROM signups"), until=cycle_start, purpose="baseline"),
        ],
        context,
    )
    assert answered.value == 2.0
    assert isinstance(refused, SettingsError)
    assert refused.setting == "query"
    assert "to measure the baseline (the value before the cycle began)" in str(refused)
    assert "or type the baseline in the file" in str(refused)


@pytest.mark.usefixtures("database")
def test_sql_since_without_a_window_is_a_settings_error(tmp_path):
    (result,) = fetch_sql(tmp_path, sql("SELECT COUNT(*) FROM signups WHERE created_at >= :since"))
    assert isinstance(result, SettingsError)
    assert result.setting == "query"
    assert "window" in str(result)


def test_sql_refuses_a_write_that_gets_past_the_select_check(tmp_path, database):
    (result,) = fetch_sql(tmp_path, sql("WITH gone AS (SELECT 1) DELETE FROM signups"))
    assert type(result) is TerminalError
    assert str(result) == "the sql connector only reads, and the query tries to delete from signups"
    with sqlite3.connect(database) as connection:
        assert connection.execute("SELECT COUNT(*) FROM signups").fetchone() == (5,)
    connection.close()


@pytest.mark.parametrize(
    ("query_text", "refused"),
    [
        ("WITH x AS (SELECT 1) INSERT INTO signups (email) VALUES ('z')", "insert into signups"),
        ("WITH x AS (SELECT 1) UPDATE signups SET plan = 'free'", "update signups"),
        ("SELECT load_extension('evil')", "call load_extension()"),
    ],
)
@pytest.mark.usefixtures("database")
def test_sql_authorizer_denies_everything_but_reading(tmp_path, query_text, refused):
    (result,) = fetch_sql(tmp_path, sql(query_text))
    assert type(result) is TerminalError
    assert str(result).endswith(f"the query tries to {refused}")


@pytest.mark.parametrize(
    "query_text",
    [
        "DELETE FROM signups",
        "  -- a comment\n/* another */ drop table signups",
        "PRAGMA writable_schema = ON",
        "INSERT INTO signups (email) VALUES ('x')",
    ],
)
def test_sql_settings_refuse_statements_that_do_not_read(query_text):
    with pytest.raises(InvalidSettingError) as caught:
        sql(query_text)
    assert caught.value.setting == "query"
    assert "the sql connector only reads" in str(caught.value)


def test_sql_settings_accept_reads_with_comments_and_a_final_semicolon():
    sql("-- count them\n  /* all */ select count(*) from signups;")
    sql("(SELECT 1)")
    sql("WITH n AS (SELECT 1) SELECT * FROM n")
    with pytest.raises(InvalidSettingError, match="without a second"):
        sql("SELECT 1; DELETE FROM signups")
    sql("SELECT ';' || 'x'")  # a semicolon in quotes is text, not a second statement


def test_sql_missing_database_names_the_resolved_path_and_does_not_create_it(tmp_path):
    (result,) = fetch_sql(tmp_path, sql("SELECT 1", url="sqlite:///data/missing.db"))
    missing = tmp_path / "data" / "missing.db"
    assert type(result) is TerminalError
    assert str(missing) in str(result)
    assert not missing.exists()


@pytest.mark.parametrize(
    ("query_text", "message"),
    [
        (
            "SELECT id FROM signups WHERE plan = 'none'",
            "the query returned no rows; it must return one row with one number",
        ),
        (
            "SELECT COUNT(*) AS n, MAX(amount) AS top FROM signups",
            "the query returned 2 columns (n, top); it must return one row with one number",
        ),
        ("SELECT id FROM signups", "the query returned more than one row"),
        ("SELECT email FROM signups WHERE id = 1", "the query returned 'a@example.com', not a"),
        ("SELECT SUM(amount) FROM signups WHERE plan = 'none'", "the query returned NULL"),
        ("SELECT COUNT(*) FROM nowhere", "failed: no such table: nowhere"),
    ],
)
@pytest.mark.usefixtures("database")
def test_sql_says_what_came_back_when_it_is_not_one_number(tmp_path, query_text, message):
    (result,) = fetch_sql(tmp_path, sql(query_text))
    assert type(result) is TerminalError
    assert message in str(result)


@pytest.mark.usefixtures("database")
def test_sql_reads_numeric_text(tmp_path):
    (result,) = fetch_sql(tmp_path, sql("SELECT '1,250'"))
    assert result.value == 1250.0


@pytest.mark.usefixtures("database")
def test_sql_opens_one_connection_per_database(tmp_path, monkeypatch):
    other = tmp_path / "other.db"
    with sqlite3.connect(other) as connection:
        connection.execute("CREATE TABLE t (x)")
    connection.close()
    opened = []
    real_connect = sqlite3.connect

    def counting_connect(*args, **kwargs):
        opened.append(args[0])
        return real_connect(*args, **kwargs)

    monkeypatch.setattr(sqlite3, "connect", counting_connect)
    results = fetch_sql(
        tmp_path,
        sql("SELECT COUNT(*) FROM signups"),
        sql("SELECT COUNT(*) FROM t", url="sqlite:///other.db"),
        sql("SELECT MAX(amount) FROM signups"),
        sql("SELECT MIN(amount) FROM signups"),
    )
    assert [result.value for result in results] == [5.0, 0.0, 40.0, 0.0]
    assert len(opened) == 2
    assert all(target.startswith("file:") and target.endswith("?mode=ro") for target in opened)


@pytest.mark.parametrize(
    ("raw", "setting", "message"),
    [
        ({"url": "sqlite:///x.db"}, "query", "this setting is required"),
        ({"url": "sqlite:///x.db", "query": "SELECT 1", "params": []}, "params", ""),
        ({"url": "sqlite:///x.db", "query": "SELECT 1", "user": "me"}, "user", "unknown setting"),
    ],
)
def test_sql_settings_errors_name_the_setting(raw, setting, message):
    with pytest.raises(SettingsError) as caught:
        structure_settings(SqlConnector, raw, "k")
    assert caught.value.setting == setting
    assert message in str(caught.value)


@pytest.mark.parametrize(
    ("settings", "setting", "message"),
    [
        ({"url": "signups.db"}, "url", "write a database URL"),
        ({"url": "sqlite://"}, "url", "in-memory"),
        ({"url": "sqlite:///:memory:"}, "url", "in-memory"),
        ({"url": "sqlite:///x.db?mode=rw"}, "url", "no options"),
        ({"params": {"plan": "pro"}}, "params", "the query does not use :plan"),
        ({"query": "SELECT :plan, :region"}, "params", "the query uses :plan, :region"),
        ({"query": "SELECT :since", "params": {"since": "x"}}, "params", "bound from"),
        ({"query": "SELECT :a", "params": {"a": [1]}}, "params", "a parameter is text"),
    ],
)
def test_sql_settings_validators_name_the_setting(settings, setting, message):
    with pytest.raises(InvalidSettingError) as caught:
        SqlSettings(**{"url": "sqlite:///x.db", "query": "SELECT 1", **settings})
    assert caught.value.setting == setting
    assert message in str(caught.value)


def test_parameters_of_ignores_casts_quotes_and_comments():
    text = "SELECT :a, x::int, ':b', \"c:d\" -- :e\n, :f /* :g */ FROM t WHERE y = :a"
    assert parameters_of(text) == ["a", "f"]


def test_sql_through_sqlalchemy(tmp_path, database):
    results = fetch_sql(
        tmp_path,
        sql(
            "SELECT COUNT(*) FROM signups WHERE created_at < :until",
            url="sqlite+pysqlite:///shop.db",
        ),
        sql(
            "SELECT COUNT(*) FROM signups WHERE email = :email",
            url="sqlite+pysqlite:///shop.db",
            email="x' OR '1'='1",
        ),
        sql("SELECT email, plan FROM signups", url="sqlite+pysqlite:///shop.db"),
        sql("WITH gone AS (SELECT 1) DELETE FROM signups", url="sqlite+pysqlite:///shop.db"),
        sql("SELECT COUNT(*) FROM signups", url=f"sqlite+pysqlite:///{database}"),
    )
    assert results[0].value == 4.0
    assert results[1].value == 0.0
    assert "2 columns (email, plan)" in str(results[2])
    assert type(results[3]) is TerminalError
    assert "the sql connector only reads" in str(results[3])
    assert results[4].value == 5.0
    with sqlite3.connect(database) as connection:
        assert connection.execute("SELECT COUNT(*) FROM signups").fetchone() == (5,)
    connection.close()


def test_sql_through_sqlalchemy_missing_file_is_not_created(tmp_path):
    (result,) = fetch_sql(tmp_path, sql("SELECT 1", url="sqlite+pysqlite:///gone.db"))
    assert type(result) is TerminalError
    assert str(tmp_path / "gone.db") in str(result)
    assert not (tmp_path / "gone.db").exists()


def test_sql_never_shows_a_urls_password(tmp_path):
    settings = sql("SELECT 1", url="postgresql://reader:hunter2-pw@127.0.0.1:1/shop")
    (result,) = fetch_sql(tmp_path, settings)
    assert isinstance(result, TerminalError | TransientError)
    assert "hunter2-pw" not in str(result)
    assert "postgresql://reader:***@127.0.0.1:1/shop" in str(result)


def test_sql_without_sqlalchemy_says_what_to_install(tmp_path, monkeypatch):
    monkeypatch.setitem(sys.modules, "sqlalchemy", None)
    (result,) = fetch_sql(tmp_path, sql("SELECT 1", url="postgresql://db.example.com/shop"))
    assert type(result) is TerminalError
    assert "pip install sqlalchemy" in str(result)
    assert "psycopg" in str(result)


# --- csv -----------------------------------------------------------------------------------

SALES = """\
date,team,amount,note
2026-08-01,a,10,first
2026-08-08T00:00:00Z,b,"1,234.5",
2026-08-09T12:00:00+02:00,a,5.5,
2026-08-14T23:59:59Z,a,,blank amount
2026-08-15,b,100,at the end of the window
"""


@pytest.fixture
def sales(tmp_path):
    (tmp_path / "sales.csv").write_text(SALES, encoding="utf-8")
    return tmp_path / "sales.csv"


def fetch_csv(tmp_path, *settings, since=None, until=AT, purpose="value"):
    results = CsvConnector().fetch(
        [query(item, since=since, until=until, purpose=purpose) for item in settings],
        Context(base_dir=tmp_path),
    )
    assert len(results) == len(settings)
    return results


@pytest.mark.usefixtures("sales")
def test_csv_counts_sums_and_reads_the_last_value(tmp_path):
    count, where, total, last = fetch_csv(
        tmp_path,
        CsvSettings("sales.csv"),
        CsvSettings("sales.csv", where={"team": "a"}),
        CsvSettings("sales.csv", measure="sum", column="amount"),
        CsvSettings("sales.csv", measure="last", column="amount", where={"team": "b"}),
    )
    assert count == Reading(5.0, raw={"rows": 5})
    assert where.value == 3.0
    assert total.value == 1350.0
    assert total.note == "skipped 1 blank cell"
    assert last.value == 100.0
    assert last.raw == {"row": 6, "amount": "100"}


@pytest.mark.usefixtures("sales")
def test_csv_filters_rows_to_the_window_by_date_column(tmp_path):
    count, total, last, team_a = fetch_csv(
        tmp_path,
        CsvSettings("sales.csv", date_column="date"),
        CsvSettings("sales.csv", date_column="date", measure="sum", column="amount"),
        CsvSettings("sales.csv", date_column="date", measure="last", column="amount"),
        CsvSettings("sales.csv", date_column="date", where={"team": "a"}),
        since=WEEK_BEFORE_AT,
    )
    # 08-08T00:00Z is on the start (kept); 08-09T12:00+02:00 inside; 08-14T23:59:59Z inside;
    # 08-15 is `until` (left out); 08-01 is before the window
    assert count.value == 3.0
    assert total.value == 1240.0
    assert last.value == 5.5  # the latest dated row with a number is 08-09; 08-14 is blank
    assert last.observed_at == dt.datetime(2026, 8, 9, 10, tzinfo=UTC)
    assert last.note == "passed over 1 later row with a blank cell"
    assert team_a.value == 2.0


def test_csv_last_with_dates_takes_the_latest_row_not_the_last_line(tmp_path):
    (tmp_path / "balance.csv").write_text(
        "day,balance\n2026-08-03,-20\n2026-08-01,50\n2026-08-02,-35.5\n", encoding="utf-8"
    )
    last = CsvSettings("balance.csv", date_column="day", measure="last", column="balance")
    (latest,) = fetch_csv(tmp_path, last)
    assert latest.value == -20.0
    assert latest.observed_at == dt.datetime(2026, 8, 3, tzinfo=UTC)
    assert latest.raw == {"row": 2, "balance": "-20"}
    (before,) = fetch_csv(tmp_path, last, until=dt.datetime(2026, 8, 3, tzinfo=UTC))
    assert before.value == -35.5
    assert before.observed_at == dt.datetime(2026, 8, 2, tzinfo=UTC)
    (undated,) = fetch_csv(tmp_path, CsvSettings("balance.csv", measure="last", column="balance"))
    assert undated.value == -35.5


@pytest.mark.usefixtures("sales")
def test_csv_last_with_only_blank_cells_is_an_error(tmp_path):
    (blank,) = fetch_csv(
        tmp_path,
        CsvSettings("sales.csv", date_column="date", measure="last", column="amount"),
        since=dt.datetime(2026, 8, 14, tzinfo=UTC),
    )
    assert type(blank) is TerminalError
    assert str(blank) == (
        f"no row of {tmp_path / 'sales.csv'} matches (1 with a blank 'amount'), "
        "so there is no last value of 'amount'"
    )


@pytest.mark.usefixtures("sales")
def test_csv_window_without_a_date_column_is_a_settings_error(tmp_path):
    (result,) = fetch_csv(tmp_path, CsvSettings("sales.csv"), since=WEEK_BEFORE_AT)
    assert isinstance(result, SettingsError)
    assert result.setting == "date_column"


@pytest.mark.usefixtures("sales")
def test_csv_start_of_the_cycle_needs_a_date_column(tmp_path):
    start = dt.datetime(2026, 8, 9, tzinfo=UTC)
    dated, undated = fetch_csv(
        tmp_path,
        CsvSettings("sales.csv", date_column="date"),
        CsvSettings("sales.csv"),
        until=start,
        purpose="start",
    )
    assert dated.value == 2.0
    assert isinstance(undated, SettingsError)
    assert undated.setting == "date_column"
    assert "the value when the cycle began (aggregate: change)" in str(undated)


@pytest.mark.usefixtures("sales")
def test_csv_empty_selections(tmp_path):
    count, total, last = fetch_csv(
        tmp_path,
        CsvSettings("sales.csv", where={"team": "z"}),
        CsvSettings("sales.csv", where={"team": "z"}, measure="sum", column="amount"),
        CsvSettings("sales.csv", where={"team": "z"}, measure="last", column="amount"),
    )
    assert count.value == 0.0
    assert total.value == 0.0
    assert type(last) is TerminalError
    assert "no row of" in str(last)


def test_csv_bad_number_names_the_row(tmp_path):
    (tmp_path / "bad.csv").write_text("amount\n1\n2\nlots\n", encoding="utf-8")
    (result,) = fetch_csv(tmp_path, CsvSettings("bad.csv", measure="sum", column="amount"))
    assert type(result) is TerminalError
    assert (
        str(result) == f"row 4 of {tmp_path / 'bad.csv'}, column 'amount': 'lots' is not a number"
    )


def test_csv_bad_date_names_the_row(tmp_path):
    (tmp_path / "bad.csv").write_text("day\n2026-08-01\nyesterday\n", encoding="utf-8")
    (result,) = fetch_csv(tmp_path, CsvSettings("bad.csv", date_column="day"))
    assert type(result) is TerminalError
    assert "row 3 of" in str(result)
    assert "'yesterday' is not an ISO date" in str(result)


def test_csv_missing_file_names_the_resolved_path(tmp_path):
    (result,) = fetch_csv(tmp_path, CsvSettings("data/nope.csv"))
    assert type(result) is TerminalError
    assert str(result) == f"the CSV file {tmp_path / 'data' / 'nope.csv'} does not exist"


@pytest.mark.usefixtures("sales")
def test_csv_unknown_columns_are_settings_errors(tmp_path):
    column, where, date = fetch_csv(
        tmp_path,
        CsvSettings("sales.csv", measure="sum", column="price"),
        CsvSettings("sales.csv", where={"region": "eu"}),
        CsvSettings("sales.csv", date_column="when"),
    )
    assert (column.setting, where.setting, date.setting) == (
        "column",
        "where.region",
        "date_column",
    )
    assert "has no column 'price' (its columns: date, team, amount, note)" in str(column)


def test_csv_delimiter_encoding_and_byte_order_mark(tmp_path):
    (tmp_path / "eu.csv").write_bytes("équipe;montant\nA;3\nB;4\n".encode("latin-1"))
    (tmp_path / "bom.csv").write_bytes("\ufeffteam,amount\na,1\n".encode())
    eu, bom = fetch_csv(
        tmp_path,
        CsvSettings("eu.csv", measure="sum", column="montant", delimiter=";", encoding="latin-1"),
        CsvSettings("bom.csv", where={"team": "a"}),
    )
    assert eu.value == 7.0
    assert bom.value == 1.0
    (wrong,) = fetch_csv(tmp_path, CsvSettings("eu.csv", delimiter=";"))
    assert type(wrong) is TerminalError
    assert "is not utf-8 text" in str(wrong)


def test_csv_reads_each_file_once_per_batch(tmp_path, sales, monkeypatch):
    reads = []
    real = pathlib.Path.read_bytes

    def counting(self):
        reads.append(self)
        return real(self)

    monkeypatch.setattr(pathlib.Path, "read_bytes", counting)
    results = fetch_csv(
        tmp_path,
        CsvSettings("sales.csv"),
        CsvSettings("sales.csv", where={"team": "a"}),
        CsvSettings("sales.csv", measure="sum", column="amount"),
    )
    assert [result.value for result in results] == [5.0, 3.0, 1350.0]
    assert reads == [sales]


def test_csv_from_a_url_is_fetched_once_per_batch(tmp_path):
    url = "https://data.example.com/sales.csv"
    with responses.RequestsMock(assert_all_requests_are_fired=True) as mock:
        mock.get(url, body=SALES, content_type="text/csv")
        count, total = fetch_csv(
            tmp_path,
            CsvSettings(url, date_column="date"),
            CsvSettings(url, "sum", "amount", where={"team": "a"}, date_column="date"),
            since=WEEK_BEFORE_AT,
        )
        assert len(mock.calls) == 1
    assert count.value == 3.0
    assert total.value == 5.5


def test_csv_url_errors_map_like_any_http_source(tmp_path):
    url = "https://data.example.com/sales.csv"
    with responses.RequestsMock(assert_all_requests_are_fired=True) as mock:
        mock.get(url, status=503, headers={"Retry-After": "5"})
        first, second = fetch_csv(tmp_path, CsvSettings(url), CsvSettings(url, where={"a": "b"}))
    assert type(first) is TransientError
    assert first.retry_after == 5.0
    assert type(second) is TransientError
    assert first is not second


@pytest.mark.parametrize(
    ("settings", "setting", "message"),
    [
        ({"path": " "}, "path", "name a CSV file"),
        ({"measure": "sum"}, "column", "measure sum needs the column"),
        ({"measure": "last"}, "column", "measure last needs the column"),
        ({"column": "amount"}, "column", "takes no column"),
        ({"delimiter": "ab"}, "delimiter", "one character"),
        ({"encoding": "klingon"}, "encoding", "not a text encoding"),
    ],
)
def test_csv_settings_validators_name_the_setting(settings, setting, message):
    with pytest.raises(InvalidSettingError) as caught:
        CsvSettings(**{"path": "sales.csv", **settings})
    assert caught.value.setting == setting
    assert message in str(caught.value)


def test_csv_settings_from_plain_data():
    assert structure_settings(
        CsvConnector, {"path": "m.csv", "measure": "count", "date_column": "posted_at"}, "k"
    ) == CsvSettings("m.csv", date_column="posted_at")
    with pytest.raises(SettingsError) as caught:
        structure_settings(CsvConnector, {"path": "m.csv", "where": {"n": 1}}, "k")
    assert caught.value.setting == "where['n']"


# --- the shipped example data --------------------------------------------------------------


def test_example_signups_count_at_the_end_of_the_cycle():
    settings = SqlSettings(
        url="sqlite:///signups.db", query="SELECT COUNT(*) FROM signups WHERE created_at < :until"
    )
    end = dt.datetime(2026, 10, 1, tzinfo=UTC)
    (at_end,) = SqlConnector().fetch([query(settings, until=end)], Context(base_dir=EXAMPLE))
    (mid,) = SqlConnector().fetch([query(settings)], Context(base_dir=EXAMPLE))
    assert 3900 <= at_end.value <= 4600
    assert 0 < mid.value < at_end.value  # growing over the cycle


def test_example_mentions_grow_a_little_short_of_forty_percent():
    settings = CsvSettings("mentions.csv", date_column="posted_at")
    cycle_start = dt.datetime(2026, 7, 1, tzinfo=UTC)
    cycle_end = dt.datetime(2026, 10, 1, tzinfo=UTC)
    week = dt.timedelta(days=7)
    before, last = CsvConnector().fetch(
        [
            query(settings, since=cycle_start - week, until=cycle_start),
            query(settings, since=cycle_end - week, until=cycle_end),
        ],
        Context(base_dir=EXAMPLE),
    )
    assert 150 <= before.value <= 190
    assert 1.30 <= last.value / before.value <= 1.38


def test_example_data_files_are_small_and_remade_exactly(tmp_path):
    for name in ("signups.db", "mentions.csv"):
        assert (EXAMPLE / name).stat().st_size < 1_000_000
    assert runpy.run_path(str(EXAMPLE / "make_data.py"))["make"](tmp_path) == (4242, 3354)
    assert (tmp_path / "mentions.csv").read_bytes() == (EXAMPLE / "mentions.csv").read_bytes()
    dump = "SELECT id, email, created_at FROM signups ORDER BY id"
    with (
        sqlite3.connect(tmp_path / "signups.db") as made,
        sqlite3.connect(EXAMPLE / "signups.db") as shipped,
    ):
        assert made.execute(dump).fetchall() == shipped.execute(dump).fetchall()
    made.close()
    shipped.close()


def test_settings_classes_are_frozen():
    for settings in (StaticSettings(1), HttpSettings(API), sql("SELECT 1"), CsvSettings("a.csv")):
        with pytest.raises(attrs.exceptions.FrozenInstanceError):
            settings.url = "x"
