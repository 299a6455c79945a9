"""National synthesis: municipality changes pooled by meta-analysis, with its cross-checks.

The national report pools each instrument's standardised mean change across municipalities
(:func:`municipality_effects` → :func:`meta_by_instrument`, :mod:`soskulib.meta`), splits and
regresses it on municipality-level process measures (:func:`subgroup_table`,
:func:`moderators`, :func:`meta_regressions`), states the uncertainty of its heterogeneity
(:func:`heterogeneity_table`, Q-profile CIs), checks its robustness
(:func:`leave_one_out_table`, :func:`influence_table`, the cumulative picture ordered by
:func:`municipality_start`, the mixed model :func:`change_score_model`), relates client
change to dose and fidelity (:func:`mechanisms`, associations only) and, on the demo data,
compares the estimates with the generator's truth (:func:`truth_table`, :func:`coverage`).
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence

import numpy as np
import pandas as pd

from soskulib import disclosure, instruments, schema
from soskulib.checks import require_columns, require_responses
from soskulib.frames import TableOptions, protect, table_options
from soskulib.intervals import normal_quantile
from soskulib.outcomes import outcome_summary, scored_responses
from soskulib.process import FIDELITY_ELEMENTS, reach

__all__ = [
    "municipality_effects",
    "meta_by_instrument",
    "pooled_table",
    "subgroup_table",
    "moderators",
    "meta_regressions",
    "leave_one_out_table",
    "heterogeneity_table",
    "influence_table",
    "municipality_start",
    "start_order",
    "combined_outcome_table",
    "truth_table",
    "coverage",
    "change_score_model",
    "mechanisms",
]


@table_options("by", "pre", "post")
def municipality_effects(
    responses: Mapping[str, pd.DataFrame],
    clients: pd.DataFrame | None = None,
    *,
    min_pairs: int = 10,
    options: TableOptions,
) -> pd.DataFrame:
    """Standardised mean change (SMCR) per municipality and instrument: the meta-analysis input.

    ``change_table(by=["municipality", *by])`` → :func:`soskulib.effectsize.smcr` (metafor
    ``escalc(measure = "SMCR")``: ``yi = J (mean_post − mean_pre) / sd_pre``,
    ``vi = 2(1 − r)/n + yi²/(2n)``), sign-oriented so a positive ``yi`` is an improvement.
    Municipalities (or municipality × subgroup cells) with fewer than ``min_pairs`` complete
    pairs are left out: their SMCR is too unstable to pool and ``min_pairs`` ≥ 5 keeps every
    published count above the disclosure threshold.

    Returns
    -------
    DataFrame
        ``instrument, name, municipality, by…, n, mean_pre, sd_pre, mean_post, r_prepost,
        yi, vi``.
    """
    from soskulib import change, effectsize, instruments

    if min_pairs < disclosure.MIN_CELL:
        raise ValueError(f"min_pairs must be at least {disclosure.MIN_CELL} (disclosure rule)")
    groups = ["municipality", *options.by]
    scored = scored_responses(require_responses(responses, "municipality_effects"), clients,
                              attributes=options.by)
    parts = []
    for inst_id, frame in scored.items():
        if not {options.pre, options.post} <= set(frame["occasion"].dropna()):
            continue
        better = instruments.get(inst_id).headline_higher_is_better
        table = change.change_table(frame, score="score", pre=options.pre, post=options.post, by=groups,
                                    higher_is_better=better, warn_below=None)
        table = table.loc[table["n"] >= min_pairs]
        if table.empty:
            continue
        es = effectsize.smcr(table, higher_is_better=better,
                             keep=[*groups, "n", "mean_pre", "sd_pre", "mean_post", "r_prepost"])
        es.insert(0, "instrument", inst_id)
        es.insert(1, "name", instruments.get(inst_id).name)
        parts.append(es)
    columns = ["instrument", "name", *groups, "n", "mean_pre", "sd_pre", "mean_post",
               "r_prepost", "yi", "vi"]
    if not parts:
        return pd.DataFrame(columns=columns)
    return pd.concat(parts, ignore_index=True)[columns]


def _municipality_names(codes: Sequence[str], lang: str) -> list[str]:
    orgs = schema.organisations().set_index("code")[f"name_{lang}"]
    return [str(orgs.get(c, c)) for c in codes]


def meta_by_instrument(
    effects: pd.DataFrame,
    *,
    method: str = "REML",
    test: str = "z",
    level: float = 0.95,
    min_k: int = 2,
    lang: str = "fi",
) -> dict:
    """Random-effects meta-analysis of :func:`municipality_effects`, one per instrument.

    :func:`soskulib.meta.meta_analysis` (metafor ``rma(yi, vi, method, test)``) with the
    municipalities as studies, labelled by name in ``lang`` and carrying their ``n``.
    Instruments with fewer than ``min_k`` municipalities are left out.

    Returns
    -------
    dict
        ``{instrument id: MetaResult}`` in the order of ``effects``.
    """
    from soskulib import meta

    require_columns(effects, ["instrument", "municipality", "n", "yi", "vi"], "meta_by_instrument")
    fits = {}
    for inst_id in dict.fromkeys(effects["instrument"]):
        part = effects.loc[effects["instrument"] == inst_id]
        if len(part) < min_k:
            continue
        fits[inst_id] = meta.meta_analysis(
            part["yi"].to_numpy(float), part["vi"].to_numpy(float), method=method, test=test,
            level=level, labels=_municipality_names(part["municipality"].tolist(), lang),
            n=part["n"].to_numpy(float))
    return fits


def forest_source(effects: pd.DataFrame, *, min_cell: int = disclosure.MIN_CELL) -> pd.DataFrame:
    """What the forest plots draw, protected: each municipality's ``n`` and SMCR ``yi`` per
    instrument, and a pooled row with the summed ``n``.

    The forest plot writes each municipality's number of complete pairs beside its square,
    so the rows are protected like the municipality pages' overall outcome rows: an ``n`` of
    fewer than ``min_cell`` hides the row's ``n`` and ``yi``. The build reads the plot back
    against this table (``audit.FigureCheck(..., kind="markers_x")`` for the squares,
    ``kind="numbers"`` for the ``n`` column), so a municipality whose ``n`` is hidden can
    never be drawn.

    Parameters
    ----------
    effects : DataFrame
        :func:`municipality_effects` output.
    min_cell : int
        Reporting minimum.

    Returns
    -------
    DataFrame
        ``instrument, municipality, n, yi`` (+ ``n_suppressed``, ``yi_suppressed``); the
        pooled rows have ``municipality`` ``"pooled"`` and no ``yi``.

    Examples
    --------
    >>> e = pd.DataFrame({"instrument": ["esis"] * 2, "municipality": ["092", "179"],
    ...                   "n": [40, 12], "yi": [0.5, 0.3]})
    >>> forest_source(e)[["municipality", "n", "yi"]]
      municipality     n   yi
    0          092  40.0  0.5
    1          179  12.0  0.3
    2       pooled  52.0  NaN
    """
    require_columns(effects, ["instrument", "municipality", "n", "yi"], "forest_source")
    rows = effects[["instrument", "municipality", "n", "yi"]].copy()
    pooled = rows.groupby("instrument", sort=False, as_index=False)["n"].sum()
    pooled["municipality"], pooled["yi"] = "pooled", np.nan
    parts = [part for _, part in pd.concat([rows, pooled[rows.columns]], ignore_index=True)
             .groupby("instrument", sort=False)]
    table = pd.concat(parts, ignore_index=True) if parts else rows
    return disclosure.suppress_table(table, "n", keys=["instrument", "municipality"],
                                     derived={"yi": "n"}, min_cell=min_cell)


def pooled_table(fits: Mapping[str, Mapping[str, object]]) -> pd.DataFrame:
    """One row per instrument and inference method from :func:`meta_by_instrument` results.

    Parameters
    ----------
    fits : mapping
        ``{test label: {instrument id: MetaResult}}``, e.g. ``{"z": ..., "knha": ...}``.

    Returns
    -------
    DataFrame
        ``instrument, name, test, k, n, estimate, ci_low, ci_high, pval, pi_low, pi_high,
        tau2, i2, q, q_pval``.
    """
    from soskulib import instruments

    rows = []
    for test, by_instrument in fits.items():
        for inst_id, res in by_instrument.items():
            rows.append({
                "instrument": inst_id, "name": instruments.get(inst_id).name, "test": test,
                "k": res.k, "n": int(np.nansum(res.n)) if res.n is not None else np.nan,
                "estimate": res.estimate, "ci_low": res.ci_low, "ci_high": res.ci_high,
                "pval": res.pval, "pi_low": res.pi_low, "pi_high": res.pi_high,
                "tau2": res.tau2, "i2": res.i2, "q": res.q, "q_pval": res.q_pval})
    columns = ["instrument", "name", "test", "k", "n", "estimate", "ci_low", "ci_high", "pval",
               "pi_low", "pi_high", "tau2", "i2", "q", "q_pval"]
    table = pd.DataFrame(rows, columns=columns)
    # Instrument order as given, then the tests in the order of ``fits``.
    rank = {inst: i for i, inst in enumerate(dict.fromkeys(table["instrument"]))}
    table["_order"] = table["instrument"].map(rank)
    return table.sort_values("_order", kind="stable").drop(columns="_order").reset_index(drop=True)


def subgroup_table(
    effects: pd.DataFrame,
    column: str,
    *,
    method: str = "REML",
    test: str = "z",
    min_k: int = 2,
    lang: str = "fi",
) -> pd.DataFrame:
    """Subgroup meta-analysis per instrument (:func:`soskulib.meta_regression.subgroup_analysis`).

    ``effects`` is :func:`municipality_effects` with ``by=column`` (one SMCR per
    municipality × subgroup). Subgroups with fewer than ``min_k`` municipalities are left
    out; an instrument needs two subgroups left. ``q_between`` is metafor's test of
    moderators with one common τ² (``rma(yi, vi, mods = ~ factor(group))``).

    Returns
    -------
    DataFrame
        ``instrument, name, <column>, k, estimate, ci_low, ci_high, tau2, i2, q_between,
        q_between_df, q_between_pval``.
    """
    from soskulib import instruments, meta_regression

    require_columns(effects, ["instrument", column, "yi", "vi"], "subgroup_table")
    parts = []
    for inst_id in dict.fromkeys(effects["instrument"]):
        part = effects.loc[effects["instrument"] == inst_id].dropna(subset=[column])
        sizes = part[column].value_counts()
        part = part.loc[part[column].isin(sizes[sizes >= min_k].index)]
        if part[column].nunique() < 2:
            continue
        sg = meta_regression.subgroup_analysis(
            part["yi"].to_numpy(float), part["vi"].to_numpy(float),
            part[column].astype(str).to_numpy(), method=method, test=test)
        tab = sg.table[["group", "k", "estimate", "ci_low", "ci_high", "tau2", "i2"]].rename(
            columns={"group": column})
        if column in schema.CODE_LABELS:  # the code list's order, as every other table has it
            order = schema.in_display_order(column, tab[column])
            tab = tab.set_index(column).loc[order].reset_index()
        tab.insert(0, "instrument", inst_id)
        tab.insert(1, "name", instruments.get(inst_id).name)
        tab["q_between"] = sg.q_between
        tab["q_between_df"] = sg.q_between_df[0]
        tab["q_between_pval"] = sg.q_between_pval
        parts.append(tab)
    columns = ["instrument", "name", column, "k", "estimate", "ci_low", "ci_high", "tau2", "i2",
               "q_between", "q_between_df", "q_between_pval"]
    return pd.concat(parts, ignore_index=True)[columns] if parts else pd.DataFrame(columns=columns)


def moderators(
    data: pd.DataFrame,
    *,
    by: str = "municipality",
    min_cell: int = disclosure.MIN_CELL,
) -> pd.DataFrame:
    """Municipality-level process measures for meta-regression: fidelity index and dose.

    From :func:`client_episodes` (with contacts and goals): ``fidelity_index`` = mean number
    of core elements received / 4 (:func:`fidelity_index`), ``mean_hours`` and
    ``mean_contacts`` = mean service hours and contacts per episode, ``share_all_four`` =
    share of episodes with all four elements. Groups under ``min_cell`` episodes are dropped.

    Returns
    -------
    DataFrame
        ``<by>, n, fidelity_index, share_all_four, mean_hours, mean_contacts``.
    """
    require_columns(data, [by, "n_elements", "all_four", "hours", "n_contacts"], "moderators",
             "build data with client_episodes(clients, contacts, goals)")
    grouped = data.groupby(by, sort=True)
    table = pd.DataFrame({
        "n": grouped.size(),
        "fidelity_index": grouped["n_elements"].mean() / len(FIDELITY_ELEMENTS),
        "share_all_four": grouped["all_four"].mean(),
        "mean_hours": grouped["hours"].mean(),
        "mean_contacts": grouped["n_contacts"].mean(),
    }).reset_index()
    return table.loc[table["n"] >= min_cell].reset_index(drop=True)


def meta_regressions(
    effects: pd.DataFrame,
    moderator_table: pd.DataFrame,
    *,
    terms: Sequence[str] = ("fidelity_index", "mean_hours"),
    method: str = "REML",
    test: str = "knha",
    min_k: int = 5,
) -> pd.DataFrame:
    """One-moderator meta-regressions of the municipality SMCRs (metafor ``rma(mods = ~ x)``).

    Each ``term`` of ``moderator_table`` (:func:`moderators`) is tried alone: with 6–9
    municipalities two moderators at once would leave too few degrees of freedom. The
    Knapp–Hartung test (``test="knha"``, t on k − 2 df) is the default because it keeps its
    nominal level with few studies. Instruments with fewer than ``min_k`` municipalities are
    skipped. An association across municipalities is ecological: it says nothing causal about
    clients.

    Returns
    -------
    DataFrame
        ``instrument, name, moderator, k, slope, se, ci_low, ci_high, pval, tau2, r2``.
    """
    from soskulib import instruments, meta_regression

    require_columns(effects, ["instrument", "municipality", "yi", "vi"], "meta_regressions")
    require_columns(moderator_table, ["municipality", *terms], "meta_regressions (moderators)")
    merged = effects.merge(moderator_table[["municipality", *terms]], on="municipality")
    rows = []
    for inst_id in dict.fromkeys(merged["instrument"]):
        part = merged.loc[merged["instrument"] == inst_id]
        if len(part) < min_k:
            continue
        for term in terms:
            fit = meta_regression.meta_regression(
                part["yi"].to_numpy(float), part["vi"].to_numpy(float), part[[term]],
                method=method, test=test)
            coef = fit.to_frame()
            coef = coef if "term" in coef.columns else coef.reset_index(names="term")
            slope = coef.iloc[1]
            rows.append({"instrument": inst_id, "name": instruments.get(inst_id).name,
                         "moderator": term, "k": len(part), "slope": slope["estimate"],
                         "se": slope["se"], "ci_low": slope["ci_low"], "ci_high": slope["ci_high"],
                         "pval": slope["pval"], "tau2": fit.tau2, "r2": fit.r2})
    return pd.DataFrame(rows, columns=["instrument", "name", "moderator", "k", "slope", "se",
                                       "ci_low", "ci_high", "pval", "tau2", "r2"])


def leave_one_out_table(fits: Mapping[str, object]) -> pd.DataFrame:
    """Leave-one-municipality-out pooled estimates (metafor ``leave1out``) for every instrument.

    Returns
    -------
    DataFrame
        ``instrument, name, left_out, estimate, ci_low, ci_high, tau2, i2, shift`` where
        ``shift`` = estimate without the municipality − estimate with all.
    """
    from soskulib import instruments, meta

    parts = []
    for inst_id, res in fits.items():
        if res.k < 3:
            continue
        loo = meta.leave_one_out(res)
        out = pd.DataFrame({"instrument": inst_id, "name": instruments.get(inst_id).name,
                            "left_out": list(res.labels)})
        for col in ("estimate", "ci_low", "ci_high", "tau2", "i2"):
            out[col] = loo[col].to_numpy(float)
        out["shift"] = out["estimate"] - res.estimate
        parts.append(out)
    columns = ["instrument", "name", "left_out", "estimate", "ci_low", "ci_high", "tau2", "i2",
               "shift"]
    return pd.concat(parts, ignore_index=True)[columns] if parts else pd.DataFrame(columns=columns)


def heterogeneity_table(fits: Mapping[str, object], level: float | None = None) -> pd.DataFrame:
    """τ² and I² with their Q-profile confidence intervals for every instrument.

    With six to nine municipalities the point estimate of τ² is very uncertain; the Q-profile
    interval (Viechtbauer 2007; :meth:`soskulib.meta.MetaResult.confint`, metafor
    ``confint(res)``) states how uncertain, and I² follows from its limits.

    Parameters
    ----------
    fits : mapping
        ``{instrument: MetaResult}`` from :func:`meta_by_instrument`.
    level : float, optional
        Confidence level; default each fit's own.

    Returns
    -------
    DataFrame
        ``instrument, name, k, tau2, tau2_ci_low, tau2_ci_high, i2, i2_ci_low, i2_ci_high``
        (I² in percent).
    """
    from soskulib import instruments

    rows = []
    for inst_id, res in fits.items():
        if res.k < 2:
            continue
        ci = res.confint(level)
        rows.append({"instrument": inst_id, "name": instruments.get(inst_id).name, "k": res.k,
                     "tau2": ci.loc["tau2", "estimate"], "tau2_ci_low": ci.loc["tau2", "ci_low"],
                     "tau2_ci_high": ci.loc["tau2", "ci_high"], "i2": ci.loc["i2", "estimate"],
                     "i2_ci_low": ci.loc["i2", "ci_low"], "i2_ci_high": ci.loc["i2", "ci_high"]})
    columns = ["instrument", "name", "k", "tau2", "tau2_ci_low", "tau2_ci_high", "i2",
               "i2_ci_low", "i2_ci_high"]
    return pd.DataFrame(rows, columns=columns)


def influence_table(fits: Mapping[str, object]) -> pd.DataFrame:
    """Influence diagnostics of every municipality in every instrument's meta-analysis.

    :func:`soskulib.meta_diagnostics.influence` (metafor ``influence()``): externally
    standardised residual, DFFITS, Cook's distance, hat value, τ² without the municipality
    and metafor's influence flag.

    Parameters
    ----------
    fits : mapping
        ``{instrument: MetaResult}`` from :func:`meta_by_instrument`.

    Returns
    -------
    DataFrame
        ``instrument, name, municipality, rstudent, dffits, cook_d, hat, tau2_del,
        influential`` for instruments with at least three municipalities.
    """
    from soskulib import instruments, meta_diagnostics

    parts = []
    for inst_id, res in fits.items():
        if res.k < 3:
            continue
        inf = meta_diagnostics.influence(res)
        inf.insert(0, "instrument", inst_id)
        inf.insert(1, "name", instruments.get(inst_id).name)
        parts.append(inf.rename(columns={"label": "municipality"}))
    columns = ["instrument", "name", "municipality", "rstudent", "dffits", "cook_d", "hat",
               "tau2_del", "influential"]
    return pd.concat(parts, ignore_index=True)[columns] if parts else pd.DataFrame(columns=columns)


def municipality_start(clients: pd.DataFrame, lang: str = "fi") -> pd.Series:
    """The date each municipality's service started: its first client's start date.

    The order of a cumulative meta-analysis (:func:`soskulib.meta_diagnostics.cumulative`):
    the programme grew municipality by municipality.

    Parameters
    ----------
    clients : DataFrame
        The processed clients table (``municipality``, ``start_date``).
    lang : {"fi", "en"}
        Language of the municipality names in the index (as :func:`meta_by_instrument`
        labels its fits).

    Returns
    -------
    Series
        First ``start_date`` per municipality, indexed by municipality name.
    """
    require_columns(clients, ["municipality", "start_date"], "municipality_start")
    first = (pd.to_datetime(clients["start_date"], errors="coerce")
             .groupby(clients["municipality"].astype(str)).min().dropna())
    first.index = _municipality_names(first.index.tolist(), lang)
    return first


def start_order(result: object, started: pd.Series) -> list:
    """Sort key of each study of a fit: its municipality's start date (:func:`municipality_start`).

    Parameters
    ----------
    result : MetaResult
        A fit of :func:`meta_by_instrument` (studies labelled by municipality name).
    started : Series
        :func:`municipality_start` in the same language.

    Returns
    -------
    list of Timestamp
        One date per study, in the fit's order; a municipality without a start date sorts
        last.
    """
    return [started.get(label, pd.Timestamp.max) for label in result.labels]


def combined_outcome_table(effects: pd.DataFrame,
                           rhos: Sequence[float] = (0.3, 0.5, 0.7)) -> pd.DataFrame:
    """One change over all instruments, for each assumed within-municipality correlation.

    :func:`soskulib.meta_multivariate.combined_outcome` on every municipality × instrument SMCR
    of :func:`municipality_effects` (all oriented so that positive = improvement): a
    municipality random intercept (REML) with the instruments' sampling errors correlated
    ``rho`` within a municipality, and the small-sample cluster-robust CR2 interval on
    Satterthwaite df (clubSandwich), which stays valid if ``rho`` is wrong. ``rho`` is an
    assumption (the summary data cannot estimate it), so the table repeats the fit over
    ``rhos`` as a sensitivity check.

    Parameters
    ----------
    effects : DataFrame
        :func:`municipality_effects` (``municipality, yi, vi``).
    rhos : sequence of float
        Assumed correlations.

    Returns
    -------
    DataFrame
        ``rho, n_effects, k, estimate, ci_low, ci_high, df, sigma2_municipality``; empty when
        fewer than three municipalities have effects.
    """
    from soskulib import meta_multivariate

    require_columns(effects, ["municipality", "yi", "vi"], "combined_outcome_table")
    columns = ["rho", "n_effects", "k", "estimate", "ci_low", "ci_high", "df",
               "sigma2_municipality"]
    if effects["municipality"].nunique() < 3:
        return pd.DataFrame(columns=columns)
    rows = []
    for rho in rhos:
        res = meta_multivariate.combined_outcome(effects["yi"], effects["vi"],
                                                 effects["municipality"], rho=rho)
        rows.append({"rho": rho, "n_effects": res.k, "k": res.n_clusters,
                     "estimate": res.estimate, "ci_low": res.cr2_ci_low,
                     "ci_high": res.cr2_ci_high, "df": res.cr2_df,
                     "sigma2_municipality": res.sigma2})
    return pd.DataFrame(rows, columns=columns)


def truth_table(pooled: pd.DataFrame, truth: Mapping) -> pd.DataFrame:
    """Pooled estimates next to the demo generator's true mean effect μ (``truth.json``).

    The estimand is the mean SMCR across municipalities (raw-score standardisation); metafor's
    SMCR adds the small-sample factor J, a difference under 1 % at these n.

    Returns
    -------
    DataFrame
        ``pooled`` rows with a known μ plus ``mu_true``, ``bias`` (estimate − μ) and
        ``covered`` (μ inside the CI); ``tau_true`` when the truth gives it.
    """
    require_columns(pooled, ["instrument", "estimate", "ci_low", "ci_high"], "truth_table")
    specs = truth.get("instruments", {}) if isinstance(truth, Mapping) else {}
    mu = {k: v.get("mu") for k, v in specs.items() if isinstance(v, Mapping)}
    tau = {k: v.get("tau") for k, v in specs.items() if isinstance(v, Mapping)}
    out = pooled.assign(mu_true=pooled["instrument"].map(mu).astype(float),
                        tau_true=pooled["instrument"].map(tau).astype(float))
    out = out.dropna(subset=["mu_true"]).reset_index(drop=True)
    out["bias"] = out["estimate"] - out["mu_true"]
    out["covered"] = (out["ci_low"] <= out["mu_true"]) & (out["mu_true"] <= out["ci_high"])
    return out


@table_options("pre", "post", "min_cell", "suppress")
def coverage(
    clients: pd.DataFrame,
    subprojects: pd.DataFrame,
    responses: Mapping[str, pd.DataFrame],
    *,
    options: TableOptions,
) -> pd.DataFrame:
    """What each municipality contributes: episodes against plan and complete pairs per instrument.

    Returns
    -------
    DataFrame
        ``municipality, n_enrolled, planned_clients, share_of_plan, pairs_<instrument>…``
        (+ masks; pair counts of 1–4 are hidden).
    """
    table = reach(clients, subprojects, by="municipality", min_cell=options.min_cell, suppress=options.suppress)
    import warnings

    with warnings.catch_warnings():  # the pair counts are protected below
        warnings.simplefilter("ignore")
        summary = outcome_summary(responses, by="municipality", pre=options.pre, post=options.post,
                                  suppress=False)
    pair_cols = []
    for inst_id in dict.fromkeys(summary["instrument"]):
        col = f"pairs_{inst_id}"
        pairs = summary.loc[summary["instrument"] == inst_id].set_index("municipality")["n"]
        table[col] = table["municipality"].map(pairs).fillna(0).astype("int64")
        pair_cols.append(col)
    if pair_cols:
        table = protect(table.drop(columns=[c for c in table.columns if c.endswith("_suppressed")
                                             and c.removesuffix("_suppressed") in pair_cols]),
                         pair_cols, along=dict.fromkeys(pair_cols, ["municipality"]),
                         options=options, keys=["municipality"])
    return table


def _random_intercept_reml(data: pd.DataFrame, smf, warnings) -> tuple:
    """REML fit of ``change ~ 0 + C(g) + (1 | m)`` that agrees with lme4, and lme4's SEs.

    statsmodels' default L-BFGS stalls when the municipality variance is at or near 0 (its
    gradient is singular there); Powell's derivative-free search, polished by Nelder–Mead,
    reaches the REML maximum (checked against lme4). SEs are lme4's ``vcov``,
    ``(X' V⁻¹ X)⁻¹`` at the REML variances, with ``V_m⁻¹ = (I − c_m J) / σ²``,
    ``c_m = σ²_u / (σ² + n_m σ²_u)`` (statsmodels' ``bse_fe`` inverts the joint Hessian).
    """
    model = smf.mixedlm("change ~ 0 + C(g)", data, groups=data["m"])
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        fit = model.fit(reml=True, method="powell")
        polished = model.fit(reml=True, start_params=fit.params_object, method="nm",
                             maxiter=5000)
    if np.isfinite(polished.llf) and polished.llf > fit.llf:
        fit = polished
    x = pd.get_dummies(data["g"], dtype=float).reindex(columns=sorted(data["g"].unique()))
    sigma2, tau2 = float(fit.scale), max(float(fit.cov_re.iloc[0, 0]), 0.0)
    sizes = data.groupby("m")["g"].transform("size").to_numpy(float)
    c = tau2 / (sigma2 + sizes * tau2)
    col_sums = x.groupby(data["m"].to_numpy()).sum()
    c_group = pd.Series(c, index=data.index).groupby(data["m"].to_numpy()).first()
    xtvx = (x.T @ x).to_numpy() - (col_sums.T * c_group).to_numpy() @ col_sums.to_numpy()
    se = np.sqrt(np.diag(np.linalg.inv(xtvx / sigma2)))
    return fit, se


def change_score_model(
    responses: Mapping[str, pd.DataFrame],
    clients: pd.DataFrame,
    *,
    group: str = "gender",
    levels: Sequence[str] | None = ("female", "male"),
    pre: str = "baseline",
    post: str = "end",
    level: float = 0.95,
) -> pd.DataFrame:
    """Client-level cross-check of the pooled SMCR: a mixed model of change scores.

    For each instrument, on clients with both assessments (``change = post − pre`` of the
    headline score, sign-oriented so positive = improvement)::

        change_i = β_g(i) + u_m(i) + e_i,   u_m ~ N(0, σ²_mun),  e_i ~ N(0, σ²)

    fitted by REML (statsmodels ``MixedLM``, ``groups = municipality``). ``β_g`` is the mean
    change of group ``g``; the municipality random intercept on the change is the
    client-level counterpart of τ² in the meta-analysis. Dividing by the SD of all baseline
    scores (``sd_pre``) gives a standardised change comparable with the pooled SMCR.
    R: ``lmer(change ~ 0 + gender + (1 | municipality), REML = TRUE)``.

    How it relates to the long nested model (:func:`soskulib.models.change_model`, random
    client within municipality, also fitted in the national report through
    :func:`soskulib.models.change_by_group_table`): with complete pairs and two occasions the
    client intercept cancels in the difference, so both estimate the same change contrasts;
    this model also lets the change vary between municipalities, which is what the
    random-effects meta-analysis assumes, while the long model uses clients with a baseline
    only as well.

    Returns
    -------
    DataFrame
        ``instrument, name, <group>, n, estimate, se, ci_low, ci_high, sd_pre, std_estimate,
        std_ci_low, std_ci_high, sigma2_municipality, sigma2_residual, converged``.
    """
    import warnings

    import statsmodels.formula.api as smf

    from soskulib import instruments

    rows = []
    z = normal_quantile(level)
    scored = scored_responses(require_responses(responses, "change_score_model"), clients,
                              attributes=[group])
    for inst_id, frame in scored.items():
        if not {pre, post} <= set(frame["occasion"].dropna()):
            continue
        sign = 1.0 if instruments.get(inst_id).headline_higher_is_better else -1.0
        sd_pre = float(frame.loc[frame["occasion"] == pre, "score"].std(ddof=1))
        wide = frame.loc[frame["occasion"].isin([pre, post])].pivot_table(
            index=["client_id", "municipality", group], columns="occasion", values="score",
            aggfunc="first").dropna(subset=[pre, post]).reset_index()
        if levels is not None:
            wide = wide.loc[wide[group].isin(list(levels))]
        if wide[group].nunique() < 1 or wide["municipality"].nunique() < 2 or len(wide) < 20:
            continue
        data = pd.DataFrame({"change": sign * (wide[post] - wide[pre]).to_numpy(float),
                             "g": wide[group].astype(str).to_numpy(),
                             "m": wide["municipality"].astype(str).to_numpy()})
        fit, se_all = _random_intercept_reml(data, smf, warnings)
        names = sorted(data["g"].unique())
        counts = data["g"].value_counts()
        for i, g in enumerate(names):
            est, se = float(fit.fe_params.iloc[i]), float(se_all[i])
            rows.append({"instrument": inst_id, "name": instruments.get(inst_id).name, group: g,
                         "n": int(counts[g]), "estimate": est, "se": se,
                         "ci_low": est - z * se, "ci_high": est + z * se, "sd_pre": sd_pre,
                         "std_estimate": est / sd_pre, "std_ci_low": (est - z * se) / sd_pre,
                         "std_ci_high": (est + z * se) / sd_pre,
                         "sigma2_municipality": float(fit.cov_re.iloc[0, 0]),
                         "sigma2_residual": float(fit.scale), "converged": bool(fit.converged)})
    return pd.DataFrame(rows, columns=["instrument", "name", group, "n", "estimate", "se", "ci_low",
                                       "ci_high", "sd_pre", "std_estimate", "std_ci_low",
                                       "std_ci_high", "sigma2_municipality", "sigma2_residual",
                                       "converged"])


def mechanisms(
    data: pd.DataFrame,
    changes: pd.DataFrame,
    *,
    predictors: Sequence[str] = (*FIDELITY_ELEMENTS, "log_hours"),
    change: str = "change",
    baseline: str | None = "baseline",
    adjust_baseline: bool = True,
    fixed_effects: str | None = None,
    cov_type: str = "nonrobust",
    level: float = 0.95,
    min_n: int = 20,
) -> pd.DataFrame:
    """Association of fidelity and dose with change, per instrument (OLS with CIs).

    For each instrument: ``change ~ needs_assessment + plan_with_goals +
    intensive_individual_work + group_activity + log_hours [+ baseline]
    [+ C(fixed_effects)]`` with ``log_hours = log(1 + hours)`` and the elements as 0/1.
    Adjusting for the baseline score guards against regression to the mean. These are
    **associations** in observational data — clients who get more (or get it sooner) differ
    from those who do not — not effects of the elements.

    R: ``lm(change ~ needs_assessment + plan_with_goals + intensive_individual_work +
    group_activity + log1p(hours) + baseline, data)`` and ``confint()``; with
    ``cov_type="HC3"``, ``lmtest::coeftest(fit, sandwich::vcovHC(fit, "HC3"))``.

    Parameters
    ----------
    data : DataFrame
        :func:`client_episodes` output with contacts and goals.
    changes : DataFrame
        One row per client and instrument: ``client_id, municipality, instrument`` and the
        columns named by ``change`` and ``baseline`` (:func:`soskulib.outcomes.change_scores`
        names its baseline column after the ``pre`` occasion).
    predictors : sequence of str
        Episode columns (``"log_hours"`` is derived from ``hours``).
    change : str, default "change"
        Column of ``changes`` holding the change score (the outcome).
    baseline : str or None, default "baseline"
        Column of ``changes`` holding the baseline score, entered as a covariate (its term is
        named after the column); None fits without it.
    adjust_baseline : bool, default True
        False fits without the baseline score, as ``baseline=None``.
    fixed_effects : str, optional
        A column (e.g. ``"municipality"``) entered as fixed effects, so associations are
        within groups.
    cov_type : str, default "nonrobust"
        statsmodels covariance type (``"HC3"`` for heteroskedasticity-robust).
    level : float, default 0.95
    min_n : int, default 20
        Instruments with fewer complete cases are skipped.

    Returns
    -------
    DataFrame
        ``instrument, term, estimate, se, ci_low, ci_high, p_value, n`` (fixed-effect dummies
        and the intercept left out).
    """
    import statsmodels.api as sm

    require_columns(changes, ["client_id", "municipality", "instrument", change], "mechanisms")
    if not adjust_baseline:
        baseline = None
    ep = data.copy()
    if "log_hours" in predictors and "log_hours" not in ep.columns:
        require_columns(ep, ["hours"], "mechanisms", "build data with client_episodes(clients, contacts)")
        ep["log_hours"] = np.log1p(ep["hours"])
    base_preds = list(predictors)
    require_columns(ep, ["client_id", "municipality", *base_preds], "mechanisms",
             "build data with client_episodes(clients, contacts, goals)")
    ep = ep.drop_duplicates(["client_id", "municipality"], keep="first")
    fe_cols = [fixed_effects] if fixed_effects else []
    if fixed_effects and fixed_effects != "municipality":
        require_columns(ep, [fixed_effects], "mechanisms")
    cols = ["client_id", "municipality", *base_preds, *[c for c in fe_cols if c != "municipality"]]
    merged = changes.merge(ep[cols], on=["client_id", "municipality"], how="inner")
    rows = []
    parts = dict(tuple(merged.groupby("instrument", sort=False)))
    for inst in instruments.ordered(parts):  # the reports' one instrument order
        part = parts[inst]
        terms = list(base_preds)
        if baseline is not None:
            require_columns(part, [baseline], "mechanisms",
                            "name the baseline column with baseline=, or pass baseline=None")
            terms.append(baseline)
        part = part.dropna(subset=[*terms, change, *fe_cols])
        if len(part) < min_n:
            continue
        design = part[terms].astype(float)
        if fixed_effects:
            design = design.join(pd.get_dummies(part[fixed_effects].astype(str), prefix="fe",
                                                drop_first=True, dtype=float))
        design = sm.add_constant(design, has_constant="add")
        fit = sm.OLS(part[change].astype(float), design).fit(cov_type=cov_type)
        ci = fit.conf_int(alpha=1 - level)
        for term in terms:
            rows.append({"instrument": inst, "term": term, "estimate": fit.params[term],
                         "se": fit.bse[term], "ci_low": ci.loc[term, 0], "ci_high": ci.loc[term, 1],
                         "p_value": fit.pvalues[term], "n": int(fit.nobs)})
    return pd.DataFrame(rows, columns=["instrument", "term", "estimate", "se", "ci_low", "ci_high",
                                       "p_value", "n"])
