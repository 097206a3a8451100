"""``--query``: a JMESPath expression over the JSON document a command would print, as the AWS CLI
does (``customsrc run s.yaml --query 'artifacts[?metadata.isRelease==`true`].version'``).

The result prints as JSON with ``--format json`` (and as YAML with ``--format yaml``); otherwise a
string prints as itself and a list of scalars one per line, so it reads straight into a shell loop.
jmespath is imported only when a query is given.
"""

from __future__ import annotations

import json

from .errors import UsageError

TYPE_CHECKING = False
if TYPE_CHECKING:
    from typing import Any, TextIO


def compile_query(text: str) -> Any:
    """The compiled expression, or a one-line UsageError saying where it stops making sense."""
    import jmespath
    from jmespath import exceptions

    try:
        return jmespath.compile(text)
    except exceptions.ParseError as exc:
        where = getattr(exc, "lex_position", None)
        at = f" at column {where}" if isinstance(where, int) else ""
        problem = str(getattr(exc, "msg", "") or "not a JMESPath expression").splitlines()[0]
        raise UsageError(f"--query {text!r}: invalid JMESPath{at}: {problem}") from None
    except exceptions.JMESPathError as exc:
        raise UsageError(f"--query {text!r}: {str(exc).splitlines()[0]}") from None


def apply(expression: Any, document: Any) -> Any:
    """``expression`` (compiled) applied to ``document``: None when it finds nothing."""
    from jmespath import exceptions

    try:
        return expression.search(document)
    except exceptions.JMESPathError as exc:  # a type error met while evaluating (e.g. sum of strings)
        raise UsageError(f"--query: {str(exc).splitlines()[0]}") from None


def write(out: TextIO, expression: Any, document: Any, fmt: str) -> None:
    """The query's result on ``out`` (nothing for an empty one), control characters as escapes."""
    from .output import visible

    shown = render(apply(expression, document), fmt)
    if shown:
        out.write(visible(shown) + "\n")
        out.flush()


def render(result: Any, fmt: str) -> str:
    """The query's result as the chosen format prints it (no trailing newline)."""
    if fmt == "yaml":
        import yaml

        text: str = yaml.safe_dump(result, sort_keys=False, allow_unicode=True).rstrip("\n")
        return text
    if fmt == "json":
        return json.dumps(result, ensure_ascii=False)
    if isinstance(result, str):
        return result
    if isinstance(result, list) and all(isinstance(v, (str, int, float, bool)) or v is None for v in result):
        return "\n".join(v if isinstance(v, str) else json.dumps(v) for v in result)
    return json.dumps(result, ensure_ascii=False)
