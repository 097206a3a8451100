"""What a fetch gives back (``FetchResult``), and masking it: the one place secrets are removed.

Everything a fetch returns or raises passes through :func:`masked` or :func:`masked_error`, so no
caller (the command line, ``fetch_many``, ``watch``) masks again. Choosing happened on the real
values, as on the delegate; only what leaves is masked.
"""

from __future__ import annotations

from .errors import CustomsrcError, InternalError
from .mapping import Artifact
from .masking import Masker

TYPE_CHECKING = False
if TYPE_CHECKING:
    from typing import Any

    from .choose import Criterion
    from .spec import Source


class RunInfo:
    """How the script ran (tails already masked)."""

    __slots__ = ("duration_ms", "exit_code", "ran", "stderr_tail", "stdout_tail", "timed_out")

    def __init__(self) -> None:
        self.exit_code: int | None = None
        self.duration_ms = 0.0
        self.timed_out = False
        self.ran = False
        self.stdout_tail = ""
        self.stderr_tail = ""

    def __repr__(self) -> str:
        return f"RunInfo(exit_code={self.exit_code}, duration_ms={self.duration_ms}, timed_out={self.timed_out})"


class FetchResult:
    """Everything one fetch produced (secrets already masked): the ``artifacts`` in Harness's
    order (or ``order``'s), the ``selected`` one, the ``criterion`` it was chosen by, every
    ``<+artifacts.primary.*>`` value in ``expressions``, ``warnings``, how the script ``run``,
    phase ``timings`` in ms, and ``explain`` when asked for."""

    __slots__ = ("artifacts", "criterion", "explain", "expressions", "run", "selected", "source", "timings", "warnings")

    def __init__(self, source: Source) -> None:
        self.source = source
        self.artifacts: list[Artifact] = []
        self.selected: Artifact | None = None
        self.criterion: Criterion | None = None
        self.expressions: dict[str, str] = {}
        self.warnings: list[str] = []
        self.run = RunInfo()
        self.timings: dict[str, float] = {}
        self.explain: dict[str, Any] | None = None  # filled when fetch(explain=True)

    def __repr__(self) -> str:
        chosen = self.selected.version if self.selected else None
        return f"FetchResult(source={self.source.identifier!r}, artifacts={len(self.artifacts)}, selected={chosen!r})"


def mask(result: FetchResult, masker: Masker) -> None:
    """Mask what the caller gets back: versions, metadata, expressions, warnings, output tails."""
    if not masker:
        return

    def masked(artifact: Artifact) -> Artifact:
        return Artifact(masker.text(artifact.version), masker.deep(artifact.metadata), artifact.position)

    result.artifacts = [masked(a) for a in result.artifacts]
    if result.selected is not None:
        result.selected = masked(result.selected)
    result.expressions = masker.deep(result.expressions)
    result.warnings = [masker.text(w) for w in result.warnings]
    result.run.stdout_tail = masker.text(result.run.stdout_tail)
    result.run.stderr_tail = masker.text(result.run.stderr_tail)
    if result.explain is not None:
        result.explain = masker.deep(result.explain)


def mask_error(exc: CustomsrcError, masker: Masker) -> None:
    """Mask an error's every message (a script's last line may quote a secret)."""
    exc.message = masker.text(exc.message)
    exc.cli_message = masker.text(exc.cli_message) if exc.cli_message else None
    exc.args = (exc.message,)
    if exc.harness_message:
        exc.harness_message = masker.text(exc.harness_message)


def internal_error(exc: Exception, masker: Masker) -> InternalError:
    """A bug, as a typed error whose message and traceback hold no secret."""
    import traceback

    details = masker.text("".join(traceback.format_exception(type(exc), exc, exc.__traceback__)))
    return InternalError(masker.text(f"internal error: {type(exc).__name__}: {exc}"), details=details)
