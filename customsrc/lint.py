"""``customsrc lint``: the traps that pass locally and fail (or mislead) on a Harness delegate.

Each rule has a stable code, a severity, the line in the script (or None for the YAML) and a
one-line fix. Rules read the source statically; ``payload`` (a recorded result) enables the rules
that need to see values.
"""

from __future__ import annotations

import re
import sys
from collections.abc import Callable, Iterator

from .spec import Source

TYPE_CHECKING = False
if TYPE_CHECKING:
    from typing import Any, NamedTuple
else:
    from .records import NamedTuple


class Finding(NamedTuple):
    """One lint finding: a rule ``code`` (CS0xx), its ``severity``, the script line, what is wrong and the fix."""

    code: str
    severity: str  # error: fails on the delegate; warning: likely wrong there; info: surprising
    line: int | None  # 1-based line of the script; None: the YAML
    message: str
    fix: str

    def as_dict(self) -> dict[str, Any]:
        return dict(self._asdict())


RULES: dict[str, str] = {
    "CS001": "no set -e: a failing command does not fail the script",
    "CS002": "curl without --fail: an HTTP error page becomes the result",
    "CS003": "a tool or package a minimal delegate image may not have",
    "CS004": "shell: PowerShell runs as bash on the delegate",
    "CS005": "a timeout above what Harness enforces",
    "CS006": "<+lastPublished.tag> takes the first match, not the highest",
    "CS007": "versionPath starting with $ fails on the delegate",
    "CS008": "an attribute whose value is an object or array comes out as Java text",
    "CS009": "a credential written in plain text in the script",
    "CS010": "unquoted $HARNESS_ARTIFACT_RESULT_PATH",
    "CS011": "the script never writes $HARNESS_ARTIFACT_RESULT_PATH",
    "CS012": "curl piped into another command without pipefail",
    "CS013": "$ARTIFACT_RESULT_PATH is FirstGen's: a NextGen delegate does not set it",
}

# Commands scripts reach for that may not be on Harness's stock delegate image: each is checked
# against that image's list (delegate.py), so kubectl (there) is fine and jq (not there) is not.
WATCHED_TOOLS = (
    "jq",
    "yq",
    "python3",
    "python",
    "wget",
    "unzip",
    "which",
    "openssl",
    "xmllint",
    "xmlstarlet",
    "aws",
    "gcloud",
    "az",
    "kubectl",
    "helm",
    "crane",
    "skopeo",
    "http",
    "node",
    "perl",
)
_WORD = r"(?:^|[\s;|&(`$]){}(?=$|[\s;|&)`])"
_CURL = re.compile(_WORD.format("curl"))
_FAIL_FLAG = re.compile(r"(?:^|\s)(?:--fail(?:-with-body)?|-[a-zA-Z]*f[a-zA-Z]*)(?=\s|$)")
_CREDENTIALS = (
    (
        re.compile(r"Authorization:\s*(?:Bearer|Basic|token|Token)\s+(?![\"']?[$<])[A-Za-z0-9._~+/=-]{8,}"),
        "an Authorization header",
    ),
    (re.compile(r"(?:\s-u|--user)\s+[\"']?(?![$<])[^\s:\"']+:(?![$<])[^\s\"']+"), "a user:password pair"),
    (re.compile(r"https?://[^/\s:@$<]+:(?![$<])[^@\s/]+@"), "a password in a URL"),
    (re.compile(r"AKIA[0-9A-Z]{16}"), "an AWS access key"),
    (
        re.compile(
            r"(?i)\b(?:password|passwd|token|secret|api[_-]?key)\s*=\s*"
            r"(?:([\"'])(?![$<])[^\"'$<\s]{6,}\1|(?![$<])[A-Za-z0-9_\-+/=.]{6,}(?=\s|;|$))"
        ),
        "a password or token assignment",
    ),
)


def _code_lines(script: str) -> Iterator[tuple[int, str]]:
    """(line number, text without a trailing comment) for non-blank, non-comment lines."""
    for number, line in enumerate(script.splitlines(), 1):
        stripped = line.strip()
        if not stripped or stripped.startswith("#"):
            continue
        yield number, re.sub(r"\s+#.*$", "", line)


def _is_shell(source: Source) -> bool:
    return source.shell in ("bash", "sh")


def _no_errexit(source: Source) -> Iterator[Finding]:
    if not _is_shell(source):
        return
    for _, line in _code_lines(source.script):
        if re.search(r"(?:^|[;&\s])set\s+(?:-[a-zA-Z]*e[a-zA-Z]*|-o\s+errexit)\b", line):
            return
    yield Finding(
        "CS001", "warning", 1, RULES["CS001"] + " (Harness adds no set -e)", "start the script with: set -euo pipefail"
    )


def _curl_without_fail(source: Source) -> Iterator[Finding]:
    if not _is_shell(source):
        return
    for number, line in _code_lines(source.script):
        for match in _CURL.finditer(line):
            rest = line[match.end() :].split("|")[0]
            if not _FAIL_FLAG.search(rest):
                yield Finding("CS002", "warning", number, RULES["CS002"], "add --fail (or --fail-with-body) to curl")


def _missing_tools(source: Source) -> Iterator[Finding]:
    from . import delegate

    declared = set(source.requires)  # the export guards these with one clear line

    def absent(tool: str, number: int) -> Finding:
        return Finding(
            "CS003",
            "warning",
            number,
            f"{tool} is not on the stock Harness delegate image",
            f"add to the delegate INIT_SCRIPT: {delegate.install_line(tool)}; or declare it in "
            "customsrc.requires (the export then stops in one clear line where it is missing); or use bash + curl",
        )

    if source.shell == "python":
        if "python3" not in declared:
            yield absent("python3", 1)
        stdlib = set(getattr(sys, "stdlib_module_names", ()))
        for number, line in _code_lines(source.script):
            match = re.match(r"\s*(?:from\s+([\w.]+)\s+import|import\s+([\w.]+))", line)
            if match and stdlib:
                module = (match.group(1) or match.group(2)).split(".")[0]
                if module not in stdlib and module != "__future__":
                    yield Finding(
                        "CS003",
                        "warning",
                        number,
                        f"python package {module!r} is not in the standard library",
                        "use the standard library only (urllib.request, json)",
                    )
        return
    for number, line in _code_lines(source.script):
        for tool in WATCHED_TOOLS:
            if tool in declared or tool in delegate.commands():
                continue
            if re.search(_WORD.format(re.escape(tool)), line):
                yield absent(tool, number)
        if re.search(r"\bpip3?\s+install\b", line):
            yield Finding(
                "CS003",
                "warning",
                number,
                "pip install at fetch time: the delegate may have no pip or no index",
                "use python3 with the standard library only",
            )


def _powershell(source: Source) -> Iterator[Finding]:
    if source.declared_shell == "PowerShell":
        yield Finding("CS004", "error", None, RULES["CS004"], "use shell: Bash and write the script for bash")


def _timeout(source: Source) -> Iterator[Finding]:
    from .units import parse_duration

    if not source.timeout or "<+" in source.timeout:
        return
    try:
        seconds = parse_duration(source.timeout)
    except ValueError:
        return
    if seconds > 180:
        yield Finding(
            "CS005",
            "warning",
            None,
            f"timeout {source.timeout}: a pipeline stops the fetch after 3 minutes, the UI's version list after 30 s",
            "make the script finish within 30 seconds (page less, filter on the server)",
        )
    elif seconds > 30:
        yield Finding(
            "CS005",
            "info",
            None,
            f"timeout {source.timeout}: the UI lists versions with a 30-second limit",
            "make the script finish within 30 seconds",
        )


def _last_published(source: Source) -> Iterator[Finding]:
    version = source.version.strip()
    if version.startswith("<+lastPublished.tag>"):
        yield Finding(
            "CS006",
            "warning",
            None,
            RULES["CS006"] + " in the script's output order",
            "print the newest version first in the script (or try customsrc run --latest to compare)",
        )


def _version_path_dollar(source: Source) -> Iterator[Finding]:
    if (source.version_path or "").strip().startswith("$"):
        yield Finding(
            "CS007", "error", None, RULES["CS007"] + " (it is read relative to one item)", "drop the leading '$.'"
        )


def _credentials(source: Source) -> Iterator[Finding]:
    for number, line in _code_lines(source.script):
        for pattern, what in _CREDENTIALS:
            if pattern.search(line):
                yield Finding(
                    "CS009",
                    "error",
                    number,
                    f"{what} in plain text",
                    'use <+secrets.getValue("name")> or a Secret input',
                )
                break


_RESULT_VAR = re.compile(r"\$(?:\{)?(HARNESS_ARTIFACT_RESULT_PATH|ARTIFACT_RESULT_PATH)\b")


def _unquoted_result_path(source: Source) -> Iterator[Finding]:
    if not _is_shell(source):
        return
    for number, line in _code_lines(source.script):
        quoted = _double_quoted_spans(line)
        for match in _RESULT_VAR.finditer(line):
            if not any(start <= match.start() < end for start, end in quoted):
                yield Finding(
                    "CS010",
                    "warning",
                    number,
                    RULES["CS010"] + ": a path with spaces breaks the redirect",
                    'quote it: "$HARNESS_ARTIFACT_RESULT_PATH"',
                )


def _double_quoted_spans(line: str) -> list[tuple[int, int]]:
    spans, start, single = [], -1, False
    i = 0
    while i < len(line):
        ch = line[i]
        if ch == "\\" and not single:
            i += 2
            continue
        if ch == "'" and start < 0:
            single = not single
        elif ch == '"' and not single:
            if start < 0:
                start = i
            else:
                spans.append((start, i))
                start = -1
        i += 1
    return spans


def _result_path_unused(source: Source) -> Iterator[Finding]:
    if source.has_script and "ARTIFACT_RESULT_PATH" not in source.script:
        yield Finding(
            "CS011",
            "error",
            None,
            RULES["CS011"] + ": Harness would find no artifacts",
            'write the JSON to "$HARNESS_ARTIFACT_RESULT_PATH"',
        )


def _pipefail(source: Source) -> Iterator[Finding]:
    if source.shell != "bash" or re.search(r"\bpipefail\b", source.script):
        return
    for number, line in _code_lines(source.script):
        match = _CURL.search(line)
        if match and "|" in line[match.end() :].replace("||", ""):
            yield Finding("CS012", "warning", number, RULES["CS012"] + ": its failure is lost", "add: set -o pipefail")


def _firstgen_path(source: Source) -> Iterator[Finding]:
    for number, line in _code_lines(source.script):
        if re.search(r"(?<![A-Za-z_])ARTIFACT_RESULT_PATH\b", line.replace("HARNESS_ARTIFACT_RESULT_PATH", "")):
            yield Finding("CS013", "error", number, RULES["CS013"], "use $HARNESS_ARTIFACT_RESULT_PATH")


STATIC_RULES: tuple[Callable[[Source], Iterator[Finding]], ...] = (
    _no_errexit,
    _curl_without_fail,
    _missing_tools,
    _powershell,
    _timeout,
    _last_published,
    _version_path_dollar,
    _credentials,
    _unquoted_result_path,
    _result_path_unused,
    _pipefail,
    _firstgen_path,
)


def _object_attributes(source: Source, payload: Any) -> Iterator[Finding]:
    """CS008, with a recorded payload: attributes whose values are objects or arrays."""
    from .jsonpath import PathNotFound, compile_absolute, compile_relative, evaluate

    try:
        items = evaluate(compile_absolute(source.artifacts_array_path or "$"), payload)
    except PathNotFound:
        return
    if not isinstance(items, list):
        return
    for name, path in source.attributes:
        compiled = compile_relative(path)
        for item in items:
            try:
                value = evaluate(compiled, item)
            except PathNotFound:
                continue
            if isinstance(value, (dict, list)):
                yield Finding(
                    "CS008",
                    "warning",
                    None,
                    f"attribute {name!r} ({path}) is {'an object' if isinstance(value, dict) else 'an array'}: "
                    "Harness stores Java text such as {sha1=ab, md5=cd}, not JSON",
                    f"point {name!r} at one field, e.g. {path}.sha1",
                )
                break


def lint(source: Source, payload: Any = None) -> list[Finding]:
    """Every finding for ``source`` (and, given one, a recorded ``payload``), in rule order."""
    findings = [f for rule in STATIC_RULES for f in rule(source)]
    if payload is not None:
        findings.extend(_object_attributes(source, payload))
    return sorted(findings, key=lambda f: (f.line or 0, f.code))
