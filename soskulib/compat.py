"""Backwards compatibility: names that moved to the module of their one concept.

``soskulib.evaluation`` and ``soskulib.report`` each held several concepts and were split
(see the module map in the README); ``soskulib.meta`` and ``soskulib.meta_diagnostics`` gave
their figures to :mod:`soskulib.meta_plots`, ``meta.meta_regression`` and
``meta.subgroup_analysis`` went to :mod:`soskulib.meta_regression`, ``meta.smcr`` to the effect
sizes (:func:`soskulib.effectsize.smcr`) and ``meta.coverage_simulation`` to the simulation
checks (:func:`soskulib.simulation.coverage_simulation`). Code written against them keeps running: ``from soskulib
import evaluation`` still works and ``evaluation.reach`` returns :func:`soskulib.process.reach`,
with a :class:`DeprecationWarning` that names the new home. New code imports the new modules.
Two names changed beyond their module: ``report.psychometrics`` is
:func:`soskulib.psychometrics.summary`, and :func:`soskulib.narrative.subproject_facts` takes
the page's language instead of the ``Report``.

Examples
--------
>>> import warnings
>>> from soskulib import evaluation, process
>>> with warnings.catch_warnings(record=True) as caught:
...     warnings.simplefilter("always")
...     moved = evaluation.reach
>>> moved is process.reach, str(caught[0].message)
(True, 'soskulib.evaluation.reach is now soskulib.process.reach')
"""

from __future__ import annotations

import importlib
import warnings
from collections.abc import Callable

__all__ = ["MOVED", "forwarder"]

_PROCESS = ("FIDELITY_ELEMENTS", "FidelityRule", "client_episodes", "DOSE_MEASURES", "reach",
            "entries", "composition", "exits", "time_in_service", "dose", "fidelity",
            "contents_received", "fidelity_index", "quality_profile", "quality_change",
            "codevelopment", "codevelopment_summary", "pathways", "dropout_chart",
            "quarterly_frame")
_OUTCOMES = ("CLINICAL_NORMS", "change_scores", "scored_responses", "outcome_summary",
             "change_categories", "gas_summary", "traffic_light_shares")
_SYNTHESIS = ("municipality_effects", "meta_by_instrument", "pooled_table", "subgroup_table",
              "moderators", "meta_regressions", "leave_one_out_table", "truth_table", "coverage",
              "change_score_model", "mechanisms")
_PAGE = ("Report", "start", "validate_parameters", "read_manifest", "data_checksum",
         "setup_plotting", "load_tables")
_SITE = ("NOTEBOOKS_DIR", "KERNEL_NAME", "CELL_TIMEOUT", "HETU_PATTERN", "build_reports",
         "check_published", "municipalities_in", "render_index")
_DATA_QUALITY = ("rows_by_municipality", "reconciliation", "problem_summary", "reject_summary",
                 "completeness", "completeness_figure")

# {former module: {new module: names that kept their name}}.
_KEPT_NAME: dict[str, dict[str, tuple[str, ...]]] = {
    "evaluation": {"process": _PROCESS, "outcomes": _OUTCOMES, "synthesis": _SYNTHESIS,
                   "intervals": ("mean_ci",), "change": ("wilson_ci",),
                   "survival": ("kaplan_meier", "km_quantile")},
    "report": {"page": _PAGE, "site": _SITE, "data_quality": _DATA_QUALITY,
               "disclosure": ("MIN_CELL",), "frames": ("spread",),
               "rendering": ("TEMPLATE_NAME", "render_html", "report_css"),
               "outcomes": ("traffic_light_table",), "process": ("quality_change_table",),
               "narrative": ("subproject_facts",), "psychometrics": ("item_table",)},
    "meta": {"meta_plots": ("forest_plot",), "effectsize": ("smcr",),
             "simulation": ("coverage_simulation",),
             "meta_regression": ("meta_regression", "subgroup_analysis", "MetaRegressionResult",
                                 "SubgroupResult")},
    "meta_diagnostics": {"meta_plots": ("baujat_plot", "cumulative_forest_plot")},
}

#: ``{former module: {former name: (new module, new name)}}``.
MOVED: dict[str, dict[str, tuple[str, str]]] = {
    former: {name: (module, name) for module, names in moves.items() for name in names}
    for former, moves in _KEPT_NAME.items()
}
MOVED["report"]["psychometrics"] = ("psychometrics", "summary")


def forwarder(former: str) -> tuple[Callable[[str], object], Callable[[], list[str]]]:
    """Module ``__getattr__`` and ``__dir__`` of the former module ``soskulib.<former>``.

    A module that still exists (``meta``) uses only the ``__getattr__``: it is called for the
    names the module no longer defines.

    Raises
    ------
    KeyError
        If ``former`` is not a former module listed in :data:`MOVED`.
    """
    table = MOVED[former]

    def getattr_(name: str) -> object:
        try:
            module, new = table[name]
        except KeyError:
            raise AttributeError(f"module 'soskulib.{former}' has no attribute {name!r}; it was "
                                 "split, see the module map in the README") from None
        warnings.warn(f"soskulib.{former}.{name} is now soskulib.{module}.{new}",
                      DeprecationWarning, stacklevel=2)
        return getattr(importlib.import_module(f"soskulib.{module}"), new)

    def dir_() -> list[str]:
        return sorted(table)

    return getattr_, dir_
