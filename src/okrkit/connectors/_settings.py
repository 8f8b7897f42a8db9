"""Source settings: the runner's own keys, and the connector's typed `Settings`, validated.

Structuring plain data into attrs classes is cattrs' job, and it does it better than a hand-written
walker: nested classes, lists, literals, enums and optionals, with every error collected and its
path given. okrkit turns those errors into one `SettingsError` that names the key result and the
setting. cattrs is imported only when a refresh validates settings.
"""

from __future__ import annotations

import datetime as dt
import difflib
import re
from collections.abc import Mapping
from types import MappingProxyType
from typing import TYPE_CHECKING, Any, Literal

import attrs

from okrkit.errors import SettingsError
from okrkit.model import thaw

if TYPE_CHECKING:
    from okrkit.connectors._base import Connector

__all__ = [
    "RESERVED",
    "InvalidSettingError",
    "SourceOptions",
    "parse_duration",
    "structure_settings",
]

#: Keys of a `source` mapping that the runner reads itself; the rest go to the connector.
RESERVED = ("connector", "window", "aggregate", "sources")


class InvalidSettingError(ValueError):
    """Raise it from a `Settings` validator: `setting` names the bad one, the message says why.

    okrkit turns it into a `SettingsError` for the key result when it validates the settings.
    """

    def __init__(self, setting: str, message: str) -> None:
        self.setting = setting
        super().__init__(message)


_DURATION = re.compile(r"^\s*(\d+(?:\.\d+)?)\s*(s|m|min|h|d|w)\s*$", re.IGNORECASE)
_UNITS = {"s": "seconds", "m": "minutes", "min": "minutes", "h": "hours", "d": "days", "w": "weeks"}


def parse_duration(text: Any) -> dt.timedelta:
    """``7d``, ``24h``, ``30m``, ``2w`` (or ``90s``): a trailing window's length."""
    refusal = f"{text!r} is not a duration: write 7d, 24h, 30m or 2w"
    try:
        if isinstance(text, int | float) and not isinstance(text, bool) and text > 0:
            return dt.timedelta(days=text)
        match = _DURATION.match(text) if isinstance(text, str) else None
        if match is None or float(match[1]) <= 0:
            raise ValueError(refusal)
        return dt.timedelta(**{_UNITS[match[2].lower()]: float(match[1])})
    except OverflowError:  # longer than datetime can count, or infinite
        raise ValueError(refusal) from None


@attrs.frozen
class SourceOptions:
    """What the runner reads from a `source` before the connector sees the rest."""

    connector: str
    window: dt.timedelta | None = None
    aggregate: Literal["latest", "change"] = "latest"
    sources: tuple[Mapping[str, Any], ...] = ()
    settings: Mapping[str, Any] = attrs.field(factory=dict)

    @classmethod
    def read(cls, source: Mapping[str, Any], key_result: str) -> SourceOptions:
        connector = source.get("connector")
        if isinstance(connector, str):
            connector = connector.strip()
        if not isinstance(connector, str) or not connector:
            raise SettingsError(
                "name the connector, as in {connector: sql, ...}",
                key_result=key_result,
                setting="connector",
            )
        window = None
        if source.get("window") is not None:
            try:
                window = parse_duration(source["window"])
            except ValueError as error:
                raise SettingsError(str(error), key_result=key_result, setting="window") from None
        aggregate = source.get("aggregate", "latest")
        if aggregate not in ("latest", "change"):
            raise SettingsError(
                f"{aggregate!r} is not an aggregation: use latest (the value as read) or change "
                "(the gain since the cycle began, for a counter that only grows)",
                key_result=key_result,
                setting="aggregate",
            )
        sources: tuple[Mapping[str, Any], ...] = ()
        if connector == "sum":
            raw = source.get("sources")
            if not isinstance(raw, list | tuple) or not raw:
                raise SettingsError(
                    "connector 'sum' adds up several sources: give them as "
                    "sources: [{connector: ...}, {connector: ...}]",
                    key_result=key_result,
                    setting="sources",
                )
            for index, item in enumerate(raw):
                if not isinstance(item, Mapping) or "connector" not in item:
                    raise SettingsError(
                        "each entry must be a source mapping with its own connector",
                        key_result=key_result,
                        setting=f"sources[{index}]",
                    )
                if "sources" in item:
                    raise SettingsError(
                        "sums do not nest: list every source in one sum",
                        key_result=key_result,
                        setting=f"sources[{index}]",
                    )
            sources = tuple(raw)
        elif "sources" in source:
            raise SettingsError(
                "'sources' belongs to connector 'sum'", key_result=key_result, setting="sources"
            )
        settings = {key: value for key, value in source.items() if key not in RESERVED}
        return cls(connector, window, aggregate, sources, settings)


_CONVERTER: Any = None


def _converter() -> Any:
    global _CONVERTER  # noqa: PLW0603  # one converter, built on first use
    if _CONVERTER is None:
        import cattrs  # noqa: PLC0415  # kept out of `import okrkit`

        converter = cattrs.Converter(forbid_extra_keys=True, detailed_validation=True)

        def strict_str(value: Any, _type: Any) -> str:
            if not isinstance(value, str):
                raise TypeError(f"expected text, got {type(value).__name__}")
            return value

        def strict_float(value: Any, _type: Any) -> float:
            if isinstance(value, bool) or not isinstance(value, int | float):
                raise TypeError(f"expected a number, got {type(value).__name__}")
            return float(value)

        def strict_int(value: Any, _type: Any) -> int:
            if isinstance(value, bool) or not isinstance(value, int):
                raise TypeError(f"expected a whole number, got {type(value).__name__}")
            return value

        def strict_bool(value: Any, _type: Any) -> bool:
            if not isinstance(value, bool):
                raise TypeError(f"expected true or false, got {type(value).__name__}")
            return value

        converter.register_structure_hook(str, strict_str)
        converter.register_structure_hook(float, strict_float)
        converter.register_structure_hook(int, strict_int)
        converter.register_structure_hook(bool, strict_bool)
        _CONVERTER = converter
    return _CONVERTER


def structure_settings(
    connector_type: type[Connector], settings: Mapping[str, Any], key_result: str
) -> Any:
    """The connector's `Settings` instance built from the source, or a `SettingsError`."""
    plain = thaw(settings)
    settings_class = connector_type.Settings
    if settings_class is None:
        return MappingProxyType(plain)
    import cattrs  # noqa: PLC0415

    _refuse_text_for_lists(settings_class, plain, key_result)
    try:
        return _converter().structure(plain, settings_class)
    except cattrs.ClassValidationError as error:
        # an exception the Settings class raised itself (a validator) carries no cattrs note:
        # its own message and `setting` are the best words for it
        for inner in error.exceptions:
            if isinstance(inner, ValueError | TypeError) and not getattr(inner, "__notes__", None):
                setting = getattr(inner, "setting", None) or _attribute_in(str(inner))
                raise SettingsError(str(inner), key_result=key_result, setting=setting) from None
        # a misspelled setting explains the "required" error beside it: say it first
        messages = sorted(
            cattrs.transform_error(error, path="source"),
            key=lambda message: not message.startswith("extra fields found"),
        )
        first = messages[0] if messages else str(error)
        extra = f" (and {len(messages) - 1} more)" if len(messages) > 1 else ""
        raise SettingsError(
            f"{_friendly(first, settings_class)}{extra}",
            key_result=key_result,
            setting=_setting_in(first) or _unknown_in(first),
        ) from None
    except (ValueError, TypeError) as error:  # raised outside cattrs' collection
        setting = getattr(error, "setting", None) or _attribute_in(str(error))
        raise SettingsError(str(error), key_result=key_result, setting=setting) from None


#: Per settings class, the names of its settings that hold lists (type hints are slow to read:
#: resolving them once per class instead of once per key result makes planning 5x faster).
_LIST_SETTINGS: dict[type, tuple[str, ...]] = {}


def _list_settings(settings_class: type) -> tuple[str, ...]:
    names = _LIST_SETTINGS.get(settings_class)
    if names is None:
        import typing  # noqa: PLC0415

        hints = typing.get_type_hints(settings_class)
        names = tuple(
            field.alias or field.name
            for field in attrs.fields(settings_class)
            if typing.get_origin(hints.get(field.name)) in (list, tuple, set, frozenset)
        )
        _LIST_SETTINGS[settings_class] = names
    return names


def _refuse_text_for_lists(settings_class: type, plain: Mapping[str, Any], key_result: str) -> None:
    """cattrs would read text given for a list setting as a list of its letters."""
    for name in _list_settings(settings_class):
        value = plain.get(name)
        if isinstance(value, str):
            raise SettingsError(
                f"expected a list, as in {name}: [{value}], not text",
                key_result=key_result,
                setting=name,
            )


def _unknown_in(message: str) -> str | None:
    if message.startswith("extra fields found"):
        names = message.partition("(")[2].partition(")")[0]
        return names.split(",")[0].strip() or None
    return None


def _setting_in(message: str) -> str | None:
    _, _, path = message.rpartition(" @ ")
    path = path.removeprefix("source").lstrip(".")
    return path or None


def _friendly(message: str, settings_class: type) -> str:
    text, _, _path = message.rpartition(" @ ")
    text = text or message
    if text.startswith("extra fields found"):
        names = [name.strip() for name in text.partition("(")[2].rstrip(")").split(",")]
        known = [field.alias or field.name for field in attrs.fields(settings_class)]
        hints = []
        for name in names:
            close = difflib.get_close_matches(name, known, n=1)
            hints.append(f"{name} (did you mean {close[0]!r}?)" if close else name)
        plural = "s" if len(names) > 1 else ""
        return f"unknown setting{plural} {', '.join(hints)}; it takes {', '.join(known)}"
    if text == "required field missing":
        return "this setting is required"
    literal = re.search(r"\((.+) not in literal typing\.Literal\[(.*)\]\)", text)
    if literal:
        choices = ", ".join(choice.strip().strip("'\"") for choice in literal[2].split(","))
        return f"{literal[1]!r} is not one of: {choices}"
    if text.startswith("invalid value for type, expected "):
        return f"expected {text.removeprefix('invalid value for type, expected ')}"
    return text


def _attribute_in(message: str) -> str | None:
    match = re.search(r"'(\w+)'", message)
    return match[1] if match else None
