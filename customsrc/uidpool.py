"""One unprivileged uid per concurrent run, when customsrc runs as root.

Scripts that share a uid share everything the kernel keys by uid: they can signal each other,
read each other's files and ``/proc`` entries, and share one ``RLIMIT_NPROC``. Each sandboxed run
therefore takes a uid of its own from a pool no login user has (``POOL_START`` .. +``POOL_SIZE``,
overridable with ``CUSTOMSRC_UID_POOL=START:SIZE``), held with an exclusive ``flock`` on a file in
a root-only directory for as long as the run lasts, so that two runs, in one customsrc process or
in several, never hold the same uid at once. A uid is free again when its holder's lock goes,
whatever way the holder ended (the kernel drops the lock with the process).
"""

from __future__ import annotations

import os
import stat

from .errors import SandboxError

POOL_START = 1_879_048_192  # 0x70000000: far above login users and the usual subordinate-id ranges
POOL_SIZE = 65_536
LOCK_DIRS = ("/run/customsrc/uids", "/var/lib/customsrc/uids")


def _pool(environ: dict[str, str] | os._Environ[str]) -> tuple[int, int]:
    value = environ.get("CUSTOMSRC_UID_POOL", "")
    if value:
        try:
            start, size = (int(part) for part in value.split(":"))
        except ValueError:
            raise SandboxError(f"CUSTOMSRC_UID_POOL={value!r}: expected START:SIZE, e.g. 1879048192:65536") from None
        if start < 1000 or size < 1 or start + size > 0xFFFFFFFE:
            raise SandboxError(f"CUSTOMSRC_UID_POOL={value!r}: out of range (START >= 1000)")
        return start, size
    return POOL_START, POOL_SIZE


def _lock_dir() -> str:
    """A directory only root can write, for the lock files (made if missing)."""
    for path in LOCK_DIRS:
        parent = os.path.dirname(path)
        if not os.path.isdir(os.path.dirname(parent)):
            continue
        for folder in (parent, path):
            try:
                os.mkdir(folder, 0o700)
            except FileExistsError:
                pass
            except OSError:
                break
            info = os.lstat(folder)
            if not stat.S_ISDIR(info.st_mode) or info.st_uid != 0 or info.st_mode & 0o022:
                raise SandboxError(f"{folder} must be a directory owned by root and writable by root only")
        else:
            return path
    raise SandboxError(f"cannot make a lock directory for the uid pool ({', '.join(LOCK_DIRS)})")


class Lease:
    """A uid held for one run; ``release()`` (or the process ending) frees it."""

    def __init__(self, uid: int, fd: int) -> None:
        self.uid = uid
        self._fd = fd

    def release(self) -> None:
        if self._fd >= 0:
            os.close(self._fd)
            self._fd = -1


def lease() -> Lease:
    """Take a uid no other run holds now."""
    import fcntl

    start, size = _pool(os.environ)
    folder = _lock_dir()
    first = int.from_bytes(os.urandom(4), "little") % size
    for attempt in range(min(size, 4096)):
        uid = start + (first + attempt) % size
        fd = os.open(os.path.join(folder, str(uid)), os.O_RDWR | os.O_CREAT | os.O_NOFOLLOW | os.O_CLOEXEC, 0o600)
        try:
            fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except BlockingIOError:
            os.close(fd)
            continue
        return Lease(uid, fd)
    raise SandboxError("no free uid in the sandbox uid pool (CUSTOMSRC_UID_POOL); too many runs at once")
