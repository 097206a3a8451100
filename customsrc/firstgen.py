"""``customsrc import``: a FirstGen custom artifact stream as a NextGen artifact source.

FirstGen kept the script in ``scriptString``, the mapping in ``customRepositoryMapping``
(``artifactRoot``, ``buildNoPath``, ``artifactAttributes: [{relativePath, mappedAttribute}]``), used
``$ARTIFACT_RESULT_PATH``, ``${secrets.getValue("x")}`` expressions and a 60-second default timeout,
and named each metadata key after the text following the last ``.`` of ``mappedAttribute``.
"""

from __future__ import annotations

import re

from .errors import SourceError

TYPE_CHECKING = False
if TYPE_CHECKING:
    from typing import Any

_FIRSTGEN_SECRET = re.compile(r"\$\{(secrets\.getValue\([^}]*\))\}")
_FIRSTGEN_EXPRESSION = re.compile(r"\$\{((?:app|workflow|env|pipeline|artifact|service|infra|context)\.[^}]*)\}")


def _identifier(name: str) -> str:
    ident = re.sub(r"[^0-9A-Za-z_]", "_", name).strip("_") or "imported_source"
    return ident if re.match(r"[A-Za-z_]", ident) else "_" + ident


def _stream(document: Any) -> dict[str, Any]:
    if not isinstance(document, dict):
        raise SourceError("not a FirstGen artifact stream: expected a mapping")
    scripts = document.get("scripts")
    if isinstance(scripts, list) and scripts:
        fetch = next(
            (s for s in scripts if isinstance(s, dict) and s.get("action", "FETCH_VERSIONS") == "FETCH_VERSIONS"), None
        )
        if fetch is None:
            raise SourceError("no FETCH_VERSIONS script in this FirstGen artifact stream")
        return {**document, **fetch}
    if "scriptString" in document:
        return document
    raise SourceError("not a FirstGen custom artifact stream: no scriptString (or scripts[].scriptString)")


def to_nextgen(document: Any, identifier: str | None = None) -> tuple[dict[str, Any], list[str]]:
    """The NextGen native source entry and what was changed on the way."""
    stream = _stream(document)
    warnings: list[str] = []
    script = str(stream.get("scriptString") or "")
    mapping = stream.get("customRepositoryMapping") or {}
    if not mapping.get("artifactRoot") or not mapping.get("buildNoPath"):
        raise SourceError("customRepositoryMapping needs artifactRoot and buildNoPath")
    if re.search(r"(?<![A-Za-z_])ARTIFACT_RESULT_PATH", script.replace("HARNESS_ARTIFACT_RESULT_PATH", "")):
        script = re.sub(r"(?<![A-Za-z_])ARTIFACT_RESULT_PATH", "HARNESS_ARTIFACT_RESULT_PATH", script)
        warnings.append(
            "$ARTIFACT_RESULT_PATH became $HARNESS_ARTIFACT_RESULT_PATH (a NextGen delegate sets only that)"
        )
    script, secrets = _FIRSTGEN_SECRET.subn(r"<+\1>", script)
    if secrets:
        warnings.append(f"{secrets} FirstGen ${{secrets.getValue(...)}} expression(s) became <+secrets.getValue(...)>")
    for expression in sorted(set(_FIRSTGEN_EXPRESSION.findall(script))):
        warnings.append(f"FirstGen expression ${{{expression}}} has no direct NextGen equivalent: rewrite it as <+...>")
    attributes = []
    for attr in mapping.get("artifactAttributes") or []:
        mapped = str(attr.get("mappedAttribute") or "")
        name = mapped.rsplit(".", 1)[-1]
        if not name or not attr.get("relativePath"):
            raise SourceError(f"artifactAttributes entry {attr!r} needs relativePath and mappedAttribute")
        attributes.append({"name": name, "type": "String", "value": str(attr["relativePath"])})
    inputs = [
        {"name": str(v["name"]), "type": "String", "value": None if v.get("value") is None else str(v["value"])}
        for v in stream.get("templateVariables") or []
        if isinstance(v, dict) and v.get("name")
    ]
    timeout = stream.get("timeout", 60)
    try:
        seconds = int(str(timeout).strip().rstrip("s"))
    except ValueError:
        seconds = 60
        warnings.append(f"timeout {timeout!r} was not a number of seconds; used 60s, FirstGen's default")
    name = identifier or _identifier(str(stream.get("sourceName") or stream.get("name") or "imported_source"))
    fetch: dict[str, Any] = {
        "artifactsArrayPath": str(mapping["artifactRoot"]),
        "versionPath": str(mapping["buildNoPath"]),
    }
    if attributes:
        fetch["attributes"] = attributes
    fetch["spec"] = {"shell": "Bash", "source": {"type": "Inline", "spec": {"script": script}}}
    spec: dict[str, Any] = {"version": "<+input>", "timeout": f"{seconds}s"}
    if inputs:
        spec["inputs"] = inputs
    spec["scripts"] = {"fetchAllArtifacts": fetch}
    return {"identifier": name, "type": "CustomArtifact", "spec": spec}, warnings
