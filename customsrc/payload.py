"""Reading the result file the way Harness does, but safely.

Harness parses the file with Jackson: a UTF-8 byte-order mark (and UTF-16/32) is accepted,
anything after the first complete JSON value is ignored, and comments, trailing commas, NaN and
Infinity are errors. We add what a delegate does not: the file is opened without following
symlinks, must be a regular file, and is read up to a size cap.
"""

from __future__ import annotations

import errno
import json
import os
import stat

from .errors import ResultError

TYPE_CHECKING = False
if TYPE_CHECKING:
    from typing import Any

DEFAULT_MAX_RESULT_SIZE = 512 * 1024 * 1024
_WS = " \t\n\r"


class Payload:
    __slots__ = ("head", "size", "value", "warnings")

    def __init__(self, value: Any, size: int, head: bytes, warnings: list[str]) -> None:
        self.value = value
        self.size = size
        self.head = head
        self.warnings = warnings


def read_result_bytes(path: str, max_size: int = DEFAULT_MAX_RESULT_SIZE) -> bytes:
    """Read the result file: regular file only, never through a symlink, at most ``max_size``."""
    flags = os.O_RDONLY | os.O_NOFOLLOW | os.O_NONBLOCK | getattr(os, "O_CLOEXEC", 0)
    try:
        fd = os.open(path, flags)
    except FileNotFoundError:
        raise ResultError(
            'the script wrote no result file: write the JSON to "$HARNESS_ARTIFACT_RESULT_PATH"',
            reason=f"{path} (No such file or directory)",
            kind="result_missing",
        ) from None
    except OSError as exc:
        if exc.errno == errno.ELOOP:
            raise ResultError(
                "the result file was replaced by a symlink; customsrc does not follow it",
                reason=f"{path} (symbolic link)",
                kind="result_unreadable",
            ) from None
        raise ResultError(f"cannot open the result file: {exc.strerror}", kind="result_unreadable") from None
    try:
        info = os.fstat(fd)
        if not stat.S_ISREG(info.st_mode):
            raise ResultError(
                "the result file is not a regular file (a FIFO, device or directory); write plain JSON to it",
                reason=f"{path} (not a regular file)",
                kind="result_unreadable",
            )
        if info.st_size > max_size:
            raise ResultError(
                f"the result file is {info.st_size} bytes, over the {max_size}-byte cap "
                "(raise it with --max-result-size)",
                kind="result_too_large",
            )
        # One read of the whole file: joining chunks would hold a large payload twice.
        data = os.read(fd, info.st_size + 1)
        if len(data) <= info.st_size:
            return data
        chunks = [data]  # the file grew while we read it (a background writer)
        total = len(data)
        while chunk := os.read(fd, 1 << 20):
            total += len(chunk)
            if total > max_size:
                raise ResultError(
                    f"the result file grew past the {max_size}-byte cap while being read",
                    kind="result_too_large",
                )
            chunks.append(chunk)
        return b"".join(chunks)
    finally:
        os.close(fd)


def _reject_constant(name: str) -> Any:
    raise ValueError(f"{name} is not valid JSON (Jackson rejects it too)")


_DECODER = json.JSONDecoder(parse_constant=_reject_constant)


# Every byte as "1" (an ASCII digit) or "0" (anything else), for a C-speed scan of digit runs.
_DIGIT_MARKS = bytes(0x31 if 0x30 <= b <= 0x39 else 0x30 for b in range(256))
_LONG_RUN = b"1" * 19  # 19 digits may exceed a 64-bit integer
_NUMBER_BEFORE = frozenset(b" \t\r\n[,:")


def may_hold_big_integer(data: bytes) -> bool:
    """True when ``data`` (UTF-8 JSON) may hold an integer literal of 19 or more digits.

    orjson turns integers beyond 64 bits into floats, where Jackson keeps them exact; such
    payloads take the standard library's parser. A run of digits can only start a number after
    ``[``, ``,``, ``:`` or whitespace (with an optional ``-``); inside a string, such as a hex
    checksum, a run follows a letter or a quote. So this errs only towards the slower, exact path.
    """
    marks = data.translate(_DIGIT_MARKS)
    pos = marks.find(_LONG_RUN)
    while pos >= 0:
        before = pos - 1
        if before >= 0 and data[before] == 0x2D:  # '-'
            before -= 1
        if before < 0 or data[before] in _NUMBER_BEFORE:
            return True
        end = marks.find(b"0", pos)
        if end < 0:
            return False
        pos = marks.find(_LONG_RUN, end)
    return False


_orjson_checked: list[Any] = []


def _safe_orjson() -> Any:
    """orjson, if installed and it refuses deep nesting (older releases recurse until the
    process crashes on a 150,000-level payload; current ones stop at 1,024). Probed once."""
    if not _orjson_checked:
        module: Any = None
        try:
            import orjson

            orjson.loads(b"[" * 1100 + b"]" * 1100)
        except ImportError:  # pragma: no cover - orjson is a dependency; the fallback is for odd platforms
            pass
        except ValueError:
            module = orjson  # it has a depth limit
        _orjson_checked.append(module)
    return _orjson_checked[0]


# Importing orjson costs ~15 ms here (it loads dataclasses, inspect, uuid, datetime); below
# this size the standard parser is done sooner than that.
FAST_PARSE_MIN_BYTES = 1 << 20


def _fast_parse(data: bytes, encoding: str) -> Any:
    """orjson's parse when it is worth it, safe and succeeds; ``_NOT_PARSED`` otherwise."""
    if len(data) < FAST_PARSE_MIN_BYTES or encoding not in ("utf-8", "utf-8-sig"):
        return _NOT_PARSED
    orjson = _safe_orjson()
    if orjson is None:
        return _NOT_PARSED
    body = data[3:] if data.startswith(b"\xef\xbb\xbf") else data
    if may_hold_big_integer(body):
        return _NOT_PARSED
    try:
        return orjson.loads(body)
    except ValueError:  # orjson.JSONDecodeError
        # Trailing content, NaN, a lone surrogate, deep nesting...: the exact path decides.
        return _NOT_PARSED


_NOT_PARSED = object()


def _position(text: str, index: int) -> str:
    line = text.count("\n", 0, index) + 1
    col = index - (text.rfind("\n", 0, index) + 1) + 1
    return f"line {line}, column {col}"


def parse_payload(data: bytes) -> Payload:
    """Parse the bytes with Harness's (Jackson's) rules; return the value and any warnings."""
    head = data[:512]
    size = len(data)
    encoding = json.detect_encoding(data)
    value = _fast_parse(data, encoding)
    if value is not _NOT_PARSED:
        return Payload(value=value, size=size, head=head, warnings=[])
    try:
        text = data.decode(encoding)
    except UnicodeDecodeError as exc:
        raise ResultError(
            f"the result file is not valid UTF-8 text (byte {exc.start}); write JSON",
            kind="result_not_json",
        ) from None
    del data
    start = 1 if text.startswith("\ufeff") else 0
    n = len(text)
    while start < n and text[start] in _WS:
        start += 1
    if start >= n:
        raise ResultError(
            'the result file is empty: the script wrote nothing to "$HARNESS_ARTIFACT_RESULT_PATH"',
            reason="No content to map due to end-of-input",
            kind="result_not_json",
        )
    try:
        value, end = _DECODER.raw_decode(text, start)
    except json.JSONDecodeError as exc:
        hint = " (is it an HTML error page? use curl --fail)" if text[start] == "<" else ""
        raise ResultError(
            f"the result file is not valid JSON: {exc.msg} at {_position(text, exc.pos)}{hint}",
            reason=f"Unexpected character at {_position(text, exc.pos)}",
            kind="result_not_json",
        ) from None
    except ValueError as exc:
        raise ResultError(f"the result file is not valid JSON: {exc}", kind="result_not_json") from None
    except RecursionError:
        raise ResultError("the result file is nested too deeply to read", kind="result_not_json") from None
    warnings: list[str] = []
    rest = end
    while rest < n and text[rest] in _WS:
        rest += 1
    if rest < n:
        # Jackson reads a number token to its end: "123abc" is an error there, not trailing data.
        if isinstance(value, (int, float)) and not isinstance(value, bool) and rest == end:
            raise ResultError(
                f"the result file is not valid JSON: unexpected character after a number at {_position(text, rest)}",
                kind="result_not_json",
            )
        warnings.append(
            f"ignored {n - rest} characters after the first JSON value at {_position(text, rest)} "
            "(Harness ignores them too)"
        )
    return Payload(value=value, size=size, head=head, warnings=warnings)
