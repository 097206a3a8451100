"""``FetchOptions``: everything one fetch is told besides its source, built and checked once.

The command line builds one from its flags (``commands/options.py``), :func:`customsrc.fetch` from
its keyword arguments; ``fetch_many`` and ``watch`` pass the same record down to every fetch, with
``replace()`` for what differs per source. Every layer below reads typed fields, never a dict.
"""

from __future__ import annotations

import os
from collections.abc import Callable, Mapping

from .delegate import TOOLS
from .errors import UsageError
from .payload import DEFAULT_MAX_RESULT_SIZE
from .sandbox import LEVEL_NAMES, NETWORKS, Limits, Settings, limit_problem

TYPE_CHECKING = False
if TYPE_CHECKING:
    from typing import Any, NamedTuple

    from .runner import OutputCallback
    from .spec import Source
else:
    from .records import NamedTuple

HARNESS_PIPELINE_TIMEOUT = 180.0  # what a Harness pipeline enforces on the fetch task
HARNESS_UI_TIMEOUT = 30.0  # what the UI's "list versions" call allows


class FetchOptions(NamedTuple):
    """The options of :func:`customsrc.fetch` (see its docstring for each one), as one record."""

    source_id: str | None = None
    inputs: Mapping[str, str] | None = None
    secrets: Mapping[str, str] | None = None
    expressions: Mapping[str, str] | None = None
    version: str | None = None
    version_regex: str | None = None
    timeout: float | str | None = None
    on_output: OutputCallback | None = None
    environ: Mapping[str, str] | None = None
    max_result_size: int = DEFAULT_MAX_RESULT_SIZE
    sandbox: str | None = None
    network: str = "host"
    pass_env: tuple[str, ...] = ()
    limits: Limits | None = None
    allow_read: tuple[str, ...] = ()
    hide: tuple[str, ...] = ()
    tools: str = "host"
    order: str | None = None
    latest: bool = False
    semver: str | None = None
    prereleases: bool = False
    explain: bool = False
    tmpdir: str | None = None
    stop: Callable[[], bool] | None = None
    save_payload: str | None = None

    def check(self) -> FetchOptions:
        """The same options, checked (a :class:`UsageError` names the first bad one); folder
        lists become tuples of real paths."""
        if self.sandbox is not None and self.sandbox not in LEVEL_NAMES:
            raise UsageError(f"sandbox: unknown level {self.sandbox!r}; use {', '.join(LEVEL_NAMES)}")
        if self.network not in NETWORKS:
            raise UsageError(f"network: unknown mode {self.network!r}; use {', '.join(NETWORKS)}")
        if self.tools not in TOOLS:
            raise UsageError(f"tools: unknown profile {self.tools!r}; use {', '.join(TOOLS)}")
        problem = limit_problem(self.limits) if self.limits is not None else None
        if problem is not None:
            raise UsageError(f"limits.{problem[0]} {problem[1]}")
        return self._replace(
            pass_env=tuple(self.pass_env),
            allow_read=tuple(os.path.realpath(folder) for folder in self.allow_read),
            hide=tuple(os.path.realpath(folder) for folder in self.hide),
        )

    def replace(self, **changes: Any) -> FetchOptions:
        """A copy with ``changes`` (fetch keyword names), checked; an unknown name is a UsageError."""
        unknown = sorted(set(changes) - set(self._fields))
        if unknown:
            raise UsageError(f"unknown fetch option(s): {', '.join(unknown)}; use {', '.join(self._fields)}")
        return self._replace(**changes).check()

    def settings(self, source: Source) -> Settings:
        """The sandbox settings of a run of ``source``: its own folder is hidden from the script."""
        private = (os.path.dirname(os.path.realpath(source.file)),) if source.file else ()
        return Settings(
            self.sandbox or "basic",
            self.network,
            self.pass_env,
            self.limits or Limits(),
            self.sandbox is not None,
            self.allow_read,
            private + self.hide,
            self.tools,
        )

    def seconds(self, source: Source, warnings: list[str]) -> float:
        """The run's timeout: the option, else ``spec.timeout``, else what a pipeline allows."""
        from .units import parse_duration

        if self.timeout is not None:
            try:
                timeout = self.timeout
                return timeout if isinstance(timeout, (int, float)) else parse_duration(timeout)
            except ValueError as exc:
                raise UsageError(f"timeout: {exc}", cli_message=f"--timeout: {exc}") from None
        if source.timeout and "<+" not in source.timeout:
            try:
                seconds = parse_duration(source.timeout)
            except ValueError as exc:
                raise UsageError(f"spec.timeout: {exc}") from None
            if seconds > HARNESS_PIPELINE_TIMEOUT:
                warnings.append(
                    f"spec.timeout is {source.timeout}, but a Harness pipeline stops the fetch after 3 minutes "
                    "(30 seconds when the UI lists versions)"
                )
            return seconds
        return HARNESS_PIPELINE_TIMEOUT


def merge(options: FetchOptions | None, changes: Mapping[str, Any]) -> FetchOptions:
    """``options`` (default: the defaults) with keyword ``changes``, checked."""
    return (options if options is not None else FetchOptions()).replace(**changes)
