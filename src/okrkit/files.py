"""OKR files (YAML or JSON) to and from the model, with file:line:column on every error.

The reader is in two steps: a YAML safe loader that remembers where every mapping key and list
item was written, then `_Reader`, which turns that plain data into model objects and fills a
`SourceMap` (JSON pointer to line and column) so lint findings can point at lines too.
YAML is imported only when a file is read or written, so `import okrkit` stays light.

Large files are what the reading is shaped for (a company's 40,000 key results load in about the
time PyYAML alone takes to parse them): a plain YAML document is built straight from the
parser's events (`_read_plain_yaml`), anything else takes the full path, and the source map
works a pointer's position out when asked instead of writing out hundreds of thousands.
"""

from __future__ import annotations

import codecs
import datetime as dt
import difflib
import functools
import inspect
import json
import math
import os
import re
import sys
from collections.abc import Callable, Iterable, Iterator, Mapping, Sequence
from pathlib import Path
from typing import TYPE_CHECKING, Any, Final, Literal

import attrs

from okrkit.errors import FileFormatError, Location, ModelError, PlanError, SentenceError
from okrkit.model import (
    Cycle,
    Direction,
    KeyResult,
    Kind,
    Objective,
    Plan,
    Project,
    SourceMap,
    Target,
    Task,
    TaskStatus,
    thaw,
)
from okrkit.parsing import parse

if TYPE_CHECKING:
    import yaml

__all__ = [
    "FIELDS",
    "MAX_ALIAS_NODES",
    "MAX_BYTES",
    "MAX_DEPTH",
    "dump",
    "dumps",
    "load",
    "loads",
    "to_data",
]

Format = Literal["yaml", "json"]

#: The fields each part of an OKR file accepts, with a one-line description. The loader rejects
#: any other field, and `okrkit schema` and the file-format docs are built from this table.
FIELDS: Mapping[str, Mapping[str, str]] = {
    "plan": {
        "id": "A stable id for this plan in a shared store (default: the file's name).",
        "title": "A name for this set of OKRs (team, product or company).",
        "cycle": "The time box: 2026-Q3, 2026-H1, 2026, 2026-07 or {start, end}.",
        "objectives": "The objectives, each with its key results.",
        "projects": "The projects whose tasks are meant to move the key results.",
        "lint": "Lint settings for this file: {disable: [codes or names]}.",
    },
    "objective": {
        "id": "A unique id: letters, digits, '-', '_' or '.'.",
        "title": "The objective: qualitative, ambitious, inspiring.",
        "description": "Why it matters, in a sentence or two.",
        "owner": "Who is accountable.",
        "cycle": "The objective's own cycle, when it differs from the file's.",
        "kind": "committed (expected to reach 1.0) or aspirational (about 0.7).",
        "weight": "Its weight in roll-ups (default 1).",
        "parent": "The id of the objective this one aligns to.",
        "key_results": "Three to five key results that measure it.",
    },
    "key_result": {
        "id": "A unique id across the whole file.",
        "title": "The key result as a sentence, such as 'Pre-release sign-ups over 5k'.",
        "description": "More detail.",
        "owner": "Who is accountable (defaults to the objective's owner).",
        "metric": "What is measured; read from the title when not given.",
        "unit": "The metric's unit: %, ms, USD, ...; read from the title when not given.",
        "target": "The goal: a number, or '+40%' / '-20%' for a change relative to the baseline.",
        "direction": "increase, decrease, at_least or at_most; read from the title when not given.",
        "baseline": "The value at the start of the cycle.",
        "threshold": "true for a level to stay on the right side of at every measurement.",
        "weight": "Its weight in the objective's score (default 1).",
        "current": "The latest value, typed by hand (a connector's value replaces it).",
        "source": "Where live values come from: {connector: NAME, ...settings}.",
    },
    "project": {
        "id": "A unique id.",
        "title": "What the project does.",
        "description": "More detail.",
        "objective": "The id of the objective the project serves.",
        "owner": "Who runs it.",
        "tasks": "The actions, in order.",
    },
    "task": {
        "id": "An optional id.",
        "title": "The action.",
        "owner": "Who does it.",
        "due": "The due date (YYYY-MM-DD).",
        "status": "todo, doing, done or dropped.",
        "done": "Shorthand for status: done.",
        "key_results": "The ids of the key results this task is meant to move.",
    },
}


# -- Limits ------------------------------------------------------------------------------

#: The largest OKR file `load` and `loads` read, in bytes: 10 MiB. Pass ``max_bytes`` to change it.
MAX_BYTES: Final = 10 * 1024 * 1024

#: How deep lists and mappings may nest, the file's top mapping being level 1 (a plan needs
#: about 8). Pass ``max_depth`` to change it.
MAX_DEPTH: Final = 50

#: How many values YAML aliases (``*name``) may add to a file, all aliases together, each
#: counted as a full copy of the part it names. Pass ``max_alias_nodes`` to change it.
MAX_ALIAS_NODES: Final = 10_000

_LARGEST_NUMBER: Final = int(sys.float_info.max)  # about 1.8e308: beyond it a number has no float
_LONGEST_NUMBER: Final = 1100  # characters: "0b" and 1,024 binary digits is past the largest
_LIBYAML_DEPTH: Final = 1000  # libyaml refuses flow collections nested deeper than this itself


@attrs.frozen
class _Limits:
    max_bytes: int = MAX_BYTES
    max_depth: int = MAX_DEPTH
    max_alias_nodes: int = MAX_ALIAS_NODES


def _raise_hint(name: str) -> str:
    return f"or raise the limit: okrkit.load(path, {name}=...)"


def _check_size(size: int, path: str | None, limits: _Limits) -> None:
    if size > limits.max_bytes:
        raise FileFormatError(
            f"the file is {size:,} bytes, more than the limit of {limits.max_bytes:,}: split the "
            f"plan into smaller files, {_raise_hint('max_bytes')}",
            Location(path),
        )


def _utf8_size(text: str, limit: int) -> int:
    """The size of `text` in UTF-8, worked out only when it could be over `limit`."""
    if len(text) * 4 <= limit:  # no character takes more than 4 bytes
        return len(text)
    return len(text.encode("utf-8", "surrogatepass"))


def _too_deep(location: Location, limits: _Limits) -> FileFormatError:
    return FileFormatError(
        f"lists and mappings nest more than {limits.max_depth} levels deep here (a plan needs "
        f"about 8): flatten the data, {_raise_hint('max_depth')}",
        location,
    )


def _shown(value: Any, limit: int = 60) -> str:
    """`repr(value)`, cut short: error messages quote what the file says, not all of it."""
    text = repr(value)
    return text if len(text) <= limit else f"{text[: limit - 5]}...{text[-2:]}"


def _location_at(text: str, index: int, path: str | None) -> Location:
    """The line and column of the character at `index` in `text`."""
    line_start = text.rfind("\n", 0, index) + 1
    return Location(path, text.count("\n", 0, index) + 1, index - line_start + 1)


# -- Reading YAML with positions ---------------------------------------------------------


class _LocatedDict(dict[Any, Any]):
    """A mapping read from a file, with the position of its start and of each key."""

    __slots__ = ("keys_at", "position")
    position: tuple[int, int]
    keys_at: dict[Any, tuple[int, int]]


class _LocatedList(list[Any]):
    __slots__ = ("items_at", "position")
    position: tuple[int, int]
    items_at: list[tuple[int, int]]


def _mark(node: yaml.Node) -> tuple[int, int]:
    return node.start_mark.line + 1, node.start_mark.column + 1


def _node_location(node: yaml.Node, path: str | None) -> Location:
    return Location(path, *_mark(node))


def _path_of(loader: yaml.SafeLoader) -> str | None:
    path: str | None = getattr(loader, "okrkit_path", None)
    return path


_TAG: Final = "tag:yaml.org,2002:"
_KINDS: Final = {
    "int": "a number",
    "float": "a number",
    "timestamp": "a date",
    "bool": "true or false",
}


def _guarded(read: Callable[..., Any], tag: str) -> Callable[..., Any]:
    """PyYAML's constructor for `tag`, turning any failure to build the value (2026-02-30,
    ``0x_``, ``!!timestamp hello``, ``!!bool maybe``) into an error at the value's line."""
    what = _KINDS.get(tag.removeprefix(_TAG), f"a value tagged {tag.replace(_TAG, '!!')}")

    def fail(loader: yaml.SafeLoader, node: yaml.Node, error: Exception) -> FileFormatError:
        written = _shown(node.value) if isinstance(node.value, str) else "this value"
        detail = f" ({error})" if isinstance(error, ValueError | OverflowError) else ""
        return FileFormatError(
            f"cannot read {written} as {what}{detail}: fix it, or quote it to write text",
            _node_location(node, _path_of(loader)),
        )

    if inspect.isgeneratorfunction(read):  # sets, ordered maps: built in two steps

        def construct_in_steps(loader: yaml.SafeLoader, node: yaml.Node) -> Iterator[Any]:
            try:
                yield from read(loader, node)
            except (ValueError, TypeError, AttributeError, LookupError, OverflowError) as error:
                if isinstance(error, FileFormatError):
                    raise
                raise fail(loader, node, error) from None

        return construct_in_steps

    def construct(loader: yaml.SafeLoader, node: yaml.Node) -> Any:
        try:
            return read(loader, node)
        except (ValueError, TypeError, AttributeError, LookupError, OverflowError) as error:
            if isinstance(error, FileFormatError):
                raise
            raise fail(loader, node, error) from None

    return construct


@functools.cache
def _yaml_loader() -> type[yaml.SafeLoader]:
    """A safe loader (libyaml's when installed) that records positions and refuses duplicate
    keys, numbers too large for a float, and values Python cannot hold, each at its line."""
    import yaml  # noqa: PLC0415  # kept out of `import okrkit`

    base: type[yaml.SafeLoader] = getattr(yaml, "CSafeLoader", yaml.SafeLoader)

    class Loader(base):  # type: ignore[valid-type,misc]
        okrkit_path: str | None = None

    def wrong_kind(loader: yaml.SafeLoader, node: yaml.Node, tag: str) -> FileFormatError:
        return FileFormatError(
            f"the tag {tag} does not fit this value", _node_location(node, _path_of(loader))
        )

    def construct_mapping(loader: yaml.SafeLoader, node: yaml.MappingNode) -> _LocatedDict:
        if not isinstance(node, yaml.MappingNode):
            raise wrong_kind(loader, node, "!!map")
        loader.flatten_mapping(node)
        path = _path_of(loader)
        result = _LocatedDict()
        result.position = _mark(node)
        result.keys_at = {}
        for key_node, value_node in node.value:
            key = loader.construct_object(key_node, deep=True)
            try:
                hash(key)
            except TypeError:
                raise FileFormatError(
                    "a mapping key must be a plain value", _node_location(key_node, path)
                ) from None
            if key in result:
                first = result.keys_at[key][0]
                raise FileFormatError(
                    f"duplicate key {_shown(key)} (first on line {first}): keep one",
                    _node_location(key_node, path),
                )
            result[key] = loader.construct_object(value_node, deep=True)
            result.keys_at[key] = _mark(key_node)
        return result

    def construct_sequence(loader: yaml.SafeLoader, node: yaml.SequenceNode) -> _LocatedList:
        if not isinstance(node, yaml.SequenceNode):
            raise wrong_kind(loader, node, "!!seq")
        result = _LocatedList(loader.construct_object(child, deep=True) for child in node.value)
        result.position = _mark(node)
        result.items_at = [_mark(child) for child in node.value]
        return result

    for tag, read in list(Loader.yaml_constructors.items()):
        # None is a tag nobody knows, which PyYAML refuses itself; text and null cannot fail
        if tag not in (None, f"{_TAG}str", f"{_TAG}null"):
            Loader.add_constructor(tag, _guarded(read, tag))
    read_int = Loader.yaml_constructors[f"{_TAG}int"]

    def construct_int(loader: yaml.SafeLoader, node: yaml.ScalarNode) -> int:
        # a long number is refused before Python works out its value, which can take long
        written = node.value if isinstance(node.value, str) else ""
        value = read_int(loader, node) if len(written) <= _LONGEST_NUMBER else None
        if value is None or abs(value) > _LARGEST_NUMBER:
            raise FileFormatError(
                f"the number {_shown(written)} is too large: numbers must lie between "
                "-1.8e308 and 1.8e308 (quote it to write text)",
                _node_location(node, _path_of(loader)),
            )
        return value  # type: ignore[no-any-return]

    Loader.add_constructor(f"{_TAG}map", construct_mapping)
    Loader.add_constructor(f"{_TAG}seq", construct_sequence)
    Loader.add_constructor(f"{_TAG}int", construct_int)
    return Loader


def _check_nodes(root: yaml.Node, path: str | None, limits: _Limits) -> None:
    """Refuse a document nested too deep, or whose aliases expand too far or into themselves.

    An alias is the node it names met again, so each node's size (values at and under it) and
    height (levels of lists and mappings) are worked out once and added up at every alias: the
    cost is linear in the nodes written, however far they would expand.
    """
    from yaml import MappingNode, ScalarNode  # noqa: PLC0415

    known: dict[yaml.Node, tuple[int, int]] = {}  # node -> (height, size)
    inside: set[yaml.Node] = set()
    added = 0

    def alias(node: yaml.Node, level: int, at: yaml.Node) -> tuple[int, int]:
        nonlocal added
        if node in inside:
            raise FileFormatError(
                "a YAML alias (*name) here stands inside the part it names, which would make "
                "the data endless: write that part out instead",
                _node_location(at, path),
            )
        height, size = known[node]
        if level + height - 1 > limits.max_depth:
            raise _too_deep(_node_location(at, path), limits)
        added += size
        if added > limits.max_alias_nodes:
            raise FileFormatError(
                f"the file's YAML aliases (*name) expand to more than {limits.max_alias_nodes:,} "
                f"values, each counted as a copy of the part it names: write the parts out, "
                f"{_raise_hint('max_alias_nodes')}",
                _node_location(at, path),
            )
        return height, size

    def visit(node: yaml.Node, level: int, at: yaml.Node) -> tuple[int, int]:
        if node in known or node in inside:
            return alias(node, level, at)
        if isinstance(node, ScalarNode):
            known[node] = (0, 1)
            return 0, 1
        if level > limits.max_depth:
            raise _too_deep(_node_location(node, path), limits)
        inside.add(node)
        height = size = 1
        if isinstance(node, MappingNode):
            children: Iterable[tuple[yaml.Node, yaml.Node]] = (
                pair for key, value in node.value for pair in ((key, node), (value, key))
            )
        else:
            children = ((child, node) for child in node.value)
        for child, place in children:
            if child.__class__ is ScalarNode and child not in known:  # most nodes: inline
                known[child] = (0, 1)
                size += 1
                continue
            child_height, child_size = visit(child, level + 1, place)
            if child_height >= height:
                height = child_height + 1
            size += child_size
        inside.discard(node)
        known[node] = (height, size)
        return height, size

    try:
        visit(root, 1, root)
    except RecursionError:  # only with max_depth raised far past Python's recursion limit
        raise _too_deep(_node_location(root, path), limits) from None


def _yaml_error(error: yaml.YAMLError, text: str, path: str | None, limits: _Limits) -> Exception:
    import yaml  # noqa: PLC0415

    if isinstance(error, yaml.MarkedYAMLError):
        mark = error.problem_mark or error.context_mark
        location = (
            Location(path) if mark is None else Location(path, mark.line + 1, mark.column + 1)
        )
        problem = error.problem or "not valid YAML"
        if "maximum nesting depth" in problem and limits.max_depth < _LIBYAML_DEPTH:
            deepest = _json_depth_location(text, path, limits.max_depth)  # flow style: [[[...
            return _too_deep(deepest if deepest.line is not None else location, limits)
        if problem.startswith("could not determine a constructor for the tag"):
            tag = problem.rpartition(" ")[2].strip("'").replace("tag:yaml.org,2002:", "!!")
            return FileFormatError(
                f"not valid YAML: the tag {tag} is not allowed: an OKR file holds plain data "
                "(text, numbers, dates, true/false, lists and mappings)",
                location,
            )
        context = f" {error.context}" if error.context else ""
        if mark is not None and _character_at(text, mark.line, mark.column) == "\t":
            problem, context = "a tab where YAML wants spaces: indent with spaces", ""
        return FileFormatError(f"not valid YAML: {problem}{context}", location)
    if isinstance(error, yaml.reader.ReaderError):  # a character YAML does not allow
        # libyaml counts in UTF-8 bytes, PyYAML's own reader in characters
        encoded = text.encode("utf-8", "surrogatepass")
        start = len(encoded[: error.position].decode("utf-8", "replace"))
        code = error.character if isinstance(error.character, int) else ord(error.character)
        return FileFormatError(
            f"not valid YAML: the character U+{code:04X} cannot be in a file ({error.reason})",
            _location_at(text, min(start, len(text)), path),
        )
    return FileFormatError(f"not valid YAML: {error}", Location(path))


def _character_at(text: str, line: int, column: int) -> str:
    """The character at a 0-based line and column of `text` (an error path: it splits)."""
    lines = text.split("\n", line + 1)
    return lines[line][column : column + 1] if line < len(lines) else ""


#: How deep `_read_plain_yaml` goes; deeper documents take the full path (which recurses).
_PLAIN_DEPTH: Final = 100
_PLAIN_TAGS: Final = frozenset(f"{_TAG}{name}" for name in _KINDS) | {f"{_TAG}null"}


class _NotPlainError(Exception):
    """The document needs the full reader: an anchor, a tag, a merge key, an error..."""


def _read_plain_yaml(text: str, limits: _Limits) -> tuple[Any, tuple[int, int]] | None:
    """What `_read_composed_yaml` reads, for a document without anchors, aliases, explicit
    tags, merge keys or anything wrong; None for any other document.

    It builds the data from the parser's events as they come, where the full path composes the
    whole document into nodes first (a node and two marks for every value, all alive until the
    end, which Python's garbage collector walks over again and again as they pile up: most of
    PyYAML's own time on a large file) and then constructs the data. Each value is made by the
    same constructor, with the same positions. Anything this reader does not take on, and any
    error, leaves the document to the full path, which reads it from the start: the answers
    and the errors are the full path's.
    """
    try:
        loader = _yaml_loader()(text)
    except Exception:  # noqa: BLE001  # the full reader reports it
        return None
    try:
        return _plain_events(loader, min(limits.max_depth, _PLAIN_DEPTH))
    except Exception:  # noqa: BLE001  # _NotPlainError, or an error the full reader reports
        return None
    finally:
        loader.dispose()


def _plain_events(loader: Any, max_depth: int) -> tuple[Any, tuple[int, int]]:  # noqa: PLR0915
    """The loop of `_read_plain_yaml`, one event at a time (kept in one piece: it is the
    hottest code of a large file's load)."""
    from yaml import events, nodes  # noqa: PLC0415

    scalar_event, mapping_start, sequence_start = (
        events.ScalarEvent,
        events.MappingStartEvent,
        events.SequenceStartEvent,
    )
    ends = (events.MappingEndEvent, events.SequenceEndEvent)
    scalar_node = nodes.ScalarNode
    text_tag = f"{_TAG}str"
    resolve = loader.resolve
    constructors = loader.yaml_constructors
    resolvers = loader.yaml_implicit_resolvers
    # Resolver.resolve reads a plain value's tag from the resolvers listed for its first
    # character; with none listed (most words) and no path or catch-all resolvers, it is text.
    quick = not loader.yaml_path_resolvers and None not in resolvers
    get = loader.get_event
    get()  # the stream's start
    if get().__class__ is not events.DocumentStartEvent:
        raise _NotPlainError  # no document: the full reader says what that gives
    open_parts: list[tuple[Any, bool]] = []
    part: Any = None  # the open list or mapping
    in_mapping = False
    key: Any = None
    key_at: tuple[int, int] = (0, 0)
    has_key = False
    root: Any = None
    root_at: tuple[int, int] | None = None
    while True:
        event = get()
        kind = event.__class__
        if kind is scalar_event:
            if event.anchor is not None or event.tag is not None:
                raise _NotPlainError
            value = event.value
            implicit = event.implicit
            if quick and (not implicit[0] or (value and value[0] not in resolvers)):
                tag = text_tag
            else:
                tag = resolve(scalar_node, value, implicit)
            if tag != text_tag:
                if tag not in _PLAIN_TAGS:
                    raise _NotPlainError  # a merge key, or a tag the full reader refuses
                node = scalar_node(tag, value, event.start_mark, event.end_mark, event.style)
                value = constructors[tag](loader, node)
            mark = event.start_mark
            at = (mark.line + 1, mark.column + 1)
            if in_mapping:
                if has_key:
                    part[key] = value
                    part.keys_at[key] = key_at
                    has_key = False
                else:
                    if value in part:
                        raise _NotPlainError  # a duplicate key
                    key, key_at, has_key = value, at, True
            elif part is not None:
                part.append(value)
                part.items_at.append(at)
            else:
                root, root_at = value, at
        elif kind is mapping_start or kind is sequence_start:
            if event.anchor is not None or event.tag is not None:
                raise _NotPlainError
            if len(open_parts) >= max_depth:
                raise _NotPlainError  # too deep: the full reader says where
            mark = event.start_mark
            at = (mark.line + 1, mark.column + 1)
            opened: Any
            if kind is mapping_start:
                opened = _LocatedDict()
                opened.keys_at = {}
            else:
                opened = _LocatedList()
                opened.items_at = []
            opened.position = at
            if in_mapping:
                if not has_key:
                    raise _NotPlainError  # a list or mapping as a key
                part[key] = opened
                part.keys_at[key] = key_at
                has_key = False
            elif part is not None:
                part.append(opened)
                part.items_at.append(at)
            else:
                root, root_at = opened, at
            open_parts.append((part, in_mapping))
            part, in_mapping = opened, kind is mapping_start
        elif kind in ends:
            part, in_mapping = open_parts.pop()
        elif kind is events.DocumentEndEvent:
            break
        else:
            raise _NotPlainError  # an alias
    if get().__class__ is not events.StreamEndEvent or root_at is None:
        raise _NotPlainError  # another document: the full reader refuses it
    return root, root_at


def _read_yaml(text: str, path: str | None, limits: _Limits) -> tuple[Any, tuple[int, int] | None]:
    """The document's data and where it starts; nothing for a file of only comments."""
    if (plain := _read_plain_yaml(text, limits)) is not None:
        return plain
    return _read_composed_yaml(text, path, limits)


def _read_composed_yaml(
    text: str, path: str | None, limits: _Limits
) -> tuple[Any, tuple[int, int] | None]:
    """`_read_yaml` for any document: composed into nodes, checked against the limits, then
    constructed. Every error is raised here, at its line."""
    import yaml  # noqa: PLC0415

    try:
        loader = _yaml_loader()(text)
    except UnicodeEncodeError as error:  # a lone surrogate, in text that did not come from bytes
        raise FileFormatError(
            "not valid text: a lone surrogate character (save the file as UTF-8)",
            _location_at(text, error.start, path),
        ) from None
    loader.okrkit_path = path  # type: ignore[attr-defined]
    try:
        try:
            node = loader.get_single_node()
        except yaml.YAMLError as error:
            raise _yaml_error(error, text, path, limits) from None
        except RecursionError:  # PyYAML's own composer, when libyaml is not installed
            raise _too_deep(Location(path), limits) from None
        if node is None:
            return None, None
        _check_nodes(node, path, limits)
        try:
            return loader.construct_document(node), _mark(node)
        except yaml.YAMLError as error:
            raise _yaml_error(error, text, path, limits) from None
        except RecursionError:
            raise _too_deep(_node_location(node, path), limits) from None
    finally:
        loader.dispose()


class _DuplicateKeyError(Exception):
    pass


def _read_json(text: str, path: str | None, limits: _Limits) -> tuple[Any, tuple[int, int] | None]:
    def no_duplicates(pairs: list[tuple[str, Any]]) -> dict[str, Any]:
        result: dict[str, Any] = {}
        for key, value in pairs:
            if key in result:
                raise _DuplicateKeyError(key)
            result[key] = value
        return result

    def number(digits: str) -> int:
        value = int(digits) if len(digits) <= _LONGEST_NUMBER else None
        if value is None or abs(value) > _LARGEST_NUMBER:
            raise FileFormatError(
                f"the number {_shown(digits)} is too large: numbers must lie between -1.8e308 "
                "and 1.8e308",
                _location_at(text, max(text.find(digits), 0), path),
            )
        return value

    try:
        data = json.loads(text, object_pairs_hook=no_duplicates, parse_int=number)
    except json.JSONDecodeError as error:
        raise FileFormatError(
            f"not valid JSON: {error.msg}", Location(path, error.lineno, error.colno)
        ) from None
    except _DuplicateKeyError as error:
        raise FileFormatError(
            f"duplicate key {_shown(error.args[0])}: keep one",
            _json_duplicate_location(text, error.args[0], path),
        ) from None
    except RecursionError:  # nested far too deep for Python's JSON parser
        raise _too_deep(_json_depth_location(text, path, limits.max_depth), limits) from None
    located, start = _json_positions(text)
    return _with_positions(data, located, 1, _Depth(text, path, limits)), start


_JSON_VALUE: Final = re.compile(r'"(?:[^"\\]|\\.)*"|[\[\]{},:]|[^\s\[\]{},:"]+', re.DOTALL)


def _json_positions(text: str) -> tuple[Any, tuple[int, int] | None]:
    """The shape of a valid JSON document, its lists and mappings carrying positions (where
    each starts, where each key and item is), the values left out: `_with_positions` pairs it
    with the parsed data. Also where the document starts. One pass, without recursion."""
    root: Any = None
    start_at: tuple[int, int] | None = None
    open_parts: list[_LocatedDict | _LocatedList] = []
    key: Any = None
    expect_key = False
    line, line_start, scanned = 1, 0, 0
    for token in _JSON_VALUE.finditer(text):
        found, start = token[0], token.start()
        if found in ":,]}":
            if found in "]}":
                open_parts.pop()
            expect_key = found == "," and isinstance(open_parts[-1], _LocatedDict)
            continue
        if (breaks := text.count("\n", scanned, start)) > 0:
            line += breaks
            line_start = text.rfind("\n", scanned, start) + 1
        scanned = start
        at = (line, start - line_start + 1)
        parent = open_parts[-1] if open_parts else None
        if expect_key and isinstance(parent, _LocatedDict):
            key = json.loads(found)
            parent.keys_at[key] = at
            expect_key = False
            continue
        part: Any = None
        if found in "{[":
            part = _LocatedDict() if found == "{" else _LocatedList()
            part.position = at
            if isinstance(part, _LocatedDict):
                part.keys_at = {}
            else:
                part.items_at = []
        if isinstance(parent, _LocatedDict):
            parent[key] = part
        elif isinstance(parent, _LocatedList):
            parent.append(part)
            parent.items_at.append(at)
        else:
            root, start_at = part, at
        if part is not None:
            open_parts.append(part)
            expect_key = found == "{"
    return root, start_at


_JSON_TOKEN: Final = re.compile(r'"(?:[^"\\]|\\.)*"|[\[\]{},]', re.DOTALL)


def _json_duplicate_location(text: str, key: str, path: str | None) -> Location:
    """Where JSON text repeats `key` in one object (an error path: a plain scan)."""
    objects: list[set[str] | None] = []  # per open bracket: the object's keys, None for a list
    expect_key = False
    for token in _JSON_TOKEN.finditer(text):
        found = token[0]
        if found in "{[":
            objects.append(set() if found == "{" else None)
            expect_key = found == "{"
        elif found in "}]":
            objects = objects[:-1]
            expect_key = False
        elif found == ",":
            expect_key = bool(objects) and objects[-1] is not None
        elif expect_key and objects and (keys := objects[-1]) is not None:
            expect_key = False
            name = json.loads(found)
            if name == key and name in keys:
                return _location_at(text, token.start(), path)
            keys.add(name)
    return Location(path)


def _json_depth_location(text: str, path: str | None, max_depth: int) -> Location:
    """Where JSON text first nests deeper than `max_depth` (an error path: a plain scan)."""
    depth = 0
    for token in _JSON_TOKEN.finditer(text):
        if token[0] in "[{":
            depth += 1
            if depth > max_depth:
                return _location_at(text, token.start(), path)
        elif token[0] in "]}":
            depth -= 1
    return Location(path)


@attrs.frozen
class _Depth:
    """What `_with_positions` needs to refuse JSON nested too deep."""

    text: str
    path: str | None
    limits: _Limits

    def check(self, level: int) -> None:
        if level > self.limits.max_depth:
            where = _json_depth_location(self.text, self.path, self.limits.max_depth)
            raise _too_deep(where, self.limits)


def _with_positions(value: Any, located: Any, level: int, depth: _Depth) -> Any:
    """JSON's values with the positions `_json_positions` found, refusing nesting deeper than
    the limit (Python's JSON parser itself stops only near a thousand levels)."""
    if isinstance(value, dict):
        depth.check(level)
        result = _LocatedDict()
        same = isinstance(located, _LocatedDict) and located.keys() == value.keys()
        for key, item in value.items():
            result[key] = _with_positions(item, located[key] if same else None, level + 1, depth)
        if same:
            result.position, result.keys_at = located.position, located.keys_at
        return result
    if isinstance(value, list):
        depth.check(level)
        same = isinstance(located, _LocatedList) and len(located) == len(value)
        items = _LocatedList(
            _with_positions(item, located[index] if same else None, level + 1, depth)
            for index, item in enumerate(value)
        )
        if same:
            items.position, items.items_at = located.position, located.items_at
        return items
    return value


# -- From plain data to the model --------------------------------------------------------


def _kind_of(value: Any) -> str:
    if value is None:
        return "nothing"
    if isinstance(value, bool):
        return "true/false"
    if isinstance(value, int | float):
        return "a number"
    if isinstance(value, str):
        return "text"
    if isinstance(value, Mapping):
        return "a mapping"
    if isinstance(value, list):
        return "a list"
    return type(value).__name__


_Position = tuple[int, int]
_Note = tuple[str, _Position | None, Mapping[Any, _Position] | None, Sequence[_Position] | None]


class _NotedPositions(Mapping[str, _Position]):
    """Where each part of a file was written, JSON pointer to (line, column), found when asked.

    The reader notes each list and mapping it reads under its pointer. The positions are the
    ones writing these out would give, note after note: the part's own position and its keys'
    (each replacing what was there), then its items' (where nothing was yet). A large file has
    hundreds of thousands of them and few are ever asked for, so a pointer is worked out from
    the notes that can write it: the part noted under it, and the parts noted under each of its
    prefixes (whose keys can hold slashes). Iterating writes them all out once.
    """

    __slots__ = ("_key_texts", "_noted", "_notes", "_repeated", "_written")

    def __init__(self, start: _Position | None = None) -> None:
        self._notes: list[_Note] = []
        self._noted: dict[str, int] = {}  # pointer -> its note
        self._repeated = False  # a pointer noted twice: answers come from writing all out
        self._written: dict[str, _Position] | None = None
        self._key_texts: dict[int, dict[str, _Position]] = {}  # note -> keys as written
        if start is not None:
            self._notes.append(("", start, None, None))
            self._noted[""] = 0

    def note(self, pointer: str, data: Any) -> None:
        """Note a part read from the file (any value: only lists and mappings have positions)."""
        self._written = None
        if pointer in self._noted:
            self._repeated = True
        self._noted[pointer] = len(self._notes)
        self._notes.append(
            (
                pointer,
                getattr(data, "position", None),
                getattr(data, "keys_at", None),
                getattr(data, "items_at", None),
            )
        )

    def _write_all(self) -> dict[str, _Position]:
        if self._written is None:
            written: dict[str, _Position] = {}
            for pointer, position, keys_at, items_at in self._notes:
                if position is not None:
                    written[pointer] = position
                if keys_at:
                    for key, at in keys_at.items():
                        written[f"{pointer}/{key}"] = at
                if items_at:
                    for index, at in enumerate(items_at):
                        written.setdefault(f"{pointer}/{index}", at)
            self._written = written
        return self._written

    def _keys_of(self, index: int, keys_at: Mapping[Any, _Position]) -> dict[str, _Position]:
        texts = self._key_texts.get(index)
        if texts is None:  # as pointers write keys: 1 and "1" are the same, the last one wins
            texts = self._key_texts[index] = {f"{key}": at for key, at in keys_at.items()}
        return texts

    def get(self, pointer: Any, default: Any = None) -> Any:
        if self._written is not None or self._repeated:
            return self._write_all().get(pointer, default)
        if not isinstance(pointer, str):
            return default
        # the last note that writes the pointer wins; if none does, the first that fills it in
        written_by, found = -1, None
        filled_by, filled = len(self._notes), None
        if (index := self._noted.get(pointer)) is not None:
            position = self._notes[index][1]
            if position is not None:
                written_by, found = index, position
        cut = pointer.rfind("/")
        while cut >= 0:
            index = self._noted.get(pointer[:cut])
            if index is not None:
                _, _, keys_at, items_at = self._notes[index]
                rest = pointer[cut + 1 :]
                if keys_at and index > written_by:
                    at = self._keys_of(index, keys_at).get(rest)
                    if at is not None:
                        written_by, found = index, at
                if (
                    items_at
                    and index < filled_by
                    and rest.isascii()
                    and rest.isdigit()
                    and (rest == "0" or rest[0] != "0")
                    and int(rest) < len(items_at)
                ):
                    filled_by, filled = index, items_at[int(rest)]
            cut = pointer.rfind("/", 0, cut)
        if found is not None:
            return found
        return default if filled is None else filled

    def __getitem__(self, pointer: str) -> _Position:
        found: _Position | None = self.get(pointer)
        if found is None:
            raise KeyError(pointer)
        return found

    def __contains__(self, pointer: object) -> bool:
        return self.get(pointer) is not None

    def __iter__(self) -> Iterator[str]:
        return iter(self._write_all())

    def __len__(self) -> int:
        return len(self._write_all())

    def __repr__(self) -> str:
        return repr(self._write_all())


@attrs.define
class _Reader:
    path: str | None
    positions: _NotedPositions = attrs.field(factory=_NotedPositions)

    # Positions --------------------------------------------------------------------------

    def note(self, pointer: str, data: Any) -> None:
        self.positions.note(pointer, data)

    def where(self, pointer: str) -> Location:
        found = SourceMap(self.path, self.positions).position(pointer)
        return Location(self.path, *found) if found else Location(self.path)

    def fail(self, pointer: str, message: str) -> FileFormatError:
        return FileFormatError(message, self.where(pointer))

    # Shapes -----------------------------------------------------------------------------

    def mapping(self, data: Any, pointer: str, part: str, label: str) -> Mapping[str, Any]:
        if not isinstance(data, Mapping):
            self.note(pointer, data)
            raise self.fail(pointer, f"{label} should be a mapping of fields, got {_kind_of(data)}")
        self.note(pointer, data)
        allowed = FIELDS[part]
        for key in data:
            if key not in allowed:
                close = difflib.get_close_matches(str(key), allowed, n=1)
                hint = f"; did you mean {close[0]!r}?" if close else ""
                raise self.fail(
                    f"{pointer}/{key}",
                    f"unknown field {_shown(key)} in {label}{hint} (allowed: {', '.join(allowed)})",
                )
        return data

    def items(self, data: Mapping[str, Any], key: str, pointer: str) -> list[Any]:
        value = data.get(key)
        if value is None:
            return []
        if not isinstance(value, list):
            raise self.fail(f"{pointer}/{key}", f"{key!r} should be a list, got {_kind_of(value)}")
        self.note(f"{pointer}/{key}", value)
        return value

    def text(
        self, data: Mapping[str, Any], key: str, pointer: str, *, required: bool = False
    ) -> Any:
        value = data.get(key)
        if value.__class__ is str:
            return value
        if value is None:
            if required:
                raise self.fail(pointer, f"missing required field {key!r}")
            return None
        if isinstance(value, bool) or not isinstance(value, str | int | float):
            raise self.fail(f"{pointer}/{key}", f"{key!r} should be text, got {_kind_of(value)}")
        return str(value)

    def number(self, data: Mapping[str, Any], key: str, pointer: str) -> float | None:
        value = data.get(key)
        if value is None:
            return None
        if (
            isinstance(value, bool)
            or not isinstance(value, int | float)
            or not math.isfinite(value)
        ):
            raise self.fail(
                f"{pointer}/{key}", f"{key!r} should be a finite number, got {_shown(value)}"
            )
        return value

    def flag(self, data: Mapping[str, Any], key: str, pointer: str) -> bool | None:
        value = data.get(key)
        if value is None or isinstance(value, bool):
            return value
        raise self.fail(f"{pointer}/{key}", f"{key!r} should be true or false, got {_shown(value)}")

    def build(self, factory: Callable[..., Any], pointer: str, **fields: Any) -> Any:
        """Call a model constructor, turning its ModelError into an error at the field's line."""
        try:
            return factory(**fields)
        except ModelError as error:
            field = f"{pointer}/{error.field}" if error.field else pointer
            raise self.fail(field, str(error)) from None

    # Parts ------------------------------------------------------------------------------

    def cycle(self, value: Any, pointer: str) -> Cycle | None:
        cycle = self.cycle_of(value, pointer)
        if cycle is not None:
            try:  # the model works with the instant after the last day: it must exist
                cycle.ends_at  # noqa: B018
            except OverflowError:
                raise self.fail(pointer, f"cycle ends on {cycle.end}: end it earlier") from None
        return cycle

    def cycle_of(self, value: Any, pointer: str) -> Cycle | None:
        if value is None:
            return None
        if isinstance(value, Mapping):
            self.note(pointer, value)
            unknown = set(value) - {"start", "end", "label"}
            if unknown:
                raise self.fail(
                    f"{pointer}/{min(map(str, unknown))}",
                    "a cycle mapping takes start, end and an optional label",
                )
            for key in ("start", "end"):
                if not isinstance(value.get(key), dt.date) or isinstance(
                    value.get(key), dt.datetime
                ):
                    raise self.fail(
                        f"{pointer}/{key}" if key in value else pointer,
                        f"cycle {key} should be a date written YYYY-MM-DD, "
                        f"got {_shown(value.get(key))}",
                    )
            label = value.get("label")
            return self.build(Cycle, pointer, start=value["start"], end=value["end"], label=label)  # type: ignore[no-any-return]
        if isinstance(value, int) and not isinstance(value, bool):
            value = str(value)
        try:
            return Cycle.parse(value)
        except ModelError as error:
            raise self.fail(pointer, str(error)) from None

    def target(
        self, data: Mapping[str, Any], title: str, pointer: str
    ) -> tuple[Target | None, str | None, str | None]:
        try:
            sentence = parse(title)
        except SentenceError as error:  # a title too long to read
            raise self.fail(f"{pointer}/title", str(error)) from None
        said = sentence.target
        raw = data.get("target")
        relative: bool | None = None
        value: float | None
        if raw is None:
            value = None
        elif isinstance(raw, str):
            value, relative = self.relative_target(raw, f"{pointer}/target")
        else:
            value = self.number(data, "target", pointer)
        direction_text = self.text(data, "direction", pointer)
        baseline = self.number(data, "baseline", pointer)
        threshold = self.flag(data, "threshold", pointer)
        direction: Direction | None = None
        if direction_text is not None:
            try:
                direction = Direction(direction_text.replace(" ", "_").replace("-", "_"))
            except ValueError:
                raise self.fail(
                    f"{pointer}/direction",
                    f"direction should be one of {', '.join(d.value for d in Direction)}, "
                    f"got {_shown(direction_text)}",
                ) from None
        elif relative is not None:
            direction = (
                Direction.INCREASE if value is not None and value >= 0 else Direction.DECREASE
            )
        if relative and value is not None:
            value = abs(value)
        if value is None and said is None:
            if direction is not None or baseline is not None or threshold is not None:
                raise self.fail(
                    pointer,
                    f"key result {_shown(title)} gives a direction, baseline or threshold but no "
                    "target: add 'target: NUMBER' or write the target in the title",
                )
            return None, sentence.metric, sentence.unit
        if (
            said is not None
            and value is None
            and direction is None
            and baseline is None
            and threshold is None
        ):
            return said, sentence.metric, sentence.unit  # the sentence says it all
        fields: dict[str, Any] = {}
        if said is not None:
            fields = attrs.asdict(said, recurse=False)
        if value is not None:
            fields["value"] = value
            fields["relative"] = bool(relative)
            if said is None or (direction is None and relative is None and said.relative):
                fields["direction"] = self.inferred_direction(value, baseline)
        if direction is not None:
            fields["direction"] = direction
        if baseline is not None:
            fields["baseline"] = baseline
        if threshold is not None:
            fields["threshold"] = threshold
        target = self.build(Target, pointer, **fields)
        return target, sentence.metric, sentence.unit

    @staticmethod
    def inferred_direction(value: float, baseline: float | None) -> Direction:
        if baseline is not None and value < baseline:
            return Direction.DECREASE
        if baseline is not None:
            return Direction.INCREASE
        return Direction.AT_LEAST

    def relative_target(self, raw: str, pointer: str) -> tuple[float, bool]:
        text = raw.strip().replace(" ", "")
        if text.endswith("%") and text[:1] in "+-":
            try:
                share = float(text[1:-1]) / 100
            except ValueError:
                share = math.nan
            if math.isfinite(share) and share > 0:
                return (share if text[0] == "+" else -share), True
        raise self.fail(
            pointer,
            f"target {_shown(raw)} is not a number or a relative change: write 5000, or '+40%' / "
            "'-20%' for a change against the baseline",
        )

    def key_result(self, data: Any, pointer: str, owner: str) -> KeyResult:
        fields = self.mapping(data, pointer, "key_result", f"key result in {owner}")
        title = self.text(fields, "title", pointer, required=True)
        target, metric, unit = self.target(fields, title, pointer)
        source = fields.get("source")
        if source is not None:
            if not isinstance(source, Mapping):
                raise self.fail(
                    f"{pointer}/source",
                    f"source should be a mapping such as {{connector: sql, query: ...}}, "
                    f"got {_kind_of(source)}",
                )
            self.note(f"{pointer}/source", source)
        return self.build(  # type: ignore[no-any-return]
            KeyResult,
            pointer,
            id=self.text(fields, "id", pointer, required=True),
            title=title,
            target=target,
            metric=self.text(fields, "metric", pointer) or metric,
            unit=self.text(fields, "unit", pointer) or unit,
            weight=_default(self.number(fields, "weight", pointer), 1.0),
            owner=self.text(fields, "owner", pointer),
            description=self.text(fields, "description", pointer),
            source=_plain(source),
            current=self.number(fields, "current", pointer),
        )

    def objective(self, data: Any, pointer: str, cycle: Cycle | None) -> Objective:
        fields = self.mapping(data, pointer, "objective", f"objective #{pointer.rsplit('/', 1)[1]}")
        identifier = self.text(fields, "id", pointer, required=True)
        key_results = [
            self.key_result(item, f"{pointer}/key_results/{index}", f"objective {identifier!r}")
            for index, item in enumerate(self.items(fields, "key_results", pointer))
        ]
        return self.build(  # type: ignore[no-any-return]
            Objective,
            pointer,
            id=identifier,
            title=self.text(fields, "title", pointer, required=True),
            key_results=key_results,
            description=self.text(fields, "description", pointer),
            owner=self.text(fields, "owner", pointer),
            cycle=self.cycle(fields.get("cycle"), f"{pointer}/cycle") or cycle,
            kind=_default(self.text(fields, "kind", pointer), Kind.COMMITTED),
            weight=_default(self.number(fields, "weight", pointer), 1.0),
            parent=self.text(fields, "parent", pointer),
        )

    def task(self, data: Any, pointer: str, project: str) -> Task:
        if isinstance(data, str):
            return self.build(Task, pointer, title=data)  # type: ignore[no-any-return]
        fields = self.mapping(data, pointer, "task", f"a task of project {project!r}")
        status = self.text(fields, "status", pointer)
        done = self.flag(fields, "done", pointer)
        if done is not None and status is not None and (status == "done") != done:
            raise self.fail(
                f"{pointer}/done", f"'done: {str(done).lower()}' contradicts 'status: {status}'"
            )
        if status is None:
            status = TaskStatus.DONE if done else TaskStatus.TODO
        due = fields.get("due")
        if due is not None and (not isinstance(due, dt.date) or isinstance(due, dt.datetime)):
            raise self.fail(
                f"{pointer}/due", f"due should be a date written YYYY-MM-DD, got {_shown(due)}"
            )
        references = self.items(fields, "key_results", pointer)
        return self.build(  # type: ignore[no-any-return]
            Task,
            pointer,
            title=self.text(fields, "title", pointer, required=True),
            status=status,
            owner=self.text(fields, "owner", pointer),
            due=due,
            key_results=[str(item) for item in references],
            id=self.text(fields, "id", pointer),
        )

    def project(self, data: Any, pointer: str) -> Project:
        fields = self.mapping(data, pointer, "project", f"project #{pointer.rsplit('/', 1)[1]}")
        identifier = self.text(fields, "id", pointer, required=True)
        tasks = [
            self.task(item, f"{pointer}/tasks/{index}", identifier)
            for index, item in enumerate(self.items(fields, "tasks", pointer))
        ]
        return self.build(  # type: ignore[no-any-return]
            Project,
            pointer,
            id=identifier,
            title=self.text(fields, "title", pointer, required=True),
            objective=self.text(fields, "objective", pointer),
            tasks=tasks,
            owner=self.text(fields, "owner", pointer),
            description=self.text(fields, "description", pointer),
        )

    def plan(self, data: Any) -> Plan:
        if data is None:
            raise self.fail("", "the file is empty: it should hold a cycle and objectives")
        fields = self.mapping(data, "", "plan", "the file")
        cycle = self.cycle(fields.get("cycle"), "/cycle")
        objectives = [
            self.objective(item, f"/objectives/{index}", cycle)
            for index, item in enumerate(self.items(fields, "objectives", ""))
        ]
        projects = [
            self.project(item, f"/projects/{index}")
            for index, item in enumerate(self.items(fields, "projects", ""))
        ]
        disabled: list[str] = []
        lint_settings = fields.get("lint")
        if lint_settings is not None:
            if not isinstance(lint_settings, Mapping) or set(lint_settings) - {"disable"}:
                raise self.fail("/lint", "lint settings should be {disable: [codes or names]}")
            self.note("/lint", lint_settings)
            disabled = [str(item) for item in self.items(lint_settings, "disable", "/lint")]
        return self.build(  # type: ignore[no-any-return]
            Plan,
            "",
            objectives=objectives,
            projects=projects,
            cycle=cycle,
            title=self.text(fields, "title", ""),
            disabled_rules=disabled,
            id=self.text(fields, "id", ""),
            source_map=SourceMap(self.path, self.positions),
        )


def _default(value: Any, default: Any) -> Any:
    return default if value is None else value


def _plain(value: Any) -> Any:
    """Dates in settings become ISO text: settings are plain data."""
    if isinstance(value, Mapping):
        return {str(key): _plain(item) for key, item in value.items()}
    if isinstance(value, list):
        return [_plain(item) for item in value]
    if isinstance(value, dt.date):
        return value.isoformat()
    return value


# -- Public API -----------------------------------------------------------------------------


def _format_of(path: str | None, text: str) -> Format:
    if path is not None and path.lower().endswith(".json"):
        return "json"
    if path is None and text.lstrip().startswith("{"):
        return "json"
    return "yaml"


def _decode(raw: bytes, path: str | None) -> str:
    """UTF-8 text, with or without a byte order mark; UTF-16 with one, as YAML allows."""
    if raw.startswith((codecs.BOM_UTF32_LE, codecs.BOM_UTF32_BE)):
        raise FileFormatError("the file is UTF-32 text: save it as UTF-8", Location(path, 1, 1))
    utf16 = raw.startswith((codecs.BOM_UTF16_LE, codecs.BOM_UTF16_BE))
    if not utf16 and len(raw) > 1 and (raw[0] == 0) != (raw[1] == 0):  # as YAML detects it
        raise FileFormatError(
            "the file looks like UTF-16 without a byte order mark: save it as UTF-8",
            Location(path, 1, 1),
        )
    codec, name = ("utf-16", "UTF-16") if utf16 else ("utf-8-sig", "UTF-8")
    try:
        return raw.decode(codec)
    except UnicodeDecodeError as error:
        before = raw[: error.start].decode(codec, "replace")
        raise FileFormatError(
            f"not {name} text: byte {raw[error.start]:#04x} cannot be read: save the file as UTF-8",
            _location_at(before, len(before), path),
        ) from None


def loads(
    text: str | bytes,
    *,
    path: str | None = None,
    format: Format | None = None,  # noqa: A002  # the natural name, as in json and yaml APIs
    strict: bool = True,
    max_bytes: int = MAX_BYTES,
    max_depth: int = MAX_DEPTH,
    max_alias_nodes: int = MAX_ALIAS_NODES,
) -> Plan:
    """Read a plan from the text of an OKR file.

    With `strict` (the default) a plan whose ids collide or point nowhere raises `PlanError`
    listing every such problem with its line; `lint` loads with ``strict=False`` and reports
    them as findings instead. Bytes are read as UTF-8 (or UTF-16 with a byte order mark).

    The limits protect a program that reads files it did not write: a file larger than
    `max_bytes` (UTF-8 bytes, for text), lists and mappings nested deeper than `max_depth`, or
    YAML aliases that would add more than `max_alias_nodes` values raise `FileFormatError`.
    """
    limits = _Limits(max_bytes, max_depth, max_alias_nodes)
    if isinstance(text, bytes):
        _check_size(len(text), path, limits)
        text = _decode(text, path)
    elif isinstance(text, str):
        _check_size(_utf8_size(text, max_bytes), path, limits)
    else:
        raise TypeError(f"loads() reads str or bytes, not {type(text).__name__}")
    chosen = format or _format_of(path, text)
    read = _read_json if chosen == "json" else _read_yaml
    data, start = read(text, path, limits)
    reader = _Reader(path, _NotedPositions(start))
    plan = reader.plan(data)
    if strict and (problems := plan.problems()):
        raise PlanError(problems, locations=[reader.where(p.pointer) for p in problems])
    return plan


def load(
    path: str | os.PathLike[str],
    *,
    strict: bool = True,
    max_bytes: int = MAX_BYTES,
    max_depth: int = MAX_DEPTH,
    max_alias_nodes: int = MAX_ALIAS_NODES,
) -> Plan:
    """Read a plan from an OKR file (``.yaml``, ``.yml`` or ``.json``).

    A file larger than `max_bytes` is refused before it is read; see `loads` for the others.
    """
    name = os.fspath(path)
    limits = _Limits(max_bytes, max_depth, max_alias_nodes)
    try:
        with Path(name).open("rb") as file:
            _check_size(os.fstat(file.fileno()).st_size, name, limits)
            raw = file.read(max_bytes + 1)  # a device or a growing file can say size 0
    except FileNotFoundError:
        raise FileFormatError("no such file", Location(name)) from None
    except IsADirectoryError:
        raise FileFormatError("is a directory, not an OKR file", Location(name)) from None
    except OSError as error:
        raise FileFormatError(f"cannot read: {error.strerror}", Location(name)) from None
    return loads(
        raw,
        path=name,
        strict=strict,
        max_bytes=max_bytes,
        max_depth=max_depth,
        max_alias_nodes=max_alias_nodes,
    )


# -- Writing ----------------------------------------------------------------------------------


def _cycle_data(cycle: Cycle) -> Any:
    if cycle.label is not None:
        try:
            if Cycle.parse(cycle.label) == cycle:
                return cycle.label
        except ModelError:
            pass
    data: dict[str, Any] = {"start": cycle.start, "end": cycle.end}
    if cycle.label is not None:
        data["label"] = cycle.label
    return data


def _target_data(key_result: KeyResult) -> dict[str, Any]:
    """The target fields a file needs beside the title to give back this key result."""
    sentence = parse(key_result.title)
    target = key_result.target
    data: dict[str, Any] = {}
    if target is not None and target != sentence.target:
        if target.relative:
            sign = "+" if target.direction is Direction.INCREASE else "-"
            data["target"] = f"{sign}{_number(target.value * 100)}%"
        else:
            data["target"] = target.value
        data["direction"] = target.direction.value
        if target.baseline is not None:
            data["baseline"] = target.baseline
        if target.threshold:
            data["threshold"] = True
    if key_result.metric != sentence.metric and key_result.metric is not None:
        data["metric"] = key_result.metric
    if key_result.unit != sentence.unit and key_result.unit is not None:
        data["unit"] = key_result.unit
    return data


def _number(value: float) -> str:
    return repr(int(value)) if float(value).is_integer() else repr(value)


def _drop_none(data: dict[str, Any]) -> dict[str, Any]:
    return {key: value for key, value in data.items() if value is not None}


def to_data(plan: Plan) -> dict[str, Any]:
    """The plan as plain data in the file format (what `dump` writes)."""
    data: dict[str, Any] = _drop_none({"id": plan.id, "title": plan.title})
    if plan.cycle is not None:
        data["cycle"] = _cycle_data(plan.cycle)
    objectives = []
    for objective in plan.objectives:
        key_results = []
        for kr in objective.key_results:
            entry = {"id": kr.id, "title": kr.title, **_target_data(kr)}
            entry |= _drop_none(
                {
                    "description": kr.description,
                    "owner": kr.owner,
                    "weight": kr.weight if kr.weight != 1.0 else None,
                    "current": kr.current,
                    "source": thaw(kr.source) if kr.source is not None else None,
                }
            )
            key_results.append(entry)
        item = _drop_none(
            {
                "id": objective.id,
                "title": objective.title,
                "description": objective.description,
                "owner": objective.owner,
                "kind": objective.kind.value if objective.kind is not Kind.COMMITTED else None,
                "weight": objective.weight if objective.weight != 1.0 else None,
                "parent": objective.parent,
            }
        )
        if objective.cycle is not None and objective.cycle != plan.cycle:
            item["cycle"] = _cycle_data(objective.cycle)
        item["key_results"] = key_results
        objectives.append(item)
    data["objectives"] = objectives
    if plan.projects:
        data["projects"] = [
            _drop_none(
                {
                    "id": project.id,
                    "title": project.title,
                    "description": project.description,
                    "objective": project.objective,
                    "owner": project.owner,
                    "tasks": [_task_data(task) for task in project.tasks],
                }
            )
            for project in plan.projects
        ]
    if plan.disabled_rules:
        data["lint"] = {"disable": list(plan.disabled_rules)}
    return data


def _task_data(task: Task) -> dict[str, Any]:
    data = _drop_none({"id": task.id, "title": task.title, "owner": task.owner, "due": task.due})
    if task.status is TaskStatus.DONE:
        data["done"] = True
    elif task.status is not TaskStatus.TODO:
        data["status"] = task.status.value
    if task.key_results:
        data["key_results"] = list(task.key_results)
    return data


def _json_default(value: Any) -> Any:
    if isinstance(value, dt.date):
        return value.isoformat()
    raise TypeError(f"cannot write {type(value).__name__} to JSON")


def dumps(plan: Plan, format: Format = "yaml") -> str:  # noqa: A002
    """The plan as the text of an OKR file; `loads` reads it back to an equal plan."""
    data = to_data(plan)
    if format == "json":
        return json.dumps(data, indent=2, ensure_ascii=False, default=_json_default) + "\n"
    import yaml  # noqa: PLC0415

    return yaml.dump(data, Dumper=_yaml_dumper(), sort_keys=False, allow_unicode=True, width=100)


def _yaml_dumper() -> type[yaml.SafeDumper]:
    import yaml  # noqa: PLC0415

    base: type[yaml.SafeDumper] = getattr(yaml, "CSafeDumper", yaml.SafeDumper)

    class Dumper(base):  # type: ignore[valid-type,misc]
        pass

    def represent_float(dumper: yaml.SafeDumper, value: float) -> yaml.ScalarNode:
        # YAML 1.1 (PyYAML) reads 1e-09 as text: a float needs a dot in its mantissa.
        text = repr(value)
        mantissa, e, exponent = text.partition("e")
        if e and "." not in mantissa:
            text = f"{mantissa}.0e{exponent}"
        return dumper.represent_scalar("tag:yaml.org,2002:float", text)

    Dumper.add_representer(float, represent_float)
    return Dumper


def dump(plan: Plan, path: str | os.PathLike[str], format: Format | None = None) -> None:  # noqa: A002
    """Write the plan to an OKR file, YAML or JSON by the file's extension."""
    name = os.fspath(path)
    chosen = format or ("json" if name.lower().endswith(".json") else "yaml")
    Path(name).write_text(dumps(plan, chosen), encoding="utf-8")
