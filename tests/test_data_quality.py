"""The data-quality page's tables: reconciliation, findings and rejects counted by location."""

from __future__ import annotations

import doctest

import pandas as pd
import pytest

from soskulib import data_quality
from soskulib.errors import DataError


def test_docstring_examples_run():
    result = doctest.testmod(data_quality, optionflags=doctest.NORMALIZE_WHITESPACE)
    assert result.attempted > 0 and result.failed == 0


def test_reconciliation_flags_tables_that_do_not_add_up():
    out = data_quality.reconciliation({"tables": {
        "clients": {"rows_in": 10, "rows_out": 9, "rows_rejected": 1},
        "contacts": {"rows_in": 10, "rows_out": 8, "rows_rejected": 1}}})
    assert out.set_index("table")["reconciles"].to_dict() == {"clients": True, "contacts": False}
    with pytest.raises(DataError, match="no 'tables'"):
        data_quality.reconciliation({})
    with pytest.raises(DataError, match="rows_rejected"):
        data_quality.reconciliation({"tables": {"clients": {"rows_in": 1, "rows_out": 1}}})


def test_problem_summary_counts_locations_never_messages(tmp_path):
    assert data_quality.problem_summary(tmp_path).empty
    pd.DataFrame({"file": ["a.csv", "a.csv", "b.csv"], "column": ["hetu", "hetu", "pvm"],
                  "message": ["131052-9085 is invalid", "x", "y"]}).to_csv(
        tmp_path / "problems.csv", index=False)
    out = data_quality.problem_summary(tmp_path)
    assert list(out.columns) == ["file", "column", "problems"]
    assert out.iloc[0].tolist() == ["a.csv", "hetu", 2]
    assert "131052-9085" not in out.to_csv()


def test_reject_summary_classifies_a_row_by_its_first_reason(tmp_path):
    (tmp_path / "rejects").mkdir()
    pd.DataFrame({"reason": ["invalid_hetu; bad_date", "invalid_hetu", "bad_date"],
                  "hetu": ["x", "y", "z"]}).to_csv(tmp_path / "rejects" / "clients.csv", index=False)
    out = data_quality.reject_summary(tmp_path)
    assert out.to_dict("records") == [{"table": "clients", "reason": "invalid_hetu", "rows": 2},
                                      {"table": "clients", "reason": "bad_date", "rows": 1}]
