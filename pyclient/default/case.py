"""A member's default case, mirroring `contracts/default/IDefaultManager.sol`.

A case opens when the CCP declares a clearing member in default (over a missed call, or by its own
decision); the DefaultManager then freezes every account the member answers for and seizes its
house margin and clearing-fund contribution, keeping a ledger of what came from where (`Origin`).
Declaring and withdrawing go through `pyclient.roles.Ccp.default`.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from typing import Any

from ..abi import register_enum
from ..clock import from_unix
from ..enums import ChainEnum
from ..units import from_bytes32


class CaseStatus(ChainEnum):
    NONE = 0
    OPEN = 1
    WITHDRAWN = 2
    SETTLED = 3


class Layer(ChainEnum):
    """The layers of the default waterfall, in the order they meet a loss."""

    HOUSE_MARGIN = 0
    CLEARING_FUND = 1
    CCP_TRANCHE = 2
    SURVIVORS = 3


class Origin(ChainEnum):
    """Where seized collateral came from; the loss waterfall uses them in this order."""

    HOUSE_MARGIN = 0
    CLEARING_FUND = 1


class ClientStatus(ChainEnum):
    """Where a client of the defaulter stands in a case."""

    NONE = 0
    ACCEPTED = 1
    PORTED = 2
    CLOSED_OUT = 3


register_enum("IDefaultManager.CaseStatus", CaseStatus)
register_enum("IDefaultManager.Origin", Origin)
register_enum("IDefaultManager.ClientStatus", ClientStatus)
register_enum("IDefaultManager.Layer", Layer)


@dataclass(frozen=True)
class DefaultCase:
    """One default case: the member, the call it missed (None: a decision of the CCP), when and
    why it was declared, its status, whether the member was suspended before (a withdrawn default
    restores that), until when its clients may be ported, and the client losses their own
    collateral could not cover (JPY; the defaulter's loss)."""

    id: int
    member: str
    declared_at: dt.datetime
    status: CaseStatus
    was_suspended: bool
    porting_deadline: dt.datetime
    call_id: int | None
    reason: str
    uncovered_client_loss_jpy: int = 0

    @classmethod
    def from_chain(cls, case_id: int, raw: tuple[Any, ...]) -> DefaultCase:
        member, declared_at, status, suspended, porting, call_id, reason, uncovered = raw
        return cls(
            case_id, member, from_unix(int(declared_at)), CaseStatus(status), bool(suspended),
            from_unix(int(porting)), int(call_id) or None, from_bytes32(reason), int(uncovered),
        )  # fmt: skip


@dataclass(frozen=True)
class ClientPort:
    """A client of the defaulter in a case: its status, and the member that accepted it."""

    client: str
    status: ClientStatus
    accepted_by: str | None

    @classmethod
    def from_chain(cls, client: str, raw: tuple[Any, ...]) -> ClientPort:
        status, accepted_by = raw
        zero = int(accepted_by, 16) == 0
        return cls(client, ClientStatus(status), None if zero else accepted_by)


@dataclass(frozen=True)
class LayerUse:
    """What one layer of the waterfall met of the loss, from which vault account (JPY)."""

    layer: Layer
    account: int
    used_jpy: int


@dataclass(frozen=True)
class Waterfall:
    """A settled case: the loss, each layer's part in order, and what no layer could meet."""

    case_id: int
    loss_jpy: int
    layers: tuple[LayerUse, ...]
    uncovered_jpy: int

    @property
    def covered_jpy(self) -> int:
        return self.loss_jpy - self.uncovered_jpy

    def by_layer(self) -> dict[Layer, int]:
        """JPY met by each layer (every layer listed, 0 where it was not reached)."""
        out = dict.fromkeys(Layer, 0)
        for use in self.layers:
            out[use.layer] += use.used_jpy
        return out
