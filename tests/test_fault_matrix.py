"""The fault matrix: every fault an HTTP source can show, against every connector that speaks HTTP.

Each case runs the real `okrkit.refresh` over a plan of two key results: one whose source is the
faulty one, and one typed in the file (``static``) that must be measured and stored whatever
happens to the other. Faults are real: a port nobody listens on, a connection closed halfway
through the body, a server slower than the timeout, statuses, bodies, redirects (Mailchimp, whose
host cannot be changed, gets the same faults from `responses`). Waits between attempts go to a
recording `sleep`; only timeouts cost real time.

The expected outcome of every cell is in `EXPECTED` (and in the table of
``docs/reliability-faults.md``): a test fails when a cell's outcome, message, attempts, the run's
record or the exit code differ.
"""

from __future__ import annotations

import datetime as dt
import email.utils
import json
import textwrap

import attrs
import pytest

import okrkit
from fakeapi import Answer, FakeApi
from fault_servers import AT, VENDORS, Vendor, make_tls
from okrkit.connectors import Registry
from okrkit.runner import Retry

RETRY = Retry(attempts=3, backoff=0.01, max_wait=5)
TIMEOUT = 0.3  # seconds per request; a timeout case waits 3 x this
KEY = "okrs"
GOOD = 42.0
STEADY = 7.0
HUGE = 10 * 1024 * 1024 + 1  # a byte more than HttpClient's max_body


class Sleeps(list):
    def __call__(self, seconds: float) -> None:
        self.append(seconds)


def plan_text(source: dict, steady: dict | None = None) -> str:
    """Two key results: `faulty` from `source`, and `steady` (typed in the file by default)."""
    steady = steady or {"connector": "static", "value": STEADY}
    return textwrap.dedent(
        f"""\
        cycle: 2026-Q3
        objectives:
          - id: o
            title: Become the tool teams reach for
            key_results:
              - id: faulty
                title: Sign-ups over 100
                source: {json.dumps(source)}
              - id: steady
                title: Demos over 10
                source: {json.dumps(steady)}
        """
    )


@pytest.fixture(scope="session")
def tls(tmp_path_factory):
    pytest.importorskip("cryptography")
    return make_tls(tmp_path_factory.mktemp("tls"))


@pytest.fixture
def store(tmp_path):
    with okrkit.open_store(tmp_path / "s.db") as opened:
        yield opened


@pytest.fixture(scope="module")
def servers(tls):
    """A plain and an HTTPS fake server, shared by the module's cases (each starts them anew)."""
    plain, secure = FakeApi(), FakeApi(tls=tls[0])
    yield {False: plain, True: secure}
    plain.close()
    secure.close()


@pytest.fixture
def vendor_for(servers, tls, monkeypatch, tmp_path):
    made: list[Vendor] = []

    def make(name: str) -> Vendor:
        kind = VENDORS[name]
        api: FakeApi | None = None
        if name != "mailchimp":
            api = servers[kind.tls]
            api.reset()
            if kind.tls:
                monkeypatch.setenv("REQUESTS_CA_BUNDLE", str(tls[1]))
        vendor = kind(api, monkeypatch, tmp_path)
        made.append(vendor)
        return vendor

    yield make
    for vendor in made:
        vendor.close()


# -- The faults -------------------------------------------------------------------------------


def _http_date(seconds: float) -> str:
    return email.utils.format_datetime(
        dt.datetime.now(dt.UTC) + dt.timedelta(seconds=seconds), usegmt=True
    )


def _malformed(vendor: Vendor) -> Answer:
    if vendor.name == "csv":
        return Answer(body='day,signups\n2026-08-15,"42\n', headers={"Content-Type": "text/csv"})
    text = vendor.body(vendor.good)
    return Answer(body=text[: len(text) // 2])


def _value(literal: str | None):
    return lambda vendor: (Answer(body=vendor.body(literal)),)


def _huge(*, chunked: bool):
    def script(vendor: Vendor) -> tuple[Answer, ...]:
        padded = vendor.body(vendor.good).encode() + b" " * HUGE  # still a valid answer
        return (Answer(body=padded, chunked=chunked),)

    return script


TEXT = {"Content-Type": "text/plain"}

FAULTS = {
    "refused": lambda vendor: (Answer(body=vendor.body(vendor.good)),),
    "reset": lambda vendor: (Answer(body=vendor.body(vendor.good), cut=True),),
    "timeout": lambda vendor: (Answer(body=vendor.body(vendor.good), delay=TIMEOUT + 0.3),),
    "429": lambda vendor: (Answer(429, "slow down", TEXT),),
    "429-retry-after-seconds": lambda vendor: (
        Answer(429, "slow down", {**TEXT, "Retry-After": "2"}),
    ),
    "429-retry-after-date": lambda vendor: (
        Answer(429, "slow down", {**TEXT, "Retry-After": _http_date(4)}),
    ),
    "500": lambda vendor: (Answer(500, "boom", TEXT),),
    "502": lambda vendor: (Answer(502, "bad gateway", TEXT),),
    "503": lambda vendor: (Answer(503, "busy", TEXT),),
    "malformed": lambda vendor: (_malformed(vendor),),
    "value-missing": _value(None),
    "value-text-number": _value('"123"'),
    "value-text": _value('"abc"'),
    "value-negative": _value("-5"),
    "value-nan": _value("NaN"),
    "value-infinite": _value("1e999"),
    "value-1e30": _value("1" + "0" * 30),
    "value-1e400": _value("1" + "0" * 400),
    "redirect-loop": lambda vendor: (Answer(302, "", {"Location": vendor.route}),),
    "huge-body": _huge(chunked=False),
    "huge-body-chunked": _huge(chunked=True),
}


# -- What each cell must end in -----------------------------------------------------------------

T, X, M = "transient", "terminal", "measured"
REQUESTS = ("http", "csv", "mastodon", "x", "bluesky", "mailchimp", "kit")  # through HttpClient
HTTPLIB2 = ("youtube", "sheets", "ga4")


@attrs.frozen
class Expect:
    """A cell's outcome: `kind` (transient or terminal failure, or measured), the `value` when
    measured, and text the error (or note) must hold; ``{url}`` is the value's address."""

    kind: str
    says: tuple[str, ...] = ()
    value: float | None = None


def _fail(kind: str, *says: str) -> Expect:
    return Expect(kind, says)


def _measured(value: float, *note: str) -> Expect:
    return Expect(M, note, value)


# How each counting connector names a value that is not a count; {json} is the value as JSON
# writes it, {repr} as Python does.
NOT_A_COUNT = {
    "mastodon": "history[0].uses in the answer from {url} is {json}, not a count",
    "x": "meta.total_tweet_count in the answer from {url} is {json}, not a count",
    "bluesky": "hitsTotal in the answer from {url} is {json}, not a count",
    "mailchimp": "Mailchimp's answer for audience 'a1b2c3d4e5': stats.member_count is {json}, "
    "not a count",
    "kit": "Kit's answer from /v4/subscribers: pagination.total_count is {json}, not a count",
    "youtube": "video dQw4w9WgXcQ: viewCount is {repr}, not a count",
}
# Where each connector's value sits, as its messages name it.
PLACE = {
    "http": "data.total in the answer from {url}",
    "csv": "row 3 of {url}, column 'signups'",
    "mastodon": "history[0].uses",
    "x": "meta.total_tweet_count",
    "bluesky": "hitsTotal",
    "mailchimp": "stats.member_count",
    "kit": "pagination.total_count",
    "youtube": "viewCount",
    "sheets": "Sheet1!B2",
    "ga4": "eventCount",
}


def _not_a_count(json_text: str, python: str) -> dict[str, Expect]:
    return {
        name: _fail(X, text.replace("{json}", json_text).replace("{repr}", python))
        for name, text in NOT_A_COUNT.items()
    }


def _statuses() -> dict[str, dict[str, Expect]]:
    rows = {}
    for code, body, reason in (
        ("500", "boom", "Internal Server Error"),
        ("502", "bad gateway", "Bad Gateway"),
        ("503", "busy", "Service Unavailable"),
    ):
        generic = _fail(T, f"GET {{url}} answered HTTP {code}: {body}")
        rows[code] = {
            **dict.fromkeys(("http", "csv", "mastodon", "x", "bluesky"), generic),
            "mailchimp": _fail(T, f"Mailchimp answered HTTP {code}"),
            "kit": _fail(T, f"Kit answered HTTP {code} ({body})"),
            "youtube": _fail(
                T, f"YouTube videos.list answered HTTP {code} (busy or rate-limited; it is tried"
            ),
            "sheets": _fail(T, f"Google Sheets answered HTTP {code}: {reason}; trying again"),
            "ga4": _fail(T, f"Google Analytics answered HTTP {code}: {reason}; trying again"),
        }
    return rows


def _rate_limited(wait: str | None) -> dict[str, Expect]:
    """The 429 row; `wait` is how the wait is written: None when none is asked, "2s", or ""
    when the number is not known beforehand (a wait until an HTTP date)."""
    asked = f" (asked to wait {wait}" if wait is not None else ""
    resets = f"; it resets in {wait}" if wait is not None else ""
    told = f"; it asked to wait {wait}" if wait is not None else ""
    generic = _fail(T, f"GET {{url}} answered HTTP 429{asked}")
    google = "is rate limiting these requests" + asked
    return {
        "http": generic,
        "csv": generic,
        "mastodon": _fail(T, f"Mastodon answered HTTP 429 (too many requests){resets}"),
        "x": _fail(T, f"X answered HTTP 429 (too many requests){resets}"),
        "bluesky": _fail(T, f"Bluesky answered HTTP 429 (too many requests){resets}"),
        "mailchimp": _fail(
            T,
            "Mailchimp answered HTTP 429: too many requests at once with this key (Mailchimp "
            f"allows 10 simultaneous connections){told}",
        ),
        "kit": _fail(
            T,
            "Kit answered HTTP 429 (slow down): more than 120 requests in 60 seconds with this "
            "key" + (told or "; a minute's wait resets the limit"),
        ),
        "youtube": _fail(
            T,
            "YouTube videos.list answered HTTP 429 (busy or rate-limited"
            + (f", asked to wait {wait}" if wait is not None else "; it is tried again)"),
        ),
        "sheets": _fail(T, f"Google Sheets {google}"),
        "ga4": _fail(T, f"Google Analytics {google}"),
    }


REFUSED = "could not connect to 127.0.0.1: [Errno 111] Connection refused"
BROKE = "GET {url}: the connection broke while reading the answer ("
NOT_JSON = "GET {url} answered with something that is not JSON: '"
TOO_BIG = ("the answer from {url} is ", " bytes, more than the 10,485,760 okrkit reads")
# How the httplib2 connectors name their source at the start of a message.
PRODUCT = {"youtube": "YouTube videos.list", "sheets": "Google Sheets", "ga4": "Google Analytics"}

EXPECTED: dict[str, dict[str, Expect]] = {
    "refused": {
        **dict.fromkeys(("http", "csv", "mastodon", "x", "bluesky", "kit"), _fail(T, REFUSED)),
        "mailchimp": _fail(
            T, "could not connect to us21.api.mailchimp.com: [Errno 111] Connection refused"
        ),
        "youtube": _fail(
            T,
            "YouTube videos.list: could not reach the API (ConnectionRefusedError: [Errno 111] "
            "Connection refused); it is tried again",
        ),
        "sheets": _fail(T, "could not connect to Google Sheets: [Errno 111] Connection refused"),
        "ga4": _fail(T, "could not connect to Google Analytics: [Errno 111] Connection refused"),
    },
    "reset": {
        **{name: _fail(T, BROKE + "IncompleteRead(") for name in REQUESTS},
        "mailchimp": _fail(T, BROKE + "[Errno 104] Connection reset by peer)"),
        "youtube": _fail(T, "YouTube videos.list: the connection broke while reading the answer ("),
        **{
            name: _fail(T, f"the connection to {PRODUCT[name]} broke while reading the answer (")
            for name in ("sheets", "ga4")
        },
    },
    "timeout": {
        **{name: _fail(T, "GET {url} timed out after 0.3s") for name in REQUESTS},
        "youtube": _fail(T, "YouTube videos.list timed out (timed out); it is tried again"),
        "sheets": _fail(T, "Google Sheets did not answer within 0.3s"),
        "ga4": _fail(T, "Google Analytics did not answer within 0.3s"),
    },
    "429": _rate_limited(None),
    "429-retry-after-seconds": _rate_limited("2s"),
    "429-retry-after-date": _rate_limited(""),  # the wait itself is checked on the sleeps
    **_statuses(),
    "malformed": {
        **{name: _fail(T, NOT_JSON) for name in REQUESTS},
        "csv": _fail(X, "{url} is not valid CSV (line 2): unexpected end of data"),
        "youtube": _fail(
            T, "YouTube videos.list answered with something that is not a JSON object ('"
        ),
        "sheets": _fail(T, "Google Sheets answered with something that is not JSON"),
        "ga4": _fail(T, "Google Analytics answered with something that is not JSON"),
    },
    "value-missing": {
        "http": _fail(
            X,
            "the answer from {url} does not have 'data.total': data has no key 'total' (its "
            "keys: label)",
        ),
        # a blank last cell is passed over, as documented: the row before it is the last value
        "csv": _measured(40.0, "passed over 1 later row with a blank cell"),
        "mastodon": _fail(X, "the answer from {url} has no 'history[0].uses'"),
        "x": _fail(X, "the answer from {url} has no 'meta.total_tweet_count'"),
        # without hitsTotal the posts are counted, and there is no posts list either
        "bluesky": _fail(X, "the answer from {url} has no 'posts' list"),
        "mailchimp": _fail(
            X,
            "Mailchimp's answer for audience 'a1b2c3d4e5': stats has no key 'member_count' (its "
            "keys: open_rate)",
        ),
        "kit": _fail(
            X,
            "Kit's answer from /v4/subscribers: pagination has no key 'total_count' (its keys: "
            "per_page)",
        ),
        "youtube": _fail(X, "video dQw4w9WgXcQ has no views to read (viewCount is missing)"),
        "sheets": _fail(X, "the cell is empty: Sheet1!B2 holds no value"),
        "ga4": _fail(X, "Google Analytics answered None for eventCount, which is not a number"),
    },
    "value-text-number": {
        # numbers written as text are read where the vendor writes them so (YouTube, GA4,
        # Mastodon) and by the generic connectors; Mailchimp and Kit answer numbers, and a
        # Sheets cell holding text is text (both documented)
        **{
            name: _measured(123.0)
            for name in ("http", "csv", "mastodon", "x", "bluesky", "youtube", "ga4")
        },
        "mailchimp": _not_a_count('"123"', "")["mailchimp"],
        "kit": _not_a_count('"123"', "")["kit"],
        "sheets": _fail(X, "Sheet1!B2 holds text '123', not a number"),
    },
    "value-text": {
        "http": _fail(X, "data.total in the answer from {url}: 'abc' is not a number"),
        "csv": _fail(X, "row 3 of {url}, column 'signups': 'abc' is not a number"),
        **_not_a_count('"abc"', "'abc'"),
        "sheets": _fail(X, "Sheet1!B2 holds text 'abc', not a number"),
        "ga4": _fail(X, "Google Analytics answered 'abc' for eventCount, which is not a number"),
    },
    "value-negative": {
        # "negative numbers are fine (a balance can be negative)"; a count cannot be
        **{name: _measured(-5.0) for name in ("http", "csv", "sheets", "ga4")},
        **_not_a_count("-5", "-5"),
    },
    "value-nan": {
        "http": _fail(X, "data.total in the answer from {url}: nan is not a finite number"),
        "csv": _fail(X, "row 3 of {url}, column 'signups': 'NaN' is not a number"),
        **_not_a_count("NaN", "nan"),
        "sheets": _fail(X, "Sheet1!B2 holds nan, not a finite number"),
        "ga4": _fail(X, "Google Analytics answered nan for eventCount"),
    },
    "value-infinite": {
        "http": _fail(X, "data.total in the answer from {url}: inf is not a finite number"),
        "csv": _fail(X, "row 3 of {url}, column 'signups': '1e999' is not a finite number"),
        **_not_a_count("Infinity", "inf"),
        "sheets": _fail(X, "Sheet1!B2 holds inf, not a finite number"),
        "ga4": _fail(X, "Google Analytics answered inf for eventCount"),
    },
    "value-1e30": {name: _measured(1e30) for name in VENDORS},
    # an integer no float holds: refused for its own key result, naming where it was
    "value-1e400": {name: _fail(X, PLACE[name], "not a finite number") for name in VENDORS},
    "redirect-loop": {
        **{name: _fail(X, "GET {url} was redirected more than 5 times") for name in REQUESTS},
        "youtube": _fail(X, "edirect"),
        "sheets": _fail(X, "edirect"),
        # httplib2 follows no redirect of a POST: the 302 itself is the answer
        "ga4": _fail(X, "Google Analytics answered HTTP 302: Found"),
    },
    "huge-body": {
        **{name: _fail(X, *TOO_BIG) for name in REQUESTS},
        **{name: _fail(X, f"{PRODUCT[name]}: the answer is ", TOO_BIG[1]) for name in HTTPLIB2},
    },
    "huge-body-chunked": {
        **{
            name: _fail(X, "the answer from {url} is more than the 10,485,760 bytes okrkit reads")
            for name in REQUESTS
        },
        **{
            name: _fail(
                X, f"{PRODUCT[name]}: the answer is more than the 10,485,760 bytes okrkit reads"
            )
            for name in HTTPLIB2
        },
    },
}
EXPECTED["value-1e400"]["csv"] = _fail(
    X, "row 3 of {url}, column 'signups': '1000", " is not a finite number"
)

# Cells whose outcome is wrong today: each is a bug, kept as a strict xfail until fixed
# ({(fault, connector): why}). None is known.
BUGS: dict[tuple[str, str], str] = {}


def _cells() -> list:
    cells = []
    for fault in FAULTS:
        for name in VENDORS:
            bug = BUGS.get((fault, name))
            marks = [pytest.mark.xfail(strict=True, reason=bug)] if bug else []
            cells.append(pytest.param(fault, name, marks=marks, id=f"{fault}-{name}"))
    return cells


def test_every_cell_has_an_expected_outcome():
    assert set(EXPECTED) == set(FAULTS)
    for fault, row in EXPECTED.items():
        assert set(row) == set(VENDORS), fault
    assert set(BUGS) <= {(fault, name) for fault in FAULTS for name in VENDORS}


# -- One case ---------------------------------------------------------------------------------


def play(vendor: Vendor, fault: str | None, store):
    """Refresh the two key results with `fault` scripted on the vendor's value (None: as
    scripted already)."""
    if fault is not None:
        vendor.refused = fault == "refused"
        vendor.prepare()
        vendor.script(*FAULTS[fault](vendor))
    plan = okrkit.loads(plan_text(vendor.source()), path="okrs.yaml")
    sleeps = Sleeps()
    extra = vendor.extra()
    registry = Registry(extra=extra, only=None) if extra else Registry(only=None)
    result = okrkit.refresh(
        plan,
        store,
        at=AT,
        environ=vendor.environ(),
        registry=registry,
        retry=RETRY,
        sleep=sleeps,
        timeout=TIMEOUT,
    )
    return result, sleeps


def _requests_per_attempt(fault: str, name: str) -> int:
    if fault == "refused":
        return 1 if name == "mailchimp" else 0  # responses sees the call it refuses
    if fault == "redirect-loop" and name != "ga4":
        return 6  # the request and 5 redirects
    return 1


@pytest.mark.parametrize("connector", list(VENDORS))
def test_a_good_answer_is_measured(connector, vendor_for, store):
    vendor = vendor_for(connector)
    vendor.prepare()
    vendor.script(Answer(body=vendor.body(vendor.good)))
    result, sleeps = play(vendor, None, store)

    assert [(o.key_result, o.status, o.value, o.error, o.attempts) for o in result.outcomes] == [
        ("faulty", "measured", GOOD, None, 1),
        ("steady", "measured", STEADY, None, 1),
    ]
    assert (vendor.hits(), sleeps, result.exit_code()) == (1, [], 0)
    assert [record.value for record in store.history(KEY, "faulty")] == [GOOD]


@pytest.mark.parametrize(("fault", "connector"), _cells())
def test_a_fault_ends_in_its_documented_outcome(fault, connector, vendor_for, store):
    vendor = vendor_for(connector)
    expect = EXPECTED[fault][connector]
    result, sleeps = play(vendor, fault, store)

    outcomes = {outcome.key_result: outcome for outcome in result.outcomes}
    faulty, steady = outcomes["faulty"], outcomes["steady"]
    # the other key result is measured and stored, whatever happened to the faulty one
    assert (steady.status, steady.value, steady.error) == ("measured", STEADY, None)
    assert [record.value for record in store.history(KEY, "steady")] == [STEADY]

    failed = expect.kind != M
    attempts = 3 if expect.kind == T else 1
    if failed:
        assert (faulty.status, faulty.value) == ("failed", None), faulty.error
        assert faulty.error.endswith(f" [{expect.kind}]"), faulty.error
        text = faulty.error
    else:
        assert (faulty.status, faulty.value, faulty.error) == ("measured", expect.value, None)
        text = faulty.note or ""
    for part in expect.says:
        assert part.format(url=vendor.url) in text, text
    assert "crashed" not in text
    assert faulty.attempts == attempts
    assert vendor.hits() == attempts * _requests_per_attempt(fault, connector)

    if expect.kind == T:
        assert len(sleeps) == 2
        if fault == "429-retry-after-seconds":
            assert sleeps == [2.0, 2.0]
        elif fault == "429-retry-after-date":  # until 4 s after it was written (whole seconds)
            assert 1.0 < sleeps[0] <= 4.0, sleeps
            assert 0.0 < sleeps[1] <= sleeps[0], sleeps  # the same moment, asked again later
        else:
            assert all(0 < wait <= 0.05 for wait in sleeps), sleeps  # 0.01 s, 0.02 s, jittered
    else:
        assert sleeps == []

    # the run's record, summary and exit code say exactly what happened
    stored = [record.value for record in store.history(KEY, "faulty")]
    assert stored == ([] if failed else [expect.value])
    [run] = store.runs(KEY)
    assert (run.id, run.status, run.measured, run.failed, run.skipped) == (
        result.run_id,
        "partial" if failed else "ok",
        1 if failed else 2,
        1 if failed else 0,
        0,
    )
    assert [(r["key_result"], r["status"], r["error"]) for r in run.results] == [
        ("faulty", faulty.status, faulty.error),
        ("steady", "measured", None),
    ]
    summary = result.to_dict()
    assert (summary["measured"], summary["failed"], summary["skipped"]) == (
        run.measured,
        run.failed,
        0,
    )
    assert result.exit_code() == (1 if failed else 0)


# -- Beyond one key result --------------------------------------------------------------------


def test_a_value_too_big_for_a_float_fails_only_its_own_key_result(vendor_for, store):
    vendor = vendor_for("youtube")
    vendor.script(
        Answer(
            body='{"items": ['
            '{"id": "dQw4w9WgXcQ", "statistics": {"viewCount": 1' + "0" * 400 + "}}, "
            '{"id": "9bZkp7q19f0", "statistics": {"viewCount": "12"}}]}'
        )
    )
    source = vendor.source()
    text = plan_text(source, {**source, "videos": ["9bZkp7q19f0"]})
    result = okrkit.refresh(
        okrkit.loads(text, path="okrs.yaml"),
        store,
        at=AT,
        environ=vendor.environ(),
        registry=Registry(only=None),
        retry=RETRY,
        sleep=Sleeps(),
        timeout=TIMEOUT,
    )

    outcomes = {outcome.key_result: outcome for outcome in result.outcomes}
    assert vendor.hits() == 1  # one videos.list call for both key results
    assert (outcomes["steady"].status, outcomes["steady"].value) == ("measured", 12.0)
    assert (outcomes["faulty"].status, outcomes["faulty"].error) == (
        "failed",
        (
            "video dQw4w9WgXcQ: viewCount is 100000000000... (401 digits), not a finite number "
            "[terminal]"
        ),
    )


@pytest.mark.parametrize("connector", ["sheets", "ga4"])
def test_the_google_connectors_close_the_transports_they_make(connector, vendor_for, store):
    vendor = vendor_for(connector)
    result, _ = play(vendor, "value-1e30", store)

    assert [outcome.status for outcome in result.outcomes] == ["measured", "measured"]
    assert len(vendor.transports.made) == 1
    assert vendor.transports.unclosed == 0
