#!/usr/bin/env python3
"""Per-stage CPU cost of `flows.stages` on a corpus, and a digest of everything they produce.

Why: speeding up the transforms is only safe if the output does not move. This script runs
the stages without Prefect on the first N files of a folder, prints the CPU milliseconds per
report of each stage, and writes a canonical dump of every report row, metric, observation and
check (`--dump`), so that two versions of the code can be compared with `--compare OLD_DUMP`.

    .venv/bin/python benchmarks/stages.py /tmp/bench/corpus --n 600 --dump /tmp/before.jsonl
    # ... change the code ...
    .venv/bin/python benchmarks/stages.py /tmp/bench/corpus --n 600 --compare /tmp/before.jsonl
"""
from __future__ import annotations

import argparse
import json
import sys
import time
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parents[1]
if str(ROOT) not in sys.path:
    sys.path.insert(0, str(ROOT))

from flows import stages  # noqa: E402
from flows.stages import WorkItem  # noqa: E402

STAGES = ("read_bytes", "decode", "normalize", "identify_reports", "extract_metrics")


def _canonical(it: WorkItem) -> dict[str, Any]:
    if it.error is not None or it.result is None:
        return {"uri": Path(it.source_uri).name, "error": it.error}
    r = it.result
    rep = {k: (str(v) if v is not None else None) for k, v in r.report.items()
           if k not in ("extractor_version", "source_uri")}
    def rows(xs: list[dict[str, Any]]) -> list[dict[str, Any]]:  # report_id is in `report`
        return [{k: v for k, v in x.items() if k != "report_id"} for x in xs]
    return {"uri": Path(it.source_uri).name, "report": rep, "metrics": rows(r.metrics),
            "observations": rows(r.observations), "checks": r.checks, "text": r.text}


def run(paths: list[Path], batch: int) -> tuple[dict[str, float], list[WorkItem]]:
    spent = {s: 0.0 for s in STAGES}
    done: list[WorkItem] = []
    for i in range(0, len(paths), batch):
        items = [WorkItem(source_uri=str(p), path=str(p)) for p in paths[i:i + batch]]
        for s in STAGES:
            t = time.process_time()
            items = getattr(stages, s)(items)
            spent[s] += time.process_time() - t
        done += items
    return spent, done


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("folder")
    ap.add_argument("--n", type=int, default=400)
    ap.add_argument("--batch", type=int, default=100)
    ap.add_argument("--dump", help="write the canonical output here (JSON lines)")
    ap.add_argument("--compare", help="compare with a dump written earlier")
    ap.add_argument("--profile", action="store_true", help="cProfile the run")
    ap.add_argument("--sort", default="tottime", help="pstats sort key for --profile")
    ap.add_argument("--top", type=int, default=40)
    args = ap.parse_args(argv)
    paths = sorted(p for p in Path(args.folder).iterdir() if p.is_file())[:args.n]
    run(paths[:20], args.batch)  # warm caches (catalog, regions, OpenCC) outside the timing
    if args.profile:
        import cProfile
        import pstats
        prof = cProfile.Profile()
        prof.enable()
    spent, done = run(paths, args.batch)
    if args.profile:
        prof.disable()
        pstats.Stats(prof).sort_stats(args.sort).print_stats(args.top)
    n = len(paths)
    total = sum(spent.values())
    for s in STAGES:
        print(f"{s:18s} {1000 * spent[s] / n:7.2f} ms/report  {100 * spent[s] / total:5.1f} %")
    print(f"{'total':18s} {1000 * total / n:7.2f} ms/report CPU over {n} reports")
    lines = [json.dumps(_canonical(it), ensure_ascii=False, sort_keys=True, default=str)
             for it in done]
    if args.dump:
        Path(args.dump).write_text("\n".join(lines) + "\n", encoding="utf-8")
    if args.compare:
        old = Path(args.compare).read_text(encoding="utf-8").splitlines()
        diff = [i for i, (a, b) in enumerate(zip(old, lines)) if a != b]
        if len(old) != len(lines):
            print(f"DIFFERENT: {len(old)} reports before, {len(lines)} now")
        for i in diff[:5]:
            a, b = json.loads(old[i]), json.loads(lines[i])
            keys = [k for k in set(a) | set(b) if a.get(k) != b.get(k)]
            print(f"DIFFERENT: {a['uri']}: {keys}")
        print(f"compared {len(lines)} reports: {len(diff)} differ")
        return 1 if diff or len(old) != len(lines) else 0
    return 0


if __name__ == "__main__":
    sys.exit(main())
