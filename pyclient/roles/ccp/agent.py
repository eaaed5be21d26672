"""The CCP's token-agent desk: freezes, forced transfers and pauses (AGENT_ROLE, PAUSER_ROLE)."""

from __future__ import annotations

from typing import Any

from ...access.permissions import roles_of
from ...contracts.base import Outcome
from ...contracts.token import TokenClient
from ...errors import InputError
from ...goods.model import DocumentKind
from ...tokens.asset import Asset
from ...units import Amount
from ..base import Actor

TOKEN_ROLES = roles_of(TokenClient.artifact)  # the issuer, agent and pauser roles


class TokenAgentDesk(Actor):
    """Powers over tokens that act without the holder's consent, each with its own event."""

    def freeze(self, asset: str | Asset, who: Any, *, reason: str) -> Outcome[None]:
        """Freeze `who`'s whole holding of `asset`: it can neither send nor receive."""
        return self.send(self.deployment.token(asset).set_frozen(who, True, reason=reason))

    def unfreeze(self, asset: str | Asset, who: Any, *, reason: str) -> Outcome[None]:
        return self.send(self.deployment.token(asset).set_frozen(who, False, reason=reason))

    def freeze_tokens(
        self, asset: str | Asset, who: Any, amount: Amount, *, reason: str
    ) -> Outcome[None]:
        """Freeze part of `who`'s holding; the rest keeps moving."""
        return self.send(self.deployment.token(asset).freeze_tokens(who, amount, reason=reason))

    def unfreeze_tokens(
        self, asset: str | Asset, who: Any, amount: Amount, *, reason: str
    ) -> Outcome[None]:
        return self.send(self.deployment.token(asset).unfreeze_tokens(who, amount, reason=reason))

    def forced_transfer(
        self, asset: str | Asset, source: Any, destination: Any, amount: Amount, *, reason: str
    ) -> Outcome[None]:
        """Move `amount` from `source` to `destination` without `source`'s consent."""
        call = self.deployment.token(asset).forced_transfer(
            source, destination, amount, reason=reason
        )
        return self.send(call)

    def pause(self, asset: str | Asset) -> Outcome[None]:
        """Halt ordinary transfers of `asset` (the issuer and the agent keep working)."""
        return self.send(self.deployment.token(asset).pause())

    def unpause(self, asset: str | Asset) -> Outcome[None]:
        return self.send(self.deployment.token(asset).unpause())

    # ------------------------------------------------------------------ goods tokens

    def freeze_goods_holder(
        self, kind: DocumentKind, who: Any, frozen: bool = True, *, reason: str
    ) -> Outcome[None]:
        """Freeze (or unfreeze) `who` on delivery orders or warehouse receipts as a whole."""
        return self.send(
            self.deployment.goods_documents(kind).set_frozen(who, frozen, reason=reason)
        )

    def freeze_goods(
        self, kind: DocumentKind, token_id: int, frozen: bool = True, *, reason: str
    ) -> Outcome[None]:
        """Freeze (or unfreeze) one goods token: it moves only by forced transfer, and its goods
        are not released."""
        documents = self.deployment.goods_documents(kind)
        return self.send(documents.set_token_frozen(token_id, frozen, reason=reason))

    def force_goods(
        self, kind: DocumentKind, token_id: int, destination: Any, *, reason: str
    ) -> Outcome[None]:
        """Move goods token `token_id` to `destination` without its holder's consent (a
        presentation in progress ends)."""
        documents = self.deployment.goods_documents(kind)
        return self.send(documents.forced_transfer(token_id, destination, reason=reason))

    def pause_goods(self, kind: DocumentKind, paused: bool = True) -> Outcome[None]:
        """Halt (or resume) ordinary transfers of delivery orders or warehouse receipts."""
        documents = self.deployment.goods_documents(kind)
        return self.send(documents.pause() if paused else documents.unpause())

    def grant_token_role(self, asset: str | Asset, role: str, account: Any) -> Outcome[None]:
        """Give `account` one of a token's operating roles (issuer, agent, pauser)."""
        if role not in TOKEN_ROLES:
            known = ", ".join(sorted(TOKEN_ROLES))
            raise InputError(f"unknown token role {role!r}; token roles: {known}")
        return self.send(self.deployment.token(asset).grant_role(role, account))
