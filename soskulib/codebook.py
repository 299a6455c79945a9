"""Codebook of the processed tables, generated from :mod:`soskulib.schema` and the instruments.

``sosku prepare`` writes it next to the data (``codebook.md``); the copy committed as
``docs/codebook.md`` is checked by the tests, so it cannot drift from the schema. Regenerate::

    python -m soskulib.codebook docs/codebook.md
"""

from __future__ import annotations

import sys
from pathlib import Path

from soskulib import instruments, schema
from soskulib import io as sio

_KIND_NOTE = {
    "hetu": "keyed pseudonym: 16 hex chars of HMAC-SHA256 of the identity code",
    "municipality": "3-digit organisation code (see the municipality list below)",
    "date": "date",
    "text": "free text",
}


def _cell(text: object) -> str:
    return str(text).replace("|", "\\|").replace("\n", " ")


def _values(table: schema.Table, column: schema.Column, code_list: str | None) -> str:
    if column.kind == "code":
        return f"codes: `{code_list}` (see below)" if code_list else ", ".join(column.codes.values())
    if column.kind in ("int", "float", "item"):
        lo = "" if column.min is None else f"{column.min:g}"
        hi = "" if column.max is None else f"{column.max:g}"
        return f"{lo}–{hi}" if (lo or hi) else ""
    if column.kind == "date":
        return f"{schema.FIRST_DATE:%Y-%m-%d} – {schema.LAST_DATE:%Y-%m-%d}"
    return _KIND_NOTE.get(column.kind, "")


def _code_list_name(column: schema.Column) -> str | None:
    processed = set(column.codes.values())
    for name, labels in schema.CODE_LABELS.items():
        if processed and processed == set(labels):
            return name
    return None


def generate() -> str:
    """The codebook as Markdown (deterministic: same schema, same text).

    Returns
    -------
    str
        Markdown: one section per processed table (column, type, values, Finnish and English
        labels), then the code lists and the organisations.

    Examples
    --------
    >>> text = generate()
    >>> "## clients" in text and "| `client_id` |" in text
    True
    """
    lines = [
        "# Codebook / Koodikirja",
        "",
        "Processed tables written by `sosku prepare` (parquet, partitioned by `municipality`), "
        "read with `soskulib.io.load_processed(processed_dir, table)`. Generated from "
        "`soskulib/data/schema.toml` (read by `soskulib.schema`) and the instrument specs by "
        "`soskulib.codebook`; do not edit by hand.",
        "",
        "Käsitellyt taulut (`sosku prepare`). Tiedosto on generoitu skeemasta; älä muokkaa "
        "käsin.",
        "",
        "Missing values are `NA`/`NaN`. Rows that broke a validation rule are not here; they "
        "are in `rejects/<table>.csv` with a `reason`. / Puuttuva tieto on `NA`/`NaN`; "
        "hylätyt rivit ovat tiedostoissa `rejects/<taulu>.csv`.",
        "",
    ]
    used_lists: list[str] = []
    for table in schema.tables():
        dtypes = sio.processed_dtypes(table)
        lines += [
            f"## {table.name}",
            "",
            f"{table.label_en} / {table.label_fi}. Raw file / raakatiedosto: `{table.raw}`. "
            f"Key / avain: {', '.join(f'`{k}`' for k in table.key)}.",
            "",
            "| column | raw | type | label (fi) | label (en) | values |",
            "|---|---|---|---|---|---|",
        ]
        for c in table.columns:
            code_list = _code_list_name(c) if c.kind == "code" else None
            if code_list and code_list not in used_lists:
                used_lists.append(code_list)
            label_fi, label_en = c.label_fi, c.label_en
            if c.kind == "item":
                inst = instruments.get(table.name.removeprefix("responses_"))
                label_fi = f"{inst.name}: {inst.label(c.name, 'fi')}"
                label_en = f"{inst.name}: {inst.label(c.name, 'en')}"
            lines.append(
                f"| `{c.name}` | `{c.raw}` | {dtypes[c.name]} | {_cell(label_fi)} | "
                f"{_cell(label_en)} | {_cell(_values(table, c, code_list))} |")
        if table.name == schema.CLIENTS.name:
            for name, (fi, en) in schema.DERIVED_CLIENT_COLUMNS.items():
                values = ", ".join(schema.AGE_GROUP_LABELS) if name == "age_group" else (
                    f"{schema.AGE_BINS[0]}–{schema.AGE_BINS[-1] - 1}")
                lines.append(f"| `{name}` | (derived) | {dtypes[name]} | {fi} | {en} | "
                             f"{values} |")
        lines.append("")
    lines += ["## Code lists / koodistot", ""]
    for name in used_lists:
        raw_of = {}
        for table in schema.tables():
            for c in table.columns:
                if c.kind == "code" and _code_list_name(c) == name:
                    raw_of.update({v: k for k, v in c.codes.items()})
        lines += [f"### {name}", "", "| code | raw code | fi | en |", "|---|---|---|---|"]
        for code, (fi, en) in schema.CODE_LABELS[name].items():
            lines.append(f"| `{code}` | `{raw_of.get(code, '')}` | {_cell(fi)} | {_cell(en)} |")
        lines.append("")
    for name in (n for n in schema.CODE_LABELS if n not in used_lists):
        # labels of codes that analyses produce (roles, follow-ups, ...), not raw columns
        lines += [f"### {name} (analysis output)", "", "| code | fi | en |", "|---|---|---|"]
        for code, (fi, en) in schema.CODE_LABELS[name].items():
            lines.append(f"| `{code}` | {_cell(fi)} | {_cell(en)} |")
        lines.append("")
    lines += ["### municipality", "", "| code | fi | en |", "|---|---|---|"]
    for row in schema.organisations().itertuples():
        lines.append(f"| `{row.code}` | {_cell(row.name_fi)} | {_cell(row.name_en)} |")
    lines += ["", "## Instruments / mittarit", ""]
    for inst_id in schema.ASSESSMENT_INSTRUMENTS:
        inst = instruments.get(inst_id)
        lines.append(f"- **{inst.name}** ({inst.title_fi} / {inst.title_en}): items "
                     f"{inst.min:g}–{inst.max:g}"
                     + "".join(f", `{i}` {lo:g}–{hi:g}" for i, (lo, hi) in inst.item_ranges.items())
                     + f"; higher is {'better' if inst.higher_is_better else 'worse'}. "
                     f"Source: {_cell(inst.source)}")
    lines.append("")
    return "\n".join(lines)


def write(path: Path | str) -> Path:
    """Write the codebook to ``path`` (UTF-8); return the path.

    Parameters
    ----------
    path : path
        Target file; parent folders are created.

    Returns
    -------
    Path

    Examples
    --------
    >>> import tempfile, pathlib
    >>> out = write(pathlib.Path(tempfile.mkdtemp()) / "codebook.md")
    >>> out.read_text(encoding="utf-8").startswith("# Codebook / Koodikirja")
    True
    """
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(generate(), encoding="utf-8")
    return path


if __name__ == "__main__":
    print(write(sys.argv[1] if len(sys.argv) > 1 else "docs/codebook.md"))
