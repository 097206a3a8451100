"""Sandbox levels: how a script's process is launched. Each level meets one protocol and is
registered in one table (``LEVELS``); what a level guarantees here, and what it cannot, comes
from ``degraded()``, so the runner, ``doctor`` and the table in docs/sandbox.md speak of the same
things. This module holds what every level shares (the records, the environment allow-list,
limits); ``levels`` the levels themselves, ``machine`` what this machine can do.

* ``off``    -- a plain child process with the caller's whole environment, as a delegate runs it;
  only its own PID namespace (``unshare --pid --kill-child``, no new ``/proc``) so that nothing it
  starts outlives the run.
* ``basic``  -- a world of its own (bubblewrap; as root, customsrc's launcher where it can be
  built: ``machine.launcher``, the same options and guarantees at a fifth of the cost): own PID
  namespace and ``/proc``, private ``/tmp``, ``/var/tmp``, ``/dev/shm``, ``/run/lock`` and work
  directory (size-capped tmpfs, gone with the run), home folders and the project hidden, IPC and
  hostname of its own; as root, a uid of its own from a pool (``uidpool``) and a control group
  of its own (``cgroup``: memory and processes for the run as a whole); an explicit environment.
* ``strict`` -- ``basic`` with the whole filesystem read-only (but the work directory), a minimal
  ``/dev``, ``/run``, ``/srv``, ``/mnt``, ``/media`` hidden too, and no capabilities.

Privilege. A process that runs as root (bubblewrap, then ``unshare --setuid`` dropping to the
run's uid) gets a fixed environment of two variables, so nothing a source controls (an input
named ``LD_PRELOAD``, say) can reach it. The script's own environment and its limits travel on
an inherited memfd read by bash itself (``BASH_ENV=/dev/fd/3``) after the drop; sh and python
scripts are started by that same bash.

Where a piece is missing (no bubblewrap, no user namespaces, no cgroups), the level falls back
to the next best thing, and ``degraded()`` names each isolation guarantee lost: a run warns once,
or refuses (exit 2) when the level was asked for explicitly. Whole-run limits falling back to
per-process rlimits (``cgroups()``) still limit, so that loss is only ever a warning.
"""

from __future__ import annotations

import os
import re
from collections.abc import Mapping

TYPE_CHECKING = False
if TYPE_CHECKING:
    from typing import NamedTuple, Protocol
else:
    from .records import NamedTuple

# Variables a script may inherit from the caller at ``basic`` and ``strict``; all else is dropped.
ALLOWED_ENV = (
    "PATH",
    "HOME",
    "LANG",
    "LANGUAGE",
    "TZ",
    "http_proxy",
    "https_proxy",
    "no_proxy",
    "HTTP_PROXY",
    "HTTPS_PROXY",
    "NO_PROXY",
    "all_proxy",
    "ALL_PROXY",
    "SSL_CERT_FILE",
    "SSL_CERT_DIR",
    "CURL_CA_BUNDLE",
    "REQUESTS_CA_BUNDLE",
    "NODE_EXTRA_CA_CERTS",
)
DEFAULT_PATH = "/usr/local/bin:/usr/bin:/bin"
# The whole environment of every process that runs with more privilege than the script. HOME and
# SHELL are the values bash gives a uid without a passwd entry (a run's own uid): set, bash does
# not look the uid up at start, which cost ~0.6 ms a run where NSS tries more than files.
HELPER_ENV = {"PATH": "/usr/sbin:/usr/bin:/sbin:/bin", "BASH_ENV": "/dev/fd/3", "HOME": "/", "SHELL": "/bin/sh"}
LEVEL_NAMES = ("off", "basic", "strict")
NETWORKS = ("host", "none")
PRIVATE_TEMP = ("/tmp", "/var/tmp", "/dev/shm", "/run/lock")  # world-writable: private per run
STRICT_HIDDEN = ("/home", "/root", "/run", "/mnt", "/media", "/srv")
HOME_HIDDEN = ("/home", "/root", "/run/user")  # /run/user: session sockets (ssh/gpg agents, D-Bus)
SYSTEM = (
    "/usr",
    "/bin",
    "/sbin",
    "/lib",
    "/lib32",
    "/lib64",
    "/libx32",
    "/etc",
    "/opt",
    "/proc",
    "/sys",
    "/dev",
    "/var",
)
IDENTIFIER = re.compile(r"[A-Za-z_][A-Za-z0-9_]*\Z")


def base_environment(environ: Mapping[str, str], pass_env: tuple[str, ...] = ()) -> dict[str, str]:
    """The allow-listed part of ``environ`` (plus ``LC_*`` and any ``pass_env`` names)."""
    env = {k: environ[k] for k in ALLOWED_ENV if k in environ}
    env.update({k: v for k, v in environ.items() if k.startswith("LC_")})
    env.update({k: environ[k] for k in pass_env if k in environ})
    env.setdefault("PATH", DEFAULT_PATH)
    return env


class Limits(NamedTuple):
    """Resource limits for ``basic`` and ``strict`` (``cpu_time`` None: the run's timeout).

    ``memory`` and ``processes`` hold for the run as a whole where a control group is available
    (root), else per process (rlimits); ``disk`` caps each private temp folder and the work
    directory the sandbox makes."""

    memory: int = 2 << 30
    cpu_time: int | None = None
    file_size: int = 1 << 30
    open_files: int = 1024
    processes: int = 512
    output: int = 1 << 20  # bytes of the script's output shown live; the rest is counted, not shown
    disk: int = 1 << 30


def limit_problem(limits: Limits) -> tuple[str, str] | None:
    """(field, what is wrong) for a limit no run could work under, or one this process cannot
    grant (an open-files or processes limit above the hard limit it may raise to); None if fine."""
    import resource

    floors = {
        "memory": (16 << 20, "must be at least 16M (bash alone needs several MB)"),
        "file_size": (1024, "must be at least 1K"),
        "open_files": (16, "must be at least 16 (bash and its pipes need some)"),
        "processes": (1, "must be at least 1"),
        "disk": (1 << 20, "must be at least 1M"),
        "output": (0, "must not be negative"),
    }
    for field, (floor, why) in floors.items():
        if getattr(limits, field) < floor:
            return field, why
    if limits.cpu_time is not None and limits.cpu_time < 1:
        return "cpu_time", "must be at least 1 second"
    ceilings = {"open_files": resource.RLIMIT_NOFILE, "processes": resource.RLIMIT_NPROC}
    for field, which in ceilings.items():
        hard = resource.getrlimit(which)[1]
        if os.geteuid() == 0 and field == "open_files":
            try:
                with open("/proc/sys/fs/nr_open", encoding="ascii") as handle:
                    hard = int(handle.read())
            except (OSError, ValueError):
                pass
        elif os.geteuid() == 0:
            continue  # root may raise its process limit as far as it likes
        if hard != resource.RLIM_INFINITY and getattr(limits, field) > hard:
            return field, f"is above what this machine allows ({hard})"
    return None


class Settings(NamedTuple):
    """How one run is confined: the level, network, what of the caller it may see, its limits and tools."""

    level: str = "basic"
    network: str = "host"
    pass_env: tuple[str, ...] = ()
    limits: Limits = Limits()
    explicit: bool = False  # the level was asked for: a lost guarantee refuses instead of warning
    allow_read: tuple[str, ...] = ()  # folders shown read-only inside the sandbox
    private: tuple[str, ...] = ()  # folders hidden inside the sandbox (the project, the source's)
    tools: str = "host"  # "delegate": PATH holds only the stock delegate image's commands (delegate.py)


class Request(NamedTuple):
    """What a level needs to build a launch."""

    command: list[str]  # interpreter and script path (as the script sees it)
    shell: str
    workdir: str  # the work directory on the host ('' when the level makes its own: ``own_workdir``)
    inside: str  # the work directory as the script sees it
    env: dict[str, str]  # inputs, result paths, TMPDIR, HOME (inside paths)
    caller_env: Mapping[str, str]
    timeout: float
    settings: Settings
    uid: int | None = None  # the run's own uid when customsrc is root
    cgroup_procs: tuple[str, ...] = ()  # the run's control groups' cgroup.procs files: limits are whole-run
    tmpdir: str = "/tmp"  # where runs on the host keep their work directories (hidden from this one)
    files: tuple[tuple[str, str], ...] = ()  # (name, text) the work directory holds before the script starts
    hidden: tuple[str, ...] | None = None  # ``SandboxLevel.hidden`` for this run, worked out once (None: not yet)


class Launch(NamedTuple):
    """What to spawn: argv and environment of the first process, and what travels on fd 3."""

    argv: list[str]
    env: dict[str, str]
    cwd: str
    preamble: bytes | None = None  # bash read by the script's bash (BASH_ENV=/dev/fd/3)
    info: bool = False  # bubblewrap names its sandbox process on fd 4 (--info-fd)
    hold: bool = False  # bubblewrap waits on fd 5 (--block-fd) until the run is in its cgroup
    handshake: bool = False  # the preamble says it is ready on fd 6 and waits for a byte on fd 7
    seccomp: bytes | None = None  # a seccomp program bubblewrap reads from fd 8 (--seccomp)
    names: tuple[str, ...] = ()  # the variables the script gets (names only)
    placed: bool = False  # the launch puts itself in the run's control group (customsrc's launcher)
    files: bytes | None = None  # what the launcher copies into the work directory from fd 5 (--file)
    sends_dir: bool = False  # fd 4 is a Unix socket on which the launcher sends the work directory (--send-dir)


if TYPE_CHECKING:

    class SandboxLevel(Protocol):
        """A level is a plugin: the runner asks it, and never tests its name."""

        name: str
        confined: bool  # the run gets a uid of its own (as root) and a control group; named, a lost guarantee refuses

        def hidden(self, caller_env: Mapping[str, str], settings: Settings) -> tuple[str, ...]:
            """Folders the script cannot see (where its interpreter must not be taken from)."""
            ...

        def prepare(self, request: Request) -> Launch:
            """Wrap the command for this level."""
            ...

        def unavailable(self, network: str) -> str | None:
            """Why this level (with this network mode) cannot run here at all, or None."""
            ...

        def degraded(self) -> list[str]:
            """Guarantees of this level that this machine cannot give (it still runs)."""
            ...

        def inside(self, workdir: str) -> str:
            """The work directory's path as the script sees it."""
            ...

        def own_workdir(self) -> str | None:
            """The path of a work directory this level makes inside the sandbox for the run (a
            size-capped tmpfs of its own), or None when the runner makes one on the host."""
            ...
