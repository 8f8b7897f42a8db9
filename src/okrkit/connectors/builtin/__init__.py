"""The generic connectors okrkit ships: ``static``, ``http``, ``sql`` and ``csv``.

They register through the ``okrkit.connectors`` entry-point group like any third-party connector,
and import their heavy dependencies (requests, SQLAlchemy) only when they fetch. This package
holds the little they share: how a number is read from text, how a moment is written for a
source, and how a `Settings` validator names the setting it rejects.
"""

from __future__ import annotations

import datetime as dt
import decimal
import math
import re
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from okrkit.connectors._base import Query

from okrkit.connectors._settings import InvalidSettingError

__all__ = [
    "InvalidSettingError",
    "describe_value",
    "format_instant",
    "in_utc",
    "parse_number",
    "past_asked",
]

_PLAIN_NUMBER = re.compile(r"^[+-]?(?:\d+(?:\.\d*)?|\.\d+)(?:[eE][+-]?\d+)?$")
_GROUPED_NUMBER = re.compile(r"^[+-]?\d{1,3}(?:,\d{3})+(?:\.\d+)?$")


def parse_number(value: Any) -> float:
    """A finite number from a source's answer, or a `ValueError` saying why it is not one.

    Accepted: ints, floats and decimals (not booleans), and text holding one number: ``12345``,
    ``-3.5``, ``1e3``, or with commas grouping thousands, ``1,234,567.5``. A comma anywhere else
    (``1,5``) is refused rather than guessed at.
    """
    if isinstance(value, bool) or value is None:
        raise ValueError(f"{describe_value(value)} is not a number")
    if isinstance(value, int | float | decimal.Decimal):
        try:
            number = float(value)
        except OverflowError:  # an integer no float can hold
            raise ValueError(f"{describe_value(value)} is not a finite number") from None
    elif isinstance(value, str):
        text = value.strip()
        if _GROUPED_NUMBER.match(text):
            text = text.replace(",", "")
        elif not _PLAIN_NUMBER.match(text):
            raise ValueError(f"{describe_value(value)} is not a number")
        number = float(text)
    else:
        raise ValueError(f"{describe_value(value)} is not a number")  # noqa: TRY004  # one error for every non-number
    if not math.isfinite(number):
        raise ValueError(f"{describe_value(value)} is not a finite number")
    return number


def describe_value(value: Any) -> str:
    """A value as an error message may show it: short, and lists and objects summed up."""
    if isinstance(value, dict):
        return f"an object with keys {', '.join(map(str, list(value)[:10])) or '(none)'}"
    if isinstance(value, list):
        return f"a list of {len(value)} item{'' if len(value) == 1 else 's'}"
    if value is None:
        return "null"
    if isinstance(value, bool):
        return "true" if value else "false"
    text = repr(value)
    return text if len(text) <= 60 else f"{text[:57]}..."


def in_utc(moment: dt.datetime) -> dt.datetime:
    """The moment in UTC; a naive datetime is taken to be UTC already."""
    if moment.tzinfo is None:
        return moment.replace(tzinfo=dt.UTC)
    return moment.astimezone(dt.UTC)


def format_instant(moment: dt.datetime) -> str:
    """ISO 8601 in UTC with a ``Z``: ``2026-07-01T00:00:00Z`` (microseconds only when set)."""
    utc = in_utc(moment).replace(tzinfo=None)
    return f"{utc.isoformat(timespec='microseconds' if utc.microsecond else 'seconds')}Z"


def past_asked(query: Query) -> tuple[str, str] | None:
    """What a query asks about the past, and the way out, or None for a present value.

    The runner asks a windowed connector for a baseline (the value before the cycle began) or a
    start (the value when it began, for ``aggregate: change``). A source that cannot tell the
    past from the present must refuse rather than answer with today's number.
    """
    if query.purpose == "baseline":
        return "the baseline (the value before the cycle began)", "or type the baseline in the file"
    if query.purpose == "start":
        return "the value when the cycle began (aggregate: change)", "or use aggregate: latest"
    return None
