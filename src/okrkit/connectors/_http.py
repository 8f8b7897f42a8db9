"""HTTP for connectors: one `requests` session per run, with timeouts, per-host rate limits, a
body-size cap, and every failure mapped to a transient or terminal `ConnectorError`.

Connector authors use it through ``context.http``; the built-in ``http`` connector and the vendor
connectors do too, so every HTTP source fails the same documented way.
"""

from __future__ import annotations

import datetime as dt
import json
import threading
import time
from typing import TYPE_CHECKING, Any
from urllib.parse import SplitResult, urlsplit

from okrkit.errors import (
    ConnectorError,
    CredentialsError,
    PolicyError,
    QuotaError,
    TerminalError,
    TransientError,
)
from okrkit.secrets import Redactor

if TYPE_CHECKING:
    from collections.abc import Callable, Mapping

    import requests

    from okrkit.policy import Policy

__all__ = ["HttpClient", "parse_retry_after"]

#: Statuses that mean "try again later".
TRANSIENT_STATUSES = frozenset({408, 425, 429, 500, 502, 503, 504})
DEFAULT_MAX_BODY = 10 * 1024 * 1024


def parse_retry_after(value: str | None, *, now: dt.datetime | None = None) -> float | None:
    """Seconds to wait from a ``Retry-After`` header: a number of seconds or an HTTP date."""
    if value is None or not value.strip():
        return None
    text = value.strip()
    try:
        seconds = float(text)
    except ValueError:
        import email.utils  # noqa: PLC0415  # rarely needed, and slow to import

        try:
            when = email.utils.parsedate_to_datetime(text)
        except (TypeError, ValueError, IndexError):
            return None
        if when.tzinfo is None:
            when = when.replace(tzinfo=dt.UTC)
        seconds = (when - (now or dt.datetime.now(dt.UTC))).total_seconds()
    return max(0.0, seconds) if seconds == seconds else None  # noqa: PLR0124  # NaN check


class _HostLimiter:
    """At most `rate` requests a second to one host, spread evenly, safe across threads."""

    def __init__(
        self, rate: float, clock: Callable[[], float], sleep: Callable[[float], None]
    ) -> None:
        self.interval = 1.0 / rate
        self.clock = clock
        self.sleep = sleep
        self.next_slot = 0.0
        self.lock = threading.Lock()

    def wait(self) -> None:
        with self.lock:
            now = self.clock()
            slot = max(now, self.next_slot)
            self.next_slot = slot + self.interval
        if slot > now:
            self.sleep(slot - now)


_SESSION_CLASS: Any = None


def _session_class() -> Any:
    """`requests.Session` that reads the environment's proxy settings once per origin.

    With ``trust_env`` (the default) requests asks the environment for proxies on every request:
    `get_environ_proxies` reads every environment variable twice and checks ``no_proxy``, which
    costs more than the rest of okrkit's work on a request. The answer depends only on the
    origin and the environment, so a session (one per thread, for one run) keeps it per origin.
    Redirects still ask the environment, as requests does.
    """
    global _SESSION_CLASS  # noqa: PLW0603  # built on first use: requests loads only then
    if _SESSION_CLASS is None:
        import os  # noqa: PLC0415

        import requests  # noqa: PLC0415
        from requests.sessions import merge_setting  # noqa: PLC0415
        from requests.utils import get_environ_proxies  # noqa: PLC0415

        class Session(requests.Session):
            def __init__(self) -> None:
                super().__init__()
                self.environ_proxies: dict[tuple[str, str, Any], dict[str, str]] = {}

            def merge_environment_settings(
                self, url: Any, proxies: Any, stream: Any, verify: Any, cert: Any
            ) -> dict[str, Any]:
                if not self.trust_env or not isinstance(url, str):
                    return super().merge_environment_settings(url, proxies, stream, verify, cert)
                no_proxy = proxies.get("no_proxy") if proxies is not None else None
                parts = urlsplit(url)
                key = (parts.scheme, parts.netloc, no_proxy)
                found = self.environ_proxies.get(key)
                if found is None:
                    found = self.environ_proxies[key] = get_environ_proxies(url, no_proxy=no_proxy)
                if proxies is not None:
                    for name, value in found.items():
                        proxies.setdefault(name, value)
                if verify is True or verify is None:
                    verify = (
                        os.environ.get("REQUESTS_CA_BUNDLE")
                        or os.environ.get("CURL_CA_BUNDLE")
                        or verify
                    )
                return {
                    "proxies": merge_setting(proxies, self.proxies),
                    "stream": merge_setting(stream, self.stream),
                    "verify": merge_setting(verify, self.verify),
                    "cert": merge_setting(cert, self.cert),
                }

        _SESSION_CLASS = Session
    return _SESSION_CLASS


class _Guard:
    """A policy's checks on one client's requests: each host's verdict and addresses are worked
    out once for the client's life, and connections go to those checked addresses only."""

    def __init__(self, policy: Policy) -> None:
        self.policy = policy
        self._verdicts: dict[str, tuple[str, ...] | PolicyError] = {}
        self._lock = threading.Lock()
        self._adapter_class: Any = None

    def check(self, url: str) -> None:
        """Refuse `url` with a `PolicyError` (or a `TransientError` when its host cannot be
        resolved) unless the policy allows its scheme, host and every address it resolves to."""
        parts = urlsplit(url)
        if parts.scheme.lower() not in ("http", "https"):
            self.policy.check_url(url, resolve=False)  # raises, naming the scheme
        self.addresses(parts.hostname or "")

    def addresses(self, host: str) -> tuple[str, ...]:
        """The checked addresses of `host`, resolved and checked on first use."""
        key = host.lower().rstrip(".")  # as urllib3 names the host it connects to
        with self._lock:
            verdict = self._verdicts.get(key)
        if verdict is None:
            try:
                verdict = self.policy.check_url(f"http://{_bracketed(key)}/")
            except PolicyError as error:
                verdict = error
            with self._lock:
                self._verdicts[key] = verdict
        if isinstance(verdict, PolicyError):
            raise PolicyError(verdict.message, policy_key=verdict.policy_key)
        return verdict

    def adapter(self) -> Any:
        """A `requests` adapter whose connections go only to the addresses this guard checked
        (the TLS handshake still names and verifies the host): a DNS answer that changes after
        the check cannot send a request elsewhere. Through a proxy, the proxy connects."""
        if self._adapter_class is None:
            self._adapter_class = _pinned_adapter_class(self.addresses)
        return self._adapter_class()


def _bracketed(host: str) -> str:
    return f"[{host}]" if ":" in host else host


def _pinned_adapter_class(addresses: Callable[[str], tuple[str, ...]]) -> Any:
    """An `HTTPAdapter` class whose new connections go to ``addresses(host)``, one after the
    other until one answers, instead of to whatever the host name resolves to then."""
    import sys  # noqa: PLC0415

    from requests.adapters import HTTPAdapter  # noqa: PLC0415
    from urllib3.connection import HTTPConnection, HTTPSConnection  # noqa: PLC0415
    from urllib3.connectionpool import HTTPConnectionPool, HTTPSConnectionPool  # noqa: PLC0415
    from urllib3.exceptions import ConnectTimeoutError, NewConnectionError  # noqa: PLC0415
    from urllib3.util import connection  # noqa: PLC0415

    def new_conn(self: Any) -> Any:
        error: Exception | None = None
        for address in addresses(self._dns_host):  # urllib3's name for the host
            try:
                sock = connection.create_connection(
                    (address, self.port),
                    self.timeout,
                    source_address=self.source_address,
                    socket_options=self.socket_options,
                )
            except TimeoutError:
                error = ConnectTimeoutError(
                    self, f"Connection to {self.host} timed out. (connect timeout={self.timeout})"
                )
            except OSError as failure:
                error = NewConnectionError(self, f"Failed to establish a new connection: {failure}")
            else:
                sys.audit("http.client.connect", self, self.host, self.port)
                return sock
        raise error or NewConnectionError(self, "no address to connect to")

    class PinnedConnection(HTTPConnection):
        _new_conn = new_conn

    class PinnedTlsConnection(HTTPSConnection):
        _new_conn = new_conn

    class PinnedPool(HTTPConnectionPool):
        ConnectionCls = PinnedConnection

    class PinnedTlsPool(HTTPSConnectionPool):
        ConnectionCls = PinnedTlsConnection

    class PinnedAdapter(HTTPAdapter):
        def init_poolmanager(self, *args: Any, **kwargs: Any) -> None:
            super().init_poolmanager(*args, **kwargs)
            self.poolmanager.pool_classes_by_scheme = {"http": PinnedPool, "https": PinnedTlsPool}

    return PinnedAdapter


class HttpClient:
    """A `requests` session for a refresh run.

    - `timeout`: seconds for connecting and for each read;
    - `rate_limits`: requests per second allowed per host name (``{"api.x.com": 5}``), and
      `default_rate` for hosts not named (None: no limit);
    - `max_body`: the largest body read, in bytes; a bigger one is a terminal error;
    - `policy`: the operator's `okrkit.policy.Policy` (None: any host). Under one, every
      request and every redirect is checked before it is sent (scheme, host, each address the
      host resolves to), redirects are followed by the client itself, and connections go to
      the checked addresses only; a refused request raises `PolicyError`.
    """

    def __init__(
        self,
        *,
        timeout: float = 10.0,
        rate_limits: Mapping[str, float] | None = None,
        default_rate: float | None = None,
        max_body: int = DEFAULT_MAX_BODY,
        redactor: Redactor | None = None,
        user_agent: str = "okrkit",
        max_redirects: int = 5,
        clock: Callable[[], float] = time.monotonic,
        sleep: Callable[[float], None] = time.sleep,
        policy: Policy | None = None,
    ) -> None:

        self.timeout = timeout
        self.max_body = max_body
        self.redactor = redactor or Redactor()
        self._rates = dict(rate_limits or {})
        self._default_rate = default_rate
        self._limiters: dict[str, _HostLimiter] = {}
        self._limiters_lock = threading.Lock()
        self._clock = clock
        self._sleep = sleep
        self._local = threading.local()
        self._sessions: list[requests.Session] = []
        self._user_agent = user_agent
        self._max_redirects = max_redirects
        # None unless a policy restricts hosts: then one `if` is all a request pays
        self._guard = _Guard(policy) if policy is not None and policy.checks_hosts else None

    def _session(self) -> requests.Session:
        session: requests.Session | None = getattr(self._local, "session", None)
        if session is None:
            session = _session_class()()
            session.headers["User-Agent"] = self._user_agent
            session.max_redirects = self._max_redirects
            session.trust_env = True
            if self._guard is not None:
                adapter = self._guard.adapter()
                session.mount("http://", adapter)
                session.mount("https://", adapter)
            self._local.session = session
            with self._limiters_lock:
                self._sessions.append(session)
        return session

    def limit(self, host: str) -> None:
        """Wait for the run's rate limit of `host` (``--rate-limit``): clients that are not
        this one (httplib2's, in the Google connectors) call it before each request."""
        rate = self._rates.get(host, self._default_rate)
        if rate is None or rate <= 0:
            return
        with self._limiters_lock:
            limiter = self._limiters.get(host)
            if limiter is None:
                limiter = self._limiters[host] = _HostLimiter(rate, self._clock, self._sleep)
        limiter.wait()

    def request(self, method: str, url: str, **kwargs: Any) -> requests.Response:
        """Send a request; return the response of a 2xx, raise a `ConnectorError` otherwise."""
        import requests  # noqa: PLC0415

        parts = urlsplit(url)
        if parts.scheme not in ("http", "https") or not parts.hostname:
            raise TerminalError(f"{self.redactor.redact(url)!r} is not an http(s) URL")
        host = parts.hostname
        self.limit(host)
        kwargs.setdefault("timeout", self.timeout)
        try:
            if self._guard is None:
                response = self._session().request(method, url, stream=True, **kwargs)
            else:
                response = self._checked(method, url, parts, kwargs)
        except requests.RequestException as error:
            shown = self._shown(parts)
            raise self._failure(method, shown, host, error) from None
        try:
            self._read_capped(response, parts)
        except requests.RequestException as error:
            response.close()
            raise TransientError(
                f"{method} {self._shown(parts)}: the connection broke while reading the answer "
                f"({_cut(self.redactor.redact(_reason(error)), 300)})"
            ) from None
        if not 200 <= response.status_code < 300:
            self._check_status(method, self._shown(parts), response)
        return response

    def _checked(
        self, method: str, url: str, parts: SplitResult, kwargs: dict[str, Any]
    ) -> requests.Response:
        """The request under the policy: checked, then each redirect checked before it is
        followed (by this loop, not by requests, which would follow it unchecked)."""
        import requests  # noqa: PLC0415

        assert self._guard is not None  # noqa: S101  # only called with a guard
        guard = self._guard
        try:
            guard.check(url)
        except PolicyError as error:
            raise PolicyError(
                f"{method} {self._shown(parts)}: {error.message}", policy_key=error.policy_key
            ) from None
        except TransientError as error:
            raise TransientError(f"{method} {self._shown(parts)}: {error.message}") from None
        kwargs["allow_redirects"] = False  # whatever a caller asked: every hop is checked here
        session = self._session()
        response = session.request(method, url, stream=True, **kwargs)
        hops = 0
        while response.is_redirect and response.next is not None:
            target = response.next
            response.close()
            hops += 1
            if hops > self._max_redirects:
                raise requests.TooManyRedirects(f"Exceeded {self._max_redirects} redirects.")
            target_url = str(target.url)
            try:
                guard.check(target_url)
            except (PolicyError, TransientError) as error:
                shown = self._shown(urlsplit(target_url))
                message = (
                    f"{method} {self._shown(parts)} was redirected to {shown}: {error.message}"
                )
                if isinstance(error, PolicyError):
                    raise PolicyError(message, policy_key=error.policy_key) from None
                raise TransientError(message) from None
            settings = session.merge_environment_settings(
                target_url, {}, stream=True, verify=kwargs.get("verify"), cert=kwargs.get("cert")
            )
            settings["stream"] = True
            response = session.send(
                target, allow_redirects=False, timeout=kwargs["timeout"], **settings
            )
        return response

    def _shown(self, parts: SplitResult) -> str:
        """The address as a message shows it: without the query string, secrets masked. Built
        only for a message: redacting costs more than a request's own work."""
        return self.redactor.redact(f"{parts.scheme}://{parts.netloc}{parts.path}")

    def _failure(
        self, method: str, shown: str, host: str, error: requests.RequestException
    ) -> ConnectorError:
        import requests  # noqa: PLC0415

        if isinstance(error, requests.Timeout):
            return TransientError(f"{method} {shown} timed out after {self.timeout:g}s")
        if isinstance(error, requests.TooManyRedirects):
            return TerminalError(
                f"{method} {shown} was redirected more than {self._max_redirects} times"
            )
        if isinstance(error, requests.ConnectionError):
            reason = _cut(self.redactor.redact(_reason(error)), 300)
            return TransientError(f"{method} {shown}: could not connect to {host}: {reason}")
        return TerminalError(f"{method} {shown}: {_cut(self.redactor.redact(_reason(error)), 300)}")

    def _read_capped(self, response: requests.Response, parts: SplitResult) -> None:
        declared = response.headers.get("Content-Length")
        if declared and declared.isdigit() and int(declared) > self.max_body:
            response.close()
            raise TerminalError(
                f"the answer from {self._shown(parts)} is {int(declared):,} bytes, more than "
                f"the {self.max_body:,} okrkit reads"
            )
        chunks: list[bytes] = []
        size = 0
        for chunk in response.iter_content(chunk_size=65536):
            size += len(chunk)
            if size > self.max_body:
                response.close()
                raise TerminalError(
                    f"the answer from {self._shown(parts)} is more than the {self.max_body:,} "
                    "bytes okrkit reads"
                )
            chunks.append(chunk)
        response._content = b"".join(chunks)  # noqa: SLF001  # requests' own cache of the body

    def _check_status(self, method: str, shown: str, response: requests.Response) -> None:
        """Raise the `ConnectorError` a non-2xx answer means, with `http_status` and the
        (redacted) `http_body` on it, so a vendor connector can word its own message."""
        if 200 <= response.status_code < 300:
            return
        error = self._status_error(method, shown, response)
        error.http_status = response.status_code
        error.http_body = self.redactor.redact(response.text[:65536])
        raise error

    def _status_error(self, method: str, shown: str, response: requests.Response) -> ConnectorError:
        status = response.status_code
        snippet = _cut(self.redactor.redact(response.text[:4000]).strip(), 200)
        detail = f": {snippet}" if snippet else ""
        if status in TRANSIENT_STATUSES:
            retry_after = parse_retry_after(response.headers.get("Retry-After"))
            wait = f" (asked to wait {retry_after:g}s)" if retry_after is not None else ""
            return TransientError(
                f"{method} {shown} answered HTTP {status}{wait}{detail}", retry_after=retry_after
            )
        if status in (401, 403):
            return CredentialsError(
                f"{method} {shown} answered HTTP {status}: the credentials were refused or lack "
                f"permission; check the key or token in the environment{detail}"
            )
        if status == 402:
            return QuotaError(f"{method} {shown} answered HTTP 402 (payment or quota){detail}")
        return TerminalError(f"{method} {shown} answered HTTP {status}{detail}")

    def get_json(self, url: str, **kwargs: Any) -> Any:
        return self.json("GET", url, **kwargs)

    def json(self, method: str, url: str, **kwargs: Any) -> Any:
        """Send a request and decode its JSON answer (a garbled body is a transient error)."""
        response = self.request(method, url, **kwargs)
        try:
            return json.loads(response.content)
        except (ValueError, UnicodeDecodeError):
            parts = urlsplit(url)
            shown = self.redactor.redact(f"{parts.scheme}://{parts.netloc}{parts.path}")
            text = response.content[:4000].decode("utf-8", "replace")
            start = _cut(self.redactor.redact(text), 80)
            raise TransientError(
                f"{method} {shown} answered with something that is not JSON: {start!r}"
            ) from None

    def close(self) -> None:
        with self._limiters_lock:
            for session in self._sessions:
                session.close()
            self._sessions.clear()
            self._local = threading.local()  # a later request opens a fresh session


def _cut(text: str, limit: int) -> str:
    """Text shortened for a message: always after redacting, so no secret is cut in half."""
    return text if len(text) <= limit else text[: limit - 3] + "..."


def _reason(error: BaseException) -> str:
    """The innermost cause of a requests error, in words, without the URL it repeats."""
    cause: BaseException = error
    while cause.__context__ is not None and cause.__context__ is not cause:
        cause = cause.__context__
    text = str(cause) or type(cause).__name__
    if "]" in text and "[Errno" in text:
        text = text[text.index("[Errno") :]
    return text
