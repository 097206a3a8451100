from __future__ import annotations

import pytest

from customsrc.javatext import java_double, java_text


@pytest.mark.parametrize(
    ("value", "text"),
    [
        (3.50, "3.5"),
        (1000.0, "1000.0"),
        (12345678.0, "1.2345678E7"),
        (9999999.0, "9999999.0"),
        (1e7, "1.0E7"),
        (0.001, "0.001"),
        (0.0001, "1.0E-4"),
        (-2.5e-5, "-2.5E-5"),
        (0.0, "0.0"),
        (-0.0, "-0.0"),
        (1e22, "1.0E22"),
        (123.456, "123.456"),
        (float("inf"), "Infinity"),
    ],
)
def test_java_double(value: float, text: str) -> None:
    assert java_double(value) == text


@pytest.mark.parametrize(
    ("value", "text"),
    [
        ("x", "x"),
        (True, "true"),
        (False, "false"),
        (None, "null"),
        (42, "42"),
        (2**70, str(2**70)),
        ({"sha1": "ab", "md5": "cd"}, "{sha1=ab, md5=cd}"),
        ([1, "a", None, 2.0], "[1, a, null, 2.0]"),
        ({"a": [1, {"b": True}]}, "{a=[1, {b=true}]}"),
        ([], "[]"),
        ({}, "{}"),
    ],
)
def test_java_text(value: object, text: str) -> None:
    assert java_text(value) == text
