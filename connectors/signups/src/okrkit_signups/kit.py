"""The ``kit`` connector: how many subscribers a Kit (formerly ConvertKit) account has.

One request to the Kit API v4, authenticated with the ``X-Kit-Api-Key`` header, asking for one
subscriber and the collection's total count (``include_total_count=true``), read from
``pagination.total_count``:

- ``GET https://api.kit.com/v4/subscribers``: every subscriber with the status;
- ``GET https://api.kit.com/v4/tags/{tag_id}/subscribers``: those with a tag;
- ``GET https://api.kit.com/v4/forms/{form_id}/subscribers``: those who came through a form.

Each takes ``status`` and the ``created_after`` / ``created_before`` filters. The key result's
window gives them: its start is ``created_after`` and its end ``created_before``, so a baseline,
``aggregate: change`` and ``okrkit refresh --at`` count the subscribers there were then. The
settings ``created_after`` and ``created_before`` (dates) fix a span by hand instead.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Mapping
from typing import TYPE_CHECKING, Any, ClassVar, Literal

import attrs
from okrkit.connectors import (
    Connector,
    ConnectorError,
    Context,
    CredentialsError,
    Query,
    Reading,
    SettingsError,
    TerminalError,
    TransientError,
    parse_retry_after,
)
from okrkit.connectors.builtin import InvalidSettingError

from okrkit_signups._calls import (
    Explain,
    as_utc,
    body_of,
    count_at,
    get_json,
    iso_z,
    reworded,
    shorten,
)

if TYPE_CHECKING:
    import requests

__all__ = ["API", "KitConnector", "KitSettings"]

#: The Kit API's address; the connector appends ``/v4/...``.
API = "https://api.kit.com"

_WHERE_IS_THE_KEY = "Settings > Developer > API keys (a v4 key)"
_FILTERS = ("created_after", "created_before", "status", "tag_id", "form_id")


def _check_key(_instance: Any, attribute: attrs.Attribute[str], value: str) -> None:
    if not value.strip():  # the message never shows the value: it is a secret
        raise InvalidSettingError(
            attribute.name, f"the Kit API key is empty; create one in {_WHERE_IS_THE_KEY}"
        )


def _day(value: str) -> dt.date:
    return dt.date.fromisoformat(value.strip())


def _check_date(instance: Any, attribute: attrs.Attribute[str | None], value: str | None) -> None:
    if value is None:
        return
    try:
        day = _day(value)
    except ValueError:
        raise InvalidSettingError(
            attribute.name, f"{shorten(value)!r} is not a date: write it as 2026-07-01"
        ) from None
    after = instance.created_after if attribute.name == "created_before" else None
    if after is not None and day <= _day(after):
        raise InvalidSettingError(attribute.name, "created_before must come after created_after")


def _check_id(instance: Any, attribute: attrs.Attribute[int | None], value: int | None) -> None:
    if value is None:
        return
    if value <= 0:
        raise InvalidSettingError(attribute.name, f"{value} is not an id: ids are 1 or more")
    if attribute.name == "form_id" and instance.tag_id is not None:
        raise InvalidSettingError(
            attribute.name, "count the subscribers of a tag or of a form, not both"
        )


@attrs.frozen
class KitSettings:
    """The settings of the ``kit`` connector."""

    api_key: str = attrs.field(
        repr=False,
        validator=_check_key,
        metadata={"help": "A Kit API v4 key, as ${KIT_API_KEY}; sent as X-Kit-Api-Key."},
    )
    status: Literal["active", "inactive", "bounced", "complained", "cancelled", "all"] = (
        attrs.field(
            default="active",
            metadata={
                "help": "Count subscribers with this status: active (the default), inactive, "
                "bounced, complained, cancelled, or all."
            },
        )
    )
    created_after: str | None = attrs.field(
        default=None,
        validator=_check_date,
        metadata={"help": "Only subscribers created after this date (2026-07-01)."},
    )
    created_before: str | None = attrs.field(
        default=None,
        validator=_check_date,
        metadata={"help": "Only subscribers created before this date (2026-10-01)."},
    )
    tag_id: int | None = attrs.field(
        default=None,
        validator=_check_id,
        metadata={"help": "Only subscribers with this tag (its id)."},
    )
    form_id: int | None = attrs.field(
        default=None,
        validator=_check_id,
        metadata={"help": "Only subscribers who signed up through this form (its id)."},
    )


class KitConnector(Connector):
    """Subscribers of a Kit account, of a tag or of a form, created within a window."""

    name: ClassVar[str] = "kit"
    Settings: ClassVar[type | None] = KitSettings
    summary: ClassVar[str] = (
        "Subscribers in Kit (ConvertKit): all, by tag or by form, created within the window."
    )
    windowed: ClassVar[bool] = True
    batch: ClassVar[bool] = False

    def fetch_one(self, query: Query, context: Context) -> Reading:
        return _fetch_one(query, context)


def _path(settings: KitSettings) -> str:
    if settings.tag_id is not None:
        return f"/v4/tags/{settings.tag_id}/subscribers"
    if settings.form_id is not None:
        return f"/v4/forms/{settings.form_id}/subscribers"
    return "/v4/subscribers"


def _span(query: Query) -> tuple[str | None, str]:
    """``created_after`` and ``created_before``, from the window or the settings."""
    settings: KitSettings = query.settings
    since, until = query.window.since, query.window.until
    if since is not None and settings.created_after is not None:
        raise SettingsError(
            "the key result's window already gives the start (created_after): remove the "
            "window, or created_after",
            setting="created_after",
        )
    after = iso_z(since) if since is not None else _stripped(settings.created_after)
    before = iso_z(until)
    if settings.created_before is not None:
        day = _day(settings.created_before)
        if dt.datetime(day.year, day.month, day.day, tzinfo=dt.UTC) <= as_utc(until):
            before = settings.created_before.strip()  # the earlier end wins
    return after, before


def _stripped(text: str | None) -> str | None:
    return None if text is None else text.strip()


def _fetch_one(query: Query, context: Context) -> Reading:
    settings: KitSettings = query.settings
    key = settings.api_key.strip()
    context.redactor.add(key)
    after, before = _span(query)
    path = _path(settings)
    params: dict[str, str] = {
        "include_total_count": "true",
        "per_page": "1",
        "status": settings.status,
    }
    if after is not None:
        params["created_after"] = after
    params["created_before"] = before
    document = get_json(
        context,
        f"{API}{path}",
        _explainer(settings, context),
        params=params,
        headers={"X-Kit-Api-Key": key, "Accept": "application/json"},
    )
    count = count_at(document, "pagination.total_count", f"Kit's answer from {path}")
    raw = {"endpoint": path, "total_count": count, **params}
    return Reading(float(count), raw=raw)


def _explainer(settings: KitSettings, context: Context) -> Explain:
    """Kit's failures in words: its ``errors`` list (or plain text), and what to do."""

    def explain(
        status: int, response: requests.Response, error: ConnectorError
    ) -> ConnectorError | None:
        if status < 400:  # a 2xx that is not JSON, or too big: context.http said it well
            return None
        body = body_of(response)
        if isinstance(body, Mapping) and isinstance(body.get("errors"), list):
            text = "; ".join(str(item) for item in body["errors"])
        elif isinstance(body, Mapping) and body.get("error"):
            text = str(body["error"])
        elif body is None:
            text = (
                response.text
                if response.headers.get("Content-Type", "").startswith("text/")
                else ""
            )
        else:
            text = ""
        said = shorten(context.redactor.redact(text))  # redacted whole, then cut
        told = f" ({said})" if said else ""
        if status in (401, 403):
            return CredentialsError(
                f"Kit refused the API key, HTTP {status}{told}: check the key api_key names, or "
                f"create one in {_WHERE_IS_THE_KEY}"
            )
        if status == 404 and (settings.tag_id is not None or settings.form_id is not None):
            kind, number = (
                ("tag", settings.tag_id)
                if settings.tag_id is not None
                else ("form", settings.form_id)
            )
            return TerminalError(
                f"Kit has no {kind} with id {number}, HTTP 404{told}: list your {kind}s and "
                f"their ids with GET {API}/v4/{kind}s"
            )
        if status == 422:
            words = "_".join(text.lower().split())  # "Created after is..." names created_after
            found = [(words.index(name), name) for name in _FILTERS if name in words]
            named = min(found)[1] if found else None  # the setting Kit names first
            return SettingsError(f"Kit refused the request, HTTP 422{told}", setting=named)
        if status == 429:
            retry_after = parse_retry_after(response.headers.get("Retry-After"))
            wait = (
                f"; it asked to wait {retry_after:g}s"
                if retry_after is not None
                else "; a minute's wait resets the limit"
            )
            return TransientError(
                f"Kit answered HTTP 429{told}: more than 120 requests in 60 seconds with this "
                f"key{wait}",
                retry_after=retry_after,
            )
        return reworded(error, f"Kit answered HTTP {status}{told}")

    return explain
