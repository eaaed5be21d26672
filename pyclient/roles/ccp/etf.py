"""The CCP's ETF clearing desk: notified ETFs, novation, netting and the settlement day
(CCP_OPERATOR_ROLE on the trading calendar, the ETF registry, applications and settlement).

    desk = ccp.etf
    desk.register_trust_bank("trust-bank")
    desk.notify("ETF1306", unit="ETF1306", trust_bank="trust-bank", manager="etf-manager",
                listing_date=date(2026, 12, 10), etf_type=EtfType.IN_KIND, creation_unit=1_000,
                basket={"TYO7203": 300, "TYO6758": 100}, cash_per_creation_unit=150_000)
    desk.novate()                                  # every approved application
    desk.record_trades(day, "trades.csv")          # the day's exchange trades
    desk.close_netting(day); desk.set_dvp_prices(day, {"ETF1306": 2_900, ...})
    desk.collect_all(day)                          # 14:15: every book's DvP receipts
    desk.netting_report(day)                       # article 50, per member, gross and net

An ineligible application is refused one by one in the novation (the value says which and why),
so one application never blocks the rest; so is a book whose party cannot receive.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterable, Mapping, Sequence
from datetime import date
from pathlib import Path
from typing import Any

from ... import errors
from ...clock import from_unix
from ...contracts.base import BatchOutcome, BatchProgress, Outcome
from ...etf.clearing import (
    ApplicationStatus,
    Fail,
    LapseRun,
    NotifiedEtf,
    NovationRun,
    Step,
    book_id,
    netting_book,
)
from ...etf.model import EtfType, TrustBankStatus, day_date
from ...etf.netting import Book, NettingReport, Side, Stream, Trade, load_trades
from ..base import Actor


class EtfDesk(Actor):
    """Trust banks and ETFs notified for clearing, novation, netting and the settlement day."""

    # ------------------------------------------------------------------ notified ETFs

    def publish_calendar(self, first: date, last: date) -> Outcome[None]:
        """Publish the XTKS business days `first`..`last` (the deployment publishes a year back
        and four ahead; this extends it, starting the day after the last published)."""
        return self.send(self.deployment.calendar.publish_xtks(first, last))

    def register_trust_bank(self, trust_bank: Any) -> Outcome[None]:
        return self._trust_bank(trust_bank, TrustBankStatus.REGISTERED)

    def begin_deregistration(self, trust_bank: Any) -> Outcome[None]:
        """Mark a trust bank as being deregistered: applications for its ETFs are ineligible."""
        return self._trust_bank(trust_bank, TrustBankStatus.BEING_DEREGISTERED)

    def deregister(self, trust_bank: Any) -> Outcome[None]:
        return self._trust_bank(trust_bank, TrustBankStatus.DEREGISTERED)

    def _trust_bank(self, trust_bank: Any, status: TrustBankStatus) -> Outcome[None]:
        return self.send(self.deployment.etf_registry.set_trust_bank_status(trust_bank, status))

    def notify(
        self,
        code: str,
        *,
        unit: Any,
        trust_bank: Any,
        manager: Any,
        listing_date: date,
        etf_type: EtfType,
        creation_unit: int,
        basket: Mapping[Any, int] | None = None,
        cash_per_creation_unit: int = 0,
    ) -> Outcome[NotifiedEtf]:
        """Notify an ETF for clearing (see `EtfRegistryClient.notify`); the value is the ETF."""
        call = self.deployment.etf_registry.notify(
            code, unit=unit, trust_bank=trust_bank, manager=manager, listing_date=listing_date,
            etf_type=etf_type, creation_unit=creation_unit, basket=basket or {},
            cash_per_creation_unit=cash_per_creation_unit,
        )  # fmt: skip
        return self.send(call)

    def set_basket(
        self, code: str, basket: Mapping[Any, int], cash_per_creation_unit: int
    ) -> Outcome[NotifiedEtf]:
        return self.send(
            self.deployment.etf_registry.set_basket(code, basket, cash_per_creation_unit)
        )

    def decide_delisting(self, code: str, last_trading_day: date) -> Outcome[NotifiedEtf]:
        return self.send(self.deployment.etf_registry.decide_delisting(code, last_trading_day))

    # ------------------------------------------------------------------ novation

    def novate(
        self, ids: Sequence[int] | None = None, *, progress: BatchProgress | None = None
    ) -> NovationRun:
        """Check eligibility (article 46(2)) and novate applications `ids` (every approved one if
        none are named), as many transactions as it takes; the value says which were novated, on
        which settlement date, and which refused with the typed reason."""
        apps = self.deployment.etf_applications
        if ids is None:
            ids = [a.id for a in apps.applications() if a.status is ApplicationStatus.APPROVED]
        if not ids:
            return NovationRun({}, {})
        sent = self.send_all(apps.novate_many(ids), progress=progress)
        novated: dict[int, date] = {}
        refused: dict[int, Exception] = {}
        for outcome in sent.outcomes:
            novated.update(outcome.value.novated)
            refused.update(outcome.value.refused)
        return NovationRun(novated, refused)

    # ------------------------------------------------------------------ netting

    def record_trades(
        self,
        day: date,
        trades: Iterable[Trade] | str | Path,
        *,
        progress: BatchProgress | None = None,
    ) -> BatchOutcome[int]:
        """Novate the exchange trades settling on `day` (a list, or a CSV feed: a path or text
        with the header `member,symbol,side,quantity,price`), as many transactions as it takes."""
        rows = load_trades(trades) if isinstance(trades, str | Path) else list(trades)
        settlement = self.deployment.etf_settlement
        return self.send_all(settlement.record_trades_many(day, rows), progress=progress)

    def close_netting(self, day: date) -> Outcome[int]:
        """Close the netting of `day` (every security and the yen net to zero); the value is
        the number of books."""
        return self.send(self.deployment.etf_settlement.close_netting(day))

    def set_dvp_prices(self, day: date, prices: Mapping[Any, int]) -> Outcome[None]:
        return self.send(self.deployment.etf_settlement.set_dvp_prices(day, prices))

    def trades(self, day: date) -> list[Trade]:
        """The exchange trades novated for `day`, from the settlement's events."""
        d = self.deployment
        out = []
        for e in d.etf_settlement.history("TradeNovated"):
            if day_date(int(e["day"])) != day:
                continue
            out.append(
                Trade(
                    d.participant(e["member"]).name,
                    d.asset(e["token"]).symbol,
                    Side.BUY if e["buy"] else Side.SELL,
                    int(e["quantity"]),
                    int(e["priceJpy"]),
                )
            )
        return out

    def netting_report(self, day: date) -> NettingReport:
        """The day's books as article 50 nets them, keyed by (participant name, stream), with
        the trades of each member book (for the a/b split of `pyclient.etf.netting.decompose`)."""
        d = self.deployment
        by_member: dict[str, list[Trade]] = defaultdict(list)
        for t in self.trades(day):
            by_member[t.member].append(t)
        symbols = {a.address: a.symbol for a in d.assets.values()}
        books: dict[tuple[str, Stream], Book] = {}
        for book in d.etf_settlement.books(day):
            name = d.participant(book.party).name
            trades = by_member.get(name, ()) if book.stream is Stream.MEMBER else ()
            books[(name, book.stream)] = netting_book(book, symbols, trades, party=name)
        return NettingReport(books)

    # ------------------------------------------------------------------ settlement day

    def declare_fails(
        self, day: date, books: Sequence[tuple[Any, Stream]] | None = None
    ) -> list[Fail]:
        """After 13:00 on `day`: declare failed what each book still owes (every book of the day,
        or those named as (party, stream)); each fail rolls to the next business day with its late
        charge. The value is the fails declared."""
        return self._roll(day, books, owed=True)

    def roll_receipts(
        self, day: date, books: Sequence[tuple[Any, Stream]] | None = None
    ) -> list[Fail]:
        """After 14:15 on `day`: hand late what the CCP still holds (`collect_all`, allowed to the
        CCP until 14:45), then roll the receipts the day's fails left unmade, each owed its share
        of the late charge. The value is the receipts rolled."""
        settlement = self.deployment.etf_settlement
        if books is None and self.deployment.chain_time() > settlement.cutoff(day, Step.RECEIVE):
            self.collect_all(day)  # late receipts first: held stock is handed, not rolled
        return self._roll(day, books, owed=False)

    def designate_buy_ins(self, day: date) -> list[tuple[str, str, int]]:
        """After 13:00 on `day`: designate every book still failing a security a buy-in was asked
        for (from the third business day after the request) to buy it in on its own account. The
        value is (party, symbol, quantity) for each designation."""
        d = self.deployment
        settlement = d.etf_settlement
        out = []
        for book in settlement.books(day):
            for leg in book.legs:
                when = settlement.buy_in_from(day, leg.token)
                if leg.owed and when is not None and when <= day:
                    quantity = self.send(settlement.designate_buy_in(book.id, leg.token)).value
                    out.append(
                        (d.participant(book.party).name, d.asset(leg.token).symbol, quantity)
                    )
        return out

    def _roll(
        self, day: date, books: Sequence[tuple[Any, Stream]] | None, *, owed: bool
    ) -> list[Fail]:
        d = self.deployment
        settlement = d.etf_settlement
        if books is None:
            chosen = settlement.books(day)
        else:
            chosen = settlement.books(day, [book_id(day, d.address_of(p), s) for p, s in books])
        planned = []
        for book in chosen:
            for leg in book.legs:
                if owed and leg.owed:
                    planned.append((book, settlement.declare_fail(book.id, leg.token)))
                elif not owed and leg.due:
                    planned.append((book, settlement.roll_receipt(book.id, leg.token)))
        fails = []
        for book, call in planned:
            try:
                e = self.send(call).value
            except errors.EtfNothingToRoll:  # judged before sending: due, but no fail behind it
                continue
            fail = Fail(
                d.participant(book.party).name, d.asset(e["token"]).symbol, int(e["quantity"]),
                int(e["valueJpy"]), day, int(e["chargeJpy"]), owed,
            )  # fmt: skip
            fails.append(fail)
        return fails

    def lapse(self, manager: Any) -> LapseRun:
        """After ETF special participant `manager` is suspended or defaulted: let each of its
        novated applications that settles today or later lapse, so that its obligations leave the
        books and what the member delivered for it comes back (`return_surplus`). One application
        a transaction: one that has started settling (something handed against it, a fail
        rolled) is refused with its typed reason and the others go on."""
        d = self.deployment
        address = d.address_of(manager)
        mine = {e.code for e in d.etf_registry.etfs() if e.manager == address}
        today = from_unix(d.chain_time()).date()
        ids = [
            a.id
            for a in d.etf_applications.applications()
            if a.code in mine
            and a.status is ApplicationStatus.NOVATED
            and a.settlement_date is not None
            and a.settlement_date >= today
        ]
        lapsed: list[int] = []
        refused: dict[int, Exception] = {}
        for id_ in ids:
            try:
                lapsed += self.send(d.etf_applications.lapse([id_])).value
            except errors.ContractError as exc:  # judged before sending: nothing sent
                refused[id_] = exc
        return LapseRun(tuple(lapsed), refused)

    def return_surplus(self, day: date) -> dict[str, int]:
        """By 14:45 on `day`: pay every book the yen it is still due (receipts that rolled after
        14:15) from yen paid towards what is owed, and return its surplus (pre-funding, and
        deliveries for lapsed contracts); the value is the surplus yen returned by participant. A
        book due yen that nobody has paid yet is left as it is."""
        d = self.deployment
        settlement = d.etf_settlement
        out: dict[str, int] = {}
        for book in settlement.books(day):
            over = any(leg.delivered > max(-leg.net, 0) for leg in book.legs)
            owes = any(leg.owed for leg in book.legs)
            pays = book.cash_due and not owes
            if (book.surplus or over or pays) and not any(leg.due for leg in book.legs):
                try:
                    returned = self.send(settlement.return_surplus(book.id)).value
                except errors.ContractError:  # judged before sending: nothing to pay it yet,
                    continue  # still owing, or past its cut-off; the other books go on
                if returned:
                    out[d.participant(book.party).name] = returned
        return out

    def collect_all(self, day: date, *, progress: BatchProgress | None = None) -> list[bytes]:
        """DvP receipts for every book of `day` that is due something and is not a redemption
        book (those cancel their units): by 14:15, or late until 14:45; the value is the books
        passed over because their party cannot receive."""
        settlement = self.deployment.etf_settlement
        ids = [
            b.id
            for b in settlement.books(day)
            if b.stream is not Stream.REDEMPTION and (any(leg.due for leg in b.legs) or b.cash_due)
        ]
        if not ids:
            return []
        sent = self.send_all(settlement.collect_many(ids), progress=progress)
        return [book for outcome in sent.outcomes for book in outcome.value]
