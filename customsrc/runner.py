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
import re
import select
import selectors
import signal
import stat
import time
from collections import deque
from collections.abc import Callable, Mapping

from . import delegate, uidpool
from .cgroup import RunGroup
from .errors import SandboxError, ScriptFailed, UsageError
from .masking import Masker
from .sandbox import (
    DEFAULT_PATH,
    PRIVATE_TEMP,
    Launch,
    Request,
    Settings,
    bubblewrap,
    cgroups,
    first_warnings,
    hidden_folders,
    is_root,
    level,
)

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


class Workdir:
    """A run's private work directory: ``<base>/customsrc-<random>/work``.

    The outer folder belongs to customsrc (0711), so a script cannot rename or replace its work
    directory; everything after creation goes through a directory descriptor held from the start,
    with ``O_NOFOLLOW``, so no path the script could have changed is ever followed (clean-up
    included). Written out rather than taken from ``tempfile``: importing tempfile, uuid and
    shutil costs more start-up time than a whole trivial fetch is allowed.
    """

    def __init__(self, base: str | None, owner: int | None) -> None:
        base = base or "/tmp"
        for _ in range(100):
            outer = os.path.join(base, "customsrc-" + os.urandom(8).hex())
            try:
                os.mkdir(outer, 0o711)
            except FileExistsError:
                continue
            except OSError as exc:
                raise SandboxError(
                    f"cannot create a work directory under {base} ({exc.strerror}); "
                    "set TMPDIR (or tmpdir=) to a folder you can write"
                ) from None
            break
        else:
            raise SandboxError(f"cannot create a work directory under {base}")
        self.outer = outer
        self.path = os.path.join(outer, "work")
        self.owner = owner
        os.mkdir(self.path, 0o700)
        self.fd = os.open(self.path, os.O_RDONLY | os.O_DIRECTORY | os.O_NOFOLLOW | os.O_CLOEXEC)
        os.chmod(outer, 0o711)  # noqa: S103 - searchable, not listable: the run's uid reaches work/ only
        self.outer_ino = os.lstat(outer).st_ino
        if owner is not None:
            os.fchown(self.fd, owner, owner)

    def write(self, name: str, text: str) -> None:
        _write_file(self.fd, name, text, self.owner)

    def tools_folder(self, path: str) -> str:
        """Where the run's PATH points under --tools delegate: a folder of links beside the work
        directory, in the outer folder only customsrc can write."""
        outer = os.open(self.outer, os.O_RDONLY | os.O_DIRECTORY | os.O_NOFOLLOW | os.O_CLOEXEC)
        try:
            if os.fstat(outer).st_ino != self.outer_ino:
                raise SandboxError(f"the work directory's folder {self.outer} was replaced")
            delegate.make_folder(outer, "tools", path)
        finally:
            os.close(outer)
        return os.path.join(self.outer, "tools")

    def entry(self, name: str) -> str:
        """A path to ``name`` in the real work directory, whatever happened to its path since."""
        return f"/proc/self/fd/{self.fd}/{name}"

    def remove(self) -> None:
        """Remove everything under the outer folder (whatever the script renamed or linked in
        it), then the folder itself if its name still leads to it."""
        if self.fd < 0:
            return
        try:
            outer = os.open(self.outer, os.O_RDONLY | os.O_DIRECTORY | os.O_NOFOLLOW | os.O_CLOEXEC)
        except OSError:
            outer = -1
        try:
            clear_tree(self.fd)
            if outer >= 0 and os.fstat(outer).st_ino == self.outer_ino:
                clear_tree(outer)
                with contextlib.suppress(OSError):
                    if os.lstat(self.outer).st_ino == self.outer_ino:
                        os.rmdir(self.outer)
        finally:
            os.close(self.fd)
            self.fd = -1
            if outer >= 0:
                os.close(outer)


class SandboxDir:
    """A run's work directory made by the sandbox itself: a size-capped tmpfs mounted inside it.

    Nothing is made on the host. Once the sandbox is set up (its preamble says so, before any
    of the script's code runs) customsrc opens the directory through the sandbox process's root,
    hands it to the run's uid and writes the script into it; the descriptor it keeps lets it read
    the result after the sandbox is gone, and closing it frees the tmpfs, whatever way customsrc
    ends (SIGKILL included), so nothing is ever left behind.
    """

    def __init__(self, inside: str, owner: int | None) -> None:
        self.inside = inside
        self.owner = owner
        self.fd = -1
        self.pending: dict[str, str] = {}
        self.tools: str | None = None  # --tools delegate: the PATH to link the delegate's commands from

    def tools_folder(self, path: str) -> str:
        """Where the run's PATH points under --tools delegate: a folder in the sandbox's own /tmp,
        made (root-owned, links only) when the sandbox is attached."""
        self.tools = path
        return "/tmp/.customsrc-tools"

    def write(self, name: str, text: str) -> None:
        if self.fd < 0:
            self.pending[name] = text
            return
        _write_file(self.fd, name, text, self.owner)

    def attach(self, pid: int) -> None:
        """Open the work directory as the sandbox of ``pid`` sees it (no link followed), own it to
        the run's uid and write what waited for it."""
        fd = os.open(f"/proc/{pid}/root", os.O_RDONLY | os.O_DIRECTORY | os.O_CLOEXEC)
        try:
            for part in self.inside.strip("/").split("/"):
                fd, parent = os.open(part, os.O_RDONLY | os.O_DIRECTORY | os.O_NOFOLLOW | os.O_CLOEXEC, dir_fd=fd), fd
                if part == "tmp" and self.tools is not None:
                    delegate.make_folder(fd, ".customsrc-tools", self.tools)
                os.close(parent)
            if self.owner is not None:
                os.fchown(fd, self.owner, self.owner)
        except BaseException:
            os.close(fd)
            raise
        self.fd = fd
        pending, self.pending = self.pending, {}
        for name, text in pending.items():
            self.write(name, text)

    def entry(self, name: str) -> str:
        return f"/proc/self/fd/{self.fd}/{name}" if self.fd >= 0 else f"{self.inside}/.unreachable/{name}"

    def remove(self) -> None:
        if self.fd >= 0:
            os.close(self.fd)
            self.fd = -1


def _write_file(dir_fd: int, name: str, text: str, owner: int | None) -> None:
    flags = os.O_WRONLY | os.O_CREAT | os.O_EXCL | os.O_NOFOLLOW | os.O_CLOEXEC
    fd = os.open(name, flags, 0o600, dir_fd=dir_fd)
    try:
        data = text.encode("utf-8", "surrogateescape")
        while data:
            data = data[os.write(fd, data) :]
        if owner is not None:
            os.fchown(fd, owner, owner)
    finally:
        os.close(fd)


FLATTEN_DEPTH = 32


def clear_tree(root_fd: int) -> None:
    """Remove everything inside the directory ``root_fd`` without following any symlink; folders
    a script made unreadable are opened up on the way, and trees deeper than ``FLATTEN_DEPTH``
    are moved up to the top as they are met, so any depth is cleared with a few descriptors."""
    with contextlib.suppress(OSError):
        os.fchmod(root_fd, stat.S_IRWXU)
    _clear(root_fd, root_fd, 0)


def _clear(root_fd: int, dir_fd: int, depth: int) -> None:
    while True:
        names = os.listdir(dir_fd)
        if not names:
            return
        for name in names:
            try:
                os.unlink(name, dir_fd=dir_fd)
                continue
            except FileNotFoundError:
                continue
            except (IsADirectoryError, PermissionError):
                info = os.stat(name, dir_fd=dir_fd, follow_symlinks=False)
                if not stat.S_ISDIR(info.st_mode):
                    raise
            if depth >= FLATTEN_DEPTH:
                flat = ".customsrc-flat-" + os.urandom(8).hex()
                os.rename(name, flat, src_dir_fd=dir_fd, dst_dir_fd=root_fd)
                continue
            with contextlib.suppress(OSError):  # the tree is still: the script is gone
                os.chmod(name, stat.S_IRWXU, dir_fd=dir_fd)
            child = os.open(name, os.O_RDONLY | os.O_DIRECTORY | os.O_NOFOLLOW | os.O_CLOEXEC, dir_fd=dir_fd)
            try:
                _clear(root_fd, child, depth + 1)
            finally:
                os.close(child)
            os.rmdir(name, dir_fd=dir_fd)


def which(name: str, path: str | None, *, for_others: bool = False, hidden: tuple[str, ...] = ()) -> str | None:
    """``shutil.which`` for one name over a PATH string, skipping files under ``hidden`` folders
    (symlinks resolved). With ``for_others``, only a file that a different, unprivileged uid can
    reach and run (world-searchable folders, world-executable file)."""
    for folder in (path or "").split(os.pathsep):
        candidate = os.path.join(folder or ".", name)
        if not (os.path.isfile(candidate) and os.access(candidate, os.X_OK)):
            continue
        real = os.path.realpath(candidate)
        if any(real == h or real.startswith(h.rstrip("/") + "/") for h in hidden):
            continue
        if for_others and not _reachable_by_others(real):
            continue
        return candidate
    return None


def _reachable_by_others(path: str) -> bool:
    """Can a different, unprivileged uid reach ``path`` (every folder on the way searchable by
    others) and run it (world-executable)?"""
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
    if lost and settings.explicit and settings.level != "off":
        said = f"cannot give all its guarantees here: {lost[0]} (run customsrc doctor;"
        raise SandboxError(
            f"sandbox={settings.level!r} {said} leave sandbox=None to run with a warning instead)",
            cli_message=f"--sandbox {settings.level} {said} leave --sandbox unset to run with a warning instead)",
        )
    caller_env = os.environ if environ is None else environ
    confined = settings.level != "off"
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
            group = RunGroup(limits.memory, limits.processes)
        host = work.path if isinstance(work, Workdir) else ""
        inside = own if own is not None else chosen.inside(host)
        script_name = "fetch" + SUFFIX[shell]
        result_name = f"harness-{_uuid4()}.out"
        work.write(script_name, script)
        result_path = os.path.join(inside, result_name)
        env = {"TMPDIR": inside}
        if settings.tools == "delegate":  # system folders first: the caller's own may be hidden
            env["PATH"] = work.tools_folder(f"{DEFAULT_PATH}:/usr/sbin:/sbin:{caller_env.get('PATH', '')}")
        env.update(inputs)  # an input named PATH wins, as on the delegate
        env.update({"HARNESS_ARTIFACT_RESULT_PATH": result_path, "ARTIFACT_RESULT_PATH": result_path})
        found = _interpreter(shell, caller_env, settings, uid)
        command = [found, *INTERPRETERS[shell][1:], os.path.join(inside, script_name)]
        cgroup = group is not None
        request = Request(command, shell, host, inside, env, caller_env, timeout, settings, uid, cgroup, base)
        launch = chosen.prepare(request)
        if isinstance(work, Workdir) and uid is not None and inside == host and not _reachable_by_others(work.outer):
            raise SandboxError(
                f"the sandbox user cannot reach the work directory under {os.path.dirname(work.outer)} "
                "(a private TMPDIR): install bubblewrap, or set TMPDIR to a world-searchable folder such as /tmp"
            )
        outcome = _execute(launch, timeout, masker, on_output, settings.limits.output, stop, group, work)
        outcome = outcome._replace(env_names=launch.names, warnings=tuple(first_warnings(lost)))
        return outcome, read_result(work.entry(result_name), outcome)
    finally:
        if group is not None:
            group.kill()
            group.close()
        if work is not None:
            with contextlib.suppress(OSError):
                work.remove()
        if lease is not None:
            lease.release()


def _interpreter(shell: str, caller_env: Mapping[str, str], settings: Settings, uid: int | None) -> str:
    """The interpreter's path, one the sandboxed script can reach and run."""
    name = INTERPRETERS[shell][0]
    path = caller_env.get("PATH") or DEFAULT_PATH
    confined = settings.level != "off"
    others = uid is not None
    hidden: tuple[str, ...] = ()
    if confined and bubblewrap() is not None:
        hidden = (*PRIVATE_TEMP, *hidden_folders(caller_env, settings, settings.level == "strict"))
    found = which(name, path, for_others=others, hidden=hidden)
    if found is None and (others or hidden):
        found = which(name, DEFAULT_PATH, for_others=others, hidden=hidden)
    if found is None:
        where = " where the sandboxed script can run it" if (others or hidden) else ""
        raise SandboxError(f"{name} is not on the script's PATH ({path}){where}; install it")
    return os.path.abspath(found)


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


def _high(fd: int) -> int:
    """``fd`` moved above the numbers the child's file actions write (0-8), close-on-exec."""
    if fd > 8:
        return fd
    import fcntl

    moved = fcntl.fcntl(fd, fcntl.F_DUPFD_CLOEXEC, 10)
    os.close(fd)
    return moved


class _Ends:
    """The parent's ends of bubblewrap's info pipe (fd 4), its go-ahead pipe (fd 5) and the
    preamble's ready (fd 6) and go (fd 7) pipes; -1 where the launch has none."""

    def __init__(self) -> None:
        self.info = self.hold = self.ready = self.go = -1

    def close(self) -> None:
        for fd in (self.info, self.hold, self.ready, self.go):
            if fd >= 0:
                with contextlib.suppress(OSError):
                    os.close(fd)
        self.info = self.hold = self.ready = self.go = -1


def _spawn(launch: Launch) -> tuple[_Child, _Ends]:
    """Start the launch in a session of its own: stdin /dev/null, stdout and stderr piped, the
    preamble on fd 3 and, for bubblewrap, the pipes of ``_Ends`` on fds 4 to 7.

    os.posix_spawn where the launch sets its own working directory (bubblewrap, unshare, the
    preamble's cd): importing subprocess (and the threading it loads) costs ~8 ms of start-up.
    """
    argv = launch.argv
    helper = os.path.basename(argv[0]) if argv else ""
    ends = _Ends()
    if launch.preamble is None and helper != "unshare":
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
        )
        assert proc.stdout is not None
        assert proc.stderr is not None
        return _Child(proc.pid, proc.stdout.fileno(), proc.stderr.fileno(), popen=proc), ends
    if helper == "unshare":
        argv = [argv[0], f"--wd={launch.cwd}", *argv[1:]]
    opened: list[int] = []  # the parent's ends: closed again if the spawn fails
    child_ends: list[int] = []  # the child's ends: closed here once it has them (or failed to start)
    actions: list[tuple[Any, ...]] = [(os.POSIX_SPAWN_OPEN, 0, os.devnull, os.O_RDONLY, 0)]

    def pipe(to_child: bool, number: int) -> int:
        """A pipe whose other end is the child's fd ``number``; returns the parent's end."""
        read, write = os.pipe()
        mine, theirs = (write, read) if to_child else (read, write)
        opened.append(mine)
        child_ends.append(theirs)  # listed first, so it is closed even if moving it fails
        child_ends[-1] = theirs = _high(theirs)
        actions.append((os.POSIX_SPAWN_DUP2, theirs, number))
        return mine

    try:
        out_read, err_read = pipe(False, 1), pipe(False, 2)
        for data, number in ((launch.preamble, 3), (launch.seccomp, 8)):
            if data is not None:  # an in-memory file: nothing on disk, gone with its last descriptor
                memfd = os.memfd_create("customsrc", os.MFD_CLOEXEC)
                child_ends.append(memfd)
                child_ends[-1] = memfd = _high(memfd)
                view = memoryview(data)
                while view:
                    view = view[os.write(memfd, view) :]
                os.lseek(memfd, 0, os.SEEK_SET)
                actions.append((os.POSIX_SPAWN_DUP2, memfd, number))
        if launch.info:
            ends.info = pipe(False, 4)
        if launch.hold:
            ends.hold = pipe(True, 5)
        if launch.handshake:
            ends.ready = pipe(False, 6)
            ends.go = pipe(True, 7)
        pid = os.posix_spawn(argv[0], argv, launch.env, file_actions=actions, setsid=True)
    except BaseException:
        for fd in opened:
            with contextlib.suppress(OSError):
                os.close(fd)
        raise
    finally:
        for fd in child_ends:
            with contextlib.suppress(OSError):
                os.close(fd)
    return _Child(pid, out_read, err_read), ends


def _read_until(fd: int, done: Callable[[bytes], bool], deadline: float) -> bytes:
    """Bytes from ``fd`` until ``done`` says so, end of file, or the deadline."""
    data = b""
    while not done(data):
        left = deadline - time.monotonic()
        if left <= 0:
            break
        if not select.select([fd], [], [], left)[0]:
            break
        chunk = os.read(fd, 4096)
        if not chunk:
            break  # bubblewrap failed before its sandbox started: its stderr says why
        data += chunk
    return data


def _setup(
    child: _Child, group: RunGroup | None, ends: _Ends, work: Workdir | SandboxDir | None, deadline: float
) -> None:
    """Everything between the spawn and the script's first line: put the run in its control
    group (bubblewrap's sandbox process, named on the info pipe, while it waits on the go-ahead
    pipe, so everything the script starts is counted; without bubblewrap, the first process at
    once), then, where the sandbox makes the work
    directory, wait for the preamble's ready, fill the directory and let the script start."""
    try:
        if group is not None and ends.hold < 0:  # no bubblewrap holding its sandbox: the first process at once
            with contextlib.suppress(ProcessLookupError, OSError):
                group.place(child.pid)
        if ends.info < 0:
            return
        data = _read_until(ends.info, lambda d: b"}" in d, deadline)
        found = re.search(rb'"child-pid"\s*:\s*(\d+)', data)
        sandbox_pid = int(found.group(1)) if found else None
        if group is not None and sandbox_pid is not None:
            with contextlib.suppress(ProcessLookupError, OSError):
                group.place(sandbox_pid)
        if ends.hold >= 0:
            with contextlib.suppress(OSError):
                os.write(ends.hold, b"1")
        if ends.ready < 0 or sandbox_pid is None or not isinstance(work, SandboxDir):
            return
        if _read_until(ends.ready, bool, deadline) != b".":
            return  # the sandbox failed (or the run timed out) before its script could start
        try:
            work.attach(sandbox_pid)
        except OSError as exc:
            raise SandboxError(f"cannot reach the run's work directory inside its sandbox ({exc.strerror})") from None
        os.write(ends.go, b"1")
    finally:
        ends.close()


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
    proc, ends = _spawn(launch)
    try:
        _setup(proc, group, ends, work, start + timeout)
    except BaseException:
        _kill_group(proc.pid, signal.SIGKILL)
        proc.wait()
        proc.close()
        raise
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
                if group is not None:
                    group.kill()
        if timed_out:
            _kill_group(pgid, signal.SIGTERM)
            grace_end = time.monotonic() + KILL_GRACE
            while time.monotonic() < grace_end and _group_alive(pgid):
                time.sleep(0.02)
            _kill_group(pgid, signal.SIGKILL)
            if group is not None:
                group.kill()
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
        out_of_memory=group is not None and group.out_of_memory(),
    )
