"""Units on the command line and in YAML: Harness durations (``30s``, ``2m 30s``) and sizes (``512M``)."""

from __future__ import annotations

import re

_UNITS = {"ms": 0.001, "s": 1.0, "m": 60.0, "h": 3600.0, "d": 86400.0, "w": 604800.0}
_PART = r"\s*(\d+(?:\.\d+)?)\s*(ms|s|m|h|d|w)\s*"  # compiled on first use (re caches it)


def parse_duration(text: str) -> float:
    """Return seconds for a Harness duration string; raise ValueError on anything else."""
    text = text.strip()
    if not text:
        raise ValueError("empty duration")
    pos = 0
    total = 0.0
    while pos < len(text):
        match = re.compile(_PART).match(text, pos)
        if not match or match.end() == pos:
            raise ValueError(f"not a duration: {text!r} (use e.g. 30s, 2m, 2m 30s, 1h)")
        total += float(match.group(1)) * _UNITS[match.group(2)]
        pos = match.end()
    if total <= 0:
        raise ValueError(f"duration must be positive: {text!r}")
    if total > MAX_DURATION:
        raise ValueError(f"duration longer than a year: {text!r}")
    return total


MAX_DURATION = 365 * 86400.0  # beyond this a timer is a typo, and the system's clocks overflow


_SIZE = r"^\s*(\d+)\s*([KMGT]?)(i?B?)?\s*$"
_SIZE_UNITS = {"": 1, "K": 1024, "M": 1024**2, "G": 1024**3, "T": 1024**4}


def parse_size(text: str) -> int:
    """Bytes for ``1048576``, ``512K``, ``512M``, ``1G`` (binary units); ValueError otherwise."""
    match = re.match(_SIZE, text, re.IGNORECASE)
    if not match:
        raise ValueError(f"not a size: {text!r} (use e.g. 512M, 1G or a number of bytes)")
    return int(match.group(1)) * _SIZE_UNITS[match.group(2).upper()]
