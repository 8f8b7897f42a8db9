"""The ``sheets`` connector: a Google Sheets cell, or the sum of a range.

It reads with ``spreadsheets.values.get`` (one range) or ``spreadsheets.values.batchGet`` (every
range a refresh asks of one spreadsheet with the same credentials, in one request), asking for
unformatted values in rows. Dates and times are asked for as formatted text, so a date in a
summed column is reported as text rather than added up as a day count.
"""

from __future__ import annotations

import copy
import datetime as dt
import math
import re
from typing import TYPE_CHECKING, Any, ClassVar, Literal

import attrs

from okrkit.connectors import ConnectorError, Query, Reading, SettingsError, TerminalError
from okrkit.connectors.builtin import InvalidSettingError, past_asked
from okrkit_google._google import (
    SHEETS_SCOPE,
    GoogleApi,
    GoogleConnector,
    Identity,
    Transports,
    add_up,
    json_object,
    show_value,
    translate,
)

if TYPE_CHECKING:
    from collections.abc import Sequence

    from okrkit.connectors import Context

__all__ = ["SheetsConnector", "SheetsSettings", "cell_name", "spreadsheet_id"]

_URL_ID = re.compile(r"/spreadsheets/d/([A-Za-z0-9_-]+)")
_ID = re.compile(r"^[A-Za-z0-9_-]+$")
_CELL = re.compile(r"^\$?([A-Za-z]{0,3})\$?(\d*)$")
_SHOWN_CELLS = 5
#: The query parameters of every read.
READ_OPTIONS = {
    "valueRenderOption": "UNFORMATTED_VALUE",
    "dateTimeRenderOption": "FORMATTED_STRING",
    "majorDimension": "ROWS",
}


def spreadsheet_id(value: str) -> str:
    """The id in a spreadsheet setting: the id itself, or taken from the sheet's URL."""
    text = value.strip()
    match = _URL_ID.search(text)
    return match[1] if match else text


def _check_spreadsheet(_instance: Any, attribute: attrs.Attribute[str], value: str) -> None:
    if not _ID.match(spreadsheet_id(value)):
        raise InvalidSettingError(
            attribute.name,
            f"{value!r} is not a spreadsheet id: copy the part of the sheet's URL between /d/ "
            "and /edit, or the whole URL",
        )


def _check_range(instance: Any, attribute: attrs.Attribute[str], value: str) -> None:
    if not value.strip():
        raise InvalidSettingError(
            attribute.name, "give a cell or range in A1 notation, as in Signups!B2:B200"
        )
    _sheet, _, cells = value.strip().rpartition("!")
    first, colon, last = cells.partition(":")
    if instance.measure == "value" and colon and first.upper() != last.upper():
        raise InvalidSettingError(
            attribute.name,
            f"measure value reads one cell, and {value!r} is a range: name one cell "
            f"(as in {_sheet + '!' if _sheet else ''}{first}) or use measure: sum",
        )


def _check_credentials(instance: Any, attribute: attrs.Attribute[str | None], _value: Any) -> None:
    given = [name for name in ("api_key", "service_account_file") if getattr(instance, name)]
    if len(given) != 1:
        raise InvalidSettingError(
            attribute.name,
            "give exactly one of api_key (a public sheet, as ${GOOGLE_API_KEY}) or "
            "service_account_file (the path of a service account's JSON key)",
        )


@attrs.frozen
class SheetsSettings:
    """The settings of the ``sheets`` connector."""

    spreadsheet: str = attrs.field(
        validator=_check_spreadsheet,
        metadata={"help": "The spreadsheet's id (its URL between /d/ and /edit), or the URL."},
    )
    range: str = attrs.field(
        validator=_check_range,
        metadata={"help": "A1 notation: a cell (Signups!B2) or a range (Signups!B2:B200)."},
    )
    measure: Literal["value", "sum"] = attrs.field(
        default="value",
        metadata={"help": "value: the one cell's number; sum: the numbers in the range."},
    )
    skip_text: bool = attrs.field(
        default=False,
        metadata={"help": "With sum: pass over text cells instead of failing on them."},
    )
    api_key: str | None = attrs.field(
        default=None,
        repr=False,
        metadata={
            "help": "An API key, as ${GOOGLE_API_KEY}: for sheets anyone with the link can view."
        },
    )
    service_account_file: str | None = attrs.field(
        default=None,
        validator=_check_credentials,
        metadata={
            "help": "A service account's JSON key file (relative to the OKR file), or "
            "${GOOGLE_APPLICATION_CREDENTIALS}."
        },
    )


def _identity(settings: SheetsSettings, context: Context) -> Identity:
    if settings.api_key:
        return Identity("api_key", settings.api_key)
    return Identity("service_account", str(context.path(settings.service_account_file or "")))


class SheetsConnector(GoogleConnector):
    """A cell's number, or the sum of a range, from a Google Sheets spreadsheet."""

    name: ClassVar[str] = "sheets"
    Settings: ClassVar[type | None] = SheetsSettings
    summary: ClassVar[str] = "A Google Sheets cell, or the sum of a range."
    windowed: ClassVar[bool] = False
    batch: ClassVar[bool] = True
    scopes: ClassVar[tuple[str, ...]] = (SHEETS_SCOPE,)

    def fetch(
        self, queries: Sequence[Query], context: Context
    ) -> Sequence[Reading | float | ConnectorError]:
        results: list[Reading | float | ConnectorError | None] = [None] * len(queries)
        groups: dict[tuple[str, tuple[str, str]], list[int]] = {}
        identities: dict[tuple[str, str], Identity] = {}
        for index, query in enumerate(queries):
            settings: SheetsSettings = query.settings
            past = past_asked(query)
            if past is not None:
                results[index] = TerminalError(
                    f"a Google Sheet holds only today's numbers, so it cannot give {past[0]}: "
                    f"{past[1].removeprefix('or ')}"
                )
                continue
            identity = _identity(settings, context)
            identities[identity.key] = identity
            key = (spreadsheet_id(settings.spreadsheet), identity.key)
            groups.setdefault(key, []).append(index)
        clients: dict[tuple[str, str], tuple[Any, Any]] = {}  # one client (and token) per identity
        with self.transports(context) as transports:
            for (sheet, who), members in groups.items():
                group = [queries[index] for index in members]
                answers = self._read(sheet, identities[who], group, clients, transports)
                for index, answer in zip(members, answers, strict=True):
                    results[index] = answer
        return [result for result in results if result is not None]

    def _read(
        self,
        sheet: str,
        identity: Identity,
        queries: Sequence[Query],
        clients: dict[tuple[str, str], tuple[Any, Any]],
        transports: Transports,
    ) -> list[Reading | ConnectorError]:
        """One spreadsheet's queries, read with one request where the API allows."""
        ranges = list(dict.fromkeys(query.settings.range.strip() for query in queries))
        context = transports.context
        api = _api(sheet, identity, None)
        found: dict[str, dict[str, Any] | ConnectorError] = {}
        try:
            if identity.key not in clients:
                clients[identity.key] = self.service("sheets", "v4", identity, transports)
            client, credentials = clients[identity.key]
            api = _api(sheet, identity, credentials)
            values = client.spreadsheets().values()
            if len(ranges) == 1:
                found[ranges[0]] = _get(values, sheet, ranges[0], api, context)
            else:
                try:
                    context.spend("google.sheets.requests", 1)
                    answer = json_object(
                        values.batchGet(
                            spreadsheetId=sheet, ranges=ranges, **READ_OPTIONS
                        ).execute(),
                        api.product,
                    )
                    for one, value_range in zip(
                        ranges, answer.get("valueRanges") or [], strict=False
                    ):
                        found[one] = json_object(value_range, api.product)
                except Exception as error:  # noqa: BLE001  # every failure is translated
                    failure = translate(error, api, context)
                    if not isinstance(failure, SettingsError):
                        raise failure from None
                    # one bad range fails the whole batch: ask for each alone to tell which
                    for one in ranges:
                        found[one] = _get(values, sheet, one, api, context)
        except Exception as error:  # noqa: BLE001  # every failure is translated
            failure = translate(error, api, context)
            return [copy.copy(failure) for _ in queries]
        answers: list[Reading | ConnectorError] = []
        for query in queries:
            value_range = found.get(query.settings.range.strip())
            if value_range is None:
                answers.append(
                    TerminalError(f"Google Sheets gave no answer for {query.settings.range!r}")
                )
            elif isinstance(value_range, ConnectorError):
                answers.append(copy.copy(value_range))
            else:
                try:
                    answers.append(_late(_measure(value_range, query.settings), query))
                except ConnectorError as error:
                    answers.append(error)
        return answers


def _late(reading: Reading, query: Query) -> Reading:
    """A reading taken after the key result's end says so: a sheet holds only its present."""
    if query.window.until >= query.at:
        return reading
    last_day = (query.window.until - dt.timedelta(microseconds=1)).date()
    late = (
        f"read on {query.at.date().isoformat()}, after the key result's last day "
        f"({last_day.isoformat()}): the sheet's value now"
    )
    return attrs.evolve(reading, note="; ".join(filter(None, [reading.note, late])))


def _get(
    values: Any, sheet: str, one: str, api: GoogleApi, context: Context
) -> dict[str, Any] | ConnectorError:
    context.spend("google.sheets.requests", 1)
    try:
        request = values.get(spreadsheetId=sheet, range=one, **READ_OPTIONS)
        return json_object(request.execute(), api.product)
    except Exception as error:  # noqa: BLE001  # every failure is translated
        return translate(error, api, context)


def _api(sheet: str, identity: Identity, credentials: Any) -> GoogleApi:
    if identity.kind == "api_key":
        permission = (
            "an API key reads only sheets shared as 'Anyone with the link' (Viewer): share the "
            "spreadsheet that way, or use service_account_file for a private sheet"
        )
    else:
        email = getattr(credentials, "service_account_email", None) or "the service account"
        permission = (
            f"share the spreadsheet with {email} (Share > add that e-mail as a Viewer), or "
            "check that spreadsheet is the right id"
        )
    return GoogleApi(
        product="Google Sheets",
        api="Google Sheets API",
        permission=permission,
        not_found=(
            f"Google Sheets has no spreadsheet {sheet!r}: check the spreadsheet setting (the "
            "part of the sheet's URL between /d/ and /edit)"
        ),
        setting_of=lambda _message: "range",
    )


def _measure(value_range: dict[str, Any], settings: SheetsSettings) -> Reading:
    asked = settings.range.strip()
    where = str(value_range.get("range") or asked)
    rows = value_range.get("values") or []
    numbers: list[float] = []
    texts: list[str] = []
    for row_offset, row in enumerate(rows):
        for column_offset, cell in enumerate(row):
            if cell == "" or cell is None:
                continue
            if isinstance(cell, int | float) and not isinstance(cell, bool):
                try:
                    number = float(cell)
                except OverflowError:  # an integer no float holds
                    number = math.inf
                if not math.isfinite(number):
                    raise TerminalError(
                        f"{cell_name(where, row_offset, column_offset)} holds "
                        f"{show_value(cell)}, not a finite number"
                    )
                numbers.append(number)
                continue
            name = cell_name(where, row_offset, column_offset)
            if settings.measure == "sum" and settings.skip_text:
                texts.append(name)
                continue
            shown = ("TRUE" if cell else "FALSE") if isinstance(cell, bool) else repr(cell)
            kind = "a checkbox" if isinstance(cell, bool) else "text"
            hint = (
                "format it as a number (Format > Number), or set skip_text: true to pass over "
                "text cells"
                if settings.measure == "sum"
                else "point range at a cell that holds a number"
            )
            raise TerminalError(f"{name} holds {kind} {shown[:60]}, not a number: {hint}")
    if settings.measure == "value":
        if not numbers:
            raise TerminalError(
                f"the cell is empty: {where} holds no value (check range, or type a number there)"
            )
        if len(numbers) > 1:
            raise SettingsError(
                f"{where} holds {len(numbers)} numbers and measure value reads one cell: name "
                "one cell, or use measure: sum",
                setting="range",
            )
        return Reading(numbers[0], raw={"range": where, "cells": 1})
    note = None
    if texts:
        shown = ", ".join(texts[:_SHOWN_CELLS]) + (" ..." if len(texts) > _SHOWN_CELLS else "")
        note = f"passed over {len(texts)} text cell{'' if len(texts) == 1 else 's'} ({shown})"
    elif not numbers:
        note = f"{where} holds no numbers: counted 0"
    return Reading(
        add_up(numbers, f"the numbers in {where}"),
        raw={"range": where, "cells": len(numbers), "skipped_text": len(texts)},
        note=note,
    )


def cell_name(where: str, row_offset: int, column_offset: int) -> str:
    """The A1 name of the cell at an offset from the top-left of a range (``Sheet1!B7``)."""
    sheet, bang, cells = where.rpartition("!")
    if not bang:
        sheet, cells = ("", where) if _CELL.match(where.partition(":")[0]) else (where, "")
    first = cells.partition(":")[0]
    match = _CELL.match(first)
    if match is None:  # a named range Google did not resolve: say where in it
        return f"row {row_offset + 1}, column {column_offset + 1} of {where}"
    column = _column_number(match[1] or "A") + column_offset
    row = int(match[2] or 1) + row_offset
    return f"{sheet}{'!' if sheet else ''}{_column_letters(column)}{row}"


def _column_number(letters: str) -> int:
    number = 0
    for letter in letters.upper():
        number = number * 26 + (ord(letter) - ord("A") + 1)
    return number


def _column_letters(number: int) -> str:
    letters = ""
    while number > 0:
        number, remainder = divmod(number - 1, 26)
        letters = chr(ord("A") + remainder) + letters
    return letters
