"""Validating the payload before it is mapped: what Harness requires, and the source's own schema."""

from __future__ import annotations

from .errors import ResultError
from .schemacheck import instance_errors, payload_errors

TYPE_CHECKING = False
if TYPE_CHECKING:
    from typing import Any

    from .spec import Source


def check_payload(source: Source, value: Any) -> None:
    """Harness's one rule (an object or array), then the source's own ``payloadSchema``."""
    problem = payload_errors(value)
    if problem:
        raise ResultError(
            f"the result is not an object or array{problem}",
            reason="the script output is not a JSON object or array",
            kind="schema",
        )
    if source.payload_schema is not None:
        try:
            problem = instance_errors(source.payload_schema, value, prefix=())
        except RecursionError:
            raise ResultError("the result is nested too deeply to check against its schema", kind="schema") from None
        if problem:
            raise ResultError(
                f"the result does not match the source's payload schema: payload{problem}",
                kind="schema",
            )
