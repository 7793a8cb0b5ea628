"""Cell parsers for each question kind: text in, normalised value out (or a problem)."""

from __future__ import annotations

import datetime as dt
import decimal
import difflib
import re
import unicodedata
import zoneinfo
from collections.abc import Mapping, Sequence
from functools import lru_cache
from typing import Any

import numpy as np
from numpy.typing import NDArray

__all__ = [
    "CellError",
    "ChoiceVocabulary",
    "answer_key",
    "availability_spans",
    "normalise",
    "number_key",
    "parse_availability",
    "parse_days",
    "parse_number",
    "parse_timestamps",
    "utc_offsets",
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
    if value.isascii() and not _NUMBER.fullmatch(value.lower().strip().replace(_NUM_MARK, "")):
        return None  # what answer_key decides for ASCII text, without computing the key
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
        self._longest: dict[str, int] = {}  # separator -> most pieces in one spelling

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

    def read(self, answer: str) -> tuple[str | None, bool, str | None]:
        """Return ``(lookup(answer), known(answer), answer_key(lookup(answer)))`` at once.

        Examples
        --------
        >>> v = ChoiceVocabulary(None, {"golang": "go"})
        >>> v.read("Go Lang"), v.read("Node  JS")
        (('go', True, 'go'), ('node js', False, 'nodejs'))
        """
        key = answer_key(answer)
        hit = self._index.get(key)
        known = hit is not None
        if hit is None and self.open and key:
            hit = normalise(answer)
        return hit, known, None if hit is None else answer_key(hit)

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
        longest = self._longest.get(separator)
        if longest is None:
            longest = max((s.count(separator) + 1 for s in self._spellings if separator in s),
                          default=1)
            self._longest[separator] = longest
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

    A comma followed by three digits (``"1,500"``) is refused: it may separate
    thousands or be a decimal comma.

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
    if re.fullmatch(r"[-+]?[1-9]\d{0,2},\d{3}", t):
        whole, frac = t.split(",")
        msg = (f"{text!r} may be {whole}{frac} (',' separating thousands) or {whole}."
               f"{frac.rstrip('0') or '0'} (a decimal comma); write it without the comma, "
               "or with a '.' decimal point")
        raise CellError(msg)
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


# ------------------------------------------------------------------ availability
_DAYS = {
    "mon": 0, "monday": 0, "mondays": 0,
    "tue": 1, "tues": 1, "tuesday": 1, "tuesdays": 1,
    "wed": 2, "weds": 2, "wednesday": 2, "wednesdays": 2,
    "thu": 3, "thur": 3, "thurs": 3, "thursday": 3, "thursdays": 3,
    "fri": 4, "friday": 4, "fridays": 4,
    "sat": 5, "saturday": 5, "saturdays": 5,
    "sun": 6, "sunday": 6, "sundays": 6,
}
#: Words that name several days at once.
_DAY_GROUPS = {
    "weekday": (0, 1, 2, 3, 4), "weekdays": (0, 1, 2, 3, 4),
    "weekend": (5, 6), "weekends": (5, 6),
    "workday": (0, 1, 2, 3, 4), "workdays": (0, 1, 2, 3, 4),
    "daily": tuple(range(7)), "everyday": tuple(range(7)),
}
#: Words between two times or two days that make a range.
_RANGE_WORDS = frozenset({"to", "till", "til", "until", "through", "thru"})
#: Words that only join or introduce (ignored).
_FILLER = frozenset({"and", "from", "at", "on", "between", "or"})
_TOKEN = re.compile(
    r"(?P<time>(?:\d{1,2}(?:[:.h]\d{2}|h)?(?:\s*(?:a\.?m\.?|p\.?m\.?))?|noon|midnight)"
    r"(?![\w:]))"
    r"|(?P<word>[^\W\d_]+)\.?"
    r"|(?P<sep>[,&/+])"
    r"|(?P<dash>-)"
    r"|(?P<space>\s+)"
)
_TIME = re.compile(r"(\d{1,2})(?:[:.h](\d{2})|h)?\s*(?:(a|p)\.?m\.?)?")
_EXAMPLES = "'Mon 18:00-20:00', 'Mon, Wed 6pm-8pm' or 'Sun 23:00-01:00'"
#: Longest slot that may run past midnight ("Sun 23:00-01:00"); longer is an error.
OVERNIGHT_MAX_MINUTES = 12 * 60


@lru_cache(maxsize=512)
def get_zone(name: str) -> dt.tzinfo:
    """Return the timezone ``name`` or raise :class:`CellError`.

    ``name`` is an IANA name (``"Europe/Paris"``) or a fixed offset from UTC written
    ``UTC+2``, ``GMT-05:00`` or ``UTC+5:30`` (no daylight saving time: an offset is the
    same all year). Case and spaces around the sign do not matter.

    Examples
    --------
    >>> str(get_zone("Europe/Berlin")), str(get_zone("UTC+5:30")), str(get_zone("gmt - 5"))
    ('Europe/Berlin', 'UTC+05:30', 'UTC-05:00')
    """
    text = name.strip()
    m = re.fullmatch(r"(?i)(?:utc|gmt)\s*(?:([+-])\s*(\d{1,2})(?::?(\d{2}))?)?", text)
    if m is not None:
        if m[1] is None:
            return dt.UTC
        hours, minutes = int(m[2]), int(m[3] or 0)
        if hours > 14 or minutes >= 60:
            msg = f"unknown timezone {name!r}; offsets run from UTC-14:00 to UTC+14:00"
            raise CellError(msg)
        sign = 1 if m[1] == "+" else -1
        return dt.timezone(sign * dt.timedelta(hours=hours, minutes=minutes))
    try:
        return zoneinfo.ZoneInfo(text)
    except (zoneinfo.ZoneInfoNotFoundError, ValueError, IsADirectoryError):
        msg = (f"unknown timezone {name!r}; expected an IANA name such as 'Europe/Paris' "
               "or an offset such as 'UTC+2'")
        raise CellError(msg) from None


@lru_cache(maxsize=4096)
def _offset_minutes(zone: str, start: dt.date, weekday: int) -> int:
    """UTC offset (minutes) in ``zone`` at noon of the first ``weekday`` on/after ``start``."""
    day = start + dt.timedelta(days=(weekday - start.weekday()) % 7)
    local = dt.datetime.combine(day, dt.time(12, 0), tzinfo=get_zone(zone))
    off = local.utcoffset()
    return 0 if off is None else int(off.total_seconds() // 60)


def parse_availability(
    text: str, zone: str, *, start: dt.date, slot_minutes: int,
    slots: Mapping[str, str] | None = None, separator: str | None = None,
    default_days: str | None = None,
) -> NDArray[np.bool_]:
    """Parse weekly availability as people write it into a boolean grid in UTC.

    Parameters
    ----------
    text : str
        Slots separated by ``;`` or new lines. Each slot is days, then one or more time
        ranges, in local time:

        * days: ``Mon`` or ``Monday`` (``Mondays``), lists ``Mon, Wed`` or ``Mon and
          Wed``, ranges ``Mon-Fri`` or ``Mon to Fri``, and ``weekdays``, ``weekends``,
          ``daily``, ``every day``. Several groups may follow each other: ``Mon
          18:00-20:00, Wed 07:00-08:00``.
        * times: ``18:00``, ``18.00``, ``18h``, ``6pm``, ``6:30 pm``, ``noon``,
          ``midnight``; a bare hour (``18``) is on the 24-hour clock. A start without
          am/pm takes the end's (``6-8pm`` is 18:00-20:00). A range ends after it
          starts, or past midnight (``Sun 23:00-01:00`` ends Monday 01:00) when it lasts
          at most 12 hours; ``24:00`` ends a day.
        * times must fall on the grid (multiples of ``slot_minutes``).

        Overlapping slots are merged.
    zone : str
        The participant's timezone (see :func:`get_zone`).
    start : date
        Programme start: the UTC offset is the one in force in the first week from it
        (so DST is taken as it is at the start).
    slot_minutes : int
        Grid resolution.
    slots : mapping of str to str, optional
        Named answers of a checkbox question (``"Weekday evenings" -> "Mon-Fri
        18:00-21:00"``, or ``"Evenings" -> "18:00-21:00"`` on ``default_days``),
        recognised as :func:`answer_key` does; the rest of the cell is read as times.
    separator : str, optional
        What separates checked boxes in a cell (with ``slots``).
    default_days : str, optional
        Days of a slot written without days (``"6pm-8pm"``), e.g. ``"every day"`` or
        ``"Mon-Fri"``. Without it such a slot is an error.

    Returns
    -------
    ndarray of bool, shape (7 * 24 * 60 // slot_minutes,)
        Monday 00:00 UTC first.

    Raises
    ------
    CellError
        Naming the part of the answer that could not be read.

    Examples
    --------
    >>> g = parse_availability("Mon 18:00-20:00", "Europe/Berlin",
    ...                        start=dt.date(2026, 1, 12), slot_minutes=60)
    >>> np.flatnonzero(g).tolist()   # 17:00-19:00 UTC in winter
    [17, 18]
    >>> g = parse_availability("Sun 23:00-01:00", "UTC", start=dt.date(2026, 1, 12),
    ...                        slot_minutes=60)
    >>> np.flatnonzero(g).tolist()   # Sunday 23:00 to Monday 01:00
    [0, 167]
    >>> g = parse_availability("Mon, Wed 6-7pm", "UTC", start=dt.date(2026, 1, 12),
    ...                        slot_minutes=60)
    >>> np.flatnonzero(g).tolist()
    [18, 66]
    """
    named = tuple(sorted(slots.items())) if slots else ()
    return _parse_availability(text, zone, start, slot_minutes, named, separator,
                               default_days).copy()


@lru_cache(maxsize=1 << 14)
def _parse_availability(
    text: str, zone: str, start: dt.date, slot_minutes: int,
    slots: tuple[tuple[str, str], ...], separator: str | None, default_days: str | None,
) -> NDArray[np.bool_]:
    # cached: many participants write the same slots
    per_day = 24 * 60 // slot_minutes
    n_slots = 7 * per_day
    grid = np.zeros(n_slots, dtype=bool)
    free = text
    spans: list[tuple[tuple[int, ...], int, int, str]] = []
    if slots:
        vocab = ChoiceVocabulary([name for name, _ in slots], {})
        meaning = {answer_key(name): value for name, value in slots}
        pieces = vocab.split(text, separator) if separator else [text.strip()]
        rest = []
        for piece in pieces:
            if vocab.known(piece):
                for part in _parts(meaning[answer_key(piece)]):
                    spans += _read_part(part, default_days)
            else:
                rest.append(piece)
        free = (separator or ";").join(rest)
        if free.strip():
            try:
                for part in _parts(free):
                    spans += _read_part(part, default_days)
            except CellError as exc:
                names = [name for name, _ in slots]
                listed = ", ".join(repr(n) for n in names[:6]) + (", ..." if len(names) > 6
                                                                  else "")
                close = difflib.get_close_matches(free.strip(), names, n=1, cutoff=0.6)
                hint = f" (did you mean {close[0]!r}?)" if close else ""
                msg = (f"{free.strip()!r} is neither a declared slot ({listed}){hint} nor "
                       f"times that can be read: {exc}")
                raise CellError(msg) from None
    else:
        spans = _read_spans(text, default_days)
    _check_spans(spans, slot_minutes)
    for days, t1, t2, _part in spans:
        for day in days:
            offset = _offset_minutes(zone, start, day)
            a = (day * 24 * 60 + t1 - offset) // slot_minutes
            b = (day * 24 * 60 + t2 - offset) // slot_minutes
            _mark(grid, a, b)
    grid.setflags(write=False)
    return grid


def availability_spans(text: str, *, slot_minutes: int,
                       default_days: str | None = None) -> tuple[tuple[int, int, int], ...]:
    """Return ``(day, start, end)`` of each slot of an answer without named slots.

    Local minutes after midnight (``end`` past 1440 for a slot past midnight), one entry
    per day, in the order written. Raises :class:`CellError` exactly as
    :func:`parse_availability` does for the answer (in any timezone): the slots read
    here, placed in a zone by :func:`utc_offsets`, mark the same grid.

    Examples
    --------
    >>> availability_spans("Mon, Wed 6-7pm", slot_minutes=60)
    ((0, 1080, 1140), (2, 1080, 1140))
    """
    spans = _read_spans(text, default_days)
    _check_spans(spans, slot_minutes)
    return tuple((day, t1, t2) for days, t1, t2, _ in spans for day in days)


def _read_spans(text: str, default_days: str | None
                ) -> list[tuple[tuple[int, ...], int, int, str]]:
    """Return the ``(days, start, end, part)`` written in an answer of times."""
    parts = _parts(text)
    if not parts:
        msg = f"expected weekly slots like {_EXAMPLES}; got an empty answer"
        raise CellError(msg)
    spans: list[tuple[tuple[int, ...], int, int, str]] = []
    for part in parts:
        spans += _read_part(part, default_days)
    return spans


def _check_spans(spans: list[tuple[tuple[int, ...], int, int, str]],
                 slot_minutes: int) -> None:
    """Refuse an answer with no slot, or a slot off the grid."""
    if not spans:
        msg = f"expected weekly slots like {_EXAMPLES}; got an empty answer"
        raise CellError(msg)
    for _, t1, t2, part in spans:
        if t1 % slot_minutes or t2 % slot_minutes:
            msg = (f"slot {part!r} is off the {slot_minutes}-minute grid; use times like "
                   "18:00")
            raise CellError(msg)


def utc_offsets(zone: str, start: dt.date) -> tuple[int, ...]:
    """Return the UTC offset (minutes) of ``zone`` on each weekday of the week from ``start``.

    Monday first; the offset in force at noon (as :func:`parse_availability` places slots).

    Examples
    --------
    >>> utc_offsets("Europe/Berlin", dt.date(2026, 1, 12))
    (60, 60, 60, 60, 60, 60, 60)
    """
    return tuple(_offset_minutes(zone, start, day) for day in range(7))


def _mark(grid: NDArray[np.bool_], a: int, b: int) -> None:
    """Set slots ``a`` to ``b - 1`` of the weekly ``grid``, wrapping round the week."""
    n = grid.shape[0]
    if b - a >= n:
        grid[:] = True
        return
    if b <= a:
        return
    lo = a % n
    hi = lo + (b - a)
    grid[lo:min(hi, n)] = True
    if hi > n:
        grid[:hi - n] = True


def _parts(text: str) -> list[str]:
    return [p.strip() for p in re.split(r"[;\n]", text) if p.strip()]


def parse_days(text: str) -> tuple[int, ...]:
    """Parse days such as ``"Mon-Fri"``, ``"weekends"`` or ``"every day"`` (0 = Monday).

    Examples
    --------
    >>> parse_days("Mon-Wed, Sat"), parse_days("every day")
    ((0, 1, 2, 5), (0, 1, 2, 3, 4, 5, 6))
    """
    try:
        items = _items(text, text)
    except CellError:
        items = []
    if not items or any(kind != "days" for kind, _ in items):
        msg = f"expected days such as 'Mon-Fri' or 'every day'; got {text!r}"
        raise CellError(msg)
    return tuple(sorted({d for _, days in items for d in days}))


def _tokens(part: str) -> list[tuple[str, str]]:
    text = " ".join(part.casefold().replace("\u2013", "-").replace("\u2014", "-").split())
    text = re.sub(r"\bevery\s+day\b", "everyday", text)
    out: list[tuple[str, str]] = []
    pos = 0
    while pos < len(text):
        m = _TOKEN.match(text, pos)
        if m is None or m.end() == pos:
            msg = f"expected slots like {_EXAMPLES}; got {part!r}"
            raise CellError(msg)
        kind = m.lastgroup or ""
        if kind != "space":
            out.append((kind, m[kind]))
        pos = m.end()
    return out


def _minutes(token: str, part: str) -> tuple[int, str | None, bool]:
    """(minutes after midnight, am/pm letter or None, written as midnight)."""
    if token == "noon":
        return 12 * 60, None, False
    if token == "midnight":
        return 0, None, True
    m = _TIME.fullmatch(token)
    if m is None:  # pragma: no cover - the tokeniser only passes times
        msg = f"invalid time {token!r} in {part!r}"
        raise CellError(msg)
    h, mins, half = int(m[1]), int(m[2] or 0), m[3]
    if mins > 59 or (half is not None and not 1 <= h <= 12) or h > 24 or (
            h == 24 and mins):
        msg = f"invalid time in {part!r}; expected HH:MM between 00:00 and 24:00, or 1-12 am/pm"
        raise CellError(msg)
    return h * 60 + mins, half, False


def _clock(value: int, half: str | None) -> int:
    if half is None:
        return value
    h, mins = divmod(value, 60)
    return (h % 12 + (12 if half == "p" else 0)) * 60 + mins


def _range(a: str, b: str, part: str) -> tuple[int, int]:
    t1, h1, _ = _minutes(a, part)
    t2, h2, end_midnight = _minutes(b, part)
    if h1 is None and h2 is not None and 60 <= t1 < 13 * 60:
        h1 = h2  # "6-8pm": the start takes the end's am/pm
    t1, t2 = _clock(t1, h1), _clock(t2, h2)
    if t1 >= 24 * 60:
        msg = f"invalid time in {part!r}; a slot cannot start at 24:00"
        raise CellError(msg)
    if end_midnight or (t2 == 0 and t1 > 0):
        t2 = 24 * 60
    if t2 <= t1:
        t2 += 24 * 60  # past midnight: "Sun 23:00-01:00"
        if t2 - t1 > OVERNIGHT_MAX_MINUTES or t2 - t1 == 24 * 60:
            msg = (f"slot {part!r} ends before it starts; write the end after the start "
                   "(a slot past midnight, such as 'Sun 23:00-01:00', lasts at most "
                   "12 hours)")
            raise CellError(msg)
    return t1, t2


def _items(tokens_of: str, part: str) -> list[tuple[str, Any]]:
    """Return the part as ("days", days) and ("times", (t1, t2)) items."""
    toks = _tokens(tokens_of)
    items: list[tuple[str, Any]] = []
    i = 0
    between = False

    def is_range(k: int) -> bool:
        return k < len(toks) and (toks[k][0] == "dash" or (
            toks[k][0] == "word" and (toks[k][1] in _RANGE_WORDS
                                      or (between and toks[k][1] == "and"))))

    while i < len(toks):
        kind, tok = toks[i]
        if kind == "time":
            if not is_range(i + 1) or i + 2 >= len(toks) or toks[i + 2][0] != "time":
                msg = (f"time {tok!r} in {part!r} has no end; write a range such as "
                       "'18:00-20:00' or '6pm-8pm'")
                raise CellError(msg)
            items.append(("times", _range(tok, toks[i + 2][1], part)))
            between = False
            i += 3
        elif kind == "word" and tok in _DAYS:
            first = _DAYS[tok]
            if is_range(i + 1) and i + 2 < len(toks) and toks[i + 2][0] == "word":
                last_word = toks[i + 2][1]
                if last_word not in _DAYS:
                    msg = (f"unknown day {last_word!r} in {part!r}; expected Mon, Tue, Wed, "
                           "Thu, Fri, Sat, Sun")
                    raise CellError(msg)
                last = _DAYS[last_word]
                days = (tuple(range(first, last + 1)) if first <= last
                        else (*range(first, 7), *range(last + 1)))
                items.append(("days", days))
                i += 3
            else:
                items.append(("days", (first,)))
                i += 1
        elif kind == "word" and tok in _DAY_GROUPS:
            items.append(("days", _DAY_GROUPS[tok]))
            i += 1
        elif kind == "word" and tok in _FILLER:
            between = between or tok == "between"
            i += 1
        elif kind == "sep":
            i += 1
        elif kind == "word" and i + 1 < len(toks) and toks[i + 1][0] in ("time", "dash"):
            msg = (f"unknown day {tok!r} in {part!r}; expected Mon, Tue, Wed, Thu, Fri, "
                   "Sat, Sun")
            raise CellError(msg)
        else:
            msg = f"expected slots like {_EXAMPLES}; got {part!r}"
            raise CellError(msg)
    return items


@lru_cache(maxsize=1 << 14)
def _read_part(part: str, default_days: str | None) -> tuple[tuple[tuple[int, ...], int, int,
                                                                   str], ...]:
    """Days-and-times groups of one slot: ((days, start, end, part), ...)."""
    items = _items(part, part)
    groups: list[tuple[list[int], list[tuple[int, int]]]] = []
    for kind, value in items:
        if kind == "days":
            if not groups or groups[-1][1]:
                groups.append(([], []))
            groups[-1][0].extend(value)
        else:
            if not groups:
                groups.append(([], []))
            groups[-1][1].append(value)
    # "18:00-20:00 Mon, Wed": times first, then the days
    if len(groups) == 2 and not groups[0][0] and groups[1][0] and not groups[1][1]:
        groups = [(groups[1][0], groups[0][1])]
    out = []
    for days, times in groups:
        if not times:
            shown = ", ".join(_DAY_LABELS[d] for d in days)
            msg = f"no time given for {shown} in {part!r}; write e.g. 'Mon 18:00-20:00'"
            raise CellError(msg)
        if not days:
            if default_days is None:
                msg = (f"no day given in {part!r}; write the days ('Mon, Wed 18:00-19:00'), "
                       "or declare `default_days` for this question in the survey")
                raise CellError(msg)
            days = list(parse_days(default_days))
        for t1, t2 in times:
            out.append((tuple(dict.fromkeys(days)), t1, t2, part))
    return tuple(out)


_DAY_LABELS = ("Mon", "Tue", "Wed", "Thu", "Fri", "Sat", "Sun")


# -------------------------------------------------------------------- timestamps
_TIMESTAMP = re.compile(
    r"(?P<a>\d{1,4})[-/.](?P<b>\d{1,2})[-/.](?P<c>\d{1,4})"
    r"(?:(?:t|\s+|\s*,\s*)(?P<h>\d{1,2}):(?P<mi>\d{2})(?::(?P<s>\d{2})(?:[.,](?P<f>\d+))?)?"
    r"\s*(?P<half>[ap])?\.?(?:m\.?)?)?"
    r"\s*(?:z|utc|gmt)?\s*(?P<off>[+-]\d{1,2}(?::?\d{2})?)?"
)
#: The orders in which a date may be written.
DATE_ORDERS = ("year first", "month first", "day first")


def parse_timestamps(text: str, fmt: str | None = None) -> dict[str, float]:
    """Read a submission time; return its readings (seconds since 1970, UTC).

    Without ``fmt`` a date is ``year-month-day`` (``2026-03-01 14:05:09``,
    ``2026/03/01 2:05:09 PM GMT+1``), or ``month/day/year`` or ``day/month/year``
    (``03/01/2026 14:05``): such a date gets both readings that are valid dates, and
    the caller decides which order the column uses. A time without an offset is taken
    as UTC (only the order of one column's times matters). With ``fmt`` (a
    :func:`datetime.datetime.strptime` format) only that reading is tried.

    Returns
    -------
    dict
        Order (``"year first"``, ``"month first"``, ``"day first"`` or ``"format"``) ->
        seconds; empty when the text is not a date and time.

    Examples
    --------
    >>> parse_timestamps("2026-03-01 14:05:09")
    {'year first': 1772373909.0}
    >>> sorted(parse_timestamps("03/01/2026 2:05 PM"))
    ['day first', 'month first']
    >>> parse_timestamps("13/01/2026 14:05")
    {'day first': 1768313100.0}
    """
    text = text.strip()
    if fmt is not None:
        try:
            when = dt.datetime.strptime(text, fmt)
        except ValueError:
            return {}
        if when.tzinfo is None:
            when = when.replace(tzinfo=dt.UTC)
        return {"format": when.timestamp()}
    m = _TIMESTAMP.fullmatch(text.casefold())
    if m is None:
        return {}
    a, b, c = m["a"], m["b"], m["c"]
    if len(a) == 4:
        orders = {"year first": (int(a), int(b), int(c))}
    elif len(c) in (2, 4) and len(a) <= 2:
        year = int(c) + (2000 if len(c) == 2 else 0)
        orders = {"month first": (year, int(a), int(b)), "day first": (year, int(b), int(a))}
    else:
        return {}
    hour, minute = int(m["h"] or 0), int(m["mi"] or 0)
    second = int(m["s"] or 0)
    micro = int((m["f"] or "0")[:6].ljust(6, "0"))
    if m["half"]:
        if not 1 <= hour <= 12:
            return {}
        hour = hour % 12 + (12 if m["half"] == "p" else 0)
    offset = 0
    if m["off"]:
        sign = -1 if m["off"][0] == "-" else 1
        digits = m["off"][1:].replace(":", "")
        hh, mm = (int(digits[:-2]), int(digits[-2:])) if len(digits) > 2 else (int(digits), 0)
        offset = sign * (hh * 60 + mm)
    out: dict[str, float] = {}
    for order, (y, mo, d) in orders.items():
        try:
            when = dt.datetime(y, mo, d, hour, minute, second, micro, tzinfo=dt.UTC)
        except ValueError:
            continue
        out[order] = (when - dt.timedelta(minutes=offset)).timestamp()
    return out
