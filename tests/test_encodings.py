"""Encodings and scripts: the seeds re-encoded as real copies come in give the same metrics."""
from __future__ import annotations

import codecs

import opencc
import pytest

from extractors.encoding import decode
from flows.stages import WorkItem, run_all
from tests.conftest import seed_paths
from transforms.normalize import detect_script, normalize_text

SIMPLIFIED = [p for p in seed_paths() if not p.name.startswith("002")]
TRADITIONAL = [p for p in seed_paths() if p.name.startswith("002")]


def _metrics(data: bytes, name: str) -> tuple[dict, dict]:
    it = run_all([WorkItem(source_uri=name, data=data)])[0]
    assert it.error is None, it.error
    got = {(m["indicator_code"], m["breakdown"], m["period"]): m["value"] for m in it.result.metrics}
    return got, it.result.report


def _variants(text: str) -> dict[str, tuple[bytes, str]]:
    crlf = text.replace("\r\n", "\n").replace("\n", "\r\n")
    return {
        "gbk": (text.encode("gbk", errors="replace"), "gb18030"),  # • and nbsp are not in GBK
        "gb18030-crlf": (crlf.encode("gb18030"), "gb18030"),
        "utf-16": (text.encode("utf-16"), "utf-16"),
        "utf-16le-nobom": (text.encode("utf-16-le"), "utf-16"),
        "utf-8-bom": (codecs.BOM_UTF8 + text.encode("utf-8"), "utf-8"),
    }


def _agreement(base: dict, other: dict) -> float:
    same = sum(1 for k, v in base.items() if k in other and abs(other[k] - v) < 1e-6)
    return same / max(1, len(base))


@pytest.mark.parametrize("path", SIMPLIFIED, ids=lambda p: p.name[:3])
def test_simplified_seed_in_every_encoding(path):
    text = path.read_text(encoding="utf-8")
    base, base_rep = _metrics(text.encode("utf-8"), path.name)
    assert base_rep["encoding"] == "utf-8" and base_rep["script"] == "simplified"
    assert len(base) >= 3
    for name, (data, expected_encoding) in _variants(text).items():
        got, rep = _metrics(data, path.name)
        assert rep["encoding"] == expected_encoding, name
        assert rep["script"] == "simplified", name
        assert _agreement(base, got) == 1.0, name


@pytest.mark.parametrize("path", SIMPLIFIED, ids=lambda p: p.name[:3])
def test_traditional_big5_copy_gives_the_same_metrics(path):
    """A Taiwan-style copy (simplified -> traditional with Taiwan phrases, in Big5)."""
    text = path.read_text(encoding="utf-8")
    trad = opencc.OpenCC("s2twp").convert(text)
    data = trad.encode("cp950", errors="replace")
    base, _ = _metrics(text.encode("utf-8"), path.name)
    got, rep = _metrics(data, path.name)
    assert rep["encoding"] == "big5"
    assert rep["script"] == "traditional"
    assert _agreement(base, got) >= 0.97


@pytest.mark.parametrize("path", TRADITIONAL, ids=lambda p: p.name[:3])
def test_traditional_seed_in_big5_and_utf8(path):
    text = path.read_text(encoding="utf-8")
    base, base_rep = _metrics(text.encode("utf-8"), path.name)
    assert base_rep["script"] == "traditional"
    got, rep = _metrics(text.encode("cp950"), path.name)
    assert rep["encoding"] == "big5" and rep["script"] == "traditional"
    assert _agreement(base, got) == 1.0
    assert base[("requests.received", "", "year")] == 20495


def test_big5_bytes_are_not_mistaken_for_gb18030():
    """Big5 decodes without error as GB18030 into nonsense; the detector must not accept that."""
    text = TRADITIONAL[0].read_text(encoding="utf-8") if TRADITIONAL else "政府資訊公開年度報告" * 50
    data = text.encode("cp950")
    assert data.decode("gb18030", errors="strict")  # the trap: it does decode
    d = decode(data, declared="gb2312")  # and the page even claims gb2312
    assert d.encoding == "big5"
    assert d.text == text


def test_undecodable_bytes_are_loaded_with_a_warning():
    text = SIMPLIFIED[0].read_text(encoding="utf-8")
    data = text.encode("gb18030") + b"\xff\xfe\xfd" + text[:200].encode("gb18030")
    it = run_all([WorkItem(source_uri="broken.txt", data=data)])[0]
    assert it.error is None
    assert "replaced" in (it.result.report["warnings"] or "")


def test_normalization_targets_only_what_it_should():
    s = "２０１８年收到申请５９６件（其中①当面）　資訊公開，網路申請"
    out = normalize_text(s)
    assert out == "2018年收到申请596件(其中①当面) 信息公开,网络申请"
    assert normalize_text(out) == out  # idempotent
    # no tw2sp-style rewriting of ordinary words
    assert normalize_text("建立文件程序") == "建立文件程序"
    assert detect_script("政府資訊公開條例") == "traditional"
    assert detect_script("政府信息公开条例") == "simplified"
