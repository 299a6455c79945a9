"""3X10D and WHODAS-12 scoring + reliable-change categories on generated arrays (no CSV).

The instruments issue asks for N clients × 2 time points, scored with
:func:`soskulib.scoring.score` and classified with :func:`soskulib.change.reliable_change`
(Jacobson & Truax) for every scale: 3X10D has ten single-item scales (no total by design),
WHODAS-12 one prorated total. The floor is a bare NumPy pass over the same item matrices:
``np.nansum`` and an answered-item count per scale, the prorating rule, and the RCI
arithmetic with categories. Target: the library within 3× the floor.
"""

from __future__ import annotations

import numpy as np
import pandas as pd

TITLE = "Instruments: 3X10D + WHODAS-12 scoring and RCI categories, generated arrays"
SIZE_UNIT = "clients × 2 time points"
TARGET = 3.0
AUTORANGE = True
WARMUP = True
FLOOR = ("NumPy: per scale one np.nansum + answered count over the item matrix, prorating, "
         "RCI arithmetic and categories")
INSTRUMENTS = ("3x10d", "whodas12")
#: Share of missing item answers in the generated data.
MISSING_SHARE = 0.02
#: Reliability used where a spec gives none (3X10D items): a stated benchmark assumption.
DEFAULT_RELIABILITY = 0.8


def sizes(options: dict) -> list[int]:
    return list(options["sizes"])


def make_data(size: int, options: dict) -> None:
    """Nothing to cache: arrays are generated (seeded) in :func:`setup`."""


def _items(rng: np.random.Generator, n: int, k: int, lo: float, hi: float,
           shift: float) -> np.ndarray:
    """One-factor item answers on the integer grid lo..hi with MISSING_SHARE NaN."""
    latent = rng.standard_normal(n)[:, None] + shift
    raw = (hi + lo) / 2 + (hi - lo) / 5 * (latent + 0.7 * rng.standard_normal((n, k)))
    x = np.clip(np.rint(raw), lo, hi)
    x[rng.random((n, k)) < MISSING_SHARE] = np.nan
    return x


def setup(size: int, options: dict) -> dict:
    from soskulib import instruments

    rng = np.random.default_rng(int(options["seed"]))
    data = {}
    for inst_id in INSTRUMENTS:
        inst = instruments.get(inst_id)
        k = len(inst.items)
        pre = pd.DataFrame(_items(rng, size, k, inst.min, inst.max, 0.0), columns=list(inst.items))
        post = pd.DataFrame(_items(rng, size, k, inst.min, inst.max, 0.3), columns=list(inst.items))
        reliability = float(inst.reliability.get("alpha", DEFAULT_RELIABILITY))
        data[inst_id] = (inst, pre, post, reliability)
    return data


def run(data: dict) -> dict:
    from soskulib import change, scoring

    improved = 0
    for inst, pre, post, reliability in data.values():
        s_pre, s_post = scoring.score(pre, inst), scoring.score(post, inst)
        for name, scale in inst.scales.items():
            x = s_pre[name]
            rc = change.reliable_change(x, s_post[name], sd=float(np.nanstd(x.to_numpy(), ddof=1)),
                                        reliability=reliability,
                                        higher_is_better=scale.higher_is_better)
            improved += int((rc["category"] == "improved").sum())
    return {"improved": improved}


def _floor_scores(x: np.ndarray, cols: list[int], required: int, prorate: bool) -> np.ndarray:
    part = x[:, cols]
    total = np.nansum(part, axis=1)
    answered = np.count_nonzero(~np.isnan(part), axis=1)
    with np.errstate(divide="ignore", invalid="ignore"):
        value = total * len(cols) / answered if prorate else total
    return np.where(answered >= required, value, np.nan)


def floor(data: dict) -> dict:
    improved = 0
    for inst, pre, post, reliability in data.values():
        x_pre, x_post = pre.to_numpy(np.float64), post.to_numpy(np.float64)
        position = {item: j for j, item in enumerate(inst.items)}
        for scale in inst.scales.values():
            cols = [position[i] for i in scale.items]
            a = _floor_scores(x_pre, cols, scale.required_items(), scale.prorate)
            b = _floor_scores(x_post, cols, scale.required_items(), scale.prorate)
            s_diff = np.sqrt(2.0) * np.nanstd(a, ddof=1) * np.sqrt(1.0 - reliability)
            rci = (b - a) / s_diff
            oriented = rci if scale.higher_is_better else -rci
            category = np.where(oriented > 1.96, 2, np.where(oriented < -1.96, 0, 1))
            improved += int(np.count_nonzero(category == 2))
    return {"improved": improved}
