"""Harness's selection rules (spec section 4)."""

from __future__ import annotations

import pytest

from customsrc.choose import choose, criterion_for
from customsrc.errors import NoMatchingVersion, UsageError
from customsrc.mapping import Artifact

ARTS = [Artifact(v, {}, i) for i, v in enumerate(["1.9", "1.10", "2.0-rc1", "v1.2.3"])]


def pick(spec_version: str, regex: str = "", **kw: str) -> str | None:
    chosen = choose(ARTS, criterion_for(spec_version, regex, **kw))
    return chosen.version if chosen else None


def test_regex_takes_the_first_match_in_output_order_not_the_highest() -> None:
    assert pick("<+input>", r"^1\.") == "1.9"


def test_regex_is_a_substring_search() -> None:
    assert pick("x", "rc") == "2.0-rc1"
    assert pick("x", r"2\.3") == "v1.2.3"


def test_last_published_means_first_item() -> None:
    assert pick("<+lastPublished.tag>") == "1.9"


def test_last_published_with_regex() -> None:
    assert pick('<+lastPublished.tag>.regex("^v")') == "v1.2.3"
    assert pick("<+lastPublished.tag>.regex(10)") == "1.10"


def test_exact_version() -> None:
    assert pick("1.10") == "1.10"


def test_exact_is_not_a_prefix_match() -> None:
    with pytest.raises(NoMatchingVersion) as info:
        pick("1.1")
    assert info.value.harness_message == "Artifact version not found"
    assert info.value.exit_code == 6


def test_runtime_input_lists_without_choosing() -> None:
    assert pick("<+input>") is None


def test_overrides_win() -> None:
    assert pick("1.9", override_version="1.10") == "1.10"
    assert pick("1.9", r"^1", override_regex="rc") == "2.0-rc1"


def test_no_regex_match() -> None:
    with pytest.raises(NoMatchingVersion, match="no version matches regex"):
        pick("x", "^9")


def test_invalid_regex_is_usage_error() -> None:
    with pytest.raises(UsageError, match="Java rejects the regular expression"):
        criterion_for("x", "(")


def test_other_expressions_need_an_override() -> None:
    with pytest.raises(UsageError, match="pass --version"):
        criterion_for("<+pipeline.variables.v>", "")
