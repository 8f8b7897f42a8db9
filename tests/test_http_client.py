"""`HttpClient`: status mapping, redaction, body cap, transport errors and per-host rate limits."""

import datetime as dt
import io
import threading

import pytest
import requests
import responses
import urllib3

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


def test_max_redirects_is_set_on_the_session(mock):
    mock.add(responses.GET, URL, body="{}")
    client = HttpClient(max_redirects=3, user_agent="okrkit-test/1")
    client.request("GET", URL)
    assert client._local.session.max_redirects == 3
    assert mock.calls[0].request.headers["User-Agent"] == "okrkit-test/1"


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


# --- sessions ------------------------------------------------------------------------------


def test_one_session_per_thread_and_close_closes_them_all(mock, monkeypatch):
    mock.add(responses.GET, URL, body="{}")
    mock.add(responses.GET, URL, body="{}")
    mock.add(responses.GET, URL, body="{}")
    closed: list[requests.Session] = []

    def close(self):
        closed.append(self)

    monkeypatch.setattr(requests.Session, "close", close)
    client = HttpClient()
    client.request("GET", URL)
    client.request("GET", URL)  # the same thread reuses its session
    worker = threading.Thread(target=client.request, args=("GET", URL))
    worker.start()
    worker.join()
    sessions = list(client._sessions)
    assert len(sessions) == 2
    assert sessions[0] is client._local.session
    client.close()
    assert closed == sessions
    assert client._sessions == []
    client.close()  # closing twice closes nothing more
    assert closed == sessions
