"""The collateral vault as Python sees it: account ids, accounts and margin calls.

Mirrors the types of `contracts/collateral/ICollateralVault.sol`; the contract's client is
`pyclient.contracts.vault`. An account id packs its owner and kind
(`owner | kind << 160`), so anyone can compute the id of a member's house account.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from enum import IntEnum
from typing import Any

from eth_utils import to_checksum_address

from ..abi import register_enum
from ..clock import from_unix


class AccountKind(IntEnum):
    NONE = 0
    HOUSE = 1
    SEGREGATED = 2
    OMNIBUS = 3
    CLEARING_FUND = 4
    DEFAULT_MANAGEMENT = 5


class CallType(IntEnum):
    """Kind of margin call; its deadline follows the Tokyo timetable (pyclient.margin.calendar)."""

    REGULAR = 0
    INTRADAY = 1
    EMERGENCY = 2


class CallStatus(IntEnum):
    NONE = 0
    ISSUED = 1
    PARTIALLY_MET = 2
    MET = 3
    OVERDUE = 4
    DEFAULT_DECLARED = 5

    @property
    def open(self) -> bool:
        return self in (CallStatus.ISSUED, CallStatus.PARTIALLY_MET, CallStatus.OVERDUE)


register_enum("ICollateralVault.AccountKind", AccountKind)
register_enum("ICollateralVault.CallType", CallType)
register_enum("ICollateralVault.CallStatus", CallStatus)


def account_id(owner: str, kind: AccountKind) -> int:
    """The vault's id of `owner`'s `kind` account."""
    return int(owner, 16) | (int(kind) << 160)


def split_account_id(account: int) -> tuple[str, AccountKind]:
    """(owner, kind) of an account id."""
    return to_checksum_address(f"0x{account & ((1 << 160) - 1):040x}"), AccountKind(account >> 160)


@dataclass(frozen=True)
class VaultAccount:
    id: int
    owner: str
    kind: AccountKind
    frozen: bool
    requirement_jpy: int
    open_call: int | None

    @classmethod
    def from_chain(cls, account: int, raw: tuple[Any, ...]) -> VaultAccount:
        owner, kind, frozen, requirement, open_call = raw
        return cls(account, owner, AccountKind(kind), frozen, requirement, open_call or None)


@dataclass(frozen=True)
class MarginCall:
    id: int
    account: int
    call_type: CallType
    status: CallStatus
    issued_at: dt.datetime
    deadline: dt.datetime
    shortfall_jpy: int
    requirement_jpy: int

    @property
    def owner(self) -> str:
        return split_account_id(self.account)[0]

    @property
    def account_kind(self) -> AccountKind:
        return split_account_id(self.account)[1]

    @classmethod
    def from_chain(cls, call_id: int, raw: tuple[Any, ...]) -> MarginCall:
        account, call_type, status, issued_at, deadline, shortfall, requirement = raw
        return cls(
            id=call_id,
            account=account,
            call_type=CallType(call_type),
            status=CallStatus(status),
            issued_at=from_unix(issued_at),
            deadline=from_unix(deadline),
            shortfall_jpy=shortfall,
            requirement_jpy=requirement,
        )
