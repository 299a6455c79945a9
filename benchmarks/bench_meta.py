"""Random-effects meta-analysis over k units (the national synthesis; the issue asks for 300).

Timed: :func:`soskulib.meta.meta_analysis` with ``method="DL"`` (the closed form the floor
also computes), on k seeded effect sizes. Extras (timed in the same process, per call):
REML, and REML with the Hartung–Knapp–Sidik–Jonkman test. The floor is the DerSimonian–Laird
closed form in NumPy (weights, Q, τ², pooled estimate and its SE).
"""

from __future__ import annotations

import time

import numpy as np

TITLE = "Meta-analysis over k units (DL; REML and REML + HKSJ as extras)"
SIZE_UNIT = "units k"
TARGET = None
AUTORANGE = True
WARMUP = True
FLOOR = "NumPy: DerSimonian–Laird closed form (weights, Q, τ², estimate, SE)"


def sizes(options: dict) -> list[int]:
    return list(options["meta_units"])


def make_data(size: int, options: dict) -> None:
    """Nothing to cache: effect sizes are generated (seeded) in :func:`setup`."""


def setup(size: int, options: dict) -> tuple[np.ndarray, np.ndarray]:
    rng = np.random.default_rng(int(options["seed"]))
    vi = rng.uniform(0.005, 0.08, size)
    yi = 0.3 + rng.normal(0.0, 0.12, size) + rng.normal(0.0, np.sqrt(vi))
    return yi, vi


def _per_call(function, budget: float = 0.2) -> float:
    calls, start = 0, time.perf_counter()
    while True:
        function()
        calls += 1
        elapsed = time.perf_counter() - start
        if elapsed >= budget or calls >= 10_000:
            return elapsed / calls


def run(data: tuple[np.ndarray, np.ndarray]) -> dict:
    from soskulib import meta

    yi, vi = data
    result = meta.meta_analysis(yi, vi, method="DL")
    return {"estimate": float(result.estimate), "tau2": float(result.tau2)}


def extras(data: tuple[np.ndarray, np.ndarray]) -> dict:
    """Per-call seconds of the iterative estimators (not part of the ratio)."""
    from soskulib import meta

    yi, vi = data
    return {
        "reml_s": _per_call(lambda: meta.meta_analysis(yi, vi, method="REML")),
        "reml_knha_s": _per_call(lambda: meta.meta_analysis(yi, vi, method="REML", test="knha")),
    }


def floor(data: tuple[np.ndarray, np.ndarray]) -> dict:
    yi, vi = data
    w = 1.0 / vi
    fixed = np.sum(w * yi) / np.sum(w)
    q = np.sum(w * (yi - fixed) ** 2)
    c = np.sum(w) - np.sum(w * w) / np.sum(w)
    tau2 = max(0.0, (q - (len(yi) - 1)) / c)
    w_re = 1.0 / (vi + tau2)
    estimate = np.sum(w_re * yi) / np.sum(w_re)
    se = np.sqrt(1.0 / np.sum(w_re))
    return {"estimate": float(estimate), "tau2": float(tau2), "se": float(se)}
