"""``customsrc.fetch``: the one call the CLI makes, fit to embed.

No global state, nothing printed, nothing exits: a typed ``FetchResult`` or a typed
``CustomsrcError`` (whose ``result`` holds what was known when it failed). The stages, in order:
load (``spec``), render (``render``), run (``runner``), read (``payload``), validate
(``validate``), map (``mapping``), select (``select``); this module only strings them together.
"""

from __future__ import annotations

import os
import re
import time
from collections.abc import Callable, Mapping, Sequence

from . import delegate
from .choose import criterion_for
from .errors import Cancelled, CustomsrcError, ScriptFailed, ScriptTimeout, UsageError
from .mapping import Artifact, PathMapping
from .masking import Masker
from .options import FetchOptions
from .payload import DEFAULT_MAX_RESULT_SIZE, GCPaused, Payload, parse_payload, read_payload, read_result_bytes
from .render import render_source
from .result import FetchResult, RunInfo, internal_error, mask, mask_error
from .runner import OutputCallback, RunOutcome, run_script
from .sandbox import Limits
from .select import preferences, select
from .spec import Source, load_source
from .validate import check_payload

__all__ = ["FetchOptions", "FetchResult", "RunInfo", "fetch", "fetch_with", "replay"]


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
    The same options as one record: :class:`FetchOptions` and :func:`fetch_with`. Raises a
    :class:`CustomsrcError` subclass; its ``result`` attribute holds the partial result (a bug
    comes as :class:`InternalError`, its message and traceback masked too). Secrets are masked in
    everything returned or raised: callers never mask again.
    """
    options = FetchOptions(
        source_id=source_id,
        inputs=inputs,
        secrets=secrets,
        expressions=expressions,
        version=version,
        version_regex=version_regex,
        timeout=timeout,
        on_output=on_output,
        environ=environ,
        max_result_size=max_result_size,
        sandbox=sandbox,
        network=network,
        pass_env=tuple(pass_env),
        limits=limits,
        allow_read=tuple(allow_read),
        hide=tuple(hide),
        tools=tools,
        order=order,
        latest=latest,
        semver=semver,
        prereleases=prereleases,
        explain=explain,
        tmpdir=tmpdir,
        stop=stop,
        save_payload=save_payload,
    )
    return fetch_with(source, options)


def fetch_with(source: Source | str | os.PathLike[str], options: FetchOptions) -> FetchResult:
    """:func:`fetch` with its options as one record (what ``fetch_many`` and ``watch`` pass down)."""
    options = options.check()
    masker = Masker((options.secrets or {}).values())  # all supplied secrets, used or not
    result: FetchResult | None = None
    try:
        if not isinstance(source, Source):
            source = load_source(str(source), source_id=options.source_id, allow_read=options.allow_read)
        result = FetchResult(source=source)
        result.explain = {} if options.explain else None
        if masker.short():
            result.warnings.append(
                f"{len(masker.short())} secret(s) shorter than 4 characters: too short to mask safely, they are "
                "masked wherever they appear, ordinary text (versions) included"
            )
        _fetch_into(result, options, masker)
    except CustomsrcError as exc:
        mask_error(exc, masker)
        exc.result = _finished(result, masker)  # type: ignore[attr-defined]
        raise
    except Exception as exc:  # a bug: typed, and masked like everything else that leaves
        error = internal_error(exc, masker)
        error.result = _finished(result, masker)  # type: ignore[attr-defined]
        raise error from None
    finished = _finished(result, masker)
    assert finished is not None
    return finished


def _finished(result: FetchResult | None, masker: Masker) -> FetchResult | None:
    if result is not None:
        result.timings.setdefault("total", sum(result.timings.values()))
        mask(result, masker)
    return result


def _phase(timings: dict[str, float], name: str, started: float) -> float:
    now = time.perf_counter()
    timings[name] = (now - started) * 1000
    return now


def _fetch_into(result: FetchResult, options: FetchOptions, supplied: Masker) -> None:
    source = result.source
    t = time.perf_counter()
    seconds = options.seconds(source, result.warnings)
    prefs = preferences(options)
    criterion = criterion_for(
        source.version, source.version_regex, override_version=options.version, override_regex=options.version_regex
    )
    criterion = criterion._replace(deadline=time.monotonic() + seconds)  # choosing ends with the run's time
    result.criterion = criterion
    rendered = render_source(source, inputs=options.inputs, secrets=options.secrets, expressions=options.expressions)
    masker = Masker([*supplied.secrets, *rendered.secret_values])
    settings = options.settings(source)
    t = _phase(result.timings, "render", t)
    if result.explain is not None:
        result.explain.update(
            script=rendered.script, shell=source.shell, sandbox=settings.level, network=settings.network
        )

    if not source.has_script:
        # Harness: no script means a manually entered version; nothing runs.
        if criterion.kind in ("none", "regex"):
            said = (
                f"source {source.identifier!r} has no script and its version is a runtime input"
                if criterion.kind == "none"
                else f"source {source.identifier!r} has no script, so there is nothing to match {criterion.value!r} "
                "against"
            )
            raise UsageError(f"{said}; pass version=", cli_message=f"{said}; pass --version VALUE")
        result.artifacts = [Artifact(criterion.value, {}, 0)]
        result.warnings.append("no script: the version is used as given (Harness: manually entered version)")
        select(result, criterion, prefs)
        return

    read_ms: list[float] = []
    mapping = PathMapping(source.artifacts_array_path or "", source.version_path or "", source.attributes)
    pruning = _pruning(source, mapping)

    def read(path: str, outcome: RunOutcome) -> Payload | None:
        # Harness only reads the file after a zero exit; so do we.
        if outcome.exit_code != 0:
            return None
        started = time.perf_counter()
        try:
            if options.save_payload is None:
                with GCPaused():
                    return read_payload(path, options.max_result_size, pruning)
            data = read_result_bytes(path, options.max_result_size)
            _save(options.save_payload, data, masker, result.warnings)
            with GCPaused():
                return parse_payload(data, pruning)
        finally:
            read_ms.append((time.perf_counter() - started) * 1000)

    outcome, payload = run_script(
        rendered.script,
        shell=source.shell,
        inputs=rendered.env,
        timeout=seconds,
        read_result=read,
        masker=masker,
        on_output=options.on_output,
        environ=options.environ,
        settings=settings,
        tmpdir=options.tmpdir,
        stop=options.stop,
    )
    _record_run(result, outcome)
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
    _raise_for_run(result, outcome, seconds, settings.limits, settings.tools)
    assert payload is not None
    result.warnings.extend(payload.warnings)
    mapped = payload.mapped
    if mapped is None:
        check_payload(source, payload.value)
    t = _phase(result.timings, "validate", t)
    if mapped is None:
        with GCPaused():
            mapped = mapping.apply(payload.value, release=True)
        payload.value = None
    result.artifacts = mapped.artifacts
    result.warnings.extend(mapped.warnings)
    t = _phase(result.timings, "map", t)
    listed = list(result.artifacts)
    try:
        select(result, criterion, prefs)
    finally:  # a version that matched nothing is when the decision for every item matters most
        _phase(result.timings, "select", t)
        if result.explain is not None:
            from .explain import decisions

            result.explain["items"] = decisions(listed, result, mapped, criterion, prefs)


def _pruning(source: Source, mapping: PathMapping) -> PathMapping | None:
    """The mapping a large payload may be read the pruned way with: none where the source has a
    payload schema, which is checked against the whole value."""
    return mapping if source.payload_schema is None else None


def _record_run(result: FetchResult, outcome: RunOutcome) -> None:
    result.warnings.extend(f"sandbox: {w}" for w in outcome.warnings)
    run = result.run
    run.ran = True
    run.exit_code = outcome.exit_code
    run.duration_ms = round(outcome.duration * 1000, 1)
    run.timed_out = outcome.timed_out
    run.stdout_tail = outcome.stdout_tail.decode("utf-8", "replace")
    run.stderr_tail = outcome.stderr_tail.decode("utf-8", "replace")


_NOT_FOUND = re.compile(r"([\w.+-]+): command not found")


def _raise_for_run(result: FetchResult, outcome: RunOutcome, seconds: float, limits: Limits, tools: str) -> None:
    """The typed error for a run that did not end in a zero exit, in Harness's words too."""
    run = result.run
    if outcome.cancelled:
        raise Cancelled("cancelled by the caller; the script's whole process tree was killed")
    if outcome.timed_out:
        raise ScriptTimeout(
            f"the script ran past its {seconds:g}s timeout; its whole process tree was killed",
            harness_message="No Artifact found in HARNESS_ARTIFACT_RESULT_PATH",
        )
    if outcome.exit_code == 0:
        return
    last = _last_line(run.stderr_tail) or _last_line(run.stdout_tail)
    missing = None
    if outcome.exit_code == 127:  # the missing command says more than what failed after it (a pipe)
        lines = reversed(run.stderr_tail.splitlines())
        missing = next((m for m in map(_NOT_FOUND.search, lines) if m), None)
        last = missing.string.strip() if missing else last
    said = f": {last}" if last else ""
    if outcome.out_of_memory:
        said += f" (the run reached its memory limit, {limits.memory} bytes: raise limits.memory, --memory)"
    if missing and tools == "delegate":
        said += f" ({delegate.missing_message(missing.group(1))})"
    raise ScriptFailed(
        f"the script exited with code {outcome.exit_code}{said}",
        harness_message="No Artifact found in HARNESS_ARTIFACT_RESULT_PATH",
    )


def _last_line(text: str) -> str:
    lines = [line.strip() for line in text.strip().splitlines() if line.strip()]
    return lines[-1][:300] if lines else ""


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
    options = FetchOptions(
        version=version, version_regex=version_regex, order=order, latest=latest, semver=semver, prereleases=prereleases
    )
    result = FetchResult(source=source)
    criterion = criterion_for(
        source.version, source.version_regex, override_version=version, override_regex=version_regex
    )
    result.criterion = criterion
    mapping = PathMapping(source.artifacts_array_path or "$", source.version_path or "version", source.attributes)
    with GCPaused():
        payload = read_payload(str(payload_file), mapping=_pruning(source, mapping))
        result.warnings.extend(payload.warnings)
        mapped = payload.mapped
        if mapped is None:
            check_payload(source, payload.value)
            mapped = mapping.apply(payload.value, release=True)
            payload.value = None
    result.artifacts = mapped.artifacts
    result.warnings.extend(mapped.warnings)
    if choose:
        select(result, criterion, preferences(options))
    return result
