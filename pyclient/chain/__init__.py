"""Chain plumbing: the embedded node, connections, keys, transactions."""

from .accounts import dev_keys, from_env, from_keystore, from_private_key
from .anvil import EmbeddedAnvil
from .client import Chain, ErrorContext, GasRecord, NonceManager, PendingTx, Receipt

__all__ = [
    "Chain",
    "EmbeddedAnvil",
    "ErrorContext",
    "GasRecord",
    "NonceManager",
    "PendingTx",
    "Receipt",
    "dev_keys",
    "from_env",
    "from_keystore",
    "from_private_key",
]
