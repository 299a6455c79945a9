"""Personal identity codes (henkilötunnus): validity, birth date, keyed pseudonyms.

``client_id`` is the first 16 hex characters (64 bits) of HMAC-SHA256(key, normalised hetu).
Without the key the pseudonym cannot be recomputed from a guessed identity code (a plain hash
could: the whole hetu space is only ~10^10 values). The same key gives the same ``client_id``
across exports, so a later export links to an earlier one; a different key unlinks them.

The key comes from (first match wins):

1. ``SOSKU_PSEUDO_KEY`` environment variable (at least 16 characters);
2. ``SOSKU_PSEUDO_KEY_FILE``: path of a file holding the key, outside the repository;
3. the public :data:`DEMO_KEY`, only when the raw export is the synthetic demo
   (``truth.json`` with ``"synthetic": true``);

otherwise :class:`~soskulib.errors.ConfigurationError`. Keep the key with the data controller:
anyone holding key and pseudonym list can re-identify by trying identity codes.

Identity-code checks follow the Population Information Act format ``DDMMYYCZZZQ``: century
sign ``+`` (1800s), ``-`` or ``Y X W V U`` (1900s), ``A`` or ``B C D E F`` (2000s, the extra
signs in use since 2023), individual number ``002``–``999`` and check character
``"0123456789ABCDEFHJKLMNPRSTUVWXY"[int(DDMMYYZZZ) % 31]`` (DVV, *Henkilötunnus*).
"""

from __future__ import annotations

import hashlib
import hmac
import json
import os
from pathlib import Path

import numpy as np
import pandas as pd
import pyarrow as pa
import pyarrow.compute as pc

from soskulib import schema
from soskulib.errors import ConfigurationError

#: Public key used for the synthetic demo export only. Not a secret; never use it for real data.
DEMO_KEY = b"soskulib-demo-key: public, synthetic data only"
#: Length of ``client_id`` in hex characters.
PSEUDONYM_LENGTH = 16
MIN_KEY_LENGTH = 16

CHECK_CHARACTERS = "0123456789ABCDEFHJKLMNPRSTUVWXY"
CENTURY = {"+": 1800, "-": 1900, "Y": 1900, "X": 1900, "W": 1900, "V": 1900, "U": 1900,
           "A": 2000, "B": 2000, "C": 2000, "D": 2000, "E": 2000, "F": 2000}
HETU_PATTERN = r"(\d{2})(\d{2})(\d{2})([-+A-FU-Y])(\d{3})([0-9A-FHJ-NPR-Y])"
_REPO_ROOT = Path(__file__).resolve().parents[1]


def normalise(values: pd.Series) -> pd.Series:
    """Identity codes as compared and hashed: surrounding space removed, upper case.

    Parameters
    ----------
    values : Series
        Identity codes as read (missing = NA).

    Returns
    -------
    Series of str

    Examples
    --------
    >>> normalise(pd.Series([" 010190-923e "])).tolist()
    ['010190-923E']
    """
    codes = pa.array(values.astype("str"), type=pa.large_string(), from_pandas=True)
    return pd.Series(_normalise_strings(codes), index=values.index, dtype="str")


def _normalise_strings(codes: pa.Array | pa.ChunkedArray) -> pa.Array | pa.ChunkedArray:
    """:func:`normalise` on Arrow strings (null stays null)."""
    return pc.utf8_upper(pc.utf8_trim_whitespace(codes))


def _distinct_normalised(values: pd.Series) -> tuple[pa.Array, pa.Array]:
    """Distinct raw values, normalised as :func:`normalise` does, and each row's index into them.

    A person's code repeats on every contact and response, so the string work (trimming,
    upper case, checking, hashing) is done once per distinct value; a missing value has a
    null index. Two raw spellings of one code (``"x"``, ``" x"``) are two entries with the
    same normalised text.
    """
    raw = pa.array(values, type=pa.large_string(), from_pandas=True)
    if isinstance(raw, pa.ChunkedArray):
        raw = raw.combine_chunks()
    encoded = pc.dictionary_encode(raw)
    return _normalise_strings(encoded.dictionary), encoded.indices


#: Problem texts of :func:`check` by number; 0 = no problem.
_PROBLEMS = pa.array([None, "not in the form DDMMYYCZZZQ", "birth date part is not a date",
                      "individual number 000/001 is not in use", "wrong check character"],
                     type=pa.large_string())
_CENTURY_OF_BYTE = np.zeros(256, dtype=np.int64)
_CENTURY_OF_BYTE[[ord(sign) for sign in CENTURY]] = list(CENTURY.values())
_CHECK_INDEX_OF_BYTE = np.full(256, -1, dtype=np.int64)
_CHECK_INDEX_OF_BYTE[[ord(c) for c in CHECK_CHARACTERS]] = np.arange(len(CHECK_CHARACTERS))


def _byte_matrix(strings: pa.Array, width: int) -> np.ndarray:
    """``(n, width)`` uint8 matrix of strings that all are ``width`` ASCII bytes long."""
    strings = strings.cast(pa.large_binary())
    if len(strings) == 0:
        return np.zeros((0, width), dtype=np.uint8)
    offsets = np.frombuffer(strings.buffers()[1], dtype=np.int64)
    offsets = offsets[strings.offset:strings.offset + len(strings) + 1]
    data = np.frombuffer(strings.buffers()[2], dtype=np.uint8)[offsets[0]:offsets[-1]]
    if len(data) != width * len(strings):  # pragma: no cover - guaranteed by the callers
        raise ValueError(f"not all strings are {width} bytes long")
    return data.reshape(-1, width)


def check(values: pd.Series) -> pd.DataFrame:
    """Validate identity codes column-wise; return ``valid``, ``birth_date`` and ``problem``.

    ``problem`` is ``NA`` for valid or missing values, else a short English reason that never
    quotes the value. Vectorised: the form is checked with one RE2 regular expression (pyarrow;
    digits are ASCII digits), the fixed-width parts are sliced out as bytes and the birth date
    and check character are computed on integer arrays (no per-value Python).

    Parameters
    ----------
    values : Series
        Identity codes as read (normalised here).

    Returns
    -------
    DataFrame
        Same index: ``valid`` (bool; False for missing), ``birth_date`` (datetime64[ns], NaT
        unless valid), ``problem`` (str or NA) and ``normalised`` (the code as
        :func:`normalise` gives it, which is what :func:`pseudonymise` hashes).

    Examples
    --------
    >>> out = check(pd.Series(["131052-9085", "131052-908A", "310252-908A", None]))
    >>> out["valid"].tolist()
    [True, False, False, False]
    >>> out["problem"].tolist()[:3]
    [nan, 'wrong check character', 'birth date part is not a date']
    >>> str(out["birth_date"][0].date())
    '1952-10-13'
    """
    text, indices = _distinct_normalised(values)  # each distinct code is checked once
    codes = pc.fill_null(indices, -1).to_numpy(zero_copy_only=False).astype(np.int64)
    shaped = pc.match_substring_regex(text, f"^{HETU_PATTERN}$").to_numpy(zero_copy_only=False)
    chars = _byte_matrix(pc.filter(text, pa.array(shaped)), width=11)
    digits = chars.astype(np.int64) - ord("0")

    def number(first: int, stop: int) -> np.ndarray:
        out = np.zeros(len(chars), dtype=np.int64)
        for j in range(first, stop):
            out = out * 10 + digits[:, j]
        return out

    day, month, yy, individual = number(0, 2), number(2, 4), number(4, 6), number(7, 10)
    year = _CENTURY_OF_BYTE[chars[:, 6]] + yy
    months = ((year - 1970) * 12 + (month - 1)).astype("datetime64[M]")
    first_day = months.astype("datetime64[D]")
    month_days = ((months + 1).astype("datetime64[D]") - first_day).astype(np.int64)
    in_calendar = (month >= 1) & (month <= 12) & (day >= 1) & (day <= month_days)
    number_mod = (day * 10**7 + month * 10**5 + yy * 10**3 + individual) % 31

    # Per distinct code: problem number (0 = none; order of precedence as in _PROBLEMS).
    problem = np.ones(len(text), dtype=np.int8)
    birth = np.full(len(text), np.datetime64("NaT"), dtype="datetime64[ns]")
    shaped_problem = np.select(
        [~in_calendar, individual < 2, _CHECK_INDEX_OF_BYTE[chars[:, 10]] != number_mod],
        [2, 3, 4], default=0).astype(np.int8)
    problem[shaped] = shaped_problem
    birth[shaped] = np.where(shaped_problem == 0, first_day + (day - 1), np.datetime64("NaT"))
    # Broadcast to every row; a missing value (code -1) takes the appended last entry.
    problem = np.append(problem, np.int8(0))[codes]
    birth = np.append(birth, np.datetime64("NaT", "ns"))[codes]
    labels = pc.take(_PROBLEMS, pa.array(problem))
    return pd.DataFrame({"valid": (problem == 0) & (codes >= 0),
                         "birth_date": pd.Series(birth, index=values.index),
                         "problem": pd.Series(labels.to_pandas(), dtype="str").set_axis(
                             values.index),
                         "normalised": pd.Series(text.take(indices), dtype="str",
                                                 index=values.index)},
                        index=values.index)


def age_at(birth: pd.Series, date: pd.Series) -> pd.Series:
    """Completed years of age on ``date`` (float, NaN where either is missing).

    Parameters
    ----------
    birth : Series of datetime64
        Birth dates.
    date : Series of datetime64
        Dates at which age is wanted (aligned with ``birth``).

    Returns
    -------
    Series of float64

    Examples
    --------
    >>> b = pd.Series(pd.to_datetime(["1990-05-10", "1990-05-10"]))
    >>> age_at(b, pd.Series(pd.to_datetime(["2017-05-09", "2017-05-10"]))).tolist()
    [26.0, 27.0]
    """
    years = date.dt.year - birth.dt.year
    before_birthday = (date.dt.month * 100 + date.dt.day) < (birth.dt.month * 100 + birth.dt.day)
    return (years - before_birthday.astype("float64")).astype("float64")


def age_group(age: pd.Series) -> pd.Series:
    """Age group labels of :data:`soskulib.schema.AGE_GROUP_LABELS` (NA outside the bins).

    Parameters
    ----------
    age : Series
        Ages in completed years.

    Returns
    -------
    Series of str
        Labels of :data:`soskulib.schema.AGE_BINS` (left-closed bins); NA outside them.

    Examples
    --------
    >>> age_group(pd.Series([13, 17, 18, 64, 65, 12])).tolist()
    ['13–17', '13–17', '18–29', '50–64', '65+', nan]
    """
    groups = pd.cut(age, bins=list(schema.AGE_BINS), labels=list(schema.AGE_GROUP_LABELS),
                    right=False)
    return groups.astype("str").where(groups.notna())


def pseudonymise(values: pd.Series, key: bytes,
                 cache: dict[str, str] | None = None) -> pd.Series:
    """Keyed pseudonyms (16 hex chars of HMAC-SHA256) of identity codes; NA stays NA.

    HMAC is not vectorisable (hashlib works on one message at a time), so it runs once per
    *unique* normalised value and the results are broadcast back with the factorised codes.

    Parameters
    ----------
    values : Series of str
        Identity codes (normalised here: stripped, upper case).
    key : bytes
        The pseudonymisation key (:func:`resolve_key`).
    cache : dict, optional
        Pseudonyms already computed *with this key* (normalised code -> pseudonym), filled in
        place; pass one dict for several tables so that every person is hashed once.

    Returns
    -------
    Series of str
        16-hex-character pseudonyms, NA where ``values`` is missing; same index.

    Examples
    --------
    >>> pseudonymise(pd.Series(["131052-913A", " 131052-913a", None]), b"k" * 16).tolist()
    ['2745c820b2d4c70b', '2745c820b2d4c70b', nan]
    """
    encoded = pseudonym_codes(values, key, cache)
    return pd.Series(encoded.dictionary.take(encoded.indices), index=values.index, dtype="str")


def pseudonym_codes(values: pd.Series, key: bytes,
                    cache: dict[str, str] | None = None) -> pa.DictionaryArray:
    """The pseudonyms of :func:`pseudonymise` in dictionary form: one entry per distinct value.

    For callers that go on working per person (sorting, grouping) before the pseudonyms are
    spelled out row by row.

    Parameters
    ----------
    values : Series of str
        Identity codes (normalised here: stripped, upper case).
    key : bytes
        The pseudonymisation key (:func:`resolve_key`).
    cache : dict, optional
        As in :func:`pseudonymise`.

    Returns
    -------
    pyarrow.DictionaryArray
        ``indices`` (null where ``values`` is missing) into ``dictionary`` (the pseudonyms; two
        raw spellings of one code are two entries with the same pseudonym).

    Examples
    --------
    >>> codes = pseudonym_codes(pd.Series(["131052-913A", None, "131052-913A"]), b"k" * 16)
    >>> codes.dictionary.to_pylist(), codes.indices.to_pylist()
    (['2745c820b2d4c70b'], [0, None, 0])
    """
    if not isinstance(key, bytes | bytearray) or not key:
        raise TypeError("the pseudonymisation key must be non-empty bytes")
    distinct, indices = _distinct_normalised(values)
    known = {} if cache is None else cache
    keyed = hmac.new(key, digestmod=hashlib.sha256)  # key schedule once; copied per message

    def digest(code: str) -> str:
        mac = keyed.copy()
        mac.update(code.encode("utf-8"))
        return known.setdefault(code, mac.hexdigest()[:PSEUDONYM_LENGTH])

    # One HMAC (or dictionary lookup) per person, on plain Python strings; Arrow broadcasts
    # the results to the rows (a missing code has a null index and stays missing).
    digests = pa.array([known.get(u) or digest(u) for u in distinct.to_pylist()],
                       type=pa.large_string())
    return pa.DictionaryArray.from_arrays(indices, digests)


def is_synthetic_export(raw_dir: Path | str) -> bool:
    """Whether ``raw_dir`` holds the synthetic demo (``truth.json`` says ``"synthetic": true``).

    Parameters
    ----------
    raw_dir : path
        Raw export folder.

    Returns
    -------
    bool
        False also when ``truth.json`` is missing or unreadable.

    Examples
    --------
    >>> is_synthetic_export("/nonexistent")
    False
    """
    truth = Path(raw_dir) / "truth.json"
    if not truth.is_file():
        return False
    try:
        return json.loads(truth.read_text(encoding="utf-8")).get("synthetic") is True
    except (ValueError, OSError, AttributeError):
        return False


def resolve_key(raw_dir: Path | str | None = None) -> tuple[bytes, str]:
    """Find the pseudonymisation key; return ``(key, where it came from)``.

    Parameters
    ----------
    raw_dir : path, optional
        Raw export folder; the public :data:`DEMO_KEY` is allowed only when it is the synthetic
        demo.

    Returns
    -------
    (bytes, str)
        The key and its origin (``"SOSKU_PSEUDO_KEY"``, ``"SOSKU_PSEUDO_KEY_FILE"`` or
        ``"DEMO_KEY"``).

    Raises
    ------
    ConfigurationError
        When no key is configured and the export is not the synthetic demo, or the configured
        key is too short, unreadable or inside the repository.

    Examples
    --------
    >>> import os
    >>> os.environ["SOSKU_PSEUDO_KEY"] = "long random secret of the controller"  # doctest: +SKIP
    >>> resolve_key("data/raw/export_2018")[1]                                   # doctest: +SKIP
    'SOSKU_PSEUDO_KEY'
    """
    env_key = os.environ.get("SOSKU_PSEUDO_KEY")
    if env_key:
        if len(env_key) < MIN_KEY_LENGTH:
            raise ConfigurationError(f"SOSKU_PSEUDO_KEY is shorter than {MIN_KEY_LENGTH} "
                                     "characters; use a long random string")
        return env_key.encode("utf-8"), "SOSKU_PSEUDO_KEY"
    key_file = os.environ.get("SOSKU_PSEUDO_KEY_FILE")
    if key_file:
        path = Path(key_file).expanduser().resolve()
        if path.is_relative_to(_REPO_ROOT):
            raise ConfigurationError(f"SOSKU_PSEUDO_KEY_FILE {key_file} is inside the soskulib "
                                     "repository; keep the key file outside it")
        try:
            key = path.read_bytes().strip()
        except OSError as exc:
            raise ConfigurationError(f"cannot read SOSKU_PSEUDO_KEY_FILE {key_file}: "
                                     f"{exc.strerror}") from None
        if len(key) < MIN_KEY_LENGTH:
            raise ConfigurationError(f"the key in {key_file} is shorter than {MIN_KEY_LENGTH} "
                                     "bytes")
        return key, "SOSKU_PSEUDO_KEY_FILE"
    if raw_dir is not None and is_synthetic_export(raw_dir):
        return DEMO_KEY, "DEMO_KEY"
    raise ConfigurationError(
        "no pseudonymisation key: set SOSKU_PSEUDO_KEY to a long random secret (e.g. "
        "`export SOSKU_PSEUDO_KEY=$(python -c 'import secrets; print(secrets.token_hex(32))')`) "
        "or SOSKU_PSEUDO_KEY_FILE to a file outside the repository that holds it; keep the "
        "same key for every export that must link to earlier ones")


#: The constant text whose keyed hash identifies a key (:func:`key_fingerprint`).
KEY_FINGERPRINT_TEXT = b"soskulib pseudonymisation key fingerprint"


def key_fingerprint(key: bytes) -> str:
    """A short public identifier of a pseudonymisation key; never the key itself.

    ``HMAC-SHA256(key, KEY_FINGERPRINT_TEXT)``, first 16 hex digits: the same key always gives
    the same fingerprint, so a report can say which key made its pseudonyms (and a later
    delivery can be checked to use the same one), while the key cannot be computed back from
    it. It is written to ``manifest.json`` by :func:`soskulib.prepare.prepare` and shown on
    every page.

    Parameters
    ----------
    key : bytes
        The key from :func:`resolve_key`.

    Returns
    -------
    str
        16 lower-case hex digits.

    Examples
    --------
    >>> key_fingerprint(DEMO_KEY) == key_fingerprint(DEMO_KEY)
    True
    >>> len(key_fingerprint(b"another long secret key")), key_fingerprint(DEMO_KEY) != key_fingerprint(b"x" * 16)
    (16, True)
    """
    if not key:
        raise ValueError("an empty pseudonymisation key has no fingerprint")
    return hmac.new(key, KEY_FINGERPRINT_TEXT, hashlib.sha256).hexdigest()[:16]
