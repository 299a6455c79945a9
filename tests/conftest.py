"""Shared pytest configuration: headless plotting, no timing in unit tests, the R reference values,
synthetic tables."""

from __future__ import annotations

import json
from pathlib import Path

import matplotlib
import pytest
from hypothesis import settings

# Unit tests draw figures without a display; notebooks keep the inline backend.
matplotlib.use("Agg")

# Speed is measured by benchmarks/, never by unit tests: no per-example deadline, which made
# property tests fail at random on a loaded machine (hypothesis' DeadlineExceeded/Flaky).
settings.register_profile("soskulib", deadline=None)
settings.load_profile("soskulib")


@pytest.fixture(scope="module")
def reference():
    """R reference values of the evaluation tables (``tests/reference/evaluation.R``)."""
    return json.loads((Path(__file__).parent / "reference" / "evaluation_reference.json").read_text())


@pytest.fixture(scope="module")
def tables():
    """Processed-table fixtures (:func:`_evaluation_fixtures.processed_tables`)."""
    from _evaluation_fixtures import processed_tables

    return processed_tables()


@pytest.fixture(scope="module")
def episodes(tables):
    """The per-episode analysis table of :func:`tables`."""
    from _evaluation_fixtures import EXPORT_DATE

    from soskulib import process

    return process.client_episodes(tables["clients"], tables["contacts"], tables["goals"],
                                   export_date=EXPORT_DATE)


@pytest.fixture(scope="module")
def responses(tables):
    """ESIS, WHODAS-12 and 3X10D responses of the clients of :func:`tables`."""
    from _evaluation_fixtures import synthetic_responses

    return synthetic_responses(tables)
