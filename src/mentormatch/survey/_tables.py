"""Reading intake tables (CSV, Excel, DataFrame) as text, with their row numbers."""

from __future__ import annotations

import csv
import io
import warnings
from collections.abc import Callable, Mapping, Sequence
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd

from mentormatch.exceptions import IntakeError, IntakeIssue, MentorMatchWarning

__all__ = ["IntakeTable", "read_table"]


class IntakeEncodingWarning(MentorMatchWarning):
    """A CSV file was not UTF-8 and was read as cp1252 (Windows "ANSI")."""


class IntakeTable:
    """An intake table read as text: ``frame`` holds strings ("" for an empty cell).

    ``name`` is what error messages call the table (its file name, or ``"mentors"`` /
    ``"mentees"`` for a DataFrame); row ``k`` of ``frame`` is spreadsheet row ``k + 2``.
    """

    def __init__(self, frame: pd.DataFrame, name: str, positions: Any = None, *,
                 sheet: str | None = None, sheets: Sequence[str] = ()) -> None:
        self.frame = frame
        #: Cells of a DataFrame or records that held a list of answers, by (position in
        #: the source, header): the frame joins them with ';' until the survey says its
        #: separator (:func:`rejoin_lists`).
        self.lists: dict[tuple[int, str], list[str]] = {}
        self.name = name
        self.positions = (
            list(range(len(frame))) if positions is None else [int(p) for p in positions]
        )
        #: The workbook sheet read, and every sheet of the workbook (Excel only).
        self.sheet = sheet
        self.sheets = tuple(sheets)

    def subset(self, keep: Sequence[int]) -> IntakeTable:
        """Return the table of data rows ``keep`` (positions), with their row numbers."""
        rows = list(keep)
        return IntakeTable(self.frame.iloc[rows].reset_index(drop=True), self.name,
                           [self.positions[k] for k in rows], sheet=self.sheet,
                           sheets=self.sheets)

    def where(self) -> str:
        """Say which sheet was read, for messages (empty for a CSV or a DataFrame)."""
        if not self.sheets:
            return ""
        listed = ", ".join(repr(s) for s in self.sheets)
        return (f" (read from sheet {self.sheet!r}; the workbook's sheets: {listed}; choose "
                "another with --sheet)")

    def row_number(self, position: int) -> int:
        """Return the 1-based spreadsheet row of data row ``position`` (header is row 1)."""
        return self.positions[position] + 2

    def __len__(self) -> int:
        return len(self.frame)


def read_table(source: Any, *, role: str, sheet: str | int | None = None,
               skip_rows: int = 0) -> IntakeTable:
    """Read an intake table from a path (CSV or Excel), a DataFrame, or a list of records.

    Every cell is kept as text; parsing is the survey's job so that errors can name the
    cell. Duplicated header names are an error. CSV files are read as UTF-8 (a BOM is
    accepted); a file that is not valid UTF-8 is read as cp1252 with a warning. A CSV
    file whose header holds no ',' but holds ';' is read as separated by ';'.

    Parameters
    ----------
    source : str, Path, DataFrame or sequence of mappings
        The table.
    role : {"mentor", "mentee"}
        Used to name a table that has no file name.
    sheet : str or int, optional
        Excel sheet (the first by default). A sheet the workbook lacks is an error that
        lists the workbook's sheets.
    skip_rows : int, default=0
        Rows under the header of a file that hold no participant (a Qualtrics export's
        question texts and import ids); row numbers in messages stay those of the file.
        A DataFrame or records are taken as already read (nothing is skipped).

    Returns
    -------
    IntakeTable

    Raises
    ------
    IntakeError
        If the file is missing, unreadable, or has duplicated or blank column names.
    """
    default_name = f"{role}s"
    if isinstance(source, IntakeTable):
        return source
    if isinstance(source, pd.DataFrame):
        frame = source.copy()
        frame.columns = [str(c) for c in frame.columns]
        return _with_lists(frame, _finish(_as_text(frame), default_name, list(frame.columns)))
    if (
        isinstance(source, Sequence)
        and not isinstance(source, str | bytes)
        and all(isinstance(r, Mapping) for r in source)
    ):
        frame = pd.DataFrame.from_records(list(source))
        frame.columns = [str(c) for c in frame.columns]
        return _with_lists(frame, _finish(_as_text(frame), default_name, list(frame.columns)))
    path = Path(source)
    name = path.name
    if not path.exists():
        raise IntakeError([IntakeIssue(f"file {str(path)!r} does not exist.", file=name)])
    suffix = path.suffix.lower()
    sheets: list[str] = []
    read_sheet: str | None = None
    try:
        if suffix in (".xlsx", ".xlsm", ".xls"):
            sheets, read_sheet = _pick_sheet(path, sheet)
            raw = pd.read_excel(path, sheet_name=read_sheet, header=None, dtype=str)
        elif suffix in (".csv", ".txt", ".tsv"):
            raw = _read_csv(path, sep="\t" if suffix == ".tsv" else ",")
        else:
            msg = f"unsupported file type {suffix or 'none'!r}; expected .csv, .tsv or .xlsx."
            raise IntakeError([IntakeIssue(msg, file=name)])
    except IntakeError:
        raise
    except (ValueError, OSError, pd.errors.ParserError) as exc:
        msg = f"could not read the table: {str(exc).strip()}"
        if isinstance(exc, pd.errors.ParserError) and "Expected 1 fields" in str(exc):
            msg += (" (a row has more cells than the header, row 1: is the header on a "
                    "lower row? Delete the title rows above it.)")
        raise IntakeError([IntakeIssue(msg, file=name)]) from exc
    raw = raw.fillna("")
    if raw.shape[0] == 0:
        raise IntakeError([IntakeIssue("the file is empty: expected a header row.", file=name)])
    header = [str(h).strip() for h in raw.iloc[0].tolist()]
    frame = raw.iloc[1:].reset_index(drop=True)
    frame.columns = pd.RangeIndex(frame.shape[1])
    table = _finish(frame.astype(str), name, header, skip_rows)
    table.sheet, table.sheets = read_sheet, tuple(sheets)
    return table


def _pick_sheet(path: Path, sheet: str | int | None) -> tuple[list[str], str]:
    """Return the workbook's sheet names and the one to read (an error if it is absent)."""
    with pd.ExcelFile(path) as book:
        names = [str(n) for n in book.sheet_names]
    listed = ", ".join(repr(n) for n in names)
    if sheet is None:
        if not names:
            raise IntakeError([IntakeIssue("the workbook has no sheets.", file=path.name)])
        return names, names[0]
    if isinstance(sheet, int) and not isinstance(sheet, bool):
        if 0 <= sheet < len(names):
            return names, names[sheet]
        msg = f"the workbook has no sheet number {sheet} (counting from 0); its sheets: {listed}."
        raise IntakeError([IntakeIssue(msg, file=path.name)])
    if str(sheet) in names:
        return names, str(sheet)
    close = [n for n in names if n.casefold().strip() == str(sheet).casefold().strip()]
    hint = f" (did you mean {close[0]!r}?)" if close else ""
    msg = f"the workbook has no sheet {str(sheet)!r}{hint}; its sheets: {listed}."
    raise IntakeError([IntakeIssue(msg, file=path.name)])


def _read_csv(path: Path, sep: str) -> pd.DataFrame:
    data = path.read_bytes()
    try:
        text = data.decode("utf-8-sig")
    except UnicodeDecodeError:
        text = data.decode("cp1252", errors="replace")
        warnings.warn(
            f"{path.name} is not UTF-8; it was read as cp1252 (Windows). Save it as UTF-8 "
            "to be sure accented names are read right.",
            IntakeEncodingWarning,
            stacklevel=4,
        )
    text = text.lstrip("\r\n")  # blank lines above the header
    if not text.strip():
        return pd.DataFrame()  # reported as an empty file by the caller
    if sep == "," and _one_field(text, ",") and not _one_field(text, ";"):
        sep = ";"  # "CSV" as Excel saves it where ',' is the decimal mark
    return pd.read_csv(
        io.StringIO(text), sep=sep, header=None, dtype=str, keep_default_na=False,
        # keep blank lines so that row numbers match the file; _finish drops them
        skip_blank_lines=False,
    )


def _one_field(text: str, sep: str) -> bool:
    """Whether the header line (quotes respected) is one field when split by ``sep``."""
    try:
        header = next(csv.reader(io.StringIO(text), delimiter=sep), [])
    except csv.Error:  # a stray carriage return: pandas reports the file itself
        return False
    return len(header) <= 1


def _header_below(problems: list[IntakeIssue], frame: pd.DataFrame, header: list[str],
                  name: str) -> list[IntakeIssue]:
    """One issue pointing at the header row when title rows sit above it, else []."""
    used = (frame != "").any(axis=0).to_numpy()
    if sum(h != "" for h in header) > 1:
        return []  # a header row with blanks (merged cells), not a title
    for k in range(min(len(frame), 20)):
        cells = frame.iloc[k].to_numpy()
        if used.sum() > 1 and all(c != "" for c in cells[used]):
            shown = ", ".join(repr(c) for c in cells[used][:6])
            row = int(frame.index[k]) + 2
            msg = (f"{len(problems)} columns have no name (row 1 is not a header row); the "
                   f"header row looks like row {row} ({shown}): delete the rows above it.")
            return [IntakeIssue(msg, file=name, row=1)]
    return []


def _with_lists(frame: pd.DataFrame, table: IntakeTable) -> IntakeTable:
    """Record the cells of ``frame`` holding a list (or tuple, set) of answers."""
    for c in frame.columns:
        column = frame[c]
        if column.dtype != object:
            continue
        for k, v in enumerate(column.tolist()):
            if isinstance(v, list | tuple | set):
                table.lists[k, str(c).strip()] = [str(x) for x in v]
    return table


def rejoin_lists(table: IntakeTable, header: str, separator: str) -> None:
    """Join the list cells of column ``header`` with the question's ``separator``."""
    if not table.lists:
        return
    at = {p: k for k, p in enumerate(table.positions)}
    column = table.frame[header].copy()
    for (pos, h), items in table.lists.items():
        if h == header and pos in at:
            column.iloc[at[pos]] = separator.join(items)
    table.frame[header] = column


def _as_text(frame: pd.DataFrame) -> pd.DataFrame:
    if frame.empty:
        out = frame.astype(object).where(frame.notna(), "")
        return out.map(_text).reset_index(drop=True)
    columns: dict[int, Any] = {}
    for k in range(frame.shape[1]):
        column = frame.iloc[:, k]
        values = column.to_numpy(dtype=object)
        if column.dtype in _PLAIN_TEXT and _all_strings(values):
            # text already (kept as it is, untyped until _finish)
            columns[k] = pd.Series(values, dtype=object, copy=True)
        else:
            part = frame.iloc[:, [k]]
            part = part.astype(object).where(part.notna(), "")
            columns[k] = part.map(_text).iloc[:, 0].reset_index(drop=True)
    out = pd.DataFrame(columns)
    out.columns = frame.columns
    return out


def _all_strings(values: Any) -> bool:
    return bool(pd.api.types.infer_dtype(values, skipna=False) == "string")


def _text(v: Any) -> str:
    return v if isinstance(v, str) else _fmt(v)


def _strip(v: Any) -> Any:
    return v.strip() if isinstance(v, str) else v


#: Column types whose cells :func:`map_cells` reads itself (others keep their own map).
_PLAIN_TEXT = (np.dtype(object), pd.StringDtype(storage="python", na_value=np.nan))


def map_cells(frame: pd.DataFrame, func: Callable[[Any], Any], *,
              on_text: Callable[[str], Any] | None = None) -> pd.DataFrame:
    """Return ``frame.map(func)``, reading columns of plain strings in one pass each.

    A column of strings is mapped cell by cell without :meth:`pandas.DataFrame.map`'s
    overhead, by ``on_text`` if given (it must equal ``func`` on strings); any other
    column is mapped by pandas.

    Examples
    --------
    >>> frame = pd.DataFrame({"a": [" x", "y ", " x"], "b": [1.0, None, 2.0]})
    >>> map_cells(frame, repr).equals(frame.map(repr))
    True
    >>> strip = lambda v: v.strip() if isinstance(v, str) else v
    >>> map_cells(frame, strip, on_text=str.strip)["a"].tolist()
    ['x', 'y', 'x']
    """
    if frame.empty:
        return frame.map(func)
    columns: dict[int, Any] = {}
    for k in range(frame.shape[1]):
        column = frame.iloc[:, k]
        values = column.to_numpy(dtype=object)
        if column.dtype not in _PLAIN_TEXT or not _all_strings(values):
            columns[k] = frame.iloc[:, [k]].map(func).iloc[:, 0].reset_index(drop=True)
        else:
            mapped = np.fromiter(map(on_text or func, values), dtype=object,
                                 count=len(values))
            columns[k] = pd.Series(mapped)  # typed as pandas types a mapped column
    out = pd.DataFrame(columns)
    out.columns = frame.columns
    out.index = frame.index
    return out


def _nonblank(frame: pd.DataFrame) -> pd.Series:
    """Return ``(frame != "").any(axis=1)``, comparing columns of strings in numpy."""
    mask = np.zeros(len(frame), dtype=bool)
    for k in range(frame.shape[1]):
        column = frame.iloc[:, k]
        values = column.to_numpy(dtype=object)
        if column.dtype not in _PLAIN_TEXT or not _all_strings(values):
            return (frame != "").any(axis=1)
        mask |= values != ""
        if mask.all():  # no further column can change it
            break
    return pd.Series(mask, index=frame.index)


def _fmt(v: Any) -> str:
    if isinstance(v, float) and v.is_integer():
        return str(int(v))
    if isinstance(v, list | tuple | set):
        return ";".join(str(x) for x in v)
    return str(v)


def _finish(frame: pd.DataFrame, name: str, header: list[str],
            skip_rows: int = 0) -> IntakeTable:
    if skip_rows:
        frame = frame.iloc[skip_rows:]  # the index keeps each row's place in the file
    problems = []
    seen: dict[str, int] = {}
    for k, h in enumerate(header):
        if h == "" or h.lower().startswith("unnamed:"):
            if (frame.iloc[:, k] != "").any():
                problems.append(IntakeIssue(
                    f"column {k + 1} has no name but holds data; every column needs a "
                    "header (merged header cells in Excel leave blanks: unmerge them).",
                    file=name, row=1))
            continue
        if h in seen:
            problems.append(IntakeIssue(
                f"column name {h!r} appears twice (columns {seen[h] + 1} and {k + 1}); "
                "names must be unique.", file=name, row=1))
        seen[h] = k
    if problems:
        raise IntakeError(_header_below(problems, frame, header, name) or problems)
    keep = [k for k, h in enumerate(header) if h in seen and seen[h] == k]
    out = frame.iloc[:, keep].copy()
    out.columns = [header[k] for k in keep]
    out = map_cells(out, _strip, on_text=str.strip)
    # drop rows that are completely empty (trailing blank lines in spreadsheets)
    nonblank = _nonblank(out)
    out = out.loc[nonblank]
    return IntakeTable(out.reset_index(drop=True), name, out.index.to_numpy())
