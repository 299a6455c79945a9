"""Statistical disclosure control for tables that count people.

Every soskulib function and notebook table that shows how many people (client episodes,
participants) fall into a cell passes through this module. Two layers protect small groups:

* **Primary suppression.** A count ``0 < n < min_cell`` (default 5) is hidden. Zeros are shown
  (``suppress_zeros=False``), following Statistics Finland's practice for published tables.
* **Secondary (complementary) suppression**, as an optimisation
  (:func:`secondary_suppression`): published totals would let a reader recover a hidden cell
  by subtraction or narrow it down with ``n >= 0``, so further cells are hidden, at least
  cost, until the reader's own attack (:func:`feasible_intervals`, linear programming over
  everything visible and every line that adds up) leaves each hidden cell that may be a small
  group at least ``min_cell - 2`` wide (four possible values, as many as the rule itself
  leaves for 1–4). Mixed-integer programming with HiGHS (:func:`scipy.optimize.milp`), after
  Fischetti & Salazar-González (2000) and Hundepool et al. (2012) *Statistical Disclosure
  Control*, §4.3; see ``docs/disclosure.md`` for the comparison with Tau-Argus.

**Which cell is the complement** is a cost rule (``secondary_suppression(..., cost=...)``):
ordinary inner cells first (least information, ``1 + log(1 + n)``), then margins, then the
cells of a *protected split*: the ESF programme required gender-disaggregated figures, so the
cells of the women's and men's groups (:data:`KEEP_VISIBLE`) are hidden only when nothing
else protects the table. Totals that the page repeats elsewhere are never complements
(``crosstab(..., fixed_totals=..., fixed_cells=...)``).

**One publication, one population.** A small category that is not the point of a split
("other / unknown" gender where it is too small to show in every breakdown) would otherwise
force complements into the women's or men's figures, or be recovered as total − women − men
from a total published anywhere on the site. :func:`publication_population` leaves such
people out of everything published about the municipality; :func:`soskulib.page.load_tables`
applies it for every notebook. A whole built site is attacked by :mod:`soskulib.audit`
(``sosku audit``, the last step of ``sosku build``).

**Publishing a new table of people** (e.g. participation by role and gender):

1. compute it from :func:`soskulib.page.load_tables` data (the publication population);
2. protect it with :func:`crosstab` (two-way; ``fixed_totals``/``fixed_cells`` for margins
   shown elsewhere on the page) or :func:`suppress_table` (long; ``along=`` the key columns
   whose totals are shown elsewhere, ``derived=`` shares, means and limits of the counts);
3. draw its figure from the protected table, never from the rows;
4. describe what it counts in :data:`soskulib.audit.TABLE_MODELS` so the attack sees how it
   links to the rest of the site, and run ``sosku audit``.

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
from typing import Any

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
    "protect_total",
    "PublicationPopulation",
    "publication_population",
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
    *,
    min_cell: int = MIN_CELL,
    protection: int | None = None,
    fixed: np.ndarray | None = None,
) -> np.ndarray:
    """Extend a primary suppression mask, optimally, until no small group can be recovered.

    Secondary suppression as an optimisation (Fischetti & Salazar-González 2000, "Models and
    algorithms for optimizing cell suppression in tabular data with linear constraints",
    *JASA* 95, 916–928; Hundepool et al. 2012, *Statistical Disclosure Control*, §4.3): hide
    the set of cells of least cost such that every hidden cell that could be a small group
    stays uncertain. Solved by mixed-integer programming (HiGHS through
    :func:`scipy.optimize.milp`) with the constraints added as they are needed:

    1. every line (cells adding up to a total) hides no cell or at least two;
    2. a primary cell's line hides enough other people for its interval to be
       ``protection`` wide: the cell can fall to 0 and rise by what the other hidden cells
       of the line can give up (at most their own value; a hidden total any amount);
    3. then the reader's attack (:func:`feasible_intervals`: the interval of each hidden cell
       given every published cell, the lines and ``n >= 0``) is run on the solution; for
       every hidden cell with ``lo < min_cell`` and ``hi - lo < protection`` (an exact zero
       excepted) a cut asks for one more hidden cell among the visible cells of its lines,
       and the problem is solved again. The loop ends when the attack finds nothing, so the
       result is safe by the same criterion that ``sosku audit`` applies to a built site.
       (The cuts are a heuristic of the cutting-plane kind, not the exact Benders cuts of
       Fischetti & Salazar: the pattern is optimal for the constraints generated, and safe,
       but not proven the global optimum.)

    The objective is lexicographic in ``cost`` (a cell of a higher cost tier is hidden only
    when no cheaper pattern protects the table) and, within a tier, the information lost,
    ``1 + log(1 + n)`` per hidden cell (zeros count double: a hidden zero protects little).

    Parameters
    ----------
    values : ndarray
        Cell counts (1-D, any order).
    primary : ndarray of bool
        Cells that must be hidden.
    lines : sequence of _Line
        Groups of cells that add up to a published total.
    is_total : ndarray of bool, optional
        Cells that are themselves totals (one cost tier above ordinary cells when ``cost``
        is not given).
    cost : ndarray of float, optional
        Cost tier of hiding each cell as a complement: ``0`` ordinary cells, ``1`` margins,
        ``2`` groups of a required split (women, men); ``inf`` never (a total published
        elsewhere on the page).
    min_cell : int
        Reporting minimum.
    protection : int, optional
        Width the feasible interval of a hidden cell that may be a small group must reach;
        default ``min_cell - 2`` (as many possible values as primary suppression leaves).
    fixed : ndarray of bool, optional
        Cells that must stay visible (same as ``cost = inf``).

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
    from scipy.optimize import Bounds, LinearConstraint, milp

    values = np.asarray(values, dtype=float)
    mask = np.asarray(primary, dtype=bool).copy()
    n = mask.size
    is_total = np.zeros(n, bool) if is_total is None else np.asarray(is_total, bool)
    if cost is None:
        cost = np.where(is_total, 1.0, 0.0)
    cost = np.asarray(cost, dtype=float)
    if cost.shape != mask.shape or np.any(np.isnan(cost)) or np.any(cost < 0):
        raise ValueError(f"cost must give a non-negative number (or inf) for each of the {n} cells")
    protection = _check_min_cell(min_cell) - 2 if protection is None else int(protection)
    never = ~np.isfinite(cost) & ~mask
    if fixed is not None:
        never |= np.asarray(fixed, bool) & ~mask
    # A total published elsewhere that is itself a small group is hidden there (primary
    # suppression): its line tells a reader nothing and cannot be protected here.
    lines = [line for line in lines if line.total >= 0
             or not 0 < values[line.members].sum() < min_cell]
    if not lines or not mask.any():
        return mask
    tiers = np.where(np.isfinite(cost), cost, 0.0)
    weight = (1.0 + np.log1p(np.maximum(values, 0))) * np.where(values == 0, 2.0, 1.0)
    weight = weight * (4.0 * n + 4.0) ** tiers  # a higher tier outweighs any pattern below it
    weight = weight / weight.max()
    cells = [line.cells for line in lines]
    rows: list[np.ndarray] = []
    lower: list[float] = []
    # 1. No line hides exactly one cell: for each cell j of a line, sum(others) - s_j >= 0.
    for members in cells:
        for j in members:
            row = np.zeros(n)
            row[members] = 1.0
            row[j] = -1.0
            rows.append(row)
            lower.append(0.0)
    n_line_rule = len(rows)
    # 2. A primary cell's line can absorb `protection` people.
    cap = np.minimum(np.maximum(values, 0), protection)
    for line, members in zip(lines, cells, strict=True):
        for i in np.flatnonzero(mask[members]):
            cell = members[i]
            if not 0 < values[cell] < min_cell:
                continue
            row = np.zeros(n)
            if cell == line.total:  # a total rises with any of its members
                row[line.members] = protection
            else:  # a member rises as other members fall, or with the total
                row[line.members] = cap[line.members]
                if line.total >= 0:
                    row[line.total] = protection
            row[cell] = 0.0
            # The cell can fall to 0 (its own value) and rise by what the others can give up.
            need = protection - values[cell]
            if need > 0:
                rows.append(row)
                lower.append(float(need))
    n_capacity = len(rows) - n_line_rule
    lines_of: list[list[int]] = [[] for _ in range(n)]
    for k, members in enumerate(cells):
        for c in members:
            lines_of[c].append(k)
    lo_b = np.where(mask, 1.0, 0.0)
    hi_b = np.where(never, 0.0, 1.0)
    unprotectable: np.ndarray | None = None
    for _ in range(4 * n + 8):
        constraints = [LinearConstraint(np.vstack(rows), np.asarray(lower), np.inf)] if rows else []
        res = milp(weight, constraints=constraints, integrality=np.ones(n),
                   bounds=Bounds(lo_b, hi_b), options={"presolve": True})
        if res.x is None:
            if n_capacity:  # the capacity rows are a heuristic: leave them to the attack
                del rows[n_line_rule:n_line_rule + n_capacity], lower[n_line_rule:n_line_rule + n_capacity]
                n_capacity = 0
                continue
            if never.any():  # the fixed cells themselves give a small group away
                warnings.warn("secondary suppression must hide a total that was to stay visible "
                              "(it gives a small group away); do not publish that total "
                              "elsewhere", UserWarning, stacklevel=2)
                weight = np.where(never, weight.sum() + 1.0, weight)
                never = np.zeros(n, bool)
                hi_b = np.ones(n)
                continue
            return _fallback(np.ones(n, bool), primary)
        solution = res.x > 0.5
        weak = exposed_cells(values, solution, lines, min_cell=min_cell, protection=protection)
        if weak.any() and unprotectable is None:
            # Cells narrowed down even with every cell of this table hidden are given away by
            # the totals published elsewhere, not by this table: no pattern here helps.
            unprotectable = exposed_cells(values, ~never, lines, min_cell=min_cell,
                                          protection=protection)
            _warn_if_determined(values, ~never, lines, unprotectable)
        if unprotectable is not None:
            weak &= ~unprotectable
        if not weak.any():
            return solution
        added = False
        for cell in np.flatnonzero(weak):
            if not lines_of[cell]:
                continue
            near = np.unique(np.concatenate([cells[k] for k in lines_of[cell]]))
            near = near[~solution[near] & ~never[near]]
            if near.size == 0:
                continue
            row = np.zeros(n)
            row[near] = 1.0  # one more hidden cell on the exposed cell's lines
            rows.append(row)
            lower.append(1.0)
            added = True
        if not added:
            break
    warnings.warn("secondary suppression did not converge; every cell of the lines of the "
                  "exposed cells is hidden", UserWarning, stacklevel=2)
    return _fallback(solution | ~never, primary)


def _warn_if_determined(values: np.ndarray, mask: np.ndarray, lines: Sequence[_Line],
                        cells: np.ndarray) -> None:
    exact = [c for c, (lo, hi) in feasible_intervals(values, mask, lines).items()
             if cells[c] and lo == hi and 0 < lo]
    if exact:
        warnings.warn(f"{len(exact)} suppressed cell(s) could still be derived from totals "
                      "published elsewhere (every cell of their lines is already hidden); do "
                      "not publish those totals next to this table", UserWarning, stacklevel=3)


def _fallback(mask: np.ndarray, primary: np.ndarray) -> np.ndarray:
    return np.asarray(mask, bool) | np.asarray(primary, bool)


def _line_system(values: np.ndarray, mask: np.ndarray, lines: Sequence[_Line]
                 ) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """The reader's equations over the hidden cells: ``A u = b``."""
    hidden = np.flatnonzero(mask)
    pos = {c: k for k, c in enumerate(hidden)}
    a_rows, b = [], []
    for line in lines:
        row = np.zeros(hidden.size)
        rhs = 0.0
        terms = [(c, 1.0) for c in line.members]
        if line.total >= 0:
            terms.append((line.total, -1.0))
        else:  # total published elsewhere: the sum of the members' true values
            rhs += float(values[line.members].sum())
        for c, sign in terms:
            if c in pos:
                row[pos[c]] += sign
            else:
                rhs -= sign * values[c]
        if row.any():
            a_rows.append(row)
            b.append(rhs)
    a = np.vstack(a_rows) if a_rows else np.zeros((0, hidden.size))
    return hidden, a, np.asarray(b, dtype=float)


def lp_intervals(a_eq: Any, b_eq: np.ndarray, targets: Iterable[int], *, bounds: Any = (0, None),
                 a_ub: Any = None, b_ub: np.ndarray | None = None,
                 wide_from: float | None = None) -> dict[int, tuple[float, float]]:
    """Smallest and largest value of each target variable subject to the constraints (HiGHS,
    :class:`soskulib.feasible.FeasibleRegion`: one model, an objective per end).

    ``inf``/``-inf`` where unbounded and ``nan`` where the constraints contradict each
    other. Used by :func:`feasible_intervals` and by the site audit (:mod:`soskulib.audit`).
    With ``wide_from``, the largest value is computed first, and a variable that can reach
    ``wide_from`` gets ``-inf`` as its smallest value without a second linear program (for a
    caller to whom such a variable is no disclosure whatever its lower end).

    Examples
    --------
    >>> import numpy as np
    >>> lp_intervals(np.array([[1.0, 1.0]]), np.array([3.0]), [0])
    {0: (0.0, 3.0)}
    """
    from soskulib.feasible import FeasibleRegion

    has_eq = a_eq is not None and a_eq.shape[0] > 0
    has_ub = a_ub is not None and a_ub.shape[0] > 0
    region = FeasibleRegion(a_eq if has_eq else None, b_eq, a_ub=a_ub if has_ub else None,
                            b_ub=b_ub, bounds=bounds,
                            size=a_eq.shape[1] if a_eq is not None else a_ub.shape[1])
    out: dict[int, tuple[float, float]] = {}

    def extreme(v: int, sign: float) -> float:
        c = np.zeros(region.size)
        c[v] = sign
        res = region.minimize(c)
        if res.status == 3:
            return -sign * np.inf
        if res.status != 0:
            return np.nan
        return sign * res.fun

    for v in targets:
        hi = extreme(v, -1.0)
        wide = wide_from is not None and hi >= wide_from - 1e-6
        lo = -np.inf if wide else extreme(v, 1.0)
        out[int(v)] = (float(lo), float(hi))
    return out


def feasible_intervals(values: np.ndarray, mask: np.ndarray, lines: Sequence[_Line]
                       ) -> dict[int, tuple[float, float]]:
    """What a reader can tell about each hidden cell: its range given everything published.

    Every visible cell is known, every line adds up, every count is ``>= 0``; the interval
    of a hidden cell is its minimum and maximum over that polytope (linear programming),
    rounded inwards to integers.

    Examples
    --------
    >>> import numpy as np
    >>> values = np.array([3.0, 9.0, 12.0])
    >>> feasible_intervals(values, np.array([True, True, False]), [_Line(np.arange(2), 2)])
    {0: (0.0, 12.0), 1: (0.0, 12.0)}
    """
    values = np.asarray(values, dtype=float)
    hidden, a, b = _line_system(values, np.asarray(mask, bool), lines)
    if hidden.size == 0:
        return {}
    raw = lp_intervals(a if a.shape[0] else None, b, range(hidden.size)) if a.shape[0] else {
        k: (0.0, np.inf) for k in range(hidden.size)}
    out = {}
    for k, (lo, hi) in raw.items():
        lo = float(np.ceil(lo - 1e-6)) + 0.0 if np.isfinite(lo) else lo
        hi = float(np.floor(hi + 1e-6)) + 0.0 if np.isfinite(hi) else hi
        out[int(hidden[k])] = (lo, hi)
    return out


def exposed_cells(values: np.ndarray, mask: np.ndarray, lines: Sequence[_Line], *,
                  min_cell: int = MIN_CELL, protection: int | None = None) -> np.ndarray:
    """Hidden cells a reader can narrow to fewer than ``protection + 1`` values that include
    a small group (``lo < min_cell``); an exact zero is no disclosure.

    Examples
    --------
    >>> import numpy as np
    >>> line = [_Line(np.arange(2), 2)]
    >>> exposed_cells(np.array([1.0, 1.0, 2.0]), np.array([True, True, False]), line)
    array([ True,  True, False])
    >>> exposed_cells(np.array([1.0, 9.0, 10.0]), np.array([True, True, False]), line)
    array([False, False, False])
    """
    protection = min_cell - 2 if protection is None else protection
    values = np.asarray(values, dtype=float)
    out = np.zeros(np.asarray(mask).shape, bool)
    hidden, a, b = _line_system(values, np.asarray(mask, bool), lines)
    if hidden.size == 0 or a.shape[0] == 0:
        return out  # nothing links the hidden cells: each lies in [0, inf)
    # Where the true table satisfies the lines (it does when they are its own margins), it is
    # a feasible point, so lo <= value <= hi. A cell of at least min_cell + protection - 1
    # people is then never exposed (lo < min_cell gives hi - lo >= protection), nor is one
    # whose upper end reaches that: no LP for the former, one instead of two for the latter.
    # The result is that of feasible_intervals.
    wide = min_cell + protection - 1
    true = values[hidden]
    feasible = bool(np.all(true >= 0) and np.allclose(a @ true, b, rtol=0, atol=1e-6))
    maybe = [k for k in range(hidden.size) if not (feasible and true[k] >= wide)]
    for k, (lo, hi) in lp_intervals(a, b, maybe, wide_from=wide).items():
        cell = int(hidden[k])
        lo = float(np.ceil(lo - 1e-6)) if np.isfinite(lo) else lo
        hi = float(np.floor(hi + 1e-6)) if np.isfinite(hi) else hi
        if np.isnan(lo) or np.isnan(hi):
            continue
        if lo < min_cell and hi - lo < protection and not (lo == hi == 0):
            out[cell] = True
    return out


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
    fixed_totals: str | None = None,
    fixed_cells: Iterable[tuple[Hashable, Hashable]] = (),
    complements: Mapping[Hashable, float] | None = None,
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
    fixed_totals : {None, "row", "column", "both"}
        Margins that are published elsewhere on the page and must stay visible: ``"row"``
        the total row (e.g. the women's, men's and all clients, which other tables of the
        page repeat), ``"column"`` the total column. A fixed total below ``min_cell`` is
        still hidden.
    fixed_cells : iterable of (row, column)
        Further cells published elsewhere, e.g. ``[("total", 4)]`` for the number of clients
        who received all four elements when the fidelity table shows it.
    complements : mapping, optional
        ``{row category: published number}`` for row totals that are part of a larger number
        published elsewhere (a municipality's ended episodes with a pathway, of all its
        episodes): the row total is also hidden when ``0 < number − total < min_cell``, since
        the difference is a small group.

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
    if fixed_totals not in (None, "row", "column", "both"):
        raise ValueError(f"fixed_totals must be None, 'row', 'column' or 'both', got {fixed_totals!r}")
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
        primary = _primary(full, min_cell, suppress_zeros)
        # A fixed margin with a small group in it (4 women of a municipality) cannot stay
        # whole: the grand total stays, and the margin's other groups become complements of
        # last resort (the tables that publish them hide them likewise, along the split).
        if fixed_totals in ("row", "both"):
            cost[n_rows, :] = np.inf if not primary[n_rows, :n_cols].any() else 3.0
            cost[n_rows, n_cols] = np.inf
        if fixed_totals in ("column", "both"):
            cost[:, n_cols] = np.inf if not primary[:n_rows, n_cols].any() else 3.0
            cost[n_rows, n_cols] = np.inf
        for r, c in fixed_cells:
            if r not in index or c not in columns:
                raise KeyError(f"fixed cell ({r!r}, {c!r}) is not a cell of the table")
            cost[index.get_loc(r), columns.get_loc(c)] = np.inf
        if id_col is not None:
            lines = []  # distinct counts are not additive: primary suppression only
        for r, whole in ({} if complements is None else dict(complements)).items():
            if r in table.index:
                i = table.index.get_loc(r)
                primary[i, n_cols] |= bool(0 < whole - full[i, n_cols] < min_cell)
        mask = secondary_suppression(flat, primary.ravel(), lines,
                                     is_total.ravel(), cost.ravel(),
                                     min_cell=min_cell).reshape(full.shape)
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
    supersets: Mapping[str, str] | None = None,
    nested: Sequence[str] | None = None,
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
    supersets : mapping, optional
        ``{count column: subset column}`` for counts shown next to a subset of their people
        whose own results matter more (clients with a baseline next to the complete pairs
        the change results rest on): the difference ``count − subset`` is published
        implicitly, so where it is 1 … ``min_cell − 1`` the *larger* count is hidden and
        the subset with its results stays (the project's policy, ``docs/disclosure.md``).
    nested : sequence of str, optional
        Count columns in order, each a subset of the one before (placed ⊇ status recorded
        ⊇ status known ⊇ held). Each is a complement of the one before, and a count is also
        hidden wherever the one before it is hidden: otherwise a visible later count would
        narrow the hidden one, and with it the difference, to fewer than
        ``min_cell − 2`` values.
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
    supersets = dict(supersets or {})
    nested = list(nested or [])
    before = dict(zip(nested[1:], nested[:-1], strict=False))
    complements.update(before)
    if nested:  # a nested count needs the mask of the one before it
        count_cols = [c for c in nested if c in count_cols] + [c for c in count_cols if c not in nested]
    both = sorted(set(derived) & set(statistics))
    if both:
        raise ValueError(f"columns {both} are in both derived and statistics; choose one")
    if isinstance(along, Mapping):
        along_by_col = {c: as_list(along.get(c)) for c in count_cols}
    else:
        along_by_col = {c: as_list(along) for c in count_cols}
    all_along = sorted({a for dims in along_by_col.values() for a in dims})
    missing = [c for c in [*count_cols, *all_along, *derived, *statistics, *complements.values(),
                           *supersets.values(), *nested] if c not in df.columns]
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
                and c not in supersets.values() and not str(c).endswith(MASK_SUFFIX)]
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

    lines_by_dims: dict[tuple[str, ...], list[_Line]] = {}

    def lines_along(dims: list[str]) -> list[_Line]:
        # For each `along` column, the rows sharing every other key value form a line
        # (computed once for count columns that share their `along` columns).
        if tuple(dims) not in lines_by_dims:
            lines_by_dims[tuple(dims)] = _lines_along(dims)
        return lines_by_dims[tuple(dims)]

    def _lines_along(dims: list[str]) -> list[_Line]:
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
                  for col in {*count_cols, *complements.values(), *supersets.values()}}
    for col in count_cols:
        values = raw_values[col]
        if suppress:
            primary = _primary(values, min_cell, suppress_zeros)
            if col in complements:
                rest = raw_values[complements[col]] - values
                primary |= _primary(rest, min_cell, suppress_zeros=False)
            if col in supersets:
                rest = values - raw_values[supersets[col]]
                primary |= _primary(rest, min_cell, suppress_zeros=False)
            if col in before:
                primary |= masks[before[col]]
            mask = secondary_suppression(values, primary, lines_along(along_by_col[col]),
                                         cost=cost, min_cell=min_cell)
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
    added = {}
    for col, mask in masks.items():
        if mask_column(col) in out.columns:
            out[mask_column(col)] = mask
        else:
            added[mask_column(col)] = mask
    if added:  # new mask columns at once, in order, after the table's own columns
        attrs = out.attrs
        out = pd.concat([out, pd.DataFrame(added, index=out.index)], axis=1)
        out.attrs = attrs
    return publication.mark(out, suppress, "disclosure.suppress_table", min_cell=min_cell)


def protect_total(
    counts: Sequence[float] | np.ndarray,
    hidden: Sequence[bool] | np.ndarray,
    whole: float,
    *,
    min_cell: int = MIN_CELL,
) -> tuple[np.ndarray, bool]:
    """Protect a line of counts published with its total, when the total is part of a larger
    published number and the difference is a small group.

    The end reasons of a municipality's ended episodes add up to the ended total, and the
    page publishes all its episodes (``whole``): ``whole − total`` are the episodes still
    going on. When that difference is 1 … ``min_cell − 1`` people, the total must be hidden
    (primary suppression of a complement), and with it enough counts of the line that their
    visible sum does not give the total back: the reader's interval of the small difference
    must stay ``min_cell − 2`` wide (the criterion of :func:`secondary_suppression`, which
    solves it, and of ``sosku audit``).

    Parameters
    ----------
    counts : array-like
        The line's counts (e.g. episodes per end reason).
    hidden : array-like of bool
        Counts already hidden (by the table's own suppression).
    whole : float
        The published number the line's total is part of.
    min_cell : int
        Reporting minimum.

    Returns
    -------
    (ndarray of bool, bool)
        The line's mask and whether the total is hidden.

    Examples
    --------
    Ten episodes, eight ended (5 completed, 2 dropped out, 1 moved): the two ongoing would
    follow from 10 − 8, so the total is hidden, and with it the reasons beyond the first:

    >>> protect_total([5, 2, 1, 0], [False, True, True, False], 10)
    (array([False,  True,  True, False]), True)
    """
    counts = np.asarray(counts, dtype=float)
    mask = np.asarray(hidden, dtype=bool).copy()
    total = float(counts.sum())
    rest = float(whole) - total
    if not 0 < rest < _check_min_cell(min_cell) or not 0 < total:
        return mask, False
    k = counts.size
    values = np.concatenate([counts, [total, rest]])
    primary = np.concatenate([mask, [True, True]])
    lines = [_Line(np.arange(k), k), _Line(np.array([k, k + 1]))]  # members = total; total + rest = whole
    out = secondary_suppression(values, primary, lines, min_cell=min_cell)
    return out[:k], True


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
    mask_cols = [c for c in df.columns if str(c).endswith(MASK_SUFFIX)]
    shown: dict[Hashable, np.ndarray] = {}
    for mcol in mask_cols:
        col = str(mcol)[: -len(MASK_SUFFIX)]
        if col in df.columns:
            hidden = df[mcol].astype(bool).to_numpy()
            shown[col] = np.where(hidden, marker, _display_cells(df[col]))
    out = df.drop(columns=mask_cols) if drop_masks else df.copy()
    for j, col in enumerate(out.columns):
        if col in shown:
            out.isetitem(j, pd.Series(shown[col], index=out.index, dtype=object))
    return out


def _display_cells(values: pd.Series) -> np.ndarray:
    """``values`` as an object array; whole numbers (all of a numeric column) as ``int``."""
    if pd.api.types.is_numeric_dtype(values.dtype) and not pd.api.types.is_bool_dtype(values.dtype):
        numbers = values.to_numpy(dtype=float, na_value=np.nan)
        present = ~np.isnan(numbers)
        if bool(np.all(numbers[present] % 1 == 0)):
            cells = np.full(len(numbers), None, dtype=object)
            cells[present] = [int(v) for v in numbers[present]]
            return cells
        return values.to_numpy(dtype=object)
    numbers = pd.to_numeric(values, errors="coerce")
    if values.notna().equals(numbers.notna()) and (numbers.dropna() % 1 == 0).all():
        return np.array([None if pd.isna(v) else int(v) for v in numbers], dtype=object)
    return np.array(list(values), dtype=object)


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


# ---------------------------------------------------------------------------------------------
# The publication population
# ---------------------------------------------------------------------------------------------


@dataclass(frozen=True)
class PublicationPopulation:
    """The people a site publishes figures of, after the small-category policy.

    Attributes
    ----------
    clients : DataFrame
        The clients (episodes) kept.
    excluded : DataFrame
        ``unit, category, n`` of the groups left out (for the analyst; never published: the
        size of a left-out group is what the policy protects).
    split : str
        The column of the split (``"gender"``).
    """

    clients: pd.DataFrame
    excluded: pd.DataFrame
    split: str

    @property
    def excluded_ids(self) -> set[str]:
        """Pseudonyms of the people left out."""
        return set(self._excluded_ids)

    @property
    def _excluded_ids(self) -> frozenset[str]:
        return frozenset(self.excluded.attrs.get("client_ids", ()))

    def keep(self, frame: pd.DataFrame, id_col: str = "client_id") -> pd.DataFrame:
        """Rows of ``frame`` (contacts, goals, responses ...) of the people kept."""
        ids = self._excluded_ids
        if not ids or frame.empty or id_col not in frame.columns:
            return frame
        return frame.loc[~frame[id_col].astype(str).isin(ids)].reset_index(drop=True)


def publication_population(
    clients: pd.DataFrame,
    responses: Mapping[str, pd.DataFrame] | None = None,
    *,
    split: str = "gender",
    unit: str = "municipality",
    min_cell: int = MIN_CELL,
    pre: str = "baseline",
    post: str = "end",
) -> PublicationPopulation:
    """Leave out the small categories of a split that are not the point of the split.

    The project's policy (``docs/disclosure.md``): the ESF required results for women and
    men (:data:`KEEP_VISIBLE`), so those two groups are the point of the gender split. A
    further category ("other / unknown") is published as its own group in a municipality
    only where it is large enough to be shown in *every* breakdown by gender there: at least
    ``min_cell`` clients, and at least ``min_cell`` clients with both a ``pre`` and a
    ``post`` assessment on every instrument the municipality used. Where it is smaller, its
    people are left out of *everything* published about that municipality (on its own page,
    on the national page and on the data-quality page), so that no published total includes
    them and ``total − women − men`` cannot give them back; the pages say so in their method
    note. Otherwise one small group would force complementary suppression of the women's or
    the men's results wherever the overall result is shown.

    Parameters
    ----------
    clients : DataFrame
        Clients with ``client_id``, ``unit`` and ``split`` columns.
    responses : mapping, optional
        ``{instrument id: responses}`` with ``client_id`` and ``occasion``.
    split, unit : str
        The split and the publication unit.
    min_cell : int
        The reporting minimum.
    pre, post : str
        Occasions that make a complete pair.

    Returns
    -------
    PublicationPopulation

    Examples
    --------
    >>> import pandas as pd
    >>> c = pd.DataFrame({"client_id": [f"c{i}" for i in range(13)], "municipality": "410",
    ...                   "gender": ["female"] * 6 + ["male"] * 6 + ["other"]})
    >>> pop = publication_population(c)
    >>> len(pop.clients), sorted(pop.clients["gender"].unique())
    (12, ['female', 'male'])
    """
    min_cell = _check_min_cell(min_cell)
    for col in ("client_id", unit, split):
        if col not in clients.columns:
            raise KeyError(f"clients need a {col!r} column for the publication population")
    kept_codes = _kept_labels(split, None)
    others = clients.loc[clients[split].notna() & ~clients[split].isin(list(kept_codes))]
    if others.empty:
        return PublicationPopulation(clients, pd.DataFrame(columns=[unit, "category", "n"]), split)
    small: set[tuple[str, str]] = set()
    size = others.groupby([unit, split], observed=True)["client_id"].nunique()
    small |= {key for key, n in size.items() if n < min_cell}
    for frame in (responses or {}).values():
        if frame.empty or "occasion" not in frame.columns:
            continue
        used = set(frame[unit].astype(str)) if unit in frame.columns else set()
        at_pre = set(frame.loc[frame["occasion"] == pre, "client_id"].astype(str))
        at_post = set(frame.loc[frame["occasion"] == post, "client_id"].astype(str))
        paired = at_pre & at_post
        for (u, cat), _ in size.items():
            if str(u) not in used:
                continue
            group = others.loc[(others[unit] == u) & (others[split] == cat), "client_id"].astype(str)
            if len(set(group) & paired) < min_cell:
                small.add((u, cat))
    drop = pd.Series(list(zip(others[unit], others[split], strict=True)), index=others.index).isin(small)
    dropped = others.loc[drop]
    excluded = (dropped.groupby([unit, split], observed=True)["client_id"].nunique()
                .rename("n").reset_index().rename(columns={split: "category"}))
    excluded.attrs["client_ids"] = tuple(sorted(set(dropped["client_id"].astype(str))))
    kept = clients.loc[~clients.index.isin(dropped.index)].reset_index(drop=True)
    return PublicationPopulation(kept, excluded, split)
