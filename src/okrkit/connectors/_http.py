"""HTTP for connectors: requests' transport (urllib3 underneath) without `requests.Session`, with
timeouts, per-host rate limits, a body-size cap, and every failure mapped to a transient or
terminal `ConnectorError`.

Connector authors use it through ``context.http``; the built-in ``http`` connector and the vendor
connectors do too, so every HTTP source fails the same documented way. It takes the keyword
arguments of `requests.Session.request` and returns a `requests.Response` whose body is already
read, but it prepares and sends each request itself, through requests' `HTTPAdapter`: a
session's cookie jar, its look-ups of the environment on every request and its merging of
settings cost about as much CPU again as the exchange itself, and a refresh makes thousands of
requests on one interpreter, whose lock lets one thread run at a time.
"""

from __future__ import annotations

import datetime as dt
import json
import threading
import time
from collections.abc import Mapping
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
    from collections.abc import Callable

    import requests

    from okrkit.policy import Policy

__all__ = ["HttpClient", "parse_retry_after"]

#: Statuses that mean "try again later".
TRANSIENT_STATUSES = frozenset({408, 425, 429, 500, 502, 503, 504})
DEFAULT_MAX_BODY = 10 * 1024 * 1024
_CHUNK = 65536


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


_ADAPTER_CLASS: Any = None


def _adapter_class() -> Any:
    """requests' `HTTPAdapter` (the urllib3 pool manager that sends a prepared request), minus
    work a run need not do for every request:

    - the connection pool of an origin (with its proxy and TLS settings) is looked up once:
      requests works it out again for every request, parsing the URL and, when
      ``REQUESTS_CA_BUNDLE`` names a file, asking the file system whether it is a folder;
    - the path of the request line is read straight off the prepared request when no proxy is
      in play, instead of parsing the URL again to find out;
    - the cookies of an answer are parsed only when it sets one.

    Its `send` is requests' own, so whatever patches `HTTPAdapter.send` (the ``responses``
    library, in tests) sees every request okrkit makes.
    """
    global _ADAPTER_CLASS  # noqa: PLW0603  # built on first use: requests loads only then
    if _ADAPTER_CLASS is None:
        from requests.adapters import HTTPAdapter  # noqa: PLC0415
        from requests.cookies import extract_cookies_to_jar  # noqa: PLC0415
        from requests.models import Response  # noqa: PLC0415
        from requests.structures import CaseInsensitiveDict  # noqa: PLC0415
        from requests.utils import get_encoding_from_headers  # noqa: PLC0415

        class Adapter(HTTPAdapter):
            def __init__(self) -> None:
                super().__init__()
                self.pools: dict[tuple[Any, ...], Any] = {}

            def get_connection_with_tls_context(
                self, request: Any, verify: Any, proxies: Any = None, cert: Any = None
            ) -> Any:
                url = request.url
                origin = url[: url.find("/", url.find("//") + 2)]  # a prepared URL has a path
                key = (origin, verify, cert, tuple(proxies.items()) if proxies else ())
                pool = self.pools.get(key)
                if pool is None or pool.pool is None:  # pool.pool None: the pool was closed
                    if len(self.pools) >= self._pool_connections:  # as many as requests keeps
                        self.pools.clear()
                    pool = super().get_connection_with_tls_context(request, verify, proxies, cert)
                    self.pools[key] = pool
                return pool

            def close(self) -> None:
                for pool in self.pools.values():  # urllib3 2 leaves closing them to the GC
                    pool.close()
                self.pools.clear()
                super().close()

            def request_url(self, request: Any, proxies: Any) -> str:
                if not proxies:
                    return str(request.path_url)
                return super().request_url(request, proxies)

            def build_response(self, req: Any, resp: Any) -> Any:
                response = Response()
                response.status_code = getattr(resp, "status", None)  # type: ignore[assignment]
                response.headers = CaseInsensitiveDict(getattr(resp, "headers", {}))
                response.encoding = get_encoding_from_headers(response.headers)
                response.raw = resp
                response.reason = resp.reason
                url = req.url
                response.url = url.decode("utf-8") if isinstance(url, bytes) else url
                if "set-cookie" in response.headers or "set-cookie2" in response.headers:
                    extract_cookies_to_jar(response.cookies, req, resp)
                response.request = req
                response.connection = self
                return response

        _ADAPTER_CLASS = Adapter
    return _ADAPTER_CLASS


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
        """An adapter whose connections go only to the addresses this guard checked (the TLS
        handshake still names and verifies the host): a DNS answer that changes after the check
        cannot send a request elsewhere. Through a proxy, the proxy connects."""
        if self._adapter_class is None:
            self._adapter_class = _pinned_adapter_class(self.addresses)
        return self._adapter_class()


def _bracketed(host: str) -> str:
    return f"[{host}]" if ":" in host else host


def _pinned_adapter_class(addresses: Callable[[str], tuple[str, ...]]) -> Any:
    """An adapter class whose new connections go to ``addresses(host)``, one after the other
    until one answers, instead of to whatever the host name resolves to then."""
    import sys  # noqa: PLC0415

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

    class PinnedAdapter(_adapter_class()):  # type: ignore[misc]  # built at run time
        def init_poolmanager(self, *args: Any, **kwargs: Any) -> None:
            super().init_poolmanager(*args, **kwargs)
            self.poolmanager.pool_classes_by_scheme = {"http": PinnedPool, "https": PinnedTlsPool}

    return PinnedAdapter


class HttpClient:
    """HTTP for a refresh run, shared by its threads.

    - `timeout`: seconds for connecting and for each read;
    - `rate_limits`: requests per second allowed per host name (``{"api.x.com": 5}``), and
      `default_rate` for hosts not named (None: no limit);
    - `max_body`: the largest body read, in bytes; a bigger one is a terminal error;
    - `max_redirects`: redirects followed for one request; one more is a terminal error;
    - `policy`: the operator's `okrkit.policy.Policy` (None: any host). Under one, every
      request and every redirect is checked before it is sent (scheme, host, each address the
      host resolves to), and connections go to the checked addresses only; a refused request
      raises `PolicyError`.

    Each thread has its own pool of connections (requests' `HTTPAdapter`, on urllib3). There
    is no `requests.Session`, so no cookie jar outlives a request: the cookies an answer sets
    are sent on along its own redirects only. The environment is read as requests reads it:
    ``HTTP_PROXY``, ``HTTPS_PROXY``, ``NO_PROXY`` (once per origin and run), ``REQUESTS_CA_BUNDLE``
    or ``CURL_CA_BUNDLE``, and ``~/.netrc`` (once per host and run) for a request without auth.
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
        self._lock = threading.Lock()
        self._clock = clock
        self._sleep = sleep
        self._local = threading.local()
        self._adapters: list[Any] = []
        self._user_agent = user_agent
        self._max_redirects = max_redirects
        self._headers: Any = None  # the headers every request sends, made on first use
        self._redirector: requests.Session | None = None  # works out where a redirect goes
        # what the environment says, per origin (proxies) and per host (.netrc), for the run
        self._proxies: dict[tuple[str, str, Any], dict[str, str]] = {}
        self._netrc: dict[str, tuple[str, str] | None] = {}
        # None unless a policy restricts hosts: then one `if` is all a request pays
        self._guard = _Guard(policy) if policy is not None and policy.checks_hosts else None

    def _adapter(self) -> Any:
        """This thread's adapter (and so its pool of connections)."""
        adapter = getattr(self._local, "adapter", None)
        if adapter is None:
            adapter = self._guard.adapter() if self._guard is not None else _adapter_class()()
            self._local.adapter = adapter
            with self._lock:
                self._adapters.append(adapter)
        return adapter

    def limit(self, host: str) -> None:
        """Wait for the run's rate limit of `host` (``--rate-limit``): clients that are not
        this one (httplib2's, in the Google connectors) call it before each request."""
        rate = self._rates.get(host, self._default_rate)
        if rate is None or rate <= 0:
            return
        with self._lock:
            limiter = self._limiters.get(host)
            if limiter is None:
                limiter = self._limiters[host] = _HostLimiter(rate, self._clock, self._sleep)
        limiter.wait()

    def request(self, method: str, url: str, **kwargs: Any) -> requests.Response:
        """Send a request; return the response of a 2xx, raise a `ConnectorError` otherwise.

        `kwargs` are those of `requests.Session.request`: ``params``, ``data``, ``json``,
        ``headers``, ``cookies``, ``files``, ``auth``, ``timeout``, ``allow_redirects``,
        ``proxies``, ``hooks``, ``verify``, ``cert`` (``stream`` is ignored: the body is always
        read here, up to `max_body`). The response is a `requests.Response` with its body read:
        ``status_code``, ``headers``, ``content``, ``text``, ``json()``, ``url``, ``history``.
        """
        import requests  # noqa: PLC0415
        from urllib3.exceptions import HTTPError  # noqa: PLC0415

        parts = urlsplit(url)
        if parts.scheme not in ("http", "https") or not parts.hostname:
            raise TerminalError(f"{self.redactor.redact(url)!r} is not an http(s) URL")
        host = parts.hostname
        self.limit(host)
        if self._guard is not None:
            self._check(method, url, parts)
        try:
            response = self._exchange(method, url, parts, kwargs)
        except requests.RequestException as error:
            raise self._failure(method, self._shown(parts), host, error) from None
        try:
            self._read_capped(response, parts)
        except (HTTPError, requests.RequestException) as error:
            response.close()
            raise TransientError(
                f"{method} {self._shown(parts)}: the connection broke while reading the answer "
                f"({_cut(self.redactor.redact(_reason(error)), 300)})"
            ) from None
        if not 200 <= response.status_code < 300:
            self._check_status(method, self._shown(parts), response)
        return response

    def _check(self, method: str, url: str, parts: SplitResult) -> None:
        assert self._guard is not None  # noqa: S101  # only called with a guard
        try:
            self._guard.check(url)
        except PolicyError as error:
            raise PolicyError(
                f"{method} {self._shown(parts)}: {error.message}", policy_key=error.policy_key
            ) from None
        except TransientError as error:
            raise TransientError(f"{method} {self._shown(parts)}: {error.message}") from None

    def _exchange(
        self, method: str, url: str, parts: SplitResult, kwargs: dict[str, Any]
    ) -> requests.Response:
        """Prepare the request as a session would, send it, and follow its redirects."""
        timeout = kwargs.pop("timeout", self.timeout)
        follow = kwargs.pop("allow_redirects", True)
        proxies = kwargs.pop("proxies", None)
        verify = kwargs.pop("verify", None)
        cert = kwargs.pop("cert", None)
        kwargs.pop("stream", None)  # always streamed: `request` reads the body, capped
        prepared = self._prepare(method, url, parts, **kwargs)
        options = {
            "stream": True,
            "timeout": timeout,
            "verify": self._verify(verify),
            "cert": cert,
            "proxies": self._environment(parts, str(prepared.url), proxies),
        }
        adapter = self._adapter()
        response = _send(adapter, prepared, options)
        if follow and response.is_redirect:
            response = self._follow(
                adapter, prepared, response, options, proxies=proxies, parts=parts
            )
        return response

    def _prepare(  # the keywords of requests.Session.request
        self,
        method: str,
        url: str,
        parts: SplitResult,
        *,
        params: Any = None,
        data: Any = None,
        headers: Any = None,
        cookies: Any = None,
        files: Any = None,
        auth: Any = None,
        hooks: Any = None,
        json: Any = None,
    ) -> requests.PreparedRequest:
        """A `PreparedRequest` as `requests.Session.prepare_request` makes it, with the
        session's default headers, minus the empty cookie jar."""
        from requests.cookies import cookiejar_from_dict  # noqa: PLC0415
        from requests.models import PreparedRequest  # noqa: PLC0415

        prepared = PreparedRequest()
        prepared.prepare_method(method.upper())
        prepared.prepare_url(url, params)
        self._prepare_headers(prepared, headers)
        if cookies:
            prepared.prepare_cookies(
                cookies if hasattr(cookies, "extract_cookies") else cookiejar_from_dict(cookies)
            )
        prepared.prepare_body(data, files, json)
        auth = auth or self._netrc_auth(parts)
        if auth is not None or "@" in parts.netloc:  # else there is nothing to find
            prepared.prepare_auth(auth, url)
        prepared.prepare_hooks(hooks)
        return prepared

    def _prepare_headers(self, prepared: requests.PreparedRequest, headers: Any) -> None:
        """The session's default headers with the caller's (a None value removes one), as
        requests merges and checks them, minus its generic (and slow) merging of settings and
        a check of the defaults on every request."""
        defaults = self._headers
        if defaults is None:
            from requests.utils import default_headers  # noqa: PLC0415

            defaults = default_headers()
            defaults["User-Agent"] = self._user_agent
            prepared.prepare_headers(defaults)  # checked once
            self._headers = defaults = prepared.headers
        if headers is not None and not isinstance(headers, Mapping):
            prepared.prepare_headers(headers)  # as requests: a list of pairs replaces them
            return
        merged = defaults.copy()
        if headers:
            from requests.utils import check_header_validity  # noqa: PLC0415

            for name, value in headers.items():
                if value is None:
                    merged.pop(name, None)
                else:
                    check_header_validity((name, value))
                    merged[name.decode("ascii") if isinstance(name, bytes) else name] = value
        prepared.headers = merged

    def _netrc_auth(self, parts: SplitResult) -> tuple[str, str] | None:
        """The ``.netrc`` login for the host, as requests sends one when no auth is given."""
        host = parts.hostname or ""
        if host not in self._netrc:
            from requests.utils import get_netrc_auth  # noqa: PLC0415

            self._netrc[host] = get_netrc_auth(f"{parts.scheme}://{parts.netloc}/")
        return self._netrc[host]

    def _environment(
        self, parts: SplitResult, url: str, proxies: Mapping[str, str] | None
    ) -> dict[str, str]:
        """The proxies for `url`: the caller's, then the environment's (``HTTP_PROXY``,
        ``NO_PROXY``...). requests asks the environment on every request; the answer depends
        only on the origin, so it is kept per origin for the run."""
        no_proxy = proxies.get("no_proxy") if proxies is not None else None
        key = (parts.scheme, parts.netloc, no_proxy)
        found = self._proxies.get(key)
        if found is None:
            from requests.utils import get_environ_proxies  # noqa: PLC0415

            found = self._proxies[key] = get_environ_proxies(url, no_proxy=no_proxy)
        return {**found, **proxies} if proxies else found

    @staticmethod
    def _verify(verify: Any) -> Any:
        """What to verify TLS with: the caller's choice, else the environment's bundle."""
        if verify is True or verify is None:
            import os  # noqa: PLC0415

            return os.environ.get("REQUESTS_CA_BUNDLE") or os.environ.get("CURL_CA_BUNDLE") or True
        return verify

    def _follow(
        self,
        adapter: Any,
        prepared: requests.PreparedRequest,
        response: requests.Response,
        options: dict[str, Any],
        *,
        proxies: Mapping[str, str] | None,
        parts: SplitResult,
    ) -> requests.Response:
        """Follow `response`'s redirects, as requests would (the method, body, auth and proxy
        rules of `requests.Session.resolve_redirects`), each hop checked under a policy."""
        import requests  # noqa: PLC0415
        from requests.cookies import RequestsCookieJar  # noqa: PLC0415
        from urllib3.exceptions import HTTPError  # noqa: PLC0415

        method = prepared.method or ""
        history: list[requests.Response] = []
        redirector = self._redirects()
        while response.is_redirect:
            if len(history) >= self._max_redirects:
                response.close()
                raise requests.TooManyRedirects(f"Exceeded {self._max_redirects} redirects.")
            try:  # a redirect's body is read too (its connection can serve the next hop), capped
                self._read_capped(response, parts)
            except HTTPError:  # the body of a redirect is of no use: where it points is enough
                response._content = b""  # noqa: SLF001
                response.close()
            if prepared._cookies is None:  # noqa: SLF001  # requests' own jar of the chain
                prepared._cookies = RequestsCookieJar()  # noqa: SLF001
            target = next(redirector.resolve_redirects(response, prepared, yield_requests=True))
            history.append(response)
            target_url = str(target.url)
            hop = urlsplit(target_url)
            if self._guard is not None:
                try:
                    self._guard.check(target_url)
                except (PolicyError, TransientError) as error:
                    message = (
                        f"{method} {self._shown(parts)} was redirected to {self._shown(hop)}: "
                        f"{error.message}"
                    )
                    if isinstance(error, PolicyError):
                        raise PolicyError(message, policy_key=error.policy_key) from None
                    raise TransientError(message) from None
            if hop.scheme.lower() not in ("http", "https"):
                raise requests.exceptions.InvalidSchema(
                    f"No connection adapters were found for {target_url!r}"
                )
            options = {**options, "proxies": self._environment(hop, target_url, proxies)}
            prepared = target  # type: ignore[assignment]  # what yield_requests yields
            response = _send(adapter, prepared, options)
        response.history = history
        return response

    def _redirects(self) -> requests.Session:
        """A session used only for its redirect rules, never to send."""
        with self._lock:
            if self._redirector is None:
                import requests  # noqa: PLC0415

                self._redirector = requests.Session()
                self._redirector.max_redirects = self._max_redirects
            return self._redirector

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
        """Read the body into the response (decoded, as ``response.content``), refusing one
        over `max_body`: by its declared length before reading, by what arrives while reading."""
        declared = response.headers.get("Content-Length")
        if declared and declared.isdigit() and int(declared) > self.max_body:
            response.close()
            raise TerminalError(
                f"the answer from {self._shown(parts)} is {int(declared):,} bytes, more than "
                f"the {self.max_body:,} okrkit reads"
            )
        raw = response.raw
        if declared and declared.isdigit() and "Content-Encoding" not in response.headers:
            body = raw.read(decode_content=True)  # in one go: the declared length, no more
            size = len(body)
        else:  # by chunks, counted as they come: the length is unknown, or that of a zip
            chunks: list[bytes] = []
            size = 0
            while size <= self.max_body and (chunk := raw.read(_CHUNK, decode_content=True)):
                size += len(chunk)
                chunks.append(chunk)
            body = b"".join(chunks)
        if size > self.max_body:
            response.close()
            raise TerminalError(
                f"the answer from {self._shown(parts)} is more than the {self.max_body:,} "
                "bytes okrkit reads"
            )
        response._content = body  # noqa: SLF001  # requests' own cache of the body
        response._content_consumed = True  # noqa: SLF001

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
        """Close every thread's connections; a later request opens new ones."""
        with self._lock:
            for adapter in self._adapters:
                adapter.close()
            self._adapters.clear()
            self._local = threading.local()
            if self._redirector is not None:
                self._redirector.close()
                self._redirector = None


def _send(
    adapter: Any, prepared: requests.PreparedRequest, options: dict[str, Any]
) -> requests.Response:
    """One exchange, as `requests.Session.send` makes it without following redirects: the
    adapter sends, the time it took is kept, the request's response hooks run."""
    from requests.hooks import dispatch_hook  # noqa: PLC0415

    started = time.perf_counter()
    response = adapter.send(prepared, **options)
    response.elapsed = dt.timedelta(seconds=time.perf_counter() - started)
    return dispatch_hook("response", prepared.hooks, response, **options)


def _cut(text: str, limit: int) -> str:
    """Text shortened for a message: always after redacting, so no secret is cut in half."""
    return text if len(text) <= limit else text[: limit - 3] + "..."


def _reason(error: BaseException) -> str:
    """The innermost cause of a transport error, in words, without the URL it repeats."""
    cause: BaseException = error
    while cause.__context__ is not None and cause.__context__ is not cause:
        cause = cause.__context__
    text = str(cause) or type(cause).__name__
    if "]" in text and "[Errno" in text:
        text = text[text.index("[Errno") :]
    return text
