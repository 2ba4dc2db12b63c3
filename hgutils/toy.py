"""The 2D fractal tree of Karras et al. (2024), with its exact, log-space ground truth.

Two classes, A and B. Each is a recursive binary tree of branches of depth 0..6
(127 branches per class); each branch is 8 Gaussian components spaced along it.
The construction follows the autoguidance paper's toy example draw for draw
(numpy ``RandomState(2)``, depth-first), so the distribution is the paper's.

Ground truth for any per-point noise level σ ≥ 0:

* Gaussian noise:  p(x; σ) = (p_data ∗ N(0, σ²I))(x) = Σ_k φ_k N(x; μ_k, Σ_k + σ²I)
* Student-t noise: p_ν(x; σ) = (p_data ∗ T_ν(0, σ²I))(x)
  = ∫ p(x; σ/√κ) Gamma(κ; ν/2, rate ν/2) dκ   (T_ν is a Gaussian scale mixture),
  evaluated by the trapezoid rule in ln κ on a grid that reaches the heavy tail (`kappa_rule`).

Everything is computed in log space (log-sum-exp), so log p and the score stay
finite at σ = 0.002 far from the tree, where exp(-quad/2) underflows to 0.
"""
from __future__ import annotations

import math
from dataclasses import dataclass
from functools import lru_cache

import numpy as np
import torch

from ._checks import check_int, check_nu, check_points, check_sigma

ORIGIN = np.array([0.0030, 0.0325])
SCALE = np.array([1.3136, 1.3844])
SEED = 2
DEPTHS = 7            # depth 0..6 → 2**7 - 1 = 127 branches per class
PER_BRANCH = 8        # components per branch, at t ∈ linspace(0.07, 0.93, 8)
CLASS_ANGLE = {"A": math.pi / 4, "B": 5 * math.pi / 4}
ALLOWED_CLASSES = ("A", "B", "AB")
LOG_2PI = math.log(2 * math.pi)
# Beyond log p < −FAR_LOGP the fast expansion in t loses its digits: those rows go term by term.
FAR_LOGP = {torch.float32: 1e6, torch.float16: 1e3, torch.bfloat16: 1e3, torch.float64: 1e12}


@dataclass(frozen=True)
class Branch:
    """One branch of the tree (in the unscaled coordinates of the construction)."""
    index: int        # position in build order (A's 127 branches first, then B's)
    cls: str          # "A" or "B"
    depth: int        # 0..6
    parent: int       # index of the parent branch, -1 for a root
    pos: tuple        # start point
    angle: float
    length: float


@lru_cache(maxsize=None)
def _build():
    """All branches and components of both classes, in the reference's draw order."""
    rnd = np.random.RandomState(SEED)
    branches, comps = [], []   # comps: (branch index, mu[2], Sigma[2,2], phi)

    def recurse(cls, depth, pos, angle, parent):
        if depth >= DEPTHS:
            return
        direction = np.array([np.cos(angle), np.sin(angle)])
        length = 0.292 * (0.8 ** depth) * (rnd.randn() * 0.2 + 1)
        thick = 0.2 * (0.8 ** depth) / length
        size = SCALE * length * 0.06                                   # [2]
        outer = np.outer(direction, direction)
        cov = (outer + (np.eye(2) - outer) * thick ** 2) * np.outer(size, size)
        index = len(branches)
        branches.append(Branch(index, cls, depth, parent, tuple(pos), float(angle), float(length)))
        for t in np.linspace(0.07, 0.93, PER_BRANCH):
            comps.append((index, (pos + direction * length * t) * SCALE, cov, length * 0.5 ** depth))
        for sign in (1, -1):
            child_angle = angle + sign * (0.7 ** depth) * (rnd.randn() * 0.2 + 1)
            recurse(cls, depth + 1, pos + direction * length, child_angle, index)

    for cls in ("A", "B"):
        recurse(cls, 0, ORIGIN, CLASS_ANGLE[cls], -1)
    return tuple(branches), tuple(comps)


def _genlaguerre_gamma(nu: float, n: int):
    """Nodes κ_m and weights ω_m with Σ ω_m f(κ_m) ≈ E[f(κ)], κ ~ Gamma(ν/2, rate ν/2).

    Golub–Welsch for the generalized Laguerre weight t^α e^{-t}, α = ν/2 − 1: the
    eigenvalues of the Jacobi matrix are the nodes and the squared first components
    of its eigenvectors are the weights, already normalised to a probability
    (no Γ(α+1) factor, so large ν does not overflow). Exact for polynomial f; used
    only for very large ν, where κ concentrates at 1.
    """
    alpha = nu / 2 - 1
    i = np.arange(n, dtype=np.float64)
    diag = 2 * i + alpha + 1
    off = np.sqrt(i[1:] * (i[1:] + alpha))
    jac = np.diag(diag) + np.diag(off, 1) + np.diag(off, -1)
    t, vec = np.linalg.eigh(jac)
    w = np.maximum(vec[0] ** 2, 1e-300)
    return t * 2 / nu, np.log(w / w.sum())


MAX_KAPPA_NODES = 256
NU_LAGUERRE = 1e3     # from here on κ is so close to 1 that Gauss–Laguerre (64 nodes) is used
KAPPA_TAIL = 14.0     # the grid reaches e^{-KAPPA_TAIL} below each point's integrand peak
KAPPA_STEP = 1.0      # step in ln κ: KAPPA_STEP / √(a+1), at most 0.65
KAPPA_TOP = 1e-8      # the grid ends at the Gamma's 1 − KAPPA_TOP quantile


def kappa_grid(nu: float):
    """The parts of the κ rule shared by all points: (a, u_hi, du, span) with a = ν/2.

    f(κ) = p(x; σ/√κ) is smooth in u = ln κ, so the trapezoid rule in u is spectrally accurate
    for ∫ Gamma(e^u) e^u f(e^u) du, log Gamma(e^u)e^u = a ln a − ln Γ(a) + a u − a e^u. Below its
    peak the integrand decays like e^{(a+1)u} (near u = 0 like a Gaussian of width 1/√(a+1)), so
    each point's grid starts `span` below its own peak bound (a relative error below
    e^{-KAPPA_TAIL}) and ends at the Gamma's 1 − KAPPA_TOP quantile, with step
    du = min(0.65, KAPPA_STEP/√(a+1)) (the peak's width is about 1/√(a+1)). These tolerances match
    float32: log p within 1e-4 and the score within 1e-4 of its scale against a grid with e^{-25}
    tails and 1.75× finer steps (`tests/test_heavy_tail.py`)."""
    from scipy.special import gammaincinv

    a = nu / 2
    u_hi = math.log(max(float(gammaincinv(a, 1 - KAPPA_TOP)), 1e-300) / a)
    span = max(KAPPA_TAIL / (a + 1), 0.32 * KAPPA_TAIL / math.sqrt(a + 1))
    du = min(0.65, KAPPA_STEP / math.sqrt(a + 1))
    return a, u_hi, du, span


def _gamma_logw(a: float, u: torch.Tensor) -> torch.Tensor:
    """Trapezoid log-weights of Gamma(a, rate a) on equispaced nodes u = ln κ [M, N] (per column).

    Not renormalised over the grid: the Gamma's own mass below the grid decays only like e^{a u},
    but the integrand Gamma·p(x; σ/√κ) like e^{(a+1)u}, so the exact weights lose only the latter."""
    du = (u[-1] - u[0]) / (u.shape[0] - 1)                                      # [N]
    return a * math.log(a) - math.lgamma(a) + a * u - a * u.exp() + du.log()[None]


class Tree(torch.nn.Module):
    """A mixture of Gaussians on the tree; `classes` is "A", "B" or "AB".

    Components are grouped by branch: the 8 components of a branch share one
    covariance Σ_b = Q_b diag(L_b) Q_bᵀ, so the mixture is evaluated in each
    branch's eigenbasis without materialising any [N, K, 2, 2] tensor.
    """

    def __init__(self, classes: str = "A"):
        super().__init__()
        if classes not in ALLOWED_CLASSES:
            raise ValueError(f"classes must be one of {ALLOWED_CLASSES}, got {classes!r}")
        self.classes = classes
        all_branches, all_comps = _build()
        self.branches = [b for b in all_branches if b.cls in classes]
        keep = {b.index for b in self.branches}
        comps = [c for c in all_comps if c[0] in keep]
        B = len(self.branches)
        mu = np.array([c[1] for c in comps]).reshape(B, PER_BRANCH, 2)          # [B, 8, 2]
        cov = np.array([c[2] for c in comps]).reshape(B, PER_BRANCH, 2, 2)[:, 0]  # [B, 2, 2]
        phi = np.array([c[3] for c in comps])
        L, Q = np.linalg.eigh(cov)                                              # [B, 2], [B, 2, 2]
        # The 8 means of a branch lie on a line: μ_t = c_b + (t − ½)·δ_b, t ∈ linspace(0.07, 0.93, 8).
        tt = np.linspace(0.07, 0.93, PER_BRANCH) - 0.5                          # [8]
        center = mu.mean(1)                                                     # c_b: [B, 2]
        delta = (mu[:, -1] - mu[:, 0]) / (tt[-1] - tt[0])                       # δ_b: [B, 2]
        assert np.allclose(center[:, None] + tt[None, :, None] * delta[:, None], mu, atol=1e-12)
        log_phi = np.log(phi / phi.sum())
        f64 = dict(dtype=torch.float64)
        self.register_buffer("mu", torch.tensor(mu.reshape(-1, 2), **f64))         # [K, 2]
        self.register_buffer("cov", torch.tensor(np.repeat(cov, PER_BRANCH, 0), **f64))  # [K, 2, 2]
        self.register_buffer("log_phi", torch.tensor(log_phi, **f64))             # [K]
        self.register_buffer("branch_of", torch.arange(B).repeat_interleave(PER_BRANCH))  # [K]
        self.register_buffer("Q", torch.tensor(Q, **f64))                          # [B, 2, 2] (columns: eigenvectors)
        self.register_buffer("L", torch.tensor(L, **f64))                          # [B, 2] eigenvalues
        # In each branch's eigenbasis: Qᵀc_b and Qᵀδ_b; the branch's log-weight (all 8 share φ).
        self.register_buffer("_qc", torch.tensor(np.einsum("bji,bj->bi", Q, center), **f64))   # [B, 2]
        self.register_buffer("_qd", torch.tensor(np.einsum("bji,bj->bi", Q, delta), **f64))    # [B, 2]
        self.register_buffer("_lphi", torch.tensor(log_phi.reshape(B, PER_BRANCH)[:, 0] - LOG_2PI, **f64))  # [B]
        self.register_buffer("_tt", torch.tensor(tt, **f64))                       # [8]
        self._cache = {}

    # ------------------------------------------------------------------ helpers
    @property
    def n_components(self) -> int:
        return self.mu.shape[0]

    def _consts(self, x):
        """Buffers cast to x's dtype and device (cached per dtype/device)."""
        key = (x.dtype, x.device)
        if key not in self._cache:
            B = self.Q.shape[0]
            tt = self._tt
            self._cache[key] = {k: v.to(dtype=x.dtype, device=x.device).contiguous() for k, v in dict(
                Qrows=self.Q.transpose(1, 2).reshape(2 * B, 2),                 # row (b, i) = q_biᵀ: [2B, 2]
                qc=self._qc, qd=self._qd, L=self.L, lphi=self._lphi, tt=tt,
                T=torch.stack([torch.ones_like(tt), tt, -0.5 * tt * tt], 1),   # [8, 3]
                T2=torch.stack([torch.ones_like(tt), tt], 0),                   # [2, 8]
            ).items()}
        return self._cache[key]

    def _branch_terms(self, x, s2):
        """Per branch b and point n, log N(x; μ_bt, Σ_b + σ²I) = F0 + t·F1 − ½t²·F2 (t centred).

        In branch b's eigenbasis, with u = Qᵀx − Qᵀc_b, λ = L_b + σ², d = Qᵀδ_b:
        F0 = log φ_b − log 2π − ½ Σ_j (log λ_j + u_j²/λ_j),  F1 = Σ_j u_j d_j/λ_j,  F2 = Σ_j d_j²/λ_j.
        Shapes: u, λ: [B, 2, N]; F: [B, 3, N].
        """
        P = self._consts(x)
        B, n = P["L"].shape[0], x.shape[0]
        u = (P["Qrows"] @ x.T).view(B, 2, n) - P["qc"][:, :, None]             # [B, 2, N]
        lam = P["L"][:, :, None] + s2[None, None, :]                            # [B, 2, N]
        iv = lam.reciprocal()
        ivu = iv * u
        d = P["qd"][:, :, None]                                                 # [B, 2, 1]
        F0 = P["lphi"][:, None] - 0.5 * ((lam[:, 0] * lam[:, 1]).log() + (ivu * u).sum(1))  # [B, N]
        F1 = (ivu * d).sum(1)                                                   # [B, N]
        F2 = (iv * d * d).sum(1)                                                # [B, N]
        return u, iv, F0, F1, F2, P

    def _gauss(self, x, s2, want_score: bool):
        """log p(x; σ) and optionally the score, for σ² = s2 per point. x: [N, 2], s2: [N].

        Log-sum-exp over the K = 8B components with the shift m = max_b max_t (continuous
        in t, so every exponent is ≤ 0 and the largest is within ~1 nat of 0).
        """
        u, iv, F0, F1, F2, P = self._branch_terms(x, s2)
        tt = P["tt"]
        tstar = (F1 / F2).clamp(float(tt[0]), float(tt[-1]))                   # argmax over t: [B, N]
        mx = (F0 + tstar * F1 - 0.5 * tstar * tstar * F2).amax(0)               # [N]
        B, n = F0.shape
        F = torch.stack([F0 - mx, F1, F2], 0).view(3, B * n)                    # [3, B·N]
        e = (P["T"] @ F).clamp_(min=-80.0).exp_()                               # exp(log w_bt − m): [8, B·N]
        S = e.view(-1, n).sum(0)                                                # [N]
        logp = mx + S.log()
        score = None
        if want_score:
            WT = (P["T2"] @ e).view(2, B, n) / S                                # Σ_t w, Σ_t t·w: [2, B, N]
            z = iv * (WT[0][:, None] * u - WT[1][:, None] * P["qd"][:, :, None])  # Σ_t w_t (Σ_b+σ²I)⁻¹(x−μ_t)
            score = -(P["Qrows"].T @ z.reshape(-1, x.shape[0])).T               # [N, 2]
        # Far from the tree F0, F1, F2 are huge and the expansion in t cancels catastrophically
        # (float32: log p = +inf and a NaN score beyond |x| ≈ 10³ at σ = 0.002): those rows are
        # recomputed term by term in float64 and saturate at the dtype's largest finite value.
        far = ~(mx > -FAR_LOGP.get(x.dtype, 1e3))
        if far.any():
            lp_far, sc_far = self._gauss_direct(x[far].double(), s2[far].double(), want_score)
            big = torch.finfo(x.dtype).max
            logp = logp.masked_scatter(far, lp_far.clamp(-big, big).to(x.dtype))
            if want_score:
                sc_far = sc_far.nan_to_num(0.0, big, -big).clamp(-big, big).to(x.dtype)
                score = score.masked_scatter(far[:, None].expand_as(score), sc_far)
        return logp, score

    def _gauss_direct(self, x, s2, want_score: bool):
        """`_gauss` without the expansion in t, for points far from the tree (x: float64).

        Every exponent log φ − ½ log|Σ_b + σ²I| − ½ Σ_j (u_j − t d_j)²/λ_j is formed directly, so
        nothing cancels; exact in float64 for |x| < 10¹⁵⁰. Shapes: r: [B, 8, 2, N]."""
        P = self._consts(x)
        B, n = P["L"].shape[0], x.shape[0]
        u = (P["Qrows"] @ x.T).view(B, 2, n) - P["qc"][:, :, None]             # [B, 2, N]
        lam = P["L"][:, :, None] + s2[None, None, :]                            # [B, 2, N]
        r = u[:, None] - P["tt"][None, :, None, None] * P["qd"][:, None, :, None]  # [B, 8, 2, N]
        rl = r / lam[:, None]
        expo = P["lphi"][:, None, None] - 0.5 * ((lam[:, 0] * lam[:, 1]).log()[:, None]
                                                 + (rl * r).sum(2))             # [B, 8, N]
        logp = torch.logsumexp(expo.reshape(-1, n), 0)
        if not want_score:
            return logp, None
        wgt = torch.softmax(expo.reshape(-1, n), 0).view(B, PER_BRANCH, 1, n)
        z = (wgt * rl).sum(1)                                                   # [B, 2, N]
        return logp, -(P["Qrows"].T @ z.reshape(-1, n)).T

    def _eval(self, x, sigma, nu, want_score, chunk=8192):
        x = check_points(x)
        s = check_sigma(sigma, x.shape[0], device=x.device, dtype=x.dtype)
        nu = check_nu(nu)
        if math.isinf(nu):
            outs = [self._gauss(xc, sc * sc, want_score) for xc, sc in zip(x.split(chunk), s.split(chunk))]
            logp = torch.cat([o[0] for o in outs])
            return logp, (torch.cat([o[1] for o in outs]) if want_score else None)
        return self._student(x, s, nu, want_score, chunk)

    def _u_low(self, x, s, a, span):
        """Per point, where its grid in u = ln κ starts: [N] (float64).

        Component k alone peaks at κ_k ≥ (a+1)·2σ²/(d_k² + 2aσ² + 2ℓ) (d_k: distance to its mean,
        ℓ: the largest component variance) and weighs about c_k = φ_k (1 + d_k²/(2aσ² + 2ℓ))^{-(a+1)}
        (the t-kernel's tail). The grid reaches `span` below the peak of the heaviest component
        and, for a lighter one, a span shortened by its deficit ln(c_k/c_max) in units of
        KAPPA_TAIL; a component lighter by more than e^{-KAPPA_TAIL} needs none. Per point, so no
        row depends on another."""
        with torch.no_grad():                                     # a bound: float32 is plenty
            d2 = torch.cdist(x.detach().float(), self.mu.float()).square_().nan_to_num_(1e37, 1e37)
            s2 = s.detach().float().square().clamp(min=1e-12)[:, None]
            scale = 2 * a * s2 + 2 * float(self.L.max())
            t = d2.div_(scale).log1p_().clamp_(max=100.0)          # ln(1 + d²/scale), ≤ 89 if finite
            logc = self.log_phi.float()[None] - (a + 1) * t
            rel = logc.sub_(logc.amax(1, keepdim=True)).div_(KAPPA_TAIL).add_(1)   # 1 .. −∞
            # u_k − span·rel, with u_k = ln((a+1)·2σ²/scale) − t
            need = t.add_(rel, alpha=span).neg_().add_(((a + 1) * 2 * s2 / scale).log())
            need[rel <= 0] = math.inf
            return need.amin(1).double()

    def _student(self, x, s, nu, want_score, chunk):
        """log p_ν and score as a κ-mixture of Gaussian-noise terms, p_ν = Σ_m w_m p(x; σ/√κ_m),
        on each point's own grid in ln κ (so a point's value never depends on the other rows).
        Points are grouped by the number of nodes their grid needs (a multiple of 4)."""
        a, u_hi, du, span = kappa_grid(nu)
        u_lo = self._u_low(x, s, a, span).clamp(max=u_hi - span)                # [N]
        # nodes per point, a multiple of 4; beyond MAX_KAPPA_NODES (points ~10⁵⁰ σ away) the step
        # stretches instead, so no point is left out
        m = (((u_hi - u_lo) / du).ceil().long() + 1).clamp(max=MAX_KAPPA_NODES)
        m = ((m + 3) // 4) * 4
        logp = torch.empty(len(x), dtype=x.dtype, device=x.device)
        score = torch.empty_like(x) if want_score else None
        for M in m.unique().tolist():
            idx = (m == M).nonzero().squeeze(1)
            if nu >= NU_LAGUERRE:          # κ ≈ 1 (std √(2/ν) ≤ 0.045): Gauss–Laguerre, 64 nodes
                kappa, log_w = (torch.tensor(v, dtype=torch.float64)[:, None].expand(-1, len(idx))
                                for v in _genlaguerre_gamma(nu, 64))
            else:
                lo = u_lo[idx]
                u = lo[None] + (u_hi - lo)[None] * torch.linspace(0, 1, M, dtype=torch.float64)[:, None]
                kappa, log_w = u.exp(), _gamma_logw(a, u)
            lp, sc = self._mixture(x[idx], s[idx], kappa, log_w, want_score, chunk)
            logp[idx] = lp
            if want_score:
                score[idx] = sc
        return logp, score

    def _mixture(self, x, s, kappa, log_w, want_score, chunk):
        """Σ_m w_mn p(x_n; σ_n/√κ_mn) for nodes κ [M, N] and log-weights [M, N] (float64)."""
        M, n = kappa.shape
        step = max(1, chunk // M)                                               # points per chunk × M nodes
        lps, scs = [], []
        for i in range(0, n, step):
            xc, sc = x[i:i + step], s[i:i + step]
            k = kappa[:, i:i + step].to(x.dtype)
            lw = log_w[:, i:i + step].to(x.dtype)
            nc = len(xc)
            s2 = (sc[None, :] ** 2 / k).reshape(-1)                                # σ²/κ_m per point
            logp_m, score_m = self._gauss(xc.repeat(M, 1), s2, want_score)
            logp_m = logp_m.view(M, nc) + lw                                      # [M, n]
            lps.append(torch.logsumexp(logp_m, 0))
            if want_score:
                r = torch.softmax(logp_m, 0)                                      # posterior over κ
                scs.append((r[..., None] * score_m.view(M, nc, 2)).sum(0))
        return torch.cat(lps), (torch.cat(scs) if want_score else None)

    # ------------------------------------------------------------------ public API
    def logp(self, x, sigma=0.0, nu=math.inf):
        """log p(x; σ): log density of p_data ∗ N(0, σ²I) (or ∗ T_ν(0, σ²I)). x: [N, 2] → [N]."""
        return self._eval(x, sigma, nu, want_score=False)[0]

    def score(self, x, sigma=0.0, nu=math.inf):
        """∇ₓ log p(x; σ) (Gaussian, or Student-t noise with ν degrees of freedom). x: [N, 2] → [N, 2]."""
        return self._eval(x, sigma, nu, want_score=True)[1]

    def logp_and_score(self, x, sigma=0.0, nu=math.inf):
        """Both at once (one pass): ([N], [N, 2])."""
        return self._eval(x, sigma, nu, want_score=True)

    def denoise(self, x, sigma):
        """The exact denoiser D(x; σ) = x + σ² ∇ₓ log p(x; σ) = E[y | x] (Tweedie)."""
        x = check_points(x)
        s = check_sigma(sigma, x.shape[0], device=x.device, dtype=x.dtype)
        return x + (s * s)[:, None] * self.score(x, s)

    def sample(self, n, sigma=0.0, nu=math.inf, generator=None, return_branch=False):
        """n draws of x = y + σ·noise, y ~ p_data, noise ~ N(0, I) (or Student-t with ν dof).

        sigma: a float or an [n] tensor. Deterministic for a given torch.Generator.
        With return_branch, also the index (into `self.branches`) of each draw's branch.
        """
        n = check_int(n, "n", 1)
        nu = check_nu(nu)
        s = check_sigma(sigma, n, dtype=torch.float64)
        k = torch.multinomial(self.log_phi.exp(), n, replacement=True, generator=generator)  # [n]
        b = self.branch_of[k]
        z = torch.randn(n, 2, generator=generator, dtype=torch.float64)
        y = self.mu[k] + torch.einsum("nij,nj->ni", self.Q[b], self.L[b].sqrt() * z)  # μ + Q √L z
        noise = torch.randn(n, 2, generator=generator, dtype=torch.float64)
        if not math.isinf(nu):
            from scipy.special import gammaincinv
            u = torch.rand(n, generator=generator, dtype=torch.float64).clamp(1e-12, 1 - 1e-12)
            kappa = torch.from_numpy(gammaincinv(nu / 2, u.numpy()) * 2 / nu)
            noise = noise / kappa.sqrt()[:, None]
        x = (y + s[:, None] * noise).float()
        return (x, b) if return_branch else x

    def branch_depth(self) -> torch.Tensor:
        """Depth (0..6) of each branch in `self.branches`: [B]."""
        return torch.tensor([br.depth for br in self.branches])

    def branch_logp(self, x, sigma=0.0):
        """Per-branch log joint log Σ_{t∈b} φ_t N(x; μ_t, Σ_b + σ²I): [N, B]. For attributing points to branches."""
        x = check_points(x)
        s = check_sigma(sigma, x.shape[0], device=x.device, dtype=x.dtype)
        _, _, F0, F1, F2, P = self._branch_terms(x, s * s)
        return torch.logsumexp(torch.matmul(P["T"], torch.stack([F0, F1, F2], 1)), 1).T  # [B,8,N] → [N, B]

    def __repr__(self):
        return f"Tree(classes={self.classes!r}, branches={len(self.branches)}, components={self.n_components})"


class StudentT:
    """The tree under Student-t noise with ν degrees of freedom: p_ν(x; σ) = (p_data ∗ T_ν(0, σ²I))(x).

    The same questions as every model (``logp``, ``score``, ``denoise``, ``sample``) with ν fixed,
    so it can stand wherever a denoiser or a guide is expected; ν = math.inf is the Gaussian tree.
    Each call evaluates 30–90 Gaussian mixtures (one per κ node of `kappa_rule`): it is exact, not cheap.
    """

    def __init__(self, tree: Tree, nu: float):
        if not isinstance(tree, Tree):
            raise ValueError(f"tree must be a toy.Tree, got {type(tree).__name__}")
        self.tree, self.nu = tree, check_nu(nu)

    def logp(self, x, sigma=0.0):
        return self.tree.logp(x, sigma, self.nu)

    def score(self, x, sigma=0.0):
        return self.tree.score(x, sigma, self.nu)

    def denoise(self, x, sigma):
        """x + σ²·∇ log p_ν(x; σ) (for Student-t noise this is not E[y | x]: it is the denoiser that
        guidance, which works with scores, implies)."""
        x = check_points(x)
        s = check_sigma(sigma, x.shape[0], device=x.device, dtype=x.dtype)
        return x + (s * s)[:, None] * self.score(x, s)

    __call__ = denoise

    def sample(self, n, sigma=0.0, generator=None):
        return self.tree.sample(n, sigma, self.nu, generator)

    def __repr__(self):
        return f"StudentT({self.tree!r}, nu={self.nu:g})"


@lru_cache(maxsize=None)
def tree(classes: str = "A") -> Tree:
    """The tree distribution for `classes` ∈ {"A", "B", "AB"} (cached; weights normalised over the classes)."""
    if classes not in ALLOWED_CLASSES:
        raise ValueError(f"classes must be one of {ALLOWED_CLASSES}, got {classes!r}")
    return Tree(classes)


def dense_logp_and_score(t: Tree, x, sigma):
    """The straightforward dense formulation, for benchmarks and tests only.

    Materialises every [N, K, 2] and [N, K, 2, 2] intermediate through einsum:
    (Σ_k + σ²I)⁻¹ per point and component, then log-sum-exp over components.
    """
    x = check_points(x)
    s = check_sigma(sigma, x.shape[0], device=x.device, dtype=x.dtype)
    mu, cov, log_phi = (v.to(x.dtype) for v in (t.mu, t.cov, t.log_phi))
    eye = torch.eye(2, dtype=x.dtype)
    C = cov[None] + (s * s)[:, None, None, None] * eye                         # [N, K, 2, 2]
    Cinv = torch.linalg.inv(C)                                                 # [N, K, 2, 2]
    d = x[:, None, :] - mu[None]                                               # [N, K, 2]
    z = torch.einsum("nkij,nkj->nki", Cinv, d)                                 # [N, K, 2]
    quad = torch.einsum("nki,nki->nk", d, z)                                   # [N, K]
    logw = log_phi - LOG_2PI - 0.5 * torch.logdet(C) - 0.5 * quad              # [N, K]
    logp = torch.logsumexp(logw, -1)
    w = torch.softmax(logw, -1)
    return logp, -torch.einsum("nk,nki->ni", w, z)


def fine_student_logp_and_score(t: Tree, x, sigma, nu: float):
    """The Student-t mixture on one wide, fine grid in ln κ, in float64: the accuracy reference of
    the per-point rule, for benchmarks and tests only (u from −40 to the Gamma's 1 − 1e-15
    quantile, step 0.25/√(a+1), exact trapezoid weights)."""
    from scipy.special import gammaincinv

    x = check_points(x).double()
    s = check_sigma(sigma, x.shape[0], dtype=torch.float64)
    a = check_nu(nu) / 2
    u = torch.arange(-40.0, math.log(gammaincinv(a, 1 - 1e-15) / a), 0.25 / math.sqrt(a + 1),
                     dtype=torch.float64)
    logw = a * math.log(a) - math.lgamma(a) + a * u - a * u.exp() + math.log(float(u[1] - u[0]))
    n = len(x)
    return t._mixture(x, s, u.exp()[:, None].expand(-1, n), logw[:, None].expand(-1, n), True, 8192)
