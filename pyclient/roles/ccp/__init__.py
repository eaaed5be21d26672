"""The clearing house (CCP): one role, its methods grouped by desk.

    ccp = Ccp(deployment, operator_key)
    ccp.register.admit_member(address, "member-a")         # the register desk
    ccp.agent.freeze("JPY", "member-b", reason="inquiry")   # the token-agent desk
    ccp.margin.issue_margin_calls(accounts, CallType.INTRADAY)  # the margin desk
    ccp.default.declare(call_id, "missed the 14:00 call")     # the default desk
    ccp.jdr.list_series("SPY-JDR")                            # the JDR desk
    ccp.delivery.settle(delivery_id, pairs)                   # the delivery desk
    ccp.etf.novate()                                          # the ETF clearing desk

Each desk is one module here; a new area of the CCP's work is a new desk.
"""

from __future__ import annotations

from eth_account.signers.local import LocalAccount

from ...deployment import Deployment
from ..base import Role
from .agent import TokenAgentDesk
from .default import DefaultDesk
from .delivery import DeliveryDesk
from .etf import EtfDesk
from .jdr import JdrDesk
from .margin import MarginDesk
from .register import RegisterDesk


class Ccp(Role):
    """The clearing house's operations: the register, token agent powers, margin, defaults,
    JDR listings, futures physical delivery, ETF creation and redemption clearing."""

    def __init__(self, deployment: Deployment, signer: LocalAccount) -> None:
        super().__init__(deployment, signer)
        self.register = RegisterDesk(deployment, signer)
        self.agent = TokenAgentDesk(deployment, signer)
        self.margin = MarginDesk(deployment, signer)
        self.default = DefaultDesk(deployment, signer)
        self.jdr = JdrDesk(deployment, signer)
        self.delivery = DeliveryDesk(deployment, signer)
        self.etf = EtfDesk(deployment, signer)


__all__ = [
    "Ccp",
    "DefaultDesk",
    "DeliveryDesk",
    "EtfDesk",
    "JdrDesk",
    "MarginDesk",
    "RegisterDesk",
    "TokenAgentDesk",
]
