"""customsrc's launcher (customsrc/launch.c): how basic starts a script as root where it can be
built, and what it refuses. The attacks of isolation_test.py and hostile_test.py run against it and
against bubblewrap (the ``launcher`` fixture); these are about the launcher itself."""

from __future__ import annotations

import json
import os
import shutil
import subprocess
from pathlib import Path

import pytest

from customsrc.machine import bubblewrap

from .helpers import CLI, marker, need, processes_with, wait_for_process
from .isolation_test import RESULT, ROOT_ONLY, run, versions


@pytest.fixture
def built(monkeypatch: pytest.MonkeyPatch) -> str:
    """The launcher, built here whatever CUSTOMSRC_LAUNCHER says (these tests are about it)."""
    from customsrc import machine

    monkeypatch.delenv("CUSTOMSRC_LAUNCHER", raising=False)
    monkeypatch.delitem(machine._probes, "launcher", raising=False)
    found = machine.launcher()
    need(found, "customsrc's launcher (root, bubblewrap and a C compiler)", "apt-get install gcc bubblewrap")
    assert found is not None
    return found


# -- customsrc's launcher: basic as root, without bubblewrap's cost ------------------------------


@ROOT_ONLY
def test_basic_as_root_starts_the_script_the_way_the_machine_allows(cli: CLI, launcher: str) -> None:
    """The first process of the run's PID namespace is customsrc's launcher where it can be built
    (root, a C compiler), bubblewrap with CUSTOMSRC_LAUNCHER=off: the attacks in this file and in
    hostile_test.py run against each."""
    from customsrc.machine import launcher as built

    if launcher == "customsrc-launch":
        need(built(), "customsrc's launcher (root, bubblewrap and a C compiler)", "apt-get install gcc bubblewrap")
    need(bubblewrap(), "bubblewrap (a working bwrap)", "apt-get install bubblewrap")
    first = 'first=$(tr "\\0" "\\n" < /proc/1/cmdline | head -n 1)\n'
    echo = 'echo "[{\\"version\\": \\"${first##*/}\\"}]" > "$HARNESS_ARTIFACT_RESULT_PATH"\n'
    code, doc, err = run(cli, first + echo)
    assert code == 0, err
    assert versions(doc) == ["customsrc-launch" if launcher == "customsrc-launch" else "bwrap"]
    code, doc, err = run(cli, first + echo, "--sandbox", "strict")
    assert code == 0, err
    assert versions(doc) == ["bwrap"]  # strict is bubblewrap's alone


@ROOT_ONLY
@pytest.mark.parametrize(
    ("args", "says"),
    [
        (["--setuid", "0", "--setgid", "0"], "never runs as root"),
        (["--setuid", "60000"], "never runs as root"),  # no --setgid: root's group kept
        (["--setuid", "60000", "--setgid", "60000", "--bogus"], "unknown option --bogus"),
        (["--setuid", "60000", "--setgid", "60000", "--dev-bind", "/etc", "/etc"], "only / on /"),
        (["--setuid", "60000", "--setgid", "60000", "--perms", "99", "--dir", "/tmp/x"], "not an octal mode"),
        (["--setuid", "60000", "--setgid", str(2**32)], "--setgid must be from 0 to 4294967294"),  # gid 0 once cut
        (["--setuid", str(2**32 + 1), "--setgid", "60000"], "--setuid must be from 0 to 4294967294"),
        (["--setuid", "60000", "--setgid", "60000", "--file", str(2**32 + 5), "/x"], "--file must be from 0"),
        (["--setuid", "60000", "--setgid", "60000", "--size", "0", "--tmpfs", "/x"], "--size must be from 1"),
    ],
)
def test_the_launcher_refuses_what_it_does_not_do(built: str, args: list[str], says: str) -> None:
    """The launcher takes only the bubblewrap options customsrc passes at basic, and never starts
    the script as root: anything else ends it before any namespace is made, with one line."""
    done = subprocess.run([built, *args, "--", "id", "-u"], capture_output=True, text=True, check=False)
    assert done.returncode == 1
    assert done.stdout == ""
    assert done.stderr.startswith("customsrc-launch: ") and says in done.stderr, done.stderr
    assert done.stderr.count("\n") == 1


@ROOT_ONLY
def test_the_launchers_first_process_keeps_nothing_the_script_could_take(cli: CLI, built: str) -> None:
    """pid 1 of the run stays root while the script runs: it must hold none of the run's
    descriptors (the preamble's memfd carries the secrets), and its environment is the fixed one
    every privileged helper gets. Seen from the host, as root."""
    tag = marker()
    path = cli.source(f"( exec -a {tag} sleep 300 ) &\nwait\n" + RESULT, array="$", version_path="version")
    proc = cli.start("run", str(path), "--secret", "TOKEN=s3cr3t-value", stdout=subprocess.DEVNULL)
    try:
        wait_for_process(tag, 20)
        (script,) = processes_with(tag)
        init = _first_of_namespace(script)
        cmdline, environ = (Path(f"/proc/{init}/{name}").read_bytes() for name in ("cmdline", "environ"))
        assert cmdline.split(b"\0")[0].endswith(b"customsrc-launch")
        assert os.listdir(f"/proc/{init}/fd") == []
        assert sorted(environ.split(b"\0")[:-1]) == [
            b"BASH_ENV=/dev/fd/3",
            b"HOME=/",
            b"PATH=/usr/sbin:/usr/bin:/sbin:/bin",
            b"SHELL=/bin/sh",
        ]
        assert b"s3cr3t" not in environ + cmdline
        status = dict(line.split(":", 1) for line in Path(f"/proc/{init}/status").read_text().splitlines())
        uid = _status(script)["Uid"].split()[0]
        assert uid != "0"  # the script is not root
        assert status["Uid"].split() == [uid] * 4  # the run's own uid, reaping: nothing of root left
        assert int(status["CapEff"], 16) == int(status["CapPrm"], 16) == 0
        assert status["NoNewPrivs"].strip() == "1"
        assert os.stat(f"/proc/{init}/environ").st_uid == 0  # undumpable: the script can neither trace nor read it
    finally:
        proc.kill()
        proc.wait(timeout=20)


def _status(pid: int) -> dict[str, str]:
    with open(f"/proc/{pid}/status") as status:
        return dict(line.rstrip("\n").split(":\t", 1) for line in status if ":\t" in line)


def _first_of_namespace(pid: int) -> int:
    """The host pid of the first process of ``pid``'s PID namespace (its ancestor that is pid 1 there)."""
    while True:
        fields = _status(pid)
        if fields["NSpid"].split()[-1] == "1":
            return pid
        pid = int(fields["PPid"])


@ROOT_ONLY
def test_no_process_of_the_host_can_stop_a_run_through_its_first_process(cli: CLI, built: str) -> None:
    """pid 1 of a run reaps as the run's own uid, which no host process and no other run has: the
    host's nobody (pid 1's uid before) cannot kill or stop it. Control: a process with pid 1's uid
    can signal it, so the uid is what protects it."""
    tag = marker()
    path = cli.source(f"( exec -a {tag} sleep 3 ) &\nwait\n" + RESULT, array="$", version_path="version")
    proc = cli.start("run", str(path), "--format", "json", stdout=subprocess.PIPE, stderr=subprocess.PIPE)
    try:
        wait_for_process(tag, 20)
        (script,) = processes_with(tag)
        init = _first_of_namespace(script)
        uid = _status(init)["Uid"].split()[0]

        def signal_as(who: str, signal: str) -> int:
            as_user = ["setpriv", "--reuid", who, "--regid", who, "--clear-groups"]
            command = [*as_user, "kill", f"-{signal}", str(init)]
            return subprocess.run(command, capture_output=True, check=False).returncode

        assert signal_as("65534", "KILL") != 0 and signal_as("65534", "STOP") != 0
        assert signal_as(uid, "0") == 0  # control: pid 1's own uid reaches it
        out, err = proc.communicate(timeout=30)
    finally:
        if proc.poll() is None:
            proc.kill()
            proc.communicate(timeout=20)
    assert proc.returncode == 0, err
    assert versions(json.loads(out)) == ["1"]


@ROOT_ONLY
def test_a_launcher_is_only_taken_from_a_folder_no_one_else_can_write(
    monkeypatch: pytest.MonkeyPatch, built: str
) -> None:
    """customsrc runs the launcher as root: one planted by another user (a folder on the way
    that others can write) is never run, nor built there; the same layout under root's own
    folders is (the control)."""
    import shutil
    import tempfile

    from customsrc import machine

    name = os.path.relpath(built, machine.LAUNCHER_CACHE)  # launch-<digest>/customsrc-launch
    planted_in = tempfile.mkdtemp(dir="/var/tmp")  # /var/tmp: anyone may make folders there
    safe_in = tempfile.mkdtemp(dir="/var/cache")
    try:
        for base in (planted_in, safe_in):
            os.makedirs(os.path.join(base, "customsrc", os.path.dirname(name)), mode=0o755)
            shutil.copy(built, os.path.join(base, "customsrc", name))
        for base, used in ((planted_in, False), (safe_in, True)):
            monkeypatch.setattr(machine, "LAUNCHER_CACHE", os.path.join(base, "customsrc"))
            machine._probes.pop("launcher", None)
            assert (machine.launcher() == os.path.join(base, "customsrc", name)) is used, base
        os.chmod(os.path.join(safe_in, "customsrc"), 0o777)  # the cache itself writable by others
        machine._probes.pop("launcher", None)
        assert machine.launcher() is None
    finally:
        shutil.rmtree(planted_in, ignore_errors=True)
        shutil.rmtree(safe_in, ignore_errors=True)
        machine._probes.pop("launcher", None)


@ROOT_ONLY
def test_nothing_the_launcher_mounts_honours_set_user_id(cli: CLI, built: str) -> None:
    """Every mount the script sees is nosuid (besides no-new-privileges): a set-user-ID program
    found anywhere gains nothing. (bubblewrap leaves /dev/shm and /dev/pts without it at basic;
    no-new-privileges holds there.)"""
    script = "suid=$(awk '{print $6}' /proc/self/mountinfo | grep -vc nosuid)\n"
    script += 'echo "[{\\"version\\": \\"$suid\\"}]" > "$HARNESS_ARTIFACT_RESULT_PATH"\n'
    code, doc, err = run(cli, script)
    assert code == 0, err
    assert versions(doc) == ["0"]


@ROOT_ONLY
def test_the_launcher_fills_the_work_directory_and_keeps_its_descriptors_from_the_script(cli: CLI, built: str) -> None:
    """customsrc's launcher writes the script into the run's work directory itself (from a memfd)
    and sends the directory back on a socket, so the run needs no round trip before the script
    starts: the directory and the script are the run's user's, and neither descriptor reaches it."""
    script = 'held=$(for f in /proc/$$/fd/*; do readlink "$f"; done | grep -c "socket:\\|memfd:")\n'
    script += 'mine=$([ "$(stat -c %u .)" = "$(id -u)" ] && echo yes)\n'
    script += 'mode=$(stat -c %u-%a "$0")\n'
    script += 'echo "[{\\"version\\": \\"$held $mine $mode $(id -u)\\"}]" > "$HARNESS_ARTIFACT_RESULT_PATH"\n'
    code, doc, err = run(cli, script)
    assert code == 0, err
    held, mine, mode, uid = versions(doc)[0].split()
    assert (held, mine, mode) == ("0", "yes", f"{uid}-600")
    assert int(uid) > 0


@ROOT_ONLY
def test_a_script_that_cannot_be_run_is_named_with_the_reason(built: str) -> None:
    """The launcher's own messages (without a C library, its own error texts): one line, the
    command and why."""
    args = ["--setuid", "60000", "--setgid", "60000", "--unshare-pid", "--dev-bind", "/", "/"]
    done = subprocess.run([built, *args, "--", "/nonexistent/run-me"], capture_output=True, text=True, check=False)
    assert done.returncode == 1
    assert done.stderr == "customsrc-launch: cannot run /nonexistent/run-me: No such file or directory\n"


@ROOT_ONLY
@pytest.mark.skipif(os.uname().machine != "x86_64", reason="launch.c runs without a C library on x86_64 only")
def test_the_launcher_is_built_without_a_c_library_and_falls_back_to_one(
    built: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Without glibc's start-up (its CPU probes trap to the hypervisor in a VM) a run costs ~0.6 ms
    less; a build that fails its smoke test is replaced by one with the C library."""
    from customsrc import machine

    assert b"GLIBC_TUNABLES" not in Path(built).read_bytes()
    cache = f"{os.path.dirname(os.path.dirname(built))}/.test-{os.urandom(6).hex()}"  # under root's folders
    monkeypatch.setattr(machine, "LAUNCHER_CACHE", cache)
    monkeypatch.delitem(machine._probes, "launcher", raising=False)
    tested: list[str] = []
    refuses_root = machine._refuses_root

    def first_fails(launcher: str) -> bool:
        tested.append(launcher)
        return len(tested) > 1 and refuses_root(launcher)

    monkeypatch.setattr(machine, "_refuses_root", first_fails)
    try:
        fallback = machine.launcher()
        assert fallback is not None and len(tested) == 2
        kept = Path(fallback).read_bytes()
    finally:
        shutil.rmtree(cache, ignore_errors=True)
        machine._probes.pop("launcher", None)
    assert b"GLIBC_TUNABLES" in kept
