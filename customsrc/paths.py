"""Finding executables: one ``which`` for the script's PATH, and ``tool`` for the system helpers
customsrc itself runs (never found through the caller's PATH: they may run as root)."""

from __future__ import annotations

import os
import stat

SYSTEM_FOLDERS = ("/usr/bin", "/bin", "/usr/sbin", "/sbin", "/usr/local/bin")
_found: dict[str, str | None] = {}


def which(name: str, path: str | None, *, for_others: bool = False, hidden: tuple[str, ...] = ()) -> str | None:
    """``shutil.which`` for one name over a PATH string, skipping files under ``hidden`` folders
    (symlinks resolved). With ``for_others``, only a file that a different, unprivileged uid can
    reach and run (world-searchable folders, world-executable file)."""
    for folder in (path or "").split(os.pathsep):
        candidate = os.path.join(folder or ".", name)
        if not (os.path.isfile(candidate) and os.access(candidate, os.X_OK)):
            continue
        real = os.path.realpath(candidate)
        if any(real == h or real.startswith(h.rstrip("/") + "/") for h in hidden):
            continue
        if for_others and not reachable_by_others(real):
            continue
        return candidate
    return None


def reachable_by_others(path: str) -> bool:
    """Can a different, unprivileged uid reach ``path`` (every folder on the way searchable by
    others) and run it (world-executable)?"""
    try:
        if not os.stat(path).st_mode & stat.S_IXOTH:
            return False
        folder = os.path.dirname(path)
        while True:
            if not os.stat(folder).st_mode & stat.S_IXOTH:
                return False
            parent = os.path.dirname(folder)
            if parent == folder:
                return True
            folder = parent
    except OSError:
        return False


def tool(name: str) -> str | None:
    """The first executable ``name`` in the system folders (never the caller's PATH: these run as
    root), looked up once per process."""
    if name not in _found:
        _found[name] = which(name, os.pathsep.join(SYSTEM_FOLDERS))
    return _found[name]
