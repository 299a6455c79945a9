"""The DuckDB (out-of-core) path gives the same numbers as the pandas path, to 1e-9."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from soskulib import change, instruments, io, outofcore, process, schema, scoring

MUNICIPALITIES = ("092", "179", "698")
KEEP = ["client_id", "municipality", "occasion"]


def _responses(inst: instruments.Instrument, rng: np.random.Generator, n_clients: int = 150,
               missing: float = 0.12) -> pd.DataFrame:
    """Baseline for every client, end for ~70 %; items on their grid with many gaps."""
    clients = pd.DataFrame({
        "client_id": [f"{i:016x}" for i in rng.choice(2**40, n_clients, replace=False)],
        "municipality": rng.choice(MUNICIPALITIES, n_clients),
    })
    base = clients.assign(occasion="baseline")
    end = clients[rng.random(n_clients) < 0.7].assign(occasion="end")
    frame = pd.concat([base, end], ignore_index=True)
    frame["date"] = pd.Timestamp("2017-01-01") + pd.to_timedelta(
        rng.integers(0, 700, len(frame)), unit="D")
    for item in inst.items:
        lo, hi = inst.item_range(item)
        values = rng.integers(int(lo), int(hi) + 1, len(frame)).astype(float)
        values[rng.random(len(frame)) < missing] = np.nan
        frame[item] = values
    return frame


@pytest.fixture(scope="module")
def processed(tmp_path_factory) -> tuple:
    """Processed-layout parquet of every assessment instrument, written as prepare writes it."""
    root = tmp_path_factory.mktemp("processed")
    rng = np.random.default_rng(20240517)
    frames = {}
    for inst_id in schema.ASSESSMENT_INSTRUMENTS:
        inst = instruments.get(inst_id)
        frame = _responses(inst, rng)
        table = schema.assessment_table(inst_id)
        if any(c.name == "coding" for c in table.columns):  # declared answer coding (WHODAS)
            frame["coding"] = pd.Series(None, index=frame.index, dtype="str")
        io.write_processed(frame.sort_values(["municipality", "client_id", "occasion"]), root,
                           table)
        frames[inst_id] = frame
    return root, frames


def _sorted(frame: pd.DataFrame) -> pd.DataFrame:
    return frame.sort_values(KEEP).reset_index(drop=True)


def _assert_same_scores(pandas_scores: pd.DataFrame, duck: pd.DataFrame, scales) -> None:
    pandas_scores, duck = _sorted(pandas_scores), _sorted(duck)
    pd.testing.assert_frame_equal(pandas_scores[KEEP], duck[KEEP], check_dtype=False)
    for scale in scales:
        left, right = pandas_scores[scale].to_numpy(), duck[scale].to_numpy()
        np.testing.assert_array_equal(np.isnan(left), np.isnan(right), err_msg=scale)
        np.testing.assert_allclose(right, left, rtol=0, atol=1e-9, equal_nan=True, err_msg=scale)


@pytest.mark.parametrize("inst_id", schema.ASSESSMENT_INSTRUMENTS)
def test_score_matches_pandas(processed, inst_id):
    root, frames = processed
    inst = instruments.get(inst_id)
    expected = scoring.score(frames[inst_id], inst, keep=KEEP)
    got = outofcore.score(root, inst, keep=KEEP)
    assert list(got.columns) == KEEP + list(inst.scales)
    assert len(got) == len(frames[inst_id])
    _assert_same_scores(expected, got, inst.scales)
    # the missing-item rule must actually have been exercised
    assert got[inst.headline].isna().any() or inst.scales[inst.headline].required_items() == 1


def test_score_reads_only_requested_municipalities(processed):
    root, frames = processed
    got = outofcore.score(root, "esis", keep=KEEP, municipalities=["179"])
    assert set(got["municipality"]) == {"179"}
    assert len(got) == int((frames["esis"]["municipality"] == "179").sum())


def test_municipality_stays_a_three_character_code(processed):
    root, _ = processed
    got = outofcore.score(root, "whodas12", keep=["municipality"])
    assert set(got["municipality"]) == set(MUNICIPALITIES)


@pytest.mark.parametrize("inst_id", ["esis", "whodas12", "3x10d"])
def test_reliable_change_matches_pandas(processed, inst_id):
    root, frames = processed
    inst = instruments.get(inst_id)
    scale = inst.headline
    scores = scoring.score(frames[inst_id], inst, keep=KEEP)
    pairs = scores[scores["occasion"] == "baseline"].merge(
        scores[scores["occasion"] == "end"], on="client_id", suffixes=("_pre", "_post"))
    sd, reliability = 9.5, 0.85
    expected = change.reliable_change(pairs[f"{scale}_pre"], pairs[f"{scale}_post"], sd=sd,
                                      reliability=reliability,
                                      higher_is_better=inst.scales[scale].higher_is_better)
    expected["client_id"] = pairs["client_id"]
    expected = expected.sort_values("client_id").reset_index(drop=True)
    got = outofcore.reliable_change(root, inst, sd=sd, reliability=reliability)
    assert list(got["client_id"]) == list(expected["client_id"])
    for column in ("change", "rci"):
        np.testing.assert_allclose(got[column], expected[column], rtol=0, atol=1e-9,
                                   equal_nan=True)
    assert got["category"].fillna("NA").tolist() == \
        expected["category"].astype(object).fillna("NA").tolist()
    assert set(got["category"].dropna()) >= {"unchanged"}


def test_out_of_range_item_is_named(tmp_path):
    inst = instruments.get("esis")
    frame = _responses(inst, np.random.default_rng(1), n_clients=20, missing=0.0)
    frame.loc[3, "esis04"] = 6.0
    io.write_processed(frame, tmp_path, schema.assessment_table("esis"))
    with pytest.raises(ValueError, match="esis04"):
        outofcore.score(tmp_path, "esis")


def test_missing_table_says_what_to_do(tmp_path):
    with pytest.raises(FileNotFoundError, match="sosku prepare"):
        outofcore.score(tmp_path, "esis")


def test_reverse_items_and_other_methods_match_pandas(tmp_path, monkeypatch):
    """A spec with a reverse-keyed item, mean/sum/linear scales and no prorating."""
    specs = tmp_path / "specs"
    specs.mkdir()
    (specs / "revtest.toml").write_text(
        'id = "revtest"\nname = "REVTEST"\nmin = 1\nmax = 5\nhigher_is_better = true\n'
        'reverse = ["r2"]\nitems = ["r1", "r2", "r3", "r4"]\n'
        '[[scales]]\nname = "mean"\nitems = "all"\nmethod = "mean"\nmin_answered = 0.5\n'
        '[[scales]]\nname = "plain"\nitems = ["r1", "r2", "r3"]\nmethod = "sum"\n'
        'rule = "available"\nmin_items = 2\n'
        '[[scales]]\nname = "total"\nitems = "all"\nmethod = "linear_0_100"\n'
        '[item_ranges]\nr4 = [0, 10]\n'
        '[missing]\nrule = "prorate"\nmin_answered = 0.75\n', encoding="utf-8")
    monkeypatch.setenv("SOSKU_INSTRUMENT_PATH", str(specs))
    instruments._load.cache_clear()
    try:
        inst = instruments.get("revtest")
        frame = _responses(inst, np.random.default_rng(7), n_clients=120, missing=0.25)
        frame.drop(columns="date").to_parquet(tmp_path / "responses_revtest",
                                              partition_cols=["municipality"])
        expected = scoring.score(frame, inst, keep=KEEP)
        got = outofcore.score(tmp_path, inst, keep=KEEP)
        _assert_same_scores(expected, got, inst.scales)
    finally:
        instruments._load.cache_clear()


def test_gas_tscore_matches_pandas(tmp_path):
    inst = instruments.get("gas")
    frame = _responses(inst, np.random.default_rng(3), n_clients=80, missing=0.4)
    frame.to_parquet(tmp_path / "responses_gas", partition_cols=["municipality"])
    _assert_same_scores(scoring.score(frame, inst, keep=KEEP),
                        outofcore.score(tmp_path, inst, keep=KEEP), inst.scales)


@settings(max_examples=40, deadline=None)
@given(st.lists(st.lists(st.one_of(st.none(), st.integers(1, 5)), min_size=10, max_size=10),
                min_size=1, max_size=12))
def test_scoring_sql_equals_pandas_for_any_missing_pattern(rows):
    """Edge cases of the missing rule (all missing, exactly 8 of 10) via a registered frame."""
    inst = instruments.get("esis")
    frame = pd.DataFrame(rows, columns=list(inst.items), dtype=float)
    frame.insert(0, "client_id", [f"c{i:03d}" for i in range(len(frame))])
    con = outofcore.connect(memory_limit="256MB")
    con.register("responses", frame)
    got = outofcore.fetch_frame(
        con, outofcore.scoring_query("responses", inst, keep=["client_id"]) + " ORDER BY 1")
    expected = scoring.score(frame, inst)
    np.testing.assert_allclose(got["total"], expected["total"], rtol=0, atol=1e-9,
                               equal_nan=True)


def test_connect_applies_memory_limit_and_temp_directory(tmp_path):
    con = outofcore.connect(memory_limit="300MB", temp_directory=tmp_path / "spill", threads=1)
    limit, temp, threads = con.execute(
        "SELECT current_setting('memory_limit'), current_setting('temp_directory'), "
        "current_setting('threads')").fetchone()
    assert limit.endswith("MiB") and float(limit.split()[0]) < 300
    assert temp == str(tmp_path / "spill")
    assert int(threads) == 1
    with pytest.raises(ValueError, match="threads"):
        outofcore.connect(threads=0)


# ---------------------------------------------------------------------------------------------
# evaluation figures: DuckDB vs an independent pandas computation
# ---------------------------------------------------------------------------------------------

EXPORT = pd.Timestamp("2018-12-31")


@pytest.fixture(scope="module")
def service(tmp_path_factory) -> tuple:
    """Small processed clients/contacts/goals/subprojects tables with every edge case."""
    root = tmp_path_factory.mktemp("service")
    rng = np.random.default_rng(99)
    n = 90
    start = pd.Timestamp("2016-01-01") + pd.to_timedelta(rng.integers(0, 900, n), unit="D")
    ended = rng.random(n) < 0.75
    end = (start + pd.to_timedelta(rng.integers(0, 400, n), unit="D")).where(ended)
    clients = pd.DataFrame({
        "municipality": rng.choice(MUNICIPALITIES, n),
        "client_id": [f"{i:016x}" for i in range(n)],
        "gender": rng.choice(["male", "female", "other"], n),
        "target_group": "adult_social_work",
        "start_date": start, "end_date": end,
        "end_reason": pd.Series(rng.choice(["completed", "dropped_out", "moved", "other"], n),
                                dtype="str").where(ended),
        "pathway": pd.Series(["none"] * n, dtype="str").where(ended),
        "age": rng.integers(18, 64, n), "age_group": "30–49",
    })
    # Six people come back for a second episode: contacts and goals must go to the right one.
    again = clients[clients["end_date"].notna()].head(6).copy()
    again["start_date"] = again["end_date"] + pd.Timedelta(days=30)
    again["end_date"] = pd.NaT
    again["end_reason"] = pd.NA
    clients = pd.concat([clients, again], ignore_index=True)
    per = rng.poisson(8, n)
    per[:5] = 0  # clients without any contact still count
    owner = np.repeat(np.arange(n), per)
    contacts = pd.DataFrame({
        "municipality": clients["municipality"].to_numpy()[owner],
        "client_id": clients["client_id"].to_numpy()[owner],
        "date": clients["start_date"].to_numpy()[owner]
        + pd.to_timedelta(rng.integers(0, 500, len(owner)), unit="D").to_numpy(),
        "minutes": rng.integers(15, 180, len(owner)),
        "mode": rng.choice(["individual", "group", "outreach"], len(owner), p=[0.6, 0.3, 0.1]),
        "content": rng.choice(["needs_assessment", "counselling_coordination", "group_activity",
                               "daily_living_coaching", "other"], len(owner)),
    })
    has_goal = rng.random(n) < 0.7
    goals = pd.DataFrame({
        "municipality": clients["municipality"][:n][has_goal],
        "client_id": clients["client_id"][:n][has_goal],
        "goal_no": 1, "life_area": "housing", "weight": 1.0,
        "set_date": start[has_goal] + pd.Timedelta(days=200),
        "baseline_level": -1.0, "review_date": pd.NaT, "attainment": np.nan,
    })
    subprojects = pd.DataFrame({"municipality": list(MUNICIPALITIES[:2]), "name": ["a", "b"],
                                "planned_clients": [30, 40], "instruments": "esis"})
    for frame, table in ((clients, schema.CLIENTS), (contacts, schema.CONTACTS),
                         (goals, schema.GOALS), (subprojects, schema.SUBPROJECTS)):
        # columns of the development-work layout (optional) are empty here
        added = [c for c in io.processed_dtypes(table) if c not in frame.columns]
        frame = frame.assign(**{c: pd.Series(None, index=frame.index, dtype="str") for c in added})
        io.write_processed(frame, root, table)
    return root, clients, contacts, goals, subprojects


def _assert_frames_close(got: pd.DataFrame, expected: pd.DataFrame) -> None:
    assert list(got.columns) == list(expected.columns)
    for column in expected.columns:
        if pd.api.types.is_numeric_dtype(expected[column]):
            np.testing.assert_allclose(got[column].astype(float), expected[column].astype(float),
                                       rtol=0, atol=1e-9, equal_nan=True, err_msg=column)
        else:
            assert got[column].tolist() == expected[column].tolist(), column


def _episodes(root, export_date=None, **rule):
    """The pandas path: soskulib.process.client_episodes on the loaded tables."""
    tables = {t: io.load_processed(root, t) for t in ("clients", "contacts", "goals")}
    return process.client_episodes(tables["clients"], tables["contacts"], tables["goals"],
                                   export_date=export_date,
                                   rule=process.FidelityRule(**rule))


@pytest.mark.filterwarnings("ignore:disclosure control is off")
def test_reach_matches_pandas(service):
    root, *_ = service
    clients, subprojects = io.load_processed(root, "clients"), io.load_processed(root, "subprojects")
    expected = process.reach(clients, subprojects, by="municipality", suppress=False, min_cell=1)
    got = outofcore.reach(root)
    _assert_frames_close(got, expected[list(got.columns)])
    assert got["share_of_plan"].isna().sum() == 1  # the municipality without a sub-project row


def test_retention_matches_pandas(service):
    root, clients, *_ = service
    ended = clients[clients["end_date"].notna()]
    expected = clients.groupby("municipality").size().rename("episodes").to_frame()
    expected["ended"] = ended.groupby("municipality").size()
    reasons = list(schema.END_REASON_LABELS)
    for r in reasons:
        expected[f"n_{r}"] = (ended["end_reason"] == r).groupby(ended["municipality"]).sum()
    for r in reasons:
        expected[f"share_{r}"] = expected[f"n_{r}"] / expected["ended"]
    _assert_frames_close(outofcore.retention(root), expected.reset_index())


@pytest.mark.parametrize("export_date", [None, EXPORT])
def test_dose_matches_client_episodes(service, export_date):
    root, *_ = service
    ep = _episodes(root, export_date)
    g = ep.groupby("municipality")
    expected = pd.DataFrame({
        "episodes": g.size(), "contacts": g["n_contacts"].sum(),
        "hours_mean": g["hours"].mean(), "hours_median": g["hours"].median(),
        "contacts_mean": g["n_contacts"].mean(), "contacts_median": g["n_contacts"].median(),
        "weeks_mean": g["weeks_in_service"].mean(), "weeks_median": g["weeks_in_service"].median(),
        "contacts_per_month_mean": g["contacts_per_month"].mean(),
        "share_individual": g["n_individual"].sum() / g["n_contacts"].sum(),
        "share_group": g["n_group"].sum() / g["n_contacts"].sum(),
        "share_outreach": g["n_outreach"].sum() / g["n_contacts"].sum(),
    }).reset_index()
    _assert_frames_close(outofcore.dose(root, export_date=export_date), expected)


@pytest.mark.parametrize("min_individual", [0, 4, 9])
def test_fidelity_matches_client_episodes(service, min_individual):
    root, *_ = service
    ep = _episodes(root, min_individual_contacts=min_individual)
    g = ep.groupby("municipality")
    expected = pd.DataFrame({"episodes": g.size()})
    for element in process.FIDELITY_ELEMENTS:
        expected[f"share_{element}"] = g[element].mean()
    expected["share_all_four"] = g["all_four"].mean()
    expected["fidelity_index"] = g["n_elements"].mean() / 4
    got = outofcore.fidelity(root, min_individual=min_individual)
    _assert_frames_close(got, expected.reset_index())
    assert 0 < got["share_all_four"].max() < 1


def test_write_scores_and_change_summary_agree_with_row_level_results(processed, tmp_path):
    root, _ = processed
    out = outofcore.write_scores(root, "esis", tmp_path / "scores")
    written = pd.read_parquet(out).sort_values(KEEP).reset_index(drop=True)
    direct = outofcore.score(root, "esis")
    np.testing.assert_allclose(np.sort(written["total"].dropna()), np.sort(direct["total"].dropna()),
                               rtol=0, atol=1e-12)
    summary = outofcore.reliable_change_summary(root, "esis", reliability=0.89)
    sd = summary["sd"].iloc[0]
    scores = direct[direct["occasion"] == "baseline"]["total"]
    assert sd == pytest.approx(scores.std(ddof=1), abs=1e-9)
    rows = outofcore.reliable_change(root, "esis", sd=sd, reliability=0.89)
    counts = rows.groupby("municipality")["category"].value_counts().unstack(fill_value=0)
    for category in ("improved", "unchanged", "deteriorated"):
        assert summary.set_index("municipality")[category].to_dict() == \
            counts.get(category, pd.Series(0, index=counts.index)).to_dict()
    assert (summary["pairs"] == rows.groupby("municipality").size().to_numpy()).all()


def test_nan_items_written_by_pyarrow_count_as_missing(tmp_path):
    """NaN (not null) in several parquet files: parquet min/max statistics skip NaN, and the
    scoring SQL must still see them as missing (regression: DuckDB statistics propagation)."""
    import pyarrow as pa
    import pyarrow.parquet as pq

    inst = instruments.get("esis")
    frame = _responses(inst, np.random.default_rng(5), n_clients=200, missing=0.15)
    folder = tmp_path / "responses_esis"
    for part, (code, rows) in enumerate(frame.groupby("municipality")):
        target = folder / f"municipality={code}" / f"part-{part}.parquet"
        target.parent.mkdir(parents=True)
        arrays = {c: pa.array(rows[c].to_numpy(), from_pandas=False) for c in inst.items}
        arrays.update(client_id=pa.array(rows["client_id"].tolist()),
                      occasion=pa.array(rows["occasion"].tolist()))
        pq.write_table(pa.table(arrays), target)
        assert pq.read_table(target).column("esis01").null_count == 0  # NaN, not null
    _assert_same_scores(scoring.score(frame, inst, keep=KEEP),
                        outofcore.score(tmp_path, inst, keep=KEEP), inst.scales)
