"""The toy results chapter's machine-readable table: complete, self-consistent, and the same numbers
as the table the chapter shows."""
import html
import json
import math
import re
from pathlib import Path

import pytest

from hgutils.report import mean_std

ROOT = Path(__file__).resolve().parents[1]
RESULTS = ROOT / "notebooks" / "data" / "toy_results.json"
RECORD = ROOT / "notebooks" / "09_results.ipynb"
METHODS = ["no guidance", "CFG", "CFG + linear", "CFG + cosine", "interval CFG", "autoguidance",
           "heavy tail (learned)", "heavy tail (exact)", "sigma scaling", "sigma scaling + cosine"]
COLUMNS = {"outlier rate": "outlier_rate", "precision": "precision", "recall": "recall",
           "branch TV": "branch_tv", "leaves": "leaves", "leakage": "leakage"}


@pytest.fixture(scope="module")
def results():
    return json.loads(RESULTS.read_text())


def _shown_table():
    """The 'best setting' table of the executed chapter (its HTML): {method: {column: cell}}."""
    nb = json.loads(RECORD.read_text())
    for cell in nb["cells"]:
        for out in cell.get("outputs", []):
            page = "".join(out.get("data", {}).get("text/html", []))
            if "best setting of each method" in page:
                rows = [[html.unescape(c) for c in re.findall(r"<t[hd]>(.*?)</t[hd]>", tr)]
                        for tr in re.findall(r"<tr>(.*?)</tr>", page)]
                head, body = rows[0], rows[1:]
                return {r[0]: dict(zip(head, r)) for r in body}
    raise AssertionError("the results table is missing from the executed chapter")


def test_every_method_is_there_with_five_seeds(results):
    assert set(METHODS) <= set(results["methods"])
    assert results["criterion"]["recall_floor"] == 0.9
    for name, m in results["methods"].items():
        assert len(m["seeds"]) >= 5 and len(set(m["seeds"])) == len(m["seeds"]), name
        assert 0 not in m["seeds"], f"{name}: reported seeds must differ from the selection seed"
        for key, v in m["metrics"].items():
            assert len(v["values"]) == len(m["seeds"]), (name, key)
            mean, std = mean_std(v["values"])
            assert v["mean"] == pytest.approx(mean, abs=2e-6) and v["std"] == pytest.approx(std, abs=2e-6), (name, key)
            assert all(math.isfinite(x) for x in v["values"])


def test_numbers_are_the_ones_the_chapter_shows(results):
    shown = _shown_table()
    for name, m in results["methods"].items():
        row = shown[name]
        assert row["setting"].startswith(m["setting"]), name
        for col, key in COLUMNS.items():
            mean_s, std_s = (float(v) for v in re.match(r"([\d.]+) ± ([\d.]+)", row[col]).groups())
            assert abs(m["metrics"][key]["mean"] - mean_s) <= 0.0011, (name, col)
            assert abs(m["metrics"][key]["std"] - std_s) <= 0.0011, (name, col)


def test_guidance_lowers_outliers_below_the_unguided_model(results):
    """A sanity check on the measurements themselves: every guided method at its chosen setting has
    fewer outliers than no guidance, and none reaches below true samples by more than noise."""
    m = results["methods"]
    none = m["no guidance"]["metrics"]["outlier_rate"]["mean"]
    floor = results["floor"]["outlier_rate"]["mean"]
    for name in METHODS[1:]:
        if m[name]["samples"] == m["no guidance"]["samples"]:
            assert m[name]["metrics"]["outlier_rate"]["mean"] < none, name
            assert m[name]["metrics"]["outlier_rate"]["mean"] > floor - 0.01, name
