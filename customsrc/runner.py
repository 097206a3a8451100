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
import stat
import time
from collections import deque
from collections.abc import Callable, Mapping

from .errors import SandboxError, UsageError
from .masking import Masker
from .sandbox import DEFAULT_PATH, STRICT_HIDDEN, Launch, Request, Settings, level

TYPE_CHECKING = False
if TYPE_CHECKING:
    from typing import Any, NamedTuple, TypeVar
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
    exit_code: int | None
    duration: float
    timed_out: bool
    stdout_tail: bytes
    stderr_tail: bytes
    env_names: tuple[str, ...] = ()  # the variables the script was given (names only)
    cancelled: bool = False  # stopped by the caller (its whole tree killed), not by the timeout


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


def make_workdir(base: str | None) -> str:
    """A fresh 0700 directory under ``base`` (default ``$TMPDIR``, else /tmp).

    Written out rather than taken from ``tempfile``: importing tempfile, uuid and shutil costs
    more start-up time than a whole trivial fetch is allowed.
    """
    base = base or os.environ.get("TMPDIR") or "/tmp"
    for _ in range(100):
        path = os.path.join(base, "customsrc-" + os.urandom(8).hex())
        try:
            os.mkdir(path, 0o700)
        except FileExistsError:
            continue
        return path
    raise FileExistsError(f"cannot create a work directory under {base}")


def remove_tree(path: str) -> None:
    """Remove ``path`` and everything in it, never following symlinks; a script may have made
    its files or folders unreadable, so permissions are restored on the way."""
    try:
        entries = list(os.scandir(path))
    except PermissionError:
        os.chmod(path, stat.S_IRWXU)
        entries = list(os.scandir(path))
    except FileNotFoundError:
        return
    for entry in entries:
        try:
            if entry.is_dir(follow_symlinks=False):
                remove_tree(entry.path)
            else:
                os.unlink(entry.path)
        except FileNotFoundError:
            continue
    os.rmdir(path)


def which(name: str, path: str | None, *, for_others: bool = False, hidden: tuple[str, ...] = ()) -> str | None:
    """``shutil.which`` for one name over a PATH string. With ``for_others``, only a file that a
    different, unprivileged uid can reach and run (world-searchable folders, world-executable
    file, symlinks resolved), and outside ``hidden`` folders."""
    for folder in (path or "").split(os.pathsep):
        candidate = os.path.join(folder or ".", name)
        if not (os.path.isfile(candidate) and os.access(candidate, os.X_OK)):
            continue
        if for_others and not _reachable_by_others(os.path.realpath(candidate), hidden):
            continue
        return candidate
    return None


def _reachable_by_others(path: str, hidden: tuple[str, ...]) -> bool:
    if any(path == h or path.startswith(h + "/") for h in hidden):
        return False
    try:
        if not os.stat(path).st_mode & stat.S_IXOTH:
            return False
        folder = os.path.dirname(path)
        while True:
            if not os.stat(folder).st_mode & stat.S_IXOTH:
                return False
            parent = os.path.dirname(folder)
            if parent == folder:
                return True
            folder = parent
    except OSError:
        return False


def _kill_group(pgid: int, sig: int) -> None:
    with contextlib.suppress(ProcessLookupError, PermissionError):
        os.killpg(pgid, sig)


def _group_alive(pgid: int) -> bool:
    try:
        os.killpg(pgid, 0)
    except (ProcessLookupError, PermissionError):
        return False
    return True


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
    chosen = level(settings.level)
    caller_env = os.environ if environ is None else environ
    workdir = make_workdir(tmpdir)
    try:
        script_path = os.path.join(workdir, "fetch" + SUFFIX[shell])
        with open(script_path, "w", encoding="utf-8") as handle:
            handle.write(script)
        result_path = os.path.join(workdir, f"harness-{_uuid4()}.out")
        env = {"TMPDIR": workdir, **inputs}
        env["HARNESS_ARTIFACT_RESULT_PATH"] = result_path
        env["ARTIFACT_RESULT_PATH"] = result_path
        interpreter = INTERPRETERS[shell]
        path = caller_env.get("PATH") or DEFAULT_PATH
        confined = settings.level != "off"
        others = confined and (os.geteuid() == 0 or settings.level == "strict")
        hidden = STRICT_HIDDEN if settings.level == "strict" else ()
        found = which(interpreter[0], path, for_others=others, hidden=hidden)
        if found is None and others:
            found = which(interpreter[0], DEFAULT_PATH, for_others=True, hidden=hidden)
        if found is None:
            where = " where the sandboxed script can run it" if others else ""
            raise SandboxError(f"{interpreter[0]} is not on the script's PATH ({path}){where}; install it")
        request = Request([found, *interpreter[1:], script_path], shell, workdir, env, caller_env, timeout, settings)
        launch = chosen.prepare(request)
        if launch.owner is not None:
            _hand_over(workdir, *launch.owner)
        outcome = _execute(launch, timeout, masker, on_output, settings.limits.output, stop)
        outcome = outcome._replace(env_names=tuple(sorted(launch.env)))
        return outcome, read_result(result_path, outcome)
    finally:
        with contextlib.suppress(OSError):
            remove_tree(workdir)


def _hand_over(workdir: str, uid: int, gid: int) -> None:
    """Give the work directory (and what we wrote in it) to the uid the script runs as."""
    os.chown(workdir, uid, gid)
    for entry in os.scandir(workdir):
        os.chown(entry.path, uid, gid, follow_symlinks=False)


def _uuid4() -> str:
    """A random UUID in the delegate's ``harness-<uuid>.out`` form, without importing uuid."""
    raw = bytearray(os.urandom(16))
    raw[6] = (raw[6] & 0x0F) | 0x40
    raw[8] = (raw[8] & 0x3F) | 0x80
    h = raw.hex()
    return f"{h[:8]}-{h[8:12]}-{h[12:16]}-{h[16:20]}-{h[20:]}"


class _Child:
    """A started script: its pid (the leader of a session of its own) and its output pipes."""

    def __init__(self, pid: int, stdout_fd: int, stderr_fd: int, popen: Any = None) -> None:
        self.pid, self.stdout_fd, self.stderr_fd, self.popen = pid, stdout_fd, stderr_fd, popen
        self.returncode: int | None = None

    def _reaped(self, status: int) -> int:
        self.returncode = os.waitstatus_to_exitcode(status)
        if self.popen is not None:
            self.popen.returncode = self.returncode  # so Popen does not think it still runs
        return self.returncode

    def poll(self) -> int | None:
        if self.returncode is None:
            pid, status = os.waitpid(self.pid, os.WNOHANG)
            if pid:
                return self._reaped(status)
        return self.returncode

    def wait(self) -> int:
        if self.returncode is None:
            return self._reaped(os.waitpid(self.pid, 0)[1])
        return self.returncode

    def close(self) -> None:
        if self.popen is not None:
            self.popen.stdout.close()
            self.popen.stderr.close()
        else:
            os.close(self.stdout_fd)
            os.close(self.stderr_fd)


def _spawn(launch: Launch) -> _Child:
    """Start the launch in a session of its own, stdin from /dev/null, stdout and stderr piped.

    Through unshare (the basic level) this is os.posix_spawn, with unshare setting the working
    directory: importing subprocess (and the threading it loads) costs ~8 ms of start-up here,
    a big share of a trivial fetch. Other launches (a uid to drop, no wrapper) use subprocess.
    """
    argv = launch.argv
    if launch.user is None and argv and os.path.basename(argv[0]) == "unshare":
        out_read, out_write = os.pipe()
        err_read, err_write = os.pipe()
        actions = [
            (os.POSIX_SPAWN_OPEN, 0, os.devnull, os.O_RDONLY, 0),
            (os.POSIX_SPAWN_DUP2, out_write, 1),
            (os.POSIX_SPAWN_DUP2, err_write, 2),
        ]
        try:
            pid = os.posix_spawn(
                argv[0], [argv[0], f"--wd={launch.cwd}", *argv[1:]], launch.env, file_actions=actions, setsid=True
            )
        except BaseException:
            os.close(out_read)
            os.close(err_read)
            raise
        finally:
            os.close(out_write)
            os.close(err_write)
        return _Child(pid, out_read, err_read)
    import subprocess

    proc = subprocess.Popen(
        argv,
        env=launch.env,
        cwd=launch.cwd,
        stdin=subprocess.DEVNULL,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        start_new_session=True,
        close_fds=True,
        user=launch.user,
        group=launch.group,
        extra_groups=[] if launch.user is not None else None,
    )
    assert proc.stdout is not None
    assert proc.stderr is not None
    return _Child(proc.pid, proc.stdout.fileno(), proc.stderr.fileno(), popen=proc)


def _execute(
    launch: Launch,
    timeout: float,
    masker: Masker,
    on_output: OutputCallback | None,
    output_cap: int,
    stop: Callable[[], bool] | None = None,
) -> RunOutcome:
    start = time.monotonic()
    proc = _spawn(launch)
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
                _kill_group(pgid, signal.SIGKILL)  # background jobs die with the script
        if timed_out:
            _kill_group(pgid, signal.SIGTERM)
            grace_end = time.monotonic() + KILL_GRACE
            while time.monotonic() < grace_end and _group_alive(pgid):
                time.sleep(0.02)
            _kill_group(pgid, signal.SIGKILL)
        exit_code = proc.wait()
    finally:
        if proc.poll() is None:
            _kill_group(pgid, signal.SIGKILL)
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
    )
