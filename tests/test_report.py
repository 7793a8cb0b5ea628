"""The HTML report: counts, escaping, self-containment, CLI, and a real browser render."""

from __future__ import annotations

import os
import re
import shutil
import subprocess
from html.parser import HTMLParser

import numpy as np
import pytest

from mentormatch import match, solve
from mentormatch.cli import main
from mentormatch.datasets import load_demo
from mentormatch.problem import Quota
from mentormatch.rematching import save_state
from mentormatch.report import render_report, write_report

INF = float("inf")
HOSTILE = ["<script>alert(1)</script>", '"><img src=x onerror=alert(2)>', "a&b", "plain"]


class Collect(HTMLParser):
    """Every tag with its attributes, and the text of elements carrying an id."""

    def __init__(self):
        super().__init__()
        self.tags: list[tuple[str, dict]] = []
        self.by_id: dict[str, str] = {}
        self._open: list[str | None] = []

    def handle_starttag(self, tag, attrs):
        a = dict(attrs)
        self.tags.append((tag, a))
        self._open.append(a.get("id"))
        if a.get("id"):
            self.by_id[a["id"]] = ""

    def handle_endtag(self, tag):
        if self._open:
            self._open.pop()

    def handle_data(self, data):
        for ident in self._open:
            if ident:
                self.by_id[ident] += data


def parse(page: str) -> Collect:
    p = Collect()
    p.feed(page)
    return p


@pytest.fixture(scope="module")
def hostile_matching():
    S = np.array([[0.9, 0.2, 0.4], [0.8, 0.6, -INF], [0.1, 0.3, 0.7], [0.5, -INF, -INF]])
    return solve(S, [1, 1, 1], mentee_ids=HOSTILE, mentor_ids=["<b>X</b>", "Y'", "Z"])


@pytest.fixture(scope="module")
def demo_matching():
    demo = load_demo(n_mentees=40, n_mentors=12)
    return match(demo.cohort, None, demo.survey)


def test_report_shows_the_counts(demo_matching):
    m = demo_matching
    tree = parse(render_report(m))
    s = m.summary()
    assert tree.by_id["n-mentees"] == str(s["mentees"])
    assert tree.by_id["n-mentors"] == str(s["mentors"])
    assert tree.by_id["n-matched"] == str(s["matched"])
    assert tree.by_id["n-unmatched"] == str(s["unmatched"])
    assert tree.by_id["n-seats"] == str(s["capacity"])
    assert tree.by_id["seats-used"] == str(int(m.load.sum()))
    rows = [t for t in tree.tags if t[0] == "tr"]
    # summary rows + criteria + reasons + pairs + unmatched (+ header rows)
    n_pair_rows = len(re.findall(r"<tr><td>", render_report(m).split('id="pairs"')[1]
                                 .split("</table>")[0]))
    assert n_pair_rows == m.n_matched
    assert len(rows) > m.n_matched
    # plots are embedded PNGs; one per section that has data
    imgs = [a for t, a in tree.tags if t == "img"]
    assert {"plot-scores", "plot-criteria", "plot-capacity"} <= set(tree.by_id)
    assert all(a["src"].startswith("data:image/png;base64,") for a in imgs)
    # criteria table: one row per criterion
    crit = render_report(m).split('id="criteria"')[1].split("</table>")[0]
    assert crit.count("<tr><td>") == len(m.source.criteria)


def test_report_escapes_hostile_ids(hostile_matching):
    page = render_report(hostile_matching, title="<i>prog</i>")
    for raw in [*HOSTILE[:3], "<b>X</b>", "<i>prog</i>"]:
        assert raw not in page
    assert "&lt;script&gt;alert(1)&lt;/script&gt;" in page
    assert "&quot;&gt;&lt;img src=x onerror=alert(2)&gt;" in page
    assert "a&amp;b" in page
    tree = parse(page)
    assert not [t for t, _ in tree.tags if t in ("script", "i", "b")]
    assert all(not k.startswith("on") for _, a in tree.tags for k in a)
    # the escaped ids read back as the original text
    text = tree.by_id["pairs"] + tree.by_id.get("unmatched", "")
    assert HOSTILE[0] in text and HOSTILE[1] in text


def test_report_is_self_contained(demo_matching, hostile_matching):
    for m in (demo_matching, hostile_matching):
        page = render_report(m)
        tree = parse(page)
        for _, attrs in tree.tags:
            for key in ("src", "href", "srcset", "action", "data", "poster"):
                value = attrs.get(key)
                if value is not None:
                    assert value.startswith("data:"), (key, value[:60])
        assert not re.search(r"https?://", page)
        assert not [t for t, _ in tree.tags if t in ("script", "link", "iframe", "object")]
        assert "url(" not in page


def test_report_lists_quota_outcomes():
    S = np.array([[0.9, 0.5], [0.8, 0.1], [0.7, 0.6]])
    q = Quota(side="mentee", members=[False, True, False], min_matched=1, name="<g>")
    m = solve(S, [1, 1], quotas=[q])
    tree = parse(render_report(m))
    assert "quotas" in tree.by_id
    assert "<g>" in tree.by_id["quotas"]  # escaped in HTML, text again once parsed
    assert m.assignment[1] >= 0
    assert "yes" in tree.by_id["quotas"]


def test_write_report_writes_the_rendered_page(tmp_path, hostile_matching):
    page = render_report(hostile_matching)
    q = write_report(hostile_matching, tmp_path / "sub" / "w.html")
    assert q.read_text(encoding="utf-8") == page
    assert page.startswith("<!DOCTYPE html>")


def test_cli_report_exit_codes(tmp_path, hostile_matching, capsys):
    state = save_state(hostile_matching, tmp_path / "state.json")
    out = tmp_path / "report.html"
    assert main(["report", "--state", str(state), "--out", str(out)]) == 0
    tree = parse(out.read_text(encoding="utf-8"))
    assert tree.by_id["n-matched"] == str(hostile_matching.n_matched)
    assert main(["report", "--state", str(tmp_path / "missing.json"), "--out",
                 str(out)]) == 2
    assert "cannot read the state file" in capsys.readouterr().err
    bad = tmp_path / "bad.json"
    bad.write_text('{"format": "other"}', encoding="utf-8")
    assert main(["report", "--state", str(bad), "--out", str(out)]) == 2
    assert "not a mentormatch state file" in capsys.readouterr().err
    assert main(["report", "--out", str(out)]) == 2  # --state is required


# ------------------------------------------------------------------- real browser
CHROMIUM_FLAGS = [
    "--headless", "--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run",
    "--disable-background-networking", "--disable-component-update", "--disable-sync",
    "--enable-logging=stderr", "--v=0",
]


def _chromium() -> str:
    for name in ("chromium", "chromium-browser", "google-chrome"):
        found = shutil.which(name)
        if found:
            return found
    if os.environ.get("CI"):
        pytest.fail("chromium is not installed but CI is set: CI must install it "
                    "(apt-get install -y chromium).")
    pytest.skip("chromium is not installed: apt-get install -y chromium to run the "
                "browser render check (required when CI is set).")
    raise AssertionError  # pragma: no cover


def test_report_renders_in_headless_chromium(tmp_path, demo_matching, hostile_matching):
    browser = _chromium()
    for k, m in enumerate((demo_matching, hostile_matching)):
        page = tmp_path / f"report{k}.html"
        write_report(m, page)
        profile = tmp_path / f"profile{k}"
        proc = subprocess.run(
            [browser, *CHROMIUM_FLAGS, f"--user-data-dir={profile}", "--dump-dom",
             page.as_uri()],
            capture_output=True, text=True, timeout=120, check=False,
        )
        assert proc.returncode == 0, proc.stderr[-2000:]
        problems = [line for line in proc.stderr.splitlines()
                    if "CONSOLE" in line or "Uncaught" in line]
        assert problems == []
        tree = parse(proc.stdout)
        assert tree.by_id["n-matched"] == str(m.n_matched)
        assert tree.by_id["n-mentees"] == str(m.n_mentees)
        # hostile ids stayed text: the live DOM has no script or injected image
        assert not [t for t, _ in tree.tags if t == "script"]
        assert all(a.get("src", "data:").startswith("data:") for t, a in tree.tags if t == "img")
