"""``customsrc.fetch_many``: many sources at once, for a delegate-like service.

Bounded parallelism (threads waiting on script processes), each result yielded as it completes
and always tied to its source, a failing or hanging source isolated from the others, and
cancellation that kills every running script tree. Safe to call from several threads: each call
has its own pool and its own stop flag.
"""

from __future__ import annotations

import threading
from collections.abc import Iterable, Iterator, Mapping
from concurrent.futures import FIRST_COMPLETED, Future, ThreadPoolExecutor, wait

from .api import fetch_with
from .errors import Cancelled, CustomsrcError
from .masking import Masker
from .options import FetchOptions, merge
from .polite import Politeness, host_of
from .result import FetchResult, internal_error
from .spec import Source, load_source

TYPE_CHECKING = False
if TYPE_CHECKING:
    import os
    from typing import Any, NamedTuple, Union

    SourceRef = Union[Source, str, os.PathLike[str]]  # noqa: UP007 - evaluated only by the type checker
else:
    from .records import NamedTuple


class Outcome(NamedTuple):
    """One source's result, or its typed error (never both)."""

    position: int  # the position of the source in the input
    label: str  # the source file or identifier, for people
    result: FetchResult | None
    error: CustomsrcError | None

    @property
    def ok(self) -> bool:
        return self.error is None


def _label(item: Any) -> str:
    if isinstance(item, Source):
        return item.file or item.identifier
    return str(item)


def fetch_many(
    sources: Iterable[SourceRef | tuple[SourceRef, Mapping[str, Any]]],
    *,
    concurrency: int = 4,
    cancel: threading.Event | None = None,
    options: FetchOptions | None = None,
    polite: Politeness | None = None,
    dedupe: bool = False,
    **common: Any,
) -> Iterator[Outcome]:
    """Fetch every source, ``concurrency`` at a time, yielding each :class:`Outcome` as it completes.

    An item is a source (a loaded :class:`Source` or a path) or ``(source, kwargs)`` for options of
    its own; ``options`` (a :class:`FetchOptions`) and the ``common`` keyword arguments (those of
    :func:`customsrc.fetch`, which change it) go to every fetch. Options are checked once, before
    any source starts: a bad one raises :class:`UsageError` here. Setting ``cancel``, or
    closing the iterator early, kills every running script tree; sources not started yet come back
    as :class:`Cancelled`. ``polite`` (a :class:`customsrc.polite.Politeness`) holds fetches back per
    repository host (at once, rate, back-off after 429/503; a fetch it defers comes back as
    :class:`RateLimited`). With ``dedupe``, identical sources (the same script, mapping, inputs and
    secrets) are fetched once and the result shared, each under its own identifier.
    """
    if concurrency < 1:
        raise ValueError("concurrency must be at least 1")
    shared = merge(options, common)
    masker = Masker((shared.secrets or {}).values())
    stopped = threading.Event()

    def stop() -> bool:
        return stopped.is_set() or (cancel is not None and cancel.is_set())

    shared_runs: dict[str, Future[Outcome]] = {}
    shared_lock = threading.Lock()

    def one(index: int, item: Any) -> Outcome:
        # (source, options) pairs; a loaded Source is a tuple too (a NamedTuple), so test exactly
        source, own = item if type(item) is tuple else (item, {})
        label = _label(source)
        if stop():
            return Outcome(index, label, None, Cancelled("cancelled before it started"))
        try:
            settings = shared.replace(stop=stop, **own)
            if polite is None and not dedupe:
                return Outcome(index, label, fetch_with(source, settings), None)
            if not isinstance(source, Source):
                source = load_source(str(source), source_id=settings.source_id, allow_read=settings.allow_read)
            if dedupe:
                mine: Future[Outcome] = Future()
                key = _identity(source, settings)
                with shared_lock:
                    first = shared_runs.setdefault(key, mine)
                if first is not mine:
                    return _share(first.result(), index, label, source)
                try:
                    outcome = _fetch_politely(index, label, source, settings)
                except CustomsrcError as exc:  # deferred by its host (RateLimited)
                    outcome = Outcome(index, label, getattr(exc, "result", None), exc)
                except Exception as exc:  # whoever waits for this fetch must hear how it ended
                    outcome = Outcome(index, label, None, internal_error(exc, masker))
                except BaseException as exc:
                    mine.set_exception(exc)
                    raise
                mine.set_result(outcome)
                return outcome
            return _fetch_politely(index, label, source, settings)
        except CustomsrcError as exc:  # a bug comes as InternalError: it never takes the others down
            return Outcome(index, label, getattr(exc, "result", None), exc)
        except Exception as exc:  # a bug before the fetch started (fetch_with masks those after)
            return Outcome(index, label, None, internal_error(exc, masker))

    def _fetch_politely(index: int, label: str, source: Source, settings: FetchOptions) -> Outcome:
        host = host_of(source, settings.inputs) if polite is not None else None
        if polite is not None:
            polite.enter(host, stop)
        error: CustomsrcError | None = None
        try:
            return Outcome(index, label, fetch_with(source, settings), None)
        except CustomsrcError as exc:
            error = exc
            return Outcome(index, label, getattr(exc, "result", None), exc)
        finally:
            if polite is not None:
                polite.leave(host, error)

    items = list(sources)
    pool = ThreadPoolExecutor(max_workers=min(concurrency, max(len(items), 1)), thread_name_prefix="customsrc")
    pending: set[Future[Outcome]] = set()
    try:
        queue = iter(enumerate(items))
        for index, item in queue:  # start at most `concurrency` at once; submit more as they finish
            pending.add(pool.submit(one, index, item))
            if len(pending) >= concurrency:
                break
        while pending:
            done, pending = wait(pending, return_when=FIRST_COMPLETED)
            for future in done:
                for index, item in queue:
                    pending.add(pool.submit(one, index, item))
                    break
                yield future.result()
    finally:
        stopped.set()  # the caller stopped early (or something failed): kill what still runs
        pool.shutdown(wait=True, cancel_futures=True)


def _identity(source: Source, options: FetchOptions) -> str:
    """What makes two fetches the same: the script and its mapping, the inputs, the secrets (as a
    digest) and the choosing options; not the source's identifier or file."""
    import hashlib
    import json

    digest = hashlib.sha256()
    parts = [
        source.script,
        source.shell,
        [(v.name, v.type, v.value) for v in source.inputs],
        [source.version, source.version_regex, source.timeout, source.artifacts_array_path, source.version_path],
        list(source.attributes),
        source.payload_schema,
        source.template_variables,
        [
            options.inputs,
            options.secrets,
            options.expressions,
            options.version,
            options.version_regex,
            options.order,
            options.latest,
            options.semver,
            options.prereleases,
        ],
    ]
    digest.update(json.dumps(parts, sort_keys=True, default=str).encode("utf-8", "surrogatepass"))
    return digest.hexdigest()


def _share(first: Outcome, index: int, label: str, source: Source) -> Outcome:
    """The outcome of an identical source's fetch, as this source's own (its identifier in the
    expressions, a warning saying it was shared)."""
    from .expressions import artifact_expressions

    done = first.result
    result: FetchResult | None = None
    if done is not None:
        result = FetchResult(source)
        result.artifacts, result.selected, result.criterion = done.artifacts, done.selected, done.criterion
        result.run, result.timings, result.explain = done.run, done.timings, done.explain
        result.warnings = [*done.warnings, f"fetched once for identical sources: this result is {first.label}'s"]
        if result.selected is not None:
            result.expressions = artifact_expressions(
                result.selected, source.identifier, sidecar=source.role == "sidecar"
            )
    return Outcome(index, label, result, first.error)
