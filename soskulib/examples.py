"""Small example data for docstring examples and notebooks: each fixture in one line.

A docstring example should show the call it documents, not ten lines of set-up. The fixtures
here build the small inputs the examples share: a raw export folder of one municipality with
the files you give (:func:`raw_folder`), the synthetic demo export in a fresh folder
(:func:`demo_export`), a processed-data folder of given tables (:func:`processed_folder`) with
two clients' ESIS pairs (:func:`esis_pairs`), item responses of a known one-factor model
(:func:`one_factor_items`), replicates of a coverage simulation (:func:`coverage_replicates`)
and an empty figure outside pyplot (:func:`axes`). Every fixture writes only into a new
temporary folder and is deterministic (fixed seeds). The data are synthetic: the identity codes
are made-up codes of the demo's form, never real people.

Examples
--------
>>> from soskulib import examples
>>> folder = examples.raw_folder({"kaynnit.csv": ["kunta;pvm", "092;1.3.2017"]})
>>> folder.name, (folder / "kaynnit.csv").read_text(encoding="utf-8")
('092_vantaa', 'kunta;pvm\\n092;1.3.2017\\n')
"""

from __future__ import annotations

import tempfile
from collections.abc import Mapping, Sequence
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd

__all__ = ["axes", "coverage_replicates", "demo_export", "esis_pairs", "one_factor_items",
           "processed_folder", "raw_folder"]


def _fresh_folder() -> Path:
    return Path(tempfile.mkdtemp(prefix="soskulib-example-"))


def raw_folder(files: Mapping[str, Sequence[str]], *, folder: str = "092_vantaa") -> Path:
    """A raw export folder of one municipality holding ``files``, in a new temporary folder.

    Parameters
    ----------
    files : mapping of str to sequence of str
        File name (``"kaynnit.csv"``) -> its lines (header first), written as UTF-8 with a
        line end after each line.
    folder : str
        Name of the municipality folder (``<code>_<name>``, as in a real export).

    Returns
    -------
    Path
        The municipality folder.

    Examples
    --------
    >>> folder = raw_folder({"asiakkaat.csv": ["kunta", "092"]}, folder="091_helsinki")
    >>> sorted(p.name for p in folder.iterdir()), folder.parent.name.startswith("soskulib-")
    (['asiakkaat.csv'], True)
    """
    out = _fresh_folder() / folder
    out.mkdir()
    for name, lines in files.items():
        (out / name).write_text("".join(f"{line}\n" for line in lines), encoding="utf-8")
    return out


def demo_export(*, n_clients: int = 90, seed: int = 1) -> Path:
    """The synthetic demo export (:func:`soskulib.demo.write_demo`) in a new temporary folder.

    Parameters
    ----------
    n_clients : int
        Clients over the nine organisations (small, so that an example runs in a second).
    seed : int
        Random seed of the demo.

    Returns
    -------
    Path
        The raw export folder ``<tmp>/raw``; its parent is free for ``processed`` output.

    Examples
    --------
    >>> raw = demo_export()
    >>> raw.name, (raw / "truth.json").is_file()
    ('raw', True)
    """
    from soskulib import demo

    return demo.write_demo(_fresh_folder() / "raw", seed=seed, n_clients=n_clients)


def processed_folder(tables: Mapping[str, pd.DataFrame]) -> Path:
    """A processed-data folder (as ``sosku prepare`` writes) holding ``tables``, in a new folder.

    Parameters
    ----------
    tables : mapping of str to DataFrame
        Table name (``"responses_esis"``) -> its rows; each needs a ``municipality`` column,
        the partition column of the processed parquet tables.

    Returns
    -------
    Path
        The folder, readable with :func:`soskulib.io.load_processed` and :mod:`soskulib.outofcore`.

    Examples
    --------
    >>> root = processed_folder({"responses_esis": esis_pairs()})
    >>> sorted(p.name for p in (root / "responses_esis").iterdir())
    ['municipality=092']
    """
    root = _fresh_folder()
    for name, frame in tables.items():
        frame.to_parquet(root / name, partition_cols=["municipality"])
    return root


def esis_pairs() -> pd.DataFrame:
    """ESIS answers of two clients of Vantaa (092) at baseline and end: one better, one worse.

    Every item of client ``a`` goes from 2 to 3 and of client ``b`` from 3 to 2 (ESIS items are
    0–4, higher is better), the rows of a processed ``responses_esis`` table.

    Returns
    -------
    DataFrame
        ``client_id, municipality, occasion, esis01 … esis10``.

    Examples
    --------
    >>> esis_pairs()[["client_id", "occasion", "esis01"]].to_numpy().tolist()
    [['a', 'baseline', 2.0], ['a', 'end', 3.0], ['b', 'baseline', 3.0], ['b', 'end', 2.0]]
    """
    items = {f"esis{i:02d}": [2.0, 3.0, 3.0, 2.0] for i in range(1, 11)}
    return pd.DataFrame({"client_id": ["a", "a", "b", "b"], "municipality": "092",
                         "occasion": ["baseline", "end"] * 2, **items})


def one_factor_items(loadings: Sequence[float] = (0.8, 0.7, 0.6), *, n: int = 5_000,
                     seed: int = 0) -> pd.DataFrame:
    """Standardised item scores drawn from a one-factor model with the given loadings.

    Item j = loading_j · F + e_j with F ~ N(0, 1) and e_j ~ N(0, 1 − loading_j²), so every
    item has variance 1 and McDonald's omega total of the items is
    :math:`(\\sum\\lambda)^2 / ((\\sum\\lambda)^2 + \\sum(1 - \\lambda^2))`.

    Parameters
    ----------
    loadings : sequence of float
        One loading per item, each in (−1, 1); items are named ``a``, ``b``, ``c``, ...
    n : int
        Respondents.
    seed : int
        Seed of :func:`numpy.random.default_rng`.

    Returns
    -------
    DataFrame
        ``n`` rows, one column per item.

    Examples
    --------
    >>> items = one_factor_items()
    >>> items.shape, float(items.corr().round(1).loc["a", "b"])
    ((5000, 3), 0.6)
    """
    lam = np.asarray(loadings, dtype=float)
    cov = np.outer(lam, lam) + np.diag(1 - lam**2)
    x = np.random.default_rng(seed).multivariate_normal(np.zeros(lam.size), cov, size=n)
    return pd.DataFrame(x, columns=[chr(ord("a") + j) for j in range(lam.size)])


def coverage_replicates() -> pd.DataFrame:
    """Four replicates of a coverage simulation of the ESIS pooled change (true mean 0.3).

    The layout of :attr:`soskulib.simulation.CoverageResult.replicates`: one row per
    replicate with its estimate, interval and whether the interval covers each target.

    Returns
    -------
    DataFrame
        ``seed, instrument, test, k, estimate, ci_low, ci_high, mu, covers_mu,
        covers_theta_mean``.

    Examples
    --------
    >>> coverage_replicates()[["estimate", "covers_theta_mean"]].to_numpy().tolist()
    [[0.28, True], [0.35, True], [0.22, False], [0.31, True]]
    """
    return pd.DataFrame({"seed": [1, 2, 3, 4], "instrument": "esis", "test": "knha", "k": 9,
                         "estimate": [0.28, 0.35, 0.22, 0.31],
                         "ci_low": [0.1, 0.2, 0.05, 0.12],
                         "ci_high": [0.46, 0.5, 0.39, 0.5], "mu": 0.3,
                         "covers_mu": [True, True, True, True],
                         "covers_theta_mean": [True, True, False, True]})


def axes() -> tuple[Any, Any]:
    """A new matplotlib figure with one axes, outside pyplot (no backend, nothing to close).

    Returns
    -------
    (Figure, Axes)

    Examples
    --------
    >>> fig, ax = axes()
    >>> type(ax).__name__, len(fig.axes)
    ('Axes', 1)
    """
    from matplotlib.figure import Figure

    fig = Figure()
    return fig, fig.subplots()
