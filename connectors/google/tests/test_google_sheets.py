"""The ``sheets`` connector: the requests it sends, what it reads from the answers, its errors."""

# the keys and tokens here are made up for the tests

import datetime as dt
import json
import logging
import subprocess
import sys

import httplib2
import pytest
from okrkit_google import Ga4Connector, SheetsConnector, SheetsSettings
from okrkit_google.sheets import cell_name, spreadsheet_id

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

AT = dt.datetime(2026, 8, 15, 9, 30, tzinfo=dt.UTC)
SHEET = "1BxiMVs0XRA5nFMdKvBdBZjgmUUqptlbs74OgvE2upms"
KEY = "AIzaSyTEST-not-a-real-key-0123456789"
VALUES = f"https://sheets.googleapis.com/v4/spreadsheets/{SHEET}/values"
READ = {
    "valueRenderOption": ["UNFORMATTED_VALUE"],
    "dateTimeRenderOption": ["FORMATTED_STRING"],
    "majorDimension": ["ROWS"],
    "alt": ["json"],
}
SCOPE = "https://www.googleapis.com/auth/spreadsheets.readonly"


def query(key="signups", purpose="value", **settings):
    settings.setdefault("spreadsheet", SHEET)
    if "service_account_file" not in settings:
        settings.setdefault("api_key", KEY)
    return Query(
        key_result=key,
        settings=SheetsSettings(**settings),
        window=Window(None, AT),
        at=AT,
        purpose=purpose,
    )


def run(transport, *queries, context=None):
    context = context or Context()
    results = SheetsConnector(http_factory=transport).fetch(list(queries), context)
    transport.assert_done()
    return results


def only(results):
    assert len(results) == 1
    return results[0]


def value_range(where, rows):
    return {"range": where, "majorDimension": "ROWS", "values": rows}


# --- registration and settings ---------------------------------------------------------------


def test_both_connectors_are_registered_by_their_entry_points():
    registry = Registry(only=None)
    assert registry.get("sheets") is SheetsConnector
    assert registry.get("ga4") is Ga4Connector
    for connector in (SheetsConnector, Ga4Connector):
        described = settings_of(connector)
        assert all(setting["help"] for setting in described), connector.name
        assert connector.summary
    names = [setting["name"] for setting in settings_of(SheetsConnector)]
    assert names == [
        "spreadsheet",
        "range",
        "measure",
        "skip_text",
        "api_key",
        "service_account_file",
    ]


@pytest.mark.parametrize(
    ("source", "setting", "message"),
    [
        (
            {"spreadsheet": SHEET, "range": "A1"},
            "service_account_file",
            "give exactly one of api_key",
        ),
        (
            {
                "spreadsheet": SHEET,
                "range": "A1",
                "api_key": KEY,
                "service_account_file": "key.json",
            },
            "service_account_file",
            "give exactly one of api_key",
        ),
        (
            {"spreadsheet": SHEET, "range": "Signups!B2:B200", "api_key": KEY},
            "range",
            (
                "measure value reads one cell, and 'Signups!B2:B200' is a range: name one cell "
                "(as in Signups!B2) or use measure: sum"
            ),
        ),
        ({"spreadsheet": SHEET, "range": " ", "api_key": KEY}, "range", "give a cell or range"),
        (
            {"spreadsheet": "not an id!", "range": "A1", "api_key": KEY},
            "spreadsheet",
            "'not an id!' is not a spreadsheet id",
        ),
        (
            {"spreadsheet": SHEET, "range": "A1", "measure": "avg", "api_key": KEY},
            "measure",
            "'avg' is not one of: value, sum",
        ),
        (
            {"spreadsheet": SHEET, "range": "A1", "skip_text": "yes", "api_key": KEY},
            "skip_text",
            "expected bool",
        ),
    ],
)
def test_bad_settings_name_the_setting(source, setting, message):
    with pytest.raises(SettingsError) as caught:
        structure_settings(SheetsConnector, source, "signups")
    assert caught.value.setting == setting
    assert message in str(caught.value)
    assert KEY not in str(caught.value)


def test_the_api_key_stays_out_of_the_settings_repr():
    settings = SheetsSettings(spreadsheet=SHEET, range="A1", api_key=KEY)
    assert KEY not in repr(settings)


def test_a_spreadsheet_url_gives_its_id():
    url = f"https://docs.google.com/spreadsheets/d/{SHEET}/edit#gid=0"
    assert spreadsheet_id(url) == SHEET
    assert spreadsheet_id(f"  {SHEET} ") == SHEET


@pytest.mark.parametrize(
    ("where", "row", "column", "name"),
    [
        ("Signups!B2:B200", 0, 0, "Signups!B2"),
        ("Signups!B2:B200", 5, 0, "Signups!B7"),
        ("'Q3 numbers'!Y10:AB20", 2, 3, "'Q3 numbers'!AB12"),
        ("Signups!B:B", 3, 0, "Signups!B4"),
        ("Signups", 0, 2, "Signups!C1"),
        ("B2:C3", 1, 1, "C3"),
        ("Sheet1!$A$1", 0, 0, "Sheet1!A1"),
    ],
)
def test_cells_are_named_in_a1_notation(where, row, column, name):
    assert cell_name(where, row, column) == name


# --- the requests --------------------------------------------------------------------------


def test_a_single_cell_is_read_with_values_get_and_the_api_key(google):
    transport = google.transport(google.ok(value_range("Signups!B2", [[4181]])))
    reading = only(run(transport, query(range="Signups!B2")))
    assert reading == Reading(4181.0, raw={"range": "Signups!B2", "cells": 1})
    request = only(transport.requests)
    assert request.method == "GET"
    assert request.url == f"{VALUES}/Signups%21B2"
    assert request.query == {**READ, "key": [KEY]}
    assert "authorization" not in request.headers
    assert request.body is None
    assert transport.timeouts == [10.0]


def test_the_spreadsheet_may_be_given_as_its_url(google):
    transport = google.transport(google.ok(value_range("Sheet1!A1", [[3]])))
    url = f"https://docs.google.com/spreadsheets/d/{SHEET}/edit#gid=0"
    assert only(run(transport, query(spreadsheet=url, range="A1"))).value == 3
    assert only(transport.requests).url == f"{VALUES}/A1"


def test_a_service_account_signs_a_token_request_then_sends_the_bearer_token(google):
    transport = google.transport(
        google.token(),
        google.ok(value_range("Signups!B2:B200", [[1], [2.5], [""], [], [4]])),
    )
    reading = only(
        run(
            transport,
            query(
                range="Signups!B2:B200", measure="sum", service_account_file=str(google.key_file)
            ),
            context=Context(timeout=4.0),
        )
    )
    assert reading.value == 7.5
    assert reading.raw == {"range": "Signups!B2:B200", "cells": 3, "skipped_text": 0}
    assert reading.note is None
    grant, read = transport.requests
    assert grant.method == "POST"
    assert grant.url == google.TOKEN_URI
    assert grant.form["grant_type"] == ["urn:ietf:params:oauth:grant-type:jwt-bearer"]
    claims = google.claims(grant)
    assert claims["iss"] == google.ROBOT
    assert claims["scope"] == SCOPE
    assert claims["aud"] == google.TOKEN_URI
    assert read.url == f"{VALUES}/Signups%21B2%3AB200"
    assert read.query == READ  # no key: the token says who asks
    assert read.headers["authorization"] == f"Bearer {google.ACCESS_TOKEN}"
    assert transport.timeouts == [4.0]


def test_a_relative_key_file_is_found_beside_the_okr_file(google):
    transport = google.transport(google.token(), google.ok(value_range("A1", [[2]])))
    context = Context(base_dir=google.key_file.parent)
    settings = {"range": "A1", "service_account_file": google.key_file.name}
    assert only(run(transport, query(**settings), context=context)).value == 2


def test_ranges_of_one_spreadsheet_are_read_in_one_batch_get(google):
    other = "1OtherSpreadsheet_id-000"
    transport = google.transport(
        google.ok(
            {
                "spreadsheetId": SHEET,
                "valueRanges": [
                    value_range("Signups!B2", [[12]]),
                    value_range("Signups!C2:C9", [[1], [2], [3]]),
                ],
            }
        ),
        google.ok(value_range("Sheet1!A1", [[100]])),
    )
    context = Context()
    results = run(
        transport,
        query("a", range="Signups!B2"),
        query("b", range="Signups!C2:C9", measure="sum"),
        query("c", spreadsheet=other, range="A1"),
        query("d", range="Signups!B2"),  # the same range again: asked for once
        context=context,
    )
    assert [result.value for result in results] == [12, 6, 100, 12]
    batch, single = transport.requests
    assert batch.method == "GET"
    assert batch.url == f"{VALUES}:batchGet"
    assert batch.query == {**READ, "ranges": ["Signups!B2", "Signups!C2:C9"], "key": [KEY]}
    assert single.url == f"https://sheets.googleapis.com/v4/spreadsheets/{other}/values/A1"
    assert context.costs == {"google.sheets.requests": 2}


def test_different_credentials_on_one_spreadsheet_are_separate_requests(google):
    transport = google.transport(
        google.ok(value_range("A1", [[1]])),
        google.token(),
        google.ok(value_range("A2", [[2]])),
    )
    results = run(
        transport,
        query("a", range="A1"),
        query("b", range="A2", service_account_file=str(google.key_file)),
    )
    assert [result.value for result in results] == [1, 2]
    assert [request.query.get("key") for request in transport.api_requests] == [[KEY], None]


def test_one_key_file_signs_in_once_for_several_spreadsheets(google):
    transport = google.transport(
        google.token(),
        google.ok(value_range("A1", [[1]])),
        google.ok(value_range("A1", [[2]])),
    )
    key_file = str(google.key_file)
    results = run(
        transport,
        query("a", range="A1", service_account_file=key_file),
        query("b", spreadsheet="1Another_sheet", range="A1", service_account_file=key_file),
    )
    assert [result.value for result in results] == [1, 2]
    assert [request.url for request in transport.requests] == [
        google.TOKEN_URI,
        f"{VALUES}/A1",
        "https://sheets.googleapis.com/v4/spreadsheets/1Another_sheet/values/A1",
    ]
    assert {request.headers["authorization"] for request in transport.api_requests} == {
        f"Bearer {google.ACCESS_TOKEN}"
    }


def test_a_bad_range_in_a_batch_is_found_by_asking_for_each_range_alone(google):
    unparsable = "Unable to parse range: Nope!A1"
    transport = google.transport(
        google.error(400, "INVALID_ARGUMENT", unparsable),
        google.ok(value_range("Signups!B2", [[12]])),
        google.error(400, "INVALID_ARGUMENT", unparsable),
    )
    good, bad = run(transport, query("a", range="Signups!B2"), query("b", range="Nope!A1"))
    assert good.value == 12
    assert isinstance(bad, SettingsError)
    assert bad.setting == "range"
    assert str(bad) == (
        "setting 'range': Google Sheets refused the request (HTTP 400 INVALID_ARGUMENT: "
        "Unable to parse range: Nope!A1)"
    )
    assert [request.url for request in transport.requests] == [
        f"{VALUES}:batchGet",
        f"{VALUES}/Signups%21B2",
        f"{VALUES}/Nope%21A1",
    ]


def test_a_failed_batch_fails_each_of_its_queries(google):
    transport = google.transport(google.error(503, "UNAVAILABLE", "The service is unavailable."))
    first, second = run(transport, query("a", range="A1"), query("b", range="A2"))
    assert isinstance(first, TransientError)
    assert isinstance(second, TransientError)
    assert first is not second


# --- what is read from the answer ----------------------------------------------------------


def test_an_empty_range_sums_to_zero(google):
    transport = google.transport(google.ok({"range": "Signups!B2:B200", "majorDimension": "ROWS"}))
    reading = only(run(transport, query(range="Signups!B2:B200", measure="sum")))
    assert reading.value == 0
    assert reading.note == "Signups!B2:B200 holds no numbers: counted 0"


def test_an_empty_cell_has_no_value(google):
    transport = google.transport(google.ok({"range": "Signups!B2", "majorDimension": "ROWS"}))
    error = only(run(transport, query(range="Signups!B2")))
    assert type(error) is TerminalError
    assert str(error) == (
        "the cell is empty: Signups!B2 holds no value (check range, or type a number there)"
    )


def test_a_text_cell_in_a_sum_is_named(google):
    rows = [[10], [20], ["n/a"], [5]]
    transport = google.transport(google.ok(value_range("Signups!B2:B200", rows)))
    error = only(run(transport, query(range="Signups!B2:B200", measure="sum")))
    assert type(error) is TerminalError
    assert str(error) == (
        "Signups!B4 holds text 'n/a', not a number: format it as a number (Format > Number), "
        "or set skip_text: true to pass over text cells"
    )


def test_a_checkbox_is_not_a_number(google):
    transport = google.transport(google.ok(value_range("Tasks!C2:D3", [[1, True], [2]])))
    error = only(run(transport, query(range="Tasks!C2:D3", measure="sum")))
    assert str(error).startswith("Tasks!D2 holds a checkbox TRUE, not a number")


def test_skip_text_passes_over_text_cells_and_says_which(google):
    rows = [["Total"], [10], ["2026-07-01"], [20.5], [""], ["#DIV/0!"]]
    transport = google.transport(google.ok(value_range("Signups!B1:B6", rows)))
    settings = {"range": "Signups!B1:B6", "measure": "sum", "skip_text": True}
    reading = only(run(transport, query(**settings)))
    assert reading.value == 30.5
    assert reading.note == "passed over 3 text cells (Signups!B1, Signups!B3, Signups!B6)"
    assert reading.raw == {"range": "Signups!B1:B6", "cells": 2, "skipped_text": 3}


def test_a_text_cell_is_not_a_value(google):
    transport = google.transport(google.ok(value_range("Signups!B2", [["lots"]])))
    error = only(run(transport, query(range="Signups!B2")))
    assert str(error) == (
        "Signups!B2 holds text 'lots', not a number: point range at a cell that holds a number"
    )


def test_a_named_range_with_several_numbers_is_not_one_value(google):
    transport = google.transport(google.ok(value_range("Signups!B2:B3", [[1], [2]])))
    error = only(run(transport, query(range="weekly_signups")))
    assert isinstance(error, SettingsError)
    assert error.setting == "range"
    assert "Signups!B2:B3 holds 2 numbers and measure value reads one cell" in str(error)


def test_a_baseline_cannot_come_from_a_sheet(google):
    transport = google.transport()
    error = only(run(transport, query(range="A1", purpose="baseline")))
    assert type(error) is TerminalError
    assert str(error) == (
        "a Google Sheet holds only today's numbers, so it cannot give the baseline (the value "
        "before the cycle began): type the baseline in the file"
    )
    assert transport.requests == []


def test_a_reading_after_the_key_results_end_says_it_is_todays_value(google):
    transport = google.transport(google.ok(value_range("A1", [[9]])))
    ended = dt.datetime(2026, 7, 1, tzinfo=dt.UTC)
    late = Query(
        "k", SheetsSettings(spreadsheet=SHEET, range="A1", api_key=KEY), Window(None, ended), AT
    )
    reading = only(run(transport, late))
    assert reading.value == 9
    assert reading.note == (
        "read on 2026-08-15, after the key result's last day (2026-06-30): the sheet's value now"
    )


# --- errors --------------------------------------------------------------------------------

PER_MINUTE = (
    "Quota exceeded for quota metric 'Read requests' and limit 'Read requests per minute per "
    "user' of service 'sheets.googleapis.com' for consumer 'project_number:123456789012'."
)
ERROR_INFO = "type.googleapis.com/google.rpc.ErrorInfo"


@pytest.mark.parametrize(
    ("answer", "kind", "message", "retry_after"),
    [
        (
            (403, "PERMISSION_DENIED", "The caller does not have permission"),
            CredentialsError,
            (
                "Google Sheets refused access (HTTP 403 PERMISSION_DENIED: The caller does not "
                "have permission): an API key reads only sheets shared as 'Anyone with the link' "
                "(Viewer): share the spreadsheet that way, or use service_account_file for a "
                "private sheet"
            ),
            None,
        ),
        (
            (
                400,
                "INVALID_ARGUMENT",
                "API key not valid. Please pass a valid API key.",
                [{"@type": ERROR_INFO, "reason": "API_KEY_INVALID", "domain": "googleapis.com"}],
            ),
            CredentialsError,
            (
                "Google Sheets refused the API key (HTTP 400 INVALID_ARGUMENT: API key not valid. "
                "Please pass a valid API key.): check api_key and the key's restrictions, or "
                "create a new key in the Google Cloud console (APIs & Services > Credentials)"
            ),
            None,
        ),
        (
            (
                403,
                "PERMISSION_DENIED",
                (
                    "Google Sheets API has not been used in project 123456789012 before or it is "
                    "disabled. Enable it by visiting https://console.developers.google.com/apis/api/"
                    "sheets.googleapis.com/overview?project=123456789012 then retry."
                ),
                [{"@type": ERROR_INFO, "reason": "SERVICE_DISABLED"}],
            ),
            CredentialsError,
            (
                "the Google Sheets API is not enabled in the Google Cloud project of these "
                "credentials (HTTP 403 PERMISSION_DENIED): enable it in the Google Cloud console "
                "(APIs & Services > Library > Google Sheets API), wait a few minutes, and refresh "
                "again"
            ),
            None,
        ),
        (
            (401, "UNAUTHENTICATED", "Request is missing required authentication credential."),
            CredentialsError,
            (
                "Google Sheets did not accept the credentials (HTTP 401 UNAUTHENTICATED: Request "
                "is missing required authentication credential.): check api_key or "
                "service_account_file"
            ),
            None,
        ),
        (
            (404, "NOT_FOUND", "Requested entity was not found."),
            TerminalError,
            (
                f"Google Sheets has no spreadsheet {SHEET!r}: check the spreadsheet setting (the "
                "part of the sheet's URL between /d/ and /edit) (HTTP 404 NOT_FOUND: Requested "
                "entity was not found.)"
            ),
            None,
        ),
        (
            (429, "RESOURCE_EXHAUSTED", PER_MINUTE),
            TransientError,
            (
                f"Google Sheets is rate limiting these requests (asked to wait 60s) (HTTP 429 "
                f"RESOURCE_EXHAUSTED: {PER_MINUTE})"
            ),
            60.0,
        ),
        (
            (
                429,
                "RESOURCE_EXHAUSTED",
                (
                    "Quota exceeded for quota metric 'Read requests' and limit 'Read requests per "
                    "day' of service 'sheets.googleapis.com'."
                ),
            ),
            QuotaError,
            (
                "the daily Google Sheets quota is spent (HTTP 429 RESOURCE_EXHAUSTED: Quota "
                "exceeded for quota metric 'Read requests' and limit 'Read requests per day' of "
                "service 'sheets.googleapis.com'.); it resets at midnight Pacific time: refresh "
                "again tomorrow, or ask Google for more quota"
            ),
            None,
        ),
        (
            (500, "INTERNAL", "Internal error encountered."),
            TransientError,
            (
                "Google Sheets answered HTTP 500 INTERNAL: Internal error encountered.; trying "
                "again may work"
            ),
            None,
        ),
        (
            (503, "UNAVAILABLE", "The service is currently unavailable."),
            TransientError,
            (
                "Google Sheets answered HTTP 503 UNAVAILABLE: The service is currently "
                "unavailable.; trying again may work"
            ),
            None,
        ),
    ],
)
def test_google_errors_are_mapped(google, answer, kind, message, retry_after):
    transport = google.transport(google.error(*answer))
    error = only(run(transport, query(range="A1")))
    assert type(error) is kind
    assert str(error) == message
    if kind is TransientError:
        assert error.retry_after == retry_after
    assert KEY not in str(error)


def test_a_key_restricted_to_other_callers_is_refused_as_a_key(google):
    details = [{"@type": ERROR_INFO, "reason": "API_KEY_IP_ADDRESS_BLOCKED"}]
    message = "The provided API key has an IP address restriction."
    transport = google.transport(google.error(403, "PERMISSION_DENIED", message, details))
    error = only(run(transport, query(range="A1")))
    assert type(error) is CredentialsError
    assert str(error).startswith(
        f"Google Sheets refused the API key (HTTP 403 PERMISSION_DENIED: {message})"
    )


def test_a_refused_service_account_is_told_to_share_the_sheet(google):
    transport = google.transport(
        google.token(),
        google.error(403, "PERMISSION_DENIED", "The caller does not have permission"),
    )
    error = only(run(transport, query(range="A1", service_account_file=str(google.key_file))))
    assert type(error) is CredentialsError
    assert str(error).endswith(
        f"share the spreadsheet with {google.ROBOT} (Share > add that e-mail as a Viewer), or "
        "check that spreadsheet is the right id"
    )


@pytest.mark.parametrize(
    ("reason", "kind"),
    [("rateLimitExceeded", TransientError), ("dailyLimitExceeded", QuotaError)],
)
def test_older_403_quota_errors_are_quota_not_credentials(google, reason, kind):
    body = {"error": {"code": 403, "message": "Limit Exceeded", "errors": [{"reason": reason}]}}
    transport = google.transport((403, body, {}))
    error = only(run(transport, query(range="A1")))
    assert type(error) is kind


def test_importing_the_package_loads_no_google_library():
    code = "import sys, okrkit_google; print(' '.join(sorted(sys.modules)))"
    loaded = subprocess.run(
        [sys.executable, "-c", code], capture_output=True, text=True, check=True
    ).stdout.split()
    assert "okrkit_google.sheets" in loaded
    heavy = [name for name in loaded if name.startswith(("google.", "googleapiclient", "httplib2"))]
    assert heavy == []


def test_a_429_waits_what_retry_after_says(google):
    transport = google.transport(
        google.error(429, "RESOURCE_EXHAUSTED", PER_MINUTE, **{"retry-after": "17"})
    )
    error = only(run(transport, query(range="A1")))
    assert type(error) is TransientError
    assert error.retry_after == 17.0


def test_a_429_waits_what_retry_info_says(google):
    details = [{"@type": "type.googleapis.com/google.rpc.RetryInfo", "retryDelay": "12s"}]
    transport = google.transport(
        google.error(429, "RESOURCE_EXHAUSTED", "Too many requests.", details)
    )
    error = only(run(transport, query(range="A1")))
    assert error.retry_after == 12.0


def test_a_503_waits_what_retry_after_says(google):
    transport = google.transport(
        google.error(503, "UNAVAILABLE", "Backend busy.", **{"retry-after": "5"})
    )
    error = only(run(transport, query(range="A1")))
    assert type(error) is TransientError
    assert error.retry_after == 5.0
    assert "(asked to wait 5s)" in str(error)


@pytest.mark.parametrize(
    ("failure", "message"),
    [
        (TimeoutError("timed out"), "Google Sheets did not answer within 10s"),
        (TimeoutError(), "Google Sheets did not answer within 10s"),
        (
            httplib2.ServerNotFoundError("Unable to find the server at sheets.googleapis.com"),
            (
                "could not connect to Google Sheets: Unable to find the server at "
                "sheets.googleapis.com"
            ),
        ),
        (
            ConnectionRefusedError(111, "Connection refused"),
            "could not connect to Google Sheets: [Errno 111] Connection refused",
        ),
    ],
)
def test_network_failures_are_transient(google, failure, message):
    transport = google.transport(failure)
    error = only(run(transport, query(range="A1")))
    assert type(error) is TransientError
    assert str(error) == message


def test_an_answer_that_is_not_json_is_transient(google):
    transport = google.transport((200, b"<html>Service Unavailable</html>", {}))
    error = only(run(transport, query(range="A1")))
    assert type(error) is TransientError
    assert str(error) == "Google Sheets answered with something that is not JSON"


def test_the_key_never_shows_even_when_google_repeats_the_url(google):
    url = f"{VALUES}/A1?key={KEY}&alt=json"
    transport = google.transport(google.error(400, "INVALID_ARGUMENT", f"Bad request to {url}"))
    error = only(run(transport, query(range="A1")))
    assert KEY not in str(error)
    assert "key=***" in str(error)


def test_the_client_librarys_debug_log_never_shows_the_key(google, caplog):
    transport = google.transport(google.ok(value_range("A1", [[1]])))
    with caplog.at_level(logging.DEBUG, logger="googleapiclient"):
        assert only(run(transport, query(range="A1"))).value == 1
    lines = [
        record.getMessage()
        for record in caplog.records
        if "URL being requested" in record.getMessage()
    ]
    assert len(lines) == 1
    assert "key=***" in lines[0]
    assert KEY not in caplog.text


# --- service-account key files -------------------------------------------------------------


def test_a_missing_key_file_names_its_path_and_sends_nothing(google, tmp_path):
    transport = google.transport()
    missing = tmp_path / "keys" / "missing.json"
    error = only(run(transport, query(range="A1", service_account_file=str(missing))))
    assert type(error) is CredentialsError
    assert str(error) == (
        f"the service-account key file {missing} does not exist (setting "
        "service_account_file): create a JSON key for the service account in the Google Cloud "
        "console (IAM & Admin > Service accounts > Keys) and give its path"
    )
    assert transport.requests == []


@pytest.mark.parametrize(
    ("content", "problem"),
    [
        ("{not json", "is not JSON: download the key again"),
        ('["a list"]', "is not a JSON key object"),
        (
            '{"type": "authorized_user", "refresh_token": "1//secret-refresh-token"}',
            "is a 'authorized_user' credential: okrkit needs a service account's JSON key",
        ),
        (
            '{"type": "service_account", "private_key": "-----BEGIN PRIVATE KEY-----\\nAAAA"}',
            "lacks client_email, token_uri: download the key again",
        ),
        (
            json.dumps(
                {
                    "type": "service_account",
                    "client_email": "x@y.iam.gserviceaccount.com",
                    "token_uri": "https://oauth2.googleapis.com/token",
                    "private_key": "-----BEGIN PRIVATE KEY-----\nc2VjcmV0LWJ5dGVz\n"
                    "-----END PRIVATE KEY-----\n",
                }
            ),
            "cannot be read: download the key again",
        ),
    ],
)
def test_a_broken_key_file_is_a_credentials_error_without_its_content(
    google, tmp_path, content, problem
):
    path = tmp_path / "key.json"
    path.write_text(content, encoding="utf-8")
    transport = google.transport()
    error = only(run(transport, query(range="A1", service_account_file=str(path))))
    assert type(error) is CredentialsError
    assert str(path) in str(error)
    assert problem in str(error)
    for secret in ("BEGIN PRIVATE KEY", "c2VjcmV0", "secret-refresh-token", "AAAA"):
        assert secret not in str(error)
    assert transport.requests == []


def test_a_refused_key_is_a_credentials_error(google):
    transport = google.transport(
        (
            400,
            {"error": "invalid_grant", "error_description": "Invalid JWT Signature."},
            {"content-type": "application/json"},
        )
    )
    error = only(run(transport, query(range="A1", service_account_file=str(google.key_file))))
    assert type(error) is CredentialsError
    assert str(error) == (
        "Google refused the service account's key when asked for a token (invalid_grant: "
        "Invalid JWT Signature.): the key may have been deleted or the account disabled; "
        "create a new JSON key"
    )


def test_an_unreachable_token_service_is_transient(google):
    transport = google.transport(httplib2.ServerNotFoundError("Unable to find the server"))
    error = only(run(transport, query(range="A1", service_account_file=str(google.key_file))))
    assert type(error) is TransientError
    assert str(error) == "could not reach Google's token service: Unable to find the server"


# --- through a refresh ---------------------------------------------------------------------

PLAN = f"""
cycle: 2026-Q3
objectives:
  - id: launch
    title: Launch the widget
    key_results:
      - id: signups
        title: Pre-release sign-ups over 5k
        source:
          connector: sheets
          spreadsheet: {SHEET}
          range: Signups!B2:B200
          measure: sum
          api_key: "${{GOOGLE_API_KEY}}"
      - id: demos
        title: Demos booked over 40
        source:
          connector: sheets
          spreadsheet: {SHEET}
          range: Demos!B2
          api_key: "${{GOOGLE_API_KEY}}"
      - id: partners
        title: Partners signed over 5
        source:
          connector: sheets
          spreadsheet: {SHEET}
          range: Partners!B2
          measure: total
          api_key: "${{GOOGLE_API_KEY}}"
      - id: private
        title: Paying teams over 400
        source:
          connector: sheets
          spreadsheet: 1Private_sheet_id
          range: Teams!B2
          api_key: "${{GOOGLE_API_KEY}}"
"""


def test_a_refresh_reads_sheets_and_never_shows_the_key(google, tmp_path):
    transport = google.transport(
        google.ok(
            {
                "spreadsheetId": SHEET,
                "valueRanges": [
                    value_range("Signups!B2:B200", [[1000], [2000], [1181]]),
                    value_range("Demos!B2", [[31]]),
                ],
            }
        ),
        google.error(403, "PERMISSION_DENIED", f"The caller does not have permission (key {KEY})"),
    )

    class RecordedSheets(SheetsConnector):
        def __init__(self):
            super().__init__(http_factory=transport)

    plan = okrkit.loads(PLAN, path=str(tmp_path / "okrs.yaml"))
    result = okrkit.refresh(
        plan,
        None,
        registry=Registry(entry_points=None, extra=[RecordedSheets]),
        environ={"GOOGLE_API_KEY": KEY},
        at=AT,
    )
    outcomes = {outcome.key_result: outcome for outcome in result.outcomes}
    assert outcomes["signups"].status == "measured"
    assert outcomes["signups"].value == 4181
    assert outcomes["demos"].value == 31
    assert outcomes["partners"].status == "invalid"
    assert outcomes["partners"].error == "setting 'measure': 'total' is not one of: value, sum"
    assert outcomes["private"].status == "failed"
    assert outcomes["private"].error.startswith(
        "Google Sheets refused access (HTTP 403 PERMISSION_DENIED: The caller does not have "
        "permission (key ***))"
    )
    assert outcomes["private"].error.endswith("[terminal]")
    assert result.costs == {"google.sheets.requests": 2}
    assert KEY not in json.dumps(result.to_dict())
    transport.assert_done()
    batch = transport.requests[0]
    assert batch.query["ranges"] == ["Signups!B2:B200", "Demos!B2"]


def test_a_refresh_retries_a_rate_limited_read(google, tmp_path):
    transport = google.transport(
        google.error(429, "RESOURCE_EXHAUSTED", "Too many requests.", **{"retry-after": "3"}),
        google.ok(value_range("Demos!B2", [[31]])),
    )

    class RecordedSheets(SheetsConnector):
        def __init__(self):
            super().__init__(http_factory=transport)

    text = PLAN.split("      - id: signups", maxsplit=1)[0] + (
        "      - id: demos\n"
        "        title: Demos booked over 40\n"
        f"        source: {{connector: sheets, spreadsheet: {SHEET}, range: Demos!B2, "
        "api_key: '${GOOGLE_API_KEY}'}\n"
    )
    waits = []
    result = okrkit.refresh(
        okrkit.loads(text, path=str(tmp_path / "okrs.yaml")),
        None,
        registry=Registry(entry_points=None, extra=[RecordedSheets]),
        environ={"GOOGLE_API_KEY": KEY},
        at=AT,
        sleep=waits.append,
    )
    outcome = only(result.outcomes)
    assert (outcome.status, outcome.value, outcome.attempts) == ("measured", 31, 2)
    assert waits == [3.0]
    assert transport.timeouts == [10.0, 10.0]
