"""Every case of the bad-input corpus (tests/bad_inputs/) through the real entry points.

A case folder holds ``survey.toml``, ``mentors.csv`` or ``mentors.xlsx``, ``mentees.csv``,
an optional ``options.json`` and the pinned expectation: ``expected.txt`` (first line the
exception class name, then the exact message; or lines starting with ``re:`` holding
patterns searched in the message) or ``expected.json`` (``handling`` ``"ok"`` or
``"warns"``, with ``matched`` and optionally ``warning``, ``reason``).
``tests/bad_inputs/build_corpus.py`` regenerates the inputs.
"""

from __future__ import annotations

import io
import json
import re
import warnings
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd
import pytest

import mentormatch
from mentormatch import cli
from mentormatch._io import matching_table
from mentormatch.exceptions import IntakeError, MentorMatchError
from mentormatch.problem import Quota

CORPUS = Path(__file__).parent / "bad_inputs"
CASES = sorted(p.name for p in CORPUS.iterdir() if p.is_dir() and p.name != "__pycache__")


@dataclass
class Outcome:
    error: BaseException | None = None
    matching: Any = None
    warnings: list[str] = field(default_factory=list)
    stderr: str = ""
    exit_code: int | None = None
    csv: str = ""


def _options(folder: Path) -> dict[str, Any]:
    path = folder / "options.json"
    return json.loads(path.read_text()) if path.exists() else {}


def _tables(folder: Path) -> tuple[Path, Path, Path]:
    mentors = folder / "mentors.xlsx"
    if not mentors.exists():
        mentors = folder / "mentors.csv"
    return folder / "survey.toml", mentors, folder / "mentees.csv"


def _run_cli(folder: Path, opts: dict[str, Any], out: Outcome, tmp: Path) -> None:
    survey, mentors, mentees = _tables(folder)
    if "mentees" in opts:
        mentees = folder / opts["mentees"]
    target = tmp / "matches.csv"
    buf = io.StringIO()
    console = cli.err
    old_file = console._file  # None = "whatever sys.stderr is": keep that, not today's stream
    console.file = buf
    try:
        out.exit_code = cli.main(["match", "--survey", str(survey), "--mentors", str(mentors),
                                  "--mentees", str(mentees), "--out", str(target)])
    finally:
        console._file = old_file
    out.stderr = buf.getvalue()
    if target.exists():
        out.csv = target.read_text(encoding="utf-8")


def run_case(folder: Path, tmp: Path | None = None) -> Outcome:
    """Run one corpus case through its entry point; never lets an exception escape."""
    opts = _options(folder)
    entry = opts.pop("entry", "match")
    out = Outcome()
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        try:
            if entry == "cli":
                import tempfile

                with tempfile.TemporaryDirectory() as t:
                    _run_cli(folder, opts, out, Path(tmp or t))
            elif entry == "solve":
                rows = opts.pop("scores")
                scores = (
                    [[float(v) for v in row] for row in rows] if _rectangular(rows) else rows
                )
                out.matching = mentormatch.solve(scores, opts.pop("capacity"), **opts)
            else:
                survey, mentors, mentees = _tables(folder)
                if "quotas" in opts:
                    opts["quotas"] = [Quota(**q) for q in opts["quotas"]]
                if opts.get("min_score") == "nan":
                    opts["min_score"] = float("nan")
                out.matching = mentormatch.match(
                    mentees, mentors, survey,
                    forced=[tuple(p) for p in opts.pop("forced", [])],
                    banned=[tuple(p) for p in opts.pop("banned", [])], **opts)
        except Exception as exc:  # recorded and judged by the test
            out.error = exc
    out.warnings = [f"{w.category.__name__}: {w.message}" for w in caught]
    return out


def _rectangular(rows: list) -> bool:
    return len({len(r) for r in rows}) <= 1


def _expected_text(folder: Path) -> tuple[str, list[str]]:
    lines = (folder / "expected.txt").read_text(encoding="utf-8").rstrip("\n").split("\n")
    return lines[0], lines[1:]


def _check_message(message: str, body: list[str]) -> None:
    patterns = [b[3:].strip() for b in body if b.startswith("re:")]
    if patterns:
        for pat in patterns:
            assert re.search(pat, message), f"{pat!r} not found in {message!r}"
    else:
        assert message == "\n".join(body)


def _input_ids(path: Path) -> list[str]:
    if path.suffix == ".xlsx":
        raw = pd.read_excel(path, header=None, dtype=str).fillna("")
        header_row = next(k for k in range(len(raw)) if "id" in raw.iloc[k].tolist())
        col = raw.iloc[header_row].tolist().index("id")
        return [v for v in raw.iloc[header_row + 1:, col].tolist() if v]
    frame = pd.read_csv(path, dtype=str, keep_default_na=False, encoding="utf-8-sig",
                        encoding_errors="replace", skip_blank_lines=True)
    return frame["id"].str.strip().tolist() if "id" in frame.columns else []


def test_corpus_is_large_enough():
    assert len(CASES) >= 40
    for name in CASES:
        folder = CORPUS / name
        assert (folder / "expected.txt").exists() != (folder / "expected.json").exists(), name


@pytest.mark.parametrize("name", CASES)
def test_case(name: str, tmp_path: Path) -> None:
    folder = CORPUS / name
    out = run_case(folder, tmp_path)
    if (folder / "expected.txt").exists():
        cls, body = _expected_text(folder)
        if out.exit_code is not None:  # CLI: exit code 2 and the message on stderr
            assert out.exit_code == 2, out.stderr
            assert out.stderr.startswith("error: ")
            _check_message(" ".join(out.stderr[len("error: "):].split()),
                           [" ".join(" ".join(body).split())] if not body[0].startswith("re:")
                           else body)
            return
        assert out.error is not None, f"{name}: expected {cls}, got a matching"
        assert type(out.error).__name__ == cls, repr(out.error)
        assert isinstance(out.error, MentorMatchError)
        _check_message(str(out.error), body)
        if isinstance(out.error, IntakeError):
            # every problem names where it is: a row (a participant) or a column/file
            for p in out.error.problems:
                assert p.file is not None or p.column is not None
        return
    spec = json.loads((folder / "expected.json").read_text())
    assert out.error is None, f"{name}: {type(out.error).__name__}: {out.error}"
    if out.exit_code is not None:
        assert out.exit_code == 0, out.stderr
        table = pd.read_csv(io.StringIO(out.csv), dtype=str, keep_default_na=False)
        assert (table["status"] == "matched").sum() == spec["matched"]
        if spec.get("no_formula_cells"):
            cells = table.to_numpy().ravel().tolist()
            assert not [c for c in cells if c[:1] in ("=", "+", "-", "@")]
            assert any(c.startswith("'=HYPERLINK") for c in cells)
        return
    m = out.matching
    assert m.n_matched == spec["matched"]
    if spec["handling"] == "warns":
        assert any(spec["warning"] in w for w in out.warnings), out.warnings
    else:
        mm = [w for w in out.warnings if "mentormatch" in w or "Warning" in w]
        assert not [w for w in mm if "MentorMatch" in w or "Intake" in w], mm
    if "reason" in spec:
        assert set(m.unmatched["reason"]) == {spec["reason"]}
    if not (folder / "options.json").exists() or _options(folder).get("entry") != "solve":
        # every participant appears exactly once: matched, or unmatched with a reason
        _, mentors, mentees = _tables(folder)
        table = matching_table(m)
        assert sorted(map(str, table["mentee_id"])) == sorted(_input_ids(mentees))
        assert table["mentee_id"].is_unique
        assert (table.loc[table["status"] == "unmatched", "reason"] != "").all()
        assert sorted(map(str, m.mentor_ids.tolist())) == sorted(_input_ids(mentors))
        load = np.bincount(m.assignment[m.assignment >= 0], minlength=m.n_mentors)
        assert (load <= m.capacity).all()


def test_rejected_rows_are_named():
    """An intake error names every offending participant's row."""
    out = run_case(CORPUS / "duplicate_mentee_id")
    assert isinstance(out.error, IntakeError)
    assert [(p.file, p.row) for p in out.error.problems] == [("mentees.csv", 4)]


@pytest.mark.parametrize(("start", "zone", "text", "weekday"), [
    ("2026-03-29", "Europe/Berlin", "Sun 12:00-13:00", 6),  # spring forward (Sunday)
    ("2026-03-28", "Europe/Berlin", "Sat 12:00-13:00", 5),  # the day before
    ("2026-03-08", "America/New_York", "Sun 12:00-13:00", 6),
    ("2026-11-01", "America/New_York", "Sun 12:00-13:00", 6),  # fall back
    ("2026-10-25", "Europe/Berlin", "Mon 00:00-01:00", 0),
])
def test_dst_edges_use_the_offset_at_the_start(start, zone, text, weekday):
    """The UTC slot is the local time minus the offset in force on that day of the first
    week (checked against zoneinfo directly)."""
    import datetime as dt
    import zoneinfo

    from mentormatch.survey._parsers import parse_availability

    day0 = dt.date.fromisoformat(start)
    day = day0 + dt.timedelta(days=(weekday - day0.weekday()) % 7)
    hour = int(text.split()[1][:2])
    local = dt.datetime.combine(day, dt.time(12), tzinfo=zoneinfo.ZoneInfo(zone))
    offset_h = local.utcoffset().total_seconds() / 3600
    expected = int((weekday * 24 + hour - offset_h) % 168)
    grid = parse_availability(text, zone, start=day0, slot_minutes=60)
    assert np.flatnonzero(grid).tolist() == [expected]
