"""The digits chapters' machine-readable files: complete, self-consistent, chosen by the stated
criterion on seeds other than the reported ones, and with paired intervals and verdicts that
follow from the per-run values."""
import json
import math
from pathlib import Path

import numpy as np
import pytest

from hgutils import images
from hgutils.report import mean_std
from hgutils.runs import t_interval

ROOT = Path(__file__).resolve().parents[1]
SELECTION = ROOT / "notebooks" / "data" / "digits_selection.json"
RESULTS = ROOT / "notebooks" / "data" / "digits_results.json"
METHODS = list(images.methods())


@pytest.fixture(scope="module")
def selection():
    return json.loads(SELECTION.read_text())


@pytest.fixture(scope="module")
def results():
    return json.loads(RESULTS.read_text())


def test_selection_follows_the_criterion_on_equal_grids(selection):
    assert list(selection["methods"]) == METHODS
    sizes = {len(r["grid"]) for m, r in selection["methods"].items() if m != "no guidance"}
    assert len(sizes) == 1 and sizes.pop() >= 2, "every guided method gets the same grid size"
    for m, r in selection["methods"].items():
        assert r["grid"] == images.grid(m, len(r["grid"])), m
        cands = {v: {k: [x[k]] for k in x} for v, x in zip(r["grid"], r["candidates"])}
        best, ok = images.best_setting(cands, recall_floor=selection["recall_floor"])
        assert (best, ok) == (r["chosen"], r["meets_floor"]), m


def test_every_method_over_three_training_seeds_on_fresh_sampling_seeds(results, selection):
    proto = results["protocol"]
    assert len(proto["training_seeds"]) >= 3
    assert not set(proto["sampling_seeds"]) & set(selection["sampling_seeds"])
    assert list(results["methods"]) == METHODS
    runs = len(proto["training_seeds"]) * len(proto["sampling_seeds"])
    for m, r in results["methods"].items():
        assert r["value"] == selection["methods"][m]["chosen"], m
        assert r["meets_recall_floor"] == (r["metrics"]["recall"]["mean"]
                                           >= selection["recall_floor"]), m
        for k, v in r["metrics"].items():
            assert len(v["values"]) == runs and all(math.isfinite(x) for x in v["values"])
            mean, std = mean_std(v["values"])
            assert v["mean"] == pytest.approx(mean, abs=2e-6), (m, k)
            assert v["std"] == pytest.approx(std, abs=2e-6), (m, k)


def test_paired_intervals_follow_from_the_runs(results):
    proto = results["protocol"]
    shape = (len(proto["training_seeds"]), len(proto["sampling_seeds"]))
    vals = lambda m, k: np.asarray(results["methods"][m]["metrics"][k]["values"]).reshape(shape)
    for m, diffs in results["paired_vs_no_guidance"].items():
        for k, d in diffs.items():
            mean, lo, hi = t_interval((vals(m, k) - vals("no guidance", k)).mean(1))
            assert (d["mean"], d["low"], d["high"]) == pytest.approx((mean, lo, hi), abs=2e-5), (m, k)


def test_readings_and_verdicts_follow_the_stated_rule(results):
    proto = results["protocol"]
    shares = set(proto["share_metrics"])
    n = {"toy": proto["toy_samples"], "digits": proto["samples"]}
    better = {"outlier_rate": "lower", "leakage": "lower", "precision": "higher",
              "accuracy": "higher", "recall": "higher", "branch_tv": "lower",
              "diversity_gap": "lower", "fd": "lower", "memorised": None}
    pairs = [("outlier_rate", "precision"), ("leakage", "accuracy"), ("recall", "recall"),
             ("branch_tv", "diversity_gap")]

    def read(data, k, d):
        if d["low"] <= 0 <= d["high"] or (k in shares and abs(d["mean"]) < 1 / n[data]):
            return "not resolved"
        side = "lower" if d["high"] < 0 else "higher"
        return side if better[k] is None else ("better" if side == better[k] else "worse")

    for f in results["findings"]:
        for key, d in f["differences"].items():
            data, k = key.split(": ")
            assert d["low"] <= d["mean"] <= d["high"], (f["finding"], key)
            assert d["reading"] == read(data, k, d), (f["finding"], key)
        diff = f["differences"]
        if not any(k.startswith("toy: ") for k in diff):
            assert f["verdict"] == "has no toy counterpart", f["finding"]
            continue
        got = [(diff[f"toy: {a}"]["reading"], diff[f"digits: {b}"]["reading"]) for a, b in pairs]
        resolved = [(t, d) for t, d in got if t != "not resolved"]
        if not resolved:
            want = "is not resolved on the toy"
        elif any(d != "not resolved" and d != t for t, d in resolved):
            want = "is reversed on digits"
        else:
            same = sum(t == d for t, d in resolved)
            want = ("holds" if same == len(resolved) else "holds in part" if same
                    else "is not resolved on digits")
        assert f["verdict"] == want, f["finding"]
