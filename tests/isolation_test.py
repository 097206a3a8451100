"""Sandbox II: the boundary as root, between concurrent runs, and for an ordinary user.

Every attack runs for real at ``basic`` and ``strict`` and must fail; its control runs the same
attack at ``--sandbox off`` (or as a delegate would) and must succeed, so a pass means the sandbox
stopped it. Each case ends with a /proc scan for anything left running.
"""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import time
from pathlib import Path
from typing import Any

import pytest

from customsrc.machine import bubblewrap

from .helpers import CLI, ROOT, marker, need, processes_with, source_doc, wait_for_process, write_yaml

CONFINED = ["basic", "strict"]
pytestmark = pytest.mark.usefixtures("launcher")  # each attack against both ways basic starts a script
RESULT = 'echo \'[{"version": "1"}]\' > "$HARNESS_ARTIFACT_RESULT_PATH"\n'
ROOT_ONLY = pytest.mark.skipif(os.geteuid() != 0, reason="this attack is on customsrc running as root")


def run(cli: CLI, script: str, *args: str, env: dict[str, str] | None = None, **source: Any) -> tuple[int, Any, str]:
    source.setdefault("array", "$")
    source.setdefault("version_path", "version")
    path = cli.source(script, name=source.pop("name", "source.yaml"), **source)
    proc = cli.run("run", str(path), "--format", "json", *args, env=env)
    return proc.returncode, json.loads(proc.stdout), proc.stderr


def versions(doc: dict[str, Any]) -> list[str]:
    return [a["version"] for a in doc.get("artifacts") or []]


# -- 1. nothing the source controls reaches a privileged helper -----------------------------------


@ROOT_ONLY
@pytest.mark.parametrize("level", ["off", *CONFINED])
def test_loader_variables_from_inputs_never_reach_a_root_helper(cli: CLI, tmp_path: Path, level: str) -> None:
    """An input named LD_DEBUG_OUTPUT makes every dynamically linked process that sees it write a
    trace file there. At basic and strict the helpers that run as root (bubblewrap, the uid drop)
    must never see it; the script's own processes, in their private view, cannot write there."""
    traces = tmp_path / "traces"
    traces.mkdir(mode=0o777)
    traces.chmod(0o777)
    inputs = [
        {"name": "LD_DEBUG", "type": "String", "value": "files"},
        {"name": "LD_DEBUG_OUTPUT", "type": "String", "value": str(traces / "trace")},
    ]
    code, _doc, err = run(cli, "/bin/true\n" + RESULT, "--sandbox", level, inputs=inputs)
    assert code == 0, err
    owners = {p.stat().st_uid for p in traces.iterdir()}
    if level == "off":
        assert 0 in owners  # control: the variable does reach processes running as root
    else:
        assert owners == set(), f"trace files written by uids {owners}"


# -- 2. each run is its own world -------------------------------------------------------------------

SNOOP = """
found=""
for f in /proc/[0-9]*/environ /proc/[0-9]*/cmdline; do
  if grep -qa -- "$NEEDLE" "$f" 2>/dev/null; then found="$found $f"; fi
done
for d in /tmp/customsrc-* "${TMPDIR%/*}"/customsrc-*; do
  for f in "$d"/fetch.sh "$d"/work/fetch.sh; do
    if [ "$d" != "$TMPDIR" ] && grep -qa -- "$NEEDLE" "$f" 2>/dev/null; then found="$found $f"; fi
  done
done
killed=0
for c in /proc/[0-9]*/cmdline; do
  if grep -qa -- "$VICTIM_TAG" "$c" 2>/dev/null && ! grep -qa -- NEEDLE "$c" 2>/dev/null; then
    p=${c#/proc/}; p=${p%/cmdline}
    [ "$p" != "$$" ] && kill -9 "$p" 2>/dev/null && killed=$((killed+1))
  fi
done
echo "[{\\"version\\": \\"found:${found:-none} killed:$killed\\"}]" > "$HARNESS_ARTIFACT_RESULT_PATH"
"""

VICTIM = """
( exec -a "$VICTIM_TAG" sleep 8 ) &
echo "token $TOKEN" > /dev/null
sleep 3
echo '[{"version": "victim-ok"}]' > "$HARNESS_ARTIFACT_RESULT_PATH"
"""


def _pair(cli: CLI, tag: str, needle: str) -> tuple[Path, Path]:
    victim = source_doc(
        VICTIM,
        identifier="victim",
        array="$",
        inputs=[
            {"name": "TOKEN", "type": "Secret", "value": "victim_token"},
            {"name": "VICTIM_TAG", "type": "String", "value": tag},
        ],
    )
    attacker = source_doc(
        "sleep 1\n" + SNOOP,
        identifier="attacker",
        array="$",
        inputs=[
            {"name": "NEEDLE", "type": "String", "value": needle},
            {"name": "VICTIM_TAG", "type": "String", "value": tag},
        ],
    )
    return write_yaml(cli.tmp_path / "victim.yaml", victim), write_yaml(cli.tmp_path / "attacker.yaml", attacker)


@pytest.mark.parametrize("level", ["off", *CONFINED])
@pytest.mark.slow
def test_a_concurrent_run_cannot_read_or_kill_another_through_fetch_many(cli: CLI, level: str) -> None:
    tag, needle = marker(), marker()
    victim, attacker = _pair(cli, tag, needle)
    env = {"CUSTOMSRC_SECRET_VICTIM_TOKEN": needle}
    proc = cli.run("run", str(victim), str(attacker), "--jobs", "2", "--format", "json", "--sandbox", level, env=env)
    docs = {d["source"]["identifier"]: d for d in map(json.loads, proc.stdout.splitlines())}
    seen = docs["attacker"]["artifacts"][0]["version"]
    assert processes_with(tag) == []
    if level == "off":  # control: the same attacker finds the secret (off has its own PID namespace,
        assert "found:none" not in seen, seen  # so kill reaches no one there either)
    else:
        assert seen == "found:none killed:0", seen
        assert versions(docs["victim"]) == ["victim-ok"]


@pytest.mark.parametrize("level", ["off", *CONFINED])
@pytest.mark.slow
def test_a_concurrent_run_in_another_customsrc_process_is_out_of_reach(cli: CLI, level: str) -> None:
    tag, needle = marker(), marker()
    victim, attacker = _pair(cli, tag, needle)
    first = cli.start(
        "run",
        str(victim),
        "--format",
        "json",
        "--sandbox",
        level,
        env={"CUSTOMSRC_SECRET_VICTIM_TOKEN": needle},
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
    )
    try:
        proc = cli.run("run", str(attacker), "--format", "json", "--sandbox", level)
        seen = json.loads(proc.stdout)["artifacts"][0]["version"]
        out, _ = first.communicate(timeout=60)
    finally:
        first.kill()
        first.communicate()
    assert processes_with(tag) == []
    if level == "off":
        assert "found:none" not in seen, seen
    else:
        assert seen == "found:none killed:0", seen
        assert versions(json.loads(out)) == ["victim-ok"]


@pytest.mark.slow
def test_secret_named_on_the_command_line_is_read_from_stdin_not_argv(cli: CLI) -> None:
    """``--secret NAME=VALUE`` puts the value in customsrc's own /proc/PID/cmdline, readable by any
    process on the host (the control); ``--secret NAME`` reads it from standard input."""
    needle = marker()
    script = 'echo "<+secrets.getValue("tok")>" > /dev/null\nsleep 1\n' + RESULT
    path = cli.source(script, array="$", version_path="version")

    def cmdlines_with(value: str, *args: str, stdin: str | None) -> bool:
        proc = cli.start(
            "run",
            str(path),
            "--format",
            "json",
            *args,
            stdin=subprocess.PIPE,
            stdout=subprocess.PIPE,
            stderr=subprocess.PIPE,
        )
        assert proc.stdin is not None
        proc.stdin.write(stdin or "")
        proc.stdin.close()
        time.sleep(0.5)
        seen = bool(processes_with(value))
        assert proc.stdout is not None and proc.stderr is not None
        with proc.stdout, proc.stderr:
            out, err = proc.stdout.read(), proc.stderr.read()
        proc.wait(timeout=60)
        assert proc.returncode == 0, err
        assert json.loads(out)["artifacts"][0]["version"] == "1"
        return seen

    assert cmdlines_with(needle, "--secret", f"tok={needle}", stdin=None)  # control
    assert not cmdlines_with(needle, "--secret", "tok", stdin=needle + "\n")


# -- 3. whole-run limits ----------------------------------------------------------------------------

CHILDREN_HOG = """
for i in 1 2 3 4; do python3 -c 'import time; b = bytearray(100 << 20); time.sleep(2)' & done
ok=0
for job in $(jobs -p); do wait "$job" && ok=$((ok+1)); done
echo "[{\\"version\\": \\"$ok\\"}]" > "$HARNESS_ARTIFACT_RESULT_PATH"
"""


@ROOT_ONLY
@pytest.mark.parametrize("level", ["off", *CONFINED])
@pytest.mark.slow
def test_memory_is_limited_for_the_run_as_a_whole(cli: CLI, level: str) -> None:
    """Four children of 100 MiB each, under a 256M limit: each alone is within it (an rlimit per
    process lets all four live); the run together is not."""
    code, doc, err = run(cli, CHILDREN_HOG, "--sandbox", level, "--memory", "256M")
    assert code == 0, err
    alive = int(versions(doc)[0])
    if level == "off":
        assert alive == 4  # control: no limit at all
    else:
        assert alive < 4, "four 100 MiB children all lived under a 256M whole-run limit"


@ROOT_ONLY
@pytest.mark.parametrize("level", CONFINED)
@pytest.mark.slow
def test_one_runs_fork_bomb_does_not_starve_another(cli: CLI, level: str) -> None:
    tag = marker()
    bomb = f"for i in $(seq 400); do ( exec -a {tag} sleep 5 ) & done; sleep 4\n" + RESULT
    other = (
        "for i in $(seq 20); do /bin/true || exit 1; done\n"
        + 'echo \'[{"version": "other-ok"}]\' > "$HARNESS_ARTIFACT_RESULT_PATH"\n'
    )
    write_yaml(cli.tmp_path / "bomb.yaml", source_doc(bomb, identifier="bomb", array="$"))
    write_yaml(cli.tmp_path / "other.yaml", source_doc("sleep 1\n" + other, identifier="other", array="$"))
    proc = cli.run(
        "run",
        "bomb.yaml",
        "other.yaml",
        "--jobs",
        "2",
        "--format",
        "json",
        "--sandbox",
        level,
        "--max-processes",
        "300",
    )
    docs = {d["source"]["identifier"]: d for d in map(json.loads, proc.stdout.splitlines())}
    assert versions(docs["other"]) == ["other-ok"], docs["other"].get("error")
    assert processes_with(tag) == []


@pytest.mark.parametrize("level", ["off", *CONFINED])
def test_private_temp_folders_are_capped_and_vanish(cli: CLI, level: str) -> None:
    tag = marker()
    script = (
        f"for d in /tmp /var/tmp /dev/shm; do echo x > $d/{tag} || exit 1; done\n"
        "if head -c 20M /dev/zero > /tmp/big 2>/dev/null; then big=yes; else big=no; fi\n"
        'echo "[{\\"version\\": \\"$big\\"}]" > "$HARNESS_ARTIFACT_RESULT_PATH"\n'
    )
    code, doc, err = run(cli, script, "--sandbox", level, "--disk", "8M")
    left = [d for d in ("/tmp", "/var/tmp", "/dev/shm") if os.path.exists(f"{d}/{tag}")]
    for d in left:
        os.unlink(f"{d}/{tag}")
    if os.path.exists("/tmp/big") and level == "off":
        os.unlink("/tmp/big")
    assert code == 0, err
    if level == "off":
        assert len(left) == 3  # control: a delegate's script leaves them on the host
    else:
        assert left == []
        assert versions(doc) == ["no"]  # 20M does not fit in an 8M /tmp


KEYRING = """
python3 - <<'PY' > "$HARNESS_ARTIFACT_RESULT_PATH"
import ctypes, json, os
libc = ctypes.CDLL(None, use_errno=True)
add_key, keyctl = {"x86_64": (248, 250), "aarch64": (217, 219)}[os.uname().machine]
if os.environ["ROLE"] == "writer":
    key = libc.syscall(add_key, b"user", os.environ["TAG"].encode(), b"s3cret", 6, -4)  # user keyring
    seen = "stored" if key > 0 else os.strerror(ctypes.get_errno())
else:
    key = libc.syscall(keyctl, 10, -4, b"user", os.environ["TAG"].encode(), 0)  # KEYCTL_SEARCH
    buf = ctypes.create_string_buffer(64)
    size = libc.syscall(keyctl, 11, key, buf, 64) if key > 0 else -1  # KEYCTL_READ
    seen = "read:" + buf.raw[:size].decode() if size > 0 else os.strerror(ctypes.get_errno())
    if key > 0:
        libc.syscall(keyctl, 21, key)  # KEYCTL_INVALIDATE: leave the host's keyring as it was
print(json.dumps([{"version": seen}]))
PY
"""


@ROOT_ONLY
@pytest.mark.skipif(os.uname().machine not in ("x86_64", "aarch64"), reason="syscall numbers known here")
@pytest.mark.parametrize("level", ["off", *CONFINED])
def test_a_run_leaves_nothing_in_the_kernel_keyring_for_the_next_one(cli: CLI, level: str) -> None:
    """The kernel keeps a keyring per uid beyond its processes: with a one-uid pool, a later run
    gets the same uid and would read what an earlier one stored there."""
    tag = marker()
    env = {"CUSTOMSRC_UID_POOL": "1879113600:1"}
    seen = []
    for role in ("writer", "reader"):
        inputs = [{"name": "ROLE", "type": "String", "value": role}, {"name": "TAG", "type": "String", "value": tag}]
        code, doc, err = run(cli, KEYRING, "--sandbox", level, inputs=inputs, env=env)
        assert code == 0, err
        seen += versions(doc)
    if level == "off":
        assert seen == ["stored", "read:s3cret"]  # control: root's keyring carries it across runs
    else:
        assert seen == ["Operation not permitted", "Operation not permitted"]


# -- 4. the work directory ----------------------------------------------------------------------

SWAP = """
cd /
victim_dir="$VICTIM_DIR"
if mv "$TMPDIR" "$TMPDIR.moved" 2>/dev/null && ln -s "$victim_dir" "$TMPDIR" 2>/dev/null; then s=swapped; else s=refused; fi
echo "[{\\"version\\": \\"$s\\"}]" > "$TMPDIR.moved/${HARNESS_ARTIFACT_RESULT_PATH##*/}" 2>/dev/null \
  || echo "[{\\"version\\": \\"$s\\"}]" > "$HARNESS_ARTIFACT_RESULT_PATH"
"""


@pytest.mark.parametrize("level", ["off", *CONFINED])
def test_swapping_the_work_directory_for_a_link_never_steers_clean_up(cli: CLI, tmp_path: Path, level: str) -> None:
    victim = tmp_path / "victim"
    victim.mkdir()
    (victim / "precious").write_text("keep me")
    runs = tmp_path / "runs"
    runs.mkdir(mode=0o1777)
    runs.chmod(0o1777)
    inputs = [{"name": "VICTIM_DIR", "type": "String", "value": str(victim)}]
    env = {"TMPDIR": str(runs)}
    code, doc, err = run(cli, SWAP, "--sandbox", level, inputs=inputs, env=env)
    assert (victim / "precious").read_text() == "keep me"
    assert code in (0, 5), err
    if level == "off" and code == 0:
        assert versions(doc) == ["swapped"]  # control: the swap itself happens; clean-up ignores it
    for leftover in runs.iterdir():  # whatever the script did, nothing of the run stays but its own link
        assert leftover.is_symlink() or not leftover.exists(), leftover


@pytest.mark.parametrize("level", ["off", *CONFINED])
def test_the_work_directory_is_capped_as_a_whole(cli: CLI, tmp_path: Path, level: str) -> None:
    """Files each under --max-file-size must not add up past --disk in the work directory either."""
    runs = tmp_path / "runs"
    runs.mkdir()
    script = (
        "n=0; for i in 1 2 3 4 5 6; do head -c 3M /dev/zero > part$i 2>/dev/null && n=$((n+1)); done; rm -f part*\n"
        'echo "[{\\"version\\": \\"$n\\"}]" > "$HARNESS_ARTIFACT_RESULT_PATH"\n'
    )
    code, doc, err = run(
        cli, script, "--sandbox", level, "--disk", "8M", "--max-file-size", "4M", env={"TMPDIR": str(runs)}
    )
    assert code == 0, err
    if level == "off":
        assert versions(doc) == ["6"]  # control: 18 MB of 3 MB files on the host's disk
    else:
        assert int(versions(doc)[0]) < 3  # 8 MB hold two 3 MB files
    assert list(runs.iterdir()) == []


@pytest.mark.slow
def test_clean_up_removes_deep_and_locked_trees(cli: CLI, tmp_path: Path) -> None:
    """On the host (at off: basic and strict keep their work directory in a tmpfs of their own)."""
    runs = tmp_path / "runs"
    runs.mkdir()
    script = (
        'd=.; for i in $(seq 1500); do mkdir "$d/a" && d="$d/a"; done 2>/dev/null\n'
        "mkdir -p locked/inner && touch locked/inner/f && chmod 000 locked/inner locked\n" + RESULT
    )
    code, _doc, err = run(cli, script, "--sandbox", "off", env={"TMPDIR": str(runs)})
    assert code == 0, err
    assert list(runs.iterdir()) == []


@pytest.mark.parametrize("mode", [0o700, 0o755])
def test_a_private_tmpdir_of_any_mode_works(cli: CLI, tmp_path: Path, mode: int) -> None:
    """With bubblewrap (as root without it, the unprivileged uid cannot reach a 0700 TMPDIR: exit 2
    with that fix, by design)."""
    need(bubblewrap(), "bubblewrap (a working bwrap)", "apt-get install bubblewrap")
    private = tmp_path / "private"
    private.mkdir()
    private.chmod(mode)
    code, doc, err = run(cli, RESULT, env={"TMPDIR": str(private)})
    assert (code, versions(doc)) == (0, ["1"]), err
    assert list(private.iterdir()) == []


# -- 5. files a source names ------------------------------------------------------------------------


@pytest.mark.parametrize("how", ["absolute", "dotdot", "symlink"])
@pytest.mark.parametrize("field", ["scriptFile", "payloadSchema", "include"])
def test_files_named_by_a_source_stay_in_its_folder(tmp_path: Path, how: str, field: str) -> None:
    project, outside = tmp_path / "project", tmp_path / "outside"
    project.mkdir()
    outside.mkdir()
    tag = marker()
    target = outside / ("s.json" if field == "payloadSchema" else "s.sh")
    target.write_text(f'{{"description": "{tag}"}}' if field == "payloadSchema" else f"# {tag}\n{RESULT}")
    if how == "symlink":
        (project / "link").symlink_to(target)
        name = "link"
    else:
        name = str(target) if how == "absolute" else f"../outside/{target.name}"
    settings: dict[str, Any] = {}
    script = RESULT
    if field == "scriptFile":
        settings["scriptFile"] = name
        script = ""
    elif field == "payloadSchema":
        settings["payloadSchema"] = name
    else:
        (project / "main.sh").write_text(f"# customsrc:include {name}\n")
        settings["scriptFile"] = "main.sh"
        script = ""
    doc = source_doc(script, array="$", customsrc=settings)
    path = write_yaml(project / "source.yaml", doc)
    cli = CLI(tmp_path)
    refused = cli.run("run", str(path), "--format", "json")
    assert refused.returncode == 2, refused.stderr
    assert "outside the source's folder" in refused.stderr and "--allow-read" in refused.stderr
    assert tag not in refused.stdout + refused.stderr
    # Control: the file is real and readable once its folder is allowed.
    allowed = cli.run("run", str(path), "--format", "json", "--allow-read", str(outside), "--sandbox", "off")
    assert allowed.returncode == 0, allowed.stderr


# -- 6/8. the caller's files, ordinary users ------------------------------------------------------


@pytest.mark.parametrize("level", ["off", *CONFINED])
def test_the_callers_home_and_project_are_hidden(cli: CLI, tmp_path: Path, level: str) -> None:
    home = tmp_path / "home"
    (home / ".aws").mkdir(parents=True)
    tag = marker()
    (home / ".aws" / "credentials").write_text(tag)
    (cli.tmp_path / "secrets.env").write_text(tag)
    for path in (tmp_path, home, home / ".aws", home / ".aws" / "credentials", cli.tmp_path / "secrets.env"):
        path.chmod(0o755 if path.is_dir() else 0o644)  # world-readable: only the sandbox hides them
    script = (
        f'cat "{home}/.aws/credentials" "{cli.tmp_path}/secrets.env" 2>/dev/null | tr -d "\\n" > seen || true\n'
        'echo "[{\\"version\\": \\"x$(cat seen)\\"}]" > "$HARNESS_ARTIFACT_RESULT_PATH"\n'
    )
    code, doc, err = run(cli, script, "--sandbox", level, env={"HOME": str(home)})
    assert code == 0, err
    if level == "off":
        assert tag in versions(doc)[0]
    else:
        assert versions(doc) == ["x"]


def _as_user_runner(tmp_path: Path) -> list[str]:
    """customsrc runnable by an unprivileged uid: a world-readable copy of the package and its data
    run by Debian's python3 (the test's own interpreter may live under root's 0700 home)."""
    python = shutil.which("python3", path="/usr/bin:/bin")
    need(python and shutil.which("setpriv"), "Debian's python3 and setpriv", "apt-get install python3 util-linux")
    assert python is not None
    copy = tmp_path / "pkg"
    shutil.copytree(ROOT / "customsrc", copy / "customsrc", ignore=shutil.ignore_patterns("__pycache__"))
    for data in ("schemas", "scripts", "templates"):
        shutil.copytree(ROOT / data, copy / data)
    import yaml

    shutil.copytree(Path(yaml.__file__).parent, copy / "yaml", ignore=shutil.ignore_patterns("__pycache__"))
    for path in [tmp_path, *copy.rglob("*")]:
        path.chmod(0o755 if path.is_dir() else 0o644)
    return ["setpriv", "--reuid", "4242", "--regid", "4242", "--clear-groups", python, "-m", "customsrc.cli"]


@pytest.fixture
def open_tmp() -> Any:
    """A world-searchable folder (pytest's own is 0700 under root) for an unprivileged uid."""
    import tempfile

    folder = Path(tempfile.mkdtemp(prefix="customsrc-usertest-", dir="/tmp"))
    folder.chmod(0o755)
    yield folder
    shutil.rmtree(folder, ignore_errors=True)


@ROOT_ONLY
@pytest.mark.parametrize("level", ["off", *CONFINED])
def test_an_ordinary_user_gets_the_same_guarantees(open_tmp: Path, level: str) -> None:
    tmp_path = open_tmp
    argv = _as_user_runner(tmp_path)
    home = tmp_path / "user"
    (home / ".ssh").mkdir(parents=True)
    tag = marker()
    (home / ".ssh" / "id_ed25519").write_text(tag)
    work = tmp_path / "work"
    work.mkdir()
    script = (
        f"(exec -a {tag}-setsid setsid sleep 300) &\n"
        f'v=$(cat "{home}/.ssh/id_ed25519" 2>/dev/null || echo hidden)\n'
        f"touch /tmp/{tag} 2>/dev/null\n"
        'echo "[{\\"version\\": \\"$v\\"}]" > "$HARNESS_ARTIFACT_RESULT_PATH"\n'
    )
    write_yaml(work / "source.yaml", source_doc(script, array="$"))
    for path in (home, home / ".ssh", home / ".ssh" / "id_ed25519", work, work / "source.yaml"):
        os.chown(path, 4242, 4242)
    (home / ".ssh").chmod(0o700)
    env = {"PATH": "/usr/bin:/bin", "HOME": str(home), "PYTHONPATH": str(tmp_path / "pkg"), "TMPDIR": str(work)}
    proc = subprocess.run(
        [*argv, "run", "source.yaml", "--format", "json", "--sandbox", level],
        capture_output=True,
        text=True,
        env=env,
        cwd=work,
        timeout=60,
        check=False,
    )
    leftover = os.path.exists(f"/tmp/{tag}")
    if leftover:
        os.unlink(f"/tmp/{tag}")
    assert processes_with(tag) == []
    assert proc.returncode == 0, proc.stderr
    seen = versions(json.loads(proc.stdout))
    if level == "off":
        assert seen == [tag] and leftover  # control: the script reads the user's key
    else:
        assert seen == ["hidden"] and not leftover


# -- 7. watch state ---------------------------------------------------------------------------------


def test_watch_refuses_a_state_folder_others_can_write_and_a_symlinked_state(cli: CLI, tmp_path: Path) -> None:
    source = cli.source(RESULT, array="$", version_path="version")
    shared = tmp_path / "shared"
    shared.mkdir()
    shared.chmod(0o777)
    proc = cli.run("watch", str(source), "--state", str(shared / "state.json"), "--once")
    assert proc.returncode == 2 and "writable by other users" in proc.stderr, proc.stderr
    mine = tmp_path / "mine"
    mine.mkdir(mode=0o700)
    target = tmp_path / "target"
    target.write_text("untouched")
    (mine / "state.json").symlink_to(target)
    proc = cli.run("watch", str(source), "--state", str(mine / "state.json"), "--once")
    assert proc.returncode == 2 and "symlink" in proc.stderr, proc.stderr
    assert target.read_text() == "untouched"


def test_watch_state_is_never_written_through_a_planted_temp_name(cli: CLI, tmp_path: Path) -> None:
    """The temporary file has a random name and is created O_EXCL|O_NOFOLLOW: links planted at
    every name the old scheme used (state.json.<pid>.tmp) are never written through."""
    source = cli.source(RESULT, array="$", version_path="version")
    folder = tmp_path / "state"
    folder.mkdir(mode=0o755)
    target = tmp_path / "target"
    target.write_text("untouched")
    for pid in range(os.getpid(), os.getpid() + 200):
        (folder / f"state.json.{pid}.tmp").symlink_to(target)
    proc = cli.run("watch", str(source), "--state", str(folder / "state.json"), "--once")
    assert proc.returncode == 0, proc.stderr
    assert target.read_text() == "untouched"
    assert json.loads((folder / "state.json").read_text())["format"] == 1
    assert not [p for p in folder.iterdir() if p.name.endswith(".tmp") and not p.is_symlink()]


@pytest.mark.parametrize("level", ["off", *CONFINED])
def test_sigterm_to_customsrc_kills_the_script_and_removes_its_work(cli: CLI, tmp_path: Path, level: str) -> None:
    tag = marker()
    runs = tmp_path / "runs"
    runs.mkdir()
    path = cli.source(f"( exec -a {tag} sleep 300 ) &\nwait\n" + RESULT, array="$", version_path="version")
    proc = cli.start(
        "run",
        str(path),
        "--sandbox",
        level,
        env={"TMPDIR": str(runs)},
        stdout=subprocess.DEVNULL,
        stderr=subprocess.PIPE,
    )
    wait_for_process(tag, 20)
    proc.terminate()
    assert proc.wait(timeout=20) == 130
    assert proc.stderr is not None
    proc.stderr.close()
    assert processes_with(tag) == []
    assert list(runs.iterdir()) == []


@pytest.mark.parametrize("level", ["off", *CONFINED])
def test_sigkill_to_customsrc_leaves_no_work_directory_on_the_host(cli: CLI, tmp_path: Path, level: str) -> None:
    """No clean-up code runs after SIGKILL: at basic and strict the work directory is a tmpfs that
    only customsrc's descriptor and the sandbox hold, so the kernel frees it; bubblewrap's
    --die-with-parent ends the script."""
    tag = marker()
    runs = tmp_path / "runs"
    runs.mkdir()
    path = cli.source(
        f"echo data > kept\n( exec -a {tag} sleep 300 ) &\nwait\n" + RESULT, array="$", version_path="version"
    )
    proc = cli.start("run", str(path), "--sandbox", level, env={"TMPDIR": str(runs)}, stdout=subprocess.DEVNULL)
    wait_for_process(tag, 20)
    proc.kill()
    proc.wait(timeout=20)
    deadline = time.monotonic() + 5
    while processes_with(tag) and level != "off" and time.monotonic() < deadline:
        time.sleep(0.05)
    survivors = processes_with(tag)
    left = list(runs.rglob("kept"))
    for pid in survivors:
        os.kill(pid, 9)
    shutil.rmtree(runs, ignore_errors=True)
    if level == "off":
        assert left  # control: a work directory on the host stays when customsrc cannot clean up
    else:
        assert (survivors, left) == ([], [])


@pytest.mark.parametrize(("folder", "allowed"), [("templates", True), ("project", False)])
def test_a_template_may_name_the_scripts_folder_beside_it(tmp_path: Path, folder: str, allowed: bool) -> None:
    """The gallery's layout (templates/NAME.yaml naming ../scripts/NAME), installed or in a checkout,
    and only that: any other folder's sibling stays out of reach."""
    (tmp_path / "scripts").mkdir()
    (tmp_path / "scripts" / "fetch.sh").write_text(RESULT)
    (tmp_path / folder).mkdir()
    doc = source_doc("", array="$", customsrc={"scriptFile": "../scripts/fetch.sh"})
    path = write_yaml(tmp_path / folder / "source.yaml", doc)
    proc = CLI(tmp_path).run("run", str(path), "--format", "json")
    if allowed:
        assert proc.returncode == 0, proc.stderr
        assert versions(json.loads(proc.stdout)) == ["1"]
    else:
        assert proc.returncode == 2 and "outside the source's folder" in proc.stderr, proc.stderr


@pytest.mark.parametrize("level", CONFINED)
def test_an_allowed_folder_deep_under_a_private_temp_is_readable(cli: CLI, tmp_path: Path, level: str) -> None:
    """``--allow-read`` of a folder several levels under /tmp (hidden by the run's private /tmp):
    the folders leading to it are traversable by the script, whatever user it runs as."""
    need(bubblewrap(), "bubblewrap (a working bwrap)", "apt-get install bubblewrap")
    data = tmp_path / "ci" / "data"
    data.mkdir(parents=True)
    tmp_path.chmod(0o755)
    (tmp_path / "ci").chmod(0o755)
    (data / "v.json").write_text('[{"version": "7"}]')
    data.chmod(0o755)
    (data / "v.json").chmod(0o644)
    script = f'cat {data}/v.json > "$HARNESS_ARTIFACT_RESULT_PATH"\n'
    code, doc, err = run(cli, script, "--sandbox", level, "--allow-read", str(data))
    assert code == 0, err
    assert versions(doc) == ["7"]
    # Control: without the allowance the folder is out of sight.
    code, doc, _err = run(cli, script, "--sandbox", level)
    assert code == 3 and doc["artifacts"] == []


# -- what the script inherits from customsrc's own process ----------------------------------------


@pytest.mark.parametrize("level", ["off", *CONFINED])
def test_a_descriptor_customsrc_inherits_never_reaches_the_script(cli: CLI, tmp_path: Path, level: str) -> None:
    """A caller's open descriptor (a cron job's lock file, a CI log pipe) is not the script's: at
    every level it is closed in the script, so a script running as another uid cannot write
    through root's descriptor."""
    import fcntl
    import sys

    target = tmp_path / "root-only.log"
    target.write_text("")
    target.chmod(0o600)
    opened = os.open(target, os.O_WRONLY | os.O_APPEND)
    fd = fcntl.fcntl(opened, fcntl.F_DUPFD, 20)  # above the numbers the launch itself uses
    os.close(opened)
    try:
        subprocess.run(["bash", "-c", f"echo control >&{fd}"], pass_fds=(fd,), check=True)  # the attack is real
        path = cli.source(f"echo leaked >&{fd}\n" + RESULT, array="$", version_path="version")
        done = subprocess.run(
            [sys.executable, "-m", "customsrc.cli", "run", str(path), "--sandbox", level],
            pass_fds=(fd,),
            env=cli.environment(),
            capture_output=True,
            text=True,
            check=False,
        )
    finally:
        os.close(fd)
    assert done.returncode == 0, done.stderr
    assert target.read_text() == "control\n"


@pytest.mark.parametrize("level", ["off", *CONFINED])
def test_the_script_gets_default_signal_dispositions(cli: CLI, level: str) -> None:
    """Python ignores SIGPIPE (and customsrc may run under a caller that ignores SIGXFSZ); a
    script gets them at their defaults, as on a delegate, so `yes | head -1` ends."""
    import signal

    status = Path("/proc/self/status").read_text().splitlines()
    ignored = int(next(line for line in status if line.startswith("SigIgn:")).split()[1], 16)
    assert ignored & (1 << (signal.SIGPIPE - 1))  # the control: this process does ignore SIGPIPE
    script = "mask=$(awk '/^SigIgn:/ {print $2}' /proc/self/status)\n"
    script += 'echo "[{\\"version\\": \\"$mask\\"}]" > "$HARNESS_ARTIFACT_RESULT_PATH"\n'
    code, doc, err = run(cli, script, "--sandbox", level)
    assert code == 0, err
    mask = int(versions(doc)[0], 16)
    assert not mask & ((1 << (signal.SIGPIPE - 1)) | (1 << (signal.SIGXFSZ - 1))), hex(mask)


@ROOT_ONLY
@pytest.mark.parametrize("level", ["basic"])
def test_the_process_limit_counts_the_run_alone(cli: CLI, level: str) -> None:
    """--max-processes counts the run's own processes (its first one and the script's), not the
    launcher customsrc started outside it: 3 leaves room for bash and one command."""
    code, doc, err = run(cli, "/bin/true\n" + RESULT, "--sandbox", level, "--max-processes", "3")
    assert code == 0, err
    assert versions(doc) == ["1"]


@pytest.mark.parametrize("level", ["basic"])
def test_hundreds_of_allowed_folders(cli: CLI, tmp_path: Path, level: str) -> None:
    folders = []
    for n in range(300):
        folder = tmp_path / "allowed" / f"f{n}"
        folder.mkdir(parents=True)
        (folder / "x").write_text(str(n))
        folders += ["--allow-read", str(folder)]
    script = f"cat {tmp_path}/allowed/f299/x > /dev/null\n" + RESULT
    code, doc, err = run(cli, script, "--sandbox", level, *folders)
    assert code == 0, err
    assert versions(doc) == ["1"]
