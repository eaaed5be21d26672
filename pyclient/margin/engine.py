"""The CCP's margin engine on chain: compute requirements, post them, call shortfalls, follow up.

It sits between the pure risk model (`pyclient.margin.risk`), the Tokyo timetable
(`pyclient.margin.calendar`) and the collateral vault: each run values every account's positions,
posts the requirements in one transaction, and calls every account whose collateral falls short,
each call due by the timetable. It reads back what the chain holds, so two engines (or a restart)
agree on the state of every call.

    engine = MarginEngine(ccp)
    engine.run(portfolios, current_prices=..., history=..., run_id="2026-11-24 EOD")
    calls = engine.issue_calls(CallType.REGULAR)
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from decimal import Decimal
from typing import Any

from ..chain.client import Receipt
from ..collateral.vault import AccountKind, CallStatus, MarginCall, VaultAccount, account_id
from ..roles import Ccp
from .calendar import CallType, from_unix
from .risk import (
    DEFAULT_ADD_ON_RATE,
    DEFAULT_CONFIDENCE,
    DEFAULT_HOLDING_PERIOD_DAYS,
    DEFAULT_LOOKBACK_DAYS,
    MarginResult,
    Position,
    clearing_fund_shares,
    initial_margin,
)


@dataclass(frozen=True)
class Portfolio:
    """What the CCP margins: one vault account's cleared positions.

    `net_capital` is that of the clearing member responsible for the account (it decides the
    add-on); `trade_prices` are the prices the positions were traded at, for mark-to-market.
    """

    account: int
    positions: Sequence[Position]
    trade_prices: Mapping[str, Any]
    net_capital: Any


@dataclass(frozen=True)
class AccountState:
    """One account as the engine sees it on chain."""

    account: VaultAccount
    label: str
    value_jpy: int

    @property
    def requirement_jpy(self) -> int:
        return self.account.requirement_jpy

    @property
    def shortfall_jpy(self) -> int:
        return max(0, self.requirement_jpy - self.value_jpy)


@dataclass
class MarginEngine:
    """Runs margin for the accounts given, as `ccp` (which holds MARGIN_ENGINE_ROLE)."""

    ccp: Ccp
    confidence: Any = DEFAULT_CONFIDENCE
    holding_period_days: int = DEFAULT_HOLDING_PERIOD_DAYS
    lookback_days: int = DEFAULT_LOOKBACK_DAYS
    add_on_rate: Any = DEFAULT_ADD_ON_RATE
    accounts: list[int] = field(default_factory=list)
    last_results: dict[int, MarginResult] = field(default_factory=dict)

    @property
    def deployment(self) -> Any:
        return self.ccp.deployment

    # ------------------------------------------------------------------ requirements

    def compute(
        self,
        portfolios: Iterable[Portfolio],
        *,
        current_prices: Mapping[str, Any],
        history: Mapping[str, Sequence[Any]],
    ) -> dict[int, MarginResult]:
        """Initial margin of each portfolio, by component (nothing is sent)."""
        return {
            p.account: initial_margin(
                p.positions,
                trade_prices=p.trade_prices,
                current_prices=current_prices,
                history=history,
                net_capital=p.net_capital,
                confidence=self.confidence,
                holding_period_days=self.holding_period_days,
                lookback_days=self.lookback_days,
                add_on_rate=self.add_on_rate,
            )
            for p in portfolios
        }

    def run(
        self,
        portfolios: Iterable[Portfolio],
        *,
        current_prices: Mapping[str, Any],
        history: Mapping[str, Sequence[Any]],
        run_id: str,
    ) -> dict[int, MarginResult]:
        """Compute every portfolio's margin and post all requirements in one transaction."""
        results = self.compute(portfolios, current_prices=current_prices, history=history)
        self.post({acct: r.total for acct, r in results.items()}, run_id=run_id)
        self.last_results = results
        return results

    def post(self, requirements: Mapping[int, Any], *, run_id: str) -> Receipt:
        """Post requirements (whole JPY) and remember the accounts for later calls."""
        receipt = self.ccp.post_requirements(dict(requirements), run_id=run_id)
        for acct in requirements:
            if acct not in self.accounts:
                self.accounts.append(acct)
        return receipt

    def post_clearing_fund(
        self, margins: Mapping[str, Any], *, fund_size: Any, run_id: str
    ) -> dict[str, Decimal]:
        """Split a clearing fund of `fund_size` JPY pro rata to each member's margin (JPY 10m
        minimum) and post each share as the requirement of the member's clearing-fund account.

        `margins` maps member names (or addresses) to their initial margin.
        """
        shares = clearing_fund_shares(dict(margins), fund_size)
        requirements = {
            account_id(self.deployment.address_of(member), AccountKind.CLEARING_FUND): share
            for member, share in shares.items()
        }
        self.post(requirements, run_id=run_id)
        return shares

    # ------------------------------------------------------------------ calls

    def states(self, accounts: Iterable[int] | None = None) -> list[AccountState]:
        """Requirement, value and open call of each account, read from the chain now."""
        vault = self.deployment.vault.functions
        out = []
        for acct in self.accounts if accounts is None else accounts:
            record = VaultAccount.from_chain(acct, self.deployment.call(vault.account(acct)))
            value = self.deployment.call(vault.collateralValue(acct))
            out.append(AccountState(record, self.deployment.vault_account(acct), value))
        return out

    def issue_calls(
        self,
        call_type: CallType,
        *,
        accounts: Iterable[int] | None = None,
        computed_at: dt.datetime | None = None,
    ) -> list[MarginCall]:
        """Call every short account with no call open, in one transaction ([] if none is short)."""
        short = [
            s.account.id
            for s in self.states(accounts)
            if s.shortfall_jpy > 0 and s.account.open_call is None and not s.account.frozen
        ]
        if not short:
            return []
        return self.ccp.issue_margin_calls(short, call_type, computed_at=computed_at)

    def open_calls(self) -> list[MarginCall]:
        return [c for c in self.deployment.margin_calls() if c.status.open]

    def mark_overdue(self) -> list[MarginCall]:
        """Mark every unmet call whose deadline has passed on the chain's clock."""
        now = from_unix(self.deployment.chain_time())
        due = [
            c.id
            for c in self.open_calls()
            if c.status in (CallStatus.ISSUED, CallStatus.PARTIALLY_MET) and c.deadline < now
        ]
        if due:
            self.ccp.mark_overdue(due)
        return [self.deployment.margin_call(i) for i in due]

    def report(self) -> list[MarginCall]:
        """Every call ever issued, with its state now."""
        return self.deployment.margin_calls()
