"""The scheduler integrations in examples/integrations/, run for real against the example plan.

Each example is read as its engine reads it and its okrkit commands run as written, with only
the documented substitution points filled in (the store's URL where a secret goes, the OKR
file's and the report's paths), against a copy of examples/product-launch/ and a SQLite store in
a temporary folder:

- the Airflow DAG runs with ``dag.test()`` in a fresh Airflow home (skipped, saying how to run
  it, where Apache Airflow is not installed; ``OKRKIT_REQUIRE_AIRFLOW=1`` makes that a failure);
- each pod of the Kubernetes CronJobs runs its container's command with the environment the
  manifest gives it, ``JOB_COMPLETION_INDEX`` 0 to 3 for the indexed job's four pods at once;
- each job of the GitHub Actions workflow runs its okrkit steps with the matrix's values.

Every time: all shards succeed, every key result that can be fetched here is stored exactly once
(YouTube's is skipped: no API key), and the report is written.
"""

from __future__ import annotations

import importlib.util
import json
import os
import re
import shutil
import subprocess
import sys
import textwrap
from collections import Counter
from pathlib import Path

import pytest
import yaml

import okrkit
from okrkit.sharing import Shard

ROOT = Path(__file__).parent.parent
EXAMPLE = ROOT / "examples" / "product-launch"
INTEGRATIONS = ROOT / "examples" / "integrations"
DAG_FILE = INTEGRATIONS / "airflow" / "okr_refresh_dag.py"
MANIFEST = INTEGRATIONS / "kubernetes" / "okr-refresh-cronjob.yaml"
WORKFLOW = INTEGRATIONS / "github-actions" / "okr-refresh.yml"

PLAN = "okrs"  # the example plan's key in the store: it has no id, so its file's name
FETCHABLE = Counter({"mentions": 1, "signups": 1})  # youtube-views needs YOUTUBE_API_KEY
BIN = str(Path(sys.executable).parent)  # where the okrkit command of this environment is


@pytest.fixture
def plan_dir(tmp_path) -> Path:
    """The example plan and its offline data (not its store), in a folder of its own."""
    folder = tmp_path / "plan"
    folder.mkdir()
    for name in ("okrs.yaml", "signups.db", "mentions.csv"):
        shutil.copy(EXAMPLE / name, folder / name)
    return folder


@pytest.fixture
def sqlite_url(tmp_path) -> str:
    return f"sqlite:///{tmp_path / 'store.db'}"  # an absolute path: four slashes


def stored(store_url: str) -> Counter[str]:
    """How many values the store holds for each key result of the example plan."""
    with okrkit.open_store(store_url) as store:
        return Counter(m.key_result for m in store.measurements(PLAN))


def outcomes(store_url: str) -> list[dict]:
    """Every key result's outcome in every run recorded, oldest run first."""
    with okrkit.open_store(store_url) as store:
        runs = sorted(store.runs(PLAN, limit=100), key=lambda run: run.started_at)
    return [dict(result) for run in runs for result in run.results]


def leases(store_url: str) -> set[tuple[str, str]]:
    """The leases left in the store: (key result, holder)."""
    with okrkit.open_store(store_url) as store:
        return {(lease.key_result, lease.holder) for lease in store.leases(PLAN)}


def sourced_key_results(okr_file: Path) -> list[str]:
    plan = okrkit.load(okr_file)
    return [kr.id for kr in plan.key_results() if kr.source is not None]


def base_environment(home: Path) -> dict[str, str]:
    """A clean environment, as a pod or a runner starts with: no secret of this machine."""
    return {"PATH": f"{BIN}:/usr/local/bin:/usr/bin:/bin", "HOME": str(home), "LANG": "C.UTF-8"}


OUTCOME_LINE = re.compile(
    r"^  (\S+)\s+(measured|failed|invalid|skipped|planned|held|fresh)\b", re.MULTILINE
)


def statuses(output: str) -> dict[str, str]:
    """Each key result's status in the text output of `okrkit refresh`."""
    return dict(OUTCOME_LINE.findall(output))


def assert_the_example_was_refreshed_once(store_url: str) -> None:
    assert stored(store_url) == FETCHABLE
    assert leases(store_url) == set()  # every run ended its leases
    results = outcomes(store_url)
    measured = sorted(r["key_result"] for r in results if r["status"] == "measured")
    assert measured == ["mentions", "signups"]
    skipped = [r for r in results if r["status"] == "skipped"]
    assert [r["key_result"] for r in skipped] == ["youtube-views"]
    assert not [r for r in results if r["status"] in ("failed", "invalid")]


def assert_a_report(html: Path, data: Path, store_url: str) -> None:
    """The report's files show the plan with the values the store holds."""
    assert "Acme widget launch" in html.read_text(encoding="utf-8")
    report = json.loads(data.read_text(encoding="utf-8"))
    assert report["plan"]["key"] == PLAN
    values = {
        kr["id"]: kr["value"]
        for objective in report["objectives"]
        for kr in objective["key_results"]
    }
    assert values["youtube-views"] == 38000  # the file's hand-typed value: never fetched here
    with okrkit.open_store(store_url) as store:
        latest = {kr: record.value for kr, record in store.latest(PLAN).items()}
    assert set(latest) == {"mentions", "signups"}
    assert {kr: values[kr] for kr in latest} == latest


def test_the_core_has_no_scheduler_code():
    """Engine-specific code stays in the examples: okrkit imports no scheduler."""
    pattern = re.compile(r"^\s*(import|from)\s+(airflow|kubernetes|github)\b", re.MULTILINE)
    for module in (ROOT / "src" / "okrkit").rglob("*.py"):
        assert not pattern.search(module.read_text(encoding="utf-8")), module


def test_the_docs_show_each_integration_as_it_is_tested():
    """The how-to includes the files themselves (snippets), so the page cannot drift."""
    page = (ROOT / "docs" / "how-to" / "workers.md").read_text(encoding="utf-8")
    for example in (DAG_FILE, MANIFEST, WORKFLOW):
        assert f'--8<-- "{example.relative_to(ROOT)}"' in page, example


# -- Airflow ----------------------------------------------------------------------------------

AIRFLOW_MISSING = (
    "Apache Airflow is not installed here; run this test in its own environment: "
    "bash .ci/airflow.sh test (see docs/how-to/workers.md)"
)

#: Runs in a child process, so that Airflow's configuration, logging and database are its own.
AIRFLOW_RUN = textwrap.dedent(
    """
    import json, sys
    from airflow.dag_processing.dagbag import DagBag

    bag = DagBag(dag_folder=sys.argv[1])
    assert not bag.import_errors, bag.import_errors
    dag = bag.get_dag("okr_refresh")
    for task in dag.tasks:  # here a failure fails the run at once, not after minutes of retries
        task.retries = 0

    def run(**conf):
        run = dag.test(run_conf=conf)
        return {
            "state": str(run.state),
            "tasks": sorted(
                [ti.task_id, ti.map_index, str(ti.state), ti.rendered_map_index]
                for ti in run.get_task_instances()
            ),
        }

    runs = [run(), run(shards=2)]
    # another refresh, on another host, holds every key result: the shards with any fail
    import datetime, okrkit
    with okrkit.open_store(sys.argv[2]) as store:
        store.claim(
            "okrs", ["mentions", "signups"], holder="a refresh elsewhere", token="elsewhere",
            ttl=datetime.timedelta(minutes=10), host="elsewhere.example", pid=1,
        )
    # (shards given again: in dag.test(), one process, a run's params leak into the next)
    runs.append(run(shards=4, fresh_for_minutes=0))
    print("DAG-RUNS " + json.dumps(runs))
    """
)


def _need_airflow() -> None:
    if importlib.util.find_spec("airflow") is not None:
        return
    if os.environ.get("OKRKIT_REQUIRE_AIRFLOW") == "1":
        pytest.fail("OKRKIT_REQUIRE_AIRFLOW=1, but " + AIRFLOW_MISSING)
    pytest.skip(AIRFLOW_MISSING)


def test_airflow_dag_refreshes_one_task_per_shard_then_reports(plan_dir, sqlite_url, tmp_path):
    _need_airflow()
    dags = tmp_path / "dags"
    dags.mkdir()
    shutil.copy(DAG_FILE, dags / DAG_FILE.name)
    reports = tmp_path / "reports"
    environment = {
        **{
            name: value
            for name, value in os.environ.items()
            if not name.startswith(("AIRFLOW", "YOUTUBE")) and name != "OKRKIT_POLICY"
        },
        "AIRFLOW_HOME": str(tmp_path / "airflow"),
        "AIRFLOW__CORE__DAGS_FOLDER": str(dags),
        "AIRFLOW__CORE__LOAD_EXAMPLES": "False",
        # the DAG's settings, as Airflow Variables given through the environment
        "AIRFLOW_VAR_OKRKIT_OKR_FILE": str(plan_dir / "okrs.yaml"),
        "AIRFLOW_VAR_OKRKIT_STORE_URL": sqlite_url,
        "AIRFLOW_VAR_OKRKIT_REPORT_DIR": str(reports),
    }
    migrate = subprocess.run(
        [sys.executable, "-m", "airflow", "db", "migrate"],
        env=environment,
        capture_output=True,
        text=True,
        timeout=300,
        check=False,
    )
    assert migrate.returncode == 0, migrate.stdout[-3000:] + migrate.stderr[-3000:]
    done = subprocess.run(
        [sys.executable, "-c", AIRFLOW_RUN, str(dags), sqlite_url],
        env=environment,
        capture_output=True,
        text=True,
        timeout=600,
        check=False,
    )
    output = done.stdout + done.stderr
    assert done.returncode == 0, output[-6000:]
    first, second, third = json.loads(output.split("DAG-RUNS ", 1)[1].splitlines()[0])

    assert first["state"] == "success", first
    assert first["tasks"] == [
        ["publish_report", -1, "success", None],
        ["refresh_shard", 0, "success", "1/4"],
        ["refresh_shard", 1, "success", "2/4"],
        ["refresh_shard", 2, "success", "3/4"],
        ["refresh_shard", 3, "success", "4/4"],
        ["shards", -1, "success", None],
    ]
    # the second run asks for two shards; within fresh_for_minutes (60) nothing is fetched again
    assert second["state"] == "success", second
    assert [task[1:] for task in second["tasks"] if task[0] == "refresh_shard"] == [
        [0, "success", "1/2"],
        [1, "success", "2/2"],
    ]
    assert stored(sqlite_url) == FETCHABLE
    results = outcomes(sqlite_url)
    assert Counter(r["status"] for r in results) == {
        "measured": 2,
        "skipped": 2,  # youtube-views, in each run: no key, so never fresh
        "fresh": 2,
    }
    assert "okrkit: 2 key results measured by 4 shards" in output
    assert "okrkit: 0 key results measured by 2 shards" in output
    assert_a_report(reports / "okrs.html", reports / "okrs.json", sqlite_url)
    # the third run finds every key result leased to a refresh elsewhere: the tasks of the two
    # shards that have any fail (to be retried after the leases end), the empty ones succeed,
    # and the report waits for a run that succeeds
    assert third["state"] == "failed", third
    assert third["tasks"] == [
        ["publish_report", -1, "upstream_failed", None],
        ["refresh_shard", 0, "failed", "1/4"],
        ["refresh_shard", 1, "success", "2/4"],
        ["refresh_shard", 2, "success", "3/4"],
        ["refresh_shard", 3, "failed", "4/4"],
        ["shards", -1, "success", None],
    ]
    assert output.count("another refresh holds the key results of plan 'okrs'") >= 2
    assert stored(sqlite_url) == FETCHABLE
    assert leases(sqlite_url) == {
        ("mentions", "a refresh elsewhere"),
        ("signups", "a refresh elsewhere"),
    }


# -- Kubernetes -------------------------------------------------------------------------------


def kubelet_expand(text: str, environment: dict[str, str]) -> str:
    """What the kubelet does to `command`, `args` and env values: ``$(NAME)`` becomes the
    variable's value when it is defined, ``$$`` becomes ``$``; anything else stays as written."""
    out, index = [], 0
    while index < len(text):
        char = text[index]
        if char != "$" or index + 1 == len(text):
            out.append(char)
            index += 1
        elif text[index + 1] == "$":
            out.append("$")
            index += 2
        elif text[index + 1] == "(" and ")" in text[index + 2 :]:
            name = text[index + 2 : text.index(")", index + 2)]
            out.append(environment.get(name, f"$({name})"))
            index += len(name) + 3
        else:
            out.append(char)
            index += 1
    return "".join(out)


def pod_environment(
    container: dict, secret: dict[str, str], overrides: dict[str, str], home: Path
) -> dict[str, str]:
    """The container's environment as the manifest defines it, from the Secret given."""
    environment = base_environment(home)
    for variable in container["env"]:
        name = variable["name"]
        if "value" in variable:
            environment[name] = kubelet_expand(overrides.get(name, variable["value"]), environment)
            continue
        reference = variable["valueFrom"]["secretKeyRef"]
        assert reference["name"] == "okrkit"
        if reference["key"] in secret:
            environment[name] = secret[reference["key"]]
        else:  # a missing key of a required reference stops the pod from starting
            assert reference.get("optional") is True, f"{name}: the Secret has no {reference}"
    return environment


def run_pod(container: dict, environment: dict[str, str], cwd: Path) -> subprocess.Popen[str]:
    command = [kubelet_expand(part, environment) for part in container["command"]]
    command += [kubelet_expand(part, environment) for part in container.get("args", [])]
    return subprocess.Popen(
        command, env=environment, cwd=cwd, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True
    )


def test_kubernetes_manifest_is_an_indexed_cronjob_with_secrets_from_a_secret():
    refresh, report = yaml.safe_load_all(MANIFEST.read_text(encoding="utf-8"))
    assert (refresh["apiVersion"], refresh["kind"]) == ("batch/v1", "CronJob")
    assert refresh["spec"]["concurrencyPolicy"] == "Forbid"
    job = refresh["spec"]["jobTemplate"]["spec"]
    assert job["completionMode"] == "Indexed"
    assert job["completions"] == job["parallelism"] == 4
    assert job["backoffLimit"] > 0
    assert job["backoffLimitPerIndex"] > 0
    pod = job["template"]["spec"]
    assert pod["restartPolicy"] == "Never"  # needed by backoffLimitPerIndex and podFailurePolicy
    (container,) = pod["containers"]
    assert container["image"] == "ghcr.io/example/okrkit:0.1"  # the placeholder
    env = {variable["name"]: variable for variable in container["env"]}
    assert env["OKRKIT_SHARDS"]["value"] == str(job["completions"])
    assert env["OKRKIT_STORE_URL"]["valueFrom"]["secretKeyRef"] == {
        "name": "okrkit",
        "key": "store-url",
    }
    assert env["PGPASSWORD"]["valueFrom"]["secretKeyRef"]["optional"] is True
    assert env["YOUTUBE_API_KEY"]["valueFrom"]["secretKeyRef"]["optional"] is True
    assert "JOB_COMPLETION_INDEX" not in env  # Kubernetes sets it for an indexed job's pods
    assert (report["kind"], report["spec"]["concurrencyPolicy"]) == ("CronJob", "Forbid")
    # no credential is written in the manifest itself
    text = MANIFEST.read_text(encoding="utf-8")
    assert not re.search(r"^\s*(stringData|data):", text, re.MULTILINE)


def test_kubernetes_pods_run_their_commands_as_written(plan_dir, sqlite_url, tmp_path):
    refresh, report = yaml.safe_load_all(MANIFEST.read_text(encoding="utf-8"))
    job = refresh["spec"]["jobTemplate"]["spec"]
    (container,) = job["template"]["spec"]["containers"]
    # no store-password nor youtube-api-key: their optional references leave them unset
    secret = {"store-url": sqlite_url}
    # the substitution points: where the OKR file and the reports are in this "pod"
    overrides = {"OKR_FILE": str(plan_dir / "okrs.yaml"), "REPORT_DIR": str(tmp_path / "reports")}
    (tmp_path / "reports").mkdir()
    ids = sourced_key_results(plan_dir / "okrs.yaml")

    def schedule() -> list[tuple[int, str]]:
        pods = []
        for index in range(job["completions"]):  # all at once: parallelism == completions
            environment = pod_environment(container, secret, overrides, tmp_path)
            environment["JOB_COMPLETION_INDEX"] = str(index)
            pods.append(run_pod(container, environment, tmp_path))
        finished = []
        for pod in pods:
            out, errors = pod.communicate(timeout=300)
            assert pod.returncode == 0, out + errors
            finished.append((pod.returncode, out))
        return finished

    first = schedule()
    for index, (_code, out) in enumerate(first):
        shard = Shard(index + 1, job["completions"])
        assert f"refresh of {PLAN}" in out
        # each pod refreshed its shard's key results, and only those
        assert set(statuses(out)) == {kr for kr in ids if kr in shard}, (index, out)
    assert_the_example_was_refreshed_once(sqlite_url)

    # the next schedule, within --fresh-for: nothing is fetched or stored again
    second = {kr: status for _code, out in schedule() for kr, status in statuses(out).items()}
    assert second == {"mentions": "fresh", "signups": "fresh", "youtube-views": "skipped"}
    assert stored(sqlite_url) == FETCHABLE

    (report_container,) = report["spec"]["jobTemplate"]["spec"]["template"]["spec"]["containers"]
    environment = pod_environment(report_container, secret, overrides, tmp_path)
    pod = run_pod(report_container, environment, tmp_path)
    out, errors = pod.communicate(timeout=300)
    assert pod.returncode == 0, out + errors
    reports = tmp_path / "reports"
    assert_a_report(reports / "okrs.html", reports / "okrs.json", sqlite_url)


# -- GitHub Actions ---------------------------------------------------------------------------

EXPRESSION = re.compile(r"\$\{\{\s*([^}]*?)\s*\}\}")


def load_workflow() -> dict:
    workflow = yaml.safe_load(WORKFLOW.read_text(encoding="utf-8"))
    workflow["on"] = workflow.pop(True)  # YAML 1.1 reads the key `on` as true
    return workflow


def evaluate(text: str, values: dict[str, str]) -> str:
    """GitHub's ``${{ ... }}`` with the values given; an unknown expression fails the test."""

    def value(match: re.Match[str]) -> str:
        assert match[1] in values, f"no value for ${{{{ {match[1]} }}}} in {text!r}"
        return values[match[1]]

    return EXPRESSION.sub(value, text)


def run_job(
    workflow: dict,
    name: str,
    values: dict[str, str],
    workspace: Path,
    tmp_path: Path,
) -> subprocess.Popen[str]:
    """Run a job's okrkit steps (not the set-up: checkout, Python, pip) as the runner would:
    each step's script in ``bash --noprofile --norc -eo pipefail``, with the workflow's and
    the job's env and the variables GitHub sets."""
    job = workflow["jobs"][name]
    label = name + (f"-{values['matrix.shard']}" if "matrix.shard" in values else "")
    environment = base_environment(tmp_path)
    environment |= {
        "CI": "true",
        "GITHUB_WORKSPACE": str(workspace),
        "GITHUB_STEP_SUMMARY": str(tmp_path / f"summary-{label}.md"),
    }
    for scope in (workflow.get("env", {}), job.get("env", {})):
        environment |= {key: evaluate(str(text), values) for key, text in scope.items()}
    scripts = [
        evaluate(step["run"], values)
        for step in job["steps"]
        if "run" in step and re.search(r"^\s*okrkit ", step["run"], re.MULTILINE)
    ]
    assert scripts, f"job {name} runs no okrkit command"
    script = tmp_path / f"{label}.sh"
    script.write_text("\n".join(scripts), encoding="utf-8")
    return subprocess.Popen(
        ["/bin/bash", "--noprofile", "--norc", "-eo", "pipefail", str(script)],
        env=environment,
        cwd=workspace,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    )


def test_github_workflow_is_scheduled_with_a_matrix_of_shards():
    workflow = load_workflow()
    assert workflow["on"]["schedule"][0]["cron"] == "17 * * * *"
    assert "workflow_dispatch" in workflow["on"]
    assert workflow["concurrency"] == {"group": "okr-refresh", "cancel-in-progress": False}
    refresh = workflow["jobs"]["refresh"]
    assert refresh["strategy"] == {"fail-fast": False, "matrix": {"shard": [1, 2, 3, 4]}}
    assert refresh["env"] == {
        "OKRKIT_STORE_URL": "${{ secrets.OKRKIT_STORE_URL }}",
        "PGPASSWORD": "${{ secrets.OKRKIT_STORE_PASSWORD }}",
        "YOUTUBE_API_KEY": "${{ secrets.YOUTUBE_API_KEY }}",
    }
    report = workflow["jobs"]["report"]
    assert report["needs"] == "refresh"
    upload = next(step for step in report["steps"] if "upload-artifact" in step.get("uses", ""))
    assert upload["with"]["path"] == "report/"
    # no credential is written in the workflow: every one comes from a secret
    for job in workflow["jobs"].values():
        for value in job.get("env", {}).values():
            assert value.startswith("${{ secrets."), value


def test_github_workflow_jobs_run_their_okrkit_steps(plan_dir, sqlite_url, tmp_path):
    workflow = load_workflow()
    shards = workflow["jobs"]["refresh"]["strategy"]["matrix"]["shard"]
    # the repository's checkout: the OKR file where the workflow's OKR_FILE says, okrs.yaml
    workspace = plan_dir
    # as GitHub passes them: a secret that is not defined is an empty string
    secrets = {
        "secrets.OKRKIT_STORE_URL": sqlite_url,
        "secrets.OKRKIT_STORE_PASSWORD": "",
        "secrets.YOUTUBE_API_KEY": "",
    }
    jobs = [
        run_job(
            workflow,
            "refresh",
            {**secrets, "matrix.shard": str(shard), "strategy.job-total": str(len(shards))},
            workspace,
            tmp_path,
        )
        for shard in shards
    ]
    ids = sourced_key_results(plan_dir / "okrs.yaml")
    for shard, job in zip(shards, jobs, strict=True):
        out, errors = job.communicate(timeout=300)
        assert job.returncode == 0, out + errors
        part = Shard(shard, len(shards))
        assert set(statuses(out)) == {kr for kr in ids if kr in part}, (shard, out)
    assert_the_example_was_refreshed_once(sqlite_url)
    skipped = next(r for r in outcomes(sqlite_url) if r["key_result"] == "youtube-views")
    assert "YOUTUBE_API_KEY is set but empty" in skipped["error"]  # skipped, not failed

    report = run_job(workflow, "report", secrets, workspace, tmp_path)
    out, errors = report.communicate(timeout=300)
    assert report.returncode == 0, out + errors
    folder = workspace / "report"
    assert_a_report(folder / "okrs.html", folder / "okrs.json", sqlite_url)
    assert "launch-buzz" in (tmp_path / "summary-report.md").read_text(encoding="utf-8")
