"""Cell parsers for each question kind: text in, normalised value out (or a problem)."""

from __future__ import annotations

import datetime as dt
import decimal
import re
import unicodedata
import zoneinfo
from collections.abc import Mapping, Sequence
from functools import lru_cache

import numpy as np
from numpy.typing import NDArray

__all__ = [
    "CellError",
    "ChoiceVocabulary",
    "answer_key",
    "normalise",
    "number_key",
    "parse_availability",
    "parse_number",
]


class CellError(ValueError):
    """A cell that cannot be parsed; the message says what was expected."""


def normalise(value: str) -> str:
    """Case-fold and collapse white space: ``" Node  JS "`` -> ``"node js"``.

    This is how an answer is *shown* (an open vocabulary's entries, messages); two answers
    are the *same* answer when their :func:`answer_key` is equal.

    Examples
    --------
    >>> normalise("  Data   Science ")
    'data science'
    """
    return _normalise(value)


@lru_cache(maxsize=1 << 16)
def _normalise(value: str) -> str:
    # intake tables repeat the same few answers over and over: remember them
    return " ".join(value.casefold().split())


#: A number as pandas, spreadsheets and people write it: "3", "-2.50", "1.0", ".5", "1e+20".
_NUMBER = re.compile(r"[-+]?(?:\d+\.?\d*|\.\d+)(?:e[-+]?\d+)?")
#: Characters that do not tell two answers apart ("Node.js" = "node js" = "node-js").
_SEPARATORS = re.compile(r"[\s._\-/]+")
#: Marks a numeric key; text keys never contain it.
_NUM_MARK = "\x00"
#: Significant digits a float64 always carries; longer numbers it cannot hold are exact.
_FLOAT_DIGITS = 15


def answer_key(value: str) -> str:
    """Return the form under which two answers count as the same answer.

    One normalisation for declared options, synonyms, ordinal levels, importance levels,
    capacity answers, missing-value markers and open vocabularies:

    * Unicode compatibility forms are unified (NFKC) and case is folded.
    * An answer that is a number (``"1"``, ``"1.0"``, ``"-2.50"``, ``"1e3"``) is compared
      as a number (a float64), so ``"1.0"`` (as pandas writes a float column with gaps)
      is the answer ``"1"``, and ``"1.5"`` is never ``"15"``. A number with more than 15
      significant digits that a float64 cannot hold (a long id) is compared exactly.
    * Otherwise white space, dots, hyphens, underscores and slashes are dropped
      (``"Node.js"``, ``"node js"`` and ``"NODEJS"`` are one answer), except between two
      digits: there only white space is dropped (``"10 - 20"`` is ``"10-20"``, but neither
      is ``"1020"``; ``"v1.5"`` is not ``"v15"``).

    Two declared options (or synonyms) with the same key are refused when the survey is
    loaded, so an answer can never be mapped onto an option that differs from it under
    this rule.

    Examples
    --------
    >>> answer_key("Node.js") == answer_key("node js") == answer_key("NODEJS")
    True
    >>> answer_key("1.0") == answer_key("1"), answer_key("1.5") == answer_key("15")
    (True, False)
    >>> answer_key("10 - 20") == answer_key("10-20"), answer_key("10-20") == answer_key("1020")
    (True, False)
    """
    return _answer_key(value)


@lru_cache(maxsize=1 << 16)
def _answer_key(value: str) -> str:
    text = unicodedata.normalize("NFKC", value).casefold().strip().replace(_NUM_MARK, "")
    if _NUMBER.fullmatch(text):
        return _NUM_MARK + _number_key(text)
    return _SEPARATORS.sub(_keep_between_digits, text)


def _number_key(text: str) -> str:
    exact = decimal.Decimal(text)
    number = float(exact) + 0.0  # + 0.0: "-0" is 0
    if not np.isfinite(number) or (len(exact.as_tuple().digits) > _FLOAT_DIGITS
                                   and decimal.Decimal(number) != exact):
        return str(exact.normalize())  # more digits than a float64 holds: exactly
    return repr(number)


def _keep_between_digits(m: re.Match[str]) -> str:
    s, a, b = m.string, m.start(), m.end()
    if a > 0 and b < len(s) and s[a - 1].isdigit() and s[b].isdigit():
        kept = "".join(m[0].split())
        return kept or " "
    return ""


def number_key(value: str) -> str | None:
    """Return the numeric key of ``value`` when it is written as a number, else None.

    Used where ids may come back from a spreadsheet as ``"101.0"``.

    Examples
    --------
    >>> number_key("101.0") == number_key("101"), number_key("E101")
    (True, None)
    """
    key = answer_key(value)
    return key if key.startswith(_NUM_MARK) else None


class ChoiceVocabulary:
    """Maps answers to canonical options, through synonyms and :func:`answer_key`.

    An answer matches an option (or a synonym of one) when their :func:`answer_key` is
    equal. With a ``separator``, :meth:`split` first recognises options that contain the
    separator (``"People management (hiring, 1:1s, feedback)"`` in a ``","``-separated
    checkbox export), then splits the rest.

    Parameters
    ----------
    options : sequence of str or None
        Canonical options; None means an open vocabulary (every answer is kept, shown
        normalised, and answers with the same key are one answer).
    synonyms : dict
        Alias -> option.

    Examples
    --------
    >>> v = ChoiceVocabulary(["nodejs", "React"], {"node": "nodejs"})
    >>> v.lookup("Node.js"), v.lookup("node"), v.lookup("REACT"), v.lookup("vue")
    ('nodejs', 'nodejs', 'React', None)
    >>> ChoiceVocabulary(["1", "10"], {}).lookup("1.0")
    '1'
    """

    def __init__(self, options: Sequence[str] | None, synonyms: Mapping[str, str]) -> None:
        self.open = options is None
        self.options: list[str] = list(options or [])
        self._index: dict[str, str] = {}  # key -> canonical answer
        for opt in self.options:
            self._index.setdefault(answer_key(opt), opt)
        for alias, target in synonyms.items():
            canonical = self._index.get(answer_key(target))
            if canonical is None:
                canonical = normalise(target) if self.open else target
                self._index.setdefault(answer_key(target), canonical)
            self._index.setdefault(answer_key(alias), canonical)
        self._memo: dict[str, str | None] = {}  # answer -> lookup result
        # spellings that contain a separator are recognised before splitting
        self._spellings = [*self.options, *synonyms, *synonyms.values()]

    def lookup(self, answer: str) -> str | None:
        """Return the canonical option for ``answer``, or None when unknown.

        In an open vocabulary an answer that is neither an option nor a synonym is
        returned normalised (:func:`normalise`); one with an empty key (only dots,
        dashes, ...) is unknown.
        """
        try:
            return self._memo[answer]
        except KeyError:
            pass
        key = answer_key(answer)
        hit = self._index.get(key)
        if hit is None and self.open and key:
            hit = normalise(answer)
        if len(self._memo) < 1 << 16:
            self._memo[answer] = hit
        return hit

    def known(self, answer: str) -> bool:
        """Whether ``answer`` is a declared option or a synonym (not merely kept)."""
        return answer_key(answer) in self._index

    def split(self, text: str, separator: str) -> list[str]:
        """Split a cell into answers, keeping known answers that contain ``separator``.

        Pieces are joined back, longest first, when the joined text is a known option
        or synonym. Blank pieces are dropped; each answer is stripped.

        Examples
        --------
        >>> v = ChoiceVocabulary(["People management (hiring, 1:1s, feedback)", "Python"], {})
        >>> v.split("People management (hiring, 1:1s, feedback), Python", ",")
        ['People management (hiring, 1:1s, feedback)', 'Python']
        """
        pieces = text.split(separator)
        longest = max((s.count(separator) + 1 for s in self._spellings if separator in s),
                      default=1)
        out: list[str] = []
        i = 0
        while i < len(pieces):
            step = 1
            for j in range(min(len(pieces), i + longest), i + 1, -1):
                if self.known(separator.join(pieces[i:j])):
                    step = j - i
                    break
            answer = separator.join(pieces[i:i + step]).strip()
            if answer:
                out.append(answer)
            i += step
        return out


def parse_number(text: str) -> float:
    """Parse a number written with a dot or a decimal comma.

    Examples
    --------
    >>> parse_number("3,5")
    3.5
    >>> parse_number("lots")
    Traceback (most recent call last):
    ...
    mentormatch.survey._parsers.CellError: expected a number; got 'lots'
    """
    return _parse_number(text)


@lru_cache(maxsize=1 << 14)
def _parse_number(text: str) -> float:
    t = text.strip().replace(" ", "")
    if re.fullmatch(r"[-+]?\d+,\d+", t):
        t = t.replace(",", ".")
    try:
        value = float(t)
    except ValueError:
        msg = f"expected a number; got {text!r}"
        raise CellError(msg) from None
    if not np.isfinite(value):
        msg = f"expected a finite number; got {text!r}"
        raise CellError(msg)
    return value


_DAYS = {
    "mon": 0, "monday": 0, "tue": 1, "tues": 1, "tuesday": 1, "wed": 2, "wednesday": 2,
    "thu": 3, "thur": 3, "thurs": 3, "thursday": 3, "fri": 4, "friday": 4,
    "sat": 5, "saturday": 5, "sun": 6, "sunday": 6,
}
_SLOT = re.compile(
    r"^(?P<d1>[a-z]+)(?:\s*-\s*(?P<d2>[a-z]+))?\s+"
    r"(?P<h1>\d{1,2}):(?P<m1>\d{2})\s*-\s*(?P<h2>\d{1,2}):(?P<m2>\d{2})$"
)


@lru_cache(maxsize=512)
def get_zone(name: str) -> zoneinfo.ZoneInfo:
    """Return the IANA zone ``name`` or raise :class:`CellError`."""
    try:
        return zoneinfo.ZoneInfo(name.strip())
    except (zoneinfo.ZoneInfoNotFoundError, ValueError, IsADirectoryError):
        msg = f"unknown timezone {name!r}; expected an IANA name such as 'Europe/Paris'"
        raise CellError(msg) from None


@lru_cache(maxsize=4096)
def _offset_minutes(zone: str, start: dt.date, weekday: int) -> int:
    """UTC offset (minutes) in ``zone`` at noon of the first ``weekday`` on/after ``start``."""
    day = start + dt.timedelta(days=(weekday - start.weekday()) % 7)
    local = dt.datetime.combine(day, dt.time(12, 0), tzinfo=get_zone(zone))
    off = local.utcoffset()
    return 0 if off is None else int(off.total_seconds() // 60)


def parse_availability(
    text: str, zone: str, *, start: dt.date, slot_minutes: int
) -> NDArray[np.bool_]:
    """Parse weekly slots such as ``"Mon 18:00-20:00; Mon-Fri 07:30-08:00"`` into a UTC grid.

    Parameters
    ----------
    text : str
        Slots separated by ``;`` or ``,``: a day (``Mon`` or ``Monday``) or a day range
        (``Mon-Fri``), then ``HH:MM-HH:MM`` in local time (``24:00`` ends a day). Times
        must fall on the grid (multiples of ``slot_minutes``). Overlapping slots are
        merged.
    zone : str
        IANA timezone of the participant.
    start : date
        Programme start: the UTC offset is the one in force in the first week from it
        (so DST is taken as it is at the start).
    slot_minutes : int
        Grid resolution.

    Returns
    -------
    ndarray of bool, shape (7 * 24 * 60 // slot_minutes,)
        Monday 00:00 UTC first.

    Examples
    --------
    >>> g = parse_availability("Mon 18:00-20:00", "Europe/Berlin",
    ...                        start=dt.date(2026, 1, 12), slot_minutes=60)
    >>> np.flatnonzero(g).tolist()   # 17:00-19:00 UTC in winter
    [17, 18]
    """
    return _parse_availability(text, zone, start, slot_minutes).copy()


@lru_cache(maxsize=1 << 14)
def _parse_availability(
    text: str, zone: str, start: dt.date, slot_minutes: int
) -> NDArray[np.bool_]:
    # cached by (text, zone, start, grid): many participants write the same slots
    per_day = 24 * 60 // slot_minutes
    n_slots = 7 * per_day
    grid = np.zeros(n_slots, dtype=bool)
    parts = [p.strip() for p in re.split(r"[;,\n]", text) if p.strip()]
    if not parts:
        msg = "expected weekly slots like 'Mon 18:00-20:00'; got an empty answer"
        raise CellError(msg)
    for part in parts:
        m = _SLOT.match(" ".join(part.casefold().split()))
        if m is None:
            msg = f"expected slots like 'Mon 18:00-20:00' or 'Mon-Fri 07:30-09:00'; got {part!r}"
            raise CellError(msg)
        d1, d2 = m["d1"], m["d2"] or m["d1"]
        if d1 not in _DAYS or d2 not in _DAYS:
            bad = d1 if d1 not in _DAYS else d2
            msg = f"unknown day {bad!r} in {part!r}; expected Mon, Tue, Wed, Thu, Fri, Sat, Sun"
            raise CellError(msg)
        h1, m1, h2, m2 = int(m["h1"]), int(m["m1"]), int(m["h2"]), int(m["m2"])
        if h1 > 23 or m1 > 59 or h2 > 24 or m2 > 59 or (h2 == 24 and m2 != 0):
            msg = f"invalid time in {part!r}; expected HH:MM between 00:00 and 24:00"
            raise CellError(msg)
        t1, t2 = h1 * 60 + m1, h2 * 60 + m2
        if t2 <= t1:
            msg = f"slot {part!r} ends before it starts; write the end after the start"
            raise CellError(msg)
        if t1 % slot_minutes or t2 % slot_minutes:
            msg = f"slot {part!r} is off the {slot_minutes}-minute grid; use times like 18:00"
            raise CellError(msg)
        first, last = _DAYS[d1], _DAYS[d2]
        days = range(first, last + 1) if first <= last else [*range(first, 7), *range(last + 1)]
        for day in days:
            offset = _offset_minutes(zone, start, day)
            a = (day * 24 * 60 + t1 - offset) // slot_minutes
            b = (day * 24 * 60 + t2 - offset) // slot_minutes
            idx = np.arange(a, b) % n_slots
            grid[idx] = True
    grid.setflags(write=False)
    return grid
