"""The DuckDB path for data larger than memory: scoring, reliable change, development tables.

The processed tables are partitioned parquet (``<processed>/<table>/municipality=<code>/*.parquet``,
written by :func:`soskulib.prepare.prepare`). The functions here compute the same numbers as
:func:`soskulib.scoring.score`, :func:`soskulib.change.reliable_change` and the core figures of
:mod:`soskulib.process`, but as SQL that DuckDB streams over the parquet files, so the data
never have to fit in memory: a national register extract (the Kanta social-care register holds
about 250,000 working-age clients) runs within a fixed memory limit, spilling to a temporary
directory when a join or aggregate needs more.

The SQL is generated from the instrument spec (:mod:`soskulib.instruments`), so the scoring
rules have one declaration:

* an item is *missing* when it is NULL or NaN; a reverse-keyed item ``x`` becomes
  ``lo + hi - x`` (its own range, :meth:`Instrument.item_range`);
* a scale is NaN when fewer than :meth:`Scale.required_items` of its ``k`` items are answered;
* ``sum``: the sum of answered items ``S``, prorated to ``S · k / n`` when ``prorate`` is set
  (``n`` = answered items); ``mean``: ``S / n``;
* ``linear_0_100``: ``(S_p − Σlo) / (Σhi − Σlo) × 100`` with ``S_p`` the (prorated) sum, i.e.
  ``(S_p − k·min) / (k·(max − min)) × 100`` for items sharing one range (ESIS: ``(sum − 10)/40
  × 100``);
* ``gas_tscore``: Kiresuk & Sherman (1968) with unit weights,
  ``T = 50 + 10 Σx / sqrt((1 − ρ)·n + ρ·n²)`` over the answered goals.

Everything returned is a pandas DataFrame of *results* (one row per response, per pair, or per
municipality); :func:`relation` gives the lazy DuckDB relation instead, for results that should
stay out of memory (``rel.write_parquet(...)``).

Examples
--------
>>> from soskulib import outofcore
>>> print(outofcore.scale_sql("esis")["total"])  # doctest: +NORMALIZE_WHITESPACE
CASE WHEN "total__n" >= 8 THEN (("total__s" * 10 / "total__n") - 10.0) / 40.0 * 100
ELSE NULL END
"""

from __future__ import annotations

import math
from collections.abc import Iterable, Sequence
from pathlib import Path
from typing import Any

import duckdb
import pandas as pd

from soskulib import instruments as _instruments
from soskulib.instruments import Instrument, Scale

#: Two-sided 5 % critical value of the reliable change index (Jacobson & Truax 1991).
RCI_CRITICAL = 1.96

#: Non-item columns carried along by :func:`score` unless told otherwise.
DEFAULT_KEEP = ("client_id", "municipality", "date", "occasion")

DEFAULT_MEMORY_LIMIT = "1GB"


# ---------------------------------------------------------------------------------------------
# Connection and sources
# ---------------------------------------------------------------------------------------------


def connect(
    *,
    memory_limit: str | None = DEFAULT_MEMORY_LIMIT,
    temp_directory: str | Path | None = None,
    threads: int | None = None,
) -> duckdb.DuckDBPyConnection:
    """Open an in-memory DuckDB connection set up for larger-than-memory work.

    Parameters
    ----------
    memory_limit : str or None
        DuckDB ``memory_limit`` (e.g. ``"1GB"``, ``"500MB"``); operators that need more spill to
        ``temp_directory``. ``None`` keeps DuckDB's default (80 % of RAM).
    temp_directory : path, optional
        Where DuckDB spills; default DuckDB's own (``<database>.tmp`` / ``.tmp``). Put it on a
        disk with room for the largest join.
    threads : int, optional
        Worker threads (default: all cores).

    Returns
    -------
    duckdb.DuckDBPyConnection
        With ``preserve_insertion_order = false`` (lets DuckDB stream without buffering order;
        every function here sorts its result explicitly) and the ``statistics_propagation``
        optimizer disabled (NaN-safe; see the comment in the code). Pass your own connection
        to the functions here only if it has the same setting.

    Examples
    --------
    >>> con = connect(memory_limit="256MB")
    >>> con.execute("SELECT current_setting('memory_limit')").fetchone()[0]
    '244.1 MiB'
    """
    # Statistics propagation is switched off because pyarrow leaves NaN out of a parquet
    # column's min/max statistics; DuckDB 2.0 then proves ``isnan(x)`` false from those
    # statistics and would silently count NaN (missing) items as answered when a table is read
    # from several files. The scoring SQL relies on seeing every NaN.
    config: dict[str, Any] = {"preserve_insertion_order": False,
                              "disabled_optimizers": "statistics_propagation"}
    if memory_limit is not None:
        config["memory_limit"] = str(memory_limit)
    if temp_directory is not None:
        Path(temp_directory).mkdir(parents=True, exist_ok=True)
        config["temp_directory"] = str(temp_directory)
    if threads is not None:
        if int(threads) < 1:
            raise ValueError(f"threads must be a positive integer, got {threads!r}")
        config["threads"] = int(threads)
    return duckdb.connect(":memory:", config=config)


def _quote(identifier: str) -> str:
    return '"' + identifier.replace('"', '""') + '"'


def _literal(text: str) -> str:
    return "'" + text.replace("'", "''") + "'"


def _number(value: float) -> str:
    """A float as an SQL DOUBLE literal that round-trips exactly."""
    if not math.isfinite(value):
        raise ValueError(f"cannot use non-finite number {value!r} in a scoring rule")
    return repr(float(value))


def parquet_source(processed_dir: str | Path, table: str) -> str:
    """SQL table expression reading one processed table's partitioned parquet files.

    ``municipality`` comes from the hive partition folder and stays a 3-character string
    (``'092'``, not the integer 92).

    Parameters
    ----------
    processed_dir : path
        Folder written by ``sosku prepare``.
    table : str
        Processed table name (``"clients"``, ``"responses_esis"``, ...).

    Returns
    -------
    str
        A ``read_parquet(...)`` table expression for use in ``FROM``.

    Raises
    ------
    FileNotFoundError
        The table's folder does not exist (run ``sosku prepare`` first).

    Examples
    --------
    >>> import tempfile, pandas as pd
    >>> root = Path(tempfile.mkdtemp())
    >>> pd.DataFrame({"municipality": ["092"], "x": [1.0]}).to_parquet(
    ...     root / "t", partition_cols=["municipality"])
    >>> duckdb.execute(f"SELECT * FROM {parquet_source(root, 't')}").fetchall()
    [(1.0, '092')]
    """
    folder = Path(processed_dir) / table
    if not folder.is_dir():
        raise FileNotFoundError(
            f"no processed table {table!r} in {processed_dir} (expected the folder {folder}); "
            "run `sosku prepare` first"
        )
    pattern = _literal(str(folder / "**" / "*.parquet"))
    return (f"read_parquet({pattern}, hive_partitioning = true, union_by_name = true, "
            "hive_types = {'municipality': VARCHAR})")


def _municipality_filter(municipalities: Iterable[str] | None, column: str = "municipality") -> str:
    if municipalities is None:
        return ""
    codes = [str(m) for m in municipalities]
    if not codes:
        raise ValueError("municipalities is empty; pass None for all municipalities")
    return f" WHERE {_quote(column)} IN ({', '.join(_literal(c) for c in codes)})"


# ---------------------------------------------------------------------------------------------
# Scoring
# ---------------------------------------------------------------------------------------------


def _clean_item_sql(instrument: Instrument, item: str) -> str:
    """Item value as DOUBLE: NaN -> NULL, reverse-keyed items reversed within their range."""
    raw = f"CAST({_quote(item)} AS DOUBLE)"
    value = f"CASE WHEN isnan({raw}) THEN NULL ELSE {raw} END"
    if item in instrument.reverse:
        lo, hi = instrument.item_range(item)
        value = f"{_number(lo + hi)} - ({value})"
    return value


def _scale_formula(instrument: Instrument, scale: Scale) -> str:
    s, n = _quote(f"{scale.name}__s"), _quote(f"{scale.name}__n")
    k = len(scale.items)
    prorated = f"({s} * {k} / {n})" if scale.prorate else s
    if scale.method == "sum":
        value = prorated
    elif scale.method == "mean":
        value = f"({s} / {n})"
    elif scale.method == "linear_0_100":
        lows, highs = zip(*(instrument.item_range(i) for i in scale.items), strict=True)
        low, span = float(sum(lows)), float(sum(highs) - sum(lows))
        if span <= 0:
            raise ValueError(f"{instrument.name} scale {scale.name!r} has an empty item range")
        value = f"({prorated} - {_number(low)}) / {_number(span)} * 100"
    elif scale.method == "gas_tscore":
        rho = float(instrument.extra.get("rho", 0.3))
        value = (f"(50 + 10 * {s} / sqrt({_number(1 - rho)} * {n} + {_number(rho)} * {n} * {n}))")
    else:  # instruments.py validates methods; a new one must be added here too
        raise ValueError(f"{instrument.name} scale {scale.name!r}: no SQL for method {scale.method!r}")
    return f"CASE WHEN {n} >= {scale.required_items()} THEN {value} ELSE NULL END"


def scale_sql(instrument: str | Instrument) -> dict[str, str]:
    """SQL expression of every scale of ``instrument``, keyed by scale name.

    The expressions refer to the per-scale columns ``<scale>__s`` (sum of the answered, cleaned
    items) and ``<scale>__n`` (number answered) that :func:`scoring_query` computes first.

    Parameters
    ----------
    instrument : str or Instrument
        Instrument id or object.

    Returns
    -------
    dict
        Scale name -> SQL expression (NULL where the missing-item rule forbids a score).

    Examples
    --------
    >>> scale_sql("WHODAS-12")["total"]
    'CASE WHEN "total__n" >= 10 THEN ("total__s" * 12 / "total__n") ELSE NULL END'
    """
    inst = _instruments.get(instrument)
    return {name: _scale_formula(inst, scale) for name, scale in inst.scales.items()}


def scoring_query(
    source: str,
    instrument: str | Instrument,
    *,
    keep: Sequence[str] = DEFAULT_KEEP,
    where: str = "",
) -> str:
    """SELECT statement scoring every row of ``source`` (an SQL table expression).

    Parameters
    ----------
    source : str
        A table expression, e.g. :func:`parquet_source` or the name of a registered view.
    instrument : str or Instrument
    keep : sequence of str
        Non-item columns carried to the output, in this order, before the scale columns.
    where : str
        Optional ``WHERE ...`` clause applied to ``source``.

    Returns
    -------
    str
        SQL with one output row per input row: ``keep`` columns, then one column per scale
        (:attr:`Instrument.scales` order), DOUBLE, NULL where the scale cannot be scored.

    Examples
    --------
    >>> con = connect()
    >>> _ = con.execute("CREATE TABLE t AS SELECT 'x' AS client_id, " +
    ...                 ", ".join(f"5.0 AS esis{i:02d}" for i in range(1, 11)))
    >>> con.execute(scoring_query("t", "esis", keep=["client_id"])).fetchall()
    [('x', 100.0)]
    """
    inst = _instruments.get(instrument)
    kept = [_quote(c) for c in keep]
    clean = ",\n    ".join(
        [*kept, *(f"{_clean_item_sql(inst, i)} AS {_quote(i)}" for i in inst.items)]
    )
    parts = []
    for name, scale in inst.scales.items():
        total = " + ".join(f"coalesce({_quote(i)}, 0)" for i in scale.items)
        answered = " + ".join(f"({_quote(i)} IS NOT NULL)::INTEGER" for i in scale.items)
        parts.append(f"({total}) AS {_quote(name + '__s')}")
        parts.append(f"({answered}) AS {_quote(name + '__n')}")
    scales = [f"{sql} AS {_quote(name)}" for name, sql in scale_sql(inst).items()]
    return (
        f"WITH clean AS (\n  SELECT {clean}\n  FROM {source}{where}\n),\n"
        f"parts AS (\n  SELECT *, {', '.join(parts)}\n  FROM clean\n)\n"
        f"SELECT {', '.join([*kept, *scales])}\nFROM parts"
    )


def check_item_ranges(
    con: duckdb.DuckDBPyConnection, source: str, instrument: str | Instrument, *, where: str = ""
) -> None:
    """Raise ``ValueError`` naming the item when any value lies outside its allowed range.

    One aggregate scan over ``source``. NULL and NaN are missing values, not range errors.

    Parameters
    ----------
    con : duckdb connection
        Open connection.
    source : str
        SQL table expression (e.g. :func:`parquet_source`).
    instrument : str or Instrument
        Whose item ranges apply.
    where : str
        Optional ``WHERE ...`` clause applied to ``source``.

    Raises
    ------
    ValueError
        For the first offending item (spec order), with the count of offending rows and the
        municipalities they are in; never the rows' identifiers.

    Examples
    --------
    >>> con = connect()
    >>> _ = con.execute("CREATE TABLE t AS SELECT '092' AS municipality, " +
    ...                 ", ".join(f"{9 if i == 3 else 1}.0 AS esis{i:02d}" for i in range(1, 11)))
    >>> check_item_ranges(con, "t", "esis")  # doctest: +ELLIPSIS
    Traceback (most recent call last):
    ...
    ValueError: ...esis03...
    """
    inst = _instruments.get(instrument)
    checks = []
    for item in inst.items:
        lo, hi = inst.item_range(item)
        raw = f"CAST({_quote(item)} AS DOUBLE)"
        bad = f"NOT isnan({raw}) AND ({raw} < {_number(lo)} OR {raw} > {_number(hi)})"
        checks.append(f"count(*) FILTER (WHERE {bad})")
        checks.append(f"string_agg(DISTINCT municipality, ', ' ORDER BY municipality) "
                      f"FILTER (WHERE {bad})")
    row = con.execute(f"SELECT {', '.join(checks)} FROM {source}{where}").fetchone()
    for pos, item in enumerate(inst.items):
        count, where_found = row[2 * pos], row[2 * pos + 1]
        if count:
            lo, hi = inst.item_range(item)
            raise ValueError(
                f"{inst.name} item {item!r}: {count} value(s) outside the allowed range "
                f"{lo:g}-{hi:g} (municipality {where_found}); fix or remove them before scoring"
            )


def relation(
    con: duckdb.DuckDBPyConnection, query: str
) -> duckdb.DuckDBPyRelation:
    """Lazy DuckDB relation of ``query`` (e.g. to ``.write_parquet()`` a large result).

    Parameters
    ----------
    con : duckdb connection
        Open connection.
    query : str
        SQL query, e.g. :func:`scoring_query`.

    Returns
    -------
    duckdb.DuckDBPyRelation
        Nothing is computed until the relation is consumed.

    Examples
    --------
    >>> relation(connect(), "SELECT 42 AS answer").fetchall()
    [(42,)]
    """
    return con.sql(query)


def _connection(con: duckdb.DuckDBPyConnection | None, **settings: Any) -> duckdb.DuckDBPyConnection:
    return con if con is not None else connect(**settings)


def score(
    processed_dir: str | Path,
    instrument: str | Instrument,
    *,
    keep: Sequence[str] = DEFAULT_KEEP,
    municipalities: Iterable[str] | None = None,
    con: duckdb.DuckDBPyConnection | None = None,
    check_ranges: bool = True,
    memory_limit: str | None = DEFAULT_MEMORY_LIMIT,
    temp_directory: str | Path | None = None,
) -> pd.DataFrame:
    """Score ``responses_<instrument>`` straight from parquet, like :func:`soskulib.scoring.score`.

    Parameters
    ----------
    processed_dir : path
        Folder written by ``sosku prepare``.
    instrument : str or Instrument
        An assessment instrument (``responses_<id>`` must exist).
    keep : sequence of str
        Identifying columns to return with the scores.
    municipalities : iterable of str, optional
        Only these municipality codes (read only their partitions).
    con : duckdb connection, optional
        Reuse a connection (its settings win); else one is opened with ``memory_limit`` and
        ``temp_directory`` (see :func:`connect`).
    check_ranges : bool
        Scan for out-of-range values first and raise ``ValueError`` naming the item, as
        :func:`soskulib.scoring.score` does (one extra aggregate pass).
    memory_limit : str or None
        DuckDB memory limit of the connection opened here.
    temp_directory : path, optional
        Where DuckDB spills when it needs more than ``memory_limit``.

    Returns
    -------
    DataFrame
        One row per response row, sorted by ``keep``; one float column per scale, NaN where the
        missing-item rule forbids a score. The rule and formulas are in the module docstring.

    Examples
    --------
    >>> import tempfile, numpy as np, pandas as pd
    >>> root = Path(tempfile.mkdtemp())
    >>> items = {f"esis{i:02d}": [5.0, 3.0] for i in range(1, 11)}
    >>> items["esis01"] = [5.0, np.nan]
    >>> pd.DataFrame({"client_id": ["a", "b"], "municipality": ["092", "092"],
    ...               "occasion": ["baseline"] * 2, **items}).to_parquet(
    ...     root / "responses_esis", partition_cols=["municipality"])
    >>> score(root, "esis", keep=["client_id"])
      client_id  total
    0         a  100.0
    1         b   50.0
    """
    inst = _instruments.get(instrument)
    connection = _connection(con, memory_limit=memory_limit, temp_directory=temp_directory)
    source = parquet_source(processed_dir, f"responses_{inst.id}")
    where = _municipality_filter(municipalities)
    if check_ranges:
        check_item_ranges(connection, source, inst, where=where)
    order = f"\nORDER BY {', '.join(_quote(c) for c in keep)}" if keep else ""
    query = scoring_query(source, inst, keep=keep, where=where) + order
    return fetch_frame(connection, query)


def fetch_frame(con: duckdb.DuckDBPyConnection, query: str) -> pd.DataFrame:
    """Run ``query`` and return the result with soskulib's dtypes.

    VARCHAR columns become pandas ``str`` (missing = NA), DOUBLE columns float64 (NULL = NaN),
    integers int64 where no value is missing.

    Parameters
    ----------
    con : duckdb connection
        Open connection.
    query : str
        SQL query.

    Returns
    -------
    DataFrame

    Examples
    --------
    >>> frame = fetch_frame(connect(), "SELECT 1 AS n, 0.5 AS x, '092' AS municipality")
    >>> frame.dtypes.astype(str).tolist()
    ['int64', 'float64', 'str']
    """
    cursor = con.execute(query)
    types = {d[0]: str(d[1]) for d in cursor.description}
    frame = cursor.df()
    for column, kind in types.items():
        if kind == "VARCHAR":
            frame[column] = frame[column].astype("str")
        elif kind in ("DOUBLE", "FLOAT"):
            frame[column] = frame[column].astype("float64")
        elif kind in ("BIGINT", "INTEGER", "HUGEINT", "SMALLINT") and not frame[column].isna().any():
            frame[column] = frame[column].astype("int64")
    return frame


# ---------------------------------------------------------------------------------------------
# Reliable change
# ---------------------------------------------------------------------------------------------


def reliable_change_query(
    scores: str,
    scale: str,
    *,
    sd: float,
    reliability: float,
    higher_is_better: bool,
    pre: str = "baseline",
    post: str = "end",
) -> str:
    """SELECT pairing ``pre`` and ``post`` scores of each client and classifying the change.

    ``scores`` is a table expression with ``client_id``, ``municipality``, ``occasion`` and the
    ``scale`` column (e.g. ``"(" + scoring_query(...) + ")"``). Formula as in
    :func:`reliable_change`.

    Parameters
    ----------
    scores : str
        Table expression of scored responses.
    scale : str
        Scale column.
    sd : float
        SD of the reference (usually baseline) scores, > 0.
    reliability : float
        Reliability of the scale, in (0, 1).
    higher_is_better : bool
        Direction of the scale.
    pre, post : str
        Occasions to pair.

    Returns
    -------
    str
        SQL with columns ``client_id, municipality, pre, post, change, rci, category``.

    Examples
    --------
    >>> sql = reliable_change_query("scores", "total", sd=15.0, reliability=0.89,
    ...                             higher_is_better=True)
    >>> sql.lstrip().startswith("WITH s AS")
    True
    """
    if not (sd > 0 and math.isfinite(sd)):
        raise ValueError(f"sd must be a positive finite number, got {sd!r}")
    if not 0 < reliability < 1:
        raise ValueError(f"reliability must be strictly between 0 and 1, got {reliability!r}")
    # Same operation order as soskulib.change: S_diff = sqrt(2) * SE, SE = sd * sqrt(1 - r).
    s_diff = math.sqrt(2.0) * (sd * math.sqrt(1.0 - reliability))
    better = ">" if higher_is_better else "<"
    worse = "<" if higher_is_better else ">"
    col = _quote(scale)
    return f"""
WITH s AS (SELECT client_id, municipality, occasion, {col} AS score FROM {scores}),
pairs AS (
  SELECT a.client_id, a.municipality, a.score AS pre, b.score AS post
  FROM s AS a JOIN s AS b ON a.client_id = b.client_id
  WHERE a.occasion = {_literal(pre)} AND b.occasion = {_literal(post)}
),
rc AS (SELECT *, post - pre AS change, (post - pre) / {_number(s_diff)} AS rci FROM pairs)
SELECT client_id, municipality, pre, post, change, rci,
  CASE WHEN rci IS NULL OR isnan(rci) THEN NULL
       WHEN abs(rci) > {_number(RCI_CRITICAL)} AND rci {better} 0 THEN 'improved'
       WHEN abs(rci) > {_number(RCI_CRITICAL)} AND rci {worse} 0 THEN 'deteriorated'
       ELSE 'unchanged' END AS category
FROM rc"""


def reliable_change(
    processed_dir: str | Path,
    instrument: str | Instrument,
    scale: str | None = None,
    *,
    sd: float,
    reliability: float,
    pre: str = "baseline",
    post: str = "end",
    municipalities: Iterable[str] | None = None,
    con: duckdb.DuckDBPyConnection | None = None,
    memory_limit: str | None = DEFAULT_MEMORY_LIMIT,
    temp_directory: str | Path | None = None,
) -> pd.DataFrame:
    """Reliable change (Jacobson & Truax 1991) of every client with both occasions, in DuckDB.

    ``rci = (post − pre) / (√2 · sd · √(1 − reliability))``; the change is reliable when
    ``|rci| > 1.96``, ``"improved"`` in the scale's better direction (``higher_is_better`` of the
    scale), ``"deteriorated"`` in the other, else ``"unchanged"``; NA when either score is
    missing. Same numbers as :func:`soskulib.change.reliable_change` on the paired scores
    (R: ``clinicalsignificance::cs_distribution(..., rci_method = "JT")``, which uses
    ``qnorm(.975)`` = 1.959964 instead of 1.96 as the critical value).

    Parameters
    ----------
    processed_dir : path
        Folder written by ``sosku prepare``.
    instrument : str or Instrument
        An assessment instrument (``responses_<id>`` must exist).
    scale : str, optional
        Default: the instrument's headline scale.
    sd, reliability : float
        Standard deviation of the reference (usually baseline) scores and the reliability
        (e.g. Cronbach's alpha) of the scale.
    pre, post : str
        Occasions to pair.
    municipalities : iterable of str, optional
        Only these municipality codes.
    con : duckdb connection, optional
        Reuse a connection (its settings win); else one is opened by :func:`connect`.
    memory_limit : str or None
        DuckDB memory limit of the connection opened here (e.g. ``"1GB"``).
    temp_directory : path, optional
        Where DuckDB spills when it needs more than ``memory_limit``.

    Returns
    -------
    DataFrame
        ``client_id, municipality, pre, post, change, rci, category``, sorted by client_id.
        Clients paired on ``client_id``; ``municipality`` is that of the ``pre`` row.

    Examples
    --------
    >>> from soskulib import examples
    >>> root = examples.processed_folder({"responses_esis": examples.esis_pairs()})
    >>> res = reliable_change(root, "esis", sd=15.0, reliability=0.89)
    >>> res[["client_id", "change", "category"]]
      client_id  change      category
    0         a    25.0      improved
    1         b   -25.0  deteriorated
    """
    inst = _instruments.get(instrument)
    scale = inst.check_scale(scale or None)
    connection = _connection(con, memory_limit=memory_limit, temp_directory=temp_directory)
    source = parquet_source(processed_dir, f"responses_{inst.id}")
    where = _municipality_filter(municipalities)
    check_item_ranges(connection, source, inst, where=where)
    scores = "(" + scoring_query(source, inst, keep=("client_id", "municipality", "occasion"),
                                 where=where) + ")"
    query = reliable_change_query(scores, scale, sd=sd, reliability=reliability,
                                  higher_is_better=inst.scales[scale].higher_is_better,
                                  pre=pre, post=post)
    return fetch_frame(connection, query + "\nORDER BY client_id")


# ---------------------------------------------------------------------------------------------
# Evaluation figures (developmental evaluation: reach, retention, dose, fidelity)
# ---------------------------------------------------------------------------------------------

#: Fidelity defaults: intensive individual work = at least this many individual contacts ...
MIN_INDIVIDUAL_CONTACTS = 4
#: ... and at least this many individual contacts per month in service on average.
MIN_INDIVIDUAL_PER_MONTH = 1.0
#: Average month length in days (365.25 / 12), for "per month" rates.
DAYS_PER_MONTH = 30.4375


def _sources(processed_dir: str | Path, *tables: str) -> dict[str, str]:
    return {t: parquet_source(processed_dir, t) for t in tables}


def _export_date_sql(src: dict[str, str], export_date: Any) -> str:
    """The censoring date: given, or the latest date in clients, contacts and goals (as
    :func:`soskulib.process.client_episodes`)."""
    if export_date is not None:
        return f"TIMESTAMP {_literal(pd.Timestamp(export_date).strftime('%Y-%m-%d %H:%M:%S'))}"
    return (f"(SELECT greatest((SELECT max(start_date) FROM {src['clients']}), "
            f"(SELECT max(end_date) FROM {src['clients']}), "
            f"(SELECT max(date) FROM {src['contacts']}), "
            f"(SELECT max(set_date) FROM {src['goals']}), "
            f"(SELECT max(review_date) FROM {src['goals']})))")


def _episodes_sql(src: dict[str, str], export_date: Any) -> str:
    """Per client episode (row of ``clients``): dose and fidelity inputs.

    Episodes are numbered in the order :func:`soskulib.io.load_processed` returns them
    (municipality, client_id, start_date). A contact or goal belongs to the client's only
    episode in its municipality, or else to the episode whose start … end (or export date)
    contains its date, the earliest when episodes overlap: the rule of
    :func:`soskulib.process.client_episodes`.
    """
    return f"""
episodes AS (
  SELECT row_number() OVER (ORDER BY municipality, client_id, start_date) AS episode,
         client_id, municipality, start_date,
         coalesce(end_date, {_export_date_sql(src, export_date)}) AS stop_date,
         count(*) OVER (PARTITION BY client_id, municipality) AS n_episodes
  FROM {src['clients']}
),
contact_rows AS (
  SELECT e.episode, c.minutes, c.mode, c.content,
         row_number() OVER (PARTITION BY c.client_id, c.municipality, c.date, c.mode, c.content,
                            c.minutes ORDER BY e.episode) AS pick
  FROM {src['contacts']} AS c JOIN episodes AS e USING (client_id, municipality)
  WHERE e.n_episodes = 1 OR (c.date >= e.start_date AND c.date <= e.stop_date)
),
contact_counts AS (
  SELECT episode, count(*) AS contacts, sum(minutes) AS minutes,
         count(*) FILTER (WHERE mode = 'individual') AS individual,
         count(*) FILTER (WHERE mode = 'group') AS group_mode,
         count(*) FILTER (WHERE mode = 'outreach') AS outreach,
         bool_or(content = 'needs_assessment') AS needs_assessment,
         bool_or(mode = 'group' OR content = 'group_activity') AS group_activity
  FROM contact_rows WHERE pick = 1 GROUP BY episode
),
goal_rows AS (
  SELECT e.episode,
         row_number() OVER (PARTITION BY g.client_id, g.municipality, g.goal_no
                            ORDER BY e.episode) AS pick
  FROM {src['goals']} AS g JOIN episodes AS e USING (client_id, municipality)
  WHERE e.n_episodes = 1 OR (g.set_date >= e.start_date AND g.set_date <= e.stop_date)
),
goal_counts AS (SELECT episode, count(*) AS goals FROM goal_rows WHERE pick = 1 GROUP BY episode),
per_episode AS (
  SELECT e.episode, e.municipality,
         date_diff('day', e.start_date, e.stop_date) AS days,
         greatest(date_diff('day', e.start_date, e.stop_date), 1) / {_number(DAYS_PER_MONTH)}
             AS months,
         coalesce(c.contacts, 0) AS contacts, coalesce(c.minutes, 0) AS minutes,
         coalesce(c.individual, 0) AS individual, coalesce(c.group_mode, 0) AS group_mode,
         coalesce(c.outreach, 0) AS outreach,
         coalesce(c.needs_assessment, false) AS needs_assessment,
         coalesce(c.group_activity, false) AS group_activity,
         coalesce(g.goals, 0) AS goals
  FROM episodes AS e
  LEFT JOIN contact_counts AS c USING (episode)
  LEFT JOIN goal_counts AS g USING (episode)
)"""


def reach(processed_dir: str | Path, *, con: duckdb.DuckDBPyConnection | None = None,
          memory_limit: str | None = DEFAULT_MEMORY_LIMIT) -> pd.DataFrame:
    """Client episodes enrolled against the plan, per municipality.

    ``n_enrolled`` = rows of ``clients`` (episodes, as :func:`soskulib.process.reach`);
    ``share_of_plan = n_enrolled / planned_clients`` (``subprojects``); NaN for a municipality
    without a sub-project row. Counts are not suppressed here: pass the result through
    :func:`soskulib.disclosure.suppress_table` before publishing.

    Parameters
    ----------
    processed_dir : path
        Folder written by ``sosku prepare``.
    con : duckdb connection, optional
        Reuse a connection (its settings win); else one is opened by :func:`connect`.
    memory_limit : str or None
        DuckDB memory limit of the connection opened here (e.g. ``"1GB"``).

    Returns
    -------
    DataFrame
        ``municipality, n_enrolled, planned_clients, share_of_plan``, sorted by municipality.

    Examples
    --------
    >>> reach("data/processed")  # doctest: +SKIP
    """
    src = _sources(processed_dir, "clients", "subprojects")
    query = f"""
WITH enrolled AS (
  SELECT municipality, count(*) AS n_enrolled FROM {src['clients']} GROUP BY municipality
)
SELECT e.municipality, e.n_enrolled, CAST(s.planned_clients AS DOUBLE) AS planned_clients,
       e.n_enrolled / CAST(s.planned_clients AS DOUBLE) AS share_of_plan
FROM enrolled AS e LEFT JOIN {src['subprojects']} AS s USING (municipality)
ORDER BY e.municipality"""
    return fetch_frame(_connection(con, memory_limit=memory_limit), query)


def retention(processed_dir: str | Path, *, con: duckdb.DuckDBPyConnection | None = None,
              memory_limit: str | None = DEFAULT_MEMORY_LIMIT) -> pd.DataFrame:
    """Exits by reason per municipality, as shares of ended client episodes.

    An episode (row of ``clients``) has *ended* when ``end_date`` is set; shares are
    ``n_<reason> / ended`` for each end reason (schema.END_REASON), NaN when nothing ended.
    Confidence intervals are computed on this small result in pandas
    (:func:`soskulib.change.wilson_ci`), not in SQL.

    Parameters
    ----------
    processed_dir : path
        Folder written by ``sosku prepare``.
    con : duckdb connection, optional
        Reuse a connection (its settings win); else one is opened by :func:`connect`.
    memory_limit : str or None
        DuckDB memory limit of the connection opened here (e.g. ``"1GB"``).

    Returns
    -------
    DataFrame
        ``municipality, episodes, ended, n_completed, n_dropped_out, n_moved, n_other,
        share_completed, share_dropped_out, share_moved, share_other``.

    Examples
    --------
    >>> rates = retention("data/processed")  # doctest: +SKIP
    """
    from soskulib import schema

    src = _sources(processed_dir, "clients")
    reasons = list(schema.END_REASON_LABELS)
    counts = ", ".join(
        f"count(*) FILTER (WHERE end_date IS NOT NULL AND end_reason = {_literal(r)}) "
        f"AS {_quote('n_' + r)}" for r in reasons)
    shares = ", ".join(
        f"CASE WHEN ended > 0 THEN {_quote('n_' + r)} / ended::DOUBLE END AS {_quote('share_' + r)}"
        for r in reasons)
    query = f"""
WITH c AS (
  SELECT municipality, count(*) AS episodes, count(end_date) AS ended, {counts}
  FROM {src['clients']} GROUP BY municipality
)
SELECT *, {shares} FROM c ORDER BY municipality"""
    return fetch_frame(_connection(con, memory_limit=memory_limit), query)


def dose(processed_dir: str | Path, *, export_date: Any = None,
         con: duckdb.DuckDBPyConnection | None = None,
         memory_limit: str | None = DEFAULT_MEMORY_LIMIT,
         temp_directory: str | Path | None = None) -> pd.DataFrame:
    """Service dose per municipality, from per-episode figures.

    Per client episode (episodes without contacts count with zero; contacts assigned to
    episodes as in :func:`soskulib.process.client_episodes`): contacts, hours (minutes / 60),
    weeks in service (days from start to end, or to the export date while ongoing, / 7) and
    contacts per month (contacts / (max(days, 1) / 30.4375)). Per municipality: means and
    medians over episodes, and the shares of all contacts that were individual, group and
    outreach.

    Parameters
    ----------
    export_date : date-like, optional
        Censoring date of ongoing episodes; default the latest date in clients, contacts and
        goals.

    Parameters
    ----------
    processed_dir : path
        Folder written by ``sosku prepare``.
    export_date : date-like, optional
        Censoring date of ongoing episodes; default the latest date in clients, contacts and
        goals.
    con : duckdb connection, optional
        Reuse a connection (its settings win); else one is opened by :func:`connect`.
    memory_limit : str or None
        DuckDB memory limit of the connection opened here (e.g. ``"1GB"``).
    temp_directory : path, optional
        Where DuckDB spills when it needs more than ``memory_limit``.

    Returns
    -------
    DataFrame
        ``municipality, episodes, contacts, hours_mean, hours_median, contacts_mean,
        contacts_median, weeks_mean, weeks_median, contacts_per_month_mean, share_individual,
        share_group, share_outreach``.

    Examples
    --------
    >>> dose("data/processed", memory_limit="2GB", temp_directory="/scratch")  # doctest: +SKIP
    """
    src = _sources(processed_dir, "clients", "contacts", "goals")
    query = "WITH " + _episodes_sql(src, export_date).strip() + """
SELECT municipality, count(*) AS episodes, sum(contacts) AS contacts,
       avg(minutes / 60.0) AS hours_mean, median(minutes / 60.0) AS hours_median,
       avg(contacts::DOUBLE) AS contacts_mean, median(contacts::DOUBLE) AS contacts_median,
       avg(days / 7.0) AS weeks_mean, median(days / 7.0) AS weeks_median,
       avg(contacts / months) AS contacts_per_month_mean,
       sum(individual) / nullif(sum(contacts), 0)::DOUBLE AS share_individual,
       sum(group_mode) / nullif(sum(contacts), 0)::DOUBLE AS share_group,
       sum(outreach) / nullif(sum(contacts), 0)::DOUBLE AS share_outreach
FROM per_episode GROUP BY municipality ORDER BY municipality"""
    connection = _connection(con, memory_limit=memory_limit, temp_directory=temp_directory)
    return fetch_frame(connection, query)


def fidelity(processed_dir: str | Path, *, export_date: Any = None,
             min_individual: int = MIN_INDIVIDUAL_CONTACTS,
             min_individual_per_month: float = MIN_INDIVIDUAL_PER_MONTH,
             con: duckdb.DuckDBPyConnection | None = None,
             memory_limit: str | None = DEFAULT_MEMORY_LIMIT,
             temp_directory: str | Path | None = None) -> pd.DataFrame:
    """The four core elements of THL's model per client episode, summarised per municipality.

    Elements per episode (:class:`soskulib.process.FidelityRule` with its defaults):
    *needs assessment* (a contact with content ``needs_assessment``), *plan with goals* (at
    least one goal), *intensive individual work* (at least ``min_individual`` individual
    contacts and on average at least ``min_individual_per_month`` per month in service,
    months = max(days, 1) / 30.4375) and *group activity* (a group-mode contact or
    ``group_activity`` content). Per municipality: the share of episodes with each element,
    with all four, and the fidelity index = mean number of elements / 4.

    Parameters
    ----------
    processed_dir : path
        Folder written by ``sosku prepare``.
    export_date : date-like, optional
        Censoring date of ongoing episodes; default the latest date in clients, contacts and
        goals.
    min_individual : int
        Individual contacts needed for intensive individual work.
    min_individual_per_month : float
        Individual contacts per month in service needed for it.
    con : duckdb connection, optional
        Reuse a connection (its settings win); else one is opened by :func:`connect`.
    memory_limit : str or None
        DuckDB memory limit of the connection opened here (e.g. ``"1GB"``).
    temp_directory : path, optional
        Where DuckDB spills when it needs more than ``memory_limit``.

    Returns
    -------
    DataFrame
        ``municipality, episodes, share_needs_assessment, share_plan_with_goals,
        share_intensive_individual_work, share_group_activity, share_all_four,
        fidelity_index``.

    Examples
    --------
    >>> fidelity("data/processed")[["municipality", "fidelity_index"]]  # doctest: +SKIP
    """
    if int(min_individual) < 0 or not min_individual_per_month >= 0:
        raise ValueError("min_individual and min_individual_per_month must be non-negative")
    src = _sources(processed_dir, "clients", "contacts", "goals")
    intensive = (f"(individual >= {int(min_individual)} AND individual / months >= "
                 f"{_number(min_individual_per_month)})")
    query = "WITH " + _episodes_sql(src, export_date).strip() + f""",
elements AS (
  SELECT municipality, needs_assessment::INTEGER AS e1, (goals > 0)::INTEGER AS e2,
         {intensive}::INTEGER AS e3, group_activity::INTEGER AS e4
  FROM per_episode
)
SELECT municipality, count(*) AS episodes,
       avg(e1) AS share_needs_assessment, avg(e2) AS share_plan_with_goals,
       avg(e3) AS share_intensive_individual_work, avg(e4) AS share_group_activity,
       avg((e1 + e2 + e3 + e4 = 4)::INTEGER) AS share_all_four,
       avg(e1 + e2 + e3 + e4) / 4.0 AS fidelity_index
FROM elements GROUP BY municipality ORDER BY municipality"""
    connection = _connection(con, memory_limit=memory_limit, temp_directory=temp_directory)
    return fetch_frame(connection, query)


# ---------------------------------------------------------------------------------------------
# Results that stay out of memory
# ---------------------------------------------------------------------------------------------


def write_scores(
    processed_dir: str | Path,
    instrument: str | Instrument,
    out_dir: str | Path,
    *,
    keep: Sequence[str] = DEFAULT_KEEP,
    con: duckdb.DuckDBPyConnection | None = None,
    memory_limit: str | None = DEFAULT_MEMORY_LIMIT,
    temp_directory: str | Path | None = None,
) -> Path:
    """Score ``responses_<instrument>`` and write the scores as parquet partitioned by municipality.

    Same rules and columns as :func:`score`; the result never passes through pandas. Existing
    files in ``out_dir`` are replaced. Returns ``out_dir``.

    Parameters
    ----------
    processed_dir : path
        Folder written by ``sosku prepare``.
    instrument : str or Instrument
        An assessment instrument.
    out_dir : path
        Output folder (``<out_dir>/municipality=<code>/*.parquet``).
    keep : sequence of str
        Identifying columns written with the scores; must include ``municipality``.
    con : duckdb connection, optional
        Reuse a connection (its settings win); else one is opened by :func:`connect`.
    memory_limit : str or None
        DuckDB memory limit of the connection opened here (e.g. ``"1GB"``).
    temp_directory : path, optional
        Where DuckDB spills when it needs more than ``memory_limit``.

    Returns
    -------
    Path
        ``out_dir``.

    Examples
    --------
    >>> from soskulib import examples
    >>> root = examples.processed_folder({"responses_esis": examples.esis_pairs()})
    >>> out = write_scores(root, "esis", root / "scores_esis", keep=["client_id", "municipality"])
    >>> sorted(p.name for p in out.iterdir())
    ['municipality=092']
    """
    inst = _instruments.get(instrument)
    if "municipality" not in keep:
        raise ValueError("keep must include 'municipality' (the partition column)")
    connection = _connection(con, memory_limit=memory_limit, temp_directory=temp_directory)
    source = parquet_source(processed_dir, f"responses_{inst.id}")
    check_item_ranges(connection, source, inst)
    out = Path(out_dir)
    out.mkdir(parents=True, exist_ok=True)
    connection.execute(
        f"COPY ({scoring_query(source, inst, keep=keep)}) TO {_literal(str(out))} "
        "(FORMAT parquet, PARTITION_BY (municipality), OVERWRITE_OR_IGNORE true, "
        "COMPRESSION zstd)")
    return out


def reliable_change_summary(
    processed_dir: str | Path,
    instrument: str | Instrument,
    scale: str | None = None,
    *,
    reliability: float,
    sd: float | None = None,
    pre: str = "baseline",
    post: str = "end",
    con: duckdb.DuckDBPyConnection | None = None,
    memory_limit: str | None = DEFAULT_MEMORY_LIMIT,
    temp_directory: str | Path | None = None,
) -> pd.DataFrame:
    """Counts of reliable-change categories per municipality, computed without loading rows.

    As :func:`reliable_change` aggregated by the ``pre`` row's municipality. With ``sd=None``
    the sample SD (n − 1) of every scored ``pre`` occasion score is used and returned in the
    ``sd`` column.

    Parameters
    ----------
    processed_dir : path
        Folder written by ``sosku prepare``.
    instrument : str or Instrument
        An assessment instrument.
    scale : str, optional
        Default: the instrument's headline scale.
    reliability : float
        Reliability of the scale, in (0, 1).
    sd : float, optional
        Reference SD; default the SD of all scored ``pre`` scores.
    pre, post : str
        Occasions to pair.
    con : duckdb connection, optional
        Reuse a connection (its settings win); else one is opened by :func:`connect`.
    memory_limit : str or None
        DuckDB memory limit of the connection opened here (e.g. ``"1GB"``).
    temp_directory : path, optional
        Where DuckDB spills when it needs more than ``memory_limit``.

    Returns
    -------
    DataFrame
        ``municipality, pairs, improved, unchanged, deteriorated, not_scored, sd``.

    Examples
    --------
    >>> from soskulib import examples
    >>> root = examples.processed_folder({"responses_esis": examples.esis_pairs()})
    >>> reliable_change_summary(root, "esis", reliability=0.89, sd=15.0)
      municipality  pairs  improved  unchanged  deteriorated  not_scored    sd
    0          092      2         1          0             1           0  15.0
    """
    inst = _instruments.get(instrument)
    scale = inst.check_scale(scale or None)
    connection = _connection(con, memory_limit=memory_limit, temp_directory=temp_directory)
    source = parquet_source(processed_dir, f"responses_{inst.id}")
    check_item_ranges(connection, source, inst)
    scores = "(" + scoring_query(source, inst, keep=("client_id", "municipality", "occasion")) + ")"
    if sd is None:
        sd = connection.execute(
            f"SELECT stddev_samp({_quote(scale)}) FROM {scores} "
            f"WHERE occasion = {_literal(pre)}").fetchone()[0]
        if sd is None:
            raise ValueError(f"fewer than two scored {pre!r} {scale!r} scores: give sd")
    query = reliable_change_query(scores, scale, sd=float(sd), reliability=reliability,
                                  higher_is_better=inst.scales[scale].higher_is_better,
                                  pre=pre, post=post)
    summary = f"""
SELECT municipality, count(*) AS pairs,
       count(*) FILTER (WHERE category = 'improved') AS improved,
       count(*) FILTER (WHERE category = 'unchanged') AS unchanged,
       count(*) FILTER (WHERE category = 'deteriorated') AS deteriorated,
       count(*) FILTER (WHERE category IS NULL) AS not_scored,
       {_number(float(sd))} AS sd
FROM ({query}) GROUP BY municipality ORDER BY municipality"""
    return fetch_frame(connection, summary)
