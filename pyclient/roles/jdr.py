"""The JDR trust's participants: the trust bank (trustee and issuer), the settlor (the ETF
manager), and what any holder of JDRs can do.

    bank = TrustBank(deployment, bank_key)
    bank.create_series(symbol="SPY-JDR", name="SPDR S&P 500 ETF JDR", underlying="SPY",
                       settlor="etf-manager", ratio=10, trust_fee_bps=20, listing_date=...)
    settlor.create("SPY-JDR", 100)                   # 100 SPY in, 1,000 JDR once approved
    bank.approve_creation("SPY-JDR", creation.id)
    holder.cancel_in_kind("SPY-JDR", 50)             # 5 SPY back, never cash
    holder.claim_distribution("SPY-JDR", 0)          # its share in JPY

What any holder does (cancel in kind, claim a distribution or its termination share, ask for a
buyback) is on every role (`Role`), since any participant may hold JDRs. Every method takes the
series by its JDR symbol. Where a call draws a token from the caller (ETF
units for a creation, JPY for a distribution), the trust is approved for what that call needs
first, so one method does what the business step needs.
"""

from __future__ import annotations

import datetime as dt
from fractions import Fraction
from typing import Any

from ..contracts.base import Outcome
from ..jdr.model import (
    Buyback,
    Creation,
    Disclosure,
    Distribution,
    Operation,
    Termination,
    Trigger,
    distribution_figures,
    ratio_of,
)
from ..tokens.asset import Asset
from ..units import Amount
from .etf import EtfSpecialParticipant, EtfTrustee


class TrustBank(EtfTrustee):
    """The trust bank: creates its series, approves creations, suspends and resumes, announces
    record dates and pays distributions, discloses daily, terminates and liquidates."""

    def create_series(self, **deed: Any) -> Outcome[str]:
        """Create a JDR series from its trust deed (see `JdrFactoryClient.create_series`), this
        bank its trustee. The value is the trust's address; the JDR is then known by its symbol."""
        factory = self.deployment.jdr_factory
        return self.send(factory.create_series(trust_bank=self.address, **deed))

    def approve_creation(self, jdr: str | Asset, id_: int) -> Outcome[Creation]:
        return self.send(self.deployment.jdr(jdr).approve_creation(id_))

    def reject_creation(self, jdr: str | Asset, id_: int, *, reason: str) -> Outcome[Creation]:
        return self.send(self.deployment.jdr(jdr).reject_creation(id_, reason=reason))

    def approve_pending(self, jdr: str | Asset) -> list[Outcome[Creation]]:
        """Approve every creation still pending, oldest first."""
        trust = self.deployment.jdr(jdr)
        count = len(trust.history("CreationRequested"))
        pending = [i for i in range(count) if trust.creation(i).status == 1]
        return [self.approve_creation(jdr, i) for i in pending]

    def authorise_participant(
        self, jdr: str | Asset, who: Any, authorised: bool = True
    ) -> Outcome[None]:
        return self.send(self.deployment.jdr(jdr).set_authorised_participant(who, authorised))

    def confirm_cancel_eligible(
        self, jdr: str | Asset, who: Any, eligible: bool = True
    ) -> Outcome[None]:
        """Confirm that `who` can take the ETF in its home market (so may cancel in kind)."""
        return self.send(self.deployment.jdr(jdr).set_cancel_eligible(who, eligible))

    def propose_ratio_change(
        self, jdr: str | Asset, ratio: Fraction | int | str, *, reason: str
    ) -> Outcome[Fraction | None]:
        """Propose the ratio after a split or consolidation of the ETF, for the settlor to
        confirm; then the bank delivers (or takes back) the ETF units that keep every JDR backed
        at the new ratio, and no holder is touched. For a split the trust is approved here for
        the units it will draw."""
        trust = self.deployment.jdr(jdr)
        outcome = self.send(trust.propose_ratio_change(ratio, reason=reason))
        supply, held, _ = trust.invariant()
        need = Fraction(supply) / ratio_of(ratio) - held
        if need > 0 and need.denominator == 1:
            self._approve_up_to(trust.underlying, trust.address, int(need))
        return outcome

    def suspend(self, jdr: str | Asset, operation: Operation, *, reason: str) -> Outcome[None]:
        return self.send(self.deployment.jdr(jdr).suspend(operation, reason=reason))

    def resume(self, jdr: str | Asset, operation: Operation, *, reason: str) -> Outcome[None]:
        return self.send(self.deployment.jdr(jdr).resume(operation, reason=reason))

    def announce_record_date(self, jdr: str | Asset, record_date: dt.date) -> Outcome[Distribution]:
        return self.send(self.deployment.jdr(jdr).announce_record_date(record_date))

    def declare_distribution(
        self, jdr: str | Asset, id_: int, foreign_amount: Amount
    ) -> Outcome[Distribution]:
        """Convert the ETF's distribution the trust received at the published rate and pay in the
        JPY net of the trust fee (the trust is approved for it first)."""
        trust = self.deployment.jdr(jdr)
        deed = trust.deed()
        foreign = self.deployment.asset(deed.foreign_cash)
        fx = self.deployment.market_data.quote(foreign).fx_e18
        figures = distribution_figures(
            foreign.units(foreign_amount), fx, fee_bps=deed.trust_fee_bps,
            foreign_decimals=foreign.decimals,
            cash_decimals=self.deployment.asset(deed.cash).decimals,
        )  # fmt: skip
        cash = self.deployment.asset(deed.cash)
        call = trust.declare_distribution(id_, foreign_amount)
        return self._drawing(call, trust.address, [(cash, cash.whole(figures.net_jpy))])

    def disclose(
        self, jdr: str | Asset, as_of: dt.date | dt.datetime, nav_per_underlying: Amount
    ) -> Outcome[Disclosure]:
        return self.send(self.deployment.jdr(jdr).disclose(as_of, nav_per_underlying))

    def terminate(self, jdr: str | Asset, trigger: Trigger, *, reason: str) -> Outcome[Termination]:
        return self.send(self.deployment.jdr(jdr).terminate(trigger, reason=reason))

    def record_liquidation(self, jdr: str | Asset, proceeds_jpy: Amount) -> Outcome[Termination]:
        """The ETF units were sold for `proceeds_jpy`: they leave the trust, the yen come in."""
        trust = self.deployment.jdr(jdr)
        cash = self.deployment.asset(trust.deed().cash)
        call = trust.record_liquidation(proceeds_jpy)
        if not cash.units(proceeds_jpy, allow_zero=True):
            return self.send(call)
        return self._drawing(call, trust.address, [(cash, proceeds_jpy)])


class Settlor(EtfSpecialParticipant):
    """The settlor, the ETF manager (ETF special participant): creates JDRs in kind and buys
    them back from holders."""

    def create(
        self, jdr: str | Asset, underlying_units: Amount, *, recipient: Any = None
    ) -> Outcome[Creation]:
        """Deliver ETF units for JDRs (to `recipient`, by default this settlor), pending the trust
        bank's approval."""
        return self.request_creation(jdr, underlying_units, recipient=recipient)

    def accept_buyback(self, jdr: str | Asset, id_: int) -> Outcome[Buyback]:
        """Buy a holder's JDRs at the price it asked: JDRs here, JPY there, in one transaction."""
        trust = self.deployment.jdr(jdr)
        request, cash = trust.buyback(id_), self.deployment.asset(trust.deed().cash)
        call = trust.accept_buyback(id_)
        return self._drawing(call, trust.address, [(cash, cash.whole(request.price_jpy))])

    def confirm_ratio_change(self, jdr: str | Asset) -> Outcome[Fraction]:
        """Confirm the ratio change the trust bank proposed (the ETF's split or consolidation, as
        its manager knows it); the value is the ratio now in force."""
        return self.send(self.deployment.jdr(jdr).confirm_ratio_change())

    def decline_buyback(self, jdr: str | Asset, id_: int, *, reason: str) -> Outcome[Buyback]:
        return self.send(self.deployment.jdr(jdr).decline_buyback(id_, reason=reason))


EtfManager = Settlor


__all__ = ["EtfManager", "Settlor", "TrustBank"]
