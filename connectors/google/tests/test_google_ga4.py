"""The ``ga4`` connector: the runReport request, its date ranges, the totals read, its errors."""

# the keys and tokens here are made up for the tests

import datetime as dt
import json

import pytest
from okrkit_google import Ga4Connector, Ga4Settings
from okrkit_google.ga4 import date_range

import okrkit
from okrkit.connectors import (
    Context,
    CredentialsError,
    Query,
    QuotaError,
    Reading,
    Registry,
    SettingsError,
    TerminalError,
    TransientError,
    Window,
)
from okrkit.connectors._base import settings_of
from okrkit.connectors._settings import structure_settings

UTC = dt.UTC
AT = dt.datetime(2026, 8, 15, 9, 30, tzinfo=UTC)
PROPERTY = 123456789
REPORT = f"https://analyticsdata.googleapis.com/v1beta/properties/{PROPERTY}:runReport"
SCOPE = "https://www.googleapis.com/auth/analytics.readonly"
QUOTA = {
    "tokensPerDay": {"consumed": 4, "remaining": 199_900},
    "tokensPerHour": {"consumed": 4, "remaining": 39_950},
    "concurrentRequests": {"remaining": 10},
}


def query(key_file, key="signups", since=None, until=AT, purpose="value", **settings):
    settings.setdefault("property", PROPERTY)
    settings.setdefault("metric", "eventCount")
    settings.setdefault("service_account_file", str(key_file))
    return Query(
        key_result=key,
        settings=Ga4Settings(**settings),
        window=Window(since, until),
        at=AT,
        purpose=purpose,
    )


def report(value=None, rows=None, **extra):
    """A runReport answer with no dimensions: one row, and the TOTAL aggregation."""
    answer = {
        "metricHeaders": [{"name": "eventCount", "type": "TYPE_INTEGER"}],
        "propertyQuota": QUOTA,
        "kind": "analyticsData#runReport",
        "metadata": {"currencyCode": "USD", "timeZone": "Europe/Berlin"},
    }
    if value is not None:
        answer["rows"] = [{"metricValues": [{"value": value}]}]
        answer["totals"] = [{"metricValues": [{"value": value}]}]
        answer["rowCount"] = 1
    if rows is not None:
        answer["rows"] = [{"metricValues": [{"value": row}]} for row in rows]
        answer["rowCount"] = len(rows)
    answer.update(extra)
    return answer


def run(transport, *queries, context=None):
    context = context or Context()
    results = Ga4Connector(http_factory=transport).fetch(list(queries), context)
    transport.assert_done()
    return results


def only(results):
    assert len(results) == 1
    return results[0]


# --- settings ------------------------------------------------------------------------------


def test_settings_are_described():
    names = [setting["name"] for setting in settings_of(Ga4Connector)]
    assert names == ["property", "metric", "service_account_file", "event_name"]
    assert Ga4Connector.windowed is True


@pytest.mark.parametrize(
    ("source", "setting", "message"),
    [
        (
            {"property": "properties/123", "metric": "eventCount", "service_account_file": "k"},
            "property",
            "expected int",
        ),
        (
            {"property": 0, "metric": "eventCount", "service_account_file": "k"},
            "property",
            "the property id is a positive number",
        ),
        (
            {"property": 1, "metric": "event count", "service_account_file": "k"},
            "metric",
            "'event count' is not a GA4 metric's API name",
        ),
        (
            {"property": 1, "metric": "eventCount", "service_account_file": "k", "event_name": ""},
            "event_name",
            "name an event",
        ),
        ({"property": 1, "metric": "eventCount"}, "service_account_file", "required"),
        (
            {"property": 1, "metric": "eventCount", "service_account_file": "k", "api_key": "x"},
            None,
            "unknown setting api_key",
        ),
    ],
)
def test_bad_settings_name_the_setting(source, setting, message):
    with pytest.raises(SettingsError) as caught:
        structure_settings(Ga4Connector, source, "signups")
    if setting is not None:  # an unknown setting is named by okrkit's own validation
        assert caught.value.setting == setting
    assert message in str(caught.value)


# --- date ranges ---------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("since", "until", "start", "end"),
    [
        # 7 days ending in the middle of a day: the 7 calendar days up to that day
        (AT - dt.timedelta(days=7), AT, "2026-08-09", "2026-08-15"),
        # ending at midnight: the day before is the last day
        (
            dt.datetime(2026, 6, 24, tzinfo=UTC),
            dt.datetime(2026, 7, 1, tzinfo=UTC),
            "2026-06-24",
            "2026-06-30",
        ),
        # 24 hours, or less: one day
        (AT - dt.timedelta(hours=24), AT, "2026-08-15", "2026-08-15"),
        (AT - dt.timedelta(minutes=30), AT, "2026-08-15", "2026-08-15"),
        # no window: everything GA4 has
        (None, AT, "2015-08-14", "2026-08-15"),
        (None, dt.datetime(2026, 7, 1, tzinfo=UTC), "2015-08-14", "2026-06-30"),
        # another time zone is read in UTC
        (
            None,
            dt.datetime(2026, 7, 1, 1, 0, tzinfo=dt.timezone(dt.timedelta(hours=2))),
            "2015-08-14",
            "2026-06-30",
        ),
    ],
)
def test_windows_become_whole_days(since, until, start, end):
    assert date_range(Window(since, until)) == {"startDate": start, "endDate": end}


# --- the request ---------------------------------------------------------------------------


def test_an_event_count_is_one_signed_run_report(google):
    transport = google.transport(google.token(), google.ok(report("4181")))
    context = Context(timeout=7.0)
    week = query(google.key_file, since=AT - dt.timedelta(days=7), event_name="sign_up")
    reading = only(run(transport, week, context=context))
    assert reading == Reading(
        4181.0,
        raw={
            "property": f"properties/{PROPERTY}",
            "metric": "eventCount",
            "event_name": "sign_up",
            "dateRange": {"startDate": "2026-08-09", "endDate": "2026-08-15"},
            "rowCount": 1,
        },
    )
    grant, request = transport.requests
    assert grant.url == google.TOKEN_URI
    claims = google.claims(grant)
    assert (claims["iss"], claims["scope"]) == (google.ROBOT, SCOPE)
    assert request.method == "POST"
    assert request.url == REPORT
    assert request.query == {"alt": ["json"]}
    assert request.headers["authorization"] == f"Bearer {google.ACCESS_TOKEN}"
    assert request.headers["content-type"] == "application/json"
    assert request.json == {
        "dateRanges": [{"startDate": "2026-08-09", "endDate": "2026-08-15"}],
        "metrics": [{"name": "eventCount"}],
        "metricAggregations": ["TOTAL"],
        "returnPropertyQuota": True,
        "dimensionFilter": {
            "filter": {
                "fieldName": "eventName",
                "stringFilter": {"matchType": "EXACT", "value": "sign_up", "caseSensitive": True},
            }
        },
    }
    assert context.costs == {"google.analytics.tokens": 4}
    assert transport.timeouts == [7.0]


def test_without_an_event_there_is_no_filter_and_no_window_starts_in_2015(google):
    transport = google.transport(google.token(), google.ok(report("310")))
    reading = only(run(transport, query(google.key_file, metric="newUsers")))
    assert reading.value == 310
    assert transport.api_requests[0].json == {
        "dateRanges": [{"startDate": "2015-08-14", "endDate": "2026-08-15"}],
        "metrics": [{"name": "newUsers"}],
        "metricAggregations": ["TOTAL"],
        "returnPropertyQuota": True,
    }


def test_a_baseline_asks_for_the_days_before_the_cycle(google):
    transport = google.transport(google.token(), google.ok(report("150")))
    start = dt.datetime(2026, 7, 1, tzinfo=UTC)
    baseline = query(
        google.key_file, since=start - dt.timedelta(days=7), until=start, purpose="baseline"
    )
    assert only(run(transport, baseline)).value == 150
    assert transport.api_requests[0].json["dateRanges"] == [
        {"startDate": "2026-06-24", "endDate": "2026-06-30"}
    ]


def test_queries_with_one_key_file_share_one_token(google):
    transport = google.transport(google.token(), google.ok(report("10")), google.ok(report("20")))
    results = run(
        transport,
        query(google.key_file, "a", metric="activeUsers"),
        query(google.key_file, "b", property=987654321),
    )
    assert [result.value for result in results] == [10, 20]
    assert [request.url for request in transport.requests] == [
        google.TOKEN_URI,
        REPORT,
        "https://analyticsdata.googleapis.com/v1beta/properties/987654321:runReport",
    ]


# --- what is read from the answer ----------------------------------------------------------


def test_rows_are_summed_when_there_are_no_totals(google):
    transport = google.transport(google.token(), google.ok(report(rows=["12", "30.5"])))
    assert only(run(transport, query(google.key_file))).value == 42.5


def test_an_empty_report_is_zero(google):
    transport = google.transport(google.token(), google.ok(report()))
    week = query(google.key_file, since=AT - dt.timedelta(days=7), event_name="sign_up")
    reading = only(run(transport, week))
    assert reading.value == 0
    assert reading.raw["rowCount"] == 0
    assert reading.note == (
        "Google Analytics has no eventCount data for 2026-08-09..2026-08-15: counted 0"
    )


def test_thresholded_and_sampled_totals_say_so(google):
    metadata = {"subjectToThresholding": True, "samplingMetadatas": [{"samplesReadCount": "1"}]}
    transport = google.transport(google.token(), google.ok(report("77", metadata=metadata)))
    reading = only(run(transport, query(google.key_file)))
    assert reading.value == 77
    assert reading.note == (
        "Google Analytics may have withheld some data for privacy (thresholding); "
        "Google Analytics sampled the data for this total"
    )


def test_a_value_that_is_not_a_number_is_terminal(google):
    transport = google.transport(google.token(), google.ok(report("n/a")))
    error = only(run(transport, query(google.key_file)))
    assert type(error) is TerminalError
    assert str(error) == "Google Analytics answered 'n/a' for eventCount, which is not a number"


# --- errors --------------------------------------------------------------------------------

INVALID_METRIC = (
    "Field fooBar is not a valid metric. For a list of valid dimensions and metrics, see "
    "https://developers.google.com/analytics/devguides/reporting/data/v1/api-schema "
)


@pytest.mark.parametrize(
    ("answer", "kind", "message", "setting"),
    [
        (
            (
                403,
                "PERMISSION_DENIED",
                (
                    "User does not have sufficient permissions for this property. To learn more "
                    "about Property ID, see https://developers.google.com/analytics/devguides/"
                    "reporting/data/v1/property-id."
                ),
            ),
            CredentialsError,
            (
                "Google Analytics refused access (HTTP 403 PERMISSION_DENIED: User does not have "
                "sufficient permissions for this property. To learn more about Property ID, see "
                "https://developers.google.com/analytics/devguides/reporting/data/v1/property-id.)"
                ": add okr-reader@acme-okrs.iam.gserviceaccount.com as a Viewer of GA4 property "
                "123456789 (Admin > Property access management > Add users), and check that "
                "property is the property's id"
            ),
            None,
        ),
        (
            (
                403,
                "PERMISSION_DENIED",
                (
                    "Google Analytics Data API has not been used in project 123456789012 before or "
                    "it is disabled."
                ),
                [
                    {
                        "@type": "type.googleapis.com/google.rpc.ErrorInfo",
                        "reason": "SERVICE_DISABLED",
                    }
                ],
            ),
            CredentialsError,
            (
                "the Google Analytics Data API is not enabled in the Google Cloud project of these "
                "credentials (HTTP 403 PERMISSION_DENIED): enable it in the Google Cloud console "
                "(APIs & Services > Library > Google Analytics Data API), wait a few minutes, and "
                "refresh again"
            ),
            None,
        ),
        (
            (400, "INVALID_ARGUMENT", INVALID_METRIC),
            SettingsError,
            (
                "setting 'metric': Google Analytics refused the request (HTTP 400 "
                f"INVALID_ARGUMENT: {INVALID_METRIC.strip()})"
            ),
            "metric",
        ),
        (
            (
                400,
                "INVALID_ARGUMENT",
                (
                    "Please remove eventName to make the request compatible. The request's "
                    "dimensions & metrics are incompatible."
                ),
            ),
            SettingsError,
            (
                "setting 'event_name': Google Analytics refused the request (HTTP 400 "
                "INVALID_ARGUMENT: Please remove eventName to make the request compatible. The "
                "request's dimensions & metrics are incompatible.)"
            ),
            "event_name",
        ),
        (
            (404, "NOT_FOUND", "Requested entity was not found."),
            TerminalError,
            (
                "Google Analytics has no property 123456789: check the property setting (Admin > "
                "Property details > Property ID) (HTTP 404 NOT_FOUND: Requested entity was not "
                "found.)"
            ),
            None,
        ),
        (
            (
                429,
                "RESOURCE_EXHAUSTED",
                (
                    "Exhausted property tokens per day. These quota tokens will return in under 24 "
                    "hours. To learn more, see https://developers.google.com/analytics/devguides/"
                    "reporting/data/v1/quotas"
                ),
            ),
            QuotaError,
            (
                "the daily Google Analytics quota is spent (HTTP 429 RESOURCE_EXHAUSTED: Exhausted "
                "property tokens per day. These quota tokens will return in under 24 hours. To "
                "learn more, see https://developers.google.com/analytics/devguides/reporting/data/"
                "v1/quotas); it resets at midnight Pacific time: refresh again tomorrow, or ask "
                "Google for more quota"
            ),
            None,
        ),
        (
            (429, "RESOURCE_EXHAUSTED", "Exhausted property tokens per hour."),
            QuotaError,
            (
                "an hourly Google Analytics quota is spent (HTTP 429 RESOURCE_EXHAUSTED: Exhausted "
                "property tokens per hour.); refresh again within the hour"
            ),
            None,
        ),
        (
            (429, "RESOURCE_EXHAUSTED", "Exhausted property tokens for a project per hour."),
            QuotaError,
            (
                "an hourly Google Analytics quota is spent (HTTP 429 RESOURCE_EXHAUSTED: Exhausted "
                "property tokens for a project per hour.); refresh again within the hour"
            ),
            None,
        ),
        (
            (429, "RESOURCE_EXHAUSTED", "Exhausted concurrent requests quota."),
            TransientError,
            (
                "Google Analytics is rate limiting these requests (HTTP 429 RESOURCE_EXHAUSTED: "
                "Exhausted concurrent requests quota.)"
            ),
            None,
        ),
        (
            (503, "UNAVAILABLE", "The service is currently unavailable."),
            TransientError,
            (
                "Google Analytics answered HTTP 503 UNAVAILABLE: The service is currently "
                "unavailable.; trying again may work"
            ),
            None,
        ),
    ],
)
def test_google_errors_are_mapped(google, answer, kind, message, setting):
    transport = google.transport(google.token(), google.error(*answer))
    error = only(run(transport, query(google.key_file, event_name="sign_up")))
    assert type(error) is kind
    assert str(error) == message
    if kind is SettingsError:
        assert error.setting == setting


def test_a_timeout_is_transient(google):
    transport = google.transport(google.token(), TimeoutError("timed out"))
    error = only(run(transport, query(google.key_file)))
    assert type(error) is TransientError
    assert str(error) == "Google Analytics did not answer within 10s"


def test_a_missing_key_file_fails_every_query_that_names_it(google, tmp_path):
    transport = google.transport()
    missing = tmp_path / "nope.json"
    first, second = run(
        transport,
        query(google.key_file, "a", service_account_file=str(missing)),
        query(google.key_file, "b", service_account_file=str(missing)),
    )
    assert type(first) is CredentialsError
    assert str(first).startswith(f"the service-account key file {missing} does not exist")
    assert str(second) == str(first)
    assert first is not second
    assert transport.requests == []


# --- through a refresh ---------------------------------------------------------------------

PLAN = """
cycle: 2026-Q3
objectives:
  - id: launch
    title: Launch the widget to the teams who asked for it
    key_results:
      - id: signups
        title: Pre-release sign-ups over 5k
        source:
          connector: ga4
          property: 123456789
          metric: eventCount
          event_name: sign_up
          service_account_file: "${GOOGLE_APPLICATION_CREDENTIALS}"
      - id: visitors
        title: Weekly active users up by 40%
        source:
          connector: ga4
          property: 123456789
          metric: activeUsers
          window: 7d
          service_account_file: keys/okr-reader.json
      - id: broken
        title: New users over 2k
        source:
          {connector: ga4, property: "123", metric: newUsers, service_account_file: keys/k.json}
"""


def test_a_refresh_reads_ga4_with_windows_and_baselines(google, tmp_path):
    keys = tmp_path / "keys"
    keys.mkdir()
    (keys / "okr-reader.json").write_bytes(google.key_file.read_bytes())
    transport = google.transport(
        google.token(),
        google.ok(report("4181")),
        google.token(),
        google.ok(report("900")),
        google.ok(report("600")),
    )

    class RecordedGa4(Ga4Connector):
        def __init__(self):
            super().__init__(http_factory=transport)

    plan = okrkit.loads(PLAN, path=str(tmp_path / "okrs.yaml"))
    result = okrkit.refresh(
        plan,
        None,
        registry=Registry(entry_points=None, extra=[RecordedGa4]),
        environ={"GOOGLE_APPLICATION_CREDENTIALS": str(google.key_file)},
        at=AT,
        concurrency=1,
    )
    transport.assert_done()
    outcomes = {outcome.key_result: outcome for outcome in result.outcomes}
    assert (outcomes["signups"].status, outcomes["signups"].value) == ("measured", 4181)
    assert (outcomes["visitors"].status, outcomes["visitors"].value) == ("measured", 900)
    assert outcomes["broken"].status == "invalid"
    assert outcomes["broken"].error == "setting 'property': expected int"
    assert result.costs == {"google.analytics.tokens": 12}
    assert [baseline.value for baseline in result.baselines] == [600]
    dates = [request.json["dateRanges"][0] for request in transport.api_requests]
    assert dates == [
        {"startDate": "2015-08-14", "endDate": "2026-08-15"},
        {"startDate": "2026-08-09", "endDate": "2026-08-15"},
        {"startDate": "2026-06-24", "endDate": "2026-06-30"},
    ]
    text = json.dumps(result.to_dict())
    assert str(google.key_file) not in text
    assert "BEGIN PRIVATE KEY" not in text
    assert google.ACCESS_TOKEN not in text
