"""A goods token's client: delivery orders or warehouse receipts (one ERC-721 deployment each).

`deployment.delivery_orders` and `deployment.warehouse_receipts` are `GoodsTokenClient`s. Reads
return `Goods` and `GoodsToken` (pyclient.goods.model); a token's whole life (issue, transfer,
presentation, release, freezes, forced transfers) is a `Call` built here. Lists over many tokens
(`tokens`, `held_by`, `outstanding`) read in JSON-RPC batches.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from typing import Any

from ..errors import InputError
from ..goods.model import DocumentKind, Goods, GoodsStatus, GoodsToken
from ..units import to_bytes32
from .base import Call, ContractClient, Outcome

_BATCH = 200  # tokens read per JSON-RPC batch


class GoodsTokenClient(ContractClient):
    artifact = "GoodsToken"
    prefix = "goods"

    # ------------------------------------------------------------------ reads

    def document_kind(self) -> DocumentKind:
        return DocumentKind(int(self._read(self.contract.functions.documentKind())))

    def last_token_id(self) -> int:
        return int(self._read(self.contract.functions.lastTokenId()))

    def goods(self, token_id: int) -> Goods:
        """What token `token_id` is title to (kept after release); typed error if never issued."""
        return Goods.from_chain(self._read(self.contract.functions.goods(_id(token_id))))

    def status(self, token_id: int) -> GoodsStatus:
        return GoodsStatus(int(self._read(self.contract.functions.statusOf(_id(token_id)))))

    def holder(self, token_id: int) -> str:
        """Who holds `token_id` now; empty once released (and for an id never issued)."""
        return self.token(token_id).holder

    def token(self, token_id: int) -> GoodsToken:
        found = self.tokens([token_id])
        return found[0]

    def tokens(self, token_ids: Iterable[int] | None = None) -> list[GoodsToken]:
        """Tokens by id (every token ever issued if none are named), with status and holder."""
        ids = list(range(1, self.last_token_id() + 1)) if token_ids is None else list(token_ids)
        out: list[GoodsToken] = []
        f = self.contract.functions
        for start in range(0, len(ids), _BATCH):
            chunk = [_id(i) for i in ids[start : start + _BATCH]]
            statuses = [
                GoodsStatus(int(s)) for s in self._read_many([f.statusOf(i) for i in chunk])
            ]
            unknown = [i for i, s in zip(chunk, statuses, strict=True) if s is GoodsStatus.NONE]
            if unknown:
                self.goods(unknown[0])  # raises the contract's typed GoodsUnknownToken
            reads: list[Any] = [f.goods(i) for i in chunk]
            live = [
                i for i, s in zip(chunk, statuses, strict=True) if s is not GoodsStatus.RELEASED
            ]
            reads += [f.ownerOf(i) for i in live] + [f.isTokenFrozen(i) for i in live]
            values = self._read_many(reads)
            goods = values[: len(chunk)]
            owners = dict(zip(live, values[len(chunk) : len(chunk) + len(live)], strict=True))
            frozen = dict(zip(live, values[len(chunk) + len(live) :], strict=True))
            for i, status, raw in zip(chunk, statuses, goods, strict=True):
                out.append(
                    GoodsToken(
                        token_id=i,
                        goods=Goods.from_chain(raw),
                        status=status,
                        holder=str(owners.get(i, "")),
                        frozen=bool(frozen.get(i, False)),
                    )
                )
        return out

    def held_by(self, holder: Any) -> list[GoodsToken]:
        """The tokens `holder` holds now (live or presented)."""
        address = self.suite.address_of(holder)
        return [t for t in self.tokens() if t.holder == address]

    def outstanding(self, warehouse: Any) -> list[GoodsToken]:
        """The tokens `warehouse` issued that it has not released yet."""
        address = self.suite.address_of(warehouse)
        return [
            t
            for t in self.tokens()
            if t.goods.warehouse == address and t.status is not GoodsStatus.RELEASED
        ]

    def outstanding_count(self, warehouse: Any) -> int:
        fn = self.contract.functions.outstandingOf(self.suite.address_of(warehouse))
        return int(self._read(fn))

    def balance_of(self, holder: Any) -> int:
        return int(self._read(self.contract.functions.balanceOf(self.suite.address_of(holder))))

    def is_frozen(self, holder: Any) -> bool:
        return bool(self._read(self.contract.functions.isFrozen(self.suite.address_of(holder))))

    def is_token_frozen(self, token_id: int) -> bool:
        return bool(self._read(self.contract.functions.isTokenFrozen(_id(token_id))))

    def paused(self) -> bool:
        return bool(self._read(self.contract.functions.paused()))

    def is_approved(self, holder: Any, operator: Any) -> bool:
        fn = self.contract.functions.isApprovedForAll(
            self.suite.address_of(holder), self.suite.address_of(operator)
        )
        return bool(self._read(fn))

    # ------------------------------------------------------------------ warehouse

    def issue(self, to: Any, goods: Goods) -> Call[int]:
        """Issue a token to `to` for `goods` the sending warehouse holds; the value is its id."""
        fn = self.contract.functions.issue(self.suite.address_of(to), goods.to_chain())
        return self._call(fn, "issue", result=_issued_id)

    def issue_many(self, entries: Iterable[tuple[Any, Goods]]) -> list[Call[int]]:
        """One issue per `(holder, goods)` (send them with `send_all`)."""
        return [self.issue(to, goods) for to, goods in entries]

    def release(self, token_id: int, *, ref: str = "") -> Call[None]:
        """Release the goods of a presented token and burn it (its warehouse only)."""
        fn = self.contract.functions.release(_id(token_id), to_bytes32(ref, what="reference"))
        return self._call(fn, "release")

    def refuse(self, token_id: int, *, reason: str) -> Call[None]:
        """Refuse a presentation: the token is live again (its warehouse only)."""
        fn = self.contract.functions.refuse(_id(token_id), to_bytes32(reason, what="reason"))
        return self._call(fn, "refuse")

    # ------------------------------------------------------------------ holder

    def present(self, token_id: int) -> Call[None]:
        """Present a token to its warehouse to take the goods out (its holder only)."""
        return self._call(self.contract.functions.present(_id(token_id)), "present")

    def withdraw_presentation(self, token_id: int) -> Call[None]:
        fn = self.contract.functions.withdrawPresentation(_id(token_id))
        return self._call(fn, "withdrawPresentation")

    def transfer(self, holder: Any, to: Any, token_id: int) -> Call[None]:
        """Move `token_id` from `holder` to `to` (sent by the holder or an approved operator)."""
        fn = self.contract.functions.transferFrom(
            self.suite.address_of(holder), self.suite.address_of(to), _id(token_id)
        )
        return self._call(fn, "transferFrom")

    def approve(self, spender: Any, token_id: int) -> Call[None]:
        fn = self.contract.functions.approve(self.suite.address_of(spender), _id(token_id))
        return self._call(fn, "approve")

    def set_approval_for_all(self, operator: Any, approved: bool = True) -> Call[None]:
        """Let `operator` (the delivery settlement, a goods pool) move any of the sender's."""
        fn = self.contract.functions.setApprovalForAll(self.suite.address_of(operator), approved)
        return self._call(fn, "setApprovalForAll")

    # ------------------------------------------------------------------ agent and pauser

    def set_frozen(self, holder: Any, frozen: bool, *, reason: str) -> Call[None]:
        fn = self.contract.functions.setAccountFrozen(
            self.suite.address_of(holder), frozen, to_bytes32(reason, what="reason")
        )
        return self._call(fn, "setAccountFrozen")

    def set_token_frozen(self, token_id: int, frozen: bool, *, reason: str) -> Call[None]:
        fn = self.contract.functions.setTokenFrozen(
            _id(token_id), frozen, to_bytes32(reason, what="reason")
        )
        return self._call(fn, "setTokenFrozen")

    def forced_transfer(self, token_id: int, to: Any, *, reason: str) -> Call[None]:
        fn = self.contract.functions.forcedTransfer(
            _id(token_id), self.suite.address_of(to), to_bytes32(reason, what="reason")
        )
        return self._call(fn, "forcedTransfer")

    def pause(self) -> Call[None]:
        return self._call(self.contract.functions.pause(), "pause")

    def unpause(self) -> Call[None]:
        return self._call(self.contract.functions.unpause(), "unpause")


def _id(token_id: Any) -> int:
    if isinstance(token_id, bool) or not isinstance(token_id, int) or token_id <= 0:
        raise InputError(f"a goods token id is a positive whole number, not {token_id!r}")
    return token_id


def _issued_id(outcome: Outcome[None]) -> int:
    return int(outcome.named("GoodsIssued")[0]["tokenId"])


def ids(tokens: Sequence[GoodsToken]) -> list[int]:
    return [t.token_id for t in tokens]
