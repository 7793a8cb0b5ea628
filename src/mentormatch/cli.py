"""Command line: ``mentormatch demo | validate | match | rematch | compare | report | tune``.

Group shapes (issue 14): ``mentors`` (several per mentee), ``peers``, ``circles``,
``rounds``.

Exit codes: 0 success, 2 bad input (the messages say what and where), 1 internal error.
Summaries are plain sentences (``--verbose`` adds the solver's details; ``--format json``
prints one JSON object for scripts).
"""

from __future__ import annotations

import json
import math
import sys
import tomllib
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import TYPE_CHECKING, Annotated, Any

import typer
from rich.console import Console
from rich.markup import escape

from mentormatch.exceptions import MentorMatchError

if TYPE_CHECKING:
    from mentormatch.matching import Matching

# Commands import what they need when they run: `mentormatch --help` and `--version`
# load no numerical library.

__all__ = ["app", "main"]

app = typer.Typer(
    add_completion=False,
    no_args_is_help=True,
    help="Optimal, explainable mentor-mentee matching from intake surveys.",
)
out = Console()
err = Console(stderr=True)


@contextmanager
def _progress(label: str) -> Iterator[Callable[[str, int, int], None]]:
    """Show a progress bar on stderr; yield the ``progress`` callback for ``match``.

    The bar names the phase (reading intake, reading scores, pricing rounds) and counts
    mentees read or rounds done; it disappears when the run ends. Nothing is drawn when
    stderr is not a terminal (logs and pipes stay clean).
    """
    if not err.is_terminal:
        yield lambda phase, done, total: None
        return
    from rich.progress import (
        BarColumn,
        MofNCompleteColumn,
        Progress,
        SpinnerColumn,
        TextColumn,
        TimeElapsedColumn,
    )

    with Progress(SpinnerColumn(), TextColumn("{task.description}"), BarColumn(),
                  MofNCompleteColumn(), TimeElapsedColumn(), console=err,
                  transient=True) as bar:
        task = bar.add_task(label, total=None)

        def report(phase: str, done: int, total: int) -> None:
            bar.update(task, description=f"{label}: {phase}", completed=done,
                       total=total or None)

        yield report

EXIT_OK, EXIT_INTERNAL, EXIT_INPUT = 0, 1, 2


def _guard(fn: Callable[[], Any]) -> None:
    try:
        fn()
    except MentorMatchError as exc:
        err.print(f"[bold red]error:[/] {escape(str(exc))}", markup=True, highlight=False,
                  soft_wrap=True)
        raise typer.Exit(EXIT_INPUT) from None
    except (typer.Exit, typer.Abort):
        raise
    except Exception as exc:
        err.print(f"internal error ({type(exc).__name__}): {exc}", markup=False,
                  highlight=False)
        err.print("Please report it with the command you ran (never attach intake data).",
                  markup=False)
        raise typer.Exit(EXIT_INTERNAL) from None


def _distinct_files(inputs: list[Path | None], outputs: list[Path | None]) -> None:
    """Refuse an output that is an input or another output (even with --force)."""
    seen = {p.resolve() for p in inputs if p is not None}
    for path in outputs:
        if path is None:
            continue
        if path.resolve() in seen:
            msg = (f"{path}: this command already reads or writes that file; write to "
                   "another file.")
            raise MentorMatchError(msg)
        seen.add(path.resolve())


def _print_summary(m: Matching, written: list[Path], *, verbose: bool = False,
                   fmt: str = "text", extra: dict[str, Any] | None = None) -> None:
    """Print the summary: plain sentences, or one JSON object with ``--format json``."""
    from mentormatch._output import match_rate, summary_lines

    if fmt == "json":
        s = m.summary()
        matched, active = match_rate(m)
        record = {
            "matched": matched, "mentees": active, "mentors": s["mentors"],
            "unmatched_reasons": s["unmatched_reasons"], "objective": s["objective"],
            "bound": s["bound"], "gap": s["gap"], "status": str(s["status"]),
            "method": s["method"], "files": [str(p) for p in written], **(extra or {}),
        }
        sys.stdout.write(json.dumps(record, allow_nan=False, default=str) + "\n")
        return
    for line in summary_lines(m, verbose=verbose):
        out.print(line, highlight=False, markup=False, soft_wrap=True)
    for path in written:
        out.print(f"written: {path}", highlight=False, markup=False, soft_wrap=True)


def _check_format(fmt: str) -> str:
    if fmt not in ("text", "json"):
        msg = f"--format must be text or json; got {fmt!r}."
        raise MentorMatchError(msg)
    return fmt


def _version(value: bool) -> None:
    if value:
        import importlib.metadata

        try:
            version = importlib.metadata.version("mentormatch-opt")
        except importlib.metadata.PackageNotFoundError:  # pragma: no cover
            version = "unknown"
        out.print(f"mentormatch {version}", highlight=False, markup=False)
        raise typer.Exit(EXIT_OK)


@app.callback()
def _main_options(
    version: Annotated[bool, typer.Option("--version", callback=_version, is_eager=True,
                                          help="Print the version and exit.")] = False,
) -> None:
    """Optimal, explainable mentor-mentee matching from intake surveys."""


def _load_weights(path: Path | None) -> dict[str, float] | None:
    if path is None:
        return None
    try:
        text = path.read_bytes().decode("utf-8-sig")  # a Windows editor's BOM is no text
        data = tomllib.loads(text) if path.suffix == ".toml" else json.loads(text)
    except (OSError, ValueError) as exc:
        msg = f"{path.name}: cannot read weights ({exc})."
        raise MentorMatchError(msg) from exc
    weights = data.get("weights", data) if isinstance(data, dict) else data
    if not isinstance(weights, dict):
        msg = (f"{path.name}: expected a table of criterion = weight (e.g. "
               f'{{"weights": {{"skills": 2.0}}}}); got a {type(weights).__name__}.')
        raise MentorMatchError(msg)
    out: dict[str, float] = {}
    for key, value in weights.items():
        number = value if isinstance(value, int | float) and not isinstance(value, bool) \
            else None
        if number is None or not math.isfinite(number) or number < 0:
            msg = (f"{path.name}: weight of criterion {key!r} must be a finite number >= 0; "
                   f"got {value!r}.")
            raise MentorMatchError(msg)
        out[str(key)] = float(number)
    return out


#: Options shared by several commands (one declaration, one help text).
_Format = Annotated[str, typer.Option("--format", help="text or json.")]
_Report = Annotated[Path | None, typer.Option(
    "--report", help="Also write a self-contained HTML report (.html).")]


@app.command()
def demo(
    out_path: Annotated[Path, typer.Option(
        "--out", help="Where to write the matches (.csv, or .xlsx for a workbook).")] = Path(
        "matches.csv"),
    verbose: Annotated[bool, typer.Option("--verbose", help="Add the solver's details.")] = False,
    fmt: _Format = "text",
) -> None:
    """Match the bundled demo cohort (400 mentees, 120 mentors) and write the matches."""

    def run() -> None:
        from mentormatch._match import match
        from mentormatch._output import write_matching
        from mentormatch.datasets import demo_paths

        _check_format(fmt)
        paths = demo_paths()
        with _progress("matching the demo cohort") as report:
            m = match(paths["mentees"], paths["mentors"], paths["survey"], progress=report)
        written = write_matching(m, out_path)
        _print_summary(m, [written], verbose=verbose, fmt=fmt)

    _guard(run)


_ROLE_HELP = ("One table for both roles (give it as --mentees): the column saying who "
              "mentors, who is mentored, and who does both.")
_KEEP_HELP = ("A participant's rows submitted more than once: keep the latest or first by "
              "submission time (default: the survey's `keep`, else an error listing them).")
_SHEET_HELP = "Excel sheet to read (default: the first)."


def _sheet(value: str | None, *files: Path | None) -> str | int | None:
    """Read --sheet (a name or a number); refuse it when no file is a workbook."""
    books = [f for f in files if f is not None and f.suffix.lower() in (".xlsx", ".xlsm", ".xls")]
    if value is not None and not books:
        shown = ", ".join(f.name for f in files if f is not None)
        msg = f"--sheet {value!r} applies to Excel workbooks; {shown}: no workbook."
        raise MentorMatchError(msg)
    return int(value) if value is not None and value.strip().isdigit() else value


def _intake(survey: Path, mentees: Path, mentors: Path | None, role_column: str | None,
            keep: str | None, sheet: str | None) -> tuple[Any, Any]:
    """Load the survey and the intake tables (one table with a role column, or two)."""
    from mentormatch.survey import Survey, load_cohort

    if keep is not None and keep not in ("latest", "first", "error"):
        msg = f"--keep must be latest or first; got {keep!r}."
        raise MentorMatchError(msg)
    s = Survey.load(survey)
    cohort = load_cohort(mentees, mentors, s, sheet=_sheet(sheet, mentees, mentors),
                         role_column=role_column, keep=keep)
    return cohort.survey, cohort


@app.command()
def init(
    mentees: Annotated[Path, typer.Option(
        help="The mentees' export (.csv or .xlsx), or the one export of both roles.")],
    mentors: Annotated[Path | None, typer.Option(
        help="The mentors' export, when mentors answered their own form.")] = None,
    role_column: Annotated[str | None, typer.Option(help=_ROLE_HELP)] = None,
    out_path: Annotated[Path, typer.Option("--out", help="Survey file to write.")] = Path(
        "survey.toml"),
    keep: Annotated[str | None, typer.Option(help=_KEEP_HELP)] = None,
    sheet: Annotated[str | None, typer.Option(help=_SHEET_HELP)] = None,
    name: Annotated[str | None, typer.Option(help="Programme name.")] = None,
    force: Annotated[bool, typer.Option("--force", help="Replace an existing file.")] = False,
) -> None:
    """Draft a commented survey file from a forms export (then run validate).

    Every decision (ids, e-mails and names, multi-select separators, options, grids,
    availability, capacity in words, which mentor question answers which mentee
    question) is written as a comment above the key it sets; what the export cannot
    decide is listed, and validate fails until it is settled.
    """

    def run() -> None:
        from mentormatch.survey._draft import draft_survey

        if keep is not None and keep not in ("latest", "first"):
            msg = f"--keep must be latest or first; got {keep!r}."
            raise MentorMatchError(msg)
        if out_path.exists() and not force:
            msg = f"{out_path}: exists; init never overwrites a file (give another --out, or --force)."
            raise MentorMatchError(msg)
        with err.status("reading the export..."):
            draft = draft_survey(mentees, mentors, role_column=role_column,
                                 sheet=_sheet(sheet, mentees, mentors),
                                 keep=keep, name=name)
        out_path.write_text(draft.text, encoding="utf-8")
        s = draft.survey
        if s is not None:
            out.print(f"drafted {out_path}: {len(s.questions)} questions, {len(s.criteria)} "
                      f"criteria, {len(s.rules)} rules; {len(draft.decisions)} decisions, each "
                      "written as a comment: check them.", highlight=False, markup=False,
                      soft_wrap=True)
        else:
            out.print(f"drafted {out_path}.", highlight=False, markup=False)
        if draft.todo:
            out.print("Left to decide (validate fails until each is settled):",
                      highlight=False, markup=False)
            for line in draft.todo:
                out.print(f"  - {line}", highlight=False, markup=False, soft_wrap=True)
        import shlex

        tables = f"--mentees {shlex.quote(str(mentees))}" + (
            f" --mentors {shlex.quote(str(mentors))}" if mentors else "")
        out.print(f"next: mentormatch validate --survey {shlex.quote(str(out_path))} {tables}",
                  highlight=False, markup=False, soft_wrap=True)

    _guard(run)


@app.command()
def validate(
    survey: Annotated[Path, typer.Option(help="Survey file (.toml or .json).")],
    mentees: Annotated[Path, typer.Option(
        help="Mentees' intake table (.csv or .xlsx), or the one table of both roles.")],
    mentors: Annotated[Path | None, typer.Option(
        help="Mentors' intake table (.csv or .xlsx).")] = None,
    role_column: Annotated[str | None, typer.Option(help=_ROLE_HELP)] = None,
    keep: Annotated[str | None, typer.Option(help=_KEEP_HELP)] = None,
    sheet: Annotated[str | None, typer.Option(help=_SHEET_HELP)] = None,
) -> None:
    """Check the survey and the tables; list every problem found."""

    def run() -> None:
        s, cohort = _intake(survey, mentees, mentors, role_column, keep, sheet)
        for note in cohort.notes:
            out.print(f"note: {note}", highlight=False, markup=False, soft_wrap=True)
        out.print("What each column was read as (check before matching):", style="bold",
                  highlight=False)
        for r in cohort.describe().itertuples(index=False):
            out.print(f"{r.question} ({r.kind}), {r.role}s' column {r.column!r}: "
                      f"{r.answered} answered, {r.blank} blank", highlight=False,
                      markup=False, soft_wrap=True)
            out.print(f"    {r.read_as}", highlight=False, markup=False, soft_wrap=True)
        out.print(
            f"ok: {cohort.n_mentors} mentors ({int(cohort.capacity.sum())} seats) and "
            f"{cohort.n_mentees} mentees fit survey {s.name!r} "
            f"({len(s.questions)} questions, {len(s.criteria)} criteria, {len(s.rules)} rules).",
            highlight=False, markup=False, soft_wrap=True,
        )

    _guard(run)


@app.command("match")
def match_cmd(
    survey: Annotated[Path, typer.Option(help="Survey file (.toml or .json).")],
    mentees: Annotated[Path, typer.Option(
        help="Mentees' intake table (.csv or .xlsx), or the one table of both roles.")],
    mentors: Annotated[Path | None, typer.Option(
        help="Mentors' intake table (.csv or .xlsx).")] = None,
    role_column: Annotated[str | None, typer.Option(help=_ROLE_HELP)] = None,
    keep: Annotated[str | None, typer.Option(help=_KEEP_HELP)] = None,
    sheet: Annotated[str | None, typer.Option(help=_SHEET_HELP)] = None,
    out_path: Annotated[Path, typer.Option(
        "--out", help="Matches to write (.csv, or .xlsx for a workbook).")] = Path(
        "matches.csv"),
    weights: Annotated[
        Path | None, typer.Option(help="Weights file (TOML/JSON: criterion = weight).")
    ] = None,
    objective: Annotated[str, typer.Option(
        help="coverage (most mentees first), total (highest total score) or fair (most "
             "mentees, then the best lowest pair score).")] = "coverage",
    method: Annotated[str, typer.Option(help="auto, hungarian, ilp, ...")] = "auto",
    min_score: Annotated[float | None, typer.Option(help="Do not make pairs below this.")] = None,
    seed: Annotated[int | None, typer.Option(
        help="Break ties among equally good matchings by a random order drawn from this "
             "seed (default: the order of the intake table).")] = None,
    carry: Annotated[list[str] | None, typer.Option(
        help="Intake column to copy into the outputs (names, emails); repeat it. Default: "
             "the survey's `carry`.")] = None,
    state: Annotated[
        Path | None, typer.Option(help="Also save the state needed by `mentormatch rematch`.")
    ] = None,
    force: Annotated[
        bool, typer.Option("--force", help="Replace an existing state or matches file.")
    ] = False,
    verbose: Annotated[bool, typer.Option("--verbose", help="Add the solver's details.")] = False,
    fmt: _Format = "text",
) -> None:
    """Match mentees to mentors and write one row per mentee (matched or why not)."""

    def run() -> None:
        from mentormatch._match import match
        from mentormatch._output import carried_columns, write_matching

        _check_format(fmt)
        _distinct_files([survey, mentees, mentors, weights], [out_path, state])
        w = _load_weights(weights)
        with _progress("matching") as report:
            report("reading intake", 0, 0)
            s, cohort = _intake(survey, mentees, mentors, role_column, keep, sheet)
            m = match(cohort, None, s, weights=w, objective=objective,
                      method=method, min_score=min_score, seed=seed, progress=report)
        carried_columns(m, carry)  # refuse an unknown column before writing
        written = [write_matching(m, out_path, carry=carry)]
        if state is not None:
            from mentormatch.rematching import save_state

            written.append(save_state(m, state, matches_path=False, overwrite=force))
        _print_summary(m, written, verbose=verbose, fmt=fmt)

    _guard(run)


@app.command()
def tune(
    survey: Annotated[Path, typer.Option(help="Survey file (.toml or .json).")],
    participants: Annotated[Path, typer.Option(help="Intake table of past participants, "
                                               "with a 'role' column (mentor/mentee).")],
    history: Annotated[Path, typer.Option(help="Past pairs: mentee_id, mentor_id, outcome "
                                          "(optionally propensity, and round or cohort).")],
    out_path: Annotated[Path, typer.Option("--out", help="Weights file to write (JSON).")] = Path(
        "weights.json"
    ),
    groups: Annotated[str, typer.Option(
        help="Split folds by: auto (the round or cohort column, else groups of pairs "
             "sharing no participant), a column name, people, or pairs.")] = "auto",
    cv: Annotated[str, typer.Option(
        help="Folds of whole groups (an int), or leave_one_group_out.")] = "5",
    outcome: Annotated[str, typer.Option(help="binary, count or rating.")] = "binary",
    outcome_column: Annotated[str, typer.Option(help="Outcome column of the history.")] = (
        "outcome"),
    seed: Annotated[int, typer.Option(help="Seed of the folds and the bootstrap.")] = 0,
    group_penalty: Annotated[float, typer.Option(
        min=0.0, help="Group penalty of the tuner: sets the weights of item-level criteria "
                      "of a question that do not help to 0 (0: off).")] = 0.0,
    force: Annotated[bool, typer.Option(
        "--force", help="Write the weights even if their lift is not distinguishable "
                        "from 0.")] = False,
) -> None:
    """Fit criterion weights to past outcomes and check them on held-out rounds.

    The tuned and current weights are compared on held-out groups (rounds); the weights
    are written only if they do better (or with --force).
    """

    def run() -> None:
        from mentormatch.exceptions import HistoryError
        from mentormatch.tuning import NoLiftError, tune_files

        folds: int | str = int(cv) if cv.strip().lstrip("-").isdigit() else cv.strip()
        if isinstance(folds, str) and folds not in ("leave_one_group_out", "logo"):
            msg = f"--cv must be a number of folds or leave_one_group_out; got {cv!r}."
            raise HistoryError(msg)
        try:
            with err.status("tuning weights..."):
                table = tune_files(survey, participants, history, out_path,
                                   outcome_column=outcome_column, outcome=outcome,
                                   groups=groups, cv=folds, seed=seed, force=force,
                                   group_penalty=group_penalty)
        except NoLiftError as exc:
            out.print(exc.table.to_string(), highlight=False, markup=False)
            out.print(exc.table.attrs.get("grouping", ""), highlight=False, markup=False)
            raise
        out.print(table.to_string(), highlight=False, markup=False)
        mean, low, high = (float(table.at["difference", k])  # type: ignore[arg-type]
                           for k in ("mean", "ci_low", "ci_high"))
        out.print(f"{table.attrs['grouping']}; held-out lift {mean:+.4f} "
                  f"[{low:+.4f}, {high:+.4f}] (95% CI, bootstrap over groups)",
                  highlight=False, markup=False)
        if force and not low > 0:
            out.print("--force: writing weights whose lift is not distinguishable from 0",
                      highlight=False, markup=False)
        out.print(f"weights written to {out_path}", highlight=False, markup=False)

    _guard(run)


@app.command("rematch")
def rematch_cmd(
    state: Annotated[Path, typer.Option(help="State file saved by an earlier run.")],
    events: Annotated[Path | None, typer.Option(help="Events CSV: type, participant_id, "
                                                "counterpart_id, note (optional columns "
                                                "rematch, capacity_drop).")] = None,
    joiners: Annotated[Path | None, typer.Option(
        help="Late joiners as intake rows (.csv or .xlsx) with a 'role' column "
             "(mentee or mentor).")] = None,
    out_path: Annotated[Path | None, typer.Option(
        "--out", help="New matches (.csv or .xlsx); default: next to the state, never "
                      "over an existing file.")] = None,
    new_state: Annotated[
        Path | None, typer.Option(help="Where to save the new state (default <out>.state.json).")
    ] = None,
    carry: Annotated[list[str] | None, typer.Option(
        help="Intake column to copy into the outputs (names, emails); repeat it.")] = None,
    max_changes: Annotated[int, typer.Option(
        help="Standing pairs the repair may move when that matches more people.")] = 0,
    force: Annotated[bool, typer.Option(
        "--force", help="Overwrite an existing matches file.")] = False,
    verbose: Annotated[bool, typer.Option("--verbose", help="Add the solver's details.")] = False,
    report: _Report = None,
    fmt: _Format = "text",
) -> None:
    """Repair a saved matching (or group result) after events; every other pair stays.

    The state may be one of `match` or of `mentors`, `peers` or `circles` (the
    group repair keeps every standing pair and serves first whoever lost a partner).

    Writes a new matches file with a ``change`` column (kept, new, moved, ended, left)
    and a new state; the previous files are never overwritten unless --force.
    """

    def run() -> None:
        from mentormatch._output import carried_columns, change_table, write_matching
        from mentormatch.rematching import load_state, save_state
        from mentormatch.rematching._csv import read_events_table, read_joiners
        from mentormatch.rematching._repair import apply_events

        _check_format(fmt)
        if events is None and joiners is None:
            msg = "rematch needs --events and/or --joiners."
            raise MentorMatchError(msg)
        from mentormatch.groups._state import state_kind

        kind = state_kind(state)
        if kind == "rounds":
            msg = (f"{state}: is a rounds state (it holds the rounds, not the pool); repair "
                   "its last round with `mentormatch rounds --survey ... --pool ... --state "
                   f"{state} --events {events or 'EVENTS.csv'}`.")
            raise MentorMatchError(msg)
        if kind == "group":  # saved by `mentors`, `peers` or `circles`
            _regroup(state, events, joiners, out_path, new_state, carry=carry,
                     max_changes=max_changes, force=force, fmt=fmt, report=report)
            return
        with err.status("repairing..."):
            matching = load_state(state)
            evs: list[Any] = []
            labels: list[str] = []
            if events is not None:
                evs, labels = read_events_table(events)
            if joiners is not None:
                j_evs, j_labels = read_joiners(joiners, matching)
                evs, labels = evs + j_evs, labels + j_labels
            target = out_path
            if target is None:
                k = len(matching.manifest.get("rematches") or []) + 1
                target = state.with_name(f"{state.stem}.rematch-{k}.csv")
            new_path = target.with_suffix(".state.json") if new_state is None else new_state
            _distinct_files([state, events, joiners], [target, report])
            _distinct_files([events, joiners, target, report], [new_path])
            if target.exists() and not force:
                msg = (f"{target}: exists; rematch never overwrites a matches file (give "
                       "another --out, or --force).")
                raise MentorMatchError(msg)
            m, diff = apply_events(matching, evs, labels, max_changes=max_changes)
            carried_columns(m, carry or [])
            written = [write_matching(m, target, carry=carry or [],
                                      changes=change_table(matching, m))]
            written.append(save_state(m, new_path, matches_path=False))
            if report is not None:
                from mentormatch.report import write_report

                written.append(write_report(m, report))
        counts = {"added": diff.n_added, "ended": diff.n_ended, "moved": diff.n_moved,
                  "unchanged": diff.unchanged}
        _print_summary(m, written, verbose=verbose, fmt=fmt, extra={"changes": counts})
        if fmt == "text":
            out.print(str(diff), highlight=False, markup=False, soft_wrap=True)

    _guard(run)


@app.command("compare")
def compare_cmd(
    before: Annotated[Path, typer.Argument(help="Matches file (.csv or .xlsx) before.")],
    after: Annotated[Path, typer.Argument(help="Matches file (.csv or .xlsx) after.")],
    out_path: Annotated[Path | None, typer.Option(
        "--out", help="Also write the per-mentee comparison (.csv or .xlsx).")] = None,
    fmt: _Format = "text",
) -> None:
    """Compare two matches files: who moved, score changes, match rate change."""

    def run() -> None:
        from mentormatch._io import write_csv
        from mentormatch._output import WORKBOOK_SUFFIXES, read_matches, write_workbook
        from mentormatch.analysis import compare

        _check_format(fmt)
        result = compare(read_matches(before), read_matches(after))
        if out_path is not None:
            if out_path.suffix.lower() in WORKBOOK_SUFFIXES:
                write_workbook({"comparison": result.table}, out_path)
            else:
                write_csv(result.table, out_path)
        if fmt == "json":
            sys.stdout.write(json.dumps({k: (None if isinstance(v, float) and v != v else v)
                                         for k, v in result.summary.items()}) + "\n")
        else:
            out.print(str(result), highlight=False, markup=False, soft_wrap=True)

    _guard(run)


@app.command("report")
def report_cmd(
    state: Annotated[Path, typer.Option(
        help="State file saved by `match --state` (or `mentors`, `peers`, `circles` "
             "--state).")],
    out_path: Annotated[Path, typer.Option("--out", help="HTML report to write.")] = Path(
        "report.html"
    ),
) -> None:
    """Write a self-contained HTML report (numbers, plots, every pair explained)."""

    def run() -> None:
        from mentormatch.groups._state import load_group_state, state_kind
        from mentormatch.rematching import load_state
        from mentormatch.report import write_report

        if out_path.resolve() == state.resolve():
            msg = f"{out_path}: is the state file; write the report to another file (.html)."
            raise MentorMatchError(msg)
        if state_kind(state) == "rounds":
            msg = (f"{state.name}: is a rounds state (it holds the rounds, not the pool); "
                   "a round's report is written when the round is drawn or repaired: "
                   "`mentormatch rounds --survey ... --pool ... --state "
                   f"{state.name} --report {out_path.name}` (add --events to repair the "
                   "last round instead of drawing the next).")
            raise MentorMatchError(msg)
        if state_kind(state) == "group":
            res = load_group_state(state)
            with err.status("writing the report..."):
                pages = _group_report(res, out_path)
            out.print(f"wrote {pages[0]}", highlight=False, markup=False, soft_wrap=True)
            return
        m = load_state(state)
        with err.status("writing the report..."):
            written = write_report(m, out_path)
        _print_summary(m, [written])

    _guard(run)


@app.command("warmup")
def warmup_cmd(
    fmt: _Format = "text",
) -> None:
    """Compile the kernels large problems use, once, so the first large match starts fast.

    Run it after installing (for example in a Docker build step): it solves a small demo
    problem on every compiled path, and numba keeps the machine code in its cache for
    every later process (about 40 seconds the first time, a second afterwards).
    """

    def run() -> None:
        from mentormatch._warmup import warmup

        _check_format(fmt)
        with err.status("compiling the kernels (about 40 seconds the first time)..."):
            seconds = warmup()
        if fmt == "json":
            sys.stdout.write(json.dumps({"seconds": seconds}) + "\n")
        else:
            out.print(f"kernels compiled and cached in {seconds['total']:.1f} s.",
                      highlight=False, markup=False)

    _guard(run)


# ------------------------------------------------------------------ group shapes (issue 14)
def _write_table(table: Any, path: Path) -> Path:
    """Write a group table: no cell a spreadsheet would run as a formula, lists as text."""
    from mentormatch._io import write_csv
    from mentormatch._output import write_workbook

    table = table.copy()
    for col in table.columns:  # a circle's members: one cell, ids joined
        if table[col].map(lambda v: isinstance(v, list | tuple)).any():
            table[col] = table[col].map(
                lambda v: "; ".join(map(str, v)) if isinstance(v, list | tuple) else v)
    if path.suffix.lower() == ".xlsx":
        return write_workbook({"pairs": table}, path)
    return write_csv(table, path)


def _group_summary(fmt: str, record: dict[str, Any], line: str, written: list[Path]) -> None:
    if fmt == "json":
        record = {**record, "files": [str(p) for p in written]}
        sys.stdout.write(json.dumps(record, allow_nan=False, default=str) + "\n")
        return
    out.print(line, highlight=False, markup=False, soft_wrap=True)
    for path in written:
        out.print(f"written: {path}", highlight=False, markup=False, soft_wrap=True)


def _group_report(res: Any, path: Path | None) -> list[Path]:
    """Write the HTML report of a group result when ``--report`` is given."""
    if path is None:
        return []
    from mentormatch.groups._report import write_report

    return [write_report(res, path)]


#: ``--state`` and ``--force`` of the group commands (one declaration, one help text).
_GroupState = Annotated[Path | None, typer.Option(
    "--state", help="Also save a state (JSON) that `mentormatch rematch --state` repairs "
                    "after events.")]
_GroupForce = Annotated[bool, typer.Option(
    "--force", help="Replace an existing state file.")]


def _save_group(res: Any, state: Path | None, force: bool, peer_scores: Any = None
                ) -> list[Path]:
    """Save the group state when ``--state`` is given (refusing an existing file)."""
    if state is None:
        return []
    from mentormatch.groups._state import save_group_state

    return [save_group_state(res, state, peer_scores=peer_scores, overwrite=force)]


def _check_new(state: Path | None, force: bool) -> None:
    """Refuse an existing ``--state`` before solving (so no work is lost)."""
    if state is not None and state.exists() and not force:
        msg = (f"{state}: exists; a group state is never overwritten (give another "
               "--state, or --force).")
        raise MentorMatchError(msg)


def _gap_record(res: Any) -> dict[str, Any]:
    gap = float(res.gap)
    return {"objective": float(res.objective), "bound": float(res.bound) if math.isfinite(
        res.bound) else None, "gap": gap if math.isfinite(gap) else None,
        "status": str(res.status)}


@app.command("mentors")
def mentors_cmd(
    survey: Annotated[Path, typer.Option(help="Survey file (.toml or .json).")],
    mentees: Annotated[Path, typer.Option(help="Mentees' intake table (.csv or .xlsx).")],
    mentors: Annotated[Path, typer.Option(help="Mentors' intake table (.csv or .xlsx).")],
    mentee_capacity: Annotated[int, typer.Option(min=0, help="Mentors per mentee.")] = 2,
    tracks: Annotated[str | None, typer.Option(
        help="Column of the mentors' table naming each mentor's track (at most one "
             "mentor per track and mentee); default: the survey's `track_column`.")] = None,
    objective: Annotated[str, typer.Option(help="coverage or total.")] = "coverage",
    out_path: Annotated[Path, typer.Option("--out", help="Pairs to write (.csv/.xlsx).")] = Path(
        "pairs.csv"),
    report: _Report = None,
    state: _GroupState = None,
    force: _GroupForce = False,
    fmt: _Format = "text",
) -> None:
    """Give each mentee several mentors (at most one per track), optimally."""

    def run() -> None:
        from mentormatch.groups import solve_mentors
        from mentormatch.scoring import CohortScores

        _check_format(fmt)
        _distinct_files([survey, mentees, mentors], [out_path, report, state])
        _check_new(state, force)
        s, cohort = _intake(survey, mentees, mentors, None, None, None)
        res = solve_mentors(CohortScores(s, cohort), cohort.capacity,
                            mentee_capacity=mentee_capacity, tracks=tracks,
                            objective=objective, mentee_ids=cohort.mentee_ids,
                            mentor_ids=cohort.mentor_ids)
        written = [_write_table(res.pairs, out_path), *_group_report(res, report),
                   *_save_group(res, state, force)]
        served = int((res.mentor_count > 0).sum())
        _group_summary(fmt, {"pairs": res.n_pairs, "mentees_served": served,
                             **_gap_record(res)},
                       f"{res.n_pairs} pairs; {served} of {cohort.n_mentees} mentees have a "
                       f"mentor; total score {res.objective:.4f}, proven gap {res.gap:.2e} "
                       f"({res.status}).", written)

    _guard(run)


@app.command("peers")
def peers_cmd(
    survey: Annotated[Path, typer.Option(help="Survey file (.toml or .json).")],
    pool: Annotated[Path, typer.Option(
        help="The pool's intake table: one row per person, answering both sides.")],
    capacity: Annotated[int, typer.Option(min=0, help="Peers per person.")] = 1,
    objective: Annotated[str, typer.Option(help="total or coverage.")] = "total",
    gap: Annotated[float, typer.Option(help="Stop at this proven relative gap (0: prove "
                                            "the optimum).")] = 0.0,
    k: Annotated[int | None, typer.Option(
        help="Score only each person's best k partners (large pools); the bound still "
             "covers the whole pool.")] = None,
    out_path: Annotated[Path, typer.Option("--out", help="Pairs to write (.csv/.xlsx).")] = Path(
        "peers.csv"),
    report: _Report = None,
    state: _GroupState = None,
    force: _GroupForce = False,
    fmt: _Format = "text",
) -> None:
    """Pair the people of one pool with peers (symmetric scores), optimally."""

    def run() -> None:
        from mentormatch.groups import PeerScores, solve_peers
        from mentormatch.survey import Survey

        _check_format(fmt)
        _distinct_files([survey, pool], [out_path, report, state])
        _check_new(state, force)
        scores = PeerScores(pool, Survey.load(survey))
        source = scores if k is None else scores.candidate_graph(k)
        res = solve_peers(source, capacity, objective=objective, options={"gap": gap})
        written = [_write_table(res.pairs, out_path), *_group_report(res, report),
                   *_save_group(res, state, force)]
        _group_summary(fmt, {"pairs": res.n_pairs, "people": res.problem.n,
                             **_gap_record(res)},
                       f"{res.n_pairs} pairs among {res.problem.n} people; total score "
                       f"{res.objective:.4f}, proven gap {res.gap:.2e} ({res.status}).",
                       written)

    _guard(run)


@app.command("circles")
def circles_cmd(
    survey: Annotated[Path, typer.Option(help="Survey file (.toml or .json).")],
    mentees: Annotated[Path, typer.Option(help="Mentees' intake table (.csv or .xlsx).")],
    mentors: Annotated[Path, typer.Option(help="Mentors' (facilitators') intake table.")],
    peer_survey: Annotated[Path, typer.Option(
        help="Survey comparing two mentees (peer compatibility); the mentees' table must "
             "answer it.")],
    size: Annotated[int, typer.Option(min=0, help="Most mentees per circle.")] = 5,
    peer_weight: Annotated[float, typer.Option(min=0.0, help="Weight of mentee-mentee scores.")] = 0.5,
    method: Annotated[str, typer.Option(help="auto, exact or local.")] = "auto",
    out_path: Annotated[Path, typer.Option("--out", help="Circles to write (.csv/.xlsx).")] = (
        Path("circles.csv")),
    report: _Report = None,
    state: _GroupState = None,
    force: _GroupForce = False,
    fmt: _Format = "text",
) -> None:
    """Form circles: a mentor with up to SIZE mentees who also get on together.

    A mentor's circle never holds more mentees than the mentor's capacity answer (the
    survey's capacity column), when the mentors' table has one.
    """

    def run() -> None:
        import numpy as np
        import pandas as pd

        from mentormatch.groups import PeerScores, solve_circles
        from mentormatch.scoring import CohortScores
        from mentormatch.survey import Survey

        _check_format(fmt)
        _distinct_files([survey, mentees, mentors, peer_survey], [out_path, report, state])
        _check_new(state, force)
        s, cohort = _intake(survey, mentees, mentors, None, None, None)
        S = CohortScores(s, cohort)  # a source: a saved state re-scores from the tables
        P = PeerScores(mentees, Survey.load(peer_survey))
        sizes: Any = size
        if s.capacity_column is not None and s.capacity_column in cohort.mentors.columns:
            # a mentor who answered how many mentees they take never gets more
            sizes = np.minimum(size, cohort.capacity)
        res = solve_circles(S, sizes, peer_scores=P, peer_weight=peer_weight, method=method,
                            mentee_ids=cohort.mentee_ids, mentor_ids=cohort.mentor_ids)
        groups = res.groups
        rows = [{"mentor_id": j, "mentee_id": e} for j, members in zip(
            groups["mentor_id"].tolist(), groups["mentee_ids"].tolist(), strict=True)
            for e in members]
        written = [_write_table(pd.DataFrame(rows, columns=["mentor_id", "mentee_id"]),
                                out_path), *_group_report(res, report),
                   *_save_group(res, state, force, peer_scores=P)]
        placed = int((res.circle >= 0).sum())
        _group_summary(fmt, {"placed": placed, "circles": len(res.groups), **_gap_record(res)},
                       f"{len(res.groups)} circles, {placed} of {cohort.n_mentees} mentees "
                       f"placed; objective {res.objective:.4f}, proven gap "
                       f"{res.relative_gap:.1%} ({res.status}, {res.method}).", written)

    _guard(run)


def _regroup(state: Path, events: Path | None, joiners: Path | None, out_path: Path | None,
             new_state: Path | None, *, carry: list[str] | None, max_changes: int,
             force: bool, fmt: str, report: Path | None = None) -> None:
    """``rematch --state`` for a group state: apply the events, repair, write, print."""
    from mentormatch.groups._repair import apply_group_events, extend_pool, read_group_joiners
    from mentormatch.groups._state import (
        change_table,
        joiner_outcomes,
        load_group_state,
        save_group_state,
    )
    from mentormatch.rematching._csv import read_events_table

    if max_changes or carry:
        what = "--max-changes" if max_changes else "--carry"
        msg = (f"{what} is for one-to-one states; a group repair keeps every standing pair "
               "and writes ids only.")
        raise MentorMatchError(msg)
    with err.status("repairing..."):
        res, peer = load_group_state(state, with_peer_scores=True)
        evs: list[Any] = []
        labels: list[str] = []
        if events is not None:
            evs, labels = read_events_table(events)
        if joiners is not None:
            j_evs, j_labels = read_group_joiners(joiners, res)
            evs, labels = evs + j_evs, labels + j_labels
        k = len(res.stats.get("rematches") or []) + 1
        target = out_path or state.with_name(f"{state.stem}.rematch-{k}.csv")
        state_to = target.with_suffix(".state.json") if new_state is None else new_state
        _distinct_files([state, events, joiners], [target, state_to, report])
        for path in (target, state_to):
            if path.exists() and not force:
                msg = (f"{path}: exists; rematch never overwrites a file (give another "
                       "--out / --new-state, or --force).")
                raise MentorMatchError(msg)
        new, diff = apply_group_events(res, evs, labels, peer_scores=peer)
        joined_e = [(e, w) for e, w in zip(evs, labels, strict=True)
                    if type(e).__name__ == "Join" and e.role == "mentee"]
        if peer is not None and joined_e:  # the circles' peer table has the joiners too
            peer = extend_pool(peer, joined_e)
        written = [_write_table(change_table(new, diff), target),
                   save_group_state(new, state_to, peer_scores=peer, overwrite=force),
                   *_group_report(new, report)]
    joined = joiner_outcomes(new, [e.participant_id for e in evs
                                   if type(e).__name__ == "Join"])
    record = {"shape": diff.shape, "changes": {"added": diff.n_added, "ended": diff.n_ended,
                                               "unchanged": diff.unchanged},
              "added": diff.added.to_dict("records"), "ended": diff.ended.to_dict("records"),
              "priority": list(diff.priority), "left": list(diff.left),
              "notes": diff.notes.to_dict("records"), "joiners": joined, **_gap_record(new)}
    _group_summary(fmt, record, str(diff), written)
    if fmt == "text":
        for j in joined:
            line = (f"joiner {j['id']}: matched with {', '.join(map(str, j['partners']))}"
                    if j["partners"] else f"joiner {j['id']}: unmatched ({j['reason']})")
            out.print(line, highlight=False, markup=False, soft_wrap=True)


def _repair_round(survey: Path, pool: Path, state: Path, events: Path, out_path: Path, *,
                  force: bool, fmt: str) -> None:
    """Repair the last round of a rounds state (``rounds --events``); keep the others."""
    from mentormatch.groups import PeerProblem, PeerScores, load_rounds, save_rounds
    from mentormatch.groups._repair import apply_group_events, round_from_history
    from mentormatch.groups._state import change_table
    from mentormatch.rematching._csv import read_events_table
    from mentormatch.survey import Survey

    if not state.exists():
        msg = f"{state}: no such rounds state; --events repairs a round already drawn."
        raise MentorMatchError(msg)
    if out_path.exists() and not force:
        msg = (f"{out_path}: exists; a repaired round is never written over a file (give "
               "another --out, or --force).")
        raise MentorMatchError(msg)
    with err.status("repairing the round..."):
        evs, labels = read_events_table(events)
        history = load_rounds(state)
        current = round_from_history(PeerProblem(PeerScores(pool, Survey.load(survey))),
                                     history)
        new, diff = apply_group_events(current, evs, labels)
        written = [_write_table(change_table(new.matching, diff), out_path),
                   save_rounds(new.history, state)]
    record = {"round": new.history.n_rounds, "shape": diff.shape,
              "changes": {"added": diff.n_added, "ended": diff.n_ended,
                          "unchanged": diff.unchanged},
              "added": diff.added.to_dict("records"), "ended": diff.ended.to_dict("records"),
              "left": list(diff.left), "sat_out": new.sat_out,
              "repeats": [list(p) for p in new.repeats], "sat_out_twice": new.sat_out_twice,
              "unpaired": new.unpaired.to_dict("records")}
    line = (f"{diff}\nround {new.history.n_rounds} repaired; sits out: "
            f"{', '.join(map(str, new.sat_out)) or 'nobody'}.{_left_earlier(new)}")
    _group_summary(fmt, record, line, written)


def _left_earlier(r: Any) -> str:
    """Return the line naming the people a round leaves out because they left (text)."""
    if not r.left:
        return ""
    return ("\nnot paired (left the rounds; a new rounds state brings them back): " + ", ".join(
        f"{pid} (left in round {k})" for pid, k in r.left.items()) + ".")


@app.command("rounds")
def rounds_cmd(
    survey: Annotated[Path, typer.Option(help="Survey file (.toml or .json).")],
    pool: Annotated[Path, typer.Option(help="The pool's intake table (one row per person).")],
    state: Annotated[Path, typer.Option(
        help="Rounds state file (JSON): read if it exists, then saved with this round.")],
    out_path: Annotated[Path, typer.Option("--out", help="This round's pairs (.csv/.xlsx).")] = (
        Path("round.csv")),
    events: Annotated[Path | None, typer.Option(
        help="Repair the last round after these events (the events CSV of `rematch`) "
             "instead of drawing a new round; the state's last round is replaced.")] = None,
    force: Annotated[bool, typer.Option(
        "--force", help="With --events: replace an existing --out file.")] = False,
    report: _Report = None,
    fmt: _Format = "text",
) -> None:
    """Pair the pool for the next round: nobody sits out twice, no repeated pair if avoidable.

    Who left in an earlier round (a Leave repaired with --events) is not paired again
    even if the pool still lists them: they are listed as unpaired, "left in round N".
    """

    def run() -> None:
        from mentormatch.groups import PeerScores, load_rounds, next_round, save_rounds
        from mentormatch.survey import Survey

        _check_format(fmt)
        _distinct_files([survey, pool, events], [out_path, state, report])
        if events is not None:
            _repair_round(survey, pool, state, events, out_path, force=force, fmt=fmt)
            return
        history = load_rounds(state) if state.exists() else None
        r = next_round(PeerScores(pool, Survey.load(survey)), history)
        written = [_write_table(r.pairs, out_path), save_rounds(r.history, state),
                   *_group_report(r, report)]
        _group_summary(fmt, {"round": r.history.n_rounds, "pairs": len(r.pairs),
                             "sat_out": r.sat_out, "repeats": [list(p) for p in r.repeats],
                             "sat_out_twice": r.sat_out_twice,
                             "unpaired": r.unpaired.to_dict("records")},
                       f"round {r.history.n_rounds}: {len(r.pairs)} pairs; sits out: "
                       f"{', '.join(map(str, r.sat_out)) or 'nobody'}; repeated pairs: "
                       f"{len(r.repeats)}.{_left_earlier(r)}", written)

    _guard(run)


def main(argv: list[str] | None = None) -> int:
    """Run the command line; return its exit code."""
    try:
        code = app(args=argv if argv is not None else sys.argv[1:], standalone_mode=False)
    except typer.Exit as exc:
        return int(exc.exit_code)
    except Exception as exc:  # click usage errors
        code = getattr(exc, "exit_code", EXIT_INTERNAL)
        show = getattr(exc, "show", None)
        if callable(show):
            show()
        else:
            err.print(str(exc), markup=False)
        return int(code) if isinstance(code, int) else EXIT_INTERNAL
    return int(code) if isinstance(code, int) else EXIT_OK


if __name__ == "__main__":  # pragma: no cover
    raise SystemExit(main())
