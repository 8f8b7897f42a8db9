"""The mastodon connector against a mocked Mastodon API: requests, counts, windows and errors."""

# the tokens here are made up for the tests

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

from okrkit_social import MastodonConnector, MastodonSettings

UTC = dt.UTC
AT = dt.datetime(2026, 8, 15, 9, 0, tzinfo=UTC)  # a refresh at 09:00 UTC
WEEK = dt.timedelta(days=7)
TODAY = dt.datetime(2026, 8, 15, tzinfo=UTC)
NOW = AT.timestamp()
TAG_URL = "https://mastodon.social/api/v1/tags/acmewidget"
TIMELINE_URL = "https://mastodon.social/api/v1/timelines/tag/acmewidget"
TOKEN = "mastodon-token-0123456789"


def settings(**overrides):
    return MastodonSettings(**{"server": "mastodon.social", "tag": "acmewidget", **overrides})


def query(settings, since=AT - WEEK, until=AT, purpose="value", key="mentions"):
    return Query(key, settings, Window(since, until), AT, purpose=purpose)


def fetch(*queries, context=None):
    return list(MastodonConnector(clock=lambda: NOW).fetch(queries, context or Context()))


def only(results):
    assert len(results) == 1
    return results[0]


def history(*uses):
    """A tag's history as Mastodon answers it: today first, one entry per UTC day, as text."""
    return {
        "name": "acmewidget",
        "url": "https://mastodon.social/tags/acmewidget",
        "history": [
            {
                "day": str(int((TODAY - dt.timedelta(days=index)).timestamp())),
                "uses": str(count),
                "accounts": str((count + 1) // 2),
            }
            for index, count in enumerate(uses)
        ],
    }


def status(number, created_at):
    return {"id": str(number), "created_at": created_at, "content": "<p>#acmewidget</p>"}


# --- settings ------------------------------------------------------------------------------


def test_settings_take_a_server_name_or_https_address_and_a_tag_with_or_without_hash():
    made = structure_settings(
        MastodonConnector, {"server": "https://Mastodon.Social/", "tag": "#AcmeWidget"}, "kr"
    )
    assert made == MastodonSettings(server="mastodon.social", tag="AcmeWidget")
    assert made.token is None
    assert made.method == "auto"
    assert made.max_pages == 25


@pytest.mark.parametrize(
    ("raw", "setting", "message"),
    [
        ({"server": "http://mastodon.social", "tag": "a"}, "server", "https only"),
        ({"server": "mastodon.social/@acme", "tag": "a"}, "server", "is not a server name"),
        ({"server": "mastodon.social", "tag": "acme widget"}, "tag", "is not a hashtag"),
        ({"server": "mastodon.social", "tag": "a", "token": " "}, "token", "the token is empty"),
        ({"server": "mastodon.social", "tag": "a", "max_pages": 0}, "max_pages", "1 or more"),
        ({"server": "mastodon.social", "tag": "a", "method": "all"}, "method", "auto, history"),
        ({"server": "mastodon.social"}, "tag", "this setting is required"),
    ],
)
def test_settings_errors_name_the_setting(raw, setting, message):
    with pytest.raises(SettingsError) as caught:
        structure_settings(MastodonConnector, raw, "mentions")
    assert caught.value.setting == setting
    assert message in str(caught.value)
    assert "key result 'mentions'" in str(caught.value)


def test_the_token_is_kept_out_of_the_settings_repr():
    assert TOKEN not in repr(settings(token=TOKEN))


def test_a_query_without_a_window_asks_for_one():
    result = only(fetch(query(settings(), since=None)))
    assert isinstance(result, SettingsError)
    assert result.setting == "window"
    assert "window: 7d" in str(result)


def test_aggregate_change_is_refused_with_the_way_out():
    result = only(fetch(query(settings(), since=None, purpose="start")))
    assert isinstance(result, SettingsError)
    assert result.setting == "aggregate"
    assert "aggregate: latest" in str(result)


# --- history: no token ---------------------------------------------------------------------


def test_history_sums_the_seven_days_of_a_7d_window_with_one_public_request():
    with responses.RequestsMock(assert_all_requests_are_fired=True) as mock:
        mock.get(TAG_URL, json=history(5, 4, 3, 2, 1, 0, 10))
        result = only(fetch(query(settings())))
        request = mock.calls[0].request
    assert request.url == TAG_URL
    assert request.method == "GET"
    assert "Authorization" not in request.headers
    assert result == Reading(
        25.0,
        raw={
            "method": "history",
            "days": {
                "2026-08-09": 10,
                "2026-08-10": 0,
                "2026-08-11": 1,
                "2026-08-12": 2,
                "2026-08-13": 3,
                "2026-08-14": 4,
                "2026-08-15": 5,
            },
        },
    )


def test_history_counts_only_the_days_that_begin_inside_the_window():
    with responses.RequestsMock(assert_all_requests_are_fired=True) as mock:
        mock.get(TAG_URL, json=history(5, 4, 3, 2, 1, 0, 10))
        result = only(fetch(query(settings(), since=AT - dt.timedelta(days=3))))
    # the window 08-12 09:00 .. 08-15 09:00: the days 08-13, 08-14 and 08-15 begin inside it
    assert result.value == 12.0
    assert result.raw["days"] == {"2026-08-13": 3, "2026-08-14": 4, "2026-08-15": 5}
    assert result.note is None


def test_history_says_which_days_of_the_window_it_does_not_cover():
    since, until = dt.datetime(2026, 8, 8, tzinfo=UTC), TODAY
    with responses.RequestsMock(assert_all_requests_are_fired=True) as mock:
        mock.get(TAG_URL, json=history(5, 4, 3, 2, 1, 0, 10))
        result = only(fetch(query(settings(), since=since, until=until)))
    assert result.value == 20.0  # 08-09 .. 08-14; 08-08 is older than the history
    assert result.note == (
        "the hashtag history covers only the last 7 days: counted 6 of the window's 7 days "
        "(2026-08-09 to 2026-08-14); 2026-08-08 not counted"
    )


def test_history_of_a_tag_nobody_used_is_zero():
    with responses.RequestsMock(assert_all_requests_are_fired=True) as mock:
        mock.get(TAG_URL, json=history(0, 0, 0, 0, 0, 0, 0))
        result = only(fetch(query(settings())))
    assert result.value == 0.0


def test_history_of_a_window_wholly_older_than_seven_days_fails_with_the_way_out():
    start = dt.datetime(2026, 7, 1, tzinfo=UTC)
    with responses.RequestsMock(assert_all_requests_are_fired=True) as mock:
        mock.get(TAG_URL, json=history(5, 4, 3, 2, 1, 0, 10))
        result = only(fetch(query(settings(), since=start - WEEK, until=start, purpose="baseline")))
    assert isinstance(result, TerminalError)
    assert str(result) == (
        "the hashtag history of mastodon.social covers only the last 7 days "
        "(2026-08-09 to 2026-08-15), none of this window's days (2026-06-24 to 2026-06-30): "
        "type the baseline in the file (baseline: N), or use method: timeline to count the "
        "posts one by one"
    )


def test_history_refuses_a_window_longer_than_seven_days_before_any_request():
    with responses.RequestsMock(assert_all_requests_are_fired=True):
        result = only(fetch(query(settings(), since=AT - dt.timedelta(days=14))))
    assert isinstance(result, SettingsError)
    assert result.setting == "window"
    assert "this window is 14 days long: use window: 7d or less" in str(result)


def test_history_refuses_a_window_in_which_no_day_begins():
    with responses.RequestsMock(assert_all_requests_are_fired=True):
        result = only(fetch(query(settings(), since=AT - dt.timedelta(hours=6))))
    assert isinstance(result, SettingsError)
    assert result.setting == "window"
    assert "no day begins inside this 6 hours window" in str(result)


def test_value_and_baseline_of_the_same_tag_share_one_history_request():
    with responses.RequestsMock(assert_all_requests_are_fired=True) as mock:
        mock.get(TAG_URL, json=history(5, 4, 3, 2, 1, 0, 10))
        week, three_days = fetch(
            query(settings()), query(settings(), since=AT - dt.timedelta(days=3), key="other")
        )
        assert len(mock.calls) == 1
    assert (week.value, three_days.value) == (25.0, 12.0)


def test_history_with_a_token_sends_it():
    with responses.RequestsMock(assert_all_requests_are_fired=True) as mock:
        mock.get(
            TAG_URL,
            json=history(1, 1, 1, 1, 1, 1, 1),
            match=[matchers.header_matcher({"Authorization": f"Bearer {TOKEN}"})],
        )
        result = only(fetch(query(settings(token=TOKEN, method="history"))))
    assert result.value == 7.0


@pytest.mark.parametrize(
    ("answer", "message"),
    [
        ({"name": "acmewidget"}, "has no 'history' list"),
        (
            {"history": [{"day": "1786752000", "uses": "1"}, {"day": "1786665600"}]},
            "history[1].uses",
        ),
        ({"history": [{"uses": "1"}]}, "history[0].day"),
        ({"history": [{"day": "1786752000", "uses": "many"}]}, "history[0].uses"),
        ({"history": ["1786752000"]}, "history[0].day"),
    ],
)
def test_malformed_history_is_a_terminal_error_naming_the_field(answer, message):
    with responses.RequestsMock(assert_all_requests_are_fired=True) as mock:
        mock.get(TAG_URL, json=answer)
        result = only(fetch(query(settings())))
    assert isinstance(result, TerminalError)
    assert message in str(result)
    assert TAG_URL in str(result)


def test_an_unknown_tag_is_a_settings_error():
    with responses.RequestsMock(assert_all_requests_are_fired=True) as mock:
        mock.get(TAG_URL, status=404, json={"error": "Record not found"})
        result = only(fetch(query(settings())))
    assert isinstance(result, SettingsError)
    assert result.setting == "tag"
    assert "knows no hashtag 'acmewidget' (HTTP 404)" in str(result)


# --- timeline ------------------------------------------------------------------------------


def test_timeline_with_a_token_counts_the_posts_inside_the_window_page_by_page():
    first = [
        status(110, "2026-08-15T09:30:00.000Z"),  # after the window's end: not counted
        status(109, "2026-08-15T08:59:59.000Z"),
        status(108, "2026-08-12T10:00:00.000Z"),
    ]
    second = [
        status(107, "2026-08-10T00:00:00.000Z"),
        status(106, "2026-08-08T09:00:00.000Z"),  # the window's first second: counted
        status(105, "2026-08-08T08:59:59.000Z"),  # before the window: the count stops here
        status(104, "2026-08-01T00:00:00.000Z"),
    ]
    auth = matchers.header_matcher({"Authorization": f"Bearer {TOKEN}"})
    with responses.RequestsMock(assert_all_requests_are_fired=True) as mock:
        mock.get(
            TIMELINE_URL,
            json=first,
            match=[matchers.query_param_matcher({"limit": "40"}), auth],
        )
        mock.get(
            TIMELINE_URL,
            json=second,
            match=[matchers.query_param_matcher({"limit": "40", "max_id": "108"}), auth],
        )
        result = only(fetch(query(settings(token=TOKEN))))
        urls = [call.request.url for call in mock.calls]
    assert urls == [TIMELINE_URL + "?limit=40", TIMELINE_URL + "?limit=40&max_id=108"]
    assert result == Reading(
        4.0, raw={"method": "timeline", "pages": 2, "posts_seen": 7, "counted": 4}
    )


def test_timeline_without_a_token_sends_no_authorization():
    with responses.RequestsMock(assert_all_requests_are_fired=True) as mock:
        mock.get(TIMELINE_URL, json=[status(1, "2026-08-14T00:00:00Z")])
        mock.get(TIMELINE_URL, json=[])
        result = only(fetch(query(settings(method="timeline"))))
        assert "Authorization" not in mock.calls[0].request.headers
    assert result.value == 1.0


def test_an_empty_timeline_is_zero():
    with responses.RequestsMock(assert_all_requests_are_fired=True) as mock:
        mock.get(TIMELINE_URL, json=[])
        result = only(fetch(query(settings(token=TOKEN))))
    assert result == Reading(
        0.0, raw={"method": "timeline", "pages": 1, "posts_seen": 0, "counted": 0}
    )


def test_timeline_says_when_the_page_cap_stopped_the_count():
    with responses.RequestsMock(assert_all_requests_are_fired=True) as mock:
        mock.get(
            TIMELINE_URL,
            json=[status(9, "2026-08-15T08:00:00Z"), status(8, "2026-08-14T08:00:00Z")],
        )
        mock.get(
            TIMELINE_URL,
            json=[status(7, "2026-08-13T08:00:00Z"), status(6, "2026-08-12T08:00:00Z")],
        )
        result = only(fetch(query(settings(token=TOKEN, max_pages=2))))
        assert len(mock.calls) == 2
    assert result.value == 4.0
    assert result.note == (
        "counted 4 posts back to 2026-08-12 08:00 UTC; the cap of max_pages = 2 pages was "
        "reached before the window's start (2026-08-08 09:00 UTC): raise max_pages to count "
        "further back"
    )


def test_timeline_fails_when_the_cap_is_reached_before_the_window_even_begins():
    old_window = query(settings(token=TOKEN, max_pages=1), since=AT - 2 * WEEK, until=AT - WEEK)
    with responses.RequestsMock(assert_all_requests_are_fired=True) as mock:
        mock.get(TIMELINE_URL, json=[status(9, "2026-08-15T08:00:00Z")])
        result = only(fetch(old_window))
    assert isinstance(result, TerminalError)
    assert "are all newer than the window's end (2026-08-08 09:00 UTC)" in str(result)
    assert "raise max_pages" in str(result)


@pytest.mark.parametrize(
    ("answer", "message"),
    [
        ({"error": "nope"}, "is not a list of posts"),
        ([{"id": "1"}], "has no 'created_at' in post 0 of page 1"),
        ([{"id": "1", "created_at": "yesterday"}], "'created_at' of post 0 of page 1"),
        ([{"created_at": "2026-08-14T00:00:00Z"}], "has no 'id' in post 0 of page 1"),
    ],
)
def test_malformed_timeline_is_a_terminal_error_naming_the_field(answer, message):
    with responses.RequestsMock(assert_all_requests_are_fired=True) as mock:
        mock.get(TIMELINE_URL, json=answer)
        result = only(fetch(query(settings(token=TOKEN))))
    assert isinstance(result, TerminalError)
    assert message in str(result)


# --- rate limits and failures --------------------------------------------------------------


def test_a_spent_rate_limit_stops_before_the_next_page_and_waits_until_the_reset():
    reset = dt.datetime.fromtimestamp(NOW + 90, UTC).isoformat().replace("+00:00", "Z")
    headers = {"X-RateLimit-Limit": "300", "X-RateLimit-Remaining": "0", "X-RateLimit-Reset": reset}
    with responses.RequestsMock(assert_all_requests_are_fired=True) as mock:
        mock.get(TIMELINE_URL, json=[status(9, "2026-08-15T08:00:00Z")], headers=headers)
        first, second = fetch(
            query(settings(token=TOKEN)), query(settings(token=TOKEN), key="other")
        )
        assert len(mock.calls) == 1  # neither the next page nor the second key result asked
    for result in (first, second):
        assert isinstance(result, TransientError)
        assert result.retry_after == 90.0
        assert str(result) == "Mastodon's rate limit is used up; it resets in 90s"


def test_429_waits_until_the_rate_limit_reset():
    headers = {"X-RateLimit-Remaining": "0", "X-RateLimit-Reset": "2026-08-15T09:05:00.000000Z"}
    with responses.RequestsMock(assert_all_requests_are_fired=True) as mock:
        mock.get(TAG_URL, status=429, json={"error": "Too many requests"}, headers=headers)
        result = only(fetch(query(settings())))
    assert isinstance(result, TransientError)
    assert result.retry_after == 300.0
    assert str(result) == "Mastodon answered HTTP 429 (too many requests); it resets in 300s"


def test_a_timeout_is_transient():
    with responses.RequestsMock(assert_all_requests_are_fired=True) as mock:
        mock.get(TAG_URL, body=requests.Timeout())
        result = only(fetch(query(settings())))
    assert isinstance(result, TransientError)
    assert "timed out" in str(result)


def test_a_server_error_is_transient():
    with responses.RequestsMock(assert_all_requests_are_fired=True) as mock:
        mock.get(TIMELINE_URL, status=503, body="Service Unavailable")
        result = only(fetch(query(settings(token=TOKEN))))
    assert isinstance(result, TransientError)
    assert "HTTP 503" in str(result)


def test_a_refused_token_is_a_credentials_error_saying_where_to_make_one():
    context = Context()
    with responses.RequestsMock(assert_all_requests_are_fired=True) as mock:
        mock.get(TIMELINE_URL, status=401, json={"error": "The access token is invalid"})
        result = only(fetch(query(settings(token=TOKEN)), context=context))
    assert isinstance(result, CredentialsError)
    assert "refused the token (HTTP 401: The access token is invalid)" in str(result)
    assert "Preferences > Development > New application" in str(result)
    assert context.redactor.redact(f"x {TOKEN} y") == "x *** y"


def test_a_server_repeating_the_refused_token_does_not_leak_it_into_the_message():
    with responses.RequestsMock(assert_all_requests_are_fired=True) as mock:
        mock.get(TIMELINE_URL, status=401, json={"error": f"token {TOKEN} is revoked"})
        result = only(fetch(query(settings(token=TOKEN))))
    assert isinstance(result, CredentialsError)
    assert "(HTTP 401: token *** is revoked)" in str(result)
    assert TOKEN not in str(result)


def test_a_server_that_hides_hashtag_timelines_asks_for_a_token():
    with responses.RequestsMock(assert_all_requests_are_fired=True) as mock:
        mock.get(
            TIMELINE_URL,
            status=422,
            json={"error": "This method requires an authenticated user"},
        )
        result = only(fetch(query(settings(method="timeline"))))
    assert isinstance(result, CredentialsError)
    assert "only to signed-in users" in str(result)
    assert "token: ${MASTODON_TOKEN}" in str(result)


def test_a_garbled_answer_is_transient():
    with responses.RequestsMock(assert_all_requests_are_fired=True) as mock:
        mock.get(TAG_URL, body="<html>maintenance</html>")
        result = only(fetch(query(settings())))
    assert isinstance(result, TransientError)
    assert "not JSON" in str(result)
