"""The participant register as Python sees it: kinds, statuses, and the records on chain.

Mirrors `contracts/access/IParticipantRegistry.sol`. Reading is open to anyone; changes are the
CCP operator's and go through `pyclient.roles.Ccp`.
"""

from __future__ import annotations

from dataclasses import dataclass

from ..abi import register_enum
from ..enums import ChainEnum
from ..units import from_bytes32

ZERO_ADDRESS = "0x0000000000000000000000000000000000000000"


class Kind(ChainEnum):
    NONE = 0
    CCP = 1
    CLEARING_MEMBER = 2
    CLIENT = 3
    TRUST_BANK = 4
    ETF_MANAGER = 5
    TOKEN_ISSUER = 6
    ORACLE = 7
    WAREHOUSE = 8
    SYSTEM_CONTRACT = 9


class Status(ChainEnum):
    NONE = 0
    ACTIVE = 1
    SUSPENDED = 2
    DEFAULTED = 3


class AccountType(ChainEnum):
    NONE = 0
    SEGREGATED = 1
    OMNIBUS = 2


register_enum("IParticipantRegistry.Kind", Kind)
register_enum("IParticipantRegistry.Status", Status)
register_enum("IParticipantRegistry.AccountType", AccountType)


@dataclass(frozen=True)
class Participant:
    """One entry of the register."""

    address: str
    name: str
    kind: Kind
    status: Status
    account_type: AccountType = AccountType.NONE
    clearing_member: str | None = None

    @property
    def active(self) -> bool:
        return self.status is Status.ACTIVE

    @classmethod
    def from_chain(cls, address: str, record: tuple) -> Participant:
        kind, status, account_type, member, name = record
        return cls(
            address=address,
            name=from_bytes32(name),
            kind=Kind(kind),
            status=Status(status),
            account_type=AccountType(account_type),
            clearing_member=None if member == ZERO_ADDRESS else member,
        )
