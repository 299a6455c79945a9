"""Identity-code checks, keyed pseudonyms, key resolution, age groups."""

from __future__ import annotations

import json

import pandas as pd
import pytest
from fixtures.rawexport import make_hetu
from hypothesis import given
from hypothesis import strategies as st

from soskulib import pseudonym
from soskulib.errors import ConfigurationError


def test_dvv_example_and_century_signs():
    # Artificial code (individual number 908): the same date and check arithmetic as the
    # Digital and Population Data Services Agency's published example, with 900-999 numbers.
    out = pseudonym.check(pd.Series(["131052-9085", "131052A9085", "131052Y9085", "131052+9085"]))
    assert out["valid"].all()
    assert [d.year for d in out["birth_date"]] == [1952, 2052, 1952, 1852]


@pytest.mark.parametrize(("value", "problem"), [
    ("131052-908A", "wrong check character"),
    ("310252-908A", "birth date part is not a date"),
    # assembled at run time: no identity-code-shaped literal with a 0xx number sits in the repo
    ("131052-" + "001X", "individual number 000/001 is not in use"),
    ("13105-9085", "not in the form DDMMYYCZZZQ"),
    ("131052G9085", "not in the form DDMMYYCZZZQ"),
])
def test_invalid_codes(value, problem):
    out = pseudonym.check(pd.Series([value]))
    assert not out["valid"][0] and out["problem"][0] == problem and pd.isna(out["birth_date"][0])


@given(st.dates(min_value=pd.Timestamp("1900-01-01").date(),
                max_value=pd.Timestamp("2029-12-31").date()),
       st.integers(min_value=2, max_value=999))
def test_generated_codes_are_valid_and_one_changed_check_char_is_not(day, individual):
    hetu = make_hetu(day.day, day.month, day.year, individual)
    wrong = hetu[:-1] + next(c for c in pseudonym.CHECK_CHARACTERS if c != hetu[-1])
    out = pseudonym.check(pd.Series([hetu, wrong.lower()]))
    assert out["valid"].tolist() == [True, False]
    assert out["birth_date"][0] == pd.Timestamp(day)


def test_pseudonym_is_hmac_prefix_once_per_unique_value():
    import hashlib
    import hmac

    key = b"0123456789abcdef"
    ids = pseudonym.pseudonymise(pd.Series(["131052-913A", "131052-913a ", None, "x"]), key)
    expected = hmac.new(key, b"131052-913A", hashlib.sha256).hexdigest()[:16]
    assert ids[0] == ids[1] == expected and pd.isna(ids[2]) and len(ids[3]) == 16
    other = pseudonym.pseudonymise(pd.Series(["131052-913A"]), b"another key, 16+")
    assert other[0] != expected
    with pytest.raises(TypeError):
        pseudonym.pseudonymise(pd.Series(["x"]), "not bytes")


def test_age_and_groups():
    birth = pd.Series(pd.to_datetime(["2000-03-01", "2000-03-01", "1950-12-31"]))
    date = pd.Series(pd.to_datetime(["2018-02-28", "2018-03-01", "2016-01-01"]))
    age = pseudonym.age_at(birth, date)
    assert age.tolist() == [17.0, 18.0, 65.0]
    assert pseudonym.age_group(age).tolist() == ["13–17", "18–29", "65+"]


def test_key_resolution(tmp_path, monkeypatch):
    monkeypatch.delenv("SOSKU_PSEUDO_KEY", raising=False)
    monkeypatch.delenv("SOSKU_PSEUDO_KEY_FILE", raising=False)
    with pytest.raises(ConfigurationError, match="SOSKU_PSEUDO_KEY"):
        pseudonym.resolve_key(tmp_path)
    (tmp_path / "truth.json").write_text(json.dumps({"synthetic": True}))
    assert pseudonym.resolve_key(tmp_path) == (pseudonym.DEMO_KEY, "DEMO_KEY")
    key_file = tmp_path / "secret.key"
    key_file.write_bytes(b"file-key-0123456789\n")
    monkeypatch.setenv("SOSKU_PSEUDO_KEY_FILE", str(key_file))
    assert pseudonym.resolve_key(tmp_path) == (b"file-key-0123456789", "SOSKU_PSEUDO_KEY_FILE")
    monkeypatch.setenv("SOSKU_PSEUDO_KEY", "env-key-0123456789")
    assert pseudonym.resolve_key(tmp_path)[1] == "SOSKU_PSEUDO_KEY"
    monkeypatch.setenv("SOSKU_PSEUDO_KEY", "short")
    with pytest.raises(ConfigurationError, match="shorter"):
        pseudonym.resolve_key(tmp_path)


def test_key_file_inside_repository_is_refused(monkeypatch):
    monkeypatch.delenv("SOSKU_PSEUDO_KEY", raising=False)
    monkeypatch.setenv("SOSKU_PSEUDO_KEY_FILE", str(pseudonym._REPO_ROOT / "pyproject.toml"))
    with pytest.raises(ConfigurationError, match="outside"):
        pseudonym.resolve_key(None)


def test_identity_code_digits_are_ascii():
    # A non-ASCII digit (Arabic-Indic one) makes the code malformed, not a different person.
    out = pseudonym.check(pd.Series(["13\u0661052-9085", "131052-9085"]))
    assert out["valid"].tolist() == [False, True]
    assert out["problem"][0] == "not in the form DDMMYYCZZZQ"
