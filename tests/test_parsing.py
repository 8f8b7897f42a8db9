import json
from decimal import Decimal
from pathlib import Path

import attrs
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from okrkit import parsing
from okrkit.errors import SentenceError
from okrkit.model import Direction, Target
from okrkit.parsing import MAX_SENTENCE_LENGTH, KeyResultSentence, parse

KEYS = ["metric", "direction", "target", "relative", "baseline", "unit"]


def reading(metric, direction, target, *, baseline=None, unit=None, relative=False):
    return {
        "metric": metric,
        "direction": direction,
        "target": target,
        "relative": relative,
        "baseline": baseline,
        "unit": unit,
    }


def share(metric, direction, target):
    return reading(metric, direction, target, relative=True)


MEASURABLE = [
    # the readings the project promises
    ("YouTube video views over 100k", reading("YouTube video views", "at_least", 100000)),
    ("Pre-release sign-ups over 5k", reading("Pre-release sign-ups", "at_least", 5000)),
    (
        "Organic social media mentions up by 40%",
        share("Organic social media mentions", "increase", 0.4),
    ),
    (
        "Grow MRR from $20k to $35k",
        reading("MRR", "increase", 35000, baseline=20000, unit="USD"),
    ),
    ("Reduce churn to 2%", reading("churn", "decrease", 2, unit="%")),
    (
        "Cut p95 latency from 900ms to 300ms",
        reading("p95 latency", "decrease", 300, baseline=900, unit="ms"),
    ),
    ("Keep uptime above 99.9%", reading("uptime", "at_least", 99.9, unit="%")),
    ("NPS of at least 50", reading("NPS", "at_least", 50)),
    ("Ship 3 case studies", reading("case studies", "at_least", 3)),
    ("1.2M monthly active users", reading("monthly active users", "at_least", 1200000)),
    # numbers: scales, words, separators
    ("Sign-ups over 5,000", reading("Sign-ups", "at_least", 5000)),
    ("Sign-ups over 5\u202f000", reading("Sign-ups", "at_least", 5000)),
    ("Revenue over $1,000,000", reading("Revenue", "at_least", 1000000, unit="USD")),
    ("YouTube views over 1.5 million", reading("YouTube views", "at_least", 1500000)),
    ("Downloads over 2 thousand", reading("Downloads", "at_least", 2000)),
    ("Reach 1 billion impressions", reading("impressions", "at_least", 1000000000)),
    ("1.5B impressions", reading("impressions", "at_least", 1500000000)),
    ("App downloads over 250K", reading("App downloads", "at_least", 250000)),
    ("Grow followers from 1.2k to 3k", reading("followers", "increase", 3000, baseline=1200)),
    # currencies
    ("Revenue over 20k EUR", reading("Revenue", "at_least", 20000, unit="EUR")),
    ("Revenue over EUR 20k", reading("Revenue", "at_least", 20000, unit="EUR")),
    ("Revenue over USD 20k", reading("Revenue", "at_least", 20000, unit="USD")),
    ("Revenue over €20k", reading("Revenue", "at_least", 20000, unit="EUR")),
    ("Revenue over £1.5M", reading("Revenue", "at_least", 1500000, unit="GBP")),
    ("Revenue over ¥2bn", reading("Revenue", "at_least", 2000000000, unit="JPY")),
    ("ARR > €2.5M", reading("ARR", "at_least", 2500000, unit="EUR")),
    ("$1M ARR", reading("ARR", "at_least", 1000000, unit="USD")),
    ("Raise $5m seed", reading("seed", "at_least", 5000000, unit="USD")),
    ("Raise $2M in seed funding", reading("seed funding", "at_least", 2000000, unit="USD")),
    ("Grow MRR from 20k to $35k", reading("MRR", "increase", 35000, baseline=20000, unit="USD")),
    # from X to Y: the numbers give the direction
    (
        "Improve conversion rate from 2% to 3%",
        reading("conversion rate", "increase", 3, baseline=2, unit="%"),
    ),
    ("Reduce churn from 5% to 2%", reading("churn", "decrease", 2, baseline=5, unit="%")),
    ("MRR: $20k → $35k", reading("MRR", "increase", 35000, baseline=20000, unit="USD")),
    (
        "Increase MRR to $35k from $20k",
        reading("MRR", "increase", 35000, baseline=20000, unit="USD"),
    ),
    (
        "Grow from 10 to 50 paying customers",
        reading("paying customers", "increase", 50, baseline=10),
    ),
    (
        "Cut time to first value from 14 days to 3 days",
        reading("time to first value", "decrease", 3, baseline=14, unit="d"),
    ),
    (
        "Decrease mean time to recovery from 4h to 1h",
        reading("mean time to recovery", "decrease", 1, baseline=4, unit="h"),
    ),
    # to X with a verb that says which way
    ("Increase NPS to 50", reading("NPS", "increase", 50)),
    ("Grow 5G coverage to 80%", reading("5G coverage", "increase", 80, unit="%")),
    ("Grow to 5k sign-ups", reading("sign-ups", "increase", 5000)),
    ("Get churn down to 2%", reading("churn", "decrease", 2, unit="%")),
    ("Bring NPS up to 50", reading("NPS", "increase", 50)),
    ("Reduce page load time to 1.5s", reading("page load time", "decrease", 1.5, unit="s")),
    ("Reduce lead time to 3 days", reading("lead time", "decrease", 3, unit="d")),
    ("Lower CAC to $120", reading("CAC", "decrease", 120, unit="USD")),
    ("Grow MRR to $35k per month", reading("MRR per month", "increase", 35000, unit="USD")),
    ("Grow MRR to $35k/month", reading("MRR per month", "increase", 35000, unit="USD")),
    (
        "Increase sign-ups to 5k from organic search",
        reading("sign-ups from organic search", "increase", 5000),
    ),
    # shares and multiples
    ("Churn down by 20%", share("Churn", "decrease", 0.2)),
    ("Reduce churn by 20%", share("churn", "decrease", 0.2)),
    ("Mentions up 40%", share("Mentions", "increase", 0.4)),
    ("Mentions +40%", share("Mentions", "increase", 0.4)),
    ("Mentions -20%", share("Mentions", "decrease", 0.2)),
    ("40% more sign-ups", share("sign-ups", "increase", 0.4)),
    ("30% fewer support tickets", share("support tickets", "decrease", 0.3)),
    ("Reduce support tickets by 25 percent", share("support tickets", "decrease", 0.25)),
    ("Increase sales by 15 per cent", share("sales", "increase", 0.15)),
    ("Grow revenue 20% YoY", share("revenue YoY", "increase", 0.2)),
    ("Double the number of sign-ups", share("number of sign-ups", "increase", 1.0)),
    ("Triple trial starts", share("trial starts", "increase", 2.0)),
    ("Halve churn", share("churn", "decrease", 0.5)),
    ("Cut churn in half", share("churn", "decrease", 0.5)),
    ("Grow MRR 3x", share("MRR", "increase", 2.0)),
    ("Reduce cloud spend by 2x", share("cloud spend", "decrease", 0.5)),
    # comparators
    ("Over 100k YouTube views", reading("YouTube views", "at_least", 100000)),
    ("At least 3 case studies", reading("case studies", "at_least", 3)),
    ("More than 500 paying customers", reading("paying customers", "at_least", 500)),
    ("Less than 2% churn", reading("churn", "at_most", 2, unit="%")),
    ("Fewer than 5 P1 incidents per month", reading("P1 incidents per month", "at_most", 5)),
    ("No more than 2 outages per quarter", reading("outages per quarter", "at_most", 2)),
    ("p95 latency < 300ms", reading("p95 latency", "at_most", 300, unit="ms")),
    ("NPS ≥ 50", reading("NPS", "at_least", 50)),
    ("Error rate <= 1%", reading("Error rate", "at_most", 1, unit="%")),
    ("Bounce rate under 40%", reading("Bounce rate", "at_most", 40, unit="%")),
    ("Cost per lead at most $50", reading("Cost per lead", "at_most", 50, unit="USD")),
    ("Weekly active teams exceeding 1,200", reading("Weekly active teams", "at_least", 1200)),
    ("App Store rating at or above 4.7", reading("App Store rating", "at_least", 4.7)),
    (
        "Customer satisfaction score above 4.5 stars",
        reading("Customer satisfaction score", "at_least", 4.5, unit="stars"),
    ),
    ("5 or fewer P1 incidents", reading("P1 incidents", "at_most", 5)),
    ("3 or more case studies", reading("case studies", "at_least", 3)),
    ("100k+ sign-ups", reading("sign-ups", "at_least", 100000)),
    ("Reduce MTTR to under 1 hour", reading("MTTR", "at_most", 1, unit="h")),
    ("Exceed 100k YouTube views", reading("YouTube views", "at_least", 100000)),
    ("MRR hits $35k", reading("MRR", "at_least", 35000, unit="USD")),
    ("Reach an NPS of 50", reading("NPS", "at_least", 50)),
    # thresholds: stay on the right side at each measurement
    ("Keep churn below 2%", reading("churn", "at_most", 2, unit="%")),
    ("Stay below 2% churn", reading("churn", "at_most", 2, unit="%")),
    ("Churn stays below 2%", reading("Churn", "at_most", 2, unit="%")),
    ("Keep p99 latency under 250 ms", reading("p99 latency", "at_most", 250, unit="ms")),
    ("Maintain a gross margin above 70%", reading("gross margin", "at_least", 70, unit="%")),
    ("Maintain 99.9% uptime", reading("uptime", "at_least", 99.9, unit="%")),
    ("Keep burn below $200k per month", reading("burn per month", "at_most", 200000, unit="USD")),
    # counts of things, with an action verb or none
    ("Hire 2 engineers", reading("engineers", "at_least", 2)),
    ("Sign 10 new customers", reading("new customers", "at_least", 10)),
    ("Reach 100k views on YouTube", reading("views on YouTube", "at_least", 100000)),
    ("Get 1,000 beta users", reading("beta users", "at_least", 1000)),
    ("Generate $500k in pipeline", reading("pipeline", "at_least", 500000, unit="USD")),
    ("99.9% uptime", reading("uptime", "at_least", 99.9, unit="%")),
    ("0 P1 incidents", reading("P1 incidents", "at_most", 0)),
    ("Zero downtime", reading("downtime", "at_most", 0)),
    # deadlines are not targets
    ("Ship 3 case studies by Q3 2026", reading("case studies", "at_least", 3)),
    ("By Q3 2026, ship 3 case studies", reading("case studies", "at_least", 3)),
    ("Reach 10k users in 2026", reading("users", "at_least", 10000)),
    ("Onboard 3 design partners by H2", reading("design partners", "at_least", 3)),
    ("Win 2 enterprise customers in FY26", reading("enterprise customers", "at_least", 2)),
    ("Publish 12 blog posts this quarter", reading("blog posts", "at_least", 12)),
    ("Onboard 10 customers in 30 days", reading("customers", "at_least", 10)),
    ("Increase NPS to 50 by end of Q3", reading("NPS", "increase", 50)),
    ("at least 5k sign-ups by 30 September 2026", reading("sign-ups", "at_least", 5000)),
    ("Grow MRR to $35k by 2026-09-30", reading("MRR", "increase", 35000, unit="USD")),
    ("Q3 2026: revenue over $1M", reading("revenue", "at_least", 1000000, unit="USD")),
    (
        "Reduce churn from 5% to 2% by Q3 2026",
        reading("churn", "decrease", 2, baseline=5, unit="%"),
    ),
    (
        "Grow MRR from $20k in 2025 to $35k in 2026",
        reading("MRR", "increase", 35000, baseline=20000, unit="USD"),
    ),
    (
        "Increase trial-to-paid conversion from 8% to 12% by March 31, 2027",
        reading("trial-to-paid conversion", "increase", 12, baseline=8, unit="%"),
    ),
    # list labels, bullets, full stops and notes around the sentence
    ("KR1: YouTube video views over 100k", reading("YouTube video views", "at_least", 100000)),
    ("- Pre-release sign-ups over 5k.", reading("Pre-release sign-ups", "at_least", 5000)),
    ("Sign-ups over 5k (pre-release)", reading("Sign-ups", "at_least", 5000)),
    ("  YouTube   video views\tover 100k  ", reading("YouTube video views", "at_least", 100000)),
]


@pytest.mark.parametrize(("text", "expected"), MEASURABLE, ids=[c[0] for c in MEASURABLE])
def test_reads_the_target(text, expected):
    sentence = parse(text)
    assert sentence.to_dict() == expected
    assert sentence.measurable
    assert sentence.reason is None
    assert sentence.text == text


def test_numbers_come_back_as_the_types_json_shows():
    data = parse("Grow MRR from $20k to $35k").to_dict()
    assert json.dumps(data) == (
        '{"metric": "MRR", "direction": "increase", "target": 35000, "relative": false, '
        '"baseline": 20000, "unit": "USD"}'
    )
    assert type(parse("Ship 3 case studies").target.value) is int
    assert type(parse("Keep uptime above 99.9%").target.value) is float
    assert type(parse("Double sign-ups").target.value) is float


@pytest.mark.parametrize(
    ("text", "threshold"),
    [
        ("Keep uptime above 99.9%", True),
        ("Keep churn below 2%", True),
        ("Stay below 2% churn", True),
        ("Stay below 2%", True),
        ("Remain under 300ms p95 latency", True),
        ("Maintain NPS of at least 50", True),
        ("Ensure 99.95% availability", True),
        ("Hold churn under 3%", True),
        ("Churn remains below 2%", True),
        ("Churn below 2%", False),
        ("Uptime above 99.9%", False),
        ("Hold 10 customer workshops", False),
    ],
)
def test_keep_stay_maintain_remain_make_a_threshold(text, threshold):
    target = parse(text).target
    assert target is not None
    assert target.threshold is threshold


def test_a_threshold_without_a_metric():
    sentence = parse("Stay below 2%")
    assert sentence.metric is None
    assert sentence.target == Target(2, Direction.AT_MOST, threshold=True)
    assert sentence.unit == "%"


NOT_MEASURABLE = [
    # (text, metric, unit): what is still read when there is no target
    ("Increase customer reach", "customer reach", None),
    ("Create press release", None, None),
    ("Improve NPS", "NPS", None),
    ("Launch the new website", None, None),
    ("Stay under budget", None, None),
    ("Remain cash-flow positive", None, None),
    ("", None, None),
    ("   ", None, None),
    # absolute changes need the starting value
    ("Increase MRR by $10k", "MRR", "USD"),
    ("Mentions +500", "Mentions", None),
    ("NPS up by 10 points", "NPS", None),
    ("Increase conversion by 2 percentage points", "conversion", None),
    ("Add 500 paying customers", "paying customers", None),
    ("Another 3 case studies", "case studies", None),
    # no direction, or directions that disagree
    ("Improve p95 latency to 300ms", "p95 latency", "ms"),
    ("Drive sign-ups to 5k", "sign-ups", None),
    ("Grow MRR from $35k to $20k", "MRR", "USD"),
    ("Reduce churn from 5% to 5%", "churn", "%"),
    ("Grow MRR by -10%", "MRR", None),
    ("Reduce churn by +10%", "churn", None),
    ("Increase churn below 2%", "churn", "%"),
    ("Grow MRR from $20k to €35k", "MRR", None),
    ("Churn down by 150%", "Churn", None),
    ("Mentions up by 0%", "Mentions", None),
    ("Grow MRR by 1x", "MRR", "x"),
    ("Grow revenue to 2x", "revenue", None),
    # a bare number for something where less is better: which way is not said
    ("2% churn", "churn", "%"),
    ("300ms p95 latency", "p95 latency", "ms"),
    ("$10k AWS costs", "AWS costs", "USD"),
    # shapes that are not read on purpose
    ("NPS of 50", None, None),
    ("Conversion rate of 5%", None, None),
    ("Churn to 2%", None, None),
    ("Up to 5 P1 incidents", None, None),
    ("Launch in 3 markets", None, None),
    ("Top 3 ranking for 'okr software'", None, None),
    ("Close 20 enterprise deals worth $50k each", None, None),
    ("Respond to 95% of tickets within 1 hour", None, None),
    ("Increase velocity from 20 to 30 story points", None, None),
    # dates, versions and names are never the target
    ("Launch in 2026", None, None),
    ("Launch by Q3 2026", None, None),
    ("Ship v2.0", None, None),
    ("Improve p95 latency", "p95 latency", None),
    ("2026 revenue over $1M", None, None),
    ("Migrate to Python 3.12", None, None),
    # numbers that cannot be read safely
    ("Sign-ups over 1 000", None, None),
    ("Sign-ups over 5.000", None, None),
    ("Sign-ups over 1,5k", None, None),
    ("Revenue over $1.000.000", None, None),
    ("Ship 5-10 case studies", None, None),
    ("Provide 24/7 support", None, None),
    ("Reach #1 on Product Hunt", None, None),
    ("1/2 of customers on annual plans", None, None),
    ("Grow users to 5m", None, None),
    ("YouTube views over 1e999", None, None),
    ("YouTube views over " + "9" * 400, "YouTube views", None),
    ("YouTube views over " + "9" * 300 + "B", "YouTube views", None),
    ("Grow sign-ups from " + "9" * 400 + " to 5", "sign-ups", None),
]


@pytest.mark.parametrize(
    ("text", "metric", "unit"), NOT_MEASURABLE, ids=[c[0][:60] for c in NOT_MEASURABLE]
)
def test_no_target_rather_than_a_guess(text, metric, unit):
    sentence = parse(text)
    assert sentence.target is None
    assert not sentence.measurable
    assert (sentence.metric, sentence.unit) == (metric, unit)
    assert sentence.reason
    assert sentence.to_dict() == {
        "metric": metric,
        "direction": None,
        "target": None,
        "relative": None,
        "baseline": None,
        "unit": unit,
    }


@pytest.mark.parametrize(
    ("text", "words"),
    [
        ("Increase MRR by $10k", "from X to Y"),
        ("Sign-ups over 1 000", "thousands separator"),
        ("Sign-ups over 5.000", "5,000"),
        ("Grow users to 5m", "5M"),
        ("Improve p95 latency to 300ms", "which way"),
        ("2% churn", "below"),
        ("YouTube views over " + "9" * 400, "too large"),
        ("Ship 5-10 case studies", "ranges"),
    ],
)
def test_the_reason_says_what_to_write(text, words):
    assert words in parse(text).reason


def test_p95_is_a_name_not_a_number():
    sentence = parse("Cut p95 latency from 900ms to 300ms")
    assert sentence.target == Target(300, Direction.DECREASE, baseline=900)
    assert parse("Keep P95 latency low").target is None


def test_the_reason_is_not_part_of_equality():
    read = parse("Increase customer reach")
    assert read == KeyResultSentence("Increase customer reach", "customer reach", None, None)


def test_a_relative_target_resolves_against_the_baseline():
    target = parse("Organic social media mentions up by 40%").target
    assert target.goal(1000) == pytest.approx(1400)
    assert parse("Churn down by 20%").target.goal(5) == pytest.approx(4)


@pytest.mark.parametrize("value", [None, 5, 4.5, b"Sign-ups over 5k", ["Sign-ups over 5k"], True])
def test_anything_but_text_is_a_sentence_error(value):
    with pytest.raises(SentenceError, match="must be text"):
        parse(value)


def test_text_over_the_limit_is_a_sentence_error():
    assert MAX_SENTENCE_LENGTH == 2000
    parse("a" * MAX_SENTENCE_LENGTH)
    with pytest.raises(SentenceError, match="at most 2,000 characters"):
        parse("a" * (MAX_SENTENCE_LENGTH + 1))


PATHOLOGICAL = [
    "over " * 400,
    "1," * 1000,
    "1." * 1000,
    "9" * 2000,
    "$" + "9" * 1999,
    "from 1 to " * 200,
    "Grow MRR from " * 142,
    "Keep " * 400,
    "1.2M " * 400,
    "x" + " 1" * 999,
    "by Q3 " * 333,
    "in 2026 " * 250,
    "Reduce churn " + "to " * 660 + "2%",
    "Grow " + "a " * 995 + "to 5",
    "(" * 2000,
    "%" * 2000,
    "-" * 2000,
    "\x00" * 2000,
    "p95 " * 500,
]


@pytest.mark.parametrize("text", PATHOLOGICAL, ids=[repr(t[:12]) for t in PATHOLOGICAL])
def test_long_awkward_input_returns(text):
    sentence = parse(text[:MAX_SENTENCE_LENGTH])
    assert sentence.target is None


def test_a_long_sentence_is_still_read():
    text = "a" * 1990 + " over 5k"
    assert parse(text).target == Target(5000, Direction.AT_LEAST)


# -- properties ----------------------------------------------------------------------------


@given(st.text())
def test_parse_never_raises_for_text(text):
    if len(text) > MAX_SENTENCE_LENGTH:
        with pytest.raises(SentenceError):
            parse(text)
    else:
        assert isinstance(parse(text), KeyResultSentence)


WORDS = [
    "Grow",
    "Reduce",
    "Keep",
    "Stay",
    "Increase",
    "Cut",
    "Ship",
    "Double",
    "Add",
    "MRR",
    "churn",
    "sign-ups",
    "views",
    "p95",
    "latency",
    "NPS",
    "from",
    "to",
    "by",
    "over",
    "below",
    "at least",
    "no more than",
    "up",
    "down",
    "of",
    "in",
    "Q3",
    "2026",
    "100k",
    "$20k",
    "5%",
    "+40%",
    "-20%",
    "1.2M",
    "3x",
    "900ms",
    "0",
    "zero",
    "1,000",
    "5.000",
    "€",
    "USD",
    "per",
    "month",
    "or more",
    "half",
    "→",
    "(",
    ")",
    ":",
    ",",
    ".",
    "k",
    "1e999",
    "9" * 40,
]


@given(st.lists(st.sampled_from(WORDS), max_size=12).map(" ".join))
def test_parse_never_raises_for_sentence_like_text(text):
    sentence = parse(text)
    data = sentence.to_dict()
    assert json.loads(json.dumps(data, allow_nan=False)) == data
    assert (sentence.target is None) == (sentence.reason is not None)


NOUNS = [
    "YouTube",
    "video",
    "views",
    "organic",
    "sign-ups",
    "weekly",
    "active",
    "users",
    "newsletter",
    "subscribers",
    "paid",
    "accounts",
    "app",
    "downloads",
    "revenue",
    "MRR",
    "NPS",
    "trial",
    "starts",
    "demo",
    "requests",
    "Pre-release",
]
SCALES = {"": 1, "k": 1000, "K": 1000, "M": 10**6, "B": 10**9, " thousand": 1000, " million": 10**6}


DEADLINES = ["", " by Q3 2026", " in 2026", " by end of Q4", " this quarter", " by 2026-09-30"]


@st.composite
def numbers_as_written(draw):
    """A number as a person writes it (5000, 5,000, 12.5, 1.2M, 3 million) and its value."""
    number = draw(st.integers(min_value=1, max_value=999_999))
    scale = draw(st.sampled_from(sorted(SCALES)))
    grouped = "," if draw(st.booleans()) else ""
    if draw(st.booleans()):
        written = f"{number / 10:{grouped}.1f}"
        value = Decimal(number) / 10 * SCALES[scale]
    else:
        written = f"{number:{grouped}d}"
        value = Decimal(number) * SCALES[scale]
    return f"{written}{scale}", float(value)


@given(
    metric=st.lists(st.sampled_from(NOUNS), min_size=1, max_size=5).map(" ".join),
    number=numbers_as_written(),
    deadline=st.sampled_from(DEADLINES),
)
def test_metric_over_a_number_reads_at_least(metric, number, deadline):
    written, value = number
    sentence = parse(f"{metric} over {written}{deadline}")
    assert sentence.metric == metric
    assert sentence.unit is None
    assert sentence.target == Target(value, Direction.AT_LEAST)
    assert sentence.to_dict()["target"] == value


@given(st.text(max_size=200) | st.lists(st.sampled_from(WORDS), max_size=8).map(" ".join))
def test_to_dict_is_json_with_exactly_six_keys(text):
    data = parse(text).to_dict()
    assert list(data) == KEYS
    assert json.loads(json.dumps(data, allow_nan=False)) == data
    assert data["direction"] in (None, *(d.value for d in Direction))
    assert data["relative"] in (None, True, False)


# -- the reference page and the parser agree -------------------------------------------------

PAGE = Path(__file__).parent.parent / "docs" / "reference" / "sentences.md"


def table_rows(heading):
    """The body rows of the first table under `heading` in the sentences page, as cells."""
    section = PAGE.read_text(encoding="utf-8").split(f"\n## {heading}\n", 1)[1]
    rows = [line for line in section.split("\n## ", 1)[0].splitlines() if line.startswith("|")]
    return [[cell.strip() for cell in row.strip("|").split(" | ")] for row in rows[2:]]


EXAMPLES = table_rows("Examples")
NOT_READ = table_rows("What is deliberately not read")


@pytest.mark.parametrize("row", EXAMPLES, ids=[row[0] for row in EXAMPLES])
def test_every_documented_example_reads_as_documented(row):
    sentence, *cells = row
    assert parse(sentence).to_dict() == dict(zip(KEYS, map(json.loads, cells), strict=True))


@pytest.mark.parametrize("row", NOT_READ, ids=[row[0] for row in NOT_READ])
def test_every_documented_refusal_gives_no_target(row):
    sentence = parse(row[0])
    assert sentence.target is None
    assert sentence.reason


def test_the_page_documents_enough():
    assert len(EXAMPLES) >= 30
    assert len(NOT_READ) >= 15


# -- The quick tests that skip work give the readings of doing it all ---------------------------


def clean_every_step(text):
    """`_clean` without its shortcuts: every substitution, every time."""
    text = parsing._GROUP_SPACE.sub(",", text)
    text = parsing._BLANKS.sub(" ", text).strip(parsing._EDGES)
    text = parsing._DASH_MINUS.sub("-", text)
    text = parsing._LABEL.sub("", text)
    if quoted := parsing._QUOTED.match(text):
        text = quoted[1]
    text = parsing._TRAILING_NOTE.sub("", text).strip(parsing._EDGES)
    text = parsing._LEADING_PERIOD.sub("", text)
    text = parsing._DEADLINE.sub(" ", text)
    return parsing._BLANKS.sub(" ", text).strip(parsing._EDGES)


def read_trying_every_rule(text):
    """`_read` without its shortcuts: every rule of the grammar, in order, on both tries."""
    found = parsing._skeleton(text)
    if isinstance(found, parsing._Reading):
        return found
    skeleton, quantities = found
    shorter, tail = parsing._tails(skeleton)
    tries = ((skeleton, ""), (shorter, tail)) if tail else ((skeleton, ""),)
    for rule in parsing._RULES:
        for words, extra in tries:
            match = rule.pattern.fullmatch(words)
            if match is None or parsing._misread(parsing._group(match, "m")):
                continue
            if reading := rule.handler(match, quantities):
                if extra and reading.metric is not None:
                    return attrs.evolve(reading, metric=f"{reading.metric} {extra}")
                return reading
    return None


# Characters that case folding matches to ASCII letters (the Kelvin sign is k, the long s is
# s), spaces and dashes the cleaning steps replace, and pieces of every sentence shape.
ODD = ["\u212a", "\u017f", "\u0130", "\u0131", "\u00a0", "\u202f", "\u2212", "\u2013", "\t", "  "]
SHAPES = [
    *WORDS,
    *ODD,
    "UP",
    "Down by",
    "grows to",
    "rises",
    "Keep",
    "above",
    "KR1:",
    "- ",
    '"',
    "(note)",
    "by end of Q3",
    "per month",
    "YoY",
    "in EMEA",
    "exceed",
    "reach",
    "of",
    "more",
    "additional",
]


@settings(max_examples=1500, deadline=None)
@given(
    st.one_of(
        st.lists(st.sampled_from(SHAPES), max_size=10).map(" ".join),
        st.lists(st.sampled_from(SHAPES), max_size=10).map("".join),
        st.text(max_size=60),
    )
)
def test_the_shortcuts_change_no_reading(text):
    assert parsing._clean(text) == clean_every_step(text)
    reading = parsing._read(text)
    every = read_trying_every_rule(text)
    if every is not None:
        assert reading == every
        assert reading.reason == every.reason
    else:  # no rule fits: _read says why
        assert reading.direction is None
        assert reading.reason


@pytest.mark.parametrize(
    ("text", "direction"),
    [
        ("Mentions UP by 40%", "increase"),  # the rule's words in capitals
        ("Mentions \u212aeep up by 40%", "increase"),  # not ASCII: every rule is tried
        ("Sign-ups over 5k", "at_least"),
        ("Sign-ups 5k 6k 7k", None),  # three numbers: no rule has that many
    ],
)
def test_readings_around_the_shortcuts(text, direction):
    target = parse(text).target
    assert (target.direction.value if target else None) == direction
