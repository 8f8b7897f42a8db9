"""Numbers no float holds, in a cell, a report or a sum: refused for their own key result, with
the others of the batch measured."""

# the keys and tokens here are made up for the tests

import datetime as dt

import pytest
from okrkit_google import Ga4Connector, Ga4Settings, SheetsConnector, SheetsSettings
from okrkit_google._google import _retry_delay, add_up, show_value

from okrkit.connectors import Context, Query, Reading, TerminalError, Window

AT = dt.datetime(2026, 8, 15, 9, 30, tzinfo=dt.UTC)
SHEET = "1BxiMVs0XRA5nFMdKvBdBZjgmUUqptlbs74OgvE2upms"
BIG = 10**400  # an integer no float holds
BIG_SHOWN = "100000000000... (401 digits)"


@pytest.mark.parametrize(
    ("value", "shown"),
    [
        (BIG, BIG_SHOWN),
        (-BIG, f"-{BIG_SHOWN}"),
        (str(BIG), BIG_SHOWN),
        (float("inf"), "inf"),
        ("n/a", "'n/a'"),
        ("x" * 50, "'" + "x" * 36 + "..."),
    ],
)
def test_a_value_is_shown_short(value, shown):
    assert show_value(value) == shown


def test_a_sum_no_float_holds_is_terminal():
    assert add_up([1e308, -1e308, 5.0], "the numbers") == 5.0  # exact, in any order
    with pytest.raises(TerminalError) as raised:
        add_up([1e308, 1e308], "the numbers in Signups!B2:B3")
    assert raised.value.message == (
        "the numbers in Signups!B2:B3 add up to more than a float holds: not a finite number"
    )


def sheets_query(key, cells, measure="value"):
    settings = SheetsSettings(
        spreadsheet=SHEET, range=cells, measure=measure, api_key="AIzaSyTEST-not-a-real-key"
    )
    return Query(key, settings, Window(None, AT), AT)


def test_a_cell_no_float_holds_fails_its_own_key_result_only(google):
    ranges = [
        {"range": "Signups!B2", "values": [[BIG]]},
        {"range": "Signups!B3:B4", "values": [[1e308], [1e308]]},
        {"range": "Signups!B5", "values": [[12]]},
    ]
    transport = google.transport(google.ok({"spreadsheetId": SHEET, "valueRanges": ranges}))
    results = SheetsConnector(http_factory=transport).fetch(
        [
            sheets_query("huge", "Signups!B2"),
            sheets_query("sum", "Signups!B3:B4", measure="sum"),
            sheets_query("fine", "Signups!B5"),
        ],
        Context(),
    )
    assert len(transport.api_requests) == 1  # one batchGet for the three
    assert [type(result) for result in results] == [TerminalError, TerminalError, Reading]
    assert results[0].message == f"Signups!B2 holds {BIG_SHOWN}, not a finite number"
    assert results[1].message == (
        "the numbers in Signups!B3:B4 add up to more than a float holds: not a finite number"
    )
    assert results[2].value == 12.0


def ga4_query(key_file, key, metric):
    settings = Ga4Settings(property=123456789, metric=metric, service_account_file=str(key_file))
    return Query(key, settings, Window(AT - dt.timedelta(days=7), AT), AT)


def test_a_report_value_no_float_holds_fails_its_own_key_result_only(google):
    def report(**answer):
        return google.ok({"metricHeaders": [{"name": "eventCount"}], **answer})

    transport = google.transport(
        google.token(),
        report(totals=[{"metricValues": [{"value": BIG}]}]),
        report(rows=[{"metricValues": [{"value": "1e308"}]}] * 2),
        report(totals=[{"metricValues": [{"value": "12"}]}]),
    )
    results = Ga4Connector(http_factory=transport).fetch(
        [
            ga4_query(google.key_file, "huge", "eventCount"),
            ga4_query(google.key_file, "rows", "newUsers"),
            ga4_query(google.key_file, "fine", "activeUsers"),
        ],
        Context(),
    )
    transport.assert_done()
    assert [type(result) for result in results] == [TerminalError, TerminalError, Reading]
    assert results[0].message == (
        f"Google Analytics answered {BIG_SHOWN} for eventCount, which is not a finite number"
    )
    assert results[1].message == (
        "the newUsers values of the report's rows add up to more than a float holds: not a "
        "finite number"
    )
    assert results[2].value == 12.0


@pytest.mark.parametrize(
    ("delay", "seconds"), [("12s", 12.0), ("-3s", 0.0), ("1e400s", None), ("nans", None)]
)
def test_a_retry_delay_that_is_not_finite_asks_no_wait(delay, seconds):
    details = [{"@type": "type.googleapis.com/google.rpc.RetryInfo", "retryDelay": delay}]
    assert _retry_delay(details) == seconds
