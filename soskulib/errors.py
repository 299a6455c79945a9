"""Exceptions and the located problem record shared by reading, validation and preparation."""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True, order=True)
class Problem:
    """One broken rule, located as ``FILE:ROW:COLUMN: message``.

    ``row`` is the row number as a person sees it in the file (header line = 1) and
    ``column`` the raw column name; either is ``"-"`` where it does not apply.

    Examples
    --------
    >>> str(Problem("092_vantaa/asiakkaat.csv", 7, "alkupvm", "impossible date '31.02.2017'"))
    "092_vantaa/asiakkaat.csv:7:alkupvm: impossible date '31.02.2017'"
    """

    file: str
    row: int | str
    column: str
    message: str

    def __str__(self) -> str:
        return f"{self.file}:{self.row}:{self.column}: {self.message}"


class SoskuError(Exception):
    """Base class of soskulib's own errors: the CLI prints these without a traceback."""


class DataError(SoskuError):
    """Input data cannot be used; carries every :class:`Problem` found."""

    def __init__(self, problems: list[Problem] | Problem | str):
        if isinstance(problems, Problem):
            problems = [problems]
        elif isinstance(problems, str):
            problems = [Problem("-", "-", "-", problems)]
        self.problems: list[Problem] = list(problems)
        super().__init__("\n".join(str(p) for p in self.problems))


class ConfigurationError(SoskuError):
    """Something the user must set up (a key, a path, a parameter) is missing or wrong."""


class InternalError(SoskuError):
    """A bug met while handling one file (not a data problem): the CLI exits with code 3.

    Carries the name of the file (as shown in findings; ``"-"`` when none was being read),
    a one-line description and the findings of the other files, which are printed first.

    Examples
    --------
    >>> err = InternalError("092_vantaa/kaynnit.csv", "KeyError: 0")
    >>> str(err)
    'internal error while reading 092_vantaa/kaynnit.csv: KeyError: 0 (a bug in soskulib, not a data problem; please report it)'
    """

    def __init__(self, file: str, detail: str, findings: list[Problem] | None = None):
        self.file, self.detail = file, detail
        self.findings: list[Problem] = list(findings or [])
        super().__init__(f"internal error while reading {file}: {detail} (a bug in soskulib, "
                         "not a data problem; please report it)")


def describe(exc: BaseException, limit: int = 200) -> str:
    """``Type: message`` of an unexpected exception, on one line and shortened.

    Parameters
    ----------
    exc : BaseException
    limit : int
        Longest text returned.

    Returns
    -------
    str

    Examples
    --------
    >>> describe(KeyError("a\\nb"))
    "KeyError: 'a\\\\nb'"
    """
    from soskulib import sanitize

    text = sanitize.one_line(f"{type(exc).__name__}: {exc}")
    return text if len(text) <= limit else text[:limit - 1] + "…"
