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
from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Any

from eth_abi import decode as abi_decode
from eth_account.signers.local import LocalAccount
from eth_utils import to_checksum_address
from hexbytes import HexBytes
from web3 import Web3
from web3.contract import Contract
from web3.contract.contract import ContractFunction
from web3.exceptions import ContractLogicError, TimeExhausted, Web3RPCError
from web3.types import RPCEndpoint

from .. import artifacts
from ..abi import abi_type
from ..errors import (
    ChainUnavailable,
    Formatter,
    GasLimitExceeded,
    KabutoError,
    SignerUnavailable,
    TransactionFailed,
    decode_revert,
)
from . import accounts
from .anvil import DEV_CHAIN_ID, EmbeddedAnvil, running_chain

Block = int | str  # a block number, or a tag such as "latest"

RECEIPT_TIMEOUT = 120.0
RECEIPT_POLL = 0.02  # seconds between receipt polls in `Chain.wait`
GAS_MARGIN = 1.2  # estimates are exact on one node; a margin covers state moving underneath
# And a flat allowance on top: a JDR's balance checkpoints are keyed by block time, so a move
# estimated in the second of a holder's last checkpoint only updates it, while the same move mined
# a second later writes a new one (about 20,000 gas more for each party and the supply).
GAS_HEADROOM = 60_000


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
    """One mined transaction in `Chain.gas_log`: what it was, its gas, where it landed."""

    label: str
    gas_used: int
    tx_hash: str
    block_number: int


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
        self._block_gas_limit = 0  # read with the fees

    # ------------------------------------------------------------------ connecting

    @classmethod
    def connect(
        cls,
        rpc_url: str | None = None,
        *,
        state_file: str | None = None,
        port: int | None = None,
        genesis_timestamp: int | None = None,
    ) -> Chain:
        """Connect to `rpc_url`, or start an embedded Anvil (persisted in `state_file` if given,
        its clock starting at `genesis_timestamp` if given).

        A state file is run by one node at a time: when another process already runs it (`kabuto
        chain up`, say), this connects to that node instead of starting a second one."""
        if rpc_url:
            return cls(Web3(_provider(rpc_url)))
        running = running_chain(state_file) if state_file else None
        if running:
            return cls(Web3(_provider(running)))
        node = EmbeddedAnvil(
            state_file=state_file, port=port, genesis_timestamp=genesis_timestamp
        ).start()
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

    # ------------------------------------------------------------------ calls

    def call(
        self, fn: ContractFunction, *, context: ErrorContext | None = None, block: Block = "latest"
    ) -> Any:
        """A read-only call at `block` (by default the latest); a revert is the typed error."""
        try:
            return fn.call(block_identifier=block)
        except ContractLogicError as exc:
            raise (context or ErrorContext()).decode(exc.data) from None

    def read_many(
        self,
        fns: Sequence[ContractFunction],
        *,
        context: ErrorContext | None = None,
        keep_errors: bool = False,
        block: Block = "latest",
    ) -> list[Any]:
        """Many read-only calls in one JSON-RPC batch (standard JSON-RPC, as Besu serves it), at
        `block` (by default the latest), each result decoded like `call`'s. A revert raises its
        typed error, or with `keep_errors` stands in the list in place of the result."""
        if not fns:
            return []
        at = hex(block) if isinstance(block, int) else block
        requests = [
            (RPCEndpoint("eth_call"), [{"to": fn.address, "data": fn._encode_transaction_data()},
                                       at])
            for fn in fns
        ]  # fmt: skip
        responses = self.w3.provider.make_batch_request(requests)  # type: ignore[attr-defined]
        if not isinstance(responses, list):
            raise ChainUnavailable(f"{self.url} refused a batch of {len(fns)} calls: {responses}")
        out: list[Any] = []
        for fn, response in zip(fns, responses, strict=True):  # web3 orders them by request id
            error = response.get("error")
            if error is None:
                outputs = fn.abi["outputs"]
                raw = abi_decode([abi_type(o) for o in outputs], HexBytes(response["result"]))
                values = [_as_web3(o, v) for o, v in zip(outputs, raw, strict=True)]
                out.append(values[0] if len(values) == 1 else tuple(values))
                continue
            data = error.get("data")
            if not (isinstance(data, str) and data.startswith("0x")):
                raise ChainUnavailable(f"{fn.fn_name} failed on {self.url}: {error}")
            failure = (context or ErrorContext()).decode(data)
            if not keep_errors:
                raise failure
            out.append(failure)
        return out

    # ------------------------------------------------------------------ transactions

    def build(
        self,
        fn: Any,
        sender: str,
        *,
        context: ErrorContext | None = None,
        gas: int | None = None,
        value: int = 0,
        nonce: int | None = None,
    ) -> dict[str, Any]:
        """The unsigned transaction for `fn` from `sender`, ready to sign here or elsewhere.

        Unless `gas` is given, the call is estimated: one that would revert raises its typed
        error here. Without `nonce`, the node's pending count for `sender` is used.
        """
        request = self._request(fn, sender, value)
        request["gas"] = gas if gas is not None else self._estimate(request, context)
        request["nonce"] = (
            nonce if nonce is not None else self.w3.eth.get_transaction_count(sender, "pending")
        )
        return request

    def estimate(
        self, fn: Any, sender: str, *, context: ErrorContext | None = None, value: int = 0
    ) -> int:
        """Gas `fn` needs from `sender` (`eth_estimateGas`, no safety margin). A call that would
        revert raises its typed error; one larger than the node allows, `GasLimitExceeded`."""
        return self._needed(self._request(fn, sender, value), context)

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
        typed error here and nothing is sent (no nonce is spent).
        """
        context = context or ErrorContext()
        request = self._request(fn, sender.address, value)
        request["gas"] = gas if gas is not None else self._estimate(request, context)
        request["nonce"] = self.nonces.take(sender.address)
        try:
            tx_hash = self._send_signed(sender, request)
        except Web3RPCError as exc:
            # The sender also sent from elsewhere (a transaction signed outside this client, say):
            # the counted nonce is behind the node's. Count again once.
            self.nonces.forget(sender.address)
            if "nonce too low" not in str(exc).lower():
                raise TransactionFailed(
                    f"{label or 'transaction'} was not accepted: {exc}"
                ) from None
            request["nonce"] = self.nonces.take(sender.address)
            try:
                tx_hash = self._send_signed(sender, request)
            except Web3RPCError as again:
                self.nonces.forget(sender.address)
                raise TransactionFailed(
                    f"{label or 'transaction'} was not accepted: {again}"
                ) from None
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
                pending.tx_hash, timeout=timeout, poll_latency=RECEIPT_POLL
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
        self.gas_log.append(
            GasRecord(pending.label, receipt.gas_used, receipt.tx_hash, receipt.block_number)
        )
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

    # ------------------------------------------------------------------ internals

    def _send_signed(self, sender: LocalAccount, request: dict[str, Any]) -> Any:
        return self.w3.eth.send_raw_transaction(sender.sign_transaction(request).raw_transaction)

    def _request(self, fn: Any, sender: str, value: int) -> dict[str, Any]:
        base: dict[str, Any] = {"from": sender, "value": value, "chainId": self.chain_id}
        request: dict[str, Any] = fn.build_transaction({**base, "gas": 1, **self._fee_fields()})
        request.pop("nonce", None)
        return request

    def _estimate(self, request: dict[str, Any], context: ErrorContext | None) -> int:
        # The margin never takes a call that fits in a block above what a block holds: a node
        # refuses a gas limit beyond the block's, and that call would fit.
        needed = self._needed(request, context)
        return min(int(needed * GAS_MARGIN) + GAS_HEADROOM, max(needed, self._block_gas_limit))

    def _needed(self, request: dict[str, Any], context: ErrorContext | None) -> int:
        try:
            return int(self.w3.eth.estimate_gas(_call_fields(request)))
        except ContractLogicError as exc:
            raise (context or ErrorContext()).decode(exc.data) from None
        except Web3RPCError as exc:
            if "gas required exceeds" in str(exc):
                where = (context.contract if context else None) or request.get("to", "the contract")
                raise GasLimitExceeded(
                    f"a call to {where} needs more gas than the node allows in one transaction; "
                    "split it into smaller batches"
                ) from None
            raise

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
            self._block_gas_limit = int(block["gasLimit"])
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


def _as_web3(param: dict[str, Any], value: Any) -> Any:
    """An ABI-decoded value as web3's `call()` returns it: addresses checksummed, structs as
    tuples, arrays as lists."""
    kind = param["type"]
    if kind.endswith("]"):
        element = dict(param, type=kind[: kind.rindex("[")])
        return [_as_web3(element, v) for v in value]
    if kind == "tuple":
        return tuple(_as_web3(c, v) for c, v in zip(param["components"], value, strict=True))
    if kind == "address":
        return to_checksum_address(value)
    return value


def _call_fields(request: dict[str, Any]) -> dict[str, Any]:
    """The part of a signed request that `eth_call`/`eth_estimateGas` take."""
    return {k: request[k] for k in ("from", "to", "data", "value") if k in request}


def _label_of(fn: Any) -> str:
    name = getattr(fn, "fn_name", None) or type(fn).__name__
    return str(name)
