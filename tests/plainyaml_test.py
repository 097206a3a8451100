"""The fast subset reader must agree with PyYAML on everything it accepts, and accept the common files."""

from __future__ import annotations

import random
import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest
import yaml

from customsrc import plainyaml
from customsrc.documents import _yaml_loader

ROOT = Path(__file__).resolve().parent.parent

HANDWRITTEN = [
    "a: >-\n  one\n  two\n\n  three\nb: 1\n",  # folded blocks, as the gallery's long descriptions are
    "a: >\n  one\n  two\n\n\n  three\n\nb: 1\n",
    "a: >\n  x\n    more indented\n",  # folding rules beyond the plain case: left to PyYAML
    "",
    "# only a comment\n",
    "a: 1\n",
    "a: 1",
    "a:\n  b: c\n  d: ~\n  e: null\n  f:\n",
    "a:\n- x\n- y\nb: z\n",
    "a:\n  - x\n  -\n  - 'y'\n",
    "- a: 1\n  b: 2\n- c\n- d: [1]\n",
    "- a:\n  - x\n- b:\n",
    "- a:\n- x\n",
    "a: 'it''s'  # comment\nb: \"q\" # c\nc: v # c\nd: v#not\n",
    'a: "x\\ny"\n',
    "a: |\n  line 1\n\n  line 3\n\n\nb: 2\n",
    "a: |-\n  line 1\n   indented\nb: 2\n",
    "a: |+\n  keep\n\nb: 1\n",
    "a: |\n  no newline at end",
    "a: |\n  x\n b: 1\n",
    "a: >\n  folded\n",
    "a: |2\n   x\n",
    "a: b\n  c\n",
    "a: b: c\n",
    "a: &x 1\nb: *x\n",
    "a: !!int 3\n",
    "a: {b: 1}\n",
    "a: [1, 2]\n",
    "a: $.items[0]['k']\n",
    'a: <+input>\nb: <+secrets.getValue("x")>\n',
    "a: 1\na: 2\n",
    "null: 1\n",
    "---\na: 1\n",
    "a: 1\n---\nb: 2\n",
    "a: yes\nb: 1.10\nc: 0x1f\nd: 2024-01-01\ne: .inf\nf: '1'\n",
    "  a: 1\n  b:\n    c: 2\n",
    "a:\n    b: 1\n  c: 2\n",
    "a:\n  # comment\n  b: 1\n# outdented comment\nc: 2\n",
    "a: |\n    deep\n  shallow\n",
    "a: |\n  x\n# comment inside?\n  y\n",
    "a: x  \nb:   \n",
    "a:\tb\n",
    "a: -1\nb: - x\n",
    "- - a\n",
    "key with space: 1\n",
    "a:b\n",
    "a : b\n",
    "a: ''\nb: \"\"\n",
    'a: "unterminated\nb: 1\n',
    "a: 'x' y\n",
    "a: |\n      \n  x\n",
    "a: |\n  x\n      \n  y\n",
    "a: caf\u00e9\n",
    "a: {name: x, value: y}\nb: [1, two, ~]\nc: {}\nd: []\n",
    "a: {name: x,}\n",
    "a: {name: x: y}\n",
    "a: {name:x}\n",
    "a: [a b, c  ]  # c\n",
    "a: [a]b\n",
    "a: {x: [1]}\n",
    "a: [x, 'y']\n",
    "- {a: 1}\n- [b]\n",
    "a: [\n  x]\n",
    "- {name: sha, type: String, value: \"assets[0].checksum['sha1']\"}\n- {name: u, value: 'it''s, [x]'}\n",
    "a: {k: \"x\" , j: ''}\nb: [\"a, b\", 'c']  # c\n",
    'a: {k: "x"y}\n',
    'a: {k: "x\\\\y"}\n',
    'a: {k: "x}\n',
    'a: {"k": x}\n',
    "a: {k: x, k: y}\n",
    "a: {k: }\n",
    "a: [x, ]\n",
]


def project_files() -> list[Path]:
    found = []
    for folder in (ROOT / "templates", ROOT / "tests", ROOT / "customsrc", ROOT.parent / "shared"):
        if folder.is_dir():
            found += [p for p in sorted(folder.rglob("*.y*ml")) if "node_modules" not in p.parts]
    return found


def corpus() -> list[str]:
    return HANDWRITTEN + [path.read_text(encoding="utf-8") for path in project_files()]


def reference(text: str) -> tuple[str, Any]:
    try:
        return "ok", yaml.load(text, Loader=_yaml_loader())
    except yaml.YAMLError:
        return "error", None


def check(text: str) -> bool:
    """True when the subset reader took ``text``; fails the test if it disagrees with PyYAML."""
    ours = plainyaml.load(text)
    if ours is plainyaml.UNSUPPORTED:
        return False
    kind, theirs = reference(text)
    assert kind == "ok", f"subset reader accepted what PyYAML refuses: {text!r}"
    assert ours == theirs and repr(ours) == repr(theirs), f"{text!r}: {ours!r} != {theirs!r}"
    return True


@pytest.mark.parametrize("text", HANDWRITTEN, ids=range(len(HANDWRITTEN)))
def test_handwritten_cases_agree_with_pyyaml(text: str) -> None:
    check(text)


def test_the_common_shapes_are_read_without_pyyaml() -> None:
    accepted = [t for t in HANDWRITTEN if plainyaml.load(t) is not plainyaml.UNSUPPORTED]
    assert "a: 'it''s'  # comment\nb: \"q\" # c\nc: v # c\nd: v#not\n" in accepted
    assert "a: |\n  line 1\n\n  line 3\n\n\nb: 2\n" in accepted
    assert "- a: 1\n  b: 2\n- c\n- d: [1]\n" in accepted
    assert "a: &x 1\nb: *x\n" not in accepted  # anchors: left to PyYAML
    assert HANDWRITTEN[-9] in accepted  # flow mappings with quoted paths, as the gallery writes them
    templates = sorted((ROOT / "templates").glob("*.yaml"))
    assert templates
    for path in templates:
        assert check(path.read_text(encoding="utf-8")), f"{path.name} falls back to PyYAML"


def test_every_yaml_file_in_the_project_is_read_as_pyyaml_reads_it() -> None:
    files = project_files()
    assert len(files) >= 12
    for path in files:
        assert check(path.read_text(encoding="utf-8")), f"{path} falls back to PyYAML"


def mutate(rng: random.Random, text: str) -> str:
    lines = text.split("\n")
    choice = rng.randrange(5)
    if choice == 0 and text:
        at = rng.randrange(len(text))
        return text[:at] + rng.choice(" \n-:#|'\"ab{}[]&*!>~0") + text[at:]
    if choice == 1 and text:
        at = rng.randrange(len(text))
        return text[:at] + text[at + 1 :]
    if choice == 2:
        at = rng.randrange(len(lines))
        lines[at] = " " * rng.choice((1, 2, 4)) + lines[at]
        return "\n".join(lines)
    if choice == 3:
        at = rng.randrange(len(lines))
        lines[at] = lines[at][rng.choice((1, 2)) :] if lines[at].startswith("  ") else lines[at]
        return "\n".join(lines)
    at = rng.randrange(len(lines))
    lines.insert(at, lines[rng.randrange(len(lines))])
    return "\n".join(lines)


def test_mutated_files_agree_with_pyyaml() -> None:
    rng = random.Random(20261126)
    seeds = [t for t in corpus() if len(t) < 4000]
    taken = 0
    for _ in range(6000):
        text = rng.choice(seeds)
        for _ in range(rng.randint(1, 3)):
            text = mutate(rng, text)
        taken += check(text)
    assert taken > 1000  # the mutants exercise the subset reader, not only the fallback


def test_a_plain_source_is_loaded_without_importing_pyyaml(tmp_path: Path) -> None:
    source = tmp_path / "s.yaml"
    source.write_text(
        "identifier: s\ntype: CustomArtifact\nspec:\n  version: '1'\n  scripts:\n    fetchAllArtifacts:\n"
        "      artifactsArrayPath: $\n      versionPath: v\n      spec:\n        shell: Bash\n"
        "        source:\n          type: Inline\n          spec:\n            script: |\n"
        '              echo \'[{"v": "1"}]\' > "$HARNESS_ARTIFACT_RESULT_PATH"\n'
    )
    probe = (
        "import sys\nfrom customsrc.spec import load_source\n"
        f"s = load_source({str(source)!r})\nprint(s.identifier, 'yaml' in sys.modules)\n"
    )
    out = subprocess.run([sys.executable, "-c", probe], capture_output=True, text=True, check=True).stdout
    assert out.split() == ["s", "False"]
