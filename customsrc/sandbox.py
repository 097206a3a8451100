"""Sandbox levels: how a script's process is launched. Each level meets one Protocol and is
registered in one table, so the runner never special-cases a level.

This module holds the level every run gets today (``basic``: explicit environment, private work
directory, stdin closed, own session so the whole tree can be killed). Deeper isolation plugs in
as further entries of ``LEVELS``.
"""

from __future__ import annotations

from collections.abc import Mapping

TYPE_CHECKING = False
if TYPE_CHECKING:
    from typing import NamedTuple, Protocol
else:
    from .records import NamedTuple

# Variables a script may inherit from the caller; everything else is dropped.
ALLOWED_ENV = (
    "PATH",
    "HOME",
    "LANG",
    "LANGUAGE",
    "TZ",
    "http_proxy",
    "https_proxy",
    "no_proxy",
    "HTTP_PROXY",
    "HTTPS_PROXY",
    "NO_PROXY",
    "all_proxy",
    "ALL_PROXY",
    "SSL_CERT_FILE",
    "SSL_CERT_DIR",
    "CURL_CA_BUNDLE",
    "REQUESTS_CA_BUNDLE",
    "NODE_EXTRA_CA_CERTS",
)
DEFAULT_PATH = "/usr/local/bin:/usr/bin:/bin"


def base_environment(environ: Mapping[str, str], pass_env: tuple[str, ...] = ()) -> dict[str, str]:
    """The allow-listed part of ``environ`` (plus ``LC_*`` and any ``pass_env`` names)."""
    env = {k: environ[k] for k in ALLOWED_ENV if k in environ}
    env.update({k: v for k, v in environ.items() if k.startswith("LC_")})
    env.update({k: environ[k] for k in pass_env if k in environ})
    env.setdefault("PATH", DEFAULT_PATH)
    return env


class Launch(NamedTuple):
    """What to hand to ``subprocess.Popen``."""

    argv: list[str]
    env: dict[str, str]
    cwd: str


if TYPE_CHECKING:

    class SandboxLevel(Protocol):
        name: str

        def prepare(self, argv: list[str], env: dict[str, str], workdir: str) -> Launch:
            """Wrap the command for this level."""
            ...


class BasicLevel:
    """Explicit environment, private work directory, stdin from /dev/null, own session."""

    name = "basic"

    def prepare(self, argv: list[str], env: dict[str, str], workdir: str) -> Launch:
        return Launch(argv=argv, env=env, cwd=workdir)


LEVELS: dict[str, SandboxLevel] = {"basic": BasicLevel()}
