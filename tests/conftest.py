import sys
from pathlib import Path

import pytest

sys.path.insert(0, str(Path(__file__).parent))

from fakeapi import FakeApi


@pytest.fixture
def fake_api():
    """A real HTTP server on 127.0.0.1 answering from scripted responses."""
    api = FakeApi()
    yield api
    api.close()
