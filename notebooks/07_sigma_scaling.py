# ---
# jupyter:
#   jupytext:
#     formats: ipynb,py:percent
#     text_representation:
#       extension: .py
#       format_name: percent
#   kernelspec:
#     display_name: Python 3
#     language: python
#     name: python3
# ---

# %% [markdown]
# # 7. Sigma scaling: guidance from the same network at a larger noise level
#
# **The question.** Autoguidance needs a second, worse model. The presentation
# {cite}`seo2025guidance` proposes to do without it: guide the main network with *itself*, evaluated at a larger noise level $\sigma_g = k\sigma$.
# It claims that "small $k$ reduces outliers and still preserves diversity comparing to model without
# guidance", and that "as $k$ increases, samples tend to be concentrated around the main branch (high
# density region)". Does guiding with the same network at $k\sigma$ remove the outliers while keeping
# the diversity, and what does $k$ actually do?
#
# **From earlier chapters.** [Chapter 2](02_score_ode.ipynb) trained the main model (an MLP that
# outputs $\log p_\theta(x;\sigma)$, 4 layers of 64 units) and sampled it with 32 Heun steps of the
# probability-flow ODE {cite}`karras2022edm` from $\sigma = 5$ to $0.002$; about one sample in ten lands
# just off a branch. [Chapter 3](03_cfg.ipynb) defined the metrics, and [Chapter 5](05_autoguidance.ipynb)
# guided the main model with a smaller, shorter-trained copy of itself (autoguidance
# {cite}`karras2024autoguidance`): at $w$ = {glue:text}`agt_w` it took the outliers from about
# {glue:text}`intro_none_out` to {glue:text}`intro_agt_out` ({glue:text}`intro_agt_word`; rerun
# below), at a cost of recall
# ({glue:text}`intro_none_rec` → {glue:text}`intro_agt_rec`), and most of its effect was a sharpening that an exact model undergoes too. We
# use the same guided score,
#
# $$
# s(x;\sigma) = s_1(x;\sigma) + (w-1)\,\big(s_1(x;\sigma) - s_0(x;\sigma_g)\big), \qquad D = x + \sigma^2 s,
# $$
#
# and $w = 1$ is no guidance. **Sigma scaling** takes the guide to be the main network at a larger noise
# level, $s_0(x;\sigma_g) = s_1(x;k\sigma)$ with $k \ge 1$ (`hgutils.guidance.sigma_scaling`). At each
# $\sigma$ the guided score is then the score of
#
# $$
# p_{w,k}(x;\sigma) \;\propto\; \frac{p_1(x;\sigma)^{\,w}}{p_1(x;k\sigma)^{\,w-1}},
# $$
#
# the main model's density sharpened against a blurrier version of itself. Scores are combined, not
# denoised outputs (a blend of $D(x;\sigma)$ and $D(x;k\sigma)$ would add a term along the guide's score;
# see `hgutils.guidance`). Metrics, as in [Chapter 5](05_autoguidance.ipynb), against true class-A
# samples: **outlier rate** (share below the log-density level that holds 99% of the true mass; true
# samples ≈ {glue:text}`floor_out2`), **precision** and **recall** {cite}`kynkaanniemi2019precision`, **branch TV** (total
# variation between the samples' and the true shares of the 8 depth-3 subtrees plus the trunk) and
# **leaves** (share of the 64 leaf branches that receive a sample).
#
# **The criterion used to name a "best" setting** in this chapter and the next: the lowest mean outlier
# rate among the settings whose mean recall is at least `recall_floor` = 0.90 (ties broken by
# precision). It asks for fewer outliers *without* giving up more than a tenth of the data's coverage.

# %% tags=["remove-cell"]
# Colab setup: clone and install this repository (does nothing elsewhere)
import sys

if "google.colab" in sys.modules:
    import os
    import subprocess

    _repo = "/content/guidance-study"
    if not os.path.isdir(_repo):
        subprocess.check_call(
            ["git", "clone", "--depth", "1", "--branch", "main",
             "https://github.com/guidance-study/guidance-study", _repo]
        )
    # installs hgutils and what Colab lacks (pip skips what is already there)
    subprocess.check_call([sys.executable, "-m", "pip", "install", "-q", "-e", _repo])
    if _repo not in sys.path:  # the running kernel never reads the new .pth file
        sys.path.insert(0, _repo)
    os.chdir(os.path.join(_repo, "notebooks"))  # chapters read and write data/...
    from google.colab import output

    output.enable_custom_widget_manager()  # live ipywidgets 8

# %% tags=["parameters"]
# reference weight (the autoguidance toy's): the presentation's panels and the k sweep
w_ref = 3.0
k_panels = [1.0, 1.02, 1.04, 1.1]      # the presentation's k values (pictures, seed 0)
k_list = [1.02, 1.04, 1.06, 1.1, 1.2]  # k sweep at w_ref (k = 1, no guidance, is added)
w_collapse = [1.5, 6.0]                # other weights for the (w − 1)(k − 1) test
gamma_list = [0.04, 0.08, 0.2]         # effective strengths (w − 1)(k − 1) of that test
# autoguidance weights for comparison (Chapter 5's up to its w_ref)
w_ag_list = [1.5, 2, 3]
oracle_k = [1.02, 1.1]                 # k values run with the exact main model (w_ref)
recall_floor = 0.90                    # the selection criterion's floor on mean recall
n_samples = 2048                       # samples per run
n_oracle = 1024                        # samples per run of the exact-main comparison
seeds = 3                              # runs (seeds 0, 1, …) behind every mean ± std
training_seeds = 3                     # training seeds of the across-seeds section
n_seeds_samples = 2048                 # samples per run of the across-seeds section

# %% tags=["hide-input"]
from hgutils.params import check_float, check_float_list, check_int

w_ref = check_float(w_ref, "w_ref", 1, low_open=True)
k_panels = check_float_list(k_panels, "k_panels", 1)
k_list = check_float_list(k_list, "k_list", 1)
w_collapse = check_float_list(w_collapse, "w_collapse", 1)
if any(w == 1 for w in w_collapse):
    raise ValueError(f"w_collapse must hold weights > 1 (w = 1 is no guidance at any "
                     f"k), got {w_collapse!r}")
gamma_list = check_float_list(gamma_list, "gamma_list", 0)
w_ag_list = check_float_list(w_ag_list, "w_ag_list", 0)
oracle_k = check_float_list(oracle_k, "oracle_k", 1)
recall_floor = check_float(recall_floor, "recall_floor", 0, 1)
n_samples = check_int(n_samples, "n_samples", 16)
n_oracle = check_int(n_oracle, "n_oracle", 16)
seeds = check_int(seeds, "seeds", 1)
training_seeds = check_int(training_seeds, "training_seeds", 2)
n_seeds_samples = check_int(n_seeds_samples, "n_seeds_samples", 16)

# %% tags=["hide-input"]
import torch

from hgutils import experiments, metrics, plots
from hgutils.guidance import GuidedDenoiser, sigma_scaling
from hgutils.report import Table, mean_std, pm, say
from hgutils.runs import Runs, interval_text, t_interval, word

# small batches: a second thread buys little and suffers most on a shared CPU
torch.set_num_threads(1)
S = experiments.ToySetup()      # trees, true samples, the reference models, the σ grid
# S.metrics without class leakage (not at stake here)
measure = metrics.ReferenceSet(S.tree, S.reference)
seed_list = list(range(seeds))
k_sweep = sorted({1.0, *k_list})
COL = {"sigma scaling": plots.COLORS["main"], "autoguidance": plots.CYCLE[4],
       "no guidance": plots.COLORS["truth"], "true samples": plots.COLORS["truth"]}
KEYS = [("outlier_rate", "outliers"), ("precision", "precision"), ("recall", "recall"),
        ("branch_tv", "branch TV"), ("leaves", "leaves")]
R, X = {}, {}    # results {key: {metric: [per seed]}}, seed-0 samples {key: [N, 2]}


def denoiser(main, guide, w, k=1.0):
    """Sigma scaling of `main` (guide None) or `main` guided by `guide` at weight w;
    w = 1 is `main` itself."""
    if w == 1:
        return main.denoise
    return (sigma_scaling(main, k, w) if guide is None
            else GuidedDenoiser(main, guide, w))


def run(key, den, seeds=seed_list, n=n_samples):
    """Sample `den` for each seed (same seeds = same start points for every method) and
    measure; a (key, seed) already run is not run again."""
    r = R.setdefault(key, {})
    for seed in seeds:
        if seed < len(r.get("outlier_rate", [])):
            continue
        x = S.sample(den, n, seed=seed)
        X.setdefault(key, x)
        for name, v in measure(x).items():
            r.setdefault(name, []).append(v)
        r.setdefault("depth", []).append(metrics.depth_shares(x, S.tree)[0])
    return r


mean = lambda key, m="outlier_rate": mean_std(R[key][m])[0]
say("n_samples_txt", str(n_samples))

# %% [markdown]
# ## The presentation's pictures
#
# The presentation shows samples and sampling paths for $k$ = 1.00, 1.02, 1.04 and 1.10. We draw them at the
# reference weight $w$ = `w_ref` = 3 (the weight of the autoguidance toy example; the presentation does not state
# its own), from the same {glue:text}`n_samples_txt` start points (seed 0), with each panel's metrics in its title.

# %%
T = {}
for k in k_panels:
    key = ("ss", w_ref, k) if k != 1 else "none"
    x, T[k] = S.sample(sigma_scaling(S.main, k, w_ref), n_samples, seed=0,
                       return_trajectory=True)
    if key not in R:               # the picture's samples are seed 0 of the sweep below
        X[key] = x
        R[key] = {name: [v] for name, v in measure(x).items()}
        R[key]["depth"] = [metrics.depth_shares(x, S.tree)[0]]

fig, axes = plots.panels(2 * len(k_panels), rows=2, size=2.5)
for i, k in enumerate(k_panels):
    key = ("ss", w_ref, k) if k != 1 else "none"
    r = {m: R[key][m][0] for m, _ in KEYS}
    ax = axes[i]
    plots.tree_density(ax, S.tree, filled=False)
    plots.samples(ax, X[key], size=0.6)
    ax.set_title(f"k = {k:.2f}, w = {w_ref:g}\n"
                 f"outliers {r['outlier_rate']:.3f}, recall {r['recall']:.3f}\n"
                 f"branch TV {r['branch_tv']:.3f}, leaves {r['leaves']:.3f}",
                 fontsize=8)
    ax = axes[len(k_panels) + i]
    plots.tree_density(ax, S.tree, filled=False)
    plots.trajectories(ax, T[k], n=48)
    ax.set_title(f"paths, k = {k:.2f}", fontsize=8)

# %% [markdown]
# **$k = 1$ is no guidance, by construction.** With $\sigma_g = \sigma$ the guide's score *is* the main
# score, so the guidance term $(w-1)(s_1 - s_0)$ is exactly zero whatever $w$: the $k = 1$ panel above is
# the unguided main model. The hidden cell below asserts that its samples and whole paths equal the
# unguided model's bit for bit; that is a test of the code, not a measurement of the presentation's claim.

# %% tags=["hide-input"]
_, traj_unguided = S.sample(S.main.denoise, n_samples, seed=0, return_trajectory=True)
traj_k1 = T[1.0] if 1.0 in T else S.sample(sigma_scaling(S.main, 1.0, w_ref), n_samples,
                                           seed=0, return_trajectory=True)[1]
assert torch.equal(traj_k1, traj_unguided), "k = 1 must reproduce the unguided paths"

# %% [markdown]
# ## The k sweep, against autoguidance
#
# Sigma scaling at $w$ = `w_ref` for each $k$ of `k_list`, and autoguidance (`S.autoguide` as guide, as
# in [Chapter 5](05_autoguidance.ipynb)) for each $w$ of `w_ag_list`; `seeds` × {glue:text}`n_samples_txt` samples each, the
# same start points for every method. The floor is what fresh true samples score.

# %%
for k in k_sweep:
    run(("ss", w_ref, k) if k != 1 else "none",
        denoiser(S.main, None, w_ref if k != 1 else 1, k))
for w in w_ag_list:
    run(("ag", w) if w != 1 else "none", denoiser(S.main, S.autoguide, w))
floor = S.floor(seed_list, n_samples)    # fresh true samples: the floor of every metric

ss_keys = [("ss", w_ref, k) if k != 1 else "none" for k in k_sweep]
ag_keys = ["none"] + [("ag", w) for w in sorted(w_ag_list) if w != 1]
tab = Table(["method", "k", "w", "γ_eff = (w−1)(k−1)"] + [c for _, c in KEYS],
            title=f"mean ± std over {seeds} seeds, {n_samples} samples each")
tab.add("true samples", "", "", "", *(pm(floor[m]) for m, _ in KEYS))
for key in ss_keys:
    k = 1.0 if key == "none" else key[2]
    tab.add("none" if key == "none" else "sigma scaling", f"{k:g}",
            f"{w_ref:g}" if k != 1 else "1", f"{(w_ref - 1) * (k - 1):.2f}",
            *(pm(R[key][m]) for m, _ in KEYS))
for key in ag_keys[1:]:
    tab.add("autoguidance", "", f"{key[1]:g}", "", *(pm(R[key][m]) for m, _ in KEYS))
tab

# %%
def pareto(ax, kx, ky):
    for name, keys, lab in (("sigma scaling", ss_keys, lambda key: f"k={key[2]:g}"),
                            ("autoguidance", ag_keys, lambda key: f"w={key[1]:g}")):
        xs, ys = [mean(key, kx) for key in keys], [mean(key, ky) for key in keys]
        ax.plot(xs, ys, "-o", ms=3, lw=1.2, color=COL[name],
                label=name if ax is axes[0] else None)
        for key, a, b in zip(keys[1:], xs[1:], ys[1:]):
            ax.annotate(lab(key), (a, b), textcoords="offset points", xytext=(3, 3),
                        fontsize=6, color=COL[name])
    ax.plot(mean("none", kx), mean("none", ky), "s", ms=6, color=COL["no guidance"],
            label="no guidance" if ax is axes[0] else None)
    ax.plot(mean_std(floor[kx])[0], mean_std(floor[ky])[0], "*", ms=9, color="k",
            label="true samples" if ax is axes[0] else None)
    ax.set_xlabel(kx.replace("_", " ")), ax.set_ylabel(ky.replace("_", " "))


fig, axes = plots.figure(11.0, 3.5, ncols=3)
for ax, (kx, ky), title in zip(axes, (("recall", "precision"),
                                     ("branch_tv", "outlier_rate"),
                                     ("recall", "outlier_rate")),
                               ("precision vs recall (up, right: better)",
                                "outliers vs branch TV (down, left: better)",
                                "outliers vs recall (down, right: better)")):
    pareto(ax, kx, ky)
    ax.set_title(title, fontsize=8)
axes[2].axvline(recall_floor, color=plots.COLORS["truth"], lw=0.8, ls=":")
_ = axes[0].legend(fontsize=7)

# %% [markdown]
# ## Why one number, $(w-1)(k-1)$, should matter
#
# For $k$ close to 1 the guide's score is a Taylor step away from the main score:
# $s_1(x;k\sigma) \approx s_1(x;\sigma) + (k-1)\,\sigma\,\partial_\sigma s_1(x;\sigma)$, so
#
# $$
# s_1 + (w-1)\big(s_1(x;\sigma) - s_1(x;k\sigma)\big) \;\approx\; s_1 - \gamma_\text{eff}\;\sigma\,\partial_\sigma s_1,
# \qquad \gamma_\text{eff} = (w-1)(k-1).
# $$
#
# To first order the guided score depends on $w$ and $k$ only through their product $\gamma_\text{eff}$:
# the weights $w$ = {glue:text}`w_arms` with $k$ = {glue:text}`g_lo_ks` ($\gamma_\text{eff}$ =
# {glue:text}`g_lo` each) should sample the same distribution. In density form, with the
# heat equation $\partial_\sigma p = \sigma\,\Delta p$ (which the exact $p(x;\sigma)$ obeys), the guided
# log-density is $\log p - \gamma_\text{eff}\,\sigma^2\big(\Delta\log p + \lVert\nabla\log p\rVert^2\big)$: it is
# lowered where the density is steep (on the flanks of the branches, where outliers sit) and raised where
# it curves down sharply (on narrow ridges and peaks). For one Gaussian blob of variance $v$ this is an
# exact sharpening: its precision grows by the factor $1 + 2\gamma_\text{eff}\,\sigma^2/(v + \sigma^2)$ —
# strongest at large $\sigma$, where the whole tree is one blob and its centre of mass lies near the trunk.
#
# **Test.** Runs at the weights of `w_collapse` with $k = 1 + \gamma_\text{eff}/(w-1)$ for each
# $\gamma_\text{eff}$ of `gamma_list` (seed 0, {glue:text}`n_samples_txt` samples), against the same $\gamma_\text{eff}$ at $w$ =
# `w_ref` (seed 0 of the sweep above, plus any $k$ not in it). If the first-order picture holds, the
# curves fall on each other.

# %%
w_arms = sorted({w_ref, *w_collapse})
for w in w_arms:
    for g in gamma_list:
        k = round(1 + g / (w - 1), 6)
        run(("ss", w, k), denoiser(S.main, None, w, k), seeds=[0])
at = lambda w, g, m: R["ss", w, round(1 + g / (w - 1), 6)][m][0]     # seed-0 value

fig, axes = plots.figure(11.0, 2.8, ncols=4)
for ax, (m, label) in zip(axes, [KEYS[0], KEYS[2], KEYS[3], KEYS[4]]):
    for w, c in zip(w_arms, plots.CYCLE):
        plots.metric_curve(ax, gamma_list, [at(w, g, m) for g in gamma_list],
                           label=f"w = {w:g}", color=c, logx=True)
    ax.axhline(R["none"][m][0], color=COL["no guidance"], lw=0.8, ls=":")
    ax.set_xlabel("γ_eff = (w − 1)(k − 1)"), ax.set_title(label)
_ = axes[0].legend(fontsize=7)

# %%
col = Table(["γ_eff"] + [f"k at w = {w:g}" for w in w_arms]
            + [f"spread of {label}" for _, label in KEYS[:4]],
            title="seed 0; spread = largest minus smallest value over the weights at "
                  "the same γ_eff")
spread = {}
for g in gamma_list:
    spread[g] = {m: max(at(w, g, m) for w in w_arms) - min(at(w, g, m) for w in w_arms)
                 for m, _ in KEYS[:4]}
    col.add(f"{g:g}", *(f"{1 + g / (w - 1):.4g}" for w in w_arms),
            *(f"{spread[g][m]:.3f}" for m, _ in KEYS[:4]))
col

# %% [markdown]
# ## The idea without network error: the exact main model
#
# Replace the main network by the exact class-A oracle `S.tree` (exact score at every σ). Sigma scaling
# then samples exactly the sharpened family $p(x;\sigma)^w / p(x;k\sigma)^{w-1}$ of the true density: what
# changes is the idea itself, not a correction of network errors. Seed 0, `n_oracle` samples, the network
# run with the same seed and number for comparison (recall and leaves depend on the number of samples;
# compare within this table).

# %%
ora = {}
for main_name, main in (("network", S.main), ("exact oracle", S.tree)):
    for k in [1.0] + [k for k in oracle_k if k != 1]:
        ora[main_name, k] = run(("oracle" if main is S.tree else "net", n_oracle, k),
                                denoiser(main, None, w_ref if k != 1 else 1, k),
                                seeds=[0], n=n_oracle)
Table(["main", "k", "w"] + [c for _, c in KEYS], [
    (mn, f"{k:g}", f"{w_ref:g}" if k != 1 else "1",
     *(f"{r[m][0]:.3f}" for m, _ in KEYS))
    for (mn, k), r in ora.items()],
    title=f"seed 0, {n_oracle} samples each")

# %% [markdown]
# ## Where the samples go, and where the outliers fall
#
# Each sample is assigned to its most likely branch (`metrics.branch_of`). Left: the share of samples on
# the branches of each depth (0 = the main branch, the trunk's first segment; 6 = the 64 leaves) against
# $k$ at $w$ = `w_ref`, as a ratio to the true mass of that depth (1 = right; mean over the seeds). Right:
# the outliers of seed 0 (samples below the 99%-mass level, in red) for the first three $k$ of the pictures.

# %%
depth_true = metrics.depth_shares(X["none"], S.tree)[1]
depth_mean = {key: torch.stack(R[key]["depth"]).mean(0)
              for key in ss_keys + ag_keys[1:]}
level = measure.level
fig, axes = plots.figure(11.0, 3.2, ncols=4,
                         gridspec_kw={"width_ratios": [1.6, 1, 1, 1]})
for d, c in zip(range(7), plots.CYCLE + ["k"]):
    axes[0].plot(range(len(k_sweep)),
                 [float(depth_mean[key][d] / depth_true[d]) for key in ss_keys], "-o",
                 ms=3, color=c, label=f"depth {d}")
axes[0].set_xticks(range(len(k_sweep)), [f"{k:g}" for k in k_sweep])
axes[0].set_xlabel(f"k (w = {w_ref:g})"), axes[0].set_ylabel("share / true mass")
axes[0].axhline(1, color=plots.COLORS["truth"], lw=0.8, ls=":")
axes[0].legend(fontsize=6, ncols=2)
for ax, k in zip(axes[1:], k_panels[:3]):
    key = ("ss", w_ref, k) if k != 1 else "none"
    out = S.tree.logp(X[key]) < level
    plots.tree_density(ax, S.tree, filled=False)
    plots.samples(ax, X[key][out], color=plots.COLORS["guide"], size=3, alpha=0.8)
    ax.set_title(f"outliers, k = {k:.2f}: {int(out.sum())} of {len(out)}", fontsize=8)

# %% [markdown]
# The shares by depth for every run, and, for seed 0, the outlier rate *within* each depth (the share of
# the samples assigned to that depth's branches that lie below the 99%-mass level): does guidance put the
# deep branches' samples back on their branches, or does it empty those branches?

# %%
depth_of = S.tree.branch_depth()


def outlier_rate_by_depth(x):
    """Per depth 0..6: the outlier rate among the samples assigned to that depth's
    branches."""
    d = depth_of[metrics.branch_of(x, S.tree)]
    out = (S.tree.logp(x) < level).double()
    n = torch.bincount(d, minlength=7).double()
    return torch.bincount(d, weights=out, minlength=7) / n.clamp(min=1), n


name = lambda key: ("no guidance" if key == "none" else
                    f"sigma scaling k = {key[2]:g}" if key[0] == "ss" else
                    f"autoguidance w = {key[1]:g}")
dt = Table(["samples"] + [f"depth {d}" for d in range(7)],
           title=f"share of samples by branch depth (mean over {seeds} seeds)")
dt.add("true mass", *(f"{float(v):.3f}" for v in depth_true))
for key in ss_keys + ag_keys[1:]:
    dt.add(name(key), *(f"{float(v):.3f}" for v in depth_mean[key]))
dt

# %%
orate = {key: outlier_rate_by_depth(X[key])[0] for key in ss_keys + ag_keys[1:]}
x_out = X["none"][S.tree.logp(X["none"]) < level]
out_depth = metrics.depth_shares(x_out, S.tree)[0]
ot = Table(["samples"] + [f"depth {d}" for d in range(7)],
           title="outlier rate within each depth (seed 0)")
for key in ss_keys + ag_keys[1:]:
    ot.add(name(key), *(f"{float(v):.3f}" for v in orate[key]))
ot.add("where the unguided outliers are (share by depth)",
       *(f"{float(v):.3f}" for v in out_depth))
ot

# %%
sub_true = metrics.subtree_shares(X["none"], S.tree)[1]
st = Table(["samples"] + [f"subtree {i + 1}" for i in range(len(sub_true) - 1)]
           + ["trunk"],
           title="share of samples by depth-3 subtree (seed 0); "
                 "the trunk bin is depths 0–2")
st.add("true mass", *(f"{float(v):.3f}" for v in sub_true))
for key in ss_keys + ag_keys[1:]:
    st.add(name(key),
           *(f"{float(v):.3f}" for v in metrics.subtree_shares(X[key], S.tree)[0]))
st

# %% [markdown]
# ## Across training seeds
#
# Everything above uses one training run of the main network (training seed 0). The
# mechanism read off the depth tables — sigma scaling lowers the raw outlier rate mostly
# by draining the thin branches, so the mass-corrected rate falls much less, fewer
# leaves are reached and the branch TV rises — is tested here on the main networks of
# `training_seeds` training seeds × `seeds` sampling seeds (`n_seeds_samples` samples
# per run, the same start noise for every setting): no guidance, sigma scaling at $w$ =
# `w_ref` with $k$ = 1.04 and with the largest $k$ of `k_list`, and, as a reference,
# autoguidance at $w$ = `w_ref` with the autoguide of the same training seed. The last
# rows are the paired differences sigma scaling − no guidance, with 95% intervals over
# the training seeds.

# %%
k_mid = 1.04                               # the presentation's middle k (its pictures)
XS_K = sorted({k_mid, max(k_list)})
xs_key = lambda k: f"sigma scaling, k = {k:g}"
xs_ag = f"autoguidance, w = {w_ref:g}"
xs = Runs(S, n_seeds_samples, sampling_seeds=seed_list,
          training_seeds=range(training_seeds))
xs.run("no guidance", lambda nets: nets.main.denoise)
for k in XS_K:
    xs.run(xs_key(k), lambda nets, k=k: sigma_scaling(nets.main, k, w_ref))
xs.run(xs_ag, lambda nets: GuidedDenoiser(nets.main, nets.autoguide, w_ref))
XM = ["outlier_rate", "outlier_rate_mc", "recall", "branch_tv", "leaves", "sw2"]
xs_tab = xs.table(["no guidance", *map(xs_key, XS_K), xs_ag], XM,
                  title=f"w = {w_ref:g}: mean ± std over {training_seeds} training × "
                        f"{seeds} sampling seeds, {n_seeds_samples} samples each")
xs_d = {k: {m: xs.paired(xs_key(k), "no guidance", m) for m in XM} for k in XS_K}
for k in XS_K:
    xs_tab.add(f"k = {k:g} − none (95%)", *(interval_text(xs_d[k][m]) for m in XM))
xs_tab

# %% tags=["hide-input"]
from hgutils.report import say

say("xs_n", str(len(xs.training_seeds)))
say("xs_w", w_ref, "{:g}")
XW = {"outlier_rate": ("out", "fewer", "more"),
      "outlier_rate_mc": ("mc", "fewer", "more"),
      "recall": ("rec", "lower", "higher"), "branch_tv": ("tv", "lower", "higher"),
      "leaves": ("lv", "fewer", "more"), "sw2": ("sw", "lower", "higher")}
xs_holds = {}
for tag, k in (("lo", XS_K[0]), ("hi", XS_K[-1])):
    say(f"xs_{tag}_k", k, "{:g}")
    for m, (short, less, more) in XW.items():
        say(f"xs_{tag}_{short}", interval_text(xs_d[k][m]))
        say(f"xs_{tag}_{short}_w", word(xs_d[k][m], less, more))
        say(f"xs_{tag}_{short}_m", xs.mean(xs_key(k), m))
    # per training seed: the change of the raw rate and of the mass-corrected one
    xs_raw, xs_mc = (xs.seed_means(xs_key(k), m) - xs.seed_means("no guidance", m)
                     for m in ("outlier_rate", "outlier_rate_mc"))
    xs_shift = t_interval(xs_raw - xs_mc)  # the raw change's part mc does not share
    most = t_interval(xs_raw - 2 * xs_mc)  # < 0: that part is over half of the raw drop
    say(f"xs_{tag}_shift", interval_text(xs_shift))
    say(f"xs_{tag}_shift_pct", 100 * (1 - xs_mc.mean() / xs_raw.mean()), "{:.0f}")
    say(f"xs_{tag}_most", interval_text(most))
    say(f"xs_{tag}_most_w", word(most, "more than half of it",
                                 "less than half of it").replace(
        "not resolved", "not resolved as more or less than half of it"))
    xs_holds[tag] = {
        "the raw rate falls": word(xs_d[k]["outlier_rate"]) == "fewer",
        "more than half of its fall is the shift of mass": word(most) == "fewer",
        "fewer leaves are reached": word(xs_d[k]["leaves"]) == "fewer",
        "branch TV rises": word(xs_d[k]["branch_tv"], "lower", "higher") == "higher"}
    xs_bad = [c for c, v in xs_holds[tag].items() if not v]
    say(f"xs_{tag}_verdict", "all four parts hold" if not xs_bad else
        f"{4 - len(xs_bad)} of the four parts hold; not resolved or contradicted: "
        + "; ".join(xs_bad))
for short, m in (("out", "outlier_rate"), ("mc", "outlier_rate_mc"), ("lv", "leaves"),
                 ("tv", "branch_tv"), ("rec", "recall")):
    say(f"xs_none_{short}_m", xs.mean("no guidance", m))
    say(f"xs_ag_{short}_m", xs.mean(xs_ag, m))

# %% [markdown]
# Paired over {glue:text}`xs_n` training seeds (95% intervals), sigma scaling at $k$ =
# {glue:text}`xs_lo_k` changes the raw outlier rate by {glue:text}`xs_lo_out`
# ({glue:text}`xs_lo_out_w`; {glue:text}`xs_none_out_m` → {glue:text}`xs_lo_out_m`) and
# the mass-corrected rate by {glue:text}`xs_lo_mc` ({glue:text}`xs_lo_mc_w`;
# {glue:text}`xs_none_mc_m` → {glue:text}`xs_lo_mc_m`). The part of the raw change that
# the mass-corrected rate does not share — the shift of mass between depths — is
# {glue:text}`xs_lo_shift` ({glue:text}`xs_lo_shift_pct`% of the mean raw change), and
# it is {glue:text}`xs_lo_most_w` (raw − 2 × mass-corrected change:
# {glue:text}`xs_lo_most`). The share of leaves reached changes by {glue:text}`xs_lo_lv`
# ({glue:text}`xs_lo_lv_w`), the branch TV by {glue:text}`xs_lo_tv`
# ({glue:text}`xs_lo_tv_w`), recall by {glue:text}`xs_lo_rec`
# ({glue:text}`xs_lo_rec_w`). At $k$ = {glue:text}`xs_hi_k`: raw {glue:text}`xs_hi_out`
# ({glue:text}`xs_hi_out_w`), mass-corrected {glue:text}`xs_hi_mc`
# ({glue:text}`xs_hi_mc_w`), shift of mass {glue:text}`xs_hi_shift`
# ({glue:text}`xs_hi_most_w`), leaves {glue:text}`xs_hi_lv` ({glue:text}`xs_hi_lv_w`),
# branch TV {glue:text}`xs_hi_tv` ({glue:text}`xs_hi_tv_w`), recall
# {glue:text}`xs_hi_rec` ({glue:text}`xs_hi_rec_w`). The mechanism claim across training
# seeds, at $k$ = {glue:text}`xs_lo_k`: {glue:text}`xs_lo_verdict`; at $k$ =
# {glue:text}`xs_hi_k`: {glue:text}`xs_hi_verdict`. Autoguidance at $w$ =
# {glue:text}`xs_w`, for reference: raw {glue:text}`xs_ag_out_m`, mass-corrected
# {glue:text}`xs_ag_mc_m`, leaves {glue:text}`xs_ag_lv_m`, branch TV
# {glue:text}`xs_ag_tv_m` (unguided {glue:text}`xs_none_lv_m` and
# {glue:text}`xs_none_tv_m`).

# %% [markdown]
# ## What the numbers say
#
# The cell below reads the measured numbers back; the discussion after it refers to them.

# %%
def best(keys):
    """The study's criterion (`experiments.best_setting`): the lowest mean outlier rate
    among keys whose mean recall >= recall_floor (ties by precision); None if no key
    qualifies."""
    key, ok = experiments.best_setting({key: R[key] for key in keys}, recall_floor)
    return key if ok else None


def line(key):
    return ", ".join(f"{label} {mean(key, m):.3f}" for m, label in KEYS)


fm = lambda m: mean_std(floor[m])[0]
print(f"true samples: outliers {fm('outlier_rate'):.3f}, recall {fm('recall'):.3f}, "
      f"median log p {fm('median_logp'):.2f}")
for key in ss_keys + ag_keys[1:]:
    print(f"{name(key)}: median log p {mean(key, 'median_logp'):.2f}")
    print(f"  {line(key)}")
b_ss, b_ag = best(ss_keys), best(ag_keys)
for b in (b_ss, b_ag):
    print(f"best by the criterion (mean recall >= {recall_floor:g}): "
          + (f"{name(b)}:\n  {line(b)}" if b else "none qualifies"))
print("std over seeds:")
for key in ss_keys[1:]:
    print(f"  {name(key):22s} "
          + ", ".join(f"{label} {mean_std(R[key][m])[1]:.3f}" for m, label in KEYS[:4]))
for g in gamma_list:
    print(f"gamma_eff {g:g}: spread over w = {', '.join(f'{w:g}' for w in w_arms)}:")
    print("  " + ", ".join(f"{label} {spread[g][m]:.3f}" for m, label in KEYS[:4]))
    print("  recall by w: " + ", ".join(f"{at(w, g, 'recall'):.3f}" for w in w_arms))
for (mn, k), r in ora.items():
    print(f"{mn} k={k:g}:")
    print("  " + ", ".join(f"{label} {r[m][0]:.3f}" for m, label in KEYS))
for key in ss_keys + ag_keys[1:]:
    v = depth_mean[key] / depth_true
    print(f"{name(key)}, share/true mass:")
    print(f"  depth 0 (main branch) {float(v[0]):.2f}, depths 0-2 (trunk) "
          f"{float(depth_mean[key][:3].sum() / depth_true[:3].sum()):.2f}, depths 4-6 "
          f"{float(depth_mean[key][4:].sum() / depth_true[4:].sum()):.2f}, "
          f"leaves {float(v[6]):.2f}")
print(f"unguided outliers (seed 0): {len(x_out)}, "
      f"share at depths 4-6 {float(out_depth[4:].sum()):.2f}")
for key in ss_keys[:3] + ag_keys[1:]:
    print(f"{name(key):26s} outlier rate within depths 4 / 5 / 6: "
          + " / ".join(f"{float(orate[key][d]):.3f}" for d in (4, 5, 6)))
# seed 0: the within-depth rates weighted by the true depth masses instead of the
# samples' own depth shares; what the raw rate loses beyond this is the shift of mass
at_true = {key: float((orate[key] * depth_true).sum()) for key in orate}
for key in ss_keys[:3] + ag_keys[1:]:
    print(f"{name(key):26s} outliers (seed 0) {R[key]['outlier_rate'][0]:.3f}, "
          f"at the true depth masses {at_true[key]:.3f}")

# %% tags=["hide-input"]
# the numbers of the discussion below, glued into its text (hgutils.report.say)
import numpy as np

from hgutils.report import say

ss = lambda k: ("ss", w_ref, k) if k != 1 else "none"
sd = lambda key, m="outlier_rate": mean_std(R[key][m])[1]
share = lambda key, d: float(depth_mean[key][d].sum() / depth_true[d].sum())  # / true
OUTER, TRUNK = slice(4, None), slice(0, 3)


def cmp(a, b, sa, sb, words=("higher", "about the same", "lower")):
    """words[0] / words[2] when a is above / below b by more than twice the larger seed
    std, else words[1]: a difference the seeds do not resolve."""
    return words[1] if abs(a - b) <= 2 * max(sa, sb) else words[0 if a > b else 2]


ag_top = max(ag_keys[1:], key=lambda key: key[1])   # the introduction: Chapter 5's w
# the setting quoted next to k = 1.02: the criterion's best, or the next k if that is it
k2 = (b_ss if b_ss not in (ss(1.02), "none")
      else ss_keys[ss_keys.index(ss(1.02)) + 1])
SHORT = {"outlier_rate": "out", "precision": "prec", "recall": "rec", "branch_tv": "tv",
         "leaves": "leaves", "median_logp": "med"}
for tag, key in (("none", "none"), ("k102", ss(1.02)), ("k104", ss(1.04)),
                 ("k106", ss(1.06)), ("k11", ss(1.1)), ("top", ss_keys[-1]),
                 ("ssb", b_ss), ("k2", k2), ("agb", b_ag), ("ag2", ("ag", 2.0)),
                 ("agt", ag_top)):
    for m, short in SHORT.items():
        say(f"{tag}_{short}", mean(key, m), "{:.2f}" if short == "med" else "{:.3f}")
say("agt_w", ag_top[1], "{:g}")
say("intro_agt_word", cmp(mean(ag_top), mean("none"), sd(ag_top), sd("none"),
                          ("a rise beyond the seed spread", "within the seed spread",
                           "a cut beyond the seed spread")))
for tag, key in (("none", "none"), ("agt", ag_top)):
    say(f"intro_{tag}_out", mean(key), "{:.2f}")
    say(f"intro_{tag}_rec", mean(key, "recall"), "{:.2f}")
say("floor_out", fm("outlier_rate"))
say("floor_out2", fm("outlier_rate"), "{:.2f}")
say("floor_med", fm("median_logp"), "{:.2f}")
sd_floor = mean_std(floor["outlier_rate"])[1]
say("k11_vs_floor", cmp(mean(ss(1.1)), fm("outlier_rate"), sd(ss(1.1)), sd_floor,
                        ("above", "close to", "below")))
say("k102_cut", 100 * (1 - mean(ss(1.02)) / mean("none")), "{:.0f}")
ag_min = min(ag_keys[1:], key=mean)
say("ag_min_out", mean(ag_min))
say("ag_min_w", ag_min[1], "{:g}")
say("ssb_k", b_ss[2], "{:g}")
say("k2_k", k2[2], "{:g}")
say("agb_w", b_ag[1], "{:g}")
say("ssb_rec_sd", sd(b_ss, "recall"))
say("ssb_agb_pct", 100 * mean(b_ss) / mean(b_ag), "{:.0f}")
say("ssb_agb_out", cmp(mean(b_ss), mean(b_ag), sd(b_ss), sd(b_ag),
                       ("more", "about as many", "fewer")))
say("ssb_agb_prec", cmp(mean(b_ss, "precision"), mean(b_ag, "precision"),
                        sd(b_ss, "precision"), sd(b_ag, "precision")))
rec_cmp = cmp(mean(b_ss, "recall"), mean(b_ag, "recall"), sd(b_ss, "recall"),
              sd(b_ag, "recall"), ("a higher", "about the same", "a lower"))
say("ssb_agb_rec", f"at {rec_cmp}")
say("agb_ssb_rec", "at " + {"a higher": "a lower", "a lower": "a higher"}.get(rec_cmp,
                                                                           rec_cmp))
pr = [(mean(key, "recall"), mean(key, "precision")) for key in ss_keys][::-1]
pr_up = [key[1] for key in ag_keys[1:]
         if np.interp(mean(key, "recall"), *zip(*pr)) > mean(key, "precision")]
pr_down = [key[1] for key in ag_keys[1:] if key[1] not in pr_up]
w_txt = lambda ws: "w = " + " and ".join(f"{w:g}" for w in ws)
say("pr_word", "lies above autoguidance's at each of its weights" if not pr_down
    else "lies above autoguidance's at none of its weights" if not pr_up
    else f"lies above autoguidance's at {w_txt(pr_up)}, not at {w_txt(pr_down)}")
say("dom_text", "sigma scaling wins on outliers against recall"
    + (" and on precision against recall" if not pr_down else "")
    + ", autoguidance on branch TV and leaves"
    + (" and on precision against recall" if not pr_up else "")
    + ("; on precision against recall neither wins at every weight"
       if pr_up and pr_down else ""))
say("ssb_div", f"k = {b_ss[2]:g} is also the criterion's best." if b_ss == ss(1.02)
    else f"At the criterion's best, k = {b_ss[2]:g}, the branch TV is "
    f"{mean(b_ss, 'branch_tv'):.3f} and the share of leaves reached "
    f"{mean(b_ss, 'leaves'):.3f}.")
say("k102_tv_x", mean(ss(1.02), "branch_tv") / mean("none", "branch_tv"), "{:.1f}")
say("k102_leafmass", share(ss(1.02), 6), "{:.2f}")
say("agb_leafmass", share(b_ag, 6), "{:.2f}")
say("k11_rec_loss", 100 * (1 - mean(ss(1.1), "recall") / mean("none", "recall")),
    "{:.0f}")

# %% [markdown]
# **Outliers: the claim holds, strongly.** At $w = 3$, $k = 1.02$ cuts the unguided outlier rate by
# {glue:text}`k102_cut`% ({glue:text}`none_out` → {glue:text}`k102_out`), $k = 1.04$ brings it to
# {glue:text}`k104_out` and $k = 1.06$ to {glue:text}`k106_out`; at $k = 1.1$ the rate
# ({glue:text}`k11_out`) is {glue:text}`k11_vs_floor` that of true samples ({glue:text}`floor_out`).
# Autoguidance gets no lower than {glue:text}`ag_min_out` (its mean at $w$ = {glue:text}`ag_min_w`). By
# the study's criterion (lowest outliers with mean recall ≥ 0.90) the best sigma scaling is $k$ =
# {glue:text}`ssb_k` — {glue:text}`ssb_out` outliers at recall {glue:text}`ssb_rec` (±
# {glue:text}`ssb_rec_sd` between seeds) — and the best autoguidance $w$ = {glue:text}`agb_w`, with
# {glue:text}`agb_out` at recall {glue:text}`agb_rec`: {glue:text}`ssb_agb_rec` recall sigma scaling leaves
# {glue:text}`ssb_agb_pct`% of autoguidance's outliers — {glue:text}`ssb_agb_out`, counting a difference
# as resolved when it exceeds twice the larger seed standard deviation — with {glue:text}`ssb_agb_prec`
# precision ({glue:text}`ssb_prec` against {glue:text}`agb_prec`). Its precision–recall curve
# {glue:text}`pr_word` (for example precision {glue:text}`k106_prec` at recall {glue:text}`k106_rec` for
# $k = 1.06$, against {glue:text}`ag2_prec` at {glue:text}`ag2_rec` for autoguidance $w = 2$).
#
# **Diversity: kept by one measure, lost by another.** "Still preserves diversity" is true of recall at
# small $k$ ({glue:text}`none_rec` → {glue:text}`k102_rec` at $k = 1.02$) and false of the spread over the
# tree. Already at $k = 1.02$ the branch TV is {glue:text}`k102_tv_x` times the unguided one
# ({glue:text}`none_tv` → {glue:text}`k102_tv`), the share of the 64 leaves that receive a sample falls
# from {glue:text}`none_leaves` to {glue:text}`k102_leaves`, and the leaf branches together receive
# {glue:text}`k102_leafmass`× their true mass. {glue:text}`ssb_div` Autoguidance's best,
# {glue:text}`agb_ssb_rec` recall, keeps more of the spread: at $w$ = {glue:text}`agb_w` branch TV
# {glue:text}`agb_tv`, leaves {glue:text}`agb_leaves`, leaf branches at {glue:text}`agb_leafmass`× their
# mass. So neither method dominates: {glue:text}`dom_text`.

# %% tags=["hide-input"]
# how the outliers go (seed 0), and where the mass goes (mean over the seeds)
say("n_out0", len(x_out), "{:.0f}")
say("out_outer_pct", 100 * float(out_depth[OUTER].sum()), "{:.0f}")
shift = {}
for tag, key in (("none", "none"), ("k102", ss(1.02)), ("k2", k2), ("agb", b_ag)):
    for d in (4, 5, 6):
        say(f"{tag}_d{d}", float(orate[key][d]))
    raw0, raw = R["none"]["outlier_rate"][0], R[key]["outlier_rate"][0]
    say(f"{tag}_out_s0", raw)
    say(f"{tag}_at_true", at_true[key])
    if key != "none":     # share of the raw drop not explained by within-depth rates
        shift[tag] = 100 * (1 - (at_true["none"] - at_true[key]) / (raw0 - raw))
        say(f"{tag}_shift_pct", shift[tag], "{:.0f}")
        say(f"{tag}_outer", share(key, OUTER), "{:.2f}")
        say(f"{tag}_trunk", share(key, TRUNK), "{:.2f}")
say("shift_word", "largely" if min(shift["k102"], shift["k2"]) > 50 else "partly")
say("agb_shift_txt", f"{shift['agb']:.0f}% of its raw drop comes from the shift of mass"
    if shift["agb"] >= 0 else "none of its raw drop comes from the shift of mass: at "
    "the true depth masses its rate falls even further")
worse = [bool(orate[ss(1.02)][d] >= orate["none"][d]) for d in (5, 6)]
say("d56_word", "not lower" if all(worse) else "lower" if not any(worse)
    else "lower on one depth, not on the other")
main = [share(key, 0) for key in ss_keys]
say("main_shares", ", ".join(f"{v:.2f}× " + ("unguided" if k == 1 else f"at k = {k:g}")
                             for v, k in zip(main, k_sweep)))
rises = all(a < b for a, b in zip(main, main[1:]))
say("main_word", "rises with every step of" if rises
    else "does not rise with every step of")
say("top_k", k_sweep[-1], "{:g}")
say("top_deepest", max(d for d in range(7) if depth_mean[ss_keys[-1]][d] > 0), "{:.0f}")
say("top_trunk", share(ss_keys[-1], TRUNK), "{:.2f}")

# %% [markdown]
# **How sigma scaling lowers the outlier rate: {glue:text}`shift_word` by moving mass off the thin
# branches.** {glue:text}`out_outer_pct`% of the unguided outliers (seed 0: {glue:text}`n_out0` of {glue:text}`n_samples_txt`)
# belong to branches of depth 4–6, the thin outer branches. Are the samples that still go to the thinnest
# branches more accurate? At $k = 1.02$ the outlier rate among samples on depth-5 and depth-6 branches is
# {glue:text}`k102_d5` and {glue:text}`k102_d6`, against {glue:text}`none_d5` and {glue:text}`none_d6`
# unguided ({glue:text}`d56_word`); on depth 4 it is {glue:text}`k102_d4` against {glue:text}`none_d4`. It
# sends fewer samples there: depths 4–6 get {glue:text}`k102_outer`× their true mass at $k = 1.02$ and
# {glue:text}`k2_outer`× at $k$ = {glue:text}`k2_k`, and the mass goes to the trunk (depths 0–2:
# {glue:text}`k102_trunk`× and {glue:text}`k2_trunk`×). The raw outlier rate rewards this: weighting each
# depth's within-depth outlier rate by the depth's *true* mass instead of the samples' shares (seed 0)
# gives {glue:text}`none_at_true` unguided, {glue:text}`k102_at_true` at $k = 1.02$ and
# {glue:text}`k2_at_true` at $k$ = {glue:text}`k2_k`, against raw rates of {glue:text}`none_out_s0`,
# {glue:text}`k102_out_s0` and {glue:text}`k2_out_s0`: {glue:text}`k102_shift_pct`% and
# {glue:text}`k2_shift_pct`% of the raw drop come from the shift of mass between depths, not from better
# samples within a depth. Autoguidance keeps the outer branches' mass ({glue:text}`agb_outer`× at $w$ =
# {glue:text}`agb_w`) and lowers the outlier rate *within* the depth-4 branches ({glue:text}`none_d4` →
# {glue:text}`agb_d4`); its rate at the true depth masses is {glue:text}`agb_at_true`, and
# {glue:text}`agb_shift_txt`.
#
# **Concentration on the main branch: confirmed.** The main branch's share, as a multiple of its true
# mass, {glue:text}`main_word` $k$: {glue:text}`main_shares`. At $k$ = {glue:text}`top_k` the deepest
# branches that receive samples are at depth {glue:text}`top_deepest`, and the trunk holds
# {glue:text}`top_trunk`× its mass. The samples' median $\log p_\text{data}$ rises from
# {glue:text}`none_med` (true samples: {glue:text}`floor_med`) to {glue:text}`k11_med` at $k = 1.1$ and
# {glue:text}`top_med` at $k$ = {glue:text}`top_k`: they move into the high-density region, as the
# presentation says. Recall pays: {glue:text}`k11_rec` at $k = 1.1$, {glue:text}`top_rec` at $k$ =
# {glue:text}`top_k`.

# %% tags=["hide-input"]
# the (w − 1)(k − 1) test and the exact main model (seed 0)
say("w_arms", ", ".join(f"{w:g}" for w in w_arms))
for tag, g in zip(("lo", "mid", "hi"), sorted(gamma_list)[:2] + [max(gamma_list)]):
    say(f"g_{tag}", g, "{:g}")
    say(f"g_{tag}_ks", ", ".join(f"{1 + g / (w - 1):.4g}" for w in w_arms))
    say(f"g_{tag}_recs", ", ".join(f"{at(w, g, 'recall'):.3f}" for w in w_arms))
    ref = ("ss", w_ref, round(1 + g / (w_ref - 1), 6))    # its seed std at w_ref
    for m, short in (("outlier_rate", "out"), ("recall", "rec"), ("branch_tv", "tv")):
        say(f"g_{tag}_sp_{short}", spread[g][m])
        say(f"g_{tag}_sd_{short}", sd(ref, m))
        say(f"g_{tag}_{short}_in", "within" if spread[g][m] <= 2 * sd(ref, m)
            else "more than")
g = max(gamma_list)
ref = ("ss", w_ref, round(1 + g / (w_ref - 1), 6))
recs = [at(w, g, "recall") for w in w_arms]
gap = min(abs(recs[0] - r) for r in recs[1:])
say("g_hi_w0", w_arms[0], "{:g}")
say("g_hi_k0", 1 + g / (w_arms[0] - 1), "{:.4g}")
say("g_hi_w0_word", "breaks away" if gap > 2 * sd(ref, "recall")
    else "stays within twice the seed std of the others")
together = max(recs[1:]) - min(recs[1:]) <= 2 * sd(ref, "recall")
say("g_hi_rest", "stay together" if together else "part as well")
say("g_hi_w_last", w_arms[-1], "{:g}")
say("g_hi_k_last", 1 + g / (w_arms[-1] - 1), "{:.4g}")
say("g_hi_k_ref", 1 + g / (w_ref - 1), "{:.4g}")
apart = []      # the last weight against w_ref at the same γ_eff (seed 0)
for m, short in (("outlier_rate", "out"), ("recall", "rec"), ("branch_tv", "tv")):
    d = abs(at(w_arms[-1], g, m) - at(w_ref, g, m))
    say(f"g_hi_d_{short}", d)
    if d > 2 * sd(ref, m):
        apart.append(dict(KEYS)[m])
say("g_hi_pair", "more than twice it in " + " and ".join(apart) if apart
    else "within twice it in all three")
k_lo, k_hi = min(oracle_k), max(oracle_k)
say("ko_lo", k_lo, "{:g}")
say("ko_hi", k_hi, "{:g}")
for tag, mn in (("net", "network"), ("ora", "exact oracle")):
    for ktag, k in (("1", 1.0), ("lo", k_lo), ("hi", k_hi)):
        for m, _ in KEYS:
            say(f"{tag}{ktag}_{SHORT[m]}", ora[mn, k][m][0])

# %% [markdown]
# **One knob, $(w-1)(k-1)$, while $k$ stays small.** At $\gamma_\text{eff}$ = {glue:text}`g_lo` the three
# weights ($k$ = {glue:text}`g_lo_ks`) differ by {glue:text}`g_lo_sp_out` in outliers
# ({glue:text}`g_lo_out_in` twice their seed-to-seed standard deviation at $w = 3$,
# {glue:text}`g_lo_sd_out`), by {glue:text}`g_lo_sp_rec` in recall ({glue:text}`g_lo_rec_in` twice
# {glue:text}`g_lo_sd_rec`) and by {glue:text}`g_lo_sp_tv` in branch TV ({glue:text}`g_lo_tv_in` twice
# {glue:text}`g_lo_sd_tv`). At {glue:text}`g_mid` the recall spread ({glue:text}`g_mid_sp_rec`; recall
# {glue:text}`g_mid_recs`) is {glue:text}`g_mid_rec_in` twice its standard deviation
# ({glue:text}`g_mid_sd_rec`) and the branch-TV spread ({glue:text}`g_mid_sp_tv`) {glue:text}`g_mid_tv_in`
# twice its ({glue:text}`g_mid_sd_tv`); at {glue:text}`g_hi` the $w$ = {glue:text}`g_hi_w0` run, which
# needs $k$ = {glue:text}`g_hi_k0`, {glue:text}`g_hi_w0_word` (recall {glue:text}`g_hi_recs` for $w$ =
# {glue:text}`w_arms`), while the other weights {glue:text}`g_hi_rest` in recall. Whether $k$ is "small"
# therefore depends on $w$ as well: at this $\gamma_\text{eff}$, $k$ = {glue:text}`g_hi_k_last` at $w$ =
# {glue:text}`g_hi_w_last` and $k$ = {glue:text}`g_hi_k_ref` at $w = 3$ differ by {glue:text}`g_hi_d_out`
# in outliers, {glue:text}`g_hi_d_rec` in recall and {glue:text}`g_hi_d_tv` in branch TV (seed 0), against
# seed standard deviations at $w = 3$ of {glue:text}`g_hi_sd_out`, {glue:text}`g_hi_sd_rec` and
# {glue:text}`g_hi_sd_tv`: {glue:text}`g_hi_pair`. The same $k$ is a different strength at each $w$. The
# presentation's $k$ values 1.02–1.10 at $w = 3$ span $\gamma_\text{eff}$ = 0.04–0.2, from mild to a loss
# of {glue:text}`k11_rec_loss`% of the unguided recall.
#
# **The idea, not the network.** With the exact main model, which has no errors to correct, sigma scaling
# does the same to the spread (seed 0, `n_oracle` samples): at $k$ = {glue:text}`ko_hi` recall
# {glue:text}`orahi_rec` against the network's {glue:text}`nethi_rec`, branch TV {glue:text}`orahi_tv`
# against {glue:text}`nethi_tv`, leaves {glue:text}`orahi_leaves` against {glue:text}`nethi_leaves`; at
# $k$ = {glue:text}`ko_lo` branch TV {glue:text}`oralo_tv` against {glue:text}`netlo_tv`. The exact
# model's outliers fall from {glue:text}`ora1_out` to {glue:text}`oralo_out` at $k$ = {glue:text}`ko_lo`,
# against {glue:text}`floor_out` for true samples. The exact target $p(x;\sigma)^w/p(x;k\sigma)^{w-1}$ is
# itself a sharpened, trunk-heavy distribution; the concentration is what the method asks for. (The exact
# model has almost no outliers to lose, so this cannot say how much of the network's drop,
# {glue:text}`net1_out` → {glue:text}`netlo_out` at $k$ = {glue:text}`ko_lo` in this table, is correction
# of its errors.)
#
# **Verdict on the presentation's claims.** "Small $k$ reduces outliers": confirmed ({glue:text}`none_out`
# → {glue:text}`k102_out` at $k = 1.02$, {glue:text}`k2_out` at $k$ = {glue:text}`k2_k`), though
# {glue:text}`shift_word` by sending fewer samples to the thin branches where the outliers sit.
# Across {glue:text}`xs_n` training seeds (section *Across training seeds*), that mechanism at
# $k$ = {glue:text}`xs_lo_k`: {glue:text}`xs_lo_verdict` (raw outlier rate
# {glue:text}`xs_lo_out`, mass-corrected {glue:text}`xs_lo_mc`, paired against no guidance). "… and
# still preserves diversity": partly — recall is largely kept ({glue:text}`k102_rec` and
# {glue:text}`k2_rec` against {glue:text}`none_rec` unguided), the spread over the branches does not
# survive (branch TV {glue:text}`k102_tv` and {glue:text}`k2_tv`, leaves {glue:text}`k102_leaves` and
# {glue:text}`k2_leaves`). "As $k$ increases, samples concentrate around the main branch": confirmed, and
# with the exact model too. Against autoguidance, sigma scaling needs no second model and leaves
# {glue:text}`ssb_agb_out` outliers {glue:text}`ssb_agb_rec` recall at the criterion's best, but loses the branches' balance that
# autoguidance keeps. [Chapter 8](08_schedule_sigma_scaling.ipynb) adds the presentation's weight
# schedule, and [Chapter 9](09_results.ipynb) compares all methods.

# %% [markdown]
# ## Explore
#
# Pick $k$, $w$ and the main model (the network or the exact oracle) and see the samples (2048, seed 0)
# and their metrics.

# %%
import ipywidgets as W

from hgutils.widgets import explore

MAINS = {"network": S.main, "exact oracle": S.tree}


def view(k=1.04, w=3.0, main="network"):
    x = S.sample(denoiser(MAINS[main], None, w, k), 2048, seed=0)
    plots.sample_view(S.tree, x, f"{main} main, k = {k:.3f}, w = {w:g}, "
                      f"γ_eff = {(w - 1) * (k - 1):.3f}\n"
                      + plots.guidance_text(measure(x)))
    plots.plt.show()


explore(view, k=W.FloatSlider(value=1.04, min=1.0, max=1.5, step=0.005,
                              readout_format=".3f", description="k"),
        w=W.FloatSlider(value=w_ref, min=1.0, max=8.0, step=0.25, description="w"),
        main=W.Dropdown(options=list(MAINS), value="network"),
        static=("k", [1.0, 1.02, 1.04, 1.06, 1.1, 1.2]))

# %% [markdown]
# ## References
#
# The works cited here are listed on the [References](../book/references.md) page.
