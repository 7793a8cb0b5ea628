"""Rematch for the group shapes: kept pairs stay, ended pairs go, the free part is optimal.

Each property runs a small random instance of one shape (several mentors, peers,
circles, rounds), a few random events, and checks the repair against a simulation of
the events written here from their documented meaning and a brute-force oracle of the
free part (enumeration, no code shared with :mod:`mentormatch.groups`).
"""

from __future__ import annotations

import itertools

import numpy as np
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

import mentormatch as mm
from mentormatch import EventError, SolverError
from mentormatch.groups import GroupDiff, rematch_group

PROPS = settings(max_examples=60, deadline=None,
                 suppress_health_check=[HealthCheck.too_slow])
SEEDS = st.integers(0, 2**32 - 1)
VALUES = [-np.inf, 0.1, 0.2, 0.3, 0.3, 0.5, 0.6, 0.8, 0.9, 1.0]


# ------------------------------------------------------------------ the events, simulated
class Sim:
    """The documented effect of the events on the pairs, capacities, bans and priority.

    ``a`` is the mentee side (a person of a pool), ``b`` the mentor side (the same
    people in a pool). Pairs are ``(a, b)`` positions, ``a < b`` in a pool.
    """

    def __init__(self, pairs, cap_a, cap_b, pool, circles=False):
        self.pairs = dict(pairs)
        self.before = dict(pairs)
        self.pool = pool
        self.circles = circles
        self.cap_a = np.array(cap_a, dtype=int)
        self.cap_b = self.cap_a if pool else np.array(cap_b, dtype=int)
        self.left_a, self.left_b = set(), set()
        if pool:
            self.left_b = self.left_a
        self.opted = set()
        self.lost = set()
        self.bans = []
        self.ended = []

    def key(self, a, b):
        return (min(a, b), max(a, b)) if self.pool else (a, b)

    def end(self, pair, ban, lost):
        del self.pairs[pair]
        self.ended.append(pair)
        if ban:
            self.bans.append(pair)
        self.lost |= set(lost)

    def of(self, side, k):
        if self.pool:
            return sorted(p for p in self.pairs if k in p)
        return sorted(p for p in self.pairs if p[0 if side == "a" else 1] == k)

    def other(self, pair, side, k):
        if self.pool:
            return pair[1] if pair[0] == k else pair[0]
        return pair[0] if side == "b" else pair[1]

    def leave(self, side, k):
        for p in self.of(side, k):
            self.end(p, False, [self.other(p, side, k)] if (self.pool or side == "b") else [])
        (self.left_a if side == "a" else self.left_b).add(k)
        if side == "b":
            self.cap_b[k] = 0
        if self.pool or side == "a":
            self.lost.discard(k)

    def unmatch(self, a, b, rematch):
        pair = self.key(a, b)
        if self.pool:
            self.end(pair, True, [a, b] if rematch else [b])
            if not rematch:
                self.cap_a[a] = max(0, self.cap_a[a] - 1)
        else:
            self.end(pair, True, [a] if rematch else [])
            if not rematch:
                if self.circles:
                    self.opted.add(a)
                else:
                    self.cap_a[a] = max(0, self.cap_a[a] - 1)

    def shed(self, k):
        mine = self.of("b", k)
        extra = len(mine) - self.cap_b[k]
        if extra > 0:
            # lowest score first; ties: the partner earlier in the table first
            order = sorted(mine, key=lambda p: (self.pairs[p], self.other(p, "b", k)))
            for p in order[:extra]:
                self.end(p, False, [self.other(p, "b", k)])

    def set_capacity(self, k, cap):
        self.cap_b[k] = cap
        self.shed(k)

    def mentor_unmatch(self, j, i, drop):
        self.end(self.key(i, j), True, [i])
        self.cap_b[j] = 0 if drop == "zero" else max(0, self.cap_b[j] - 1)
        self.shed(j)

    @property
    def priority(self):
        return self.lost - self.left_a - self.opted


def random_events(rng, sim, a_ids, b_ids):
    """A few valid events for ``sim`` (applied to it as they are drawn)."""
    events = []
    n_events = int(rng.integers(1, 4))
    for _ in range(n_events):
        kinds = ["leave_b", "help", "set_capacity", "set_capacity"] + (
            ["unmatch"] * 3 + ["mentor_unmatch"] * 2 if sim.pairs else [])
        if not sim.pool:
            kinds.append("leave_a")
        kind = kinds[int(rng.integers(len(kinds)))]
        if kind == "unmatch":
            a, b = sorted(sim.pairs)[int(rng.integers(len(sim.pairs)))]
            if sim.pool and rng.random() < 0.5:
                a, b = b, a
            rematch = bool(rng.random() < 0.7)
            events.append(mm.Unmatch(a_ids[a], b_ids[b], rematch=rematch))
            sim.unmatch(a, b, rematch)
        elif kind == "mentor_unmatch":
            a, b = sorted(sim.pairs)[int(rng.integers(len(sim.pairs)))]
            if sim.pool and rng.random() < 0.5:
                a, b = b, a
            drop = ["one", "zero"][int(rng.integers(2))]
            events.append(mm.MentorUnmatch(b_ids[b], a_ids[a], drop))
            sim.mentor_unmatch(b, a, drop)
        elif kind in ("leave_a", "leave_b", "set_capacity"):
            side = "a" if kind == "leave_a" else "b"
            gone = sim.left_a if side == "a" else sim.left_b
            here = [k for k in range(len(a_ids if side == "a" else b_ids)) if k not in gone]
            if not here:
                continue
            k = here[int(rng.integers(len(here)))]
            if kind == "set_capacity":
                cap = int(rng.integers(0, sim.cap_b[k] + 2))
                events.append(mm.SetCapacity(b_ids[k], cap))
                sim.set_capacity(k, cap)
            else:
                events.append(mm.Leave((a_ids if side == "a" else b_ids)[k]))
                sim.leave(side, k)
        else:
            events.append(mm.NeedsHelp(a_ids[int(rng.integers(len(a_ids)))], "a note"))
    return events


# ------------------------------------------------------------------------ the oracle
def best_subset(cands, fits, key):
    """Best key over every subset of ``cands`` that ``fits`` (depth-first enumeration)."""
    best = None

    def walk(t, chosen):
        nonlocal best
        if t == len(cands):
            k = key(chosen)
            if best is None or k > best:
                best = k
            return
        walk(t + 1, chosen)
        chosen.append(cands[t])
        if fits(chosen):
            walk(t + 1, chosen)
        chosen.pop()

    walk(0, [])
    return best


def same_key(got, want):
    """Integer tiers equal, the score within rounding."""
    assert got[:-1] == want[:-1]
    assert got[-1] == pytest.approx(want[-1], abs=1e-6)


def same_again(result, events, new, diff, pairs_of):
    """The same input gives the same output."""
    again, diff2 = rematch_group(result, events)
    assert pairs_of(again) == pairs_of(new) and str(diff2) == str(diff)


def check_common(new, diff, sim, got, a_ids, b_ids, events, old):
    """Kept pairs stay (same score), ended pairs are gone, the diff says so."""
    for pair, score in sim.pairs.items():
        assert pair in got, f"kept pair {pair} changed"
        assert got[pair] == pytest.approx(score)
    assert not set(sim.ended) & set(got), "an ended pair was made again"
    b_side = a_ids if sim.pool else b_ids
    assert diff.unchanged == len(sim.pairs)
    assert sorted(zip(diff.ended["id_a"], diff.ended["id_b"], strict=True)) == sorted(
        (a_ids[a], b_side[b]) for a, b in sim.ended)
    added = sorted(set(got) - set(sim.pairs))
    assert sorted(zip(diff.added["id_a"], diff.added["id_b"], strict=True)) == sorted(
        (a_ids[a], b_side[b]) for a, b in added)
    assert set(diff.priority) == {a_ids[k] for k in sim.priority}
    assert len(new.events) == len(old.events) + len(events)
    return added


# --------------------------------------------------------------------- several mentors
def mentors_case(seed):
    rng = np.random.default_rng(seed)
    n, m = int(rng.integers(2, 5)), int(rng.integers(2, 4))
    S = rng.choice(VALUES, size=(n, m))
    cap = rng.integers(1, 3, size=m)
    mcap = rng.integers(1, 3, size=n)
    a_ids = [f"e{i}" for i in range(n)]
    b_ids = [f"r{j}" for j in range(m)]
    args = {"mentee_capacity": mcap, "mentee_ids": a_ids, "mentor_ids": b_ids,
            "objective": ["coverage", "total"][int(rng.integers(2))],
            "options": {"k": int(rng.integers(1, 4)), "r": 2}}
    if rng.random() < 0.5:
        args["tracks"] = [["t1", "t2"][int(rng.integers(2))] for _ in range(m)]
    if rng.random() < 0.4:
        args["min_score"] = 0.25
    fin = [(i, j) for i in range(n) for j in range(m) if np.isfinite(S[i, j])]
    if fin and rng.random() < 0.4:
        i, j = fin.pop(int(rng.integers(len(fin))))
        args["banned"] = [(a_ids[i], b_ids[j])]
    if fin and rng.random() < 0.3:
        i, j = fin[int(rng.integers(len(fin)))]
        args["forced"] = [(a_ids[i], b_ids[j])]
    elif rng.random() < 0.3:
        args["unavailable"] = [a_ids[int(rng.integers(n))]]
    return rng, S, cap, args


def mentors_allowed(S, i, j, args, bans):
    ok = np.isfinite(S[i, j]) and (i, j) not in bans
    ok = ok and args["mentee_ids"][i] not in args.get("unavailable", [])
    return ok and ("min_score" not in args or S[i, j] >= args["min_score"])


@PROPS
@given(SEEDS)
def test_mentors_repair_keeps_bans_capacities_tracks_and_is_optimal(seed):
    rng, S, cap, args = mentors_case(seed)
    a_ids, b_ids = args["mentee_ids"], args["mentor_ids"]
    res = mm.solve_mentors(S, cap, **args)
    pairs = {(int(i), int(j)): float(s) for i, j, s in zip(
        res.mentee, res.mentor, res.scores, strict=True)}
    sim = Sim(pairs, args["mentee_capacity"], cap, pool=False)
    events = random_events(rng, sim, a_ids, b_ids)
    new, diff = rematch_group(res, events)
    assert isinstance(new, mm.MentorsMatching) and isinstance(diff, GroupDiff)
    same_again(res, events, new, diff, lambda r: (r.mentee.tolist(), r.mentor.tolist()))
    got = {(int(i), int(j)): float(s) for i, j, s in zip(
        new.mentee, new.mentor, new.scores, strict=True)}
    added = check_common(new, diff, sim, got, a_ids, b_ids, events, res)
    # the programme now: capacities on both sides, every ban (old and new)
    p = new.problem.problem
    assert p.capacity.tolist() == sim.cap_b.tolist()
    assert new.problem.mentee_capacity.tolist() == sim.cap_a.tolist()
    old_bans = {(a_ids.index(x), b_ids.index(y)) for x, y in args.get("banned", [])}
    now_bans = {(int(i), int(j)) for i, j in p.banned.tolist()}
    assert old_bans | set(sim.bans) <= now_bans
    load_b = np.bincount(new.mentor, minlength=len(b_ids))
    load_a = np.bincount(new.mentee, minlength=len(a_ids))
    assert (load_b <= sim.cap_b).all() and (load_a <= sim.cap_a).all()
    assert not set(new.mentee.tolist()) & sim.left_a
    assert not set(new.mentor.tolist()) & sim.left_b
    tracks = args.get("tracks")
    if tracks is not None:
        seen = [(i, tracks[j]) for i, j in got]
        assert len(seen) == len(set(seen)), "two mentors of one track"
    for i, j in added:
        assert mentors_allowed(S, i, j, args, old_bans | set(sim.bans))
    forced = {(a_ids.index(x), b_ids.index(y)) for x, y in args.get("forced", [])}
    assert {(int(i), int(j)) for i, j in p.forced.tolist()} == forced - set(sim.ended)
    # the free part against the brute force
    kept = set(sim.pairs)
    free_a = sim.cap_a - np.bincount([a for a, _ in kept], minlength=len(a_ids)).astype(int)
    free_b = sim.cap_b - np.bincount([b for _, b in kept], minlength=len(b_ids)).astype(int)
    free_a[list(sim.left_a)] = 0
    taken = {(i, tracks[j]) for i, j in kept} if tracks is not None else set()
    cands = [(i, j) for i in range(len(a_ids)) for j in range(len(b_ids))
             if (i, j) not in kept and (i, j) not in sim.ended and (i, tracks[j] if tracks
                                                                   else None) not in taken
             and mentors_allowed(S, i, j, args, old_bans | set(sim.bans))]
    prio = sim.priority
    coverage = args["objective"] == "coverage"

    def fits(ch):
        la = np.bincount([i for i, _ in ch], minlength=len(a_ids))
        lb = np.bincount([j for _, j in ch], minlength=len(b_ids))
        if (la > free_a).any() or (lb > free_b).any():
            return False
        if tracks is not None:
            tr = [(i, tracks[j]) for i, j in ch]
            return len(tr) == len(set(tr))
        return True

    def key(ch):
        return (sum(i in prio for i, _ in ch), len(ch) if coverage else 0,
                sum(S[i, j] for i, j in ch))

    want = best_subset(cands, fits, key)
    same_key(key(added), want)
    assert new.objective == pytest.approx(sum(got.values()))
    assert new.bound >= new.objective - 1e-9


# ---------------------------------------------------------------------------- peers
def pool_matrix(rng, n):
    A = rng.choice([*VALUES, -0.2, 0.0], size=(n, n))
    P = np.triu(A, 1)
    P = P + P.T
    np.fill_diagonal(P, 0.0)
    return P


def pool_key_parts(P, ch, prio):
    return sum((u in prio) + (v in prio) for u, v in ch), sum(P[u, v] for u, v in ch)


def pool_free(sim, n, P, min_score, bans):
    kept = set(sim.pairs)
    free = sim.cap_a - np.bincount([x for p in kept for x in p], minlength=n).astype(int)
    free[list(sim.left_a)] = 0
    cands = [(u, v) for u in range(n) for v in range(u + 1, n)
             if (u, v) not in kept and (u, v) not in sim.ended and np.isfinite(P[u, v])
             and (u, v) not in bans and (min_score is None or P[u, v] >= min_score)]

    def fits(ch):
        return bool((np.bincount([x for p in ch for x in p], minlength=n) <= free).all())

    return cands, fits


@PROPS
@given(SEEDS)
def test_peers_repair_keeps_bans_capacities_and_is_optimal(seed):
    rng = np.random.default_rng(seed)
    n = int(rng.integers(2, 7))
    P = pool_matrix(rng, n)
    cap = rng.integers(0, 3, size=n)
    ids = [f"p{k}" for k in range(n)]
    objective = ["coverage", "total"][int(rng.integers(2))]
    min_score = 0.25 if rng.random() < 0.3 else None
    fin = [(u, v) for u in range(n) for v in range(u + 1, n) if np.isfinite(P[u, v])]
    banned = [fin[int(rng.integers(len(fin)))]] if fin and rng.random() < 0.4 else []
    res = mm.solve_peers(P, cap, ids=ids, objective=objective, min_score=min_score,
                         banned=[(ids[u], ids[v]) for u, v in banned],
                         options={"k": int(rng.integers(1, 4))})
    pairs = {(int(u), int(v)): float(s) for u, v, s in zip(res.u, res.v, res.scores,
                                                           strict=True)}
    sim = Sim(pairs, cap, cap, pool=True)
    events = random_events(rng, sim, ids, ids)
    new, diff = rematch_group(res, events)
    assert isinstance(new, mm.PeerMatching)
    same_again(res, events, new, diff, lambda r: (r.u.tolist(), r.v.tolist()))
    got = {(int(u), int(v)): float(s) for u, v, s in zip(new.u, new.v, new.scores,
                                                         strict=True)}
    added = check_common(new, diff, sim, got, ids, ids, events, res)
    assert all(u < v for u, v in got), "a self pair or an unordered pair"
    assert new.problem.capacity.tolist() == sim.cap_a.tolist()
    assert (new.degree <= sim.cap_a).all()
    bans = set(banned) | set(sim.bans)
    now_bans = {tuple(sorted(b)) for b in new.problem.banned.tolist()}
    assert bans <= now_bans
    cands, fits = pool_free(sim, n, P, min_score, bans)
    assert set(added) <= set(cands)
    prio = sim.priority
    coverage = objective == "coverage"

    def key(ch):
        seats, score = pool_key_parts(P, ch, prio)
        return (seats, len(ch) if coverage else 0, score)

    same_key(key(added), best_subset(cands, fits, key))
    assert new.bound >= new.objective - 1e-9


# ---------------------------------------------------------------------------- rounds
@PROPS
@given(SEEDS)
def test_rounds_repair_keeps_the_round_and_is_optimal(seed):
    rng = np.random.default_rng(seed)
    n = int(rng.integers(2, 7))
    P = pool_matrix(rng, n)
    ids = [f"p{k}" for k in range(n)]
    r1 = mm.next_round(P, ids=ids)
    r2 = mm.next_round(P, r1.history, ids=ids)
    m = r2.matching
    pairs = {(int(u), int(v)): float(s) for u, v, s in zip(m.u, m.v, m.scores, strict=True)}
    sim = Sim(pairs, m.problem.capacity, m.problem.capacity, pool=True)
    events = random_events(rng, sim, ids, ids)
    new, diff = rematch_group(r2, events)
    assert isinstance(new, mm.RoundResult)
    same_again(r2, events, new, diff, lambda r: (r.history, r.sat_out))
    nm = new.matching
    got = {(int(u), int(v)): float(s) for u, v, s in zip(nm.u, nm.v, nm.scores, strict=True)}
    added = check_common(nm, diff, sim, got, ids, ids, events, m)
    assert (nm.degree <= sim.cap_a).all()
    # the history: the rounds before stay, the last one is the repaired round
    assert new.history.rounds[:-1] == r1.history.rounds
    assert sorted(map(frozenset, new.history.rounds[-1])) == sorted(
        frozenset((ids[u], ids[v])) for u, v in got)
    cands, fits = pool_free(sim, n, P, None, set(sim.bans))
    assert set(added) <= set(cands)
    met = {frozenset((ids.index(x), ids.index(y))) for x, y in r1.history.rounds[0]}
    sitters = {ids.index(x) for x in r1.sat_out}
    prio = sim.priority

    def key(ch):
        seats, score = pool_key_parts(P, ch, prio)
        return (seats, len(ch), sum((u in sitters) + (v in sitters) for u, v in ch),
                -sum(frozenset((u, v)) in met for u, v in ch), score)

    same_key(key(added), best_subset(cands, fits, key))
    deg = nm.degree
    assert sorted(map(str, new.sat_out)) == sorted(
        ids[k] for k in range(n) if deg[k] == 0 and sim.cap_a[k] > 0)


# --------------------------------------------------------------------------- circles
@PROPS
@given(SEEDS)
def test_circles_repair_keeps_members_and_is_optimal(seed):
    rng = np.random.default_rng(seed)
    n, m = int(rng.integers(2, 6)), int(rng.integers(1, 3))
    S = rng.choice(VALUES, size=(n, m))
    A = rng.choice([0.0, 0.2, 0.5, 1.0, -0.3], size=(n, n))
    peer = np.triu(A, 1) + np.triu(A, 1).T
    size = rng.integers(1, 4, size=m)
    a_ids = [f"e{i}" for i in range(n)]
    b_ids = [f"r{j}" for j in range(m)]
    objective = ["coverage", "total"][int(rng.integers(2))]
    lam = 0.5
    res = mm.solve_circles(S, size, peer_scores=peer, peer_weight=lam, objective=objective,
                           mentee_ids=a_ids, mentor_ids=b_ids, method="exact")
    pairs = {(int(i), int(res.circle[i])): float(S[i, res.circle[i]])
             for i in np.flatnonzero(res.circle >= 0)}
    sim = Sim(pairs, np.ones(n, int), size, pool=False, circles=True)
    events = random_events(rng, sim, a_ids, b_ids)
    new, diff = rematch_group(res, events)
    assert isinstance(new, mm.Circles)
    same_again(res, events, new, diff, lambda r: r.circle.tolist())
    got = {(int(i), int(new.circle[i])): float(S[i, new.circle[i]])
           for i in np.flatnonzero(new.circle >= 0)}
    added = check_common(new, diff, sim, got, a_ids, b_ids, events, res)
    assert new.problem.size.tolist() == sim.cap_b.tolist()
    assert (np.bincount(new.circle[new.circle >= 0], minlength=m) <= sim.cap_b).all()
    away = sim.left_a | sim.opted
    assert not {i for i, _ in got} & away
    # brute force: every plan of the free mentees
    circle = np.full(n, -1)
    for i, j in sim.pairs:
        circle[i] = j
    free = [i for i in range(n) if circle[i] < 0 and i not in away]
    seats = sim.cap_b - np.bincount([j for _, j in sim.pairs], minlength=m)
    bans = set(sim.bans)
    prio = sim.priority
    coverage = objective == "coverage"

    def value(c):
        tot = sum(S[i, c[i]] for i in range(n) if c[i] >= 0)
        return tot + lam * sum(peer[x, y] for x in range(n) for y in range(x + 1, n)
                               if c[x] >= 0 and c[x] == c[y])

    def key_of(c):
        new_ = [i for i in free if c[i] >= 0]
        return (sum(i in prio for i in new_), len(new_) if coverage else 0, value(c))

    want = None
    for plan in itertools.product(range(-1, m), repeat=len(free)):
        c = circle.copy()
        ok = True
        for i, j in zip(free, plan, strict=True):
            if j >= 0 and (not np.isfinite(S[i, j]) or (i, j) in bans or (i, j) in sim.ended):
                ok = False
            c[i] = j
        if not ok or (np.bincount(np.array(plan)[np.array(plan) >= 0].astype(int),
                                  minlength=m) > seats).any():
            continue
        k = key_of(c)
        if want is None or k > want:
            want = k
    assert {i for i, _ in added} <= set(free)
    same_key(key_of(new.circle), want)
    assert new.objective == pytest.approx(value(new.circle))
    assert new.bound >= new.objective - 1e-9


# ---------------------------------------------------------------------- determinism
def test_same_input_same_output():
    rng = np.random.default_rng(7)
    P = pool_matrix(rng, 8)
    res = mm.solve_peers(P, 2, ids=[f"p{k}" for k in range(8)], objective="coverage")
    events = [mm.Leave("p0"), mm.SetCapacity("p3", 1)]
    one, d1 = rematch_group(res, events)
    two, d2 = rematch_group(res, events)
    assert one.u.tolist() == two.u.tolist() and one.v.tolist() == two.v.tolist()
    assert d1.added.equals(d2.added) and d1.ended.equals(d2.ended)
    assert str(d1) == str(d2)


def test_the_input_result_is_untouched_and_events_accumulate():
    S = [[0.9, 0.2], [0.1, 0.8], [0.85, 0.7]]
    res = mm.solve_mentors(S, [1, 1], mentee_ids=["ann", "bob", "cy"],
                           mentor_ids=["X", "Y"])
    before = res.pairs.copy()
    new, _ = rematch_group(res, [mm.Unmatch("ann", "X")])
    newer, _ = rematch_group(new, [mm.NeedsHelp("bob", "call me")])
    assert res.pairs.equals(before) and res.problem.problem.capacity.tolist() == [1, 1]
    assert [type(e).__name__ for e in newer.events] == ["Unmatch", "NeedsHelp"]
    assert len(newer.stats["rematches"]) == 2
    assert ("ann", "X") in newer.problem.problem.pair_ids(newer.problem.problem.banned)


def test_a_shed_pair_is_not_made_again_in_the_same_repair():
    lower_raise = [mm.SetCapacity("X", 1), mm.SetCapacity("X", 2)]
    res = mm.solve_mentors([[0.9, 0.1], [0.5, 0.1]], [2, 1], mentee_ids=["a", "b"],
                           mentor_ids=["X", "Y"])
    assert res.mentors_of("b") == ["X"]
    new, diff = rematch_group(res, lower_raise)
    assert diff.ended["id_a"].tolist() == ["b"]
    assert new.mentors_of("b") == ["Y"] and new.problem.problem.capacity.tolist() == [2, 1]
    circ = mm.solve_circles([[0.9, 0.1], [0.5, 0.1]], [2, 1], peer_scores=np.zeros((2, 2)),
                            mentee_ids=["a", "b"], mentor_ids=["X", "Y"])
    assert circ.circle.tolist() == [0, 0]
    new_c, _ = rematch_group(circ, lower_raise)
    assert new_c.circle.tolist() == [0, 1]
    pool = mm.solve_peers([[0, 0.9, 0.5], [0.9, 0, 0.1], [0.5, 0.1, 0]], 2,
                          ids=["X", "a", "b"])
    assert pool.partners_of("X") == ["a", "b"]
    new_p, diff_p = rematch_group(pool, lower_raise)
    assert diff_p.ended.values.tolist() == [["X", "b", "capacity of X lowered to 1"]]
    assert new_p.partners_of("X") == ["a"] and new_p.partners_of("b") == ["a"]


def test_forced_pairs_still_standing_are_carried():
    res = mm.solve_mentors([[0.9, 0.1, 0.5], [0.5, 0.1, 0.4]], [1, 1, 1],
                           mentee_ids=["a", "b"], mentor_ids=["X", "Y", "Z"],
                           forced=[("b", "Y"), ("a", "X")])
    new, _ = rematch_group(res, [mm.Leave("X")])
    p = new.problem.problem
    assert p.pair_ids(p.forced) == [("b", "Y")]
    assert new.mentors_of("b") == ["Y"] and new.mentors_of("a") == ["Z"]


# ---------------------------------------------------------------------------- errors
@pytest.fixture(scope="module")
def peers():
    return mm.solve_peers([[0, 0.9, 0.1], [0.9, 0, 0.2], [0.1, 0.2, 0]], ids=["a", "b", "c"])


@pytest.mark.parametrize(("events", "match"), [
    ([mm.Leave("zed")], r"event 1 \(Leave\): 'zed' is not in the pool"),
    ([mm.Unmatch("a", "c")], r"'a' and 'c' are not paired"),
    ([mm.Leave("a"), mm.Leave("a")], r"event 2 \(Leave\): 'a' has already left"),
    (["leave a"], r"event 1 \(str\): expected an event"),
    ([mm.Join("d", "mentee")], r"takes no joiners"),
    ([mm.SetCapacity("a", 1.5)], r"capacity must be a whole number"),
    ([mm.MentorUnmatch("a", "b", "half")], r"capacity_drop must be 'one' or 'zero'"),
])
def test_bad_events_are_refused_by_id(peers, events, match):
    with pytest.raises(EventError, match=match) as err:
        rematch_group(peers, events)
    assert isinstance(err.value, ValueError)


def test_unknown_ids_are_named_for_two_sided_shapes():
    res = mm.solve_mentors([[0.9, 0.1], [0.2, 0.8]], [1, 1], mentee_ids=["a", "b"],
                           mentor_ids=["X", "Y"])
    with pytest.raises(EventError, match=r"event 2 \(SetCapacity\): 'Q' is not a mentor id"):
        rematch_group(res, [mm.NeedsHelp("a"), mm.SetCapacity("Q", 1)])
    with pytest.raises(EventError, match="'X' is not a mentee id"):
        rematch_group(res, [mm.Unmatch("X", "a")])
    circ = mm.solve_circles([[0.9, 0.1], [0.2, 0.8]], 1, peer_scores=np.zeros((2, 2)),
                            mentee_ids=["a", "b"], mentor_ids=["X", "Y"])
    with pytest.raises(EventError, match="'zed' is not a mentee or mentor id"):
        rematch_group(circ, [mm.Leave("zed")])


def test_role_settles_an_id_on_both_sides():
    res = mm.solve_mentors([[0.9, 0.1], [0.2, 0.8]], [1, 1])  # positions as ids
    with pytest.raises(EventError, match="both a mentee and a mentor id"):
        rematch_group(res, [mm.Leave(0)])
    new, diff = rematch_group(res, [mm.Leave(0, role="mentor")])
    assert diff.ended["id_a"].tolist() == [0] and new.problem.problem.capacity.tolist() == [0, 1]


def test_a_result_of_another_type_is_refused():
    one = mm.solve([[0.9]], [1])
    with pytest.raises(SolverError, match=r"got Matching .*mentormatch\.rematch"):
        rematch_group(one, [])
    with pytest.raises(SolverError, match="got dict"):
        rematch_group({}, [])
    with pytest.raises(EventError, match="capacity_drop"):
        rematch_group(one, [], capacity_drop="all")


@pytest.mark.parametrize("mode", ["mean", "min"])
@pytest.mark.parametrize("objective", ["total", "coverage"])
def test_a_candidate_graph_repair_bounds_the_whole_pool(mode, objective):
    rng = np.random.default_rng(11)
    n = 10
    A = rng.random((n, n)).round(2)
    P = np.triu(A, 1) + np.triu(A, 1).T
    iu, iv = np.triu_indices(n, 1)
    ids = [f"p{k}" for k in range(n)]
    full = mm.PeerGraph(n, iu, iv, P[iu, iv], np.full(n, -np.inf), mode=mode)
    keep = P[iu, iv] > 0.4
    trunc = np.full(n, -np.inf)
    for u, v in zip(iu[~keep].tolist(), iv[~keep].tolist(), strict=True):
        trunc[u] = max(trunc[u], P[u, v])
        trunc[v] = max(trunc[v], P[u, v])
    part = mm.PeerGraph(n, iu[keep], iv[keep], P[iu[keep], iv[keep]], trunc, mode=mode)
    dense = mm.solve_peers(P, 1, ids=ids, objective=objective)
    events = [mm.SetCapacity(dense.pairs.id_a[0], 2), mm.NeedsHelp("p1")]
    want, _ = rematch_group(dense, events)
    for graph in (full, part):
        res = mm.solve_peers(graph, 1, ids=ids, objective=objective)
        new, _ = rematch_group(res, events)
        before = set(zip(res.u.tolist(), res.v.tolist(), strict=True))
        assert before <= set(zip(new.u.tolist(), new.v.tolist(), strict=True))
        assert new.bound >= want.objective - 1e-9
        if graph is full and res.u.tolist() == dense.u.tolist():
            assert new.objective == pytest.approx(want.objective)
            assert new.status == "optimal"


def test_a_mentee_who_left_stays_left_after_a_later_repair() -> None:
    res = mm.solve_mentors([[0.9, 0.8, 0.1], [0.7, 0.6, 0.5], [0.3, 0.2, 0.9]], [1, 1, 1],
                           mentee_ids=["ann", "bob", "cy"], mentor_ids=["X", "Y", "Z"])
    first, _ = mm.rematch_group(res, [mm.Leave("ann")])
    second, _ = mm.rematch_group(first, [mm.Unmatch("bob", first.mentors_of("bob")[0])])
    for result in (first, second):
        reasons = dict(zip(result.problem.problem.mentee_ids.tolist(), result.reasons.tolist(),
                           strict=True))
        assert reasons["ann"] == "left"
        assert result.mentors_of("ann") == []
