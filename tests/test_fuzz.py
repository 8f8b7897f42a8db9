"""Bad input, generated: the loader and the sentence parser never fail with anything but okrkit's
own errors, and a file error always says where.

The regular suite runs a few thousand examples of each; the long run (about 100,000 each) is

    HYPOTHESIS_PROFILE=fuzz pytest tests/test_fuzz.py -q

The profile only changes the tests of this file: the rest of the suite keeps its own settings.
"""

import datetime as dt
import json
import os
from pathlib import Path

import pytest
import yaml
from hypothesis import HealthCheck, given, reject, settings
from hypothesis import strategies as st

import okrkit
from okrkit import FileFormatError, OkrkitError, SentenceError
from okrkit.files import FIELDS, dumps, loads
from okrkit.parsing import MAX_SENTENCE_LENGTH, parse

EXAMPLE = Path(__file__).parent.parent / "examples" / "product-launch" / "okrs.yaml"
SEED = EXAMPLE.read_text(encoding="utf-8")
SEED_JSON = json.dumps(yaml.safe_load(SEED), indent=2, default=str)

# -- Budgets --------------------------------------------------------------------------------

settings.register_profile(
    "fuzz",
    max_examples=100_000,
    deadline=dt.timedelta(seconds=5),  # an input this slow is a finding too
    suppress_health_check=list(HealthCheck),
    print_blob=True,
)
LONG_RUN = os.environ.get("HYPOTHESIS_PROFILE") == "fuzz"


def budget(examples: int) -> settings:
    """`examples` in the regular suite; the fuzz profile's count in the long run."""
    if LONG_RUN:
        return settings(settings.get_profile("fuzz"))
    return settings(
        max_examples=examples,
        deadline=None,
        suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large],
    )


# -- What every input must satisfy ----------------------------------------------------------

MOMENTS = [
    dt.datetime(2026, 8, 15, 12, tzinfo=dt.UTC),
    dt.datetime(1970, 1, 1, tzinfo=dt.UTC),
    dt.datetime(9999, 12, 30, tzinfo=dt.UTC),
]
# Errors about the file as a whole: there is no line to point at.
WHOLE_FILE = ("the file is empty", "more than the limit of")


def check_file_error(error: FileFormatError, path: str) -> None:
    location = error.location
    assert location.path == path, str(error)
    if not any(words in error.message for words in WHOLE_FILE):
        assert location.line is not None, f"no line in: {error}"
        assert location.line >= 1, str(error)
    if location.column is not None:
        assert location.column >= 1, str(error)
    assert str(error).startswith(f"{path}:"), str(error)


def check_loads(data: str | bytes, path: str = "f.yaml") -> okrkit.Plan | None:
    """Load `data` both ways; on success lint, score and write the plan; return it."""
    try:
        plan = loads(data, path=path, strict=False)
    except FileFormatError as error:
        check_file_error(error, path)
        return None
    except OkrkitError:
        return None
    for moment in MOMENTS:
        okrkit.score(plan, moment)
    okrkit.lint(plan)
    dumps(plan)
    dumps(plan, "json")
    try:
        loads(data, path=path)
    except FileFormatError as error:
        check_file_error(error, path)
    except OkrkitError:
        pass
    return plan


# -- The sentence parser --------------------------------------------------------------------

# Words of the sentence grammar, numbers in every form it reads or refuses, odd spaces.
GRAMMAR = (
    "over above under below at least most more less than from to by up down of in per or "
    "and reduce grow increase cut keep stay double halve reach hit exceed ship launch the a "
    "Q3 2026 H1 FY26 end by 2026-07-01 yoy qoq KR1: - * \u2022 % pp ms s h x \xd7 k K M B "
    "bn mn m b million thousand billion USD EUR $ \u20ac \xa3 \xa5 \u20b9 US$ 5 5k 5,000 "
    "5.000 1.2M 0 .5 99.9% +40% -20% \u22125 1e9 2019 10,00 00 12345678901234567890 \u2192 "
    "-> => \u2265 \u2264 ( ) \" ' "
)
WORDS = [
    *GRAMMAR.split(),
    *["\u202f", "\u00a0", "\x00", "\n", "\t", " "],
]
sentences = st.one_of(
    st.text(max_size=300),
    st.lists(st.sampled_from(WORDS), max_size=25).map(" ".join),
    st.lists(st.one_of(st.sampled_from(WORDS), st.text(max_size=3)), max_size=40).map("".join),
    st.text(alphabet=st.sampled_from("0123456789.,kKMB%$€ -+"), max_size=60),
)


@budget(2500)
@given(sentences)
def test_parse_never_raises_for_text(text):
    reading = parse(text)
    assert reading.text == text
    reading.to_dict()
    if reading.target is None:
        assert reading.reason
    else:
        assert reading.target.value == reading.target.value  # not NaN
        assert reading.measurable


@budget(100)
@given(st.text(min_size=MAX_SENTENCE_LENGTH - 5, max_size=MAX_SENTENCE_LENGTH + 5))
def test_parse_refuses_only_text_too_long(text):
    if len(text) > MAX_SENTENCE_LENGTH:
        with pytest.raises(SentenceError, match=f"{MAX_SENTENCE_LENGTH:,} characters"):
            parse(text)
    else:
        assert parse(text).text == text


@budget(100)
@given(st.one_of(st.none(), st.integers(), st.floats(), st.binary(), st.lists(st.text())))
def test_parse_refuses_what_is_not_text_with_a_sentence_error(value):
    with pytest.raises(SentenceError, match="must be text"):
        parse(value)


# -- The loader: anything at all --------------------------------------------------------------


@budget(1500)
@given(st.binary(max_size=400), st.sampled_from(["f.yaml", "f.json"]))
def test_any_bytes(data, path):
    check_loads(data, path)


@budget(1500)
@given(st.text(max_size=400), st.sampled_from(["f.yaml", "f.json"]))
def test_any_text(text, path):
    check_loads(text, path)


# -- The loader: the seed file, mutated ------------------------------------------------------

ALIAS_BOMB = "".join(
    f"x{level}: &x{level} [{', '.join([f'*x{level - 1}'] * 10)}]\n" for level in range(1, 10)
)
SNIPPETS = [
    ": ",
    "- ",
    "-",
    "[",
    "]",
    "{",
    "}",
    ",",
    "?",
    "&a ",
    "*a",
    "&a [1, 2] ",
    "<<: *a",
    "!!python/object/apply:os.system ['touch /tmp/okrkit-fuzz-marker'] ",
    "!!python/object:builtins.dict {} ",
    "!!binary aGVsbG8= ",
    "!!set {a, b} ",
    "!!omap [a: 1] ",
    "!custom x ",
    "!!str ",
    "!!int ",
    "!!float ",
    "!!bool ",
    "!!null ",
    "!!timestamp ",
    "!!map ",
    "!!seq ",
    "!!pairs ",
    "!!merge ",
    "!!value ",
    "1e400",
    "1.0e+400",
    "-1.0e+400",
    ".inf",
    "-.inf",
    ".nan",
    str(10**100),
    str(10**400),
    "0x_",
    "0b1_",
    "1:59:59",
    "._",
    "2026-02-30",
    "0000-01-01",
    "9999-12-31",
    "2026-07-01 25:00:00",
    "2026-07-01T10:00:00+99:00",
    "~",
    "null",
    "yes",
    "true",
    "'",
    '"',
    "#",
    "|\n",
    ">-\n",
    "---\n",
    "...\n",
    "%YAML 1.1\n",
    "%TAG ! tag:evil,2000:\n",
    "\t",
    "\n",
    "\r\n",
    "\x00",
    "\x85",
    "\u2028",
    "\ufeff",
    "\U0001f600",
    "x" * 2100,
    "[" * 60 + "]" * 60,
    "{a: " * 60 + "}" * 60,
    "[" * 1200,
    ALIAS_BOMB,
    "\n" + ALIAS_BOMB,
    "extra: 1\n",
    "  unknown_field: [1, 2]\n",
    "      - {id: dup, title: X over 5}\n",
    "        weight: 1.0e+308\n",
    "        current: -1.0e+308\n",
    "        target: 1.0e+308\n",
    "        baseline: -1.0e+308\n",
    "        target: '+1e308%'\n",
    "    weight: 0\n",
    "    kind: aspirational\n",
    "cycle: 9999-Q4\n",
    "cycle: {start: 2026-07-01, end: 2026-06-01}\n",
]
TYPED_VALUES = [
    "[]",
    "{}",
    "[a, [b, {c: d}]]",
    "{connector: x}",
    "7",
    "-7",
    "0",
    "1.5",
    "1.0e+300",
    str(10**100),
    "true",
    "~",
    "''",
    "2026-07-01",
    "*a",
    "&a x",
]


@st.composite
def mutated(draw, seed: str) -> str:
    text = seed
    for _ in range(draw(st.integers(1, 6))):
        kind = draw(
            st.sampled_from(
                ["flip", "delete", "insert", "snippet", "swap", "duplicate", "line", "nest"]
            )
        )
        at = draw(st.integers(0, len(text)))
        if kind == "flip" and text:
            at = min(at, len(text) - 1)
            text = text[:at] + draw(st.characters()) + text[at + 1 :]
        elif kind == "delete":
            text = text[:at] + text[at + draw(st.integers(1, 40)) :]
        elif kind == "insert":
            text = text[:at] + draw(st.text(max_size=8)) + text[at:]
        elif kind == "snippet":
            text = text[:at] + draw(st.sampled_from(SNIPPETS)) + text[at:]
        elif kind in ("swap", "duplicate", "line"):
            lines = text.split("\n")
            index = draw(st.integers(0, len(lines) - 1))
            line = lines[index]
            if kind == "swap" and ":" in line:  # a value of another kind
                key = line.split(":", 1)[0]
                lines[index] = f"{key}: {draw(st.sampled_from(TYPED_VALUES))}"
            elif kind == "duplicate":  # a key twice
                lines.insert(index, line)
            else:  # a field nobody knows, at the indentation of a neighbour
                indent = line[: len(line) - len(line.lstrip())]
                lines.insert(index, f"{indent}{draw(st.sampled_from(['titel', 'x', 'id']))}: 1")
            text = "\n".join(lines)
        elif kind == "nest":
            depth = draw(st.integers(1, 120))
            text = text[:at] + "[" * depth + "x" + "]" * depth + text[at:]
    return text


@st.composite
def encoded(draw, text: str) -> str | bytes:
    how = draw(st.sampled_from(["text", "utf-8", "utf-8-sig", "utf-16", "bytes"]))
    if how == "text":
        return text
    if how == "bytes":  # valid UTF-8 with some bytes changed
        data = bytearray(text.encode("utf-8", "surrogatepass"))
        for _ in range(draw(st.integers(1, 3))):
            if data:
                data[draw(st.integers(0, len(data) - 1))] = draw(st.integers(0, 255))
        return bytes(data)
    return text.encode(how, "surrogatepass")


@budget(2000)
@given(st.data())
def test_the_seed_mutated(data):
    text = data.draw(mutated(SEED))
    check_loads(data.draw(encoded(text)), "f.yaml")


@budget(500)
@given(st.data())
def test_the_seed_as_json_mutated(data):
    text = data.draw(mutated(SEED_JSON))
    check_loads(data.draw(encoded(text)), "f.json")


# -- The loader: documents of random structure ----------------------------------------------

NUMBERS = st.one_of(
    st.integers(-1000, 10**6),
    st.floats(-1e6, 1e6),
    st.sampled_from([0, 0.7, 10**15, 10**100, 10**300, -(10**300), 2**53 + 1]),
    st.sampled_from([1e308, -1e308, 5e-324, 1.7976931348623157e308, 1e-300]),
    st.floats(),
)
SCALARS = st.one_of(
    st.none(),
    st.booleans(),
    NUMBERS,
    st.text(max_size=20),
    st.dates(),
    st.datetimes(),
)
# A value of the wrong kind: any scalar, or a small list or mapping.
WRONG = st.one_of(
    SCALARS,
    st.sampled_from([[], {}, [1, [2]], {"a": {"b": 1}}, ["x"], "9999-Q4", "bold", "up", "later"]),
)
SETTINGS = st.recursive(
    SCALARS,
    lambda inner: st.one_of(
        st.lists(inner, max_size=3),
        st.dictionaries(st.one_of(st.text(max_size=6), st.integers()), inner, max_size=3),
    ),
    max_leaves=8,
)
IDS = st.one_of(
    st.sampled_from(["a", "b", "c", "o", "p"]),
    st.from_regex(r"[a-z][a-z0-9\-]{0,6}", fullmatch=True),
)
KNOWN_TITLES = st.sampled_from(
    [
        "Sign-ups over 5k",
        "Cut churn from 5% to 2%",
        "Organic social media mentions up by 40%",
        "Keep uptime above 99.9%",
        "Grow MRR from $20k to $35k",
        "Reduce p95 latency to 300ms",
        "Double weekly active users",
        "Increase customer reach",
    ]
)
TITLES = st.integers(0, 5).flatmap(
    lambda pick: (
        st.lists(st.sampled_from(WORDS), max_size=8).map(" ".join)
        if pick == 0
        else st.text(min_size=1, max_size=40)
        if pick == 1
        else KNOWN_TITLES
    )
)
GOOD = {
    "id": IDS,
    "title": TITLES,
    "cycle": st.sampled_from(["2026-Q3", "2026", "2026-H1", "2026-07", "2026-07-01..2026-09-30"]),
    "kind": st.sampled_from(["committed", "aspirational"]),
    "direction": st.sampled_from(["increase", "decrease", "at_least", "at most"]),
    "status": st.sampled_from(["todo", "doing", "done", "dropped"]),
    "target": st.one_of(NUMBERS, st.sampled_from(["+40%", "-20%", "+0%", "+1e400%", "lots"])),
    "weight": st.one_of(st.integers(0, 5), st.floats(0, 1e300)),
    "baseline": NUMBERS,
    "current": NUMBERS,
    "threshold": st.booleans(),
    "done": st.booleans(),
    "due": st.dates(),
    "source": st.fixed_dictionaries(
        {"connector": IDS}, optional={"query": SETTINGS, "n": SETTINGS}
    ),
    "parent": IDS,
    "objective": IDS,
    "lint": st.fixed_dictionaries({"disable": st.lists(st.sampled_from(["OKR101", "x"]))}),
}


# How often a value is of the wrong kind, or a field is missing or unknown, in one document:
# never, 1 in 40, 1 in 8. One rate per document, so that many documents are almost right.
WRONG_RATE = st.shared(st.sampled_from([0, 0, 40, 8]), key="wrong-rate")


@st.composite
def wrong(draw) -> bool:
    rate = draw(WRONG_RATE)
    return bool(rate) and draw(st.integers(1, rate)) == 1


USUAL = frozenset(["id", "title", "target", "objectives", "key_results", "projects", "tasks"])


@st.composite
def part(draw, name: str, children: dict[str, st.SearchStrategy]) -> dict:
    """A mapping of the part's fields: the required ones, some others, mostly of the right kind."""
    fields = {}
    for key in FIELDS[name]:
        present = draw(wrong()) != (key in USUAL) or draw(st.booleans())
        if present:
            good = children.get(key, GOOD.get(key, st.text(min_size=1, max_size=12)))
            fields[key] = draw(WRONG if draw(wrong()) else good)
    if draw(wrong()):
        fields[draw(st.sampled_from(["titel", "unknown", "Title"]))] = draw(WRONG)
    return fields


KEY_RESULTS = part("key_result", {})
OBJECTIVES = part("objective", {"key_results": st.lists(KEY_RESULTS, max_size=3)})
TASKS = st.one_of(part("task", {"key_results": st.lists(IDS, max_size=2)}), st.text(max_size=9))
PROJECTS = part("project", {"tasks": st.lists(TASKS, max_size=3)})
PLANS = part(
    "plan",
    {
        "objectives": st.lists(OBJECTIVES, max_size=3),
        "projects": st.lists(PROJECTS, max_size=2),
        "cycle": st.one_of(
            GOOD["cycle"],
            st.fixed_dictionaries(
                {
                    "start": st.dates(dt.date(2026, 1, 1), dt.date(2026, 12, 31)),
                    "end": st.dates(dt.date(2026, 6, 1), dt.date(2027, 6, 1)),
                },
                optional={"label": st.text(max_size=5)},
            ),
        ),
    },
)


def written(data, how: str) -> str:
    if how == "json":
        return json.dumps(data, default=str)
    return yaml.safe_dump(data, default_flow_style=how == "flow", allow_unicode=True)


@budget(300)
@given(PLANS, st.sampled_from(["block", "flow", "json"]))
def test_documents_of_random_structure(data, how):
    try:
        text = written(data, how)
    except (ValueError, OverflowError):
        reject()  # PyYAML or json cannot write this value: not the loader's business
    check_loads(text, "f.json" if how == "json" else "f.yaml")


@budget(250)
@given(st.lists(st.sampled_from(["k1", "k2", "k3"]), min_size=1, max_size=6), st.data())
def test_shared_parts_become_aliases(names, data):
    """The same object twice in the data is written once with an anchor and then as an alias."""
    shared = data.draw(st.one_of(KEY_RESULTS, st.lists(IDS, max_size=3), SETTINGS))
    document = {
        "objectives": [
            {"id": f"o{index}", "title": name, "key_results": [shared, shared]}
            for index, name in enumerate(names)
        ],
        "projects": [{"id": "p", "title": "P", "tasks": [{"title": "T", "key_results": shared}]}],
    }
    check_loads(written(document, data.draw(st.sampled_from(["block", "flow"]))))


def test_every_plan_that_loads_is_scored_linted_and_written():
    """The check itself, on the seed: a plan that loads goes through score, lint and dumps."""
    plan = check_loads(SEED)
    assert plan is not None
    assert [o.id for o in plan.objectives] == ["launch-buzz"]
    assert check_loads(SEED_JSON, "f.json") == plan
