"""Learning from outcomes: tuned weights, pair models, grouped validation, off-policy."""

from mentormatch.tuning._compare import compare_weights, group_labels, people_groups
from mentormatch.tuning._features import PairFeaturizer, answer_group, pair_features
from mentormatch.tuning._files import NoLiftError, check_outcome, tune_files
from mentormatch.tuning._items import criterion_groups, item_criteria
from mentormatch.tuning._offpolicy import (
    matching_propensities,
    off_policy_estimate,
    policy_pairs,
)
from mentormatch.tuning._pair_model import PairModel, PairScores
from mentormatch.tuning._tuner import WeightTuner, ipw_weights

__all__ = [
    "NoLiftError",
    "PairFeaturizer",
    "PairModel",
    "PairScores",
    "WeightTuner",
    "answer_group",
    "check_outcome",
    "compare_weights",
    "criterion_groups",
    "group_labels",
    "ipw_weights",
    "item_criteria",
    "matching_propensities",
    "off_policy_estimate",
    "pair_features",
    "people_groups",
    "policy_pairs",
    "tune_files",
]
