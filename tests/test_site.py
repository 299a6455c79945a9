"""The site build end to end on a small synthetic export, and its publication guard."""

from __future__ import annotations

import doctest
import hashlib
import json
import re
from pathlib import Path

import pytest

from soskulib import labels, site
from soskulib.errors import ConfigurationError, DataError

CDN_MARKERS = ("cdn", "unpkg", "jsdelivr", "require.js")


def test_docstring_examples_run():
    result = doctest.testmod(site, optionflags=doctest.NORMALIZE_WHITESPACE)
    assert result.attempted > 0 and result.failed == 0


def test_check_published_finds_identifiers_but_not_in_images():
    with pytest.raises(DataError, match="identity code"):
        site.check_published("<td>131052-9085</td>")
    with pytest.raises(DataError, match="pseudonym"):
        site.check_published("<td>0123456789abcdef</td>", {"0123456789abcdef"})
    site.check_published('<img src="data:image/png;base64,AAAA131052-9085AAAA">')


@pytest.fixture(scope="module")
def built(tmp_path_factory):
    """One build (fi) on a small demo export; about a minute on two cores."""
    demo = pytest.importorskip("soskulib.demo")
    prepare = pytest.importorskip("soskulib.prepare")
    root = tmp_path_factory.mktemp("build")
    demo.write_demo(root / "raw", n_clients=300)
    prepare.prepare(root / "raw", root / "processed")
    index = site.build_reports(root / "processed", root / "reports", lang="fi", jobs=2,
                               progress=False)
    return root, index


def _pages(out: Path) -> list[Path]:
    return sorted(out.rglob("*.html"))


def test_build_writes_index_and_every_page(built):
    root, index = built
    out = root / "reports"
    assert index == out / "index.html"
    names = {p.relative_to(out).as_posix() for p in _pages(out)}
    assert {"index.html", "national_synthesis.html", "data_quality.html",
            "instruments.html"} <= names
    municipal = [n for n in names if n.startswith("municipalities/")]
    assert len(municipal) == len(site.municipalities_in(root / "processed")) > 0
    page = index.read_text(encoding="utf-8")
    for name in names - {"index.html"}:
        assert f'href="{name}"' in page


def test_pages_are_offline_and_code_free(built):
    root, _ = built
    for page in _pages(root / "reports"):
        text = page.read_text(encoding="utf-8")
        # embedded PNGs are base64: "cdn" can occur there by chance
        lower = re.sub(r"data:image/png;base64,[A-Za-z0-9+/=]+", "", text).lower()
        assert not any(m in lower for m in CDN_MARKERS), page.name
        assert "<script" not in lower, page.name
        assert "page.start(" not in text and "import " not in text, page.name


def test_no_identifiers_in_reports(built):
    from soskulib import io as sio

    root, _ = built
    ids = set(sio.load_processed(root / "processed", "clients")["client_id"])
    for path in [*_pages(root / "reports"), *(root / "reports").rglob("*.csv")]:
        text = path.read_text(encoding="utf-8")
        stripped = re.sub(r"data:image/png;base64,[A-Za-z0-9+/=]+", "", text)
        assert not site.HETU_PATTERN.search(stripped), path.name
        assert not ids & set(re.findall(r"[0-9a-f]{16}", stripped)), path.name


def test_csvs_beside_each_report(built):
    root, _ = built
    out = root / "reports"
    for page in _pages(out):
        if page.name == "index.html":
            continue
        tables = page.with_name(page.stem + "_tables")
        csvs = sorted(tables.glob("*.csv"))
        assert csvs, page.name
        text = page.read_text(encoding="utf-8")
        for csv in csvs:
            assert f'href="{tables.name}/{csv.name}"' in text


def test_no_page_writes_d_z_with_its_underscore(built):
    """Cohen's d for paired change is written d<sub>z</sub> on pages, never "d_z"."""
    root, _ = built
    pages = _pages(root / "reports")
    texts = {p.name: p.read_text(encoding="utf-8") for p in pages}
    assert not [name for name, text in texts.items() if "d_z" in text]
    assert any("d<sub>z</sub>" in text for text in texts.values())


def test_the_demos_assumed_plan_is_marked_wherever_reach_against_plan_is_shown(built):
    """The seeds give only whole-programme plans (SOSKU 550, SOS-Kainuu about 100): the demo's
    split by municipality and its client numbers are assumptions, and every page that shows a
    share of plan on demo data says so (municipality pages, national coverage, the index)."""
    import html as html_lib

    root, index = built
    out = root / "reports"
    note = html_lib.escape(labels.text("mu.reach.demo_plan", "fi"))
    assert "OLETUS" in note and "550" in note and "100" in note
    municipal = sorted((out / "municipalities").glob("*.html"))
    assert municipal and all(note in p.read_text(encoding="utf-8") for p in municipal)
    assert note in (out / "national_synthesis.html").read_text(encoding="utf-8")
    assert html_lib.escape(labels.text("index.demo_plan", "fi")) in index.read_text(encoding="utf-8")


#: Issue 14's "What was found", bullet by bullet: the section, table or figure of the rendered
#: pages that answers it (label keys), on the page where a reviewer reads it.
FINDINGS_ON_PAGES = {
    "levels, shared events, themes, level-3 sites, experiments on the charts": {
        "municipality": ["mu.devwork", "mu.devwork.levels_caption", "mu.devwork.register_caption",
                         "mu.spc.experiments_figure"],
        "national": ["na.loop", "na.loop.sites_caption", "na.loop.themes_caption",
                     "na.loop.matrix_caption", "na.loop.figure", "na.loop.tests_caption"]},
    "roles and gender of participants": {
        "municipality": ["mu.devwork.roles_caption", "mu.devwork.gender_caption"],
        "national": ["na.loop.roles_caption", "na.loop.gender_caption"]},
    "named worker, open groups, method families": {
        "municipality": ["mu.service", "mu.service.continuity_caption",
                         "mu.service.method_caption", "mu.service.sessions_caption"]},
    "pathways and placements held": {"municipality": ["mu.service.placements_caption"]},
    "target groups as a set": {"municipality": ["mu.service.targets_caption"]},
    "instrument specs, availability dates, codings": {"instruments": ["in.specs.caption"]},
    "reach against need": {"national": ["na.reach_need", "na.reach_need.caption"]},
}


def test_every_finding_of_issue_14_has_a_section_on_the_pages(built):
    """Vantaa (a level-3 site with experiments and an open group) is the municipality page."""
    import html as html_lib

    root, _ = built
    out = root / "reports"
    pages = {"municipality": next((out / "municipalities").glob("092_*.html")),
             "national": out / "national_synthesis.html", "instruments": out / "instruments.html"}
    texts = {k: p.read_text(encoding="utf-8") for k, p in pages.items()}
    missing = [(finding, where, key) for finding, shown in FINDINGS_ON_PAGES.items()
               for where, keys in shown.items() for key in keys
               if html_lib.escape(labels.text(key, "fi"), quote=False) not in texts[where]]
    assert not missing, missing
    spec_row = re.search(r"<td[^>]*>Kykyviisari</td>", texts["instruments"])
    assert spec_row, "the Kykyviisari spec is listed with its availability date"


# Where a Finnish page may use the word "vaikutus" (effect): statistical terms, names and the
# disclaimers that say the numbers are NOT an effect. Anything else calls change an effect.
_EFFECT_WORDS_ALLOWED = (
    r"vuorovaikut\w*", r"satunnais\w*vaikut\w*", r"satunnaisena vaikutuksena",
    r"eivät (palvelun )?vaikutusta", r"ei vaikutuksesta", r"Vaikutusten arviointi",
    r"vaikutusdiagnostiikka", r"vaikutus\xad?val\xad?tainen", r"Lukuihin vaikuttavat asetukset",
    r"kattovaikutukset", r"mallin vaikutusmekanismeista",
)


def test_no_finnish_page_calls_change_an_effect(built):
    """Issue 13: before–after change is "muutos"; "vaikutus" only in terms and disclaimers."""
    root, _ = built
    allowed = re.compile("|".join(_EFFECT_WORDS_ALLOWED))
    found = {}
    for path in _pages(root / "reports"):
        text = allowed.sub(" ", _visible_text(path.read_text(encoding="utf-8")))
        hits = re.findall(r".{0,40}(?:vaikut|vaikuttavuu).{0,20}", text, flags=re.I)
        if hits:
            found[path.name] = hits
    assert not found, found


def test_no_english_page_speaks_of_impact(english_pages):
    """The English pages never call the measured change an impact."""
    for name, page in english_pages.items():
        assert not re.search(r"\bimpacts?\b", _visible_text(page), flags=re.I), name


@pytest.fixture(scope="module")
def english_pages(built):
    """The national page and Vantaa's page rendered in English from the same processed data."""
    root, _ = built
    jobs = site._jobs_for((root / "processed").resolve(), root / "reports_en", "en",
                          site.NOTEBOOKS_DIR, [("092", "vantaa", "Vantaa")])
    chosen = [j for j in jobs if j.notebook.endswith(("10_municipality.ipynb",
                                                      "20_national_synthesis.ipynb"))]
    return {Path(j.notebook).stem: Path(site._execute_and_render(j).html_path).read_text(
        encoding="utf-8") for j in chosen}


def _visible_text(page: str) -> str:
    import html as html_lib

    page = re.sub(r"data:image/png;base64,[A-Za-z0-9+/=]+", "", page)
    page = re.sub(r"<(style|script)\b.*?</\1>", "", page, flags=re.S)
    return html_lib.unescape(re.sub(r"<[^>]+>", "\n", page))


def test_english_pages_do_not_mix_in_finnish_data_text_silently(english_pages):
    """Free text of the export on an English page is either our own vocabulary in English or
    marked "(in Finnish, as recorded)"; d_z is written with a subscript there too."""
    from soskulib import schema

    assert set(english_pages) == {"10_municipality", "20_national_synthesis"}
    names = set(schema.organisations()["name_fi"]) | set(schema.organisations()["name_en"])
    proper = {w for n in names for w in re.findall(r"\w+", n)} | {"Kuntoutussäätiö",
                                                                    "Kuntoutussäätiön"}
    for name, page in english_pages.items():
        assert "d_z" not in page, name
        for finnish in labels.DATA_TEXT_EN:
            for line in _visible_text(page).splitlines():
                if finnish in line:
                    assert labels.AS_RECORDED in line or finnish in proper, (name, line)
        # no Finnish word of our own vocabulary is left: a word with ä/ö is a proper name
        words = {w for line in _visible_text(page).splitlines() if labels.AS_RECORDED not in line
                 for w in re.findall(r"\w*[äöÄÖ]\w*", line)}
        assert words <= proper, (name, sorted(words - proper))
    vantaa = english_pages["10_municipality"]
    assert "Low-threshold route back, to prevent dropout" in vantaa
    assert "Co-development of social rehabilitation in Vantaa" in vantaa
    assert "d<sub>z</sub>" in vantaa


_OVERFLOW_SCRIPT = """<script>(() => { const wide = [];
document.querySelectorAll(".sosku-table").forEach(f => {
  if (f.scrollWidth > f.clientWidth + 1) wide.push(f.id + " " + f.scrollWidth + "/" + f.clientWidth); });
const p = document.createElement("pre"); p.id = "sosku-overflow";
p.textContent = "OVERFLOW[" + wide.join(";") + "]"; document.body.appendChild(p); })();</script>"""


def _tables_wider_than_the_page(page: str, tmp_path: Path, width: int = 1400) -> list[str]:
    """Tables that scroll sideways in headless Chromium at ``width`` px (ids and widths)."""
    import shutil
    import subprocess

    browser = shutil.which("chromium") or shutil.which("chromium-browser")
    if browser is None:
        pytest.skip("headless Chromium is not installed")
    probe = tmp_path / "probe.html"
    probe.write_text(page.replace("</body>", _OVERFLOW_SCRIPT + "</body>"), encoding="utf-8")
    dom = subprocess.run([browser, "--headless=new", "--no-sandbox", "--disable-gpu",
                          f"--window-size={width},2000", "--dump-dom", probe.as_uri()],
                         capture_output=True, text=True, timeout=120).stdout
    found = re.search(r'<pre id="sosku-overflow">OVERFLOW\[(.*?)\]</pre>', dom)
    assert found, "the page did not run the measuring script"
    return [w for w in found.group(1).split(";") if w]


def test_no_table_scrolls_sideways_at_1400_px(built, english_pages, tmp_path):
    """Wide tables (the experiment register, outcomes by gender, the sensitivity tables, the
    co-development roles with long Finnish headings) fit a 1400 px window in both languages."""
    root, _ = built
    out = root / "reports"
    pages = {"fi " + p.name: p.read_text(encoding="utf-8")
             for p in [out / "national_synthesis.html", out / "data_quality.html",
                       *sorted((out / "municipalities").glob("*.html"))[:3]]}
    pages |= {"en " + name: page for name, page in english_pages.items()}
    wide = {name: w for name, page in pages.items()
            if (w := _tables_wider_than_the_page(page, tmp_path))}
    assert not wide, wide


def test_lang_switch_changes_headings(built):
    root, _ = built
    fi_page = (root / "reports" / "instruments.html").read_text(encoding="utf-8")
    jobs = site._jobs_for((root / "processed").resolve(), root / "reports_en", "en",
                          site.NOTEBOOKS_DIR, [])
    job = next(j for j in jobs if j.notebook.endswith("30_instruments.ipynb"))
    en_page = Path(site._execute_and_render(job).html_path).read_text(encoding="utf-8")
    for key in ("report.instruments.title", "in.summary", "contents"):
        assert labels.text(key, "fi") in fi_page and labels.text(key, "en") not in fi_page
        assert labels.text(key, "en") in en_page
    assert 'lang="en"' in en_page and 'lang="fi"' in fi_page


def test_every_page_shows_its_provenance(built):
    from soskulib import provenance

    root, _ = built
    out = root / "reports"
    processed = json.loads((root / "processed" / "manifest.json").read_text(encoding="utf-8"))
    commit, _ = provenance.code_state()
    expected = (commit, site.data_checksum(processed), processed["pseudonym_key_fingerprint"],
                "Tekninen tausta ja toistettavuus", "make reports", 'class="sosku-built"')
    for page in _pages(out):
        text = page.read_text(encoding="utf-8")
        assert text.count('<section class="sosku-provenance">') == 1, page.name
        for fact in expected:
            assert fact in text, (page.name, fact)
    manifest = json.loads((out / "manifest.json").read_text(encoding="utf-8"))
    assert manifest["provenance"]["code"]["commit"] == commit
    assert manifest["provenance"]["key"]["fingerprint"] == processed["pseudonym_key_fingerprint"]
    listed = {p["page"] for p in manifest["pages"]}
    assert listed == {p.relative_to(out).as_posix() for p in _pages(out)} - {"index.html"}
    for entry in manifest["pages"]:
        for csv, digest in entry["tables"].items():
            assert hashlib.sha256((out / csv).read_bytes()).hexdigest() == digest


def test_rebuilt_page_is_identical_apart_from_the_build_time(built, tmp_path):
    """Reproducibility (README): the municipality page, rebuilt in a fresh worker from the same
    data, commit and lock, has byte-identical CSVs and the same HTML apart from the build time.
    The whole site is compared by `make reproducible`; this is its CI-sized sample."""
    from soskulib import provenance

    root, _ = built
    processed = (root / "processed").resolve()
    munis = site.municipalities_in(processed)
    prov = site._provenance(site.read_manifest(processed), "fi")
    jobs = site._jobs_for(processed, tmp_path, "fi", site.NOTEBOOKS_DIR, munis[:1],
                          prov.to_html())
    job = next(j for j in jobs if j.notebook.endswith("10_municipality.ipynb"))
    page = Path(site._execute_and_render(job).html_path).relative_to(tmp_path).as_posix()
    assert provenance.compare_builds(root / "reports", tmp_path, [page]) == []
    assert list((tmp_path / page).parent.glob("*_tables/*.csv"))  # CSVs were compared too


@pytest.fixture(scope="module")
def built_demo(tmp_path_factory):
    """The demo as `make reports` builds it (default size and seed); under a minute on two
    quiet cores."""
    demo = pytest.importorskip("soskulib.demo")
    prepare = pytest.importorskip("soskulib.prepare")
    root = tmp_path_factory.mktemp("demo")
    demo.write_demo(root / "raw")
    prepare.prepare(root / "raw", root / "processed")
    site.build_reports(root / "processed", root / "reports", lang="fi", jobs=2, progress=False)
    return root


def test_the_demo_site_withstands_the_attack(built_demo):
    """`sosku audit` on the whole demo build: no group of fewer than 5 recoverable on any
    page, across pages or through the index (what `sosku build` checks last)."""
    from soskulib import audit

    findings = audit.audit_site(built_demo / "reports")
    assert findings == [], "\n".join(map(str, findings))


def test_women_and_men_are_published_wherever_both_groups_are_large_enough(built):
    """Outcomes by gender: every municipality × instrument row where women and men each have
    at least 5 complete pairs (in the publication population) is published for both."""
    from soskulib import audit, outcomes, page

    root, _ = built
    checked = 0
    for code, slug, _name in site.municipalities_in(root / "processed"):
        data = page.load_tables(root / "processed", code)
        truth = outcomes.outcome_summary(data["responses"], data["clients"], by="gender",
                                         suppress=False).reset_index(drop=True)
        csv = root / "reports" / "municipalities" / f"{code}_{slug}_tables" / "outcomes_by_gender.csv"
        published = audit.read_csv_text(csv.read_text(encoding="utf-8"))
        assert len(published) == len(truth)  # the same rows in the same order
        for _inst, rows in truth.groupby("instrument", sort=False):
            pairs = dict(zip(rows["gender"], rows["n"], strict=True))
            if min(pairs.get("female", 0), pairs.get("male", 0)) < 5:
                continue
            for i in rows.index[rows["gender"].isin(["female", "male"])]:
                assert audit.number(published.iloc[i]["n"]) == truth.at[i, "n"], (code, i)
                checked += 1
    assert checked > 0



def test_a_small_demo_site_withstands_the_attack(built):
    """The attack on a small export (300 clients: a few people per cell, ongoing episodes of
    1–4 in some municipalities): nothing of fewer than 5 people recoverable either."""
    from soskulib import audit

    root, _ = built
    findings = audit.audit_site(root / "reports")
    assert findings == [], "\n".join(map(str, findings))

def test_every_figure_is_checked_against_the_table_it_is_drawn_from(built):
    """Each figure of the build was read back from its matplotlib artists and compared with
    its protected or published table while the page was built (the build stops otherwise,
    `page.Report.figure`); the page records the source in ``data-drawn-from``. No figure is
    left unchecked: those that show no counts or statistics of people say so
    (``not-people``: quality self-assessments, the loop of ideas)."""
    root, _ = built
    figures = unchecked = 0
    not_people = []
    for path in _pages(root / "reports"):
        html_text = path.read_text(encoding="utf-8")
        for attrs, caption in re.findall(
                r'<figure class="sosku-figure"([^>]*)>.*?<figcaption>(.*?)</figcaption>', html_text, re.S):
            figures += 1
            m = re.search(r'data-drawn-from="([^"]*)"', attrs)
            if m is None:
                unchecked += 1
                print("unchecked:", path.name, caption)
            elif m.group(1) == "not-people":
                not_people.append(caption)
    assert figures and unchecked == 0, (unchecked, figures)
    endings = [labels.text(k, "fi") for k in ("mu.quality.figure", "na.quality.figure", "na.loop.figure")]
    assert all(any(c.endswith(e) for e in endings) for c in not_people), not_people


def test_every_published_csv_has_a_disclosure_model(built):
    """Every CSV download of the build is a kind of table `audit.TABLE_MODELS` describes (by
    its file stem), so the attack models its links instead of reading it generically."""
    from soskulib import audit

    root, _ = built
    stems = {re.sub(r"[._-](excel|fi|xl|machine)$", "", p.stem)
             for p in (root / "reports").rglob("*_tables/*.csv")}
    assert len(stems) > 40
    assert sorted(s for s in stems if s not in audit.TABLE_MODELS) == []


def test_an_independent_attack_finds_nothing_either(built):
    """A second attack written without `soskulib.audit` (tests/independent_attack.py: line
    sums by elimination, by gender vs overall, differences of nested counts, share × n, and
    denominators read from a share's digits) on every municipality page's CSVs."""
    import importlib.util

    spec = importlib.util.spec_from_file_location("independent_attack",
                                                  Path(__file__).with_name("independent_attack.py"))
    attack = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(attack)
    root, _ = built
    folders = sorted((root / "reports" / "municipalities").glob("*_tables"))
    assert folders
    findings = [f"{d.name}: {f}" for d in folders for f in attack.attack_page(d)]
    assert findings == [], "\n".join(findings)


def test_another_seed_and_size_withstands_the_attack(tmp_path_factory):
    """A second seed at a size between the small and the default build (400 clients, seed 7:
    other municipalities with 1–4 ongoing episodes, fewer than 5 women, small placements):
    nothing recoverable either. About a minute on two quiet cores."""
    from soskulib import audit, demo, prepare

    root = tmp_path_factory.mktemp("seed7")
    demo.write_demo(root / "raw", seed=7, n_clients=400)
    prepare.prepare(root / "raw", root / "processed")
    site.build_reports(root / "processed", root / "reports", lang="fi", jobs=2, progress=False)
    findings = audit.audit_site(root / "reports")
    assert findings == [], "\n".join(map(str, findings))


def test_build_kernels_run_one_blas_thread_and_a_fixed_hash_seed(tmp_path):
    """Kernels get PYTHONHASHSEED=0 and one BLAS thread (the build runs a notebook per CPU)."""
    import nbformat
    from jupyter_core.utils import run_sync
    from nbclient import NotebookClient

    km = site._worker_kernel(str(tmp_path))
    try:
        nb = nbformat.v4.new_notebook()
        nb.cells.append(nbformat.v4.new_code_cell(
            "import os\nprint(*(os.environ.get(k) for k in ('PYTHONHASHSEED', "
            "'OPENBLAS_NUM_THREADS', 'OMP_NUM_THREADS', 'MKL_NUM_THREADS')))"))
        NotebookClient(nb, km=km, timeout=120).execute()
        assert nb.cells[0].outputs[0]["text"].split() == ["0", "1", "1", "1"]
    finally:
        site._KERNELS.pop(str(tmp_path), None)
        run_sync(km.shutdown_kernel)(now=True)


def test_declared_parameters_agree_with_papermill_and_unknown_ones_are_refused(tmp_path):
    """The build reads the parameters cell itself (no papermill import before the kernels
    start): the same names as papermill's inspection, and an unknown parameter stops it."""
    import papermill

    for notebook in sorted(site.NOTEBOOKS_DIR.glob("*.ipynb")):
        assert site._declared_parameters(notebook) == set(papermill.inspect_notebook(str(notebook)))
    job = site._Job(str(site.NOTEBOOKS_DIR / "30_instruments.ipynb"), "", "",
                    {"lang": "fi", "municipality": "092"}, "", "fi", "")
    with pytest.raises(ConfigurationError, match="30_instruments.ipynb has no parameter.s. "
                       "municipality; its parameters cell declares lang, processed_dir"):
        site._check_parameters([job])
    untagged = tmp_path / "untagged.ipynb"
    untagged.write_text(json.dumps({"cells": [{"cell_type": "code", "metadata": {},
                                               "source": "lang = 'fi'"}]}))
    assert site._declared_parameters(untagged) == set()
    broken = tmp_path / "broken.ipynb"
    broken.write_text(json.dumps({"cells": [{"cell_type": "code", "source": "lang = ",
                                             "metadata": {"tags": ["parameters"]}}]}))
    with pytest.raises(ConfigurationError, match="broken.ipynb: its parameters cell is not valid"):
        site._declared_parameters(broken)
    with pytest.raises(ConfigurationError, match="not found"):
        site._declared_parameters(tmp_path / "missing.ipynb")
    (tmp_path / "text.ipynb").write_text("not json")
    with pytest.raises(ConfigurationError, match="text.ipynb is not a Jupyter notebook"):
        site._declared_parameters(tmp_path / "text.ipynb")


def test_longest_notebooks_are_scheduled_first():
    """The national synthesis first, then municipalities by size, the short reports last."""
    clients = {"092": 380, "179": 260, "410": 40}
    work = site._jobs_for(Path("p"), Path("out"), "fi", site.NOTEBOOKS_DIR,
                          [("092", "vantaa", "Vantaa"), ("179", "jyvaskyla", "Jyväskylä"),
                           ("410", "laukaa", "Laukaa")])
    order = sorted(work, key=lambda j: site._expected_cost(j, clients), reverse=True)
    assert [Path(j.html_path).stem for j in order] == [
        "national_synthesis", "092_vantaa", "179_jyvaskyla", "410_laukaa", "data_quality",
        "instruments"]


def test_quality_ratings_of_one_year_show_no_change_table(built):
    """The demo rates the quality criteria in 2018 only (they were published then): a table
    of changes from 2018 to 2018, all 0, would read as "no change"; a note says why none."""
    from soskulib import io as sio
    from soskulib import labels

    root, _ = built
    years = sio.load_processed(root / "processed", "quality")["year"].nunique()
    assert years == 1
    note = labels.text("quality.one_year", "fi", year="2018")
    for html in [root / "reports" / "national_synthesis.html",
                 *sorted((root / "reports" / "municipalities").glob("*.html"))]:
        assert not (html.parent / f"{html.stem}_tables" / "quality_change.csv").exists(), html.name
        assert note in html.read_text(encoding="utf-8"), html.name


def test_an_empty_share_of_completers_says_why(built):
    """Shares left out for disclosure are blank ("–" on the page): the table's note says why,
    so the blanks are not read as missing data."""
    from soskulib import audit, labels

    root, _ = built
    note = labels.text("attr.hidden_note", "fi", k=5)
    checked = 0
    for csv in sorted((root / "reports").rglob("completers_vs_non_completers.csv")):
        table = audit.read_csv_text(csv.read_text(encoding="utf-8"))
        blank = (table.iloc[:, 5] == "").any()
        page = csv.parent.with_name(csv.parent.name.removesuffix("_tables") + ".html")
        assert (note in page.read_text(encoding="utf-8")) == blank, page.name
        checked += blank
    assert checked  # the national table blanks the shares a municipality page hides


def _first_gender_cells(cells: list[str], women: str, men: str) -> str | None:
    """Which of women/men a table names first, reading it row by row (None: neither)."""
    return next((c for c in cells if c in (women, men)), None)


def _table_cells(page: str) -> list[list[str]]:
    import html as html_lib

    return [[html_lib.unescape(re.sub(r"<[^>]+>", "", c)).strip()
             for c in re.findall(r"<t[hd]\b[^>]*>(.*?)</t[hd]>", table, flags=re.S)]
            for table in re.findall(r"<table\b.*?</table>", page, flags=re.S)]


def test_women_come_before_men_in_every_table_and_csv_of_both_languages(built, english_pages):
    """One order for gender across the site (women, men, other; schema.display_order): the
    target-group and age cross-tabulations listed men first, the tables beside them women."""
    import csv

    root, _ = built
    pages = {("fi", p.name): p.read_text(encoding="utf-8") for p in _pages(root / "reports")}
    pages |= {("en", name): page for name, page in english_pages.items()}
    seen = 0
    for (lang, name), page in pages.items():
        women, men = ("nainen", "mies") if lang == "fi" else ("female", "male")
        for cells in _table_cells(page):
            first = _first_gender_cells(cells, women, men)
            if first is not None:
                seen += 1
                assert first == women, (lang, name, cells[:12])
    for lang, folder in (("fi", root / "reports"), ("en", root / "reports_en")):
        women, men = ("nainen", "mies") if lang == "fi" else ("female", "male")
        for path in folder.rglob("*.csv"):
            text = path.read_text(encoding="utf-8-sig")
            excel_fi = lang == "fi" and path.stem.endswith("_excel")  # Finnish Excel: ";"
            rows = list(csv.reader(text.splitlines(), delimiter=";" if excel_fi else ","))
            first = _first_gender_cells([c.strip() for row in rows for c in row], women, men)
            if first is not None:
                seen += 1
                assert first == women, (lang, path.name)
    assert seen > 20


def _sections(page: str) -> dict[str, str]:
    """The page's h2 sections by heading text (without its number)."""
    parts = re.split(r"<h2\b[^>]*>(.*?)</h2>", page, flags=re.S)
    return {re.sub(r"<[^>]+>|^\s*[\d.]+\s*", "", head).strip(): body
            for head, body in zip(parts[1::2], parts[2::2], strict=True)}


def test_section_intros_name_only_splits_their_tables_show(built, english_pages):
    """The pathways intro said "the table by gender" above a table of end reasons."""
    root, _ = built
    vantaa = {"fi": (root / "reports" / "municipalities").glob("092_*.html"),
              "en": [english_pages["10_municipality"]]}
    for lang, pages in vantaa.items():
        for page in pages:
            text = page.read_text(encoding="utf-8") if isinstance(page, Path) else page
            sections = _sections(text)
            heading = labels.text("mu.pathways", lang)
            body = sections[heading]
            said = ("sukupuol" in body.split("<figure")[0]) if lang == "fi" else \
                ("gender" in body.split("<figure")[0])
            has = bool(re.search(r"<th[^>]*>\s*(sukupuoli|gender)\s*</th>", body))
            assert said <= has, (lang, heading)


def test_target_groups_keep_the_code_list_order_in_every_table(built, english_pages):
    """Completers vs non-completers and the national subgroup table listed target groups
    alphabetically by code, the target-group table above them in the code list's order."""
    from soskulib import schema

    root, _ = built
    pages = {("fi", p.name): p.read_text(encoding="utf-8") for p in _pages(root / "reports")}
    pages |= {("en", name): page for name, page in english_pages.items()}
    checked = 0
    for (lang, name), page in pages.items():
        rank = {schema.label("target_group", c, lang): i
                for i, c in enumerate(schema.display_order("target_group"))}
        for cells in _table_cells(page):
            block: list[str] = []
            for cell in (c for c in cells if c in rank):
                if cell in block:  # the next instrument's block starts
                    block = []
                if block:
                    assert rank[cell] > rank[block[-1]], (lang, name, block, cell)
                    checked += 1
                block.append(cell)
    assert checked > 50


def test_data_quality_rows_table_lists_municipalities_by_name_like_the_rest_of_the_page(built):
    root, _ = built
    page = (root / "reports" / "data_quality.html").read_text(encoding="utf-8")
    rows = next(c for c in _table_cells(page) if "asiakkaat" in c and "palvelukäynnit" in c)
    header = rows[1:rows.index("osahankkeet ja tavoitteet")] if "osahankkeet ja tavoitteet" in rows else None
    assert header, rows[:12]
    names = [re.sub(r"\u00ad", "", h) for h in header]
    assert names == sorted(names, key=str.casefold) and len(names) > 3
