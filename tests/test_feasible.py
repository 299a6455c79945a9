"""FeasibleRegion (one HiGHS model, many objectives) against scipy.optimize.linprog."""

from __future__ import annotations

import doctest

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from scipy.optimize import linprog

from soskulib import feasible
from soskulib.feasible import FeasibleRegion


def test_docstring_examples_run():
    result = doctest.testmod(feasible, optionflags=doctest.NORMALIZE_WHITESPACE)
    assert result.attempted > 0 and result.failed == 0


def _linprog(c, a_eq, b_eq, a_ub, b_ub, bounds):
    res = linprog(c, A_eq=a_eq, b_eq=b_eq, A_ub=a_ub, b_ub=b_ub, bounds=bounds, method="highs")
    return res.status, (res.fun if res.status == 0 else None)


@settings(max_examples=60, deadline=None)
@given(rows=st.integers(1, 5), cols=st.integers(2, 7), seed=st.integers(0, 10_000))
def test_every_objective_has_linprogs_optimum(rows, cols, seed):
    """Random tables of counts with hidden cells, margins, an order constraint and one free
    variable: each end of each variable, solved one after another on one model (warm starts),
    has linprog's status and optimum (fresh solves); the point returned attains it."""
    rng = np.random.default_rng(seed)
    truth = rng.integers(0, 12, size=cols).astype(float)
    a_eq = rng.integers(0, 2, size=(rows, cols)).astype(float)
    b_eq = a_eq @ truth
    if rng.random() < 0.2:  # contradicting published numbers: infeasible
        b_eq[0] += 0.5
    a_ub = np.zeros((1, cols))
    a_ub[0, :2] = [1.0, -1.0]  # x0 <= x1
    b_ub = np.zeros(1)
    bounds = [(0, None)] * (cols - 1) + [(None, None)]
    region = FeasibleRegion(a_eq, b_eq, a_ub=a_ub, b_ub=b_ub, bounds=bounds)
    for v in rng.permutation(cols):
        for sign in (1.0, -1.0):
            c = np.zeros(cols)
            c[v] = sign
            got = region.minimize(c)
            status, fun = _linprog(c, a_eq, b_eq, a_ub, b_ub, bounds)
            assert got.status == status
            if status == 0:
                assert got.fun == pytest.approx(fun, abs=1e-7)
                assert got.x @ c == pytest.approx(fun, abs=1e-7)
                assert np.allclose(a_eq @ got.x, b_eq, atol=1e-7)
                assert got.x[0] <= got.x[1] + 1e-7 and np.all(got.x[:-1] >= -1e-7)


def _degenerate_table() -> tuple[np.ndarray, np.ndarray]:
    """A 4 × 4 cross-tabulation with margins, about half of it hidden (the case where HiGHS's
    dual simplex, warm-started after the previous objective, stopped without a status)."""
    shown = [["..", "..", "..", "..", ".."], ["40", "..", "..", "4", ".."],
             ["4", "..", "15", "6", ".."], ["..", "40", "4", "..", "61"],
             ["..", "..", "62", "29", ".."]]
    cells = {(r, c): k for k, (r, c) in enumerate((r, c) for r in range(5) for c in range(5))}
    rows, rhs = [], []
    for r in range(5):  # inner cells add up to the row total, rows to the column totals
        line = np.zeros(25)
        line[[cells[r, c] for c in range(4)]] = 1.0
        line[cells[r, 4]] = -1.0
        rows.append(line)
        rhs.append(0.0)
    for c in range(5):
        line = np.zeros(25)
        line[[cells[r, c] for r in range(4)]] = 1.0
        line[cells[4, c]] = -1.0
        rows.append(line)
        rhs.append(0.0)
    for (r, c), k in cells.items():
        if shown[r][c] != "..":
            line = np.zeros(25)
            line[k] = 1.0
            rows.append(line)
            rhs.append(float(shown[r][c]))
    return np.array(rows), np.array(rhs)


def test_a_solve_that_stops_without_a_status_is_solved_again_from_scratch():
    """With the dual simplex (HiGHS's default) the warm start on this table stops with an
    unknown status at the third objective; the region then solves again without the old basis,
    so every answer is still linprog's. With the primal simplex it uses, every one is too."""
    a_eq, b_eq = _degenerate_table()
    for strategy in (1, 4):  # dual, primal
        region = FeasibleRegion(a_eq, b_eq)
        region._highs.setOptionValue("simplex_strategy", strategy)
        for v in range(25):
            for sign in (-1.0, 1.0):
                c = np.zeros(25)
                c[v] = sign
                status, fun = _linprog(c, a_eq, b_eq, None, None, (0, None))
                got = region.minimize(c)
                assert got.status == status
                if status == 0:
                    assert got.fun == pytest.approx(fun, abs=1e-7)


def test_wrong_shapes_are_refused():
    region = FeasibleRegion(np.array([[1.0, 1.0]]), np.array([3.0]))
    with pytest.raises(ValueError, match=r"cost has shape \(3,\), expected \(2,\)"):
        region.minimize(np.zeros(3))
    with pytest.raises(ValueError, match="bounds: 3 pairs for 2 variables"):
        FeasibleRegion(np.array([[1.0, 1.0]]), np.array([3.0]), bounds=[(0, None)] * 3)
    with pytest.raises(ValueError, match="give size"):
        FeasibleRegion(bounds=(0, None))
    assert FeasibleRegion(bounds=(0, 5), size=2).minimize(np.array([-1.0, 0.0])).fun == -5.0


def test_the_solver_prints_nothing():
    """Notebook kernels capture the process's stdout: a banner would land on the pages
    (highspy 1.16 prints one when its first model is created, before any option can be set,
    hence the bound in pyproject.toml). A fresh process solves and writes nothing."""
    import subprocess
    import sys

    code = ("import numpy as np\nfrom soskulib.feasible import FeasibleRegion\n"
            "FeasibleRegion(np.array([[1.0, 1.0]]), np.array([3.0])).minimize(np.array([1.0, 0.0]))")
    done = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert (done.stdout, done.stderr) == ("", "")
