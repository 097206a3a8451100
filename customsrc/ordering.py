"""Ordering and choosing beyond Harness.

Harness takes the first regex match in the script's output order; users of Flux, Argo CD Image
Updater and Renovate expect "the highest". ``--order`` sorts the list, ``--semver RANGE`` keeps the
versions in a range, ``--latest`` chooses the highest that remains.

Orders: ``output`` (the script's, Harness's), ``natural`` (numbers inside strings compared as
numbers: what Harness shows for a runtime input), ``semver``, ``numeric``, ``lexical`` and
``attr:NAME`` (by a metadata attribute, e.g. a publish date). ``:asc`` or ``:desc`` may follow;
the default is descending (highest first) for every order but ``output``.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Sequence

from .errors import UsageError
from .mapping import Artifact

TYPE_CHECKING = False
if TYPE_CHECKING:
    from typing import Any, NamedTuple
else:
    from .records import NamedTuple


def _usage(cli: str) -> UsageError:
    """A usage error said with the flag on the command line and the parameter in the library."""
    return UsageError(cli.replace("--order", "order", 1).replace("--semver", "semver", 1), cli_message=cli)


ORDERS = ("output", "natural", "semver", "numeric", "lexical")
_SEMVER = re.compile(
    r"^[vV]?(0|[1-9]\d*)(?:\.(0|[1-9]\d*))?(?:\.(0|[1-9]\d*))?"
    r"(?:-((?:0|[1-9]\d*|\d*[A-Za-z-][0-9A-Za-z-]*)(?:\.(?:0|[1-9]\d*|\d*[A-Za-z-][0-9A-Za-z-]*))*))?"
    r"(?:\+([0-9A-Za-z-]+(?:\.[0-9A-Za-z-]+)*))?$"
)


class SemVer(NamedTuple):
    """A version read as semver (lenient: a leading ``v``, missing minor or patch)."""

    major: int
    minor: int
    patch: int
    pre: tuple[str, ...]

    def key(self) -> tuple[Any, ...]:
        """Precedence per semver.org: a pre-release sorts before its release; numeric identifiers
        compare as numbers and before alphanumeric ones; build metadata is ignored."""
        pre_key = tuple((0, int(p), "") if p.isdigit() else (1, 0, p) for p in self.pre)
        return (self.major, self.minor, self.patch, 0 if self.pre else 1, pre_key)


def parse_semver(text: str) -> SemVer | None:
    """``1.2.3``, ``v1.2.3-rc.1+build.5``; ``1.2`` and ``1`` are read as ``1.2.0`` and ``1.0.0``."""
    match = _SEMVER.match(text.strip())
    if not match:
        return None
    major, minor, patch, pre, _build = match.groups()
    return SemVer(int(major), int(minor or 0), int(patch or 0), tuple(pre.split(".")) if pre else ())


def natural_key(text: str) -> tuple[Any, ...]:
    """Numbers inside the string compare as numbers: ``1.9`` < ``1.10``."""
    parts = re.split(r"(\d+)", text)
    return tuple((0, int(p), "") if p.isdigit() else (1, 0, p) for p in parts if p)


def _numeric_key(text: str) -> tuple[int, float]:
    try:
        return (1, float(text.lstrip("vV")))
    except ValueError:
        return (0, 0.0)


class Order(NamedTuple):
    """An ``--order``: a mode (natural, semver, numeric, lexical, output, attr) and its direction."""

    mode: str  # one of ORDERS or "attr"
    descending: bool
    attribute: str = ""

    def describe(self) -> str:
        name = f"attr:{self.attribute}" if self.mode == "attr" else self.mode
        return name if self.mode == "output" else f"{name} {'descending' if self.descending else 'ascending'}"


def parse_order(text: str) -> Order:
    """``semver``, ``semver:asc``, ``attr:lastModified:desc`` ..."""
    parts = text.split(":")
    direction = None
    if parts[-1] in ("asc", "desc"):
        direction = parts.pop()
    if parts[0] == "attr":
        if len(parts) != 2 or not parts[1]:
            raise _usage(f"--order {text!r}: use attr:NAME (a metadata attribute), e.g. attr:lastModified")
        return Order("attr", direction != "asc", parts[1])
    if len(parts) != 1 or parts[0] not in ORDERS:
        raise _usage(f"--order {text!r}: use one of {', '.join(ORDERS)} or attr:NAME, optionally :asc or :desc")
    if parts[0] == "output":
        if direction:
            raise _usage("--order output is the script's order; it takes no :asc or :desc")
        return Order("output", False)
    return Order(parts[0], direction != "asc")


def sort_key(order: Order) -> Callable[[Artifact], Any]:
    """A key putting unparseable values last in ascending order (first to drop from 'highest')."""
    if order.mode == "semver":

        def semver(a: Artifact) -> Any:
            parsed = parse_semver(a.version)
            return (1, parsed.key()) if parsed else (0, natural_key(a.version))

        return semver
    if order.mode == "numeric":
        return lambda a: _numeric_key(a.version)
    if order.mode == "lexical":
        return lambda a: a.version
    if order.mode == "natural":
        return lambda a: natural_key(a.version)
    name = order.attribute

    def attribute(a: Artifact) -> Any:
        value = a.metadata.get(name)
        if value is None:
            return (0, (), "")
        numeric = _numeric_key(value)
        return (1, (numeric[1],) if numeric[0] else (), natural_key(value))

    return attribute


def ordered(artifacts: Sequence[Artifact], order: Order) -> list[Artifact]:
    """``artifacts`` sorted by ``order`` (stable: equal keys keep the script's order)."""
    if order.mode == "output":
        return list(artifacts)
    if order.mode == "attr" and artifacts and not any(order.attribute in a.metadata for a in artifacts):
        raise _usage(f"--order attr:{order.attribute}: no artifact has metadata {order.attribute!r}")
    return sorted(artifacts, key=sort_key(order), reverse=order.descending)


# -- ranges ---------------------------------------------------------------------------------------

_COMPARATOR = re.compile(r"^(>=|<=|>|<|=|\^|~)?\s*(.+)$")


class Range(NamedTuple):
    """A parsed ``--semver`` range: comparators all of which a version must meet."""

    text: str
    comparators: tuple[tuple[str, SemVer, int], ...]  # (op, version, parts given)
    allow_pre: bool

    def admits(self, version: SemVer | None) -> bool:
        if version is None:
            return False
        if version.pre and not self.allow_pre:
            return False
        key = version.key()
        return all(_satisfies(key, version, op, bound, given) for op, bound, given in self.comparators)


def _release_key(v: SemVer) -> tuple[Any, ...]:
    return SemVer(v.major, v.minor, v.patch, ()).key()


def _satisfies(key: tuple[Any, ...], version: SemVer, op: str, bound: SemVer, given: int) -> bool:
    b = bound.key()
    if op == ">=":
        return key >= b
    if op == ">":
        return key > b
    if op == "<=":
        return key <= b
    if op == "<":
        # "<2" excludes 2.0.0's pre-releases too, as npm and Renovate read it.
        return key < b and not (version.pre and _release_key(version) == _release_key(bound))
    if op == "^":
        upper = (
            SemVer(bound.major + 1, 0, 0, ())
            if bound.major
            else SemVer(0, bound.minor + 1, 0, ())
            if bound.minor or given < 3
            else SemVer(0, 0, bound.patch + 1, ())
        )
        return b <= key < upper.key()
    if op == "~":
        upper = SemVer(bound.major, bound.minor + 1, 0, ()) if given >= 2 else SemVer(bound.major + 1, 0, 0, ())
        return b <= key < upper.key()
    # "=" or bare: the parts given must match (1.2 matches 1.2.x)
    fields = (version.major, version.minor, version.patch)[:given]
    return fields == (bound.major, bound.minor, bound.patch)[:given] and (given < 3 or version.pre == bound.pre)


def parse_range(text: str, *, allow_pre: bool = False) -> Range:
    """Space-separated comparators, all of which must hold: ``>=1.2 <2``, ``^1.4``, ``~2.3``, ``1.2``."""
    comparators = []
    for token in text.replace(",", " ").split():
        match = _COMPARATOR.match(token)
        bound = parse_semver(match.group(2)) if match else None
        if match is None or bound is None:
            raise _usage(f"--semver {text!r}: cannot read {token!r}; use e.g. '>=1.2 <2', '^1.4', '~2.3'")
        given = match.group(2).lstrip("vV").split("-")[0].split("+")[0].count(".") + 1
        comparators.append((match.group(1) or "=", bound, given))
    if not comparators:
        raise _usage("--semver needs a range, e.g. '>=1.2 <2'")
    return Range(text, tuple(comparators), allow_pre or any(b.pre for _, b, _ in comparators))


def in_range(artifacts: Sequence[Artifact], semver_range: Range) -> list[Artifact]:
    """The artifacts whose version lies in ``semver_range`` (versions that are not semver never do)."""
    return [a for a in artifacts if semver_range.admits(parse_semver(a.version))]
