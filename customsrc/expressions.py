"""The ``<+artifacts.primary.*>`` (or ``<+artifacts.sidecars.ID.*>``) values a deployment sees."""

from __future__ import annotations

from .mapping import Artifact


def artifact_expressions(artifact: Artifact, identifier: str, *, sidecar: bool = False) -> dict[str, str]:
    """Expression -> value for the chosen artifact, in the order Harness documents them."""
    version = artifact.version
    bases = [f"artifacts.sidecars.{identifier}"] if sidecar else ["artifacts.primary", "artifact"]
    out: dict[str, str] = {}
    for key in ("version", "tag", "image"):
        for base in bases:
            out[f"<+{base}.{key}>"] = version
    out[f"<+{bases[0]}.displayName>"] = f"Build# {version}"
    out[f"<+{bases[0]}.identifier>"] = identifier
    for name, value in artifact.metadata.items():
        for base in bases:
            out[f"<+{base}.metadata.{name}>"] = value
    return out
