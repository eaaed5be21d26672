"""Clients of ETF creation and redemption clearing: the trading calendar, the notified ETFs,
applications to novation, and the settlement books of each day.

Reads return the types of `pyclient.etf.clearing` (days as dates, parties as addresses). Calls cover
the flow of reference 000 and the articles of reference 004: the CCP publishes the XTKS calendar,
registers trust banks and notifies ETFs; a member applies, the ETF's manager draws up the
statement, its trust bank approves it, the CCP novates; on settlement day parties deliver, pay in,
create units, collect, have surplus returned and cancel units. Batch verbs split long lists into
transactions that fit (`novate_many`, `record_trades_many`, `collect_many`). Yen are whole yen.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from datetime import date
from typing import Any

from ..errors import InputError, KabutoError, decode_revert
from ..etf.clearing import (
    Application,
    NotifiedEtf,
    NovationRun,
    SettlementBook,
    Step,
    book_id,
)
from ..etf.model import ApplicationKind, EtfType, TrustBankStatus, day_date, epoch_day
from ..etf.netting import Side, Stream, Trade
from ..units import to_bytes32
from .base import Call, ContractClient, Outcome

# Measured on Anvil (tests/etf): a novation records two books of up to a dozen legs (about 150-250k
# gas), a trade about 60-90k, a collection about 60k a leg. These keep a transaction well under
# the 2^24-gas cap of networks that enforce EIP-7825.
NOVATIONS_PER_TX = 20
TRADES_PER_TX = 120
COLLECTIONS_PER_TX = 40


def _code(code: str) -> bytes:
    if (
        not isinstance(code, str)
        or not code.isascii()
        or not code.isalnum()
        or not 0 < len(code) <= 12
    ):
        raise InputError(f"ETF code {code!r} must be 1-12 ASCII letters or digits")
    return code.encode().ljust(12, b"\0")


def _date(value: Any, what: str) -> int:
    if not isinstance(value, date):
        raise InputError(f"{what} must be a date, not {value!r}")
    return epoch_day(value)


def _positive(value: Any, what: str) -> int:
    if isinstance(value, bool) or not isinstance(value, int) or value <= 0:
        raise InputError(f"{what} must be a positive whole number, not {value!r}")
    return value


def _chunks(items: Sequence[Any], size: int) -> list[Sequence[Any]]:
    _positive(size, "batch size")
    return [items[i : i + size] for i in range(0, len(items), size)]


class TradingCalendarClient(ContractClient):
    artifact = "TradingCalendar"
    prefix = "calendar"

    def published(self) -> tuple[date, date] | None:
        """The first and last days published, or None before the first publication."""
        first, last = self._read(self.contract.functions.published())
        return (day_date(int(first)), day_date(int(last))) if first else None

    def is_business_day(self, day: date) -> bool:
        return bool(self._read(self.contract.functions.isBusinessDay(_date(day, "a day"))))

    def add_business_days(self, day: date, count: int) -> date:
        fn = self.contract.functions.addBusinessDays(_date(day, "a day"), _positive(count, "count"))
        return day_date(int(self._read(fn)))

    def charge_days(self, day: date) -> int:
        """The days a late charge accrued on `day` counts (an ordinary Friday 3)."""
        return int(self._read(self.contract.functions.chargeDays(_date(day, "a day"))))

    def publish(self, first: date, last: date, holidays: Sequence[date]) -> Call[None]:
        """Publish days `first`..`last` with their `holidays` (weekdays the exchange is closed)."""
        days = sorted(_date(h, "a holiday") for h in holidays)
        fn = self.contract.functions.publish(
            _date(first, "the first day"), _date(last, "the last day"), days
        )
        return self._call(fn, "publish")

    def publish_xtks(self, first: date, last: date) -> Call[None]:
        """Publish `first`..`last` as the XTKS calendar says (exchange-calendars, as the margin
        engine counts): every weekday that is not a session is a holiday."""
        from datetime import timedelta

        from ..margin.calendar import is_business_day

        holidays, day = [], first
        while day <= last:
            if day.weekday() < 5 and not is_business_day(day):
                holidays.append(day)
            day += timedelta(days=1)
        return self.publish(first, last, holidays)


class EtfRegistryClient(ContractClient):
    artifact = "EtfRegistry"
    prefix = "etfs"

    def codes(self) -> list[str]:
        return [
            bytes(c).rstrip(b"\0").decode() for c in self._read(self.contract.functions.codes())
        ]

    def etf(self, code: str) -> NotifiedEtf:
        """ETF `code` as notified (`EtfNotNotified` if it is not)."""
        f = self.contract.functions
        raw, basket = self._read_many([f.etf(_code(code)), f.basket(_code(code))])
        return NotifiedEtf.from_chain(code, raw, basket)

    def etfs(self) -> list[NotifiedEtf]:
        """Every notified ETF, read in one batch."""
        codes = self.codes()
        f = self.contract.functions
        raw = self._read_many([fn for c in codes for fn in (f.etf(_code(c)), f.basket(_code(c)))])
        return [NotifiedEtf.from_chain(c, raw[2 * n], raw[2 * n + 1]) for n, c in enumerate(codes)]

    def trust_bank_status(self, trust_bank: Any) -> TrustBankStatus:
        fn = self.contract.functions.trustBankStatus(self.suite.address_of(trust_bank))
        return TrustBankStatus(int(self._read(fn)))

    def check_eligibility(self, code: str, kind: ApplicationKind, statement_date: date) -> None:
        """Article 46(2): raise the typed reason an application of `kind` for `code` dated
        `statement_date` would be refused, or return."""
        fn = self.contract.functions.checkEligibility(
            _code(code), int(ApplicationKind(kind)), _date(statement_date, "a statement date")
        )
        self._read(fn)

    def set_trust_bank_status(self, trust_bank: Any, status: TrustBankStatus) -> Call[None]:
        fn = self.contract.functions.setTrustBankStatus(
            self.suite.address_of(trust_bank), int(TrustBankStatus(status))
        )
        return self._call(fn, "setTrustBankStatus")

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
        basket: Mapping[Any, int],
        cash_per_creation_unit: int = 0,
    ) -> Call[NotifiedEtf]:
        """Notify ETF `code`: its unit token (an asset), trust bank, manager, listing date, type,
        units per creation unit, and basket (asset -> quantity per creation unit; none for a
        cash ETF) with its cash component in yen. The value is the ETF as recorded."""
        etf = (
            self.suite.asset(unit).address, self.suite.address_of(trust_bank),
            self.suite.address_of(manager), _date(listing_date, "a listing date"), 0,
            int(EtfType(etf_type)), _positive(creation_unit, "creation unit"),
            _whole(cash_per_creation_unit, "cash per creation unit"),
        )  # fmt: skip
        fn = self.contract.functions.notify(_code(code), etf, self._basket(basket))
        return self._call(fn, "notify", result=lambda _o: self.etf(code))

    def set_basket(
        self, code: str, basket: Mapping[Any, int], cash_per_creation_unit: int
    ) -> Call[NotifiedEtf]:
        fn = self.contract.functions.setBasket(
            _code(code), self._basket(basket), _whole(cash_per_creation_unit, "cash component")
        )
        return self._call(fn, "setBasket", result=lambda _o: self.etf(code))

    def decide_delisting(self, code: str, last_trading_day: date) -> Call[NotifiedEtf]:
        fn = self.contract.functions.decideDelisting(
            _code(code), _date(last_trading_day, "a last trading day")
        )
        return self._call(fn, "decideDelisting", result=lambda _o: self.etf(code))

    def _basket(self, basket: Mapping[Any, int]) -> list[tuple[str, int]]:
        return [
            (self.suite.asset(a).address, _positive(q, f"quantity of {a}"))
            for a, q in basket.items()
        ]


class EtfApplicationsClient(ContractClient):
    artifact = "EtfApplications"
    prefix = "applications"

    def count(self) -> int:
        return int(self._read(self.contract.functions.applicationCount()))

    def application(self, id_: int) -> Application:
        f = self.contract.functions
        raw, statement = self._read_many([f.application(id_), f.statement(id_)])
        return Application.from_chain(id_, raw, statement)

    def applications(self, ids: Sequence[int] | None = None) -> list[Application]:
        """Applications by id (every one if none are named), read in one batch."""
        ids = list(range(1, self.count() + 1)) if ids is None else list(ids)
        f = self.contract.functions
        raw = self._read_many([fn for i in ids for fn in (f.application(i), f.statement(i))])
        return [Application.from_chain(i, raw[2 * n], raw[2 * n + 1]) for n, i in enumerate(ids)]

    def apply(self, code: str, kind: ApplicationKind, creation_units: int) -> Call[int]:
        """Apply for `kind` of `creation_units` creation units of ETF `code`; the value: its id."""
        fn = self.contract.functions.applyFor(
            _code(code), int(ApplicationKind(kind)), _positive(creation_units, "creation units")
        )
        return self._call(fn, "apply", result=lambda o: int(o.named("Applied")[0]["id"]))

    def decline(self, id_: int, reason: str) -> Call[Application]:
        fn = self.contract.functions.decline(id_, to_bytes32(reason, what="reason"))
        return self._call(fn, "decline", result=lambda _o: self.application(id_))

    def draw_up_statement(self, id_: int, cash_jpy: int = 0) -> Call[Application]:
        """The manager's statement of application `id_` with `cash_jpy` yen (the cash component
        of an in-kind creation, none for an exchange, the amount fixed for a cash type)."""
        fn = self.contract.functions.drawUpStatement(id_, _whole(cash_jpy, "statement cash"))
        return self._call(fn, "drawUpStatement", result=lambda _o: self.application(id_))

    def approve(self, id_: int) -> Call[Application]:
        fn = self.contract.functions.approve(id_)
        return self._call(fn, "approve", result=lambda _o: self.application(id_))

    def novate(self, ids: Sequence[int]) -> Call[NovationRun]:
        """Check eligibility and novate approved applications `ids` in one transaction; the value
        says which were novated (their settlement date) and which refused (the typed reason)."""
        if not ids:
            raise InputError("no application to novate")
        fn = self.contract.functions.novate(list(ids))
        return self._call(fn, "novate", result=self._run)

    def lapse(self, ids: Sequence[int]) -> Call[list[int]]:
        """Let novated applications `ids` lapse (their ETF special participant is not active and
        its side has not started settling); the value is the ids that lapsed."""
        if not ids:
            raise InputError("no application to lapse")
        fn = self.contract.functions.lapse(list(ids))
        return self._call(
            fn, "lapse", result=lambda o: [int(e["id"]) for e in o.named("ApplicationLapsed")]
        )

    def novate_many(
        self, ids: Sequence[int], *, per_tx: int = NOVATIONS_PER_TX
    ) -> list[Call[NovationRun]]:
        return [self.novate(part) for part in _chunks(list(ids), per_tx)]

    def _run(self, outcome: Outcome[Any]) -> NovationRun:
        registry = self.suite.part("etf_registry")
        novated = {
            int(e["id"]): day_date(int(e["settlementDay"])) for e in outcome.named("Novated")
        }
        refused: dict[int, Exception] = {}
        for e in outcome.named("NovationRefused"):
            refused[int(e["id"])] = _reason(e["reason"], registry.label, self.suite)
        return NovationRun(novated, refused)


def _reason(data: Any, label: str, suite: Any) -> KabutoError:
    return decode_revert(bytes(data), contract=label, formatter=suite)


class EtfSettlementClient(ContractClient):
    artifact = "EtfSettlement"
    prefix = "etf_settlement"

    # ------------------------------------------------------------------ reads

    def cash_address(self) -> str:
        """The yen token payments are made in."""
        return str(self._read(self.contract.functions.cash()))

    def book(self, id_: bytes) -> SettlementBook:
        f = self.contract.functions
        raw, legs = self._read_many([f.book(id_), f.legs(id_)])
        return SettlementBook.from_chain(id_, raw, legs)

    def books(self, day: date, ids: Sequence[bytes] | None = None) -> list[SettlementBook]:
        """The books settling on `day` (or those named), read in one batch."""
        f = self.contract.functions
        ids = list(self._read(f.booksOn(_date(day, "a day")))) if ids is None else list(ids)
        raw = self._read_many([fn for i in ids for fn in (f.book(i), f.legs(i))])
        return [SettlementBook.from_chain(i, raw[2 * n], raw[2 * n + 1]) for n, i in enumerate(ids)]

    def book_of(self, day: date, party: Any, stream: Stream = Stream.MEMBER) -> SettlementBook:
        return self.book(book_id(day, self.suite.address_of(party), stream))

    def netting_closed(self, day: date) -> bool:
        return bool(self._read(self.contract.functions.nettingClosed(_date(day, "a day"))))

    def dvp_price(self, day: date, asset: Any) -> int:
        fn = self.contract.functions.dvpPrice(_date(day, "a day"), self.suite.asset(asset).address)
        return int(self._read(fn))

    def held(self, day: date, asset: Any) -> int:
        fn = self.contract.functions.held(_date(day, "a day"), self.suite.asset(asset).address)
        return int(self._read(fn))

    def buy_in_from(self, day: date, asset: Any) -> date | None:
        """The first day a buy-in of `asset` settling on `day` may be designated (None: none)."""
        fn = self.contract.functions.buyInFrom(_date(day, "a day"), self.suite.asset(asset).address)
        raw = int(self._read(fn))
        return day_date(raw) if raw else None

    def cutoff(self, day: date, step: Step) -> int:
        """The unix time of `step`'s cut-off on `day` (the last second it is allowed)."""
        return int(self._read(self.contract.functions.cutoff(_date(day, "a day"), int(Step(step)))))

    # ------------------------------------------------------------------ the CCP

    def record_trades(self, day: date, trades: Sequence[Trade]) -> Call[int]:
        """Novate exchange trades settling on `day`; the value is how many were recorded."""
        if not trades:
            raise InputError("no trade to record")
        rows = [
            (self.suite.address_of(t.member), self.suite.asset(t.symbol).address,
             t.side is Side.BUY, _positive(t.quantity, "quantity"), _positive(t.price_jpy, "price"))
            for t in trades
        ]  # fmt: skip
        fn = self.contract.functions.recordTrades(_date(day, "a settlement day"), rows)
        return self._call(fn, "recordTrades", result=lambda o: len(o.named("TradeNovated")))

    def record_trades_many(
        self, day: date, trades: Sequence[Trade], *, per_tx: int = TRADES_PER_TX
    ) -> list[Call[int]]:
        return [self.record_trades(day, part) for part in _chunks(list(trades), per_tx)]

    def close_netting(self, day: date) -> Call[int]:
        """Close the netting of `day`; the value is its number of books."""
        fn = self.contract.functions.closeNetting(_date(day, "a day"))
        return self._call(
            fn, "closeNetting", result=lambda o: int(o.named("NettingClosed")[0]["books"])
        )

    def set_dvp_prices(self, day: date, prices: Mapping[Any, int]) -> Call[None]:
        """Fix the day's DvP clearing prices (asset -> yen per unit), once per security."""
        if not prices:
            raise InputError("no DvP price to set")
        tokens = [self.suite.asset(a).address for a in prices]
        values = [_positive(p, f"DvP price of {a}") for a, p in prices.items()]
        fn = self.contract.functions.setDvpPrices(_date(day, "a day"), tokens, values)
        return self._call(fn, "setDvpPrices")

    def collect_many(
        self, ids: Sequence[bytes], *, per_tx: int = COLLECTIONS_PER_TX
    ) -> list[Call[list[bytes]]]:
        """`collect` many books as the CCP, a book whose party cannot receive passed over; the
        value of each transaction is the books skipped."""
        return [
            self._call(
                self.contract.functions.collectMany(list(part)), "collectMany",
                result=lambda o: [bytes(e["bookId"]) for e in o.named("BookSkipped")],
            )
            for part in _chunks(list(ids), per_tx)
        ]  # fmt: skip

    def declare_fail(self, id_: bytes, asset: Any) -> Call[Any]:
        """Declare what book `id_` has not delivered of `asset` failed (after 13:00): it rolls to
        the next business day with its late charge. The value is the `DeliveryRolled` event."""
        a = self.suite.asset(asset)
        fn = self.contract.functions.declareFail(id_, a.address)
        return self._call(fn, "declareFail", asset=a, result=lambda o: o.named("DeliveryRolled")[0])

    def roll_receipt(self, id_: bytes, asset: Any) -> Call[Any]:
        """Roll book `id_`'s receipt of `asset` a fail left unmade (after 14:15); the value is the
        `ReceiptRolled` event."""
        a = self.suite.asset(asset)
        fn = self.contract.functions.rollReceipt(id_, a.address)
        return self._call(fn, "rollReceipt", asset=a, result=lambda o: o.named("ReceiptRolled")[0])

    def request_buy_in(self, id_: bytes, asset: Any) -> Call[date]:
        """Ask for a buy-in of `asset` rolled into book `id_`; the value is the first day it may be
        designated."""
        a = self.suite.asset(asset)
        fn = self.contract.functions.requestBuyIn(id_, a.address)
        return self._call(
            fn, "requestBuyIn", asset=a,
            result=lambda o: day_date(int(o.named("BuyInRequested")[0]["from"])),
        )  # fmt: skip

    def designate_buy_in(self, id_: bytes, asset: Any) -> Call[int]:
        """Designate book `id_`'s party to buy in what it fails to deliver of `asset`; the value is
        the quantity."""
        a = self.suite.asset(asset)
        fn = self.contract.functions.designateBuyIn(id_, a.address)
        return self._call(
            fn, "designateBuyIn", asset=a,
            result=lambda o: int(o.named("BuyInDesignated")[0]["quantity"]),
        )  # fmt: skip

    # ------------------------------------------------------------------ parties

    def deliver(self, id_: bytes, asset: Any, quantity: int) -> Call[None]:
        a = self.suite.asset(asset)
        fn = self.contract.functions.deliver(id_, a.address, _positive(quantity, "quantity"))
        return self._call(fn, "deliver", asset=a)

    def pay_in(self, id_: bytes, amount_jpy: int) -> Call[None]:
        fn = self.contract.functions.payIn(id_, _positive(amount_jpy, "payment"))
        return self._call(fn, "payIn")

    def create_units(self, id_: bytes) -> Call[None]:
        return self._call(self.contract.functions.createUnits(id_), "createUnits")

    def collect(self, id_: bytes) -> Call[None]:
        return self._call(self.contract.functions.collect(id_), "collect")

    def return_surplus(self, id_: bytes) -> Call[int]:
        """Return what book `id_` paid in beyond what it owes and what it delivered for lapsed
        obligations; the value is the yen returned (securities returned are in the events)."""
        fn = self.contract.functions.returnSurplus(id_)
        return self._call(
            fn, "returnSurplus",
            result=lambda o: sum(int(e["amountJpy"]) for e in o.named("SurplusReturned")),
        )  # fmt: skip

    def cancel_units(self, id_: bytes) -> Call[None]:
        return self._call(self.contract.functions.cancelUnits(id_), "cancelUnits")


def _whole(value: Any, what: str) -> int:
    if isinstance(value, bool) or not isinstance(value, int) or value < 0:
        raise InputError(f"{what} must be a whole number of yen, not {value!r}")
    return value
