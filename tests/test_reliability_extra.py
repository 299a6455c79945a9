"""psych features of issue 16 against R (``tests/reference/reliability_extra.R`` -> ``.json``).

New seeded items (seed 16101) with two reverse-worded items and about 6 % missing answers.
"""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np
import pandas as pd
import pytest

from soskulib import reliability

HERE = Path(__file__).parent / "reference"
REF = json.loads((HERE / "reliability_extra.json").read_text())
RAW = pd.read_csv(HERE / "reliability_extra.csv")
KEYED = RAW.assign(i2=4 - RAW["i2"], i5=4 - RAW["i5"])


@pytest.mark.parametrize("use", ["pairwise", "complete"])
def test_alpha_average_r_sn_and_ase_match_psych(use):
    ref = REF[f"alpha_{use}"]
    res = reliability.cronbach_alpha(KEYED, use=use)
    assert res.use == use
    assert res.n == (len(KEYED) if use == "pairwise" else len(KEYED.dropna()))
    for ours, theirs in [(res.alpha, ref["raw_alpha"]), (res.std_alpha, ref["std_alpha"]),
                         (res.average_r, ref["average_r"]), (res.s_n, ref["s_n"]),
                         (res.ase, ref["ase"]), (res.ci_low, ref["feldt"][0]),
                         (res.ci_high, ref["feldt"][1])]:
        assert ours == pytest.approx(theirs, rel=1e-9)


def test_pairwise_and_complete_differ_with_missing_items():
    pairwise = reliability.cronbach_alpha(KEYED, use="pairwise")
    complete = reliability.cronbach_alpha(KEYED)
    assert complete.use == "complete" and pairwise.alpha != complete.alpha
    assert "pairwise" in pairwise.summary()


def test_omega_flips_negative_items_as_psych():
    ref = REF["omega_flip"]
    res = reliability.omega_total(RAW, total_variance="observed")
    assert res.omega == pytest.approx(ref["omega_tot"], rel=1e-6)
    assert res.flipped == ("i2", "i5")
    assert [(-1 if c in res.flipped else 1) for c in RAW.columns] == ref["key"]
    np.testing.assert_allclose(res.loadings.to_numpy(), ref["loadings"], atol=1e-5)
    # the flipped omega equals omega of the re-keyed items; without flipping it is lower
    keyed = reliability.omega_total(KEYED, total_variance="observed")
    assert keyed.omega == pytest.approx(res.omega, rel=1e-9) and keyed.flipped == ()
    assert reliability.omega_total(RAW, flip=False).omega < res.omega


def test_bootstrap_omega_ci_replays_r_resamples_and_is_seeded():
    ref = REF["omega_boot"]
    res = reliability.omega_total(RAW, total_variance="observed", ci=0.95,
                                  resamples=np.array(ref["indices"]))
    assert res.n_boot == 200
    assert (res.ci_low, res.ci_high) == pytest.approx(ref["ci"], rel=1e-6)
    a = reliability.omega_total(RAW, ci=0.9, n_boot=100, seed=7)
    b = reliability.omega_total(RAW, ci=0.9, n_boot=100, seed=7)
    c = reliability.omega_total(RAW, ci=0.9, n_boot=100, seed=8)
    assert (a.ci_low, a.ci_high) == (b.ci_low, b.ci_high) != (c.ci_low, c.ci_high)
    assert a.ci_low < a.omega < a.ci_high and "bootstrap CI" in a.summary()


def test_singular_item_matrix_names_the_items():
    x = KEYED.dropna().copy()
    x["sum12"] = x["i1"] + x["i2"]
    with pytest.raises(ValueError, match=r"items \['i1', 'i2', 'sum12'\] is singular"):
        reliability.omega_total(x, method="ml")
    assert np.isfinite(reliability.omega_total(x).omega)  # minres copes, as psych
