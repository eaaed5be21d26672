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

from ...contracts.base import BatchOutcome, BatchProgress, Outcome
from ...etf.clearing import ApplicationStatus, NotifiedEtf, NovationRun, netting_book
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
            nb = netting_book(book, symbols, trades)
            books[(name, book.stream)] = Book(
                name, nb.stream, nb.securities, nb.cash, nb.gross_securities, nb.gross_cash,
                tuple(trades),
            )  # fmt: skip
        return NettingReport(books)

    # ------------------------------------------------------------------ settlement day

    def collect_all(self, day: date, *, progress: BatchProgress | None = None) -> list[bytes]:
        """DvP receipts (by 14:15) for every book of `day` that is due something and is not a
        redemption book (those cancel their units); the value is the books passed over because
        their party cannot receive."""
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
