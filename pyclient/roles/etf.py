"""What each participant does in ETF creation and redemption clearing, in business words.

    member.apply_etf("ETF1306", ApplicationKind.CREATION_IN_KIND, 2)    # the clearing member
    manager.draw_up_statement(application_id)                       # the ETF special participant
    bank.approve_statement(application_id)                               # the trust bank: fixes T
    ccp.etf.novate()                                                     # eligibility, novation
    # settlement day (T+2), Tokyo time
    member.settle_etf_deliveries(day)     # by 13:00: securities owed, yen owed (and pre-funding)
    bank.create_units(day)                # by 13:00: the units of the day's creations
    ccp.etf.collect_all(day)              # by 14:15: DvP receipts, article 47
    member.return_etf_surplus(day)        # by 14:45
    bank.cancel_units(day)                # by 15:30: the units of the day's redemptions

A member's side is one book a day (netted with its trades); the trust bank settles the ETF
special participant's side in two books a day, creations and redemptions/exchanges. Every method
that has the settlement draw tokens approves it for exactly what the call moves, after the chain
has judged the call (`Role._drawing`), so a refused step leaves no allowance behind.
"""

from __future__ import annotations

from collections.abc import Mapping
from datetime import date

from .. import errors
from ..contracts.base import Outcome
from ..contracts.etf import EtfApplicationsClient, EtfSettlementClient
from ..errors import InputError
from ..etf.clearing import Application, ApplicationStatus, SettlementBook, book_id
from ..etf.model import ApplicationKind, epoch_day
from ..etf.netting import Stream
from .base import Role


class _EtfParty(Role):
    @property
    def _etf_applications(self) -> EtfApplicationsClient:
        return self.deployment.etf_applications

    @property
    def _etf_settlement(self) -> EtfSettlementClient:
        return self.deployment.etf_settlement

    def etf_book(self, day: date, stream: Stream = Stream.MEMBER) -> SettlementBook:
        """This participant's settlement book of `day` (`EtfBookUnknown` if it has none)."""
        return self._etf_settlement.book(book_id(day, self.address, stream))

    def request_buy_in(
        self, day: date, asset: str, stream: Stream = Stream.MEMBER
    ) -> Outcome[date]:
        """Ask for a buy-in of `asset` whose receipt rolled into this participant's book of `day`;
        the value is the first day the CCP may designate the failing party to buy it in."""
        book = self.etf_book(day, stream)
        return self.send(self._etf_settlement.request_buy_in(book.id, asset))

    def return_etf_surplus(self, day: date, stream: Stream = Stream.MEMBER) -> Outcome[int]:
        """By 14:45: have the yen paid into the book of `day` beyond what it owed returned, once
        it has received everything due; the value is how much came back."""
        return self.send(self._etf_settlement.return_surplus(self.etf_book(day, stream).id))

    def _deliver_owed(
        self,
        book: SettlementBook,
        *,
        prefund_jpy: int | None = None,
        withhold: Mapping[str, int] | None = None,
    ) -> list[Outcome[None]]:
        """Deliver every security `book` still owes, but `withhold` (symbol -> quantity not
        delivered: what will fail), and pay its yen, plus `prefund_jpy` (by default what article
        47 needs at the day's DvP prices: `SettlementBook.prefund_needed`)."""
        settlement = self._etf_settlement
        kept = {self.deployment.asset(s).address: q for s, q in (withhold or {}).items()}
        for token, q in kept.items():
            leg = next((leg for leg in book.legs if leg.token == token), None)
            if (
                isinstance(q, bool)
                or not isinstance(q, int)
                or q <= 0
                or leg is None
                or q > leg.owed
            ):
                owed = leg.owed if leg else 0
                raise InputError(
                    f"cannot withhold {q!r} {self.deployment.asset(token).symbol}: "
                    f"the book owes {owed:,}"
                )
        if prefund_jpy is None:
            prices = {leg.token: settlement.dvp_price(book.day, leg.token) for leg in book.legs}
            for token, price in prices.items():
                if not price:  # refused as the chain would, before anything is sent
                    raise errors.EtfNoDvpPrice(
                        {"day": epoch_day(book.day), "token": token},
                        contract=settlement.label, formatter=self.deployment,
                    )  # fmt: skip
            prefund_jpy = book.prefund_needed(prices, kept)
        elif isinstance(prefund_jpy, bool) or not isinstance(prefund_jpy, int) or prefund_jpy < 0:
            raise InputError(f"pre-funding must be whole yen, not {prefund_jpy!r}")
        sent = []
        for leg in book.legs:
            quantity = leg.owed - kept.get(leg.token, 0)
            if quantity:
                asset = self.deployment.asset(leg.token)
                call = settlement.deliver(book.id, asset, quantity)
                sent.append(self._drawing(call, settlement.address, [(asset, quantity)]))
        pay = book.cash_owed + prefund_jpy
        if pay:
            cash = self.deployment.asset(settlement.cash_address())
            call = settlement.pay_in(book.id, pay)
            sent.append(self._drawing(call, settlement.address, [(cash, pay)]))
        return sent


class EtfApplicant(_EtfParty):
    """A clearing member's side: applies, delivers and pays on settlement day, collects."""

    def apply_etf(self, code: str, kind: ApplicationKind, creation_units: int) -> Outcome[int]:
        """Apply for `kind` of `creation_units` creation units of ETF `code`; the value: its id."""
        return self.send(self._etf_applications.apply(code, kind, creation_units))

    def etf_applications(self) -> list[Application]:
        return [a for a in self._etf_applications.applications() if a.member == self.address]

    def settle_etf_deliveries(
        self,
        day: date,
        *,
        prefund_jpy: int | None = None,
        withhold: Mapping[str, int] | None = None,
    ) -> list[Outcome[None]]:
        """By 13:00 on `day`: deliver every security the member's book owes, pay the yen it owes,
        and pre-fund what article 47 needs: where what it is due is worth more at the day's DvP
        prices than what it delivers, the difference (or `prefund_jpy`); the surplus comes back
        (`return_etf_surplus`). `withhold` ({symbol: quantity}) is what the member cannot deliver
        today: the CCP declares it failed after 13:00."""
        return self._deliver_owed(self.etf_book(day), prefund_jpy=prefund_jpy, withhold=withhold)

    def collect_etf(self, day: date) -> Outcome[None]:
        """By 14:15: take what the member's book is due, as far as article 47 allows."""
        return self.send(self._etf_settlement.collect(self.etf_book(day).id))


class EtfSpecialParticipant(Role):
    """The ETF's manager (ETF特別清算参加者): accepts applications by drawing up statements."""

    @property
    def _etf_applications(self) -> EtfApplicationsClient:
        return self.deployment.etf_applications

    def applications_to_state(self) -> list[Application]:
        """Applications waiting for this manager's statement."""
        mine = {e.code for e in self.deployment.etf_registry.etfs() if e.manager == self.address}
        return [
            a
            for a in self._etf_applications.applications()
            if a.code in mine and a.status is ApplicationStatus.APPLIED
        ]

    def draw_up_statement(
        self, application_id: int, cash_jpy: int | None = None
    ) -> Outcome[Application]:
        """Accept application `application_id` and draw up its statement: an in-kind creation pays
        the basket's cash component and an exchange none (`cash_jpy` left out), a cash creation or
        redemption the yen this manager fixes (`cash_jpy`, required)."""
        application = self._etf_applications.application(application_id)
        if cash_jpy is None:
            if application.kind in (ApplicationKind.CREATION_CASH, ApplicationKind.REDEMPTION_CASH):
                raise InputError(f"a {application.kind.label} needs the statement's yen (cash_jpy)")
            etf = self.deployment.etf_registry.etf(application.code)
            in_kind_creation = application.kind is ApplicationKind.CREATION_IN_KIND
            cash_jpy = (
                etf.cash_per_creation_unit * application.creation_units if in_kind_creation else 0
            )
        return self.send(self._etf_applications.draw_up_statement(application_id, cash_jpy))

    def decline_application(self, application_id: int, *, reason: str) -> Outcome[Application]:
        return self.send(self._etf_applications.decline(application_id, reason))


class EtfTrustee(_EtfParty):
    """The trust bank's side of ETF clearing: approves statements (fixing T), creates the units of
    the day's creations and cancels those of its redemptions, delivers and receives the rest of
    the ETF special participant's side."""

    def statements_to_approve(self) -> list[Application]:
        mine = {e.code for e in self.deployment.etf_registry.etfs() if e.trust_bank == self.address}
        return [
            a
            for a in self._etf_applications.applications()
            if a.code in mine and a.status is ApplicationStatus.STATED
        ]

    def approve_statement(self, application_id: int) -> Outcome[Application]:
        """Approve the statement of `application_id`: today becomes its statement date T."""
        return self.send(self._etf_applications.approve(application_id))

    def create_units(self, day: date, *, prefund_jpy: int | None = None) -> Outcome[None] | None:
        """By 13:00 on `day`: create the units the day's creations deliver, straight into the
        settlement, then pay any yen the creation book owes (a receipt rolled in from a fail) and
        what article 47 needs to hand it the baskets (by default the difference at DvP prices).
        The chain judges the creation first; the settlement is approved for exactly the units
        only when a missing allowance is all that stands in the way. The value is the creation's
        outcome, None when every unit was created already (a retry pays the yen only)."""
        book = self.etf_book(day, Stream.CREATION)
        settlement = self._etf_settlement
        created = None
        if any(leg.owed for leg in book.legs):
            call = settlement.create_units(book.id)
            try:
                created = self.send(call)
            except errors.ERC20InsufficientAllowance:
                for leg in book.legs:  # minted to the bank and drawn in the same transaction
                    if leg.owed:
                        asset = self.deployment.asset(leg.token)
                        self._approve_up_to(asset, settlement.address, leg.owed)
                created = self.send(call)
        self._deliver_owed(self.etf_book(day, Stream.CREATION), prefund_jpy=prefund_jpy)
        return created

    def settle_redemptions(
        self,
        day: date,
        *,
        prefund_jpy: int | None = None,
        withhold: Mapping[str, int] | None = None,
    ) -> list[Outcome[None]]:
        """By 13:00 on `day`: deliver the basket of the day's exchanges and pay the yen of its cash
        redemptions (the redemption book's side), and `prefund_jpy` more where the units due are
        worth more at the DvP price than what the book delivers (by default the difference: article
        47 binds the ETF special participant's side as it binds a member's). `withhold`
        ({symbol: quantity}) is what the bank cannot deliver today: the CCP declares it failed
        after 13:00."""
        book = self.etf_book(day, Stream.REDEMPTION)
        return self._deliver_owed(book, prefund_jpy=prefund_jpy, withhold=withhold)

    def collect_creations(self, day: date) -> Outcome[None]:
        """By 14:15: receive the basket and yen of the day's creations."""
        return self.send(self._etf_settlement.collect(self.etf_book(day, Stream.CREATION).id))

    def cancel_units(self, day: date) -> Outcome[None]:
        """By 15:30: take and cancel the units the day's redemptions and exchanges delivered."""
        return self.send(
            self._etf_settlement.cancel_units(self.etf_book(day, Stream.REDEMPTION).id)
        )
