"""Reading a source document: YAML (or JSON) text, bounded in size, depth and alias expansion."""

from __future__ import annotations

import sys

from .errors import SourceError

TYPE_CHECKING = False
if TYPE_CHECKING:
    from typing import Any


def _yaml_loader() -> Any:
    """A safe YAML loader that keeps scalars as written (``1.10`` stays ``"1.10"``, ``yes`` stays
    ``"yes"``): inputs become environment text, and Harness passes them on as written."""
    import yaml

    base = getattr(yaml, "CSafeLoader", yaml.SafeLoader)

    class TextLoader(base):  # type: ignore[misc, valid-type]
        pass

    TextLoader.yaml_implicit_resolvers = {
        ch: [(tag, rx) for tag, rx in resolvers if tag == "tag:yaml.org,2002:null"]
        for ch, resolvers in base.yaml_implicit_resolvers.items()
    }
    return TextLoader


def read_text(path: str) -> str:
    """The source file's text (``-`` for stdin), or a one-line SourceError: a regular file (never
    a FIFO or a device) of at most files.SOURCE_LIMIT bytes, in UTF-8."""
    from .files import SOURCE_LIMIT, Unreadable, decode, read_bounded, read_stream

    label = "<stdin>" if path == "-" else path
    try:
        data = read_stream(sys.stdin.buffer, SOURCE_LIMIT) if path == "-" else read_bounded(path, SOURCE_LIMIT)
        return decode(data)
    except Unreadable as exc:
        hint = {"no such file": "; pass the YAML you would give Harness", "is a directory": "; pass one source file"}
        raise SourceError(f"{label}: {exc.reason}{hint.get(exc.reason, '')}") from None


def read_document(path: str, text: str | None = None) -> Any:
    """Parse YAML (or JSON) from ``path`` (``-`` for stdin) or from ``text``.

    The plain subset most source files are written in is read without importing PyYAML
    (see ``plainyaml``); anything else, and every syntax error, goes through PyYAML.
    """
    from . import plainyaml

    label = "<stdin>" if path == "-" else path
    if text is None:
        text = read_text(path)
    too_deep = f"{label}: nested more than {MAX_DEPTH} levels deep; no artifact source is"
    try:
        document = plainyaml.load(text)
    except RecursionError:
        raise SourceError(too_deep) from None
    if document is not plainyaml.UNSUPPORTED:
        return _bounded(document, label)
    import yaml

    try:
        loaded = yaml.load(text, Loader=_yaml_loader())  # noqa: S506 - a SafeLoader subclass
    except RecursionError:
        raise SourceError(too_deep) from None
    except yaml.YAMLError as exc:
        mark = getattr(exc, "problem_mark", None)
        where = f" at line {mark.line + 1}, column {mark.column + 1}" if mark else ""
        problem = getattr(exc, "problem", None) or str(exc).splitlines()[0]
        if "nesting depth" in problem:  # newer PyYAML stops deep documents itself
            raise SourceError(too_deep) from None
        raise SourceError(f"{label}: not valid YAML{where}: {problem}") from None
    return _bounded(loaded, label)


MAX_DEPTH = 100  # levels of nesting in a source document
MAX_VALUES = 1_000_000  # values in a source document once YAML aliases are expanded


def _bounded(document: Any, label: str) -> Any:
    """Refuse a document nested too deeply, one whose aliases expand past MAX_VALUES values (a
    'billion laughs'), or one that contains itself: everything after loading walks the document,
    as if every alias were written out. Iterative, memoised per shared list or mapping."""
    done: dict[int, tuple[int, int]] = {}  # id -> (height, expanded size)
    active: set[int] = set()
    stack: list[tuple[Any, list[Any] | None]] = [(document, None)]  # (node, its children once entered)
    while stack:
        value, children = stack.pop()
        key = id(value)
        if not isinstance(value, (dict, list)) or (children is None and key in done):
            continue  # a scalar document, or a shared node already measured
        if children is not None:  # every child measured: measure this node
            active.discard(key)
            height = 1 + max((done[id(c)][0] for c in children), default=0)
            size = 1 + len(value) + sum(done[id(c)][1] - 1 for c in children)
            if height > MAX_DEPTH:
                raise SourceError(f"{label}: nested more than {MAX_DEPTH} levels deep; no artifact source is")
            if size > MAX_VALUES:
                raise SourceError(
                    f"{label}: expands to more than {MAX_VALUES:,} values through YAML aliases; write it out plainly"
                )
            done[key] = (height, size)
            continue
        if key in active:
            raise SourceError(f"{label}: a YAML alias makes the document contain itself")
        active.add(key)
        inner = [c for c in (value.values() if isinstance(value, dict) else value) if isinstance(c, (dict, list))]
        stack.append((value, inner))
        stack.extend((c, None) for c in inner if id(c) not in done)
    return document
