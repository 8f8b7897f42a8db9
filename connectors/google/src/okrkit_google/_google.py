"""What the Google connectors share: credentials, the HTTP transport, and Google's errors in
okrkit's terms.

Both connectors talk to Google through google-api-python-client with its bundled (static)
discovery documents, so building a client never touches the network. Requests go through an
``httplib2.Http`` made by `GoogleConnector.http_factory` (a test passes a recording double
there), wrapped in ``google_auth_httplib2.AuthorizedHttp`` when a service account signs them: the
token exchange goes through the same transport, so a test sees it too and no real one happens.
"""

from __future__ import annotations

import json
import logging
import math
import re
import threading
from collections.abc import Callable, Iterable, Mapping, Sequence
from pathlib import Path
from typing import TYPE_CHECKING, Any, ClassVar, Literal, Self

import attrs

from okrkit.connectors import (
    BodyTooLargeError,
    Connector,
    ConnectorError,
    CredentialsError,
    QuotaError,
    SettingsError,
    TerminalError,
    TransientError,
    guard_httplib2,
    parse_retry_after,
)
from okrkit.secrets import Redactor

if TYPE_CHECKING:
    from google.oauth2.service_account import Credentials

    from okrkit.connectors import Context

__all__ = [
    "ANALYTICS_SCOPE",
    "SHEETS_SCOPE",
    "GoogleApi",
    "GoogleConnector",
    "HttpFactory",
    "Identity",
    "Transports",
    "add_up",
    "default_http",
    "json_object",
    "load_service_account",
    "show_value",
    "translate",
]

SHEETS_SCOPE = "https://www.googleapis.com/auth/spreadsheets.readonly"
ANALYTICS_SCOPE = "https://www.googleapis.com/auth/analytics.readonly"

#: Makes the transport for one group of requests: ``factory(timeout)`` returns an
#: ``httplib2.Http`` or anything with its ``request(uri, method, body, headers, ...)``.
HttpFactory = Callable[[float], Any]

_MESSAGE_LIMIT = 300
_SHOWN_VALUE = 40
_REQUIRED_KEY_FIELDS = ("client_email", "private_key", "token_uri")
_DAILY = re.compile(r"per[ _-]?day|daily|\b1d\b|-1d\b", re.IGNORECASE)
_HOURLY = re.compile(r"per[ _-]?hour|hourly|\b1h\b|-1h\b", re.IGNORECASE)
_PER_MINUTE = re.compile(r"per[ _-]?minute|-1m\b", re.IGNORECASE)
_QUOTA_REASONS = frozenset(
    {
        "RATE_LIMIT_EXCEEDED",
        "RESOURCE_EXHAUSTED",
        "rateLimitExceeded",
        "userRateLimitExceeded",
        "dailyLimitExceeded",
        "quotaExceeded",
    }
)
_DISABLED_REASONS = frozenset({"SERVICE_DISABLED", "accessNotConfigured"})
_KEY_REASONS = frozenset(
    {
        "API_KEY_INVALID",
        "keyInvalid",
        "API_KEY_SERVICE_BLOCKED",
        "API_KEY_HTTP_REFERRER_BLOCKED",
        "API_KEY_IP_ADDRESS_BLOCKED",
        "API_KEY_ANDROID_APP_BLOCKED",
        "API_KEY_IOS_APP_BLOCKED",
    }
)


class _MaskedUrls(logging.Filter):
    """Masks ``key=...`` in googleapiclient's debug lines ("URL being requested: GET ...")."""

    def filter(self, record: logging.LogRecord) -> bool:
        record.msg = Redactor().redact(record.getMessage())
        record.args = None
        return True


_masking = threading.Lock()


def _mask_client_logs() -> None:
    """Keep API keys out of googleapiclient's own log lines, once per process."""
    logger = logging.getLogger("googleapiclient.discovery")
    with _masking:
        if not any(isinstance(item, _MaskedUrls) for item in logger.filters):
            logger.addFilter(_MaskedUrls())


def default_http(timeout: float) -> Any:
    """A plain ``httplib2.Http`` with the run's timeout (proxies come from the environment).

    `Transports.make` arms it (as any ``httplib2.Http`` a factory makes) with the run's body
    cap and per-host rate limits: see `okrkit.connectors.guard_httplib2`.
    """
    import httplib2  # type: ignore[import-untyped]  # noqa: PLC0415  # only when fetching

    return httplib2.Http(timeout=timeout)


class Transports:
    """The HTTP transports one fetch makes: each armed with the run's body cap and rate
    limits, and all closed when the fetch ends (``with connector.transports(context) as t``).
    """

    def __init__(self, factory: HttpFactory, context: Context) -> None:
        self.factory = factory
        self.context = context
        self.made: list[Any] = []

    def make(self) -> Any:
        """A new transport from the factory, with the run's timeout, armed."""
        transport = guard_httplib2(self.factory(self.context.timeout), self.context)
        self.made.append(transport)
        return transport

    def close(self) -> None:
        """Close every transport made (a test double without ``close`` is left alone)."""
        made, self.made = self.made, []
        for transport in made:
            close = getattr(transport, "close", None)
            if callable(close):
                close()

    def __enter__(self) -> Self:
        return self

    def __exit__(self, *_exc: object) -> None:
        self.close()


def show_value(value: Any) -> str:
    """A value from an answer as a message shows it: its repr, a long number by its first
    digits and its length (``100000000000... (401 digits)``), anything else long cut."""
    text = repr(value)
    if len(text) <= _SHOWN_VALUE:
        return text
    number = str(value).strip()
    digits = number.removeprefix("-")
    if digits.isascii() and digits.isdigit():
        sign = "-" if number.startswith("-") else ""
        return f"{sign}{digits[:12]}... ({len(digits)} digits)"
    return f"{text[: _SHOWN_VALUE - 3]}..."


def add_up(numbers: Iterable[float], what: str) -> float:
    """The exact sum of finite numbers, or a `TerminalError` when it is more than a float holds
    (`what` names them: ``the numbers in Sheet1!B2:B9``)."""
    try:
        total = math.fsum(numbers)
    except OverflowError:  # an intermediate sum passed the largest float
        total = math.inf
    if not math.isfinite(total):
        raise TerminalError(f"{what} add up to more than a float holds: not a finite number")
    return total


def json_object(answer: Any, product: str) -> dict[str, Any]:
    """A decoded answer that must be a JSON object (googleapiclient passes other text through)."""
    if not isinstance(answer, dict):
        raise TransientError(f"{product} answered with something that is not JSON")
    return answer


@attrs.frozen
class Identity:
    """Who asks Google: an API key, or a service account's key file (an absolute path)."""

    kind: Literal["api_key", "service_account"]
    secret: str = attrs.field(repr=False)

    @property
    def key(self) -> tuple[str, str]:
        return (self.kind, self.secret)


def load_service_account(path: Path, scopes: Sequence[str]) -> Credentials:
    """The service account in a JSON key file, or a `CredentialsError` naming the file.

    The message never quotes the file's content: only what is wrong with it.
    """
    if not path.exists():
        raise CredentialsError(
            f"the service-account key file {path} does not exist (setting "
            "service_account_file): create a JSON key for the service account in the Google "
            "Cloud console (IAM & Admin > Service accounts > Keys) and give its path"
        )
    if not path.is_file():
        raise CredentialsError(
            f"the service-account key file {path} is not a file (setting service_account_file)"
        )
    try:
        text = path.read_text(encoding="utf-8")
    except OSError as error:
        raise CredentialsError(
            f"cannot read the service-account key file {path}: {error.strerror}"
        ) from None
    except UnicodeDecodeError:
        raise CredentialsError(
            f"the service-account key file {path} is not a JSON key (it is not text)"
        ) from None
    try:
        data = json.loads(text)
    except ValueError:
        raise CredentialsError(
            f"the service-account key file {path} is not JSON: download the key again "
            "(Keys > Add key > Create new key > JSON)"
        ) from None
    if not isinstance(data, Mapping):
        raise CredentialsError(f"the service-account key file {path} is not a JSON key object")
    kind = data.get("type")
    if kind != "service_account":
        what = f"a {kind!r} credential" if isinstance(kind, str) else "not a service-account key"
        raise CredentialsError(
            f"the key file {path} is {what}: okrkit needs a service account's JSON key "
            "(IAM & Admin > Service accounts > Keys), not an OAuth client or a user credential"
        )
    missing = [name for name in _REQUIRED_KEY_FIELDS if not data.get(name)]
    if missing:
        raise CredentialsError(
            f"the service-account key file {path} lacks {', '.join(missing)}: download the "
            "key again"
        )
    from google.oauth2 import service_account  # noqa: PLC0415  # only when fetching

    try:
        credentials: Credentials = service_account.Credentials.from_service_account_info(  # type: ignore[no-untyped-call]  # google-auth leaves it unannotated
            data, scopes=list(scopes)
        )
    except ValueError:
        raise CredentialsError(
            f"the private key in the service-account key file {path} cannot be read: download "
            "the key again"
        ) from None
    return credentials


@attrs.frozen
class GoogleApi:
    """How to talk about one Google API in error messages."""

    product: str  # "Google Sheets"
    api: str  # "Google Sheets API", as the console's API Library names it
    permission: str  # what to do about a 403 with these credentials
    not_found: str  # what a 404 means
    setting_of: Callable[[str], str | None]  # the setting a 400's message is about


def translate(error: Exception, api: GoogleApi, context: Context) -> ConnectorError:
    """Any failure of a Google call, as the `ConnectorError` the runner understands.

    Never quotes the request's URL (it holds ``key=``) or any header.
    """
    if isinstance(error, ConnectorError):
        return error
    if isinstance(error, BodyTooLargeError):  # not a network fault: checked before OSError
        return TerminalError(f"{api.product}: the answer {error.words}")
    from google.auth import exceptions as auth  # noqa: PLC0415
    from googleapiclient.errors import HttpError  # type: ignore[import-untyped]  # noqa: PLC0415

    if isinstance(error, HttpError):
        return _http_error(error, api, context)
    if isinstance(error, auth.RefreshError):
        return CredentialsError(
            f"Google refused the service account's key when asked for a token "
            f"({_refresh_reason(error, context)}): the key may have been deleted or the account "
            "disabled; create a new JSON key"
        )
    if isinstance(error, auth.TransportError):
        return TransientError(
            f"could not reach Google's token service: {_clip(context.redactor.redact(str(error)))}"
        )
    if isinstance(error, TimeoutError):
        return TransientError(f"{api.product} did not answer within {context.timeout:g}s")
    import http.client  # noqa: PLC0415

    import httplib2  # noqa: PLC0415

    if isinstance(error, httplib2.RedirectLimit):
        return TerminalError(f"{api.product} kept redirecting; check the address it is asked at")
    if isinstance(error, httplib2.HttpLib2Error | OSError | http.client.HTTPException):
        reason = _clip(context.redactor.redact(str(error) or type(error).__name__))
        if isinstance(error, http.client.IncompleteRead):  # connected, then cut off
            return TransientError(
                f"the connection to {api.product} broke while reading the answer ({reason})"
            )
        return TransientError(f"could not connect to {api.product}: {reason}")
    if isinstance(error, ValueError):  # googleapiclient could not decode the answer
        return TransientError(f"{api.product} answered with something that is not JSON")
    return TerminalError(f"{api.product} failed: {type(error).__name__}")


def _http_error(error: Any, api: GoogleApi, context: Context) -> ConnectorError:
    status = int(error.resp.status)
    body = _error_body(error.content)
    state = str(body.get("status") or "")
    message = _clip(context.redactor.redact(str(body.get("message") or error.resp.reason or "")))
    listed = body.get("details")
    details: list[Any] = listed if isinstance(listed, list) else []
    reasons = _reasons(body, details)
    said = f"HTTP {status}{f' {state}' if state else ''}"
    quoted = f": {message}" if message else ""
    headers = error.resp if isinstance(error.resp, Mapping) else {}
    retry_after = parse_retry_after(headers.get("retry-after"))
    if retry_after is None:
        retry_after = _retry_delay(details)

    if reasons & _KEY_REASONS or (status == 400 and "api key not valid" in message.lower()):
        return CredentialsError(
            f"{api.product} refused the API key ({said}{quoted}): check api_key and the key's "
            "restrictions, or create a new key in the Google Cloud console (APIs & Services > "
            "Credentials)"
        )
    if reasons & _DISABLED_REASONS or "has not been used in project" in message:
        return CredentialsError(
            f"the {api.api} is not enabled in the Google Cloud project of these credentials "
            f"({said}): enable it in the Google Cloud console (APIs & Services > Library > "
            f"{api.api}), wait a few minutes, and refresh again"
        )
    if status == 429 or state == "RESOURCE_EXHAUSTED" or reasons & _QUOTA_REASONS:
        return _quota_error(api, said, message, [*details, *sorted(reasons)], retry_after)
    if status == 401:
        return CredentialsError(
            f"{api.product} did not accept the credentials ({said}{quoted}): check api_key or "
            "service_account_file"
        )
    if status == 403:
        return CredentialsError(f"{api.product} refused access ({said}{quoted}): {api.permission}")
    if status == 400:
        setting = api.setting_of(message)
        return SettingsError(f"{api.product} refused the request ({said}{quoted})", setting=setting)
    if status == 404:
        return TerminalError(f"{api.not_found} ({said}{quoted})")
    if status == 408 or status >= 500:
        wait = f" (asked to wait {retry_after:g}s)" if retry_after is not None else ""
        return TransientError(
            f"{api.product} answered {said}{wait}{quoted}; trying again may work",
            retry_after=retry_after,
        )
    return TerminalError(f"{api.product} answered {said}{quoted}")


def _quota_error(
    api: GoogleApi,
    said: str,
    message: str,
    details: Sequence[Any],
    retry_after: float | None,
) -> ConnectorError:
    """Daily and hourly quotas wait for their reset (terminal); the rest pass within a minute.

    The rule reads Google's message and error details: "per day", "daily" or a ``-1d`` limit
    name is a daily quota; "per hour" or ``-1h`` an hourly one; anything else (per minute, per
    100 seconds, concurrent requests) is transient. A per-minute limit with no wait given waits
    60 seconds.
    """
    text = f"{message} {json.dumps(details, default=str)}"
    if _DAILY.search(text):
        return QuotaError(
            f"the daily {api.product} quota is spent ({said}: {message}); it resets at midnight "
            "Pacific time: refresh again tomorrow, or ask Google for more quota"
        )
    if _HOURLY.search(text):
        return QuotaError(
            f"an hourly {api.product} quota is spent ({said}: {message}); refresh again within "
            "the hour"
        )
    if retry_after is None and _PER_MINUTE.search(text):
        retry_after = 60.0
    wait = f" (asked to wait {retry_after:g}s)" if retry_after is not None else ""
    return TransientError(
        f"{api.product} is rate limiting these requests{wait} ({said}: {message})",
        retry_after=retry_after,
    )


def _error_body(content: Any) -> Mapping[str, Any]:
    try:
        data = json.loads(content.decode("utf-8") if isinstance(content, bytes) else content)
    except (ValueError, TypeError, AttributeError):
        return {}
    if isinstance(data, list) and data:
        data = data[0]
    error = data.get("error") if isinstance(data, Mapping) else None
    return error if isinstance(error, Mapping) else {}


def _reasons(body: Mapping[str, Any], details: Sequence[Any]) -> set[str]:
    found: set[str] = set()
    for item in [*details, *(body.get("errors") or [])]:
        if isinstance(item, Mapping) and isinstance(item.get("reason"), str):
            found.add(item["reason"])
    return found


def _retry_delay(details: Sequence[Any]) -> float | None:
    """Seconds from a ``google.rpc.RetryInfo`` detail (``"retryDelay": "12s"``), if any."""
    for item in details:
        if isinstance(item, Mapping) and str(item.get("@type", "")).endswith("RetryInfo"):
            delay = str(item.get("retryDelay", ""))
            if delay.endswith("s"):
                try:
                    seconds = float(delay[:-1])
                except ValueError:
                    return None
                return max(0.0, seconds) if math.isfinite(seconds) else None
    return None


def _refresh_reason(error: Exception, context: Context) -> str:
    first = error.args[0] if error.args else type(error).__name__
    return _clip(context.redactor.redact(str(first)), 160)


def _clip(text: str, limit: int = _MESSAGE_LIMIT) -> str:
    text = " ".join(text.split())
    return text if len(text) <= limit else f"{text[: limit - 3]}..."


class GoogleConnector(Connector):
    """The base of the Google connectors: builds API clients over an injectable transport.

    ``GoogleConnector(http_factory=...)`` replaces the ``httplib2.Http`` every request goes
    through (tests pass a recording double; the default is `default_http`). Requests signed by
    a service account, and the token exchange, go through it too.
    """

    scopes: ClassVar[tuple[str, ...]] = ()

    def __init__(self, *, http_factory: HttpFactory | None = None) -> None:
        self.http_factory: HttpFactory = http_factory or default_http

    def transports(self, context: Context) -> Transports:
        """The transports of one fetch: a fetch makes its clients with them, in a ``with``."""
        return Transports(self.http_factory, context)

    def service(
        self, name: str, version: str, identity: Identity, transports: Transports
    ) -> tuple[Any, Credentials | None]:
        """A client for one API as `identity`, and the service account's credentials if any.

        Its transport is made by `transports`, which closes it when the fetch ends. Built from
        the discovery document bundled with google-api-python-client: no network.
        """
        from googleapiclient.discovery import build  # type: ignore[import-untyped]  # noqa: PLC0415

        _mask_client_logs()
        context = transports.context
        http = transports.make()
        credentials: Credentials | None = None
        developer_key: str | None = None
        if identity.kind == "service_account":
            credentials = load_service_account(Path(identity.secret), self.scopes)
            import google_auth_httplib2  # type: ignore[import-untyped]  # noqa: PLC0415

            http = google_auth_httplib2.AuthorizedHttp(credentials, http=http)
        else:
            developer_key = identity.secret
            context.redactor.add(identity.secret)  # in case it was typed in the file
        client = build(
            name,
            version,
            http=http,
            developerKey=developer_key,
            static_discovery=True,
            cache_discovery=False,
        )
        return client, credentials
