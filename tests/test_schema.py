"""The data model is internally consistent: codes labelled, names unique, organisations known."""

from __future__ import annotations

import pytest

from soskulib import schema


def test_every_code_has_a_label_in_both_languages():
    pairs = [
        (schema.GENDER, schema.GENDER_LABELS),
        (schema.TARGET_GROUP, schema.TARGET_GROUP_LABELS),
        (schema.END_REASON, schema.END_REASON_LABELS),
        (schema.PATHWAY, schema.PATHWAY_LABELS),
        (schema.CONTACT_MODE, schema.CONTACT_MODE_LABELS),
        (schema.CONTACT_CONTENT, schema.CONTACT_CONTENT_LABELS),
        (schema.LIFE_AREA, schema.LIFE_AREA_LABELS),
        (schema.OCCASION, schema.OCCASION_LABELS),
        (schema.ACTIVITY_TYPE, schema.ACTIVITY_TYPE_LABELS),
    ]
    for codes, labels in pairs:
        assert set(codes.values()) == set(labels), codes
        for fi, en in labels.values():
            assert fi and en


def test_table_and_column_names_are_unique():
    tables = schema.tables()
    assert len({t.raw for t in tables}) == len(tables)
    assert len({t.name for t in tables}) == len(tables)
    for t in tables:
        assert len(set(t.raw_columns)) == len(t.columns), t.raw
        assert len({c.name for c in t.columns}) == len(t.columns), t.name
        assert set(t.key) <= {c.name for c in t.columns}, t.name


def test_code_columns_declare_codes_and_ranges_are_ordered():
    for t in schema.tables():
        for c in t.columns:
            if c.kind == "code":
                assert c.codes, (t.name, c.name)
            if c.min is not None and c.max is not None:
                assert c.min < c.max, (t.name, c.name)


def test_assessment_tables_take_items_and_ranges_from_instrument_specs():
    eq = schema.assessment_table("eq5d3l")
    assert eq.column("vas").max == 100
    assert eq.column("mobility").max == 3
    assert schema.table_by_raw_name("MITTARI_ESIS").name == "responses_esis"
    assert schema.table_by_raw_name("unknown") is None


def test_organisations_and_quality_criteria():
    orgs = schema.organisations()
    assert len(orgs) >= 9
    assert orgs["code"].str.fullmatch(r"\d{3}").all()
    assert orgs["code"].is_unique and orgs["slug"].is_unique
    crit = schema.quality_criteria()
    assert list(crit["criterion"]) == list(range(1, 11))


def test_label_lookup():
    assert schema.label("gender", "female", "fi") == "nainen"
    with pytest.raises(KeyError):
        schema.label("gender", "nonexistent")


def test_schema_is_read_from_its_data_file():
    """The tables, columns and code lists are declared once, in soskulib/data/schema.toml."""
    import tomllib
    from importlib import resources

    spec = tomllib.loads(resources.files("soskulib.data").joinpath("schema.toml").read_text(
        encoding="utf-8"))
    assert list(schema.TABLES) == list(spec["tables"])
    assert [t.name for t in schema.tables()[:len(schema.TABLES)]] == list(spec["tables"])
    for name, rows in spec["code_lists"].items():
        assert list(schema.CODE_LABELS[name]) == [row["code"] for row in rows]
        if name in schema.CODES:
            assert list(schema.CODES[name]) == [row["raw"] for row in rows]
    # the names modules use are the same objects as the lists by name
    assert schema.CONTACT_MODE is schema.CODES["mode"]
    assert schema.PATHWAY_LABELS is schema.CODE_LABELS["pathway"]
    assert schema.CLIENTS.column("gender").codes is schema.CODES["gender"]
    # one count column per participant role; the roles added later are optional
    roles = [c for c in schema.ACTIVITIES.columns if c.name in schema.ACTIVITY_ROLES]
    assert [c.name for c in roles] == list(schema.ACTIVITY_ROLES)
    assert {c.name for c in roles if not c.required} == set(schema.OPTIONAL_ACTIVITY_ROLES)
    assert schema.ACTIVITIES.column("asiakasraati").label_fi == "osallistujat: asiakasraadin jäsenet"
    assert set(schema.LIVED_EXPERIENCE_ROLES) < set(schema.ACTIVITY_ROLES)


def test_a_broken_schema_entry_names_the_file_and_the_place():
    bad = {"raw": "x", "name": "x", "kind": "code", "label_fi": "x", "label_en": "x",
           "codes": "no_such_list"}
    with pytest.raises(ValueError, match=r"schema\.toml: \[tables\.t\] column 3: .*no_such_list"):
        schema._column(bad, "[tables.t] column 3")
    with pytest.raises(ValueError, match=r"schema\.toml: \[columns\.c\]: .*colour"):
        schema._column({**bad, "codes": "gender", "colour": "red"}, "[columns.c]")


@pytest.mark.parametrize("lang", ["fi", "en"])
def test_an_experiment_s_target_series_is_named_as_the_outcome_tables_name_it(lang):
    """The series of an instrument an experiment targets is its headline scale's mean change:
    3X10D's is the item on life as a whole, EQ-5D-3L's the EQ VAS (issue 15: one name)."""
    from soskulib import instruments

    for code in schema.CODE_LABELS["target_measure"]:
        if code in instruments.available():
            assert schema.label("target_measure", code, lang) == \
                instruments.get(code).display_name(lang), code
