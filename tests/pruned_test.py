"""The pruned reader (decode only what the paths read) gives exactly what the exact way gives, or
steps aside: never a different outcome."""

from __future__ import annotations

import json
import random
from pathlib import Path
from typing import Any

import pytest

from customsrc import payload as payload_module
from customsrc import pruned, replay
from customsrc.errors import ResultError
from customsrc.mapping import MappingResult, PathMapping
from customsrc.payload import parse_payload
from customsrc.pruned import pruned_reader

from .helpers import source_doc, write_yaml
from .oracle_test import case


def exact(data: bytes, mapping: PathMapping) -> MappingResult | str:
    try:
        return mapping.apply(parse_payload(data).value)
    except ResultError as exc:
        return f"error: {exc}"


def summary(result: MappingResult) -> dict[str, Any]:
    return {
        "artifacts": [tuple(a) for a in result.artifacts],
        "count": result.item_count,
        "skipped": result.skipped,
        "duplicates": result.duplicates,
        "warnings": result.warnings,
    }


def test_pruned_reading_equals_the_exact_way_on_random_payloads(tmp_path: Path) -> None:
    rng = random.Random(20261127)
    taken = stepped_aside = 0
    for i in range(3000):
        c = case(rng, tmp_path / f"p{i}.json")
        data = Path(c["file"]).read_bytes()
        mapping = PathMapping(c["array"], c["version"], [tuple(a) for a in c["attrs"]])  # type: ignore[misc]
        reader = pruned_reader(mapping)
        assert reader is not None  # only a wildcard in the array path needs the whole value
        holder = [data]
        got = reader.map(holder)
        want = exact(data, mapping)
        if got is None:
            stepped_aside += 1
            assert holder in ([data], [])  # left as it was, or let go of (the caller reads again)
            continue
        taken += 1
        assert not isinstance(want, str), (c, data, want)
        assert summary(got) == summary(want), (c, data)
    # Both branches must be exercised substantially, or the comparison proves little.
    assert taken > 400
    assert stepped_aside > 400


PAYLOADS = {
    "byte-order mark": b'\xef\xbb\xbf{"items": [{"version": "1"}]}',
    "trailing data": b'{"items": [{"version": "1"}]} trailing',
    "bad UTF-8 in an unread field": b'{"items": [{"version": "1", "note": "\xff"}]}',
    "lone surrogate in an unread field": b'{"items": [{"version": "1", "note": "\\ud800"}]}',
    "number beyond a double": b'{"items": [{"version": "1", "size": 1e400}]}',
    "NaN in an unread field": b'{"items": [{"version": "1", "size": NaN}]}',
    "null on the way": b'{"items": null}',
    "object for the array": b'{"items": {"a": {"version": "1"}}}',
    "key read twice, types differ": b'{"items": [{"version": 1, "version": "2"}]}',
    "escaped key": b'{"items": [{"vers\\u0069on": "3"}]}',
    "missing version": b'{"items": [{"name": "x"}]}',
    "numeric version": b'{"items": [{"version": 7}]}',
    "empty list": b'{"items": []}',
    "deep unread value": b'{"items": [{"version": "1", "deep": ' + b"[" * 5000 + b"]" * 5000 + b"}]}",
}


@pytest.mark.parametrize("name", PAYLOADS)
def test_odd_payloads_are_read_exactly(name: str) -> None:
    data = PAYLOADS[name]
    mapping = PathMapping("$.items", "version", [])
    reader = pruned_reader(mapping)
    assert reader is not None
    got = reader.map([data])
    want = exact(data, mapping)
    if got is not None:
        assert not isinstance(want, str), want
        assert summary(got) == summary(want)
    else:
        assert name not in ("escaped key", "empty list", "byte-order mark")


def test_utf8_is_checked_across_chunk_boundaries(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(pruned, "_CHUNK", 3)
    mapping = PathMapping("$", "v", [("note", "note")])
    reader = pruned_reader(mapping)
    assert reader is not None
    good = json.dumps([{"v": "é✓", "note": "ü€"}], ensure_ascii=False).encode()
    result = reader.map([good])
    assert result is not None
    assert [tuple(a)[:2] for a in result.artifacts] == [("é✓", {"note": "ü€"})]
    assert reader.map([good.replace("€".encode(), b"\xe2\x82")]) is None  # a cut character


def test_only_a_wildcard_in_the_array_path_needs_the_whole_value() -> None:
    assert pruned_reader(PathMapping("$.items[*]", "version", [])) is None
    assert pruned_reader(PathMapping("$.*.items", "version", [])) is None


NEXUS = [
    {"version": "1.0", "assets": [{"downloadUrl": "https://x/1", "path": "a/1", "checksum": {"sha1": "ab"}}]},
    {"version": "1.1", "assets": [{"downloadUrl": "https://x/2", "path": "a/2"}, {"path": "b/2"}]},
    {"version": None, "assets": []},
    {"version": "1.2", "assets": {"first": {"path": "c/3"}}},
]


@pytest.mark.parametrize(
    "attrs",
    [
        [("all", "assets[*].path")],  # a wildcard: kept whole from there, mapped the exact way
        [("whole", "assets"), ("first", "assets[0].downloadUrl")],  # one path ends where another goes on
        [("key", "assets.first"), ("index", "assets[0].path")],  # a key and an index of one place
        [("sum", "assets[0].checksum")],  # an object, as Java prints it
    ],
)
def test_paths_through_a_whole_value_map_exactly(attrs: list[tuple[str, str]]) -> None:
    mapping = PathMapping("$.items", "version", attrs)
    reader = pruned_reader(mapping)
    assert reader is not None
    for items in (NEXUS[:1], NEXUS[:2], NEXUS[:3], NEXUS):
        data = json.dumps({"items": items}).encode()
        got, want = reader.map([data]), exact(data, mapping)
        if got is None:
            assert isinstance(want, str)  # only a failure is left to the exact way
        else:
            assert summary(got) == summary(want)


def test_a_source_is_read_the_pruned_way(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """With the exact mapper disabled, a plain Nexus-shaped payload still maps: the pruned way ran.
    Control: a payload with trailing data needs the exact way, and reaches the disabled mapper."""
    doc = source_doc("true\n", array="$.items", version_path="version")
    doc["spec"]["scripts"]["fetchAllArtifacts"]["attributes"] = [
        {"name": "url", "type": "String", "value": "assets[0].downloadUrl"}
    ]
    source = write_yaml(tmp_path / "source.yaml", doc)
    items = [{"version": f"1.{n}", "assets": [{"downloadUrl": f"https://x/{n}", "sha1": "ab"}]} for n in range(3)]
    payload = tmp_path / "payload.json"
    payload.write_text(json.dumps({"items": items, "continuationToken": None}))

    def disabled(self: PathMapping, value: Any, **_: Any) -> MappingResult:
        raise AssertionError("the exact mapper ran")

    monkeypatch.setattr(PathMapping, "apply", disabled)
    monkeypatch.setattr(payload_module, "PRUNE_MIN_BYTES", 0)
    result = replay(source, payload, choose=False)
    assert [(a.version, a.metadata) for a in result.artifacts] == [
        (f"1.{n}", {"url": f"https://x/{n}"}) for n in range(3)
    ]
    payload.write_text(json.dumps({"items": items}) + " trailing")
    with pytest.raises(AssertionError, match="the exact mapper ran"):
        replay(source, payload, choose=False)
