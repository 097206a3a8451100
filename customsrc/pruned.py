"""Reading only what the mapping reads: a big payload decoded straight into the fields its paths name.

A 100,000-item Nexus payload is ~57 MB of JSON of which a source maps six short strings per item.
Building the whole tree with the json module takes ~0.5 s and ~4x the payload's size in memory;
decoding with msgspec into types that hold only the named fields skips everything else in C
(~0.13 s, a fraction of the memory), and the items are then mapped by straight-line generated code.

It is an optimisation, never a second set of rules. It applies only where every path is definite
(names and non-negative indexes) and the source has no payload schema (which needs the whole
value). Whenever the payload is anything but the plain shape the paths expect (a missing key, a
null or a value of another type on the way, a null attribute, a version that is not a string,
non-UTF-8 bytes, a byte-order mark, trailing data, a number out of a double's range, a lone
surrogate...) ``map`` returns None and the caller parses and maps the payload the exact way, so
every outcome and message stays Harness's. ``tests/mapping_test.py`` holds the two ways equal on
random payloads.
"""

from __future__ import annotations

from .javatext import java_text
from .jsonpath import Index, Prop
from .mapping import MappingResult, dedupe

TYPE_CHECKING = False
if TYPE_CHECKING:
    from collections.abc import Callable, Sequence
    from typing import Any

    from .jsonpath import Token
    from .mapping import PathMapping

_CHUNK = 1 << 22


class _Node:
    """One place in the payload a path goes through: an object (``props``), an array (``element``) or
    a value kept whole (neither)."""

    __slots__ = ("element", "props")

    def __init__(self) -> None:
        self.props: dict[str, _Node] | None = None
        self.element: _Node | None = None

    def add(self, tokens: Sequence[Token]) -> _Node | None:
        """Extend the tree by ``tokens`` and return where they end; None when they cannot be pruned."""
        node = self
        for token in tokens:
            if isinstance(token, Prop):
                if node.element is not None:
                    return None  # one path reads a key where another reads an index
                if node.props is None:
                    node.props = {}
                node = node.props.setdefault(token.name, _Node())
            elif isinstance(token, Index) and token.position >= 0:
                if node.props is not None:
                    return None
                if node.element is None:
                    node.element = _Node()
                node = node.element
            else:
                return None  # a wildcard, or an index from the end
        return node

    @property
    def whole(self) -> bool:
        return self.props is None and self.element is None


class _Types:
    """msgspec types for a tree of nodes, each object a Struct of only the named fields."""

    def __init__(self) -> None:
        import msgspec

        self.msgspec = msgspec
        self.count = 0

    def of(self, node: _Node) -> Any:
        from typing import Any

        if node.props is not None:
            names = list(node.props)
            self.count += 1
            return self.msgspec.defstruct(
                f"Pruned{self.count}",
                [(f"f{i}", self.of(node.props[n]), self.msgspec.UNSET) for i, n in enumerate(names)],
                rename={f"f{i}": n for i, n in enumerate(names)},
                gc=False,  # acyclic by construction: no collector bookkeeping per object
            )
        if node.element is not None:
            return list[self.of(node.element)]  # type: ignore[misc]
        return Any


class _Code:
    """Generated straight-line reads, each prefix shared by the paths that start with it."""

    def __init__(self, indent: str, prefix: str) -> None:
        self.indent = indent
        self.prefix = prefix
        self.lines: list[str] = []
        self.names: dict[tuple[str, tuple[Token, ...]], str] = {}

    def read(self, start: str, tokens: Sequence[Token], node: _Node) -> str:
        expr = start
        for k, token in enumerate(tokens):
            key = (start, tuple(tokens[: k + 1]))
            if key in self.names:
                expr = self.names[key]
            else:
                name = self.names[key] = f"{self.prefix}{len(self.names)}"
                if isinstance(token, Prop):
                    assert node.props is not None
                    self.lines.append(f"{self.indent}{name} = {expr}.f{list(node.props).index(token.name)}")
                    self.lines.append(f"{self.indent}if {name} is UNSET: raise Slow")
                else:
                    assert isinstance(token, Index)
                    self.lines.append(f"{self.indent}{name} = {expr}[{token.position}]")
                expr = name
            node = node.props[token.name] if isinstance(token, Prop) else node.element  # type: ignore[index,assignment]
        return expr


class _Slow(Exception):
    pass


class PrunedReader:
    """Decode and map a payload in one pass, for one mapping; see the module docstring."""

    def __init__(self, mapping: PathMapping) -> None:
        root, items = _Node(), _Node()
        paths = [mapping.version_path.tokens, *(p.tokens for _, p in mapping.attributes)]
        end = root.add(mapping.array_path.tokens)
        ends = [items.add(p) for p in paths]
        # Every path must end at a value kept whole: not where another path goes on.
        self.usable = end is not None and all(e is not None and e.whole for e in ends)
        if not self.usable:
            return
        assert end is not None
        end.element = items  # the array path ends at the list of items
        import msgspec

        self._decoder = msgspec.json.Decoder(_Types().of(root))
        self._errors = (msgspec.DecodeError, msgspec.ValidationError)
        outer = _Code("    ", "o")
        listed = outer.read("value", mapping.array_path.tokens, root)
        inner = _Code("        ", "r")
        results = [inner.read("item", tokens, items) for tokens in paths]
        lines = ["def map_all(value):", *outer.lines, "    pairs = []", "    append = pairs.append"]
        lines += [f"    for i, item in enumerate({listed}):", *inner.lines, f"        version = {results[0]}"]
        lines.append("        if version is not None and type(version) is not str: raise Slow")
        for n, result in enumerate(results[1:], 1):
            lines.append(f"        a{n} = {result}")
            lines.append(f"        if a{n} is None: raise Slow")
            lines.append(f"        if type(a{n}) is not str: a{n} = java_text(a{n})")
        entries = ", ".join(f"{name!r}: a{n}" for n, (name, _) in enumerate(mapping.attributes, 1))
        lines += [f"        append((i, version, {{{entries}}}))", f"    return pairs, len({listed})"]
        namespace: dict[str, Any] = {"Slow": _Slow, "java_text": java_text, "UNSET": msgspec.UNSET}
        exec(compile("\n".join(lines), "<customsrc pruned mapper>", "exec"), namespace)  # noqa: S102 - our own code
        self._map_all: Callable[[Any], tuple[list[tuple[int, Any, dict[str, str]]], int]] = namespace["map_all"]

    def map(self, holder: list[bytes]) -> MappingResult | None:
        """Map the bytes in ``holder``, or None: take the exact way.

        The bytes are let go of (``holder`` emptied) once decoded, so a big payload is never held
        twice; if the items then turn out to need the exact way, ``holder`` is empty and the caller
        reads the bytes again. Before that point ``holder`` is left as it was.
        """
        data = holder[0]
        if not data.isascii() and not _utf8(data):
            return None
        try:
            value = self._decoder.decode(data)
        except (*self._errors, RecursionError):
            return None
        del data
        holder.clear()
        try:
            pairs, count = self._map_all(value)
        except (_Slow, IndexError):
            return None
        return dedupe(pairs, count)


def _utf8(data: bytes) -> bool:
    """Whether ``data`` is valid UTF-8, checked in chunks (never a second copy of a big payload)."""
    import codecs

    decoder = codecs.getincrementaldecoder("utf-8")()
    view = memoryview(data)
    try:
        for start in range(0, len(view), _CHUNK):
            decoder.decode(view[start : start + _CHUNK])
        decoder.decode(b"", final=True)
    except UnicodeDecodeError:
        return False
    return True


_READERS: dict[tuple[Any, ...], PrunedReader | None] = {}


def pruned_reader(mapping: PathMapping) -> PrunedReader | None:
    """The reader for ``mapping`` (built once per process for each set of paths), or None where
    the mapping's paths are not all definite."""
    key = (mapping.array_path.text, mapping.version_path.text, tuple((n, p.text) for n, p in mapping.attributes))
    if key not in _READERS:
        if len(_READERS) >= 256:
            _READERS.clear()
        reader = PrunedReader(mapping)
        _READERS[key] = reader if reader.usable else None
    return _READERS[key]
