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
from .result import FetchResult, internal_error
from .spec import Source

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
    **common: Any,
) -> Iterator[Outcome]:
    """Fetch every source, ``concurrency`` at a time, yielding each :class:`Outcome` as it completes.

    An item is a source (a loaded :class:`Source` or a path) or ``(source, kwargs)`` for options of
    its own; ``options`` (a :class:`FetchOptions`) and the ``common`` keyword arguments (those of
    :func:`customsrc.fetch`, which change it) go to every fetch. Options are checked once, before
    any source starts: a bad one raises :class:`UsageError` here. Setting ``cancel``, or
    closing the iterator early, kills every running script tree; sources not started yet come back
    as :class:`Cancelled`.
    """
    if concurrency < 1:
        raise ValueError("concurrency must be at least 1")
    shared = merge(options, common)
    masker = Masker((shared.secrets or {}).values())
    stopped = threading.Event()

    def stop() -> bool:
        return stopped.is_set() or (cancel is not None and cancel.is_set())

    def one(index: int, item: Any) -> Outcome:
        # (source, options) pairs; a loaded Source is a tuple too (a NamedTuple), so test exactly
        source, own = item if type(item) is tuple else (item, {})
        label = _label(source)
        if stop():
            return Outcome(index, label, None, Cancelled("cancelled before it started"))
        try:
            return Outcome(index, label, fetch_with(source, shared.replace(stop=stop, **own)), None)
        except CustomsrcError as exc:  # a bug comes as InternalError: it never takes the others down
            return Outcome(index, label, getattr(exc, "result", None), exc)
        except Exception as exc:  # a bug before the fetch started (fetch_with masks those after)
            return Outcome(index, label, None, internal_error(exc, masker))

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
