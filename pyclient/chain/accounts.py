"""Keys that sign Kabuto transactions, always locally with eth-account.

On the local chain, Anvil's well-known development keys stand in for participants. Anywhere else
keys come from the environment or an encrypted keystore; the development keys are refused there
(see `Chain.dev_accounts`).
"""

from __future__ import annotations

import json
import os
from functools import cache
from pathlib import Path

from eth_account import Account
from eth_account.signers.local import LocalAccount

from ..errors import SignerUnavailable
from .anvil import DEV_MNEMONIC

Account.enable_unaudited_hdwallet_features()


@cache
def _dev_account(index: int) -> LocalAccount:
    return Account.from_mnemonic(DEV_MNEMONIC, account_path=f"m/44'/60'/0'/0/{index}")


def dev_keys(count: int) -> list[LocalAccount]:
    """The first `count` accounts of Anvil's development mnemonic (public test keys)."""
    return [_dev_account(i) for i in range(count)]


def from_private_key(key: str) -> LocalAccount:
    """An account from a hex private key."""
    try:
        return Account.from_key(key)
    except (ValueError, TypeError) as exc:
        raise SignerUnavailable(f"not a valid private key: {exc}") from None


def from_env(variable: str = "KABUTO_PRIVATE_KEY") -> LocalAccount:
    """An account from a hex private key held in environment variable `variable`."""
    key = os.environ.get(variable)
    if not key:
        raise SignerUnavailable(f"${variable} is not set")
    return from_private_key(key)


def from_keystore(path: str | os.PathLike[str], password: str | None = None) -> LocalAccount:
    """An account from an encrypted keystore (password default: `$KABUTO_KEYSTORE_PASSWORD`)."""
    password = password if password is not None else os.environ.get("KABUTO_KEYSTORE_PASSWORD")
    if password is None:
        raise SignerUnavailable(
            "keystore password not given and $KABUTO_KEYSTORE_PASSWORD is not set"
        )
    try:
        encrypted = json.loads(Path(path).read_text())
        return Account.from_key(Account.decrypt(encrypted, password))
    except FileNotFoundError:
        raise SignerUnavailable(f"no keystore at {path}") from None
    except ValueError as exc:
        raise SignerUnavailable(f"cannot decrypt keystore {path}: {exc}") from None
