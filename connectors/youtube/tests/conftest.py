"""Shared helpers of the okrkit-youtube tests: a recording HTTP double and the fake API server."""

import sys
from pathlib import Path

import pytest

sys.path.insert(0, str(Path(__file__).parent))

from youtube_fake import FakeYouTube


@pytest.fixture
def fake_youtube():
    """Start a `FakeYouTube` server with the given data; every one started is closed."""
    started: list[FakeYouTube] = []

    def start(**kwargs):
        api = FakeYouTube(**kwargs)
        started.append(api)
        return api

    yield start
    for api in started:
        api.close()
