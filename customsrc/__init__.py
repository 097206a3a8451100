"""customsrc: run Harness CD custom artifact source scripts locally, exactly as a delegate would.

>>> import customsrc
>>> result = customsrc.fetch("source.yaml", inputs={"REPO": "releases"})  # doctest: +SKIP
>>> result.selected.version  # doctest: +SKIP
"""

from __future__ import annotations

from .api import fetch, fetch_with, replay
from .errors import (
    Cancelled,
    CustomsrcError,
    ExpressionError,
    InputError,
    InternalError,
    NoMatchingVersion,
    ResultError,
    SandboxError,
    ScriptFailed,
    ScriptTimeout,
    SecretError,
    SourceError,
    UsageError,
)
from .mapping import Artifact
from .options import FetchOptions
from .result import FetchResult, RunInfo
from .spec import Source, load_source

__version__ = "0.1.0"

__all__ = [
    "Artifact",
    "Cancelled",
    "CustomsrcError",
    "ExpressionError",
    "FetchOptions",
    "FetchResult",
    "InputError",
    "InternalError",
    "NoMatchingVersion",
    "Outcome",
    "ResultError",
    "RunInfo",
    "SandboxError",
    "ScriptFailed",
    "ScriptTimeout",
    "SecretError",
    "Source",
    "SourceError",
    "UsageError",
    "__version__",
    "fetch",
    "fetch_many",
    "fetch_with",
    "load_source",
    "replay",
]


TYPE_CHECKING = False
if TYPE_CHECKING:
    from .many import Outcome, fetch_many


def __getattr__(name: str) -> object:
    """``fetch_many`` and ``Outcome`` load on first use: concurrent.futures (and the logging it
    imports) costs ~10 ms, which a single run should not pay."""
    if name in ("fetch_many", "Outcome"):
        from . import many

        return getattr(many, name)
    raise AttributeError(f"module 'customsrc' has no attribute {name!r}")
