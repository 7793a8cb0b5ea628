"""Shapes beyond one mentor per mentee: several mentors, peer pools, circles, rounds."""

from mentormatch.groups._circles import Circles, CirclesProblem, solve_circles
from mentormatch.groups._mentors import MentorsMatching, MentorsProblem, solve_mentors
from mentormatch.groups._peers import (
    PeerGraph,
    PeerMatching,
    PeerProblem,
    PeerScores,
    solve_peers,
)
from mentormatch.groups._repair import GroupDiff, rematch_group
from mentormatch.groups._rounds import (
    RoundResult,
    RoundsHistory,
    load_rounds,
    next_round,
    save_rounds,
)
from mentormatch.groups._state import load_group_state, save_group_state

__all__ = ["Circles", "CirclesProblem", "GroupDiff", "MentorsMatching", "MentorsProblem", "PeerGraph", "PeerMatching", "PeerProblem", "PeerScores",
           "RoundResult", "RoundsHistory", "load_group_state", "load_rounds", "next_round",
           "rematch_group", "save_group_state", "save_rounds",
           "solve_circles", "solve_mentors", "solve_peers"]
