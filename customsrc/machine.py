"""What this machine can do for a sandbox (probed once per process): root, user namespaces,
bubblewrap, control groups, a PID namespace, and the seccomp filter for the kernel keyring."""

from __future__ import annotations

import contextlib
import os
from functools import cache

from .paths import tool
from .sandbox import HELPER_ENV

_probes: dict[str, object] = {}


def is_root() -> bool:
    """Does customsrc run as root (then each run gets a uid of its own and a control group)?"""
    return os.geteuid() == 0


def _run(argv: list[str]) -> tuple[int, bytes]:
    """Exit code and stderr of a helper run with the fixed environment (-1 if it could not run)."""
    import subprocess

    try:
        done = subprocess.run(
            argv, stdin=subprocess.DEVNULL, capture_output=True, timeout=10, check=False, env=dict(HELPER_ENV)
        )
    except (OSError, subprocess.TimeoutExpired):
        return -1, b""
    return done.returncode, done.stderr


def _works(argv: list[str]) -> bool:
    return _run(argv)[0] == 0


def _refuses_root(launcher: str) -> bool:
    """Does a freshly built launcher start, read its options and refuse to run a script as root,
    in one line, as it must?"""
    said = b"customsrc-launch: --setuid and --setgid must name an unprivileged user: the script never runs as root\n"
    return _run([launcher, "--setuid", "0", "--setgid", "0", "--", "true"]) == (1, said)


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


LAUNCHER_CACHE = "/var/cache/customsrc"


def launcher() -> str | None:
    """customsrc's own launcher (``launch.c``), built here on first use: what bubblewrap and
    ``unshare --setuid`` do at ``basic`` as root, in ~1 ms where they take ~5. None (bubblewrap is
    used) where customsrc is not root, bubblewrap does not work (the launcher only stands in for
    it, with the same guarantees), no C compiler is found, ``/var/cache`` is not root's alone, or
    ``CUSTOMSRC_LAUNCHER=off``."""
    if "launcher" not in _probes:
        _probes["launcher"] = None
        if os.environ.get("CUSTOMSRC_LAUNCHER") != "off" and is_root() and bubblewrap() is not None:
            with contextlib.suppress(OSError):
                _probes["launcher"] = _built_launcher()
    found = _probes["launcher"]
    return found if isinstance(found, str) else None


def _root_only(path: str) -> bool:
    """Is ``path`` root's, a real folder or file (not a link), that no one else can write?"""
    import stat

    info = os.lstat(path)
    return info.st_uid == 0 and not stat.S_ISLNK(info.st_mode) and not info.st_mode & (stat.S_IWGRP | stat.S_IWOTH)


def _built_launcher() -> str | None:
    import hashlib

    source = os.path.join(os.path.dirname(os.path.abspath(__file__)), "launch.c")
    with open(source, "rb") as handle:
        digest = hashlib.sha256(handle.read()).hexdigest()[:16]
    folder = f"{LAUNCHER_CACHE}/launch-{digest}"
    target = f"{folder}/customsrc-launch"
    ancestors, path = [], os.path.dirname(LAUNCHER_CACHE)
    while path not in ancestors:
        ancestors.append(path)
        path = os.path.dirname(path)
    if not all(_root_only(p) for p in ancestors):  # where another user could plant a launcher
        return None
    if os.path.isfile(target) and all(_root_only(p) for p in (LAUNCHER_CACHE, folder, target)):
        return target
    compiler = tool("cc") or tool("gcc")
    if compiler is None:
        return None
    import shutil
    import tempfile

    with contextlib.suppress(FileExistsError):
        os.mkdir(LAUNCHER_CACHE, 0o700)
    if not _root_only(LAUNCHER_CACHE):
        return None
    building = tempfile.mkdtemp(prefix=".build-", dir=LAUNCHER_CACHE)  # 0700: no one else sees it half-made
    try:
        os.chmod(building, 0o755)  # noqa: S103 - root's, read and run by root; no one may write it
        made = f"{building}/customsrc-launch"
        # Without a C library where launch.c knows the machine (x86_64): ~0.6 ms less a run than
        # linked statically with glibc, whose start-up probes the CPU; else statically (no dynamic
        # loader: ~0.3 ms less), else as the compiler links by default. Each build must pass a
        # smoke test before it is kept.
        freestanding = ["-static", "-nostdlib", "-ffreestanding", "-fno-stack-protector", "-DCUSTOMSRC_FREESTANDING"]
        for flags in (freestanding, ["-static"], []):
            if _works([compiler, "-O2", *flags, "-o", made, source]) and _refuses_root(made):
                break
        else:
            return None
        os.chmod(made, 0o755)  # noqa: S103 - as above
        with contextlib.suppress(OSError):  # another process may have built it meanwhile: theirs is as good
            os.rename(building, folder)
        # Builds of other versions stay: a long-lived process (watch, a worker) still runs its own.
    finally:
        shutil.rmtree(building, ignore_errors=True)
    return target if all(_root_only(p) for p in (LAUNCHER_CACHE, folder, target)) else None
