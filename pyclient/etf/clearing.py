"""ETF clearing as the chain records it: notified ETFs, applications and settlement books.

Plain values read back from `EtfRegistry`, `EtfApplications` and `EtfSettlement`
(`pyclient.contracts.etf`), with days as dates and parties as addresses. `netting_book` turns a
chain book into the `pyclient.etf.netting.Book` the article-50 report reads, so the report of a day
on chain and the model's report of the same obligations are one function's output.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from datetime import date
from typing import Any

from eth_abi import encode
from eth_utils import keccak, to_checksum_address

from ..abi import register_enum
from ..enums import ChainEnum
from .model import ApplicationKind, EtfType, TrustBankStatus, day_date, epoch_day
from .netting import Book, Stream, Trade

__all__ = [
    "Application", "ApplicationStatus", "Fail", "LapseRun", "NotifiedEtf", "NovationRun",
    "SettlementBook", "SettlementLeg", "Step", "book_id", "netting_book",
]  # fmt: skip


class ApplicationStatus(ChainEnum):
    """Where an application stands (the contract's `Status`)."""

    NONE = 0
    APPLIED = 1
    STATED = 2
    APPROVED = 3
    NOVATED = 4
    DECLINED = 5
    REFUSED = 6
    LAPSED = 7


class Step(ChainEnum):
    """The settlement day's steps, in cut-off order (13:00, 14:15, 14:45, 15:30 Tokyo)."""

    DELIVER = 0
    RECEIVE = 1
    SURPLUS = 2
    CANCEL = 3


def book_id(day: date, party: str, stream: Stream) -> bytes:
    """The id of the settlement book of `party` in `stream` on `day`, as the contract derives it."""
    return keccak(
        encode(
            ["uint32", "address", "uint8"],
            [epoch_day(day), to_checksum_address(party), int(stream)],
        )
    )


@dataclass(frozen=True)
class NotifiedEtf:
    """An ETF as notified to the CCP: `basket` is token address -> quantity per creation unit."""

    code: str
    unit: str
    trust_bank: str
    manager: str
    listing_date: date
    last_trading_day: date | None
    etf_type: EtfType
    creation_unit: int
    cash_per_creation_unit: int
    basket: Mapping[str, int]

    @classmethod
    def from_chain(cls, code: str, raw: Any, basket: Iterable[Any]) -> NotifiedEtf:
        unit, bank, manager, listing, last, etf_type, cu, cash = raw
        return cls(
            code, str(unit), str(bank), str(manager), day_date(int(listing)),
            day_date(int(last)) if last else None, EtfType(int(etf_type)), int(cu), int(cash),
            {str(token): int(q) for token, q in basket},
        )  # fmt: skip


@dataclass(frozen=True)
class Application:
    """An application and, once drawn up, its statement on the member's side (`securities` by
    token address, `cash_jpy` signed: positive the member receives)."""

    id: int
    code: str
    kind: ApplicationKind
    status: ApplicationStatus
    member: str
    creation_units: int
    statement_date: date | None
    settlement_date: date | None
    cash_jpy: int
    securities: Mapping[str, int]

    @classmethod
    def from_chain(cls, id_: int, raw: Any, statement: Any) -> Application:
        code, kind, status, member, cu, t, s, cash = raw
        tokens, quantities, _cash = statement
        return cls(
            id_, bytes(code).rstrip(b"\0").decode(), ApplicationKind(int(kind)),
            ApplicationStatus(int(status)), str(member), int(cu),
            day_date(int(t)) if t else None, day_date(int(s)) if s else None, int(cash),
            {str(tok): int(q) for tok, q in zip(tokens, quantities, strict=True)},
        )  # fmt: skip


@dataclass(frozen=True)
class NovationRun:
    """What one novation transaction did: settlement date by application novated, and the typed
    reason (a `KabutoError`) by application refused as ineligible."""

    novated: Mapping[int, date]
    refused: Mapping[int, Exception]


@dataclass(frozen=True)
class LapseRun:
    """What a lapse did: the applications that lapsed, and the typed reason each refused one
    (it had started settling) was kept."""

    lapsed: tuple[int, ...]
    refused: Mapping[int, Exception]


@dataclass(frozen=True)
class Fail:
    """A fail on `day`: `party` did not deliver (`delivery`) or could not receive `quantity` of
    `symbol`, worth `value_jpy` at the day's DvP price; it rolled to the next business day with a
    late charge of `charge_jpy`, paid by a deliverer and owed to a receiver."""

    party: str
    symbol: str
    quantity: int
    value_jpy: int
    day: date
    charge_jpy: int
    delivery: bool


@dataclass(frozen=True)
class SettlementLeg:
    """One security of a book: `net` (+ the party receives), what it delivered and received."""

    token: str
    net: int
    delivered: int
    received: int
    gross: int

    @property
    def owed(self) -> int:
        """What the party still has to deliver."""
        return max(-self.net - self.delivered, 0) if self.net < 0 else 0

    @property
    def due(self) -> int:
        """What the party is still to receive."""
        return max(self.net - self.received, 0) if self.net > 0 else 0


@dataclass(frozen=True)
class SettlementBook:
    """A settlement book as the chain holds it; yen amounts whole yen. `charges` are late charges
    of fails (negative: the party pays them), settled with `cash` but outside the netting."""

    id: bytes
    party: str
    day: date
    stream: Stream
    cash: int
    charges: int
    cash_in: int
    cash_out: int
    value_in: int
    value_out: int
    gross_cash: int
    legs: tuple[SettlementLeg, ...]

    @classmethod
    def from_chain(cls, id_: bytes, raw: Any, legs: Iterable[Any]) -> SettlementBook:
        party, day, stream, cash, charges, cin, cout, vin, vout, gross = raw
        return cls(
            bytes(id_), str(party), day_date(int(day)), Stream(int(stream)), int(cash),
            int(charges), int(cin),
            int(cout), int(vin), int(vout), int(gross),
            tuple(SettlementLeg(str(t), int(n), int(d), int(r), int(g)) for t, n, d, r, g in legs),
        )  # fmt: skip

    @property
    def net_cash(self) -> int:
        """What the book settles in yen: its netted cash and its late charges."""
        return self.cash + self.charges

    @property
    def cash_owed(self) -> int:
        """Yen the party still has to pay in."""
        return max(-self.net_cash - self.cash_in, 0)

    @property
    def cash_due(self) -> int:
        """Yen still to be paid to the party."""
        return max(self.net_cash - self.cash_out, 0) if self.net_cash > 0 else 0

    @property
    def surplus(self) -> int:
        """Yen paid in beyond what the party owes (pre-funding to return)."""
        return max(self.cash_in - max(-self.net_cash, 0), 0)

    def prefund_needed(
        self, prices: Mapping[str, int], withheld: Mapping[str, int] | None = None
    ) -> int:
        """Yen to pay in beyond what the book owes so that article 47 lets it receive everything
        due: the value due (at `prices`, token address -> DvP price) less what the book has
        delivered and will deliver (all it owes but `withheld`, token address -> quantity), never
        below zero. Pre-funding for what is withheld also covers that fail's yen adjustment."""
        kept = withheld or {}
        owed = sum((leg.owed - kept.get(leg.token, 0)) * prices[leg.token] for leg in self.legs)
        due = sum(leg.due * prices[leg.token] for leg in self.legs)
        after = self.value_in + owed + self.cash_owed
        return max(self.value_out + due - after, 0)

    @property
    def settled(self) -> bool:
        """Everything delivered and received, every yen paid both ways, no surplus left."""
        return (
            all(
                leg.owed == 0 and leg.due == 0 and leg.delivered <= max(-leg.net, 0)
                for leg in self.legs
            )
            and self.cash_owed == 0
            and self.cash_due == 0
            and self.surplus == 0
        )


def netting_book(
    book: SettlementBook,
    symbols: Mapping[str, str],
    trades: Iterable[Trade] = (),
    *,
    party: str | None = None,
) -> Book:
    """The article-50 view of chain book `book` (`symbols`: token address -> symbol), with the
    trades novated into it, for `pyclient.etf.netting.decompose` and the netting report; filed
    under `party` (a participant's name, say) instead of the book's address when given."""
    return Book(
        party=book.party if party is None else party,
        stream=book.stream,
        securities={symbols[leg.token]: leg.net for leg in book.legs if leg.net},
        cash=book.cash,
        gross_securities={symbols[leg.token]: leg.gross for leg in book.legs},
        gross_cash=book.gross_cash,
        trades=tuple(trades),
    )


register_enum("IEtfRegistry.EtfType", EtfType)
register_enum("IEtfRegistry.ApplicationKind", ApplicationKind)
register_enum("IEtfRegistry.TrustBankStatus", TrustBankStatus)
register_enum("IEtfApplications.Status", ApplicationStatus)
register_enum("IEtfSettlement.Stream", Stream)
register_enum("IEtfSettlement.Step", Step)
