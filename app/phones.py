"""Mobile phone numbers: validation, masking, and optional encryption at rest.

Numbers are validated as mainland Chinese mobile numbers with ``phonenumbers``
and kept in E.164 (+8613812345678). Everywhere but the SMS gateway they are
shown masked (138****1234).

With PHONE_ENCRYPTION_KEY set (a Fernet key: ``python -c "from
cryptography.fernet import Fernet; print(Fernet.generate_key().decode())"``),
the stored number is Fernet ciphertext; a keyed HMAC of the number finds
members by phone without decrypting. Without the key, the number is stored as
is and the HMAC uses a fixed key (it then protects nothing, it only indexes).
"""
from __future__ import annotations

import hashlib
import hmac
from functools import lru_cache

import phonenumbers
from cryptography.fernet import Fernet, InvalidToken
from phonenumbers import PhoneNumber, PhoneNumberType

_CIPHER_PREFIX = "fernet:"
_UNKEYED_HMAC_KEY = b"beikaobei-phone-index"
_MOBILE_TYPES = {PhoneNumberType.MOBILE, PhoneNumberType.FIXED_LINE_OR_MOBILE}


class PhoneError(ValueError):
    """The text is not a valid mainland Chinese mobile number."""


def normalise(text: str) -> str:
    """E.164 form of a Chinese mobile number written in any common way; PhoneError otherwise."""
    cleaned = (text or "").strip()
    if not cleaned:
        raise PhoneError("empty")
    if len(cleaned) == 11 and cleaned.isdigit() and cleaned[0] == "1":
        # The common case, 13812345678: what parse() would build, without its cost (imports of
        # 100,000 rows spend most of their time here). Validity is still phonenumbers' own verdict.
        if phonenumbers.number_type(PhoneNumber(country_code=86, national_number=int(cleaned))) in _MOBILE_TYPES:
            return "+86" + cleaned
        raise PhoneError("not a mainland mobile number")
    try:
        number = phonenumbers.parse(cleaned, "CN")
    except phonenumbers.NumberParseException:
        raise PhoneError("unparseable") from None
    if (
        phonenumbers.region_code_for_number(number) != "CN"
        or not phonenumbers.is_valid_number(number)
        or phonenumbers.number_type(number) not in _MOBILE_TYPES
    ):
        raise PhoneError("not a mainland mobile number")
    return phonenumbers.format_number(number, phonenumbers.PhoneNumberFormat.E164)


def mask(e164: str) -> str:
    """138****1234: the first three and last four digits of the national number."""
    national = e164[3:] if e164.startswith("+86") else e164.lstrip("+")
    if len(national) < 8:
        return "****"
    return f"{national[:3]}****{national[-4:]}"


class PhoneVault:
    """Turns an E.164 number into what is stored (maybe encrypted), its lookup hash and its mask."""

    def __init__(self, key: str | None):
        self._fernet = Fernet(key.encode()) if key else None
        self._hmac_key = hashlib.sha256(b"phone-index:" + key.encode()).digest() if key else _UNKEYED_HMAC_KEY

    @property
    def encrypting(self) -> bool:
        return self._fernet is not None

    def seal(self, e164: str) -> str:
        """The value for the ``phone`` column."""
        if self._fernet is None:
            return e164
        return _CIPHER_PREFIX + self._fernet.encrypt(e164.encode()).decode()

    def open(self, stored: str) -> str:
        """The E.164 number back from the ``phone`` column (only the SMS gateway needs this)."""
        if not stored.startswith(_CIPHER_PREFIX):
            return stored
        if self._fernet is None:
            raise RuntimeError("phone numbers are encrypted but PHONE_ENCRYPTION_KEY is not set")
        try:
            return self._fernet.decrypt(stored[len(_CIPHER_PREFIX):].encode()).decode()
        except InvalidToken:
            raise RuntimeError("PHONE_ENCRYPTION_KEY does not decrypt the stored phone numbers") from None

    def lookup_hash(self, e164: str) -> str:
        """A keyed hash of the number: equal numbers, equal hashes."""
        return hmac.new(self._hmac_key, e164.encode(), hashlib.sha256).hexdigest()


@lru_cache(maxsize=4)
def vault_for(key: str | None) -> PhoneVault:
    """One vault per key (Fernet setup is not free, and imports call this per row)."""
    return PhoneVault(key)


def current_vault() -> PhoneVault:
    """The vault configured for the running application."""
    from flask import current_app

    return vault_for(current_app.config.get("PHONE_ENCRYPTION_KEY") or None)
