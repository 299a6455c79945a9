"""Provenance of published numbers: the code, environment, data, settings and key behind a page.

A report is cited and revisited years later ("why did our figure change?"), so every rendered
page and both manifests (``data/processed/manifest.json`` of :mod:`soskulib.prepare`,
``reports/manifest.json`` of the site build) say what produced them:

* **code**: the git commit of the source tree and whether tracked files differed from it
  (``"unknown"`` outside a git checkout, e.g. an unpacked tarball; a ``git archive`` tarball
  carries its commit in ``.git_archival.txt``);
* **environment**: the Python version, the versions of the packages that compute or draw the
  numbers (:data:`KEY_PACKAGES`), and whether the installed packages are exactly those pinned in
  ``requirements.lock`` (with the lock file's SHA-256);
* **data**: the checksum of the processed data's inputs (:func:`soskulib.page.data_checksum`);
* **reporting settings that change numbers** (:func:`reporting_settings`): the disclosure
  threshold and policy, the minimum number of complete pairs for a municipality's result in the
  synthesis, the :class:`~soskulib.process.FidelityRule` thresholds and the language;
* **pseudonymisation key**: a fingerprint (:func:`soskulib.pseudonym.key_fingerprint`, a keyed
  hash of a constant text), never the key;
* **how to reproduce**: the command that rebuilds the page (:func:`reproduce_command`).

Nothing here depends on the time or the machine's paths, so two builds of the same commit,
lock and data carry the same provenance; only the build time differs, and
``SOURCE_DATE_EPOCH`` pins that too (:func:`build_time`).

Examples
--------
>>> from soskulib import provenance
>>> prov = provenance.collect(data_checksum="0" * 64, key_fingerprint=None, lang="en")
>>> sorted(prov.as_dict())[:4]
['built', 'code', 'data', 'environment']
>>> prov.settings["disclosure"]["min_cell"]
5
"""

from __future__ import annotations

import dataclasses
import datetime as _dt
import hashlib
import html
import importlib.metadata
import inspect
import json
import os
import platform
import re
import subprocess
from pathlib import Path
from typing import Any

import soskulib
from soskulib import labels

__all__ = [
    "BUILT_ELEMENT",
    "KEY_PACKAGES",
    "LOCK_FILE",
    "UNKNOWN",
    "Provenance",
    "build_time",
    "built_html",
    "code_state",
    "collect",
    "compare_builds",
    "environment",
    "lock_pins",
    "reporting_settings",
    "reproduce_command",
    "site_manifest",
    "write_site_manifest",
]

#: Packages whose version can change a published number or figure, shown on every page. The
#: manifest's ``environment.lock`` entry covers the others (every installed package is compared
#: with ``requirements.lock``).
KEY_PACKAGES: tuple[str, ...] = (
    "numpy", "pandas", "scipy", "statsmodels", "matplotlib", "seaborn", "pyarrow", "duckdb",
    "nbconvert",
)
#: The runtime lock file (exact versions with hashes), relative to the source tree.
LOCK_FILE = "requirements.lock"
#: What is shown when a fact cannot be established (no git, no lock file, ...).
UNKNOWN = "unknown"

SOURCE_ROOT = Path(soskulib.__file__).resolve().parents[1]
_ARCHIVAL = ".git_archival.txt"
_HEX40 = re.compile(r"^[0-9a-f]{40}$")
_PIN = re.compile(r"^([A-Za-z0-9][A-Za-z0-9_.\-]*)==([^\s;\\]+)", re.MULTILINE)



@dataclasses.dataclass(frozen=True)
class Provenance:
    """Everything a page says about how it was produced (see the module docstring).

    Attributes
    ----------
    commit : str
        Full git commit of the source tree, or ``"unknown"``.
    tree_modified : bool or None
        Whether tracked files differed from ``commit`` (``None``: unknown).
    soskulib_version : str
    python : str
        Python version, e.g. ``"3.11.7"``.
    packages : dict
        ``{name: version}`` of :data:`KEY_PACKAGES` (``"not installed"`` where absent).
    lock : dict
        ``{"file", "sha256", "matches", "differences"}``: the installed environment compared
        with ``requirements.lock`` (``sha256`` ``"unknown"`` and ``matches`` ``None`` when the
        lock file is not there, as in an installed wheel).
    data_checksum : str
        SHA-256 identifying the processed data's inputs.
    key_fingerprint : str or None
        Fingerprint of the pseudonymisation key, ``None`` when no key was used.
    settings : dict
        :func:`reporting_settings`.
    synthetic : bool
        Whether the data are the synthetic demo (changes the reproduce command).
    built : str
        Build time, ``YYYY-MM-DD HH:MM UTC``.
    """

    commit: str
    tree_modified: bool | None
    soskulib_version: str
    python: str
    packages: dict[str, str]
    lock: dict[str, Any]
    data_checksum: str
    key_fingerprint: str | None
    settings: dict[str, Any]
    synthetic: bool
    built: str

    def as_dict(self) -> dict[str, Any]:
        """JSON-ready nested form, as written to ``manifest.json``.

        Examples
        --------
        >>> prov = collect(data_checksum="ab" * 32, key_fingerprint="0123456789abcdef")
        >>> prov.as_dict()["key"]["fingerprint"]
        '0123456789abcdef'
        """
        return {
            "built": self.built,
            "code": {"commit": self.commit, "tree_modified": self.tree_modified,
                     "soskulib": self.soskulib_version},
            "environment": {"python": self.python, "packages": dict(self.packages),
                            "lock": dict(self.lock)},
            "data": {"checksum": self.data_checksum, "synthetic": self.synthetic},
            "key": {"fingerprint": self.key_fingerprint,
                    "method": "HMAC-SHA256(key, constant text), first 16 hex digits"},
            "settings": self.settings,
            "reproduce": reproduce_command(self.commit, self.settings["language"],
                                           self.synthetic),
        }

    def to_html(self, lang: str | None = None) -> str:
        """The provenance block shown at the end of every page (escaped HTML).

        Parameters
        ----------
        lang : {"fi", "en"}, optional
            Default: the language in :attr:`settings`.

        Examples
        --------
        >>> block = collect(data_checksum="ab" * 32, key_fingerprint=None, lang="fi").to_html()
        >>> "Tekninen tausta" in block and "<script" not in block
        True
        """
        lang = labels.check_lang(lang or self.settings["language"])

        def t(key: str, **fields: object) -> str:
            return labels.text(key, lang, **fields)

        def code(text: str) -> str:
            return f"<code>{_escape(text)}</code>"

        unknown = t("prov.unknown")
        if self.commit == UNKNOWN:
            commit = f"{t('prov.commit')} {unknown}"
        else:
            state = {True: t("prov.modified"), False: t("prov.clean"), None: unknown}
            commit = f"{t('prov.commit')} {code(self.commit)} ({state[self.tree_modified]})"
        packages = ", ".join(f"{name} {version}" for name, version in self.packages.items())
        lock = self.lock
        if lock["matches"] is None:
            lock_text = t("prov.lock_unknown", file=lock["file"])
        elif lock["matches"]:
            lock_text = t("prov.lock_match", file=lock["file"]) + f" (SHA-256 {lock['sha256']})"
        else:
            lock_text = t("prov.lock_differs", file=lock["file"],
                          differences="; ".join(lock["differences"]))
        key = (t("prov.key_none") if self.key_fingerprint is None
               else f"{code(self.key_fingerprint)} ({t('prov.key_note')})")
        command = reproduce_command(self.commit, self.settings["language"], self.synthetic)
        rows = [
            (t("prov.built"), built_html(self.built)),
            (t("prov.code"), f"soskulib {_escape(self.soskulib_version)}, {commit}"),
            (t("prov.environment"),
             f"Python {_escape(self.python)}; {_escape(packages)}; "
             f"{_escape(lock_text)}"),
            (t("prov.data"), code(self.data_checksum)),
            (t("prov.settings"), _escape("; ".join(_settings_lines(self.settings, lang)))),
            (t("prov.key"), key),
            (t("prov.reproduce"),
             "<br>".join(code(line) if line.startswith(("git ", "make ", ".venv/"))
                         else _escape(line) for line in _command_lines(command, lang))
             + f"<br>{_escape(t('prov.reproduce_note'))}"),
        ]
        items = "".join(f"<dt>{_escape(label)}</dt><dd>{value}</dd>" for label, value in rows)
        return ('<section class="sosku-provenance">'
                f"<h2>{_escape(t('prov.heading'))}</h2><dl>{items}</dl></section>")


def _escape(text: str) -> str:
    """Escape text for an HTML element's content (quotes stay readable in commands)."""
    return html.escape(text, quote=False)


def _decimal(value: float, lang: str) -> str:
    text = f"{float(value):g}"
    return text.replace(".", ",") if lang == "fi" else text


def _label(key: str, lang: str, fallback: str) -> str:
    """A report string, or ``fallback`` where none is defined (a new method's own name)."""
    return labels.text(key, lang) if key in labels.STRINGS else fallback


def _code_label(code_list: str, code: str, lang: str) -> str:
    from soskulib import schema

    known = schema.CODE_LABELS.get(code_list, {})
    return schema.label(code_list, code, lang) if code in known else code


def _settings_lines(settings: dict[str, Any], lang: str) -> list[str]:
    disclosure, fidelity = settings["disclosure"], settings["fidelity_rule"]
    groups = [_code_label(column, group, lang)
              for column, codes in disclosure["keep_visible"].items() for group in codes]
    and_ = " ja " if lang == "fi" else " and "
    protected = (", ".join(groups[:-1]) + and_ + groups[-1] if len(groups) > 1
                 else "".join(groups) or "-")
    language = settings["language"]
    return [
        labels.text("prov.setting.language", lang,
                    name=_label(f"prov.language.{language}", lang, language)),
        labels.text("prov.setting.disclosure", lang, k=disclosure["min_cell"],
                    secondary=_label(f"prov.secondary.{disclosure['secondary']}", lang,
                                     disclosure["secondary"]),
                    protected=protected),
        labels.text("prov.setting.min_pairs", lang, n=settings["min_pairs"]),
        labels.text("prov.setting.fidelity", lang,
                    contacts=fidelity["min_individual_contacts"],
                    per_month=_decimal(fidelity["min_individual_per_month"], lang),
                    goals=fidelity["min_goals"]),
    ]


def _command_lines(command: dict[str, Any], lang: str) -> list[str]:
    lines = list(command["steps"])
    if command["real_data"]:
        lines.insert(1, labels.text("prov.reproduce_real", lang, raw="data/raw/<export>/"))
    return lines


def build_time() -> str:
    """The build time, ``YYYY-MM-DD HH:MM UTC``; ``SOURCE_DATE_EPOCH`` (seconds) pins it.

    Examples
    --------
    >>> import os
    >>> os.environ["SOURCE_DATE_EPOCH"] = "1543622400"
    >>> build_time()
    '2018-12-01 00:00 UTC'
    >>> del os.environ["SOURCE_DATE_EPOCH"]
    """
    epoch = os.environ.get("SOURCE_DATE_EPOCH")
    moment = (_dt.datetime.fromtimestamp(int(epoch), _dt.UTC) if epoch
              else _dt.datetime.now(_dt.UTC))
    return moment.strftime("%Y-%m-%d %H:%M UTC")


def _git(root: Path, *args: str) -> str | None:
    """Output of ``git -C root args`` or ``None`` when git is missing or fails."""
    env = {**os.environ, "GIT_OPTIONAL_LOCKS": "0", "LC_ALL": "C"}  # status writes no index
    try:
        done = subprocess.run(["git", "-C", str(root), *args], capture_output=True, text=True,
                              timeout=30, env=env, check=False)
    except (OSError, subprocess.SubprocessError):
        return None
    return done.stdout if done.returncode == 0 else None


def code_state(root: str | os.PathLike[str] | None = None) -> tuple[str, bool | None]:
    """``(commit, tree_modified)`` of the source tree at ``root`` (default: soskulib's own).

    The commit is the full hash of ``HEAD`` when ``root`` is the top of a git checkout;
    ``tree_modified`` says whether any tracked file differs from it (untracked and ignored
    files, such as ``data/processed/`` and ``reports/``, do not count). Outside a checkout
    (an unpacked tarball, an installed wheel, no git program) the commit comes from
    ``.git_archival.txt`` when ``git archive`` filled it in, else it is ``"unknown"``; the
    modification state is then ``None`` (unknown). Nothing here depends on the time, so it
    never makes two builds of one commit differ.

    Parameters
    ----------
    root : path, optional
        Top folder of the source tree.

    Returns
    -------
    (str, bool or None)

    Examples
    --------
    >>> import tempfile
    >>> code_state(tempfile.mkdtemp())
    ('unknown', None)
    """
    root = Path(root).resolve() if root is not None else SOURCE_ROOT
    if (root / ".git").exists():
        out = _git(root, "rev-parse", "--show-toplevel", "HEAD")
        lines = out.split() if out else []
        if len(lines) == 2 and Path(lines[0]).resolve() == root and _HEX40.match(lines[1]):
            status = _git(root, "status", "--porcelain", "--untracked-files=no")
            return lines[1], (None if status is None else bool(status.strip()))
    archival = root / _ARCHIVAL
    if archival.is_file():
        match = re.search(r"^node:\s*([0-9a-f]{40})\s*$",
                          archival.read_text(encoding="utf-8", errors="replace"), re.MULTILINE)
        if match:
            return match.group(1), None
    return UNKNOWN, None


def lock_pins(path: str | os.PathLike[str]) -> dict[str, str]:
    """``{normalised name: version}`` of the ``name==version`` lines of a lock file.

    Examples
    --------
    >>> import tempfile, pathlib
    >>> lock = pathlib.Path(tempfile.mkdtemp()) / "requirements.lock"
    >>> _ = lock.write_text("Python_Calamine==0.4.0 \\\\\\n    --hash=sha256:00\\n")
    >>> lock_pins(lock)
    {'python-calamine': '0.4.0'}
    """
    text = Path(path).read_text(encoding="utf-8")
    return {_normalise(name): version for name, version in _PIN.findall(text)}


def _normalise(name: str) -> str:
    return re.sub(r"[-_.]+", "-", name).lower()


def _installed() -> dict[str, str]:
    versions: dict[str, str] = {}
    for dist in importlib.metadata.distributions():
        name = dist.metadata["Name"]
        if name:
            versions.setdefault(_normalise(name), dist.version)
    return versions


def environment(root: str | os.PathLike[str] | None = None) -> dict[str, Any]:
    """Python version, :data:`KEY_PACKAGES` versions and the comparison with the lock file.

    Parameters
    ----------
    root : path, optional
        Top folder of the source tree holding :data:`LOCK_FILE` (default: soskulib's own).

    Returns
    -------
    dict
        ``{"python", "packages", "lock"}``; ``lock`` is ``{"file", "sha256", "matches",
        "differences"}`` where ``differences`` lists ``"name installed (lock version)"`` for
        every pinned package installed at another version or missing.

    Examples
    --------
    >>> env = environment()
    >>> env["python"].startswith("3.")
    True
    """
    root = Path(root).resolve() if root is not None else SOURCE_ROOT
    installed = _installed()
    packages = {name: installed.get(name, "not installed") for name in KEY_PACKAGES}
    path = root / LOCK_FILE
    if path.is_file():
        pins = lock_pins(path)
        differences = [f"{name} {installed.get(name, 'missing')} ({version})"
                       for name, version in sorted(pins.items()) if installed.get(name) != version]
        lock = {"file": LOCK_FILE, "sha256": hashlib.sha256(path.read_bytes()).hexdigest(),
                "matches": not differences, "differences": differences}
    else:
        lock = {"file": LOCK_FILE, "sha256": UNKNOWN, "matches": None, "differences": []}
    return {"python": platform.python_version(), "packages": packages, "lock": lock}


def reporting_settings(lang: str = "fi") -> dict[str, Any]:
    """The reporting settings that change published numbers, read from where they are defined.

    * ``disclosure``: the primary threshold :data:`soskulib.disclosure.MIN_CELL`, the
      secondary-suppression method and the groups kept visible
      (:data:`soskulib.disclosure.KEEP_VISIBLE`);
    * ``min_pairs``: the default of :func:`soskulib.synthesis.municipality_effects` (fewest
      complete pairs for a municipality's result in the national synthesis);
    * ``fidelity_rule``: the thresholds of the default :class:`soskulib.process.FidelityRule`;
    * ``language``.

    The notebooks use these defaults, so the page states what produced its numbers.

    Examples
    --------
    >>> reporting_settings("en")["fidelity_rule"]["min_goals"]
    1
    """
    from soskulib import disclosure, process, synthesis

    lang = labels.check_lang(lang)
    min_pairs = inspect.signature(synthesis.municipality_effects).parameters["min_pairs"].default
    return {
        "language": lang,
        "disclosure": {
            "min_cell": disclosure.MIN_CELL,
            "secondary": "optimal",
            "publication_population": "other categories below min_cell left out",
            "policy": "docs/disclosure.md",
            "keep_visible": {column: list(groups)
                             for column, groups in disclosure.KEEP_VISIBLE.items()},
            "marker": disclosure.MARKER,
        },
        "min_pairs": min_pairs,
        "fidelity_rule": dataclasses.asdict(process.FidelityRule()),
    }


def reproduce_command(commit: str, lang: str, synthetic: bool) -> dict[str, Any]:
    """The steps that rebuild a page: check out the commit, install the lock, build.

    Examples
    --------
    >>> reproduce_command("a" * 40, "en", synthetic=True)["steps"][-1]
    'make reports BUILD_FLAGS="--lang en"'
    """
    checkout = (f"git clone <soskulib repository> soskulib && cd soskulib && git checkout {commit}"
                if commit != UNKNOWN else "<soskulib source of this version>")
    flags = "" if lang == "fi" else f' BUILD_FLAGS="--lang {lang}"'
    if synthetic:
        steps = [checkout, f"make reports{flags}"]
    else:
        steps = [checkout, "make venv",
                 ".venv/bin/sosku prepare --raw data/raw/<export>",
                 f".venv/bin/sosku report --lang {lang}"]
    return {"steps": steps, "real_data": not synthetic}


def collect(*, data_checksum: str, key_fingerprint: str | None, lang: str = "fi",
            synthetic: bool = False, root: str | os.PathLike[str] | None = None,
            built: str | None = None) -> Provenance:
    """Gather the provenance of a build (once per build: it runs git and reads the lock).

    Parameters
    ----------
    data_checksum : str
        :func:`soskulib.page.data_checksum` of the processed manifest.
    key_fingerprint : str or None
        The processed manifest's ``pseudonym_key_fingerprint``.
    lang : {"fi", "en"}
        Report language.
    synthetic : bool
        The data are the synthetic demo.
    root : path, optional
        Source tree (default: soskulib's own).
    built : str, optional
        Build time (default :func:`build_time`).

    Returns
    -------
    Provenance

    Examples
    --------
    >>> collect(data_checksum="ab" * 32, key_fingerprint=None).settings["language"]
    'fi'
    """
    commit, modified = code_state(root)
    env = environment(root)
    return Provenance(
        commit=commit, tree_modified=modified, soskulib_version=soskulib.__version__,
        python=env["python"], packages=env["packages"], lock=env["lock"],
        data_checksum=data_checksum, key_fingerprint=key_fingerprint,
        settings=reporting_settings(lang), synthetic=synthetic, built=built or build_time(),
    )


# --- the site's manifest and the reproducibility check ----------------------------------------

#: The one deliberate difference between two builds: the build time, marked up as
#: ``<time class="sosku-built" …>…</time>`` on every page.
BUILT_ELEMENT = re.compile(r'<time class="sosku-built"[^>]*>[^<]*</time>')
SITE_MANIFEST = "manifest.json"


def built_html(built: str) -> str:
    """The build time as the one element :func:`compare_builds` ignores.

    Examples
    --------
    >>> built_html("2018-12-01 00:00 UTC")
    '<time class="sosku-built" datetime="2018-12-01T00:00Z">2018-12-01 00:00 UTC</time>'
    """
    stamp = built.removesuffix(" UTC").replace(" ", "T") + "Z"
    return f'<time class="sosku-built" datetime="{_escape(stamp)}">{_escape(built)}</time>'


def _sha256_file(path: Path) -> str:
    return hashlib.sha256(path.read_bytes()).hexdigest()


def site_manifest(out_dir: str | os.PathLike[str], prov: Provenance,
                  pages: dict[str, str]) -> dict[str, Any]:
    """The site's ``manifest.json``: provenance, pages and the SHA-256 of every CSV download.

    Parameters
    ----------
    out_dir : path
        The reports folder.
    prov : Provenance
        Of this build.
    pages : dict
        ``{page path relative to out_dir: title}``.

    Returns
    -------
    dict
        ``{"provenance", "pages": [{"page", "title", "tables": {csv: sha256}}]}``; two builds
        of the same commit, lock and data give the same dictionary apart from
        ``provenance.built``.
    """
    out = Path(out_dir)
    entries = []
    for rel in sorted(pages):
        folder = (out / rel).with_name(Path(rel).stem + "_tables")
        tables = {p.relative_to(out).as_posix(): _sha256_file(p)
                  for p in sorted(folder.glob("*.csv"))} if folder.is_dir() else {}
        entries.append({"page": rel, "title": pages[rel], "tables": tables})
    return {"provenance": prov.as_dict(), "pages": entries}


def write_site_manifest(out_dir: str | os.PathLike[str], prov: Provenance,
                        pages: dict[str, str]) -> Path:
    """Write :func:`site_manifest` to ``out_dir/manifest.json``; return its path."""
    path = Path(out_dir) / SITE_MANIFEST
    text = json.dumps(site_manifest(out_dir, prov, pages), indent=2, ensure_ascii=False)
    path.write_text(text + "\n", encoding="utf-8")
    return path


def _comparable(path: Path) -> bytes:
    """File bytes with the build time blanked (pages and the site manifest)."""
    data = path.read_bytes()
    if path.suffix == ".html":
        return BUILT_ELEMENT.sub("<time/>", data.decode("utf-8")).encode("utf-8")
    if path.name == SITE_MANIFEST:
        manifest = json.loads(data)
        manifest.get("provenance", {}).pop("built", None)
        return json.dumps(manifest, sort_keys=True).encode("utf-8")
    return data


def compare_builds(first: str | os.PathLike[str], second: str | os.PathLike[str],
                   paths: list[str] | None = None) -> list[str]:
    """Differences between two report folders, apart from the build time.

    CSV downloads (and every other file) must be byte-identical; HTML pages identical once
    their :data:`BUILT_ELEMENT` is blanked; the site manifest identical without its ``built``.

    Parameters
    ----------
    first, second : path
        Two report folders built from the same inputs, lock and commit.
    paths : list of str, optional
        Only these files (relative paths; a page brings its ``_tables/`` folder along);
        default every file of both folders.

    Returns
    -------
    list of str
        One line per difference (``"PATH: differs"``, ``"PATH: only in FOLDER"``); empty when
        the builds agree.

    Examples
    --------
    >>> import tempfile, pathlib
    >>> a, b = (pathlib.Path(tempfile.mkdtemp()) for _ in range(2))
    >>> for folder, when in ((a, "2018-12-01 00:00 UTC"), (b, "2019-01-01 12:00 UTC")):
    ...     _ = (folder / "p.html").write_text(f"<p>n = 12</p>{built_html(when)}")
    >>> compare_builds(a, b)
    []
    >>> _ = (b / "p.html").write_text("<p>n = 13</p>")
    >>> compare_builds(a, b)
    ['p.html: differs']
    """
    first, second = Path(first), Path(second)

    def listing(root: Path) -> set[str]:
        if paths is None:
            return {p.relative_to(root).as_posix() for p in root.rglob("*") if p.is_file()}
        chosen = set()
        for rel in paths:
            if (root / rel).is_file():
                chosen.add(rel)
            tables = (root / rel).with_name(Path(rel).stem + "_tables")
            if rel.endswith(".html") and tables.is_dir():
                chosen |= {p.relative_to(root).as_posix() for p in tables.glob("*")}
        return chosen

    in_first, in_second = listing(first), listing(second)
    problems = [f"{rel}: only in {first}" for rel in sorted(in_first - in_second)]
    problems += [f"{rel}: only in {second}" for rel in sorted(in_second - in_first)]
    problems += [f"{rel}: differs" for rel in sorted(in_first & in_second)
                 if _comparable(first / rel) != _comparable(second / rel)]
    return problems


def main(argv: list[str] | None = None) -> int:
    """``python -m soskulib.provenance FIRST SECOND``: exit 0 when two builds agree, else 1.

    Each difference is printed on its own line (see :func:`compare_builds`).
    """
    import argparse

    parser = argparse.ArgumentParser(
        prog="python -m soskulib.provenance",
        description="compare two report folders built from the same commit, lock and data")
    parser.add_argument("first", type=Path)
    parser.add_argument("second", type=Path)
    args = parser.parse_args(argv)
    for folder in (args.first, args.second):
        if not folder.is_dir():
            parser.error(f"{folder} is not a folder")
    problems = compare_builds(args.first, args.second)
    for line in problems:
        print(line)
    n_files = sum(1 for p in args.first.rglob("*") if p.is_file())
    print(f"{len(problems)} differences in {n_files} files (build time ignored)")
    return 1 if problems else 0


if __name__ == "__main__":
    raise SystemExit(main())
