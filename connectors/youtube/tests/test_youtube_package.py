"""The okrkit-youtube distribution: its entry point, public names, light import and docs."""

import re
import subprocess
import sys
from importlib.metadata import entry_points
from pathlib import Path

from okrkit.connectors import Registry

import okrkit_youtube
from okrkit_youtube import YouTubeConnector

ROOT = Path(__file__).resolve().parents[3]


def test_the_entry_point_is_named_like_the_connector():
    (point,) = [p for p in entry_points(group="okrkit.connectors") if p.name == "youtube"]
    assert point.value == "okrkit_youtube:YouTubeConnector"
    assert point.dist is not None
    assert point.dist.metadata["Name"] == "okrkit-youtube"
    assert Registry().get("youtube") is YouTubeConnector
    assert YouTubeConnector.batch is True
    assert YouTubeConnector.windowed is False


def test_the_public_names_are_sorted_and_exist():
    def kind(name):  # ruff's order: CONSTANTS, then Classes, then functions
        return (0 if name.isupper() else 1 if name[0].isupper() else 2, name)

    assert okrkit_youtube.__all__ == sorted(okrkit_youtube.__all__, key=kind)
    for name in okrkit_youtube.__all__:
        assert hasattr(okrkit_youtube, name), name
    assert okrkit_youtube.__version__ == "0.1.0.dev0"


def test_importing_the_package_leaves_the_google_client_unloaded():
    code = (
        "import sys, okrkit_youtube; "
        "print(sorted(m for m in sys.modules if m.split('.')[0] in "
        "('googleapiclient', 'httplib2', 'google')))"
    )
    out = subprocess.run(  # noqa: S603  # this Python, with code the test wrote
        [sys.executable, "-c", code], capture_output=True, text=True, check=True
    ).stdout
    assert out.strip() == "[]"


def test_the_docs_page_has_the_connectors_section_and_only_allowed_blocks():
    text = (ROOT / "docs" / "connectors" / "youtube.md").read_text(encoding="utf-8")
    assert re.search(r"^## youtube$", text, re.MULTILINE)
    fences = re.findall(r"^```(\w*)$", text, re.MULTILINE)
    assert set(fences[0::2]) <= {"yaml", "text", "console"}
    for setting in ("videos", "channel", "handle", "playlist", "statistic", "api_key", "endpoint"):
        assert f"| `{setting}` |" in text, setting
