"""Instrument registry: declarative TOML specs shipped in ``soskulib/instrument_specs/``.

A researcher adds an instrument by adding a ``<id>.toml`` file there (or by pointing the
``SOSKU_INSTRUMENT_PATH`` environment variable at one or more folders of further spec files,
separated by ``os.pathsep``); no code changes. A spec in a folder of ``SOSKU_INSTRUMENT_PATH``
replaces a shipped spec with the same id. Every spec is checked for internal consistency when
it is loaded (:class:`~soskulib.errors.ConfigurationError` says what to fix).

Spec fields (see ``esis.toml`` and ``whodas12.toml`` for commented examples):

``id``, ``name``, ``items``, ``min``, ``max``, ``higher_is_better``
    Required. ``id`` equals the file name without ``.toml``.
``reverse``
    Reverse-keyed items, scored as ``min + max - x`` (with the item's own range).
``[[scales]]``
    ``name``, ``items`` (a list or ``"all"``), ``method`` (one of :data:`SCALE_METHODS`) and
    optionally ``min_answered`` / ``min_items`` / ``rule`` / ``higher_is_better`` overriding
    the instrument-wide ``[missing]`` rule and direction. Without ``[[scales]]`` every item is
    its own single-item scale (a profile, e.g. 3X10D); ``profile = true`` adds those
    single-item scales next to declared ones (EQ-5D dimensions).
``has_total``, ``headline``
    ``has_total`` is true exactly when a scale called ``total`` exists; ``headline`` names the
    scale that reports lead with.
``[missing]``
    ``rule``: ``"prorate"`` (sum = mean of answered items × number of items), ``"available"``
    (sum of the answered items; GAS uses the answered goals) or ``"complete"`` (every item
    needed). ``min_answered``: share (0, 1] of items that must be answered, rounded up to whole
    items; or ``min_items``: a count. Below it the scale is NaN.
``item_ranges``, ``item_labels``, ``traffic_lights``, ``[reliability]``, ``[norms.<group>]``
    Per-item ranges overriding ``min``/``max`` (EQ VAS 0-100); ``[fi, en]`` labels; colour
    bands ``[low, high]`` on the item scale; published reliability; published norms as
    ``scale = [mean, sd]`` plus ``source``/``n`` per norm group.
``source``, ``title_fi``, ``title_en``
    Where the instrument and its numbers come from; titles for reports.

Any further top-level key (``rho``, ``group_level_only``, ...) is kept in
:attr:`Instrument.extra`.

Examples
--------
>>> from soskulib import instruments
>>> instruments.available()
['3x10d', 'eq5d3l', 'esis', 'gas', 'kykyviisari', 'whodas12']
>>> esis = instruments.get("ESIS")
>>> esis.items[:3], esis.min, esis.max, esis.higher_is_better
(('esis01', 'esis02', 'esis03'), 1, 5, True)
>>> esis.scales["total"].required_items()
8
"""

from __future__ import annotations

import math
import os
import re
import tomllib
from dataclasses import dataclass, field
from functools import cache
from importlib import resources
from pathlib import Path
from typing import TYPE_CHECKING, Any

from soskulib.errors import ConfigurationError

if TYPE_CHECKING:
    import pandas as pd

#: Scoring methods a scale may declare (implemented in :mod:`soskulib.scoring`).
SCALE_METHODS = ("sum", "mean", "linear_0_100", "gas_tscore")
#: Missing-item rules (see the module docstring).
MISSING_RULES = ("prorate", "available", "complete")

_KNOWN_KEYS = {
    "id", "name", "items", "min", "max", "higher_is_better", "reverse", "scales", "has_total",
    "headline", "missing", "profile", "source", "title_fi", "title_en", "item_ranges",
    "item_labels", "reliability", "norms", "traffic_lights", "headline_name", "available_from",
    "codings", "unverified",
}

#: The one order in which instruments appear in every table and figure of the reports: the
#: life-situation meter, participation, functioning, health-related quality of life, goals.
ORDER: tuple[str, ...] = ("3x10d", "esis", "whodas12", "eq5d3l", "gas")


def named(table: Any, lang: str = "fi", *, column: str = "name", ids: str = "instrument") -> Any:
    """A copy of a result table whose ``column`` names what each headline scale measures.

    Result tables on an instrument's headline scale (outcome summaries, pooled estimates,
    ...) carry the instrument's id in ``ids`` and its short name in ``column``; for
    instruments whose headline is not a total score the short name misleads (3X10D has no
    total score; EQ-5D-3L's headline is the EQ VAS). This writes
    :meth:`Instrument.display_name` instead, in ``lang``.

    Parameters
    ----------
    table : DataFrame
        A result table with an ``ids`` column.
    lang : {"fi", "en"}
        Language.
    column, ids : str
        The name column (created if missing) and the instrument-id column.

    Returns
    -------
    DataFrame

    Examples
    --------
    >>> import pandas as pd
    >>> named(pd.DataFrame({"instrument": ["3x10d", "eq5d3l"], "name": ["3X10D", "EQ-5D-3L"]}),
    ...       "en")["name"].tolist()
    ['3X10D: life as a whole', 'EQ VAS']
    """
    if ids not in table.columns and len(table) == 0:
        return table.copy()  # an empty result (e.g. too few municipalities to pool)
    if ids not in table.columns:
        raise KeyError(f"named() needs the instrument-id column {ids!r}; columns are "
                       f"{', '.join(map(str, table.columns))}")
    out = table.copy()
    out[column] = [get(i).display_name(lang) if isinstance(i, str) else i for i in out[ids]]
    return out


def ordered(ids: Any) -> list[str]:
    """Instrument ids in the reports' order (:data:`ORDER`; others after them, sorted).

    Parameters
    ----------
    ids : iterable of str
        Instrument ids (duplicates are kept once).

    Returns
    -------
    list of str

    Examples
    --------
    >>> ordered(["whodas12", "eq5d3l", "esis", "3x10d", "kykyviisari"])
    ['3x10d', 'esis', 'whodas12', 'eq5d3l', 'kykyviisari']
    """
    unique = list(dict.fromkeys(ids))
    rank = {name: i for i, name in enumerate(ORDER)}
    return sorted(unique, key=lambda i: (rank.get(i, len(ORDER)), i))


@dataclass(frozen=True)
class Scale:
    """A scored scale of an instrument.

    Built from a ``[[scales]]`` entry of a spec (:func:`get` returns them in
    :attr:`Instrument.scales`); the scoring formulas of each ``method`` are in
    :mod:`soskulib.scoring`.

    Parameters
    ----------
    name : str
        Column name in :func:`soskulib.scoring.score` output.
    items : tuple of str
        Items that make up the scale.
    method : str
        ``"sum"``, ``"mean"``, ``"linear_0_100"`` ((sum - Σmin) / (Σmax - Σmin) × 100) or
        ``"gas_tscore"``.
    min_answered : float
        Missing-item rule: share (0, 1] of items that must be answered (rounded up to whole
        items) for the scale to be scored; below it the score is NaN.
    prorate : bool
        Whether sums are prorated from the answered items (mean × k) when some are missing
        (rule ``"prorate"``); otherwise the answered items are summed (rule ``"available"``).
    higher_is_better : bool
        Direction of the scale (overrides the instrument's where they differ, e.g. EQ VAS).
    min_items : int or None
        Count of answered items needed; takes precedence over ``min_answered`` when given.

    Examples
    --------
    >>> s = get("esis").scales["total"]
    >>> s.method, len(s.items), s.required_items(), s.prorate
    ('linear_0_100', 10, 8, True)
    """

    name: str
    items: tuple[str, ...]
    method: str
    min_answered: float
    prorate: bool
    higher_is_better: bool
    min_items: int | None = None

    def required_items(self) -> int:
        """Number of answered items needed to score the scale.

        Returns
        -------
        int
            ``min_items`` if set, else ``ceil(min_answered · k)`` (at least 1).

        Examples
        --------
        >>> Scale("total", tuple("abcdefghijkl"), "sum", 0.8, True, False).required_items()
        10
        """
        if self.min_items is not None:
            return int(self.min_items)
        k = len(self.items)
        # round() first so that 0.8 * 10 = 8.000000000000002 does not become 9
        return max(1, math.ceil(round(self.min_answered * k, 9)))


@dataclass(frozen=True)
class Instrument:
    """A functional-capacity instrument as declared in its spec file.

    Attributes follow the public contract: ``name, items, min, max, scales, reverse,
    higher_is_better``; the rest (norms, reliability, labels, source) feed reports.

    Examples
    --------
    >>> whodas = get("whodas12")
    >>> whodas.min, whodas.max, whodas.higher_is_better, whodas.headline
    (0, 4, False, 'total')
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
    headline_name: tuple[str, str] | None = None
    extra: dict[str, Any] = field(default_factory=dict)
    available_from: str | None = None
    codings: dict[str, dict[str, Any]] = field(default_factory=dict)
    unverified: tuple[tuple[str, str], ...] = ()

    def check_scale(self, scale: str | None = None) -> str:
        """The name of ``scale``, checked against the spec; the headline scale when ``None``.

        Raises
        ------
        KeyError
            If the instrument has no such scale (the message lists the scales it has).

        Examples
        --------
        >>> get("whodas12").check_scale(), get("esis").check_scale("total")
        ('total', 'total')
        """
        name = self.headline if scale is None else scale
        if name not in self.scales:
            raise KeyError(f"{self.name} has no scale {name!r}; scales are {', '.join(self.scales)}")
        return name

    @property
    def headline_higher_is_better(self) -> bool:
        """Whether a higher score on the headline scale is better: the direction change is shown in.

        The headline is always one of the instrument's scales (checked when the spec loads).

        Examples
        --------
        >>> get("whodas12").headline_higher_is_better, get("esis").headline_higher_is_better
        (False, True)
        """
        return self.scales[self.headline].higher_is_better

    def display_name(self, lang: str = "en") -> str:
        """What the headline scale is called in a report, so a reader knows what was measured.

        The instrument's name when the headline is its total score; the spec's
        ``headline_name`` when it declares one (EQ-5D-3L's headline is the EQ VAS); otherwise
        the name and the headline's single item (3X10D has no total score: its headline is
        the item "life as a whole").

        Examples
        --------
        >>> get("3x10d").display_name("fi"), get("eq5d3l").display_name("en")
        ('3X10D: elämä kokonaisuutena', 'EQ VAS')
        >>> get("esis").display_name("fi")
        'ESIS'
        """
        if self.headline_name is not None:
            return self.headline_name[0] if lang == "fi" else self.headline_name[1]
        scale = self.scales.get(self.headline)
        if scale is not None and len(scale.items) == 1 and self.headline != "total":
            return f"{self.name}: {self.label(scale.items[0], lang)}"
        return self.name

    def item_range(self, item: str) -> tuple[float, float]:
        """Allowed closed range of ``item`` (the instrument's unless the spec overrides it).

        Parameters
        ----------
        item : str
            Item id.

        Returns
        -------
        (min, max)
            Closed range of the item's values.

        Examples
        --------
        >>> get("eq5d3l").item_range("vas"), get("eq5d3l").item_range("mobility")
        ((0, 100), (1, 3))
        """
        if item not in self.items:
            raise KeyError(f"{self.name} has no item {item!r}; items are {', '.join(self.items)}")
        return self.item_ranges.get(item, (self.min, self.max))

    def scale_range(self, scale: str) -> tuple[float, float]:
        """Possible range of a scale's score.

        Parameters
        ----------
        scale : str
            Scale name.

        Returns
        -------
        (float, float)
            Sum of item minima/maxima for ``sum`` scales, the item range for ``mean`` scales,
            (0, 100) for ``linear_0_100`` and (-inf, inf) for ``gas_tscore``.

        Examples
        --------
        >>> get("whodas12").scale_range("total")
        (0.0, 48.0)
        """
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
        """Published norm ``(mean, sd)`` for ``scale`` (first norm group unless named).

        Parameters
        ----------
        scale : str
            Scale name.
        group : str, optional
            Norm group (a ``[norms.<group>]`` table of the spec); default the first group that has
            the scale.

        Returns
        -------
        (float, float) or None
            ``(mean, sd)``, or None when the spec gives no norm for the scale.

        Examples
        --------
        >>> get("whodas12").norm("total", "mental")
        (6.3, 7.1)
        """
        groups = [group] if group else list(self.norms)
        for g in groups:
            value = self.norms.get(g, {}).get(scale)
            if value is not None:
                return float(value[0]), float(value[1])
        return None

    def label(self, item: str, lang: str = "en") -> str:
        """Finnish or English label of an item (the item id when none is declared).

        Parameters
        ----------
        item : str
            Item id.
        lang : {"fi", "en"}
            Language.

        Returns
        -------
        str

        Examples
        --------
        >>> get("3x10d").label("finances", "fi")
        'talous'
        """
        fi_en = self.item_labels.get(item)
        if fi_en is None:
            return item
        return fi_en[0] if lang == "fi" else fi_en[1]


def _spec_paths() -> dict[str, Path | Any]:
    paths: dict[str, Any] = {}
    for entry in sorted(resources.files("soskulib.instrument_specs").iterdir(), key=lambda e: e.name):
        if entry.name.endswith(".toml"):
            paths[entry.name[:-5]] = entry
    for folder in filter(None, os.environ.get("SOSKU_INSTRUMENT_PATH", "").split(os.pathsep)):
        for entry in sorted(Path(folder).glob("*.toml")):
            paths[entry.stem] = entry
    return paths


def _normalise(name: str) -> str:
    return re.sub(r"[^0-9a-z]", "", name.lower())


def _pair(value: Any, what: str, origin: str) -> tuple[Any, Any]:
    if not isinstance(value, list | tuple) or len(value) != 2:
        raise ConfigurationError(f"{origin}: {what} must be a pair [a, b], got {value!r}")
    return value[0], value[1]


def _check_number(value: Any, what: str, origin: str) -> float:
    if isinstance(value, bool) or not isinstance(value, int | float) or not math.isfinite(value):
        raise ConfigurationError(f"{origin}: {what} must be a finite number, got {value!r}")
    return value


def _missing_rule(spec: dict[str, Any], defaults: tuple[str, float, int | None], k: int,
                  where: str, origin: str) -> tuple[str, float, int | None]:
    rule = spec.get("rule", defaults[0])
    if rule not in MISSING_RULES:
        raise ConfigurationError(f"{origin}: {where} has missing rule {rule!r}; "
                                 f"use one of {', '.join(MISSING_RULES)}")
    share = float(_check_number(spec.get("min_answered", defaults[1]), f"{where} min_answered", origin))
    if not 0 < share <= 1:
        raise ConfigurationError(f"{origin}: {where} min_answered must be a share in (0, 1], "
                                 f"got {share}; give a count as min_items")
    count = spec.get("min_items", defaults[2])
    if count is not None and (isinstance(count, bool) or not isinstance(count, int) or count < 1):
        raise ConfigurationError(f"{origin}: {where} min_items must be a whole number >= 1, got {count!r}")
    if rule == "complete":
        share, count = 1.0, None
    if count is not None and k and count > k:
        raise ConfigurationError(f"{origin}: {where} min_items = {count} but it has only {k} items")
    return rule, share, count


def _parse(spec: dict[str, Any], origin: str) -> Instrument:
    """Turn a parsed TOML spec into an :class:`Instrument`, checking it is consistent."""
    try:
        items = tuple(spec["items"])
        lo = _check_number(spec["min"], "min", origin)
        hi = _check_number(spec["max"], "max", origin)
        direction = spec["higher_is_better"]
        instrument_id, name = spec["id"], spec["name"]
    except KeyError as exc:
        raise ConfigurationError(f"{origin}: required field {exc.args[0]!r} is missing") from None
    if not isinstance(direction, bool):
        raise ConfigurationError(f"{origin}: higher_is_better must be true or false")
    if not items or not all(isinstance(i, str) and i for i in items):
        raise ConfigurationError(f"{origin}: items must be a non-empty list of names")
    if len(set(items)) != len(items):
        raise ConfigurationError(f"{origin}: items are not unique")
    if lo >= hi:
        raise ConfigurationError(f"{origin}: min ({lo}) must be below max ({hi})")

    item_ranges: dict[str, tuple[float, float]] = {}
    for item, value in spec.get("item_ranges", {}).items():
        a, b = _pair(value, f"item_ranges.{item}", origin)
        if item not in items:
            raise ConfigurationError(f"{origin}: item_ranges names unknown item {item!r}")
        if _check_number(a, f"item_ranges.{item}", origin) >= _check_number(b, f"item_ranges.{item}", origin):
            raise ConfigurationError(f"{origin}: item_ranges.{item} must be [low, high] with low < high")
        item_ranges[item] = (a, b)

    reverse = tuple(spec.get("reverse", []))
    unknown = sorted(set(reverse) - set(items))
    if unknown:
        raise ConfigurationError(f"{origin}: reverse names unknown items {unknown}")

    missing = spec.get("missing", {})
    defaults = _missing_rule(missing, ("prorate", 1.0, None), 0, "[missing]", origin)
    scale_specs = spec.get("scales") or [{"name": i, "items": [i], "method": "sum"} for i in items]
    scales: dict[str, Scale] = {}
    for s in scale_specs:
        if "name" not in s or "items" not in s or "method" not in s:
            raise ConfigurationError(f"{origin}: every [[scales]] entry needs name, items and method")
        s_items = items if s["items"] == "all" else tuple(s["items"])
        where = f"scale {s['name']!r}"
        unknown = sorted(set(s_items) - set(items))
        if unknown or not s_items:
            raise ConfigurationError(f"{origin}: {where} names unknown items {unknown}" if unknown
                                     else f"{origin}: {where} has no items")
        if s["method"] not in SCALE_METHODS:
            raise ConfigurationError(f"{origin}: {where} has method {s['method']!r}; "
                                     f"use one of {', '.join(SCALE_METHODS)}")
        if s["name"] in scales:
            raise ConfigurationError(f"{origin}: scale {s['name']!r} is declared twice")
        rule, share, count = _missing_rule(s, defaults, len(s_items), where, origin)
        scales[s["name"]] = Scale(
            name=s["name"],
            items=s_items,
            method=s["method"],
            min_answered=share,
            prorate=rule == "prorate",
            higher_is_better=bool(s.get("higher_is_better", direction)),
            min_items=count,
        )
    # `profile = true`: every item is also reported as a single-item scale (EQ-5D dimensions).
    if spec.get("profile", False):
        for i in items:
            scales.setdefault(i, Scale(i, (i,), "sum", 1.0, False, direction))

    has_total = "total" in scales
    if "has_total" in spec and bool(spec["has_total"]) != has_total:
        raise ConfigurationError(f"{origin}: has_total = {str(spec['has_total']).lower()} but a scale "
                                 f"called 'total' is {'' if has_total else 'not '}declared")
    headline = spec.get("headline", next(iter(scales)))
    if headline not in scales:
        raise ConfigurationError(f"{origin}: headline {headline!r} is not a scale; scales are "
                                 f"{', '.join(scales)}")

    norms: dict[str, dict[str, Any]] = {}
    for group, values in spec.get("norms", {}).items():
        if not isinstance(values, dict):
            raise ConfigurationError(f"{origin}: norms.{group} must be a table")
        for key, value in values.items():
            if isinstance(value, list):
                mean, sd = _pair(value, f"norms.{group}.{key}", origin)
                if key not in scales:
                    raise ConfigurationError(f"{origin}: norms.{group} gives {key!r}, which is not a "
                                             f"scale; scales are {', '.join(scales)}")
                _check_number(mean, f"norms.{group}.{key} mean", origin)
                if _check_number(sd, f"norms.{group}.{key} sd", origin) <= 0:
                    raise ConfigurationError(f"{origin}: norms.{group}.{key} sd must be positive")
        norms[group] = dict(values)

    reliability = dict(spec.get("reliability", {}))
    if "alpha" in reliability and not 0 < _check_number(reliability["alpha"], "reliability.alpha", origin) < 1:
        raise ConfigurationError(f"{origin}: reliability.alpha must be between 0 and 1")

    traffic_lights: dict[str, tuple[float, float]] = {}
    for colour, value in spec.get("traffic_lights", {}).items():
        a, b = _pair(value, f"traffic_lights.{colour}", origin)
        if not lo <= a <= b <= hi:
            raise ConfigurationError(f"{origin}: traffic_lights.{colour} = {value} lies outside {lo}-{hi}")
        traffic_lights[colour] = (a, b)

    item_labels = {}
    for item, value in spec.get("item_labels", {}).items():
        if item not in items:
            raise ConfigurationError(f"{origin}: item_labels names unknown item {item!r}")
        item_labels[item] = _pair(value, f"item_labels.{item}", origin)

    return Instrument(
        id=instrument_id,
        name=name,
        items=items,
        min=lo,
        max=hi,
        scales=scales,
        reverse=reverse,
        higher_is_better=direction,
        has_total=has_total,
        headline=headline,
        source=spec.get("source", ""),
        title_fi=spec.get("title_fi", name),
        title_en=spec.get("title_en", name),
        item_ranges=item_ranges,
        item_labels=item_labels,
        reliability=reliability,
        norms=norms,
        traffic_lights=traffic_lights,
        headline_name=(_pair(spec["headline_name"], "headline_name", origin)
                       if "headline_name" in spec else None),
        extra={k: v for k, v in spec.items() if k not in _KNOWN_KEYS},
        available_from=_available_from(spec.get("available_from"), origin),
        codings=_codings(spec.get("codings", {}), items, lo, hi, item_ranges, origin),
        unverified=tuple(_pair(u, "unverified entry", origin) if isinstance(u, list) else (u, u)
                         for u in spec.get("unverified", ())),
    )


def _available_from(value: Any, origin: str) -> str | None:
    """``available_from = "YYYY-MM-DD"``: the first day the instrument could have been used."""
    if value is None:
        return None
    text = value.isoformat() if hasattr(value, "isoformat") else str(value)
    if not re.fullmatch(r"\d{4}-\d{2}-\d{2}", text):
        raise ConfigurationError(f"{origin}: available_from must be a date YYYY-MM-DD, got {value!r}")
    return text


def _codings(spec: Any, items: tuple[str, ...], lo: float, hi: float,
             item_ranges: dict[str, tuple[float, float]], origin: str) -> dict[str, dict[str, Any]]:
    """``[codings.<name>]`` with ``map = {"1" = 0, ...}``: an alternative answer coding.

    Every mapped value must lie in the instrument's range; the coding's own range is the span
    of its keys. Only instruments whose items share one range may declare a coding.
    """
    out: dict[str, dict[str, Any]] = {}
    if not isinstance(spec, dict):
        raise ConfigurationError(f"{origin}: [codings] must be a table of codings")
    for name, entry in spec.items():
        mapping = entry.get("map") if isinstance(entry, dict) else None
        if not isinstance(mapping, dict) or not mapping:
            raise ConfigurationError(f"{origin}: codings.{name} needs a map, e.g. map = {{\"1\" = 0}}")
        if item_ranges:
            raise ConfigurationError(f"{origin}: codings need one range for all items")
        try:
            pairs = {float(k): float(_check_number(v, f"codings.{name}.map", origin))
                     for k, v in mapping.items()}
        except ValueError:
            raise ConfigurationError(f"{origin}: codings.{name}.map keys must be numbers") from None
        if not all(lo <= v <= hi for v in pairs.values()):
            raise ConfigurationError(f"{origin}: codings.{name}.map values must lie in {lo}-{hi}")
        out[str(name)] = {"map": pairs, "range": (min(pairs), max(pairs)),
                          "note": str(entry.get("note", ""))}
    return out


@cache
def _load(instrument_id: str) -> Instrument:
    entry = _spec_paths()[instrument_id]
    try:
        with entry.open("rb") as fh:
            spec = tomllib.load(fh)
    except tomllib.TOMLDecodeError as exc:
        raise ConfigurationError(f"{entry}: not valid TOML: {exc}") from None
    if spec.get("id") != instrument_id:
        raise ConfigurationError(f"{entry}: id = {spec.get('id')!r} must equal the file name "
                                 f"{instrument_id!r}")
    return _parse(spec, str(entry))


def clear_cache() -> None:
    """Forget loaded specs, e.g. after editing a spec or changing ``SOSKU_INSTRUMENT_PATH``.

    Examples
    --------
    >>> import os
    >>> os.environ["SOSKU_INSTRUMENT_PATH"] = "/path/to/my/specs"  # doctest: +SKIP
    >>> clear_cache()
    """
    _load.cache_clear()
    _resolve.cache_clear()


def available() -> list[str]:
    """Ids of every instrument spec found, sorted.

    Returns
    -------
    list of str
        Instrument ids (shipped specs and those on ``SOSKU_INSTRUMENT_PATH``).

    Examples
    --------
    >>> "esis" in available()
    True
    """
    return sorted(_spec_paths())


def get(name: str | Instrument) -> Instrument:
    """Return the instrument called ``name`` (case, spaces and punctuation ignored).

    Parameters
    ----------
    name : str or Instrument
        Instrument id or name (``"WHODAS-12"``, ``"whodas12"``); an Instrument is returned as is.

    Returns
    -------
    Instrument

    Raises
    ------
    KeyError
        No spec has that id or name (the message lists the available ones).
    ConfigurationError
        The spec file is inconsistent (the message says what to fix).

    Examples
    --------
    >>> get("WHODAS-12").id
    'whodas12'
    >>> get("3X10D").has_total
    False
    """
    if isinstance(name, Instrument):
        return name
    return _load(_resolve(name, os.environ.get("SOSKU_INSTRUMENT_PATH", "")))


@cache
def _resolve(name: str, search_path: str) -> str:
    """Instrument id of ``name`` (cached per search path: listing the spec folder is slow)."""
    wanted = _normalise(name)
    for instrument_id in available():
        if _normalise(instrument_id) == wanted:
            return instrument_id
    for instrument_id in available():
        if _normalise(_load(instrument_id).name) == wanted:
            return instrument_id
    raise KeyError(f"unknown instrument {name!r}; available: {', '.join(available())}")


def spec_facts(ids: Any = None, lang: str = "fi") -> pd.DataFrame:
    """Per instrument: from when it existed, declared answer codings, unverified parts, source.

    For the instruments page: what validation checks assessment dates against
    (``available_from``), which alternative codings a raw file may declare (column
    ``koodaus``) and what in the spec is an assumption.

    Parameters
    ----------
    ids : iterable of str, optional
        Instrument ids (default: every available instrument, in :data:`ORDER`).
    lang : {"fi", "en"}
        Language of the instrument titles.

    Returns
    -------
    DataFrame
        ``name, title, available_from`` (``d.m.yyyy``)``, codings, unverified, source``.

    Examples
    --------
    >>> facts = spec_facts(["whodas12", "esis"], lang="en")
    >>> facts[["name", "available_from", "codings"]].values.tolist()
    [['ESIS', '1.1.2017', ''], ['WHODAS-12', '1.1.2010', '1-5']]
    """
    import pandas as pd

    rows = []
    for inst_id in ordered(ids if ids is not None else available()):
        inst = get(inst_id)
        day = "" if inst.available_from is None else ".".join(
            str(int(p)) for p in reversed(inst.available_from.split("-")))
        rows.append({"name": inst.name, "title": inst.title_fi if lang == "fi" else inst.title_en,
                     "available_from": day, "codings": ", ".join(inst.codings),
                     "unverified": "; ".join(u[0] if lang == "fi" else u[1] for u in inst.unverified),
                     "source": inst.source})
    return pd.DataFrame(rows)
