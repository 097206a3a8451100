"""The shape of the package: the module map is true, imports go one way, stages stay small."""

from __future__ import annotations

import ast
import inspect
import re
from pathlib import Path

import customsrc
from customsrc.options import FetchOptions

PACKAGE = Path(customsrc.__file__).resolve().parent
STAGES = ("load", "render", "run", "read", "validate", "map", "select", "output")
STAGE_LINES = 300  # "~250": a stage module that grows past this wants splitting


def modules() -> dict[str, Path]:
    found = {}
    for path in PACKAGE.rglob("*.py"):
        name = ".".join(("customsrc", *path.relative_to(PACKAGE).with_suffix("").parts))
        found[name.removesuffix(".__init__")] = path
    return found


def imports_of(name: str, path: Path, known: dict[str, Path]) -> set[str]:
    """Every customsrc module ``name`` imports anywhere: at the top, inside functions (the lazy
    imports that hide a cycle from a plain import), under TYPE_CHECKING."""
    package = name if path.name == "__init__.py" else name.rsplit(".", 1)[0]
    found: set[str] = set()
    for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
        if isinstance(node, ast.Import):
            found.update(a.name for a in node.names if a.name in known)
        elif isinstance(node, ast.ImportFrom):
            base = package
            for _ in range(node.level - 1):
                base = base.rsplit(".", 1)[0]
            target = (f"{base}.{node.module}" if node.module else base) if node.level else (node.module or "")
            for alias in node.names:
                module = f"{target}.{alias.name}"
                found.add(module if module in known else target)
    return {m for m in found if m in known and m != name}


def cycles(graph: dict[str, set[str]]) -> list[list[str]]:
    """Strongly connected components of more than one module (Tarjan)."""
    index: dict[str, int] = {}
    low: dict[str, int] = {}
    stack: list[str] = []
    on_stack: set[str] = set()
    found: list[list[str]] = []

    def visit(v: str) -> None:
        index[v] = low[v] = len(index)
        stack.append(v)
        on_stack.add(v)
        for w in sorted(graph[v]):
            if w not in index:
                visit(w)
                low[v] = min(low[v], low[w])
            elif w in on_stack:
                low[v] = min(low[v], index[w])
        if low[v] == index[v]:
            component = []
            while True:
                w = stack.pop()
                on_stack.discard(w)
                component.append(w)
                if w == v:
                    break
            if len(component) > 1:
                found.append(sorted(component))

    for v in sorted(graph):
        if v not in index:
            visit(v)
    return found


def test_no_import_cycles_not_even_hidden_ones() -> None:
    known = modules()
    graph = {name: imports_of(name, path, known) for name, path in known.items()}
    assert graph["customsrc.api"] >= {"customsrc.runner", "customsrc.select"}  # the walk sees imports at all
    assert "customsrc.explain" in graph["customsrc.api"]  # ... lazy ones inside functions included
    assert cycles(graph) == []


def test_the_checker_finds_a_cycle_through_a_lazy_import() -> None:
    """The control: a cycle closed only by an import inside a function is found."""
    graph = {"a": {"b"}, "b": {"c"}, "c": {"a"}, "d": {"a"}}
    assert cycles(graph) == [["a", "b", "c"]]


def stage_table() -> dict[str, str]:
    doc = customsrc.__doc__ or ""
    rows = re.findall(r"^(\w+)\s+(\w+)\s{2,}\S", doc, flags=re.MULTILINE)
    return {stage: module for stage, module in rows if stage in STAGES}


def test_the_module_map_names_every_stage_once_and_is_true() -> None:
    table = stage_table()
    assert list(table) == list(STAGES)
    known = modules()
    for stage, module in table.items():
        assert f"customsrc.{module}" in known, f"stage {stage}: no module {module}"
    bracketed = re.findall(r"\[([\w, \n]+)\]", customsrc.__doc__ or "")
    helpers = {m.strip() for group in bracketed for m in group.replace("\n", " ").split(",")}
    missing = sorted(m for m in helpers if f"customsrc.{m}" not in known)
    assert missing == []


def test_each_stage_is_one_small_module() -> None:
    sizes = {
        module: len((PACKAGE / f"{module}.py").read_text(encoding="utf-8").splitlines())
        for module in stage_table().values()
    }
    assert {m: n for m, n in sizes.items() if n > STAGE_LINES} == {}


def test_fetch_keywords_are_exactly_the_options_record() -> None:
    """fetch() spells its options out for callers and type checkers; FetchOptions is what travels.
    The two must never drift apart."""
    parameters = list(inspect.signature(customsrc.fetch).parameters)
    assert parameters[0] == "source"
    assert parameters[1:] == list(FetchOptions._fields)
    defaults = {n: p.default for n, p in inspect.signature(customsrc.fetch).parameters.items() if n != "source"}
    assert {n: (tuple(v) if isinstance(v, (list, tuple)) else v) for n, v in defaults.items()} == dict(
        zip(FetchOptions._fields, FetchOptions(), strict=True)
    )


def test_one_version_number() -> None:
    pyproject = (PACKAGE.parent / "pyproject.toml").read_text(encoding="utf-8")
    assert not re.search(r"^version\s*=", pyproject, flags=re.MULTILINE), "the version lives in customsrc/__init__.py"
    assert re.search(r'^dynamic = \["version"\]', pyproject, flags=re.MULTILINE)
