"""The exception the generated validators raise (in place of fastjsonschema's own, so that
validating needs no import of the fastjsonschema package)."""

from __future__ import annotations

TYPE_CHECKING = False
if TYPE_CHECKING:
    from typing import Any


class JsonSchemaValueException(ValueError):
    def __init__(
        self, message: str, value: Any = None, name: Any = None, definition: Any = None, rule: Any = None
    ) -> None:
        super().__init__(message)
        self.message = message
        self.value = value
        self.name = name
        self.definition = definition
        self.rule = rule


JsonSchemaValuesException = JsonSchemaValueException
