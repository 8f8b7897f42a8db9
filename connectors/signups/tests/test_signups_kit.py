"""The kit connector against a mocked Kit API v4: requests, values and every failure."""

# the API keys here are made up for the tests

import datetime as dt

import pytest
import requests
import responses
from okrkit.connectors import (
    Context,
    CredentialsError,
    Query,
    Reading,
    SettingsError,
    TerminalError,
    TransientError,
    Window,
)
from okrkit.connectors._settings import structure_settings
from responses import matchers

from okrkit_signups.kit import KitConnector, KitSettings

UTC = dt.UTC
AT = dt.datetime(2026, 8, 15, 9, 30, tzinfo=UTC)
WEEK_AGO = dt.datetime(2026, 8, 8, 9, 30, tzinfo=UTC)
KEY = "kit_0a1b2c3d4e5f60718293a4b5c6d7e8f9"
SUBSCRIBERS = "https://api.kit.com/v4/subscribers"
HEADERS = {"X-Kit-Api-Key": KEY, "Accept": "application/json"}


def settings(**changes):
    return KitSettings(**{"api_key": KEY, **changes})


def query(chosen, since=None, until=AT, purpose="value"):
    return Query("signups", chosen, Window(since, until), at=AT, purpose=purpose)


def fetch(chosen, **window):
    [result] = KitConnector().fetch([query(chosen, **window)], Context())
    return result


def page(total, subscribers=None):
    """A Kit v4 list answer: one page of subscribers and the pagination with the total."""
    listed = (
        subscribers
        if subscribers is not None
        else [
            {
                "id": 16479,
                "first_name": "Alice",
                "email_address": "alice@example.com",
                "state": "active",
                "created_at": "2026-08-10T11:43:55Z",
                "fields": {},
            }
        ]
    )
    return {
        "subscribers": listed,
        "pagination": {
            "has_previous_page": False,
            "has_next_page": total > len(listed),
            "start_cursor": "WzE2NDc5XQ==",
            "end_cursor": "WzE2NDc5XQ==",
            "per_page": 1,
            "total_count": total,
        },
    }


def params(**extra):
    return {
        "include_total_count": "true",
        "per_page": "1",
        "status": "active",
        "created_before": "2026-08-15T09:30:00Z",
        **extra,
    }


# --- what is asked, and what is read -------------------------------------------------------


def test_every_active_subscriber_is_counted_from_the_total_count():
    with responses.RequestsMock(assert_all_requests_are_fired=True) as mock:
        mock.get(
            SUBSCRIBERS,
            match=[
                matchers.query_param_matcher(params()),
                matchers.header_matcher(HEADERS),
            ],
            json=page(4181),
        )
        result = fetch(settings())
        request = mock.calls[0].request
    assert request.method == "GET"
    assert request.url == (
        f"{SUBSCRIBERS}?include_total_count=true&per_page=1&status=active"
        "&created_before=2026-08-15T09%3A30%3A00Z"
    )
    assert request.headers["X-Kit-Api-Key"] == KEY
    assert "Authorization" not in request.headers
    assert result == Reading(
        4181.0,
        raw={
            "endpoint": "/v4/subscribers",
            "total_count": 4181,
            "include_total_count": "true",
            "per_page": "1",
            "status": "active",
            "created_before": "2026-08-15T09:30:00Z",
        },
    )


def test_no_subscribers_count_zero():
    with responses.RequestsMock(assert_all_requests_are_fired=True) as mock:
        mock.get(SUBSCRIBERS, json=page(0, subscribers=[]))
        assert fetch(settings()).value == 0.0


def test_the_window_is_the_creation_span():
    expected = params(created_after="2026-08-08T09:30:00Z")
    with responses.RequestsMock(assert_all_requests_are_fired=True) as mock:
        mock.get(SUBSCRIBERS, match=[matchers.query_param_matcher(expected)], json=page(312))
        result = fetch(settings(), since=WEEK_AGO)
    assert result.value == 312.0
    assert result.raw["created_after"] == "2026-08-08T09:30:00Z"


@pytest.mark.parametrize("purpose", ["baseline", "start"])
def test_the_past_is_counted_up_to_its_moment(purpose):
    expected = params(created_before="2026-07-01T00:00:00Z")
    with responses.RequestsMock(assert_all_requests_are_fired=True) as mock:
        mock.get(SUBSCRIBERS, match=[matchers.query_param_matcher(expected)], json=page(800))
        result = fetch(settings(), until=dt.datetime(2026, 7, 1, tzinfo=UTC), purpose=purpose)
    assert result.value == 800.0


@pytest.mark.parametrize(
    ("chosen", "url"),
    [
        ({"tag_id": 4242}, "https://api.kit.com/v4/tags/4242/subscribers"),
        ({"form_id": 1357}, "https://api.kit.com/v4/forms/1357/subscribers"),
    ],
)
def test_a_tag_or_a_form_counts_its_own_subscribers(chosen, url):
    expected = params(created_after="2026-08-08T09:30:00Z")
    with responses.RequestsMock(assert_all_requests_are_fired=True) as mock:
        mock.get(
            url,
            match=[matchers.query_param_matcher(expected), matchers.header_matcher(HEADERS)],
            json=page(57),
        )
        result = fetch(settings(**chosen), since=WEEK_AGO)
    assert result.value == 57.0
    assert result.raw["endpoint"] == url.removeprefix("https://api.kit.com")


def test_status_and_dates_from_the_settings_are_sent():
    expected = params(status="all", created_after="2026-07-01", created_before="2026-08-01")
    with responses.RequestsMock(assert_all_requests_are_fired=True) as mock:
        mock.get(SUBSCRIBERS, match=[matchers.query_param_matcher(expected)], json=page(25))
        chosen = settings(status="all", created_after="2026-07-01", created_before="2026-08-01")
        assert fetch(chosen).value == 25.0


def test_the_window_end_wins_when_it_comes_before_created_before():
    expected = params(created_before="2026-08-15T09:30:00Z")
    with responses.RequestsMock(assert_all_requests_are_fired=True) as mock:
        mock.get(SUBSCRIBERS, match=[matchers.query_param_matcher(expected)], json=page(6))
        assert fetch(settings(created_before="2026-12-31")).value == 6.0


def test_a_window_and_created_after_together_are_a_settings_error_before_any_call():
    with responses.RequestsMock(assert_all_requests_are_fired=True) as mock:
        result = fetch(settings(created_after="2026-07-01"), since=WEEK_AGO)
        assert len(mock.calls) == 0
    assert isinstance(result, SettingsError)
    assert result.setting == "created_after"
    assert "window already gives the start" in str(result)


# --- settings -----------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("raw", "setting", "message"),
    [
        ({"api_key": "  "}, "api_key", "the Kit API key is empty; create one in Settings"),
        ({"api_key": KEY, "tag_id": 1, "form_id": 2}, "form_id", "a tag or of a form, not both"),
        ({"api_key": KEY, "tag_id": 0}, "tag_id", "0 is not an id"),
        ({"api_key": KEY, "tag_id": "4242"}, "tag_id", "expected int"),
        ({"api_key": KEY, "created_after": "July 1st"}, "created_after", "write it as 2026-07-01"),
        (
            {"api_key": KEY, "created_after": "2026-08-01", "created_before": "2026-07-01"},
            "created_before",
            "created_before must come after created_after",
        ),
        ({"api_key": KEY, "status": "subscribed"}, "status", "'subscribed' is not one of"),
        ({"api_key": KEY, "tags": 1}, None, "did you mean 'tag_id'?"),
        ({}, "api_key", "this setting is required"),
    ],
)
def test_settings_errors_name_the_setting(raw, setting, message):
    with pytest.raises(SettingsError) as caught:
        structure_settings(KitConnector, raw, "signups")
    if setting is not None:
        assert caught.value.setting == setting
    assert message in str(caught.value)
    assert KEY not in str(caught.value)


def test_settings_from_plain_data_and_the_key_kept_out_of_repr():
    made = structure_settings(KitConnector, {"api_key": KEY, "tag_id": 4242}, "signups")
    assert made == settings(tag_id=4242)
    assert made.status == "active"
    assert KEY not in repr(made)


# --- failures -----------------------------------------------------------------------------


@pytest.mark.parametrize("status", [401, 403])
def test_a_refused_key_is_a_credentials_error_with_kits_message(status):
    with responses.RequestsMock(assert_all_requests_are_fired=True) as mock:
        mock.get(SUBSCRIBERS, status=status, json={"errors": ["The access token is invalid"]})
        result = fetch(settings())
    assert type(result) is CredentialsError
    assert str(result) == (
        f"Kit refused the API key, HTTP {status} (The access token is invalid): check the key "
        "api_key names, or create one in Settings > Developer > API keys (a v4 key)"
    )


def test_a_refused_filter_is_a_settings_error_with_kits_message():
    body = {"errors": ["Status is not included in the list", "Created after is invalid"]}
    with responses.RequestsMock(assert_all_requests_are_fired=True) as mock:
        mock.get(SUBSCRIBERS, status=422, json=body)
        result = fetch(settings(status="all", tag_id=None))
    assert type(result) is SettingsError
    assert result.setting == "status"
    assert str(result) == (
        "setting 'status': Kit refused the request, HTTP 422 (Status is not included in the "
        "list; Created after is invalid)"
    )


def test_a_refused_date_names_its_setting():
    with responses.RequestsMock(assert_all_requests_are_fired=True) as mock:
        mock.get(SUBSCRIBERS, status=422, json={"errors": ["Created before is not a date"]})
        result = fetch(settings(created_before=" 2026-08-01 "))
        assert mock.calls[0].request.params["created_before"] == "2026-08-01"
    assert type(result) is SettingsError
    assert result.setting == "created_before"


def test_a_refused_request_naming_no_setting_is_still_a_settings_error():
    with responses.RequestsMock(assert_all_requests_are_fired=True) as mock:
        mock.get(SUBSCRIBERS, status=422, json={"errors": ["Something is off"]})
        result = fetch(settings())
    assert type(result) is SettingsError
    assert result.setting is None
    assert str(result) == "Kit refused the request, HTTP 422 (Something is off)"


def test_too_many_requests_is_transient_with_kits_plain_text_and_no_wait_given():
    with responses.RequestsMock(assert_all_requests_are_fired=True) as mock:
        mock.get(SUBSCRIBERS, status=429, body="Retry later", content_type="text/plain")
        result = fetch(settings())
    assert type(result) is TransientError
    assert result.retry_after is None
    assert str(result) == (
        "Kit answered HTTP 429 (Retry later): more than 120 requests in 60 seconds with this "
        "key; a minute's wait resets the limit"
    )


def test_too_many_requests_honours_a_retry_after_header():
    with responses.RequestsMock(assert_all_requests_are_fired=True) as mock:
        mock.get(
            SUBSCRIBERS,
            status=429,
            body="Retry later",
            content_type="text/plain",
            headers={"Retry-After": "30"},
        )
        result = fetch(settings())
    assert type(result) is TransientError
    assert result.retry_after == 30.0
    assert "it asked to wait 30s" in str(result)


@pytest.mark.parametrize(("kind", "chosen"), [("tag", {"tag_id": 99}), ("form", {"form_id": 99})])
def test_an_unknown_tag_or_form_is_a_terminal_error(kind, chosen):
    with responses.RequestsMock(assert_all_requests_are_fired=True) as mock:
        mock.get(
            f"https://api.kit.com/v4/{kind}s/99/subscribers",
            status=404,
            json={"errors": ["Not Found"]},
        )
        result = fetch(settings(**chosen))
    assert type(result) is TerminalError
    assert str(result) == (
        f"Kit has no {kind} with id 99, HTTP 404 (Not Found): list your {kind}s and their ids "
        f"with GET https://api.kit.com/v4/{kind}s"
    )


def test_another_client_error_is_terminal_with_kits_message():
    with responses.RequestsMock(assert_all_requests_are_fired=True) as mock:
        mock.get(SUBSCRIBERS, status=400, json={"errors": ["Bad request"]})
        result = fetch(settings())
    assert type(result) is TerminalError
    assert str(result) == "Kit answered HTTP 400 (Bad request)"


@pytest.mark.parametrize("status", [500, 502, 503])
def test_server_errors_are_transient(status):
    with responses.RequestsMock(assert_all_requests_are_fired=True) as mock:
        mock.get(SUBSCRIBERS, status=status, json={"errors": ["Internal error"]})
        result = fetch(settings())
    assert type(result) is TransientError
    assert str(result) == f"Kit answered HTTP {status} (Internal error)"


def test_a_timeout_is_transient():
    with responses.RequestsMock(assert_all_requests_are_fired=True) as mock:
        mock.get(SUBSCRIBERS, body=requests.ConnectTimeout("connect timed out"))
        result = fetch(settings())
    assert type(result) is TransientError
    assert "timed out" in str(result)


def test_a_refused_connection_is_transient():
    with responses.RequestsMock(assert_all_requests_are_fired=True) as mock:
        mock.get(SUBSCRIBERS, body=requests.ConnectionError("[Errno 111] Connection refused"))
        result = fetch(settings())
    assert type(result) is TransientError
    assert "could not connect to api.kit.com" in str(result)


@pytest.mark.parametrize(
    ("answer", "message"),
    [
        ({"subscribers": []}, "the answer has no key 'pagination' (its keys: subscribers)"),
        (
            {"subscribers": [], "pagination": {"per_page": 1, "has_next_page": False}},
            "pagination has no key 'total_count' (its keys: has_next_page, per_page)",
        ),
        ({"pagination": {"total_count": "lots"}}, 'pagination.total_count is "lots", not a count'),
        ({"pagination": {"total_count": 2.5}}, "pagination.total_count is 2.5, not a whole number"),
        (
            {"pagination": {"total_count": 10**400}},  # no float holds it
            "pagination.total_count is 100000000000... (401 digits), not a finite number",
        ),
    ],
)
def test_a_missing_or_odd_total_is_terminal_and_says_what_was_there(answer, message):
    with responses.RequestsMock(assert_all_requests_are_fired=True) as mock:
        mock.get(SUBSCRIBERS, json=answer)
        result = fetch(settings())
    assert type(result) is TerminalError
    assert str(result) == f"Kit's answer from /v4/subscribers: {message}"


@pytest.mark.parametrize("status", [400, 401, 403, 404, 422, 429, 500])
def test_no_error_message_shows_the_key_even_when_kit_echoes_it(status):
    body = {"errors": [f"The key {KEY} " + "x" * 190 + f" really, {KEY}"]}
    with responses.RequestsMock(assert_all_requests_are_fired=True) as mock:
        mock.get("https://api.kit.com/v4/tags/7/subscribers", status=status, json=body)
        result = fetch(settings(tag_id=7))
    assert isinstance(result, TerminalError | TransientError)
    assert KEY not in str(result)
    assert "0a1b2c3d4e5f" not in str(result)
    assert "***" in str(result)
