"""Bad files, one by one: each is refused quickly, with a message that says where and what to do,
and the limits that keep a hostile file from costing much are the documented ones."""

import codecs
import gc
import json
import textwrap
import time
import tracemalloc
from pathlib import Path

import pytest
import yaml

import okrkit
from okrkit import FileFormatError
from okrkit.files import MAX_ALIAS_NODES, MAX_BYTES, MAX_DEPTH, _Limits, _read_yaml, loads

EXAMPLE = Path(__file__).parent.parent / "examples" / "product-launch" / "okrs.yaml"
KR = "objectives:\n  - id: o\n    title: Grow\n    key_results:\n      - id: k\n        title: X\n"


def refused(text: str | bytes, path: str = "okrs.yaml", **limits: int) -> FileFormatError:
    with pytest.raises(FileFormatError) as caught:
        loads(text, path=path, **limits)
    assert caught.value.location.path == path
    return caught.value


def where(error: FileFormatError) -> tuple[int | None, int | None]:
    return error.location.line, error.location.column


def test_the_documented_defaults():
    assert MAX_BYTES == 10 * 1024 * 1024
    assert MAX_DEPTH == 50
    assert MAX_ALIAS_NODES == 10_000


# -- Aliases ----------------------------------------------------------------------------------

BILLION_LAUGHS = "lol0: &lol0 lol\n" + "".join(
    f"lol{n}: &lol{n} [{', '.join([f'*lol{n - 1}'] * 10)}]\n" for n in range(1, 10)
)


class TestAliases:
    def test_billion_laughs_fails_fast_and_small(self):
        tracemalloc.start()
        started = time.perf_counter()
        error = refused(BILLION_LAUGHS)
        elapsed = time.perf_counter() - started
        _, peak = tracemalloc.get_traced_memory()
        tracemalloc.stop()
        assert elapsed < 0.5
        assert peak < 5_000_000  # bytes: the 10**9 values are never built
        assert "aliases (*name) expand to more than 10,000 values" in error.message
        assert "okrkit.load(path, max_alias_nodes=...)" in error.message
        # lol1..lol3 add 20 + 120 + 1,220 values; the fifth *lol3 in lol4's list passes 10,000
        assert where(error) == (5, 7)

    def test_billion_laughs_inside_a_plan_and_in_block_style(self):
        levels = "".join(f"  - &l{n} [{', '.join([f'*l{n - 1}'] * 9)}]\n" for n in range(1, 12))
        text = "lint:\n  disable:\n  - &l0 x\n" + levels
        assert "aliases" in refused(text).message

    def test_one_large_value_named_many_times(self):
        """A few hundred kilobytes repeated a hundred thousand times: each alias counts."""
        text = f"title: &big {'x' * 300_000}\nlint:\n  disable: [{', '.join(['*big'] * 100_000)}]\n"
        started = time.perf_counter()
        error = refused(text)
        assert time.perf_counter() - started < 1.0
        assert "aliases" in error.message
        assert where(error)[0] == 3

    def test_merge_keys_count_as_aliases(self):
        text = "a0: &a0 {k: v}\n" + "".join(
            f"a{n}: &a{n} {{<<: [{', '.join([f'*a{n - 1}'] * 10)}]}}\n" for n in range(1, 9)
        )
        assert "aliases" in refused(text).message

    def test_an_alias_inside_what_it_names_is_refused(self):
        for text, line_column in (
            ("lint: &loop {disable: *loop}\n", (1, 14)),
            ("lint: {disable: &loop [a, *loop]}\n", (1, 17)),  # the anchor
        ):
            error = refused(text)
            assert "stands inside the part it names" in error.message
            assert where(error) == line_column

    def test_ordinary_aliases_load_and_the_limit_can_be_raised_or_lowered(self):
        text = textwrap.dedent("""\
            objectives:
              - id: o
                title: Grow
                owner: &team marketing
                key_results:
                  - id: k
                    title: Sign-ups over 5k
                    owner: *team
                    source: &src {connector: x, n: [1, 2]}
                  - {id: j, title: Views over 1k, owner: *team, source: *src}
        """)
        plan = loads(text)
        assert plan.key_result("j").owner == "marketing"
        assert plan.key_result("j").source == plan.key_result("k").source
        # two aliases of the owner (1 value each) and one of the source: its mapping, two keys,
        # 'x', the list and its two items (7 values): 9 added
        assert loads(text, max_alias_nodes=9) == plan
        error = refused(text, max_alias_nodes=8)
        assert "more than 8 values" in error.message
        assert where(error)[0] == 10


# -- Nesting ----------------------------------------------------------------------------------


def nested(depth: int) -> str:
    """A source setting nested `depth` levels deep in all (the plan's mapping is level 1)."""
    inner = "[" * (depth - 6) + "x" + "]" * (depth - 6)
    return KR + f"        source: {{connector: c, deep: {inner}}}\n"


class TestNesting:
    def test_a_hundred_levels_are_refused_where_they_pass_fifty(self):
        text = nested(100)
        error = refused(text)
        assert "nest more than 50 levels deep here" in error.message
        assert "okrkit.load(path, max_depth=...)" in error.message
        line = text.splitlines()[-1]
        assert where(error) == (7, line.index("[") + 1 + 50 - 6)

    def test_fifty_levels_load_and_the_limit_can_be_raised(self):
        assert loads(nested(50)).key_result("k").source is not None
        refused(nested(51))
        assert loads(nested(100), max_depth=100).key_result("k").source is not None
        assert "more than 20 levels" in refused(nested(21), max_depth=20).message

    def test_block_style_nesting(self):
        lines = [f"{'  ' * level}k{level}:" for level in range(100)]
        error = refused("\n".join(lines) + " x\n")
        assert "nest more than 50 levels" in error.message
        assert where(error)[0] == 51

    def test_an_alias_deep_down_counts_its_own_depth(self):
        deep = "[" * 30 + "x" + "]" * 30
        text = (
            f"title: &deep {deep}\n"
            + KR
            + f"        source: {{connector: c, d: {deep[:25]}*deep{deep[-25:]}}}\n"
        )
        error = refused(text)
        assert "nest more than 50 levels" in error.message

    @pytest.mark.parametrize("depth", [100, 1_500, 200_000])
    def test_flow_nesting_far_past_libyaml_and_json_limits(self, depth):
        for path in ("okrs.yaml", "okrs.json"):
            text = '{"title": ' + "[" * depth + "]" * depth + "}"
            error = refused(text, path)
            assert "nest more than 50 levels" in error.message, path
            assert where(error) == (1, 60), path


# -- Size -------------------------------------------------------------------------------------


class TestSize:
    def test_a_20_mb_file_fails_before_it_is_read(self, tmp_path, monkeypatch):
        big = tmp_path / "big.yaml"
        with big.open("wb") as file:
            file.truncate(20 * 1024 * 1024)  # sparse: zeros that would not even be valid YAML
        monkeypatch.setattr(yaml, "load", None)  # nothing may parse it
        started = time.perf_counter()
        with pytest.raises(FileFormatError) as caught:
            okrkit.load(big)
        assert time.perf_counter() - started < 0.1
        assert caught.value.location.path == str(big)
        assert caught.value.message == (
            "the file is 20,971,520 bytes, more than the limit of 10,485,760: split the plan "
            "into smaller files, or raise the limit: okrkit.load(path, max_bytes=...)"
        )

    def test_text_and_bytes_over_the_limit(self):
        body = "title: " + "x" * 600 + "\n"
        assert "is 608 bytes, more than the limit of 500" in refused(body, max_bytes=500).message
        assert "is 608 bytes" in refused(body.encode(), max_bytes=500).message
        # the limit is on UTF-8 bytes: 300 characters of 2 bytes are 600 bytes
        assert "is 607 bytes" in refused("title: " + "é" * 300, max_bytes=500).message
        assert loads(body, max_bytes=608).title == "x" * 600

    def test_a_device_that_says_size_zero_is_read_only_up_to_the_limit(self):
        with pytest.raises(FileFormatError, match="more than the limit of 1,000"):
            okrkit.load("/dev/zero", max_bytes=1_000)

    def test_raising_the_limit_reads_the_file(self, tmp_path):
        path = tmp_path / "okrs.yaml"
        path.write_text(EXAMPLE.read_text() + "#" * 2_000)
        size = path.stat().st_size
        with pytest.raises(FileFormatError, match=f"{size:,} bytes"):
            okrkit.load(path, max_bytes=size - 1)
        assert okrkit.load(path, max_bytes=size) == okrkit.load(EXAMPLE)


# -- Python objects and tags ------------------------------------------------------------------


class TestTags:
    @pytest.mark.parametrize(
        "tag",
        [
            "!!python/object/apply:os.system",
            "!!python/object/new:os.system",
            "!!python/name:os.system",
            "!!python/module:os",
        ],
    )
    def test_python_objects_are_refused_and_nothing_runs(self, tmp_path, tag):
        marker = tmp_path / "marker"
        text = f'title: ok\nlint:\n  disable: [{tag} ["touch {marker}"]]\n'
        error = refused(text)
        assert f"the tag {tag} is not allowed" in error.message
        assert "plain data" in error.message
        assert where(error) == (3, 13)
        assert not marker.exists()

    def test_a_tag_of_our_own_is_refused_too(self):
        error = refused("title: !secret x\n")
        assert "the tag !secret is not allowed" in error.message

    def test_the_standard_tags_still_read(self):
        plan = loads('title: !!str 2026\nobjectives: !!seq []\nid: !!str "x"\n')
        assert (plan.title, plan.id) == ("2026", "x")


# -- Encodings --------------------------------------------------------------------------------


class TestEncodings:
    def test_bytes_that_are_not_utf8_say_which_and_where(self):
        error = refused(b"title: ok\nobjectives:\n  - id: caf\xe9\n")
        assert error.message == "not UTF-8 text: byte 0xe9 cannot be read: save the file as UTF-8"
        assert where(error) == (3, 12)

    @pytest.mark.parametrize("codec", ["utf-16", "utf-16-le", "utf-16-be", "utf-8-sig"])
    def test_utf16_with_a_byte_order_mark_is_read_like_utf8(self, codec):
        text = EXAMPLE.read_text(encoding="utf-8")
        data = text.encode(codec)
        if codec in ("utf-16-le", "utf-16-be"):
            bom = codecs.BOM_UTF16_LE if codec.endswith("le") else codecs.BOM_UTF16_BE
            data = bom + data
        assert loads(data, path="okrs.yaml") == okrkit.load(EXAMPLE)

    def test_utf16_without_a_byte_order_mark_is_refused(self):
        for codec in ("utf-16-le", "utf-16-be"):
            error = refused("title: x\n".encode(codec))
            assert error.message == (
                "the file looks like UTF-16 without a byte order mark: save it as UTF-8"
            )

    def test_broken_utf16_and_utf32_are_refused(self):
        error = refused(codecs.BOM_UTF16_LE + "title: x\n".encode("utf-16-le") + b"\x00\xd8")
        assert error.message.startswith("not UTF-16 text: byte 0x00 cannot be read")
        error = refused("title: x\n".encode("utf-32"))
        assert error.message == "the file is UTF-32 text: save it as UTF-8"

    def test_a_lone_surrogate_in_text(self):
        error = refused("title: ok\nid: \ud800\n")
        assert "lone surrogate" in error.message
        assert where(error) == (2, 5)

    def test_control_characters_say_where(self):
        error = refused("title: ok\nid: a\x00b\n")
        assert "U+0000 cannot be in a file" in error.message
        assert where(error) == (2, 6)


# -- Keys, numbers, dates ---------------------------------------------------------------------


class TestValues:
    def test_duplicate_keys_in_yaml_and_json(self):
        error = refused("title: a\ncycle: 2026-Q3\ntitle: b\n")
        assert error.message == "duplicate key 'title' (first on line 1): keep one"
        assert where(error) == (3, 1)
        text = json.dumps({"objectives": [{"id": "o", "title": "t"}]}, indent=1)
        text = text.replace('"title": "t"', '"title": "t", "id": "p"')
        error = refused(text, "okrs.json")
        assert error.message == "duplicate key 'id': keep one"
        assert where(error) == (5, 18)

    def test_duplicate_keys_in_json_that_yaml_cannot_read(self):
        error = refused('\t{"a": {"id": 1},\n "b": {"id": 2, "id": 3}}', "okrs.json")
        assert where(error) == (2, 17)

    @pytest.mark.parametrize(
        ("value", "shown"),
        [
            ("1.0e+400", "inf"),
            (".inf", "inf"),
            ("-.inf", "-inf"),
            (".nan", "nan"),
            ("1e400", "'1e400'"),
        ],
    )
    @pytest.mark.parametrize("field", ["weight", "current", "baseline", "target"])
    def test_numbers_that_are_not_finite_are_refused_at_the_field(self, field, value, shown):
        target = "" if field == "target" else "        target: 5\n"
        error = refused(KR + f"{target}        {field}: {value}\n")
        assert where(error) == (8 if target else 7, 9)
        if field == "target" and shown == "'1e400'":  # text, read as a relative change
            assert "is not a number or a relative change" in error.message
        else:
            assert error.message == f"{field!r} should be a finite number, got {shown}"

    def test_json_numbers_too_large_for_a_float(self):
        error = refused('{"objectives": [{"id": "o", "title": "t",\n "weight": 1e400}]}', "x.json")
        assert error.message == "'weight' should be a finite number, got inf"
        assert where(error) == (2, 2)

    @pytest.mark.parametrize("path", ["okrs.yaml", "okrs.json"])
    def test_a_huge_integer_weight_is_read_and_a_larger_one_refused(self, path):
        def text(weight: int) -> str:
            data = {"objectives": [{"id": "o", "title": "t", "weight": weight}]}
            return json.dumps(data) if path.endswith(".json") else yaml.safe_dump(data)

        plan = loads(text(10**100), path=path)
        assert plan.objective("o").weight == 10**100
        okrkit.score(plan, okrkit.Cycle.parse("2026-Q3").starts_at)
        error = refused(text(10**400), path)
        assert "is too large: numbers must lie between -1.8e308 and 1.8e308" in error.message
        assert error.location.line is not None

    def test_integers_too_long_to_read_are_refused_quickly(self):
        for digits in ("9" * 5_000, "1" + ":59" * 100_000, "0x" + "f" * 1_000_000):
            started = time.perf_counter()
            error = refused(f"title: ok\nid: {digits}\n")
            assert time.perf_counter() - started < 0.5
            assert "is too large" in error.message
            assert where(error) == (2, 5)

    @pytest.mark.parametrize(
        ("written", "words"),
        [
            ("2026-02-30", "cannot read '2026-02-30' as a date (day is out of range for month)"),
            ("0000-01-01", "cannot read '0000-01-01' as a date (year 0 is out of range)"),
            ("0x_", "cannot read '0x_' as a number"),
            ("!!timestamp soon", "cannot read 'soon' as a date: fix it, or quote it to write text"),
            ("!!bool maybe", "cannot read 'maybe' as true or false"),
            ("!!map [a]", "the tag !!map does not fit this value"),
            ("!!seq {a: b}", "the tag !!seq does not fit this value"),
            ("!!set [a]", "not valid YAML: expected a mapping node, but found sequence"),
        ],
    )
    def test_values_python_cannot_hold(self, written, words):
        error = refused(f"title: ok\ncycle: {{start: 2026-01-01, end: {written}}}\n")
        assert words in error.message
        assert where(error) == (2, 33)

    def test_a_cycle_ending_on_the_last_day_python_has(self):
        error = refused("cycle: {start: 9999-01-01, end: 9999-12-31}\n")
        assert error.message == "cycle ends on 9999-12-31: end it earlier"
        assert "cycle ends on 9999-12-31" in refused("cycle: 9999-Q4\n").message

    def test_a_title_too_long_to_read_says_where(self):
        error = refused(KR.replace("title: X", "title: " + "x" * 3_000))
        assert "at most 2,000 characters" in error.message
        assert where(error) == (6, 9)

    def test_long_values_are_cut_short_in_messages(self):
        error = refused(f"objectives: [{{id: o, title: t, weight: {'x' * 5_000}}}]\n")
        assert error.message == f"'weight' should be a finite number, got '{'x' * 54}...x'"
        error = refused("? " + "x" * 5_000 + "\n: 1\n")
        assert error.message.startswith("unknown field 'xxxxxxx")
        assert len(error.message) < 200


# -- Shapes -----------------------------------------------------------------------------------


class TestShapes:
    def test_tabs_for_indentation_are_refused_at_their_line(self):
        error = refused("title: ok\nobjectives:\n\t- id: o\n")
        assert "not valid YAML" in error.message
        assert "a tab where YAML wants spaces: indent with spaces" in error.message
        assert error.location.line == 3

    def test_tabs_inside_values_are_fine(self):
        assert loads("title: a\tb\n").title == "a\tb"

    @pytest.mark.parametrize(
        "text", ["", b"", "   \n\n", "# only a comment\n", "# one\n# two\n", "---\n", "---\n...\n"]
    )
    def test_empty_files(self, text):
        error = refused(text)
        assert error.message == "the file is empty: it should hold a cycle and objectives"

    @pytest.mark.parametrize(
        ("text", "kind", "line_column"),
        [
            ("# a list\n- a\n- b\n", "a list", (2, 1)),
            ("\n  just text\n", "text", (2, 3)),
            ("42", "a number", (1, 1)),
        ],
    )
    def test_a_file_that_is_not_a_mapping(self, text, kind, line_column):
        error = refused(text)
        assert error.message == f"the file should be a mapping of fields, got {kind}"
        assert where(error) == line_column
        error = refused(json.dumps(yaml.safe_load(text)), "okrs.json")
        assert error.message == f"the file should be a mapping of fields, got {kind}"
        assert where(error) == (1, 1)

    def test_several_documents_are_refused(self):
        error = refused("title: a\n---\ntitle: b\n")
        assert "expected a single document" in error.message
        assert error.location.line == 2

    def test_loads_wants_text_or_bytes(self):
        with pytest.raises(TypeError, match="str or bytes, not int"):
            loads(42)


# -- Cost for ordinary files ------------------------------------------------------------------


def test_the_checks_cost_little_next_to_plain_libyaml():
    """Reading with positions and limits stays within twice plain CSafeLoader's time."""
    seed = EXAMPLE.read_text()
    body = "".join(
        f"  - id: o{n}\n    title: Objective {n}\n    key_results:\n"
        f"      - {{id: k{n}, title: Sign-ups over {n}k, source: {{connector: c, n: [1, 2]}}}}\n"
        for n in range(300)
    )
    for text, rounds in ((seed, 300), ("objectives:\n" + body, 20)):
        spent = {"plain": 0.0, "ours": 0.0}
        gc.disable()
        try:
            for _ in range(rounds):  # one call of each in turn: a busy machine slows both alike
                started = time.perf_counter()
                yaml.load(text, yaml.CSafeLoader)
                middle = time.perf_counter()
                _read_yaml(text, "f", _Limits())
                spent["plain"] += middle - started
                spent["ours"] += time.perf_counter() - middle
        finally:
            gc.enable()
        assert spent["ours"] < 2 * spent["plain"], spent
