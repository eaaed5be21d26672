"""Futures contracts' terms: a price in points, on a tick, is worth its multiplier in yen."""

from __future__ import annotations

from decimal import Decimal

import pytest

from pyclient.margin.futures import FuturesContract
from pyclient.margin.risk import InvalidMarginAmount, InvalidRiskParameter

D = Decimal
NK = FuturesContract("NK225-FUT", "Nikkei 225 futures", 1_000, D(10))
JGB = FuturesContract("JGB-FUT", "10-year JGB futures", 1_000_000, D("0.01"))


def test_a_price_in_points_is_worth_its_multiplier_in_yen() -> None:
    assert NK.jpy(D(40_680)) == D(40_680_000)
    assert JGB.jpy(D("134.07")) == D(134_070_000)


def test_a_computed_price_goes_to_the_nearest_tick_a_half_tick_to_the_even_one() -> None:
    assert NK.quantize(D("40684.9")) == D(40_680) and NK.quantize(D(40_686)) == D(40_690)
    assert NK.quantize(D(40_685)) == D(40_680) and NK.quantize(D(40_695)) == D(40_700)
    assert JGB.quantize(D("134.0749")) == D("134.07") and JGB.quantize(D("134.075")) == D("134.08")


def test_a_price_is_written_with_the_ticks_decimals() -> None:
    assert NK.format(D(40_680)) == "40,680" and NK.format(D(1_000_000)) == "1,000,000"
    assert JGB.format(D(134)) == "134.00" and JGB.format(D("1234.5")) == "1,234.50"


def test_terms_and_prices_that_cannot_be_right_are_refused() -> None:
    with pytest.raises(InvalidRiskParameter, match="not positive"):
        FuturesContract("X", "x", 0, D(1))
    with pytest.raises(InvalidRiskParameter, match="not an int"):
        FuturesContract("X", "x", 1.5, D(1))  # type: ignore[arg-type]
    with pytest.raises(InvalidRiskParameter, match="tick"):
        FuturesContract("X", "x", 1, D(0))
    with pytest.raises(InvalidMarginAmount):
        FuturesContract("X", "x", 1, 0.5)  # type: ignore[arg-type]
    with pytest.raises(InvalidRiskParameter, match="code"):
        FuturesContract("", "x", 1, D(1))
    with pytest.raises(InvalidMarginAmount):
        NK.jpy(40_680.0)
    assert FuturesContract("X", "x", 1, "0.5").tick == D("0.5")  # type: ignore[arg-type]
