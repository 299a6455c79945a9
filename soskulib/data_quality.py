"""The data-quality page: rows per table and municipality, reconciliation, findings, completeness.

Summaries of what arrived and what was rejected, for ``00_data_quality.ipynb``: row counts of
tables (not counts of people), the manifest's ``rows_in = rows_out + rows_rejected`` check,
validation findings and rejects counted by location and reason (messages and rejected values
are never shown), and instrument completeness with its heat map.
"""

from __future__ import annotations

import os
from pathlib import Path
from typing import Any

import pandas as pd

from soskulib import labels
from soskulib.errors import DataError

__all__ = ["rows_by_municipality", "reconciliation", "problem_summary", "reject_summary",
           "completeness", "completeness_figure"]


def rows_by_municipality(processed_dir: str | os.PathLike[str]) -> pd.DataFrame:
    """Processed rows per table (rows) and municipality (columns), zeros where none arrived.

    Row counts of tables, not counts of people: no suppression applies (the clients row
    counts client episodes and is published as such in the reach tables anyway).
    """
    from soskulib import io as sio
    from soskulib import schema

    counts = {}
    for table in schema.tables():
        try:
            frame = sio.load_processed(processed_dir, table.name, columns=["municipality"])
        except FileNotFoundError:
            continue
        counts[table.name] = frame["municipality"].value_counts()
    wide = pd.DataFrame(counts).T.fillna(0).astype("int64")
    wide = wide.reindex(columns=sorted(wide.columns))
    wide.index.name = "table"
    return wide


def reconciliation(manifest: dict[str, Any]) -> pd.DataFrame:
    """``rows_in, rows_out, rows_rejected`` per table from the manifest and whether they add up.

    Examples
    --------
    >>> reconciliation({"tables": {"clients": {"rows_in": 10, "rows_out": 9,
    ...                                        "rows_rejected": 1}}})
         table  rows_in  rows_out  rows_rejected  reconciles
    0  clients       10         9              1        True
    """
    tables = manifest.get("tables")
    if not isinstance(tables, dict):
        raise DataError("manifest.json has no 'tables' object; rerun `sosku prepare`")
    frame = pd.DataFrame.from_dict(tables, orient="index")
    missing = {"rows_in", "rows_out", "rows_rejected"} - set(frame.columns)
    if missing:
        raise DataError(f"manifest.json tables lack {', '.join(sorted(missing))}")
    frame = frame[["rows_in", "rows_out", "rows_rejected"]].astype("int64")
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


def completeness(processed_dir: str | os.PathLike[str]) -> pd.DataFrame:
    """Per instrument, municipality and occasion: responses, items answered (%), scorable (%).

    "Scorable" applies the instrument's missing-item rule through :func:`soskulib.scoring.score`
    (the headline scale of the instrument; for 3X10D, its ``life_overall`` item).
    """
    from soskulib import instruments, schema, scoring
    from soskulib import io as sio

    parts = []
    for inst_id in schema.ASSESSMENT_INSTRUMENTS:
        inst = instruments.get(inst_id)
        try:
            resp = sio.load_processed(processed_dir, f"responses_{inst_id}")
        except FileNotFoundError:
            continue
        if resp.empty:
            continue
        scored = scoring.score(resp, inst, keep=["municipality", "occasion"])
        headline = inst.headline if inst.headline in scored.columns else scored.columns[-1]
        frame = pd.DataFrame({
            "instrument": inst.name,
            "municipality": resp["municipality"],
            "occasion": resp["occasion"],
            "answered": resp[list(inst.items)].notna().mean(axis=1),
            "scorable": scored[headline].notna(),
        })
        g = frame.groupby(["instrument", "municipality", "occasion"], sort=True)
        parts.append(pd.DataFrame({
            "responses": g.size(),
            "items_answered_pct": 100 * g["answered"].mean(),
            "scorable_pct": 100 * g["scorable"].mean(),
        }).reset_index())
    if not parts:
        return pd.DataFrame(columns=["instrument", "municipality", "occasion", "responses",
                                     "items_answered_pct", "scorable_pct"])
    out = pd.concat(parts, ignore_index=True)
    order = {occ: i for i, occ in enumerate(("baseline", "end", "followup"))}
    out["_o"] = out["occasion"].map(order)
    return (out.sort_values(["instrument", "municipality", "_o"], kind="stable")
            .drop(columns="_o").reset_index(drop=True))


def completeness_figure(comp: pd.DataFrame, lang: str = "fi") -> Any:
    """Heat map of the scorable share (%) by instrument × occasion and municipality."""
    import matplotlib.pyplot as plt
    import numpy as np

    from soskulib import schema

    labels.check_lang(lang)
    if comp.empty:
        raise ValueError("no instrument responses to plot")
    comp = comp.assign(row=comp["instrument"] + " · " + comp["occasion"].map(
        lambda o: schema.label("occasion", o, lang)))
    grid = comp.pivot_table(index="row", columns="municipality", values="scorable_pct",
                            sort=False)
    fig, ax = plt.subplots(figsize=(1.2 + 0.75 * grid.shape[1], 0.9 + 0.38 * grid.shape[0]))
    image = ax.imshow(grid.to_numpy(dtype=float), cmap="cividis", vmin=0, vmax=100,
                      aspect="auto")
    ax.set_xticks(range(grid.shape[1]), grid.columns)
    ax.set_yticks(range(grid.shape[0]), grid.index)
    ax.grid(False)
    for (i, j), value in np.ndenumerate(grid.to_numpy(dtype=float)):
        if not np.isnan(value):
            ax.text(j, i, f"{value:.0f}", ha="center", va="center", fontsize=8,
                    color="black" if value > 55 else "white")
    ax.set_xlabel(labels.text("col.municipality", lang))
    fig.colorbar(image, ax=ax, label=labels.text("col.scorable", lang), shrink=0.8)
    return fig

