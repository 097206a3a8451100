"""Files a source names (``customsrc.scriptFile``, ``# customsrc:include``, ``customsrc.payloadSchema``):
read only from inside the source's folder, the gallery's scripts or ``--allow-read`` folders, never
through a link that leads out, and bounded like the source itself."""

from __future__ import annotations

import contextlib
import os
import re

from .errors import SourceError

TYPE_CHECKING = False
if TYPE_CHECKING:
    from typing import Any


def readable_roots(file: str | None, allow_read: tuple[str, ...]) -> tuple[str, ...]:
    """The folders a source may name files in: its own, the gallery's scripts, ``allow_read``."""
    from .resources import data_dir

    folder = os.path.dirname(os.path.abspath(file)) if file else os.getcwd()
    roots = [folder, *allow_read]
    with contextlib.suppress(FileNotFoundError):
        roots.append(data_dir("scripts"))
    if os.path.basename(folder) == "templates":
        # The gallery's layout, installed or in a checkout: templates/NAME.yaml names ../scripts/NAME.py.
        roots.append(os.path.join(os.path.dirname(folder), "scripts"))
    return tuple(os.path.realpath(r) for r in roots)


def confined_path(name: str, folder: str, roots: tuple[str, ...], what: str, where: str) -> str:
    """``name`` (relative to ``folder``) resolved, all links followed, when it lies inside one of
    ``roots``; else a SourceError naming ``--allow-read``."""
    target = os.path.realpath(os.path.join(folder, name))
    if not any(target == root or target.startswith(root.rstrip("/") + "/") for root in roots):
        raise SourceError(
            f"{where}: {what} {name!r} lies outside the source's folder; files a source names must be "
            "inside it (or the gallery's scripts/): allow another folder with --allow-read DIR"
        )
    return target


def read_confined(path: str, what: str, name: str, where: str, roots: tuple[str, ...] = ()) -> str:
    """The text of ``path``, opened without following a link and checked to be inside ``roots``."""
    try:
        fd = os.open(path, os.O_RDONLY | os.O_NOFOLLOW | os.O_CLOEXEC | os.O_NONBLOCK)
    except OSError as exc:
        raise SourceError(f"{where}: {what} {name!r}: cannot read: {exc.strerror}") from None
    # A folder on the way may have been swapped for a link since the check: ask what was opened.
    opened = os.path.realpath(f"/proc/self/fd/{fd}") if os.path.isdir("/proc/self/fd") else path
    if roots and not any(opened == r or opened.startswith(r.rstrip("/") + "/") for r in roots):
        os.close(fd)
        raise SourceError(f"{where}: {what} {name!r} lies outside the source's folder (it changed while read)")
    from .files import SOURCE_LIMIT, Unreadable, decode, read_fd

    try:
        return decode(read_fd(fd, SOURCE_LIMIT))
    except Unreadable as exc:
        raise SourceError(f"{where}: {what} {name!r}: {exc.reason}") from None
    finally:
        os.close(fd)


def payload_schema(value: Any, file: str | None, where: str, roots: tuple[str, ...]) -> dict[str, Any] | None:
    """``customsrc.payloadSchema`` (inline, or a JSON file beside the source), checked to be a schema."""
    if value is None:
        return None
    if isinstance(value, dict):
        return _checked_schema(value, "(inline)", where)
    import json

    base = os.path.dirname(file) if file else os.getcwd()
    path = confined_path(str(value), base, roots, "customsrc.payloadSchema", where)
    try:
        schema = json.loads(read_confined(path, "customsrc.payloadSchema", str(value), where, roots))
    except ValueError as exc:
        raise SourceError(f"{where}: customsrc.payloadSchema {value!r}: not JSON: {exc}") from None
    return _checked_schema(schema, repr(value), where)


def _checked_schema(schema: Any, name: str, where: str) -> dict[str, Any]:
    """A payload schema that is one (never quoted back: it may be large)."""
    if not isinstance(schema, dict):
        raise SourceError(f"{where}: customsrc.payloadSchema {name}: a JSON Schema must be an object")
    from jsonschema import Draft202012Validator, SchemaError, validators

    try:
        validators.validator_for(schema, default=Draft202012Validator).check_schema(schema)
    except SchemaError as exc:
        at = "/".join(str(p) for p in exc.path) or "the top"
        raise SourceError(
            f"{where}: customsrc.payloadSchema {name}: not a valid JSON Schema (at {at}, "
            f"{exc.validator} must be {exc.validator_value!r:.60})"
        ) from None
    return schema


INCLUDE = "# customsrc:include "
# A Python import line marked for inlining: ``from _http import get, fail  # customsrc:include``. The
# script runs and lints on its own (the import is real), and reaches Harness as one file.
IMPORT_INCLUDE = re.compile(r"^from\s+([A-Za-z_][A-Za-z0-9_]*)\s+import\s+[^#]*#\s*customsrc:include\s*$")


def _included_name(line: str) -> str | None:
    """The file a line includes: ``# customsrc:include FILE``, or MODULE.py for a marked import."""
    if line.startswith(INCLUDE):
        return line[len(INCLUDE) :].strip()
    if "customsrc:include" in line:
        match = IMPORT_INCLUDE.match(line.rstrip("\r\n"))
        if match:
            return match.group(1) + ".py"
    return None


def expand_includes(
    text: str,
    folder: str,
    where: str,
    seen: tuple[str, ...] = (),
    *,
    roots: tuple[str, ...] | None = None,
    done: set[str] | None = None,
) -> str:
    """Replace each include line of a script file with the file it names (relative to the script,
    inside the same folders a scriptFile may be in): ``# customsrc:include FILE``, or in Python
    ``from MODULE import NAMES  # customsrc:include`` (MODULE.py), so one copy of shared code serves
    every gallery script while each script still reaches Harness whole. Each file is inlined once;
    a later include of it is dropped, its names being defined already."""
    if roots is None:
        roots = (os.path.realpath(folder),)
    if "customsrc:include" not in text:
        return text
    done = set() if done is None else done
    lines = []
    continued = False  # inside the parentheses of a marked import spread over several lines
    for line in text.splitlines(keepends=True):
        if continued:
            continued = ")" not in line
            continue
        name = _included_name(line)
        if name is None:
            lines.append(line)
            continue
        continued = "(" in line and ")" not in line.split("#", 1)[0]
        path = confined_path(name, folder, roots, "include", where)
        if path in seen:
            raise SourceError(f"{where}: {name} includes itself")
        if path in done:
            continue
        done.add(path)
        included = read_confined(path, "include", name, where, roots)
        included = expand_includes(included, os.path.dirname(path), where, (*seen, path), roots=roots, done=done)
        lines.append(included if included.endswith("\n") else included + "\n")
    return "".join(lines)
