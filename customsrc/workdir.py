"""A run's work directory: made on the host (``Workdir``) or by the sandbox inside itself
(``SandboxDir``), and removed whatever the script did to it, without following any link."""

from __future__ import annotations

import contextlib
import os
import stat
import sys

from . import delegate
from .errors import SandboxError


class Workdir:
    """A run's private work directory: ``<base>/customsrc-<random>/work``.

    The outer folder belongs to customsrc (0711), so a script cannot rename or replace its work
    directory; everything after creation goes through a directory descriptor held from the start,
    with ``O_NOFOLLOW``, so no path the script could have changed is ever followed (clean-up
    included). Written out rather than taken from ``tempfile``: importing tempfile, uuid and
    shutil costs more start-up time than a whole trivial fetch is allowed.
    """

    def __init__(self, base: str | None, owner: int | None) -> None:
        base = base or "/tmp"
        for _ in range(100):
            outer = os.path.join(base, "customsrc-" + os.urandom(8).hex())
            try:
                os.mkdir(outer, 0o711)
            except FileExistsError:
                continue
            except OSError as exc:
                raise SandboxError(
                    f"cannot create a work directory under {base} ({exc.strerror}); "
                    "set TMPDIR (or tmpdir=) to a folder you can write"
                ) from None
            break
        else:
            raise SandboxError(f"cannot create a work directory under {base}")
        self.outer = outer
        self.path = os.path.join(outer, "work")
        self.owner = owner
        os.mkdir(self.path, 0o700)
        self.fd = os.open(self.path, os.O_RDONLY | os.O_DIRECTORY | os.O_NOFOLLOW | os.O_CLOEXEC)
        os.chmod(outer, 0o711)  # noqa: S103 - searchable, not listable: the run's uid reaches work/ only
        self.outer_ino = os.lstat(outer).st_ino
        if owner is not None:
            os.fchown(self.fd, owner, owner)

    def write(self, name: str, text: str) -> None:
        _write_file(self.fd, name, text, self.owner)

    def tools_folder(self, path: str) -> str:
        """Where the run's PATH points under --tools delegate: a folder of links beside the work
        directory, in the outer folder only customsrc can write."""
        outer = os.open(self.outer, os.O_RDONLY | os.O_DIRECTORY | os.O_NOFOLLOW | os.O_CLOEXEC)
        try:
            if os.fstat(outer).st_ino != self.outer_ino:
                raise SandboxError(f"the work directory's folder {self.outer} was replaced")
            delegate.make_folder(outer, "tools", path)
        finally:
            os.close(outer)
        return os.path.join(self.outer, "tools")

    def entry(self, name: str) -> str:
        """A path to ``name`` in the real work directory, whatever happened to its path since."""
        return f"/proc/self/fd/{self.fd}/{name}"

    def remove(self) -> None:
        """Remove everything under the outer folder (whatever the script renamed or linked in
        it), then the folder itself if its name still leads to it."""
        if self.fd < 0:
            return
        try:
            outer = os.open(self.outer, os.O_RDONLY | os.O_DIRECTORY | os.O_NOFOLLOW | os.O_CLOEXEC)
        except OSError:
            outer = -1
        try:
            clear_tree(self.fd)
            if outer >= 0 and os.fstat(outer).st_ino == self.outer_ino:
                clear_tree(outer)
                with contextlib.suppress(OSError):
                    if os.lstat(self.outer).st_ino == self.outer_ino:
                        os.rmdir(self.outer)
        finally:
            os.close(self.fd)
            self.fd = -1
            if outer >= 0:
                os.close(outer)


class SandboxDir:
    """A run's work directory made by the sandbox itself: a size-capped tmpfs mounted inside it.

    Nothing is made on the host. Once the sandbox is set up (its preamble says so, before any
    of the script's code runs) customsrc opens the directory through the sandbox process's root,
    hands it to the run's uid and writes the script into it; the descriptor it keeps lets it read
    the result after the sandbox is gone, and closing it frees the tmpfs, whatever way customsrc
    ends (SIGKILL included), so nothing is ever left behind.
    """

    def __init__(self, inside: str, owner: int | None) -> None:
        self.inside = inside
        self.owner = owner
        self.fd = -1
        self.pending: dict[str, str] = {}
        self.tools: str | None = None  # --tools delegate: the PATH to link the delegate's commands from
        self.socket = -1  # where customsrc's launcher sends the directory (``receive``)

    def tools_folder(self, path: str) -> str:
        """Where the run's PATH points under --tools delegate: a folder in the sandbox's own /tmp,
        made (root-owned, links only) when the sandbox is attached."""
        self.tools = path
        return "/tmp/.customsrc-tools"

    def write(self, name: str, text: str) -> None:
        if self.fd < 0:
            self.pending[name] = text
            return
        _write_file(self.fd, name, text, self.owner)

    def attach(self, pid: int) -> None:
        """Open the work directory as the sandbox of ``pid`` sees it (no link followed), own it to
        the run's uid and write what waited for it."""
        fd = os.open(f"/proc/{pid}/root", os.O_RDONLY | os.O_DIRECTORY | os.O_CLOEXEC)
        try:
            for part in self.inside.strip("/").split("/"):
                fd, parent = os.open(part, os.O_RDONLY | os.O_DIRECTORY | os.O_NOFOLLOW | os.O_CLOEXEC, dir_fd=fd), fd
                if part == "tmp" and self.tools is not None:
                    delegate.make_folder(fd, ".customsrc-tools", self.tools)
                os.close(parent)
            if self.owner is not None:
                os.fchown(fd, self.owner, self.owner)
        except BaseException:
            os.close(fd)
            raise
        self.fd = fd
        pending, self.pending = self.pending, {}
        for name, text in pending.items():
            self.write(name, text)

    def receive(self, socket_fd: int) -> None:
        """The launcher writes what waited (``pending``) itself and sends the directory on
        ``socket_fd`` (this object closes it): it is taken from there when first needed, after
        the run; the message holds the tmpfs meanwhile, whatever way customsrc ends."""
        self.socket = socket_fd
        self.pending = {}

    def _take(self) -> None:
        import _socket

        sock = _socket.socket(fileno=self.socket)
        try:
            space = _socket.CMSG_SPACE(4)
            _, ancillary, _, _ = sock.recvmsg(1, space, _socket.MSG_DONTWAIT | _socket.MSG_CMSG_CLOEXEC)
        except OSError:
            ancillary = []  # nothing was sent: the sandbox failed before its script could start
        finally:
            sock.close()
            self.socket = -1
        received = [
            int.from_bytes(data[i : i + 4], sys.byteorder)
            for level, kind, data in ancillary
            if level == _socket.SOL_SOCKET and kind == _socket.SCM_RIGHTS
            for i in range(0, len(data) - 3, 4)
        ]
        for fd in received[1:]:
            os.close(fd)
        if received:
            self.fd = received[0]

    def entry(self, name: str) -> str:
        if self.fd < 0 and self.socket >= 0:
            self._take()
        return f"/proc/self/fd/{self.fd}/{name}" if self.fd >= 0 else f"{self.inside}/.unreachable/{name}"

    def remove(self) -> None:
        if self.socket >= 0:
            os.close(self.socket)
            self.socket = -1
        if self.fd >= 0:
            os.close(self.fd)
            self.fd = -1


def _write_file(dir_fd: int, name: str, text: str, owner: int | None) -> None:
    flags = os.O_WRONLY | os.O_CREAT | os.O_EXCL | os.O_NOFOLLOW | os.O_CLOEXEC
    fd = os.open(name, flags, 0o600, dir_fd=dir_fd)
    try:
        data = text.encode("utf-8", "surrogateescape")
        while data:
            data = data[os.write(fd, data) :]
        if owner is not None:
            os.fchown(fd, owner, owner)
    finally:
        os.close(fd)


FLATTEN_DEPTH = 32


def clear_tree(root_fd: int) -> None:
    """Remove everything inside the directory ``root_fd`` without following any symlink; folders
    a script made unreadable are opened up on the way, and trees deeper than ``FLATTEN_DEPTH``
    are moved up to the top as they are met, so any depth is cleared with a few descriptors."""
    with contextlib.suppress(OSError):
        os.fchmod(root_fd, stat.S_IRWXU)
    _clear(root_fd, root_fd, 0)


def _clear(root_fd: int, dir_fd: int, depth: int) -> None:
    while True:
        names = os.listdir(dir_fd)
        if not names:
            return
        for name in names:
            try:
                os.unlink(name, dir_fd=dir_fd)
                continue
            except FileNotFoundError:
                continue
            except (IsADirectoryError, PermissionError):
                info = os.stat(name, dir_fd=dir_fd, follow_symlinks=False)
                if not stat.S_ISDIR(info.st_mode):
                    raise
            if depth >= FLATTEN_DEPTH:
                flat = ".customsrc-flat-" + os.urandom(8).hex()
                os.rename(name, flat, src_dir_fd=dir_fd, dst_dir_fd=root_fd)
                continue
            with contextlib.suppress(OSError):  # the tree is still: the script is gone
                os.chmod(name, stat.S_IRWXU, dir_fd=dir_fd)
            child = os.open(name, os.O_RDONLY | os.O_DIRECTORY | os.O_NOFOLLOW | os.O_CLOEXEC, dir_fd=dir_fd)
            try:
                _clear(root_fd, child, depth + 1)
            finally:
                os.close(child)
            os.rmdir(name, dir_fd=dir_fd)


def result_file_name() -> str:
    """``harness-<random UUID>.out``, the delegate's name for the result file (without importing uuid)."""
    raw = bytearray(os.urandom(16))
    raw[6] = (raw[6] & 0x0F) | 0x40
    raw[8] = (raw[8] & 0x3F) | 0x80
    h = raw.hex()
    return f"harness-{h[:8]}-{h[8:12]}-{h[12:16]}-{h[16:20]}-{h[20:]}.out"
