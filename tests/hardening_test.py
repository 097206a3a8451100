"""Bad input ends in one clear line and a documented exit code: never a hang, unbounded memory,
an internal error or a terminal taken over."""

from __future__ import annotations

import json
import os
import subprocess
import sys
import time
from pathlib import Path

import pytest

import customsrc
from customsrc.sandbox import Limits

from .helpers import CLI, source_doc, write_yaml

RESULT = 'echo \'[{"version": "1"}]\' > "$HARNESS_ARTIFACT_RESULT_PATH"\n'


def one_line_error(proc: subprocess.CompletedProcess[str], code: int = 2) -> str:
    assert proc.returncode == code, proc.stderr
    lines = proc.stderr.splitlines()
    assert len(lines) == 1 and lines[0].startswith("customsrc: error: "), proc.stderr
    return lines[0]


@pytest.fixture
def fifo(tmp_path: Path) -> Path:
    path = tmp_path / "fifo"
    os.mkfifo(path)
    return path


@pytest.mark.parametrize("special", ["fifo", "/dev/zero", "/dev/urandom"])
def test_a_special_file_as_source_is_refused_before_reading(cli: CLI, fifo: Path, special: str) -> None:
    path = str(fifo) if special == "fifo" else special
    line = one_line_error(cli.run("run", path, timeout=20))
    assert "not a regular file" in line


@pytest.mark.parametrize("command", ["lint", "export"])
def test_every_command_reading_a_source_refuses_a_device(cli: CLI, command: str) -> None:
    assert "is a character device" in one_line_error(cli.run(command, "/dev/zero", timeout=20))


def test_an_endless_stdin_is_cut_at_the_ceiling(cli: CLI) -> None:
    with open("/dev/zero", "rb") as zero:
        proc = subprocess.run(
            [sys.executable, "-m", "customsrc.cli", "run", "-"],
            stdin=zero,
            capture_output=True,
            text=True,
            timeout=60,
            env=cli.environment(),
            check=False,
        )
    assert one_line_error(proc) == "customsrc: error: <stdin>: larger than 16 MiB"


def test_a_source_past_the_ceiling_is_refused(cli: CLI, tmp_path: Path) -> None:
    big = tmp_path / "big.yaml"
    big.write_text("# " + "x" * (17 << 20) + "\n")
    assert one_line_error(cli.run("run", str(big))).endswith("big.yaml: larger than 16 MiB")


@pytest.mark.parametrize("special", ["fifo", "/dev/urandom"])
def test_a_special_secrets_file_is_refused(cli: CLI, fifo: Path, special: str) -> None:
    path = cli.source(RESULT, array="$", version_path="version")
    target = str(fifo) if special == "fifo" else special
    assert "not a regular file" in one_line_error(cli.run("run", str(path), "--secrets-file", target, timeout=20))


def test_a_special_watch_state_is_refused(cli: CLI, tmp_path: Path) -> None:
    state_dir = tmp_path / "state"
    state_dir.mkdir(mode=0o700)
    os.mkfifo(state_dir / "state.json")
    path = cli.source(RESULT, array="$", version_path="version")
    line = one_line_error(cli.run("watch", str(path), "--state", str(state_dir / "state.json"), "--once", timeout=20))
    assert "not a regular file" in line or "cannot read" in line


@pytest.mark.parametrize(
    ("args", "expected"),
    [
        (["run", "x.yaml", "--bogus"], "unrecognized arguments: --bogus"),
        (["run", "x.yaml", "--sandbox", "jail"], "argument --sandbox: invalid choice: 'jail'"),
        (["frobnicate"], "argument COMMAND: invalid choice: 'frobnicate'"),
        (["watch"], "the following arguments are required"),
    ],
)
def test_usage_errors_are_the_documented_line(cli: CLI, args: list[str], expected: str) -> None:
    line = one_line_error(cli.run(*args))
    assert expected in line and "--help)" in line


@pytest.mark.parametrize(
    ("flag", "value", "says"),
    [
        ("--memory", "1", "--memory must be at least 16M"),
        ("--max-open-files", "99999999999", "--max-open-files is above what this machine allows"),
        ("--max-processes", "0", "--max-processes must be at least 1"),
        ("--max-file-size", "10", "--max-file-size must be at least 1K"),
        ("--disk", "1k", "--disk must be at least 1M"),
    ],
)
def test_limits_no_run_could_meet_are_usage_errors(cli: CLI, flag: str, value: str, says: str) -> None:
    """These used to start the script and fail as exit 3 (the script's failure)."""
    path = cli.source(RESULT, array="$", version_path="version")
    assert says in one_line_error(cli.run("run", str(path), flag, value))


def test_the_library_names_its_own_parameters(tmp_path: Path) -> None:
    path = write_yaml(tmp_path / "s.yaml", source_doc(RESULT, array="$"))
    with pytest.raises(customsrc.UsageError, match=r"^limits.memory must be at least 16M"):
        customsrc.fetch(path, limits=Limits(memory=1))


def test_terminal_escapes_in_versions_are_shown_not_obeyed(cli: CLI) -> None:
    version = "1.0\x1b[31mRED\x1b]0;title\x07\u202eevil"
    script = f"cat > \"$HARNESS_ARTIFACT_RESULT_PATH\" <<'JSON'\n{json.dumps([{'version': version}])}\nJSON\n"
    path = cli.source(script, array="$", version_path="version")
    proc = cli.run("run", str(path), "-q")
    assert proc.returncode == 0, proc.stderr
    assert "\x1b" not in proc.stdout and "\x07" not in proc.stdout and "\u202e" not in proc.stdout
    assert "1.0\\x1b[31mRED\\x1b]0;title\\x07\\u202eevil" in proc.stdout
    raw = json.loads(cli.run("run", str(path), "--format", "json").stdout)
    assert raw["artifacts"][0]["version"] == version  # machine formats keep the value as it is


@pytest.mark.slow
def test_a_backtracking_regex_stops_at_the_runs_end(cli: CLI) -> None:
    script = 'printf \'[{"version": "%s!"}]\' "$(printf "a%.0s" $(seq 60))" > "$HARNESS_ARTIFACT_RESULT_PATH"\n'
    path = cli.source(script, array="$", version_path="version")
    start = time.monotonic()
    line = one_line_error(cli.run("run", str(path), "--version-regex", "^(a|a)*$", "--timeout", "2s", timeout=60))
    assert time.monotonic() - start < 30  # without the bound: hours
    assert "was still matching" in line and "when the run's time ran out" in line


def test_a_value_given_without_its_name_is_never_repeated(cli: CLI) -> None:
    path = cli.source(RESULT, array="$", version_path="version")
    for option in ("--input", "--expr"):
        line = one_line_error(cli.run("run", str(path), option, "hunter2-s3cret"))
        assert "hunter2" not in line and option in line


@pytest.mark.parametrize("fmt", ["table", "env", "json"])
def test_explain_explains_a_failure_in_every_format(cli: CLI, fmt: str) -> None:
    script = 'echo \'[{"version": "1.0"}, {"version": "2.0"}]\' > "$HARNESS_ARTIFACT_RESULT_PATH"\n'
    path = cli.source(script, array="$", version_path="version")
    proc = cli.run("run", str(path), "--version-regex", "^3", "--explain", "--format", fmt, "-q")
    assert proc.returncode == 6
    if fmt == "json":
        items = json.loads(proc.stdout)["explain"]["items"]["shown"]
        assert [i["decision"] for i in items] == ["dropped", "dropped"]
        return
    shown = proc.stdout if fmt == "table" else proc.stderr  # env's stdout is for `source`
    assert "explain:" in shown and "items (2):" in shown and "[1] '2.0': dropped: regex '^3' not found" in shown
    assert proc.stderr.strip().splitlines()[-1].startswith("customsrc: error: no version matches")


def test_an_error_quoting_a_version_does_not_drive_the_terminal(cli: CLI) -> None:
    version = "1\x1b]0;title\x07"
    script = f"cat > \"$HARNESS_ARTIFACT_RESULT_PATH\" <<'JSON'\n{json.dumps([{'version': version}])}\nJSON\n"
    path = cli.source(script, array="$", version_path="version")
    line = one_line_error(cli.run("run", str(path), "--version", "9", "-q"), code=6)
    assert "\x1b" not in line and "\\x1b]0;title\\x07" in line


def _laughs() -> str:
    text = 'a: &a ["lol", "lol", "lol", "lol", "lol", "lol", "lol", "lol", "lol"]\n'
    previous = "a"
    for name in "bcdefghi":
        text += f"{name}: &{name} [" + ", ".join([f"*{previous}"] * 9) + "]\n"
        previous = name
    return text


@pytest.mark.parametrize(
    ("shape", "says"),
    [
        ("deep-block", "nested more than 100 levels deep"),
        ("deep-flow", "nested more than 100 levels deep"),
        ("laughs", "expands to more than 1,000,000 values through YAML aliases"),
        ("itself", "a YAML alias makes the document contain itself"),
    ],
)
@pytest.mark.parametrize("command", ["run", "lint", "export", "import"])
def test_hostile_yaml_is_a_usage_error_in_every_command(
    cli: CLI, tmp_path: Path, shape: str, says: str, command: str
) -> None:
    text = {
        "deep-block": "".join("  " * i + "a:\n" for i in range(3000)),
        "deep-flow": "x: " + "[" * 5000 + "]" * 5000,
        "laughs": _laughs(),
        "itself": "a: &a\n  b: *a\n",
    }[shape]
    path = tmp_path / f"{shape}.yaml"
    path.write_text(text)
    assert says in one_line_error(cli.run(command, str(path), timeout=60))


@pytest.mark.parametrize("where", ["--timeout", "spec.timeout"])
def test_a_timeout_no_clock_can_hold_is_a_usage_error(cli: CLI, tmp_path: Path, where: str) -> None:
    huge = "99999999999999d"
    doc = source_doc(RESULT, array="$", timeout=huge if where == "spec.timeout" else None)
    path = write_yaml(tmp_path / "s.yaml", doc)
    extra = ["--timeout", huge] if where == "--timeout" else []
    assert (
        one_line_error(cli.run("run", str(path), *extra))
        == f"customsrc: error: {where}: duration longer than a year: '{huge}'"
    )


def test_a_binary_secrets_file_is_a_usage_error(cli: CLI, tmp_path: Path) -> None:
    secrets = tmp_path / "secrets"
    secrets.write_bytes(b"TOKEN=\xff\xfe\x00s3cr3tvalue\n")
    path = cli.source(RESULT, array="$", version_path="version")
    line = one_line_error(cli.run("run", str(path), "--secrets-file", str(secrets)))
    assert line.endswith("not UTF-8 text") and "s3cr3tvalue" not in line


def test_a_payload_schema_that_is_no_schema_is_named_not_printed(cli: CLI, tmp_path: Path) -> None:
    (tmp_path / "schema.json").write_text(json.dumps({"type": 12345, "filler": "x" * 3000}))
    path = cli.source(RESULT, array="$", version_path="version", customsrc={"payloadSchema": "schema.json"})
    line = one_line_error(cli.run("run", str(path)))
    assert "customsrc.payloadSchema 'schema.json': not a valid JSON Schema" in line
    assert "xxxxxxxx" not in line and len(line) < 300


def test_latest_on_a_runtime_input_says_what_harness_does(cli: CLI) -> None:
    script = 'echo \'[{"version": "1.0"}, {"version": "2.0"}]\' > "$HARNESS_ARTIFACT_RESULT_PATH"\n'
    path = cli.source(script, array="$", version_path="version")  # version: <+input>
    code, doc, err = cli.json("run", str(path), "--latest", "--order", "semver", "-q")
    assert code == 0, err
    assert [w for w in doc["warnings"] if not w.startswith("sandbox: ")] == [
        "customsrc chose '2.0' (ordered semver descending; the highest chosen (--latest)); Harness chooses none "
        "here: the version is a runtime input, picked by a person from the list"
    ]


def test_library_errors_name_parameters_and_the_cli_names_flags(cli: CLI, tmp_path: Path) -> None:
    inputs = [{"name": "REPO", "type": "String", "value": "<+input>"}]
    path = write_yaml(tmp_path / "s.yaml", source_doc(RESULT, array="$", inputs=inputs))
    with pytest.raises(customsrc.InputError) as info:
        customsrc.fetch(path)
    assert info.value.message == "input REPO has no value; pass inputs={'REPO': ...}"
    with pytest.raises(customsrc.UsageError, match=r"^order 'sideways': use one of"):
        customsrc.fetch(path, inputs={"REPO": "x"}, order="sideways")
    assert (
        one_line_error(cli.run("run", str(path))) == "customsrc: error: input REPO has no value; pass --input REPO=..."
    )
    line = one_line_error(cli.run("run", str(path), "--input", "REPO=x", "--order", "sideways"))
    assert line.startswith("customsrc: error: --order 'sideways': use one of")


def test_a_document_that_is_a_bare_number_is_a_usage_error(cli: CLI, tmp_path: Path) -> None:
    path = tmp_path / "number.yaml"
    path.write_text("--- !!int 5\n")
    assert "expected a mapping" in one_line_error(cli.run("run", str(path)))
