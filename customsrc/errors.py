"""Typed errors. The library raises these; only the CLI turns them into exit codes.

Each error knows its exit code, a short ``kind`` (used in JSON output) and, where Harness
would also fail, the message a delegate would have printed (``harness_message``).
"""

from __future__ import annotations

# Exit codes, documented in README and `customsrc --help`.
EXIT_OK = 0
EXIT_USAGE = 2
EXIT_SCRIPT = 3
EXIT_TIMEOUT = 4
EXIT_RESULT = 5
EXIT_NO_VERSION = 6

HARNESS_TRANSFORM = (
    "Failed to transform results to the Custom Repository Response. Please verify if the script output "
    "is in the required format. Reason [{reason}]"
)


class CustomsrcError(Exception):
    """Base of every error customsrc raises on purpose."""

    exit_code = EXIT_USAGE
    kind = "error"

    def __init__(self, message: str, *, harness_message: str | None = None, cli_message: str | None = None) -> None:
        super().__init__(message)
        self.message = message  # in the library's words (parameter names)
        self.harness_message = harness_message
        self.cli_message = cli_message  # the same in the command line's words (flag names), if they differ

    @property
    def said(self) -> str:
        """What the command line prints."""
        return self.cli_message or self.message

    def __str__(self) -> str:
        return self.message


class UsageError(CustomsrcError):
    """Bad command-line usage or library arguments."""

    kind = "usage"


class SourceError(CustomsrcError):
    """The source file is unreadable, malformed or fails its schema."""

    kind = "source"


class InputError(CustomsrcError):
    """An input has no value, or an override names no declared input."""

    kind = "input"


class SecretError(CustomsrcError):
    """A secret the script refers to was not supplied."""

    kind = "secret"


class ExpressionError(CustomsrcError):
    """A ``<+...>`` expression in the script that customsrc cannot render."""

    kind = "expression"


class SandboxError(CustomsrcError):
    """The requested sandbox cannot be provided on this machine."""

    kind = "sandbox"


class ScriptFailed(CustomsrcError):
    """The script exited non-zero (Harness: "No Artifact found ...")."""

    exit_code = EXIT_SCRIPT
    kind = "script_failed"


class ScriptTimeout(CustomsrcError):
    """The script ran past its timeout; its whole process tree was killed."""

    exit_code = EXIT_TIMEOUT
    kind = "timeout"


class ResultError(CustomsrcError):
    """The result file is missing, unreadable, not JSON, or fails the schema or the mapping."""

    exit_code = EXIT_RESULT
    kind = "result"

    def __init__(self, message: str, *, reason: str | None = None, kind: str | None = None) -> None:
        super().__init__(message, harness_message=HARNESS_TRANSFORM.format(reason=reason or message))
        if kind:
            self.kind = kind


class NoMatchingVersion(CustomsrcError):
    """No artifact matches the requested version or regex."""

    exit_code = EXIT_NO_VERSION
    kind = "no_version"


class RateLimited(CustomsrcError):
    """The fetch was not started: its host asked to be left alone (429/503) or is at its rate limit
    for longer than a fetch waits. Nothing ran; the source is tried again later."""

    exit_code = EXIT_SCRIPT
    kind = "rate_limited"


class Cancelled(CustomsrcError):
    """The caller stopped the fetch; the script's whole process tree was killed."""

    exit_code = 130
    kind = "cancelled"


class InternalError(CustomsrcError):
    """An unexpected error inside customsrc (a bug). ``details`` holds its traceback, masked like
    everything else a fetch gives back (the original exception is not chained: a caller logging
    this error's traceback would print the original's unmasked message)."""

    exit_code = 1
    kind = "internal"

    def __init__(self, message: str, *, details: str = "") -> None:
        super().__init__(message)
        self.details = details
