"""Instrument registry: shipped specs parse and are consistent; user specs via env path."""

from __future__ import annotations

import doctest
import math
import textwrap

import pytest

from soskulib import instruments
from soskulib.errors import ConfigurationError
from soskulib.instruments import MISSING_RULES, SCALE_METHODS

SHIPPED = ["3x10d", "eq5d3l", "esis", "gas", "kykyviisari", "whodas12"]

MINIMAL = """
id = "{id}"
name = "{name}"
min = 0
max = 3
higher_is_better = true
items = ["a", "b", "c"]
"""


@pytest.fixture(autouse=True)
def _fresh_cache():
    instruments.clear_cache()
    yield
    instruments.clear_cache()


def test_docstring_examples_run():
    result = doctest.testmod(instruments, optionflags=doctest.NORMALIZE_WHITESPACE)
    assert result.attempted > 0 and result.failed == 0


def test_shipped_instruments_available():
    assert set(SHIPPED) <= set(instruments.available())


@pytest.mark.parametrize("instrument_id", SHIPPED)
def test_every_spec_is_internally_consistent(instrument_id):
    inst = instruments.get(instrument_id)
    assert inst.id == instrument_id
    # contract attributes
    for attr in ("name", "items", "min", "max", "scales", "reverse", "higher_is_better"):
        assert hasattr(inst, attr)
    assert len(set(inst.items)) == len(inst.items) > 0
    assert inst.min < inst.max
    assert set(inst.reverse) <= set(inst.items)
    assert inst.headline in inst.scales
    assert inst.has_total == ("total" in inst.scales)
    for scale in inst.scales.values():
        assert scale.items and set(scale.items) <= set(inst.items)
        assert scale.method in SCALE_METHODS
        assert 1 <= scale.required_items() <= len(scale.items)
        low, high = inst.scale_range(scale.name)
        assert low < high
    for item in inst.items:
        low, high = inst.item_range(item)
        assert low < high
    for group, values in inst.norms.items():
        for key, value in values.items():
            if isinstance(value, list):
                assert key in inst.scales, f"norm {group}.{key} is not a scale"
                assert value[1] > 0
    assert inst.source
    assert inst.title_fi and inst.title_en
    assert set(inst.item_labels) <= set(inst.items)


def test_every_spec_file_in_the_package_folder_is_listed():
    from importlib import resources

    files = {e.name[:-5] for e in resources.files("soskulib.instrument_specs").iterdir()
             if e.name.endswith(".toml")}
    assert files == set(SHIPPED)
    for instrument_id in files:
        instruments.get(instrument_id)  # parses and passes the checks


def test_instrument_facts_from_the_issue():
    three = instruments.get("3x10d")
    assert not three.has_total and len(three.items) == 10 and (three.min, three.max) == (0, 10)
    assert list(three.scales) == list(three.items)
    assert three.traffic_lights == {"red": (0, 5), "yellow": (6, 7), "green": (8, 10)}
    assert three.norm("health") == (6.83, 2.14)

    esis = instruments.get("esis")
    assert len(esis.items) == 10 and (esis.min, esis.max) == (1, 5)
    assert esis.scales["total"].method == "linear_0_100"
    assert esis.scales["total"].required_items() == 8
    assert esis.reliability["alpha"] == 0.89 and esis.reliability["n"] == 847
    assert esis.extra["group_level_only"] is True

    whodas = instruments.get("whodas12")
    assert not whodas.higher_is_better
    assert whodas.scale_range("total") == (0.0, 48.0)
    assert whodas.scales["total"].required_items() == 10
    assert whodas.norm("total", "physical") == (4.3, 6.1)

    eq = instruments.get("eq5d3l")
    assert eq.item_range("vas") == (0, 100) and eq.item_range("mobility") == (1, 3)
    assert eq.scales["vas"].higher_is_better and not eq.scales["mobility"].higher_is_better

    gas = instruments.get("gas")
    assert (gas.min, gas.max) == (-2, 2) and gas.extra["rho"] == 0.3
    assert gas.scales["tscore"].required_items() == 1
    assert not gas.scales["tscore"].prorate


def test_get_ignores_case_and_punctuation():
    assert instruments.get("WHODAS 12").id == "whodas12"
    assert instruments.get("eq-5d-3l").id == "eq5d3l"
    assert instruments.get(instruments.get("esis")) is instruments.get("esis")
    with pytest.raises(KeyError, match="available"):
        instruments.get("no such scale")
    with pytest.raises(KeyError, match="no item"):
        instruments.get("esis").item_range("s1")


def test_required_items_rounds_up_without_float_noise():
    scale = instruments.Scale("t", tuple("abcdefghij"), "sum", 0.8, True, True)
    assert scale.required_items() == 8
    assert instruments.Scale("t", tuple("abc"), "sum", 0.5, True, True).required_items() == 2
    assert instruments.Scale("t", tuple("abc"), "sum", 1.0, True, True, 1).required_items() == 1


def test_spec_in_sosku_instrument_path_appears(tmp_path, monkeypatch):
    (tmp_path / "mytool.toml").write_text(MINIMAL.format(id="mytool", name="My Tool"), "utf-8")
    monkeypatch.setenv("SOSKU_INSTRUMENT_PATH", str(tmp_path))
    instruments.clear_cache()
    assert "mytool" in instruments.available()
    inst = instruments.get("My Tool")
    assert inst.items == ("a", "b", "c")
    assert list(inst.scales) == ["a", "b", "c"]  # no [[scales]]: one per item
    assert not inst.has_total and inst.headline == "a"
    monkeypatch.delenv("SOSKU_INSTRUMENT_PATH")
    instruments.clear_cache()
    assert "mytool" not in instruments.available()


def test_user_spec_overrides_shipped_one(tmp_path, monkeypatch):
    (tmp_path / "esis.toml").write_text(MINIMAL.format(id="esis", name="ESIS local"), "utf-8")
    monkeypatch.setenv("SOSKU_INSTRUMENT_PATH", str(tmp_path))
    instruments.clear_cache()
    assert instruments.get("esis").name == "ESIS local"


BROKEN = {
    "headline": ('headline = "nope"\n', "headline 'nope' is not a scale"),
    "reverse": ('reverse = ["z"]\n', "reverse names unknown items"),
    "has_total": ("has_total = true\n", "has_total = true"),
    "min_answered": ("[missing]\nmin_answered = 8\n", "min_answered must be a share"),
    "rule": ('[missing]\nrule = "impute"\n', "missing rule 'impute'"),
    "norms": ("[norms.adults]\ntotal = [1.0, 2.0]\n", "'total', which is not a scale"),
    "norm_sd": ("[norms.adults]\na = [1.0, 0]\n", "sd must be positive"),
    "scale_items": ('[[scales]]\nname = "total"\nitems = ["a", "q"]\nmethod = "sum"\n',
                    "unknown items"),
    "method": ('[[scales]]\nname = "total"\nitems = "all"\nmethod = "irt"\n', "method 'irt'"),
    "item_range": ("[item_ranges]\na = [3, 1]\n", "low < high"),
    "traffic": ("[traffic_lights]\nred = [0, 9]\n", "outside"),
    "min_items": ('[[scales]]\nname = "total"\nitems = "all"\nmethod = "sum"\nmin_items = 4\n',
                  "only 3 items"),
}


@pytest.mark.parametrize("case", sorted(BROKEN))
def test_inconsistent_specs_are_rejected_with_a_clear_message(case, tmp_path, monkeypatch):
    extra, message = BROKEN[case]
    text = MINIMAL.format(id="bad", name="Bad")
    # top-level keys must precede tables in TOML
    if extra.startswith("["):
        text += extra
    else:
        text = extra + text
    (tmp_path / "bad.toml").write_text(text, "utf-8")
    monkeypatch.setenv("SOSKU_INSTRUMENT_PATH", str(tmp_path))
    instruments.clear_cache()
    with pytest.raises(ConfigurationError, match=message.replace("(", r"\(").replace("[", r"\[")):
        instruments.get("bad")


def test_spec_missing_a_required_field_or_with_wrong_id(tmp_path, monkeypatch):
    monkeypatch.setenv("SOSKU_INSTRUMENT_PATH", str(tmp_path))
    (tmp_path / "nomax.toml").write_text(
        textwrap.dedent(MINIMAL.format(id="nomax", name="No max")).replace("max = 3\n", ""), "utf-8")
    (tmp_path / "renamed.toml").write_text(MINIMAL.format(id="other", name="Renamed"), "utf-8")
    (tmp_path / "broken.toml").write_text("id = ", "utf-8")
    instruments.clear_cache()
    with pytest.raises(ConfigurationError, match="'max' is missing"):
        instruments.get("nomax")
    with pytest.raises(ConfigurationError, match="must equal the file name"):
        instruments.get("renamed")
    with pytest.raises(ConfigurationError, match="not valid TOML"):
        instruments.get("broken")


def test_unknown_keys_are_kept_in_extra_and_rules_are_known(tmp_path, monkeypatch):
    text = "rho = 0.5\nnote = 'local'\n" + MINIMAL.format(id="x1", name="X1") + (
        '[[scales]]\nname = "total"\nitems = "all"\nmethod = "mean"\nrule = "complete"\n'
        "min_answered = 0.5\n")
    (tmp_path / "x1.toml").write_text(text, "utf-8")
    monkeypatch.setenv("SOSKU_INSTRUMENT_PATH", str(tmp_path))
    instruments.clear_cache()
    inst = instruments.get("x1")
    assert inst.extra == {"rho": 0.5, "note": "local"}
    # rule "complete" overrides a share: every item needed
    assert inst.scales["total"].required_items() == 3
    assert inst.has_total and math.isclose(inst.scale_range("total")[1], 3.0)
    assert set(MISSING_RULES) == {"prorate", "available", "complete"}


def test_display_names_say_what_the_headline_measures():
    # 3X10D has no total score: its headline is one item; EQ-5D-3L's headline is the EQ VAS.
    assert instruments.get("3x10d").display_name("fi") == "3X10D: elämä kokonaisuutena"
    assert instruments.get("3x10d").display_name("en") == "3X10D: life as a whole"
    assert instruments.get("eq5d3l").display_name("fi") == "EQ VAS"
    assert instruments.get("whodas12").display_name("fi") == "WHODAS-12"


def test_one_instrument_order():
    shuffled = ["gas", "whodas12", "eq5d3l", "esis", "3x10d"]
    assert instruments.ordered(shuffled) == list(instruments.ORDER)
    assert instruments.ordered(["zeta", "esis", "alpha"]) == ["esis", "alpha", "zeta"]
