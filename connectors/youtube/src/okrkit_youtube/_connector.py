"""The ``youtube`` connector: statistics of videos, playlists and channels, fetched in batches.

All the key results of a run that share an API key (and endpoint) are answered together: their
playlists are listed first (``playlistItems.list``, 50 videos a page), then every distinct video
of every key result is asked for in calls of 50 ids (``videos.list``), and every distinct channel
in calls of 50 ids (``channels.list``; a handle takes one call of its own). 120 distinct videos
spread over three key results cost three ``videos.list`` calls, three quota units.

The calls of one stage (the playlists, the videos, the channels, the handles, in that order) are
independent and made a few at a time: up to `YouTubeConnector.parallel_calls` in flight, each
thread with its own HTTP transport; a playlist's pages stay one after another. The answers are
the same whatever order the calls end in.

A video that is gone or a statistic its owner hides fails only the key results that need it.
A spent quota or a refused key fails the rest of that key's key results without more calls
(calls already in flight end; those not started are not made).
"""

from __future__ import annotations

import functools
import threading
from collections import defaultdict
from concurrent.futures import FIRST_EXCEPTION, Future, ThreadPoolExecutor, wait
from typing import TYPE_CHECKING, Any, ClassVar, TypeVar

from okrkit.connectors import (
    Connector,
    ConnectorError,
    Context,
    CredentialsError,
    Query,
    QuotaError,
    Reading,
    TerminalError,
)

from okrkit_youtube._client import MAX_IDS, HttpFactory, YouTubeClient, default_http
from okrkit_youtube._settings import YouTubeSettings

if TYPE_CHECKING:
    from collections.abc import Callable, Iterable, Sequence

__all__ = ["YouTubeConnector"]

_RAW_ITEMS = 20  # per-video counts kept as evidence; more are summed up
_STOPS = (QuotaError, CredentialsError)  # the key cannot make another call in this run
_T = TypeVar("_T")


class YouTubeConnector(Connector):
    """Views, likes or comments of videos and playlists; subscribers, views or videos of a channel.

    `http_factory` makes the HTTP transport from the run's timeout (default: ``httplib2.Http``);
    pass another one, or use `using`, to run against a test double. It is called once per thread
    that makes calls (the refresh's thread, and each of up to `parallel_calls` others), and each
    transport it makes is used by that thread only.
    """

    name: ClassVar[str] = "youtube"
    Settings: ClassVar[type | None] = YouTubeSettings
    summary: ClassVar[str] = (
        "YouTube statistics: views, likes or comments of videos or a playlist; subscribers, "
        "views or videos of a channel."
    )
    windowed: ClassVar[bool] = False
    batch: ClassVar[bool] = True
    http_factory: ClassVar[HttpFactory | None] = None
    #: Calls of one API key in flight at once: a stage's calls (the playlists, then the
    #: ``videos.list`` calls, then the ``channels.list`` calls, then the handles) are made up to
    #: this many at a time. 1 makes them one after another, in the calling thread.
    parallel_calls: ClassVar[int] = 8

    def __init__(self, http_factory: HttpFactory | None = None) -> None:
        self._http_factory: HttpFactory = http_factory or type(self).http_factory or default_http

    @classmethod
    def using(cls, http_factory: HttpFactory) -> type[YouTubeConnector]:
        """A subclass whose instances use `http_factory`: for a `Registry(extra=[...])`, which
        makes its own instances."""
        return type(
            cls.__name__,
            (cls,),
            {"http_factory": staticmethod(http_factory), "__module__": cls.__module__},
        )

    def fetch(
        self, queries: Sequence[Query], context: Context
    ) -> list[Reading | float | ConnectorError]:
        results: list[Reading | float | ConnectorError | None] = [None] * len(queries)
        groups: dict[tuple[str, str | None], list[int]] = defaultdict(list)
        for index, query in enumerate(queries):
            settings: YouTubeSettings = query.settings
            if query.purpose != "value":
                results[index] = TerminalError(
                    "YouTube statistics are lifetime totals as of now; the API cannot say what "
                    "they were before the cycle began: type the baseline in the file "
                    "(baseline: 12000)"
                )
                continue
            groups[(settings.api_key, settings.endpoint)].append(index)
        for (api_key, endpoint), indexes in groups.items():
            batch = _Batch([(index, queries[index].settings) for index in indexes])
            try:
                client = YouTubeClient(api_key, endpoint, context, self._http_factory)
            except ConnectorError as error:
                for index in indexes:
                    results[index] = error
                continue
            try:
                batch.run(client, parallel_calls=self.parallel_calls)
            finally:
                client.close()
            for index in indexes:
                results[index] = batch.answer(index)
        return [result if result is not None else TerminalError("no answer") for result in results]


class _Stopped(Exception):  # noqa: N818  # not an error: a call stopped by another's
    """Raised in a call stopped midway (a playlist between two pages) by the key's stop."""

    def __init__(self, error: ConnectorError) -> None:
        super().__init__(str(error))
        self.error = error


class _Batch:
    """The key results of one API key: what they need, fetched once each, and their answers.

    `run` may make several calls at once: what they find and why they failed are kept under a
    lock, in dicts keyed by id, so the answers do not depend on the order the calls end in.
    """

    def __init__(self, items: list[tuple[int, YouTubeSettings]]) -> None:
        self.items = items
        self.settings = dict(items)
        self.stop: ConnectorError | None = None
        self.playlists: dict[str, list[str]] = {}
        self.videos: dict[str, dict[str, Any]] = {}
        self.channels: dict[str, dict[str, Any]] = {}
        self.handles: dict[str, tuple[str, dict[str, Any]] | None] = {}
        self.errors: dict[tuple[str, str], ConnectorError] = {}  # (kind, id) -> why it failed
        self._lock = threading.Lock()

    def _call(
        self, kind: str, ids: list[str], fetch: Callable[[], _T], keep: Callable[[_T], None]
    ) -> None:
        """Run `fetch` and `keep` what it found, or record why the ids it was for have no
        answer: the key's stop, when it came before the call started. Any other exception than
        a `ConnectorError` is raised."""
        with self._lock:
            if self.stop is not None:
                self.errors.update(dict.fromkeys(((kind, item) for item in ids), self.stop))
                return
        try:
            found = fetch()
        except _Stopped as stopped:
            with self._lock:
                self.errors.update(dict.fromkeys(((kind, item) for item in ids), stopped.error))
            return
        except ConnectorError as error:
            with self._lock:
                self.errors.update(dict.fromkeys(((kind, item) for item in ids), error))
                if isinstance(error, _STOPS) and self.stop is None:
                    self.stop = error
            return
        with self._lock:
            keep(found)

    def _go_on(self) -> None:
        """Raise `_Stopped` when the key met a spent quota or a refused key."""
        with self._lock:
            stop = self.stop
        if stop is not None:
            raise _Stopped(stop)

    @staticmethod
    def _stage(pool: ThreadPoolExecutor | None, calls: list[Callable[[], None]]) -> None:
        """Make one stage's calls, back when all are done: in this thread when there is one (or
        no pool), else all handed to `pool`, which runs as many at once as it has threads.

        An exception a call raises (not a `ConnectorError`: those are recorded) cancels the
        calls not started; the first one, in the calls' order, is raised once those running
        are done. So does an interrupt of this thread while it waits.
        """
        if pool is None or len(calls) < 2:  # one call: no thread for it
            for call in calls:
                call()
            return
        futures = [pool.submit(call) for call in calls]
        try:
            done, _ = wait(futures, return_when=FIRST_EXCEPTION)
            if any(future.exception() is not None for future in done):
                _cancel(futures)
            for future in futures:
                if not future.cancelled():
                    future.result()
        except BaseException:
            _cancel(futures)
            raise

    def run(self, client: YouTubeClient, *, parallel_calls: int = 1) -> None:
        """Fetch what the key results need: the playlists, then the videos (those listed and
        those of the playlists), then the channels, then the handles. A stage's calls are made
        up to `parallel_calls` at a time; every thread started has ended when this returns."""
        settings = [item for _, item in self.items]
        workers = max(1, parallel_calls)
        with ThreadPoolExecutor(max_workers=workers, thread_name_prefix="okrkit-youtube") as pool:
            threads = pool if workers > 1 else None
            call = functools.partial
            playlists = _distinct(s.playlist for s in settings if s.playlist is not None)
            self._stage(
                threads,
                [
                    call(
                        self._call,
                        "playlist",
                        [playlist],
                        call(self._list_playlist, client, playlist),
                        call(self.playlists.__setitem__, playlist),
                    )
                    for playlist in playlists
                ],
            )
            wanted = _distinct(
                video
                for s in settings
                for video in (
                    s.videos
                    if s.videos is not None
                    else self.playlists.get(s.playlist, [])
                    if s.playlist is not None
                    else []
                )
            )
            channels = _distinct(s.channel for s in settings if s.channel is not None)
            for kind, ids, statistics, found in (
                ("video", wanted, client.video_statistics, self.videos),
                ("channel", channels, client.channel_statistics, self.channels),
            ):
                self._stage(
                    threads,
                    [
                        call(self._call, kind, chunk, call(statistics, chunk), found.update)
                        for chunk in _chunks(ids)
                    ],
                )
            self._stage(
                threads,
                [
                    call(
                        self._call,
                        "handle",
                        [handle],
                        call(client.handle_statistics, handle),
                        call(self.handles.__setitem__, handle),
                    )
                    for handle in _distinct(s.handle for s in settings if s.handle is not None)
                ],
            )

    def _list_playlist(self, client: YouTubeClient, playlist: str) -> list[str]:
        """A playlist's videos, its pages one after another; stopped between two pages when
        another call met the key's stop."""
        return list(client.playlist_videos(playlist, before_page=self._go_on))

    def answer(self, index: int) -> Reading | ConnectorError:
        settings = self.settings[index]
        try:
            if settings.videos is not None:
                return self._videos(settings, settings.videos, strict=True)
            if settings.playlist is not None:
                return self._playlist(settings, settings.playlist)
            if settings.channel is not None:
                return self._channel(settings, settings.channel)
            assert settings.handle is not None  # noqa: S101  # the settings hold exactly one
            return self._handle(settings, settings.handle)
        except ConnectorError as error:
            return error

    def _failed(self, kind: str, ids: Iterable[str]) -> None:
        for item in ids:
            error = self.errors.get((kind, item))
            if error is not None:
                raise error

    def _videos(self, settings: YouTubeSettings, ids: Sequence[str], *, strict: bool) -> Reading:
        self._failed("video", ids)
        field = settings.field
        missing = [video for video in ids if video not in self.videos]
        if missing and strict:
            raise TerminalError(
                f"{_listed('video', missing)} not found: deleted, made private, or a wrong "
                "id; remove it from videos (or correct it)"
            )
        counts: dict[str, int] = {}
        for video in ids:
            if video in self.videos:
                counts[video] = _count(
                    self.videos[video].get(field), field, f"video {video}", settings.statistic
                )
        raw: dict[str, Any] = {"statistic": field, "videos": len(counts)}
        shown = dict(list(counts.items())[:_RAW_ITEMS])
        raw["counts"] = shown
        notes = []
        if missing:
            raw["missing"] = missing[:_RAW_ITEMS]
            notes.append(
                f"left out {_listed('video', missing)} that the playlist lists but YouTube does "
                "not show (deleted or private)"
            )
        total = _sum(counts.values(), f"{field} of {_listed('video', list(counts))}")
        return Reading(total, raw=raw, note="; ".join(notes) or None)

    def _playlist(self, settings: YouTubeSettings, playlist: str) -> Reading:
        self._failed("playlist", [playlist])
        listed = self.playlists.get(playlist, [])
        ids = list(dict.fromkeys(listed))
        if not ids:
            return Reading(
                0.0,
                raw={"playlist": playlist, "statistic": settings.field, "videos": 0},
                note=f"the playlist {playlist} has no videos",
            )
        reading = self._videos(settings, ids, strict=False)
        raw = {"playlist": playlist, **reading.raw}
        note = reading.note
        if len(ids) < len(listed):
            twice = f"counted each of the {len(listed) - len(ids)} videos listed twice once"
            note = f"{note}; {twice}" if note else twice
        return Reading(reading.value, raw=raw, note=note)

    def _channel(self, settings: YouTubeSettings, channel: str) -> Reading:
        self._failed("channel", [channel])
        statistics = self.channels.get(channel)
        if statistics is None:
            raise TerminalError(
                f"no channel has the id {channel}: check it (YouTube Studio > Settings > "
                "Channel > Advanced settings), or use handle: '@name'"
            )
        return _channel_reading(settings, f"channel {channel}", statistics, {"channel": channel})

    def _handle(self, settings: YouTubeSettings, handle: str) -> Reading:
        self._failed("handle", [handle])
        found = self.handles.get(handle)
        if found is None:
            raise TerminalError(
                f"no channel has the handle {handle}: check its spelling on the channel's page"
            )
        channel, statistics = found
        return _channel_reading(
            settings, f"channel {handle}", statistics, {"handle": handle, "channel": channel}
        )


def _channel_reading(
    settings: YouTubeSettings, what: str, statistics: dict[str, Any], raw: dict[str, Any]
) -> Reading:
    field = settings.field
    if settings.statistic == "subscribers" and statistics.get("hiddenSubscriberCount") is True:
        raise TerminalError(
            f"{what} hides its subscriber count (hiddenSubscriberCount); its owner can show "
            "it in YouTube Studio > Settings > Channel, or measure views or videos instead"
        )
    value = _count(statistics.get(field), field, what, settings.statistic)
    return Reading(float(value), raw={**raw, "statistic": field, "value": value})


_HIDDEN = {
    "likes": "its owner hides the like count",
    "comments": "comments are turned off on it",
    "views": "it has no public view count (a premiere or live stream not started yet)",
    "subscribers": "its owner hides the subscriber count",
    "videos": "YouTube does not show it",
}


def _count(value: Any, field: str, what: str, statistic: str) -> int:
    """A statistic's value: the API writes counts as text (``"1234"``)."""
    if value is None:
        raise TerminalError(
            f"{what} has no {statistic} to read ({field} is missing): {_HIDDEN[statistic]}; "
            "remove it from the key result or measure another statistic"
        )
    text = str(value).strip()
    if isinstance(value, bool) or not (text.isascii() and text.isdigit()):
        raise TerminalError(f"{what}: {field} is {_shown(value)}, not a count")
    try:
        count = int(text)
        float(count)
    except (ValueError, OverflowError):  # more digits than int() reads, or than a float holds
        raise TerminalError(f"{what}: {field} is {_shown(value)}, not a finite number") from None
    return count


def _sum(counts: Iterable[int], what: str) -> float:
    """The sum of counts as a float, or a `TerminalError` when no float holds it."""
    total = sum(counts)
    try:
        return float(total)
    except OverflowError:
        raise TerminalError(
            f"the {what} add up to {_shown(total)}, which is not a finite number"
        ) from None


def _shown(value: Any) -> str:
    """A value as a message shows it: a long number by its first digits and its length."""
    text = repr(value)
    digits = str(value).strip()
    if len(text) <= 40:
        return text
    if digits.isascii() and digits.isdigit():
        return f"{digits[:12]}... ({len(digits)} digits)"
    return f"{text[:37]}..."


def _cancel(futures: Iterable[Future[None]]) -> None:
    """Cancel the calls not started; those running end (the pool waits for them)."""
    for future in futures:
        future.cancel()


def _distinct(items: Iterable[str]) -> list[str]:
    return list(dict.fromkeys(items))


def _chunks(items: list[str]) -> list[list[str]]:
    return [items[start : start + MAX_IDS] for start in range(0, len(items), MAX_IDS)]


def _listed(kind: str, ids: Sequence[str]) -> str:
    shown = ", ".join(ids[:10])
    more = f" and {len(ids) - 10} more" if len(ids) > 10 else ""
    return f"{kind} {shown}" if len(ids) == 1 else f"{len(ids)} {kind}s ({shown}{more})"
