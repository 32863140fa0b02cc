"""Mobile phone numbers: validation, masking, and optional encryption at rest.

Numbers are validated as mainland Chinese mobile numbers with ``phonenumbers``
and kept in E.164 (+8613812345678). Everywhere but the SMS gateway they are
shown masked (138****1234).

With PHONE_ENCRYPTION_KEY set (a Fernet key: ``python -c "from
cryptography.fernet import Fernet; print(Fernet.generate_key().decode())"``),
the stored number is Fernet ciphertext; a keyed HMAC of the number finds
members by phone without decrypting. Without the key, the number is stored as
is and the HMAC uses a fixed key (it then protects nothing, it only indexes).
The same vault seals complainants' numbers, real-time call-back numbers and
staff TOTP secrets.

Key rotation. Two keys, because they age differently:

- PHONE_ENCRYPTION_KEY encrypts; it can be replaced. PHONE_ENCRYPTION_OLD_KEYS
  (comma-separated) lists the keys it replaced: values are decrypted with the
  current key or any old one (``MultiFernet``), always encrypted with the
  current one. ``flask phones rekey`` re-encrypts every stored value under the
  current key; the old keys can then leave the environment.
- PHONE_INDEX_KEY keys the lookup hashes, and never changes: an opted-out or
  erased member exists *only* as that hash, so a new hash key would silently
  let their number be imported again. Unset, it is derived from
  PHONE_ENCRYPTION_KEY exactly as before it existed (existing databases keep
  working unchanged) — which is why it must be set explicitly before the first
  rotation: ``flask phones show-index-key`` prints the derived value (64 hex
  digits, a one-way hash: it cannot decrypt anything) to put in the environment.

Two refusals keep a rotation from changing the hashes by mistake: a vault with
old keys but no explicit PHONE_INDEX_KEY is not built (the derivation from the
*new* key would no longer find anybody), and ``flask phones rekey`` does not
run without an explicit PHONE_INDEX_KEY.
"""
from __future__ import annotations

import enum
import hashlib
import hmac
from collections.abc import Iterable
from functools import lru_cache

import phonenumbers
from cryptography.fernet import Fernet, InvalidToken, MultiFernet
from phonenumbers import PhoneNumber, PhoneNumberType

_CIPHER_PREFIX = "fernet:"
_UNKEYED_HMAC_KEY = b"beikaobei-phone-index"
_MOBILE_TYPES = {PhoneNumberType.MOBILE, PhoneNumberType.FIXED_LINE_OR_MOBILE}
INDEX_KEY_HEX_DIGITS = 64


class PhoneError(ValueError):
    """The text is not a valid mainland Chinese mobile number."""


class PhoneKeyError(RuntimeError):
    """The key settings are unusable (never says a key's value)."""


class Sealed(enum.Enum):
    """What a stored value is, for a key rotation."""

    current = "current"  # ciphertext under PHONE_ENCRYPTION_KEY
    old = "old"  # ciphertext under one of PHONE_ENCRYPTION_OLD_KEYS
    clear = "clear"  # stored before encryption was turned on
    unreadable = "unreadable"  # ciphertext no configured key decrypts


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


def key_list(setting: str | Iterable[str] | None) -> tuple[str, ...]:
    """PHONE_ENCRYPTION_OLD_KEYS as a tuple, whether written "k1,k2" (the environment) or as a list."""
    items = setting.split(",") if isinstance(setting, str) else (setting or ())
    return tuple(item.strip() for item in items if item and item.strip())


def _fernet(key: str, setting: str) -> Fernet:
    try:
        return Fernet(key.encode())
    except (ValueError, TypeError):
        raise PhoneKeyError(f"{setting} is not a Fernet key (32 url-safe base64-encoded bytes)") from None


def derived_index_key(encryption_key: str | None) -> bytes:
    """The lookup-hash key as it was always derived from PHONE_ENCRYPTION_KEY (the default of PHONE_INDEX_KEY)."""
    return hashlib.sha256(b"phone-index:" + encryption_key.encode()).digest() if encryption_key else _UNKEYED_HMAC_KEY


def _index_key(index_key: str | None, encryption_key: str | None, old_keys: tuple[str, ...]) -> bytes:
    if index_key:
        try:
            value = bytes.fromhex(index_key.strip())
        except ValueError:
            value = b""
        if len(value) * 2 != INDEX_KEY_HEX_DIGITS:
            raise PhoneKeyError(f"PHONE_INDEX_KEY must be {INDEX_KEY_HEX_DIGITS} hexadecimal digits: the value "
                                "`flask phones show-index-key` printed")
        return value
    if old_keys:
        raise PhoneKeyError("PHONE_ENCRYPTION_OLD_KEYS is set but PHONE_INDEX_KEY is not: the phone lookup hashes "
                            "would change with the new key, and opted-out numbers could be imported again. Set "
                            "PHONE_INDEX_KEY to what `flask phones show-index-key` prints with the old key as "
                            "PHONE_ENCRYPTION_KEY (see docs/DEPLOYMENT.md, Rotating secrets)")
    return derived_index_key(encryption_key)


class PhoneVault:
    """Turns an E.164 number into what is stored (maybe encrypted), its lookup hash and its mask."""

    def __init__(self, key: str | None, old_keys: Iterable[str] = (), index_key: str | None = None):
        old_keys = key_list(old_keys)
        if old_keys and not key:
            raise PhoneKeyError("PHONE_ENCRYPTION_OLD_KEYS is set but PHONE_ENCRYPTION_KEY is not")
        self._fernet = _fernet(key, "PHONE_ENCRYPTION_KEY") if key else None
        old = [_fernet(k, f"PHONE_ENCRYPTION_OLD_KEYS (key {n})") for n, k in enumerate(old_keys, start=1)]
        self._any_key = MultiFernet([self._fernet, *old]) if self._fernet else None
        self._hmac_key = _index_key(index_key, key, old_keys)

    @property
    def encrypting(self) -> bool:
        return self._fernet is not None

    @property
    def index_key_hex(self) -> str:
        """The lookup-hash key, for PHONE_INDEX_KEY (a one-way derivation: it decrypts nothing)."""
        return self._hmac_key.hex()

    def seal(self, e164: str) -> str:
        """The value for the ``phone`` column."""
        if self._fernet is None:
            return e164
        return _CIPHER_PREFIX + self._fernet.encrypt(e164.encode()).decode()

    def open(self, stored: str) -> str:
        """The E.164 number back from the ``phone`` column (only the SMS gateway needs this)."""
        if not stored.startswith(_CIPHER_PREFIX):
            return stored
        if self._any_key is None:
            raise RuntimeError("phone numbers are encrypted but PHONE_ENCRYPTION_KEY is not set")
        try:
            return self._any_key.decrypt(stored[len(_CIPHER_PREFIX):].encode()).decode()
        except InvalidToken:
            raise RuntimeError("PHONE_ENCRYPTION_KEY does not decrypt the stored phone numbers (nor does any of "
                               "PHONE_ENCRYPTION_OLD_KEYS)") from None

    def state(self, stored: str) -> Sealed:
        """Which key, if any, a stored value is sealed with."""
        if not stored.startswith(_CIPHER_PREFIX):
            return Sealed.clear
        token = stored[len(_CIPHER_PREFIX):].encode()
        if self._fernet is None:
            return Sealed.unreadable
        try:
            self._fernet.decrypt(token)
            return Sealed.current
        except InvalidToken:
            pass
        try:
            self._any_key.decrypt(token)
            return Sealed.old
        except InvalidToken:
            return Sealed.unreadable

    def reseal(self, stored: str) -> str:
        """The same value sealed under the current key (clear text gets encrypted)."""
        return self.seal(self.open(stored))

    def lookup_hash(self, e164: str) -> str:
        """A keyed hash of the number: equal numbers, equal hashes."""
        return hmac.new(self._hmac_key, e164.encode(), hashlib.sha256).hexdigest()


@lru_cache(maxsize=8)
def vault_for(key: str | None, old_keys: tuple[str, ...] = (), index_key: str | None = None) -> PhoneVault:
    """One vault per key set (Fernet setup is not free, and imports call this per row)."""
    return PhoneVault(key, old_keys, index_key)


def configured_vault(config) -> PhoneVault:
    """The vault the settings in ``config`` describe; PhoneKeyError (naming the setting) if they are unusable.
    Meant for the start-up checks too: there it finds bad settings before the first phone number does."""
    return vault_for(config.get("PHONE_ENCRYPTION_KEY") or None, key_list(config.get("PHONE_ENCRYPTION_OLD_KEYS")),
                     config.get("PHONE_INDEX_KEY") or None)


def current_vault() -> PhoneVault:
    """The vault configured for the running application."""
    from flask import current_app

    return configured_vault(current_app.config)
