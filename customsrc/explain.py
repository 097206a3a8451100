"""``--explain``: a decision and its reason for every item of the payload."""

from __future__ import annotations

from .choose import Criterion
from .mapping import Artifact, MappingResult

TYPE_CHECKING = False
if TYPE_CHECKING:
    from typing import Any

    from .result import FetchResult
    from .select import Preferences

MAX_ITEMS = 1000


def decisions(
    listed: list[Artifact], result: FetchResult, mapped: MappingResult, criterion: Criterion, prefs: Preferences
) -> dict[str, Any]:
    """Every payload item with what happened to it: skipped, dropped, chosen or merely listed."""
    entries: dict[int, dict[str, Any]] = {}
    for i in mapped.skipped:
        entries[i] = {"decision": "skipped", "reason": "version is null or empty (Harness skips the item)"}
    for i, first, version in mapped.duplicates:
        entries[i] = {
            "version": version,
            "decision": "dropped",
            "reason": f"duplicate of item [{first}] (Harness keeps the first)",
        }
    kept = {a.position for a in result.artifacts}
    chosen = result.selected.position if result.selected else None
    from .choose import matches

    order = prefs.order.describe() if prefs.order else ("semver" if prefs.semver_range else "natural") + " descending"
    where = "in the script's output order" if prefs.order is None and not prefs.latest else f"in {order} order"
    for artifact in listed:
        entry: dict[str, Any] = {"version": artifact.version}
        matched = criterion.kind == "regex" and matches(criterion, artifact.version)
        if prefs.semver_range is not None and artifact.position not in kept:
            entry.update(decision="dropped", reason=f"outside semver range {prefs.semver_range.text!r}")
        elif artifact.position == chosen:
            if prefs.latest:
                reason = f"the highest {where} (--latest)"
            elif criterion.kind == "regex":
                reason = f"the first match of regex {criterion.value!r} {where}"
            else:
                reason = f"equals version {criterion.value!r} ({criterion.origin})"
            entry.update(decision="chosen", reason=reason)
        elif criterion.kind == "regex" and not matched:
            entry.update(decision="dropped", reason=f"regex {criterion.value!r} not found in the version")
        elif criterion.kind == "regex":
            later = "not the highest" if prefs.latest else "not the first match"
            entry.update(decision="listed", reason=f"matches regex {criterion.value!r}, but {later} {where}")
        elif criterion.kind == "exact" and not prefs.latest:
            entry.update(decision="listed", reason=f"not equal to {criterion.value!r}")
        elif prefs.latest:
            entry.update(decision="listed", reason=f"not the highest {where}")
        else:
            entry.update(decision="listed", reason="listed; no version asked for (version is a runtime input)")
        entries[artifact.position] = entry
    ordered = [{"item": i, **entries[i]} for i in sorted(entries)]
    return {"count": len(ordered), "shown": ordered[:MAX_ITEMS], "truncated": max(0, len(ordered) - MAX_ITEMS)}
