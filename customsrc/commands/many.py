"""``customsrc run`` with several sources: files and folders, ``--jobs`` at a time.

With ``--format json`` one JSON document per line, per source, as each completes; with ``yaml``
one document each; with ``table`` a progress line on a terminal and a summary table at the end.
The exit code is 0 when every source succeeded, else the highest of their exit codes.
"""

from __future__ import annotations

import argparse
import os
import sys

from ..errors import UsageError
from .options import collect_secrets, fetch_options, pairs

SUFFIXES = (".yaml", ".yml")


def expand(paths: list[str]) -> list[str]:
    """Files as given; folders as the YAML files below them, sorted."""
    found: list[str] = []
    for path in paths:
        if path == "-":
            raise UsageError("- (standard input) names one source; run several from files or folders")
        if os.path.isdir(path):
            below = [
                os.path.join(folder, name)
                for folder, _, names in os.walk(path)
                for name in names
                if name.endswith(SUFFIXES)
            ]
            if not below:
                raise UsageError(f"{path}: no .yaml or .yml files in this folder")
            found += sorted(below)
        else:
            found.append(path)
    return found


def main(args: argparse.Namespace) -> int:
    from .. import output
    from ..many import fetch_many
    from ..output import visible

    if args.format == "env":
        raise UsageError("--format env describes one source; use json or yaml with several")
    if args.jobs < 1:
        raise UsageError("--jobs must be at least 1")
    if args.save_payload:
        raise UsageError("--save-payload records one source's payload; run one source with it")
    query = None
    if args.query:
        from ..query import compile_query
        from ..query import write as query_write

        query = compile_query(args.query)
    files = expand(args.source)
    # Every source's folder is hidden from every script of the batch, not only its own.
    folders = tuple(sorted({os.path.dirname(os.path.abspath(f)) for f in files}))
    inputs = pairs(args.input, "--input")
    options = fetch_options(args, inputs=inputs or None, secrets=collect_secrets(args), hide=folders)
    progress = args.format == "table" and sys.stderr.isatty()
    failed = 0
    rows: list[tuple[str, str, str, str, str]] = []
    worst = 0
    outcomes = fetch_many(files, concurrency=args.jobs, options=options)
    for done, outcome in enumerate(outcomes, 1):
        error = outcome.error
        if error is not None:
            failed += 1
            worst = max(worst, error.exit_code)
        doc = output.document(outcome.result, file=outcome.label, error=error)
        if query is not None:  # each source's answer on its own line (failures are said on stderr)
            if error is None:
                query_write(sys.stdout, query, doc, args.format)
            else:
                sys.stderr.write(f"customsrc: error: {outcome.label}: {visible(error.said)}\n")
        elif args.format == "json":
            sys.stdout.write(output.dumps_json(doc) + "\n")
            sys.stdout.flush()
        elif args.format == "yaml":
            sys.stdout.write("---\n")
            output.write(doc, "yaml", sys.stdout)
            sys.stdout.flush()
        else:
            chosen = doc["selected"]["version"] if doc["selected"] else "-"
            status = "ok" if error is None else f"{error.kind} ({error.exit_code})"
            took = f"{doc['run']['duration_ms']:.0f} ms" if doc["run"]["ran"] else "-"
            rows.append((outcome.label, status, str(len(doc["artifacts"])), chosen, took))
            if error is not None:
                sys.stderr.write(f"customsrc: error: {outcome.label}: {visible(error.said)}\n")
        if progress:
            running = min(args.jobs, len(files) - done)
            sys.stderr.write(f"\r{done}/{len(files)} done, {failed} failed, {running} running ")
            sys.stderr.flush()
    if progress:
        sys.stderr.write("\n")
    if args.format == "table" and query is None:
        header = ("SOURCE", "STATUS", "VERSIONS", "CHOSEN", "SCRIPT")
        widths = [max(len(r[i]) for r in [header, *rows]) for i in range(len(header))]
        for row in [header, *sorted(rows)]:
            sys.stdout.write("  ".join(cell.ljust(widths[i]) for i, cell in enumerate(row)).rstrip() + "\n")
        sys.stdout.write(f"{len(files)} sources: {len(files) - failed} ok, {failed} failed\n")
    return worst
