"""The participants' view of Kabuto: one object per role, one module per participant.

    ccp = Ccp(deployment, operator_key)
    ccp.register.admit_member(member_key.address, "member-a")
    issuer.issue("JPY", "member-a", 1_000_000, ref="deposit 2026-11-20")
    ClearingMember(deployment, member_key).transfer("JPY", "member-b", 250_000)

Every write returns an `Outcome`: `.receipt`, `.events` (decoded), and `.value` (what the caller
wanted: the new participant, the account id, the margin calls).
"""

from .base import Actor, Role
from .ccp import Ccp, MarginDesk, RegisterDesk, TokenAgentDesk
from .client import Client, ClientCall
from .collateral import CollateralOwner
from .issuer import TokenIssuer
from .jdr import EtfManager, Settlor, TrustBank
from .member import ClearingMember
from .oracle import Oracle
from .warehouse import Warehouse

__all__ = [
    "Actor",
    "Ccp",
    "ClearingMember",
    "Client",
    "ClientCall",
    "CollateralOwner",
    "EtfManager",
    "MarginDesk",
    "Oracle",
    "RegisterDesk",
    "Role",
    "Settlor",
    "TokenAgentDesk",
    "TokenIssuer",
    "TrustBank",
    "Warehouse",
]
