"""customsrc: run Harness CD custom artifact source scripts locally, exactly as a delegate would.

>>> import customsrc
>>> result = customsrc.fetch("source.yaml", inputs={"REPO": "releases"})  # doctest: +SKIP
>>> result.selected.version  # doctest: +SKIP

The module map: each stage of a fetch, in the order the data flows, is one module (the modules
in brackets serve it).

=========  ============  ====================================================================
stage      module        what it does
=========  ============  ====================================================================
load       spec          source file -> ``Source`` [documents, sourcefiles, schemacheck]
render     render        inputs, secrets, ``<+...>`` -> script and environment [expressions]
run        runner        the script in its sandbox -> exit, output, result file
                         [levels, sandbox, machine, spawn, workdir, cgroup, uidpool, paths]
read       payload       result file -> JSON value, as Jackson reads it [files, streamed: a big
                         one built a piece at a time, never holding all of its text]
validate   validate      Harness's rule, then the source's own ``payloadSchema``
map        mapping       JSON -> artifacts, as Jayway and the delegate map them [jsonpath,
                         pruned: bytes -> artifacts in one pass where the paths allow]
select     select        artifacts -> the chosen version and its expressions [choose, ordering,
                         javaregex]
output     output        result -> table, json, yaml, env [query]
=========  ============  ====================================================================

``api`` strings the stages together (``fetch``, ``replay``) with ``options`` (``FetchOptions``)
and ``result`` (``FetchResult``, and masking: the one place secrets are removed); ``many`` and
``watch`` build on ``fetch``; ``commands/`` is the command line, a thin layer over all of these;
``lint``, ``export``, ``firstgen``, ``scaffold``, ``gallery`` (and its static ``site``), ``doctor`` and
``delegate`` are the author's tools around it; ``polite`` and ``distributed`` serve watching at scale.
Imports go one way: no module imports one that imports it back.
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
