"""The x connector against a mocked X API: requests, the 7-day span, counts and errors."""

# the tokens here are made up for the tests

import datetime as dt

import pytest
import requests
import responses
from okrkit.connectors import (
    Context,
    CredentialsError,
    Query,
    QuotaError,
    Reading,
    SettingsError,
    TerminalError,
    TransientError,
    Window,
)
from okrkit.connectors._settings import structure_settings
from responses import matchers

from okrkit_social import XConnector, XSettings

UTC = dt.UTC
AT = dt.datetime(2026, 8, 15, 9, 0, tzinfo=UTC)
WEEK = dt.timedelta(days=7)
URL = "https://api.x.com/2/tweets/counts/recent"
TOKEN = "AAAAAAAAAAAAAAAAAAAAAbearer-token-for-tests"
SETTINGS = XSettings(query="acmewidget -is:retweet", token=TOKEN)
AUTH = matchers.header_matcher({"Authorization": f"Bearer {TOKEN}"})


def query(since=AT - WEEK, until=AT, purpose="value", settings=SETTINGS):
    return Query("mentions", settings, Window(since, until), AT, purpose=purpose)


def fetch(*queries, now=AT, context=None):
    connector = XConnector(clock=now.timestamp)
    return list(connector.fetch(queries, context or Context()))


def only(results):
    assert len(results) == 1
    return results[0]


def params(start, end, **more):
    return matchers.query_param_matcher(
        {
            "query": "acmewidget -is:retweet",
            "start_time": start,
            "end_time": end,
            "granularity": "day",
            **more,
        }
    )


def counts(*days, total=None, next_token=None):
    meta = {"total_tweet_count": sum(days) if total is None else total}
    if next_token:
        meta["next_token"] = next_token
    start = dt.datetime(2026, 8, 12, 9, tzinfo=UTC)
    data = [
        {
            "end": (start + dt.timedelta(days=index + 1)).isoformat().replace("+00:00", ".000Z"),
            "start": (start + dt.timedelta(days=index)).isoformat().replace("+00:00", ".000Z"),
            "tweet_count": count,
        }
        for index, count in enumerate(days)
    ]
    return {"data": data, "meta": meta}


# --- settings ------------------------------------------------------------------------------


def test_settings_need_a_query_and_a_token_and_keep_the_token_out_of_repr():
    made = structure_settings(XConnector, {"query": "acme", "token": TOKEN}, "kr")
    assert made == XSettings(query="acme", token=TOKEN)
    assert TOKEN not in repr(made)
    with pytest.raises(SettingsError) as caught:
        structure_settings(XConnector, {"query": " ", "token": TOKEN}, "kr")
    assert caught.value.setting == "query"
    with pytest.raises(SettingsError) as caught:
        structure_settings(XConnector, {"query": "acme"}, "kr")
    assert caught.value.setting == "token"
    assert "this setting is required" in str(caught.value)


# --- requests and counts -------------------------------------------------------------------


def test_counts_send_the_query_the_window_and_the_bearer_token():
    context = Context()
    three_days = query(since=AT - dt.timedelta(days=3))
    with responses.RequestsMock(assert_all_requests_are_fired=True) as mock:
        mock.get(
            URL,
            json=counts(120, 80, 17),
            headers={"x-rate-limit-remaining": "299", "x-rate-limit-reset": "1786785300"},
            match=[params("2026-08-12T09:00:00Z", "2026-08-15T09:00:00Z"), AUTH],
        )
        result = only(fetch(three_days, now=AT + dt.timedelta(minutes=10), context=context))
        request = mock.calls[0].request
    assert request.url == (
        URL + "?query=acmewidget+-is%3Aretweet&start_time=2026-08-12T09%3A00%3A00Z"
        "&end_time=2026-08-15T09%3A00%3A00Z&granularity=day"
    )
    assert result == Reading(
        217.0,
        raw={
            "total_tweet_count": 217,
            "start_time": "2026-08-12T09:00:00Z",
            "end_time": "2026-08-15T09:00:00Z",
            "pages": 1,
            "days": [
                {"start": "2026-08-12T09:00:00.000Z", "tweet_count": 120},
                {"start": "2026-08-13T09:00:00.000Z", "tweet_count": 80},
                {"start": "2026-08-14T09:00:00.000Z", "tweet_count": 17},
            ],
        },
    )
    assert context.costs == {"x.requests": 1}
    assert context.redactor.redact(f"Authorization: {TOKEN}") == "Authorization: ***"


def test_a_7d_window_at_the_refresh_moment_keeps_inside_what_x_can_count_without_a_note():
    # X counts from 7 days before the request and up to 10 seconds before it: the window's
    # edges move 30 seconds inside, which is not worth a note
    with responses.RequestsMock(assert_all_requests_are_fired=True) as mock:
        mock.get(
            URL,
            json=counts(3, 4),
            match=[params("2026-08-08T09:00:30Z", "2026-08-15T08:59:30Z"), AUTH],
        )
        result = only(fetch(query()))
    assert result.value == 7.0
    assert result.note is None


def test_a_window_reaching_further_back_than_7_days_is_counted_from_there_with_a_note():
    now = AT + dt.timedelta(hours=3)  # a refresh --at three hours ago
    with responses.RequestsMock(assert_all_requests_are_fired=True) as mock:
        mock.get(
            URL, json=counts(5), match=[params("2026-08-08T12:00:30Z", "2026-08-15T09:00:00Z")]
        )
        result = only(fetch(query(), now=now))
    assert result.value == 5.0
    assert result.note == (
        "X's recent counts reach back only 7 days: counted from 2026-08-08T12:00:30Z; the "
        "window's first 3 hours were not counted"
    )


def test_a_window_longer_than_7_days_is_a_settings_error_before_any_request():
    with responses.RequestsMock(assert_all_requests_are_fired=True):
        result = only(fetch(query(since=AT - 2 * WEEK)))
    assert isinstance(result, SettingsError)
    assert result.setting == "window"
    assert "this window is 14 days long: use window: 7d or less" in str(result)


def test_a_baseline_older_than_7_days_fails_saying_to_type_it_in_the_file():
    start = dt.datetime(2026, 7, 1, tzinfo=UTC)
    with responses.RequestsMock(assert_all_requests_are_fired=True):
        result = only(fetch(query(since=start - WEEK, until=start, purpose="baseline")))
    assert isinstance(result, TerminalError)
    assert str(result) == (
        "X's recent counts reach back only 7 days (to 2026-08-08T09:00:30Z), and this window "
        "ends at 2026-07-01T00:00:00Z: type the baseline in the file (baseline: N)"
    )


def test_no_window_is_a_settings_error():
    result = only(fetch(query(since=None)))
    assert isinstance(result, SettingsError)
    assert result.setting == "window"
    assert "window: 7d" in str(result)


def test_pages_are_followed_with_next_token_and_added_up():
    context = Context()
    with responses.RequestsMock(assert_all_requests_are_fired=True) as mock:
        mock.get(
            URL,
            json=counts(10, 20, next_token="page-2"),
            match=[params("2026-08-12T09:00:00Z", "2026-08-15T08:00:00Z"), AUTH],
        )
        mock.get(
            URL,
            json=counts(5),
            match=[
                params("2026-08-12T09:00:00Z", "2026-08-15T08:00:00Z", next_token="page-2"),
                AUTH,
            ],
        )
        result = only(
            fetch(
                query(since=AT - dt.timedelta(days=3), until=AT - dt.timedelta(hours=1)),
                context=context,
            )
        )
    assert result.value == 35.0
    assert result.raw["pages"] == 2
    assert context.costs == {"x.requests": 2}


def test_without_a_total_the_daily_counts_are_added_up():
    answer = counts(4, 6)
    del answer["meta"]["total_tweet_count"]
    with responses.RequestsMock(assert_all_requests_are_fired=True) as mock:
        mock.get(URL, json=answer)
        result = only(fetch(query()))
    assert result.value == 10.0


def test_no_posts_is_zero():
    with responses.RequestsMock(assert_all_requests_are_fired=True) as mock:
        mock.get(URL, json={"meta": {"total_tweet_count": 0}})
        result = only(fetch(query()))
    assert result.value == 0.0
    assert result.raw["days"] == []


@pytest.mark.parametrize(
    ("answer", "message"),
    [
        ({"data": []}, "has no 'meta.total_tweet_count'"),
        ({"data": [], "meta": {}}, "has no 'meta.total_tweet_count'"),
        (
            {"data": [{"tweet_count": 1}, {"start": "x"}], "meta": {}},
            "has no 'data[1].tweet_count'",
        ),
        ({"meta": {"total_tweet_count": "lots"}}, "meta.total_tweet_count in the answer"),
        ({"meta": {"total_tweet_count": -1}}, "is -1, not a count"),
        ([1, 2], "is not an object"),
        (
            {"errors": [{"message": "The query is too complex"}], "title": "Invalid"},
            "X answered with an error: The query is too complex",
        ),
    ],
)
def test_malformed_answers_are_terminal_errors_naming_the_field(answer, message):
    with responses.RequestsMock(assert_all_requests_are_fired=True) as mock:
        mock.get(URL, json=answer)
        result = only(fetch(query()))
    assert isinstance(result, TerminalError)
    assert message in str(result)


# --- errors --------------------------------------------------------------------------------


def test_401_is_a_credentials_error_that_never_shows_the_token():
    with responses.RequestsMock(assert_all_requests_are_fired=True) as mock:
        mock.get(
            URL,
            status=401,
            json={
                "title": "Unauthorized",
                "type": "about:blank",
                "status": 401,
                "detail": "Unauthorized",
            },
        )
        result = only(fetch(query()))
    assert isinstance(result, CredentialsError)
    assert str(result).startswith("X refused the bearer token (HTTP 401: Unauthorized): check")
    assert "Keys and tokens" in str(result)
    assert TOKEN not in str(result)


def test_403_client_not_enrolled_says_which_access_level_counts_need():
    problem = {
        "client_id": "27347717",
        "detail": "When authenticating requests to the Twitter API v2 endpoints, you must use "
        "keys and tokens from a Twitter developer App that is attached to a Project.",
        "registration_url": "https://developer.twitter.com/en/docs/projects/overview",
        "title": "Client Forbidden",
        "required_enrollment": "Appropriate Level of API Access",
        "reason": "client-not-enrolled",
        "type": "https://api.twitter.com/2/problems/client-forbidden",
    }
    with responses.RequestsMock(assert_all_requests_are_fired=True) as mock:
        mock.get(URL, status=403, json=problem)
        result = only(fetch(query()))
    assert isinstance(result, CredentialsError)
    assert "HTTP 403 client-not-enrolled; X asks for: Appropriate Level of API Access" in str(
        result
    )
    assert "Project with Pro or Enterprise access" in str(result)
    assert "Free and Basic access do not include them" in str(result)


def test_another_403_is_a_credentials_error_with_xs_words():
    with responses.RequestsMock(assert_all_requests_are_fired=True) as mock:
        mock.get(
            URL, status=403, json={"title": "Unsupported Authentication", "detail": "OAuth 1.0a"}
        )
        result = only(fetch(query()))
    assert isinstance(result, CredentialsError)
    assert str(result) == "X refused the request (HTTP 403: Unsupported Authentication: OAuth 1.0a)"


def test_429_is_transient_and_waits_until_the_rate_limit_resets():
    reset = str(int(AT.timestamp()) + 42)
    headers = {
        "x-rate-limit-limit": "300",
        "x-rate-limit-remaining": "0",
        "x-rate-limit-reset": reset,
    }
    with responses.RequestsMock(assert_all_requests_are_fired=True) as mock:
        mock.get(URL, status=429, json={"title": "Too Many Requests"}, headers=headers)
        result = only(fetch(query()))
    assert isinstance(result, TransientError)
    assert result.retry_after == 42.0
    assert str(result) == "X answered HTTP 429 (too many requests); it resets in 42s"


def test_429_usage_cap_exceeded_is_a_quota_error():
    problem = {
        "account_id": "1234",
        "product_name": "standard-basic",
        "title": "UsageCapExceeded",
        "period": "Monthly",
        "scope": "Product",
        "detail": "Usage cap exceeded: Monthly product cap",
        "type": "https://api.twitter.com/2/problems/usage-capped",
    }
    with responses.RequestsMock(assert_all_requests_are_fired=True) as mock:
        mock.get(URL, status=429, json=problem, headers={"x-rate-limit-remaining": "299"})
        result = only(fetch(query()))
    assert isinstance(result, QuotaError)
    assert str(result) == (
        "X's usage cap is spent (UsageCapExceeded: Usage cap exceeded: Monthly product cap): "
        "wait for the monthly cap to reset, or raise it in the X developer console"
    )


def test_a_spent_rate_limit_stops_before_the_next_page():
    headers = {"x-rate-limit-remaining": "0", "x-rate-limit-reset": str(int(AT.timestamp()) + 600)}
    with responses.RequestsMock(assert_all_requests_are_fired=True) as mock:
        mock.get(URL, json=counts(1, next_token="more"), headers=headers)
        result = only(fetch(query()))
        assert len(mock.calls) == 1
    assert isinstance(result, TransientError)
    assert result.retry_after == 600.0


def test_400_on_the_query_is_a_settings_error_with_xs_message():
    problem = {
        "errors": [
            {
                "parameters": {"query": ["acme ("]},
                "message": "There were errors processing your request: missing )",
            }
        ],
        "title": "Invalid Request",
        "detail": "One or more parameters to your request was invalid.",
        "type": "https://api.twitter.com/2/problems/invalid-request",
    }
    with responses.RequestsMock(assert_all_requests_are_fired=True) as mock:
        mock.get(URL, status=400, json=problem)
        result = only(fetch(query()))
    assert isinstance(result, SettingsError)
    assert result.setting == "query"
    assert "missing )" in str(result)


def test_400_on_the_time_span_is_a_terminal_error():
    problem = {
        "errors": [
            {
                "message": "Invalid 'start_time':'2026-08-01T00:00Z'. 'start_time' must be on "
                "or after 2026-08-08T09:00Z"
            }
        ]
    }
    with responses.RequestsMock(assert_all_requests_are_fired=True) as mock:
        mock.get(URL, status=400, json=problem)
        result = only(fetch(query()))
    assert type(result) is TerminalError
    assert "X refused the time span (HTTP 400: Invalid 'start_time'" in str(result)


@pytest.mark.parametrize("status", [500, 502, 503])
def test_server_errors_are_transient(status):
    with responses.RequestsMock(assert_all_requests_are_fired=True) as mock:
        mock.get(URL, status=status, body="upstream failed", headers={"Retry-After": "5"})
        result = only(fetch(query()))
    assert isinstance(result, TransientError)
    assert result.retry_after == 5.0


def test_a_timeout_is_transient():
    with responses.RequestsMock(assert_all_requests_are_fired=True) as mock:
        mock.get(URL, body=requests.Timeout())
        result = only(fetch(query()))
    assert isinstance(result, TransientError)
    assert "timed out" in str(result)
