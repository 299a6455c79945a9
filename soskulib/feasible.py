"""Many linear programs over one fixed feasible region, solved by HiGHS through highspy.

Small-cell suppression (:mod:`soskulib.disclosure`) and the attack on a built site
(:mod:`soskulib.audit`) ask the same question many times over one system of published
relations: how small, and how large, can this count be? Each question is a linear program
with the same constraints and a new objective. :class:`FeasibleRegion` passes the
constraints to HiGHS once (through highspy, HiGHS's own Python interface; HiGHS is the solver
behind ``scipy.optimize.linprog(method="highs")``) and then changes only the objective. The
basis of the last optimum is still feasible for the next objective, so HiGHS starts from it
(a warm start) and needs a few simplex iterations. Through ``linprog`` every objective was a
new problem: its input checks, conversions and presolve took about 85 % of the audit's time
for its linear programs.

The optimum's value is that of ``linprog`` (the same solver and tolerances); where several
points are optimal, the point returned may differ.

Reference: Q. Huangfu and J. A. J. Hall (2018), Parallelizing the dual revised simplex
method, *Mathematical Programming Computation* 10, 119–142 (HiGHS's simplex solver).
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

import numpy as np
from scipy import sparse

from soskulib.errors import SoskuError

__all__ = ["FeasibleRegion", "Optimum"]

#: ``status`` of an :class:`Optimum`, as ``scipy.optimize.linprog`` numbers them.
OPTIMAL, INFEASIBLE, UNBOUNDED = 0, 2, 3
#: HiGHS's ``simplex_strategy`` value of the primal simplex method.
_PRIMAL_SIMPLEX = 4


@dataclass(frozen=True)
class Optimum:
    """Result of :meth:`FeasibleRegion.minimize`.

    ``status`` is 0 (optimal), 2 (infeasible: the constraints contradict each other) or 3
    (unbounded), as in ``scipy.optimize.linprog``; ``fun`` (the minimum) and ``x`` (a point
    that attains it) are ``None`` unless optimal.
    """

    status: int
    fun: float | None
    x: np.ndarray | None


class FeasibleRegion:
    """``{x : A_eq x = b_eq, A_ub x <= b_ub, lower <= x <= upper}``, for many objectives.

    Parameters
    ----------
    a_eq, b_eq : sparse or dense matrix and vector, optional
        Equality constraints (``None`` or zero rows: none).
    a_ub, b_ub : sparse or dense matrix and vector, optional
        Upper-bound constraints ``a_ub @ x <= b_ub``.
    bounds : (lower, upper) or a sequence of them
        Bounds of every variable, or one pair per variable; ``None`` is unbounded, as in
        ``linprog``. Default ``(0, None)``: non-negative.
    size : int, optional
        Number of variables, needed only when there is no constraint matrix and ``bounds``
        is one pair.

    Examples
    --------
    The cell ``x0`` of ``x0 + x1 = 3``, ``x1 - x2 <= 0``, ``x2 <= 2`` (as
    ``linprog(c, A_eq=[[1, 1, 0]], b_eq=[3], A_ub=[[0, 1, -1], [0, 0, 1]], b_ub=[0, 2],
    method="highs")`` with ``c = [1, 0, 0]`` and ``c = [-1, 0, 0]``):

    >>> import numpy as np
    >>> region = FeasibleRegion(np.array([[1.0, 1.0, 0.0]]), np.array([3.0]),
    ...                         a_ub=np.array([[0.0, 1.0, -1.0], [0.0, 0.0, 1.0]]),
    ...                         b_ub=np.array([0.0, 2.0]))
    >>> region.minimize(np.array([1.0, 0.0, 0.0])).fun, -region.minimize(np.array([-1.0, 0.0, 0.0])).fun
    (1.0, 3.0)
    >>> FeasibleRegion(np.array([[1.0, -1.0]]), np.array([0.0])).minimize(np.array([-1.0, 0.0])).status
    3
    """

    def __init__(self, a_eq: Any = None, b_eq: Any = None, *, a_ub: Any = None,
                 b_ub: Any = None, bounds: Any = (0, None), size: int | None = None) -> None:
        import highspy

        blocks = [sparse.csr_matrix(m, dtype=float) for m in (a_eq, a_ub)
                  if m is not None and np.shape(m)[0] > 0]
        per_variable = _per_variable(bounds)
        n = (blocks[0].shape[1] if blocks else size if size is not None
             else len(bounds) if per_variable else None)
        if n is None:
            raise ValueError("no constraints and one pair of bounds: give size")
        pairs = bounds if per_variable else [bounds] * n
        if len(pairs) != n:
            raise ValueError(f"bounds: {len(pairs)} pairs for {n} variables")
        inf = highspy.kHighsInf
        lower = np.array([-inf if lo is None else lo for lo, _ in pairs], dtype=float)
        upper = np.array([inf if hi is None else hi for _, hi in pairs], dtype=float)
        eq = np.asarray(b_eq, dtype=float).ravel() if a_eq is not None and np.shape(a_eq)[0] else ()
        ub = np.asarray(b_ub, dtype=float).ravel() if a_ub is not None and np.shape(a_ub)[0] else ()
        matrix = (sparse.vstack(blocks) if blocks else sparse.csr_matrix((0, n))).tocsc()

        lp = highspy.HighsLp()
        lp.num_col_, lp.num_row_ = n, matrix.shape[0]
        lp.col_cost_ = np.zeros(n)
        lp.col_lower_, lp.col_upper_ = lower, upper
        lp.row_lower_ = np.concatenate([eq, np.full(len(ub), -inf)])
        lp.row_upper_ = np.concatenate([eq, ub])
        lp.a_matrix_.format_ = highspy.MatrixFormat.kColwise
        lp.a_matrix_.num_col_, lp.a_matrix_.num_row_ = n, matrix.shape[0]
        lp.a_matrix_.start_ = matrix.indptr
        lp.a_matrix_.index_ = matrix.indices
        lp.a_matrix_.value_ = matrix.data
        self._highs = highspy.Highs()
        self._highs.setOptionValue("output_flag", False)
        self._highs.setOptionValue("threads", 1)  # the simplex solver runs serially anyway
        # Primal simplex: a new objective leaves the last optimal basis primal feasible, so the
        # solve goes straight to phase 2 (the dual simplex, HiGHS's default, starts from a
        # dual-infeasible basis then, and on a few degenerate tables stopped without a status).
        self._highs.setOptionValue("simplex_strategy", _PRIMAL_SIMPLEX)
        if self._highs.passModel(lp) == highspy.HighsStatus.kError:
            raise SoskuError("HiGHS refused the linear program's constraints (a bug in "
                             "soskulib, not a data problem; please report it)")
        self._columns = np.arange(n, dtype=np.int32)
        self._status = highspy.HighsModelStatus
        self._answers = {self._status.kOptimal, self._status.kInfeasible, self._status.kUnbounded}

    @property
    def size(self) -> int:
        """Number of variables."""
        return int(self._columns.size)

    def minimize(self, cost: Any) -> Optimum:
        """Minimise ``cost @ x`` over the region (maximise by negating ``cost``)."""
        cost = np.asarray(cost, dtype=float)
        if cost.shape != (self.size,):
            raise ValueError(f"cost has shape {cost.shape}, expected ({self.size},)")
        highs = self._highs
        highs.changeColsCost(self.size, self._columns, cost)
        highs.run()
        status = highs.getModelStatus()
        if status not in self._answers:  # solve again without the last basis (as linprog)
            highs.clearSolver()
            highs.run()
            status = highs.getModelStatus()
        if status == self._status.kOptimal:
            return Optimum(OPTIMAL, float(highs.getInfo().objective_function_value),
                           np.asarray(highs.getSolution().col_value, dtype=float))
        if status == self._status.kInfeasible:
            return Optimum(INFEASIBLE, None, None)
        if status == self._status.kUnbounded:
            return Optimum(UNBOUNDED, None, None)
        raise SoskuError(f"HiGHS stopped without an answer ({highs.modelStatusToString(status)}; "
                         "a bug in soskulib, not a data problem; please report it)")


def _per_variable(bounds: Any) -> bool:
    """Whether ``bounds`` is a sequence of pairs rather than one pair."""
    return (isinstance(bounds, Sequence) or isinstance(bounds, np.ndarray)) and len(bounds) > 0 \
        and not np.isscalar(bounds[0]) and bounds[0] is not None
