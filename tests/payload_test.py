from __future__ import annotations

import os
from pathlib import Path

import pytest

from customsrc.errors import ResultError
from customsrc.payload import parse_payload, read_result_bytes


def test_bom_is_accepted() -> None:
    assert parse_payload(b"\xef\xbb\xbf[1]").value == [1]


def test_utf16_is_accepted_like_jackson() -> None:
    assert parse_payload('{"a": "é"}'.encode("utf-16")).value == {"a": "é"}


def test_trailing_content_is_ignored_with_a_warning() -> None:
    payload = parse_payload(b'{"items": []}\ncurl: (22) error\n')
    assert payload.value == {"items": []}
    assert len(payload.warnings) == 1
    assert "ignored" in payload.warnings[0]
    assert "line 2, column 1" in payload.warnings[0]


def test_trailing_whitespace_is_not_a_warning() -> None:
    assert parse_payload(b"[1]\n\n  ").warnings == []


@pytest.mark.parametrize(
    "data",
    [b"", b"   \n", b"[1,]", b'{"a": 1 // c\n}', b"[NaN]", b"[Infinity]", b"<html>502</html>", b"123abc", b"{'a': 1}"],
)
def test_invalid_json_is_an_error(data: bytes) -> None:
    with pytest.raises(ResultError) as info:
        parse_payload(data)
    assert info.value.exit_code == 5


def test_html_error_page_gets_a_hint() -> None:
    with pytest.raises(ResultError, match="curl --fail"):
        parse_payload(b"<html><body>502 Bad Gateway</body></html>")


def test_empty_file_message_names_the_variable() -> None:
    with pytest.raises(ResultError, match="HARNESS_ARTIFACT_RESULT_PATH"):
        parse_payload(b"")


def test_deep_nesting_in_the_exact_parser_is_a_clean_error() -> None:
    # The trailing text sends it down the standard library's path.
    with pytest.raises(ResultError, match="nested too deeply"):
        parse_payload(b"[" * 100_000 + b"]" * 100_000 + b" x")


def test_deep_payload_is_a_clean_error_on_the_fast_path_too() -> None:
    with pytest.raises(ResultError, match=r"nested too deeply|not valid JSON"):
        parse_payload(b'[{"v": "1", "a": ' + b"[" * 200_000 + b"]" * 200_000 + b"}]")


def test_deep_value_is_a_clean_mapping_error() -> None:
    """A backstop for values deep enough to exhaust recursion while mapping (e.g. Java text)."""
    from customsrc.mapping import Mapping

    deep: list[object] = []
    for _ in range(5000):
        deep = [deep]
    with pytest.raises(ResultError, match="nested too deeply"):
        Mapping("$", "v", [("a", "a")]).apply([{"v": "1", "a": deep}])


def test_missing_file(tmp_path: Path) -> None:
    with pytest.raises(ResultError) as info:
        read_result_bytes(str(tmp_path / "nope"))
    assert info.value.kind == "result_missing"


def test_symlink_is_not_followed(tmp_path: Path) -> None:
    secret = tmp_path / "secret"
    secret.write_text('["top secret"]')
    link = tmp_path / "result"
    link.symlink_to(secret)
    with pytest.raises(ResultError, match="symlink") as info:
        read_result_bytes(str(link))
    assert "top secret" not in info.value.message


def test_fifo_is_refused_without_blocking(tmp_path: Path) -> None:
    fifo = tmp_path / "fifo"
    os.mkfifo(fifo)
    with pytest.raises(ResultError, match="not a regular file"):
        read_result_bytes(str(fifo))


def test_size_cap(tmp_path: Path) -> None:
    big = tmp_path / "big"
    big.write_bytes(b"[" + b"1," * 1000 + b"1]")
    with pytest.raises(ResultError, match="over the 100-byte cap"):
        read_result_bytes(str(big), max_size=100)
    assert read_result_bytes(str(big), max_size=10_000).startswith(b"[1,")


@pytest.mark.parametrize(
    ("data", "expected"),
    [
        (b'{"a": 123456789012345678901234567890}', True),
        (b"[1234567890123456789]", True),
        (b"1234567890123456789", True),
        (b'{"a":-9223372036854775809}', True),
        (b'{"a": [1, \n  1234567890123456789]}', True),
        (b'{"sha1": "da39a3ee5e6b4b0d3255bfef95601890afd80709"}', False),
        (b'{"s": "1234567890123456789012"}', False),
        (b'{"s": "x1234567890123456789012"}', False),
        (b'{"n": 123456789012345678}', False),
    ],
)
def test_big_integer_detection(data: bytes, expected: bool) -> None:
    from customsrc.payload import may_hold_big_integer

    assert may_hold_big_integer(data) is expected


@pytest.mark.parametrize(
    "data",
    [
        b'{"a": 123456789012345678901234567890, "b": [1.5, -0.0, 1E2, "\\u00e9"]}',
        b'["\\ud800", 1]',
        b"[1e400]",
        b'\xef\xbb\xbf{"a": {"b": [true, false, null]}}',
        b'{"a": 1, "a": 2, "b": 3}',
        b'{"items": []} trailing',
        '{"é": "ü"}'.encode("utf-16"),
    ],
)
def test_fast_and_exact_parsers_agree(data: bytes, monkeypatch: pytest.MonkeyPatch) -> None:
    """Whichever parser runs, the value is the standard library's (Jackson-like integers)."""
    import json

    from customsrc import payload as module

    if data.startswith(b"{") or data.startswith(b"["):  # pad past the size where orjson is tried
        data = b" " * module.FAST_PARSE_MIN_BYTES + data
    elif data.startswith(b"\xef\xbb\xbf"):
        data = data[:3] + b" " * module.FAST_PARSE_MIN_BYTES + data[3:]
    value = parse_payload(data).value
    text = data.decode(json.detect_encoding(data)).lstrip("\ufeff").lstrip()
    expected, _ = json.JSONDecoder().raw_decode(text)
    assert value == expected
    assert [type(v) for v in (value.values() if isinstance(value, dict) else value)] == [
        type(v) for v in (expected.values() if isinstance(expected, dict) else expected)
    ]


def test_fast_parser_is_used_only_when_it_limits_depth() -> None:
    from customsrc.payload import _safe_orjson

    orjson = _safe_orjson()
    if orjson is not None:
        with pytest.raises(ValueError):
            orjson.loads(b"[" * 2000 + b"]" * 2000)


def test_large_file_is_read_whole(tmp_path: Path) -> None:
    big = tmp_path / "big"
    payload = b"[" + b'"' + b"x" * (3 << 20) + b'"]'
    big.write_bytes(payload)
    assert read_result_bytes(str(big)) == payload


def test_fast_parser_is_really_used_for_a_large_plain_payload(monkeypatch: pytest.MonkeyPatch) -> None:
    from customsrc import payload as module

    if module._safe_orjson() is None:
        pytest.fail("the installed orjson has no depth limit; install a current orjson")
    calls: list[int] = []
    real = module._fast_parse

    def spy(data: bytes, encoding: str) -> object:
        result = real(data, encoding)
        calls.append(result is not module._NOT_PARSED)
        return result

    monkeypatch.setattr(module, "_fast_parse", spy)
    body = b'{"items": [' + b",".join(b'{"version": "%d"}' % i for i in range(80_000)) + b"]}"
    assert len(body) > module.FAST_PARSE_MIN_BYTES
    assert len(parse_payload(body).value["items"]) == 80_000
    assert calls == [True]
    assert parse_payload(body.replace(b'"1"', b"12345678901234567890123", 1)).value["items"][1]["version"] == (
        12345678901234567890123
    )
    assert calls == [True, False]
