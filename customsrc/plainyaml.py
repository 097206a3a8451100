"""A fast reader for the plain subset of YAML that source files are written in.

Importing PyYAML costs ~18 ms (its reader compiles a large Unicode regex at import time), more
than a trivial fetch itself. Most source files use only block mappings and sequences, plain or
simply quoted one-line scalars, one-line flow collections of scalars, ``|`` literal blocks and
plain ``>`` folded blocks, so this module reads exactly that subset and gives up (returns
``UNSUPPORTED``) on anything else: anchors, tags, indentation indicators, folding beyond one
indentation, escapes, multi-line plain scalars, tabs, non-ASCII text, duplicate keys. The caller
then falls back to PyYAML, which also reports every syntax error, so a file read here gives
exactly what PyYAML with the text-keeping loader in ``documents`` gives (the differential test in
``tests/plainyaml_test.py`` holds it to that).
"""

from __future__ import annotations

TYPE_CHECKING = False
if TYPE_CHECKING:
    from typing import Any

UNSUPPORTED: Any = object()

_NULLS = frozenset({"~", "null", "Null", "NULL"})
_KEY_START = frozenset("abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ_")
_KEY_CHARS = _KEY_START | frozenset("0123456789.-")
_PLAIN_BAD_START = frozenset("[]{}&*!|>'\"%@`,?:-#=")
_BLOCK_HEADERS = {"|": "clip", "|-": "strip", ">": "clip", ">-": "strip"}


class _Unsupported(Exception):
    pass


def load(text: str) -> Any:
    """The document ``text`` holds, or ``UNSUPPORTED`` when it goes beyond the subset."""
    if not text.isascii() or not text.replace("\n", "").isprintable():
        return UNSUPPORTED  # tabs, CR and other control characters included
    try:
        return _Reader(text).document()
    except _Unsupported:
        return UNSUPPORTED


def _indent(line: str) -> int:
    return len(line) - len(line.lstrip(" "))


def _split_key(content: str) -> tuple[str, str] | None:
    """``key`` and the text after ``key:``, if ``content`` starts with a simple mapping key."""
    colon = content.find(":")
    while colon != -1 and colon + 1 < len(content) and content[colon + 1] != " ":
        colon = content.find(":", colon + 1)
    if colon == -1:
        return None
    return content[:colon], content[colon + 1 :]


def _check_key(key: str) -> str:
    if not key or key[0] not in _KEY_START or any(ch not in _KEY_CHARS for ch in key):
        raise _Unsupported
    if key in _NULLS:
        raise _Unsupported
    return key


def _skip_spaces(text: str, pos: int) -> int:
    while text[pos : pos + 1] == " ":
        pos += 1
    return pos


def _quoted(text: str, pos: int) -> tuple[str, int]:
    """The single- or double-quoted one-line scalar starting at ``pos``, and the index after it."""
    quote = text[pos]
    close = pos + 1
    while True:
        close = text.find(quote, close)
        if close == -1:
            raise _Unsupported
        if quote == "'" and text[close + 1 : close + 2] == "'":
            close += 2
            continue
        break
    inner = text[pos + 1 : close]
    if quote == '"':
        if "\\" in inner:
            raise _Unsupported
        return inner, close + 1
    return inner.replace("''", "'"), close + 1


def _check_tail(tail: str) -> None:
    """What follows a quoted scalar or a flow collection on its line may only be a comment."""
    stripped = tail.lstrip(" ")
    if stripped and not (stripped.startswith("#") and stripped != tail):
        raise _Unsupported


def _flow_scalar(text: str, pos: int) -> tuple[Any, int]:
    if text[pos : pos + 1] in ("'", '"'):
        return _quoted(text, pos)
    end = pos
    while end < len(text) and text[end] not in ",[]{}":
        end += 1
    token = text[pos:end].rstrip(" ")
    if not token or token[0] in _PLAIN_BAD_START or any(ch in token for ch in ":#'\""):
        raise _Unsupported
    return (None if token in _NULLS else token), end


class _Reader:
    def __init__(self, text: str) -> None:
        self.lines = text.split("\n")
        self.ends_with_newline = text.endswith("\n")

    def significant(self, i: int) -> int:
        """The index of the first line at or after ``i`` that is not blank or a comment."""
        lines = self.lines
        while i < len(lines):
            stripped = lines[i].lstrip(" ")
            if stripped and not stripped.startswith("#"):
                return i
            i += 1
        return i

    def document(self) -> Any:
        i = self.significant(0)
        if i == len(self.lines):
            return None
        first = self.lines[i].lstrip(" ")
        if first.startswith(("---", "...", "%")):
            raise _Unsupported
        value, i = self.block(i, _indent(self.lines[i]))
        if self.significant(i) != len(self.lines):
            raise _Unsupported
        return value

    def line_at(self, i: int, indent: int) -> tuple[int, str | None]:
        """The next significant line from ``i`` and its text after ``indent`` spaces; ``None`` for
        the text where the block at ``indent`` has ended."""
        i = self.significant(i)
        if i == len(self.lines):
            return i, None
        at = _indent(self.lines[i])
        if at > indent:
            raise _Unsupported
        return i, (self.lines[i][indent:] if at == indent else None)

    def block(self, i: int, indent: int) -> tuple[Any, int]:
        content = self.lines[i][indent:]
        if content == "-" or content.startswith("- "):
            return self.sequence(i, indent)
        return self.mapping(i, indent, None)

    def mapping(self, i: int, indent: int, first: str | None) -> tuple[dict[str, Any], int]:
        result: dict[str, Any] = {}
        while True:
            if first is not None:
                content, first = first, None
            else:
                i, line = self.line_at(i, indent)
                if line is None:
                    break
                content = line
                if content == "-" or content.startswith("- "):
                    raise _Unsupported
            split = _split_key(content)
            if split is None:
                raise _Unsupported
            key = _check_key(split[0])
            if key in result:
                raise _Unsupported
            result[key], i = self.value(split[1], i, indent, in_mapping=True)
        return result, i

    def sequence(self, i: int, indent: int) -> tuple[list[Any], int]:
        result: list[Any] = []
        while True:
            i, content = self.line_at(i, indent)
            if content is None:
                break
            if content == "-":
                rest = ""
            elif content.startswith("- "):
                rest = content[1:]
            else:
                break  # a key of the mapping this sequence is the value of
            item = rest.lstrip(" ")
            if item.startswith(("-", "?", ":", "'", '"', "#", "[", "{")) or not item:
                result_value, i = self.value(rest, i, indent, in_mapping=False)
                result.append(result_value)
                continue
            split = _split_key(item)
            if split is None:
                result_value, i = self.value(rest, i, indent, in_mapping=False)
                result.append(result_value)
                continue
            column = indent + len(content) - len(item)
            nested, i = self.mapping(i, column, item)
            result.append(nested)
        return result, i

    def value(self, rest: str, i: int, indent: int, in_mapping: bool) -> tuple[Any, int]:
        """The value written as ``rest`` on line ``i`` after a key or ``-`` at ``indent``."""
        if rest and rest[0] != " ":
            raise _Unsupported
        text = rest.strip(" ")
        if not text or text.startswith("#"):
            j = self.significant(i + 1)
            if j < len(self.lines):
                at = _indent(self.lines[j])
                below = self.lines[j][at:]
                if at > indent:
                    return self.block(j, at)
                if at == indent and in_mapping and (below == "-" or below.startswith("- ")):
                    return self.sequence(j, at)
            return None, i + 1
        if text[0] in "|>":
            return self.literal(text, i, indent)
        if text[0] in "[{":
            scalar: Any = self.flow(text)
        elif text[0] in "'\"":
            scalar, after = _quoted(text, 0)
            _check_tail(text[after:])
        else:
            if text[0] in _PLAIN_BAD_START:
                raise _Unsupported
            comment = text.find(" #")
            if comment != -1:
                text = text[:comment].rstrip(" ")
            if ": " in text or text.endswith(":"):
                raise _Unsupported
            scalar = None if text in _NULLS else text
        j = self.significant(i + 1)
        if j < len(self.lines) and _indent(self.lines[j]) > indent:
            raise _Unsupported  # a continued scalar, or a structure YAML would refuse
        return scalar, i + 1

    def flow(self, text: str) -> Any:
        """A one-line flow collection of scalars: ``[a, "b"]``, ``{name: x, value: "a[0]"}``."""
        close = "]" if text[0] == "[" else "}"
        items: list[tuple[str | None, Any]] = []
        pos = 1
        while True:
            pos = _skip_spaces(text, pos)
            if text[pos : pos + 1] == close and not items:
                pos += 1
                break
            key = None
            if close == "}":
                colon = text.find(": ", pos)
                if colon == -1:
                    raise _Unsupported
                key = _check_key(text[pos:colon])
                pos = _skip_spaces(text, colon + 2)
            value, pos = _flow_scalar(text, pos)
            items.append((key, value))
            pos = _skip_spaces(text, pos)
            ch = text[pos : pos + 1]
            pos += 1
            if ch == close:
                break
            if ch != ",":
                raise _Unsupported
        _check_tail(text[pos:])
        if close == "]":
            return [value for _, value in items]
        mapping = dict(items)
        if len(mapping) != len(items):
            raise _Unsupported
        return mapping

    def literal(self, header: str, i: int, indent: int) -> tuple[str, int]:
        """A ``|`` literal or ``>`` folded block (clip or ``-`` strip)."""
        chomp = _BLOCK_HEADERS.get(header)
        if chomp is None:
            raise _Unsupported
        lines = self.lines
        start = i + 1
        if start >= len(lines) or not lines[start].strip(" "):
            raise _Unsupported
        content_indent = _indent(lines[start])
        if content_indent <= indent:
            raise _Unsupported
        body: list[str] = []
        j = start
        while j < len(lines):
            line = lines[j]
            if not line.strip(" "):
                if len(line) > content_indent:
                    raise _Unsupported
                body.append("")
            elif _indent(line) >= content_indent:
                body.append(line[content_indent:])
            else:
                break
            j += 1
        if j == len(lines) and not self.ends_with_newline:
            raise _Unsupported
        while body and not body[-1]:
            body.pop()
        text = _folded(body) if header[0] == ">" else "\n".join(body)
        return (text + "\n" if chomp == "clip" else text), j


def _folded(body: list[str]) -> str:
    """A folded block's text, for the plain case only: lines of one indentation (a more-indented
    line, or trailing or leading white space, keeps its own rules: left to PyYAML) joined by a
    space; each empty line between paragraphs is one line break."""
    out: list[str] = []
    blank = 0
    for line in body:
        if not line:
            blank += 1
            continue
        if line[0] in " \t" or line != line.rstrip(" \t"):
            raise _Unsupported
        if out:
            out.append("\n" * blank if blank else " ")
        out.append(line)
        blank = 0
    return "".join(out)
