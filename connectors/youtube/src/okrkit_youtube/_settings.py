"""The settings of the ``youtube`` connector, validated before any call.

A key result names what to measure (``videos``, a ``channel`` id, a ``handle`` or a ``playlist``,
exactly one of them) and which statistic; every id is checked for its shape here, so a typo is
reported as an invalid setting of that key result instead of costing quota.
"""

from __future__ import annotations

import re
from typing import Any, Literal
from urllib.parse import parse_qs, urlsplit

import attrs

__all__ = [
    "CHANNEL_STATISTICS",
    "VIDEO_STATISTICS",
    "InvalidSettingError",
    "Statistic",
    "YouTubeSettings",
]

Statistic = Literal["views", "likes", "comments", "subscribers", "videos"]

#: The statistics of videos (and of a playlist's videos), and the API field each one reads.
VIDEO_STATISTICS: dict[str, str] = {
    "views": "viewCount",
    "likes": "likeCount",
    "comments": "commentCount",
}
#: The statistics of a channel, and the API field each one reads.
CHANNEL_STATISTICS: dict[str, str] = {
    "subscribers": "subscriberCount",
    "views": "viewCount",
    "videos": "videoCount",
}

_VIDEO_ID = re.compile(r"[A-Za-z0-9_-]{11}")
_CHANNEL_ID = re.compile(r"UC[A-Za-z0-9_-]{22}")
_PLAYLIST_ID = re.compile(r"[A-Za-z0-9_-]{2,64}")
# YouTube handles: 3 to 30 letters (any script), digits, underscores, hyphens and periods
_HANDLE = re.compile(r"@[\w.\-]{3,30}")
_MAX_VIDEOS = 5000
_TARGETS = ("videos", "channel", "handle", "playlist")


class InvalidSettingError(ValueError):
    """A setting is wrong: `setting` names it, the message says why and what to write instead.

    okrkit reports it as an invalid setting of the key result, before any call.
    """

    def __init__(self, setting: str, message: str) -> None:
        self.setting = setting
        super().__init__(message)


def _video_id_in(text: str) -> str | None:
    """The video id in a YouTube address (watch?v=, youtu.be/, /shorts/, /live/), if any."""
    parts = urlsplit(text.strip())
    if not parts.netloc:
        return None
    found = parse_qs(parts.query).get("v", [])
    candidates = [*found, *reversed(parts.path.strip("/").split("/"))]
    return next((item for item in candidates if _VIDEO_ID.fullmatch(item)), None)


def _check_videos(_instance: Any, attribute: attrs.Attribute[Any], value: Any) -> None:
    if value is None:
        return
    if not value:
        raise InvalidSettingError(attribute.name, "list at least one video id")
    if len(value) > 1 and all(len(item) == 1 for item in value):
        # one id written without brackets arrives here split into its characters
        raise InvalidSettingError(
            attribute.name,
            f"write the videos as a list, even of one: videos: [{''.join(value)}]",
        )
    if len(value) > _MAX_VIDEOS:
        raise InvalidSettingError(
            attribute.name,
            f"{len(value):,} videos is more than the {_MAX_VIDEOS:,} one key result may list; "
            "use a playlist instead",
        )
    seen: set[str] = set()
    for position, video in enumerate(value):
        where = f"videos[{position}]"
        if not _VIDEO_ID.fullmatch(video):
            inside = _video_id_in(video)
            hint = (
                f"; write the id alone: {inside}"
                if inside
                else " (the part after watch?v= in the video's address)"
            )
            raise InvalidSettingError(
                where,
                f"{video!r} is not a YouTube video id: an id is 11 letters, digits, - or _{hint}",
            )
        if video in seen:
            raise InvalidSettingError(
                where, f"the video {video} is listed twice; its statistics would count twice"
            )
        seen.add(video)


def _check_channel(_instance: Any, attribute: attrs.Attribute[Any], value: str | None) -> None:
    if value is None or _CHANNEL_ID.fullmatch(value):
        return
    text = value.strip()
    if text.startswith("@"):
        hint = f"; {text} is a handle: write handle: {text!r} instead"
    elif "/" in text:
        tail = text.rstrip("/").rsplit("/", 1)[-1]
        hint = (
            f"; write the id alone: {tail}"
            if _CHANNEL_ID.fullmatch(tail)
            else f"; for an address with a handle, write handle: '@{tail.lstrip('@')}'"
            if tail
            else ""
        )
    else:
        hint = " (YouTube Studio > Settings > Channel > Advanced settings shows it)"
    raise InvalidSettingError(
        attribute.name,
        f"{value!r} is not a channel id: a channel id is UC followed by 22 letters, digits, "
        f"- or _{hint}",
    )


def _normal_handle(value: str | None) -> str | None:
    if value is None:
        return None
    text = value.strip()
    return text if text.startswith("@") else f"@{text}"


def _check_handle(_instance: Any, attribute: attrs.Attribute[Any], value: str | None) -> None:
    if value is None or _HANDLE.fullmatch(value):
        return
    raise InvalidSettingError(
        attribute.name,
        f"{value!r} is not a YouTube handle: a handle is @ followed by 3 to 30 letters, "
        "digits, _, - or . (as in @acme)",
    )


def _check_playlist(_instance: Any, attribute: attrs.Attribute[Any], value: str | None) -> None:
    if value is None:
        return
    if _CHANNEL_ID.fullmatch(value):
        raise InvalidSettingError(
            attribute.name,
            f"{value} is a channel id, not a playlist id: the channel's uploads playlist is "
            f"UU{value[2:]} (or use channel: {value} for the channel's own statistics)",
        )
    if not _PLAYLIST_ID.fullmatch(value):
        found = parse_qs(urlsplit(value.strip()).query).get("list", [])
        hint = (
            f"; write the id alone: {found[0]}"
            if found
            else " (the part after list= in its address)"
        )
        raise InvalidSettingError(
            attribute.name,
            f"{value!r} is not a playlist id: an id is letters, digits, - and _ only{hint}",
        )


def _check_api_key(_instance: Any, attribute: attrs.Attribute[Any], value: str) -> None:
    # never show the value: it is a secret
    if not value.strip():
        raise InvalidSettingError(
            attribute.name, "the API key is empty: write api_key: ${YOUTUBE_API_KEY}"
        )
    if any(character.isspace() for character in value):
        raise InvalidSettingError(
            attribute.name, "the API key holds spaces or line breaks: copy it again, alone"
        )


def _check_endpoint(_instance: Any, attribute: attrs.Attribute[Any], value: str | None) -> None:
    if value is None:
        return
    parts = urlsplit(value.strip())
    if parts.scheme.lower() not in ("http", "https") or not parts.netloc:
        raise InvalidSettingError(
            attribute.name,
            f"{value!r} is not an address: write the API's root, as in http://127.0.0.1:8080",
        )
    if parts.path not in ("", "/") or parts.query or parts.fragment:
        raise InvalidSettingError(
            attribute.name,
            f"write only the root of the API server ({parts.scheme}://{parts.netloc}); the "
            "connector adds /youtube/v3/... itself",
        )


@attrs.frozen(kw_only=True)
class YouTubeSettings:
    """What a ``youtube`` key result measures: exactly one of videos, channel, handle, playlist."""

    videos: list[str] | None = attrs.field(
        default=None,
        validator=_check_videos,
        metadata={"help": "Video ids (11 characters each); the statistic is summed over them."},
    )
    channel: str | None = attrs.field(
        default=None,
        validator=_check_channel,
        metadata={"help": "A channel id (UC...); for subscribers, views or videos."},
    )
    handle: str | None = attrs.field(
        default=None,
        converter=_normal_handle,
        validator=_check_handle,
        metadata={"help": "A channel's handle, as in @acme; for subscribers, views or videos."},
    )
    playlist: str | None = attrs.field(
        default=None,
        validator=_check_playlist,
        metadata={
            "help": "A playlist id (PL..., or UU... for a channel's uploads); the statistic "
            "is summed over its videos."
        },
    )
    statistic: Literal["views", "likes", "comments", "subscribers", "videos"] = attrs.field(
        default="views",
        metadata={
            "help": "videos and playlist: views, likes or comments; channel and handle: "
            "subscribers, views or videos."
        },
    )
    api_key: str = attrs.field(
        repr=False,
        validator=_check_api_key,
        metadata={"help": "A YouTube Data API key, as ${YOUTUBE_API_KEY}."},
    )
    endpoint: str | None = attrs.field(
        default=None,
        validator=_check_endpoint,
        metadata={"help": "Another API server's root, for tests (default: Google's)."},
    )

    def __attrs_post_init__(self) -> None:
        given = [name for name in _TARGETS if getattr(self, name) is not None]
        if not given:
            raise InvalidSettingError(
                "videos",
                "say what to measure: videos: [id, ...], channel: UC..., handle: '@name' or "
                "playlist: PL...",
            )
        if len(given) > 1:
            raise InvalidSettingError(
                given[1],
                f"give one of videos, channel, handle or playlist, not {' and '.join(given)}: "
                "use one key result for each",
            )
        target = given[0]
        allowed = CHANNEL_STATISTICS if target in ("channel", "handle") else VIDEO_STATISTICS
        if self.statistic not in allowed:
            raise InvalidSettingError(
                "statistic",
                f"{self.statistic!r} is not a statistic of {_described(target)}: use "
                f"{', '.join(allowed)}",
            )

    @property
    def target(self) -> Literal["videos", "channel", "handle", "playlist"]:
        """Which of videos, channel, handle or playlist the key result measures."""
        if self.videos is not None:
            return "videos"
        if self.channel is not None:
            return "channel"
        if self.handle is not None:
            return "handle"
        return "playlist"

    @property
    def field(self) -> str:
        """The API's name of the statistic: viewCount, likeCount, subscriberCount..."""
        if self.target in ("channel", "handle"):
            return CHANNEL_STATISTICS[self.statistic]
        return VIDEO_STATISTICS[self.statistic]


def _described(target: str) -> str:
    return {
        "videos": "videos",
        "playlist": "a playlist's videos",
        "channel": "a channel",
        "handle": "a channel",
    }[target]
