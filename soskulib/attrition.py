r"""Missing end assessments: who completed, and how the change of all starters may differ.

About half of the clients with a baseline assessment have no end assessment. Complete pairs
estimate the change of the **completers**; the programme's question is the change of all
**starters** (every client with a baseline). This module describes the two groups and
stress-tests the complete-case change with two standard sensitivity analyses:

* :func:`compare_completers` — baseline score, age, gender, target group and dose of
  completers vs non-completers with standardised differences (Austin 2009):
  :math:`d = (\bar x_1 - \bar x_0) / \sqrt{(s_1^2 + s_0^2)/2}` for numbers and
  :math:`d = (p_1 - p_0) / \sqrt{(p_1(1-p_1) + p_0(1-p_0))/2}` for shares.
* :func:`ipw_change` — inverse-probability weighting: a logistic regression of completing on
  baseline characteristics (statsmodels ``GLM(Binomial)``, as R ``glm(family = binomial)``),
  weights :math:`w = 1/\hat p` on the completers, the Hájek-weighted mean change and its
  linearisation variance (R ``survey::svymean``), standardised by the baseline SD of all
  starters. Valid when completing depends only on the covariates (missing at random, MAR).
* :func:`delta_mi` — delta-adjusted pattern-mixture multiple imputation (Rubin 1987; van
  Buuren 2018, *Flexible Imputation of Missing Data* §9.2): the end score is imputed under MAR
  by predictive mean matching (statsmodels ``MICEData``, as R ``mice(method = "pmm")``), then
  every imputed end score is moved by ``δ`` baseline SDs (negative = non-completers fared
  worse than similar completers), and the estimates are pooled by Rubin's rules.
  :func:`tipping_point` finds the ``δ`` at which the improvement vanishes.

Positive changes are improvements throughout (scores are oriented, WHODAS sign-flipped). The
standardised change is the reports' SMCR (:mod:`soskulib.standardised`): mean change / SD of
the baseline score, here of all starters.

Examples
--------
>>> import numpy as np, pandas as pd
>>> rng = np.random.default_rng(3)
>>> pre = rng.normal(50, 10, 200)
>>> post = pre + 5 + rng.normal(0, 8, 200)
>>> done = rng.random(200) < 1 / (1 + np.exp(-(pre - 50) / 10))
>>> data = pd.DataFrame({"group": "A", "pre": pre, "post": np.where(done, post, np.nan),
...                      "age": rng.integers(20, 60, 200), "female": rng.random(200) < .4})
>>> data["completed"] = done
>>> ipw = ipw_change(data, by=["group"])
>>> bool(0.3 < ipw["yi"].iloc[0] < 0.7)
True
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence

import numpy as np
import pandas as pd
from scipy import stats

from soskulib.checks import require_columns
from soskulib.effectsize import hedges_j_exact
from soskulib.frames import groups

#: Baseline characteristics the completion (IPW) and imputation (MI) models condition on.
COVARIATES: tuple[str, ...] = ("pre", "age", "female")

#: Smallest complete-case bias (SMCR) for which :func:`truth_comparison` gives the share of it
#: that IPW/MI remove.
RECOVERY_MIN_BIAS = 0.02

#: Default grid of the delta adjustment, in baseline SDs (0 = MAR).
DELTAS: tuple[float, ...] = tuple(np.round(np.arange(0.0, -1.01, -0.1), 2))


def _require(df: pd.DataFrame, columns: Sequence[str], what: str) -> None:
    require_columns(df, columns, what, hint="build the data with attrition.starters()")


def starters(
    responses: Mapping[str, pd.DataFrame],
    clients: pd.DataFrame,
    episodes: pd.DataFrame | None = None,
    *,
    pre: str = "baseline",
    post: str = "end",
) -> pd.DataFrame:
    """One row per instrument × client with a scored baseline: the starters.

    Parameters
    ----------
    responses : mapping
        ``{instrument id: processed responses_<id> table}``.
    clients : DataFrame
        Processed ``clients`` (``gender, age, age_group, target_group``; the first episode's
        values are used).
    episodes : DataFrame, optional
        :func:`soskulib.process.client_episodes` output; adds the dose ``hours``.
    pre, post : str
        Occasions of the baseline and the end assessment.

    Returns
    -------
    DataFrame
        ``instrument, name, municipality, client_id, pre, post, completed, pre_raw, post_raw,
        higher_is_better, gender, female, age, age_group, target_group`` (+ ``hours``).
        ``pre``/``post`` are oriented (positive change = improvement; sign-flipped where lower
        is better), ``pre_raw``/``post_raw`` on the instrument's own scale; ``post`` is NaN
        for non-completers.
    """
    from soskulib import instruments, outcomes

    attributes = ["gender", "age", "age_group", "target_group"]
    scored = outcomes.scored_responses(responses, clients, attributes=attributes)
    parts = []
    for inst_id, frame in scored.items():
        inst = instruments.get(inst_id)
        better = bool(inst.scales[inst.headline].higher_is_better)
        keys = ["client_id", "municipality"]
        base = frame.loc[(frame["occasion"] == pre) & frame["score"].notna()]
        base = base.sort_values([*keys, "date"]).drop_duplicates(keys)
        end = frame.loc[(frame["occasion"] == post) & frame["score"].notna()]
        end = end.sort_values([*keys, "date"]).drop_duplicates(keys, keep="last")
        table = base[[*keys, "score", *attributes]].rename(columns={"score": "pre_raw"}).merge(
            end[[*keys, "score"]].rename(columns={"score": "post_raw"}), on=keys, how="left")
        sign = 1.0 if better else -1.0
        table["pre"] = sign * table["pre_raw"]
        table["post"] = sign * table["post_raw"]
        table["completed"] = table["post"].notna()
        table["higher_is_better"] = better
        table.insert(0, "instrument", inst_id)
        table.insert(1, "name", inst.name)
        parts.append(table)
    columns = ["instrument", "name", "municipality", "client_id", "pre", "post", "completed",
               "pre_raw", "post_raw", "higher_is_better", "gender", "female", "age", "age_group",
               "target_group"]
    if not parts:
        return pd.DataFrame(columns=columns)
    out = pd.concat(parts, ignore_index=True)
    out["female"] = (out["gender"].astype(str) == "female").astype(float)
    out["age"] = pd.to_numeric(out["age"], errors="coerce").astype(float)
    out = out[columns]
    if episodes is not None and "hours" in episodes.columns:
        hours = (episodes.groupby(["client_id", "municipality"], observed=True)["hours"].sum()
                 .rename("hours").reset_index())
        out = out.merge(hours, on=["client_id", "municipality"], how="left")
    return out


def standardised_difference(x1: np.ndarray, x0: np.ndarray, *, binary: bool = False) -> float:
    r"""Standardised difference between two groups (Austin 2009), group 1 minus group 0.

    Numbers: :math:`(\bar x_1 - \bar x_0) / \sqrt{(s_1^2 + s_0^2)/2}` with sample SDs
    (``ddof = 1``). Shares (``binary=True``, values 0/1):
    :math:`(p_1 - p_0) / \sqrt{(p_1(1 - p_1) + p_0(1 - p_0))/2}`. An absolute value above
    0.1 is the usual mark of a meaningful imbalance. Missing values are dropped.

    Parameters
    ----------
    x1, x0 : array_like
        Values of the two groups (completers, non-completers).
    binary : bool
        Values are 0/1 indicators.

    Returns
    -------
    float
        NaN when a group is empty or both variances are zero.

    References
    ----------
    Austin PC (2009). Balance diagnostics for comparing the distribution of baseline
    covariates between treatment groups in propensity-score matched samples. Statistics in
    Medicine 28:3083–3107, eqs. (1)–(2).

    Notes
    -----
    R (no package): ``(mean(x1) - mean(x0)) / sqrt((var(x1) + var(x0)) / 2)``; for shares
    ``(p1 - p0) / sqrt((p1 * (1 - p1) + p0 * (1 - p0)) / 2)``, as ``tableone``'s SMD.

    Examples
    --------
    >>> round(standardised_difference([52.0, 48, 55, 61], [45.0, 40, 50, 47]), 4)
    1.7411
    >>> round(standardised_difference([1, 1, 0, 0], [1, 0, 0, 0], binary=True), 4)
    0.5345
    """
    a = np.asarray(x1, dtype=float)
    b = np.asarray(x0, dtype=float)
    a, b = a[~np.isnan(a)], b[~np.isnan(b)]
    if len(a) == 0 or len(b) == 0:
        return float("nan")
    if binary:
        p1, p0 = a.mean(), b.mean()
        denom = np.sqrt((p1 * (1 - p1) + p0 * (1 - p0)) / 2)
        diff = p1 - p0
    else:
        if len(a) < 2 or len(b) < 2:
            return float("nan")
        denom = np.sqrt((a.var(ddof=1) + b.var(ddof=1)) / 2)
        diff = a.mean() - b.mean()
    return float(diff / denom) if denom > 0 else float("nan")


def publishable(data: pd.DataFrame, *, unit: str = "municipality",
                min_cell: int | None = None) -> pd.DataFrame:
    """Starters of the units whose own pages publish both their counts for the instrument.

    A national analysis of the starters counts the sum of the units' starters and complete
    pairs; where a unit's page hides its pairs (fewer than ``min_cell``) or its number of
    starters (1 … ``min_cell − 1`` without an end assessment: the set-minus-subset rule of
    :func:`soskulib.outcomes.outcome_summary`), the national count less the other units'
    published counts would give the hidden one back. Such a unit is left out of the national
    analyses of that instrument (its people are too few to publish there either).

    Parameters
    ----------
    data : DataFrame
        :func:`starters` output (``instrument``, ``unit``, ``completed``).
    unit : str
        The column of the units published on pages of their own.
    min_cell : int, optional
        Disclosure threshold (default :data:`soskulib.disclosure.MIN_CELL`).

    Returns
    -------
    DataFrame
        The rows of the units kept; ``attrs["left_out"]`` lists ``(instrument, unit)``.

    Examples
    --------
    >>> d = pd.DataFrame({"instrument": "esis", "municipality": ["092"] * 9 + ["410"] * 8,
    ...                   "completed": [True] * 6 + [False] * 3 + [True] * 8})
    >>> out = publishable(d)
    >>> sorted(out["municipality"].unique()), out.attrs["left_out"]
    (['410'], [('esis', '092')])
    """
    from soskulib import disclosure

    min_cell = disclosure.MIN_CELL if min_cell is None else min_cell
    _require(data, ["instrument", unit, "completed"], "publishable")
    done = data["completed"].astype(bool)
    counts = pd.DataFrame({"pairs": done, "rest": ~done}).groupby(
        [data["instrument"], data[unit]], observed=True).sum()
    small = ((counts["pairs"] < min_cell) | ((counts["rest"] > 0) & (counts["rest"] < min_cell)))
    left_out = [tuple(map(str, k)) for k in counts.index[small.to_numpy()]]
    keep = ~pd.MultiIndex.from_frame(data[["instrument", unit]].astype(str)).isin(left_out)
    out = data.loc[keep].reset_index(drop=True)
    out.attrs["left_out"] = left_out
    return out


def compare_completers(
    data: pd.DataFrame,
    *,
    by: Sequence[str] = ("instrument", "name"),
    min_cell: int | None = None,
    within: str | None = None,
) -> pd.DataFrame:
    """Completers vs non-completers: baseline score, age, gender, target group and dose.

    Parameters
    ----------
    data : DataFrame
        :func:`starters` output (one instrument or several; filter a municipality first for
        its page).
    by : sequence of str
        Grouping columns (one comparison per group).
    min_cell : int, optional
        Disclosure threshold (default :data:`soskulib.disclosure.MIN_CELL`). A group whose
        completers or non-completers are fewer is not compared; a share is published only
        when it stands for at least ``min_cell`` people and leaves at least ``min_cell`` in
        its group on both sides, otherwise the share and its standardised difference are
        left empty (a share times a published count would give the small count back). The
        levels of a variable are published all or none, so a hidden share cannot be recovered
        as 100 % minus the others; the one exception is the share of women, a binary split
        (women vs everyone else) whose both sides are checked.
    within : str, optional
        A column of units published on pages of their own (``"municipality"`` on the
        national page). A share here is the sum of the units' shares times their counts, so
        it is published only where every unit's own comparison would publish it too: the
        national women's share of the completers less the municipality pages' women would
        otherwise give back a municipality's hidden women (or a small target group).

    Returns
    -------
    DataFrame
        ``by…, variable, level, n_completers, n_non_completers, completers,
        non_completers, smd``. ``completers``/``non_completers`` are means for
        ``baseline`` (oriented score on the instrument's scale sign: see
        :func:`starters`, here the raw scale), ``age`` and ``hours``, and percentages for
        gender and target-group levels. ``smd`` = completers − non-completers
        (:func:`standardised_difference`).

    Examples
    --------
    >>> d = pd.DataFrame({"instrument": "esis", "name": "ESIS", "completed": [True] * 6 + [False] * 6,
    ...                   "pre_raw": [50.0, 55, 60, 52, 58, 61, 40, 45, 50, 42, 44, 48],
    ...                   "age": [30.0] * 12, "gender": ["female", "male"] * 6,
    ...                   "target_group": "young_adult"})
    >>> row = compare_completers(d).iloc[0]
    >>> row["variable"], round(float(row["completers"]), 2), round(float(row["non_completers"]), 2)
    ('baseline', 56.0, 44.83)
    """
    from soskulib import disclosure, schema

    min_cell = disclosure.MIN_CELL if min_cell is None else min_cell
    by = list(by)
    _require(data, [*by, "completed", "pre_raw"], "compare_completers")
    rows = []
    numbers = [("baseline", "pre_raw"), ("age", "age"), ("hours", "hours")]
    def safe_levels(group: pd.DataFrame, variable: str) -> set[str]:
        """Levels whose shares a comparison of ``group`` publishes (the rules below)."""
        done = group["completed"].astype(bool).to_numpy()
        if int(done.sum()) < min_cell or int((~done).sum()) < min_cell:
            return set()
        values = group[variable].astype(str).to_numpy()
        safe = set()
        cells = {lv: [int((values == lv)[done].sum()), int((values != lv)[done].sum()),
                      int((values == lv)[~done].sum()), int((values != lv)[~done].sum())]
                 for lv in set(values)}
        if all(min(c) >= min_cell for c in cells.values()):
            return set(cells)
        if variable == "gender" and min(cells.get("female", [0])) >= min_cell:
            safe.add("female")
        return safe

    for keys, group in groups(data, by):
        done = group["completed"].astype(bool).to_numpy()
        n1, n0 = int(done.sum()), int((~done).sum())
        if n1 < min_cell or n0 < min_cell:
            continue
        in_units = None
        if within is not None and within in group.columns:
            in_units = {}
            for variable in ("gender", "target_group"):
                if variable not in group.columns:
                    continue
                levels = set(group[variable].astype(str))
                unsafe = set()
                for _, part in group.groupby(within):  # a level a unit lacks adds nothing
                    unsafe |= set(part[variable].astype(str)) - safe_levels(part, variable)
                if not unsafe:
                    in_units[variable] = levels
                elif variable == "gender" and "female" not in unsafe:  # the binary split
                    in_units[variable] = {"female"}
                else:  # all levels or none, as below
                    in_units[variable] = set()
        base = keys | {"n_completers": n1, "n_non_completers": n0}
        for variable, column in numbers:
            if column not in group.columns:
                continue
            x = pd.to_numeric(group[column], errors="coerce").to_numpy(float)
            rows.append(base | {"variable": variable, "level": "",
                                "completers": float(np.nanmean(x[done])),
                                "non_completers": float(np.nanmean(x[~done])),
                                "smd": standardised_difference(x[done], x[~done])})
        for variable in ("gender", "target_group"):
            if variable not in group.columns:
                continue
            values = group[variable].astype(str).to_numpy()
            levels = schema.in_display_order(variable, set(values))  # as every table lists them
            # all levels or none: one hidden share would follow from the others by subtraction
            every = all(min(int((values == lv)[done].sum()), int((values != lv)[done].sum()),
                            int((values == lv)[~done].sum()), int((values != lv)[~done].sum()))
                        >= min_cell for lv in levels)
            for level in levels:
                hit = values == level
                counts = [int((hit & done).sum()), int((~hit & done).sum()),
                          int((hit & ~done).sum()), int((~hit & ~done).sum())]
                safe = every or (
                    variable == "gender" and level == "female" and min(counts) >= min_cell)
                if in_units is not None:
                    safe = safe and level in in_units[variable]
                rows.append(base | {
                    "variable": variable, "level": level,
                    "completers": 100 * counts[0] / n1 if safe else np.nan,
                    "non_completers": 100 * counts[2] / n0 if safe else np.nan,
                    "smd": standardised_difference(hit[done], hit[~done], binary=True)
                    if safe else np.nan})
    columns = [*by, "variable", "level", "n_completers", "n_non_completers", "completers",
               "non_completers", "smd"]
    return pd.DataFrame(rows, columns=columns)


def _design(group: pd.DataFrame, covariates: Sequence[str]) -> np.ndarray:
    """Intercept + covariates (constant ones dropped: a municipality with one gender)."""
    x = group[list(covariates)].apply(pd.to_numeric, errors="coerce").to_numpy(float)
    keep = [j for j in range(x.shape[1]) if np.nanstd(x[:, j]) > 0]
    return np.column_stack([np.ones(len(group)), x[:, keep]])


def completion_probability(group: pd.DataFrame, covariates: Sequence[str] = COVARIATES) -> np.ndarray:
    """Fitted probability of completing from a logistic regression on baseline covariates.

    statsmodels ``GLM(completed, [1, covariates], family=Binomial())`` (maximum likelihood;
    R ``glm(completed ~ pre + age + female, family = binomial)``). Covariates that are
    constant in the group are dropped.

    Parameters
    ----------
    group : DataFrame
        Starters of one group with ``completed`` and the covariates.
    covariates : sequence of str
        Columns of the completion model.

    Returns
    -------
    ndarray
        ``P(completed)`` per row.

    Examples
    --------
    >>> g = pd.DataFrame({"completed": [1, 0, 1, 1, 0, 1, 0, 1], "pre": [5.0, 1, 4, 2, 3, 6, 2, 3]})
    >>> completion_probability(g, ["pre"]).round(3).tolist()
    [0.978, 0.097, 0.907, 0.326, 0.685, 0.995, 0.326, 0.685]
    """
    import statsmodels.api as sm

    _require(group, ["completed", *covariates], "completion_probability")
    y = group["completed"].astype(float).to_numpy()
    x = _design(group, covariates)
    fit = sm.GLM(y, x, family=sm.families.Binomial()).fit()
    return np.asarray(fit.fittedvalues, dtype=float)


def ipw_change(
    data: pd.DataFrame,
    *,
    by: Sequence[str] = ("instrument", "municipality"),
    covariates: Sequence[str] = COVARIATES,
    min_completers: int = 10,
) -> pd.DataFrame:
    r"""Starters' standardised change by inverse-probability weighting of the completers.

    Per group: :math:`\hat p_i` from :func:`completion_probability`, weights
    :math:`w_i = 1/\hat p_i` on the completers, the Hájek mean change
    :math:`\bar d_w = \sum w_i d_i / \sum w_i` and its linearisation variance
    :math:`\hat V = \frac{n}{n-1} \sum w_i^2 (d_i - \bar d_w)^2 / (\sum w_i)^2` (n completers;
    R ``survey::svymean(~d, svydesign(ids = ~1, weights = ~w))``). The change is
    standardised by the SD of the baseline score of **all starters** ``s`` (observed for
    everyone): :math:`y = J \bar d_w / s`, :math:`v = \hat V / s^2 + y^2 / (2 N)` (N
    starters; the second term is the SD's uncertainty, as in metafor's SMCR). Treating
    :math:`\hat p` as known makes :math:`\hat V` conservative (Lunceford & Davidian 2004).

    Parameters
    ----------
    data : DataFrame
        :func:`starters` output.
    by : sequence of str
        One estimate per group (e.g. instrument × municipality).
    covariates : sequence of str
        Baseline columns of the completion model.
    min_completers : int
        Groups with fewer completers or non-completers are left out.

    Returns
    -------
    DataFrame
        ``by…, n_starters, n_completers, ess, mean_change, se_change, yi, vi``
        (``ess`` = Kish's effective sample size of the weights).

    References
    ----------
    Seaman SR, White IR (2013). Review of inverse probability weighting for dealing with
    missing data. Statistical Methods in Medical Research 22:278–295.
    Lunceford JK, Davidian M (2004). Statistics in Medicine 23:2937–2960.

    Examples
    --------
    >>> d = pd.DataFrame({"g": "A", "pre": [1.0, 2, 3, 4, 5, 6, 2, 3, 4, 5],
    ...                   "post": [2.0, 3, np.nan, 6, 6, np.nan, 3, np.nan, 5, 7],
    ...                   "completed": [1, 1, 0, 1, 1, 0, 1, 0, 1, 1]})
    >>> ipw_change(d, by=["g"], covariates=["pre"], min_completers=3)[["n_completers", "mean_change"]].round(4)
       n_completers  mean_change
    0             7       1.3158
    """
    by = list(by)
    _require(data, [*by, "pre", "post", "completed", *covariates], "ipw_change")
    rows = []
    for keys, group in groups(data, by):
        done = group["completed"].astype(bool).to_numpy()
        n, n1 = len(group), int(done.sum())
        if n1 < min_completers or n - n1 < min_completers:
            continue
        p = completion_probability(group.assign(completed=done), covariates)
        w = 1 / p[done]
        d = (group["post"].to_numpy(float) - group["pre"].to_numpy(float))[done]
        mean = float(np.sum(w * d) / np.sum(w))
        var = float(n1 / (n1 - 1) * np.sum(w**2 * (d - mean) ** 2) / np.sum(w) ** 2)
        s = float(group["pre"].std(ddof=1))
        yi = float(hedges_j_exact(n - 1) * mean / s)
        rows.append(keys | {
            "n_starters": n, "n_completers": n1, "ess": float(np.sum(w) ** 2 / np.sum(w**2)),
            "mean_change": mean, "se_change": np.sqrt(var), "yi": yi,
            "vi": var / s**2 + yi**2 / (2 * n)})
    return pd.DataFrame(rows, columns=[*by, "n_starters", "n_completers", "ess", "mean_change",
                                       "se_change", "yi", "vi"])


def _smcr_starters(pre: np.ndarray, post: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """SMCR of complete (imputed) data and metafor's large-sample variance.

    ``post`` is one data set's end scores (shape ``(n,)``) or one per row (``(k, n)``, e.g.
    every imputation and δ at once, any leading axes); ``yi`` and ``vi`` have its leading shape.
    :math:`y = J (\\bar x_2 - \\bar x_1) / s_1`, :math:`v = 2(1 - r)/n + y^2/(2n)` with
    Pearson's ``r`` of baseline and end score (metafor ``escalc("SMCR")``).
    """
    n = pre.shape[-1]
    s = pre.std(ddof=1)
    yi = hedges_j_exact(n - 1) * (post.mean(axis=-1) - pre.mean()) / s
    if post.ndim == 1:  # one data set (the complete cases): numpy's own Pearson r
        r = np.corrcoef(pre, post)[0, 1]
    else:  # the same r for every row at once; equal to np.corrcoef's within ~1e-16
        a = pre - pre.mean()
        b = post - post.mean(axis=-1, keepdims=True)
        r = np.clip((b @ a) / np.sqrt((a @ a) * np.einsum("...i,...i->...", b, b)), -1.0, 1.0)
    return yi, 2 * (1 - r) / n + yi**2 / (2 * n)


def _pmm_draws(frame: pd.DataFrame, predictors: Sequence[str], *, m: int, k_pmm: int,
               rng: np.random.Generator) -> np.ndarray:
    """``m`` draws of the missing ``post`` as statsmodels ``MICEData`` makes them, draw for draw.

    ``MICEData`` refits the conditional model at every update (and re-evaluates its formula
    with patsy twice), because in a general chain the predictors are themselves imputed and
    change between updates. Here ``post`` is the only incomplete column, so its OLS fit on
    the observed cases (intercept + the numeric predictors, what patsy builds from
    ``post ~ x0 + x1 + …``), the coefficients and their covariance never change: the fit is
    made once. Each draw then does what ``MICEData.update`` does: Gaussian perturbation of
    the coefficients (``rng.multivariate_normal``), then predictive mean matching among the
    ``k_pmm`` nearest observed cases on either side (``MICEData.impute_pmm``), on the same
    random stream, so the draws are bit-identical to plain ``MICEData``
    (``tests/test_attrition.py``). With an incomplete predictor the chain is a real one and
    plain ``MICEData`` is used.
    """
    from statsmodels.imputation.mice import MICEData
    from statsmodels.regression.linear_model import OLS

    predictors = list(predictors)
    missing = frame["post"].isna().to_numpy()
    if not predictors or frame[predictors].isna().any().any() or missing.all() or not missing.any():
        imp = MICEData(frame, k_pmm=k_pmm, rng=rng)
        imp.set_imputer("post", formula=" + ".join(predictors) if predictors else "1", k_pmm=k_pmm)
        draws = np.empty((m, int(missing.sum())))
        for j in range(m):
            imp.update_all(1)
            draws[j] = imp.data["post"].to_numpy(float)[missing]
        return draws

    exog = np.column_stack([np.ones(len(frame)), frame[predictors].to_numpy(float)])
    endog = frame[["post"]].to_numpy(float)
    obs, miss = np.flatnonzero(~missing), np.flatnonzero(missing)
    fit = OLS(endog[obs, 0], exog[obs]).fit()
    mean, cov = fit.params, fit.cov_params()
    endog_obs, exog_obs, exog_miss = endog[obs], exog[obs], exog[miss]
    last = len(obs) - 1
    offsets = np.arange(-k_pmm, k_pmm)[None, :]
    rows = np.arange(len(miss))
    draws = np.empty((m, len(miss)))
    for j in range(m):
        params = rng.multivariate_normal(mean=mean, cov=cov)
        predicted_obs = np.dot(exog_obs, params)
        predicted_miss = np.dot(exog_miss, params)
        order = np.argsort(predicted_obs)
        sorted_obs, predicted_obs = endog_obs[order], predicted_obs[order]
        near = np.searchsorted(predicted_obs, predicted_miss)[:, None] + offsets
        outside = np.nonzero((near < 0) | (near > last))
        near = np.clip(near, 0, last)
        distance = np.abs(predicted_miss[:, None] - predicted_obs[near])
        distance[outside] = np.inf
        closest = np.argsort(distance, 1)[:, 0:k_pmm]
        pick = closest[(rows, rng.integers(0, k_pmm, len(miss)))]
        draws[j] = np.array(sorted_obs[near[(rows, pick)]]).reshape(-1)
    return draws


def impute_end_scores(group: pd.DataFrame, *, m: int = 20, covariates: Sequence[str] = COVARIATES,
                      seed: int = 2015, k_pmm: int = 5) -> np.ndarray:
    """``m`` MAR imputations of the missing end scores by predictive mean matching.

    statsmodels ``MICEData`` (Gaussian perturbation of the OLS coefficients of ``post`` on
    the covariates, then predictive mean matching among the ``k_pmm`` nearest observed
    cases; 5 donors as mice's default, Morris, White & Royston 2014, BMC Med Res Methodol
    14:75). ``post`` is the only incomplete column, so one update of the chain per
    imputation is a proper draw (Rubin 1987; R ``mice(method = "pmm", maxit = 1)``).

    Parameters
    ----------
    group : DataFrame
        Starters of one group: ``post`` (NaN for non-completers) and the covariates.
    m : int
        Number of imputations.
    covariates : sequence of str
        Predictors of the imputation model (constant ones dropped).
    seed : int
        Seed of the imputation's random generator.
    k_pmm : int
        Donor pool size of the predictive mean matching.

    Returns
    -------
    ndarray
        Shape ``(m, number of missing end scores)``, in row order.

    Examples
    --------
    >>> g = pd.DataFrame({"pre": np.arange(30.0), "post": np.where(np.arange(30) % 3, np.arange(30.0) + 2, np.nan)})
    >>> impute_end_scores(g, m=4, covariates=["pre"]).shape
    (4, 10)
    """
    _require(group, ["post", *covariates], "impute_end_scores")
    x = group[list(covariates)].apply(pd.to_numeric, errors="coerce").astype(float)
    x = x.loc[:, x.std(ddof=0) > 0]
    names = {c: f"x{j}" for j, c in enumerate(x.columns)}
    frame = x.rename(columns=names).assign(post=group["post"].to_numpy(float)).reset_index(drop=True)
    return _pmm_draws(frame, list(names.values()), m=m, k_pmm=k_pmm,
                      rng=np.random.default_rng(seed))


def delta_mi(
    data: pd.DataFrame,
    *,
    by: Sequence[str] = ("instrument", "municipality"),
    deltas: Sequence[float] = DELTAS,
    m: int = 20,
    covariates: Sequence[str] = COVARIATES,
    seed: int = 2015,
    min_completers: int = 10,
) -> pd.DataFrame:
    r"""Starters' SMCR under delta-adjusted multiple imputation (pattern mixture), per group and δ.

    :func:`impute_end_scores` draws ``m`` MAR imputations once; for each ``δ`` every imputed
    (oriented) end score is moved by :math:`\delta \cdot s` (``s`` = SD of all starters'
    baseline; ``δ < 0``: non-completers fared worse than completers like them), the SMCR of
    all starters and metafor's variance :math:`v = 2(1-r)/N + y^2/(2N)` are computed per
    imputed data set and pooled by Rubin's rules: :math:`\bar Q = \frac1m \sum Q_j`,
    :math:`T = \bar U + (1 + 1/m) B`. With one incomplete variable, shifting after imputing
    is exactly mice's ``post`` adjustment (van Buuren 2018, §9.2; R
    ``post["post"] <- "imp[[j]][, i] <- imp[[j]][, i] + delta"``).

    Parameters
    ----------
    data : DataFrame
        :func:`starters` output.
    by : sequence of str
        One analysis per group.
    deltas : sequence of float
        Adjustments in baseline SDs (0 = MAR).
    m : int
        Imputations.
    covariates : sequence of str
        Imputation model predictors.
    seed : int
        Seed (each group gets its own stream from it).
    min_completers : int
        Groups with fewer completers are left out.

    Returns
    -------
    DataFrame
        ``by…, delta, n_starters, n_completers, yi, vi, fmi`` (``fmi`` = fraction of missing
        information, :math:`(1 + 1/m)B / T`).

    References
    ----------
    Rubin DB (1987). Multiple Imputation for Nonresponse in Surveys. Wiley.
    van Buuren S (2018). Flexible Imputation of Missing Data, 2nd ed., §9.2 (delta adjustment).
    Carpenter JR, Kenward MG (2013). Multiple Imputation and its Application, ch. 10.

    Examples
    --------
    >>> rng = np.random.default_rng(1)
    >>> pre = rng.normal(0, 1, 120)
    >>> d = pd.DataFrame({"g": "A", "pre": pre, "post": np.where(rng.random(120) < .6, pre + .4 + rng.normal(0, .7, 120), np.nan)})
    >>> d["completed"] = d["post"].notna()
    >>> out = delta_mi(d, by=["g"], deltas=[0.0, -0.5], m=5, covariates=["pre"])
    >>> bool(out["yi"].iloc[0] > out["yi"].iloc[1])
    True
    """
    by = list(by)
    _require(data, [*by, "pre", "post", "completed", *covariates], "delta_mi")
    rows = []
    for g, (keys, group) in enumerate(groups(data, by)):
        done = group["completed"].astype(bool).to_numpy()
        n, n1 = len(group), int(done.sum())
        if n1 < min_completers or n1 == n:
            continue
        pre = group["pre"].to_numpy(float)
        post = group["post"].to_numpy(float)
        draws = impute_end_scores(group, m=m, covariates=covariates, seed=seed * 1000 + g)
        s = pre.std(ddof=1)
        shifts = np.asarray(deltas, dtype=float) * s
        full = np.broadcast_to(post, (len(shifts), m, n)).copy()  # δ × imputation × starter
        full[:, :, ~done] = draws[None, :, :] + shifts[:, None, None]
        yis, vis = _smcr_starters(pre, full)
        for delta, q, u in zip(deltas, yis, vis, strict=True):
            b = q.var(ddof=1) if m > 1 else 0.0
            total = u.mean() + (1 + 1 / m) * b
            rows.append(keys | {
                "delta": float(delta), "n_starters": n, "n_completers": n1, "yi": float(q.mean()),
                "vi": float(total), "fmi": float((1 + 1 / m) * b / total) if total > 0 else 0.0})
    return pd.DataFrame(rows, columns=[*by, "delta", "n_starters", "n_completers", "yi", "vi", "fmi"])


def tipping_point(deltas: Sequence[float], values: Sequence[float]) -> float:
    """The δ at which ``values`` (estimate or CI limit, falling as δ falls) first reaches 0.

    Linear interpolation between the two grid points around the crossing, searching from
    δ = 0 towards more negative δ.

    Parameters
    ----------
    deltas : sequence of float
        Grid of δ (any order).
    values : sequence of float
        The quantity at each δ.

    Returns
    -------
    float
        The crossing δ; ``0.0`` if the value is already ≤ 0 at the δ nearest 0; NaN if it
        never reaches 0 on the grid.

    Examples
    --------
    >>> tipping_point([0.0, -0.5, -1.0], [0.30, 0.10, -0.10])
    -0.75
    >>> tipping_point([0.0, -0.5], [0.30, 0.10])
    nan
    """
    d = np.asarray(deltas, dtype=float)
    v = np.asarray(values, dtype=float)
    order = np.argsort(-d)
    d, v = d[order], v[order]
    if v[0] <= 0:
        return 0.0
    for i in range(1, len(d)):
        if v[i] <= 0:
            return float(d[i - 1] + (d[i] - d[i - 1]) * v[i - 1] / (v[i - 1] - v[i]))
    return float("nan")


def pooled_by_delta(mi: pd.DataFrame, *, by: Sequence[str] = ("instrument",), test: str = "z",
                    min_k: int = 2) -> pd.DataFrame:
    """Random-effects pooling (REML) of :func:`delta_mi` estimates across municipalities, per δ.

    Parameters
    ----------
    mi : DataFrame
        :func:`delta_mi` output with a ``municipality`` column.
    by : sequence of str
        Pool within these groups (e.g. instrument).
    test : {"z", "knha"}
        Inference of :func:`soskulib.meta.meta_analysis`.
    min_k : int
        Fewer municipalities: not pooled.

    Returns
    -------
    DataFrame
        ``by…, delta, k, estimate, ci_low, ci_high``.
    """
    from soskulib import meta

    rows = []
    for keys, part in groups(mi, [*by, "delta"]):
        if len(part) < min_k:
            continue
        fit = meta.meta_analysis(part["yi"].to_numpy(float), part["vi"].to_numpy(float),
                                 method="REML", test=test, control={"stepadj": 0.5, "maxiter": 1000})
        rows.append(keys | {
            "k": fit.k, "estimate": fit.estimate, "ci_low": fit.ci_low, "ci_high": fit.ci_high})
    return pd.DataFrame(rows, columns=[*by, "delta", "k", "estimate", "ci_low", "ci_high"])


def wald_ci(yi: np.ndarray | float, vi: np.ndarray | float, level: float = 0.95) -> tuple:
    """``yi ± z·√vi`` (the Wald interval of a standardised change).

    Examples
    --------
    >>> [round(float(x), 3) for x in wald_ci(0.3, 0.01)]
    [0.104, 0.496]
    """
    z = stats.norm.ppf(0.5 + level / 2)
    half = z * np.sqrt(vi)
    return yi - half, yi + half


def complete_case_change(data: pd.DataFrame, *, by: Sequence[str] = ("instrument", "municipality"),
                         min_completers: int = 10) -> pd.DataFrame:
    """Complete-case SMCR per group (completers only), as :func:`soskulib.effectsize.smcr`.

    ``y = J (mean_post − mean_pre) / SD_pre`` and ``v = 2(1 − r)/n + y²/(2n)`` over the
    completers (metafor ``escalc(measure = "SMCR")``), oriented. The same number as
    :func:`soskulib.synthesis.municipality_effects` for the same pairs (R example above:
    ``escalc("SMCR", m1i = 3.5, m2i = 2.5, sd1i = sd(1:4), ni = 4, ri = cor(1:4, c(2, 2, 4, 6)))``
    gives 0.5605).

    Parameters
    ----------
    data : DataFrame
        :func:`starters` output.
    by : sequence of str
        Groups.
    min_completers : int
        Smaller groups are left out.

    Returns
    -------
    DataFrame
        ``by…, n_completers, yi, vi``.

    Examples
    --------
    >>> d = pd.DataFrame({"g": "A", "pre": [1.0, 2, 3, 4, 5], "post": [2.0, 2, 4, 6, np.nan],
    ...                   "completed": [True, True, True, True, False]})
    >>> complete_case_change(d, by=["g"], min_completers=3)[["n_completers", "yi"]].round(4).to_dict("list")
    {'n_completers': [4], 'yi': [0.5605]}
    """
    by = list(by)
    done = data.loc[data["completed"].astype(bool)]
    rows = []
    for keys, group in groups(done, by):
        if len(group) < min_completers:
            continue
        yi, vi = _smcr_starters(group["pre"].to_numpy(float), group["post"].to_numpy(float))
        rows.append(keys | {"n_completers": len(group), "yi": float(yi), "vi": float(vi)})
    return pd.DataFrame(rows, columns=[*by, "n_completers", "yi", "vi"])


def _tipping_points(curve: pd.DataFrame, by: list[str]) -> pd.DataFrame:
    """``by…, tip_estimate, tip_ci``: where each group's curve (estimate, lower limit) reaches 0."""
    tips = [keys | {"tip_estimate": tipping_point(part["delta"], part["estimate"]),
                    "tip_ci": tipping_point(part["delta"], part["ci_low"])}
            for keys, part in groups(curve, by)]
    return pd.DataFrame(tips, columns=[*by, "tip_estimate", "tip_ci"])


def sensitivity(data: pd.DataFrame, *, by: Sequence[str] = ("instrument", "name", "municipality"),
                deltas: Sequence[float] = DELTAS, m: int = 20, seed: int = 2015,
                min_completers: int = 10, level: float = 0.95) -> tuple[pd.DataFrame, pd.DataFrame]:
    """Complete-case, IPW and MAR-MI changes side by side, with the tipping points, per group.

    Parameters
    ----------
    data : DataFrame
        :func:`starters` output.
    by : sequence of str
        Groups (a municipality's page: instrument × municipality).
    deltas, m, seed, min_completers
        Passed to :func:`delta_mi`.
    level : float
        Confidence level of the Wald intervals.

    Returns
    -------
    (DataFrame, DataFrame)
        The table ``by…, n_starters, n_completers, cc, cc_ci_low, cc_ci_high, ipw,
        ipw_ci_low, ipw_ci_high, mi, mi_ci_low, mi_ci_high, tip_estimate, tip_ci`` (``mi`` at
        δ = 0; ``tip_estimate``: δ at which the MI estimate reaches 0; ``tip_ci``: δ at which
        its lower CI limit does) and the curve ``by…, delta, estimate, ci_low, ci_high`` for
        the tipping-point figure.
    """
    by = list(by)
    cc = complete_case_change(data, by=by, min_completers=min_completers)
    ipw = ipw_change(data, by=by, min_completers=min_completers)
    mi = delta_mi(data, by=by, deltas=deltas, m=m, seed=seed, min_completers=min_completers)
    curve = mi.assign(estimate=mi["yi"])
    curve["ci_low"], curve["ci_high"] = wald_ci(mi["yi"], mi["vi"], level)
    curve = curve[[*by, "delta", "estimate", "ci_low", "ci_high"]]
    table = cc.rename(columns={"yi": "cc", "vi": "cc_vi"})
    table = table.merge(ipw[[*by, "n_starters", "yi", "vi"]].rename(columns={"yi": "ipw", "vi": "ipw_vi"}),
                        on=by, how="inner")
    at0 = mi.loc[mi["delta"] == 0, [*by, "yi", "vi"]].rename(columns={"yi": "mi", "vi": "mi_vi"})
    table = table.merge(at0, on=by, how="inner")
    for stem in ("cc", "ipw", "mi"):
        table[f"{stem}_ci_low"], table[f"{stem}_ci_high"] = wald_ci(table[stem], table[f"{stem}_vi"], level)
    table = table.merge(_tipping_points(curve, by), on=by, how="left")
    columns = [*by, "n_starters", "n_completers", "cc", "cc_ci_low", "cc_ci_high", "ipw",
               "ipw_ci_low", "ipw_ci_high", "mi", "mi_ci_low", "mi_ci_high", "tip_estimate", "tip_ci"]
    return table[columns], curve


def pooled_sensitivity(table: pd.DataFrame, curve: pd.DataFrame, *,
                       by: Sequence[str] = ("instrument", "name"), test: str = "knha",
                       min_k: int = 2) -> tuple[pd.DataFrame, pd.DataFrame]:
    """National pooling of :func:`sensitivity` (REML, ``test``) for each analysis and each δ.

    The per-municipality variances are recovered from the Wald limits, so the pooled
    complete-case, IPW and MI (δ = 0) changes use the same random-effects model as the
    national synthesis.

    Parameters
    ----------
    table, curve : DataFrame
        :func:`sensitivity` output with a ``municipality`` column.
    by : sequence of str
        Pool within these groups.
    test : {"z", "knha"}
        Inference of the pooled intervals.
    min_k : int
        Fewer municipalities: not pooled.

    Returns
    -------
    (DataFrame, DataFrame)
        ``by…, k, n_starters, n_completers, cc…, ipw…, mi…, tip_estimate, tip_ci`` and the
        pooled curve ``by…, delta, k, estimate, ci_low, ci_high``.
    """
    from soskulib import meta

    by = list(by)
    z = stats.norm.ppf(0.975)

    def fit(y: pd.Series, low: pd.Series) -> object:
        v = ((y - low) / z) ** 2
        return meta.meta_analysis(y.to_numpy(float), v.to_numpy(float), method="REML", test=test,
                                  control={"stepadj": 0.5, "maxiter": 1000})

    rows = []
    for keys, part in groups(table, by):
        if len(part) < min_k:
            continue
        row = keys | {"k": len(part),
                                                  "n_starters": int(part["n_starters"].sum()),
                                                  "n_completers": int(part["n_completers"].sum())}
        for stem in ("cc", "ipw", "mi"):
            res = fit(part[stem], part[f"{stem}_ci_low"])
            row |= {stem: res.estimate, f"{stem}_ci_low": res.ci_low, f"{stem}_ci_high": res.ci_high}
        rows.append(row)
    pooled = pd.DataFrame(rows)
    crows = []
    for keys, part in groups(curve, [*by, "delta"]):
        if len(part) < min_k:
            continue
        res = fit(part["estimate"], part["ci_low"])
        crows.append(keys | {
            "k": len(part), "estimate": res.estimate, "ci_low": res.ci_low, "ci_high": res.ci_high})
    pooled_curve = pd.DataFrame(crows, columns=[*by, "delta", "k", "estimate", "ci_low", "ci_high"])
    if pooled.empty:
        return pooled, pooled_curve
    pooled = pooled.merge(_tipping_points(pooled_curve, by), on=by, how="left")
    return pooled, pooled_curve


def truth_comparison(pooled: pd.DataFrame, truth: Mapping, *,
                     municipality: str | None = None) -> pd.DataFrame:
    """Demo only: complete-case, IPW and MI estimates beside the generator's two truths.

    How far complete pairs are off the starters' truth, and how much of that IPW and MI
    remove: ``recovered`` = 1 − bias / complete-case bias (1 = all of the complete-case bias
    removed, 0 = none, negative = more biased than complete pairs), left empty when complete
    pairs are off by less than :data:`RECOVERY_MIN_BIAS` (a share of almost nothing is noise).

    Parameters
    ----------
    pooled : DataFrame
        :func:`pooled_sensitivity` output (``instrument, name, cc…, ipw…, mi…``), or for one
        municipality :func:`sensitivity` output with ``municipality`` given.
    truth : mapping
        The demo's ``truth.json``: per instrument ``theta`` (all starters) and
        ``theta_completers`` per organisation.
    municipality : str, optional
        Compare with this organisation's own truths instead of the programme means.

    Returns
    -------
    DataFrame
        ``name, method, estimate, ci_low, ci_high, mu_starters, mu_completers, bias,
        bias_completers, recovered, covered``: ``mu_*`` are the programme means of the true
        changes over the organisations using the instrument (or the municipality's own);
        ``bias`` = estimate − ``mu_starters``, ``bias_completers`` = estimate −
        ``mu_completers``; ``covered`` whether the interval contains ``mu_starters``.

    Examples
    --------
    >>> p = pd.DataFrame({"instrument": ["esis"], "name": ["ESIS"], "cc": [0.4], "cc_ci_low": [0.35],
    ...                   "cc_ci_high": [0.5], "ipw": [0.38], "ipw_ci_low": [0.27], "ipw_ci_high": [0.49],
    ...                   "mi": [0.37], "mi_ci_low": [0.26], "mi_ci_high": [0.48]})
    >>> t = {"instruments": {"esis": {"theta": {"1": 0.3, "2": 0.36},
    ...                               "theta_completers": {"1": 0.38, "2": 0.42}}}}
    >>> truth_comparison(p, t)[["method", "bias", "recovered", "covered"]].round(3).to_dict("list")
    {'method': ['cc', 'ipw', 'mi'], 'bias': [0.07, 0.05, 0.04], 'recovered': [nan, 0.286, 0.429], 'covered': [False, True, True]}
    >>> truth_comparison(p, t, municipality="2")[["mu_starters", "bias"]].round(3).iloc[0].tolist()
    [0.36, 0.04]
    """
    rows = []
    for r in pooled.itertuples(index=False):
        spec = truth["instruments"].get(r.instrument)
        if spec is None or "theta_completers" not in spec:
            continue
        if municipality is None:
            mu_s = float(np.mean(list(spec["theta"].values())))
            mu_c = float(np.mean(list(spec["theta_completers"].values())))
        elif str(municipality) in spec["theta"]:
            mu_s = float(spec["theta"][str(municipality)])
            mu_c = float(spec["theta_completers"][str(municipality)])
        else:
            continue
        bias_cc = r.cc - mu_s
        for method in ("cc", "ipw", "mi"):
            est, low, high = (getattr(r, method), getattr(r, f"{method}_ci_low"),
                              getattr(r, f"{method}_ci_high"))
            recovered = (1 - (est - mu_s) / bias_cc
                         if method != "cc" and abs(bias_cc) >= RECOVERY_MIN_BIAS else float("nan"))
            rows.append({"name": r.name, "method": method, "estimate": est, "ci_low": low,
                         "ci_high": high, "mu_starters": mu_s, "mu_completers": mu_c,
                         "bias": est - mu_s, "bias_completers": est - mu_c,
                         "recovered": recovered, "covered": bool(low <= mu_s <= high)})
    return pd.DataFrame(rows, columns=["name", "method", "estimate", "ci_low", "ci_high",
                                       "mu_starters", "mu_completers", "bias", "bias_completers",
                                       "recovered", "covered"])
