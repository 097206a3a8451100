"""Reading only what the mapping reads: a big payload decoded straight into the fields its paths name.

A 100,000-item Nexus payload is ~57 MB of JSON of which a source maps six short strings per item.
Building the whole tree with the json module takes ~0.5 s and ~4x the payload's size in memory;
decoding with msgspec into types that hold only the named fields skips everything else in C
(~0.13 s, a fraction of the memory), and the items are then mapped by straight-line generated code.

It is an optimisation, never a second set of rules. A value a path ends at, or goes into with a
wildcard, is kept whole; an item the generated code cannot map plainly (a missing key, a null, a
version that is not a string, a wildcard) is mapped by the exact per-item mapper on its pruned
value, which holds everything any path reads. Whatever else is unusual steps aside to the exact
json-module way, so every outcome and message stays Harness's: a wildcard in the array path, a
payload schema (it needs the whole value), non-UTF-8 bytes, UTF-16 or UTF-32, trailing data, a
number out of a double's range, a lone surrogate, a value of another type where a path goes on,
and any failure. ``tests/pruned_test.py`` holds the two ways equal on random payloads.
"""

from __future__ import annotations

from .errors import ResultError
from .javatext import java_text
from .jsonpath import Index, Prop, Wildcard
from .mapping import MappingResult, dedupe, leaf_code

TYPE_CHECKING = False
if TYPE_CHECKING:
    from collections.abc import Callable, Sequence
    from typing import Any

    from .jsonpath import Token
    from .mapping import PathMapping

_CHUNK = 1 << 22
BOM = b"\xef\xbb\xbf"


class _Node:
    """One place in the payload a path goes through: an object (``props``), an array (``element``) or
    a value kept whole (``kept``)."""

    __slots__ = ("element", "kept", "props")

    def __init__(self) -> None:
        self.props: dict[str, _Node] | None = None
        self.element: _Node | None = None
        self.kept = False

    def keep(self) -> None:
        self.props = self.element = None
        self.kept = True

    def add(self, tokens: Sequence[Token], *, ends: bool = True) -> _Node | None:
        """Extend the tree by ``tokens`` and return the node they reach. A value a path ends at,
        or goes into with a wildcard, is kept whole (with everything any other path reads inside
        it), as is a place one path reads a key of and another an index: a whole value is always
        exact. ``ends=False`` (the array path) refuses, with None, what would need a whole value."""
        node = self
        for token in tokens:
            if node.kept:
                return node if ends else None
            if isinstance(token, Prop) and node.element is None:
                if node.props is None:
                    node.props = {}
                node = node.props.setdefault(token.name, _Node())
            elif isinstance(token, Index) and token.position >= 0 and node.props is None:
                if node.element is None:
                    node.element = _Node()
                node = node.element
            elif ends:
                node.keep()
                return node
            else:
                return None
        if ends:
            node.keep()
        return node


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
        self.names: dict[tuple[Token, ...], str] = {}

    def read(self, start: str, tokens: Sequence[Token], node: _Node | None) -> str | None:
        """An expression for ``tokens`` read from ``start`` (a Struct of ``node``'s shape), raising
        Slow (or KeyError, IndexError) for anything but the plain case; None for a wildcard."""
        expr = start
        for k, token in enumerate(tokens):
            if isinstance(token, Wildcard):
                return None
            plain = node is None or node.kept  # inside a value kept whole: plain JSON from here
            name = self.names.get(tuple(tokens[: k + 1]))
            if name is None:
                name = self.names[tuple(tokens[: k + 1])] = f"{self.prefix}{len(self.names)}"
                say = self.lines.append
                if isinstance(token, Prop) and plain:
                    say(f"{self.indent}if type({expr}) is not dict: raise Slow")
                    say(f"{self.indent}{name} = {expr}[{token.name!r}]")
                elif isinstance(token, Prop):
                    assert node is not None and node.props is not None  # noqa: PT018
                    say(f"{self.indent}{name} = {expr}.f{list(node.props).index(token.name)}")
                    say(f"{self.indent}if {name} is UNSET: raise Slow")
                else:
                    if plain:
                        say(f"{self.indent}if type({expr}) is not list: raise Slow")
                    say(f"{self.indent}{name} = {expr}[{token.position}]")
            expr = name
            if plain:
                node = None
            else:
                assert node is not None
                node = node.props[token.name] if isinstance(token, Prop) and node.props else node.element
        return expr


class _Slow(Exception):
    pass


class PrunedReader:
    """Decode and map a payload in one pass, for one mapping; see the module docstring."""

    def __init__(self, mapping: PathMapping) -> None:
        root, items = _Node(), _Node()
        paths = [mapping.version_path.tokens, *(p.tokens for _, p in mapping.attributes)]
        end = root.add(mapping.array_path.tokens, ends=False)
        self.usable = end is not None
        if end is None:
            return
        for tokens in paths:
            items.add(tokens)
        end.element = items  # the array path ends at the list of items
        import msgspec

        self._decoder = msgspec.json.Decoder(_Types().of(root))
        self._errors = (msgspec.DecodeError, msgspec.ValidationError)
        outer = _Code("    ", "o")
        listed = outer.read("value", mapping.array_path.tokens, root)
        inner = _Code("            ", "r")
        results = [inner.read("item", tokens, items) for tokens in paths]
        lines = ["def map_all(value):", *outer.lines, "    pairs = []", "    append = pairs.append"]
        lines.append(f"    for i, item in enumerate({listed}):")
        if any(r is None for r in results):  # a wildcard in a path: every item the exact way
            lines.append("        append((i, *exact(to_builtins(item), i)))")
        else:
            names = [name for name, _ in mapping.attributes]
            checks, mapped = leaf_code([r for r in results if r is not None], names, "            ")
            lines += ["        try:", *inner.lines, *checks, "        except (Slow, KeyError, IndexError):"]
            lines += ["            append((i, *exact(to_builtins(item), i)))", "            continue"]
            lines += [f"        append((i, {mapped}))"]
        lines.append(f"    return pairs, len({listed})")
        namespace: dict[str, Any] = {
            "Slow": _Slow,
            "java_text": java_text,
            "UNSET": msgspec.UNSET,
            "exact": mapping.map_item,
            "to_builtins": msgspec.to_builtins,
        }
        exec(compile("\n".join(lines), "<customsrc pruned mapper>", "exec"), namespace)  # noqa: S102 - our own code
        self._map_all: Callable[[Any], tuple[list[tuple[int, Any, dict[str, str]]], int]] = namespace["map_all"]

    def map(self, holder: list[bytes]) -> MappingResult | None:
        """Map the bytes in ``holder``, or None: take the exact way.

        An item the generated code cannot map plainly is mapped by the exact per-item mapper on
        its pruned value (which holds all any path reads). A failure, Harness's or ours, is left
        to the exact way, so that it is reported as always. The bytes are let go of (``holder``
        emptied) once decoded, so a big payload is never held twice; after that, None means the
        caller reads them again.
        """
        data = holder[0]
        if not data.isascii() and not _utf8(data):
            return None
        try:  # Jackson reads past a UTF-8 byte-order mark; so does the exact way
            value = self._decoder.decode(memoryview(data)[3:] if data.startswith(BOM) else data)
        except (*self._errors, RecursionError):
            return None
        del data
        holder.clear()
        try:
            pairs, count = self._map_all(value)
        except (_Slow, IndexError, ResultError, RecursionError):
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
    its array path holds a wildcard (the items are then not one list the decoder can type)."""
    key = (mapping.array_path.text, mapping.version_path.text, tuple((n, p.text) for n, p in mapping.attributes))
    if key not in _READERS:
        if len(_READERS) >= 256:
            _READERS.clear()
        reader = PrunedReader(mapping)
        _READERS[key] = reader if reader.usable else None
    return _READERS[key]
