"""The social connectors' docs page: its OKR examples load and plan without settings errors."""

import datetime as dt
import re
from pathlib import Path

import okrkit
from okrkit.connectors import Registry

from okrkit_social import BlueskyConnector, MastodonConnector, XConnector

PAGE = Path(__file__).parents[3] / "docs" / "connectors" / "social.md"
YAML = re.compile(r"^```yaml\n(.*?)^```$", re.MULTILINE | re.DOTALL)
ENVIRON = {"MASTODON_TOKEN": "m-token", "X_BEARER_TOKEN": "x-token", "BLUESKY_APP_PASSWORD": "pw"}


def test_the_page_has_a_section_for_each_connector():
    text = PAGE.read_text(encoding="utf-8")
    for name in ("mastodon", "x", "bluesky"):
        assert re.search(rf"^## {name}$", text, re.MULTILINE), name
    assert "```python" not in text


def test_every_okr_example_of_the_page_plans_without_a_settings_error(tmp_path):
    blocks = YAML.findall(PAGE.read_text(encoding="utf-8"))
    assert len(blocks) == 4
    registry = Registry(entry_points=None, extra=[MastodonConnector, XConnector, BlueskyConnector])
    at = dt.datetime(2026, 8, 15, 9, tzinfo=dt.UTC)
    planned = []
    for block in blocks:
        plan = okrkit.loads(block, path=str(tmp_path / "okrs.yaml"))
        result = okrkit.refresh(plan, None, registry=registry, environ=ENVIRON, at=at, dry_run=True)
        for outcome in result.outcomes:
            assert outcome.status == "planned", (outcome.key_result, outcome.error)
            planned.append(outcome.key_result)
    assert planned == [
        "mentions",
        "mastodon-mentions",
        "fosstodon-mentions",
        "x-mentions",
        "bluesky-mentions",
    ]
