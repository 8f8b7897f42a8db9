"""The OKR files the benchmarks use, generated: a refresh plan and a large plan to load.

Both are written as YAML text, as a team would write them, and read with `okrkit.load` like any
file, so the benchmarks go through the same reader, validation and model as users do.
"""

from __future__ import annotations

import itertools
import json
from dataclasses import dataclass
from typing import TYPE_CHECKING

from bench.fakeapi import video_id, view_count

if TYPE_CHECKING:
    from bench.harness import Sizes

__all__ = ["RefreshWorkload", "large_plan_text", "refresh_workload"]

TOKEN_VARIABLE = "BENCH_TOKEN"  # noqa: S105  # the name of a variable, not a secret
KEY_VARIABLE = "YOUTUBE_API_KEY"
TOKEN = "bench-token-0123456789"  # noqa: S105  # the fake API's token
API_KEY = "bench-key-0123456789"
CYCLE = "2026-Q3"
_KEY_RESULTS_PER_OBJECTIVE = 4


@dataclass(frozen=True)
class RefreshWorkload:
    """A plan of JSON-endpoint and YouTube key results, and what the fake API will answer."""

    text: str  # the OKR file
    urls: tuple[str, ...]  # the JSON endpoints, one per http key result, in plan order
    videos: tuple[tuple[str, ...], ...]  # the videos of each youtube key result, in plan order
    expected: dict[str, float]  # key result id -> the value the refresh must record
    environ: dict[str, str]

    @property
    def distinct_videos(self) -> int:
        return len({video for listed in self.videos for video in listed})

    @property
    def key_results(self) -> int:
        return len(self.urls) + len(self.videos)


def _videos_of(index: int, sizes: Sizes) -> tuple[str, ...]:
    """The videos of youtube key result `index`: spread so that every video is listed, most by
    more than one key result (a batcher must ask for each once)."""
    count = min(sizes.videos_per_key_result, sizes.videos)
    first = index % sizes.videos
    numbers = [first]
    step = max(1, sizes.videos // 2 + 1)
    while len(numbers) < count:
        numbers.append((numbers[-1] + step) % sizes.videos)
        if numbers[-1] in numbers[:-1]:
            numbers[-1] = (numbers[-1] + 1) % sizes.videos
    return tuple(video_id(number) for number in numbers)


def refresh_workload(sizes: Sizes, url: str) -> RefreshWorkload:
    """The refresh plan, pointed at the fake API at `url`: objectives of four key results, the
    http and youtube ones interleaved."""
    lines = [f"id: bench\ncycle: {CYCLE}\nobjectives:"]
    urls: list[str] = []
    videos: list[tuple[str, ...]] = []
    expected: dict[str, float] = {}
    # interleaved: http, youtube, http, youtube... while both last
    pairs = itertools.zip_longest(
        ["http"] * sizes.http_key_results, ["youtube"] * sizes.youtube_key_results
    )
    kinds = [kind for pair in pairs for kind in pair if kind is not None]
    for position, kind in enumerate(kinds):
        if position % _KEY_RESULTS_PER_OBJECTIVE == 0:
            number = position // _KEY_RESULTS_PER_OBJECTIVE
            lines.append(
                f"  - id: o{number}\n    title: Win the hearts of region {number}\n"
                f"    owner: team-{number % 50}\n    key_results:"
            )
        kr_id = f"kr{position}"
        if kind == "http":
            metric = len(urls)
            endpoint = f"{url}/metrics/{metric}"
            urls.append(endpoint)
            expected[kr_id] = float(metric)
            source: dict[str, object] = {
                "connector": "http",
                "url": endpoint,
                "path": "data.total",
                "token": f"${{{TOKEN_VARIABLE}}}",
            }
            title = f"Sign-ups from channel {metric} over 5k"
        else:
            listed = _videos_of(len(videos), sizes)
            videos.append(listed)
            expected[kr_id] = float(sum(view_count(int(video[1:])) for video in listed))
            source = {
                "connector": "youtube",
                "videos": list(listed),
                "statistic": "views",
                "api_key": f"${{{KEY_VARIABLE}}}",
                "endpoint": url,
            }
            title = f"YouTube video views over {100 + len(videos)}k"
        lines.append(
            f"      - id: {kr_id}\n        title: {title}\n        source: {json.dumps(source)}"
        )
    environ = {TOKEN_VARIABLE: TOKEN, KEY_VARIABLE: API_KEY}
    return RefreshWorkload("\n".join(lines) + "\n", tuple(urls), tuple(videos), expected, environ)


# Every title names its own market, so no two are alike (as in a real file): a cache of parsed
# sentences gains nothing here.
_TITLES = (
    "Pre-release sign-ups in market {k} over {n}k",
    "Organic social media mentions of product {k} up by {p}%",
    "Monthly active customers of team {k} from {a}k to {b}k",
    "Reduce p95 latency of service {k} to {m} ms",
    "YouTube video views of channel {k} over {n}k",
    "Keep uptime of region {k} above 99.{p}%",
    "Trial-to-paid conversion of plan {k} from 3% to {p}%",
    "Churn of cohort {k} below {q}%",
)


def _name(number: int) -> str:
    """A name made of letters (digits would be read as numbers): 0 -> Zxa, 27 -> Zxbb."""
    letters = ""
    while True:
        number, rest = divmod(number, 26)
        letters = chr(ord("a") + rest) + letters
        if number == 0:
            return "Zx" + letters


def _key_result_yaml(number: int) -> str:
    template = _TITLES[number % len(_TITLES)]
    title = template.format(
        k=_name(number), n=10 + number % 90, p=10 + number % 40,
        a=number % 50 + 1, b=number % 50 + 60, m=100 + number % 400, q=1 + number % 5,
    )  # fmt: skip
    lines = [f"      - id: kr{number}", f"        title: {title}"]
    if "up by" in template:
        lines.append(f"        baseline: {1000 + number % 500}")
    if number % 3 == 0:
        lines.append(f"        owner: person-{number % 200}")
    if number % 2 == 0:
        lines.append(f"        current: {number % 97}")
    return "\n".join(lines)


def large_plan_text(objectives: int, per_objective: int) -> str:
    """An OKR file of `objectives` objectives with `per_objective` key results each, and a
    project with five tasks for every tenth objective."""
    parts = [f"id: large\ntitle: The whole company\ncycle: {CYCLE}\nobjectives:"]
    number = 0
    for index in range(objectives):
        kind = "aspirational" if index % 3 == 0 else "committed"
        parts.append(
            f"  - id: o{index}\n    title: Delight the customers of market {_name(index)}\n"
            f"    owner: team-{index % 50}\n    kind: {kind}\n    key_results:"
        )
        for _ in range(per_objective):
            parts.append(_key_result_yaml(number))
            number += 1
    parts.append("projects:")
    for index in range(0, objectives, 10):
        first = index * per_objective
        parts.append(
            f"  - id: p{index}\n    title: Campaign for market {index}\n"
            f"    objective: o{index}\n    tasks:"
        )
        for task in range(5):
            done = "\n        done: true" if task % 2 == 0 else ""
            parts.append(
                f"      - title: Step {task} of the campaign for market {index}{done}\n"
                f"        key_results: [kr{first + task % per_objective}]"
            )
    return "\n".join(parts) + "\n"
