"""The ``mastodon`` connector: posts with a hashtag on a Mastodon server, over a window.

Two ways to count, chosen by ``method``:

- ``history``: ``GET https://{server}/api/v1/tags/{tag}`` answers the tag with ``history``, one
  entry per UTC day for the last 7 days (``{"day": "<unix seconds>", "uses": "12", "accounts":
  "9"}``, today first). The days that begin inside the window are summed. No token needed, one
  request, but only 7 days back and only whole days.
- ``timeline``: ``GET https://{server}/api/v1/timelines/tag/{tag}?limit=40&max_id=...`` lists
  the tag's posts newest first; the posts created inside the window are counted, page by page,
  until a post older than the window's start (or ``max_pages``). Exact, and as far back as the
  pages reach. Public on most servers; a token is needed where the server shows hashtag timelines
  only to signed-in users.

``auto`` (the default) uses the timeline when a token is given, the history otherwise.
"""

from __future__ import annotations

import datetime as dt
import re
from collections.abc import Mapping, Sequence
from typing import Any, ClassVar, Literal
from urllib.parse import quote

import attrs
from okrkit.connectors import (
    ConnectorError,
    Context,
    CredentialsError,
    Query,
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
    Refine,
    SocialConnector,
    count_of,
    show_value,
    span_of,
    value_of,
    window_of,
)

__all__ = ["MastodonConnector", "MastodonSettings"]

LIMIT = RateLimit("X-RateLimit-Remaining", "X-RateLimit-Reset", iso=True)
PAGE_SIZE = 40  # the most Mastodon answers in one page of a timeline
HISTORY_DAYS = 7
_DAY = dt.timedelta(days=1)
_HOST = re.compile(r"^[a-z0-9](?:[a-z0-9.-]*[a-z0-9])?(?::\d{1,5})?$")
_TAG = re.compile(r"^[\w\u00b7\u200c]+$")


def _server(value: str) -> str:
    text = value.strip().lower()
    if text.startswith("http://"):
        raise InvalidSettingError(
            "server",
            "okrkit reaches Mastodon over https only: write the server, as in mastodon.social",
        )
    text = text.removeprefix("https://").rstrip("/")
    if not _HOST.match(text):
        raise InvalidSettingError(
            "server", f"{value!r} is not a server name: write it as in mastodon.social"
        )
    return text


def _tag(value: str) -> str:
    text = value.strip().removeprefix("#")
    if not _TAG.match(text):
        raise InvalidSettingError(
            "tag", f"{value!r} is not a hashtag: write one word without #, as in acmewidget"
        )
    return text


def _check_token(_instance: Any, _attribute: Any, value: str | None) -> None:
    if value is not None and not value.strip():
        raise InvalidSettingError("token", "the token is empty: set its variable, or remove token")


def _check_pages(_instance: Any, _attribute: Any, value: int) -> None:
    if value < 1:
        raise InvalidSettingError("max_pages", f"{value} is not a number of pages: give 1 or more")


@attrs.frozen
class MastodonSettings:
    """The settings of the ``mastodon`` connector."""

    server: str = attrs.field(
        converter=_server,
        metadata={
            "help": "The Mastodon server whose view of the tag counts, as in mastodon.social."
        },
    )
    tag: str = attrs.field(
        converter=_tag, metadata={"help": "The hashtag, without #, as in acmewidget."}
    )
    token: str | None = attrs.field(
        default=None,
        repr=False,
        validator=_check_token,
        metadata={
            "help": "An access token (Preferences > Development), as ${MASTODON_TOKEN}; "
            "needed where the server hides hashtag timelines from visitors."
        },
    )
    method: Literal["auto", "history", "timeline"] = attrs.field(
        default="auto",
        metadata={
            "help": "history: the tag's daily uses (7 days, whole days); timeline: count the posts "
            "one by one; auto: timeline with a token, history without."
        },
    )
    max_pages: int = attrs.field(
        default=25,
        validator=_check_pages,
        metadata={"help": "timeline: the most pages of 40 posts read for one count."},
    )

    @property
    def uses_timeline(self) -> bool:
        return self.method == "timeline" or (self.method == "auto" and self.token is not None)


class MastodonConnector(SocialConnector):
    """Counts a hashtag's posts on a Mastodon server over the key result's window."""

    name: ClassVar[str] = "mastodon"
    Settings: ClassVar[type | None] = MastodonSettings
    summary: ClassVar[str] = (
        "Posts with a hashtag on a Mastodon server, over the key result's window."
    )
    batch: ClassVar[bool] = True

    def fetch(
        self, queries: Sequence[Query], context: Context
    ) -> Sequence[Reading | float | ConnectorError]:
        caller = Caller(context, "Mastodon", LIMIT, self.clock)
        histories: dict[tuple[str, str], Answer | ConnectorError] = {}
        results: list[Reading | float | ConnectorError] = []
        for query in queries:
            try:
                results.append(self._count(query, context, caller, histories))
            except ConnectorError as error:
                results.append(error)
        return results

    def _count(
        self,
        query: Query,
        context: Context,
        caller: Caller,
        histories: dict[tuple[str, str], Answer | ConnectorError],
    ) -> Reading:
        settings: MastodonSettings = query.settings
        since, until = window_of(query, "mastodon")
        headers = {}
        if settings.token is not None:
            context.redactor.add(settings.token)
            headers["Authorization"] = f"Bearer {settings.token}"
        if settings.uses_timeline:
            return _timeline(
                query, settings, since=since, until=until, caller=caller, headers=headers
            )
        days = _days_in(since, until, settings)
        key = (settings.server, settings.tag)
        if key not in histories:
            try:
                histories[key] = caller.call(
                    "GET",
                    f"https://{settings.server}/api/v1/tags/{quote(settings.tag, safe='')}",
                    headers=headers,
                    refine=_refine(settings, "history"),
                )
            except ConnectorError as error:
                histories[key] = error
        answer = histories[key]
        if isinstance(answer, ConnectorError):
            raise answer
        return _sum_history(query, settings, days, answer)


def _days_in(
    since: dt.datetime, until: dt.datetime, settings: MastodonSettings
) -> list[dt.datetime]:
    """The UTC days that begin inside the window: the days the history counts for it."""
    if until - since > dt.timedelta(days=HISTORY_DAYS):
        raise SettingsError(
            f"the hashtag history of {settings.server} covers only the last {HISTORY_DAYS} days, "
            f"and this window is {span_of(until - since)} long: use window: 7d or less, or "
            "method: timeline to count the posts one by one",
            setting="window",
        )
    first = since.replace(hour=0, minute=0, second=0, microsecond=0)
    if first < since:
        first += _DAY
    days = []
    day = first
    while day < until:
        days.append(day)
        day += _DAY
    if not days:
        raise SettingsError(
            f"the hashtag history counts whole UTC days, and no day begins inside this "
            f"{span_of(until - since)} window: use a window of a day or more (window: 7d), or "
            "method: timeline",
            setting="window",
        )
    return days


def _sum_history(
    query: Query, settings: MastodonSettings, days: list[dt.datetime], answer: Answer
) -> Reading:
    data = answer.data
    history = data.get("history") if isinstance(data, Mapping) else None
    if not isinstance(history, list):
        raise TerminalError(f"the answer from {answer.shown} has no 'history' list")
    uses: dict[dt.datetime, int] = {}
    for index, entry in enumerate(history):
        for field in ("day", "uses"):
            if not isinstance(entry, Mapping) or field not in entry:
                raise TerminalError(
                    f"the answer from {answer.shown} has no 'history[{index}].{field}'"
                )
        seconds = count_of(entry["day"], f"history[{index}].day", answer.shown)
        try:
            day = dt.datetime.fromtimestamp(seconds, dt.UTC)
        except (OverflowError, OSError, ValueError):  # past the year 9999
            raise TerminalError(
                f"history[{index}].day in the answer from {answer.shown} is {show_value(seconds)} "
                "seconds after 1970, not a day okrkit can read"
            ) from None
        uses[day] = count_of(entry["uses"], f"history[{index}].uses", answer.shown)
    counted = [day for day in days if day in uses]
    missing = [day for day in days if day not in uses]
    covered = f"{_date(min(uses))} to {_date(max(uses))}" if uses else "no day"
    if not counted:
        way_out = (
            "type the baseline in the file (baseline: N), or use "
            if query.purpose == "baseline"
            else "use "
        )
        raise TerminalError(
            f"the hashtag history of {settings.server} covers only the last {HISTORY_DAYS} days "
            f"({covered}), none of this window's days ({_date(days[0])} to {_date(days[-1])}): "
            f"{way_out}method: timeline to count the posts one by one"
        )
    note = None
    if missing:
        note = (
            f"the hashtag history covers only the last {HISTORY_DAYS} days: counted "
            f"{len(counted)} of the window's {len(days)} days ({_date(counted[0])} to "
            f"{_date(counted[-1])}); {_days(missing)} not counted"
        )
    raw = {"method": "history", "days": {_date(day): uses[day] for day in counted}}
    total = value_of(
        sum(uses[day] for day in counted), f"the days' uses in the answer from {answer.shown}"
    )
    return Reading(total, raw=raw, note=note)


def _timeline(
    query: Query,
    settings: MastodonSettings,
    *,
    since: dt.datetime,
    until: dt.datetime,
    caller: Caller,
    headers: Mapping[str, str],
) -> Reading:
    url = f"https://{settings.server}/api/v1/timelines/tag/{quote(settings.tag, safe='')}"
    refine = _refine(settings, "timeline")
    counted = seen = pages = 0
    oldest: dt.datetime | None = None
    max_id: str | None = None
    reached_start = capped = False
    while True:
        if pages == settings.max_pages:
            capped = True
            break
        params = {"limit": str(PAGE_SIZE)}
        if max_id is not None:
            params["max_id"] = max_id
        answer = caller.call("GET", url, params=params, headers=headers, refine=refine)
        pages += 1
        statuses = answer.data
        if not isinstance(statuses, list):
            raise TerminalError(f"the answer from {answer.shown} is not a list of posts")
        for index, status in enumerate(statuses):
            where = f"post {index} of page {pages}"
            created = _created(status, where, answer.shown)
            if since <= created < until:
                counted += 1
            elif created < since:
                reached_start = True
            oldest = created if oldest is None else min(oldest, created)
        seen += len(statuses)
        if reached_start or not statuses:
            break
        last = statuses[-1].get("id")
        if not isinstance(last, str | int) or isinstance(last, bool) or not str(last):
            raise TerminalError(
                f"the answer from {answer.shown} has no 'id' in post {len(statuses) - 1} of page "
                f"{pages}"
            )
        max_id = str(last)
    raw = {"method": "timeline", "pages": pages, "posts_seen": seen, "counted": counted}
    note = None
    if capped:
        assert oldest is not None  # noqa: S101  # a capped count read at least one full page
        if counted == 0 and oldest >= until:
            raise TerminalError(
                f"the first {settings.max_pages} pages of #{settings.tag} on {settings.server} "
                f"({seen} posts, back to {_moment(oldest)}) are all newer than the window's end "
                f"({_moment(until)}): raise max_pages to reach further back"
                + (", or type the baseline in the file" if query.purpose == "baseline" else "")
            )
        note = (
            f"counted {counted} posts back to {_moment(oldest)}; the cap of max_pages = "
            f"{settings.max_pages} pages was reached before the window's start "
            f"({_moment(since)}): raise max_pages to count further back"
        )
    return Reading(float(counted), raw=raw, note=note)


def _created(status: Any, where: str, shown: str) -> dt.datetime:
    if not isinstance(status, Mapping) or "created_at" not in status:
        raise TerminalError(f"the answer from {shown} has no 'created_at' in {where}")
    value = status["created_at"]
    try:
        moment = dt.datetime.fromisoformat(value) if isinstance(value, str) else None
    except ValueError:
        moment = None
    if moment is None:
        raise TerminalError(
            f"'created_at' of {where} in the answer from {shown} is {value!r}, not a moment"
        )
    return moment if moment.tzinfo is not None else moment.replace(tzinfo=dt.UTC)


def _refine(settings: MastodonSettings, kind: str) -> Refine:
    def refine(_error: ConnectorError, failure: Failure) -> ConnectorError | None:
        status = failure.status
        said = str(failure.body.get("error") or "")
        detail = f": {said}" if said else ""
        server = settings.server
        if status in (401, 403, 422) and settings.token is None and "authenticated" in said:
            return CredentialsError(
                f"{server} shows its hashtag timelines only to signed-in users (HTTP {status}"
                f"{detail}): give the source a token, as in token: ${{MASTODON_TOKEN}}, or use "
                "method: history"
            )
        if status in (401, 403):
            if settings.token is not None:
                return CredentialsError(
                    f"{server} refused the token (HTTP {status}{detail}): check the token "
                    "setting's variable; create a token on that server under Preferences > "
                    "Development > New application, with the read:statuses scope"
                )
            return CredentialsError(f"{server} refused the request (HTTP {status}{detail})")
        if status == 404 and kind == "history":
            return SettingsError(
                f"{server} knows no hashtag {settings.tag!r} (HTTP 404): write the tag without #, "
                f"and check that {server} is a Mastodon server",
                setting="tag",
            )
        return None

    return refine


def _date(day: dt.datetime) -> str:
    return day.date().isoformat()


def _days(days: list[dt.datetime]) -> str:
    if len(days) == 1:
        return _date(days[0])
    return f"{_date(days[0])} to {_date(days[-1])} ({len(days)} days)"


def _moment(moment: dt.datetime) -> str:
    return moment.astimezone(dt.UTC).strftime("%Y-%m-%d %H:%M UTC")
