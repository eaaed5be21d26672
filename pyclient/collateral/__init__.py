"""Collateral: the vault's accounts, holdings and margin calls."""

from .vault import (
    AccountKind,
    CallBatch,
    CallStatus,
    CallType,
    ClientShare,
    MarginCall,
    Posting,
    ShareStatus,
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
    "Posting",
    "ShareStatus",
    "SkipReason",
    "Skipped",
    "VaultAccount",
    "account_id",
    "split_account_id",
]
