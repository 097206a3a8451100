"""The commands of Harness's stock delegate image, for ``--tools delegate``, ``lint`` and the
gallery's guards.

The list lives in one data file (``delegate-tools.json``: where it was read from, and when). With
``--tools delegate`` a script's ``PATH`` is a folder of links to exactly those commands (the ones
this machine has), so ``jq: command not found`` happens here as it would on the delegate.
"""

from __future__ import annotations

import json
import os
from functools import cache

TYPE_CHECKING = False
if TYPE_CHECKING:
    from typing import Any

TOOLS = ("host", "delegate")
INIT_SCRIPT_DEFAULT = "microdnf install -y {name}"


@cache
def profile() -> dict[str, Any]:
    """The commands of Harness's stock delegate image (delegate-tools.json), read once."""
    path = os.path.join(os.path.dirname(os.path.abspath(__file__)), "delegate-tools.json")
    with open(path, encoding="utf-8") as handle:
        data: dict[str, Any] = json.load(handle)
    return data


@cache
def commands() -> frozenset[str]:
    """Every command on the stock delegate's PATH."""
    return frozenset(name for names in profile()["packages"].values() for name in names)


def missing(requires: tuple[str, ...], shell: str) -> tuple[str, ...]:
    """What a source needs that the stock image lacks: its declared ``requires``, and python3
    for a python source (the delegate runs it as ``python3 - <<EOF`` from Bash)."""
    needs = [*requires] if shell != "python" or "python3" in requires else ["python3", *requires]
    return tuple(n for n in needs if n not in commands())


def install_line(name: str) -> str:
    """The delegate ``INIT_SCRIPT`` line that provides ``name`` (Harness's own advice for jq)."""
    hint: str = profile()["install"].get(name, INIT_SCRIPT_DEFAULT.format(name=name))
    return hint


def missing_message(name: str) -> str:
    """What to do about ``name``, a command the stock delegate image does not have."""
    return f"{name} is not on the stock Harness delegate image; add to the delegate INIT_SCRIPT: {install_line(name)}"


def guard(requires: tuple[str, ...]) -> str:
    """Bash lines that stop a script at once, in one clear line, on a delegate without what it needs
    (instead of Harness's bare "No Artifact found")."""
    lines = []
    for name in requires:
        message = "customsrc: " + missing_message(name)
        quoted = "'" + message.replace("'", "'\\''") + "'"
        lines.append(f"command -v {name} >/dev/null 2>&1 || {{ echo {quoted} >&2; exit 127; }}")
    return "".join(line + "\n" for line in lines)


@cache
def links(path: str) -> dict[str, str]:
    """name -> this machine's executable, for each delegate command found on ``path`` (looked up
    once per process and PATH: every run under --tools delegate links the same set)."""
    found: dict[str, str] = {}
    folders = [f for f in path.split(os.pathsep) if f]
    for name in sorted(commands()):
        for folder in folders:
            candidate = os.path.join(folder, name)
            if os.path.isfile(candidate) and os.access(candidate, os.X_OK):
                found[name] = os.path.realpath(candidate)
                break
    return found


def make_folder(dir_fd: int, name: str, path: str) -> None:
    """Create ``name`` under ``dir_fd`` (0755) holding a link per delegate command found on ``path``."""
    os.mkdir(name, 0o755, dir_fd=dir_fd)
    folder = os.open(name, os.O_RDONLY | os.O_DIRECTORY | os.O_NOFOLLOW | os.O_CLOEXEC, dir_fd=dir_fd)
    try:
        os.fchmod(folder, 0o755)
        for command, target in links(path).items():
            os.symlink(target, command, dir_fd=folder)
    finally:
        os.close(folder)
