"""Rendering a fetch for people and for later pipeline steps: table, json, yaml, env.

Every format is built from one document (``document()``), which is what ``--format json``
prints and ``schemas/run-output.schema.json`` describes. It is built from a fetch's result and
error, whose secrets the fetch masked already.
"""

from __future__ import annotations

import json
import os
import re

from .errors import CustomsrcError
from .payload import GCPaused
from .result import FetchResult

TYPE_CHECKING = False
if TYPE_CHECKING:
    from collections.abc import Iterator
    from typing import Any, TextIO

FORMATS = ("table", "json", "yaml", "env")
# orjson costs ~15 ms to import; for a short document json is done sooner.
FAST_DUMP_MIN_ARTIFACTS = 1000


def _artifact(a: Any) -> dict[str, Any]:
    return {"version": a.version, "metadata": a.metadata}  # shared with the result: read, never changed


def document(
    result: FetchResult | None,
    *,
    file: str | None,
    error: CustomsrcError | None = None,
) -> dict[str, Any]:
    """The run-output document (schemas/run-output.schema.json). ``result`` and ``error`` come from
    a fetch, which masked every secret in them already."""
    doc: dict[str, Any]
    if result is None:
        doc = {
            "source": {"identifier": None, "file": file, "role": None},
            "artifacts": [],
            "selected": None,
            "criterion": None,
            "expressions": {},
            "warnings": [],
            "run": {"exit_code": None, "duration_ms": 0.0, "timed_out": False, "ran": False},
        }
    else:
        run = result.run
        with GCPaused():  # 100,000 fresh dicts: the collector would rescan them (doubling the time)
            artifacts = [_artifact(a) for a in result.artifacts]
        doc = {
            "source": {"identifier": result.source.identifier, "file": file, "role": result.source.role},
            "artifacts": artifacts,
            "selected": _artifact(result.selected) if result.selected else None,
            "criterion": result.criterion.describe() if result.criterion else None,
            "expressions": dict(result.expressions),
            "warnings": list(result.warnings),
            "run": {
                "exit_code": run.exit_code,
                "duration_ms": run.duration_ms,
                "timed_out": run.timed_out,
                "ran": run.ran,
            },
        }
    if result is not None and result.explain is not None:
        doc["explain"] = {"timings_ms": {k: round(v, 2) for k, v in result.timings.items()}, **result.explain}
    if error is not None:
        doc["error"] = {
            "kind": error.kind,
            "message": error.said,
            "harness_message": error.harness_message,
            "exit_code": error.exit_code,
        }
    return doc


def write(doc: dict[str, Any], fmt: str, out: TextIO, *, limit: int = 50) -> None:
    """``doc`` in format ``fmt`` (table, json, yaml, env) to ``out``; a table shows ``limit`` rows (0: all)."""
    if fmt == "json":
        buffer = getattr(out, "buffer", None)
        if buffer is not None:  # bytes straight to the stream: no str copy of a large document
            out.flush()
            for chunk in json_chunks(doc):
                buffer.write(chunk)
            buffer.write(b"\n")
            buffer.flush()
        else:
            out.write(dumps_json(doc))
            out.write("\n")
    elif fmt == "yaml":
        import yaml

        options: dict[str, Any] = {"sort_keys": False, "allow_unicode": True, "width": 1_000_000}
        try:
            text = yaml.dump(doc, Dumper=getattr(yaml, "CSafeDumper", yaml.SafeDumper), **options)
        except UnicodeEncodeError:  # libyaml cannot emit a lone surrogate; the Python emitter escapes it
            text = yaml.dump(doc, Dumper=yaml.SafeDumper, **options)
        out.write(text)
    elif fmt == "env":
        _write_env(doc, out)
    else:
        import io

        table = io.StringIO()
        _write_table(doc, table, limit)
        out.write(visible(table.getvalue()))


def write_explain(explain: dict[str, Any], out: TextIO) -> None:
    """The explain section alone (after a failure, in the formats that print no document then)."""
    import io

    text = io.StringIO()
    _write_explain(explain, text)
    out.write(visible(text.getvalue()))
    out.flush()


def _visible_table() -> dict[int, str]:
    """Control characters (but newline and tab), DEL, C1 controls and bidirectional overrides as
    escapes: a version or a script's output never drives the terminal (colours, cursor moves,
    titles, text shown reversed)."""
    codes = [*range(0x20), 0x7F, *range(0x80, 0xA0), *range(0x202A, 0x202F), *range(0x2066, 0x206A)]
    return {c: (f"\\x{c:02x}" if c < 0x100 else f"\\u{c:04x}") for c in codes if c not in (0x0A, 0x09)}


_VISIBLE: dict[int, str] = {}


def visible(text: str) -> str:
    """``text`` with control characters as escapes, so that no value can drive the terminal."""
    if not _VISIBLE:
        _VISIBLE.update(_visible_table())
    return text.translate(_VISIBLE)


def dumps_json_bytes(doc: dict[str, Any]) -> bytes:
    """One-line UTF-8 JSON. orjson for a large document (encoding 100,000 artifacts took 70 ms against
    530-850 ms for the standard library here); the document holds only str, int, float, bool,
    None, lists and dicts, which both encode identically. ``json.dumps`` rather than ``json.dump``:
    dumping to a stream runs the pure-Python encoder."""
    return _encode(doc, fast=len(doc["artifacts"]) >= FAST_DUMP_MIN_ARTIFACTS)


CHUNK_ARTIFACTS = 5000


def json_chunks(doc: dict[str, Any]) -> Iterator[bytes]:
    """The document as ``dumps_json_bytes`` gives it, in pieces of at most CHUNK_ARTIFACTS
    artifacts: a large list is never held as one encoded copy beside the document (100,000
    artifacts are ~30 MB of JSON). A piece orjson cannot encode (a lone surrogate) is encoded
    by the json module, escaped, as ``dumps_json_bytes`` does for the whole."""
    artifacts = doc["artifacts"]
    if len(artifacts) < FAST_DUMP_MIN_ARTIFACTS:
        yield dumps_json_bytes(doc)
        return
    outline = _encode({**doc, "artifacts": []})
    marker = b'"artifacts":[]' if b'"artifacts":[]' in outline else b'"artifacts": []'
    head, tail = outline.split(marker, 1)  # the first key after "source": no string holds it unescaped
    yield head + marker[:-1]
    for start in range(0, len(artifacts), CHUNK_ARTIFACTS):
        encoded = _encode(artifacts[start : start + CHUNK_ARTIFACTS])
        yield (b"," if start else b"") + encoded[1:-1]
    yield b"]" + tail


def _encode(value: Any, fast: bool = True) -> bytes:
    if fast:
        try:
            import orjson

            return orjson.dumps(value)
        except (ImportError, TypeError):  # no orjson, or a lone surrogate (legal in JSON as \ud800) it refuses
            pass
    text = json.dumps(value, ensure_ascii=False)
    try:
        return text.encode("utf-8")
    except UnicodeEncodeError:  # the json module escapes the lone surrogate
        return json.dumps(value, ensure_ascii=True).encode("ascii")


def dumps_json(doc: dict[str, Any]) -> str:
    """The document as JSON text (orjson for large documents, see FAST_DUMP_MIN_ARTIFACTS)."""
    return dumps_json_bytes(doc).decode("utf-8", "surrogatepass")


def env_name(key: str) -> str:
    """A document key as an environment variable name (``--format env``)."""
    return re.sub(r"[^A-Za-z0-9]", "_", key).upper()


def _write_env(doc: dict[str, Any], out: TextIO) -> None:
    """``NAME='value'`` lines a later shell step can ``source`` (values quoted for sh)."""
    import shlex

    lines = [f"ARTIFACT_IDENTIFIER={shlex.quote(doc['source']['identifier'] or '')}"]
    selected = doc["selected"]
    if selected is not None:
        version = selected["version"]
        lines.append(f"ARTIFACT_VERSION={shlex.quote(version)}")
        lines.append(f"ARTIFACT_TAG={shlex.quote(version)}")
        lines.append(f"ARTIFACT_DISPLAY_NAME={shlex.quote('Build# ' + version)}")
        for key, value in selected["metadata"].items():
            lines.append(f"ARTIFACT_METADATA_{env_name(key)}={shlex.quote(value)}")
    versions = "\n".join(a["version"] for a in doc["artifacts"])
    lines.append(f"ARTIFACT_VERSIONS={shlex.quote(versions)}")
    out.write("\n".join(lines) + "\n")


def _clip(text: str, width: int) -> str:
    text = text.replace("\n", " ")
    return text if len(text) <= width else text[: max(width - 1, 0)] + "…"


def _write_table(doc: dict[str, Any], out: TextIO, limit: int) -> None:
    try:
        width = os.get_terminal_size(out.fileno()).columns
    except (AttributeError, OSError, ValueError):
        width = int(os.environ.get("COLUMNS", "120") or 120)
    src = doc["source"]
    arts = doc["artifacts"]
    run = doc["run"]
    ran = f", script ran in {run['duration_ms']:.0f} ms" if run.get("ran") else ""
    out.write(f"{src['identifier']} ({src['role']}) — {len(arts)} artifact{'s' if len(arts) != 1 else ''}{ran}\n")
    if arts:
        keys: list[str] = []
        for a in arts:
            for k in a["metadata"]:
                if k not in keys:
                    keys.append(k)
        shown = arts if limit <= 0 else arts[:limit]
        headers = ["", "VERSION", *keys]
        chosen = doc["selected"]["version"] if doc["selected"] else None
        rows = [
            ["*" if a["version"] == chosen else "", a["version"], *(a["metadata"].get(k, "") for k in keys)]
            for a in shown
        ]
        cap = max(12, (width - 2 * len(headers)) // max(len(headers) - 1, 1))
        widths = [max(len(_clip(r[i], cap)) for r in [headers, *rows]) for i in range(len(headers))]
        for row in [headers, *rows]:
            cells = [_clip(c, cap).ljust(widths[i]) for i, c in enumerate(row)]
            out.write(("  ".join(cells)).rstrip() + "\n")
        if len(arts) > len(shown):
            out.write(f"  … and {len(arts) - len(shown)} more (--limit 0 shows all, --format json lists them)\n")
    if doc["selected"]:
        out.write(f"\nchosen: {doc['selected']['version']} — {doc['criterion']}\n")
        pad = max(len(k) for k in doc["expressions"])
        for key, value in doc["expressions"].items():
            out.write(f"  {key.ljust(pad)}  {value}\n")
    elif doc["criterion"] and "error" not in doc:
        out.write(f"\nchosen: {doc['criterion']}; pass --version or --version-regex to choose\n")
    if "explain" in doc:
        _write_explain(doc["explain"], out)
    if doc["warnings"]:
        out.write("\nwarnings:\n")
        for warning in doc["warnings"]:
            out.write(f"  - {warning}\n")


def _write_explain(explain: dict[str, Any], out: TextIO) -> None:
    out.write("\nexplain:\n")
    timings = ", ".join(f"{k} {v:.1f} ms" for k, v in explain.get("timings_ms", {}).items())
    out.write(f"  timings: {timings}\n")
    if "sandbox" in explain:
        out.write(f"  ran with {explain['shell']}, --sandbox {explain['sandbox']} --network {explain['network']}\n")
    if explain.get("environment"):
        out.write(f"  environment: {' '.join(explain['environment'])}\n")
    if "script" in explain:
        out.write("  rendered script (secrets masked):\n")
        for number, line in enumerate(explain["script"].splitlines(), 1):
            out.write(f"    {number:3d}  {line}\n")
    if "payload_head" in explain:
        head = explain["payload_head"].replace("\n", " ")
        out.write(f"  payload: {explain['payload_bytes']} bytes, starting: {_clip(head, 200)}\n")
    items = explain.get("items")
    if items:
        out.write(f"  items ({items['count']}):\n")
        for entry in items["shown"][:200]:
            version = f" {entry['version']!r}" if "version" in entry else ""
            out.write(f"    [{entry['item']}]{version}: {entry['decision']}: {entry['reason']}\n")
        hidden = items["count"] - min(len(items["shown"]), 200)
        if hidden > 0:
            out.write(f"    … and {hidden} more (--format json lists up to 1,000)\n")
