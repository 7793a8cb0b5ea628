"""Exceptions and warnings raised by mentormatch.

Every error a caller can provoke with bad input is a :class:`MentorMatchError` and also
the builtin a caller would catch (usually :class:`ValueError`), so ``except ValueError``
keeps working for code that does not know mentormatch.
"""

from __future__ import annotations

from collections.abc import Sequence

__all__ = [
    "EventError",
    "HistoryError",
    "InfeasibleError",
    "IntakeError",
    "IntakeIssue",
    "MentorMatchError",
    "MentorMatchWarning",
    "SolverError",
    "SolverFallbackWarning",
    "StateError",
    "SurveyError",
    "UnknownIdError",
]


class MentorMatchError(Exception):
    """Base class of every exception raised by mentormatch."""


class IntakeIssue:
    """One problem found in an input table.

    Parameters
    ----------
    message : str
        What is wrong, what was expected and what was received.
    file : str or None, default=None
        Name of the file (or table) the problem was found in.
    row : int or None, default=None
        1-based data row as a spreadsheet shows it (the header is row 1).
    column : str or None, default=None
        Column name.
    value : object, default=None
        The offending value (shown truncated in messages).

    Examples
    --------
    >>> str(IntakeIssue("unknown timezone 'Europe/Pariss'.", file="mentees.csv", row=7,
    ...             column="timezone"))
    "mentees.csv row 7, column 'timezone': unknown timezone 'Europe/Pariss'."
    """

    __slots__ = ("column", "file", "message", "row", "value")

    def __init__(
        self,
        message: str,
        *,
        file: str | None = None,
        row: int | None = None,
        column: str | None = None,
        value: object = None,
    ) -> None:
        self.message = message
        self.file = file
        self.row = row
        self.column = column
        self.value = value

    def location(self) -> str:
        """Return ``"file row R, column 'C'"`` with the parts that are known."""
        parts = []
        if self.file is not None:
            parts.append(self.file)
        if self.row is not None:
            parts.append(f"row {self.row}")
        where = " ".join(parts)
        if self.column is not None:
            where = f"{where}, column '{self.column}'" if where else f"column '{self.column}'"
        return where

    def __str__(self) -> str:
        where = self.location()
        return f"{where}: {self.message}" if where else self.message

    def __repr__(self) -> str:
        return f"IntakeIssue({str(self)!r})"


class IntakeError(MentorMatchError, ValueError):
    """Intake tables do not fit the survey.

    Every problem found is collected (up to a cap) and reported together.

    Attributes
    ----------
    problems : list of IntakeIssue
        The individual problems, each naming file, row, column and value.
    """

    def __init__(self, problems: Sequence[IntakeIssue] | str, *, truncated: int = 0) -> None:
        if isinstance(problems, str):
            problems = [IntakeIssue(problems)]
        self.problems = list(problems)
        self.truncated = truncated
        lines = [str(p) for p in self.problems]
        head = (
            lines[0]
            if len(lines) == 1
            else f"{len(lines) + truncated} problems in the intake data:\n  - "
            + "\n  - ".join(lines)
        )
        if truncated:
            head += f"\n  ... and {truncated} more (not shown)."
        super().__init__(head)


class SurveyError(MentorMatchError, ValueError):
    """The survey description (TOML, JSON or Python) is invalid."""


class SolverError(MentorMatchError, ValueError):
    """Invalid arguments to a solver, or a solver that failed."""


class InfeasibleError(SolverError):
    """The constraints of a matching problem cannot all be met.

    Attributes
    ----------
    constraint : str
        The family of constraints that cannot be met (for example ``"min_load"``).
    """

    def __init__(self, message: str, *, constraint: str = "") -> None:
        self.constraint = constraint
        super().__init__(message)


class UnknownIdError(MentorMatchError, KeyError, ValueError):
    """A participant id that is not in the cohort or matching (also a ``ValueError``)."""

    def __str__(self) -> str:
        return str(self.args[0]) if self.args else ""


class EventError(MentorMatchError, ValueError):
    """A rematch event refers to unknown participants or impossible changes."""


class StateError(MentorMatchError, ValueError):
    """A saved state file is unreadable, inconsistent, or older than the file on disk."""


class HistoryError(MentorMatchError, ValueError):
    """Past pairs or outcomes cannot be used for tuning."""


class MentorMatchWarning(UserWarning):
    """Base class of the warnings mentormatch emits."""


class SolverFallbackWarning(MentorMatchWarning):
    """A requested solver backend is unavailable and another one was used."""
