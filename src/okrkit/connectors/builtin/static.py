"""The ``static`` connector: a number typed in the OKR file.

Useful in tests, and for a value nobody has automated yet: the key result still goes through a
refresh and gets a measurement, so the day someone writes the real source only the ``source``
line changes.
"""

from __future__ import annotations

import math
from typing import TYPE_CHECKING, Any, ClassVar

import attrs

from okrkit.connectors._base import Connector, Context, Query, Reading
from okrkit.connectors.builtin import InvalidSettingError

if TYPE_CHECKING:
    from collections.abc import Sequence

    from okrkit.errors import ConnectorError

__all__ = ["StaticConnector", "StaticSettings"]


def _check_finite(_instance: Any, attribute: attrs.Attribute[float], value: float) -> None:
    if not math.isfinite(value):
        raise InvalidSettingError(attribute.name, f"{value!r} is not a finite number")


@attrs.frozen
class StaticSettings:
    """The settings of the ``static`` connector."""

    value: float = attrs.field(
        validator=_check_finite,
        metadata={"help": "The number to report, as typed (any finite number)."},
    )


class StaticConnector(Connector):
    """Reports the number its settings hold, whatever the time or window."""

    name: ClassVar[str] = "static"
    Settings: ClassVar[type | None] = StaticSettings
    summary: ClassVar[str] = (
        "A number typed in the OKR file (for tests and values not automated yet)."
    )
    windowed: ClassVar[bool] = False
    batch: ClassVar[bool] = True

    def fetch(
        self, queries: Sequence[Query], context: Context
    ) -> Sequence[Reading | float | ConnectorError]:
        del context  # a typed number needs nothing from the run
        return [Reading(float(query.settings.value), note="typed in the file") for query in queries]
