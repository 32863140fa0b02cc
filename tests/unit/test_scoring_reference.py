"""scoring against published figures and against R's survey package (4.1.1) on data of our own.

The R numbers are hard-coded; the R code that produced them is in the comments, so
the tests never need R. Each data set is written out in full, identically in R and here.
"""
from __future__ import annotations

import numpy as np
import pytest

from scoring import by_category, design_weights, domain_means, nonresponse_adjusted, policy_weighted

# --- Published reference: the stratified sample of California schools (apistrat) ------------------------------
# Lumley, T. (2010) *Complex Surveys: A Guide to Analysis Using R*, Wiley, chapter 2 (stratified sampling), and
# the examples of R survey's ?svydesign / ?api: dstrat <- svydesign(id=~1, strata=~stype, weights=~pw,
# data=apistrat, fpc=~fpc); svymean(~api00, dstrat) prints "mean 662.29, SE 9.4089".
# The data: data(api) in R's survey package (stype E/M/H, api00, comp.imp), 200 schools in 3 strata.
API_STYPE = (
    "EEEEEEEEEEMMHMHEEMMEEMEHHEHHEMMEEEHEMMHEMHEHEEHMMEMEEEEHMMEEEEEMHEEEEMMEEMEEMEEEHEEEEHEMHEEEEMEHEHMEEMHMEEHEMEHM"
    "HEMHEEMMEHEEMEEEEHMMHEEMEHEMEMEHHEHHEHMEEMEMMMHEMEHHEHHHHMMEMHMHHHEHMHEMEEEEEHEHHEEEHMEH"
)
API00 = [
    840, 516, 531, 501, 720, 805, 778, 731, 592, 669, 496, 505, 467, 409, 522, 497, 638, 609, 867, 534, 705, 685, 761,
    455, 509, 771, 681, 666, 751, 647, 745, 474, 832, 559, 582, 765, 694, 676, 641, 744, 870, 510, 865, 527, 782, 745,
    681, 500, 679, 892, 552, 619, 616, 703, 509, 724, 559, 650, 806, 759, 740, 642, 565, 565, 525, 726, 863, 765, 893,
    443, 774, 398, 539, 668, 776, 580, 581, 503, 724, 476, 712, 529, 870, 746, 836, 680, 756, 878, 784, 423, 588, 606,
    632, 753, 651, 743, 553, 593, 528, 676, 861, 678, 518, 535, 588, 597, 770, 884, 667, 819, 721, 534, 713, 542, 648,
    816, 509, 493, 551, 485, 893, 641, 709, 596, 765, 609, 671, 720, 669, 667, 743, 403, 610, 650, 836, 695, 542, 618,
    578, 551, 814, 467, 777, 717, 610, 719, 868, 678, 617, 418, 669, 856, 723, 773, 609, 780, 693, 635, 712, 676, 660,
    668, 784, 472, 421, 764, 646, 585, 556, 733, 657, 667, 606, 600, 522, 599, 706, 409, 631, 635, 601, 477, 845, 819,
    631, 696, 714, 788, 667, 710, 568, 453, 546, 847, 679, 477, 646, 627, 521, 624,
]
API_COMP_IMP = (
    "NYNYYYNNYNNNNNNYYYYYYYNYNNNNYNYNNYNYYYNNYNYNYYNNNYYYYYYYNYNYYYNNYYYYYNNNYYYNNYYYNYYNYYNYYNYYYYYNYNNNYNNYYYYNYYNNY"
    "NNYYYYYYNYNYYYYYNNNNNYNYNYYNNYNYYYNYYNYYYYYNYNYNYYNYYNNNNYYYNNNNNYYYNYNNYYYYNYNYYYNYNYY"
)
# pw and fpc of apistrat as R stores them (pw is a single-precision number there: 44.21 -> 44.2099990844727).
API_PW = {"E": 44.2099990844727, "M": 20.3600006103516, "H": 15.1000003814697}
API_FPC = {"E": 4421, "M": 1018, "H": 755}


def apistrat():
    stype = np.array(list(API_STYPE))
    weights = np.array([API_PW[s] for s in stype])
    fpc = np.array([API_FPC[s] for s in stype], dtype=float)
    return stype, weights, fpc, np.array(API00, dtype=float)


def test_apistrat_has_the_published_shape():
    stype, _, _, api00 = apistrat()
    assert api00.size == 200
    assert {s: int(np.sum(stype == s)) for s in "EMH"} == {"E": 100, "M": 50, "H": 50}


def test_apistrat_stratified_mean_matches_the_published_figure_and_r():
    stype, weights, fpc, api00 = apistrat()
    everyone = np.arange(200)
    result = domain_means(stype, weights, everyone, np.zeros(200, dtype=int), api00, fpc=fpc)
    # Published (Lumley 2010, ch. 2): 662.29, SE 9.4089.
    assert round(result.mean[0], 2) == 662.29
    assert round(result.se[0], 4) == 9.4089
    # R, more digits: cat(sprintf("%.10f %.10f", coef(e), SE(e))) -> 662.2873631593 9.4089408028
    assert result.mean[0] == pytest.approx(662.2873631593, rel=1e-11)
    assert result.se[0] == pytest.approx(9.4089408028, rel=1e-9)
    assert result.n[0] == 200


def test_apistrat_domains_by_comparable_improvement_match_r():
    # R: e <- svymean(~api00, subset(dstrat, comp.imp == "Yes"))  -> 676.4022860673, SE 11.7146787699
    #    e <- svymean(~api00, subset(dstrat, comp.imp == "No"))   -> 635.4123560321, SE 15.7891931557
    stype, weights, fpc, api00 = apistrat()
    domain = np.array(list(API_COMP_IMP))
    result = domain_means(stype, weights, np.arange(200), domain, api00, fpc=fpc)
    assert list(result.domains) == ["N", "Y"]
    np.testing.assert_allclose(result.mean, [635.4123560321, 676.4022860673], rtol=1e-11)
    np.testing.assert_allclose(result.se, [15.7891931557, 11.7146787699], rtol=1e-9)
    assert list(result.n) == [API_COMP_IMP.count("N"), API_COMP_IMP.count("Y")]


# --- Our data against R: domains with non-raters, fpc on/off, a one-unit stratum -------------------------------
# library(survey); options(digits = 15)
# s  <- c("A","A","A","A","A","B","B","B","B","C","C","C","D")
# w  <- c(10, 12, 8, 10, 10, 5, 5, 6, 4, 3, 3, 3, 7)
# N  <- c(50, 50, 50, 50, 50, 20, 20, 20, 20, 9, 9, 9, 15)
# yx <- c(80, 60, 0, 100, 0, 40, 80, 0, 0, 60, 100, 0, 40)     # 0 = did not rate department x
# yy <- c(60, 0, 80, 0, 20, 0, 0, 100, 60, 0, 0, 80, 100)
# d <- data.frame(s, w, N, yx, yy, rx = yx > 0, ry = yy > 0)
# for (lonely in c("adjust", "certainty")) { options(survey.lonely.psu = lonely)
#   for (withfpc in c(TRUE, FALSE)) {
#     des <- if (withfpc) svydesign(ids=~1, strata=~s, weights=~w, fpc=~N, data=d)
#            else svydesign(ids=~1, strata=~s, weights=~w, data=d)
#     svymean(~yx, subset(des, rx)); svymean(~yy, subset(des, ry)) } }
# d3 <- d[d$s != "D", ]; des3 <- svydesign(ids=~1, strata=~s, weights=~w, fpc=~N, data=d3)
# svymean(~yx, subset(des3, rx)); svymean(~yy, subset(des3, ry))
# # raters only (wrong); survey.lonely.psu is still "certainty" from the loop, which matters for y: stratum C
# # has a single y rater, so the raters-only design has a lonely stratum that the proper design does not have.
# svymean(~yx, svydesign(ids=~1, strata=~s, weights=~w, fpc=~N, data=d3[d3$rx, ]))
# svymean(~yy, svydesign(ids=~1, strata=~s, weights=~w, fpc=~N, data=d3[d3$ry, ]))
STRATA = np.array(list("AAAAABBBBCCCD"))
WEIGHTS = np.array([10, 12, 8, 10, 10, 5, 5, 6, 4, 3, 3, 3, 7], dtype=float)
POPULATION = np.array([50] * 5 + [20] * 4 + [9] * 3 + [15], dtype=float)
YX = [80, 60, 0, 100, 0, 40, 80, 0, 0, 60, 100, 0, 40]
YY = [60, 0, 80, 0, 20, 0, 0, 100, 60, 0, 0, 80, 100]
MEAN_X, MEAN_Y = 70.545454545455, 67.083333333333
R_SE = {  # (lonely_psu, fpc?) -> (se x, se y)
    ("adjust", True): (7.817538107094, 11.584645273662),
    ("adjust", False): (8.333954451729, 12.269098573377),
    ("certainty", True): (6.856238513714, 10.615879374453),
    ("certainty", False): (7.371657706401, 11.291033891958),
}


def long_table(units):
    """The wide yx/yy columns of the R script as the long table (unit, department, value), zeros left out."""
    rows = [(i, dept, y[i]) for i in units for dept, y in (("x", YX), ("y", YY)) if y[i]]
    unit, dept, value = zip(*rows)
    return np.array(unit), np.array(dept), np.array(value, dtype=float)


@pytest.mark.parametrize(("lonely", "with_fpc"), sorted(R_SE))
def test_domain_means_with_a_one_unit_stratum_match_r(lonely, with_fpc):
    unit, dept, value = long_table(range(13))
    result = domain_means(STRATA, WEIGHTS, unit, dept, value, fpc=POPULATION if with_fpc else None, lonely_psu=lonely)
    assert list(result.domains) == ["x", "y"]
    np.testing.assert_allclose(result.mean, [MEAN_X, MEAN_Y], rtol=1e-12)
    np.testing.assert_allclose(result.se, R_SE[lonely, with_fpc], rtol=1e-10)
    assert list(result.n) == [8, 7]


def test_the_lonely_psu_modes_and_fpc_really_differ():
    """The four R cases are four different numbers, so each parametrised test above pins its own option."""
    assert len({se for pair in R_SE.values() for se in pair}) == 8


def test_a_one_unit_stratum_fails_when_asked_to_like_r_default():
    unit, dept, value = long_table(range(13))
    with pytest.raises(ValueError, match="'D'"):
        domain_means(STRATA, WEIGHTS, unit, dept, value, lonely_psu="fail")


def test_non_raters_stay_in_the_design_and_dropping_them_gives_the_wrong_se():
    keep = STRATA != "D"
    strata, weights, population = STRATA[keep], WEIGHTS[keep], POPULATION[keep]
    unit, dept, value = long_table(range(12))
    result = domain_means(strata, weights, unit, dept, value, fpc=population)
    np.testing.assert_allclose(result.mean, [75.0, 61.463414634146], rtol=1e-12)
    np.testing.assert_allclose(result.se, [7.823418296537, 12.102326831559], rtol=1e-10)
    # The same ratings, with a design made of each department's raters alone (R: 8.783813633294, 13.070901009997).
    wrong = {}
    for d in ("x", "y"):
        raters = unit[dept == d]
        only = domain_means(
            strata[raters], weights[raters], np.arange(raters.size), dept[dept == d], value[dept == d],
            fpc=population[raters], lonely_psu="certainty",
        )
        wrong[d] = only.se[0]
        assert only.mean[0] == pytest.approx(result.mean[list(result.domains).index(d)], rel=1e-12)
    assert wrong["x"] == pytest.approx(8.783813633294, rel=1e-10)
    assert wrong["y"] == pytest.approx(13.070901009997, rel=1e-10)
    assert abs(wrong["x"] - result.se[0]) > 0.9 and abs(wrong["y"] - result.se[1]) > 0.9


# --- Non-response adjustment against R's postStratify to the invited totals ------------------------------------
# st   <- c("e","e","e","e","e","s","s","s","s","s","s","c","c","c")
# pi   <- c(0.1,0.1,0.2,0.2,0.1, 0.05,0.05,0.05,0.04,0.04,0.04, 0.01,0.01,0.02)
# resp <- c(TRUE,FALSE,TRUE,TRUE,FALSE, TRUE,TRUE,FALSE,TRUE,FALSE,TRUE, FALSE,TRUE,TRUE)
# y    <- c(80,0,60,100,0, 40,80,0,60,0,100, 0,20,80)
# inv <- data.frame(st, d = 1/pi); tot <- aggregate(d ~ st, inv, sum); names(tot)[2] <- "Freq"
# r <- data.frame(st, d = 1/pi, y)[resp, ]
# ps <- postStratify(svydesign(ids=~1, strata=~st, weights=~d, data=r), ~st, tot); weights(ps)
#   -> 20 10 10 30 30 37.5 37.5 166.6666666667 83.3333333333
# r$wadj <- weights(ps); svymean(~y, svydesign(ids=~1, strata=~st, weights=~wadj, data=r))
#   -> mean 53.647058823529, SE 18.882108953149
NR_STRATA = np.array(list("eeeeessssssccc"))
NR_PI = [0.1, 0.1, 0.2, 0.2, 0.1, 0.05, 0.05, 0.05, 0.04, 0.04, 0.04, 0.01, 0.01, 0.02]
NR_RESPONDED = np.array([1, 0, 1, 1, 0, 1, 1, 0, 1, 0, 1, 0, 1, 1], dtype=bool)
NR_Y = np.array([80, 0, 60, 100, 0, 40, 80, 0, 60, 0, 100, 0, 20, 80], dtype=float)


def test_nonresponse_adjustment_matches_r_poststratification_to_the_invited_totals():
    weights = nonresponse_adjusted(design_weights(NR_PI), NR_STRATA, NR_RESPONDED)
    np.testing.assert_allclose(weights, [20, 10, 10, 30, 30, 37.5, 37.5, 500 / 3, 250 / 3], rtol=1e-12)
    k = int(NR_RESPONDED.sum())
    result = domain_means(NR_STRATA[NR_RESPONDED], weights, np.arange(k), np.zeros(k, dtype=int), NR_Y[NR_RESPONDED])
    assert result.mean[0] == pytest.approx(53.647058823529, rel=1e-12)
    assert result.se[0] == pytest.approx(18.882108953149, rel=1e-10)


# --- Policy-weighted composite against svyby(covmat = TRUE) + svycontrast -------------------------------------
# cat_ <- c("ent","ent","ent","ent","ent","ent","cit","cit","cit","cit","dep","dep","dep")
# str_ <- c("e1","e1","e1","e2","e2","e2","c1","c1","c1","c1","d1","d1","d1")
# wt   <- c(4, 4, 5, 2, 2, 3, 50, 40, 50, 60, 1, 1, 2)
# yP   <- c(80, 60, 0, 100, 80, 0, 60, 40, 80, 0, 100, 80, 60)
# yQ   <- c(0, 100, 80, 60, 0, 40, 80, 0, 100, 60, 0, 0, 0)     # "dep" does not rate Q
# p <- data.frame(cat_, str_, wt, yP, yQ, rP = yP > 0, rQ = yQ > 0)
# pdes <- svydesign(ids=~1, strata=~str_, weights=~wt, data=p)
# bP <- svyby(~yP, ~cat_, subset(pdes, rP), svymean, covmat=TRUE)
# svycontrast(bP, c(cit=0.3, dep=0.2, ent=0.5))              -> 71.761904761905, SE 5.339168065375
# bQ <- svyby(~yQ, ~cat_, subset(pdes, rQ), svymean, covmat=TRUE)
# svycontrast(bQ, c(cit=0.3, ent=0.5) / 0.8)                 -> 75.959821428571, SE 7.160767657496
# (bP: cit 61.4285714285714 se 10.43946207702232, dep 75 se 12.05456345124119, ent 76.6666666666667 se 7.17935999073338;
#  bQ: cit 78.75 se 11.17669986139319, ent 74.2857142857143 se 9.28963810346207)
POLICY = {"ent": 0.5, "cit": 0.3, "dep": 0.2}


def policy_data():
    category = np.array(["ent"] * 6 + ["cit"] * 4 + ["dep"] * 3)
    strata = np.array(["e1"] * 3 + ["e2"] * 3 + ["c1"] * 4 + ["d1"] * 3)
    weights = np.array([4, 4, 5, 2, 2, 3, 50, 40, 50, 60, 1, 1, 2], dtype=float)
    y = {"P": [80, 60, 0, 100, 80, 0, 60, 40, 80, 0, 100, 80, 60], "Q": [0, 100, 80, 60, 0, 40, 80, 0, 100, 60, 0, 0, 0]}
    rows = [(i, d, y[d][i]) for i in range(13) for d in "PQ" if y[d][i]]
    unit, dept, value = (np.array(column) for column in zip(*rows))
    return category, strata, weights, unit, dept, value.astype(float)


def test_per_category_estimates_match_svyby():
    estimates = by_category(*policy_data())
    np.testing.assert_allclose(estimates["cit"].mean, [61.4285714285714, 78.75], rtol=1e-12)
    np.testing.assert_allclose(estimates["cit"].se, [10.43946207702232, 11.17669986139319], rtol=1e-10)
    np.testing.assert_allclose(estimates["ent"].mean, [76.6666666666667, 74.2857142857143], rtol=1e-12)
    np.testing.assert_allclose(estimates["ent"].se, [7.17935999073338, 9.28963810346207], rtol=1e-10)
    assert list(estimates["dep"].domains) == ["P"]
    assert estimates["dep"].se[0] == pytest.approx(12.05456345124119, rel=1e-10)


def test_policy_weighted_composite_matches_svycontrast_with_renormalised_weights():
    result = policy_weighted(by_category(*policy_data()), POLICY)
    assert list(result.domains) == ["P", "Q"]
    np.testing.assert_allclose(result.mean, [71.761904761905, 75.959821428571], rtol=1e-12)
    np.testing.assert_allclose(result.se, [5.339168065375, 7.160767657496], rtol=1e-10)
    assert result.categories == ("ent", "cit", "dep")
    np.testing.assert_allclose(result.shares, [[0.5, 0.3, 0.2], [0.625, 0.375, 0.0]])
    assert list(result.n) == [10, 7]
