"""Kabuto's Python SDK: deploy the suite, then act as a CCP, clearing member, client or issuer.

    from pyclient import Chain, deploy, Ccp, ClearingMember, TokenIssuer
    chain = Chain.connect()                     # an embedded Anvil; or Chain.connect(rpc_url)
    keys = chain.dev_accounts()
    d = deploy(chain, keys[0])
    Ccp(d, keys[0]).admit_member(keys[1].address, "member-a")

Every failure is a `pyclient.errors.KabutoError`; see `pyclient.errors`.
"""

__version__ = "0.1.0"

from . import errors
from .access import AccountType, Kind, Participant, Status
from .chain import Chain, EmbeddedAnvil
from .collateral import AccountKind, CallStatus, MarginCall
from .deploy import Deployment, attach, deploy
from .margin import CallType, Position
from .margin.engine import MarginEngine, Portfolio
from .oracle import Purpose, RiskParameters
from .roles import Ccp, ClearingMember, Client, Oracle, Role, TokenIssuer
from .tokens import DEFAULT_ASSETS, Asset, AssetClass, AssetSpec

__all__ = [
    "DEFAULT_ASSETS",
    "AccountKind",
    "AccountType",
    "Asset",
    "AssetClass",
    "AssetSpec",
    "CallStatus",
    "CallType",
    "Ccp",
    "Chain",
    "ClearingMember",
    "Client",
    "Deployment",
    "EmbeddedAnvil",
    "Kind",
    "MarginCall",
    "MarginEngine",
    "Oracle",
    "Participant",
    "Portfolio",
    "Position",
    "Purpose",
    "RiskParameters",
    "Role",
    "Status",
    "TokenIssuer",
    "attach",
    "deploy",
    "errors",
]
