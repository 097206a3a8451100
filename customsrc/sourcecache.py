"""A cache of parsed, validated source files, so a repeated run of an unchanged file skips
importing PyYAML (~20 ms here) and re-validating it: the script author's edit-run loop.

An entry holds the file's full text and is used only when the text is identical, so a stale or
colliding entry can never be served. Entries are written atomically; any failure to read or write
the cache is ignored (the file is simply parsed). The CLI uses ``$CUSTOMSRC_CACHE_DIR``, else
``$XDG_CACHE_HOME/customsrc``, else ``~/.cache/customsrc``; ``CUSTOMSRC_NO_CACHE=1`` turns it off.
The library never caches unless given a directory.
"""

from __future__ import annotations

import json
import os
import zlib

TYPE_CHECKING = False
if TYPE_CHECKING:
    from collections.abc import Mapping
    from typing import Any

FORMAT = 1


def default_dir(environ: Mapping[str, str]) -> str | None:
    if environ.get("CUSTOMSRC_NO_CACHE"):
        return None
    if environ.get("CUSTOMSRC_CACHE_DIR"):
        return environ["CUSTOMSRC_CACHE_DIR"]
    base = environ.get("XDG_CACHE_HOME") or os.path.join(os.path.expanduser("~"), ".cache")
    return os.path.join(base, "customsrc")


def _stamp() -> str:
    """What makes an entry valid beyond the text: our version and the validator we used."""
    from . import __version__

    here = os.path.dirname(os.path.abspath(__file__))
    try:
        validator = os.stat(os.path.join(here, "_source_validator.py"))
        return f"{__version__}:{FORMAT}:{validator.st_size}:{validator.st_mtime_ns}"
    except OSError:
        return f"{__version__}:{FORMAT}"


def _entry_path(cache_dir: str, text: str) -> str:
    data = text.encode("utf-8", "surrogatepass")
    return os.path.join(cache_dir, "sources", f"{zlib.crc32(data):08x}-{len(data)}.json")


def get(cache_dir: str, text: str) -> Any:
    """The cached document for exactly this text, or None."""
    try:
        with open(_entry_path(cache_dir, text), encoding="utf-8") as handle:
            entry = json.load(handle)
    except (OSError, ValueError):
        return None
    if not isinstance(entry, dict) or entry.get("text") != text or entry.get("stamp") != _stamp():
        return None
    return entry.get("document")


def put(cache_dir: str, text: str, document: Any) -> None:
    """Remember a validated document (best effort, atomic)."""
    path = _entry_path(cache_dir, text)
    try:
        os.makedirs(os.path.dirname(path), mode=0o700, exist_ok=True)
        tmp = f"{path}.{os.getpid()}.tmp"
        with open(tmp, "w", encoding="utf-8") as handle:
            json.dump({"stamp": _stamp(), "text": text, "document": document}, handle)
        os.replace(tmp, path)
    except (OSError, TypeError, ValueError):
        return
