"""The collateral vault against a Python model, one random sequence of operations at a time.

A Hypothesis state machine deposits, withdraws, posts requirements and moves prices on the
session's Anvil, and keeps a model of every holding, wallet, price and requirement beside it. The
model values accounts with pyclient's own valuation (`pyclient.valuation`, which mirrors
`Valuation.sol`: three roundings down, then the concentration cap against the uncapped total) fed
with the model's own prices, so it predicts every withdrawal exactly:
allowed, refused for want of holding, or refused for want of excess. After every step:

1. collateral is conserved: for every asset the vault's token balance is the sum of its
   accounts' holdings, and each member's wallet plus vault holding is what it started with;
2. the model's value of each account is the vault's own `collateralValue` (so pyclient's
   valuation is held against the chain's on every step);
3. an account falls below its requirement only through a price move or a new requirement, never
   through a deposit or a withdrawal: the model flags an account that a price move or a new
   requirement touched, clears the flag once a deposit or withdrawal leaves it covered, and an
   unflagged account must be covered.

Each example starts from the same chain: the machine snapshots in `__init__`, sets up market data
and accounts, and reverts in `teardown`.
"""

from __future__ import annotations

from collections import Counter
from contextlib import suppress
from dataclasses import dataclass, field
from typing import Any, ClassVar

from hypothesis import HealthCheck, event, settings
from hypothesis import strategies as st
from hypothesis.stateful import (
    RuleBasedStateMachine,
    initialize,
    invariant,
    rule,
    run_state_machine_as_test,
)
from support import World

from pyclient import errors
from pyclient.chain import devnet
from pyclient.collateral.vault import AccountKind
from pyclient.oracle.market_data import Purpose, Quote, RiskParameters, price_from_chain
from pyclient.roles import ClearingMember, Oracle
from pyclient.valuation import account_value

BPS = 10_000
ONE = 10**18

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

# What the examples did, across one test run: the test checks refusals really happen.
OUTCOMES: Counter[str] = Counter()


def note(outcome: str) -> None:
    OUTCOMES[outcome] += 1
    event(outcome)


# ---------------------------------------------------------------------------------------- model


@dataclass
class ModelAccount:
    id: int
    holdings: dict[str, int]
    requirement: int = 0
    may_be_short: bool = False  # a price move or a new requirement touched it since it was covered
    flagged_by: str = ""
    last_event: str = "opened"


@dataclass
class Model:
    decimals: dict[str, int]
    currency: dict[str, str]
    prices: dict[str, int] = field(default_factory=lambda: dict(START_PRICES))
    fx: dict[str, int] = field(default_factory=lambda: {"JPY": ONE, **START_FX})
    wallets: dict[str, dict[str, int]] = field(default_factory=dict)
    started_with: dict[str, dict[str, int]] = field(default_factory=dict)
    accounts: dict[str, ModelAccount] = field(default_factory=dict)

    def value(self, holdings: dict[str, int]) -> int:
        """pyclient's valuation (`pyclient.valuation`) with the model's own prices and rates."""
        quotes = {
            a: Quote(
                self.prices[a], self.fx[self.currency[a]], RISK[a].haircut_bps,
                RISK[a].concentration_bps, self.decimals[a], RISK[a].to_chain()[2],
            )
            for a in holdings
        }  # fmt: skip
        return account_value(holdings, quotes, Purpose.INITIAL_MARGIN)

    def value_after_withdrawal(self, account: ModelAccount, asset: str, amount: int) -> int:
        return self.value({**account.holdings, asset: account.holdings[asset] - amount})

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
        w.ccp.margin.post_requirements(dict.fromkeys(ids.values(), 0), run_id="stateful set-up")
        self.accounts = self._accounts()

        self.model.accounts = {n: ModelAccount(i, dict.fromkeys(ASSETS, 0)) for n, i in ids.items()}
        start = self._picture()
        for name, member in self.members.items():
            account = self.model.accounts[name]
            account.holdings = {a: start["holding"][account.id, a] for a in ASSETS}
            wallet = {a: start["wallet"][member.address, a] for a in ASSETS}
            self.model.wallets[name] = dict(wallet)
            self.model.started_with[name] = {a: wallet[a] + account.holdings[a] for a in ASSETS}
        self.supply = dict(start["supply"])

    def teardown(self) -> None:
        devnet.revert(self.world.chain, self.snapshot)
        self.d.forget_participants()

    def _checked(self) -> dict[str, dict[Any, Any]]:
        """The chain as the invariants see it after a step: one read shared by all of them."""
        block = self.d.chain.w3.eth.block_number
        if self._seen is None or self._seen[0] != block:
            self._seen = (block, self._picture())
        return self._seen[1]

    # ------------------------------------------------------------------ chain reads

    def _read(self, calls: list[tuple[Any, str, list[Any]]]) -> list[Any]:
        """Many reads in one JSON-RPC batch: (contract client, function, args) each.

        The invariants read a hundred values per step, so they batch (`Chain.read_many`).
        """
        fns = [getattr(c.contract.functions, fn)(*args) for c, fn, args in calls]
        return self.d.chain.read_many(fns)

    def _accounts(self) -> list[int]:
        """Every account the vault ever opened, from its own log (default-management included)."""
        return sorted(self.d.vault.account_ids())

    def _picture(self) -> dict[str, dict[Any, Any]]:
        """Everything on chain this test looks at, read at one block."""
        vault, d = self.d.vault, self.d
        accounts = self.accounts  # no rule opens one
        holders = [k.address for k in self.world.keys]
        reads: dict[tuple[str, Any], tuple[Any, str, list[Any]]] = {}
        for a in ASSETS:
            token = d.token(a)
            reads["supply", a] = (token, "totalSupply", [])
            reads["vault balance", a] = (token, "balanceOf", [vault.address])
            for h in holders:
                reads["wallet", (h, a)] = (token, "balanceOf", [h])
            for i in accounts:
                reads["holding", (i, a)] = (vault, "holding", [i, token.address])
        for i in accounts:
            reads["account", i] = (vault, "account", [i])
        for m in self.model.accounts.values():
            reads["value", m.id] = (vault, "collateralValue", [m.id])
        picture: dict[str, dict[Any, Any]] = {}
        for (section, key), value in zip(reads, self._read(list(reads.values())), strict=True):
            picture.setdefault(section, {})[key] = value
        return picture

    def _refused(self, call: Any, error: type[Exception]) -> Any:
        """`call` fails with `error` and changes nothing: no block, not a unit anywhere.

        Conftest's `refused`, batched, and extended to the vault's own books.
        """
        block = self.d.chain.w3.eth.block_number
        before = self._picture()
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

    def _touched_by_price(self, predicate: Any) -> None:
        for account in self.model.accounts.values():
            if any(q and predicate(a) for a, q in account.holdings.items()):
                account.may_be_short, account.flagged_by = True, "price move"
                account.last_event = "price move"

    # ------------------------------------------------------------------ rules

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
            account = self.model.accounts[member]
            value = self.model.value(account.holdings)
            requirement = data.draw(
                st.integers(value // 2, value),
                label=f"{member} opening requirement",
            )
            self._post(member, requirement)

    @rule(member=st.sampled_from(MEMBERS), data=st.data())
    def deposit(self, member: str, data: st.DataObject) -> None:
        wallet = self.model.wallets[member]
        available = [a for a in ASSETS if wallet[a] > 0]
        if not available:
            note("deposit: wallet empty")
            return
        asset = data.draw(st.sampled_from(available), label="asset")
        self._deposit(member, asset, data.draw(st.integers(1, wallet[asset]), label="amount"))

    def _deposit(self, member: str, asset: str, amount: int) -> None:
        self.members[member].deposit(asset, self.d.asset(asset).whole(amount))
        account = self.model.accounts[member]
        self.model.wallets[member][asset] -= amount
        account.holdings[asset] += amount
        account.last_event = "deposit"
        if self.model.value(account.holdings) >= account.requirement:
            account.may_be_short = False
        note("deposit")

    @rule(member=st.sampled_from(MEMBERS), asset=st.sampled_from(ASSETS), data=st.data())
    def deposit_more_than_the_wallet(self, member: str, asset: str, data: st.DataObject) -> None:
        wallet = self.model.wallets[member][asset]
        amount = data.draw(st.integers(wallet + 1, wallet + 10**6), label="amount")
        whole = self.d.asset(asset).whole(amount)
        err = self._refused(
            lambda: self.members[member].deposit(asset, whole), errors.ERC20InsufficientBalance
        )
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

        if amount > held:
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
            account.holdings[asset] -= amount
            model.wallets[member][asset] += amount
            account.last_event = "withdrawal"
            # The vault let it go, so the value still covers the requirement.
            assert model.value(account.holdings) >= requirement
            account.may_be_short = False
            outcome = "withdraw: all the excess" if amount == limit < held else "withdraw"
        note(outcome)

    @rule(member=st.sampled_from(MEMBERS), data=st.data())
    def post_requirement(self, member: str, data: st.DataObject) -> None:
        account = self.model.accounts[member]
        value = self.model.value(account.holdings)
        amount = data.draw(
            st.one_of(
                st.just(0),
                st.integers(0, 20_000_000),
                st.integers(value // 2, value + value // 2 + 1),  # near the value, either side
            ),
            label="requirement",
        )
        self._post(member, amount)
        note("requirement above the value" if value < amount else "requirement covered")

    def _post(self, member: str, requirement: int) -> None:
        account = self.model.accounts[member]
        self.runs += 1
        self.world.ccp.margin.post_requirements(
            {account.id: requirement}, run_id=f"run {self.runs}"
        )
        account.requirement = requirement
        account.may_be_short, account.flagged_by = True, "new requirement"
        account.last_event = "new requirement"

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

    # ------------------------------------------------------------------ invariants

    @invariant()
    def collateral_is_conserved(self) -> None:
        chain = self._checked()
        for asset in ASSETS:
            held = sum(q for (_, a), q in chain["holding"].items() if a == asset)
            assert chain["vault balance"][asset] == held, asset
            assert chain["supply"][asset] == self.supply[asset], asset
        for name, member in self.members.items():
            account = self.model.accounts[name]
            for asset in ASSETS:
                wallet = chain["wallet"][member.address, asset]
                holding = chain["holding"][account.id, asset]
                assert (wallet, holding) == (
                    self.model.wallets[name][asset],
                    account.holdings[asset],
                )
                assert wallet + holding == self.model.started_with[name][asset], (name, asset)

    @invariant()
    def model_values_accounts_as_the_vault_does(self) -> None:
        chain = self._checked()
        for name, account in self.model.accounts.items():
            assert chain["account"][account.id][3] == account.requirement, name
            assert chain["value"][account.id] == self.model.value(account.holdings), name

    @invariant()
    def only_a_price_move_or_a_new_requirement_leaves_an_account_short(self) -> None:
        for name, account in self.model.accounts.items():
            value = self.model.value(account.holdings)
            if not account.may_be_short:
                assert value >= account.requirement, (name, account.last_event)
            elif value < account.requirement:
                note(f"short after a {account.flagged_by}")


def test_vault_conserves_collateral_and_never_goes_short_by_itself(world: World) -> None:
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
            max_examples=15,
            stateful_step_count=12,
            deadline=None,
            suppress_health_check=[HealthCheck.too_slow],  # every step is a transaction
        ),
    )
    # The run went through both refusals and the exact boundary, not just the happy path.
    for outcome in (
        "withdraw refused: holding",
        "withdraw refused: excess",
        "withdraw: all the excess",
    ):
        assert OUTCOMES[outcome], dict(OUTCOMES)
