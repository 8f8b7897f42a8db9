"""The ``x`` connector: posts on X matching a search query, over a window.

``GET https://api.x.com/2/tweets/counts/recent?query=...&start_time=...&end_time=...&granularity=day``
with ``Authorization: Bearer <token>`` answers ``{"data": [{"start", "end", "tweet_count"}, ...],
"meta": {"total_tweet_count": N, "next_token"?}}``; the value is the sum of
``meta.total_tweet_count`` over the pages (``next_token`` pages on).

X counts only the last 7 days, and only up to 10 seconds before the request: a window longer
than 7 days is a settings error, a window wholly older than 7 days a terminal error, and a
window that reaches a little past either edge is clamped to it (with a note when more than a
minute of the window was left out).
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Mapping, Sequence
from typing import Any, ClassVar

import attrs
from okrkit.connectors import (
    ConnectorError,
    Context,
    CredentialsError,
    Query,
    QuotaError,
    Reading,
    SettingsError,
    TerminalError,
)
from okrkit.connectors.builtin import InvalidSettingError

from okrkit_social._common import (
    Answer,
    Caller,
    Failure,
    RateLimit,
    SocialConnector,
    count_of,
    instant,
    span_of,
    value_of,
    window_of,
)

__all__ = ["XConnector", "XSettings"]

URL = "https://api.x.com/2/tweets/counts/recent"
LIMIT = RateLimit("x-rate-limit-remaining", "x-rate-limit-reset")
RECENT = dt.timedelta(days=7)
#: Kept between the window and X's edges (7 days back, 10 seconds before the request), for the
#: time the request takes and for clocks that differ a little.
MARGIN = dt.timedelta(seconds=30)
#: Clamping less than this is not worth a note: it is the refresh's own few seconds.
QUIET = dt.timedelta(minutes=1)
MAX_PAGES = 10  # 7 days of daily counts fit on one page; this only guards against a loop


def _check_text(_instance: Any, attribute: attrs.Attribute[str], value: str) -> None:
    if not value.strip():
        what = (
            "a search query, as in acmewidget -is:retweet"
            if attribute.name == "query"
            else ("the bearer token, as ${X_BEARER_TOKEN}")
        )
        raise InvalidSettingError(attribute.name, f"it is empty: give {what}")


@attrs.frozen
class XSettings:
    """The settings of the ``x`` connector."""

    query: str = attrs.field(
        validator=_check_text,
        metadata={"help": "An X search query, as in acmewidget -is:retweet."},
    )
    token: str = attrs.field(
        repr=False,
        validator=_check_text,
        metadata={"help": "The App's bearer token, as ${X_BEARER_TOKEN}."},
    )


class XConnector(SocialConnector):
    """Counts the posts on X that match a search query over the key result's window."""

    name: ClassVar[str] = "x"
    Settings: ClassVar[type | None] = XSettings
    summary: ClassVar[str] = (
        "Posts on X matching a search query, over the key result's window (last 7 days)."
    )
    batch: ClassVar[bool] = False  # one request per key result: spread them over threads

    def fetch(
        self, queries: Sequence[Query], context: Context
    ) -> Sequence[Reading | float | ConnectorError]:
        caller = Caller(context, "X", LIMIT, self.clock, _refine)
        results: list[Reading | float | ConnectorError] = []
        for query in queries:
            try:
                results.append(self._count(query, context, caller))
            except ConnectorError as error:
                results.append(error)
        return results

    def _count(self, query: Query, context: Context, caller: Caller) -> Reading:
        settings: XSettings = query.settings
        context.redactor.add(settings.token)
        start, end, notes = self._span(query)
        params = {
            "query": settings.query,
            "start_time": instant(start),
            "end_time": instant(end),
            "granularity": "day",
        }
        headers = {"Authorization": f"Bearer {settings.token}"}
        total = pages = 0
        days: list[dict[str, Any]] = []
        while True:
            answer = caller.call("GET", URL, params=params, headers=headers)
            context.spend("x.requests", 1)
            pages += 1
            total += _page_total(answer, days)
            meta = answer.data["meta"]
            next_token = meta.get("next_token")
            if not isinstance(next_token, str) or not next_token:
                break
            if pages == MAX_PAGES:
                notes.append(f"stopped after {MAX_PAGES} pages of counts")
                break
            params["next_token"] = next_token
        raw = {
            "total_tweet_count": total,
            "start_time": params["start_time"],
            "end_time": params["end_time"],
            "pages": pages,
            "days": days,
        }
        value = value_of(total, f"the tweet counts of {pages} pages")
        return Reading(value, raw=raw, note="; ".join(notes) or None)

    def _span(self, query: Query) -> tuple[dt.datetime, dt.datetime, list[str]]:
        """The window, inside what X can count now; a note for each edge moved by much."""
        since, until = window_of(query, "x")
        if until - since > RECENT:
            raise SettingsError(
                f"X's recent counts cover only the last 7 days, and this window is "
                f"{span_of(until - since)} long: use window: 7d or less",
                setting="window",
            )
        now = self.now()
        earliest, latest = now - RECENT + MARGIN, now - MARGIN
        notes = []
        start, end = since, until
        if end > latest:
            if end - latest > QUIET:
                notes.append(
                    f"X counts only up to a few seconds ago: counted until {instant(latest)}"
                )
            end = latest
        if end <= earliest:
            way_out = (
                "type the baseline in the file (baseline: N)"
                if query.purpose == "baseline"
                else "refresh with a moment within the last 7 days"
            )
            raise TerminalError(
                f"X's recent counts reach back only 7 days (to {instant(earliest)}), and this "
                f"window ends at {instant(until)}: {way_out}"
            )
        if start < earliest:
            if earliest - start > QUIET:
                notes.append(
                    f"X's recent counts reach back only 7 days: counted from {instant(earliest)}; "
                    f"the window's first {span_of(earliest - start)} were not counted"
                )
            start = earliest
        return start, end, notes


def _page_total(answer: Answer, days: list[dict[str, Any]]) -> int:
    data = answer.data
    if not isinstance(data, Mapping):
        raise TerminalError(f"the answer from {answer.shown} is not an object")
    meta = data.get("meta")
    if not isinstance(meta, Mapping):
        problem = _problem(data)
        if problem:
            raise TerminalError(f"X answered with an error: {problem}")
        raise TerminalError(f"the answer from {answer.shown} has no 'meta.total_tweet_count'")
    buckets = data.get("data", [])
    if not isinstance(buckets, list):
        raise TerminalError(f"'data' in the answer from {answer.shown} is not a list")
    counts = []
    for index, bucket in enumerate(buckets):
        if not isinstance(bucket, Mapping) or "tweet_count" not in bucket:
            raise TerminalError(
                f"the answer from {answer.shown} has no 'data[{index}].tweet_count'"
            )
        count = count_of(bucket["tweet_count"], f"data[{index}].tweet_count", answer.shown)
        counts.append(count)
        days.append({"start": bucket.get("start"), "tweet_count": count})
    if "total_tweet_count" in meta:
        return count_of(meta["total_tweet_count"], "meta.total_tweet_count", answer.shown)
    if counts:
        return sum(counts)
    raise TerminalError(f"the answer from {answer.shown} has no 'meta.total_tweet_count'")


def _problem(body: Mapping[str, Any]) -> str:
    """What an X problem document says: the first error's message, or its title and detail."""
    errors = body.get("errors")
    if isinstance(errors, list) and errors and isinstance(errors[0], Mapping):
        first = errors[0]
        text = first.get("message") or first.get("detail") or first.get("title")
        if text:
            return str(text)
    parts = [str(body[key]) for key in ("title", "detail") if body.get(key)]
    return ": ".join(dict.fromkeys(parts))  # X often says "Unauthorized" twice


def _refine(_error: ConnectorError, failure: Failure) -> ConnectorError | None:
    status = failure.status
    body = failure.body
    said = _problem(body)
    detail = f": {said}" if said else ""
    if status == 401:
        return CredentialsError(
            f"X refused the bearer token (HTTP 401{detail}): check that the token setting's "
            "variable holds the Bearer Token of an App in your X developer Project (developer "
            "console > your App > Keys and tokens; regenerate it there if it was revoked)"
        )
    if status == 403:
        if body.get("reason") == "client-not-enrolled" or "required_enrollment" in body:
            needed = body.get("required_enrollment")
            asks = f"; X asks for: {needed}" if needed else ""
            return CredentialsError(
                f"X refused the request (HTTP 403 client-not-enrolled{asks}): post counts "
                "(GET /2/tweets/counts/recent) need an App that belongs to a Project with Pro "
                "or Enterprise access (or pay-per-use credits); Free and Basic access do not "
                "include them. Attach the App to a Project and upgrade it in the X developer "
                "console"
            )
        return CredentialsError(f"X refused the request (HTTP 403{detail})")
    if status == 429 and (
        body.get("title") == "UsageCapExceeded" or "usage-capped" in str(body.get("type", ""))
    ):
        period = str(body.get("period") or "monthly").lower()
        return QuotaError(
            f"X's usage cap is spent ({said or 'UsageCapExceeded'}): wait for the {period} cap "
            "to reset, or raise it in the X developer console"
        )
    if status == 400:
        if "start_time" in said or "end_time" in said:
            return TerminalError(f"X refused the time span (HTTP 400{detail})")
        return SettingsError(f"X refused the search query (HTTP 400{detail})", setting="query")
    return None
