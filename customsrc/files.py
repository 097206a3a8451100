"""Reading what a user names (a source file, a file it names, a secrets file, watch's state, stdin)
with a ceiling: regular files only, so a FIFO never hangs and ``/dev/zero`` never fills memory, and
never more than a stated number of bytes. Callers turn :class:`Unreadable` into their own one-line
error."""

from __future__ import annotations

import os
import stat

TYPE_CHECKING = False
if TYPE_CHECKING:
    from typing import BinaryIO

SOURCE_LIMIT = 16 << 20  # a source file or a file it names
SECRETS_LIMIT = 1 << 20  # a secrets file, one secret on stdin
STATE_LIMIT = 256 << 20  # watch's state (every version of every source it watches)

_KINDS = (
    (stat.S_ISFIFO, "a FIFO (named pipe)"),
    (stat.S_ISCHR, "a character device"),
    (stat.S_ISBLK, "a block device"),
    (stat.S_ISSOCK, "a socket"),
)


class Unreadable(Exception):
    """Why a file cannot be read (its ``reason`` fits after "path: ")."""

    def __init__(self, reason: str) -> None:
        super().__init__(reason)
        self.reason = reason


def size_text(limit: int) -> str:
    """``limit`` bytes for people: 16 MiB, 512 KiB."""
    return f"{limit >> 20} MiB" if limit >= 1 << 20 else f"{limit >> 10} KiB"


def read_bounded(path: str, limit: int) -> bytes:
    """The bytes of the regular file at ``path``, at most ``limit`` of them."""
    try:
        fd = os.open(path, os.O_RDONLY | os.O_CLOEXEC | os.O_NONBLOCK)
    except FileNotFoundError:
        raise Unreadable("no such file") from None
    except OSError as exc:
        raise Unreadable(f"cannot read: {exc.strerror}") from None
    try:
        return read_fd(fd, limit)
    finally:
        os.close(fd)


def read_fd(fd: int, limit: int) -> bytes:
    """At most ``limit`` bytes of an open regular file."""
    mode = os.fstat(fd).st_mode
    if stat.S_ISDIR(mode):
        raise Unreadable("is a directory")
    for test, kind in _KINDS:
        if test(mode):
            raise Unreadable(f"is {kind}, not a regular file")
    chunks, size = [], 0
    while size <= limit:
        try:
            chunk = os.read(fd, min(1 << 20, limit + 1 - size))
        except OSError as exc:
            raise Unreadable(f"cannot read: {exc.strerror}") from None
        if not chunk:
            break
        chunks.append(chunk)
        size += len(chunk)
    if size > limit:
        raise Unreadable(f"larger than {size_text(limit)}")
    return b"".join(chunks)


def read_stream(stream: BinaryIO, limit: int) -> bytes:
    """At most ``limit`` bytes of a stream (stdin), however endless it is."""
    data = stream.read(limit + 1)
    if len(data) > limit:
        raise Unreadable(f"larger than {size_text(limit)}")
    return data


def decode(data: bytes) -> str:
    """The bytes as UTF-8 text, or Unreadable ("not UTF-8 text")."""
    try:
        return data.decode("utf-8")
    except UnicodeDecodeError:
        raise Unreadable("not UTF-8 text") from None
