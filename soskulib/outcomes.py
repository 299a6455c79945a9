"""Client change tables: change scores, outcome summaries, change categories, GAS, traffic lights.

The client-outcome half of a municipality report: before–after change on each instrument's
headline scale among clients with both assessments (uncontrolled change, not an effect of the
service), reliable and clinically significant change, Goal Attainment Scaling and the 3X10D
traffic lights. Counts of people pass through :func:`soskulib.disclosure.suppress_table`; the
conventions of ``by=`` are those of :mod:`soskulib.process`. The national pooling of these
changes is in :mod:`soskulib.synthesis`.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence

import numpy as np
import pandas as pd

from soskulib import disclosure, labels
from soskulib.checks import require_columns, require_responses
from soskulib.frames import TableOptions, group_keys, protect, spread, table_options
from soskulib.intervals import mean_ci

__all__ = [
    "CLINICAL_NORMS",
    "change_scores",
    "scored_responses",
    "outcome_summary",
    "change_categories",
    "gas_summary",
    "traffic_light_shares",
    "traffic_light_table",
]


def change_scores(
    responses: Mapping[str, pd.DataFrame],
    *,
    scales: Mapping[str, str] | None = None,
    pre: str = "baseline",
    post: str = "end",
) -> pd.DataFrame:
    """Per-client change on each instrument's headline scale, oriented so positive = better.

    Scores with :func:`soskulib.scoring.score`; ``change = post − pre`` (× −1 where lower is
    better, e.g. WHODAS). Clients without both occasions are left out.

    Parameters
    ----------
    responses : mapping
        ``{instrument id: processed responses_<id> table}``.
    scales : mapping, optional
        ``{instrument id: scale}``; default the instrument's ``headline``.
    pre, post : str
        Occasions to compare; the two score columns are named after them.

    Returns
    -------
    DataFrame
        ``client_id, municipality, instrument, scale, <pre>, <post>, date, change``, by default
        ``… baseline, end, date, change`` (``date`` = date of the ``post`` assessment).

    Raises
    ------
    ValueError
        If ``pre`` and ``post`` are the same occasion.
    KeyError
        If a scale or a column is missing.
    """
    from soskulib import instruments, scoring

    if pre == post:
        raise ValueError(f"pre and post occasions are both {pre!r}")
    parts = []
    for inst_id, table in require_responses(responses, "change_scores").items():
        inst = instruments.get(inst_id)
        scale = inst.check_scale((scales or {}).get(inst_id))
        require_columns(table, ["client_id", "municipality", "occasion", "date"], f"change_scores ({inst_id})")
        scored = scoring.score(table, inst)[scale]
        frame = table[["client_id", "municipality", "occasion", "date"]].assign(score=scored.to_numpy())
        wide = frame.loc[frame["occasion"].isin([pre, post])].pivot_table(
            index=["client_id", "municipality"], columns="occasion", values=["score", "date"],
            aggfunc="first")
        if ("score", pre) not in wide.columns or ("score", post) not in wide.columns:
            continue
        out = pd.DataFrame({
            pre: wide[("score", pre)], post: wide[("score", post)],
            "date": wide[("date", post)]}).dropna(subset=[pre, post]).reset_index()
        sign = 1.0 if inst.scales[scale].higher_is_better else -1.0
        out["change"] = sign * (out[post] - out[pre])
        out.insert(2, "instrument", inst.id)
        out.insert(3, "scale", scale)
        parts.append(out)
    columns = ["client_id", "municipality", "instrument", "scale", pre, post, "date", "change"]
    return pd.concat(parts, ignore_index=True)[columns] if parts else pd.DataFrame(columns=columns)



#: Norm groups used for Jacobson–Truax clinical significance: ``{instrument: (scale,
#: dysfunctional norm group, functional norm group)}`` from the instrument specs. Only
#: WHODAS-12 has published norms for both populations (Andrews et al. 2009: mental disorder vs
#: no disorder); ESIS (THL advises group-level use only), 3X10D and EQ-5D VAS have none.
CLINICAL_NORMS: dict[str, tuple[str, str, str]] = {"whodas12": ("total", "mental", "no_disorder")}


def _client_attributes(clients: pd.DataFrame | None, columns: Sequence[str]) -> pd.DataFrame | None:
    """First episode's attributes per (client, municipality): outcome rows are per client."""
    if not columns:
        return None
    if clients is None:
        raise ValueError(f"grouping by {list(columns)} needs the clients table (clients=...)")
    require_columns(clients, ["client_id", "municipality", *columns], "client attributes")
    return clients.sort_values("start_date" if "start_date" in clients.columns else "client_id") \
        .drop_duplicates(["client_id", "municipality"])[["client_id", "municipality", *columns]]


def scored_responses(
    responses: Mapping[str, pd.DataFrame],
    clients: pd.DataFrame | None = None,
    *,
    attributes: Sequence[str] = (),
) -> dict[str, pd.DataFrame]:
    """Score each instrument's responses on its headline scale, in long layout.

    Parameters
    ----------
    responses : mapping
        ``{instrument id: processed responses_<id> table}``; empty tables are skipped.
    clients : DataFrame, optional
        Processed ``clients``, needed when ``attributes`` are requested.
    attributes : sequence of str
        Client columns (e.g. ``"gender"``, ``"target_group"``) attached from the client's first
        episode in the municipality.

    Returns
    -------
    dict
        ``{instrument id: DataFrame}`` with ``client_id, municipality, occasion, date, score``
        (the headline scale), the instrument's item columns and ``attributes``.
    """
    from soskulib import instruments, scoring

    attrs = _client_attributes(clients, [a for a in attributes if a != "municipality"])
    out = {}
    for inst_id, table in require_responses(responses, "scored_responses").items():
        if table is None or table.empty:
            continue
        inst = instruments.get(inst_id)
        require_columns(table, ["client_id", "municipality", "occasion"], f"scored_responses ({inst_id})")
        scored = scoring.score(table, inst)[inst.headline].to_numpy()
        frame = table.reset_index(drop=True).assign(score=scored)
        if attrs is not None:
            frame = frame.merge(attrs, on=["client_id", "municipality"], how="left")
        out[inst_id] = frame
    return out


@table_options("by", "pre", "post", "level", "min_cell", "suppress")
def outcome_summary(
    responses: Mapping[str, pd.DataFrame],
    clients: pd.DataFrame | None = None,
    *,
    masks: bool = False,
    options: TableOptions,
) -> pd.DataFrame:
    """Pre/post change on each instrument's headline scale, per group, effect oriented.

    For every instrument: :func:`soskulib.change.change_table` on complete pairs (``d_z`` =
    mean change / SD of change with the noncentral-t CI, Lakens 2013), plus the
    direction-oriented effect ``effect = d_z`` when higher is better and ``−d_z`` otherwise
    (WHODAS: lower = better), so a positive ``effect`` is always an improvement.
    ``n_pre`` counts clients with a ``pre`` score, ``n`` complete pairs; ``n / n_pre`` is the
    coverage of the follow-up measurement. ``n_pre − n`` (starters without an end assessment)
    is a group of people too: where it is 1 … ``min_cell − 1`` the baseline count ``n_pre`` is
    hidden (and, by secondary suppression, enough others of its line), while the complete
    pairs and their results stay (``docs/disclosure.md``, "Set minus a visible subset").

    Returns
    -------
    DataFrame
        ``instrument, name, scale, by…, n_pre, n, mean_pre, sd_pre, mean_post, sd_post,
        mean_change, sd_change, r_prepost, d_z, d_z_ci_low, d_z_ci_high, higher_is_better,
        effect, effect_ci_low, effect_ci_high``: the table for reading. Hidden cells are
        missing values, ``n_pre`` and ``n`` are whole numbers (pandas ``Int64``) and
        ``attrs["hidden"]`` counts the hidden cells. Statistics hide with ``n``, also where
        ``n`` is hidden as a complement: means of integer scores are ``S / n`` and the ``d_z``
        interval is a function of ``d_z`` and ``n``, so either would give ``n`` back.
        ``masks=True`` (a report page) adds a boolean ``<column>_suppressed`` mask per
        column, which :meth:`soskulib.page.Report.table` shows as "..".

    Examples
    --------
    >>> r = pd.DataFrame({"client_id": list("aabbccddeeff"), "municipality": "092",
    ...     "occasion": ["baseline", "end"] * 6, "date": pd.Timestamp("2017-01-01"),
    ...     **{f"s{i}": [2.0, 1, 3, 2, 2, 2, 4, 2, 3, 1, 2, 1] for i in range(1, 13)}})
    >>> out = outcome_summary({"whodas12": r})
    >>> out[["name", "n", "mean_change", "effect"]].round(3)
            name  n  mean_change  effect
    0  WHODAS-12  6        -14.0    1.55

    Changes of the 12-item sum are −12, −12, 0, −24, −24, −12: mean −14, SD 9.03, so
    d_z = −1.55 and, WHODAS being lower-is-better, the oriented effect is +1.55.

    >>> out["n"].dtype, any(c.endswith("_suppressed") for c in out.columns)
    (Int64Dtype(), False)
    >>> sum(c.endswith("_suppressed") for c in outcome_summary({"whodas12": r}, masks=True).columns)
    15
    """
    from soskulib import change, instruments

    scored = scored_responses(require_responses(responses, "outcome_summary"), clients,
                              attributes=options.by)
    parts = []
    for inst_id, frame in scored.items():
        present = set(frame["occasion"].dropna())
        if not {options.pre, options.post} <= present:
            continue
        better = instruments.get(inst_id).headline_higher_is_better
        table = change.change_table(frame, score="score", pre=options.pre, post=options.post, by=options.by or None,
                                    higher_is_better=better, ci=options.level, warn_below=None)
        sign = 1.0 if better else -1.0
        limits = np.sort(np.column_stack([sign * table["d_z_ci_low"], sign * table["d_z_ci_high"]]),
                         axis=1)
        table["higher_is_better"] = better
        table["effect"] = sign * table["d_z"]
        table["effect_ci_low"], table["effect_ci_high"] = limits[:, 0], limits[:, 1]
        inst = instruments.get(inst_id)
        table.insert(0, "instrument", inst_id)
        table.insert(1, "name", inst.name)
        table.insert(2, "scale", inst.headline)
        parts.append(table)
    stats_cols = ["mean_pre", "sd_pre", "mean_post", "sd_post", "mean_change", "sd_change",
                  "r_prepost", "d_z", "d_z_ci_low", "d_z_ci_high", "effect", "effect_ci_low",
                  "effect_ci_high"]
    columns = ["instrument", "name", "scale", *options.by, "n_pre", "n", *stats_cols[:10],
               "higher_is_better", *stats_cols[10:]]
    if not parts:
        return pd.DataFrame(columns=columns)
    table = pd.concat(parts, ignore_index=True)[columns]
    keys = ["instrument", "name", "scale", *options.by]
    # n_pre − n (starters without an end assessment) is a group of people: where it is 1–4
    # the baseline count is hidden, the complete pairs and their results stay
    protected = protect(table, ["n_pre", "n"], along={"n_pre": options.by, "n": options.by},
                        derived=dict.fromkeys(stats_cols, ["n"]), supersets={"n_pre": "n"},
                        options=options, keys=keys)
    return protected if masks else _without_masks(protected, ["n_pre", "n"])


def _without_masks(table: pd.DataFrame, counts: Sequence[str]) -> pd.DataFrame:
    """A protected table for reading: no mask columns, counts as nullable whole numbers."""
    mask_cols = [c for c in table.columns if str(c).endswith(disclosure.MASK_SUFFIX)]
    out = table.drop(columns=mask_cols)
    for col in counts:
        out[col] = pd.to_numeric(out[col]).round().astype("Int64")
    out.attrs = dict(table.attrs)
    out.attrs["hidden"] = int(table[mask_cols].to_numpy(bool).sum()) if mask_cols else 0
    return out


@table_options("by", "pre", "post", "level", "min_cell", "suppress")
def change_categories(
    responses: Mapping[str, pd.DataFrame],
    clients: pd.DataFrame | None = None,
    *,
    options: TableOptions,
) -> pd.DataFrame:
    """Rates of reliable change and of clinically significant change, with Wilson CIs.

    Reliable change (Jacobson & Truax 1991): :func:`soskulib.change.reliable_change_scores`
    on the headline scale, SD of the baseline scores in these data and the spec's reliability
    (single-item scales such as 3X10D ``life_overall`` or the EQ VAS have no internal
    consistency and are skipped). Clinical significance where both norm groups are published
    (:data:`CLINICAL_NORMS`): cutoff *c* of :func:`soskulib.change.jt_cutoffs`. Rates are
    group-level figures (THL advises group-level use of ESIS); ``share`` is of the clients
    with both assessments, with Wilson (1927) intervals.

    Returns
    -------
    DataFrame
        ``instrument, name, analysis ('reliable_change' | 'clinical_significance'), by…,
        category, n, n_total, share, ci_low, ci_high`` (+ masks).
    """
    from soskulib import change, instruments

    scored = scored_responses(require_responses(responses, "change_categories"), clients,
                              attributes=options.by)
    parts = []
    for inst_id, frame in scored.items():
        inst = instruments.get(inst_id)
        scale = inst.headline
        if scale not in inst.scales or len(inst.scales[scale].items) < 2:
            continue
        if not {options.pre, options.post} <= set(frame["occasion"].dropna()):
            continue
        long = frame.rename(columns={"score": scale}) if scale not in frame.columns else frame
        analyses = [("reliable_change", None)]
        if inst_id in CLINICAL_NORMS:
            norm_scale, clinical, functional = CLINICAL_NORMS[inst_id]
            m_clin, sd_clin = inst.norm(norm_scale, clinical)
            m_func, sd_func = inst.norm(norm_scale, functional)
            cut = change.jt_cutoffs(m_clin, sd_clin, m_func, sd_func,
                                    higher_is_better=inst.scales[scale].higher_is_better)
            analyses.append(("clinical_significance", cut.c))
        for analysis, cutoff in analyses:
            res = change.reliable_change_scores(long, inst, scale, pre=options.pre, post=options.post,
                                                cutoff=cutoff, keep=options.by)
            rates = change.category_rates(res.dropna(subset=["category"]), by=options.by or None,
                                          level=options.level)
            rates["category"] = rates["category"].astype(str)
            rates.insert(0, "instrument", inst_id)
            rates.insert(1, "name", inst.name)
            rates.insert(2, "analysis", analysis)
            parts.append(rates)
    columns = ["instrument", "name", "analysis", *options.by, "category", "n", "n_total", "share",
               "ci_low", "ci_high"]
    if not parts:
        return pd.DataFrame(columns=columns)
    table = pd.concat(parts, ignore_index=True)[columns]
    return protect(table, ["n", "n_total"], along={"n": ["category", *options.by], "n_total": options.by},
                    derived={c: ["n", "n_total"] for c in ("share", "ci_low", "ci_high")},
                    options=options,
                    keys=["instrument", "name", "analysis", *options.by, "category"])


@table_options("by", "level", "min_cell", "suppress")
def gas_summary(
    goals: pd.DataFrame,
    clients: pd.DataFrame | None = None,
    *,
    rho: float = 0.3,
    options: TableOptions,
) -> pd.DataFrame:
    """GAS T-scores per group: mean with a t-based CI, and the share at or above 50.

    T-scores per client from :func:`soskulib.gas.gas_tscores` (Kiresuk & Sherman 1968,
    ``rho`` = 0.3); 50 means the goals were attained as expected. Clients without a rated goal
    are left out.

    Returns
    -------
    DataFrame
        ``by…, n, tscore_mean, ci_low, ci_high, tscore_sd, share_at_or_above_50`` (+ masks).

    Examples
    --------
    >>> g = pd.DataFrame({"client_id": [f"c{i}" for i in range(6)], "municipality": "092",
    ...                   "weight": 1.0, "attainment": [-1.0, 0, 0, 1, 1, 2]})
    >>> gas_summary(g)[["n", "tscore_mean"]].round(2)
         n  tscore_mean
    0  6.0         55.0

    One goal per client: T = 50 + 10·x, so the mean is 50 + 10 · mean(x) = 55.
    """
    from soskulib import gas

    require_columns(goals, ["client_id", "municipality", "attainment"], "gas_summary")
    weight = "weight" if "weight" in goals.columns else None
    tscores = gas.gas_tscores(goals, weight=weight, rho=rho, keep=["municipality"]).reset_index()
    attrs = _client_attributes(clients, [b for b in options.by if b != "municipality"])
    if attrs is not None:
        tscores = tscores.merge(attrs, on=["client_id", "municipality"], how="left")
    tscores = tscores.dropna(subset=["tscore"])
    keys = group_keys(tscores, options.by)
    frame = pd.concat([keys, tscores[["tscore"]]], axis=1)
    frame["at_or_above"] = frame["tscore"] >= 50 - 1e-9

    def summarise(part: pd.DataFrame) -> pd.Series:
        mean, low, high, n = mean_ci(part["tscore"], options.level)
        return pd.Series({"n": n, "tscore_mean": mean, "ci_low": low, "ci_high": high,
                          "tscore_sd": part["tscore"].std(ddof=1),
                          "share_at_or_above_50": part["at_or_above"].mean()})

    if options.by:
        table = frame.groupby(options.by, sort=True)[["tscore", "at_or_above"]].apply(summarise).reset_index()
    else:
        table = summarise(frame).to_frame().T
    table["n"] = table["n"].astype("int64")
    stats_cols = ["tscore_mean", "ci_low", "ci_high", "tscore_sd", "share_at_or_above_50"]
    table[stats_cols] = table[stats_cols].astype(float)
    return protect(table[[*options.by, "n", *stats_cols]], ["n"], along={"n": options.by},
                    derived=dict.fromkeys(stats_cols, ["n"]), options=options, keys=options.by)


@table_options("min_cell", "suppress")
def traffic_light_shares(
    responses: pd.DataFrame,
    *,
    instrument: str = "3x10d",
    occasions: Sequence[str] = ("baseline", "end"),
    options: TableOptions,
) -> pd.DataFrame:
    """Share of answers in each traffic-light band per life area and occasion (3X10D).

    Bands come from the instrument spec (red 0–5, yellow 6–7, green 8–10; Diak). The
    respondents of one life area and occasion are the denominator ``n_item``; bands of a life
    area add up to it (secondary suppression along the band).

    ``n_item`` is published beside the shares (:func:`traffic_light_table`): a share at full
    precision gives its denominator back anyway (``k / n`` fits one ``n``), so it is protected
    like a count. With a ``client_id`` column, the clients answering a life area at both
    occasions (its pairs) are a subset of each occasion's respondents: where an occasion's
    ``n_item`` exceeds the pairs by 1 … ``min_cell − 1`` people it is hidden, and its shares
    with it (the set-minus-subset rule of :func:`outcome_summary`; for the headline life area
    the pairs are the outcome tables' ``n``).

    Returns
    -------
    DataFrame
        ``occasion, item, band, n, n_item, share`` (+ masks), in spec order.

    Examples
    --------
    >>> r = pd.DataFrame({"occasion": ["baseline"] * 10, "life_overall": [3.0] * 5 + [9.0] * 5})
    >>> out = traffic_light_shares(r, occasions=["baseline"])
    >>> out.loc[out["item"] == "life_overall", ["band", "n", "share"]]
          band    n  share
    27     red  5.0    0.5
    28  yellow  0.0    0.0
    29   green  5.0    0.5
    """
    from soskulib import instruments

    spec = instruments.get(instrument)
    if not spec.traffic_lights:
        raise ValueError(f"{spec.name} has no traffic_lights in its spec")
    require_columns(responses, ["occasion"], "traffic_light_shares")
    items = [i for i in spec.items if i in responses.columns]
    if not items:
        raise KeyError(f"traffic_light_shares needs the {spec.name} item columns {list(spec.items)}")
    rows = responses.loc[responses["occasion"].isin(list(occasions)), ["occasion", *items]]
    long = rows.melt(id_vars="occasion", var_name="item", value_name="value").dropna()
    bands = list(spec.traffic_lights)
    band = pd.Series(pd.NA, index=long.index, dtype=object)
    for name, (lo, hi) in spec.traffic_lights.items():
        band = band.mask(long["value"].between(lo, hi), name)
    long["band"] = band
    full = pd.MultiIndex.from_product([list(occasions), list(spec.items), bands],
                                      names=["occasion", "item", "band"])
    table = long.groupby(["occasion", "item", "band"]).size().reindex(full, fill_value=0) \
        .rename("n").reset_index()
    table["n_item"] = table.groupby(["occasion", "item"])["n"].transform("sum")
    with np.errstate(invalid="ignore", divide="ignore"):
        table["share"] = (table["n"] / table["n_item"]).where(table["n_item"] > 0)
    table["n_pairs"] = table["n_item"]
    if "client_id" in responses.columns and len(occasions) == 2:
        answered = responses.loc[responses["occasion"].isin(list(occasions)),
                                 ["client_id", "occasion", *items]].copy()
        per = answered.groupby(["client_id", "occasion"])[items].count().clip(upper=1)
        both = (per.groupby(level="client_id").sum() == len(occasions)).sum()
        table["n_pairs"] = table["item"].map(both).fillna(table["n_item"]).astype(float)
    out = protect(table, ["n", "n_item"], along={"n": ["band"], "n_item": []},
                  derived={"share": ["n", "n_item"]}, supersets={"n_item": "n_pairs"},
                  options=options, keys=["occasion", "item", "band"])
    return out.drop(columns="n_pairs")



def traffic_light_table(lights: pd.DataFrame, lang: str = "fi") -> pd.DataFrame:
    """3X10D traffic-light shares (%) wide: life areas × (occasion · n, bands), markers kept.

    ``lights`` is :func:`soskulib.outcomes.traffic_light_shares` output. Each occasion's
    respondents ``n`` stand before its shares, so a reader sees what the percentages are of
    (the shares give ``n`` back anyway; it is protected like any count).
    """
    from soskulib import instruments, schema

    spec = instruments.get("3x10d")
    items = {i: spec.label(i, lang) for i in spec.items}
    occasions = {o: schema.label("occasion", o, lang) for o in schema.CODE_LABELS["occasion"]}
    bands = {b: labels.text(f"col.{b}", lang) for b in spec.traffic_lights}
    wide = spread(lights, "item", ["occasion", "band"], "share", scale=100,
                  labels_for={"item": items, "occasion": occasions, "band": bands})
    first = lights.drop_duplicates(["occasion", "item"]).assign(band="n")
    counts = spread(first, "item", ["occasion", "band"], "n_item",
                    labels_for={"item": items, "occasion": occasions, "band": {"n": "n"}})
    counts = counts.astype(object).map(lambda v: int(v) if isinstance(v, float) and v == v else v)
    order = [c for o in dict.fromkeys(first["occasion"]) for c in
             [*[k for k in counts.columns if k.startswith(f"{occasions.get(o, o)} · ")],
              *[k for k in wide.columns if k.startswith(f"{occasions.get(o, o)} · ")]]]
    wide = pd.concat([wide, counts], axis=1)[order]
    wide.index.name = labels.text("col.life_area", lang)
    return wide
