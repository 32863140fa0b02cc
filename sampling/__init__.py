"""Stratified sampling for the monthly draw: allocation, selection, verification.

Pure: numpy and the standard library only, so that an auditor can import and
re-run it without the application. See DESIGN.md, "Statistics".
"""
