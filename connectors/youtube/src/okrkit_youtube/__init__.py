"""okrkit-youtube: the ``youtube`` connector, YouTube Data API statistics as key-result values.

```yaml
source: {connector: youtube, videos: [dQw4w9WgXcQ], statistic: views, api_key: "${YOUTUBE_API_KEY}"}
```

Videos, a playlist's videos, a channel (by id or handle): their statistics, fetched 50 ids per
call across all the key results of a refresh. See ``docs/connectors/youtube.md``.
"""

from importlib.metadata import PackageNotFoundError, version

from okrkit_youtube._client import UNIT, HttpFactory, HttpTransport
from okrkit_youtube._connector import YouTubeConnector
from okrkit_youtube._settings import (
    CHANNEL_STATISTICS,
    VIDEO_STATISTICS,
    InvalidSettingError,
    YouTubeSettings,
)

try:
    __version__ = version("okrkit-youtube")
except PackageNotFoundError:  # pragma: no cover  # running from a source tree
    __version__ = "0.0.0"

__all__ = [
    "CHANNEL_STATISTICS",
    "UNIT",
    "VIDEO_STATISTICS",
    "HttpFactory",
    "HttpTransport",
    "InvalidSettingError",
    "YouTubeConnector",
    "YouTubeSettings",
    "__version__",
]
