"""Sharing a refresh between workers: shards, and leases on key results.

Many refreshes may write to one store at once: workers that each take a shard of a plan
(``okrkit refresh --shard 2/4``), and schedules that overlap. Before fetching, a refresh
*claims* its key results in the store (`okrkit.store.Store.claim`): a key result that another
live refresh holds is left to it (``held``), one fetched recently enough is not fetched again
(``fresh``, with `fresh_for`), the rest are leased to this run. The run renews its leases while
it fetches (`Heartbeat`) and ends them in the transaction that records its values, so no key
result is fetched by two refreshes at once. A worker that dies stops renewing: its leases lapse
after their time to live, or at once for a process on the same host that is no longer alive.
"""

from __future__ import annotations

import datetime as dt
import logging
import os
import threading
import zlib
from pathlib import Path
from typing import TYPE_CHECKING, Self

import attrs

from okrkit.errors import OkrkitError

if TYPE_CHECKING:
    from collections.abc import Sequence

    from okrkit.store import Claim, Lease, Store

__all__ = ["Heartbeat", "Shard", "ShardError", "claim", "host_id", "process_alive"]

logger = logging.getLogger("okrkit.refresh")


class ShardError(OkrkitError, ValueError):
    """A shard that is not ``K/N`` with 1 <= K <= N."""


@attrs.frozen
class Shard:
    """The `index`-th of `count` parts of a plan's key results (1-based: ``Shard(1, 4)`` is
    the first quarter).

    Which part a key result is in depends on its id alone (a CRC-32 of it), so every worker,
    on any machine, splits a plan the same way, and adding a key result moves no other.
    """

    index: int
    count: int

    def __attrs_post_init__(self) -> None:
        for name in ("index", "count"):
            value = getattr(self, name)
            if isinstance(value, bool) or not isinstance(value, int):
                raise ShardError(f"a shard's {name} must be a whole number, got {value!r}")
        if not 1 <= self.index <= self.count:
            raise ShardError(
                f"shard {self.index}/{self.count} does not exist: give K/N with 1 <= K <= N, "
                "for example 2/4 for the second of four workers"
            )

    @classmethod
    def parse(cls, text: str) -> Shard:
        """``"2/4"`` -> ``Shard(2, 4)``; `ShardError` saying what to write otherwise."""
        index, slash, count = str(text).strip().partition("/")
        if not slash or not index.strip().isdigit() or not count.strip().isdigit():
            raise ShardError(
                f"{text!r} is not a shard: write K/N, for example 2/4 for the second of four "
                "workers"
            )
        return cls(int(index), int(count))

    def __contains__(self, key_result: object) -> bool:
        if not isinstance(key_result, str):
            return False
        return zlib.crc32(key_result.encode()) % self.count == self.index - 1

    def __str__(self) -> str:
        return f"{self.index}/{self.count}"


def host_id() -> str:
    """This process's host, as leases record it: the host name, and on Linux the process-id
    namespace too.

    Two containers may share a host name (``hostNetwork``, ``--network host``) without seeing
    each other's processes: only a refresh that can see a lease holder's process may judge it
    dead, so the namespace is part of the host.
    """
    import socket  # noqa: PLC0415  # only here

    name = socket.gethostname()
    try:
        namespace = Path("/proc/self/ns/pid").stat().st_ino
    except OSError:  # not Linux, or no /proc: the host name alone
        return name
    return f"{name} pidns:{namespace}"


def process_alive(pid: int, since: dt.datetime | None = None) -> bool:
    """Whether a process with this id runs on this host (one of another user's counts).

    With `since` (when the process was last known to live: a lease's ``acquired_at``), a
    process with that id that started after it is another one (the id was reused) and does not
    count; that is checked where the start time can be read (Linux).
    """
    if pid <= 0:
        return False
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:
        pass
    except OSError:  # pragma: no cover - platforms without signals: assume it lives
        return True
    if since is not None:
        started = _started_at(pid)
        if started is not None and started > since + dt.timedelta(seconds=1):
            return False
    return True


def _started_at(pid: int) -> dt.datetime | None:
    """When process `pid` started (Linux: from /proc), or None when that cannot be read."""
    try:
        stat = Path(f"/proc/{pid}/stat").read_text(encoding="ascii")
        boot = next(
            int(line.split()[1])
            for line in Path("/proc/stat").read_text(encoding="ascii").splitlines()
            if line.startswith("btime ")
        )
        ticks = int(stat.rpartition(")")[2].split()[19])  # field 22: starttime
        per_second = os.sysconf("SC_CLK_TCK")
    except (OSError, ValueError, IndexError, StopIteration):
        return None
    return dt.datetime.fromtimestamp(boot + ticks / per_second, dt.UTC)


def claim(
    store: Store,
    plan: str,
    key_results: Sequence[str],
    *,
    holder: str,
    token: str,
    ttl: dt.timedelta,
    fresh_after: dt.datetime | None,
    host: str,
    pid: int,
) -> Claim:
    """Claim the key results; take over the leases of dead processes on this host at once.

    A lease whose holder ran on this host with a process id that no longer exists belonged to
    a refresh that crashed (killed, or the machine rebooted): waiting for it to expire would
    only delay the work.
    """
    got = store.claim(
        plan,
        key_results,
        holder=holder,
        token=token,
        ttl=ttl,
        fresh_after=fresh_after,
        host=host,
        pid=pid,
    )
    dead = {
        lease.token
        for lease in got.held.values()
        if lease.host == host
        and lease.pid is not None
        and not process_alive(lease.pid, lease.acquired_at)
    }
    if not dead:
        return got
    for token_of_dead in sorted(dead):
        logger.warning(
            "taking over the leases of a refresh that is gone: %s", _holder(got, token_of_dead)
        )
    again = store.claim(
        plan,
        sorted(got.held),
        holder=holder,
        token=token,
        ttl=ttl,
        fresh_after=fresh_after,
        dead=dead,
        host=host,
        pid=pid,
    )
    return attrs.evolve(
        got,
        claimed=tuple(sorted((*got.claimed, *again.claimed))),
        held=dict(again.held),
        fresh={**got.fresh, **again.fresh},
    )


def _holder(got: Claim, token: str) -> str:
    lease: Lease = next(lease for lease in got.held.values() if lease.token == token)
    return lease.holder


class Heartbeat:
    """Renews a run's leases every third of their time to live, until the block ends.

    A renewal that fails (the store unreachable for a moment) is logged and tried again at the
    next beat; a run that finds it holds fewer leases than it claimed (they lapsed and another
    worker took them over) logs it once: that worker will fetch them too.
    """

    def __init__(
        self, store: Store, plan: str, token: str, ttl: dt.timedelta, claimed: int
    ) -> None:
        self._store, self._plan, self._token, self._ttl = store, plan, token, ttl
        self._claimed = claimed
        self._stop = threading.Event()
        self._thread = threading.Thread(
            target=self._beat, name="okrkit-lease-heartbeat", daemon=True
        )
        self.renewals = 0

    def __enter__(self) -> Self:
        if self._claimed:
            self._thread.start()
        return self

    def __exit__(self, *exc_info: object) -> None:
        self._stop.set()
        if self._thread.is_alive():
            self._thread.join()

    def _beat(self) -> None:
        interval = self._ttl.total_seconds() / 3
        warned = False
        while not self._stop.wait(interval):
            try:
                held = self._store.renew(self._plan, self._token, ttl=self._ttl)
            except OkrkitError as error:
                logger.warning("could not renew this run's leases (will retry): %s", error)
                continue
            self.renewals += 1
            if held < self._claimed and not warned:
                warned = True
                logger.warning(
                    "this run lost %d of its %d leases on plan %r (they lapsed and another "
                    "refresh took them over): those key results may be fetched twice",
                    self._claimed - held,
                    self._claimed,
                    self._plan,
                )
