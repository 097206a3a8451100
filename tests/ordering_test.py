"""Ordering beyond Harness, against tricky version lists."""

from __future__ import annotations

from pathlib import Path

import pytest

import customsrc
from customsrc.errors import UsageError
from customsrc.mapping import Artifact
from customsrc.ordering import Order, in_range, natural_key, ordered, parse_order, parse_range, parse_semver

from .helpers import payload_script, source_doc, write_yaml


def arts(*versions: str, **meta: list[str]) -> list[Artifact]:
    return [Artifact(v, {k: vals[i] for k, vals in meta.items()}, i) for i, v in enumerate(versions)]


def names(artifacts: list[Artifact]) -> list[str]:
    return [a.version for a in artifacts]


def test_natural_puts_1_10_after_1_9() -> None:
    assert names(ordered(arts("1.9", "1.10", "1.2"), parse_order("natural"))) == ["1.10", "1.9", "1.2"]
    assert names(ordered(arts("1.9", "1.10", "1.2"), parse_order("lexical"))) == ["1.9", "1.2", "1.10"]
    assert natural_key("build-9") < natural_key("build-10")


def test_semver_precedence() -> None:
    versions = [
        "1.0.0",
        "1.0.0-rc.1",
        "1.0.0-alpha",
        "1.0.0-alpha.1",
        "1.0.0-beta.11",
        "1.0.0-beta.2",
        "v2.0.0",
        "0.9.12",
        "1.0.0+build.7",
    ]
    got = names(ordered(arts(*versions), parse_order("semver:asc")))
    assert got == [
        "0.9.12",
        "1.0.0-alpha",
        "1.0.0-alpha.1",
        "1.0.0-beta.2",
        "1.0.0-beta.11",
        "1.0.0-rc.1",
        "1.0.0",
        "1.0.0+build.7",
        "v2.0.0",
    ]


def test_semver_puts_unparseable_versions_last_when_descending() -> None:
    got = names(ordered(arts("latest", "1.2.0", "nightly-2026", "v1.10.0"), parse_order("semver")))
    assert got[:2] == ["v1.10.0", "1.2.0"]
    assert set(got[2:]) == {"latest", "nightly-2026"}


def test_build_metadata_is_ignored_for_precedence() -> None:
    assert parse_semver("1.0.0+abc").key() == parse_semver("1.0.0+xyz").key()  # type: ignore[union-attr]
    assert parse_semver("1.2") == parse_semver("1.2.0")
    assert parse_semver("01.2.3") is None


def test_numeric_and_dates_by_attribute() -> None:
    assert names(ordered(arts("10", "9", "100", "x"), parse_order("numeric"))) == ["100", "10", "9", "x"]
    dated = arts("a", "b", "c", modified=["2026-01-05T10:00:00Z", "2026-11-20T09:00:00Z", "2025-12-31T23:59:59Z"])
    assert names(ordered(dated, parse_order("attr:modified"))) == ["b", "a", "c"]
    sized = arts("a", "b", "c", size=["900", "10000", "95"])
    assert names(ordered(sized, parse_order("attr:size:asc"))) == ["c", "a", "b"]


@pytest.mark.parametrize(
    ("spec", "kept"),
    [
        (">=1.2 <2", ["1.2.0", "1.9.9", "v1.10.0"]),
        ("^1.4", ["1.9.9", "v1.10.0"]),
        ("~1.2", ["1.2.0"]),
        ("1.2", ["1.2.0"]),
        ("^0.3", ["0.3.5"]),
        (">2", ["2.0.1"]),
    ],
)
def test_ranges_exclude_prereleases_unless_asked(spec: str, kept: list[str]) -> None:
    pool = arts("1.2.0", "1.9.9", "v1.10.0", "2.0.0-rc.1", "2.0.1", "0.3.5", "1.5.0-beta", "junk")
    assert sorted(names(in_range(pool, parse_range(spec)))) == sorted(kept)


def test_prereleases_when_asked() -> None:
    pool = arts("1.5.0-beta", "1.5.0", "2.0.0-rc.1")
    assert names(in_range(pool, parse_range(">=1.5.0-alpha <2"))) == ["1.5.0-beta", "1.5.0"]
    # A pre-release precedes its release: >=1.5 does not admit 1.5.0-beta.
    assert names(in_range(pool, parse_range(">=1.5 <2", allow_pre=True))) == ["1.5.0"]
    assert names(in_range(pool, parse_range(">=1.4 <2", allow_pre=True))) == ["1.5.0-beta", "1.5.0"]
    assert names(in_range(pool, parse_range(">=1.5", allow_pre=True))) == ["1.5.0", "2.0.0-rc.1"]
    assert names(in_range(pool, parse_range(">=1.5"))) == ["1.5.0"]


@pytest.mark.parametrize("bad", ["bogus", "attr:", "output:desc", "semver:sideways"])
def test_bad_orders(bad: str) -> None:
    with pytest.raises(UsageError):
        parse_order(bad)


def test_bad_range() -> None:
    with pytest.raises(UsageError, match="cannot read"):
        parse_range(">=one")


def test_order_describe() -> None:
    assert parse_order("semver") == Order("semver", True)
    assert parse_order("attr:lastModified:asc").describe() == "attr:lastModified ascending"


PAYLOAD = {"items": [{"version": v} for v in ["1.9.0", "1.10.0", "2.0.0-rc.1", "v1.2.3", "1.10.0-beta"]]}


def fetch(tmp_path: Path, **kw: object) -> customsrc.FetchResult:
    spec_version = kw.pop("spec_version", "<+lastPublished.tag>")
    regex = kw.pop("regex", None)
    path = write_yaml(
        tmp_path / "s.yaml", source_doc(payload_script(PAYLOAD), version=spec_version, version_regex=regex)
    )  # type: ignore[arg-type]
    return customsrc.fetch(path, **kw)  # type: ignore[arg-type]


def test_harness_choice_is_unchanged_without_options(tmp_path: Path) -> None:
    result = fetch(tmp_path)
    assert result.selected is not None and result.selected.version == "1.9.0"
    assert result.warnings == []


def test_latest_by_semver_excludes_prereleases_and_warns(tmp_path: Path) -> None:
    result = fetch(tmp_path, latest=True, semver=">=1")
    assert result.selected is not None and result.selected.version == "1.10.0"
    assert names(result.artifacts) == ["1.10.0", "1.9.0", "v1.2.3"]
    assert any("where Harness would choose '1.9.0'" in w for w in result.warnings)


def test_latest_with_regex_and_natural_default(tmp_path: Path) -> None:
    result = fetch(tmp_path, latest=True, regex=r"^1\.")
    assert result.selected is not None and result.selected.version == "1.10.0-beta"  # natural: "1.10.0-beta" > "1.10.0"
    result = fetch(tmp_path, latest=True, regex=r"^1\.", order="semver")
    assert result.selected is not None and result.selected.version == "1.10.0"


def test_order_changes_the_first_match(tmp_path: Path) -> None:
    result = fetch(tmp_path, order="semver")
    assert result.selected is not None and result.selected.version == "2.0.0-rc.1"
    assert any("Harness would choose '1.9.0'" in w for w in result.warnings)


def test_same_choice_no_warning(tmp_path: Path) -> None:
    result = fetch(tmp_path, order="output")
    assert result.warnings == []


def test_empty_range_is_no_version(tmp_path: Path) -> None:
    with pytest.raises(customsrc.NoMatchingVersion, match="no version left"):
        fetch(tmp_path, latest=True, semver=">=9")
