"""Saved states: a matching and its whole problem as JSON, written atomically, checked on load.

A state file holds the ids, the assignment, the problem's constraints by id
(:meth:`~mentormatch.Problem.record`), what rebuilds the scores (the survey and both
intake tables, or a dense matrix), bans, the event log and the manifest. No pickle.

Writes go to a temporary file that replaces the target in one step (readers never see
half a file). A loaded matching remembers the SHA-256 of the file it came from; saving
over a file whose bytes changed since (another run saved in between) is refused
(:class:`~mentormatch.exceptions.StateError`), so no run silently drops another's bans
or events. The check and the replacement happen under an exclusive lock.
"""

from __future__ import annotations

import contextlib
import fcntl
import hashlib
import json
import math
import os
from collections.abc import Iterator, Mapping
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd

from mentormatch._io import atomic_write, matching_table, write_csv
from mentormatch._scores import DenseScores, ScoreSource
from mentormatch.exceptions import MentorMatchError, StateError
from mentormatch.matching import REASONS, Matching
from mentormatch.problem import Problem
from mentormatch.rematching._events import event_from_dict, event_to_dict
from mentormatch.scoring import CohortScores
from mentormatch.survey import Survey, load_cohort

__all__ = ["STATE_VERSION", "load_state", "save_state"]

STATE_VERSION = 2


def _plain(value: Any) -> Any:
    if isinstance(value, np.generic):
        value = value.item()
    if isinstance(value, float) and not math.isfinite(value):
        return None if math.isnan(value) else ("inf" if value > 0 else "-inf")
    if isinstance(value, Mapping):
        return {str(k): _plain(v) for k, v in value.items()}
    if isinstance(value, list | tuple):
        return [_plain(v) for v in value]
    if isinstance(value, np.ndarray):
        return [_plain(v) for v in value.tolist()]
    if value is None or isinstance(value, str | int | float | bool):
        return value
    return str(value)


def _unfloat(value: Any) -> float:
    if value is None:
        return float("nan")
    if value == "inf":
        return float("inf")
    if value == "-inf":
        return float("-inf")
    return float(value)


def _source_record(src: ScoreSource | None) -> dict[str, Any]:
    if isinstance(src, CohortScores):
        return {
            "kind": "cohort",
            "survey": src.survey.model_dump(mode="json"),
            "mentors": src.cohort.mentors.astype(str).to_dict("records"),
            "mentees": src.cohort.mentees.astype(str).to_dict("records"),
            "mentor_columns": list(map(str, src.cohort.mentors.columns)),
            "mentee_columns": list(map(str, src.cohort.mentees.columns)),
        }
    if isinstance(src, DenseScores):
        return {"kind": "dense", "matrix": _plain(src.matrix)}
    if src is None:
        return {"kind": "none"}
    n = src.shape[0]
    return {"kind": "dense",
            "matrix": _plain(np.asarray(src.block(np.arange(n, dtype=np.intp)),
                                        dtype=np.float64))}


def _file_id(data: bytes) -> str:
    """Return the id of a state file's version: a SHA-256 of its bytes."""
    return hashlib.sha256(data).hexdigest()


@contextlib.contextmanager
def _locked(path: Path) -> Iterator[None]:
    """Hold an exclusive lock on ``path``'s lock file while checking and replacing it.

    The lock file (``path`` + ``.lock``) does not outlive the save, whether it succeeded
    or failed. It is removed only by its holder, while still holding it; a process that
    waited on a lock file removed meanwhile finds, once it holds it, that the file at the
    path is no longer the one it locked, and starts again on the new one. So two runs
    never hold the lock at once, and no run removes a lock another live run holds.
    """
    lock = path.with_name(path.name + ".lock")
    while True:
        fd = os.open(lock, os.O_RDWR | os.O_CREAT, 0o644)
        try:
            fcntl.flock(fd, fcntl.LOCK_EX)
            try:
                now = os.stat(lock)
            except FileNotFoundError:
                now = None
            held = os.fstat(fd)
            if now is None or (now.st_dev, now.st_ino) != (held.st_dev, held.st_ino):
                continue  # removed by its previous holder: lock the new file instead
            try:
                yield
            finally:
                with contextlib.suppress(OSError):
                    os.unlink(lock)
            return
        finally:
            os.close(fd)  # closing releases the lock, after the file is gone


def _read_id(path: Path) -> str | None:
    try:
        return _file_id(path.read_bytes())
    except OSError:
        return None


def save_state(
    matching: Matching,
    path: str | Path,
    *,
    matches_path: str | Path | bool | None = None,
    overwrite: bool = False,
) -> Path:
    """Save a matching for later rematches: a JSON state file and a matches CSV.

    Parameters
    ----------
    matching : Matching
        A matching with its problem (from :func:`~mentormatch.solve`,
        :func:`~mentormatch.match`, :func:`rematch` or :func:`load_state`).
    path : str or Path
        The JSON state file. Written atomically (temporary file, then rename).
    matches_path : str, Path or False, optional
        The matches CSV (default: ``path`` with suffix ``.csv``; False writes none).
    overwrite : bool, default=False
        Replace an existing state file that this matching does not descend from.
        Without it, saving over a file whose content changed since this matching was
        loaded from it (another run saved in between), or over a state of another
        programme, raises :class:`~mentormatch.exceptions.StateError`.

    Returns
    -------
    Path
        The state file.

    Raises
    ------
    StateError
        If the file on disk is not the state this matching was derived from.
    MentorMatchError
        If the matching has no problem.

    Examples
    --------
    >>> import tempfile, os
    >>> from mentormatch import solve
    >>> m = solve([[0.9, 0.1], [0.8, 0.7]], capacity=[1, 1], banned=[(0, 0)])
    >>> with tempfile.TemporaryDirectory() as d:
    ...     p = save_state(m, os.path.join(d, "state.json"))
    ...     back = load_state(p)
    >>> back == m, back.problem.banned.tolist()
    (True, [[0, 0]])
    """
    if matching.problem is None:
        msg = "save_state needs a matching with its problem (made by solve, match or rematch)."
        raise MentorMatchError(msg)
    path = Path(path)
    if path.is_dir():
        msg = f"{path}: is a directory; give the state file's path."
        raise StateError(msg)
    problem = matching.problem
    parent = matching.manifest.get("state_id")
    state: dict[str, Any] = {
        "format": "mentormatch-state",
        "version": STATE_VERSION,
        "parent": parent,
        "problem": _plain(problem.record()),
        "assignment": matching.assignment.tolist(),
        "pair_scores": _plain(matching.pair_scores),
        "objective": _plain(matching.objective),
        "bound": _plain(matching.bound),
        "status": str(matching.status),
        "method": matching.method,
        "reasons": [str(r) for r in matching.reasons.tolist()],
        "manifest": _plain({k: v for k, v in matching.manifest.items() if k != "state_id"}),
        "stats": _plain(dict(matching.stats)),
        "bans": sorted(([_plain(a), _plain(b)] for a, b in matching.bans), key=str),
        "events": [event_to_dict(e) for e in matching.events],
        "source": _source_record(problem.source),
    }
    path.parent.mkdir(parents=True, exist_ok=True)
    text = json.dumps(state, indent=1, allow_nan=False)
    with _locked(path):
        if path.exists() and not overwrite:
            on_disk = _read_id(path)
            if on_disk not in (parent, _file_id(text.encode("utf-8"))):
                msg = (
                    f"{path.name}: the state file on disk is not the one this matching was "
                    "loaded from (another run saved it since, or it belongs to another "
                    "programme); load it again and re-apply your events, or save elsewhere "
                    "(overwrite=True / --force replaces it)."
                )
                raise StateError(msg)
        atomic_write(path, text)
    if matches_path is not False:
        write_csv(matching_table(matching),
                  path.with_suffix(".csv") if matches_path in (None, True) else
                  Path(matches_path))  # type: ignore[arg-type]
    return path


def load_state(path: str | Path) -> Matching:
    """Load a matching saved by :func:`save_state` (problem and scores rebuilt, checked).

    Parameters
    ----------
    path : str or Path
        The JSON state file.

    Returns
    -------
    Matching
        With its problem (every constraint), scores, bans and event log; it remembers
        the file's SHA-256, so that saving over a file another run changed is refused.

    Raises
    ------
    StateError
        If the file is missing, not a state file, from a newer version, or inconsistent:
        a pair naming an unknown participant, a mentor over capacity, duplicate ids, a
        pair that is also banned or forbidden, a reason code that does not exist.

    Examples
    --------
    >>> import os, tempfile, mentormatch as mm
    >>> m = mm.solve([[0.9, 0.1], [0.8, 0.7]], [1, 1], banned=[(0, 0)])
    >>> with tempfile.TemporaryDirectory() as d:
    ...     back = load_state(save_state(m, os.path.join(d, "state.json")))
    >>> back.problem.pair_ids(back.problem.banned)
    [(0, 0)]
    """
    path = Path(path)
    if path.is_dir():
        msg = f"{path}: is a directory; give the state file's path."
        raise StateError(msg)
    try:
        raw = path.read_bytes()
        data = json.loads(raw.decode("utf-8"))
    except (OSError, ValueError) as exc:
        msg = f"{path.name}: cannot read the state file ({exc})."
        raise StateError(msg) from exc
    if not isinstance(data, dict) or data.get("format") != "mentormatch-state":
        msg = f"{path.name}: not a mentormatch state file (expected one written by save_state)."
        raise StateError(msg)
    version = data.get("version", 0)
    if not isinstance(version, int) or version > STATE_VERSION:
        msg = (f"{path.name}: state format version {version!r} is newer than this "
               f"mentormatch reads ({STATE_VERSION}); upgrade mentormatch.")
        raise StateError(msg)
    if version < STATE_VERSION:
        msg = (f"{path.name}: state format version {version} is older than this mentormatch "
               f"reads ({STATE_VERSION}); re-run `match --state` with the intake files.")
        raise StateError(msg)
    try:
        return _rebuild(data, path.name, _file_id(raw))
    except StateError:
        raise
    except (MentorMatchError, KeyError, TypeError, ValueError) as exc:
        msg = f"{path.name}: inconsistent state: {exc}"
        raise StateError(msg) from exc


def _rebuild(data: dict[str, Any], name: str, file_id: str) -> Matching:
    rec = data["problem"]
    n, m = len(rec["mentee_ids"]), len(rec["mentor_ids"])
    source = _load_source(data["source"], n, m, name)
    problem = Problem.from_record(rec, source)
    assignment = np.asarray(data["assignment"], dtype=np.int64)
    if assignment.shape != (n,):
        msg = f"{name}: the assignment has {assignment.shape[0]} entries for {n} mentees."
        raise StateError(msg)
    bad = (assignment < -1) | (assignment >= m)
    if bad.any():
        i = int(np.argmax(bad))
        msg = (f"{name}: mentee {problem.mentee_ids[i]!r} is paired with mentor position "
               f"{int(assignment[i])}, which does not exist ({m} mentors).")
        raise StateError(msg)
    load = np.bincount(assignment[assignment >= 0], minlength=m)
    over = load > problem.capacity
    if over.any():
        j = int(np.argmax(over))
        msg = (f"{name}: mentor {problem.mentor_ids[j]!r} has {int(load[j])} mentees but a "
               f"capacity of {int(problem.capacity[j])}.")
        raise StateError(msg)
    banned = {(int(a), int(b)) for a, b in problem.banned.tolist()}
    for i in np.flatnonzero(assignment >= 0).tolist():
        pair = (i, int(assignment[i]))
        if pair in banned:
            msg = (f"{name}: pair ({problem.mentee_ids[i]!r}, "
                   f"{problem.mentor_ids[pair[1]]!r}) is kept but also banned.")
            raise StateError(msg)
    known = {str(x) for x in problem.mentee_ids.tolist()}, {
        str(x) for x in problem.mentor_ids.tolist()}
    bans = set()
    for a, b in data["bans"]:
        if str(a) not in known[0] or str(b) not in known[1]:
            msg = f"{name}: ban ({a!r}, {b!r}) names an unknown participant."
            raise StateError(msg)
        bans.add((a, b))
    reasons = [str(r) for r in data["reasons"]]
    odd = sorted({r for r in reasons if r and r not in REASONS})
    if odd:
        msg = f"{name}: unknown reason code(s) {odd}; expected {sorted(REASONS)}."
        raise StateError(msg)
    manifest = dict(data["manifest"])
    manifest["state_id"] = file_id
    return Matching(
        assignment=assignment,
        pair_scores=[_unfloat(v) for v in data["pair_scores"]],
        objective=_unfloat(data["objective"]),
        bound=_unfloat(data["bound"]),
        status=data["status"],
        method=data["method"],
        reasons=reasons,
        problem=problem,
        manifest=manifest,
        stats=data["stats"],
        bans=frozenset(bans),
        events=tuple(event_from_dict(e, f"{name} event {k + 1}")
                     for k, e in enumerate(data["events"])),
    )


def _load_source(src: Mapping[str, Any], n: int, m: int, name: str) -> ScoreSource:
    kind = src.get("kind")
    if kind == "cohort":
        survey = Survey.model_validate(src["survey"])
        mentors = pd.DataFrame(src["mentors"], columns=src["mentor_columns"], dtype=object)
        mentees = pd.DataFrame(src["mentees"], columns=src["mentee_columns"], dtype=object)
        cohort = load_cohort(mentees, mentors, survey)
        return CohortScores(survey, cohort)
    if kind == "dense":
        mat = np.array([[_unfloat(v) for v in row] for row in src["matrix"]], dtype=np.float64)
        if mat.size != n * m:
            msg = f"{name}: the score matrix holds {mat.size} values for {n} x {m} pairs."
            raise StateError(msg)
        return DenseScores(mat.reshape(n, m))
    msg = f"{name}: the state holds no scores (source kind {kind!r}); it cannot be rematched."
    raise StateError(msg)
