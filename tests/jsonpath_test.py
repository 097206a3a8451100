from __future__ import annotations

import pytest

from customsrc.jsonpath import (
    Index,
    PathNotFound,
    PathSyntaxError,
    Prop,
    Wildcard,
    compile_absolute,
    compile_relative,
    evaluate,
)


@pytest.mark.parametrize(
    ("text", "tokens"),
    [
        ("$", ()),
        ("items", (Prop("items"),)),
        ("$.items", (Prop("items"),)),
        ("$['items']", (Prop("items"),)),
        ('$["it.ems"]', (Prop("it.ems"),)),
        ("$.a.b[0].c", (Prop("a"), Prop("b"), Index(0), Prop("c"))),
        ("$.items[*]", (Prop("items"), Wildcard())),
        ("$.*", (Wildcard(),)),
    ],
)
def test_compile_absolute(text: str, tokens: tuple[object, ...]) -> None:
    assert compile_absolute(text).tokens == tokens


def test_relative_paths_are_appended_after_a_dot_like_harness() -> None:
    assert compile_relative("version").tokens == (Prop("version"),)
    assert compile_relative("['version']").tokens == (Prop("version"),)
    assert compile_relative("a[0].b").tokens == (Prop("a"), Index(0), Prop("b"))
    # Harness writes root[i].$.version: '$' becomes a property name, which is why it fails.
    assert compile_relative("$.version").tokens == (Prop("$"), Prop("version"))


@pytest.mark.parametrize(
    ("text", "what"),
    [
        ("$.items[?(@.a)]", "filters"),
        ("$..version", "deep scan"),
        ("$.items[0:2]", "slices"),
        ("$.items[0,1]", "unions"),
        ("$.items.length()", "functions"),
    ],
)
def test_unsupported_syntax_is_refused_by_name(text: str, what: str) -> None:
    with pytest.raises(PathSyntaxError, match=what):
        compile_absolute(text)


def test_definite_path_with_no_result_raises_no_results() -> None:
    with pytest.raises(PathNotFound) as info:
        evaluate(compile_absolute("$.a.b"), {"a": {}})
    assert info.value.message == "No results for path: $['a']['b']"


def test_missing_non_leaf_raises_missing_property() -> None:
    with pytest.raises(PathNotFound) as info:
        evaluate(compile_absolute("$.a.b"), {})
    assert info.value.message == "Missing property in path $['a']"


def test_index_on_object_raises_while_definite() -> None:
    with pytest.raises(PathNotFound) as info:
        evaluate(compile_absolute("$.a[0]"), {"a": {"k": 1}})
    assert "can only be applied to arrays" in info.value.message


def test_after_a_wildcard_missing_keys_are_skipped() -> None:
    path = compile_absolute("$.items[*].name")
    assert evaluate(path, {"items": [{"name": "a"}, {}, {"name": "c"}, 3]}) == ["a", "c"]


def test_wildcard_over_object_yields_values_and_over_scalar_nothing() -> None:
    path = compile_absolute("$.x[*]")
    assert evaluate(path, {"x": {"a": 1, "b": 2}}) == [1, 2]
    assert evaluate(path, {"x": "text"}) == []
    assert evaluate(path, {"x": None}) == []


def test_negative_indexes_are_refused_because_jayway_versions_disagree() -> None:
    with pytest.raises(PathSyntaxError, match="negative index"):
        compile_absolute("$[-1]")


def test_out_of_range_index() -> None:
    with pytest.raises(PathNotFound):
        evaluate(compile_absolute("$[5]"), [1, 2, 3])
