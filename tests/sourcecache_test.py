"""The parsed-source cache: used only for the identical text, never for an invalid file."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from customsrc import sourcecache, spec
from customsrc.errors import SourceError
from customsrc.spec import load_source

from .helpers import CLI, payload_script, source_doc, write_yaml


def no_yaml(*_: object, **__: object) -> object:
    raise AssertionError("parsed the YAML again")


def test_second_load_of_the_same_text_skips_parsing(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    path = write_yaml(tmp_path / "s.yaml", source_doc("echo hi", version="1.0"))
    first = load_source(str(path), cache_dir=str(tmp_path / "c"))
    monkeypatch.setattr(spec, "read_document", no_yaml)
    second = load_source(str(path), cache_dir=str(tmp_path / "c"))
    assert second == first


def test_an_edit_is_parsed_again(tmp_path: Path) -> None:
    cache = str(tmp_path / "c")
    path = write_yaml(tmp_path / "s.yaml", source_doc("echo hi", version="1.0"))
    load_source(str(path), cache_dir=cache)
    write_yaml(path, source_doc("echo hi", version="2.0"))
    assert load_source(str(path), cache_dir=cache).version == "2.0"


def test_invalid_files_are_never_cached(tmp_path: Path) -> None:
    cache = tmp_path / "c"
    (tmp_path / "bad.yaml").write_text("identifier: x\ntype: CustomArtifact\n")
    for _ in range(2):
        with pytest.raises(SourceError, match="invalid artifact source"):
            load_source(str(tmp_path / "bad.yaml"), cache_dir=str(cache))
    assert not (cache / "sources").exists() or list((cache / "sources").iterdir()) == []


def test_an_entry_for_other_text_is_not_served(tmp_path: Path) -> None:
    cache = str(tmp_path / "c")
    path = write_yaml(tmp_path / "s.yaml", source_doc("echo hi", version="1.0"))
    text = path.read_text()
    load_source(str(path), cache_dir=cache)
    entry = Path(sourcecache._entry_path(cache, text))
    data = json.loads(entry.read_text())
    data["text"] = text + "# changed\n"  # as if another text had collided on the name
    data["document"]["spec"]["version"] = "poisoned"
    entry.write_text(json.dumps(data))
    assert load_source(str(path), cache_dir=cache).version == "1.0"


def test_a_corrupt_entry_is_ignored(tmp_path: Path) -> None:
    cache = str(tmp_path / "c")
    path = write_yaml(tmp_path / "s.yaml", source_doc("echo hi", version="1.0"))
    load_source(str(path), cache_dir=cache)
    Path(sourcecache._entry_path(cache, path.read_text())).write_text("{not json")
    assert load_source(str(path), cache_dir=cache).version == "1.0"


def test_default_dir_honours_the_environment() -> None:
    assert sourcecache.default_dir({"CUSTOMSRC_NO_CACHE": "1", "CUSTOMSRC_CACHE_DIR": "/x"}) is None
    assert sourcecache.default_dir({"CUSTOMSRC_CACHE_DIR": "/x"}) == "/x"
    assert sourcecache.default_dir({"XDG_CACHE_HOME": "/c"}) == "/c/customsrc"


def test_cli_gives_the_same_answer_cold_and_warm(cli: CLI) -> None:
    path = cli.source(payload_script({"items": [{"version": "1"}]}), version="1")
    cold = cli.json("run", str(path))
    assert (cli.tmp_path / "cache" / "sources").is_dir()
    warm = cli.json("run", str(path))
    strip = lambda doc: {k: v for k, v in doc.items() if k != "run"}  # noqa: E731
    assert (cold[0], strip(cold[1])) == (warm[0], strip(warm[1])) == (0, strip(cold[1]))
