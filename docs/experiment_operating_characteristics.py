"""How often the before/after rules flag an experiment, at two demo sizes (docs/development_work.md).

Binomial replicates of a quarterly 26-week dropout share: 4 quarters before the change and 6
after, a fall from 0.28 to 0.12 (a real experiment) or a flat 0.17 (a null one), with 38
starters a quarter (Vantaa at the demo's default size) or 15 (Vantaa if the demo were shrunk
to the seeds' ~650 planned clients). Run: ``.venv/bin/python docs/experiment_operating_characteristics.py``
(about a minute). Printed on 2026-11-30: 38 real 0.934 null 0.157; 15 real 0.663 null 0.157.
"""

from __future__ import annotations

import warnings

import numpy as np
import pandas as pd

from soskulib import development


def flagged_share(n: int, p_before: float, p_after: float, *, before: int = 4, after: int = 6,
                  reps: int = 1000, seed: int = 1) -> float:
    """Share of replicates in which :func:`soskulib.development.experiment_tests` signals."""
    rng = np.random.default_rng(seed)
    quarters = pd.period_range("2016Q1", periods=before + after, freq="Q").astype(str)
    experiment = pd.DataFrame({
        "municipality": ["092"], "experiment_id": ["K"], "description": ["x"],
        "start_date": [pd.Period(quarters[before], freq="Q").start_time],
        "target_measure": ["dropout"]})
    hits = 0
    for _ in range(reps):
        dropped = rng.binomial(n, [p_before] * before + [p_after] * after)
        series = pd.DataFrame({"municipality": "092", "quarter": quarters,
                               "value": dropped / n, "n": n})
        hits += bool(development.experiment_tests(series, experiment)["signal"].iloc[0])
    return hits / reps


if __name__ == "__main__":
    warnings.simplefilter("ignore")
    for starters in (38, 15):
        print(starters, "real", flagged_share(starters, 0.28, 0.12),
              "null", flagged_share(starters, 0.17, 0.17))
