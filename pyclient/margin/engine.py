"""The CCP's margin engine on chain: compute requirements, post them, call shortfalls, follow up.

It sits between the pure risk model (`pyclient.margin.risk`), the Tokyo timetable
(`pyclient.margin.calendar`) and the collateral vault: each run values every account's positions,
posts the requirements in one transaction, and calls every account whose collateral falls short,
each call due by the timetable. What it manages is read from the chain, not remembered: every
vault account with a requirement (or an open call), so a fresh engine, in another process or
after a restart, calls the same short accounts and agrees on the state of every call. Accounts
are given by id, label (`"member-a house"`) or participant (`"client-x"`), as everywhere.

    engine = MarginEngine(ccp)          # anything with a deployment and a signer
    engine.run(portfolios, current_prices=..., history=..., run_id="2026-11-24 EOD")
    calls = engine.issue_calls(CallType.REGULAR).value   # a BatchOutcome; no call, no tx

Batches are split so that each transaction stays well inside a block (and inside the per-
transaction gas cap of networks that enforce EIP-7825): `calls_per_tx` accounts or calls, and
`requirements_per_tx` requirements, per transaction (the benchmark measures how many fit).
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
    Posting,
    account_id,
)
from ..contracts.base import BatchOutcome, Call, send_all
from ..deployment import Deployment
from ..views import AccountView, account_views, clearing_members_of
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

CALLS_PER_TX = 200  # a call costs ~65k gas plus a price read per asset held: ~13M+ for 200
REQUIREMENTS_PER_TX = 1_000  # a requirement costs ~9k gas: ~9M for 1,000


class Operator(Protocol):
    """Who the engine acts as: a deployment and a key holding MARGIN_ENGINE_ROLE (a `Ccp`)."""

    deployment: Deployment
    signer: LocalAccount


@dataclass(frozen=True)
class Portfolio:
    """What the CCP margins: one vault account's cleared positions.

    `account` is the vault account: its id, its label (`"member-a house"`) or its owner
    (`"member-a"`: its house account; a client: its own account). `net_capital` is that of the
    clearing member responsible for the account (it decides the add-on); `trade_prices` are the
    prices the positions were traded at, for mark-to-market.
    """

    account: Any
    positions: Sequence[Position]
    trade_prices: Mapping[str, Any]
    net_capital: Any


@dataclass
class MarginEngine:
    """Runs margin as `operator` (which holds MARGIN_ENGINE_ROLE): posts requirements, then
    calls and follows every vault account with a requirement, as the chain lists them.

    `accounts` are those this engine posted requirements for (in this process); the calls are
    built from the chain's list (`managed`), not from it."""

    operator: Operator
    confidence: Any = DEFAULT_CONFIDENCE
    holding_period_days: int = DEFAULT_HOLDING_PERIOD_DAYS
    lookback_days: int = DEFAULT_LOOKBACK_DAYS
    add_on_rate: Any = DEFAULT_ADD_ON_RATE
    accounts: list[int] = field(default_factory=list)
    last_results: dict[int, MarginResult] = field(default_factory=dict)
    last_posted: BatchOutcome[list[Posting]] | None = None
    calls_per_tx: int = CALLS_PER_TX
    requirements_per_tx: int = REQUIREMENTS_PER_TX

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
        """Initial margin of each portfolio, by component, keyed by account id (nothing is
        sent)."""
        return {
            self.deployment.vault.resolve(p.account): initial_margin(
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

    def post(self, requirements: Mapping[Any, Any], *, run_id: str) -> BatchOutcome[list[Posting]]:
        """Post requirements (whole JPY; accounts by id, label or participant),
        `requirements_per_tx` to a transaction; the value holds each transaction's `Posting`."""
        vault = self.deployment.vault
        requirements = dict(
            zip(vault.resolve_all(requirements), requirements.values(), strict=True)
        )
        items = list(requirements.items())
        calls = [
            vault.post_requirements(dict(part), run_id=run_id)
            for part in _chunks(items, self.requirements_per_tx)
        ]
        outcome = self._send(calls)
        for acct in requirements:
            if acct not in self.accounts:
                self.accounts.append(acct)
        return outcome

    # ------------------------------------------------------------------ clearing fund

    def member_books(self, portfolios: Iterable[Portfolio]) -> dict[str, list[Position]]:
        """Each clearing member's whole book, by name: the positions of its own accounts and of
        its clients' (as the register says whom each clears through), what its stress loss is
        measured on (`clearing_fund.record_day`)."""
        portfolios = list(portfolios)
        ids = self.deployment.vault.resolve_all(p.account for p in portfolios)
        member = clearing_members_of(self.deployment, ids)
        books: dict[str, list[Position]] = {}
        for p, account in zip(portfolios, ids, strict=True):
            books.setdefault(member[account], []).extend(p.positions)
        return dict(sorted(books.items()))

    def member_margins(self, results: Mapping[int, MarginResult]) -> dict[str, Decimal]:
        """Each clearing member's initial margin, by name: the sum over its own and its clients'
        accounts of a run's results. The apportionment basis of its clearing-fund share, and
        tomorrow's `previous_day_margin` in `clearing_fund.record_day`."""
        member = clearing_members_of(self.deployment, results)
        margins: dict[str, Decimal] = {}
        for acct, result in results.items():
            margins[member[acct]] = margins.get(member[acct], Decimal(0)) + result.total
        return dict(sorted(margins.items()))

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

    def managed(self) -> list[int]:
        """Every vault account with a requirement or an open call, in the order opened, read from
        the chain now: what `states`, `short_accounts`, `calls_due` and `issue_calls` consider
        when no `accounts` are given, whoever posted the requirements and whenever."""
        return [a.id for a in self.deployment.vault.with_requirement()]

    def states(self, accounts: Iterable[Any] | None = None) -> list[AccountView]:
        """Requirement, value and open call of each account (default: `managed()`), read from the
        chain now (an account that cannot be valued now has `value_jpy` None and says why in
        `unvalued`)."""
        return account_views(self.deployment, self.managed() if accounts is None else accounts)

    def issue_calls(
        self,
        call_type: CallType,
        *,
        accounts: Iterable[Any] | None = None,
        computed_at: dt.datetime | None = None,
    ) -> BatchOutcome[CallBatch]:
        """Call every account short of what its open calls ask for, `calls_per_tx` to a
        transaction (none if none is); the value is the calls as issued and the accounts the vault
        skipped (one that paid between the engine's read and the transaction, say)."""
        batch = self._send(self.calls_due(call_type, accounts=accounts, computed_at=computed_at))
        return BatchOutcome(batch.outcomes, _merged(o.value for o in batch.outcomes))

    def calls_due(
        self,
        call_type: CallType,
        *,
        accounts: Iterable[Any] | None = None,
        computed_at: dt.datetime | None = None,
    ) -> list[Call[CallBatch]]:
        """The transactions of calls the engine would send now, `calls_per_tx` accounts each (none
        if no account is short of what its open calls ask for), built from the chain as it reads
        it, not sent: to inspect, estimate, sign elsewhere, or send later (a member may pay in
        between: the vault then skips it)."""
        short = [s.id for s in self.short_accounts(accounts)]
        vault = self.deployment.vault
        return [
            vault.issue_margin_calls(part, call_type, computed_at=computed_at)
            for part in _chunks(short, self.calls_per_tx)
        ]

    def short_accounts(self, accounts: Iterable[Any] | None = None) -> list[AccountView]:
        """The accounts a new call would ask something of now: not frozen, and short of what their
        open calls already ask for, or with a requirement and no value now (a price lapsed: the
        vault decides, and skips the account with its reason if it still cannot value it)."""
        return [
            s
            for s in self.states(accounts)
            if not s.account.frozen
            and (s.uncalled_jpy > 0 or (s.value_jpy is None and s.requirement_jpy > 0))
        ]

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
        vault = self.deployment.vault
        batch = self._send([vault.mark_overdue(part) for part in _chunks(due, self.calls_per_tx)])
        return BatchOutcome(batch.outcomes, _merged(o.value for o in batch.outcomes))

    def _send(self, calls: list[Call[T]]) -> BatchOutcome[list[T]]:
        return send_all(calls, self.operator.signer)

    def report(self) -> list[MarginCall]:
        """Every call ever issued, with its state now."""
        return self.deployment.vault.margin_calls()


def _merged(batches: Iterable[CallBatch]) -> CallBatch:
    done = list(batches)
    return CallBatch(
        tuple(c for b in done for c in b.calls),
        tuple(s for b in done for s in b.skipped),
        tuple(m for b in done for m in b.met),
    )


def _chunks(items: Sequence[T], size: int) -> list[list[T]]:
    """`items` in consecutive parts of at most `size` (none when there are no items)."""
    if size < 1:
        raise ValueError(f"a batch holds at least one item, not {size}")
    return [list(items[i : i + size]) for i in range(0, len(items), size)]
