"""The connection to an EVM chain: local signing, nonces, receipts, typed reverts, gas records.

Everything in `pyclient` that sends a transaction goes through `Chain` (`transact`, `send`,
`send_many`), so the rules hold everywhere: a call that would revert is refused with a typed
`ContractError` before it is sent (nothing changes, no nonce is spent); nonces are kept per sender
so many transactions can go out back to back; every receipt's gas is recorded.

What a transaction costs the client is kept small, because a clearing day is thousands of them:

* gas is estimated once per shape of call (contract, function, calldata length); every later call
  of that shape is checked with one `eth_call` at the estimated gas, which proves it would not
  revert and that the gas suffices, and a call whose check fails is estimated afresh (a revert is
  then its typed error, as before);
* many calls go to the node as JSON-RPC batches: their checks, their sends and their receipts;
* a single send uses `eth_sendRawTransactionSync` (send and receipt in one round trip) when the
  node offers it, which is asked once per connection; otherwise receipts are polled, briefly at
  first and less often the longer a block takes;
* a dropped connection or a restarted node loses no transaction and sends none twice: what was
  signed is resent byte for byte (a transaction can be mined once only), after asking the node
  which it already has; a nonce taken meanwhile by another transaction is re-read from the node.

Only standard JSON-RPC is relied on here, so the same code runs against the embedded Anvil and a
permissioned Besu/QBFT network.
"""

from __future__ import annotations

import base64
import functools
import http.client
import itertools
import json
import re
import threading
import time
import urllib.parse
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from typing import Any, TypeVar

import coincurve
import requests
from eth_abi import decode as abi_decode
from eth_abi import encode as abi_encode
from eth_account.signers.local import LocalAccount
from eth_hash.auto import keccak
from eth_utils import function_abi_to_4byte_selector, to_canonical_address, to_checksum_address
from hexbytes import HexBytes
from web3 import Web3
from web3._utils.method_formatters import log_entry_formatter
from web3.contract import Contract
from web3.contract.contract import ContractFunction
from web3.datastructures import AttributeDict
from web3.exceptions import ContractLogicError, Web3RPCError
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
T = TypeVar("T")

STARTING = 30.0  # seconds to wait for a node another process is starting on a state file
RECEIPT_TIMEOUT = 120.0
HTTP_TIMEOUT = 60.0  # seconds a request may take (a synchronous send waits for its block)
RECEIPT_POLL_FIRST = 0.001  # seconds before the second receipt poll; doubled after each poll...
RECEIPT_POLL = 0.05  # ...up to this: a block is usually there within milliseconds or seconds
RESEND_AFTER = 2.0  # seconds without a receipt before asking whether the node still has the txs
RECONNECT_TIMEOUT = 60.0  # how long a lost connection is retried before `ChainUnavailable`
BATCH_SIZE = 500  # requests per JSON-RPC batch (Besu accepts 1,024 by default)
IN_FLIGHT = 1_000  # unconfirmed transactions `send_all` lets one sender have at once
GAS_MARGIN = 1.2  # estimates are exact on one node; a margin covers state moving underneath
# And a flat allowance on top: a JDR's balance checkpoints are keyed by block time, so a move
# estimated in the second of a holder's last checkpoint only updates it, while the same move mined
# a second later writes a new one (about 20,000 gas more for each party and the supply).
GAS_HEADROOM = 60_000
PHASES = ("estimate", "build", "sign", "send", "receipt")

SEND = "eth_sendRawTransaction"
SEND_SYNC = "eth_sendRawTransactionSync"  # EIP-7966
_NONCE_TOO_LOW = re.compile(r"nonce.{0,3}too.{0,3}low", re.IGNORECASE)
_OUT_OF_GAS = re.compile(r"gas required exceeds|out of gas", re.IGNORECASE)
_NO_SUCH_METHOD = re.compile(
    r"method|not (found|available|supported|enabled|exist)|unsupported|unknown", re.IGNORECASE
)
# What a lost connection looks like through web3's HTTP provider; the request may or may not have
# reached the node.
_TRANSPORT_ERRORS = (requests.exceptions.RequestException, ConnectionError, TimeoutError)


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
    """A transaction signed and sent but not yet confirmed; `Chain.wait` turns it into a `Receipt`.

    It keeps the signed bytes, so that a transaction the node lost (a dropped connection, a
    restart) can be sent again as it was: the same nonce and hash, so it is mined once at most."""

    tx_hash: str
    sender: str
    request: dict[str, Any]
    label: str
    context: ErrorContext
    raw: bytes = field(default=b"", repr=False)
    signer: Any = field(default=None, repr=False)  # re-signs if another tx took the nonce
    receipt: dict[str, Any] | None = field(default=None, repr=False)  # from a synchronous send


class PhaseTimes:
    """Where the client's own time goes, summed over the transactions it sent: estimating (and
    checking), building, signing, sending, and waiting for receipts (`Chain.timings`)."""

    def __init__(self) -> None:
        self.seconds: dict[str, float] = dict.fromkeys(PHASES, 0.0)
        self.transactions = 0

    def reset(self) -> None:
        self.seconds = dict.fromkeys(PHASES, 0.0)
        self.transactions = 0

    def per_transaction_ms(self) -> dict[str, float]:
        n = max(self.transactions, 1)
        return {phase: 1000 * s / n for phase, s in self.seconds.items()}


class NonceManager:
    """Hands out nonces per sender without asking the node each time.

    The first nonce of a sender comes from the node's pending count; after that it is counted
    locally, so transactions can be pipelined. A failed send resynchronises that sender.
    """

    def __init__(self, w3: Web3, *, count: Callable[[str], int] | None = None) -> None:
        self._w3 = w3
        self._count = count or (lambda address: w3.eth.get_transaction_count(address, "pending"))
        self._next: dict[str, int] = {}
        self._lock = threading.Lock()

    def take(self, address: str, count: int = 1) -> int:
        """The next nonce of `address` (the first of `count` consecutive ones)."""
        with self._lock:
            if address not in self._next:
                self._next[address] = self._count(address)
            nonce = self._next[address]
            self._next[address] = nonce + count
            return nonce

    def forget(self, address: str | None = None) -> None:
        """Drop cached nonces (of one sender, or all) so the next `take` asks the node again."""
        with self._lock:
            if address is None:
                self._next.clear()
            else:
                self._next.pop(address, None)


class _Lost(Exception):
    """The connection failed: the request may or may not have reached the node."""


class Chain:
    """A connection to one chain, and the owner of the embedded node when there is one."""

    def __init__(self, w3: Web3, *, node: EmbeddedAnvil | None = None) -> None:
        self.w3 = w3
        self.node = node
        self.nonces = NonceManager(w3, count=self._pending_count)
        self.gas_log: list[GasRecord] = []
        self.timings = PhaseTimes()
        # Whether the node offers `eth_sendRawTransactionSync`: None until first asked; set it to
        # False to poll for receipts whatever the node offers.
        self.sync_send: bool | None = None
        self.batch_size = BATCH_SIZE
        # How sends, checks and receipts reach the node (reads through web3 go through w3).
        self.transport: HttpTransport | ProviderTransport = ProviderTransport(w3.provider)
        try:
            self.chain_id = w3.eth.chain_id
        except Exception as exc:  # any transport failure means the same thing to the user
            raise _unreachable(self.url, exc) from None
        self._fees: dict[str, int] = {}
        self._fees_at = 0.0
        self._block_gas_limit = 0  # read with the fees
        self._needs: dict[tuple[Any, ...], int] = {}  # gas needed, per shape of call
        self._encoders: dict[str, tuple[bytes, list[str]]] = {}  # per function signature
        self._keys: dict[str, coincurve.PrivateKey] = {}

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
        node = None
        url = rpc_url or (running_chain(state_file, wait=STARTING) if state_file else None)
        if not url:
            node = EmbeddedAnvil(
                state_file=state_file, port=port, genesis_timestamp=genesis_timestamp
            ).start()
            url = node.url
        chain = cls(Web3(_provider(url)), node=node)
        chain.transport = HttpTransport(url, timeout=HTTP_TIMEOUT)
        return chain

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
        if isinstance(self.transport, HttpTransport):
            self.transport.close()
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
        art = artifacts.load(name)
        factory = self.w3.eth.contract(abi=art.abi, bytecode=art.bytecode)
        receipt = self.transact(
            factory.constructor(*args), sender, label=label or f"deploy.{name}",
            context=ErrorContext(contract=name),
        )  # fmt: skip
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
        """A read-only call at `block` (by default the latest); a revert is the typed error. A
        lost connection is retried for `RECONNECT_TIMEOUT`, then is `ChainUnavailable`."""

        def once() -> Any:
            try:
                return fn.call(block_identifier=block)
            except ContractLogicError as exc:
                raise (context or ErrorContext()).decode(_logic_data(exc)) from None

        return self._retried(once, _TRANSPORT_ERRORS)

    def _retried(self, attempt: Callable[[], T], lost: tuple[type[Exception], ...]) -> T:
        """`attempt()`, tried again with a growing pause while it fails with one of `lost` (a
        connection lost: only for what reads), for `RECONNECT_TIMEOUT`; then `ChainUnavailable`
        saying why in a few words."""
        deadline, delay = time.monotonic() + RECONNECT_TIMEOUT, 0.05
        while True:
            try:
                return attempt()
            except lost as exc:
                if time.monotonic() > deadline:
                    raise _unreachable(self.url, exc) from None
            time.sleep(delay)
            delay = min(2 * delay, 1.0)

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
        responses = self._read_batch(
            [("eth_call", [{"to": fn.address, "data": self._data(fn)}, at]) for fn in fns]
        )
        out: list[Any] = []
        for fn, response in zip(fns, responses, strict=True):
            error = response.get("error")
            if error is None:
                outputs = fn.abi["outputs"]
                raw = abi_decode([abi_type(o) for o in outputs], HexBytes(response["result"]))
                values = [_as_web3(o, v) for o, v in zip(outputs, raw, strict=True)]
                out.append(values[0] if len(values) == 1 else tuple(values))
                continue
            data = _error_data(error)
            if data is None:
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

        Unless `gas` is given, the call is checked: one that would revert raises its typed error
        here. Without `nonce`, the node's pending count for `sender` is used.
        """
        request = self._request(fn, sender, value)
        request["gas"] = gas if gas is not None else self.gas_limit(request, context)
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
        """Sign and send `fn` (a contract function or constructor call) from `sender`, without
        waiting for it to be mined (`wait` does).

        Unless `gas` is given, the call is first checked: a call that would revert raises its
        typed error here and nothing is sent (no nonce is spent).
        """
        return self._send_one(fn, sender, label, context, gas, value, sync=False)

    def wait(self, pending: PendingTx, *, timeout: float = RECEIPT_TIMEOUT) -> Receipt:
        """Wait for `pending` to be mined; a revert on chain becomes the typed error."""
        return self.wait_many([pending], timeout=timeout)[0]

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
        """Send and wait: the usual way to change state. Where the node offers it, the send and
        the receipt are one round trip (`eth_sendRawTransactionSync`)."""
        return self.wait(self._send_one(fn, sender, label, context, gas, value, sync=True))

    # ------------------------------------------------------------------ many transactions

    def requests_for(self, fns: Sequence[Any], sender: str, value: int = 0) -> list[dict[str, Any]]:
        """The unsigned requests (no gas, no nonce yet) for many calls from `sender`."""
        start = time.perf_counter()
        out = [self._request(fn, sender, value) for fn in fns]
        self.timings.seconds["build"] += time.perf_counter() - start
        return out

    def gas_limits(
        self, requests: Sequence[dict[str, Any]], contexts: Sequence[ErrorContext | None]
    ) -> list[int | None]:
        """The gas limit each request is sent with, or None where its check failed: it would
        revert on the latest state, or the node refused to estimate it. Checked in JSON-RPC
        batches: an estimate for the first call of each shape not seen before, an `eth_call` at
        the estimated gas for every other. `gas_limit` gives the reason of a failure."""
        start = time.perf_counter()
        try:
            return self._gas_limits(requests)
        finally:
            self.timings.seconds["estimate"] += time.perf_counter() - start

    def gas_limit(self, request: dict[str, Any], context: ErrorContext | None = None) -> int:
        """The gas limit one request is sent with: checked as `gas_limits` does, and a call whose
        check fails is estimated, so that a call that would revert raises its typed error."""
        limit = self.gas_limits([request], [context])[0]
        if limit is not None:
            return limit
        start = time.perf_counter()
        try:
            needed = self._needed(request, context)
        finally:
            self.timings.seconds["estimate"] += time.perf_counter() - start
        return self._margin(needed)

    def send_many(
        self,
        requests: Sequence[dict[str, Any]],
        signer: LocalAccount,
        *,
        labels: Sequence[str],
        contexts: Sequence[ErrorContext],
    ) -> list[PendingTx]:
        """Sign requests whose gas is set, with consecutive nonces, and send them: the first
        alone (the node's answer to it, on nonce, fees or funds, holds for the rest), the rest as
        JSON-RPC batches. Nothing is awaited (`wait_many` does)."""
        if not requests:
            return []
        first = self.nonces.take(signer.address, len(requests))
        pendings = [
            self._signed(signer, dict(r, nonce=first + i), label, context)
            for i, (r, label, context) in enumerate(zip(requests, labels, contexts, strict=True))
        ]
        try:
            self._post(pendings[0], sync=False)
            if pendings[0].request["nonce"] != first:  # the node's count moved: go on from it
                for p in pendings[1:]:
                    self._resign(p, self.nonces.take(signer.address))
            rest = pendings[1:]
            if rest:
                start = time.perf_counter()
                try:
                    responses = self._batch([(SEND, [_hex(p.raw)]) for p in rest])
                    refused = [p for p, r in zip(rest, responses, strict=True) if "error" in r]
                except _Lost:
                    refused = rest  # some may have arrived: `_ensure_sent` asks the node which
                finally:
                    self.timings.seconds["send"] += time.perf_counter() - start
                if refused:
                    self._ensure_sent(refused)
        except Exception:
            self.nonces.forget(signer.address)  # whatever was not sent, the node counts again
            raise
        return pendings

    def wait_many(
        self, pendings: Sequence[PendingTx], *, timeout: float = RECEIPT_TIMEOUT
    ) -> list[Receipt]:
        """Wait for every transaction to be mined, polling their receipts in JSON-RPC batches;
        one that reverted on chain raises its typed error once all are mined. A transaction the
        node no longer has (it restarted, say) is sent again, as it was signed."""
        start = time.perf_counter()
        try:
            raw = self._await(pendings, timeout)
        finally:
            self.timings.seconds["receipt"] += time.perf_counter() - start
        receipts: list[Receipt] = []
        failure: KabutoError | None = None
        for pending, r in zip(pendings, raw, strict=True):
            if int(r["status"], 16) != 1:
                failure = failure or self._explain_failure(pending, int(r["blockNumber"], 16))
                continue
            receipt = _receipt(pending, r)
            self.gas_log.append(
                GasRecord(pending.label, receipt.gas_used, receipt.tx_hash, receipt.block_number)
            )
            receipts.append(receipt)
        if failure is not None:
            raise failure
        return receipts

    # ------------------------------------------------------------------ sending, inside

    def _send_one(
        self,
        fn: Any,
        sender: LocalAccount,
        label: str | None,
        context: ErrorContext | None,
        gas: int | None,
        value: int,
        *,
        sync: bool,
    ) -> PendingTx:
        context = context or ErrorContext()
        request = self.requests_for([fn], sender.address, value)[0]
        request["gas"] = gas if gas is not None else self.gas_limit(request, context)
        request["nonce"] = self.nonces.take(sender.address)
        pending = self._signed(sender, request, label or _label_of(fn), context)
        try:
            self._post(pending, sync=sync)
        except Exception:
            self.nonces.forget(sender.address)  # if it was not sent, the node counts again
            raise
        return pending

    def _signed(
        self, signer: LocalAccount, request: dict[str, Any], label: str, context: ErrorContext
    ) -> PendingTx:
        pending = PendingTx("", signer.address, request, label, context, signer=signer)
        self._resign(pending, request["nonce"])
        self.timings.transactions += 1
        return pending

    def _resign(self, pending: PendingTx, nonce: int) -> None:
        """Sign `pending` (again) with `nonce`."""
        start = time.perf_counter()
        pending.request["nonce"] = nonce
        pending.raw = self._sign(pending.signer, pending.request)
        pending.tx_hash = "0x" + keccak(pending.raw).hex()
        self.timings.seconds["sign"] += time.perf_counter() - start

    def _post(self, pending: PendingTx, *, sync: bool, retried: bool = False) -> None:
        """Send one signed transaction; with `sync`, synchronously where the node offers it."""
        method = SEND_SYNC if sync and self._offers_sync() else SEND
        start = time.perf_counter()
        try:
            response = self._rpc(method, [_hex(pending.raw)])
        except _Lost:
            response = None
        finally:
            self.timings.seconds["send"] += time.perf_counter() - start
        if response is None:
            self._ensure_sent([pending])
            return
        error = response.get("error")
        if error is None:
            if method == SEND_SYNC and isinstance(response.get("result"), dict):
                pending.receipt = response["result"]
            return
        if method == SEND_SYNC and _no_such_method(error):
            self.sync_send = False
            self._post(pending, sync=False, retried=retried)
            return
        if self._known([pending]):  # accepted after all: a synchronous send that timed out, say
            return
        message = str(error.get("message", error))
        # The sender also sent from elsewhere (a transaction signed outside this client, say): the
        # counted nonce is behind the node's. Count again once.
        self.nonces.forget(pending.sender)
        if not _NONCE_TOO_LOW.search(message) or retried:
            raise TransactionFailed(f"{pending.label} was not accepted: {message}")
        self._resign(pending, self.nonces.take(pending.sender))
        self._post(pending, sync=sync, retried=True)

    def _ensure_sent(self, pendings: Sequence[PendingTx]) -> None:
        """Make sure the node has every one of `pendings`: ask it which it has (by hash) and send
        the others again as they were signed, one at a time in nonce order (a node that mines as
        transactions arrive may refuse a nonce ahead of its count, as Hardhat's does), until it
        has them all. A lost connection is retried for `RECONNECT_TIMEOUT`; a refusal, three
        times, then it is `TransactionFailed`."""
        deadline = time.monotonic() + RECONNECT_TIMEOUT
        delay, refusals = 0.05, 0
        while True:
            try:
                missing = sorted(self._unknown(pendings), key=lambda p: p.request["nonce"])
                refused = self._resend(missing)
                if refused is None:
                    return
                refusals += 1
                if refusals >= 3:
                    pending, message = refused
                    self.nonces.forget(pending.sender)
                    behind = sum(p.request["nonce"] > pending.request["nonce"] for p in missing)
                    raise TransactionFailed(
                        f"{pending.label} was not accepted: {message}"
                        + (f" ({behind} more wait behind it)" if behind else "")
                    )
            except _Lost as exc:
                if time.monotonic() > deadline:
                    raise ChainUnavailable(
                        f"lost the connection to {self.url} while sending "
                        f"{len(pendings)} transaction(s), and it did not come back within "
                        f"{RECONNECT_TIMEOUT:.0f}s: {exc}"
                    ) from None
            time.sleep(delay)
            delay = min(2 * delay, 1.0)

    def _resend(self, missing: Sequence[PendingTx]) -> tuple[PendingTx, str] | None:
        """Send `missing` (in nonce order) again, one at a time; the first the node refuses, with
        its words, or None. One whose nonce another transaction took (a transaction signed
        elsewhere) is signed again with a nonce read from the node, and sent."""
        for pending in missing:
            for attempt in range(2):
                error = self._rpc(SEND, [_hex(pending.raw)]).get("error")
                if error is None or self._known([pending]):  # accepted, or there already
                    break
                message = str(error.get("message", error))
                if attempt or not _NONCE_TOO_LOW.search(message):
                    return pending, message
                self.nonces.forget(pending.sender)
                self._resign(pending, self.nonces.take(pending.sender))
        return None

    def _await(self, pendings: Sequence[PendingTx], timeout: float) -> list[dict[str, Any]]:
        """The raw receipt of each of `pendings`, once all are mined."""
        found: dict[int, dict[str, Any]] = {
            i: p.receipt for i, p in enumerate(pendings) if p.receipt is not None
        }
        waiting = [i for i in range(len(pendings)) if i not in found]
        deadline = time.monotonic() + timeout
        last_news = time.monotonic()
        delay = RECEIPT_POLL_FIRST
        while waiting:
            lost = False
            try:
                answers = self._batch(
                    [("eth_getTransactionReceipt", [pendings[i].tx_hash]) for i in waiting]
                )
                for i, answer in zip(waiting, answers, strict=True):
                    if answer.get("result"):
                        found[i] = answer["result"]
                        last_news = time.monotonic()
            except _Lost:
                lost = True
            waiting = [i for i in waiting if i not in found]
            if not waiting:
                break
            now = time.monotonic()
            if now > deadline:
                first = pendings[waiting[0]]
                raise TransactionFailed(f"{first.label}: no receipt after {timeout:.0f}s")
            if lost or now - last_news > RESEND_AFTER:
                self._ensure_sent([pendings[i] for i in waiting])
                last_news = time.monotonic()
            time.sleep(delay)
            delay = min(2 * delay, RECEIPT_POLL)
        return [found[i] for i in range(len(pendings))]

    def _known(self, pendings: Sequence[PendingTx]) -> bool:
        """Whether the node has all of `pendings` (waiting or mined)."""
        try:
            return not self._unknown(pendings)
        except _Lost:
            return False

    def _unknown(self, pendings: Sequence[PendingTx]) -> list[PendingTx]:
        answers = self._batch([("eth_getTransactionByHash", [p.tx_hash]) for p in pendings])
        return [p for p, a in zip(pendings, answers, strict=True) if not a.get("result")]

    def _offers_sync(self) -> bool:
        """Whether the node offers `eth_sendRawTransactionSync`, asked once per connection with a
        transaction that cannot decode: a node that has the method says so; one without it
        answers that there is no such method."""
        if self.sync_send is None:
            try:
                error = self._rpc(SEND_SYNC, ["0x"]).get("error")
            except _Lost:
                return False
            self.sync_send = error is not None and not _no_such_method(error)
        return self.sync_send

    # ------------------------------------------------------------------ gas, inside

    def _gas_limits(self, requests: Sequence[dict[str, Any]]) -> list[int | None]:
        out: list[int | None] = [None] * len(requests)
        shapes = [_shape(r) for r in requests]
        # The first call of each shape not seen before is estimated (as is every deployment).
        fresh: dict[Any, int] = {}
        for i, shape in enumerate(shapes):
            if shape is None or (shape not in self._needs and shape not in fresh):
                fresh[shape if shape is not None else ("deploy", i)] = i
        estimated = set(fresh.values())
        failed = self._estimate_into(out, requests, sorted(estimated))
        # Every other call is checked at its shape's need, up to the first failure (nothing after
        # a failed call is sent before it is settled).
        stop = min(failed, default=len(requests))
        checked = [i for i in range(stop) if i not in estimated and shapes[i] in self._needs]
        if not checked:
            return out
        answers = self._read_batch(
            [("eth_call", [_json_call(requests[i], gas=self._needs[shapes[i]]), "latest"])
             for i in checked]
        )  # fmt: skip
        short = []
        for i, answer in zip(checked, answers, strict=True):
            if "error" not in answer:
                out[i] = self._margin(self._needs[shapes[i]])
            elif not _revert_data(answer["error"]):
                short.append(i)  # no revert reason: out of gas at the cached need, most likely
        self._estimate_into(out, requests, short)
        return out

    def _estimate_into(
        self, out: list[int | None], requests: Sequence[dict[str, Any]], indices: list[int]
    ) -> list[int]:
        """Estimate `requests[i]` for each i in `indices` (one batch) into `out`, remembering each
        need by shape; returns the indices whose estimate failed."""
        if not indices:
            return []
        answers = self._read_batch(
            [("eth_estimateGas", [_json_call(requests[i])]) for i in indices]
        )
        failed = []
        for i, answer in zip(indices, answers, strict=True):
            if "error" in answer:
                failed.append(i)
                continue
            needed = int(answer["result"], 16)
            self._remember(requests[i], needed)
            out[i] = self._margin(needed)
        return failed

    def _remember(self, request: dict[str, Any], needed: int) -> None:
        shape = _shape(request)
        if shape is not None:
            self._needs[shape] = max(self._needs.get(shape, 0), needed)

    def _margin(self, needed: int) -> int:
        # The margin never takes a call that fits in a block above what a block holds: a node
        # refuses a gas limit beyond the block's, and that call would fit.
        return min(int(needed * GAS_MARGIN) + GAS_HEADROOM, max(needed, self._block_gas_limit))

    def _needed(self, request: dict[str, Any], context: ErrorContext | None) -> int:
        """`eth_estimateGas` of `request`: a revert raises its typed error; a call larger than the
        node allows in one transaction, `GasLimitExceeded`."""
        (answer,) = self._read_batch([("eth_estimateGas", [_json_call(request)])])
        if "error" not in answer:
            needed = int(answer["result"], 16)
            self._remember(request, needed)
            return needed
        error, context = answer["error"], context or ErrorContext()
        message, data = str(error.get("message", error)), _error_data(error)
        where = context.contract or request.get("to", "the contract")
        if _OUT_OF_GAS.search(message):  # estimated up to the cap, and it did not fit
            raise GasLimitExceeded(
                f"a call to {where} needs more gas than the node allows in one transaction; "
                "split it into smaller batches"
            )
        if data is not None:
            raise context.decode(data)  # its reason (none at all: "0x")
        if "revert" in message.lower():
            raise context.decode(None)
        raise TransactionFailed(f"the node could not estimate a call to {where}: {message}")

    def _explain_failure(self, pending: PendingTx, block: int) -> KabutoError:
        # Replaying the call on the state before its block recovers the revert data; an
        # out-of-gas failure has none, and the node says so in its own words.
        call = _call_fields(pending.request) | {"gas": pending.request["gas"]}
        try:
            self.w3.eth.call(call, block - 1)  # type: ignore[arg-type]
            why = "replaying it gave no reason"
        except ContractLogicError as exc:
            data = _logic_data(exc)
            if (isinstance(data, str) and len(data) > 2) or not _OUT_OF_GAS.search(exc.message):
                return pending.context.decode(data)  # its reason, or that it gave none
            why = f"the node says {exc.message!r}"  # Hardhat's words for running out of gas
        except Web3RPCError as exc:
            why = f"the node says {exc.rpc_response.get('error', {}).get('message', exc)!r}"
        except _TRANSPORT_ERRORS:
            why = "the node could not be asked why"
        return TransactionFailed(
            f"{pending.label} reverted in block {block} (tx {pending.tx_hash}): {why}; with a gas "
            f"limit of {pending.request['gas']:,} it most likely ran out of gas"
        )

    # ------------------------------------------------------------------ building and signing

    def _request(self, fn: Any, sender: str, value: int) -> dict[str, Any]:
        base: dict[str, Any] = {"from": sender, "value": value, "chainId": self.chain_id}
        if isinstance(fn, ContractFunction) and fn.address:
            return {**base, **self._fee_fields(), "to": fn.address, "data": self._data(fn)}
        request: dict[str, Any] = fn.build_transaction({**base, "gas": 1, **self._fee_fields()})
        request.pop("nonce", None)
        return request

    def _data(self, fn: ContractFunction) -> str:
        """The calldata of `fn`: encoded here with the function's ABI types; arguments only web3
        understands (an ENS name, a hex string for bytes) take web3's slower way."""
        key = getattr(fn, "abi_element_identifier", None)  # "transfer(address,uint256)"
        if not isinstance(key, str) or "(" not in key or fn.kwargs:
            return str(fn._encode_transaction_data())
        encoder = self._encoders.get(key)
        if encoder is None:
            abi = fn.abi
            encoder = (function_abi_to_4byte_selector(abi), [abi_type(i) for i in abi["inputs"]])
            self._encoders[key] = encoder
        try:
            return "0x" + (encoder[0] + abi_encode(encoder[1], fn.args)).hex()
        except Exception:  # eth_abi is strict: whatever it refuses, web3 normalises or explains
            return str(fn._encode_transaction_data())

    def _sign(self, signer: Any, request: dict[str, Any]) -> bytes:
        """The signed transaction's bytes. A local key signs here directly (RLP and secp256k1,
        as eth-account would, byte for byte); any other signer signs through eth-account."""
        key = self._key_of(signer)
        raw = _sign_fast(key, request) if key is not None else None
        if raw is None:
            raw = bytes(signer.sign_transaction(request).raw_transaction)
        return raw

    def _key_of(self, signer: Any) -> coincurve.PrivateKey | None:
        if not isinstance(signer, LocalAccount):
            return None
        key = self._keys.get(signer.address)
        if key is None:
            key = self._keys[signer.address] = coincurve.PrivateKey(bytes(signer.key))
        return key

    def _fee_fields(self) -> dict[str, int]:
        # Fees change slowly; asking once a second (one batch) keeps many sends to few requests.
        now = time.monotonic()
        if now - self._fees_at > 1.0:
            block, tip, price = self._read_batch(
                [("eth_getBlockByNumber", ["latest", False]), ("eth_maxPriorityFeePerGas", []),
                 ("eth_gasPrice", [])]
            )  # fmt: skip
            if "error" in block:
                raise ChainUnavailable(f"{self.url} did not give its latest block: {block}")
            self._block_gas_limit = int(block["result"]["gasLimit"], 16)
            base_fee = block["result"].get("baseFeePerGas")
            if base_fee is None:
                gas_price = _quantity(price)
                self._fees = {"gasPrice": self.w3.eth.gas_price if gas_price is None else gas_price}
            else:
                tip_wei = _quantity(tip)
                if tip_wei is None:  # a node without the method: web3 works it out from history
                    tip_wei = self.w3.eth.max_priority_fee
                self._fees = {
                    "maxFeePerGas": 2 * int(base_fee, 16) + tip_wei,
                    "maxPriorityFeePerGas": tip_wei,
                }
            self._fees_at = now
        return self._fees

    def _pending_count(self, address: str) -> int:
        """The node's count of `address`'s transactions, those waiting in its pool included: the
        next nonce."""
        (answer,) = self._read_batch([("eth_getTransactionCount", [address, "pending"])])
        count = _quantity(answer)
        if count is None:
            raise ChainUnavailable(f"{self.url} did not count {address}'s transactions: {answer}")
        return count

    # ------------------------------------------------------------------ JSON-RPC

    def _rpc(self, method: str, params: list[Any]) -> dict[str, Any]:
        """One request, its raw answer (an error is an answer); `_Lost` when the connection
        fails."""
        return self.transport.request(method, params)

    def _batch(self, calls: Sequence[tuple[str, list[Any]]]) -> list[dict[str, Any]]:
        """Many requests as JSON-RPC batches of `batch_size`, their raw answers in order."""
        if len(calls) == 1:
            return [self._rpc(*calls[0])]
        out: list[dict[str, Any]] = []
        for i in range(0, len(calls), self.batch_size):
            chunk = calls[i : i + self.batch_size]
            answers = self.transport.batch(chunk)
            if not isinstance(answers, list) or len(answers) != len(chunk):
                raise ChainUnavailable(f"{self.url} refused a batch of {len(chunk)}: {answers}")
            out += answers
        return out

    def _read_batch(self, calls: Sequence[tuple[str, list[Any]]]) -> list[dict[str, Any]]:
        """`_batch` for requests that read only, retried while the connection is lost."""
        return self._retried(lambda: self._batch(calls), (_Lost,))


class ProviderTransport:
    """JSON-RPC through the web3 provider the chain was made with (any provider web3 has)."""

    def __init__(self, provider: Any) -> None:
        self.provider = provider

    def request(self, method: str, params: list[Any]) -> dict[str, Any]:
        try:
            return dict(self.provider.make_request(RPCEndpoint(method), params))
        except _TRANSPORT_ERRORS as exc:
            raise _Lost(str(exc)) from None

    def batch(self, calls: Sequence[tuple[str, list[Any]]]) -> Any:
        try:  # web3 orders a batch's answers by request id
            return self.provider.make_batch_request([(RPCEndpoint(m), p) for m, p in calls])
        except _TRANSPORT_ERRORS as exc:
            raise _Lost(str(exc)) from None


class HttpTransport:
    """JSON-RPC over HTTP(S), one kept-alive connection per thread: about a tenth of a
    millisecond a request where web3's provider spends half a millisecond, which counts when a
    transaction is two requests. `Chain.connect` uses it; any other provider goes through
    `ProviderTransport`."""

    def __init__(self, url: str, *, timeout: float = 60.0) -> None:
        parts = urllib.parse.urlsplit(url)
        self._connection = (
            http.client.HTTPSConnection if parts.scheme == "https" else http.client.HTTPConnection
        )
        self._host, self._port = parts.hostname or "localhost", parts.port
        self._path = (parts.path or "/") + (f"?{parts.query}" if parts.query else "")
        self._headers = {"Content-Type": "application/json"}
        if parts.username:
            user = f"{parts.username}:{parts.password or ''}".encode()
            self._headers["Authorization"] = "Basic " + base64.b64encode(user).decode()
        self._timeout = timeout
        self._local = threading.local()
        self._ids = itertools.count(1)

    def request(self, method: str, params: list[Any]) -> dict[str, Any]:
        answer = self._post({"jsonrpc": "2.0", "id": next(self._ids), "method": method,
                             "params": params})  # fmt: skip
        if not isinstance(answer, dict):
            raise _Lost(f"a request to {method} was answered with {answer!r}")
        return answer

    def batch(self, calls: Sequence[tuple[str, list[Any]]]) -> Any:
        payload = [{"jsonrpc": "2.0", "id": next(self._ids), "method": m, "params": p}
                   for m, p in calls]  # fmt: skip
        answers = self._post(payload)
        if isinstance(answers, list):
            answers.sort(key=lambda a: a.get("id") or 0)
        return answers

    def close(self) -> None:
        connection = getattr(self._local, "connection", None)
        if connection is not None:
            connection.close()
            self._local.connection = None

    def _post(self, payload: Any) -> Any:
        connection = getattr(self._local, "connection", None)
        if connection is None:
            connection = self._connection(self._host, self._port, timeout=self._timeout)
            self._local.connection = connection
        try:
            connection.request("POST", self._path, json.dumps(payload).encode(), self._headers)
            response = connection.getresponse()
            body = response.read()
        except (OSError, http.client.HTTPException) as exc:
            self.close()
            raise _Lost(f"{type(exc).__name__}: {exc}") from None
        try:
            return json.loads(body)
        except ValueError:
            self.close()
            raise _Lost(f"HTTP {response.status}: {body[:200]!r}") from None


def _provider(url: str) -> Web3.HTTPProvider:
    # web3 validates every call against the chain id; a connection's chain id never changes, so
    # it is the one answer worth caching (block and state reads must stay live).
    return Web3.HTTPProvider(
        url,
        request_kwargs={"timeout": HTTP_TIMEOUT},
        cache_allowed_requests=True,
        cacheable_requests={RPCEndpoint("eth_chainId")},
    )


def _sign_fast(key: coincurve.PrivateKey, request: dict[str, Any]) -> bytes | None:
    """`request` signed by `key`: an EIP-1559 transaction, or a legacy one under EIP-155; None
    for any other kind (eth-account signs those)."""
    try:
        to = _canonical(request["to"]) if request.get("to") else b""
        data = bytes(HexBytes(request.get("data") or b""))
        common = [request["nonce"], request["gas"], to, request.get("value", 0), data]
        chain_id = request["chainId"]
        if "maxFeePerGas" in request and "gasPrice" not in request:
            if request.get("accessList"):
                return None
            tip, cap = request["maxPriorityFeePerGas"], request["maxFeePerGas"]
            fields = [chain_id, common[0], tip, cap, *common[1:], []]
            v, r, s = _signature(key, keccak(b"\x02" + _rlp(fields)))
            return b"\x02" + _rlp([*fields, v, r, s])
        if "gasPrice" in request and "maxFeePerGas" not in request:
            fields = [common[0], request["gasPrice"], *common[1:]]
            v, r, s = _signature(key, keccak(_rlp([*fields, chain_id, 0, 0])))
            return _rlp([*fields, v + 35 + 2 * chain_id, r, s])
    except (KeyError, TypeError, ValueError):
        return None
    return None


@functools.lru_cache(maxsize=1024)
def _canonical(address: str) -> bytes:
    return to_canonical_address(address)


def _signature(key: coincurve.PrivateKey, digest: bytes) -> tuple[int, int, int]:
    signature = key.sign_recoverable(digest, hasher=None)  # r (32), s (32), recovery id (1)
    r, s = int.from_bytes(signature[:32], "big"), int.from_bytes(signature[32:64], "big")
    return signature[64], r, s


def _rlp(item: int | bytes | list[Any]) -> bytes:
    """Recursive-length prefix encoding of unsigned integers, byte strings and lists of them: what
    a transaction is made of (the `rlp` package does the same, more slowly)."""
    if isinstance(item, list):
        payload = b"".join([_rlp(i) for i in item])
        return _rlp_length(len(payload), 0xC0) + payload
    if isinstance(item, int):
        if item < 0:
            raise ValueError("RLP encodes unsigned integers only")
        item = item.to_bytes((item.bit_length() + 7) // 8, "big")
    if len(item) == 1 and item[0] < 0x80:
        return bytes(item)
    return _rlp_length(len(item), 0x80) + bytes(item)


def _rlp_length(length: int, offset: int) -> bytes:
    if length < 56:
        return bytes([offset + length])
    size = length.to_bytes((length.bit_length() + 7) // 8, "big")
    return bytes([offset + 55 + len(size)]) + size


class _Logs(Sequence[Any]):
    """A receipt's logs as web3 formats them (checksummed addresses, bytes, integers), formatted
    when first read: most receipts of a batch are never looked into."""

    def __init__(self, raw: list[dict[str, Any]]) -> None:
        self._raw = raw
        self._formatted: list[Any] | None = None

    def _all(self) -> list[Any]:
        if self._formatted is None:
            self._formatted = [AttributeDict.recursive(log_entry_formatter(x)) for x in self._raw]
        return self._formatted

    def __getitem__(self, index: Any) -> Any:
        return self._all()[index]

    def __len__(self) -> int:
        return len(self._raw)

    def __eq__(self, other: object) -> bool:
        return list(self) == list(other) if isinstance(other, Sequence) else NotImplemented

    def __repr__(self) -> str:
        return repr(self._all())


def _receipt(pending: PendingTx, raw: dict[str, Any]) -> Receipt:
    """A raw receipt (as the node sent it) as a `Receipt`, its logs as web3 formats them."""
    created = raw.get("contractAddress")
    return Receipt(
        tx_hash=pending.tx_hash,
        block_number=int(raw["blockNumber"], 16),
        gas_used=int(raw["gasUsed"], 16),
        label=pending.label,
        logs=_Logs(raw["logs"]),
        contract_address=to_checksum_address(created) if created else None,
    )


def _shape(request: dict[str, Any]) -> tuple[Any, ...] | None:
    """What a call's gas mostly depends on, whoever sends it: the contract, the function, the
    calldata's length (arrays' lengths) and whether it carries value. None for a deployment."""
    to = request.get("to")
    if not to:
        return None
    data = str(request.get("data") or "0x")
    return (to, data[:10], len(data), bool(request.get("value")))


def _error_data(error: dict[str, Any]) -> str | None:
    """The revert data of a JSON-RPC error: `data` (Anvil, Geth, Besu), or `data.data` (Hardhat
    and EDR); None when the node gave none."""
    data = error.get("data")
    if isinstance(data, dict):
        data = data.get("data")
    return data if isinstance(data, str) and data.startswith("0x") else None


def _unreachable(url: str, exc: BaseException) -> ChainUnavailable:
    return ChainUnavailable(f"no chain answers at {url}: {_why_unreachable(exc)}")


def _why_unreachable(exc: BaseException) -> str:
    """A transport failure in a few words (`connection refused`, `host not found`), not the
    connection pool's nested repr."""
    text = str(exc)
    for pattern, words in (
        (r"Connection refused|ECONNREFUSED", "connection refused (is the node running?)"),
        (r"Name or service not known|Failed to resolve|nodename nor servname", "host not found"),
        (r"timed out|Timeout", "timed out"),
        (r"Connection reset|RemoteDisconnected|aborted", "connection dropped"),
        (r"No route to host|Network is unreachable", "network unreachable"),
    ):
        if re.search(pattern, text):
            return words
    return text.splitlines()[0][:200] if text else type(exc).__name__


def _logic_data(exc: ContractLogicError) -> Any:
    """The revert data web3 found in a node's error (a dict of its own on Hardhat and EDR)."""
    data = exc.data
    return data.get("data") if isinstance(data, dict) else data


def _revert_data(error: dict[str, Any]) -> bool:
    """Whether a JSON-RPC error carries a revert reason (at least an error selector)."""
    return len(_error_data(error) or "") >= 10


def _no_such_method(error: dict[str, Any]) -> bool:
    return error.get("code") in (-32601, -32604) or bool(
        _NO_SUCH_METHOD.search(str(error.get("message", "")))
    )


def _quantity(answer: dict[str, Any]) -> int | None:
    """A JSON-RPC answer's hex number, or None when the node answered with an error."""
    result = answer.get("result")
    return int(result, 16) if isinstance(result, str) else None


def _hex(raw: bytes) -> str:
    return "0x" + raw.hex()


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


def _json_call(request: dict[str, Any], gas: int | None = None) -> dict[str, Any]:
    """`_call_fields` as JSON-RPC takes them, with a gas limit if given."""
    out = {k: request[k] for k in ("from", "to", "data") if request.get(k)}
    out["value"] = hex(request.get("value", 0))
    if gas is not None:
        out["gas"] = hex(gas)
    return out


def _label_of(fn: Any) -> str:
    name = getattr(fn, "fn_name", None) or type(fn).__name__
    return str(name)
