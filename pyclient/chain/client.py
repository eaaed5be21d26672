"""The connection to an EVM chain: local signing, nonces, receipts, typed reverts, gas records.

Everything in `pyclient` that sends a transaction goes through `Chain.send`/`Chain.transact`, so
the rules hold everywhere: a call that would revert is refused with a typed `ContractError` before
it is sent (nothing changes, no nonce is spent); nonces are kept per sender so many transactions
can go out back to back; every receipt's gas is recorded.

Only standard JSON-RPC is used here, so the same code runs against the embedded Anvil and a
permissioned Besu/QBFT network.
"""

from __future__ import annotations

import threading
import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from typing import Any

from eth_account.signers.local import LocalAccount
from hexbytes import HexBytes
from web3 import Web3
from web3.contract import Contract
from web3.contract.contract import ContractFunction
from web3.exceptions import ContractLogicError, TimeExhausted, Web3RPCError
from web3.logs import DISCARD
from web3.types import RPCEndpoint

from .. import artifacts
from ..errors import (
    ChainUnavailable,
    Formatter,
    KabutoError,
    SignerUnavailable,
    TransactionFailed,
    decode_revert,
)
from . import accounts
from .anvil import DEV_CHAIN_ID, EmbeddedAnvil

RECEIPT_TIMEOUT = 120.0
GAS_MARGIN = 1.2  # estimates are exact on one node; a margin covers state moving underneath


@dataclass(frozen=True)
class Receipt:
    """A mined, successful transaction."""

    tx_hash: str
    block_number: int
    gas_used: int
    label: str
    logs: Sequence[Any] = field(repr=False, default=())
    contract_address: str | None = None


@dataclass(frozen=True)
class GasRecord:
    label: str
    gas_used: int
    tx_hash: str


@dataclass(frozen=True)
class ErrorContext:
    """How to name things in an error raised by one call: the contract, the asset, the formatter."""

    contract: str | None = None
    asset: str | None = None
    formatter: Formatter | None = None

    def decode(self, data: Any) -> KabutoError:
        return decode_revert(
            data, contract=self.contract, formatter=self.formatter, context_asset=self.asset
        )


@dataclass
class PendingTx:
    """A transaction sent but not yet confirmed; `Chain.wait` turns it into a `Receipt`."""

    tx_hash: str
    sender: str
    request: dict[str, Any]
    label: str
    context: ErrorContext


class NonceManager:
    """Hands out nonces per sender without asking the node each time.

    The first nonce of a sender comes from the node's pending count; after that it is counted
    locally, so transactions can be pipelined. A failed send resynchronises that sender.
    """

    def __init__(self, w3: Web3) -> None:
        self._w3 = w3
        self._next: dict[str, int] = {}
        self._lock = threading.Lock()

    def take(self, address: str) -> int:
        with self._lock:
            if address not in self._next:
                self._next[address] = self._w3.eth.get_transaction_count(address, "pending")
            nonce = self._next[address]
            self._next[address] = nonce + 1
            return nonce

    def forget(self, address: str | None = None) -> None:
        """Drop cached nonces (of one sender, or all) so the next `take` asks the node again."""
        with self._lock:
            if address is None:
                self._next.clear()
            else:
                self._next.pop(address, None)


class Chain:
    """A connection to one chain, and the owner of the embedded node when there is one."""

    def __init__(self, w3: Web3, *, node: EmbeddedAnvil | None = None) -> None:
        self.w3 = w3
        self.node = node
        self.nonces = NonceManager(w3)
        self.gas_log: list[GasRecord] = []
        try:
            self.chain_id = w3.eth.chain_id
        except Exception as exc:  # any transport failure means the same thing to the user
            raise ChainUnavailable(f"no chain answers at {self.url}: {exc}") from None
        self._fees: dict[str, int] = {}
        self._fees_at = 0.0

    # ------------------------------------------------------------------ connecting

    @classmethod
    def connect(
        cls,
        rpc_url: str | None = None,
        *,
        state_file: str | None = None,
        port: int | None = None,
    ) -> Chain:
        """Connect to `rpc_url`, or start an embedded Anvil (persisted in `state_file` if given)."""
        if rpc_url:
            return cls(Web3(_provider(rpc_url)))
        node = EmbeddedAnvil(state_file=state_file, port=port).start()
        return cls(Web3(_provider(node.url)), node=node)

    @property
    def url(self) -> str:
        return str(getattr(self.w3.provider, "endpoint_uri", "?"))

    @property
    def is_local_dev(self) -> bool:
        """True on the embedded chain, or on another local development node (chain id 31337)."""
        return self.node is not None or self.chain_id == DEV_CHAIN_ID

    def dev_accounts(self, count: int = 20) -> list[LocalAccount]:
        """Anvil's development keys; refused on any chain that is not a local development chain."""
        if not self.is_local_dev:
            raise SignerUnavailable(
                f"chain {self.chain_id} is not a local development chain: development keys are "
                "refused; load keys with pyclient.chain.accounts.from_env or from_keystore"
            )
        return accounts.dev_keys(count)

    def close(self) -> None:
        if self.node is not None:
            self.node.stop()

    def __enter__(self) -> Chain:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    # ------------------------------------------------------------------ contracts

    def contract(self, name: str, address: str) -> Contract:
        """A web3 contract object for artifact `name` at `address`."""
        return self.w3.eth.contract(address=address, abi=artifacts.load(name).abi)

    def deploy(
        self, name: str, args: Sequence[Any], sender: LocalAccount, *, label: str | None = None
    ) -> tuple[Contract, Receipt]:
        """Deploy artifact `name` with constructor `args`; returns the contract and receipt."""
        receipt = self.wait(self.send_deploy(name, args, sender, label=label))
        assert receipt.contract_address is not None
        return self.contract(name, receipt.contract_address), receipt

    def send_deploy(
        self, name: str, args: Sequence[Any], sender: LocalAccount, *, label: str | None = None
    ) -> PendingTx:
        """Send the deployment of artifact `name` without waiting (see `wait`)."""
        art = artifacts.load(name)
        factory = self.w3.eth.contract(abi=art.abi, bytecode=art.bytecode)
        return self.send(
            factory.constructor(*args), sender, label=label or f"deploy.{name}",
            context=ErrorContext(contract=name),
        )  # fmt: skip

    def events(self, contract: Contract, event: str, receipt: Receipt) -> list[dict[str, Any]]:
        """The `event` logs that `contract` emitted in `receipt`, decoded (others are skipped)."""
        raw = self.w3.eth.get_transaction_receipt(receipt.tx_hash)
        decoded = getattr(contract.events, event)().process_receipt(raw, errors=DISCARD)
        return [dict(e.args) for e in decoded if e.address == contract.address]

    # ------------------------------------------------------------------ calls

    def call(self, fn: ContractFunction, *, context: ErrorContext | None = None) -> Any:
        """A read-only call; a revert becomes the typed error."""
        try:
            return fn.call()
        except ContractLogicError as exc:
            raise (context or ErrorContext()).decode(exc.data) from None

    # ------------------------------------------------------------------ transactions

    def send(
        self,
        fn: Any,
        sender: LocalAccount,
        *,
        label: str | None = None,
        context: ErrorContext | None = None,
        gas: int | None = None,
        value: int = 0,
    ) -> PendingTx:
        """Sign and send `fn` (a contract function or constructor call) from `sender`.

        Unless `gas` is given, the call is first estimated: a call that would revert raises its
        typed error here and nothing is sent.
        """
        context = context or ErrorContext()
        base: dict[str, Any] = {"from": sender.address, "value": value, "chainId": self.chain_id}
        request = fn.build_transaction({**base, "gas": 1, **self._fee_fields()})
        request.pop("nonce", None)
        if gas is None:
            gas = self._estimate(request, context)
        request["gas"] = gas
        request["nonce"] = self.nonces.take(sender.address)
        signed = sender.sign_transaction(request)
        try:
            tx_hash = self.w3.eth.send_raw_transaction(signed.raw_transaction)
        except Web3RPCError as exc:
            self.nonces.forget(sender.address)
            raise TransactionFailed(f"{label or 'transaction'} was not accepted: {exc}") from None
        return PendingTx(
            tx_hash=HexBytes(tx_hash).to_0x_hex(),
            sender=sender.address,
            request=request,
            label=label or _label_of(fn),
            context=context,
        )

    def wait(self, pending: PendingTx, *, timeout: float = RECEIPT_TIMEOUT) -> Receipt:
        """Wait for `pending` to be mined; a revert on chain becomes the typed error."""
        try:
            raw = self.w3.eth.wait_for_transaction_receipt(
                pending.tx_hash, timeout=timeout, poll_latency=0.02
            )
        except TimeExhausted:
            raise TransactionFailed(f"{pending.label}: no receipt after {timeout:.0f}s") from None
        if raw["status"] != 1:
            raise self._explain_failure(pending, raw["blockNumber"])
        receipt = Receipt(
            tx_hash=pending.tx_hash,
            block_number=raw["blockNumber"],
            gas_used=raw["gasUsed"],
            label=pending.label,
            logs=raw["logs"],
            contract_address=raw.get("contractAddress"),
        )
        self.gas_log.append(GasRecord(pending.label, receipt.gas_used, receipt.tx_hash))
        return receipt

    def transact(
        self,
        fn: Any,
        sender: LocalAccount,
        *,
        label: str | None = None,
        context: ErrorContext | None = None,
        gas: int | None = None,
        value: int = 0,
    ) -> Receipt:
        """Send and wait: the usual way to change state."""
        return self.wait(self.send(fn, sender, label=label, context=context, gas=gas, value=value))

    def transact_many(
        self,
        calls: Sequence[tuple[Any, LocalAccount]],
        *,
        label: str | None = None,
        context: ErrorContext | None = None,
        progress: Callable[[int, int], None] | None = None,
    ) -> list[Receipt]:
        """Send every call back to back (pipelined nonces), then wait for all receipts in order."""
        pending = []
        for i, (fn, sender) in enumerate(calls, 1):
            pending.append(self.send(fn, sender, label=label, context=context))
            if progress:
                progress(i, len(calls))
        return [self.wait(p) for p in pending]

    # ------------------------------------------------------------------ internals

    def _estimate(self, request: dict[str, Any], context: ErrorContext) -> int:
        try:
            return int(self.w3.eth.estimate_gas(_call_fields(request)) * GAS_MARGIN)
        except ContractLogicError as exc:
            raise context.decode(exc.data) from None

    def _explain_failure(self, pending: PendingTx, block: int) -> KabutoError:
        # Replaying the call on the state before its block recovers the revert data; an
        # out-of-gas failure has none, and the node says so in its own words.
        call = _call_fields(pending.request) | {"gas": pending.request["gas"]}
        try:
            self.w3.eth.call(call, block - 1)
            why = "replaying it gave no reason"
        except ContractLogicError as exc:
            return pending.context.decode(exc.data)
        except Web3RPCError as exc:
            why = f"the node says {exc.rpc_response.get('error', {}).get('message', exc)!r}"
        return TransactionFailed(
            f"{pending.label} reverted in block {block} (tx {pending.tx_hash}): {why}; with a gas "
            f"limit of {pending.request['gas']:,} it most likely ran out of gas"
        )

    def _fee_fields(self) -> dict[str, int]:
        # Fees change slowly; asking once a second keeps pipelined sends to one RPC each.
        now = time.monotonic()
        if now - self._fees_at > 1.0:
            block = self.w3.eth.get_block("latest")
            base_fee = block.get("baseFeePerGas")
            if base_fee is None:
                self._fees = {"gasPrice": self.w3.eth.gas_price}
            else:
                tip = self.w3.eth.max_priority_fee
                self._fees = {"maxFeePerGas": 2 * base_fee + tip, "maxPriorityFeePerGas": tip}
            self._fees_at = now
        return self._fees


def _provider(url: str) -> Web3.HTTPProvider:
    # web3 validates every call against the chain id; a connection's chain id never changes, so
    # it is the one answer worth caching (block and state reads must stay live).
    return Web3.HTTPProvider(
        url,
        request_kwargs={"timeout": 60},
        cache_allowed_requests=True,
        cacheable_requests={RPCEndpoint("eth_chainId")},
    )


def _call_fields(request: dict[str, Any]) -> dict[str, Any]:
    """The part of a signed request that `eth_call`/`eth_estimateGas` take."""
    return {k: request[k] for k in ("from", "to", "data", "value") if k in request}


def _label_of(fn: Any) -> str:
    name = getattr(fn, "fn_name", None) or type(fn).__name__
    return str(name)
