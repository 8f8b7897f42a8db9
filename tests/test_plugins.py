"""A connector package written from the how-to, installed with pip, run by the real command.

`tests/plugins/okrkit-example` is a real package: the fixture installs it with pip into a
temporary folder, and every test runs `python -m okrkit` in a subprocess with that folder on
PYTHONPATH, so the connectors are found through their `okrkit.connectors` entry points exactly as
a user's would be.
"""

import datetime as dt
import json
import os
import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest

PLUGIN = Path(__file__).parent / "plugins" / "okrkit-example"
BROKEN_ERROR = "ImportError: okrkit_example.broken needs the missing module 'nonexistent_sdk'"


@pytest.fixture(scope="module")
def site(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """The folder pip installed okrkit-example into (offline, no build isolation)."""
    target = tmp_path_factory.mktemp("site")
    build = tmp_path_factory.mktemp("build")
    installed = subprocess.run(
        [
            sys.executable,
            "-m",
            "pip",
            "install",
            "--no-deps",
            "--no-build-isolation",
            "--no-index",
            "--disable-pip-version-check",
            "--target",
            str(target),
            str(PLUGIN),
        ],
        capture_output=True,
        text=True,
        check=False,
        timeout=300,
        cwd=build,  # pip may leave a build folder behind: not in the source tree
    )
    assert installed.returncode == 0, installed.stdout + installed.stderr
    assert (target / "okrkit_example" / "__init__.py").is_file()
    return target


def run_okrkit(
    site: Path, *args: str, cwd: Path | None = None, **environ: str
) -> subprocess.CompletedProcess[str]:
    """Run the real `okrkit` command with the installed plugin importable."""
    env = {k: v for k, v in os.environ.items() if k not in {"OKRKIT_CONNECTORS", "PYTHONPATH"}}
    env.update(PYTHONPATH=str(site), NO_COLOR="1", **environ)
    return subprocess.run(
        [sys.executable, "-m", "okrkit", *args],
        capture_output=True,
        text=True,
        check=False,
        timeout=120,
        cwd=cwd,
        env=env,
    )


def as_json(run: subprocess.CompletedProcess[str]) -> Any:
    assert run.stdout, run.stderr
    return json.loads(run.stdout)


def by(items: list[dict[str, Any]], field: str) -> dict[str, dict[str, Any]]:
    return {item[field]: item for item in items}


def this_quarter() -> str:
    today = dt.datetime.now(dt.UTC).date()
    return f"{today.year}-Q{(today.month - 1) // 3 + 1}"


def write_plan(folder: Path, key_results: str) -> Path:
    """An OKR file of one objective in the current quarter, with these key results."""
    (folder / "rows.txt").write_text("one\n\ntwo\n   \nthree\n", encoding="utf-8")
    path = folder / "okrs.yaml"
    path.write_text(
        f"cycle: {this_quarter()}\n"
        "objectives:\n"
        "  - id: grow\n"
        "    title: Become the tool small teams pay for\n"
        "    key_results:\n" + key_results,
        encoding="utf-8",
    )
    return path


ROWS = """\
      - id: rows
        title: Rows over 5
        source: {connector: example-rows, path: rows.txt}
"""
ALPHA = """\
      - id: alpha
        title: Alpha length over 10
        source: {connector: example-batch, name: alpha}
"""
TUESDAY = """\
      - id: tuesday
        title: Tuesday length over 10
        source: {connector: example-batch, name: tuesday}
"""
GONE = """\
      - id: gone
        title: Gone over 10
        source: {connector: example-broken, anything: 1}
"""


def contains(data: Any, wanted: dict[str, Any]) -> bool:
    """Whether `wanted` is `data` or nested anywhere in it."""
    if data == wanted:
        return True
    if isinstance(data, dict):
        return any(contains(value, wanted) for value in data.values())
    if isinstance(data, list):
        return any(contains(value, wanted) for value in data)
    return False


# -- okrkit connectors -----------------------------------------------------------------------


def test_connectors_json_lists_the_plugin_the_builtins_and_the_broken_one(site):
    run = run_okrkit(site, "connectors", "--format", "json")
    assert run.returncode == 0, run.stderr
    listing = as_json(run)
    connectors = by(listing["connectors"], "name")
    # the first-party vendor connectors (connectors/*) may be installed beside them
    ours = {
        n: c for n, c in connectors.items() if c["distribution"] in ("okrkit", "okrkit-example")
    }
    assert sorted(ours) == [
        "csv",
        "example-batch",
        "example-rows",
        "http",
        "sql",
        "static",
    ]
    rows = connectors["example-rows"]
    assert rows["distribution"] == "okrkit-example"
    assert rows["version"] == "1.0.0"
    assert rows["target"] == "okrkit_example:example_rows"
    assert rows["summary"] == "Non-empty lines in a text file."
    assert (rows["batch"], rows["windowed"]) == (False, False)
    assert rows["settings"] == [
        {
            "name": "path",
            "type": "str",
            "required": True,
            "default": None,
            "help": "A text file, relative to the OKR file's folder.",
        }
    ]
    batch = connectors["example-batch"]
    assert batch["distribution"] == "okrkit-example"
    assert batch["target"] == "okrkit_example:NameLengthConnector"
    assert batch["summary"] == "The length of a name, many names in one call."
    assert (batch["batch"], batch["windowed"]) == (True, False)
    assert batch["settings"] == [
        {
            "name": "name",
            "type": "str",
            "required": True,
            "default": None,
            "help": "The name to measure; 'bad' fails.",
        }
    ]
    for builtin in ("static", "http", "sql", "csv"):
        assert connectors[builtin]["distribution"] == "okrkit", builtin
    assert listing["problems"] == [
        {"name": "example-broken", "distribution": "okrkit-example", "error": BROKEN_ERROR}
    ]


def test_connectors_text_says_the_broken_plugin_was_not_loaded(site):
    run = run_okrkit(site, "connectors")
    assert "Traceback" not in run.stderr, run.stderr
    assert run.returncode == 0, run.stderr
    assert "example-rows  (okrkit-example 1.0.0)\n" in run.stdout
    assert "example-batch  (okrkit-example 1.0.0)  [batch]\n" in run.stdout
    assert "    path (str, required): A text file, relative to the OKR file's folder.\n" in (
        run.stdout
    )
    assert "example-broken" not in run.stdout
    (line,) = [line for line in run.stderr.splitlines() if "example-broken" in line]
    assert line.startswith("not loaded: ")
    assert "okrkit-example" in line
    assert BROKEN_ERROR in line


def test_okrkit_connectors_variable_loads_only_the_connectors_named(site):
    run = run_okrkit(site, "connectors", "--format", "json", OKRKIT_CONNECTORS="example-rows")
    assert run.returncode == 0, run.stderr
    listing = as_json(run)
    assert [c["name"] for c in listing["connectors"]] == ["example-rows"]
    assert listing["connectors"][0]["distribution"] == "okrkit-example"
    assert listing["problems"] == []


# -- okrkit refresh, status, history ---------------------------------------------------------


def test_refresh_measures_with_the_plugin_and_skips_the_broken_one(site, tmp_path):
    write_plan(tmp_path, ROWS + ALPHA + TUESDAY + GONE)

    run = run_okrkit(site, "refresh", "okrs.yaml", "--format", "json", cwd=tmp_path)
    # a key result whose connector failed to import is skipped, and skipped is not a failure
    assert run.returncode == 0, run.stdout + run.stderr
    report = as_json(run)
    assert (report["measured"], report["failed"], report["skipped"]) == (3, 0, 1)
    assert report["dry_run"] is False
    results = by(report["results"], "key_result")
    assert list(results) == ["rows", "alpha", "tuesday", "gone"]
    expected = {
        "rows": (3.0, "example-rows", None),
        "alpha": (5.0, "example-batch", "2 queries in one call"),
        "tuesday": (7.0, "example-batch", "2 queries in one call"),
    }
    for kr, (value, connector, note) in expected.items():
        result = results[kr]
        assert result["status"] == "measured", result
        assert (result["value"], result["connector"], result["note"]) == (value, connector, note)
        assert (result["error"], result["attempts"]) == (None, 1)
    gone = results["gone"]
    assert (gone["status"], gone["value"], gone["connector"]) == (
        "skipped",
        None,
        "example-broken",
    )
    assert gone["attempts"] == 0
    assert "example-broken" in gone["error"]
    assert "okrkit-example" in gone["error"]
    assert BROKEN_ERROR in gone["error"]
    assert (tmp_path / "okrs.okrkit.db").is_file()

    status = run_okrkit(site, "status", "okrs.yaml", "--format", "json", cwd=tmp_path)
    assert status.returncode == 0, status.stderr
    (objective,) = as_json(status)["objectives"]
    scored = by(objective["key_results"], "id")
    for kr, (value, _, _) in expected.items():
        assert scored[kr]["value"] == value, kr
        assert scored[kr]["observed_at"] == results[kr]["observed_at"], kr
    assert [scored[kr]["progress"] for kr in ("rows", "alpha", "tuesday")] == [0.6, 0.5, 0.7]
    assert (scored["gone"]["value"], scored["gone"]["status"]) == (None, "no_data")

    history = run_okrkit(
        site, "history", "alpha", "-f", "okrs.yaml", "--format", "json", cwd=tmp_path
    )
    assert history.returncode == 0, history.stderr
    stored = as_json(history)
    assert stored["key_result"] == "alpha"
    (record,) = stored["history"]
    assert (record["value"], record["source"]) == (5.0, "example-batch")
    assert record["run_id"] == report["run_id"]
    assert record["observed_at"] == results["alpha"]["observed_at"]

    # the raw answer kept with the measurement shows both queries came in one call
    import okrkit

    with okrkit.open_store(str(tmp_path / "okrs.okrkit.db")) as store:
        (alpha,) = store.history("okrs", "alpha")
        (tuesday,) = store.history("okrs", "tuesday")
    assert contains(json.loads(alpha.raw), {"name": "alpha", "queries_in_call": 2}), alpha.raw
    assert contains(json.loads(tuesday.raw), {"name": "tuesday", "queries_in_call": 2})

    strict = run_okrkit(site, "refresh", "okrs.yaml", "--strict", "--format", "json", cwd=tmp_path)
    assert strict.returncode == 1, strict.stdout + strict.stderr
    assert (as_json(strict)["measured"], as_json(strict)["skipped"]) == (3, 1)


def test_refresh_reports_a_misspelled_setting_and_measures_the_others(site, tmp_path):
    typo = """\
      - id: typo
        title: Typo rows over 5
        source: {connector: example-rows, pth: rows.txt}
"""
    write_plan(tmp_path, ROWS + typo + ALPHA)

    run = run_okrkit(site, "refresh", "okrs.yaml", "--format", "json", cwd=tmp_path)
    assert run.returncode == 2, run.stdout + run.stderr
    report = as_json(run)
    assert (report["measured"], report["failed"], report["skipped"]) == (2, 1, 0)
    results = by(report["results"], "key_result")
    assert (results["rows"]["status"], results["rows"]["value"]) == ("measured", 3.0)
    assert (results["alpha"]["status"], results["alpha"]["value"]) == ("measured", 5.0)
    bad = results["typo"]
    assert (bad["status"], bad["value"], bad["attempts"]) == ("invalid", None, 0)
    assert bad["connector"] == "example-rows"
    # the how-to: "fails with `setting ...: unknown setting plann` naming the key result"
    assert "unknown setting pth" in bad["error"], bad["error"]

    for kr, value in (("rows", 3.0), ("alpha", 5.0)):
        history = run_okrkit(site, "history", kr, "--format", "json", cwd=tmp_path)
        assert history.returncode == 0, history.stderr
        (record,) = as_json(history)["history"]
        assert (record["value"], record["run_id"]) == (value, report["run_id"])
    nothing = run_okrkit(site, "history", "typo", "--format", "json", cwd=tmp_path)
    assert nothing.returncode == 0, nothing.stderr
    assert as_json(nothing)["history"] == []


def test_a_terminal_error_from_fetch_fails_only_its_key_result(site, tmp_path):
    bad = """\
      - id: refused
        title: Refused length over 10
        source: {connector: example-batch, name: bad}
"""
    write_plan(tmp_path, ALPHA + bad)

    run = run_okrkit(site, "refresh", "okrs.yaml", "--format", "json", cwd=tmp_path)
    assert run.returncode == 1, run.stdout + run.stderr
    report = as_json(run)
    assert (report["measured"], report["failed"], report["skipped"]) == (1, 1, 0)
    results = by(report["results"], "key_result")
    assert results["alpha"]["value"] == 5.0
    assert results["alpha"]["note"] == "2 queries in one call"
    refused = results["refused"]
    assert (refused["status"], refused["value"], refused["attempts"]) == ("failed", None, 1)
    assert refused["error"] == "the name 'bad' is refused; use another name [terminal]"
