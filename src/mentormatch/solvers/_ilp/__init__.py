r"""Integer programming for matchings with side constraints.

The model has one binary :math:`x_{ij}` per allowed pair, plus (for quotas on mentors)
one binary :math:`y_j` per mentor saying whether the mentor is matched:

.. math::

    \sum_j x_{ij} \le 1 \;\forall i, \qquad
    \ell_j \le \sum_i x_{ij} \le c_j \;\forall j, \qquad x_{ij} = 1 \;\forall (i, j) \in F,

    L_q \le \sum_{i \in G_q} \sum_j x_{ij} \le U_q \;\text{(mentee quotas)}, \qquad
    L_q \le \sum_{j \in G_q} y_j \le U_q \;\text{(mentor quotas)},

    y_j \le \sum_i x_{ij} \le c_j y_j, \quad x_{ij} \le y_j, \qquad
    \sum_{j \in D} \sum_i x_{ij} \le C_D \;\text{(group caps)}.

Modules: :mod:`._engines` (HiGHS through highspy arrays, and PuLP with CBC as the
fallback, behind one interface), :mod:`._model` (rows, special columns, pricing of pair
columns, one exact phase), :mod:`._phases` (the lexicographic phases: priority, count or
fairness, kept pairs, total) and :mod:`._diagnose` (infeasibility messages).

With HiGHS the model is built over *candidate* pairs (each mentee's best mentors and each
mentor's best mentees) and grown by pricing: after each LP solve the reduced cost
:math:`\bar c_{ij} = s_{ij} - u_i - v_j` of every allowed pair is computed in one
vectorised pass from the row duals, and pairs that could improve are added until none
can (the LP optimum over *all* pairs is then certified). For a MIP, pairs whose reduced
cost could not lift the LP bound above the incumbent are provably never in a better
solution (:math:`z \le z_{LP} + \bar c_{ij}`), the others are added, and the MIP over
that set is the exact optimum. Without quotas the constraint matrix is totally
unimodular (group caps partition the mentors, so the model is a network) and the LP
optimum is integral; an integral LP optimum ends the phase in every case.
"""

from mentormatch.solvers._ilp._engines import HIGHS_OPTIONS, pick_backend
from mentormatch.solvers._ilp._phases import ilp_assignment

__all__ = ["HIGHS_OPTIONS", "ilp_assignment", "pick_backend"]
