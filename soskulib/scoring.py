"""Score instrument responses by the rules declared in the instrument specs.

All scoring is vectorised over one NumPy item matrix (rows = responses, columns = items), so
a million responses score in a fraction of a second per scale.

Rules (per scale, see :mod:`soskulib.instruments` for the spec fields):

1. Values are checked against each item's range; a value outside it raises ``ValueError``
   naming the item column and the row (index label).
2. Reverse-keyed items are reversed, ``x' = min + max - x`` (with the item's own range).
3. With ``a`` answered items of ``k`` and answered-item sum ``S``, the scale is NaN when
   ``a`` is below the scale's required count, otherwise

   - ``sum``: ``S · k / a`` (rule ``prorate``) or ``S`` (rules ``available``/``complete``);
   - ``mean``: ``S / a``;
   - ``linear_0_100``: ``(sum - Σmin) / (Σmax - Σmin) × 100`` with ``sum`` as for ``sum``
     (ESIS: ``(sum - 10) / 40 × 100``);
   - ``gas_tscore``: Kiresuk & Sherman (1968) with unit weights over the ``a`` answered goals,
     ``T = 50 + 10 S / sqrt((1 - ρ) a + ρ a²)`` (``ρ`` from the spec, default 0.3): the
     unit-weight case of :func:`soskulib.gas.gas_tscore` (weights: use that module).

Examples
--------
>>> import pandas as pd
>>> from soskulib import scoring
>>> esis = pd.DataFrame({f"esis{i:02d}": [5, 3, None] for i in range(1, 11)})
>>> scoring.score(esis, "esis")
   total
0  100.0
1   50.0
2    NaN
"""

from __future__ import annotations

import os
from collections.abc import Sequence
from typing import Literal

import numpy as np
import pandas as pd

from soskulib import instruments
from soskulib.checks import require_columns
from soskulib.instruments import Instrument, Scale

__all__ = ["score", "item_matrix", "reverse_items", "traffic_lights", "eq5d_index",
           "EQ5D_SPECIAL_TERMS"]

Layout = Literal["auto", "wide", "long"]

#: Terms of an EQ-5D value set besides the dimension-level decrements (see :func:`eq5d_index`).
EQ5D_SPECIAL_TERMS = ("constant", "n3")


# ---------------------------------------------------------------------------------------------
# validation helpers


def _non_numeric(values: pd.Series, column: str, inst: Instrument) -> TypeError | None:
    """TypeError to raise when an item column holds non-numbers (else None)."""
    dtype = values.dtype
    if pd.api.types.is_bool_dtype(dtype) or (
        not pd.api.types.is_numeric_dtype(dtype) and not pd.api.types.is_object_dtype(dtype)
    ):
        return TypeError(f"{inst.name} item column {column!r} is not numeric (dtype {dtype}); "
                         "convert it first, e.g. with pandas.to_numeric")
    return None


def _numeric_column(values: pd.Series, column: str, inst: Instrument) -> pd.Series:
    """Item column as a numeric Series (NaN = unanswered); TypeError when it holds non-numbers."""
    error = _non_numeric(values, column, inst)
    if error is not None:
        raise error
    if pd.api.types.is_object_dtype(values.dtype):
        converted = pd.to_numeric(values, errors="coerce")
        bad = values.notna() & converted.isna()
        if bad.any():
            raise TypeError(f"{inst.name} item column {column!r} holds a non-numeric value at row "
                            f"{bad.index[np.argmax(bad.to_numpy())]!r}; convert it first, e.g. "
                            "with pandas.to_numeric")
        return converted
    return values


def _check_range(x: np.ndarray, items: Sequence[str], labels: pd.Index, inst: Instrument) -> None:
    """ValueError naming the first item and row whose value lies outside the item's range."""
    lows = np.array([inst.item_range(i)[0] for i in items], dtype=float)
    highs = np.array([inst.item_range(i)[1] for i in items], dtype=float)
    # NaN compares False on both sides, so unanswered items pass; ±inf fails.
    bad = (x < lows) | (x > highs)
    if not bad.any():
        return
    column = int(np.flatnonzero(bad.any(axis=0))[0])
    where = np.flatnonzero(bad[:, column])
    first = where[0]
    more = f" ({len(where)} such values in all)" if len(where) > 1 else ""
    raise ValueError(f"{inst.name} item {items[column]!r} is out of range "
                     f"{lows[column]:g}-{highs[column]:g} at row {labels[first]!r} "
                     f"(value {x[first, column]:g}){more}")


def _resolve_layout(responses: pd.DataFrame, inst: Instrument, layout: Layout,
                    item_col: str, value_col: str) -> Literal["wide", "long"]:
    if layout in ("wide", "long"):
        return layout
    if layout != "auto":
        raise ValueError(f"layout must be 'auto', 'wide' or 'long', got {layout!r}")
    has_items = any(i in responses.columns for i in inst.items)
    has_long = item_col in responses.columns and value_col in responses.columns
    if has_items and has_long:
        raise ValueError(f"responses have both {inst.name} item columns and {item_col!r}/"
                         f"{value_col!r} columns; say layout='wide' or layout='long'")
    if has_long:
        return "long"
    if has_items:
        return "wide"
    raise KeyError(f"responses have none of the {inst.name} item columns "
                   f"({', '.join(inst.items)}) and no {item_col!r}/{value_col!r} columns "
                   "for the long layout")


def _wide_matrix(responses: pd.DataFrame, inst: Instrument, items: Sequence[str],
                 missing_columns: str) -> np.ndarray:
    """Validated (not reversed) float64 matrix of ``items`` from a wide frame."""
    if responses.columns.duplicated().any():
        dupes = sorted(set(responses.columns[responses.columns.duplicated()]))
        raise ValueError(f"responses have duplicated columns {dupes}")
    absent = [i for i in items if i not in responses.columns]
    if absent and missing_columns != "nan":
        raise KeyError(f"responses lack {inst.name} item columns {absent}; add them, or pass "
                       "missing_columns='nan' to treat them as unanswered")
    present = [i for i in items if i not in absent]
    # Selecting columns costs a column-index lookup; skip it when they are all there in order.
    frame = responses if list(responses.columns) == present else responses[present]
    for item, dtype in frame.dtypes.items():  # dtypes at once: no Series built per column
        if pd.api.types.is_bool_dtype(dtype) or not pd.api.types.is_numeric_dtype(dtype):
            frame = frame.assign(**{item: _numeric_column(frame[item], item, inst)})
    # one block conversion: ~10x faster than column by column on 1M rows
    x = frame.to_numpy(dtype="float64", na_value=np.nan)
    if absent:
        full = np.full((len(responses), len(items)), np.nan)
        full[:, [items.index(i) for i in present]] = x
        x = full
    _check_range(x, list(items), responses.index, inst)
    return x


def _long_matrix(responses: pd.DataFrame, inst: Instrument, id_cols: Sequence[str] | None,
                 item_col: str, value_col: str) -> tuple[pd.DataFrame, np.ndarray]:
    """Pivot a long frame (one row per item answer) to (id frame, item matrix), vectorised."""
    require_columns(responses, (item_col, value_col), "score (long layout)",
                    "name them with item_col= and value_col=")
    if id_cols is None:
        id_cols = [c for c in responses.columns if c not in (item_col, value_col)]
    id_cols = list(id_cols)
    require_columns(responses, id_cols, "score (long layout)", "id_cols= names its columns")
    if not id_cols:
        raise ValueError("long-layout responses need at least one id column (e.g. client_id)")

    item_codes = pd.Index(list(inst.items)).get_indexer(responses[item_col])
    unknown = item_codes < 0
    if unknown.any():
        names = sorted({str(v) for v in responses[item_col].to_numpy()[unknown]})
        raise KeyError(f"{item_col!r} holds names that are not {inst.name} items: {names[:10]}; "
                       f"items are {', '.join(inst.items)}")
    values = _numeric_column(responses[value_col], value_col, inst).to_numpy(
        dtype="float64", na_value=np.nan)
    lows = np.array([inst.item_range(i)[0] for i in inst.items], dtype=float)[item_codes]
    highs = np.array([inst.item_range(i)[1] for i in inst.items], dtype=float)[item_codes]
    bad = (values < lows) | (values > highs)
    if bad.any():
        first = int(np.flatnonzero(bad)[0])
        item = inst.items[item_codes[first]]
        _check_range(values[first:first + 1, None], [item], responses.index[first:first + 1], inst)

    groups = responses.groupby(id_cols, sort=False, dropna=False).ngroup().to_numpy()
    n_groups = int(groups.max()) + 1 if len(groups) else 0
    cell = groups.astype(np.int64) * len(inst.items) + item_codes
    dup = pd.Series(cell).duplicated().to_numpy()
    if dup.any():
        first = int(np.flatnonzero(dup)[0])
        raise ValueError(f"item {inst.items[item_codes[first]]!r} is given twice for the same "
                         f"{', '.join(id_cols)} (second time at row {responses.index[first]!r})")
    matrix = np.full((n_groups, len(inst.items)), np.nan)
    matrix[groups, item_codes] = values
    _, first_rows = np.unique(groups, return_index=True)
    ids = responses[id_cols].iloc[first_rows].reset_index(drop=True)
    return ids, matrix


def _reverse(matrix: np.ndarray, items: Sequence[str], inst: Instrument) -> np.ndarray:
    reverse = [j for j, item in enumerate(items) if item in inst.reverse]
    if reverse:
        matrix = matrix.copy()
        for j in reverse:
            lo, hi = inst.item_range(items[j])
            matrix[:, j] = lo + hi - matrix[:, j]
    return matrix


# ---------------------------------------------------------------------------------------------
# scale methods


def _score_scale(x: np.ndarray, scale: Scale, inst: Instrument) -> np.ndarray:
    """Score one scale from its (validated, reversed) item matrix ``x`` (n × k)."""
    k = x.shape[1]
    if k == 1 and scale.method in ("sum", "mean"):
        return x[:, 0].copy()
    answered = ~np.isnan(x)
    n_answered = answered.sum(axis=1)
    total = np.where(answered, x, 0.0).sum(axis=1)
    ok = n_answered >= scale.required_items()
    with np.errstate(divide="ignore", invalid="ignore"):
        if scale.method == "mean":
            value = total / n_answered
        elif scale.method == "gas_tscore":
            rho = float(inst.extra.get("rho", 0.3))
            value = 50.0 + 10.0 * total / np.sqrt((1.0 - rho) * n_answered + rho * n_answered**2)
        else:
            value = total * k / n_answered if scale.prorate else total
            if scale.method == "linear_0_100":
                lo, hi = (float(sum(v)) for v in zip(*(inst.item_range(i) for i in scale.items),
                                                        strict=True))
                value = (value - lo) / (hi - lo) * 100.0
    return np.where(ok, value, np.nan)


# ---------------------------------------------------------------------------------------------
# public API


def item_matrix(responses: pd.DataFrame, instrument: str | Instrument, *, reverse: bool = True,
                missing_columns: Literal["raise", "nan"] = "raise") -> pd.DataFrame:
    """Validated item responses as float64, reverse-keyed items reversed.

    The frame to hand to :mod:`soskulib.reliability` (which does not know about keying).

    Parameters
    ----------
    responses : DataFrame
        Wide responses: one column per item (other columns are ignored).
    instrument : str or Instrument
        Instrument id or object (:func:`soskulib.instruments.get`).
    reverse : bool, default True
        Apply ``min + max - x`` to the instrument's reverse-keyed items.
    missing_columns : {"raise", "nan"}
        What to do when an item column is absent.

    Returns
    -------
    DataFrame
        Same index, columns = the instrument's items.

    Raises
    ------
    KeyError, TypeError, ValueError
        Absent item columns; non-numeric item columns; values out of range.

    Examples
    --------
    >>> import pandas as pd
    >>> df = pd.DataFrame({"s1": [0, 4], "s2": [1, None]})
    >>> item_matrix(df, "whodas12", missing_columns="nan").iloc[:, :3]
        s1   s2  s3
    0  0.0  1.0 NaN
    1  4.0  NaN NaN
    """
    inst = instruments.get(instrument)
    x = _wide_matrix(responses, inst, inst.items, missing_columns)
    if reverse:
        x = _reverse(x, inst.items, inst)
    return pd.DataFrame(x, index=responses.index, columns=list(inst.items))


def reverse_items(items: pd.DataFrame, instrument: str | Instrument) -> pd.DataFrame:
    """Reverse the instrument's reverse-keyed items present in ``items`` (``min + max - x``).

    Applying it twice returns the input. Other columns are left as they are.

    Parameters
    ----------
    items : DataFrame
        Item columns named by the instrument's item ids (others are passed through).
    instrument : str or Instrument
        Whose ``reverse`` list and item ranges apply.

    Returns
    -------
    DataFrame
        A copy of ``items`` with the reverse-keyed items reversed.

    Examples
    --------
    >>> import pandas as pd
    >>> from dataclasses import replace
    >>> inst = replace(instruments.get("esis"), reverse=("esis02",))
    >>> reverse_items(pd.DataFrame({"esis01": [1, 5], "esis02": [1, 5]}), inst)
       esis01  esis02
    0       1       5
    1       5       1
    """
    inst = instruments.get(instrument)
    out = items.copy()
    for item in inst.reverse:
        if item in out.columns:
            lo, hi = inst.item_range(item)
            out[item] = lo + hi - out[item]
    return out


def score(
    responses: pd.DataFrame,
    instrument: str | Instrument,
    *,
    layout: Layout = "auto",
    keep: bool | str | Sequence[str] | None = None,
    scales: Sequence[str] | None = None,
    id_cols: Sequence[str] | None = None,
    item_col: str = "item",
    value_col: str = "value",
    missing_columns: Literal["raise", "nan"] = "raise",
) -> pd.DataFrame:
    """Score responses: one column per scale, NaN where the missing-item rule forbids a score.

    Formulas are in the module docstring; the rules per instrument come from its spec
    (:mod:`soskulib.instruments`).

    Parameters
    ----------
    responses : DataFrame
        Wide layout: one row per response, one column per item (the instrument's item ids),
        other columns allowed. Long layout: one row per answered item with columns
        ``id_cols``, ``item_col`` (item id) and ``value_col`` (the answer).
    instrument : str or Instrument
        Instrument id or object, e.g. ``"esis"``, ``"whodas12"``, ``"3x10d"``, ``"gas"``.
    layout : {"auto", "wide", "long"}
        ``"auto"`` picks wide when item columns are present and long when
        ``item_col``/``value_col`` are; both at once is ambiguous and raises.
    keep : bool, str or list of str, optional
        Non-item columns to carry into the result (before the scale columns): a name, a list,
        or ``True`` for every non-item column. In the long layout ``id_cols`` are always kept.
    scales : list of str, optional
        Score only these scales (default: every scale of the instrument, in spec order).
    id_cols : list of str, optional
        Long layout: columns that identify one response (default: every column except
        ``item_col`` and ``value_col``, e.g. client_id, municipality, date, occasion).
    item_col, value_col : str
        Long layout column names.
    missing_columns : {"raise", "nan"}
        Wide layout: treat absent item columns as unanswered instead of raising (e.g. GAS
        data with three goal columns).

    Returns
    -------
    DataFrame
        Wide: same index as ``responses``. Long: one row per distinct ``id_cols`` combination
        (order of first appearance) with a fresh index. float64 scale columns;
        ``attrs["instrument"]`` holds the instrument id.

    Raises
    ------
    KeyError
        Item columns (or long-layout columns, or names in ``scales``/``keep``) are absent, or
        the long layout names unknown items.
    TypeError
        An item column is not numeric.
    ValueError
        A value is out of its item's range (names the item and the row's index label); an item
        is given twice for one response in the long layout; ambiguous layout.

    Notes
    -----
    - ESIS (``group_level_only = true`` in its spec): THL advises using the scale for groups;
      individual scores are not diagnostic. Its 0-100 transform and the 8-of-10 prorating
      rule are soskulib assumptions, stated in ``esis.toml``.
    - WHODAS-12 is scored by simple sum (0-48); WHO's IRT-based 0-100 score is not computed.
      Prorating from 10 or more answered items is a soskulib assumption.
    - 3X10D has no total by design: its scales are the ten life areas.
    - Sources of each instrument: ``instruments.get(id).source``.

    Examples
    --------
    WHODAS-12 simple sum, prorated from 10 or more answered items:

    >>> import pandas as pd
    >>> items = [f"s{i}" for i in range(1, 13)]
    >>> df = pd.DataFrame([[1] * 12, [2] * 10 + [None] * 2, [4] + [None] * 11],
    ...                   columns=items, index=["a", "b", "c"])
    >>> df["occasion"] = ["baseline", "end", "end"]
    >>> score(df, "whodas12", keep="occasion")
       occasion  total
    a  baseline   12.0
    b       end   24.0
    c       end    NaN

    Long layout (one row per answer):

    >>> long = pd.DataFrame({"client_id": ["x", "x", "y"], "item": ["goal1", "goal2", "goal1"],
    ...                      "value": [1, 1, 0]})
    >>> score(long, "gas").round(2)
      client_id  tscore
    0         x    62.4
    1         y    50.0
    """
    inst = instruments.get(instrument)
    wanted = list(inst.scales) if scales is None else list(scales)
    unknown = [s for s in wanted if s not in inst.scales]
    if unknown:
        raise KeyError(f"{inst.name} has no scales {unknown}; scales are {', '.join(inst.scales)}")
    if not isinstance(responses, pd.DataFrame):
        raise TypeError(f"responses must be a pandas DataFrame, got {type(responses).__name__}")

    if _resolve_layout(responses, inst, layout, item_col, value_col) == "long":
        front, x = _long_matrix(responses, inst, id_cols, item_col, value_col)
        index = front.index
        carry = [c for c in responses.columns if c not in (item_col, value_col)] if keep is True \
            else [keep] if isinstance(keep, str) else list(keep or [])
        carry = [c for c in carry if c not in front.columns]
        if carry:
            raise KeyError(f"keep={carry} in the long layout: only id_cols can be carried; add "
                           "them to id_cols")
    else:
        x = _wide_matrix(responses, inst, inst.items, missing_columns)
        index = responses.index
        non_items = [c for c in responses.columns if c not in inst.items]
        carry = non_items if keep is True else [keep] if isinstance(keep, str) \
            else list(keep or [])
        require_columns(responses, carry, "score", "keep= names columns of the responses")
        front = responses[carry] if carry else None
    x = _reverse(x, inst.items, inst)

    position = {item: j for j, item in enumerate(inst.items)}
    scored = {}
    for name in wanted:
        columns = [position[i] for i in inst.scales[name].items]
        part = x if columns == list(range(x.shape[1])) else x[:, columns]
        scored[name] = _score_scale(part, inst.scales[name], inst)
    out = pd.DataFrame(scored, index=index)
    if front is not None:
        out = pd.concat([front, out], axis=1)
    out.attrs["instrument"] = inst.id
    return out


def traffic_lights(values: pd.Series | pd.DataFrame,
                   instrument: str | Instrument = "3x10d") -> pd.Series | pd.DataFrame:
    """Colour band of each value by the instrument's ``traffic_lights`` (3X10D: red 0-5,
    yellow 6-7, green 8-10).

    A value belongs to the band with the highest lower bound not above it, so a non-integer
    value such as 7.5 is yellow; NaN stays missing. Returns an ordered categorical.

    Parameters
    ----------
    values : Series or DataFrame
        Item values (e.g. the 3X10D life-area columns).
    instrument : str or Instrument, default "3x10d"
        Instrument whose spec declares ``traffic_lights``.

    Returns
    -------
    Series or DataFrame
        Ordered categorical band labels (``red < yellow < green`` for 3X10D), same shape as
        ``values``.

    Examples
    --------
    >>> import pandas as pd
    >>> traffic_lights(pd.Series([0, 5, 6, 7.5, 8, None])).tolist()
    ['red', 'red', 'yellow', 'yellow', 'green', nan]
    """
    inst = instruments.get(instrument)
    if not inst.traffic_lights:
        raise ValueError(f"{inst.name} declares no traffic_lights in its spec")
    bands = sorted(inst.traffic_lights.items(), key=lambda kv: kv[1][0])
    edges = [b[1][0] for b in bands] + [np.inf]
    edges[0] = -np.inf
    labels = [b[0] for b in bands]

    def cut(column: pd.Series) -> pd.Series:
        return pd.cut(column, bins=edges, right=False, labels=labels, ordered=True)

    if isinstance(values, pd.DataFrame):
        return values.apply(cut)
    return cut(values)


def _read_value_set(value_set: pd.DataFrame | str | os.PathLike) -> pd.DataFrame:
    if not isinstance(value_set, pd.DataFrame):
        value_set = pd.read_csv(value_set)
    need = {"dimension", "level", "decrement"}
    if not need <= set(value_set.columns):
        raise KeyError(f"value set needs columns {sorted(need)}, has {list(value_set.columns)}")
    return value_set


def eq5d_index(responses: pd.DataFrame, value_set: pd.DataFrame | str | os.PathLike,
               instrument: str | Instrument = "eq5d3l") -> pd.Series:
    """EQ-5D-3L index values from a user-supplied additive value set.

    soskulib ships no value set (no Finnish EQ-5D-3L TTO set is bundled; use the one your
    study registers). The value set is a table with columns ``dimension``, ``level``,
    ``decrement``: one row per dimension (item id, e.g. ``mobility``) and level 2 or 3 (level 1
    is 0 unless given), plus optional special rows in ``dimension``:

    - ``constant``: subtracted once for every state other than 11111;
    - ``n3``: subtracted once when any dimension is at level 3.

    ``index = 1 - constant·[state ≠ 11111] - Σ_d decrement(d, level_d) - n3·[any level = 3]``,
    the form of the UK MVH TTO value set (Dolan 1997, Med Care 35:1095-1108), in which e.g.
    state 33333 gets -0.594. Value sets with other interaction terms (e.g. D1, I2, I3) are
    not supported and raise. A response with any dimension missing gets NaN. With the UK MVH
    decrements this matches R ``eq5d::eq5d(scores, version = "3L", type = "TTO",
    country = "UK")``.

    Parameters
    ----------
    responses : DataFrame
        Wide EQ-5D-3L responses (dimension columns; ``vas`` is ignored).
    value_set : DataFrame or path to a CSV file
        As above.
    instrument : str or Instrument
        The EQ-5D-3L instrument (its first five items are the dimensions).

    Returns
    -------
    Series
        ``index`` values, same index as ``responses``.

    Examples
    --------
    A made-up value set (not a published one):

    >>> import pandas as pd
    >>> vs = pd.DataFrame({
    ...     "dimension": ["constant", "n3"] + ["mobility", "self_care", "usual_activities",
    ...                  "pain_discomfort", "anxiety_depression"] * 2,
    ...     "level": [None, None] + [2] * 5 + [3] * 5,
    ...     "decrement": [0.1, 0.2] + [0.05] * 5 + [0.1] * 5})
    >>> dims = pd.DataFrame([[1, 1, 1, 1, 1], [2, 1, 1, 1, 1], [3, 3, 3, 3, 3]],
    ...                     columns=vs["dimension"][2:7])
    >>> eq5d_index(dims, vs).round(3).tolist()
    [1.0, 0.85, 0.2]
    """
    inst = instruments.get(instrument)
    dims = [i for i in inst.items if inst.item_range(i) == (1, 3)]
    vs = _read_value_set(value_set)
    term = vs["dimension"].astype("str")
    unknown = sorted(set(term) - set(dims) - set(EQ5D_SPECIAL_TERMS))
    if unknown:
        raise ValueError(f"value set has unsupported terms {unknown}; supported are the dimensions "
                         f"{', '.join(dims)} and {', '.join(EQ5D_SPECIAL_TERMS)}")
    decrement = pd.to_numeric(vs["decrement"], errors="coerce")
    if decrement.isna().any() or not np.isfinite(decrement).all():
        raise ValueError("value set decrements must all be finite numbers")
    if term.duplicated(keep=False)[term.isin(EQ5D_SPECIAL_TERMS)].any():
        raise ValueError(f"value set gives a special term ({', '.join(EQ5D_SPECIAL_TERMS)}) twice")

    table = np.zeros((len(dims), 4))  # [dimension, level]; level 0 unused
    is_dim = term.isin(dims).to_numpy()
    levels = pd.to_numeric(vs["level"], errors="coerce").to_numpy()[is_dim]
    if not np.isin(levels, (1, 2, 3)).all():
        raise ValueError("value set levels must be 1, 2 or 3 for dimension rows")
    dim_pos = term[is_dim].map({d: j for j, d in enumerate(dims)}).to_numpy(dtype=int)
    if pd.Series(dim_pos * 4 + levels.astype(int)).duplicated().any():
        raise ValueError("value set gives the same dimension and level twice")
    table[dim_pos, levels.astype(int)] = decrement.to_numpy()[is_dim]
    special = dict(zip(term[~is_dim], decrement[~is_dim], strict=True))

    x = _wide_matrix(responses, inst, dims, "raise")
    complete = ~np.isnan(x).any(axis=1)
    level = np.where(complete[:, None], x, 1).astype(int)
    if not np.array_equal(level[complete], x[complete]):
        raise ValueError("EQ-5D-3L dimension levels must be whole numbers 1, 2 or 3")
    index = 1.0 - table[np.arange(len(dims)), level].sum(axis=1)
    index -= special.get("constant", 0.0) * (level != 1).any(axis=1)
    index -= special.get("n3", 0.0) * (level == 3).any(axis=1)
    return pd.Series(np.where(complete, index, np.nan), index=responses.index, name="index")
