"""Shared pytest configuration: headless plotting, determinism."""

from __future__ import annotations

import matplotlib

# Unit tests draw figures without a display; notebooks keep the inline backend.
matplotlib.use("Agg")
