"""HTML reports of the group shapes: everyone accounted for, escaping, events, no-plots, CLI."""

from __future__ import annotations

import json
from html.parser import HTMLParser

import numpy as np
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

import mentormatch as mm
from groups_data import write_group_files
from mentormatch import report
from mentormatch.cli import main
from mentormatch.exceptions import SolverError
from mentormatch.groups._report import render_group_report

HOSTILE = "<script>alert(1)</script>"
SNEAKY = '"><img src=x onerror=alert(2)>'
CSP = "default-src 'none'"


class Tables(HTMLParser):
    """Rows (cell texts) of every table with an id, the text of every id, every tag."""

    def __init__(self) -> None:
        super().__init__()
        self.tables: dict[str, list[list[str]]] = {}
        self.by_id: dict[str, str] = {}
        self.tags: list[tuple[str, dict]] = []
        self._table: str | None = None
        self._cell: list[str] | None = None
        self._in_body = False
        self._open: list[str | None] = []

    def handle_starttag(self, tag, attrs):
        a = dict(attrs)
        self.tags.append((tag, a))
        self._open.append(a.get("id"))
        if a.get("id"):
            self.by_id[a["id"]] = ""
        if tag == "table" and a.get("id"):
            self._table = a["id"]
            self.tables[self._table] = []
        elif tag == "tbody":
            self._in_body = True
        elif tag == "tr" and self._table and self._in_body:
            self.tables[self._table].append([])
        elif tag in ("td", "th") and self._table and self._in_body:
            self._cell = []

    def handle_endtag(self, tag):
        if self._open:
            self._open.pop()
        if tag == "table":
            self._table, self._in_body = None, False
        elif tag in ("td", "th") and self._cell is not None and self._table:
            self.tables[self._table][-1].append("".join(self._cell))
            self._cell = None

    def handle_data(self, data):
        if self._cell is not None:
            self._cell.append(data)
        for ident in self._open:
            if ident:
                self.by_id[ident] += data


def parse(page: str) -> Tables:
    p = Tables()
    p.feed(page)
    return p


def assert_safe(page: str) -> None:
    """Self-contained and inert: the CSP, no script, no handler, no remote resource."""
    assert f'<meta http-equiv="Content-Security-Policy" content="{CSP}' in page
    assert "<script" not in page.lower()
    for tag, attrs in parse(page).tags:
        assert tag not in ("script", "iframe", "object", "embed", "link"), tag
        assert not any(k.startswith("on") for k in attrs), (tag, attrs)
        for key in ("src", "href"):
            if key in attrs:
                assert attrs[key].startswith("data:image/png;base64,"), attrs


def accounted(page: str, ids: list[str], columns: tuple[int, ...]) -> None:
    """Every id is in a pair (``columns`` of the pairs table) or unmatched with a reason."""
    t = parse(page)
    paired = {row[c] for row in t.tables.get("pairs", []) for c in columns}
    unmatched = {row[0]: row[2] for row in t.tables.get("unmatched", [])}
    for pid in ids:
        assert pid in paired or pid in unmatched, pid
        if pid in unmatched:
            assert unmatched[pid], pid


# ---------------------------------------------------------------- several mentors
@pytest.fixture(scope="module")
def mentors_result():
    S = np.array([[0.9, 0.5, 0.4], [0.8, 0.1, 0.7], [0.2, 0.3, -np.inf]])
    return mm.solve_mentors(S, [1, 1, 1], mentee_capacity=2,
                            tracks=["career", "tech", "tech"],
                            mentee_ids=["ann", HOSTILE, "cy"],
                            mentor_ids=["X", SNEAKY, "Z&co"])


def test_mentors_report(mentors_result):
    res = mentors_result
    page = render_group_report(res)
    assert_safe(page)
    t = parse(page)
    assert "&lt;script&gt;alert(1)&lt;/script&gt;" in page and HOSTILE not in page
    assert SNEAKY not in page and "Z&amp;co" in page
    assert t.by_id["n-pairs"] == str(res.n_pairs)
    assert t.by_id["status"] == "optimal"
    assert len(t.tables["pairs"]) == res.n_pairs
    # each pair: mentee, mentor, track, score
    got = {(r[0], r[1], r[2]) for r in t.tables["pairs"]}
    want = set(map(tuple, res.pairs[["mentee_id", "mentor_id", "track"]].astype(str).values))
    assert got == want
    accounted(page, ["ann", HOSTILE, "cy"], (0,))
    # load per mentor: capacity, used, left
    load = {r[0]: r[1:] for r in t.tables["load"]}
    assert set(load) == {"X", SNEAKY, "Z&co"}
    for j, mid in enumerate(["X", SNEAKY, "Z&co"]):
        used = int(res.load[j])
        assert load[mid] == ["1", str(used), str(1 - used)]
    # three mentors for six seats: someone has fewer mentors than asked, with the reason
    short = {r[0]: r for r in t.tables["unmatched"]}
    assert set(short) == {str(x) for x in res.unfilled["mentee_id"]}
    for row in short.values():
        assert row[2] in mm.matching.REASONS and row[3]
    assert "proven optimal" in t.by_id["summary-words"]
    coverage = res.problem.problem.objective == "coverage"
    assert ("among those with as many pairs" in t.by_id["summary-words"]) == coverage
    assert "events" not in t.tables


def test_mentors_report_after_a_rematch(mentors_result):
    new, _ = mm.rematch_group(mentors_result, [mm.Unmatch("ann", "X"), mm.Leave("cy")])
    new2, _ = mm.rematch_group(new, [mm.SetCapacity("Z&co", 2)])
    t = parse(render_group_report(new2))
    events = t.tables["events"]
    assert [r[0] for r in events] == ["1", "1", "2"]
    assert [r[1] for r in events] == ["unmatch", "leave", "set_capacity"]
    assert events[0][2] == "ann x X"
    repairs = t.tables["repairs"]
    assert len(repairs) == 2 and repairs[0][1] == "2" and repairs[1][1] == "1"
    short = {r[0]: r[2] for r in t.tables["unmatched"]}
    assert short["cy"] == "left"
    assert "3 events were applied in 2 repairs" in t.by_id["summary-words"]


# ---------------------------------------------------------------- peers
POOL = np.array([[0, 0.9, 0.2, 0.1, 0.3],
                 [0.9, 0, 0.4, 0.2, 0.1],
                 [0.2, 0.4, 0, 0.8, 0.2],
                 [0.1, 0.2, 0.8, 0, 0.5],
                 [0.3, 0.1, 0.2, 0.5, 0]])
POOL_IDS = ["ann", "bob", HOSTILE, "dee", "eve"]


def test_peers_report():
    res = mm.solve_peers(POOL, ids=POOL_IDS)
    page = render_group_report(res, title="Coffee <b>club</b>")
    assert_safe(page)
    t = parse(page)
    assert "Coffee &lt;b&gt;club&lt;/b&gt;" in page
    assert t.by_id["n-pairs"] == "2" and t.by_id["n-matched"] == "4"
    accounted(page, POOL_IDS, (0, 1))
    assert {r[0]: r[2] for r in t.tables["unmatched"]} == {"eve": "not_selected"}
    assert {r[0]: r[2] for r in t.tables["load"]} == {
        "ann": "1", "bob": "1", HOSTILE: "1", "dee": "1", "eve": "0"}
    new, _ = mm.rematch_group(res, [mm.Leave("ann")])
    t = parse(render_group_report(new))
    reasons = {r[0]: r[2] for r in t.tables["unmatched"]}
    assert reasons["ann"] == "left"
    assert t.tables["events"][0][1:3] == ["leave", "ann"]
    accounted(render_group_report(new), POOL_IDS, (0, 1))


def test_max_pairs_cuts_the_table_not_the_counts():
    res = mm.solve_peers(POOL, ids=POOL_IDS)
    t = parse(render_group_report(res, max_pairs=1))
    assert len(t.tables["pairs"]) == 1 and t.by_id["n-pairs"] == "2"
    assert "First 1 of 2." in render_group_report(res, max_pairs=1)


@settings(max_examples=15, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(st.integers(2, 7), st.integers(1, 2), st.integers(0, 2**31 - 1))
def test_peer_report_accounts_for_everyone(n, cap, seed):
    rng = np.random.default_rng(seed)
    A = rng.random((n, n)).round(3)
    A = np.triu(A, 1)
    A = A + A.T
    ids = [f"p{k}<&>" for k in range(n)]
    res = mm.solve_peers(A, cap, ids=ids)
    page = render_group_report(res)
    t = parse(page)
    assert len(t.tables["pairs"]) == res.n_pairs
    assert [r[0] for r in t.tables["load"]] == ids
    short = {r[0] for r in t.tables.get("unmatched", [])}
    assert short == {ids[k] for k in range(n) if res.degree[k] < cap}
    assert "<&>" not in page


# ---------------------------------------------------------------- circles
def test_circles_report():
    S = [[0.9, 0.1], [0.8, 0.2], [0.1, 0.7], [0.5, 0.5], [0.4, 0.3]]
    P = np.zeros((5, 5))
    P[0, 1] = P[1, 0] = 1.0
    ids = ["ann", "bob", HOSTILE, "dee", "eve"]
    res = mm.solve_circles(S, 2, peer_scores=P, mentee_ids=ids, mentor_ids=["M1", "M<2>"],
                           unavailable=["eve"])
    page = render_group_report(res)
    assert_safe(page)
    t = parse(page)
    circles = {r[0]: r for r in t.tables["pairs"]}
    assert set(circles) <= {"M1", "M<2>"}
    members = " ".join(r[1] for r in circles.values())
    placed = [p for p in ids if p in members]
    assert len(placed) == int((res.circle >= 0).sum()) == 4
    reasons = {r[0]: r[2] for r in t.tables["unmatched"]}
    assert reasons == {"eve": "unavailable"}
    assert t.by_id["n-circles"] == "2" and t.by_id["n-matched"] == "4"
    # the circle total is the mentor scores plus peer_weight x peer scores
    row = circles["M1"]
    assert float(row[4]) == pytest.approx(float(row[2]) + 0.5 * float(row[3]), abs=2e-3)
    assert {r[0]: r[1:] for r in t.tables["load"]} == {"M1": ["2", "2", "0"],
                                                       "M<2>": ["2", "2", "0"]}
    new, _ = mm.rematch_group(res, [mm.Leave("ann")])
    t = parse(render_group_report(new))
    assert {r[0]: r[2] for r in t.tables["unmatched"]}["ann"] == "left"
    assert t.tables["events"][0][1] == "leave"


# ---------------------------------------------------------------- rounds
def test_rounds_report():
    ids = ["a", "b", "c", HOSTILE, "e"]
    r1 = mm.next_round(np.full((5, 5), 0.5), ids=ids)
    r2 = mm.next_round(np.full((5, 5), 0.5), r1.history, ids=ids)
    page = render_group_report(r2)
    assert_safe(page)
    t = parse(page)
    assert t.by_id["round"] == "2" and t.by_id["n-sat-out"] == "1"
    accounted(page, ids, (0, 1))
    assert {r[0]: r[2] for r in t.tables["unmatched"]} == {str(r2.sat_out[0]): "sat_out"}
    assert all(r[3] == "no" for r in t.tables["pairs"])  # nobody meets twice
    new, _ = mm.rematch_group(r2, [mm.Leave(r2.pairs["id_a"].iloc[0])])
    t = parse(render_group_report(new))
    assert "events" in t.tables and "repairs" in t.tables


# ---------------------------------------------------------------- plots, dispatch, CLI
def test_plots_or_the_no_plots_notice(monkeypatch, mentors_result):
    page = render_group_report(mentors_result)
    assert 'id="plot-scores"' in page and 'id="plot-load"' in page
    assert 'id="no-plots"' not in page
    monkeypatch.setattr(report, "_have_matplotlib", lambda: False)
    page = render_group_report(mentors_result)
    assert "data:image/png" not in page and 'id="no-plots"' in page
    assert parse(page).by_id["n-pairs"] == str(mentors_result.n_pairs)


def test_write_report_dispatches(tmp_path, mentors_result):
    m = mm.solve([[0.9, 0.5], [0.8, 0.1]], capacity=[1, 1], mentee_ids=["a", "b"])
    assert mm.render_report(m) == report.render_report(m)
    path = mm.write_report(mentors_result, tmp_path / "sub" / "g.html")
    assert path.read_text(encoding="utf-8") == render_group_report(mentors_result)
    with pytest.raises(SolverError, match="group results"):
        report.render_report(mentors_result)
    with pytest.raises(SolverError, match="got list"):
        mm.render_report([1, 2])


@pytest.fixture(scope="module")
def cli_files(tmp_path_factory):
    d = tmp_path_factory.mktemp("greport")
    return d, write_group_files(d, 12, 4, 3, tracks=False)


def test_cli_report_option(cli_files, capsys):
    d, survey = cli_files
    runs = {
        "mentors": ["mentors", "--survey", str(survey), "--mentees", str(d / "mentees.csv"),
                    "--mentors", str(d / "mentors.csv"), "--out", str(d / "m.csv")],
        "peers": ["peers", "--survey", str(d / "peer.json"), "--pool", str(d / "pool.csv"),
                  "--out", str(d / "p.csv")],
        "circles": ["circles", "--survey", str(survey), "--mentees", str(d / "mentees.csv"),
                    "--mentors", str(d / "mentors.csv"), "--peer-survey",
                    str(d / "peer.json"), "--size", "3", "--out", str(d / "c.csv")],
        "rounds": ["rounds", "--survey", str(d / "peer.json"), "--pool", str(d / "pool.csv"),
                   "--state", str(d / "coffee.json"), "--out", str(d / "r.csv")],
    }
    for name, argv in runs.items():
        html_path = d / "reports" / f"{name}.html"
        code = main([*argv, "--report", str(html_path), "--format", "json"])
        assert code == 0, capsys.readouterr()
        rec = json.loads(capsys.readouterr().out)
        assert str(html_path) in rec["files"]
        page = html_path.read_text(encoding="utf-8")
        assert_safe(page)
        assert 'id="summary"' in page and 'id="load"' in page, name
