"""Cell parsers for each question kind: text in, normalised value out (or a problem)."""

from __future__ import annotations

import datetime as dt
import re
import zoneinfo
from collections.abc import Sequence
from functools import lru_cache

import numpy as np
from numpy.typing import NDArray

__all__ = [
    "CellError",
    "ChoiceVocabulary",
    "normalise",
    "parse_availability",
    "parse_number",
]


class CellError(ValueError):
    """A cell that cannot be parsed; the message says what was expected."""


def normalise(value: str) -> str:
    """Case-fold and collapse white space: ``" Node  JS "`` -> ``"node js"``.

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


def _compact(value: str) -> str:
    return re.sub(r"[\s._\-/]+", "", value.casefold())


class ChoiceVocabulary:
    """Maps free answers to canonical options, through synonyms and normalisation.

    An answer matches an option when it is equal after case-folding and collapsing white
    space, or after also dropping spaces, dots, hyphens, underscores and slashes (so
    ``"Node.js"`` matches ``"nodejs"``), or when it is a declared synonym.

    Parameters
    ----------
    options : sequence of str or None
        Canonical options; None means an open vocabulary (every answer is kept).
    synonyms : dict
        Alias -> option.

    Examples
    --------
    >>> v = ChoiceVocabulary(["nodejs", "React"], {"node": "nodejs"})
    >>> v.lookup("Node.js"), v.lookup("node"), v.lookup("REACT"), v.lookup("vue")
    ('nodejs', 'nodejs', 'React', None)
    """

    def __init__(self, options: Sequence[str] | None, synonyms: dict[str, str]) -> None:
        self.open = options is None
        self.options: list[str] = list(options or [])
        self._exact: dict[str, str] = {}
        self._compact: dict[str, str] = {}
        self._memo: dict[str, str | None] = {}  # answer -> lookup result
        for opt in self.options:
            self._exact[normalise(opt)] = opt
            self._compact.setdefault(_compact(opt), opt)
        for alias, target in synonyms.items():
            canonical = self._exact.get(normalise(target), target)
            self._exact[normalise(alias)] = canonical
            self._compact.setdefault(_compact(alias), canonical)

    def lookup(self, answer: str) -> str | None:
        """Return the canonical option for ``answer``, or None when unknown."""
        try:
            return self._memo[answer]
        except KeyError:
            pass
        hit = self._lookup(answer)
        if len(self._memo) < 1 << 16:
            self._memo[answer] = hit
        return hit

    def _lookup(self, answer: str) -> str | None:
        key = normalise(answer)
        hit = self._exact.get(key)
        if hit is None:
            hit = self._compact.get(_compact(answer))
        if hit is None and self.open and key:
            return key
        return hit


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
