"""ETF creation and redemption as the CCP clears them: the ETF's terms, which applications are
eligible, what each side delivers and receives, and the settlement day's timetable and fails.

The flow (docs/domain.md §5; the clearing house's rule amendments, reference/004): a clearing
member applies; the ETF special clearing participant (the ETF's manager) draws up the statement
(計算書); the trust bank approves it, which fixes the statement date T (計算書確定日); the
CCP checks the clearing eligibility requirements (清算適格要件, business rules art. 46(2)) and
novates both sides; settlement is on T+2 XTKS business days (ＥＴＦ決済日 =
計算書確定日の翌々営業日), netted with the member's exchange trades for that day
(`pyclient.etf.netting`).

Eligibility, checked in this order, each refusal an `EtfIneligible` carrying a short `rule` code:

1. ``not_notified``: the creation etc. of the ETF was notified to the CCP in advance
   (art. 46(2)(vi), 第19条第4項の届出が行われていること);
2. ``trust_bank``: its trustee is a registered ETF trust bank that has not applied for
   deregistration (art. 46(2)(i), 登録抹消の申請を行っていないこと): one being deregistered is
   refused like one deregistered;
3. ``kind``: an in-kind ETF is created in kind and exchanged for its basket; a cash ETF is created
   and redeemed for cash;
4. ``not_business_day``: T is an XTKS business day (the day a trust bank approves a statement);
5. ``before_listing``: for a creation, T on or after the business day two business days before
   the listing date (art. 46(2)(ii), 上場日の２営業日前の日以降); for a redemption or an
   exchange, on or after the business day before it (art. 46(2)(iii), 上場日の前営業日以降);
6. ``after_last_trading_day``: once delisting is decided, T on or before the last trading day
   (art. 46(2)(iv), 最終売買日以前の日).

The brief that commissioned this module calls the requirements "article 46-2"; in the source
第４６条の２ is the give-up article, and the requirements are paragraph 2 of article 46, cited
here as art. 46(2).

Legs are written from the applicant member's side: positive is received, negative delivered or
paid. The ETF special participant's side, settled by the trust bank, is their exact negation.

Fails (rules on unsettled deliveries 証券決済未了の場合及びバイインの取扱いに関する規則, art. 3): a
failing deliverer pays a late charge of 4 sen per JPY 100 (4 bps) of the value at that day's DvP
clearing price, multiplied, on the day before non-business days, by their number plus one
(当該日の翌日までの休業日の日数に１を加えた数). The CCP passes what it collects on to the receiver
(art. 3(3); a receiver that declared under art. 14 of the handling rules gets three quarters,
which this module leaves to the caller).

Days on chain are whole days since 1970-01-01 in Tokyo: floor((unix + 9 h) / 86400). Pure: dates
in, dates, integers and unix seconds out, no chain. The integer values of the enums match Solidity.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from datetime import date, datetime, time, timedelta
from enum import StrEnum
from types import MappingProxyType

from ..clock import TOKYO, TimetableError, to_unix
from ..enums import ChainEnum
from ..errors import InputError
from ..margin.calendar import (
    add_business_days,
    is_business_day,
    last_business_days,
    next_business_day,
)

__all__ = [
    "ACCEPTED_KINDS", "BPS", "CUTOFFS", "LATE_CHARGE_BPS", "ApplicationKind", "Constituent",
    "EligibilityRule", "EtfIneligible", "EtfTerms", "EtfTermsRefused", "EtfType", "Legs",
    "StatementRefused", "TrustBankStatus", "buy_in_from", "check_eligibility", "cutoff",
    "day_date", "earliest_statement_date", "epoch_day", "late_charge", "late_charge_days",
    "settlement_date", "statement_legs", "sub_business_days", "tokyo_day",
]  # fmt: skip

_EPOCH_DAY = date(1970, 1, 1)
_TOKYO_OFFSET = 9 * 3600
_DAY = 86_400

BPS = 10_000
LATE_CHARGE_BPS = 4  # 0.04 % a day: 4 sen per JPY 100 (１００円につき４銭)

SETTLEMENT_LAG = 2  # ETF決済日 = 計算書確定日の翌々営業日
CREATION_LEAD = 2  # a creation's T may be the 2nd business day before listing
REDEMPTION_LEAD = 1  # a redemption's or exchange's T, the business day before listing
BUY_IN_DAY = 3  # the buy-in falls on the 3rd business day counting the request day as the 1st

# Settlement-day cut-offs, Tokyo time (docs/domain.md §5).
CUTOFFS: Mapping[str, time] = MappingProxyType(
    {
        "deliver": time(13, 0),  # pre-funding cash and DvP deliveries
        "receive": time(14, 15),  # DvP receipts
        "surplus": time(14, 45),  # surplus returned and non-DvP deliveries
        "cancel": time(15, 30),  # ETF unit cancellation
    }
)

_CODE = re.compile(r"[A-Za-z0-9]{1,12}")


# ---------------------------------------------------------------------- errors


class EtfTermsRefused(InputError):
    """ETF terms the CCP cannot register: the message names the field and what is wrong."""


class StatementRefused(InputError):
    """A statement whose numbers cannot be cleared (creation units, the cash amount)."""


class EligibilityRule(StrEnum):
    """Which clearing eligibility requirement refused an application (business rules art. 46(2))."""

    NOT_NOTIFIED = "not_notified"
    TRUST_BANK = "trust_bank"
    KIND = "kind"
    NOT_BUSINESS_DAY = "not_business_day"
    BEFORE_LISTING = "before_listing"
    AFTER_LAST_TRADING_DAY = "after_last_trading_day"


class EtfIneligible(InputError):
    """An application that fails a clearing eligibility requirement: `rule` says which, and the
    message quotes it."""

    def __init__(self, rule: EligibilityRule, message: str) -> None:
        self.rule = EligibilityRule(rule)
        super().__init__(message)


# ---------------------------------------------------------------------- days


def _plain_date(value: object, what: str, error: type[InputError] = TimetableError) -> date:
    if isinstance(value, datetime) or not isinstance(value, date):
        raise error(f"{what} must be a date, not {value!r}")
    return value


def _whole(value: object, what: str, error: type[InputError]) -> int:
    if isinstance(value, bool) or not isinstance(value, int):
        raise error(f"{what} must be a whole number, not {value!r}")
    return value


def epoch_day(d: date) -> int:
    """Days since 1970-01-01 of the Tokyo calendar date `d`, as contracts count days."""
    return (_plain_date(d, "a day") - _EPOCH_DAY).days


def day_date(n: int) -> date:
    """The Tokyo calendar date of day number `n` (the inverse of `epoch_day`)."""
    return _EPOCH_DAY + timedelta(days=_whole(n, "a day number", TimetableError))


def tokyo_day(unix_seconds: int) -> date:
    """The Tokyo calendar date of a unix timestamp: day floor((unix + 9 h) / 86400)."""
    seconds = _whole(unix_seconds, "a unix timestamp", TimetableError)
    return day_date((seconds + _TOKYO_OFFSET) // _DAY)


def sub_business_days(day: date, n: int) -> date:
    """The `n`-th XTKS business day strictly before `day`; for `n` = 0, `day` itself (which must
    then be a business day). The mirror of `add_business_days`."""
    day = _plain_date(day, "a day")
    if isinstance(n, bool) or not isinstance(n, int) or n < 0:
        raise TimetableError(f"business-day offset must be a non-negative int, not {n!r}")
    if n == 0:
        return add_business_days(day, 0)
    return last_business_days(day - timedelta(days=1), n)[0]


def _business_day(day: object, what: str) -> date:
    day = _plain_date(day, what)
    if not is_business_day(day):
        raise TimetableError(f"{what} {day} is not an XTKS business day")
    return day


# ---------------------------------------------------------------------- kinds and terms


class EtfType(ChainEnum):
    """How an ETF is created: against its basket of securities, or against cash."""

    NONE = 0
    IN_KIND = 1
    CASH = 2


class ApplicationKind(ChainEnum):
    """What a member applies for (the types of 第３条第２項第１２号 clearing transactions)."""

    NONE = 0
    CREATION_IN_KIND = 1
    CREATION_CASH = 2
    REDEMPTION_CASH = 3
    EXCHANGE = 4

    @property
    def is_creation(self) -> bool:
        """A creation (設定): the member receives units; otherwise it gives units up."""
        return self in (ApplicationKind.CREATION_IN_KIND, ApplicationKind.CREATION_CASH)

    @property
    def in_kind(self) -> bool:
        """Basket securities move (an in-kind creation or an exchange)."""
        return self in (ApplicationKind.CREATION_IN_KIND, ApplicationKind.EXCHANGE)

    @property
    def label(self) -> str:
        return _LABELS[self]


_LABELS = {
    ApplicationKind.NONE: "no application",
    ApplicationKind.CREATION_IN_KIND: "creation in kind",
    ApplicationKind.CREATION_CASH: "cash creation",
    ApplicationKind.REDEMPTION_CASH: "cash redemption",
    ApplicationKind.EXCHANGE: "exchange for the basket",
}

ACCEPTED_KINDS: Mapping[EtfType, frozenset[ApplicationKind]] = MappingProxyType(
    {
        EtfType.NONE: frozenset(),
        EtfType.IN_KIND: frozenset({ApplicationKind.CREATION_IN_KIND, ApplicationKind.EXCHANGE}),
        EtfType.CASH: frozenset({ApplicationKind.CREATION_CASH, ApplicationKind.REDEMPTION_CASH}),
    }
)


_TYPE_WORDS = {EtfType.IN_KIND: "an in-kind ETF", EtfType.CASH: "a cash ETF"}


class TrustBankStatus(ChainEnum):
    """Where the ETF's trustee stands in the CCP's register of ETF trust banks."""

    NONE = 0
    REGISTERED = 1
    BEING_DEREGISTERED = 2  # it applied for deregistration (art. 26-2), or is deemed to have
    DEREGISTERED = 3


@dataclass(frozen=True)
class Constituent:
    """One basket security: `quantity` of `symbol` per creation unit."""

    symbol: str
    quantity: int

    def __post_init__(self) -> None:
        if not isinstance(self.symbol, str) or not self.symbol.strip():
            raise EtfTermsRefused(f"a basket constituent needs a symbol, not {self.symbol!r}")
        quantity = _whole(self.quantity, f"the quantity of {self.symbol}", EtfTermsRefused)
        if quantity <= 0:
            raise EtfTermsRefused(
                f"the quantity of {self.symbol} per creation unit must be positive, not {quantity}"
            )


@dataclass(frozen=True)
class EtfTerms:
    """What the ETF special participant notifies the CCP of before its ETF is cleared.

    `creation_unit` is the number of ETF units in one creation unit; `basket` lists the
    securities per creation unit (in-kind ETFs only) and `cash_per_creation_unit` the cash
    component paid with it in JPY. `listing_date` (the earliest, if listed on several markets) and
    `last_trading_day` (set once delisting is decided) are XTKS business days.
    """

    code: str
    unit_symbol: str
    trust_bank: str
    manager: str
    listing_date: date
    etf_type: EtfType
    creation_unit: int
    basket: tuple[Constituent, ...]
    cash_per_creation_unit: int
    last_trading_day: date | None = None

    def __post_init__(self) -> None:
        if not isinstance(self.code, str) or not _CODE.fullmatch(self.code):
            raise EtfTermsRefused(f"ETF code {self.code!r} must be 1-12 ASCII letters or digits")
        for name in ("unit_symbol", "trust_bank", "manager"):
            value = getattr(self, name)
            if not isinstance(value, str) or not value.strip():
                raise EtfTermsRefused(f"ETF {self.code}: {name} must be named, not {value!r}")
        try:
            etf_type = EtfType(self.etf_type)
        except ValueError:
            raise EtfTermsRefused(f"ETF {self.code}: unknown ETF type {self.etf_type!r}") from None
        if etf_type is EtfType.NONE:
            raise EtfTermsRefused(f"ETF {self.code}: the ETF type must be IN_KIND or CASH")
        object.__setattr__(self, "etf_type", etf_type)
        unit = _whole(self.creation_unit, f"ETF {self.code}: creation_unit", EtfTermsRefused)
        if unit <= 0:
            raise EtfTermsRefused(f"ETF {self.code}: creation_unit must be positive, not {unit}")
        self._check_basket(etf_type)
        cash = _whole(
            self.cash_per_creation_unit, f"ETF {self.code}: cash_per_creation_unit", EtfTermsRefused
        )
        if cash < 0:
            raise EtfTermsRefused(
                f"ETF {self.code}: cash_per_creation_unit must not be negative, not {cash}"
            )
        listing = _plain_date(self.listing_date, f"ETF {self.code}: listing_date", EtfTermsRefused)
        if not _is_business_day(listing, EtfTermsRefused):
            raise EtfTermsRefused(
                f"ETF {self.code}: listing_date {listing} is not an XTKS business day"
            )
        if self.last_trading_day is not None:
            last = _plain_date(
                self.last_trading_day, f"ETF {self.code}: last_trading_day", EtfTermsRefused
            )
            if not _is_business_day(last, EtfTermsRefused):
                raise EtfTermsRefused(
                    f"ETF {self.code}: last_trading_day {last} is not an XTKS business day"
                )
            if last < listing:
                raise EtfTermsRefused(
                    f"ETF {self.code}: last_trading_day {last} is before listing_date {listing}"
                )

    def _check_basket(self, etf_type: EtfType) -> None:
        if isinstance(self.basket, (str, bytes)) or not isinstance(self.basket, Iterable):
            raise EtfTermsRefused(
                f"ETF {self.code}: basket must be constituents, not {self.basket!r}"
            )
        basket = tuple(self.basket)
        for item in basket:
            if not isinstance(item, Constituent):
                raise EtfTermsRefused(f"ETF {self.code}: {item!r} is not a Constituent")
        object.__setattr__(self, "basket", basket)
        if etf_type is EtfType.CASH and basket:
            raise EtfTermsRefused(f"ETF {self.code}: a cash ETF has no basket of securities")
        if etf_type is EtfType.IN_KIND and not basket:
            raise EtfTermsRefused(f"ETF {self.code}: an in-kind ETF needs a basket of securities")
        seen: set[str] = set()
        for item in basket:
            if item.symbol in seen:
                raise EtfTermsRefused(f"ETF {self.code}: {item.symbol} is twice in the basket")
            if item.symbol == self.unit_symbol:
                raise EtfTermsRefused(
                    f"ETF {self.code}: its own units {item.symbol} cannot be in its basket"
                )
            seen.add(item.symbol)

    @property
    def accepted_kinds(self) -> frozenset[ApplicationKind]:
        return ACCEPTED_KINDS[self.etf_type]

    def accepts(self, kind: ApplicationKind | int) -> bool:
        """Whether this ETF takes applications of `kind` (in kind: creation in kind and exchange;
        cash: cash creation and cash redemption)."""
        try:
            return ApplicationKind(kind) in self.accepted_kinds
        except ValueError:
            return False


def _is_business_day(day: date, error: type[InputError]) -> bool:
    try:
        return is_business_day(day)
    except TimetableError as e:
        raise error(str(e)) from None


# ---------------------------------------------------------------------- eligibility


def _kind_of(terms: EtfTerms, kind: object) -> ApplicationKind:
    try:
        checked = ApplicationKind(kind)
    except ValueError:
        checked = None
    if checked is None or checked not in terms.accepted_kinds:
        offered = " and ".join(sorted(k.label for k in terms.accepted_kinds))
        what = checked.label if checked is not None else f"application kind {kind!r}"
        raise EtfIneligible(
            EligibilityRule.KIND,
            f"{what} refused for ETF {terms.code}: {_TYPE_WORDS[terms.etf_type]} is cleared "
            f"only for {offered}",
        )
    return checked


def earliest_statement_date(terms: EtfTerms, kind: ApplicationKind) -> date:
    """The first statement date on which an application of `kind` is eligible: the 2nd business
    day before listing for a creation, the business day before it for a redemption or exchange."""
    kind = _kind_of(terms, kind)
    lead = CREATION_LEAD if kind.is_creation else REDEMPTION_LEAD
    return sub_business_days(terms.listing_date, lead)


def check_eligibility(
    terms: EtfTerms | None,
    kind: ApplicationKind,
    statement_date: date,
    *,
    trust_bank_status: TrustBankStatus,
) -> None:
    """Refuse (`EtfIneligible`, with its `rule`) an application the CCP may not novate: see the
    module docstring for the requirements and their order."""
    if terms is None:
        raise EtfIneligible(
            EligibilityRule.NOT_NOTIFIED,
            "the ETF was not notified to the CCP: art. 46(2)(vi) requires that the creation etc. "
            "of the investment trust has been notified in advance (art. 19(4))",
        )
    if not isinstance(terms, EtfTerms):
        raise InputError(f"the ETF's terms must be EtfTerms or None, not {terms!r}")
    try:
        status = TrustBankStatus(trust_bank_status).name.lower().replace("_", " ")
    except ValueError:
        status = f"of unknown status {trust_bank_status!r}"
    if trust_bank_status != TrustBankStatus.REGISTERED:
        raise EtfIneligible(
            EligibilityRule.TRUST_BANK,
            f"ETF {terms.code}: its trustee {terms.trust_bank} is {status}: "
            "art. 46(2)(i) requires that the trustee is a registered ETF trust bank that has "
            "not applied for deregistration",
        )
    kind = _kind_of(terms, kind)
    t = _plain_date(statement_date, "a statement date")
    if not is_business_day(t):
        raise EtfIneligible(
            EligibilityRule.NOT_BUSINESS_DAY,
            f"{kind.label} of ETF {terms.code}: statement date {t} is not an XTKS business day; "
            "a statement is fixed on a business day and settles on the second business day after",
        )
    earliest = earliest_statement_date(terms, kind)
    if t < earliest:
        rule = (
            "art. 46(2)(ii) requires, for a creation, a statement date on or after the day two "
            "business days before the listing date"
            if kind.is_creation
            else "art. 46(2)(iii) requires, for a redemption or an exchange, a statement date on "
            "or after the business day before the listing date"
        )
        raise EtfIneligible(
            EligibilityRule.BEFORE_LISTING,
            f"{kind.label} of ETF {terms.code} on {t}: {rule} ({terms.listing_date}); the "
            f"earliest statement date is {earliest}",
        )
    if terms.last_trading_day is not None and t > terms.last_trading_day:
        raise EtfIneligible(
            EligibilityRule.AFTER_LAST_TRADING_DAY,
            f"{kind.label} of ETF {terms.code} on {t}: art. 46(2)(iv) requires, once delisting "
            f"is decided, a statement date on or before the last trading day "
            f"({terms.last_trading_day})",
        )


def settlement_date(statement_date: date) -> date:
    """The ETF settlement date: T + 2 XTKS business days (計算書確定日の翌々営業日)."""
    return add_business_days(_business_day(statement_date, "statement date"), SETTLEMENT_LAG)


# ---------------------------------------------------------------------- statement legs


@dataclass(frozen=True)
class Legs:
    """What a statement moves for one side: securities by symbol and cash in JPY, positive
    received, negative delivered or paid."""

    securities: dict[str, int]
    cash: int

    def negated(self) -> Legs:
        """The other side of the statement (the ETF special participant's, by its trust bank)."""
        return Legs({symbol: -q for symbol, q in self.securities.items()}, -self.cash)


def statement_legs(
    terms: EtfTerms, kind: ApplicationKind, creation_units: int, cash_jpy: int
) -> Legs:
    """The applicant member's legs of a statement for `creation_units` creation units.

    * creation in kind: delivers the basket and the cash component, receives the units;
      `cash_jpy` must equal `cash_per_creation_unit` x `creation_units`;
    * cash creation: pays `cash_jpy` (> 0, the amount the manager's statement fixes), receives
      the units;
    * cash redemption: delivers the units, receives `cash_jpy` (> 0);
    * exchange: delivers the units, receives the basket; `cash_jpy` must be 0.
    """
    kind = _kind_of(terms, kind)
    cu = _whole(creation_units, "creation_units", StatementRefused)
    if cu <= 0:
        raise StatementRefused(
            f"{kind.label} of ETF {terms.code}: creation_units must be positive, not {cu}"
        )
    cash = _whole(cash_jpy, "cash_jpy", StatementRefused)
    units = terms.creation_unit * cu
    basket = {c.symbol: c.quantity * cu for c in terms.basket}
    if kind is ApplicationKind.CREATION_IN_KIND:
        component = terms.cash_per_creation_unit * cu
        if cash != component:
            raise StatementRefused(
                f"creation in kind of ETF {terms.code}: the cash component of {cu} creation "
                f"units is {component:,} JPY, not {cash:,} JPY"
            )
        return Legs({**{s: -q for s, q in basket.items()}, terms.unit_symbol: units}, -cash)
    if kind is ApplicationKind.EXCHANGE:
        if cash != 0:
            raise StatementRefused(
                f"exchange for the basket of ETF {terms.code}: no cash moves, not {cash:,} JPY"
            )
        return Legs({terms.unit_symbol: -units, **basket}, 0)
    if cash <= 0:
        raise StatementRefused(
            f"{kind.label} of ETF {terms.code}: the statement's cash must be positive, "
            f"not {cash:,} JPY"
        )
    if kind is ApplicationKind.CREATION_CASH:
        return Legs({terms.unit_symbol: units}, -cash)
    return Legs({terms.unit_symbol: -units}, cash)  # cash redemption


# ---------------------------------------------------------------------- fails and the timetable


def late_charge_days(day: date) -> int:
    """How many days a fail on business day `day` is charged for: 1, plus the non-business days
    between it and the next business day (an ordinary Friday 3, before a Monday holiday 4)."""
    day = _business_day(day, "a fail day")
    return (next_business_day(day) - day).days


def late_charge(value_jpy: int, day: date, *, payer: bool) -> int:
    """The late charge on a fail worth `value_jpy` (quantity x that day's DvP clearing price) on
    `day`: 4 bps a day for `late_charge_days(day)` days, rounded up for the failing deliverer who
    pays it and down for the receiver, so the CCP never pays out more than it collects."""
    value = _whole(value_jpy, "the value of a fail", InputError)
    if value < 0:
        raise InputError(f"the value of a fail must not be negative, not {value:,} JPY")
    if not isinstance(payer, bool):
        raise InputError(f"payer must be True or False, not {payer!r}")
    numerator = value * LATE_CHARGE_BPS * late_charge_days(day)
    return -(-numerator // BPS) if payer else numerator // BPS


def buy_in_from(request_day: date) -> date:
    """The day a buy-in is executed: the 3rd business day counting `request_day` as the 1st.

    Handling rules on unsettled deliveries art. 14(1) (reference/004, バイインによる売買の買方
    ... の指定): when the receiver has requested a buy-in and its settlement is still deferred past
    the DvP cut-off of the third day counting from the request day (当該請求日から起算して３日目
    の日), the CCP designates a failing deliverer to buy in, on that day. The source counts from
    the *request* day, not the original settlement day; a receiver that requests on the original
    settlement day (the day the fail arises) gets a buy-in on original + 2 business days, the
    earliest possible. Days are business days: a request made on a day the exchange is closed
    counts from the next business day as its first (as the settlement contract counts it).
    """
    day = _plain_date(request_day, "a buy-in request day")
    first = day if is_business_day(day) else next_business_day(day)
    return first if BUY_IN_DAY == 1 else add_business_days(first, BUY_IN_DAY - 1)


def cutoff(step: str, day: date) -> int:
    """The unix second of the cut-off for `step` (see `CUTOFFS`) on settlement day `day`."""
    if step not in CUTOFFS:
        raise TimetableError(
            f"unknown settlement step {step!r}; the cut-offs are for {', '.join(CUTOFFS)}"
        )
    day = _business_day(day, "a settlement day")
    return to_unix(datetime.combine(day, CUTOFFS[step], TOKYO))
