"""Seeded simulated long data for the lme4 comparison (writes tests/reference/lme4_change.csv).

Two occasions per client, clients nested in municipalities, true change 5 (female) / 3
(male), SDs: municipality 3, client 6, residual 4; about 8% of end measurements missing.
Run: .venv/bin/python tests/reference/lme4_simulate.py
"""
from pathlib import Path

import numpy as np
import pandas as pd


def simulate(n_mun=12, per_mun=25, seed=20240601):
    rng = np.random.default_rng(seed)
    muns = [f"{i:03d}" for i in rng.choice(np.arange(5, 990), n_mun, replace=False)]
    mun = np.repeat(muns, per_mun)
    n = mun.size
    client = np.array([f"{i:016x}" for i in rng.integers(0, 2**62, n)])
    gender = rng.choice(["female", "male"], n)
    age = rng.integers(18, 65, n)
    u_mun = dict(zip(muns, rng.normal(0, 3, n_mun), strict=True))
    c = rng.normal(0, 6, n)
    base = 50 + np.vectorize(u_mun.get)(mun) + c - 0.1 * (age - 40)
    long = pd.DataFrame({
        "client_id": np.repeat(client, 2), "municipality": np.repeat(mun, 2),
        "gender": np.repeat(gender, 2), "age": np.repeat(age, 2),
        "occasion": np.tile(["baseline", "end"], n)})
    eff = np.where(long["gender"] == "male", 3.0, 5.0) * (long["occasion"] == "end")
    long["total"] = np.repeat(base, 2) + eff + rng.normal(0, 4, 2 * n)
    drop = rng.random(2 * n) < 0.08  # some missing occasions
    long = long[~(drop & (long["occasion"] == "end").to_numpy())]
    return long.round({"total": 4}).reset_index(drop=True)
if __name__ == "__main__":
    simulate().to_csv(Path(__file__).with_name("lme4_change.csv"), index=False)


def simulate_demo_shaped(n_mun=10, n_clients=1200, seed=20240602):
    """Demo-shaped data: skewed municipality sizes, 3 occasions, a rare gender 'other'
    never measured at follow-up (an empty occasion x gender cell, as on the demo data)."""
    rng = np.random.default_rng(seed)
    muns = [f"{i:03d}" for i in rng.choice(np.arange(5, 990), n_mun, replace=False)]
    share = rng.dirichlet(np.full(n_mun, 1.5))
    mun = rng.choice(muns, n_clients, p=share)
    client = np.array([f"{i:016x}" for i in rng.integers(0, 2**62, n_clients)])
    gender = rng.choice(["female", "male", "other"], n_clients, p=[0.37, 0.61, 0.02])
    u_mun = dict(zip(muns, rng.normal(0, 3, n_mun), strict=True))
    base = 50 + np.vectorize(u_mun.get)(mun) + rng.normal(0, 12, n_clients)
    occ = np.array(["baseline", "end", "followup"])
    long = pd.DataFrame({"client_id": np.repeat(client, 3), "municipality": np.repeat(mun, 3),
                         "gender": np.repeat(gender, 3), "occasion": np.tile(occ, n_clients)})
    gain = {"female": (0, 6, 3), "male": (0, 6, 8), "other": (0, 1, 0)}
    eff = np.array([gain[g][list(occ).index(o)] for g, o in zip(long["gender"],
                                                                long["occasion"], strict=True)])
    long["total"] = np.repeat(base, 3) + eff + rng.normal(0, 12, 3 * n_clients)
    keep = np.where(long["occasion"] == "baseline", True,
                    np.where(long["occasion"] == "end", rng.random(len(long)) < 0.5,
                             rng.random(len(long)) < 0.1))
    keep &= ~((long["occasion"] == "followup") & (long["gender"] == "other")).to_numpy()
    return long[keep].round({"total": 4}).reset_index(drop=True)


if __name__ == "__main__":
    simulate_demo_shaped().to_csv(Path(__file__).with_name("lme4_demo_shaped.csv"), index=False)
