"""What may be published: the split between analysis results and disclosure-protected results.

soskulib's functions fall into two kinds, and every table they return says which it is in
``DataFrame.attrs["publishable"]``:

**Analysis functions** compute exact statistics for every group, however small. They are
what a researcher explores in JupyterLab, and their output must not be published as it is:
a group of two clients shows both clients' scores. Their results carry
``attrs["publishable"] = False`` and a note saying how to protect them:

* :func:`soskulib.change.change_table`, :func:`soskulib.change.reliable_change`,
  :func:`soskulib.change.category_rates` (individual and grouped change),
* :mod:`soskulib.effectsize`, :mod:`soskulib.reliability`, :mod:`soskulib.meta`,
  :mod:`soskulib.models` (statistics and models),
* :func:`soskulib.scoring.score` (one row per client).

**Publication functions** protect what they return: counts of fewer than
:data:`soskulib.disclosure.MIN_CELL` (5) people are hidden, together with every cell and
statistic from which they could be deduced (secondary suppression), and the hidden cells
carry a mask. Their results carry ``attrs["publishable"] = True``:

* :func:`soskulib.disclosure.suppress_table` and :func:`soskulib.disclosure.crosstab`
  (protect any table of counts and the statistics derived from them),
* the report tables of :mod:`soskulib.process` (development work: ``reach``, ``dose``,
  ``fidelity``, ...), :mod:`soskulib.outcomes` (client change: ``outcome_summary``,
  ``change_categories``, ...) and :mod:`soskulib.synthesis` (``coverage``, the pooled
  tables), which call them,
* :meth:`soskulib.page.Report.table`, which publishes a table on a page and writes its
  CSV downloads; it protects the ``counts=`` it is given.

Publishing is a decision about the whole page (tables, figures, CSVs, headline and index
together), so a ``True`` mark says the table was protected on its own, not that every
combination with other published numbers is safe; the build's attack (``sosku audit``)
checks the combination.

Examples
--------
>>> import pandas as pd
>>> from soskulib import publication
>>> table = publication.mark(pd.DataFrame({"n": [2]}), False, "change.change_table")
>>> publication.is_publishable(table)
False
>>> print(publication.describe(table))
analysis only (change.change_table): not protected against disclosure; publish it through a publication function (see soskulib.publication)
"""

from __future__ import annotations

from typing import Any

import pandas as pd

#: Key of the mark in ``DataFrame.attrs``.
ATTR = "publishable"
#: Key of the function that produced the table.
SOURCE = "produced_by"
#: Key of the disclosure threshold a protected table was suppressed with.
MIN_CELL = "min_cell"


class PublicationWarning(UserWarning):
    """An analysis result describes groups small enough to identify people if published."""


def mark(table: pd.DataFrame, publishable: bool, source: str,
         min_cell: int | None = None) -> pd.DataFrame:
    """Mark ``table`` (in place) as publishable or analysis only; return it.

    Parameters
    ----------
    table : DataFrame
        A result table.
    publishable : bool
        Whether the table is disclosure-protected.
    source : str
        The function that produced it (shown by :func:`describe`).
    min_cell : int, optional
        The disclosure threshold a protected table was suppressed with (shown by
        :func:`describe`).

    Returns
    -------
    DataFrame
        ``table`` itself.

    Examples
    --------
    >>> mark(pd.DataFrame({"n": [12]}), True, "disclosure.suppress_table").attrs["publishable"]
    True
    """
    if not isinstance(table, pd.DataFrame):
        raise TypeError(f"mark() needs a DataFrame, got {type(table).__name__}")
    table.attrs[ATTR] = bool(publishable)
    table.attrs[SOURCE] = source
    if min_cell is not None:
        table.attrs[MIN_CELL] = int(min_cell)
    return table


def is_publishable(table: Any) -> bool | None:
    """``True``/``False`` as marked, ``None`` for a table no soskulib function marked.

    Examples
    --------
    >>> is_publishable(pd.DataFrame()) is None
    True
    """
    value = getattr(table, "attrs", {}).get(ATTR)
    return None if value is None else bool(value)


def describe(table: Any) -> str:
    """One line saying whether ``table`` may be published and why.

    Examples
    --------
    >>> print(describe(mark(pd.DataFrame(), True, "outcomes.outcome_summary", min_cell=5)))
    disclosure-protected (outcomes.outcome_summary): cells under 5 people and what reveals them are hidden
    """
    state = is_publishable(table)
    source = getattr(table, "attrs", {}).get(SOURCE, "unknown function")
    if state is None:
        return "unmarked: not produced by a soskulib function that states its disclosure status"
    if state:
        threshold = getattr(table, "attrs", {}).get(MIN_CELL)
        small = f"cells under {threshold} people" if threshold else "small cells"
        return f"disclosure-protected ({source}): {small} and what reveals them are hidden"
    return (f"analysis only ({source}): not protected against disclosure; publish it through a "
            "publication function (see soskulib.publication)")
