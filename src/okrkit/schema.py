"""A JSON Schema for OKR files, for editors (completion, hover help) and other tools.

Field names and descriptions come from `okrkit.files.FIELDS`, the same table the loader checks
against, so the schema cannot drift from what `load` accepts. The loader checks more than the
schema can say (ids that point nowhere, a key result sentence with no target): validating against
the schema is a first pass, `okrkit lint` the full one.
"""

from __future__ import annotations

from typing import Any

from okrkit.files import FIELDS
from okrkit.model import Direction, Kind, TaskStatus

__all__ = ["json_schema"]

_ID = {"type": "string", "pattern": r"^[A-Za-z0-9][A-Za-z0-9_.\-]*$"}
_TEXT = {"type": "string", "minLength": 1}
_NUMBER = {"type": "number"}
_WEIGHT = {"type": "number", "minimum": 0}
_DATE = {"type": "string", "format": "date"}
_CYCLE = {
    "oneOf": [
        {
            "type": "string",
            "pattern": (
                r"^\d{4}(-?[Qq][1-4]|-?[Hh][12]|-\d{2})?$"
                r"|^\d{4}-\d{2}-\d{2}\.\.\d{4}-\d{2}-\d{2}$"
            ),
        },
        {"type": "integer", "minimum": 1000, "maximum": 9999},
        {
            "type": "object",
            "properties": {"start": _DATE, "end": _DATE, "label": {"type": "string"}},
            "required": ["start", "end"],
            "additionalProperties": False,
        },
    ]
}

_TYPES: dict[str, dict[str, Any]] = {
    "plan": {
        "id": _ID,
        "title": _TEXT,
        "cycle": _CYCLE,
        "objectives": {"type": "array", "items": {"$ref": "#/$defs/objective"}},
        "projects": {"type": "array", "items": {"$ref": "#/$defs/project"}},
        "lint": {
            "type": "object",
            "properties": {"disable": {"type": "array", "items": {"type": "string"}}},
            "additionalProperties": False,
        },
    },
    "objective": {
        "id": _ID,
        "title": _TEXT,
        "description": {"type": "string"},
        "owner": {"type": "string"},
        "cycle": _CYCLE,
        "kind": {"enum": [kind.value for kind in Kind]},
        "weight": _WEIGHT,
        "parent": _ID,
        "key_results": {"type": "array", "items": {"$ref": "#/$defs/key_result"}},
    },
    "key_result": {
        "id": _ID,
        "title": _TEXT,
        "description": {"type": "string"},
        "owner": {"type": "string"},
        "metric": {"type": "string"},
        "unit": {"type": "string"},
        "target": {
            "oneOf": [_NUMBER, {"type": "string", "pattern": r"^\s*[+-]\s*\d+(\.\d+)?\s*%\s*$"}]
        },
        "direction": {"enum": [direction.value for direction in Direction]},
        "baseline": _NUMBER,
        "threshold": {"type": "boolean"},
        "weight": _WEIGHT,
        "current": _NUMBER,
        "source": {
            "type": "object",
            "properties": {"connector": _TEXT},
            "required": ["connector"],
        },
    },
    "project": {
        "id": _ID,
        "title": _TEXT,
        "description": {"type": "string"},
        "objective": _ID,
        "owner": {"type": "string"},
        "tasks": {
            "type": "array",
            "items": {"oneOf": [{"$ref": "#/$defs/task"}, _TEXT]},
        },
    },
    "task": {
        "id": _ID,
        "title": _TEXT,
        "owner": {"type": "string"},
        "due": _DATE,
        "status": {"enum": [status.value for status in TaskStatus]},
        "done": {"type": "boolean"},
        "key_results": {"type": "array", "items": _ID},
    },
}

_REQUIRED = {
    "plan": [],
    "objective": ["id", "title"],
    "key_result": ["id", "title"],
    "project": ["id", "title"],
    "task": ["title"],
}


def _part(part: str) -> dict[str, Any]:
    properties = {
        name: {**_TYPES[part][name], "description": description}
        for name, description in FIELDS[part].items()
    }
    result: dict[str, Any] = {
        "type": "object",
        "properties": properties,
        "additionalProperties": False,
    }
    if _REQUIRED[part]:
        result["required"] = _REQUIRED[part]
    return result


def json_schema() -> dict[str, Any]:
    """The JSON Schema (draft 2020-12) of an OKR file."""
    return {
        "$schema": "https://json-schema.org/draft/2020-12/schema",
        "$id": "https://okrkit.dev/schema/okrs.json",
        "title": "okrkit OKR file",
        "description": "Objectives, key results and projects for one cycle.",
        **_part("plan"),
        "$defs": {part: _part(part) for part in ("objective", "key_result", "project", "task")},
    }
