"""The disclosure attack: what a reader can recover from everything a built site publishes.

``sosku audit REPORTS_DIR`` (and the last step of ``sosku build``) reads back what the site
publishes, exactly as a reader gets it, and attacks it. It never looks at the processed data
or at the suppression code's masks:

* every CSV download under ``REPORTS_DIR`` (``*_tables/*.csv``; comma- or semicolon-separated,
  decimal point or decimal comma, with or without a UTF-8 BOM, so both a machine-readable file
  and a Finnish-Excel variant are read), with hidden cells shown as ``..`` (or ``<5``, ``x``);
* the headline sentences of the index and of each page (``N asiakasta`` / ``N clients``).

From these it builds one system of linear relations per site (:class:`Attack`): a published
count fixes a variable; the same count published in two places (the municipality's clients in
its two cross-tabulations, its reach table, its headline, the index, the national coverage
table and the data-quality page) is one variable; the rows and columns of a cross-tabulation
add up to its margins; the groups of a by-gender table add up to the overall table; a mean
published with its ``n`` gives the group's sum ``mean × n``, and sums add up like counts.
Every count is a non-negative integer.

For each hidden count it then computes the feasible interval ``[lo, hi]`` by linear
programming (HiGHS, :class:`soskulib.feasible.FeasibleRegion`; bounds rounded inwards, since
counts are integers). A hidden count is **disclosed** when ``lo < min_cell`` (it may be a
small group) and ``hi - lo < protection``: with the default ``protection = min_cell - 2 = 3``
a reader must be left with at least four possible values, as many as primary suppression
itself leaves for a cell of 1–4 people. An exactly recovered zero is not a finding (zeros
are published). A **statistic** of a group of fewer than ``min_cell`` people is disclosed
when its ``n`` is recovered exactly and its sum ``mean × n`` follows from the published sums.
A visible count of 1 … ``min_cell - 1`` in a column of people is a finding too.

What each published table means is described once, in :data:`TABLE_MODELS` (by the CSV's
file stem); tables without a model are still read generically: a cross-tabulation (a
``total``/``yhteensä`` margin row and column) adds up along its rows and columns, and any
column headed ``n`` is checked for visible small counts. A new table of counts of people
should get a model here, so the attack sees its links to the rest of the site.

Examples
--------
A cross-tabulation whose hidden cells are fixed by the margins and non-negativity
(the Laukaa age table of the issue: women 18–29 = 7, column total 15):

>>> import pandas as pd
>>> t = pd.DataFrame({"age": ["18–29", "30–49", "50–64", "total"],
...                   "male": ["10", "9", "5", "24"], "female": ["7", "..", "..", "15"],
...                   "other": ["..", "..", "..", ".."], "total": ["..", "14", "8", ".."]})
>>> attack = Attack()
>>> attack.add_crosstab("p.html", "ages", "410", "clients", t)
>>> for finding in attack.findings():
...     print(finding)
p.html:ages:50–64 / female: a hidden count is recoverable: it lies in [3, 3]

(Women 30–49 are recovered too, as 5: not a small group; the "other" cells of those rows
are recovered as 0, which zeros being published is no finding either.)
"""

from __future__ import annotations

import csv
import io
import math
import re
from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np
import pandas as pd
from scipy import sparse
from scipy.sparse.csgraph import connected_components

from soskulib import disclosure, instruments, labels, schema
from soskulib.feasible import FeasibleRegion

__all__ = ["Finding", "Attack", "audit_site", "read_csv_text", "TABLE_MODELS", "HIDDEN_MARKERS"]

#: Texts a published table uses for a hidden cell.
HIDDEN_MARKERS = frozenset({"..", "<5", "x", "X", "…", "*"})
_TOTAL_LABELS = frozenset({labels.text("total", lang) for lang in labels.LANGUAGES})


@dataclass(frozen=True, order=True)
class Finding:
    """One recovered cell or statistic, printed as ``PAGE:TABLE:CELL: message``."""

    page: str
    table: str
    cell: str
    message: str

    def __str__(self) -> str:
        return f"{self.page}:{self.table}:{self.cell}: {self.message}"


# ---------------------------------------------------------------------------------------------
# Reading what was published
# ---------------------------------------------------------------------------------------------


def read_csv_text(text: str) -> pd.DataFrame:
    """A published CSV as a table of strings, whatever its dialect.

    Comma- or semicolon-separated (the Finnish-Excel variant), with or without a BOM; cells
    stay text (numbers are read by :func:`number`).

    Examples
    --------
    >>> read_csv_text("\\ufeffa;b\\n1,5;..\\n")
         a   b
    0  1,5  ..
    """
    text = text.lstrip("\ufeff")
    first = text.split("\n", 1)[0]
    delimiter = ";" if first.count(";") > first.count(",") else ","
    rows = list(csv.reader(io.StringIO(text), delimiter=delimiter))
    if not rows:
        return pd.DataFrame()
    header, body = rows[0], [r for r in rows[1:] if r]
    width = len(header)
    body = [(r + [""] * width)[:width] for r in body]
    frame = pd.DataFrame(body, columns=range(width), dtype=object)
    frame.columns = header
    frame.attrs["decimal_comma"] = delimiter == ";"
    return frame


def number(text: object, decimal_comma: bool = False) -> float | None:
    """A published cell as a number; ``None`` when hidden or not a number.

    Examples
    --------
    >>> number("1 234,5", decimal_comma=True), number(".."), number("12")
    (1234.5, None, 12.0)
    """
    if text is None or (isinstance(text, float) and math.isnan(text)):
        return None
    s = str(text).strip().replace("\u00a0", "").replace("\u202f", "").replace(" ", "")
    s = s.replace("\u2212", "-")
    if s in HIDDEN_MARKERS or not s:
        return None
    if s.endswith("%"):
        s = s[:-1]
    if decimal_comma:
        s = s.replace(".", "").replace(",", ".") if "," in s else s
    try:
        return float(s)
    except ValueError:
        return None


def is_hidden(text: object) -> bool:
    """Whether a published cell is a disclosure marker."""
    return isinstance(text, str) and text.strip() in HIDDEN_MARKERS


# ---------------------------------------------------------------------------------------------
# The linear system
# ---------------------------------------------------------------------------------------------

Key = tuple  # (scope, population, frozenset of (dimension, value)) or a sum key


@dataclass
class _Appearance:
    page: str
    table: str
    cell: str
    value: float | None  # None when hidden


@dataclass
class Attack:
    """The reader's linear system over everything published, and its attack.

    Counts are variables keyed by ``(scope, population, conditions)``: ``scope`` is the
    municipality (or ``"national"``), ``population`` what is counted (``"clients"``,
    ``"pairs:ESIS"``, ...) and ``conditions`` a set of ``(dimension, value)`` pairs (e.g.
    ``{("gender", "nainen")}``). Sums ``mean × n`` are variables of their own.

    Parameters
    ----------
    min_cell : int
        Groups of fewer people are protected.
    protection : int, optional
        Width a protected count's feasible interval must reach; default ``min_cell - 2``.
    """

    min_cell: int = disclosure.MIN_CELL
    protection: int | None = None
    _index: dict[Key, int] = field(default_factory=dict)
    _seen: list[list[_Appearance]] = field(default_factory=list)
    _is_sum: list[bool] = field(default_factory=list)
    _equations: list[tuple[dict[int, float], float]] = field(default_factory=list)
    _upper: list[tuple[int, int]] = field(default_factory=list)  # (small, big): small <= big
    _stats: list[tuple[int, int, _Appearance]] = field(default_factory=list)  # (n var, sum var)
    _small_shown: list[Finding] = field(default_factory=list)
    _subsets: list[tuple[int, int, _Appearance]] = field(default_factory=list)
    _differences: dict[int, tuple[int, int]] = field(default_factory=dict)  # d: (small, big)

    # -- building ----------------------------------------------------------------------------
    def var(self, key: Key, *, is_sum: bool = False) -> int:
        """Index of the variable of ``key`` (created on first use)."""
        if key not in self._index:
            self._index[key] = len(self._seen)
            self._seen.append([])
            self._is_sum.append(is_sum)
        return self._index[key]

    def count(self, page: str, table: str, cell: str, key: Key, text: object,
              decimal_comma: bool = False, protected: bool = True) -> int | None:
        """Record a published count cell; returns its variable (``None`` if blank)."""
        value = number(text, decimal_comma)
        if value is None and not is_hidden(text):
            return None
        v = self.var(key)
        self._seen[v].append(_Appearance(page, table, cell, value))
        if protected and value is not None and 1 <= value < self.min_cell:
            self._small_shown.append(Finding(page, table, cell,
                                             f"a count of {value:g} people is shown"))
        return v

    def derived(self, page: str, table: str, cell: str, value: float) -> None:
        """A count a reader computes from visible cells (``share × n``, ``n − k``): a finding
        when it is a group of 1 … ``min_cell − 1`` people."""
        value = round(value)
        if 1 <= value < self.min_cell:
            self._small_shown.append(Finding(page, table, cell,
                                             f"a count of {value:g} people follows from the "
                                             "visible cells"))

    def implied(self, page: str, table: str, cell: str, key: Key) -> int:
        """A count the site never prints but a reader can bound (``episodes − ended``)."""
        v = self.var(key)
        self._seen[v].append(_Appearance(page, table, cell, None))
        return v

    def equation(self, terms: Mapping[int, float], rhs: float = 0.0) -> None:
        """``Σ coef · x = rhs`` over variables."""
        terms = {k: v for k, v in terms.items() if v}
        if terms:
            self._equations.append((dict(terms), float(rhs)))

    def additive(self, total: int | None, parts: Sequence[int | None]) -> None:
        """``total = Σ parts`` (skipped when any is unknown to the model)."""
        if total is None or any(p is None for p in parts) or not parts:
            return
        terms: dict[int, float] = {total: -1.0}
        for p in parts:
            terms[p] = terms.get(p, 0.0) + 1.0
        self.equation(terms)

    def at_most(self, small: int | None, big: int | None) -> None:
        """``small <= big`` (a subset of people)."""
        if small is not None and big is not None and small != big:
            self._upper.append((small, big))

    def subset(self, page: str, table: str, cell: str, small: int | None, big: int | None) -> None:
        """``small`` people are a subset of ``big`` (complete pairs of all with a baseline,
        clients with a method of all clients): ``big − small`` is a group of people too.

        The difference is attacked like a hidden count: where both counts are published it
        is known exactly (a finding when it is 1 … ``min_cell − 1``); where either is hidden
        its feasible interval must be as wide as any hidden count's.
        """
        if small is None or big is None or small == big:
            return
        self.at_most(small, big)
        self._subsets.append((small, big, _Appearance(page, table, cell, None)))

    def _resolve_subsets(self) -> None:
        """Turn the declared subsets into differences the attack computes (once)."""
        pending, self._subsets = self._subsets, []
        seen: set[tuple[int, int]] = set()
        for small, big, where in pending:
            if (small, big) in seen:
                continue
            seen.add((small, big))
            known = [next((a.value for a in self._seen[v] if a.value is not None), None)
                     for v in (small, big)]
            if None not in known:  # both published: plain arithmetic, no linear program
                diff = known[1] - known[0]
                if 1 <= round(diff) < self.min_cell:
                    self._small_shown.append(Finding(
                        where.page, where.table, where.cell,
                        f"a difference of two published counts is {diff:g} people"))
                continue
            d = self.implied(where.page, where.table, where.cell, ("difference", small, big))
            self.equation({big: 1.0, small: -1.0, d: -1.0})
            self._differences[d] = (small, big)

    def mean(self, n_var: int | None, sum_key: Key, text: object, where: _Appearance,
             decimal_comma: bool = False) -> int | None:
        """Record a published mean of the group counted by ``n_var``; returns its sum variable."""
        if n_var is None:
            return None
        s = self.var(sum_key, is_sum=True)
        value = number(text, decimal_comma)
        n_values = [a.value for a in self._seen[n_var] if a.value is not None]
        if value is not None and n_values:
            self.equation({s: 1.0}, value * n_values[0])
        self._stats.append((n_var, s, where))
        return s

    def add_crosstab(self, page: str, table: str, scope: str, population: str,
                     frame: pd.DataFrame, *, row_dim: str | None = None,
                     col_dim: str = "col", decimal_comma: bool = False,
                     total_labels: Iterable[str] = _TOTAL_LABELS) -> None:
        """A two-way table with a margin row and/or column (first column = row labels)."""
        totals = set(total_labels)
        row_dim = row_dim or str(frame.columns[0])
        labels_ = [str(v) for v in frame.iloc[:, 0]]
        cols = [str(c) for c in frame.columns[1:]]
        grid: dict[tuple[str, str], int | None] = {}
        for i, r in enumerate(labels_):
            for j, c in enumerate(cols):
                conds = set()
                if r not in totals:
                    conds.add((row_dim, r))
                if c not in totals:
                    conds.add((col_dim, c))
                grid[r, c] = self.count(page, table, f"{r} / {c}",
                                        (scope, population, frozenset(conds)),
                                        frame.iat[i, j + 1], decimal_comma)
        inner_rows = [r for r in labels_ if r not in totals]
        inner_cols = [c for c in cols if c not in totals]
        for r in labels_:
            for c in cols:
                if c in totals:
                    self.additive(grid[r, c], [grid[r, k] for k in inner_cols])
                if r in totals:
                    self.additive(grid[r, c], [grid[k, c] for k in inner_rows])

    # -- attacking ---------------------------------------------------------------------------
    def _system(self) -> tuple[sparse.csr_matrix, np.ndarray, sparse.csr_matrix]:
        n = len(self._seen)
        rows, cols, vals, rhs = [], [], [], []
        for k, (terms, b) in enumerate(self._equations):
            for v, c in terms.items():
                rows.append(k)
                cols.append(v)
                vals.append(c)
            rhs.append(b)
        for v, seen in enumerate(self._seen):  # published values
            for a in seen:
                if a.value is not None and not self._is_sum[v]:
                    rows.append(len(rhs))
                    cols.append(v)
                    vals.append(1.0)
                    rhs.append(a.value)
                    break
        eq = sparse.csr_matrix((vals, (rows, cols)), shape=(len(rhs), n))
        urows, ucols, uvals = [], [], []
        for k, (small, big) in enumerate(self._upper):
            urows += [k, k]
            ucols += [small, big]
            uvals += [1.0, -1.0]
        ub = sparse.csr_matrix((uvals, (urows, ucols)), shape=(len(self._upper), n))
        return eq, np.asarray(rhs, dtype=float), ub

    def intervals(self, *, wide_from: float | None = None,
                  spread: float | None = None) -> dict[int, tuple[float, float]]:
        """Feasible interval of every hidden count (by LP; ``inf`` when unbounded).

        With ``wide_from``, a count that can reach ``wide_from`` people gets ``-inf`` as its
        lower end without a second LP: it is no finding whatever its lower end (``findings``
        passes ``min_cell + protection - 1``, since a finding needs ``lo < min_cell`` and
        ``hi - lo < protection``). Such counts are first sought together, by LPs that
        maximise the sum of the counts not yet known to be wide (a feasible point that puts
        a count at ``wide_from`` or more proves it wide; its upper end is then that value, a
        lower bound of the maximum); the upper end of every other count is computed first.
        This cuts the attack's linear programs on a typical site by more than half.

        With ``spread`` (``findings`` passes ``protection``), the solutions of the linear
        programs already solved in a component are kept: they are feasible points, so a count
        they already spread over ``spread`` whole numbers gets that (inner) interval without
        a program of its own; it is no finding either, since its true interval is wider.
        The hidden partner of a difference with a published count gets both ends exactly
        (the difference's interval is derived from it).
        """
        eq, rhs, ub = self._system()
        n = len(self._seen)
        hidden = [v for v in range(n) if not self._is_sum[v]
                  and self._seen[v] and all(a.value is None for a in self._seen[v])]
        out: dict[int, tuple[float, float]] = {}
        if not hidden:
            return out
        # A difference of a published count and a hidden one follows from the hidden one's
        # interval (both ends, so no shortcut for it): no linear programs of its own.
        shown = {v: next((a.value for a in self._seen[v] if a.value is not None), None)
                 for pair in self._differences.values() for v in pair}
        derived = {d: pair for d, pair in self._differences.items()
                   if sum(shown[v] is None for v in pair) == 1}
        full = {v for pair in derived.values() for v in pair if shown[v] is None}
        hidden = [v for v in hidden if v not in derived]
        hidden += sorted(v for v in full if v not in hidden)  # also a set never published
        links = (abs(eq).T @ abs(eq)) + (abs(ub).T @ abs(ub)) + sparse.identity(n)
        _, comp = connected_components(links, directed=False)
        bounds_all = [(None, None) if self._is_sum[v] else (0, None) for v in range(n)]
        by_comp: dict[int, list[int]] = {}
        for v in hidden:
            by_comp.setdefault(int(comp[v]), []).append(v)
        for c, targets in by_comp.items():
            members = np.flatnonzero(comp == c)
            pos = {v: i for i, v in enumerate(members)}
            a_eq = eq[:, members]
            keep = np.flatnonzero(a_eq.getnnz(axis=1))
            a_eq, b_eq = a_eq[keep], rhs[keep]
            a_ub = ub[:, members]
            keep_ub = np.flatnonzero(a_ub.getnnz(axis=1))
            a_ub = a_ub[keep_ub] if keep_ub.size else None
            b_ub = np.zeros(keep_ub.size) if keep_ub.size else None
            bounds = [bounds_all[v] for v in members]

            solve = FeasibleRegion(a_eq, b_eq, a_ub=a_ub, b_ub=b_ub, bounds=bounds).minimize
            points: list[np.ndarray] = []

            # A count that some feasible point puts at wide_from or more is wide: points that
            # maximise the sum of the undecided counts decide many of them in one LP each.
            reached: dict[int, float] = {}
            undecided = [v for v in targets if v not in full] if wide_from is not None else []
            while len(undecided) > 1:
                cost = np.zeros(members.size)
                cost[[pos[v] for v in undecided]] = -1.0
                res = solve(cost)
                if res.status != 0:
                    break
                if spread is not None:
                    points.append(np.asarray(res.x, dtype=float))
                wide = {v: float(res.x[pos[v]]) for v in undecided
                        if res.x[pos[v]] >= wide_from - 1e-6}
                if not wide:
                    break
                reached.update(wide)
                undecided = [v for v in undecided if v not in wide]
            for v in targets:
                if v in reached:
                    out[v] = (-math.inf, math.floor(reached[v] + 1e-6))
                    continue
                if spread is not None and points and v not in full:
                    seen_at = [p[pos[v]] for p in points]
                    lo_p, hi_p = math.ceil(min(seen_at) - 1e-6), math.floor(max(seen_at) + 1e-6)
                    if hi_p - lo_p >= spread:
                        out[v] = (lo_p, hi_p)
                        continue
                ends = []
                for sign in (-1.0, 1.0):  # the upper end first
                    if (sign > 0 and wide_from is not None and ends and v not in full
                            and ends[0] >= wide_from - 1e-6):
                        ends.append(-math.inf)
                        break
                    cost = np.zeros(members.size)
                    cost[pos[v]] = sign
                    res = solve(cost)
                    if res.status == 3:  # unbounded
                        ends.append(-sign * math.inf)
                    elif res.status == 2:  # infeasible: published numbers contradict a link
                        ends.append(math.nan)
                    else:
                        ends.append(sign * res.fun)
                        if spread is not None and res.x is not None:
                            points.append(np.asarray(res.x, dtype=float))
                hi, lo = ends[0], ends[1]
                if not (math.isnan(lo) or math.isnan(hi)):
                    lo = math.ceil(lo - 1e-6) if math.isfinite(lo) else lo
                    hi = math.floor(hi + 1e-6) if math.isfinite(hi) else hi
                out[v] = (lo, hi)
        for d, (small, big) in derived.items():
            if shown[big] is not None:  # big − [lo, hi] of the hidden subset
                lo, hi = out.get(small, (0.0, math.inf))
                out[d] = (shown[big] - hi, shown[big] - lo)
            else:  # [lo, hi] of the hidden set − the published subset
                lo, hi = out.get(big, (0.0, math.inf))
                out[d] = (lo - shown[small], hi - shown[small])
        return out

    def _sum_determined(self) -> set[int]:
        """Sum variables fixed by the published sums (a linear-algebra closure)."""
        alone = {v for t, _ in self._equations if len(t) == 1 for v in t}  # v = published
        known = {v for v in alone if self._is_sum[v]}
        sums = [(t, b) for t, b in self._equations if all(self._is_sum[v] for v in t)]
        changed = True
        while changed:
            changed = False
            for terms, _ in sums:
                unknown = [v for v in terms if v not in known]
                if len(unknown) == 1:
                    known.add(unknown[0])
                    changed = True
        return known

    def findings(self) -> list[Finding]:
        """Every disclosure the published numbers allow, sorted by page, table and cell."""
        protection = self.min_cell - 2 if self.protection is None else self.protection
        self._resolve_subsets()
        found = list(self._small_shown)
        for seen in self._seen:
            shown = [a for a in seen if a.value is not None]
            for a in shown[1:]:
                if not math.isclose(a.value, shown[0].value, rel_tol=1e-9, abs_tol=1e-9):
                    found.append(Finding(a.page, a.table, a.cell,
                                         f"published numbers contradict each other: {a.value:g} "
                                         f"here, {shown[0].value:g} at {shown[0].page}:"
                                         f"{shown[0].table}:{shown[0].cell} (the audit's model "
                                         "links them; check the table model)"))
        exact_small: dict[int, float] = {}
        for v, (lo, hi) in self.intervals(wide_from=self.min_cell + protection - 1,
                                          spread=protection).items():
            where = next((a for a in self._seen[v] if a.value is None), None)
            if where is None:  # a set never published, attacked only for its differences
                continue
            if math.isnan(lo) or math.isnan(hi):
                found.append(Finding(where.page, where.table, where.cell,
                                     "published numbers contradict each other (a link of the "
                                     "audit's model does not hold); check the table model"))
                continue
            if lo == hi and 0 < lo < self.min_cell:
                exact_small[v] = lo
            if lo < self.min_cell and hi - lo < protection and not (lo == hi == 0):
                found.append(Finding(where.page, where.table, where.cell,
                                     f"a hidden count is recoverable: it lies in [{lo:g}, {hi:g}]"))
        if self._stats:
            known_sums = self._sum_determined()
            for n_var, s, where in self._stats:
                if n_var in exact_small and s in known_sums:
                    found.append(Finding(where.page, where.table, where.cell,
                                         f"the mean of a group of {exact_small[n_var]:g} people "
                                         "can be recomputed from the published means and n's"))
        return sorted(set(found))


# ---------------------------------------------------------------------------------------------
# What the tables of a site mean
# ---------------------------------------------------------------------------------------------


@dataclass
class _Page:
    path: str  # relative to the reports folder
    scope: str  # municipality code, or "national"
    lang: str
    tables: dict[str, pd.DataFrame]


def _col(frame: pd.DataFrame, code: str, lang: str) -> str | None:
    """Header of the column labelled ``col.<code>`` (or ``code``) in ``frame``, if any."""
    key = f"col.{code}"
    name = labels.text(key, lang) if key in labels.STRINGS else code
    matches = [c for c in frame.columns if str(c) == name]
    return matches[0] if matches else None


def _dc(frame: pd.DataFrame) -> bool:
    return bool(frame.attrs.get("decimal_comma", False))


def _by_group(attack: Attack, page: _Page, name: str, frame: pd.DataFrame, *,
              population: Callable[[pd.Series], str], group: str | None,
              n_code: str = "n", sums: Sequence[str] = (), link_total: bool = False,
              extra_counts: Sequence[tuple[str, str]] = ()) -> dict[str, dict[str, int | None]]:
    """Rows of ``(population, group)`` with a count ``n`` (and means); groups add up."""
    lang, dc = page.lang, _dc(frame)
    n_col = _col(frame, n_code, lang)
    g_col = _col(frame, group, lang) if group else None
    if n_col is None:
        return {}
    out: dict[str, dict[str, int | None]] = {}
    for i in range(len(frame)):
        row = frame.iloc[i]
        pop = population(row)
        conds = frozenset({(group, str(row[g_col]))}) if g_col is not None else frozenset()
        label = " / ".join(str(row[c]) for c in frame.columns[:2] if c != n_col)
        v = attack.count(page.path, name, f"{label} / {n_col}", (page.scope, pop, conds),
                         row[n_col], dc)
        out.setdefault(pop, {})[str(row[g_col]) if g_col is not None else ""] = v
        for code, subpop in extra_counts:
            c = _col(frame, code, lang)
            if c is not None:
                attack.count(page.path, name, f"{label} / {c}",
                             (page.scope, f"{pop}|{subpop}", conds), row[c], dc)
        for s in sums:
            c = _col(frame, s, lang)
            if c is not None:
                attack.mean(v, (page.scope, pop, conds, s), row[c],
                            _Appearance(page.path, name, f"{label} / {c}", None), dc)
    if g_col is not None:
        for pop, groups in out.items():
            total = attack.var((page.scope, pop, frozenset()))
            attack.additive(total, list(groups.values()))
            for s in sums:
                total_s = attack.var((page.scope, pop, frozenset(), s), is_sum=True)
                parts = [attack.var((page.scope, pop, frozenset({(group, g)}), s), is_sum=True)
                         for g in groups]
                attack.additive(total_s, parts)
    return out


def _instrument(frame: pd.DataFrame, lang: str) -> Callable[[pd.Series], str]:
    col = _col(frame, "instrument", lang) or frame.columns[0]
    return lambda row: str(row[col])


def _model_clients_by(attack: Attack, page: _Page, name: str, frame: pd.DataFrame) -> None:
    attack.add_crosstab(page.path, name, page.scope, "clients", frame,
                        col_dim=_dimension_of([str(c) for c in frame.columns[1:]], page.lang),
                        decimal_comma=_dc(frame))


def _model_elements(attack: Attack, page: _Page, name: str, frame: pd.DataFrame) -> None:
    """Clients by gender (rows) × number of core elements received (columns 0–4).

    The row totals are the clients by gender; the column of all four elements adds up to the
    fidelity table's "all four" count.
    """
    attack.add_crosstab(page.path, name, page.scope, "clients", frame, row_dim="gender",
                        col_dim="elements", decimal_comma=_dc(frame))
    four = str(len(_FIDELITY_ELEMENTS))
    if four in [str(c) for c in frame.columns]:
        all_four = labels.text("el.all_four", page.lang)
        overall = attack.var((page.scope, "clients", frozenset({("elements", four)})))
        fidelity = attack.var((page.scope, "received:fidelity", frozenset({("item", all_four)})))
        attack.equation({overall: 1.0, fidelity: -1.0})


_FIDELITY_ELEMENTS = ("needs_assessment", "plan_with_goals", "intensive_individual_work",
                      "group_activity")


def _model_reach(attack: Attack, page: _Page, name: str, frame: pd.DataFrame) -> None:
    col = _col(frame, "n_enrolled", page.lang)
    if col is not None:
        for i in range(len(frame)):
            attack.count(page.path, name, f"{i + 1} / {col}", (page.scope, "clients", frozenset()),
                         frame[col].iat[i], _dc(frame))


def _model_gender_n(population: str, *, ended: bool = False):
    """Tables by gender whose ``n`` counts all of the municipality's clients of that gender."""

    def model(attack: Attack, page: _Page, name: str, frame: pd.DataFrame) -> None:
        measure = _col(frame, "measure", page.lang)
        pops = (lambda row: population) if measure is None else (lambda row: f"{population}")
        groups = _by_group(attack, page, name, frame, population=pops, group="gender")
        if ended:
            dc = _dc(frame)
            g_col = _col(frame, "gender", page.lang)
            e_col, c_col = _col(frame, "n_ended", page.lang), _col(frame, "n_censored", page.lang)
            ended_parts = []
            for i in range(len(frame)):
                row = frame.iloc[i]
                conds = frozenset({("gender", str(row[g_col]))})
                e = attack.count(page.path, name, f"{row[g_col]} / {e_col}",
                                 (page.scope, "ended", conds), row[e_col], dc) if e_col else None
                c = attack.count(page.path, name, f"{row[g_col]} / {c_col}",
                                 (page.scope, "ongoing", conds), row[c_col], dc) if c_col else None
                n = attack.var((page.scope, population, conds))
                attack.additive(n, [e, c])
                ended_parts.append(e)
            attack.additive(attack.var((page.scope, "ended", frozenset())), ended_parts)
        del groups

    return model


def _model_end_reasons(attack: Attack, page: _Page, name: str, frame: pd.DataFrame) -> None:
    lang, dc = page.lang, _dc(frame)
    r_col, n_col, t_col = (_col(frame, c, lang) for c in ("end_reason", "n", "n_ended"))
    if None in (r_col, n_col, t_col):
        return
    parts = []
    for i in range(len(frame)):
        row = frame.iloc[i]
        parts.append(attack.count(page.path, name, f"{row[r_col]} / {n_col}",
                                  (page.scope, "ended", frozenset({("end_reason", str(row[r_col]))})),
                                  row[n_col], dc))
        attack.count(page.path, name, f"{row[r_col]} / {t_col}", (page.scope, "ended", frozenset()),
                     row[t_col], dc)
    ended = attack.var((page.scope, "ended", frozenset()))
    attack.additive(ended, parts)
    # The page publishes all its episodes: those not among the ended (still going on, or
    # ended without a reason) are a group of people too.
    rest = attack.implied(page.path, name, f"{t_col} / {labels.text('col.n_censored', lang)}",
                          (page.scope, "not-ended", frozenset()))
    attack.additive(attack.var((page.scope, "clients", frozenset())), [ended, rest])


def _model_pathways(attack: Attack, page: _Page, name: str, frame: pd.DataFrame) -> None:
    """Ended episodes by municipality (rows) and onward pathway: a row total is part of the
    municipality's ended episodes (those with a recorded pathway)."""
    attack.add_crosstab(page.path, name, page.scope, "pathways", frame, row_dim="municipality",
                        col_dim="pathway", decimal_comma=_dc(frame))
    codes = _municipality_codes(page.lang)
    for label in (str(v) for v in frame.iloc[:, 0]):
        if label in codes:
            total = attack.var((page.scope, "pathways", frozenset({("municipality", label)})))
            attack.subset(page.path, name, f"{label}: {labels.text('total', page.lang)} − ended",
                          total, attack.var((codes[label], "ended", frozenset())))


def _model_received(attack: Attack, page: _Page, name: str, frame: pd.DataFrame) -> None:
    """Fidelity elements and §17 contents: ``received`` out of all ``n`` clients."""
    lang, dc = page.lang, _dc(frame)
    n_col, k_col = _col(frame, "n", lang), _col(frame, "n_with", lang)
    key_col = frame.columns[0]
    if n_col is None or k_col is None:
        return
    for i in range(len(frame)):
        row = frame.iloc[i]
        n = attack.count(page.path, name, f"{row[key_col]} / {n_col}",
                         (page.scope, "clients", frozenset()), row[n_col], dc)
        k = attack.count(page.path, name, f"{row[key_col]} / {k_col}",
                         (page.scope, f"received:{name}", frozenset({("item", str(row[key_col]))})),
                         row[k_col], dc)
        attack.subset(page.path, name, f"{row[key_col]} / {n_col} − {k_col}", k, n)


def _model_outcomes(attack: Attack, page: _Page, name: str, frame: pd.DataFrame) -> None:
    lang = page.lang
    group = "gender" if _col(frame, "gender", lang) is not None else None
    inst = _instrument(frame, lang)
    sums = ("mean_pre", "mean_post", "mean_change")
    pairs = _by_group(attack, page, name, frame, population=lambda r: f"pairs:{inst(r)}",
                      group=group, sums=sums)
    pre = _by_group(attack, page, name, frame, population=lambda r: f"baseline:{inst(r)}",
                    group=group, n_code="n_pre")
    for pop, groups in pairs.items():
        base = pre.get(pop.replace("pairs:", "baseline:"), {})
        for g, v in groups.items():
            attack.subset(page.path, name, f"{pop[6:]} / {g} / n_pre − n".replace(" /  /", " /"),
                          v, base.get(g))


def _model_categories(attack: Attack, page: _Page, name: str, frame: pd.DataFrame) -> None:
    lang, dc = page.lang, _dc(frame)
    n_col, t_col, cat_col = (_col(frame, c, lang) for c in ("n", "n_total", "category"))
    if None in (n_col, t_col, cat_col):
        return
    keys = [c for c in frame.columns if c not in (n_col, t_col, cat_col)][:2]
    lines: dict[tuple, list[int | None]] = {}
    for i in range(len(frame)):
        row = frame.iloc[i]
        line = tuple(str(row[c]) for c in keys)
        pop = "categories:" + "/".join(line)
        label = " / ".join((*line, str(row[cat_col])))
        v = attack.count(page.path, name, f"{label} / {n_col}",
                         (page.scope, pop, frozenset({("category", str(row[cat_col]))})),
                         row[n_col], dc)
        attack.count(page.path, name, f"{label} / {t_col}", (page.scope, pop, frozenset()),
                     row[t_col], dc)
        lines.setdefault(line, []).append(v)
    for line, parts in lines.items():
        attack.additive(attack.var((page.scope, "categories:" + "/".join(line), frozenset())), parts)


#: Roles of co-development participants who are not staff (counts of them are protected).
_PROTECTED_ROLES = ("clients", "experts")


def _model_codevelopment(attack: Attack, page: _Page, name: str, frame: pd.DataFrame) -> None:
    dc = _dc(frame)
    key_col = frame.columns[0]
    role_cols = [c for c in frame.columns[2:-1]]
    total_col = frame.columns[-1]
    protected = {labels.text(f"col.{r}", page.lang) for r in _PROTECTED_ROLES
                 if f"col.{r}" in labels.STRINGS}
    protected |= {labels.text(k, page.lang) for k in labels.STRINGS
                  if k.startswith("col.") and k.split(".", 1)[1].startswith(("expert", "client"))}
    for i in range(len(frame)):
        row = frame.iloc[i]
        parts = []
        for c in role_cols:
            parts.append(attack.count(page.path, name, f"{row[key_col]} / {c}",
                                      (page.scope, "participants", frozenset({
                                          ("activity", str(row[key_col])), ("role", str(c))})),
                                      row[c], dc, protected=str(c) in protected))
        total = attack.count(page.path, name, f"{row[key_col]} / {total_col}",
                             (page.scope, "participants", frozenset({("activity", str(row[key_col]))})),
                             row[total_col], dc, protected=False)
        attack.additive(total, parts)


def _model_by_municipality(count_cols: Mapping[str, str]):
    """National tables with one row per municipality (``{column code: population}``)."""

    def model(attack: Attack, page: _Page, name: str, frame: pd.DataFrame) -> None:
        lang, dc = page.lang, _dc(frame)
        m_col = _col(frame, "municipality", lang) or frame.columns[0]
        codes = _municipality_codes(lang)
        pairs_suffix = {"fi": "-pareja", "en": " pairs"}[lang]
        for i in range(len(frame)):
            row = frame.iloc[i]
            scope = codes.get(str(row[m_col]))
            if scope is None:
                continue
            for code, pop in count_cols.items():
                c = _col(frame, code, lang)
                if c is not None:
                    attack.count(page.path, name, f"{row[m_col]} / {c}",
                                 (scope, pop, frozenset()), row[c], dc)
            for c in frame.columns:
                if str(c).endswith(pairs_suffix):
                    inst = str(c)[: -len(pairs_suffix)]
                    attack.count(page.path, name, f"{row[m_col]} / {c}",
                                 (scope, f"pairs-prefix:{inst}", frozenset()), row[c], dc)

    return model


def _model_rows_by_municipality(attack: Attack, page: _Page, name: str, frame: pd.DataFrame) -> None:
    """Data-quality rows per table and municipality: the clients table's rows are people; an
    instrument's rows are its responses on the completeness table, all occasions together."""
    lang, dc = page.lang, _dc(frame)
    clients_label = schema.CLIENTS.label_fi if lang == "fi" else schema.CLIENTS.label_en
    # an instrument's assessment rows are its responses on the completeness table, all occasions
    assessments = {(t.label_fi if lang == "fi" else t.label_en): instruments.get(t.name.removeprefix("responses_")).name
                   for t in schema.tables() if t.name.startswith("responses_")}
    codes = _municipality_codes(lang)
    key_col = frame.columns[0]
    for i in range(len(frame)):
        row = frame.iloc[i]
        what = str(row[key_col])
        if what != clients_label and what not in assessments:
            continue
        population = "clients" if what == clients_label else f"assessment-rows:{assessments[what]}"
        for c in frame.columns[1:]:
            scope = codes.get(str(c))
            if scope is not None:
                attack.count(page.path, name, f"{row[key_col]} / {c}", (scope, population, frozenset()),
                             row[c], dc, protected=population == "clients")


def _model_reconciliation(attack: Attack, page: _Page, name: str, frame: pd.DataFrame) -> None:
    """Data-quality reconciliation: the clients table's processed rows are the site's people.

    Rows of records are not protected, but the clients table's rows processed less the
    clients of every municipality would be the people the publication population leaves out.
    """
    lang, dc = page.lang, _dc(frame)
    clients_label = schema.CLIENTS.label_fi if lang == "fi" else schema.CLIENTS.label_en
    out_col, key_col = _col(frame, "rows_out", lang), frame.columns[0]
    if out_col is None:
        return
    for i in range(len(frame)):
        row = frame.iloc[i]
        if str(row[key_col]) != clients_label:
            continue
        total = attack.count(page.path, name, f"{row[key_col]} / {out_col}",
                             ("national", "client-rows", frozenset()), row[out_col], dc,
                             protected=False)
        left = attack.implied(page.path, name, f"{row[key_col]} / {out_col} − Σ municipalities",
                              ("national", "left-out", frozenset()))
        parts = [attack.var((code, "clients", frozenset())) for code in _municipality_codes(lang).values()]
        attack.additive(total, [*parts, left])


def _model_attendance(dimension: str | None, *, protected: Callable[[str, str], bool] | None = None):
    """Development attendance (issue 14): by level and ``dimension`` (role or gender), adding
    up over the dimension to the level's attendance, which the levels table gives by year.

    Attendance counts people at events (a person at three events counts three times); the
    counts of clients' roles and of a gender are protected, staff roles are not.
    """

    def model(attack: Attack, page: _Page, name: str, frame: pd.DataFrame) -> None:
        lang, dc = page.lang, _dc(frame)
        level_col = _col(frame, "level", lang)
        if level_col is None:
            return
        if dimension is None:  # the levels table: level × year, attendance total
            year_col, n_col = _col(frame, "year", lang), _col(frame, "n_participants", lang)
            if year_col is None or n_col is None:
                return
            parts: dict[str, list[int | None]] = {}
            for i in range(len(frame)):
                row = frame.iloc[i]
                level, year = str(row[level_col]), str(row[year_col])
                parts.setdefault(level, []).append(attack.count(
                    page.path, name, f"{year} / {level} / {n_col}",
                    (page.scope, "attendance", frozenset({("level", level), ("year", year)})),
                    row[n_col], dc, protected=False))
            for level, vs in parts.items():
                attack.additive(attack.var((page.scope, "attendance", frozenset({("level", level)}))), vs)
            return
        d_col, n_col = _col(frame, dimension, lang), _col(frame, "n", lang)
        if d_col is None or n_col is None:
            return
        parts = {}
        for i in range(len(frame)):
            row = frame.iloc[i]
            level, value = str(row[level_col]), str(row[d_col])
            keep = protected(value, lang) if protected else True
            parts.setdefault(level, []).append(attack.count(
                page.path, name, f"{level} / {value} / {n_col}",
                (page.scope, "attendance", frozenset({("level", level), (dimension, value)})),
                row[n_col], dc, protected=keep))
        for level, vs in parts.items():
            attack.additive(attack.var((page.scope, "attendance", frozenset({("level", level)}))), vs)

    return model


def _client_role(role: str, lang: str) -> bool:
    """Roles of people who take part as clients or experts by experience (protected)."""
    staff = {schema.label("role", r, lang) for r in ("n_managers", "n_workers", "n_third_sector")
             if r in schema.CODE_LABELS.get("role", {})}
    return role not in staff


def _model_placements(attack: Attack, page: _Page, name: str, frame: pd.DataFrame) -> None:
    """Placements held (issue 14): per pathway the people placed (the same at 3 and 6
    months, and the municipality's count of that pathway in the national table), of whom
    status recorded ≥ status known ≥ held; ``held (%)`` is ``held / known``."""
    lang, dc = page.lang, _dc(frame)
    p_col, f_col = _col(frame, "pathway", lang), _col(frame, "followup", lang)
    cols = [_col(frame, c, lang) for c in ("n_placed", "n_due", "n_known", "held")]
    if p_col is None or f_col is None or None in cols:
        return
    share_col = _col(frame, "share_held", lang)
    for i in range(len(frame)):
        row = frame.iloc[i]
        pathway, follow = str(row[p_col]), str(row[f_col])
        label = f"{pathway} / {follow}"
        keys = [(page.scope, "placed", frozenset({("pathway", pathway)}))]
        keys += [(page.scope, f"placed:{c}", frozenset({("pathway", pathway), ("followup", follow)}))
                 for c in ("n_due", "n_known", "held")]
        vs = [attack.count(page.path, name, f"{label} / {c}", key, row[c], dc)
              for c, key in zip(cols, keys, strict=True)]
        for small, big, (bc, sc) in zip(vs[1:], vs[:-1], zip(cols[:-1], cols[1:], strict=True), strict=True):
            attack.subset(page.path, name, f"{label} / {bc} − {sc}", small, big)
        values = [number(row[c], dc) for c in cols]
        if share_col is not None and values[2] and number(row[share_col], dc) is not None:
            held = number(row[share_col], dc) / 100 * values[2]
            attack.derived(page.path, name, f"{label} / {share_col} × {cols[2]}", held)
            attack.derived(page.path, name, f"{label} / {cols[2]} − held", values[2] - held)


def _model_continuity(attack: Attack, page: _Page, name: str, frame: pd.DataFrame) -> None:
    """Continuity of care (issue 14): clients with enough contacts (≤ all clients), and the
    share with UPC ≥ 0.75 of them (``share × n`` people, and the rest)."""
    lang, dc = page.lang, _dc(frame)
    n_col, s_col = _col(frame, "n_clients_upc", lang), _col(frame, "share_upc_75", lang)
    m_col = _col(frame, "municipality", lang)
    codes = _municipality_codes(lang)
    if n_col is None:
        return
    for i in range(len(frame)):
        row = frame.iloc[i]
        scope = codes.get(str(row[m_col])) if m_col is not None else page.scope
        if scope is None:
            continue
        label = str(row[m_col]) if m_col is not None else str(i + 1)
        v = attack.count(page.path, name, f"{label} / {n_col}", (scope, "upc", frozenset()),
                         row[n_col], dc)
        attack.subset(page.path, name, f"{label} / {n_col} − clients", v,
                      attack.var((scope, "clients", frozenset())))
        n, share = number(row[n_col], dc), number(row[s_col], dc) if s_col is not None else None
        if n is not None and share is not None:
            attack.derived(page.path, name, f"{label} / {s_col} × {n_col}", share / 100 * n)
            attack.derived(page.path, name, f"{label} / {n_col} × (1 − {s_col})", (1 - share / 100) * n)


def _model_clients_of(count_code: str, key_code: str, population: str, *, only: str | None = None):
    """Clients with something (a method, a target group): at most all clients; ``only`` a
    column of a subset of them (``n − only`` are a group too)."""

    def model(attack: Attack, page: _Page, name: str, frame: pd.DataFrame) -> None:
        lang, dc = page.lang, _dc(frame)
        n_col, k_col = _col(frame, count_code, lang), _col(frame, key_code, lang)
        o_col = _col(frame, only, lang) if only else None
        if n_col is None or k_col is None:
            return
        clients = attack.var((page.scope, "clients", frozenset()))
        for i in range(len(frame)):
            row = frame.iloc[i]
            key = str(row[k_col])
            v = attack.count(page.path, name, f"{key} / {n_col}",
                             (page.scope, population, frozenset({("item", key)})), row[n_col], dc)
            attack.subset(page.path, name, f"{key} / clients − {n_col}", v, clients)
            if o_col is not None:
                o = attack.count(page.path, name, f"{key} / {o_col}",
                                 (page.scope, f"{population}:only", frozenset({("item", key)})),
                                 row[o_col], dc)
                attack.subset(page.path, name, f"{key} / {n_col} − {o_col}", o, v)

    return model


def _model_responses(attack: Attack, page: _Page, name: str, frame: pd.DataFrame) -> None:
    """Data-quality completeness: responses per instrument, municipality and occasion.

    Inside each row's responses are the scorable ones (scorable share × responses, exact in
    the machine-readable file): at baseline the same people as the clients with a baseline
    of the outcome tables, for 3X10D as its traffic lights' respondents of the headline
    item; they hold the complete pairs (baseline and end rows). The unscorable responses
    are a group too. A municipality's occasions add up to at most its assessment rows on the
    same page (``rows_by_municipality``; exactly, where those count the publication population).
    """
    lang, dc = page.lang, _dc(frame)
    cols = {c: _col(frame, c, lang) for c in ("responses", "scorable", "instrument", "municipality", "occasion")}
    if cols["responses"] is None:
        return
    codes = _municipality_codes(lang)
    occasions = {schema.label("occasion", c, lang): c for c in schema.CODE_LABELS["occasion"]}
    headline = {spec.name: spec for spec in map(instruments.get, schema.ASSESSMENT_INSTRUMENTS)}
    lines: dict[tuple[str, str], list[int | None]] = {}
    for i in range(len(frame)):
        row = frame.iloc[i]
        label = " / ".join(str(row[c]) for c in frame.columns[:3])
        scope = codes.get(str(row[cols["municipality"]])) if cols["municipality"] else None
        occ = occasions.get(str(row[cols["occasion"]])) if cols["occasion"] else None
        if scope is None or occ is None or cols["instrument"] is None:  # unknown layout: counts only
            attack.count(page.path, name, f"{label} / {cols['responses']}",
                         ("national", "responses", frozenset((str(c), str(row[c])) for c in frame.columns[:3])),
                         row[cols["responses"]], dc)
            continue
        inst, when = str(row[cols["instrument"]]), frozenset({("occasion", occ)})
        r = attack.count(page.path, name, f"{label} / {cols['responses']}", (scope, f"responses:{inst}", when),
                         row[cols["responses"]], dc)
        lines.setdefault((scope, inst), []).append(r)
        n, share = number(row[cols["responses"]], dc), number(row[cols["scorable"]], dc) if cols["scorable"] else None
        key = (scope, f"scorable:{inst}", when)
        k = None if n is None or share is None else share / 100 * n
        if k is not None and abs(k - round(k)) < 1e-6:
            s = attack.count(page.path, name, f"{label} / {cols['scorable']} × {cols['responses']}", key,
                             str(round(k)), dc, protected=False)
        else:
            s = attack.implied(page.path, name, f"{label} / scorable", key)
        attack.subset(page.path, name, f"{label} / {cols['responses']} − scorable", s, r)
        spec = headline.get(inst)
        if spec is None:
            continue
        shown_as = spec.display_name(lang)
        if occ == "baseline":
            attack.equation({s: 1.0, attack.var((scope, f"baseline:{shown_as}", frozenset())): -1.0})
        if occ in ("baseline", "end"):
            attack.subset(page.path, name, f"{label} / scorable − pairs",
                          attack.var((scope, f"pairs:{shown_as}", frozenset())), s)
        item = shown_as.partition(": ")[2]
        if spec.id == "3x10d" and item:
            traffic = attack.var((scope, f"traffic:{item}:{row[cols['occasion']]}", frozenset()))
            attack.equation({s: 1.0, traffic: -1.0})
    for (scope, inst), parts in lines.items():
        # at most: a site built before the rows were the publication population's counts the
        # left-out people's assessments there too (an equation would make its system infeasible)
        rest = attack.var((scope, f"assessment-rows-rest:{inst}", frozenset()))
        attack.additive(attack.var((scope, f"assessment-rows:{inst}", frozenset())), [*parts, rest])


def _pairs_and_baseline(attack: Attack, page: _Page, name: str, row: pd.Series, label: str,
                        scope: str, inst: str, pairs_code: str | None, base_code: str | None,
                        dc: bool, frame: pd.DataFrame) -> tuple[int | None, int | None]:
    """A row's complete pairs and starters (clients with a baseline) of an instrument, the
    same people as the outcome tables' ``n`` and ``n_pre``: the starters without an end
    assessment are a group too."""
    cols = [_col(frame, c, page.lang) if c else None for c in (pairs_code, base_code)]
    pairs = (attack.count(page.path, name, f"{label} / {cols[0]}", (scope, f"pairs:{inst}", frozenset()),
                          row[cols[0]], dc) if cols[0] is not None else None)
    base = (attack.count(page.path, name, f"{label} / {cols[1]}", (scope, f"baseline:{inst}", frozenset()),
                         row[cols[1]], dc) if cols[1] is not None else None)
    attack.subset(page.path, name, f"{label} / {cols[1]} − {cols[0]}", pairs, base)
    return pairs, base


def _model_pairs(pairs_code: str | None = "n", base_code: str | None = None, *,
                 by_municipality: bool = False):
    """Tables with one row per instrument (or instrument × municipality) giving its complete
    pairs and/or starters: regression to the mean, change on baseline, the sensitivity
    analyses, the data-quality page's measurement attrition."""

    def model(attack: Attack, page: _Page, name: str, frame: pd.DataFrame) -> None:
        inst, dc = _instrument(frame, page.lang), _dc(frame)
        m_col = _col(frame, "municipality", page.lang) if by_municipality else None
        codes = _municipality_codes(page.lang)
        for i in range(len(frame)):
            row = frame.iloc[i]
            scope = codes.get(str(row[m_col])) if m_col is not None else page.scope
            if scope is None:
                continue
            label = inst(row) + (f" / {row[m_col]}" if m_col is not None else "")
            _pairs_and_baseline(attack, page, name, row, label, scope, inst(row), pairs_code,
                                base_code, dc, frame)

    return model


def _model_tertiles(attack: Attack, page: _Page, name: str, frame: pd.DataFrame) -> None:
    """Change by baseline tertile: the tertiles' ``n`` add up to the instrument's complete
    pairs, and their ``mean × n`` to the pairs' baseline and change sums."""
    lang, dc = page.lang, _dc(frame)
    inst = _instrument(frame, lang)
    g_col, n_col = _col(frame, "baseline_group", lang), _col(frame, "n", lang)
    sums = {"mean_pre": _col(frame, "mean_pre_group", lang), "mean_change": _col(frame, "mean_change", lang)}
    if g_col is None or n_col is None:
        return
    parts: dict[str, list[int | None]] = {}
    for i in range(len(frame)):
        row = frame.iloc[i]
        pop, group = f"pairs:{inst(row)}", str(row[g_col])
        conds = frozenset({("baseline_group", group)})
        label = f"{inst(row)} / {group}"
        v = attack.count(page.path, name, f"{label} / {n_col}", (page.scope, pop, conds), row[n_col], dc)
        parts.setdefault(pop, []).append(v)
        for code, c in sums.items():
            if c is not None:
                attack.mean(v, (page.scope, pop, conds, code), row[c],
                            _Appearance(page.path, name, f"{label} / {c}", None), dc)
    for pop, vs in parts.items():
        attack.additive(attack.var((page.scope, pop, frozenset())), vs)
        for code in sums:
            total = attack.var((page.scope, pop, frozenset(), code), is_sum=True)
            members = [k for k in attack._index if len(k) == 4 and k[0] == page.scope and k[1] == pop
                       and k[3] == code and any(d == "baseline_group" for d, _ in k[2])]
            attack.additive(total, [attack.var(k, is_sum=True) for k in members])


def _model_completers(attack: Attack, page: _Page, name: str, frame: pd.DataFrame) -> None:
    """Completers vs non-completers (issue 13): per instrument the complete pairs and the
    non-completers (their sum is the starters), and the women's share of each group, which
    gives the women among them (``share × n``; a group of people, linked to the outcome
    tables' women)."""
    lang, dc = page.lang, _dc(frame)
    inst = _instrument(frame, lang)
    v_col, l_col = _col(frame, "variable", lang), _col(frame, "category", lang)
    c_col, nc_col = _col(frame, "n_completers", lang), _col(frame, "n_non_completers", lang)
    sc_col, snc_col = _col(frame, "completers", lang), _col(frame, "non_completers", lang)
    if None in (v_col, c_col, nc_col):
        return
    women = labels.text("attr.var.gender", lang) if "attr.var.gender" in labels.STRINGS else None
    female = schema.label("gender", "female", lang)
    for i in range(len(frame)):
        row = frame.iloc[i]
        label = f"{inst(row)} / {row[v_col]}" + (f" / {row[l_col]}" if l_col and str(row[l_col]) else "")
        pop = inst(row)
        pairs = attack.count(page.path, name, f"{label} / {c_col}", (page.scope, f"pairs:{pop}", frozenset()),
                             row[c_col], dc)
        rest = attack.count(page.path, name, f"{label} / {nc_col}",
                            (page.scope, f"non-completers:{pop}", frozenset()), row[nc_col], dc)
        attack.additive(attack.var((page.scope, f"baseline:{pop}", frozenset())), [pairs, rest])
        if women is None or str(row[v_col]) != women or str(row.get(l_col, "")) != female:
            continue
        for col, n_col, key in ((sc_col, c_col, f"pairs:{pop}"), (snc_col, nc_col, f"non-completers:{pop}")):
            share, n = number(row[col], dc) if col else None, number(row[n_col], dc)
            if share is None or n is None:
                continue
            k = round(share / 100 * n)
            attack.derived(page.path, name, f"{label} / {col} × {n_col}", k)
            attack.derived(page.path, name, f"{label} / {n_col} × (1 − {col})", n - k)
            attack.count(page.path, name, f"{label} / {col} × {n_col}",
                         (page.scope, key, frozenset({("gender", female)})), str(k), dc, protected=False)
    for key in [k for k in list(attack._index) if len(k) == 3 and k[0] == page.scope
                and isinstance(k[1], str) and k[1].startswith("non-completers:") and k[2]]:
        pop = key[1].split(":", 1)[1]
        base = attack.var((page.scope, f"baseline:{pop}", key[2]))
        attack.additive(base, [attack.var((page.scope, f"pairs:{pop}", key[2])), attack.var(key)])


def _model_national_by_gender(count_code: str, population: str):
    """National tables by gender over every municipality's clients (the client-level mixed
    model): the national count of a gender is the sum of the municipalities' counts."""

    def model(attack: Attack, page: _Page, name: str, frame: pd.DataFrame) -> None:
        lang, dc = page.lang, _dc(frame)
        inst = _instrument(frame, lang)
        g_col, n_col = _col(frame, "gender", lang), _col(frame, count_code, lang)
        if g_col is None or n_col is None:
            return
        for i in range(len(frame)):
            row = frame.iloc[i]
            attack.count(page.path, name, f"{inst(row)} / {row[g_col]} / {n_col}",
                         ("national", f"{population}:{inst(row)}", frozenset({("gender", str(row[g_col]))})),
                         row[n_col], dc)

    return model


def _model_counts(*codes: str):
    """Tables whose counts have no published parts (national totals of responses or of the
    municipalities pooled): only a visible count of 1 … ``min_cell − 1`` is a finding."""

    def model(attack: Attack, page: _Page, name: str, frame: pd.DataFrame) -> None:
        dc = _dc(frame)
        for code in codes:
            c = _col(frame, code, page.lang)
            if c is None:
                continue
            for i in range(len(frame)):
                attack.count(page.path, name, f"{frame.iat[i, 0]} / {i + 2} / {c}",
                             (page.scope, f"table:{name}:{code}", frozenset({("row", i)})), frame[c].iat[i], dc)

    return model


def _model_traffic_lights(attack: Attack, page: _Page, name: str, frame: pd.DataFrame) -> None:
    """3X10D traffic lights: per life area and occasion the respondents ``n`` and the shares
    of the bands (``share × n`` people each, adding up to ``n``); the clients with the life
    area at both occasions (for the headline area, the outcome tables' pairs) are a subset of
    each occasion's respondents."""
    dc = _dc(frame)
    key_col = frame.columns[0]
    by_occasion: dict[str, tuple[str | None, list[str]]] = {}
    for c in frame.columns[1:]:
        occasion, _, part = str(c).partition(" · ")
        n_col, bands = by_occasion.get(occasion, (None, []))
        by_occasion[occasion] = (str(c), bands) if part == "n" else (n_col, [*bands, str(c)])
    for i in range(len(frame)):
        row = frame.iloc[i]
        item = str(row[key_col])
        pairs_key = (page.scope, f"pairs:3X10D: {item}", frozenset())
        pairs = attack._index.get(pairs_key)
        for occasion, (n_col, bands) in by_occasion.items():
            if n_col is None:
                continue
            pop = f"traffic:{item}:{occasion}"
            n = attack.count(page.path, name, f"{item} / {n_col}", (page.scope, pop, frozenset()),
                             row[n_col], dc)
            n_value = number(row[n_col], dc)
            shares = {b: number(row[b], dc) for b in bands}
            exact = {b: None if s is None or n_value is None else s / 100 * n_value
                     for b, s in shares.items()}
            # shares rounded for reading (the Excel variant) give no exact counts: the
            # machine-readable file of the same table gives them
            if any(x is not None and abs(x - round(x)) > 1e-3 for x in exact.values()):
                continue
            parts = []
            for b in bands:
                k = None if exact[b] is None else str(round(exact[b]))
                if k is not None:
                    attack.derived(page.path, name, f"{item} / {b} × n", float(k))
                parts.append(attack.count(page.path, name, f"{item} / {b}",
                                          (page.scope, pop, frozenset({("band", b)})),
                                          k if k is not None else row[b], dc, protected=False))
            attack.additive(n, parts)
            attack.subset(page.path, name, f"{item} / {n_col} − pairs", pairs, n)


def _generic(attack: Attack, page: _Page, name: str, frame: pd.DataFrame) -> None:
    """Tables without a model: cross-tabulation margins, and visible small ``n``."""
    if frame.empty or frame.shape[1] < 2:
        return
    first = [str(v) for v in frame.iloc[:, 0]]
    has_total_row = bool(first) and first[-1] in _TOTAL_LABELS
    has_total_col = str(frame.columns[-1]) in _TOTAL_LABELS
    if has_total_row or has_total_col:
        numeric = all(number(v, _dc(frame)) is not None or is_hidden(v)
                      for v in frame.iloc[:, 1:].to_numpy().ravel())
        if numeric:
            attack.add_crosstab(page.path, name, page.scope, f"table:{name}", frame,
                                col_dim=_dimension_of([str(c) for c in frame.columns[1:]], page.lang),
                                decimal_comma=_dc(frame))
            return
    n_col = _col(frame, "n", page.lang)
    if n_col is not None:
        for i in range(len(frame)):
            attack.count(page.path, name, f"{i + 2} / {n_col}",
                         (page.scope, f"table:{name}", frozenset({("row", i)})),
                         frame[n_col].iat[i], _dc(frame))


def _ignore(attack: Attack, page: _Page, name: str, frame: pd.DataFrame) -> None:
    """Tables that count records, goals or events, or publish no count of people."""


#: What each published table (by CSV stem) means for the attack; ``None`` = generic rules.
#: Tables of data records (rows read, rejected rows, validation findings) count records of
#: the export, not people, and are not protected; neither are staff counts of co-development.
TABLE_MODELS: dict[str, Callable[[Attack, _Page, str, pd.DataFrame], None]] = {
    "clients_by_target_group": _model_clients_by,
    "clients_by_age_group": _model_clients_by,
    "reach": _model_reach,
    "fidelity_elements": _model_elements,
    "dose": _model_gender_n("clients"),
    "fidelity_index": _model_gender_n("clients"),
    "time_in_service": _model_gender_n("clients", ended=True),
    "gas_tscores": _model_gender_n("gas"),
    "end_reasons": _model_end_reasons,
    "fidelity": _model_received,
    "contents_received": _model_received,
    "outcomes": _model_outcomes,
    "outcomes_by_gender": _model_outcomes,
    "change_categories": _model_categories,
    "pathways_by_municipality": _model_pathways,
    "codevelopment": _model_codevelopment,
    "coverage": _model_by_municipality({"n_enrolled": "clients"}),
    "moderators": _model_by_municipality({"n": "clients"}),
    "rows_by_municipality": _model_rows_by_municipality,
    "completeness": _model_responses,
    "reconciliation": _model_reconciliation,
    "development_levels": _model_attendance(None),
    "development_roles": _model_attendance("role", protected=_client_role),
    "development_gender": _model_attendance("gender"),
    "placements": _model_placements,
    "continuity": _model_continuity,
    "method_mix": _model_clients_of("n_clients", "method", "method"),
    "target_groups_overlapping": _model_clients_of("n", "target_group", "target-groups", only="n_only"),
    "reach_need": _model_by_municipality({"n_clients": "clients"}),
    "group_sessions": _ignore,
    "experiments": _ignore,
    "experiment_tests": _ignore,
    "loop_matrix": _ignore,
    "rejects": _ignore,
    "validation_findings": _ignore,
    "mode_mix": _ignore,
    "quality_change": _ignore,
    "traffic_lights_3x10d": _model_traffic_lights,
    "level3_sites": _ignore,  # events per organisation, no count of people
    "workshop_themes": _ignore,  # events and organisations per theme
    # issue 13: regression to the mean, missing end assessments, sensitivity analyses
    "regression_to_mean": _model_pairs("n"),
    "change_on_baseline": _model_pairs("n"),
    "change_by_baseline": _model_tertiles,
    "completers_vs_non_completers": _model_completers,
    "sensitivity": _model_pairs("n_completers", "n_starters"),
    "sensitivity_pooled": _model_counts("n_starters", "n_completers"),  # sums over the k pooled
    "measurement_attrition": _model_pairs("n_end_pairs", "n_pre", by_municipality=True),
    "truth_attrition": _ignore,  # estimates against the demo's truths
    # national synthesis: pooled over the municipalities with ≥ 10 pairs (all shown on their pages)
    "pooled_effects": _model_counts("n"),
    "mixed_model": _model_national_by_gender("n", "pairs"),
    "mixed_model_long": _model_counts("n_clients"),
    "mechanisms": _model_counts("n"),
    "subgroup_gender": _ignore,  # pooled estimates and numbers of municipalities
    "subgroup_target_group": _ignore,
    "heterogeneity_ci": _ignore,
    "combined_outcome": _ignore,
    "leave_one_out": _ignore,
    "influence": _ignore,
    "meta_regression": _ignore,
    "truth_check": _ignore,
    # instruments page: responses of the whole programme, no breakdown
    "reliability_summary": _model_counts("n"),
    "items_3x10d": _model_counts("n"),
    "items_esis": _model_counts("n"),
    "items_whodas12": _model_counts("n"),
    "items_eq5d3l": _model_counts("n"),
    "instrument_specs": _ignore,  # the instruments' definitions
}


def _dimension_of(values: Sequence[str], lang: str) -> str:
    """The code list whose labels the values are (e.g. ``gender``), else ``"col"``."""
    present = {v for v in values if v not in _TOTAL_LABELS}
    for code_list in schema.CODE_LABELS:
        known = {schema.label(code_list, c, lang) for c in schema.CODE_LABELS[code_list]}
        if present and present <= known:
            return code_list
    return "col"


def _municipality_codes(lang: str) -> dict[str, str]:
    orgs = schema.organisations()
    names = orgs["name_fi" if lang == "fi" else "name_en"]
    return dict(zip(names.astype(str), orgs["code"].astype(str), strict=True))


_HEADLINE_CLIENTS = re.compile(r"(\d[\d\u00a0\u202f ]*)\s+(?:asiakasta|asiakkuutta|clients|episodes)\b")
_LANG = re.compile(r'<html[^>]*\blang="([a-z]{2})"')
_HEADLINE_P = re.compile(r'<p class="sosku-headline"[^>]*>(.*?)</p>', re.S)
_INDEX_ROW = re.compile(r'<tr\b[^>]*>((?:(?!</tr>).)*?href="municipalities/(\d{3})_[^"]*"(?:(?!</tr>).)*)</tr>',
                        re.S)


def _headline_count(attack: Attack, page: str, scope: str, text: str) -> None:
    m = _HEADLINE_CLIENTS.search(text)
    if m:
        attack.count(page, "headline", "clients", (scope, "clients", frozenset()),
                     m.group(1).replace(" ", ""))


def _pages(reports: Path) -> list[tuple[Path, str]]:
    """The site's pages with their scope; a site built into a subfolder (``reports/en``, with
    its own ``index.html``) is a site of its own, attacked by ``sosku audit reports/en``."""
    nested = {p.parent for p in reports.glob("*/**/index.html")}
    pages = []
    for html_path in sorted(reports.rglob("*.html")):
        if html_path.name == "index.html" or any(d in html_path.parents for d in nested):
            continue
        stem = html_path.stem
        m = re.match(r"(\d{3})_", stem)
        pages.append((html_path, m.group(1) if m else "national"))
    return pages


def audit_site(reports_dir: str | Path, *, min_cell: int = disclosure.MIN_CELL,
               protection: int | None = None) -> list[Finding]:
    """Attack a built site: every disclosure a reader can compute from what it publishes.

    Parameters
    ----------
    reports_dir : path
        The folder ``sosku report`` wrote (``index.html``, pages, ``*_tables/*.csv``).
    min_cell : int
        Reporting minimum (groups of fewer people are protected).
    protection : int, optional
        Required width of a protected count's feasible interval (default ``min_cell - 2``).

    Returns
    -------
    list of Finding
        Empty when nothing can be recovered.

    Raises
    ------
    FileNotFoundError
        If ``reports_dir`` is not a built site (no ``index.html``).
    """
    reports = Path(reports_dir)
    index = reports / "index.html"
    if not index.is_file():
        raise FileNotFoundError(f"{reports}: not a built site (no index.html); run sosku build first")
    index_html = index.read_text(encoding="utf-8")
    m = _LANG.search(index_html)
    lang = m.group(1) if m and m.group(1) in labels.LANGUAGES else "fi"
    attack = Attack(min_cell=min_cell, protection=protection)
    for row, code in _INDEX_ROW.findall(index_html):
        _headline_count(attack, "index.html", code, re.sub(r"<[^>]+>", " ", row))
    for html_path, scope in _pages(reports):
        rel = html_path.relative_to(reports).as_posix()
        page_html = html_path.read_text(encoding="utf-8")
        for text in _HEADLINE_P.findall(page_html):
            _headline_count(attack, rel, scope, re.sub(r"<[^>]+>", "", text))
        folder = html_path.with_name(f"{html_path.stem}_tables")
        tables = {}
        for csv_path in sorted(folder.glob("*.csv")) if folder.is_dir() else []:
            tables[csv_path.stem] = read_csv_text(csv_path.read_text(encoding="utf-8-sig"))
        page = _Page(rel, scope, lang, tables)
        for name, frame in tables.items():
            base = re.sub(r"[._-](excel|fi|xl|machine)$", "", name)
            TABLE_MODELS.get(base, _generic)(attack, page, name, frame)
    _link_pairs_prefix(attack)
    _link_national_sums(attack)
    return attack.findings()


def _link_pairs_prefix(attack: Attack) -> None:
    """National coverage heads pairs by a short instrument name: link it to the page's."""
    keys = list(attack._index)
    pairs: dict[object, list[Key]] = {}  # unconditioned "pairs:<instrument>" keys per scope
    for k in keys:
        if len(k) == 3 and isinstance(k[1], str) and k[1].startswith("pairs:") and not k[2]:
            pairs.setdefault(k[0], []).append(k)
    for key in keys:
        scope, pop = key[0], key[1]
        if not isinstance(pop, str) or not pop.startswith("pairs-prefix:") or len(key) != 3:
            continue
        prefix = pop.split(":", 1)[1]
        full = [k for k in pairs.get(scope, []) if k[1][6:].startswith(prefix)]
        if len(full) == 1:
            attack.equation({attack.var(key): 1.0, attack.var(full[0]): -1.0})


def _link_national_sums(attack: Attack) -> None:
    """The national page's analyses of complete pairs (regression to the mean, completers
    vs non-completers) count the people of the municipalities whose pages publish both
    their pairs and their starters for the instrument (``attrition.publishable``): the
    national pairs, non-completers and the women among each are the sums of those
    municipalities' counts. (Not so for baseline tertiles: their cut points are the nation's.)
    """
    def shown(key: Key) -> float | None:
        v = attack._index.get(key)
        return None if v is None else next((a.value for a in attack._seen[v] if a.value is not None), None)

    keys = list(attack._index)
    for key in keys:
        if len(key) != 3 or key[0] != "national" or [d for d, _ in key[2]] not in ([], ["gender"]):
            continue
        kind, _, inst = str(key[1]).partition(":")
        if kind not in ("pairs", "non-completers"):
            continue
        units = sorted({k[0] for k in keys if len(k) == 3 and k[0] != "national"
                        and k[1] == f"pairs:{inst}" and not k[2]
                        and shown(k) is not None and shown((k[0], f"baseline:{inst}", frozenset())) is not None})
        parts = []
        for m in units:
            pairs = attack.var((m, f"pairs:{inst}", key[2]))
            if kind == "pairs":
                parts.append(pairs)
                continue
            base = attack.var((m, f"baseline:{inst}", key[2]))
            rest = attack.implied("national", "completers", f"{m} / {inst} / n_pre − n",
                                  (m, key[1], key[2]))
            attack.equation({base: 1.0, pairs: -1.0, rest: -1.0})
            parts.append(rest)
        if parts:
            attack.additive(attack.var(key), parts)


# ---------------------------------------------------------------------------------------------
# Figures against the tables they are drawn from
# ---------------------------------------------------------------------------------------------

#: What a figure draws, read from its matplotlib artists (never from the plotting code's own
#: bookkeeping): ``bars`` lengths of bar patches (hatched = a hidden value), ``cells`` the
#: values of a heatmap, ``points_x``/``points_y`` the positions of marked points (error-bar
#: centres, a p-chart's points), ``markers_x``/``markers_y`` the positions of scatter markers
#: (a forest plot's squares and diamonds), ``labels`` the ``n = …`` of titles and tick labels,
#: ``numbers`` the whole numbers written as texts (a forest plot's column of ``n``).
FIGURE_KINDS = ("bars", "cells", "points_x", "points_y", "markers_x", "markers_y", "labels",
                "numbers")
_N_LABEL = re.compile(r"\bn\s*=\s*(\d[\d\u00a0\u202f ]*)")
_WHOLE_NUMBER = re.compile(r"\d{1,3}(?:[\u00a0\u202f ]\d{3})*|\d+")


@dataclass(frozen=True)
class Drawn:
    """Values a figure draws and how many hidden values it marks."""

    values: tuple[float, ...]
    hidden: int


def drawn_values(fig: object, kind: str) -> Drawn:
    """The values of ``kind`` that ``fig`` (a matplotlib Figure or Axes) draws.

    Parameters
    ----------
    fig : matplotlib Figure or Axes
    kind : {"bars", "cells", "points_x", "points_y", "markers_x", "markers_y", "labels", "numbers"}

    Returns
    -------
    Drawn
        Values drawn (in drawing order) and the number of hidden-value marks (hatched bars;
        the disclosure marker written into a heatmap cell).

    Examples
    --------
    >>> from soskulib.examples import axes
    >>> fig, ax = axes()
    >>> _ = ax.bar([0, 1, 2], [7, 5, 5], hatch=[None, None, "//"])
    >>> drawn_values(fig, "bars")
    Drawn(values=(7.0, 5.0), hidden=1)
    """
    from matplotlib.collections import PathCollection, QuadMesh
    from matplotlib.container import BarContainer, ErrorbarContainer

    if kind not in FIGURE_KINDS:
        raise ValueError(f"kind must be one of {', '.join(FIGURE_KINDS)}, got {kind!r}")
    figure = getattr(fig, "figure", fig)
    values: list[float] = []
    hidden = 0
    for ax in figure.axes:
        if ax.get_label() == "<colorbar>":  # a colour scale, not data
            continue
        if kind == "bars":
            for container in ax.containers:
                if not isinstance(container, BarContainer):
                    continue
                horizontal = getattr(container, "orientation", "vertical") == "horizontal"
                for patch in container.patches:
                    if patch.get_hatch():
                        hidden += 1
                    else:
                        values.append(float(patch.get_width() if horizontal else patch.get_height()))
        elif kind == "cells":
            arrays = [c.get_array() for c in ax.collections if isinstance(c, QuadMesh)]
            arrays += [image.get_array() for image in ax.images]
            for array in arrays:
                arr = np.ma.masked_invalid(np.ma.asarray(array, dtype=float))
                values.extend(float(v) for v in arr.compressed())
            hidden += sum(t.get_text().strip() in HIDDEN_MARKERS for t in ax.texts)
        elif kind in ("points_x", "points_y"):
            bars = [c for c in ax.containers if isinstance(c, ErrorbarContainer)]
            lines = [c.lines[0] for c in bars if c.lines[0] is not None]
            caps = {id(cap) for c in bars for cap in c.lines[1]}  # the ends of the intervals
            lines += [ln for ln in ax.lines if ln.get_marker() not in (None, "", "None", " ")
                      and ln not in lines and id(ln) not in caps]
            for line in lines:
                data = line.get_xdata() if kind == "points_x" else line.get_ydata()
                values.extend(float(v) for v in np.asarray(data, dtype=float) if np.isfinite(v))
        elif kind in ("markers_x", "markers_y"):
            for collection in ax.collections:
                if isinstance(collection, PathCollection):
                    offsets = np.asarray(collection.get_offsets(), dtype=float).reshape(-1, 2)
                    data = offsets[:, 0 if kind == "markers_x" else 1]
                    values.extend(float(v) for v in data if np.isfinite(v))
        elif kind == "numbers":
            for text in ax.texts:
                s = text.get_text().strip()
                if _WHOLE_NUMBER.fullmatch(s):
                    values.append(float(re.sub(r"\D", "", s)))
        else:
            texts = [ax.get_title(), *[t.get_text() for t in ax.get_yticklabels()],
                     *[t.get_text() for t in ax.get_xticklabels()]]
            for text in texts:
                values.extend(float(m.replace("\u00a0", "").replace("\u202f", "").replace(" ", ""))
                              for m in _N_LABEL.findall(text))
    return Drawn(tuple(values), hidden)


@dataclass(frozen=True)
class FigureCheck:
    """Which published (or protected) table a figure is drawn from, and what it draws of it.

    Parameters
    ----------
    source : DataFrame, CrossTab or str
        The protected table (with ``*_suppressed`` masks, or hidden cells shown as the
        marker), a :class:`~soskulib.disclosure.CrossTab` (drawn as row shares of its inner
        cells), or the name of a table published on the same page.
    column : str, optional
        Column whose values the figure draws (its code; not needed for a CrossTab).
    kind : str
        One of :data:`FIGURE_KINDS`.
    where : mapping, optional
        Rows of ``source`` the figure draws (``{column: value}``).
    scale : float
        Factor from the table's values to the drawn ones (``0.01`` for a percentage drawn
        as a share).
    """

    source: object
    column: str | None = None
    kind: str = "bars"
    where: Mapping[str, object] | None = None
    scale: float = 1.0


#: A figure that shows no counts or statistics of people (quality self-assessments of the
#: organisations, the loop of ideas and experiments).
NOT_ABOUT_PEOPLE = "not-people"


def _source_values(check: FigureCheck, tables: Mapping[str, pd.DataFrame]) -> tuple[list[float], int]:
    source = check.source
    if isinstance(source, str):
        if source not in tables:
            raise KeyError(f"figure drawn from table {source!r}, which the page has not published")
        source = tables[source]
    if isinstance(source, disclosure.CrossTab):
        counts = source.counts.drop(index="total", columns="total", errors="ignore")
        totals = (source.counts["total"] if "total" in source.counts.columns
                  else counts.sum(axis=1, min_count=1))
        visible, hidden = [], 0
        for g in counts.index:
            total = totals.get(g)
            if pd.isna(total) or not total:
                continue
            row = counts.loc[g]
            visible += [float(v) / float(total) for v in row if pd.notna(v)]
            hidden += int(row.isna().any())
        return visible, hidden
    frame = source
    for col, value in (check.where or {}).items():
        frame = frame.loc[frame[col] == value]
    if check.column is None or check.column not in frame.columns:
        raise KeyError(f"figure check: column {check.column!r} not in the source table")
    mask_col = disclosure.mask_column(check.column)
    if mask_col in frame.columns:
        hidden_rows = frame[mask_col].fillna(False).astype(bool).to_numpy()
    else:
        hidden_rows = np.array([is_hidden(v) for v in frame[check.column]], dtype=bool)
    values = [number(v) if not isinstance(v, (int, float, np.number)) else float(v)
              for v in frame[check.column]]
    visible = [float(v) * check.scale for v, h in zip(values, hidden_rows, strict=True)
               if not h and v is not None and math.isfinite(v)]
    return visible, int(hidden_rows.sum())


def figure_findings(fig: object, check: FigureCheck,
                    tables: Mapping[str, pd.DataFrame] | None = None) -> list[str]:
    """Where a figure disagrees with the protection of the table it is drawn from.

    The figure's values are read from its artists (:func:`drawn_values`) and compared, as
    multisets, with the visible values of the source: a drawn value the table does not show
    (a hidden one, or one of another group) and a value the table shows that is not drawn
    are both findings, and so is a table with hidden values whose figure marks none (or the
    other way round). The stacked-share figures draw the hidden cells of a group as one
    hatched segment, so hidden values are compared as present or absent, not counted.

    Returns
    -------
    list of str
        Empty when the figure draws exactly what the table shows.

    Examples
    --------
    >>> from soskulib.examples import axes
    >>> table = pd.DataFrame({"q": ["a", "b", "c"], "n": [7.0, 5.0, None],
    ...                       "n_suppressed": [False, False, True]})
    >>> fig, ax = axes()
    >>> _ = ax.bar([0, 1, 2], [7, 5, 3])  # the hidden 3 drawn as it is
    >>> figure_findings(fig, FigureCheck(table, "n"))
    ['draws 3 which the table does not show', 'the table hides values but the figure marks none']
    """
    drawn = drawn_values(fig, check.kind)
    visible, hidden = _source_values(check, tables or {})
    out = []
    pool = sorted(visible)
    for v in drawn.values:
        match = next((i for i, t in enumerate(pool) if math.isclose(v, t, rel_tol=1e-6, abs_tol=1e-6)), None)
        if match is None:
            out.append(f"draws {v:g} which the table does not show")
        else:
            pool.pop(match)
    out += [f"does not draw {v:g} which the table shows" for v in pool]
    if check.kind in ("bars", "cells"):
        if hidden and not drawn.hidden:
            out.append("the table hides values but the figure marks none")
        if drawn.hidden and not hidden:
            out.append("the figure marks hidden values the table does not hide")
    return out
