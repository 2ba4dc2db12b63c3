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
# # 2. Score, SDE and probability-flow ODE
#
# **The question.** A diffusion model is a learned *score* $\nabla_x \log p(x;\sigma)$. How close
# does a small network get to the exact score of the tree, at which noise levels does it fail, and
# which sampler spends a fixed budget of network evaluations best?
#
# **From chapter 1.** [Chapter 1](01_ddpm_basics.ipynb) noised the tree with the DDPM forward process
# and sampled it with ancestral steps. Here we switch to the EDM σ-parameterization
# {cite}`karras2022edm`, which every later chapter uses: $x = y + \sigma n$ with $y \sim p_\text{data}$
# and $n \sim \mathcal N(0, I)$, so $p(x;\sigma) = p_\text{data} * \mathcal N(0, \sigma^2 I)$. A DDPM
# state $x_t$ is $\sqrt{\bar\alpha_t}$ times such an $x$ with $\sigma = \sqrt{(1-\bar\alpha_t)/\bar\alpha_t}$.
#
# Three objects carry the same information:
#
# $$
# D(x;\sigma) = \mathbb E[y \mid x], \qquad
# s(x;\sigma) = \nabla_x \log p(x;\sigma) = \frac{D(x;\sigma) - x}{\sigma^2}, \qquad
# \hat\varepsilon = \frac{x - D(x;\sigma)}{\sigma}.
# $$
#
# The first equality is Tweedie's formula. Sampling runs the probability-flow ODE
# {cite}`song2021sde` $\;\mathrm dx/\mathrm d\sigma = -\sigma\, s(x;\sigma) = (x - D(x;\sigma))/\sigma\;$
# from $\sigma_\text{max}$ down to 0, or a stochastic (SDE) variant of it.

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
n_samples = 4096        # samples per sampling run
seeds = 3               # runs (seeds 0, 1, …) behind every mean ± std
steps = 32              # Heun steps of the reference sampler (2·steps − 1 evaluations)
nfe_list = [7, 15, 31, 63]   # budgets of network evaluations for the sampler comparison
sigma_max = 5.0         # start of sampling (the Karras et al. 2022 grid, ρ = 7)
sigma_min = 0.002       # last nonzero noise level
train_iters = 4096      # iterations of the main model (autoguidance paper's protocol)

# %% tags=["hide-input"]
from hgutils.params import check_float, check_int, check_int_list

n_samples = check_int(n_samples, "n_samples", 16)
seeds = check_int(seeds, "seeds", 1)
steps = check_int(steps, "steps", 1)
nfe_list = check_int_list(nfe_list, "nfe_list", 1)
sigma_min = check_float(sigma_min, "sigma_min", 0, low_open=True)
sigma_max = check_float(sigma_max, "sigma_max", sigma_min, low_open=True)
train_iters = check_int(train_iters, "train_iters", 1)

# %% tags=["hide-input"]
import math

import torch

from hgutils import experiments, plots, samplers, toy
from hgutils.report import Table, mean_std, pm
from hgutils.train import ToyConfig, load_or_train

torch.set_num_threads(2)
tree = toy.tree("A")                      # class A of the autoguidance paper's tree
# true samples
reference = tree.sample(8192, generator=torch.Generator().manual_seed(12345))
seed_list = list(range(seeds))

# %% [markdown]
# ## Tweedie's formula, checked
#
# The oracle computes $D = x + \sigma^2 \nabla_x \log p$ from the exact, log-space density of the
# tree. Tweedie says this is the posterior mean $\mathbb E[y\mid x]$, which we can also estimate
# without any score: draw many $y \sim p_\text{data}$ and average them with weights
# $\mathcal N(x; y, \sigma^2 I)$. The two must agree within the Monte Carlo error.

# %%
probe = torch.tensor([[0.30, 0.45], [0.80, 0.60], [0.55, 1.05]])
ys = tree.sample(400_000, generator=torch.Generator().manual_seed(7)).double()
tweedie = Table(["σ", "x", "oracle D(x; σ)", "Monte Carlo E[y | x]", "|difference|",
                 "MC std error"])
for sigma in (0.05, 0.2):
    for x in probe.double():
        logw = -((ys - x) ** 2).sum(1) / (2 * sigma**2)
        w = torch.softmax(logw, 0)
        mc = (w[:, None] * ys).sum(0)
        # delta-method standard error
        se = ((w[:, None] ** 2 * (ys - mc) ** 2).sum(0)).sqrt().norm()
        d = tree.denoise(x[None], sigma)[0]
        fmt = lambda v: f"({v[0]:.3f}, {v[1]:.3f})"
        tweedie.add(sigma, fmt(x), fmt(d), fmt(mc), f"{(d - mc).norm():.4f}",
                    f"{se:.4f}")
tweedie

# %% [markdown]
# ## The exact score against the learned one
#
# The main model is the autoguidance paper's toy network {cite}`karras2024autoguidance`: an MLP with
# 4 hidden layers of 64 units that outputs $\log p_\theta(x;\sigma)$, so its score comes by autograd
# and its density can be drawn. It is trained by exact score regression against the oracle,
# loss $\sigma^2\lVert s_\theta - s\rVert^2$ with $\ln\sigma \sim \mathcal N(-2.3, 1.5^2)$, batch 4096,
# Adam and an EMA of the weights (details in `hgutils.train`). It is trained once and then loaded
# from the on-disk cache, keyed by its whole configuration.

# %%
net = load_or_train(ToyConfig(classes="A", num_layers=4, hidden_dim=64,
                              iters=train_iters))

# %% [markdown]
# We measure the relative score error at each noise level on points drawn from $p(x;\sigma)$:
# $\;e(\sigma) = \mathbb E\lVert s_\theta - s\rVert^2 / \mathbb E\lVert s\rVert^2$.

# %%
sigma_grid = torch.logspace(math.log10(sigma_min), math.log10(sigma_max), 13)
gen = torch.Generator().manual_seed(3)
rel_err = []
for s in sigma_grid.tolist():
    x = tree.sample(4096, s, generator=gen)
    exact, learned = tree.score(x, s), net.score(x, s)
    rel_err.append(float((learned - exact).square().sum(1).mean()
                         / exact.square().sum(1).mean()))

fig, (ax,) = plots.figure(5.0, 2.8)
plots.metric_curve(ax, sigma_grid, rel_err, logx=True, color=plots.COLORS["main"])
ax.set_yscale("log"), ax.set_xlabel("σ"), ax.set_ylabel("relative score error e(σ)")
ax.axvspan(math.exp(-2.3 - 1.5), math.exp(-2.3 + 1.5), color=plots.COLORS["truth"],
           alpha=0.12, label="training σ: ln σ within ±1 std")
_ = ax.legend()

# %%
Table(["σ", "relative score error"],
      [(f"{s:.3g}", f"{e:.2g}") for s, e in zip(sigma_grid.tolist(), rel_err)][::2])

# %% [markdown]
# The learned density next to the exact one, at a small and a moderate noise level
# (contours of $\log p$ over its top 8 nats):

# %%
fig, axes = plots.panels(4)
for i, s in enumerate((0.02, 0.2)):
    plots.tree_density(axes[2 * i], tree, s)
    axes[2 * i].set_title(f"exact p(x; σ={s})")
    plots.density(axes[2 * i + 1], net.logp, s, color=plots.COLORS["main"])
    axes[2 * i + 1].set_title(f"learned p(x; σ={s})")

# %% [markdown]
# ## The oracle ODE reproduces the data
#
# Before comparing samplers, a check of the whole pipeline: Heun's method on the probability-flow
# ODE with the *exact* denoiser, 32 steps on the Karras grid from $\sigma_\text{max}=5$, starting from
# the exact $p(x;\sigma_\text{max})$, should return samples indistinguishable from true ones. The
# floor of each metric is what fresh true samples score against the same reference.
#
# The metrics (all in `hgutils.metrics`): **mean log p** is the mean of $\log p_\text{data}$ over the
# samples (higher is better; an outlier far off the tree pulls it down hard);
# **outlier rate** is the share of samples below the log-density level that encloses 99% of the true
# mass (true samples: about 1%); **SW₂** is the sliced 2-Wasserstein distance to 8192 true samples
# (128 evenly spaced directions).

# %%
ref_sigmas = samplers.karras_sigmas(steps, sigma_min, sigma_max)
runs = {
    "true samples (floor)": experiments.true_vs_true(tree, reference, seed_list,
                                                     n_samples),
    f"oracle, Heun {steps} steps": experiments.evaluate(
        tree.denoise, tree, reference, ref_sigmas, "heun", seed_list, n_samples),
    f"network, Heun {steps} steps": experiments.evaluate(
        net.denoise, tree, reference, ref_sigmas, "heun", seed_list, n_samples),
}
summary = Table(["samples", "mean log p", "outlier rate", "SW₂"],
                title=f"mean ± std over {seeds} seeds, {n_samples} samples each")
for name, r in runs.items():
    summary.add(name, pm(r["mean_logp"], "{:.2f}"), pm(r["outlier_rate"], "{:.3f}"),
                pm(r["sw2"], "{:.4f}"))
summary

# %%
gen_oracle, traj = experiments.generate(tree.denoise, tree, n_samples, ref_sigmas,
                                        "heun", seed=0, return_trajectory=True)
gen_net = experiments.generate(net.denoise, tree, n_samples, ref_sigmas, "heun", seed=0)
fig, axes = plots.panels(4)
plots.tree_density(axes[0], tree); axes[0].set_title("ground truth p_data")
plots.samples(axes[1], gen_oracle); axes[1].set_title("oracle ODE samples")
plots.samples(axes[2], gen_net, color=plots.COLORS["main"])
axes[2].set_title("network ODE samples")
plots.tree_density(axes[3], tree, filled=False)
plots.trajectories(axes[3], traj, n=48)
_ = axes[3].set_title("oracle ODE trajectories")

# %% [markdown]
# ## Samplers at an equal number of network evaluations
#
# Each sampler gets the same budget of denoiser evaluations (NFE): Heun (EDM Algorithm 1) with
# $N$ steps spends $2N-1$; Euler on the ODE, DDPM's ancestral step and EDM's stochastic Heun
# (Algorithm 2, churn 10, which spends $2N-1$) take the rest of the budget as steps. All run on the
# Karras grid from the same start points (same seeds).

# %%
def sweep(denoiser):
    out = {}
    for name in ("heun", "euler", "ddpm", "heun_stochastic"):
        for nfe in nfe_list:
            n_steps = (nfe + 1) // 2 if name.startswith("heun") else nfe
            sig = samplers.karras_sigmas(n_steps, sigma_min, sigma_max)
            out[name, samplers.evaluations(name, n_steps)] = experiments.evaluate(
                denoiser, tree, reference, sig, name, seed_list, n_samples)
    return out

results = {"oracle": sweep(tree.denoise), "network": sweep(net.denoise)}

# %%
names = ("heun", "euler", "ddpm", "heun_stochastic")
fig, axes = plots.figure(8.0, 3.0, ncols=2)
for ax, metric, label in zip(axes, ("outlier_rate", "sw2"), ("outlier rate", "SW₂")):
    for (who, res), ls in zip(results.items(), ("--", "-")):
        for name, color in zip(names, plots.CYCLE):
            keys = sorted(k for k in res if k[0] == name)
            m = [mean_std(res[k][metric]) for k in keys]
            plots.metric_curve(ax, [k[1] for k in keys], [a for a, _ in m],
                               [b for _, b in m], color=color, logx=True, ls=ls)
    ax.set_xlabel("network evaluations (NFE)"), ax.set_title(label)
    ax.set_yscale("log")
plots.style_legend(axes[1], {"oracle": "--", "network": "-"},
                   dict(zip(names, plots.CYCLE)), fontsize=7)

# %%
nfe_table = Table(["sampler", "NFE", "outlier rate (oracle)", "outlier rate (network)",
                   "SW₂ (oracle)", "SW₂ (network)"],
                  title=f"mean ± std over {seeds} seeds")
for key in sorted(results["oracle"], key=lambda k: (k[0], k[1])):
    o, n = results["oracle"][key], results["network"][key]
    nfe_table.add(key[0], key[1], pm(o["outlier_rate"]), pm(n["outlier_rate"]),
                  pm(o["sw2"], "{:.4f}"), pm(n["sw2"], "{:.4f}"))
nfe_table

# %% [markdown]
# ## What the numbers say
#
# The cell below reads the measured numbers back; the discussion after it refers to them.

# %%
def mean_of(res, key, metric):
    return mean_std(res[key][metric])[0]

best_nfe = max(nfe_list)
hk = ("heun", samplers.evaluations("heun", (best_nfe + 1) // 2))
ek = ("euler", best_nfe)
lo, hi = rel_err[int(torch.tensor(rel_err).argmin())], rel_err[0]
print(f"score error: {min(rel_err):.1g} at its best "
      f"(σ ≈ {sigma_grid[int(torch.tensor(rel_err).argmin())]:.2g}), "
      f"{rel_err[0]:.2g} at σ = {sigma_min}")
print(f"oracle ODE, Heun {steps} steps: outlier rate "
      f"{mean_std(runs[f'oracle, Heun {steps} steps']['outlier_rate'])[0]:.3f} "
      f"vs {mean_std(runs['true samples (floor)']['outlier_rate'])[0]:.3f} "
      f"for true samples")
print(f"network, Heun {steps} steps: outlier rate "
      f"{mean_std(runs[f'network, Heun {steps} steps']['outlier_rate'])[0]:.3f}")
print(f"at ~{best_nfe} evaluations (oracle): Heun outliers "
      f"{mean_of(results['oracle'], hk, 'outlier_rate'):.3f}, "
      f"Euler {mean_of(results['oracle'], ek, 'outlier_rate'):.3f}")

# %% [markdown]
# **Tweedie holds.** At all six probes the oracle's $D(x;\sigma)$ matches the Monte Carlo posterior
# mean within the Monte Carlo standard error (largest difference 0.0009, with a standard error of 0.0009).
#
# **Where the network fails.** Its score is within a relative squared error of 0.0003–0.0007 for
# σ ≥ 0.37 and 0.005 at σ = 0.1, but the error grows fast below: 0.05 at σ = 0.027, 0.28 at 0.0074 and
# 0.9 at σ = 0.002. At small σ the score must resolve the thin branches, and training draws such σ
# rarely (ln σ ~ N(−2.3, 1.5²) puts 6% of draws below σ = 0.01).
#
# **The pipeline is exact.** The oracle ODE's samples cannot be told from true ones: 0.009 ± 0.001
# outliers and SW₂ 0.0114 ± 0.0011 against 0.009 ± 0.002 and 0.0115 ± 0.0026 for fresh true samples
# (mean log p 1.37 against 1.35). With the same sampler and start points the network gives 0.103 ± 0.006
# outliers and mean log p −0.12: those outliers are the network's, not the sampler's. Its SW₂ (0.0129) is
# barely above the floor, so the mass sits in the right places and one sample in ten lies just off a
# branch — the picture of the autoguidance paper's unguided model, and the target of guidance in the
# chapters to come. Compared with chapter 1's ε-network (3×128 units, 0.53–0.63 outliers), this smaller
# network (4×64) trained the EDM way lowers the floor about fivefold.
#
# **Samplers at equal cost.** With the exact denoiser, Heun's method is the best ODE solver from 31
# evaluations on (0.011 outliers at 31, 0.009 at 63, SW₂ at the floor) and Euler converges more slowly
# (0.017 and 0.012), but at 7 evaluations Heun's 4 steps fail outright (0.66 outliers, against Euler's
# 0.078 with 7 steps): a second-order method needs enough steps to be in its regime. DDPM's ancestral
# sampler has the *lowest* outlier rate at every budget (0.004–0.024) but a much larger SW₂ than Heun at
# 31–63 evaluations (0.034 and 0.020 against 0.014 and 0.011): its noisy steps pull samples onto the
# dense parts of the tree, trading coverage for fidelity. The outlier rate alone would call it the best
# sampler; the distance to the data says otherwise, which is why every later chapter reports both.
# With the network, the stochastic samplers also correct part of the network's own error: the DDPM
# sampler leaves 0.06–0.09 outliers against Heun's 0.10 at 63 evaluations, at the price of the same
# loss of coverage.
#
# ## Explore
#
# Move σ to see the exact density $p(x;\sigma)$ and its score field beside the learned ones (arrows
# show $\sigma\, s(x;\sigma)$, the denoising step divided by σ); pick a sampler and a number of steps to
# see its samples from the oracle or the network.

# %%
import ipywidgets as W

from hgutils import metrics
from hgutils.widgets import explore


def view_sigma(log10_sigma=-1.0):
    s = 10 ** log10_sigma
    fig, axes = plots.panels(2)
    plots.tree_density(axes[0], tree, s)
    plots.score_field(axes[0], tree.score, s, color=plots.COLORS["truth"])
    axes[0].set_title(f"exact, σ = {s:.3g}")
    plots.density(axes[1], net.logp, s, color=plots.COLORS["main"])
    plots.score_field(axes[1], net.score, s)
    axes[1].set_title(f"learned, σ = {s:.3g}")
    plots.plt.show()


explore(view_sigma, log10_sigma=W.FloatSlider(value=-1.0, min=-2.7, max=0.7, step=0.1,
                                              description="log10 σ"))

# %%
def view_sampler(sampler="heun", n_steps=16, model="network"):
    den = net.denoise if model == "network" else tree.denoise
    x = experiments.generate(den, tree, 2048,
                             samplers.karras_sigmas(n_steps, sigma_min, sigma_max),
                             sampler, seed=0)
    m = metrics.summarize(x, tree, reference)
    plots.sample_view(tree, x, f"{sampler}, {n_steps} steps, {model}\n"
                      f"outliers {m['outlier_rate']:.3f}, SW₂ {m['sw2']:.4f}",
                      size=plots.PANEL, color=plots.COLORS["main"], fontsize=9)
    plots.plt.show()


explore(view_sampler,
        sampler=W.Dropdown(options=["heun", "euler", "ddpm", "heun_stochastic"],
                           value="heun"),
        n_steps=W.IntSlider(value=16, min=1, max=64, description="steps"),
        model=W.Dropdown(options=["network", "oracle"], value="network"))

# %% [markdown]
# ## References
#
# The works cited here are listed on the [References](../book/references.md) page.
