"""The ``customsrc`` command: parse arguments, dispatch, turn typed errors into exit codes.

This is the only place that exits; everything below it raises.
"""

from __future__ import annotations

import argparse
import sys
from collections.abc import Sequence

TYPE_CHECKING = False
if TYPE_CHECKING:
    from typing import NoReturn

EXIT_CODES = """exit codes:
  0  ok
  1  internal error (a bug: the traceback is written to a log file named on stderr)
  2  bad usage, source file, input, secret or expression
  3  the script exited non-zero
  4  the script timed out (its whole process tree was killed)
  5  result file missing, unreadable, not JSON, or failing the schema or the mapping
  6  no artifact version matches
  130 interrupted
"""


class Parser(argparse.ArgumentParser):
    """argparse with the documented one-line error (``customsrc: error: ...``), not its usage block."""

    def error(self, message: str) -> NoReturn:
        command = self.prog.removeprefix("customsrc").strip()
        hint = f"customsrc {command} --help" if command else "customsrc --help"
        sys.stderr.write(f"customsrc: error: {message} (see {hint})\n")
        sys.exit(2)


COMMANDS = (
    "run",
    "demo",
    "doctor",
    "lint",
    "export",
    "import",
    "init",
    "gallery",
    "watch",
    "worker",
    "scheduler",
    "events",
)
_MODULES = {"import": "imports"}  # `import` is a keyword


def build_parser(argv: Sequence[str] = ()) -> argparse.ArgumentParser:
    """The parser; only the command being run gets its options (building every command's ~35
    options cost more start-up time than a trivial fetch may take). The others get their help line."""
    import importlib

    from . import __version__
    from .commands.common import HelpFormatter

    parser = Parser(
        prog="customsrc",
        description="Run Harness CD custom artifact source scripts locally, exactly as a delegate would.",
        epilog=EXIT_CODES,
        formatter_class=HelpFormatter,
    )
    parser.add_argument("-V", "--version", action="version", version=f"customsrc {__version__}")
    sub = parser.add_subparsers(dest="command", metavar="COMMAND")
    chosen = next((arg for arg in argv if not arg.startswith("-")), None)
    for name in COMMANDS:
        module = importlib.import_module(f"{__package__}.commands.{_MODULES.get(name, name)}")
        if name == chosen:
            module.add_parser(sub, EXIT_CODES)
        else:
            sub.add_parser(name, help=module.HELP, formatter_class=HelpFormatter)
    return parser


def _interrupt(_signum: int, _frame: object) -> None:
    raise KeyboardInterrupt


def _stop_cleanly_on_terminate() -> None:
    """SIGTERM and SIGHUP stop customsrc as Ctrl-C does: running scripts are killed, work
    directories removed (watch installs its own handler for a graceful stop)."""
    import signal

    for signum in (signal.SIGTERM, signal.SIGHUP):
        if signal.getsignal(signum) == signal.SIG_DFL:
            signal.signal(signum, _interrupt)


def main(argv: Sequence[str] | None = None) -> int:
    arguments = sys.argv[1:] if argv is None else list(argv)
    parser = build_parser(arguments)
    args = parser.parse_args(arguments)
    if not getattr(args, "handler", None):
        parser.print_help(sys.stderr)
        return 2
    _stop_cleanly_on_terminate()
    try:
        code: int = args.handler(args)
    except KeyboardInterrupt:
        sys.stderr.write("customsrc: interrupted\n")
        return 130
    return code


if __name__ == "__main__":  # pragma: no cover
    sys.exit(main())
