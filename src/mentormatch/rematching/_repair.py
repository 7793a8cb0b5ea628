r"""Rematch: apply events to a matching and repair it on the solver backends.

The events change a working copy (pairs ended, seats changed, participants gone or
new). The programme's problem is then carried over whole with
:meth:`~mentormatch.Problem.evolve`: the same scores (extended for joiners), objective,
forced and banned pairs (plus the new bans), minimum score and load, quotas, group caps
and method, with the changed capacities and the participants who left or opted out
unavailable. The repair solves that problem with the standing pairs fixed and the
mentees who lost a partner first, through the same registry as :func:`~mentormatch.solve`.
"""

from __future__ import annotations

import time
from collections.abc import Iterable, Sequence
from typing import Any

import numpy as np
import pandas as pd
from numpy.typing import ArrayLike

from mentormatch._scores import DenseScores, ScoreSource, check_score_matrix
from mentormatch.exceptions import EventError, IntakeError, MentorMatchError
from mentormatch.matching import Matching
from mentormatch.problem import GroupCaps, Problem
from mentormatch.rematching._diff import Diff, diff
from mentormatch.rematching._events import Event
from mentormatch.rematching._state import WorkingState
from mentormatch.scoring import CohortScores
from mentormatch.solvers import backends
from mentormatch.solvers._solve import solve_problem
from mentormatch.survey import load_cohort, pseudonym

__all__ = ["apply_events", "rematch"]


def rematch(
    matching: Matching,
    events: Iterable[Any],
    *,
    scores: ArrayLike | ScoreSource | None = None,
    max_changes: int = 0,
    capacity_drop: str = "one",
) -> tuple[Matching, Diff]:
    r"""Apply events to a matching and repair only what they free.

    Parameters
    ----------
    matching : Matching
        The current matching, with its problem (left untouched).
    events : iterable of event
        :class:`Leave`, :class:`Unmatch`, :class:`MentorUnmatch`, :class:`NeedsHelp`,
        :class:`WantsStaff`, :class:`Join`, :class:`SetCapacity`, applied in order.
    scores : array-like or ScoreSource, optional
        Scores of the cohort after the events, shape ``(n_mentees + joined mentees,
        n_mentors + joined mentors)``; joined participants come last in event order.
        Needed for a :class:`Join` unless the matching was made by
        :func:`~mentormatch.match` (then the cohort is re-loaded with the new answers).
    max_changes : int, default=0
        How many standing pairs the repair may move to another mentor when that
        matches more people (their mentees stay matched). 0 keeps every pair no event
        ended.
    capacity_drop : {"one", "zero"}, default="one"
        Default capacity drop of a :class:`MentorUnmatch`.

    Returns
    -------
    new_matching : Matching
        Its ``problem`` is the programme as it now stands (every constraint of the
        original, the new bans, capacities and participants); bans and the event log
        of ``matching`` plus this call's.
    diff : Diff
        Added, ended and moved pairs.

    Raises
    ------
    EventError
        For an unknown id, a pair that does not exist, a mentor-only event from a mentee,
        a participant who already left, or scores that do not fit.
    InfeasibleError
        When the programme's constraints (minimum loads, quotas) can no longer be met
        after the events; nothing is dropped silently.

    Notes
    -----
    Let :math:`P` be the pool (unmatched mentees who have not left or opted out),
    :math:`L \subseteq P` those who lost their partner in this call, and :math:`F` the
    standing pairs. With ``max_changes=0`` the repair solves the programme's problem
    with :math:`F` fixed, lexicographically: the most mentees of :math:`L` matched, then
    (for ``"coverage"``) the most mentees matched, then the best total score; every
    constraint of the problem holds. With ``max_changes=B > 0`` the mentees of
    :math:`F` stay matched, at most :math:`B` of them to another mentor, and after the
    count the fewest pairs move. A batch of events that changes no pair, seat or
    participant (help requests only) changes nothing but the event log.

    Examples
    --------
    >>> from mentormatch import Unmatch, solve
    >>> m = solve([[0.9, 0.1], [0.8, 0.7], [0.3, 0.2]], capacity=[1, 1])
    >>> new, diff = rematch(m, [Unmatch(0, 0)])
    >>> new.assignment.tolist()
    [-1, 1, 0]
    >>> (0, 0) in new.bans, m.assignment.tolist()
    (True, [0, 1, -1])
    >>> print(diff)
    Rematch: 1 added, 1 ended, 0 moved, 1 unchanged.
      - ended 0 x 0: unmatched
      + added 2 x 0 (score 0.300)
    """
    if not isinstance(matching, Matching):
        msg = f"`matching` must be a Matching; got {type(matching).__name__}."
        raise EventError(msg)
    if capacity_drop not in ("one", "zero"):
        msg = f"`capacity_drop` must be 'one' or 'zero'; got {capacity_drop!r}."
        raise EventError(msg)
    if isinstance(max_changes, bool) or int(max_changes) != max_changes or max_changes < 0:
        msg = f"`max_changes` must be a whole number >= 0; got {max_changes!r}."
        raise EventError(msg)
    events = tuple(events)
    labels = [f"event {k + 1} ({type(ev).__name__})" for k, ev in enumerate(events)]
    return apply_events(matching, events, labels, scores=scores,
                        max_changes=int(max_changes), capacity_drop=capacity_drop)


def apply_events(
    matching: Matching,
    events: Sequence[Any],
    labels: Sequence[str],
    *,
    scores: ArrayLike | ScoreSource | None = None,
    max_changes: int = 0,
    capacity_drop: str = "one",
) -> tuple[Matching, Diff]:
    """Apply ``events`` (each named by ``labels[k]`` in messages) and repair."""
    t0 = time.perf_counter()
    if matching.problem is None:
        msg = ("rematch needs the problem the matching solves, but this Matching was built "
               "by hand without one; make it with solve(), match() or load_state().")
        raise MentorMatchError(msg)
    st = WorkingState(matching, capacity_drop)
    for ev, where in zip(events, labels, strict=True):
        if not isinstance(ev, Event):
            msg = (f"{where}: expected an event (Leave, Unmatch, MentorUnmatch, NeedsHelp, "
                   f"WantsStaff, Join, SetCapacity); got {type(ev).__name__}.")
            raise EventError(msg)
        st.log.append(ev.apply(st, where))
    if not st.changed and scores is None:
        new = matching.evolve(events=(*matching.events, *st.log))
        return new, diff(matching, new, st)
    source = _extended_source(matching, st, scores)
    now = _programme_now(matching.problem, st, source)
    standing = np.flatnonzero(st.assignment >= 0)
    forced_rows = {int(i) for i in now.forced[:, 0]}
    fixed = [(st.mentee_ids[i], st.mentor_ids[st.assignment[i]])
             for i in standing.tolist() if i not in forced_rows]
    lost = sorted(i for i in st.lost if st.assignment[i] < 0)
    repair = now.evolve(fixed=fixed, max_changes=max_changes,
                        priority=[st.mentee_ids[i] for i in lost] if lost else None)
    repair = _repair_method(repair)
    solved = solve_problem(repair, audit=False)
    reasons = np.array(solved.reasons, dtype=object)
    for i in st.opted_out:
        reasons[i] = "opted_out"
    for i in st.left_mentees:
        reasons[i] = "left"
    manifest = dict(matching.manifest)
    history = list(manifest.get("rematches") or [])
    history.append({"events": len(events), "max_changes": max_changes,
                    "repair_method": solved.method, "capacity_drop": capacity_drop})
    manifest["rematches"] = history
    manifest["rematch"] = {"repair_method": solved.method,
                           "repair_reason": solved.manifest.get("method_reason", ""),
                           "kept_pairs": len(fixed), "priority_mentees": len(lost),
                           "ended_by_events": sorted(
                               {str(st.mentee_ids[e["mentee"]]) for e in st.ended}),
                           "forced_pairs_ended_by_events": [
                               list(p) for p in matching.problem.pair_ids(matching.problem.forced)
                               if list(p) not in [list(q) for q in now.pair_ids(now.forced)]]}
    manifest["problem"] = {k: v for k, v in now.record().items()
                           if k not in ("mentee_ids", "mentor_ids", "capacity")}
    manifest["input_hash"] = now.fingerprint()
    new = Matching(
        assignment=solved.assignment, pair_scores=solved.pair_scores,
        objective=solved.objective, bound=solved.bound, status=solved.status,
        method="rematch", reasons=reasons, problem=now, manifest=manifest,
        stats={"seconds": time.perf_counter() - t0, "repair": dict(solved.stats),
               "pool": int(np.sum(solved.assignment < 0))},
        bans=frozenset(st.bans), events=(*matching.events, *st.log),
    )
    changes = diff(matching, new, st)
    history[-1].update(added=changes.n_added, ended=changes.n_ended, moved=changes.n_moved,
                       unchanged=changes.unchanged)
    return new.evolve(manifest={**manifest, "rematches": history}), changes


def _programme_now(problem: Problem, st: WorkingState, source: ScoreSource) -> Problem:
    """Return the programme's problem after the events, every constraint carried by id."""
    n_old_m = problem.shape[1]
    n_m = len(st.mentor_ids)
    # a forced pair that an event ended (the mentee or mentor left, unmatched, a
    # mentor's capacity dropped) is superseded by that event; the others stay forced
    gone = {(str(st.mentee_ids[e["mentee"]]), str(st.mentor_ids[e["mentor"]]))
            for e in st.ended}
    forced = [p for p in problem.pair_ids(problem.forced)
              if (str(p[0]), str(p[1])) not in gone]
    banned = problem.pair_ids(problem.banned) + [
        (st.mentee_ids[i], st.mentor_ids[j]) for i, j in st.new_bans]
    away = set(st.left_mentees) | set(st.opted_out)
    if problem.unavailable is not None:
        away |= set(np.flatnonzero(problem.unavailable).tolist())
    changes: dict[str, Any] = {
        "scores": source,
        "mentee_ids": list(st.mentee_ids),
        "mentor_ids": list(st.mentor_ids),
        "capacity": st.capacity.astype(np.int64),
        "forced": forced,
        "banned": list(dict.fromkeys(banned)),
        "unavailable": [st.mentee_ids[i] for i in sorted(away)] or None,
        "fixed": (),
        "max_changes": 0,
        "priority": None,
    }
    if problem.min_load is not None:
        changes["min_load"] = np.concatenate(
            [problem.min_load, np.zeros(n_m - n_old_m, dtype=np.int64)])
    if problem.group_caps is not None:  # joined mentors belong to no capped group
        labels = dict(problem.group_caps.labels)
        labels.update({str(st.mentor_ids[j]): None for j in range(n_old_m, n_m)})
        changes["group_caps"] = GroupCaps(labels, problem.group_caps.caps)
    return problem.evolve(**changes)


def _repair_method(repair: Problem) -> Problem:
    """Keep the problem's method when it can make the repair, else let ``auto`` choose.

    ``"stable"`` is kept (deferred acceptance among the pool and the free seats keeps
    the preference lists' acceptability; it has no notion of priority, which is dropped
    for it). A method that cannot enforce the repair's needs (mentees first, moves) is
    replaced by ``auto``'s choice, which can; the manifest records the method used.
    """
    if repair.method == "stable":
        return repair.evolve(priority=None)
    if repair.method == "auto":
        return repair
    backend = backends().get(repair.method)
    if backend is not None and repair.needs() <= backend.handles:
        return repair
    return repair.evolve(method="auto", options={})


def _extended_source(
    matching: Matching, st: WorkingState, scores: ArrayLike | ScoreSource | None
) -> ScoreSource:
    shape = (len(st.mentee_ids), len(st.mentor_ids))
    if scores is not None:
        src: ScoreSource = scores if isinstance(scores, ScoreSource) else DenseScores(
            check_score_matrix(scores)
        )
        if tuple(src.shape) != shape:
            msg = (f"`scores` must cover the cohort after the events, shape {shape} "
                   f"(mentees, mentors); got {tuple(src.shape)}.")
            raise EventError(msg)
        return src
    if matching.source is None:
        msg = f"this matching holds no scores; pass `scores` (shape {shape}) to rematch it."
        raise EventError(msg)
    if not st.joined:
        return matching.source
    if isinstance(matching.source, CohortScores):
        return _rebuild_cohort(matching.source, st)
    first = st.joined[0]
    msg = (f"Join of {first.participant_id!r}: the matching's scores cannot score new "
           f"participants; pass `scores` for the extended cohort, shape {shape}.")
    raise EventError(msg)


def _rebuild_cohort(source: CohortScores, st: WorkingState) -> ScoreSource:
    """Re-load the cohort with the joiners' answers appended (scores are stationary)."""
    survey = source.survey
    cohort = source.cohort
    tables = {"mentee": cohort.mentees.copy(), "mentor": cohort.mentors.copy()}
    joiner_at: dict[tuple[str, int], Any] = {}  # (table name, spreadsheet row) -> id
    for ev in st.joined:
        frame = tables[ev.role]
        unknown = sorted(set(map(str, ev.answers)) - set(frame.columns))
        if unknown:
            msg = (f"Join of {ev.participant_id!r}: unknown {ev.role} columns {unknown}; "
                   f"expected some of {list(frame.columns)}.")
            raise EventError(msg)
        row = {c: "" for c in frame.columns}
        row.update({str(k): "" if v is None else str(v) for k, v in ev.answers.items()})
        written = row.get(survey.id_column, "")
        if not (survey.hash_ids and written and pseudonym(written) == str(ev.participant_id)):
            row[survey.id_column] = str(ev.participant_id)  # else the e-mail, to carry
        joiner_at[f"{ev.role}s", len(frame) + 2] = ev.participant_id
        tables[ev.role] = pd.concat([frame, pd.DataFrame([row], dtype=object)],
                                    ignore_index=True).astype(str)
    try:
        new = load_cohort(tables["mentee"], tables["mentor"], survey)
    except IntakeError as exc:
        # name the joiner by role and id, not by a row of a table the user never saw
        for issue in exc.problems:
            pid = joiner_at.get((str(issue.file), issue.row or 0))
            if pid is not None:
                issue.file, issue.row = f"joining {str(issue.file)[:-1]} {pid!r}", None
        exc = IntakeError(exc.problems, truncated=exc.truncated)
        msg = f"the answers of a joining participant do not fit the survey: {exc}"
        raise EventError(msg) from exc
    for j in range(cohort.n_mentors, new.n_mentors):  # joined mentors: capacity as answered
        if j not in st.capacity_set and j not in st.left_mentors:
            st.capacity[j] = int(new.capacity[j])
    return CohortScores(survey, new, engine=source.engine)
