"""Whole-run limits: one control group per run, so memory and processes are counted for the run
as a whole (every process it starts), not per process as rlimits are.

cgroup v2 (``memory.max``, ``pids.max``) where the unified hierarchy lets us make child groups,
else cgroup v1 (the ``memory`` and ``pids`` hierarchies, nested under customsrc's own groups so a
host's limit on customsrc still covers its scripts). Only root can create and fill groups here;
without them the sandbox falls back to rlimits and says so (``available()`` gives the reason).

A run's group is ``<base>/run-<pid>-<random>``; ``place(pid)`` moves a process in before it runs
the script, ``kill()`` ends every process in it, ``close()`` gives it back. Stale empty run groups
(from a customsrc killed with SIGKILL) are removed when the next group is made.

Making and removing a memory group costs ~0.4 ms of CPU a run (and the kernel's deferred work
after it), so ``RunGroup.take`` reuses a group a finished run of this process gave back: only
once no process of that run is left in it (none can enter again: only root writes its
``cgroup.procs``), with the same limits, holding almost no memory (what a run leaves charged, its
page cache, would otherwise count against the next run), its out-of-memory count as the new
baseline. Groups in the pool are removed when the process exits. A group's folder is root's alone
(0700): no script reads the counters of another run, or those a reused group kept from the run
before (peak memory, page faults, out-of-memory kills cannot all be reset).
"""

from __future__ import annotations

import atexit
import contextlib
import os
import signal
import time

ROOT = "/sys/fs/cgroup"
NAME = "customsrc"

_probe: dict[str, object] = {}


def _read(path: str) -> str:
    with open(path, encoding="ascii") as handle:
        return handle.read()


def _write(path: str, value: str) -> None:
    fd = os.open(path, os.O_WRONLY | os.O_NOFOLLOW | os.O_CLOEXEC)
    try:
        os.write(fd, value.encode("ascii"))
    finally:
        os.close(fd)


def _own_paths() -> dict[str, str]:
    """controller (or '' for v2) -> this process's group path."""
    found: dict[str, str] = {}
    for line in _read("/proc/self/cgroup").splitlines():
        _, controllers, path = line.split(":", 2)
        for name in controllers.split(",") if controllers else [""]:
            found[name] = path
    return found


def _v2_base() -> str:
    """A group under which run groups with memory and pids control can be made (cgroup v2)."""
    controllers = _read(os.path.join(ROOT, "cgroup.controllers")).split()
    if not {"memory", "pids"} <= set(controllers):
        raise OSError("cgroup v2 lacks the memory or pids controller")
    own = _own_paths().get("", "/")
    parent = os.path.join(ROOT, own.lstrip("/"))
    if own != "/" and _read(os.path.join(parent, "cgroup.procs")).strip():
        # cgroup v2 forbids child groups with controllers beside processes (the no-internal-process
        # rule): make ours beside our own group, under its parent, when that parent is ours to use.
        parent = os.path.dirname(parent)
    subtree = set(_read(os.path.join(parent, "cgroup.subtree_control")).split())
    if not {"memory", "pids"} <= subtree:
        _write(os.path.join(parent, "cgroup.subtree_control"), "+memory +pids")
    base = os.path.join(parent, NAME)
    with contextlib.suppress(FileExistsError):
        os.mkdir(base, 0o755)
    _write(os.path.join(base, "cgroup.subtree_control"), "+memory +pids")
    return base


def _v1_bases() -> list[str]:
    own = _own_paths()
    bases = []
    for controller in ("memory", "pids"):
        mount = os.path.join(ROOT, controller)
        if controller not in own or not os.path.isfile(os.path.join(mount, "cgroup.procs")):
            raise OSError(f"no cgroup v1 {controller} hierarchy at {mount}")
        base = os.path.join(mount, own[controller].lstrip("/"), NAME)
        with contextlib.suppress(FileExistsError):
            os.mkdir(base, 0o755)
        bases.append(base)
    return bases


def available() -> tuple[str, list[str]] | str:
    """('v2'|'v1', base directories) where whole-run groups work here, else the reason they do not."""
    if "result" not in _probe:
        result: tuple[str, list[str]] | str
        if os.geteuid() != 0:
            result = "whole-run limits need root (cgroups); rlimits apply per process instead"
        else:
            try:
                if os.path.isfile(os.path.join(ROOT, "cgroup.controllers")):
                    result = ("v2", [_v2_base()])
                else:
                    result = ("v1", _v1_bases())
            except (OSError, ValueError) as exc:
                result = f"no usable cgroup here ({exc}); rlimits apply per process instead"
        _probe["result"] = result
    found = _probe["result"]
    assert isinstance(found, (tuple, str))
    return found


POOL_SIZE = 64  # groups kept for reuse, at most (about the most runs a process has at once)
REUSE_BELOW = 4 << 20  # bytes still charged to a finished run's group under which it is reused

_pool: list[RunGroup] = []


@atexit.register
def _empty_pool() -> None:
    while _pool:
        group = _pool.pop()
        if group.owner == os.getpid():  # a forked child leaves its parent's alone
            group.remove()


class RunGroup:
    """The control group(s) of one run."""

    @classmethod
    def take(cls, memory: int, processes: int) -> RunGroup:
        """A group with these limits: one a finished run gave back, else a new one."""
        while True:
            try:
                group = _pool.pop()
            except IndexError:
                return cls(memory, processes)
            if group.owner != os.getpid():
                continue  # a forked child leaves its parent's alone
            if group.limits == (memory, processes):
                group.emptied = False
                return group
            group.remove()  # other limits: lowering a v1 limit can fail under the old charge

    def __init__(self, memory: int, processes: int) -> None:
        found = available()
        if isinstance(found, str):
            raise OSError(found)
        self.version, bases = found
        self.owner = os.getpid()  # a forked child never takes its parent's groups
        self.limits = (memory, processes)
        self.emptied = False  # no process is left in it, and none can enter again
        self.kills = 0  # out-of-memory kills counted before this run (a reused group's past)
        self.seen: int | None = None  # the count read after this run's processes were gone
        name = f"run-{self.owner}-{os.urandom(6).hex()}"
        self.paths: list[str] = []
        try:
            for base in bases:
                if not _probe.get("swept:" + base):
                    _probe["swept:" + base] = True
                    _sweep(base)
                path = os.path.join(base, name)
                os.mkdir(path, 0o700)
                self.paths.append(path)
                os.chmod(path, 0o700)  # root's alone: no run reads another's (or its group's past) counters
                self._limit(path, memory, processes)
        except OSError:
            self.remove()
            raise

    def _limit(self, path: str, memory: int, processes: int) -> None:
        files = set(os.listdir(path))
        if self.version == "v2":
            _write(os.path.join(path, "memory.max"), str(memory))
            if "memory.swap.max" in files:
                _write(os.path.join(path, "memory.swap.max"), "0")
            _write(os.path.join(path, "pids.max"), str(processes))
        elif "memory.limit_in_bytes" in files:
            _write(os.path.join(path, "memory.limit_in_bytes"), str(memory))
            if "memory.memsw.limit_in_bytes" in files:  # no swapping past the limit either
                with contextlib.suppress(OSError):
                    _write(os.path.join(path, "memory.memsw.limit_in_bytes"), str(memory))
        else:
            _write(os.path.join(path, "pids.max"), str(processes))

    def place(self, pid: int) -> None:
        for path in self.paths:
            _write(os.path.join(path, "cgroup.procs"), str(pid))

    def pids(self) -> list[int]:
        found: set[int] = set()
        for path in self.paths:
            with contextlib.suppress(OSError):
                found.update(int(p) for p in _read(os.path.join(path, "cgroup.procs")).split())
        return sorted(found)

    def kill(self) -> None:
        """SIGKILL every process in the group, until none is left (bounded)."""
        if self.emptied:
            return
        if self.version == "v2" and self.paths and os.path.exists(os.path.join(self.paths[0], "cgroup.kill")):
            with contextlib.suppress(OSError):
                _write(os.path.join(self.paths[0], "cgroup.kill"), "1")
        deadline = time.monotonic() + 2
        while time.monotonic() < deadline:
            pids = self.pids()
            if not pids:
                self.emptied = True
                return
            for pid in pids:
                with contextlib.suppress(ProcessLookupError, PermissionError):
                    os.kill(pid, signal.SIGKILL)
            time.sleep(0.0002)

    def _memory(self, v2: str, v1: str) -> str:
        """The memory group's file (v1: the first of the two groups), named per version; '' if unreadable."""
        with contextlib.suppress(OSError, IndexError):
            return _read(os.path.join(self.paths[0], v2 if self.version == "v2" else v1))
        return ""

    def _oom_kills(self) -> int:
        """How many processes the kernel has killed in this group for reaching its memory limit."""
        count = 0
        with contextlib.suppress(ValueError):
            for line in self._memory("memory.events", "memory.oom_control").splitlines():
                key, _, value = line.partition(" ")
                if key == "oom_kill":
                    count += int(value)
        return count

    def out_of_memory(self) -> bool:
        """Did the kernel kill a process of this run for reaching its memory limit?"""
        count = self._oom_kills()
        if self.emptied:
            self.seen = count
        return count > self.kills

    def _charged(self) -> int:
        """Bytes of memory still charged to the group."""
        with contextlib.suppress(ValueError):
            return int(self._memory("memory.current", "memory.usage_in_bytes"))
        return 0

    def close(self) -> None:
        """Give the group back for the next run of this process, or remove it (see the module)."""
        self.kill()
        mine = self.emptied and self.paths and self.owner == os.getpid()
        if mine and len(_pool) < POOL_SIZE and self._charged() < REUSE_BELOW:
            self.kills = self.seen if self.seen is not None else self._oom_kills()
            self.seen = None
            _pool.append(self)
            return
        self.remove()

    def remove(self) -> None:
        """Remove the group (its processes are gone: a group with none left can be removed)."""
        for path in self.paths:
            for _ in range(5000):
                try:
                    os.rmdir(path)
                    break
                except FileNotFoundError:
                    break
                except OSError:  # EBUSY while the last processes finish exiting
                    time.sleep(0.0002)
        self.paths = []


def _sweep(base: str) -> None:
    """Remove run groups left by a customsrc process that was killed before it could (their
    names carry the pid of the customsrc that made them; a group of a live one is never touched)."""
    with contextlib.suppress(OSError):
        for entry in os.scandir(base):
            parts = entry.name.split("-")
            if len(parts) != 3 or parts[0] != "run" or not parts[1].isdigit():
                continue
            if os.path.exists(f"/proc/{parts[1]}"):
                continue
            with contextlib.suppress(OSError):
                for pid in _read(os.path.join(entry.path, "cgroup.procs")).split():
                    os.kill(int(pid), signal.SIGKILL)
                os.rmdir(entry.path)
