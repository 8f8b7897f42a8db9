"""What the social connectors share: a request through ``context.http`` that keeps the answer's
headers, the vendors' rate-limit headers, the window check, and how moments are written.

``context.http`` maps every failure to a `ConnectorError` before a connector sees the response.
The vendors say more than the status code (X's usage cap arrives as a 429 with a title, Bluesky's
expired session as a 400 with an error name, each rate limit resets at the time its own header
gives), so `send` keeps the last response with a requests hook and lets each connector turn the
generic error into a precise one.
"""

from __future__ import annotations

import datetime as dt
import json
import math
import time
from collections.abc import Callable, Mapping
from typing import TYPE_CHECKING, Any, ClassVar
from urllib.parse import urlsplit

import attrs
from okrkit.connectors import (
    Connector,
    ConnectorError,
    Context,
    Query,
    SettingsError,
    TerminalError,
    TransientError,
)

if TYPE_CHECKING:
    import requests

__all__ = [
    "Answer",
    "Caller",
    "Failure",
    "RateLimit",
    "Refine",
    "SocialConnector",
    "body_of",
    "count_of",
    "in_utc",
    "instant",
    "send",
    "show_value",
    "span_of",
    "value_of",
    "window_of",
]

_SHOWN = 40  # characters of a value a message shows

#: A connector's way of turning `context.http`'s error for a response into a more precise one
#: (or None to keep it).
Refine = Callable[[ConnectorError, "Failure"], ConnectorError | None]


@attrs.frozen
class Failure:
    """An error answer as a `Refine` sees it: the status, the headers, and the JSON body with
    every secret the run knows masked (a server that repeats a refused token must not leak it).
    """

    status: int
    headers: Mapping[str, str]
    body: Mapping[str, Any]


@attrs.frozen
class Answer:
    """A 2xx answer: its decoded JSON, its headers, and the URL as messages show it."""

    data: Any
    headers: Mapping[str, str]
    shown: str


def send(
    context: Context, method: str, url: str, *, refine: Refine | None = None, **kwargs: Any
) -> Answer:
    """Send a request through ``context.http``; decode the JSON answer and keep its headers.

    Failures are `context.http`'s errors (timeouts, 5xx and 429 transient; 401/403 credentials;
    other 4xx terminal), each passed through `refine` first, with the error answer as a `Failure`.
    """
    kept: list[requests.Response] = []

    def keep(response: requests.Response, *_args: Any, **_kwargs: Any) -> None:
        kept.append(response)

    parts = urlsplit(url)
    shown = context.redactor.redact(f"{parts.scheme}://{parts.netloc}{parts.path}")
    try:
        response = context.http.request(method, url, hooks={"response": [keep]}, **kwargs)
    except ConnectorError as error:
        if refine is not None and kept and not 200 <= kept[-1].status_code < 300:
            response = kept[-1]
            body = context.redactor.redact_data(body_of(response))
            better = refine(error, Failure(response.status_code, response.headers, body))
            if better is not None:
                raise better from None
        raise
    try:
        data = json.loads(response.content)
    except (ValueError, UnicodeDecodeError):
        start = context.redactor.redact(response.content[:80].decode("utf-8", "replace"))
        raise TransientError(
            f"{method} {shown} answered with something that is not JSON: {start!r}"
        ) from None
    return Answer(data, response.headers, shown)


def body_of(response: requests.Response) -> Mapping[str, Any]:
    """An error response's JSON object, or an empty mapping when it has none."""
    try:
        data = json.loads(response.content or b"")
    except (ValueError, UnicodeDecodeError, RuntimeError, OSError):
        return {}
    return data if isinstance(data, Mapping) else {}


@attrs.frozen
class RateLimit:
    """A vendor's rate-limit headers: how many requests remain, and when the window resets.

    `iso` is True when the reset header is an ISO 8601 moment (Mastodon), False when it is Unix
    seconds (X, Bluesky).
    """

    remaining_header: str
    reset_header: str
    iso: bool = False

    def remaining(self, headers: Mapping[str, str]) -> int | None:
        text = (headers.get(self.remaining_header) or "").strip()
        return int(text) if text.isascii() and text.isdigit() and len(text) < 19 else None

    def wait(self, headers: Mapping[str, str], now: float) -> float | None:
        """Seconds from `now` until the window resets, or None when the header is missing."""
        text = (headers.get(self.reset_header) or "").strip()
        if not text:
            return None
        if self.iso:
            try:
                reset = dt.datetime.fromisoformat(text)
            except ValueError:
                return None
            reset = reset if reset.tzinfo is not None else reset.replace(tzinfo=dt.UTC)
            seconds = reset.timestamp() - now
        else:
            try:
                seconds = float(text) - now
            except ValueError:
                return None
        return max(0.0, round(seconds, 3)) if math.isfinite(seconds) else None

    def limited(self, vendor: str, headers: Mapping[str, str], now: float) -> TransientError:
        """The error for an exhausted rate limit: wait until it resets, when the header says."""
        wait = self.wait(headers, now)
        when = f"; it resets in {wait:g}s" if wait is not None else ""
        return TransientError(f"{vendor}'s rate limit is used up{when}", retry_after=wait)

    def refine(
        self, vendor: str, error: ConnectorError, failure: Failure, now: float
    ) -> TransientError | None:
        """For a 429: the same transient error, waiting until the vendor's reset time."""
        if failure.status != 429:
            return None
        wait = self.wait(failure.headers, now)
        retry_after = wait if wait is not None else getattr(error, "retry_after", None)
        when = f"; it resets in {retry_after:g}s" if retry_after is not None else ""
        return TransientError(
            f"{vendor} answered HTTP 429 (too many requests){when}", retry_after=retry_after
        )


class Caller:
    """One fetch call's requests to a vendor.

    It sends through `send`, turns a 429 into a transient error that waits until the vendor's
    reset time, and remembers an endpoint whose rate limit is spent (an answer said no request
    remains, or a 429 came): the next request to it fails at once with the same wait, so a
    paginated count stops before the window is counted rather than hammering the vendor.
    """

    def __init__(
        self,
        context: Context,
        vendor: str,
        limit: RateLimit,
        clock: Callable[[], float],
        refine: Refine | None = None,
    ) -> None:
        self.context = context
        self.vendor = vendor
        self.limit = limit
        self.clock = clock
        self.refine = refine
        self._spent: dict[str, TransientError] = {}

    def call(self, method: str, url: str, *, refine: Refine | None = None, **kwargs: Any) -> Answer:
        parts = urlsplit(url)
        endpoint = f"{parts.netloc}{parts.path}"
        spent = self._spent.get(endpoint)
        if spent is not None:
            raise spent

        def refined(error: ConnectorError, failure: Failure) -> ConnectorError | None:
            for step in (refine, self.refine):
                better = step(error, failure) if step is not None else None
                if better is not None:
                    return better
            return self.limit.refine(self.vendor, error, failure, self.clock())

        try:
            answer = send(self.context, method, url, refine=refined, **kwargs)
        except TransientError as error:
            if error.retry_after is not None:
                self._spent[endpoint] = error
            raise
        if self.limit.remaining(answer.headers) == 0:
            self._spent[endpoint] = self.limit.limited(self.vendor, answer.headers, self.clock())
        return answer


class SocialConnector(Connector):
    """The base of the social connectors: a clock (for rate-limit resets and X's 7 days)."""

    windowed: ClassVar[bool] = True

    def __init__(self, *, clock: Callable[[], float] = time.time) -> None:
        self.clock = clock

    def now(self) -> dt.datetime:
        return dt.datetime.fromtimestamp(self.clock(), dt.UTC)


def in_utc(moment: dt.datetime) -> dt.datetime:
    """The moment in UTC; a naive datetime is taken to be UTC already."""
    if moment.tzinfo is None:
        return moment.replace(tzinfo=dt.UTC)
    return moment.astimezone(dt.UTC)


def instant(moment: dt.datetime) -> str:
    """``2026-08-08T09:00:00Z``: UTC to the second, as X and Bluesky take it."""
    return in_utc(moment).replace(microsecond=0, tzinfo=None).isoformat() + "Z"


def window_of(query: Query, connector: str) -> tuple[dt.datetime, dt.datetime]:
    """The query's window in UTC, or a `SettingsError` asking for ``window: 7d``."""
    since = query.window.since
    if since is None:
        if query.purpose == "start":
            raise SettingsError(
                f"aggregate: change asks for every mention since the beginning, which {connector} "
                "cannot count: use aggregate: latest with a window, as in window: 7d",
                setting="aggregate",
            )
        raise SettingsError(
            f"{connector} counts mentions over a span of time: give the source a window, as in "
            "window: 7d",
            setting="window",
        )
    return in_utc(since), in_utc(query.window.until)


def span_of(duration: dt.timedelta) -> str:
    """A duration in words: ``7 days``, ``1.5 hours``, ``12 minutes``, ``30 seconds``."""
    seconds = duration.total_seconds()
    amount, unit = seconds, "second"
    for name, size in (("day", 86400), ("hour", 3600), ("minute", 60)):
        if seconds >= size:
            amount, unit = seconds / size, name
            break
    text = f"{round(amount, 1):g}"
    return f"{text} {unit}{'' if text == '1' else 's'}"


def count_of(value: Any, where: str, shown: str) -> int:
    """A count from an answer (a whole number, or text holding one), or a `TerminalError`.

    A count no float holds (an integer past about 1.8e308) is refused as not a finite
    number: a key result's value is a float.
    """
    text = value.strip() if isinstance(value, str) else ""
    if isinstance(value, bool):
        number = None
    elif isinstance(value, int):
        number = value
    elif text.isascii() and text.isdigit():
        try:
            number = int(text)
        except ValueError:  # more digits than Python converts (4,300)
            raise _not_finite(value, where, shown) from None
    elif isinstance(value, float) and value.is_integer():
        number = int(value)
    else:
        number = None
    if number is None or number < 0:
        raise TerminalError(
            f"{where} in the answer from {shown} is {show_value(value)}, not a count"
        )
    try:
        float(number)
    except OverflowError:
        raise _not_finite(value, where, shown) from None
    return number


def value_of(total: int, what: str) -> float:
    """A sum of counts as a key result's value, or a `TerminalError` when no float holds it."""
    try:
        return float(total)
    except OverflowError:
        raise TerminalError(
            f"{what} add up to {_digits(str(total))}, which is not a finite number"
        ) from None


def _not_finite(value: Any, where: str, shown: str) -> TerminalError:
    return TerminalError(
        f"{where} in the answer from {shown} is {show_value(value)}, not a finite number"
    )


def show_value(value: Any) -> str:
    """A value as JSON writes it, a long number by its first digits and its length."""
    text = json.dumps(value)
    digits = text.strip('"')
    if len(text) > _SHOWN and digits.isascii() and digits.isdigit():
        return _digits(digits)
    return text[:_SHOWN]


def _digits(digits: str) -> str:
    return f"{digits[:12]}... ({len(digits)} digits)" if len(digits) > _SHOWN else digits
