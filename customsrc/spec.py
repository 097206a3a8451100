"""Loading a source (the first stage): detect the document's shape, validate it, pick one custom
source. Reading the YAML is ``documents``; files a source names (``scriptFile``, includes,
``payloadSchema``), ``sourcefiles``.

Accepted shapes (detected by their root key):

1. a native artifact source entry: ``identifier``, ``type: CustomArtifact``, ``spec`` (plus an
   optional ``customsrc:`` block of settings Harness has no field for);
2. a Harness service YAML (``service:``): its ``primary.sources[]`` and ``sidecars[]``;
3. a Harness Artifact Source Template (``template:`` with ``type: ArtifactSource``).
"""

from __future__ import annotations

import os
from collections.abc import Sequence

from .documents import read_document, read_text
from .errors import SourceError
from .schemacheck import source_errors
from .sourcefiles import confined_path, expand_includes, payload_schema, read_confined, readable_roots

TYPE_CHECKING = False
if TYPE_CHECKING:
    from typing import Any, NamedTuple
else:
    from .records import NamedTuple

SHELLS = {"Bash": "bash", "PowerShell": "bash"}  # the delegate runs PowerShell scripts with bash too


class InputVar(NamedTuple):
    """A declared input: ``String`` or ``Secret`` (whose value names a secret), its value as written."""

    name: str
    type: str
    value: str | None
    description: str = ""


class Source(NamedTuple):
    """One custom artifact source, ready to run."""

    identifier: str
    file: str | None
    role: str  # "primary" or "sidecar"
    version: str
    version_regex: str
    timeout: str | None
    inputs: tuple[InputVar, ...]
    script: str
    shell: str  # bash, sh or python
    declared_shell: str  # as written in the YAML (Bash / PowerShell) or the customsrc block
    artifacts_array_path: str | None
    version_path: str | None
    attributes: tuple[tuple[str, str], ...]
    payload_schema: dict[str, Any] | None = None
    template_variables: dict[str, str] = {}  # noqa: RUF012 - NamedTuple default, never mutated
    delegate_selectors: tuple[str, ...] = ()
    requires: tuple[str, ...] = ()  # commands beyond the stock delegate image (customsrc.requires)
    raw: dict[str, Any] = {}  # noqa: RUF012 - NamedTuple default, never mutated

    @property
    def has_script(self) -> bool:
        return bool(self.script.strip())


class Entry(NamedTuple):
    """A source found in a document, before it is built: where it sits (``trail``) and its body."""

    identifier: str
    type: str
    role: str
    body: dict[str, Any]
    trail: tuple[str | int, ...]


def detect_shape(document: Any) -> str:
    """``native``, ``service`` or ``template``: what kind of document this is, by its root key."""
    if isinstance(document, dict):
        if "service" in document:
            return "service"
        if "template" in document:
            return "template"
    return "native"


def _entries(document: dict[str, Any], shape: str) -> list[Entry]:
    if shape == "native":
        return [Entry(document["identifier"], document["type"], "primary", document, ())]
    if shape == "template":
        tpl = document["template"]
        body = {"identifier": tpl["identifier"], "type": tpl["spec"]["type"], "spec": tpl["spec"]["spec"]}
        return [Entry(tpl["identifier"], tpl["spec"]["type"], "primary", body, ("template", "spec"))]
    base: tuple[str | int, ...] = ("service", "serviceDefinition", "spec", "artifacts")
    artifacts = document["service"]["serviceDefinition"]["spec"].get("artifacts") or {}
    found: list[Entry] = []
    primary = artifacts.get("primary") or {}
    for i, src in enumerate(primary.get("sources") or []):
        found.append(Entry(src["identifier"], src["type"], "primary", src, (*base, "primary", "sources", i)))
    for i, wrapper in enumerate(artifacts.get("sidecars") or []):
        side = wrapper["sidecar"]
        found.append(Entry(side["identifier"], side["type"], "sidecar", side, (*base, "sidecars", i, "sidecar")))
    return found


def load_source(
    path: str, *, source_id: str | None = None, text: str | None = None, allow_read: Sequence[str] = ()
) -> Source:
    """Load, validate and return the one custom source in ``path`` (or ``source_id``).

    Files the source names (``scriptFile``, includes, ``payloadSchema``) must lie in the source
    file's folder (the working directory for ``-``), the gallery's ``scripts/`` or an
    ``allow_read`` folder: never reached through ``..``, an absolute path or a symlink out of them."""
    label = "<stdin>" if path == "-" else path
    if text is None:
        text = read_text(path)
    document = read_document(path, text)
    if not isinstance(document, dict):
        raise SourceError(
            f"{label}: expected a mapping (an artifact source entry, a service: or a template:), "
            f"got {type(document).__name__ if document is not None else 'an empty file'}"
        )
    shape = detect_shape(document)
    problem = source_errors(document, shape)
    if problem:
        raise SourceError(f"{label}: invalid {_SHAPE_NAMES[shape]}{problem}")
    entries = _entries(document, shape)
    entry = _pick(entries, source_id, label)
    return _build(entry, document, shape, None if path == "-" else path, tuple(allow_read))


_SHAPE_NAMES = {
    "native": "artifact source",
    "service": "service YAML",
    "template": "artifact source template",
}


def _pick(entries: list[Entry], source_id: str | None, label: str) -> Entry:
    custom = [e for e in entries if e.type == "CustomArtifact"]
    others = [e for e in entries if e.type != "CustomArtifact"]
    not_runnable = (
        "; not runnable locally: " + ", ".join(f"{e.identifier} ({e.type})" for e in others) if others else ""
    )
    if source_id is not None:
        for e in entries:
            if e.identifier == source_id:
                if e.type != "CustomArtifact":
                    raise SourceError(
                        f"{label}: source {source_id!r} is of type {e.type}, which is not runnable locally; "
                        "customsrc runs CustomArtifact sources"
                    )
                return e
        listed = ", ".join(e.identifier for e in custom) or "none"
        raise SourceError(f"{label}: no source {source_id!r}; custom sources: {listed}{not_runnable}")
    if len(custom) == 1:
        return custom[0]
    if not custom:
        raise SourceError(f"{label}: no CustomArtifact source in this file{not_runnable}")
    listed = ", ".join(f"{e.identifier} ({e.role})" for e in custom)
    raise SourceError(f"{label}: {len(custom)} custom sources; pick one with --source ID: {listed}")


def _text(value: Any) -> str | None:
    if value is None:
        return None
    return value if isinstance(value, str) else str(value)


def _build(
    entry: Entry, document: dict[str, Any], shape: str, file: str | None, allow_read: tuple[str, ...] = ()
) -> Source:
    spec = entry.body["spec"]
    settings: dict[str, Any] = document.get("customsrc") or {} if shape == "native" else {}
    where = f"{file or '<stdin>'}"
    fetch = (spec.get("scripts") or {}).get("fetchAllArtifacts") or {}
    script_spec = fetch.get("spec") or {}
    script = ((script_spec.get("source") or {}).get("spec") or {}).get("script") or ""
    if settings.get("scriptFile"):
        if script.strip():
            raise SourceError(f"{where}: both an inline script and customsrc.scriptFile; keep one")
        base = os.path.dirname(file) if file else os.getcwd()
        roots = readable_roots(file, allow_read)
        name = str(settings["scriptFile"])
        script_path = confined_path(name, base, roots, "customsrc.scriptFile", where)
        text = read_confined(script_path, "customsrc.scriptFile", name, where, roots)
        script = expand_includes(text, os.path.dirname(script_path), where, roots=roots)
    declared = script_spec.get("shell", "Bash")
    shell = settings.get("shell") or SHELLS.get(declared, "bash")
    if script.strip():
        if not (fetch.get("artifactsArrayPath") or "").strip():
            raise SourceError(
                f"{where}: source {entry.identifier!r} has a script but no artifactsArrayPath "
                "(set it to the JSON path of the artifacts array, e.g. $.items, or $ for a top-level array)",
                harness_message="Artifacts Array Path is missing",
            )
        if not (fetch.get("versionPath") or "").strip():
            raise SourceError(
                f"{where}: source {entry.identifier!r} has a script but no versionPath "
                "(the path of the version inside one item, e.g. version)",
                harness_message="Version Path is missing",
            )
    attributes: list[tuple[str, str]] = []
    seen: set[str] = set()
    for attr in fetch.get("attributes") or []:
        if attr["name"] in seen:
            raise SourceError(f"{where}: attribute {attr['name']!r} is mapped twice; keep one")
        seen.add(attr["name"])
        attributes.append((attr["name"], attr["value"]))
    inputs = tuple(
        InputVar(v["name"], v["type"], _text(v.get("value")), v.get("description", "") or "")
        for v in spec.get("inputs") or []
    )
    names = [i.name for i in inputs]
    dupes = sorted({n for n in names if names.count(n) > 1})
    if dupes:
        raise SourceError(f"{where}: input {dupes[0]!r} is declared twice")
    template_vars: dict[str, str] = {}
    if shape == "template":
        for var in document["template"].get("variables") or []:
            value = _text(var.get("value"))
            if value is not None:
                template_vars[var["name"]] = value
    _check_paths(fetch, where)
    schema = payload_schema(settings.get("payloadSchema"), file, where, readable_roots(file, allow_read))
    selectors = spec.get("delegateSelectors") or []
    return Source(
        identifier=entry.identifier,
        file=file,
        role=entry.role,
        version=_text(spec.get("version")) or "",
        version_regex=_text(spec.get("versionRegex")) or "",
        timeout=(_text(spec.get("timeout")) or "").strip() or None,
        inputs=inputs,
        script=script,
        shell=shell,
        declared_shell=settings.get("shell") or declared,
        artifacts_array_path=fetch.get("artifactsArrayPath"),
        version_path=fetch.get("versionPath"),
        attributes=tuple(attributes),
        payload_schema=schema,
        template_variables=template_vars,
        delegate_selectors=tuple(selectors) if isinstance(selectors, list) else (selectors,),
        requires=tuple(settings.get("requires") or ()),
        raw=entry.body,
    )


def _check_paths(fetch: dict[str, Any], where: str) -> None:
    """Refuse JsonPath syntax customsrc cannot evaluate before anything runs."""
    from .jsonpath import PathSyntaxError, compile_absolute, compile_relative

    checks = [("artifactsArrayPath", fetch.get("artifactsArrayPath"), compile_absolute)]
    checks.append(("versionPath", fetch.get("versionPath"), compile_relative))
    checks += [(f"attribute {a['name']!r}", a["value"], compile_relative) for a in fetch.get("attributes") or []]
    for what, path, compile_path in checks:
        if path and path.strip():
            try:
                compile_path(path)
            except PathSyntaxError as exc:
                raise SourceError(f"{where}: {what}: {exc}") from None
