"""The youtube connector's settings: validated before any call, each error naming its setting."""

import datetime as dt
import json

import okrkit
import pytest
from okrkit.connectors import Registry
from okrkit.connectors._base import settings_of

from okrkit_youtube import InvalidSettingError, YouTubeConnector, YouTubeSettings
from youtube_mock import RecordingHttp, error, ok

AT = dt.datetime(2026, 8, 15, tzinfo=dt.UTC)
SECRET = "AIzaSy-very-secret-key-42"
A, B = "dQw4w9WgXcQ", "9bZkp7q19f0"


def plan_with(*sources):
    """A plan with one key result per source (written as YAML flow mappings)."""
    lines = [
        "cycle: 2026-Q3",
        "objectives:",
        "  - id: launch",
        "    title: Launch the widget to a crowd",
        "    key_results:",
    ]
    for number, source in enumerate(sources):
        lines += [
            f"      - id: kr{number}",
            f"        title: YouTube views over {number + 1}00k",
            f"        source: {source}",
        ]
    return okrkit.loads("\n".join(lines) + "\n", path="okrs.yaml")


def refresh(plan, *answers):
    http = RecordingHttp(list(answers))
    registry = Registry(entry_points=None, extra=[YouTubeConnector.using(lambda _: http)])
    result = okrkit.refresh(
        plan,
        None,
        registry=registry,
        environ={"YOUTUBE_API_KEY": SECRET},
        at=AT,
        sleep=lambda _: None,
    )
    return result, http


KEY = 'api_key: "${YOUTUBE_API_KEY}"'


@pytest.mark.parametrize(
    ("source", "setting", "message"),
    [
        (
            f"{{connector: youtube, videos: [VIDEO_ID_1], {KEY}}}",
            "videos[0]",
            (
                "'VIDEO_ID_1' is not a YouTube video id: an id is 11 letters, digits, - or _ "
                "(the part after watch?v= in the video's address)"
            ),
        ),
        (
            f'{{connector: youtube, videos: ["https://www.youtube.com/watch?v={A}&t=3"], {KEY}}}',
            "videos[0]",
            f"write the id alone: {A}",
        ),
        (
            f'{{connector: youtube, videos: ["https://youtu.be/{A}"], {KEY}}}',
            "videos[0]",
            f"write the id alone: {A}",
        ),
        (
            f"{{connector: youtube, videos: [{A}, {A}], {KEY}}}",
            "videos[1]",
            f"the video {A} is listed twice",
        ),
        (f"{{connector: youtube, videos: [], {KEY}}}", "videos", "list at least one video id"),
        (
            f"{{connector: youtube, videos: {A}, {KEY}}}",
            "videos",
            f"write the videos as a list, even of one: videos: [{A}]",
        ),
        (f"{{connector: youtube, {KEY}}}", "videos", "say what to measure"),
        (
            f"{{connector: youtube, videos: [{A}], channel: UC_x5XG1OV2P6uZZ5FSM9Ttw, {KEY}}}",
            "channel",
            "give one of videos, channel, handle or playlist, not videos and channel",
        ),
        (
            f"{{connector: youtube, videos: [{A}], statistic: subscribers, {KEY}}}",
            "statistic",
            "'subscribers' is not a statistic of videos: use views, likes, comments",
        ),
        (
            f"{{connector: youtube, handle: '@acme', statistic: likes, {KEY}}}",
            "statistic",
            "'likes' is not a statistic of a channel: use subscribers, views, videos",
        ),
        (
            f"{{connector: youtube, videos: [{A}], statistic: plays, {KEY}}}",
            "statistic",
            "'plays' is not one of: views, likes, comments, subscribers, videos",
        ),
        (
            f"{{connector: youtube, channel: '@acme', {KEY}}}",
            "channel",
            "@acme is a handle: write handle: '@acme' instead",
        ),
        (
            f"{{connector: youtube, channel: UC123, {KEY}}}",
            "channel",
            "'UC123' is not a channel id: a channel id is UC followed by 22 letters",
        ),
        (
            f"{{connector: youtube, handle: '@a b', {KEY}}}",
            "handle",
            "'@a b' is not a YouTube handle",
        ),
        (
            f"{{connector: youtube, playlist: UC_x5XG1OV2P6uZZ5FSM9Ttw, {KEY}}}",
            "playlist",
            (
                "is a channel id, not a playlist id: the channel's uploads playlist is "
                "UU_x5XG1OV2P6uZZ5FSM9Ttw"
            ),
        ),
        (
            f'{{connector: youtube, playlist: "https://youtube.com/playlist?list=PLabc1", {KEY}}}',
            "playlist",
            "write the id alone: PLabc1",
        ),
        (
            f"{{connector: youtube, videos: [{A}], {KEY}, endpoint: 127.0.0.1:8080}}",
            "endpoint",
            "'127.0.0.1:8080' is not an address",
        ),
        (
            f"{{connector: youtube, videos: [{A}], {KEY}, endpoint: 'http://x.test/youtube/v3'}}",
            "endpoint",
            "write only the root of the API server (http://x.test)",
        ),
        (
            f"{{connector: youtube, videos: [{A}], api_kee: x}}",
            None,  # okrkit names an unknown setting in the message only
            (
                "unknown setting api_kee (did you mean 'api_key'?); it takes videos, channel, "
                "handle, playlist, statistic, api_key, endpoint"
            ),
        ),
        (f"{{connector: youtube, videos: [{A}]}}", "api_key", "this setting is required"),
        (
            f"{{connector: youtube, videos: [{A}], {KEY}, window: 7d}}",
            "window",
            "connector 'youtube' cannot count over a window",
        ),
    ],
)
def test_bad_settings_are_invalid_naming_the_key_result_and_the_setting(source, setting, message):
    result, http = refresh(
        plan_with(f"{{connector: youtube, videos: [{B}], {KEY}}}", source),
        ok({"items": [{"id": B, "statistics": {"viewCount": "8"}}]}),
    )

    assert http.sent[0].ids == [B]  # the good key result is still measured
    assert [outcome.status for outcome in result.outcomes] == ["measured", "invalid"]
    assert result.exit_code() == 2
    error_text = result.outcomes[1].error
    if setting is not None:
        assert error_text.startswith(f"setting {setting!r}: "), error_text
    assert message in error_text
    assert SECRET not in json.dumps(result.to_dict())


def test_the_api_key_is_never_shown_in_settings_errors():
    with pytest.raises(InvalidSettingError) as caught:
        YouTubeSettings(videos=[A], api_key=f"{SECRET} \n")
    assert caught.value.setting == "api_key"
    assert SECRET not in str(caught.value)
    assert SECRET not in repr(YouTubeSettings(videos=[A], api_key=SECRET))


def test_a_handle_gets_its_at_sign():
    assert YouTubeSettings(handle="acme", api_key="k").handle == "@acme"
    assert YouTubeSettings(handle=" @Acme.TV ", api_key="k").handle == "@Acme.TV"


def test_the_statistic_defaults_to_views_and_names_its_api_field():
    assert YouTubeSettings(videos=[A], api_key="k").field == "viewCount"
    assert YouTubeSettings(handle="@acme", statistic="subscribers", api_key="k").field == (
        "subscriberCount"
    )
    assert YouTubeSettings(playlist="PLx1", statistic="comments", api_key="k").field == (
        "commentCount"
    )


def test_okrkit_connectors_lists_every_setting_with_help():
    described = settings_of(YouTubeConnector)
    assert [setting["name"] for setting in described] == [
        "videos",
        "channel",
        "handle",
        "playlist",
        "statistic",
        "api_key",
        "endpoint",
    ]
    assert all(setting["help"] for setting in described)
    assert [setting["name"] for setting in described if setting["required"]] == ["api_key"]


def test_a_refresh_reports_units_and_never_the_key():
    plan = plan_with(
        f"{{connector: youtube, videos: [{A}, {B}], statistic: views, {KEY}}}",
        f"{{connector: youtube, handle: '@acme', statistic: subscribers, {KEY}}}",
    )
    result, http = refresh(
        plan,
        ok(
            {
                "items": [
                    {"id": A, "statistics": {"viewCount": "10"}},
                    {"id": B, "statistics": {"viewCount": "5"}},
                ]
            }
        ),
        error(
            403,
            "quotaExceeded",
            "The request cannot be completed because you have exceeded your quota.",
        ),
    )
    assert [sent.path for sent in http.sent] == ["/youtube/v3/videos", "/youtube/v3/channels"]
    assert all(sent.query["key"] == SECRET for sent in http.sent)
    data = result.to_dict()
    assert data["costs"] == {"youtube.units": 2}
    assert [(row["status"], row["value"]) for row in data["results"]] == [
        ("measured", 15.0),
        ("failed", None),
    ]
    assert data["results"][1]["error"].endswith("YouTube Data API v3 > Quotas) [terminal]")
    assert "resets at midnight Pacific time" in data["results"][1]["error"]
    assert SECRET not in json.dumps(data)


def test_a_transient_failure_is_retried_by_the_refresh():
    plan = plan_with(f"{{connector: youtube, videos: [{A}], {KEY}}}")
    result, http = refresh(
        plan,
        error(503, "backendError", "Backend Error", domain="global"),
        ok({"items": [{"id": A, "statistics": {"viewCount": "77"}}]}),
    )
    assert [sent.ids for sent in http.sent] == [[A], [A]]
    assert result.outcomes[0].status == "measured"
    assert result.outcomes[0].value == 77
    assert result.outcomes[0].attempts == 2
