"""The bluesky connector against a mocked Bluesky API: session, search, pages and errors."""

# the passwords and tokens here are made up for the tests

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

from okrkit_social import BlueskyConnector, BlueskySettings

UTC = dt.UTC
AT = dt.datetime(2026, 8, 15, 9, 0, tzinfo=UTC)
WEEK = dt.timedelta(days=7)
NOW = AT.timestamp()
SESSION = "https://bsky.social/xrpc/com.atproto.server.createSession"
SEARCH = "https://bsky.social/xrpc/app.bsky.feed.searchPosts"
PASSWORD = "abcd-efgh-ijkl-mnop"
JWT = "eyJhbGciOiJIUzI1NiJ9.access-for-tests.signature"
REFRESH = "eyJhbGciOiJIUzI1NiJ9.refresh-for-tests.signature"


def settings(**overrides):
    return BlueskySettings(
        **{
            "query": "acmewidget",
            "handle": "acme.bsky.social",
            "app_password": PASSWORD,
            **overrides,
        }
    )


def query(settings, since=AT - WEEK, until=AT, key="mentions"):
    return Query(key, settings, Window(since, until), AT)


def only(results):
    assert len(results) == 1
    return results[0]


def session(mock, handle="acme.bsky.social", jwt=JWT, **kwargs):
    mock.post(
        SESSION,
        json={"accessJwt": jwt, "refreshJwt": REFRESH, "handle": handle, "did": "did:plc:abc"},
        match=[matchers.json_params_matcher({"identifier": handle, "password": PASSWORD})],
        **kwargs,
    )


def search_params(cursor=None, q="acmewidget"):
    wanted = {
        "q": q,
        "since": "2026-08-08T09:00:00Z",
        "until": "2026-08-15T09:00:00Z",
        "limit": "100",
        "sort": "latest",
    }
    if cursor is not None:
        wanted["cursor"] = cursor
    return matchers.query_param_matcher(wanted)


def posts(count, cursor=None):
    answer = {"posts": [{"uri": f"at://did:plc:abc/app.bsky.feed.post/{n}"} for n in range(count)]}
    if cursor is not None:
        answer["cursor"] = cursor
    return answer


# --- settings ------------------------------------------------------------------------------


def test_settings_have_defaults_and_keep_the_password_out_of_repr():
    made = structure_settings(
        BlueskyConnector,
        {"query": "acme", "handle": "@acme.bsky.social", "app_password": PASSWORD},
        "kr",
    )
    assert made == BlueskySettings(query="acme", handle="acme.bsky.social", app_password=PASSWORD)
    assert made.service == "https://bsky.social"
    assert made.max_pages == 20
    assert PASSWORD not in repr(made)


@pytest.mark.parametrize(
    ("extra", "setting", "message"),
    [
        ({"service": "http://bsky.social"}, "service", "is not an https address"),
        ({"handle": "acme bsky"}, "handle", "is not a handle"),
        ({"max_pages": 0}, "max_pages", "1 or more"),
        ({"app_password": ""}, "app_password", "it is empty"),
    ],
)
def test_settings_errors_name_the_setting(extra, setting, message):
    raw = {"query": "acme", "handle": "acme.bsky.social", "app_password": PASSWORD, **extra}
    with pytest.raises(SettingsError) as caught:
        structure_settings(BlueskyConnector, raw, "kr")
    assert caught.value.setting == setting
    assert message in str(caught.value)


def test_a_misspelled_setting_is_refused_with_a_suggestion():
    raw = {"query": "acme", "handle": "acme.bsky.social", "app_password": PASSWORD, "sevice": "x"}
    with pytest.raises(SettingsError) as caught:
        structure_settings(BlueskyConnector, raw, "kr")
    assert "unknown setting sevice (did you mean 'service'?)" in str(caught.value)


# --- session and search --------------------------------------------------------------------


def test_signs_in_then_counts_the_posts_page_by_page():
    context = Context()
    with responses.RequestsMock(assert_all_requests_are_fired=True) as mock:
        session(mock)
        auth = matchers.header_matcher({"Authorization": f"Bearer {JWT}"})
        mock.get(SEARCH, json=posts(100, cursor="100"), match=[search_params(), auth])
        mock.get(SEARCH, json=posts(37, cursor="200"), match=[search_params("100"), auth])
        mock.get(SEARCH, json=posts(0), match=[search_params("200"), auth])
        result = only(BlueskyConnector(clock=lambda: NOW).fetch([query(settings())], context))
        first_search = mock.calls[1].request.url
    assert result == Reading(137.0, raw={"posts": 137, "pages": 3})
    assert first_search == (
        SEARCH + "?q=acmewidget&since=2026-08-08T09%3A00%3A00Z&until=2026-08-15T09%3A00%3A00Z"
        "&limit=100&sort=latest"
    )
    # the session's tokens and the app password are secrets of the run from now on
    for secret in (JWT, REFRESH, PASSWORD):
        assert context.redactor.redact(f"got {secret}") == "got ***"


def test_a_last_page_without_a_cursor_ends_the_count():
    with responses.RequestsMock(assert_all_requests_are_fired=True) as mock:
        session(mock)
        mock.get(SEARCH, json=posts(12), match=[search_params()])
        result = only(BlueskyConnector().fetch([query(settings())], Context()))
    assert result.value == 12.0


def test_hits_total_is_the_value_when_bluesky_gives_it():
    with responses.RequestsMock(assert_all_requests_are_fired=True) as mock:
        session(mock)
        mock.get(SEARCH, json={**posts(100, cursor="100"), "hitsTotal": 4321})
        result = only(BlueskyConnector().fetch([query(settings())], Context()))
        assert len(mock.calls) == 2
    assert result == Reading(4321.0, raw={"hitsTotal": 4321})


def test_no_posts_is_zero():
    with responses.RequestsMock(assert_all_requests_are_fired=True) as mock:
        session(mock)
        mock.get(SEARCH, json={"posts": []})
        result = only(BlueskyConnector().fetch([query(settings())], Context()))
    assert result == Reading(0.0, raw={"posts": 0, "pages": 1})


def test_the_page_cap_is_said_in_the_note():
    with responses.RequestsMock(assert_all_requests_are_fired=True) as mock:
        session(mock)
        mock.get(SEARCH, json=posts(100, cursor="100"), match=[search_params()])
        mock.get(SEARCH, json=posts(100, cursor="200"), match=[search_params("100")])
        result = only(BlueskyConnector().fetch([query(settings(max_pages=2))], Context()))
        assert len(mock.calls) == 3
    assert result.value == 200.0
    assert result.note == (
        "counted the first 200 posts; the cap of max_pages = 2 pages was reached: raise "
        "max_pages to count more"
    )


def test_all_queries_of_a_run_share_one_session_per_account():
    other = settings(handle="news.bsky.social", query="acme")
    with responses.RequestsMock(assert_all_requests_are_fired=True) as mock:
        session(mock)
        session(mock, handle="news.bsky.social", jwt="eyJother.jwt.token")
        mock.get(SEARCH, json=posts(3), match=[search_params()])
        mock.get(SEARCH, json=posts(4), match=[search_params(q="acme")])
        mock.get(SEARCH, json=posts(5), match=[search_params()])
        connector = BlueskyConnector()
        results = connector.fetch(
            [query(settings()), query(other, key="b"), query(settings(), key="c")], Context()
        )
        signed_in = [call.request.url for call in mock.calls].count(SESSION)
    assert [result.value for result in results] == [3.0, 4.0, 5.0]
    assert signed_in == 2


def test_a_later_fetch_of_the_run_reuses_the_session_and_close_forgets_it():
    connector = BlueskyConnector()
    with responses.RequestsMock(assert_all_requests_are_fired=True) as mock:
        session(mock)
        mock.get(SEARCH, json=posts(1))
        mock.get(SEARCH, json=posts(2))
        first = only(connector.fetch([query(settings())], Context()))
        second = only(connector.fetch([query(settings())], Context()))
        assert [call.request.url for call in mock.calls].count(SESSION) == 1
    assert (first.value, second.value) == (1.0, 2.0)
    connector.close()
    with responses.RequestsMock(assert_all_requests_are_fired=True) as mock:
        session(mock)
        mock.get(SEARCH, json=posts(3))
        assert only(connector.fetch([query(settings())], Context())).value == 3.0


def test_no_window_is_a_settings_error_before_signing_in():
    with responses.RequestsMock(assert_all_requests_are_fired=True):
        result = only(BlueskyConnector().fetch([query(settings(), since=None)], Context()))
    assert isinstance(result, SettingsError)
    assert result.setting == "window"


# --- errors --------------------------------------------------------------------------------


def test_a_refused_app_password_fails_every_query_of_the_account_with_one_attempt():
    context = Context()
    with responses.RequestsMock(assert_all_requests_are_fired=True) as mock:
        mock.post(
            SESSION,
            status=401,
            json={"error": "AuthenticationRequired", "message": "Invalid identifier or password"},
        )
        results = BlueskyConnector().fetch(
            [query(settings()), query(settings(), key="other")], context
        )
        assert len(mock.calls) == 1
    for result in results:
        assert isinstance(result, CredentialsError)
        assert str(result) == (
            "Bluesky refused the handle 'acme.bsky.social' or its app password (HTTP 401: "
            "AuthenticationRequired: Invalid identifier or password): check the handle and the "
            "app_password setting's variable; create an app password in Bluesky under Settings "
            "> Privacy and security > App passwords"
        )
        assert PASSWORD not in context.redactor.redact(str(result))


def test_the_main_password_asking_for_an_email_code_says_to_use_an_app_password():
    with responses.RequestsMock(assert_all_requests_are_fired=True) as mock:
        mock.post(
            SESSION,
            status=401,
            json={"error": "AuthFactorTokenRequired", "message": "A sign in code has been sent"},
        )
        result = only(BlueskyConnector().fetch([query(settings())], Context()))
    assert isinstance(result, CredentialsError)
    assert "HTTP 401" in str(result)
    with responses.RequestsMock(assert_all_requests_are_fired=True) as mock:
        mock.post(SESSION, status=400, json={"error": "AuthFactorTokenRequired"})
        result = only(BlueskyConnector().fetch([query(settings())], Context()))
    assert isinstance(result, CredentialsError)
    assert "create an app password under Settings > Privacy and security" in str(result)


def test_a_session_without_an_access_token_is_a_terminal_error():
    with responses.RequestsMock(assert_all_requests_are_fired=True) as mock:
        mock.post(SESSION, json={"handle": "acme.bsky.social", "did": "did:plc:abc"})
        result = only(BlueskyConnector().fetch([query(settings())], Context()))
    assert isinstance(result, TerminalError)
    assert str(result) == f"the answer from {SESSION} has no 'accessJwt'"


def test_an_answer_without_posts_is_a_terminal_error():
    with responses.RequestsMock(assert_all_requests_are_fired=True) as mock:
        session(mock)
        mock.get(SEARCH, json={"cursor": "1"})
        result = only(BlueskyConnector().fetch([query(settings())], Context()))
    assert isinstance(result, TerminalError)
    assert str(result) == f"the answer from {SEARCH} has no 'posts' list"


def test_429_waits_until_the_rate_limit_resets():
    headers = {
        "ratelimit-limit": "3000",
        "ratelimit-remaining": "0",
        "ratelimit-reset": str(int(NOW) + 120),
        "ratelimit-policy": "3000;w=300",
    }
    with responses.RequestsMock(assert_all_requests_are_fired=True) as mock:
        session(mock)
        mock.get(SEARCH, status=429, json={"error": "RateLimitExceeded"}, headers=headers)
        result = only(BlueskyConnector(clock=lambda: NOW).fetch([query(settings())], Context()))
    assert isinstance(result, TransientError)
    assert result.retry_after == 120.0
    assert str(result) == "Bluesky answered HTTP 429 (too many requests); it resets in 120s"


def test_429_on_signing_in_is_transient_too():
    headers = {"ratelimit-remaining": "0", "ratelimit-reset": str(int(NOW) + 300)}
    with responses.RequestsMock(assert_all_requests_are_fired=True) as mock:
        mock.post(SESSION, status=429, json={"error": "RateLimitExceeded"}, headers=headers)
        result = only(BlueskyConnector(clock=lambda: NOW).fetch([query(settings())], Context()))
    assert isinstance(result, TransientError)
    assert result.retry_after == 300.0


def test_a_spent_rate_limit_stops_before_the_next_page():
    headers = {"ratelimit-remaining": "0", "ratelimit-reset": str(int(NOW) + 30)}
    with responses.RequestsMock(assert_all_requests_are_fired=True) as mock:
        session(mock)
        mock.get(SEARCH, json=posts(100, cursor="100"), headers=headers)
        result = only(BlueskyConnector(clock=lambda: NOW).fetch([query(settings())], Context()))
        assert len(mock.calls) == 2
    assert isinstance(result, TransientError)
    assert result.retry_after == 30.0
    assert str(result) == "Bluesky's rate limit is used up; it resets in 30s"


def test_an_expired_session_is_transient_and_the_retry_signs_in_again():
    connector = BlueskyConnector()
    with responses.RequestsMock(assert_all_requests_are_fired=True) as mock:
        session(mock)
        mock.get(SEARCH, status=400, json={"error": "ExpiredToken", "message": "Token has expired"})
        first = only(connector.fetch([query(settings())], Context()))
        session(mock, jwt="eyJnew.access.jwt")
        mock.get(
            SEARCH,
            json=posts(9),
            match=[matchers.header_matcher({"Authorization": "Bearer eyJnew.access.jwt"})],
        )
        second = only(connector.fetch([query(settings())], Context()))
    assert isinstance(first, TransientError)
    assert "signs in again on the next attempt" in str(first)
    assert second.value == 9.0


def test_a_bad_query_is_a_settings_error():
    with responses.RequestsMock(assert_all_requests_are_fired=True) as mock:
        session(mock)
        mock.get(
            SEARCH, status=400, json={"error": "BadQueryString", "message": "unbalanced quote"}
        )
        result = only(BlueskyConnector().fetch([query(settings())], Context()))
    assert isinstance(result, SettingsError)
    assert result.setting == "query"
    assert "BadQueryString: unbalanced quote" in str(result)


def test_a_refused_search_is_a_credentials_error():
    with responses.RequestsMock(assert_all_requests_are_fired=True) as mock:
        session(mock)
        mock.get(SEARCH, status=403, json={"error": "Forbidden"})
        result = only(BlueskyConnector().fetch([query(settings())], Context()))
    assert isinstance(result, CredentialsError)
    assert "HTTP 403: Forbidden" in str(result)


@pytest.mark.parametrize("failure", ["timeout", 502])
def test_timeouts_and_server_errors_are_transient(failure):
    with responses.RequestsMock(assert_all_requests_are_fired=True) as mock:
        session(mock)
        if failure == "timeout":
            mock.get(SEARCH, body=requests.Timeout())
        else:
            mock.get(SEARCH, status=failure, body="Bad Gateway")
        result = only(BlueskyConnector().fetch([query(settings())], Context()))
    assert isinstance(result, TransientError)
    assert ("timed out" if failure == "timeout" else "HTTP 502") in str(result)
