"""`govinfo report` drawn by a real browser, and `govinfo export`.

The report is rendered by headless Chromium (Debian's `chromium` package; .ci/run installs it):
the page's own script counts, per chart, the marks the browser laid out with a non-empty box,
and `--dump-dom` returns the page after it ran. A screenshot is written to the test's tmp
folder (its path is printed; it is never committed). Without Chromium the browser test is
skipped on a developer's machine, and fails under CI (CI=true), where it must run.
"""
from __future__ import annotations

import os
import re
import shutil
import subprocess
import sys
from pathlib import Path

import duckdb
import pytest

from tests.conftest import run_cli

ROOT = Path(__file__).resolve().parents[1]
BROWSERS = ("chromium", "chromium-browser", "google-chrome")
FLAGS = ("--headless", "--no-sandbox", "--disable-gpu", "--disable-background-networking",
         "--disable-component-update", "--disable-sync", "--no-first-run",
         "--disable-default-apps", "--hide-scrollbars")


def _chromium() -> str:
    for name in BROWSERS:
        path = shutil.which(name)
        if path:
            return path
    if os.environ.get("CI"):
        pytest.fail("Chromium is required under CI (apt-get install chromium; see .ci/run)")
    pytest.skip("Chromium is not installed here (apt-get install chromium)")


def _browse(html: Path, tmp: Path, *args: str) -> str:
    profile = tmp / "chromium-profile"
    profile.mkdir(exist_ok=True)
    cmd = [_chromium(), *FLAGS, f"--user-data-dir={profile}", *args, html.as_uri()]
    out = subprocess.run(cmd, capture_output=True, text=True, timeout=180)
    assert out.returncode == 0, out.stderr[-2000:]
    return out.stdout


def _drawn(dom: str) -> dict[str, tuple[int, int]]:
    m = re.search(r'<p id="render-check" data-done="1">drawn: ([^<]*)</p>', dom)
    assert m, "the page's render check did not run"
    return {name: (int(a), int(b)) for name, a, b in re.findall(r"(\w+)=(\d+)/(\d+)", m[1])}


def _check_report(warehouse: Path, tmp: Path) -> dict[str, tuple[int, int]]:
    html = tmp / "report.html"
    assert run_cli("report", "--warehouse", str(warehouse), "--out", str(html)) == 0
    text = html.read_text(encoding="utf-8")
    # one file that needs nothing from elsewhere: no remote script, style, image or font
    assert not re.search(r'(?:src|href)\s*=\s*["\']?(?:https?:)?//', text)
    assert "@import" not in text and "url(" not in text
    drawn = _drawn(_browse(html, tmp, "--virtual-time-budget=10000", "--dump-dom"))
    shot = tmp / "report.png"
    _browse(html, tmp, "--window-size=1000,2400", f"--screenshot={shot}")
    assert shot.stat().st_size > 10_000
    print(f"\nreport screenshot: {shot}", file=sys.stderr)
    return drawn


@pytest.fixture(scope="module")
def synthetic_run(tmp_path_factory: pytest.TempPathFactory) -> dict:
    """The benchmark's corpus generator (the seeds with figures, regions and years varied, in
    several encodings, plus national-template reports), the seeds themselves, and an empty file
    (quarantined), through one real run."""
    sys.path.insert(0, str(ROOT))
    from benchmarks.throughput import make_corpus
    from tests.conftest import seed_paths
    d = tmp_path_factory.mktemp("synthetic")
    corpus = make_corpus(d / "corpus", 60, 3, ROOT / "data" / "samples")
    for p in seed_paths():
        (corpus.root / f"seed_{p.name}").write_bytes(p.read_bytes())
    (corpus.root / "empty.txt").write_bytes(b"")
    wh = d / "w.duckdb"
    assert run_cli("run", str(corpus.root), "--warehouse", str(wh), "--lake", str(d / "lake")) == 0
    return {"warehouse": wh, "n": 60 + len(seed_paths())}


def test_report_draws_every_chart_in_chromium(synthetic_run, tmp_path):
    with duckdb.connect(str(synthetic_run["warehouse"]), read_only=True) as con:
        n, kept, derived, quarantined = con.execute("""select
            (select count(*) from reports), (select count(*) from analysis_reports),
            (select count(distinct code) from derived_indicators),
            (select count(*) from quarantine)""").fetchone()
    assert n == synthetic_run["n"] and 0 < kept <= n and derived == 6 and quarantined == 1
    drawn = _check_report(synthetic_run["warehouse"], tmp_path)
    for chart in ("coverage_province_year", "coverage_years", "requests_volume",
                  "requests_outcomes", "derived_disclosure_rate", "derived_refusal_share",
                  "derived_unable_share", "derived_backlog", "derived_dispute_conversion",
                  "derived_correction_rate", "checks", "table_coverage", "quarantine"):
        assert chart in drawn, chart
        done, marks = drawn[chart]
        assert marks > 0 and done == marks, (chart, done, marks)


def test_export_csv_and_xlsx(synthetic_run, tmp_path):
    from openpyxl import load_workbook
    wh = str(synthetic_run["warehouse"])
    with duckdb.connect(wh, read_only=True) as con:
        n = con.execute("select count(*) from analysis_reports").fetchone()[0]
        cols = [r[0] for r in con.execute("select column_name from duckdb_columns() where "
                                          "table_name = 'analysis_wide' order by column_index"
                                          ).fetchall()]
    out_csv = tmp_path / "a.csv"
    assert run_cli("export", "--warehouse", wh, "--format", "csv", "--out", str(out_csv)) == 0
    raw = out_csv.read_bytes()
    assert raw.startswith(b"\xef\xbb\xbf")  # Excel needs the BOM to read UTF-8
    lines = raw.decode("utf-8-sig").splitlines()
    assert lines[0].split(",") == cols and len(lines) == n + 1
    assert "disclosure_rate" in cols and "requests_received" in cols
    out_x = tmp_path / "a.xlsx"
    assert run_cli("export", "--warehouse", wh, "--format", "xlsx", "--out", str(out_x)) == 0
    wb = load_workbook(out_x, read_only=True)
    rows = list(wb["analysis"].iter_rows(values_only=True))
    meta = list(wb["columns"].iter_rows(values_only=True))
    assert list(rows[0]) == cols and len(rows) == n + 1
    assert [m[0] for m in meta[1:]] == cols and all(m[2] for m in meta[1:])
    assert any(isinstance(v, (int, float)) and not isinstance(v, bool)
               for r in rows[1:] for v in r)


def test_report_and_export_explain_a_missing_warehouse(tmp_path, capsys):
    missing = str(tmp_path / "none.duckdb")
    assert run_cli("report", "--warehouse", missing, "--out", str(tmp_path / "r.html")) == 2
    assert run_cli("export", "--warehouse", missing) == 2
    assert "no warehouse" in capsys.readouterr().err
