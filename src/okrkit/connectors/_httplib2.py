"""okrkit's limits on an ``httplib2.Http``: the body cap, the run's per-host rate limits and the
operator's policy, for connectors built on Google's client libraries (which speak httplib2, not
requests, and so do not go through `HttpClient`).

httplib2 reads every answer whole into memory, however big. `capped` arms an ``httplib2.Http``
(whatever made it: `default_http` or a caller's factory) so that each connection it opens reads
its answers through `CappedResponse`: a ``Content-Length`` over the cap is refused before the
body is read, and a body without one (chunked, or read until the server closes) is refused as
soon as it passes the cap. A gzip or deflate body is capped again once decompressed (httplib2's
own decode limit, set to the same number). Before each request (redirects and retries too) it
waits for the run's rate limit of the host, as ``context.http`` does for requests.

The hook is httplib2's ``Http._conn_request(conn, ...)``, through which every request of an
``Http`` passes with its ``http.client`` connection: the connection's ``response_class`` is set
there, so the cap holds on every host a request is redirected to.

Under a policy (``okrkit refresh --policy``) every request, and every redirect it follows, is
checked first with `okrkit.policy.Policy.check_url`: a host the policy does not list, or one that
resolves to a private address, is refused before a connection is made. httplib2 connects to the
host by name, so unlike `HttpClient` this does not pin the checked address.

A connector arms each transport it makes with `guard_httplib2(transport, context)`.
"""

from __future__ import annotations

import functools
import http.client
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from collections.abc import Callable

    from okrkit.connectors import Context

__all__ = [
    "MAX_BODY",
    "BodyTooLargeError",
    "CappedResponse",
    "capped",
    "guard_httplib2",
    "run_limits",
]

#: The largest answer read, in bytes, when the run says nothing else: as okrkit's HttpClient.
MAX_BODY = 10 * 1024 * 1024
_CHUNK = 64 * 1024
_ARMED = "_okrkit_capped"


class BodyTooLargeError(Exception):
    """An answer bigger than okrkit reads: `size` is its declared length, or None when it was
    stopped while reading (no ``Content-Length``, or bigger once decompressed)."""

    def __init__(self, limit: int, size: int | None = None) -> None:
        self.limit = limit
        self.size = size
        super().__init__(f"the answer {self.words}")

    @property
    def words(self) -> str:
        """``is 12,345,678 bytes, more than the 10,485,760 okrkit reads``."""
        if self.size is not None:
            return f"is {self.size:,} bytes, more than the {self.limit:,} okrkit reads"
        return f"is more than the {self.limit:,} bytes okrkit reads"


class CappedResponse(http.client.HTTPResponse):
    """An ``http.client`` response that refuses a body over `max_body` bytes."""

    def __init__(
        self,
        sock: Any,
        debuglevel: int = 0,
        method: str | None = None,
        url: str | None = None,
        *,
        max_body: int = MAX_BODY,
    ) -> None:
        super().__init__(sock, debuglevel, method, url)
        self.max_body = max_body
        self.taken = 0

    def begin(self) -> None:
        super().begin()
        if self.length is not None and self.length > self.max_body:
            raise BodyTooLargeError(self.max_body, self.length)

    def read(self, amt: int | None = None) -> bytes:
        if self.length is not None:  # declared, and not over the cap (begin checked it)
            return super().read(amt)
        if amt is None:
            return b"".join(iter(functools.partial(self.read, _CHUNK), b""))
        data = super().read(amt)
        self.taken += len(data)
        if self.taken > self.max_body:
            self.close()  # its connection may have let go of it already (Connection: close)
            raise BodyTooLargeError(self.max_body)
        return data


def capped(
    transport: Any,
    *,
    max_body: int = MAX_BODY,
    limit: Callable[[str], None] | None = None,
    check: Callable[[str], object] | None = None,
) -> Any:
    """`transport` armed with the body cap, `limit` (called with each request's host name
    before it is sent) and `check` (called with each request's URL before that: it raises to
    refuse it), when it is an ``httplib2.Http``; anything else (a test double) as is.

    Arming is done once per object; the same object is returned.
    """
    import httplib2  # type: ignore[import-untyped, unused-ignore]  # noqa: PLC0415  # when fetching
    from httplib2.decode import (  # type: ignore[import-untyped, unused-ignore]  # noqa: PLC0415
        DecodeLimitError,
        DecodeRatioError,
    )

    if not isinstance(transport, httplib2.Http) or getattr(transport, _ARMED, False):
        return transport
    response_class = functools.partial(CappedResponse, max_body=max_body)
    send = transport._conn_request  # noqa: SLF001  # the hook: every request passes here

    def conn_request(conn: Any, request_uri: str, method: str, body: Any, headers: Any) -> Any:
        if check is not None:
            scheme = "https" if isinstance(conn, http.client.HTTPSConnection) else "http"
            check(f"{scheme}://{_netloc(conn.host, conn.port)}{request_uri}")
        if limit is not None:
            limit(conn.host)
        conn.response_class = response_class
        try:
            return send(conn, request_uri, method, body, headers)
        except BodyTooLargeError:
            conn.close()  # the rest of the body is left unread: the connection cannot be reused
            raise
        except (DecodeLimitError, DecodeRatioError):
            conn.close()
            raise BodyTooLargeError(max_body) from None

    transport._conn_request = conn_request  # noqa: SLF001
    limits = getattr(transport, "limit_kwargs", None)
    if isinstance(limits, dict):  # decompressed: the same cap, and no ratio check below it
        limits.update(hard_limit=max_body, safe_limit=max_body)
    setattr(transport, _ARMED, True)
    return transport


def run_limits(context: Context) -> tuple[int, Callable[[str], None] | None]:
    """The run's body cap, and its per-host rate limit (``--rate-limit``) as a function of the
    host name: both those of ``context.http``, so every connector of a run shares them."""
    client = context.http
    max_body = getattr(client, "max_body", MAX_BODY)
    limit = getattr(client, "limit", None)  # a stand-in client without one limits nothing
    return (
        max_body if isinstance(max_body, int) else MAX_BODY,
        limit if callable(limit) else None,
    )


def guard_httplib2(transport: Any, context: Context) -> Any:
    """`transport` (an ``httplib2.Http``) armed with the run's body cap, rate limits and policy;
    the same object. Anything that is not an ``httplib2.Http`` (a test double) is returned as is.
    """
    max_body, limit = run_limits(context)
    check = context.policy.check_url if context.policy is not None else None
    return capped(transport, max_body=max_body, limit=limit, check=check)


def _netloc(host: str, port: int | None) -> str:
    shown = f"[{host}]" if ":" in host else host
    return shown if port is None else f"{shown}:{port}"
