"""Reading a contract file into plain values while remembering where each value came from.

The file is composed (``yaml.compose``) with a SafeLoader stripped of its implicit resolvers, so
every scalar keeps its source text: an unquoted ``10:22:33:44:55:11`` stays a MAC instead of a
base-60 integer, ``00123`` stays a serial and ``NO`` stays ``NO``. Numbers, dates and booleans are
converted later, explicitly, by the models that want them. Hostile files (empty, binary, not
UTF-8, huge, deeply nested, alias bombs, directories, unreadable) become located problems.
"""

from __future__ import annotations

import hashlib
import os
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import yaml

from scopeaudit.contract.messages import FileProblem

MAX_BYTES = 10 * 1024 * 1024
MAX_DEPTH = 40  # a contract nests 5 levels; anything this deep is an attack or a mistake
MAX_NODES = 200_000  # after alias expansion; stops "billion laughs" long before memory runs out
_NULLS = frozenset({"", "~", "null", "Null", "NULL"})


# libyaml's parser when PyYAML was built with it: the pure-Python one takes a minute on 10 MB
_Base: Any = getattr(yaml, "CSafeLoader", yaml.SafeLoader)


class _TextLoader(_Base):  # type: ignore[misc]
    """SafeLoader without implicit typing: plain scalars are all strings."""

    yaml_implicit_resolvers: dict[Any, Any] = {}  # noqa: RUF012 - PyYAML's class-level table


class TreeError(Exception):
    """A file-level problem: what went wrong, with a 1-based position."""

    def __init__(self, problem: FileProblem, line: int = 1, column: int = 1, **params: object):
        super().__init__(problem.value)
        self.problem = problem
        self.line = line
        self.column = column
        self.params = params


@dataclass(frozen=True)
class Tree:
    """The composed document and the plain value built from it."""

    root: yaml.Node
    value: Any
    sha256: str  # of the bytes read, so a file is read once (it may be a pipe)


def read_bytes(path: Path) -> bytes:
    """Read at most MAX_BYTES (+1 to notice more) from ``path``; file-level problems raise."""
    try:
        if path.is_dir():
            raise TreeError(FileProblem.DIRECTORY)
        with path.open("rb") as handle:  # a FIFO blocks here until a writer comes: that is fine
            data = handle.read(MAX_BYTES + 1)
    except FileNotFoundError:
        raise TreeError(FileProblem.MISSING) from None
    except PermissionError:
        raise TreeError(FileProblem.UNREADABLE) from None
    except IsADirectoryError:
        raise TreeError(FileProblem.DIRECTORY) from None
    except OSError as error:
        raise TreeError(FileProblem.OS_ERROR, detail=os.strerror(error.errno or 0)) from None
    if len(data) > MAX_BYTES:
        raise TreeError(FileProblem.TOO_LARGE, limit_mb=MAX_BYTES // (1024 * 1024))
    return data


def _pos(mark: Any) -> tuple[int, int]:
    """1-based (line, column) of a PyYAML mark (0-based), (1, 1) when there is none."""
    return (mark.line + 1, mark.column + 1) if mark is not None else (1, 1)


def _position(data: bytes, offset: int) -> tuple[int, int]:
    before = data[:offset]
    line = before.count(b"\n") + 1
    column = offset - (before.rfind(b"\n") + 1) + 1
    return line, column


def decode(data: bytes) -> str:
    """The file's text; binary and non-UTF-8 content raise a located TreeError."""
    if not data.strip():
        raise TreeError(FileProblem.EMPTY)
    nul = data.find(b"\x00")
    if nul >= 0:
        raise TreeError(FileProblem.BINARY, *_position(data, nul))
    try:
        text = data.decode("utf-8")
    except UnicodeDecodeError as error:
        raise TreeError(FileProblem.NOT_UTF8, *_position(data, error.start)) from None
    return text.removeprefix("\ufeff")


def _check_shape(text: str) -> None:
    """Walk the event stream (iterative, unlike the composer) to refuse deep nesting early."""
    depth = 0
    try:
        for event in yaml.parse(text, Loader=_TextLoader):
            if isinstance(event, yaml.CollectionStartEvent):
                depth += 1
                if depth > MAX_DEPTH:
                    mark = event.start_mark
                    raise TreeError(FileProblem.TOO_DEEP, *_pos(mark), limit=MAX_DEPTH)
            elif isinstance(event, yaml.CollectionEndEvent):
                depth -= 1
    except yaml.MarkedYAMLError as error:
        raise _yaml_problem(error) from None


def _yaml_problem(error: yaml.MarkedYAMLError) -> TreeError:
    mark = error.problem_mark or error.context_mark
    detail = " ".join(part for part in (error.context, error.problem) if part) or "invalid YAML"
    if "nesting depth" in detail:  # libyaml's own limit (1000 levels), met before ours
        return TreeError(FileProblem.TOO_DEEP, *_pos(mark), limit=MAX_DEPTH)
    if mark is None:
        return TreeError(FileProblem.YAML, detail=detail)
    return TreeError(FileProblem.YAML, *_pos(mark), detail=detail)


class _Builder:
    """Turn nodes into dicts, lists and strings, bounding alias expansion."""

    def __init__(self) -> None:
        self.count = 0

    def build(self, node: yaml.Node) -> Any:
        self.count += 1
        if self.count > MAX_NODES:
            mark = node.start_mark
            raise TreeError(FileProblem.ALIAS_BOMB, *_pos(mark), limit=MAX_NODES)
        if isinstance(node, yaml.MappingNode):
            result: dict[str, Any] = {}
            seen: dict[str, yaml.Node] = {}
            for key_node, value_node in node.value:
                if not isinstance(key_node, yaml.ScalarNode):
                    mark = key_node.start_mark
                    raise TreeError(FileProblem.COMPLEX_KEY, *_pos(mark))
                key = str(key_node.value)
                if key in seen:
                    mark = key_node.start_mark
                    first = seen[key].start_mark.line + 1
                    raise TreeError(
                        FileProblem.DUPLICATE_KEY,
                        mark.line + 1,
                        mark.column + 1,
                        key=key,
                        first=first,
                    )
                seen[key] = key_node
                result[key] = self.build(value_node)
            return result
        if isinstance(node, yaml.SequenceNode):
            return [self.build(item) for item in node.value]
        assert isinstance(node, yaml.ScalarNode)
        if not node.style and node.value in _NULLS:  # plain: None (Python parser) or "" (libyaml)
            return None
        return str(node.value)


def load_tree(path: Path) -> Tree:
    """Read, decode, compose and build ``path``; every file-level problem raises TreeError."""
    data = read_bytes(path)
    text = decode(data)
    _check_shape(text)
    try:
        root = yaml.compose(text, Loader=_TextLoader)
    except yaml.MarkedYAMLError as error:
        raise _yaml_problem(error) from None
    except RecursionError:  # belt and braces: _check_shape already bounds the depth
        raise TreeError(FileProblem.TOO_DEEP, limit=MAX_DEPTH) from None
    if root is None:
        raise TreeError(FileProblem.EMPTY)
    if not isinstance(root, yaml.MappingNode):
        mark = root.start_mark
        raise TreeError(FileProblem.NOT_MAPPING, *_pos(mark))
    return Tree(root=root, value=_Builder().build(root), sha256=hashlib.sha256(data).hexdigest())


def node_at(root: yaml.Node, loc: tuple[str | int, ...]) -> tuple[yaml.Node, int]:
    """The deepest node along ``loc`` and how many parts of ``loc`` it consumed."""
    node = root
    for used, part in enumerate(loc):
        child: yaml.Node | None = None
        if isinstance(node, yaml.MappingNode):
            for key_node, value_node in node.value:
                if str(key_node.value) == str(part):
                    child = value_node
                    break
        elif (
            isinstance(node, yaml.SequenceNode)
            and isinstance(part, int)
            and 0 <= part < len(node.value)
        ):
            child = node.value[part]
        if child is None:
            return node, used
        node = child
    return node, len(loc)


def key_node_at(root: yaml.Node, loc: tuple[str | int, ...]) -> yaml.Node | None:
    """The key node of the last part of ``loc`` (for unknown keys and bad dict keys)."""
    parent, used = node_at(root, loc[:-1])
    if used != len(loc) - 1 or not isinstance(parent, yaml.MappingNode):
        return None
    for key_node, _ in parent.value:
        if str(key_node.value) == str(loc[-1]):
            return key_node  # type: ignore[no-any-return]
    return None
