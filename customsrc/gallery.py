"""The gallery: ready-made, tested sources for repositories Harness does not support natively.

Each entry is ``templates/<name>.yaml``, a native source whose ``customsrc:`` block says what it is
for (``description``), how it is proven (``testedAgainst``) and which secrets it needs; its script
lives in ``scripts/`` (bash + curl, or python3 with the standard library only).
"""

from __future__ import annotations

import os

from .documents import read_document
from .errors import UsageError
from .resources import data_dir
from .spec import Source, load_source

TYPE_CHECKING = False
if TYPE_CHECKING:
    from typing import Any, NamedTuple
else:
    from .records import NamedTuple


class GallerySecret(NamedTuple):
    """A secret a template needs: its name, what it is, and the inputs it goes with."""

    name: str
    description: str
    input: str  # the Secret input whose value names it ('' when none)
    beside: tuple[str, ...]  # inputs it is given with (a user name)


class Entry(NamedTuple):
    """One gallery template: its source, what it was tested against, the secrets and inputs it takes."""

    name: str
    path: str
    source: Source
    description: str
    tested_against: str
    ordered_by: str
    examples: dict[str, str]
    secrets: tuple[GallerySecret, ...]
    inputs: tuple[dict[str, Any], ...]


def entries() -> list[Entry]:
    """Every gallery template, by name."""
    try:
        folder = data_dir("templates")
    except FileNotFoundError:
        return []
    found = []
    for file in sorted(os.listdir(folder)):
        if file.endswith(".yaml"):
            found.append(entry(file[: -len(".yaml")]))
    return found


def entry(name: str) -> Entry:
    """The gallery entry called ``name``, or a UsageError listing the ones there are."""
    path = os.path.join(data_dir("templates"), f"{name}.yaml")
    if not os.path.isfile(path):
        known = ", ".join(e.name for e in entries()) or "none"
        raise UsageError(f"no gallery template {name!r}; templates: {known}")
    document = read_document(path)
    settings = document.get("customsrc") or {}
    return Entry(
        name=name,
        path=path,
        source=load_source(path),
        description=str(settings.get("description", "")),
        tested_against=str(settings.get("testedAgainst", "")),
        ordered_by=str(settings.get("orderedBy", "")),
        examples={str(k): str(v) for k, v in (settings.get("examples") or {}).items()},
        secrets=tuple(
            GallerySecret(s["name"], s.get("description", ""), s.get("input", ""), tuple(s.get("with") or ()))
            for s in settings.get("secrets") or []
        ),
        inputs=tuple(document["spec"].get("inputs") or []),
    )


def stock_delegate(item: Entry) -> str:
    """'yes' where the entry runs on Harness's stock delegate image as is, else what it needs."""
    from . import delegate

    needs = delegate.missing(item.source.requires, item.source.shell)
    return "yes" if not needs else "needs " + ", ".join(needs)


def required_inputs(item: Entry) -> list[str]:
    """The inputs a run must be given (their value is ``<+input>``), Secret ones included."""
    return [v["name"] for v in item.inputs if v.get("value") is None or str(v.get("value")).startswith("<+input>")]


def example_command(item: Entry) -> str:
    """A command that runs the template as printed, with its example values and its secrets: each
    named in its Secret input (as in Harness) and read from standard input by ``--secret NAME``,
    never on argv. An input without an example value shows ``...``."""
    import shlex

    def given(name: str) -> str:
        return f"--input {name}={shlex.quote(item.examples[name]) if name in item.examples else '...'}"

    parts = [f"customsrc run {item.path}"]
    for variable in item.inputs:
        if variable.get("type") != "Secret" and variable["name"] in required_inputs(item):
            parts.append(given(variable["name"]))
    for secret in item.secrets:
        parts += [given(name) for name in secret.beside]
        if secret.input:
            parts.append(f"--input {secret.input}={secret.name}")
        parts.append(f"--secret {secret.name}")
    return " ".join(parts)
