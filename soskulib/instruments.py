"""Instrument registry: declarative TOML specs shipped in ``soskulib/instrument_specs/``.

A researcher adds an instrument by adding a ``<id>.toml`` file there (or by pointing the
``SOSKU_INSTRUMENT_PATH`` environment variable at a folder of further spec files); no code
changes. See ``esis.toml`` for a commented example of every field.

Examples
--------
>>> from soskulib import instruments
>>> instruments.available()
['3x10d', 'eq5d3l', 'esis', 'gas', 'whodas12']
>>> esis = instruments.get("ESIS")
>>> esis.items[:3], esis.min, esis.max, esis.higher_is_better
(('esis01', 'esis02', 'esis03'), 1, 5, True)
"""

from __future__ import annotations

import os
import re
import tomllib
from dataclasses import dataclass, field
from functools import cache
from importlib import resources
from pathlib import Path
from typing import Any

from soskulib.errors import ConfigurationError

SCALE_METHODS = ("sum", "mean", "linear_0_100", "gas_tscore")


@dataclass(frozen=True)
class Scale:
    """A scored scale of an instrument.

    Parameters
    ----------
    name : str
        Column name in :func:`soskulib.scoring.score` output.
    items : tuple of str
        Items that make up the scale.
    method : str
        ``"sum"``, ``"mean"``, ``"linear_0_100"`` ((sum - k·min) / (k·(max - min)) × 100) or
        ``"gas_tscore"``.
    min_answered : float
        Missing-item rule: a share (0-1] or a count (> 1) of items that must be answered for the
        scale to be scored; below it the score is NaN.
    prorate : bool
        Whether sums are prorated from the answered items (mean × k) when some are missing.
    higher_is_better : bool
        Direction of the scale (overrides the instrument's where they differ, e.g. EQ VAS).
    """

    name: str
    items: tuple[str, ...]
    method: str
    min_answered: float
    prorate: bool
    higher_is_better: bool

    def required_items(self) -> int:
        """Number of answered items needed to score the scale."""
        k = len(self.items)
        if self.min_answered <= 1:
            return max(1, int(-(-round(self.min_answered * k, 9) // 1)))  # ceil
        return int(self.min_answered)


@dataclass(frozen=True)
class Instrument:
    """A functional-capacity instrument as declared in its spec file.

    Attributes follow the public contract: ``name, items, min, max, scales, reverse,
    higher_is_better``; the rest (norms, reliability, labels, source) feed reports.
    """

    id: str
    name: str
    items: tuple[str, ...]
    min: float
    max: float
    scales: dict[str, Scale]
    reverse: tuple[str, ...]
    higher_is_better: bool
    has_total: bool
    headline: str
    source: str
    title_fi: str = ""
    title_en: str = ""
    item_ranges: dict[str, tuple[float, float]] = field(default_factory=dict)
    item_labels: dict[str, tuple[str, str]] = field(default_factory=dict)
    reliability: dict[str, Any] = field(default_factory=dict)
    norms: dict[str, dict[str, Any]] = field(default_factory=dict)
    traffic_lights: dict[str, tuple[float, float]] = field(default_factory=dict)
    extra: dict[str, Any] = field(default_factory=dict)

    def item_range(self, item: str) -> tuple[float, float]:
        """Allowed closed range of ``item`` (the instrument's unless the spec overrides it)."""
        if item not in self.items:
            raise KeyError(f"{self.name} has no item {item!r}; items are {', '.join(self.items)}")
        return self.item_ranges.get(item, (self.min, self.max))

    def scale_range(self, scale: str) -> tuple[float, float]:
        """Possible range of a scale's score."""
        s = self.scales[scale]
        lows, highs = zip(*(self.item_range(i) for i in s.items), strict=True)
        if s.method == "sum":
            return float(sum(lows)), float(sum(highs))
        if s.method == "mean":
            return float(min(lows)), float(max(highs))
        if s.method == "linear_0_100":
            return 0.0, 100.0
        return float("-inf"), float("inf")

    def norm(self, scale: str, group: str | None = None) -> tuple[float, float] | None:
        """Published norm ``(mean, sd)`` for ``scale`` (first norm group unless named)."""
        groups = [group] if group else list(self.norms)
        for g in groups:
            value = self.norms.get(g, {}).get(scale)
            if value is not None:
                return float(value[0]), float(value[1])
        return None

    def label(self, item: str, lang: str = "en") -> str:
        """Finnish or English label of an item (the item id when none is declared)."""
        fi_en = self.item_labels.get(item)
        if fi_en is None:
            return item
        return fi_en[0] if lang == "fi" else fi_en[1]


def _spec_paths() -> dict[str, Path | Any]:
    paths: dict[str, Any] = {}
    for entry in resources.files("soskulib.instrument_specs").iterdir():
        if entry.name.endswith(".toml"):
            paths[entry.name[:-5]] = entry
    for folder in filter(None, os.environ.get("SOSKU_INSTRUMENT_PATH", "").split(os.pathsep)):
        for entry in sorted(Path(folder).glob("*.toml")):
            paths[entry.stem] = entry
    return paths


def _normalise(name: str) -> str:
    return re.sub(r"[^0-9a-z]", "", name.lower())


def _parse(spec: dict[str, Any], origin: str) -> Instrument:
    try:
        items = tuple(spec["items"])
        lo, hi = spec["min"], spec["max"]
        direction = bool(spec["higher_is_better"])
        missing = spec.get("missing", {})
        default_min = float(missing.get("min_answered", 1.0))
        default_prorate = missing.get("rule", "prorate") == "prorate"
        scale_specs = spec.get("scales") or [{"name": i, "items": [i], "method": "sum"} for i in items]
        scales = {}
        for s in scale_specs:
            s_items = items if s["items"] == "all" else tuple(s["items"])
            unknown = set(s_items) - set(items)
            if unknown:
                raise ConfigurationError(f"{origin}: scale {s['name']!r} names unknown items {sorted(unknown)}")
            if s["method"] not in SCALE_METHODS:
                raise ConfigurationError(f"{origin}: scale {s['name']!r} has method {s['method']!r}; "
                                         f"use one of {', '.join(SCALE_METHODS)}")
            scales[s["name"]] = Scale(
                name=s["name"],
                items=s_items,
                method=s["method"],
                min_answered=float(s.get("min_answered", default_min)),
                prorate=bool(s.get("prorate", default_prorate)),
                higher_is_better=bool(s.get("higher_is_better", direction)),
            )
        # `profile = true`: every item is also reported as a single-item scale (EQ-5D dimensions).
        if spec.get("profile", False):
            for i in items:
                scales.setdefault(i, Scale(i, (i,), "sum", 1.0, False, direction))
        return Instrument(
            id=spec["id"],
            name=spec["name"],
            items=items,
            min=lo,
            max=hi,
            scales=scales,
            reverse=tuple(spec.get("reverse", [])),
            higher_is_better=direction,
            has_total=bool(spec.get("has_total", "total" in scales)),
            headline=spec.get("headline", next(iter(scales))),
            source=spec.get("source", ""),
            title_fi=spec.get("title_fi", spec["name"]),
            title_en=spec.get("title_en", spec["name"]),
            item_ranges={k: (v[0], v[1]) for k, v in spec.get("item_ranges", {}).items()},
            item_labels={k: (v[0], v[1]) for k, v in spec.get("item_labels", {}).items()},
            reliability=dict(spec.get("reliability", {})),
            norms={k: dict(v) for k, v in spec.get("norms", {}).items()},
            traffic_lights={k: (v[0], v[1]) for k, v in spec.get("traffic_lights", {}).items()},
            extra={k: v for k, v in spec.items() if k in ("rho", "group_level_only")},
        )
    except KeyError as exc:
        raise ConfigurationError(f"{origin}: required field {exc.args[0]!r} is missing") from None


@cache
def _load(instrument_id: str) -> Instrument:
    paths = _spec_paths()
    entry = paths[instrument_id]
    with entry.open("rb") as fh:
        spec = tomllib.load(fh)
    return _parse(spec, str(entry))


def available() -> list[str]:
    """Ids of every instrument spec found, sorted.

    Examples
    --------
    >>> "esis" in available()
    True
    """
    return sorted(_spec_paths())


def get(name: str | Instrument) -> Instrument:
    """Return the instrument called ``name`` (case, spaces and punctuation ignored).

    Examples
    --------
    >>> get("WHODAS-12").id
    'whodas12'
    >>> get("3X10D").has_total
    False
    """
    if isinstance(name, Instrument):
        return name
    wanted = _normalise(name)
    for instrument_id in available():
        if _normalise(instrument_id) == wanted:
            return _load(instrument_id)
    for instrument_id in available():
        if _normalise(_load(instrument_id).name) == wanted:
            return _load(instrument_id)
    raise KeyError(f"unknown instrument {name!r}; available: {', '.join(available())}")
