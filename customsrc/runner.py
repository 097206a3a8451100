"""Running a fetch script the way a delegate does, and cleaning up whatever happens.

* a private work directory under ``$TMPDIR``, removed afterwards;
* the script written to a file and run with bash (sh or python3 when a native source says so);
* ``HARNESS_ARTIFACT_RESULT_PATH`` (and FirstGen's ``ARTIFACT_RESULT_PATH``) naming a fresh file
  in that directory; cwd = the work directory; stdin from /dev/null;
* an explicit environment (see ``sandbox.base_environment``) plus the inputs;
* on timeout the whole process group gets SIGTERM, then SIGKILL after a short grace;
* stdout/stderr are masked and streamed to a callback; only a bounded tail is kept.
"""

from __future__ import annotations

import contextlib
import os
import selectors
import signal
import time
from collections import deque
from collections.abc import Callable, Mapping

from . import delegate, spawn, uidpool
from .cgroup import RunGroup
from .errors import SandboxError, ScriptFailed, UsageError
from .levels import first_warnings, level
from .machine import cgroups, is_root
from .masking import Masker
from .paths import interpreter, reachable_by_others
from .sandbox import DEFAULT_PATH, Launch, Request, Settings
from .spawn import group_alive, kill_group
from .workdir import SandboxDir, Workdir, result_file_name

TYPE_CHECKING = False
if TYPE_CHECKING:
    from typing import NamedTuple, TypeVar
else:
    from .records import NamedTuple

if TYPE_CHECKING:
    T = TypeVar("T")
OutputCallback = Callable[[str, bytes], None]

KILL_GRACE = 0.5  # seconds between SIGTERM and SIGKILL
DRAIN_AFTER_EXIT = 0.5  # seconds to keep reading pipes held open by escaped children
TAIL_BYTES = 64 * 1024
INTERPRETERS = {"bash": ["bash"], "sh": ["sh"], "python": ["python3"]}
SUFFIX = {"bash": ".sh", "sh": ".sh", "python": ".py"}


class RunOutcome(NamedTuple):
    """How a script run ended, and the bounded tails of its (masked) output."""

    exit_code: int | None
    duration: float
    timed_out: bool
    stdout_tail: bytes
    stderr_tail: bytes
    env_names: tuple[str, ...] = ()  # the variables the script was given (names only)
    cancelled: bool = False  # stopped by the caller (its whole tree killed), not by the timeout
    warnings: tuple[str, ...] = ()  # guarantees of the level this machine could not give (said once)
    out_of_memory: bool = False  # the run's memory limit was reached (a process of it was killed)


class _Tail:
    def __init__(self, limit: int) -> None:
        self.chunks: deque[bytes] = deque()
        self.size = 0
        self.limit = limit

    def add(self, data: bytes) -> None:
        self.chunks.append(data)
        self.size += len(data)
        while self.size - len(self.chunks[0]) >= self.limit:
            self.size -= len(self.chunks.popleft())

    def value(self) -> bytes:
        return b"".join(self.chunks)[-self.limit :]


def run_script(
    script: str,
    *,
    shell: str,
    inputs: Mapping[str, str],
    timeout: float,
    read_result: Callable[[str, RunOutcome], T],
    masker: Masker,
    on_output: OutputCallback | None = None,
    environ: Mapping[str, str] | None = None,
    settings: Settings | None = None,
    tmpdir: str | None = None,
    stop: Callable[[], bool] | None = None,
) -> tuple[RunOutcome, T]:
    """Run ``script``; call ``read_result(path, outcome)`` before the work directory is removed.
    Returns the outcome and what ``read_result`` returned."""
    if shell not in INTERPRETERS:
        raise UsageError(f"unknown shell {shell!r}; use bash, sh or python")
    settings = settings or Settings()
    if settings.tools == "delegate" and INTERPRETERS[shell][0] not in delegate.commands():
        # The delegate runs it as `python3 - <<EOF` from Bash (see export): it would stop there.
        name = INTERPRETERS[shell][0]
        raise ScriptFailed(
            f"{name}: command not found (--tools delegate): {delegate.missing_message(name)}",
            harness_message="No Artifact found",
        )
    chosen = level(settings.level)
    problem = chosen.unavailable(settings.network)
    if problem:
        raise SandboxError(problem)
    lost = chosen.degraded()
    if lost and settings.explicit and chosen.confined:
        said = f"cannot give all its guarantees here: {lost[0]} (run customsrc doctor;"
        raise SandboxError(
            f"sandbox={settings.level!r} {said} leave sandbox=None to run with a warning instead)",
            cli_message=f"--sandbox {settings.level} {said} leave --sandbox unset to run with a warning instead)",
        )
    caller_env = os.environ if environ is None else environ
    confined = chosen.confined
    no_group = cgroups() if confined else None  # why limits are per process here (a warning only)
    if no_group:
        lost = [*lost, no_group]
    lease = uidpool.lease() if confined and is_root() else None
    uid = lease.uid if lease is not None else None
    group: RunGroup | None = None
    work: Workdir | SandboxDir | None = None
    base = tmpdir or caller_env.get("TMPDIR") or os.environ.get("TMPDIR") or "/tmp"
    try:
        own = chosen.own_workdir()
        work = SandboxDir(own, uid) if own is not None else Workdir(base, uid)
        if confined and no_group is None:
            limits = settings.limits
            group = RunGroup.take(limits.memory, limits.processes)
        host = work.path if isinstance(work, Workdir) else ""
        inside = own if own is not None else chosen.inside(host)
        script_name = "fetch" + SUFFIX[shell]
        result_name = result_file_name()
        work.write(script_name, script)
        result_path = os.path.join(inside, result_name)
        env = {"TMPDIR": inside}
        if settings.tools == "delegate":  # system folders first: the caller's own may be hidden
            env["PATH"] = work.tools_folder(f"{DEFAULT_PATH}:/usr/sbin:/sbin:{caller_env.get('PATH', '')}")
        env.update(inputs)  # an input named PATH wins, as on the delegate
        env.update({"HARNESS_ARTIFACT_RESULT_PATH": result_path, "ARTIFACT_RESULT_PATH": result_path})
        hidden = chosen.hidden(caller_env, settings)
        found = interpreter(INTERPRETERS[shell][0], caller_env.get("PATH") or DEFAULT_PATH, uid is not None, hidden)
        command = [found, *INTERPRETERS[shell][1:], os.path.join(inside, script_name)]
        procs = tuple(os.path.join(path, "cgroup.procs") for path in group.paths) if group is not None else ()
        files = tuple(work.pending.items()) if isinstance(work, SandboxDir) else ()
        request = Request(
            command, shell, host, inside, env, caller_env, timeout, settings, uid, procs, base, files, hidden
        )
        launch = chosen.prepare(request)
        if isinstance(work, Workdir) and uid is not None and inside == host and not reachable_by_others(work.outer):
            raise SandboxError(
                f"the sandbox user cannot reach the work directory under {os.path.dirname(work.outer)} "
                "(a private TMPDIR): install bubblewrap, or set TMPDIR to a world-searchable folder such as /tmp"
            )
        outcome = _execute(launch, timeout, masker, on_output, settings.limits.output, stop, group, work)
        outcome = outcome._replace(env_names=launch.names, warnings=tuple(first_warnings(lost)))
        return outcome, read_result(work.entry(result_name), outcome)
    finally:
        if group is not None:
            group.close()  # every process of it killed first
        if work is not None:
            with contextlib.suppress(OSError):
                work.remove()
        if lease is not None:
            lease.release()


def _execute(
    launch: Launch,
    timeout: float,
    masker: Masker,
    on_output: OutputCallback | None,
    output_cap: int,
    stop: Callable[[], bool] | None = None,
    group: RunGroup | None = None,
    work: Workdir | SandboxDir | None = None,
) -> RunOutcome:
    start = time.monotonic()
    proc = spawn.start(launch, group, work, start + timeout)
    pgid = proc.pid  # a session of its own: the child leads its own process group
    streams = {proc.stdout_fd: "stdout", proc.stderr_fd: "stderr"}
    maskers = {name: masker.stream() for name in streams.values()}
    tails = {name: _Tail(TAIL_BYTES) for name in streams.values()}
    selector = selectors.DefaultSelector()
    for fd in streams:
        os.set_blocking(fd, False)
        selector.register(fd, selectors.EVENT_READ)
    pidfd = -1
    with contextlib.suppress(AttributeError, OSError):
        pidfd = os.pidfd_open(proc.pid)
        selector.register(pidfd, selectors.EVENT_READ)

    shown = [0]  # bytes passed to on_output so far, across both streams

    def emit(name: str, data: bytes) -> None:
        if not data:
            return
        tails[name].add(data)
        if on_output is None or shown[0] > output_cap:
            return
        room = output_cap - shown[0]
        shown[0] += len(data)
        if len(data) <= room:
            on_output(name, data)
            return
        on_output(name, data[:room])
        notice = f"\n[customsrc: the script's output passed {output_cap} bytes; the rest is not shown]\n"
        on_output("stderr", notice.encode())
        shown[0] = output_cap + 1

    deadline = start + timeout
    timed_out = cancelled = False
    exited_at: float | None = None
    open_fds = set(streams)
    try:
        while open_fds or exited_at is None:
            now = time.monotonic()
            if exited_at is None and now >= deadline:
                timed_out = True
                break
            if exited_at is None and stop is not None and stop():
                cancelled = timed_out = True  # killed the same way as on a timeout
                break
            if exited_at is not None and now >= exited_at + DRAIN_AFTER_EXIT:
                break  # a child that escaped the group still holds a pipe: stop listening
            wait = (deadline if exited_at is None else exited_at + DRAIN_AFTER_EXIT) - now
            if (pidfd < 0 or stop is not None) and exited_at is None:
                wait = min(wait, 0.05)  # poll: for the exit without a pidfd, for the caller's stop
            for key, _ in selector.select(max(wait, 0)):
                fd = int(key.fd)
                if fd == pidfd:
                    selector.unregister(pidfd)
                    continue
                try:
                    data = os.read(fd, 65536)
                except BlockingIOError:
                    continue
                name = streams[fd]
                if data:
                    emit(name, maskers[name].feed(data))
                else:
                    selector.unregister(fd)
                    open_fds.discard(fd)
            if exited_at is None and proc.poll() is not None:
                exited_at = time.monotonic()
                kill_group(pgid, signal.SIGKILL)  # background jobs die with the script
                if group is not None:
                    group.kill()
        if timed_out:
            kill_group(pgid, signal.SIGTERM)
            grace_end = time.monotonic() + KILL_GRACE
            while time.monotonic() < grace_end and group_alive(pgid):
                time.sleep(0.02)
            kill_group(pgid, signal.SIGKILL)
            if group is not None:
                group.kill()
        exit_code = proc.wait()
    finally:
        if proc.poll() is None:
            kill_group(pgid, signal.SIGKILL)
            proc.wait()
        selector.close()
        if pidfd >= 0:
            os.close(pidfd)
        for name in streams.values():
            emit(name, maskers[name].flush())
        proc.close()
    duration = time.monotonic() - start
    return RunOutcome(
        exit_code=None if timed_out else exit_code,
        duration=duration,
        timed_out=timed_out and not cancelled,
        stdout_tail=tails["stdout"].value(),
        stderr_tail=tails["stderr"].value(),
        cancelled=cancelled,
        out_of_memory=group is not None and group.out_of_memory(),
    )
