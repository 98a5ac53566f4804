"""The command line as a newcomer meets it: help, typos, tables, the run summary.

Why: each of these once went wrong on a first try. A source typed wrong "succeeded" (exit 0, one
quarantine row); a bad --warehouse printed Prefect's traceback; `status` on a file that is not
a warehouse printed DuckDB's; Chinese cells broke the table's columns and long cells were cut;
the summary's seconds were the flow's 0.4 s of a 6 s command. Mistakes are caught before
anything starts, so most of these tests are fast.
"""
from __future__ import annotations

import argparse
import io
import re
import subprocess
import sys
import time
from pathlib import Path

import duckdb
import pytest
from rich.cells import cell_len

from flows import cli
from flows.cli import main
from flows.query import format_result
from tests.conftest import ROOT, seed_paths

GOVINFO = str(Path(sys.executable).with_name("govinfo"))


def _one_line_error(capsys: pytest.CaptureFixture[str], command: str = "run") -> str:
    err = capsys.readouterr().err.strip()
    assert len(err.splitlines()) == 1, err
    assert err.startswith(f"govinfo {command}: ") and "Traceback" not in err, err
    return err


# ---------------------------------------------------------------- help


def test_bare_govinfo_prints_help(capsys: pytest.CaptureFixture[str]) -> None:
    assert main([]) == 0
    out = capsys.readouterr().out
    assert out.startswith("usage: govinfo")
    for command in ("run", "query", "status", "serve"):
        assert re.search(rf"^\s+{command}\s+\S", out, re.M), out


def test_version(capsys: pytest.CaptureFixture[str]) -> None:
    from importlib.metadata import version
    with pytest.raises(SystemExit) as e:
        main(["--version"])
    assert e.value.code == 0
    assert capsys.readouterr().out.strip() == f"govinfo {version('govinfo-etl')}"


def _subparsers(parser: argparse.ArgumentParser) -> dict[str, argparse.ArgumentParser]:
    action = next(a for a in parser._actions if isinstance(a, argparse._SubParsersAction))
    return dict(action.choices)


def test_every_option_says_its_default() -> None:
    """What `--help` prints for each option ends with its default (or says it is required)."""
    subs = _subparsers(cli.build_parser())
    assert {"run", "query", "status", "serve", "lake-path", "report", "export"} <= set(subs)
    seen = 0
    for name, sub in subs.items():
        text = sub.format_help()
        for action in sub._actions:
            if isinstance(action, argparse._HelpAction) or not action.option_strings:
                continue
            shown = cli._HelpFormatter(name)._get_help_string(action) % vars(action)
            assert "default" in shown or "(required)" in shown, (name, action.dest, shown)
            seen += 1
        if name != "lake-path":
            assert "(default: data/warehouse.duckdb)" in re.sub(r"\s+", " ", text)
    assert seen >= 30


# ---------------------------------------------------------------- typos


def test_a_named_source_that_does_not_exist_exits_2(tmp_path: Path,
                                                   capsys: pytest.CaptureFixture[str]) -> None:
    wh = tmp_path / "w.duckdb"
    base = ["--warehouse", str(wh), "--lake", str(tmp_path / "lake")]
    assert main(["run", str(tmp_path / "no" / "such" / "path"), *base]) == 2
    assert "no such file or folder" in _one_line_error(capsys)
    assert main(["run", str(tmp_path / "*.pdf"), *base]) == 2
    assert "no file matches" in _one_line_error(capsys)
    assert main(["run", "ftp://example.org/report.pdf", *base]) == 2
    assert "unsupported URL scheme 'ftp'" in _one_line_error(capsys)
    assert main(["run", "--manifest", str(tmp_path / "list.csv"), *base]) == 2
    assert "no such manifest file" in _one_line_error(capsys)
    assert main(["run", "--manifest", str(tmp_path), *base]) == 2
    assert "is a folder" in _one_line_error(capsys)
    assert not wh.exists() and not (tmp_path / "lake").exists()  # nothing was started


def test_the_console_script_exits_2_on_a_missing_path(tmp_path: Path) -> None:
    r = subprocess.run([GOVINFO, "run", str(tmp_path / "missing"), "--warehouse",
                        str(tmp_path / "w.duckdb")], capture_output=True, text=True, timeout=120)
    assert r.returncode == 2, r
    assert r.stderr.strip() == f"govinfo run: no such file or folder: {tmp_path / 'missing'}"
    assert r.stdout == ""


def test_a_bad_warehouse_is_one_line(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    src = tmp_path / "in"
    src.mkdir()
    text = tmp_path / "notes.txt"
    text.write_text("not a database", encoding="utf-8")
    lake = ["--lake", str(tmp_path / "lake")]
    assert main(["run", str(src), "--warehouse", str(text), *lake]) == 2
    assert "is not a DuckDB database" in _one_line_error(capsys)
    assert main(["run", str(src), "--warehouse", str(tmp_path), *lake]) == 2
    assert "is a folder" in _one_line_error(capsys)
    assert main(["run", str(src), "--warehouse", str(tmp_path / "w.duckdb"),
                 "--lake", str(text)]) == 2
    assert "--lake" in _one_line_error(capsys)
    assert text.read_text(encoding="utf-8") == "not a database"


def test_status_and_query_say_when_a_file_is_not_a_warehouse(
        tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    text = tmp_path / "notes.txt"
    text.write_text("not a database", encoding="utf-8")
    other = tmp_path / "other.duckdb"
    duckdb.connect(str(other)).close()
    for command in (["status"], ["query", "select 1"]):
        name = command[0]
        assert main([*command, "--warehouse", str(text)]) == 2
        assert "is not a DuckDB database" in _one_line_error(capsys, name)
        assert main([*command, "--warehouse", str(other)]) == 2
        assert "is a DuckDB database but not a govinfo warehouse" in _one_line_error(capsys, name)
        assert main([*command, "--warehouse", str(tmp_path / "none.duckdb")]) == 2
        assert "no warehouse at" in _one_line_error(capsys, name)


# ---------------------------------------------------------------- query output


def test_table_aligns_chinese_by_display_width_and_cuts_nothing() -> None:
    long_title = "北碚区人民政府2018年政府信息公开工作年度报告" * 4  # 100 characters
    rows = [("北碚区", 596, long_title), ("Beibei District", None, "[b]not markup[/b]")]
    out = format_result(["region", "n", "title"], rows, "table")
    lines = out.splitlines()
    assert lines[-1] == "(2 rows)"
    body = lines[:-1]
    # every line as wide on screen, and the column bars at the same screen columns
    bars = {tuple(cell_len(line[:i]) for i, ch in enumerate(line) if ch in "|+") for line in body}
    assert len(bars) == 1, out
    assert long_title in out and "[b]not markup[/b]" in out and "NULL" in out
    # on a narrow terminal the long cell wraps inside its column: all of it is still there
    narrow = format_result(["region", "n", "title"], rows, "table", width=40)
    assert max(cell_len(line) for line in narrow.splitlines()) <= 40
    cells = "".join(line.split("|")[2].strip() for line in narrow.splitlines()[2:-1]
                    if line.count("|") == 2)
    assert long_title in cells


def test_query_reads_sql_from_stdin(seed_run: dict[str, Path], monkeypatch: pytest.MonkeyPatch,
                                    capsys: pytest.CaptureFixture[str]) -> None:
    monkeypatch.setattr(sys, "stdin", io.StringIO(
        "select region_name, report_year\nfrom reports where region_code = '500109';\n"))
    assert main(["query", "-", "--warehouse", str(seed_run["warehouse"]),
                 "--format", "csv"]) == 0
    assert capsys.readouterr().out.splitlines() == ["region_name,report_year", "北碚区,2018"]
    monkeypatch.setattr(sys, "stdin", io.StringIO("  \n"))
    assert main(["query", "-", "--warehouse", str(seed_run["warehouse"])]) == 2
    assert "no SQL given" in _one_line_error(capsys, "query")


# ---------------------------------------------------------------- the run itself


def test_summary_seconds_are_the_whole_command(tmp_path: Path,
                                               capsys: pytest.CaptureFixture[str]) -> None:
    """The flow's own time (kept in `runs.seconds`) is a part of what the user waits for."""
    src = tmp_path / "in"
    src.mkdir()
    (src / seed_paths()[0].name).write_bytes(seed_paths()[0].read_bytes())
    wh = tmp_path / "w.duckdb"
    t0 = time.monotonic()
    assert main(["run", str(src), "--warehouse", str(wh), "--lake", str(tmp_path / "lake")]) == 0
    wall = time.monotonic() - t0
    shown = float(re.search(r"^  seconds\s+([\d.]+)$", capsys.readouterr().out, re.M).group(1))
    con = duckdb.connect(str(wh), read_only=True)
    try:
        flow_seconds, status = con.execute("select seconds, status from runs").fetchone()
    finally:
        con.close()
    assert status == "finished"
    assert flow_seconds < shown <= wall + 0.01


def test_no_test_reads_outside_the_project() -> None:
    """A clone has nothing beside it: no test may reach for ../shared (CI has it, users not)."""
    offenders = [p.name for p in (ROOT / "tests").rglob("*.py")
                 if re.search(r"""["']shared["']|\.\./shared""", p.read_text(encoding="utf-8"))
                 and p.name != Path(__file__).name]
    assert offenders == []
