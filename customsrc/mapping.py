"""Mapping a payload to artifacts with Harness's rules (spec section 3).

Harness evaluates ``root[*]`` to count the items, then ``root[i].<versionPath>`` and
``root[i].<attribute path>`` for each item i, failing the whole fetch on the first error; only
afterwards are null/empty versions skipped and duplicates dropped (first kept).
"""

from __future__ import annotations

from collections.abc import Callable, Sequence

from .errors import ResultError
from .javatext import java_class, java_text, json_kind
from .jsonpath import (
    CompiledPath,
    Index,
    PathNotFound,
    Prop,
    Wildcard,
    compile_absolute,
    compile_relative,
    evaluate,
    render,
)

TYPE_CHECKING = False
if TYPE_CHECKING:
    from typing import Any, NamedTuple

    from .jsonpath import Token
else:
    from .records import NamedTuple

_MISSING = object()
MAX_LISTED = 10


class Artifact(NamedTuple):
    """One version the source lists: its ``version``, the ``metadata`` its attributes mapped to, and its
    ``position`` (the item's index in the payload)."""

    version: str
    metadata: dict[str, str]
    position: int  # the item's index in the payload


class MappingResult:
    """What mapping a payload gave: the artifacts in Harness's order, the items skipped (no version)
    and dropped as duplicates (for ``--explain``), and warnings."""

    __slots__ = ("artifacts", "duplicates", "item_count", "skipped", "warnings")

    def __init__(self, artifacts: list[Artifact], item_count: int = 0) -> None:
        self.artifacts = artifacts
        self.item_count = item_count
        self.warnings: list[str] = []
        self.skipped: list[int] = []
        self.duplicates: list[tuple[int, int, str]] = []


def _fail(index: int, what: str, harness_reason: str) -> ResultError:
    return ResultError(f"item [{index}]: {what}", reason=harness_reason, kind="mapping")


class _Slow(Exception):
    """Raised by a compiled item mapper: take the exact (generic) path for this item."""


def _compile_item_mapper(
    version: CompiledPath, attributes: Sequence[tuple[str, CompiledPath]]
) -> Callable[[Any], tuple[Any, dict[str, str]]] | None:
    """Compile the whole per-item mapping into one function of straight-line subscripts.

    Any surprise (a missing key, a wrong type, a null attribute, a non-string version) raises
    ``_Slow``, and the caller maps that item with the generic evaluator, which reproduces Jayway's
    exact outcome and message. Only definite paths are compiled; over 100,000 items this is
    several times faster than walking each path separately.
    """
    paths = [version] + [p for _, p in attributes]
    if not all(p.definite for p in paths):
        return None
    lines = ["def map_item(item):", "    try:"]
    for n, path in enumerate(paths):
        expr = "item"
        for token in path.tokens:
            if isinstance(token, Prop):
                expr = f"{expr}[{token.name!r}]"
            elif isinstance(token, Index):
                lines.append(f"        r{n} = {expr}")
                lines.append(f"        if type(r{n}) is not list: raise Slow")
                expr = f"r{n}[{token.position}]"
        lines.append(f"        r{n} = {expr}")
    lines.append("    except (KeyError, TypeError, IndexError):")
    lines.append("        raise Slow from None")
    checks, result = leaf_code([f"r{n}" for n in range(len(paths))], [name for name, _ in attributes], "    ")
    lines += [*checks, f"    return {result}"]
    code = "\n".join(lines)
    cached = _MAPPERS.get(code)  # many sources share a mapping: compile each once per process
    if cached is not None:
        return cached
    namespace: dict[str, Any] = {"Slow": _Slow, "java_text": java_text}
    exec(compile(code, "<customsrc item mapper>", "exec"), namespace)  # noqa: S102 - our own code
    mapper: Callable[[Any], tuple[Any, dict[str, str]]] = namespace["map_item"]
    if len(_MAPPERS) >= 256:
        _MAPPERS.clear()
    _MAPPERS[code] = mapper
    return mapper


_MAPPERS: dict[str, Callable[[Any], tuple[Any, dict[str, str]]]] = {}


def leaf_code(values: Sequence[str], names: Sequence[str], indent: str) -> tuple[list[str], str]:
    """Generated code for Harness's rules on what the paths found: ``values`` are the expressions
    for the version and then each attribute (``names``). A version that is neither a string nor
    null, or a null attribute, raises ``Slow`` (the exact way says why); other attribute values
    become their Java text. Returns the lines and the ``version, {metadata}`` expression."""
    lines = [f"{indent}v0 = {values[0]}", f"{indent}if v0 is not None and type(v0) is not str: raise Slow"]
    for n, value in enumerate(values[1:], 1):
        lines.append(f"{indent}v{n} = {value}")
        lines.append(f"{indent}if v{n} is None: raise Slow")
        lines.append(f"{indent}if type(v{n}) is not str: v{n} = java_text(v{n})")
    entries = ", ".join(f"{name!r}: v{n}" for n, name in enumerate(names, 1))
    return lines, f"v0, {{{entries}}}"


class PathMapping:
    """A compiled mapping: parse each path once, apply to many payloads."""

    def __init__(self, array_path: str, version_path: str, attributes: Sequence[tuple[str, str]]) -> None:
        self.array_path = compile_absolute(array_path)
        self.version_path = compile_relative(version_path)
        self.attributes = [(name, compile_relative(p)) for name, p in attributes]
        self._map_item = _compile_item_mapper(self.version_path, self.attributes)

    def _children(self, payload: Any) -> list[Any]:
        tokens = (*self.array_path.tokens, Wildcard())
        children = evaluate(CompiledPath(self.array_path.text + "[*]", tokens), payload)
        assert isinstance(children, list)
        return children

    def _read(self, payload: Any, item: Any, index: int, path: CompiledPath, direct: bool) -> Any:
        prefix: tuple[Token, ...] = (*self.array_path.tokens, Index(index))
        if direct:
            return evaluate(path, item, prefix=prefix)
        # An indefinite array path: evaluate root[i].path from the top, as Jayway does.
        full = CompiledPath(path.text, (*prefix, *path.tokens))
        return evaluate(full, payload)

    def _map_exactly(self, payload: Any, item: Any, i: int, direct: bool) -> tuple[Any, dict[str, str]]:
        """One item the way Harness does it, raising Harness's error for the first problem."""
        try:
            version = self._read(payload, item, i, self.version_path, direct)
        except PathNotFound as exc:
            hint = exc.hint
            if self.version_path.text.lstrip().startswith("$"):
                hint += " (versionPath is relative to one item: drop the leading '$.')"
            raise _fail(i, f"{hint} at versionPath '{self.version_path.text}'", exc.message) from None
        if version is not None and not isinstance(version, str):
            raise _fail(
                i,
                f"version at '{self.version_path.text}' is {json_kind(version)} ({java_text(version)}), "
                "not a string: Harness requires a string (quote it in the JSON)",
                f"class {java_class(version)} cannot be cast to class java.lang.String",
            )
        metadata: dict[str, str] = {}
        for name, path in self.attributes:
            try:
                value = self._read(payload, item, i, path, direct)
            except PathNotFound as exc:
                raise _fail(i, f"{exc.hint} at attribute '{name}' path '{path.text}'", exc.message) from None
            if value is None:
                raise _fail(
                    i,
                    f"attribute '{name}' at '{path.text}' is null: Harness fails the whole fetch on a null attribute",
                    'Cannot invoke "Object.toString()" because the value is null',
                )
            metadata[name] = value if type(value) is str else java_text(value)
        return version, metadata

    def map_item(self, item: Any, index: int) -> tuple[Any, dict[str, str]]:
        """Map one item of a list the (definite) array path names, exactly; ResultError as Harness fails."""
        return self._map_exactly(None, item, index, True)

    def apply(self, payload: Any, *, release: bool = False) -> MappingResult:
        """Map the payload's items. ``release``: the caller needs the payload no more, so each item
        of the list the array path names is let go of once mapped; a big tree and its artifacts are
        then never held whole together."""
        try:
            return self._apply(payload, release)
        except RecursionError:
            # Only a value nested ~1,000 levels deep gets here (its Java text, or a message).
            raise ResultError(
                "a value in the result is nested too deeply to map (over ~1,000 levels)", kind="mapping"
            ) from None

    def _apply(self, payload: Any, release: bool) -> MappingResult:
        try:
            children = self._children(payload)
        except PathNotFound as exc:
            raise ResultError(
                f"artifactsArrayPath '{self.array_path.text}': {exc.hint}",
                reason=exc.message,
                kind="mapping",
            ) from None
        listed = evaluate(self.array_path, payload) if children and self.array_path.definite else None
        direct_list = isinstance(listed, list)
        if release and isinstance(listed, list):
            children = listed  # the payload's own list, the same items in the same order
        else:
            release = False
        pairs: list[tuple[int, Any, dict[str, str]]] = []
        fast = self._map_item if direct_list else None
        for i, item in enumerate(children):
            if fast is not None:
                try:
                    version, metadata = fast(item)
                except _Slow:
                    version, metadata = self._map_exactly(payload, item, i, direct_list)
            else:
                version, metadata = self._map_exactly(payload, item, i, direct_list)
            pairs.append((i, version, metadata))
            if release:
                children[i] = None
        return dedupe(pairs, len(children))


def dedupe(pairs: list[tuple[int, Any, dict[str, str]]], count: int) -> MappingResult:
    result = MappingResult(artifacts=[], item_count=count)
    first_at: dict[str, int] = {}
    for i, version, metadata in pairs:
        if not version:
            result.skipped.append(i)
            continue
        if version in first_at:
            result.duplicates.append((i, first_at[version], version))
            continue
        first_at[version] = i
        result.artifacts.append(Artifact(version, metadata, i))
    if count == 0:
        result.warnings.append('the artifacts array is empty: no versions (Harness: "Results are empty")')
    for i in result.skipped[:MAX_LISTED]:
        result.warnings.append(
            f'item [{i}]: skipped: version is null or empty (Harness: "There is an object in output '
            'without mandatory build number")'
        )
    if len(result.skipped) > MAX_LISTED:
        result.warnings.append(f"... and {len(result.skipped) - MAX_LISTED} more items skipped for no version")
    for i, first, version in result.duplicates[:MAX_LISTED]:
        result.warnings.append(
            f"item [{i}]: skipped: duplicate of version {version!r} at item [{first}] (Harness keeps the first)"
        )
    if len(result.duplicates) > MAX_LISTED:
        result.warnings.append(f"... and {len(result.duplicates) - MAX_LISTED} more duplicate versions skipped")
    return result


__all__ = ["Artifact", "MappingResult", "PathMapping", "render"]
