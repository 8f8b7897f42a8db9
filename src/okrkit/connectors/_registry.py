"""Finding connectors: the ``okrkit.connectors`` entry-point group, read lazily.

Built-in connectors register through the same group as everyone else's, so there is one way in.
Nothing is imported until a connector is asked for by name (or `okrkit connectors` lists them
all). A plugin that fails to import is reported with its distribution and the error, and skipped.
The ``OKRKIT_CONNECTORS`` environment variable, a comma-separated list of names, narrows which
plugins load at all.
"""

from __future__ import annotations

import os
import threading
from typing import TYPE_CHECKING, Any

import attrs

from okrkit.connectors._base import Connector, connector_class, settings_of
from okrkit.errors import ConnectorError, UnknownConnectorError

if TYPE_CHECKING:
    from collections.abc import Callable, Iterable, Mapping
    from importlib.metadata import EntryPoint

__all__ = ["ENTRY_POINT_GROUP", "ENV_VAR", "ConnectorInfo", "PluginProblem", "Registry"]

ENTRY_POINT_GROUP = "okrkit.connectors"
ENV_VAR = "OKRKIT_CONNECTORS"


@attrs.frozen
class ConnectorInfo:
    """An installed connector: its name, where it comes from, and the settings it takes."""

    name: str
    distribution: str | None
    version: str | None
    target: str
    summary: str
    windowed: bool
    batch: bool
    settings: tuple[Mapping[str, Any], ...]

    def to_dict(self) -> dict[str, Any]:
        return {
            "name": self.name,
            "distribution": self.distribution,
            "version": self.version,
            "target": self.target,
            "summary": self.summary,
            "windowed": self.windowed,
            "batch": self.batch,
            "settings": [dict(setting) for setting in self.settings],
        }


@attrs.frozen
class PluginProblem:
    """A plugin that could not be loaded, and why."""

    name: str
    distribution: str | None
    error: str

    def __str__(self) -> str:
        source = f" from {self.distribution}" if self.distribution else ""
        return f"connector {self.name!r}{source} could not be loaded: {self.error}"


def _installed() -> list[EntryPoint]:
    from importlib.metadata import entry_points  # noqa: PLC0415

    return list(entry_points(group=ENTRY_POINT_GROUP))


def _only_from_environment() -> frozenset[str] | None:
    names = frozenset(
        name.strip() for name in os.environ.get(ENV_VAR, "").split(",") if name.strip()
    )
    return names or None  # unset, empty or only commas: no narrowing


def _distribution(entry_point: EntryPoint) -> tuple[str | None, str | None]:
    dist = getattr(entry_point, "dist", None)
    if dist is None:
        return None, None
    return dist.metadata["Name"], dist.version


def _target(made: type[Connector]) -> str:
    function = getattr(made, "function", None)  # an @connector function: name the function
    name = getattr(function, "__qualname__", None) or made.__qualname__
    return f"{made.__module__}:{name}"


class Registry:
    """The connectors a refresh can use.

    By default they come from the installed entry points; `extra` adds connector classes
    directly (tests, notebooks). `only` (or ``OKRKIT_CONNECTORS``) narrows what loads.
    """

    def __init__(
        self,
        *,
        entry_points: Callable[[], Iterable[EntryPoint]] | None = _installed,
        extra: Iterable[type[Connector] | Any] = (),
        only: Iterable[str] | None = None,
    ) -> None:
        self._entry_points = entry_points
        self._only = frozenset(only) if only is not None else _only_from_environment()
        self._extra: dict[str, type[Connector]] = {}
        for item in extra:
            made = connector_class(item)
            if made is None or not made.name:
                raise TypeError(f"{item!r} is not a connector with a name")
            self._extra[made.name] = made
        self._points: dict[str, EntryPoint] | None = None
        self._loaded: dict[str, type[Connector]] = {}
        self._problems: dict[str, PluginProblem] = {}
        self._duplicates: list[PluginProblem] = []
        self._lock = threading.Lock()

    def _allowed(self, name: str) -> bool:
        return self._only is None or name in self._only

    def _discover(self) -> dict[str, EntryPoint]:
        if self._points is None:
            points: dict[str, EntryPoint] = {}
            for entry_point in self._entry_points() if self._entry_points else ():
                # the first installed wins; a second one of the same name is a problem to report
                if entry_point.name in points:
                    dist, _ = _distribution(entry_point)
                    first, _ = _distribution(points[entry_point.name])
                    self._duplicates.append(
                        PluginProblem(
                            entry_point.name,
                            dist,
                            f"the name is already taken by {first or 'another plugin'}, "
                            "which is used; uninstall one of them",
                        )
                    )
                    continue
                points[entry_point.name] = entry_point
            self._points = points
        return self._points

    def names(self) -> list[str]:
        """Every connector name this registry can load, without importing any of them."""
        with self._lock:
            found = set(self._discover()) | set(self._extra)
        return sorted(name for name in found if self._allowed(name))

    def get(self, name: str) -> type[Connector]:
        """The connector class for `name`, imported on first use."""
        with self._lock:
            if not self._allowed(name):
                raise UnknownConnectorError(
                    f"connector {name!r} is not among those {ENV_VAR} allows "
                    f"({', '.join(sorted(self._only or ()))}); add it there or unset {ENV_VAR}"
                )
            if name in self._extra:
                return self._extra[name]
            if name in self._loaded:
                return self._loaded[name]
            points = self._discover()
            if name not in points:
                known = sorted(n for n in (set(points) | set(self._extra)) if self._allowed(n))
                raise UnknownConnectorError(
                    f"no connector named {name!r} is installed (installed: "
                    f"{', '.join(known) or 'none'}); install the package that provides it, "
                    f"such as okrkit-{name}"
                )
            if name in self._problems:
                raise ConnectorError(str(self._problems[name]))
            return self._load(name, points[name])

    def _load(self, name: str, entry_point: EntryPoint) -> type[Connector]:
        dist, _ = _distribution(entry_point)
        try:
            value = entry_point.load()
        except Exception as error:  # noqa: BLE001  # any import failure is reported, not raised
            problem = PluginProblem(name, dist, f"{type(error).__name__}: {error}")
            self._problems[name] = problem
            raise ConnectorError(str(problem)) from None
        made = connector_class(value)
        if made is None:
            mistake = f"{entry_point.value} is not a Connector subclass or an @connector function"
        elif made.name != name:
            mistake = (
                f"the entry point is named {name!r} but {entry_point.value} calls itself "
                f"{made.name!r}: give both the same name"
            )
        else:
            self._loaded[name] = made
            return made
        self._problems[name] = PluginProblem(name, dist, mistake)
        raise ConnectorError(str(self._problems[name]))

    def load_all(self) -> tuple[list[ConnectorInfo], list[PluginProblem]]:
        """Import every allowed connector: what loaded, and what could not."""
        infos: list[ConnectorInfo] = []
        for name in self.names():
            try:
                made = self.get(name)
            except ConnectorError:
                continue
            point = (self._points or {}).get(name)
            dist, version = _distribution(point) if point is not None else (None, None)
            infos.append(
                ConnectorInfo(
                    name=name,
                    distribution=dist,
                    version=version,
                    target=point.value
                    if point is not None
                    else f"{made.__module__}:{made.__name__}",
                    summary=made.summary,
                    windowed=made.windowed,
                    batch=made.batch,
                    settings=tuple(settings_of(made)),
                )
            )
        problems = [p for name, p in sorted(self._problems.items()) if self._allowed(name)]
        problems.extend(p for p in self._duplicates if self._allowed(p.name))
        return infos, problems
