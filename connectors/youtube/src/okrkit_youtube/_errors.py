"""How a failed YouTube Data API call becomes a transient or terminal okrkit error.

The API answers errors as JSON: ``{"error": {"code": 403, "message": "...", "errors":
[{"domain": "youtube.quota", "reason": "quotaExceeded", "message": "..."}], "details":
[{"@type": "type.googleapis.com/google.rpc.ErrorInfo", "reason": "API_KEY_INVALID"}]}}``. The
status and the reasons decide the class; the message is written here, never taken from
``str(HttpError)``, which repeats the request's address with the API key in it.
"""

from __future__ import annotations

import http.client
import json
import re
import ssl
from typing import TYPE_CHECKING, Any

from okrkit.connectors import (
    BodyTooLargeError,
    ConnectorError,
    CredentialsError,
    QuotaError,
    TerminalError,
    TransientError,
    parse_retry_after,
)

if TYPE_CHECKING:
    from okrkit.secrets import Redactor

__all__ = ["error_reasons", "from_exception", "from_http_error"]

_QUOTA = frozenset({"quotaExceeded", "dailyLimitExceeded", "dailyLimitExceededUnreg"})
_BAD_KEY = frozenset({"keyInvalid", "keyExpired", "API_KEY_INVALID", "API_KEY_EXPIRED"})
_NOT_ENABLED = frozenset({"accessNotConfigured", "SERVICE_DISABLED"})
_KEY_BLOCKED = frozenset(
    {
        "ipRefererBlocked",
        "API_KEY_SERVICE_BLOCKED",
        "API_KEY_HTTP_REFERRER_BLOCKED",
        "API_KEY_IP_ADDRESS_BLOCKED",
        "API_KEY_ANDROID_APP_BLOCKED",
        "API_KEY_IOS_APP_BLOCKED",
    }
)
_RATE = frozenset(
    {"rateLimitExceeded", "userRateLimitExceeded", "RATE_LIMIT_EXCEEDED", "backendError"}
)
_NOT_SHARED = frozenset(
    {
        "playlistItemsNotAccessible",
        "channelForbidden",
        "playlistForbidden",
        "forbiddenNotAccessible",
    }
)
_TAG = re.compile(r"<[^>]*>")
_MAX_MESSAGE = 300
_QUOTA_ADVICE = (
    "the YouTube Data API quota of this key's Google Cloud project is exhausted; it resets at "
    "midnight Pacific time; ask for more quota in the Google Cloud console (APIs & Services > "
    "YouTube Data API v3 > Quotas)"
)


def _payload(content: Any) -> dict[str, Any]:
    if isinstance(content, bytes):
        content = content.decode("utf-8", "replace")
    try:
        data = json.loads(content) if isinstance(content, str) else None
    except ValueError:
        return {}
    error = data.get("error") if isinstance(data, dict) else None
    return error if isinstance(error, dict) else {}


def error_reasons(content: Any) -> tuple[list[str], str]:
    """The reasons (``errors[].reason`` and ErrorInfo ``details[].reason``) and the message of
    an error body; empty when the body is not the API's JSON."""
    error = _payload(content)
    reasons: list[str] = []
    for key in ("errors", "details"):
        items = error.get(key)
        if isinstance(items, list):
            reasons.extend(
                str(item["reason"])
                for item in items
                if isinstance(item, dict) and isinstance(item.get("reason"), str)
            )
    message = error.get("message")
    text = _TAG.sub("", message).strip() if isinstance(message, str) else ""
    return reasons, text


def from_http_error(
    status: int, content: Any, headers: Any, call: str, redactor: Redactor
) -> ConnectorError:
    """The okrkit error for an HTTP error answer to `call` (as ``videos.list``)."""
    reasons, raw_message = error_reasons(content)
    said = redactor.redact(raw_message)[:_MAX_MESSAGE]  # masked whole, then cut
    found = set(reasons)
    why = f" ({', '.join(dict.fromkeys(reasons))})" if reasons else ""
    detail = f": {said}" if said else ""
    head = f"YouTube {call} answered HTTP {status}{why}"
    if found & _QUOTA:
        return QuotaError(f"{head}: {_QUOTA_ADVICE}")
    if found & _BAD_KEY or (status == 400 and "API key not valid" in raw_message):
        return CredentialsError(
            f"{head}: the API key was refused; check the key in the environment "
            "(YOUTUBE_API_KEY) is a YouTube Data API key copied whole from the Google Cloud "
            "console (APIs & Services > Credentials), and create a new one if it was deleted"
        )
    if found & _NOT_ENABLED:
        return CredentialsError(
            f"{head}: the YouTube Data API v3 is not enabled in the key's Google Cloud "
            "project; enable it (APIs & Services > Library > YouTube Data API v3 > Enable), "
            "wait a few minutes and try again"
        )
    if found & _KEY_BLOCKED:
        return CredentialsError(
            f"{head}: the API key's restrictions refuse this call; in the Google Cloud console "
            "(APIs & Services > Credentials > the key), allow the YouTube Data API v3 and the "
            f"address this refresh runs from{detail}"
        )
    if status == 429 or found & _RATE or status >= 500:
        retry_after = parse_retry_after(_header(headers, "retry-after"))
        wait = f", asked to wait {retry_after:g}s" if retry_after is not None else ""
        return TransientError(
            f"{head}{detail} (busy or rate-limited{wait}; it is tried again)",
            retry_after=retry_after,
        )
    if status == 404:
        return TerminalError(f"{head}{detail}; check the id in the key result's settings")
    if found & _NOT_SHARED:
        return TerminalError(
            f"{head}{detail}; it is private: make it public or unlisted, or measure another one"
        )
    if status in (401, 403):
        return CredentialsError(
            f"{head}{detail}; the API key lacks permission: check it is a YouTube Data API key "
            "of a project where the YouTube Data API v3 is enabled"
        )
    return TerminalError(f"{head}{detail}")


def _header(headers: Any, name: str) -> str | None:
    if headers is None:
        return None
    getter = getattr(headers, "get", None)
    if getter is None:
        return None
    value = getter(name) or getter(name.title())
    return value if isinstance(value, str) else None


def from_exception(error: BaseException, call: str, redactor: Redactor) -> ConnectorError | None:
    """The okrkit error for a failure to reach the API at all, or None if `error` is not one."""
    # imported with the client, when a refresh fetches
    import httplib2  # type: ignore[import-untyped, unused-ignore]  # noqa: PLC0415

    if isinstance(
        error, BodyTooLargeError
    ):  # before OSError: a body too big is not a network fault
        return TerminalError(f"YouTube {call}: the answer {error.words}; check the endpoint")
    reason = redactor.redact(str(error) or type(error).__name__)[:_MAX_MESSAGE]
    if isinstance(error, ssl.SSLCertVerificationError):
        return TerminalError(
            f"YouTube {call}: the server's TLS certificate was refused ({reason}); check the "
            "endpoint, or the proxy between you and Google"
        )
    if isinstance(error, TimeoutError):
        return TransientError(f"YouTube {call} timed out ({reason}); it is tried again")
    if isinstance(error, httplib2.RedirectLimit):
        return TerminalError(
            f"YouTube {call}: the server kept redirecting ({reason}); check the endpoint"
        )
    if isinstance(error, http.client.IncompleteRead):  # connected, then cut off
        return TransientError(
            f"YouTube {call}: the connection broke while reading the answer ({reason}); it is "
            "tried again"
        )
    if isinstance(error, OSError | httplib2.HttpLib2Error | http.client.HTTPException):
        return TransientError(
            f"YouTube {call}: could not reach the API ({type(error).__name__}: {reason}); "
            "it is tried again"
        )
    return None
