"""Scoring + reliable change for every assessment instrument on the prepared demo data.

Input: the processed ``responses_<instrument>`` tables of ``sosku demo --clients N`` after
``sosku prepare``, loaded before timing. Timed, per instrument: :func:`soskulib.scoring.score`
of every response row, then for every scale the baseline SD and
:func:`soskulib.change.reliable_change` of the baseline → end pairs (pairs matched on
``client_id`` before timing). The floor does the same with a bare NumPy pass: the item matrix,
one ``np.nansum`` and answered-item count per scale, the prorating rule, the baseline SD and the
RCI arithmetic with categories. Target: within 3× the floor.
"""

from __future__ import annotations

import numpy as np
import pandas as pd

from benchmarks import _data

TITLE = "Scoring + reliable change, every instrument, prepared demo data"
SIZE_UNIT = "clients (sosku demo --clients N)"
TARGET = 3.0
AUTORANGE = True
WARMUP = True
FLOOR = ("NumPy: item matrix, per scale np.nansum + answered count + prorating, baseline SD, "
         "RCI arithmetic and categories")
#: Reliability used where a spec gives none (3X10D, EQ-5D-3L): a stated benchmark assumption.
DEFAULT_RELIABILITY = 0.8


def sizes(options: dict) -> list[int]:
    return list(options["sizes"])


def make_data(size: int, options: dict) -> None:
    _data.processed(size, options)


def setup(size: int, options: dict) -> list:
    from soskulib import instruments, io, schema

    processed = _data.processed(size, options)
    work = []
    for inst_id in schema.ASSESSMENT_INSTRUMENTS:
        inst = instruments.get(inst_id)
        responses = io.load_processed(processed, f"responses_{inst_id}")
        rows = pd.DataFrame({"client_id": responses["client_id"], "occasion": responses["occasion"],
                             "row": np.arange(len(responses))})
        pairs = rows[rows["occasion"] == "baseline"].merge(
            rows[rows["occasion"] == "end"], on="client_id", suffixes=("_pre", "_post"))
        reliability = float(inst.reliability.get("alpha", DEFAULT_RELIABILITY))
        work.append((inst, responses, pairs["row_pre"].to_numpy(), pairs["row_post"].to_numpy(),
                     reliability))
    return work


def run(work: list) -> dict:
    from soskulib import change, scoring

    improved = 0
    for inst, responses, pre_rows, post_rows, reliability in work:
        scores = scoring.score(responses, inst)
        for name, scale in inst.scales.items():
            values = scores[name].to_numpy()
            pre, post = values[pre_rows], values[post_rows]
            rc = change.reliable_change(pre, post, sd=float(np.nanstd(pre, ddof=1)),
                                        reliability=reliability,
                                        higher_is_better=scale.higher_is_better)
            improved += int((rc["category"] == "improved").sum())
    return {"improved": improved}


def floor(work: list) -> dict:
    improved = 0
    for inst, responses, pre_rows, post_rows, reliability in work:
        x = responses[list(inst.items)].to_numpy(np.float64)
        position = {item: j for j, item in enumerate(inst.items)}
        for scale in inst.scales.values():
            part = x[:, [position[i] for i in scale.items]]
            total = np.nansum(part, axis=1)
            answered = np.count_nonzero(~np.isnan(part), axis=1)
            with np.errstate(divide="ignore", invalid="ignore"):
                value = total * part.shape[1] / answered if scale.prorate else total
            value = np.where(answered >= scale.required_items(), value, np.nan)
            pre, post = value[pre_rows], value[post_rows]
            rci = (post - pre) / (np.sqrt(2.0) * np.nanstd(pre, ddof=1) * np.sqrt(1 - reliability))
            oriented = rci if scale.higher_is_better else -rci
            improved += int(np.count_nonzero(oriented > 1.96))
    return {"improved": improved}
