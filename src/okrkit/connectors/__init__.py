"""The connector SDK: how key results get live numbers.

A connector reads one kind of source (a SQL database, a JSON endpoint, the YouTube Data API) and
answers *queries*: one per key result, carrying that key result's validated settings and the time
window it asks about. Write one as a plain function for the simple case::

    import attrs
    from okrkit.connectors import Query, connector

    @attrs.frozen
    class Settings:
        table: str

    @connector("rows", settings=Settings)
    def rows(query: Query) -> float:
        "Count the rows of a table."
        return count_rows(query.settings.table)

or as a `Connector` subclass with a batch `fetch` for sources that can answer many key results in
one call. Register it under the ``okrkit.connectors`` entry-point group of your package; the
built-in connectors (``static``, ``http``, ``sql``, ``csv``) register the same way.

Errors: raise `TransientError` for what may pass (timeouts, 429, 5xx: the runner retries, honouring
``retry_after``) and a `TerminalError` (`SettingsError`, `CredentialsError`, `QuotaError`) for what
needs a person to act. Never put a secret in a message; the runner redacts the ones it knows, but
only those.
"""

from okrkit.connectors._base import Connector, Context, Query, Reading, Window, connector
from okrkit.connectors._http import HttpClient, parse_retry_after
from okrkit.connectors._httplib2 import BodyTooLargeError, guard_httplib2
from okrkit.connectors._registry import (
    ENTRY_POINT_GROUP,
    ENV_VAR,
    ConnectorInfo,
    PluginProblem,
    Registry,
)
from okrkit.connectors._settings import InvalidSettingError, parse_duration
from okrkit.errors import (
    ConnectorError,
    CredentialsError,
    QuotaError,
    SettingsError,
    TerminalError,
    TransientError,
    UnknownConnectorError,
)

__all__ = [
    "ENTRY_POINT_GROUP",
    "ENV_VAR",
    "BodyTooLargeError",
    "Connector",
    "ConnectorError",
    "ConnectorInfo",
    "Context",
    "CredentialsError",
    "HttpClient",
    "InvalidSettingError",
    "PluginProblem",
    "Query",
    "QuotaError",
    "Reading",
    "Registry",
    "SettingsError",
    "TerminalError",
    "TransientError",
    "UnknownConnectorError",
    "Window",
    "connector",
    "guard_httplib2",
    "parse_duration",
    "parse_retry_after",
]
