"""Where bundled data lives: ``customsrc/_data/`` in an installed wheel, the repository root in a
checkout (``schemas/``, ``scripts/``, ``templates/``)."""

from __future__ import annotations

import json
import os
from functools import cache

TYPE_CHECKING = False
if TYPE_CHECKING:
    from typing import Any

_PACKAGE = os.path.dirname(os.path.abspath(__file__))


@cache
def data_dir(name: str) -> str:
    """The folder ``name`` (schemas, scripts or templates), installed or in a checkout."""
    for candidate in (os.path.join(_PACKAGE, "_data", name), os.path.join(os.path.dirname(_PACKAGE), name)):
        if os.path.isdir(candidate):
            return candidate
    raise FileNotFoundError(f"customsrc data folder {name!r} is missing from this installation")


@cache
def load_schema(name: str) -> dict[str, Any]:
    """A bundled JSON Schema by file name, e.g. ``source.schema.json``."""
    with open(os.path.join(data_dir("schemas"), name), encoding="utf-8") as handle:
        schema: dict[str, Any] = json.load(handle)
    return schema
