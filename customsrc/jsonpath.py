"""The JsonPath forms Harness users write, evaluated with Jayway JsonPath's semantics.

Harness reads the payload with Jayway JsonPath (Jackson provider, no options). Supported here:
``$``, ``.name``, ``['name']`` / ``["name"]``, ``[N]``, ``[*]`` and ``.*``. Filters,
slices, unions, deep scans and functions are refused with a clear message rather than guessed.

Jayway rules reproduced (checked against the real library in tests/oracle_test.py):

* a *definite* path (no wildcard) with no result raises "No results for path";
* a missing non-leaf property, a property read on a non-object, or an index read on a non-array
  raises while every token before it is definite, and is silently skipped after a wildcard;
* an index past the end yields nothing; a wildcard over an object yields its values, over a
  scalar nothing.
"""

from __future__ import annotations

from .javatext import java_class, java_text, json_kind

TYPE_CHECKING = False
if TYPE_CHECKING:
    from typing import Any, NamedTuple, Union
else:
    from .records import NamedTuple


_WILDCARD = object()


class Prop(NamedTuple):
    name: str


class Index(NamedTuple):
    position: int


class Wildcard(NamedTuple):
    pass


if TYPE_CHECKING:
    Token = Union[Prop, Index, Wildcard]  # noqa: UP007 - X | Y of classes needs evaluation at run time


class PathSyntaxError(ValueError):
    """The path is malformed, or uses JsonPath syntax customsrc does not evaluate."""


class PathNotFound(LookupError):
    """Jayway's PathNotFoundException / InvalidPathException at evaluation time.

    ``message`` is Jayway's own wording (used for the Harness message); ``hint`` is ours.
    """

    def __init__(self, message: str, hint: str) -> None:
        super().__init__(message)
        self.message = message
        self.hint = hint


class CompiledPath(NamedTuple):
    """An immutable compiled path: evaluate it many times without parsing again."""

    text: str
    tokens: tuple[Token, ...]

    @property
    def definite(self) -> bool:
        return not any(isinstance(t, Wildcard) for t in self.tokens)


def _fmt(token: Token) -> str:
    if isinstance(token, Prop):
        return "['" + token.name + "']"
    if isinstance(token, Index):
        return f"[{token.position}]"
    return "[*]"


def render(tokens: tuple[Token, ...] | list[Token], root: str = "$") -> str:
    """Jayway's canonical form of a path, e.g. ``$['items'][0]['version']``."""
    return root + "".join(_fmt(t) for t in tokens)


_UNSUPPORTED = {
    "?": "filters ([?(...)])",
    "..": "deep scan (..)",
    ":": "slices ([a:b])",
    ",": "unions ([a,b])",
    "(": "functions",
    "@": "filters ([?(...)])",
}


def _unsupported(text: str, what: str) -> PathSyntaxError:
    return PathSyntaxError(
        f"path {text!r} uses JsonPath {what}, which customsrc does not evaluate; use $, .name, ['name'], [N] or [*]"
    )


def _parse_bracket(text: str, inner: str) -> Token:
    inner = inner.strip()
    if inner == "*":
        return Wildcard()
    if len(inner) >= 2 and inner[0] == inner[-1] and inner[0] in "'\"":
        body = inner[1:-1]
        quote = inner[0]
        if quote in body.replace("\\" + quote, ""):
            raise _unsupported(text, _UNSUPPORTED[","])
        return Prop(body.replace("\\" + quote, quote))
    for mark, what in _UNSUPPORTED.items():
        if mark in inner:
            raise _unsupported(text, what)
    try:
        index = int(inner)
    except ValueError:
        raise PathSyntaxError(f"path {text!r}: cannot read [{inner}]; use ['name'], [N] or [*]") from None
    if index < 0:
        # Jayway versions disagree: older ones (Debian's 2.0.0) fail on [-1], newer ones count from
        # the end. A path that may fail on the delegate must not pass here.
        raise PathSyntaxError(
            f"path {text!r}: negative index [{index}] fails on some Harness delegates' JsonPath; "
            "use a non-negative index, or order the items in the script"
        )
    return Index(index)


def parse_tokens(body: str, text: str | None = None) -> tuple[Token, ...]:
    """Parse the part of a path after ``$`` (or a relative path) into tokens; ``text`` is the
    path as the user wrote it, for messages."""
    try:
        return _parse_tokens(body)
    except PathSyntaxError as exc:
        if text is not None and text != body:
            raise PathSyntaxError(str(exc).replace(repr(body), repr(text), 1)) from None
        raise


def _parse_tokens(text: str) -> tuple[Token, ...]:
    tokens: list[Token] = []
    pos = 0
    n = len(text)
    if ".." in text.replace("'..'", ""):
        raise _unsupported(text, _UNSUPPORTED[".."])
    while pos < n:
        ch = text[pos]
        if ch == ".":
            pos += 1
            if pos >= n:
                raise PathSyntaxError(f"path {text!r} must not end with '.'")
            continue
        if ch == "[":
            end = pos + 1
            quote = ""
            while end < n:
                c = text[end]
                if quote:
                    if c == "\\":
                        end += 2
                        continue
                    if c == quote:
                        quote = ""
                elif c in "'\"":
                    quote = c
                elif c == "]":
                    break
                end += 1
            if end >= n:
                raise PathSyntaxError(f"path {text!r}: '[' without a closing ']'")
            tokens.append(_parse_bracket(text, text[pos + 1 : end]))
            pos = end + 1
            continue
        end = pos
        while end < n and text[end] not in ".[":
            end += 1
        name = text[pos:end]
        if "(" in name:
            raise _unsupported(text, _UNSUPPORTED["("])
        if not name.strip():
            raise PathSyntaxError(f"path {text!r}: empty property name")
        tokens.append(Wildcard() if name == "*" else Prop(name))
        pos = end
    return tuple(tokens)


def compile_absolute(text: str) -> CompiledPath:
    """Compile an absolute path the way Harness does: ``items`` and ``$.items`` are the same."""
    stripped = text.strip()
    if not stripped:
        raise PathSyntaxError("path is empty")
    body = stripped[1:] if stripped.startswith("$") else "." + stripped
    return CompiledPath(text, parse_tokens(body, text))


def compile_relative(text: str) -> CompiledPath:
    """Compile a path relative to one item. Harness appends it as ``root[i].<path>``, so a
    leading ``$`` is a property literally named ``$`` (which is why ``$.version`` fails)."""
    stripped = text.strip()
    if not stripped:
        raise PathSyntaxError("path is empty")
    return CompiledPath(text, parse_tokens("." + stripped, text))


def evaluate(
    path: CompiledPath,
    model: Any,
    *,
    prefix: tuple[Token, ...] = (),
    upstream_definite: bool = True,
) -> Any:
    """Evaluate ``path`` on ``model``; ``prefix`` is the already-walked part (for messages).

    Returns the single value for a definite path (raising PathNotFound when there is none),
    or a list of values for an indefinite one.
    """
    tokens = path.tokens
    results: list[Any] = []
    _walk(tokens, 0, model, list(prefix), upstream_definite, results)
    if path.definite and upstream_definite:
        if not results:
            last = tokens[-1] if tokens else None
            if isinstance(last, Prop):
                hint = f"no key '{last.name}'"
            elif isinstance(last, Index):
                hint = f"no element [{last.position}] (the array is shorter)"
            else:
                hint = "nothing"
            raise PathNotFound("No results for path: " + render(list(prefix) + list(tokens)), hint)
        return results[0]
    return results


def _walk(
    tokens: tuple[Token, ...],
    k: int,
    model: Any,
    trail: list[Token],
    definite: bool,
    out: list[Any],
) -> None:
    if k == len(tokens):
        out.append(model)
        return
    token = tokens[k]
    leaf = k == len(tokens) - 1
    if isinstance(token, Prop):
        if not isinstance(model, dict):
            if definite:
                found = java_class(model)
                raise PathNotFound(
                    f"Expected to find an object with property {_fmt(token)} in path "
                    f"{render(trail)} but found '{found}'. This is not a json object according "
                    "to the JsonProvider: 'com.jayway.jsonpath.spi.json.JacksonJsonProvider'.",
                    f"{render(trail)} is {json_kind(model)}, not an object with key '{token.name}'",
                )
            return
        if token.name not in model:
            if leaf:
                return
            if definite:
                raise PathNotFound(
                    "Missing property in path " + render([*trail, token]),
                    f"no key '{token.name}' at {render(trail)}",
                )
            return
        trail.append(token)
        _walk(tokens, k + 1, model[token.name], trail, definite, out)
        trail.pop()
        return
    if isinstance(token, Index):
        if not isinstance(model, list):
            if definite:
                rest = "".join(_fmt(t) for t in tokens[k:])
                raise PathNotFound(
                    f"Filter: {rest} can only be applied to arrays. Current context is: " + java_text(model),
                    f"{render(trail)} is {json_kind(model)}, not an array",
                )
            return
        if token.position < len(model):
            trail.append(token)
            _walk(tokens, k + 1, model[token.position], trail, definite, out)
            trail.pop()
        elif definite and not leaf:
            raise PathNotFound(
                "No results for path: " + render([*trail, *tokens[k:]]),
                f"no element [{token.position}] at {render(trail)} (the array has {len(model)})",
            )
        return
    # Wildcard: everything after it is indefinite.
    if isinstance(model, dict):
        for key, value in model.items():
            trail.append(Prop(key))
            _walk(tokens, k + 1, value, trail, False, out)
            trail.pop()
    elif isinstance(model, list):
        for i, value in enumerate(model):
            trail.append(Index(i))
            _walk(tokens, k + 1, value, trail, False, out)
            trail.pop()
