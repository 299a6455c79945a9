"""Tests of the synthetic demo export (soskulib.demo).

The default-size export is generated once per session; an independent, minimal validator here
checks that the planted problems are exactly the rule breaks in the export.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import json
from pathlib import Path

import numpy as np
import pandas as pd
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from soskulib import demo, demo_development, instruments, schema
from soskulib.errors import ConfigurationError

REQUIRED_RULES = {"duplicate_row", "duplicate_key", "out_of_range", "impossible_date",
                  "end_before_start", "unknown_code", "invalid_hetu", "not_a_number",
                  "missing_required", "unknown_client"}


@pytest.fixture(scope="module")
def export(tmp_path_factory) -> Path:
    return demo.write_demo(tmp_path_factory.mktemp("demo") / "demo", seed=2015)


@pytest.fixture(scope="module")
def truth(export) -> dict:
    return json.loads((export / "truth.json").read_text(encoding="utf-8"))


def _cell_text(value) -> str:
    if value is None or (isinstance(value, float) and np.isnan(value)):
        return ""
    if isinstance(value, dt.datetime | pd.Timestamp):
        return value.strftime("%d.%m.%Y")
    if isinstance(value, float):
        return str(int(value)) if value.is_integer() else str(value).replace(".", ",")
    return str(value)


def read_org(export: Path, truth: dict, code: str) -> dict[str, tuple[pd.DataFrame, str, str | None]]:
    """All tables of one organisation as text: table -> (frame, file, sheet)."""
    delivery = truth["deliveries"][code]
    folder = next(export.glob(f"{code}_*"))
    out = {}
    if delivery["format"] == "xlsx":
        path = folder / delivery["file"]
        for sheet, frame in pd.read_excel(path, sheet_name=None, dtype=object).items():
            text = frame.apply(lambda col: col.map(_cell_text)).astype(str)
            out[sheet] = (text, f"{folder.name}/{path.name}", sheet)
    else:
        for path in sorted(folder.glob("*.csv")):
            frame = pd.read_csv(path, sep=";", dtype=str, keep_default_na=False,
                                encoding=delivery["encoding"])
            out[path.stem] = (frame, f"{folder.name}/{path.name}", None)
    return out


def hetu_valid(codes: pd.Series) -> np.ndarray:
    parts = codes.str.extract(r"^(\d{6})([-A])(\d{3})(.)$")
    ok = parts.notna().all(axis=1).to_numpy()
    number = pd.to_numeric(parts[0] + parts[2], errors="coerce").fillna(0).astype(np.int64)
    expected = np.array(list(demo.HETU_CHECK))[number.to_numpy() % 31]
    return ok & (parts[3].to_numpy() == expected)


def find_problems(export: Path, truth: dict) -> set[tuple]:
    """Independent minimal validator: every rule break as (file, sheet, row, column, rule)."""
    found = set()
    for code in truth["sizes"]:
        tables = read_org(export, truth, code)
        clients = set(tables["asiakkaat"][0]["henkilotunnus"])
        for name, (df, file, sheet) in tables.items():
            table = schema.table_by_raw_name(name)
            assert list(df.columns) == table.raw_columns, f"{file}: header"
            rows = np.arange(len(df)) + 2

            def add(mask, column, rule, file=file, sheet=sheet, rows=rows):
                found.update((file, sheet, int(r), column, rule) for r in rows[np.asarray(mask)])

            for col in table.columns:
                s = df[col.raw]
                empty = s == ""
                if col.required:
                    add(empty, col.raw, "missing_required")
                if col.kind == "date":
                    bad = pd.to_datetime(s, format="%d.%m.%Y", errors="coerce").isna() & ~empty
                    add(bad, col.raw, "impossible_date")
                elif col.kind == "code":
                    add(~s.isin(list(col.codes)) & ~empty, col.raw, "unknown_code")
                elif col.kind in ("int", "float", "item"):
                    x = pd.to_numeric(s.str.replace(",", ".", regex=False), errors="coerce")
                    if col.kind == "item" and "koodaus" in df.columns:  # declared 1-5 coding
                        x = x - (df["koodaus"] == "1-5").to_numpy()
                    add(x.isna() & ~empty, col.raw, "not_a_number")
                    add((x < col.min) | (x > col.max), col.raw, "out_of_range")
                elif col.kind == "hetu":
                    add(~hetu_valid(s), col.raw, "invalid_hetu")
            if name == "asiakkaat":
                start = pd.to_datetime(df["alkupvm"], format="%d.%m.%Y", errors="coerce")
                end = pd.to_datetime(df["loppupvm"], format="%d.%m.%Y", errors="coerce")
                add(end < start, "loppupvm", "end_before_start")
            elif table.personal:
                add(~df["henkilotunnus"].isin(clients), "henkilotunnus", "unknown_client")
            exact = df.duplicated()
            add(exact, "-", "duplicate_row")
            key = [table.column(k).raw for k in table.key]
            add(df.duplicated(key) & ~exact, key[0], "duplicate_key")
    return found


# ---------------------------------------------------------------------------------------------


def test_same_seed_gives_identical_bytes(tmp_path):
    a = demo.write_demo(tmp_path / "a", seed=2015, n_clients=150)
    b = demo.write_demo(tmp_path / "b", seed=2015, n_clients=150)

    def digests(root: Path) -> dict[str, str]:
        return {str(p.relative_to(root)): hashlib.sha256(p.read_bytes()).hexdigest()
                for p in sorted(root.rglob("*")) if p.is_file()}

    da, db = digests(a), digests(b)
    # top level + per organisation (each CSV organisation also writes kokeilut.csv; three
    # write ryhmakerrat.csv; Essote's tables are sheets of one workbook)
    assert len(da) == 3 + 8 + 9 + 1 + 8 + 8 + 7 + 7 + 8 + 7 + 8 + 3
    assert da == db
    assert "491_essote/sosku_essote.xlsx" in da


def test_default_layout_and_sizes(export, truth):
    orgs = schema.organisations()
    top = sorted(p.name for p in export.iterdir())
    expected_folders = sorted(f"{c}_{s}" for c, s in zip(orgs["code"], orgs["slug"], strict=True))
    assert top == sorted(expected_folders + ["README.md", "osahankkeet.csv", "truth.json"])
    readme = (export / "README.md").read_text(encoding="utf-8")
    assert "SYNTHETIC" in readme and "soskulib.pseudonym.DEMO_KEY" in readme
    assert sum(p.stat().st_size for p in export.rglob("*") if p.is_file()) < 5_000_000

    assert truth["sizes"] == demo.DEFAULT_SIZES
    assert all(40 <= n <= 400 for n in truth["sizes"].values())
    sub = pd.read_csv(export / "osahankkeet.csv", sep=";", dtype=str, keep_default_na=False)
    used = {code: set(m.split(",")) for code, m in zip(sub["kunta"], sub["mittarit"], strict=True)}
    for inst in schema.ASSESSMENT_INSTRUMENTS:
        assert sum(inst in u for u in used.values()) >= 5, inst
    # planned numbers as in the programme documents: SOSKU 550 (seed 001), SOS-Kainuu ~100
    planned = sub.set_index("kunta")["suunniteltu_asiakasmaara"].astype(int)
    assert planned.drop("205").sum() == 550 and planned["205"] == 100
    assert planned.to_dict() == truth["planned_clients"] == demo.planned_clients()
    # what the seeds do not give (the split, the simulated client numbers) is an assumption,
    # said so in the export itself, and reach against plan is what that assumption makes it
    assert "ASSUMPTION" in truth["planned_clients_source"]
    assert "## Assumptions / oletukset" in readme and "ASSUMPTION" in readme
    reach = pd.Series(truth["sizes"]) / planned
    assert reach.drop("205").between(2.0, 3.0).all() and 0.9 <= reach["205"] <= 1.3

    inserted = {}
    for p in truth["planted_problems"]:
        if p["file"].endswith("asiakkaat.csv") and p["rule"] in ("duplicate_key", "end_before_start",
                                                                   "unknown_code", "invalid_hetu"):
            inserted[p["file"][:3]] = inserted.get(p["file"][:3], 0) + 1
    for code in truth["sizes"]:
        tables = read_org(export, truth, code)
        expected = {"asiakkaat", "kaynnit", "tavoitteet", "kehittaminen", "laatukriteerit",
                    "kokeilut"}
        expected |= {"ryhmakerrat"} if code in ("092", "205", "698") else set()
        expected |= {f"mittari_{i}" for i in used[code]}
        assert set(tables) == expected, code
        assert len(tables["asiakkaat"][0]) == truth["sizes"][code] + inserted.get(code, 0)
        assert len(tables["laatukriteerit"][0]) == 10 * len(demo.QUALITY_YEARS)
        assert (tables["asiakkaat"][0]["kunta"] == code).all()


def test_planted_problems_are_exactly_the_rule_breaks(export, truth):
    planted = truth["planted_problems"]
    assert len(planted) >= 15
    assert {p["rule"] for p in planted} == REQUIRED_RULES
    assert {p["rule"] for p in planted} <= set(demo.PROBLEM_RULES)
    expected = {(p["file"], p.get("sheet"), p["row"], p["column"], p["rule"]) for p in planted}
    assert find_problems(export, truth) == expected


def test_identity_codes(export, truth):
    invalid_planted = {(p["file"], p["row"]) for p in truth["planted_problems"] if p["rule"] == "invalid_hetu"}
    frames = []
    for code in truth["sizes"]:
        df, file, _ = read_org(export, truth, code)["asiakkaat"]
        df = df.assign(file=file, row=np.arange(len(df)) + 2)
        frames.append(df)
    clients = pd.concat(frames, ignore_index=True)
    planted = clients.apply(lambda r: (r["file"], r["row"]) in invalid_planted, axis=1)
    hetu = clients["henkilotunnus"]
    assert (hetu_valid(hetu) == ~planted).all()
    number = hetu.str[7:10].astype(int)
    assert number.between(900, 999).all()
    odd = number % 2 == 1
    assert (odd[clients["sukupuoli"] == "1"]).all()
    assert (~odd[clients["sukupuoli"] == "2"]).all()
    assert 0.01 <= (clients["sukupuoli"] == "3").mean() <= 0.035
    assert 0.55 <= (clients["sukupuoli"] == "1").mean() <= 0.65
    dup_key = sum(p["rule"] == "duplicate_key" for p in truth["planted_problems"])
    assert hetu.duplicated().sum() == dup_key  # unique across the export except the planted one

    ok = ~planted.to_numpy()
    century = np.where(hetu[ok].str[6] == "A", "20", "19")
    birth = pd.to_datetime(hetu[ok].str[:4] + century + hetu[ok].str[4:6], format="%d%m%Y")
    start = pd.to_datetime(clients.loc[ok, "alkupvm"], format="%d.%m.%Y")
    age = (start.dt.year - birth.dt.year
           - ((start.dt.month * 100 + start.dt.day) < (birth.dt.month * 100 + birth.dt.day)))
    group = clients.loc[ok, "kohderyhma"]
    assert age[group == "nuori_13_17"].between(13, 17).all()
    assert age[group == "nuori"].between(18, 29).all()
    assert age[~group.isin(["nuori", "nuori_13_17"])].between(20, 64).all()
    assert set(clients.loc[ok, "kunta"][group == "nuori_13_17"]) == {"698"}


@settings(max_examples=200, deadline=None)
@given(st.dates(dt.date(1900, 1, 1), dt.date(2099, 12, 31)), st.integers(900, 999))
def test_vectorised_hetu_matches_scalar_rule(day, number):
    code = demo._hetu_strings(np.array([np.datetime64(day, "D")]), np.array([number]))[0]
    ddmmyy = day.strftime("%d%m%y")
    assert code[:6] == ddmmyy and code[7:10] == f"{number:03d}"
    assert code[6] == ("A" if day.year >= 2000 else "-")
    assert code[-1] == demo.hetu_check_character(ddmmyy, number)


def test_truth_document(truth):
    assert truth["synthetic"] is True
    assert truth["generator"]["seed"] == 2015
    assert "informative dropout" in truth["missingness"]
    assert truth["dropout_model"]["b_early"] > 0
    assert truth["estimand"]["metric"] == "SMCR"
    for inst_id, doc in truth["instruments"].items():
        inst = instruments.get(inst_id)
        assert doc["headline"] == inst.headline
        assert doc["mu"] == demo.TRUE_MU[inst_id] and 0.1 <= doc["tau"] <= 0.15
        users = {c for c, p in demo.PROFILES.items() if inst_id in p.instruments}
        assert set(doc["theta"]) == set(doc["latent_shift"]) == users
        thetas = np.array(list(doc["theta"].values()))
        assert np.all(np.abs(thetas - doc["mu"]) < 4 * doc["tau"])
    assert set(truth["fidelity"]) == set(demo.DEFAULT_SIZES)
    signal = truth["signals"]["092"]
    assert signal["from_quarter"] == "2017Q1" and signal["dropout_after"] < signal["dropout_before"]


@pytest.mark.parametrize(("inst_id", "code"), [("esis", "092"), ("whodas12", "491"),
                                               ("eq5d3l", "205"), ("3x10d", "410")])
def test_recorded_theta_is_the_population_smcr(inst_id, code):
    """A large independent sample reproduces the recorded truth within Monte Carlo error."""
    truth = demo.true_effects(2015)
    shift = truth["instruments"][inst_id]["latent_shift"][code]
    pre, post = demo.simulate_pre_post(inst_id, truth["baseline_offset"][code], shift, 400_000,
                                       np.random.default_rng(12345))
    # SE of the SMCR at n = 400k is about 0.0017; 0.008 allows for calibration error too
    assert demo.smcr(inst_id, pre, post) == pytest.approx(truth["instruments"][inst_id]["theta"][code],
                                                           abs=0.008)


@pytest.mark.parametrize(("inst_id", "code"), [("esis", "092"), ("esis", "491"), ("whodas12", "205")])
def test_completer_truth_is_what_complete_pairs_estimate(inst_id, code):
    """Sampling each client's calendar and end reason reproduces theta_completers.

    An independent sample (its own seed) goes through the generator's mechanism drawn as
    Bernoulli events rather than as weights: start date in the organisation's own window
    (SOS-Kainuu 205 from 2017), the dropout regime of the development signal (Vantaa 092),
    end reason (dropout probit in well-being and early progress), duration, a baseline only
    on or after the instrument's introduction (ESIS 2017), censoring at the export date and
    the end-assessment chance; then the SMCR of the complete pairs. Vantaa's ESIS is where
    the old whole-window truth was 0.012–0.016 too high.
    """
    truth = demo.true_effects(2015)
    doc = truth["instruments"][inst_id]
    prof = demo.PROFILES[code]
    rng = np.random.default_rng(4242)
    n = 400_000
    crn = demo._draws(inst_id, n, rng)
    offset = truth["baseline_offset"][code]
    pre = demo._crn_scores(inst_id, crn, offset, 0.0, post=False)
    post = demo._crn_scores(inst_id, crn, offset, doc["latent_shift"][code], post=True)
    first = demo_development.first_day(code)
    start = first + np.floor(rng.random(n) ** 0.9 * (demo._days(str(demo.START_LAST)) - first + 1))
    p = np.full(n, prof.dropout)
    if prof.signal_from is not None:
        p = np.where(start >= demo._days(prof.signal_from), prof.dropout_after, p)
    p_drop = demo.dropout_probability(p, crn["wellbeing"], crn["early"])
    u = rng.random(n)
    moved, other = demo.OTHER_REASONS["muutti"], demo.OTHER_REASONS["muu"]
    reason = np.where(u < p_drop, "keskeytti", np.where(u < p_drop + moved, "muutti",
                      np.where(u < p_drop + moved + other, "muu", "valmis")))
    shape_mean = pd.DataFrame(demo.DURATION, index=["shape", "mean"]).T.loc[reason]
    shape, mean = shape_mean["shape"].to_numpy(), shape_mean["mean"].to_numpy()
    end = start + np.maximum(14, rng.gamma(shape, mean / shape)).astype(np.int64)
    export = int(demo.EXPORT_DATE.astype(np.int64))
    available = demo._days(instruments.get(inst_id).available_from)
    baseline_day = np.minimum(start + rng.integers(0, 22, n), np.minimum(end, export))
    assessed = ((rng.random(n) < demo.P_BASELINE) & (baseline_day >= available) & (end <= export)
                & (rng.random(n) < pd.Series(reason).map(demo.P_END_ASSESSMENT).to_numpy()))
    completers = demo.smcr(inst_id, pre[assessed], post[assessed])
    # SE about 0.003 at these sizes, plus the calibration sample's error of the truth
    assert completers == pytest.approx(doc["theta_completers"][code], abs=0.008)
    # dropout is informative: complete pairs over-state the change of all starters
    assert doc["theta_completers"][code] > doc["theta"][code] + 0.02
    assert p_drop.mean() == pytest.approx(p.mean(), abs=0.005)


def test_generated_complete_pairs_estimate_the_completers_truth():
    """The generator's own tables (a large organisation): complete pairs land on theta_completers.

    Guards the link between the dropout draw and the outcome latents (both must follow the
    clients when they are put in export order).
    """
    truth = demo.true_effects(2015)
    org = demo._generate_org("491", 20000, 2015, truth, demo._HetuRegistry())
    table = org.tables["mittari_esis"]
    items = table[list(instruments.get("esis").items)].astype("float64").to_numpy()
    frame = pd.DataFrame({"id": table["henkilotunnus"].astype(str),
                          "occ": table["mittauskerta"].astype(str).map(schema.OCCASION),
                          "score": demo.headline_score("esis", items)})
    pre = frame[frame["occ"] == "baseline"].set_index("id")["score"]
    post = frame[frame["occ"] == "end"].set_index("id")["score"].reindex(pre.index)
    ok = post.notna().to_numpy()
    doc = truth["instruments"]["esis"]
    cc = demo.smcr("esis", pre.to_numpy()[ok], post.to_numpy()[ok])
    assert cc == pytest.approx(doc["theta_completers"]["491"], abs=0.03)
    assert cc > doc["theta"]["491"] + 0.03
    done_by_tertile = post.notna().groupby(pd.qcut(pre, 3, labels=False)).mean()
    assert done_by_tertile.iloc[0] < done_by_tertile.iloc[2]   # worse start, more dropout


def test_smcr_orientation():
    pre = np.array([10.0, 12.0, 14.0])
    assert demo.smcr("whodas12", pre, pre - 2) == pytest.approx(1.0)
    assert demo.smcr("esis", pre, pre - 2) == pytest.approx(-1.0)


def test_headline_score_rules():
    esis = np.full((3, 10), 3.0)
    esis[1, :2] = np.nan        # 8 of 10 answered: prorated
    esis[2, :3] = np.nan        # 7 of 10: not scored
    assert np.allclose(demo.headline_score("esis", esis), [50.0, 50.0, np.nan], equal_nan=True)
    whodas = np.full((2, 12), 1.0)
    whodas[0, :2] = np.nan      # 10 of 12: prorated to 12
    whodas[1, :3] = np.nan
    assert np.allclose(demo.headline_score("whodas12", whodas), [12.0, np.nan], equal_nan=True)


def test_headline_score_agrees_with_scoring_module():
    scoring = pytest.importorskip("soskulib.scoring")
    rng = np.random.default_rng(3)
    for inst_id in schema.ASSESSMENT_INSTRUMENTS:
        inst = instruments.get(inst_id)
        items = demo.simulate_items(inst_id, rng.standard_normal(200), rng.standard_normal((200, len(inst.items))),
                                    rng.random((200, len(inst.items))) < 0.1)
        frame = pd.DataFrame(items, columns=list(inst.items))
        expected = scoring.score(frame, inst)[inst.headline].to_numpy(dtype=float)
        assert np.allclose(demo.headline_score(inst_id, items), expected, equal_nan=True), inst_id


def test_realistic_distributions(export, truth):
    tables = {code: read_org(export, truth, code) for code in truth["sizes"]}
    clients = pd.concat([t["asiakkaat"][0] for t in tables.values()])
    ended = clients[clients["paattymissyy"] != ""]
    shares = ended["paattymissyy"].value_counts(normalize=True)
    assert 0.45 <= shares["valmis"] <= 0.65 and 0.18 <= shares["keskeytti"] <= 0.32
    assert (clients.loc[clients["paattymissyy"] == "", "jatkopolku"] == "").all()
    start = pd.to_datetime(clients["alkupvm"], format="%d.%m.%Y", errors="coerce")
    assert start.min() >= pd.Timestamp("2016-01-01") and start.max() <= pd.Timestamp("2018-06-30")
    end = pd.to_datetime(clients["loppupvm"], format="%d.%m.%Y", errors="coerce")
    assert end.max() <= pd.Timestamp("2018-12-31")

    contacts = pd.concat([t["kaynnit"][0] for t in tables.values()])
    assert 10 <= len(contacts) / len(clients) <= 20

    laukaa = tables["410"]["asiakkaat"][0]
    cells = pd.crosstab(laukaa["sukupuoli"], laukaa["kohderyhma"])
    assert (cells.to_numpy() < 5).any()

    def alpha(items: pd.DataFrame) -> float:
        x = items.apply(pd.to_numeric, errors="coerce").dropna()
        k = x.shape[1]
        return k / (k - 1) * (1 - x.var(ddof=1).sum() / x.sum(axis=1).var(ddof=1))

    for inst_id, (lo, hi) in {"esis": (0.85, 0.90), "whodas12": (0.83, 0.89)}.items():
        users = truth["instruments"][inst_id]["theta"]
        resp = pd.concat([tables[c][f"mittari_{inst_id}"][0] for c in users])
        items = list(instruments.get(inst_id).items)
        base = resp[resp["mittauskerta"] == "alku"]
        scored = base[items]
        if "koodaus" in base.columns:  # answers declared as coded 1-5 back on the 0-4 scale
            shift = (base["koodaus"] == "1-5").to_numpy()[:, None].astype(int)
            numbers = scored.replace("", np.nan).astype(float) - shift
            scored = numbers.astype("Int64").astype(str).where(numbers.notna(), "")
        assert lo <= alpha(scored) <= hi, inst_id
        missing = (base[items] == "").to_numpy().mean()
        assert 0.01 <= missing <= 0.03
        # dropouts mostly lack the end assessment, completers mostly have it
        ends = set(resp.loc[resp["mittauskerta"] == "loppu", "henkilotunnus"])
        # only episodes that began after the instrument existed can have a baseline
        available = pd.Timestamp(instruments.get(inst_id).available_from) + pd.Timedelta(days=30)
        begun = pd.to_datetime(clients["alkupvm"], format="%d.%m.%Y", errors="coerce") >= available
        users_clients = clients[clients["kunta"].isin(users) & begun]
        has_end = users_clients["henkilotunnus"].isin(ends)
        assert has_end[users_clients["paattymissyy"] == "keskeytti"].mean() < 0.2
        assert has_end[users_clients["paattymissyy"] == "valmis"].mean() > 0.65

    goals = pd.concat([t["tavoitteet"][0] for t in tables.values()])
    assert goals["paino"].str.contains(",").any()
    per_client = goals.groupby("henkilotunnus").size()
    assert per_client.max() <= 5 and per_client.between(2, 4).mean() > 0.6
    scored = goals[goals["saavutus"] != ""].assign(
        w=lambda d: pd.to_numeric(d["paino"].str.replace(",", "."), errors="coerce"),
        x=lambda d: pd.to_numeric(d["saavutus"]))
    num = (scored["w"] * scored["x"]).groupby(scored["henkilotunnus"]).sum()
    den = np.sqrt(0.7 * (scored["w"] ** 2).groupby(scored["henkilotunnus"]).sum()
                  + 0.3 * scored["w"].groupby(scored["henkilotunnus"]).sum() ** 2)
    assert 47 <= (50 + 10 * num / den).mean() <= 53


def test_fidelity_follows_recorded_probabilities(export, truth):
    for code, probs in truth["fidelity"].items():
        tables = read_org(export, truth, code)
        clients = tables["asiakkaat"][0]
        contacts = tables["kaynnit"][0]
        n = len(clients)
        assessed = clients["henkilotunnus"].isin(contacts.loc[contacts["sisalto"] == "arviointi", "henkilotunnus"])
        grouped = clients["henkilotunnus"].isin(contacts.loc[contacts["muoto"] == "ryhma", "henkilotunnus"])
        planned = clients["henkilotunnus"].isin(tables["tavoitteet"][0]["henkilotunnus"])
        for share, p in ((assessed.mean(), probs["needs_assessment"]), (planned.mean(), probs["plan"])):
            assert abs(share - p) < 4 * np.sqrt(p * (1 - p) / n) + 0.02, code
        assert grouped.mean() <= probs["group_activity"] + 4 * np.sqrt(0.25 / n)


def test_dropout_signal_after_experiment(export, truth):
    clients = read_org(export, truth, "092")["asiakkaat"][0]
    ended = clients[clients["loppupvm"] != ""]
    started = pd.to_datetime(ended["alkupvm"], format="%d.%m.%Y")
    dropped = ended["paattymissyy"] == "keskeytti"
    before = dropped[started < pd.Timestamp("2017-01-01")].mean()
    after = dropped[started >= pd.Timestamp("2017-01-01")].mean()
    assert before - after > 0.15
    activity = read_org(export, truth, "092")["kehittaminen"][0]
    assert ((activity["pvm"] == "01.01.2017") & (activity["tyyppi"] == "kokeilu")).any()


def test_encodings(export):
    seinajoki = (export / "743_seinajoki" / "kehittaminen.csv").read_bytes()
    with pytest.raises(UnicodeDecodeError):
        seinajoki.decode("utf-8")
    assert "ä" in seinajoki.decode("cp1252") and b"\r\n" in seinajoki
    assert (export / "179_jyvaskyla" / "asiakkaat.csv").read_bytes().startswith(b"\xef\xbb\xbf")
    assert not (export / "092_vantaa" / "asiakkaat.csv").read_bytes().startswith(b"\xef\xbb\xbf")


def test_refuses_foreign_folder_and_replaces_previous_demo(tmp_path):
    foreign = tmp_path / "foreign"
    foreign.mkdir()
    (foreign / "asiakkaat.csv").write_text("real data", encoding="utf-8")
    with pytest.raises(ConfigurationError, match="not empty"):
        demo.write_demo(foreign, n_clients=100)
    assert (foreign / "asiakkaat.csv").read_text(encoding="utf-8") == "real data"

    out = demo.write_demo(tmp_path / "demo", n_clients=100)
    (out / "stray.txt").write_text("left over", encoding="utf-8")
    demo.write_demo(out, n_clients=100)
    assert not (out / "stray.txt").exists()
    assert (out / "truth.json").exists()
    assert [p.name for p in tmp_path.iterdir() if p.name.startswith(".")] == []


@pytest.mark.parametrize(("n_clients", "error"), [(50, ValueError), (1000.0, TypeError), (True, TypeError)])
def test_rejects_bad_n_clients(tmp_path, n_clients, error):
    with pytest.raises(error):
        demo.write_demo(tmp_path / "x", n_clients=n_clients)


def test_sizes_scale_proportionally():
    sizes = demo._sizes(15_000)
    assert sum(sizes.values()) == 15_000
    assert sizes["092"] == 3800 and sizes["410"] == 400
    assert min(demo._sizes(100).values()) == demo.MIN_ORG_SIZE
