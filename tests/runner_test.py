"""The runner with real bash scripts: environment, work directory, output, timeout kill."""

from __future__ import annotations

import os
import time
from pathlib import Path

import pytest

from customsrc.masking import MASK, Masker
from customsrc.runner import RunOutcome, run_script
from customsrc.sandbox import Settings

from .helpers import marker, processes_with


def run(
    script: str, *, timeout: float = 10, secrets: tuple[str, ...] = (), shell: str = "bash", **kw: object
) -> tuple[RunOutcome, bytes | None]:
    def read(path: str, outcome: RunOutcome) -> bytes | None:
        return Path(path).read_bytes() if os.path.exists(path) else None

    return run_script(
        script,
        shell=shell,
        inputs=kw.pop("inputs", {}),
        timeout=timeout,
        read_result=read,  # type: ignore[arg-type]
        masker=Masker(secrets),
        **kw,  # type: ignore[arg-type]
    )


def test_result_file_and_exit_code() -> None:
    outcome, data = run('echo \'["x"]\' > "$HARNESS_ARTIFACT_RESULT_PATH"; exit 0')
    assert outcome.exit_code == 0
    assert data == b'["x"]\n'


def test_firstgen_alias_points_at_the_same_file() -> None:
    _, data = run('[ "$ARTIFACT_RESULT_PATH" = "$HARNESS_ARTIFACT_RESULT_PATH" ] && echo ok > "$ARTIFACT_RESULT_PATH"')
    assert data == b"ok\n"


def test_result_path_is_fresh_in_a_private_cwd() -> None:
    script = (
        'test ! -e "$HARNESS_ARTIFACT_RESULT_PATH" || exit 9\n'
        '[ "$(dirname "$HARNESS_ARTIFACT_RESULT_PATH")" = "$PWD" ] || exit 8\n'
        'stat -c %a "$PWD" > "$HARNESS_ARTIFACT_RESULT_PATH"\n'
    )
    outcome, data = run(script)
    assert outcome.exit_code == 0
    assert data == b"700\n"


@pytest.mark.parametrize("level", ["off", "basic"])
def test_work_directory_is_removed(tmp_path: Path, level: str) -> None:
    """At off it is on the host, removed; at basic it never is (a tmpfs of the run's own)."""
    tmp_path.chmod(0o755)  # the fallback without bubblewrap runs as a uid that must reach it
    outcome, data = run(
        'echo "$PWD" > "$HARNESS_ARTIFACT_RESULT_PATH"; touch leftover',
        tmpdir=str(tmp_path),
        settings=Settings(level=level),
    )
    assert outcome.exit_code == 0 and data is not None
    assert list(tmp_path.iterdir()) == []


def test_environment_is_an_allow_list() -> None:
    environ = {"PATH": os.environ["PATH"], "HOME": "/h", "AWS_SECRET_ACCESS_KEY": "leak", "LC_ALL": "C", "LANG": "C"}
    _, data = run('env | sort > "$HARNESS_ARTIFACT_RESULT_PATH"', environ=environ, inputs={"REPO": "r"})
    assert data is not None
    names = {line.split("=", 1)[0] for line in data.decode().splitlines()}
    assert "AWS_SECRET_ACCESS_KEY" not in names
    assert {"PATH", "HOME", "LC_ALL", "LANG", "REPO", "HARNESS_ARTIFACT_RESULT_PATH", "ARTIFACT_RESULT_PATH"} <= names


def test_stdin_is_dev_null() -> None:
    outcome, data = run('cat > "$HARNESS_ARTIFACT_RESULT_PATH"')
    assert outcome.exit_code == 0
    assert data == b""


def test_output_is_streamed_masked_and_tail_kept() -> None:
    seen: list[tuple[str, bytes]] = []
    outcome, _ = run(
        "echo out hunter2; echo err hunter2 >&2", secrets=("hunter2",), on_output=lambda n, d: seen.append((n, d))
    )
    joined = {name: b"".join(d for n, d in seen if n == name) for name in ("stdout", "stderr")}
    assert joined["stdout"] == f"out {MASK}\n".encode()
    assert joined["stderr"] == f"err {MASK}\n".encode()
    assert outcome.stdout_tail == f"out {MASK}\n".encode()


def test_tail_is_bounded() -> None:
    outcome, _ = run("head -c 1000000 /dev/zero | tr '\\0' x")
    assert len(outcome.stdout_tail) == 64 * 1024


def test_python_and_sh_scripts() -> None:
    _, data = run("import os\nopen(os.environ['HARNESS_ARTIFACT_RESULT_PATH'], 'w').write('[1]')\n", shell="python")
    assert data == b"[1]"
    _, data = run('echo sh > "$HARNESS_ARTIFACT_RESULT_PATH"', shell="sh")
    assert data == b"sh\n"


def test_timeout_kills_a_tree_that_ignores_sigterm() -> None:
    tag = marker()
    script = f"""
        trap '' TERM
        (trap '' TERM; exec -a {tag}-a sleep 300) &
        (trap '' TERM; exec -a {tag}-b bash -c 'while :; do sleep 1; done') &
        while :; do sleep 1; done
    """
    start = time.monotonic()
    outcome, data = run(script, timeout=1.0)
    elapsed = time.monotonic() - start
    assert outcome.timed_out
    assert outcome.exit_code is None
    assert data is None
    assert elapsed < 3.0
    assert processes_with(tag) == []


def test_background_jobs_do_not_outlive_a_successful_run() -> None:
    tag = marker()
    start = time.monotonic()
    outcome, _ = run(f'(exec -a {tag} sleep 300) & echo "[]" > "$HARNESS_ARTIFACT_RESULT_PATH"')
    assert outcome.exit_code == 0
    assert time.monotonic() - start < 3
    assert processes_with(tag) == []


@pytest.mark.parametrize("code", [1, 3, 127])
def test_exit_codes_are_reported(code: int) -> None:
    assert run(f"exit {code}")[0].exit_code == code


def test_off_without_unshare_still_starts_in_the_work_directory(monkeypatch: pytest.MonkeyPatch) -> None:
    """One spawn path: where no helper changes directory (no unshare here), ``env -C`` does; the
    script must still start in its own work directory, not in customsrc's."""
    from customsrc import paths

    monkeypatch.setitem(paths._found, "unshare", None)
    script = (
        '[ "$(dirname "$HARNESS_ARTIFACT_RESULT_PATH")" = "$PWD" ] && echo "$PPID" > "$HARNESS_ARTIFACT_RESULT_PATH"'
    )
    outcome, data = run(script, settings=Settings(level="off"))
    assert outcome.exit_code == 0, outcome.stderr_tail
    assert data is not None and int(data) == os.getpid()  # env exec'd bash: no unshare in between


def test_a_process_with_descriptors_above_fd_setsize_still_runs_sandboxed_scripts(tmp_path: Path) -> None:
    """A service running many fetches holds more than 1024 descriptors; waiting on the sandbox's
    pipes must not use select(), which refuses any descriptor above FD_SETSIZE."""
    import resource
    import select

    from customsrc.machine import bubblewrap

    from .helpers import need

    need(bubblewrap(), "bubblewrap (a working bwrap)", "apt-get install bubblewrap")
    soft, hard = resource.getrlimit(resource.RLIMIT_NOFILE)
    if hard != resource.RLIM_INFINITY and hard < 1400:
        pytest.skip(f"this machine allows {hard} descriptors; the test needs 1400")
    resource.setrlimit(resource.RLIMIT_NOFILE, (max(soft, 1400), hard))
    held = [os.open(os.devnull, os.O_RDONLY) for _ in range(1100)]
    try:
        assert held[-1] > 1024
        with pytest.raises(ValueError):  # the control: select() cannot wait on such a descriptor
            select.select([held[-1]], [], [], 0)
        outcome, data = run('echo \'["x"]\' > "$HARNESS_ARTIFACT_RESULT_PATH"', settings=Settings(level="basic"))
        assert outcome.exit_code == 0, outcome.stderr_tail
        assert data == b'["x"]\n'
    finally:
        for fd in held:
            os.close(fd)
        resource.setrlimit(resource.RLIMIT_NOFILE, (soft, hard))
