"""The collateral vault's client: accounts, holdings, requirements and margin calls.

Reads return the model types of `pyclient.collateral` (`VaultAccount`, `MarginCall`) and holdings in
whole units by asset symbol. Wherever an account is asked for, an account id, a label
(`"member-a house"`) or a participant (`"client-x"`, its own account) will do
(`Deployment.account_id`). Calls cover the whole margin cycle: open accounts (one or many),
deposit and withdraw (naming the client for an omnibus account), standing instructions, requirement
batches, calls due by the Tokyo timetable, overdue marking, pass-on to omnibus clients, default.
"""

from __future__ import annotations

import datetime as dt
from collections import Counter
from collections.abc import Iterable, Mapping, Sequence
from decimal import Decimal
from typing import Any

from ..clock import from_unix, to_unix
from ..collateral.vault import (
    AccountKind,
    CallBatch,
    CallStatus,
    CallType,
    ClientShare,
    MarginCall,
    Posting,
    Skipped,
    VaultAccount,
    account_id,
)
from ..errors import InputError
from ..margin.calendar import call_deadline
from ..units import Amount, to_bytes32, to_units
from .base import Call, ContractClient, Outcome

_SETTLED = {"MarginCallMet": CallStatus.MET, "MarginCallPartiallyMet": CallStatus.PARTIALLY_MET}


class VaultClient(ContractClient):
    artifact = "CollateralVault"
    prefix = "vault"

    # ------------------------------------------------------------------ accounts

    def account_id(self, owner: Any, kind: AccountKind) -> int:
        """The id of `owner`'s `kind` account (whether or not it is open)."""
        return account_id(self.suite.address_of(owner), kind)

    def resolve(self, account: Any) -> int:
        """The id of the account given by id, label or participant (`Deployment.account_id`)."""
        return int(self.suite.account_id(account))

    def resolve_all(self, accounts: Iterable[Any]) -> list[int]:
        """`resolve` for each account given, in order."""
        return [self.resolve(a) for a in accounts]

    def account(self, account: Any) -> VaultAccount:
        """The account record; `VaultAccountUnknown` if it was never opened."""
        account = self.resolve(account)
        return VaultAccount.from_chain(
            account, self._read(self.contract.functions.account(account))
        )

    def accounts(self, accounts: Iterable[Any]) -> list[VaultAccount]:
        """Many account records, read in one batch."""
        accounts = self.resolve_all(accounts)
        raw = self._read_many([self.contract.functions.account(i) for i in accounts])
        return [VaultAccount.from_chain(i, r) for i, r in zip(accounts, raw, strict=True)]

    def account_ids(self) -> list[int]:
        """Every account ever opened, in order (the CCP's default-management account first)."""
        return [e["account"] for e in self.history("AccountOpened")]

    def with_requirement(self) -> list[VaultAccount]:
        """Every account with a requirement or an open call, in the order opened: what the margin
        engine manages, read from the chain (the accounts opened, then their records in one
        batch), so any process sees the same list."""
        return [a for a in self.accounts(self.account_ids()) if a.requirement_jpy or a.open_call]

    def holdings(self, account: Any) -> dict[str, Decimal]:
        """What `account` holds, per asset symbol, in whole units (held assets only)."""
        account = self.resolve(account)
        return {
            symbol: self.suite.asset(symbol).whole(units)
            for symbol, units in self.raw_holdings(account).items()
            if units
        }

    def raw_holdings(self, account: Any) -> dict[str, int]:
        """What `account` holds or has held, per asset symbol, in smallest units (zeros kept)."""
        account = self.resolve(account)
        return self.raw_holdings_of([account])[account]

    def raw_holdings_of(self, accounts: Iterable[Any]) -> dict[int, dict[str, int]]:
        """`raw_holdings` of many accounts, read in two batches (keyed by account id)."""
        accounts = self.resolve_all(accounts)
        fns = self.contract.functions
        held = self._read_many([fns.assetsOf(acct) for acct in accounts])
        pairs = [(acct, self.suite.asset(a)) for acct, assets in zip(accounts, held, strict=True)
                 for a in assets]  # fmt: skip
        units = self._read_many([fns.holding(acct, a.address) for acct, a in pairs])
        out: dict[int, dict[str, int]] = {acct: {} for acct in accounts}
        for (acct, a), u in zip(pairs, units, strict=True):
            out[acct][a.symbol] = int(u)
        return out

    def collateral_value(self, account: Any) -> int:
        """Value in JPY after haircuts and concentration limits; stale prices are a typed error."""
        return int(self._read(self.contract.functions.collateralValue(self.resolve(account))))

    def standing_instruction(self, account: Any) -> list[tuple[str, Decimal]]:
        """The pull order of `account`: (asset symbol, cap per call in whole units)."""
        raw = self._read(self.contract.functions.standingInstruction(self.resolve(account)))
        out = []
        for address, cap in raw:
            a = self.suite.asset(address)
            out.append((a.symbol, a.whole(cap)))
        return out

    def sub_ledger(self, account: Any) -> dict[str, dict[str, Decimal]]:
        """Beneficial owners of omnibus `account`: client address -> asset symbol -> quantity."""
        account = self.resolve(account)
        fns = self.contract.functions
        assets = [self.suite.asset(a) for a in self._read(fns.assetsOf(account))]
        clients = list(self._read(fns.beneficialOwners(account)))
        pairs = [(c, a) for c in clients for a in assets]
        units = self._read_many([fns.subLedger(account, c, a.address) for c, a in pairs])
        ledger: dict[str, dict[str, Decimal]] = {c: {} for c in clients}
        for (client, a), u in zip(pairs, units, strict=True):
            if u:
                ledger[client][a.symbol] = a.whole(u)
        return ledger

    def client_standing_instruction(self, account: Any, client: Any) -> list[tuple[str, Decimal]]:
        """`client`'s pull order for its shares of omnibus `account`'s calls."""
        fn = self.contract.functions.clientStandingInstruction(
            self.resolve(account), self.suite.address_of(client)
        )
        return [
            (self.suite.asset(a).symbol, self.suite.asset(a).whole(cap))
            for a, cap in self._read(fn)
        ]

    def member_of(self, account: Any) -> str:
        """The clearing member answerable for `account` (a segregated client's member)."""
        return str(self._read(self.contract.functions.memberOf(self.resolve(account))))

    def accounts_of(self, member: Any) -> list[int]:
        """Every account `member` answers for: its own and its segregated clients'."""
        fn = self.contract.functions.accountsOf(self.suite.address_of(member))
        return [int(i) for i in self._read(fn)]

    # ------------------------------------------------------------------ margin calls (reads)

    def margin_call(self, call_id: int) -> MarginCall:
        return MarginCall.from_chain(
            call_id, self._read(self.contract.functions.marginCall(call_id))
        )

    def open_calls(self, account: Any) -> list[MarginCall]:
        """The calls open on `account`, newest first (a raised requirement is its own call)."""
        fn = self.contract.functions.openCalls(self.resolve(account))
        return self.margin_calls(list(self._read(fn)))

    def client_shares(self, call_id: int, *, block: int | str = "latest") -> list[ClientShare]:
        """The shares of omnibus call `call_id` passed on to clients, and what each has paid."""
        raw = self._read(self.contract.functions.clientShares(call_id), block=block)
        return [ClientShare.from_chain(r) for r in raw]

    def margin_calls(
        self, call_ids: Sequence[int] | None = None, *, block: int | str = "latest"
    ) -> list[MarginCall]:
        """The calls given (default: every call ever issued, oldest first), read in one batch at
        `block` (by default the latest)."""
        if call_ids is None:
            count = int(self._read(self.contract.functions.marginCallCount(), block=block))
            call_ids = range(1, count + 1)
        ids = list(call_ids)
        raw = self._read_many([self.contract.functions.marginCall(i) for i in ids], block=block)
        return [MarginCall.from_chain(i, r) for i, r in zip(ids, raw, strict=True)]

    # ------------------------------------------------------------------ accounts (CCP operator)

    def open_account(self, owner: Any, kind: AccountKind) -> Call[int]:
        """Open `owner`'s `kind` account (checked against the register); its value is the id."""
        kind = AccountKind.coerce(kind, what="account kind")
        address = self.suite.address_of(owner)
        fn = self.contract.functions.openAccount(address, int(kind))
        aid = account_id(address, kind)
        return self._call(fn, "openAccount", result=lambda _: aid)

    def open_accounts(self, entries: Iterable[tuple[Any, AccountKind]]) -> list[Call[int]]:
        """One `open_account` per `(owner, kind)` (send them with `send_all`)."""
        return [self.open_account(owner, kind) for owner, kind in entries]

    # ------------------------------------------------------------------ collateral (owners)

    def deposit(
        self, account: Any, asset: Any, amount: Amount, *, client: Any = None
    ) -> Call[None]:
        """Post `amount` of `asset` into `account` (into omnibus `account`, for `client`)."""
        return self._move("deposit", account, asset, amount, client)

    def withdraw(
        self, account: Any, asset: Any, amount: Amount, *, client: Any = None
    ) -> Call[None]:
        """Take `amount` back; refused when the account would fall below its requirement."""
        return self._move("withdraw", account, asset, amount, client)

    def set_standing_instruction(
        self, account: Any, instruction: Iterable[tuple[Any, Amount]]
    ) -> Call[None]:
        """Pull order for margin calls: `[("JPY", 50_000_000), ("JGB374", 100)]` (asset, cap)."""
        fn = self.contract.functions.setStandingInstruction(
            self.resolve(account), _instruction(self.suite, instruction)
        )
        return self._call(fn, "setStandingInstruction")

    def set_client_standing_instruction(
        self, account: Any, client: Any, instruction: Iterable[tuple[Any, Amount]]
    ) -> Call[None]:
        """`client`'s pull order for its shares of omnibus `account`'s calls (the client sends)."""
        fn = self.contract.functions.setClientStandingInstruction(
            self.resolve(account), self.suite.address_of(client),
            _instruction(self.suite, instruction),
        )  # fmt: skip
        return self._call(fn, "setClientStandingInstruction")

    def _move(
        self, action: str, account: Any, asset: Any, amount: Amount, client: Any
    ) -> Call[None]:
        account = self.resolve(account)
        a = self.suite.asset(asset)
        units = a.units(amount)
        fns = self.contract.functions
        if client is None:
            fn = getattr(fns, action)(account, a.address, units)
        else:
            fn = getattr(fns, f"{action}For")(
                account, self.suite.address_of(client), a.address, units
            )
        return self._call(fn, action, asset=a)

    # ------------------------------------------------------------------ margin (margin engine)

    def post_requirements(
        self, requirements: Mapping[Any, Amount], *, run_id: str
    ) -> Call[Posting]:
        """Set the requirement (whole JPY) of many accounts in one transaction; open calls are
        re-evaluated against it at once. The value says which accounts were skipped (frozen),
        which calls the new requirements met, and which accounts' calls could not be re-evaluated
        (a holding with no current price)."""
        ids = self.resolve_all(requirements)
        _not_empty(ids, "requirements")
        values = [
            to_units(v, 0, what="requirement (JPY)", allow_zero=True) for v in requirements.values()
        ]
        fn = self.contract.functions.postRequirements(
            ids, values, to_bytes32(run_id, what="run id")
        )
        return self._call(fn, "postRequirements", result=_posting)

    def issue_margin_calls(
        self,
        accounts: Iterable[Any],
        call_type: CallType,
        *,
        computed_at: dt.datetime | None = None,
        deadline: dt.datetime | None = None,
    ) -> Call[CallBatch]:
        """Call every account given for its shortfall, in one transaction.

        The deadline follows the Tokyo timetable (`call_deadline`) from `computed_at`, by default
        the chain's clock. An account whose state no longer fits (covered, already called for its
        requirement, frozen, owner not active) is skipped, not refused: the value says which were
        called and which skipped and why. Standing instructions are honoured in the same
        transaction, so a call in the outcome may already be met.
        """
        accounts = self.resolve_all(accounts)
        _not_empty(accounts, "accounts")
        if deadline is None:
            moment = computed_at or from_unix(self.suite.chain_time())
            deadline = call_deadline(call_type, moment)
        fn = self.contract.functions.issueMarginCalls(
            list(accounts), int(call_type), to_unix(deadline)
        )
        return self._call(fn, "issueMarginCalls", result=self._issued)

    def _issued(self, outcome: Outcome[None]) -> CallBatch:
        """The calls as the transaction left them, from its events alone (a standing instruction
        may have met or partly met a call in the same transaction), and the accounts skipped."""
        status: dict[int, CallStatus] = {}
        for e in outcome.events:
            if e.name in _SETTLED:
                status[e["callId"]] = _SETTLED[e.name]
        issued = outcome.named("MarginCallIssued")
        stamp = (
            self.suite.chain.w3.eth.get_block(outcome.block_number)["timestamp"] if issued else 0
        )
        issued_at = int(stamp)
        calls = [
            MarginCall(
                id=e["callId"], account=e["account"], call_type=e["callType"],
                status=status.get(e["callId"], CallStatus.ISSUED), issued_at=from_unix(issued_at),
                deadline=from_unix(e["deadline"]), shortfall_jpy=e["shortfallJpy"],
                requirement_jpy=e["requirementJpy"], previous_open=e["previousCallId"] or None,
            )
            for e in issued
        ]  # fmt: skip
        new = {c.id for c in calls}
        met = tuple(e["callId"] for e in outcome.named("MarginCallMet") if e["callId"] not in new)
        return CallBatch(tuple(calls), _skipped_accounts(outcome), met)

    def mark_overdue(self, call_ids: Sequence[int]) -> Call[CallBatch]:
        """Mark unmet calls past their deadline overdue. A call found covered in the meantime is
        closed as met instead; one no longer open, not yet due, or on an account that cannot be
        valued now is skipped. The value holds the calls processed, as the transaction left them,
        and those skipped and why."""
        ids = list(call_ids)
        _not_empty(ids, "calls")

        def result(outcome: Outcome[None]) -> CallBatch:
            skipped = tuple(Skipped(e["callId"], e["reason"]) for e in outcome.named("CallSkipped"))
            left_out = Counter(s.id for s in skipped)  # a call named twice is skipped the 2nd time
            done = []
            for i in ids:
                if left_out[i]:
                    left_out[i] -= 1
                else:
                    done.append(i)
            calls = self.margin_calls(done, block=outcome.block_number) if done else []
            met = tuple(e["callId"] for e in outcome.named("MarginCallMet"))
            return CallBatch(tuple(calls), skipped, met)

        return self._call(self.contract.functions.markOverdue(ids), "markOverdue", result=result)

    def pass_on_margin_call(
        self, call_id: int, shares: Mapping[Any, Amount], *, deadline: dt.datetime | None = None
    ) -> Call[list[ClientShare]]:
        """Pass omnibus call `call_id` on: each client's share (whole JPY), due by `deadline`
        (default: the call's own). The shares must add up to what the call still asks (payments
        since it was issued count); clients with a standing instruction are pulled from in the same
        transaction. The value is the shares as the transaction left them."""
        if not shares:
            raise InputError("name the clients and their shares of the call")
        clients = [self.suite.address_of(c) for c in shares]
        amounts = [to_units(v, 0, what="JPY share") for v in shares.values()]
        due = (
            to_unix(deadline)
            if deadline is not None
            else to_unix(self.margin_call(call_id).deadline)
        )
        fn = self.contract.functions.passOnMarginCall(call_id, clients, amounts, due)
        return self._call(
            fn,
            "passOnMarginCall",
            result=lambda outcome: self.client_shares(call_id, block=outcome.block_number),
        )

    def mark_shares_overdue(self, call_id: int) -> Call[list[ClientShare]]:
        """Mark the shares of omnibus call `call_id` past their deadline and unpaid as overdue (the
        member sends). The value is the shares as the transaction left them."""
        fn = self.contract.functions.markSharesOverdue(call_id)
        return self._call(
            fn,
            "markSharesOverdue",
            result=lambda outcome: self.client_shares(call_id, block=outcome.block_number),
        )


def _instruction(suite: Any, instruction: Iterable[tuple[Any, Amount]]) -> list[tuple[str, int]]:
    entries = []
    for symbol, cap in instruction:
        a = suite.asset(symbol)
        entries.append((a.address, a.units(cap, what="cap per call")))
    return entries


def _not_empty(items: Sequence[Any], what: str) -> None:
    if not items:
        raise InputError(
            f"no {what} given: an empty batch would send a transaction that does nothing"
        )


def _posting(outcome: Outcome[None]) -> Posting:
    return Posting(
        skipped=_skipped_accounts(outcome),
        met=tuple(e["callId"] for e in outcome.named("MarginCallMet")),
        deferred=tuple(e["account"] for e in outcome.named("ReevaluationDeferred")),
    )


def _skipped_accounts(outcome: Outcome[None]) -> tuple[Skipped, ...]:
    return tuple(Skipped(e["account"], e["reason"]) for e in outcome.named("AccountSkipped"))
