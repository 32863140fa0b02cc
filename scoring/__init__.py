"""Scoring of the monthly round: option scores, weights, estimators, rankings.

Pure: numpy and the standard library only, vectorised over plain arrays.
See DESIGN.md, "Statistics".

    s = unit_domain_scores(unit, dept, item_weight, option_scores(option))   # one score per (respondent, dept)
    w = nonresponse_adjusted(design_weights(pi), strata, responded)          # respondents' weights
    est = by_category(category, strata_r, w, s.unit, s.domain, s.score, fpc=N_h)   # {category: DomainMeans}
    pol = policy_weighted(est, {"large_enterprise": 0.3, "sme": 0.3, ...})
    table = assess(pol.domains, pol.mean, pol.se, pol.n, seed=round_seed, min_raters=30)
    low, high = wilson(successes, n)                                          # 95% interval of a proportion
"""
from .composite import Channel, Composite, PolicyComposite, by_category, combine_channels, policy_weighted
from .estimate import DomainMeans, domain_means
from .intervals import wilson
from .items import DEFAULT_SCALE, UnitDomainScores, option_scores, unit_domain_scores
from .ranking import (
    DEFAULT_BANDS,
    INSUFFICIENT,
    Assessment,
    Change,
    RankIntervals,
    assess,
    compare_rounds,
    competition_ranks,
    grades,
    rank_intervals,
)
from .weights import design_weights, nonresponse_adjusted

__all__ = [
    "DEFAULT_BANDS",
    "DEFAULT_SCALE",
    "INSUFFICIENT",
    "Assessment",
    "Change",
    "Channel",
    "Composite",
    "DomainMeans",
    "PolicyComposite",
    "RankIntervals",
    "UnitDomainScores",
    "assess",
    "by_category",
    "combine_channels",
    "compare_rounds",
    "competition_ranks",
    "design_weights",
    "domain_means",
    "grades",
    "nonresponse_adjusted",
    "option_scores",
    "policy_weighted",
    "rank_intervals",
    "unit_domain_scores",
    "wilson",
]
