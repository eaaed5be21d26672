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
from ..collateral.vault import (
    AccountKind,
    CallBatch,
    CallStatus,
    CallType,
    MarginCall,
    Skipped,
    account_id,
)
from ..contracts.base import BatchOutcome, Call, send_all
from ..deployment import Deployment
from ..views import AccountView, account_views
from .clearing_fund import ClearingFund, member_shares
from .risk import (
    DEFAULT_ADD_ON_RATE,
    DEFAULT_CONFIDENCE,
    DEFAULT_HOLDING_PERIOD_DAYS,
    DEFAULT_LOOKBACK_DAYS,
    MarginResult,
    Position,
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
    last_posted: BatchOutcome[list[tuple[Skipped, ...]]] | None = None

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
        """Compute every portfolio's margin and post all requirements in one transaction (its
        outcome is kept as `last_posted`: a posting can meet open calls or skip frozen accounts)."""
        results = self.compute(portfolios, current_prices=current_prices, history=history)
        self.last_posted = self.post({acct: r.total for acct, r in results.items()}, run_id=run_id)
        self.last_results = results
        return results

    def post(
        self, requirements: Mapping[int, Any], *, run_id: str
    ) -> BatchOutcome[list[tuple[Skipped, ...]]]:
        """Post requirements (whole JPY) and remember the accounts for later calls."""
        vault = self.deployment.vault
        calls = [vault.post_requirements(dict(requirements), run_id=run_id)] if requirements else []
        outcome = self._send(calls)
        for acct in requirements:
            if acct not in self.accounts:
                self.accounts.append(acct)
        return outcome

    def post_clearing_fund(
        self, margins: Mapping[str, Any], *, fund_size: Any, run_id: str
    ) -> dict[str, Decimal]:
        """Share a clearing fund of `fund_size` JPY pro rata to each member's margin (at least
        JPY 10m, `clearing_fund.member_shares`) and post the shares in one transaction.

        `margins` maps member names (or addresses) to their initial margin. To size the fund by
        the rules as well, use `clearing_fund.size_clearing_fund` and `post_clearing_fund_shares`.
        """
        return self.post_clearing_fund_shares(member_shares(fund_size, margins), run_id=run_id)

    def post_clearing_fund_shares(
        self, shares: ClearingFund | Mapping[str, Any], *, run_id: str
    ) -> dict[str, Decimal]:
        """Post each member's clearing-fund share (whole JPY) as the requirement of its
        clearing-fund account, all in one transaction; returns the shares posted.

        `shares` is a `ClearingFund` (from `clearing_fund.size_clearing_fund`) or a mapping of
        member names (or addresses) to shares. An unknown member or a share that is not whole
        yen is refused before anything is sent.
        """
        posted = dict(shares.shares if isinstance(shares, ClearingFund) else shares)
        requirements = {
            account_id(self.deployment.address_of(member), AccountKind.CLEARING_FUND): share
            for member, share in posted.items()
        }
        self.post(requirements, run_id=run_id)
        return {member: Decimal(share) for member, share in posted.items()}

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
    ) -> BatchOutcome[CallBatch]:
        """Call every account short of what its open calls ask for, in one transaction (none if
        none is); the value is the calls as issued and the accounts the vault skipped (one that
        paid between the engine's read and the transaction, say)."""
        call = self.calls_due(call_type, accounts=accounts, computed_at=computed_at)
        batch = self._send([call] if call is not None else [])
        return BatchOutcome(batch.outcomes, _merged(o.value for o in batch.outcomes))

    def calls_due(
        self,
        call_type: CallType,
        *,
        accounts: Iterable[int] | None = None,
        computed_at: dt.datetime | None = None,
    ) -> Call[CallBatch] | None:
        """The batch of calls the engine would send now (None if no account is short of what its
        open calls ask for), built from the chain as it reads it, not sent: to inspect, estimate,
        sign elsewhere, or send later (a member may pay in between: the vault then skips it)."""
        short = [s.id for s in self.short_accounts(accounts)]
        if not short:
            return None
        return self.deployment.vault.issue_margin_calls(short, call_type, computed_at=computed_at)

    def short_accounts(self, accounts: Iterable[int] | None = None) -> list[AccountView]:
        """The accounts a new call would ask something of now: short of what their open calls
        already ask for, and not frozen."""
        return [s for s in self.states(accounts) if s.uncalled_jpy > 0 and not s.account.frozen]

    def open_calls(self) -> list[MarginCall]:
        return [c for c in self.deployment.vault.margin_calls() if c.status.open]

    def mark_overdue(self) -> BatchOutcome[CallBatch]:
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
        return BatchOutcome(batch.outcomes, _merged(o.value for o in batch.outcomes))

    def _send(self, calls: list[Call[T]]) -> BatchOutcome[list[T]]:
        return send_all(calls, self.operator.signer)

    def report(self) -> list[MarginCall]:
        """Every call ever issued, with its state now."""
        return self.deployment.vault.margin_calls()


def _merged(batches: Iterable[CallBatch]) -> CallBatch:
    done = list(batches)
    return CallBatch(
        tuple(c for b in done for c in b.calls), tuple(s for b in done for s in b.skipped)
    )
