"""Organic social media mentions for okrkit: the ``mastodon``, ``x`` and ``bluesky`` connectors.

Each counts the posts that mention something (a hashtag, a search query) over a key result's
window (``window: 7d``), through the run's ``context.http`` so timeouts, rate limits and
redaction work as for every HTTP source. Credentials come from the environment as ``${VAR}``
settings.
"""

from okrkit_social.bluesky import BlueskyConnector, BlueskySettings
from okrkit_social.mastodon import MastodonConnector, MastodonSettings
from okrkit_social.x import XConnector, XSettings

__all__ = [
    "BlueskyConnector",
    "BlueskySettings",
    "MastodonConnector",
    "MastodonSettings",
    "XConnector",
    "XSettings",
]
