"""Loading a source file: detect its shape, validate it, pick one custom source.

Accepted shapes (detected by their root key):

1. a native artifact source entry: ``identifier``, ``type: CustomArtifact``, ``spec`` (plus an
   optional ``customsrc:`` block of settings Harness has no field for);
2. a Harness service YAML (``service:``): its ``primary.sources[]`` and ``sidecars[]``;
3. a Harness Artifact Source Template (``template:`` with ``type: ArtifactSource``).
"""

from __future__ import annotations

import contextlib
import os
import sys
from collections.abc import Sequence

from .errors import SourceError
from .schemacheck import source_errors

TYPE_CHECKING = False
if TYPE_CHECKING:
    from typing import Any, NamedTuple
else:
    from .records import NamedTuple

SHELLS = {"Bash": "bash", "PowerShell": "bash"}  # the delegate runs PowerShell scripts with bash too


class InputVar(NamedTuple):
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
    identifier: str
    type: str
    role: str
    body: dict[str, Any]
    trail: tuple[str | int, ...]


def _yaml_loader() -> Any:
    """A safe YAML loader that keeps scalars as written (``1.10`` stays ``"1.10"``, ``yes`` stays
    ``"yes"``): inputs become environment text, and Harness passes them on as written."""
    import yaml

    base = getattr(yaml, "CSafeLoader", yaml.SafeLoader)

    class TextLoader(base):  # type: ignore[misc, valid-type]
        pass

    TextLoader.yaml_implicit_resolvers = {
        ch: [(tag, rx) for tag, rx in resolvers if tag == "tag:yaml.org,2002:null"]
        for ch, resolvers in base.yaml_implicit_resolvers.items()
    }
    return TextLoader


def read_text(path: str) -> str:
    """The source file's text (``-`` for stdin), or a one-line SourceError: a regular file (never
    a FIFO or a device) of at most files.SOURCE_LIMIT bytes, in UTF-8."""
    from .files import SOURCE_LIMIT, Unreadable, decode, read_bounded, read_stream

    label = "<stdin>" if path == "-" else path
    try:
        data = read_stream(sys.stdin.buffer, SOURCE_LIMIT) if path == "-" else read_bounded(path, SOURCE_LIMIT)
        return decode(data)
    except Unreadable as exc:
        hint = {"no such file": "; pass the YAML you would give Harness", "is a directory": "; pass one source file"}
        raise SourceError(f"{label}: {exc.reason}{hint.get(exc.reason, '')}") from None


def read_document(path: str, text: str | None = None) -> Any:
    """Parse YAML (or JSON) from ``path`` (``-`` for stdin) or from ``text``.

    The plain subset most source files are written in is read without importing PyYAML
    (see ``plainyaml``); anything else, and every syntax error, goes through PyYAML.
    """
    from . import plainyaml

    label = "<stdin>" if path == "-" else path
    if text is None:
        text = read_text(path)
    too_deep = f"{label}: nested more than {MAX_DEPTH} levels deep; no artifact source is"
    try:
        document = plainyaml.load(text)
    except RecursionError:
        raise SourceError(too_deep) from None
    if document is not plainyaml.UNSUPPORTED:
        return _bounded(document, label)
    import yaml

    try:
        loaded = yaml.load(text, Loader=_yaml_loader())  # noqa: S506 - a SafeLoader subclass
    except RecursionError:
        raise SourceError(too_deep) from None
    except yaml.YAMLError as exc:
        mark = getattr(exc, "problem_mark", None)
        where = f" at line {mark.line + 1}, column {mark.column + 1}" if mark else ""
        problem = getattr(exc, "problem", None) or str(exc).splitlines()[0]
        if "nesting depth" in problem:  # newer PyYAML stops deep documents itself
            raise SourceError(too_deep) from None
        raise SourceError(f"{label}: not valid YAML{where}: {problem}") from None
    return _bounded(loaded, label)


MAX_DEPTH = 100  # levels of nesting in a source document
MAX_VALUES = 1_000_000  # values in a source document once YAML aliases are expanded


def _bounded(document: Any, label: str) -> Any:
    """Refuse a document nested too deeply, one whose aliases expand past MAX_VALUES values (a
    'billion laughs'), or one that contains itself: everything after loading walks the document,
    as if every alias were written out. Iterative, memoised per shared list or mapping."""
    done: dict[int, tuple[int, int]] = {}  # id -> (height, expanded size)
    active: set[int] = set()
    stack: list[tuple[Any, list[Any] | None]] = [(document, None)]  # (node, its children once entered)
    while stack:
        value, children = stack.pop()
        key = id(value)
        if not isinstance(value, (dict, list)) or (children is None and key in done):
            continue  # a scalar document, or a shared node already measured
        if children is not None:  # every child measured: measure this node
            active.discard(key)
            height = 1 + max((done[id(c)][0] for c in children), default=0)
            size = 1 + len(value) + sum(done[id(c)][1] - 1 for c in children)
            if height > MAX_DEPTH:
                raise SourceError(f"{label}: nested more than {MAX_DEPTH} levels deep; no artifact source is")
            if size > MAX_VALUES:
                raise SourceError(
                    f"{label}: expands to more than {MAX_VALUES:,} values through YAML aliases; write it out plainly"
                )
            done[key] = (height, size)
            continue
        if key in active:
            raise SourceError(f"{label}: a YAML alias makes the document contain itself")
        active.add(key)
        inner = [c for c in (value.values() if isinstance(value, dict) else value) if isinstance(c, (dict, list))]
        stack.append((value, inner))
        stack.extend((c, None) for c in inner if id(c) not in done)
    return document


def detect_shape(document: Any) -> str:
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


def _readable_roots(file: str | None, allow_read: tuple[str, ...]) -> tuple[str, ...]:
    from .resources import data_dir

    folder = os.path.dirname(os.path.abspath(file)) if file else os.getcwd()
    roots = [folder, *allow_read]
    with contextlib.suppress(FileNotFoundError):
        roots.append(data_dir("scripts"))
    if os.path.basename(folder) == "templates":
        # The gallery's layout, installed or in a checkout: templates/NAME.yaml names ../scripts/NAME.py.
        roots.append(os.path.join(os.path.dirname(folder), "scripts"))
    return tuple(os.path.realpath(r) for r in roots)


def confined_path(name: str, folder: str, roots: tuple[str, ...], what: str, where: str) -> str:
    """``name`` (relative to ``folder``) resolved, all links followed, when it lies inside one of
    ``roots``; else a SourceError naming ``--allow-read``."""
    target = os.path.realpath(os.path.join(folder, name))
    if not any(target == root or target.startswith(root.rstrip("/") + "/") for root in roots):
        raise SourceError(
            f"{where}: {what} {name!r} lies outside the source's folder; files a source names must be "
            "inside it (or the gallery's scripts/): allow another folder with --allow-read DIR"
        )
    return target


def _read_confined(path: str, what: str, name: str, where: str, roots: tuple[str, ...] = ()) -> str:
    try:
        fd = os.open(path, os.O_RDONLY | os.O_NOFOLLOW | os.O_CLOEXEC | os.O_NONBLOCK)
    except OSError as exc:
        raise SourceError(f"{where}: {what} {name!r}: cannot read: {exc.strerror}") from None
    # A folder on the way may have been swapped for a link since the check: ask what was opened.
    opened = os.path.realpath(f"/proc/self/fd/{fd}") if os.path.isdir("/proc/self/fd") else path
    if roots and not any(opened == r or opened.startswith(r.rstrip("/") + "/") for r in roots):
        os.close(fd)
        raise SourceError(f"{where}: {what} {name!r} lies outside the source's folder (it changed while read)")
    from .files import SOURCE_LIMIT, Unreadable, decode, read_fd

    try:
        return decode(read_fd(fd, SOURCE_LIMIT))
    except Unreadable as exc:
        raise SourceError(f"{where}: {what} {name!r}: {exc.reason}") from None
    finally:
        os.close(fd)


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
        roots = _readable_roots(file, allow_read)
        name = str(settings["scriptFile"])
        script_path = confined_path(name, base, roots, "customsrc.scriptFile", where)
        text = _read_confined(script_path, "customsrc.scriptFile", name, where, roots)
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
    payload_schema = _payload_schema(settings.get("payloadSchema"), file, where, _readable_roots(file, allow_read))
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
        payload_schema=payload_schema,
        template_variables=template_vars,
        delegate_selectors=tuple(selectors) if isinstance(selectors, list) else (selectors,),
        requires=tuple(settings.get("requires") or ()),
        raw=entry.body,
    )


def _payload_schema(value: Any, file: str | None, where: str, roots: tuple[str, ...]) -> dict[str, Any] | None:
    if value is None:
        return None
    if isinstance(value, dict):
        return _checked_schema(value, "(inline)", where)
    import json

    base = os.path.dirname(file) if file else os.getcwd()
    path = confined_path(str(value), base, roots, "customsrc.payloadSchema", where)
    try:
        schema = json.loads(_read_confined(path, "customsrc.payloadSchema", str(value), where, roots))
    except ValueError as exc:
        raise SourceError(f"{where}: customsrc.payloadSchema {value!r}: not JSON: {exc}") from None
    return _checked_schema(schema, repr(value), where)


def _checked_schema(schema: Any, name: str, where: str) -> dict[str, Any]:
    """A payload schema that is one (never quoted back: it may be large)."""
    if not isinstance(schema, dict):
        raise SourceError(f"{where}: customsrc.payloadSchema {name}: a JSON Schema must be an object")
    from jsonschema import Draft202012Validator, SchemaError, validators

    try:
        validators.validator_for(schema, default=Draft202012Validator).check_schema(schema)
    except SchemaError as exc:
        at = "/".join(str(p) for p in exc.path) or "the top"
        raise SourceError(
            f"{where}: customsrc.payloadSchema {name}: not a valid JSON Schema (at {at}, "
            f"{exc.validator} must be {exc.validator_value!r:.60})"
        ) from None
    return schema


INCLUDE = "# customsrc:include "


def expand_includes(
    text: str, folder: str, where: str, seen: tuple[str, ...] = (), *, roots: tuple[str, ...] | None = None
) -> str:
    """Replace each ``# customsrc:include FILE`` line of a script file with FILE (relative to the
    script, inside the same folders a scriptFile may be in), so one copy of shared code serves
    every gallery script while each script still reaches Harness whole."""
    if roots is None:
        roots = (os.path.realpath(folder),)
    if INCLUDE not in text:
        return text
    lines = []
    for line in text.splitlines(keepends=True):
        if not line.startswith(INCLUDE):
            lines.append(line)
            continue
        name = line[len(INCLUDE) :].strip()
        path = confined_path(name, folder, roots, "include", where)
        if path in seen:
            raise SourceError(f"{where}: {name} includes itself")
        included = _read_confined(path, "include", name, where, roots)
        included = expand_includes(included, os.path.dirname(path), where, (*seen, path), roots=roots)
        lines.append(included if included.endswith("\n") else included + "\n")
    return "".join(lines)


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
