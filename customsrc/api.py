"""``customsrc.fetch``: the one call the CLI makes, fit to embed.

No global state, nothing printed, nothing exits: a typed ``FetchResult`` or a typed
``CustomsrcError`` (whose ``result`` holds what was known when it failed).
"""

from __future__ import annotations

import os
import re
import time
from collections.abc import Callable, Mapping, Sequence

from . import delegate
from .choose import Criterion, choose, criterion_for
from .delegate import TOOLS
from .errors import Cancelled, CustomsrcError, ResultError, ScriptFailed, ScriptTimeout, UsageError
from .expressions import artifact_expressions
from .mapping import Artifact
from .mapping import Mapping as PathMapping
from .masking import Masker
from .payload import DEFAULT_MAX_RESULT_SIZE, Payload, parse_payload, read_payload, read_result_bytes
from .render import render_source
from .runner import OutputCallback, RunOutcome, run_script
from .sandbox import LEVEL_NAMES, NETWORKS, Limits, Settings, limit_problem
from .spec import Source, load_source
from .units import parse_duration

TYPE_CHECKING = False
if TYPE_CHECKING:
    from typing import Any, NamedTuple

    from .ordering import Order, Range
else:
    from .records import NamedTuple

HARNESS_PIPELINE_TIMEOUT = 180.0  # what a Harness pipeline enforces on the fetch task
HARNESS_UI_TIMEOUT = 30.0  # what the UI's "list versions" call allows


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
    """Everything one fetch produced (secrets already masked in the script's output)."""

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


def _timeout_for(source: Source, timeout: float | str | None, warnings: list[str]) -> float:
    if timeout is not None:
        try:
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


def fetch(
    source: Source | str | os.PathLike[str],
    *,
    source_id: str | None = None,
    inputs: Mapping[str, str] | None = None,
    secrets: Mapping[str, str] | None = None,
    expressions: Mapping[str, str] | None = None,
    version: str | None = None,
    version_regex: str | None = None,
    timeout: float | str | None = None,
    on_output: OutputCallback | None = None,
    environ: Mapping[str, str] | None = None,
    max_result_size: int = DEFAULT_MAX_RESULT_SIZE,
    sandbox: str | None = None,
    network: str = "host",
    pass_env: Sequence[str] = (),
    limits: Limits | None = None,
    allow_read: Sequence[str] = (),
    hide: Sequence[str] = (),
    tools: str = "host",
    order: str | None = None,
    latest: bool = False,
    semver: str | None = None,
    prereleases: bool = False,
    explain: bool = False,
    tmpdir: str | None = None,
    stop: Callable[[], bool] | None = None,
    save_payload: str | None = None,
) -> FetchResult:
    """Run one custom artifact source as a Harness delegate would and map its result.

    ``source`` is a loaded :class:`Source` or a path to a source file. ``environ`` is the
    environment the allow-list is taken from (default: this process's). ``sandbox`` is ``off``,
    ``basic`` or ``strict``; ``network`` is ``host`` or ``none``; ``pass_env`` names extra caller
    variables the script may see; ``limits`` overrides the resource limits. Beyond Harness:
    ``order`` sorts the artifacts (see :mod:`customsrc.ordering`), ``semver`` keeps a range,
    ``latest`` chooses the highest; a choice that differs from Harness's comes with a warning.
    ``explain`` fills ``result.explain``: the rendered script (masked), the variable names the
    script got, phase timings, the payload's first bytes and a decision for every item. ``stop``
    is polled while the script runs: when it returns True the whole tree is killed (``Cancelled``).
    ``sandbox`` left None means ``basic`` with a warning for any guarantee this machine cannot
    give; named, such a loss raises :class:`SandboxError` instead. ``tools="delegate"`` gives the
    script only the commands of Harness's stock delegate image (:mod:`customsrc.delegate`), so a
    missing ``jq`` fails here as there. ``allow_read`` names folders
    the script may read (shown read-only in the sandbox) and the source may name files in;
    ``hide`` names more folders it must not see (a secrets file's, other sources' in a batch).
    Raises a
    :class:`CustomsrcError` subclass; its ``result`` attribute holds the partial result.
    """
    if sandbox is not None and sandbox not in LEVEL_NAMES:
        raise UsageError(f"sandbox: unknown level {sandbox!r}; use {', '.join(LEVEL_NAMES)}")
    if network not in NETWORKS:
        raise UsageError(f"network: unknown mode {network!r}; use {', '.join(NETWORKS)}")
    if tools not in TOOLS:
        raise UsageError(f"tools: unknown profile {tools!r}; use {', '.join(TOOLS)}")
    problem = limit_problem(limits) if limits is not None else None
    if problem is not None:
        raise UsageError(f"limits.{problem[0]} {problem[1]}")
    readable = tuple(os.path.realpath(folder) for folder in allow_read)
    prefs = _preferences(order, latest, semver, prereleases)
    if explain:
        result_explain: dict[str, Any] | None = {}
    else:
        result_explain = None
    if not isinstance(source, Source):
        source = load_source(str(source), source_id=source_id, allow_read=readable)
    private: tuple[str, ...] = (os.path.dirname(os.path.realpath(source.file)),) if source.file else ()
    private += tuple(os.path.realpath(folder) for folder in hide)
    settings = Settings(
        sandbox or "basic", network, tuple(pass_env), limits or Limits(), sandbox is not None, readable, private, tools
    )
    result = FetchResult(source=source)
    result.explain = result_explain
    masker = _masker_for(secrets)
    if masker.short():
        result.warnings.append(
            f"{len(masker.short())} secret(s) shorter than 4 characters: too short to mask safely, they are "
            "masked wherever they appear, ordinary text (versions) included"
        )
    timings = result.timings
    try:
        _fetch_into(
            result,
            inputs,
            secrets,
            expressions,
            version,
            version_regex,
            timeout,
            on_output,
            environ,
            max_result_size,
            settings,
            tmpdir,
            masker,
            prefs,
            stop,
            save_payload,
        )
    except CustomsrcError as exc:
        _mask_result(result, masker)
        exc.message = masker.text(exc.message)
        exc.cli_message = masker.text(exc.cli_message) if exc.cli_message else None
        exc.args = (exc.message,)
        if exc.harness_message:
            exc.harness_message = masker.text(exc.harness_message)
        exc.result = result  # type: ignore[attr-defined]
        raise
    finally:
        timings.setdefault("total", sum(timings.values()))
    _mask_result(result, masker)
    return result


def _masker_for(secrets: Mapping[str, str] | None) -> Masker:
    """Every value that must never come back: all supplied secrets, used or not. (A ``Secret``
    input's value is a secret's name, as in Harness; the value it resolves to is one of these.)"""
    return Masker(list((secrets or {}).values()))


def _mask_result(result: FetchResult, masker: Masker) -> None:
    """Mask what the caller gets back: versions, metadata, expressions, warnings, output tails.
    (Choosing happened on the real values, as on the delegate.)"""
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


class _GCPaused:
    """Pause the cyclic garbage collector while a payload is parsed and mapped.

    A large payload is a million fresh, acyclic dicts and lists; Python 3.11's collector would
    rescan them again and again (here it doubled the mapping time of 100,000 items). The
    previous state is restored afterwards; another thread meanwhile only collects later.
    """

    def __enter__(self) -> None:
        import gc

        self.was_enabled = gc.isenabled()
        gc.disable()

    def __exit__(self, *_: object) -> None:
        if self.was_enabled:
            import gc

            gc.enable()


def _phase(timings: dict[str, float], name: str, started: float) -> float:
    now = time.perf_counter()
    timings[name] = (now - started) * 1000
    return now


def _fetch_into(
    result: FetchResult,
    inputs: Mapping[str, str] | None,
    secrets: Mapping[str, str] | None,
    expressions: Mapping[str, str] | None,
    version: str | None,
    version_regex: str | None,
    timeout: float | str | None,
    on_output: OutputCallback | None,
    environ: Mapping[str, str] | None,
    max_result_size: int,
    settings: Settings,
    tmpdir: str | None,
    supplied: Masker,
    prefs: Preferences,
    stop: Callable[[], bool] | None = None,
    save_payload: str | None = None,
) -> None:
    source = result.source
    t = time.perf_counter()
    seconds = _timeout_for(source, timeout, result.warnings)
    criterion = criterion_for(
        source.version, source.version_regex, override_version=version, override_regex=version_regex
    )
    criterion = criterion._replace(deadline=time.monotonic() + seconds)  # choosing ends with the run's time
    result.criterion = criterion
    rendered = render_source(source, inputs=inputs, secrets=secrets, expressions=expressions)
    masker = Masker([*supplied.secrets, *rendered.secret_values])
    t = _phase(result.timings, "render", t)
    if result.explain is not None:
        result.explain.update(
            script=masker.text(rendered.script), shell=source.shell, sandbox=settings.level, network=settings.network
        )

    if not source.has_script:
        # Harness: no script means a manually entered version; nothing runs.
        if criterion.kind == "none":
            said = f"source {source.identifier!r} has no script and its version is a runtime input"
            raise UsageError(f"{said}; pass version=", cli_message=f"{said}; pass --version VALUE")
        if criterion.kind == "regex":
            said = (
                f"source {source.identifier!r} has no script, so there is nothing to match {criterion.value!r} against"
            )
            raise UsageError(f"{said}; pass version=", cli_message=f"{said}; pass --version VALUE")
        result.artifacts = [Artifact(criterion.value, {}, 0)]
        result.warnings.append("no script: the version is used as given (Harness: manually entered version)")
        _select(result, criterion, prefs)
        return

    mapping = PathMapping(source.artifacts_array_path or "", source.version_path or "", source.attributes)

    read_ms: list[float] = []

    def read(path: str, outcome: RunOutcome) -> Payload | None:
        # Harness only reads the file after a zero exit; so do we.
        if outcome.exit_code != 0:
            return None
        started = time.perf_counter()
        try:
            if save_payload is None:
                with _GCPaused():
                    return read_payload(path, max_result_size)
            data = read_result_bytes(path, max_result_size)
            _save(save_payload, data, masker, result.warnings)
            with _GCPaused():
                return parse_payload(data)
        finally:
            read_ms.append((time.perf_counter() - started) * 1000)

    outcome, payload = run_script(
        rendered.script,
        shell=source.shell,
        inputs=rendered.env,
        timeout=seconds,
        read_result=read,
        masker=masker,
        on_output=on_output,
        environ=environ,
        settings=settings,
        tmpdir=tmpdir,
        stop=stop,
    )
    result.warnings.extend(f"sandbox: {w}" for w in outcome.warnings)
    run = result.run
    run.ran = True
    run.exit_code = outcome.exit_code
    run.duration_ms = round(outcome.duration * 1000, 1)
    run.timed_out = outcome.timed_out
    run.stdout_tail = outcome.stdout_tail.decode("utf-8", "replace")
    run.stderr_tail = outcome.stderr_tail.decode("utf-8", "replace")
    t = _phase(result.timings, "run", t)
    if read_ms:
        result.timings["read"] = read_ms[0]
        result.timings["run"] -= read_ms[0]
    if result.explain is not None:
        result.explain["environment"] = list(outcome.env_names)
        if payload is not None:
            preview = masker.for_payload()  # the payload as written: escaped or UTF-16 forms too
            result.explain["payload_head"] = preview.text(payload.head.decode("utf-8", "replace"))
            result.explain["payload_bytes"] = payload.size
    if outcome.cancelled:
        raise Cancelled("cancelled by the caller; the script's whole process tree was killed")
    if outcome.timed_out:
        raise ScriptTimeout(
            f"the script ran past its {seconds:g}s timeout; its whole process tree was killed",
            harness_message="No Artifact found in HARNESS_ARTIFACT_RESULT_PATH",
        )
    if outcome.exit_code != 0:
        last = _last_line(run.stderr_tail) or _last_line(run.stdout_tail)
        missing = None
        if outcome.exit_code == 127:  # the missing command says more than what failed after it (a pipe)
            lines = reversed(run.stderr_tail.splitlines())
            missing = next((m for m in map(_NOT_FOUND.search, lines) if m), None)
            last = missing.string.strip() if missing else last
        said = f": {masker.text(last)}" if last else ""
        if outcome.out_of_memory:
            said += (
                f" (the run reached its memory limit, {settings.limits.memory} bytes: raise limits.memory, --memory)"
            )
        if missing and settings.tools == "delegate":
            said += f" ({delegate.missing_message(missing.group(1))})"
        raise ScriptFailed(
            f"the script exited with code {outcome.exit_code}{said}",
            harness_message="No Artifact found in HARNESS_ARTIFACT_RESULT_PATH",
        )
    assert payload is not None
    result.warnings.extend(payload.warnings)
    _check_payload(source, payload.value)
    t = _phase(result.timings, "validate", t)
    with _GCPaused():
        mapped = mapping.apply(payload.value)
    result.artifacts = mapped.artifacts
    result.warnings.extend(mapped.warnings)
    t = _phase(result.timings, "map", t)
    listed = list(result.artifacts)
    try:
        _select(result, criterion, prefs)
    finally:  # a version that matched nothing is when the decision for every item matters most
        _phase(result.timings, "select", t)
        if result.explain is not None:
            from .explain import decisions

            result.explain["items"] = decisions(listed, result, mapped, criterion, prefs)


def _save(path: str, data: bytes, masker: Masker, warnings: list[str]) -> None:
    """The result file as the script wrote it, for ``replay`` and ``init``'s test; any secret in it is
    masked (a recorded payload tends to be committed)."""
    masked = masker.for_payload().data(data) if masker else data
    if masked != data:
        warnings.append(f"the saved payload held secret values: they are masked in {path}")
    try:
        with open(path, "wb") as handle:
            handle.write(masked)
    except OSError as exc:
        raise UsageError(
            f"save_payload {path}: cannot write: {exc.strerror}",
            cli_message=(f"--save-payload {path}: cannot write: {exc.strerror}"),
        ) from None


_NOT_FOUND = re.compile(r"([\w.+-]+): command not found")


def _last_line(text: str) -> str:
    lines = [line.strip() for line in text.strip().splitlines() if line.strip()]
    return lines[-1][:300] if lines else ""


def _check_payload(source: Source, value: Any) -> None:
    from .schemacheck import instance_errors, payload_errors

    problem = payload_errors(value)
    if problem:
        raise ResultError(
            f"the result is not an object or array{problem}",
            reason="the script output is not a JSON object or array",
            kind="schema",
        )
    if source.payload_schema is not None:
        try:
            problem = instance_errors(source.payload_schema, value, prefix=())
        except RecursionError:
            raise ResultError("the result is nested too deeply to check against its schema", kind="schema") from None
        if problem:
            raise ResultError(
                f"the result does not match the source's payload schema: payload{problem}",
                kind="schema",
            )


class Preferences(NamedTuple):
    """Choosing beyond Harness (all off: exactly Harness)."""

    order: Order | None = None
    latest: bool = False
    semver_range: Range | None = None

    @property
    def active(self) -> bool:
        return self.order is not None or self.latest or self.semver_range is not None


def _preferences(order: str | None, latest: bool, semver: str | None, prereleases: bool) -> Preferences:
    if order is None and not latest and semver is None:
        return Preferences()
    from .ordering import parse_order, parse_range

    parsed = parse_order(order) if order else None
    semver_range = parse_range(semver, allow_pre=prereleases) if semver else None
    return Preferences(parsed, latest, semver_range)


def _select(result: FetchResult, criterion: Criterion, prefs: Preferences) -> None:
    if not prefs.active:
        chosen = choose(result.artifacts, criterion)
    else:
        chosen = _select_beyond_harness(result, criterion, prefs)
    result.selected = chosen
    if chosen is not None:
        result.expressions = artifact_expressions(
            chosen, result.source.identifier, sidecar=result.source.role == "sidecar"
        )


def _select_beyond_harness(result: FetchResult, criterion: Criterion, prefs: Preferences) -> Artifact | None:
    """Filter by range, sort, choose; say so when Harness would have chosen otherwise."""
    from .errors import NoMatchingVersion
    from .ordering import Order, in_range, ordered

    try:
        harness = choose(result.artifacts, criterion)
    except NoMatchingVersion:
        harness = None
    candidates = result.artifacts
    how = []
    if prefs.semver_range is not None:
        candidates = in_range(candidates, prefs.semver_range)
        how.append(f"in semver range {prefs.semver_range.text!r}")
    order = prefs.order or (Order("semver" if prefs.semver_range else "natural", True) if prefs.latest else None)
    if order is not None:
        candidates = ordered(candidates, order)
        how.append(f"ordered {order.describe()}")
    result.artifacts = list(candidates)
    if prefs.latest:
        if criterion.kind == "regex":
            from .choose import matches

            candidates = [a for a in candidates if matches(criterion, a.version)]
        elif criterion.kind == "exact":
            result.warnings.append(f"--latest chooses the highest version; {criterion.describe()} is not used")
        highest = max(candidates, key=_key_for(order), default=None) if order is not None else None
        if highest is None:
            raise NoMatchingVersion(
                f"no version left to choose from ({', '.join(how) or 'none listed'})",
                harness_message=None if harness else "Artifact version not found",
            )
        chosen: Artifact | None = highest
        how.append("the highest chosen (--latest)")
    else:
        chosen = choose(candidates, criterion)
        if criterion.kind == "regex":
            how.append("the first match chosen")
    if chosen is not None and criterion.kind == "none":
        result.warnings.append(
            f"customsrc chose {chosen.version!r} ({'; '.join(how)}); Harness chooses none here: the version is "
            "a runtime input, picked by a person from the list"
        )
    elif chosen is not None and (harness is None or harness.version != chosen.version):
        would = f"{harness.version!r}" if harness else "nothing (the fetch would fail)"
        result.warnings.append(
            f"customsrc chose {chosen.version!r} ({'; '.join(how)}), where Harness would choose {would} "
            f"({criterion.describe()}, in the script's output order)"
        )
    return chosen


def _key_for(order: Order) -> Any:
    from .ordering import sort_key

    key = sort_key(order)
    if order.descending:
        return key
    return lambda a: _Reversed(key(a))


class _Reversed:
    """Inverts comparisons, so max() finds the lowest in an ascending order."""

    __slots__ = ("value",)

    def __init__(self, value: Any) -> None:
        self.value = value

    def __lt__(self, other: _Reversed) -> bool:
        return bool(self.value > other.value)

    def __gt__(self, other: _Reversed) -> bool:
        return bool(self.value < other.value)


def replay(
    source: Source | str | os.PathLike[str],
    payload_file: str | os.PathLike[str],
    *,
    source_id: str | None = None,
    version: str | None = None,
    version_regex: str | None = None,
    order: str | None = None,
    latest: bool = False,
    semver: str | None = None,
    prereleases: bool = False,
    choose: bool = True,
) -> FetchResult:
    """Map and choose on a recorded payload, as Harness would, without running the script.
    With ``choose=False`` it only lists (as for ``version: <+input>``).

    For tests of a source's mapping (``customsrc init`` writes one): the payload file stands in for
    what the script would have written to ``$HARNESS_ARTIFACT_RESULT_PATH``.
    """
    if not isinstance(source, Source):
        source = load_source(str(source), source_id=source_id)
    result = FetchResult(source=source)
    criterion = criterion_for(
        source.version, source.version_regex, override_version=version, override_regex=version_regex
    )
    result.criterion = criterion
    with _GCPaused():
        payload = read_payload(str(payload_file))
    result.warnings.extend(payload.warnings)
    _check_payload(source, payload.value)
    mapping = PathMapping(source.artifacts_array_path or "$", source.version_path or "version", source.attributes)
    with _GCPaused():
        mapped = mapping.apply(payload.value)
    result.artifacts = mapped.artifacts
    result.warnings.extend(mapped.warnings)
    if choose:
        _select(result, criterion, _preferences(order, latest, semver, prereleases))
    return result
