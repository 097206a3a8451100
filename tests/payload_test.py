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


def test_deep_payload_without_trailing_text_is_a_clean_error() -> None:
    with pytest.raises(ResultError, match=r"nested too deeply|not valid JSON"):
        parse_payload(b'[{"v": "1", "a": ' + b"[" * 200_000 + b"]" * 200_000 + b"}]")


def test_deep_value_is_a_clean_mapping_error() -> None:
    """A backstop for values deep enough to exhaust recursion while mapping (e.g. Java text)."""
    from customsrc.mapping import PathMapping

    deep: list[object] = []
    for _ in range(5000):
        deep = [deep]
    with pytest.raises(ResultError, match="nested too deeply"):
        PathMapping("$", "v", [("a", "a")]).apply([{"v": "1", "a": deep}])


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


def test_large_file_is_read_whole(tmp_path: Path) -> None:
    big = tmp_path / "big"
    payload = b"[" + b'"' + b"x" * (3 << 20) + b'"]'
    big.write_bytes(payload)
    assert read_result_bytes(str(big)) == payload


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
def test_values_are_exact(data: bytes) -> None:
    """Big integers stay integers (Jackson keeps a BigInteger), lone surrogates are kept."""
    import json

    value = parse_payload(data).value
    text = data.decode(json.detect_encoding(data)).lstrip("\ufeff")
    expected, _ = json.JSONDecoder().raw_decode(text)
    assert value == expected
    assert [type(v) for v in (value.values() if isinstance(value, dict) else value)] == [
        type(v) for v in (expected.values() if isinstance(expected, dict) else expected)
    ]


def test_read_payload_lets_go_of_the_bytes(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """The raw bytes are freed before the value is built (peak memory of big payloads)."""
    from customsrc import payload as module

    freed: list[bool] = []

    class Raw(bytes):  # a bytes subclass that says when it is freed
        def __del__(self) -> None:
            freed.append(True)

    path = tmp_path / "p.json"
    path.write_bytes(b'{"items": [' + b",".join(b'{"version": "%d"}' % i for i in range(1000)) + b"]}")
    real_read = module.read_result_bytes

    def read(p: str, max_size: int) -> bytes:
        return Raw(real_read(p, max_size))

    alive_while_parsing: list[bool] = []
    real_decode = module.json.JSONDecoder.raw_decode

    def decode(self: object, text: str, idx: int = 0) -> object:
        alive_while_parsing.append(not freed)
        return real_decode(self, text, idx)  # type: ignore[arg-type]

    monkeypatch.setattr(module, "read_result_bytes", read)
    monkeypatch.setattr(module.json.JSONDecoder, "raw_decode", decode)
    assert len(module.read_payload(str(path)).value["items"]) == 1000
    assert alive_while_parsing == [False]
    # Control: parse_payload's caller keeps its own reference, so there the bytes stay alive.
    alive_while_parsing.clear()
    freed.clear()
    held = read(str(path), 1 << 20)
    module.parse_payload(held)
    assert alive_while_parsing == [True]
