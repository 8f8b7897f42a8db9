"""The httplib2 guard now lives in okrkit itself (`okrkit.connectors.guard_httplib2`); these
names stay importable from here for the connector's modules and tests."""

from okrkit.connectors._httplib2 import (
    MAX_BODY,
    BodyTooLargeError,
    CappedResponse,
    capped,
    guard_httplib2,
    run_limits,
)

__all__ = [
    "MAX_BODY",
    "BodyTooLargeError",
    "CappedResponse",
    "capped",
    "guard_httplib2",
    "run_limits",
]
