"""One YouTube Data API client per API key and endpoint: the three list calls the connector
makes, each counted as one quota unit and each failure mapped to an okrkit error.

The client is google-api-python-client built from its bundled (static) discovery document, so
building it needs no network. Its HTTP transport is any object with httplib2's ``request``
method: a real ``httplib2.Http`` with the run's timeout, or a test double.

A client may be used by several threads at once (the connector makes a batch's calls a few at a
time). ``httplib2.Http`` is not thread-safe, so each thread that makes a call gets a transport of
its own from the factory, made the first time it calls; the discovery service, costly to build,
is built once and shared (each call passes its thread's transport to ``execute``).
"""

from __future__ import annotations

import logging
import threading
from collections.abc import Callable
from typing import TYPE_CHECKING, Any, Protocol

from okrkit.connectors import BodyTooLargeError, TerminalError, TransientError, guard_httplib2
from okrkit.secrets import Redactor

from okrkit_youtube._errors import from_exception, from_http_error

if TYPE_CHECKING:
    from collections.abc import Iterator

    from okrkit.connectors import Context

__all__ = ["MAX_IDS", "UNIT", "HttpFactory", "HttpTransport", "YouTubeClient", "default_http"]

#: Ids per videos.list or channels.list call, and items per playlistItems.list page: the API's most.
MAX_IDS = 50
#: The name under which quota is reported to the run (``costs`` in the refresh's output).
UNIT = "youtube.units"
_MAX_PAGES = 400  # 20,000 videos: a guard against a pageToken that never ends


class HttpTransport(Protocol):
    """What google-api-python-client needs from an HTTP object (httplib2's interface)."""

    def request(  # noqa: PLR0917  # httplib2's signature, called by position
        self,
        uri: str,
        method: str = "GET",
        body: Any = None,
        headers: Any = None,
        redirections: int = 5,
        connection_type: Any = None,
    ) -> tuple[Any, bytes]: ...


#: Makes the HTTP transport for a run, given the run's timeout in seconds.
HttpFactory = Callable[[float], HttpTransport]


class _KeyFilter(logging.Filter):
    """Masks ``key=...`` in google-api-python-client's log records: at DEBUG it logs every
    request's address, API key included."""

    redactor = Redactor()

    def filter(self, record: logging.LogRecord) -> bool:
        text = record.getMessage()
        masked = self.redactor.redact(text)
        if masked != text:
            record.msg, record.args = masked, None
        return True


_KEY_FILTER = _KeyFilter()
_LOGGERS = ("googleapiclient.discovery", "googleapiclient.http")


def _mask_keys_in_logs() -> None:
    for name in _LOGGERS:
        logger = logging.getLogger(name)
        if _KEY_FILTER not in logger.filters:
            logger.addFilter(_KEY_FILTER)


def default_http(timeout: float) -> HttpTransport:
    """A real ``httplib2.Http`` with the run's timeout (proxies from the environment).

    The client arms it (as any ``httplib2.Http`` a factory makes) with the run's body cap and
    per-host rate limits: see `okrkit.connectors.guard_httplib2`.
    """
    # imported when a refresh fetches, not with okrkit; typed by types-httplib2 if installed
    import httplib2  # type: ignore[import-untyped, unused-ignore]  # noqa: PLC0415

    http: HttpTransport = httplib2.Http(timeout=timeout)
    return http


class YouTubeClient:
    """The YouTube Data API for one API key (and endpoint), in a refresh run.

    Safe to call from several threads: each thread's calls go through a transport of its own
    (`transport`), made by `http_factory` and armed with the run's limits; `close` closes them all.
    """

    def __init__(
        self,
        api_key: str,
        endpoint: str | None,
        context: Context,
        http_factory: HttpFactory,
    ) -> None:
        # heavy: imported only when a refresh fetches; the library ships no type hints
        from googleapiclient.discovery import (  # type: ignore[import-untyped, unused-ignore]  # noqa: PLC0415
            build,
        )

        context.redactor.add(api_key)
        _mask_keys_in_logs()
        self.context = context
        self._http_factory = http_factory
        self._lock = threading.Lock()
        self._local = threading.local()
        self._transports: list[HttpTransport] = []  # every one made, to close
        self.http = self.transport()  # the creating thread's, and the service's own
        options = {"api_endpoint": endpoint.rstrip("/")} if endpoint else None
        try:
            self.service = build(
                "youtube",
                "v3",
                developerKey=api_key,
                static_discovery=True,
                cache_discovery=False,
                client_options=options,
                http=self.http,
            )
        except Exception as error:  # noqa: BLE001  # any failure here: the install is broken
            # never raised for a good install; say so without the key build() may have seen
            raise TerminalError(
                "could not set up the YouTube Data API client "
                f"({type(error).__name__}): reinstall okrkit-youtube and google-api-python-client"
            ) from None

        # a resource builds every one of its methods from the discovery document when made:
        # made once per client, not once per call
        self._resources: dict[str, Any] = {}

    def transport(self) -> HttpTransport:
        """The calling thread's transport: made (and armed) the first time the thread asks."""
        http: HttpTransport | None = getattr(self._local, "http", None)
        if http is None:
            http = guard_httplib2(self._http_factory(self.context.timeout), self.context)
            with self._lock:
                self._transports.append(http)
            self._local.http = http
        return http

    @property
    def transports(self) -> list[HttpTransport]:
        """Every transport made so far, the creating thread's first."""
        with self._lock:
            return list(self._transports)

    def _resource(self, name: str) -> Any:
        with self._lock:
            resource = self._resources.get(name)
            if resource is None:
                resource = self._resources[name] = getattr(self.service, name)()
        return resource

    def close(self) -> None:
        """Close every transport made (each once, however many threads it was handed to)."""
        closed: set[int] = set()
        for http in self.transports:
            if id(http) in closed:
                continue
            closed.add(id(http))
            close = getattr(http, "close", None)
            if callable(close):
                close()

    def _execute(self, call: str, request: Any) -> dict[str, Any]:
        """Run one list call: one quota unit when the API answered, and errors mapped."""
        from googleapiclient.errors import (  # type: ignore[import-untyped, unused-ignore]  # noqa: PLC0415
            HttpError,
        )

        try:
            answer = request.execute(http=self.transport())
        except HttpError as error:
            self.context.spend(UNIT, 1)  # the API counts refused calls too
            status = int(getattr(error.resp, "status", 0) or 0)
            raise from_http_error(
                status, error.content, error.resp, call, self.context.redactor
            ) from None
        except Exception as error:
            if isinstance(error, BodyTooLargeError):  # the API answered: the call counts
                self.context.spend(UNIT, 1)
            mapped = from_exception(error, call, self.context.redactor)
            if mapped is not None:
                raise mapped from None
            if isinstance(error, ValueError):  # a body that is not even text
                self.context.spend(UNIT, 1)
                raise TransientError(
                    f"YouTube {call} answered with something that is not JSON; it is tried again"
                ) from None
            raise
        self.context.spend(UNIT, 1)
        if not isinstance(answer, dict):  # the library hands back a body it cannot decode
            start = self.context.redactor.redact(str(answer))[:80]
            raise TransientError(
                f"YouTube {call} answered with something that is not a JSON object ({start!r}); "
                "it is tried again"
            )
        return answer

    def video_statistics(self, ids: list[str]) -> dict[str, dict[str, Any]]:
        """``videos.list(part=statistics)`` for up to 50 ids: each id found, its statistics."""
        request = self._resource("videos").list(
            part="statistics", id=",".join(ids), maxResults=MAX_IDS
        )
        return _statistics_by_id(self._execute("videos.list", request))

    def channel_statistics(self, ids: list[str]) -> dict[str, dict[str, Any]]:
        """``channels.list(part=statistics)`` for up to 50 channel ids."""
        request = self._resource("channels").list(
            part="statistics", id=",".join(ids), maxResults=MAX_IDS
        )
        return _statistics_by_id(self._execute("channels.list", request))

    def handle_statistics(self, handle: str) -> tuple[str, dict[str, Any]] | None:
        """``channels.list(part=statistics, forHandle=...)``: the channel's id and statistics,
        or None when no channel has the handle."""
        request = self._resource("channels").list(part="statistics", forHandle=handle)
        found = _statistics_by_id(self._execute("channels.list", request))
        return next(iter(found.items()), None)

    def playlist_videos(
        self, playlist: str, *, before_page: Callable[[], None] | None = None
    ) -> Iterator[str]:
        """Every video id of a playlist, a page of 50 per ``playlistItems.list`` call.

        `before_page` is called before each page after the first is asked for: it raises to
        stop listing (another call of the key met a spent quota).
        """
        token: str | None = None
        for _ in range(_MAX_PAGES):
            if token and before_page is not None:
                before_page()
            arguments: dict[str, Any] = {
                "part": "contentDetails",
                "playlistId": playlist,
                "maxResults": MAX_IDS,
            }
            if token:
                arguments["pageToken"] = token
            request = self._resource("playlistItems").list(**arguments)
            page = self._execute("playlistItems.list", request)
            for item in page.get("items") or []:
                details = item.get("contentDetails") if isinstance(item, dict) else None
                video = details.get("videoId") if isinstance(details, dict) else None
                if isinstance(video, str) and video:
                    yield video
            next_token = page.get("nextPageToken")
            if not isinstance(next_token, str) or not next_token or next_token == token:
                return
            token = next_token
        raise TerminalError(
            f"the playlist {playlist} has more than {_MAX_PAGES * MAX_IDS:,} videos, more "
            "than okrkit reads; measure the channel instead"
        )


def _statistics_by_id(answer: dict[str, Any]) -> dict[str, dict[str, Any]]:
    found: dict[str, dict[str, Any]] = {}
    for item in answer.get("items") or []:
        if not isinstance(item, dict) or not isinstance(item.get("id"), str):
            continue
        statistics = item.get("statistics")
        found[item["id"]] = statistics if isinstance(statistics, dict) else {}
    return found
