"""Stratified sampling for the monthly draw: allocation, selection, verification.

Pure: numpy and the standard library only, so that an auditor can import and
re-run it without the application. See DESIGN.md, "Statistics".

    sizes = {"large_enterprise": 300, "sme": 700, ...}
    plan = allocation_plan(sizes, n=500, minimum=30)      # {stratum: n_h}
    fingerprint = commitment(keys, strata)                # published before the seed
    drawn = select(keys, strata, plan, seed)              # {key: n_h / N_h}

A draw is replayed with ``tools/verify_draw.py`` (standard library only).
"""
from .allocation import METHODS, allocate, allocation_plan
from .frame import commitment
from .selection import select, ticket

__all__ = ["METHODS", "allocate", "allocation_plan", "commitment", "select", "ticket"]
