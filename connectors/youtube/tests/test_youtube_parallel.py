"""A stage's calls a few at a time (issue 7): up to `YouTubeConnector.parallel_calls` in flight,
each thread with its own transport, the quota at its minimum, a spent quota stopping the calls not
started, and the answers those of the calls made one after another, whatever order they end in.

Against the local fake API server (`youtube_fake.py`, which counts the requests it answers at
once), and against a scripted client for what only an exact interleaving shows."""

import datetime as dt
import threading
import time

import httplib2
import pytest
from okrkit.connectors import Context, Query, QuotaError, Reading, TerminalError, Window

from okrkit_youtube import YouTubeConnector, YouTubeSettings
from okrkit_youtube._client import YouTubeClient
from okrkit_youtube._connector import _Batch
from youtube_fake import make_videos

KEY = "test-key"
AT = dt.datetime(2026, 8, 15, tzinfo=dt.UTC)
IDS = list(make_videos(300))  # v0000000000 ... v0000000299, views 100 + n
CHUNKS = [IDS[start : start + 50] for start in range(0, 300, 50)]
CHANNEL = "UC_x5XG1OV2P6uZZ5FSM9Ttw"
QUOTA = (
    "YouTube videos.list answered HTTP 403 (quotaExceeded): the YouTube Data API quota of this "
    "key's Google Cloud project is exhausted; it resets at midnight Pacific time; ask for more "
    "quota in the Google Cloud console (APIs & Services > YouTube Data API v3 > Quotas)"
)
WAIT = 10.0  # seconds: the longest a test waits for another thread before it fails


def connector(parallel_calls, http_factory=None):
    """A YouTubeConnector making up to `parallel_calls` calls at once."""
    made = type("YouTubeConnector", (YouTubeConnector,), {"parallel_calls": parallel_calls})
    return made(http_factory=http_factory)


def query(api, key_result, **settings):
    settings = YouTubeSettings(api_key=KEY, endpoint=api.url, **settings)
    return Query(key_result, settings, Window(None, AT), AT, "plan")


def spread(api):
    """Four key results over the 300 videos, overlapping: 300 distinct ids, six calls."""
    return [
        query(api, "first", videos=IDS[:120]),
        query(api, "rest", videos=IDS[100:]),
        query(api, "every-seventh", videos=IDS[::7]),
        query(api, "likes", videos=IDS[250:260], statistic="likes"),
    ]


def one_chunk_each(api):
    """Six key results of 50 videos each: each is exactly one videos.list call."""
    return [query(api, f"kr{n}", videos=chunk) for n, chunk in enumerate(CHUNKS)]


def views(ids):
    return float(sum(100 + IDS.index(video) for video in ids))


# -- in flight at once ---------------------------------------------------------------------------


def test_parallel_calls_is_eight_by_default():
    assert YouTubeConnector.parallel_calls == 8


@pytest.mark.parametrize("parallel_calls", [2, 3, 8])
def test_300_videos_make_six_calls_several_at_once_with_the_answers_of_one_at_a_time(
    fake_youtube, parallel_calls
):
    several = fake_youtube(keys={KEY}, videos=make_videos(300), delay=0.05)
    one = fake_youtube(keys={KEY}, videos=make_videos(300), delay=0.05)

    context, sequential_context = Context(), Context()
    results = connector(parallel_calls).fetch(spread(several), context)
    sequential = connector(1).fetch(spread(one), sequential_context)

    assert results == sequential
    assert [result.value for result in results] == [
        views(IDS[:120]),
        views(IDS[100:]),
        views(IDS[::7]),
        float(sum(range(250, 260))),  # likeCount is n
    ]
    calls = several.calls("videos")
    assert len(calls) == 6  # the minimum: one per 50 distinct ids
    assert sorted(call.ids for call in calls) == CHUNKS  # each chunk asked for once
    assert context.costs == sequential_context.costs == {"youtube.units": 6}
    assert several.units == 6
    assert 1 < several.most_at_once <= parallel_calls
    assert one.most_at_once == 1
    assert [call.ids for call in one.calls("videos")] == CHUNKS  # one at a time, in order


def test_playlists_are_listed_at_once_each_one_page_after_another_before_the_videos(
    fake_youtube,
):
    playlists = {
        "PLfirst00000001": IDS[:120],
        "PLsecond0000002": IDS[100:220],
        "PLthird00000003": IDS[180:300],
    }
    channels = {f"UC{n:022d}": {"viewCount": str(n), "subscriberCount": "1"} for n in range(60)}

    def start():
        return fake_youtube(
            keys={KEY},
            videos=make_videos(300),
            playlists=playlists,
            channels=channels,
            handles={"@acme": "UC0000000000000000000007"},
            delay=0.02,
        )

    def queries(api):
        return [
            *(query(api, playlist, playlist=playlist) for playlist in playlists),
            query(api, "listed", videos=IDS[290:]),
            *(query(api, channel, channel=channel) for channel in channels),
            query(api, "handle", handle="@acme", statistic="subscribers"),
        ]

    several, one = start(), start()
    context = Context()
    results = connector(8).fetch(queries(several), context)
    assert results == connector(1).fetch(queries(one), Context())

    assert [result.value for result in results[:4]] == [
        views(IDS[:120]),
        views(IDS[100:220]),
        views(IDS[180:300]),
        views(IDS[290:]),
    ]
    assert [result.value for result in results[4:-1]] == [float(n) for n in range(60)]
    assert results[-1].value == 1
    # the stages in order: every page, then every videos.list, the channels, the handle
    order = ["playlistItems", "videos", "channels"]
    stages = [order.index(request.resource) for request in several.requests]
    assert stages == sorted(stages)
    assert several.requests[-1].get("forHandle") == "@acme"
    for playlist in playlists:  # three pages each, each with the token of the one before
        pages = [c for c in several.calls("playlistItems") if c.get("playlistId") == playlist]
        assert [page.get("pageToken") for page in pages] == [None, "50", "100"]
    # 9 pages + 6 videos.list (300 distinct) + 2 channels.list + 1 handle: the minimum
    assert len(several.requests) == len(one.requests) == 18
    assert context.costs == {"youtube.units": 18}
    assert 1 < several.most_at_once <= 8


# -- a spent quota ---------------------------------------------------------------------------------


def test_a_spent_quota_stops_the_calls_not_started_and_fails_every_key_result_needing_them(
    fake_youtube,
):
    api = fake_youtube(keys={KEY}, videos=make_videos(300), delay=0.05)
    api.fail("videos", 403, "quotaExceeded", "quota spent", domain="youtube.quota")
    context = Context()

    results = connector(2).fetch(one_chunk_each(api), context)

    made = api.calls("videos")
    assert 2 <= len(made) < 6  # two in flight at once; the calls not started were not made
    refused = made[0].ids  # the first request the fake answered, with the quota error
    answered = [call.ids for call in made[1:]]
    for chunk, result in zip(CHUNKS, results, strict=True):
        if chunk in answered:  # in flight when the quota was spent: it ended, and counts
            assert result == Reading(
                views(chunk),
                raw={
                    "statistic": "viewCount",
                    "videos": 50,
                    "counts": {video: 100 + IDS.index(video) for video in chunk[:20]},
                },
            )
        else:  # the refused call's, and those of every call not made
            assert chunk == refused or chunk not in [call.ids for call in made]
            assert isinstance(result, QuotaError)
            assert result.message == QUOTA
    assert sum(isinstance(result, QuotaError) for result in results) == 6 - len(answered)
    assert context.costs == {"youtube.units": len(made)}  # one unit per call made


class Scripted:
    """A client for `_Batch.run` whose calls run scripts: each call is recorded, then the script
    of its first id (if any) runs before the answer, to hold the call or make it fail."""

    def __init__(self, videos=None, playlists=None, scripts=None):
        self.videos = videos or {}
        self.playlists = playlists or {}
        self.scripts = scripts or {}
        self.calls = []
        self.threads = set()
        self._lock = threading.Lock()

    def _called(self, kind, first):
        with self._lock:
            self.calls.append((kind, first))
            self.threads.add(threading.current_thread())
        script = self.scripts.get(first)
        if script is not None:
            script()

    def video_statistics(self, ids):
        self._called("videos", ids[0])
        return {video: self.videos[video] for video in ids if video in self.videos}

    def channel_statistics(self, ids):
        self._called("channels", ids[0])
        return {}

    def handle_statistics(self, handle):
        self._called("handle", handle)

    def playlist_videos(self, playlist, *, before_page=None):
        pages = self.playlists[playlist]
        for number, page in enumerate(pages):
            if number and before_page is not None:
                before_page()
            self._called("playlistItems", f"{playlist}#{number}")
            yield from page


def settings(**kwargs):
    return YouTubeSettings(api_key=KEY, **kwargs)


def wait_for(condition):
    deadline = time.monotonic() + WAIT
    while not condition():
        assert time.monotonic() < deadline, "another thread never got there"
        time.sleep(0.001)


def test_a_stop_lets_the_calls_in_flight_end_and_makes_none_of_those_not_started():
    stats = {video: {"viewCount": "1"} for video in IDS}
    both = threading.Barrier(2, timeout=WAIT)  # the first two calls are in flight together
    batch = _Batch([(n, settings(videos=chunk)) for n, chunk in enumerate(CHUNKS)])
    spent = QuotaError("quota spent")

    def refused():
        both.wait()
        raise spent

    def answered_after_the_stop():
        both.wait()
        wait_for(lambda: batch.stop is not None)

    client = Scripted(stats, scripts={CHUNKS[0][0]: refused, CHUNKS[1][0]: answered_after_the_stop})
    batch.run(client, parallel_calls=2)

    assert sorted(client.calls) == [("videos", CHUNKS[0][0]), ("videos", CHUNKS[1][0])]
    answers = [batch.answer(n) for n in range(6)]
    assert answers[1] == Reading(
        50.0,
        raw={"statistic": "viewCount", "videos": 50, "counts": dict.fromkeys(CHUNKS[1][:20], 1)},
    )
    assert all(answers[n] is spent for n in (0, 2, 3, 4, 5))


def test_a_stop_ends_a_playlist_in_flight_before_its_next_page():
    both = threading.Barrier(2, timeout=WAIT)
    spent = QuotaError("quota spent")
    batch = _Batch(
        [
            (0, settings(playlist="PLspent000000001")),
            (1, settings(playlist="PLlong0000000002")),
            (2, settings(videos=IDS[:3])),
        ]
    )

    def refused():
        both.wait()
        raise spent

    def first_page_after_the_stop():
        both.wait()
        wait_for(lambda: batch.stop is not None)

    client = Scripted(
        {video: {"viewCount": "1"} for video in IDS},
        playlists={"PLspent000000001": [IDS[:2]], "PLlong0000000002": [IDS[:2], IDS[2:4]]},
        scripts={
            "PLspent000000001#0": refused,
            "PLlong0000000002#0": first_page_after_the_stop,
        },
    )
    batch.run(client, parallel_calls=4)

    # the long playlist's second page was not asked for, nor any videos.list
    assert sorted(client.calls) == [
        ("playlistItems", "PLlong0000000002#0"),
        ("playlistItems", "PLspent000000001#0"),
    ]
    assert [batch.answer(n) for n in range(3)] == [spent, spent, spent]


def test_the_answers_do_not_depend_on_the_order_the_calls_end_in():
    stats = {
        video: {"viewCount": str(n), "likeCount": str(n % 7)}
        for n, video in enumerate(IDS)
        if n % 11  # every eleventh is gone
    }
    stats[IDS[12]] = {"viewCount": "3"}  # hides its likes
    shown_likes = [video for n, video in enumerate(IDS[120:170], 120) if n % 11]
    items = [
        (0, settings(videos=IDS[:40])),  # holds a gone video: fails
        (1, settings(videos=IDS[1:11] + IDS[290:])),
        (2, settings(playlist="PLmany0000000001")),  # lists gone videos: left out, with a note
        (3, settings(videos=IDS[12:22], statistic="likes")),  # a hidden like count
        (4, settings(videos=shown_likes, statistic="likes")),
    ]
    playlists = {"PLmany0000000001": [IDS[150:200], IDS[200:250], IDS[250:260]]}

    sequential = _Batch(items)
    in_order = Scripted(stats, playlists)
    sequential.run(in_order, parallel_calls=1)
    firsts = [first for kind, first in in_order.calls if kind == "videos"]
    assert len(firsts) == 4  # 190 distinct videos

    # the videos.list calls end last first: each waits for the one after it to end
    ended = {first: threading.Event() for first in firsts}

    def ends_after(number):
        def script():
            if number + 1 < len(firsts):
                assert ended[firsts[number + 1]].wait(WAIT)
            ended[firsts[number]].set()

        return script

    last_first = _Batch(items)
    client = Scripted(
        stats, playlists, scripts={first: ends_after(n) for n, first in enumerate(firsts)}
    )
    last_first.run(client, parallel_calls=8)

    def shown(answer):
        if isinstance(answer, TerminalError):
            return type(answer), answer.message
        return answer

    answers = [shown(last_first.answer(n)) for n in range(5)]
    assert answers == [shown(sequential.answer(n)) for n in range(5)]
    assert answers[0][0] is TerminalError
    assert answers[0][1].startswith("4 videos (v0000000000, v0000000011, v0000000022, v0")
    assert answers[3][1].startswith("video v0000000012 has no likes to read")
    assert answers[2].note.startswith("left out 10 videos")
    assert answers[4].value == sum(int(stats[video]["likeCount"]) for video in shown_likes)
    assert list(answers[4].raw["counts"]) == shown_likes[:20]  # in the key result's order
    assert sorted(call for call in client.calls if call[0] == "videos") == sorted(
        call for call in in_order.calls if call[0] == "videos"
    )
    assert len(client.threads) == 4 + 1  # a thread per videos.list; this one for the playlist


# -- a transport per thread --------------------------------------------------------------------


class Transport(httplib2.Http):
    """A real httplib2.Http that records the threads that called it, and its closing."""

    def __init__(self, timeout):
        super().__init__(timeout=timeout)
        self.threads = []
        self.closed = False

    def request(self, *args, **kwargs):
        self.threads.append(threading.current_thread())
        return super().request(*args, **kwargs)

    def close(self):
        self.closed = True
        super().close()


def test_each_thread_calls_through_a_transport_of_its_own_and_all_are_closed(fake_youtube):
    api = fake_youtube(
        keys={KEY}, videos=make_videos(300), channels={CHANNEL: {"viewCount": "9"}}, delay=0.02
    )
    made = []  # (transport, the thread that asked for it)

    def factory(timeout):
        transport = Transport(timeout)
        made.append((transport, threading.current_thread()))
        return transport

    queries = [*spread(api), query(api, "channel", channel=CHANNEL)]
    results = connector(4, factory).fetch(queries, Context(timeout=7.0))

    assert [result.value for result in results[:3]] == [
        views(IDS[:120]),
        views(IDS[100:]),
        views(IDS[::7]),
    ]
    assert results[-1].value == 9
    this = threading.current_thread()
    assert made[0][1] is this  # made with the client, for this thread
    assert made[0][0].threads == [this]  # the channel's call, the stage's only one: made here
    workers = [thread for _, thread in made[1:]]
    assert 2 <= len(workers) <= 4  # up to parallel_calls other threads, one transport each
    assert len(set(workers)) == len(workers)
    assert this not in workers
    for transport, thread in made[1:]:
        assert transport.threads  # each made for a call, and used by its own thread only
        assert set(transport.threads) == {thread}
    assert sum(len(transport.threads) for transport, _ in made) == 6 + 1
    assert all(transport.closed for transport, _ in made)
    assert all(transport.timeout == 7.0 for transport, _ in made)
    assert all(getattr(transport, "_okrkit_capped", False) for transport, _ in made)  # armed
    assert not any(thread.is_alive() for thread in workers)  # none outlives fetch


def test_one_call_at_a_time_uses_one_transport_in_the_calling_thread(fake_youtube):
    api = fake_youtube(keys={KEY}, videos=make_videos(300))
    made = []

    def factory(timeout):
        made.append(Transport(timeout))
        return made[-1]

    connector(1, factory).fetch(spread(api), Context())
    (transport,) = made
    assert transport.threads == [threading.current_thread()] * 6
    assert transport.closed


class Double:
    """A transport that is never called: it counts its closings."""

    def __init__(self):
        self.closings = 0

    def request(self, *args, **kwargs):
        raise AssertionError("not called")

    def close(self):
        self.closings += 1


def test_a_client_gives_each_thread_its_own_transport_and_closes_every_one():
    made = []

    def factory(timeout):
        made.append(Double())
        return made[-1]

    client = YouTubeClient(KEY, None, Context(), factory)
    assert client.transport() is client.http is made[0]
    seen = {}

    def ask(number):
        seen[number] = (client.transport(), client.transport(), threading.current_thread())

    threads = [threading.Thread(target=ask, args=(n,)) for n in range(3)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()

    assert all(first is second for first, second, _ in seen.values())  # one per thread, kept
    assert len({id(transport) for transport in made}) == 4
    assert client.transports == made
    client.close()
    assert [transport.closings for transport in made] == [1, 1, 1, 1]


def test_a_factory_handing_out_one_transport_has_it_closed_once():
    shared = Double()
    client = YouTubeClient(KEY, None, Context(), lambda _: shared)
    thread = threading.Thread(target=client.transport)
    thread.start()
    thread.join()
    assert client.transports == [shared, shared]
    client.close()
    assert shared.closings == 1


# -- a crash ---------------------------------------------------------------------------------------


def test_an_unexpected_exception_in_a_call_surfaces_from_fetch_once_the_others_end(fake_youtube):
    api = fake_youtube(keys={KEY}, videos=make_videos(300), delay=0.05)
    made = []

    class Crashing(Transport):
        def request(self, uri, *args, **kwargs):
            if f"id={CHUNKS[0][0]}" in uri:
                self.threads.append(threading.current_thread())
                raise RuntimeError("a bug")
            return super().request(uri, *args, **kwargs)

    def factory(timeout):
        made.append(Crashing(timeout))
        return made[-1]

    with pytest.raises(RuntimeError, match="a bug"):
        connector(2, factory).fetch(one_chunk_each(api), Context())

    assert len(api.calls("videos")) < 5  # the calls not started were not made
    assert all(transport.closed for transport in made)
    workers = {thread for transport in made for thread in transport.threads}
    assert threading.current_thread() not in workers
    assert not any(thread.is_alive() for thread in workers)
