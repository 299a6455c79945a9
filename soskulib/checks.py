"""Argument checks shared by the library: ``by=`` lists, columns, numeric vectors, response dicts.

Also :func:`keyword_options`: a family of functions that share keywords declares them once,
as the fields of one options dataclass.

One definition of each check, so every function reports a wrong argument the same way: the
name of the function and of the argument, and what to pass instead.

Examples
--------
>>> import pandas as pd
>>> as_list("gender"), as_list(None), as_list(("municipality", "gender"))
(['gender'], [], ['municipality', 'gender'])
>>> as_float_vector(pd.Series([1, None, 3]), "x")
array([ 1., nan,  3.])
>>> require_columns(pd.DataFrame({"a": [1]}), ["a", "b"], "reach", "pass the clients table")
Traceback (most recent call last):
...
KeyError: "reach needs column(s) ['b']; pass the clients table; the table has: a"
"""

from __future__ import annotations

import dataclasses
import functools
import inspect
from collections.abc import Callable, Iterable, Mapping
from typing import Any, TypeVar

import numpy as np
import pandas as pd

__all__ = ["as_list", "require_columns", "require_responses", "as_float_vector", "as_float_pair",
           "confidence_level"]

_F = TypeVar("_F", bound=Callable[..., Any])

#: Column names quoted at most in a missing-column message.
_SHOWN_COLUMNS = 20


def keyword_options(options_type: type, *names: str) -> Callable[[_F], _F]:
    """Give a function the keywords ``names`` of the dataclass ``options_type``, read into one value.

    The decorated function declares a keyword-only parameter ``options`` in place of the
    shared keywords. Callers pass the keywords as before; the signature that ``help()`` and
    JupyterLab show lists them with the annotations and defaults of the dataclass fields (a
    field without a default is a required keyword), so each is declared once for the family.

    Parameters
    ----------
    options_type : dataclass type
        Its fields are the shared keywords.
    *names : str
        Which of its fields the function takes (default all, in field order); a keyword it
        does not take is an error for its callers (``TypeError`` naming the function).

    Returns
    -------
    callable
        The decorator.

    Raises
    ------
    ValueError
        At definition: a name that is no field of ``options_type``, or a function without a
        keyword-only parameter ``options``.

    Examples
    --------
    >>> from dataclasses import dataclass
    >>> @dataclass(frozen=True)
    ... class Style:
    ...     lang: str = "fi"
    ...     digits: int = 2
    >>> @keyword_options(Style, "lang", "digits")
    ... def show(x, *, options):
    ...     return f"{x:.{options.digits}f} ({options.lang})"
    >>> show(1.2345, digits=1)
    '1.2 (fi)'
    >>> list(inspect.signature(show).parameters)
    ['x', 'lang', 'digits']
    """
    fields = {f.name: f for f in dataclasses.fields(options_type)}
    names = names or tuple(fields)
    unknown = sorted(set(names) - set(fields))
    if unknown:
        raise ValueError(f"{options_type.__name__} has no keywords {unknown}; "
                         f"known: {', '.join(fields)}")

    def public_parameter(name: str) -> inspect.Parameter:
        f = fields[name]
        default = f.default if f.default is not dataclasses.MISSING else inspect.Parameter.empty
        return inspect.Parameter(name, inspect.Parameter.KEYWORD_ONLY, default=default,
                                 annotation=f.type)

    def decorate(func: _F) -> _F:
        signature = inspect.signature(func)
        own = signature.parameters.get("options")
        if own is None or own.kind is not inspect.Parameter.KEYWORD_ONLY:
            raise ValueError(f"{func.__name__}: keyword_options needs a keyword-only parameter "
                             "'options'")
        params = [p for p in signature.parameters.values() if p.name != "options"]
        tail = [p for p in params if p.kind is inspect.Parameter.VAR_KEYWORD]
        public = signature.replace(parameters=[p for p in params if p not in tail]
                                   + [public_parameter(name) for name in names] + tail)

        @functools.wraps(func)
        def wrapper(*args: Any, **kwargs: Any) -> Any:
            try:
                bound = public.bind(*args, **kwargs)
            except TypeError as err:
                raise TypeError(f"{func.__name__}(): {err}") from None
            given = {name: bound.arguments.pop(name) for name in names if name in bound.arguments}
            return func(*bound.args, **bound.kwargs, options=options_type(**given))

        wrapper.__signature__ = public  # type: ignore[attr-defined]
        return wrapper  # type: ignore[return-value]

    return decorate


def as_list(by: str | Iterable[str] | None) -> list[str]:
    """``by=`` as a list of column names: ``None`` → ``[]``, a name → ``[name]``."""
    if by is None:
        return []
    if isinstance(by, str):
        return [by]
    return list(by)


def require_columns(data: pd.DataFrame, columns: Iterable[str], what: str, hint: str = "") -> None:
    """Raise a ``KeyError`` naming ``what`` needs, the missing columns, ``hint`` and what is there.

    Raises
    ------
    KeyError
        If any of ``columns`` is not a column of ``data``.
    """
    missing = [c for c in columns if c not in data.columns]
    if missing:
        present = ", ".join(map(str, data.columns[:_SHOWN_COLUMNS]))
        more = ", …" if len(data.columns) > _SHOWN_COLUMNS else ""
        extra = f"; {hint}" if hint else ""
        raise KeyError(f"{what} needs column(s) {missing}{extra}; the table has: {present}{more}")


def as_float_vector(values: object, name: str) -> np.ndarray:
    """Numeric 1-D float array from a Series, array or list; NA becomes NaN.

    Raises
    ------
    TypeError
        If ``values`` is missing, a DataFrame, boolean or not numeric.
    ValueError
        If ``values`` is not one-dimensional.
    """
    if values is None:
        raise TypeError(f"{name} is required")
    if isinstance(values, pd.DataFrame):
        raise TypeError(f"{name} must be one column (Series, array or list), not a DataFrame")
    if isinstance(values, np.ndarray) and values.ndim == 1 and values.dtype.kind in "fiu":
        return values.astype(float, copy=False)  # fast path for large numeric arrays
    if isinstance(values, pd.Series):
        series = values
    else:
        array = np.asarray(values)
        if array.ndim != 1:
            raise ValueError(f"{name} must be one-dimensional, got shape {array.shape}")
        series = pd.Series(array)
    numeric = pd.api.types.is_numeric_dtype(series.dtype)
    if pd.api.types.is_bool_dtype(series.dtype) or not (numeric or series.dtype == object):
        raise TypeError(f"{name} must be numeric, got dtype {series.dtype}")
    try:
        return pd.to_numeric(series, errors="raise").to_numpy(dtype=float, na_value=np.nan)
    except (ValueError, TypeError):
        raise TypeError(f"{name} must be numeric; it holds non-numeric values") from None


def as_float_pair(first: object, second: object,
                  names: tuple[str, str]) -> tuple[np.ndarray, np.ndarray]:
    """Two numeric vectors of one length (``pre`` and ``post``), each as :func:`as_float_vector`.

    Raises
    ------
    TypeError
        As :func:`as_float_vector`, naming the argument.
    ValueError
        If either is not one-dimensional or their lengths differ.

    Examples
    --------
    >>> as_float_pair([1, 2], [3, None], ("pre", "post"))
    (array([1., 2.]), array([ 3., nan]))
    >>> as_float_pair([1, 2, 3], [1, 2], ("pre", "post"))
    Traceback (most recent call last):
    ...
    ValueError: pre and post must have the same length (3 != 2)
    """
    x = as_float_vector(first, names[0])
    y = as_float_vector(second, names[1])
    if x.shape != y.shape:
        raise ValueError(f"{names[0]} and {names[1]} must have the same length "
                         f"({x.size} != {y.size})")
    return x, y


def confidence_level(level: object) -> float:
    """A confidence level as a probability strictly between 0 and 1 (0.95, not 95).

    Raises
    ------
    ValueError
        If ``level`` is not a number in (0, 1).

    Examples
    --------
    >>> confidence_level(0.9)
    0.9
    >>> confidence_level(95)
    Traceback (most recent call last):
    ...
    ValueError: level must be a probability in (0, 1) such as 0.95, got 95
    """
    if isinstance(level, bool) or not isinstance(level, int | float | np.floating | np.integer) \
            or not 0 < float(level) < 1:
        raise ValueError(f"level must be a probability in (0, 1) such as 0.95, got {level!r}")
    return float(level)


def require_responses(responses: Any, what: str) -> Mapping[str, pd.DataFrame]:
    """Check that ``responses`` is ``{instrument id: responses table}``, not one table.

    Examples
    --------
    >>> require_responses(pd.DataFrame({"municipality": ["092"]}), "outcome_summary")
    Traceback (most recent call last):
    ...
    TypeError: outcome_summary needs a dict {instrument id: responses table}, e.g. {"esis": io.load_processed(processed, "responses_esis")}; got one DataFrame: wrap it as {"esis": table} with its instrument's id
    """
    if isinstance(responses, pd.DataFrame):
        raise TypeError(
            f"{what} needs a dict {{instrument id: responses table}}, e.g. "
            '{"esis": io.load_processed(processed, "responses_esis")}; got one DataFrame: '
            'wrap it as {"esis": table} with its instrument\'s id')
    if not isinstance(responses, Mapping):
        raise TypeError(f"{what} needs a dict {{instrument id: responses table}}, got "
                        f"{type(responses).__name__}")
    for key, table in responses.items():
        if not isinstance(table, pd.DataFrame):
            raise TypeError(f"{what}: responses[{key!r}] must be a DataFrame of responses, "
                            f"got {type(table).__name__}")
    return responses
