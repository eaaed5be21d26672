"""Collateral: the vault's accounts, holdings and margin calls."""

from .vault import (
    AccountKind,
    CallBatch,
    CallStatus,
    CallType,
    ClientShare,
    MarginCall,
    Skipped,
    SkipReason,
    VaultAccount,
    account_id,
    split_account_id,
)

__all__ = [
    "AccountKind",
    "CallBatch",
    "CallStatus",
    "CallType",
    "ClientShare",
    "MarginCall",
    "SkipReason",
    "Skipped",
    "VaultAccount",
    "account_id",
    "split_account_id",
]
