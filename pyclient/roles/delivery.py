"""What a party to a physical delivery does on delivery day: the short delivers goods tokens, the
long pays their invoice value, each into its pair of the delivery the CCP opened.

    member.deliver(delivery_id, pair, [order_1, order_2])   # before the delivery cut-off
    member.pay(delivery_id, pair, 3_123_000)                 # before the payment cut-off

Each method approves the delivery settlement for what its call moves, and only that: the tokens
delivered (one approval each, none already given), the yen paid (`Role._drawing`). The chain
judges the call first, so a call that would be refused (a token of the wrong commodity, a payment
beyond the invoice, a cut-off passed) sends nothing, approvals included. A clearing member mixes
this in (`ClearingMember`); the CCP settles and closes (`Ccp.delivery`).
"""

from __future__ import annotations

from collections.abc import Sequence

from .. import errors
from ..contracts.base import Outcome
from ..contracts.delivery import DeliverySettlementClient
from ..contracts.goods import GoodsTokenClient
from ..errors import DeploymentMismatch
from ..goods.delivery import Pair
from ..goods.model import GoodsStatus
from ..units import Amount
from .base import Role


class DeliveryParty(Role):
    """A short delivering goods tokens, or a long paying for them, in a delivery's pair."""

    @property
    def _settlement(self) -> DeliverySettlementClient:
        return self.deployment.delivery

    def delivery_pairs(self, delivery_id: int) -> list[Pair]:
        """The pairs of delivery `delivery_id` this participant is short or long in."""
        return [p for p in self._settlement.pairs(delivery_id) if self.address in (p.short, p.long)]

    def deliver(self, delivery_id: int, pair: int, token_ids: Sequence[int]) -> Outcome[list[int]]:
        """Deliver goods tokens `token_ids` (this participant's, in delivery order) into pair
        `pair`, as its short; the value is the ids delivered. Tokens the settlement may not yet
        move are approved to it one by one, after the delivery itself has been judged."""
        settlement = self._settlement
        call = settlement.deliver(delivery_id, pair, token_ids)
        try:
            return self.send(call)
        except errors.ERC721InsufficientApproval:
            # The goods token judges status, freezes and pauses before approval, so only a token
            # that is not ours can still be behind this error: refuse it, approve nothing.
            goods = self._goods(settlement.terms(delivery_id).goods)
            ids = list(token_ids)
            self._check_held(goods, ids)
            if not goods.is_approved(self, settlement.address):
                fns = [goods.contract.functions.getApproved(t) for t in ids]
                approved = self.deployment.chain.read_many(fns)
                self.send_all(
                    [
                        goods.approve(settlement.address, t)
                        for t, spender in zip(ids, approved, strict=True)
                        if spender != settlement.address
                    ]
                )
            return self.send(call)

    def pay(self, delivery_id: int, pair: int, amount_jpy: Amount) -> Outcome[int]:
        """Pay `amount_jpy` into pair `pair`, as its long (no more than the invoice of what has
        been delivered, less what was paid); the value is what has been paid in all."""
        settlement = self._settlement
        call = settlement.pay(delivery_id, pair, amount_jpy)
        cash = self.deployment.asset(settlement.cash_address())
        return self._drawing(call, settlement.address, [(cash, amount_jpy)])

    # ------------------------------------------------------------------ helpers

    def _goods(self, address: str) -> GoodsTokenClient:
        for client in self.deployment.parts.values():
            if isinstance(client, GoodsTokenClient) and client.address == address:
                return client
        raise DeploymentMismatch(f"goods token {address} is not part of this deployment")

    def _check_held(self, goods: GoodsTokenClient, token_ids: list[int]) -> None:
        """Refuse, as the goods token would once approved, whatever else would stop a delivery of
        these tokens: the first unapproved one hid the rest from the chain's judgement. A token
        this participant lacks, one not live or frozen; transfers paused; this participant
        frozen on the token or not active."""
        context = {"contract": goods.label, "formatter": self.deployment}
        me = self.deployment.participant(self.address)
        if not me.active:
            raise errors.ParticipantNotActive(
                {"account": self.address, "status": me.status},
                contract=self.deployment.registry.label,
                formatter=self.deployment,
            )
        if goods.paused():
            raise errors.EnforcedPause({}, **context)
        if goods.is_frozen(self.address):
            raise errors.GoodsAccountFrozen({"account": self.address}, **context)
        for token in goods.tokens(token_ids):
            if token.holder != self.address:
                raise errors.ERC721IncorrectOwner(
                    {"sender": self.address, "tokenId": token.token_id, "owner": token.holder},
                    **context,
                )
            if token.status is not GoodsStatus.LIVE:
                raise errors.GoodsWrongStatus(
                    {"tokenId": token.token_id, "status": token.status,
                     "required": GoodsStatus.LIVE},
                    **context,
                )  # fmt: skip
            if token.frozen:
                raise errors.GoodsTokenFrozen({"tokenId": token.token_id}, **context)
