"""Where bundled data lives: ``customsrc/_data/`` in an installed wheel, the repository root in a
checkout (``schemas/``, ``scripts/``, ``templates/``)."""

from __future__ import annotations

import json
from functools import cache
from pathlib import Path
from typing import Any

_PACKAGE = Path(__file__).resolve().parent


@cache
def data_dir(name: str) -> Path:
    """The folder ``name`` (schemas, scripts or templates), installed or in a checkout."""
    for candidate in (_PACKAGE / "_data" / name, _PACKAGE.parent / name):
        if candidate.is_dir():
            return candidate
    raise FileNotFoundError(f"customsrc data folder {name!r} is missing from this installation")


@cache
def load_schema(name: str) -> dict[str, Any]:
    """A bundled JSON Schema by file name, e.g. ``source.schema.json``."""
    with open(data_dir("schemas") / name, encoding="utf-8") as handle:
        schema: dict[str, Any] = json.load(handle)
    return schema
