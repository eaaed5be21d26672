"""The CCP's margin engine on chain: compute requirements, post them, call shortfalls, follow up.

It sits between the pure risk model (`pyclient.margin.risk`), the Tokyo timetable
(`pyclient.margin.calendar`) and the collateral vault: each run values every account's positions,
posts the requirements in one transaction, and calls every account whose collateral falls short,
each call due by the timetable. It reads back what the chain holds, so two engines (or a restart)
agree on the state of every call.

    engine = MarginEngine(ccp)          # anything with a deployment and a signer
    engine.run(portfolios, current_prices=..., history=..., run_id="2026-11-24 EOD")
    calls = engine.issue_calls(CallType.REGULAR).value   # a BatchOutcome; no call, no tx
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from decimal import Decimal
from typing import Any, Protocol, TypeVar

from eth_account.signers.local import LocalAccount

from ..clock import from_unix
from ..collateral.vault import AccountKind, CallStatus, CallType, MarginCall, account_id
from ..contracts.base import BatchOutcome, Call, send_all
from ..deployment import Deployment
from ..views import AccountView, account_views
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

T = TypeVar("T")


class Operator(Protocol):
    """Who the engine acts as: a deployment and a key holding MARGIN_ENGINE_ROLE (a `Ccp`)."""

    deployment: Deployment
    signer: LocalAccount


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


@dataclass
class MarginEngine:
    """Runs margin for the accounts given, as `operator` (which holds MARGIN_ENGINE_ROLE)."""

    operator: Operator
    confidence: Any = DEFAULT_CONFIDENCE
    holding_period_days: int = DEFAULT_HOLDING_PERIOD_DAYS
    lookback_days: int = DEFAULT_LOOKBACK_DAYS
    add_on_rate: Any = DEFAULT_ADD_ON_RATE
    accounts: list[int] = field(default_factory=list)
    last_results: dict[int, MarginResult] = field(default_factory=dict)

    @property
    def deployment(self) -> Deployment:
        return self.operator.deployment

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

    def post(self, requirements: Mapping[int, Any], *, run_id: str) -> BatchOutcome[list[None]]:
        """Post requirements (whole JPY) and remember the accounts for later calls."""
        call = self.deployment.vault.post_requirements(dict(requirements), run_id=run_id)
        outcome = self._send([call] if requirements else [])
        for acct in requirements:
            if acct not in self.accounts:
                self.accounts.append(acct)
        return outcome

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

    def states(self, accounts: Iterable[int] | None = None) -> list[AccountView]:
        """Requirement, value and open call of each account, read from the chain now."""
        return account_views(
            self.deployment, self.accounts if accounts is None else accounts, strict=True
        )

    def issue_calls(
        self,
        call_type: CallType,
        *,
        accounts: Iterable[int] | None = None,
        computed_at: dt.datetime | None = None,
    ) -> BatchOutcome[list[MarginCall]]:
        """Call every short account with no call open, in one transaction (none if none is);
        the value is the calls as issued."""
        short = [
            s.id
            for s in self.states(accounts)
            if s.shortfall_jpy > 0 and s.account.open_call is None and not s.account.frozen
        ]
        vault = self.deployment.vault
        batch = self._send([vault.issue_margin_calls(short, call_type, computed_at=computed_at)]
                           if short else [])  # fmt: skip
        return BatchOutcome(batch.outcomes, [c for o in batch.outcomes for c in o.value])

    def open_calls(self) -> list[MarginCall]:
        return [c for c in self.deployment.vault.margin_calls() if c.status.open]

    def mark_overdue(self) -> BatchOutcome[list[MarginCall]]:
        """Mark every unmet call whose deadline has passed on the chain's clock (the next block is
        later than the latest, so a deadline equal to its time has passed too); the value is
        those calls as they are now (one met in the meantime is closed as met instead)."""
        now = from_unix(self.deployment.chain_time())
        due = [
            c.id
            for c in self.open_calls()
            if c.status in (CallStatus.ISSUED, CallStatus.PARTIALLY_MET) and c.deadline <= now
        ]
        batch = self._send([self.deployment.vault.mark_overdue(due)] if due else [])
        return BatchOutcome(batch.outcomes, [c for o in batch.outcomes for c in o.value])

    def _send(self, calls: list[Call[T]]) -> BatchOutcome[list[T]]:
        return send_all(calls, self.operator.signer)

    def report(self) -> list[MarginCall]:
        """Every call ever issued, with its state now."""
        return self.deployment.vault.margin_calls()
