"""Synthetic SOSKU raw export with a known truth: the demo data of soskulib.

:func:`write_demo` writes a raw export laid out exactly as the :mod:`soskulib.schema` docstring
describes (``osahankkeet.csv`` at the top, one folder ``<code>_<slug>/`` per organisation,
``truth.json``, ``README.md``). Every person, identity code and event is invented.

What is simulated, and how (all draws from ``numpy.random.default_rng`` streams derived from
the seed; the same seed gives the same bytes):

* **Clients** per organisation with target-group mix, gender (about 60 % men, 2 % "other /
  unknown"), age by target group, start 2016-01..2018-06, end reason and onward pathway.
  Episodes still open at the export date 31.12.2018 are censored (no end date).
  Identity codes are artificial: individual number 900-999 (never issued to real people), the
  parity matches the recorded gender (odd = male), with a valid check character.
* **Fidelity**: each client receives each of THL's four core elements (needs assessment, plan
  with goals, intensive individual work, group activity) with an organisation-level
  probability (recorded in ``truth.json``); contacts and goals are generated from them.
* **Outcomes**: a one-factor latent model per instrument. Item ``j`` of person ``i`` is
  ``clip(round(loc_j ± scale_j (λ η_i + √(1-λ²) ε_ij)), min, max)``; the latent ``η`` has mean
  ``b_m`` (organisation baseline offset) and SD 1 at baseline and correlation ``r`` between
  baseline and end, where it is shifted by ``δ_m``. ``δ_m`` is *calibrated* so that the
  observed-score population standardised mean change equals the true effect ``θ_m`` (below).
* **Known truth** for each instrument's headline scale: ``θ_m ~ N(μ, τ²)`` per organisation in
  the metric the analysis estimates, the standardised mean change with raw-score
  standardisation, ``θ = (E[post] − E[pre]) / SD_pre``, oriented so positive = improvement
  (Becker 1988; metafor ``escalc(measure="SMCR")``). Because items are discrete and clipped,
  ``δ_m`` is found by bisection (Brent's method) on a fixed common-random-numbers sample of
  100,000 latent draws scored with the instrument's own scoring rule, so the recorded ``θ_m``
  is the population value of the exact estimand.
* **Missingness**: item non-response 1.5-2.5 % (MCAR); the end assessment depends on the end
  reason (dropouts mostly lack it). **Dropout is informative** (:data:`DROPOUT_MODEL`): each
  client has a general well-being ``w`` (the part of the baseline latent shared by all
  instruments) and an early progress ``e`` (the part of the latent change shared by all
  instruments: a poor start is a low ``e``). Dropping out is a probit in both,
  ``P(drop) = Φ((Φ⁻¹(p_m) − a·w − b·e) / √(1 − a² − b²))``, so the organisation's dropout
  share stays ``p_m`` while clients who start badly or are worse off at baseline leave more
  often. Dropouts' true change is therefore lower, and complete pairs over-state the change
  of all who started. ``truth.json`` holds both truths per instrument and organisation:
  ``theta`` (all starters, the estimand of the national synthesis) and
  ``theta_completers`` (clients with an end assessment, what complete cases estimate).
* **Development signal**: Vantaa's dropout probability falls from 0.35 to 0.15 for episodes
  starting on or after 1.1.2017, when a co-development experiment (a low-threshold return
  route agreed in every new client's plan) began; it shows in the dropout series by start
  cohort (:func:`soskulib.process.dropout_chart`).
* **Realistic mess**: ``;``-separated CSV with dd.mm.yyyy dates and decimal comma; Seinäjoki
  in cp1252 with CRLF line ends, Jyväskylä UTF-8 with a BOM; Essote as one ``.xlsx`` workbook
  with real Excel dates (sheet = table); missing items; and about 15 planted problems listed
  in ``truth.json`` (``planted_problems``) with their location and a rule id from
  :data:`PROBLEM_RULES`. Everything else is clean.

Examples
--------
>>> from soskulib import demo
>>> demo.hetu_check_character("131052", 308)    # the Digital and Population Data Services example
'T'
>>> sorted(demo.PROBLEM_RULES)[:3]
['duplicate_key', 'duplicate_row', 'end_before_start']
>>> sum(demo.DEFAULT_SIZES.values())
1500
"""

from __future__ import annotations

import io
import json
import re
import shutil
import tempfile
import zipfile
from collections.abc import Iterable
from dataclasses import dataclass, field
from functools import cache, lru_cache
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd
from scipy import optimize

from soskulib import demo_development, instruments, schema
from soskulib.errors import ConfigurationError

#: Rule ids of the planted problems, shared with :mod:`soskulib.validation`. ``column`` in a
#: planted-problem record is the raw column that holds the offending value; ``"-"`` where the
#: whole row is the problem.
PROBLEM_RULES: dict[str, str] = {
    "duplicate_row": "exact copy of an earlier row (column '-'); the first occurrence is kept",
    "duplicate_key": "a second row with the key of an earlier row (column: first key column)",
    "out_of_range": "number outside the column's or the instrument item's allowed range",
    "impossible_date": "dd.mm.yyyy that is not a calendar date, e.g. 31.02.2017",
    "end_before_start": "end date earlier than the start date (column: the end date)",
    "unknown_code": "value not in the column's code list",
    "invalid_hetu": "personal identity code with a wrong check character or impossible date",
    "not_a_number": "text where a number is expected, e.g. kesto_min 'puoli tuntia'",
    "missing_required": "empty value in a required column",
    "unknown_client": "a row for a person who is not in the organisation's asiakkaat table",
}

#: Default number of clients per organisation code: an ASSUMPTION, not a source's figure. The
#: seeds give only plans (SOSKU 550 for the whole joint project, SOS-Kainuu about 100) and no
#: realised numbers; the demo simulates more (1,500) so that its known truths can be shown
#: (the experiment on the dropout chart, women's and men's results): see
#: docs/development_work.md, "Decision: the demo's plan and its client numbers".
DEFAULT_SIZES: dict[str, int] = {
    "092": 380, "179": 260, "491": 220, "698": 180, "743": 150,
    "205": 110, "186": 90, "061": 70, "410": 40,
}
MIN_ORG_SIZE = 10

EXPORT_DATE = np.datetime64("2018-12-31", "D")
START_FIRST = np.datetime64("2016-01-01", "D")
START_LAST = np.datetime64("2018-06-30", "D")
YEARS = (2016, 2017, 2018)
#: Years the quality criteria are rated: the recommendation was published 14.12.2018, so only
#: the programme's last year is assessed against it.
QUALITY_YEARS = (2018,)

#: Fixed timestamp for everything that would otherwise carry the wall clock (xlsx metadata).
FIXED_TIMESTAMP = (2018, 12, 31, 0, 0, 0)
#: Above this many rows in one workbook the xlsx delivery falls back to CSV (Excel's sheet
#: limit is 1,048,576 rows and openpyxl is slow on big sheets).
XLSX_MAX_ROWS = 150_000

HETU_CHECK = "0123456789ABCDEFHJKLMNPRSTUVWXY"

# Suggested national means (brief) and between-organisation SDs of the true effects.
TRUE_MU = {"3x10d": 0.30, "esis": 0.35, "whodas12": 0.25, "eq5d3l": 0.20}
TRUE_TAU = {"3x10d": 0.12, "esis": 0.15, "whodas12": 0.10, "eq5d3l": 0.12}
PREPOST_LATENT_R = 0.55
#: Informative dropout (see the module docstring): probit loadings of dropping out on the
#: general baseline well-being ``w`` (``a``) and on the early progress ``e`` (``b``), and the
#: share of the latent change's individual variance that ``e`` carries (common to instruments).
DROPOUT_MODEL = {"a_baseline": 0.25, "b_early": 0.50, "early_share": 0.5}
FOLLOWUP_LATENT_R = 0.70
FOLLOWUP_KEEP = 0.8  # share of the end-of-service latent shift still present at follow-up
CALIBRATION_DRAWS = 100_000

TARGET_GROUPS = list(schema.TARGET_GROUP_FIRST_LAYOUT)  # raw codes drawn first (schema order)
END_REASONS = list(schema.END_REASON)      # valmis, keskeytti, muutti, muu
PATHWAYS = list(schema.PATHWAY_FIRST_LAYOUT)  # drawn first; demo_development adds the rest
LIFE_AREAS = list(schema.LIFE_AREA)


@dataclass(frozen=True)
class OrgProfile:
    """Generation parameters of one organisation (fixed; documented in ``truth.json``).

    Attributes
    ----------
    target_mix : tuple of float
        Shares of the target groups (order of ``TARGET_GROUPS``).
    fidelity : (float, float, float, float)
        Probabilities of needs assessment, plan with goals, intensive individual work and group
        activity.
    instruments : tuple of str
        Assessment instruments the organisation uses.
    dropout : float
        P(dropped out | episode ended).
    outreach : float
        Share of individual contacts done as outreach.
    codev_rate : float
        Development events per quarter.
    client_share : float
        How strongly clients take part in development events.
    quality_2016, quality_slope : float
        Mean self-rated quality in 2016 (1-4) and its yearly improvement.
    name : str
        Sub-project name.
    file_format, encoding, newline : str
        How the organisation's files are written (``"csv"`` or ``"xlsx"``).
    dropout_after, signal_from : float and str, optional
        Development signal: the dropout probability for episodes ending on or after
        ``signal_from``.

    Examples
    --------
    >>> p = PROFILES["092"]
    >>> p.dropout, p.dropout_after, p.signal_from
    (0.35, 0.15, '2017-01-01')
    """

    target_mix: tuple[float, ...]          # over TARGET_GROUPS
    fidelity: tuple[float, float, float, float]  # needs assessment, plan, intensive, group
    instruments: tuple[str, ...]
    dropout: float                          # P(dropped out | episode ended)
    outreach: float                         # share of individual contacts done as outreach
    codev_rate: float                       # development events per quarter
    client_share: float                     # how strongly clients take part in development
    quality_2016: float                     # mean self-rated quality in 2016 (1-4)
    quality_slope: float                    # yearly improvement
    name: str
    file_format: str = "csv"               # "csv" or "xlsx"
    encoding: str = "utf-8"
    newline: str = "\n"
    dropout_after: float | None = None      # development signal: dropout of episodes starting
    #                                         on or after `signal_from`
    signal_from: str | None = None


PROFILES: dict[str, OrgProfile] = {
    "092": OrgProfile((.25, .20, .20, .10, .10, .15, 0), (.90, .85, .60, .55), ("3x10d", "esis", "whodas12"),
                      .35, .08, 4.0, .30, 2.3, .45, "Vantaan sosiaalisen kuntoutuksen yhteiskehittäminen",
                      dropout_after=.15, signal_from="2017-01-01"),
    "179": OrgProfile((.20, .25, .15, .05, .20, .15, 0), (.80, .90, .50, .70), ("3x10d", "esis", "whodas12", "eq5d3l"),
                      .22, .03, 3.0, .35, 2.5, .35, "Jyväskylän osallisuutta vahvistava sosiaalinen kuntoutus",
                      encoding="utf-8-sig"),
    "491": OrgProfile((.25, .25, .20, .05, .15, .10, 0), (.85, .80, .55, .50), ("esis", "whodas12", "eq5d3l"),
                      .25, .05, 3.0, .15, 2.2, .40, "Essoten sosiaalisen kuntoutuksen palvelumalli",
                      file_format="xlsx"),
    "698": OrgProfile((.10, .10, .10, 0, .10, .30, .30), (.70, .75, .65, .60), ("3x10d", "esis", "eq5d3l"),
                      .30, .15, 3.0, .30, 2.1, .45, "Rovaniemen nuorten ja aikuisten sosiaalinen kuntoutus"),
    "743": OrgProfile((.20, .20, .25, .05, .20, .10, 0), (.60, .70, .45, .65), ("3x10d", "whodas12", "eq5d3l"),
                      .25, .03, 2.0, .20, 2.4, .30, "Seinäjoen sosiaalisen kuntoutuksen kehittämishanke",
                      encoding="cp1252", newline="\r\n"),
    "205": OrgProfile((.25, .30, .15, 0, .20, .10, 0), (.75, .65, .50, .30), ("whodas12", "eq5d3l"),
                      .28, .15, 2.0, .25, 2.0, .40, "SOS-Kainuu: sosiaalinen kuntoutus Kainuussa"),
    "186": OrgProfile((.20, .15, .30, .05, .10, .20, 0), (.85, .90, .60, .50), ("esis", "whodas12"),
                      .20, .03, 2.0, .40, 2.6, .35, "Järvenpään sosiaalisen kuntoutuksen toimintamalli"),
    "061": OrgProfile((.25, .25, .20, 0, .20, .10, 0), (.55, .60, .40, .60), ("3x10d", "esis", "eq5d3l"),
                      .26, .03, 1.5, .10, 2.0, .30, "Forssan seudun sosiaalinen kuntoutus"),
    "410": OrgProfile((.30, .30, .10, 0, .20, .10, 0), (.65, .70, .50, .40), ("3x10d", "esis"),
                      .22, .05, 1.0, .20, 2.2, .30, "Laukaan sosiaalisen kuntoutuksen kokeilu"),
}

# Age at start (years) by target group: (mean, sd, min, max).
AGE_BY_GROUP = {
    "aikuissosiaalityo": (42, 11, 25, 64), "pitkaaikaistyoton": (49, 8, 30, 64),
    "paihde_mielenterveys": (40, 11, 20, 64), "vapautuva_vanki": (36, 9, 21, 60),
    "kuntouttava_tyotoiminta": (38, 12, 20, 64), "nuori": (23, 3.2, 18, 29),
    "nuori_13_17": (15.5, 1.4, 13, 17),
}
MALE_SHARE_BY_GROUP = {
    "aikuissosiaalityo": .58, "pitkaaikaistyoton": .62, "paihde_mielenterveys": .63,
    "vapautuva_vanki": .85, "kuntouttava_tyotoiminta": .60, "nuori": .57, "nuori_13_17": .50,
}
OTHER_GENDER_SHARE = 0.02
# Episode length in days by end reason: gamma(shape, mean).
DURATION = {"valmis": (3.0, 300.0), "keskeytti": (1.5, 120.0), "muutti": (2.0, 180.0), "muu": (2.0, 210.0)}
OTHER_REASONS = {"muutti": .07, "muu": .12}  # remainder after dropout is "valmis"

# P(pathway | target group) for completed episodes, over PATHWAYS
# (tyo, koulutus, tyokokeilu, kuntouttava_tyotoiminta, muut_palvelut, ei_jatkopolkua).
PATHWAY_COMPLETED = {
    "aikuissosiaalityo": (.08, .07, .20, .25, .30, .10),
    "pitkaaikaistyoton": (.12, .08, .30, .25, .15, .10),
    "paihde_mielenterveys": (.04, .04, .12, .25, .45, .10),
    "vapautuva_vanki": (.10, .05, .20, .20, .35, .10),
    "kuntouttava_tyotoiminta": (.10, .10, .30, .25, .15, .10),
    "nuori": (.12, .35, .25, .08, .12, .08),
    "nuori_13_17": (.02, .65, .08, 0, .20, .05),
}
PATHWAY_OTHER_REASON = {
    "keskeytti": (.02, .03, .05, .10, .30, .50),
    "muutti": (.02, .03, .03, .02, .20, .70),
    "muu": (.03, .05, .07, .10, .35, .40),
}
# P(end assessment | end reason, baseline done); ongoing episodes have none.
P_END_ASSESSMENT = {"valmis": .85, "keskeytti": .12, "muutti": .30, "muu": .50}
P_BASELINE = 0.90
P_FOLLOWUP = 0.25  # among completers with an end assessment who ended by 1.9.2018
P_REVIEW_GOALS = {"valmis": .95, "keskeytti": 0.0, "muutti": .50, "muu": .60}


@dataclass(frozen=True)
class ItemModel:
    """Latent-to-item mapping of one instrument (see the module docstring).

    Attributes
    ----------
    loc, scale : ndarray
        Item location and scale (per item) of the continuous response before rounding.
    sign : ndarray
        +1 where a higher item value means better functioning, -1 otherwise.
    lo, hi : ndarray
        Item ranges the rounded response is clipped to.
    loading : float
        Standardised loading λ of every item on the latent factor.
    p_missing : float
        Item non-response probability (MCAR).

    Examples
    --------
    >>> m = item_model("esis")
    >>> m.loading, m.p_missing, m.lo[0], m.hi[0]
    (0.69, 0.02, np.float64(1.0), np.float64(5.0))
    """

    loc: np.ndarray
    scale: np.ndarray
    sign: np.ndarray     # +1 where a higher item means better functioning
    lo: np.ndarray
    hi: np.ndarray
    loading: float
    p_missing: float


@cache
def item_model(instrument_id: str) -> ItemModel:
    """The item model of an assessment instrument (locations put clients below norms).

    Parameters
    ----------
    instrument_id : str
        One of :data:`soskulib.schema.ASSESSMENT_INSTRUMENTS`.

    Returns
    -------
    ItemModel

    Examples
    --------
    >>> item_model("whodas12").sign[0]   # WHODAS: a higher item means more difficulty
    np.float64(-1.0)
    """
    inst = instruments.get(instrument_id)
    k = len(inst.items)
    ranges = np.array([inst.item_range(i) for i in inst.items], dtype=float)
    spread = np.linspace(-1, 1, k)
    if instrument_id == "3x10d":
        norms = np.array([inst.norm(i) for i in inst.items])  # (mean, sd) of ages 16-29
        return ItemModel(norms[:, 0] - 1.4, norms[:, 1] * 1.05, np.ones(k), ranges[:, 0],
                         ranges[:, 1], 0.66, 0.015)
    if instrument_id == "esis":
        return ItemModel(3.1 + 0.3 * spread, np.full(k, 1.0), np.ones(k), ranges[:, 0],
                         ranges[:, 1], 0.69, 0.02)
    if instrument_id == "whodas12":
        return ItemModel(1.4 + 0.5 * spread, np.full(k, 1.15), -np.ones(k), ranges[:, 0],
                         ranges[:, 1], 0.62, 0.025)
    if instrument_id == "eq5d3l":
        loc = np.r_[1.55 + 0.35 * np.linspace(-1, 1, 5), 58.0]
        scale = np.r_[np.full(5, 0.65), 20.0]
        return ItemModel(loc, scale, np.r_[-np.ones(5), 1.0], ranges[:, 0], ranges[:, 1], 0.62, 0.015)
    raise KeyError(f"no item model for instrument {instrument_id!r}; "
                   f"demo instruments are {', '.join(schema.ASSESSMENT_INSTRUMENTS)}")


def simulate_items(instrument_id: str, latent: np.ndarray, noise: np.ndarray,
                   missing: np.ndarray | None = None, columns: np.ndarray | None = None) -> np.ndarray:
    """Turn latent functioning into item responses (float, NaN where missing).

    Parameters
    ----------
    instrument_id : str
        One of :data:`soskulib.schema.ASSESSMENT_INSTRUMENTS`.
    latent : ndarray, shape (n,)
        Latent functioning (higher = better).
    noise : ndarray, shape (n, k)
        Standard normal item-specific errors.
    missing : ndarray of bool, shape (n, k), optional
        Item non-response mask.
    columns : ndarray of int, optional
        Simulate only these items (positions in the instrument's item list); ``k`` is then
        their number.

    Returns
    -------
    ndarray, shape (n, k)
        Whole-number item responses within each item's range; NaN where ``missing``.

    Examples
    --------
    >>> import numpy as np
    >>> simulate_items("esis", np.array([-9.0, 9.0]), np.zeros((2, 10)))[:, 0]
    array([1., 5.])
    """
    m = item_model(instrument_id)
    sel = slice(None) if columns is None else columns
    continuous = m.loc[sel] + m.sign[sel] * m.scale[sel] * (
        m.loading * latent[:, None] + np.sqrt(1 - m.loading**2) * noise)
    items = np.clip(np.rint(continuous), m.lo[sel], m.hi[sel])
    if missing is not None:
        items[missing] = np.nan
    return items


def _headline_columns(instrument_id: str) -> np.ndarray:
    inst = instruments.get(instrument_id)
    return np.array([inst.items.index(i) for i in inst.scales[inst.headline].items])


def headline_score(instrument_id: str, items: np.ndarray, *, headline_only: bool = False) -> np.ndarray:
    """Score the instrument's headline scale by the spec's rule (prorated, NaN if too few items).

    ESIS total = (prorated sum − 10) / 40 × 100 with ≥ 8 of 10 items; WHODAS-12 total =
    prorated simple sum with ≥ 10 of 12; 3X10D ``life_overall`` and EQ VAS are single items.
    Same rules as :func:`soskulib.scoring.score`, repeated here so that calibration depends on
    nothing but the instrument specs. ``items`` holds every item of the instrument, or only the
    headline scale's items when ``headline_only``.

    Parameters
    ----------
    instrument_id : str
        One of :data:`soskulib.schema.ASSESSMENT_INSTRUMENTS`.
    items : ndarray, shape (n, k)
        Item responses (NaN = missing).
    headline_only : bool
        ``items`` holds only the headline scale's items.

    Returns
    -------
    ndarray, shape (n,)

    Examples
    --------
    >>> import numpy as np
    >>> headline_score("esis", np.array([[5.0] * 9 + [np.nan], [3.0] * 7 + [np.nan] * 3]))
    array([100.,  nan])
    """
    inst = instruments.get(instrument_id)
    scale = inst.scales[inst.headline]
    x = items if headline_only else items[:, _headline_columns(instrument_id)]
    k = len(scale.items)
    answered = np.sum(~np.isnan(x), axis=1)
    total = np.where(answered > 0, np.nansum(x, axis=1) / np.maximum(answered, 1) * k, np.nan)
    total[answered < scale.required_items()] = np.nan
    if scale.method == "linear_0_100":
        lo, hi = inst.item_range(scale.items[0])
        total = (total - k * lo) / (k * (hi - lo)) * 100
    elif scale.method != "sum":
        raise ValueError(f"headline scale method {scale.method!r} is not supported by the demo")
    return total


def smcr(instrument_id: str, pre: np.ndarray, post: np.ndarray) -> float:
    """Observed standardised mean change, raw-score standardisation, positive = improvement.

    ``(mean(post) − mean(pre)) / sd(pre)`` over complete pairs, sign-flipped for scales where
    lower is better (WHODAS). Without the small-sample correction, i.e. the population value
    when applied to a large sample.

    Parameters
    ----------
    instrument_id : str
        Instrument (gives the orientation).
    pre, post : ndarray
        Headline scores at baseline and end (NaN = missing; incomplete pairs dropped).

    Returns
    -------
    float

    Examples
    --------
    >>> import numpy as np
    >>> float(round(smcr("esis", np.array([40.0, 50.0, 60.0]), np.array([50.0, 55.0, 70.0])), 4))
    0.8333
    """
    ok = ~(np.isnan(pre) | np.isnan(post))
    sign = 1.0 if instruments.get(instrument_id).headline_higher_is_better else -1.0
    return sign * (post[ok].mean() - pre[ok].mean()) / pre[ok].std(ddof=1)


def simulate_pre_post(instrument_id: str, baseline_offset: float, latent_shift: float,
                      n: int, rng: np.random.Generator) -> tuple[np.ndarray, np.ndarray]:
    """Simulate ``n`` clients' headline scores at baseline and end under the demo model.

    Parameters
    ----------
    instrument_id : str
        One of :data:`soskulib.schema.ASSESSMENT_INSTRUMENTS`.
    baseline_offset : float
        Organisation's latent baseline mean ``b_m``.
    latent_shift : float
        Latent change ``δ_m`` between baseline and end.
    n : int
        Number of clients.
    rng : numpy.random.Generator
        Random stream.

    Returns
    -------
    (ndarray, ndarray)
        Headline scores at baseline and end (NaN where the scoring rule cannot score).

    Examples
    --------
    >>> import numpy as np
    >>> pre, post = simulate_pre_post("esis", 0.0, 0.3, 5, np.random.default_rng(1))
    >>> pre.shape, post.shape
    ((5,), (5,))
    """
    crn = _draws(instrument_id, n, rng)
    pre = _crn_scores(instrument_id, crn, baseline_offset, 0.0, post=False)
    return pre, _crn_scores(instrument_id, crn, baseline_offset, latent_shift, post=True)


def _draws(instrument_id: str, n: int, rng: np.random.Generator,
           antithetic: bool = False) -> dict[str, np.ndarray]:
    """Latent and item draws for the headline items (common random numbers).

    With ``antithetic``, the second half of the normal draws mirrors the first (and the
    missingness uniforms are reflected), which removes most of the Monte Carlo error of the
    means that the SMCR is built from.
    """
    k = len(_headline_columns(instrument_id))
    p_miss = item_model(instrument_id).p_missing
    m = (n + 1) // 2 if antithetic else n
    draws = {"eta": rng.standard_normal(m), "z": rng.standard_normal(m),
             "noise": rng.standard_normal((2, m, k)), "u": rng.random((2, m, k)),
             "wellbeing": rng.standard_normal(m), "early": rng.standard_normal(m)}
    if antithetic:
        for key, v in draws.items():
            axis = 0 if v.ndim == 1 else 1  # the person axis
            mirrored = np.concatenate([v, 1 - v if key == "u" else -v], axis=axis)
            draws[key] = mirrored[:n] if axis == 0 else mirrored[:, :n]
    draws["missing"] = draws.pop("u") < p_miss
    # the generator's structure: eta and z share a client-level part with every instrument
    # (well-being w, early progress e), the rest is instrument-specific; both stay N(0, 1)
    share = DROPOUT_MODEL["early_share"]
    draws["eta"] = np.sqrt(.5) * draws["wellbeing"] + np.sqrt(.5) * draws["eta"]
    draws["z"] = np.sqrt(share) * draws["early"] + np.sqrt(1 - share) * draws["z"]
    return draws


def _crn_scores(instrument_id: str, crn: dict[str, np.ndarray], baseline_offset: float,
                latent_shift: float, *, post: bool) -> np.ndarray:
    r = PREPOST_LATENT_R
    latent = (baseline_offset + r * crn["eta"] + np.sqrt(1 - r**2) * crn["z"] + latent_shift
              if post else baseline_offset + crn["eta"])
    slot = int(post)
    items = simulate_items(instrument_id, latent, crn["noise"][slot], crn["missing"][slot],
                           columns=_headline_columns(instrument_id))
    return headline_score(instrument_id, items, headline_only=True)


@lru_cache(maxsize=2)
def _calibration_sample(instrument_id: str, seed: int, draws: int) -> dict[str, np.ndarray]:
    """The common-random-numbers sample of :func:`calibrate_shift` and :func:`completer_truth`.

    Cached (read-only use): :func:`true_effects` calibrates every organisation of an
    instrument and then computes their completers' truths on this one sample.
    """
    stream = schema.ASSESSMENT_INSTRUMENTS.index(instrument_id)
    crn = _draws(instrument_id, draws, np.random.default_rng([seed, 2, stream]), antithetic=True)
    for v in crn.values():
        v.flags.writeable = False
    return crn


def calibrate_shift(instrument_id: str, baseline_offset: float, theta: float,
                    seed: int, draws: int = CALIBRATION_DRAWS,
                    bracket: tuple[float, float] | None = None) -> float:
    """Latent shift whose observed-score population SMCR equals ``theta``.

    Brent's root finder on a fixed common-random-numbers sample (``draws`` clients simulated
    with one seed for every trial shift), so the map shift → SMCR is smooth and monotone.

    Parameters
    ----------
    instrument_id : str
        One of :data:`soskulib.schema.ASSESSMENT_INSTRUMENTS`.
    baseline_offset : float
        Organisation's latent baseline mean.
    theta : float
        Target population SMCR (positive = improvement).
    seed : int
        Seed of the common-random-numbers sample.
    draws : int
        Size of that sample.
    bracket : (float, float), optional
        A narrow interval thought to hold the root (fewer root-finder steps); if it does not,
        the default ``(−3, 3)`` is searched. Either way the root is found to ``1e-5``.

    Returns
    -------
    float
        The latent shift ``δ``.

    Examples
    --------
    >>> shift = calibrate_shift("3x10d", 0.0, 0.3, seed=1, draws=20_000)
    >>> 0.2 < shift < 0.5
    True
    """
    crn = _calibration_sample(instrument_id, seed, draws)
    pre = _crn_scores(instrument_id, crn, baseline_offset, 0.0, post=False)

    def gap(shift: float) -> float:
        post = _crn_scores(instrument_id, crn, baseline_offset, shift, post=True)
        return smcr(instrument_id, pre, post) - theta

    if bracket is not None:
        low, high = gap(bracket[0]), gap(bracket[1])
        if low * high <= 0:
            return float(optimize.brentq(gap, *bracket, xtol=1e-5))
    return float(optimize.brentq(gap, -3.0, 3.0, xtol=1e-5))


def dropout_probability(p: np.ndarray | float, wellbeing: np.ndarray, early: np.ndarray) -> np.ndarray:
    """Per-client dropout probability under the informative-dropout probit (:data:`DROPOUT_MODEL`).

    ``Φ((Φ⁻¹(p) − a·w − b·e) / √(1 − a² − b²))``: with ``w`` and ``e`` independent standard
    normal, the share of dropouts stays ``p`` on average (the probit's latent variable is
    standard normal), while a low ``w`` (worse off at baseline) or a low ``e`` (poor start)
    raises it.

    Parameters
    ----------
    p : float or ndarray
        Organisation-level dropout probability (per client where it varies in time).
    wellbeing, early : ndarray
        Standard-normal general well-being at baseline and early progress.

    Returns
    -------
    ndarray

    Examples
    --------
    >>> import numpy as np
    >>> rng = np.random.default_rng(1)
    >>> w, e = rng.standard_normal((2, 200_000))
    >>> float(round(dropout_probability(0.3, w, e).mean(), 2))
    0.3
    >>> dropout_probability(0.3, np.array([0.0, 0.0]), np.array([-1.0, 1.0])).round(3).tolist()
    [0.488, 0.108]
    """
    from scipy import stats

    a, b = DROPOUT_MODEL["a_baseline"], DROPOUT_MODEL["b_early"]
    scale = np.sqrt(1 - a**2 - b**2)
    return stats.norm.cdf((stats.norm.ppf(p) - a * wellbeing - b * early) / scale)


@lru_cache(maxsize=64)
def _end_assessment_window(code: str, prof: OrgProfile, instrument_id: str, seed: int,
                           draws: int = CALIBRATION_DRAWS) -> tuple[np.ndarray, np.ndarray]:
    """Chance that a client of each dropout regime and end reason is a complete pair, by Monte Carlo.

    Follows :func:`_generate_org`'s calendar exactly: the start date is drawn over the
    organisation's own window (SOS-Kainuu from 2017, :func:`soskulib.demo_development.first_day`),
    the baseline assessment exists only on or after the instrument's introduction
    (``available_from``: 3X10D mid-2016, ESIS 2017) and before the episode's last day, and the
    end assessment only for episodes that ended by the export date. The development signal
    splits the starts into regimes with their own dropout probability. All of these depend on
    the start date jointly, so they are averaged together, not one by one.

    Returns
    -------
    (ndarray, ndarray)
        The regimes' dropout probabilities ``p_s`` and ``T[s, r]`` = P(start in regime ``s``,
        baseline assessed, episode ended by the export | reason ``r``) × P(end assessment | r),
        reasons in :data:`END_REASONS` order.
    """
    rng = np.random.default_rng([seed, 9])
    first = demo_development.first_day(code)
    span = _days(str(START_LAST)) - first
    start = first + np.floor(rng.random(draws) ** 0.9 * (span + 1)).astype(np.int64)
    lag = rng.integers(0, 22, draws)
    export = int(EXPORT_DATE.astype(np.int64))
    available = _days(instruments.get(instrument_id).available_from or "1900-01-01")
    if prof.signal_from is None:
        regimes, p = [np.ones(draws, dtype=bool)], [prof.dropout]
    else:
        after = start >= _days(prof.signal_from)
        regimes, p = [~after, after], [prof.dropout, prof.dropout_after]
    table = np.empty((len(regimes), len(END_REASONS)))
    for j, r in enumerate(END_REASONS):
        shape, mean = DURATION[r]
        end = start + np.maximum(14, rng.gamma(shape, mean / shape, draws)).astype(np.int64)
        baseline = np.minimum(start + lag, np.minimum(end, export)) >= available
        complete = baseline & (end <= export)
        for i, regime in enumerate(regimes):
            table[i, j] = P_END_ASSESSMENT[r] * float(np.mean(regime & complete))
    return np.array(p, dtype=float), table


def complete_pair_probability(instrument_id: str, code: str, wellbeing: np.ndarray, early: np.ndarray,
                              seed: int, draws: int = CALIBRATION_DRAWS) -> np.ndarray:
    """Probability that a client gets both a baseline and an end assessment of an instrument.

    ``P_BASELINE · Σ_s Σ_r P(reason r | w, e, regime s) · T[s, r]``: the end-reason
    probabilities of :func:`_generate_org` (the informative dropout of
    :func:`dropout_probability`, with the organisation's dropout probability in each
    development-signal regime ``s``) and :func:`_end_assessment_window`'s chance of a
    baseline on or after the instrument's introduction, an episode ended by the export date
    and an end assessment. Item non-response (a score that cannot be computed) comes on top.

    Parameters
    ----------
    instrument_id : str
        Instrument (its introduction date).
    code : str
        Organisation code (its start window, dropout probability and development signal).
    wellbeing, early : ndarray
        The clients' standard-normal well-being and early progress.
    seed : int
        Demo seed (the Monte Carlo sample of start dates and durations).
    draws : int
        Size of that sample.

    Returns
    -------
    ndarray

    Examples
    --------
    >>> p = complete_pair_probability("esis", "092", np.zeros(2), np.array([-1.0, 1.0]), seed=1, draws=20_000)
    >>> bool(p[0] < p[1])      # a poor start: more dropout, fewer end assessments
    True
    """
    prof = PROFILES[code]
    p_regime, table = _end_assessment_window(code, prof, instrument_id, seed, draws)
    p_moved, p_other = OTHER_REASONS["muutti"], OTHER_REASONS["muu"]
    weight = np.zeros(np.shape(wellbeing))
    for p, t in zip(p_regime, table, strict=True):
        p_drop = dropout_probability(p, wellbeing, early)
        reason_p = {"valmis": 1 - p_drop - p_moved - p_other, "keskeytti": p_drop,
                    "muutti": p_moved, "muu": p_other}
        weight += sum(reason_p[r] * t[j] for j, r in enumerate(END_REASONS))
    return P_BASELINE * weight


def completer_truth(instrument_id: str, code: str, baseline_offset: float, latent_shift: float,
                    seed: int, draws: int = CALIBRATION_DRAWS) -> float:
    """Population SMCR among the clients who get an end assessment (the complete cases' target).

    The same common-random-numbers sample as :func:`calibrate_shift` (so, with the same shift,
    the unweighted SMCR is the starters' ``θ``), each draw weighted by its probability of being
    a complete pair (:func:`complete_pair_probability`). Weighted means and the weighted
    baseline SD.

    Earlier versions averaged the censoring over the whole 2016–2018 start window for every
    instrument and organisation, and the signal share separately. ESIS exists only from 2017,
    when Vantaa's dropout had already fallen, and its starters are censored at the export date
    more often: that truth overstated Vantaa's ESIS completers' change by about 0.012
    (``docs/truth_coverage.md``).

    Parameters
    ----------
    instrument_id : str
        Instrument.
    code : str
        Organisation code (its dropout probability and development signal).
    baseline_offset, latent_shift : float
        The organisation's latent baseline mean and calibrated latent shift.
    seed : int
        Demo seed.
    draws : int
        Size of the common-random-numbers sample.

    Returns
    -------
    float
        Oriented SMCR (positive = improvement) of the completers' population.

    Examples
    --------
    >>> shift = calibrate_shift("esis", 0.0, 0.3, seed=1, draws=20_000)
    >>> completer_truth("esis", "092", 0.0, shift, seed=1, draws=20_000) > 0.3
    True
    """
    crn = _calibration_sample(instrument_id, seed, draws)
    pre = _crn_scores(instrument_id, crn, baseline_offset, 0.0, post=False)
    post = _crn_scores(instrument_id, crn, baseline_offset, latent_shift, post=True)
    weight = complete_pair_probability(instrument_id, code, crn["wellbeing"], crn["early"], seed, draws)
    ok = ~(np.isnan(pre) | np.isnan(post))
    w, x, y = weight[ok], pre[ok], post[ok]
    mean_x, mean_y = np.average(x, weights=w), np.average(y, weights=w)
    sd_x = np.sqrt(np.average((x - mean_x) ** 2, weights=w))
    sign = 1.0 if instruments.get(instrument_id).headline_higher_is_better else -1.0
    return float(sign * (mean_y - mean_x) / sd_x)


def hetu_check_character(ddmmyy: str, individual_number: int) -> str:
    """Check character of a Finnish personal identity code (henkilötunnus).

    ``"0123456789ABCDEFHJKLMNPRSTUVWXY"[int(DDMMYY + NNN) % 31]`` (Digital and Population Data
    Services Agency; Government Decree 128/2010).

    Parameters
    ----------
    ddmmyy : str
        Birth-date part, six digits.
    individual_number : int
        Individual number 2-999.

    Returns
    -------
    str
        One character of ``0123456789ABCDEFHJKLMNPRSTUVWXY``.

    Examples
    --------
    >>> hetu_check_character("131052", 308)   # 131052-9085, the agency's published example
    'T'
    >>> hetu_check_character("010101", 900)
    'R'
    """
    return HETU_CHECK[int(f"{ddmmyy}{individual_number:03d}") % 31]


def _days(x: str) -> int:
    return int(np.datetime64(x, "D").astype(np.int64))


_DATE_FIRST = _days("2015-01-01")
_DATE_STRINGS = pd.date_range("2015-01-01", "2020-12-31", freq="D").strftime("%d.%m.%Y").to_numpy()


def _date_column(days: np.ndarray, missing: np.ndarray | None = None) -> pd.Categorical:
    """dd.mm.yyyy strings for day numbers (a lookup, not strftime per row)."""
    codes = np.asarray(days, dtype=np.int64) - _DATE_FIRST
    if missing is not None:
        codes = np.where(missing, -1, codes)
    return pd.Categorical.from_codes(codes, categories=_DATE_STRINGS, validate=False)


def _codes(idx: np.ndarray, values: list[str]) -> pd.Categorical:
    return pd.Categorical.from_codes(np.asarray(idx, dtype=np.int64), categories=values)


def _pick(rng: np.random.Generator, probs: np.ndarray) -> np.ndarray:
    """One categorical draw per row of a probability matrix (rows sum to 1)."""
    cum = np.cumsum(probs, axis=1)
    u = rng.random(len(probs)) * cum[:, -1]
    return np.minimum((cum < u[:, None]).sum(axis=1), probs.shape[1] - 1)


def _hetu_strings(birth: np.ndarray, number: np.ndarray) -> np.ndarray:
    """Identity codes (with valid check characters) for birth days and individual numbers."""
    b = birth.astype("datetime64[D]")
    year = b.astype("datetime64[Y]").astype(np.int64) + 1970
    month = b.astype("datetime64[M]").astype(np.int64) % 12 + 1
    day = (b - b.astype("datetime64[M]")).astype(np.int64) + 1
    ddmmyy = day * 10_000 + month * 100 + year % 100
    check = np.array(list(HETU_CHECK))[(ddmmyy * 1000 + number) % 31]
    century = np.where(year >= 2000, "A", "-")
    parts = pd.DataFrame({"d": pd.Series(ddmmyy).astype(str).str.zfill(6),
                          "c": century, "n": pd.Series(number).astype(str), "k": check})
    return (parts["d"] + parts["c"] + parts["n"] + parts["k"]).to_numpy(dtype=object)


class _HetuRegistry:
    """Draws birth days and individual numbers so that every identity code is unique.

    Occupied codes are kept in a bitmap over (birth day, individual number), 100 bits per day,
    so a collision check is one array lookup even for a million clients. A colliding client
    gets a new birth day within the same year of age and a new individual number.
    """

    FIRST_DAY = _days("1900-01-01")
    LAST_DAY = _days("2019-12-31")
    BIRTH_WINDOW = 335  # birth = latest - U{0..334}: the age in whole years stays the same

    def __init__(self) -> None:
        self.taken = np.zeros((self.LAST_DAY - self.FIRST_DAY + 1) * 100, dtype=bool)

    def draw(self, rng: np.random.Generator, latest_birth: np.ndarray,
             gender: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
        """Return ``(birth_day, individual_number)``; odd numbers for men, even for women."""
        n = len(latest_birth)
        birth = np.empty(n, dtype=np.int64)
        number = np.empty(n, dtype=np.int64)
        todo = np.arange(n)
        for _ in range(1000):  # each round redraws only the collisions
            if len(todo) == 0:
                break
            k = len(todo)
            birth[todo] = latest_birth[todo] - rng.integers(0, self.BIRTH_WINDOW, k)
            raw = rng.integers(0, 50, k) * 2 + 900
            g = gender[todo]
            number[todo] = np.where(g == "1", raw + 1, np.where(g == "2", raw, raw + rng.integers(0, 2, k)))
            key = (birth[todo] - self.FIRST_DAY) * 100 + number[todo] - 900
            ok = ~pd.Series(key).duplicated().to_numpy() & ~self.taken[key]
            self.taken[key[ok]] = True
            todo = todo[~ok]
        else:
            raise RuntimeError("could not find unique identity codes; too many clients per birth year")
        return birth, number


# ---------------------------------------------------------------------------------------------
# Truth: national means, per-organisation true effects and calibrated latent shifts.
# ---------------------------------------------------------------------------------------------

@cache
def true_effects(seed: int, draws: int = CALIBRATION_DRAWS, *, guided: bool = False) -> dict[str, Any]:
    """Per-organisation true effects and calibrated latent shifts for ``seed`` (cached).

    Returns ``{"baseline_offset": {code: b}, "gas_effect": {code: g}, "instruments": {id:
    {"mu", "tau", "theta": {code: θ}, "latent_shift": {code: δ}}}}`` for the organisations
    that use each instrument.

    Parameters
    ----------
    seed : int
        Demo seed.
    draws : int
        Size of the common-random-numbers sample of the calibration and of the completers'
        truth (:func:`soskulib.simulation` uses fewer, for speed).
    guided : bool
        Calibrate each organisation in a narrow bracket around ``θ`` times the previous
        organisation's shift/θ ratio (about half the root-finder steps; the simulation's
        choice). The shifts agree with the unguided ones to the root finder's tolerance,
        not bit for bit, so the demo export keeps the default.

    Examples
    --------
    >>> truth = true_effects(1, 20_000)
    >>> sorted(truth["instruments"]["esis"])
    ['latent_shift', 'mu', 'tau', 'theta', 'theta_completers']
    """
    rng = np.random.default_rng([seed, 1])
    codes = list(PROFILES)
    offsets = dict(zip(codes, np.round(rng.normal(0, 0.2, len(codes)), 4), strict=True))
    gas = dict(zip(codes, np.round(rng.normal(0, 0.2, len(codes)), 4), strict=True))
    out: dict[str, Any] = {"baseline_offset": {c: float(v) for c, v in offsets.items()},
                           "gas_effect": {c: float(v) for c, v in gas.items()}, "instruments": {}}
    for inst_id in schema.ASSESSMENT_INSTRUMENTS:
        theta_all = rng.normal(TRUE_MU[inst_id], TRUE_TAU[inst_id], len(codes))
        users = [c for c in codes if inst_id in PROFILES[c].instruments]
        theta = {c: round(float(t), 4) for c, t in zip(codes, theta_all, strict=True) if c in users}
        shift: dict[str, float] = {}
        ratio = None
        for c in users:
            bracket = None
            if guided and ratio is not None:
                guess = ratio * theta[c]
                bracket = (guess - 0.03 * abs(guess) - 0.002, guess + 0.03 * abs(guess) + 0.002)
            shift[c] = round(calibrate_shift(inst_id, offsets[c], theta[c], seed, draws, bracket), 5)
            if abs(theta[c]) > 0.02:
                ratio = shift[c] / theta[c]
        completers = {c: round(completer_truth(inst_id, c, offsets[c], shift[c], seed, draws), 4)
                      for c in users}
        out["instruments"][inst_id] = {"mu": TRUE_MU[inst_id], "tau": TRUE_TAU[inst_id],
                                       "theta": theta, "theta_completers": completers,
                                       "latent_shift": shift}
    return out


# ---------------------------------------------------------------------------------------------
# One organisation.
# ---------------------------------------------------------------------------------------------

@dataclass
class _Edit:
    """A planted change to one output table (see :func:`_segments`)."""

    at: int                 # 0-based position in the clean table
    insert: bool            # True: a new row after ``at``; False: replace values of row ``at``
    values: dict[str, Any]  # raw column -> value (a full row when inserting)
    rule: str
    column: str


@dataclass
class _OrgData:
    code: str
    tables: dict[str, pd.DataFrame]
    edits: dict[str, list[_Edit]] = field(default_factory=dict)
    #: Unobserved client variables (export order of ``asiakkaat``): ``wellbeing``, ``early``.
    latent: dict[str, np.ndarray] = field(default_factory=dict)


def _sizes(n_clients: int | None) -> dict[str, int]:
    if n_clients is None:
        return dict(DEFAULT_SIZES)
    if not isinstance(n_clients, (int, np.integer)) or isinstance(n_clients, bool):
        raise TypeError(f"n_clients must be an integer, got {type(n_clients).__name__}")
    floor = MIN_ORG_SIZE * len(DEFAULT_SIZES)
    if n_clients < floor:
        raise ValueError(f"n_clients must be at least {floor} ({MIN_ORG_SIZE} per organisation), "
                         f"got {n_clients}")
    total = sum(DEFAULT_SIZES.values())
    exact = {c: n * n_clients / total for c, n in DEFAULT_SIZES.items()}
    sizes = {c: int(v) for c, v in exact.items()}
    # largest remainder, so that the total is exactly n_clients before the per-org floor
    for c in sorted(exact, key=lambda c: (sizes[c] - exact[c], c))[: n_clients - sum(sizes.values())]:
        sizes[c] += 1
    return {c: max(MIN_ORG_SIZE, n) for c, n in sizes.items()}


def _generate_org(code: str, n: int, seed: int, truth: dict[str, Any],
                  registry: _HetuRegistry, *, outcomes_only: bool = False) -> _OrgData:
    """One organisation's tables.

    ``outcomes_only`` (the simulation's in-memory path, :mod:`soskulib.simulation`) skips
    the parts that only other tables need and that draw from their own streams (target-group
    sets and placements, worker and method of contacts, WHODAS 1–5 recoding, development
    tables); every draw of the main stream ``rng`` is still made, so clients and assessments
    are identical to the full export's.
    """
    prof = PROFILES[code]
    rng = np.random.default_rng([seed, 3, int(code)])
    export = int(EXPORT_DATE.astype(np.int64))

    # --- clients ------------------------------------------------------------------------
    tg = _pick(rng, np.tile(np.array(prof.target_mix) / sum(prof.target_mix), (n, 1)))
    tg_code = np.array(TARGET_GROUPS)[tg]
    male_p = np.array([MALE_SHARE_BY_GROUP[g] for g in TARGET_GROUPS])[tg]
    u = rng.random(n)
    gender = np.where(u < OTHER_GENDER_SHARE, "3",
                      np.where(u < OTHER_GENDER_SHARE + (1 - OTHER_GENDER_SHARE) * male_p, "1", "2"))
    first = demo_development.first_day(code)  # SOS-Kainuu started in 2017 (seed 002)
    span = _days(str(START_LAST)) - first
    start = first + np.floor(rng.random(n) ** 0.9 * (span + 1)).astype(np.int64)
    age_par = np.array([AGE_BY_GROUP[g] for g in TARGET_GROUPS])[tg]
    age = np.clip(np.floor(rng.normal(age_par[:, 0], age_par[:, 1])), age_par[:, 2], age_par[:, 3])
    birth, number = registry.draw(rng, start - np.floor(age * 365.25).astype(np.int64) - 15, gender)
    hetu = _hetu_strings(birth.astype("datetime64[D]"), number)

    # End reason: the development signal changes the dropout probability of episodes that
    # start on or after it (new clients get the new practice), so it shows in the dropout
    # series by start cohort (the SPC signal).
    dur = {r: np.maximum(14, rng.gamma(shape, mean / shape, n)).astype(np.int64)
           for r, (shape, mean) in DURATION.items()}
    p_drop = np.full(n, prof.dropout)
    if prof.signal_from is not None:
        p_drop = np.where(start >= _days(prof.signal_from), prof.dropout_after, p_drop)
    # Informative dropout: a dedicated stream, so every other draw stays where it was.
    wellbeing, early = np.random.default_rng([seed, 8, int(code)]).standard_normal((2, n))
    p_drop = dropout_probability(p_drop, wellbeing, early)
    p_moved, p_other = OTHER_REASONS["muutti"], OTHER_REASONS["muu"]
    reason_p = np.column_stack([1 - p_drop - p_moved - p_other, p_drop,
                                np.full(n, p_moved), np.full(n, p_other)])
    reason = _pick(rng, reason_p)
    end = start + np.choose(reason, [dur[r] for r in END_REASONS])
    ongoing = end > export
    reason = np.where(ongoing, -1, reason)
    path_p = np.array([PATHWAY_COMPLETED[g] for g in TARGET_GROUPS])[tg]
    for r_idx, r in enumerate(END_REASONS[1:], start=1):
        path_p = np.where((reason == r_idx)[:, None], np.array(PATHWAY_OTHER_REASON[r]), path_p)
    pathway = np.where(ongoing, -1, _pick(rng, path_p))
    order = np.lexsort((hetu, start))  # export order: by start date
    tg, tg_code, gender, start, end, ongoing, reason, pathway, hetu, birth, age, wellbeing, early = (
        a[order] for a in (tg, tg_code, gender, start, end, ongoing, reason, pathway, hetu, birth,
                           age, wellbeing, early))
    stop = np.where(ongoing, export, end)  # last day in service within the export window
    months = (stop - start + 1) / 30.44

    clients = pd.DataFrame({
        "kunta": _codes(np.zeros(n, dtype=int), [code]),
        "henkilotunnus": pd.Categorical.from_codes(np.arange(n), categories=hetu),
        "sukupuoli": _codes(gender.astype(int) - 1, list(schema.GENDER)),
        "kohderyhma": _codes(tg, TARGET_GROUPS),
        "alkupvm": _date_column(start),
        "loppupvm": _date_column(end, missing=ongoing),
        "paattymissyy": _codes(reason, END_REASONS),
        "jatkopolku": _codes(pathway, PATHWAYS),
    })
    if outcomes_only:
        sets = paths = held_3m = held_6m = np.full(n, "", dtype=object)
    else:
        sets, paths, held_3m, held_6m = demo_development.client_fields(
            code, np.array(TARGET_GROUPS)[tg], age,
            np.where(pathway < 0, "", np.array(PATHWAYS)[np.maximum(pathway, 0)]), end, ongoing,
            seed, export)
    clients["jatkopolku"] = pd.Categorical(np.where(paths == "", None, paths),
                                           categories=list(schema.PATHWAY))
    clients["kohderyhmat"] = sets
    clients["jatkopolku_3kk"] = pd.Categorical(np.where(held_3m == "", None, held_3m),
                                               categories=list(schema.PLACEMENT_STATUS))
    clients["jatkopolku_6kk"] = pd.Categorical(np.where(held_6m == "", None, held_6m),
                                               categories=list(schema.PLACEMENT_STATUS))

    # --- fidelity elements -----------------------------------------------------------------
    elements = rng.random((n, 4)) < np.array(prof.fidelity)
    needs, plan, intensive, group = elements.T

    # --- contacts -------------------------------------------------------------------------
    frailty = rng.gamma(4.0, 0.25, n)
    n_ind = rng.poisson(np.where(intensive, 2.0, 0.45) * months * frailty)
    n_grp = rng.poisson(np.where(group, 1.6, 0.0) * months * frailty)
    n_na = needs.astype(np.int64)
    n_all = n_ind + n_grp + n_na
    who = np.repeat(np.arange(n), n_all)
    # per-row kind (0 needs assessment, 1 individual, 2 group), vectorised via offsets
    first = np.cumsum(n_all) - n_all
    pos = np.arange(len(who)) - first[who]
    kind = np.where(pos < n_na[who], 0, np.where(pos < (n_na + n_ind)[who], 1, 2))
    length = (stop - start + 1)[who]
    day = np.where(kind == 0, start[who] + rng.integers(0, 15, len(who)) % length,
                   start[who] + np.floor(rng.random(len(who)) * length).astype(np.int64))
    outreach = (kind == 1) & (rng.random(len(who)) < prof.outreach)
    mode = np.where(kind == 2, 1, np.where(outreach, 2, 0))  # yksilo, ryhma, etsiva
    content = np.empty(len(who), dtype=np.int64)
    for mask, p in ((kind == 0, (1, 0, 0, 0, 0)), (mode == 1, (0, 0, .10, .85, .05)),
                    (mode == 2, (0, .50, .30, 0, .20)),
                    ((kind == 1) & (mode == 0) & intensive[who], (0, .35, .50, 0, .15)),
                    ((kind == 1) & (mode == 0) & ~intensive[who], (0, .55, .30, 0, .15))):
        content[mask] = rng.choice(5, int(mask.sum()), p=np.array(p) / sum(p))
    minutes = np.select(
        [kind == 0, mode == 0, mode == 1],
        [rng.choice([60, 90], len(who)), rng.choice([30, 45, 60, 75, 90], len(who), p=[.15, .3, .35, .1, .1]),
         rng.choice([90, 120, 150, 180], len(who), p=[.3, .35, .15, .2])],
        default=rng.choice([30, 60, 90, 120], len(who), p=[.3, .4, .2, .1]))
    contacts = pd.DataFrame({"who": who, "day": day, "mode": mode, "content": content, "minutes": minutes})
    contacts = contacts.drop_duplicates().sort_values(["who", "day", "mode", "content", "minutes"],
                                                      kind="stable")
    c_who = contacts["who"].to_numpy()
    kaynnit = pd.DataFrame({
        "kunta": _codes(np.zeros(len(contacts), dtype=int), [code]),
        "henkilotunnus": pd.Categorical.from_codes(c_who, categories=hetu),
        "pvm": _date_column(contacts["day"].to_numpy()),
        "kesto_min": contacts["minutes"].to_numpy(dtype=np.int64),
        "muoto": _codes(contacts["mode"].to_numpy(), list(schema.CONTACT_MODE)),
        "sisalto": _codes(contacts["content"].to_numpy(), list(schema.CONTACT_CONTENT)),
    })
    if not outcomes_only:
        kaynnit["tyontekija"], kaynnit["menetelma"] = demo_development.contact_fields(
            code, c_who, np.array(list(schema.CONTACT_MODE))[contacts["mode"].to_numpy()],
            contacts["day"].to_numpy(), n, seed)

    # --- goals (GAS) ----------------------------------------------------------------------
    n_goals = np.where(plan, rng.choice([1, 2, 3, 4, 5], n, p=[.10, .30, .35, .20, .05]), 0)
    g_who = np.repeat(np.arange(n), n_goals)
    g_no = np.arange(len(g_who)) - (np.cumsum(n_goals) - n_goals)[g_who] + 1
    area_perm = np.argsort(rng.random((n, len(LIFE_AREAS))), axis=1)
    area = area_perm[g_who, g_no - 1]
    weight = rng.choice(np.array(["1", "2", "1,5", "0,5", "3"]), len(g_who), p=[.55, .2, .12, .08, .05])
    set_day = np.minimum(start[g_who] + rng.integers(0, 29, len(g_who)), stop[g_who])
    baseline_level = np.where(rng.random(len(g_who)) < .85, -1, -2)
    reviewed_client = rng.random(n) < np.where(reason < 0, 0.0,
                                               np.array([P_REVIEW_GOALS[r] for r in END_REASONS])[np.maximum(reason, 0)])
    reviewed = reviewed_client[g_who]
    review_day = np.maximum(set_day, end[g_who] - rng.integers(0, 8, len(g_who)))
    client_gas = truth["gas_effect"][code] + rng.normal(0, 0.55, n)
    attainment = np.clip(np.rint(client_gas[g_who] + rng.normal(0, 0.7, len(g_who))), -2, 2)
    tavoitteet = pd.DataFrame({
        "kunta": _codes(np.zeros(len(g_who), dtype=int), [code]),
        "henkilotunnus": pd.Categorical.from_codes(g_who, categories=hetu),
        "tavoite_nro": g_no.astype(np.int64),
        "elamanalue": _codes(area, LIFE_AREAS),
        "paino": pd.Categorical(weight, categories=["0,5", "1", "1,5", "2", "3"]),
        "asetettu_pvm": _date_column(set_day),
        "lahtotaso": baseline_level.astype(np.int64),
        "arvioitu_pvm": _date_column(review_day, missing=~reviewed),
        "saavutus": pd.arrays.IntegerArray(attainment.astype(np.int64), ~reviewed),
    })

    # --- assessments ----------------------------------------------------------------------
    tables = {"asiakkaat": clients, "kaynnit": kaynnit, "tavoitteet": tavoitteet}
    rng.standard_normal(n)  # the former common factor; `wellbeing` took its place
    end_p = np.where(reason < 0, 0.0,
                     np.array([P_END_ASSESSMENT[r] for r in END_REASONS])[np.maximum(reason, 0)])
    offset = truth["baseline_offset"][code]
    for inst_id in schema.ASSESSMENT_INSTRUMENTS:
        # every instrument consumes the same draws, used or not, so streams stay aligned
        k = len(instruments.get(inst_id).items)
        eta = np.sqrt(.5) * wellbeing + np.sqrt(.5) * rng.standard_normal(n)
        z, z_fu = rng.standard_normal((2, n))
        share = DROPOUT_MODEL["early_share"]
        z = np.sqrt(share) * early + np.sqrt(1 - share) * z
        noise = rng.standard_normal((3, n, k))
        miss = rng.random((3, n, k)) < item_model(inst_id).p_missing
        u_base, u_end, u_fu = rng.random((3, n))
        lag_base, lag_end, lag_fu = rng.integers(0, 22, n), rng.integers(0, 11, n), rng.integers(60, 121, n)
        if inst_id not in prof.instruments:
            continue
        shift = truth["instruments"][inst_id]["latent_shift"][code]
        latent_pre = offset + eta
        latent_end = offset + PREPOST_LATENT_R * eta + np.sqrt(1 - PREPOST_LATENT_R**2) * z + shift
        latent_fu = (offset + FOLLOWUP_KEEP * shift + FOLLOWUP_LATENT_R * (latent_end - offset - shift)
                     + np.sqrt(1 - FOLLOWUP_LATENT_R**2) * z_fu)
        base_day = np.minimum(start + lag_base, stop)
        # No assessment before the instrument existed (3X10D 2016, ESIS 2017: the specs).
        available = _days(instruments.get(inst_id).available_from or "1900-01-01")
        has_base = (u_base < P_BASELINE) & (base_day >= available)
        has_end = has_base & (u_end < end_p)
        has_fu = has_end & (reason == 0) & (end <= _days("2018-09-01")) & (u_fu < P_FOLLOWUP)
        end_day = np.maximum(base_day, end - lag_end)
        fu_day = end + lag_fu
        parts = []
        for occ, has, lat, d, slot in ((0, has_base, latent_pre, base_day, 0), (1, has_end, latent_end, end_day, 1),
                                       (2, has_fu, latent_fu, fu_day, 2)):
            idx = np.flatnonzero(has)
            items = simulate_items(inst_id, lat[idx], noise[slot][idx], miss[slot][idx])
            parts.append((idx, np.full(len(idx), occ), d[idx], items))
        idx = np.concatenate([p[0] for p in parts])
        occ = np.concatenate([p[1] for p in parts])
        days = np.concatenate([p[2] for p in parts])
        items = np.concatenate([p[3] for p in parts])
        o = np.lexsort((occ, idx))
        idx, occ, days, items = idx[o], occ[o], days[o], items[o]
        frame = {
            "kunta": _codes(np.zeros(len(idx), dtype=int), [code]),
            "henkilotunnus": pd.Categorical.from_codes(idx, categories=hetu),
            "pvm": _date_column(days),
            "mittauskerta": _codes(occ, list(schema.OCCASION)),
        }
        for j, item in enumerate(instruments.get(inst_id).items):
            col = items[:, j]
            frame[item] = pd.arrays.IntegerArray(np.nan_to_num(col).astype(np.int64), np.isnan(col))
        tables[f"mittari_{inst_id}"] = pd.DataFrame(frame)
        if instruments.get(inst_id).codings and not outcomes_only:
            tables[f"mittari_{inst_id}"] = demo_development.whodas_coding(
                code, tables[f"mittari_{inst_id}"], list(instruments.get(inst_id).items))

    if outcomes_only:
        return _OrgData(code, tables, latent={"wellbeing": wellbeing, "early": early})
    tables["kehittaminen"] = demo_development.extend_activities(
        code, _activities(code, prof, np.random.default_rng([seed, 5, int(code)])), seed)
    tables["laatukriteerit"] = _quality(code, prof, np.random.default_rng([seed, 6, int(code)]))
    tables["kokeilut"] = demo_development.experiments(code, seed)
    sessions = demo_development.group_sessions(code, seed)
    if len(sessions):
        tables["ryhmakerrat"] = sessions
    return _OrgData(code, tables)


THEMES = {
    "tyopaja": ("Asiakasraadin työpaja: palvelupolun kuvaaminen",
                "Yhteiskehittämisen työpaja: ryhmätoiminnan sisällöt",
                "Työpaja: asiakassuunnitelman tavoitteiden asettaminen",
                "Kokemusasiantuntijoiden työpaja: matalan kynnyksen palvelut",
                "Työpaja: sosiaalisen kuntoutuksen prosessin mallintaminen"),
    "verkosto": ("Verkostotapaaminen: TE-palvelut ja työpajat",
                 "Verkostotapaaminen: järjestöyhteistyö",
                 "Verkostotapaaminen: mielenterveys- ja päihdepalvelut",
                 "Alueellinen SOSKU-verkosto",
                 "Verkostotapaaminen: nuorten palvelut ja Ohjaamo"),
    "kokeilu": ("Kokeilu: jalkautuva työ asiakkaan kotiin",
                "Kokeilu: vertaisohjaajan tuki ryhmissä",
                "Kokeilu: 3X10D-keskustelu tavoitteiden pohjana",
                "Kokeilu: liikunnallinen ryhmä",
                "Kokeilu: digitaalinen yhteydenpito"),
    "koulutus": ("Koulutus: GAS-menetelmä",
                 "Koulutus: motivoiva haastattelu",
                 "Koulutus: osallisuusindikaattorin käyttö",
                 "Koulutus: ratkaisukeskeinen työote",
                 "Koulutus: traumatietoinen työote"),
}
SIGNAL_ACTIVITY = {"pvm": "01.01.2017", "tyyppi": "kokeilu",
                   "teema": "Kokeilu: keskeyttämisen ehkäisy – matalan kynnyksen paluureitti"}


def _activities(code: str, prof: OrgProfile, rng: np.random.Generator) -> pd.DataFrame:
    """Development-activity log: events per quarter 2016-2018 with participants by role."""
    quarters = pd.period_range("2016Q1", "2018Q4", freq="Q")
    trend = np.interp(np.arange(len(quarters)), [0, 5, 11], [0.6, 1.3, 0.9])
    per_q = rng.poisson(prof.codev_rate * trend)
    q_idx = np.repeat(np.arange(len(quarters)), per_q)
    q_start = np.array([_days(str(q.start_time.date())) for q in quarters])
    q_len = np.array([q.end_time.day_of_year - q.start_time.day_of_year + 1 for q in quarters])
    day = q_start[q_idx] + np.floor(rng.random(len(q_idx)) * q_len[q_idx]).astype(np.int64)
    types = list(schema.ACTIVITY_TYPE)
    typ = rng.choice(len(types), len(q_idx), p=[.35, .30, .15, .20])
    theme = rng.integers(0, 5, len(q_idx))
    theme_text = np.array([THEMES[types[t]][h] for t in range(4) for h in range(5)])[typ * 5 + theme]
    hands_on = np.isin(typ, [0, 2])  # workshops and experiments involve clients most
    m = len(q_idx)
    frame = pd.DataFrame({
        "kunta": np.full(m, code),
        "day": day,
        "tyyppi": np.array(types)[typ],
        "teema": theme_text,
        "johto": rng.poisson(np.where(typ == 1, 1.5, 0.7)),
        "tyontekijat": 2 + rng.poisson(np.where(typ == 3, 10, 5), m),
        "asiakkaat": rng.poisson(prof.client_share * np.where(hands_on, 14, 3) * rng.uniform(.3, 1.7, m)),
        "kokemusasiantuntijat": rng.poisson(prof.client_share * np.where(hands_on, 5, 2)),
        "kolmas_sektori": rng.poisson(np.where(typ == 1, 3.0, 0.8)),
    })
    if prof.signal_from is not None:
        signal = dict(SIGNAL_ACTIVITY, kunta=code, johto=1, tyontekijat=8, asiakkaat=6,
                      kokemusasiantuntijat=3, kolmas_sektori=1)
        signal["day"] = int(pd.to_datetime(signal.pop("pvm"), format="%d.%m.%Y").to_datetime64()
                            .astype("datetime64[D]").astype(np.int64))
        frame = pd.concat([frame, pd.DataFrame([signal])], ignore_index=True)
    frame = frame.drop_duplicates(["day", "tyyppi", "teema"]).sort_values(["day", "tyyppi", "teema"])
    return pd.DataFrame({
        "kunta": frame["kunta"].to_numpy(),
        "pvm": _date_column(frame["day"].to_numpy()),
        "tyyppi": frame["tyyppi"].to_numpy(),
        "teema": frame["teema"].to_numpy(),
        **{raw: frame[raw].to_numpy(dtype=np.int64) for name, (raw, _, _) in schema.ACTIVITY_ROLES.items()
           if name not in schema.OPTIONAL_ACTIVITY_ROLES},  # the later roles: demo_development
    })


def _quality(code: str, prof: OrgProfile, rng: np.random.Generator) -> pd.DataFrame:
    """Quality-criteria self-assessment: 10 criteria rated 1-4 in :data:`QUALITY_YEARS`."""
    crit = schema.quality_criteria()["criterion"].to_numpy()
    crit_offset = rng.normal(0, 0.35, len(crit))
    years = np.repeat(np.array(QUALITY_YEARS), len(crit))
    c = np.tile(crit, len(QUALITY_YEARS))
    rating = np.clip(np.rint(prof.quality_2016 + np.tile(crit_offset, len(QUALITY_YEARS))
                             + prof.quality_slope * (years - YEARS[0])
                             + rng.normal(0, 0.4, len(c))), 1, 4)
    return pd.DataFrame({"kunta": np.full(len(c), code), "vuosi": years.astype(np.int64),
                         "kriteeri": c.astype(np.int64), "arvio": rating.astype(np.int64)})


# ---------------------------------------------------------------------------------------------
# Planted problems.
# ---------------------------------------------------------------------------------------------

def _fresh_client_row(code: str, rng: np.random.Generator, registry: _HetuRegistry,
                      start: str, end: str | None, **override: str) -> dict[str, Any]:
    birth, number = registry.draw(rng, np.array([_days(start) - int(40 * 365.25) - 15]), np.array(["2"]))
    row = {"kunta": code, "henkilotunnus": _hetu_strings(birth.astype("datetime64[D]"), number)[0],
           "sukupuoli": "2", "kohderyhma": "aikuissosiaalityo", "alkupvm": start,
           "loppupvm": end or "", "paattymissyy": "valmis" if end else "",
           "jatkopolku": "muut_palvelut" if end else ""}
    row.update(override)
    return row


def _row_values(df: pd.DataFrame, pos: int) -> dict[str, Any]:
    """One row as raw text values (NA -> empty string), as it appears in a CSV."""
    out = {}
    for col in df.columns:
        v = df[col].iloc[pos]
        out[col] = "" if pd.isna(v) else str(v)
    return out


def _plant(orgs: dict[str, _OrgData], seed: int, registry: _HetuRegistry) -> None:
    """Add the planted problems as edits; each edit becomes one ``planted_problems`` record."""
    rng = np.random.default_rng([seed, 4, *(int(code) for code in orgs)])

    def target(code: str, table: str, ok: np.ndarray | None = None) -> tuple[pd.DataFrame, int] | None:
        org = orgs.get(code)
        if org is None or table not in org.tables or len(org.tables[table]) == 0:
            return None
        df = org.tables[table]
        candidates = np.flatnonzero(ok) if ok is not None else np.arange(len(df))
        # never plant twice on one row, never next to a row that is already edited
        taken = np.array([e.at for e in org.edits.get(table, [])], dtype=np.int64)
        candidates = candidates[~np.isin(candidates, np.concatenate([taken - 1, taken, taken + 1]))]
        if len(candidates) == 0:
            return None
        return df, int(candidates[rng.integers(0, len(candidates))])

    def add(code: str, table: str, edit: _Edit) -> None:
        orgs[code].edits.setdefault(table, []).append(edit)

    def replace(code: str, table: str, column: str, value: Any, rule: str,
                ok: Any = None) -> None:
        hit = target(code, table, ok(orgs[code].tables[table]) if ok and code in orgs and table in orgs[code].tables else None)
        if hit is not None:
            add(code, table, _Edit(hit[1], False, {column: value}, rule, column))

    def insert(code: str, table: str, row: dict[str, Any], rule: str, column: str) -> None:
        hit = target(code, table)
        if hit is not None:
            add(code, table, _Edit(hit[1], True, row, rule, column))

    # kaynnit (contacts)
    hit = target("092", "kaynnit")
    if hit is not None:
        add("092", "kaynnit", _Edit(hit[1], True, _row_values(*hit), "duplicate_row", "-"))
    replace("092", "kaynnit", "muoto", "", "missing_required")
    replace("061", "kaynnit", "pvm", "31.02.2017", "impossible_date")
    replace("743", "kaynnit", "kesto_min", "puoli tuntia", "not_a_number")
    replace("205", "kaynnit", "muoto", "puhelin", "unknown_code")
    if "179" in orgs:
        stranger = _fresh_client_row("179", rng, registry, "2017-03-01", None)["henkilotunnus"]
        insert("179", "kaynnit", {"kunta": "179", "henkilotunnus": stranger, "pvm": "14.09.2017",
                                  "kesto_min": "60", "muoto": "yksilo", "sisalto": "ohjaus"},
               "unknown_client", "henkilotunnus")

    # asiakkaat (clients)
    hit = target("179", "asiakkaat")
    if hit is not None:
        row = _row_values(*hit)
        row["kohderyhma"] = "pitkaaikaistyoton" if row["kohderyhma"] != "pitkaaikaistyoton" else "aikuissosiaalityo"
        add("179", "asiakkaat", _Edit(hit[1], True, row, "duplicate_key", "henkilotunnus"))
    for code, column, rule, row_kw in (
            ("205", "loppupvm", "end_before_start", dict(start="10.05.2017", end="02.03.2017")),
            ("186", "kohderyhma", "unknown_code", dict(start="04.09.2017", end=None, kohderyhma="opiskelija")),
            ("410", "henkilotunnus", "invalid_hetu", dict(start="22.01.2018", end=None))):
        if code not in orgs:
            continue
        start_iso = pd.to_datetime(row_kw.pop("start"), format="%d.%m.%Y").strftime("%Y-%m-%d")
        row = _fresh_client_row(code, rng, registry, start_iso, row_kw.pop("end"), **row_kw)
        row["alkupvm"] = pd.Timestamp(start_iso).strftime("%d.%m.%Y")
        if rule == "invalid_hetu":
            good = row["henkilotunnus"]
            row["henkilotunnus"] = good[:-1] + HETU_CHECK[(HETU_CHECK.index(good[-1]) + 7) % 31]
        insert(code, "asiakkaat", row, rule, column)

    # assessments, goals, quality
    def answered(item: str) -> Any:
        return lambda df: df[item].notna().to_numpy()

    replace("698", "mittari_3x10d", "life_overall", 11, "out_of_range", answered("life_overall"))
    replace("491", "mittari_esis", "esis04", 6, "out_of_range", answered("esis04"))
    replace("186", "mittari_whodas12", "s5", 5, "out_of_range", answered("s5"))
    replace("698", "tavoitteet", "asetettu_pvm", "31.04.2017", "impossible_date")
    replace("743", "tavoitteet", "elamanalue", "", "missing_required")
    replace("410", "laatukriteerit", "arvio", 5, "out_of_range")


def _segments(df: pd.DataFrame, edits: list[_Edit]) -> tuple[list[Any], list[dict[str, Any]]]:
    """Split a clean table around its edits.

    Returns the segments to write in order (``(start, stop)`` slices of ``df`` or a dict for one
    edited/inserted row) and the planted-problem records with their final row numbers
    (header = row 1).
    """
    segments: list[Any] = []
    records: list[dict[str, Any]] = []
    cursor = 0
    written = 0
    for at in sorted({e.at for e in edits}):
        segments.append((cursor, at))
        written += at - cursor
        here = [e for e in edits if e.at == at]
        replaced = [e for e in here if not e.insert]
        if replaced:
            row = _row_values(df, at)
            for e in replaced:
                row.update(e.values)
            segments.append(row)
        else:
            segments.append((at, at + 1))
        written += 1
        for e in replaced:
            records.append({"row": written + 1, "column": e.column, "rule": e.rule})
        for e in (e for e in here if e.insert):
            segments.append({c: e.values.get(c, "") for c in df.columns})
            written += 1
            records.append({"row": written + 1, "column": e.column, "rule": e.rule})
        cursor = at + 1
    segments.append((cursor, len(df)))
    return segments, records


# ---------------------------------------------------------------------------------------------
# Writing.
# ---------------------------------------------------------------------------------------------

def _write_csv(path: Path, df: pd.DataFrame, segments: Iterable[Any], encoding: str, newline: str) -> None:
    with open(path, "w", encoding=encoding, newline="") as fh:
        fh.write(";".join(df.columns) + newline)
        for seg in segments:
            part = df.iloc[seg[0]:seg[1]] if isinstance(seg, tuple) else pd.DataFrame([seg], columns=df.columns)
            if len(part):
                part.to_csv(fh, sep=";", header=False, index=False, lineterminator=newline,
                            decimal=",")


def _xlsx_frame(table: str, df: pd.DataFrame, segments: Iterable[Any]) -> pd.DataFrame:
    """The sheet content: real dates and numbers; edited rows keep what cannot be parsed."""
    kinds = {c.raw: c.kind for c in _table(table).columns}
    parts = []
    for seg in segments:
        part = (df.iloc[seg[0]:seg[1]] if isinstance(seg, tuple)
                else pd.DataFrame([seg], columns=df.columns)).astype(object)
        for col in part.columns:
            values = part[col].astype(str).where(part[col].notna(), "")
            if kinds[col] == "date":
                parsed = pd.to_datetime(values, format="%d.%m.%Y", errors="coerce")
                part[col] = parsed.astype(object).where(parsed.notna(), values.where(values != "", None))
            elif kinds[col] in ("int", "item", "float") and col not in ("paino",):
                parsed = pd.to_numeric(values, errors="coerce")
                part[col] = parsed.astype(object).where(parsed.notna(), values.where(values != "", None))
                part[col] = [int(v) if isinstance(v, float) and v.is_integer() else v for v in part[col]]
            elif col == "paino":  # real Excel numbers for weights
                parsed = pd.to_numeric(values.str.replace(",", ".", regex=False), errors="coerce")
                part[col] = parsed.astype(object).where(parsed.notna(), values.where(values != "", None))
            else:
                part[col] = values.where(values != "", None)
        parts.append(part)
    return pd.concat(parts, ignore_index=True) if parts else df.iloc[:0]


def _write_xlsx(path: Path, sheets: dict[str, pd.DataFrame]) -> None:
    """Write a workbook whose bytes depend only on its content (fixed timestamps)."""
    buffer = io.BytesIO()
    with pd.ExcelWriter(buffer, engine="openpyxl", date_format="DD.MM.YYYY",
                        datetime_format="DD.MM.YYYY") as writer:
        for name, frame in sheets.items():
            frame.to_excel(writer, sheet_name=name, index=False)
        props = writer.book.properties
        props.creator = "soskulib demo"
        props.lastModifiedBy = "soskulib demo"
    stamp = "{:04d}-{:02d}-{:02d}T{:02d}:{:02d}:{:02d}Z".format(*FIXED_TIMESTAMP)
    with zipfile.ZipFile(io.BytesIO(buffer.getvalue())) as src, \
            zipfile.ZipFile(path, "w", zipfile.ZIP_DEFLATED) as dst:
        for info in src.infolist():
            data = src.read(info.filename)
            if info.filename == "docProps/core.xml":
                data = re.sub(rb"(<dcterms:(?:created|modified)[^>]*>)[^<]*(</dcterms:)",
                              rb"\g<1>" + stamp.encode() + rb"\g<2>", data)
            fixed = zipfile.ZipInfo(info.filename, date_time=FIXED_TIMESTAMP)
            fixed.compress_type = zipfile.ZIP_DEFLATED
            fixed.external_attr = 0o644 << 16
            dst.writestr(fixed, data)


@cache
def _table(raw: str) -> schema.Table:
    found = schema.table_by_raw_name(raw)
    if found is None:  # pragma: no cover - every table written here is declared in schema
        raise KeyError(raw)
    return found


def _write_org(root: Path, org: _OrgData, slug: str) -> tuple[list[dict[str, Any]], dict[str, Any]]:
    prof = PROFILES[org.code]
    folder = root / f"{org.code}_{slug}"
    folder.mkdir()
    records: list[dict[str, Any]] = []
    rows: dict[str, int] = {}
    plans = {t: _segments(df, org.edits.get(t, [])) for t, df in org.tables.items()}
    total_rows = sum(len(df) for df in org.tables.values())
    use_xlsx = prof.file_format == "xlsx" and total_rows <= XLSX_MAX_ROWS
    workbook = f"sosku_{slug}.xlsx"
    sheets = {}
    for table, df in org.tables.items():
        segments, recs = plans[table]
        rows[table] = len(df) + sum(e.insert for e in org.edits.get(table, []))
        if use_xlsx:
            sheets[table] = _xlsx_frame(table, df, segments)
            file = f"{folder.name}/{workbook}"
        else:
            _write_csv(folder / f"{table}.csv", df, segments, prof.encoding, prof.newline)
            file = f"{folder.name}/{table}.csv"
        for r in recs:
            entry = {"file": file}
            if use_xlsx:
                entry["sheet"] = table
            records.append({**entry, **r})
    if use_xlsx:
        _write_xlsx(folder / workbook, sheets)
    delivery = {"format": "xlsx" if use_xlsx else "csv", "file": workbook if use_xlsx else None,
                "encoding": None if use_xlsx else prof.encoding,
                "line_ends": None if use_xlsx else ("CRLF" if prof.newline == "\r\n" else "LF"),
                "rows": rows}
    return records, delivery


def _readme(seed: int, n_clients: int | None) -> str:
    from soskulib import __version__
    clients = "default sizes" if n_clients is None else f"--clients {n_clients}"
    return f"""# SOSKU demo export — SYNTEETTINEN / SYNTHETIC

**Suomeksi.** Tämä kansio on soskulibin tuottama *keksitty* esimerkkiaineisto (`sosku demo
--seed {seed}`, {clients}). Kaikki henkilöt, henkilötunnukset (yksilönumerot 900–999, joita ei
anneta oikeille henkilöille) ja tapahtumat ovat keinotekoisia. Aineistoon on tarkoituksella
istutettu virheitä, jotka validoinnin pitää löytää; ne ja tunnetut todelliset vaikutukset on
lueteltu tiedostossa `truth.json`.

**In English.** This folder is an *invented* raw export written by soskulib {__version__}
(`sosku demo --seed {seed}`, {clients}). Every person, identity code (individual numbers
900–999, never issued to real people) and event is artificial. A few problems are planted on
purpose for validation to find; they and the known true effects are listed in `truth.json`.

## Pseudonymisation key / pseudonymisointiavain

`truth.json` carries `"synthetic": true`. When no key is configured (`SOSKU_PSEUDO_KEY` or
`SOSKU_PSEUDO_KEY_FILE`), `sosku prepare` pseudonymises this export — and only an export
marked synthetic — with the public demo key `soskulib.pseudonym.DEMO_KEY` and says so. The demo
key is published and gives no protection: never use it for real data.

Kun avainta ei ole asetettu, `sosku prepare` käyttää synteettiselle aineistolle julkista
demoavainta `soskulib.pseudonym.DEMO_KEY`. Oikealle aineistolle on aina asetettava oma avain.

## Layout

- `osahankkeet.csv` — sub-projects, planned clients, instruments in use, intensive level-3 site (`taso3`)
- `<code>_<slug>/` — one folder per organisation: `asiakkaat`, `kaynnit`, `tavoitteet`,
  `mittari_<instrument>`, `kehittaminen`, `laatukriteerit` (`;`-separated, dd.mm.yyyy,
  decimal comma; Seinäjoki cp1252 with CRLF, Jyväskylä UTF-8 with BOM, Essote one `.xlsx`
  workbook with a sheet per table and real Excel dates)
- `truth.json` — generation parameters, true effects, planted problems

## Assumptions / oletukset

Planned clients: SOSKU's ESF application planned 550 participants for the whole joint project
and SOS-Kainuu about 100 clients (programme documents); the split of the 550 over the eight
municipal sub-projects is an ASSUMPTION, and so are the client numbers simulated here (1,500
by default), which exceed the plan on purpose (docs/development_work.md). Suunniteltu
asiakasmäärä: kuntakohtainen jako ja simuloitu asiakasmäärä ovat OLETUKSIA.
"""


def write_demo(out_dir: str | Path, seed: int = 2015, n_clients: int | None = None) -> Path:
    """Write the synthetic SOSKU raw export and return its folder.

    Parameters
    ----------
    out_dir : str or Path
        Target folder. It must be missing, empty, or a previous demo (has a ``truth.json``
        with ``"synthetic": true``), which is replaced as a whole.
    seed : int
        Random seed; the same seed (and ``n_clients``) gives byte-identical files.
    n_clients : int, optional
        Total number of clients, split over the nine organisations in proportion to the
        default sizes (:data:`DEFAULT_SIZES`, 1,500 in all), at least 10 each.

    Returns
    -------
    Path
        The export folder.

    Raises
    ------
    ConfigurationError
        If ``out_dir`` is a non-empty folder that is not a previous demo export.

    Examples
    --------
    >>> import tempfile, json, pathlib
    >>> out = write_demo(pathlib.Path(tempfile.mkdtemp()) / "demo", seed=1, n_clients=200)
    >>> json.loads((out / "truth.json").read_text(encoding="utf-8"))["synthetic"]
    True
    >>> sorted(p.name for p in out.iterdir())[:3]
    ['061_forssa', '092_vantaa', '179_jyvaskyla']
    """
    if isinstance(seed, bool) or not isinstance(seed, (int, np.integer)) or seed < 0:
        raise ValueError(f"seed must be a non-negative integer, got {seed!r}")
    sizes = _sizes(n_clients)
    out = Path(out_dir)
    if out.exists():
        if not out.is_dir():
            raise ConfigurationError(f"{out} exists and is not a folder; choose another --out")
        if any(out.iterdir()) and not _is_previous_demo(out):
            raise ConfigurationError(
                f"{out} is not empty and holds no previous demo export (truth.json with "
                "\"synthetic\": true); refusing to write there — choose an empty folder")
    out.parent.mkdir(parents=True, exist_ok=True)
    staging = Path(tempfile.mkdtemp(prefix=f".{out.name}.", dir=out.parent))
    staging.chmod(0o755)  # mkdtemp makes it private; the export is an ordinary folder
    try:
        _write_export(staging, seed, n_clients, sizes)
        if out.exists():
            shutil.rmtree(out)
        staging.rename(out)
    except BaseException:
        shutil.rmtree(staging, ignore_errors=True)
        raise
    return out


def _is_previous_demo(folder: Path) -> bool:
    try:
        return json.loads((folder / "truth.json").read_text(encoding="utf-8")).get("synthetic") is True
    except (OSError, ValueError, AttributeError):
        return False


#: Planned participants from the programme documents: SOSKU (ESF S20506) planned 550 in its
#: municipal sub-projects (seed 001); SOS-Kainuu about 100 clients (seed 002).
PLANNED_TOTALS = {"sosku": 550, "205": 100}
PLANNED_SOURCE = ("SOSKU ESF application S20506: 550 planned participants for the whole joint "
                  "project, split over the eight municipal sub-projects in proportion to the demo's "
                  "default sizes (ASSUMPTION: no source splits it); SOS-Kainuu: about 100 clients "
                  "(project description). The sources give no realised numbers; the demo's client "
                  "numbers are an ASSUMPTION (docs/development_work.md, 'Decision: the demo's plan "
                  "and its client numbers').")


def planned_clients() -> dict[str, int]:
    """Planned clients per organisation, consistent with the programme documents.

    The eight SOSKU municipal sub-projects share the ESF application's 550 planned
    participants in proportion to :data:`DEFAULT_SIZES` (largest remainder); SOS-Kainuu
    (code 205), a separate ESF project, planned about 100. The seeds give no split by
    sub-project (the split is an assumption) and no realised numbers; the demo simulates more
    clients than planned (:data:`DEFAULT_SIZES`, an assumption), so reach against plan
    exceeds 100 %.

    Returns
    -------
    dict
        Organisation code -> planned clients.

    Examples
    --------
    >>> plan = planned_clients()
    >>> sum(v for c, v in plan.items() if c != "205"), plan["205"]
    (550, 100)
    """
    sosku = {c: n for c, n in DEFAULT_SIZES.items() if c != "205"}
    total = PLANNED_TOTALS["sosku"]
    exact = {c: n * total / sum(sosku.values()) for c, n in sosku.items()}
    plan = {c: int(v) for c, v in exact.items()}
    for c in sorted(exact, key=lambda c: (plan[c] - exact[c], c))[: total - sum(plan.values())]:
        plan[c] += 1
    plan["205"] = PLANNED_TOTALS["205"]
    return plan


def _write_export(root: Path, seed: int, n_clients: int | None, sizes: dict[str, int]) -> None:
    orgs_meta = schema.organisations().set_index("code")
    truth = true_effects(seed)
    registry = _HetuRegistry()
    planted: list[dict[str, Any]] = []
    deliveries: dict[str, Any] = {}
    # One organisation at a time: generate, plant, write, forget (bounded memory). Only the
    # identity-code registry (8 bytes per client) is carried over, to keep codes unique.
    for code in orgs_meta.index:
        org = _generate_org(code, sizes[code], seed, truth, registry)
        _plant({code: org}, seed, registry)
        records, deliveries[code] = _write_org(root, org, orgs_meta.loc[code, "slug"])
        planted.extend(records)
        del org

    planned = planned_clients()
    sub = pd.DataFrame({
        "kunta": orgs_meta.index,
        "nimi": [PROFILES[c].name for c in orgs_meta.index],
        "suunniteltu_asiakasmaara": [planned[c] for c in orgs_meta.index],
        "mittarit": [",".join(PROFILES[c].instruments) for c in orgs_meta.index],
        "taso3": ["kylla" if c in demo_development.INTENSIVE_SITES else "ei" for c in orgs_meta.index],
    })
    sub.to_csv(root / "osahankkeet.csv", sep=";", index=False, lineterminator="\n", encoding="utf-8")
    (root / "README.md").write_text(_readme(seed, n_clients), encoding="utf-8")
    (root / "truth.json").write_text(
        json.dumps(_truth_document(seed, n_clients, sizes, planned, truth, planted, deliveries),
                   ensure_ascii=False, indent=2) + "\n", encoding="utf-8")


def _truth_document(seed: int, n_clients: int | None, sizes: dict[str, int], planned: dict[str, int],
                    truth: dict[str, Any], planted: list[dict[str, Any]],
                    deliveries: dict[str, Any]) -> dict[str, Any]:
    from soskulib import __version__
    codes = list(sizes)
    instruments_doc = {}
    for inst_id, t in truth["instruments"].items():
        inst = instruments.get(inst_id)
        instruments_doc[inst_id] = {
            "headline": inst.headline,
            "higher_is_better": bool(inst.headline_higher_is_better),
            "mu": t["mu"], "tau": t["tau"],
            "theta": t["theta"],
            "theta_completers": t["theta_completers"],
            "mu_completers": round(float(np.mean(list(t["theta_completers"].values()))), 4),
            "latent_shift": t["latent_shift"],
            "municipalities": sorted(t["theta"]),
            "item_missing_rate": item_model(inst_id).p_missing,
            "item_loading": item_model(inst_id).loading,
        }
    signal = {c: {"measure": ("share of episodes dropping out within 26 weeks of starting, by "
                              "start quarter; the changed probability applies to episodes "
                              "starting on or after from_date"),
                  "dropout_before": p.dropout, "dropout_after": p.dropout_after,
                  "from_date": p.signal_from, "from_quarter": str(pd.Period(p.signal_from, freq="Q")),
                  "activity": {k: v for k, v in SIGNAL_ACTIVITY.items()}}
              for c, p in PROFILES.items() if p.signal_from}
    return {
        "synthetic": True,
        "generator": {"module": "soskulib.demo", "version": __version__, "seed": seed,
                      "n_clients": n_clients, "export_date": "2018-12-31"},
        "pseudonymisation": ("no key configured + synthetic export -> the public demo key "
                             "soskulib.pseudonym.DEMO_KEY; never for real data"),
        "estimand": {
            "metric": "SMCR",
            "definition": ("theta = (E[post] - E[pre]) / SD_pre of the instrument's headline score "
                           "(raw-score standardisation, population values, no small-sample "
                           "correction), sign-oriented so positive = improvement; pre = baseline "
                           "(alku), post = end (loppu) assessment"),
            "metafor": "escalc(measure='SMCR', m1i=mean_post, m2i=mean_pre, sd1i=sd_pre, ni=n, ri=r)",
            "calibration": (f"latent shift found by Brent's method so that the observed-score SMCR "
                            f"of {CALIBRATION_DRAWS} common-random-number draws equals theta"),
            "theta_distribution": "theta_m ~ N(mu, tau^2), independent per organisation and instrument",
        },
        "missingness": ("informative dropout (not at random): item non-response is MCAR and having a "
                        "baseline is MCAR, but dropping out is a probit in the client's general "
                        "baseline well-being w and early progress e (dropout_model), and the end "
                        "assessment depends on the end reason, so dropouts' true change is lower. "
                        "theta = change of all starters (every client with a baseline; the "
                        "estimand of the synthesis, mu its mean); theta_completers = change of "
                        "the clients with an end assessment (what complete pairs estimate)"),
        "dropout_model": {**DROPOUT_MODEL,
                          "formula": "P(drop) = Phi((Phi^-1(p_m) - a*w - b*e) / sqrt(1 - a^2 - b^2))",
                          "latent": ("eta = sqrt(.5) w + sqrt(.5) eta_instrument; individual change "
                                     "innovation = sqrt(early_share) e + sqrt(1 - early_share) "
                                     "z_instrument")},
        "null_truths": ("no true differences in change by gender, age or target group; the individual "
                        "change is not associated with fidelity elements or dose (true association 0)"),
        "instruments": instruments_doc,
        "latent_model": {"prepost_r": PREPOST_LATENT_R, "followup_r": FOLLOWUP_LATENT_R,
                         "followup_keep": FOLLOWUP_KEEP,
                         "baseline_offset": truth["baseline_offset"]},
        "gas": {"latent_effect": truth["gas_effect"],
                "note": "attainment = clip(round(effect + N(0, 0.55) client + N(0, 0.7) goal), -2, 2)"},
        "fidelity": {c: dict(zip(("needs_assessment", "plan", "intensive_individual", "group_activity"),
                                 PROFILES[c].fidelity, strict=True)) for c in codes},
        "fidelity_note": ("per-client probability of receiving each core element; the contacts "
                          "follow from it (needs assessment = a contact with content arviointi; "
                          "intensive = about 2 individual contacts per month vs 0.45; group = about "
                          "1.6 group contacts per month)"),
        "dropout_probability": {c: PROFILES[c].dropout for c in codes},
        "signals": signal,
        "experiments": {
            "note": ("ideas and experiments register (kokeilut.csv); these entries have a known true "
                     "effect on the quarterly dropout share of their municipality, the others none "
                     "that the generator puts in"),
            "with_known_effect": demo_development.EXPERIMENTS_WITH_TRUTH,
        },
        "timeline": {"first_day": {c: demo_development.FIRST_DAY.get(c, demo_development.DEFAULT_FIRST_DAY)
                                   for c in codes},
                     "quality_years": list(QUALITY_YEARS),
                     "instrument_available_from": {i: instruments.get(i).available_from
                                                   for i in schema.ASSESSMENT_INSTRUMENTS},
                     "intensive_sites": list(demo_development.INTENSIVE_SITES)},
        "sizes": sizes,
        "planned_clients": planned,
        "planned_clients_source": PLANNED_SOURCE,
        "deliveries": deliveries,
        "planted_problems": sorted(planted, key=lambda p: (p["file"], p["row"])),
    }
