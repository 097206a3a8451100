"""Reading the result file the way Harness does, but safely.

Harness parses the file with Jackson: a UTF-8 byte-order mark (and UTF-16/32) is accepted,
anything after the first complete JSON value is ignored, and comments, trailing commas, NaN and
Infinity are errors. We add what a delegate does not: the file is opened without following
symlinks, must be a regular file, and is read up to a size cap.
"""

from __future__ import annotations

import contextlib
import errno
import json
import os
import stat

from .errors import ResultError
from .streamed import DECODER
from .streamed import decode as decode_streamed

TYPE_CHECKING = False
if TYPE_CHECKING:
    from collections.abc import Callable, Generator
    from typing import Any

    from .mapping import MappingResult, PathMapping

DEFAULT_MAX_RESULT_SIZE = 512 * 1024 * 1024
PRUNE_MIN_BYTES = 1 << 20  # below this the exact way is as quick, and msgspec is not imported
_PIECE = 1 << 20  # bytes read at a time where the whole value is built a piece at a time
_WS = " \t\n\r"


class GCPaused:
    """Pause the cyclic garbage collector while a payload is parsed and mapped.

    A large payload is a million fresh, acyclic dicts and lists; Python 3.11's collector would
    rescan them again and again (here it doubled the mapping time of 100,000 items). The
    previous state is restored afterwards; another thread meanwhile only collects later.
    """

    def __enter__(self) -> None:
        import gc

        self.was_enabled = gc.isenabled()
        gc.disable()

    def __exit__(self, *_: object) -> None:
        if self.was_enabled:
            import gc

            gc.enable()


class Payload:
    """A parsed result file: the JSON ``value``, its ``size`` in bytes, its first bytes (``head``,
    for ``--explain``) and warnings about how it was written (data after the first value).

    When a pruned reader mapped the bytes directly, ``mapped`` holds its result and ``value`` is None.
    """

    __slots__ = ("head", "mapped", "size", "value", "warnings")

    def __init__(
        self, value: Any, size: int, head: bytes, warnings: list[str], mapped: MappingResult | None = None
    ) -> None:
        self.value = value
        self.size = size
        self.head = head
        self.warnings = warnings
        self.mapped = mapped


def _open_result(path: str, max_size: int) -> tuple[int, int]:
    """Open the result file: regular file only, never through a symlink, at most ``max_size``;
    return the descriptor and the size."""
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
                "(raise max_result_size, --max-result-size)",
                kind="result_too_large",
            )
    except BaseException:
        os.close(fd)
        raise
    return fd, info.st_size


def _read_on(fd: int, total: int, max_size: int) -> Generator[bytes, None, None]:
    """The rest of the file at ``fd`` a piece at a time, ``total`` bytes read so far, never past ``max_size``."""
    while piece := os.read(fd, _PIECE):
        total += len(piece)
        if total > max_size:
            raise ResultError(
                f"the result file grew past the {max_size}-byte cap while being read", kind="result_too_large"
            )
        yield piece


def read_result_bytes(path: str, max_size: int = DEFAULT_MAX_RESULT_SIZE) -> bytes:
    """Read the result file: regular file only, never through a symlink, at most ``max_size``."""
    fd, size = _open_result(path, max_size)
    try:
        # One read of the whole file: joining chunks would hold a large payload twice.
        data = os.read(fd, size + 1)
        if len(data) <= size:
            return data
        return b"".join([data, *_read_on(fd, len(data), max_size)])  # the file grew while we read it
    finally:
        os.close(fd)


def _result_pieces(path: str, max_size: int) -> Generator[bytes, None, None]:
    """The result file's bytes a piece at a time, with the checks of ``read_result_bytes``."""
    fd, _ = _open_result(path, max_size)
    try:
        yield from _read_on(fd, 0, max_size)
    finally:
        os.close(fd)


def _pieces_of(data: bytes) -> Generator[bytes, None, None]:
    view = memoryview(data)
    for start in range(0, len(view), _PIECE):
        yield view[start : start + _PIECE]  # type: ignore[misc]


def _position(text: str, index: int) -> tuple[int, int]:
    """The line and column of ``index`` in ``text``, both from 1."""
    line = text.count("\n", 0, index) + 1
    return line, index - (text.rfind("\n", 0, index) + 1) + 1


def _at(text: str, index: int) -> str:
    return _where(*_position(text, index))


def _where(line: int, column: int) -> str:
    return f"line {line}, column {column}"


def read_payload(path: str, max_size: int = DEFAULT_MAX_RESULT_SIZE, mapping: PathMapping | None = None) -> Payload:
    """Read and parse the result file, letting go of its bytes before the value is built.

    With a ``mapping``, a large payload is first read the pruned way (``pruned``: only the fields
    the paths name, mapped in the same pass; ``Payload.mapped``) wherever the payload allows it.
    Otherwise its whole value is built from the file a piece at a time (``streamed``), never
    holding all of its text beside the tree; what neither can read is decoded whole, as ever.
    """
    return _parse(
        [read_result_bytes(path, max_size)],
        mapping,
        lambda: read_result_bytes(path, max_size),
        lambda: _result_pieces(path, max_size),
    )


def parse_payload(data: bytes, mapping: PathMapping | None = None) -> Payload:
    """Parse the bytes with Harness's (Jackson's) rules; return the value and any warnings."""
    return _parse([data], mapping, lambda: data, lambda: _pieces_of(data))


def _parse(
    holder: list[bytes],
    mapping: PathMapping | None,
    again: Callable[[], bytes],
    pieces: Callable[[], Generator[bytes, None, None]],
) -> Payload:
    head = holder[0][:512]
    size = len(holder[0])
    if mapping is not None and size >= PRUNE_MIN_BYTES:
        from .pruned import pruned_reader

        reader = pruned_reader(mapping)
        mapped = reader.map(holder) if reader is not None else None
        if mapped is not None:
            return Payload(value=None, size=size, head=head, warnings=[], mapped=mapped)
    if size >= PRUNE_MIN_BYTES:  # the whole value, built without holding the whole text
        holder.clear()
        with contextlib.closing(pieces()) as stream:
            streamed = decode_streamed(stream, head)
        if streamed is not None:
            value, ignored = streamed
            return Payload(value=value, size=size, head=head, warnings=[] if ignored is None else [_ignored(*ignored)])
    if not holder:  # a way above let go of the bytes before it found it could not read them
        holder.append(again())
    data = holder.pop()
    encoding = json.detect_encoding(data)
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
        value, end = DECODER.raw_decode(text, start)
    except json.JSONDecodeError as exc:
        hint = " (is it an HTML error page? use curl --fail)" if text[start] == "<" else ""
        raise ResultError(
            f"the result file is not valid JSON: {exc.msg} at {_at(text, exc.pos)}{hint}",
            reason=f"Unexpected character at {_at(text, exc.pos)}",
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
                f"the result file is not valid JSON: unexpected character after a number at {_at(text, rest)}",
                kind="result_not_json",
            )
        warnings.append(_ignored(n - rest, *_position(text, rest)))
    return Payload(value=value, size=size, head=head, warnings=warnings)


def _ignored(count: int, line: int, column: int) -> str:
    return f"ignored {count} characters after the first JSON value at {_where(line, column)} (Harness ignores them too)"
