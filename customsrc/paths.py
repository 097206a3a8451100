"""Finding executables: one ``which`` for the script's PATH, ``interpreter`` for the one that runs
the script, and ``tool`` for the system helpers customsrc itself runs (never found through the
caller's PATH: they may run as root)."""

from __future__ import annotations

import os
import stat

from .errors import SandboxError
from .sandbox import DEFAULT_PATH

SYSTEM_FOLDERS = ("/usr/bin", "/bin", "/usr/sbin", "/sbin", "/usr/local/bin")
_found: dict[str, str | None] = {}
_interpreters: dict[tuple[str, str, bool, tuple[str, ...]], str] = {}


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


def interpreter(name: str, path: str, others: bool, hidden: tuple[str, ...]) -> str:
    """The path of ``name`` on ``path`` (else on the default PATH) that the sandboxed script can
    reach and run: outside ``hidden``, and with ``others`` (it runs as a uid of its own) reachable
    by another uid.

    Remembered per PATH and hidden folders while it is still an executable file (a PATH walk with
    the reachability checks is ~0.1 ms a run, many times the check): which one is chosen only
    makes the message clearer when none fits, the sandbox itself decides what the script may run."""
    key = (name, path, others, hidden)
    known = _interpreters.get(key)
    if known is not None and os.path.isfile(known) and os.access(known, os.X_OK):
        return known
    found = which(name, path, for_others=others, hidden=hidden)
    if found is None and (others or hidden):
        found = which(name, DEFAULT_PATH, for_others=others, hidden=hidden)
    if found is None:
        where = " where the sandboxed script can run it" if (others or hidden) else ""
        raise SandboxError(f"{name} is not on the script's PATH ({path}){where}; install it")
    _interpreters[key] = found = os.path.abspath(found)
    return found
