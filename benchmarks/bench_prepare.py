"""Prepare: raw demo export → partitioned parquet (``sosku prepare``).

Timed: :func:`soskulib.prepare.prepare` on the export of ``sosku demo --clients N`` (reading,
validation, pseudonymisation, code mapping, rejects, manifest, parquet). The floor reads the
same files with the fastest bare readers and writes each as one zstd parquet file: pyarrow's
multithreaded CSV reader (encoding and delimiter as the file has them) and, for the one
organisation that delivers a workbook, python-calamine's sheet reader into an Arrow table.
The issue's target: prepare limited by parquet write speed, not Python loops. The floor's
read and write seconds are reported separately (``read_s``/``write_s``) so the ratio can be
read against the write share.
"""

from __future__ import annotations

import shutil
import time
from pathlib import Path

from benchmarks import _data

TITLE = "Prepare: raw demo export → partitioned parquet"
SIZE_UNIT = "clients (sosku demo --clients N)"
TARGET = None
AUTORANGE = False
FLOOR = ("pyarrow CSV read (+ python-calamine for the .xlsx workbook) and a zstd parquet "
         "write of the same files")


def sizes(options: dict) -> list[int]:
    return list(options["sizes"])


def make_data(size: int, options: dict) -> None:
    _data.demo_raw(size, options)


def setup(size: int, options: dict) -> dict:
    raw = _data.demo_raw(size, options)
    out = Path(options["workdir"]) / f"prepare-out-{size}"
    if out.exists():
        shutil.rmtree(out)
    files = _data.raw_tables(raw)
    return {"raw": raw, "out": out, "files": files,
            "raw_mib": sum(f.stat().st_size for f in files) / 2**20}


def run(context: dict) -> dict:
    from soskulib import prepare

    manifest = prepare.prepare(context["raw"], context["out"])
    rows = sum(t["rows_out"] for t in manifest["tables"].values())
    return {"rows_out": rows, "raw_mib": context["raw_mib"]}


def _encoding(path: Path) -> str:
    """utf-8 unless the bytes do not decode (one demo organisation writes cp1252)."""
    data = path.read_bytes()
    try:
        data.decode("utf-8")
    except UnicodeDecodeError:
        return "cp1252"
    return "utf-8"


def _read_csv(path: Path):
    import pyarrow.csv as pacsv

    with path.open("rb") as fh:
        header = fh.readline().decode("latin-1")
    delimiter = max((";", ",", "\t"), key=header.count)
    return pacsv.read_csv(path, read_options=pacsv.ReadOptions(encoding=_encoding(path)),
                          parse_options=pacsv.ParseOptions(delimiter=delimiter))


def _read_xlsx(path: Path) -> list:
    import pyarrow as pa
    from python_calamine import CalamineWorkbook

    book = CalamineWorkbook.from_path(str(path))
    tables = []
    for name in book.sheet_names:
        rows = book.get_sheet_by_name(name).to_python(skip_empty_area=False)
        header = [str(h) for h in rows[0]] if rows else []
        columns = list(zip(*rows[1:], strict=False)) or [()] * len(header)
        tables.append(pa.table({h: pa.array([None if v == "" else str(v) for v in col])
                                for h, col in zip(header, columns, strict=False)}))
    return tables


def floor(context: dict) -> dict:
    import pyarrow.parquet as pq

    out: Path = context["out"]
    read_s = write_s = 0.0
    rows = 0
    for n, path in enumerate(context["files"]):
        start = time.perf_counter()
        tables = _read_xlsx(path) if path.suffix.lower() == ".xlsx" else [_read_csv(path)]
        read_s += time.perf_counter() - start
        start = time.perf_counter()
        for m, table in enumerate(tables):
            target = out / f"{path.stem}-{n}-{m}.parquet"
            target.parent.mkdir(parents=True, exist_ok=True)
            pq.write_table(table, target, compression="zstd")
            rows += table.num_rows
        write_s += time.perf_counter() - start
    return {"rows": rows, "read_s": read_s, "write_s": write_s, "raw_mib": context["raw_mib"]}
