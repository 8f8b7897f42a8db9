"""Counts no float holds, digits Python does not read, odd rate-limit headers: each refused with
a terminal error for its own key result, never a crash that fails the whole batch."""

import datetime as dt

import pytest
import responses
from okrkit.connectors import Context, Query, Reading, TerminalError, Window

from okrkit_social import (
    BlueskyConnector,
    BlueskySettings,
    MastodonConnector,
    MastodonSettings,
    XConnector,
    XSettings,
)
from okrkit_social._common import RateLimit, count_of, value_of

AT = dt.datetime(2026, 8, 15, 9, 0, tzinfo=dt.UTC)
WEEK = dt.timedelta(days=7)
TODAY = dt.datetime(2026, 8, 15, tzinfo=dt.UTC)
SHOWN = "https://mastodon.social/api/v1/tags/acmewidget"
BIG = 10**400  # an integer no float holds
BIG_SHOWN = "100000000000... (401 digits)"


# --- count_of ------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("value", "count"),
    [(0, 0), ("12", 12), (" 7 ", 7), (3.0, 3), (10**30, 10**30), (10**308, 10**308)],
)
def test_a_count_is_a_whole_number_or_text_holding_one(value, count):
    assert count_of(value, "hitsTotal", SHOWN) == count


@pytest.mark.parametrize(
    ("value", "said"),
    [
        (BIG, f"is {BIG_SHOWN}, not a finite number"),
        (str(BIG), f"is {BIG_SHOWN}, not a finite number"),
        ("9" * 5000, "is 999999999999... (5000 digits), not a finite number"),
        ("²", 'is "\\u00b2", not a count'),  # a digit to str.isdigit, not to int()
        ("١٢", 'is "\\u0661\\u0662", not a count'),  # Arabic-Indic digits
        (-5, "is -5, not a count"),
        (2.5, "is 2.5, not a count"),
        (float("inf"), "is Infinity, not a count"),
        (True, "is true, not a count"),
    ],
)
def test_a_value_that_is_not_a_count_is_terminal_and_says_what_it_was(value, said):
    with pytest.raises(TerminalError) as raised:
        count_of(value, "hitsTotal", SHOWN)
    assert raised.value.message == f"hitsTotal in the answer from {SHOWN} {said}"


def test_a_sum_no_float_holds_is_terminal():
    assert value_of(10**30, "the uses") == 1e30
    with pytest.raises(TerminalError) as raised:
        value_of(2 * 10**308, "the uses")
    assert raised.value.message == (
        "the uses add up to 200000000000... (309 digits), which is not a finite number"
    )


@pytest.mark.parametrize(
    ("headers", "remaining", "wait"),
    [
        ({"r": "3", "t": "1060"}, 3, 60.0),
        ({"r": "²", "t": "1e400"}, None, None),  # a digit int() refuses; an infinite reset
        ({"r": "9" * 5000, "t": "nan"}, None, None),
        ({"r": "-1", "t": "x"}, None, None),
    ],
)
def test_odd_rate_limit_headers_are_read_as_absent(headers, remaining, wait):
    limit = RateLimit("r", "t")
    assert (limit.remaining(headers), limit.wait(headers, 1000.0)) == (remaining, wait)


# --- through the connectors ----------------------------------------------------------------


def history(*uses, day=None):
    return {
        "name": "acmewidget",
        "history": [
            {
                "day": day or str(int((TODAY - dt.timedelta(days=index)).timestamp())),
                "uses": str(count),
            }
            for index, count in enumerate(uses)
        ],
    }


def mastodon(answer):
    settings = MastodonSettings(server="mastodon.social", tag="acmewidget")
    with responses.RequestsMock(assert_all_requests_are_fired=True) as mock:
        mock.get(SHOWN, json=answer)
        [result] = MastodonConnector(clock=AT.timestamp).fetch(
            [Query("mentions", settings, Window(AT - WEEK, AT), AT)], Context()
        )
    return result


@pytest.mark.parametrize(
    ("answer", "message"),
    [
        (
            history(BIG),
            f"history[0].uses in the answer from {SHOWN} is {BIG_SHOWN}, not a finite number",
        ),
        (
            history(10**308, 10**308),
            (
                f"the days' uses in the answer from {SHOWN} add up to 200000000000... (309 "
                "digits), which is not a finite number"
            ),
        ),
        (
            history(1, day="9" * 30),
            (
                f"history[0].day in the answer from {SHOWN} is {'9' * 30} seconds after 1970, "
                "not a day okrkit can read"
            ),
        ),
    ],
)
def test_mastodon_refuses_a_history_no_float_or_date_holds(answer, message):
    result = mastodon(answer)
    assert isinstance(result, TerminalError)
    assert result.message == message


def test_x_refuses_a_total_no_float_holds_and_a_sum_of_pages_too():
    url = "https://api.x.com/2/tweets/counts/recent"
    settings = XSettings(query="acmewidget", token="AAAA-test-bearer")
    queries = [Query("mentions", settings, Window(AT - WEEK, AT), AT)]
    with responses.RequestsMock(assert_all_requests_are_fired=True) as mock:
        mock.get(url, json={"meta": {"total_tweet_count": BIG}})
        [one] = XConnector(clock=AT.timestamp).fetch(queries, Context())
    with responses.RequestsMock(assert_all_requests_are_fired=True) as mock:
        mock.get(url, json={"meta": {"total_tweet_count": 10**308, "next_token": "p2"}})
        mock.get(url, json={"meta": {"total_tweet_count": 10**308}})
        [two] = XConnector(clock=AT.timestamp).fetch(queries, Context())
    assert isinstance(one, TerminalError)
    assert one.message == (
        f"meta.total_tweet_count in the answer from {url} is {BIG_SHOWN}, not a finite number"
    )
    assert isinstance(two, TerminalError)
    assert two.message == (
        "the tweet counts of 2 pages add up to 200000000000... (309 digits), which is not a "
        "finite number"
    )


def test_bluesky_refuses_a_hits_total_no_float_holds_for_that_key_result_only():
    session = "https://bsky.social/xrpc/com.atproto.server.createSession"
    search = "https://bsky.social/xrpc/app.bsky.feed.searchPosts"

    def query(key, text):
        settings = BlueskySettings(
            query=text, handle="acme.bsky.social", app_password="abcd-efgh-ijkl-mnop"
        )
        return Query(key, settings, Window(AT - WEEK, AT), AT)

    with responses.RequestsMock(assert_all_requests_are_fired=True) as mock:
        mock.post(session, json={"accessJwt": "eyJ.test.jwt", "did": "did:plc:a"})
        mock.get(search, json={"posts": [], "hitsTotal": BIG})
        mock.get(search, json={"posts": [], "hitsTotal": 12})
        results = BlueskyConnector(clock=AT.timestamp).fetch(
            [query("huge", "acmewidget"), query("fine", "widgetco")], Context()
        )
    assert isinstance(results[0], TerminalError)
    assert results[0].message == (
        f"hitsTotal in the answer from {search} is {BIG_SHOWN}, not a finite number"
    )
    assert results[1] == Reading(12.0, raw={"hitsTotal": 12})
