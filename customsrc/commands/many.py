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
from ..masking import Masker
from .common import pairs
from .run import collect_secrets, fetch_options

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
    secrets = collect_secrets(args)
    inputs = pairs(args.input, "--input")
    masker = Masker(secrets.values())  # fetch() masks Secret-type inputs in what it returns
    args.masker = masker
    options = fetch_options(args)
    # Every source's folder is hidden from every script of the batch, not only its own.
    options["hide"] = (*options["hide"], *sorted({os.path.dirname(os.path.abspath(f)) for f in files}))
    progress = args.format == "table" and sys.stderr.isatty()
    failed = 0
    rows: list[tuple[str, str, str, str, str]] = []
    worst = 0
    outcomes = fetch_many(
        files, concurrency=args.jobs, secrets=secrets, inputs=inputs or None, source_id=args.source_id, **options
    )
    for done, outcome in enumerate(outcomes, 1):
        error = outcome.error
        if error is not None:
            failed += 1
            worst = max(worst, error.exit_code)
        doc = output.document(outcome.result, file=outcome.label, error=error, masker=masker)
        if query is not None:  # each source's answer on its own line (failures are said on stderr)
            if error is None:
                query_write(sys.stdout, query, doc, args.format)
            else:
                sys.stderr.write(f"customsrc: error: {outcome.label}: {masker.text(error.said)}\n")
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
                sys.stderr.write(f"customsrc: error: {outcome.label}: {masker.text(error.said)}\n")
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
