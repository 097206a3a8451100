"""``customsrc export``: Harness NextGen YAML from a source, ready to paste or push.

* ``source``   -- a bare artifact source entry;
* ``service``  -- a minimal Kubernetes service holding it as the primary source;
* ``template`` -- an Artifact Source Template, its inputs fed by template variables.

The delegate only runs Bash, inline: a script from ``customsrc.scriptFile`` is inlined, and a sh
or python3 script becomes a Bash script that runs it from a quoted heredoc. Settings Harness has no
field for (``payloadSchema``, ``description`` ...) are dropped, each with a warning.
"""

from __future__ import annotations

import copy

from .spec import Source

TYPE_CHECKING = False
if TYPE_CHECKING:
    from typing import Any

KINDS = ("source", "service", "template")
_INTERPRETER = {"python": "python3", "sh": "sh"}
_KEPT_SETTINGS = ("shell", "scriptFile")  # carried over into the script itself


def bash_script(source: Source) -> str:
    """The script as the delegate must receive it: Bash, inline."""
    if source.shell == "bash":
        return source.script
    interpreter = _INTERPRETER[source.shell]
    delimiter = "CUSTOMSRC_SCRIPT"
    while delimiter in source.script:
        delimiter += "_"
    body = source.script if source.script.endswith("\n") else source.script + "\n"
    return f"{interpreter} - <<'{delimiter}'\n{body}{delimiter}\n"


def dropped_settings(document_settings: dict[str, Any]) -> list[str]:
    return [
        f"customsrc.{key} has no Harness field and is not exported"
        for key in document_settings
        if key not in _KEPT_SETTINGS
    ]


def source_entry(source: Source) -> dict[str, Any]:
    """The artifact source entry, with the script inlined as Bash."""
    entry = copy.deepcopy(source.raw)
    entry.pop("customsrc", None)
    spec = entry["spec"]
    if source.has_script:
        fetch = spec.setdefault("scripts", {}).setdefault("fetchAllArtifacts", {})
        shell = fetch.get("spec", {}).get("shell", "Bash") if source.shell == "bash" else "Bash"
        fetch["spec"] = {"shell": shell, "source": {"type": "Inline", "spec": {"script": bash_script(source)}}}
    return {"identifier": entry["identifier"], "type": "CustomArtifact", "spec": spec}


def export(source: Source, kind: str) -> tuple[dict[str, Any], list[str]]:
    """The Harness YAML document for ``kind`` and the warnings about what was left out."""
    warnings = dropped_settings(source.raw.get("customsrc") or {})
    entry = source_entry(source)
    identifier = source.identifier
    if kind == "source":
        return entry, warnings
    if kind == "service":
        service = {
            "service": {
                "name": identifier,
                "identifier": identifier,
                "serviceDefinition": {
                    "type": "Kubernetes",
                    "spec": {"artifacts": {"primary": {"primaryArtifactRef": identifier, "sources": [entry]}}},
                },
            }
        }
        return service, warnings
    spec = entry["spec"]
    variables = []
    for variable in spec.get("inputs") or []:
        value = variable.get("value")
        variables.append({"name": variable["name"], "type": variable.get("type", "String"), "value": value})
        variable["value"] = f"<+template.variables.{variable['name']}>" if value is not None else value
    template: dict[str, Any] = {
        "name": identifier,
        "identifier": identifier,
        "versionLabel": "v1",
        "type": "ArtifactSource",
    }
    if variables:
        template["variables"] = variables
    template["spec"] = {"type": "CustomArtifact", "spec": spec}
    return {"template": template}, warnings


def to_yaml(document: dict[str, Any]) -> str:
    """YAML with multi-line strings (scripts) as literal blocks, keys in their written order."""
    import yaml

    class Dumper(yaml.SafeDumper):
        pass

    def text(dumper: yaml.SafeDumper, value: str) -> yaml.ScalarNode:
        style = "|" if "\n" in value else None
        return dumper.represent_scalar("tag:yaml.org,2002:str", value, style=style)

    Dumper.add_representer(str, text)
    out: str = yaml.dump(document, Dumper=Dumper, sort_keys=False, allow_unicode=True, width=120)
    return out
