"""Harness's mapping rules (spec section 3), one test each."""

from __future__ import annotations

from typing import Any

import pytest

from customsrc.errors import ResultError
from customsrc.mapping import PathMapping

NEXUS = {
    "items": [
        {
            "id": "bWF2ZW4tcmVsZWFzZXM6MTM",
            "repository": "maven-releases",
            "format": "maven2",
            "group": "org.example",
            "name": "app",
            "version": "1.0.1",
            "assets": [
                {
                    "downloadUrl": "https://nexus.example/repository/maven-releases/org/example/app/1.0.1/app-1.0.1.jar",
                    "path": "org/example/app/1.0.1/app-1.0.1.jar",
                    "checksum": {"sha1": "ab12", "md5": "cd34"},
                    "fileSize": 1234,
                }
            ],
        },
        {
            "id": "bWF2ZW4tcmVsZWFzZXM6MTQ",
            "repository": "maven-releases",
            "format": "maven2",
            "group": "org.example",
            "name": "app",
            "version": "1.0.0",
            "assets": [
                {
                    "downloadUrl": "https://nexus.example/repository/maven-releases/org/example/app/1.0.0/app-1.0.0.jar",
                    "path": "org/example/app/1.0.0/app-1.0.0.jar",
                    "checksum": {"sha1": "ef56", "md5": "0789"},
                    "fileSize": 1200,
                }
            ],
        },
    ],
    "continuationToken": None,
}


def test_nexus_components_example() -> None:
    mapping = PathMapping(
        "$.items",
        "version",
        [("url", "assets[0].downloadUrl"), ("checksum", "assets[0].checksum"), ("size", "assets[0].fileSize")],
    )
    result = mapping.apply(NEXUS)
    assert [a.version for a in result.artifacts] == ["1.0.1", "1.0.0"]
    assert result.artifacts[0].metadata == {
        "url": "https://nexus.example/repository/maven-releases/org/example/app/1.0.1/app-1.0.1.jar",
        "checksum": "{sha1=ab12, md5=cd34}",
        "size": "1234",
    }
    assert result.warnings == []


@pytest.mark.parametrize("array", ["items", "$.items", "$['items']"])
def test_array_path_with_or_without_dollar(array: str) -> None:
    assert [a.version for a in PathMapping(array, "v", []).apply({"items": [{"v": "1"}]}).artifacts] == ["1"]


def test_top_level_array_is_dollar() -> None:
    assert [a.version for a in PathMapping("$", "v", []).apply([{"v": "a"}, {"v": "b"}]).artifacts] == ["a", "b"]


def test_nested_version_path() -> None:
    payload = {"data": {"list": [{"meta": {"tag": "t1"}}]}}
    assert PathMapping("data.list", "meta.tag", []).apply(payload).artifacts[0].version == "t1"


def fails(mapping: PathMapping, payload: Any) -> ResultError:
    with pytest.raises(ResultError) as info:
        mapping.apply(payload)
    return info.value


def test_missing_array_path_fails_the_fetch() -> None:
    err = fails(PathMapping("$.missing", "v", []), {"items": []})
    assert "artifactsArrayPath '$.missing'" in err.message
    assert "Missing property in path $['missing']" in (err.harness_message or "")


def test_non_empty_object_at_array_path_fails() -> None:
    err = fails(PathMapping("$.items", "v", []), {"items": {"a": {"v": "1"}}})
    assert err.message.startswith("item [0]:")
    assert "can only be applied to arrays" in (err.harness_message or "")


@pytest.mark.parametrize("value", ["text", None, {}, 5])
def test_scalar_or_empty_at_array_path_gives_empty_list_like_jayway(value: Any) -> None:
    result = PathMapping("$.items", "v", []).apply({"items": value})
    assert result.artifacts == []
    assert any("empty" in w for w in result.warnings)


def test_version_path_starting_with_dollar_dot_fails_with_hint() -> None:
    err = fails(PathMapping("$.items", "$.version", []), {"items": [{"version": "1"}]})
    assert "drop the leading '$.'" in err.message
    assert "['$']" in (err.harness_message or "")


def test_any_item_without_the_version_key_fails_the_whole_fetch() -> None:
    err = fails(PathMapping("$.items", "n", []), {"items": [{"n": "1"}, {"x": "2"}]})
    assert err.message == "item [1]: no key 'n' at versionPath 'n'"
    assert "No results for path: $['items'][1]['n']" in (err.harness_message or "")


@pytest.mark.parametrize(
    ("value", "kind"), [(1, "a number"), (1.5, "a number"), (True, "a boolean"), (["1"], "an array")]
)
def test_non_string_version_fails(value: Any, kind: str) -> None:
    err = fails(PathMapping("$", "v", []), [{"v": value}])
    assert f"is {kind}" in err.message
    assert "cannot be cast to class java.lang.String" in (err.harness_message or "")


def test_null_and_empty_versions_are_skipped_with_a_warning() -> None:
    result = PathMapping("$", "v", []).apply([{"v": None}, {"v": ""}, {"v": "1"}])
    assert [a.version for a in result.artifacts] == ["1"]
    assert result.skipped == [0, 1]
    assert sum("without mandatory build number" in w for w in result.warnings) == 2


def test_skipped_items_still_need_their_attributes() -> None:
    # Harness maps every item before skipping: a null version does not excuse a missing attribute.
    err = fails(PathMapping("$", "v", [("u", "u")]), [{"v": None}])
    assert err.message.startswith("item [0]:")


def test_duplicates_keep_the_first_and_warn() -> None:
    result = PathMapping("$", "v", [("n", "n")]).apply(
        [{"v": "1", "n": "a"}, {"v": "2", "n": "b"}, {"v": "1", "n": "c"}]
    )
    assert [(a.version, a.metadata["n"]) for a in result.artifacts] == [("1", "a"), ("2", "b")]
    assert result.duplicates == [(2, 0, "1")]
    assert any("duplicate of version '1' at item [0]" in w for w in result.warnings)


def test_missing_attribute_fails() -> None:
    err = fails(PathMapping("$", "v", [("url", "assets[0].url")]), [{"v": "1", "assets": []}])
    assert (
        err.message
        == "item [0]: no element [0] at $[0]['assets'] (the array has 0) at attribute 'url' path 'assets[0].url'"
    )
    err = fails(PathMapping("$", "v", [("url", "assets[0].url")]), [{"v": "1", "assets": [{}]}])
    assert err.message == "item [0]: no key 'url' at attribute 'url' path 'assets[0].url'"
    err = fails(PathMapping("$", "v", [("url", "assets[0].url")]), [{"v": "1"}])
    assert err.message == "item [0]: no key 'assets' at $[0] at attribute 'url' path 'assets[0].url'"


def test_null_attribute_fails() -> None:
    err = fails(PathMapping("$", "v", [("url", "url")]), [{"v": "1", "url": None}])
    assert err.message == (
        "item [0]: attribute 'url' at 'url' is null: Harness fails the whole fetch on a null attribute"
    )


def test_metadata_is_java_text() -> None:
    payload = [{"v": "1", "n": 3.50, "big": 12345678.0, "o": {"sha1": "ab", "md5": "cd"}, "l": [1, "a"], "t": True}]
    meta = PathMapping("$", "v", [("n", "n"), ("big", "big"), ("o", "o"), ("l", "l"), ("t", "t")]).apply(payload)
    assert meta.artifacts[0].metadata == {
        "n": "3.5",
        "big": "1.2345678E7",
        "o": "{sha1=ab, md5=cd}",
        "l": "[1, a]",
        "t": "true",
    }


def test_wildcard_attribute_gives_java_list_text() -> None:
    payload = [{"v": "1", "assets": [{"u": "a"}, {"x": 1}, {"u": "b"}]}]
    assert PathMapping("$", "v", [("u", "assets[*].u")]).apply(payload).artifacts[0].metadata == {"u": "[a, b]"}


def test_empty_array_warns_and_is_not_an_error() -> None:
    result = PathMapping("$.items", "v", []).apply({"items": []})
    assert result.artifacts == []
    assert result.warnings == ['the artifacts array is empty: no versions (Harness: "Results are empty")']


def test_many_skips_are_summarised() -> None:
    result = PathMapping("$", "v", []).apply([{"v": None}] * 25)
    assert len(result.skipped) == 25
    assert "... and 15 more items skipped for no version" in result.warnings


def test_indefinite_array_path_fails_on_list_valued_version() -> None:
    payload = {"groups": [{"items": [{"v": "1"}]}]}
    err = fails(PathMapping("$.groups[*].items", "v", []), payload)
    assert "is an array" in err.message


def test_compiled_item_mapper_agrees_with_the_exact_path() -> None:
    """The compiled per-item mapper must give what the generic evaluator gives, item by item."""
    import random

    rng = random.Random(7)
    values: list[Any] = ["1", "", None, 3, 2.5, True, [], {}, {"k": "v"}, ["a"], "x"]

    def item() -> Any:
        if rng.random() < 0.05:
            return rng.choice(["s", 1, None, ["v"]])
        out: dict[str, Any] = {}
        if rng.random() < 0.95:
            out["version"] = rng.choice([*values[:3], "2", "3"]) if rng.random() < 0.9 else rng.choice(values)
        if rng.random() < 0.9:
            out["assets"] = rng.choice(
                [[], [{"u": rng.choice(values), "c": {"s": rng.choice(values)}}], "str", None, {"0": 1}]
            )
        return out

    fast = PathMapping("$", "version", [("u", "assets[0].u"), ("s", "assets[0].c.s")])
    exact = PathMapping("$", "version", [("u", "assets[0].u"), ("s", "assets[0].c.s")])
    exact._map_item = None
    assert fast._map_item is not None
    outcomes = set()
    for _ in range(3000):
        payload = [item() for _ in range(rng.randint(1, 3))]
        results = []
        for mapping in (fast, exact):
            try:
                r = mapping.apply(payload)
                results.append(("ok", [(a.version, a.metadata) for a in r.artifacts], r.skipped, r.duplicates))
            except ResultError as exc:
                results.append(("error", exc.message, exc.harness_message))
        assert results[0] == results[1], payload
        outcomes.add(results[0][0])
    assert outcomes == {"ok", "error"}
