"""hgutils.metrics: outlier rate, sliced Wasserstein, mean log-density, against known answers."""
from __future__ import annotations

import math

import pytest
import torch

from hgutils import metrics, toy

from helpers import F64


def _true(tree, n, seed, sigma=0.0):
    return tree.sample(n, sigma, generator=torch.Generator().manual_seed(seed))


@pytest.fixture(scope="module")
def tree_ab():
    return toy.tree("AB")


@pytest.fixture(scope="module")
def reference(tree_ab):
    return _true(tree_ab, 20_000, 100)


def test_outlier_rate_of_true_samples_is_one_percent(tree_ab, reference):
    n = 20_000
    rate = metrics.outlier_rate(_true(tree_ab, n, 101), tree_ab, reference)
    # the binomial spread of the fresh samples plus that of the reference's 1% quantile
    sd = math.sqrt(0.01 * 0.99 / n) * math.sqrt(2)
    assert abs(rate - 0.01) < 4 * sd


def test_outlier_rate_mass_and_level(tree_ab, reference):
    x = _true(tree_ab, 20_000, 102)
    assert metrics.outlier_rate(x, tree_ab, reference, mass=0.9) == pytest.approx(0.1, abs=4 * math.sqrt(0.18 / 20_000))
    level = metrics.log_density_level(tree_ab, reference, 0.99)
    lp = tree_ab.logp(reference).double()
    assert (lp >= level).double().mean() == pytest.approx(0.99, abs=1e-3)
    with pytest.raises(ValueError, match=r"\bmass\b"):
        metrics.outlier_rate(x, tree_ab, reference, mass=1.0)
    with pytest.raises(ValueError, match=r"\breference\b"):
        metrics.outlier_rate(x, tree_ab, reference[:, :1])


def test_outlier_rate_far_points_and_noised(tree_ab, reference):
    far = torch.tensor([[5.0, 5.0], [-6.0, 2.0], [0.0, -7.0]]).repeat(10, 1)
    assert metrics.outlier_rate(far, tree_ab, reference) == 1.0
    noised = _true(tree_ab, 5000, 103, sigma=0.2)
    assert metrics.outlier_rate(noised, tree_ab, reference) > 0.2


def test_sliced_wasserstein_identity_and_symmetry():
    g = torch.Generator().manual_seed(0)
    x, y = torch.randn(3000, 2, generator=g), torch.randn(3000, 2, generator=g) * 1.3 + 0.2
    assert metrics.sliced_wasserstein(x, x) == 0.0
    assert metrics.sliced_wasserstein(x, x[torch.randperm(3000, generator=g)]) == pytest.approx(0.0, abs=1e-12)
    d = metrics.sliced_wasserstein(x, y)
    assert d > 0.1
    assert metrics.sliced_wasserstein(y, x) == pytest.approx(d, rel=1e-12)


@pytest.mark.parametrize("n_dirs", [2, 3, 128])
def test_sliced_wasserstein_of_translation(n_dirs):
    """For evenly spaced directions mean cos²(θ − φ) = ½ (n_dirs ≥ 2), so SW₂(x, x + v) = |v|/√2."""
    x = torch.randn(1000, 2, generator=torch.Generator().manual_seed(1), dtype=F64)
    v = torch.tensor([0.6, -0.8], dtype=F64) * 1.7
    assert metrics.sliced_wasserstein(x, x + v, n_dirs) == pytest.approx(1.7 / math.sqrt(2), rel=1e-10)


def test_sliced_wasserstein_single_direction():
    """n_dirs = 1 projects on θ = (1, 0) only: the distance is |v_x|."""
    x = torch.randn(500, 2, generator=torch.Generator().manual_seed(2), dtype=F64)
    assert metrics.sliced_wasserstein(x, x + torch.tensor([0.3, 5.0], dtype=F64), 1) == pytest.approx(0.3, rel=1e-10)


def test_sliced_wasserstein_different_sizes():
    p, q = torch.tensor([[0.5, -1.0]]), torch.tensor([[2.0, 1.0]])
    # point masses, any sizes: the distance is |p − q|/√2 exactly
    d = metrics.sliced_wasserstein(p.repeat(37, 1), q.repeat(101, 1))
    assert d == pytest.approx(float((p - q).norm()) / math.sqrt(2), rel=1e-6)
    g = torch.Generator().manual_seed(3)
    x, y = torch.randn(1000, 2, generator=g), torch.randn(3000, 2, generator=g)
    assert metrics.sliced_wasserstein(x, y) < 0.1                       # same distribution
    shift = torch.tensor([1.0, 0.0])
    assert metrics.sliced_wasserstein(x, y + shift) == pytest.approx(1 / math.sqrt(2), abs=0.1)
    assert metrics.sliced_wasserstein(x, y) == pytest.approx(metrics.sliced_wasserstein(y, x), rel=1e-9)


def test_sliced_wasserstein_rejects_bad_input():
    x = torch.zeros(5, 2)
    with pytest.raises(ValueError, match=r"\by\b"):
        metrics.sliced_wasserstein(x, torch.zeros(5, 3))
    with pytest.raises(ValueError, match=r"\bn_dirs\b"):
        metrics.sliced_wasserstein(x, x, 0)


def test_mean_logp(tree_ab):
    x = _true(tree_ab, 5000, 104)
    clean = metrics.mean_logp(x, tree_ab)
    noised = metrics.mean_logp(_true(tree_ab, 5000, 104, sigma=0.1), tree_ab)
    assert set(clean) == {"mean", "median"}
    assert clean["mean"] > noised["mean"] + 1 and clean["median"] > noised["median"]
    lp = tree_ab.logp(x).double()
    assert clean["mean"] == pytest.approx(float(lp.mean()), rel=1e-12)
    assert clean["median"] == pytest.approx(float(lp.median()), rel=1e-12)
    # an outlier drags the mean, not the median
    with_outlier = metrics.mean_logp(torch.cat([x, torch.tensor([[6.0, 6.0]])]), tree_ab)
    assert with_outlier["mean"] < clean["mean"] - 1
    assert abs(with_outlier["median"] - clean["median"]) < 0.05


def test_summarize(tree_ab, reference):
    x = _true(tree_ab, 2000, 105)
    s = metrics.summarize(x, tree_ab, reference)
    assert set(s) == {"mean_logp", "median_logp", "outlier_rate", "sw2"}
    assert s["sw2"] == pytest.approx(metrics.sliced_wasserstein(x, reference), rel=1e-12)
    assert s["outlier_rate"] < 0.03 and s["sw2"] < 0.05


# ---------------------------------------------------------------------------- metrics that cannot be gamed

def _refset():
    from hgutils import metrics, toy
    t = toy.tree("A")
    ref = t.sample(4096, generator=torch.Generator().manual_seed(5))
    return t, metrics.ReferenceSet(t, ref, toy.tree("AB"))


def test_non_finite_samples_count_against_the_method():
    t, R = _refset()
    x = t.sample(1024, generator=torch.Generator().manual_seed(6))
    bad = x.clone()
    bad[:100] = float("nan")
    bad[100:200] = 1e30                                   # far away: finite, a real outlier
    a, b = R(x), R(bad)
    assert b["nonfinite"] == pytest.approx(100 / 1024)
    assert b["outlier_rate"] >= a["outlier_rate"] + 190 / 1024 - 0.02
    assert b["precision"] < a["precision"] - 0.15 and b["branch_tv"] > a["branch_tv"] + 0.04
    assert b["sw2"] == math.inf and math.isfinite(a["sw2"])
    from hgutils import metrics
    assert metrics.outlier_rate(bad, t, R.reference) == pytest.approx(b["outlier_rate"])
    assert tuple(a) == R.names and tuple(b) == R.names         # the names say what is measured
    plain = metrics.ReferenceSet(t, R.reference)
    assert tuple(plain(x)) == plain.names and "leakage" not in plain.names


def test_draining_the_leaves_lowers_the_raw_outlier_rate_not_the_corrected_one():
    # true samples with three of every four leaf samples dropped: no sample is placed better,
    # only mass moves off the thin branches
    t, R = _refset()
    x, branch = t.sample(8192, generator=torch.Generator().manual_seed(7), return_branch=True)
    leaf = t.branch_depth()[branch] == 6
    keep = ~leaf | (torch.arange(len(x)) % 4 == 0)
    full, drained = R(x), R(x[keep])
    assert full["outlier_rate_mc"] == pytest.approx(full["outlier_rate"], abs=0.003)
    assert drained["outlier_rate"] < full["outlier_rate"] - 0.001        # the raw rate is fooled
    assert drained["outlier_rate_mc"] == pytest.approx(full["outlier_rate_mc"], abs=0.003)
    gone = R(x[~leaf])      # no leaf sample at all: samples near a leaf's base are attributed to
    assert gone["coverage"] < full["coverage"] - 0.02   # it, so coverage, not the rate, shows this


def test_density_and_coverage_of_true_samples():
    t, R = _refset()
    m = R(t.sample(4096, generator=torch.Generator().manual_seed(8)))
    assert 0.9 < m["density"] < 1.1 and 0.8 < m["coverage"] < 0.95
    collapsed = t.sample(64, generator=torch.Generator().manual_seed(9)).repeat(64, 1)
    c = R(collapsed + 1e-4 * torch.randn(collapsed.shape, generator=torch.Generator().manual_seed(1)))
    assert c["coverage"] < 0.1 and c["recall"] < 0.2


def test_knn_metrics_compare_equal_sizes():
    t, R = _refset()
    x = t.sample(256, generator=torch.Generator().manual_seed(10))
    ref, radii = R._ref_for(len(x))
    assert len(ref) == 256 and torch.equal(ref, R.ref[:256])
    from hgutils import metrics
    assert R(x)["recall"] == pytest.approx(metrics.precision_recall(x, R.reference[:256])["recall"])


def test_trimmed_sw2_is_not_moved_by_a_few_far_samples():
    from hgutils import metrics
    t, R = _refset()
    x = t.sample(1024, generator=torch.Generator().manual_seed(7))
    far = x.clone()
    far[:5] = torch.tensor([40.0, -40.0])                 # 0.5% of the samples, far away
    a, b = R(x), R(far)
    assert b["sw2"] > 5 * a["sw2"]                        # squared distances: the tail rules
    assert b["sw2_trim"] < 1.5 * a["sw2_trim"]            # the central 98% barely moves
    assert a["sw2_trim"] == pytest.approx(
        metrics.sliced_wasserstein(x, R.reference, trim=0.01), rel=1e-9)
    assert metrics.sliced_wasserstein(x, R.reference, trim=0.0) == pytest.approx(
        a["sw2"], rel=1e-9)
    with pytest.raises(ValueError, match="trim"):
        metrics.sliced_wasserstein(x, R.reference, trim=0.5)


def test_metric_notes_list_what_each_metric_rewards_and_misses():
    from hgutils import metrics
    text = metrics.notes(["outlier_rate", "leaves"])
    assert text.splitlines() == [
        f"- **{metrics.METRICS[k][0]}** ({metrics.METRICS[k][1]} is better): "
        f"{metrics.METRICS[k][2]}." for k in ("outlier_rate", "leaves")]
    assert "rewards draining" in text
    with pytest.raises(ValueError, match="keys must be names in METRICS"):
        metrics.notes(["outliers"])
