"""Simulation check of the whole pipeline against the demo's known truth.

Each replicate is one synthetic SOSKU programme: :func:`soskulib.demo.write_demo` with its own
seed (new municipality effects theta_m ~ N(mu, tau²), new clients), then the same path a real
export takes — :func:`soskulib.prepare.prepare` (reading, validation, pseudonymisation),
scoring, per-municipality standardised mean change (:func:`soskulib.synthesis.municipality_effects`,
metafor's SMCR) and the random-effects meta-analysis (:func:`soskulib.meta.meta_analysis`).
Over many replicates the share of 95 % confidence intervals that contain the true mu is the
empirical coverage, reported with a Wilson interval (Wilson 1927).

Command line: ``sosku simulate --replicates 100 [--clients N] [--jobs 2]``.
"""

from __future__ import annotations

import json
import os
import tempfile
from collections.abc import Iterable
from concurrent.futures import ProcessPoolExecutor
from dataclasses import dataclass
from pathlib import Path

import numpy as np
import pandas as pd

TESTS = ("z", "knha")


def replicate(seed: int, n_clients: int | None = None, method: str = "REML",
              level: float = 0.95) -> pd.DataFrame:
    """Run one synthetic programme through the pipeline; one row per instrument × test.

    Parameters
    ----------
    seed : int
        Seed of the synthetic programme (:func:`soskulib.demo.write_demo`).
    n_clients : int, optional
        Clients in the programme (default: the demo's size).
    method : str
        tau² estimator of :func:`soskulib.meta.meta_analysis`.
    level : float
        Confidence level.

    Returns
    -------
    DataFrame
        ``seed, instrument, test, k, estimate, ci_low, ci_high, mu, theta_mean,
        covers_mu, covers_theta_mean``. ``theta_mean`` is the mean of this programme's drawn
        municipality effects (the conditional target); ``mu`` is the superpopulation mean
        (the random-effects model's target).

    Examples
    --------
    >>> rows = replicate(7, n_clients=600)   # doctest: +SKIP
    >>> sorted(rows["instrument"].unique())  # doctest: +SKIP
    ['3x10d', 'eq5d3l', 'esis', 'whodas12']
    """
    from soskulib import demo, io, meta, prepare, schema, synthesis

    with tempfile.TemporaryDirectory(prefix=f"sosku-sim-{seed}-") as tmp:
        raw, processed = Path(tmp) / "raw", Path(tmp) / "processed"
        demo.write_demo(raw, seed=seed, n_clients=n_clients)
        prepare.prepare(raw, processed, log=lambda _msg: None)
        truth = json.loads((processed / "truth.json").read_text(encoding="utf-8"))
        responses = {i: io.load_processed(processed, f"responses_{i}")
                     for i in schema.ASSESSMENT_INSTRUMENTS}
        effects = synthesis.municipality_effects(responses)
    rows = []
    for inst_id, part in effects.groupby("instrument", sort=True):
        spec = truth["instruments"][inst_id]
        theta_mean = float(np.mean([spec["theta"][m] for m in part["municipality"]]))
        for test in TESTS:
            fit = meta.meta_analysis(part["yi"].to_numpy(float), part["vi"].to_numpy(float),
                                     method=method, test=test, level=level,
                                     control={"stepadj": 0.5, "maxiter": 1000})
            rows.append({
                "seed": seed, "instrument": inst_id, "test": test, "k": fit.k,
                "estimate": fit.estimate, "ci_low": fit.ci_low, "ci_high": fit.ci_high,
                "mu": float(spec["mu"]), "theta_mean": theta_mean,
                "covers_mu": bool(fit.ci_low <= spec["mu"] <= fit.ci_high),
                "covers_theta_mean": bool(fit.ci_low <= theta_mean <= fit.ci_high),
            })
    return pd.DataFrame(rows)


def _replicate_args(args: tuple[int, int | None, str, float]) -> pd.DataFrame:
    return replicate(*args)


@dataclass
class CoverageResult:
    """Replicate-level rows and their coverage summary.

    Attributes
    ----------
    replicates : DataFrame
        Rows of :func:`replicate` for every seed.
    level : float
        Confidence level of the intervals whose coverage is measured.

    Examples
    --------
    >>> reps = pd.DataFrame({"seed": [1, 2, 3, 4], "instrument": "esis", "test": "knha", "k": 9,
    ...                      "estimate": [0.28, 0.35, 0.22, 0.31], "ci_low": [0.1, 0.2, 0.05, 0.12],
    ...                      "ci_high": [0.46, 0.5, 0.39, 0.5], "mu": 0.3,
    ...                      "covers_mu": [True, True, True, True],
    ...                      "covers_theta_mean": [True, True, False, True]})
    >>> CoverageResult(reps, 0.95).summary()[["instrument", "test", "coverage_mu"]]
      instrument  test  coverage_mu
    0       esis  knha          1.0
    """

    replicates: pd.DataFrame
    level: float

    def summary(self) -> pd.DataFrame:
        """Coverage of mu and of the programme's mean theta per instrument and test.

        Wilson 95 % intervals for the coverage proportions; ``bias`` is the mean of
        ``estimate - mu`` over replicates.

        Returns
        -------
        DataFrame
            One row per instrument × test: ``replicates, k`` (median), ``covered_mu``,
            ``covered_theta_mean``, ``mean_estimate, mu, mean_ci_width, bias``, ``coverage_mu`` and
            ``coverage_theta_mean`` with their ``_ci_low``/``_ci_high`` Wilson limits.

        Examples
        --------
        >>> reps = pd.DataFrame({"seed": [1, 2, 3, 4], "instrument": "esis", "test": "knha", "k": 9,
        ...                      "estimate": [0.28, 0.35, 0.22, 0.31],
        ...                      "ci_low": [0.1, 0.2, 0.05, 0.12],
        ...                      "ci_high": [0.46, 0.5, 0.39, 0.5], "mu": 0.3,
        ...                      "covers_mu": [True, True, True, True],
        ...                      "covers_theta_mean": [True, True, False, True]})
        >>> s = CoverageResult(reps, 0.95).summary()
        >>> s[["coverage_theta_mean", "coverage_theta_mean_ci_low", "bias"]].round(3)
           coverage_theta_mean  coverage_theta_mean_ci_low  bias
        0                 0.75                       0.301 -0.01
        """
        from soskulib.change import wilson_ci

        reps = self.replicates.assign(ci_width=self.replicates["ci_high"] - self.replicates["ci_low"])
        out = reps.groupby(["instrument", "test"], sort=True).agg(
            replicates=("seed", "size"), k=("k", "median"), covered_mu=("covers_mu", "sum"),
            covered_theta_mean=("covers_theta_mean", "sum"), mean_estimate=("estimate", "mean"),
            mu=("mu", "first"), mean_ci_width=("ci_width", "mean")).reset_index()
        out["bias"] = out["mean_estimate"] - out["mu"]
        for col in ("covered_mu", "covered_theta_mean"):
            share = col.replace("covered", "coverage")
            out[share] = out[col] / out["replicates"]
            low, high = wilson_ci(out[col].to_numpy(), out["replicates"].to_numpy())
            out[f"{share}_ci_low"], out[f"{share}_ci_high"] = low, high
        return out

    def to_markdown(self) -> str:
        """The summary as a Markdown table (for RESULTS files and closing notes).

        Returns
        -------
        str
            A Markdown table, one line per instrument × test.

        Examples
        --------
        >>> reps = pd.DataFrame({"seed": [1, 2, 3, 4], "instrument": "esis", "test": "knha", "k": 9,
        ...                      "estimate": [0.28, 0.35, 0.22, 0.31],
        ...                      "ci_low": [0.1, 0.2, 0.05, 0.12],
        ...                      "ci_high": [0.46, 0.5, 0.39, 0.5], "mu": 0.3,
        ...                      "covers_mu": [True, True, True, True],
        ...                      "covers_theta_mean": [True, True, False, True]})
        >>> print(CoverageResult(reps, 0.95).to_markdown().splitlines()[-1])
        | esis | knha | 4 | 9 | 1.000 [0.510, 1.000] | 0.750 | -0.0100 | 0.345 |
        """
        s = self.summary()
        lines = ["| instrument | test | replicates | k | coverage of mu [95 % CI] | "
                 "coverage of programme mean theta | bias | mean CI width |",
                 "|---|---|---|---|---|---|---|---|"]
        for r in s.itertuples():
            lines.append(
                f"| {r.instrument} | {r.test} | {r.replicates} | {r.k:.0f} | "
                f"{r.coverage_mu:.3f} [{r.coverage_mu_ci_low:.3f}, {r.coverage_mu_ci_high:.3f}] | "
                f"{r.coverage_theta_mean:.3f} | {r.bias:+.4f} | {r.mean_ci_width:.3f} |")
        return "\n".join(lines)


def truth_coverage(seeds: Iterable[int], n_clients: int | None = None, *, jobs: int | None = None,
                   method: str = "REML", level: float = 0.95,
                   progress: bool = True) -> CoverageResult:
    """Empirical CI coverage of the pooled effect over many synthetic programmes.

    Parameters
    ----------
    seeds : iterable of int
        One replicate per seed (seeds are the demo generator's; 2015 is the committed demo).
    n_clients : int, optional
        Clients per programme (default: the demo's ~1,500).
    jobs : int, optional
        Parallel worker processes (default: CPU count).
    method, level
        Passed to :func:`soskulib.meta.meta_analysis`.
    level : float
        Confidence level (95 % by default).
    progress : bool
        Show a tqdm progress bar.

    Returns
    -------
    CoverageResult

    Examples
    --------
    >>> res = truth_coverage(range(100, 110), n_clients=600, jobs=2)  # doctest: +SKIP
    >>> print(res.to_markdown())                                      # doctest: +SKIP
    """
    from tqdm.auto import tqdm

    seeds = list(seeds)
    if not seeds:
        raise ValueError("give at least one seed")
    jobs = jobs or os.cpu_count() or 1
    args = [(s, n_clients, method, level) for s in seeds]
    with ProcessPoolExecutor(max_workers=jobs) as pool:
        frames = list(tqdm(pool.map(_replicate_args, args), total=len(args), disable=not progress,
                           desc="sosku simulate", unit="programme"))
    return CoverageResult(pd.concat(frames, ignore_index=True), level)
