"""Example okrkit connectors: one made from a function, one batch class."""

from collections.abc import Sequence

import attrs

from okrkit.connectors import (
    Connector,
    ConnectorError,
    Context,
    Query,
    Reading,
    TerminalError,
    connector,
)

__all__ = ["NameLengthConnector", "NameSettings", "RowsSettings", "example_rows"]


@attrs.frozen
class RowsSettings:
    path: str = attrs.field(metadata={"help": "A text file, relative to the OKR file's folder."})


@connector("example-rows", settings=RowsSettings)
def example_rows(query: Query, context: Context) -> float:
    """Non-empty lines in a text file."""
    text = context.path(query.settings.path).read_text(encoding="utf-8")
    return float(sum(1 for line in text.splitlines() if line.strip()))


@attrs.frozen
class NameSettings:
    name: str = attrs.field(metadata={"help": "The name to measure; 'bad' fails."})


class NameLengthConnector(Connector):
    name = "example-batch"
    summary = "The length of a name, many names in one call."
    Settings = NameSettings
    batch = True

    def fetch(
        self, queries: Sequence[Query], context: Context
    ) -> list[Reading | float | ConnectorError]:
        del context  # nothing to reach: the answer is in the settings
        asked = len(queries)
        results: list[Reading | float | ConnectorError] = []
        for query in queries:
            name = query.settings.name
            if name == "bad":
                results.append(TerminalError(f"the name {name!r} is refused; use another name"))
            else:
                results.append(
                    Reading(
                        float(len(name)),
                        raw={"name": name, "queries_in_call": asked},
                        note=f"{asked} queries in one call",
                    )
                )
        return results
