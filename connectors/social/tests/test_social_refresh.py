"""The social connectors as a refresh uses them: registration, settings errors, secrets."""

# the tokens and passwords here are made up for the tests

import datetime as dt
import json
import sqlite3

import okrkit
import responses
from okrkit.connectors import Registry
from okrkit.connectors._base import settings_of
from responses import matchers

from okrkit_social import BlueskyConnector, MastodonConnector, XConnector

UTC = dt.UTC
AT = dt.datetime(2026, 8, 15, 9, 0, tzinfo=UTC)
TODAY = dt.datetime(2026, 8, 15, tzinfo=UTC)
ENVIRON = {
    "MASTODON_TOKEN": "mastodon-secret-token-42",
    "X_BEARER_TOKEN": "AAAAAAAAAAAAAAAAAAAAAx-secret-bearer",
    "BLUESKY_APP_PASSWORD": "abcd-efgh-ijkl-mnop",
}
JWT = "eyJhbGciOiJIUzI1NiJ9.secret-access.jwt"
SECRETS = [*ENVIRON.values(), JWT]

PLAN = """
cycle: 2026-Q3
objectives:
  - id: launch-buzz
    title: Stir up a user-generated buzz around the new product launch
    key_results:
      - id: mastodon-mentions
        title: Mastodon mentions over 500
        source: {connector: mastodon, server: mastodon.social, tag: acmewidget, window: 7d}
      - id: x-mentions
        title: X mentions over 2000
        source:
          connector: x
          query: acmewidget -is:retweet
          token: "${X_BEARER_TOKEN}"
          window: 7d
      - id: bluesky-mentions
        title: Bluesky mentions over 800
        source:
          connector: bluesky
          query: acmewidget
          handle: acme.bsky.social
          app_password: "${BLUESKY_APP_PASSWORD}"
          window: 7d
      - id: fosstodon-mentions
        title: Fosstodon mentions over 100
        source:
          connector: mastodon
          server: fosstodon.org
          tag: acmewidget
          token: "${MASTODON_TOKEN}"
          window: 7d
      - id: plain-http-server
        title: Mentions on a plain server over 10
        source: {connector: mastodon, server: "http://mastodon.social", tag: acmewidget, window: 7d}
      - id: no-window
        title: Bluesky mentions ever over 5000
        source:
          connector: bluesky
          query: acmewidget
          handle: acme.bsky.social
          app_password: "${BLUESKY_APP_PASSWORD}"
"""


class XAtTheRefresh(XConnector):
    """X's 7-day edge is counted from the clock: here the clock is the refresh's moment."""

    def __init__(self):
        super().__init__(clock=AT.timestamp)


def history(*uses):
    days = [TODAY - dt.timedelta(days=index) for index in range(len(uses))]
    return {
        "name": "acmewidget",
        "history": [
            {"day": str(int(day.timestamp())), "uses": str(count), "accounts": "1"}
            for day, count in zip(days, uses, strict=True)
        ],
    }


def test_the_connectors_are_registered_under_their_names_with_documented_settings():
    registry = Registry(only=None)
    assert registry.get("mastodon") is MastodonConnector
    assert registry.get("x") is XConnector
    assert registry.get("bluesky") is BlueskyConnector
    for connector in (MastodonConnector, XConnector, BlueskyConnector):
        assert connector.windowed
        assert connector.summary
        described = settings_of(connector)
        assert described
        assert all(setting["help"] for setting in described), connector.name


def test_a_refresh_measures_reports_bad_settings_and_never_shows_a_secret(tmp_path):
    plan = okrkit.loads(PLAN, path=str(tmp_path / "okrs.yaml"))
    registry = Registry(
        entry_points=None, extra=[MastodonConnector, XAtTheRefresh, BlueskyConnector]
    )
    with responses.RequestsMock(assert_all_requests_are_fired=True) as mock:
        mock.get(
            "https://mastodon.social/api/v1/tags/acmewidget", json=history(5, 4, 3, 2, 1, 0, 10)
        )
        mock.get(
            "https://fosstodon.org/api/v1/timelines/tag/acmewidget",
            status=401,
            # a server that repeats the refused token must not leak it
            json={"error": f"The access token {ENVIRON['MASTODON_TOKEN']} is invalid"},
        )
        mock.get(
            "https://api.x.com/2/tweets/counts/recent",
            json={"data": [], "meta": {"total_tweet_count": 217}},
            match=[
                matchers.query_param_matcher(
                    {
                        "query": "acmewidget -is:retweet",
                        "start_time": "2026-08-08T09:00:30Z",
                        "end_time": "2026-08-15T08:59:30Z",
                        "granularity": "day",
                    }
                ),
                matchers.header_matcher({"Authorization": f"Bearer {ENVIRON['X_BEARER_TOKEN']}"}),
            ],
        )
        mock.post(
            "https://bsky.social/xrpc/com.atproto.server.createSession",
            json={
                "accessJwt": JWT,
                "refreshJwt": JWT + ".r",
                "handle": "acme.bsky.social",
                "did": "did:plc:a",
            },
        )
        mock.get(
            "https://bsky.social/xrpc/app.bsky.feed.searchPosts",
            json={"posts": [{"uri": f"at://did:plc:a/app.bsky.feed.post/{n}"} for n in range(42)]},
            match=[matchers.header_matcher({"Authorization": f"Bearer {JWT}"})],
        )
        with okrkit.open_store(tmp_path / "okrs.okrkit.db") as store:
            result = okrkit.refresh(
                plan, store, registry=registry, environ=ENVIRON, at=AT, sleep=lambda _: None
            )
    outcomes = {outcome.key_result: outcome for outcome in result.outcomes}

    assert (outcomes["mastodon-mentions"].status, outcomes["mastodon-mentions"].value) == (
        "measured",
        25.0,
    )
    assert (outcomes["x-mentions"].status, outcomes["x-mentions"].value) == ("measured", 217.0)
    assert (outcomes["bluesky-mentions"].status, outcomes["bluesky-mentions"].value) == (
        "measured",
        42.0,
    )

    refused = outcomes["fosstodon-mentions"]
    assert refused.status == "failed"
    assert refused.attempts == 1  # refused credentials are not retried
    assert refused.error.startswith(
        "fosstodon.org refused the token (HTTP 401: The access token *** is invalid)"
    )
    assert refused.error.endswith("[terminal]")

    invalid = outcomes["plain-http-server"]
    assert invalid.status == "invalid"
    assert invalid.error == (
        "setting 'server': okrkit reaches Mastodon over https only: write the server, as in "
        "mastodon.social"
    )

    windowless = outcomes["no-window"]
    assert windowless.status == "failed"
    assert windowless.error == (
        "setting 'window': bluesky counts mentions over a span of time: give the source a "
        "window, as in window: 7d [terminal]"
    )
    assert result.costs == {"x.requests": 1}

    shown = json.dumps(result.to_dict())
    with sqlite3.connect(tmp_path / "okrs.okrkit.db") as database:
        stored = "\n".join(database.iterdump())
    assert '"total_tweet_count": 217' in stored  # the raw answers are kept
    for secret in SECRETS:
        assert secret not in shown
        assert secret not in stored
