"""Scoring of the monthly round: option scores, weights, estimators, rankings.

Pure: numpy and the standard library only, vectorised over plain arrays.
See DESIGN.md, "Statistics".
"""
