"""Rendering a source for one run: input values, secrets and ``<+...>`` expressions.

Harness renders every ``<+...>`` expression in the script before it runs; so do we, but an
expression we cannot know (``<+pipeline.name>``) is an error naming it, unless given with
``--expr``. ``<+secrets.getValue("name")>`` takes the secret from what the caller supplied.
"""

from __future__ import annotations

import re
from collections.abc import Mapping

from .errors import ExpressionError, InputError, SecretError
from .spec import Source

# Patterns are compiled on first use (re caches them), not at import: start-up time matters.
_EXPRESSION = r"<\+((?:[^<>\"']|\"[^\"]*\"|'[^']*')*)>"
_GETVALUE_PATTERN = r"""^secrets\.getValue\(\s*(?:"([^"]*)"|'([^']*)')\s*\)$"""
_TEMPLATE_VAR = r"^template\.variables\.([A-Za-z_][A-Za-z0-9_]*)$"
ENV_SECRET_PREFIX = "CUSTOMSRC_SECRET_"  # noqa: S105 - a variable-name prefix


class Rendered:
    """What a run needs: the script text, the input environment and every value to mask."""

    __slots__ = ("env", "script", "secret_values")

    def __init__(self, script: str, env: dict[str, str], secret_values: list[str]) -> None:
        self.script = script
        self.env = env
        self.secret_values = secret_values


def secret_env_key(name: str) -> str:
    """``CUSTOMSRC_SECRET_<NAME>``: the name upper-cased, other characters turned into ``_``."""
    return ENV_SECRET_PREFIX + re.sub(r"[^A-Za-z0-9]", "_", name).upper()


def secrets_from_environ(environ: Mapping[str, str]) -> dict[str, str]:
    """The ``CUSTOMSRC_SECRET_*`` variables, keyed by their full variable name."""
    return {k: v for k, v in environ.items() if k.startswith(ENV_SECRET_PREFIX)}


def lookup_secret(name: str, secrets: Mapping[str, str]) -> str | None:
    """A secret by its Harness identifier: exactly, without an ``account.``/``org.`` scope, or as
    its ``CUSTOMSRC_SECRET_<NAME>`` key."""
    candidates = [name]
    for scope in ("account.", "org.", "project."):
        if name.startswith(scope):
            candidates.append(name[len(scope) :])
    for candidate in candidates:
        if candidate in secrets:
            return secrets[candidate]
    for candidate in candidates:
        key = secret_env_key(candidate)
        if key in secrets:
            return secrets[key]
    return None


# A Harness secret reference: an identifier, optionally scoped to the account or the organisation.
SECRET_REFERENCE = re.compile(r"(?:(?:account|org|project)\.)?[A-Za-z_][A-Za-z0-9_$]{0,127}\Z")


def _missing_secret(name: str, where: str) -> SecretError:
    bare = name.split(".", 1)[1] if name.startswith(("account.", "org.", "project.")) else name
    said = f"secret {name!r} ({where}) was not supplied"
    return SecretError(
        f"{said}; pass it in secrets= as {bare!r}, or set {secret_env_key(bare)} in the environment",
        cli_message=f"{said}; pass --secret {bare} (its value is then read from standard input), a "
        f"--secrets-file line {bare}=VALUE, or set {secret_env_key(bare)}",
    )


def _secret_input(name: str, reference: str, secrets: Mapping[str, str]) -> str:
    """The value of the secret a ``Secret`` input names, as Harness resolves it: the input's value
    is a secret's identifier, never the secret itself."""
    if not SECRET_REFERENCE.match(reference):
        # Not an identifier: most likely the secret itself was given. Never repeat it.
        said = (
            f"input {name} is a Secret input: its value names a secret (an identifier such as "
            f"{name.lower()}, optionally account. or org. scoped), it does not hold one"
        )
        raise SecretError(
            f"{said}; pass inputs={{{name!r}: {name.lower()!r}}} with secrets={{{name.lower()!r}: ...}}",
            cli_message=f"{said}; pass --input {name}={name.lower()} with --secret {name.lower()} "
            "(read from standard input)",
        )
    value = lookup_secret(reference, secrets)
    if value is None:
        raise _missing_secret(reference, f"named by Secret input {name}")
    return value


class _Renderer:
    def __init__(self, source: Source, secrets: Mapping[str, str], expressions: Mapping[str, str]) -> None:
        self.source = source
        self.secrets = secrets
        self.expressions = {_normalise(k): v for k, v in expressions.items()}
        self.used_secrets: list[str] = []

    def render(self, text: str, where: str) -> str:
        def replace(match: re.Match[str]) -> str:
            return self.value_of(match.group(1), match.group(0), text, match.start(), where)

        return re.sub(_EXPRESSION, replace, text)

    def value_of(self, body: str, whole: str, text: str, start: int, where: str) -> str:
        inner = body.strip()
        secret = re.match(_GETVALUE_PATTERN, inner)
        if secret:
            name = secret.group(1) if secret.group(1) is not None else secret.group(2)
            value = lookup_secret(name, self.secrets)
            if value is None:
                raise _missing_secret(name, where)
            self.used_secrets.append(value)
            return value
        if _normalise(whole) in self.expressions:
            return self.expressions[_normalise(whole)]
        template_var = re.match(_TEMPLATE_VAR, inner)
        if template_var and template_var.group(1) in self.source.template_variables:
            return self.render(self.source.template_variables[template_var.group(1)], where)
        line = text.count("\n", 0, start) + 1
        said = f"{where} line {line}: expression {whole} has no value outside Harness"
        raise ExpressionError(
            f"{said}; pass expressions={{{whole!r}: ...}}", cli_message=f"{said}; pass --expr '{whole}=VALUE'"
        )


def _normalise(expression: str) -> str:
    return re.sub(r"\s+", "", expression)


def _is_runtime_input(value: str | None) -> bool:
    return value is None or value.strip().startswith("<+input>")


def render_source(
    source: Source,
    *,
    inputs: Mapping[str, str] | None = None,
    secrets: Mapping[str, str] | None = None,
    expressions: Mapping[str, str] | None = None,
) -> Rendered:
    """Resolve inputs, secrets and expressions; raise a typed error for anything missing."""
    inputs = dict(inputs or {})
    renderer = _Renderer(source, secrets or {}, expressions or {})
    declared = {var.name for var in source.inputs}
    unknown = sorted(set(inputs) - declared)
    if unknown:
        listed = ", ".join(sorted(declared)) or "none"
        said = f"source {source.identifier!r} declares no such input (declared: {listed})"
        raise InputError(f"inputs[{unknown[0]!r}]: {said}", cli_message=f"--input {unknown[0]}: {said}")
    env: dict[str, str] = {}
    for var in source.inputs:
        value = inputs.get(var.name, var.value)
        fed = re.fullmatch(r"\s*<\+template\.variables\.(\w+)>\s*", value or "")
        if fed and var.name not in inputs:  # a template variable: its value, or no value at all
            value = source.template_variables.get(fed.group(1))
        if _is_runtime_input(value):
            raise InputError(
                f"input {var.name} has no value; pass inputs={{{var.name!r}: ...}}",
                cli_message=f"input {var.name} has no value; pass --input {var.name}=...",
                harness_message=f"Env. variable [{var.name}] value found to be null",
            )
        assert value is not None
        rendered = renderer.render(value, f"input {var.name}")
        if var.type == "Secret" and rendered.strip():
            rendered = _secret_input(var.name, rendered.strip(), renderer.secrets)
            renderer.used_secrets.append(rendered)
        env[var.name] = rendered
    script = renderer.render(source.script, "script") if source.has_script else ""
    values = sorted({v for v in renderer.used_secrets if v}, key=len, reverse=True)
    return Rendered(script=script, env=env, secret_values=values)
