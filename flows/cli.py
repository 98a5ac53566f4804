"""govinfo: government information disclosure annual reports -> DuckDB warehouse + Parquet lake.

`run` exits 0 when every input was loaded or quarantined with a reason, 2 when the pipeline
itself could not work (a source or manifest that does not exist, bad arguments, warehouse
unwritable), and 130 when interrupted (Ctrl-C; whole batches loaded until then stay).
"""
from __future__ import annotations

import argparse
import os
import sys
import time
from pathlib import Path
from typing import Any

from flows.settings import DATA_DIR, apply_prefect_env

SAMPLES = DATA_DIR / "samples"
EXIT_PIPELINE = 2
EXIT_INTERRUPTED = 130  # the shell's convention for a command ended by SIGINT


class _HelpFormatter(argparse.RawDescriptionHelpFormatter):
    """Every option's help ends with its default (or says it is required), so that `--help`
    alone tells what a bare command does."""

    def _get_help_string(self, action: argparse.Action) -> str:
        text = action.help or ""
        if not action.option_strings or action.default is argparse.SUPPRESS:
            return text
        if action.required:
            return f"{text} (required)"
        if "default" in text:
            return text
        return f"{text} (default: %(default)s)"


def _common(p: argparse.ArgumentParser) -> None:
    p.add_argument("--warehouse", default=str(DATA_DIR / "warehouse.duckdb"),
                   help="DuckDB file of the warehouse")
    p.add_argument("--lake", default=str(DATA_DIR / "lake"), help="Parquet lake folder")


def _run_args(p: argparse.ArgumentParser) -> None:
    p.add_argument("sources", nargs="*",
                   help="files, folders (walked recursively), globs or http(s) URLs "
                        f"(default: the bundled samples in {SAMPLES})")
    p.add_argument("--manifest", help="a file listing sources: one per line, or CSV with a "
                                      "`source` column (default: none)")
    cores = max(1, os.cpu_count() or 1)
    p.add_argument("--workers", type=int, default=cores,
                   help=f"parallel workers for the CPU stages (default: the number of cores, "
                        f"{cores} here)")
    p.add_argument("--task-runner", choices=["auto", "thread", "process", "dask"],
                   default="auto",
                   help="auto: process when --workers > 1 and there are at least 250 "
                        "inputs, else thread")
    p.add_argument("--dask-address", help="join an existing Dask cluster, tcp://host:8786 "
                                          "(default: a local cluster)")
    p.add_argument("--batch-size", type=int, default=None,
                   help="documents per task (default: from the number of inputs and "
                        "workers, 20 to 250)")
    p.add_argument("--raw-dir", default=str(DATA_DIR / "raw"),
                   help="content-addressed store of fetched bodies")
    p.add_argument("--connect-timeout", type=float, default=10.0, help="seconds, per URL")
    p.add_argument("--read-timeout", type=float, default=30.0, help="seconds, per URL")
    p.add_argument("--retries", type=int, default=3, help="attempts per URL")
    p.add_argument("--url-timeout", type=float, default=300.0,
                   help="total seconds per URL, all attempts included")
    p.add_argument("--prune-missing", action="store_true",
                   help="drop the reports of sources that fail or are gone (default: keep "
                        "the last good report)")


def build_parser() -> argparse.ArgumentParser:
    from importlib.metadata import PackageNotFoundError, version
    try:
        ver = version("govinfo-etl")
    except PackageNotFoundError:  # run from a checkout that was never installed
        ver = "unknown"
    ap = argparse.ArgumentParser(prog="govinfo", description=__doc__,
                                 formatter_class=_HelpFormatter)
    ap.add_argument("--version", action="version", version=f"govinfo {ver}")
    sub = ap.add_subparsers(dest="command", required=True, metavar="COMMAND")

    def command(name: str, text: str) -> argparse.ArgumentParser:
        return sub.add_parser(name, help=text, description=text, formatter_class=_HelpFormatter)

    run = command("run", "ingest sources and load the warehouse")
    _run_args(run)
    _common(run)
    q = command("query", "run read-only SQL against the warehouse")
    q.add_argument("sql", help="the SQL, or - to read it from standard input")
    q.add_argument("--format", choices=["table", "csv", "json"], default="table",
                   help="output format")
    q.add_argument("--wait", type=float, default=60.0,
                   help="seconds to wait while a run holds the warehouse")
    q.add_argument("--timeout", type=float, default=300.0, help="seconds a query may run")
    q.add_argument("--memory-limit", default="2GB", help="memory a query may use")
    _common(q)
    lp = command("lake-path", "print the folder of the lake's current version")
    lp.add_argument("--lake", default=str(DATA_DIR / "lake"), help="Parquet lake folder")
    st = command("status", "last runs and counts")
    st.add_argument("--wait", type=float, default=60.0,
                    help="seconds to wait while a run holds the warehouse")
    _common(st)
    sv = command("serve", "serve the ingestion flow on a schedule (Prefect)")
    sv.add_argument("--cron", required=True, help='cron schedule, e.g. "0 3 * * *"')
    sv.add_argument("--name", default="govinfo-scheduled", help="name of the deployment")
    sv.add_argument("--port", type=int, default=4200,
                    help="port of the Prefect server it starts on 127.0.0.1")
    _run_args(sv)
    _common(sv)
    from flows import export, report  # the analysis set for people who do not write SQL
    report.add_parser(sub, _common)
    export.add_parser(sub, _common)
    for p in sub.choices.values():  # theirs too: every option's help says its default
        p.formatter_class = _HelpFormatter
    return ap


def task_runner(kind: str, workers: int, dask_address: str | None) -> Any:
    from flows.runners import task_runner as build
    return build(kind, workers, dask_address)


def _fetch_options(args: argparse.Namespace) -> dict[str, Any]:
    return {"connect_timeout": args.connect_timeout, "read_timeout": args.read_timeout,
            "retries": args.retries, "total_timeout": args.url_timeout}


def _bad_run_args(args: argparse.Namespace, command: str) -> bool:
    """Say (one line each) what is wrong with what the user typed; True if anything is."""
    from flows.preflight import manifest_problem, missing_sources, output_problem
    problems = missing_sources(args.sources, args.warehouse)
    problems.append(manifest_problem(args.manifest))
    if args.workers < 1 or (args.batch_size is not None and args.batch_size < 1):
        problems.append("--workers and --batch-size must be at least 1")
    problems = [p for p in problems if p]
    if not problems:  # creates the output folders: only once the rest is right
        problems = [p for p in [output_problem(args.warehouse, args.lake)] if p]
    for p in problems:
        print(f"govinfo {command}: {p}", file=sys.stderr)
    return bool(problems)


def cmd_run(args: argparse.Namespace) -> int:
    if _bad_run_args(args, "run"):
        return EXIT_PIPELINE
    sources = args.sources or ([] if args.manifest else [str(SAMPLES)])
    apply_prefect_env()
    from flows.api_server import start_if_needed
    server = start_if_needed()  # boots while the imports below run
    from flows.runners import choose_kind
    args.task_runner = choose_kind(args.task_runner, args.workers, sources, args.manifest)
    if args.task_runner == "process":
        from flows.runners import start_forkserver
        start_forkserver()  # warms the workers' imports and tables meanwhile, too
    from flows.ingest import ingest
    from flows.processes import noting_interrupts
    from flows.progress import Progress
    from prefect.settings import PREFECT_FLOWS_HEARTBEAT_FREQUENCY, temporary_settings
    runner = task_runner(args.task_runner, args.workers, args.dask_address)
    # a heartbeat tells a worker's crash detection that a deployed run is alive; a run started
    # here has no such watcher, and Prefect joins the heartbeat thread at the end (about 1 s)
    try:
        with Progress(), noting_interrupts(), \
                temporary_settings(updates={PREFECT_FLOWS_HEARTBEAT_FREQUENCY: None}):
            if server is not None:
                server.wait_ready(float(os.environ.get(
                    "PREFECT_SERVER_EPHEMERAL_STARTUP_TIMEOUT_SECONDS", "180")))
            summary = ingest.with_options(task_runner=runner)(
                sources=sources, manifest=args.manifest, warehouse=args.warehouse,
                lake=args.lake, raw_dir=args.raw_dir,
                batch_size=args.batch_size, prune_missing=args.prune_missing,
                fetch_options=_fetch_options(args), in_flight=max(2, 2 * args.workers))
    except KeyboardInterrupt:
        from flows.processes import stop_workers
        stop_workers()  # if the runner did not get to it
        print("\ngovinfo run: interrupted; the batches loaded before are kept, and the run is "
              "recorded as interrupted (govinfo status)", file=sys.stderr)
        return EXIT_INTERRUPTED
    except Exception as e:  # the pipeline itself failed (warehouse locked, disk full, …)
        print(f"govinfo run: the pipeline could not complete: {type(e).__name__}: {e}",
              file=sys.stderr)
        return EXIT_PIPELINE

    from flows.settings import mark_migrated
    mark_migrated()
    _print_summary(summary, args.warehouse, time.monotonic() - args.started)
    return 0


def _print_summary(s: dict[str, Any], warehouse: str, seconds: float) -> None:
    lines = [
        "govinfo run finished",
        f"  inputs            {s['inputs']}",
        f"  reports loaded    {s['loaded']}" + (f"  (+{s['skipped']} unchanged, skipped)"
                                               if s["skipped"] else ""),
        f"  metrics           {s['metrics']}",
        f"  failed checks     {s['failed_checks']}",
        f"  quarantined       {s['quarantined']}",
        *([f"  kept              {s['kept']} last good report(s) of failing or missing "
           "sources (--prune-missing drops them)"] if s.get("kept") else []),
        *([f"  pruned            {s['pruned']} report(s) of failing or missing sources"]
          if s.get("pruned") else []),
        *([f"  retried alone     {s['retried']} input(s) of batches whose worker failed"]
          if s.get("retried") else []),
        f"  seconds           {seconds:.2f}",
        f"  warehouse         {warehouse}",
    ]
    reasons = s.get("quarantine_reasons") or []
    for uri, reason in reasons[:8]:
        lines.append(f"    quarantined: {Path(uri).name or uri}: {reason}")
    if len(reasons) > 8:
        lines.append(f"    … and {len(reasons) - 8} more (govinfo query \"select * from quarantine\")")
    print("\n".join(lines))


def cmd_serve(args: argparse.Namespace) -> int:
    if _bad_run_args(args, "serve"):
        return EXIT_PIPELINE
    apply_prefect_env()
    from flows.runners import choose_kind
    from flows.serve import serve
    sources = args.sources or ([] if args.manifest else [str(SAMPLES)])
    return serve(cron=args.cron, name=args.name, port=args.port, parameters={
        "sources": sources, "manifest": args.manifest, "warehouse": args.warehouse,
        "lake": args.lake, "raw_dir": args.raw_dir, "prune_missing": args.prune_missing,
        "batch_size": args.batch_size, "fetch_options": _fetch_options(args)},
        # `auto` is settled once, from what the sources hold when serving starts
        runner=(choose_kind(args.task_runner, args.workers, sources, args.manifest),
                args.workers, args.dask_address))


def main(argv: list[str] | None = None) -> int:
    started = time.monotonic()  # the summary's seconds: the whole command, start-up included
    parser = build_parser()
    argv = sys.argv[1:] if argv is None else argv
    if not argv:
        parser.print_help()
        return 0
    args = parser.parse_args(argv)
    args.started = started
    from flows import query
    from flows.export import cmd_export
    from flows.report import cmd_report
    handler = {"run": cmd_run, "query": query.cmd_query, "status": query.cmd_status,
               "serve": cmd_serve, "lake-path": query.cmd_lake_path, "report": cmd_report,
               "export": cmd_export}[args.command]
    try:
        return handler(args)
    except KeyboardInterrupt:  # before a run's flow started (its own case is in cmd_run)
        from flows.processes import stop_workers
        stop_workers()
        print(f"\ngovinfo {args.command}: interrupted", file=sys.stderr)
        return EXIT_INTERRUPTED


if __name__ == "__main__":
    sys.exit(main())
