"""Choosing one version with Harness's rules (spec section 4).

* ``versionRegex`` (or ``version: <+lastPublished.tag>``, meaning ``.*?``, or
  ``<+lastPublished.tag>.regex(R)``): the **first** artifact, in the script's output order, whose
  version contains a match (a substring search, like Java's ``Matcher.find``) — not the highest.
* otherwise the version must equal ``version`` exactly.
* ``version: <+input>`` with no override: list the versions, choose none.
"""

from __future__ import annotations

import re
from collections.abc import Sequence

from .errors import NoMatchingVersion, UsageError
from .mapping import Artifact

TYPE_CHECKING = False
if TYPE_CHECKING:
    from typing import NamedTuple
else:
    from .records import NamedTuple

LAST_PUBLISHED = "<+lastPublished.tag>"
RUNTIME_INPUT = "<+input>"
_LAST_PUBLISHED_REGEX = r"^<\+lastPublished\.tag>\.regex\((.*)\)$"  # compiled on first use (re caches it)


class Criterion(NamedTuple):
    """What to choose: ``kind`` is ``exact``, ``regex`` or ``none`` (list only)."""

    kind: str
    value: str = ""
    origin: str = ""
    deadline: float | None = None  # time.monotonic() by which a regex must have answered (the run's end)

    def describe(self) -> str:
        if self.kind == "regex":
            return f"first version matching regex {self.value!r} ({self.origin})"
        if self.kind == "exact":
            return f"version {self.value!r} ({self.origin})"
        return "none (version is a runtime input)"


def _strip_quotes(text: str) -> str:
    if len(text) >= 2 and text[0] == text[-1] and text[0] in "'\"":
        return text[1:-1]
    return text


def criterion_for(
    version: str,
    version_regex: str,
    *,
    override_version: str | None = None,
    override_regex: str | None = None,
) -> Criterion:
    """Work out what to choose from the spec and the command-line overrides."""
    if override_version is not None:
        return Criterion("exact", override_version, "--version")
    if override_regex is not None:
        return _regex(override_regex, "--version-regex")
    if version_regex.strip():
        return _regex(version_regex, "versionRegex")
    text = version.strip()
    if text == LAST_PUBLISHED:
        return _regex(".*?", "<+lastPublished.tag>")
    match = re.match(_LAST_PUBLISHED_REGEX, text, re.DOTALL)
    if match:
        return _regex(_strip_quotes(match.group(1).strip()), "<+lastPublished.tag>.regex()")
    if text in ("", RUNTIME_INPUT) or text.startswith(RUNTIME_INPUT + "."):
        return Criterion("none")
    if "<+" in text:
        raise UsageError(
            f"version is the expression {text!r}, which only Harness can resolve; "
            "pass --version VALUE or --version-regex REGEX"
        )
    return Criterion("exact", text, "spec.version")


# What a Java syntax error usually means, beside Java's own words.
_EXPLAINED = {
    "Unclosed group": "a '(' has no matching ')'",
    "Unmatched closing ')'": "a ')' has no matching '('",
    "Unclosed character class": "a '[' has no matching ']'",
    "Illegal repetition": "a '{' that is not a count such as {2} or {1,3}: write \\{ for a literal brace",
    "Unknown inline modifier": "Java knows (?i), (?m), (?s), (?x), (?u), (?d), (?U), (?<name>...), not (?P<name>...)",
    "Illegal/unsupported escape sequence": "a backslash before a letter Java gives no meaning",
    "Illegal character range": "a range whose end comes before its start",
}


def _regex(pattern: str, origin: str) -> Criterion:
    """A regex criterion, checked as Java compiles it (java.util.regex, as Harness does)."""
    from .javaregex import JavaRegexError, Unsupported, compile_java

    try:
        compile_java(pattern)
    except JavaRegexError as exc:
        plain = next((why for start, why in _EXPLAINED.items() if exc.description.startswith(start)), "")
        raise UsageError(
            f"{origin}: Java rejects the regular expression {pattern!r}: {exc.description} near index "
            f"{exc.index}" + (f" ({plain})" if plain else "")
        ) from None
    except Unsupported as exc:
        raise UsageError(
            f"{origin}: customsrc cannot check {pattern!r} exactly as Java does: it uses {exc}; "
            "write the pattern without it"
        ) from None
    return Criterion("regex", pattern, origin)


def matches(criterion: Criterion, version: str) -> bool:
    """Does ``version`` contain a match of the criterion's regex, as Java's find() says? A pattern
    that backtracks without end is stopped at the criterion's deadline (the run's own end)."""
    import time

    from .javaregex import compile_java

    timeout = None
    if criterion.deadline is not None:
        timeout = max(criterion.deadline - time.monotonic(), 0.001)
    try:
        return compile_java(criterion.value).search(version, timeout=timeout) is not None
    except TimeoutError:
        raise UsageError(
            f"{criterion.origin}: the regular expression {criterion.value!r} was still matching "
            f"{_clip(version)} when the run's time ran out (it backtracks without end: simplify it)"
        ) from None


def _clip(version: str) -> str:
    return repr(version) if len(version) <= 40 else repr(version[:40]) + "..."


def choose(artifacts: Sequence[Artifact], criterion: Criterion) -> Artifact | None:
    """Return the chosen artifact, None when nothing is asked; raise when nothing matches."""
    if criterion.kind == "none":
        return None
    if criterion.kind == "regex":
        for artifact in artifacts:
            if matches(criterion, artifact.version):
                return artifact
        raise NoMatchingVersion(
            f"no version matches regex {criterion.value!r} ({criterion.origin}) among "
            f"{len(artifacts)} artifacts{_sample(artifacts)}",
            harness_message="Artifact version not found",
        )
    for artifact in artifacts:
        if artifact.version == criterion.value:
            return artifact
    raise NoMatchingVersion(
        f"version {criterion.value!r} ({criterion.origin}) is not among the {len(artifacts)} "
        f"artifacts{_sample(artifacts)}; pass --version-regex to match a pattern",
        harness_message="Artifact version not found",
    )


def _sample(artifacts: Sequence[Artifact]) -> str:
    if not artifacts:
        return ""
    shown = ", ".join(a.version for a in artifacts[:5])
    more = ", ..." if len(artifacts) > 5 else ""
    return f" ({shown}{more})"
