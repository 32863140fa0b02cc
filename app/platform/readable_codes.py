"""Codes people read off an SMS or a receipt and type on a phone: survey access codes, complaint query codes.

No look-alike characters (no 0/O, 1/I/L): 31 symbols, about 4.95 bits each. Typed back in any case, with or
without the spaces and dashes they were shown with.
"""
from __future__ import annotations

import secrets

ALPHABET = "23456789ABCDEFGHJKMNPQRSTUVWXYZ"


def new_code(length: int) -> str:
    """``length`` random symbols of the alphabet."""
    return "".join(secrets.choice(ALPHABET) for _ in range(length))


def normalise(text: str | None) -> str:
    """What was typed, as it is compared: upper case, letters and digits only."""
    return "".join(ch for ch in (text or "").upper() if ch.isalnum())
