"""Price histories for the margin model: a reproducible walk, a CSV read back exactly, and every
malformed file refused naming its line."""

from __future__ import annotations

import datetime as dt
import itertools
from decimal import Decimal
from pathlib import Path

import pytest

from pyclient.errors import HistoryRefused, InputError
from pyclient.margin import FuturesContract, Position, initial_margin, last_business_days
from pyclient.margin.history import load_history_csv, simulated_closes, write_history_csv

N225 = FuturesContract("N225M", "Nikkei 225 mini", multiplier=100, tick=Decimal(5))


def test_a_simulated_walk_is_reproducible_on_ticks_and_moves_with_its_seed() -> None:
    closes = simulated_closes(N225, first_close=38_000, days=250, daily_vol="0.012")
    assert len(closes) == 250
    assert closes == simulated_closes(N225, first_close=38_000, days=250, daily_vol="0.012")
    assert all(c % 5 == 0 and c > 0 for c in closes)
    moves = [abs(b / a - 1) for a, b in itertools.pairwise(closes)]
    assert Decimal("0.005") < sum(moves) / len(moves) < Decimal("0.02")  # about the volatility
    other = simulated_closes(N225, first_close=38_000, days=250, daily_vol="0.012", seed="x")
    assert other != closes
    flat = simulated_closes(N225, first_close=38_000, days=5, daily_vol=0)
    assert flat == [Decimal(38_000)] * 5


def test_the_walk_is_pinned_so_a_story_built_on_it_never_moves() -> None:
    """The margin demo's market is this walk: the same closes on every machine and version."""
    closes = simulated_closes(N225, first_close=38_000, days=250, daily_vol="0.012")
    assert closes[:3] == [Decimal(37_395), Decimal(36_790), Decimal(37_290)]
    assert closes[-1] == Decimal(47_115)


@pytest.mark.parametrize(
    ("kwargs", "said"),
    [
        ({"days": 0}, "days must be a positive int"),
        ({"days": 2.5}, "days must be a positive int"),
        ({"first_close": -1}, "a first close > 0"),
        ({"daily_vol": -0.01}, "float"),
        ({"daily_vol": "-0.01"}, "volatility >= 0"),
    ],
)
def test_a_walk_with_impossible_terms_is_refused(kwargs, said) -> None:
    terms = {"first_close": 38_000, "days": 10, "daily_vol": "0.01", **kwargs}
    with pytest.raises(InputError, match=said):
        simulated_closes(N225, **terms)


def test_a_history_written_is_read_back_exactly_and_margins_a_book(tmp_path: Path) -> None:
    closes = simulated_closes(N225, first_close=38_000, days=250, daily_vol="0.012")
    history = {"N225M": [N225.jpy(c) for c in closes], "JGB": [Decimal("145.25")] * 250}
    days = last_business_days(dt.date(2026, 12, 1), 250)
    path = write_history_csv(tmp_path / "closes.csv", history, days)
    assert path.read_text().splitlines()[0] == "date,N225M,JGB"
    assert load_history_csv(path) == history
    result = initial_margin(
        [Position("N225M", 10)],
        trade_prices={"N225M": history["N225M"][-1]},
        current_prices={"N225M": history["N225M"][-1]},
        history=load_history_csv(path),
        net_capital=5_000_000_000,
    )
    assert result.total > 0 and result.mtm_loss == 0


@pytest.mark.parametrize(
    ("text", "said"),
    [
        ("", "the header must be date"),
        ("day,N225M\n2026-12-01,1\n", "the header must be date"),
        ("date,N225M,N225M\n2026-12-01,1,1\n", "named once each"),
        ("date,N225M\n", "no closes"),
        ("date,N225M\n2026-12-01,1,2\n", ":2: 3 fields, not 2"),
        ("date,N225M\n01/12/2026,1\n", ":2: '01/12/2026' is not a date"),
        ("date,N225M\n2026-12-02,1\n2026-12-01,1\n", ":3: 2026-12-01 is not after 2026-12-02"),
        ("date,N225M\n2026-12-01,1\n2026-12-01,1\n", "is not after"),
        ('date,N225M\n2026-12-01,"3,800,000"\n', "'3,800,000' is not a number"),
        ("date,N225M\n2026-12-01,\n", "'' is not a number"),
        ("date,N225M\n2026-12-01,0\n", "not a price above zero"),
        ("date,N225M\n2026-12-01,NaN\n", "not a price above zero"),
    ],
)
def test_a_malformed_history_is_refused_naming_its_line(tmp_path: Path, text, said) -> None:
    path = tmp_path / "closes.csv"
    path.write_text(text)
    with pytest.raises(HistoryRefused, match=said):
        load_history_csv(path)


def test_a_missing_file_or_mismatched_dates_are_refused(tmp_path: Path) -> None:
    with pytest.raises(HistoryRefused, match="no price history at"):
        load_history_csv(tmp_path / "none.csv")
    with pytest.raises(HistoryRefused, match="2 dates for closes"):
        write_history_csv(tmp_path / "x.csv", {"A": [1, 2, 3]}, [dt.date(2026, 1, 5)] * 2)
