"""The refresh runner: fetch every key result's value from its connector and store it.

`refresh(plan, store)` plans a query per key result from its `source`, resolves `${VAR}`
secrets, validates settings before any call, hands each connector all of its queries at once
(or spreads a function connector's over threads), retries what is transient (honouring
``Retry-After``), and writes the whole run, with provenance, in one transaction. One key result's
failure never loses another's value.
"""

from __future__ import annotations

import contextlib
import datetime as dt
import hashlib
import json
import logging
import os
import random
import threading
import time
import uuid
from pathlib import Path
from queue import SimpleQueue
from typing import TYPE_CHECKING, Any, Literal

import attrs

from okrkit import sharing
from okrkit.connectors._base import Connector, Context, Query, Reading, Window, check_results
from okrkit.connectors._registry import Registry
from okrkit.connectors._settings import SourceOptions, structure_settings
from okrkit.errors import (
    ConnectorError,
    PolicyError,
    SettingsError,
    StoreError,
    StoreLockedError,
    TerminalError,
    TransientError,
    UnknownConnectorError,
)
from okrkit.model import thaw
from okrkit.secrets import MissingSecretError, Redactor, redacting_logs, references, resolve
from okrkit.sharing import Shard
from okrkit.store._base import DEFAULT_LEASE_TTL

if TYPE_CHECKING:
    from collections.abc import Callable, Iterable, Iterator, Mapping, Sequence

    from okrkit.model import KeyResult, Plan
    from okrkit.policy import Policy
    from okrkit.store import Baseline, Lease, Record, RunRecord, Store

__all__ = ["Outcome", "RefreshResult", "Retry", "plan_key", "refresh"]

logger = logging.getLogger("okrkit.refresh")

Status = Literal["measured", "failed", "skipped", "invalid", "planned", "held", "fresh"]
_RAW_LIMIT = 2000


@attrs.frozen
class Retry:
    """How transient failures are retried: `attempts` in all, exponential `backoff` (seconds,
    doubled each time, with jitter), and at most `max_wait` seconds for one wait, even when
    the source's ``Retry-After`` asks for more (then the key result fails, saying so)."""

    attempts: int = 3
    backoff: float = 0.5
    max_wait: float = 60.0

    def delay(self, attempt: int, error: TransientError) -> float | None:
        """Seconds to wait before the next attempt, or None to give up."""
        if attempt >= self.attempts:
            return None
        if error.retry_after is not None:
            return error.retry_after if error.retry_after <= self.max_wait else None
        wait = self.backoff * (2.0 ** (attempt - 1))
        return min(self.max_wait, wait * (0.5 + random.random()))  # noqa: S311  # jitter


@attrs.frozen
class Outcome:
    """What happened to one key result in a run."""

    key_result: str
    status: Status
    value: float | None = None
    error: str | None = None
    connector: str | None = None
    attempts: int = 0
    observed_at: dt.datetime | None = None
    note: str | None = None

    def to_dict(self) -> dict[str, Any]:
        return {
            "key_result": self.key_result,
            "value": self.value,
            "status": self.status,
            "error": self.error,
            "connector": self.connector,
            "attempts": self.attempts,
            "observed_at": self.observed_at.isoformat() if self.observed_at else None,
            "note": self.note,
        }


@attrs.frozen
class RefreshResult:
    """A run: every key result's outcome, the baselines measured, and the quota spent."""

    run_id: str
    plan: str
    started_at: dt.datetime
    finished_at: dt.datetime
    outcomes: tuple[Outcome, ...]
    dry_run: bool = False
    costs: Mapping[str, float] = attrs.field(factory=dict)
    baselines: tuple[Baseline, ...] = ()

    def count(self, status: Status) -> int:
        return sum(outcome.status == status for outcome in self.outcomes)

    @property
    def measured(self) -> int:
        return self.count("measured")

    @property
    def failed(self) -> int:
        return self.count("failed")

    @property
    def skipped(self) -> int:
        return self.count("skipped")

    @property
    def invalid(self) -> int:
        return self.count("invalid")

    @property
    def held(self) -> int:
        """Key results another refresh was fetching: left to it."""
        return self.count("held")

    @property
    def fresh(self) -> int:
        """Key results fetched recently enough (see `fresh_for`): not fetched again."""
        return self.count("fresh")

    def exit_code(self, *, strict: bool = False) -> int:
        """2 when settings are invalid, 1 when something failed (or, with `strict`, was
        skipped), 0 otherwise."""
        if self.invalid:
            return 2
        if self.failed or (strict and self.skipped):
            return 1
        return 0

    def to_dict(self) -> dict[str, Any]:
        return {
            "run_id": self.run_id,
            "plan": self.plan,
            "dry_run": self.dry_run,
            "started_at": self.started_at.isoformat(),
            "finished_at": self.finished_at.isoformat(),
            "measured": self.measured,
            "failed": self.failed + self.invalid,
            "skipped": self.skipped,
            "held": self.held,
            "fresh": self.fresh,
            "costs": dict(self.costs),
            "results": [outcome.to_dict() for outcome in self.outcomes],
        }


def plan_key(plan: Plan, path: str | os.PathLike[str] | None = None) -> str:
    """The plan's key in a store: its `id`, or the OKR file's name without the extension."""
    if plan.id:
        return plan.id
    if path is not None:
        return Path(path).stem
    raise ValueError("a plan with no id needs the path of its file to name it in the store")


def stored_key(
    plan: Plan,
    store: Store,
    key: str | None = None,
    path: str | os.PathLike[str] | None = None,
) -> str:
    """The plan's key in `store` (`key`, or `plan_key`), checked against what the store knows.

    Raises `StoreError` when the key stands for a plan of another title there and the two
    cannot be the same plan renamed (see `okrkit.store.is_plan_conflict`): a reader never shows
    one team's values under another team's plan.
    """
    from okrkit.store._checks import is_plan_conflict, plan_conflict  # noqa: PLC0415

    source = path or (plan.source_map.path if plan.source_map else None)
    name = key or plan_key(plan, source)
    stored = store.plan_info(name)
    if is_plan_conflict(stored, _title(plan), bool(key or plan.id)):
        assert stored is not None  # noqa: S101  # for mypy: a conflict needs one
        raise plan_conflict(f"store {store.url}", stored, _title(plan))
    return name


# -- Planning ---------------------------------------------------------------------------------


@attrs.frozen
class _Part:
    """One connector query, for a key result's value (or a part of a sum), baseline or start."""

    key_result: str
    connector: type[Connector]
    query: Query
    fingerprint: str


@attrs.define
class _Job:
    key_result: KeyResult
    connector_label: str
    parts: list[_Part] = attrs.field(factory=list)
    baseline_parts: list[_Part] = attrs.field(factory=list)
    start_parts: list[_Part] = attrs.field(factory=list)
    aggregate: str = "latest"
    start: float | None = None
    first_reading_is_start: bool = False


def _fingerprint(source: Mapping[str, Any]) -> str:
    """A hash of the settings as written (with `${VAR}` references, never their values)."""
    text = json.dumps(source, sort_keys=True, default=str, ensure_ascii=False)
    return hashlib.sha256(text.encode()).hexdigest()[:16]


class _Skip(Exception):  # noqa: N818  # control flow, never escapes
    def __init__(self, outcome: Outcome) -> None:
        self.outcome = outcome


@attrs.define
class _Planner:
    plan: Plan
    key: str
    store: Store | None
    registry: Registry
    environ: Mapping[str, str]
    redactor: Redactor
    at: dt.datetime
    policy: Policy | None = None
    base_dir: Path | None = None

    def refuse(self, key_result: KeyResult, connector: str, error: PolicyError) -> _Skip:
        """The policy's refusal, as the key result's invalid outcome."""
        message = self.redactor.redact(error.message)
        return _Skip(Outcome(key_result.id, "invalid", error=message, connector=connector))

    def window(self, key_result: KeyResult, length: dt.timedelta | None) -> Window:
        cycle = self.plan.cycle_of(self.plan.objective_of(key_result.id))
        until = min(self.at, cycle.ends_at) if cycle else self.at
        return Window(until - length if length else None, until)

    def part(
        self,
        key_result: KeyResult,
        source: Mapping[str, Any],
        inherited_window: dt.timedelta | None,
    ) -> tuple[SourceOptions, type[Connector], Any, str]:
        options = SourceOptions.read(source, key_result.id)
        window = options.window or inherited_window
        if self.policy is not None:  # before the connector is even imported
            try:
                self.policy.check_connector(options.connector)
                self.policy.check_environment(references(options.settings))
            except PolicyError as error:
                raise self.refuse(key_result, options.connector, error) from None
        try:
            connector = self.registry.get(options.connector)
        except UnknownConnectorError as error:
            raise _Skip(
                Outcome(key_result.id, "skipped", error=str(error), connector=options.connector)
            ) from None
        except ConnectorError as error:
            raise _Skip(
                Outcome(key_result.id, "skipped", error=str(error), connector=options.connector)
            ) from None
        if window is not None and not connector.windowed:
            raise SettingsError(
                f"connector {options.connector!r} cannot count over a window; remove 'window' "
                "or use a connector that can",
                key_result=key_result.id,
                setting="window",
            )
        try:
            resolved = resolve(options.settings, self.environ, self.redactor)
        except MissingSecretError as error:
            raise _Skip(
                Outcome(key_result.id, "skipped", error=str(error), connector=options.connector)
            ) from None
        settings = structure_settings(connector, resolved, key_result.id)
        check = getattr(connector, "check_policy", None)  # what a connector can tell unasked
        if self.policy is not None and check is not None:
            context = Context(redactor=self.redactor, base_dir=self.base_dir, policy=self.policy)
            try:
                check(settings, context)
            except PolicyError as error:
                raise self.refuse(key_result, options.connector, error) from None
            except Exception as error:  # noqa: BLE001  # a plugin's bug: refused, not a crash
                crash = PolicyError(
                    f"connector {options.connector!r} crashed checking its settings against "
                    f"the policy ({type(error).__name__}: {error}), so they are refused"
                )
                raise self.refuse(key_result, options.connector, crash) from None
        return options, connector, settings, _fingerprint(source)  # plain: job() thawed it

    def job(self, key_result: KeyResult) -> _Job:
        assert key_result.source is not None  # noqa: S101  # only sourced key results come here
        source = thaw(key_result.source)
        top = SourceOptions.read(source, key_result.id)
        pieces = list(top.sources) if top.connector == "sum" else [source]
        label = (
            "sum(" + "+".join(str(p.get("connector")) for p in pieces) + ")"
            if top.connector == "sum"
            else top.connector
        )
        job = _Job(key_result, label, aggregate=top.aggregate)
        cycle = self.plan.cycle_of(self.plan.objective_of(key_result.id))
        for piece in pieces:
            options, connector, settings, fingerprint = self.part(key_result, piece, top.window)
            length = options.window or top.window
            window = self.window(key_result, length)
            query = Query(key_result.id, settings, window, self.at, self.key)
            job.parts.append(_Part(key_result.id, connector, query, fingerprint))
            if self.needs_baseline(key_result) and cycle is not None:
                start = cycle.starts_at
                before = Window(start - length if length else None, start)
                job.baseline_parts.append(
                    _Part(
                        key_result.id,
                        connector,
                        attrs.evolve(query, window=before, purpose="baseline"),
                        fingerprint,
                    )
                )
        if top.aggregate == "change":
            self.plan_start(job, cycle)
        return job

    def batched(self, key_result: KeyResult) -> bool:
        """Whether any source of the key result is a batch connector's: such key results are
        planned first, so that the connector's one call (it gets all of a run's queries at once)
        can start while the others are planned. Never imports a connector the policy refuses; a
        source planning will refuse counts as not batched."""
        try:
            top = SourceOptions.read(key_result.source or {}, key_result.id)
        except SettingsError:
            return False
        names = [piece["connector"] for piece in top.sources] or [top.connector]
        for name in names:
            if not isinstance(name, str):
                continue
            try:
                if self.policy is not None:
                    self.policy.check_connector(name.strip())
                if self.registry.get(name.strip()).batch:
                    return True
            except (PolicyError, ConnectorError):
                continue
        return False

    def needs_baseline(self, key_result: KeyResult) -> bool:
        target = key_result.target
        if target is None or not target.relative or target.baseline is not None:
            return False
        return self.store is None or self.store.baseline(self.key, key_result.id) is None

    def plan_start(self, job: _Job, cycle: Any) -> None:
        key_result = job.key_result
        if key_result.target is not None and key_result.target.relative:
            raise SettingsError(
                "aggregate 'change' measures a gain from zero; a relative target ('up by 40%') "
                "needs the level itself: use aggregate latest",
                key_result=key_result.id,
                setting="aggregate",
            )
        stored = self.store.baseline(self.key, key_result.id) if self.store else None
        if stored is not None:
            job.start = stored.value
            return
        if cycle is None:
            raise SettingsError(
                "aggregate 'change' needs a cycle to know when counting starts",
                key_result=key_result.id,
                setting="aggregate",
            )
        if all(part.connector.windowed for part in job.parts):
            for part in job.parts:
                at_start = Window(None, cycle.starts_at)
                job.start_parts.append(
                    attrs.evolve(
                        part, query=attrs.evolve(part.query, window=at_start, purpose="start")
                    )
                )
        else:
            job.first_reading_is_start = True


# -- Running ----------------------------------------------------------------------------------


def _call(
    instance: Connector,
    parts: Sequence[_Part],
    context: Context,
    retry: Retry,
    sleep: Callable[[float], None],
) -> list[tuple[Reading | ConnectorError, int]]:
    """One connector's queries, with retries of the transient failures. Never raises.

    Returns each query's answer and how many attempts it took.
    """
    results: list[tuple[Reading | ConnectorError, int] | None] = [None] * len(parts)
    pending = list(range(len(parts)))
    attempt = 0
    while pending:
        attempt += 1
        batch = [parts[index].query for index in pending]
        try:
            answers = check_results(type(instance), batch, instance.fetch(batch, context))
        except ConnectorError as error:
            answers = [error] * len(batch)
        except OverflowError:  # float() of an integer no float holds, inside the connector
            crash = TerminalError(
                f"connector {type(instance).name!r} got a number too large for a float from "
                "its source"
            )
            answers = [crash] * len(batch)
        except Exception as error:  # noqa: BLE001  # a plugin's bug fails its key results only
            crash = TerminalError(
                f"connector {type(instance).name!r} crashed: {type(error).__name__}: {error}"
            )
            answers = [crash] * len(batch)
        again: list[int] = []
        waits: list[float] = []
        for index, answer in zip(pending, answers, strict=True):
            results[index] = (answer, attempt)
            if not isinstance(answer, TransientError):
                continue
            wait = retry.delay(attempt, answer)
            if wait is not None:
                again.append(index)
                waits.append(wait)
            elif answer.retry_after is not None and answer.retry_after > retry.max_wait:
                gave_up = TransientError(
                    f"{answer.message} (the source asked to wait {answer.retry_after:g}s, "
                    f"more than the {retry.max_wait:g}s okrkit waits; try again later)",
                    retry_after=answer.retry_after,
                )
                results[index] = (gave_up, attempt)
        if again:
            sleep(max(waits))
        pending = again
    return [result for result in results if result is not None]


_STOP = object()  # tells a thread of `_Threads` that no task is coming


class _Threads:
    """Up to `size` threads that run tasks as they are handed over, in the order given.

    A thread takes the next task from a queue until `finish` says none will come: no future
    per task and no wake-up of the caller per task (a `ThreadPoolExecutor` spent more of the
    GIL on those than on a request). Tasks can come while the caller is still planning the
    next ones. An exception of a task (or Ctrl-C in the caller) stops the tasks not started;
    `finish` lets the running ones end and raises it.
    """

    def __init__(
        self,
        size: int,
        work: Callable[[Any], None],
        progress: Callable[[int, int], None] | None = None,
    ) -> None:
        self.size = max(1, size)
        self.work = work
        self.progress = progress  # told (done, total) by `finish`, when given
        self.tasks: SimpleQueue[Any] = SimpleQueue()
        self.finished: SimpleQueue[None] = SimpleQueue()
        self.failures: list[BaseException] = []
        self.threads: list[threading.Thread] = []
        self.handed = 0

    def submit(self, task: Any) -> None:
        self.tasks.put(task)
        self.handed += 1
        if len(self.threads) < min(self.size, self.handed):  # a thread per task, up to size
            thread = threading.Thread(
                target=self._worker, name=f"okrkit-refresh-{len(self.threads)}", daemon=True
            )
            thread.start()
            self.threads.append(thread)

    def _worker(self) -> None:
        while (task := self.tasks.get()) is not _STOP:
            if self.failures:  # the run is stopping: take the rest, run none
                continue
            try:
                self.work(task)
            except BaseException as error:  # noqa: BLE001  # raised by finish, in the caller
                self.failures.append(error)
            if self.progress is not None:
                self.finished.put(None)

    def finish(self) -> None:
        """Wait for every task, telling `progress` (done, total) as they end; raise a failure."""
        progress = self.progress
        for _ in self.threads:
            self.tasks.put(_STOP)
        try:
            if progress is not None and self.handed:
                done = 0
                while done < self.handed and not self.failures:
                    self.finished.get()
                    done += 1
                    while not self.finished.empty():
                        self.finished.get_nowait()
                        done += 1
                    progress(done, self.handed)
        except BaseException as error:
            self.failures.append(error)
            raise
        finally:
            for thread in self.threads:
                thread.join()
        if self.failures:
            raise self.failures[0]

    def stop(self, error: BaseException) -> None:
        """Stop the tasks not started (the caller failed) and wait for the running ones."""
        self.failures.append(error)
        for _ in self.threads:
            self.tasks.put(_STOP)
        for thread in self.threads:
            thread.join()


def _start(connector_type: type[Connector]) -> Connector | TerminalError:
    """An instance of the connector for the run, or why it could not start."""
    try:
        return connector_type()
    except Exception as error:  # noqa: BLE001  # a plugin that cannot start fails alone
        return TerminalError(
            f"connector {connector_type.name!r} could not start: {type(error).__name__}: {error}"
        )


def _message(error: ConnectorError, redactor: Redactor) -> str:
    kind = "transient" if isinstance(error, TransientError) else "terminal"
    return redactor.redact(f"{error.message} [{kind}]")


def _raw_text(raw: Any, redactor: Redactor) -> str | None:
    if raw is None:
        return None
    try:
        text = json.dumps(raw, default=str, ensure_ascii=False)
    except (TypeError, ValueError):
        text = repr(raw)
    text = redactor.redact(text)
    return text if len(text) <= _RAW_LIMIT else text[: _RAW_LIMIT - 3] + "..."


@attrs.define
class _Run:
    """One run's fetching and recording, after planning."""

    name: str
    run_id: str
    context: Context
    retry: Retry
    sleep: Callable[[float], None]
    concurrency: int
    progress: Callable[[int, int], None] | None
    answers: dict[int, tuple[Reading | ConnectorError, int]] = attrs.field(factory=dict)

    def fetch(self, *groups: Iterable[_Job]) -> list[_Job]:
        """Every part of every job, on a bounded pool of threads, as the jobs are planned.

        A single query starts as soon as its job is planned, while the next ones are; the parts
        of a batch connector wait for the end of their group of jobs and go in one call, which
        then runs beside the single queries. Returns the jobs, in the order they came.
        """
        instances: dict[type[Connector], Connector | TerminalError] = {}
        batches: dict[type[Connector], list[_Part]] = {}
        planned: list[_Job] = []
        threads = _Threads(self.concurrency, self._run, self.progress)
        try:
            for jobs in groups:
                for job in jobs:
                    planned.append(job)
                    for part in (*job.parts, *job.baseline_parts, *job.start_parts):
                        instance = instances.get(part.connector)
                        if instance is None:
                            instance = instances[part.connector] = _start(part.connector)
                        if isinstance(instance, TerminalError):  # it could not start
                            self.answers[id(part)] = (instance, 0)
                        elif part.connector.batch:
                            batches.setdefault(part.connector, []).append(part)
                        else:
                            threads.submit((instance, (part,)))
                for connector_type, parts in batches.items():
                    threads.submit((instances[connector_type], parts))
                batches.clear()
        except BaseException as error:
            threads.stop(error)
            self._close(instances.values())
            raise
        try:
            threads.finish()
        finally:
            self._close(instances.values())
        return planned

    def _run(self, task: tuple[Connector, Sequence[_Part]]) -> None:
        instance, parts = task
        answers = _call(instance, parts, self.context, self.retry, self.sleep)
        for part, answer in zip(parts, answers, strict=True):
            self.answers[id(part)] = answer

    def _close(self, instances: Iterable[Connector | TerminalError]) -> None:
        for instance in instances:
            if isinstance(instance, TerminalError):
                continue
            try:
                instance.close()
            except Exception:  # noqa: BLE001  # closing must not lose the run
                logger.warning("connector %r failed to close", type(instance).name)
        self.context.close()

    def combine(
        self, job: _Job, parts: Sequence[_Part]
    ) -> tuple[Outcome | None, list[tuple[Reading, _Part]], int]:
        """The readings of a job's parts, or the outcome that says why there are none."""
        found: list[tuple[Reading, _Part]] = []
        errors: list[str] = []
        tries = 0
        for part in parts:
            answer, attempts = self.answers.get(id(part), (None, 0))
            tries = max(tries, attempts)
            if isinstance(answer, Reading):
                found.append((answer, part))
            else:
                prefix = f"{part.connector.name}: " if len(parts) > 1 else ""
                text = _message(answer, self.context.redactor) if answer else "no answer"
                errors.append(prefix + text)
        if errors:
            failed = Outcome(
                job.key_result.id,
                "failed",
                error="; ".join(errors),
                connector=job.connector_label,
                attempts=tries,
            )
            return failed, [], tries
        return None, found, tries

    def record(
        self, job: _Job, fetched: dt.datetime
    ) -> tuple[Outcome, Record | None, list[Baseline]]:
        """A job's outcome, its record to store, and the baselines it measured."""
        from okrkit.store import Baseline, Record  # noqa: PLC0415

        redact = self.context.redactor.redact
        kr_id = job.key_result.id
        failed, found, tries = self.combine(job, job.parts)
        if failed is not None:
            return failed, None, []
        value = sum(reading.value for reading, _ in found)
        observed = max(reading.observed_at or part.query.window.until for reading, part in found)
        notes = [reading.note for reading, _ in found if reading.note]
        baselines: list[Baseline] = []
        raw_value = value
        if job.aggregate == "change":
            start = job.start
            if start is None and job.start_parts:
                failed, start_found, _ = self.combine(job, job.start_parts)
                if failed is not None:
                    return (
                        attrs.evolve(failed, error=f"measuring the start: {failed.error}"),
                        None,
                        [],
                    )
                start = sum(reading.value for reading, _ in start_found)
            if start is None:  # the connector reads only the present: start counting now
                start = value
                notes.append("first reading in the cycle taken as the start of the count")
            if job.start is None:
                label = job.connector_label
                baselines.append(
                    Baseline(self.name, kr_id, start, fetched, None, observed, label, self.run_id)
                )
            value -= start
        if job.baseline_parts:
            failed, base_found, _ = self.combine(job, job.baseline_parts)
            if failed is None:
                window = job.baseline_parts[0].query.window
                base = sum(reading.value for reading, _ in base_found)
                baselines.append(
                    Baseline(
                        self.name,
                        kr_id,
                        base,
                        fetched,
                        window.since,
                        window.until,
                        job.connector_label,
                        self.run_id,
                    )
                )
            else:
                notes.append(f"baseline not measured yet: {failed.error}")
        fingerprints = [part.fingerprint for _, part in found]
        raw: dict[str, Any] = {"value": raw_value, "parts": [reading.raw for reading, _ in found]}
        if notes:
            raw["notes"] = notes
        record = Record(
            plan=self.name,
            key_result=kr_id,
            value=value,
            observed_at=observed,
            source=job.connector_label,
            fetched_at=fetched,
            fingerprint=fingerprints[0]
            if len(fingerprints) == 1
            else _fingerprint({"sum": fingerprints}),
            raw=_raw_text(raw, self.context.redactor),
            run_id=self.run_id,
        )
        outcome = Outcome(
            kr_id,
            "measured",
            value=value,
            connector=job.connector_label,
            attempts=tries,
            observed_at=observed,
            note=redact("; ".join(notes)) if notes else None,
        )
        return outcome, record, baselines


def _dry_run(job: _Job) -> Outcome:
    window = job.parts[0].query.window
    span = f"{window.since.isoformat()} .. " if window.since else "up to "
    extra = " and its baseline" if job.baseline_parts else ""
    return Outcome(
        job.key_result.id,
        "planned",
        connector=job.connector_label,
        note=f"would ask {job.connector_label} for {span}{window.until.isoformat()}{extra}",
    )


def refresh(
    plan: Plan,
    store: Store | None,
    *,
    key: str | None = None,
    at: dt.datetime | None = None,
    environ: Mapping[str, str] | None = None,
    registry: Registry | None = None,
    only: Iterable[str] | None = None,
    dry_run: bool = False,
    concurrency: int = 8,
    timeout: float = 10.0,
    retry: Retry = Retry(),  # an immutable value
    rate_limits: Mapping[str, float] | None = None,
    base_dir: str | os.PathLike[str] | None = None,
    sleep: Callable[[float], None] = time.sleep,
    progress: Callable[[int, int], None] | None = None,
    holder: str | None = None,
    shard: Shard | str | None = None,
    fresh_for: dt.timedelta | None = None,
    lease_ttl: dt.timedelta | None = None,
    policy: Policy | None = None,
) -> RefreshResult:
    """Fetch every sourced key result's value and record the run in `store`.

    - `key`: the plan's key in the store (default: `plan_key(plan, <its file>)`);
    - `at`: the moment the refresh asks about (default: now); windows end there, or at the
      cycle's end if that came first;
    - `environ`: where `${VAR}` secrets come from (default: the process environment);
    - `only`: key result ids to refresh (default: all with a source);
    - `dry_run`: plan the queries and report them; fetch and write nothing;
    - `base_dir`: where relative paths in settings start (default: the OKR file's folder);
    - `shard`: only this part of the key results (``"2/4"`` or a `Shard`), for one of several
      workers;
    - `fresh_for`: do not fetch a key result whose value was fetched less than this long ago
      (by this or another refresh): its outcome is ``fresh``;
    - `lease_ttl`: how long the run's leases on its key results outlive it if it crashes
      (default: `okrkit.store.DEFAULT_LEASE_TTL`); it renews them while it runs;
    - `policy`: the operator's `okrkit.policy.Policy`: which connectors, hosts, files,
      databases and environment variables the plan's sources may use (default: any). What it
      refuses is the key result's ``invalid`` (when planning) or ``failed`` outcome.

    With a `store`, the run first leases its key results in it: one that another live refresh
    holds is left to that one (outcome ``held``), so no key result is fetched twice at once.
    With a `store` of None nothing is recorded (and baselines are measured every time).
    Raises `StoreLockedError` when other refreshes hold every key result there is to fetch, and
    `StoreError` when the plan's key stands for another plan in the store (two files named alike).
    """
    redactor = Redactor()
    with redacting_logs(redactor):
        return _refresh(
            redactor,
            plan,
            store,
            key=key,
            at=at,
            environ=environ,
            registry=registry,
            only=only,
            dry_run=dry_run,
            concurrency=concurrency,
            timeout=timeout,
            retry=retry,
            rate_limits=rate_limits,
            base_dir=base_dir,
            sleep=sleep,
            progress=progress,
            holder=holder,
            shard=Shard.parse(shard) if isinstance(shard, str) else shard,
            fresh_for=fresh_for,
            lease_ttl=lease_ttl,
            policy=policy,
        )


def _refresh(  # noqa: PLR0915  # one flow, read top to bottom
    redactor: Redactor,
    plan: Plan,
    store: Store | None,
    *,
    key: str | None,
    at: dt.datetime | None,
    environ: Mapping[str, str] | None,
    registry: Registry | None,
    only: Iterable[str] | None,
    dry_run: bool,
    concurrency: int,
    timeout: float,
    retry: Retry,
    rate_limits: Mapping[str, float] | None,
    base_dir: str | os.PathLike[str] | None,
    sleep: Callable[[float], None],
    progress: Callable[[int, int], None] | None,
    holder: str | None,
    shard: Shard | None,
    fresh_for: dt.timedelta | None,
    lease_ttl: dt.timedelta | None,
    policy: Policy | None = None,
) -> RefreshResult:
    started = dt.datetime.now(dt.UTC)
    moment = at or started
    if moment.tzinfo is None:
        moment = moment.replace(tzinfo=dt.UTC)
    source_file = plan.source_map.path if plan.source_map else None
    name = key or plan_key(plan, source_file)
    folder = (
        Path(base_dir)
        if base_dir is not None
        else (Path(source_file).parent if source_file else None)
    )
    environment = os.environ if environ is None else environ
    planner = _Planner(
        plan, name, store, registry or Registry(), environment, redactor, moment, policy, folder
    )
    wanted = set(only) if only is not None else None
    for unknown in sorted((wanted or set()) - {kr.id for kr in plan.key_results()}):
        plan.key_result(unknown)  # raises UnknownIdError, listing the ids there are
    outcomes: dict[str, Outcome] = {}
    candidates = [
        key_result
        for key_result in plan.key_results()
        if key_result.source is not None
        and (wanted is None or key_result.id in wanted)
        and (shard is None or key_result.id in shard)
    ]

    def planned(key_results: Iterable[KeyResult]) -> Iterator[_Job]:
        """Each key result's job, planned when the fetching asks for it; or its outcome."""
        for key_result in key_results:
            try:
                yield planner.job(key_result)
            except _Skip as skip:
                outcomes[key_result.id] = skip.outcome
            except SettingsError as error:
                outcomes[key_result.id] = Outcome(
                    key_result.id,
                    "invalid",
                    error=redactor.redact(str(error.message)),
                    connector=key_result.source.get("connector") if key_result.source else None,
                )

    run_id = uuid.uuid4().hex

    def ordered() -> tuple[Outcome, ...]:
        return tuple(outcomes[kr.id] for kr in plan.key_results() if kr.id in outcomes)

    if dry_run:
        outcomes.update({job.key_result.id: _dry_run(job) for job in planned(candidates)})
        return RefreshResult(
            run_id, name, started, dt.datetime.now(dt.UTC), ordered(), dry_run=True
        )

    context = Context(redactor=redactor, timeout=timeout, base_dir=folder, policy=policy)
    context.http_factory = lambda: _http_client(timeout, rate_limits, redactor, policy)
    runner = _Run(name, run_id, context, retry, sleep, concurrency, progress)
    host, pid = sharing.host_id(), os.getpid()
    who = holder or f"{host.split()[0]} pid {pid} run {run_id[:8]}" + (
        f" shard {shard}" if shard else ""
    )
    ttl = lease_ttl or DEFAULT_LEASE_TTL

    def run(key_results: Iterable[KeyResult], held: Mapping[str, Lease]) -> RefreshResult:
        batched: list[KeyResult] = []
        single: list[KeyResult] = []
        for key_result in key_results:
            (batched if planner.batched(key_result) else single).append(key_result)
        # planned while the first ones are fetched; the batches first, so that their calls
        # start early and run beside the single queries
        jobs = runner.fetch(planned(batched), planned(single))
        if held and not jobs:  # all it could fetch is another run's: as if it held them all
            assert store is not None  # noqa: S101  # only a store holds leases
            raise _all_held(name, store, held)
        fetched = dt.datetime.now(dt.UTC)
        records: list[Record] = []
        baselines: list[Baseline] = []
        for job in jobs:
            outcome, record, measured = runner.record(job, fetched)
            outcomes[job.key_result.id] = outcome
            if record is not None:
                records.append(record)
            baselines.extend(measured)
        result = RefreshResult(
            run_id,
            name,
            started,
            dt.datetime.now(dt.UTC),
            ordered(),
            costs=context.costs,
            baselines=tuple(baselines),
        )
        if store is not None:
            store.record_run(_run_record(result), records, baselines, release=run_id)
        return result

    if store is None:
        result = run(candidates, {})
    else:
        store.register_plan(name, title=_title(plan), explicit=bool(key or plan.id), at=started)
        got = sharing.claim(
            store,
            name,
            [key_result.id for key_result in candidates],
            holder=who,
            token=run_id,
            ttl=ttl,
            fresh_after=None if fresh_for is None else started - fresh_for,
            host=host,
            pid=pid,
        )
        if not got.claimed and got.held:
            raise _all_held(name, store, got.held)
        for kr_id, lease in got.held.items():
            outcomes[kr_id] = Outcome(
                kr_id, "held", note=f"another refresh is fetching it ({lease.holder})"
            )
        for kr_id, fetched_at in got.fresh.items():
            outcomes[kr_id] = Outcome(
                kr_id, "fresh", note=f"fetched at {fetched_at:%Y-%m-%d %H:%M:%S} UTC"
            )
        claimed = set(got.claimed)
        try:
            with sharing.Heartbeat(store, name, run_id, ttl, len(claimed)):
                result = run(
                    (key_result for key_result in candidates if key_result.id in claimed),
                    got.held,
                )
        except BaseException:
            with contextlib.suppress(StoreError):  # the run's own error matters more
                store.release(name, run_id)
            raise
    for outcome in result.outcomes:
        if outcome.status in ("failed", "invalid"):
            logger.warning("%s: %s", outcome.key_result, outcome.error)
    return result


def _title(plan: Plan) -> str:
    """What tells a plan from another stored under the same key: its title, or its objectives."""
    return plan.title or "untitled: " + ", ".join(o.id for o in plan.objectives[:3])


def _all_held(name: str, store: Store, held: Mapping[str, Lease]) -> StoreLockedError:
    """The error for a run that finds every key result it would fetch leased to others."""
    holders = sorted({lease.holder for lease in held.values()})
    expires_at = max(lease.expires_at for lease in held.values())
    shown = "; ".join(holders[:3]) + (f"; and {len(holders) - 3} more" if len(holders) > 3 else "")
    return StoreLockedError(
        f"another refresh holds the key results of plan {name!r} in store {store.url} "
        f"({shown}); its leases end when it finishes, or at "
        f"{expires_at:%Y-%m-%d %H:%M:%S} UTC if it stopped: wait for it, or run again after that",
        holder=holders[0],
        expires_at=expires_at,
    )


def _http_client(
    timeout: float,
    rate_limits: Mapping[str, float] | None,
    redactor: Redactor,
    policy: Policy | None = None,
) -> Any:
    from okrkit.connectors._http import HttpClient  # noqa: PLC0415

    return HttpClient(timeout=timeout, rate_limits=rate_limits, redactor=redactor, policy=policy)


def _run_record(result: RefreshResult) -> RunRecord:
    from okrkit.store import RunRecord  # noqa: PLC0415

    if result.failed + result.invalid == 0 and result.skipped == 0:
        status = "ok"
    elif result.measured == 0:
        status = "failed"
    else:
        status = "partial"
    return RunRecord(
        id=result.run_id,
        plan=result.plan,
        started_at=result.started_at,
        finished_at=result.finished_at,
        status=status,
        measured=result.measured,
        failed=result.failed + result.invalid,
        skipped=result.skipped,
        results=[outcome.to_dict() for outcome in result.outcomes],
    )
