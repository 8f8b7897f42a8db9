"""The ``bluesky`` connector: Bluesky posts matching a search query, over a window.

It signs in once per account and run (``POST {service}/xrpc/com.atproto.server.createSession``
with the handle and an app password, answering ``accessJwt``), then searches with
``GET {service}/xrpc/app.bsky.feed.searchPosts?q=...&since=...&until=...&limit=100&sort=latest``
and ``Authorization: Bearer <accessJwt>``. ``since`` is inclusive and ``until`` exclusive, as a
key result's window. The value is ``hitsTotal`` when Bluesky gives it; otherwise the posts are
counted page by page (``cursor``), up to ``max_pages`` pages, with a note when the cap stops
the count.
"""

from __future__ import annotations

import threading
import time
from collections.abc import Callable, Mapping, Sequence
from typing import TYPE_CHECKING, Any, ClassVar
from urllib.parse import urlsplit

import attrs
from okrkit.connectors import (
    ConnectorError,
    Context,
    CredentialsError,
    Query,
    Reading,
    SettingsError,
    TerminalError,
    TransientError,
)
from okrkit.connectors.builtin import InvalidSettingError

from okrkit_social._common import (
    Caller,
    Failure,
    RateLimit,
    Refine,
    SocialConnector,
    count_of,
    instant,
    window_of,
)

if TYPE_CHECKING:
    import datetime as dt

__all__ = ["BlueskyConnector", "BlueskySettings"]

LIMIT = RateLimit("ratelimit-remaining", "ratelimit-reset")
PAGE_SIZE = 100  # the most searchPosts answers in one page
APP_PASSWORDS = "Settings > Privacy and security > App passwords"


def _service(value: str) -> str:
    text = value.strip().rstrip("/")
    parts = urlsplit(text)
    if parts.scheme != "https" or not parts.hostname or parts.query or parts.fragment:
        raise InvalidSettingError(
            "service", f"{value!r} is not an https address: write it as https://bsky.social"
        )
    return text


def _handle(value: str) -> str:
    text = value.strip().removeprefix("@")
    if not text or any(character.isspace() for character in text):
        raise InvalidSettingError(
            "handle", f"{value!r} is not a handle: write it as in acme.bsky.social"
        )
    return text


def _check_text(_instance: Any, attribute: attrs.Attribute[str], value: str) -> None:
    if not value.strip():
        raise InvalidSettingError(attribute.name, "it is empty")


def _check_pages(_instance: Any, _attribute: Any, value: int) -> None:
    if value < 1:
        raise InvalidSettingError("max_pages", f"{value} is not a number of pages: give 1 or more")


@attrs.frozen
class BlueskySettings:
    """The settings of the ``bluesky`` connector."""

    query: str = attrs.field(
        validator=_check_text,
        metadata={"help": 'The search query, as in acmewidget or "acme widget".'},
    )
    handle: str = attrs.field(
        converter=_handle,
        metadata={"help": "The account that signs in to search, as in acme.bsky.social."},
    )
    app_password: str = attrs.field(
        repr=False,
        validator=_check_text,
        metadata={"help": "An app password of that account, as ${BLUESKY_APP_PASSWORD}."},
    )
    service: str = attrs.field(
        default="https://bsky.social",
        converter=_service,
        metadata={"help": "The account's host (PDS or entryway), https://bsky.social by default."},
    )
    max_pages: int = attrs.field(
        default=20,
        validator=_check_pages,
        metadata={"help": "The most pages of 100 posts counted when Bluesky gives no total."},
    )


class BlueskyConnector(SocialConnector):
    """Counts the Bluesky posts that match a search query over the key result's window."""

    name: ClassVar[str] = "bluesky"
    Settings: ClassVar[type | None] = BlueskySettings
    summary: ClassVar[str] = "Bluesky posts matching a search query, over the key result's window."
    batch: ClassVar[bool] = True  # all of a run's queries share one session per account

    def __init__(self, *, clock: Callable[[], float] = time.time) -> None:
        super().__init__(clock=clock)
        self._sessions: dict[tuple[str, str], str] = {}
        self._lock = threading.Lock()

    def close(self) -> None:
        with self._lock:
            self._sessions.clear()

    def fetch(
        self, queries: Sequence[Query], context: Context
    ) -> Sequence[Reading | float | ConnectorError]:
        caller = Caller(context, "Bluesky", LIMIT, self.clock)
        refused: dict[tuple[str, str], ConnectorError] = {}
        results: list[Reading | float | ConnectorError] = []
        for query in queries:
            try:
                settings: BlueskySettings = query.settings
                since, until = window_of(query, "bluesky")
                context.redactor.add(settings.app_password)
                account = (settings.service, settings.handle.lower())
                if account in refused:
                    raise refused[account]
                try:
                    token = self._session(account, settings, context, caller)
                except ConnectorError as error:
                    refused[account] = error
                    raise
                results.append(
                    self._count(
                        account, settings, since=since, until=until, token=token, caller=caller
                    )
                )
            except ConnectorError as error:
                results.append(error)
        return results

    def _session(
        self, account: tuple[str, str], settings: BlueskySettings, context: Context, caller: Caller
    ) -> str:
        """The account's access token: signed in once per run, and again after it expired."""
        with self._lock:
            token = self._sessions.get(account)
        if token is not None:
            return token
        answer = caller.call(
            "POST",
            f"{settings.service}/xrpc/com.atproto.server.createSession",
            json={"identifier": settings.handle, "password": settings.app_password},
            refine=_refine_session(settings),
        )
        data = answer.data
        token = data.get("accessJwt") if isinstance(data, Mapping) else None
        if not isinstance(token, str) or not token:
            raise TerminalError(f"the answer from {answer.shown} has no 'accessJwt'")
        context.redactor.add(token)
        refresh = data.get("refreshJwt")
        if isinstance(refresh, str):
            context.redactor.add(refresh)
        with self._lock:
            self._sessions[account] = token
        return token

    def _count(
        self,
        account: tuple[str, str],
        settings: BlueskySettings,
        *,
        since: dt.datetime,
        until: dt.datetime,
        token: str,
        caller: Caller,
    ) -> Reading:
        url = f"{settings.service}/xrpc/app.bsky.feed.searchPosts"
        params = {
            "q": settings.query,
            "since": instant(since),
            "until": instant(until),
            "limit": str(PAGE_SIZE),
            "sort": "latest",
        }
        headers = {"Authorization": f"Bearer {token}"}
        refine = self._refine_search(account, settings)
        counted = pages = 0
        note = None
        while True:
            answer = caller.call("GET", url, params=params, headers=headers, refine=refine)
            pages += 1
            data = answer.data
            if not isinstance(data, Mapping):
                raise TerminalError(f"the answer from {answer.shown} is not an object")
            if pages == 1 and data.get("hitsTotal") is not None:
                total = count_of(data["hitsTotal"], "hitsTotal", answer.shown)
                return Reading(float(total), raw={"hitsTotal": total})
            posts = data.get("posts")
            if not isinstance(posts, list):
                raise TerminalError(f"the answer from {answer.shown} has no 'posts' list")
            counted += len(posts)
            cursor = data.get("cursor")
            if not posts or not isinstance(cursor, str) or not cursor:
                break
            if pages == settings.max_pages:
                note = (
                    f"counted the first {counted} posts; the cap of max_pages = "
                    f"{settings.max_pages} pages was reached: raise max_pages to count more"
                )
                break
            params["cursor"] = cursor
        return Reading(float(counted), raw={"posts": counted, "pages": pages}, note=note)

    def _refine_search(self, account: tuple[str, str], settings: BlueskySettings) -> Refine:
        def refine(_error: ConnectorError, failure: Failure) -> ConnectorError | None:
            status = failure.status
            name, detail = _said(failure)
            if name in ("ExpiredToken", "InvalidToken"):
                with self._lock:
                    self._sessions.pop(account, None)
                return TransientError(
                    f"the Bluesky session of {settings.handle} ended ({name}); okrkit signs in "
                    "again on the next attempt"
                )
            if status == 400 and name == "BadQueryString":
                return SettingsError(
                    f"Bluesky refused the search query (HTTP 400{detail})", setting="query"
                )
            if status in (401, 403):
                return CredentialsError(
                    f"Bluesky refused the search for {settings.handle} (HTTP {status}{detail})"
                )
            return None

        return refine


def _refine_session(settings: BlueskySettings) -> Refine:
    def refine(_error: ConnectorError, failure: Failure) -> ConnectorError | None:
        status = failure.status
        name, detail = _said(failure)
        if status == 401:
            return CredentialsError(
                f"Bluesky refused the handle {settings.handle!r} or its app password (HTTP 401"
                f"{detail}): check the handle and the app_password setting's variable; create an "
                f"app password in Bluesky under {APP_PASSWORDS}"
            )
        if name == "AuthFactorTokenRequired":
            return CredentialsError(
                f"Bluesky asks {settings.handle!r} for a sign-in code from email, which happens "
                f"with the account's own password: create an app password under {APP_PASSWORDS} "
                "and use it instead"
            )
        if name == "AccountTakedown" or status == 403:
            return CredentialsError(
                f"Bluesky refused to sign in {settings.handle!r} (HTTP {status}{detail})"
            )
        return None

    return refine


def _said(failure: Failure) -> tuple[str, str]:
    """An XRPC error's name and, for messages, ``: name: message``."""
    body = failure.body
    name = str(body.get("error") or "")
    message = str(body.get("message") or "")
    words = ": ".join(part for part in (name, message) if part)
    return name, f": {words}" if words else ""
