# ruff: noqa: INP001  # a DAG file, dropped into Airflow's dags folder: not a package
"""Refresh an OKR plan with one Airflow task per shard, then publish its report.

An Airflow 3 DAG (TaskFlow API) over okrkit's public Python API: ``okrkit.load``,
``okrkit.open_store``, ``okrkit.refresh(..., shard="k/n")`` and ``okrkit.report``. Copy it into
your dags folder; nothing in it is secret and nothing in it names your plan.

Configuration (Airflow Variables; each can also come from the environment as
``AIRFLOW_VAR_<NAME>``, the way Airflow reads any Variable):

- ``okrkit_okr_file``: the OKR file, as the workers see it (required).
- ``okrkit_store_url``: the store every worker shares: ``postgresql://okrkit@db/okrs`` (no
  password: give it to the workers as ``PGPASSWORD`` or a ``PGPASSFILE``), or a SQLite file all
  tasks can reach (one machine only) (required).
- ``okrkit_report_dir``: where the report goes, a folder or an object storage URL
  (``file:///srv/okrs``, ``s3://bucket/okrs`` with the Amazon provider) (default: a ``reports``
  folder beside the OKR file).
- ``okrkit_shards``: how many shard tasks a scheduled run starts (default 4); a manual run can
  say another number in its ``shards`` param.

Connector secrets (``${YOUTUBE_API_KEY}`` in the OKR file) are read by okrkit from the worker's
environment when the task runs: set them where Airflow's workers get their environment (a
Kubernetes Secret, the deployment's env file), never in this file.

Failures: a key result whose source failed fails its shard's task (exit code 1), which Airflow
retries; when every key result of a shard is leased to another refresh (okrkit raises
``StoreLockedError``, exit code 75 on the command line) the task fails too and its retry, after
``retry_delay`` (longer than the 2-minute lease), finds them fetched or their leases lapsed.
Invalid settings in the OKR file (exit code 2) fail the task without retries: a retry cannot
fix the file. The report runs once every shard has succeeded.
"""

from __future__ import annotations

import datetime as dt
from pathlib import Path
from typing import Any

from airflow.sdk import ObjectStoragePath, Param, Variable, dag, get_current_context, task

try:
    from airflow.sdk.exceptions import AirflowFailException
except ImportError:  # pragma: no cover - Airflow 3.0 kept it in airflow.exceptions
    from airflow.exceptions import AirflowFailException

#: How long a shard's leases outlive a task that crashed; a retry on another worker waits this.
LEASE_TTL = dt.timedelta(minutes=2)


def okr_file() -> str:
    return str(Variable.get("okrkit_okr_file"))


def store_url() -> str:
    return str(Variable.get("okrkit_store_url"))


@dag(
    dag_id="okr_refresh",
    schedule="@hourly",
    start_date=dt.datetime(2026, 1, 1, tzinfo=dt.UTC),
    catchup=False,
    max_active_runs=1,  # a run still going when the next is due: the next waits
    default_args={
        "retries": 3,
        "retry_delay": LEASE_TTL + dt.timedelta(minutes=1),
        "execution_timeout": dt.timedelta(minutes=30),
    },
    params={
        "shards": Param(
            None,
            type=["null", "integer"],
            minimum=1,
            description="How many workers share the refresh (default: okrkit_shards, or 4).",
        ),
        "fresh_for_minutes": Param(
            60,
            type="integer",
            minimum=0,
            description="Skip key results any refresh fetched less than this long ago (0: none).",
        ),
    },
    tags=["okrkit"],
    doc_md=__doc__,
)
def okr_refresh() -> None:
    @task
    def shards() -> list[str]:
        """The shards to refresh, "1/4" to "4/4"."""
        params = get_current_context()["params"]
        count = params.get("shards") or int(Variable.get("okrkit_shards", default=4))
        return [f"{index}/{count}" for index in range(1, count + 1)]

    @task(map_index_template="{{ okrkit_shard }}")
    def refresh_shard(shard: str) -> dict[str, Any]:
        """Fetch and store this shard's key results; fail (and so retry) when any failed."""
        import okrkit  # noqa: PLC0415  # imported when the task runs, not when the DAG is parsed

        context = get_current_context()
        context["okrkit_shard"] = shard  # type: ignore[typeddict-unknown-key]  # the map's label
        minutes = int(context["params"]["fresh_for_minutes"])
        task_instance = context["ti"]
        plan = okrkit.load(okr_file())
        with okrkit.open_store(store_url()) as store:
            result = okrkit.refresh(
                plan,
                store,
                shard=shard,
                fresh_for=dt.timedelta(minutes=minutes) if minutes else None,
                lease_ttl=LEASE_TTL,
                holder=(
                    f"airflow {task_instance.dag_id} {task_instance.run_id} shard {shard} "
                    f"try {task_instance.try_number}"
                ),
            )  # every key result leased to another refresh: StoreLockedError, retried
        summary = result.to_dict()
        del summary["results"]
        summary["shard"] = shard
        problems = [
            f"{outcome.key_result}: {outcome.error}"
            for outcome in result.outcomes
            if outcome.status in ("failed", "invalid")
        ]
        if result.exit_code() == 2:
            raise AirflowFailException("invalid settings, fix the OKR file: " + "; ".join(problems))
        if result.exit_code() == 1:
            raise RuntimeError(f"shard {shard}: {len(problems)} failed: " + "; ".join(problems))
        return summary

    @task
    def publish_report(summaries: list[dict[str, Any]]) -> dict[str, str]:
        """Score the plan from the store and write the report as HTML and JSON."""
        import okrkit  # noqa: PLC0415
        from okrkit.report import build, render  # noqa: PLC0415

        path = okr_file()
        plan = okrkit.load(path)
        with okrkit.open_store(store_url()) as store:
            report = build(plan, store, path=path)
        folder = ObjectStoragePath(
            Variable.get("okrkit_report_dir", default=str(Path(path).resolve().parent / "reports"))
        )
        folder.mkdir(parents=True, exist_ok=True)
        written = {}
        for form in ("html", "json"):
            target = folder / f"{report['plan']['key']}.{form}"
            target.write_text(render(report, form), encoding="utf-8")
            written[form] = str(target)
        results = summaries[:]  # one request for them all (a loop asks one at a time)
        measured = sum(summary["measured"] for summary in results)
        print(f"okrkit: {measured} key results measured by {len(results)} shards")  # noqa: T201
        return written

    publish_report(refresh_shard.expand(shard=shards()))


okr_refresh()
