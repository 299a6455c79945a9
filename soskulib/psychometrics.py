"""The instruments page: item analysis of every instrument in the data, beside published values.

:func:`summary` runs :func:`soskulib.reliability.item_analysis` per instrument at one
occasion; :func:`item_table` labels one instrument's item statistics for publishing.
"""

from __future__ import annotations

import os
from typing import Any

import pandas as pd

from soskulib import labels

__all__ = ["summary", "item_table"]


def summary(processed_dir: str | os.PathLike[str], occasion: str = "baseline",
                  min_n: int = 20, lang: str = "en") -> tuple[pd.DataFrame, dict[str, Any]]:
    """Item analysis of every instrument at one occasion, next to the published values.

    :func:`soskulib.reliability.item_analysis` on the items of bounded response scales (the
    EQ VAS 0–100 is a separate rating, not an item of the profile), one response per client.

    Returns
    -------
    (DataFrame, dict)
        Summary ``instrument, name, n, alpha, alpha_ci_low, alpha_ci_high, omega,
        published_alpha, published_source`` and ``{instrument id: ReliabilityResult}``;
        the source's note (e.g. that the value is for another version) is in ``lang``.
    """
    from soskulib import instruments, reliability, schema
    from soskulib import io as sio

    rows, details = [], {}
    for inst_id in schema.ASSESSMENT_INSTRUMENTS:
        inst = instruments.get(inst_id)
        resp = sio.load_processed(processed_dir, f"responses_{inst_id}")
        resp = resp.loc[resp["occasion"] == occasion]
        items = [i for i in inst.items if inst.item_range(i)[1] - inst.item_range(i)[0] <= 10]
        if len(resp) < min_n or len(items) < 2:
            continue
        res = reliability.item_analysis(resp[items], instrument=inst)
        details[inst_id] = res
        omega = getattr(res.omega, "omega", res.omega) if res.omega is not None else float("nan")
        rows.append({"instrument": inst_id, "name": inst.name, "n": res.alpha.n,
                     "alpha": res.alpha.alpha, "alpha_ci_low": res.alpha.ci_low,
                     "alpha_ci_high": res.alpha.ci_high, "omega": omega,
                     "published_alpha": inst.reliability.get("alpha", float("nan")),
                     "published_source": _published_source(inst.reliability, lang)})
    columns = ["instrument", "name", "n", "alpha", "alpha_ci_low", "alpha_ci_high", "omega",
               "published_alpha", "published_source"]
    return pd.DataFrame(rows, columns=columns), details


def item_table(result: Any, instrument: Any, lang: str = "fi") -> pd.DataFrame:
    """Item analysis of one instrument with item labels in ``lang`` (rows) for publishing."""
    table = result.items.copy()
    table.index = [instrument.label(i, lang) for i in table.index]
    table.index.name = labels.text("col.item", lang)
    return table.reset_index()


def _published_source(spec: dict[str, Any], lang: str) -> str:
    """The citation of a published reliability, with its note in ``lang`` (spec ``note``).

    Examples
    --------
    >>> _published_source({"source": "Üstün et al. 2010",
    ...                    "note": ["luku 36 osion versiolle", "36-item version"]}, "fi")
    'Üstün et al. 2010 (luku 36 osion versiolle)'
    """
    source = str(spec.get("source", "–"))
    note = spec.get("note")
    if isinstance(note, (list, tuple)) and len(note) == 2:
        source += f" ({note[0] if lang == 'fi' else note[1]})"
    return source
