"""Sample report mappings for the renderer tests: the product launch at mid-quarter, and edge cases.

Each function returns a fresh mapping in the shape `okrkit.report` renders (every key present,
``None`` where unknown). The numbers match the tutorial: on 15 August 2026, half-way through
2026-Q3, mentions are at 196 of 240.8 (from 172), YouTube views at 38,000 of 100,000 (typed by
hand, so no history and no forecast), sign-ups at 1,778 of 5,000, and the aspirational objective
scores 0.36 against 0.35 expected by now.
"""

from __future__ import annotations

import copy
from typing import Any

AT = "2026-08-15T23:59:59+00:00"
GENERATED_AT = "2026-08-16T07:00:00+00:00"
CYCLE = {"label": "2026-Q3", "start": "2026-07-01", "end": "2026-09-30"}

MENTIONS_PROGRESS = (196 - 172) / (240.8 - 172)
SIGNUPS_PROGRESS = 1778 / 5000
VIEWS_PROGRESS = 38000 / 100000
LAUNCH_SCORE = (MENTIONS_PROGRESS + VIEWS_PROGRESS + SIGNUPS_PROGRESS) / 3

_CAMPAIGN_TASKS: list[tuple[str, str, list[str]]] = [
    ("Marketing team develops a roadmap", "done", []),
    ("Meeting and briefing with the creative team", "doing", []),
    ("Create press release", "doing", ["mentions"]),
    ("Press release distributed to targeted media outlets", "todo", []),
    ("Website and social media channels updated with new product info", "todo", []),
    ("Social media ad campaign launched", "todo", []),
    ("Creative team develops videos for new product", "doing", ["youtube-views"]),
    ("YouTube videos launched", "todo", ["youtube-views"]),
    ("Review social media ad campaign metrics", "todo", []),
    ("Retarget social media ad campaign", "todo", []),
    ("Email marketing campaign content created", "doing", ["signups"]),
    ("Email marketing campaign launched", "todo", ["signups"]),
    ("Review email marketing campaign metrics", "todo", []),
    ("Retarget email marketing campaign", "todo", []),
]


def _history(source: str, values: list[tuple[str, float]]) -> list[dict[str, Any]]:
    return [{"at": at, "value": value, "source": source} for at, value in values]


def _kr_tasks(key_result: str) -> list[dict[str, Any]]:
    return [
        {"title": title, "status": status, "project": "campaign"}
        for title, status, linked in _CAMPAIGN_TASKS
        if key_result in linked
    ]


def _no_forecast(reason: str, points: int = 0) -> dict[str, Any]:
    return {
        "value_at_end": None,
        "low": None,
        "high": None,
        "probability": None,
        "needed_per_week": None,
        "rate_per_week": None,
        "points": points,
        "enough_data": False,
        "reason": reason,
    }


def _key_result(**fields: Any) -> dict[str, Any]:
    """A key result with every key of the contract, defaults for those not given."""
    base: dict[str, Any] = {
        "id": None,
        "title": None,
        "owner": None,
        "metric": None,
        "unit": None,
        "direction": "at_least",
        "threshold": False,
        "value": None,
        "target": None,
        "baseline": None,
        "progress": None,
        "attainment": None,
        "status": "no_data",
        "grade": None,
        "confidence": None,
        "note": None,
        "observed_at": None,
        "reason": None,
        "tasks_done": 0,
        "tasks_total": 0,
        "tasks": [],
        "history": [],
        "forecast": _no_forecast("no values yet"),
    }
    unknown = set(fields) - set(base)
    assert not unknown, unknown
    base.update(fields)
    return base


_LAUNCH: dict[str, Any] = {
    "plan": {"key": "okrs", "title": "Acme widget launch", "cycle": CYCLE},
    "at": AT,
    "generated_at": GENERATED_AT,
    "elapsed": 0.5,
    "objectives": [
        {
            "id": "launch-buzz",
            "title": (
                "Stir up a user-generated buzz around the new product launch "
                "that outshines competitors"
            ),
            "owner": "marketing",
            "kind": "aspirational",
            "bar": 0.7,
            "score": LAUNCH_SCORE,
            "grade": "yellow",
            "status": "on_track",
            "expected": 0.35,
            "coverage": 1.0,
            "key_results": [
                _key_result(
                    id="mentions",
                    title="Organic social media mentions up by 40%",
                    owner="marketing",
                    metric="Organic social media mentions",
                    direction="increase",
                    value=196,
                    target=240.8,
                    baseline=172,
                    progress=MENTIONS_PROGRESS,
                    attainment=MENTIONS_PROGRESS,
                    status="on_track",
                    grade="red",
                    observed_at="2026-08-15T23:59:59+00:00",
                    tasks_done=0,
                    tasks_total=1,
                    tasks=_kr_tasks("mentions"),
                    history=_history(
                        "csv",
                        [
                            ("2026-07-07T23:59:59+00:00", 174),
                            ("2026-07-14T23:59:59+00:00", 177),
                            ("2026-07-21T23:59:59+00:00", 181),
                            ("2026-07-28T23:59:59+00:00", 185),
                            ("2026-08-04T23:59:59+00:00", 189),
                            ("2026-08-11T23:59:59+00:00", 192),
                            ("2026-08-15T23:59:59+00:00", 196),
                        ],
                    ),
                    forecast={
                        "value_at_end": 221.6,
                        "low": 209.4,
                        "high": 233.9,
                        "probability": 0.04,
                        "needed_per_week": 6.82,
                        "rate_per_week": 3.78,
                        "points": 7,
                        "enough_data": True,
                        "reason": None,
                    },
                ),
                _key_result(
                    id="youtube-views",
                    title="YouTube video views over 100k",
                    owner="marketing",
                    metric="YouTube video views",
                    direction="at_least",
                    value=38000,
                    target=100000,
                    baseline=0.0,
                    progress=VIEWS_PROGRESS,
                    attainment=VIEWS_PROGRESS,
                    status="on_track",
                    grade="yellow",
                    tasks_done=0,
                    tasks_total=2,
                    tasks=_kr_tasks("youtube-views"),
                    reason="value typed in the file (current), not measured",
                    forecast=_no_forecast("needs at least 3 values in the cycle, has 0"),
                ),
                _key_result(
                    id="signups",
                    title="Pre-release sign-ups over 5k",
                    owner="growth",
                    metric="Pre-release sign-ups",
                    direction="at_least",
                    value=1778,
                    target=5000,
                    baseline=0.0,
                    progress=SIGNUPS_PROGRESS,
                    attainment=SIGNUPS_PROGRESS,
                    status="on_track",
                    grade="yellow",
                    confidence=0.6,
                    note="Email campaign goes out on 20 Aug",
                    observed_at="2026-08-15T23:59:59+00:00",
                    tasks_done=0,
                    tasks_total=2,
                    tasks=_kr_tasks("signups"),
                    history=_history(
                        "sql",
                        [
                            ("2026-07-07T23:59:59+00:00", 180),
                            ("2026-07-14T23:59:59+00:00", 390),
                            ("2026-07-21T23:59:59+00:00", 610),
                            ("2026-07-28T23:59:59+00:00", 850),
                            ("2026-08-04T23:59:59+00:00", 1120),
                            ("2026-08-11T23:59:59+00:00", 1450),
                            ("2026-08-15T23:59:59+00:00", 1778),
                        ],
                    ),
                    forecast={
                        "value_at_end": 4153.2,
                        "low": 3712.0,
                        "high": 4594.5,
                        "probability": 0.02,
                        "needed_per_week": 490.3,
                        "rate_per_week": 361.5,
                        "points": 7,
                        "enough_data": True,
                        "reason": None,
                    },
                ),
            ],
        }
    ],
    "projects": [
        {
            "id": "campaign",
            "title": (
                "A multi-channel marketing campaign to gain widespread exposure "
                "for new product launch"
            ),
            "objective": "launch-buzz",
            "tasks_done": 1,
            "tasks_total": 14,
            "tasks": [
                {
                    "title": title,
                    "status": status,
                    "owner": "marketing",
                    "due": None,
                    "key_results": linked,
                }
                for title, status, linked in _CAMPAIGN_TASKS
            ],
        }
    ],
    "review": {
        "since": "2026-08-01T00:00:00+00:00",
        "at": AT,
        "moved": [
            {
                "key_result": "mentions",
                "before": 185,
                "now": 196,
                "progress_before": (185 - 172) / (240.8 - 172),
                "progress_now": MENTIONS_PROGRESS,
                "change": 11,
            },
            {
                "key_result": "signups",
                "before": 850,
                "now": 1778,
                "progress_before": 0.17,
                "progress_now": SIGNUPS_PROGRESS,
                "change": 928,
            },
        ],
        "at_risk": [],
        "stale": [{"key_result": "youtube-views", "last_observed": None, "grace_days": 7}],
        "missed_check_ins": [{"key_result": "mentions", "last_check_in": None}],
        "activity_without_impact": [],
    },
}


def launch() -> dict[str, Any]:
    """The product launch on 15 August 2026, half-way through the quarter."""
    return copy.deepcopy(_LAUNCH)


def no_review() -> dict[str, Any]:
    """The launch without a review (``"review": null``)."""
    report = launch()
    report["review"] = None
    return report


def no_data() -> dict[str, Any]:
    """A plan whose only key result has no value yet: no score, no history, no forecast."""
    return {
        "plan": {"key": "empty", "title": "Quiet quarter", "cycle": CYCLE},
        "at": "2026-07-02T09:00:00+00:00",
        "generated_at": "2026-07-02T09:00:00+00:00",
        "elapsed": 0.0,
        "objectives": [
            {
                "id": "retention",
                "title": "Customers stay because they love the product",
                "owner": None,
                "kind": "committed",
                "bar": 1.0,
                "score": None,
                "grade": None,
                "status": "no_data",
                "expected": 0.01,
                "coverage": 0.0,
                "key_results": [
                    _key_result(
                        id="nps",
                        title="NPS at least 40",
                        metric="NPS",
                        target=40,
                        reason="no value yet: no measurement, current value or check-in",
                    )
                ],
            }
        ],
        "projects": [],
        "review": None,
    }


def no_objectives() -> dict[str, Any]:
    """A plan with nothing in it yet."""
    report = no_data()
    report["objectives"] = []
    return report


def no_cycle() -> dict[str, Any]:
    """A plan without a cycle: no elapsed share, no expected pace, no forecast end."""
    return {
        "plan": {"key": "support", "title": "Support desk", "cycle": None},
        "at": "2026-05-20T12:00:00+00:00",
        "generated_at": "2026-05-20T12:05:00+00:00",
        "elapsed": None,
        "objectives": [
            {
                "id": "fast-answers",
                "title": "Customers get answers while they still care",
                "owner": "support",
                "kind": "committed",
                "bar": 1.0,
                "score": 0.5,
                "grade": "yellow",
                "status": "on_track",
                "expected": None,
                "coverage": 1.0,
                "key_results": [
                    _key_result(
                        id="first-reply",
                        title="Median first reply from 8 h down to 2 h",
                        metric="Median first reply",
                        unit="h",
                        direction="decrease",
                        value=5,
                        target=2,
                        baseline=8,
                        progress=0.5,
                        attainment=0.5,
                        status="on_track",
                        grade="yellow",
                        observed_at="2026-05-18T00:00:00+00:00",
                        history=_history(
                            "http",
                            [
                                ("2026-04-06T00:00:00+00:00", 7.5),
                                ("2026-04-20T00:00:00+00:00", 6.25),
                                ("2026-05-04T00:00:00+00:00", 5.5),
                                ("2026-05-18T00:00:00+00:00", 5),
                            ],
                        ),
                        forecast=_no_forecast("no cycle: nothing to forecast to", points=4),
                    )
                ],
            }
        ],
        "projects": [],
        "review": None,
    }


def reliability() -> dict[str, Any]:
    """A committed objective with a threshold key result (in %) and a decrease (in ms)."""
    report = launch()
    report["review"] = {
        "since": None,
        "at": AT,
        "moved": [],
        "at_risk": [{"key_result": "page-load", "status": "at_risk"}],
        "stale": [],
        "missed_check_ins": [],
        "activity_without_impact": [
            {"key_result": "page-load", "tasks_done": 2, "tasks_total": 3, "value_change": 0.0}
        ],
    }
    report["objectives"] = [
        {
            "id": "launch-ready",
            "title": "The site holds up under the launch traffic",
            "owner": "platform",
            "kind": "committed",
            "bar": 1.0,
            "score": 0.725,
            "grade": "green",
            "status": "at_risk",
            "expected": 0.5,
            "coverage": 1.0,
            "key_results": [
                _key_result(
                    id="checkout-errors",
                    title="Keep checkout errors below 1%",
                    metric="checkout errors",
                    unit="%",
                    direction="at_most",
                    threshold=True,
                    value=0.6,
                    target=1,
                    progress=1.0,
                    attainment=1.0,
                    status="on_track",
                    grade="green",
                    observed_at="2026-08-15T12:00:00+00:00",
                    history=_history(
                        "http",
                        [
                            ("2026-07-15T12:00:00+00:00", 0.8),
                            ("2026-08-01T12:00:00+00:00", 1.2),
                            ("2026-08-15T12:00:00+00:00", 0.6),
                        ],
                    ),
                    forecast={
                        "value_at_end": 0.55,
                        "low": 0.31,
                        "high": 0.84,
                        "probability": 0.91,
                        "needed_per_week": None,
                        "rate_per_week": -0.03,
                        "points": 3,
                        "enough_data": True,
                        "reason": None,
                    },
                ),
                _key_result(
                    id="page-load",
                    title="Cut p95 page load from 1,400 ms to 800 ms",
                    metric="p95 page load",
                    unit="ms",
                    direction="decrease",
                    value=1130,
                    target=800,
                    baseline=1400,
                    progress=0.45,
                    attainment=0.45,
                    status="at_risk",
                    grade="yellow",
                    observed_at="2026-08-14T00:00:00+00:00",
                    tasks_done=2,
                    tasks_total=3,
                    tasks=[
                        {"title": "Cache product pages", "status": "done", "project": "speed"},
                        {"title": "Lazy-load images", "status": "done", "project": "speed"},
                        {"title": "Move to HTTP/3", "status": "doing", "project": "speed"},
                        {"title": "Rewrite in Rust", "status": "dropped", "project": "speed"},
                    ],
                    history=_history(
                        "http",
                        [
                            ("2026-07-03T00:00:00+00:00", 1390),
                            ("2026-07-17T00:00:00+00:00", 1310),
                            ("2026-07-31T00:00:00+00:00", 1180),
                            ("2026-08-14T00:00:00+00:00", 1130),
                        ],
                    ),
                    forecast={
                        "value_at_end": 964.7,
                        "low": 873.2,
                        "high": 1056.1,
                        "probability": 0.11,
                        "needed_per_week": -50.2,
                        "rate_per_week": -25.1,
                        "points": 4,
                        "enough_data": True,
                        "reason": None,
                    },
                ),
            ],
        },
        *report["objectives"],
    ]
    report["projects"].append(
        {
            "id": "speed",
            "title": "Make the shop fast",
            "objective": "launch-ready",
            "tasks_done": 2,
            "tasks_total": 3,
            "tasks": [
                {
                    "title": "Cache product pages",
                    "status": "done",
                    "owner": "ana",
                    "due": "2026-07-20",
                    "key_results": ["page-load"],
                },
                {
                    "title": "Lazy-load images",
                    "status": "done",
                    "owner": "ana",
                    "due": "2026-08-01",
                    "key_results": ["page-load"],
                },
                {
                    "title": "Move to HTTP/3",
                    "status": "doing",
                    "owner": "li",
                    "due": "2026-09-01",
                    "key_results": ["page-load"],
                },
                {
                    "title": "Rewrite in Rust",
                    "status": "dropped",
                    "owner": None,
                    "due": None,
                    "key_results": ["page-load"],
                },
            ],
        }
    )
    return report


HOSTILE = '<script>alert("x")</script> & <img src=x onerror=alert(1)> | *bold* `code`'


def hostile() -> dict[str, Any]:
    """The launch with every title, owner and note replaced by markup that must stay text."""
    report = launch()
    report["plan"]["title"] = HOSTILE
    report["plan"]["cycle"] = {**CYCLE, "label": "Q3 </title><script>x()</script>"}
    for objective in report["objectives"]:
        objective["title"] = HOSTILE
        objective["owner"] = "<b>owner</b>"
        for key_result in objective["key_results"]:
            key_result["title"] = f"{key_result['id']} {HOSTILE}"
            key_result["note"] = HOSTILE
            key_result["unit"] = "<u>"
            key_result["reason"] = HOSTILE
            for task in key_result["tasks"]:
                task["title"] = HOSTILE
            key_result["forecast"]["reason"] = HOSTILE
    for project in report["projects"]:
        project["title"] = HOSTILE
        for task in project["tasks"]:
            task["title"] = HOSTILE
            task["owner"] = "</li><li>"
    return report


ALL = {
    "launch": launch,
    "no_review": no_review,
    "no_data": no_data,
    "no_objectives": no_objectives,
    "no_cycle": no_cycle,
    "reliability": reliability,
    "hostile": hostile,
}
