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


def test_deep_nesting_is_a_clean_error() -> None:
    with pytest.raises(ResultError, match="nested too deeply"):
        parse_payload(b"[" * 100_000 + b"]" * 100_000)


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
