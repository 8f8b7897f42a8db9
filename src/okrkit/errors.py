"""Every error okrkit raises, under one root.

```
OkrkitError
├── ModelError (ValueError)            a model object built with a bad field
│   └── PlanError                      ids that collide or point nowhere, across a plan
├── FileFormatError (ValueError)       an OKR file that cannot be read, with file:line:column
├── UnknownIdError (LookupError)       a lookup by an id the plan does not have
├── SentenceError (ValueError)         a key-result sentence that is not text at all
├── StoreError                         the measurement store cannot be opened, read or written
│   ├── StoreLockedError               another refresh holds the store's lock
│   └── SchemaVersionError             the store was written by a newer okrkit
└── ConnectorError                     a connector could not produce a value
    ├── TransientError                 it may work if tried again: timeouts, 429, 5xx
    ├── TerminalError                  it will not work until someone fixes something
    │   ├── SettingsError (ValueError) a key result's source settings are wrong
    │   ├── CredentialsError           a missing or rejected credential
    │   ├── QuotaError                 the source's quota is spent
    │   └── PolicyError                the operator's policy refuses what the source asks for
    └── UnknownConnectorError (LookupError) no installed connector has that name
```

Catch `OkrkitError` to handle anything okrkit raises; catch the builtin each error also
subclasses (`ValueError`, `LookupError`) where code already does.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

import attrs

if TYPE_CHECKING:
    from collections.abc import Iterable, Sequence

__all__ = [
    "ConnectorError",
    "CredentialsError",
    "FileFormatError",
    "Location",
    "ModelError",
    "OkrkitError",
    "PlanError",
    "PolicyError",
    "Problem",
    "QuotaError",
    "SchemaVersionError",
    "SentenceError",
    "SettingsError",
    "StoreError",
    "StoreLockedError",
    "TerminalError",
    "TransientError",
    "UnknownConnectorError",
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


class StoreError(OkrkitError):
    """The measurement store cannot be opened, read or written; the message says which store."""


class StoreLockedError(StoreError):
    """Another refresh holds the store's lock for this plan.

    `holder` describes it (host, process, start time) and `expires_at` says when a lock left by
    a crashed run lapses.
    """

    def __init__(self, message: str, *, holder: str | None = None, expires_at: Any = None) -> None:
        self.holder = holder
        self.expires_at = expires_at
        super().__init__(message)


class SchemaVersionError(StoreError):
    """The store's schema is newer than this okrkit knows: upgrade okrkit to read it."""


class ConnectorError(OkrkitError):
    """A connector could not produce a value for a key result.

    `key_result` names it when known; the message says what went wrong and, for terminal
    errors, what to fix. Messages never carry secrets: the runner redacts them. Errors raised
    by okrkit's HTTP client for an answer that is not 2xx carry `http_status` and `http_body`
    (redacted), so a connector can catch one and say what the vendor's answer means.
    """

    http_status: int | None = None
    http_body: str | None = None

    def __init__(self, message: str, *, key_result: str | None = None) -> None:
        self.key_result = key_result
        self.message = message
        super().__init__(f"key result {key_result!r}: {message}" if key_result else message)


class TransientError(ConnectorError):
    """A failure that may pass: a timeout, a refused connection, 429, a 5xx. Retried.

    `retry_after` (seconds) is the source's own hint, from a ``Retry-After`` header.
    """

    def __init__(
        self, message: str, *, key_result: str | None = None, retry_after: float | None = None
    ) -> None:
        self.retry_after = retry_after
        super().__init__(message, key_result=key_result)


class TerminalError(ConnectorError):
    """A failure that will repeat until someone acts: never retried."""


class SettingsError(TerminalError, ValueError):
    """A key result's source settings are wrong; `setting` names the bad one."""

    def __init__(
        self, message: str, *, key_result: str | None = None, setting: str | None = None
    ) -> None:
        self.setting = setting
        where = f"setting {setting!r}: " if setting else ""
        super().__init__(f"{where}{message}", key_result=key_result)


class CredentialsError(TerminalError):
    """A credential is missing from the environment, or the source rejected it."""


class QuotaError(TerminalError):
    """The source's quota (daily units, monthly calls) is spent: wait for it to reset."""


class PolicyError(TerminalError):
    """The operator's policy (``okrkit refresh --policy``) refuses what a key result's source
    asks for: a connector, a host or address, a file, a database, an environment variable.

    The message names what was refused and the policy file; `policy_key` names the key of the
    policy that would allow it (None when no key can, as for a ``file://`` address).
    """

    def __init__(
        self, message: str, *, key_result: str | None = None, policy_key: str | None = None
    ) -> None:
        self.policy_key = policy_key
        super().__init__(message, key_result=key_result)


class UnknownConnectorError(ConnectorError, LookupError):
    """No installed connector has the name a key result's source asks for."""

    def __str__(self) -> str:  # LookupError would repr() the message otherwise
        return str(self.args[0])
