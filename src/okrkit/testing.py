"""Helpers for testing OKR files and connectors without the network.

`FakeConnector` answers a refresh from a table of values and records what it was asked::

    from okrkit.testing import FakeConnector

    fake = FakeConnector("youtube", {"youtube-views": 120_000})
    result = okrkit.refresh(plan, None, registry=fake.registry())
    assert result.outcomes[0].value == 120_000
    assert fake.queries[0].key_result == "youtube-views"

A value may be a number, a `Reading`, a `ConnectorError` (returned for that key result), or a
list of those, answered one per attempt (``[TransientError("busy"), 5]`` fails once, then
answers 5). Key results missing from the table fail with a terminal error that says so.
"""

from __future__ import annotations

import threading
from typing import TYPE_CHECKING, Any

from okrkit.connectors._base import Connector, Context, Query, Reading
from okrkit.connectors._registry import Registry
from okrkit.errors import ConnectorError, TerminalError

if TYPE_CHECKING:
    from collections.abc import Iterable, Mapping, Sequence

__all__ = ["FakeConnector", "registry"]

Answer = float | Reading | ConnectorError


class FakeConnector:
    """A connector for tests, registered under `name`, answering from `values`."""

    def __init__(
        self,
        name: str = "fake",
        values: Mapping[str, Answer | Sequence[Answer]] | None = None,
        *,
        windowed: bool = True,
        batch: bool = True,
        settings: type | None = None,
    ) -> None:
        self.name = name
        self.values: dict[str, list[Answer]] = {}
        for key, value in (values or {}).items():
            self.set(key, value)
        self.queries: list[Query] = []
        self.calls = 0
        self.closed = 0
        self._lock = threading.Lock()
        fake = self

        class Made(Connector):
            def fetch(
                self,
                queries: Sequence[Query],
                context: Context,  # noqa: ARG002  # the fake needs no HTTP
            ) -> Sequence[Reading | float | ConnectorError]:
                return fake._answer(queries)

            def close(self) -> None:
                with fake._lock:
                    fake.closed += 1

        Made.name = name
        Made.Settings = settings
        Made.summary = f"a fake connector for tests ({name})"
        Made.windowed = windowed
        Made.batch = batch
        Made.__name__ = Made.__qualname__ = f"Fake{name.title().replace('-', '')}Connector"
        self.connector: type[Connector] = Made

    def set(self, key_result: str, value: Answer | Sequence[Answer]) -> None:
        """Set what the fake answers for a key result from now on."""
        if isinstance(value, list | tuple):
            self.values[key_result] = list(value)
        else:
            self.values[key_result] = [value]  # type: ignore[list-item]  # one answer

    def _answer(self, queries: Sequence[Query]) -> list[Reading | float | ConnectorError]:
        with self._lock:
            self.calls += 1
            self.queries.extend(queries)
            answers: list[Reading | float | ConnectorError] = []
            for query in queries:
                queue = self.values.get(query.key_result)
                if not queue:
                    answers.append(
                        TerminalError(
                            f"the fake {self.name!r} has no value for {query.key_result!r}"
                        )
                    )
                    continue
                answers.append(queue.pop(0) if len(queue) > 1 else queue[0])
            return answers

    def registry(
        self, *others: FakeConnector | type[Connector], builtins: bool = False
    ) -> Registry:
        """A registry holding this fake (and `others`); with `builtins`, the installed
        connectors too."""
        extra: list[type[Connector]] = [self.connector]
        extra.extend(o.connector if isinstance(o, FakeConnector) else o for o in others)
        if builtins:
            return Registry(extra=extra)
        return Registry(entry_points=None, extra=extra)

    def asked(self, key_result: str) -> list[Query]:
        """The queries the fake received for a key result."""
        return [query for query in self.queries if query.key_result == key_result]


def registry(*connectors: FakeConnector | type[Connector] | Any) -> Registry:
    """A registry of exactly these connectors (fakes, classes or @connector functions)."""
    extra: Iterable[Any] = (c.connector if isinstance(c, FakeConnector) else c for c in connectors)
    return Registry(entry_points=None, extra=extra)
