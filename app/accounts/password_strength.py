"""How guessable a password is: the zxcvbn estimator (Dropbox's, maintained on PyPI as ``zxcvbn``) told the
site's own words, every username, the account's own names and the common Chinese passwords
(app/accounts/common_passwords.py), so that ``Beikaobei2026!``, ``Designer-2026`` or ``Woaini1314!`` count as
the guesses they are.

zxcvbn estimates how many guesses a cracker trying the most likely passwords first needs, and scores it 0–4.
We require 3 (≥ 10⁸ guesses): against this site's login, rate-limited and backed off per account, that is out of
reach; against a stolen database of scrypt hashes (each guess costs tens of milliseconds of a core), 10⁸ guesses
cost years of a core per account. Score 4 (≥ 10¹⁰) would refuse many passphrases people can remember and type
every morning, pushing them to write the password down.

Whatever refuses a password says why in one Chinese sentence, from what zxcvbn found in it (a site word or
name, a common password, a keyboard walk, a repeat, a sequence, a year or a date); nothing here logs it.
"""
from __future__ import annotations

import re
import threading

from flask import current_app
from flask_babel import gettext as _, lazy_gettext as _l
from zxcvbn import zxcvbn

from app.accounts.common_passwords import COMMON_CHINESE_PASSWORDS

MIN_SCORE = 3
# Shorter site words and names (hr, bkb) are taken out of nothing: they would spoil too many good passwords.
MIN_WORD_LENGTH = 4
# zxcvbn refuses longer input (its matching is quadratic): the first 72 characters are estimated, which can
# only make a longer password look weaker, never stronger.
ESTIMATED_LENGTH = 72
# zxcvbn keeps the user inputs in a module-level dictionary while it matches: one estimate at a time.
_estimating = threading.Lock()
_COMMON = frozenset(COMMON_CHINESE_PASSWORDS)


def site_words() -> list[str]:
    """The site's own words (the platform's names, the city's name from the settings)."""
    words = [w.strip() for w in current_app.config.get("PASSWORD_SITE_WORDS", "").split(",")]
    return [w for w in words if w]


# What makes a password guessable, most telling first: the first kind zxcvbn found gives the reason.
_REASONS = (
    ("own", _l("it contains the name of this site or city, a username or your own name")),
    ("common", _l("it is, or is built on, a commonly used password (such as woaini1314, Aa123456 or P@ssw0rd)")),
    ("spatial", _l("it follows a row or pattern of keys on the keyboard")),
    ("repeat", _l("it repeats characters or words")),
    ("sequence", _l("it contains a sequence such as abc or 6543")),
    ("date", _l("it relies on a year or a date")),
    ("word", _l("it is built on a common word or name")),
)


def _reason(result: dict, own_words: frozenset[str]) -> str:
    """What makes this password guessable, from the pattern that explains the most of it."""
    kinds = set()
    for match in result["sequence"]:
        pattern = match.get("pattern")
        if pattern == "dictionary":
            word = match.get("matched_word", "")
            if match.get("dictionary_name") == "user_inputs":
                kinds.add("common" if word in _COMMON and word not in own_words else "own")
            elif match.get("dictionary_name") == "passwords":
                kinds.add("common")
            else:
                kinds.add("word")
        elif pattern in ("spatial", "repeat", "sequence"):
            kinds.add(pattern)
        elif pattern in ("regex", "date"):
            kinds.add("date")
    return next((str(text) for kind, text in _REASONS if kind in kinds), _("it is too short or too simple"))


def weakness(password: str, personal_words: list[str]) -> str | None:
    """Why ``password`` is too easy to guess (a Chinese sentence), or None when it scores at least 3.

    ``personal_words`` are the account's username and display name and every other username: words an
    attacker who knows the site tries first.
    """
    own = [w.strip().lower() for w in [*site_words(), *personal_words] if w and w.strip()]
    result = _estimate(password, own)
    if result["score"] < MIN_SCORE:
        reason = _reason(result, frozenset(own))
    elif _estimate(_without(password, own), own)["score"] < MIN_SCORE:
        # zxcvbn gives a word it was told a few guesses, yet counts the characters around it as if they were
        # random; somebody who knows the site tries "Beikaobei" + a year + "!" first: what is left when the
        # site's words and names are taken out must be strong by itself.
        reason = str(dict(_REASONS)["own"])
    else:
        return None
    return _("This password is too easy to guess: %(reason)s. Choose a longer one, for example a few unrelated "
             "words with digits or symbols between them.", reason=reason)


def _estimate(password: str, own: list[str]) -> dict:
    with _estimating:
        return zxcvbn(password[:ESTIMATED_LENGTH], user_inputs=[*own, *COMMON_CHINESE_PASSWORDS])


def _without(password: str, words: list[str]) -> str:
    """The password with every site word and name of at least MIN_WORD_LENGTH characters taken out (any case)."""
    rest = password
    for word in sorted((w for w in words if len(w) >= MIN_WORD_LENGTH), key=len, reverse=True):
        rest = re.sub(re.escape(word), "", rest, flags=re.IGNORECASE)
    return rest
