"""The data-quality page: rows per table and municipality, reconciliation, findings, completeness.

Summaries of what arrived and what was rejected, for ``00_data_quality.ipynb``: row counts of
tables (not counts of people), the manifest's ``rows_in = rows_out + rows_rejected`` check,
validation findings and rejects counted by location and reason (messages and rejected values
are never shown), measurement attrition (baseline assessments that got an end assessment, the
real bottleneck of every change analysis) and instrument completeness, with their heat maps.
"""

from __future__ import annotations

import os
import warnings
from collections.abc import Mapping
from pathlib import Path
from typing import Any

import pandas as pd

from soskulib import formatting, labels, publication
from soskulib.errors import DataError

__all__ = ["rows_by_municipality", "reconciliation", "problem_summary", "reject_summary",
           "measurement_attrition", "attrition_figure", "completeness", "protect_completeness",
           "completeness_figure"]


def rows_by_municipality(processed_dir: str | os.PathLike[str]) -> pd.DataFrame:
    """Processed rows per table (rows) and municipality (columns), zeros where none arrived.

    Row counts of tables, not counts of people: no suppression applies. Every table of
    clients' records (clients, contacts, goals) counts the rows of the publication
    population (:func:`soskulib.page.publication_population`), as the municipality pages do:
    a total that included the people left out would give them back. The assessments are not
    here: one per client and occasion, they count people, and the protected
    :func:`completeness` table gives them by occasion (their total less the clients with a
    baseline and the complete pairs of the outcome tables would be a group of people).
    """
    from soskulib import io as sio
    from soskulib import schema
    from soskulib.page import publication_population

    counts = {}
    population = publication_population(processed_dir)
    for table in schema.tables():
        if table.name.startswith("responses_"):
            continue
        of_clients = table.name != "clients" and "client_id" in [c.name for c in table.columns]
        try:
            frame = sio.load_processed(processed_dir, table.name,
                                       columns=["municipality", "client_id"] if of_clients else ["municipality"])
        except FileNotFoundError:
            continue
        if table.name == "clients":  # people: the publication population, as on every page
            frame = population.clients
        elif of_clients:
            frame = population.keep(frame)
        counts[table.name] = frame["municipality"].value_counts()
    wide = pd.DataFrame(counts).T.fillna(0).astype("int64")
    wide = wide.reindex(columns=sorted(wide.columns))
    wide.index.name = "table"
    return wide


def reconciliation(manifest: dict[str, Any], left_out: Mapping[str, int] | None = None) -> pd.DataFrame:
    """``rows_in, rows_out, rows_rejected`` per table from the manifest and whether they add up.

    Parameters
    ----------
    manifest : dict
        ``manifest.json`` of the processed data.
    left_out : mapping, optional
        ``{table: rows}`` of the people the publication population leaves out
        (:func:`soskulib.page.publication_population`): they are taken out of both the rows
        that arrived and the rows processed, so the table counts the same people as every
        other page. Otherwise ``rows processed − Σ clients of the municipality pages`` would
        give their number back (a small group where few are left out).

    Examples
    --------
    >>> reconciliation({"tables": {"clients": {"rows_in": 10, "rows_out": 9,
    ...                                        "rows_rejected": 1}}})
         table  rows_in  rows_out  rows_rejected  reconciles
    0  clients       10         9              1        True
    >>> reconciliation({"tables": {"clients": {"rows_in": 10, "rows_out": 9,
    ...                                        "rows_rejected": 1}}}, left_out={"clients": 2})
         table  rows_in  rows_out  rows_rejected  reconciles
    0  clients        8         7              1        True
    """
    tables = manifest.get("tables")
    if not isinstance(tables, dict):
        raise DataError("manifest.json has no 'tables' object; rerun `sosku prepare`")
    frame = pd.DataFrame.from_dict(tables, orient="index")
    missing = {"rows_in", "rows_out", "rows_rejected"} - set(frame.columns)
    if missing:
        raise DataError(f"manifest.json tables lack {', '.join(sorted(missing))}")
    frame = frame[["rows_in", "rows_out", "rows_rejected"]].astype("int64")
    for table, rows in (left_out or {}).items():
        if table in frame.index:
            frame.loc[table, ["rows_in", "rows_out"]] -= int(rows)
    frame["reconciles"] = frame["rows_in"] == frame["rows_out"] + frame["rows_rejected"]
    return frame.rename_axis("table").reset_index()


def problem_summary(processed_dir: str | os.PathLike[str]) -> pd.DataFrame:
    """Validation findings of ``problems.csv`` counted by file and column.

    Only locations are summarised, never the messages themselves (a message may quote a
    value). Returns an empty frame with the same columns when there were no findings.
    """
    path = Path(processed_dir) / "problems.csv"
    columns = ["file", "column", "problems"]
    if not path.is_file():
        return pd.DataFrame(columns=columns)
    problems = pd.read_csv(path, dtype=str, keep_default_na=False)
    if problems.empty:
        return pd.DataFrame(columns=columns)
    for col in ("file", "column"):
        if col not in problems.columns:
            problems[col] = "-"
    out = (problems.groupby(["file", "column"], sort=True).size().rename("problems")
           .reset_index().sort_values(["problems", "file", "column"],
                                      ascending=[False, True, True], kind="stable"))
    return out.reset_index(drop=True)


def reject_summary(processed_dir: str | os.PathLike[str]) -> pd.DataFrame:
    """Rejected rows by table and reason (``rejects/<table>.csv``; only ``reason`` is read)."""
    folder = Path(processed_dir) / "rejects"
    parts = []
    for path in sorted(folder.glob("*.csv")) if folder.is_dir() else []:
        reasons = pd.read_csv(path, usecols=lambda c: c == "reason", dtype=str,
                              keep_default_na=False)
        if "reason" not in reasons.columns or reasons.empty:
            continue
        # A reason may list several broken rules; the first one classifies the row.
        first = reasons["reason"].str.split(";").str[0].str.strip()
        counts = first.value_counts().rename("rows").rename_axis("reason").reset_index()
        counts.insert(0, "table", path.stem)
        parts.append(counts)
    if not parts:
        return pd.DataFrame(columns=["table", "reason", "rows"])
    out = pd.concat(parts, ignore_index=True)
    return out.sort_values(["table", "rows", "reason"], ascending=[True, False, True],
                           kind="stable").reset_index(drop=True)


def completeness(processed_dir: str | os.PathLike[str], *, lang: str = "fi") -> pd.DataFrame:
    """Per instrument, municipality and occasion: responses, items answered (%), scorable (%).

    "Scorable" applies the instrument's missing-item rule through :func:`soskulib.scoring.score`
    (the headline scale of the instrument; for 3X10D, its ``life_overall`` item). The
    ``instrument`` column names that headline scale in ``lang``
    (:meth:`soskulib.instruments.Instrument.display_name`: "EQ VAS", "3X10D: elämä
    kokonaisuutena"), the name the outcome and attrition tables give the same scores; the
    items answered are all items of the instrument's form. Responses
    of the publication population (:func:`soskulib.page.publication_population`);
    ``responses`` counts people, so it is published only through
    :func:`protect_completeness`. Two more counts of people, never published themselves, say
    what the protection must keep apart: ``n_scorable`` (responses the rule can score) and
    ``n_pairs`` (on the baseline and end rows: the clients with a scorable baseline *and*
    end, the complete pairs the outcome tables and :func:`measurement_attrition` publish).
    """
    from soskulib import instruments, schema, scoring
    from soskulib import io as sio
    from soskulib.page import publication_population

    labels.check_lang(lang)
    parts = []
    population = publication_population(processed_dir)
    for inst_id in instruments.ordered(schema.ASSESSMENT_INSTRUMENTS):
        inst = instruments.get(inst_id)
        try:
            resp = population.keep(sio.load_processed(processed_dir, f"responses_{inst_id}"))
        except FileNotFoundError:
            continue
        if resp.empty:
            continue
        scored = scoring.score(resp, inst, keep=["municipality", "occasion"])
        headline = inst.headline if inst.headline in scored.columns else scored.columns[-1]
        frame = pd.DataFrame({
            "instrument": inst.display_name(lang),
            "municipality": resp["municipality"],
            "occasion": resp["occasion"],
            "answered": resp[list(inst.items)].notna().mean(axis=1),
            "scorable": scored[headline].notna(),
        })
        g = frame.groupby(["instrument", "municipality", "occasion"], sort=True)
        part = pd.DataFrame({
            "responses": g.size(),
            "items_answered_pct": 100 * g["answered"].mean(),
            "scorable_pct": 100 * g["scorable"].mean(),
            "n_scorable": g["scorable"].sum(),
        }).reset_index()
        # complete pairs: the clients scorable at both baseline and end (one response each)
        ok = frame.assign(client_id=resp["client_id"]).loc[frame["scorable"]]
        both = (ok.loc[ok["occasion"].isin(["baseline", "end"])]
                .groupby(["municipality", "client_id"], sort=False)["occasion"].nunique() == 2)
        pairs = both[both].groupby(level="municipality").size()
        paired = part["occasion"].isin(["baseline", "end"])
        part["n_pairs"] = part["municipality"].map(pairs).fillna(0).where(paired).astype("Int64")
        parts.append(part)
    if not parts:
        return pd.DataFrame(columns=["instrument", "municipality", "occasion", "responses",
                                     "items_answered_pct", "scorable_pct", "n_scorable", "n_pairs"])
    out = pd.concat(parts, ignore_index=True)
    order = {occ: i for i, occ in enumerate(("baseline", "end", "followup"))}
    out["_o"] = out["occasion"].map(order)
    # Instruments in the reports' one order (parts were built in it), not alphabetically.
    out["_i"] = out["instrument"].map({n: i for i, n in enumerate(dict.fromkeys(out["instrument"]))})
    # Municipalities by name, as in the attrition table and the heat maps, not by code.
    names = _municipality_names(out["municipality"].unique(), "fi")
    out["_m"] = out["municipality"].map(names).str.casefold()
    return (out.sort_values(["_i", "_m", "_o"], kind="stable")
            .drop(columns=["_o", "_i", "_m"]).reset_index(drop=True))


def protect_completeness(comp: pd.DataFrame, *, min_cell: int | None = None) -> pd.DataFrame:
    """The :func:`completeness` table as published: no group of 1 … ``min_cell − 1`` people
    can be computed from it and the rest of the site.

    Each row's responses hold nested groups of people, and the site publishes the inner ones:
    the scorable responses (``scorable_pct × responses``; at baseline they are also the
    clients with a baseline of :func:`measurement_attrition`, and for 3X10D the respondents
    of its traffic lights) and, on the baseline and end rows, the complete pairs. So:

    * the scorable share is hidden where the scorable or the unscorable responses are
      1 … ``min_cell − 1`` (``complements``);
    * the responses (with both shares) are hidden where they exceed the nearest published
      subset by 1 … ``min_cell − 1``: the scorable responses, or, where every response is
      scorable, the complete pairs (``supersets``, the policy of ``docs/disclosure.md``: the
      larger count goes, the subset with its results stays).

    No total of the occasions is published (:func:`rows_by_municipality` leaves the
    assessments out), so a hidden count needs no complement in its line.

    Parameters
    ----------
    comp : DataFrame
        :func:`completeness` output (with ``n_scorable`` and ``n_pairs``).
    min_cell : int, optional
        Disclosure threshold (default :data:`soskulib.disclosure.MIN_CELL`).

    Returns
    -------
    DataFrame
        ``instrument, municipality, occasion, responses, items_answered_pct, scorable_pct``
        with ``NaN`` where hidden and a ``*_suppressed`` mask per published column, marked
        publishable (:mod:`soskulib.publication`).

    Examples
    --------
    Ten responses, eight scorable: the two unscorable ones are a group too, so the share
    goes and, since the scorable eight are published elsewhere, so do the responses.

    >>> comp = pd.DataFrame({"instrument": "ESIS", "municipality": "092",
    ...                      "occasion": ["baseline", "end"], "responses": [10, 40],
    ...                      "items_answered_pct": [95.0, 99.0], "scorable_pct": [80.0, 100.0],
    ...                      "n_scorable": [8, 40], "n_pairs": [6, 6]})
    >>> protect_completeness(comp)[["occasion", "responses", "scorable_pct"]]
       occasion  responses  scorable_pct
    0  baseline        NaN           NaN
    1       end       40.0         100.0
    """
    from soskulib import disclosure

    threshold = disclosure.MIN_CELL if min_cell is None else min_cell
    keys = ["instrument", "municipality", "occasion"]
    pairs = pd.to_numeric(comp["n_pairs"], errors="coerce").astype(float)
    nearest = comp["n_scorable"].astype(float).where(comp["responses"] != comp["n_scorable"],
                                                     pairs.fillna(comp["n_scorable"].astype(float)))
    out = disclosure.suppress_table(
        comp.assign(n_nearest=nearest), ["responses", "n_scorable"], min_cell=threshold, keys=keys,
        complements={"n_scorable": "responses"}, supersets={"responses": "n_nearest"},
        derived={"items_answered_pct": "responses", "scorable_pct": ["responses", "n_scorable"]})
    published = ["responses", "items_answered_pct", "scorable_pct"]
    table = out[[*keys, *published, *(disclosure.mask_column(c) for c in published)]].copy()
    return publication.mark(table, True, "data_quality.protect_completeness", min_cell=threshold)


@formatting.literal_figure
def completeness_figure(comp: pd.DataFrame, lang: str = "fi") -> Any:
    """Heat map of the scorable share (%) by instrument × occasion and municipality."""
    import matplotlib.pyplot as plt
    import numpy as np

    from soskulib import disclosure, schema

    labels.check_lang(lang)
    if comp.empty:
        raise ValueError("no instrument responses to plot")
    comp = comp.assign(row=comp["instrument"] + " · " + comp["occasion"].map(
        lambda o: schema.label("occasion", o, lang)))
    # Municipalities by name (not by code), in alphabetical order of the page's language.
    names = _municipality_names(comp["municipality"].unique(), lang)
    # Every instrument × occasion keeps its row in the table's order, also one whose every
    # cell is hidden (a pivot would drop it and reorder the rest).
    grid = (comp.set_index(["row", "municipality"])["scorable_pct"].astype(float)
            .unstack("municipality").reindex(list(dict.fromkeys(comp["row"]))))
    grid = grid.rename(columns=names)
    grid = grid[sorted(grid.columns, key=str.casefold)]
    fig, ax = plt.subplots(figsize=(1.2 + 0.75 * grid.shape[1], 0.9 + 0.38 * grid.shape[0]))
    image = ax.imshow(grid.to_numpy(dtype=float), cmap="cividis", vmin=0, vmax=100,
                      aspect="auto")
    ax.set_xticks(range(grid.shape[1]), grid.columns, rotation=40, ha="right")
    ax.set_yticks(range(grid.shape[0]), grid.index)
    ax.grid(False)
    mask = disclosure.mask_column("scorable_pct")
    hidden = (comp.assign(_h=comp[mask] if mask in comp.columns else False)
              .pivot_table(index="row", columns="municipality", values="_h", aggfunc="max", sort=False)
              .rename(columns=names).reindex(index=grid.index, columns=grid.columns)
              .fillna(False).astype(bool).to_numpy())
    for (i, j), value in np.ndenumerate(grid.to_numpy(dtype=float)):
        if hidden[i, j]:  # suppressed in the table: marked (dark on the blank cell), not left blank
            ax.text(j, i, disclosure.MARKER, ha="center", va="center", fontsize=8, color="black")
        elif not np.isnan(value):
            ax.text(j, i, formatting.number(value, lang, 0), ha="center", va="center",
                    fontsize=8, color="black" if value > 55 else "white")
    ax.set_xlabel(labels.text("col.municipality", lang))
    fig.colorbar(image, ax=ax, label=labels.text("col.scorable", lang), shrink=0.8)
    return fig



def _municipality_names(codes: Any, lang: str) -> dict[str, str]:
    """Organisation names of ``codes`` in ``lang`` (the code where unknown)."""
    from soskulib import schema

    orgs = schema.organisations()
    names = dict(zip(orgs["code"], orgs["name_fi" if lang == "fi" else "name_en"], strict=True))
    return {c: names.get(c, c) for c in codes}


def measurement_attrition(processed_dir: str | os.PathLike[str], *, pre: str = "baseline",
                          post: str = "end", lang: str = "fi",
                          min_cell: int | None = None) -> pd.DataFrame:
    """Baseline assessments that got an end assessment, per instrument and municipality.

    The bottleneck of every change analysis: a client enters it only with a scorable
    assessment at both ``pre`` and ``post``. ``n_pre`` counts clients with a scorable ``pre``
    score, ``n`` those who also have a scorable ``post`` score (the complete pairs the outcome
    tables rest on), ``share_end = n / n_pre``. Counts of people of the publication population
    (:func:`soskulib.disclosure.publication_population`), so the numbers are those of the
    protected :func:`soskulib.outcomes.outcome_summary` on the municipality pages (cells under
    ``min_cell`` and their complements hidden, the share with them).

    Parameters
    ----------
    processed_dir : path
        The ``sosku prepare`` output folder.
    pre, post : str
        Occasions compared.
    lang : {"fi", "en"}
        Language of the instrument and municipality names.
    min_cell : int, optional
        Disclosure threshold (default :data:`soskulib.disclosure.MIN_CELL`).

    Returns
    -------
    DataFrame
        ``instrument, name, municipality, n_pre, n, share_end`` (+ ``*_suppressed`` masks),
        instruments in the reports' order (:data:`soskulib.instruments.ORDER`), municipalities
        by name; ``attrs["overall_share"]`` is the share over every municipality and
        instrument (all pairs / all baselines, from the unrounded counts).
    """
    from soskulib import disclosure, instruments, outcomes, schema
    from soskulib import io as sio

    labels.check_lang(lang)
    responses = {}
    for inst_id in instruments.ordered(schema.ASSESSMENT_INSTRUMENTS):
        try:
            responses[inst_id] = sio.load_processed(processed_dir, f"responses_{inst_id}")
        except FileNotFoundError:
            continue
    columns = ["instrument", "name", "municipality", "n_pre", "n", "share_end"]
    if not responses:
        return pd.DataFrame(columns=columns)
    threshold = disclosure.MIN_CELL if min_cell is None else min_cell
    # the publication population, as on the municipality pages: counting everyone here would
    # give the people the pages leave out back as the difference of two published counts
    clients = sio.load_processed(processed_dir, "clients", columns=["municipality", "client_id", "gender"])
    population = disclosure.publication_population(clients, responses, min_cell=threshold)
    responses = {k: population.keep(v) for k, v in responses.items()}
    summary = outcomes.outcome_summary(responses, by="municipality", pre=pre, post=post,
                                       min_cell=threshold, masks=True)
    masks = [c for c in ("n_pre_suppressed", "n_suppressed") if c in summary.columns]
    table = summary[["instrument", "municipality", "n_pre", "n", *masks]].copy()
    table.insert(1, "name", [instruments.get(i).display_name(lang) for i in table["instrument"]])
    hidden = table[masks].any(axis=1) if masks else pd.Series(False, index=table.index)
    table["share_end"] = (table["n"] / table["n_pre"].where(table["n_pre"] > 0)).mask(hidden)
    table["share_end_suppressed"] = hidden.to_numpy()
    names = _municipality_names(table["municipality"].unique(), lang)
    rank = {i: k for k, i in enumerate(instruments.ordered(table["instrument"]))}
    table = table.assign(_i=table["instrument"].map(rank),
                         _m=table["municipality"].map(names).str.casefold())
    table = table.sort_values(["_i", "_m"], kind="stable").drop(columns=["_i", "_m"])
    with_masks = [*columns, *[c for c in table.columns if c.endswith("_suppressed")]]
    table = table[with_masks].reset_index(drop=True)
    with warnings.catch_warnings():  # the overall share only; no count of it is published
        warnings.simplefilter("ignore")
        raw = outcomes.outcome_summary(responses, by="municipality", pre=pre, post=post,
                                       suppress=False)
    total_pre = float(raw["n_pre"].sum())
    table.attrs["overall_share"] = float(raw["n"].sum()) / total_pre if total_pre else float("nan")
    return publication.mark(table, True, "data_quality.measurement_attrition", min_cell=threshold)


@formatting.literal_figure
def attrition_figure(attrition: pd.DataFrame, lang: str = "fi") -> Any:
    """Heat map of the share of baseline assessments with an end assessment.

    Rows are municipalities (by name), columns instruments (in the reports' order); a hidden
    cell is hatched and marked ``..``, never drawn as a number.

    Parameters
    ----------
    attrition : DataFrame
        :func:`measurement_attrition` output.
    lang : {"fi", "en"}
        Language.

    Returns
    -------
    matplotlib.figure.Figure
    """
    import matplotlib.pyplot as plt
    import numpy as np

    from soskulib import disclosure

    labels.check_lang(lang)
    if attrition.empty:
        raise ValueError("no baseline assessments to plot")
    names = _municipality_names(attrition["municipality"].unique(), lang)
    data = attrition.assign(row=attrition["municipality"].map(names))
    rows = sorted(data["row"].unique(), key=str.casefold)
    cols = list(dict.fromkeys(data["name"]))
    grid = data.pivot_table(index="row", columns="name", values="share_end", aggfunc="first",
                            dropna=False).reindex(index=rows, columns=cols)
    hidden = (data.pivot_table(index="row", columns="name", values="share_end_suppressed",
                               aggfunc="first").reindex(index=rows, columns=cols)
              .fillna(False).astype(bool))
    fig, ax = plt.subplots(figsize=(2.5 + 1.6 * len(cols), 1.0 + 0.42 * len(rows)),
                           layout="constrained")
    values = grid.to_numpy(dtype=float)
    image = ax.imshow(values, cmap="cividis", vmin=0, vmax=1, aspect="auto")
    ax.set_xticks(range(len(cols)), [c.replace(": ", ":\n") for c in cols])
    ax.set_yticks(range(len(rows)), rows)
    ax.grid(False)
    for (i, j), value in np.ndenumerate(values):
        if hidden.iat[i, j]:
            ax.add_patch(plt.Rectangle((j - 0.5, i - 0.5), 1, 1, facecolor="#DDDDDD",
                                       hatch="///", edgecolor="#888888"))
            ax.text(j, i, disclosure.MARKER, ha="center", va="center", fontsize=9)
        elif np.isfinite(value):
            ax.text(j, i, formatting.percent(value, lang, share=True), ha="center",
                    va="center", fontsize=9, color="black" if value > 0.55 else "white")
    bar = fig.colorbar(image, ax=ax, shrink=0.8,
                       format=formatting.axis_formatter(lang, percent_axis=True))
    bar.set_label(labels.text("col.share_end", lang))
    return fig
