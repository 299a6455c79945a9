"""pyproject.toml, environment.yml and the lock files agree on the dependencies."""

from __future__ import annotations

import re
import sys
import tomllib
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]
CONDA_NAMES = {"duckdb": "python-duckdb"}  # PyPI name -> conda-forge name
SPEC = re.compile(r"^([A-Za-z0-9_.\-]+)\s*(>=\s*[0-9][0-9A-Za-z.]*)?")


def _parse(spec: str) -> tuple[str, str | None]:
    match = SPEC.match(spec.strip())
    if match is None:
        raise ValueError(f"cannot parse dependency {spec!r}")
    name, bound = match.groups()
    return name.lower(), bound.replace(" ", "") if bound else None


def _pyproject() -> dict[str, str | None]:
    project = tomllib.loads((ROOT / "pyproject.toml").read_text(encoding="utf-8"))["project"]
    specs = project["dependencies"] + project["optional-dependencies"]["test"]
    return {CONDA_NAMES.get(n, n): b for n, b in map(_parse, specs)}


def _environment() -> dict[str, str | None]:
    deps, section = {}, None
    for line in (ROOT / "environment.yml").read_text(encoding="utf-8").splitlines():
        top = re.match(r"^([A-Za-z_]+):", line)
        if top:
            section = top.group(1)
        item = re.match(r"^  - ([^\s#:][^#]*?)\s*(#.*)?$", line)
        if item is None or section != "dependencies":
            continue
        name, bound = _parse(item.group(1))
        if name not in ("python", "pip"):
            deps[name] = bound
    return deps


def test_environment_matches_pyproject():
    assert _environment() == _pyproject()


def test_parser_sees_every_dependency():
    assert len(_pyproject()) >= 20
    assert "python-duckdb" in _environment() and "pytest" in _environment()


# --- the lock files -------------------------------------------------------------------------
# requirements.lock (runtime) and requirements-test.lock (runtime + test extras) are written by
# `make lock` (uv pip compile --generate-hashes, line annotations). The tests below fail when a
# dependency was added to pyproject.toml without refreshing them, when a pin no longer
# satisfies pyproject.toml's bound, or when the two lock files disagree.

LOCK_ENTRY = re.compile(
    r"^(?P<name>[A-Za-z0-9][A-Za-z0-9_.\-]*)==(?P<version>\S+)(?P<body>(?:\s*\\\n\s+--hash=\S+)*)"
    r"\n\s+# via (?P<via>.*)$",
    re.MULTILINE,
)


def _normalise(name: str) -> str:
    """PEP 503 name normalisation (``Python_Calamine`` -> ``python-calamine``)."""
    return re.sub(r"[-_.]+", "-", name).lower()


def _lock(filename: str) -> dict[str, tuple[str, int, bool]]:
    """Parse a lock file into ``{name: (version, number of hashes, direct dependency?)}``."""
    text = (ROOT / filename).read_text(encoding="utf-8")
    entries = {}
    for match in LOCK_ENTRY.finditer(text):
        via = [part.strip() for part in match["via"].split(",")]
        entries[_normalise(match["name"])] = (
            match["version"],
            match["body"].count("--hash=sha256:"),
            "soskulib (pyproject.toml)" in via,
        )
    pins = re.findall(r"^[A-Za-z0-9][^\s#]*==", text, flags=re.MULTILINE)
    if len(pins) != len(entries):
        raise ValueError(f"{filename}: {len(pins)} pins but {len(entries)} parsed entries")
    return entries


def _requirements(group: str) -> dict[str, str]:
    """pyproject.toml's runtime (``"runtime"``) or test-extra requirement strings by name."""
    project = tomllib.loads((ROOT / "pyproject.toml").read_text(encoding="utf-8"))["project"]
    specs = project["dependencies"] if group == "runtime" else project["optional-dependencies"][group]
    return {_normalise(_parse(spec)[0]): spec for spec in specs}


def test_lock_files_pin_every_dependency_within_its_bounds():
    from packaging.requirements import Requirement

    runtime, test = _requirements("runtime"), _requirements("test")
    for filename, wanted in (
        ("requirements.lock", runtime),
        ("requirements-test.lock", runtime | test),
    ):
        lock = _lock(filename)
        direct = {name for name, (_, _, is_direct) in lock.items() if is_direct}
        assert direct == set(wanted), (
            f"{filename} is stale: run `make lock` "
            f"(missing {sorted(set(wanted) - direct)}, extra {sorted(direct - set(wanted))})"
        )
        for name, spec in wanted.items():
            version = lock[name][0]
            assert Requirement(spec).specifier.contains(version, prereleases=True), (
                f"{filename}: {name}=={version} does not satisfy pyproject.toml's {spec!r}"
            )
        unhashed = sorted(name for name, (_, hashes, _) in lock.items() if hashes == 0)
        assert not unhashed, f"{filename}: pins without --hash: {unhashed}"


def test_lock_versions_satisfy_environment_yml():
    from packaging.specifiers import SpecifierSet

    lock = _lock("requirements-test.lock")
    conda_to_pypi = {conda: pypi for pypi, conda in CONDA_NAMES.items()}
    for name, bound in _environment().items():
        version = lock[_normalise(conda_to_pypi.get(name, name))][0]
        assert SpecifierSet(bound or "").contains(version, prereleases=True), (
            f"requirements-test.lock: {name}=={version} outside environment.yml's {bound}"
        )


def test_runtime_lock_is_the_test_lock_without_the_test_tools():
    runtime, test = _lock("requirements.lock"), _lock("requirements-test.lock")
    differing = {
        name: (version, test.get(name, ("absent",))[0])
        for name, (version, _, _) in runtime.items()
        if test.get(name, ("absent",))[0] != version
    }
    assert not differing, f"requirements.lock and requirements-test.lock disagree: {differing}"
    assert len(test) > len(runtime) >= 100


def test_lock_parser_rejects_what_it_cannot_read(tmp_path, monkeypatch):
    (tmp_path / "broken.lock").write_text(
        "numpy==2.0.0 \\\n    --hash=sha256:abc\n    # via soskulib (pyproject.toml)\n"
        "pandas==3.0.0\n",  # a pin without hash or annotation
        encoding="utf-8",
    )
    monkeypatch.setattr(sys.modules[__name__], "ROOT", tmp_path)
    with pytest.raises(ValueError, match="2 pins but 1 parsed"):
        _lock("broken.lock")


def test_citation_metadata_matches_the_package():
    """CITATION.cff (checked once with `cffconvert --validate`) names this version."""
    yaml = pytest.importorskip("yaml")
    citation = yaml.safe_load((ROOT / "CITATION.cff").read_text(encoding="utf-8"))
    project = tomllib.loads((ROOT / "pyproject.toml").read_text(encoding="utf-8"))["project"]
    assert citation["cff-version"] == "1.2.0"
    assert {"message", "title", "authors", "type", "license"} <= set(citation)
    assert citation["version"] == project["version"]
    assert citation["license"] == project["license"]
    assert [a["name"] for a in citation["authors"]] == [a["name"] for a in project["authors"]]


def test_changelog_has_an_entry_for_this_version():
    version = tomllib.loads((ROOT / "pyproject.toml").read_text(encoding="utf-8"))["project"][
        "version"]
    text = (ROOT / "CHANGELOG.md").read_text(encoding="utf-8")
    assert "## [Unreleased]" in text and f"## [{version}]" in text


def test_make_and_ci_install_from_the_lock_by_default():
    makefile = (ROOT / "Makefile").read_text(encoding="utf-8")
    assert re.search(r"^LOCKED \?= 1$", makefile, re.MULTILINE)
    locked = makefile.split("ifeq ($(LOCKED),1)", 1)[1].split("else", 1)[0]
    assert "pip install --quiet --require-hashes -r $(LOCK)" in locked
    assert "pip install --quiet --require-hashes -r $(TEST_LOCK)" in locked
    assert "pip install --quiet --no-deps -e ." in locked
    assert re.search(r"^LOCK := requirements\.lock$", makefile, re.MULTILINE)
    assert re.search(r"^TEST_LOCK := requirements-test\.lock$", makefile, re.MULTILINE)
    assert "uv pip compile" in makefile and "--generate-hashes" in makefile
    assert re.search(r"^make test$", (ROOT / ".ci" / "run").read_text(encoding="utf-8"),
                     re.MULTILINE)
