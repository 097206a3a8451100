"""--tools delegate: only the stock delegate image's commands, so what fails there fails here."""

from __future__ import annotations

import json
import shutil
from pathlib import Path

import pytest

from customsrc import delegate
from customsrc.export import export, to_yaml
from customsrc.gallery import entries, stock_delegate

from .helpers import CLI, need

LEVELS = ["off", "basic", "strict"]
RESULT = 'echo \'[{"version": "1"}]\' > "$HARNESS_ARTIFACT_RESULT_PATH"\n'


def test_the_profile_names_its_source_and_date() -> None:
    data = delegate.profile()
    assert data["ref"].startswith("harness/delegate-dockerfile@") and data["checked"]
    assert {"bash", "curl", "sed", "awk", "tar", "git", "kubectl", "java"} <= delegate.commands()
    assert not {"jq", "python3", "wget", "which", "unzip"} & delegate.commands()


@pytest.mark.parametrize("level", LEVELS)
def test_jq_is_missing_as_on_the_delegate_and_the_fix_is_named(cli: CLI, level: str) -> None:
    need(shutil.which("jq"), "jq (the host control)", "apt-get install jq")
    path = cli.source('echo \'[{"version": "1"}]\' | jq -c . > "$HARNESS_ARTIFACT_RESULT_PATH"\n', array="$")
    host = cli.run("run", str(path), "--sandbox", level, "--version", "1", "-q")
    assert host.returncode == 0, host.stderr  # control: this machine has jq
    stock = cli.run("run", str(path), "--sandbox", level, "--tools", "delegate", "--version", "1", "-q")
    assert stock.returncode == 3
    line = stock.stderr.strip()
    assert "jq: command not found" in line  # chosen over a later 'echo: write error: Broken pipe'
    assert line.endswith(
        "(jq is not on the stock Harness delegate image; add to the delegate INIT_SCRIPT: microdnf install -y jq)"
    )


@pytest.mark.parametrize("level", LEVELS)
def test_the_images_own_tools_work(cli: CLI, level: str) -> None:
    script = (
        "set -euo pipefail\n"
        'v=$(printf "1.2.3\\n" | sed "s/^/v/" | tr -d "\\n" | awk "{print}" | head -c 20)\n'
        "curl --version >/dev/null && base64 </dev/null >/dev/null && date +%s >/dev/null && find . -maxdepth 0 >/dev/null\n"
        'echo "[{\\"version\\": \\"$v\\", \\"path\\": \\"$PATH\\"}]" > "$HARNESS_ARTIFACT_RESULT_PATH"\n'
    )
    path = cli.source(script, array="$", version="v1.2.3", attributes=[("path", "path")])
    code, doc, err = cli.json("run", str(path), "--sandbox", level, "--tools", "delegate")
    assert code == 0, err
    assert doc["selected"]["version"] == "v1.2.3"
    assert ":" not in doc["selected"]["metadata"]["path"]  # one folder: the image's commands, nothing else


def test_a_python_source_stops_as_on_the_delegate(cli: CLI, tmp_path: Path) -> None:
    (tmp_path / "fetch.py").write_text("print('never runs')\n")
    path = cli.source("", array="$", customsrc={"shell": "python", "scriptFile": "fetch.py"})
    proc = cli.run("run", str(path), "--tools", "delegate", "--version", "1")
    assert proc.returncode == 3
    assert (
        "python3: command not found (--tools delegate): python3 is not on the stock Harness delegate image"
        in proc.stderr
    )
    assert "microdnf install -y python3" in proc.stderr


@pytest.mark.parametrize("name", [e.name for e in entries()])
def test_every_gallery_export_runs_on_the_stock_image_or_stops_at_its_guard(
    cli: CLI, tmp_path: Path, name: str
) -> None:
    """What a user pastes into Harness, run with the stock image's commands: the guard names what
    is missing and the INIT_SCRIPT line, in one line, before anything else runs."""
    item = next(e for e in entries() if e.name == name)
    document, _ = export(item.source, "source")
    exported = tmp_path / "exported.yaml"
    exported.write_text(to_yaml(document))
    inputs = [f"--input={v['name']}=x" for v in item.inputs if str(v.get("value", "")).startswith("<+input>")]
    proc = cli.run("run", str(exported), "--tools", "delegate", "--version", "1", *inputs, "-q")
    verdict = stock_delegate(item)
    if verdict == "yes":
        assert proc.returncode == 0, proc.stderr
        return
    missing = verdict.removeprefix("needs ").split(", ")[0]
    assert proc.returncode == 3
    assert proc.stderr.splitlines()[-1].endswith(
        f"customsrc: {missing} is not on the stock Harness delegate image; "
        f"add to the delegate INIT_SCRIPT: {delegate.install_line(missing)}"
    ), proc.stderr


def test_gallery_list_says_which_entries_run_on_a_stock_delegate(cli: CLI) -> None:
    listing = cli.run("gallery", "list")
    assert listing.returncode == 0
    assert "STOCK DELEGATE" in listing.stdout.splitlines()[0]
    for item in entries():
        line = next(row for row in listing.stdout.splitlines() if row.startswith(item.name + " "))
        assert stock_delegate(item) in line


def test_doctor_shows_the_profile(cli: CLI) -> None:
    proc = cli.run("doctor")
    row = next(line for line in proc.stdout.splitlines() if "--tools delegate" in line)
    assert delegate.profile()["ref"] in row
    assert f"of the stock image's {len(delegate.commands())} commands here" in row


def test_the_library_takes_the_profile_too(tmp_path: Path) -> None:
    import customsrc

    from .helpers import source_doc, write_yaml

    path = write_yaml(tmp_path / "s.yaml", source_doc("command -v python3 >/dev/null && exit 9\n" + RESULT, array="$"))
    with pytest.raises(customsrc.ScriptFailed, match="code 9"):
        customsrc.fetch(path, version="1")  # control: the host's python3 is on the script's PATH
    result = customsrc.fetch(path, tools="delegate", version="1")
    assert [a.version for a in result.artifacts] == ["1"]
    with pytest.raises(customsrc.UsageError, match="tools: unknown profile 'alpine'"):
        customsrc.fetch(path, tools="alpine")
    assert json.dumps(delegate.profile())  # the data file is plain JSON
