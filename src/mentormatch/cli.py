"""Command line: ``mentormatch demo | validate | match | tune | rematch | report``.

Exit codes: 0 success, 2 bad input (the messages say what and where), 1 internal error.
"""

from __future__ import annotations

import json
import math
import sys
import tomllib
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Annotated, Any

import typer
from rich.console import Console
from rich.progress import (
    BarColumn,
    MofNCompleteColumn,
    Progress,
    SpinnerColumn,
    TextColumn,
    TimeElapsedColumn,
)
from rich.table import Table

from mentormatch._io import matching_table, write_csv
from mentormatch._match import match
from mentormatch.exceptions import MentorMatchError
from mentormatch.matching import Matching
from mentormatch.survey import Survey, load_cohort

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
        err.print(f"[bold red]error:[/] {exc}", markup=True, highlight=False, soft_wrap=True)
        raise typer.Exit(EXIT_INPUT) from None
    except (typer.Exit, typer.Abort):
        raise
    except Exception as exc:
        err.print(f"internal error ({type(exc).__name__}): {exc}", markup=False,
                  highlight=False)
        err.print("Please report it with the command you ran (never attach intake data).",
                  markup=False)
        raise typer.Exit(EXIT_INTERNAL) from None


def _print_summary(m: Matching, path: Path | None) -> None:
    s = m.summary()
    table = Table(title="mentormatch: " + str(m.manifest.get("survey", "matching")),
                  show_header=False)
    table.add_row("mentees / mentors", f"{s['mentees']} / {s['mentors']}")
    table.add_row("seats (total capacity)", str(s["capacity"]))
    table.add_row("matched", f"{s['matched']} ({100 * s['matched'] / max(1, s['mentees']):.1f}%)")
    reasons = ", ".join(f"{k}: {v}" for k, v in s["unmatched_reasons"].items()) or "-"
    table.add_row("unmatched", f"{s['unmatched']} ({reasons})")
    table.add_row("mean pair score", f"{s['mean_score']:.3f}")
    table.add_row("objective (total score)", f"{s['objective']:.4f}")
    table.add_row("proven gap", f"{s['gap']:.3g} ({s['status']})")
    table.add_row("method", f"{s['method']} ({m.manifest.get('method_reason', '')})")
    if path is not None:
        table.add_row("written", str(path))
    out.print(table)


def _load_weights(path: Path | None) -> dict[str, float] | None:
    if path is None:
        return None
    try:
        with path.open("rb") as fh:
            data = tomllib.load(fh) if path.suffix == ".toml" else json.load(fh)
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


@app.command()
def demo(
    out_path: Annotated[Path, typer.Option("--out", help="Where to write the matches CSV.")] = Path(
        "matches.csv"
    ),
) -> None:
    """Match the bundled demo cohort (400 mentees, 120 mentors) and write the matches."""

    def run() -> None:
        from mentormatch.datasets import demo_paths

        paths = demo_paths()
        with _progress("matching the demo cohort") as report:
            m = match(paths["mentees"], paths["mentors"], paths["survey"], progress=report)
        written = write_csv(matching_table(m), out_path)
        _print_summary(m, written)

    _guard(run)


@app.command()
def validate(
    survey: Annotated[Path, typer.Option(help="Survey file (.toml or .json).")],
    mentors: Annotated[Path, typer.Option(help="Mentors' intake table (.csv or .xlsx).")],
    mentees: Annotated[Path, typer.Option(help="Mentees' intake table (.csv or .xlsx).")],
) -> None:
    """Check the survey and both tables; list every problem found."""

    def run() -> None:
        s = Survey.load(survey)
        cohort = load_cohort(s, mentors=mentors, mentees=mentees)
        out.print(
            f"ok: {cohort.n_mentors} mentors ({int(cohort.capacity.sum())} seats) and "
            f"{cohort.n_mentees} mentees fit survey {s.name!r} "
            f"({len(s.questions)} questions, {len(s.criteria)} criteria, {len(s.rules)} rules).",
            highlight=False,
        )

    _guard(run)


@app.command("match")
def match_cmd(
    survey: Annotated[Path, typer.Option(help="Survey file (.toml or .json).")],
    mentors: Annotated[Path, typer.Option(help="Mentors' intake table (.csv or .xlsx).")],
    mentees: Annotated[Path, typer.Option(help="Mentees' intake table (.csv or .xlsx).")],
    out_path: Annotated[Path, typer.Option("--out", help="Matches CSV to write.")] = Path(
        "matches.csv"
    ),
    weights: Annotated[
        Path | None, typer.Option(help="Weights file (TOML/JSON: criterion = weight).")
    ] = None,
    objective: Annotated[str, typer.Option(help="coverage or total.")] = "coverage",
    method: Annotated[str, typer.Option(help="auto, hungarian, ilp, ...")] = "auto",
    min_score: Annotated[float | None, typer.Option(help="Do not make pairs below this.")] = None,
    seed: Annotated[int, typer.Option(help="Seed recorded in the manifest.")] = 0,
    state: Annotated[
        Path | None, typer.Option(help="Also save the state needed by `mentormatch rematch`.")
    ] = None,
    force: Annotated[
        bool, typer.Option("--force", help="Replace an existing state file.")
    ] = False,
) -> None:
    """Match mentees to mentors and write one row per mentee (matched or why not)."""

    def run() -> None:
        w = _load_weights(weights)
        with _progress("matching") as report:
            m = match(mentees, mentors, survey, weights=w, objective=objective,
                      method=method, min_score=min_score, seed=seed, progress=report)
        written = write_csv(matching_table(m), out_path)
        if state is not None:
            from mentormatch.rematching import save_state

            save_state(m, state, matches_path=state.with_suffix(".matches.csv"),
                       overwrite=force)
        _print_summary(m, written)

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
                                   groups=groups, cv=folds, seed=seed, force=force)
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
    events: Annotated[Path, typer.Option(help="Events CSV: type, participant_id, "
                                         "counterpart_id, note.")],
    out_path: Annotated[Path, typer.Option("--out", help="New matches CSV.")] = Path(
        "matches.csv"
    ),
    new_state: Annotated[
        Path | None, typer.Option(help="Where to save the new state (default <out>.state.json).")
    ] = None,
) -> None:
    """Repair a saved matching after unmatch requests; every other pair stays."""

    def run() -> None:
        from mentormatch.rematching import load_state, save_state
        from mentormatch.rematching._csv import read_events_table
        from mentormatch.rematching._repair import apply_events

        with err.status("repairing..."):
            matching = load_state(state)
            events_list, labels = read_events_table(events)
            m, diff = apply_events(matching, events_list, labels)
            written = write_csv(matching_table(m), out_path)
            target = out_path.with_suffix(".state.json") if new_state is None else new_state
            save_state(m, target, matches_path=out_path)
        _print_summary(m, written)
        out.print(str(diff), highlight=False, markup=False)

    _guard(run)


@app.command("report")
def report_cmd(
    state: Annotated[Path, typer.Option(help="State file saved by `match --state`.")],
    out_path: Annotated[Path, typer.Option("--out", help="HTML report to write.")] = Path(
        "report.html"
    ),
) -> None:
    """Write a self-contained HTML report (numbers, plots, every pair explained)."""

    def run() -> None:
        from mentormatch.rematching import load_state
        from mentormatch.report import write_report

        m = load_state(state)
        with err.status("writing the report..."):
            written = write_report(m, out_path)
        _print_summary(m, written)

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
