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


