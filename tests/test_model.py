import datetime as dt
from types import MappingProxyType

import attrs
import pytest

from okrkit import (
    CheckIn,
    Cycle,
    Direction,
    KeyResult,
    Kind,
    Measurement,
    ModelError,
    Objective,
    Plan,
    Project,
    Target,
    Task,
    TaskStatus,
    UnknownIdError,
)
from okrkit.model import SourceMap, thaw

UTC = dt.UTC


class TestCycle:
    @pytest.mark.parametrize(
        ("text", "start", "end", "label"),
        [
            ("2026-Q3", dt.date(2026, 7, 1), dt.date(2026, 9, 30), "2026-Q3"),
            ("2026q1", dt.date(2026, 1, 1), dt.date(2026, 3, 31), "2026-Q1"),
            ("2026-Q4", dt.date(2026, 10, 1), dt.date(2026, 12, 31), "2026-Q4"),
            ("2026-H1", dt.date(2026, 1, 1), dt.date(2026, 6, 30), "2026-H1"),
            ("2026-H2", dt.date(2026, 7, 1), dt.date(2026, 12, 31), "2026-H2"),
            ("2026", dt.date(2026, 1, 1), dt.date(2026, 12, 31), "2026"),
            ("2028-02", dt.date(2028, 2, 1), dt.date(2028, 2, 29), "2028-02"),
            ("2026-07-01..2026-08-15", dt.date(2026, 7, 1), dt.date(2026, 8, 15), None),
        ],
    )
    def test_parse(self, text, start, end, label):
        cycle = Cycle.parse(text)
        assert (cycle.start, cycle.end, cycle.label) == (start, end, label)

    @pytest.mark.parametrize(
        "text", ["2026-Q5", "Q3", "2026-13", "soon", "", "2026-09-30..2026-07-01"]
    )
    def test_parse_rejects_with_the_forms_it_takes(self, text):
        with pytest.raises(ModelError, match="cycle"):
            Cycle.parse(text)

    def test_end_before_start_names_the_field(self):
        with pytest.raises(ModelError) as caught:
            Cycle(dt.date(2026, 9, 30), dt.date(2026, 7, 1))
        assert caught.value.field == "end"

    def test_elapsed(self):
        cycle = Cycle.parse("2026-Q3")  # 92 days
        assert cycle.days == 92
        assert cycle.elapsed(dt.datetime(2026, 6, 1, tzinfo=UTC)) == 0.0
        assert cycle.elapsed(dt.datetime(2026, 7, 1, tzinfo=UTC)) == 0.0
        assert cycle.elapsed(dt.datetime(2026, 7, 2, tzinfo=UTC)) == pytest.approx(1 / 92)
        assert cycle.elapsed(dt.datetime(2026, 10, 1, tzinfo=UTC)) == 1.0
        assert cycle.elapsed(dt.datetime(2027, 1, 1, tzinfo=UTC)) == 1.0
        # a naive moment is taken as UTC
        assert cycle.elapsed(dt.datetime(2026, 7, 2)) == pytest.approx(1 / 92)  # noqa: DTZ001

    def test_label_does_not_change_equality(self):
        assert Cycle.parse("2026-Q3") == Cycle(dt.date(2026, 7, 1), dt.date(2026, 9, 30))


class TestTarget:
    def test_relative_goal_resolves_against_the_baseline(self):
        target = Target(0.4, Direction.INCREASE, relative=True)
        assert target.goal() is None
        assert target.goal(1200) == pytest.approx(1680)
        resolved = target.resolve(1200)
        assert resolved.value == pytest.approx(1680)
        assert (resolved.direction, resolved.baseline, resolved.relative) == (
            Direction.INCREASE,
            1200,
            False,
        )
        assert Target(0.2, "decrease", relative=True, baseline=500).goal() == pytest.approx(400)

    def test_met_is_direction_aware(self):
        assert Target(100, "at_least").met(100) is True
        assert Target(100, "at_least").met(99) is False
        assert Target(2, "decrease", baseline=5).met(2.5) is False
        assert Target(2, "at_most").met(1) is True
        assert Target(0.4, "increase", relative=True).met(10) is None

    @pytest.mark.parametrize(
        ("kwargs", "field"),
        [
            ({"value": float("nan"), "direction": "increase"}, "value"),
            ({"value": True, "direction": "increase"}, "value"),
            ({"value": 1, "direction": "sideways"}, "direction"),
            ({"value": 0.4, "direction": "at_least", "relative": True}, "relative"),
            ({"value": -0.4, "direction": "increase", "relative": True}, "value"),
            ({"value": 5, "direction": "increase", "threshold": True}, "threshold"),
            ({"value": 5, "direction": "increase", "baseline": "3"}, "baseline"),
        ],
    )
    def test_invalid_targets_name_the_field(self, kwargs, field):
        with pytest.raises(ModelError) as caught:
            Target(**kwargs)
        assert caught.value.field == field

    def test_direction_from_text(self):
        assert Target(1, "at_most").direction is Direction.AT_MOST
        assert Direction.AT_LEAST.higher_is_better
        assert not Direction.DECREASE.higher_is_better


class TestEntities:
    def test_key_result_validation_names_object_and_field(self):
        with pytest.raises(ModelError, match=r"key result 'x' field 'weight'"):
            KeyResult(id="x", title="Sign-ups over 5k", weight=-1)
        with pytest.raises(ModelError, match="field 'id'"):
            KeyResult(id="has space", title="Sign-ups over 5k")
        with pytest.raises(ModelError, match="field 'title'"):
            KeyResult(id="x", title="  ")

    def test_source_is_frozen_plain_data(self):
        settings = {"connector": "youtube", "videos": ["a", "b"], "auth": {"key": "${KEY}"}}
        kr = KeyResult(id="v", title="Views over 100k", source=settings)
        settings["videos"].append("c")  # the model kept its own copy
        assert kr.source is not None
        assert kr.source["videos"] == ("a", "b")
        with pytest.raises(TypeError):
            kr.source["connector"] = "other"  # type: ignore[index]
        assert thaw(kr.source) == {
            "connector": "youtube",
            "videos": ["a", "b"],
            "auth": {"key": "${KEY}"},
        }

    @pytest.mark.parametrize(
        ("source", "message"),
        [
            ({"tag": "x"}, "needs a 'connector'"),
            ({"connector": "sql", "when": dt.date(2026, 1, 1)}, "source.when is not plain data"),
            ({"connector": "sql", "limit": float("inf")}, "source.limit is not plain data"),
            ("sql", "must be a mapping"),
        ],
    )
    def test_source_validation(self, source, message):
        with pytest.raises(ModelError, match=message):
            KeyResult(id="x", title="Sign-ups over 5k", source=source)

    def test_objective_defaults_and_kind(self):
        objective = Objective(id="o", title="Delight users", kind="aspirational")
        assert objective.kind is Kind.ASPIRATIONAL
        assert Kind.ASPIRATIONAL.expected_score == 0.7
        assert Objective(id="o", title="t").kind is Kind.COMMITTED
        with pytest.raises(ModelError, match="must be one of committed, aspirational"):
            Objective(id="o", title="t", kind="bold")

    def test_objective_holds_only_key_results(self):
        with pytest.raises(ModelError, match="must hold KeyResult items"):
            Objective(id="o", title="t", key_results=["not a key result"])

    def test_task_status(self):
        assert Task("Create press release").status is TaskStatus.TODO
        assert Task("Create press release", status="done").done
        with pytest.raises(ModelError, match="field 'status'"):
            Task("Create press release", status="finished")
        with pytest.raises(ModelError, match="field 'key_results'"):
            Task("Create press release", key_results=["no spaces allowed"])

    def test_measurement_and_check_in_need_aware_times(self):
        with pytest.raises(ModelError, match="time zone"):
            Measurement("signups", 10, dt.datetime(2026, 7, 1))  # noqa: DTZ001
        Measurement("signups", 10, dt.datetime(2026, 7, 1, tzinfo=UTC))
        with pytest.raises(ModelError, match="needs a value, a confidence, or both"):
            CheckIn("signups", dt.datetime(2026, 7, 1, tzinfo=UTC))
        with pytest.raises(ModelError, match="between 0 and 1"):
            CheckIn("signups", dt.datetime(2026, 7, 1, tzinfo=UTC), confidence=1.5)

    def test_model_is_immutable(self):
        kr = KeyResult(id="x", title="Sign-ups over 5k")
        with pytest.raises(attrs.exceptions.FrozenInstanceError):
            kr.title = "other"  # type: ignore[misc]


def _plan() -> Plan:
    return Plan(
        cycle=Cycle.parse("2026-Q3"),
        objectives=[
            Objective(
                id="launch",
                title="Launch loudly",
                key_results=[
                    KeyResult(id="views", title="YouTube video views over 100k"),
                    KeyResult(id="signups", title="Pre-release sign-ups over 5k"),
                ],
            ),
            Objective(
                id="retain", title="Keep them", cycle=Cycle.parse("2026-Q4"), parent="launch"
            ),
        ],
        projects=[
            Project(
                id="campaign",
                title="Campaign",
                objective="launch",
                tasks=[
                    Task("Videos", key_results=["views"]),
                    Task("Emails", key_results=["signups"]),
                ],
            ),
            Project(
                id="emails", title="Emails", tasks=[Task("More emails", key_results=["signups"])]
            ),
        ],
    )


class TestPlan:
    def test_lookups(self):
        plan = _plan()
        assert plan.objective("launch").title == "Launch loudly"
        assert plan.key_result("signups").title == "Pre-release sign-ups over 5k"
        assert plan.objective_of("views").id == "launch"
        assert plan.project("emails").title == "Emails"
        assert [kr.id for kr in plan.key_results()] == ["views", "signups"]
        assert [t.title for t in plan.tasks_for("signups")] == ["Emails", "More emails"]
        assert plan.cycle_of(plan.objective("launch")) == Cycle.parse("2026-Q3")
        assert plan.cycle_of(plan.objective("retain")) == Cycle.parse("2026-Q4")
        assert plan.problems() == []

    def test_unknown_ids_say_what_is_known(self):
        plan = _plan()
        with pytest.raises(
            UnknownIdError, match=r"no key result with id 'nope' \(known: signups, views\)"
        ):
            plan.key_result("nope")
        with pytest.raises(LookupError):
            plan.objective("nope")
        with pytest.raises(UnknownIdError):
            plan.project("nope")

    def test_problems_lists_every_bad_reference_with_its_pointer(self):
        plan = Plan(
            objectives=[
                Objective(
                    id="a",
                    title="A",
                    parent="ghost",
                    key_results=[KeyResult(id="k", title="K over 5")],
                ),
                Objective(
                    id="a", title="A again", key_results=[KeyResult(id="k", title="K over 6")]
                ),
                Objective(id="self", title="Me", parent="self"),
            ],
            projects=[
                Project(
                    id="p",
                    title="P",
                    objective="nowhere",
                    tasks=[Task("t", key_results=["k", "missing"])],
                ),
                Project(id="p", title="P2"),
            ],
        )
        found = [(p.code, p.pointer) for p in plan.problems()]
        assert found == [
            ("duplicate-id", "/objectives/1/id"),
            ("duplicate-id", "/objectives/1/key_results/0/id"),
            ("unknown-reference", "/objectives/0/parent"),
            ("unknown-reference", "/objectives/2/parent"),
            ("unknown-reference", "/projects/0/objective"),
            ("unknown-reference", "/projects/0/tasks/0/key_results/1"),
            ("duplicate-id", "/projects/1/id"),
        ]
        missing = plan.problems()[5]
        assert missing.key_result == "missing"
        assert "'missing'" in missing.message

    def test_source_map_walks_up_to_the_nearest_position(self):
        source_map = SourceMap("okrs.yaml", {"/objectives/0": (3, 5), "": (1, 1)})
        assert source_map.position("/objectives/0/key_results/2/title") == (3, 5)
        assert source_map.position("/projects/0") == (1, 1)
        assert SourceMap(None, {}).position("/x") is None

    def test_source_map_reads_any_mapping_once_a_level(self):
        asked = []

        class Counted(dict):
            def get(self, key, default=None):
                asked.append(key)
                return super().get(key, default)

        source_map = SourceMap("okrs.yaml", Counted({"/objectives": (2, 1)}))
        assert source_map.position("/objectives/0/title") == (2, 1)
        assert asked == ["/objectives/0/title", "/objectives/0", "/objectives"]
        assert SourceMap("okrs.yaml", MappingProxyType({"": (1, 1)})).position("/a/b") == (1, 1)

    def test_source_map_is_not_part_of_equality(self):
        assert attrs.evolve(_plan(), source_map=SourceMap("a.yaml", {"": (1, 1)})) == _plan()
