"""Kabuto's Python SDK: deploy the suite, then act as a CCP, clearing member, client or issuer.

    from pyclient import Chain, deploy, Ccp, ClearingMember, TokenIssuer
    chain = Chain.connect()                     # an embedded Anvil; or Chain.connect(rpc_url)
    keys = chain.dev_accounts()
    d = deploy(chain, keys[0])
    member = Ccp(d, keys[0]).register.admit_member(keys[1].address, "member-a").value

Every write returns an `Outcome` (receipt, decoded events, value); every failure is a
`pyclient.errors.KabutoError`. The layers, bottom up: `chain` (plumbing), `contracts` (a client
per contract), `deployment` (the suite), `views`/`events`/`valuation`/`reconcile` (reading the
ledger), `margin` (the risk engine), `roles` (the participants); see docs/architecture.md.
"""

from . import errors
from .access import AccountType, Kind, Participant, Status
from .chain import Chain, EmbeddedAnvil
from .collateral import AccountKind, CallStatus, CallType, MarginCall
from .contracts import Admission, BatchOutcome, Call, Outcome, send_all
from .deployment import KABUTO_VERSION, SUITE, Deployment, Duties, attach, deploy
from .jdr.model import CancelPolicy, Operation, Trigger
from .margin import Position
from .margin.engine import MarginEngine, Portfolio
from .oracle import Purpose, Quote, RiskParameters
from .roles import (
    Ccp,
    ClearingMember,
    Client,
    EtfManager,
    Oracle,
    Role,
    Settlor,
    TokenIssuer,
    TrustBank,
)
from .tokens import DEFAULT_ASSETS, Asset, AssetClass, AssetSpec

__version__ = KABUTO_VERSION

__all__ = [
    "DEFAULT_ASSETS",
    "SUITE",
    "AccountKind",
    "AccountType",
    "Admission",
    "Asset",
    "AssetClass",
    "AssetSpec",
    "BatchOutcome",
    "Call",
    "CallStatus",
    "CallType",
    "CancelPolicy",
    "Ccp",
    "Chain",
    "ClearingMember",
    "Client",
    "Deployment",
    "Duties",
    "EmbeddedAnvil",
    "EtfManager",
    "Kind",
    "MarginCall",
    "MarginEngine",
    "Operation",
    "Oracle",
    "Outcome",
    "Participant",
    "Portfolio",
    "Position",
    "Purpose",
    "Quote",
    "RiskParameters",
    "Role",
    "Settlor",
    "Status",
    "TokenIssuer",
    "Trigger",
    "TrustBank",
    "attach",
    "deploy",
    "errors",
    "send_all",
]
