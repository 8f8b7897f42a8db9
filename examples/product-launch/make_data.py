"""Make the product launch's example data: ``signups.db`` and ``mentions.csv``, the same every time.

Run it from anywhere: ``python examples/product-launch/make_data.py``. Both files are rewritten
next to this script from seeded random numbers, so they come out identical on every run.

- ``signups.db``: SQLite, table ``signups(id, email, created_at)``, about 4,200 sign-ups from
  2026-06-15 to 2026-09-30 (UTC), more each week as the campaign warms up. At the end of the cycle
  the count falls short of the 5k target.
- ``mentions.csv``: ``posted_at,platform,author,text``, social media mentions from 2026-06-01 to
  2026-09-30: about 170 a week before the cycle, about 230 a week by late September, so the
  "up by 40%" key result ends a little short (about +35%).
"""

# ruff: noqa: INP001, S311  # a script beside its data (not a package); seeded, not secret, random

from __future__ import annotations

import csv
import datetime as dt
import random
import sqlite3
from pathlib import Path

HERE = Path(__file__).resolve().parent
SIGNUPS_SEED = 20260701
MENTIONS_SEED = 20260930
DAY = dt.timedelta(days=1)
PLATFORMS = ("mastodon", "bluesky", "x")
PLATFORM_WEIGHTS = (35, 35, 30)
WEEKDAY_SHAPE = (1.05, 1.1, 1.05, 1.0, 0.95, 0.9, 0.95)  # Monday first; averages 1.0
PHRASES = (
    "Just tried the new Acme widget{s}",
    "The Acme widget is out{s}",
    "Anyone else pre-ordered the Acme widget{s}",
    "Unboxing my Acme widget{s}",
    "Acme widget vs the rest: first impressions{s}",
    "Our team switched to the Acme widget{s}",
    "Saw the Acme widget launch video{s}",
    "Three things I like about the Acme widget{s}",
)
ENDINGS = ("", "!", " - impressed.", " #acmewidget", ", thoughts?", " :)")


def _days(start: dt.date, end: dt.date) -> list[dt.date]:
    return [start + offset * DAY for offset in range((end - start).days + 1)]


def _daily_counts(days: list[dt.date], rate: dict[dt.date, float], rng: random.Random) -> list[int]:
    """Whole counts per day that follow `rate` (with a weekly shape and a little noise).

    The fractions are carried from day to day, so any week's total stays within one of what
    the rate promises: the example's numbers do not hang on a lucky seed.
    """
    counts = []
    carry = 0.0
    for day in days:
        wanted = rate[day] * WEEKDAY_SHAPE[day.weekday()] * rng.uniform(0.92, 1.08) + carry
        count = max(0, round(wanted))
        carry = wanted - count
        counts.append(count)
    return counts


def _moment(day: dt.date, rng: random.Random) -> dt.datetime:
    seconds = rng.randrange(24 * 60 * 60)
    return dt.datetime.combine(day, dt.time(), dt.UTC) + dt.timedelta(seconds=seconds)


def _text(moment: dt.datetime) -> str:
    return moment.strftime("%Y-%m-%dT%H:%M:%SZ")


def make_signups(path: Path, rng: random.Random) -> int:
    """Sign-ups: 15 a day in mid-June, 63 a day by the end of September."""
    days = _days(dt.date(2026, 6, 15), dt.date(2026, 9, 30))
    rate = {day: 15 + 48 * index / (len(days) - 1) for index, day in enumerate(days)}
    moments = sorted(
        _moment(day, rng)
        for day, count in zip(days, _daily_counts(days, rate, rng), strict=True)
        for _ in range(count)
    )
    path.unlink(missing_ok=True)
    with sqlite3.connect(path) as connection:
        connection.execute(
            "CREATE TABLE signups (id INTEGER PRIMARY KEY, email TEXT NOT NULL, "
            "created_at TEXT NOT NULL)"
        )
        connection.execute("CREATE INDEX signups_created_at ON signups (created_at)")
        connection.executemany(
            "INSERT INTO signups (id, email, created_at) VALUES (?, ?, ?)",
            [
                (number, f"user{number:04d}@example.com", _text(moment))
                for number, moment in enumerate(moments, 1)
            ],
        )
    connection.close()
    return len(moments)


def make_mentions(path: Path, rng: random.Random) -> int:
    """Mentions: 170 a week until the cycle starts, then rising to 230 a week by late September."""
    days = _days(dt.date(2026, 6, 1), dt.date(2026, 9, 30))
    start, end = dt.date(2026, 7, 1), dt.date(2026, 9, 30)
    before, after = 170 / 7, 229 / 7
    rate = {
        day: before
        if day < start
        else before + (after - before) * (day - start).days / (end - start).days
        for day in days
    }
    rows = []
    for day, count in zip(days, _daily_counts(days, rate, rng), strict=True):
        for _ in range(count):
            moment = _moment(day, rng)
            platform = rng.choices(PLATFORMS, PLATFORM_WEIGHTS)[0]
            author = f"fan{rng.randrange(1, 1500):04d}"
            text = rng.choice(PHRASES).format(s=rng.choice(ENDINGS))
            rows.append((_text(moment), platform, author, text))
    rows.sort()
    with path.open("w", newline="", encoding="utf-8") as file:
        writer = csv.writer(file, lineterminator="\n")
        writer.writerow(("posted_at", "platform", "author", "text"))
        writer.writerows(rows)
    return len(rows)


def make(folder: Path) -> tuple[int, int]:
    """Write both files into `folder`; return how many sign-ups and mentions they hold."""
    signups = make_signups(folder / "signups.db", random.Random(SIGNUPS_SEED))
    mentions = make_mentions(folder / "mentions.csv", random.Random(MENTIONS_SEED))
    return signups, mentions


def main() -> None:
    signups, mentions = make(HERE)
    print(f"signups.db: {signups} sign-ups; mentions.csv: {mentions} mentions")  # noqa: T201


if __name__ == "__main__":
    main()
