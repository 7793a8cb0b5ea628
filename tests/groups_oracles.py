"""Independent oracles for the group shapes: brute force, scipy's MILP, networkx.

None of them shares code with :mod:`mentormatch.groups`: each states its problem from
scratch (a dense score matrix, capacities, tracks) and solves it by enumeration or by a
general-purpose integer programme.
"""

from __future__ import annotations

import itertools

import networkx as nx
import numpy as np
from scipy.optimize import Bounds, LinearConstraint, milp


def mentors_milp(S, cap, mentee_cap, tracks=None, objective="total"):
    """Best total of several mentors per mentee (lexicographic count first for coverage)."""
    S = np.asarray(S, float)
    n, m = S.shape
    pairs = [(i, j) for i in range(n) for j in range(m)
             if np.isfinite(S[i, j]) and (objective != "total" or S[i, j] > 0)]
    if not pairs:
        return 0.0, 0
    w = np.array([S[i, j] for i, j in pairs])
    rows, hi = [], []
    for i in range(n):
        rows.append([1.0 if p[0] == i else 0.0 for p in pairs])
        hi.append(mentee_cap[i])
    for j in range(m):
        rows.append([1.0 if p[1] == j else 0.0 for p in pairs])
        hi.append(cap[j])
    if tracks is not None:
        for i in range(n):
            for t in set(tracks):
                rows.append([1.0 if p[0] == i and tracks[p[1]] == t else 0.0 for p in pairs])
                hi.append(1)
    A = np.array(rows)
    cons = [LinearConstraint(A, -np.inf, np.array(hi, float))]
    integ = np.ones(len(pairs))
    count = 0
    if objective == "coverage":
        res = milp(-np.ones(len(pairs)), constraints=cons, integrality=integ, bounds=Bounds(0, 1))
        count = round(-res.fun)
        cons.append(LinearConstraint(np.ones((1, len(pairs))), count, count))
    res = milp(-w, constraints=cons, integrality=integ, bounds=Bounds(0, 1),
               options={"mip_rel_gap": 1e-12})
    x = np.round(res.x)
    return float(w @ x), int(x.sum())


def peer_networkx(P, *, maxcardinality=False):
    """Maximum-weight matching of a symmetric matrix (``-inf`` = no edge) by networkx."""
    P = np.asarray(P, float)
    g = nx.Graph()
    g.add_nodes_from(range(P.shape[0]))
    for u, v in zip(*np.triu_indices(P.shape[0], 1), strict=True):
        if np.isfinite(P[u, v]) and (maxcardinality or P[u, v] > 0):
            g.add_edge(int(u), int(v), weight=float(P[u, v]))
    mate = nx.max_weight_matching(g, maxcardinality=maxcardinality)
    total = sum(P[u, v] for u, v in mate)
    return float(total), len(mate)


def peer_brute(P, cap, objective="total"):
    """Best b-matching of a tiny symmetric matrix by enumerating edge subsets."""
    P = np.asarray(P, float)
    n = P.shape[0]
    edges = [(u, v) for u in range(n) for v in range(u + 1, n) if np.isfinite(P[u, v])]
    best = (-1, -np.inf) if objective == "coverage" else (0, -np.inf)
    for r in range(len(edges) + 1):
        for sub in itertools.combinations(edges, r):
            deg = np.zeros(n, int)
            for u, v in sub:
                deg[u] += 1
                deg[v] += 1
            if (deg > cap).any():
                continue
            tot = sum(P[u, v] for u, v in sub)
            key = (len(sub), tot) if objective == "coverage" else (0, tot)
            if key > best:
                best = key
    return float(best[1]), best[0]


def peer_milp(P, cap, objective="total"):
    """Best b-matching of a symmetric matrix by scipy's MILP (edges of finite score)."""
    P = np.asarray(P, float)
    n = P.shape[0]
    edges = [(u, v) for u in range(n) for v in range(u + 1, n)
             if np.isfinite(P[u, v]) and (objective != "total" or P[u, v] > 0)]
    if not edges:
        return 0.0, 0
    w = np.array([P[u, v] for u, v in edges])
    A = np.zeros((n, len(edges)))
    for k, (u, v) in enumerate(edges):
        A[u, k] = A[v, k] = 1
    cons = [LinearConstraint(A, -np.inf, np.asarray(cap, float))]
    integ = np.ones(len(edges))
    if objective == "coverage":
        res = milp(-np.ones(len(edges)), constraints=cons, integrality=integ, bounds=Bounds(0, 1))
        cnt = round(-res.fun)
        cons.append(LinearConstraint(np.ones((1, len(edges))), cnt, cnt))
    res = milp(-w, constraints=cons, integrality=integ, bounds=Bounds(0, 1),
               options={"mip_rel_gap": 1e-12})
    x = np.round(res.x)
    return float(w @ x), int(x.sum())


def circles_brute(S, size, P, lam, objective="total"):
    """Best circle plan of a tiny cohort by enumerating every assignment."""
    S = np.asarray(S, float)
    P = np.asarray(P, float)
    n, m = S.shape
    best = (-1, -np.inf)
    for plan in itertools.product(range(-1, m), repeat=n):
        arr = np.array(plan)
        if any(arr[i] >= 0 and not np.isfinite(S[i, arr[i]]) for i in range(n)):
            continue
        if (np.bincount(arr[arr >= 0], minlength=m) > size).any():
            continue
        val = sum(S[i, arr[i]] for i in range(n) if arr[i] >= 0)
        val += lam * sum(P[a, b] for a in range(n) for b in range(a + 1, n)
                         if arr[a] >= 0 and arr[a] == arr[b])
        key = ((arr >= 0).sum() if objective == "coverage" else 0, val)
        if key > best:
            best = key
    return float(best[1]), int(best[0])


def round_brute(P, met, sat_last):
    """Best next round of a tiny pool: (pairs, last sitters paired, -repeats, score), lexicographic."""
    P = np.asarray(P, float)
    n = P.shape[0]
    edges = [(u, v) for u in range(n) for v in range(u + 1, n) if np.isfinite(P[u, v])]
    best = None
    for r in range(len(edges) + 1):
        for sub in itertools.combinations(edges, r):
            used = [x for e in sub for x in e]
            if len(used) != len(set(used)):
                continue
            key = (len(sub), sum(1 for x in used if x in sat_last),
                   -sum(1 for u, v in sub if met[u][v]), sum(P[u, v] for u, v in sub))
            if best is None or key[:3] > best[:3] or (key[:3] == best[:3] and key[3] > best[3]):
                best = key
    return best
