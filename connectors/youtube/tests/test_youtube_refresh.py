"""End to end: the installed youtube connector, through okrkit.refresh, against a real HTTP
server on 127.0.0.1 that answers like the YouTube Data API."""

import datetime as dt
import json
import re
import shutil
from pathlib import Path

import okrkit
from okrkit.connectors import Registry
from okrkit.runner import Retry

from okrkit_youtube import YouTubeConnector

EXAMPLE = Path(__file__).resolve().parents[3] / "examples" / "product-launch"
AT = dt.datetime(2026, 8, 15, tzinfo=dt.UTC)
KEY = "test-key"
VIDEO_ID = re.compile(r"[A-Za-z0-9_-]{11}")
STAND_INS = ["dQw4w9WgXcQ", "9bZkp7q19f0"]


def example_pointed_at(folder: Path, url: str) -> list[str]:
    """Copy the product-launch example to `folder`, its youtube source pointed at `url`.

    Returns the video ids of the youtube key result; placeholders that are not real video ids
    (the example's VIDEO_ID_1) are replaced by well-formed ones.
    """
    shutil.copytree(EXAMPLE, folder, ignore=shutil.ignore_patterns("*.okrkit.db*"))
    path = folder / "okrs.yaml"
    lines = path.read_text(encoding="utf-8").splitlines(keepends=True)
    (index,) = [n for n, line in enumerate(lines) if "connector: youtube" in line]
    line = lines[index]
    listed = re.search(r"videos: \[([^\]]*)\]", line)
    assert listed is not None, line
    videos = [item.strip().strip("'\"") for item in listed[1].split(",")]
    stand_ins = iter(STAND_INS)
    videos = [video if VIDEO_ID.fullmatch(video) else next(stand_ins) for video in videos]
    line = line.replace(listed[0], f"videos: [{', '.join(videos)}]")
    body, _, rest = line.rpartition("}")
    lines[index] = f'{body}, endpoint: "{url}"}}{rest}'
    path.write_text("".join(lines), encoding="utf-8")
    return videos


def test_the_example_is_refreshed_through_the_installed_connector(tmp_path, fake_youtube):
    api = fake_youtube(keys={KEY})
    folder = tmp_path / "product-launch"
    videos = example_pointed_at(folder, api.url)
    for number, video in enumerate(videos):
        api.videos[video] = {"viewCount": str(40000 + number * 2500), "likeCount": "900"}
    plan = okrkit.load(folder / "okrs.yaml")
    registry = Registry()
    assert registry.get("youtube") is YouTubeConnector  # found through its entry point

    with okrkit.open_store(tmp_path / "s.db") as store:
        result = okrkit.refresh(
            plan, store, registry=registry, environ={"YOUTUBE_API_KEY": KEY}, at=AT
        )
        history = store.history(result.plan, "youtube-views")

    outcomes = {outcome.key_result: outcome for outcome in result.outcomes}
    expected = float(sum(40000 + number * 2500 for number in range(len(videos))))
    assert outcomes["youtube-views"].status == "measured", outcomes["youtube-views"].error
    assert outcomes["youtube-views"].value == expected
    assert outcomes["youtube-views"].connector == "youtube"
    assert outcomes["mentions"].status == "measured"
    assert outcomes["signups"].status == "measured"
    assert result.exit_code() == 0
    assert result.costs == {"youtube.units": 1}
    assert [record.value for record in history] == [expected]
    assert json.loads(history[0].raw)["parts"][0]["counts"] == {
        video: 40000 + number * 2500 for number, video in enumerate(videos)
    }

    (call,) = api.calls("videos")  # one videos.list call for both videos
    assert call.method == "GET"
    assert call.ids == videos
    assert call.get("part") == "statistics"
    assert call.get("key") == KEY
    assert call.get("maxResults") == "50"
    assert len(api.requests) == 1
    assert KEY not in json.dumps(result.to_dict())


def refresh_one(api, source, **kwargs):
    plan = okrkit.loads(
        "cycle: 2026-Q3\nobjectives:\n  - id: buzz\n    title: Stir up a buzz around the launch\n"
        "    key_results:\n      - id: views\n        title: YouTube views over 100k\n"
        f"        source: {{connector: youtube, {source}, api_key: '${{YOUTUBE_API_KEY}}', "
        f"endpoint: '{api.url}'}}\n",
        path="okrs.yaml",
    )
    return okrkit.refresh(
        plan,
        None,
        registry=Registry(),
        environ={"YOUTUBE_API_KEY": KEY},
        at=AT,
        sleep=lambda _: None,
        **kwargs,
    )


def test_a_playlist_channel_and_handle_against_the_server(fake_youtube):
    channel = "UC_x5XG1OV2P6uZZ5FSM9Ttw"
    api = fake_youtube(
        keys={KEY},
        videos={"dQw4w9WgXcQ": {"viewCount": "10"}, "9bZkp7q19f0": {"viewCount": "32"}},
        playlists={"UU_x5XG1OV2P6uZZ5FSM9Ttw": ["dQw4w9WgXcQ", "9bZkp7q19f0"]},
        channels={channel: {"subscriberCount": "1200", "viewCount": "42", "videoCount": "2"}},
        handles={"@acme": channel},
        page_size=1,  # one video a page: the playlist takes two pages
    )
    playlist = refresh_one(api, "playlist: UU_x5XG1OV2P6uZZ5FSM9Ttw")
    by_id = refresh_one(api, f"channel: {channel}, statistic: subscribers")
    by_handle = refresh_one(api, "handle: '@acme', statistic: videos")

    assert [r.outcomes[0].value for r in (playlist, by_id, by_handle)] == [42, 1200, 2]
    pages = api.calls("playlistItems")
    assert [page.get("pageToken") for page in pages] == [None, "1"]
    assert api.calls("videos")[0].ids == ["dQw4w9WgXcQ", "9bZkp7q19f0"]
    assert [call.get("forHandle") for call in api.calls("channels")] == [None, "@acme"]
    assert playlist.costs == {"youtube.units": 3}


def test_a_refused_key_fails_with_a_credentials_message(fake_youtube):
    api = fake_youtube(keys={"another-key"})
    result = refresh_one(api, "videos: [dQw4w9WgXcQ]")
    error = result.outcomes[0].error
    assert result.outcomes[0].status == "failed"
    assert error.startswith("YouTube videos.list answered HTTP 400 (badRequest, API_KEY_INVALID)")
    assert error.endswith("[terminal]")
    assert result.outcomes[0].attempts == 1  # not retried


def test_a_server_that_is_too_slow_times_out_as_transient(fake_youtube):
    api = fake_youtube(keys={KEY}, videos={"dQw4w9WgXcQ": {"viewCount": "1"}}, delay=1.0)
    result = refresh_one(api, "videos: [dQw4w9WgXcQ]", timeout=0.2, retry=Retry(attempts=2))
    assert result.outcomes[0].status == "failed"
    assert (
        result.outcomes[0].error
        == "YouTube videos.list timed out (timed out); it is tried again [transient]"
    )
    assert result.outcomes[0].attempts == 2


def test_a_rate_limit_with_retry_after_is_waited_for(fake_youtube):
    api = fake_youtube(keys={KEY}, videos={"dQw4w9WgXcQ": {"viewCount": "5"}})
    api.fail("videos", 429, "rateLimitExceeded", "Too many requests", headers={"Retry-After": "7"})
    waits = []
    plan_result = okrkit.refresh(
        okrkit.loads(
            "cycle: 2026-Q3\nobjectives:\n  - id: buzz\n    title: Stir up a buzz around it\n"
            "    key_results:\n      - id: views\n        title: YouTube views over 100k\n"
            "        source: {connector: youtube, videos: [dQw4w9WgXcQ], "
            f"api_key: '${{YOUTUBE_API_KEY}}', endpoint: '{api.url}'}}\n",
            path="okrs.yaml",
        ),
        None,
        registry=Registry(),
        environ={"YOUTUBE_API_KEY": KEY},
        at=AT,
        sleep=waits.append,
    )
    assert waits == [7.0]
    assert plan_result.outcomes[0].value == 5
    assert len(api.calls("videos")) == 2
    assert plan_result.costs == {"youtube.units": 2}
