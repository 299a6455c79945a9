"""Tidy result tables: group keys, calendar quarters, the disclosure pass-through, wide layout.

The result functions of :mod:`soskulib.process`, :mod:`soskulib.outcomes` and
:mod:`soskulib.synthesis` take and return tidy DataFrames; these are the steps they share:
the keywords they all take (:func:`table_options`: ``by``, ``pre``, ``post``, ``level``,
``min_cell``, ``suppress``, declared and defaulted once), missing group values kept as their
own group, calendar quarters as group keys, the pass-through to
:func:`soskulib.disclosure.suppress_table`, and :func:`spread`, the wide layout of a
(suppressed) tidy table for reading. Argument checks are :mod:`soskulib.checks`.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator, Mapping, Sequence
from dataclasses import dataclass
from typing import Any, TypeVar

import pandas as pd

from soskulib import disclosure
from soskulib.checks import as_list, keyword_options

__all__ = ["TableOptions", "group_keys", "groups", "protect", "quarter", "quarter_range",
           "quarter_start", "spread", "table_options"]

_F = TypeVar("_F", bound=Callable[..., Any])

@dataclass(frozen=True)
class TableOptions:
    """The keywords shared by the functions that return result tables, as one value.

    Attributes
    ----------
    by : list of str
        Grouping columns (``by=`` given as a name, names or ``None`` is read as a list).
    pre, post : str
        Occasions compared (``"baseline"`` and ``"end"``).
    level : float
        Confidence level of the intervals.
    min_cell : int
        Smallest count of people shown (:data:`soskulib.disclosure.MIN_CELL`).
    suppress : bool
        Whether small cells are hidden; ``False`` only for analysis that is not published.

    Examples
    --------
    >>> TableOptions(by="municipality").by, TableOptions().min_cell
    (['municipality'], 5)
    """

    by: str | Sequence[str] | None = None
    pre: str = "baseline"
    post: str = "end"
    level: float = 0.95
    min_cell: int = disclosure.MIN_CELL
    suppress: bool = True

    def __post_init__(self) -> None:
        object.__setattr__(self, "by", as_list(self.by))


def table_options(*names: str) -> Callable[[_F], _F]:
    """Give a result-table function the shared keywords ``names`` of :class:`TableOptions`.

    The function declares a keyword-only ``options: TableOptions`` in their place; callers
    pass ``by=``, ``level=``, ... as before, and ``help()`` shows them with their defaults
    (:func:`soskulib.checks.keyword_options`). Each default, and the reading of ``by`` as a
    list, is declared once, in :class:`TableOptions`.

    Parameters
    ----------
    *names : str
        Which of ``by, pre, post, level, min_cell, suppress`` the function takes.

    Returns
    -------
    callable
        The decorator.

    Examples
    --------
    >>> @table_options("by", "min_cell")
    ... def count(data, *, options):
    ...     return options.by, options.min_cell
    >>> count(None, by="municipality")
    (['municipality'], 5)
    >>> import inspect
    >>> list(inspect.signature(count).parameters)
    ['data', 'by', 'min_cell']
    """
    return keyword_options(TableOptions, *names)


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
    options: TableOptions,
    keys: Sequence[str],
) -> pd.DataFrame:
    """:func:`soskulib.disclosure.suppress_table` with the caller's ``min_cell`` and ``suppress``."""
    return disclosure.suppress_table(
        table, list(count_cols), along=dict(along), derived=dict(derived or {}),
        complements=complements, supersets=supersets, keys=list(keys), min_cell=options.min_cell,
        suppress=options.suppress,
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
