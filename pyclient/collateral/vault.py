"""The collateral vault as Python sees it: account ids, accounts and margin calls.

Mirrors the types of `contracts/collateral/ICollateralVault.sol`; the contract's client is
`pyclient.contracts.vault`. An account id packs its owner and kind
(`owner | kind << 160`), so anyone can compute the id of a member's house account.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from typing import Any

from eth_utils import to_checksum_address

from ..abi import register_enum
from ..clock import from_unix
from ..enums import ChainEnum
from ..oracle.market_data import Purpose


class AccountKind(ChainEnum):
    NONE = 0
    HOUSE = 1
    SEGREGATED = 2
    OMNIBUS = 3
    CLEARING_FUND = 4
    DEFAULT_MANAGEMENT = 5


class CallType(ChainEnum):
    """Kind of margin call; its deadline follows the Tokyo timetable (pyclient.margin.calendar)."""

    REGULAR = 0
    INTRADAY = 1
    EMERGENCY = 2


class SkipReason(ChainEnum):
    """Why a batch left an account or a call out (the values are the Solidity enum's)."""

    NONE = 0
    NO_SHORTFALL = 1  # the account is covered
    CALL_OPEN = 2  # a call already open asks for the requirement in force
    ACCOUNT_FROZEN = 3
    OWNER_NOT_ACTIVE = 4
    CALL_NOT_OPEN = 5  # met, overdue already, or closed by a default
    DEADLINE_NOT_PASSED = 6
    VALUATION_UNAVAILABLE = 7  # a holding it counts has no current price or FX rate
    DEADLINE_BEFORE_OPEN_CALL = 8  # the increase would fall due before the call open below it


class CallStatus(ChainEnum):
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
register_enum("ICollateralVault.SkipReason", SkipReason)
register_enum("ICollateralVault.CallStatus", CallStatus)


class ShareStatus(ChainEnum):
    """An omnibus client's share: owed, paid in full, marked overdue by its member, or closed
    unpaid when the member's call closed (met by others, or defaulted)."""

    NONE = 0
    OWED = 1
    PAID = 2
    OVERDUE = 3
    CLOSED = 4


register_enum("ICollateralVault.ShareStatus", ShareStatus)


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

    def __str__(self) -> str:
        """One line, as a participant reads it (`Deployment.account_label` names the owner)."""
        call = f"call #{self.open_call} open" if self.open_call else "no open call"
        frozen = ", frozen" if self.frozen else ""
        return (
            f"{self.kind.label} account of {_short(self.owner)}: requirement JPY "
            f"{self.requirement_jpy:,}, {call}{frozen}"
        )

    @classmethod
    def from_chain(cls, account: int, raw: tuple[Any, ...]) -> VaultAccount:
        owner, kind, frozen, requirement, open_call = raw
        return cls(account, owner, AccountKind(kind), frozen, requirement, open_call or None)


@dataclass(frozen=True)
class MarginCall:
    """A call: what it asks (`shortfall_jpy`), against which requirement, by when, and its status.

    An account may have several calls open; `previous_open` is the next older one (None: none),
    and `passed_on` says whether an omnibus call's shares have gone to the clients.
    """

    id: int
    account: int
    call_type: CallType
    status: CallStatus
    issued_at: dt.datetime
    deadline: dt.datetime
    shortfall_jpy: int
    requirement_jpy: int
    passed_on: bool = False
    previous_open: int | None = None

    def __str__(self) -> str:
        """One line, as a participant reads it (`Deployment.account_label` names the account)."""
        owner, kind = split_account_id(self.account)
        return (
            f"call #{self.id} ({self.call_type.label}) on the {kind.label} account of "
            f"{_short(owner)}: JPY {self.shortfall_jpy:,} due {self.deadline:%a %d %b %Y %H:%M} "
            f"Tokyo, {self.status.label}"
        )

    @property
    def owner(self) -> str:
        return split_account_id(self.account)[0]

    @property
    def account_kind(self) -> AccountKind:
        return split_account_id(self.account)[1]

    @classmethod
    def from_chain(cls, call_id: int, raw: tuple[Any, ...]) -> MarginCall:
        account, call_type, status, passed_on, issued_at, deadline, shortfall, requirement, prev = (
            raw
        )
        return cls(
            id=call_id,
            account=account,
            call_type=CallType(call_type),
            status=CallStatus(status),
            issued_at=from_unix(issued_at),
            deadline=from_unix(deadline),
            shortfall_jpy=shortfall,
            requirement_jpy=requirement,
            passed_on=bool(passed_on),
            previous_open=prev or None,
        )


@dataclass(frozen=True)
class Skipped:
    """An account (issuing calls, posting requirements) or a call (marking overdue) that a batch
    left out, and why."""

    id: int
    reason: SkipReason


@dataclass(frozen=True)
class CallBatch:
    """What a batch of calls did: the calls as the transaction left them (issued, or marked), what
    it skipped and why, and the ids of calls it found covered and closed as met (for a batch of
    new calls: older calls a price rise had covered, met before anything more was asked)."""

    calls: tuple[MarginCall, ...]
    skipped: tuple[Skipped, ...]
    met: tuple[int, ...] = ()


@dataclass(frozen=True)
class Posting:
    """What a posting of requirements did: accounts skipped (frozen), calls the new requirements
    met at once, and accounts whose open calls could not be re-evaluated (a holding with no
    current price or rate; the next deposit, posting or batch that can value them will)."""

    skipped: tuple[Skipped, ...]
    met: tuple[int, ...] = ()
    deferred: tuple[int, ...] = ()


@dataclass(frozen=True)
class ClientShare:
    """An omnibus client's share of a call passed on: asked, paid so far (what its payments added
    to the omnibus account's value, oldest share first), due by, and its status."""

    client: str
    amount_jpy: int
    paid_jpy: int
    deadline: dt.datetime
    status: ShareStatus = ShareStatus.OWED

    @property
    def met(self) -> bool:
        return self.paid_jpy >= self.amount_jpy

    @property
    def remaining_jpy(self) -> int:
        return max(0, self.amount_jpy - self.paid_jpy)

    def past_due(self, now: dt.datetime) -> bool:
        """Still owed after its deadline (as the vault has it: a deadline has passed once `now` is
        later); a share closed with its call is not."""
        return self.status in (ShareStatus.OWED, ShareStatus.OVERDUE) and now > self.deadline

    @classmethod
    def from_chain(cls, raw: tuple[Any, ...]) -> ClientShare:
        client, amount, paid, deadline, status = raw
        return cls(client, int(amount), int(paid), from_unix(int(deadline)), ShareStatus(status))


def purpose_of(kind: AccountKind) -> Purpose:
    """What an account of `kind` is valued for, as the vault's `_purpose`: a clearing-fund account
    for the clearing fund, every other for initial margin."""
    return Purpose.CLEARING_FUND if kind is AccountKind.CLEARING_FUND else Purpose.INITIAL_MARGIN


def _short(address: str) -> str:
    return f"{address[:6]}…{address[-4:]}"
