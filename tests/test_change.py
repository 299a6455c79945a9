"""Tests for soskulib.change: reliable change, clinical significance, rates, change tables."""

from __future__ import annotations

import doctest
import json
import math
from pathlib import Path

import numpy as np
import pandas as pd
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from soskulib import change
from soskulib.change import (
    CATEGORIES,
    CATEGORY_LABELS,
    CS_CATEGORIES,
    category_rates,
    change_table,
    clinical_significance,
    jt_cutoffs,
    pair_occasions,
    reliable_change,
    reliable_change_scores,
    wilson_ci,
)

REF = Path(__file__).parent / "reference"


@pytest.fixture(scope="module")
def ref() -> dict:
    return json.loads((REF / "change_reference.json").read_text())


@pytest.fixture(scope="module")
def data() -> pd.DataFrame:
    return pd.read_csv(REF / "change_data.csv", dtype={"group": str, "client": str})


def _nan_list(values: list) -> np.ndarray:
    return np.array([np.nan if v is None else v for v in values], dtype=float)


def test_doctests() -> None:
    result = doctest.testmod(change)
    assert result.attempted > 0 and result.failed == 0


# --- hand computations -----------------------------------------------------------------------

def test_jt_formula_by_hand() -> None:
    # SE = 7.5 * sqrt(1 - .88) = 2.598; S_diff = sqrt(2) * SE = 3.674; RCI = -10 / 3.674.
    res = reliable_change([30.0], [20.0], sd=7.5, reliability=0.88)
    s_diff = math.sqrt(2) * 7.5 * math.sqrt(0.12)
    assert res.attrs["s_diff"] == pytest.approx(s_diff)
    assert res["rci"].iloc[0] == pytest.approx(-10 / s_diff)
    assert res["change"].iloc[0] == -10
    assert res["category"].iloc[0] == "deteriorated"
    assert list(res.columns) == ["change", "rci", "category"]


def test_threshold_is_strict() -> None:
    s_diff = math.sqrt(2) * 2 * math.sqrt(0.5)   # = 2
    at = 1.96 * s_diff
    res = reliable_change([0.0, 0.0, 0.0], [at, at + 1e-9, -at - 1e-9], sd=2, reliability=0.5)
    assert res["category"].tolist() == ["unchanged", "improved", "deteriorated"]


def test_direction_lower_is_better() -> None:
    res = reliable_change([30, 30, 30], [10, 30, 50], sd=5, reliability=0.8,
                          higher_is_better=False)
    assert res["category"].tolist() == ["improved", "unchanged", "deteriorated"]
    assert res.attrs["higher_is_better"] is False


def test_nan_gives_nan_rci_and_missing_category() -> None:
    res = reliable_change(pd.Series([1.0, np.nan, 3.0]), [np.nan, 2.0, 30.0], sd=2,
                          reliability=0.8)
    assert res["rci"].isna().tolist() == [True, True, False]
    assert res["category"].isna().tolist() == [True, True, False]
    assert res["category"].iloc[2] == "improved"


def test_index_is_kept() -> None:
    pre = pd.Series([1.0, 2.0], index=["a", "b"])
    post = pd.Series([5.0, 2.0], index=["a", "b"])
    res = reliable_change(pre, post, sd=1, reliability=0.5)
    assert res.index.tolist() == ["a", "b"]
    res2 = reliable_change([1.0, 2.0], post, sd=1, reliability=0.5)
    assert res2.index.tolist() == ["a", "b"]
    with pytest.raises(ValueError, match="align"):
        reliable_change(pre, post.set_axis(["b", "c"]), sd=1, reliability=0.5)


def test_attrs_record_choices() -> None:
    res = reliable_change([1, 2], [3, 4], sd=2, reliability=0.7, sd_source="data",
                          reliability_source="instrument spec")
    assert res.attrs["method"] == "jt"
    assert res.attrs["sd"] == 2 and res.attrs["sd_source"] == "data"
    assert res.attrs["reliability"] == 0.7
    assert res.attrs["reliability_source"] == "instrument spec"
    assert res.attrs["critical_value"] == 1.96


def test_jt_cutoffs() -> None:
    # Higher is better: a = M_clin + 2 SD_clin, b = M_func - 2 SD_func.
    cut = jt_cutoffs(40, 10, 70, 5)
    assert cut == (60, 60, (5 * 40 + 10 * 70) / 15)
    cut_low = jt_cutoffs(70, 10, 40, 5)
    assert (cut_low.a, cut_low.b) == (50, 50)
    assert cut_low.c == pytest.approx((5 * 70 + 10 * 40) / 15)
    equal = jt_cutoffs(10, 3, 20, 3)
    assert equal.c == 15   # midpoint when SDs are equal
    with pytest.raises(ValueError, match="contradicts"):
        jt_cutoffs(40, 10, 70, 5, higher_is_better=False)
    with pytest.raises(ValueError, match="positive"):
        jt_cutoffs(40, 0, 70, 5)


def test_clinical_significance_by_hand() -> None:
    pre = [10, 10, 22, 25, 10, np.nan]
    post = [25, 18, 30, 10, 11, 30]
    res = clinical_significance(pre, post, sd=4, reliability=0.8, cutoff=20)
    assert res["category"].tolist()[:5] == ["recovered", "improved", "improved",
                                            "deteriorated", "unchanged"]
    assert pd.isna(res["category"].iloc[5])
    assert res.attrs["cutoff"] == 20
    # Lower is better: the functional side is at or below the cutoff.
    low = clinical_significance([30, 30], [20, 24], sd=2, reliability=0.8, cutoff=20,
                                higher_is_better=False)
    assert low["category"].tolist() == ["recovered", "improved"]
    assert list(low["category"].cat.categories) == list(CS_CATEGORIES)


# --- R references ----------------------------------------------------------------------------

@pytest.mark.parametrize("method", ["jt", "gln", "en", "ha"])
def test_rci_methods_agree_with_r(method: str, ref: dict, data: pd.DataFrame) -> None:
    for hib, suffix in ((True, "higher"), (False, "lower")):
        res = reliable_change(data["pre"], data["post"], sd=ref["sd"],
                              reliability=ref["reliability"], method=method,
                              higher_is_better=hib)
        np.testing.assert_allclose(res["rci"], _nan_list(ref["rci"][method]), rtol=1e-12)
        expected = [None if v is None else v for v in ref["categories"][f"{method}_{suffix}"]]
        got = [None if pd.isna(v) else v for v in res["category"]]
        assert got == expected
    if method == "ha":
        assert res.attrs["r_dd"] == pytest.approx(ref["r_dd"], rel=1e-12)
        assert res.attrs["critical_value"] == 1.65
    if method in ("gln", "en"):
        assert res.attrs["mean"] == pytest.approx(ref["m_pre"], rel=1e-12)
        assert res.attrs["mean_source"] == "data"


def test_clinical_significance_agrees_with_r(ref: dict, data: pd.DataFrame) -> None:
    res = clinical_significance(data["pre"], data["post"], sd=ref["sd"],
                                reliability=ref["reliability"], cutoff=ref["cutoff"])
    got = [None if pd.isna(v) else v for v in res["category"]]
    assert got == ref["clinical"]
    assert "recovered" in got


def test_category_rates_agree_with_r_prop_test(ref: dict, data: pd.DataFrame) -> None:
    res = reliable_change(data["pre"], data["post"], sd=ref["sd"], reliability=ref["reliability"])
    rates = category_rates(res.join(data[["group"]]), by="group")
    expected = pd.DataFrame(ref["rates"])
    merged = rates.astype({"category": str}).merge(expected, on=["group", "category"],
                                                   suffixes=("", "_r"))
    assert len(merged) == len(expected) == 9
    assert (merged["n"] == merged["n_r"]).all()
    assert (merged["n_total"] == merged["n_total_r"]).all()
    np.testing.assert_allclose(merged["ci_low"], merged["ci_low_r"], rtol=1e-10)
    np.testing.assert_allclose(merged["ci_high"], merged["ci_high_r"], rtol=1e-10)


def test_change_table_agrees_with_r(ref: dict, data: pd.DataFrame) -> None:
    tab = change_table(data, pre="pre", post="post", by="group", sd=ref["sd"],
                       reliability=ref["reliability"])
    expected = pd.DataFrame(ref["table"])
    assert tab["group"].tolist() == expected["group"].tolist()
    for col in ("n_pre", "n", "n_improved", "n_unchanged", "n_deteriorated"):
        assert tab[col].tolist() == expected[col].tolist(), col
    for col in ("mean_pre", "sd_pre", "mean_post", "sd_post", "mean_change", "sd_change",
                "r_prepost", "d_z", "d_z_ci_low", "d_z_ci_high"):
        np.testing.assert_allclose(tab[col], expected[col], rtol=1e-8, err_msg=col)


# --- change tables, long layout --------------------------------------------------------------

def _long(data: pd.DataFrame) -> pd.DataFrame:
    base = data.assign(occasion="baseline", total=data["pre"])
    end = data.assign(occasion="end", total=data["post"])
    return (pd.concat([base, end]).rename(columns={"client": "client_id"})
            [["client_id", "group", "occasion", "total"]].sample(frac=1, random_state=3))


def test_change_table_long_equals_wide(data: pd.DataFrame) -> None:
    wide = change_table(data, pre="pre", post="post", by="group")
    long = change_table(_long(data), score="total", pre="baseline", post="end", by="group")
    pd.testing.assert_frame_equal(wide, long, check_exact=False, rtol=1e-12)
    assert long.attrs["layout"] == "long"
    required = {"n", "mean_pre", "sd_pre", "mean_post", "sd_post", "mean_change", "sd_change",
                "r_prepost", "d_z", "d_z_ci_low", "d_z_ci_high"}
    assert required <= set(long.columns)


def test_change_table_ungrouped_and_empty_group() -> None:
    df = pd.DataFrame({"g": ["a", "a", "a", "b"], "x": [1.0, 2, 4, 3], "y": [2.0, 4, 5, np.nan]})
    overall = change_table(df, pre="x", post="y")
    assert len(overall) == 1 and overall["n"].iloc[0] == 3 and overall["n_pre"].iloc[0] == 4
    grouped = change_table(df, pre="x", post="y", by="g")
    b = grouped.set_index("g").loc["b"]
    assert b["n"] == 0 and b["n_pre"] == 1 and np.isnan(b["d_z"])


def test_change_table_bad_input(data: pd.DataFrame) -> None:
    with pytest.raises(KeyError, match="nope"):
        change_table(data, pre="nope", post="post")
    with pytest.raises(ValueError, match="both sd and reliability"):
        change_table(data, pre="pre", post="post", sd=3)
    long = _long(data)
    with pytest.raises(ValueError, match="does not occur"):
        change_table(long, score="total", pre="baseline", post="followup")
    with pytest.raises(ValueError, match="repeat"):
        change_table(pd.concat([long, long.head(1)]), score="total", pre="baseline", post="end")


def test_pair_occasions_keeps_client_columns() -> None:
    long = pd.DataFrame({"client_id": ["a", "a", "b"], "occasion": ["end", "baseline", "end"],
                         "municipality": ["092", "092", "167"], "total": [5.0, 3.0, 7.0]})
    out = pair_occasions(long, "total", keep=["municipality"])
    assert out.loc["a"].tolist() == [3.0, 5.0, "092"]
    assert np.isnan(out.loc["b", "pre"]) and out.loc["b", "municipality"] == "167"


# --- instrument-aware convenience ------------------------------------------------------------

def _esis_long(seed: int = 1, n: int = 40) -> pd.DataFrame:
    rng = np.random.default_rng(seed)
    trait = rng.normal(size=n)
    rows = []
    for occasion, shift in (("baseline", 0.0), ("end", 0.4)):
        items = np.clip(np.rint(3 + trait[:, None] + shift + rng.normal(0, 0.7, (n, 10))), 1, 5)
        frame = pd.DataFrame(items, columns=[f"esis{i:02d}" for i in range(1, 11)])
        frame["total"] = (items.sum(axis=1) - 10) / 40 * 100
        frame["client_id"] = [f"{i:016x}" for i in range(n)]
        frame["occasion"] = occasion
        rows.append(frame)
    return pd.concat(rows, ignore_index=True)


def test_reliable_change_scores_uses_spec_alpha_and_data_sd() -> None:
    long = _esis_long()
    res = reliable_change_scores(long, "esis", "total")
    sd = long.loc[long["occasion"] == "baseline", "total"].std(ddof=1)
    assert res.attrs["sd"] == pytest.approx(sd) and res.attrs["sd_source"] == "data"
    assert res.attrs["reliability"] == 0.89
    assert res.attrs["reliability_source"] == "instrument spec"
    assert res.attrs["instrument"] == "esis" and res.attrs["scale"] == "total"
    expected = reliable_change(res["pre"], res["post"], sd=sd, reliability=0.89)
    pd.testing.assert_series_equal(res["rci"], expected["rci"])


def test_reliable_change_scores_overrides_and_direction() -> None:
    long = _esis_long().assign(total=lambda f: 48 - f["total"] * 0.48)  # fake WHODAS-like
    long = long.drop(columns=[c for c in long if c.startswith("esis")])
    res = reliable_change_scores(long, "whodas12", "total", sd=5.0, reliability=0.9,
                                 cutoff=20.0)
    assert res.attrs["higher_is_better"] is False
    assert res.attrs["sd_source"] == "argument" and res.attrs["reliability_source"] == "argument"
    assert set(res["category"].dropna().unique()) <= set(CS_CATEGORIES)


def test_reliable_change_scores_data_alpha() -> None:
    pytest.importorskip("soskulib.reliability")
    long = _esis_long()
    from soskulib import instruments
    from soskulib.reliability import cronbach_alpha

    esis = instruments.get("esis")
    spec_less = type(esis)(**{**esis.__dict__, "reliability": {}})
    res = reliable_change_scores(long, spec_less, "total")
    base = long[long["occasion"] == "baseline"][list(esis.items)]
    assert res.attrs["reliability_source"] == "data"
    assert res.attrs["reliability"] == pytest.approx(cronbach_alpha(base).alpha)


def test_reliable_change_scores_errors() -> None:
    long = _esis_long()
    with pytest.raises(KeyError, match="no scale"):
        reliable_change_scores(long, "esis", "nope")
    three = long.rename(columns={"total": "health"})
    with pytest.raises(ValueError, match="single item"):
        reliable_change_scores(three, "3x10d", "health")


# --- category rates --------------------------------------------------------------------------

def test_wilson_edge_cases() -> None:
    lo, hi = wilson_ci([0, 10, 0], [10, 10, 0])
    assert lo[0] == 0 and 0 < hi[0] < 0.35
    assert hi[1] == pytest.approx(1.0) and lo[1] > 0.65
    assert np.isnan(lo[2]) and np.isnan(hi[2])


def test_category_rates_zero_counts_and_missing() -> None:
    res = reliable_change([1, 1, 1, np.nan], [1, 1, 9, 2], sd=1, reliability=0.5)
    rates = category_rates(res)
    assert rates["category"].astype(str).tolist() == list(CATEGORIES)
    assert rates["n"].tolist() == [0, 2, 1]
    assert (rates["n_total"] == 3).all()
    assert rates["share"].sum() == pytest.approx(1.0)
    with pytest.raises(KeyError, match="category"):
        category_rates(res.drop(columns="category"))
    with pytest.raises(KeyError, match="grouping"):
        category_rates(res, by="municipality")


def test_labels_are_bilingual() -> None:
    assert set(CATEGORY_LABELS) == set(CS_CATEGORIES)
    assert all(len(v) == 2 and all(v) for v in CATEGORY_LABELS.values())


# --- bad input -------------------------------------------------------------------------------

@pytest.mark.parametrize(
    ("kwargs", "error", "match"),
    [
        ({"pre": [1, 2, 3], "post": [1, 2]}, ValueError, "same length"),
        ({"pre": ["a", "b"], "post": [1, 2]}, TypeError, "numeric"),
        ({"pre": [True, False], "post": [1, 2]}, TypeError, "numeric"),
        ({"reliability": 1.0}, ValueError, "between 0 and 1"),
        ({"reliability": 0.0}, ValueError, "between 0 and 1"),
        ({"reliability": -0.2}, ValueError, "between 0 and 1"),
        ({"reliability": "0.8"}, TypeError, "reliability"),
        ({"sd": 0}, ValueError, "positive"),
        ({"sd": -1.0}, ValueError, "positive"),
        ({"sd": float("nan")}, ValueError, "positive"),
        ({"method": "rci"}, ValueError, "method"),
        ({"critical_value": 0}, ValueError, "positive"),
    ],
)
def test_bad_input_raises(kwargs: dict, error: type, match: str) -> None:
    args = {"pre": [1.0, 2.0], "post": [3.0, 4.0], "sd": 2.0, "reliability": 0.8} | kwargs
    pre, post = args.pop("pre"), args.pop("post")
    with pytest.raises(error, match=match):
        reliable_change(pre, post, **args)


def test_ha_needs_enough_pairs() -> None:
    with pytest.raises(ValueError, match="at least 3"):
        reliable_change([1, 2], [2, 3], sd=1, reliability=0.8, method="ha")


# --- properties ------------------------------------------------------------------------------

scores = st.floats(-100, 100, allow_nan=False, allow_infinity=False)
pair_lists = st.integers(1, 25).flatmap(
    lambda n: st.tuples(st.lists(scores, min_size=n, max_size=n),
                        st.lists(scores, min_size=n, max_size=n)))
params = st.tuples(st.floats(0.1, 30), st.floats(0.01, 0.99))


@settings(max_examples=60, deadline=None)
@given(pair_lists, params)
def test_swap_flips_rci_and_category(pairs: tuple, p: tuple) -> None:
    pre, post = pairs
    sd, rel = p
    a = reliable_change(pre, post, sd=sd, reliability=rel)
    b = reliable_change(post, pre, sd=sd, reliability=rel)
    np.testing.assert_allclose(b["rci"], -a["rci"], atol=1e-12)
    mirror = {"improved": "deteriorated", "deteriorated": "improved", "unchanged": "unchanged"}
    assert b["category"].astype(str).tolist() == [mirror[c] for c in a["category"].astype(str)]


@settings(max_examples=60, deadline=None)
@given(pair_lists, params, st.sampled_from(["jt", "gln", "en"]))
def test_direction_flip_is_symmetric(pairs: tuple, p: tuple, method: str) -> None:
    pre, post = pairs
    sd, rel = p
    up = reliable_change(pre, post, sd=sd, reliability=rel, method=method)
    down = reliable_change(pre, post, sd=sd, reliability=rel, method=method,
                           higher_is_better=False)
    mirror = {"improved": "deteriorated", "deteriorated": "improved", "unchanged": "unchanged"}
    assert down["category"].astype(str).tolist() == [mirror[c] for c in up["category"].astype(str)]
    np.testing.assert_array_equal(up["rci"], down["rci"])


@settings(max_examples=60, deadline=None)
@given(pair_lists, params, scores, st.booleans())
def test_categories_exhaustive_and_exclusive(pairs: tuple, p: tuple, cutoff: float,
                                             hib: bool) -> None:
    pre, post = pairs
    sd, rel = p
    rc = reliable_change(pre, post, sd=sd, reliability=rel, higher_is_better=hib)
    cs = clinical_significance(pre, post, sd=sd, reliability=rel, cutoff=cutoff,
                               higher_is_better=hib)
    assert rc["category"].notna().all() and cs["category"].notna().all()
    assert set(rc["category"].astype(str)) <= set(CATEGORIES)
    # Recovered is a subset of reliably improved; every other category is unchanged.
    improved_rc = rc["category"] == "improved"
    assert (cs["category"].isin(["improved", "recovered"]) == improved_rc).all()
    same = ~improved_rc
    assert (cs["category"][same].astype(str) == rc["category"][same].astype(str)).all()
    counts = category_rates(cs)
    assert counts["n"].sum() == len(pre)


@settings(max_examples=30, deadline=None)
@given(pair_lists, params, st.floats(0.1, 10), st.floats(-50, 50))
def test_jt_invariant_to_linear_rescaling(pairs: tuple, p: tuple, a: float, b: float) -> None:
    pre, post = np.array(pairs[0]), np.array(pairs[1])
    sd, rel = p
    x = reliable_change(pre, post, sd=sd, reliability=rel)
    y = reliable_change(a * pre + b, a * post + b, sd=a * sd, reliability=rel)
    np.testing.assert_allclose(y["rci"], x["rci"], rtol=1e-7, atol=1e-7)


def test_million_pairs_is_fast() -> None:
    import time

    rng = np.random.default_rng(7)
    pre = rng.normal(50, 10, 1_000_000)
    post = pre + rng.normal(2, 5, 1_000_000)
    start = time.perf_counter()
    res = reliable_change(pre, post, sd=10, reliability=0.85)
    elapsed = time.perf_counter() - start
    assert len(res) == 1_000_000
    assert elapsed < 2.0, f"reliable_change on 1M pairs took {elapsed:.2f} s"


def test_works_on_scoring_output() -> None:
    scoring = pytest.importorskip("soskulib.scoring")
    responses = _esis_long().drop(columns="total")
    scored = scoring.score(responses, "esis", keep=True)
    res = reliable_change_scores(scored, "esis", "total")
    assert res.attrs["reliability_source"] == "instrument spec"
    assert len(res) == responses["client_id"].nunique()
    tab = change_table(scored, score="total", pre="baseline", post="end",
                       sd=res.attrs["sd"], reliability=res.attrs["reliability"])
    assert tab["n_improved"].iloc[0] == (res["category"] == "improved").sum()


def test_change_table_is_marked_analysis_only_and_warns_on_small_groups():
    import warnings as _warnings

    from soskulib import publication

    wide = pd.DataFrame({"g": ["x"] * 6 + ["y"] * 2,
                         "t0": [10, 12, 14, 16, 11, 13, 10, 11.0],
                         "t1": [12, 15, 15, 20, 12, 15, 10, 14.0]})
    with pytest.warns(publication.PublicationWarning, match="fewer than 5 people"):
        table = change.change_table(wide, pre="t0", post="t1", by="g")
    assert table.attrs["publishable"] is False and table.attrs["small_groups"] == 2
    assert "analysis only" in publication.describe(table)
    # A caller that protects the table itself switches the warning off.
    with _warnings.catch_warnings():
        _warnings.simplefilter("error")
        change.change_table(wide, pre="t0", post="t1", by="g", warn_below=None)


def test_reliable_change_keywords_are_declared_once_and_keep_the_contract():
    """CONTRACT: reliable_change(pre, post, *, sd, reliability, higher_is_better=True) and
    clinical_significance(..., cutoff, ...); both take the keywords of ReliableChangeRule."""
    import dataclasses
    import inspect

    rule_fields = [f.name for f in dataclasses.fields(change.ReliableChangeRule)]
    rc = inspect.signature(change.reliable_change).parameters
    cs = inspect.signature(change.clinical_significance).parameters
    assert list(rc) == ["pre", "post", *rule_fields]
    assert list(cs) == ["pre", "post", "cutoff", *rule_fields]
    for params in (rc, cs):
        assert params["sd"].default is inspect.Parameter.empty
        assert params["reliability"].default is inspect.Parameter.empty
        assert params["higher_is_better"].default is True and params["method"].default == "jt"
        assert all(params[n].kind is inspect.Parameter.KEYWORD_ONLY for n in rule_fields)
    with pytest.raises(TypeError, match=r"^reliable_change\(\): .*'reliability'"):
        change.reliable_change([1.0], [2.0], sd=1.0)
    with pytest.raises(TypeError, match=r"^clinical_significance\(\): .*'cutoff'"):
        change.clinical_significance([1.0], [2.0], sd=1.0, reliability=0.8)
    # the same rule gives the same reliable-change part in both
    pre, post = [10, 12, 30, 22], [16, 12, 24, 30]
    rc_out = change.reliable_change(pre, post, sd=4, reliability=0.8, method="gln", mean=20)
    cs_out = change.clinical_significance(pre, post, sd=4, reliability=0.8, method="gln",
                                          mean=20, cutoff=25)
    assert rc_out["rci"].tolist() == cs_out["rci"].tolist()
    assert cs_out.attrs == {**rc_out.attrs, "cutoff": 25.0}
