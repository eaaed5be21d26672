"""Test, demo and benchmark helpers that only a development node (Anvil) answers.

These are the only Anvil-specific JSON-RPC calls in Kabuto: snapshots for test isolation, clock
control for deadlines, mining control (blocks mined on demand, or as transactions arrive),
impersonation, the block gas limit, and sends signed by the node itself (for bulk set-up that
nothing measures). Production code never imports this module; a permissioned network answers none
of these methods.
"""

from __future__ import annotations

import threading
from collections.abc import Callable, Iterator, Sequence
from contextlib import contextmanager
from typing import Any

from web3.types import RPCEndpoint

from ..errors import ChainUnavailable, TransactionFailed
from .client import Chain, HttpTransport

# Hardhat's EDR node (the suite's second node, tests/nodes.py) answers the same development
# methods under its own prefix; everything else here is common to both.
_HARDHAT = {
    "anvil_mine": "hardhat_mine",
    "anvil_setBalance": "hardhat_setBalance",
    "anvil_impersonateAccount": "hardhat_impersonateAccount",
    "anvil_stopImpersonatingAccount": "hardhat_stopImpersonatingAccount",
    "anvil_dropAllTransactions": "hardhat_dropAllTransactions",
}
_DIALECTS: dict[str, str] = {}  # node URL -> "anvil" or "hardhat"


def dialect(chain: Chain) -> str:
    """Which development node `chain` is ("anvil" or "hardhat"), asked once per node."""
    if chain.url not in _DIALECTS:
        version = chain.w3.provider.make_request(RPCEndpoint("web3_clientVersion"), [])
        name = str(version.get("result", "")).lower()
        _DIALECTS[chain.url] = "hardhat" if name.startswith("hardhatnetwork") else "anvil"
    return _DIALECTS[chain.url]


def rpc(chain: Chain, method: str, *params: Any) -> Any:
    """Call a node method; an error answer becomes `ChainUnavailable` naming the method."""
    if method in _HARDHAT and dialect(chain) == "hardhat":
        method = _HARDHAT[method]
    response = chain.w3.provider.make_request(RPCEndpoint(method), list(params))
    if "error" in response:
        raise ChainUnavailable(f"{method} failed on {chain.url}: {response['error']}")
    return response.get("result")


# ---------------------------------------------------------------------- snapshots


def snapshot(chain: Chain) -> str:
    """Take a snapshot of the whole chain state; returns its id for `revert`."""
    return str(rpc(chain, "evm_snapshot"))


def revert(chain: Chain, snapshot_id: str) -> None:
    """Roll the chain back to `snapshot_id`, and forget nonces counted since."""
    if not rpc(chain, "evm_revert", snapshot_id):
        raise ChainUnavailable(f"evm_revert({snapshot_id}) failed")
    chain.nonces.forget()


# ---------------------------------------------------------------------- the clock and mining


def increase_time(chain: Chain, seconds: int) -> None:
    """Move the chain clock forward by `seconds` and mine a block at the new time."""
    rpc(chain, "evm_increaseTime", seconds)
    mine(chain)


def set_next_timestamp(chain: Chain, timestamp: int) -> None:
    """Make the next block carry `timestamp` (Unix seconds), then mine it."""
    rpc(chain, "evm_setNextBlockTimestamp", timestamp)
    mine(chain)


def mine(chain: Chain, blocks: int = 1) -> None:
    rpc(chain, "anvil_mine", hex(blocks))


@contextmanager
def automine_off(chain: Chain) -> Iterator[None]:
    """Queue transactions instead of mining each as it arrives, for the `with` body."""
    rpc(chain, "evm_setAutomine", False)
    try:
        yield
    finally:
        rpc(chain, "evm_setAutomine", True)


def drop_pending(chain: Chain) -> None:
    """Forget every transaction waiting in the node's pool, as a node restarted without its pool
    would (tests of the client's recovery)."""
    rpc(chain, "anvil_dropAllTransactions")


@contextmanager
def producing_blocks(chain: Chain, *, idle: float = 0.001) -> Iterator[None]:
    """For the `with` body, blocks as a real network makes them: automine off, and a block mined
    whenever transactions wait in the pool (looked at every `idle` seconds, over a connection of
    its own), so that a burst of transactions lands in a few blocks rather than one block each.
    The benchmark measures batches this way beside one batch mined into one block."""
    stop, failed = threading.Event(), []
    transport = HttpTransport(chain.url)  # light: it shares the client's process and its GIL

    def ask(method: str) -> Any:
        try:
            response = transport.request(method, [])
        except Exception as exc:  # the connection failed
            raise ChainUnavailable(f"{method} failed on {chain.url}: {exc}") from None
        if "error" in response:
            raise ChainUnavailable(f"{method} failed on {chain.url}: {response['error']}")
        return response["result"]

    def produce() -> None:
        try:
            while not stop.is_set():
                if int(ask("txpool_status")["pending"], 16):
                    ask("evm_mine")
                else:
                    stop.wait(idle)
        except Exception as exc:  # handed to the caller once the body is done
            failed.append(exc)
        finally:
            transport.close()  # this thread's connection

    with automine_off(chain):
        producer = threading.Thread(target=produce, name="devnet-blocks", daemon=True)
        producer.start()
        try:
            yield
        finally:
            stop.set()
            producer.join()
            if int(ask("txpool_status")["pending"], 16):
                ask("evm_mine")
            transport.close()
    if failed:
        raise ChainUnavailable(f"the block producer stopped: {failed[0]}")


@contextmanager
def block_gas_limit(chain: Chain, limit: int) -> Iterator[None]:
    """Raise (or lower) the node's block gas limit for the `with` body, then restore the limit
    the latest block had before."""
    before = int(chain.w3.eth.get_block("latest")["gasLimit"])
    rpc(chain, "evm_setBlockGasLimit", hex(limit))
    try:
        yield
    finally:
        rpc(chain, "evm_setBlockGasLimit", hex(before))


def hardfork(chain: Chain) -> str | None:
    """The hardfork the node runs (`anvil_nodeInfo`; EDR's `hardhat_metadata`)."""
    if dialect(chain) == "hardhat":
        return (rpc(chain, "hardhat_metadata") or {}).get("hardfork")
    return (rpc(chain, "anvil_nodeInfo") or {}).get("hardFork")


# ---------------------------------------------------------------------- other people's keys


def set_balance(chain: Chain, address: str, wei: int) -> None:
    """Give `address` `wei` of the native currency: gas money for an impersonated sender."""
    rpc(chain, "anvil_setBalance", address, hex(wei))


@contextmanager
def impersonating(chain: Chain, address: str) -> Iterator[None]:
    """Let `node_send` send as `address` without its key, for the `with` body."""
    rpc(chain, "anvil_impersonateAccount", address)
    try:
        yield
    finally:
        rpc(chain, "anvil_stopImpersonatingAccount", address)


def node_send(
    chain: Chain,
    sender: str,
    txs: Sequence[tuple[str, str]],
    *,
    gas: int,
    progress: Callable[[int, int], None] | None = None,
) -> None:
    """Send `(to, calldata)` transactions from `sender`, signed by the node (a development account
    or an impersonated one), with automine off, then mine until all are in blocks.

    Many transactions land in each block and nothing is signed here, so thousands of set-up
    transactions take seconds; nothing measured should go this way. Unlike `Chain.send`, nothing
    is estimated first, so a transaction that reverts is mined as failed: once all are mined, their
    receipts are read (in JSON-RPC batches) and `TransactionFailed` names any that failed.
    """
    w3 = chain.w3
    nonce = w3.eth.get_transaction_count(sender, "pending")
    tip = w3.eth.max_priority_fee
    # Full blocks raise the base fee 12.5% each; a generous cap keeps every one includable.
    fee_cap = 100 * w3.eth.get_block("latest")["baseFeePerGas"] + tip
    fees = {"maxFeePerGas": hex(fee_cap), "maxPriorityFeePerGas": hex(tip)}
    hashes: list[str] = []
    with automine_off(chain):
        try:
            for i, (to, data) in enumerate(txs, 1):
                tx = {
                    "from": sender,
                    "to": to,
                    "data": data,
                    "gas": hex(gas),
                    "nonce": hex(nonce + i - 1),
                }
                hashes.append(rpc(chain, "eth_sendTransaction", tx | fees))
                if progress:
                    progress(i, len(txs))
            for _ in range(len(txs)):
                if w3.eth.get_transaction_count(sender) >= nonce + len(txs):
                    break
                mine(chain)
        finally:
            chain.nonces.forget(sender)
    mined = w3.eth.get_transaction_count(sender) - nonce
    if mined != len(txs):
        raise ChainUnavailable(f"only {mined} of {len(txs)} node-signed transactions were mined")
    failed = [i for i, ok in enumerate(_succeeded(chain, hashes)) if not ok]
    if failed:
        raise TransactionFailed(
            f"{len(failed)} of {len(txs)} node-signed transactions from {sender} reverted "
            f"(the first: txs[{failed[0]}], {hashes[failed[0]]})"
        )


def _succeeded(chain: Chain, hashes: Sequence[str], chunk: int = 500) -> list[bool]:
    """Whether each mined transaction succeeded, read in batches of `chunk` receipts."""
    out: list[bool] = []
    for i in range(0, len(hashes), chunk):
        requests = [(RPCEndpoint("eth_getTransactionReceipt"), [h]) for h in hashes[i : i + chunk]]
        responses = chain.w3.provider.make_batch_request(requests)  # type: ignore[attr-defined]
        if not isinstance(responses, list):
            raise ChainUnavailable(f"{chain.url} refused a batch of receipts: {responses}")
        out += [int(r["result"]["status"], 16) == 1 for r in responses]
    return out
