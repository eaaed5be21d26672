"""The collateral vault against a Python model, one random sequence of operations at a time.

A Hypothesis state machine deposits, withdraws, posts requirements, moves prices and runs the
margin cycle on the session's Anvil (call batches racing a member's top-up, payments, requirement
changes while calls are open, standing-instruction pulls, a member suspended while a batch runs,
the clock moved past deadlines and calls marked overdue, default), and keeps a model of every
holding, wallet, allowance, price, requirement and margin call beside it. The model values
accounts with pyclient's own valuation (`pyclient.valuation`, which mirrors `Valuation.sol`: three
roundings down, then the concentration cap against the uncapped total) fed with the model's own
prices, so it predicts every withdrawal exactly (allowed, refused for want of holding, or refused
for want of excess) and follows docs/domain.md §8 for calls: each call asks for what its
requirement exceeds the value, or, with a call open, the requirement of the newest open call; it
is met once the value covers the lower of its requirement and the requirement in force; a batch
skips exactly the accounts and calls whose state no longer fits, for the reason the model gives.
Every transaction's vault events must be the model's journal of it, entry for entry. After every
step:

1. collateral is conserved: for every asset the vault's token balance is the sum of its
   accounts' holdings, each member's wallet plus vault holding plus what a default seized is what
   it started with, and every other account holds what the model says;
2. the model's value of each account is the vault's own `collateralValue` (so pyclient's
   valuation is held against the chain's on every step), and requirements, freezes, registry
   standing, allowances and standing instructions are the model's;
3. an account falls below its requirement only through a price move, a new requirement or a
   default, never through a deposit or a withdrawal: the model flags an account that one of those
   touched, clears the flag once a deposit or withdrawal leaves it covered, and an unflagged
   account must be covered;
4. every call's status, shortfall, requirement, deadline and link to the next older open call
   are the model's, and each account's open calls (newest first) are the model's list;
5. nobody is called twice for the same yen: a call asks at most what its requirement exceeds the
   requirement of the call that was open when it was issued, and the open calls of an account
   stand for disjoint slices of its requirement, each newer one for a higher requirement.

Each example starts from the same chain: the machine snapshots in `__init__`, sets up market data
and accounts, and reverts in `teardown`. Deadlines lie half an hour off the whole hours the clock
moves by, so whether one has passed never depends on the seconds a run takes; with
`derandomize=True` every run explores the same examples.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Iterable
from contextlib import suppress
from dataclasses import dataclass, field
from itertools import pairwise
from typing import Any, ClassVar

import pytest
from hypothesis import HealthCheck, Phase, event, settings
from hypothesis import strategies as st
from hypothesis.stateful import (
    RuleBasedStateMachine,
    initialize,
    invariant,
    precondition,
    rule,
    run_state_machine_as_test,
)
from support import World

from pyclient import errors
from pyclient.chain import devnet
from pyclient.clock import from_unix, to_unix
from pyclient.collateral.vault import (
    AccountKind,
    CallStatus,
    CallType,
    MarginCall,
    Posting,
    Skipped,
    SkipReason,
)
from pyclient.contracts.token import MAX_ALLOWANCE
from pyclient.oracle.market_data import Purpose, Quote, RiskParameters, price_from_chain
from pyclient.roles import ClearingMember, Oracle
from pyclient.valuation import account_value, quantity_for

BPS = 10_000
ONE = 10**18
HOUR = 3600

MEMBERS = ("member-a", "member-b")
ASSETS = ("JPY", "USD", "JGB374")

START_PRICES = {"JPY": ONE, "USD": ONE, "JGB374": 49_250 * ONE}
START_FX = {"USD": 151 * ONE + ONE // 5}  # 151.20 JPY per USD
RISK = {
    "JPY": RiskParameters(0),
    "USD": RiskParameters(300),
    "JGB374": RiskParameters(500, concentration_bps=6_000),
}
# Price moves draw a new 18-decimal price anywhere in these ranges (cash tokens may de-peg a
# little: it exercises the arithmetic on a 2-decimal asset).
PRICE_RANGE = {
    "JPY": (8 * ONE // 10, 12 * ONE // 10),
    "USD": (8 * ONE // 10, 12 * ONE // 10),
    "JGB374": (30_000 * ONE, 70_000 * ONE),
}
FX_RANGE = (100 * ONE, 200 * ONE)
# A call falls due half an hour past a whole hour of the model's clock, and the clock moves by
# whole hours: a deadline is never within seconds of the moment a batch judges it.
DEADLINE_HOURS = (0, 24)
CLOCK_MOVE_HOURS = (0, 30)

# What the examples did, across one test run: the test checks refusals really happen.
OUTCOMES: Counter[str] = Counter()

OPEN = (CallStatus.ISSUED, CallStatus.PARTIALLY_MET, CallStatus.OVERDUE)
SKIP_NOTE = {
    SkipReason.NO_SHORTFALL: "skip: no shortfall",
    SkipReason.CALL_OPEN: "skip: call open",
    SkipReason.ACCOUNT_FROZEN: "skip: account frozen",
    SkipReason.OWNER_NOT_ACTIVE: "skip: owner not active",
    SkipReason.CALL_NOT_OPEN: "skip: call not open",
    SkipReason.DEADLINE_NOT_PASSED: "skip: deadline not passed",
    SkipReason.DEADLINE_BEFORE_OPEN_CALL: "skip: deadline before the open call's",
}

# The vault events a transaction's journal records, and the arguments compared (assets by symbol).
JOURNAL_FIELDS = {
    "CollateralDeposited": ("account", "asset", "amount", "automatic"),
    "RequirementPosted": ("account", "requirementJpy", "previousJpy"),
    "MarginCallIssued": (
        "callId", "account", "callType", "shortfallJpy", "valueJpy", "requirementJpy",
        "deadline", "previousCallId",
    ),
    "MarginCallPartiallyMet": ("callId", "account", "remainingJpy"),
    "MarginCallMet": ("callId", "account", "valueJpy", "requirementJpy"),
    "MarginCallOverdue": ("callId", "account", "remainingJpy"),
    "AccountSkipped": ("account", "reason"),
    "CallSkipped": ("callId", "reason"),
    "AccountOpened": ("account", "kind"),
    "MarginCallDefaulted": ("callId", "account", "caseId"),
    "AccountFrozen": ("account", "caseId"),
    "CollateralSeized": ("fromAccount", "toAccount", "asset", "amount", "caseId"),
}  # fmt: skip

Entry = tuple[Any, ...]


def note(outcome: str) -> None:
    OUTCOMES[outcome] += 1
    event(outcome)


# ---------------------------------------------------------------------------------------- model


@dataclass
class ModelAccount:
    id: int
    owner: str
    holdings: dict[str, int]
    requirement: int = 0
    active: bool = True  # the owner's standing in the register
    instruction: list[tuple[str, int]] = field(default_factory=list)  # (asset, cap per call)
    may_be_short: bool = False  # a price move or a new requirement touched it since it was covered
    flagged_by: str = ""
    last_event: str = "opened"


@dataclass
class ModelCall:
    id: int
    member: str
    account: int
    call_type: CallType
    requirement: int
    shortfall: int
    deadline: int  # unix time, as sent
    due: int  # the same moment on the model's clock
    issued_over: int  # the open call it was issued over (0: none)
    status: CallStatus = CallStatus.ISSUED


@dataclass
class Model:
    decimals: dict[str, int]
    currency: dict[str, str]
    prices: dict[str, int] = field(default_factory=lambda: dict(START_PRICES))
    fx: dict[str, int] = field(default_factory=lambda: {"JPY": ONE, **START_FX})
    wallets: dict[str, dict[str, int]] = field(default_factory=dict)
    allowances: dict[str, dict[str, int]] = field(default_factory=dict)  # for the vault
    started_with: dict[str, dict[str, int]] = field(default_factory=dict)
    seized: dict[str, dict[str, int]] = field(default_factory=dict)
    accounts: dict[str, ModelAccount] = field(default_factory=dict)  # the members' house accounts
    others: dict[int, dict[str, int]] = field(default_factory=dict)  # every other account
    asset_order: dict[int, list[str]] = field(default_factory=dict)  # `assetsOf`, every account
    frozen: set[int] = field(default_factory=set)
    default_account: int = 0  # the DefaultManager's account, opened by the first seizure
    default_account_open: bool = False
    next_case: int = 1
    calls: dict[int, ModelCall] = field(default_factory=dict)
    next_call: int = 1
    clock: int = 0  # seconds the clock was moved since the example began

    # -------------------------------------------------------------- valuation

    def quote(self, asset: str) -> Quote:
        """What the vault values `asset` with, from the model's own prices and rates."""
        r = RISK[asset]
        fx = self.fx[self.currency[asset]]
        eligibility = r.to_chain()[2]
        return Quote(
            self.prices[asset], fx, r.haircut_bps, r.concentration_bps, self.decimals[asset],
            eligibility,
        )  # fmt: skip

    def value(self, holdings: dict[str, int], requirement: int) -> int:
        """pyclient's valuation (`pyclient.valuation`) with the model's own prices and rates;
        concentration limits are shares of `requirement`."""
        quotes = {a: self.quote(a) for a in holdings}
        return account_value(holdings, quotes, Purpose.INITIAL_MARGIN, requirement)

    def worth(self, member: str) -> int:
        account = self.accounts[member]
        return self.value(account.holdings, account.requirement)

    def value_after_withdrawal(self, account: ModelAccount, asset: str, amount: int) -> int:
        held = {**account.holdings, asset: account.holdings[asset] - amount}
        return self.value(held, account.requirement)

    def max_withdrawable(self, account: ModelAccount, asset: str) -> int:
        """The most of `asset` that can leave with the value still covering the requirement."""
        held = account.holdings[asset]
        if account.requirement == 0:
            return held
        # Value falls as the amount grows (the cap never makes less count for more): bisect.
        lo, hi = 0, held
        if self.value_after_withdrawal(account, asset, 0) < account.requirement:
            return 0
        while lo < hi:
            mid = (lo + hi + 1) // 2
            if self.value_after_withdrawal(account, asset, mid) >= account.requirement:
                lo = mid
            else:
                hi = mid - 1
        return lo

    # -------------------------------------------------------------- collateral

    def frozen_member(self, member: str) -> bool:
        return self.accounts[member].id in self.frozen

    def credit(self, member: str, asset: str, amount: int, *, automatic: bool) -> list[Entry]:
        account = self.accounts[member]
        self.wallets[member][asset] -= amount
        account.holdings[asset] += amount
        order = self.asset_order[account.id]
        if asset not in order:
            order.append(asset)
        return [("CollateralDeposited", account.id, asset, amount, automatic)]

    def spend_allowance(self, member: str, asset: str, amount: int) -> None:
        if self.allowances[member][asset] != MAX_ALLOWANCE:
            self.allowances[member][asset] -= amount

    def deposit(self, member: str, asset: str, amount: int) -> list[Entry]:
        """A deposit through the SDK, which approves exactly the amount when the allowance is
        short; the vault then re-evaluates the open calls as paid toward."""
        if self.allowances[member][asset] < amount:
            self.allowances[member][asset] = amount
        self.spend_allowance(member, asset, amount)
        return self.credit(member, asset, amount, automatic=False) + self.settle(member, paid=True)

    # -------------------------------------------------------------- margin calls

    def open_calls(self, member: str) -> list[ModelCall]:
        """The member's open calls (issued, partly met or overdue), newest first."""
        calls = [c for c in self.calls.values() if c.member == member and c.status in OPEN]
        return sorted(calls, key=lambda c: -c.id)

    def previous_open(self, call: ModelCall) -> int:
        """The next older open call of an open call's account (0: none, or the call is closed)."""
        if call.status not in OPEN:
            return 0
        older = [c.id for c in self.open_calls(call.member) if c.id < call.id]
        return older[0] if older else 0

    def floor(self, call: ModelCall) -> int:
        """Where an open call's slice of the requirement starts: the target of the open call
        below it (0 for the oldest)."""
        below = self.previous_open(call)
        if not below:
            return 0
        return min(self.calls[below].requirement, self.accounts[call.member].requirement)

    def still_short(self, call: ModelCall) -> int:
        """What of a call's own slice the value does not reach yet."""
        target = min(call.requirement, self.accounts[call.member].requirement)
        return max(0, target - max(self.worth(call.member), self.floor(call)))

    def settle(self, member: str, *, paid: bool) -> list[Entry]:
        """§8: each open call is met once the value covers the lower of its own requirement and
        the requirement in force (the oldest first: newer ones ask for more); after a payment,
        each other one the payment reached into its own slice says what of it is still short."""
        account = self.accounts[member]
        value = self.worth(member)
        journal: list[Entry] = []
        open_calls = self.open_calls(member)
        met = [c for c in open_calls if value >= min(c.requirement, account.requirement)]
        for c in open_calls:
            if c in met:
                break
            if paid and value > self.floor(c):
                if c.status is CallStatus.ISSUED:
                    c.status = CallStatus.PARTIALLY_MET
                journal.append(("MarginCallPartiallyMet", c.id, account.id, self.still_short(c)))
        for c in met:
            target = min(c.requirement, account.requirement)
            journal.append(("MarginCallMet", c.id, account.id, value, target))
        for c in met:
            c.status = CallStatus.MET
        return journal

    def post(self, requirements: dict[str, int]) -> list[Entry]:
        journal: list[Entry] = []
        for member, requirement in requirements.items():
            account = self.accounts[member]
            if account.id in self.frozen:
                journal.append(("AccountSkipped", account.id, SkipReason.ACCOUNT_FROZEN))
                continue
            journal.append(("RequirementPosted", account.id, requirement, account.requirement))
            account.requirement = requirement
            account.may_be_short, account.flagged_by = True, "new requirement"
            account.last_event = "new requirement"
            journal += self.settle(member, paid=False)
        return journal

    def issue(
        self, members: Iterable[str], call_type: CallType, deadline: int, due: int
    ) -> list[Entry]:
        """A batch of calls: each account called for its own amount, or skipped with its reason."""
        journal: list[Entry] = []
        for member in members:
            account = self.accounts[member]
            skip, value, newest = None, 0, None
            if account.id in self.frozen:
                skip = SkipReason.ACCOUNT_FROZEN
            elif not account.active:
                skip = SkipReason.OWNER_NOT_ACTIVE
            else:
                value = self.worth(member)
                journal += self.settle(member, paid=False)  # a price rise may have met a call
                open_calls = self.open_calls(member)
                newest = open_calls[0] if open_calls else None
                if newest and account.requirement <= newest.requirement:
                    skip = SkipReason.CALL_OPEN
                elif value >= account.requirement:
                    skip = SkipReason.NO_SHORTFALL
                elif newest and deadline < newest.deadline:
                    skip = SkipReason.DEADLINE_BEFORE_OPEN_CALL
            if skip is not None:
                journal.append(("AccountSkipped", account.id, skip))
                continue
            covered = newest.requirement if newest else value
            call = ModelCall(
                id=self.next_call, member=member, account=account.id, call_type=call_type,
                requirement=account.requirement, shortfall=account.requirement - covered,
                deadline=deadline, due=due, issued_over=newest.id if newest else 0,
            )  # fmt: skip
            self.calls[call.id] = call
            self.next_call += 1
            journal.append(
                ("MarginCallIssued", call.id, account.id, call_type, call.shortfall, value,
                 call.requirement, deadline, call.issued_over)
            )  # fmt: skip
            if account.instruction:
                journal += self.pull(member)
                if self.worth(member) != value:
                    journal += self.settle(member, paid=True)
        return journal

    def pull(self, member: str) -> list[Entry]:
        """§8 standing instruction: in list order, each entry up to its cap, the free balance and
        the allowance, until the requirement is covered; what cannot move is skipped."""
        account = self.accounts[member]
        journal: list[Entry] = []
        value = self.worth(member)
        for asset, cap in account.instruction:
            if value >= account.requirement:
                break
            needed = quantity_for(account.requirement - value, self.quote(asset))
            wallet, allowance = self.wallets[member][asset], self.allowances[member][asset]
            quantity = min(needed, cap, wallet, allowance)
            if quantity == 0:
                continue
            self.spend_allowance(member, asset, quantity)
            journal += self.credit(member, asset, quantity, automatic=True)
            value = self.worth(member)
        if value >= account.requirement:
            account.may_be_short = False
        return journal

    def mark_overdue(self, call_ids: Iterable[int]) -> list[Entry]:
        journal: list[Entry] = []
        for call_id in call_ids:
            c = self.calls[call_id]
            if c.status not in (CallStatus.ISSUED, CallStatus.PARTIALLY_MET):
                journal.append(("CallSkipped", call_id, SkipReason.CALL_NOT_OPEN))
                continue
            if self.clock <= c.due:
                journal.append(("CallSkipped", call_id, SkipReason.DEADLINE_NOT_PASSED))
                continue
            journal += self.settle(c.member, paid=False)
            if c.status is CallStatus.MET:
                continue
            c.status = CallStatus.OVERDUE
            journal.append(("MarginCallOverdue", call_id, c.account, self.still_short(c)))
        return journal

    def declare_default(self, call_id: int, accounts: list[int], fund: int | None) -> list[Entry]:
        """Default over an overdue call, re-valued first (a call the value now covers is met, and
        the default refused: the journal is then empty). The vault's part of the case: every
        account the member answers for (`accounts`, in the vault's order) has its open calls
        closed and is frozen; its house and clearing-fund collateral is seized."""
        c = self.calls[call_id]
        member, account = c.member, self.accounts[c.member]
        if self.worth(member) >= min(c.requirement, account.requirement):
            return []  # refused, nothing changes
        journal = self.settle(member, paid=False)  # older calls a price rise covered are met
        account.active = False
        case = self.next_case
        self.next_case += 1
        for i in accounts:
            if i == account.id:
                for o in self.open_calls(member):
                    journal.append(("MarginCallDefaulted", o.id, account.id, case))
                    o.status = CallStatus.DEFAULT_DECLARED
            journal += self._freeze(i, case)
        journal += self._seize(account.id, account.holdings, case, member)
        if fund is not None:
            journal += self._seize(fund, self.others[fund], case, None)
        account.may_be_short, account.flagged_by = True, "default"
        account.last_event = "default"
        return journal

    def _freeze(self, account: int, call_id: int) -> list[Entry]:
        if account in self.frozen:
            return []
        self.frozen.add(account)
        return [("AccountFrozen", account, call_id)]

    def _seize(
        self, account: int, holdings: dict[str, int], call_id: int, member: str | None
    ) -> list[Entry]:
        journal: list[Entry] = []
        target = self.default_account
        for asset in self.asset_order[account]:
            quantity = holdings.get(asset, 0)  # the model follows this test's assets only
            if not quantity:
                continue
            if not self.default_account_open:  # the first move into it opens it
                self.default_account_open = True
                journal.append(("AccountOpened", target, AccountKind.DEFAULT_MANAGEMENT))
            holdings[asset] = 0
            self.others[target][asset] += quantity
            if asset not in self.asset_order[target]:
                self.asset_order[target].append(asset)
            if member is not None:
                self.seized[member][asset] += quantity
            journal.append(("CollateralSeized", account, target, asset, quantity, call_id))
        return journal


# ---------------------------------------------------------------------------------------- machine


class VaultMachine(RuleBasedStateMachine):
    """Member house accounts in the vault, driven by business operations, checked by a model."""

    world: ClassVar[World]

    def __init__(self) -> None:
        super().__init__()
        w = self.world
        d = self.d = w.deployment
        self.snapshot = devnet.snapshot(w.chain)
        self.runs = 0
        self._seen: tuple[int, dict[str, dict[Any, Any]]] | None = None
        self._fns: dict[tuple[Any, ...], Any] = {}
        self.members: dict[str, ClearingMember] = {"member-a": w.member_a, "member-b": w.member_b}
        self.oracle = Oracle(d, w.ccp.signer)  # deploy() leaves ORACLE_ROLE with the operator
        self.model = Model(
            decimals={s: d.asset(s).decimals for s in ASSETS},
            currency={s: d.asset(s).spec.currency for s in ASSETS},
        )

        devnet.mine(w.chain)  # date the prices by a fresh block, whatever the clock did before
        self.oracle.publish_prices({s: price_from_chain(p) for s, p in START_PRICES.items()})
        self.oracle.publish_fx_rates({c: price_from_chain(r) for c, r in START_FX.items()})
        self.oracle.set_risk_parameters(RISK)
        for member in self.members.values():
            # The session's `market` fixture may have opened it before this test's snapshot.
            with suppress(errors.VaultAccountExists):
                w.ccp.margin.open_account(member, AccountKind.HOUSE)
        ids = {name: m.account_id(AccountKind.HOUSE) for name, m in self.members.items()}
        # A zero requirement also meets any call left open on the accounts.
        w.ccp.margin.post_requirements(dict.fromkeys(ids.values(), 0), run_id="stateful set-up")
        self.accounts = self._accounts()
        # The member's other accounts a default freezes or seizes, where the session opened them.
        self.fund = {n: self._opened(m, AccountKind.CLEARING_FUND) for n, m in self.members.items()}

        model = self.model
        model.accounts = {
            n: ModelAccount(i, self.members[n].address, dict.fromkeys(ASSETS, 0))
            for n, i in ids.items()
        }
        model.default_account = dm = d.default_manager.management_account()
        model.default_account_open = dm in self.accounts
        model.next_case = d.default_manager.case_count() + 1
        if dm not in self.accounts:  # its holdings are read from the start, its record once open
            self.accounts = sorted([*self.accounts, dm])
            model.asset_order[dm] = []
        fns = d.vault.contract.functions
        orders = d.chain.read_many([fns.assetsOf(i) for i in self.accounts])
        for i, order in zip(self.accounts, orders, strict=True):
            model.asset_order[i] = [d.asset(a).symbol for a in order]
        model.next_call = d.chain.read_many([fns.marginCallCount()])[0] + 1
        start = self._picture()
        houses = {a.id for a in model.accounts.values()}
        for i in self.accounts:
            if i in start["account"] and start["account"][i][2]:
                model.frozen.add(i)
            if i not in houses:
                model.others[i] = {a: start["holding"][i, a] for a in ASSETS}
        for name, member in self.members.items():
            account = self.model.accounts[name]
            assert start["active"][name], name
            assert start["open calls"][account.id] == [], name
            account.holdings = {a: start["holding"][account.id, a] for a in ASSETS}
            wallet = {a: start["wallet"][member.address, a] for a in ASSETS}
            model.wallets[name] = dict(wallet)
            model.allowances[name] = {a: start["allowance"][name, a] for a in ASSETS}
            model.started_with[name] = {a: wallet[a] + account.holdings[a] for a in ASSETS}
            model.seized[name] = dict.fromkeys(ASSETS, 0)
            account.instruction = [
                (d.asset(a).symbol, cap) for a, cap in start["instruction"][account.id]
            ]
        self.supply = dict(start["supply"])

    def teardown(self) -> None:
        devnet.revert(self.world.chain, self.snapshot)
        self.d.forget_participants()

    def _opened(self, member: ClearingMember, kind: AccountKind) -> int | None:
        i = member.account_id(kind)
        return i if i in self.accounts else None

    def _checked(self) -> dict[str, dict[Any, Any]]:
        """The chain as the invariants see it after a step: one read shared by all of them."""
        block = self.d.chain.w3.eth.block_number
        if self._seen is None or self._seen[0] != block:
            self._seen = (block, self._picture())
        return self._seen[1]

    # ------------------------------------------------------------------ chain reads

    def _read(self, calls: list[tuple[Any, str, list[Any]]]) -> list[Any]:
        """Many reads in one JSON-RPC batch: (contract client, function, args) each.

        The invariants read a hundred values per step, so they batch (`Chain.read_many`), and
        build each read once per example.
        """
        fns = []
        for c, fn, args in calls:
            key = (c.address, fn, *args)
            if key not in self._fns:
                self._fns[key] = getattr(c.contract.functions, fn)(*args)
            fns.append(self._fns[key])
        return self.d.chain.read_many(fns)

    def _accounts(self) -> list[int]:
        """Every account the vault ever opened, from its own log (default-management included)."""
        return sorted(self.d.vault.account_ids())

    def _picture(self) -> dict[str, dict[Any, Any]]:
        """Everything on chain this test looks at, read at one block (no rule moves any wallet
        but the members': the supply and the vault's balance account for the rest)."""
        vault, d = self.d.vault, self.d
        accounts = self.accounts  # no rule opens one
        holders = [m.address for m in self.members.values()]
        reads: dict[tuple[str, Any], tuple[Any, str, list[Any]]] = {}
        for a in ASSETS:
            token = d.token(a)
            reads["supply", a] = (token, "totalSupply", [])
            reads["vault balance", a] = (token, "balanceOf", [vault.address])
            for h in holders:
                reads["wallet", (h, a)] = (token, "balanceOf", [h])
            for i in accounts:
                reads["holding", (i, a)] = (vault, "holding", [i, token.address])
            for name, member in self.members.items():
                reads["allowance", (name, a)] = (
                    token,
                    "allowance",
                    [member.address, vault.address],
                )
        model = self.model
        for i in accounts:  # the DefaultManager's account has a record once a seizure opened it
            if i != model.default_account or model.default_account_open:
                reads["account", i] = (vault, "account", [i])
        for name, m in self.model.accounts.items():
            reads["value", m.id] = (vault, "collateralValue", [m.id])
            reads["instruction", m.id] = (vault, "standingInstruction", [m.id])
            reads["open calls", m.id] = (vault, "openCalls", [m.id])
            reads["active", name] = (d.registry, "isActive", [m.owner])
        for call_id in self.model.calls:
            reads["call", call_id] = (vault, "marginCall", [call_id])
        reads["count", "calls"] = (vault, "marginCallCount", [])
        picture: dict[str, dict[Any, Any]] = {}
        for (section, key), value in zip(reads, self._read(list(reads.values())), strict=True):
            picture.setdefault(section, {})[key] = value
        calls = picture.pop("call", {})
        picture["call"] = {i: MarginCall.from_chain(i, raw) for i, raw in calls.items()}
        return picture

    def _refused(self, call: Any, error: type[Exception]) -> Any:
        """`call` fails with `error` and changes nothing: no block is mined, and every figure the
        invariants read (the picture taken after the last step, at this block) reads the same.

        Conftest's `refused` (nothing sent, nothing moved), batched, and extended to the vault's
        own books and calls.
        """
        block = self.d.chain.w3.eth.block_number
        before = self._checked()
        try:
            call()
        except error as exc:
            err = exc
        else:
            raise AssertionError(f"expected {error.__name__}")
        assert isinstance(err, errors.KabutoError)
        assert self.d.chain.w3.eth.block_number == block, "a refused call must not be sent"
        assert self._picture() == before
        return err

    def _journal(self, outcome: Any) -> list[Entry]:
        """The vault's events in a transaction, in the model's journal form."""
        journal: list[Entry] = []
        for e in outcome.events:
            if e.contract != "collateral vault":
                continue
            names = JOURNAL_FIELDS.get(e.name)
            if names is None:  # an event the model does not expect shows up as a mismatch
                journal.append((e.name,))
                continue
            values = [self.d.asset(e[n]).symbol if n == "asset" else e[n] for n in names]
            journal.append((e.name, *values))
        return journal

    def _check(self, outcome: Any, expected: list[Entry]) -> None:
        """The transaction did what the model did, event for event; record what it went through."""
        assert self._journal(outcome) == expected
        model = self.model
        for entry in expected:
            name = entry[0]
            if name in ("AccountSkipped", "CallSkipped"):
                note(SKIP_NOTE[entry[2]])
            elif name == "MarginCallIssued":
                note("increase called while a call is open" if entry[8] else "call issued")
            elif name == "MarginCallMet":
                call, value, target = model.calls[entry[1]], entry[3], entry[4]
                lowered = target < call.requirement and value < call.requirement
                note("call met by a lowered requirement" if lowered else "call met")
            elif name == "MarginCallOverdue":
                note("overdue")
            elif name == "CollateralDeposited" and entry[4]:
                note("standing instruction pulled")

    def _touched_by_price(self, predicate: Any) -> None:
        for account in self.model.accounts.values():
            if any(q and predicate(a) for a, q in account.holdings.items()):
                account.may_be_short, account.flagged_by = True, "price move"
                account.last_event = "price move"

    def _can_pay(self) -> list[str]:
        """Members whose account takes deposits and who have something to deposit."""
        return [
            m
            for m in MEMBERS
            if not self.model.frozen_member(m) and any(self.model.wallets[m].values())
        ]

    def _called(self) -> list[str]:
        return [m for m in self._can_pay() if self.model.open_calls(m)]

    def _payment(self, member: str, target: int) -> st.SearchStrategy[tuple[str, int]]:
        """What `member` might pay: in one asset, exactly what lifts its value to `target` JPY
        or a unit less (by `quantity_for`, the vault's own closed form), or anything at all."""
        model = self.model
        wallet = model.wallets[member]
        available = [a for a in ASSETS if wallet[a]]
        value = model.worth(member)
        exact = []
        for a in available:
            q = quantity_for(target - value, model.quote(a))
            exact += [(a, n) for n in (q, q - 1) if 0 < n <= wallet[a]]
        anything = st.sampled_from(available).flatmap(
            lambda a: st.tuples(st.just(a), st.integers(1, wallet[a]))
        )
        return st.one_of(st.sampled_from(exact), anything) if exact else anything

    # ------------------------------------------------------------------ rules: collateral

    @initialize(data=st.data())
    def opening_collateral(self, data: st.DataObject) -> None:
        """Each member posts some of what it has, so that a short run still reaches withdrawals."""
        for member in MEMBERS:
            for asset in ASSETS:
                wallet = self.model.wallets[member][asset]
                amount = data.draw(st.integers(0, wallet), label=f"{member} opening {asset}")
                if amount:
                    self._deposit(member, asset, amount)
        # The margin engine's opening run: a requirement the collateral covers, with some excess.
        for member in MEMBERS:
            value = self.model.worth(member)
            requirement = data.draw(
                st.integers(value // 2, value),
                label=f"{member} opening requirement",
            )
            self._post({member: requirement})

    @rule(member=st.sampled_from(MEMBERS), data=st.data())
    def deposit(self, member: str, data: st.DataObject) -> None:
        wallet = self.model.wallets[member]
        available = [a for a in ASSETS if wallet[a] > 0]
        if not available:
            note("deposit: wallet empty")
            return
        asset = data.draw(st.sampled_from(available), label="asset")
        self._deposit(member, asset, data.draw(st.integers(1, wallet[asset]), label="amount"))

    def _deposit(self, member: str, asset: str, amount: int, why: str = "deposit") -> None:
        model = self.model
        account = model.accounts[member]
        whole = self.d.asset(asset).whole(amount)
        if model.frozen_member(member):
            self._refused(
                lambda: self.members[member].deposit(asset, whole), errors.VaultAccountFrozen
            )
            note("deposit refused: frozen")
            return
        expected = model.deposit(member, asset, amount)
        self._check(self.members[member].deposit(asset, whole), expected)
        account.last_event = why
        if model.worth(member) >= account.requirement:
            account.may_be_short = False
        if why == "payment":
            met = any(e[0] == "MarginCallMet" for e in expected)
            note("paid: a call met" if met else "paid: calls partly met")
        else:
            note(why)

    @rule(member=st.sampled_from(MEMBERS), asset=st.sampled_from(ASSETS), data=st.data())
    def deposit_more_than_the_wallet(self, member: str, asset: str, data: st.DataObject) -> None:
        wallet = self.model.wallets[member][asset]
        amount = data.draw(st.integers(wallet + 1, wallet + 10**6), label="amount")
        whole = self.d.asset(asset).whole(amount)

        def call() -> Any:
            return self.members[member].deposit(asset, whole)

        if self.model.frozen_member(member):
            self._refused(call, errors.VaultAccountFrozen)
            note("deposit refused: frozen")
            return
        err = self._refused(call, errors.ERC20InsufficientBalance)
        assert (err.balance, err.needed) == (wallet, amount)
        note("deposit refused: wallet")

    def _asset_to_withdraw(self, member: str, data: st.DataObject) -> str:
        held = [a for a, q in self.model.accounts[member].holdings.items() if q]
        return data.draw(st.sampled_from(held or ASSETS), label="asset")

    @rule(member=st.sampled_from(MEMBERS), data=st.data())
    def withdraw(self, member: str, data: st.DataObject) -> None:
        asset = self._asset_to_withdraw(member, data)
        held = self.model.accounts[member].holdings[asset]
        amount = st.one_of(st.integers(1, max(held, 1)), st.integers(held + 1, 2 * held + 1))
        self._withdraw(member, asset, data.draw(amount, label="amount"))

    def _past_due(self) -> list[str]:
        """Members not frozen with a call open past its deadline."""
        m = self.model
        return [
            member
            for member in MEMBERS
            if not m.frozen_member(member) and any(m.clock > c.due for c in m.open_calls(member))
        ]

    @rule(member=st.sampled_from(MEMBERS), data=st.data())
    def withdraw_all_the_excess(self, member: str, data: st.DataObject) -> None:
        """Ask for one unit more than the excess (refused), then for exactly the excess.

        The asset is one the requirement binds on (the excess in it is less than the holding)
        when there is one, so the refusal is for want of excess; elsewhere the excess is the
        whole holding and the refusal is for want of holding.
        """
        account = self.model.accounts[member]
        limits = {a: self.model.max_withdrawable(account, a) for a in ASSETS}
        bound = [a for a, q in account.holdings.items() if limits[a] < q]
        held = [a for a, q in account.holdings.items() if q]
        asset = data.draw(st.sampled_from(bound or held or ASSETS), label="asset")
        self._withdraw(member, asset, limits[asset] + 1)
        if limits[asset]:
            self._withdraw(member, asset, limits[asset])

    def _withdraw(self, member: str, asset: str, amount: int) -> None:
        """Withdraw as the model predicts: allowed, or refused for its reason with nothing moved."""
        model = self.model
        account = model.accounts[member]
        held, requirement = account.holdings[asset], account.requirement
        limit = model.max_withdrawable(account, asset)
        whole = self.d.asset(asset).whole(amount)

        def call() -> Any:
            return self.members[member].withdraw(asset, whole)

        past_due = [c for c in model.open_calls(member) if model.clock > c.due]
        if model.frozen_member(member):
            self._refused(call, errors.VaultAccountFrozen)
            outcome = "withdraw refused: frozen"
        elif past_due:  # nothing leaves while a call is open past its deadline, met or not later
            err = self._refused(call, errors.VaultCallPastDeadline)
            assert (err.account, err.deadline) == (account.id, past_due[0].deadline)
            outcome = "withdraw refused: call past its deadline"
        elif amount > held:
            err = self._refused(call, errors.VaultInsufficientHolding)
            assert (err.account, err.held, err.amount) == (account.id, held, amount)
            outcome = "withdraw refused: holding"
        elif requirement and model.value_after_withdrawal(account, asset, amount) < requirement:
            err = self._refused(call, errors.VaultWithdrawalExceedsExcess)
            value_after = model.value_after_withdrawal(account, asset, amount)
            assert (err.valueAfterJpy, err.requirementJpy) == (value_after, requirement)
            assert amount > limit
            outcome = "withdraw refused: excess"
        else:
            assert amount <= limit
            value_after = model.value_after_withdrawal(account, asset, amount) if requirement else 0
            receipt = call()
            (withdrawn,) = receipt.named("CollateralWithdrawn")
            assert (withdrawn["valueAfterJpy"], withdrawn["requirementJpy"]) == (
                value_after,
                requirement,
            )
            # A withdrawal re-evaluates no call: nothing but the withdrawal happens.
            assert [e.name for e in receipt.events if e.contract == "collateral vault"] == [
                "CollateralWithdrawn"
            ]
            account.holdings[asset] -= amount
            model.wallets[member][asset] += amount
            account.last_event = "withdrawal"
            # The vault let it go, so the value still covers the requirement.
            assert model.worth(member) >= requirement
            account.may_be_short = False
            outcome = "withdraw: all the excess" if amount == limit < held else "withdraw"
        note(outcome)

    @rule(what=st.sampled_from((*ASSETS, "USD/JPY")), data=st.data())
    def price_move(self, what: str, data: st.DataObject) -> None:
        """A new price for an asset, or a new USD rate (a price move for every USD asset)."""
        if what == "USD/JPY":
            rate = data.draw(st.integers(*FX_RANGE), label="rate")
            self.oracle.publish_fx_rates({"USD": price_from_chain(rate)})
            self.model.fx["USD"] = rate
            self._touched_by_price(lambda a: self.model.currency[a] == "USD")
        else:
            price = data.draw(st.integers(*PRICE_RANGE[what]), label="price")
            self.oracle.publish_prices({what: price_from_chain(price)})
            self.model.prices[what] = price
            self._touched_by_price(lambda a: a == what)
        note(f"price move: {what}")

    # ------------------------------------------------------------------ rules: requirements

    @rule(member=st.sampled_from(MEMBERS), data=st.data())
    def post_requirement(self, member: str, data: st.DataObject) -> None:
        value = self.model.worth(member)
        amount = data.draw(
            st.one_of(
                st.just(0),
                st.integers(0, 20_000_000),
                st.integers(value // 2, value + value // 2 + 1),  # near the value, either side
            ),
            label="requirement",
        )
        self._post({member: amount})
        note("requirement above the value" if value < amount else "requirement covered")

    @precondition(lambda self: any(self.model.open_calls(m) for m in MEMBERS))
    @rule(data=st.data())
    def post_requirements_while_called(self, data: st.DataObject) -> None:
        """The engine's next run, on both accounts in one batch, while calls are open; the vault
        re-evaluates the open calls against the requirements at once."""
        order = data.draw(st.permutations(MEMBERS), label="batch order")
        self._post(self._requirements(order, data))

    def _requirements(self, order: list[str], data: st.DataObject) -> dict[str, int]:
        """New requirements, each lowered to what the collateral covers, lowered but still above
        it, kept, or raised above the newest open call's (or the present) requirement."""
        requirements = {}
        for member in order:
            account = self.model.accounts[member]
            value = self.model.worth(member)
            open_calls = self.model.open_calls(member)
            newest = max(account.requirement, open_calls[0].requirement if open_calls else 0)
            above = max(newest, value) + 1
            choices = [
                st.integers(above, above + 2_000_000),
                st.integers(value * 3 // 4, value),
                st.just(account.requirement),
            ]
            if value + 1 < newest:
                choices.append(st.integers(value + 1, newest - 1))
            requirements[member] = data.draw(st.one_of(choices), label=f"{member} requirement")
        return requirements

    def _post(self, requirements: dict[str, int]) -> None:
        self.runs += 1
        ids = {self.model.accounts[m].id: r for m, r in requirements.items()}
        expected = self.model.post(requirements)
        outcome = self.world.ccp.margin.post_requirements(ids, run_id=f"run {self.runs}")
        self._check(outcome, expected)
        skipped = tuple(Skipped(e[1], e[2]) for e in expected if e[0] == "AccountSkipped")
        met = tuple(e[1] for e in expected if e[0] == "MarginCallMet")
        assert outcome.value == Posting(skipped, met, deferred=())

    # ------------------------------------------------------------------ rules: margin calls

    @rule(data=st.data())
    def margin_run_racing_the_members(self, data: st.DataObject) -> None:
        """The engine's next run, hours after the last. It sweeps its open calls (those past
        their deadline become overdue, or met if covered meanwhile), may post new requirements on
        both house accounts, then builds a batch of calls on both from what it sees. Before the
        batch lands a member may top up, or the register may suspend a member: the batch skips
        such an account, for its reason, rather than failing."""
        model = self.model
        self._move_clock(data)
        # The overdue sweep names every call the engine has open; those not due yet are skipped.
        sweep = [
            c.id
            for c in model.calls.values()
            if c.status in (CallStatus.ISSUED, CallStatus.PARTIALLY_MET)
        ]
        if sweep:
            self._mark_overdue(sweep)
        order = list(data.draw(st.permutations(MEMBERS), label="batch order"))
        if not data.draw(st.booleans(), label="requirements as they are"):
            self._post(self._requirements(order, data))
        if data.draw(st.booleans(), label="first account twice"):
            order.append(order[0])
        call_type = data.draw(st.sampled_from(CallType), label="call type")
        hours = data.draw(st.integers(*DEADLINE_HOURS), label="hours to the deadline")
        deadline = self.d.chain_time() + hours * HOUR + HOUR // 2
        due = model.clock + hours * HOUR + HOUR // 2
        batch = self.d.vault.issue_margin_calls(
            [model.accounts[m].id for m in order], call_type, deadline=from_unix(deadline)
        )

        meanwhile = data.draw(
            st.sampled_from(["top-up", "nothing", "suspension"]), label="before it lands"
        )
        racer = suspended = None
        short_before = False
        if meanwhile == "top-up" and self._can_pay():
            # Whoever the engine saw short, first: its top-up is what races the batch.
            payers = sorted(
                self._can_pay(), key=lambda m: model.worth(m) >= model.accounts[m].requirement
            )
            racer = data.draw(st.sampled_from(payers), label="tops up")
            short_before = model.worth(racer) < model.accounts[racer].requirement
            target = model.accounts[racer].requirement
            asset, amount = data.draw(self._payment(racer, target), label="top-up")
            self._deposit(racer, asset, amount, why="top-up racing the batch")
        active = [m for m in MEMBERS if model.accounts[m].active]
        if meanwhile == "suspension" and active:
            suspended = data.draw(st.sampled_from(active), label="suspended")
            self.world.ccp.register.suspend(suspended, "stateful: one batch")
            model.accounts[suspended].active = False

        expected = model.issue(order, call_type, deadline, due)
        outcome = self.world.ccp.send(batch)
        self._check(outcome, expected)
        issued = [model.calls[e[1]] for e in expected if e[0] == "MarginCallIssued"]
        assert [
            (c.id, c.account, c.call_type, c.status, to_unix(c.deadline), c.shortfall_jpy,
             c.requirement_jpy, c.previous_open or 0)
            for c in outcome.value.calls
        ] == [
            (c.id, c.account, c.call_type, c.status, c.deadline, c.shortfall, c.requirement,
             c.issued_over)
            for c in issued
        ]  # fmt: skip
        skipped = tuple(Skipped(e[1], e[2]) for e in expected if e[0] == "AccountSkipped")
        assert outcome.value.skipped == skipped
        if short_before and Skipped(model.accounts[racer].id, SkipReason.NO_SHORTFALL) in skipped:
            note("top-up raced the batch: skipped")
        if suspended is not None:
            self.world.ccp.register.reinstate(suspended, "stateful: batch run")
            model.accounts[suspended].active = True

    @precondition(lambda self: bool(self._called()))
    @rule(data=st.data())
    def pay_a_call(self, data: st.DataObject) -> None:
        """A called member pays exactly what one of its open calls needs, a unit less, or any
        deposit; the vault re-evaluates every open call of the account."""
        member = data.draw(st.sampled_from(self._called()), label="member")
        account = self.model.accounts[member]
        call = data.draw(st.sampled_from(self.model.open_calls(member)), label="call")
        target = min(call.requirement, account.requirement)
        asset, amount = data.draw(self._payment(member, target), label="payment")
        self._deposit(member, asset, amount, why="payment")

    @rule(member=st.sampled_from(MEMBERS), data=st.data())
    def set_standing_instruction(self, member: str, data: st.DataObject) -> None:
        """member-a through its role (which approves the vault, unlimited already); member-b
        through the vault client alone, without approving, so its pulls find no allowance."""
        caps = {a: max(1, sum(s[a] for s in self.model.started_with.values())) for a in ASSETS}
        entries = data.draw(
            st.lists(
                st.sampled_from(ASSETS).flatmap(
                    lambda a: st.tuples(st.just(a), st.integers(1, caps[a]))
                ),
                min_size=1,
                max_size=3,
            ),
            label="instruction",
        )
        whole = [(a, self.d.asset(a).whole(cap)) for a, cap in entries]
        m = self.members[member]
        account = self.model.accounts[member].id

        def instruct() -> None:
            if member == "member-a":
                m.set_standing_instruction(whole)
            else:
                m.send(self.d.vault.set_standing_instruction(account, whole))

        if len({a for a, _ in entries}) < len(entries):
            with pytest.raises(errors.VaultInstructionDuplicate):
                instruct()  # an asset named twice: refused, the old instruction stands
            note("instruction refused: duplicate asset")
            return
        instruct()
        self.model.accounts[member].instruction = list(entries)
        note("standing instruction set")

    @precondition(lambda self: bool(self.model.calls))
    @rule(data=st.data())
    def mark_overdue_after_the_clock_moves(self, data: st.DataObject) -> None:
        """Hours may pass, then the engine marks some calls: open ones past their deadline
        overdue (or met, if covered meanwhile); the others are skipped."""
        model = self.model
        if data.draw(st.booleans(), label="hours pass first"):
            self._move_clock(data)
        every = sorted(model.calls)
        open_ids = [c.id for c in model.calls.values() if c.status in OPEN]
        pick = st.one_of(st.sampled_from(open_ids or every), st.sampled_from(every))
        self._mark_overdue(data.draw(st.lists(pick, min_size=1, max_size=3), label="calls"))
        # A member with a call past its deadline tries to take collateral out before the default.
        for member in self._past_due():
            self._withdraw(member, self._asset_to_withdraw(member, data), 1)

    def _move_clock(self, data: st.DataObject) -> None:
        """Whole hours pass, often just past a deadline or to the hour before it; the oracle
        republishes the model's prices and rate, so none is stale."""
        model = self.model
        ahead = [
            (c.due - model.clock) // HOUR
            for c in model.calls.values()
            if c.status in OPEN and c.due > model.clock
        ]
        past = sorted({h + 1 for h in ahead})  # the clock moves in whole hours: just past it
        before = sorted({h for h in ahead if h})  # the hour before it
        choices = [st.sampled_from(past)] if past else []
        choices += [st.sampled_from(before)] if before else []
        hours = data.draw(st.one_of(*choices, st.integers(*CLOCK_MOVE_HOURS)), label="hours pass")
        if hours:
            devnet.increase_time(self.world.chain, hours * HOUR)
            model.clock += hours * HOUR
            self.oracle.publish_prices({a: price_from_chain(model.prices[a]) for a in ASSETS})
            self.oracle.publish_fx_rates({"USD": price_from_chain(model.fx["USD"])})

    def _mark_overdue(self, ids: list[int]) -> None:
        model = self.model
        expected = model.mark_overdue(ids)
        outcome = self.world.ccp.margin.mark_overdue(ids)
        self._check(outcome, expected)
        skipped = tuple(Skipped(e[1], e[2]) for e in expected if e[0] == "CallSkipped")
        assert outcome.value.skipped == skipped
        processed = list(ids)
        for s in skipped:
            processed.remove(s.id)
        assert [(c.id, c.status) for c in outcome.value.calls] == [
            (i, model.calls[i].status) for i in processed
        ]
        assert outcome.value.met == tuple(e[1] for e in expected if e[0] == "MarginCallMet")

    @precondition(
        # One default an example at most, so that the other member keeps the cycle going.
        lambda self: (
            not self.model.frozen_member("member-a")
            and not self.model.frozen_member("member-b")
            and any(c.status is CallStatus.OVERDUE for c in self.model.calls.values())
        )
    )
    @rule(data=st.data())
    def declare_default_over_an_overdue_call(self, data: st.DataObject) -> None:
        overdue = [c.id for c in self.model.calls.values() if c.status is CallStatus.OVERDUE]
        call_id = data.draw(st.sampled_from(overdue), label="overdue call")
        member = self.model.calls[call_id].member
        if member in self._past_due():  # its last chance to take collateral out: refused
            self._withdraw(member, self._asset_to_withdraw(member, data), 1)
        answers_for = self.d.vault.accounts_of(self.members[member])
        expected = self.model.declare_default(call_id, answers_for, self.fund[member])
        if not expected:
            with pytest.raises(errors.VaultMarginCallState):
                self.world.ccp.default.declare(call_id, "stateful: covered meanwhile")
            note("default refused: covered meanwhile")
            return
        self._check(self.world.ccp.default.declare(call_id, "stateful: missed"), expected)
        note("default declared")

    # ------------------------------------------------------------------ invariants

    @invariant()
    def collateral_is_conserved(self) -> None:
        chain = self._checked()
        model = self.model
        for asset in ASSETS:
            held = sum(q for (_, a), q in chain["holding"].items() if a == asset)
            assert chain["vault balance"][asset] == held, asset
            assert chain["supply"][asset] == self.supply[asset], asset
        for name, member in self.members.items():
            account = model.accounts[name]
            for asset in ASSETS:
                wallet = chain["wallet"][member.address, asset]
                holding = chain["holding"][account.id, asset]
                assert (wallet, holding) == (model.wallets[name][asset], account.holdings[asset])
                seized = model.seized[name][asset]
                assert wallet + holding + seized == model.started_with[name][asset], (name, asset)
        for i, holdings in model.others.items():
            assert {a: chain["holding"][i, a] for a in ASSETS} == holdings, i

    @invariant()
    def model_values_accounts_as_the_vault_does(self) -> None:
        chain = self._checked()
        model = self.model
        for name, account in model.accounts.items():
            assert chain["account"][account.id][3] == account.requirement, name
            assert chain["value"][account.id] == model.worth(name), name
            assert chain["active"][name] == account.active, name
            instruction = [
                (self.d.asset(a).symbol, cap) for a, cap in chain["instruction"][account.id]
            ]
            assert instruction == account.instruction, name
            for asset in ASSETS:
                assert chain["allowance"][name, asset] == model.allowances[name][asset]
        for i in self.accounts:
            if i in chain["account"]:
                assert chain["account"][i][2] == (i in model.frozen), i

    @invariant()
    def only_a_price_move_a_new_requirement_or_a_default_leaves_an_account_short(self) -> None:
        for name, account in self.model.accounts.items():
            value = self.model.worth(name)
            if not account.may_be_short:
                assert value >= account.requirement, (name, account.last_event)
            elif value < account.requirement:
                note(f"short after a {account.flagged_by}")

    @invariant()
    def calls_are_as_the_model_says(self) -> None:
        chain = self._checked()
        model = self.model
        assert chain["count"]["calls"] == model.next_call - 1
        for call_id, c in model.calls.items():
            on_chain = chain["call"][call_id]
            assert (
                on_chain.status, on_chain.shortfall_jpy, on_chain.requirement_jpy,
                to_unix(on_chain.deadline), on_chain.account, on_chain.call_type,
                on_chain.previous_open or 0,
            ) == (
                c.status, c.shortfall, c.requirement, c.deadline, c.account, c.call_type,
                model.previous_open(c),
            ), call_id  # fmt: skip
        for name, account in model.accounts.items():
            expected = [c.id for c in model.open_calls(name)]
            assert chain["open calls"][account.id] == expected, name
            if expected:  # and as the SDK reads them for a member, newest first
                open_calls = self.d.vault.open_calls(account.id)
                assert open_calls == [chain["call"][i] for i in expected], name

    @invariant()
    def nobody_is_called_twice_for_the_same_yen(self) -> None:
        """From the chain's own figures: each call asks at most its requirement less that of the
        call open when it was issued, and an account's open calls ask for disjoint slices of its
        requirement, each newer one for a higher one."""
        chain = self._checked()
        calls = chain["call"]
        for c in self.model.calls.values():
            if c.issued_over:
                over = calls[c.issued_over].requirement_jpy
                assert calls[c.id].shortfall_jpy <= calls[c.id].requirement_jpy - over, c.id
        for account in self.model.accounts.values():
            open_calls = [calls[i] for i in chain["open calls"][account.id]]
            slices = [(c.requirement_jpy - c.shortfall_jpy, c.requirement_jpy) for c in open_calls]
            for (low, high), (_, older_high) in pairwise(slices):
                assert older_high <= low < high, slices


def test_vault_conserves_collateral_never_goes_short_by_itself_and_calls_each_yen_once(
    world: World,
) -> None:
    OUTCOMES.clear()
    # Once for every example (the machine's snapshots come after): member-b gets some JGBs;
    # member-a approves the vault without limit, member-b never does, so its deposits go through
    # the SDK's approval on demand (and a refused one must still send nothing).
    world.member_a.transfer("JGB374", world.member_b, 40)
    for asset in ASSETS:
        world.member_a.approve_vault(asset)
    machine = type("VaultOnTheSessionChain", (VaultMachine,), {"world": world})
    run_state_machine_as_test(
        machine,
        settings=settings(
            # The same examples on every run: the closing check below must not depend on luck.
            derandomize=True,
            database=None,
            max_examples=10,
            stateful_step_count=30,
            # Every step is a transaction: shrinking a failure takes many minutes, and the same
            # derandomized sequence replays as printed without it.
            phases=[Phase.explicit, Phase.reuse, Phase.generate],
            deadline=None,
            suppress_health_check=[HealthCheck.too_slow],  # every step is a transaction
        ),
    )
    # The run went through refusals, exact boundaries, every skip the rules can cause, and the
    # turns of the margin cycle the docs describe, not just the happy path.
    for outcome in (
        "withdraw refused: holding",
        "withdraw refused: excess",
        "withdraw refused: call past its deadline",
        "withdraw: all the excess",
        # An increase due before the open call is rare in random runs: test_margin_calls has it.
        *(n for r, n in SKIP_NOTE.items() if r is not SkipReason.DEADLINE_BEFORE_OPEN_CALL),
        "top-up raced the batch: skipped",
        "call met by a lowered requirement",
        "increase called while a call is open",
        "overdue",
        "standing instruction pulled",
        "default declared",
    ):
        assert OUTCOMES[outcome], "\n".join(f"{k}: {v}" for k, v in sorted(OUTCOMES.items()))
