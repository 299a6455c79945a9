"""soskulib: evaluating Finnish social rehabilitation (sosiaalinen kuntoutus, SHL 1301/2014 §17).

Submodules are imported on demand (``from soskulib import meta, change``) so that the command
line and notebooks only pay for what they use.
"""

from __future__ import annotations

import importlib

__version__ = "0.1.0"

_SUBMODULES = {
    "schema", "errors", "io", "validation", "pseudonym", "prepare", "codebook", "demo",
    "instruments", "scoring", "reliability", "change", "effectsize", "gas",
    "evaluation", "disclosure", "models", "meta", "plots", "report", "labels", "outofcore",
    "narrative", "spc", "simulation", "provenance",
}


def __getattr__(name: str):
    if name in _SUBMODULES:
        return importlib.import_module(f"soskulib.{name}")
    raise AttributeError(f"module 'soskulib' has no attribute {name!r}")


__all__ = sorted(_SUBMODULES)
