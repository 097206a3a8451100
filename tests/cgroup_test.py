"""A run's control groups are reused by the next run of the same process (cgroup.py): only empty,
with the same limits, holding almost no memory, with its out-of-memory past forgotten, and never
by another process. As root, where whole-run groups work."""

from __future__ import annotations

import os
import shutil
import signal
import subprocess
import tempfile
import time
from collections.abc import Iterator
from pathlib import Path

import pytest

from customsrc import cgroup
from customsrc.cgroup import RunGroup
from customsrc.masking import Masker
from customsrc.paths import tool
from customsrc.runner import RunOutcome, run_script
from customsrc.sandbox import Limits, Settings

from .helpers import need

pytestmark = pytest.mark.skipif(
    os.geteuid() != 0 or isinstance(cgroup.available(), str), reason="whole-run groups need root and cgroups"
)
MiB = 1 << 20


@pytest.fixture(autouse=True)
def empty_pool() -> Iterator[None]:
    cgroup._empty_pool()
    yield
    cgroup._empty_pool()


@pytest.fixture
def groups_used(monkeypatch: pytest.MonkeyPatch) -> list[tuple[str, ...]]:
    """The group paths of each run, in order."""
    used: list[tuple[str, ...]] = []
    close = RunGroup.close

    def spy(self: RunGroup) -> None:
        used.append(tuple(self.paths))
        close(self)

    monkeypatch.setattr(RunGroup, "close", spy)
    return used


def fetch(script: str, memory: int = 64 * MiB, **settings: object) -> RunOutcome:
    limits = Limits(memory=memory)
    outcome, _ = run_script(
        script,
        shell="bash",
        inputs={},
        timeout=30,
        read_result=lambda _path, _outcome: None,
        masker=Masker(()),
        settings=Settings(level="basic", limits=limits, **settings),  # type: ignore[arg-type]
    )
    return outcome


def result_of(script: str) -> str:
    """The result file a successful run of ``script`` wrote (64M limit)."""
    outcome, text = run_script(
        script,
        shell="bash",
        inputs={},
        timeout=30,
        read_result=lambda path, _outcome: Path(path).read_text(),
        masker=Masker(()),
        settings=Settings(level="basic", limits=Limits(memory=64 * MiB)),
    )
    assert outcome.exit_code == 0, outcome.stderr_tail
    return text


HOG = "python3 -c 'b = bytearray(200 << 20)'"


def test_a_reused_group_forgets_the_last_runs_out_of_memory(groups_used: list[tuple[str, ...]]) -> None:
    hog = fetch(HOG)
    assert hog.out_of_memory  # control: the kernel killed a process of the first run in that group
    after = fetch("true")
    assert groups_used[0] == groups_used[1], "the second run did not reuse the first one's group"
    assert after.exit_code == 0 and not after.out_of_memory
    again = fetch(HOG)
    assert groups_used[2] == groups_used[0] and again.out_of_memory  # a new kill is still seen


def test_a_group_still_holding_memory_is_not_reused(groups_used: list[tuple[str, ...]]) -> None:
    data = Path(tempfile.mkdtemp(prefix="customsrc-test-", dir="/tmp"))  # the run's uid reaches it even
    try:  # without bubblewrap (pytest's own folder is root's alone)
        data.chmod(0o755)
        big = data / "big"
        big.write_bytes(os.urandom(3 * MiB) * 4)
        big.chmod(0o644)
        with big.open("rb") as handle:  # out of the page cache: the run's read charges it to the run
            os.fsync(handle.fileno())
            os.posix_fadvise(handle.fileno(), 0, 0, os.POSIX_FADV_DONTNEED)
        fetch("true")
        read = fetch(f"cat {big} > /dev/null || exit 3", allow_read=(str(data),))
        fetch("true")
    finally:
        shutil.rmtree(data)
    assert read.exit_code == 0, read.stderr_tail
    assert groups_used[1] == groups_used[0]  # control: a run that leaves nothing charged gives its group back
    assert groups_used[2] != groups_used[1], "a group 12 MiB of page cache is charged to was reused"


def test_other_limits_get_another_group(groups_used: list[tuple[str, ...]]) -> None:
    fetch("true")
    fetch("true", memory=128 * MiB)
    fetch("true", memory=128 * MiB)
    assert groups_used[1] != groups_used[0]
    assert groups_used[2] == groups_used[1]


def test_every_process_is_killed_before_a_group_is_given_back() -> None:
    group = RunGroup.take(64 * MiB, 16)
    sleeper = subprocess.Popen(["sleep", "60"])
    try:
        group.place(sleeper.pid)
        group.close()
        assert sleeper.wait(timeout=5) == -signal.SIGKILL
        again = RunGroup.take(64 * MiB, 16)
        assert again is group and again.pids() == []
        again.close()
    finally:
        sleeper.kill()
        sleeper.wait()


def test_a_forked_child_never_takes_its_parents_groups() -> None:
    group = RunGroup.take(64 * MiB, 16)
    paths = list(group.paths)
    group.close()
    read, write = os.pipe()
    child = os.fork()
    if child == 0:  # pragma: no cover - the child reports through the pipe
        try:
            mine = RunGroup.take(64 * MiB, 16)
            os.write(write, b"same" if mine.paths == paths else b"other")
            mine.remove()
        finally:
            os._exit(0)
    os.close(write)
    said = os.read(read, 16)
    os.close(read)
    os.waitpid(child, 0)
    assert said == b"other"
    assert all(os.path.isdir(path) for path in paths), "the child removed its parent's pooled group"
    last = RunGroup.take(64 * MiB, 16)
    last.close()
    assert last is group  # control: the parent itself does reuse it


def test_no_script_reads_a_run_groups_counters(groups_used: list[tuple[str, ...]]) -> None:
    """A run's group folders are root's alone: a script cannot read the counters of any run's group,
    among them its own, which a reused group carries over from the run before (its peak memory,
    page faults, out-of-memory kills). Control: root reads them."""
    fetch(HOG)
    found = cgroup.available()
    assert not isinstance(found, str)
    bases = " ".join(found[1])
    script = f"""read=0
for group in $(ls -d {bases.replace(" ", "/run-* ")}/run-*); do
  for name in memory.max_usage_in_bytes memory.stat memory.oom_control memory.events pids.events; do
    cat "$group/$name" >/dev/null 2>&1 && read=$((read+1))
  done
done
echo "[{{\\"v\\": \\"$read\\"}}]" > "$HARNESS_ARTIFACT_RESULT_PATH"
"""
    read = result_of(script)
    assert groups_used[1] == groups_used[0]  # the group the hog ran in
    assert '"0"' in read, f"a script read {read} of the run groups' counters"
    assert any(os.access(os.path.join(path, "memory.stat"), os.R_OK) for path in groups_used[0])  # control


@pytest.mark.parametrize("held", [True, False])
def test_without_bubblewrap_the_script_starts_in_its_group(
    groups_used: list[tuple[str, ...]], monkeypatch: pytest.MonkeyPatch, held: bool
) -> None:
    """Without bubblewrap, unshare forks the script at once: customsrc holds the first process
    until it has put it in the run's groups, so the script never starts outside the whole-run
    limits, however late customsrc gets to it (here 0.2 s). Control (held=False): without the
    hold, that late the script runs outside its group."""
    need(tool("unshare"), "unshare (util-linux)", "apt-get install util-linux")
    from customsrc import levels

    monkeypatch.setattr(levels, "bubblewrap", lambda: None)
    if not held:
        monkeypatch.setattr(levels, "_waiter", lambda: [])
    place = RunGroup.place

    def late(self: RunGroup, pid: int) -> None:
        time.sleep(0.2)
        place(self, pid)

    monkeypatch.setattr(RunGroup, "place", late)
    script = 'mine=$(grep -m1 ":memory:" /proc/self/cgroup)\necho "[{\\"v\\": \\"${mine##*/}\\"}]" > "$HARNESS_ARTIFACT_RESULT_PATH"\n'
    read = result_of(script)
    group = os.path.basename(groups_used[0][0])
    assert (group in read) == held, read
