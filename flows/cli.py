"""`govinfo`: run, query, serve, status.

`run` exits 0 when every input was loaded or quarantined with a reason, and non-zero only when
the pipeline itself could not work (bad arguments, warehouse unwritable).
"""
from __future__ import annotations

import argparse
import csv
import io
import json
import os
import sys
from pathlib import Path
from typing import Any

from flows.settings import DATA_DIR, apply_prefect_env

SAMPLES = DATA_DIR / "samples"
EXIT_PIPELINE = 2
EXIT_INTERRUPTED = 130  # the shell's convention for a command ended by SIGINT


def _common(p: argparse.ArgumentParser) -> None:
    p.add_argument("--warehouse", default=str(DATA_DIR / "warehouse.duckdb"),
                   help="DuckDB file (default data/warehouse.duckdb)")
    p.add_argument("--lake", default=str(DATA_DIR / "lake"),
                   help="Parquet lake folder (default data/lake)")


def _run_args(p: argparse.ArgumentParser) -> None:
    p.add_argument("sources", nargs="*", help="files, folders, globs or http(s) URLs")
    p.add_argument("--manifest", help="a file listing sources (lines, or CSV with a source column)")
    p.add_argument("--workers", type=int, default=max(1, os.cpu_count() or 1),
                   help="parallel workers for the CPU stages")
    p.add_argument("--task-runner", choices=["auto", "thread", "process", "dask"],
                   default="auto",
                   help="auto (default): process when --workers > 1 and there are at least "
                        "250 inputs, else thread")
    p.add_argument("--dask-address", help="join an existing Dask cluster (tcp://host:8786)")
    p.add_argument("--batch-size", type=int, default=None,
                   help="documents per task (default: from the number of inputs and "
                        "workers, 20 to 250)")
    p.add_argument("--raw-dir", default=str(DATA_DIR / "raw"),
                   help="content-addressed store of fetched bodies")
    p.add_argument("--connect-timeout", type=float, default=10.0)
    p.add_argument("--read-timeout", type=float, default=30.0)
    p.add_argument("--retries", type=int, default=3, help="attempts per URL")
    p.add_argument("--url-timeout", type=float, default=300.0,
                   help="total seconds per URL, all attempts included (default 300)")
    p.add_argument("--prune-missing", action="store_true",
                   help="drop the reports of sources that fail or are gone (default: keep "
                        "the last good report)")


def build_parser() -> argparse.ArgumentParser:
    ap = argparse.ArgumentParser(prog="govinfo", description=__doc__)
    sub = ap.add_subparsers(dest="command", required=True)
    run = sub.add_parser("run", help="ingest sources and load the warehouse")
    _run_args(run)
    _common(run)
    q = sub.add_parser("query", help="run read-only SQL against the warehouse")
    q.add_argument("sql")
    q.add_argument("--format", choices=["table", "csv", "json"], default="table")
    q.add_argument("--wait", type=float, default=60.0,
                   help="seconds to wait while a load holds the warehouse")
    q.add_argument("--timeout", type=float, default=300.0, help="seconds a query may run")
    q.add_argument("--memory-limit", default="2GB", help="memory a query may use")
    _common(q)
    lp = sub.add_parser("lake-path", help="print the folder of the lake's current version")
    lp.add_argument("--lake", default=str(DATA_DIR / "lake"), help="Parquet lake folder")
    st = sub.add_parser("status", help="last runs and counts")
    st.add_argument("--wait", type=float, default=60.0)
    _common(st)
    sv = sub.add_parser("serve", help="serve the ingestion flow on a schedule (Prefect)")
    sv.add_argument("--cron", required=True, help='cron schedule, e.g. "0 3 * * *"')
    sv.add_argument("--name", default="govinfo-scheduled")
    sv.add_argument("--port", type=int, default=4200, help="port of the Prefect server it starts")
    _run_args(sv)
    _common(sv)
    from flows import export, report  # the analysis set for people who do not write SQL
    report.add_parser(sub, _common)
    export.add_parser(sub, _common)
    return ap


def task_runner(kind: str, workers: int, dask_address: str | None) -> Any:
    from flows.runners import task_runner as build
    return build(kind, workers, dask_address)


def _fetch_options(args: argparse.Namespace) -> dict[str, Any]:
    return {"connect_timeout": args.connect_timeout, "read_timeout": args.read_timeout,
            "retries": args.retries, "total_timeout": args.url_timeout}


def _check_writable(warehouse: str, lake: str) -> str | None:
    for target in (Path(warehouse).parent, Path(lake)):
        try:
            target.mkdir(parents=True, exist_ok=True)
        except OSError as e:
            return f"cannot create {target}: {e.strerror}"
        if not os.access(target, os.W_OK):
            return f"{target} is not writable"
    if Path(warehouse).exists() and not os.access(warehouse, os.W_OK):
        return f"{warehouse} is not writable"
    return None


def _bad_run_args(args: argparse.Namespace, command: str) -> bool:
    problem = _check_writable(args.warehouse, args.lake)
    if problem is None and (args.workers < 1 or
                            (args.batch_size is not None and args.batch_size < 1)):
        problem = "--workers and --batch-size must be at least 1"
    if problem:
        print(f"govinfo {command}: {problem}", file=sys.stderr)
    return problem is not None


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
    _print_summary(summary, args.warehouse)
    return 0


def _print_summary(s: dict[str, Any], warehouse: str) -> None:
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
        f"  seconds           {s['seconds']}",
        f"  warehouse         {warehouse}",
    ]
    reasons = s.get("quarantine_reasons") or []
    for uri, reason in reasons[:8]:
        lines.append(f"    quarantined: {Path(uri).name or uri}: {reason}")
    if len(reasons) > 8:
        lines.append(f"    … and {len(reasons) - 8} more (govinfo query \"select * from quarantine\")")
    print("\n".join(lines))


def _connect_ro(warehouse: str, wait: float):
    from warehouse.store import connect
    if not Path(warehouse).exists():
        raise FileNotFoundError(f"no warehouse at {warehouse} (run `govinfo run` first)")
    return connect(warehouse, read_only=True, retries=wait)


def format_result(columns: list[str], rows: list[tuple], fmt: str) -> str:
    if fmt == "json":
        return json.dumps([dict(zip(columns, r)) for r in rows], ensure_ascii=False,
                          default=str, indent=1)
    if fmt == "csv":
        buf = io.StringIO()
        w = csv.writer(buf)
        w.writerow(columns)
        w.writerows(rows)
        return buf.getvalue().rstrip("\n")
    cells = [[("NULL" if v is None else str(v)) for v in r] for r in rows]
    widths = [max([len(c)] + [min(60, len(r[i])) for r in cells]) for i, c in enumerate(columns)]
    out = [" | ".join(c.ljust(w) for c, w in zip(columns, widths)),
           "-+-".join("-" * w for w in widths)]
    out += [" | ".join(v[:60].ljust(w) for v, w in zip(r, widths)) for r in cells]
    out.append(f"({len(rows)} row{'s' if len(rows) != 1 else ''})")
    return "\n".join(out)


def _open_or_report(args: argparse.Namespace, command: str):
    """A read-only connection, or None after telling the user why there is none."""
    import duckdb
    try:
        return _connect_ro(args.warehouse, args.wait)
    except (FileNotFoundError, duckdb.Error) as e:
        print(f"govinfo {command}: {e}", file=sys.stderr)
        return None


def cmd_query(args: argparse.Namespace) -> int:
    """The SQL runs in a sandbox (warehouse/query.py): it can read the warehouse and the lake,
    nothing else, within a time and a memory limit."""
    import duckdb
    from warehouse import query
    if not Path(args.warehouse).exists():
        print(f"govinfo query: no warehouse at {args.warehouse} (run `govinfo run` first)",
              file=sys.stderr)
        return EXIT_PIPELINE
    try:
        result = query.run(args.warehouse, args.lake, args.sql, wait=args.wait,
                           timeout=args.timeout, memory_limit=args.memory_limit)
    except query.QueryRefused as e:
        print(f"govinfo query: {e}", file=sys.stderr)
        return 1
    except duckdb.IOException as e:  # the warehouse is held by a load, or unreadable
        print(f"govinfo query: {e}", file=sys.stderr)
        return EXIT_PIPELINE
    except duckdb.Error as e:
        print(f"govinfo query: {e}", file=sys.stderr)
        return 1
    print(format_result(result.columns, result.rows, args.format))
    return 0


def cmd_lake_path(args: argparse.Namespace) -> int:
    """For readers: the one folder that holds every table of the last published run."""
    from warehouse.lake import LakeError, resolve
    try:
        print(resolve(args.lake))
    except LakeError as e:
        print(f"govinfo lake-path: {e}", file=sys.stderr)
        return EXIT_PIPELINE
    return 0


def cmd_status(args: argparse.Namespace) -> int:
    con = _open_or_report(args, "status")
    if con is None:
        return EXIT_PIPELINE
    try:
        counts = con.execute("""select
            (select count(*) from reports), (select count(*) from metrics),
            (select count(*) from checks where status = 'fail'),
            (select count(*) from quarantine),
            (select count(*) from reports where status = 'partial'),
            (select count(*) from reports where status = 'empty')""").fetchone()
        runs = con.execute("""select run_id[:8], started_at, inputs, loaded, skipped, quarantined,
            metrics, failed_checks, seconds from runs order by started_at desc limit 5""").fetchall()
        tables = con.execute("""select count(*) filter (where fully_read),
            count(*) filter (where tables_found > 0 and not coalesce(fully_read, false)),
            coalesce(sum(cells_read), 0), coalesce(sum(cells_expected), 0),
            coalesce(sum(cells_in_doubt), 0), coalesce(sum(identities_failed), 0)
            from report_completeness""").fetchone()
        from warehouse.datatests import status_lines
        tests = status_lines(con)
    finally:
        con.close()
    print(f"warehouse {args.warehouse}")
    print(f"  reports {counts[0]} (partial {counts[4]}, empty {counts[5]}), metrics {counts[1]}, "
          f"failed checks {counts[2]}, quarantined inputs {counts[3]}")
    print(f"  tables: {tables[0]} reports with tables 2-4 fully read, {tables[1]} read in part; "
          f"cells read {tables[2]} of {tables[3]}, in doubt {tables[4]}, "
          f"identities failed {tables[5]} (view report_completeness)")
    print("\n".join(tests))
    print("last runs:")
    print(format_result(["run", "started_at", "inputs", "loaded", "skipped", "quarantined",
                         "metrics", "failed_checks", "seconds"], runs, "table"))
    return 0


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
    args = build_parser().parse_args(argv)
    from flows.export import cmd_export
    from flows.report import cmd_report
    handler = {"run": cmd_run, "query": cmd_query, "status": cmd_status, "serve": cmd_serve,
               "lake-path": cmd_lake_path, "report": cmd_report, "export": cmd_export}
    return handler[args.command](args)


if __name__ == "__main__":
    sys.exit(main())
