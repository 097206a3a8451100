"""Sandbox levels: how a script's process is launched. Each level meets one protocol and is
registered in one table (``LEVELS``); what a level guarantees here, and what it cannot, comes
from ``guarantees()`` so the runner, ``doctor`` and the table in docs/sandbox.md speak of the same things.

* ``off``    -- a plain child process with the caller's whole environment, as a delegate runs it;
  only its own PID namespace (``unshare --pid --kill-child``, no new ``/proc``) so that nothing it
  starts outlives the run.
* ``basic``  -- a world of its own (bubblewrap): own PID namespace and ``/proc``, private
  ``/tmp``, ``/var/tmp``, ``/dev/shm``, ``/run/lock`` and work directory (size-capped tmpfs, gone
  with the run),
  home folders and the project hidden, IPC and hostname of its own; as root, a uid of its own from
  a pool (``uidpool``) and a control group of its own (``cgroup``: memory and processes for the
  run as a whole); an explicit environment.
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
from functools import cache

from .errors import SandboxError

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
# The whole environment of every process that runs with more privilege than the script.
HELPER_ENV = {"PATH": "/usr/sbin:/usr/bin:/sbin:/bin", "BASH_ENV": "/dev/fd/3"}
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
        if is_root() and field == "open_files":
            try:
                with open("/proc/sys/fs/nr_open", encoding="ascii") as handle:
                    hard = int(handle.read())
            except (OSError, ValueError):
                pass
        elif is_root():
            continue  # root may raise its process limit as far as it likes
        if hard != resource.RLIM_INFINITY and getattr(limits, field) > hard:
            return field, f"is above what this machine allows ({hard})"
    return None


class Settings(NamedTuple):
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
    cgroup: bool = False  # the run has a control group of its own: limits are whole-run
    tmpdir: str = "/tmp"  # where runs on the host keep their work directories (hidden from this one)


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


if TYPE_CHECKING:

    class SandboxLevel(Protocol):
        name: str

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


# -- what this machine can do (probed once per process) ------------------------------------------

_probes: dict[str, object] = {}


def tool(name: str) -> str | None:
    """The first executable ``name`` in the system folders (never the caller's PATH: these run as root)."""
    key = "tool:" + name
    if key not in _probes:
        found: str | None = None
        for folder in ("/usr/bin", "/bin", "/usr/sbin", "/sbin", "/usr/local/bin"):
            path = os.path.join(folder, name)
            if os.path.isfile(path) and os.access(path, os.X_OK):
                found = path
                break
        _probes[key] = found
    cached = _probes[key]
    return cached if isinstance(cached, str) else None


def is_root() -> bool:
    return os.geteuid() == 0


def _works(argv: list[str]) -> bool:
    import subprocess

    try:
        done = subprocess.run(
            argv, stdin=subprocess.DEVNULL, capture_output=True, timeout=10, check=False, env=dict(HELPER_ENV)
        )
    except (OSError, subprocess.TimeoutExpired):
        return False
    return done.returncode == 0


def user_namespaces() -> bool:
    """Can an unprivileged process here create a user namespace?"""
    if "userns" not in _probes:
        unshare = tool("unshare")
        works = False
        if unshare is not None:
            probe = [unshare, "--user", "--map-current-user", "--pid", "--fork", "true"]
            if is_root():  # ask on behalf of an unprivileged uid
                probe = [unshare, "--setuid", "65534", "--setgid", "65534", "--", *probe]
            works = _works(probe)
        _probes["userns"] = works
    return bool(_probes["userns"])


def bubblewrap() -> str | None:
    """bwrap, if it works here: as root it needs nothing more (no probe: a run's start-up matters);
    otherwise it needs user namespaces, tried once per process."""
    if "bwrap" not in _probes:
        bwrap = tool("bwrap")
        ok = False
        if bwrap is not None and is_root():
            ok = True
        elif bwrap is not None:
            argv = [bwrap, "--dev-bind", "/", "/", "--unshare-pid", "--proc", "/proc", "--perms", "1777"]
            argv += ["--size", "1048576", "--tmpfs", "/tmp", "--", "true"]
            if not is_root():
                argv.insert(1, "--unshare-user")
            ok = _works(argv)
        _probes["bwrap"] = bwrap if ok else None
    found = _probes["bwrap"]
    return found if isinstance(found, str) else None


def cgroups() -> str | None:
    """Why runs here get no control group of their own, or None when they do."""
    from . import cgroup

    found = cgroup.available()
    return found if isinstance(found, str) else None


def pid_namespace_prefix(network: str) -> list[str] | None:
    """``unshare`` arguments giving a process its own PID (and maybe network) namespace, without
    a new ``/proc`` and without changing its uid; None when this machine cannot."""
    unshare = tool("unshare")
    if unshare is None:
        return None
    net = ["--net"] if network == "none" else []
    if is_root():
        return [unshare, "--pid", "--fork", "--kill-child", *net, "--"]
    if user_namespaces():
        return [unshare, "--user", "--map-current-user", "--pid", "--fork", "--kill-child", *net, "--"]
    return None


# -- the kernel keyring --------------------------------------------------------------------------

# The kernel keeps a keyring per uid that outlives its processes: a run could leave a key there
# for a later run that draws the same uid from the pool (or, without root, read the caller's own
# keys). As Docker's default profile does, a seccomp filter denies add_key, request_key and keyctl
# (EPERM). Per audit architecture: the native ABI and its 32-bit compat ABI.
KEYRING_SYSCALLS = {
    "x86_64": ((0xC000003E, (248, 249, 250)), (0x40000003, (286, 287, 288))),  # x86_64, i386
    "aarch64": ((0xC00000B7, (217, 218, 219)), (0x40000028, (309, 310, 311))),  # aarch64, arm
}
X32_BIT = 0x40000000  # x86_64's x32 ABI: the same numbers with this bit set


@cache
def keyring_filter(machine: str | None = None) -> bytes | None:
    """A classic BPF seccomp program (bubblewrap's ``--seccomp``) denying the keyring calls, or
    None on a machine this table does not know."""
    import struct

    arches = KEYRING_SYSCALLS.get(machine or os.uname().machine)
    if arches is None:
        return None
    load, jump_eq, ret = 0x20, 0x15, 0x06  # BPF_LD|BPF_W|BPF_ABS, BPF_JMP|BPF_JEQ|BPF_K, BPF_RET|BPF_K
    allow, deny = 0x7FFF0000, 0x00050000 | 1  # SECCOMP_RET_ALLOW, SECCOMP_RET_ERRNO | EPERM
    program: list[tuple[int, int, int, int]] = []
    for arch, native in arches:
        numbers = (*native, *(X32_BIT | n for n in native)) if arch == 0xC000003E else native
        count = len(numbers)
        block = [(load, 0, 0, 0)]  # seccomp_data.nr
        block += [(jump_eq, count - i, 0, n) for i, n in enumerate(numbers)]  # true: on to deny
        block += [(ret, 0, 0, allow), (ret, 0, 0, deny)]
        program += [(load, 0, 0, 4), (jump_eq, 0, len(block), arch), *block]  # seccomp_data.arch
    program.append((ret, 0, 0, allow))
    return b"".join(struct.pack("<HBBI", *op) for op in program)


# -- what the script's bash runs before the script ------------------------------------------------


def _quote(value: str) -> str:
    return "'" + value.replace("'", "'\\''") + "'"


def preamble(request: Request, env: Mapping[str, str]) -> bytes:
    """Bash source that sets the script's environment (``env``) and limits, then forgets itself."""
    limits = request.settings.limits
    cpu = max(1, int(limits.cpu_time if limits.cpu_time is not None else request.timeout + 0.999))
    lines = ["exec 3<&-"]
    if not request.workdir:  # the work directory is the sandbox's own: customsrc fills it first
        lines += ["printf . >&6 && read -r -n 1 -u 7 _ || exit 126"]
    lines.append("exec 4>&- 5<&- 6>&- 7<&- 8<&-")
    lines += ["unset BASH_ENV", f"cd -- {_quote(request.inside)} || exit 126"]
    # Every variable the helpers had is replaced or removed: only the script's own remain.
    lines.append("unset PATH")
    for name, value in env.items():
        if IDENTIFIER.match(name) and name != "BASH_ENV":
            lines.append(f"export {name}={_quote(value)}")
    ulimit = f"ulimit -f {max(limits.file_size // 1024, 1)} -t {cpu} -n {limits.open_files}"
    if not request.cgroup:  # whole-run limits are the control group's where there is one
        ulimit += f" -v {limits.memory // 1024} -u {limits.processes}"
    lines.append(ulimit + " || exit 126")
    return ("\n".join(lines) + "\n").encode("utf-8", "surrogateescape")


def script_command(request: Request) -> list[str]:
    """What the unprivileged side runs: bash with the script, or bash exec'ing sh or python3 (so
    that the same bash applies the environment and limits first)."""
    bash = request.command[0] if request.shell == "bash" else _bash()
    if request.shell == "bash":
        return list(request.command)
    return [bash, "-c", 'exec "$@"', "customsrc", *request.command]


def _bash() -> str:
    found = tool("bash")
    if found is None:
        raise SandboxError("the sandbox starts scripts with bash, which is missing: apt-get install bash")
    return found


# -- the levels -----------------------------------------------------------------------------------


class OffLevel:
    """A plain child process with the caller's whole environment (what a delegate does)."""

    name = "off"

    def unavailable(self, network: str) -> str | None:
        if network == "none":
            return "--network none needs --sandbox basic or strict"
        return None

    def degraded(self) -> list[str]:
        if pid_namespace_prefix("host") is None:
            return ["no PID namespace here (unshare, user namespaces): a process that calls setsid may outlive its run"]
        return []

    def inside(self, workdir: str) -> str:
        return workdir

    def own_workdir(self) -> str | None:
        return None

    def prepare(self, request: Request) -> Launch:
        env = {**request.caller_env, **request.env}
        prefix = pid_namespace_prefix("host") or []
        return Launch([*prefix, *request.command], env, request.workdir, names=tuple(sorted(env)))


class ConfinedLevel:
    """``basic`` and ``strict``: bubblewrap where it works, else ``unshare`` (fewer guarantees)."""

    def __init__(self, name: str) -> None:
        self.name = name
        self.strict = name == "strict"

    def unavailable(self, network: str) -> str | None:
        if bubblewrap() is not None:
            return None
        if self.strict:
            if tool("bwrap") is None:
                return "--sandbox strict needs bubblewrap: apt-get install bubblewrap"
            return "--sandbox strict needs bubblewrap and user namespaces (sysctl kernel.unprivileged_userns_clone=1)"
        if network == "none" and _fallback_prefix("none", None) is None:
            return "--network none needs bubblewrap or unshare (util-linux), and root or user namespaces"
        return None

    def degraded(self) -> list[str]:
        lost = []
        if bubblewrap() is not None and keyring_filter() is None:
            machine = os.uname().machine
            lost.append(f"no keyring filter for {machine} here: a run may use the kernel keyring its uid keeps")
        if bubblewrap() is None and not self.strict:
            why = "bubblewrap missing (apt-get install bubblewrap)" if tool("bwrap") is None else "bubblewrap unusable"
            lost.append(f"{why}: /tmp, /var/tmp and /dev/shm are shared, home folders visible, the keyring open")
            if _fallback_prefix("host", None) is None:
                lost.append("no PID namespace here (unshare, user namespaces): a process may outlive its run")
        return lost

    def inside(self, workdir: str) -> str:
        if bubblewrap() is None:
            return workdir
        return "/tmp/" + os.path.basename(os.path.dirname(workdir))

    def own_workdir(self) -> str | None:
        if bubblewrap() is None:
            return None
        return "/tmp/customsrc-" + os.urandom(8).hex()

    def prepare(self, request: Request) -> Launch:
        problem = self.unavailable(request.settings.network)
        if problem:
            raise SandboxError(problem)
        tail = script_command(request)
        env = {**base_environment(request.caller_env, request.settings.pass_env), **request.env}
        env["HOME"] = request.inside
        code = preamble(request, env)
        names = tuple(sorted(n for n in env if IDENTIFIER.match(n)))
        bwrap = bubblewrap()
        if bwrap is None:
            prefix = _fallback_prefix(request.settings.network, request.uid)
            return Launch([*(prefix or []), *tail], dict(HELPER_ENV), request.workdir, code, names=names)
        argv = [bwrap, *self._namespaces(request), *self._filesystem(request), "--chdir", request.inside]
        own = not request.workdir
        if own or request.cgroup:
            argv += ["--info-fd", "4"]
        if request.cgroup:
            argv += ["--block-fd", "5"]
        seccomp = keyring_filter()
        if seccomp is not None:
            argv += ["--seccomp", "8"]
        argv.append("--")
        if request.uid is not None:  # bubblewrap ran as root: drop to the run's uid, then the script
            unshare = tool("unshare")
            if unshare is None:
                raise SandboxError("the sandbox needs unshare (util-linux) to drop root: apt-get install util-linux")
            argv += [unshare, "--setuid", str(request.uid), "--setgid", str(request.uid), "--"]
        return Launch(
            [*argv, *tail],
            dict(HELPER_ENV),
            "/",
            code,
            info=own or request.cgroup,
            hold=request.cgroup,
            handshake=own,
            seccomp=seccomp,
            names=names,
        )

    def _namespaces(self, request: Request) -> list[str]:
        args = ["--unshare-pid", "--unshare-ipc", "--unshare-uts", "--unshare-cgroup-try"]
        if request.settings.network == "none":
            args.append("--unshare-net")
        if not is_root():
            args.insert(0, "--unshare-user")
            args += ["--cap-drop", "ALL"]
        return [*args, "--die-with-parent", "--new-session"]

    def _filesystem(self, request: Request) -> list[str]:
        settings = request.settings
        args = ["--ro-bind", "/", "/", "--dev", "/dev"] if self.strict else ["--dev-bind", "/", "/"]
        args += ["--proc", "/proc"]
        size = str(max(settings.limits.disk, 1 << 20))
        for folder in PRIVATE_TEMP:
            if os.path.isdir(folder) and not os.path.islink(folder):
                args += ["--perms", "1777", "--size", size, "--tmpfs", folder]
        for folder in hidden_folders(request.caller_env, settings, self.strict):
            args += ["--tmpfs", folder]
        base = os.path.realpath(request.tmpdir or "/tmp")  # other runs' work directories on the host
        shared = base in ("/", *SYSTEM, *PRIVATE_TEMP) or any(s.startswith(base + "/") for s in SYSTEM)
        if not shared and os.path.isdir(base):
            args += ["--tmpfs", base]
        for folder in settings.allow_read:
            if os.path.isdir(folder):
                args += ["--ro-bind", folder, folder]
        if not request.workdir:  # a tmpfs of the run's own, capped like the temp folders
            return [*args, "--perms", "0700", "--size", size, "--tmpfs", request.inside]
        return [*args, "--bind", request.workdir, request.inside]


def hidden_folders(caller_env: Mapping[str, str], settings: Settings, strict: bool) -> list[str]:
    """Folders a confined script must not see: home folders, the caller's home and working
    directory (the project), the folders of the source, plus fixed ones under ``strict``."""
    wanted = [*HOME_HIDDEN, *(STRICT_HIDDEN if strict else ())]
    home = caller_env.get("HOME") or os.path.expanduser("~")
    wanted += [home, os.getcwd(), *settings.private]
    found: list[str] = []
    for folder in wanted:
        path = os.path.realpath(folder) if folder else ""
        if not path or path == "/" or not os.path.isdir(path):
            continue
        if any(path == s or s.startswith(path + "/") for s in SYSTEM):
            continue  # hiding it would hide the system
        if any(path == p or path.startswith(p.rstrip("/") + "/") for p in (*PRIVATE_TEMP, *found)):
            continue  # already hidden
        found = [f for f in found if not f.startswith(path + "/")] + [path]
    return sorted(found, key=lambda p: p.count("/"))


def _fallback_prefix(network: str, uid: int | None) -> list[str] | None:
    """Without bubblewrap: own PID namespace and /proc through unshare, as the run's uid when root."""
    unshare = tool("unshare")
    if unshare is None:
        return None
    net = ["--net"] if network == "none" else []
    common = ["--ipc", "--pid", "--fork", "--kill-child", "--mount-proc", *net]
    if is_root():
        drop = ["--setuid", str(uid), "--setgid", str(uid)] if uid is not None else []
        return [unshare, *common, *drop, "--"]
    if user_namespaces():
        return [unshare, "--user", "--map-current-user", *common, "--"]
    return None


LEVELS: dict[str, SandboxLevel] = {
    "off": OffLevel(),
    "basic": ConfinedLevel("basic"),
    "strict": ConfinedLevel("strict"),
}


def level(name: str) -> SandboxLevel:
    try:
        return LEVELS[name]
    except KeyError:
        raise SandboxError(f"unknown sandbox level {name!r}; use {', '.join(LEVELS)}") from None


_warned: set[str] = set()


def first_warnings(messages: list[str]) -> list[str]:
    """The messages not yet given by this process (each lost guarantee is said once)."""
    fresh = [m for m in messages if m not in _warned]
    _warned.update(fresh)
    return fresh
