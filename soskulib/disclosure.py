"""Statistical disclosure control for tables that count people.

Every soskulib function and notebook table that shows how many people (client episodes,
participants) fall into a cell passes through this module. Two layers protect small groups:

* **Primary suppression.** A count ``0 < n < min_cell`` (default 5) is hidden. Zeros are shown
  (``suppress_zeros=False``), following Statistics Finland's practice for published tables.
* **Secondary (complementary) suppression.** Published totals would let a reader recover a
  hidden cell by subtraction, so every *line* of additive cells (a row or a column of a
  two-way table with its margin, or the cells of a long table that sum to a total published
  elsewhere) must hide either no cell or at least two. A line with exactly one hidden cell gets
  its smallest non-zero visible cell hidden too (zeros and then totals only as a last resort),
  and this repeats until stable. A final linear-algebra check then looks for hidden cells that
  are still exactly determined by the system of all published totals (a cell lying on no
  cycle of hidden cells, e.g. a "bridge" between two 2×2 blocks) and hides further cells until
  none is. This is the standard heuristic of e.g. Hundepool et al. (2012) *Statistical
  Disclosure Control*, ch. 4 ("hypercube"/line-by-line approach); it ignores the bounds
  ``n >= 0`` (interval disclosure), which the ``min_cell`` rule itself already concedes.

**Which cell is the complement** is a cost rule (``secondary_suppression(..., cost=...)``).
By default the smallest non-zero inner cell is hidden, then zeros, then totals. A *protected
split* changes that: the ESF programme required gender-disaggregated figures, so the cells of
the women's and men's groups (:data:`KEEP_VISIBLE`) are hidden only when nothing else protects
the line, and a margin (the row total, or the small group's own column total) is the preferred
complement. With ~5 people of "other / unknown" gender in a municipality this keeps the
women's column visible instead of hiding most of it.

Derived numbers follow their counts: a share, confidence limit, mean or SD computed from a
hidden count is hidden too (``derived=``), *also* where the count is hidden only as a
complement. Each can give the hidden ``n`` back, and the small group then follows by
subtraction: a share is ``k / n``; a t or noncentral-t interval is a function of the
estimate, the SD and ``n``; and a mean of integer-valued scores is ``S / n``, whose
denominator survives rounding when ``1 / n`` is larger than the rounding step (Vantaa, 3X10D,
women: a mean of 5.15 at two decimals fits n = 59 and none of 56–58, so "other" = 1).
``suppress_table(..., statistics=...)`` exists for the values that carry no such trace
(statistics of continuous data, or rounded so coarsely that every candidate ``n`` fits); it
hides them only with primary suppression, and the caller must justify that choice. Hidden cells are numeric ``NaN``; a boolean mask is kept next to them (column
``<name>_suppressed`` in long tables, :attr:`CrossTab.suppressed` in two-way tables) so plots
can mark them, and :func:`display` turns them into a marker (``".."`` by default, the
Statistics Finland symbol for "confidential"; ``"<5"`` is another common choice).

Turning protection off needs an explicit ``suppress=False`` and emits a :class:`UserWarning`.

Examples
--------
>>> import pandas as pd
>>> from soskulib import disclosure
>>> data = pd.DataFrame({"gender": ["male"] * 12 + ["female"] * 9,
...                      "end_reason": ["completed"] * 9 + ["dropped_out"] * 3
...                                    + ["completed"] * 6 + ["dropped_out"] * 3})
>>> disclosure.crosstab(data, "gender", "end_reason").display()  # doctest: +NORMALIZE_WHITESPACE
end_reason completed dropped_out total
gender
female            ..          ..     9
male              ..          ..    12
total             15           6    21
"""

from __future__ import annotations

import warnings
from collections.abc import Hashable, Iterable, Mapping, Sequence
from dataclasses import dataclass

import numpy as np
import pandas as pd
from scipy import sparse
from scipy.linalg import eigh, null_space
from scipy.sparse.csgraph import connected_components

from soskulib import publication, schema
from soskulib.checks import as_list

MIN_CELL = 5
MARKER = ".."
MASK_SUFFIX = "_suppressed"

#: Splits whose groups are hidden only as a last resort, by column name: the ESF programme
#: required gender-disaggregated data, so secondary suppression hides a margin or the small
#: "other / unknown" group rather than the women's or men's figures. Processed codes; their
#: Finnish and English labels (:data:`soskulib.schema.CODE_LABELS`) match too, so a table of
#: relabelled data is protected the same way.
KEEP_VISIBLE: dict[str, tuple[str, ...]] = {"gender": ("female", "male")}

__all__ = [
    "MIN_CELL",
    "MARKER",
    "MASK_SUFFIX",
    "KEEP_VISIBLE",
    "CrossTab",
    "crosstab",
    "suppress_table",
    "display",
    "mask_column",
    "warn_unsuppressed",
    "secondary_suppression",
    "determined_cells",
]


def warn_unsuppressed(what: str = "this table") -> None:
    """Warn that disclosure control was switched off explicitly for ``what``."""
    warnings.warn(
        f"disclosure control is off (suppress=False) for {what}: counts of fewer than 5 people "
        "may be shown; do not publish this output",
        UserWarning,
        stacklevel=3,
    )


def mask_column(column: str) -> str:
    """Name of the boolean mask column that marks suppressed cells of ``column``.

    Examples
    --------
    >>> mask_column("n")
    'n_suppressed'
    """
    return f"{column}{MASK_SUFFIX}"


def _check_min_cell(min_cell: int) -> int:
    if isinstance(min_cell, bool) or not isinstance(min_cell, (int, np.integer)) or min_cell < 1:
        raise ValueError(f"min_cell must be a positive integer, got {min_cell!r}")
    return int(min_cell)


@dataclass(frozen=True)
class _Line:
    """Cells whose values add up to a total: ``sum(members) == total``.

    ``total`` is the index of the total cell when it is itself a cell of the table, or ``-1``
    when the total is published elsewhere (and therefore known to a reader).
    """

    members: np.ndarray
    total: int = -1

    @property
    def cells(self) -> np.ndarray:
        return self.members if self.total < 0 else np.append(self.members, self.total)


def _signed_incidence(lines: Sequence[_Line], n_cells: int) -> sparse.csr_matrix:
    """Line-by-cell matrix with +1 for members and −1 for the line's own total cell."""
    rows, cols, vals = [], [], []
    for k, line in enumerate(lines):
        rows.append(np.full(line.members.size, k))
        cols.append(line.members)
        vals.append(np.ones(line.members.size))
        if line.total >= 0:
            rows.append(np.array([k]))
            cols.append(np.array([line.total]))
            vals.append(np.array([-1.0]))
    if not rows:
        return sparse.csr_matrix((0, n_cells))
    return sparse.csr_matrix((np.concatenate(vals), (np.concatenate(rows), np.concatenate(cols))),
                             shape=(len(lines), n_cells))


def _determined(suppressed: np.ndarray, signed: sparse.csr_matrix) -> np.ndarray:
    hidden = np.flatnonzero(suppressed)
    out = np.zeros(suppressed.shape, dtype=bool)
    if hidden.size == 0 or signed.shape[0] == 0:
        return out
    system = signed[:, hidden].tocsc()
    system = system[np.flatnonzero(system.getnnz(axis=1)), :]
    if system.shape[0] == 0:
        return out
    # Equations only link hidden cells of one line, so the system splits into independent
    # blocks (connected components of hidden cells sharing a line): solve each on its own.
    pattern = abs(system)
    n_comp, label = connected_components(pattern.T @ pattern, directed=False)
    system = system.tocsr()
    row_label = label[np.asarray(pattern.argmax(axis=1)).ravel()]
    for comp in range(n_comp):
        cols = np.flatnonzero(label == comp)
        block = system[np.flatnonzero(row_label == comp)][:, cols]
        if block.shape[0] == 0:
            continue
        if cols.size <= 64:
            basis = null_space(block.toarray())
        else:
            # Large blocks: the null space of A is the zero-eigenspace of AᵀA (integer
            # entries, so genuine zero eigenvalues are well separated from the rest).
            gram = (block.T @ block).toarray()
            _, basis = eigh(gram, subset_by_value=(-np.inf, 1e-8 * max(1.0, gram.max())), driver="evr")
        free = np.linalg.norm(basis, axis=1) > 1e-6 if basis.size else np.zeros(cols.size, bool)
        out[hidden[cols[~free]]] = True
    return out


def determined_cells(suppressed: np.ndarray, lines: Sequence[_Line]) -> np.ndarray:
    """Which suppressed cells a reader can compute exactly from the published totals.

    The published cells turn every line into a linear equation in the hidden cells,
    ``A u = b``. A hidden cell ``u_k`` is determined exactly when every solution of
    ``A u = 0`` has ``u_k = 0``, i.e. when row ``k`` of a basis of the null space of ``A``
    vanishes. The system is solved block by block (hidden cells linked through lines).

    Parameters
    ----------
    suppressed : ndarray of bool
        Mask over all cells.
    lines : sequence of _Line
        The additive structure of the table.

    Returns
    -------
    ndarray of bool
        Mask over all cells; ``True`` for a suppressed cell that is exactly determined.
    """
    suppressed = np.asarray(suppressed, dtype=bool)
    return _determined(suppressed, _signed_incidence(lines, suppressed.size))


def _candidate_order(values: np.ndarray, is_total: np.ndarray, cost: np.ndarray) -> np.ndarray:
    """Sort key for complementary cells: cheapest first; then non-zero inner cells, smallest first."""
    return np.lexsort((values, values == 0, is_total, cost))


def secondary_suppression(
    values: np.ndarray,
    primary: np.ndarray,
    lines: Sequence[_Line],
    is_total: np.ndarray | None = None,
    cost: np.ndarray | None = None,
) -> np.ndarray:
    """Extend a primary suppression mask so no hidden cell can be recovered from totals.

    Each line (cells adding up to a published total) must hide no cell or at least two; a
    line hiding exactly one gets a complement, chosen by ``cost`` (cheapest first), then as
    a cell that also completes another line, then non-zero inner cells before zeros before
    totals, smallest first. A last pass hides further cells until no hidden cell is exactly
    determined by all lines together (:func:`determined_cells`).

    Parameters
    ----------
    values : ndarray
        Cell counts (1-D, any order).
    primary : ndarray of bool
        Cells that must be hidden.
    lines : sequence of _Line
        Groups of cells that add up to a published total.
    is_total : ndarray of bool, optional
        Cells that are themselves totals (hidden after inner cells of the same cost).
    cost : ndarray of float, optional
        Cost of hiding each cell as a complement (default: all equal). A cell of a higher
        cost is hidden only when no cheaper visible cell of the line is left, e.g. ``0`` for
        ordinary cells, ``1`` for margins and ``2`` for the groups of a required split.

    Returns
    -------
    ndarray of bool
        The final mask (a superset of ``primary``).

    Examples
    --------
    One row ``f, m, o | total`` with ``o`` small; the total is published. By default the
    smaller group ``f`` is the complement; with the groups made expensive it is the total:

    >>> import numpy as np
    >>> values, primary = np.array([20.0, 30.0, 2.0, 52.0]), np.array([0, 0, 1, 0], bool)
    >>> line = [_Line(np.arange(3), 3)]
    >>> secondary_suppression(values, primary, line, is_total=np.array([0, 0, 0, 1], bool))
    array([ True, False,  True, False])
    >>> secondary_suppression(values, primary, line, is_total=np.array([0, 0, 0, 1], bool),
    ...                       cost=np.array([2, 2, 0, 1]))
    array([False, False,  True,  True])
    """
    values = np.asarray(values, dtype=float)
    mask = np.asarray(primary, dtype=bool).copy()
    is_total = np.zeros(mask.shape, bool) if is_total is None else np.asarray(is_total, bool)
    cost = np.zeros(mask.shape) if cost is None else np.asarray(cost, dtype=float)
    if cost.shape != mask.shape or not np.all(np.isfinite(cost)):
        raise ValueError(f"cost must give a finite number for each of the {mask.size} cells")
    if not lines:
        return mask
    order = _candidate_order(values, is_total, cost)
    rank = np.empty_like(order)
    rank[order] = np.arange(order.size)
    line_cells = [line.cells for line in lines]
    # Sparse line-by-cell incidence: hidden cells per line in one product.
    incidence = sparse.csr_matrix((
        np.ones(sum(c.size for c in line_cells)),
        (np.repeat(np.arange(len(line_cells)), [c.size for c in line_cells]), np.concatenate(line_cells)),
    ), shape=(len(line_cells), mask.size))
    lines_of_cell = incidence.T.tocsr()
    signed = _signed_incidence(lines, mask.size)

    def hide_smallest_visible(cells: np.ndarray, fixing: int = -1) -> bool:
        visible = cells[~mask[cells]]
        if visible.size == 0:
            return False
        # Among the cheapest cells, prefer one that also completes another line hiding exactly
        # one cell (one hidden cell then protects two lines), then the first by rank.
        per_line = incidence @ mask.astype(float)
        if fixing >= 0:
            per_line[fixing] = 0
        completes = np.array([
            np.any(per_line[lines_of_cell.indices[lines_of_cell.indptr[c]:lines_of_cell.indptr[c + 1]]] == 1)
            for c in visible
        ])
        cheapest = cost[visible] == cost[visible].min()
        key = np.where(completes & cheapest & ~is_total[visible], -1, 0) * (order.size + 1) + rank[visible]
        mask[visible[np.argmin(key)]] = True
        return True

    while True:
        # Line rule: no line may hide exactly one cell.
        while True:
            single = np.flatnonzero(incidence @ mask.astype(float) == 1)
            changed = False
            for k in single:
                if np.count_nonzero(mask[line_cells[k]]) == 1:  # an earlier fix may have helped
                    changed |= hide_smallest_visible(line_cells[k], fixing=k)
            if not changed:
                break
        # Exact-determination rule across all lines together.
        exposed = np.flatnonzero(_determined(mask, signed))
        if exposed.size == 0:
            return mask
        progressed = False
        for cell in exposed:
            own = lines_of_cell.indices[lines_of_cell.indptr[cell]:lines_of_cell.indptr[cell + 1]]
            cells = np.unique(np.concatenate([line_cells[k] for k in own]))
            progressed |= hide_smallest_visible(cells)
        if not progressed:
            warnings.warn(
                f"{exposed.size} suppressed cell(s) could still be derived from totals published "
                "elsewhere (every cell of their lines is already hidden); do not publish those "
                "totals next to this table",
                UserWarning,
                stacklevel=3,
            )
            return mask


def _primary(values: np.ndarray, min_cell: int, suppress_zeros: bool) -> np.ndarray:
    values = np.asarray(values, dtype=float)
    low = 0 if suppress_zeros else 1
    return np.isfinite(values) & (values >= low) & (values < min_cell)


# ---------------------------------------------------------------------------------------------
# Two-way tables
# ---------------------------------------------------------------------------------------------


@dataclass(frozen=True)
class CrossTab:
    """A two-way table of counts of people after disclosure control.

    Attributes
    ----------
    counts : DataFrame
        Counts as float with ``NaN`` in suppressed cells; margins (row and column ``total``)
        are computed from the unsuppressed data and included when requested.
    suppressed : DataFrame of bool
        ``True`` where a cell is hidden (same shape as ``counts``).
    min_cell : int
        Threshold used for primary suppression.
    marker : str
        Text shown for hidden cells by :meth:`display`.
    """

    counts: pd.DataFrame
    suppressed: pd.DataFrame
    min_cell: int = MIN_CELL
    marker: str = MARKER

    def display(self, marker: str | None = None) -> pd.DataFrame:
        """Counts as text with hidden cells shown as ``marker``.

        Examples
        --------
        >>> import pandas as pd
        >>> d = pd.DataFrame({"a": ["x"] * 7 + ["y"] * 8, "b": ["p"] * 15})
        >>> crosstab(d, "a", "b", margins=False).display()  # doctest: +NORMALIZE_WHITESPACE
        b  p
        a
        x  7
        y  8
        """
        text = self.counts.map(lambda v: "" if pd.isna(v) else f"{v:.0f}").astype(object)
        return text.mask(self.suppressed, self.marker if marker is None else marker)

    def shares(self, normalize: str = "index") -> pd.DataFrame:
        """Shares of the row (``"index"``) or column (``"columns"``) totals.

        A share is hidden when its count or its total is hidden.
        """
        if normalize not in ("index", "columns"):
            raise ValueError("normalize must be 'index' (row shares) or 'columns' (column shares)")
        total_name = _TOTAL_NAME
        has_margin = (total_name in self.counts.columns if normalize == "index"
                      else total_name in self.counts.index)
        if not has_margin:
            raise ValueError("shares need the margins; call crosstab(..., margins=True)")
        if normalize == "index":
            out = self.counts.div(self.counts[total_name], axis=0)
        else:
            out = self.counts.div(self.counts.loc[total_name], axis=1)
        return out.mask(out.isna() | self.suppressed)

    def to_long(self, value_name: str = "n") -> pd.DataFrame:
        """Tidy version: one row per cell with the count and a ``<value_name>_suppressed`` mask."""
        long = self.counts.stack(future_stack=True).rename(value_name).reset_index()
        long[mask_column(value_name)] = self.suppressed.stack(future_stack=True).to_numpy()
        return long

    def _repr_html_(self) -> str:  # pragma: no cover - notebook display
        return self.display().to_html()

    def __repr__(self) -> str:
        return repr(self.display())


_TOTAL_NAME = "total"


def _kept_labels(name: Hashable, explicit: Iterable[Hashable] | None) -> set:
    """Category values of column ``name`` to keep visible: explicit, or the project policy."""
    if explicit is not None:
        if isinstance(explicit, str):
            raise TypeError("keep_visible must be a list of categories, e.g. ['female', 'male']")
        return set(explicit)
    codes = KEEP_VISIBLE.get(str(name), ())
    code_labels = schema.CODE_LABELS.get(str(name), {})
    return {*codes, *(label for code in codes for label in code_labels.get(code, ()))}


def crosstab(
    data: pd.DataFrame,
    rows: str,
    cols: str,
    *,
    id_col: str | None = None,
    min_cell: int = MIN_CELL,
    margins: bool = True,
    suppress: bool = True,
    suppress_zeros: bool = False,
    marker: str = MARKER,
    keep_visible: Iterable[Hashable] | None = None,
) -> CrossTab:
    """Two-way table of counts of people with primary and secondary suppression.

    Margins are computed from the unsuppressed data. Secondary suppression assumes the margins
    are public even when ``margins=False`` (they usually appear elsewhere in a report).

    Complements are chosen by cost: inner cells of ordinary categories first (non-zero,
    smallest first; then zeros), then margins, and last the cells of ``keep_visible``
    categories (their column or row, margin included). For a target group × gender table
    with a small "other" group this hides the small cell and its row total, so the women's
    and men's counts stay visible; a reader learns ``other + total`` of the row but neither
    of the two.

    Parameters
    ----------
    data : DataFrame
        One row per person (or per episode), or several rows per person with ``id_col``.
    rows, cols : str
        Column names of ``data`` that define the table's rows and columns. Missing values
        are dropped. Categorical columns keep their category order (unused categories as
        zero rows/columns); other columns are sorted.
    id_col : str, optional
        Count distinct values of this column (e.g. ``"client_id"``) instead of rows.
    min_cell : int, default 5
        Counts ``0 < n < min_cell`` are hidden.
    margins : bool, default True
        Add a ``total`` row and column.
    suppress : bool, default True
        ``False`` switches disclosure control off (with a ``UserWarning``).
    suppress_zeros : bool, default False
        Also hide zero cells.
    marker : str, default ".."
        Text for hidden cells in :meth:`CrossTab.display`.
    keep_visible : list of categories, optional
        Row or column categories hidden only as a last resort. Default: the project policy
        :data:`KEEP_VISIBLE` for the ``rows``/``cols`` column names (``gender``: women and
        men, by code or by Finnish/English label). ``[]`` gives the plain cost rule (totals
        last).

    Returns
    -------
    CrossTab

    Examples
    --------
    >>> import pandas as pd
    >>> d = pd.DataFrame({"tg": list("aaaaaabbbbbbbbcc"), "sex": list("mfmfmfmfmfmfmfmm")})
    >>> t = crosstab(d, "tg", "sex")
    >>> t.counts  # doctest: +NORMALIZE_WHITESPACE
    sex      f    m  total
    tg
    a      NaN  NaN    NaN
    b      NaN  NaN    8.0
    c      0.0  NaN    NaN
    total  7.0  9.0   16.0

    Row ``c`` (2 people) is hidden with its total; the total column then hid exactly one
    cell, so the smallest other row total (``a``) is hidden too.

    A gender split stays visible: the small "other" cells are protected by row totals.

    >>> d = pd.DataFrame({"tg": ["a"] * 14 + ["b"] * 14,
    ...                   "gender": ["female"] * 6 + ["male"] * 6 + ["other"] * 2
    ...                             + ["female"] * 5 + ["male"] * 6 + ["other"] * 3})
    >>> crosstab(d, "tg", "gender").display()  # doctest: +NORMALIZE_WHITESPACE
    gender female male other total
    tg
    a           6    6    ..    ..
    b           5    6    ..    ..
    total      11   12     5    28
    >>> crosstab(d, "tg", "gender", keep_visible=[]).display()  # doctest: +NORMALIZE_WHITESPACE
    gender female male other total
    tg
    a          ..    6    ..    14
    b          ..    6    ..    14
    total      11   12     5    28
    """
    for name in (rows, cols) + ((id_col,) if id_col else ()):
        if name not in data.columns:
            raise KeyError(f"column {name!r} not in data; columns are {', '.join(map(str, data.columns))}")
    min_cell = _check_min_cell(min_cell)
    keep = data[[rows, cols]].notna().all(axis=1)
    frame = data.loc[keep]
    if id_col is None:
        table = pd.crosstab(frame[rows], frame[cols], dropna=False)
    else:
        table = (frame.groupby([rows, cols], observed=False)[id_col].nunique()
                 .unstack(cols, fill_value=0))
    table = table.fillna(0).astype(float)
    table.index.name, table.columns.name = rows, cols

    n_rows, n_cols = table.shape
    full = np.zeros((n_rows + 1, n_cols + 1))
    full[:n_rows, :n_cols] = table.to_numpy()
    if id_col is None:
        full[:n_rows, n_cols] = full[:n_rows, :n_cols].sum(axis=1)
        full[n_rows, :n_cols] = full[:n_rows, :n_cols].sum(axis=0)
        full[n_rows, n_cols] = full[:n_rows, :n_cols].sum()
    else:
        # Distinct people are not additive when a person appears in several cells.
        full[:n_rows, n_cols] = frame.groupby(rows, observed=False)[id_col].nunique().reindex(table.index).fillna(0)
        full[n_rows, :n_cols] = frame.groupby(cols, observed=False)[id_col].nunique().reindex(table.columns).fillna(0)
        full[n_rows, n_cols] = frame[id_col].nunique()

    index = pd.Index([*table.index, _TOTAL_NAME], name=rows)
    columns = pd.Index([*table.columns, _TOTAL_NAME], name=cols)
    if suppress:
        flat = full.ravel()
        cell = np.arange(flat.size).reshape(full.shape)
        lines = [_Line(cell[i, :n_cols], int(cell[i, n_cols])) for i in range(n_rows + 1)]
        lines += [_Line(cell[:n_rows, j], int(cell[n_rows, j])) for j in range(n_cols + 1)]
        is_total = np.zeros(full.shape, bool)
        is_total[n_rows, :] = is_total[:, n_cols] = True
        kept = np.zeros(full.shape, bool)
        kept[[*table.index.isin(list(_kept_labels(rows, keep_visible))), False], :] = True
        kept[:, [*table.columns.isin(list(_kept_labels(cols, keep_visible))), False]] = True
        cost = np.where(kept, 2.0, np.where(is_total, 1.0, 0.0))
        if id_col is not None:
            lines = []  # distinct counts are not additive: primary suppression only
        mask = secondary_suppression(flat, _primary(flat, min_cell, suppress_zeros), lines,
                                     is_total.ravel(), cost.ravel()).reshape(full.shape)
    else:
        warn_unsuppressed("crosstab")
        mask = np.zeros(full.shape, bool)

    counts = pd.DataFrame(np.where(mask, np.nan, full), index=index, columns=columns)
    suppressed = pd.DataFrame(mask, index=index, columns=columns)
    if not margins:
        counts = counts.iloc[:n_rows, :n_cols]
        suppressed = suppressed.iloc[:n_rows, :n_cols]
    return CrossTab(counts, suppressed, min_cell, marker)


# ---------------------------------------------------------------------------------------------
# Long (tidy) tables
# ---------------------------------------------------------------------------------------------


def suppress_table(
    df: pd.DataFrame,
    count_cols: str | Sequence[str],
    *,
    min_cell: int = MIN_CELL,
    along: str | Sequence[str] | Mapping[str, str | Sequence[str]] | None = None,
    keys: Sequence[str] | None = None,
    derived: Mapping[str, str | Sequence[str]] | None = None,
    statistics: Mapping[str, str | Sequence[str]] | None = None,
    complements: Mapping[str, str] | None = None,
    keep_visible: Mapping[str, Iterable[Hashable]] | None = None,
    suppress: bool = True,
    suppress_zeros: bool = False,
) -> pd.DataFrame:
    """Suppress small counts in a long (tidy) table, with masks for plotting.

    What a hidden count takes with it depends on what a column reveals about that count:

    * ``derived`` columns are hidden wherever the count is hidden, also as a complement.
      Use it for everything that can give ``n`` back: shares (``k / n``: 28/60 shown as
      46.7 % fits no other ``n`` in 56…59), confidence limits (a t interval's half-width is
      ``t_{n-1} s / sqrt(n)`` next to the published ``s``; the noncentral-t interval of
      ``d_z`` depends on ``d_z`` and ``n`` only) and means or SDs of discrete data (a mean
      of integer scores is ``S / n``: at full precision ``mean · n`` is an integer only for
      the true ``n``, and two decimals are enough while ``1 / n > 0.01``).
    * ``statistics`` columns are hidden only by primary suppression (the group itself has
      ``n < min_cell``); a group whose count is hidden as a complement keeps them. This is
      safe only for values that carry no trace of ``n`` at their published precision, e.g.
      statistics of continuous measurements, or values rounded to a step larger than the
      data's granularity divided by ``n``. Even then a published overall mean bounds the
      small group through ``n_o (mean_o - mean_f) = K``. The caller must justify the choice;
      :mod:`soskulib.process` and :mod:`soskulib.outcomes` do not use it.

    Rows of ``keep_visible`` groups (default :data:`KEEP_VISIBLE`: women and men) are chosen
    as complements only when no other group of the line is left. A margin cannot be the
    complement here: the totals of a long table are published elsewhere.

    Parameters
    ----------
    df : DataFrame
        One row per cell; key columns identify the cell, ``count_cols`` hold counts of people.
    count_cols : str or sequence of str
        Count columns; each is protected separately. A count column may repeat a line total
        (e.g. the denominator ``n_ended`` on every row of a line): it is suppressed like any
        count, so a small total hides its whole line.
    min_cell : int, default 5
        Counts ``0 < n < min_cell`` are hidden (primary suppression).
    along : str, sequence of str or mapping, optional
        Key columns across which the counts add up to a total that is published elsewhere
        (e.g. ``"end_reason"`` when the number of ended episodes is shown, or
        ``"municipality"`` when a national row is shown). For each such column, the rows that
        share all other key values form one line, and secondary suppression makes sure no
        line hides exactly one cell and no hidden cell is determined by the lines together.
        A mapping ``{count column: along columns}`` sets this per count column (a
        denominator repeated on every row of a line is additive across groups, not across
        the categories it is repeated over).
    keys : sequence of str, optional
        Key columns (default: every column that is neither a count nor derived nor a mask).
    derived : mapping, optional
        ``{derived column: count column(s)}``; the derived column (a share, a confidence
        limit) is hidden wherever any of its count columns is hidden.
    statistics : mapping, optional
        ``{statistic column: count column(s)}``; the statistic is hidden where any of its
        count columns is below ``min_cell`` (primary suppression, including the
        ``complements`` rule) but not where a count is hidden only as a complement. Only
        for values that cannot give ``n`` back at their published precision (see above).
    complements : mapping, optional
        ``{count column: total column}`` for counts shown next to their total (e.g. clients
        *with* a fidelity element next to all clients): the complement ``total - count`` is
        then published implicitly, so a count is also hidden when ``0 < total - count <
        min_cell``.
    keep_visible : mapping, optional
        ``{key column: categories}`` whose rows are complements of last resort. Default: the
        policy :data:`KEEP_VISIBLE` for key columns named there; ``{}`` for none.
    suppress : bool, default True
        ``False`` returns the table unchanged apart from all-False masks, with a ``UserWarning``.
    suppress_zeros : bool, default False
        Also hide zero counts.

    Returns
    -------
    DataFrame
        A copy with counts as float (``NaN`` where hidden) and a boolean
        ``<column>_suppressed`` mask for every count, derived and statistic column.

    Examples
    --------
    >>> import pandas as pd
    >>> t = pd.DataFrame({"reason": ["completed", "dropped_out", "moved"],
    ...                   "n": [20, 7, 3], "n_ended": [30, 30, 30]})
    >>> t["share"] = t["n"] / t["n_ended"]
    >>> out = suppress_table(t, ["n", "n_ended"], along={"n": "reason"},
    ...                      derived={"share": ["n", "n_ended"]})
    >>> out[["reason", "n", "share", "n_suppressed"]]
            reason     n     share  n_suppressed
    0    completed  20.0  0.666667         False
    1  dropped_out   NaN       NaN          True
    2        moved   NaN       NaN          True

    A continuous measurement by gender (here rounded to 0.5 kg, far coarser than
    ``0.1 kg / n``), the overall ``n`` published elsewhere: the "other" row is hidden, the
    women's count is its complement, and the women's mean weight stays.

    >>> g = pd.DataFrame({"gender": ["female", "male", "other"], "n": [60, 90, 3],
    ...                   "mean": [68.5, 84.0, 75.5]})
    >>> display(suppress_table(g, "n", along="gender", statistics={"mean": "n"}))
       gender   n  mean
    0  female  ..  68.5
    1    male  90  84.0
    2   other  ..    ..
    """
    min_cell = _check_min_cell(min_cell)
    count_cols = as_list(count_cols)
    derived = dict(derived or {})
    statistics = dict(statistics or {})
    complements = dict(complements or {})
    both = sorted(set(derived) & set(statistics))
    if both:
        raise ValueError(f"columns {both} are in both derived and statistics; choose one")
    if isinstance(along, Mapping):
        along_by_col = {c: as_list(along.get(c)) for c in count_cols}
    else:
        along_by_col = {c: as_list(along) for c in count_cols}
    all_along = sorted({a for dims in along_by_col.values() for a in dims})
    missing = [c for c in [*count_cols, *all_along, *derived, *statistics,
                           *complements.values()] if c not in df.columns]
    if missing:
        raise KeyError(f"columns {missing} not in table; columns are {', '.join(map(str, df.columns))}")
    for source in [*derived.values(), *statistics.values()]:
        unknown = [c for c in as_list(source) if c not in count_cols]
        if unknown:
            raise ValueError(f"derived columns and statistics must depend on count columns; "
                             f"{unknown} are not in count_cols")
    if keys is None:
        keys = [c for c in df.columns if c not in count_cols and c not in derived
                and c not in statistics and c not in complements.values()
                and not str(c).endswith(MASK_SUFFIX)]
    keys = list(keys)
    unknown_along = [a for a in all_along if a not in keys]
    if unknown_along:
        raise ValueError(f"along columns {unknown_along} must be key columns")

    if keep_visible is not None and not isinstance(keep_visible, Mapping):
        raise TypeError("keep_visible must map key columns to categories, e.g. "
                        "{'gender': ['female', 'male']}")
    kept_by_key = ({k: _kept_labels(k, None) for k in keys} if keep_visible is None
                   else {k: _kept_labels(k, v) for k, v in keep_visible.items()})
    unknown_kept = [k for k in kept_by_key if k not in keys]
    if unknown_kept:
        raise ValueError(f"keep_visible columns {unknown_kept} must be key columns")

    out = df.copy()
    masks: dict[str, np.ndarray] = {}
    primaries: dict[str, np.ndarray] = {}
    n = len(out)
    if not suppress:
        warn_unsuppressed("suppress_table")
    # Rows of a protected split are complements of last resort.
    cost = np.zeros(n)
    for key, kept in kept_by_key.items():
        if kept:
            cost[out[key].isin(list(kept)).to_numpy(dtype=bool)] = 1.0

    def lines_along(dims: list[str]) -> list[_Line]:
        # For each `along` column, the rows sharing every other key value form a line.
        lines: list[_Line] = []
        for dim in dims:
            others = [k for k in keys if k != dim]
            if others:
                codes = out.groupby(others, sort=False, dropna=False, observed=True).ngroup().to_numpy()
            else:
                codes = np.zeros(n, dtype=int)
            order = np.argsort(codes, kind="stable")
            splits = np.flatnonzero(np.diff(codes[order])) + 1
            lines.extend(_Line(group) for group in np.split(order, splits) if group.size > 1)
        return lines

    raw_values = {col: pd.to_numeric(out[col], errors="raise").astype(float).to_numpy()
                  for col in {*count_cols, *complements.values()}}
    for col in count_cols:
        values = raw_values[col]
        if suppress:
            primary = _primary(values, min_cell, suppress_zeros)
            if col in complements:
                rest = raw_values[complements[col]] - values
                primary |= _primary(rest, min_cell, suppress_zeros=False)
            mask = secondary_suppression(values, primary, lines_along(along_by_col[col]),
                                         cost=cost)
        else:
            primary = mask = np.zeros(n, bool)
        primaries[col] = primary
        masks[col] = mask
        out[col] = np.where(mask, np.nan, values)
    for col, sources in derived.items():
        mask = np.logical_or.reduce([masks[s] for s in as_list(sources)])
        masks[col] = mask
        out[col] = out[col].astype(float).mask(mask)
    for col, sources in statistics.items():
        mask = np.logical_or.reduce([primaries[s] for s in as_list(sources)])
        masks[col] = mask
        out[col] = out[col].astype(float).mask(mask)
    for col, mask in masks.items():
        out[mask_column(col)] = mask
    return publication.mark(out, suppress, "disclosure.suppress_table", min_cell=min_cell)


def display(df: pd.DataFrame, marker: str = MARKER, *, drop_masks: bool = True) -> pd.DataFrame:
    """Replace hidden cells of a suppressed long table by ``marker`` for reading.

    Parameters
    ----------
    df : DataFrame
        Output of :func:`suppress_table` (or any table with ``<col>_suppressed`` masks).
    marker : str, default ".."
        Text for hidden cells.
    drop_masks : bool, default True
        Drop the mask columns.

    Examples
    --------
    >>> import pandas as pd
    >>> t = suppress_table(pd.DataFrame({"g": ["a", "b", "c"], "n": [9, 3, 12]}), "n", along="g")
    >>> display(t)
       g   n
    0  a  ..
    1  b  ..
    2  c  12
    """
    out = df.copy()
    mask_cols = [c for c in out.columns if str(c).endswith(MASK_SUFFIX)]
    for mcol in mask_cols:
        col = str(mcol)[: -len(MASK_SUFFIX)]
        if col in out.columns:
            numbers = pd.to_numeric(out[col], errors="coerce")
            hidden = out[mcol].astype(bool).to_numpy()
            if out[col].notna().equals(numbers.notna()) and (numbers.dropna() % 1 == 0).all():
                cells = [None if pd.isna(v) else int(v) for v in numbers]
            else:
                cells = list(out[col])
            out[col] = pd.Series(np.where(hidden, marker, np.array(cells, dtype=object)),
                                 index=out.index, dtype=object)
    if drop_masks:
        out = out.drop(columns=mask_cols)
    return out


def is_protected(df: pd.DataFrame, count_cols: Iterable[Hashable], min_cell: int = MIN_CELL) -> bool:
    """Whether no visible count in ``count_cols`` lies in ``1 … min_cell - 1``.

    Examples
    --------
    >>> import pandas as pd
    >>> is_protected(pd.DataFrame({"n": [0.0, 7.0, float("nan")]}), ["n"])
    True
    """
    values = df[list(count_cols)].to_numpy(dtype=float)
    return not bool(np.any((values >= 1) & (values < min_cell)))
