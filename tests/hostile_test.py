"""Hostile and broken fetch scripts against the sandbox, through the real CLI.

Each test asserts the exact outcome (exit code, nothing left running, nothing written, nothing
leaked) and ends in seconds. Where it proves something, a control case shows that the same script
does escape or leak with ``--sandbox off``, so a pass means the sandbox stopped it.
"""

from __future__ import annotations

import contextlib
import json
import os
import subprocess
from pathlib import Path
from typing import Any

import pytest

from customsrc.machine import bubblewrap

from . import servers
from .helpers import CLI, marker, need, processes_with

CONFINED = ["basic", "strict"]
pytestmark = pytest.mark.usefixtures("launcher")  # each attack against both ways basic starts a script
RESULT = 'echo \'[{"version": "1"}]\' > "$HARNESS_ARTIFACT_RESULT_PATH"\n'


def run(
    cli: CLI, script: str, *args: str, env: dict[str, str] | None = None, **source: Any
) -> tuple[int, dict[str, Any], str]:
    source.setdefault("array", "$")
    path = cli.source(script, **source)
    proc = cli.run("run", str(path), "--format", "json", *args, env=env)
    return proc.returncode, json.loads(proc.stdout), proc.stderr


def kill_all(pids: list[int]) -> None:
    for pid in pids:
        with contextlib.suppress(ProcessLookupError):
            os.kill(pid, 9)


ESCAPE = """
setsid bash -c 'exec -a {tag}-setsid sleep 300' &
( setsid bash -c 'exec -a {tag}-double sleep 300' & ) &
nohup bash -c 'trap "" TERM HUP; exec -a {tag}-nohup sleep 300' >/dev/null 2>&1 &
sleep 0.2
"""


@pytest.mark.parametrize("level", ["off", *CONFINED])
def test_setsid_and_double_fork_escapees_die_with_the_run(cli: CLI, level: str) -> None:
    tag = marker()
    code, doc, err = run(cli, ESCAPE.format(tag=tag) + RESULT, "--sandbox", level, version_path="version")
    assert (code, [a["version"] for a in doc["artifacts"]]) == (0, ["1"]), err
    assert processes_with(tag) == []


def test_control_setsid_escapes_a_plain_bash(tmp_path: Path) -> None:
    """The same script run as a delegate runs it (a plain bash child) leaves its escapees behind:
    what every level, off included, prevents."""
    tag = marker()
    env = {**os.environ, "HARNESS_ARTIFACT_RESULT_PATH": str(tmp_path / "out")}
    subprocess.run(["bash", "-c", ESCAPE.format(tag=tag)], env=env, cwd=tmp_path, timeout=30, check=True)
    survivors = processes_with(tag)
    kill_all(survivors)
    assert len(survivors) >= 2


@pytest.mark.parametrize("level", CONFINED)
def test_sigterm_ignored_tree_is_killed_on_timeout(cli: CLI, level: str) -> None:
    tag = marker()
    script = (
        f"trap '' TERM\n(trap '' TERM; exec -a {tag} sleep 300) &\nsetsid bash -c 'exec -a {tag}-s sleep 300' &\nwait\n"
    )
    code, doc, err = run(cli, script, "--sandbox", level, "--timeout", "1s", version_path="version")
    assert code == 4, err
    assert doc["run"]["timed_out"] is True
    assert processes_with(tag) == []


FORK_BOMB = """
import os, sys, time
tag = sys.argv[0] if False else {tag!r}
count = 0
for _ in range(3000):
    try:
        pid = os.fork()
    except OSError:
        break
    if pid == 0:
        os.execv("/bin/sleep", [tag, "300"])
    count += 1
with open(os.environ["HARNESS_ARTIFACT_RESULT_PATH"], "w") as f:
    f.write('[{{"version": "%d"}}]' % count)
"""


@pytest.mark.parametrize("level", CONFINED)
def test_thousands_of_processes_are_capped_and_reaped(cli: CLI, level: str) -> None:
    tag = marker()
    code, doc, err = run(
        cli,
        FORK_BOMB.format(tag=tag),
        "--sandbox",
        level,
        "--max-processes",
        "40",
        version_path="version",
        customsrc={"shell": "python"},
    )
    assert code == 0, err
    started = int(doc["artifacts"][0]["version"])
    assert 0 < started < 40
    assert processes_with(tag) == []


@pytest.mark.parametrize("level", CONFINED)
def test_memory_hog_is_stopped(cli: CLI, level: str) -> None:
    script = "hog = bytearray(1 << 30)\n"  # 1 GiB against a 256 MiB address-space limit
    code, doc, err = run(
        cli, script, "--sandbox", level, "--memory", "256M", customsrc={"shell": "python"}, version_path="v"
    )
    assert code == 3
    # Whole-run limit (a cgroup, as root): the kernel kills the hog and the error says why;
    # without cgroups the address-space rlimit makes the allocation fail.
    assert "the run reached its memory limit" in err or "MemoryError" in err, err
    assert doc["error"]["kind"] == "script_failed"


@pytest.mark.parametrize("level", CONFINED)
def test_disk_filler_stops_at_the_file_size_limit(cli: CLI, level: str) -> None:
    script = (
        "head -c 10M /dev/zero > big || true\n"
        'echo "[{\\"version\\": \\"$(stat -c %s big)\\"}]" > "$HARNESS_ARTIFACT_RESULT_PATH"\n'
    )
    code, doc, err = run(cli, script, "--sandbox", level, "--max-file-size", "1M", version_path="version")
    assert code == 0, err
    assert doc["artifacts"][0]["version"] == str(1 << 20)


def test_output_flood_is_capped_in_memory_and_on_screen(cli: CLI, tmp_path: Path) -> None:
    script = "head -c 500M /dev/zero | tr '\\0' a\n" + RESULT
    path = cli.source(script, array="$", version_path="version")
    report = tmp_path / "rss"
    proc = subprocess.run(
        ["/usr/bin/time", "-f", "%M", "-o", str(report), "customsrc", "run", str(path), "--format", "json"],
        capture_output=True,
        env=cli.environment(),
        timeout=120,
        check=False,
    )
    assert proc.returncode == 0, proc.stderr[-500:]
    assert len(proc.stderr) < (1 << 20) + 4096  # 1 MiB shown, then one notice
    assert b"the rest is not shown" in proc.stderr
    assert len(proc.stdout) < 2000
    peak_kib = int(report.read_text().split()[-1])
    assert peak_kib < 150 * 1024, f"peak RSS {peak_kib} KiB"


def test_oversize_result_is_refused_without_printing_it(cli: CLI) -> None:
    tag = marker()
    script = f"yes '{tag}' | head -c 5M > \"$HARNESS_ARTIFACT_RESULT_PATH\"\n"
    code, doc, err = run(cli, script, "--max-result-size", "1M", version_path="version")
    assert code == 5
    assert doc["error"]["kind"] == "result_too_large"
    assert tag not in json.dumps(doc) + err


@pytest.mark.parametrize(
    ("target", "kind"),
    [("secret", "result_unreadable"), ("/dev/zero", "result_unreadable"), ("fifo", "result_unreadable")],
)
def test_result_path_replaced(cli: CLI, tmp_path: Path, target: str, kind: str) -> None:
    tag = marker()
    if target == "secret":
        secret = tmp_path / "secret.json"
        secret.write_text(f'[{{"version": "{tag}"}}]')
        secret.chmod(0o644)
        tmp_path.chmod(0o755)
        make = f'ln -s {secret} "$HARNESS_ARTIFACT_RESULT_PATH"'
    elif target == "fifo":
        make = 'mkfifo "$HARNESS_ARTIFACT_RESULT_PATH"'
    else:
        make = f'ln -s {target} "$HARNESS_ARTIFACT_RESULT_PATH"'
    code, doc, err = run(cli, make + "\n", "--timeout", "10s", version_path="version")
    assert code == 5
    assert doc["error"]["kind"] == kind
    assert tag not in json.dumps(doc) + err


SNOOP = (
    """
env
cat /proc/*/environ 2>/dev/null | tr '\\0' '\\n'
cat /proc/[0-9]*/cmdline 2>/dev/null | tr '\\0' '\\n' | head -c 100000
"""
    + RESULT
)


@pytest.mark.parametrize("level", CONFINED)
def test_environment_snooping_finds_nothing(cli: CLI, level: str) -> None:
    tag = marker()
    code, doc, err = run(cli, SNOOP, "--sandbox", level, env={"AWS_SECRET_ACCESS_KEY": tag}, version_path="version")
    assert code == 0
    assert tag not in err + json.dumps(doc)


def test_control_environment_is_visible_without_the_sandbox(cli: CLI) -> None:
    tag = marker()
    code, _, err = run(cli, SNOOP, "--sandbox", "off", env={"AWS_SECRET_ACCESS_KEY": tag}, version_path="version")
    assert code == 0
    assert tag in err


def test_pass_env_lets_one_variable_through(cli: CLI) -> None:
    tag = marker()
    code, _, err = run(
        cli, 'echo "seen=$PASSED"\n' + RESULT, "--pass-env", "PASSED", env={"PASSED": tag}, version_path="version"
    )
    assert code == 0
    assert f"seen={tag}" in err


def test_strict_hides_a_planted_file_in_home(cli: CLI, tmp_path: Path) -> None:
    need(bubblewrap(), "bubblewrap (a working bwrap)", "apt-get install bubblewrap")
    home = tmp_path / "home"
    home.mkdir()
    planted = home / "planted.txt"
    planted.write_text("planted-secret")
    planted.chmod(0o644)
    for folder in (tmp_path, home):
        folder.chmod(0o755)
    script = 'cat "$PLANTED" 2>/dev/null && exit 9\ncat /root/.bash_history 2>/dev/null && exit 9\n' + RESULT
    inputs = [{"name": "PLANTED", "type": "String", "value": str(planted)}]
    code, doc, err = run(
        cli, script, "--sandbox", "strict", env={"HOME": str(home)}, version_path="version", inputs=inputs
    )
    assert code == 0, err
    assert "planted-secret" not in err + json.dumps(doc)
    # Control: the file is there and readable by anyone outside the sandbox.
    code, _, _ = run(cli, script, "--sandbox", "off", env={"HOME": str(home)}, version_path="version", inputs=inputs)
    assert code == 3


def test_strict_cannot_write_outside_the_work_directory(cli: CLI) -> None:
    need(bubblewrap(), "bubblewrap (a working bwrap)", "apt-get install bubblewrap")
    tag = marker()
    targets = [f"/tmp/{tag}", f"/var/tmp/{tag}", f"/etc/{tag}", f"/usr/{tag}", f"/root/{tag}", f"/home/{tag}"]
    script = "".join(f"echo x > {t} 2>/dev/null\n" for t in targets) + "echo inside > here\n" + RESULT
    code, _, err = run(cli, script, "--sandbox", "strict", version_path="version")
    assert code == 0, err
    assert [t for t in targets if os.path.exists(t)] == []


class _Counter(servers.Quiet):
    hits = 0

    def do_GET(self) -> None:
        type(self).hits += 1
        self.reply(200, b'[{"version": "9"}]')


@pytest.fixture
def loopback_server() -> Any:
    _Counter.hits = 0
    with servers.serving(_Counter) as url:
        yield url, _Counter


@pytest.mark.parametrize("level", CONFINED)
def test_network_none_blocks_loopback(cli: CLI, loopback_server: Any, level: str) -> None:
    url, counter = loopback_server
    script = (
        f'set -euo pipefail\ncurl --fail --silent --show-error --max-time 5 -o "$HARNESS_ARTIFACT_RESULT_PATH" {url}/\n'
    )
    code, _, err = run(cli, script, "--sandbox", level, "--network", "none", version_path="version")
    assert code == 3, err
    assert counter.hits == 0
    code, doc, err = run(cli, script, "--sandbox", level, "--network", "host", version_path="version")
    assert (code, doc["artifacts"][0]["version"]) == (0, "9"), err
    assert counter.hits == 1


def test_doctor_reports_every_level_working_here(cli: CLI) -> None:
    need(bubblewrap(), "bubblewrap (a working bwrap)", "apt-get install bubblewrap")
    proc = cli.run("doctor")
    assert proc.returncode == 0, proc.stdout
    for line in (
        "--sandbox basic --network none",
        "--sandbox strict --network host",
        "--sandbox strict --network none",
    ):
        assert f"ok  {line}" in proc.stdout
