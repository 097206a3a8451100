"""The sandbox levels, each a plugin the runner only asks (``LEVELS``): ``off`` and the confined
``basic`` and ``strict``, and the bash preamble that gives a confined script its environment and
limits after the drop of privilege (see the ``sandbox`` module for what each level guarantees)."""

from __future__ import annotations

import os
from collections.abc import Mapping

from .errors import SandboxError
from .machine import bubblewrap, is_root, keyring_filter, launcher, pid_namespace_prefix, user_namespaces
from .paths import tool
from .sandbox import (
    HELPER_ENV,
    HOME_HIDDEN,
    IDENTIFIER,
    PRIVATE_TEMP,
    STRICT_HIDDEN,
    SYSTEM,
    Launch,
    Request,
    Settings,
    base_environment,
)

TYPE_CHECKING = False
if TYPE_CHECKING:
    from .sandbox import SandboxLevel


# -- what the script's bash runs before the script ------------------------------------------------


def _quote(value: str) -> str:
    return "'" + value.replace("'", "'\\''") + "'"


def preamble(request: Request, env: Mapping[str, str], handshake: bool) -> bytes:
    """Bash source that sets the script's environment (``env``) and limits, then forgets itself;
    with ``handshake``, it first waits for customsrc to fill the work directory."""
    limits = request.settings.limits
    cpu = max(1, int(limits.cpu_time if limits.cpu_time is not None else request.timeout + 0.999))
    lines = ["exec 3<&-"]
    if handshake:  # the work directory is the sandbox's own: customsrc fills it first
        lines += ["printf . >&6 && read -r -n 1 -u 7 _ || exit 126"]
    lines.append("exec 4>&- 5<&- 6>&- 7<&- 8<&-")
    lines += ["unset BASH_ENV", f"cd -- {_quote(request.inside)} || exit 126"]
    # Every variable the helpers had is replaced or removed: only the script's own remain.
    lines.append("unset PATH")
    for name, value in env.items():
        if IDENTIFIER.match(name) and name != "BASH_ENV":
            lines.append(f"export {name}={_quote(value)}")
    if "SHELL" not in env:  # as bash sets it for a user without an entry: a shell variable, not exported
        lines.append("export -n SHELL")
    ulimit = f"ulimit -f {max(limits.file_size // 1024, 1)} -t {cpu} -n {limits.open_files}"
    if not request.cgroup_procs:  # whole-run limits are the control group's where there is one
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
    confined = False

    def hidden(self, caller_env: Mapping[str, str], settings: Settings) -> tuple[str, ...]:
        return ()

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

    confined = True

    def __init__(self, name: str) -> None:
        self.name = name
        self.strict = name == "strict"

    def hidden(self, caller_env: Mapping[str, str], settings: Settings) -> tuple[str, ...]:
        if bubblewrap() is None:
            return ()
        return (*PRIVATE_TEMP, *hidden_folders(caller_env, settings, self.strict))

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
        names = tuple(sorted(n for n in env if IDENTIFIER.match(n)))
        bwrap = bubblewrap()
        if bwrap is None:
            prefix = _fallback_prefix(request.settings.network, request.uid)
            code = preamble(request, env, handshake=False)
            # Held until customsrc has put it in the run's control groups: unshare forks the script
            # at once, and a script forked before that would run outside the whole-run limits.
            waiter = _waiter() if request.cgroup_procs else []
            argv = [*waiter, *(prefix or []), *tail]
            return Launch(argv, dict(HELPER_ENV), request.workdir, code, hold=bool(waiter), names=names)
        fast = launcher() if request.uid is not None and not self.strict else None
        argv = [fast or bwrap, *self._namespaces(request), *self._filesystem(request), "--chdir", request.inside]
        own = not request.workdir
        # customsrc's launcher fills the work directory itself and sends it back: no round trip
        # (--tools delegate's folder of links is still made by customsrc, through the handshake)
        direct = own and fast is not None and request.settings.tools != "delegate" and len(request.files) <= 1
        files = None
        if direct:
            argv += ["--own", request.inside]
            if request.files:  # the script (one file: fd 5)
                ((name, text),) = request.files
                files = text.encode("utf-8", "surrogateescape")
                argv += ["--file", "5", request.inside + "/" + name]
            argv += ["--send-dir", "4", request.inside]
        handshake = own and not direct
        code = preamble(request, env, handshake)
        placed = fast is not None and bool(request.cgroup_procs)  # the launcher joins the group itself
        hold = bool(request.cgroup_procs) and not placed
        if handshake or hold:
            argv += ["--info-fd", "4"]
        if hold:
            argv += ["--block-fd", "5"]
        if placed:
            for procs in request.cgroup_procs:
                argv += ["--cgroup-procs", procs]
        seccomp = keyring_filter()
        if seccomp is not None:
            argv += ["--seccomp", "8"]
        if fast is not None:  # customsrc's launcher drops to the run's uid itself
            argv += ["--setuid", str(request.uid), "--setgid", str(request.uid)]
        argv.append("--")
        if request.uid is not None and fast is None:  # bubblewrap ran as root: drop to the run's uid, then the script
            unshare = tool("unshare")
            if unshare is None:
                raise SandboxError("the sandbox needs unshare (util-linux) to drop root: apt-get install util-linux")
            argv += [unshare, "--setuid", str(request.uid), "--setgid", str(request.uid), "--"]
        return Launch(
            [*argv, *tail],
            dict(HELPER_ENV),
            "/",
            code,
            info=handshake or hold,
            hold=hold,
            placed=placed,
            handshake=handshake,
            seccomp=seccomp,
            names=names,
            files=files,
            sends_dir=direct,
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
        if request.hidden is not None:
            hidden = [f for f in request.hidden if f not in PRIVATE_TEMP]
        else:
            hidden = hidden_folders(request.caller_env, settings, self.strict)
        for folder in hidden:
            args += ["--tmpfs", folder]
        base = os.path.realpath(request.tmpdir or "/tmp")  # other runs' work directories on the host
        shared = base in ("/", *SYSTEM, *PRIVATE_TEMP) or any(s.startswith(base + "/") for s in SYSTEM)
        if not shared and os.path.isdir(base):
            args += ["--tmpfs", base]
        for folder in settings.allow_read:
            if os.path.isdir(folder):
                args += [*_traversable_parents(folder, args), "--ro-bind", folder, folder]
        if not request.workdir:  # a tmpfs of the run's own, capped like the temp folders
            return [*args, "--perms", "0700", "--size", size, "--tmpfs", request.inside]
        return [*args, "--bind", request.workdir, request.inside]


def _traversable_parents(folder: str, args: list[str]) -> list[str]:
    """Folders to create, traversable by the script, between a tmpfs mounted so far and ``folder``.

    bubblewrap makes a missing parent of a bind mount mode 0700, owned by root: a folder allowed
    under a private /tmp (``--allow-read /tmp/ci/data``) was then out of the script's reach.
    """
    mounts = [args[i + 1] for i, arg in enumerate(args[:-1]) if arg == "--tmpfs"]
    below = [m for m in mounts if folder.startswith(m.rstrip("/") + "/")]
    if not below:
        return []
    top = max(below, key=len).rstrip("/")
    parts = folder[len(top) + 1 :].split("/")[:-1]
    made: list[str] = []
    for i in range(len(parts)):
        made += ["--perms", "0755", "--dir", top + "/" + "/".join(parts[: i + 1])]
    return made


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


def _waiter() -> list[str]:
    """sh, reading one go-ahead byte on fd 5 before it execs the rest of the command line."""
    sh = tool("sh")
    if sh is None:
        raise SandboxError("the sandbox needs sh to start a script in its control group: apt-get install dash")
    return [sh, "-c", 'read -r go <&5; exec 5<&-; [ "$go" = 1 ] && exec "$@"; exit 126', "customsrc-hold"]


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
    """The level called ``name``, or a SandboxError naming the levels there are."""
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
