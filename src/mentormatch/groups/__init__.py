"""Shapes beyond one mentor per mentee: several mentors, peer pools, circles, rounds."""

from mentormatch.groups._mentors import MentorsMatching, MentorsProblem, solve_mentors
from mentormatch.groups._peers import PeerMatching, PeerProblem, PeerScores, solve_peers

__all__ = ["MentorsMatching", "MentorsProblem", "PeerMatching", "PeerProblem", "PeerScores",
           "solve_mentors", "solve_peers"]
