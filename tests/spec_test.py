"""Source files: the three shapes, picking a source, and schema error trails word for word."""

from __future__ import annotations

import copy
from pathlib import Path
from typing import Any

import pytest

from customsrc.errors import SourceError
from customsrc.spec import load_source

from .helpers import source_doc, template_doc, write_yaml

NATIVE = source_doc("echo hi", identifier="nexus_components", attributes=[("url", "assets[0].downloadUrl")])


def service(*entries: dict[str, Any], sidecars: tuple[dict[str, Any], ...] = ()) -> dict[str, Any]:
    return {
        "service": {
            "name": "svc",
            "identifier": "svc",
            "serviceDefinition": {
                "type": "Kubernetes",
                "spec": {
                    "artifacts": {
                        "primary": {"primaryArtifactRef": "<+input>", "sources": list(entries)},
                        "sidecars": [{"sidecar": s} for s in sidecars],
                    }
                },
            },
        }
    }


DOCKER = {
    "identifier": "docker_img",
    "type": "DockerRegistry",
    "spec": {"connectorRef": "c", "imagePath": "a/b", "tag": "<+input>"},
}


def entry(identifier: str) -> dict[str, Any]:
    e = copy.deepcopy(NATIVE)
    e["identifier"] = identifier
    return e


def error_of(tmp_path: Path, doc: Any, **kw: Any) -> str:
    path = write_yaml(tmp_path / "f.yaml", doc) if isinstance(doc, dict) else tmp_path / "f.yaml"
    if not isinstance(doc, dict):
        path.write_text(doc)
    with pytest.raises(SourceError) as info:
        load_source(str(path), **kw)
    return info.value.message.replace(str(path), "f.yaml")


def test_native_entry(tmp_path: Path) -> None:
    src = load_source(str(write_yaml(tmp_path / "n.yaml", NATIVE)))
    assert (src.identifier, src.role, src.version_path, src.attributes) == (
        "nexus_components",
        "primary",
        "version",
        (("url", "assets[0].downloadUrl"),),
    )


def test_service_picks_the_only_custom_source_and_lists_others(tmp_path: Path) -> None:
    src = load_source(str(write_yaml(tmp_path / "s.yaml", service(DOCKER, entry("custom_one")))))
    assert src.identifier == "custom_one"


def test_service_with_several_sources_needs_source_flag(tmp_path: Path) -> None:
    doc = service(entry("a"), DOCKER, sidecars=(entry("side"),))
    assert error_of(tmp_path, doc) == "f.yaml: 2 custom sources; pick one with --source ID: a (primary), side (sidecar)"
    src = load_source(str(tmp_path / "f.yaml"), source_id="side")
    assert src.role == "sidecar"


def test_non_custom_source_is_not_runnable(tmp_path: Path) -> None:
    assert error_of(tmp_path, service(DOCKER), source_id="docker_img") == (
        "f.yaml: source 'docker_img' is of type DockerRegistry, which is not runnable locally; "
        "customsrc runs CustomArtifact sources"
    )
    assert error_of(tmp_path, service(DOCKER)) == (
        "f.yaml: no CustomArtifact source in this file; not runnable locally: docker_img (DockerRegistry)"
    )


def test_unknown_source_id(tmp_path: Path) -> None:
    assert error_of(tmp_path, service(entry("a")), source_id="b") == "f.yaml: no source 'b'; custom sources: a"


def test_template(tmp_path: Path) -> None:
    doc = template_doc(NATIVE["spec"])
    assert load_source(str(write_yaml(tmp_path / "t.yaml", doc))).identifier == "tpl"


def test_trail_to_a_misspelt_key(tmp_path: Path) -> None:
    doc = copy.deepcopy(NATIVE)
    doc["spec"]["scripts"]["fetchAllArtifacts"]["versionpath"] = "v"
    assert error_of(tmp_path, doc) == (
        "f.yaml: invalid artifact source ==> At key: spec ==> At key: scripts ==> At key: fetchAllArtifacts"
        " ==> Additional properties are not allowed ('versionpath' was unexpected)"
    )


def test_trail_into_a_service_list(tmp_path: Path) -> None:
    bad = entry("a")
    bad["spec"]["inputs"] = [{"name": "X", "type": "Strin", "value": "v"}]
    assert error_of(tmp_path, service(DOCKER, bad)) == (
        "f.yaml: invalid service YAML ==> At key: service ==> At key: serviceDefinition ==> At key: spec"
        " ==> At key: artifacts ==> At key: primary ==> At key: sources ==> At index 1 ==> At key: spec"
        " ==> At key: inputs ==> At index 0 ==> At key: type ==> 'Strin' is not one of ['String', 'Number', 'Secret']"
    )


def test_bad_identifier(tmp_path: Path) -> None:
    assert "At key: identifier ==> '1bad' does not match" in error_of(tmp_path, entry("1bad"))


def test_yaml_syntax_error_names_the_line(tmp_path: Path) -> None:
    assert error_of(tmp_path, "identifier: a\n  bad: [\n").startswith("f.yaml: not valid YAML at line")


def test_not_a_mapping(tmp_path: Path) -> None:
    assert error_of(tmp_path, "- a\n- b\n") == (
        "f.yaml: expected a mapping (an artifact source entry, a service: or a template:), got list"
    )


def test_missing_file() -> None:
    with pytest.raises(SourceError, match="no such file"):
        load_source("/nonexistent/x.yaml")


def test_script_without_paths_is_the_harness_error(tmp_path: Path) -> None:
    doc = source_doc("echo hi", array=None)
    path = write_yaml(tmp_path / "f.yaml", doc)
    with pytest.raises(SourceError) as info:
        load_source(str(path))
    assert info.value.harness_message == "Artifacts Array Path is missing"
    doc = source_doc("echo hi", version_path=None)
    with pytest.raises(SourceError) as info:
        load_source(str(write_yaml(path, doc)))
    assert info.value.harness_message == "Version Path is missing"


def test_script_file_and_shell_from_customsrc_block(tmp_path: Path) -> None:
    (tmp_path / "fetch.py").write_text("print(1)\n")
    doc = source_doc("", customsrc={"shell": "python", "scriptFile": "fetch.py"})
    src = load_source(str(write_yaml(tmp_path / "f.yaml", doc)))
    assert (src.shell, src.script) == ("python", "print(1)\n")


def test_stdin_text() -> None:
    import yaml

    assert load_source("-", text=yaml.safe_dump(NATIVE)).file is None


def test_unsupported_path_syntax_is_refused_before_running(tmp_path: Path) -> None:
    doc = source_doc("echo hi", attributes=[("u", "assets[?(@.x)].u")])
    assert error_of(tmp_path, doc) == (
        "f.yaml: attribute 'u': path 'assets[?(@.x)].u' uses JsonPath filters ([?(...)]), which customsrc "
        "does not evaluate; use $, .name, ['name'], [N] or [*]"
    )


def test_script_file_includes(tmp_path: Path) -> None:
    (tmp_path / "_lib.sh").write_text('greet() { echo "hi $1"; }\n')
    (tmp_path / "fetch.sh").write_text("set -e\n# customsrc:include _lib.sh\ngreet there\n")
    doc = source_doc("", customsrc={"scriptFile": "fetch.sh"})
    src = load_source(str(write_yaml(tmp_path / "f.yaml", doc)))
    assert src.script == 'set -e\ngreet() { echo "hi $1"; }\ngreet there\n'


def test_script_file_include_errors(tmp_path: Path) -> None:
    (tmp_path / "fetch.sh").write_text("# customsrc:include missing.sh\n")
    doc = source_doc("", customsrc={"scriptFile": "fetch.sh"})
    assert "include 'missing.sh': cannot read" in error_of(tmp_path, doc)
    (tmp_path / "loop.sh").write_text("# customsrc:include loop.sh\n")
    doc = source_doc("", customsrc={"scriptFile": "loop.sh"})
    assert "loop.sh includes itself" in error_of(tmp_path, doc)


def test_a_marked_python_import_is_inlined_once_and_runs_standalone_too(tmp_path: Path) -> None:
    """``from MODULE import NAMES  # customsrc:include`` is a real import (the script runs and lints
    on its own) that loading replaces with MODULE.py; a file included twice is inlined once."""
    import subprocess
    import sys

    (tmp_path / "_base.py").write_text("PREFIX = 'hi'\n")
    (tmp_path / "_lib.py").write_text(
        "from _base import PREFIX  # customsrc:include\n\n\ndef greet(name):\n    return f'{PREFIX} {name}'\n"
    )
    main = (
        "from _base import PREFIX  # customsrc:include\n"
        "from _lib import greet  # customsrc:include\n"
        "from os import sep  # an ordinary import stays\n"
        "print(greet('there'), PREFIX, sep)\n"
    )
    (tmp_path / "fetch.py").write_text(main)
    standalone = subprocess.run(
        [sys.executable, str(tmp_path / "fetch.py")], check=False, capture_output=True, text=True
    )
    assert standalone.stdout == "hi there hi /\n", standalone.stderr
    doc = source_doc("", customsrc={"scriptFile": "fetch.py", "shell": "python"})
    src = load_source(str(write_yaml(tmp_path / "f.yaml", doc)))
    assert "customsrc:include" not in src.script and src.script.count("PREFIX = 'hi'") == 1
    assert "from os import sep" in src.script
    inlined = tmp_path / "inlined.py"
    inlined.write_text(src.script)
    (tmp_path / "_base.py").unlink()  # the inlined script needs no module beside it
    (tmp_path / "_lib.py").unlink()
    alone = subprocess.run([sys.executable, str(inlined)], check=False, capture_output=True, text=True, cwd="/")
    assert alone.stdout == "hi there hi /\n", alone.stderr
