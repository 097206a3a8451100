"""Starting a launch and ending it: one posix_spawn with the run's pipes, the hand-over to the
sandbox (its control group, its work directory), and killing a whole process group."""

from __future__ import annotations

import contextlib
import os
import re
import select
import signal
import time

from .cgroup import RunGroup
from .errors import SandboxError
from .paths import tool
from .sandbox import Launch
from .workdir import SandboxDir, Workdir

TYPE_CHECKING = False
if TYPE_CHECKING:
    from collections.abc import Callable
    from typing import Any


def kill_group(pgid: int, sig: int) -> None:
    """Send ``sig`` to the process group ``pgid``, if it still exists."""
    with contextlib.suppress(ProcessLookupError, PermissionError):
        os.killpg(pgid, sig)


def group_alive(pgid: int) -> bool:
    """Does any process of group ``pgid`` remain?"""
    try:
        os.killpg(pgid, 0)
    except (ProcessLookupError, PermissionError):
        return False
    return True


class Child:
    """A started script: its pid (the leader of a session of its own) and its output pipes."""

    def __init__(self, pid: int, stdout_fd: int, stderr_fd: int) -> None:
        self.pid, self.stdout_fd, self.stderr_fd = pid, stdout_fd, stderr_fd
        self.returncode: int | None = None

    def _reaped(self, status: int) -> int:
        self.returncode = os.waitstatus_to_exitcode(status)
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


class Ends:
    """The parent's ends of bubblewrap's info pipe (fd 4), its go-ahead pipe (fd 5), the
    preamble's ready (fd 6) and go (fd 7) pipes, and of the socket on which customsrc's launcher
    sends the work directory (fd 4); -1 where the launch has none."""

    def __init__(self) -> None:
        self.info = self.hold = self.ready = self.go = self.folder = -1

    def close(self) -> None:
        for fd in (self.info, self.hold, self.ready, self.go, self.folder):
            if fd >= 0:
                with contextlib.suppress(OSError):
                    os.close(fd)
        self.info = self.hold = self.ready = self.go = self.folder = -1


def spawn(launch: Launch) -> tuple[Child, Ends]:
    """Start the launch in a session of its own: stdin /dev/null, stdout and stderr piped, the
    preamble on fd 3 and, for bubblewrap, the pipes of ``Ends`` on fds 4 to 7.

    Always os.posix_spawn (importing subprocess, and the threading it loads, costs ~8 ms of
    start-up); it cannot change directory, so the launch's ``cwd`` is set by what runs first:
    bubblewrap's --chdir, unshare's --wd, the preamble's cd, else ``env -C``.
    """
    argv = launch.argv
    helper = os.path.basename(argv[0]) if argv else ""
    ends = Ends()
    if launch.preamble is None and helper not in ("unshare", "bwrap", "customsrc-launch"):
        env = tool("env")
        if env is None:
            raise SandboxError("the runner needs env (coreutils) to start a script in its folder")
        argv = [env, "-C", launch.cwd, *argv]
    if helper == "unshare":
        argv = [argv[0], f"--wd={launch.cwd}", *argv[1:]]
    opened: list[int] = []  # the parent's ends: closed again if the spawn fails
    child_ends: list[int] = []  # the child's ends: closed here once it has them (or failed to start)
    actions: list[tuple[Any, ...]] = [(os.POSIX_SPAWN_OPEN, 0, os.devnull, os.O_RDONLY, 0)]

    def give(mine: int, theirs: int, number: int) -> int:
        """Keep ``mine``, give ``theirs`` to the child as its fd ``number``; returns ``mine``."""
        opened.append(mine)
        child_ends.append(theirs)  # listed first, so it is closed even if moving it fails
        child_ends[-1] = theirs = _high(theirs)
        actions.append((os.POSIX_SPAWN_DUP2, theirs, number))
        return mine

    def pipe(to_child: bool, number: int) -> int:
        """A pipe whose other end is the child's fd ``number``; returns the parent's end."""
        read, write = os.pipe()
        return give(write, read, number) if to_child else give(read, write, number)

    try:
        out_read, err_read = pipe(False, 1), pipe(False, 2)
        if launch.sends_dir:
            import _socket  # not socket: its enums cost ~2 ms of start-up

            mine, theirs = (end.detach() for end in _socket.socketpair(_socket.AF_UNIX, _socket.SOCK_STREAM))
            ends.folder = give(mine, theirs, 4)
        for data, number in ((launch.preamble, 3), (launch.files, 5), (launch.seccomp, 8)):
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
        actions += [(os.POSIX_SPAWN_CLOSE, fd) for fd in _inherited(set(child_ends))]
        # Default dispositions for the signals Python ignores (as subprocess restores them).
        default = (signal.SIGPIPE, signal.SIGXFSZ)
        pid = os.posix_spawn(argv[0], argv, launch.env, file_actions=actions, setsid=True, setsigdef=default)
    except BaseException:
        for fd in opened:
            with contextlib.suppress(OSError):
                os.close(fd)
        raise
    finally:
        for fd in child_ends:
            with contextlib.suppress(OSError):
                os.close(fd)
    return Child(pid, out_read, err_read), ends


def _inherited(ours: set[int]) -> list[int]:
    """Descriptors above 8 this process would pass on (not close-on-exec) but for the launch's own:
    a caller's lock file, log pipe or socket never reaches a script."""
    import fcntl

    found = []
    with contextlib.suppress(OSError):
        for name in os.listdir("/proc/self/fd"):
            fd = int(name)
            if fd > 8 and fd not in ours:
                with contextlib.suppress(OSError):
                    if not fcntl.fcntl(fd, fcntl.F_GETFD) & fcntl.FD_CLOEXEC:
                        found.append(fd)
    return found


def _read_until(fd: int, done: Callable[[bytes], bool], deadline: float) -> bytes:
    """Bytes from ``fd`` until ``done`` says so, end of file, or the deadline."""
    data = b""
    while not done(data):
        left = deadline - time.monotonic()
        if left <= 0:
            break
        poller = select.poll()  # not select.select: a busy process has descriptors above FD_SETSIZE (1024)
        poller.register(fd, select.POLLIN)
        if not poller.poll(left * 1000):
            break
        chunk = os.read(fd, 4096)
        if not chunk:
            break  # bubblewrap failed before its sandbox started: its stderr says why
        data += chunk
    return data


def _hand_over(
    child: Child, group: RunGroup | None, ends: Ends, work: Workdir | SandboxDir | None, deadline: float
) -> None:
    """Everything between the spawn and the script's first line: put the run in its control
    group (bubblewrap's sandbox process, named on the info pipe, while it waits on the go-ahead
    pipe, so everything the script starts is counted; without bubblewrap, the first process at
    once), then, where the sandbox makes the work
    directory, wait for the preamble's ready, fill the directory and let the script start."""
    try:
        if group is not None and (ends.hold < 0 or ends.info < 0):  # the first process, not bubblewrap's: at once
            with contextlib.suppress(ProcessLookupError, OSError):
                group.place(child.pid)
        if ends.folder >= 0 and isinstance(work, SandboxDir):  # the launcher fills it and sends it back
            work.receive(ends.folder)
            ends.folder = -1
        ready = sandbox_pid = None
        if ends.info >= 0:
            if ends.hold < 0 and ends.ready >= 0:  # nothing to do until the script's bash is ready: wait once
                ready = _read_until(ends.ready, bool, deadline)
            data = _read_until(ends.info, lambda d: b"}" in d, deadline)
            found = re.search(rb'"child-pid"\s*:\s*(\d+)', data)
            sandbox_pid = int(found.group(1)) if found else None
            if group is not None and sandbox_pid is not None:
                with contextlib.suppress(ProcessLookupError, OSError):
                    group.place(sandbox_pid)
        if ends.hold >= 0:  # bubblewrap's --block-fd, or levels._waiter: in the group now, it may go on
            with contextlib.suppress(OSError):
                os.write(ends.hold, b"1")
        if ends.ready < 0 or sandbox_pid is None or not isinstance(work, SandboxDir):
            return
        if ready is None:
            ready = _read_until(ends.ready, bool, deadline)
        if ready != b".":
            return  # the sandbox failed (or the run timed out) before its script could start
        try:
            work.attach(sandbox_pid)
        except OSError as exc:
            raise SandboxError(f"cannot reach the run's work directory inside its sandbox ({exc.strerror})") from None
        os.write(ends.go, b"1")
    finally:
        ends.close()


def start(launch: Launch, group: RunGroup | None, work: Workdir | SandboxDir | None, deadline: float) -> Child:
    """Spawn the launch and hand it over (control group, work directory): when this returns, the
    script runs. A failure on the way kills what was started."""
    child, ends = spawn(launch)
    try:
        _hand_over(child, None if launch.placed else group, ends, work, deadline)
    except BaseException:
        kill_group(child.pid, signal.SIGKILL)
        child.wait()
        child.close()
        raise
    return child
