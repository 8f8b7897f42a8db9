"""The mailchimp connector against a mocked Marketing API: requests, values and every failure."""

# the API keys here are made up for the tests

import base64
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

from okrkit_signups.mailchimp import MailchimpConnector, MailchimpSettings, datacenter_of

UTC = dt.UTC
AT = dt.datetime(2026, 8, 15, 9, 30, tzinfo=UTC)
WEEK_AGO = dt.datetime(2026, 8, 8, 9, 30, tzinfo=UTC)
KEY = "0123456789abcdef0123456789abcdef-us21"
LIST = "a1b2c3d4e5"
AUDIENCE = f"https://us21.api.mailchimp.com/3.0/lists/{LIST}"
MEMBERS = f"{AUDIENCE}/members"
BASIC = "Basic " + base64.b64encode(f"okrkit:{KEY}".encode()).decode()
AUDIENCE_PARAMS = {"fields": "id,name,stats.member_count"}


def settings(**changes):
    return MailchimpSettings(**{"api_key": KEY, "list_id": LIST, **changes})


def query(chosen, since=None, until=AT, purpose="value"):
    return Query("signups", chosen, Window(since, until), at=AT, purpose=purpose)


def fetch(chosen, **window):
    [result] = MailchimpConnector().fetch([query(chosen, **window)], Context())
    return result


def problem(status, title, detail):
    return {
        "type": "https://mailchimp.com/developer/marketing/docs/errors/",
        "title": title,
        "status": status,
        "detail": detail,
        "instance": "3b4dcb40-0b6b-4820-bfaa-41267b3826ea",
    }


def password_of(request):
    scheme, _, encoded = request.headers["Authorization"].partition(" ")
    assert scheme == "Basic"
    user, _, password = base64.b64decode(encoded).decode().partition(":")
    return user, password


# --- what is asked, and what is read -------------------------------------------------------


def test_member_count_reads_the_audience_stats_with_basic_auth():
    with responses.RequestsMock(assert_all_requests_are_fired=True) as mock:
        mock.get(
            AUDIENCE,
            match=[matchers.query_param_matcher(AUDIENCE_PARAMS)],
            json={"id": LIST, "name": "Pre-release", "stats": {"member_count": 4181}},
        )
        result = fetch(settings())
        request = mock.calls[0].request
    assert request.method == "GET"
    assert request.url == f"{AUDIENCE}?fields=id%2Cname%2Cstats.member_count"
    assert request.headers["Authorization"] == BASIC
    assert password_of(request) == ("okrkit", KEY)
    assert result == Reading(
        4181.0, raw={"list_id": LIST, "member_count": 4181, "name": "Pre-release"}
    )


def test_an_empty_audience_counts_zero():
    with responses.RequestsMock(assert_all_requests_are_fired=True) as mock:
        mock.get(AUDIENCE, json={"id": LIST, "stats": {"member_count": 0}})
        result = fetch(settings())
    assert result.value == 0.0


def test_a_window_counts_members_who_opted_in_within_it():
    expected = {
        "since_timestamp_opt": "2026-08-08T09:30:00+00:00",
        "before_timestamp_opt": "2026-08-15T09:30:00+00:00",
        "status": "subscribed",
        "count": "1",
        "fields": "total_items",
    }
    with responses.RequestsMock(assert_all_requests_are_fired=True) as mock:
        mock.get(
            MEMBERS,
            match=[matchers.query_param_matcher(expected)],
            json={"total_items": 312},
        )
        result = fetch(settings(), since=WEEK_AGO)
        assert password_of(mock.calls[0].request) == ("okrkit", KEY)
    assert result.value == 312.0
    assert result.raw == {
        "list_id": LIST,
        "total_items": 312,
        "status": "subscribed",
        "since_timestamp_opt": "2026-08-08T09:30:00+00:00",
        "before_timestamp_opt": "2026-08-15T09:30:00+00:00",
    }
    assert result.note is None


def test_an_empty_window_counts_zero():
    with responses.RequestsMock(assert_all_requests_are_fired=True) as mock:
        mock.get(MEMBERS, json={"total_items": 0})
        result = fetch(settings(measure="joined"), since=WEEK_AGO)
    assert result.value == 0.0


def test_joined_without_a_window_counts_every_opt_in_before_the_end():
    expected = {
        "before_timestamp_opt": "2026-08-15T09:30:00+00:00",
        "status": "subscribed",
        "count": "1",
        "fields": "total_items",
    }
    with responses.RequestsMock(assert_all_requests_are_fired=True) as mock:
        mock.get(MEMBERS, match=[matchers.query_param_matcher(expected)], json={"total_items": 9})
        result = fetch(settings(measure="joined"))
    assert result.value == 9.0


@pytest.mark.parametrize("purpose", ["baseline", "start"])
def test_the_past_is_counted_by_opt_in_time_when_measure_is_left_out(purpose):
    cycle_start = dt.datetime(2026, 7, 1, tzinfo=UTC)
    expected = {
        "before_timestamp_opt": "2026-07-01T00:00:00+00:00",
        "status": "subscribed",
        "count": "1",
        "fields": "total_items",
    }
    with responses.RequestsMock(assert_all_requests_are_fired=True) as mock:
        mock.get(MEMBERS, match=[matchers.query_param_matcher(expected)], json={"total_items": 800})
        result = fetch(settings(), until=cycle_start, purpose=purpose)
    assert result.value == 800.0


@pytest.mark.parametrize(
    ("status", "expected"),
    [
        ("any", {"count": "1", "fields": "total_items"}),
        ("pending", {"status": "pending", "count": "1", "fields": "total_items"}),
        ("unsubscribed", {"status": "unsubscribed", "count": "1", "fields": "total_items"}),
    ],
)
def test_member_count_of_another_status_counts_the_members_endpoint(status, expected):
    with responses.RequestsMock(assert_all_requests_are_fired=True) as mock:
        mock.get(MEMBERS, match=[matchers.query_param_matcher(expected)], json={"total_items": 57})
        result = fetch(settings(status=status))
    assert result.value == 57.0
    assert result.raw["status"] == status


def test_any_status_in_a_window_sends_no_status():
    expected = {
        "since_timestamp_opt": "2026-08-08T09:30:00+00:00",
        "before_timestamp_opt": "2026-08-15T09:30:00+00:00",
        "count": "1",
        "fields": "total_items",
    }
    with responses.RequestsMock(assert_all_requests_are_fired=True) as mock:
        mock.get(MEMBERS, match=[matchers.query_param_matcher(expected)], json={"total_items": 3})
        assert fetch(settings(status="any"), since=WEEK_AGO).value == 3.0


def test_an_explicit_member_count_for_an_earlier_end_says_it_is_todays_size():
    cycle_end = dt.datetime(2026, 7, 31, tzinfo=UTC)
    with responses.RequestsMock(assert_all_requests_are_fired=True) as mock:
        mock.get(AUDIENCE, json={"stats": {"member_count": 10}})
        result = fetch(settings(measure="member_count"), until=cycle_end)
    assert result.value == 10.0
    assert result.note == (
        "member_count is the audience's size when the refresh ran, not on 2026-07-31; "
        "leave measure out (or use joined) to count members by when they opted in"
    )


def test_a_key_result_that_ended_before_the_refresh_is_counted_by_opt_in_time():
    cycle_end = dt.datetime(2026, 7, 31, tzinfo=UTC)
    expected = {
        "before_timestamp_opt": "2026-07-31T00:00:00+00:00",
        "status": "subscribed",
        "count": "1",
        "fields": "total_items",
    }
    with responses.RequestsMock(assert_all_requests_are_fired=True) as mock:
        mock.get(MEMBERS, match=[matchers.query_param_matcher(expected)], json={"total_items": 8})
        result = fetch(settings(), until=cycle_end)
    assert result.value == 8.0
    assert result.note is None


def test_naive_window_bounds_are_taken_as_utc():
    expected = {
        "since_timestamp_opt": "2026-08-08T00:00:00+00:00",
        "before_timestamp_opt": "2026-08-15T00:00:00+00:00",
        "status": "subscribed",
        "count": "1",
        "fields": "total_items",
    }
    with responses.RequestsMock(assert_all_requests_are_fired=True) as mock:
        mock.get(MEMBERS, match=[matchers.query_param_matcher(expected)], json={"total_items": 1})
        naive_since = dt.datetime(2026, 8, 8)  # noqa: DTZ001  # naive on purpose
        naive_until = dt.datetime(2026, 8, 15, 0, 0, 0, 5)  # noqa: DTZ001
        result = fetch(settings(), since=naive_since, until=naive_until)
    assert result.value == 1.0


# --- settings that cannot work --------------------------------------------------------------


@pytest.mark.parametrize(
    ("window", "message"),
    [
        ({"since": WEEK_AGO}, "cannot be counted over a window: use measure: joined"),
        (
            {"purpose": "baseline"},
            "cannot tell the baseline (the value before the cycle began): leave measure out",
        ),
        ({"purpose": "start"}, "or use aggregate: latest"),
    ],
)
def test_explicit_member_count_refuses_windows_and_the_past_before_any_call(window, message):
    with responses.RequestsMock(assert_all_requests_are_fired=True) as mock:
        result = fetch(settings(measure="member_count"), **window)
        assert len(mock.calls) == 0
    assert isinstance(result, SettingsError)
    assert result.setting == "measure"
    assert message in str(result)


@pytest.mark.parametrize(
    "bad_key",
    [
        "0123456789abcdef0123456789abcdef",  # no datacenter at all
        "0123456789abcdef0123456789abcdef-",  # a dash, then nothing
        "-us9",  # a datacenter, and no key before it
        "0123456789abcdef-us21/../evil",  # not a datacenter name
        "0123456789abcdef-US 21",
        "",
    ],
)
def test_a_key_without_a_datacenter_is_a_settings_error_that_does_not_show_it(bad_key):
    with pytest.raises(SettingsError) as caught:
        structure_settings(MailchimpConnector, {"api_key": bad_key, "list_id": LIST}, "signups")
    assert caught.value.setting == "api_key"
    assert caught.value.key_result == "signups"
    assert "ends in its datacenter after a dash, as in ...-us21" in str(caught.value)
    assert "Profile > Extras > API keys" in str(caught.value)
    if bad_key:
        assert bad_key not in str(caught.value)
        assert "0123456789abcdef" not in str(caught.value)


def test_the_datacenter_is_the_part_after_the_last_dash():
    assert datacenter_of(KEY) == "us21"
    assert datacenter_of("abc-def-us6") == "us6"
    assert datacenter_of(" abc-us1\n") == "us1"
    assert datacenter_of("abc-us") is None


@pytest.mark.parametrize(
    ("raw", "setting", "message"),
    [
        ({"api_key": KEY, "list_id": "a1b2/../x"}, "list_id", "is not an audience id"),
        ({"api_key": KEY, "list_id": ""}, "list_id", "Audience > Settings > Audience name"),
        ({"api_key": KEY, "list_id": LIST, "status": "active"}, "status", "'active' is not one"),
        ({"api_key": KEY, "list_id": LIST, "measure": "count"}, "measure", None),
        ({"api_key": KEY}, "list_id", "this setting is required"),
        ({"api_key": KEY, "list_id": LIST, "listid": "x"}, None, "did you mean 'list_id'?"),
        ({"api_key": KEY, "list_id": 12345}, "list_id", "expected str"),
    ],
)
def test_settings_errors_name_the_setting(raw, setting, message):
    with pytest.raises(SettingsError) as caught:
        structure_settings(MailchimpConnector, raw, "signups")
    if setting is not None:
        assert caught.value.setting == setting
    if message is not None:
        assert message in str(caught.value)
    assert KEY not in str(caught.value)


def test_settings_keep_the_key_out_of_their_repr():
    assert KEY not in repr(settings())
    made = structure_settings(MailchimpConnector, {"api_key": KEY, "list_id": LIST}, "k")
    assert made == settings()
    assert made.status == "subscribed"
    assert made.measure is None


# --- failures -----------------------------------------------------------------------------


@pytest.mark.parametrize("status", [401, 403])
def test_a_refused_key_is_a_credentials_error_with_mailchimps_title(status):
    body = problem(
        status,
        "API Key Invalid",
        "Your API key may be invalid, or you've attempted to access the wrong datacenter.",
    )
    with responses.RequestsMock(assert_all_requests_are_fired=True) as mock:
        mock.get(AUDIENCE, status=status, json=body)
        result = fetch(settings())
    assert type(result) is CredentialsError
    assert str(result) == (
        f"Mailchimp refused the API key, HTTP {status} (API Key Invalid: Your API key may be "
        "invalid, or you've attempted to access the wrong datacenter.): check the key api_key "
        "names, or create one in Profile > Extras > API keys"
    )


def test_an_unknown_audience_is_a_terminal_error_saying_where_to_find_the_id():
    body = problem(404, "Resource Not Found", "The requested resource could not be found.")
    with responses.RequestsMock(assert_all_requests_are_fired=True) as mock:
        mock.get(AUDIENCE, status=404, json=body)
        result = fetch(settings())
    assert type(result) is TerminalError
    assert str(result) == (
        "Mailchimp has no audience with list_id 'a1b2c3d4e5', HTTP 404 (Resource Not Found: "
        "The requested resource could not be found.): find the audience id in Audience > "
        "Settings > Audience name and defaults"
    )


def test_an_unknown_audience_in_a_window_count_is_the_same_error():
    with responses.RequestsMock(assert_all_requests_are_fired=True) as mock:
        mock.get(MEMBERS, status=404, json=problem(404, "Resource Not Found", "Not here."))
        result = fetch(settings(), since=WEEK_AGO)
    assert type(result) is TerminalError
    assert "no audience with list_id 'a1b2c3d4e5'" in str(result)


def test_too_many_requests_is_transient_with_the_servers_retry_after():
    body = problem(429, "Too Many Requests", "You have exceeded the limit of 10 connections.")
    with responses.RequestsMock(assert_all_requests_are_fired=True) as mock:
        mock.get(AUDIENCE, status=429, json=body, headers={"Retry-After": "7"})
        result = fetch(settings())
    assert type(result) is TransientError
    assert result.retry_after == 7.0
    assert "Too Many Requests" in str(result)
    assert "it asked to wait 7s" in str(result)


def test_too_many_requests_without_retry_after_leaves_the_wait_to_the_runner():
    with responses.RequestsMock(assert_all_requests_are_fired=True) as mock:
        mock.get(AUDIENCE, status=429, json=problem(429, "Too Many Requests", "Slow down."))
        result = fetch(settings())
    assert type(result) is TransientError
    assert result.retry_after is None
    assert "10 simultaneous connections" in str(result)


def test_a_bad_request_is_terminal_with_mailchimps_title():
    body = problem(400, "Invalid Resource", "The resource submitted could not be validated.")
    with responses.RequestsMock(assert_all_requests_are_fired=True) as mock:
        mock.get(MEMBERS, status=400, json=body)
        result = fetch(settings(), since=WEEK_AGO)
    assert type(result) is TerminalError
    assert str(result) == (
        "Mailchimp answered HTTP 400 (Invalid Resource: The resource submitted could not be "
        "validated.)"
    )


@pytest.mark.parametrize("status", [500, 502, 503])
def test_server_errors_are_transient(status):
    with responses.RequestsMock(assert_all_requests_are_fired=True) as mock:
        mock.get(AUDIENCE, status=status, json=problem(status, "Internal Server Error", "Oops."))
        result = fetch(settings())
    assert type(result) is TransientError
    assert f"HTTP {status}" in str(result)


def test_a_timeout_is_transient():
    with responses.RequestsMock(assert_all_requests_are_fired=True) as mock:
        mock.get(AUDIENCE, body=requests.Timeout("read timed out"))
        result = fetch(settings())
    assert type(result) is TransientError
    assert "timed out" in str(result)


def test_an_answer_that_is_not_json_is_transient():
    with responses.RequestsMock(assert_all_requests_are_fired=True) as mock:
        mock.get(AUDIENCE, body="<html>maintenance</html>")
        result = fetch(settings())
    assert type(result) is TransientError
    assert "not JSON" in str(result)


@pytest.mark.parametrize(
    ("answer", "message"),
    [
        ({"id": LIST, "name": "x"}, "the answer has no key 'stats' (its keys: id, name)"),
        ({"stats": {"unsubscribe_count": 3}}, "stats has no key 'member_count'"),
        ({"stats": {"member_count": None}}, "stats.member_count is null, not a count"),
        ({"stats": {"member_count": -1}}, "stats.member_count is -1, not a count"),
        ({"stats": {"member_count": "many"}}, 'stats.member_count is "many", not a count'),
        (
            {"stats": {"member_count": 10**400}},  # no float holds it
            "stats.member_count is 100000000000... (401 digits), not a finite number",
        ),
        ({"stats": []}, "stats is not an object"),
    ],
)
def test_a_missing_or_odd_count_is_terminal_and_says_what_was_there(answer, message):
    with responses.RequestsMock(assert_all_requests_are_fired=True) as mock:
        mock.get(AUDIENCE, json=answer)
        result = fetch(settings())
    assert type(result) is TerminalError
    assert str(result).startswith("Mailchimp's answer for audience 'a1b2c3d4e5': ")
    assert message in str(result)


@pytest.mark.parametrize("status", [400, 401, 403, 404, 429, 500])
def test_no_error_message_shows_the_key_even_when_mailchimp_echoes_it(status):
    body = problem(status, f"Problem with {KEY}", f"The key {KEY} was used.")
    with responses.RequestsMock(assert_all_requests_are_fired=True) as mock:
        mock.get(AUDIENCE, status=status, json=body)
        result = fetch(settings())
    assert isinstance(result, TerminalError | TransientError)
    assert KEY not in str(result)
    assert "0123456789abcdef" not in str(result)


def test_each_query_gets_its_own_answer_in_order():
    other = "f0e1d2c3b4"
    with responses.RequestsMock(assert_all_requests_are_fired=True) as mock:
        mock.get(AUDIENCE, json={"stats": {"member_count": 5}})
        mock.get(
            f"https://us21.api.mailchimp.com/3.0/lists/{other}",
            status=404,
            json=problem(404, "Resource Not Found", "Not here."),
        )
        results = MailchimpConnector().fetch(
            [query(settings()), query(settings(list_id=other))], Context()
        )
    assert results[0].value == 5.0
    assert type(results[1]) is TerminalError
    assert "'f0e1d2c3b4'" in str(results[1])
