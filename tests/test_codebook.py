"""The codebook covers every processed column and the committed copy is current."""

from __future__ import annotations

from pathlib import Path

from soskulib import codebook, schema
from soskulib import io as sio

DOCS = Path(__file__).resolve().parents[1] / "docs" / "codebook.md"


def test_committed_codebook_is_current():
    assert DOCS.read_text(encoding="utf-8") == codebook.generate(), (
        "docs/codebook.md is stale: run `python -m soskulib.codebook docs/codebook.md`")


def test_every_table_column_and_code_is_documented():
    text = codebook.generate()
    for table in schema.tables():
        assert f"## {table.name}\n" in text
        for name, dtype in sio.processed_dtypes(table).items():
            assert f"| `{name}` |" in text and dtype in text
    for labels in schema.CODE_LABELS.values():
        for code, (fi, en) in labels.items():
            assert f"| `{code}` |" in text and fi in text and en in text
    assert "seisominen pitkään" in text and "standing for long periods" in text  # item labels
