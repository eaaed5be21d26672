"""Test and demo helpers that only a development node (Anvil) answers.

These are the only Anvil-specific JSON-RPC calls in `pyclient`: snapshots for test isolation and
clock control for deadlines. Production code never imports this module.
"""

from __future__ import annotations

from .client import Chain


def snapshot(chain: Chain) -> str:
    """Take a snapshot of the whole chain state; returns its id for `revert`."""
    return chain.w3.provider.make_request("evm_snapshot", [])["result"]


def revert(chain: Chain, snapshot_id: str) -> None:
    """Roll the chain back to `snapshot_id`, and forget nonces counted since."""
    result = chain.w3.provider.make_request("evm_revert", [snapshot_id])
    if not result.get("result"):
        raise RuntimeError(f"evm_revert({snapshot_id}) failed: {result}")
    chain.nonces.forget()


def increase_time(chain: Chain, seconds: int) -> None:
    """Move the chain clock forward by `seconds` and mine a block at the new time."""
    chain.w3.provider.make_request("evm_increaseTime", [seconds])
    mine(chain)


def set_next_timestamp(chain: Chain, timestamp: int) -> None:
    """Make the next block carry `timestamp` (Unix seconds), then mine it."""
    chain.w3.provider.make_request("evm_setNextBlockTimestamp", [timestamp])
    mine(chain)


def mine(chain: Chain, blocks: int = 1) -> None:
    chain.w3.provider.make_request("anvil_mine", [hex(blocks)])
