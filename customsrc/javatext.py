"""Java ``toString()`` text of a JSON value, as Harness stores metadata.

Jackson maps JSON to ``LinkedHashMap`` / ``ArrayList`` / ``Integer`` / ``Long`` / ``BigInteger`` /
``Double`` / ``Boolean`` / ``String``; Harness calls ``toString()`` on what the path returns. So
``3.50`` is ``3.5``, ``1000.0`` stays ``1000.0``, ``12345678.0`` is ``1.2345678E7`` and an object is
``{sha1=ab, md5=cd}`` — never JSON.
"""

from __future__ import annotations

import math

TYPE_CHECKING = False
if TYPE_CHECKING:
    from typing import Any


def java_double(value: float) -> str:
    """``Double.toString``: decimal for 1e-3 <= |x| < 1e7, else ``d.dddE±n``; shortest digits."""
    if math.isnan(value):
        return "NaN"
    if math.isinf(value):
        return "Infinity" if value > 0 else "-Infinity"
    if value == 0:
        return "-0.0" if math.copysign(1.0, value) < 0 else "0.0"
    sign = "-" if value < 0 else ""
    # repr() gives the shortest digits that round-trip, as Java 19+ does.
    digits, exponent = _shortest_digits(abs(value))
    magnitude = abs(value)
    if 1e-3 <= magnitude < 1e7:
        point = exponent + 1  # digits before the decimal point
        if point <= 0:
            text = "0." + "0" * (-point) + digits
        elif point >= len(digits):
            text = digits + "0" * (point - len(digits)) + ".0"
        else:
            text = digits[:point] + "." + digits[point:]
        return sign + text
    tail = digits[1:] or "0"
    return f"{sign}{digits[0]}.{tail}E{exponent}"


def _shortest_digits(magnitude: float) -> tuple[str, int]:
    """Significant digits (no trailing zeros) and the decimal exponent of the first one."""
    text = repr(magnitude)
    mant, _, exp = text.partition("e")
    exponent = int(exp) if exp else 0
    whole, _, frac = mant.partition(".")
    raw = whole + frac
    stripped = raw.lstrip("0")
    lead_zeros = len(raw) - len(stripped)
    exponent += len(whole) - 1 - lead_zeros
    digits = stripped.rstrip("0") or "0"
    return digits, exponent


def java_text(value: Any) -> str:
    """``String.valueOf`` of the Java object Jackson would have built for ``value``."""
    if isinstance(value, str):
        return value
    if value is None:
        return "null"
    if value is True:
        return "true"
    if value is False:
        return "false"
    if isinstance(value, int):
        return str(value)
    if isinstance(value, float):
        return java_double(value)
    if isinstance(value, dict):
        return "{" + ", ".join(f"{k}={java_text(v)}" for k, v in value.items()) + "}"
    if isinstance(value, list):
        return "[" + ", ".join(java_text(v) for v in value) + "]"
    return str(value)


def java_class(value: Any) -> str:
    """The class Jackson gives a JSON value, as Java's messages name it."""
    if value is None:
        return "null"
    if isinstance(value, bool):
        return "java.lang.Boolean"
    if isinstance(value, int):
        if -(2**31) <= value < 2**31:
            return "java.lang.Integer"
        return "java.lang.Long" if -(2**63) <= value < 2**63 else "java.math.BigInteger"
    if isinstance(value, float):
        return "java.lang.Double"
    if isinstance(value, str):
        return "java.lang.String"
    if isinstance(value, list):
        return "java.util.ArrayList"
    return "java.util.LinkedHashMap"


def json_kind(value: Any) -> str:
    """``a string``, ``a number``, ... for our own messages."""
    if value is None:
        return "null"
    if isinstance(value, bool):
        return "a boolean"
    if isinstance(value, (int, float)):
        return "a number"
    if isinstance(value, str):
        return "a string"
    if isinstance(value, list):
        return "an array"
    return "an object"
