"""A member's default case, mirroring `contracts/default/IDefaultManager.sol`.

A case opens when the CCP declares a clearing member in default (over a missed call, or by its own
decision); the DefaultManager then freezes every account the member answers for and seizes its
house margin and clearing-fund contribution, keeping a ledger of what came from where (`Origin`).
Declaring and withdrawing go through `pyclient.roles.Ccp.default`.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from enum import IntEnum
from typing import Any

from ..abi import register_enum
from ..clock import from_unix
from ..units import from_bytes32


class CaseStatus(IntEnum):
    NONE = 0
    OPEN = 1
    WITHDRAWN = 2


class Origin(IntEnum):
    """Where seized collateral came from; the loss waterfall uses them in this order."""

    HOUSE_MARGIN = 0
    CLEARING_FUND = 1


register_enum("IDefaultManager.CaseStatus", CaseStatus)
register_enum("IDefaultManager.Origin", Origin)


@dataclass(frozen=True)
class DefaultCase:
    """One default case: the member, the call it missed (None: a decision of the CCP), when and
    why it was declared, and its status."""

    id: int
    member: str
    declared_at: dt.datetime
    status: CaseStatus
    call_id: int | None
    reason: str

    @classmethod
    def from_chain(cls, case_id: int, raw: tuple[Any, ...]) -> DefaultCase:
        member, declared_at, status, call_id, reason = raw
        return cls(
            case_id, member, from_unix(int(declared_at)), CaseStatus(status), int(call_id) or None,
            from_bytes32(reason),
        )  # fmt: skip
