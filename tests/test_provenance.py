"""Provenance: commit and tree state, environment against the lock, settings, key fingerprint."""

from __future__ import annotations

import doctest
import hashlib
import hmac
import importlib.metadata
import json
import re
import shutil
import subprocess

import pytest
from fixtures.rawexport import write_export

from soskulib import disclosure, prepare, process, provenance, pseudonym

GIT = shutil.which("git")
needs_git = pytest.mark.skipif(GIT is None, reason="git is not installed")


def test_doctests():
    result = doctest.testmod(provenance, optionflags=doctest.NORMALIZE_WHITESPACE)
    assert result.failed == 0 and result.attempted >= 8


def _git(root, *args):
    return subprocess.run(["git", "-C", str(root), *args], check=True, capture_output=True,
                          text=True).stdout.strip()


@pytest.fixture
def repo(tmp_path):
    root = tmp_path / "src"
    root.mkdir()
    _git(root, "init", "-q")
    _git(root, "config", "user.email", "t@example.org")
    _git(root, "config", "user.name", "t")
    (root / "a.txt").write_text("one\n", encoding="utf-8")
    (root / ".gitignore").write_text("reports/\n", encoding="utf-8")
    _git(root, "add", "-A")
    _git(root, "commit", "-qm", "first")
    return root


@needs_git
def test_commit_and_clean_tree(repo):
    head = _git(repo, "rev-parse", "HEAD")
    assert provenance.code_state(repo) == (head, False)
    # build output and other untracked files do not make the tree "modified"
    (repo / "reports").mkdir()
    (repo / "reports" / "index.html").write_text("x", encoding="utf-8")
    (repo / "notes.txt").write_text("x", encoding="utf-8")
    assert provenance.code_state(repo) == (head, False)


@needs_git
def test_modified_tracked_file_is_reported(repo):
    (repo / "a.txt").write_text("two\n", encoding="utf-8")
    assert provenance.code_state(repo) == (_git(repo, "rev-parse", "HEAD"), True)
    _git(repo, "add", "a.txt")  # staged but not committed is still a modification
    assert provenance.code_state(repo)[1] is True


@needs_git
def test_folder_inside_another_checkout_is_unknown(repo):
    """An installed copy below some unrelated repository must not report that repo's commit."""
    inner = repo / "site-packages"
    inner.mkdir()
    assert provenance.code_state(inner) == (provenance.UNKNOWN, None)


def test_no_git_program_and_no_checkout(tmp_path, monkeypatch, repo):
    assert provenance.code_state(tmp_path / "nothing-here") == ("unknown", None)
    monkeypatch.setenv("PATH", str(tmp_path / "empty"))  # no git on PATH
    assert provenance.code_state(repo) == ("unknown", None)


def test_archival_file_from_git_archive(tmp_path):
    commit = "0123456789abcdef0123456789abcdef01234567"
    (tmp_path / ".git_archival.txt").write_text(f"node: {commit}\n", encoding="utf-8")
    assert provenance.code_state(tmp_path) == (commit, None)
    # the unexpanded template (a plain copy of the checkout) is not a commit
    (tmp_path / ".git_archival.txt").write_text("node: $Format:%H$\n", encoding="utf-8")
    assert provenance.code_state(tmp_path) == ("unknown", None)


def test_repository_archival_template_is_exported_with_substitution():
    root = provenance.SOURCE_ROOT
    if not (root / ".gitattributes").is_file():
        pytest.skip("not a source checkout")
    assert "$Format:%H$" in (root / ".git_archival.txt").read_text(encoding="utf-8")
    assert ".git_archival.txt export-subst" in (root / ".gitattributes").read_text(
        encoding="utf-8")


def test_environment_compares_installed_packages_with_the_lock(tmp_path):
    numpy_version = importlib.metadata.version("numpy")
    lock = tmp_path / provenance.LOCK_FILE
    lock.write_text(f"NumPy=={numpy_version} \\\n    --hash=sha256:00\n    # via pandas\n",
                    encoding="utf-8")
    env = provenance.environment(tmp_path)
    assert env["lock"] == {"file": "requirements.lock",
                           "sha256": hashlib.sha256(lock.read_bytes()).hexdigest(),
                           "matches": True, "differences": []}
    assert env["packages"]["numpy"] == numpy_version
    lock.write_text("numpy==0.0.1\nnot-a-real-package-xyz==1.0\n", encoding="utf-8")
    env = provenance.environment(tmp_path)
    assert env["lock"]["matches"] is False
    assert env["lock"]["differences"] == ["not-a-real-package-xyz missing (1.0)",
                                          f"numpy {numpy_version} (0.0.1)"]
    lock.unlink()
    assert provenance.environment(tmp_path)["lock"]["matches"] is None


def test_settings_are_read_from_their_definitions(monkeypatch):
    settings = provenance.reporting_settings("en")
    assert settings["disclosure"]["min_cell"] == disclosure.MIN_CELL
    assert settings["min_pairs"] == 10
    assert settings["fidelity_rule"] == {"min_individual_contacts": 4,
                                         "min_individual_per_month": 1.0, "min_goals": 1}
    monkeypatch.setattr(disclosure, "MIN_CELL", 7)
    monkeypatch.setattr(process.FidelityRule.__init__, "__defaults__", (6, 1.5, 2))
    changed = provenance.reporting_settings("fi")
    assert changed["disclosure"]["min_cell"] == 7 and changed["language"] == "fi"
    assert changed["fidelity_rule"] == {"min_individual_contacts": 6,
                                        "min_individual_per_month": 1.5, "min_goals": 2}
    with pytest.raises(ValueError, match="report language"):
        provenance.reporting_settings("sv")


def test_key_fingerprint_is_a_keyed_hash_of_a_constant():
    key = b"a long secret key of the controller"
    expected = hmac.new(key, b"soskulib pseudonymisation key fingerprint",
                        hashlib.sha256).hexdigest()[:16]
    assert pseudonym.key_fingerprint(key) == expected
    assert pseudonym.key_fingerprint(key + b"!") != expected
    with pytest.raises(ValueError, match="empty"):
        pseudonym.key_fingerprint(b"")


def _prov(lang="fi", **kw):
    fields = {"data_checksum": "d" * 64, "key_fingerprint": "0123456789abcdef", "lang": lang,
              "synthetic": False, "built": "2018-12-01 00:00 UTC"} | kw
    return provenance.collect(**fields)


@pytest.mark.parametrize("lang", ["fi", "en"])
def test_page_block_states_everything_in_both_languages(lang):
    prov = _prov(lang)
    block = prov.to_html()
    for text in (prov.commit, "d" * 64, "0123456789abcdef", "2018-12-01 00:00 UTC",
                 f"Python {prov.python}", f"pandas {prov.packages['pandas']}",
                 f"sosku report --lang {lang}", "data/raw/&lt;export&gt;/"):
        assert text in block, text
    words = {"fi": ("Tekninen tausta", "alle 5 henkilön", "vähintään 10 parista",
                    "vähintään 4 yksilökäyntiä ja keskimäärin 1 kuukaudessa", "HMAC-SHA256"),
             "en": ("Provenance", "fewer than 5 people", "at least 10 complete pairs",
                    "at least 4 individual contacts and on average 1 per month", "HMAC-SHA256")}
    for text in words[lang]:
        assert text in block, text
    assert "<script" not in block and '<section class="sosku-provenance">' in block
    assert {"fi": "ryhmät nainen ja mies", "en": "groups female and male"}[lang] in block
    assert "optimised" not in block or lang == "en"  # no English code on a Finnish page


def test_finnish_block_uses_decimal_comma(monkeypatch):
    monkeypatch.setattr(process.FidelityRule.__init__, "__defaults__", (4, 1.5, 1))
    assert "1,5 kuukaudessa" in _prov("fi").to_html()
    assert "1.5 per month" in _prov("en").to_html()


def test_unknown_commit_and_demo_command():
    prov = _prov("en", synthetic=True, root="/nonexistent/soskulib-source")
    assert prov.commit == "unknown" and prov.tree_modified is None
    block = prov.to_html()
    assert "git commit unknown" in block and 'make reports BUILD_FLAGS="--lang en"' in block
    assert prov.as_dict()["reproduce"]["steps"][-1] == 'make reports BUILD_FLAGS="--lang en"'
    assert "SOSKU_PSEUDO_KEY_FILE" not in block  # the demo needs no key of one's own


def test_hostile_values_are_escaped():
    block = _prov("en", data_checksum="<script>alert(1)</script>").to_html()
    assert "<script>" not in block and "&lt;script&gt;" in block


def test_same_inputs_same_provenance():
    assert _prov().as_dict() == _prov().as_dict()
    assert json.dumps(_prov().as_dict(), sort_keys=True)  # JSON-ready


def test_prepare_manifest_records_provenance_and_key_fingerprint(tmp_path, monkeypatch):
    key = "a long secret key of the controller"
    monkeypatch.delenv("SOSKU_PSEUDO_KEY_FILE", raising=False)
    monkeypatch.setenv("SOSKU_PSEUDO_KEY", key)
    write_export(tmp_path / "raw", synthetic=False)
    manifest = prepare.prepare(tmp_path / "raw", tmp_path / "out", log=lambda _m: None)
    assert manifest["pseudonym_key_fingerprint"] == pseudonym.key_fingerprint(key.encode())
    commit, modified = provenance.code_state()
    assert manifest["provenance"]["code"] == {"commit": commit, "tree_modified": modified,
                                              "soskulib": "0.1.0"}
    assert manifest["provenance"]["environment"] == provenance.environment()
    text = (tmp_path / "out" / "manifest.json").read_text(encoding="utf-8")
    assert key not in text and key.encode().hex() not in text


def _site(root, built, csv=b"a;b\n1;2\n", page="<p>n = 12</p>"):
    prov = _prov("fi", built=built)
    (root / "p_tables").mkdir(parents=True)
    (root / "p_tables" / "t.csv").write_bytes(csv)
    (root / "p.html").write_text(page + prov.to_html(), encoding="utf-8")
    provenance.write_site_manifest(root, prov, {"p.html": "P"})
    return prov


def test_site_manifest_lists_pages_tables_and_provenance(tmp_path):
    prov = _site(tmp_path, "2018-12-01 00:00 UTC")
    manifest = json.loads((tmp_path / "manifest.json").read_text(encoding="utf-8"))
    assert manifest["provenance"] == prov.as_dict()
    assert manifest["pages"] == [{"page": "p.html", "title": "P", "tables": {
        "p_tables/t.csv": hashlib.sha256(b"a;b\n1;2\n").hexdigest()}}]


def test_compare_builds_ignores_only_the_build_time(tmp_path):
    a, b, c, d = (tmp_path / x for x in "abcd")
    _site(a, "2018-12-01 00:00 UTC")
    _site(b, "2019-06-30 13:45 UTC")
    assert provenance.compare_builds(a, b) == []
    assert provenance.compare_builds(a, b, ["p.html"]) == []
    _site(c, "2018-12-01 00:00 UTC", csv=b"a;b\n1;3\n")  # one CSV byte
    assert provenance.compare_builds(a, c) == ["manifest.json: differs",
                                               "p_tables/t.csv: differs"]
    _site(d, "2018-12-01 00:00 UTC", page="<p>n = 13</p>")
    assert provenance.compare_builds(a, d) == ["p.html: differs"]
    (d / "extra.csv").write_text("x", encoding="utf-8")
    assert f"extra.csv: only in {d}" in provenance.compare_builds(a, d)


def test_compare_command(tmp_path, capsys):
    a, b = tmp_path / "a", tmp_path / "b"
    _site(a, "2018-12-01 00:00 UTC")
    _site(b, "2018-12-02 00:00 UTC")
    assert provenance.main([str(a), str(b)]) == 0
    assert "0 differences in 3 files" in capsys.readouterr().out
    (b / "p.html").write_text("changed", encoding="utf-8")
    assert provenance.main([str(a), str(b)]) == 1
    assert "p.html: differs" in capsys.readouterr().out


def test_notebooks_use_the_settings_the_pages_state():
    """The provenance block states the library defaults; a notebook that passed another value
    (``min_pairs=8``, ``FidelityRule(min_goals=2)``, ``min_cell=3``) would make it wrong."""
    from soskulib import page

    settings = provenance.reporting_settings("fi")
    assert page.MIN_CELL == disclosure.MIN_CELL == settings["disclosure"]["min_cell"]
    notebooks = sorted((provenance.SOURCE_ROOT / "notebooks").glob("*.ipynb"))
    if not notebooks:
        pytest.skip("notebooks are not beside the installed package")
    for path in notebooks:
        cells = json.loads(path.read_text(encoding="utf-8"))["cells"]
        source = "\n".join("".join(c["source"]) for c in cells if c["cell_type"] == "code")
        for value in re.findall(r"min_pairs\s*=\s*(\w+)", source):
            assert value == str(settings["min_pairs"]), (path.name, value)
        assert not re.search(r"FidelityRule\(\s*[^)\s]", source), path.name
        assert not re.search(r"\bmin_cell\s*=", source), path.name
