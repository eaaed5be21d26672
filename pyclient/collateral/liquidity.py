"""The liquidity a collateral substitution needs: today's two-step way against the atomic one.

Today a member substitutes by depositing the new collateral in full and only then withdrawing the
old, since a withdrawal is allowed only above the requirement: between the two it has both posted,
and the new collateral must be funded ("pre-funded") until the old comes back. An atomic
substitution (`ClearingMember.substitute`, a signed offer, an optimiser's plan) exchanges the two in
one transaction, so nothing is pre-funded.

Pure functions over figures pyclient reads (quotes from `MarketData.quotes`, legs in whole units):
what the legs are worth at market (`market_value_jpy`) and cost a year to post
(`posting_cost_jpy`), the pre-funding each way needs and what it costs at a stated rate
(`funding_cost_jpy`), and, for a stated `Timetable`, the collateral posted at the CCP through the
day (`Liquidity.series`), which the demo charts with `save_chart`.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from decimal import ROUND_CEILING, Decimal
from enum import Enum
from pathlib import Path
from typing import Any

from ..errors import InputError
from ..oracle.market_data import BPS, Quote
from ..valuation import market_value

HOURS_PER_YEAR = 8_760  # funding accrues on an actual/365 basis, by the hour
Point = tuple[dt.datetime, int]  # a moment and the JPY tied up then


class Way(Enum):
    """How a substitution is made."""

    TWO_STEP = "two-step"  # deposit the new in full, then withdraw the old
    ATOMIC = "atomic"  # both in one transaction


@dataclass(frozen=True)
class Timetable:
    """The day a substitution is told over: the window `opens` to `closes`; the new collateral
    goes in at `delivered` (the atomic way swaps then); the two-step way gets the old back at
    `released`, once the CCP has processed the withdrawal."""

    opens: dt.datetime
    delivered: dt.datetime
    released: dt.datetime
    closes: dt.datetime

    def __post_init__(self) -> None:
        if not self.opens <= self.delivered <= self.released <= self.closes:
            raise InputError(
                f"a timetable runs opens <= delivered <= released <= closes, not {self.opens:%H:%M}"
                f", {self.delivered:%H:%M}, {self.released:%H:%M}, {self.closes:%H:%M}"
            )

    @property
    def hours(self) -> Decimal:
        """How long the two-step way holds both, in hours: what its pre-funding is paid for."""
        return Decimal((self.released - self.delivered).total_seconds()) / 3_600


def market_value_jpy(legs: Mapping[str, Decimal | int], quotes: Mapping[str, Quote]) -> int:
    """JPY market value (before haircut, each leg rounded down as `valuation.market_value`) of
    `legs` (asset -> whole units) at `quotes` (asset -> its quote)."""
    total = 0
    for asset, amount in legs.items():
        q = quotes[asset]
        units = Decimal(amount).scaleb(q.decimals)
        if units != units.to_integral_value() or units < 0:
            raise InputError(f"{amount} {asset} is not a whole number of its smallest units")
        total += market_value(int(units), q)
    return total


def posting_cost_jpy(
    legs: Mapping[str, Decimal | int], quotes: Mapping[str, Quote], costs_bps: Mapping[str, Any]
) -> Decimal:
    """What posting `legs` (asset -> whole units) costs a year at `costs_bps` (asset -> bps a
    year of market value): each leg's market value x its bps / 10,000, as the optimiser counts
    (`pyclient.collateral.optimiser`), exact."""
    return sum(
        (Decimal(market_value_jpy({s: q}, quotes)) * Decimal(costs_bps[s]) / BPS
         for s, q in legs.items()),
        Decimal(0),
    )  # fmt: skip


def prefunding_jpy(way: Way, into_jpy: int) -> int:
    """The liquidity a substitution bringing in `into_jpy` (market value) must find before the
    old collateral can leave: all of it the two-step way, none the atomic way."""
    return into_jpy if way is Way.TWO_STEP else 0


def funding_cost_jpy(amount_jpy: int, rate_bps: int, hours: Decimal | int) -> int:
    """What funding `amount_jpy` for `hours` costs at `rate_bps` a year: amount x rate x
    hours / 8,760, rounded up to the yen (a cost is never understated)."""
    if rate_bps < 0 or Decimal(hours) < 0:
        raise InputError(f"a funding rate ({rate_bps} bps) and a duration ({hours} h) are >= 0")
    cost = Decimal(amount_jpy) * rate_bps * Decimal(hours) / (BPS * HOURS_PER_YEAR)
    return int(cost.to_integral_value(ROUND_CEILING))


@dataclass(frozen=True)
class Liquidity:
    """One way of substituting `out_jpy` of collateral by `into_jpy` (market values) in an account
    holding `posted_before_jpy`: the pre-funding it needs, its cost at `rate_bps` a year for the
    `timetable`'s hours, and the collateral posted at the CCP through the day."""

    label: str
    way: Way
    posted_before_jpy: int
    out_jpy: int
    into_jpy: int
    rate_bps: int
    timetable: Timetable

    @property
    def posted_after_jpy(self) -> int:
        return self.posted_before_jpy - self.out_jpy + self.into_jpy

    @property
    def prefunding_jpy(self) -> int:
        return prefunding_jpy(self.way, self.into_jpy)

    @property
    def hours(self) -> Decimal:
        """How long the pre-funding lasts: the timetable's hours the two-step way, none atomic."""
        return self.timetable.hours if self.prefunding_jpy else Decimal(0)

    @property
    def funding_cost_jpy(self) -> int:
        return funding_cost_jpy(self.prefunding_jpy, self.rate_bps, self.hours)

    @property
    def series(self) -> list[Point]:
        """The market value posted at the CCP through the day, as steps: the start until the new
        goes in; then the two-step way holds both until the old is released, while the atomic way
        swaps at once; the end until the window closes."""
        t, before, after = self.timetable, self.posted_before_jpy, self.posted_after_jpy
        if self.way is Way.ATOMIC:
            return [(t.opens, before), (t.delivered, before), (t.delivered, after),
                    (t.closes, after)]  # fmt: skip
        both = before + self.into_jpy
        return [(t.opens, before), (t.delivered, before), (t.delivered, both),
                (t.released, both), (t.released, after), (t.closes, after)]  # fmt: skip

    @property
    def peak_jpy(self) -> int:
        return max(value for _, value in self.series)


def save_chart(ways: Sequence[Liquidity], path: Path, *, title: str) -> Path:
    """Draw each way's `series` as a step line on one chart and write it to `path` (a PNG; its
    folder is made), with matplotlib's Agg backend, which needs no display."""
    import matplotlib  # here, not at the top: only a chart needs matplotlib

    matplotlib.use("Agg")
    import matplotlib.dates as mdates
    import matplotlib.pyplot as plt

    fig, ax = plt.subplots(figsize=(9, 4.5), dpi=120)
    try:
        for i, way in enumerate(ways):
            times = [moment for moment, _ in way.series]
            values = [value / 1e9 for _, value in way.series]  # billions, for the axis only
            style = "-" if way.way is Way.TWO_STEP else ("--", ":", "-.")[i % 3]
            ax.plot(times, values, style, linewidth=2.2 - 0.4 * i, label=way.label)
            if way.prefunding_jpy:  # the hump: what had to be found before the old came back
                t, low, high = way.timetable, way.posted_before_jpy / 1e9, way.peak_jpy / 1e9
                mid = t.delivered + (t.released - t.delivered) / 2
                arrow = {"arrowstyle": "<->", "color": "tab:red"}
                ax.annotate("", xy=(mid, high), xytext=(mid, low), arrowprops=arrow)
                said = f"  pre-funding JPY {high - low:,.2f}bn\n  for {way.hours.normalize():f} h"
                ax.text(mid, (low + high) / 2, said, color="tab:red", va="center")
        tz = ways[0].timetable.opens.tzinfo if ways else None
        ax.xaxis.set_major_formatter(mdates.DateFormatter("%H:%M", tz=tz))
        ax.set_title(title, loc="left", fontsize=11)
        ax.set_ylabel("collateral posted at the CCP (JPY bn, market value)")
        top = max((w.peak_jpy for w in ways), default=0) / 1e9 * 1.1  # room for the legend
        ax.set_ylim(bottom=0, top=top or None)
        ax.grid(alpha=0.3)
        ax.legend(loc="lower right", fontsize=9)
        fig.tight_layout()
        path.parent.mkdir(parents=True, exist_ok=True)
        fig.savefig(path, format="png")
    finally:
        plt.close(fig)
    return path
