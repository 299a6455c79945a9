"""Raw export -> processed tables: validate, pseudonymise, write parquet, rejects, manifest.

Output layout (``out_dir``, default ``data/processed/``)::

    <table>/municipality=<code>/part-0.parquet   accepted rows, sorted by the table key
    rejects/<table>.csv                          rejected rows: source_file, source_row,
                                                 reason (rule ids joined by ';') + raw cells
    problems.csv                                 file,row,column,rule,message,level
    manifest.json                                row balance per table, input checksums,
                                                 fingerprint (:func:`fingerprint`)
    codebook.md                                  soskulib.codebook
    truth.json                                   copied from the raw export (demo only)

Row balance: for every table ``rows_in == rows_out + rows_rejected``. ``rows_in`` counts the
data rows of every file of the table, including files whose header is wrong (all their rows
are rejected with ``wrong_header``) and truncated files. A file with no countable rows (binary
garbage, an unreadable workbook, a symbolic link) contributes 0 rows: it is listed in
``inputs`` with ``"rows": null`` and in ``unread_files``, and its problem is in
``problems.csv``. A bug met in a file is listed under ``internal_errors`` (exit code 3). A file whose name is not a table name
belongs to no table; it is listed in ``inputs`` with ``"tables": []``.

Privacy: the identity code is replaced by ``client_id`` (:mod:`soskulib.pseudonym`) before
anything is written; rejects carry the pseudonym of whatever string was in the identity-code
column, and every other written cell, column name, file name and message has
identity-code-like strings masked (:mod:`soskulib.sanitize`; free text is masked on the way
in). ``rejects/*.csv`` and ``problems.csv`` are opened by people in spreadsheets, so their
formulas are neutralised (:func:`soskulib.sanitize.csv_safe`, OWASP CSV injection).

Determinism: rows are sorted by municipality and key, parquet files carry an explicit schema
and no pandas or time metadata, so the same raw bytes give the same output bytes.

Memory and time: one table's files are read and validated at a time (the clients table first,
then the others two at a time in threads), so the peak is about the largest table, not the
whole export. ``benchmarks/RESULTS.md`` has the measured seconds and peak memory.
"""

from __future__ import annotations

import hashlib
import hmac
import json
import shutil
import sys
from collections import Counter
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import numpy as np
import pandas as pd
import pyarrow as pa
import pyarrow.compute as pc

import soskulib
from soskulib import codebook, provenance, pseudonym, sanitize, schema, validation
from soskulib import io as sio
from soskulib.errors import ConfigurationError, InternalError, describe

OUTPUT_FILES = ("manifest.json", "problems.csv", "codebook.md", "truth.json")
PROBLEM_COLUMNS = ["file", "row", "column", "rule", "message", "level"]
_HETU_RAW = next(c.raw for c in schema.CLIENTS.columns if c.kind == "hetu")
#: Raw files whose stem names their table (read lazily, table by table).
_DEFERRED_SUFFIXES = tuple(s for s in sio.RAW_SUFFIXES if s != ".xlsx")
#: Tables prepared at the same time (after the clients table).
_PREPARE_THREADS = 2
#: Package files that shape the processed data (code, instrument specs, code lists).
_CODE_SUFFIXES = (".py", ".toml", ".csv", ".json")


def _stderr(message: str) -> None:
    print(message, file=sys.stderr)


def _clear(out_dir: Path) -> None:
    """Remove what an earlier run wrote (and nothing else)."""
    for table in schema.tables():
        shutil.rmtree(out_dir / table.name, ignore_errors=True)
    shutil.rmtree(out_dir / "rejects", ignore_errors=True)
    for name in OUTPUT_FILES:
        (out_dir / name).unlink(missing_ok=True)


def _for_people(frame: pd.DataFrame) -> pd.DataFrame:
    """A frame as written to a CSV that people open: identity codes masked, formulas
    neutralised (:func:`soskulib.sanitize.scrub_frame`, :func:`soskulib.sanitize.csv_safe`)."""
    return sanitize.csv_safe(sanitize.scrub_frame(frame))


def processed_table(result: validation.TableResult, key: bytes | None,
                    cache: dict[str, str] | None = None) -> pa.Table:
    """Accepted rows of a table with processed columns and types, in a stable order.

    The key columns are sorted first (:func:`_sort_order`); every column then goes to Arrow
    once, gathered in that order, which is what :func:`soskulib.io.write_processed` writes
    without a further conversion.

    ``cache`` is passed to :func:`soskulib.pseudonym.pseudonym_codes` (one per key and run).

    Parameters
    ----------
    result : validation.TableResult
        Validated table.
    key : bytes or None
        Pseudonymisation key (:func:`soskulib.pseudonym.resolve_key`); None for tables without
        an identity code.
    cache : dict, optional
        Pseudonyms already computed with this key.

    Returns
    -------
    pyarrow.Table
        Processed columns with the schema of :func:`soskulib.io.arrow_schema` (personal
        tables: ``client_id`` instead of the identity code; ``clients`` also ``age`` and
        ``age_group``), sorted by municipality and the table key.

    Examples
    --------
    >>> result = validation.validate(validation.read_paths([raw_dir])[0])  # doctest: +SKIP
    >>> key, _ = pseudonym.resolve_key(raw_dir)                           # doctest: +SKIP
    >>> clients = processed_table(result.tables["clients"], key)          # doctest: +SKIP
    """
    table = result.table
    target = sio.arrow_schema(table)
    accepted = np.flatnonzero(result.accepted)
    client_id = None
    if "client_id" in target.names:  # per person: sorted, spelled out row by row at the end
        client_id = pseudonym.pseudonym_codes(result.frame["_hetu"].take(accepted), key, cache)

    def column(name: str, rows: np.ndarray) -> pa.Array:
        values = pa.array(result.frame[name], from_pandas=True)
        if isinstance(values, pa.ChunkedArray):  # one chunk per file: gather from one buffer
            values = values.combine_chunks()
        values = values.take(pa.array(rows))
        # Whole-number columns are parsed as float until their rows are accepted.
        return values.cast(target.field(name).type)

    order_by = ["municipality", *[k for k in table.key if k != "municipality"]]
    keys = {k: column(k, accepted) for k in order_by if k != "client_id"}
    order = _sort_order([client_id if k == "client_id" else keys[k] for k in order_by])
    rows, positions = accepted[order], pa.array(order)
    columns = {}
    for field in target:
        if field.name == "client_id":
            columns["client_id"] = client_id.dictionary.take(
                client_id.indices.take(positions)).cast(field.type)
        elif field.name in keys:  # already gathered for the sort: reorder, not convert again
            columns[field.name] = keys[field.name].take(positions)
        else:
            columns[field.name] = column(field.name, rows)
    return pa.table(columns, schema=target)


def _sort_order(keys: list[pa.Array]) -> np.ndarray:
    """Positions that sort the rows by ``keys`` (ascending, missing last, ties kept in order).

    Each key becomes dense integer ranks (a dictionary-encoded key is ranked on its few
    distinct values), the ranks are combined into one mixed-radix integer, and that is sorted
    once with a stable sort: several times faster than a multi-column sort on strings, with
    the same order (strings compare by code point, as UTF-8 bytes do).
    """
    ranked = []
    for values in keys:
        if pa.types.is_dictionary(values.type):
            ranks = pc.rank(values.dictionary, sort_keys="ascending",
                            tiebreaker="dense").to_numpy().astype(np.int64) - 1
            size = int(ranks.max()) + 2 if len(ranks) else 1
            indices = pc.fill_null(values.indices, len(ranks)).to_numpy(zero_copy_only=False)
            ranked.append((np.append(ranks, size - 1)[indices], size))
        else:
            codes, uniques = pd.factorize(values.to_pandas(), sort=True)
            ranked.append((np.where(codes < 0, len(uniques), codes).astype(np.int64),
                           len(uniques) + 1))
    combined = validation.combine_codes(ranked, len(keys[0]) if keys else 0)
    return np.argsort(combined, kind="stable")


def rejects_frame(result: validation.TableResult, key: bytes | None,
                  cache: dict[str, str] | None = None) -> pd.DataFrame:
    """Rejected rows: source file and row, reason, raw cells (identity code pseudonymised).

    Parameters
    ----------
    result : validation.TableResult
        Validated table.
    key : bytes or None
        Pseudonymisation key for the identity-code column.
    cache : dict, optional
        Pseudonyms already computed with this key.

    Returns
    -------
    DataFrame
        ``source_file, source_row, reason`` (rule ids joined by ``;``) and the raw cells, the
        identity code replaced by its pseudonym and identity-code-like text masked elsewhere.

    Examples
    --------
    >>> rejects = rejects_frame(result.tables["clients"], key)  # doctest: +SKIP
    >>> rejects["reason"].value_counts()                        # doctest: +SKIP
    """
    rejected = ~result.accepted
    raw = result.raw  # the raw cells of the rejected rows only
    raw = raw.loc[:, raw.notna().any() | raw.columns.isin(result.table.raw_columns)]
    declared = [c for c in result.table.raw_columns if c in raw.columns]
    extra = sorted(c for c in raw.columns if c not in declared)
    cells = raw[declared + extra].copy()
    if _HETU_RAW in cells.columns:
        cells[_HETU_RAW] = pseudonym.pseudonymise(cells[_HETU_RAW], key, cache)
        cells = cells.rename(columns={_HETU_RAW: "client_id"})
    head = pd.DataFrame({
        "source_file": result.frame.loc[rejected, "_source"].to_numpy(),
        "source_row": result.frame.loc[rejected, "_row"].to_numpy(dtype=np.int64),
        "reason": result.reason[rejected].to_numpy(),
    }, index=cells.index)
    return _for_people(pd.concat([head, cells], axis=1).reset_index(drop=True))


def _sha256(path: Path) -> str | None:
    """SHA-256 of a file's bytes; ``None`` for a symbolic link (never followed)."""
    if path.is_symlink():
        return None
    digest = hashlib.sha256()
    with path.open("rb") as fh:
        for block in iter(lambda: fh.read(1 << 20), b""):
            digest.update(block)
    return digest.hexdigest()


def _provenance() -> dict:
    """The code and environment that prepared the data (:mod:`soskulib.provenance`)."""
    commit, modified = provenance.code_state()
    return {"code": {"commit": commit, "tree_modified": modified,
                     "soskulib": soskulib.__version__},
            "environment": provenance.environment()}


def fingerprint(raw_dir: Path | str, checksums: dict[str, str] | None = None) -> str:
    """What the processed data of ``raw_dir`` depend on, as one SHA-256 hex digest.

    It covers the raw files (names and contents, ``truth.json`` included), the soskulib code
    and data files that turn them into processed tables, and the pseudonymisation key (through
    a keyed hash, so the fingerprint reveals nothing about the key). :func:`prepare` writes it
    to the manifest; :func:`is_current` compares it to decide whether a build may reuse them.

    Parameters
    ----------
    raw_dir : path
        Raw export folder.
    checksums : dict, optional
        SHA-256 of input files already computed (display name -> hex digest), so that
        :func:`prepare` reads each file once for its manifest and this fingerprint.

    Returns
    -------
    str
        A SHA-256 hex digest; the same inputs, code and key give the same digest.

    Examples
    --------
    >>> from soskulib.examples import demo_export
    >>> raw = demo_export()
    >>> fingerprint(raw) == fingerprint(raw)
    True
    """
    raw_dir = Path(raw_dir)
    digest = hashlib.sha256()
    inputs = validation.find_files([raw_dir])
    truth = raw_dir / "truth.json"
    if truth.is_file():
        inputs.append((truth, "truth.json"))
    for path, name in inputs:
        known = (checksums or {}).get(name)
        digest.update(f"input {name} {known or _sha256(path)}\n".encode())
    package = Path(soskulib.__file__).parent
    for path in sorted(p for p in package.rglob("*") if p.is_file() and p.suffix in _CODE_SUFFIXES):
        digest.update(f"code {path.relative_to(package).as_posix()} {_sha256(path)}\n".encode())
    try:
        key, _ = pseudonym.resolve_key(raw_dir)
    except ConfigurationError:
        key = None
    mark = hmac.new(key, b"soskulib processed-data fingerprint", "sha256").hexdigest() if key else "-"
    digest.update(f"key {mark}\n".encode())
    return digest.hexdigest()


def is_current(raw_dir: Path | str, out_dir: Path | str) -> bool:
    """Whether ``out_dir`` holds what :func:`prepare` would write for ``raw_dir`` now.

    True when the manifest's fingerprint (:func:`fingerprint`) matches and every table folder
    is there; a build then skips preparing again.

    Parameters
    ----------
    raw_dir : path
        Raw export folder.
    out_dir : path
        Processed folder.

    Returns
    -------
    bool
        ``True`` when the processed folder may be reused as it is.

    Examples
    --------
    >>> from soskulib.examples import demo_export
    >>> raw = demo_export()
    >>> out = raw.parent / "processed"
    >>> is_current(raw, out)
    False
    >>> _ = prepare(raw, out, log=lambda msg: None)
    >>> is_current(raw, out)
    True
    """
    out_dir = Path(out_dir)
    try:
        manifest = json.loads((out_dir / "manifest.json").read_text(encoding="utf-8"))
    except (OSError, ValueError):
        return False
    if not all((out_dir / t.name).is_dir() for t in schema.tables()):
        return False
    return isinstance(manifest, dict) and manifest.get("fingerprint") == fingerprint(raw_dir)


def prepare(raw_dir: Path | str, out_dir: Path | str,
            log: Callable[[str], None] = _stderr) -> dict:
    """Turn a raw export into processed tables; return the manifest.

    Parameters
    ----------
    raw_dir : path
        Raw export folder (``data/raw/demo`` or a real export).
    out_dir : path
        Output folder; earlier outputs of ``prepare`` in it are replaced, other files kept.
    log : callable
        Receives notes for the user (default: print to stderr).

    Returns
    -------
    dict
        The manifest, also written to ``out_dir/manifest.json``.

    Raises
    ------
    ConfigurationError
        ``raw_dir`` is missing or holds no raw files, or no pseudonymisation key is configured
        for a real export (see :func:`soskulib.pseudonym.resolve_key`).
    InternalError
        A bug was met in a file (named, with the others' findings); everything else was
        written, and ``manifest.json`` lists it under ``internal_errors``.

    Examples
    --------
    >>> from soskulib.examples import demo_export
    >>> raw = demo_export(n_clients=200)
    >>> manifest = prepare(raw, raw.parent / "processed", log=lambda msg: None)
    >>> all(t["rows_in"] == t["rows_out"] + t["rows_rejected"]
    ...     for t in manifest["tables"].values())
    True
    """
    raw_dir, out_dir = Path(raw_dir), Path(out_dir)
    if not raw_dir.is_dir():
        raise ConfigurationError(f"raw export folder {raw_dir} does not exist "
                                 "(run `sosku demo` for the synthetic one)")
    files = validation.find_files([raw_dir])
    # Text and SPSS files name their table by their stem and are read only when their table
    # is processed, so one table's files are in memory at a time. Workbooks (one sheet per
    # table), unknown names and formats are read now.
    deferred: dict[str, list[tuple[int, Path, str]]] = {}
    read_now: dict[str | None, list[tuple[int, sio.RawTable]]] = {}
    internal: list[tuple[str, str]] = []  # (file, description) of bugs met; exit code 3

    def read_logged(path: Path, name: str) -> list[sio.RawTable]:
        tables, errors = validation.read_files([(path, name)])
        internal.extend(errors)
        return tables

    for number, (path, name) in enumerate(files):
        stem_table = schema.table_by_raw_name(path.stem)
        if path.suffix.lower() in _DEFERRED_SUFFIXES and stem_table is not None:
            deferred.setdefault(stem_table.name, []).append((number, path, name))
            continue
        for raw in read_logged(path, name):
            read_now.setdefault(raw.table.name if raw.table else None, []).append((number, raw))
    planned = set(deferred) | {t for t in read_now if t is not None}
    names = dict(files)
    present = [(path, name, table) for table, entries in deferred.items()
               for _, path, name in entries]
    present += [(raw.path, names.get(raw.path, raw.source), table)
                for table, entries in read_now.items() for _, raw in entries]

    synthetic = pseudonym.is_synthetic_export(raw_dir)
    key, key_source = None, None
    if any(t.personal for t in schema.tables() if t.name in planned):
        key, key_source = pseudonym.resolve_key(raw_dir)
        if key_source == "DEMO_KEY":
            log("sosku prepare: synthetic demo export, pseudonyms use the public DEMO_KEY "
                "(set SOSKU_PSEUDO_KEY for real data)")

    out_dir.mkdir(parents=True, exist_ok=True)
    _clear(out_dir)
    display = dict(files)
    rows_by_file: dict[str, int | None] = {}
    tables_by_file: dict[str, list[str]] = {}

    def count_rows(name: str, count: int | None, table_name: str | None) -> None:
        prev = rows_by_file.get(name, 0)
        rows_by_file[name] = None if count is None and not prev else (prev or 0) + (count or 0)
        if table_name is not None:
            tables_by_file.setdefault(name, []).append(table_name)

    def counted(raw: sio.RawTable) -> tuple[str, int | None, str | None]:
        return (display.get(raw.path, raw.source), raw.n_rows if raw.countable else None,
                raw.table.name if raw.table is not None else None)

    failures = []
    for _, raw in read_now.pop(None, []):
        count_rows(*counted(raw))
        failures.append(raw.failures.assign(source=raw.source))

    pseudonyms: dict[str, str] = {}  # every person is hashed once, whatever tables they are in
    validator = validation.TableValidator(check_references=schema.CLIENTS.name in planned)

    def process(table: schema.Table) -> tuple[dict, list, pd.DataFrame | None]:
        """:func:`process_table`; a bug is recorded (exit code 3) and the others go on."""
        try:
            return process_table(table)
        except Exception as exc:  # noqa: BLE001 - a bug: recorded, the other tables go on
            internal.append((table.raw, describe(exc)))
            sio.write_processed(sio.empty_processed(table), out_dir, table)
            return {"rows_in": 0, "rows_out": 0, "rows_rejected": 0}, [], None

    def process_table(table: schema.Table) -> tuple[dict, list, pd.DataFrame | None]:
        """Read, validate and write one table; return its manifest entry, counts, failures."""
        numbered = read_now.pop(table.name, []) + [
            (number, raw) for number, path, name in deferred.pop(table.name, [])
            for raw in read_logged(path, name)]
        raws = [raw for _, raw in sorted(numbered, key=lambda item: item[0])]  # file order
        del numbered
        counts = [counted(raw) for raw in raws]
        res = validator.validate_or_record(table, raws) if raws else None
        del raws  # the validation result holds what is still needed
        if res is None:
            sio.write_processed(sio.empty_processed(table), out_dir, table)
            return {"rows_in": 0, "rows_out": 0, "rows_rejected": 0}, counts, None
        accepted = processed_table(res, key, pseudonyms)
        sio.write_processed(accepted, out_dir, table)
        n_rejected = int((~res.accepted).sum())
        if n_rejected:
            target = out_dir / "rejects" / f"{table.name}.csv"
            target.parent.mkdir(parents=True, exist_ok=True)
            rejects_frame(res, key, pseudonyms).to_csv(target, index=False, encoding="utf-8",
                                                       lineterminator="\n")
        entry = {"rows_in": len(res.frame), "rows_out": accepted.num_rows,
                 "rows_rejected": n_rejected}
        return entry, counts, res.failures

    # Clients first (the other tables refer to them); the others are independent of each
    # other and go two at a time: Arrow, NumPy and most pandas kernels release the GIL.
    others = [t for t in schema.tables() if t.name != schema.CLIENTS.name]
    outcomes = {schema.CLIENTS.name: process(schema.CLIENTS)}
    with ThreadPoolExecutor(max_workers=_PREPARE_THREADS) as pool:
        outcomes.update(zip([t.name for t in others], pool.map(process, others), strict=True))
    tables_manifest = {}
    for table in schema.tables():  # schema order, whichever table finished first
        entry, counts, table_failures = outcomes[table.name]
        tables_manifest[table.name] = entry
        for count in counts:
            count_rows(*count)
        if table_failures is not None:
            failures.append(table_failures)
    failures.append(validation.missing_tables(present))
    findings = validation.collect_findings(failures)
    errors = [f for f in findings if f.level == "error"]

    problems = pd.DataFrame(
        [(f.file, f.row, f.column, f.rule, f.message, f.level) for f in findings],
        columns=PROBLEM_COLUMNS)
    _for_people(problems).to_csv(out_dir / "problems.csv", index=False, encoding="utf-8",
                            lineterminator="\n")

    internal.extend(validator.internal_errors)
    checksums = {name: _sha256(path) for path, name in files}
    # File and folder names are data too: an identity code in a name is masked here.
    inputs = [{"file": sanitize.one_line(name), "sha256": checksums[name],
               "rows": rows_by_file.get(name), "tables": tables_by_file.get(name, [])}
              for path, name in files]
    truth = raw_dir / "truth.json"
    if truth.is_file():
        shutil.copyfile(truth, out_dir / "truth.json")
    codebook.write(out_dir / "codebook.md")
    rules = Counter(f.rule for f in findings)
    manifest = {
        "created_by": f"soskulib {soskulib.__version__}",
        "synthetic": synthetic,
        "pseudonym_key": key_source,
        "pseudonym_key_fingerprint": pseudonym.key_fingerprint(key) if key else None,
        "tables": tables_manifest,
        "inputs": inputs,
        "problems": {"errors": len(errors), "warnings": len(findings) - len(errors),
                     "by_rule": dict(sorted(rules.items()))},
        "layout": "<table>/municipality=<code>/part-0.parquet; rejects/<table>.csv",
        "fingerprint": fingerprint(raw_dir, checksums),
        "provenance": _provenance(),
        # Files whose rows could not be counted (binary, unreadable workbook, symbolic link):
        # their rows are in no table's balance; each has its finding in problems.csv.
        "unread_files": [i["file"] for i in inputs if i["rows"] is None],
        "internal_errors": [{"file": sanitize.one_line(f), "error": d} for f, d in internal],
    }
    (out_dir / "manifest.json").write_text(json.dumps(manifest, indent=2, ensure_ascii=False)
                                           + "\n", encoding="utf-8")
    if internal:  # everything else is written; the CLI prints the findings and exits 3
        raise InternalError(*internal[0], findings=errors)
    return manifest
