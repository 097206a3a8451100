"""What ``customsrc doctor`` checks: each sandbox level and network mode, by running a real script."""

from __future__ import annotations

import os

from .errors import CustomsrcError
from .levels import LEVELS
from .machine import bubblewrap, cgroups, is_root, user_namespaces
from .masking import Masker
from .paths import tool
from .runner import RunOutcome, run_script
from .sandbox import Settings

PROBE = 'echo "$(id -u)" > "$HARNESS_ARTIFACT_RESULT_PATH"'


def _try(level: str, network: str) -> tuple[bool, str]:
    problem = LEVELS[level].unavailable(network)
    if problem:
        return False, problem
    lost = LEVELS[level].degraded()

    def read(path: str, outcome: RunOutcome) -> str:
        try:
            with open(path, encoding="utf-8") as handle:
                return handle.read().strip()
        except OSError:
            return ""

    try:
        outcome, uid = run_script(
            PROBE,
            shell="bash",
            inputs={},
            timeout=10,
            read_result=read,
            masker=Masker(()),
            settings=Settings(level=level, network=network),
            tmpdir="/tmp" if os.path.isdir("/tmp") else None,
        )
    except CustomsrcError as exc:
        return False, exc.message
    if outcome.exit_code != 0:
        return False, f"a probe script failed: {outcome.stderr_tail.decode(errors='replace').strip()[:200]}"
    detail = f"scripts run as uid {uid}" + (" (one uid per run)" if is_root() and level != "off" else "")
    if lost:  # runs, with fewer guarantees: a run warns once, or refuses when the level is named
        return False, f"runs, but: {'; '.join(lost)}"
    return True, detail


def _cgroup_detail() -> str:
    from .cgroup import available

    found = available()
    return f"cgroup {found[0]}: memory and processes counted per run" if isinstance(found, tuple) else found


def _delegate_row() -> tuple[str, bool, str]:
    """--tools delegate: where the list comes from, and which of its commands this machine lacks
    (a script may then fail here where the delegate would not)."""
    from . import delegate
    from .sandbox import DEFAULT_PATH

    wanted = delegate.commands()
    here = delegate.links(f"{DEFAULT_PATH}:/usr/sbin:/sbin:{os.environ.get('PATH', '')}")
    absent = sorted(wanted - set(here))
    data = delegate.profile()
    detail = f"{len(wanted) - len(absent)} of the stock image's {len(wanted)} commands here"
    detail += f" ({data['ref']}, {data['checked']})"
    if absent:
        shown = ", ".join(absent[:12]) + (f" and {len(absent) - 12} more" if len(absent) > 12 else "")
        detail += f"; missing here: {shown}"
    return ("--tools delegate", True, detail)  # informational: the host profile still runs everything


def _launcher_row() -> tuple[str, bool, str]:
    """customsrc's launcher: informational (bubblewrap gives the same guarantees, ~5 ms slower a run)."""
    from .machine import launcher

    found = launcher()
    if found is not None:
        return ("launcher (basic, as root)", True, found)
    if os.environ.get("CUSTOMSRC_LAUNCHER") == "off":
        why = "off (CUSTOMSRC_LAUNCHER=off): bubblewrap starts every run"
    elif not is_root() or bubblewrap() is None:
        why = "not used: it stands in for bubblewrap as root only"
    else:
        why = "not built (needs cc and a /var/cache only root can write): bubblewrap starts runs, ~5 ms slower"
    return ("launcher (basic, as root)", True, why)


def checks() -> list[tuple[str, bool, str]]:
    """(name, works, detail) for each level and network mode, plus the tools behind them."""
    rows: list[tuple[str, bool, str]] = [
        ("running as", True, "root: scripts drop to an unprivileged uid" if is_root() else f"uid {os.geteuid()}"),
        ("unshare", tool("unshare") is not None, tool("unshare") or "missing: apt-get install util-linux"),
        (
            "bubblewrap",
            bubblewrap() is not None,
            bubblewrap()
            or ("missing: apt-get install bubblewrap" if tool("bwrap") is None else "installed, fails here"),
        ),
        _launcher_row(),
        ("whole-run limits (cgroups)", cgroups() is None, cgroups() or _cgroup_detail()),
        (
            "user namespaces",
            user_namespaces(),
            "available" if user_namespaces() else "unavailable to unprivileged users",
        ),
    ]
    rows.append(_delegate_row())
    for level in ("off", "basic", "strict"):
        for network in ("host", "none"):
            if level == "off" and network == "none":
                continue
            ok, detail = _try(level, network)
            rows.append((f"--sandbox {level} --network {network}", ok, detail))
    return rows
