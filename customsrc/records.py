"""``NamedTuple`` records without importing ``typing`` at run time.

Importing typing costs several milliseconds here, a real share of a trivial fetch. Modules write

    TYPE_CHECKING = False
    if TYPE_CHECKING:
        from typing import NamedTuple
    else:
        from .records import NamedTuple

so the type checker sees ``typing.NamedTuple`` while the interpreter builds the same class from
``collections.namedtuple``, reading the field names (and trailing defaults) from the class's own
annotations, which ``from __future__ import annotations`` leaves as plain strings.
"""

from __future__ import annotations

import collections


class _RecordMeta(type):
    def __new__(mcls, name: str, bases: tuple[type, ...], namespace: dict[str, object]) -> type:
        if not bases:
            return super().__new__(mcls, name, bases, namespace)
        annotations = namespace.get("__annotations__", {})
        assert isinstance(annotations, dict)
        fields = tuple(annotations)
        defaults = tuple(namespace[f] for f in fields if f in namespace)
        module = str(namespace.get("__module__"))
        base = collections.namedtuple(name, fields, defaults=defaults or None, module=module)  # type: ignore[misc]
        body = {k: v for k, v in namespace.items() if k not in fields}
        body.setdefault("__slots__", ())
        return type(name, (base,), body)


class NamedTuple(metaclass=_RecordMeta):
    """Subclass me as you would ``typing.NamedTuple``."""
