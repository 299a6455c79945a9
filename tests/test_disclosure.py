"""Tests for soskulib.disclosure: primary/secondary suppression and attacker checks."""

from __future__ import annotations

import doctest
import itertools
import warnings

import numpy as np
import pandas as pd
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from scipy.optimize import linprog

from soskulib import disclosure


def _people(table: np.ndarray) -> pd.DataFrame:
    """One row per person from a matrix of counts (rows r0.., columns c0..)."""
    rows, cols = np.indices(table.shape)
    reps = table.ravel()
    row_names = [f"r{i}" for i in range(table.shape[0])]
    col_names = [f"c{j}" for j in range(table.shape[1])]
    # Categoricals keep empty rows/columns in the table.
    return pd.DataFrame({
        "row": pd.Categorical(np.repeat([row_names[i] for i in rows.ravel()], reps), categories=row_names),
        "col": pd.Categorical(np.repeat([col_names[j] for j in cols.ravel()], reps), categories=col_names),
    })


def _attack_by_subtraction(ct: disclosure.CrossTab) -> list[tuple]:
    """Cells an attacker recovers by subtracting the visible cells of one line from its total."""
    counts, hidden = ct.counts, ct.suppressed
    recovered = []
    inner_rows, inner_cols = counts.index[:-1], counts.columns[:-1]
    for r in counts.index:
        line_hidden = [c for c in counts.columns if hidden.loc[r, c]]
        if len(line_hidden) == 1:
            recovered.append((r, line_hidden[0]))
    for c in counts.columns:
        line_hidden = [r for r in counts.index if hidden.loc[r, c]]
        if len(line_hidden) == 1:
            recovered.append((line_hidden[0], c))
    assert len(inner_rows) and len(inner_cols)
    return recovered


def _attack_by_linear_programming(ct: disclosure.CrossTab, truth: np.ndarray) -> list[tuple]:
    """Hidden cells a reader narrows down by LP on all published cells to an interval
    ``[lo, hi]`` with ``lo < 5`` and ``hi - lo < 3`` (the protection criterion of
    ``docs/disclosure.md``; an exact zero, or a large cell pinned down, reveals no small
    group)."""
    full = np.zeros((truth.shape[0] + 1, truth.shape[1] + 1))
    full[:-1, :-1] = truth
    full[:-1, -1] = truth.sum(axis=1)
    full[-1, :-1] = truth.sum(axis=0)
    full[-1, -1] = truth.sum()
    hidden = ct.suppressed.to_numpy()
    unknown = np.flatnonzero(hidden.ravel())
    if unknown.size == 0:
        return []
    pos = {cell: k for k, cell in enumerate(unknown)}
    n_rows, n_cols = full.shape
    a_eq, b_eq = [], []
    lines = [[(i, j) for j in range(n_cols - 1)] + [(i, n_cols - 1)] for i in range(n_rows)]
    lines += [[(i, j) for i in range(n_rows - 1)] + [(n_rows - 1, j)] for j in range(n_cols)]
    for line in lines:
        *members, total = line
        row = np.zeros(unknown.size)
        rhs = 0.0
        for (i, j), sign in [(m, 1.0) for m in members] + [(total, -1.0)]:
            flat = i * n_cols + j
            if flat in pos:
                row[pos[flat]] += sign
            else:
                rhs -= sign * full[i, j]
        if row.any():
            a_eq.append(row)
            b_eq.append(rhs)
    recovered = []
    for k, flat in enumerate(unknown):
        c = np.zeros(unknown.size)
        c[k] = 1.0
        lo = linprog(c, A_eq=a_eq, b_eq=b_eq, bounds=(0, None), method="highs")
        hi = linprog(-c, A_eq=a_eq, b_eq=b_eq, bounds=(0, None), method="highs")
        if lo.status != 0 or hi.status != 0:
            continue
        low, high = np.ceil(lo.fun - 1e-6), np.floor(-hi.fun + 1e-6)
        if low < 5 and high - low < 3 and not low == high == 0:
            recovered.append(divmod(int(flat), n_cols))
    return recovered


def test_docstring_examples_run():
    result = doctest.testmod(disclosure, optionflags=doctest.NORMALIZE_WHITESPACE)
    assert result.attempted > 0 and result.failed == 0


def test_primary_suppression_hides_1_to_4_and_keeps_zero_and_five():
    table = np.array([[0, 1, 4, 5, 30], [9, 9, 9, 9, 9]])
    ct = disclosure.crosstab(_people(table), "row", "col")
    assert ct.counts.loc["r0", "c0"] == 0
    assert ct.suppressed.loc["r0", "c1"] and ct.suppressed.loc["r0", "c2"]
    assert disclosure.is_protected(ct.counts, ct.counts.columns)


def test_single_small_cell_gets_a_complement_in_row_and_column():
    table = np.array([[3, 10, 12], [8, 11, 20], [15, 16, 17]])
    ct = disclosure.crosstab(_people(table), "row", "col")
    hidden = ct.suppressed.to_numpy()[:-1, :-1]
    assert hidden[0, 0]
    assert hidden[0].sum() >= 2 and hidden[:, 0].sum() >= 2
    # The cheapest complements: smallest other cells of row 0 and column 0, then the corner.
    assert hidden[0, 1] and hidden[1, 0] and hidden[1, 1]
    assert hidden.sum() == 4
    assert not _attack_by_subtraction(ct)


def test_bridge_between_two_blocks_is_not_left_determined():
    # Two 2x2 blocks of small cells joined by one small cell: each line hides 0 or >= 2
    # cells after the line rule, but the joining cell lies on no cycle and is determined.
    table = np.array([
        [2, 2, 1, 50, 50],
        [2, 2, 50, 50, 50],
        [50, 50, 2, 2, 50],
        [50, 50, 2, 2, 50],
        [50, 50, 50, 50, 50],
    ])
    ct = disclosure.crosstab(_people(table), "row", "col")
    assert not _attack_by_subtraction(ct)
    assert not _attack_by_linear_programming(ct, table)


@settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(st.integers(2, 5), st.integers(2, 5), st.integers(0, 10_000))
def test_attacker_cannot_recover_any_hidden_cell(n_rows, n_cols, seed):
    rng = np.random.default_rng(seed)
    # Mix of small and large counts so that suppression patterns vary.
    table = np.where(rng.random((n_rows, n_cols)) < 0.35, rng.integers(0, 5, (n_rows, n_cols)),
                     rng.integers(5, 40, (n_rows, n_cols)))
    ct = disclosure.crosstab(_people(table), "row", "col")
    shown = ct.counts.to_numpy()
    # No visible count of 1-4 anywhere, margins included.
    assert not np.any((shown >= 1) & (shown < 5))
    # Visible cells are the true counts.
    inner = shown[:-1, :-1]
    visible = ~np.isnan(inner)
    assert np.array_equal(inner[visible], table[visible])
    assert not _attack_by_subtraction(ct)
    assert not _attack_by_linear_programming(ct, table)


def test_margins_are_computed_from_unsuppressed_data():
    table = np.array([[3, 10], [8, 11]])
    ct = disclosure.crosstab(_people(table), "row", "col")
    assert ct.counts.loc["total", "total"] == 32
    row_totals = ct.counts["total"].iloc[:-1]
    assert row_totals.dropna().isin([13, 19]).all()


def test_suppress_false_warns_and_shows_everything():
    table = np.array([[1, 10], [8, 11]])
    with pytest.warns(UserWarning, match="disclosure control is off"):
        ct = disclosure.crosstab(_people(table), "row", "col", suppress=False)
    assert ct.counts.loc["r0", "c0"] == 1
    with pytest.warns(UserWarning):
        out = disclosure.suppress_table(pd.DataFrame({"g": ["a", "b"], "n": [1, 9]}), "n", suppress=False)
    assert out["n"].tolist() == [1.0, 9.0]


def test_default_is_on_without_warning():
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        disclosure.crosstab(_people(np.array([[1, 10], [8, 11]])), "row", "col")


def test_display_marker_and_mask():
    ct = disclosure.crosstab(_people(np.array([[2, 10], [8, 11]])), "row", "col")
    shown = ct.display()
    assert shown.loc["r0", "c0"] == ".."
    assert ct.display(marker="<5").loc["r0", "c0"] == "<5"
    assert shown.loc["total", "total"] == "31"
    long = ct.to_long()
    assert set(long.columns) >= {"row", "col", "n", "n_suppressed"}
    assert long["n"].isna().equals(long["n_suppressed"])


def test_shares_hidden_with_their_counts():
    ct = disclosure.crosstab(_people(np.array([[2, 10, 9], [8, 11, 30]])), "row", "col")
    shares = ct.shares("index")
    assert shares.loc["r0", "c0"] != shares.loc["r0", "c0"]  # NaN
    # Every share is hidden exactly where its count is, and is count / row total elsewhere.
    assert shares.isna().equals(ct.suppressed | ct.counts.isna())
    visible = ~ct.suppressed
    expected = ct.counts.div(ct.counts["total"], axis=0)
    assert np.allclose(shares.to_numpy()[visible.to_numpy()], expected.to_numpy()[visible.to_numpy()])
    assert ct.shares("columns").loc["total", "c1"] == pytest.approx(1.0)


def test_id_col_counts_distinct_people():
    data = pd.DataFrame({"client_id": ["a", "a", "b", "c", "d", "e", "f"],
                         "row": ["x"] * 7, "col": ["p"] * 7})
    ct = disclosure.crosstab(data, "row", "col", id_col="client_id")
    assert ct.counts.loc["x", "p"] == 6


def test_min_cell_validation():
    with pytest.raises(ValueError, match="min_cell"):
        disclosure.crosstab(_people(np.array([[5]])), "row", "col", min_cell=0)
    with pytest.raises(KeyError, match="not in data"):
        disclosure.crosstab(_people(np.array([[5]])), "row", "nope")


def test_suppress_table_lines_complements_and_derived():
    t = pd.DataFrame({"g": ["a", "a", "a", "b", "b", "b"],
                      "cat": ["x", "y", "z"] * 2,
                      "n": [20, 7, 3, 10, 10, 10],
                      "n_g": [30, 30, 30, 30, 30, 30]})
    t["share"] = t["n"] / t["n_g"]
    out = disclosure.suppress_table(t, ["n", "n_g"], along={"n": ["cat"], "n_g": []},
                                    derived={"share": ["n", "n_g"]})
    assert out["n_suppressed"].tolist() == [False, True, True, False, False, False]
    assert out["share"].isna().tolist() == out["n_suppressed"].tolist()
    assert not out["n_g_suppressed"].any()
    # Complement: 28 of 30 with an element reveals that 2 lack it.
    c = pd.DataFrame({"g": ["a", "b"], "n": [30, 30], "n_with": [28, 15]})
    out = disclosure.suppress_table(c, ["n", "n_with"], complements={"n_with": "n"})
    assert out["n_with_suppressed"].tolist() == [True, False]


def test_suppress_table_two_dimensions_resists_subtraction():
    rng = np.random.default_rng(3)
    for _ in range(20):
        table = np.where(rng.random((4, 3)) < 0.3, rng.integers(1, 5, (4, 3)), rng.integers(5, 30, (4, 3)))
        long = pd.DataFrame([{"r": i, "c": j, "n": table[i, j]}
                             for i, j in itertools.product(range(4), range(3))])
        out = disclosure.suppress_table(long, "n", along=["r", "c"])
        hidden = out.pivot(index="r", columns="c", values="n_suppressed").to_numpy()
        assert not np.any(hidden.sum(axis=0) == 1) and not np.any(hidden.sum(axis=1) == 1)
        assert disclosure.is_protected(out, ["n"])


def test_display_of_long_table_uses_marker_and_integers():
    out = disclosure.suppress_table(pd.DataFrame({"g": ["a", "b", "c"], "n": [9, 3, 12]}), "n", along="g")
    shown = disclosure.display(out, marker="<5")
    assert shown["n"].tolist() == ["<5", "<5", 12]
    assert "n_suppressed" not in shown.columns


# --- Keeping a required split visible (ESF: gender-disaggregated figures) ---------------------

# Vantaa-like target group × gender table: women, men, "other / unknown" (1-4 in most rows).
SPLIT_TABLE = np.array([[36, 49, 1], [30, 46, 1], [14, 26, 1], [9, 28, 0], [18, 56, 0], [28, 35, 2]])


def _gender_people(table: np.ndarray, labels=("female", "male", "other")) -> pd.DataFrame:
    people = _people(table)
    return pd.DataFrame({"row": people["row"],
                         "gender": people["col"].cat.rename_categories(list(labels))})


def test_gender_split_stays_visible_and_row_totals_protect_the_small_group():
    ct = disclosure.crosstab(_gender_people(SPLIT_TABLE), "row", "gender")
    hidden = ct.suppressed
    assert not hidden[["female", "male"]].to_numpy().any()  # the whole split, margins included
    small = SPLIT_TABLE[:, 2] > 0
    assert hidden["other"].iloc[:-1].tolist() == small.tolist()
    assert hidden["total"].iloc[:-1].tolist() == small.tolist()  # the row totals are complements
    assert not hidden.loc["total"].any()
    assert not _attack_by_subtraction(ct)
    assert not _attack_by_linear_programming(ct, SPLIT_TABLE)


def test_without_the_preference_the_womens_column_is_the_complement():
    ct = disclosure.crosstab(_gender_people(SPLIT_TABLE), "row", "gender", keep_visible=[])
    assert ct.suppressed["female"].iloc[:-1].sum() >= 3  # the issue this rule fixes
    assert not ct.suppressed["total"].iloc[:-1].any()


def test_policy_matches_finnish_labels_and_explicit_categories():
    fi = _gender_people(SPLIT_TABLE, ("nainen", "mies", "muu / ei tiedossa"))
    ct = disclosure.crosstab(fi, "row", "gender").suppressed
    assert not ct[["nainen", "mies"]].to_numpy().any()
    generic = disclosure.crosstab(_people(SPLIT_TABLE), "row", "col", keep_visible=["c0", "c1"])
    assert not generic.suppressed[["c0", "c1"]].to_numpy().any()
    with pytest.raises(TypeError, match="list of categories"):
        disclosure.crosstab(_people(SPLIT_TABLE), "row", "col", keep_visible="c0")


@settings(max_examples=40, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(st.integers(2, 6), st.integers(0, 10_000))
def test_kept_split_is_never_hidden_when_margins_can_protect(n_rows, seed):
    rng = np.random.default_rng(seed)
    table = np.column_stack([rng.integers(5, 60, (n_rows, 2)), rng.integers(0, 5, n_rows)])
    table[rng.integers(n_rows), 2] = rng.integers(1, 5)  # at least one small group
    ct = disclosure.crosstab(_people(table), "row", "col", keep_visible=["c0", "c1"])
    assert not ct.suppressed[["c0", "c1"]].iloc[:-1].to_numpy().any()
    assert disclosure.is_protected(ct.counts, ct.counts.columns)
    assert not _attack_by_subtraction(ct)
    assert not _attack_by_linear_programming(ct, table)


@settings(max_examples=40, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(st.integers(2, 5), st.integers(2, 5), st.integers(0, 10_000))
def test_attacker_cannot_recover_any_hidden_cell_with_a_kept_column(n_rows, n_cols, seed):
    rng = np.random.default_rng(seed)
    table = np.where(rng.random((n_rows, n_cols)) < 0.35, rng.integers(0, 5, (n_rows, n_cols)),
                     rng.integers(5, 40, (n_rows, n_cols)))
    ct = disclosure.crosstab(_people(table), "row", "col", keep_visible=["c0", "r0"])
    assert disclosure.is_protected(ct.counts, ct.counts.columns)
    assert not _attack_by_subtraction(ct)
    assert not _attack_by_linear_programming(ct, table)


def test_secondary_suppression_cost_validation():
    line = [disclosure._Line(np.arange(2), 2)]
    with pytest.raises(ValueError, match="cost"):
        disclosure.secondary_suppression(np.array([1.0, 9, 10]), np.array([1, 0, 0], bool), line,
                                         cost=np.array([0.0, 1]))


# --- Statistics of a complementary group ------------------------------------------------------

def _by_gender() -> pd.DataFrame:
    return pd.DataFrame({"gender": ["female", "male", "other"], "n": [60, 90, 3],
                         "mean": [21.5, 19.0, 30.1], "ci_low": [19.9, 17.8, 12.0]})


def test_statistics_hide_only_with_primary_suppression_and_intervals_follow_the_count():
    out = disclosure.suppress_table(_by_gender(), "n", along="gender",
                                    statistics={"mean": "n"}, derived={"ci_low": "n"})
    assert out["n_suppressed"].tolist() == [True, False, True]  # women: the complement
    assert out["mean_suppressed"].tolist() == [False, False, True]
    assert out["mean"].iloc[0] == 21.5 and np.isnan(out["mean"].iloc[2])
    # A CI limit with the SD and mean gives n back: it hides with the complement.
    assert out["ci_low_suppressed"].tolist() == [True, False, True]
    assert disclosure.is_protected(out, ["n"])


def test_keep_visible_in_long_tables_prefers_other_groups():
    t = pd.DataFrame({"gender": ["female", "male", "other", "(missing)"], "n": [60, 90, 3, 8]})
    out = disclosure.suppress_table(t, "n", along="gender")
    assert out["n_suppressed"].tolist() == [False, False, True, True]
    plain = disclosure.suppress_table(t, "n", along="gender", keep_visible={})
    assert plain["n_suppressed"].tolist() == [False, False, True, True]  # 8 is smallest anyway
    t.loc[3, "n"] = 80
    assert disclosure.suppress_table(t, "n", along="gender")["n_suppressed"].tolist() == \
        [False, False, True, True]
    assert disclosure.suppress_table(t, "n", along="gender", keep_visible={})[
        "n_suppressed"].tolist() == [True, False, True, False]


def test_statistics_validation():
    with pytest.raises(ValueError, match="both derived and statistics"):
        disclosure.suppress_table(_by_gender(), "n", statistics={"mean": "n"}, derived={"mean": "n"})
    with pytest.raises(ValueError, match="count columns"):
        disclosure.suppress_table(_by_gender(), "n", statistics={"mean": "ci_low"})
    with pytest.raises(ValueError, match="key columns"):
        disclosure.suppress_table(_by_gender(), "n", keep_visible={"nope": ["a"]})
    with pytest.raises(TypeError, match="keep_visible"):
        disclosure.suppress_table(_by_gender(), "n", keep_visible=["female"])


def test_protect_total_hides_a_total_whose_rest_is_small():
    from soskulib.disclosure import protect_total

    # 10 episodes, 8 ended: the total goes, and the visible reasons must leave the 2 ongoing
    # (and what the hidden reasons hold) at least 3 wide.
    mask, hidden = protect_total([5, 2, 1, 0], [False, True, True, False], 10)
    assert hidden and mask[1] and mask[2]
    assert 10 - sum(v for v, m in zip([5, 2, 1, 0], mask, strict=True) if not m) >= 3
    # A large rest, or everything ended, leaves the line as it was.
    assert protect_total([5, 2, 1, 0], [False, True, True, False], 20)[1] is False
    assert protect_total([20, 9, 6, 0], [False] * 4, 35)[1] is False


def test_crosstab_hides_a_row_total_whose_complement_is_small():
    d = pd.DataFrame({"m": ["a"] * 12 + ["b"] * 30 + ["c"] * 20,
                      "p": ["x", "y"] * 31})
    plain = disclosure.crosstab(d, "m", "p")
    assert not plain.suppressed.to_numpy().any()
    linked = disclosure.crosstab(d, "m", "p", complements={"a": 14, "b": 40})
    assert linked.suppressed.loc["a", "total"]  # 14 − 12 = 2 would be a small group
    # ... and one more row total with it (the total column adds up), never a cell of a line
    # left with a single hidden cell.
    assert linked.suppressed["total"].sum() == 2
    assert (linked.suppressed.sum(axis=1) != 1).all() and (linked.suppressed.sum(axis=0) != 1).all()


def _exposed_by_every_interval(values, mask, lines, min_cell=5, protection=3):
    """exposed_cells' criterion applied to every interval of feasible_intervals (two LPs each)."""
    out = np.zeros(mask.shape, bool)
    for cell, (lo, hi) in disclosure.feasible_intervals(values, mask, lines).items():
        if not (np.isnan(lo) or np.isnan(hi)):
            out[cell] = lo < min_cell and hi - lo < protection and not (lo == hi == 0)
    return out


@settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(st.integers(2, 4), st.integers(2, 4), st.integers(0, 10_000), st.booleans())
def test_exposed_cells_skips_only_linear_programs_that_cannot_expose(rows, cols, seed, honest):
    """exposed_cells solves fewer LPs (a large true value, or an upper end that reaches
    min_cell + protection - 1, cannot be exposed) but finds exactly the cells of the full
    criterion, also when the lines do not hold for the values (no shortcut is then taken)."""
    rng = np.random.default_rng(seed)
    inner = rng.choice([0, 1, 2, 3, 4, 6, 9, 15, 40], size=(rows, cols)).astype(float)
    table = np.zeros((rows + 1, cols + 1))
    table[:rows, :cols] = inner
    table[rows, :cols], table[:rows, cols] = inner.sum(0), inner.sum(1)
    table[rows, cols] = inner.sum()
    if not honest:  # a published total that is not the sum of its cells
        table[rng.integers(rows), cols] += rng.integers(-3, 4)
    idx = np.arange(table.size).reshape(table.shape)
    lines = [disclosure._Line(idx[r, :cols], int(idx[r, cols])) for r in range(rows + 1)]
    lines += [disclosure._Line(idx[:rows, c], int(idx[rows, c])) for c in range(cols + 1)]
    values = table.ravel()
    mask = rng.random(values.size) < 0.45
    expected = _exposed_by_every_interval(values, mask, lines)
    assert np.array_equal(disclosure.exposed_cells(values, mask, lines), expected)


def test_lp_intervals_wide_from_skips_the_lower_end_only_when_the_upper_end_reaches_it():
    a, b = np.array([[1.0, 1.0]]), np.array([9.0])
    assert disclosure.lp_intervals(a, b, [0]) == {0: (0.0, 9.0)}
    assert disclosure.lp_intervals(a, b, [0], wide_from=9) == {0: (-np.inf, 9.0)}
    assert disclosure.lp_intervals(a, b, [0], wide_from=10) == {0: (0.0, 9.0)}


def test_exposed_cells_takes_no_shortcut_when_the_values_break_their_lines():
    # 9 + 0 published as 2: the reader's interval of the first cell is [0, 2] whatever its value
    values, mask = np.array([9.0, 0.0, 2.0]), np.array([True, True, False])
    lines = [disclosure._Line(np.arange(2), 2)]
    assert disclosure.exposed_cells(values, mask, lines).tolist() == [True, True, False]


def test_supersets_hide_the_larger_count_and_keep_the_subset_with_its_results():
    """Starters with a baseline vs complete pairs: 33 − 30 = 3 non-completers hide the 33, not
    the 30 (the pairs carry the change results); along gender the other group's n_pre is the
    complement, and the pairs stay visible everywhere."""
    t = pd.DataFrame({"gender": ["female", "male"], "n_pre": [33.0, 50.0], "n": [30.0, 35.0],
                      "mean": [1.0, 2.0]})
    out = disclosure.suppress_table(t, ["n_pre", "n"], along={"n_pre": "gender", "n": "gender"},
                         supersets={"n_pre": "n"}, derived={"mean": "n"})
    assert out["n_pre_suppressed"].tolist() == [True, True]
    assert out["n_suppressed"].tolist() == [False, False]
    assert out["mean"].tolist() == [1.0, 2.0]
    safe = disclosure.suppress_table(t.assign(n_pre=[40.0, 50.0]), ["n_pre", "n"], supersets={"n_pre": "n"})
    assert not safe["n_pre_suppressed"].any()


def test_nested_counts_hide_from_the_first_small_step_on():
    """placed ⊇ recorded ⊇ known ⊇ held: 6 placed, 5 recorded (1 without) hides recorded and
    every later count; a row whose steps differ by 0 or ≥ 5 stays."""
    t = pd.DataFrame({"pathway": ["a", "b"], "placed": [6.0, 20.0], "recorded": [5.0, 20.0],
                      "known": [5.0, 14.0], "held": [5.0, 9.0]})
    out = disclosure.suppress_table(t, ["placed", "recorded", "known", "held"], keys=["pathway"],
                         nested=["placed", "recorded", "known", "held"])
    assert out.loc[0, ["placed_suppressed", "recorded_suppressed", "known_suppressed",
                       "held_suppressed"]].tolist() == [False, True, True, True]
    assert not out.loc[1, ["recorded_suppressed", "known_suppressed", "held_suppressed"]].any()
