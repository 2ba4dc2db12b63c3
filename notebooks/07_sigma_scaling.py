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
# {cite}`karras2024autoguidance`): at $w$ = {glue:text}`agt_w` it took the outliers, on training seed 0, from
# about {glue:text}`intro_none_out` to {glue:text}`intro_agt_out` (rerun below; paired over
# {glue:text}`xs_n` training seeds the raw rate changes by {glue:text}`intro_agt_out_d`,
# {glue:text}`intro_agt_out_w`, and the mass-corrected rate by {glue:text}`intro_agt_mc_d`,
# {glue:text}`intro_agt_mc_w`), at a cost of recall
# ({glue:text}`intro_none_rec` → {glue:text}`intro_agt_rec`; paired {glue:text}`intro_agt_rec_d`,
# {glue:text}`intro_agt_rec_w`), and most of its effect was a sharpening that an exact model
# undergoes too. We use the same guided score,
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
# see `hgutils.guidance`).
#
# **Metrics**, as in [Chapter 5](05_autoguidance.ipynb) (precision and recall
# {cite}`kynkaanniemi2019precision`), against true class-A samples; the list after the setup cell says what each rewards and what it misses. The raw outlier rate
# rewards draining the thin outer branches, where most outliers sit, so every verdict on it
# comes with its mass-corrected companion and with the measures of spread (coverage, branch
# TV, leaves) that show the draining itself.
#
# **The criterion used to name a "best" setting** in this chapter and the next: the lowest mean outlier
# rate among the settings whose mean recall is at least `recall_floor` =
# {glue:text}`recall_floor_txt` (ties broken by precision). It asks for fewer outliers *without*
# recall falling below the floor. It ranks by the raw rate, so it inherits that rate's reward for
# draining the thin branches; the section *What the numbers say* reports what the
# mass-corrected rate would pick instead.

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
from hgutils.runs import Measured, Runs, interval_text, t_interval, word

# both cores: the runs gain from a second thread (scripts/benchmark.py, part 3)
torch.set_num_threads(2)
# trees, true samples, the reference models, the σ grid; class leakage is not at stake
# here, so S.metrics (and the across-seeds Runs below) measure without it
S = experiments.ToySetup(leakage=False)
measure = S.measure
seed_list = list(range(seeds))
k_sweep = sorted({1.0, *k_list})
KS = sorted(k_list)                 # the k values the text quotes: k_list's first four
k_a, k_b, k_c, k_d = (KS[min(i, len(KS) - 1)] for i in range(4))
k_mid = sorted(k_panels)[len(k_panels) // 2]   # the pictures' middle k
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
ss = lambda k: ("ss", w_ref, k) if k != 1 else "none"    # R's key of sigma scaling at k
say("n_samples_txt", str(n_samples))
say("w_ref_txt", w_ref, "{:g}")
say("recall_floor_txt", recall_floor, "{:.2f}")
kp = [f"{k:.2f}" for k in k_panels]
say("k_panels_txt", ", ".join(kp[:-1]) + " and " + kp[-1] if len(kp) > 1 else kp[0])
for tag, k in (("ka", k_a), ("kb", k_b), ("kc", k_c), ("kd", k_d), ("k_mid", k_mid)):
    say(f"{tag}_k", k, "{:g}")

# %% [markdown]
# **What each metric rewards and what it misses** (`hgutils.metrics.METRICS`):

# %% tags=["remove-input"]
from IPython.display import Markdown

Markdown(metrics.notes(["outlier_rate", "outlier_rate_mc", "precision", "recall",
                        "coverage", "branch_tv", "leaves", "sw2", "sw2_trim"]))

# %% [markdown]
# ## The presentation's pictures
#
# The presentation shows samples and sampling paths for $k$ = {glue:text}`k_panels_txt`
# (`k_panels`). We draw them at the
# reference weight $w$ = `w_ref` = {glue:text}`w_ref_txt` (the weight of the autoguidance toy example; the presentation does not state
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
# it curves down sharply (on narrow ridges and peaks). For one Gaussian blob of variance $v$ the guided
# density stays Gaussian, and to first order its precision grows by the factor
# $1 + 2\gamma_\text{eff}\,\sigma^2/(v + \sigma^2)$ —
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
# leaves are reached and the branch TV rises — and the head-to-head with autoguidance
# are tested here on the networks of `training_seeds` training seeds × `seeds` sampling
# seeds (`n_seeds_samples` samples per run, the same start noise for every setting): no
# guidance; sigma scaling at $w$ = `w_ref` with the smallest $k$ of `k_list`, the
# pictures' middle $k$ ({glue:text}`k_mid_k`), the largest $k$ of `k_list` and the
# criterion's best $k$; autoguidance at the largest $w$ of `w_ag_list` (the
# introduction's) and at the criterion's best $w$, each with the autoguide of the same
# training seed. The criterion's best settings are those of training seed 0's sweep
# above. Training seed 0's rows are that sweep's own runs (same networks, start noise
# and samples when `n_seeds_samples` = `n_samples`), copied, not sampled again (in this
# run: {glue:text}`xs_copied`). The last rows
# are paired differences with 95% intervals over the training seeds: each sigma scaling
# and the introduction's autoguidance minus no guidance, and sigma scaling's best minus
# autoguidance's best.

# %%
def best(keys):
    """The study's criterion (`experiments.best_setting`): the lowest mean outlier rate
    among keys whose mean recall >= recall_floor (ties by precision); None if no key
    qualifies."""
    key, ok = experiments.best_setting({key: R[key] for key in keys}, recall_floor)
    return key if ok else None


def seed0(key):
    """Training seed 0's rows: the sweep's runs of `key` (`xs` copies them when they
    are its runs: the same n and sampling seeds)."""
    r = R.get(key)
    if r is None:
        return None
    return {0: Measured(r, n_samples, seed_list[:len(r["depth"])])}


def build(key):
    """R's `key` as a denoiser of one training seed's networks (as in the sweep)."""
    if key == "none":
        return lambda nets: denoiser(nets.main, None, 1)
    if key[0] == "ss":
        return lambda nets: denoiser(nets.main, None, key[1], key[2])
    return lambda nets: denoiser(nets.main, nets.autoguide, key[1])


b_ss, b_ag = best(ss_keys), best(ag_keys)   # the criterion's best (training seed 0)
ag_top = max(ag_keys[1:], key=lambda key: key[1])   # the introduction: Chapter 5's w
XS_SS = sorted({ss(k_a), ss(k_mid), ss(max(k_list)), b_ss} - {"none"},
               key=lambda key: key[2])
XS = ["none", *XS_SS, *sorted({ag_top, b_ag} - {"none"}, key=lambda key: key[1])]
xs = Runs(S, n_seeds_samples, sampling_seeds=seed_list,
          training_seeds=range(training_seeds))
for key in XS:
    xs.run(key, build(key), given=seed0(key))
XM = ["outlier_rate", "outlier_rate_mc", "recall", "precision", "coverage", "branch_tv",
      "leaves", "sw2", "sw2_trim"]
xs_tab = xs.table(XS, XM, labels=[name(key) for key in XS],
                  title=f"sigma scaling at w = {w_ref:g}; mean ± std over "
                        f"{training_seeds} training × {seeds} sampling seeds, "
                        f"{n_seeds_samples} samples each")
PAIRS = [(key, "none") for key in XS_SS + [ag_top]] + [(b_ss, b_ag)]
xs_d = {p: {m: xs.paired(*p, m) for m in XM} for p in PAIRS}
tag_of = lambda key: ("none" if key == "none" else f"k = {key[2]:g}" if key[0] == "ss"
                      else f"AG w = {key[1]:g}")
for a, b in PAIRS:
    xs_tab.add(f"{tag_of(a)} − {tag_of(b)} (95%)",
               *(interval_text(xs_d[a, b][m]) for m in XM))
xs_tab

# %% tags=["hide-input"]
from hgutils.report import say

say("xs_n", str(len(xs.training_seeds)))
say("xs_w", ag_top[1], "{:g}")
XW = {"outlier_rate": ("out", "fewer", "more"),
      "outlier_rate_mc": ("mc", "fewer", "more"),
      "recall": ("rec", "lower", "higher"), "precision": ("prec", "lower", "higher"),
      "branch_tv": ("tv", "lower", "higher"), "leaves": ("lv", "fewer", "more"),
      "sw2": ("sw", "lower", "higher"), "median_logp": ("med", "lower", "higher"),
      "coverage": ("cov", "lower", "higher"), "sw2_trim": ("swt", "lower", "higher")}
xw = lambda a, b, m: word(xs.paired(a, b, m), *XW[m][1:])   # word of a − b, paired


def glue_pair(tag, a, b):
    """Glue a − b, paired over training seeds, for each metric of XW: interval, word."""
    for m, (sh, less, more) in XW.items():
        say(f"{tag}_{sh}", interval_text(xs.paired(a, b, m)))
        say(f"{tag}_{sh}_w", xw(a, b, m))


def mech(key):
    """(shift, most): per training seed, the part of the raw rate's change (key − none)
    that the mass-corrected rate does not share, and raw − 2 × mass-corrected change
    (< 0: that part is over half of the raw drop); 95% intervals."""
    raw, mc = (xs.seed_means(key, m) - xs.seed_means("none", m)
               for m in ("outlier_rate", "outlier_rate_mc"))
    pct = 100 * (1 - mc.mean() / raw.mean())
    return t_interval(raw - mc), t_interval(raw - 2 * mc), pct


xs_holds = {}
for tag, k in (("lo", k_mid), ("hi", max(k_list)), ("ka", k_a)):
    say(f"xs_{tag}_k", k, "{:g}")
    glue_pair(f"xs_{tag}", ss(k), "none")
    for m, (sh, less, more) in XW.items():
        say(f"xs_{tag}_{sh}_m", xs.mean(ss(k), m))
    xs_shift, most, pct = mech(ss(k))
    say(f"xs_{tag}_shift", interval_text(xs_shift))
    say(f"xs_{tag}_shift_pct", pct, "{:.0f}")
    say(f"xs_{tag}_mc_pct", 100 - pct, "{:.0f}")
    say(f"xs_{tag}_most", interval_text(most))
    say(f"xs_{tag}_most_w", word(most, "more than half of it",
                                 "less than half of it").replace(
        "not resolved", "not resolved as more or less than half of it"))
    xs_holds[tag] = {
        "the raw rate falls": xw(ss(k), "none", "outlier_rate") == "fewer",
        "more than half of its fall is the shift of mass": word(most) == "fewer",
        "fewer leaves are reached": xw(ss(k), "none", "leaves") == "fewer",
        "branch TV rises": xw(ss(k), "none", "branch_tv") == "higher"}
    xs_bad = [c for c, v in xs_holds[tag].items() if not v]
    say(f"xs_{tag}_verdict", "all four parts hold" if not xs_bad else
        f"{4 - len(xs_bad)} of the four parts hold; not resolved or contradicted: "
        + "; ".join(xs_bad))
for sh, m in (("out", "outlier_rate"), ("mc", "outlier_rate_mc"), ("lv", "leaves"),
              ("tv", "branch_tv"), ("rec", "recall")):
    say(f"xs_none_{sh}_m", xs.mean("none", m))
    say(f"xs_ag_{sh}_m", xs.mean(ag_top, m))
glue_pair("xv", b_ss, b_ag)                  # the two bests, head to head
glue_pair("xs_agt", ag_top, "none")          # the introduction's autoguidance
for sh, m in (("sw", "sw2"), ("swt", "sw2_trim")):
    say(f"xs_ag_{sh}_sd", xs.std(ag_top, m))
    say(f"xs_ag_{sh}_m", xs.mean(ag_top, m))
# the mass-corrected rate counts a depth without samples as all outliers (seed 0)
top = ss_keys[-1]
empty = [d for d in range(7) if float(depth_mean[top][d]) == 0]
say("top_empty", f"depths {min(empty)}–{max(empty)}" if len(empty) > 1
    else f"depth {empty[0]}" if empty else "no depth")
say("top_empty_mass", float(depth_true[empty].sum()) if empty else 0.0)
say("top_mc_s0", mean(top, "outlier_rate_mc"))
say("top_empty_pct", 100 * float(depth_true[empty].sum()) / mean(top, "outlier_rate_mc")
    if empty else 0.0, "{:.0f}")
say("xs_copied", "copied" if all(xs.copied[key] == [0] for key in XS)
    else "sampled again for some settings (they are not the same runs)")
for sh, m in (("out", "outlier_rate"), ("mc", "outlier_rate_mc"), ("rec", "recall")):
    d = xs.paired(ag_top, "none", m)          # the introduction's autoguidance
    say(f"intro_agt_{sh}_d", interval_text(d))
    say(f"intro_agt_{sh}_w", {"fewer": "a resolved fall",
                              "more": "a resolved rise"}.get(word(d), "not resolved"))

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
# {glue:text}`xs_hi_rec` ({glue:text}`xs_hi_rec_w`). At this $k$ the mass-corrected rate
# prices the emptied depths: a depth that receives no sample counts as all outliers, and on
# training seed 0 {glue:text}`top_empty` receive none; their true mass,
# {glue:text}`top_empty_mass`, is {glue:text}`top_empty_pct`% of its mass-corrected rate
# there ({glue:text}`top_mc_s0`). The mechanism claim across training
# seeds, at $k$ = {glue:text}`xs_lo_k`: {glue:text}`xs_lo_verdict`; at $k$ =
# {glue:text}`xs_hi_k`: {glue:text}`xs_hi_verdict`. Coverage (its k-NN balls are the
# data's, so sparse samples do not inflate it) changes by {glue:text}`xs_lo_cov` at $k$ = {glue:text}`xs_lo_k`
# ({glue:text}`xs_lo_cov_w`) and {glue:text}`xs_hi_cov` at $k$ = {glue:text}`xs_hi_k`
# ({glue:text}`xs_hi_cov_w`); the trimmed SW₂ by {glue:text}`xs_lo_swt`
# ({glue:text}`xs_lo_swt_w`) and {glue:text}`xs_hi_swt` ({glue:text}`xs_hi_swt_w`).
#
# Autoguidance at $w$ = {glue:text}`xs_w`, for reference: raw {glue:text}`xs_ag_out_m`,
# mass-corrected {glue:text}`xs_ag_mc_m`, leaves {glue:text}`xs_ag_lv_m`, branch TV
# {glue:text}`xs_ag_tv_m` (unguided {glue:text}`xs_none_lv_m` and
# {glue:text}`xs_none_tv_m`). Its SW₂ is {glue:text}`xs_ag_sw_m` ±
# {glue:text}`xs_ag_sw_sd` over the runs and its trimmed SW₂ {glue:text}`xs_ag_swt_m` ±
# {glue:text}`xs_ag_swt_sd`: the gap between the two is what the samples beyond the 1% and
# 99% quantiles of each projection add. Paired against no guidance, SW₂ changes by
# {glue:text}`xs_agt_sw` ({glue:text}`xs_agt_sw_w`) and the trimmed SW₂ by {glue:text}`xs_agt_swt`
# ({glue:text}`xs_agt_swt_w`).

# %% [markdown]
# ## What the numbers say
#
# The cell below reads the measured numbers back; the discussion after it refers to them.

# %%
def line(key):
    return ", ".join(f"{label} {mean(key, m):.3f}" for m, label in KEYS)


fm = lambda m: mean_std(floor[m])[0]
print(f"true samples: outliers {fm('outlier_rate'):.3f}, recall {fm('recall'):.3f}, "
      f"median log p {fm('median_logp'):.2f}")
for key in ss_keys + ag_keys[1:]:
    print(f"{name(key)}: median log p {mean(key, 'median_logp'):.2f}")
    print(f"  {line(key)}")
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

sd = lambda key, m="outlier_rate": mean_std(R[key][m])[1]
share = lambda key, d: float(depth_mean[key][d].sum() / depth_true[d].sum())  # / true
OUTER, TRUNK = slice(4, None), slice(0, 3)


def cmp(a, b, sa, sb, words=("higher", "about the same", "lower")):
    """words[0] / words[2] when a is above / below b by more than twice the larger seed
    std, else words[1]: a difference the seeds do not resolve."""
    return words[1] if abs(a - b) <= 2 * max(sa, sb) else words[0 if a > b else 2]


# the setting quoted next to k_a: the criterion's best, or the next k if that is it
k2 = (b_ss if b_ss not in (ss(k_a), "none")
      else ss_keys[ss_keys.index(ss(k_a)) + 1])
ag_ex = ag_keys[1:][len(ag_keys[1:]) // 2]      # autoguidance quoted by example
SHORT = {"outlier_rate": "out", "precision": "prec", "recall": "rec", "branch_tv": "tv",
         "leaves": "leaves", "median_logp": "med"}
for tag, key in (("none", "none"), ("ka", ss(k_a)), ("kb", ss(k_b)),
                 ("kc", ss(k_c)), ("kd", ss(k_d)), ("top", ss_keys[-1]),
                 ("ssb", b_ss), ("k2", k2), ("agb", b_ag), ("ag2", ag_ex),
                 ("agt", ag_top)):
    for m, short in SHORT.items():
        say(f"{tag}_{short}", mean(key, m), "{:.2f}" if short == "med" else "{:.3f}")
say("agt_w", ag_top[1], "{:g}")
say("ag2_w", ag_ex[1], "{:g}")
for tag, key in (("none", "none"), ("agt", ag_top)):
    say(f"intro_{tag}_out", mean(key), "{:.2f}")
    say(f"intro_{tag}_rec", mean(key, "recall"), "{:.2f}")
say("floor_out", fm("outlier_rate"))
say("floor_out2", fm("outlier_rate"), "{:.2f}")
say("floor_med", fm("median_logp"), "{:.2f}")
sd_floor = mean_std(floor["outlier_rate"])[1]
say("kd_vs_floor", cmp(mean(ss(k_d)), fm("outlier_rate"), sd(ss(k_d)), sd_floor,
                        ("above", "close to", "below")))
say("ka_cut", 100 * (1 - mean(ss(k_a)) / mean("none")), "{:.0f}")
ag_min = min(ag_keys[1:], key=mean)
say("ag_min_out", mean(ag_min))
say("ag_min_w", ag_min[1], "{:g}")
say("ssb_k", b_ss[2], "{:g}")
say("k2_k", k2[2], "{:g}")
say("agb_w", b_ag[1], "{:g}")
say("ssb_rec_sd", sd(b_ss, "recall"))
say("ssb_agb_pct", 100 * mean(b_ss) / mean(b_ag), "{:.0f}")
pr = [(mean(key, "recall"), mean(key, "precision")) for key in ss_keys][::-1]
pr_up = [key[1] for key in ag_keys[1:]
         if np.interp(mean(key, "recall"), *zip(*pr)) > mean(key, "precision")]
pr_down = [key[1] for key in ag_keys[1:] if key[1] not in pr_up]
w_txt = lambda ws: "w = " + " and ".join(f"{w:g}" for w in ws)
say("pr_word", "lies above autoguidance's at each of its weights" if not pr_down
    else "lies above autoguidance's at none of its weights" if not pr_up
    else f"lies above autoguidance's at {w_txt(pr_up)}, not at {w_txt(pr_down)}")
# the headline words: paired over training seeds (the intervals of xs)
fall = {m: xw(ss(k_a), "none", m) for m in ("outlier_rate", "outlier_rate_mc")}
vs = {m: xw(b_ss, b_ag, m) for m in XW}          # sigma scaling's best − autoguidance's
RATE = {"outlier_rate": "the raw rate", "outlier_rate_mc": "the mass-corrected rate"}
phrase = lambda m, w: (f"{w} outliers by {RATE[m]}" if w != "not resolved"
                       else f"no resolved difference by {RATE[m]}")
raw_vs, mc_vs = vs["outlier_rate"], vs["outlier_rate_mc"]
say("xv_mc_txt", f"by both rates sigma scaling's best has {raw_vs} outliers than "
    "autoguidance's" if raw_vs == mc_vs != "not resolved"
    else "neither rate resolves a difference" if raw_vs == mc_vs
    else "the two disagree: " + ", ".join(phrase(m, vs[m]) for m in RATE))
claim = ("the claim holds" if set(fall.values()) == {"fewer"}
         else "the claim holds for the raw rate, not for the mass-corrected one"
         if fall["outlier_rate"] == "fewer" else "the claim is not resolved")
vs_txt = ("neither rate resolves a difference" if raw_vs == mc_vs == "not resolved"
          else ", ".join(phrase(m, vs[m]) for m in RATE))
say("out_head", f"{claim}; against autoguidance's best, {vs_txt}")
say("small_word", claim.replace("the claim holds", "confirmed"))
BETTER = {"outlier_rate": ("outliers", "fewer"),
          "outlier_rate_mc": ("mass-corrected outliers", "fewer"),
          "recall": ("recall", "higher"), "precision": ("precision", "higher"),
          "coverage": ("coverage", "higher"), "leaves": ("leaves reached", "more"),
          "branch_tv": ("branch TV", "lower"), "sw2_trim": ("trimmed SW₂", "lower")}
side = {"ss": [], "ag": [], "nr": []}
for m, (label, good) in BETTER.items():
    side["nr" if vs[m] == "not resolved" else "ss" if vs[m] == good else "ag"].append(
        label)
say("dom_head", "neither method dominates" if side["ss"] and side["ag"]
    else "sigma scaling's best is ahead wherever a difference is resolved"
    if side["ss"] else "autoguidance's best is ahead wherever a difference is resolved"
    if side["ag"] else "no difference is resolved")
and_ = lambda xs_: ", ".join(xs_[:-1]) + " and " + xs_[-1] if len(xs_) > 1 else xs_[0]
say("dom_text", "; ".join(
    f"{who} {and_(side[s_])}" for s_, who in (
        ("ss", "sigma scaling's best is ahead on"), ("ag", "autoguidance's best on"),
        ("nr", "not resolved:")) if side[s_]))
say("vs_ag_sum", ", ".join(
    f"{label} {interval_text(xs.paired(b_ss, b_ag, m))} ({vs[m]})"
    for m, (label, _) in BETTER.items()))
spread_ag = [vs["leaves"] == "fewer", vs["branch_tv"] == "higher"]
SHIFT = {"fewer": "drains them", "more": "does the opposite, which the raw rate counts "
         "against it", "not resolved": "does not resolvably drain them"}
sh_ss, sh_ag = mech(b_ss)[0], mech(b_ag)[0]     # the shift of mass, paired (see `mech`)
say("drain_txt", f"sigma scaling {SHIFT[word(sh_ss)]} and autoguidance "
    f"{SHIFT[word(sh_ag)]} (the part of the raw change that the mass-corrected rate "
    f"does not share, paired: {interval_text(sh_ss)} and {interval_text(sh_ag)})")
say("agb_keeps", "keeps more of the spread" if all(spread_ag)
    else "keeps more of the spread by one of the two measures" if any(spread_ag)
    else "does not resolvably keep more of the spread")
say("agb_ssb_rec", {"higher": "at a lower recall", "lower": "at a higher recall"}.get(
    vs["recall"], "at a recall not resolved from sigma scaling's"))
say("ssb_div", f"k = {b_ss[2]:g} is also the criterion's best." if b_ss == ss(k_a)
    else f"At the criterion's best, k = {b_ss[2]:g}, the branch TV is "
    f"{mean(b_ss, 'branch_tv'):.3f} and the share of leaves reached "
    f"{mean(b_ss, 'leaves'):.3f}.")
say("ka_tv_x", mean(ss(k_a), "branch_tv") / mean("none", "branch_tv"), "{:.1f}")
say("ka_leafmass", share(ss(k_a), 6), "{:.2f}")
say("agb_leafmass", share(b_ag, 6), "{:.2f}")
kp_lo, kp_hi = min(k for k in k_panels if k != 1), max(k_panels)
say("kp_range", f"{kp_lo:.2f}–{kp_hi:.2f}")
say("kp_g_range", f"{(w_ref - 1) * (kp_lo - 1):.2g}–{(w_ref - 1) * (kp_hi - 1):.2g}")
rel = lambda a, b: f"{100 * (a / b - 1):+.0f}".replace("-", "−")   # a vs b, in %
for tag, k in (("lo", kp_lo), ("hi", kp_hi)):       # relative to no guidance (seed 0)
    for m, sh in (("recall", "rec"), ("leaves", "lv")):
        say(f"kp_{tag}_{sh}", rel(mean(ss(k), m), mean("none", m)))


def best_mc(keys):
    """The criterion with the mass-corrected rate in the raw rate's place."""
    alt = {key: {**R[key], "outlier_rate": R[key]["outlier_rate_mc"]} for key in keys}
    key, ok = experiments.best_setting(alt, recall_floor)
    return key if ok else None


mc_ss, mc_ag = best_mc(ss_keys), best_mc(ag_keys)
lab = lambda key: name(key) if key else "no setting"
say("crit_mc_txt", "picks the same two settings" if (mc_ss, mc_ag) == (b_ss, b_ag)
    else f"picks {lab(mc_ss)} and {lab(mc_ag)} instead")
for tag, key in (("ssb", b_ss), ("agb", b_ag)):
    say(f"{tag}_mc", mean(key, "outlier_rate_mc"))
# diversity at k_a, across training seeds: relative changes, and the spread's verdict
for m, sh in (("recall", "rec"), ("leaves", "lv")):
    say(f"xs_ka_{sh}_rel", rel(xs.mean(ss(k_a), m), xs.mean("none", m)))
say("leaf_mass_pct", 100 * float(depth_true[6]), "{:.0f}")
lost = [xw(ss(k_a), "none", "leaves") == "fewer",
        xw(ss(k_a), "none", "branch_tv") == "higher",
        xw(ss(k_a), "none", "coverage") == "lower"]
say("spread_txt", "does not survive: all three spread measures resolve a loss"
    if all(lost) else f"is resolvably lost by {sum(lost)} of the three spread measures"
    if any(lost) else "is not resolvably lost by any of the three spread measures")
say("div_head", "contradicted by the spread over the tree" if any(lost)
    else "not contradicted by these measures")

# %% [markdown]
# **Outliers: {glue:text}`out_head`.** On training seed 0 (the sweep above), at $w$ =
# {glue:text}`w_ref_txt`, $k$ = {glue:text}`ka_k` cuts the unguided outlier rate by
# {glue:text}`ka_cut`% ({glue:text}`none_out` → {glue:text}`ka_out`), $k$ =
# {glue:text}`kb_k` brings it to {glue:text}`kb_out` and $k$ = {glue:text}`kc_k` to
# {glue:text}`kc_out`; at $k$ = {glue:text}`kd_k` the rate ({glue:text}`kd_out`) is
# {glue:text}`kd_vs_floor` that of true samples ({glue:text}`floor_out`; a difference counted
# as resolved when it exceeds twice the larger sampling-seed standard deviation); a rate
# under the true samples' own is over-concentration, not accuracy.
# Autoguidance gets no lower than {glue:text}`ag_min_out` (its mean at $w$ =
# {glue:text}`ag_min_w`). By the study's criterion (lowest outliers with mean recall ≥
# `recall_floor`) the best sigma scaling is $k$ = {glue:text}`ssb_k` — {glue:text}`ssb_out`
# outliers at recall {glue:text}`ssb_rec` (± {glue:text}`ssb_rec_sd` between seeds) — and the
# best autoguidance $w$ = {glue:text}`agb_w`, with {glue:text}`agb_out` at recall
# {glue:text}`agb_rec`: on training seed 0 sigma scaling leaves {glue:text}`ssb_agb_pct`% of
# autoguidance's outliers. The raw outlier rate rewards draining the thin branches, where
# most outliers sit; at the criterion's best, {glue:text}`drain_txt`. Its companion, the
# mass-corrected rate, does not reward the draining: on training seed 0 it is
# {glue:text}`ssb_mc` for sigma scaling's best and {glue:text}`agb_mc` for autoguidance's,
# and the same criterion ranked by it {glue:text}`crit_mc_txt`. Paired over
# {glue:text}`xs_n` training seeds (section *Across training seeds*), sigma scaling at $k$ =
# {glue:text}`ssb_k` minus autoguidance at $w$ = {glue:text}`agb_w` changes the raw outlier rate by {glue:text}`xv_out`
# ({glue:text}`xv_out_w`) and the mass-corrected rate by {glue:text}`xv_mc`
# ({glue:text}`xv_mc_w`): {glue:text}`xv_mc_txt`. Recall changes by {glue:text}`xv_rec`
# ({glue:text}`xv_rec_w`), precision by {glue:text}`xv_prec` ({glue:text}`xv_prec_w`). Against
# no guidance, paired, $k$ = {glue:text}`ka_k` changes the raw rate by
# {glue:text}`xs_ka_out` ({glue:text}`xs_ka_out_w`) and the mass-corrected rate by
# {glue:text}`xs_ka_mc` ({glue:text}`xs_ka_mc_w`). On training seed 0, the precision–recall
# curve of sigma scaling {glue:text}`pr_word` (for example precision {glue:text}`kc_prec` at
# recall {glue:text}`kc_rec` for $k$ = {glue:text}`kc_k`, against {glue:text}`ag2_prec` at
# {glue:text}`ag2_rec` for autoguidance $w$ = {glue:text}`ag2_w`). Precision rewards
# concentration (it is {glue:text}`top_prec` at $k$ = {glue:text}`top_k`), so a higher
# precision at the same recall does not say the samples are spread right: at those two
# points the branch TV is {glue:text}`kc_tv` against {glue:text}`ag2_tv`.
#
# **Diversity at $k$ = {glue:text}`ka_k`, across training seeds: recall changes by
# {glue:text}`xs_ka_rec_rel`%, the share of leaves reached by {glue:text}`xs_ka_lv_rel`%.**
# "Still preserves diversity" rests on recall, which goes from {glue:text}`none_rec` to
# {glue:text}`ka_rec` on training seed 0 and changes by {glue:text}`xs_ka_rec`
# ({glue:text}`xs_ka_rec_w`) paired over training seeds. Recall forgives thin coverage: the
# leaf branches hold {glue:text}`leaf_mass_pct`% of the true mass, and the few samples that
# still reach a region get large k-NN balls that cover its true points. The measures of the spread over the tree
# tell the rest: the branch TV is {glue:text}`ka_tv_x` times the unguided one
# ({glue:text}`none_tv` → {glue:text}`ka_tv`; paired {glue:text}`xs_ka_tv`,
# {glue:text}`xs_ka_tv_w`), the share of the 64 leaves that receive a sample goes from
# {glue:text}`none_leaves` to {glue:text}`ka_leaves` (paired {glue:text}`xs_ka_lv`,
# {glue:text}`xs_ka_lv_w`), coverage changes by {glue:text}`xs_ka_cov`
# ({glue:text}`xs_ka_cov_w`; like recall it counts true samples, of which the leaf branches
# hold that {glue:text}`leaf_mass_pct`%), and the leaf branches together receive
# {glue:text}`ka_leafmass`× their true mass (training seed 0). {glue:text}`ssb_div`
# Autoguidance's best, {glue:text}`agb_ssb_rec`, {glue:text}`agb_keeps`: paired over
# training seeds, sigma scaling's best minus it changes the share of leaves reached by
# {glue:text}`xv_lv` ({glue:text}`xv_lv_w`), the branch TV by {glue:text}`xv_tv`
# ({glue:text}`xv_tv_w`) and coverage by {glue:text}`xv_cov` ({glue:text}`xv_cov_w`); on
# training seed 0, at $w$ =
# {glue:text}`agb_w`, branch TV {glue:text}`agb_tv`, leaves {glue:text}`agb_leaves`, leaf
# branches at {glue:text}`agb_leafmass`× their mass. So {glue:text}`dom_head` at the
# criterion's best settings (paired over training seeds): {glue:text}`dom_text`.

# %% tags=["hide-input"]
# how the outliers go (seed 0), and where the mass goes (mean over the seeds)
say("n_out0", len(x_out), "{:.0f}")
say("out_outer_pct", 100 * float(out_depth[OUTER].sum()), "{:.0f}")
shift = {}
for tag, key in (("none", "none"), ("ka", ss(k_a)), ("k2", k2), ("agb", b_ag)):
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
# the headline: paired over training seeds, at k_a and k2 (where xs ran it)
mk = [mech(key) for key in dict.fromkeys((ss(k_a), k2)) if key in xs]
say("shift_word", "largely" if all(word(m[1]) == "fewer" for m in mk)
    else "partly" if all(word(m[0]) == "fewer" for m in mk) else "not resolvably")
say("xs_agb_shift", interval_text(mech(b_ag)[0]))
say("agb_shift_txt", f"{shift['agb']:.0f}% of its raw drop comes from the shift of mass"
    if shift["agb"] >= 0 else "none of its raw drop comes from the shift of mass: at "
    "the true depth masses its rate falls even further")


def rate_diff(a, b, d):
    """Seed 0's within-depth outlier rate of a − b at depth d, with the normal 95%
    interval of two binomial proportions (one run each, taken as independent)."""
    (ra, na), (rb, nb) = outlier_rate_by_depth(X[a]), outlier_rate_by_depth(X[b])
    pa, pb = float(ra[d]), float(rb[d])
    se = (pa * (1 - pa) / max(float(na[d]), 1) + pb * (1 - pb) / max(float(nb[d]), 1))
    return pa - pb, pa - pb - 1.96 * se ** 0.5, pa - pb + 1.96 * se ** 0.5


for tag, key, d in (("ka", ss(k_a), 4), ("ka", ss(k_a), 5), ("ka", ss(k_a), 6),
                    ("agb", b_ag, 4)):
    say(f"{tag}_d{d}_d", interval_text(rate_diff(key, "none", d)))
    say(f"{tag}_d{d}_w", word(rate_diff(key, "none", d), "lower", "higher"))
w56 = [word(rate_diff(ss(k_a), "none", d), "lower", "higher") for d in (5, 6)]
say("d56_word", "not resolved at either depth" if w56 == ["not resolved"] * 2
    else f"{w56[0]} at both depths" if w56[0] == w56[1]
    else f"depth 5: {w56[0]}; depth 6: {w56[1]}")
say("med_conc", {"higher": "the samples move into the high-density region, as the "
                 "presentation says", "lower": "the samples move out of the "
                 "high-density region, against the presentation"}.get(
    xw(ss(max(k_list)), "none", "median_logp"),
    "a move into the high-density region is not resolved"))
say("agb_d4_verb", {"lower": "lowers", "higher": "raises"}.get(
    word(rate_diff(b_ag, "none", 4), "lower", "higher"), "does not resolvably change"))
# the main branch's share / its true mass, per sampling seed of training seed 0
main_s = {key: torch.stack(R[key]["depth"])[:, 0].double() / depth_true[0]
          for key in ss_keys}
main = [float(main_s[key].mean()) for key in ss_keys]
say("main_shares", ", ".join(f"{v:.2f}× " + ("unguided" if k == 1 else f"at k = {k:g}")
                             for v, k in zip(main, k_sweep)))
rises = all(a < b for a, b in zip(main, main[1:]))
steps = [word(t_interval((main_s[b] - main_s[a]).numpy()), "lower", "higher")
         if seeds > 1 else "not resolved"           # paired over sampling seeds
         for a, b in zip(ss_keys, ss_keys[1:])]
n_up = sum(w_ == "higher" for w_ in steps)
say("main_word", f"rises with every step of k, and {n_up} of the {len(steps)} steps "
    "are resolved rises (paired over its sampling seeds)" if rises
    else "does not rise with every step of k")
say("conc_head", "confirmed on training seed 0" if rises and n_up == len(steps)
    else "rising on training seed 0, not resolved at every step" if rises
    else "not monotone in k on training seed 0")
# the exact main model's main-branch share (one run of n_oracle samples each)
ora_main = [float(R["oracle", n_oracle, k]["depth"][0][0] / depth_true[0])
            for k in (1.0, max(oracle_k))]
say("ora_main", f"{ora_main[0]:.2f}× → {ora_main[1]:.2f}×")
say("ora_main_word", "rises" if ora_main[1] > ora_main[0] else "does not rise")
kept = [ora[mn, min(oracle_k)]["leaves"][0] / max(ora[mn, 1.0]["leaves"][0], 1e-12)
        for mn in ("exact oracle", "network")]
say("ora_lv_txt", f"the exact model keeps {100 * kept[0]:.0f}% of its unguided share, "
    f"the network {100 * kept[1]:.0f}%")
say("top_k", k_sweep[-1], "{:g}")
say("top_deepest", max(d for d in range(7) if depth_mean[ss_keys[-1]][d] > 0), "{:.0f}")
say("top_trunk", share(ss_keys[-1], TRUNK), "{:.2f}")

# %% [markdown]
# **How sigma scaling lowers the outlier rate: {glue:text}`shift_word` by moving mass off the thin
# branches.** {glue:text}`out_outer_pct`% of the unguided outliers (seed 0: {glue:text}`n_out0` of {glue:text}`n_samples_txt`)
# belong to branches of depth 4–6, the thin outer branches. Are the samples that still go
# to the thinnest branches more accurate? On seed 0, at $k$ = {glue:text}`ka_k` the outlier
# rate among samples on depth-5 and depth-6 branches is {glue:text}`ka_d5` and
# {glue:text}`ka_d6`, against {glue:text}`none_d5` and {glue:text}`none_d6` unguided
# (differences {glue:text}`ka_d5_d` and {glue:text}`ka_d6_d`, 95% binomial intervals of one
# run each: {glue:text}`d56_word`); on depth 4 it is {glue:text}`ka_d4` against
# {glue:text}`none_d4` ({glue:text}`ka_d4_d`, {glue:text}`ka_d4_w`). Where it sends the
# samples (training seed 0, mean over its sampling seeds): depths 4–6 get
# {glue:text}`ka_outer`× their true mass at $k$ = {glue:text}`ka_k` and
# {glue:text}`k2_outer`× at $k$ = {glue:text}`k2_k`, the trunk (depths 0–2)
# {glue:text}`ka_trunk`× and {glue:text}`k2_trunk`×. The raw outlier rate rewards moving
# mass off the outer branches: weighting each depth's within-depth outlier rate by the
# depth's *true* mass instead of the samples' shares (seed 0) gives
# {glue:text}`none_at_true` unguided, {glue:text}`ka_at_true` at $k$ = {glue:text}`ka_k`
# and {glue:text}`k2_at_true` at $k$ = {glue:text}`k2_k`, against raw rates of
# {glue:text}`none_out_s0`, {glue:text}`ka_out_s0` and {glue:text}`k2_out_s0`:
# {glue:text}`ka_shift_pct`% and {glue:text}`k2_shift_pct`% of the raw drop come from the
# shift of mass between depths, not from better samples within a depth (one run of
# training seed 0; the mean over the training seeds follows). Autoguidance's outer
# branches get {glue:text}`agb_outer`× their true mass at $w$ = {glue:text}`agb_w`, and it
# {glue:text}`agb_d4_verb` the outlier rate *within* the depth-4 branches
# ({glue:text}`none_d4` → {glue:text}`agb_d4`; {glue:text}`agb_d4_d`); its rate at the
# true depth masses is {glue:text}`agb_at_true`, and {glue:text}`agb_shift_txt` (seed 0).
# Paired over {glue:text}`xs_n` training seeds, the part of the raw change that the
# mass-corrected rate does not share is {glue:text}`xs_ka_shift` at $k$ =
# {glue:text}`ka_k` ({glue:text}`xs_ka_shift_pct`% of the mean raw change;
# {glue:text}`xs_ka_most_w`), {glue:text}`xs_lo_shift` at $k$ = {glue:text}`xs_lo_k`
# ({glue:text}`xs_lo_shift_pct`%; {glue:text}`xs_lo_most_w`) and {glue:text}`xs_agb_shift`
# for autoguidance at $w$ = {glue:text}`agb_w`.
#
# **Concentration on the main branch: {glue:text}`conc_head`.** The main branch's share, as
# a multiple of its true mass (training seed 0, mean over its sampling seeds):
# {glue:text}`main_shares`. It {glue:text}`main_word`. At $k$ = {glue:text}`top_k` the
# deepest branches that receive samples are at depth {glue:text}`top_deepest`, and the trunk
# holds {glue:text}`top_trunk`× its mass. The samples' median $\log p_\text{data}$ (training
# seed 0) goes from {glue:text}`none_med` (true samples: {glue:text}`floor_med`) to
# {glue:text}`kd_med` at $k$ = {glue:text}`kd_k` and {glue:text}`top_med` at $k$ =
# {glue:text}`top_k`; paired over training seeds at $k$ = {glue:text}`xs_hi_k` it changes by
# {glue:text}`xs_hi_med` ({glue:text}`xs_hi_med_w`): {glue:text}`med_conc`. Recall:
# {glue:text}`kd_rec` at $k$ = {glue:text}`kd_k`, {glue:text}`top_rec`
# at $k$ = {glue:text}`top_k` (training seed 0; paired at $k$ = {glue:text}`xs_hi_k`,
# {glue:text}`xs_hi_rec`).

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
# **Is $(w-1)(k-1)$ one knob? (training seed 0)** On training seed 0, with
# twice the sampling seeds' standard deviation as the yardstick: at $\gamma_\text{eff}$ = {glue:text}`g_lo` the three
# weights ($k$ = {glue:text}`g_lo_ks`) differ by {glue:text}`g_lo_sp_out` in outliers
# ({glue:text}`g_lo_out_in` twice their seed-to-seed standard deviation at $w$ = {glue:text}`w_ref_txt`,
# {glue:text}`g_lo_sd_out`), by {glue:text}`g_lo_sp_rec` in recall ({glue:text}`g_lo_rec_in` twice
# {glue:text}`g_lo_sd_rec`) and by {glue:text}`g_lo_sp_tv` in branch TV ({glue:text}`g_lo_tv_in` twice
# {glue:text}`g_lo_sd_tv`). At {glue:text}`g_mid` the recall spread ({glue:text}`g_mid_sp_rec`; recall
# {glue:text}`g_mid_recs`) is {glue:text}`g_mid_rec_in` twice its standard deviation
# ({glue:text}`g_mid_sd_rec`) and the branch-TV spread ({glue:text}`g_mid_sp_tv`) {glue:text}`g_mid_tv_in`
# twice its ({glue:text}`g_mid_sd_tv`); at {glue:text}`g_hi` the $w$ = {glue:text}`g_hi_w0` run, which
# needs $k$ = {glue:text}`g_hi_k0`, {glue:text}`g_hi_w0_word` (recall {glue:text}`g_hi_recs` for $w$ =
# {glue:text}`w_arms`), while the other weights {glue:text}`g_hi_rest` in recall. Whether $k$ is "small"
# therefore depends on $w$ as well: at this $\gamma_\text{eff}$, $k$ = {glue:text}`g_hi_k_last` at $w$ =
# {glue:text}`g_hi_w_last` and $k$ = {glue:text}`g_hi_k_ref` at $w$ = {glue:text}`w_ref_txt` differ by {glue:text}`g_hi_d_out`
# in outliers, {glue:text}`g_hi_d_rec` in recall and {glue:text}`g_hi_d_tv` in branch TV (seed 0), against
# seed standard deviations at $w$ = {glue:text}`w_ref_txt` of {glue:text}`g_hi_sd_out`, {glue:text}`g_hi_sd_rec` and
# {glue:text}`g_hi_sd_tv`: {glue:text}`g_hi_pair`. The same $k$ is a different strength at each $w$. The
# presentation's $k$ values {glue:text}`kp_range` (`k_panels`) at $w$ = {glue:text}`w_ref_txt` span
# $\gamma_\text{eff}$ = {glue:text}`kp_g_range`: relative to no guidance (training seed 0),
# recall changes by {glue:text}`kp_lo_rec`% and the share of leaves reached by
# {glue:text}`kp_lo_lv`% at the smallest, by {glue:text}`kp_hi_rec`% and
# {glue:text}`kp_hi_lv`% at the largest.
#
# **The idea, not the network.** With the exact main model, which has no errors to correct,
# sigma scaling also loses the spread (seed 0, one run of `n_oracle` samples each, no
# interval): at $k$ = {glue:text}`ko_hi` recall {glue:text}`orahi_rec` against the network's
# {glue:text}`nethi_rec`, branch TV {glue:text}`orahi_tv` against {glue:text}`nethi_tv`,
# leaves {glue:text}`orahi_leaves` against {glue:text}`nethi_leaves`; at $k$ =
# {glue:text}`ko_lo` branch TV {glue:text}`oralo_tv` against {glue:text}`netlo_tv`, but the
# share of leaves reached goes from {glue:text}`ora1_leaves` to {glue:text}`oralo_leaves`
# with the exact model and from {glue:text}`net1_leaves` to {glue:text}`netlo_leaves` with
# the network ({glue:text}`ora_lv_txt`). The main branch's share, as a
# multiple of its true mass, goes {glue:text}`ora_main` from $k$ = 1 to $k$ =
# {glue:text}`ko_hi` with the exact model. The exact
# model's outliers fall from {glue:text}`ora1_out` to {glue:text}`oralo_out` at $k$ = {glue:text}`ko_lo`,
# against {glue:text}`floor_out` for true samples. The exact target $p(x;\sigma)^w/p(x;k\sigma)^{w-1}$ is
# itself a sharpened, trunk-heavy distribution; the concentration is what the method asks for. (The exact
# model has almost no outliers to lose, so this cannot say how much of the network's drop,
# {glue:text}`net1_out` → {glue:text}`netlo_out` at $k$ = {glue:text}`ko_lo` in this table, is correction
# of its errors.)
#
# **Verdict on the presentation's claims.** "Small $k$ reduces outliers": {glue:text}`small_word`
# (paired over {glue:text}`xs_n` training seeds at $k$ = {glue:text}`ka_k`: raw outlier rate
# {glue:text}`xs_ka_out`, mass-corrected {glue:text}`xs_ka_mc`, a change
# {glue:text}`xs_ka_mc_pct`% the size of the raw one; training seed 0:
# {glue:text}`none_out` → {glue:text}`ka_out`, and {glue:text}`k2_out` at $k$ =
# {glue:text}`k2_k`), though {glue:text}`shift_word` by sending fewer samples to the thin
# branches where the outliers sit. Across training seeds (section *Across training seeds*),
# that mechanism at $k$ = {glue:text}`xs_lo_k`: {glue:text}`xs_lo_verdict` (raw outlier rate
# {glue:text}`xs_lo_out`, mass-corrected {glue:text}`xs_lo_mc`, paired against no guidance).
# "… and still preserves diversity": {glue:text}`div_head`. Recall changes by
# {glue:text}`xs_ka_rec` ({glue:text}`xs_ka_rec_w`; {glue:text}`xs_ka_rec_rel`% of its
# unguided value) paired at $k$ = {glue:text}`ka_k` (training seed 0: {glue:text}`ka_rec`
# and {glue:text}`k2_rec` at $k$ = {glue:text}`ka_k` and {glue:text}`k2_k`, against
# {glue:text}`none_rec` unguided), but it forgives thin coverage; the spread over the
# branches {glue:text}`spread_txt` (paired at $k$ = {glue:text}`ka_k`: branch TV
# {glue:text}`xs_ka_tv`, leaves {glue:text}`xs_ka_lv`, coverage {glue:text}`xs_ka_cov`;
# training seed 0: branch TV {glue:text}`ka_tv` and {glue:text}`k2_tv`, leaves
# {glue:text}`ka_leaves` and {glue:text}`k2_leaves`). "As $k$ increases, samples
# concentrate around the main branch": {glue:text}`conc_head`; with the exact model the
# main branch's share {glue:text}`ora_main_word` ({glue:text}`ora_main` from $k$ = 1 to
# $k$ = {glue:text}`ko_hi`, one run of seed 0). Against autoguidance, sigma scaling needs no second model;
# at the criterion's best settings ($k$ = {glue:text}`ssb_k` against $w$ =
# {glue:text}`agb_w`), paired over training seeds, sigma scaling − autoguidance:
# {glue:text}`vs_ag_sum`. The raw outlier rate rewards draining the thin branches
# (at these settings {glue:text}`drain_txt`); the mass-corrected rate, its companion, does
# not. [Chapter 8](08_schedule_sigma_scaling.ipynb) adds the
# presentation's weight schedule, and [Chapter 9](09_results.ipynb) compares all methods.

# %% [markdown]
# ## Explore
#
# Pick $k$, $w$ and the main model (the network or the exact oracle) and see the samples
# ({glue:text}`n_samples_txt`, seed 0)
# and their metrics.

# %%
import ipywidgets as W

from hgutils.widgets import explore

MAINS = {"network": S.main, "exact oracle": S.tree}


def view(k=1.04, w=3.0, main="network"):
    x = S.sample(denoiser(MAINS[main], None, w, k), n_samples, seed=0)
    plots.sample_view(S.tree, x, f"{main} main, k = {k:.3f}, w = {w:g}, "
                      f"γ_eff = {(w - 1) * (k - 1):.3f}\n"
                      + plots.guidance_text(measure(x)))
    plots.plt.show()


explore(view, k=W.FloatSlider(value=1.04, min=1.0, max=1.5, step=0.005,
                              readout_format=".3f", description="k"),
        w=W.FloatSlider(value=w_ref, min=1.0, max=8.0, step=0.25, description="w"),
        main=W.Dropdown(options=list(MAINS), value="network"),
        static=("k", k_sweep))

# %% [markdown]
# ## References
#
# The works cited here are listed on the [References](../book/references.md) page.
