"""The exchange's issuer criteria for an ETN-type JDR: may it list, must it be delisted.

An ETN-type JDR is a beneficial interest in a trust holding index-linked notes (ETNs) of a
foreign issuer, not an ETF; the holder bears the issuer's credit, so the exchange admits only
sound issuers and delists when the issuer stays weak (docs/domain.md §10, the TSE ETN overview, the
exchange's overview of JDR-form index-linked notes). The thresholds, with the overview's words:

listing (TSE ETN overview, 財務状況の健全性基準; line 13, 商品性基準)

* net assets JPY 500bn or more (5,000億円以上: inclusive);
* capital ratio above 8% (8%を上回る: exclusive); for a securities firm, its capital adequacy
  ratio above 200% (自己資本規制比率が200%を上回る);
* a rating of A- or better (A-格同等以上: inclusive);
* notes issued (with notes of others it guarantees, and what it will issue on listing) not
  above 25% of net assets (25%を超過していない: 25% itself passes);
* redemption honoured at intervals of at most 5 business days (5営業日を上回らない).

delisting (TSE ETN overview)

* net assets under JPY 250bn (2,500億円未満) and not back to 250bn or more within 3 years;
* capital ratio 8% or less (8%以下; 200% or less for a securities firm), not back above
  within 3 years;
* a rating under BBB- (BBB-格同等未満), not back to BBB- or better within 3 years;
* notes above 25% of net assets (超過), not back to 25% or less within 3 years;
* the 5-business-day redemption undertaking dropped from the terms (at once, no grace);
* correlation between redemption value and index under 0.9, not back to 0.9 within 1 year
  (`pyclient.jdr.monitors.correlation_rule` finds when it broke).

Listing is also conditional on things these facts do not carry (three years in business, clean
audit opinions, more than 5 years to final maturity); they are checked by people, not here.
"""

from __future__ import annotations

import enum
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from datetime import date, datetime
from decimal import Decimal
from functools import total_ordering

from ..errors import HistoryRefused, InvalidAmount, UnknownRating

__all__ = [
    "CAPITAL_RATIO_FLOOR", "CORRELATION_GRACE_YEARS", "DELISTING_GRACE_YEARS",
    "DELISTING_NET_ASSETS_JPY", "DELISTING_RATING_FLOOR", "LISTING_NET_ASSETS_JPY",
    "LISTING_RATING_FLOOR", "NOTES_SHARE_CAP", "RATING_SCALE", "REDEMPTION_INTERVAL_MAX",
    "Criterion", "DelistingCriterion", "DelistingReport", "EligibilityReport", "IssuerFacts",
    "IssuerKind", "Rating", "delisting_check", "listing_eligibility",
]  # fmt: skip

# S&P / Fitch long-term scale, best first. Fitch's RD and S&P's SD (selective default) are not
# taken: a caller maps them to D, which is as far below every threshold.
RATING_SCALE = (
    "AAA", "AA+", "AA", "AA-", "A+", "A", "A-", "BBB+", "BBB", "BBB-", "BB+", "BB", "BB-",
    "B+", "B", "B-", "CCC+", "CCC", "CCC-", "CC", "C", "D",
)  # fmt: skip
# Dashes people type for the minus notch (the overview itself writes "B B B一格").
_MINUS_SIGNS = str.maketrans({"−": "-", "－": "-", "‐": "-", "–": "-", "＋": "+"})


@total_ordering
@dataclass(frozen=True)
class Rating:
    """A long-term credit rating on the S&P/Fitch scale: `Rating("A-")`; a better rating
    compares greater (`Rating("A") > Rating("A-") > Rating("BBB+")`). Spaces and case are
    ignored; anything not on the scale is refused (`UnknownRating`)."""

    symbol: str

    def __post_init__(self) -> None:
        if not isinstance(self.symbol, str):
            raise UnknownRating(f"a rating is a symbol such as 'A-', not {self.symbol!r}")
        symbol = "".join(self.symbol.split()).translate(_MINUS_SIGNS).upper()
        if symbol not in RATING_SCALE:
            scale = ", ".join(RATING_SCALE)
            raise UnknownRating(f"{self.symbol!r} is not a rating on the S&P/Fitch scale ({scale})")
        object.__setattr__(self, "symbol", symbol)

    @property
    def notch(self) -> int:
        """Notches above D (AAA is 21, D is 0)."""
        return len(RATING_SCALE) - 1 - RATING_SCALE.index(self.symbol)

    def __lt__(self, other: object) -> bool:
        if not isinstance(other, Rating):
            return NotImplemented
        return self.notch < other.notch

    def __str__(self) -> str:
        return self.symbol


class IssuerKind(enum.Enum):
    """Which capital ratio the issuer reports: a bank its capital ratio (floor 8%), a securities
    firm its capital adequacy ratio (floor 200%) (TSE ETN overview, right-hand column)."""

    BANK = "bank"
    SECURITIES_FIRM = "securities firm"


LISTING_NET_ASSETS_JPY = 500_000_000_000
DELISTING_NET_ASSETS_JPY = 250_000_000_000
CAPITAL_RATIO_FLOOR = {IssuerKind.BANK: Decimal("0.08"), IssuerKind.SECURITIES_FIRM: Decimal(2)}
LISTING_RATING_FLOOR = Rating("A-")
DELISTING_RATING_FLOOR = Rating("BBB-")
NOTES_SHARE_CAP = Decimal("0.25")
REDEMPTION_INTERVAL_MAX = 5  # business days
DELISTING_GRACE_YEARS = 3
CORRELATION_GRACE_YEARS = 1


def _int(value: object, what: str, *, minimum: int | None = None) -> int:
    if isinstance(value, bool) or not isinstance(value, int):
        raise InvalidAmount(f"{what} must be an int, not {value!r}")
    if minimum is not None and value < minimum:
        raise InvalidAmount(f"{what} must be at least {minimum}, not {value}")
    return value


@dataclass(frozen=True)
class IssuerFacts:
    """What the exchange reads about an ETN issuer at one date.

    `net_assets_jpy`: net assets in yen (negative for an insolvent issuer). `capital_ratio`: a
    fraction (0.115 for 11.5%; a securities firm's capital adequacy ratio of 250% is 2.5).
    `rating`: S&P/Fitch symbol, normalised (`grade` is the `Rating`). `notes_outstanding_jpy`:
    every index-linked note it has issued, with those of others it guarantees and, when listing,
    what it will issue on listing. `redemption_interval_business_days`: how often holders may
    ask for redemption, in business days.
    """

    net_assets_jpy: int
    capital_ratio: Decimal
    rating: str
    notes_outstanding_jpy: int
    redemption_interval_business_days: int
    kind: IssuerKind = IssuerKind.BANK

    def __post_init__(self) -> None:
        _int(self.net_assets_jpy, "net assets (JPY)")
        _int(self.notes_outstanding_jpy, "notes outstanding (JPY)", minimum=0)
        _int(self.redemption_interval_business_days, "the redemption interval", minimum=1)
        ratio = self.capital_ratio
        if isinstance(ratio, bool) or not isinstance(ratio, Decimal) or not ratio.is_finite():
            raise InvalidAmount(f"the capital ratio must be a finite Decimal, not {ratio!r}")
        if ratio < 0:
            raise InvalidAmount(f"the capital ratio cannot be negative ({ratio})")
        if not isinstance(self.kind, IssuerKind):
            raise InvalidAmount(f"the issuer kind must be an IssuerKind, not {self.kind!r}")
        if self.kind is IssuerKind.BANK and ratio > 1:
            # 8.5 was surely meant as 8.5%, and would pass the 8% floor a hundredfold.
            raise InvalidAmount(
                f"a bank's capital ratio is a fraction (0.085 for 8.5%), not {ratio}"
            )
        object.__setattr__(self, "rating", Rating(self.rating).symbol)

    @property
    def grade(self) -> Rating:
        return Rating(self.rating)

    @property
    def capital_floor(self) -> Decimal:
        return CAPITAL_RATIO_FLOOR[self.kind]

    @property
    def notes_within_cap(self) -> bool:
        # notes <= 25% of net assets, in integers: 4 * notes <= net assets.
        return self.notes_outstanding_jpy * 4 <= self.net_assets_jpy


def _jpy(amount: int) -> str:
    return f"JPY {amount:,}"


def _percent(ratio: Decimal) -> str:
    return f"{(ratio * 100).normalize():f}%"


def _notes_share(facts: IssuerFacts) -> str:
    if facts.net_assets_jpy <= 0:
        return f"{_jpy(facts.notes_outstanding_jpy)} (net assets not positive)"
    share = Decimal(facts.notes_outstanding_jpy * 100) / facts.net_assets_jpy
    return f"{_jpy(facts.notes_outstanding_jpy)} ({share.quantize(Decimal('0.01'))}% of net assets)"


@dataclass(frozen=True)
class Criterion:
    """One listing criterion: what it asks for, what the issuer has, whether that passes."""

    name: str
    required: str
    actual: str
    met: bool


@dataclass(frozen=True)
class EligibilityReport:
    criteria: tuple[Criterion, ...]

    @property
    def eligible(self) -> bool:
        return all(c.met for c in self.criteria)

    @property
    def unmet(self) -> tuple[Criterion, ...]:
        return tuple(c for c in self.criteria if not c.met)


def listing_eligibility(facts: IssuerFacts) -> EligibilityReport:
    """Whether an issuer meets the financial and product criteria for listing an ETN-type JDR
    (at the end of its last business year, TSE ETN overview), one `Criterion` per rule."""
    floor = facts.capital_floor
    return EligibilityReport(
        (
            Criterion(
                "net assets",
                f">= {_jpy(LISTING_NET_ASSETS_JPY)}",
                _jpy(facts.net_assets_jpy),
                facts.net_assets_jpy >= LISTING_NET_ASSETS_JPY,
            ),
            Criterion(
                "capital ratio",
                f"> {_percent(floor)}",
                _percent(facts.capital_ratio),
                facts.capital_ratio > floor,
            ),
            Criterion(
                "credit rating",
                f">= {LISTING_RATING_FLOOR}",
                facts.rating,
                facts.grade >= LISTING_RATING_FLOOR,
            ),
            Criterion(
                "notes issued",
                f"<= {_percent(NOTES_SHARE_CAP)} of net assets",
                _notes_share(facts),
                facts.notes_within_cap,
            ),
            Criterion(
                "redemption",
                f"at least every {REDEMPTION_INTERVAL_MAX} business days",
                f"every {facts.redemption_interval_business_days} business days",
                facts.redemption_interval_business_days <= REDEMPTION_INTERVAL_MAX,
            ),
        )
    )


@dataclass(frozen=True)
class DelistingCriterion:
    """One delisting criterion as of a date: the condition that starts its clock, how the issuer
    stands on the latest facts, since when the condition has held without a break (None when it
    does not hold), the date it becomes a delisting criterion if it still holds, and whether
    that date has come."""

    name: str
    condition: str
    actual: str
    since: date | None
    deadline: date | None
    met: bool


@dataclass(frozen=True)
class DelistingReport:
    as_of: date
    criteria: tuple[DelistingCriterion, ...]

    @property
    def delist(self) -> bool:
        """Whether any delisting criterion is met."""
        return any(c.met for c in self.criteria)

    @property
    def met(self) -> tuple[DelistingCriterion, ...]:
        return tuple(c for c in self.criteria if c.met)

    @property
    def pending(self) -> tuple[DelistingCriterion, ...]:
        """Conditions that hold but whose grace period runs on (the exchange publishes these as
        a delisting grace period, 上場廃止猶予期間, TSE ETN overview)."""
        return tuple(c for c in self.criteria if c.since is not None and not c.met)


def _years_later(day: date, years: int) -> date:
    """The same day `years` on; 29 February goes to 28 February in a common year."""
    try:
        return day.replace(year=day.year + years)
    except ValueError:
        return day.replace(year=day.year + years, day=28)


def _plain_date(value: object, what: str) -> date:
    if isinstance(value, datetime) or not isinstance(value, date):
        raise HistoryRefused(f"{what} must be a date, not {value!r}")
    return value


def delisting_check(
    history: Sequence[tuple[date, IssuerFacts]],
    correlation_breach_since: date | None,
    as_of: date,
) -> DelistingReport:
    """Which delisting criteria an ETN issuer meets on `as_of`, and since when.

    `history` is the issuer's facts at successive dates (annual and interim reports, rating
    actions...); entries after `as_of` are not read. A condition's clock starts at the first
    entry of the unbroken run of entries, ending with the latest one, in which it holds; the
    criterion is met when it still holds on `as_of` and 3 calendar years have passed since then
    (on the anniversary itself: a recovery had to come within the 3 years). The correlation's
    clock starts at `correlation_breach_since` (the month it fell below 0.9 and has stayed below,
    e.g. `correlation_rule(...).first_breach` when not recovered) and runs 1 year.

    Refused (`HistoryRefused`): dates out of order or repeated, no entry on or before `as_of`,
    a correlation breach after `as_of`.
    """
    as_of = _plain_date(as_of, "as_of")
    for i, (day, facts) in enumerate(history):
        _plain_date(day, "a history date")
        if not isinstance(facts, IssuerFacts):
            raise HistoryRefused(f"the history entry of {day} is not IssuerFacts: {facts!r}")
        if i and day <= history[i - 1][0]:
            word = "repeated" if day == history[i - 1][0] else "out of order"
            raise HistoryRefused(f"issuer history: {day} is {word}")
    known = [(day, facts) for day, facts in history if day <= as_of]
    if not known:
        raise HistoryRefused(f"issuer history: no facts on or before {as_of}")
    if correlation_breach_since is not None:
        _plain_date(correlation_breach_since, "correlation_breach_since")
        if correlation_breach_since > as_of:
            raise HistoryRefused(
                f"the correlation cannot have broken on {correlation_breach_since}, after {as_of}"
            )
    latest = known[-1][1]

    def since(holds: Callable[[IssuerFacts], bool]) -> date | None:
        start = None
        for day, facts in reversed(known):
            if not holds(facts):
                break
            start = day
        return start

    def criterion(
        name: str, condition: str, actual: str, began: date | None, grace_years: int
    ) -> DelistingCriterion:
        deadline = None if began is None else _years_later(began, grace_years)
        met = deadline is not None and as_of >= deadline
        return DelistingCriterion(name, condition, actual, began, deadline, met)

    years = f"for {DELISTING_GRACE_YEARS} years"
    floor = latest.capital_floor
    return DelistingReport(
        as_of,
        (
            criterion(
                "net assets",
                f"< {_jpy(DELISTING_NET_ASSETS_JPY)} {years}",
                _jpy(latest.net_assets_jpy),
                since(lambda f: f.net_assets_jpy < DELISTING_NET_ASSETS_JPY),
                DELISTING_GRACE_YEARS,
            ),
            criterion(
                "capital ratio",
                f"<= {_percent(floor)} {years}",
                _percent(latest.capital_ratio),
                since(lambda f: f.capital_ratio <= f.capital_floor),
                DELISTING_GRACE_YEARS,
            ),
            criterion(
                "credit rating",
                f"< {DELISTING_RATING_FLOOR} {years}",
                latest.rating,
                since(lambda f: f.grade < DELISTING_RATING_FLOOR),
                DELISTING_GRACE_YEARS,
            ),
            criterion(
                "notes issued",
                f"> {_percent(NOTES_SHARE_CAP)} of net assets {years}",
                _notes_share(latest),
                since(lambda f: not f.notes_within_cap),
                DELISTING_GRACE_YEARS,
            ),
            criterion(
                "redemption",
                f"less often than every {REDEMPTION_INTERVAL_MAX} business days",
                f"every {latest.redemption_interval_business_days} business days",
                since(lambda f: f.redemption_interval_business_days > REDEMPTION_INTERVAL_MAX),
                0,
            ),
            criterion(
                "correlation",
                f"< 0.9 for {CORRELATION_GRACE_YEARS} year",
                "below 0.9" if correlation_breach_since else "not below 0.9",
                correlation_breach_since,
                CORRELATION_GRACE_YEARS,
            ),
        ),
    )
