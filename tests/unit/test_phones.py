"""Phone numbers: validation, masking, encryption at rest."""
import pytest
from cryptography.fernet import Fernet

from app.platform.phones import PhoneError, PhoneVault, mask, normalise


@pytest.mark.parametrize("text", ["13812345678", "138 1234 5678", "138-1234-5678", "+86 138 1234 5678",
                                  "008613812345678", " 13812345678 "])
def test_common_ways_of_writing_a_mobile_number_normalise_to_e164(text):
    assert normalise(text) == "+8613812345678"


@pytest.mark.parametrize("text", ["", "1381234567", "138123456789", "010-12345678", "12345678901",
                                  "+1 650 253 0000", "abc", "23812345678"])
def test_invalid_or_non_mobile_numbers_are_refused(text):
    with pytest.raises(PhoneError):
        normalise(text)


def test_mask_keeps_first_three_and_last_four_digits():
    assert mask("+8613812345678") == "138****5678"


def test_without_a_key_the_number_is_stored_as_is():
    vault = PhoneVault(None)
    assert vault.seal("+8613812345678") == "+8613812345678"
    assert vault.open("+8613812345678") == "+8613812345678"


def test_with_a_key_the_number_is_encrypted_and_still_findable():
    key = Fernet.generate_key().decode()
    vault = PhoneVault(key)
    sealed = vault.seal("+8613812345678")
    assert "13812345678" not in sealed and sealed.startswith("fernet:")
    assert sealed != vault.seal("+8613812345678")  # randomised: equal numbers don't look equal
    assert vault.open(sealed) == "+8613812345678"
    assert vault.lookup_hash("+8613812345678") == PhoneVault(key).lookup_hash("+8613812345678")
    assert vault.lookup_hash("+8613812345678") != PhoneVault(None).lookup_hash("+8613812345678")


def test_a_wrong_or_missing_key_cannot_read_encrypted_numbers():
    sealed = PhoneVault(Fernet.generate_key().decode()).seal("+8613812345678")
    with pytest.raises(RuntimeError, match="does not decrypt"):
        PhoneVault(Fernet.generate_key().decode()).open(sealed)
    with pytest.raises(RuntimeError, match="not set"):
        PhoneVault(None).open(sealed)
