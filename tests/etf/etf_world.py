"""The ETF clearing tests' cast: a registered trust bank, an ETF manager (the ETF special
participant), two notified ETFs (ETF1306 in kind on Toyota and Sony, ETF2558 for cash), members
holding what they will deliver, and the clock on a business day T at 10:00 Tokyo (fixture `etf`,
set up inside each test's snapshot)."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime, time, timedelta
from typing import Any

from support import Market

from pyclient import Admission, Kind
from pyclient.chain import devnet
from pyclient.clock import TOKYO, from_unix, to_unix
from pyclient.etf.model import EtfType, settlement_date, sub_business_days
from pyclient.margin.calendar import add_business_days, is_business_day
from pyclient.roles import ClearingMember, Settlor, TrustBank

CU_1306 = 1_000  # units per creation unit
BASKET_1306 = {"TYO7203": 600, "TYO6758": 300}  # per creation unit: 2,850,000 yen at 3,000/3,500
CASH_1306 = 50_000  # yen per creation unit: with the basket, 1,000 units at 2,900
CU_2558 = 100


@dataclass
class EtfWorld:
    market: Market
    bank: TrustBank
    manager: Settlor
    a: ClearingMember
    b: ClearingMember
    t: date  # today: the statement date of what is approved now

    @property
    def d(self) -> Any:
        return self.market.world.deployment

    @property
    def ccp(self) -> Any:
        return self.market.world.ccp

    @property
    def s(self) -> date:
        return settlement_date(self.t)

    @property
    def eve(self) -> date:
        """The business day before the settlement day: its netting closes after 14:45 on it."""
        return sub_business_days(self.s, 1)

    def before_netting(self) -> None:
        """The clock to 14:46 on the eve of the settlement day: what the eve's fails roll is in."""
        self.at(self.eve, 14, 46)

    def at(self, day: date, hh: int, mm: int = 0, ss: int = 0) -> None:
        """Move the chain clock to `day` hh:mm:ss Tokyo (the next block's time)."""
        devnet.set_next_timestamp(
            self.market.world.chain, to_unix(datetime.combine(day, time(hh, mm, ss), TOKYO))
        )
        devnet.mine(self.market.world.chain)


def first_business_day_after(day: date, days: int) -> date:
    d = day + timedelta(days=days)
    while not is_business_day(d):
        d += timedelta(days=1)
    return d


def make_world(market: Market, *, listing_offset: int = -30, t: date | None = None) -> EtfWorld:
    """The cast, with T the first business day two days after the chain's date, or `t`."""
    w = market.world
    d = w.deployment
    bank_key, manager_key = w.keys[8], w.keys[9]
    w.ccp.register.admit_many(
        [
            Admission(bank_key.address, Kind.TRUST_BANK, "trust-bank"),
            Admission(manager_key.address, Kind.ETF_MANAGER, "etf-manager"),
        ]
    )
    today = from_unix(d.chain_time()).date()
    if t is None:
        t = first_business_day_after(today, 2)
    assert t > today, f"T {t} must be after the chain's date {today}"
    world = EtfWorld(
        market, TrustBank(d, bank_key), Settlor(d, manager_key), w.member_a, w.member_b, t
    )
    world.at(t, 10)
    listing = (
        add_business_days(t, listing_offset) if listing_offset > 0 else _back(t, -listing_offset)
    )
    w.ccp.etf.register_trust_bank("trust-bank")
    w.ccp.etf.notify(
        "1306", unit="ETF1306", trust_bank="trust-bank", manager="etf-manager",
        listing_date=listing, etf_type=EtfType.IN_KIND, creation_unit=CU_1306,
        basket=BASKET_1306, cash_per_creation_unit=CASH_1306,
    )  # fmt: skip
    w.ccp.etf.notify(
        "2558", unit="ETF2558", trust_bank="trust-bank", manager="etf-manager",
        listing_date=listing, etf_type=EtfType.CASH, creation_unit=CU_2558,
    )  # fmt: skip
    w.issuer.issue_many(
        [
            ("TYO7203", "member-a", 10_000, "etf"),
            ("TYO6758", "member-a", 10_000, "etf"),
            ("JPY", "member-a", 50_000_000, "etf"),
            ("JPY", "member-b", 50_000_000, "etf"),
            ("ETF1306", "member-b", 5_000, "etf"),
            ("ETF2558", "member-b", 1_000, "etf"),
            ("JPY", "trust-bank", 100_000_000, "etf"),
            ("TYO7203", "trust-bank", 10_000, "etf"),
            ("TYO6758", "trust-bank", 10_000, "etf"),
        ]
    )
    return world


def _back(day: date, n: int) -> date:
    from pyclient.etf.model import sub_business_days

    return sub_business_days(day, n)
