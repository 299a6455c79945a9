"""`io.load_processed(..., municipality=...)`: codes in any usual form, names, clear errors."""

from __future__ import annotations

import pytest
from fixtures.rawexport import write_export

from soskulib import io as sio
from soskulib import prepare


@pytest.fixture(scope="module")
def processed(tmp_path_factory):
    root = tmp_path_factory.mktemp("muni")
    write_export(root / "raw")
    prepare.prepare(root / "raw", root / "processed", log=lambda _msg: None)
    return root / "processed"


@pytest.mark.parametrize("value", [92, "92", "092", " 092 ", "Vantaa", "vantaa", "VANTAA",
                                   ["92"], ("Vantaa",)])
def test_any_form_of_code_or_name_selects_the_municipality(processed, value):
    frame = sio.load_processed(processed, "clients", municipality=value)
    assert len(frame) > 0 and set(frame["municipality"]) == {"092"}


def test_several_municipalities_in_mixed_forms(processed):
    both = sio.load_processed(processed, "clients", municipality=[92, "Rovaniemi"])
    assert set(both["municipality"]) == {"092", "698"}
    assert len(both) == len(sio.load_processed(processed, "clients"))


def test_unknown_municipality_names_the_choices(processed):
    with pytest.raises(ValueError, match=r"unknown municipality 'Helsinki'.*092 Vantaa"):
        sio.load_processed(processed, "clients", municipality="Helsinki")
    with pytest.raises(ValueError, match="unknown municipality 999"):
        sio.load_processed(processed, "clients", municipality=999)


def test_wrong_type_is_a_clear_type_error(processed):
    with pytest.raises(TypeError, match="municipality must be a code or a name"):
        sio.load_processed(processed, "clients", municipality=[9.2])
    with pytest.raises(TypeError, match="municipality must be a code or a name"):
        sio.load_processed(processed, "clients", municipality=True)


def test_known_organisation_without_rows_is_empty_not_an_error(processed):
    # Essote is a SOSKU organisation but not in this small export.
    frame = sio.load_processed(processed, "clients", municipality="Essote")
    assert frame.empty


def test_joint_authority_names_in_both_languages():
    assert sio.municipality_codes(["Forssa region joint authority (FSHKY)", "forssa",
                                   "Forssan seudun hyvinvointikuntayhtymä", "Kainuu"]) == [
        "061", "061", "061", "205"]


@pytest.mark.parametrize("value", ["092", "Vantaa", 698, "Essote"])
def test_a_pages_tables_are_its_rows_of_the_national_tables_read_once(processed, value,
                                                                     monkeypatch):
    """page.load_tables takes a page's rows from the national tables it read once: the same
    frames (rows, order, dtypes, index) as load_processed(municipality=...), also for a
    municipality without rows."""
    import pandas as pd

    from soskulib import page, schema

    page._NATIONAL.clear()
    reads = []
    real = sio.load_processed
    monkeypatch.setattr(sio, "load_processed",
                        lambda *a, **k: reads.append(a[1]) or real(*a, **k))
    data = page.load_tables(processed, value, publication=False)
    first = len(reads)
    again = page.load_tables(processed, value, publication=False)
    assert len(reads) == first  # nothing read again for the next page
    for name in ("clients", "contacts", "goals", "activities", "quality", "subprojects",
                 "experiments", "group_sessions"):
        expected = real(processed, name, municipality=value)
        pd.testing.assert_frame_equal(data[name], expected, check_exact=True)
        pd.testing.assert_frame_equal(again[name], expected, check_exact=True)
    for inst in schema.ASSESSMENT_INSTRUMENTS:
        expected = real(processed, f"responses_{inst}", municipality=value)
        if expected.empty:
            assert inst not in data["responses"]
        else:
            pd.testing.assert_frame_equal(data["responses"][inst], expected, check_exact=True)
