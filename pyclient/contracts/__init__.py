"""A client per contract: typed reads, calls built but not sent, outcomes, batch verbs.

The layer between chain plumbing (`pyclient.chain`) and the participants' role objects
(`pyclient.roles`). See `base` for `Call`, `Outcome` and `send_all`.
"""

from .base import BatchOutcome, Call, ContractClient, Outcome, Submitted, send_all
from .default_manager import DefaultManagerClient
from .market_data import MarketDataClient
from .registry import Admission, RegistryClient
from .token import TokenClient
from .vault import VaultClient

__all__ = [
    "Admission",
    "BatchOutcome",
    "Call",
    "ContractClient",
    "DefaultManagerClient",
    "MarketDataClient",
    "Outcome",
    "RegistryClient",
    "Submitted",
    "TokenClient",
    "VaultClient",
    "send_all",
]
