"""The ``mailchimp`` connector: how many people are in a Mailchimp audience, or joined it.

Two measures, through the Marketing API 3.0 with basic authentication (any user name, the API
key as the password):

- ``member_count``: the audience's size now, from ``GET /3.0/lists/{list_id}`` and its
  ``stats.member_count`` (subscribed members); for another `status`, the ``total_items`` of
  ``GET /3.0/lists/{list_id}/members`` filtered by that status;
- ``joined``: members who opted in within the key result's window, from
  ``GET /3.0/lists/{list_id}/members?since_timestamp_opt=...&before_timestamp_opt=...`` and its
  ``total_items`` (one member is asked for: only the count is read).

Left out, the measure is ``member_count`` for a present value without a window, and ``joined``
when the key result has a window, ends before the refresh's moment (a cycle that is over) or
okrkit asks about the past (a baseline, or the value when the cycle began): the opt-in time
tells the past from the present, the audience's size cannot.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from typing import TYPE_CHECKING, Any, ClassVar, Literal
from urllib.parse import quote

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
from okrkit.connectors.builtin import InvalidSettingError, past_asked

from okrkit_signups._calls import (
    Explain,
    as_utc,
    body_of,
    count_at,
    get_json,
    iso_offset,
    reworded,
    shorten,
)

if TYPE_CHECKING:
    import requests

__all__ = ["MailchimpConnector", "MailchimpSettings", "datacenter_of"]

Measure = Literal["member_count", "joined"]

_DATACENTER = re.compile(r"[a-z]{2,}[0-9]+")
_LIST_ID = re.compile(r"[A-Za-z0-9]+")
_WHERE_IS_THE_KEY = "Profile > Extras > API keys"
_WHERE_IS_THE_LIST = "Audience > Settings > Audience name and defaults"


def datacenter_of(api_key: str) -> str | None:
    """The datacenter a Mailchimp API key belongs to (``us21`` for ``...-us21``), or None."""
    prefix, dash, datacenter = api_key.strip().rpartition("-")
    if not dash or not prefix.strip() or not _DATACENTER.fullmatch(datacenter):
        return None
    return datacenter


def _check_key(_instance: Any, attribute: attrs.Attribute[str], value: str) -> None:
    # the message never shows the value: it is a secret, resolved from the environment
    if datacenter_of(value) is None:
        raise InvalidSettingError(
            attribute.name,
            "this is not a whole Mailchimp API key: a key ends in its datacenter after a dash, "
            f"as in ...-us21; copy the whole key from {_WHERE_IS_THE_KEY}",
        )


def _check_list_id(_instance: Any, attribute: attrs.Attribute[str], value: str) -> None:
    if not _LIST_ID.fullmatch(value.strip()):
        raise InvalidSettingError(
            attribute.name,
            f"{shorten(value)!r} is not an audience id: it is letters and digits, such as "
            f"a1b2c3d4e5, shown in {_WHERE_IS_THE_LIST}",
        )


@attrs.frozen
class MailchimpSettings:
    """The settings of the ``mailchimp`` connector."""

    api_key: str = attrs.field(
        repr=False,
        validator=_check_key,
        metadata={
            "help": "The API key, as ${MAILCHIMP_API_KEY}; it ends in its datacenter (-us21)."
        },
    )
    list_id: str = attrs.field(
        validator=_check_list_id,
        metadata={"help": f"The audience id, from {_WHERE_IS_THE_LIST}."},
    )
    status: Literal[
        "subscribed", "unsubscribed", "cleaned", "pending", "transactional", "archived", "any"
    ] = attrs.field(
        default="subscribed",
        metadata={
            "help": "Count members with this status: subscribed (the default), unsubscribed, "
            "cleaned, pending, transactional, archived, or any."
        },
    )
    measure: Literal["member_count", "joined"] | None = attrs.field(
        default=None,
        metadata={
            "help": "member_count: the audience's size now; joined: members who opted in within "
            "the window. Left out: member_count, or joined with a window or for the past."
        },
    )


class MailchimpConnector(Connector):
    """Members of a Mailchimp audience: its size now, or those who opted in within a window."""

    name: ClassVar[str] = "mailchimp"
    Settings: ClassVar[type | None] = MailchimpSettings
    summary: ClassVar[str] = (
        "Members of a Mailchimp audience: its size, or those who joined within the window."
    )
    windowed: ClassVar[bool] = True
    batch: ClassVar[bool] = False

    def fetch_one(self, query: Query, context: Context) -> Reading:
        return _fetch_one(query, context)


def _measure_of(query: Query) -> Measure:
    settings: MailchimpSettings = query.settings
    past = past_asked(query)
    if settings.measure == "member_count":
        if query.window.since is not None:
            raise SettingsError(
                "member_count is the audience's size now, which cannot be counted over a "
                "window: use measure: joined (members who opted in within the window), or "
                "remove the window",
                setting="measure",
            )
        if past is not None:
            raise SettingsError(
                f"member_count is the audience's size now, so it cannot tell {past[0]}: leave "
                f"measure out (members are then counted by when they opted in), {past[1]}",
                setting="measure",
            )
        return "member_count"
    if settings.measure == "joined":
        return "joined"
    ended = as_utc(query.window.until) < as_utc(query.at)  # a cycle that is over, say
    present = query.window.since is None and past is None and not ended
    return "member_count" if present else "joined"


def _fetch_one(query: Query, context: Context) -> Reading:
    settings: MailchimpSettings = query.settings
    key = settings.api_key.strip()
    context.redactor.add(key)
    measure = _measure_of(query)
    list_id = settings.list_id.strip()
    base = f"https://{datacenter_of(key)}.api.mailchimp.com/3.0/lists/{quote(list_id, safe='')}"
    auth = ("okrkit", key)
    explain = _explainer(list_id, context)
    source = f"Mailchimp's answer for audience {list_id!r}"

    if measure == "member_count" and settings.status == "subscribed":
        document = get_json(
            context, base, explain, params={"fields": "id,name,stats.member_count"}, auth=auth
        )
        count = count_at(document, "stats.member_count", source)
        raw: dict[str, Any] = {"list_id": list_id, "member_count": count}
        if isinstance(document, Mapping) and isinstance(document.get("name"), str):
            raw["name"] = document["name"]
        return Reading(float(count), raw=raw, note=_present_only_note(query))

    params: dict[str, str] = {}
    if measure == "joined":
        if query.window.since is not None:
            params["since_timestamp_opt"] = iso_offset(query.window.since)
        params["before_timestamp_opt"] = iso_offset(query.window.until)
    if settings.status != "any":
        params["status"] = settings.status
    params["count"] = "1"
    params["fields"] = "total_items"
    document = get_json(context, f"{base}/members", explain, params=params, auth=auth)
    count = count_at(document, "total_items", source)
    raw = {"list_id": list_id, "total_items": count, "status": settings.status}
    raw.update({name: value for name, value in params.items() if "timestamp" in name})
    note = _present_only_note(query) if measure == "member_count" else None
    return Reading(float(count), raw=raw, note=note)


def _present_only_note(query: Query) -> str | None:
    """A member_count is today's; say so when the key result's moment lies before `at`."""
    if as_utc(query.window.until) < as_utc(query.at):
        return (
            f"member_count is the audience's size when the refresh ran, not on "
            f"{query.window.until.date().isoformat()}; leave measure out (or use joined) to "
            "count members by when they opted in"
        )
    return None


def _explainer(list_id: str, context: Context) -> Explain:
    """Mailchimp's failures in words: its error body's ``title`` and ``detail``, and what to do."""

    def explain(
        status: int, response: requests.Response, error: ConnectorError
    ) -> ConnectorError | None:
        if status < 400:  # a 2xx that is not JSON, or too big: context.http said it well
            return None
        body = body_of(response)
        parts: list[str] = []
        if isinstance(body, Mapping):
            parts = [str(body[name]) for name in ("title", "detail") if body.get(name)]
        said = shorten(context.redactor.redact(": ".join(parts)))  # redacted whole, then cut
        told = f" ({said})" if said else ""
        if status in (401, 403):
            return CredentialsError(
                f"Mailchimp refused the API key, HTTP {status}{told}: check the key api_key "
                f"names, or create one in {_WHERE_IS_THE_KEY}"
            )
        if status == 404:
            return TerminalError(
                f"Mailchimp has no audience with list_id {list_id!r}, HTTP 404{told}: find the "
                f"audience id in {_WHERE_IS_THE_LIST}"
            )
        if status == 429:
            retry_after = parse_retry_after(response.headers.get("Retry-After"))
            wait = f"; it asked to wait {retry_after:g}s" if retry_after is not None else ""
            return TransientError(
                f"Mailchimp answered HTTP 429{told}: too many requests at once with this key "
                f"(Mailchimp allows 10 simultaneous connections){wait}",
                retry_after=retry_after,
            )
        return reworded(error, f"Mailchimp answered HTTP {status}{told}")

    return explain
