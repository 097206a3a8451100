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
import re

from .errors import SourceError
from .spec import Source

TYPE_CHECKING = False
if TYPE_CHECKING:
    from typing import Any

KINDS = ("source", "service", "template")
_INTERPRETER = {"python": "python3", "sh": "sh"}
_KEPT_SETTINGS = ("shell", "scriptFile", "requires")  # carried over into the script itself


def bash_script(source: Source) -> str:
    """The script as the delegate must receive it: Bash, inline, starting with a guard for each
    command it needs beyond the stock delegate image (one clear line instead of "No Artifact
    found")."""
    from . import delegate

    guard = delegate.guard(delegate.missing(source.requires, source.shell))
    if source.shell == "bash":
        return _after_shebang(source.script, guard) if source.script.startswith("#!") else guard + source.script
    interpreter = _INTERPRETER[source.shell]
    delimiter = "CUSTOMSRC_SCRIPT"
    while delimiter in source.script:
        delimiter += "_"
    body = source.script if source.script.endswith("\n") else source.script + "\n"
    return f"{guard}{interpreter} - <<'{delimiter}'\n{body}{delimiter}\n"


def _after_shebang(script: str, guard: str) -> str:
    if not guard:
        return script
    first, _, rest = script.partition("\n")
    return f"{first}\n{guard}{rest}"


def dropped_settings(document_settings: dict[str, Any]) -> list[str]:
    """The ``customsrc:`` settings an export leaves out (Harness has no field for them), for a warning."""
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


# What Harness's published NextGen schema accepts, written out here (the schema itself is
# Harness's file; tests/export_test.py checks every export against it).
DURATION = re.compile(r"[1-9]\d+s|(?:[1-9]\d*[mhwd])+(?:\s?\d+[smhwd])*")  # fullmatch: a bare "2s" is refused
VARIABLE_NAME = re.compile(r"[a-zA-Z_][0-9a-zA-Z_.$-]{0,127}\Z")
IDENTIFIER = re.compile(r"[a-zA-Z_][0-9a-zA-Z_]{0,127}\Z")
NUMBER = re.compile(r"[+-]?[0-9]*\.?[0-9]+\Z")
EXPRESSION = re.compile(r"<\+.+>")


def _variables(items: list[dict[str, Any]], where: str) -> None:
    """Harness's NGVariable rules for inputs, attributes and template variables; String and
    Secret values written as YAML numbers become strings (Harness reads them as text anyway)."""
    for index, variable in enumerate(items):
        name, kind, value = variable.get("name"), variable.get("type", "String"), variable.get("value")
        field = f"{where}[{index}] ({name})"
        if not isinstance(name, str) or not VARIABLE_NAME.match(name):
            raise SourceError(
                f"cannot export: {field}: Harness names are letters, digits, _ . $ -, not starting with a digit"
            )
        if value is None:
            raise SourceError(
                f"cannot export: {field} has no value and Harness requires one; "
                "write value: <+input> to ask for it at run time, or give a default"
            )
        if kind in ("String", "Secret") and isinstance(value, (int, float)) and not isinstance(value, bool):
            variable["value"] = value = str(value)
        if kind == "Secret" and "<+secrets.getValue(" in str(value):
            raise SourceError(
                f"cannot export: {field}: a Secret input's value is the secret's identifier, "
                "not a <+secrets.getValue()> expression (Harness refuses it)"
            )
        numeric = isinstance(value, (int, float)) or value == "" or NUMBER.match(str(value))
        if kind == "Number" and not (numeric or EXPRESSION.search(str(value))):
            raise SourceError(
                f"cannot export: {field}: a Number's value must be a number or an expression, not {value!r}"
            )


def check_for_harness(entry: dict[str, Any]) -> None:
    """Refuse (exit 2, naming the field) what Harness's schema rejects in an exported source entry."""
    if not IDENTIFIER.match(str(entry.get("identifier", ""))):
        raise SourceError(
            f"cannot export: identifier {entry.get('identifier')!r}: Harness identifiers are letters, digits "
            "and _, not starting with a digit, at most 128"
        )
    spec = entry["spec"]
    timeout = spec.get("timeout")
    if timeout is not None:
        text = str(timeout)
        if text and "<+" not in text and not DURATION.fullmatch(text):
            raise SourceError(
                f"cannot export: spec.timeout {text!r} is not a duration Harness accepts (seconds only from 10s, "
                "else minutes, hours, days or weeks: 10s, 1m, 1m30s, 2h); set timeout: 10s or more"
            )
    _variables(spec.get("inputs") or [], "spec.inputs")
    fetch = (spec.get("scripts") or {}).get("fetchAllArtifacts") or {}
    attributes = fetch.get("attributes") or []
    _variables(attributes, "fetchAllArtifacts.attributes")


def export(source: Source, kind: str) -> tuple[dict[str, Any], list[str]]:
    """The Harness YAML document for ``kind`` and the warnings about what was left out; a source
    Harness's schema would reject is a SourceError naming the field."""
    warnings = dropped_settings(source.raw.get("customsrc") or {})
    entry = source_entry(source)
    check_for_harness(entry)
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
