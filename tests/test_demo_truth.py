"""The demo's completers' truth matches who the generator actually gives complete pairs.

``demo.completer_truth`` weights the calibration sample by ``demo.complete_pair_probability``.
Here that probability is applied to the generator's own clients (their well-being and early
progress) and compared with the complete pairs the generator drew: their number, and the
mean early progress and well-being of the completers (the selection that makes complete pairs
over-state the starters' change). Vantaa's ESIS is the hard case: ESIS exists only from 2017,
when Vantaa's development signal had already lowered dropout, and its starters are censored at
the export date more often than the 2016–2018 average (the old truth's mistake).
"""

from __future__ import annotations

import numpy as np
import pytest

from soskulib import demo

N = 30_000


@pytest.fixture(scope="module")
def vantaa():
    truth = demo.true_effects.__wrapped__(1, 4_000, guided=True)
    return demo._generate_org("092", N, 1, truth, demo._HetuRegistry(), outcomes_only=True)


@pytest.mark.parametrize("instrument_id", ["esis", "3x10d", "whodas12"])
def test_complete_pairs_match_the_truths_weights(vantaa, instrument_id):
    table = vantaa.tables[f"mittari_{instrument_id}"]
    occasion = table["mittauskerta"].astype(str).to_numpy()
    who = table["henkilotunnus"].cat.codes.to_numpy()   # the client's row in asiakkaat
    pair = np.zeros(N, dtype=bool)
    pair[np.intersect1d(who[occasion == "alku"], who[occasion == "loppu"])] = True
    w, e = vantaa.latent["wellbeing"], vantaa.latent["early"]
    p = demo.complete_pair_probability(instrument_id, "092", w, e, seed=1)
    sd = np.sqrt(np.sum(p * (1 - p)))
    # (the old whole-window truth expected 14,069 ESIS pairs here for the 9,008 drawn)
    assert abs(pair.sum() - p.sum()) < 4 * sd, (pair.sum(), p.sum(), sd)
    for latent in (e, w):   # the completers' selection on early progress and well-being
        expected = np.sum(p * latent) / p.sum()
        se = latent[pair].std() / np.sqrt(pair.sum())
        assert abs(latent[pair].mean() - expected) < 4 * se, (latent[pair].mean(), expected, se)


def test_esis_window_matters(vantaa):
    """The whole-window average the old truth used predicts far too many ESIS pairs."""
    p_esis = demo.complete_pair_probability("esis", "092", vantaa.latent["wellbeing"],
                                            vantaa.latent["early"], seed=1)
    p_whodas = demo.complete_pair_probability("whodas12", "092", vantaa.latent["wellbeing"],
                                              vantaa.latent["early"], seed=1)
    assert p_esis.mean() < 0.7 * p_whodas.mean()
