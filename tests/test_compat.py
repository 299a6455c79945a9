"""Names that moved (former ``evaluation`` and ``report``, meta's figures) forward, with a warning."""

from __future__ import annotations

import doctest
import importlib

import pytest

from soskulib import compat


def test_docstring_examples_run():
    result = doctest.testmod(compat, optionflags=doctest.NORMALIZE_WHITESPACE)
    assert result.attempted > 0 and result.failed == 0


@pytest.mark.parametrize("former", sorted(compat.MOVED))
def test_every_former_name_resolves_to_its_new_home(former):
    old = importlib.import_module(f"soskulib.{former}")
    if former in ("evaluation", "report"):  # former modules: nothing but the forwarded names
        assert dir(old) == sorted(compat.MOVED[former])
    else:  # a module that gave names away lists only what it still defines
        assert not set(compat.MOVED[former]) & (set(dir(old)) | set(old.__all__))
    for name, (module, new) in compat.MOVED[former].items():
        with pytest.warns(DeprecationWarning, match=f"soskulib.{module}.{new}"):
            moved = getattr(old, name)
        assert moved is getattr(importlib.import_module(f"soskulib.{module}"), new)


def test_unknown_name_says_the_module_was_split():
    from soskulib import evaluation

    with pytest.raises(AttributeError, match="split, see the module map"):
        evaluation.no_such_function  # noqa: B018
