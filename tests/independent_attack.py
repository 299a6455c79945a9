"""An independent attack on one municipality page's CSV downloads (not `soskulib.audit`).

A second pair of eyes on `sosku audit`: written from scratch with the standard library and
pandas only, by another method (elimination instead of linear programming), so a blind spot
of the audit's models is not shared. It reads a page's ``*_tables/*.csv`` (machine-readable
variants, Finnish headers) and the page's reach table, and looks for a group of 1–4 people:

* a visible count of 1–4 in a column of people;
* cross-tabulations: a row or column with one hidden cell and a visible total (repeated
  until nothing changes, so recovered cells feed further lines);
* by gender vs overall (outcomes): overall minus the visible genders when one gender is hidden;
* differences of two visible counts of nested populations: starters − complete pairs,
  all clients − clients with a method / with enough contacts / with an element / in a target
  group, the placements chain;
* shares times their visible denominators (change categories, placements, continuity,
  traffic lights, completers' women), and shares whose denominator is hidden but can be read
  from the share's digits (``k / n`` at full precision).

Where a line of three or more categories shows one and hides the others, ``n`` minus the
shown one is the *sum* of the hidden ones: 1–4 of them is reported as a note (``union``),
not a finding. Standard cell suppression (and ``sosku audit``'s criterion) protects each
hidden cell by the width of its interval, not the union of a line's hidden cells.

Usage: ``python tests/independent_attack.py REPORTS_DIR/municipalities/092_vantaa_tables``;
prints one line per finding, exit 1 when there are findings.
"""

from __future__ import annotations

import sys
from fractions import Fraction
from pathlib import Path

import pandas as pd

HIDDEN = {"..", "<5", "x"}
TOTAL = "yhteensä"
GENDERS = ("nainen", "mies")


def num(v: object) -> float | None:
    s = str(v).strip()
    if s in HIDDEN or s in ("", "nan", "None"):
        return None
    try:
        return float(s)
    except ValueError:
        return None


def small(x: float | None) -> bool:
    return x is not None and 1 <= round(x) <= 4 and abs(x - round(x)) < 1e-6


def read(folder: Path) -> dict[str, pd.DataFrame]:
    return {p.stem: pd.read_csv(p, dtype=str, keep_default_na=False)
            for p in sorted(folder.glob("*.csv")) if not p.stem.endswith("_excel")}


def crosstab(name: str, t: pd.DataFrame, out: list[str]) -> None:
    """Lines with one unknown and a visible total, propagated."""
    if t.empty or t.columns[-1] != TOTAL or t.iloc[-1, 0] != TOTAL:
        return
    grid = [[num(v) for v in row[1:]] for row in t.itertuples(index=False)]
    hidden = {(i, j) for i, row in enumerate(grid) for j, v in enumerate(row) if v is None}
    changed = True
    while changed:
        changed = False
        lines = [[(i, j) for j in range(len(grid[0]))] for i in range(len(grid))]
        lines += [[(i, j) for i in range(len(grid))] for j in range(len(grid[0]))]
        for line in lines:
            *parts, total = line
            unknown = [c for c in line if grid[c[0]][c[1]] is None]
            if len(unknown) != 1:
                continue
            (i, j), = unknown
            if (i, j) == total:
                value = sum(grid[a][b] for a, b in parts)
            else:
                value = grid[total[0]][total[1]] - sum(grid[a][b] for a, b in parts if (a, b) != (i, j))
            grid[i][j] = value
            changed = True
            if small(value):
                out.append(f"{name}: {t.iat[i, 0]} / {t.columns[j + 1]} = {value:g} (line sum)")
    del hidden


def visible_small(name: str, t: pd.DataFrame, out: list[str]) -> None:
    people = {"n", "alkuarvioituja", "asiakkaat", "asiakkuuksia", "sijoittuneita", "tila kirjattu",
              "tila tiedossa", "jatkui", "n, loppuarvioidut", "n, ilman loppuarviointia",
              "päättyneitä", "käynnissä", "aloittaneita (alkuarvioituja)", "yhteensä"}
    for col in t.columns:
        if col in people or col.endswith(" · n"):
            for i, v in enumerate(t[col]):
                if small(num(v)):
                    out.append(f"{name}: row {i + 2} / {col} = {v} (shown)")


def difference(name: str, what: str, big: float | None, part: float | None, out: list[str]) -> None:
    if big is not None and part is not None and small(big - part):
        out.append(f"{name}: {what} = {big - part:g} (difference)")


def attack_page(folder: Path, notes: list[str] | None = None) -> list[str]:
    """Findings on one page's tables; unions of a line's hidden cells go to ``notes``."""
    tables = read(folder)
    out: list[str] = []
    notes = [] if notes is None else notes
    for name, t in tables.items():
        visible_small(name, t, out)
        crosstab(name, t, out)
    reach = tables.get("reach")
    everyone = num(reach.iloc[0, 0]) if reach is not None and len(reach) else None
    # by gender vs overall, and starters − pairs
    by_gender, overall = tables.get("outcomes_by_gender"), tables.get("outcomes")
    if by_gender is not None and overall is not None:
        for _, row in overall.iterrows():
            rows = by_gender[by_gender["mittari"] == row["mittari"]]
            for col in ("alkuarvioituja", "n"):
                parts = [num(v) for v in rows[col]]
                if sum(p is None for p in parts) == 1 and num(row[col]) is not None:
                    value = num(row[col]) - sum(p for p in parts if p is not None)
                    if small(value):
                        out.append(f"outcomes_by_gender: {row['mittari']} / {col} = {value:g} (overall − genders)")
    for name in ("outcomes", "outcomes_by_gender"):
        for _, row in tables.get(name, pd.DataFrame()).iterrows():
            difference(name, f"{row['mittari']} {row.get('sukupuoli', '')} starters − pairs",
                       num(row["alkuarvioituja"]), num(row["n"]), out)
    for name, big, part in (("sensitivity", "aloittaneita (alkuarvioituja)", "n, loppuarvioidut"),):
        t = tables.get(name)
        if t is not None:
            for _, row in t.iterrows():
                difference(name, f"{row['mittari']} starters − pairs", num(row[big]), num(row[part]), out)
    for name, col in (("method_mix", "asiakkaat"), ("continuity", "asiakkaita"),
                      ("target_groups_overlapping", "n")):
        t = tables.get(name)
        if t is not None and col in t.columns:
            for _, row in t.iterrows():
                difference(name, f"all clients − {row.iloc[0]}", everyone, num(row[col]), out)
    for name in ("fidelity", "contents_received"):
        t = tables.get(name)
        if t is not None and {"n", "saaneita"} <= set(t.columns):
            for _, row in t.iterrows():
                difference(name, f"{row.iloc[0]} without", num(row["n"]), num(row["saaneita"]), out)
    t = tables.get("placements")
    if t is not None:
        chain = ["sijoittuneita", "tila kirjattu", "tila tiedossa", "jatkui"]
        for _, row in t.iterrows():
            values = [num(row[c]) for c in chain]
            for a, b, ca, cb in zip(values, values[1:], chain, chain[1:], strict=False):
                difference("placements", f"{row.iloc[0]} {row.iloc[1]} {ca} − {cb}", a, b, out)
            # a hidden step between two visible ones
            for k in range(1, len(chain) - 1):
                if values[k] is None and values[k - 1] is not None and values[k + 1] is not None \
                        and values[k - 1] - values[k + 1] < 3:
                    out.append(f"placements: {row.iloc[0]} {row.iloc[1]} {chain[k]} narrowed to "
                               f"[{values[k + 1]:g}, {values[k - 1]:g}]")
            share, known = num(row.get("jatkui (%)")), values[2]
            if share is not None and known is not None:
                held = share / 100 * known
                if small(held) or small(known - held):
                    out.append(f"placements: {row.iloc[0]} {row.iloc[1]} share × n gives {held:g}")
    t = tables.get("change_categories")
    if t is not None:
        for _, row in t.iterrows():
            share, n = num(row.get("osuus (%)")), num(row.get("yhteensä"))
            if share is not None and n is not None and small(share / 100 * n):
                out.append(f"change_categories: {row['mittari']} {row['luokka']} share × n")
            elif share is not None and n is not None and small(n - share / 100 * n):
                notes.append(f"change_categories: {row['mittari']} {row['luokka']}: the other "
                             f"categories together are {n - share / 100 * n:g} (union)")
    t = tables.get("traffic_lights_3x10d")
    if t is not None:
        for _, row in t.iterrows():
            for occasion in ("alkuarviointi", "loppuarviointi"):
                n = num(row.get(f"{occasion} · n"))
                shares = [num(row[c]) for c in t.columns if c.startswith(f"{occasion} · ") and not c.endswith(" · n")]
                for s in shares:
                    if s is None:
                        continue
                    if n is not None and small(s / 100 * n):
                        out.append(f"traffic_lights: {row.iloc[0]} {occasion} share × n")
                    elif n is not None and small(n - s / 100 * n):
                        notes.append(f"traffic_lights: {row.iloc[0]} {occasion}: the other bands "
                                     f"together are {n - s / 100 * n:g} (union)")
                    if n is None and s > 0:  # the denominator from the share's digits
                        q = Fraction(s / 100).limit_denominator(400).denominator
                        out.append(f"traffic_lights: {row.iloc[0]} {occasion} n hidden but a share "
                                   f"shows it (a multiple of {q})")
    t = tables.get("completers_vs_non_completers")
    if t is not None:
        for _, row in t.iterrows():
            if row["muuttuja"] != "naisia (%)":
                continue
            for share_col, n_col in (("loppuarvioidut: ka tai %", "n, loppuarvioidut"),
                                     ("ilman loppuarviointia: ka tai %", "n, ilman loppuarviointia")):
                s, n = num(row[share_col]), num(row[n_col])
                if s is not None and n is not None and (small(s / 100 * n) or small(n - s / 100 * n)):
                    out.append(f"completers: {row['mittari']} women × {n_col}")
    return out


def main(argv: list[str]) -> int:
    findings, notes = [], []
    for folder in map(Path, argv):
        page_notes: list[str] = []
        findings += [f"{folder.name}: {f}" for f in attack_page(folder, page_notes)]
        notes += [f"{folder.name}: note: {n}" for n in page_notes]
    print("\n".join(findings + notes))
    print(f"independent attack: {len(findings)} finding(s), {len(notes)} note(s) in {len(argv)} page(s)")
    return 1 if findings else 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
