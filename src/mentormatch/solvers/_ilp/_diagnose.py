"""Why an integer programme has no solution: cheap prechecks and the elastic phase's verdict."""

from __future__ import annotations

from typing import Any

import numpy as np
from numpy.typing import NDArray

from mentormatch.exceptions import InfeasibleError
from mentormatch.solvers._common import participant_label
from mentormatch.solvers._ilp._model import Model

__all__ = ["precheck", "raise_infeasible"]


def precheck(model: Model, mentor_ids: Any = None) -> None:
    """Cheap, precise messages for the most common infeasibilities."""
    allowed = model.allowed
    per_mentor = allowed.sum(axis=0)
    short = np.flatnonzero(per_mentor < model.min_load)
    if short.size:
        j = int(short[0])
        msg = (
            f"`min_load` asks mentor {participant_label(mentor_ids, j)} for "
            f"{model.min_load[j]} mentees but only "
            f"{per_mentor[j]} mentees may be paired with it."
        )
        raise InfeasibleError(msg, constraint="min_load")
    if model.min_load.sum() > model.n:
        msg = (
            f"`min_load` asks for {int(model.min_load.sum())} pairs in all but there are "
            f"only {model.n} mentees."
        )
        raise InfeasibleError(msg, constraint="min_load")
    can_match = allowed.any(axis=1)
    mentor_ok = allowed.any(axis=0)
    for g in model.groups:
        if g.family != "quota" or g.lo == 0:
            continue
        side_ok = np.asarray(can_match if g.side == "mentee" else mentor_ok, dtype=bool)
        reach = int(side_ok[g.members].sum())
        if reach < g.lo:
            msg = (
                f"quota {g.name!r} asks for at least {g.lo} matched {g.side}s but only "
                f"{reach} of its {g.members.size} members have an allowed partner."
            )
            raise InfeasibleError(msg, constraint="quota")


def raise_infeasible(model: Model, x: NDArray) -> None:
    """Name the constraint families that the least relaxation had to give up."""
    slack = x[model.n_y:model.n_special]
    parts: list[tuple[str, str]] = []
    if model.forced.size:
        on = model.pair_solution(x)
        made = {(int(i), int(j)) for i, j in zip(model.pi[on], model.pj[on], strict=True)}
        dropped = [(int(i), int(j)) for i, j in model.forced.tolist() if (i, j) not in made]
        if dropped:
            shown = ", ".join(str(p) for p in dropped[:5])
            more = f" and {len(dropped) - 5} more" if len(dropped) > 5 else ""
            parts.append(("forced", f"`forced` (pairs {shown}{more} cannot all be made)"))
    loads: list[str] = []
    for (family, key, _row, sign), s in zip(model.soft, slack.tolist(), strict=True):
        if s <= 1e-6:
            continue
        amount = round(s)
        if family == "min_load":
            loads.append(f"mentor {key} short by {amount}")
        else:
            verb = "short by" if sign > 0 else "over by"
            parts.append((family, f"{key.describe()}: {verb} {amount}"))
    if loads:
        more = f" and {len(loads) - 5} more" if len(loads) > 5 else ""
        parts.insert(0 if not parts or parts[0][0] != "forced" else 1,
                     ("min_load", f"`min_load` ({', '.join(loads[:5])}{more})"))
    if not parts:
        parts.append(("constraints", "the constraints as a whole"))
    text = "; ".join(p[1] for p in parts)
    msg = (
        "the constraints cannot all be met: the smallest relaxation gives up on "
        f"{text}."
    )
    raise InfeasibleError(msg, constraint=parts[0][0])


