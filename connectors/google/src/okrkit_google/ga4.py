"""The ``ga4`` connector: a Google Analytics 4 metric's total over the query's window.

One ``properties.runReport`` request of the Google Analytics Data API (v1beta) per key result,
with no dimensions: the metric's total over whole days. The window becomes calendar days (UTC
dates; Google reads them in the property's reporting time zone): a window of N days covers the N
days ending on the day the window ends, or the day before when it ends at midnight. With no
window the total runs from 2015-08-14, the earliest date GA4 reports on, to the window's end.
"""

from __future__ import annotations

import copy
import datetime as dt
import math
import re
from typing import TYPE_CHECKING, Any, ClassVar

import attrs

from okrkit.connectors import ConnectorError, Query, Reading, TerminalError, Window
from okrkit.connectors.builtin import InvalidSettingError, in_utc
from okrkit_google._google import (
    ANALYTICS_SCOPE,
    GoogleApi,
    GoogleConnector,
    Identity,
    add_up,
    json_object,
    show_value,
    translate,
)

if TYPE_CHECKING:
    from collections.abc import Sequence

    from okrkit.connectors import Context

__all__ = ["EARLIEST", "Ga4Connector", "Ga4Settings", "date_range", "report_body"]

#: The earliest date the GA4 Data API reports on: the start of a query with no window.
EARLIEST = dt.date(2015, 8, 14)
_NAME = re.compile(r"^[A-Za-z][A-Za-z0-9_:]*$")


def _check_property(_instance: Any, attribute: attrs.Attribute[int], value: int) -> None:
    if value <= 0:
        raise InvalidSettingError(
            attribute.name,
            "the property id is a positive number (Admin > Property details > Property ID)",
        )


def _check_metric(_instance: Any, attribute: attrs.Attribute[str], value: str) -> None:
    if not _NAME.match(value):
        raise InvalidSettingError(
            attribute.name,
            f"{value!r} is not a GA4 metric's API name, such as eventCount, activeUsers or "
            "newUsers",
        )


def _check_event(_instance: Any, attribute: attrs.Attribute[str | None], value: str | None) -> None:
    if value is not None and not value.strip():
        raise InvalidSettingError(attribute.name, "name an event, such as sign_up, or leave it out")


def _check_file(_instance: Any, attribute: attrs.Attribute[str], value: str) -> None:
    if not value.strip():
        raise InvalidSettingError(
            attribute.name, "give the path of a service account's JSON key file"
        )


@attrs.frozen
class Ga4Settings:
    """The settings of the ``ga4`` connector."""

    property: int = attrs.field(
        validator=_check_property,
        metadata={"help": "The GA4 property's numeric id (Admin > Property details)."},
    )
    metric: str = attrs.field(
        validator=_check_metric,
        metadata={"help": "The metric's API name: eventCount, activeUsers, newUsers, ..."},
    )
    service_account_file: str = attrs.field(
        validator=_check_file,
        metadata={
            "help": "A service account's JSON key file (relative to the OKR file), or "
            "${GOOGLE_APPLICATION_CREDENTIALS}."
        },
    )
    event_name: str | None = attrs.field(
        default=None,
        validator=_check_event,
        metadata={"help": "Count only this event (eventName is exactly this), such as sign_up."},
    )


def date_range(window: Window) -> dict[str, str]:
    """The GA4 date range for a window: whole days, both ends included."""
    until = in_utc(window.until)
    end = (until - dt.timedelta(microseconds=1)).date()
    if window.since is None:
        start = EARLIEST
    else:
        days = max(1, math.ceil((until - in_utc(window.since)) / dt.timedelta(days=1)))
        start = max(EARLIEST, end - dt.timedelta(days=days - 1))
    return {"startDate": start.isoformat(), "endDate": end.isoformat()}


def report_body(settings: Ga4Settings, window: Window) -> dict[str, Any]:
    """The ``runReport`` request body for one key result."""
    body: dict[str, Any] = {
        "dateRanges": [date_range(window)],
        "metrics": [{"name": settings.metric}],
        "metricAggregations": ["TOTAL"],
        "returnPropertyQuota": True,
    }
    if settings.event_name is not None:
        body["dimensionFilter"] = {
            "filter": {
                "fieldName": "eventName",
                "stringFilter": {
                    "matchType": "EXACT",
                    "value": settings.event_name.strip(),
                    "caseSensitive": True,
                },
            }
        }
    return body


class Ga4Connector(GoogleConnector):
    """A GA4 metric's total over a window, such as sign_up events in the last 7 days."""

    name: ClassVar[str] = "ga4"
    Settings: ClassVar[type | None] = Ga4Settings
    summary: ClassVar[str] = "A Google Analytics 4 metric's total over a window."
    windowed: ClassVar[bool] = True
    batch: ClassVar[bool] = True
    scopes: ClassVar[tuple[str, ...]] = (ANALYTICS_SCOPE,)

    def fetch(
        self, queries: Sequence[Query], context: Context
    ) -> Sequence[Reading | float | ConnectorError]:
        clients: dict[str, tuple[Any, Any] | ConnectorError] = {}
        results: list[Reading | float | ConnectorError] = []
        with self.transports(context) as transports:
            for query in queries:
                settings: Ga4Settings = query.settings
                path = str(context.path(settings.service_account_file.strip()))
                if path not in clients:
                    try:
                        clients[path] = self.service(
                            "analyticsdata", "v1beta", Identity("service_account", path), transports
                        )
                    except Exception as error:  # noqa: BLE001  # every failure is translated
                        clients[path] = translate(error, _api(settings, None), context)
                made = clients[path]
                if isinstance(made, ConnectorError):
                    results.append(copy.copy(made))
                    continue
                client, credentials = made
                results.append(_report(client, query, _api(settings, credentials), context))
        return results


def _report(
    client: Any, query: Query, api: GoogleApi, context: Context
) -> Reading | ConnectorError:
    settings: Ga4Settings = query.settings
    body = report_body(settings, query.window)
    try:
        request = client.properties().runReport(
            property=f"properties/{settings.property}", body=body
        )
        response = json_object(request.execute(), api.product)
    except Exception as error:  # noqa: BLE001  # every failure is translated
        return translate(error, api, context)
    tokens = ((response.get("propertyQuota") or {}).get("tokensPerDay") or {}).get("consumed")
    if isinstance(tokens, int | float) and not isinstance(tokens, bool):
        context.spend("google.analytics.tokens", tokens)
    try:
        return _total(response, settings, body["dateRanges"][0])
    except ConnectorError as error:
        return error


def _total(response: dict[str, Any], settings: Ga4Settings, dates: dict[str, str]) -> Reading:
    totals = response.get("totals") or []
    rows = response.get("rows") or []
    span = f"{dates['startDate']}..{dates['endDate']}"
    notes: list[str] = []
    if totals and totals[0].get("metricValues"):
        value = _number(totals[0]["metricValues"][0].get("value"), settings)
    elif rows:
        value = add_up(
            (_number(row["metricValues"][0].get("value"), settings) for row in rows),
            f"the {settings.metric} values of the report's rows",
        )
    else:
        value = 0.0
        notes.append(f"Google Analytics has no {settings.metric} data for {span}: counted 0")
    metadata = response.get("metadata") or {}
    if metadata.get("subjectToThresholding"):
        notes.append("Google Analytics may have withheld some data for privacy (thresholding)")
    if metadata.get("samplingMetadatas"):
        notes.append("Google Analytics sampled the data for this total")
    raw = {
        "property": f"properties/{settings.property}",
        "metric": settings.metric,
        "event_name": settings.event_name,
        "dateRange": dates,
        "rowCount": response.get("rowCount", 0),
    }
    return Reading(value, raw=raw, note="; ".join(notes) or None)


def _number(value: Any, settings: Ga4Settings) -> float:
    try:
        number = float(value)
    except OverflowError:  # an integer no float holds
        number = math.inf
    except (TypeError, ValueError):
        raise TerminalError(
            f"Google Analytics answered {show_value(value)} for {settings.metric}, which is not "
            "a number"
        ) from None
    if not math.isfinite(number):
        raise TerminalError(
            f"Google Analytics answered {show_value(value)} for {settings.metric}, which is not "
            "a finite number"
        )
    return number


def _api(settings: Ga4Settings, credentials: Any) -> GoogleApi:
    email = getattr(credentials, "service_account_email", None) or "the service account"
    return GoogleApi(
        product="Google Analytics",
        api="Google Analytics Data API",
        permission=(
            f"add {email} as a Viewer of GA4 property {settings.property} (Admin > Property "
            "access management > Add users), and check that property is the property's id"
        ),
        not_found=(
            f"Google Analytics has no property {settings.property}: check the property setting "
            "(Admin > Property details > Property ID)"
        ),
        setting_of=_setting_of,
    )


def _setting_of(message: str) -> str | None:
    text = message.lower()
    if "eventname" in text:
        return "event_name"
    if "metric" in text:  # "Field x is not a valid metric. ... valid dimensions and metrics"
        return "metric"
    if "dimension" in text:
        return "event_name"
    if "propert" in text:
        return "property"
    return None
