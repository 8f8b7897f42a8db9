"""Secrets in connector settings: `${ENV_VAR}` resolved at refresh time, and redacted everywhere.

A key result's source settings may say ``api_key: ${YOUTUBE_API_KEY}``. The OKR file never holds
the secret; `resolve` reads it from the environment when a refresh runs, and every value it reads
is registered with a `Redactor`, which masks it in any text okrkit writes: errors, log lines,
stored rows and reports. URLs that carry a credential in their query string (``?key=...``) or
their user-info part (``https://user:password@host``) are masked too, whether or not the value
came from the environment.
"""

from __future__ import annotations

import logging
import re
import threading
from collections.abc import Iterator, Mapping
from contextlib import contextmanager
from typing import Any
from urllib.parse import quote, quote_plus

import attrs

__all__ = ["MASK", "MissingSecretError", "Redactor", "redacting_logs", "references", "resolve"]

MASK = "***"

_REFERENCE = re.compile(r"(?<!\$)\$\{([A-Za-z_][A-Za-z0-9_]*)\}")
# names of parameters that hold secrets (not a secret itself)
_SECRET_PARAMETERS = (
    "key|api_key|apikey|api-key|access_token|token|auth|secret|client_secret|password|passwd"  # noqa: S105
    "|pwd|signature|sig|bearer|session|credentials?"
)
_QUERY_SECRET = re.compile(
    rf"(?P<name>[?&;](?:{_SECRET_PARAMETERS})=)(?P<value>[^&#\s'\"]+)", re.IGNORECASE
)
_USERINFO = re.compile(r"(?P<scheme>\b[a-z][a-z0-9+.\-]*://)(?P<user>[^:/@\s]+):(?P<pw>[^@/\s]+)@")
# a credential after an auth scheme as HTTP writes it: 8 or more token characters with at
# least one that is not a letter, or 20 or more ("Basic information" and ".../token answered"
# are left alone)
_AUTH_HEADER = re.compile(
    r"(?P<name>\b(?:Bearer|bearer|BEARER|Basic|Token)\s+)"
    r"(?P<value>(?:(?=[A-Za-z]*[0-9._~+/=\-])[A-Za-z0-9._~+/=\-]{8,}|[A-Za-z]{20,}))"
)
# a whole Authorization header's value, however it is written ("Authorization: Basic ...",
# {"authorization": "..."})
_AUTHORIZATION = re.compile(
    r"(?P<name>\bauthorization[\"']?\s*[:=]\s*[\"']?)(?P<value>[^\"'\r\n,}]+)", re.IGNORECASE
)
#: Secrets shorter than this are not masked inside other text: masking "1" everywhere would
#: destroy every number in a report. Such short values are still never written on purpose.
_MIN_SECRET_LENGTH = 4


class MissingSecretError(LookupError):
    """A `${VAR}` reference names an environment variable that is not set, or set to nothing
    but spaces (as CI systems pass a secret that was never defined): `names` lists them all,
    `empty` those of them that are set but empty."""

    def __init__(self, names: list[str], empty: list[str] | tuple[str, ...] = ()) -> None:
        self.names = names
        self.empty = list(empty)
        unset = [name for name in names if name not in self.empty]
        parts = []
        if unset:
            parts.append(
                f"environment variable{'s' if len(unset) > 1 else ''} {', '.join(unset)} "
                f"{'are' if len(unset) > 1 else 'is'} not set"
            )
        if self.empty:
            parts.append(
                f"environment variable{'s' if len(self.empty) > 1 else ''} "
                f"{', '.join(self.empty)} {'are' if len(self.empty) > 1 else 'is'} set but empty"
            )
        super().__init__(
            "; ".join(parts)
            + f": export {'them' if len(names) > 1 else 'it'} before the refresh runs"
        )

    def __str__(self) -> str:
        return str(self.args[0])


@attrs.define(eq=False)
class Redactor:
    """Masks known secret values, and credentials in URLs and headers, in any text."""

    _secrets: set[str] = attrs.field(factory=set, converter=set, repr=False, alias="secrets")
    _pattern: re.Pattern[str] | None = attrs.field(default=None, init=False, repr=False)
    _lock: threading.Lock = attrs.field(factory=threading.Lock, init=False, repr=False)

    def __attrs_post_init__(self) -> None:
        given, self._secrets = self._secrets, set()
        for secret in given:
            self.add(secret)

    def add(self, secret: str) -> None:
        """Mask `secret` from now on, and the forms it takes on the wire and in messages:
        without surrounding whitespace (a value read from a file ends in a newline), and
        percent-encoded (as in a URL's query string)."""
        if secret in self._secrets:  # the same key on every key result of a run: known already
            return
        forms = {
            form
            for value in (secret, secret.strip())
            for form in (value, quote(value, safe=""), quote_plus(value))
        }
        new = {f for f in forms if len(f) >= _MIN_SECRET_LENGTH and f not in self._secrets}
        if new:
            with self._lock:
                self._secrets.update(new)
                # longest first, so a secret that contains another is masked whole
                ordered = sorted(self._secrets, key=len, reverse=True)
                self._pattern = re.compile("|".join(re.escape(s) for s in ordered))

    def redact(self, text: str) -> str:
        if self._pattern is not None:
            text = self._pattern.sub(MASK, text)
        text = _QUERY_SECRET.sub(lambda m: f"{m['name']}{MASK}", text)
        text = _USERINFO.sub(lambda m: f"{m['scheme']}{m['user']}:{MASK}@", text)
        text = _AUTHORIZATION.sub(lambda m: f"{m['name']}{MASK}", text)
        return _AUTH_HEADER.sub(lambda m: f"{m['name']}{MASK}", text)

    def redact_data(self, value: Any) -> Any:
        """The same for plain data: every string inside mappings and lists."""
        if isinstance(value, str):
            return self.redact(value)
        if isinstance(value, Mapping):
            return {self.redact_data(key): self.redact_data(item) for key, item in value.items()}
        if isinstance(value, list | tuple):
            return [self.redact_data(item) for item in value]
        return value


def references(value: Any) -> list[str]:
    """The environment variable names a piece of settings refers to, in order, once each."""
    found: dict[str, None] = {}
    if isinstance(value, str):
        found.update(dict.fromkeys(_REFERENCE.findall(value)))
    elif isinstance(value, Mapping):
        for item in value.values():
            found.update(dict.fromkeys(references(item)))
    elif isinstance(value, list | tuple):
        for item in value:
            found.update(dict.fromkeys(references(item)))
    return list(found)


def resolve(value: Any, environ: Mapping[str, str], redactor: Redactor) -> Any:
    """Settings with every `${VAR}` replaced from `environ`; each value read is a secret.

    Raises `MissingSecretError` naming every variable that is not set, or set but empty (a CI
    system passes a secret nobody defined as an empty value). ``$${VAR}`` is a literal
    ``${VAR}``.
    """
    named = references(value)
    empty = [name for name in named if name in environ and not environ[name].strip()]
    missing = [name for name in named if name not in environ or name in empty]
    if missing:
        raise MissingSecretError(missing, empty)
    return _substitute(value, environ, redactor)


_TOKEN = re.compile(r"\$\$\{|\$\{([A-Za-z_][A-Za-z0-9_]*)\}")


def _substitute(value: Any, environ: Mapping[str, str], redactor: Redactor) -> Any:
    if isinstance(value, str):
        if "${" not in value:
            return value

        # one pass, so a secret's own text is never read again as a reference or an escape
        def replace(match: re.Match[str]) -> str:
            if match[1] is None:  # $${: a literal ${
                return "${"
            secret = environ[match[1]]
            redactor.add(secret)
            return secret

        return _TOKEN.sub(replace, value)
    if isinstance(value, Mapping):
        return {key: _substitute(item, environ, redactor) for key, item in value.items()}
    if isinstance(value, list | tuple):
        return [_substitute(item, environ, redactor) for item in value]
    return value


_ACTIVE: set[Redactor] = set()
_ACTIVE_LOCK = threading.Lock()
_PLAIN_FACTORY: Any = None


def _redacting_factory(*args: Any, **kwargs: Any) -> logging.LogRecord:
    record: logging.LogRecord = _PLAIN_FACTORY(*args, **kwargs)
    with _ACTIVE_LOCK:
        active = list(_ACTIVE)
    if not active:
        return record
    text = record.getMessage()
    exc_text = None
    if record.exc_info:
        exc_text = logging.Formatter().formatException(record.exc_info)
    for redactor in active:
        text = redactor.redact(text)
        if exc_text is not None:
            exc_text = redactor.redact(exc_text)
    record.msg, record.args = text, None
    if exc_text is not None:
        record.exc_text = exc_text  # handlers use it instead of formatting the exception again
    return record


@contextmanager
def redacting_logs(redactor: Redactor) -> Iterator[None]:
    """While active, every log record made in this process, by okrkit or any library it calls
    (urllib3 logs request lines, query strings included), is redacted when it is made."""
    global _PLAIN_FACTORY  # noqa: PLW0603  # the one factory okrkit installs, shared by all runs
    with _ACTIVE_LOCK:
        if _PLAIN_FACTORY is None:
            _PLAIN_FACTORY = logging.getLogRecordFactory()
            logging.setLogRecordFactory(_redacting_factory)
        _ACTIVE.add(redactor)
    try:
        yield
    finally:
        with _ACTIVE_LOCK:
            _ACTIVE.discard(redactor)
