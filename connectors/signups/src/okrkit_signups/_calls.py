"""What the two connectors share: a GET through ``context.http`` whose failures are worded again
with the vendor's own error text, and the way each vendor wants a moment written.

``context.http`` raises a `ConnectorError` for any answer that is not 2xx, already classed as
transient or terminal, but the error does not carry the answer. A `requests` response hook keeps
the last answer aside, so a vendor module can read its status and JSON error body and say what
to fix (a 404 means "no audience with that list_id", a 422 names the bad filter) while the
timeouts, rate limits, body cap and redaction of ``context.http`` still apply.
"""

from __future__ import annotations

import datetime as dt
import json
import math
from collections.abc import Callable
from typing import TYPE_CHECKING, Any

from okrkit.errors import ConnectorError, TerminalError, TransientError

if TYPE_CHECKING:
    import requests
    from okrkit.connectors import Context

__all__ = [
    "Explain",
    "as_utc",
    "body_of",
    "count_at",
    "get_json",
    "iso_offset",
    "iso_z",
    "reworded",
    "shorten",
]

#: Turns a failed answer (its status, the response, the error ``context.http`` raised) into a
#: better error, or None to keep the one raised.
Explain = Callable[[int, "requests.Response", ConnectorError], ConnectorError | None]

_MAX_TEXT = 200


def get_json(context: Context, url: str, explain: Explain, **kwargs: Any) -> Any:
    """GET `url` through ``context.http`` and decode its JSON; failures go through `explain`."""
    seen: list[requests.Response] = []

    def keep(response: requests.Response, *_args: Any, **_kwargs: Any) -> requests.Response:
        seen.append(response)
        return response

    try:
        return context.http.get_json(url, hooks={"response": [keep]}, **kwargs)
    except ConnectorError as error:
        if not seen:  # no answer at all: a timeout, a refused connection
            raise
        better = explain(seen[-1].status_code, seen[-1], error)
        if better is None:
            raise
        raise better from None


def body_of(response: requests.Response) -> Any:
    """The answer's JSON body, or None when it has none (plain text, empty, unreadable)."""
    try:
        return json.loads(response.content)
    except Exception:  # noqa: BLE001  # any body that cannot be read leaves the error as raised
        return None


def count_at(document: Any, path: str, source: str) -> int:
    """The count at a dotted `path` of a JSON answer (``stats.member_count``), checked.

    A missing key, or a value that is not a whole number of at least 0, is a `TerminalError`
    saying what `source` answered instead.
    """
    value = document
    walked: list[str] = []
    for name in path.split("."):
        if not isinstance(value, dict):
            where = ".".join(walked) or "the answer"
            raise TerminalError(f"{source}: {where} is not an object, so it has no {path}")
        if name not in value:
            keys = ", ".join(sorted(map(str, value))[:20]) or "none"
            where = ".".join(walked) or "the answer"
            raise TerminalError(f"{source}: {where} has no key {name!r} (its keys: {keys})")
        value = value[name]
        walked.append(name)
    if (
        isinstance(value, bool)
        or not isinstance(value, int | float)
        or (isinstance(value, float) and not math.isfinite(value))
        or value < 0
    ):
        raise TerminalError(f"{source}: {path} is {shorten(json.dumps(value))}, not a count")
    try:
        float(value)
    except OverflowError:  # an integer no float holds: a key result's value is a float
        raise TerminalError(f"{source}: {path} is {_digits(value)}, not a finite number") from None
    if value != int(value):
        raise TerminalError(f"{source}: {path} is {value}, not a whole number")
    return int(value)


def _digits(number: float) -> str:
    """A long integer by its first digits and its length: ``100000000000... (401 digits)``."""
    text = str(number)
    return text if len(text) <= 40 else f"{text[:12]}... ({len(text)} digits)"


def reworded(error: ConnectorError, message: str) -> ConnectorError:
    """`error`'s class (and wait, if transient) with the vendor's own words as its message.

    Each vendor module words every failed answer itself, from the vendor's error text: redacted
    whole first, then shortened, so a secret the vendor echoes is never cut in half and shown.
    """
    if isinstance(error, TransientError):
        return TransientError(message, retry_after=error.retry_after)
    return type(error)(message)


def shorten(text: str) -> str:
    """A vendor's message on one line, cut to a readable length."""
    line = " ".join(text.split())
    return line if len(line) <= _MAX_TEXT else f"{line[: _MAX_TEXT - 3]}..."


def as_utc(moment: dt.datetime) -> dt.datetime:
    """The moment in UTC; a naive datetime is taken to be UTC already."""
    if moment.tzinfo is None:
        return moment.replace(tzinfo=dt.UTC)
    return moment.astimezone(dt.UTC)


def iso_offset(moment: dt.datetime) -> str:
    """``2026-07-01T00:00:00+00:00``: ISO 8601 in UTC with an offset, whole seconds."""
    return as_utc(moment).replace(microsecond=0).isoformat()


def iso_z(moment: dt.datetime) -> str:
    """``2026-07-01T00:00:00Z``: ISO 8601 in UTC with a Z, whole seconds."""
    return f"{as_utc(moment).replace(microsecond=0, tzinfo=None).isoformat()}Z"
