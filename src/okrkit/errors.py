"""Every error okrkit raises, under one root.

```
OkrkitError
├── ModelError (ValueError)            a model object built with a bad field
│   └── PlanError                      ids that collide or point nowhere, across a plan
├── FileFormatError (ValueError)       an OKR file that cannot be read, with file:line:column
├── UnknownIdError (LookupError)       a lookup by an id the plan does not have
└── SentenceError (ValueError)         a key-result sentence that is not text at all
```

Catch `OkrkitError` to handle anything okrkit raises; catch the builtin each error also
subclasses (`ValueError`, `LookupError`) where code already does.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

import attrs

if TYPE_CHECKING:
    from collections.abc import Iterable, Sequence

__all__ = [
    "FileFormatError",
    "Location",
    "ModelError",
    "OkrkitError",
    "PlanError",
    "Problem",
    "SentenceError",
    "UnknownIdError",
]


_MAX_KNOWN = 10  # ids listed in an UnknownIdError message


class OkrkitError(Exception):
    """The root of every error okrkit raises."""


class ModelError(OkrkitError, ValueError):
    """A model object was given a value it cannot hold.

    `field` names the attribute (for example ``"weight"``), `owner` the object it belongs to
    (for example ``"key result 'signups'"``) when known.
    """

    def __init__(self, message: str, *, field: str | None = None, owner: str | None = None) -> None:
        self.field = field
        self.owner = owner
        where = " ".join(part for part in (owner, f"field {field!r}" if field else None) if part)
        super().__init__(f"{where}: {message}" if where else message)
        self.message = message


@attrs.frozen
class Location:
    """A place in an OKR file: 1-based line and column."""

    path: str | None
    line: int | None = None
    column: int | None = None

    def __str__(self) -> str:
        parts = [self.path or "<string>"]
        if self.line is not None:
            parts.append(str(self.line))
            if self.column is not None:
                parts.append(str(self.column))
        return ":".join(parts)


@attrs.frozen
class Problem:
    """One thing wrong with a plan: what, where in the document (a JSON pointer), which ids."""

    code: str
    message: str
    pointer: str
    objective: str | None = None
    key_result: str | None = None


class PlanError(ModelError):
    """A plan's cross-references do not hold: duplicate ids or references to unknown ids.

    `problems` lists every one found, not only the first.
    """

    def __init__(self, problems: Sequence[Problem], *, locations: Sequence[Location] = ()) -> None:
        self.problems = tuple(problems)
        lines = []
        for index, problem in enumerate(self.problems):
            where = f"{locations[index]}: " if index < len(locations) else ""
            lines.append(f"{where}{problem.message}")
        super().__init__("; ".join(lines) if len(lines) == 1 else "\n  " + "\n  ".join(lines))


class FileFormatError(OkrkitError, ValueError):
    """An OKR file could not be read into a plan.

    Carries the `location` (file, line, column) and says what was expected there.
    """

    def __init__(self, message: str, location: Location) -> None:
        self.location = location
        self.message = message
        super().__init__(f"{location}: {message}")


class UnknownIdError(OkrkitError, LookupError):
    """A lookup asked for an objective, key result or project id that the plan does not have."""

    def __init__(self, kind: str, identifier: str, known: Iterable[str] = ()) -> None:
        self.kind = kind
        self.identifier = identifier
        names = sorted(known)
        shown = ", ".join(names[:_MAX_KNOWN])
        if len(names) > _MAX_KNOWN:
            shown += f" and {len(names) - _MAX_KNOWN} more"
        hint = f" (known: {shown})" if names else ""
        super().__init__(f"no {kind} with id {identifier!r}{hint}")

    def __str__(self) -> str:  # LookupError would repr() the message otherwise
        return str(self.args[0])


class SentenceError(OkrkitError, ValueError):
    """A key-result sentence could not be examined at all (it is not text, or far too long)."""
