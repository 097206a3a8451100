"""Building a big payload's whole value a piece at a time, never holding all of its text.

Where the whole value is needed (a payload schema checks it, a wildcard in the array path walks
it, UTF-16 or trailing data keep the pruned way out), decoding the text whole holds the bytes'
text and the finished tree at once: ~4.5x the payload's size for a Nexus listing. Here the text
is decoded from the file in pieces into a window of a few MB. The json module's own decoder
decodes every value that fits the window; only a container too big for it is walked here, its
elements decoded in runs, one decoder call a run (so a run's objects share their keys, as in one
whole decode). The tree is the exact way's tree; the text held is a window, not the payload.

A run is found without a second scanner: ``[`` + the text from an element's start to a comma
after a closing bracket + ``]`` is decoded. If it decodes, its closing bracket is at depth one and
outside any string, so the text before it is whole elements, each ending on its own delimiter: the
same elements the whole decode finds (or, where a real ``]`` comes first, the rest of the array).
If not, the element is decoded alone.

It is an optimisation of the exact way, never a second set of rules: invalid JSON, an encoding
error, depth, a top-level scalar, anything unusual returns None, and the caller decodes the whole
text, so that every error is reported as always. ``tests/streamed_test.py`` holds the two ways
equal on random payloads cut into pieces and windows of every size.
"""

from __future__ import annotations

import codecs
import json
import re

TYPE_CHECKING = False
if TYPE_CHECKING:
    from collections.abc import Iterator
    from typing import Any

WINDOW = 1 << 22  # characters of text held at a time; a value bigger than this is walked, or the window grows
_TAIL = 1 << 16  # where the last comma after a closing bracket is looked for first
_NOT_WS = re.compile(r"[^ \t\n\r]")
_CUT = re.compile(r"[}\]][ \t\n\r]*,[ \t\n\r]*[{\[]")  # an element closing and the next opening
_COMMA = re.compile(",")  # between elements that are not containers
_MEMBER = re.compile(r',[ \t\n\r]*"')  # a member ending and the next key starting
_NUMBER_GOES_ON = frozenset("0123456789.eE+-")  # after "1" or "1.5e" the window may cut a number short
_TRIES = 3  # places tried in a window before its elements are decoded one by one


def _reject_constant(name: str) -> Any:
    raise ValueError(f"{name} is not valid JSON (Jackson rejects it too)")


DECODER = json.JSONDecoder(parse_constant=_reject_constant)
"""The json module's decoder with Jackson's rules: NaN and Infinity are errors (both ways use it)."""
_decode = DECODER.raw_decode
_scanstring = json.decoder.scanstring  # type: ignore[attr-defined]


class _Fail(Exception):
    """Not read here: the caller decodes the whole text and reports what it finds."""


class _Text:
    """The text being read: ``text`` holds the characters from ``dropped`` on."""

    def __init__(self, pieces: Iterator[bytes], encoding: str, window: int) -> None:
        self.decoder = codecs.getincrementaldecoder(encoding)()
        self.pieces = pieces
        self.window = window
        self.text = ""
        self.done = False
        self.dropped = 0  # characters let go of before ``text``
        self.lines = 0  # newlines among them
        self.line_start = 0  # where the line after the last of them starts
        self.tried = -1  # no run decoded in the window that ended here: its elements go one by one

    def more(self, i: int, want: int) -> int:
        """Let go of the text before ``i`` and read on until ``want`` characters are held from it
        (or the text ends); ``i`` is then 0."""
        text = self.text
        newlines = text.count("\n", 0, i)
        if newlines:
            self.lines += newlines
            self.line_start = self.dropped + text.rindex("\n", 0, i) + 1
        self.dropped += i
        parts = [text[i:]]
        held = len(parts[0])
        while held < want and not self.done:
            piece = next(self.pieces, None)
            if piece is None:
                parts.append(self.decoder.decode(b"", final=True))
                self.done = True
            else:
                parts.append(self.decoder.decode(piece))
            held += len(parts[-1])
        self.text = "".join(parts)
        return 0

    def skip(self, i: int) -> int:
        """The index of the next character that is not whitespace, at or after ``i``; the text's end
        only where the text ends."""
        while True:
            found = _NOT_WS.search(self.text, i)
            if found is not None:
                return found.start()
            if self.done:
                return len(self.text)
            i = self.more(len(self.text), self.window)

    def next(self, i: int) -> tuple[int, str]:
        """The next character that is not whitespace, and its index; a text that ends fails."""
        i = self.skip(i)
        if i >= len(self.text):
            raise _Fail
        return i, self.text[i]


def _value(t: _Text, i: int) -> tuple[Any, int]:
    """The value that starts at ``i`` and the index after it."""
    while True:
        text = t.text
        try:
            value, end = _decode(text, i)
            if t.done or (end < len(text) and text[end] not in _NUMBER_GOES_ON):
                return value, end
        except json.JSONDecodeError:  # cut short by the window's end, or not JSON
            if t.done:
                raise _Fail from None
        if len(text) - i < t.window:  # not a full window from here yet
            i = t.more(i, t.window)
        elif text[i] == "[":
            return _array(t, i)
        elif text[i] == "{":
            return _object(t, i)
        else:  # a string longer than the window: hold twice as much
            i = t.more(i, 2 * (len(text) - i))


def _run(t: _Text, i: int, brackets: str, places: re.Pattern[str]) -> tuple[Any, int] | None:
    """The elements (or members) from ``i``, where one starts, up to one of the last ``places`` in the
    window where one ends and the next starts, decoded in one call as the container ``brackets``
    make; and the index of the comma there (or of the container's own end, where it comes first).
    None where no such place decodes."""
    text = t.text
    if t.dropped + len(text) <= t.tried:
        return None  # this window's places were tried already
    t.tried = t.dropped + len(text)
    cuts: list[int] = []
    for start in (max(i, len(text) - _TAIL), i):
        cuts = [m.end() for m in places.finditer(text, start)]
        if cuts or start == i:
            break
    for cut in reversed(cuts[-_TRIES:]):
        comma = text.rindex(",", i, cut)
        try:
            part, end = _decode(f"{brackets[0]}{text[i:comma]}{brackets[1]}")
        except json.JSONDecodeError:  # the comma was inside a string, or deeper than the elements
            continue
        t.tried = -1
        return part, i + end - 2  # the closing bracket's place in the text: the comma or the real one
    return None


def _array(t: _Text, i: int) -> tuple[list[Any], int]:
    out: list[Any] = []
    i, c = t.next(i + 1)
    if c == "]":
        return out, i + 1
    while True:
        i = _held(t, i)
        run = _run(t, i, "[]", _CUT if t.text[i] in "{[" else _COMMA)
        if run is None:
            value, i = _value(t, i)
            out.append(value)
        else:
            values, i = run
            out += values
        ended, i = _step(t, i, "]")
        if ended:
            return out, i


def _object(t: _Text, i: int) -> tuple[dict[str, Any], int]:
    out: dict[str, Any] = {}
    i, c = t.next(i + 1)
    if c == "}":
        return out, i + 1
    while True:
        if t.text[i] != '"':
            raise _Fail
        i = _held(t, i)
        run = _run(t, i, "{}", _MEMBER)
        if run is not None:
            members, i = run
            out.update(members)  # a key already there keeps its place and takes the last value
        else:
            key, i = _key(t, i)
            i, c = t.next(i)
            if c != ":":
                raise _Fail
            i, _ = t.next(i + 1)
            value, i = _value(t, i)
            out[key] = value  # a repeated key keeps its first place and its last value, as in the json module
        ended, i = _step(t, i, "}")
        if ended:
            return out, i


def _held(t: _Text, i: int) -> int:
    """``i`` after reading on where less than half a window is held from it."""
    return t.more(i, t.window) if len(t.text) - i < t.window // 2 and not t.done else i


def _step(t: _Text, i: int, close: str) -> tuple[bool, int]:
    """After an element or member that ends at ``i``: (True, the index after ``close``) where the
    container ends there, else (False, where the next one starts)."""
    i, c = t.next(i)
    if c == close:
        return True, i + 1
    if c != ",":
        raise _Fail
    return False, t.next(i + 1)[0]


def _key(t: _Text, i: int) -> tuple[str, int]:
    while True:
        try:
            return _scanstring(t.text, i + 1, True)  # type: ignore[no-any-return]
        except json.JSONDecodeError:
            if t.done:
                raise _Fail from None
        i = t.more(i, max(t.window, 2 * (len(t.text) - i)))


def decode(
    pieces: Iterator[bytes], first: bytes, window: int = WINDOW
) -> tuple[Any, tuple[int, int, int] | None] | None:
    """The whole value of the JSON whose bytes come in ``pieces`` (``first`` holds the first four or
    more) and, where text follows it, that text's length, line and column (for the warning);
    None where the whole text must be decoded instead.

    The text after the value is read to its end, counted and let go of.
    """
    try:
        t = _Text(pieces, json.detect_encoding(first), window)
        t.more(0, window)
        i = t.skip(1 if t.text.startswith("\ufeff") else 0)
        if i >= len(t.text) or t.text[i] not in "[{":
            return None  # an empty file, or a scalar: the exact way says what it is
        value, end = _value(t, i)
        rest = t.skip(end)
        if rest >= len(t.text):
            return value, None
        text = t.text
        newline = text.rfind("\n", 0, rest)
        line_start = newline + 1 if newline >= 0 else t.line_start - t.dropped
        line = t.lines + text.count("\n", 0, rest) + 1
        count = len(text) - rest
        for piece in pieces:
            count += len(t.decoder.decode(piece))
        count += len(t.decoder.decode(b"", final=True))
        return value, (count, line, rest - line_start + 1)
    except (_Fail, ValueError, UnicodeDecodeError, RecursionError):
        return None
