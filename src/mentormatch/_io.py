"""Safe table output: CSV cells that spreadsheets will not run as formulas."""

from __future__ import annotations

import contextlib
import os
import tempfile
from pathlib import Path

import pandas as pd

from mentormatch.matching import Matching

__all__ = ["FORMULA_START", "atomic_write", "matching_table", "neutralise_formulas",
           "write_csv"]

#: Leading characters that make a spreadsheet read a CSV cell as a formula.
FORMULA_START = ("=", "+", "-", "@", "\t", "\r", "|", "%")


def atomic_write(path: str | Path, data: str | bytes) -> Path:
    """Write ``data`` to ``path`` whole or not at all: a temporary file, synced, renamed.

    A crash or a full disk midway leaves the previous file as it was (never half a
    state file). Text is written as UTF-8. Returns the path.

    Examples
    --------
    >>> import tempfile, pathlib
    >>> p = atomic_write(pathlib.Path(tempfile.mkdtemp()) / "s.json", "{}")
    >>> p.read_text()
    '{}'
    """
    path = Path(path)
    raw = data.encode("utf-8") if isinstance(data, str) else data
    fd, tmp = tempfile.mkstemp(prefix=path.name + ".", suffix=".tmp", dir=path.parent)
    try:
        with os.fdopen(fd, "wb") as fh:
            fh.write(raw)
            fh.flush()
            os.fsync(fh.fileno())
        os.replace(tmp, path)
    except BaseException:
        with contextlib.suppress(OSError):
            os.unlink(tmp)
        raise
    return path


def neutralise_formulas(frame: pd.DataFrame) -> pd.DataFrame:
    """Prefix text cells that a spreadsheet would read as a formula with a quote.

    Only text cells are touched: numbers keep their sign.

    Examples
    --------
    >>> neutralise_formulas(pd.DataFrame({"a": ["=HYPERLINK(1)", "ok"], "b": [-1.5, 2]}))
                    a    b
    0  '=HYPERLINK(1) -1.5
    1              ok  2.0
    """
    out = frame.copy()
    for col in out.columns:
        if out[col].dtype == object or pd.api.types.is_string_dtype(out[col]):
            out[col] = out[col].map(
                lambda v: "'" + v if isinstance(v, str) and v.startswith(FORMULA_START) else v
            )
    return out


def write_csv(frame: pd.DataFrame, path: str | Path) -> Path:
    """Write ``frame`` as UTF-8 CSV (tab-separated for ``.tsv``), formulas neutralised.

    Returns the path.

    A carriage return inside a text cell becomes a newline: the CSV writer quotes cells
    with newlines but not cells with a lone carriage return, which a spreadsheet would
    read as a row break (and the rest of the cell as a new, unneutralised cell).
    """
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    safe = neutralise_formulas(frame)
    for col in safe.columns:
        if safe[col].dtype == object or pd.api.types.is_string_dtype(safe[col]):
            safe[col] = safe[col].map(
                lambda v: v.replace("\r\n", "\n").replace("\r", "\n") if isinstance(v, str)
                else v
            )
    sep = "\t" if path.suffix.lower() == ".tsv" else ","
    safe.to_csv(path, index=False, float_format="%.6g", sep=sep)
    return path


def matching_table(matching: Matching) -> pd.DataFrame:
    """Return one row per mentee: matched (with score and contributions) or not (reason)."""
    pairs = matching.pairs.assign(status="matched", reason="")
    unmatched = matching.unmatched.rename(columns={"detail": "detail"})
    rest = pd.DataFrame(
        {
            "mentee_id": unmatched["mentee_id"],
            "mentor_id": "",
            "status": "unmatched",
            "reason": unmatched["reason"],
        }
    )
    table = pd.concat([pairs, rest], ignore_index=True)
    order = {str(v): k for k, v in enumerate(matching.mentee_ids.tolist())}
    table["_pos"] = table["mentee_id"].map(lambda v: order[str(v)])
    table = table.sort_values("_pos").drop(columns="_pos").reset_index(drop=True)
    head = ["mentee_id", "mentor_id", "status", "reason", "score"]
    return table[head + [c for c in table.columns if c not in head]]
