"""The ``csv`` connector: a count, a sum or a last value from a CSV file or URL.

The first row names the columns. Rows are kept when every ``where`` filter matches exactly and,
with a ``date_column``, when the row's date falls in the query's window (since <= date < until).
Each file is read once per refresh, however many key results count in it.
"""

from __future__ import annotations

import codecs
import copy
import csv
import datetime as dt
import io
from typing import TYPE_CHECKING, Any, ClassVar, Literal

import attrs

from okrkit.connectors._base import Connector, Context, Query, Reading
from okrkit.connectors.builtin import InvalidSettingError, in_utc, parse_number, past_asked
from okrkit.errors import ConnectorError, PolicyError, SettingsError, TerminalError

if TYPE_CHECKING:
    from collections.abc import Sequence
    from pathlib import Path

__all__ = ["CsvConnector", "CsvSettings", "Table"]


def _check_path(_instance: Any, attribute: attrs.Attribute[str], value: str) -> None:
    if not value.strip():
        raise InvalidSettingError(attribute.name, "name a CSV file (next to the OKR file) or URL")


def _check_column(instance: Any, attribute: attrs.Attribute[str | None], value: str | None) -> None:
    if instance.measure == "count" and value is not None:
        raise InvalidSettingError(
            attribute.name, "measure count counts rows and takes no column (filter with where)"
        )
    if instance.measure != "count" and not value:
        raise InvalidSettingError(
            attribute.name, f"measure {instance.measure} needs the column that holds the numbers"
        )


def _check_delimiter(_instance: Any, attribute: attrs.Attribute[str], value: str) -> None:
    if len(value) != 1 or value in '"\r\n':
        raise InvalidSettingError(
            attribute.name, "the delimiter is one character, such as ',' ';' or a tab"
        )


def _check_encoding(_instance: Any, attribute: attrs.Attribute[str], value: str) -> None:
    try:
        codecs.lookup(value)
    except LookupError:
        raise InvalidSettingError(
            attribute.name, f"{value!r} is not a text encoding Python knows (try utf-8, latin-1)"
        ) from None


@attrs.frozen
class CsvSettings:
    """The settings of the ``csv`` connector."""

    path: str = attrs.field(
        validator=_check_path,
        metadata={"help": "The CSV file (relative to the OKR file) or an http(s) URL."},
    )
    measure: Literal["count", "sum", "last"] = attrs.field(
        default="count",
        metadata={"help": "count: rows; sum: a column's total; last: the last row's value."},
    )
    column: str | None = attrs.field(
        default=None,
        validator=_check_column,
        metadata={"help": "The column to sum or read (sum and last need it)."},
    )
    where: dict[str, str] = attrs.field(
        factory=dict, metadata={"help": "Keep only rows whose columns equal these values exactly."}
    )
    date_column: str | None = attrs.field(
        default=None,
        metadata={"help": "The column of ISO dates or datetimes that puts rows in a window."},
    )
    delimiter: str = attrs.field(
        default=",", validator=_check_delimiter, metadata={"help": "The field separator."}
    )
    encoding: str = attrs.field(
        default="utf-8", validator=_check_encoding, metadata={"help": "The file's text encoding."}
    )


@attrs.frozen
class Table:
    """A CSV file read once: its column names and its rows (each with its row number)."""

    where: str
    columns: tuple[str, ...]
    rows: tuple[tuple[int, tuple[str, ...]], ...]

    def position(self, column: str, setting: str) -> int:
        if column not in self.columns:
            raise SettingsError(
                f"{self.where} has no column {column!r} (its columns: {', '.join(self.columns)})",
                setting=setting,
            )
        return self.columns.index(column)


class CsvConnector(Connector):
    """Counts rows, sums a column or reads its last value, from a CSV file or URL."""

    name: ClassVar[str] = "csv"
    Settings: ClassVar[type | None] = CsvSettings
    summary: ClassVar[str] = "A count, sum or last value from a CSV file or URL, over a window."
    windowed: ClassVar[bool] = True
    batch: ClassVar[bool] = True

    @classmethod
    def check_policy(cls, settings: CsvSettings, context: Context) -> None:
        """Refuse, before any read, a file outside the policy's folders (or a ``~`` path), or
        a URL whose scheme or host the policy does not allow."""
        if context.policy is None:
            return
        name = settings.path.strip()
        if not _is_url(name):
            _local(name, context)
            return
        try:
            context.policy.check_url(name, resolve=False)
        except PolicyError as error:
            shown = context.redactor.redact(name.split("?", 1)[0])
            raise PolicyError(
                f"GET {shown}: {error.message}", policy_key=error.policy_key
            ) from None

    def fetch(
        self, queries: Sequence[Query], context: Context
    ) -> Sequence[Reading | float | ConnectorError]:
        tables: dict[tuple[str, str, str], Table | ConnectorError] = {}
        results: list[Reading | float | ConnectorError] = []
        for query in queries:
            settings: CsvSettings = query.settings
            source = (settings.path.strip(), settings.delimiter, settings.encoding)
            if source not in tables:
                try:
                    tables[source] = _read(settings, context)
                except ConnectorError as error:
                    tables[source] = error
            table = tables[source]
            if isinstance(table, ConnectorError):
                results.append(copy.copy(table))
                continue
            try:
                results.append(_answer(table, query))
            except ConnectorError as error:
                results.append(error)
        return results


def _is_url(path: str) -> bool:
    return path.lower().startswith(("http://", "https://"))


def _local(name: str, context: Context) -> Path:
    """The file a path from settings names; under a policy, the file it really is (``..`` and
    symlinks resolved), which must lie in one of the policy's folders."""
    path = context.path(name)
    if context.policy is not None:
        path = context.policy.check_file(path)
    return path


def _read(settings: CsvSettings, context: Context) -> Table:
    name = settings.path.strip()
    encoding = (
        "utf-8-sig" if codecs.lookup(settings.encoding).name == "utf-8" else settings.encoding
    )
    if _is_url(name):
        content = context.http.request("GET", name).content
        where = context.redactor.redact(name.split("?", 1)[0])
    else:
        path = _local(name, context)
        where = str(path)
        if not path.is_file():
            problem = "is not a file" if path.exists() else "does not exist"
            raise TerminalError(f"the CSV file {path} {problem}")
        try:
            content = path.read_bytes()
        except OSError as error:
            raise TerminalError(f"cannot read the CSV file {path}: {error.strerror}") from None
    try:
        text = content.decode(encoding)
    except UnicodeDecodeError as error:
        raise TerminalError(
            f"{where} is not {settings.encoding} text (byte {error.start + 1}); "
            "set encoding, as in encoding: latin-1"
        ) from None
    reader = csv.reader(io.StringIO(text, newline=""), delimiter=settings.delimiter, strict=True)
    try:
        header = next(reader, None)
        if header is None:
            raise TerminalError(f"{where} is empty: a CSV file starts with a row of column names")
        rows = tuple((number, tuple(row)) for number, row in enumerate(reader, 2) if row)
    except csv.Error as error:
        raise TerminalError(f"{where} is not valid CSV (line {reader.line_num}): {error}") from None
    return Table(where, tuple(name.strip() for name in header), rows)


def _answer(table: Table, query: Query) -> Reading:
    settings: CsvSettings = query.settings
    filters = [
        (table.position(column, f"where.{column}"), value)
        for column, value in settings.where.items()
    ]
    window = query.window
    dates: int | None = None
    if settings.date_column is not None:
        dates = table.position(settings.date_column, "date_column")
    elif window.since is not None:
        raise SettingsError(
            "this key result counts over a window, so the connector must know each row's date: "
            "name the column of dates, as in date_column: posted_at",
            setting="date_column",
        )
    elif (past := past_asked(query)) is not None:
        raise SettingsError(
            f"to measure {past[0]}, the connector must know each row's date: name the column "
            f"of dates, as in date_column: posted_at, {past[1]}",
            setting="date_column",
        )
    since = in_utc(window.since) if window.since is not None else None
    until = in_utc(window.until)

    kept: list[tuple[int, tuple[str, ...], dt.datetime | None]] = []
    for number, row in table.rows:
        if any(_cell(row, index) != value for index, value in filters):
            continue
        moment = None
        if dates is not None:
            moment = _moment(_cell(row, dates), number, table, settings.date_column or "")
            if moment >= until or (since is not None and moment < since):
                continue
        kept.append((number, row, moment))

    if settings.measure == "count":
        return Reading(float(len(kept)), raw={"rows": len(kept)})
    column = table.position(settings.column or "", "column")
    if settings.measure == "sum":
        total, blank = 0.0, 0
        for number, row, _ in kept:
            cell = _cell(row, column)
            if not cell.strip():
                blank += 1
                continue
            total += _number(cell, number, table, settings.column or "")
        note = f"skipped {blank} blank cell{'' if blank == 1 else 's'}" if blank else None
        return Reading(total, raw={"rows": len(kept)}, note=note)
    # the last row of the file, or with dates the latest row (the later one on a tie),
    # passing over rows whose cell is blank
    ordered = sorted(kept, key=lambda item: (item[2] or until, item[0]))
    filled = [item for item in ordered if _cell(item[1], column).strip()]
    if not filled:
        blanks = f" ({len(kept)} with a blank {settings.column!r})" if kept else ""
        raise TerminalError(
            f"no row of {table.where} matches{blanks}, so there is no last value of "
            f"{settings.column!r}"
        )
    number, row, moment = filled[-1]
    cell = _cell(row, column)
    value = _number(cell, number, table, settings.column or "")
    later = len(ordered) - 1 - ordered.index(filled[-1])
    note = (
        f"passed over {later} later row{'' if later == 1 else 's'} with a blank cell"
        if later
        else None
    )
    return Reading(value, observed_at=moment, raw={"row": number, settings.column: cell}, note=note)


def _cell(row: Sequence[str], index: int) -> str:
    return row[index] if index < len(row) else ""


def _number(cell: str, number: int, table: Table, column: str) -> float:
    try:
        return parse_number(cell)
    except ValueError as error:
        raise TerminalError(f"row {number} of {table.where}, column {column!r}: {error}") from None


def _moment(cell: str, number: int, table: Table, column: str) -> dt.datetime:
    text = cell.strip()
    try:
        if len(text) == 10:  # a plain date, 2026-07-01
            moment = dt.datetime.combine(dt.date.fromisoformat(text), dt.time())
        else:
            moment = dt.datetime.fromisoformat(text)
    except ValueError:
        raise TerminalError(
            f"row {number} of {table.where}, column {column!r}: {text!r} is not an ISO date "
            "or datetime (2026-07-01 or 2026-07-01T09:30:00Z)"
        ) from None
    return in_utc(moment)
