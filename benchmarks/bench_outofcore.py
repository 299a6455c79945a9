"""Out-of-core path: DuckDB over partitioned parquet under a fixed memory limit.

Input: ``responses_esis`` with N response rows (N/2 clients × baseline and end, 20
municipalities, 3 % missing items), written directly as partitioned parquet in the processed
layout (chunk by chunk, so generating it needs little memory). Timed, through
:mod:`soskulib.outofcore` with ``SET memory_limit`` (``--memory-limit``, default 1GB) and a
spill directory: the range check, every score written back as partitioned parquet
(:func:`~soskulib.outofcore.write_scores`) and the reliable-change categories per
municipality (:func:`~soskulib.outofcore.reliable_change_summary`, a self-join of all baseline
and end scores). The floor is one DuckDB aggregate scan over the same files (sum of every item
per municipality and occasion): reading the data once.
"""

from __future__ import annotations

import shutil
from pathlib import Path

import numpy as np

TITLE = "Out-of-core: DuckDB scoring + reliable change over partitioned parquet"
SIZE_UNIT = "response rows"
TARGET = None
AUTORANGE = False
FLOOR = "DuckDB: one aggregate scan (sum of every item by municipality × occasion) of the files"
MUNICIPALITIES = 20
CHUNK_CLIENTS = 250_000


def sizes(options: dict) -> list[int]:
    return list(options["outofcore_rows"])


def _root(size: int, options: dict) -> Path:
    return Path(options["workdir"]) / f"outofcore-{size}-seed{options['seed']}"


def make_data(size: int, options: dict) -> None:
    import pyarrow as pa
    import pyarrow.parquet as pq

    from soskulib import instruments, io, schema

    root = _root(size, options)
    if (root / ".complete").exists():
        return
    if root.exists():
        shutil.rmtree(root)
    inst = instruments.get("esis")
    table = schema.assessment_table("esis")
    arrow = io.arrow_schema(table, partition=True)
    rng = np.random.default_rng(int(options["seed"]))
    n_clients = max(1, size // 2)
    codes = [f"{100 + 7 * m:03d}" for m in range(MUNICIPALITIES)]
    # Each chunk goes to one municipality's folder as its own file (part-<chunk>.parquet).
    for chunk, first in enumerate(range(0, n_clients, CHUNK_CLIENTS)):
        n = min(CHUNK_CLIENTS, n_clients - first)
        code = codes[chunk % MUNICIPALITIES]
        ids = np.char.mod("%016x", np.arange(first, first + n, dtype=np.int64))
        latent = rng.standard_normal(n)
        columns = {"client_id": np.concatenate([ids, ids]),
                   "date": np.concatenate([np.full(n, np.datetime64("2017-01-01", "ns")),
                                           np.full(n, np.datetime64("2018-01-01", "ns"))]),
                   "occasion": np.repeat(np.array(["baseline", "end"]), n)}
        for item in inst.items:
            both = np.concatenate([latent, latent + 0.35]) + 0.8 * rng.standard_normal(2 * n)
            values = np.clip(np.rint(3 + both), 1, 5)
            values[rng.random(2 * n) < 0.03] = np.nan
            columns[item] = values
        data = pa.table({name: columns[name] for name in arrow.names}, schema=arrow)
        target = root / "processed" / table.name / f"municipality={code}" / f"part-{chunk}.parquet"
        target.parent.mkdir(parents=True, exist_ok=True)
        pq.write_table(data, target, compression="zstd")
    (root / ".complete").touch()


def setup(size: int, options: dict) -> dict:
    root = _root(size, options)
    for folder in ("scores", "duckdb-tmp"):
        shutil.rmtree(root / folder, ignore_errors=True)
    return {"processed": root / "processed", "scores": root / "scores",
            "tmp": root / "duckdb-tmp", "memory_limit": options["memory_limit"]}


def run(context: dict) -> dict:
    from soskulib import outofcore

    con = outofcore.connect(memory_limit=context["memory_limit"], temp_directory=context["tmp"])
    outofcore.write_scores(context["processed"], "esis", context["scores"], con=con)
    summary = outofcore.reliable_change_summary(context["processed"], "esis", reliability=0.89,
                                                con=con)
    return {"pairs": int(summary["pairs"].sum()), "improved": int(summary["improved"].sum()),
            "memory_limit": context["memory_limit"]}


def floor(context: dict) -> dict:
    from soskulib import instruments, outofcore

    con = outofcore.connect(memory_limit=context["memory_limit"], temp_directory=context["tmp"])
    items = instruments.get("esis").items
    source = outofcore.parquet_source(context["processed"], "responses_esis")
    sums = ", ".join(f'sum("{i}")' for i in items)
    rows = con.execute(f"SELECT municipality, occasion, count(*), {sums} FROM {source} "
                       "GROUP BY ALL").fetchall()
    return {"groups": len(rows), "memory_limit": context["memory_limit"]}
