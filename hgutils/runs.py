"""A runs table: measured metrics keyed by named settings, over training seeds × sampling seeds.

Every run of a setting is one (training seed, sampling seed) pair: the networks of that training
seed (`experiments.Networks`), started from the noise of that sampling seed. Two settings measured
in the same `Runs` share both, so their difference can be taken pair by pair.

    runs = Runs(S, n=2048, sampling_seeds=[100, 101], training_seeds=[0, 1, 2])
    runs.run("autoguidance, w = 2", lambda nets: GuidedDenoiser(nets.main, nets.autoguide, 2))
    runs.mean("autoguidance, w = 2", "outlier_rate")
    runs.paired("a", "b", "outlier_rate")      # (mean, low, high) of a − b, 95% interval

The interval of a paired difference is over training seeds: the differences of one training seed
are averaged over its sampling seeds, and the 95% t-interval is taken over those per-seed means
(n_train − 1 degrees of freedom). The training seeds are the independent units — runs of one
network share its errors — so this interval covers the luck of training as well as of sampling.
With a single training seed it falls back to the sampling seeds (and says so in `unit`).

Rows measured elsewhere (a chapter's sweep on training seed 0) are copied instead of sampled
again when they are runs of the table: `Measured` says which n, sampling seeds and σ grid they
are, and `Runs.run(..., given={0: rows})` copies them only when those match.
"""
from __future__ import annotations

import math

import numpy as np
from scipy import stats

from ._checks import check_int
from .report import Table


class Measured(dict):
    """{metric: [value per sampling seed]} of one denoiser, with what makes them runs of a
    `Runs` table: `n` samples per run, the sampling `seeds`, and the σ grid `sigmas` (None:
    the setup's own)."""

    def __init__(self, values, n: int, seeds, sigmas=None):
        super().__init__(values)
        self.n = check_int(n, "n", 1)
        self.seeds = [check_int(s, "seeds[i]", 0) for s in seeds]
        self.sigmas = sigmas
        bad = [k for k, v in self.items() if len(v) != len(self.seeds)]
        if bad:
            raise ValueError(f"values must hold one value per sampling seed "
                             f"({len(self.seeds)}) for every metric; {bad[0]!r} has "
                             f"{len(self[bad[0]])}")

    def rows_for(self, n: int, seeds, sigmas=None):
        """{metric: [value per seed of `seeds`]} when these are the runs of n samples on every
        seed of `seeds` with the σ grid `sigmas`; None when they are not."""
        same_grid = (self.sigmas is None) == (sigmas is None) and (
            sigmas is None or np.array_equal(np.asarray(self.sigmas), np.asarray(sigmas)))
        if n != self.n or not same_grid or not set(seeds) <= set(self.seeds):
            return None
        at = [self.seeds.index(s) for s in seeds]
        return {k: [v[i] for i in at] for k, v in self.items()}


def t_interval(values, level: float = 0.95) -> tuple[float, float, float]:
    """(mean, low, high): the `level` t-interval of the mean of `values` (at least two)."""
    v = np.asarray(values, dtype=float)
    if v.size < 2:
        raise ValueError(f"a t-interval needs at least two values, got {v.size}")
    mu, sd = float(v.mean()), float(v.std(ddof=1))
    h = float(stats.t.ppf(0.5 + level / 2, v.size - 1)) * sd / math.sqrt(v.size)
    return mu, mu - h, mu + h


class Runs:
    """{setting key: {metric: array [training seeds, sampling seeds]}} with the same seeds for all."""

    def __init__(self, setup, n: int, sampling_seeds, training_seeds=None):
        self.setup = setup
        self.n = check_int(n, "n", 16)
        self.sampling_seeds = [check_int(s, "sampling_seeds[i]", 0) for s in sampling_seeds]
        if not self.sampling_seeds:
            raise ValueError("sampling_seeds must hold at least one seed")
        nets = setup.nets if training_seeds is None else [setup.networks(s) for s in training_seeds]
        if not nets:
            raise ValueError("training_seeds must hold at least one seed")
        self.nets = list(nets)
        self.training_seeds = [net.seed for net in self.nets]
        self.values: dict = {}
        self.copied: dict = {}                 # {key: training seeds whose rows were copied}

    @property
    def unit(self) -> str:
        """What one interval's degrees of freedom count."""
        return "training seeds" if len(self.nets) > 1 else "sampling seeds (one training seed)"

    def run(self, key, build, sigmas=None, given=None):
        """Measure the denoiser `build(nets)` for every training seed × sampling seed; returns
        {metric: [T, S] array}. A key already measured is not run again.

        given: {training seed: `Measured` or None}, rows already measured for the same
        denoiser (for example a chapter's training-seed-0 sweep). A seed's rows are copied
        when they are runs of this table (the same n and σ grid, and every sampling seed of
        the table among theirs) and sampled again otherwise; `copied[key]` lists the
        training seeds copied. Only the metrics a fresh run measures are copied (the
        setup's `metric_names`, when it names them). The caller vouches for the denoiser
        (a test checks that copied rows equal a fresh measurement)."""
        if key in self.values:
            return self.values[key]
        copy = self._copyable(given or {}, sigmas)
        out: dict = {}
        rows: dict = {}                                   # {metric: rows filled}
        for i, nets in enumerate(self.nets):
            res = copy.get(nets.seed)
            if res is None:
                res = self.setup.evaluate(build(nets), seeds=self.sampling_seeds, n=self.n,
                                          sigmas=sigmas)
            for k, v in res.items():
                out.setdefault(k, np.zeros((len(self.nets), len(self.sampling_seeds))))[i] = v
                rows.setdefault(k, set()).add(i)
        short = [k for k, r in rows.items() if len(r) != len(self.nets)]
        if short:
            raise ValueError(f"metric {short[0]!r} is missing from some training seeds' rows "
                             "(given rows must hold the metrics that a fresh run measures)")
        self.values[key] = out
        self.copied[key] = sorted(copy)
        return out

    def _copyable(self, given: dict, sigmas) -> dict:
        """{training seed: rows to copy}: the `given` rows that are runs of this table,
        restricted to the metrics a fresh run measures; checked before anything is sampled."""
        unknown = set(given) - set(self.training_seeds)
        if unknown:
            raise ValueError(f"given holds training seeds {sorted(unknown)} that this table "
                             f"does not run (its seeds: {self.training_seeds})")
        names = getattr(self.setup, "metric_names", None)
        copy = {}
        for seed, m in given.items():
            if m is None:
                continue
            if not isinstance(m, Measured):
                raise TypeError(f"given[{seed}] must be a runs.Measured (it says which n, "
                                f"sampling seeds and σ grid its rows are), got "
                                f"{type(m).__name__}")
            rows = m.rows_for(self.n, self.sampling_seeds, sigmas)
            if rows is None:
                continue
            if names is not None:
                missing = [k for k in names if k not in rows]
                if missing:
                    raise ValueError(f"metric {missing[0]!r} is missing from given[{seed}] "
                                     "(given rows must hold the metrics that a fresh run "
                                     "measures)")
                rows = {k: rows[k] for k in names}
            copy[seed] = rows
        return copy

    def add(self, key, values: dict):
        """Store measured {metric: [T, S]} under `key` (for example true samples: the floor)."""
        shape = (len(self.nets), len(self.sampling_seeds))
        arr = {k: np.asarray(v, dtype=float).reshape(shape) for k, v in values.items()}
        self.values[key] = arr
        return arr

    def __contains__(self, key):
        return key in self.values

    def __getitem__(self, key) -> dict:
        """{metric: flat list over (training seed, sampling seed)}: the format of `ToySetup.evaluate`."""
        return {k: v.ravel().tolist() for k, v in self.values[key].items()}

    def keys(self):
        return list(self.values)

    def mean(self, key, metric) -> float:
        return float(self.values[key][metric].mean())

    def std(self, key, metric) -> float:
        """Sample std over all runs (training × sampling seeds)."""
        v = self.values[key][metric].ravel()
        return float(v.std(ddof=1)) if v.size > 1 else 0.0

    def seed_means(self, key, metric) -> np.ndarray:
        """Mean over the sampling seeds of each training seed: [T]."""
        return self.values[key][metric].mean(1)

    def pm(self, key, metric, fmt: str = "{:.3f}") -> str:
        return f"{fmt.format(self.mean(key, metric))} ± {fmt.format(self.std(key, metric))}"

    def paired(self, a, b, metric, level: float = 0.95) -> tuple[float, float, float]:
        """(mean, low, high) of a − b, paired on (training seed, sampling seed); the interval is
        over training seeds (see the module's text), or over sampling seeds with one of them."""
        d = self.values[a][metric] - self.values[b][metric]                  # [T, S]
        units = d.mean(1) if d.shape[0] > 1 else d[0]
        return t_interval(units, level)

    def table(self, keys, metrics, title=None, label="setting", labels=None) -> Table:
        """mean ± std of `metrics` (names in hgutils.metrics.METRICS) for `keys`."""
        from .metrics import METRICS
        t = Table([label] + [METRICS[m][0] for m in metrics], title=title)
        for i, k in enumerate(keys):
            t.add(k if labels is None else labels[i], *(self.pm(k, m) for m in metrics))
        return t


def word(d, less: str = "fewer", more: str = "more") -> str:
    """'not resolved' when the interval (mean, low, high) holds 0, else the side it lies on."""
    return "not resolved" if d[1] <= 0 <= d[2] else (less if d[2] < 0 else more)


def sides(d: dict, keys) -> dict:
    """{'better': [...], 'worse': [...], 'not resolved': [...]}: the metrics of `keys` grouped by
    whether a is resolvedly better or worse than b, where d[metric] = (mean, low, high) of
    a − b and `metrics.METRICS` says which direction is better."""
    from .metrics import METRICS
    g: dict = {"better": [], "worse": [], "not resolved": []}
    for m in keys:
        w = word(d[m], "lower", "higher")
        g["not resolved" if w == "not resolved" else
          "better" if w == METRICS[m][1] else "worse"].append(m)
    return g


def interval_text(d, fmt: str = "{:+.3f}") -> str:
    """'+0.012 [−0.003, +0.027]' for (mean, low, high)."""
    return f"{fmt.format(d[0])} [{fmt.format(d[1])}, {fmt.format(d[2])}]".replace("-", "−")
