"""The youtube connector's requests, batching and error mapping, against an HTTP double."""

import datetime as dt
import logging
import ssl

import pytest
from okrkit.connectors import (
    Context,
    CredentialsError,
    Query,
    QuotaError,
    Reading,
    TerminalError,
    TransientError,
    Window,
)

from okrkit_youtube import YouTubeConnector, YouTubeSettings
from youtube_mock import RecordingHttp, error, ok

KEY = "AIzaSy-test-key-0123456789"
AT = dt.datetime(2026, 8, 15, tzinfo=dt.UTC)
VIDEOS = "/youtube/v3/videos"
CHANNELS = "/youtube/v3/channels"
ITEMS = "/youtube/v3/playlistItems"
A, B, C = "dQw4w9WgXcQ", "9bZkp7q19f0", "kJQP7kiw5Fk"
CHANNEL = "UC_x5XG1OV2P6uZZ5FSM9Ttw"


def query(key_result="views", purpose="value", **settings):
    settings.setdefault("api_key", KEY)
    return Query(
        key_result, YouTubeSettings(**settings), Window(None, AT), AT, "plan", purpose=purpose
    )


class Sequential(YouTubeConnector):
    """The connector making its calls one after another: for a double that answers in order."""

    parallel_calls = 1


def run(queries, *answers, timeout=10.0, sequential=False):
    """Fetch `queries` through one recording double; the results, the double and the context.

    The double answers in the order it is asked: a test whose stage makes more than one call
    passes ``sequential=True`` (`Sequential`): its calls are made in order, in one thread.
    """
    http = RecordingHttp(list(answers))
    made = []

    def factory(seconds):
        made.append(seconds)
        return http

    context = Context(timeout=timeout)
    connector = Sequential if sequential else YouTubeConnector
    results = connector(http_factory=factory).fetch(queries, context)
    assert made == [timeout]  # one transport per API key, with the run's timeout
    assert http.unanswered == 0, "an expected call was not made"
    assert http.closed
    return results, http, context


def items(counts, field="viewCount"):
    return [
        {"kind": "youtube#video", "etag": "e", "id": video, "statistics": {field: str(n)}}
        for video, n in counts.items()
    ]


def videos_answer(counts, field="viewCount"):
    return ok(
        {
            "kind": "youtube#videoListResponse",
            "etag": "e",
            "items": items(counts, field),
            "pageInfo": {"totalResults": len(counts), "resultsPerPage": len(counts)},
        }
    )


def channels_answer(channel, statistics):
    return ok(
        {
            "kind": "youtube#channelListResponse",
            "etag": "e",
            "pageInfo": {"totalResults": 1, "resultsPerPage": 5},
            "items": [
                {"kind": "youtube#channel", "etag": "e", "id": channel, "statistics": statistics}
            ],
        }
    )


def playlist_page(videos, next_token=None):
    body = {
        "kind": "youtube#playlistItemListResponse",
        "etag": "e",
        "items": [
            {
                "kind": "youtube#playlistItem",
                "id": f"item-{video}",
                "contentDetails": {"videoId": video, "videoPublishedAt": "2026-07-01T00:00:00Z"},
            }
            for video in videos
        ],
        "pageInfo": {"totalResults": 3, "resultsPerPage": 50},
    }
    if next_token:
        body["nextPageToken"] = next_token
    return ok(body)


def ids(count, start=0):
    return [f"v{number:010d}" for number in range(start, start + count)]


# -- requests ----------------------------------------------------------------------------


def test_one_video_sends_one_videos_list_call_with_the_key():
    results, http, context = run([query(videos=[A])], videos_answer({A: 123}))

    assert len(http.sent) == 1
    sent = http.sent[0]
    assert sent.method == "GET"
    assert sent.uri.startswith("https://youtube.googleapis.com/youtube/v3/videos?")
    assert sent.query == {
        "part": "statistics",
        "id": A,
        "maxResults": "50",
        "key": KEY,
        "alt": "json",
    }
    assert sent.headers["accept"] == "application/json"
    assert results == [
        Reading(123.0, raw={"statistic": "viewCount", "videos": 1, "counts": {A: 123}})
    ]
    assert context.costs == {"youtube.units": 1}


def test_120_videos_over_three_key_results_make_three_calls_of_50_50_and_20_ids():
    first, second, third = ids(40), ids(40, 40), ids(40, 80)
    queries = [
        query("a", videos=first),
        query("b", videos=second),
        query("c", videos=third),
        query("again", videos=first[:5] + third[-5:]),  # asked for already: no more calls
    ]
    counts = {video: number for number, video in enumerate(ids(120))}
    chunks = [ids(50), ids(50, 50), ids(20, 100)]

    results, http, context = run(
        queries,
        *(videos_answer({video: counts[video] for video in chunk}) for chunk in chunks),
        sequential=True,
    )

    assert [sent.path for sent in http.sent] == [VIDEOS] * 3
    assert [sent.ids for sent in http.sent] == chunks
    assert all(sent.query["maxResults"] == "50" for sent in http.sent)
    assert [result.value for result in results] == [
        sum(range(40)),
        sum(range(40, 80)),
        sum(range(80, 120)),
        sum(range(5)) + sum(range(115, 120)),
    ]
    assert context.costs == {"youtube.units": 3}


def test_videos_are_summed_and_likes_and_comments_read_their_own_fields():
    likes, _, _ = run(
        [query(videos=[A, B], statistic="likes")], videos_answer({A: 7, B: 5}, "likeCount")
    )
    comments, _, _ = run(
        [query(videos=[A], statistic="comments")], videos_answer({A: 2}, "commentCount")
    )
    assert likes[0].value == 12
    assert likes[0].raw["statistic"] == "likeCount"
    assert comments[0].value == 2


def test_a_playlist_of_two_pages_is_listed_then_its_videos_asked_for_in_one_call():
    results, http, context = run(
        [query(playlist="PLtestplaylist0001")],
        playlist_page([A, B], next_token="CAIQAA"),
        playlist_page([C]),
        videos_answer({A: 10, B: 20, C: 30}),
    )

    assert [sent.path for sent in http.sent] == [ITEMS, ITEMS, VIDEOS]
    assert http.sent[0].query == {
        "part": "contentDetails",
        "playlistId": "PLtestplaylist0001",
        "maxResults": "50",
        "key": KEY,
        "alt": "json",
    }
    assert http.sent[1].query["pageToken"] == "CAIQAA"
    assert "pageToken" not in http.sent[0].query
    assert http.sent[2].ids == [A, B, C]
    assert results[0].value == 60
    assert results[0].raw["playlist"] == "PLtestplaylist0001"
    assert results[0].note is None
    assert context.costs == {"youtube.units": 3}


def test_a_playlists_videos_share_the_videos_list_calls_with_listed_videos():
    results, http, _ = run(
        [query("listed", videos=[A, B]), query("playlist", playlist="UUx5XG1OV2P6uZZ5FSM9Ttw")],
        playlist_page([B, C]),
        videos_answer({A: 1, B: 2, C: 4}),
    )
    assert [sent.path for sent in http.sent] == [ITEMS, VIDEOS]
    assert http.sent[1].ids == [A, B, C]
    assert [result.value for result in results] == [3, 6]


def test_a_playlists_deleted_videos_are_left_out_with_a_note():
    results, _, _ = run(
        [query(playlist="PLtestplaylist0001")],
        playlist_page([A, B]),
        videos_answer({A: 10}),
    )
    assert results[0].value == 10
    assert results[0].raw["missing"] == [B]
    assert results[0].note == (
        f"left out video {B} that the playlist lists but YouTube does not show (deleted or private)"
    )


def test_an_empty_playlist_measures_zero_with_a_note():
    results, http, _ = run([query(playlist="PLtestplaylist0001")], playlist_page([]))
    assert [sent.path for sent in http.sent] == [ITEMS]
    assert results[0].value == 0
    assert results[0].note == "the playlist PLtestplaylist0001 has no videos"


def test_a_channel_is_asked_for_by_id():
    results, http, context = run(
        [query(channel=CHANNEL, statistic="subscribers")],
        channels_answer(
            CHANNEL,
            {
                "viewCount": "900",
                "subscriberCount": "1230",
                "hiddenSubscriberCount": False,
                "videoCount": "12",
            },
        ),
    )
    assert http.sent[0].path == CHANNELS
    assert http.sent[0].query == {
        "part": "statistics",
        "id": CHANNEL,
        "maxResults": "50",
        "key": KEY,
        "alt": "json",
    }
    assert results == [
        Reading(1230.0, raw={"channel": CHANNEL, "statistic": "subscriberCount", "value": 1230})
    ]
    assert context.costs == {"youtube.units": 1}


def test_channels_are_asked_for_fifty_ids_a_call():
    channels = [f"UC{number:022d}" for number in range(60)]
    queries = [
        query(f"c{n}", channel=channel, statistic="videos") for n, channel in enumerate(channels)
    ]

    def answer(chunk):
        return ok(
            {
                "kind": "youtube#channelListResponse",
                "items": [{"id": c, "statistics": {"videoCount": "3"}} for c in chunk],
            }
        )

    results, http, _ = run(queries, answer(channels[:50]), answer(channels[50:]), sequential=True)
    assert [sent.ids for sent in http.sent] == [channels[:50], channels[50:]]
    assert [result.value for result in results] == [3.0] * 60


def test_a_handle_is_asked_for_with_for_handle():
    results, http, _ = run(
        [query(handle="acme", statistic="views")],
        channels_answer(CHANNEL, {"viewCount": "4567", "subscriberCount": "10"}),
    )
    assert http.sent[0].path == CHANNELS
    assert http.sent[0].query == {
        "part": "statistics",
        "forHandle": "@acme",
        "key": KEY,
        "alt": "json",
    }
    assert results[0].value == 4567
    assert results[0].raw == {
        "handle": "@acme",
        "channel": CHANNEL,
        "statistic": "viewCount",
        "value": 4567,
    }


def test_an_unknown_handle_or_channel_is_terminal():
    no_items = ok({"kind": "youtube#channelListResponse", "pageInfo": {"totalResults": 0}})
    results, _, _ = run(
        [query("h", handle="@nobody"), query("c", channel=CHANNEL)], no_items, no_items
    )
    assert isinstance(results[0], TerminalError)
    assert results[0].message == (
        "no channel has the handle @nobody: check its spelling on the channel's page"
    )
    assert isinstance(results[1], TerminalError)
    assert results[1].message.startswith(f"no channel has the id {CHANNEL}: check it")


def test_queries_with_different_keys_use_separate_clients():
    one, two = RecordingHttp([videos_answer({A: 1})]), RecordingHttp([videos_answer({A: 2})])
    transports = iter([one, two])
    results = YouTubeConnector(http_factory=lambda _: next(transports)).fetch(
        [
            query("one", videos=[A], api_key="key-one-1234"),
            query("two", videos=[A], api_key="key-two-5678"),
        ],
        Context(),
    )
    assert [result.value for result in results] == [1, 2]
    assert one.sent[0].query["key"] == "key-one-1234"
    assert two.sent[0].query["key"] == "key-two-5678"


def test_an_endpoint_replaces_googles_address():
    _, http, _ = run([query(videos=[A], endpoint="http://127.0.0.1:8099/")], videos_answer({A: 1}))
    assert http.sent[0].uri.startswith("http://127.0.0.1:8099/youtube/v3/videos?part=statistics")


def test_a_baseline_is_refused_without_a_call():
    http = RecordingHttp([])
    results = YouTubeConnector(http_factory=lambda _: http).fetch(
        [query(videos=[A], purpose="baseline")], Context()
    )
    assert isinstance(results[0], TerminalError)
    assert "type the baseline in the file" in results[0].message
    assert http.sent == []


def test_the_factory_can_be_set_on_a_subclass_for_registries():
    http = RecordingHttp([videos_answer({A: 5})])
    connector_class = YouTubeConnector.using(lambda _: http)
    assert connector_class.name == "youtube"
    assert issubclass(connector_class, YouTubeConnector)
    assert connector_class().fetch([query(videos=[A])], Context())[0].value == 5


# -- hidden and missing statistics ---------------------------------------------------------


def test_a_hidden_like_count_fails_only_its_key_result():
    answer = ok(
        {
            "kind": "youtube#videoListResponse",
            "items": [
                {"id": A, "statistics": {"viewCount": "10", "commentCount": "1"}},
                {"id": B, "statistics": {"viewCount": "20", "likeCount": "4"}},
            ],
        }
    )
    results, http, _ = run(
        [
            query("hidden", videos=[A, B], statistic="likes"),
            query("shown", videos=[B], statistic="likes"),
        ],
        answer,
    )
    assert len(http.sent) == 1
    assert isinstance(results[0], TerminalError)
    assert results[0].message == (
        f"video {A} has no likes to read (likeCount is missing): its owner hides the like "
        "count; remove it from the key result or measure another statistic"
    )
    assert results[1].value == 4


def test_comments_turned_off_say_so():
    results, _, _ = run(
        [query(videos=[A], statistic="comments")], videos_answer({A: 5}, "viewCount")
    )
    assert isinstance(results[0], TerminalError)
    assert "comments are turned off on it" in results[0].message


def test_a_hidden_subscriber_count_is_terminal():
    results, _, _ = run(
        [query(channel=CHANNEL, statistic="subscribers"), query("views", channel=CHANNEL)],
        channels_answer(
            CHANNEL, {"viewCount": "900", "hiddenSubscriberCount": True, "videoCount": "3"}
        ),
    )
    assert isinstance(results[0], TerminalError)
    assert results[0].message.startswith(
        f"channel {CHANNEL} hides its subscriber count (hiddenSubscriberCount)"
    )
    assert results[1].value == 900


def test_a_missing_video_fails_only_its_key_result():
    results, _, _ = run(
        [query("gone", videos=[A, B]), query("fine", videos=[B])], videos_answer({B: 20})
    )
    assert isinstance(results[0], TerminalError)
    assert not isinstance(results[0], TransientError)
    assert results[0].message == (
        f"video {A} not found: deleted, made private, or a wrong id; remove it from videos "
        "(or correct it)"
    )
    assert results[1].value == 20


def test_an_empty_answer_names_every_missing_video():
    results, _, _ = run([query(videos=[A, B])], ok({"kind": "youtube#videoListResponse"}))
    assert results[0].message.startswith(f"2 videos ({A}, {B}) not found")


def test_a_count_that_is_not_a_number_is_terminal():
    results, _, _ = run(
        [query(videos=[A])], ok({"items": [{"id": A, "statistics": {"viewCount": "many"}}]})
    )
    assert isinstance(results[0], TerminalError)
    assert results[0].message == f"video {A}: viewCount is 'many', not a count"


@pytest.mark.parametrize(
    ("count", "said"),
    [
        (10**400, "100000000000... (401 digits), not a finite number"),  # no float holds it
        (str(10**400), "100000000000... (401 digits), not a finite number"),
        ("9" * 5000, "999999999999... (5000 digits), not a finite number"),  # int() refuses it
        ("²", "'²', not a count"),  # a digit to str.isdigit, not to int()
    ],
)
def test_a_count_no_float_holds_fails_its_own_key_result_only(count, said):
    answer = ok({"items": [{"id": A, "statistics": {"viewCount": count}}, *items({B: 12})]})
    results, http, _ = run([query("huge", videos=[A]), query("fine", videos=[B])], answer)
    assert len(http.sent) == 1  # one videos.list call for both
    assert isinstance(results[0], TerminalError)
    assert results[0].message == f"video {A}: viewCount is {said}"
    assert results[1].value == 12.0


def test_counts_whose_sum_no_float_holds_are_terminal():
    results, _, _ = run([query(videos=[A, B])], videos_answer({A: 10**308, B: 10**308}))
    assert isinstance(results[0], TerminalError)
    assert results[0].message == (
        f"the viewCount of 2 videos ({A}, {B}) add up to 200000000000... (309 digits), which is "
        "not a finite number"
    )


# -- errors -----------------------------------------------------------------------------------

QUOTA_MESSAGE = (
    'The request cannot be completed because you have exceeded your <a href="/youtube/v3/'
    'getting-started#quota">quota</a>.'
)


def test_quota_exceeded_is_a_quota_error_and_stops_further_calls():
    queries = [
        query("a", videos=ids(50)),
        query("b", videos=ids(10, 50)),
        query("c", channel=CHANNEL),
    ]
    results, http, context = run(
        queries,
        error(403, "quotaExceeded", QUOTA_MESSAGE, domain="youtube.quota"),
        sequential=True,
    )
    assert len(http.sent) == 1  # the other chunk and the channel were not asked for
    assert all(isinstance(result, QuotaError) for result in results)
    assert results[0].message == (
        "YouTube videos.list answered HTTP 403 (quotaExceeded): the YouTube Data API quota of "
        "this key's Google Cloud project is exhausted; it resets at midnight Pacific time; ask "
        "for more quota in the Google Cloud console (APIs & Services > YouTube Data API v3 > "
        "Quotas)"
    )
    assert context.costs == {"youtube.units": 1}


def test_daily_limit_exceeded_is_a_quota_error():
    results, _, _ = run(
        [query(videos=[A])],
        error(403, "dailyLimitExceeded", "Daily Limit Exceeded", domain="usageLimits"),
    )
    assert isinstance(results[0], QuotaError)


@pytest.mark.parametrize(
    "answer",
    [
        error(400, "keyInvalid", "Bad Request", domain="usageLimits"),
        error(
            400,
            "badRequest",
            "API key not valid. Please pass a valid API key.",
            domain="global",
            details=[
                {
                    "@type": "type.googleapis.com/google.rpc.ErrorInfo",
                    "reason": "API_KEY_INVALID",
                    "domain": "googleapis.com",
                    "metadata": {"service": "youtube.googleapis.com"},
                }
            ],
        ),
    ],
    ids=["keyInvalid", "API_KEY_INVALID"],
)
def test_an_invalid_key_is_a_credentials_error_without_the_key(answer):
    results, http, _ = run([query("a", videos=[A]), query("b", channel=CHANNEL)], answer)
    assert len(http.sent) == 1
    assert all(isinstance(result, CredentialsError) for result in results)
    assert "the API key was refused" in results[0].message
    assert "YOUTUBE_API_KEY" in results[0].message
    assert KEY not in str(results[0])
    assert KEY in http.sent[0].uri  # the key was sent, and kept out of the message


def test_api_not_enabled_says_where_to_enable_it():
    message = (
        "YouTube Data API v3 has not been used in project 123 before or it is disabled. Enable it "
        "by visiting https://console.developers.google.com/apis/api/youtube.googleapis.com/"
        "overview?project=123 then retry."
    )
    results, _, _ = run(
        [query(videos=[A])], error(403, "accessNotConfigured", message, domain="usageLimits")
    )
    assert isinstance(results[0], CredentialsError)
    assert "APIs & Services > Library > YouTube Data API v3 > Enable" in results[0].message


def test_a_forbidden_key_is_a_credentials_error():
    results, _, _ = run(
        [query(videos=[A])],
        error(403, "forbidden", "Requests from this referer are blocked.", domain="global"),
    )
    assert isinstance(results[0], CredentialsError)
    assert results[0].message.startswith(
        "YouTube videos.list answered HTTP 403 (forbidden): Requests from this referer are blocked."
    )


@pytest.mark.parametrize("reason", ["rateLimitExceeded", "userRateLimitExceeded"])
def test_rate_limits_are_transient(reason):
    results, _, _ = run(
        [query(videos=[A])], error(403, reason, "Rate Limit Exceeded", domain="usageLimits")
    )
    assert isinstance(results[0], TransientError)
    assert results[0].retry_after is None
    assert results[0].message.startswith(f"YouTube videos.list answered HTTP 403 ({reason})")


def test_429_is_transient_with_its_retry_after():
    results, _, _ = run(
        [query(videos=[A])],
        error(429, "rateLimitExceeded", "Too Many Requests", headers={"retry-after": "30"}),
    )
    assert isinstance(results[0], TransientError)
    assert results[0].retry_after == 30
    assert "asked to wait 30s" in results[0].message


def test_500_is_transient_for_its_chunk_only():
    queries = [query("first", videos=ids(50)), query("second", videos=ids(1, 50))]
    results, http, context = run(
        queries,
        error(500, "backendError", "Backend Error", domain="global"),
        videos_answer({ids(1, 50)[0]: 9}),
        sequential=True,
    )
    assert len(http.sent) == 2
    assert isinstance(results[0], TransientError)
    assert results[0].message.startswith("YouTube videos.list answered HTTP 500 (backendError)")
    assert results[1].value == 9
    assert context.costs == {"youtube.units": 2}


def test_a_timeout_is_transient_and_costs_nothing():
    results, _, context = run([query(videos=[A])], TimeoutError("timed out"))
    assert isinstance(results[0], TransientError)
    assert results[0].message == "YouTube videos.list timed out (timed out); it is tried again"
    assert context.costs == {}


def test_a_refused_connection_is_transient():
    results, _, _ = run([query(videos=[A])], ConnectionRefusedError(111, "Connection refused"))
    assert isinstance(results[0], TransientError)
    assert "could not reach the API (ConnectionRefusedError" in results[0].message


def test_a_refused_certificate_is_terminal():
    refused = ssl.SSLCertVerificationError(1, "certificate verify failed")
    results, _, _ = run([query(videos=[A])], refused)
    assert type(results[0]) is TerminalError
    assert results[0].message.startswith(
        "YouTube videos.list: the server's TLS certificate was refused"
    )


def test_an_answer_that_is_not_text_is_transient():
    results, _, _ = run([query(videos=[A])], ({"status": "200"}, b"\xff\xfe\x00"))
    assert isinstance(results[0], TransientError)
    assert results[0].message == (
        "YouTube videos.list answered with something that is not JSON; it is tried again"
    )


def test_an_unknown_playlist_is_terminal_for_its_key_result_only():
    results, _, _ = run(
        [query("list", playlist="PLdoesnotexist00"), query("video", videos=[A])],
        error(
            404,
            "playlistNotFound",
            "The playlist identified with the request's <code>playlistId</code> parameter "
            "cannot be found.",
        ),
        videos_answer({A: 3}),
    )
    assert isinstance(results[0], TerminalError)
    assert results[0].message == (
        "YouTube playlistItems.list answered HTTP 404 (playlistNotFound): The playlist "
        "identified with the request's playlistId parameter cannot be found.; check the id in "
        "the key result's settings"
    )
    assert results[1].value == 3


def test_a_private_playlist_is_terminal():
    results, _, _ = run(
        [query(playlist="PLprivateplaylist")],
        error(403, "playlistItemsNotAccessible", "The request is not properly authorized."),
    )
    assert type(results[0]) is TerminalError
    assert "it is private" in results[0].message


def test_an_answer_that_is_not_json_is_transient():
    results, _, _ = run(
        [query(videos=[A])], ({"status": "200", "content-type": "application/json"}, "<html>")
    )
    assert isinstance(results[0], TransientError)
    assert results[0].message == (
        "YouTube videos.list answered with something that is not a JSON object ('<html>'); "
        "it is tried again"
    )


def test_no_error_message_ever_holds_the_key():
    answers = [
        error(400, "keyInvalid", f"bad key {KEY}"),
        error(400, "badRequest", "x" * 290 + KEY),  # masked before the message is cut
        ({"status": "200"}, "y" * 70 + KEY),
        error(403, "quotaExceeded", QUOTA_MESSAGE),
        error(500, "backendError", f"see https://x.test/?key={KEY}"),
        TimeoutError(f"timed out asking https://youtube.googleapis.com/?key={KEY}"),
    ]
    for answer in answers:
        results, _, _ = run([query(videos=[A])], answer)
        assert isinstance(results[0], TerminalError | TransientError)
        assert KEY[:8] not in str(results[0]), results[0]


def test_debug_logs_of_the_client_library_do_not_show_the_key(caplog):
    with caplog.at_level(logging.DEBUG, logger="googleapiclient"):
        run([query(videos=[A])], videos_answer({A: 1}))
    logged = [record.getMessage() for record in caplog.records]
    assert any("URL being requested: GET" in text and "key=***" in text for text in logged)
    assert not any(KEY in text for text in logged)
