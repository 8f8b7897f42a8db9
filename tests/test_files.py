import datetime as dt
import json
import textwrap
from pathlib import Path

import pytest
import yaml
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

import okrkit
from okrkit import Direction, FileFormatError, Kind, PlanError, TaskStatus
from okrkit.files import (
    FIELDS,
    _Limits,
    _LocatedDict,
    _LocatedList,
    _NotedPositions,
    _read_composed_yaml,
    _read_plain_yaml,
    _read_yaml,
    dumps,
    loads,
    to_data,
)

EXAMPLE = Path(__file__).parent.parent / "examples" / "product-launch" / "okrs.yaml"


def _yaml(text: str, **kwargs) -> okrkit.Plan:
    return loads(textwrap.dedent(text), path="okrs.yaml", **kwargs)


def _error(text: str, **kwargs) -> FileFormatError:
    with pytest.raises(FileFormatError) as caught:
        _yaml(text, **kwargs)
    return caught.value


class TestExample:
    def test_the_seed_loads_with_the_right_targets(self):
        plan = okrkit.load(EXAMPLE)
        assert plan.title == "Acme widget launch"
        assert str(plan.cycle) == "2026-Q3"
        objective = plan.objective("launch-buzz")
        assert objective.kind is Kind.ASPIRATIONAL
        assert objective.owner == "marketing"
        assert objective.cycle == plan.cycle  # inherited from the file

        mentions = plan.key_result("mentions").target
        assert mentions is not None
        assert (mentions.direction, mentions.relative, mentions.value) == (
            Direction.INCREASE,
            True,
            0.4,
        )
        assert mentions.baseline is None  # measured by the first refresh, from the CSV
        assert mentions.goal(172) == pytest.approx(240.8)

        views = plan.key_result("youtube-views").target
        assert views is not None
        assert (views.direction, views.value, views.relative) == (
            Direction.AT_LEAST,
            100_000,
            False,
        )
        signups = plan.key_result("signups").target
        assert signups is not None
        assert (signups.direction, signups.value) == (Direction.AT_LEAST, 5000)
        assert plan.key_result("youtube-views").metric == "YouTube video views"

        source = plan.key_result("youtube-views").source
        assert source is not None
        assert source["connector"] == "youtube"
        assert source["videos"] == ("ACMEVIDEO01", "ACMEVIDEO02")

        campaign = plan.project("campaign")
        assert len(campaign.tasks) == 14
        assert [t.title for t in campaign.tasks if t.status is TaskStatus.DONE] == [
            "Marketing team develops a roadmap"
        ]
        assert [t.title for t in plan.tasks_for("youtube-views")] == [
            "Creative team develops videos for new product",
            "YouTube videos launched",
        ]

    def test_positions_point_at_the_lines_in_the_file(self):
        plan = okrkit.load(EXAMPLE)
        lines = EXAMPLE.read_text().splitlines()
        source_map = plan.source_map
        assert source_map is not None
        assert source_map.path == str(EXAMPLE)
        line, column = source_map.position("/objectives/0/key_results/1/title")
        assert "title: YouTube video views over 100k" in lines[line - 1]
        assert lines[line - 1][column - 1 :].startswith("title:")
        line, _ = source_map.position("/projects/0/tasks/2")
        assert "Create press release" in lines[line - 1]

    def test_round_trip_of_the_seed(self):
        plan = okrkit.load(EXAMPLE)
        assert loads(dumps(plan)) == plan
        assert loads(dumps(plan, "json"), format="json") == plan
        # the seed's own style survives: targets stay in the sentences, done stays a flag
        data = to_data(plan)
        assert "target" not in data["objectives"][0]["key_results"][1]
        assert data["projects"][0]["tasks"][0] == {
            "title": "Marketing team develops a roadmap",
            "done": True,
        }

    def test_dump_to_a_file_and_back(self, tmp_path):
        plan = okrkit.load(EXAMPLE)
        for name in ("okrs.yaml", "okrs.json"):
            okrkit.dump(plan, tmp_path / name)
            assert okrkit.load(tmp_path / name) == plan
        assert json.loads((tmp_path / "okrs.json").read_text())["cycle"] == "2026-Q3"


class TestTargetsFromTheFile:
    def test_file_fields_go_on_top_of_the_sentence(self):
        plan = _yaml("""
            cycle: 2026-Q3
            objectives:
              - id: o
                title: Make money
                key_results:
                  - {id: a, title: Grow MRR from $20k to $35k, target: 40000}
                  - {id: b, title: Grow monthly recurring revenue, target: 35000, baseline: 20000}
                  - {id: c, title: Cut costs, target: 100, baseline: 200}
                  - {id: d, title: Paying customers, target: 300}
                  - {id: e, title: Refund rate, target: "-20%", baseline: 5}
                  - {id: f, title: Organic mentions up by 40%, target: "+50%"}
                  - {id: g, title: Keep uptime above 99.9%, threshold: false}
                  - {id: h, title: Uptime, target: 99.5, direction: at least, threshold: true}
        """)
        a = plan.key_result("a").target
        assert (a.value, a.baseline, a.direction) == (40000, 20000, Direction.INCREASE)
        assert plan.key_result("a").unit == "USD"
        b = plan.key_result("b").target
        assert (b.value, b.baseline, b.direction) == (35000, 20000, Direction.INCREASE)
        assert plan.key_result("c").target.direction is Direction.DECREASE
        assert plan.key_result("d").target.direction is Direction.AT_LEAST
        e = plan.key_result("e").target
        assert (e.value, e.relative, e.direction, e.goal()) == (0.2, True, Direction.DECREASE, 4.0)
        f = plan.key_result("f").target
        assert (f.value, f.relative, f.direction) == (0.5, True, Direction.INCREASE)
        assert plan.key_result("g").target.threshold is False
        h = plan.key_result("h").target
        assert (h.value, h.direction, h.threshold) == (99.5, Direction.AT_LEAST, True)

    def test_no_target_is_not_a_guess(self):
        plan = _yaml("""
            objectives:
              - id: o
                title: Grow
                key_results: [{id: reach, title: Increase customer reach}]
        """)
        assert plan.key_result("reach").target is None

    def test_direction_without_a_target_is_an_error(self):
        error = _error("""
            objectives:
              - id: o
                title: Grow
                key_results:
                  - id: reach
                    title: Increase customer reach
                    direction: increase
        """)
        assert error.location.line == 6
        assert "no target" in error.message


KR_PREFIX = "objectives:\n  - id: o\n    title: t\n    key_results:\n      - "


class TestErrors:
    def test_malformed_yaml_gives_line_and_column(self):
        error = _error("""
            objectives:
              - id: o
                title: [unclosed
        """)
        assert error.location.path == "okrs.yaml"
        assert error.location.line is not None
        assert str(error).startswith("okrs.yaml:")
        assert "not valid YAML" in str(error)

    def test_unknown_field_suggests_the_right_one(self):
        error = _error("""
            objectives:
              - id: o
                title: Grow
                key_results:
                  - id: k
                    titel: Sign-ups over 5k
        """)
        assert (error.location.line, error.location.column) == (7, 9)
        assert "unknown field 'titel'" in str(error)
        assert "did you mean 'title'?" in str(error)

    @pytest.mark.parametrize(
        ("body", "line", "words"),
        [
            ("objectives: {id: o}", 2, "'objectives' should be a list, got a mapping"),
            ("objectives:\n  - id: o", 3, "missing required field 'title'"),
            (
                "objectives:\n  - [a, b]",
                3,
                "objective #0 should be a mapping of fields, got a list",
            ),
            ("cycle: 2026-Q5", 2, "cannot read '2026-Q5'"),
            ("cycle: {start: 2026-07-01}", 2, "cycle end should be a date"),
            ("objectives:\n  - {id: o, title: t, weight: -2}", 3, "must be zero or more"),
            (
                "objectives:\n  - {id: o, title: t, weight: heavy}",
                3,
                "'weight' should be a finite number",
            ),
            (
                "objectives:\n  - {id: o, title: t, kind: bold}",
                3,
                "must be one of committed, aspirational",
            ),
            ("objectives:\n  - {id: 'o o', title: t}", 3, "not a valid id"),
            (
                KR_PREFIX + "{id: k, title: X over 5, target: lots}",
                6,
                "is not a number or a relative change",
            ),
            (
                KR_PREFIX + "{id: k, title: X over 5, source: sql}",
                6,
                "source should be a mapping",
            ),
            (
                KR_PREFIX + "{id: k, title: X over 5, source: {query: x}}",
                6,
                "needs a 'connector'",
            ),
            (
                "projects:\n  - {id: p, title: P, tasks: [{title: T, due: tomorrow}]}",
                3,
                "due should be a date",
            ),
            (
                "projects:\n  - {id: p, title: P, tasks: [{title: T, done: true, status: todo}]}",
                3,
                "contradicts",
            ),
            (
                "projects:\n  - {id: p, title: P, tasks: [{title: T, done: maybe}]}",
                3,
                "should be true or false",
            ),
            ("lint: [OKR101]", 2, "lint settings should be"),
            ("- just\n- a list", 2, "the file should be a mapping of fields, got a list"),
        ],
    )
    def test_wrong_fields_say_where_and_what(self, body, line, words):
        error = _error("\n" + body + "\n")
        assert error.location.line == line, str(error)
        assert words in str(error)

    def test_duplicate_keys_are_refused(self):
        error = _error("""
            title: one
            title: two
        """)
        assert error.location.line == 3
        assert "duplicate key 'title' (first on line 2)" in str(error)

    def test_empty_file(self):
        assert "the file is empty" in str(_error(""))

    def test_python_objects_are_never_constructed(self):
        error = _error("""
            title: !!python/object/apply:os.system ["echo hacked"]
        """)
        assert "not valid YAML" in str(error)

    def test_not_utf8(self):
        with pytest.raises(FileFormatError, match="not UTF-8"):
            loads(b"title: caf\xe9\n", path="okrs.yaml")

    def test_missing_file_and_directory(self, tmp_path):
        with pytest.raises(FileFormatError, match=r"missing\.yaml: no such file"):
            okrkit.load(tmp_path / "missing.yaml")
        with pytest.raises(FileFormatError, match="is a directory"):
            okrkit.load(tmp_path)

    def test_bad_references_list_every_one_with_lines(self):
        text = """
            objectives:
              - id: o
                title: Grow
                key_results: [{id: k, title: X over 5}]
            projects:
              - id: p
                title: P
                objective: ghost
                tasks:
                  - {title: T, key_results: [k, nope]}
        """
        with pytest.raises(PlanError) as caught:
            _yaml(text)
        message = str(caught.value)
        assert "okrs.yaml:9:5: project 'p' serves objective 'ghost'" in message
        assert "okrs.yaml:11:37: task 'T' in project 'p' points at key result 'nope'" in message
        assert len(caught.value.problems) == 2
        plan = _yaml(text, strict=False)  # lint reads leniently and reports them itself
        assert len(plan.problems()) == 2


class TestJson:
    def test_json_with_positions(self):
        text = json.dumps(
            {
                "cycle": "2026-Q3",
                "objectives": [
                    {
                        "id": "o",
                        "title": "Grow",
                        "key_results": [{"id": "k", "title": "Sign-ups over 5k"}],
                    }
                ],
            },
            indent=2,
        )
        plan = loads(text, path="okrs.json")
        assert plan.key_result("k").target.value == 5000
        assert plan.source_map.position("/objectives/0/key_results/0/title")[0] == 10

    def test_json_numbers_are_read_as_json_not_yaml(self):
        # PyYAML (YAML 1.1) reads 1e-09 as text; values must come from the JSON parser
        text = (
            '{"objectives": [{"id": "o", "title": "t", "key_results": '
            '[{"id": "k", "title": "Error rate", "target": 1e-09, "direction": "at_most"}]}]}'
        )
        plan = loads(text, path="okrs.json")
        assert plan.key_result("k").target.value == 1e-09
        assert plan.source_map.position("/objectives/0/key_results/0") == (1, 59)

    def test_yaml_floats_round_trip(self):
        plan = loads(
            "objectives:\n  - id: o\n    title: t\n    key_results:\n"
            "      - {id: k, title: Error rate, target: 1.0e-09, direction: at_most}\n"
        )
        assert loads(dumps(plan)) == plan

    def test_json_syntax_error(self):
        with pytest.raises(FileFormatError) as caught:
            loads('{"cycle": "2026-Q3",\n "objectives": [}', path="okrs.json")
        assert (caught.value.location.line, caught.value.location.column) == (2, 17)

    def test_json_duplicate_keys(self):
        with pytest.raises(FileFormatError, match="duplicate key 'title'"):
            loads('{"title": "a", "title": "b"}', path="okrs.json")


# -- Round trips of generated files -----------------------------------------------------------

ids = st.from_regex(r"[a-z][a-z0-9\-]{0,8}", fullmatch=True)
titles = st.text(
    alphabet=st.characters(codec="utf-8", exclude_categories=("Cs", "Cc")), min_size=1, max_size=40
).filter(lambda s: s.strip())
numbers = st.one_of(
    st.integers(-(10**9), 10**9), st.floats(-1e9, 1e9, allow_nan=False, allow_infinity=False)
)
sentences = st.one_of(
    titles,
    st.builds(
        lambda m, n: f"{m} over {n}",
        st.sampled_from(["Sign-ups", "Views", "MRR"]),
        st.integers(1, 10**6),
    ),
    st.just("Organic social media mentions up by 40%"),
    st.just("Cut p95 latency from 900ms to 300ms"),
    st.just("Keep uptime above 99.9%"),
)


@st.composite
def key_results(draw, identifier):
    data = {"id": identifier, "title": draw(sentences)}
    if draw(st.booleans()):
        data["target"] = draw(numbers)
        if draw(st.booleans()):
            data["direction"] = draw(st.sampled_from([d.value for d in Direction]))
    if draw(st.booleans()):
        data["baseline"] = draw(numbers)
        data.setdefault("target", draw(numbers))
    for key, strategy in (("current", numbers), ("owner", titles), ("weight", st.integers(0, 5))):
        if draw(st.booleans()):
            data[key] = draw(strategy)
    if draw(st.booleans()):
        data["source"] = {
            "connector": draw(ids),
            "videos": draw(st.lists(ids, max_size=3)),
            "n": draw(numbers),
        }
    return data


@st.composite
def plans(draw):
    kr_ids = draw(st.lists(ids, min_size=0, max_size=6, unique=True))
    objective_ids = draw(st.lists(ids, min_size=1, max_size=3, unique=True))
    objectives = []
    for index, objective_id in enumerate(objective_ids):
        mine = kr_ids[index :: len(objective_ids)]
        objective = {
            "id": objective_id,
            "title": draw(titles),
            "kind": draw(st.sampled_from(["committed", "aspirational"])),
            "key_results": [draw(key_results(k)) for k in mine],
        }
        if draw(st.booleans()):
            objective["cycle"] = draw(st.sampled_from(["2026-Q1", "2026-H2", "2027"]))
        objectives.append(objective)
    tasks = [
        {
            "title": draw(titles),
            "status": draw(st.sampled_from([s.value for s in TaskStatus])),
            "key_results": draw(st.lists(st.sampled_from(kr_ids), max_size=2, unique=True))
            if kr_ids
            else [],
            **(
                {"due": draw(st.dates(dt.date(2026, 1, 1), dt.date(2027, 1, 1)))}
                if draw(st.booleans())
                else {}
            ),
        }
        for _ in range(draw(st.integers(0, 4)))
    ]
    data = {
        "title": draw(titles),
        "cycle": draw(
            st.sampled_from(
                ["2026-Q3", "2026", {"start": dt.date(2026, 7, 1), "end": dt.date(2026, 8, 1)}]
            )
        ),
        "objectives": objectives,
        "projects": [
            {"id": "p", "title": draw(titles), "objective": objective_ids[0], "tasks": tasks}
        ],
    }
    if draw(st.booleans()):
        data["lint"] = {"disable": ["OKR101"]}
    return data


def _load_data(data, fmt):
    if fmt == "json":
        return loads(json.dumps(data, default=str), format="json")
    import yaml

    return loads(yaml.safe_dump(data, allow_unicode=True), format="yaml")


@settings(max_examples=150, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(plans(), st.sampled_from(["yaml", "json"]))
def test_round_trip_is_stable(data, fmt):
    try:
        plan = _load_data(data, fmt)
    except okrkit.OkrkitError:
        return  # a generated combination the model refuses (say, a relative threshold) is fine
    text = dumps(plan, fmt)
    again = loads(text, format=fmt)
    assert again == plan
    assert dumps(again, fmt) == text


def test_fields_table_matches_the_schema():
    from okrkit.schema import json_schema

    document = json_schema()
    assert set(document["properties"]) == set(FIELDS["plan"])
    for part in ("objective", "key_result", "project", "task"):
        assert set(document["$defs"][part]["properties"]) == set(FIELDS[part])


def test_example_validates_against_the_schema():
    import jsonschema
    import yaml

    data = json.loads(json.dumps(yaml.safe_load(EXAMPLE.read_text()), default=str))
    jsonschema.Draft202012Validator.check_schema(okrkit.json_schema())
    jsonschema.validate(data, okrkit.json_schema())
    data["objectives"][0]["key_results"][0]["titel"] = "typo"
    with pytest.raises(jsonschema.ValidationError):
        jsonschema.validate(data, okrkit.json_schema())


# -- The quick YAML reader and the positions worked out on demand -------------------------------


def _shape(value):
    """A value with its type and, for lists and mappings, the positions they carry."""
    if isinstance(value, dict):
        return (
            type(value).__name__,
            value.position,
            list(value.keys_at.items()),
            [(key, type(key).__name__, _shape(item)) for key, item in value.items()],
        )
    if isinstance(value, list):
        return (type(value).__name__, value.position, value.items_at, [_shape(v) for v in value])
    return (type(value).__name__, value)


PLAIN_DOCUMENTS = [
    EXAMPLE.read_text(),
    "cycle: 2026-Q3\nobjectives: []\n",
    "- a\n- [1, 2.5, true, ~, 2026-07-01, '2026-07-01', 0x1F, 1_000, 190:20:30]\n",
    "a: {b: [{c: d}], e: ''}\n'1': one\n1: two\nno: yes\n? plain key\n: value\n",
    "--- just text\n...\n",
    "%YAML 1.1\n---\n{flow: [mapping, {x: 1}]}\n",
    "key:\n  - |\n    block text\n  - >-\n    folded\n",
    "just a scalar",
]


@pytest.mark.parametrize("text", PLAIN_DOCUMENTS)
def test_the_quick_reader_gives_what_the_full_path_gives(text):
    quick = _read_plain_yaml(text, _Limits())
    assert quick is not None, "a plain document takes the quick path"
    data, start = quick
    full, full_start = _read_composed_yaml(text, "f.yaml", _Limits())
    assert (_shape(data), start) == (_shape(full), full_start)


@pytest.mark.parametrize(
    "text",
    [
        "a: &x [1]\nb: *x\n",  # anchors and aliases
        "a: !!str 1\n",  # an explicit tag
        "a: ! 1\n",  # the non-specific tag
        "base: {x: 1}\nmerged: {<<: {x: 2}, y: 3}\n",  # a merge key
        "=: 1\n",  # the value key, which the full path reads as text
        "a: 1\na: 2\n",  # a duplicate key
        "? [a]\n: 1\n",  # a list as a key
        "a: 2026-02-30\n",  # a value no constructor can make
        "a: [1, 2\n",  # a syntax error
        "a: 1\n---\nb: 2\n",  # two documents
        "# only a comment\n",  # no document at all
        "a: " + "[" * 120 + "]" * 120 + "\n",  # deeper than the quick reader goes
        "a: 1\n\tb: 2\n",  # a tab
    ],
)
def test_anything_else_is_left_to_the_full_path(text):
    assert _read_plain_yaml(text, _Limits()) is None


def test_the_quick_reader_leaves_a_document_over_the_depth_limit_to_the_full_path():
    text = "a: {b: {c: [1]}}\n"
    assert _read_plain_yaml(text, _Limits(max_depth=4)) is not None
    assert _read_plain_yaml(text, _Limits(max_depth=3)) is None
    with pytest.raises(FileFormatError, match="more than 3 levels") as caught:
        _read_yaml(text, "f.yaml", _Limits(max_depth=3))
    assert (caught.value.location.line, caught.value.location.column) == (1, 12)


@settings(max_examples=300, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(
    st.recursive(
        st.one_of(
            st.none(),
            st.booleans(),
            st.integers(-(10**6), 10**6),
            st.floats(allow_nan=False),
            st.text(max_size=12),
            st.dates(),
        ),
        lambda inner: st.one_of(
            st.lists(inner, max_size=4),
            st.dictionaries(st.one_of(st.text(max_size=5), st.integers(0, 9)), inner, max_size=4),
        ),
        max_leaves=20,
    ),
    st.sampled_from([False, True, None]),
)
def test_the_quick_reader_agrees_with_the_full_path_on_any_plain_data(data, flow):
    text = yaml.safe_dump({"data": data}, default_flow_style=flow, allow_unicode=True)
    quick = _read_plain_yaml(text, _Limits())
    assert quick is not None
    full = _read_composed_yaml(text, "f.yaml", _Limits())
    assert (_shape(quick[0]), quick[1]) == (_shape(full[0]), full[1])


def _written_out(notes, start=None):
    """The positions the notes stand for, written out one note after another."""
    written = {} if start is None else {"": start}
    for pointer, data in notes:
        if getattr(data, "position", None) is not None:
            written[pointer] = data.position
        for key, at in (getattr(data, "keys_at", None) or {}).items():
            written[f"{pointer}/{key}"] = at
        for index, at in enumerate(getattr(data, "items_at", None) or []):
            written.setdefault(f"{pointer}/{index}", at)
    return written


def _located(kind, position, at):
    if kind == "map":
        part = _LocatedDict()
        part.position, part.keys_at = position, dict(at)
    else:
        part = _LocatedList()
        part.position, part.items_at = position, list(at)
    return part


def test_positions_found_on_demand_are_the_ones_written_out():
    root = _located("map", (1, 1), [("cycle", (1, 1)), ("objectives", (2, 1)), ("a/b", (9, 1))])
    objectives = _located("list", (3, 3), [(3, 5), (7, 5)])
    first = _located("map", (3, 5), [("id", (3, 5)), ("title", (4, 5)), (1, (5, 5)), ("1", (6, 5))])
    cycle = _located("map", (1, 8), [("start", (1, 9)), ("x/y", (1, 20))])
    notes = [("", root), ("/objectives", objectives), ("/objectives/0", first), ("/cycle", cycle)]
    positions = _NotedPositions((1, 2))
    for pointer, data in notes:
        positions.note(pointer, data)
    written = _written_out(notes, (1, 2))
    asked = [
        *written,
        "/objectives/1",  # an item without a mapping of its own
        "/objectives/01",  # not how an index is written
        "/objectives/2",  # past the end
        "/a/b",  # a key with a slash
        "/cycle/x/y",
        "/objectives/0/1",  # the keys 1 and "1" write the same pointer: the last one wins
        "/nowhere",
        "/objectives/0/title/deeper",
    ]
    for pointer in asked:
        assert positions.get(pointer) == written.get(pointer), pointer
        assert (pointer in positions) == (pointer in written), pointer
    assert positions["/objectives/0/1"] == (6, 5)
    assert positions[""] == (1, 1)  # the root mapping's own position replaces the start
    with pytest.raises(KeyError):
        positions["/nowhere"]
    assert dict(positions) == written
    assert len(positions) == len(written)


def test_a_plan_read_from_a_file_finds_positions_on_demand():
    plan = okrkit.load(EXAMPLE)
    positions = plan.source_map.positions
    assert isinstance(positions, _NotedPositions)
    lines = EXAMPLE.read_text().splitlines()
    assert positions.get("/objectives/0/key_results/2/title") == (22, 9)
    assert lines[21][8:].startswith("title: Pre-release sign-ups over 5k")
    assert plan.source_map.position("/objectives/0/key_results/2/source/query") == (23, 63)
    assert lines[22][62:].startswith('query: "SELECT')
    assert dict(positions)["/projects/0/tasks/13"] == (42, 9)
    assert lines[41][8:].startswith("{title: Retarget email marketing campaign}")
