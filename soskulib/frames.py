"""Tidy result tables: group keys, calendar quarters, the disclosure pass-through, wide layout.

The result functions of :mod:`soskulib.process`, :mod:`soskulib.outcomes` and
:mod:`soskulib.synthesis` take and return tidy DataFrames; these are the steps they share:
missing group values kept as their own group, calendar quarters as group keys, the
pass-through to :func:`soskulib.disclosure.suppress_table`, and :func:`spread`, the wide
layout of a (suppressed) tidy table for reading. Argument checks are :mod:`soskulib.checks`.
"""

from __future__ import annotations

from collections.abc import Iterator, Mapping, Sequence
from typing import Any

import pandas as pd

from soskulib import disclosure

__all__ = ["group_keys", "groups", "protect", "quarter", "quarter_range", "quarter_start", "spread"]


def group_keys(df: pd.DataFrame, by: list[str]) -> pd.DataFrame:
    """Group labels with missing values made explicit, so groupby keeps them."""
    return df[by].astype(object).where(df[by].notna(), "(missing)") if by else df[[]]


def groups(data: pd.DataFrame, by: Sequence[str]) -> Iterator[tuple[dict[str, Any], pd.DataFrame]]:
    """Each group of ``data`` by the columns ``by`` as ``({column: value}, rows)``, as they appear.

    Examples
    --------
    >>> d = pd.DataFrame({"g": ["b", "a", "b"], "x": [1, 2, 3]})
    >>> [(keys, part["x"].tolist()) for keys, part in groups(d, ["g"])]
    [({'g': 'b'}, [1, 3]), ({'g': 'a'}, [2])]
    """
    by = list(by)
    for key, part in data.groupby(by, sort=False, observed=True):
        yield dict(zip(by, key if isinstance(key, tuple) else (key,), strict=True)), part


def protect(
    table: pd.DataFrame,
    count_cols: Sequence[str],
    *,
    along: Mapping[str, Sequence[str]],
    derived: Mapping[str, Sequence[str]] | None = None,
    complements: Mapping[str, str] | None = None,
    supersets: Mapping[str, str] | None = None,
    min_cell: int,
    suppress: bool,
    keys: Sequence[str],
) -> pd.DataFrame:
    return disclosure.suppress_table(
        table, list(count_cols), along=dict(along), derived=dict(derived or {}),
        complements=complements, supersets=supersets, keys=list(keys), min_cell=min_cell,
        suppress=suppress,
    )


def quarter(dates: pd.Series) -> pd.Series:
    """Calendar quarter as text, e.g. ``'2017Q2'`` (missing stays missing)."""
    return dates.dt.to_period("Q").astype(str).where(dates.notna())


def quarter_range(first: pd.Timestamp, last: pd.Timestamp) -> list[str]:
    return [str(q) for q in pd.period_range(first, last, freq="Q")]


def quarter_start(quarter: pd.Series) -> pd.Series:
    return pd.PeriodIndex(quarter.astype(str), freq="Q").to_timestamp().to_series(index=quarter.index)


def spread(table: pd.DataFrame, index: str | Sequence[str], columns: str | Sequence[str],
           values: str, *, scale: float = 1.0, labels_for: dict[str, Any] | None = None
           ) -> pd.DataFrame:
    """Pivot a tidy (possibly suppressed) table to a wide one for reading.

    Hidden cells keep the disclosure marker; ``scale`` multiplies visible values (100 for
    percentages); column labels of several ``columns`` are joined with " · ". ``labels_for``
    maps a column to a ``{code: label}`` dict applied before pivoting.

    Examples
    --------
    >>> t = pd.DataFrame({"item": ["a", "a"], "band": ["red", "green"], "share": [0.25, 0.75]})
    >>> spread(t, "item", "band", "share", scale=100).to_dict("index")
    {'a': {'red': 25.0, 'green': 75.0}}
    """
    from soskulib import disclosure

    idx = [index] if isinstance(index, str) else list(index)
    cols = [columns] if isinstance(columns, str) else list(columns)
    shown = table.copy()
    numeric = pd.to_numeric(shown[values], errors="coerce") * scale
    mask = disclosure.mask_column(values)
    if mask in shown.columns:
        shown[values] = numeric.astype(object).where(~shown[mask].astype(bool), disclosure.MARKER)
    else:
        shown[values] = numeric
    for col, mapping in (labels_for or {}).items():
        shown[col] = shown[col].map(lambda v, m=mapping: m.get(v, v))
    order = {c: list(dict.fromkeys(shown[c])) for c in idx + cols}
    wide = shown.pivot_table(index=idx, columns=cols, values=values, aggfunc="first",
                             sort=False)
    wide = wide.reindex(index=pd.MultiIndex.from_product([order[c] for c in idx]) if len(idx) > 1
                        else order[idx[0]])
    if len(cols) > 1:
        wide.columns = [" · ".join(map(str, c)) for c in wide.columns]
    else:
        wide = wide.reindex(columns=[c for c in order[cols[0]] if c in wide.columns])
    wide.index.names = idx
    # Columns without a hidden cell are numeric again (right-aligned, formatted).
    for col in wide.columns:
        if not (wide[col] == disclosure.MARKER).any():
            wide[col] = pd.to_numeric(wide[col])
    return wide
