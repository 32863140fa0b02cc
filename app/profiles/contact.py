"""The number an enterprise's messages go to: its profile's contact phone, else its pool member's."""
from __future__ import annotations

from dataclasses import dataclass

from app.platform.phones import PhoneVault, current_vault
from app.pool.models import MemberStatus, Respondent
from app.profiles.models import EnterpriseProfile

LEFT_THE_POOL = False


@dataclass(frozen=True)
class Phone:
    sealed: str
    lookup_hash: str
    masked: str


def phone_of(profile: EnterpriseProfile, member: Respondent | None = None,
             vault: PhoneVault | None = None) -> Phone | None | bool:
    """The profile's contact phone, else its pool member's (``member``, or the linked one); None without a number;
    ``LEFT_THE_POOL`` (False) when only the member's number is known and the member asked to leave the pool."""
    vault = vault or current_vault()
    if profile.contact_phone:
        return Phone(profile.contact_phone,
                     profile.contact_phone_hash or vault.lookup_hash(vault.open(profile.contact_phone)),
                     profile.contact_phone_masked)
    member = member if member is not None else profile.respondent
    if member is None or member.erased_on is not None or not member.phone:
        return None
    if member.status == MemberStatus.opted_out:
        return LEFT_THE_POOL
    return Phone(member.phone, member.phone_hash, member.phone_masked)
