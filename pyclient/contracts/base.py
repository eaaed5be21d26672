"""Calls built but not sent, what a sent call comes back with, and the base of every client.

A contract client (one per contract of the suite, in this package) turns business arguments into
a `Call`: the contract function with its arguments checked and converted, nothing sent yet. With a
`Call` one can

* `estimate(sender)`: the gas it needs; a call that would revert raises its typed error;
* `transaction(sender)`: the unsigned transaction, to sign elsewhere (a custody system, say);
* `send(signer)`: sign, send, wait, and get an `Outcome`: the receipt, the decoded events, and the
  value the caller wanted (the new participant, the account id, the margin calls);
* `submit(signer)`: send without waiting, for pipelining (`send_all` does that for many calls).

Refusals are typed and nothing is sent: the call is checked first (estimated, or for a call of a
shape already estimated, run once at that gas), so a call that would revert is refused before it
spends a nonce.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass, field, replace
from functools import cached_property
from typing import Any, ClassVar, Generic, Protocol, TypeVar

from eth_account.signers.local import LocalAccount
from eth_utils import event_abi_to_log_topic
from web3.contract import Contract

from ..access.permissions import role_id
from ..chain.client import IN_FLIGHT, Chain, ErrorContext, PendingTx, Receipt
from ..errors import InputError
from ..events import DecodedEvent
from ..tokens.asset import Asset

T = TypeVar("T")
U = TypeVar("U")
BatchProgress = Callable[[int, int], None]  # (sent so far, in all)


class Suite(Protocol):
    """What a client needs from the deployment it belongs to (a `Deployment` is one)."""

    chain: Chain
    deploy_block: int

    def errors_for(self, contract: str, asset: Asset | None = None) -> ErrorContext: ...

    def decode(self, logs: Iterable[Mapping[str, Any]]) -> list[DecodedEvent]: ...

    def address_of(self, ref: Any) -> str: ...

    def asset(self, ref: Any) -> Asset: ...

    def chain_time(self) -> int: ...


# ---------------------------------------------------------------------- outcomes


@dataclass(frozen=True)
class Outcome(Generic[T]):
    """A mined transaction: its receipt, its events (decoded on first use) and its value."""

    receipt: Receipt
    value: T
    _decode: Callable[[Receipt], list[DecodedEvent]] = field(repr=False, compare=False)

    @cached_property
    def events(self) -> tuple[DecodedEvent, ...]:
        """Every event the suite's contracts emitted in this transaction, in order."""
        return tuple(self._decode(self.receipt))

    def named(self, name: str) -> list[DecodedEvent]:
        """The events called `name`, in order."""
        return [e for e in self.events if e.name == name]

    @property
    def gas_used(self) -> int:
        return self.receipt.gas_used

    @property
    def tx_hash(self) -> str:
        return self.receipt.tx_hash

    @property
    def block_number(self) -> int:
        return self.receipt.block_number


@dataclass(frozen=True)
class BatchOutcome(Generic[T]):
    """Many mined transactions sent as one batch, and the value the caller wanted of them all."""

    outcomes: tuple[Outcome[Any], ...]
    value: T

    @property
    def receipts(self) -> list[Receipt]:
        return [o.receipt for o in self.outcomes]

    @property
    def events(self) -> list[DecodedEvent]:
        return [e for o in self.outcomes for e in o.events]

    def named(self, name: str) -> list[DecodedEvent]:
        return [e for o in self.outcomes for e in o.named(name)]

    @property
    def gas_used(self) -> int:
        return sum(o.gas_used for o in self.outcomes)

    def __len__(self) -> int:
        return len(self.outcomes)


# ---------------------------------------------------------------------- calls


@dataclass(frozen=True)
class Submitted(Generic[T]):
    """A call sent and not yet mined; `wait()` gives its `Outcome`."""

    call: Call[T]
    pending: PendingTx

    def wait(self) -> Outcome[T]:
        return self.call.outcome(self.call.suite.chain.wait(self.pending))


@dataclass(frozen=True)
class Call(Generic[T]):
    """One contract call with its arguments checked and converted, not sent yet."""

    suite: Suite
    fn: Any  # web3 ContractFunction
    label: str  # "vault.deposit": names the transaction in gas records and messages
    errors: ErrorContext
    result: Callable[[Outcome[None]], T] | None = field(default=None, repr=False)

    @property
    def to(self) -> str:
        return str(self.fn.address)

    @property
    def data(self) -> str:
        """The calldata, hex."""
        return str(self.fn._encode_transaction_data())

    def estimate(self, sender: Any) -> int:
        """Gas the call needs from `sender` (name, address or role); refusals are typed."""
        return self.suite.chain.estimate(
            self.fn, self.suite.address_of(sender), context=self.errors
        )

    def transaction(
        self, sender: Any, *, gas: int | None = None, nonce: int | None = None
    ) -> dict[str, Any]:
        """The unsigned transaction from `sender`, to sign elsewhere (estimated unless `gas`)."""
        return self.suite.chain.build(
            self.fn, self.suite.address_of(sender), context=self.errors, gas=gas, nonce=nonce
        )

    def submit(self, signer: LocalAccount, *, gas: int | None = None) -> Submitted[T]:
        """Sign and send without waiting (checked first unless `gas` is given)."""
        pending = self.suite.chain.send(
            self.fn, signer, label=self.label, context=self.errors, gas=gas
        )
        return Submitted(self, pending)

    def send(self, signer: LocalAccount, *, gas: int | None = None) -> Outcome[T]:
        """Sign, send and wait for the receipt: the usual way to change state."""
        receipt = self.suite.chain.transact(
            self.fn, signer, label=self.label, context=self.errors, gas=gas
        )
        return self.outcome(receipt)

    def outcome(self, receipt: Receipt) -> Outcome[T]:
        """What `receipt` of this call means: its events and the value the caller wanted."""
        outcome: Outcome[Any] = Outcome(receipt, None, self._decode)
        if self.result is not None:
            # Set in place: the value is read from the same outcome, events decoded once.
            object.__setattr__(outcome, "value", self.result(outcome))
        return outcome

    def then(self, result: Callable[[Outcome[None]], U]) -> Call[U]:
        """The same call with another value read from its outcome."""
        return replace(self, result=result)  # type: ignore[return-value]

    def _decode(self, receipt: Receipt) -> list[DecodedEvent]:
        return self.suite.decode(receipt.logs)


def send_all(
    calls: Sequence[Call[T]], signer: LocalAccount, *, progress: BatchProgress | None = None
) -> BatchOutcome[list[T]]:
    """Send every call back to back (pipelined nonces), then wait for each; outcomes in order.

    The calls go in JSON-RPC batches: checked together (each would not revert on the latest state,
    and its gas suffices), sent together, their receipts read together. A call whose check fails
    while earlier calls of the batch are still unconfirmed is checked again once they are mined
    (it may depend on them: a client admitted under a member admitted just before); if it still
    would revert, the batch stops with its typed error, and the calls sent before it are awaited
    and mined. At most `IN_FLIGHT` calls wait unconfirmed at once.
    """
    if not calls:
        return BatchOutcome((), [])
    chain = calls[0].suite.chain
    if any(call.suite.chain is not chain for call in calls):
        raise InputError("the calls of one batch must go to one chain")
    submitted: list[tuple[Call[T], PendingTx]] = []
    outcomes: list[Outcome[T]] = []
    awaited = 0

    def settle() -> None:
        nonlocal awaited
        waiting, awaited = submitted[awaited:], len(submitted)
        receipts = chain.wait_many([pending for _, pending in waiting])
        outcomes.extend(call.outcome(r) for (call, _), r in zip(waiting, receipts, strict=True))

    try:
        done = 0
        while done < len(calls):
            chunk = calls[done : done + chain.batch_size]
            requests = chain.requests_for([c.fn for c in chunk], signer.address)
            limits = chain.gas_limits(requests, [c.errors for c in chunk])
            run = next((i for i, limit in enumerate(limits) if limit is None), len(chunk))
            if run == 0:
                if awaited < len(submitted):
                    settle()  # what it may depend on is mined first, then it is checked again
                    continue
                limits[0] = chain.gas_limit(requests[0], chunk[0].errors)  # the typed refusal
                run = 1
            if len(submitted) - awaited + run > IN_FLIGHT:
                settle()
            sent = chain.send_many(
                [dict(r, gas=g) for r, g in zip(requests[:run], limits[:run], strict=True)],
                signer,
                labels=[c.label for c in chunk[:run]],
                contexts=[c.errors for c in chunk[:run]],
            )
            submitted.extend(zip(chunk[:run], sent, strict=True))
            for i in range(done + 1, done + run + 1) if progress else ():
                progress(i, len(calls))
            done += run
    finally:
        settle()
    return BatchOutcome(tuple(outcomes), [o.value for o in outcomes])


# ---------------------------------------------------------------------- clients


class ContractClient:
    """A deployed contract seen through its business: typed reads and call builders."""

    artifact: ClassVar[str]  # the compiled contract this client speaks to
    prefix: ClassVar[str]  # how its transactions are labelled: "vault" in "vault.deposit"

    def __init__(self, suite: Suite, contract: Contract, label: str) -> None:
        self.suite = suite
        self.contract = contract
        self.label = label  # "collateral vault": what errors and event decoding call it

    @property
    def address(self) -> str:
        return str(self.contract.address)

    @property
    def governed(self) -> bool:
        """Whether the contract has roles (OpenZeppelin AccessControl): the substitution contract
        has none, it answers to account owners and signatures only."""
        return any(i.get("name") == "hasRole" for i in self.contract.abi)

    def __repr__(self) -> str:
        return f"{type(self).__name__}({self.label} at {self.address})"

    # ------------------------------------------------------------------ reads

    def _read(self, fn: Any, *, asset: Asset | None = None, block: int | str = "latest") -> Any:
        context = self.suite.errors_for(self.label, asset)
        return self.suite.chain.call(fn, context=context, block=block)

    def _read_many(self, fns: Sequence[Any], *, block: int | str = "latest") -> list[Any]:
        context = self.suite.errors_for(self.label)
        return self.suite.chain.read_many(fns, context=context, block=block)

    def history(
        self, event: str | None = None, *, from_block: int | None = None, to_block: Any = "latest"
    ) -> list[DecodedEvent]:
        """This contract's events (of one name, or all) from the deployment on, in order."""
        params: dict[str, Any] = {
            "address": self.address,
            "fromBlock": self.suite.deploy_block if from_block is None else from_block,
            "toBlock": to_block,
        }
        if event is not None:
            item = next(
                (i for i in self.contract.abi if i["type"] == "event" and i["name"] == event), None
            )
            if item is None:
                raise InputError(f"{self.label} emits no event {event!r}")
            params["topics"] = ["0x" + event_abi_to_log_topic(item).hex()]
        return self.suite.decode(self.suite.chain.w3.eth.get_logs(params))  # type: ignore[arg-type]

    def has_role(self, role: str, account: Any) -> bool:
        fn = self.contract.functions.hasRole(role_id(role), self.suite.address_of(account))
        return bool(self._read(fn))

    # ------------------------------------------------------------------ calls

    def _call(
        self,
        fn: Any,
        action: str,
        *,
        asset: Asset | None = None,
        result: Callable[[Outcome[None]], Any] | None = None,
    ) -> Call[Any]:
        return Call(
            self.suite, fn, f"{self.prefix}.{action}", self.suite.errors_for(self.label, asset),
            result,
        )  # fmt: skip

    def call(self, function: str, *args: Any) -> Call[None]:
        """Any function of the contract with raw ABI arguments: the escape hatch (errors are still
        typed; nothing is checked in Python first)."""
        return self._call(getattr(self.contract.functions, function)(*args), function)

    def grant_role(self, role: str, account: Any) -> Call[None]:
        """Give `account` the role `role` on this contract (the role's admin may)."""
        fn = self.contract.functions.grantRole(role_id(role), self.suite.address_of(account))
        return self._call(fn, "grantRole")

    def revoke_role(self, role: str, account: Any) -> Call[None]:
        fn = self.contract.functions.revokeRole(role_id(role), self.suite.address_of(account))
        return self._call(fn, "revokeRole")

    def renounce_role(self, role: str, account: Any) -> Call[None]:
        """`account` gives up `role` on this contract (only it may, for itself)."""
        fn = self.contract.functions.renounceRole(role_id(role), self.suite.address_of(account))
        return self._call(fn, "renounceRole")
