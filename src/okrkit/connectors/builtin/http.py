"""The ``http`` connector: a number from a JSON endpoint, picked out with a path.

The path language is small on purpose:

- ``data.total``: keys of objects, separated by dots;
- ``stats[0]``, ``stats[-1]``: an item of a list by position (negative counts from the end);
- ``["odd.key"]``: a key written in double quotes, for keys holding dots, brackets or spaces;
- ``items[*]``: every item of a list; the rest of the path applies to each item, so
  ``items[*].amount`` selects the amount of every item;
- an empty path: the whole answer.

``measure`` says what to do with the selection: ``value`` (one number), ``count`` (how many
items: the items ``[*]`` selects, or the length of the list or object the path points at) or
``sum`` (their total).
"""

from __future__ import annotations

import functools
import json
import re
import weakref
from collections.abc import Callable, Mapping, Sequence
from typing import TYPE_CHECKING, Any, ClassVar, Literal
from urllib.parse import urlsplit

import attrs

from okrkit.connectors._base import Connector, Context, Query, Reading
from okrkit.connectors.builtin import (
    InvalidSettingError,
    format_instant,
    in_utc,
    parse_number,
    past_asked,
)
from okrkit.errors import ConnectorError, PolicyError, SettingsError, TerminalError

if TYPE_CHECKING:
    from okrkit.secrets import Redactor

__all__ = ["Each", "HttpConnector", "HttpSettings", "Index", "Key", "parse_path", "select"]

_MAX_KEYS_SHOWN = 20
_SECRET_HEADER = re.compile(r"auth|token|key|secret|session|cookie|signature", re.IGNORECASE)
_PLACEHOLDERS = ("{since}", "{until}", "{since_date}", "{until_date}")


@attrs.frozen
class Key:
    """A step of a path: the value under `name` in an object."""

    name: str

    def __str__(self) -> str:
        if re.fullmatch(r"[^.\[\]\"\s]+", self.name):
            return f".{self.name}"
        return f"[{json.dumps(self.name)}]"


@attrs.frozen
class Index:
    """A step of a path: the item at `position` in a list (negative counts from the end)."""

    position: int

    def __str__(self) -> str:
        return f"[{self.position}]"


@attrs.frozen
class Each:
    """A step of a path: every item of a list."""

    def __str__(self) -> str:
        return "[*]"


Step = Key | Index | Each

_TOKEN = re.compile(
    r"""
    (?P<dot>\.)?(?P<key>[^.\[\]"]+)           # a key, after a dot unless it comes first
    | \[\s*(?P<index>[+-]?\d+)\s*\]           # [3], [-1]
    | \[\s*(?P<each>\*)\s*\]                  # [*]
    | \[\s*(?P<quoted>"(?:[^"\\]|\\.)*")\s*\] # ["a key with.dots"]
    """,
    re.VERBOSE,
)


def parse_path(text: str) -> tuple[Step, ...]:
    """The steps of a path such as ``data.stats[0].total``; a `ValueError` says what is wrong."""
    steps: list[Step] = []
    position = 0
    while position < len(text):
        match = _TOKEN.match(text, position)
        if match is None:
            raise ValueError(
                f"cannot read {text!r} at character {position + 1} ({text[position:]!r}); "
                "write keys with dots and items in brackets, as in data.items[0].total, "
                'items[*].amount or ["odd.key"]'
            )
        if match["key"] is not None:
            if match["dot"] is None and steps:
                raise ValueError(f"cannot read {text!r}: put a dot before the key {match['key']!r}")
            if match["dot"] is not None and not steps:
                raise ValueError(f"cannot read {text!r}: a path does not start with a dot")
            steps.append(Key(match["key"]))
        elif match["index"] is not None:
            steps.append(Index(int(match["index"])))
        elif match["each"] is not None:
            steps.append(Each())
        else:
            steps.append(Key(json.loads(match["quoted"])))
        position = match.end()
    return tuple(steps)


def _describe(steps: Sequence[Step]) -> str:
    return "".join(str(step) for step in steps).removeprefix(".") or "the answer"


def _keys(value: Mapping[str, Any]) -> str:
    names = [str(name) for name in value]
    shown = ", ".join(names[:_MAX_KEYS_SHOWN])
    if len(names) > _MAX_KEYS_SHOWN:
        shown += f" and {len(names) - _MAX_KEYS_SHOWN} more"
    return f"its keys: {shown}" if names else "it has no keys"


def _kind(value: Any) -> str:
    if isinstance(value, Mapping):
        return "an object"
    if isinstance(value, list):
        return f"a list of {len(value)}"
    text = json.dumps(value)
    return text if len(text) <= 40 else f"{text[:37]}..."


def select(document: Any, steps: Sequence[Step]) -> list[tuple[str, Any]]:
    """Every value the path selects, each with the concrete path it was found at.

    A `LookupError` says which part of the path is missing and what was there instead.
    """
    found: list[tuple[str, Any]] = []
    _walk(document, tuple(steps), (), found)
    return found


def _walk(
    value: Any, steps: tuple[Step, ...], done: tuple[Step, ...], found: list[tuple[str, Any]]
) -> None:
    if not steps:
        found.append((_describe(done), value))
        return
    step, rest = steps[0], steps[1:]
    if isinstance(step, Key):
        if not isinstance(value, Mapping):
            hint = (
                ": pick an item with [0], or every item with [*]" if isinstance(value, list) else ""
            )
            raise LookupError(  # noqa: TRY004
                f"{_describe(done)} is {_kind(value)}, not an object with keys{hint}"
            )
        if step.name not in value:
            raise LookupError(f"{_describe(done)} has no key {step.name!r} ({_keys(value)})")
        _walk(value[step.name], rest, (*done, step), found)
        return
    if not isinstance(value, list):
        extra = f" ({_keys(value)})" if isinstance(value, Mapping) else ""
        raise LookupError(f"{_describe(done)} is {_kind(value)}, not a list{extra}")  # noqa: TRY004
    if isinstance(step, Index):
        if not -len(value) <= step.position < len(value):
            raise LookupError(
                f"{_describe(done)} has {len(value)} item{'' if len(value) == 1 else 's'}, "
                f"so there is no item {step}"
            )
        _walk(value[step.position], rest, (*done, step), found)
        return
    for position, item in enumerate(value):
        _walk(item, rest, (*done, Index(position)), found)


def _check_url(_instance: Any, attribute: attrs.Attribute[str], value: str) -> None:
    parts = urlsplit(value.strip())
    if parts.scheme.lower() not in ("http", "https") or not parts.netloc:
        raise InvalidSettingError(
            attribute.name, "write the endpoint's full address, starting with https:// or http://"
        )


def _check_path(instance: Any, attribute: attrs.Attribute[str], value: str) -> None:
    try:
        steps = parse_path(value)
    except ValueError as error:
        raise InvalidSettingError(attribute.name, str(error)) from None
    if instance.measure == "value" and any(isinstance(step, Each) for step in steps):
        raise InvalidSettingError(
            "measure",
            f"the path {value!r} selects every item of a list ([*]), not one value: "
            "use measure: count or measure: sum",
        )


def _check_body(instance: Any, attribute: attrs.Attribute[Any], value: Any) -> None:
    if value is None:
        return
    if instance.method != "POST":
        raise InvalidSettingError(attribute.name, "a body is only sent with method: POST")
    try:
        json.dumps(value, allow_nan=False)
    except (TypeError, ValueError) as error:
        raise InvalidSettingError(
            attribute.name, f"the body must be JSON data (text, numbers, lists, mappings): {error}"
        ) from None


def _check_auth(instance: Any, attribute: attrs.Attribute[str | None], value: str | None) -> None:
    if attribute.name == "token" and value is not None:
        if instance.username is not None or instance.password is not None:
            raise InvalidSettingError(
                "token", "give either a token (bearer) or username and password (basic), not both"
            )
        if any(name.lower() == "authorization" for name in instance.headers):
            raise InvalidSettingError(
                "headers", "token sets the Authorization header: remove it from headers"
            )
    if attribute.name == "password" and (value is None) != (instance.username is None):
        missing = "password" if value is None else "username"
        raise InvalidSettingError(missing, "basic authentication needs both username and password")


@attrs.frozen
class HttpSettings:
    """The settings of the ``http`` connector."""

    url: str = attrs.field(
        validator=_check_url,
        metadata={
            "help": "The JSON endpoint, https://...; {since} and {until} come from the window."
        },
    )
    method: Literal["GET", "POST"] = attrs.field(
        default="GET", metadata={"help": "GET (the default) or POST."}
    )
    measure: Literal["value", "count", "sum"] = attrs.field(
        default="value",
        metadata={"help": "value: the number at path; count: how many items; sum: their total."},
    )
    path: str = attrs.field(
        default="",
        validator=_check_path,
        metadata={"help": "Where the number is, as in data.stats[0].total or items[*].amount."},
    )
    headers: dict[str, str] = attrs.field(
        factory=dict, metadata={"help": "Request headers; write secrets as ${ENV_VAR}."}
    )
    params: dict[str, str] = attrs.field(
        factory=dict,
        metadata={"help": "Query-string parameters; values may hold {since} and {until}."},
    )
    body: Any = attrs.field(
        default=None,
        validator=_check_body,
        metadata={"help": "JSON sent with POST; text in it may hold {since} and {until}."},
    )
    token: str | None = attrs.field(
        default=None,
        validator=_check_auth,
        metadata={"help": "A bearer token, sent as Authorization: Bearer ...; use ${ENV_VAR}."},
    )
    username: str | None = attrs.field(
        default=None, metadata={"help": "Basic authentication: the user name."}
    )
    password: str | None = attrs.field(
        default=None,
        validator=_check_auth,
        metadata={"help": "Basic authentication: the password; use ${ENV_VAR}."},
    )


class HttpConnector(Connector):
    """GETs or POSTs a JSON endpoint and reads one number from the answer."""

    name: ClassVar[str] = "http"
    Settings: ClassVar[type | None] = HttpSettings
    summary: ClassVar[str] = (
        "A number from a JSON endpoint, picked with a path (data.items[0].total)."
    )
    windowed: ClassVar[bool] = True
    batch: ClassVar[bool] = False

    def __init__(self) -> None:
        # the secrets already given to each run's redactor (a run makes one instance)
        self._masked: weakref.WeakKeyDictionary[Redactor, set[str]] = weakref.WeakKeyDictionary()

    @classmethod
    def check_policy(cls, settings: HttpSettings, context: Context) -> None:
        """Refuse, before any request, an endpoint the policy does not allow: its scheme, its
        host, an address written in it. What the host resolves to is checked when asked."""
        if context.policy is None:
            return
        try:
            context.policy.check_url(settings.url, resolve=False)
        except PolicyError as error:
            parts = urlsplit(settings.url.strip())
            shown = context.redactor.redact(f"{parts.scheme}://{parts.netloc}{parts.path}")
            raise PolicyError(
                f"{settings.method} {shown}: {error.message}", policy_key=error.policy_key
            ) from None

    def fetch(
        self, queries: Sequence[Query], context: Context
    ) -> Sequence[Reading | float | ConnectorError]:
        results: list[Reading | float | ConnectorError] = []
        masked = self._masked.setdefault(context.redactor, set())
        for query in queries:
            try:
                results.append(_fetch_one(query, context, masked))
            except ConnectorError as error:
                results.append(error)
        return results


@functools.lru_cache(maxsize=1024)
def _steps(path: str) -> tuple[Step, ...]:
    """`parse_path`, once per path: a run asks every endpoint with the same few paths."""
    return parse_path(path)


def _fetch_one(query: Query, context: Context, masked: set[str]) -> Reading:
    settings: HttpSettings = query.settings
    headers = dict(settings.headers)
    secrets = [settings.token, settings.password]
    secrets += [value for header, value in headers.items() if _SECRET_HEADER.search(header)]
    for secret in secrets:
        if secret and secret not in masked:  # every key result of a run shares a token or two
            context.redactor.add(secret)
            masked.add(secret)
    if settings.token is not None:
        headers["Authorization"] = f"Bearer {settings.token}"

    past = past_asked(query)
    if past is not None and not _has_placeholder([settings.url, settings.params, settings.body]):
        raise SettingsError(
            f"to measure {past[0]}, the request must say when: put {{until}} (or {{since}}) in "
            f"the url, params or body, {past[1]}",
            setting="url",
        )
    fill = _Filler(query)
    url = fill.text(settings.url, "url")
    kwargs: dict[str, Any] = {}
    if settings.params:
        kwargs["params"] = {
            name: fill.text(value, "params") for name, value in settings.params.items()
        }
    if headers:
        kwargs["headers"] = headers
    if settings.username is not None:
        kwargs["auth"] = (settings.username, settings.password or "")
    if settings.body is not None:
        kwargs["json"] = fill.data(settings.body, "body")

    document = context.http.json(settings.method, url, **kwargs)

    def shown() -> str:  # for messages only: redacting costs more than reading the answer
        parts = urlsplit(url)
        return context.redactor.redact(f"{parts.scheme}://{parts.netloc}{parts.path}")

    steps = _steps(settings.path)
    try:
        selected = select(document, steps)
    except LookupError as error:
        raise TerminalError(
            f"the answer from {shown()} does not have {settings.path or 'a value'!r}: {error}"
        ) from None
    return _measure(settings, steps, selected, shown)


def _measure(
    settings: HttpSettings,
    steps: Sequence[Step],
    selected: list[tuple[str, Any]],
    shown: Callable[[], str],
) -> Reading:
    wildcard = any(isinstance(step, Each) for step in steps)
    if not wildcard:
        where, value = selected[0]
        if settings.measure == "value":
            return Reading(_number(where, value, shown), raw=value)
        if settings.measure == "count":
            if not isinstance(value, list | Mapping):
                raise TerminalError(
                    f"{where} in the answer from {shown()} is {_kind(value)}: measure count "
                    "needs a list (or an object, whose keys it counts)"
                )
            return Reading(float(len(value)), raw={"items": len(value)})
        if not isinstance(value, list):
            raise TerminalError(
                f"{where} in the answer from {shown()} is {_kind(value)}: measure sum needs a list"
            )
        selected = [(f"{where}[{position}]", item) for position, item in enumerate(value)]
    if settings.measure == "count":
        return Reading(float(len(selected)), raw={"items": len(selected)})
    total = sum((_number(where, item, shown) for where, item in selected), 0.0)
    return Reading(total, raw={"items": len(selected)})


def _number(where: str, value: Any, shown: Callable[[], str]) -> float:
    try:
        return parse_number(value)
    except ValueError as error:
        raise TerminalError(f"{where} in the answer from {shown()}: {error}") from None


def _has_placeholder(value: Any) -> bool:
    if isinstance(value, str):
        return any(placeholder in value for placeholder in _PLACEHOLDERS)
    if isinstance(value, Mapping):
        return any(_has_placeholder(item) for item in value.values())
    if isinstance(value, list):
        return any(_has_placeholder(item) for item in value)
    return False


class _Filler:
    """Fills the ``{since}``, ``{until}``, ``{since_date}``, ``{until_date}`` placeholders."""

    def __init__(self, query: Query) -> None:
        until = in_utc(query.window.until)
        since = in_utc(query.window.since) if query.window.since is not None else None
        self.values: dict[str, str | None] = {
            "{since}": format_instant(since) if since is not None else None,
            "{until}": format_instant(until),
            "{since_date}": since.date().isoformat() if since is not None else None,
            "{until_date}": until.date().isoformat(),
        }

    def text(self, text: str, setting: str) -> str:
        if "{" not in text:
            return text
        for placeholder in _PLACEHOLDERS:
            if placeholder in text:
                value = self.values[placeholder]
                if value is None:
                    raise SettingsError(
                        f"it uses {placeholder}, but this key result has no window to take it "
                        "from: give its source a window, as in window: 7d",
                        setting=setting,
                    )
                text = text.replace(placeholder, value)
        return text

    def data(self, value: Any, setting: str) -> Any:
        if isinstance(value, str):
            return self.text(value, setting)
        if isinstance(value, Mapping):
            return {key: self.data(item, setting) for key, item in value.items()}
        if isinstance(value, list):
            return [self.data(item, setting) for item in value]
        return value
