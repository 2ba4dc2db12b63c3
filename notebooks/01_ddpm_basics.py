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
# # 1. DDPM basics
#
# **The question.** What does a denoising diffusion probabilistic model (DDPM) {cite}`ho2020ddpm`
# learn on a distribution whose density we know exactly, and how does the quality of its samples
# depend on the number of sampling steps?
#
# **The data.** Throughout the book the data is the 2D fractal tree of the autoguidance paper's toy
# example {cite}`karras2024autoguidance`: a mixture of 1016 thin Gaussians along the 127 branches of a
# random binary tree (class A; chapter 3 adds class B). Because it is a Gaussian mixture, its density
# convolved with any Gaussian noise is known in closed form, so every learned quantity below has
# an exact counterpart (`hgutils.toy`, evaluated in log space). This chapter needs nothing earlier.

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
steps = 1000                          # DDPM steps of the showcase figure (1..T)
steps_list = [10, 20, 50, 100, 250, 1000]   # step counts of the sweep (network)
oracle_steps_list = [10, 20, 50, 100, 250]  # the same for the exact oracle (slower)
n_samples = 2048                      # samples per run
seeds = 3                             # runs behind every mean ± std
T = 1000                              # diffusion length (Ho et al. 2020)
train_iters = 3000                    # iterations of the ε-model
t_power = 2.0                         # the test network's draw of t (1: uniform)
hypothesis_seeds = 3                  # training seeds of both networks of that test

# %% tags=["hide-input"]
from hgutils.params import check_float, check_int, check_int_list

T = check_int(T, "T", 2)
steps = check_int(steps, "steps", 1)
if steps > T:
    raise ValueError(f"steps must be <= T = {T}, got {steps}")
steps_list = check_int_list(steps_list, "steps_list", 1)
oracle_steps_list = check_int_list(oracle_steps_list, "oracle_steps_list", 1)
if max(steps_list + oracle_steps_list) > T:
    raise ValueError(f"steps_list and oracle_steps_list entries must be <= T = {T}")
n_samples = check_int(n_samples, "n_samples", 16)
seeds = check_int(seeds, "seeds", 1)
train_iters = check_int(train_iters, "train_iters", 1)
t_power = check_float(t_power, "t_power", 0, low_open=True)
if t_power == 1:
    raise ValueError("t_power must differ from 1 (1 is the uniform draw the test "
                     "network is compared with), got 1")
hypothesis_seeds = check_int(hypothesis_seeds, "hypothesis_seeds", 2)

# %% tags=["hide-input"]
import torch

from hgutils import experiments, plots, samplers, toy
from hgutils.nets import ddpm_alphas_cumprod
from hgutils.report import Table, mean_std, pm, say
from hgutils.train import DDPMConfig, ddpm_denoiser

torch.set_num_threads(2)
tree = toy.tree("A")
# true samples
reference = tree.sample(8192, generator=torch.Generator().manual_seed(12345))
seed_list = list(range(seeds))
abar = ddpm_alphas_cumprod(T)            # ᾱ_t, t = 1..T (linear β from 1e-4 to 0.02)
sigma_t = ((1 - abar) / abar).sqrt()     # the same noise in the σ-parameterization
say("sigma_T", sigma_t[-1], "{:.0f}")

# %% [markdown]
# ## The forward process
#
# DDPM destroys the data in $T$ small Gaussian steps with variances $\beta_t$ rising linearly from
# $10^{-4}$ to $0.02$. In closed form,
#
# $$
# x_t = \sqrt{\bar\alpha_t}\, y + \sqrt{1-\bar\alpha_t}\,\varepsilon, \qquad \bar\alpha_t = \prod_{s\le t}(1-\beta_s),
# \quad \varepsilon \sim \mathcal N(0, I).
# $$
#
# Dividing by $\sqrt{\bar\alpha_t}$ gives the form every later chapter uses {cite}`karras2022edm`:
# $x_t/\sqrt{\bar\alpha_t} = y + \sigma_t\,\varepsilon$ with $\sigma_t = \sqrt{(1-\bar\alpha_t)/\bar\alpha_t}$.
# Below, the tree at a few $t$, with the exact density of $x_t$ (contours) under the samples.

# %%
show_t = [1, 50, 150, 300, 600, T]
fig, axes = plots.panels(len(show_t), rows=2, size=2.4)
gen = torch.Generator().manual_seed(0)
for ax, t in zip(axes, show_t):
    a, s = float(abar[t - 1]), float(sigma_t[t - 1])
    x = tree.sample(2000, s, generator=gen) * a ** 0.5   # x_t in DDPM (VP) coordinates
    lim = (-3, 3, -3, 3) if s > 0.5 else plots.EXTENT
    plots.density(ax, lambda p, _: tree.logp(p / a ** 0.5, s), None, extent=lim)
    plots.samples(ax, x, extent=lim, size=0.6)
    ax.set_title(f"t = {t}, σ_t = {s:.3g}")

# %% [markdown]
# ## ε-prediction and the DDPM loss
#
# A network $\hat\varepsilon_\theta(x_t, t)$ is trained to predict the noise, with Ho et al.'s
# simplified loss
#
# $$
# L(\theta) = \mathbb E_{t \sim \mathcal U\{1..T\},\, y,\, \varepsilon}\,
# \lVert \hat\varepsilon_\theta(\sqrt{\bar\alpha_t}\,y + \sqrt{1-\bar\alpha_t}\,\varepsilon,\; t) - \varepsilon \rVert^2 .
# $$
#
# Its minimiser is the posterior mean $\varepsilon^*(x_t, t) = \mathbb E[\varepsilon \mid x_t]$, which
# for the tree we know exactly: with $x = x_t/\sqrt{\bar\alpha_t}$,
# $\varepsilon^* = (x - D(x;\sigma_t))/\sigma_t = -\sigma_t \nabla_x \log p(x;\sigma_t)$.
# So the loss splits into an irreducible part $\mathbb E\lVert\varepsilon - \varepsilon^*\rVert^2$ that no
# network can remove, and the network's own error $\mathbb E\lVert\hat\varepsilon_\theta - \varepsilon^*\rVert^2$.
# Our $\hat\varepsilon_\theta$ is a plain MLP (3 hidden layers of 128 units; the input is $x_t$ with
# Fourier features and a sinusoidal embedding of $t$), trained with that loss
# (`hgutils.train.DDPMConfig`) and cached on disk.

# %%
cfg = DDPMConfig(classes="A", T=T, iters=train_iters)
model = ddpm_denoiser(cfg)        # the ε-net, wrapped as D(x; σ) = x − σ ε̂

# %%
loss_t = [1, 3, 10, 30, 100, 300, 1000]
loss_t = [t for t in loss_t if t <= T]


def loss_rows(net):
    """(t, σ_t, irreducible loss, the network's excess) at each t of loss_t, 8192 draws
    each (the same draws for every network)."""
    gen = torch.Generator().manual_seed(1)
    out = []
    for t in loss_t:
        s = float(sigma_t[t - 1])
        y = tree.sample(8192, generator=gen)
        eps = torch.randn(8192, 2, generator=gen)
        x = y + s * eps                                  # = x_t / √ᾱ_t
        eps_star = (x - tree.denoise(x, s)) / s          # exact minimiser
        eps_hat = (x - net.denoise(x, s)) / s            # the network
        out.append((t, s, (eps - eps_star).square().sum(1).mean().item(),
                    (eps_hat - eps_star).square().sum(1).mean().item()))
    return out


rows = loss_rows(model)

fig, (ax,) = plots.figure(5.0, 2.8)
plots.metric_curve(ax, [r[0] for r in rows], [r[2] for r in rows],
                   label="irreducible E‖ε − ε*‖²", color=plots.COLORS["truth"],
                   logx=True)
plots.metric_curve(ax, [r[0] for r in rows], [r[3] for r in rows],
                   label="network error E‖ε̂ − ε*‖²", color=plots.COLORS["main"],
                   logx=True)
_ = (ax.set_yscale("log"), ax.set_xlabel("t"), ax.set_ylabel("squared error"),
     ax.legend())

# %%
Table(["t", "σ_t", "irreducible loss", "network's excess loss"],
      [(t, f"{s:.3g}", f"{a:.3f}", f"{b:.3f}") for t, s, a, b in rows])

# %% [markdown]
# ## Ancestral sampling
#
# Sampling runs the chain backwards (Ho et al., Algorithm 2). In the σ-parameterization, with
# $\hat y = D(x;\sigma_i)$ the network's denoised guess and $r = \sigma_{i+1}^2/\sigma_i^2$, one step draws
# from the Gaussian posterior of the less noisy state:
#
# $$
# x \leftarrow \hat y + r\,(x - \hat y) + \sigma_{i+1}\sqrt{1 - r}\; n, \qquad n \sim \mathcal N(0, I).
# $$
#
# Multiplied by $\sqrt{\bar\alpha_{t-1}}$ this is Ho et al.'s update with the posterior variance
# $\tilde\beta_t$. Fewer steps than $T$ use an evenly spaced subsequence of the timesteps, with the same
# posterior between the kept ones. Sampling starts from the exact $p(x;\sigma_T)$ (at
# $\sigma_T \approx$ {glue:text}`sigma_T` this is, to any precision we can see, the $\mathcal N(0, I)$ of the VP chain).

# %%
sig = samplers.ddpm_sigmas(steps, abar)
x_net = experiments.generate(model.denoise, tree, n_samples, sig, "ddpm", seed=0)
fig, axes = plots.panels(2)
plots.tree_density(axes[0], tree); axes[0].set_title("ground truth p_data")
plots.tree_density(axes[1], tree, filled=False)
plots.samples(axes[1], x_net, color=plots.COLORS["main"])
_ = axes[1].set_title(f"DDPM, {steps} ancestral steps")

# %% [markdown]
# ## How many steps?
#
# The metrics (defined in `hgutils.metrics`): **outlier rate**, the share of samples below the
# log-density level that encloses 99% of the true mass (true samples: about 1%); **SW₂**, the sliced
# 2-Wasserstein distance to 8192 true samples; **mean log p**, the mean of $\log p_\text{data}$ over the
# samples. The same sampler run with the *exact* denoiser separates the error of discretising the
# chain (the oracle's curve) from the error of the network (the gap between the curves).

# %%
floor = experiments.true_vs_true(tree, reference, seed_list, n_samples)
net_runs = {k: experiments.evaluate(model.denoise, tree, reference,
                                    samplers.ddpm_sigmas(k, abar), "ddpm", seed_list,
                                    n_samples)
            for k in steps_list}
oracle_runs = {k: experiments.evaluate(tree.denoise, tree, reference,
                                       samplers.ddpm_sigmas(k, abar), "ddpm", seed_list,
                                       n_samples)
               for k in oracle_steps_list}

# %%
fig, axes = plots.figure(9.0, 3.0, ncols=3)
for ax, metric, label in zip(axes, ("outlier_rate", "sw2", "mean_logp"),
                             ("outlier rate", "SW₂", "mean log p")):
    for runs, who, color in ((oracle_runs, "exact oracle", plots.COLORS["truth"]),
                             (net_runs, "network", plots.COLORS["main"])):
        ks = sorted(runs)
        m = [mean_std(runs[k][metric]) for k in ks]
        plots.metric_curve(ax, ks, [a for a, _ in m], [b for _, b in m], label=who,
                           color=color, logx=True)
    ax.axhline(mean_std(floor[metric])[0], color="k", lw=0.8, ls=":",
               label="true samples")
    ax.set_xlabel("DDPM steps"), ax.set_title(label)
_ = axes[0].set_yscale("log"), axes[0].legend()

# %%
tab = Table(["steps", "outlier rate (network)", "outlier rate (oracle)",
             "SW₂ (network)", "SW₂ (oracle)", "mean log p (network)"],
            title=f"mean ± std over {seeds} seeds, {n_samples} samples each")
for k in sorted(set(steps_list) | set(oracle_steps_list)):
    n, o = net_runs.get(k), oracle_runs.get(k)
    tab.add(k, pm(n["outlier_rate"]) if n else "–", pm(o["outlier_rate"]) if o else "–",
            pm(n["sw2"], "{:.4f}") if n else "–", pm(o["sw2"], "{:.4f}") if o else "–",
            pm(n["mean_logp"], "{:.2f}") if n else "–")
tab.add("true samples", pm(floor["outlier_rate"]), pm(floor["outlier_rate"]),
        pm(floor["sw2"], "{:.4f}"), pm(floor["sw2"], "{:.4f}"),
        pm(floor["mean_logp"], "{:.2f}"))
tab

# %% [markdown]
# ## What the numbers say
#
# The cell below reads the measured numbers back; the discussion after it refers to them.

# %%
o = lambda runs, k, m="outlier_rate": mean_std(runs[k][m])[0]
kmin, kmax, omax = min(steps_list), max(steps_list), max(oracle_steps_list)
omin = min(oracle_steps_list)
print(f"network: outlier rate {o(net_runs, kmin):.3f} at {kmin} steps "
      f"-> {o(net_runs, kmax):.3f} at {kmax} steps")
print(f"oracle:  outlier rate {o(oracle_runs, omin):.3f} at {omin} steps "
      f"-> {o(oracle_runs, omax):.3f} at {omax} steps "
      f"(true samples: {mean_std(floor['outlier_rate'])[0]:.3f})")
print(f"SW2 network at {kmax} steps: {o(net_runs, kmax, 'sw2'):.4f}; "
      f"true samples: {mean_std(floor['sw2'])[0]:.4f}")

# %% tags=["hide-input"]
def rel(a, b):
    """Seeds a against seeds b: 'below', 'above' or 'within the seed spread of'."""
    (ma, sa), (mb, sb) = mean_std(a), mean_std(b)
    if abs(ma - mb) <= 2 * (sa * sa + sb * sb) ** 0.5:
        return "within the seed spread of"
    return "below" if ma < mb else "above"


ok = sorted(oracle_steps_list)
omid = ok[len(ok) // 2]
for key, k in (("k_lo", omin), ("k_mid", omid), ("k_hi", omax), ("k_min", kmin),
               ("k_max", kmax)):
    say(key, str(k))
for key, k in (("orc_out_lo", omin), ("orc_out_mid", omid), ("orc_out_hi", omax)):
    say(key, o(oracle_runs, k))
say("orc_out_vs_true", rel(oracle_runs[omax]["outlier_rate"], floor["outlier_rate"]))
say("orc_sw_lo", o(oracle_runs, omin, "sw2"))
say("orc_sw_hi", o(oracle_runs, omax, "sw2"))
say("true_out", mean_std(floor["outlier_rate"])[0])
say("true_sw", mean_std(floor["sw2"])[0], "{:.4f}")
say("net_sw_lo", o(net_runs, kmin, "sw2"))
say("net_sw_hi", o(net_runs, kmax, "sw2"))
_ = say("net_sw_trend", "falls" if o(net_runs, kmax, "sw2") < o(net_runs, kmin, "sw2")
    else "does not fall")

# %% tags=["hide-input"]
# the network's SW₂ against the oracle's, at the step counts both were run with
both = sorted(set(steps_list) & set(oracle_steps_list))
words = [rel(net_runs[k]["sw2"], oracle_runs[k]["sw2"]) for k in both]
n_same = next((i for i, w in enumerate(words) if w != words[0]), len(words))
if not words:
    follow = "has no oracle run at the same step counts to compare with"
elif words[0].startswith("within"):
    follow = ("stays within the seed spread of the oracle's up to "
              f"{both[n_same - 1]} steps")
    if n_same < len(words) and set(words[n_same:]) == {"above"}:
        follow += f" and is above it from {both[n_same]} steps on"
else:
    follow = "is not within the seed spread of the oracle's even at the fewest steps"
say("net_sw_follow", follow)
net_out = {k: o(net_runs, k) for k in steps_list}
k_best = min(net_out, key=net_out.get)
say("net_out_min", min(net_out.values()), "{:.2f}")
say("net_out_max", max(net_out.values()), "{:.2f}")
_ = say("net_more_steps", f"more steps than {k_best} do not lower it" if k_best < kmax
    else "it is lowest at the most steps tried")

# %% tags=["hide-input"]
# the loss table: the network's excess against that of predicting ε̂ = 0
# (whose excess is E‖ε*‖² = 2 − irreducible)
t1, s1, irr1, exc1 = rows[0]
share1 = exc1 / (2 - irr1)
say("t_first", str(t1))
say("sigma_first", s1, "{:.2g}")
say("exc_first", exc1)
say("irr_first", irr1)
say("var_first", 2 - irr1)
say("exc_share", 100 * share1, "{:.0f}")
say("exc_first_word", "does no better than" if share1 >= 0.95 else
    "does only a little better than" if share1 >= 0.5 else "does clearly better than")
say("exc_large_t", max([b for t, _, _, b in rows if t >= 300] or [rows[-1][3]]))
# the largest t of the table where the network misses at least half of Var ε*
t_bad = max([t for t, _, a, b in rows if b >= 0.5 * (2 - a)] or [t1])
say("t_bad", str(t_bad))
_ = say("small_t_share", 100 * t_bad / T, "{:.1f}")

# %% [markdown]
# **Discretisation alone.** With the exact denoiser the ancestral sampler needs many steps: the
# outlier rate is {glue:text}`orc_out_lo` at {glue:text}`k_lo` steps, {glue:text}`orc_out_mid` at
# {glue:text}`k_mid` and {glue:text}`orc_out_hi` at {glue:text}`k_hi` — {glue:text}`orc_out_vs_true`
# that of true samples ({glue:text}`true_out`) — and SW₂ is {glue:text}`orc_sw_lo` at
# {glue:text}`k_lo` steps and {glue:text}`orc_sw_hi` at {glue:text}`k_hi`. Each ancestral step
# replaces the state by a draw around one denoised guess $\hat y$; with large steps that guess is a
# blurred average of several branches, and the draw around it lands between them.
#
# **The network.** The ε-network's samples have the right coarse shape — its SW₂
# {glue:text}`net_sw_trend` from {glue:text}`net_sw_lo` at {glue:text}`k_min` steps to
# {glue:text}`net_sw_hi` at {glue:text}`k_max` (true samples: {glue:text}`true_sw`) and
# {glue:text}`net_sw_follow` — but between {glue:text}`net_out_min` and {glue:text}`net_out_max` of
# them stay off the branches at every step count, and {glue:text}`net_more_steps`. The loss table
# shows where the network's error lies: at $t =$ {glue:text}`t_first`
# ($\sigma_t =$ {glue:text}`sigma_first`) its excess loss is {glue:text}`exc_first`,
# {glue:text}`exc_share`% of the error of always predicting $\hat\varepsilon = 0$, the average noise
# (that error is $\mathbb E\lVert\varepsilon^*\rVert^2$ = 2 − {glue:text}`irr_first` =
# {glue:text}`var_first`): at the smallest noise level the network {glue:text}`exc_first_word`
# predicting the average noise, while from $t = 300$ on its excess is at most
# {glue:text}`exc_large_t`. Why does it fail at small $t$? One hypothesis, tested in the next
# section: the uniform $t$ of the DDPM loss spends only {glue:text}`small_t_share`% of its draws on
# $t \le$ {glue:text}`t_bad` (the largest $t$ of the table where the network misses at least half of
# $\mathbb E\lVert\varepsilon^*\rVert^2$), and a small MLP may not learn that sharp a function from
# so few. Whatever the cause: the number of steps sets the discretisation error, and the
# network's error, largest at small $t$, sets a floor that no step count tried here removes.
# [Chapter 2](02_score_ode.ipynb) trains a different network (4×64, exact score regression with
# noise levels drawn log-normally around σ ≈ 0.1) and compares its floor with this one, with
# network, loss, parameterisation and sampler all changed at once.
#
# ## Testing the hypothesis: more draws at small $t$
#
# A test network is trained exactly like the chapter's ε-network (same architecture, iterations,
# batch and learning rate) except for the draw of $t$: $t = \lceil T u^p \rceil$ with
# $u \sim \mathcal U(0, 1]$ and $p =$ {glue:text}`hyp_p`, so that a share $(\tau/T)^{1/p}$ of its
# draws lands at $t \le \tau$. Both are trained with {glue:text}`hyp_n` training seeds each (the
# uniform one of seed 0 is the chapter's network); per training seed we measure the excess loss on the loss table's draws and sample with the ancestral sampler
# at {glue:text}`hyp_steps` steps from the same start noise ({glue:text}`hyp_sampling` sampling
# seeds of {glue:text}`hyp_nsamp` samples). The differences test − uniform are paired by training
# seed (95% t-interval).

# %%
from hgutils.runs import interval_text, t_interval, word

small_t = [t for t in loss_t if t <= t_bad]
large_t = [t for t in loss_t if t >= 300 and t > t_bad] or [loss_t[-1]]
sig_show = samplers.ddpm_sigmas(steps, abar)


def measure(p, seed):
    """Mean excess loss over small_t and over large_t, and sampling metrics of a net."""
    if p == 1 and seed == cfg.seed and steps in net_runs:
        net, runs = model, net_runs[steps]        # the chapter's network, already run
    else:
        net = ddpm_denoiser(DDPMConfig(classes="A", T=T, iters=train_iters, seed=seed,
                                       t_power=p))
        runs = experiments.evaluate(net.denoise, tree, reference, sig_show, "ddpm",
                                    seed_list, n_samples)
    exc = {t: b for t, _, _, b in loss_rows(net)}
    return {"small": sum(exc[t] for t in small_t) / len(small_t),
            "large": sum(exc[t] for t in large_t) / len(large_t),
            "outlier_rate": mean_std(runs["outlier_rate"])[0],
            "sw2": mean_std(runs["sw2"])[0]}


hyp = {p: [measure(p, s) for s in range(hypothesis_seeds)] for p in (1.0, t_power)}
diff = {m: t_interval([b[m] - a[m] for a, b in zip(hyp[1.0], hyp[t_power])])
        for m in hyp[1.0][0]}
share = {p: 100 * (t_bad / T) ** (1 / p) for p in (1.0, t_power)}   # P(t ≤ t_bad), %
share_large = {p: 100 - 100 * ((min(large_t) - 1) / T) ** (1 / p)  # P(t ≥ min(large_t))
               for p in (1.0, t_power)}
ts = lambda ts_: ", ".join(map(str, ts_))
hyp_tab = Table(["", "uniform t", f"p = {t_power:g}", "test − uniform [95% CI]", ""],
                title=f"mean ± std over {hypothesis_seeds} training seeds")
hyp_tab.add(f"draws at t ≤ {t_bad} (%)", f"{share[1.0]:.1f}", f"{share[t_power]:.1f}",
            f"{share[t_power] - share[1.0]:+.1f} (exact)".replace("-", "−"), "")
hyp_tab.add(f"draws at t ≥ {min(large_t)} (%)", f"{share_large[1.0]:.1f}",
            f"{share_large[t_power]:.1f}",
            f"{share_large[t_power] - share_large[1.0]:+.1f} (exact)".replace("-", "−"),
            "")
for m, label, fmt in (("small", f"excess loss, t = {ts(small_t)}", "{:.3f}"),
                      ("large", f"excess loss, t = {ts(large_t)}", "{:.4f}"),
                      ("outlier_rate", f"outlier rate, {steps} steps", "{:.3f}"),
                      ("sw2", f"SW₂, {steps} steps", "{:.4f}")):
    hyp_tab.add(label, *(pm([r[m] for r in hyp[p]], fmt) for p in (1.0, t_power)),
                interval_text(diff[m], fmt.replace("{:", "{:+")),
                word(diff[m], "lower", "higher"))
hyp_tab

# %% tags=["hide-input"]
def change(d):
    """'falls' / 'rises' on a resolved interval, else 'does not change resolvably'."""
    w = word(d, "falls", "rises")
    return "does not change resolvably" if w == "not resolved" else w


say("hyp_p", f"{t_power:g}")
say("hyp_n", str(hypothesis_seeds))
say("hyp_steps", str(steps))
say("hyp_sampling", str(len(seed_list)))
say("hyp_nsamp", str(n_samples))
say("hyp_share_u", share[1.0], "{:.1f}")
say("hyp_share_p", share[t_power], "{:.1f}")
say("hyp_share_dir", "rises" if share[t_power] > share[1.0] else "falls")
say("hyp_large_dir", "drops" if share_large[t_power] < share_large[1.0] else "rises")
say("hyp_large_t", str(min(large_t)))
say("hyp_large_u", share_large[1.0], "{:.0f}")
say("hyp_large_p", share_large[t_power], "{:.0f}")
for m, fmt in (("small", "{:+.3f}"), ("large", "{:+.4f}"), ("outlier_rate", "{:+.3f}"),
               ("sw2", "{:+.4f}")):
    say(f"hyp_{m}_ci", interval_text(diff[m], fmt))
    say(f"hyp_{m}_word", change(diff[m]))
say("hyp_small_p", mean_std([r["small"] for r in hyp[t_power]])[0])
say("hyp_out_p", mean_std([r["outlier_rate"] for r in hyp[t_power]])[0])
say("hyp_out_vs_true", rel([r["outlier_rate"] for r in hyp[t_power]],
                           floor["outlier_rate"]))
# the hypothesis: both fall with more small-t draws (p > 1), rise with fewer
expect = "falls" if t_power > 1 else "rises"
exc_ok, out_ok = (change(diff[m]) == expect for m in ("small", "outlier_rate"))
say("hyp_verdict", "supported" if exc_ok and out_ok else
    "partly supported" if exc_ok or out_ok else "not supported")
_ = say("hyp_verdict_why",
        f"the small-t excess and the outlier rate both {expect[:-1]}, resolved"
        if exc_ok and out_ok else
        f"only the small-t excess {expect}, resolved" if exc_ok else
        f"only the outlier rate {expect}, resolved" if out_ok else
        f"neither the small-t excess nor the outlier rate {expect[:-1]}s resolvably")

# %% [markdown]
# With $p =$ {glue:text}`hyp_p` the share of draws at $t \le$ {glue:text}`t_bad`
# {glue:text}`hyp_share_dir` from {glue:text}`hyp_share_u`% to {glue:text}`hyp_share_p`%. The test
# network's excess loss at those $t$ {glue:text}`hyp_small_word` (test − uniform
# {glue:text}`hyp_small_ci`), and its outlier rate at {glue:text}`hyp_steps` steps
# {glue:text}`hyp_outlier_rate_word` ({glue:text}`hyp_outlier_rate_ci`; SW₂
# {glue:text}`hyp_sw2_word`, {glue:text}`hyp_sw2_ci`). Over {glue:text}`hyp_n` training seeds the
# hypothesis is therefore **{glue:text}`hyp_verdict`** ({glue:text}`hyp_verdict_why`). More draws
# at one end mean fewer at the other: the share at $t \ge$ {glue:text}`hyp_large_t`
# {glue:text}`hyp_large_dir` from {glue:text}`hyp_large_u`% to {glue:text}`hyp_large_p`%, and the
# excess loss there {glue:text}`hyp_large_word` ({glue:text}`hyp_large_ci`). What remains: the
# test network's excess loss at $t \le$ {glue:text}`t_bad` (mean over the table's $t$) is
# {glue:text}`hyp_small_p`, and its outlier rate, {glue:text}`hyp_out_p`, is
# {glue:text}`hyp_out_vs_true` that of true samples ({glue:text}`true_out`).
#
# ## Explore
#
# Pick the number of ancestral steps and the denoiser (the network or the exact oracle) and see
# the samples and their metrics.

# %%
import ipywidgets as W

from hgutils import metrics
from hgutils.widgets import explore


def view(n_steps=50, denoiser="network"):
    den = model.denoise if denoiser == "network" else tree.denoise
    x = experiments.generate(den, tree, 2048, samplers.ddpm_sigmas(n_steps, abar),
                             "ddpm", seed=0)
    m = metrics.summarize(x, tree, reference)
    plots.sample_view(tree, x, f"{denoiser}, {n_steps} steps\n"
                      f"outliers {m['outlier_rate']:.3f}, SW₂ {m['sw2']:.4f}",
                      size=plots.PANEL, color=plots.COLORS["main"], fontsize=9)
    plots.plt.show()


explore(view, n_steps=W.IntSlider(value=50, min=1, max=T, description="steps"),
        denoiser=W.Dropdown(options=["network", "oracle"], value="network"),
        static=("n_steps", [n for n in (2, 5, 10, 20, 50, 100, 250, 1000) if n <= T]))

# %% [markdown]
# ## References
#
# The works cited here are listed on the [References](../book/references.md) page.
