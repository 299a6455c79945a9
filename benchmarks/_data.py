"""Benchmark inputs, built once per size and seed and cached under the work directory.

``demo_raw`` is the export ``sosku demo --clients N --seed S`` writes; ``processed`` is that
export after ``sosku prepare``. A folder counts as built only when its ``.complete`` marker
exists, so an interrupted build is redone rather than measured.
"""

from __future__ import annotations

import shutil
from collections.abc import Callable
from pathlib import Path
from typing import Any


def _cached(folder: Path, build: Callable[[Path], Any]) -> Path:
    marker = folder / ".complete"
    if marker.exists():
        return folder
    if folder.exists():
        shutil.rmtree(folder)
    folder.parent.mkdir(parents=True, exist_ok=True)
    build(folder)
    marker.touch()
    return folder


def demo_raw(size: int, options: dict) -> Path:
    """Raw demo export with ``size`` clients (``soskulib.demo.write_demo``, the CLI's code)."""
    from soskulib import demo

    folder = Path(options["workdir"]) / f"demo-{size}-seed{options['seed']}"

    def build(target: Path) -> None:
        demo.write_demo(target / "raw", seed=int(options["seed"]), n_clients=int(size))

    return _cached(folder, build) / "raw"


def processed(size: int, options: dict) -> Path:
    """Processed tables of :func:`demo_raw` (``soskulib.prepare.prepare``)."""
    from soskulib import prepare

    raw = demo_raw(size, options)
    folder = raw.parent / "processed"
    return _cached(folder, lambda target: prepare.prepare(raw, target))


def raw_tables(raw: Path) -> list[Path]:
    """Every data file of a raw export (CSV and xlsx), sorted."""
    files = [p for p in raw.rglob("*") if p.suffix.lower() in (".csv", ".xlsx", ".sav")]
    return sorted(files)
