"""Metrics: samples against the ground truth. They take samples and a reference, never models.

* ``mean_logp(x, tree)``: mean of log p_data(x) over the samples (σ = 0). Higher is
  better; a sample far off the tree counts with its (very negative) log density, so
  this mean punishes outliers hard. Also returned: its median, robust to outliers.
* ``outlier_rate(x, tree, reference)``: share of samples whose log p_data lies below
  the level ℓ₉₉ that encloses 99% of the true mass, ℓ₉₉ = the 1% quantile of
  log p_data over true samples. True samples score ≈ 1% by construction.
* ``sliced_wasserstein(x, y)``: the sliced 2-Wasserstein distance between two sample
  sets, SW₂² = mean over directions θ of W₂²(θᵀx, θᵀy), with `n_dirs` directions evenly
  spaced on the half circle (deterministic) and 1-D W₂ from sorted projections
  (quantiles when the sizes differ).
"""
from __future__ import annotations

import math

import torch

from ._checks import check_int, check_points

# What each guidance metric rewards and what it misses (label, better, note): one list for every
# table and plot of the study.
METRICS = {
    "outlier_rate": ("outliers", "lower", "share of samples below the log-density level holding 99% "
                     "of the true mass (true samples: about 1%); rewards draining the thin leaf "
                     "branches, where the density is low"),
    "outlier_rate_mc": ("outliers (mass-corr.)", "lower", "outlier rate within each depth of the "
                        "tree, weighted by the true depth masses; draining thin branches no longer "
                        "lowers it and a depth no sample reaches counts as all outliers, but a "
                        "drained depth still gets the samples near its base (see coverage)"),
    "precision": ("precision", "higher", "share of samples inside the true k-NN manifold; blind "
                  "to missing modes"),
    "recall": ("recall", "higher", "share of true points inside the samples' k-NN manifold; "
               "sparse samples get large balls, so it forgives thin coverage"),
    "density": ("density", "higher", "mean number of true k-NN balls holding a sample, / k "
                "(≈ 1 for true samples); rewards piling samples where the data are dense"),
    "coverage": ("coverage", "higher", "share of true k-NN balls holding a sample; its balls are "
                 "the data's, so sparse samples do not inflate it"),
    "branch_tv": ("branch TV", "lower", "TV distance between the samples' and the true shares of "
                  "the 8 depth-3 subtrees and the trunk; blind to placement within a subtree"),
    "leaves": ("leaves", "higher", "share of the 64 leaf branches holding a sample; one sample is "
               "enough"),
    "sw2": ("SW₂", "lower", "sliced 2-Wasserstein distance to true samples; global shape, "
            "but squared distances let a few far samples dominate it (see trimmed SW₂)"),
    "sw2_trim": ("SW₂ (trimmed)", "lower", "SW₂ over the central 98% of each projection "
                 "(quantile levels 1%–99%): not moved by the 1% farthest samples at either "
                 "end, blind to how far they are"),
    "leakage": ("leakage", "lower", "share of samples whose most likely class is B"),
    # images (hgutils.imagemetrics): in a digits classifier's feature space, against test images
    "accuracy": ("accuracy", "higher", "share of samples the classifier reads as the requested "
                 "class (fidelity); one clean prototype per class scores 1, so it is blind to "
                 "diversity"),
    "fd": ("FD", "lower", "Fréchet distance between Gaussians fitted to the samples' and the test "
           "images' classifier features (an FID analogue); mean and covariance only, and biased "
           "upward at small n (training images against test images give its floor)"),
    "diversity": ("diversity", "higher", "mean feature distance between two samples of the same "
                  "requested class; noise and broken strokes raise it too, so read it beside "
                  "precision"),
    "memorised": ("memorised", "lower", "share of samples nearer (in pixels) to a training image "
                  "than 95% of test images are (test images: 5% by construction); a copy of a "
                  "training image is a perfect sample for every other metric"),
}


def notes(keys) -> str:
    """What each metric of `keys` measures, rewards and misses (`METRICS`): a Markdown list."""
    unknown = [k for k in keys if k not in METRICS]
    if unknown:
        raise ValueError(f"keys must be names in METRICS ({', '.join(METRICS)}), "
                         f"got {unknown[0]!r}")
    return "\n".join(f"- **{METRICS[k][0]}** ({METRICS[k][1]} is better): {METRICS[k][2]}."
                     for k in keys)


def log_density_level(tree, reference: torch.Tensor, mass: float = 0.99) -> float:
    """ℓ such that P_data(log p_data(y) ≥ ℓ) ≈ `mass`, estimated from true samples `reference`."""
    reference = check_points(reference, "reference")
    if not 0 < mass < 1:
        raise ValueError(f"mass must be in (0, 1), got {mass}")
    return float(torch.quantile(tree.logp(reference).double(), 1 - mass))


def mean_logp(x: torch.Tensor, tree) -> dict:
    """{'mean': mean log p_data(x), 'median': median log p_data(x)} (σ = 0)."""
    lp = tree.logp(check_points(x)).double()
    return {"mean": float(lp.mean()), "median": float(lp.median())}


def outlier_rate(x: torch.Tensor, tree, reference: torch.Tensor, mass: float = 0.99) -> float:
    """Share of samples below the log-density level enclosing `mass` of the true distribution."""
    level = log_density_level(tree, reference, mass)
    return float(outlier_mask(x, tree, level).double().mean())


def _logp_rows(x: torch.Tensor, tree):
    """log p_data of each sample, −inf for a non-finite one, and the mask of finite rows."""
    x = check_points(x, finite=False)
    ok = torch.isfinite(x).all(1)
    lp = torch.full((len(x),), -math.inf, dtype=torch.float64)
    if ok.any():
        lp[ok] = tree.logp(x[ok]).double()
    return lp, ok


def outlier_mask(x: torch.Tensor, tree, level: float) -> torch.Tensor:
    """[N] bool: samples below the log-density `level`; a non-finite sample or log density is an
    outlier (a diverging sampler must not look better)."""
    return ~(_logp_rows(x, tree)[0] >= level)


def sliced_wasserstein(x: torch.Tensor, y: torch.Tensor, n_dirs: int = 128,
                       trim: float = 0.0) -> float:
    """Sliced 2-Wasserstein distance between sample sets x [N, 2] and y [M, 2].

    trim: drop the quantile levels below `trim` and above 1 − `trim` of every projection
    (0 ≤ trim < 0.5): the trimmed SW₂, which the farthest samples at either end cannot move."""
    x, y = check_points(x, "x").double(), check_points(y, "y").double()
    n_dirs = check_int(n_dirs, "n_dirs", 1)
    if not 0 <= trim < 0.5:
        raise ValueError(f"trim must be in [0, 0.5), got {trim!r}")
    theta = _directions(n_dirs)
    px, py = (x @ theta.T).sort(0).values, (y @ theta.T).sort(0).values        # [N, D], [M, D]
    return _sw2_sorted(px, py, trim)[1]


def _directions(n_dirs: int) -> torch.Tensor:
    """n_dirs unit vectors at equally spaced angles in [0, π): [D, 2], float64."""
    ang = torch.arange(n_dirs, dtype=torch.float64) * math.pi / n_dirs
    return torch.stack([ang.cos(), ang.sin()], 1)


def _levels(n: int, py) -> tuple:
    """(q, py's quantiles at q): the n quantile levels (i + ½)/n at which sets of unequal size
    are compared, and py [M, D] at them."""
    q = (torch.arange(n, dtype=torch.float64) + 0.5) / n                        # [n] levels
    return q, torch.quantile(py, q, dim=0)


def _sw2_sorted(px, py, trim: float, levels=None) -> tuple[float, float]:
    """(SW₂, SW₂ over the quantile levels in [trim, 1 − trim]) of sorted projections px [N, D]
    and py [M, D]; sets of unequal size are compared at n = max(N, M) quantile levels.
    levels: (q, py's quantiles at q) computed before, for a py used again."""
    q, py_q = levels or _levels(max(len(px), len(py)), py)
    if len(px) != len(py):
        px, py = torch.quantile(px, q, dim=0), py_q
    d2 = (px - py).square()                                                     # [n, D]
    keep = (q >= trim) & (q <= 1 - trim)
    return float(d2.mean().sqrt()), float(d2[keep].mean().sqrt())


def summarize(x: torch.Tensor, tree, reference: torch.Tensor) -> dict:
    """All the foundation metrics of samples x against a tree and true samples `reference`."""
    lp = mean_logp(x, tree)
    return {"mean_logp": lp["mean"], "median_logp": lp["median"],
            "outlier_rate": outlier_rate(x, tree, reference),
            "sw2": sliced_wasserstein(x, reference)}


# ---------------------------------------------------------------------------- metrics of guidance

def _kth_nn_radius(a: torch.Tensor, k: int, chunk: int = 2048) -> torch.Tensor:
    """Distance from each point of a [N, 2] to its k-th nearest neighbour in a (itself excluded)."""
    out = []
    for c in a.split(chunk):
        d = torch.cdist(c, a)                                                    # [n, N]
        out.append(d.topk(k + 1, dim=1, largest=False).values[:, k])               # +1: the point itself
    return torch.cat(out)


def knn_radii(points: torch.Tensor, k: int = 3) -> torch.Tensor:
    """Each point's distance to its k-th nearest neighbour in the set (the k-NN manifold's radii): [N]."""
    points = check_points(points, "points").float()
    k = check_int(k, "k", 1)
    if len(points) <= k:
        raise ValueError(f"points needs more than k = {k} points")
    return _kth_nn_radius(points, k)


def precision_recall(x: torch.Tensor, reference: torch.Tensor, k: int = 3) -> dict:
    """Improved precision and recall (Kynkäänniemi et al. 2019) with k-NN manifolds.

    The true manifold is the union of balls around each reference point with radius the
    distance to its k-th nearest reference neighbour. Precision = share of samples inside it;
    recall = share of reference points inside the samples' manifold (built the same way)."""
    x, ref = check_points(x, "x").float(), check_points(reference, "reference").float()
    k = check_int(k, "k", 1)
    if len(x) <= k or len(ref) <= k:
        raise ValueError(f"x and reference need more than k = {k} points")
    c = _knn_counts(x, ref, _kth_nn_radius(ref, k), k)
    return {"precision": c["inside"] / len(x), "recall": c["recall"]}


def branch_of(x: torch.Tensor, tree) -> torch.Tensor:
    """Index (into tree.branches) of the most likely branch of each sample under p_data: [N]."""
    return tree.branch_logp(check_points(x)).argmax(1)


def _ancestor_at(tree, depth: int) -> torch.Tensor:
    """For each branch, the index of its ancestor at `depth` (itself if at that depth), or −1 if shallower."""
    index = {b.index: i for i, b in enumerate(tree.branches)}
    out = []
    for b in tree.branches:
        node = b
        while node.depth > depth:
            node = tree.branches[index[node.parent]]
        out.append(index[node.index] if node.depth == depth else -1)
    return torch.tensor(out)


def _subtree_bins(tree, depth: int):
    """Bin of each branch (the subtrees rooted at `depth`, in depth-first order, then one bin for the
    shallower trunk) and the true mass of each bin: ([B], [n_bins])."""
    depth = check_int(depth, "depth", 0)
    if depth > 6:
        raise ValueError(f"depth must be between 0 and 6, got {depth}")
    anc = _ancestor_at(tree, depth)                                               # [B]
    roots = sorted(set(anc.tolist()) - {-1})
    bin_of_branch = torch.tensor([roots.index(a) if a >= 0 else len(roots) for a in anc.tolist()])
    p_true = torch.zeros(len(roots) + 1, dtype=torch.float64).index_add_(0, bin_of_branch, branch_mass(tree))
    return bin_of_branch, p_true


def branch_mass(tree) -> torch.Tensor:
    """True probability mass of each branch of `tree`: [B]."""
    return torch.zeros(len(tree.branches), dtype=torch.float64).index_add_(0, tree.branch_of, tree.log_phi.exp())


def subtree_shares(x: torch.Tensor, tree, depth: int = 3):
    """Share of samples in each subtree rooted at `depth` (depth-first order; the last bin is the
    trunk above it), and the true masses of the same bins: ([n_bins], [n_bins])."""
    bin_of_branch, p_true = _subtree_bins(tree, depth)
    counts = torch.bincount(bin_of_branch[branch_of(x, tree)], minlength=len(p_true)).double()
    return counts / counts.sum(), p_true


def depth_shares(x: torch.Tensor, tree):
    """Share of samples on the branches of each depth 0..6 (depth 0 is the main branch, the trunk's
    first segment; 6 the leaves), and the true masses by depth: ([7], [7])."""
    d = tree.branch_depth()
    p_true = torch.zeros(7, dtype=torch.float64).index_add_(0, d, branch_mass(tree))
    counts = torch.bincount(d[branch_of(x, tree)], minlength=7).double()
    return counts / counts.sum(), p_true


def branch_coverage(x: torch.Tensor, tree, depth: int = 3) -> dict:
    """How samples spread over the tree's branches, against the true mass.

    Each sample goes to its most likely branch; branches are grouped into the subtrees rooted
    at `depth` (plus one bin for the shallower trunk branches). ``tv``: total variation distance
    ½Σ|p̂ − p| between the samples' shares and the true masses of those bins (0 = same spread,
    1 = disjoint). ``leaves``: share of the leaf branches (depth 6) that hold at least one sample.
    A single class of the tree is expected (e.g. tree("A"))."""
    x = check_points(x)
    return _coverage_counts(x, tree, depth, len(x))


def class_leakage(x: torch.Tensor, tree_ab) -> float:
    """Share of samples whose most likely class under the two-class tree (σ = 0) is B."""
    lp = tree_ab.branch_logp(check_points(x))                                     # [N, B]
    is_b = torch.tensor([br.cls == "B" for br in tree_ab.branches])
    if not is_b.any() or is_b.all():
        raise ValueError("tree_ab must hold both classes (toy.tree('AB'))")
    lb = torch.logsumexp(lp[:, is_b], 1)
    la = torch.logsumexp(lp[:, ~is_b], 1)
    return float((lb > la).double().mean())


def summarize_guidance(x: torch.Tensor, tree, reference: torch.Tensor, tree_ab=None, depth: int = 3, k: int = 3) -> dict:
    """The guidance metrics of samples x against class `tree` (true samples `reference`): those of
    `summarize`, precision and recall, branch TV and leaves reached, and class leakage if `tree_ab`
    is given. To measure many sample sets against one reference, build a `ReferenceSet` once."""
    return ReferenceSet(tree, reference, tree_ab, depth, k)(x)


def branch_spread(x: torch.Tensor, tree, top_share: float = 0.1) -> dict:
    """How concentrated samples are over the branches (each sample at its most likely branch).

    ``top_branches`` / ``top_leaves``: share of the samples on the most populated `top_share` of all
    branches / of the leaf branches (depth 6); ``eff_leaves``: the effective number of leaves
    exp(entropy of the samples' distribution over leaves); ``on_leaves``: share on leaf branches."""
    if not 0 < top_share <= 1:
        raise ValueError(f"top_share must be in (0, 1], got {top_share}")
    b = branch_of(x, tree)
    counts = torch.bincount(b, minlength=len(tree.branches)).double()
    leaf = counts[tree.branch_depth() == 6]

    def top(c):
        k = max(1, round(top_share * len(c)))
        return float(c.sort(descending=True).values[:k].sum() / c.sum().clamp(min=1))

    p = leaf[leaf > 0] / leaf.sum()
    return {"top_branches": top(counts), "top_leaves": top(leaf),
            "eff_leaves": float(torch.exp(-(p * p.log()).sum())) if len(p) else 0.0,
            "on_leaves": float(leaf.sum() / counts.sum())}


class ReferenceSet:
    """`summarize_guidance` against one fixed set of true samples, with everything that depends
    only on them (the outlier level, their k-NN radii, their SW₂ projections) computed once.

    Keys: those of `METRICS`. Non-finite samples are allowed and counted against the method
    (outliers, outside every ball, a TV bin of their own, SW₂ = inf; ``nonfinite`` is their share).
    The k-NN metrics compare the samples with the first N true samples (N = the number of samples),
    so sets of different sizes are measured alike."""

    def __init__(self, tree, reference: torch.Tensor, tree_ab=None, depth: int = 3, k: int = 3, n_dirs: int = 128):
        self.tree, self.tree_ab, self.depth, self.k = tree, tree_ab, depth, k
        self.reference = check_points(reference, "reference")
        self.ref = self.reference.float()
        self.level = log_density_level(tree, self.reference)
        self.radii = knn_radii(self.ref, k)
        self.theta = _directions(n_dirs)                                          # [D, 2]
        self.ref_proj = (self.reference.double() @ self.theta.T).sort(0).values   # [M, D]
        self._q_cache: dict = {}
        self._ref_cache: dict = {}
        d = tree.branch_depth()
        self.depth_mass = torch.zeros(7, dtype=torch.float64).index_add_(0, d, branch_mass(tree))
        self.names = (*self._NAMES, *(("leakage",) if tree_ab is not None else ()))

    _NAMES = ("mean_logp", "median_logp", "outlier_rate", "outlier_rate_mc", "sw2", "sw2_trim",
              "precision", "recall", "density", "coverage", "branch_tv", "leaves", "nonfinite")

    def _sw2(self, x, trim: float = 0.01):
        """(SW₂, SW₂ over the quantile levels in [trim, 1 − trim]) against the reference."""
        px = (x.double() @ self.theta.T).sort(0).values
        n = max(len(px), len(self.ref_proj))
        if n not in self._q_cache:
            self._q_cache[n] = _levels(n, self.ref_proj)
        return _sw2_sorted(px, self.ref_proj, trim, self._q_cache[n])

    def _ref_for(self, n: int):
        """The first min(n, M) true samples and their k-NN radii: k-NN metrics compare equal-size
        sets, since a smaller sample set has larger balls and would inflate recall."""
        m = min(max(n, self.k + 1), len(self.ref))
        if m not in self._ref_cache:
            ref = self.ref[:m]
            self._ref_cache[m] = (ref, self.radii if m == len(self.ref) else knn_radii(ref, self.k))
        return self._ref_cache[m]

    def __call__(self, x: torch.Tensor) -> dict:
        lp, ok = _logp_rows(x, self.tree)
        n, xf = len(x), x[ok]
        nf = len(xf)
        b = branch_of(xf, self.tree) if nf else None                              # [nf]
        outlier = ~(lp >= self.level)
        ref, radii = self._ref_for(n)
        knn = _knn_counts(xf.float(), ref, radii, self.k) if nf > self.k else None
        out = {"mean_logp": float(lp.mean()), "median_logp": float(lp.median()),
               "outlier_rate": float(outlier.double().mean()),
               "outlier_rate_mc": self._mass_corrected(b, outlier[ok], n),
               **dict(zip(("sw2", "sw2_trim"),
                          self._sw2(x) if nf == n else (math.inf, math.inf))),
               "precision": knn["inside"] / n if knn else 0.0,
               "recall": knn["recall"] if knn else 0.0,
               "density": knn["density"] / n if knn else 0.0,
               "coverage": knn["coverage"] if knn else 0.0}
        cov = _coverage_counts(xf, self.tree, self.depth, n, b)
        out.update(branch_tv=cov["tv"], leaves=cov["leaves"], nonfinite=1 - nf / n)
        if self.tree_ab is not None:
            out["leakage"] = class_leakage(xf, self.tree_ab) * nf / n if nf else 0.0
        return out

    def _mass_corrected(self, b, outlier_f, n):
        """Outlier rate within each depth of the tree (samples at their most likely branch),
        weighted by the depth's true mass; a depth that no sample reaches counts as all outliers,
        non-finite samples as outliers. True samples score ≈ 1%, like the raw rate, but moving
        mass from the thin leaves to the thick branches no longer lowers it."""
        if b is None:
            return 1.0
        depth = self.tree.branch_depth()[b]
        p_true = self.depth_mass
        rate = torch.ones(len(p_true), dtype=torch.float64)
        cnt = torch.bincount(depth, minlength=len(p_true)).double()
        bad = torch.bincount(depth, weights=outlier_f.double(), minlength=len(p_true))
        rate[cnt > 0] = bad[cnt > 0] / cnt[cnt > 0]
        share = len(b) / n
        return float(share * (p_true * rate).sum() + (1 - share))


def _knn_counts(x, ref, r_ref, k, chunk: int = 2048) -> dict:
    """Precision/recall (Kynkäänniemi et al. 2019) and density/coverage (Naeem et al. 2020) from one
    pass over the distances: ``inside`` = number of samples in some true ball; ``density`` = Σ over
    samples of the number of true balls holding it, / k; ``recall`` = share of true points in some
    sample ball; ``coverage`` = share of true balls holding at least one sample."""
    r_x = _kth_nn_radius(x, k)
    inside = 0
    dens = 0.0
    recalled = torch.zeros(len(ref), dtype=torch.bool)
    covered = torch.zeros(len(ref), dtype=torch.bool)
    for xc, rc in zip(x.split(chunk), r_x.split(chunk)):
        d = torch.cdist(xc, ref)                                                  # [n, M]
        in_ball = d <= r_ref[None]                                                # sample in true ball
        inside += int(in_ball.any(1).sum())
        dens += float(in_ball.sum()) / k
        covered |= in_ball.any(0)
        recalled |= (d <= rc[:, None]).any(0)
    return {"inside": inside, "density": dens, "recall": float(recalled.double().mean()),
            "coverage": float(covered.double().mean())}


def _coverage_counts(xf, tree, depth, n, b=None) -> dict:
    """`branch_coverage` of the finite samples xf out of n: the non-finite ones are a bin of their
    own with true mass 0 (they add their share to the TV distance). `b`: their branches
    (`branch_of`), when already known."""
    if not len(xf):
        return {"tv": 1.0, "leaves": 0.0}
    bin_of_branch, p_true = _subtree_bins(tree, depth)
    b = branch_of(xf, tree) if b is None else b
    counts = torch.bincount(bin_of_branch[b], minlength=len(p_true)).double()
    tv = 0.5 * ((counts / n - p_true).abs().sum() + (n - len(xf)) / n)
    leaves = torch.tensor([br.depth == 6 for br in tree.branches])
    reached = torch.zeros(len(tree.branches), dtype=torch.bool)
    reached[b] = True
    return {"tv": float(tv), "leaves": float(reached[leaves].double().mean())}
