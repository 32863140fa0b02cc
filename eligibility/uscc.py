"""The unified social credit code (统一社会信用代码) of GB 32100-2015: 18 characters, the last a check character."""
from __future__ import annotations

from rules.messages import Message, N_

# The 31 characters of the code (no I, O, Z, S, V) in the order of their values 0–30.
ALPHABET = "0123456789ABCDEFGHJKLMNPQRTUWXY"
VALUES = {ch: i for i, ch in enumerate(ALPHABET)}
WEIGHTS = (1, 3, 9, 27, 19, 26, 16, 17, 20, 29, 25, 13, 8, 24, 10, 30, 28)
LENGTH = 18


class UsccError(ValueError):
    """Why a text is not a valid code; ``reason`` is a Message the app translates."""

    def __init__(self, template: str, **params):
        self.reason = Message.of(template, **params)
        super().__init__(str(self.reason))


def check_character(first17: str) -> str:
    """The check character of the first 17 characters (which must be in the alphabet)."""
    total = sum(VALUES[ch] * w for ch, w in zip(first17, WEIGHTS))
    return ALPHABET[(31 - total % 31) % 31]


def normalise(text: str) -> str:
    """The code in capitals without spaces, or UsccError naming what is wrong."""
    code = "".join(str(text or "").split()).upper()
    if not code:
        raise UsccError(N_("the unified social credit code is empty"))
    if len(code) != LENGTH:
        raise UsccError(N_("a unified social credit code has 18 characters, not %(count)d"), count=len(code))
    bad = [ch for ch in code if ch not in VALUES]
    if bad:
        raise UsccError(N_("“%(char)s” is not a character of a unified social credit code"), char=bad[0])
    if not code[2:8].isdigit():
        raise UsccError(N_("characters 3 to 8 of a unified social credit code are the region's digits"))
    expected = check_character(code[:17])
    if code[17] != expected:
        raise UsccError(N_("the check character is wrong (the 18th character should be %(expected)s)"),
                        expected=expected)
    return code


def is_valid(text: str) -> bool:
    try:
        normalise(text)
    except UsccError:
        return False
    return True
