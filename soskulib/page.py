"""The report page a notebook writes: parameters, tables read, numbered sections, tables, figures.

Each report notebook starts with :func:`start`, which checks the papermill parameters, sets
deterministic plotting defaults and returns a :class:`Report`. The :class:`Report` numbers
sections, tables and figures, writes every table as CSV beside the page, suppresses small
counts of people through :mod:`soskulib.disclosure` and embeds figures as PNG (no date
metadata, so two builds give identical bytes). :func:`load_tables` reads the processed tables
a page needs. Building the whole site from the notebooks is :mod:`soskulib.site`; the HTML of
tables and pages is :mod:`soskulib.rendering`.
"""

from __future__ import annotations

import base64
import hashlib
import html
import io
import json
import numbers
import os
import re
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import pandas as pd

from soskulib import formatting, labels
from soskulib.checks import require_columns
from soskulib.disclosure import MIN_CELL
from soskulib.errors import ConfigurationError
from soskulib.rendering import style_table

__all__ = ["Report", "start", "validate_parameters", "read_manifest", "data_checksum",
           "setup_plotting", "load_tables"]


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


def _is_pvalue_column(name: object) -> bool:
    """Whether a result column holds p-values (``pval``, ``q_pval``, ``p``, ...)."""
    text = str(name)
    return text in ("p", "pval", "p_value") or text.endswith("_pval")


#: zlib level of the embedded PNGs. Level 2 encodes the demo build's 122 figures in about two
#: thirds of the CPU time of Pillow's default 6; together with leaving out the alpha channel of
#: an opaque figure the pages still get about 7 % lighter (6.8 → 6.3 MB of PNG).
PNG_COMPRESS_LEVEL = 2


def _png(fig: Any, dpi: int) -> bytes:
    """PNG bytes of a matplotlib figure at ``dpi``, without ``Software``/date metadata.

    A figure with constrained layout already fits its labels and legends, so it is saved as
    drawn (cropping it to the tight bounding box would lay it out twice). ``savefig`` draws
    such a figure twice too: once, without output, to run the layout, and once more to
    render it. One Agg draw runs the layout and renders in the same pass, and its buffer is
    encoded directly: as RGB when the figure is opaque (every report figure: the alpha
    channel would only add bytes), at zlib level :data:`PNG_COMPRESS_LEVEL`. Any other
    figure (no layout engine, another canvas or non-default ``savefig.*`` colours) is
    cropped to its tight bounding box by ``savefig`` (RGBA, same zlib level). Either way
    the pixels are those ``savefig`` draws, and the same figure always gives the same bytes.

    Examples
    --------
    >>> import matplotlib
    >>> matplotlib.use("Agg")
    >>> import matplotlib.pyplot as plt
    >>> import numpy as np
    >>> from PIL import Image
    >>> def drawn():
    ...     fig, ax = plt.subplots(figsize=(3, 2), layout="constrained")
    ...     ax.plot([0, 1], [1, 0], label="a")
    ...     ax.legend()
    ...     return fig
    >>> one, two = drawn(), drawn()
    >>> saved = io.BytesIO()
    >>> two.savefig(saved, format="png", dpi=90, metadata={"Software": None})
    >>> ours, theirs = Image.open(io.BytesIO(_png(one, 90))), Image.open(saved)
    >>> ours.mode, np.array_equal(np.asarray(ours), np.asarray(theirs.convert("RGB")))
    ('RGB', True)
    >>> plt.close("all")
    """
    import matplotlib as mpl
    import numpy as np
    from matplotlib.backends.backend_agg import FigureCanvasAgg
    from matplotlib.layout_engine import ConstrainedLayoutEngine
    from PIL import Image

    buf = io.BytesIO()
    one_pass = (isinstance(fig.get_layout_engine(), ConstrainedLayoutEngine)
                and isinstance(fig.canvas, FigureCanvasAgg)
                and all(str(mpl.rcParams[f"savefig.{key}"]) == "auto"
                        for key in ("facecolor", "edgecolor"))
                and not mpl.rcParams["savefig.transparent"])
    if not one_pass:
        constrained = isinstance(fig.get_layout_engine(), ConstrainedLayoutEngine)
        fig.savefig(buf, format="png", dpi=dpi, bbox_inches=None if constrained else "tight",
                    metadata={"Software": None},
                    pil_kwargs={"compress_level": PNG_COMPRESS_LEVEL})
        return buf.getvalue()
    if fig.dpi != dpi:
        fig.set_dpi(dpi)
    FigureCanvasAgg.draw(fig.canvas)
    rgba = np.asarray(fig.canvas.buffer_rgba())
    pixels = rgba[..., :3] if bool((rgba[..., 3] == 255).all()) else rgba
    # As matplotlib.image.imsave writes it (pHYs from the dpi, no text chunks).
    Image.fromarray(pixels).save(buf, format="png", dpi=(fig.dpi, fig.dpi),
                                 compress_level=PNG_COMPRESS_LEVEL)
    return buf.getvalue()


def _plain_table(table: pd.DataFrame, index: bool) -> str:
    """A table's ``text/plain`` form (shown where a notebook cannot show HTML): a header row
    and one tab-separated line per row, each cell as ``str`` (hidden cells as their marker).

    Examples
    --------
    >>> _plain_table(pd.DataFrame({"kunta": ["Vantaa"], "n": [12]}), index=False)
    'kunta\\tn\\nVantaa\\t12'
    """
    frame = table.reset_index() if index else table
    lines = ["\t".join(map(str, frame.columns))]
    lines += ["\t".join(map(str, row)) for row in frame.itertuples(index=False, name=None)]
    return "\n".join(lines)


def _notes_html(notes: list[str]) -> str:
    """The notes under a table or a figure, as escaped HTML paragraphs (one style for both).

    Examples
    --------
    >>> _notes_html(["Alle 5 <henkilöä>"])
    '<p class="sosku-tablenote">Alle 5 &lt;henkilöä&gt;</p>'
    """
    return "".join(f'<p class="sosku-tablenote">{html.escape(n)}</p>' for n in notes)


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
        Where :meth:`table` writes its CSV downloads, an Excel variant and a machine-readable
        one per table (:mod:`soskulib.downloads`; created on first use). ``None`` (interactive
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
    _published: dict[str, pd.DataFrame] = field(default_factory=dict)
    last_heading: str = ""

    def __post_init__(self) -> None:
        labels.check_lang(self.lang)

    # -- text ----------------------------------------------------------------------------------
    def t(self, key: str, **fields: object) -> str:
        """The report string ``key`` in this report's language (see :mod:`soskulib.labels`).

        Numbers among ``fields`` are written in the page's style
        (:func:`soskulib.formatting.cell`: "35 275 riviä", "0,35").

        Examples
        --------
        >>> Report("fi", display=False).t("dq.headline", rows=35275, rejected=12, problems=3)
        '35\xa0275 riviä käsitelty, 12 hylätty, 3 tarkistushavaintoa.'
        """
        shown = {k: formatting.cell(v, self.lang) if isinstance(v, numbers.Number) else v
                 for k, v in fields.items()}
        return labels.text(key, self.lang, **shown)

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
                # The reports' one order of the list (schema.display_order: women, men,
                # other) rather than the alphabetical order of the translated labels, which
                # differs between the languages; only categories present.
                present = set(out[col].dropna())
                order = schema.in_display_order(code_list, present)
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
        free_text: Sequence[str] = (),
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
            Decimals shown for floats (the Excel download rounds likewise; the machine-readable
            CSV keeps full precision, see :mod:`soskulib.downloads`).
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
        free_text : list of str
            Columns of free text from the data (descriptions, themes, group names): on an
            English page they are translated where the text is our own vocabulary and
            otherwise marked as recorded in Finnish (:func:`soskulib.labels.data_text`).

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
        pvalues: list[int] = []
        if isinstance(df, disclosure.CrossTab):
            suppressed = bool(df.suppressed.to_numpy().any())
            published = df.display()
            published = published.rename(index={"total": self.t("total")},
                                         columns={"total": self.t("total")})
            # display() writes the counts as text; on the page they are numbers like those of
            # every other table ("1 322", not "1322"). The CSVs keep display()'s text.
            on_page = published.map(lambda v: int(v) if isinstance(v, str) and v.isdigit() else v)
            for axis in (published.index, published.columns):
                if isinstance(axis.name, str) and f"col.{axis.name}" in labels.STRINGS:
                    axis.name = self.t(f"col.{axis.name}")
            index = True
        elif isinstance(df, pd.DataFrame):
            published = df.copy()
            if columns is not None:
                require_columns(published, columns, "Report.table", "columns= names its columns")
                masks = [disclosure.mask_column(c) for c in columns
                         if disclosure.mask_column(c) in published.columns]
                published = published[[*columns, *masks]]
            for col in percent:
                published[col] = 100 * pd.to_numeric(published[col])
            for col in published.columns:  # years and quarters are labels, not quantities
                if str(col).endswith("year"):
                    published[col] = published[col].astype(str)
                elif str(col) == "quarter" or str(col).endswith("_quarter"):
                    published[col] = formatting.quarters(published[col], self.lang)
            if counts:
                require_columns(published, counts, "Report.table", "counts= names its columns")
                published = disclosure.suppress_table(published, list(counts), along=along,
                                                      derived=derived, min_cell=self.min_cell)
                if not disclosure.is_protected(published, counts, self.min_cell):
                    raise ValueError(f"table {name!r} still shows counts under {self.min_cell}")
            masks = [c for c in published.columns if str(c).endswith(disclosure.MASK_SUFFIX)]
            suppressed = bool(masks) and bool(published[masks].to_numpy().any())
            if masks:
                published = disclosure.display(published)
            pvalues = [j for j, c in enumerate(published.columns) if _is_pvalue_column(c)]
            require_columns(published, free_text, "Report.table", "free_text= names its columns")
            for col in free_text:
                published[col] = published[col].map(lambda v: labels.data_text(v, self.lang))
            published = self.relabel(published, codes=codes, columns=headers)
            on_page = published
        else:
            raise TypeError(f"table() needs a DataFrame or CrossTab, got {type(df).__name__}")
        self._names.add(name)
        self._published[name] = published.reset_index() if index else published
        caption_text = self.caption("table", caption)
        link = ""
        if self.tables_dir is not None:
            from soskulib import downloads

            folder = Path(self.tables_dir)
            files = downloads.write_table(published, folder, name, lang=self.lang,
                                          digits=digits, index=index)
            link = " " + " ".join(
                f'<a class="sosku-csv" href="{html.escape(folder.name + "/" + files[kind].name)}" '
                f'title="{html.escape(self.t(f"download.{kind}.title"))}" download>'
                f"[{html.escape(self.t(f'download.{kind}'))}]</a>"
                for kind in ("excel", "machine"))
        notes = []
        if suppressed:
            notes.append(self.t("suppressed_note", k=self.min_cell, marker=disclosure.MARKER))
        if note:
            notes.append(note)
        foot = _notes_html(notes)
        body = (f'<figure class="sosku-table" id="{_slug("t-" + name)}">'
                f"<figcaption>{html.escape(caption_text)}{link}</figcaption>"
                f"{style_table(on_page, self.lang, digits, index, uid=name, pvalues=pvalues)}"
                f"{foot}</figure>")
        self._show(body, f"{caption_text}\n{_plain_table(published, index)}")

    # -- figures -------------------------------------------------------------------------------
    def figure(self, fig: Any, caption: str, *, alt: str | None = None, dpi: int = 110,
               check: Any = None) -> None:
        """Show a matplotlib figure as an embedded PNG with a numbered caption; close it.

        The PNG is written without ``Software``/date metadata so that two builds give identical
        bytes, and is embedded (base64) so the report works offline.

        ``check`` says what the figure is drawn from: an :class:`soskulib.audit.FigureCheck`
        (a protected table, or the name of a table published earlier on the page, and what
        of it the figure draws), a list of them (a figure drawing two things, e.g. a forest
        plot's estimates and its column of ``n``), or :data:`soskulib.audit.NOT_ABOUT_PEOPLE`. A figure with a
        check is read back from its artists before it is saved, and the build stops if it
        draws a value its table hides or leaves out one the table shows
        (:func:`soskulib.audit.figure_findings`). The ``<figure>`` element records the
        source in ``data-drawn-from``.

        Raises
        ------
        ValueError
            If the figure disagrees with its table.
        """
        import matplotlib.pyplot as plt

        from soskulib import audit

        drawn_from = ""
        checks = list(check) if isinstance(check, (list, tuple)) else [check]
        if checks and all(isinstance(c, audit.FigureCheck) for c in checks):
            sources = []
            for one in checks:
                problems = audit.figure_findings(fig, self._checked_source(one), self._published)
                if problems:
                    plt.close(fig)
                    raise ValueError(f"figure {caption!r} disagrees with its table: "
                                     f"{'; '.join(problems)}")
                source = one.source if isinstance(one.source, str) else "protected-table"
                sources += [] if source in sources else [source]
            drawn_from = " ".join(sources)
        elif check == audit.NOT_ABOUT_PEOPLE:
            drawn_from = audit.NOT_ABOUT_PEOPLE
        elif check is not None:
            raise TypeError("check must be an audit.FigureCheck (or a list of them) or "
                            "audit.NOT_ABOUT_PEOPLE")
        notes = self._hidden_notes(fig)
        png = _png(fig, dpi)
        plt.close(fig)
        data = base64.b64encode(png).decode("ascii")
        caption_text = self.caption("figure", caption)
        source = f' data-drawn-from="{html.escape(drawn_from)}"' if drawn_from else ""
        foot = _notes_html(notes)
        body = (f'<figure class="sosku-figure"{source}><img src="data:image/png;base64,{data}" '
                f'alt="{html.escape(alt or caption)}"><figcaption>{html.escape(caption_text)}'
                f"</figcaption>{foot}</figure>")
        self._show(body, caption_text)

    def _hidden_notes(self, fig: Any) -> list[str]:
        """What a figure hides and why, when it shows hidden values at all.

        A hatched "suppressed" legend entry (:func:`soskulib.plots.suppressed_legend_patch`)
        or a cell marked with the disclosure marker holds more than the small groups: also
        the values hidden so that a small one cannot be computed from the rest. The figure's
        legend can only say "suppressed"; the note under it says both, as a table's does.

        Examples
        --------
        >>> import matplotlib
        >>> matplotlib.use("Agg")
        >>> import matplotlib.pyplot as plt
        >>> from soskulib import plots
        >>> fig, ax = plt.subplots()
        >>> _ = ax.legend(handles=[plots.suppressed_legend_patch("en")])
        >>> Report("en", display=False)._hidden_notes(fig)[0][:42]
        'Hatched = suppressed: values of fewer than'
        >>> plt.close(fig)
        """
        from soskulib import disclosure

        hatched = self.t("plot.suppressed", k=self.min_cell)
        legends = [ax.get_legend() for ax in fig.axes] + list(fig.legends)
        entries = {t.get_text() for legend in legends if legend is not None for t in legend.get_texts()}
        marked = any(t.get_text() == disclosure.MARKER for ax in fig.axes for t in ax.texts)
        notes = []
        if hatched in entries:
            notes.append(self.t("figure_hatched_note", k=self.min_cell))
        if marked:
            notes.append(self.t("figure_marker_note", k=self.min_cell, marker=disclosure.MARKER))
        return notes

    def _checked_source(self, check: Any) -> Any:
        """A check naming a published table, with the column and row values as published."""
        from dataclasses import replace

        if not isinstance(check.source, str):
            return check
        column = check.column
        if column is not None and f"col.{column}" in labels.STRINGS:
            column = self.t(f"col.{column}")
        where = {(self.t(f"col.{k}") if f"col.{k}" in labels.STRINGS else k): v
                 for k, v in (check.where or {}).items()}
        return replace(check, column=column, where=where or None)

    def plot(self, func: Any, *args: Any, caption: str, check: Any = None, **kwargs: Any) -> None:
        """Draw ``func(*args, **kwargs)`` (a :mod:`soskulib.plots` function) as a figure.

        When the data are too small for the figure (every value suppressed or missing:
        :class:`soskulib.plots.NothingToPlot`) a short note replaces it, so a small
        municipality's report still builds. Other errors propagate. ``check``: see
        :meth:`figure`.
        """
        from soskulib import plots

        try:
            drawn = func(*args, **kwargs)
        except plots.NothingToPlot:
            self.paragraph(self.t("not_enough_data", what=caption), kind="note")
            return
        self.figure(getattr(drawn, "figure", drawn), caption, check=check)

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
        # Titles sit on the top edge of their axes, as matplotlib places them when no tick
        # labels are on top (none of the reports' figures has any). With the default
        # (None) every draw and every layout pass measures the y axis again to place them.
        "axes.titley": 1.0,
        # Names from data are shown as written: "$" never starts a formula (see
        # formatting.literal); the reports' own labels use Unicode, not mathtext.
        "text.parse_math": False,
        # Okabe–Ito: distinguishable under the common colour-vision deficiencies.
        "axes.prop_cycle": mpl.cycler(color=[
            "#0072B2", "#E69F00", "#009E73", "#CC79A7", "#56B4E9", "#D55E00", "#F0E442",
            "#000000"]),
    })


#: What :func:`publication_population` and :func:`load_tables` compute from the national
#: tables, by processed folder and the state of its files. A build runs its notebooks one
#: after another in one kernel per worker (:mod:`soskulib.site`), and every page needs the
#: same national results; the key changes whenever a file of the folder does.
_NATIONAL: dict[tuple[str, str, str], Any] = {}


def _national(processed_dir: str | os.PathLike[str], what: str, compute: Any) -> Any:
    """``compute()``, remembered for this processed folder as long as none of its files change.

    Examples
    --------
    >>> import tempfile
    >>> folder = Path(tempfile.mkdtemp())
    >>> calls = []
    >>> def compute():
    ...     calls.append(1)
    ...     return len(calls)
    >>> _ = (folder / "clients.parquet").write_bytes(b"1")
    >>> _national(folder, "x", compute), _national(folder, "x", compute)
    (1, 1)
    >>> _ = (folder / "clients.parquet").write_bytes(b"12")   # the data changed
    >>> _national(folder, "x", compute)
    2
    """
    root = Path(processed_dir).resolve()
    files = sorted(root.rglob("*"))
    state = hashlib.sha256("\n".join(
        f"{f.relative_to(root)}\t{f.stat().st_size}\t{f.stat().st_mtime_ns}"
        for f in files if f.is_file()).encode("utf-8")).hexdigest()
    key = (str(root), what, state)
    if key not in _NATIONAL:
        for old in [k for k in _NATIONAL if k[:2] == key[:2]]:
            del _NATIONAL[old]
        _NATIONAL[key] = compute()
    return _NATIONAL[key]


def publication_population(processed_dir: str | os.PathLike[str]) -> Any:
    """The site's publication population (:func:`soskulib.disclosure.publication_population`).

    Computed from the national clients and assessments, so every page leaves out the same
    people (``docs/disclosure.md``). It is computed once per processed folder and process
    (:func:`_national`); each call returns its own copy.
    """
    from soskulib.disclosure import PublicationPopulation

    population = _national(processed_dir, "population",
                           lambda: _publication_population(processed_dir))
    return PublicationPopulation(population.clients.copy(), population.excluded.copy(),
                                 population.split)


def _publication_population(processed_dir: str | os.PathLike[str]) -> Any:
    from soskulib import disclosure, schema
    from soskulib import io as sio

    clients = sio.load_processed(processed_dir, "clients",
                                 columns=["municipality", "client_id", "gender"])
    responses = {}
    for inst_id in schema.ASSESSMENT_INSTRUMENTS:
        try:
            responses[inst_id] = sio.load_processed(
                processed_dir, f"responses_{inst_id}",
                columns=["municipality", "client_id", "occasion"])
        except FileNotFoundError:
            continue
    return disclosure.publication_population(clients, responses)


def load_tables(
    processed_dir: str | os.PathLike[str],
    municipality: str | None = None,
    *,
    publication: bool = True,
) -> dict[str, Any]:
    """Every processed table a report needs, for one municipality or nationally.

    With ``publication=True`` (the default) the tables hold the site's publication
    population (:func:`publication_population`): people of a small category that is not the
    point of a split are left out, on every page alike.

    Returns
    -------
    dict
        ``clients, contacts, goals, activities, quality, subprojects, experiments,
        group_sessions`` (DataFrames),
        ``responses`` (``{instrument id: responses table}``, empty tables left out) and
        ``export_date``: the latest date in the *national* clients and contacts, so a
        municipality's ongoing episodes are censored at the same date as in the national
        report.
    """
    from soskulib import io as sio
    from soskulib import schema

    names = ("clients", "contacts", "goals", "activities", "quality", "subprojects",
             "experiments", "group_sessions",
             *(f"responses_{i}" for i in schema.ASSESSMENT_INSTRUMENTS))
    if municipality is None:
        tables = {name: sio.load_processed(processed_dir, name) for name in names}
    else:
        # A build runs a kernel's pages one after another: the national tables are read once
        # (per processed folder and state of its files) and every page takes its own rows,
        # in the order, dtypes and index load_processed(municipality=...) gives them.
        national = _national(processed_dir, "tables",
                             lambda: {name: sio.load_processed(processed_dir, name)
                                      for name in names})
        tables = {}
        for name, table in national.items():
            codes = sio.municipality_codes(municipality, table["municipality"].unique())
            rows = table["municipality"].isin(codes).to_numpy()
            tables[name] = table.loc[rows].reset_index(drop=True)
    out: dict[str, Any] = {name: tables[name] for name in names[:8]}
    responses = {i: tables[f"responses_{i}"] for i in schema.ASSESSMENT_INSTRUMENTS}
    out["responses"] = {i: r for i, r in responses.items() if not r.empty}
    if publication:
        population = publication_population(processed_dir)
        for name in ("clients", "contacts", "goals"):
            out[name] = population.keep(out[name])
        out["responses"] = {i: population.keep(r) for i, r in out["responses"].items()}
    out["export_date"] = _national(processed_dir, "export_date",
                                   lambda: _export_date(processed_dir))
    return out


def _export_date(processed_dir: str | os.PathLike[str]) -> pd.Timestamp:
    """The latest date in the national clients and contacts."""
    from soskulib import io as sio

    dates = [sio.load_processed(processed_dir, "clients", columns=[c])[c].max()
             for c in ("start_date", "end_date")]
    dates.append(sio.load_processed(processed_dir, "contacts", columns=["date"])["date"].max())
    return max(d for d in dates if pd.notna(d))
