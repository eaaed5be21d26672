"""Collateral: the vault's accounts, holdings and margin calls."""

from .vault import (
    AccountKind,
    CallStatus,
    CallType,
    MarginCall,
    VaultAccount,
    account_id,
    split_account_id,
)

__all__ = [
    "AccountKind",
    "CallStatus",
    "CallType",
    "MarginCall",
    "VaultAccount",
    "account_id",
    "split_account_id",
]
