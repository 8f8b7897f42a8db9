"""`HttpClient`: status mapping, redaction, body cap, transport errors, per-host rate limits,
and what it does that a `requests.Session` did (headers, auth, redirects, hooks, environment)."""

import base64
import datetime as dt
import gzip
import io
import re
import threading

import pytest
import requests
import responses
import urllib3

from fakeapi import Answer
from okrkit.connectors import HttpClient, parse_retry_after
from okrkit.errors import (
    ConnectorError,
    CredentialsError,
    QuotaError,
    TerminalError,
    TransientError,
)
from okrkit.secrets import Redactor

URL = "https://a.example/v1/stats"


@pytest.fixture
def mock():
    with responses.RequestsMock(assert_all_requests_are_fired=True) as rsps:
        yield rsps


class FakeClock:
    """A monotonic clock that only moves when the limiter sleeps."""

    def __init__(self) -> None:
        self.now = 0.0
        self.sleeps: list[float] = []

    def __call__(self) -> float:
        return self.now

    def sleep(self, seconds: float) -> None:
        self.sleeps.append(seconds)
        self.now += seconds


# --- parse_retry_after -------------------------------------------------------------------

NOW = dt.datetime(2015, 10, 21, 7, 27, 0, tzinfo=dt.UTC)


@pytest.mark.parametrize(
    ("value", "expected"),
    [
        ("120", 120.0),
        (" 5 ", 5.0),
        ("1.5", 1.5),
        ("0", 0.0),
        ("-3", 0.0),  # never a negative wait
        ("Wed, 21 Oct 2015 07:28:00 GMT", 60.0),
        ("Wed, 21 Oct 2015 07:28:00 -0000", 60.0),  # a date without a zone is read as UTC
        ("Wed, 21 Oct 2015 08:28:30 +0100", 90.0),
        ("Wed, 21 Oct 2015 07:00:00 GMT", 0.0),  # a date in the past: no wait
    ],
)
def test_parse_retry_after_reads_seconds_and_http_dates(value, expected):
    assert parse_retry_after(value, now=NOW) == expected


@pytest.mark.parametrize(
    "value", [None, "", "   ", "soon", "nan", "Wed, 99 Foo 2015", "12 parsecs"]
)
def test_parse_retry_after_is_none_when_absent_or_garbage(value):
    assert parse_retry_after(value, now=NOW) is None


# --- statuses ------------------------------------------------------------------------------


@pytest.mark.parametrize("status", [200, 201, 204])
def test_a_2xx_returns_the_response_with_its_body_read(mock, status):
    mock.add(responses.GET, URL, status=status, body=b"" if status == 204 else b'{"n": 1}')
    client = HttpClient(timeout=3)
    response = client.request("GET", URL)
    assert response.status_code == status
    assert response.content == (b"" if status == 204 else b'{"n": 1}')
    sent = mock.calls[0].request
    assert sent.headers["User-Agent"] == "okrkit"
    assert sent.req_kwargs["timeout"] == 3
    assert sent.req_kwargs["stream"] is True


def test_an_explicit_timeout_argument_wins_over_the_clients(mock):
    mock.add(responses.GET, URL, body="{}")
    HttpClient(timeout=3).request("GET", URL, timeout=30)
    assert mock.calls[0].request.req_kwargs["timeout"] == 30


def test_get_json_and_json_decode_the_answer(mock):
    mock.add(responses.GET, URL, json={"views": 1234})
    mock.add(responses.POST, URL, json=[1, 2])
    client = HttpClient()
    assert client.get_json(URL) == {"views": 1234}
    assert client.json("POST", URL, json={"q": 1}) == [1, 2]
    assert mock.calls[1].request.body == b'{"q": 1}'


@pytest.mark.parametrize("status", [408, 425, 429, 500, 502, 503, 504])
def test_transient_statuses_raise_a_transient_error(mock, status):
    mock.add(responses.GET, URL, status=status, body="try later")
    with pytest.raises(TransientError) as caught:
        HttpClient().request("GET", URL)
    assert str(caught.value) == f"GET {URL} answered HTTP {status}: try later"
    assert caught.value.retry_after is None


def test_retry_after_in_seconds_is_kept_on_the_error(mock):
    mock.add(responses.GET, URL, status=429, headers={"Retry-After": "120"})
    with pytest.raises(TransientError) as caught:
        HttpClient().request("GET", URL)
    assert caught.value.retry_after == 120.0
    assert str(caught.value) == f"GET {URL} answered HTTP 429 (asked to wait 120s)"


def test_retry_after_as_an_http_date_is_kept_on_the_error(mock):
    # a date long past is a wait of 0 s whatever the real clock says
    mock.add(
        responses.GET, URL, status=503, headers={"Retry-After": "Wed, 21 Oct 2015 07:28:00 GMT"}
    )
    with pytest.raises(TransientError) as caught:
        HttpClient().request("GET", URL)
    assert caught.value.retry_after == 0.0
    assert str(caught.value) == f"GET {URL} answered HTTP 503 (asked to wait 0s)"


def test_retry_after_in_the_future_as_an_http_date_counts_from_now(mock):
    later = dt.datetime.now(dt.UTC) + dt.timedelta(hours=1)
    header = later.strftime("%a, %d %b %Y %H:%M:%S GMT")
    mock.add(responses.GET, URL, status=503, headers={"Retry-After": header})
    with pytest.raises(TransientError) as caught:
        HttpClient().request("GET", URL)
    assert caught.value.retry_after is not None
    assert 3590 <= caught.value.retry_after <= 3600


def test_garbage_retry_after_gives_no_hint(mock):
    mock.add(responses.GET, URL, status=429, headers={"Retry-After": "whenever"})
    with pytest.raises(TransientError) as caught:
        HttpClient().request("GET", URL)
    assert caught.value.retry_after is None
    assert str(caught.value) == f"GET {URL} answered HTTP 429"


@pytest.mark.parametrize("status", [401, 403])
def test_refused_credentials_raise_a_credentials_error(mock, status):
    mock.add(responses.GET, URL, status=status, body="invalid key")
    with pytest.raises(CredentialsError) as caught:
        HttpClient().request("GET", URL)
    assert str(caught.value) == (
        f"GET {URL} answered HTTP {status}: the credentials were refused or lack permission; "
        "check the key or token in the environment: invalid key"
    )
    assert isinstance(caught.value, TerminalError)


def test_402_raises_a_quota_error(mock):
    mock.add(responses.GET, URL, status=402, body="quota exceeded")
    with pytest.raises(QuotaError) as caught:
        HttpClient().request("GET", URL)
    assert str(caught.value) == f"GET {URL} answered HTTP 402 (payment or quota): quota exceeded"
    assert isinstance(caught.value, TerminalError)


@pytest.mark.parametrize("status", [400, 404, 410, 418, 501])
def test_other_errors_are_terminal_and_name_the_status(mock, status):
    mock.add(responses.DELETE, URL, status=status)
    with pytest.raises(TerminalError) as caught:
        HttpClient().request("DELETE", URL)
    assert type(caught.value) is TerminalError
    assert str(caught.value) == f"DELETE {URL} answered HTTP {status}"


def test_the_body_snippet_is_cut_to_200_characters_and_stripped(mock):
    mock.add(responses.GET, URL, status=404, body="  " + "x" * 300)
    with pytest.raises(TerminalError) as caught:
        HttpClient().request("GET", URL)
    # stripped, redacted, then cut to 200 characters with an ellipsis
    assert str(caught.value) == f"GET {URL} answered HTTP 404: " + "x" * 197 + "..."


# --- redaction -----------------------------------------------------------------------------


def test_the_body_snippet_is_redacted(mock):
    redactor = Redactor()
    redactor.add("s3cr3t-value")
    mock.add(responses.GET, URL, status=404, body="no user for token s3cr3t-value here")
    with pytest.raises(TerminalError) as caught:
        HttpClient(redactor=redactor).request("GET", URL)
    assert str(caught.value) == f"GET {URL} answered HTTP 404: no user for token *** here"


def test_a_key_in_the_query_string_never_shows(mock):
    mock.add(responses.GET, URL, status=500, body="failed for https://a.example/?key=AIzaSECRET")
    with pytest.raises(TransientError) as caught:
        HttpClient().request("GET", f"{URL}?key=AIzaSECRET&part=statistics")
    assert "AIzaSECRET" not in str(caught.value)
    assert str(caught.value) == (
        f"GET {URL} answered HTTP 500: failed for https://a.example/?key=***"
    )


def test_a_password_in_the_url_never_shows(mock):
    mock.add(responses.GET, "https://bob:hunter2@a.example/x", status=404)
    with pytest.raises(TerminalError) as caught:
        HttpClient().request("GET", "https://bob:hunter2@a.example/x?token=abcdef")
    assert str(caught.value) == "GET https://bob:***@a.example/x answered HTTP 404"


def test_a_connection_error_mentioning_the_key_does_not_show_it(mock):
    mock.add(
        responses.GET,
        URL,
        body=requests.ConnectionError(f"Max retries exceeded with url: {URL}?key=AIzaSECRET"),
    )
    with pytest.raises(TransientError) as caught:
        HttpClient().request("GET", f"{URL}?key=AIzaSECRET")
    assert str(caught.value) == (
        f"GET {URL}: could not connect to a.example: Max retries exceeded with url: {URL}?key=***"
    )


@pytest.mark.parametrize(
    ("url", "shown"),
    [
        ("ftp://a.example/file?key=AIzaSECRET", "ftp://a.example/file?key=***"),
        ("file:///etc/passwd", "file:///etc/passwd"),
        ("a.example/v1", "a.example/v1"),
        ("https:///no-host", "https:///no-host"),
        ("", ""),
    ],
)
def test_a_url_that_is_not_http_is_terminal_and_sends_nothing(mock, url, shown):
    with pytest.raises(TerminalError) as caught:
        HttpClient().request("GET", url)
    assert str(caught.value) == f"{shown!r} is not an http(s) URL"
    assert len(mock.calls) == 0


# --- body cap ------------------------------------------------------------------------------


def test_a_declared_body_larger_than_max_body_is_terminal(mock):
    mock.add(responses.GET, URL, body=b"x" * 2000, auto_calculate_content_length=True)
    with pytest.raises(TerminalError) as caught:
        HttpClient(max_body=1000).request("GET", URL)
    assert str(caught.value) == (
        f"the answer from {URL} is 2,000 bytes, more than the 1,000 okrkit reads"
    )


def test_a_streamed_body_larger_than_max_body_is_terminal(mock):
    mock.add(responses.GET, URL, body=b"x" * 2000)  # no Content-Length
    with pytest.raises(TerminalError) as caught:
        HttpClient(max_body=1000).request("GET", URL)
    assert str(caught.value) == f"the answer from {URL} is more than the 1,000 bytes okrkit reads"


def test_a_body_of_exactly_max_body_is_read(mock):
    mock.add(responses.GET, URL, body=b"x" * 1000, auto_calculate_content_length=True)
    mock.add(responses.GET, URL, body=b"y" * 1000)
    client = HttpClient(max_body=1000)
    assert client.request("GET", URL).content == b"x" * 1000
    assert client.request("GET", URL).content == b"y" * 1000


def test_the_body_cap_applies_to_error_answers_too(mock):
    mock.add(responses.GET, URL, status=500, body=b"x" * 2000)
    with pytest.raises(TerminalError, match="more than the 1,000 bytes okrkit reads"):
        HttpClient(max_body=1000).request("GET", URL)


# --- JSON ----------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("body", "start"),
    [
        (b"<html>Bad gateway</html>", "<html>Bad gateway</html>"),
        (b"", ""),
        (b'{"views": 1', '{"views": 1'),
        (b"\xff\xfe<html>", "\ufffd\ufffd<html>"),
    ],
)
def test_json_of_garbage_is_transient(mock, body, start):
    mock.add(responses.GET, URL, body=body)
    with pytest.raises(TransientError) as caught:
        HttpClient().get_json(f"{URL}?key=AIzaSECRET")
    assert str(caught.value) == f"GET {URL} answered with something that is not JSON: {start!r}"
    assert caught.value.retry_after is None


def test_json_garbage_is_redacted_then_cut_to_80_characters(mock):
    redactor = Redactor()
    redactor.add("s3cr3t-value")
    mock.add(responses.GET, URL, body="<p>s3cr3t-value</p>" + "z" * 200)
    with pytest.raises(TransientError) as caught:
        HttpClient(redactor=redactor).get_json(URL)
    start = "<p>***</p>" + "z" * 67 + "..."  # the secret masked first, then cut to 80
    assert str(caught.value) == f"GET {URL} answered with something that is not JSON: {start!r}"


# --- transport errors ----------------------------------------------------------------------


def test_a_timeout_is_transient(mock):
    mock.add(responses.GET, URL, body=requests.Timeout("read timed out"))
    with pytest.raises(TransientError) as caught:
        HttpClient(timeout=2.5).request("GET", URL)
    assert str(caught.value) == f"GET {URL} timed out after 2.5s"


def test_a_connect_timeout_is_transient_not_a_connection_error(mock):
    # ConnectTimeout is both a Timeout and a ConnectionError: it is reported as a timeout
    mock.add(responses.GET, URL, body=requests.ConnectTimeout("connect timed out"))
    with pytest.raises(TransientError) as caught:
        HttpClient(timeout=10).request("GET", URL)
    assert str(caught.value) == f"GET {URL} timed out after 10s"


def test_a_connection_error_is_transient_and_gives_the_innermost_reason(mock):
    # what requests raises: its error, caused by urllib3's, caused by the socket's
    refused = OSError("[Errno 111] Connection refused")
    pool = urllib3.exceptions.NewConnectionError(
        None, "<conn>: Failed to establish a new connection: [Errno 111] Connection refused"
    )
    pool.__context__ = refused
    error = requests.ConnectionError("HTTPSConnectionPool(host=...): Max retries exceeded")
    error.__context__ = pool
    mock.add(responses.GET, URL, body=error)
    with pytest.raises(TransientError) as caught:
        HttpClient().request("GET", URL)
    assert str(caught.value) == (
        f"GET {URL}: could not connect to a.example: [Errno 111] Connection refused"
    )
    assert caught.value.__cause__ is None
    assert caught.value.__suppress_context__ is True


def test_too_many_redirects_is_terminal(mock):
    mock.add(responses.GET, URL, body=requests.TooManyRedirects("Exceeded 3 redirects."))
    with pytest.raises(TerminalError) as caught:
        HttpClient(max_redirects=3).request("GET", URL)
    assert type(caught.value) is TerminalError
    assert str(caught.value) == f"GET {URL} was redirected more than 3 times"


def test_any_other_requests_error_is_terminal(mock):
    mock.add(responses.GET, URL, body=requests.exceptions.InvalidHeader("bad header value"))
    with pytest.raises(TerminalError) as caught:
        HttpClient().request("GET", URL)
    assert type(caught.value) is TerminalError
    assert str(caught.value) == f"GET {URL}: bad header value"


class _BrokenStream(io.RawIOBase):
    def readable(self) -> bool:
        return True

    def readinto(self, buffer) -> int:
        raise urllib3.exceptions.ProtocolError("Connection broken: IncompleteRead")


def test_a_connection_broken_while_reading_is_transient(mock):
    mock.add(responses.GET, URL, body=io.BufferedReader(_BrokenStream()))
    with pytest.raises(TransientError) as caught:
        HttpClient().request("GET", URL)
    assert str(caught.value) == (
        f"GET {URL}: the connection broke while reading the answer "
        "(Connection broken: IncompleteRead)"
    )


def test_an_error_that_is_not_from_requests_is_not_disguised(mock):
    # only requests' own errors are mapped; a bug elsewhere is not passed off as a source failure
    mock.add(responses.GET, URL, body=RuntimeError("not a requests error"))
    with pytest.raises(RuntimeError, match="not a requests error") as caught:
        HttpClient().request("GET", URL)
    assert not isinstance(caught.value, ConnectorError)


# --- rate limits ---------------------------------------------------------------------------


def _record_times(mock, clock, url):
    times: list[float] = []

    def answer(request):
        times.append(clock())
        return (200, {}, "{}")

    mock.add_callback(responses.GET, url, callback=answer)
    return times


def test_a_rate_limit_spaces_requests_to_one_host_evenly(mock):
    clock = FakeClock()
    times = _record_times(mock, clock, "https://a.example/x")
    client = HttpClient(rate_limits={"a.example": 2}, clock=clock, sleep=clock.sleep)
    for _ in range(3):
        client.request("GET", "https://a.example/x")
    assert clock.sleeps == [0.5, 0.5]
    assert times == [0.0, 0.5, 1.0]


def test_a_rate_limit_does_not_sleep_when_requests_are_already_spaced(mock):
    clock = FakeClock()
    _record_times(mock, clock, "https://a.example/x")
    client = HttpClient(rate_limits={"a.example": 2}, clock=clock, sleep=clock.sleep)
    client.request("GET", "https://a.example/x")
    clock.now = 0.3
    client.request("GET", "https://a.example/x")  # due at 0.5: waits 0.2
    clock.now = 5.0
    client.request("GET", "https://a.example/x")  # long after: no wait
    assert clock.sleeps == [pytest.approx(0.2)]


def test_a_host_without_a_limit_is_not_limited(mock):
    clock = FakeClock()
    _record_times(mock, clock, "https://b.example/x")
    client = HttpClient(rate_limits={"a.example": 2}, clock=clock, sleep=clock.sleep)
    for _ in range(5):
        client.request("GET", "https://b.example/x")
    assert clock.sleeps == []


def test_limits_are_kept_per_host(mock):
    clock = FakeClock()
    _record_times(mock, clock, "https://a.example/x")
    _record_times(mock, clock, "https://c.example/x")
    client = HttpClient(
        rate_limits={"a.example": 1, "c.example": 4}, clock=clock, sleep=clock.sleep
    )
    client.request("GET", "https://a.example/x")  # a: slot 0, next at 1
    client.request("GET", "https://c.example/x")  # c: slot 0, next at 0.25
    client.request("GET", "https://c.example/x")  # c: waits 0.25
    client.request("GET", "https://a.example/x")  # a: now 0.25, waits 0.75
    assert clock.sleeps == [0.25, 0.75]


def test_default_rate_applies_to_hosts_not_named(mock):
    clock = FakeClock()
    _record_times(mock, clock, "https://b.example/x")
    _record_times(mock, clock, "https://a.example/x")
    client = HttpClient(
        rate_limits={"a.example": 1}, default_rate=4, clock=clock, sleep=clock.sleep
    )
    for _ in range(3):
        client.request("GET", "https://b.example/x")
    assert clock.sleeps == [0.25, 0.25]
    client.request("GET", "https://a.example/x")
    client.request("GET", "https://a.example/x")
    assert clock.sleeps == [0.25, 0.25, 1.0]


@pytest.mark.parametrize("rate", [0, -1])
def test_a_rate_of_zero_or_less_means_no_limit(mock, rate):
    clock = FakeClock()
    _record_times(mock, clock, "https://a.example/x")
    client = HttpClient(rate_limits={"a.example": rate}, clock=clock, sleep=clock.sleep)
    for _ in range(3):
        client.request("GET", "https://a.example/x")
    assert clock.sleeps == []


def test_a_url_that_is_refused_does_not_take_a_rate_slot(mock):
    clock = FakeClock()
    client = HttpClient(default_rate=1, clock=clock, sleep=clock.sleep)
    with pytest.raises(TerminalError):
        client.request("GET", "ftp://a.example/x")
    assert client._limiters == {}


# --- what a session did: headers, auth, body, hooks ------------------------------------------


def test_the_default_headers_are_a_sessions_with_okrkits_user_agent(mock):
    mock.add(responses.GET, URL, body="{}")
    HttpClient(user_agent="okrkit-test/1").request("GET", URL)
    sent = mock.calls[0].request.headers
    assert sent["User-Agent"] == "okrkit-test/1"
    assert sent["Accept"] == "*/*"
    assert sent["Connection"] == "keep-alive"
    assert sent["Accept-Encoding"] == requests.utils.DEFAULT_ACCEPT_ENCODING
    assert "Cookie" not in sent


def test_a_callers_headers_are_merged_case_insensitively_and_none_removes_one(mock):
    mock.add(responses.GET, URL, body="{}")
    HttpClient().request(
        "GET", URL, headers={"user-agent": "mine/2", "Accept": None, "X-Api-Key": "k"}
    )
    sent = mock.calls[0].request.headers
    assert sent["User-Agent"] == "mine/2"
    assert "Accept" not in sent
    assert sent["X-Api-Key"] == "k"


def test_a_header_that_would_split_the_request_is_refused_before_sending(mock):
    with pytest.raises(TerminalError) as caught:
        HttpClient().request("GET", URL, headers={"X-Key": "k\r\nHost: evil.example"})
    assert str(caught.value).startswith(f"GET {URL}: Invalid leading whitespace")
    assert len(mock.calls) == 0


def test_params_basic_auth_and_a_json_body_are_sent_as_requests_sends_them(mock):
    mock.add(responses.POST, URL, json={"ok": True})
    HttpClient().json(
        "post", URL, params={"q": "a b", "n": 2}, auth=("bob", "pw"), json={"x": [1, 2]}
    )
    sent = mock.calls[0].request
    assert sent.method == "POST"
    assert sent.url == f"{URL}?q=a+b&n=2"
    assert sent.headers["Authorization"] == "Basic " + base64.b64encode(b"bob:pw").decode()
    assert sent.headers["Content-Type"] == "application/json"
    assert sent.body == b'{"x": [1, 2]}'


def test_credentials_in_the_url_are_sent_as_basic_auth(mock):
    mock.add(responses.GET, "https://bob:pw@a.example/x", body="{}")
    HttpClient().request("GET", "https://bob:pw@a.example/x")
    sent = mock.calls[0].request.headers["Authorization"]
    assert sent == "Basic " + base64.b64encode(b"bob:pw").decode()


def test_cookies_given_are_sent(mock):
    mock.add(responses.GET, URL, body="{}")
    HttpClient().request("GET", URL, cookies={"session": "abc"})
    assert mock.calls[0].request.headers["Cookie"] == "session=abc"


def test_a_response_hook_sees_every_answer_even_one_that_fails(mock):
    mock.add(responses.GET, URL, status=404, json={"error": "no such list"})
    seen: list[requests.Response] = []

    def keep(response, *args, **kwargs):
        seen.append(response)

    with pytest.raises(TerminalError):
        HttpClient().request("GET", URL, hooks={"response": [keep]})
    assert [response.status_code for response in seen] == [404]
    assert seen[0].json() == {"error": "no such list"}  # the body was read before the error


def test_the_response_is_a_requests_response_with_its_body_read(mock):
    mock.add(responses.GET, URL, json={"n": 1}, headers={"X-Rate-Remaining": "9"})
    response = HttpClient().request("GET", URL, stream=False)  # stream is accepted, and ignored
    assert isinstance(response, requests.Response)
    assert response.url == URL
    assert response.headers["x-rate-remaining"] == "9"
    assert response.json() == {"n": 1}
    assert response.text == '{"n": 1}'
    assert response.history == []
    assert response.elapsed >= dt.timedelta(0)


def test_an_unknown_keyword_is_a_type_error_as_with_requests(mock):
    with pytest.raises(TypeError, match="colour"):
        HttpClient().request("GET", URL, colour="blue")
    assert len(mock.calls) == 0


def test_a_gzipped_answer_is_decoded_and_capped_by_its_decoded_size(fake_api):
    packed = gzip.compress(b'{"n": "' + b"x" * 5000 + b'"}')
    fake_api.route("/z", Answer(body=packed, headers={"Content-Encoding": "gzip"}))
    client = HttpClient()
    assert client.get_json(fake_api.url + "/z") == {"n": "x" * 5000}
    with pytest.raises(TerminalError) as caught:
        HttpClient(max_body=1000).get_json(fake_api.url + "/z")  # 60 bytes on the wire
    assert str(caught.value) == (
        f"the answer from {fake_api.url}/z is more than the 1,000 bytes okrkit reads"
    )
    client.close()


@pytest.mark.parametrize("chunked", [False, True])
def test_a_real_answer_is_read_whole_with_or_without_a_length(fake_api, chunked):
    body = {"items": list(range(30000))}  # about 200 kB: several reads
    fake_api.route("/big", Answer(body=body, chunked=chunked))
    client = HttpClient()
    assert client.get_json(fake_api.url + "/big") == body
    client.close()


# --- redirects -----------------------------------------------------------------------------


def _redirect(mock, source, target, status=302):
    mock.add(responses.GET, source, status=status, headers={"Location": target})


def test_redirects_are_followed_and_kept_in_the_history(mock):
    _redirect(mock, URL, "https://a.example/v2/stats", 301)
    _redirect(mock, "https://a.example/v2/stats", "/v3/stats")  # relative
    mock.add(responses.GET, "https://a.example/v3/stats", json={"n": 3})
    response = HttpClient().request("GET", URL)
    assert response.json() == {"n": 3}
    assert response.url == "https://a.example/v3/stats"
    assert [(r.status_code, r.url) for r in response.history] == [
        (301, URL),
        (302, "https://a.example/v2/stats"),
    ]


def test_more_redirects_than_max_redirects_is_terminal(mock):
    for hop in range(4):
        _redirect(mock, f"https://a.example/{hop}", f"https://a.example/{hop + 1}")
    client = HttpClient(max_redirects=3)
    with pytest.raises(TerminalError) as caught:
        client.request("GET", "https://a.example/0")
    assert type(caught.value) is TerminalError
    assert str(caught.value) == "GET https://a.example/0 was redirected more than 3 times"
    assert len(mock.calls) == 4  # the first request and 3 redirects followed


def test_exactly_max_redirects_are_followed(mock):
    for hop in range(3):
        _redirect(mock, f"https://a.example/{hop}", f"https://a.example/{hop + 1}")
    mock.add(responses.GET, "https://a.example/3", json={"n": 3})
    assert HttpClient(max_redirects=3).get_json("https://a.example/0") == {"n": 3}


def test_a_303_turns_a_post_into_a_get_without_its_body(mock):
    mock.add(responses.POST, URL, status=303, headers={"Location": "https://a.example/done"})
    mock.add(responses.GET, "https://a.example/done", json={"n": 1})
    assert HttpClient().json("POST", URL, json={"q": 1}) == {"n": 1}
    follow = mock.calls[1].request
    assert follow.method == "GET"
    assert follow.body is None
    assert "Content-Type" not in follow.headers


def test_a_307_repeats_the_method_and_the_body(mock):
    mock.add(responses.POST, URL, status=307, headers={"Location": "https://a.example/again"})
    mock.add(responses.POST, "https://a.example/again", json={"n": 1})
    assert HttpClient().json("POST", URL, json={"q": 1}) == {"n": 1}
    follow = mock.calls[1].request
    assert follow.method == "POST"
    assert follow.body == b'{"q": 1}'


def test_authorization_is_dropped_on_a_redirect_to_another_host_only(mock):
    _redirect(mock, URL, "https://a.example/same")
    _redirect(mock, "https://a.example/same", "https://b.example/other")
    mock.add(responses.GET, "https://b.example/other", json={})
    HttpClient().request("GET", URL, headers={"Authorization": "Bearer t0ken"})
    sent = [call.request.headers.get("Authorization") for call in mock.calls]
    assert sent == ["Bearer t0ken", "Bearer t0ken", None]


def test_cookies_set_by_a_redirect_go_along_it_but_not_to_the_next_request(mock):
    mock.add(
        responses.GET,
        URL,
        status=302,
        headers={"Location": "https://a.example/in", "Set-Cookie": "sid=42; Path=/"},
    )
    mock.add(responses.GET, "https://a.example/in", json={})
    mock.add(responses.GET, "https://a.example/later", json={})
    client = HttpClient()
    client.request("GET", URL)
    client.request("GET", "https://a.example/later")
    sent = [call.request.headers.get("Cookie") for call in mock.calls]
    assert sent == [None, "sid=42", None]


def test_with_redirects_not_allowed_a_redirect_is_an_error_answer(mock):
    _redirect(mock, URL, "https://a.example/elsewhere")
    with pytest.raises(TerminalError) as caught:
        HttpClient().request("GET", URL, allow_redirects=False)
    assert str(caught.value) == f"GET {URL} answered HTTP 302"
    assert len(mock.calls) == 1


def test_under_a_policy_redirects_not_allowed_are_not_followed_either(fake_api):
    from okrkit.policy import Policy

    fake_api.route("/jump", Answer(302, "", {"Location": "/v"}))
    fake_api.route("/v", {"v": 5})
    client = HttpClient(policy=Policy(hosts=["127.0.0.1"], networks=["127.0.0.1/32"]))
    with pytest.raises(TerminalError) as caught:
        client.request("GET", fake_api.url + "/jump", allow_redirects=False)
    assert str(caught.value) == f"GET {fake_api.url}/jump answered HTTP 302"
    assert client.get_json(fake_api.url + "/jump") == {"v": 5}  # followed, checked, by default
    assert [seen.path for seen in fake_api.seen] == ["/jump", "/jump", "/v"]
    client.close()


def test_a_redirect_to_another_scheme_is_terminal(mock):
    _redirect(mock, URL, "ftp://a.example/file")
    with pytest.raises(TerminalError) as caught:
        HttpClient().request("GET", URL)
    assert str(caught.value) == (
        f"GET {URL}: No connection adapters were found for 'ftp://a.example/file'"
    )


def test_a_redirects_body_is_capped_too(mock):
    mock.add(responses.GET, URL, status=302, body=b"x" * 2000, headers={"Location": "/elsewhere"})
    with pytest.raises(TerminalError, match="more than the 1,000 bytes okrkit reads"):
        HttpClient(max_body=1000).request("GET", URL)
    assert len(mock.calls) == 1


def test_a_redirect_over_real_http_reuses_the_connection(fake_api):
    fake_api.route("/from", Answer(302, "", {"Location": "/to"}))
    fake_api.route("/to", {"n": 1})
    client = HttpClient()
    assert client.get_json(fake_api.url + "/from") == {"n": 1}
    assert client.get_json(fake_api.url + "/from") == {"n": 1}
    assert [seen.path for seen in fake_api.seen] == ["/from", "/to", "/from", "/to"]
    pools = list(client._local.adapter.pools.values())
    assert len(pools) == 1
    assert pools[0].num_connections == 1  # one connection served all four requests
    client.close()


# --- the environment -----------------------------------------------------------------------


@pytest.fixture
def no_proxies(monkeypatch):
    for name in ("HTTP_PROXY", "HTTPS_PROXY", "ALL_PROXY", "NO_PROXY"):
        monkeypatch.delenv(name, raising=False)
        monkeypatch.delenv(name.lower(), raising=False)
    return monkeypatch


def test_the_environments_proxy_carries_the_request(fake_api, no_proxies):
    fake_api.route("/v", {"via": "proxy"})
    no_proxies.setenv("HTTP_PROXY", fake_api.url)
    client = HttpClient()
    assert client.get_json("http://api.invalid/v?x=1") == {"via": "proxy"}
    assert [seen.target for seen in fake_api.seen] == ["http://api.invalid/v?x=1"]
    client.close()


def test_no_proxy_sends_a_host_direct(fake_api, no_proxies):
    fake_api.route("/v", {"via": "direct"})
    no_proxies.setenv("HTTP_PROXY", "http://127.0.0.1:9")  # nothing listens there
    no_proxies.setenv("NO_PROXY", "127.0.0.1")
    client = HttpClient()
    assert client.get_json(fake_api.url + "/v") == {"via": "direct"}
    assert [seen.target for seen in fake_api.seen] == ["/v"]
    client.close()


def test_the_environment_is_asked_for_proxies_once_per_origin(mock, no_proxies):
    mock.add(responses.GET, re.compile(r"https://[ab]\.example/.*"), body="{}")
    asked: list[str] = []
    real = requests.utils.get_environ_proxies

    def counting(url, no_proxy=None):
        asked.append(url)
        return real(url, no_proxy=no_proxy)

    no_proxies.setattr(requests.utils, "get_environ_proxies", counting)
    no_proxies.setenv("HTTPS_PROXY", "http://proxy.example:3128")
    client = HttpClient()
    for path in ("x", "y", "z"):
        client.request("GET", f"https://a.example/{path}")
    client.request("GET", "https://b.example/x")
    assert asked == ["https://a.example/x", "https://b.example/x"]
    proxies = [call.request.req_kwargs["proxies"] for call in mock.calls]
    assert proxies == [{"https": "http://proxy.example:3128"}] * 4


def test_a_callers_proxies_win_over_the_environments(mock, no_proxies):
    mock.add(responses.GET, URL, body="{}")
    no_proxies.setenv("HTTPS_PROXY", "http://proxy.example:3128")
    HttpClient().request("GET", URL, proxies={"https": "http://mine.example:8080"})
    assert mock.calls[0].request.req_kwargs["proxies"] == {"https": "http://mine.example:8080"}


def test_the_environments_ca_bundle_verifies_tls_unless_the_caller_says(mock, monkeypatch):
    mock.add(responses.GET, URL, body="{}")
    mock.add(responses.GET, URL, body="{}")
    monkeypatch.setenv("REQUESTS_CA_BUNDLE", "/etc/corporate-ca.pem")
    client = HttpClient()
    client.request("GET", URL)
    client.request("GET", URL, verify=False)
    assert [call.request.req_kwargs["verify"] for call in mock.calls] == [
        "/etc/corporate-ca.pem",
        False,
    ]


def test_netrc_gives_the_login_when_no_auth_is_given(mock, monkeypatch, tmp_path):
    netrc = tmp_path / "netrc"
    netrc.write_text("machine a.example login bob password pw\n")
    netrc.chmod(0o600)
    monkeypatch.setenv("NETRC", str(netrc))
    mock.add(responses.GET, URL, body="{}")
    mock.add(responses.GET, URL, body="{}")
    mock.add(responses.GET, "https://b.example/x", body="{}")
    client = HttpClient()
    client.request("GET", URL)
    client.request("GET", URL, auth=("alice", "other"))
    client.request("GET", "https://b.example/x")
    sent = [call.request.headers.get("Authorization") for call in mock.calls]
    assert sent == [
        "Basic " + base64.b64encode(b"bob:pw").decode(),
        "Basic " + base64.b64encode(b"alice:other").decode(),
        None,
    ]


# --- connections ---------------------------------------------------------------------------


def test_one_adapter_per_thread_and_close_closes_them_all(mock, monkeypatch):
    for _ in range(3):
        mock.add(responses.GET, URL, body="{}")
    closed: list[object] = []

    def close(self):  # a function, not closed.append: it must bind as a method
        closed.append(self)

    monkeypatch.setattr(requests.adapters.HTTPAdapter, "close", close)
    client = HttpClient()
    client.request("GET", URL)
    client.request("GET", URL)  # the same thread reuses its adapter
    worker = threading.Thread(target=client.request, args=("GET", URL))
    worker.start()
    worker.join()
    adapters = list(client._adapters)
    assert len(adapters) == 2
    assert adapters[0] is client._local.adapter
    client.close()
    assert closed[:2] == adapters
    assert client._adapters == []
    count = len(closed)
    client.close()  # closing twice closes nothing more
    assert len(closed) == count


def test_an_adapter_keeps_as_many_pools_as_requests_does_and_closes_them():
    from requests.models import PreparedRequest

    from okrkit.connectors._http import _adapter_class

    adapter = _adapter_class()()

    def pool_for(host, verify=True):
        prepared = PreparedRequest()
        prepared.prepare(method="GET", url=f"http://{host}/x?y=1")
        return adapter.get_connection_with_tls_context(prepared, verify, {}, None)

    first = pool_for("h0.example")
    assert pool_for("h0.example") is first  # looked up once per origin
    assert pool_for("h0.example", verify="/etc/ca.pem") is not first  # and TLS settings
    kept = [pool_for(f"h{number}.example") for number in range(1, 12)]
    assert len(adapter.pools) <= 10  # a run against many hosts holds a pool for a few only
    assert pool_for("h11.example") is kept[-1]
    adapter.close()
    assert adapter.pools == {}
    assert kept[-1].pool is None  # closed: its connections with it
