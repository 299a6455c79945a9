"""soskulib.standardised: the reports' named standardised change (SMCR) against R metafor."""

import json
from pathlib import Path

import numpy as np
import pandas as pd
import pytest

from soskulib import standardised

REF = json.loads((Path(__file__).parent / "reference" / "standardised_reference.json").read_text())


@pytest.mark.parametrize("level", ["95", "90"])
def test_with_smcr_matches_metafor_escalc(level):
    rows = pd.DataFrame(REF["rows"])
    out = standardised.with_smcr(rows, level=int(level) / 100)
    ref = REF["levels"][level]
    for ours, theirs in (("smcr", "yi"), ("smcr_vi", "vi"), ("smcr_ci_low", "ci_low"),
                         ("smcr_ci_high", "ci_high")):
        np.testing.assert_allclose(out[ours].to_numpy(float), ref[theirs], rtol=1e-9, atol=1e-12)


def test_suppressed_rows_get_no_smcr_and_input_is_not_changed():
    rows = pd.DataFrame(REF["rows"])
    rows.loc[1, ["mean_pre", "mean_post"]] = np.nan   # suppressed statistics
    before = rows.copy()
    out = standardised.with_smcr(rows)
    assert np.isnan(out.loc[1, "smcr"]) and np.isfinite(out.loc[0, "smcr"])
    pd.testing.assert_frame_equal(rows, before)


def test_missing_columns_and_bad_level_say_what_to_fix():
    with pytest.raises(KeyError, match="outcome_summary"):
        standardised.with_smcr(pd.DataFrame({"n": [3]}))
    with pytest.raises(ValueError, match="level"):
        standardised.with_smcr(pd.DataFrame(REF["rows"]), level=95)
