"""An HTTP double for google-api-python-client that records what it is asked.

`RecordingHttp` is googleapiclient's own `HttpMockSequence` (answers given in order), which
also keeps every request it saw, parsed (`Sent`), and raises an exception placed among the
answers, to stand in for a timeout or a refused connection.
"""

from __future__ import annotations

import json
from typing import Any
from urllib.parse import parse_qs, urlsplit

import attrs
from googleapiclient.http import HttpMockSequence

__all__ = ["RecordingHttp", "Sent", "error", "ok"]


def ok(body: Any) -> tuple[dict[str, str], str]:
    """A 200 answer with a JSON body."""
    return {"status": "200", "content-type": "application/json; charset=UTF-8"}, json.dumps(body)


def error(
    status: int,
    reason: str,
    message: str = "failed",
    *,
    domain: str = "youtube",
    headers: dict[str, str] | None = None,
    details: list[dict[str, Any]] | None = None,
) -> tuple[dict[str, str], str]:
    """An error answer in Google's JSON error format."""
    body: dict[str, Any] = {
        "code": status,
        "message": message,
        "errors": [{"message": message, "domain": domain, "reason": reason}],
    }
    if details is not None:
        body["details"] = details
    head = {"status": str(status), "content-type": "application/json; charset=UTF-8"}
    head.update(headers or {})
    return head, json.dumps({"error": body})


@attrs.frozen
class Sent:
    """A request the double received."""

    uri: str
    method: str
    headers: dict[str, str]

    @property
    def path(self) -> str:
        return urlsplit(self.uri).path

    @property
    def query(self) -> dict[str, str]:
        """The query string, one value per name (google-api-python-client sends one)."""
        parsed = parse_qs(urlsplit(self.uri).query, keep_blank_values=True)
        assert all(len(values) == 1 for values in parsed.values()), parsed
        return {name: values[0] for name, values in parsed.items()}

    @property
    def ids(self) -> list[str]:
        return self.query["id"].split(",")


class RecordingHttp(HttpMockSequence):  # type: ignore[misc]
    """Answers in order, records every request; an exception among the answers is raised."""

    def __init__(self, answers: list[Any]) -> None:
        super().__init__(list(answers))
        self.sent: list[Sent] = []
        self.closed = False

    def request(  # noqa: PLR0917  # httplib2's signature
        self,
        uri: str,
        method: str = "GET",
        body: Any = None,
        headers: Any = None,
        redirections: int = 1,
        connection_type: Any = None,
    ) -> Any:
        self.sent.append(Sent(uri, method, dict(headers or {})))
        assert self._iterable, f"an unexpected request: {method} {uri}"
        if isinstance(self._iterable[0], BaseException):
            raise self._iterable.pop(0)
        return super().request(uri, method, body, headers, redirections, connection_type)

    @property
    def unanswered(self) -> int:
        """Answers given but never asked for: 0 when every expected call was made."""
        return len(self._iterable)

    def close(self) -> None:
        self.closed = True
