"""Parametrised notebooks → self-contained HTML reports, and the helpers notebooks display with.

Two halves:

* **inside a notebook** – :func:`start` checks the papermill parameters and returns a
  :class:`Report`, which numbers sections, tables and figures, writes every table as CSV beside
  the report, suppresses small counts of people through :mod:`soskulib.disclosure` and embeds
  figures as PNG (no date metadata, so two builds give identical bytes);
* **the build** – :func:`build_reports` executes the notebooks with papermill (municipality
  reports in parallel processes), renders HTML with code hidden through a template that loads
  nothing from the network (no require.js, MathJax or CDN CSS), adds a table of contents,
  refuses to publish a page that contains a personal identity code or a client pseudonym, and
  writes ``index.html``.

Layout written by :func:`build_reports`::

    reports/
        index.html
        data_quality.html          data_quality_tables/*.csv
        national_synthesis.html    national_synthesis_tables/*.csv
        instruments.html           instruments_tables/*.csv
        municipalities/<code>_<slug>.html   municipalities/<code>_<slug>_tables/*.csv
"""

from __future__ import annotations

import base64
import datetime as _dt
import functools
import hashlib
import html
import io
import json
import numbers
import os
import re
import shutil
import tempfile
from collections.abc import Iterable, Sequence
from concurrent.futures import ProcessPoolExecutor, as_completed
from dataclasses import dataclass, field
from importlib import resources
from pathlib import Path
from typing import Any

import pandas as pd

from soskulib import labels
from soskulib.errors import ConfigurationError, DataError, Problem, SoskuError

NOTEBOOKS_DIR = Path(__file__).resolve().parent.parent / "notebooks"
TEMPLATE_NAME = "soskureport"
KERNEL_NAME = "python3"
#: Seconds a single notebook cell may run before the build gives up.
CELL_TIMEOUT = 900
#: Smallest count of people shown in a published table (THL/Statistics Finland practice).
MIN_CELL = 5

#: Finnish personal identity code: ddmmyy, century sign, 3-digit individual number, check char.
HETU_PATTERN = re.compile(r"(?<![0-9A-Za-z])\d{6}[-+A-FU-Y]\d{3}[0-9A-FHJ-NPR-Y](?![0-9A-Za-z])")
_PSEUDONYM_PATTERN = re.compile(r"(?<![0-9a-f])[0-9a-f]{16}(?![0-9a-f])")
_DATA_URI = re.compile(r"data:[a-z/+.-]+;base64,[A-Za-z0-9+/=]+")
_NETWORK_MARKERS = ("//cdn", "unpkg.com", "jsdelivr", "require.js", "googleapis", "<script src=",
                    '<link rel="stylesheet" href="http')


# =============================================================================================
# Inside a notebook
# =============================================================================================


def validate_parameters(
    processed_dir: str | os.PathLike[str],
    lang: str,
    municipality: str | None = None,
    tables_dir: str | os.PathLike[str] | None = None,
) -> Path:
    """Check a notebook's papermill parameters; return ``processed_dir`` as a resolved Path.

    papermill only warns about unknown parameters and injects values of any type, so the first
    cell after ``parameters`` calls this to stop with a message that says what to fix.

    Raises
    ------
    ConfigurationError
        If the processed folder or its manifest is missing, the language is not fi/en, or the
        municipality code is not a SOSKU organisation code.

    Examples
    --------
    >>> validate_parameters("/nonexistent", "fi")
    Traceback (most recent call last):
    ...
    soskulib.errors.ConfigurationError: processed_dir '/nonexistent' has no manifest.json; run `sosku prepare` first (or point processed_dir at its output)
    """
    from soskulib import schema

    path = Path(processed_dir).expanduser().resolve()
    if not (path / "manifest.json").is_file():
        raise ConfigurationError(
            f"processed_dir {str(processed_dir)!r} has no manifest.json; run `sosku prepare` "
            "first (or point processed_dir at its output)")
    if lang not in labels.LANGUAGES:
        raise ConfigurationError(f"lang must be one of {', '.join(labels.LANGUAGES)}, got {lang!r}")
    if municipality is not None:
        codes = set(schema.organisations()["code"])
        if not isinstance(municipality, str) or municipality not in codes:
            raise ConfigurationError(
                f"municipality must be a 3-digit organisation code as a string, one of "
                f"{', '.join(sorted(codes))}; got {municipality!r}")
    if tables_dir is not None and not isinstance(tables_dir, str | os.PathLike):
        raise ConfigurationError(f"tables_dir must be a path or None, got {tables_dir!r}")
    return path


def read_manifest(processed_dir: str | os.PathLike[str]) -> dict[str, Any]:
    """Read ``manifest.json`` of a processed folder."""
    path = Path(processed_dir) / "manifest.json"
    try:
        return json.loads(path.read_text(encoding="utf-8"))
    except FileNotFoundError:
        raise ConfigurationError(f"{path} not found; run `sosku prepare` first") from None


def data_checksum(manifest: dict[str, Any]) -> str:
    """One SHA-256 identifying the data a report was built from.

    Uses the manifest's own overall checksum when it has one (``checksum`` or
    ``source_checksum``), otherwise hashes the per-table checksums it lists, otherwise the
    manifest's row counts; the same data therefore always give the same string.
    """
    for key in ("checksum", "source_checksum", "sha256"):
        value = manifest.get(key)
        if isinstance(value, str) and value:
            return value
    inputs = manifest.get("inputs")
    if isinstance(inputs, list) and inputs:
        basis: Any = sorted(f"{i.get('file')}:{i.get('sha256')}" for i in inputs)
    else:
        basis = manifest.get("checksums") or manifest.get("tables") or {}
    return hashlib.sha256(json.dumps(basis, sort_keys=True).encode("utf-8")).hexdigest()


def _display(obj_html: str, text: str, metadata: dict[str, Any] | None = None) -> None:
    from IPython.display import display

    display({"text/html": obj_html, "text/plain": text}, raw=True, metadata=metadata or {})


def _slug(text: str) -> str:
    s = re.sub(r"[^0-9a-z]+", "-", text.lower().translate(str.maketrans("äöåé", "aoae")))
    return s.strip("-") or "x"


@dataclass
class Report:
    """Numbering, captions, tables and figures of one report, in one language.

    Parameters
    ----------
    lang : {"fi", "en"}
        Language of headings, captions and generated text.
    tables_dir : path or None
        Where :meth:`table` writes its CSV files (created on first use). ``None`` (interactive
        use, nbval) writes nothing.
    min_cell : int
        Counts of people below this are suppressed in tables passed with ``counts=``.

    Examples
    --------
    >>> rep = Report("en", display=False)
    >>> rep.section("Reach")
    >>> rep.section("Who the clients are", level=3)
    >>> rep.last_heading
    '1.1 Who the clients are'
    >>> rep.caption("figure", "Reach against plan")
    'Figure 1. Reach against plan'
    """

    lang: str = "fi"
    tables_dir: str | os.PathLike[str] | None = None
    min_cell: int = MIN_CELL
    display: bool = True
    _sections: list[int] = field(default_factory=lambda: [0, 0])
    _counts: dict[str, int] = field(default_factory=lambda: {"table": 0, "figure": 0})
    _names: set[str] = field(default_factory=set)
    last_heading: str = ""

    def __post_init__(self) -> None:
        labels.check_lang(self.lang)

    # -- text ----------------------------------------------------------------------------------
    def t(self, key: str, **fields: object) -> str:
        """The report string ``key`` in this report's language (see :mod:`soskulib.labels`)."""
        return labels.text(key, self.lang, **fields)

    def title(self, title: str, subtitle: str | None = None) -> None:
        """Show the report title (``h1``) and subtitle."""
        sub = f'<p class="sosku-subtitle">{html.escape(subtitle)}</p>' if subtitle else ""
        self._show(f'<h1 class="sosku-title">{html.escape(title)}</h1>{sub}', title)

    def section(self, heading: str, level: int = 2, intro: str | None = None) -> None:
        """Show a numbered heading (level 2 = section, 3 = subsection).

        ``intro`` is an optional paragraph shown under it (what the section shows and why it
        matters). Headings carry stable ids, which the table of contents links to.
        """
        if level not in (2, 3):
            raise ValueError(f"level must be 2 or 3, got {level}")
        if level == 2:
            self._sections[0] += 1
            self._sections[1] = 0
            number = f"{self._sections[0]}."
        else:
            if self._sections[0] == 0:
                raise ValueError("a subsection (level 3) needs a section (level 2) before it")
            self._sections[1] += 1
            number = f"{self._sections[0]}.{self._sections[1]}"
        label = f"{number} {heading}"
        anchor = "s" + number.rstrip(".").replace(".", "-")
        body = f'<h{level} class="sosku-h" id="{anchor}">{html.escape(label)}</h{level}>'
        if intro:
            body += f'<p class="sosku-intro">{html.escape(intro)}</p>'
        self.last_heading = label
        self._show(body, label)

    def paragraph(self, text: str, kind: str = "text") -> None:
        """Show a paragraph; ``kind`` ``"note"``, ``"warning"`` or ``"finding"`` styles it."""
        if kind not in ("text", "note", "warning", "finding"):
            raise ValueError(f"kind must be text, note, warning or finding, got {kind!r}")
        self._show(f'<p class="sosku-{kind}">{html.escape(text)}</p>', text)

    def bullets(self, items: Iterable[str], kind: str = "text") -> None:
        """Show a bulleted list (e.g. the generated development points)."""
        items = list(items)
        li = "".join(f"<li>{html.escape(i)}</li>" for i in items)
        self._show(f'<ul class="sosku-{kind}">{li}</ul>', "\n".join(f"- {i}" for i in items))

    def banner(self, manifest: dict[str, Any]) -> bool:
        """Show the synthetic-data banner when the manifest says the data are the demo.

        Returns whether the data are synthetic.
        """
        synthetic = bool(manifest.get("synthetic", False))
        if synthetic:
            msg = self.t("synthetic_banner")
            self._show(f'<div class="sosku-banner" role="alert">{html.escape(msg)}</div>', msg)
        return synthetic

    def headline(self, text: str) -> None:
        """Show the report's one-line headline; the build copies it to ``index.html``."""
        self._show(f'<p class="sosku-headline">{html.escape(text)}</p>', text,
                   metadata={"sosku": {"headline": text}})

    def caption(self, kind: str, text: str) -> str:
        """Next numbered caption of ``kind`` (``"table"`` or ``"figure"``)."""
        if kind not in self._counts:
            raise ValueError(f"kind must be 'table' or 'figure', got {kind!r}")
        self._counts[kind] += 1
        return f"{self.t(kind)} {self._counts[kind]}. {text}"

    def relabel(self, df: pd.DataFrame, codes: dict[str, str] | None = None,
                columns: dict[str, str] | None = None, rename: bool = True) -> pd.DataFrame:
        """Translate code values and column names for display.

        ``codes`` maps a column to a code list of :data:`soskulib.schema.CODE_LABELS` (or
        ``"municipality"`` for organisation names, ``"table"`` for processed table labels);
        every column with a ``col.<name>`` string in
        :mod:`soskulib.labels` is renamed (unless ``rename=False``, e.g. before
        :func:`soskulib.disclosure.crosstab`), ``columns`` maps further columns to label keys.

        Examples
        --------
        >>> import pandas as pd
        >>> Report("en", display=False).relabel(
        ...     pd.DataFrame({"gender": ["female"], "n": [7]}), codes={"gender": "gender"})
           gender  n
        0  female  7
        """
        from soskulib import schema

        out = df.copy()
        for col, code_list in (codes or {}).items():
            if code_list == "municipality":
                orgs = schema.organisations()
                mapping = dict(zip(orgs["code"], orgs["name_fi" if self.lang == "fi"
                                                      else "name_en"], strict=True))
            elif code_list == "table":
                mapping = {t.name: (t.label_fi if self.lang == "fi" else t.label_en)
                           for t in schema.tables()}
            elif code_list in schema.CODE_LABELS:
                mapping = {code: schema.label(code_list, code, self.lang)
                           for code in schema.CODE_LABELS[code_list]}
            else:  # a prefix of report strings, e.g. "el" for "el.needs_assessment"
                mapping = {key.split(".", 1)[1]: self.t(key) for key in labels.STRINGS
                           if key.startswith(f"{code_list}.")}
                if not mapping:
                    raise KeyError(f"no code list or report strings {code_list!r}.*")
            out[col] = out[col].map(lambda c, m=mapping: m.get(c, c) if isinstance(c, str) else c)
            if code_list in schema.CODE_LABELS:
                # Keep the code list's declared order (men, women, other) rather than the
                # alphabetical order of the translated labels; only categories present.
                present = set(out[col].dropna())
                order = [lab for lab in dict.fromkeys(mapping.values()) if lab in present]
                order += sorted(present - set(order), key=str)
                out[col] = pd.Categorical(out[col], categories=order, ordered=True)
        if not rename:
            return out
        rename = {c: self.t(f"col.{c}") for c in out.columns
                  if isinstance(c, str) and f"col.{c}" in labels.STRINGS}
        rename.update({c: self.t(key) for c, key in (columns or {}).items()})
        return out.rename(columns=rename)

    def label(self, code_list: str, code: str) -> str:
        """Label of one code of a :data:`soskulib.schema.CODE_LABELS` list in this language."""
        from soskulib import schema

        return schema.label(code_list, code, self.lang)

    def municipality_name(self, code: str) -> str:
        """Name of an organisation code in this report's language (the code when unknown)."""
        from soskulib import schema

        orgs = schema.organisations().set_index("code")
        if code not in orgs.index:
            return code
        return str(orgs.at[code, "name_fi" if self.lang == "fi" else "name_en"])

    # -- tables --------------------------------------------------------------------------------
    def table(
        self,
        df: pd.DataFrame | Any,
        name: str,
        caption: str,
        *,
        counts: Sequence[str] | None = None,
        along: str | Sequence[str] | None = None,
        derived: dict[str, str | Sequence[str]] | None = None,
        codes: dict[str, str] | None = None,
        index: bool = False,
        digits: int = 2,
        note: str | None = None,
        columns: Sequence[str] | None = None,
        percent: Sequence[str] = (),
        headers: dict[str, str] | None = None,
    ) -> None:
        """Show ``df`` as a numbered, styled table and write it as ``<tables_dir>/<name>.csv``.

        Parameters
        ----------
        df : DataFrame or disclosure.CrossTab
            Table to publish (aggregates only; never rows of people). A table that already
            went through :func:`soskulib.disclosure.suppress_table` (it has ``*_suppressed``
            mask columns) or a :class:`~soskulib.disclosure.CrossTab` is shown with hidden
            cells as the disclosure marker.
        name : str
            File stem of the CSV, unique within the report (``[a-z0-9_-]``).
        caption : str
            Caption text; the number is added.
        counts : list of str, optional
            Columns holding counts of people not yet protected: passed through
            :func:`soskulib.disclosure.suppress_table` with ``along`` and ``derived`` before
            anything is shown or written.
        along, derived
            Passed to :func:`soskulib.disclosure.suppress_table` (lines that sum to published
            totals; shares that follow their counts).
        codes : dict, optional
            Code lists for :meth:`relabel`, applied after suppression together with the
            column labels (``col.<name>`` strings), so ``counts`` use the data's own names.
        index : bool
            Whether the index is part of the table.
        digits : int
            Decimals shown for floats (the CSV keeps full precision).
        note : str, optional
            A note printed under the table.
        columns : list of str, optional
            Columns to publish, in this order; their disclosure masks (``<col>_suppressed``)
            are kept, so hidden cells still show the marker.
        percent : list of str
            Share columns (0–1) published as percentages (× 100, in the CSV too).
        headers : dict, optional
            ``{column: label key}`` for columns whose heading differs from ``col.<column>``
            (e.g. ``{"name": "col.instrument"}``).

        Raises
        ------
        ValueError
            If a ``counts`` column still shows a count of 1-4 people after suppression.
        """
        from soskulib import disclosure

        if not re.fullmatch(r"[a-z0-9_-]+", name):
            raise ValueError(f"table name {name!r} must use only a-z, 0-9, '_' and '-'")
        if name in self._names:
            raise ValueError(f"table name {name!r} is already used in this report")
        if isinstance(df, disclosure.CrossTab):
            suppressed = bool(df.suppressed.to_numpy().any())
            published = df.display()
            published = published.rename(index={"total": self.t("total")},
                                         columns={"total": self.t("total")})
            for axis in (published.index, published.columns):
                if isinstance(axis.name, str) and f"col.{axis.name}" in labels.STRINGS:
                    axis.name = self.t(f"col.{axis.name}")
            index = True
        elif isinstance(df, pd.DataFrame):
            published = df.copy()
            if columns is not None:
                missing = [c for c in columns if c not in published.columns]
                if missing:
                    raise KeyError(f"columns not in the table: {', '.join(map(str, missing))}")
                masks = [disclosure.mask_column(c) for c in columns
                         if disclosure.mask_column(c) in published.columns]
                published = published[[*columns, *masks]]
            for col in percent:
                published[col] = 100 * pd.to_numeric(published[col])
            for col in published.columns:  # years and quarters are labels, not quantities
                if str(col).endswith("year") or str(col) == "quarter":
                    published[col] = published[col].astype(str)
            if counts:
                missing = [c for c in counts if c not in published.columns]
                if missing:
                    raise KeyError(f"counts columns not in the table: {', '.join(missing)}")
                published = disclosure.suppress_table(published, list(counts), along=along,
                                                      derived=derived, min_cell=self.min_cell)
                if not disclosure.is_protected(published, counts, self.min_cell):
                    raise ValueError(f"table {name!r} still shows counts under {self.min_cell}")
            masks = [c for c in published.columns if str(c).endswith(disclosure.MASK_SUFFIX)]
            suppressed = bool(masks) and bool(published[masks].to_numpy().any())
            if masks:
                published = disclosure.display(published)
            published = self.relabel(published, codes=codes, columns=headers)
        else:
            raise TypeError(f"table() needs a DataFrame or CrossTab, got {type(df).__name__}")
        self._names.add(name)
        caption_text = self.caption("table", caption)
        link = ""
        if self.tables_dir is not None:
            folder = Path(self.tables_dir)
            folder.mkdir(parents=True, exist_ok=True)
            published.to_csv(folder / f"{name}.csv", index=index, lineterminator="\n",
                             encoding="utf-8")
            href = f"{folder.name}/{name}.csv"
            link = (f' <a class="sosku-csv" href="{html.escape(href)}" download>'
                    f"[{self.t('download_csv')}]</a>")
        notes = []
        if suppressed:
            notes.append(self.t("suppressed_note", k=self.min_cell, marker=disclosure.MARKER))
        if note:
            notes.append(note)
        foot = "".join(f'<p class="sosku-tablenote">{html.escape(n)}</p>' for n in notes)
        body = (f'<figure class="sosku-table" id="{_slug("t-" + name)}">'
                f"<figcaption>{html.escape(caption_text)}{link}</figcaption>"
                f"{_style_table(published, self.lang, digits, index, uid=name)}{foot}</figure>")
        self._show(body, f"{caption_text}\n{published.to_string(index=index)}")

    # -- figures -------------------------------------------------------------------------------
    def figure(self, fig: Any, caption: str, *, alt: str | None = None, dpi: int = 110) -> None:
        """Show a matplotlib figure as an embedded PNG with a numbered caption; close it.

        The PNG is written without ``Software``/date metadata so that two builds give identical
        bytes, and is embedded (base64) so the report works offline.
        """
        import matplotlib.pyplot as plt
        from matplotlib.layout_engine import ConstrainedLayoutEngine

        buf = io.BytesIO()
        # A figure with constrained layout already fits its labels and legends; cropping it
        # to the tight bounding box would draw it twice (the build's largest single cost).
        constrained = isinstance(fig.get_layout_engine(), ConstrainedLayoutEngine)
        fig.savefig(buf, format="png", dpi=dpi, bbox_inches=None if constrained else "tight",
                    metadata={"Software": None})
        plt.close(fig)
        data = base64.b64encode(buf.getvalue()).decode("ascii")
        caption_text = self.caption("figure", caption)
        body = (f'<figure class="sosku-figure"><img src="data:image/png;base64,{data}" '
                f'alt="{html.escape(alt or caption)}"><figcaption>{html.escape(caption_text)}'
                "</figcaption></figure>")
        self._show(body, caption_text)

    def plot(self, func: Any, *args: Any, caption: str, **kwargs: Any) -> None:
        """Draw ``func(*args, **kwargs)`` (a :mod:`soskulib.plots` function) as a figure.

        When the data are too small for the figure (every value suppressed or missing:
        :class:`soskulib.plots.NothingToPlot`) a short note replaces it, so a small
        municipality's report still builds. Other errors propagate.
        """
        from soskulib import plots

        try:
            drawn = func(*args, **kwargs)
        except plots.NothingToPlot:
            self.paragraph(self.t("not_enough_data", what=caption), kind="note")
            return
        self.figure(getattr(drawn, "figure", drawn), caption)

    def _show(self, body: str, text: str, metadata: dict[str, Any] | None = None) -> None:
        if self.display:
            _display(body, text, metadata)


def start(
    processed_dir: str | os.PathLike[str],
    lang: str,
    municipality: str | None = None,
    tables_dir: str | os.PathLike[str] | None = None,
) -> tuple[Report, Path, dict[str, Any]]:
    """Validate a notebook's parameters, set up plotting, return ``(report, processed, manifest)``.

    Call it in the cell after ``parameters``. It also sets deterministic matplotlib defaults
    (see :func:`setup_plotting`) and shows the synthetic-data banner when applicable.
    """
    processed = validate_parameters(processed_dir, lang, municipality, tables_dir)
    setup_plotting()
    rep = Report(lang=lang, tables_dir=tables_dir)
    manifest = read_manifest(processed)
    rep.banner(manifest)
    return rep, processed, manifest


def setup_plotting() -> None:
    """Deterministic, readable, colour-blind-safe matplotlib defaults for reports."""
    import matplotlib as mpl

    mpl.rcParams.update({
        "svg.hashsalt": "soskulib",
        "figure.dpi": 110,
        "figure.figsize": (7.5, 4.2),
        "axes.spines.top": False,
        "axes.spines.right": False,
        "axes.grid": True,
        "grid.alpha": 0.3,
        "font.size": 10,
        # Okabe–Ito: distinguishable under the common colour-vision deficiencies.
        "axes.prop_cycle": mpl.cycler(color=[
            "#0072B2", "#E69F00", "#009E73", "#CC79A7", "#56B4E9", "#D55E00", "#F0E442",
            "#000000"]),
    })


# A cell that reads as a quantity: a number written as text (CrossTab.display(), years), with
# an optional sign, group separators, decimals or a percent sign.
_QUANTITY_TEXT = re.compile(r"[+\-\u2212]?\d[\d\s\u202f,.]*%?")
# Markers of hidden or missing cells, shown in numeric columns.
_NUMERIC_MARKERS = frozenset({"..", "<5", "–", "-", ""})


def _is_quantity(value: Any) -> bool:
    """Whether ``value`` belongs in a right-aligned (numeric) column; missing values do."""
    if isinstance(value, bool):
        return False
    if isinstance(value, numbers.Number) or value is None or value is pd.NA:
        return True
    if isinstance(value, str):
        text = value.strip()
        return text in _NUMERIC_MARKERS or _QUANTITY_TEXT.fullmatch(text) is not None
    return False


def _numeric_columns(df: pd.DataFrame) -> list[bool]:
    """Per column: numbers, numeric text and disclosure markers only (and not all missing)."""
    flags = []
    for j in range(df.shape[1]):
        col = df.iloc[:, j]
        if pd.api.types.is_bool_dtype(col):
            flags.append(False)
        elif pd.api.types.is_numeric_dtype(col):
            flags.append(True)
        else:
            present = col[col.notna()]
            flags.append(bool(len(present)) and bool(present.map(_is_quantity).all()))
    return flags


def _style_table(df: pd.DataFrame, lang: str, digits: int, index: bool, uid: str = "t") -> str:
    """HTML of a published table: numbers formatted for ``lang``, one alignment per column.

    A column is right-aligned (heading included) when every cell is a number, a number
    written as text or a disclosure marker (``..``), so counts with hidden cells line up with
    the plain counts above and below them; any other column is left-aligned. The alignment
    is set per column, not per cell, so mixed ``int``/``str`` cells cannot differ. ``uid``
    (the table's name) makes the element ids unique on the page: with one fixed id for every
    table, the style rules of one table also hit the cells of the next.

    Examples
    --------
    >>> table = pd.DataFrame({"group": ["a", "b"], "n": [12, ".."], "shown": ["1 204", "7"]})
    >>> _numeric_columns(table)
    [False, True, True]
    >>> "#T_counts .col1" in _style_table(table, "en", 0, False, uid="counts")
    True
    >>> "kyllä" in _style_table(pd.DataFrame({"covers": [True]}), "fi", 0, False, uid="b")
    True
    """
    if not index:
        df = df.reset_index(drop=True)
    # Booleans read as words in the page's language (the CSV keeps True/False).
    yes, no = ("kyllä", "ei") if lang == "fi" else ("yes", "no")
    flags = [c for c in df.columns if pd.api.types.is_bool_dtype(df[c])]
    if flags:
        df = df.copy()
        for c in flags:
            df[c] = df[c].map({True: yes, False: no})
    decimal = "," if lang == "fi" else "."
    thousands = "\u202f" if lang == "fi" else ","
    styler = df.style.format(precision=digits, decimal=decimal, thousands=thousands, na_rep="–")
    styler = styler.set_table_attributes('class="sosku-df"')
    # `.col<j>` marks both the heading and the data cells of column j (not the row headings).
    styler = styler.set_table_styles([
        {"selector": f".col{j}", "props": f"text-align: {'right' if numeric else 'left'};"}
        for j, numeric in enumerate(_numeric_columns(df))])
    if not index:
        styler = styler.hide(axis="index")
    # A uuid from the table name keeps the HTML identical between builds and unique on the page.
    styler = styler.set_uuid(re.sub(r"[^A-Za-z0-9_-]", "_", uid))
    return styler.to_html()


# =============================================================================================
# The build
# =============================================================================================


@dataclass(frozen=True)
class _Job:
    """One notebook to execute and render (picklable for the process pool)."""

    notebook: str
    html_path: str
    tables_dir: str
    parameters: dict[str, Any]
    title: str
    lang: str
    index_href: str


@dataclass(frozen=True)
class _Result:
    html_path: str
    headline: str | None
    seconds: float


#: Kernels of this process, by working directory: a worker executes its notebooks one after
#: another in one kernel, so the libraries are imported and the kernel started once per worker
#: instead of once per notebook (that was about 3 s of every municipality report).
_KERNELS: dict[str, Any] = {}

# Run once in a new kernel: bring up pyplot (the inline backend adjusts rcParams when it is
# first imported) and keep the resulting rcParams as the state every notebook starts from.
_KERNEL_WARMUP = """\
import matplotlib, matplotlib.pyplot
matplotlib._sosku_rc_snapshot = matplotlib.rcParams.copy()
"""
#: Tag of the cell that runs _KERNEL_WARMUP or _KERNEL_RESET before a notebook's own cells.
_PREAMBLE_TAG = "sosku-kernel-preamble"
# Run before each further notebook in the same kernel: the namespace, open figures and
# rcParams are as in a new kernel, so which notebooks share a kernel cannot change a report.
_KERNEL_RESET = """\
get_ipython().run_line_magic("reset", "-f")
import warnings as _w, matplotlib as _m, matplotlib.pyplot as _p
_p.close("all")
with _w.catch_warnings():
    _w.simplefilter("ignore")
    _m.rcParams.update(_m._sosku_rc_snapshot)
del _w, _m, _p
"""


def _shutdown_kernel(km: Any) -> None:
    from jupyter_core.utils import run_sync

    try:
        run_sync(km.shutdown_kernel)(now=True)
    except Exception:  # noqa: BLE001 - at exit; the kernel also exits when its parent does
        pass
    shutil.rmtree(Path(km.ip).parent, ignore_errors=True)


def _worker_kernel(cwd: str) -> tuple[Any, str]:
    """This process's kernel for notebooks in ``cwd`` and the code to run before a notebook.

    The kernel is started on first use (the code is then :data:`_KERNEL_WARMUP`) and reused
    afterwards (:data:`_KERNEL_RESET`). That code runs as a first cell of the executed notebook
    rather than through a client of its own, because every new kernel client waits 0.2 s for
    the kernel's output channel to fall quiet.

    The kernel talks over IPC (Unix sockets) rather than unencrypted TCP on localhost, which
    is also what keeps ipykernel's "running over TCP without encryption" warning out of the
    build's output. It is shut down when the process exits (``multiprocessing`` finalizer:
    pool workers leave through ``os._exit``, which skips ``atexit``).
    """
    from multiprocessing import util

    from jupyter_client.manager import AsyncKernelManager
    from jupyter_core.utils import run_sync

    km = _KERNELS.get(cwd)
    if km is not None and run_sync(km.is_alive)():
        return km, _KERNEL_RESET
    # An absolute socket path: the default ("kernel-ipc") is relative, and the kernel runs in
    # ``cwd`` while this process does not.
    sockets = tempfile.mkdtemp(prefix="sosku-kernel-")
    km = AsyncKernelManager(kernel_name=KERNEL_NAME, transport="ipc",
                            ip=os.path.join(sockets, "ipc"))
    run_sync(km.start_kernel)(cwd=cwd)
    util.Finalize(None, _shutdown_kernel, args=(km,), exitpriority=10)
    _KERNELS[cwd] = km
    return km, _KERNEL_WARMUP


def _execute_and_render(job: _Job) -> _Result:
    """Execute one notebook with papermill and write its HTML (runs in a worker process)."""
    import time

    import nbformat
    import papermill

    t0 = time.perf_counter()
    cwd = str(Path(job.notebook).parent)
    km, preamble = _worker_kernel(cwd)
    source = nbformat.read(job.notebook, as_version=4)
    source.cells.insert(0, nbformat.v4.new_code_cell(
        preamble, metadata={"tags": [_PREAMBLE_TAG]}))
    html_path = Path(job.html_path)
    tables = Path(job.tables_dir)
    if tables.exists():
        shutil.rmtree(tables)  # stale CSVs from an earlier build must not survive
    with tempfile.TemporaryDirectory(prefix="sosku-nb-") as tmp:
        executed = Path(tmp) / Path(job.notebook).name
        try:
            nb = papermill.execute_notebook(
                source, str(executed), parameters=job.parameters, kernel_name=KERNEL_NAME,
                km=km, cwd=cwd, progress_bar=False, log_output=False,
                request_save_on_cell_execute=False, execution_timeout=CELL_TIMEOUT,
            )
        except Exception as exc:  # papermill raises its own error type with the traceback
            failed = html_path.parent / "_failed"
            failed.mkdir(parents=True, exist_ok=True)
            if executed.exists():
                shutil.copy(executed, failed / executed.name)
            kind = type(exc).__name__
            detail = getattr(exc, "evalue", None) or str(exc).strip().splitlines()[-1:]
            raise SoskuError(f"notebook {Path(job.notebook).name} failed ({kind}: {detail}); "
                             f"the executed notebook is in {failed}") from None
    nb.cells = [c for c in nb.cells if _PREAMBLE_TAG not in c.get("metadata", {}).get("tags", [])]
    headline = _find_headline(nb)
    page = render_html(nb, title=job.title, lang=job.lang, index_href=job.index_href)
    fetched = [m for m in _NETWORK_MARKERS if m in _DATA_URI.sub("", page).lower()]
    if fetched:  # a report must work offline
        raise SoskuError(f"{html_path.name} would load {', '.join(fetched)} from the network; "
                         "a notebook output brought in a remote script or stylesheet")
    html_path.parent.mkdir(parents=True, exist_ok=True)
    html_path.write_text(page, encoding="utf-8")
    return _Result(str(html_path), headline, time.perf_counter() - t0)


def _expected_cost(job: _Job) -> int:
    """Relative run time of a notebook (measured on the demo) for longest-first scheduling."""
    name = Path(job.notebook).name
    return 4 if "national" in name else 2 if "municipality" in name else 1


def _find_headline(nb: Any) -> str | None:
    for cell in nb.cells:
        for out in cell.get("outputs", []):
            meta = out.get("metadata", {}).get("sosku", {})
            if "headline" in meta:
                return str(meta["headline"])
    return None


def _template_dir() -> Path:
    return Path(str(resources.files("soskulib").joinpath("templates")))


def report_css() -> str:
    """The stylesheet inlined into every report and the index page."""
    return (_template_dir() / TEMPLATE_NAME / "report.css").read_text(encoding="utf-8")


@functools.lru_cache(maxsize=1)
def _html_exporter() -> Any:
    """One exporter per process: its Jinja templates are compiled once, not per report."""
    from nbconvert import HTMLExporter

    return HTMLExporter(
        template_name=TEMPLATE_NAME,
        extra_template_basedirs=[str(_template_dir())],
        exclude_input=True, exclude_input_prompt=True, exclude_output_prompt=True,
        exclude_markdown=True, exclude_raw=True,
    )


def render_html(nb: Any, *, title: str, lang: str = "fi", index_href: str | None = None) -> str:
    """Render an executed notebook as one self-contained HTML page.

    Code, prompts and markdown cells (notes for the analyst, in English) are left out; the
    reader sees the outputs, which carry the language-specific headings and prose. Output on
    stderr (warnings, logs) is dropped. A table of contents is built from the numbered headings
    of :meth:`Report.section`.
    """
    import nbformat

    nb = nbformat.from_dict(json.loads(json.dumps(nb)))  # private copy
    for number, cell in enumerate(nb.cells):
        cell["id"] = f"c{number}"  # papermill's injected cell has a random id
        if cell.get("cell_type") == "code":
            cell["outputs"] = [o for o in cell.get("outputs", [])
                               if not (o.get("output_type") == "stream"
                                       and o.get("name") == "stderr")]
    exporter = _html_exporter()
    from soskulib import __version__

    resources_in = {
        "sosku": {
            "title": title,
            "lang": lang,
            "css": report_css(),
            "index_href": index_href,
            "back": labels.text("back_to_index", lang),
            "contents": labels.text("contents", lang),
            "generated_by": labels.text("generated_by", lang, version=__version__),
        }
    }
    body, _ = exporter.from_notebook_node(nb, resources=resources_in)
    return _insert_toc(body)


_HEADING = re.compile(r'<h([23]) class="sosku-h" id="([^"]+)">(.*?)</h\1>', re.S)


def _insert_toc(page: str) -> str:
    items: list[str] = []
    open_sub = False
    for level, anchor, label in _HEADING.findall(page):
        if level == "2":
            if open_sub:
                items.append("</ul></li>")
                open_sub = False
            elif items:
                items.append("</li>")
            items.append(f'<li><a href="#{anchor}">{label}</a>')
        else:
            if not open_sub:
                items.append("<ul>")
                open_sub = True
            items.append(f'<li><a href="#{anchor}">{label}</a></li>')
    if items:
        items.append("</ul></li>" if open_sub else "</li>")
    return page.replace("<!--SOSKU_TOC-->", f"<ul>{''.join(items)}</ul>" if items else "", 1)


def check_published(page: str, client_ids: Iterable[str] = (), where: str = "page") -> None:
    """Refuse to publish text that contains a henkilötunnus or a client pseudonym.

    Embedded images (base64 data URIs) are skipped; neither the identity code nor the
    pseudonym is ever quoted in the error.

    Raises
    ------
    DataError
        Naming ``where`` and what kind of identifier was found.

    Examples
    --------
    >>> check_published("<p>n = 12</p>")
    >>> check_published("<td>010203A923T</td>", where="x.html")
    Traceback (most recent call last):
    ...
    soskulib.errors.DataError: x.html:-:-: a personal identity code appears in the rendered output; the report was not published
    """
    text = _DATA_URI.sub("", page)
    if HETU_PATTERN.search(text):
        raise DataError(Problem(where, "-", "-", "a personal identity code appears in the "
                                "rendered output; the report was not published"))
    ids = set(client_ids)
    if ids and any(m in ids for m in _PSEUDONYM_PATTERN.findall(text)):
        raise DataError(Problem(where, "-", "-", "a client pseudonym (client_id) appears in the "
                                "rendered output; the report was not published"))


def _jobs_for(processed: Path, out: Path, lang: str, notebooks_dir: Path,
              municipalities: Sequence[tuple[str, str, str]]) -> list[_Job]:
    def job(nb: str, html_path: Path, params: dict[str, Any], title: str) -> _Job:
        tables = html_path.with_name(html_path.stem + "_tables")
        rel_index = os.path.relpath(out / "index.html", html_path.parent)
        return _Job(str(notebooks_dir / nb), str(html_path), str(tables),
                    {"processed_dir": str(processed), "lang": lang, **params,
                     "tables_dir": str(tables)},
                    title, lang, rel_index)

    jobs = [
        job("00_data_quality.ipynb", out / "data_quality.html", {},
            labels.text("report.data_quality.title", lang)),
        job("20_national_synthesis.ipynb", out / "national_synthesis.html", {},
            labels.text("report.national.title", lang)),
        job("30_instruments.ipynb", out / "instruments.html", {},
            labels.text("report.instruments.title", lang)),
    ]
    for code, slug, name in municipalities:
        jobs.append(job("10_municipality.ipynb", out / "municipalities" / f"{code}_{slug}.html",
                        {"municipality": code},
                        labels.text("report.municipality.title", lang, name=name)))
    return jobs


def _check_parameters(jobs: Sequence[_Job]) -> None:
    """papermill only warns on unknown parameters: refuse them before anything runs."""
    import papermill

    declared: dict[str, set[str]] = {}
    for j in jobs:
        if j.notebook not in declared:
            if not Path(j.notebook).is_file():
                raise ConfigurationError(f"notebook {j.notebook} not found")
            declared[j.notebook] = set(papermill.inspect_notebook(j.notebook))
        unknown = set(j.parameters) - declared[j.notebook]
        if unknown:
            raise ConfigurationError(
                f"{Path(j.notebook).name} has no parameter(s) {', '.join(sorted(unknown))}; "
                f"its parameters cell declares {', '.join(sorted(declared[j.notebook]))}")


def municipalities_in(processed_dir: str | os.PathLike[str]) -> list[tuple[str, str, str]]:
    """``(code, slug, name)`` of every organisation with clients in the processed data."""
    from soskulib import io as sio
    from soskulib import schema

    clients = sio.load_processed(processed_dir, "clients")
    present = set(clients["municipality"].dropna().astype(str))
    orgs = schema.organisations()
    orgs = orgs[orgs["code"].isin(present)].sort_values("code")
    return list(zip(orgs["code"], orgs["slug"], orgs["name_fi"], strict=True))


def build_reports(
    processed_dir: str | os.PathLike[str],
    out_dir: str | os.PathLike[str],
    lang: str = "fi",
    jobs: int | None = None,
    *,
    notebooks_dir: str | os.PathLike[str] | None = None,
    progress: bool = True,
) -> Path:
    """Execute every notebook on the processed data, render the HTML reports and the index.

    Parameters
    ----------
    processed_dir : path
        Output of ``sosku prepare`` (must hold ``manifest.json``).
    out_dir : path
        Reports folder (created); see the module docstring for its layout.
    lang : {"fi", "en"}
        Language of the reports.
    jobs : int, optional
        Notebooks executed at once (worker processes, each with its own kernel); default the
        number of CPUs.
    notebooks_dir : path, optional
        Folder of the notebooks (default: ``notebooks/`` of the source tree).
    progress : bool
        Show a tqdm progress bar on stderr.

    Returns
    -------
    Path
        The ``index.html`` written.
    """
    from tqdm.auto import tqdm

    if lang not in labels.LANGUAGES:
        raise ConfigurationError(f"--lang must be one of {', '.join(labels.LANGUAGES)}, got {lang!r}")
    if jobs is not None and jobs < 1:
        raise ConfigurationError(f"--jobs must be at least 1, got {jobs}")
    processed = Path(processed_dir).resolve()
    manifest = read_manifest(processed)
    out = Path(out_dir).resolve()
    out.mkdir(parents=True, exist_ok=True)
    nb_dir = Path(notebooks_dir).resolve() if notebooks_dir else NOTEBOOKS_DIR
    munis = municipalities_in(processed)
    work = _jobs_for(processed, out, lang, nb_dir, munis)
    _check_parameters(work)

    workers = max(1, min(jobs or os.cpu_count() or 1, len(work)))
    results: dict[str, _Result] = {}
    # Longest first (national synthesis, then municipalities, then the two short reports), so
    # the pool is not left waiting on one long notebook at the end; stable within a kind.
    order = sorted(work, key=_expected_cost, reverse=True)
    env_backup = os.environ.get("PYTHONHASHSEED")
    os.environ["PYTHONHASHSEED"] = "0"  # kernels inherit it: set iteration order is fixed
    try:
        with ProcessPoolExecutor(max_workers=workers) as pool:
            futures = {pool.submit(_execute_and_render, j): j for j in order}
            with tqdm(total=len(futures), desc="sosku report", unit="notebook",
                      disable=not progress) as bar:
                for fut in as_completed(futures):
                    res = fut.result()
                    results[res.html_path] = res
                    bar.set_postfix_str(Path(res.html_path).name)
                    bar.update()
    finally:
        if env_backup is None:
            os.environ.pop("PYTHONHASHSEED", None)
        else:
            os.environ["PYTHONHASHSEED"] = env_backup

    client_ids = _client_ids(processed)
    for path in sorted([Path(p) for p in results] + list(out.rglob("*_tables/*.csv"))):
        check_published(path.read_text(encoding="utf-8"), client_ids,
                        where=str(path.relative_to(out)))

    index = out / "index.html"
    index.write_text(render_index(manifest, out, work, results, munis, lang), encoding="utf-8")
    return index


def _client_ids(processed: Path) -> set[str]:
    from soskulib import io as sio

    ids = sio.load_processed(processed, "clients")["client_id"]
    return set(ids.dropna().astype(str))


def render_index(manifest: dict[str, Any], out: Path, work: Sequence[_Job],
                 results: dict[str, _Result], munis: Sequence[tuple[str, str, str]],
                 lang: str) -> str:
    """The landing page: every report, a headline per municipality, build date, data checksum."""
    import jinja2

    from soskulib import __version__

    env = jinja2.Environment(
        loader=jinja2.FileSystemLoader(str(_template_dir() / "site")),
        autoescape=True, trim_blocks=True, lstrip_blocks=True, keep_trailing_newline=True,
    )
    by_path = {Path(j.html_path): j for j in work}

    def entry(path: Path) -> dict[str, Any]:
        res = results.get(str(path))
        return {"href": path.relative_to(out).as_posix(), "title": by_path[path].title,
                "headline": res.headline if res else None}

    municipal = []
    for code, slug, name in munis:
        e = entry(out / "municipalities" / f"{code}_{slug}.html")
        e["name"] = name
        e["code"] = code
        municipal.append(e)
    # The build date is the one deliberate difference between two builds (tables stay equal);
    # SOURCE_DATE_EPOCH pins it for reproducible builds.
    epoch = os.environ.get("SOURCE_DATE_EPOCH")
    built = (_dt.datetime.fromtimestamp(int(epoch), _dt.UTC) if epoch
             else _dt.datetime.now(_dt.UTC)).strftime("%Y-%m-%d %H:%M UTC")
    return env.get_template("index.html.j2").render(
        t=lambda key, **kw: labels.text(key, lang, **kw),
        lang=lang, css=report_css(), version=__version__, built=built,
        source=_source_text(manifest),
        checksum=data_checksum(manifest), synthetic=bool(manifest.get("synthetic", False)),
        national=entry(out / "national_synthesis.html"),
        supporting=[entry(out / "data_quality.html"), entry(out / "instruments.html")],
        municipalities=municipal,
    )


# =============================================================================================
# Loading and presentation helpers for the notebooks
# =============================================================================================


def load_tables(
    processed_dir: str | os.PathLike[str],
    municipality: str | None = None,
) -> dict[str, Any]:
    """Every processed table a report needs, for one municipality or nationally.

    Returns
    -------
    dict
        ``clients, contacts, goals, activities, quality, subprojects`` (DataFrames),
        ``responses`` (``{instrument id: responses table}``, empty tables left out) and
        ``export_date``: the latest date in the *national* clients and contacts, so a
        municipality's ongoing episodes are censored at the same date as in the national
        report.
    """
    from soskulib import io as sio
    from soskulib import schema

    def load(name: str, **kw: Any) -> pd.DataFrame:
        return sio.load_processed(processed_dir, name, municipality=municipality, **kw)

    out: dict[str, Any] = {name: load(name) for name in
                           ("clients", "contacts", "goals", "activities", "quality", "subprojects")}
    responses = {i: load(f"responses_{i}") for i in schema.ASSESSMENT_INSTRUMENTS}
    out["responses"] = {i: r for i, r in responses.items() if not r.empty}
    dates = [sio.load_processed(processed_dir, "clients", columns=[c])[c].max()
             for c in ("start_date", "end_date")]
    dates.append(sio.load_processed(processed_dir, "contacts", columns=["date"])["date"].max())
    out["export_date"] = max(d for d in dates if pd.notna(d))
    return out


def subproject_facts(subprojects: pd.DataFrame, rep: Report) -> str:
    """One sentence on a municipality's sub-project: name, planned clients, instruments."""
    if subprojects.empty:
        return rep.t("not_enough_data", what=rep.t("mu.context"))
    row = subprojects.iloc[0]
    planned = row.get("planned_clients")
    return rep.t("mu.context.facts", name=row.get("name", "–"),
                 planned="–" if pd.isna(planned) else int(planned),
                 instruments=row.get("instruments") if pd.notna(row.get("instruments")) else "–")


def traffic_light_table(lights: pd.DataFrame, lang: str = "fi") -> pd.DataFrame:
    """3X10D traffic-light shares (%) wide: life areas × (occasion · band), markers kept.

    ``lights`` is :func:`soskulib.evaluation.traffic_light_shares` output.
    """
    from soskulib import instruments, schema

    spec = instruments.get("3x10d")
    items = {i: spec.label(i, lang) for i in spec.items}
    occasions = {o: schema.label("occasion", o, lang) for o in schema.CODE_LABELS["occasion"]}
    bands = {b: labels.text(f"col.{b}", lang) for b in spec.traffic_lights}
    wide = spread(lights, "item", ["occasion", "band"], "share", scale=100,
                  labels_for={"item": items, "occasion": occasions, "band": bands})
    wide.index.name = labels.text("col.life_area", lang)
    return wide


def quality_change_table(changes: pd.DataFrame, lang: str = "fi") -> pd.DataFrame:
    """Change of each quality criterion's rating (first → last year), criteria × municipalities.

    ``changes`` is :func:`soskulib.evaluation.quality_change` output; municipality names in
    ``lang``. Not counts of people.
    """
    from soskulib import schema

    orgs = schema.organisations().set_index("code")[f"name_{labels.check_lang(lang)}"].to_dict()
    wide = spread(changes.assign(criterion_label=changes["criterion"].astype(str) + ". "
                                 + changes["criterion_label"]),
                  "criterion_label", "municipality", "change", labels_for={"municipality": orgs})
    wide.index.name = labels.text("col.criterion", lang)
    wide.columns.name = None
    return wide


def item_table(result: Any, instrument: Any, lang: str = "fi") -> pd.DataFrame:
    """Item analysis of one instrument with item labels in ``lang`` (rows) for publishing."""
    table = result.items.copy()
    table.index = [instrument.label(i, lang) for i in table.index]
    table.index.name = labels.text("col.item", lang)
    return table.reset_index()


def spread(table: pd.DataFrame, index: str | Sequence[str], columns: str | Sequence[str],
           values: str, *, scale: float = 1.0, labels_for: dict[str, Any] | None = None
           ) -> pd.DataFrame:
    """Pivot a tidy (possibly suppressed) table to a wide one for reading.

    Hidden cells keep the disclosure marker; ``scale`` multiplies visible values (100 for
    percentages); column labels of several ``columns`` are joined with " · ". ``labels_for``
    maps a column to a ``{code: label}`` dict applied before pivoting.

    Examples
    --------
    >>> t = pd.DataFrame({"item": ["a", "a"], "band": ["red", "green"], "share": [0.25, 0.75]})
    >>> spread(t, "item", "band", "share", scale=100).to_dict("index")
    {'a': {'red': 25.0, 'green': 75.0}}
    """
    from soskulib import disclosure

    idx = [index] if isinstance(index, str) else list(index)
    cols = [columns] if isinstance(columns, str) else list(columns)
    shown = table.copy()
    numeric = pd.to_numeric(shown[values], errors="coerce") * scale
    mask = disclosure.mask_column(values)
    if mask in shown.columns:
        shown[values] = numeric.astype(object).where(~shown[mask].astype(bool), disclosure.MARKER)
    else:
        shown[values] = numeric
    for col, mapping in (labels_for or {}).items():
        shown[col] = shown[col].map(lambda v, m=mapping: m.get(v, v))
    order = {c: list(dict.fromkeys(shown[c])) for c in idx + cols}
    wide = shown.pivot_table(index=idx, columns=cols, values=values, aggfunc="first",
                             sort=False)
    wide = wide.reindex(index=pd.MultiIndex.from_product([order[c] for c in idx]) if len(idx) > 1
                        else order[idx[0]])
    if len(cols) > 1:
        wide.columns = [" · ".join(map(str, c)) for c in wide.columns]
    else:
        wide = wide.reindex(columns=[c for c in order[cols[0]] if c in wide.columns])
    wide.index.names = idx
    # Columns without a hidden cell are numeric again (right-aligned, formatted).
    for col in wide.columns:
        if not (wide[col] == disclosure.MARKER).any():
            wide[col] = pd.to_numeric(wide[col])
    return wide


def psychometrics(processed_dir: str | os.PathLike[str], occasion: str = "baseline",
                  min_n: int = 20) -> tuple[pd.DataFrame, dict[str, Any]]:
    """Item analysis of every instrument at one occasion, next to the published values.

    :func:`soskulib.reliability.item_analysis` on the items of bounded response scales (the
    EQ VAS 0–100 is a separate rating, not an item of the profile), one response per client.

    Returns
    -------
    (DataFrame, dict)
        Summary ``instrument, name, n, alpha, alpha_ci_low, alpha_ci_high, omega,
        published_alpha, published_source`` and ``{instrument id: ReliabilityResult}``.
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
                     "published_source": inst.reliability.get("source", "–")})
    columns = ["instrument", "name", "n", "alpha", "alpha_ci_low", "alpha_ci_high", "omega",
               "published_alpha", "published_source"]
    return pd.DataFrame(rows, columns=columns), details


# =============================================================================================
# Data-quality summaries (00_data_quality)
# =============================================================================================


def rows_by_municipality(processed_dir: str | os.PathLike[str]) -> pd.DataFrame:
    """Processed rows per table (rows) and municipality (columns), zeros where none arrived.

    Row counts of tables, not counts of people: no suppression applies (the clients row
    counts client episodes and is published as such in the reach tables anyway).
    """
    from soskulib import io as sio
    from soskulib import schema

    counts = {}
    for table in schema.tables():
        try:
            frame = sio.load_processed(processed_dir, table.name, columns=["municipality"])
        except FileNotFoundError:
            continue
        counts[table.name] = frame["municipality"].value_counts()
    wide = pd.DataFrame(counts).T.fillna(0).astype("int64")
    wide = wide.reindex(columns=sorted(wide.columns))
    wide.index.name = "table"
    return wide


def reconciliation(manifest: dict[str, Any]) -> pd.DataFrame:
    """``rows_in, rows_out, rows_rejected`` per table from the manifest and whether they add up.

    Examples
    --------
    >>> reconciliation({"tables": {"clients": {"rows_in": 10, "rows_out": 9,
    ...                                        "rows_rejected": 1}}})
         table  rows_in  rows_out  rows_rejected  reconciles
    0  clients       10         9              1        True
    """
    tables = manifest.get("tables")
    if not isinstance(tables, dict):
        raise DataError("manifest.json has no 'tables' object; rerun `sosku prepare`")
    frame = pd.DataFrame.from_dict(tables, orient="index")
    missing = {"rows_in", "rows_out", "rows_rejected"} - set(frame.columns)
    if missing:
        raise DataError(f"manifest.json tables lack {', '.join(sorted(missing))}")
    frame = frame[["rows_in", "rows_out", "rows_rejected"]].astype("int64")
    frame["reconciles"] = frame["rows_in"] == frame["rows_out"] + frame["rows_rejected"]
    return frame.rename_axis("table").reset_index()


def problem_summary(processed_dir: str | os.PathLike[str]) -> pd.DataFrame:
    """Validation findings of ``problems.csv`` counted by file and column.

    Only locations are summarised, never the messages themselves (a message may quote a
    value). Returns an empty frame with the same columns when there were no findings.
    """
    path = Path(processed_dir) / "problems.csv"
    columns = ["file", "column", "problems"]
    if not path.is_file():
        return pd.DataFrame(columns=columns)
    problems = pd.read_csv(path, dtype=str, keep_default_na=False)
    if problems.empty:
        return pd.DataFrame(columns=columns)
    for col in ("file", "column"):
        if col not in problems.columns:
            problems[col] = "-"
    out = (problems.groupby(["file", "column"], sort=True).size().rename("problems")
           .reset_index().sort_values(["problems", "file", "column"],
                                      ascending=[False, True, True], kind="stable"))
    return out.reset_index(drop=True)


def reject_summary(processed_dir: str | os.PathLike[str]) -> pd.DataFrame:
    """Rejected rows by table and reason (``rejects/<table>.csv``; only ``reason`` is read)."""
    folder = Path(processed_dir) / "rejects"
    parts = []
    for path in sorted(folder.glob("*.csv")) if folder.is_dir() else []:
        reasons = pd.read_csv(path, usecols=lambda c: c == "reason", dtype=str,
                              keep_default_na=False)
        if "reason" not in reasons.columns or reasons.empty:
            continue
        # A reason may list several broken rules; the first one classifies the row.
        first = reasons["reason"].str.split(";").str[0].str.strip()
        counts = first.value_counts().rename("rows").rename_axis("reason").reset_index()
        counts.insert(0, "table", path.stem)
        parts.append(counts)
    if not parts:
        return pd.DataFrame(columns=["table", "reason", "rows"])
    out = pd.concat(parts, ignore_index=True)
    return out.sort_values(["table", "rows", "reason"], ascending=[True, False, True],
                           kind="stable").reset_index(drop=True)


def completeness(processed_dir: str | os.PathLike[str]) -> pd.DataFrame:
    """Per instrument, municipality and occasion: responses, items answered (%), scorable (%).

    "Scorable" applies the instrument's missing-item rule through :func:`soskulib.scoring.score`
    (the headline scale of the instrument; for 3X10D, its ``life_overall`` item).
    """
    from soskulib import instruments, schema, scoring
    from soskulib import io as sio

    parts = []
    for inst_id in schema.ASSESSMENT_INSTRUMENTS:
        inst = instruments.get(inst_id)
        try:
            resp = sio.load_processed(processed_dir, f"responses_{inst_id}")
        except FileNotFoundError:
            continue
        if resp.empty:
            continue
        scored = scoring.score(resp, inst, keep=["municipality", "occasion"])
        headline = inst.headline if inst.headline in scored.columns else scored.columns[-1]
        frame = pd.DataFrame({
            "instrument": inst.name,
            "municipality": resp["municipality"],
            "occasion": resp["occasion"],
            "answered": resp[list(inst.items)].notna().mean(axis=1),
            "scorable": scored[headline].notna(),
        })
        g = frame.groupby(["instrument", "municipality", "occasion"], sort=True)
        parts.append(pd.DataFrame({
            "responses": g.size(),
            "items_answered_pct": 100 * g["answered"].mean(),
            "scorable_pct": 100 * g["scorable"].mean(),
        }).reset_index())
    if not parts:
        return pd.DataFrame(columns=["instrument", "municipality", "occasion", "responses",
                                     "items_answered_pct", "scorable_pct"])
    out = pd.concat(parts, ignore_index=True)
    order = {occ: i for i, occ in enumerate(("baseline", "end", "followup"))}
    out["_o"] = out["occasion"].map(order)
    return (out.sort_values(["instrument", "municipality", "_o"], kind="stable")
            .drop(columns="_o").reset_index(drop=True))


def completeness_figure(comp: pd.DataFrame, lang: str = "fi") -> Any:
    """Heat map of the scorable share (%) by instrument × occasion and municipality."""
    import matplotlib.pyplot as plt
    import numpy as np

    from soskulib import schema

    labels.check_lang(lang)
    if comp.empty:
        raise ValueError("no instrument responses to plot")
    comp = comp.assign(row=comp["instrument"] + " · " + comp["occasion"].map(
        lambda o: schema.label("occasion", o, lang)))
    grid = comp.pivot_table(index="row", columns="municipality", values="scorable_pct",
                            sort=False)
    fig, ax = plt.subplots(figsize=(1.2 + 0.75 * grid.shape[1], 0.9 + 0.38 * grid.shape[0]))
    image = ax.imshow(grid.to_numpy(dtype=float), cmap="cividis", vmin=0, vmax=100,
                      aspect="auto")
    ax.set_xticks(range(grid.shape[1]), grid.columns)
    ax.set_yticks(range(grid.shape[0]), grid.index)
    ax.grid(False)
    for (i, j), value in np.ndenumerate(grid.to_numpy(dtype=float)):
        if not np.isnan(value):
            ax.text(j, i, f"{value:.0f}", ha="center", va="center", fontsize=8,
                    color="black" if value > 55 else "white")
    ax.set_xlabel(labels.text("col.municipality", lang))
    fig.colorbar(image, ax=ax, label=labels.text("col.scorable", lang), shrink=0.8)
    return fig


# =============================================================================================
# Report charts (generic; domain figures live in soskulib.plots / soskulib.meta)
# =============================================================================================

#: Okabe–Ito palette (colour-blind safe), in the order used by :func:`setup_plotting`.
OKABE_ITO = ("#0072B2", "#E69F00", "#009E73", "#CC79A7", "#56B4E9", "#D55E00", "#F0E442",
             "#000000")
#: Traffic-light colours that stay distinguishable for red–green colour blindness.
TRAFFIC_COLOURS = {"red": "#D55E00", "yellow": "#F0E442", "green": "#009E73"}


def ci_chart(data: pd.DataFrame, label: str, estimate: str, low: str, high: str, *,
             group: str | None = None, xlabel: str = "", refline: float | None = 0.0) -> Any:
    """Dot-and-whisker chart of estimates with intervals, one row per ``label`` (× ``group``).

    Rows with a missing estimate are skipped (e.g. suppressed or too few pairs).
    """
    import matplotlib.pyplot as plt
    import numpy as np

    data = data.dropna(subset=[estimate, low, high])
    rows = list(dict.fromkeys(data[label]))
    groups = list(dict.fromkeys(data[group])) if group else [None]
    height = 0.9 + 0.42 * len(rows) * max(1, len(groups)) ** 0.6
    fig, ax = plt.subplots(figsize=(7.5, height))
    offsets = np.linspace(-0.25, 0.25, len(groups)) if len(groups) > 1 else [0.0]
    markers = "osD^v<>"
    for k, (g, off) in enumerate(zip(groups, offsets, strict=True)):
        part = data if g is None else data[data[group] == g]
        y = np.array([rows.index(v) for v in part[label]], dtype=float) + off
        x = part[estimate].to_numpy(dtype=float)
        err = np.vstack([x - part[low].to_numpy(dtype=float),
                         part[high].to_numpy(dtype=float) - x])
        ax.errorbar(x, y, xerr=err, fmt=markers[k % len(markers)], capsize=3,
                    color=OKABE_ITO[k % len(OKABE_ITO)], label=None if g is None else str(g))
    if refline is not None:
        ax.axvline(refline, color="0.3", lw=0.8, ls="--")
    ax.set_yticks(range(len(rows)), rows)
    ax.invert_yaxis()
    ax.set_xlabel(xlabel)
    if group:
        ax.legend(frameon=False, loc="best", fontsize=8)
    return fig


def bar_chart(data: pd.DataFrame, category: str, value: str, *, group: str | None = None,
              xlabel: str = "", horizontal: bool = True, limit: tuple[float, float] | None = None
              ) -> Any:
    """Grouped bar chart (horizontal by default, readable long Finnish labels)."""
    import matplotlib.pyplot as plt
    import numpy as np

    cats = list(dict.fromkeys(data[category]))
    groups = list(dict.fromkeys(data[group])) if group else [None]
    width = 0.8 / len(groups)
    size = 0.8 + 0.32 * len(cats) * max(1, len(groups)) ** 0.5
    fig, ax = plt.subplots(figsize=(7.5, size) if horizontal else (7.5, 4.2))
    for k, g in enumerate(groups):
        part = data if g is None else data[data[group] == g]
        pos = np.array([cats.index(c) for c in part[category]]) + (k - (len(groups) - 1) / 2) * width
        vals = part[value].to_numpy(dtype=float)
        kw = {"color": OKABE_ITO[k % len(OKABE_ITO)], "label": None if g is None else str(g)}
        if horizontal:
            ax.barh(pos, vals, height=width, **kw)
        else:
            ax.bar(pos, vals, width=width, **kw)
    if horizontal:
        ax.set_yticks(range(len(cats)), cats)
        ax.invert_yaxis()
        ax.set_xlabel(xlabel)
        if limit:
            ax.set_xlim(*limit)
        ax.grid(axis="y", visible=False)
    else:
        ax.set_xticks(range(len(cats)), cats, rotation=30, ha="right")
        ax.set_ylabel(xlabel)
        if limit:
            ax.set_ylim(*limit)
    if group:
        ax.legend(frameon=False, fontsize=8)
    return fig


def run_chart_figure(periods: Sequence[Any], chart: Any, *, ylabel: str = "") -> Any:
    """Plot a :func:`soskulib.spc.run_chart` result: points, median, signalling points marked."""
    import matplotlib.pyplot as plt
    import numpy as np

    pts = chart.points
    x = np.arange(len(pts))
    fig, ax = plt.subplots(figsize=(7.5, 3.4))
    ax.plot(x, pts["value"], marker="o", ms=4, color=OKABE_ITO[0], lw=1.2)
    sig = pts["signal"].to_numpy(dtype=bool)
    ax.plot(x[sig], pts["value"].to_numpy()[sig], "D", ms=6, mfc="none", color=OKABE_ITO[5],
            label="signal")
    ax.plot(x, pts["centre"], ls="--", color="0.35", lw=1)
    step = max(1, len(x) // 10)
    ax.set_xticks(x[::step], [str(p) for p in list(periods)[::step]], rotation=30, ha="right")
    ax.set_ylabel(ylabel)
    return fig


def _source_text(manifest: dict[str, Any]) -> str:
    """Where the data came from, as far as the manifest says."""
    parts = [str(manifest.get("source") or manifest.get("raw_dir") or "")]
    inputs = manifest.get("inputs")
    if isinstance(inputs, list):
        parts.append(f"{len(inputs)} input file(s)")
    if manifest.get("created_by"):
        parts.append(f"prepared by {manifest['created_by']}")
    if manifest.get("synthetic"):
        parts.append("synthetic demo")
    return ", ".join(p for p in parts if p) or "-"
