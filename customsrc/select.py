"""Choosing a version: Harness's rule (``choose``), or beyond it (``--order``, ``--semver``,
``--latest``) with a warning whenever the choice differs from Harness's. Shared by ``fetch`` and
``replay``, so a recorded payload is chosen from exactly as a live one."""

from __future__ import annotations

from .choose import Criterion, choose
from .expressions import artifact_expressions
from .mapping import Artifact

TYPE_CHECKING = False
if TYPE_CHECKING:
    from typing import Any, NamedTuple

    from .options import FetchOptions
    from .ordering import Order, Range
    from .result import FetchResult
else:
    from .records import NamedTuple


class Preferences(NamedTuple):
    """Choosing beyond Harness (all off: exactly Harness)."""

    order: Order | None = None
    latest: bool = False
    semver_range: Range | None = None

    @property
    def active(self) -> bool:
        return self.order is not None or self.latest or self.semver_range is not None


def preferences(options: FetchOptions) -> Preferences:
    """The choosing options of ``options``, parsed (a bad order or range is a UsageError)."""
    order, latest, semver = options.order, options.latest, options.semver
    if order is None and not latest and semver is None:
        return Preferences()
    from .ordering import parse_order, parse_range

    parsed = parse_order(order) if order else None
    semver_range = parse_range(semver, allow_pre=options.prereleases) if semver else None
    return Preferences(parsed, latest, semver_range)


def select(result: FetchResult, criterion: Criterion, prefs: Preferences) -> None:
    """Choose from ``result.artifacts``: ``result.selected`` and its expressions."""
    if not prefs.active:
        chosen = choose(result.artifacts, criterion)
    else:
        chosen = _select_beyond_harness(result, criterion, prefs)
    result.selected = chosen
    if chosen is not None:
        result.expressions = artifact_expressions(
            chosen, result.source.identifier, sidecar=result.source.role == "sidecar"
        )


def _select_beyond_harness(result: FetchResult, criterion: Criterion, prefs: Preferences) -> Artifact | None:
    """Filter by range, sort, choose; say so when Harness would have chosen otherwise."""
    from .errors import NoMatchingVersion
    from .ordering import Order, in_range, ordered

    try:
        harness = choose(result.artifacts, criterion)
    except NoMatchingVersion:
        harness = None
    candidates = result.artifacts
    how = []
    if prefs.semver_range is not None:
        candidates = in_range(candidates, prefs.semver_range)
        how.append(f"in semver range {prefs.semver_range.text!r}")
    order = prefs.order or (Order("semver" if prefs.semver_range else "natural", True) if prefs.latest else None)
    if order is not None:
        candidates = ordered(candidates, order)
        how.append(f"ordered {order.describe()}")
    result.artifacts = list(candidates)
    if prefs.latest:
        if criterion.kind == "regex":
            from .choose import matches

            candidates = [a for a in candidates if matches(criterion, a.version)]
        elif criterion.kind == "exact":
            result.warnings.append(f"--latest chooses the highest version; {criterion.describe()} is not used")
        highest = max(candidates, key=_key_for(order), default=None) if order is not None else None
        if highest is None:
            raise NoMatchingVersion(
                f"no version left to choose from ({', '.join(how) or 'none listed'})",
                harness_message=None if harness else "Artifact version not found",
            )
        chosen: Artifact | None = highest
        how.append("the highest chosen (--latest)")
    else:
        chosen = choose(candidates, criterion)
        if criterion.kind == "regex":
            how.append("the first match chosen")
    if chosen is not None and criterion.kind == "none":
        result.warnings.append(
            f"customsrc chose {chosen.version!r} ({'; '.join(how)}); Harness chooses none here: the version is "
            "a runtime input, picked by a person from the list"
        )
    elif chosen is not None and (harness is None or harness.version != chosen.version):
        would = f"{harness.version!r}" if harness else "nothing (the fetch would fail)"
        result.warnings.append(
            f"customsrc chose {chosen.version!r} ({'; '.join(how)}), where Harness would choose {would} "
            f"({criterion.describe()}, in the script's output order)"
        )
    return chosen


def _key_for(order: Order) -> Any:
    from .ordering import sort_key

    key = sort_key(order)
    if order.descending:
        return key
    return lambda a: _Reversed(key(a))


class _Reversed:
    """Inverts comparisons, so max() finds the lowest in an ascending order."""

    __slots__ = ("value",)

    def __init__(self, value: Any) -> None:
        self.value = value

    def __lt__(self, other: _Reversed) -> bool:
        return bool(self.value > other.value)

    def __gt__(self, other: _Reversed) -> bool:
        return bool(self.value < other.value)
