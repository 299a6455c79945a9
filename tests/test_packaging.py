"""environment.yml and pyproject.toml list the same dependencies with the same lower bounds."""

from __future__ import annotations

import re
import tomllib
from pathlib import Path

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
