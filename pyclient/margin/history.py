"""Price histories for the margin model: load them from a CSV, write them, or generate one.

The risk model (`risk.initial_margin`) wants each instrument's daily closes in JPY, oldest first,
all ending on the same day, at least `lookback_days` of them (250 by default). A CCP's market-data
feed exports exactly that; `load_history_csv` reads it with every value checked, and
`write_history_csv` writes the same format. For trying the engine without a feed,
`simulated_closes` makes a reproducible one: a seeded random walk on a futures contract's ticks.

    history = load_history_csv("closes.csv")            # date,N225M,TOPIXM: JPY per contract
    closes = simulated_closes(n225, first_close=38_000, days=250, daily_vol="0.012")
    history = {"N225M": [n225.jpy(c) for c in closes]}   # points to JPY per contract

The CSV: a header `date,<instrument>,<instrument>...`, one row per business day, oldest first,
ISO dates, plain decimal numbers (thousands separators are refused, as a misread figure moves a
margin). Everything here is pure Python.
"""

from __future__ import annotations

import csv
import datetime as dt
import hashlib
import os
from collections.abc import Mapping, Sequence
from decimal import Decimal, InvalidOperation
from pathlib import Path
from typing import Any

from ..errors import HistoryRefused
from .futures import FuturesContract
from .risk import _decimal

__all__ = ["load_history_csv", "simulated_closes", "write_history_csv"]


def simulated_closes(
    contract: FuturesContract,
    *,
    first_close: Any,
    days: int,
    daily_vol: Any,
    drift: Any = 0,
    seed: str = "kabuto",
) -> list[Decimal]:
    """`days` daily closes of `contract` in points, oldest first, on its ticks: a random walk
    from `first_close` whose daily move is `drift + daily_vol * z`, z a standardised Irwin-Hall(4)
    draw from SHA-256 of the seed, the contract code and the day (about 3% of days three times as
    large, as markets jump). All in Decimal, so the same arguments give the same closes anywhere."""
    if isinstance(days, bool) or not isinstance(days, int) or days < 1:
        raise HistoryRefused(f"days must be a positive int, not {days!r}")
    price = _decimal(first_close, f"first close of {contract.code}")
    vol = _decimal(daily_vol, f"daily volatility of {contract.code}")
    mean = _decimal(drift, f"drift of {contract.code}")
    if price <= 0 or vol < 0:
        raise HistoryRefused(f"{contract.code}: a first close > 0 and a volatility >= 0 are needed")
    out = []
    for i in range(days):
        digest = hashlib.sha256(f"{seed}:{contract.code}:{i}".encode()).digest()
        draw = sum(int.from_bytes(digest[2 * k : 2 * k + 2], "big") for k in range(4))
        z = (Decimal(draw) - 2 * 65_535) / 65_535 * Decimal(3).sqrt()
        z *= 3 if digest[8] < 8 else 1
        price = contract.quantize(price * (1 + mean + vol * z))
        if price <= 0:
            raise HistoryRefused(f"{contract.code}: the walk reached {price} on day {i + 1}")
        out.append(price)
    return out


def load_history_csv(path: str | os.PathLike[str]) -> dict[str, list[Decimal]]:
    """Each instrument's closes (JPY), oldest first, from a CSV `date,<instrument>...`.

    Refused (`HistoryRefused`, naming the line): no such file, no instrument column, a date that
    is not ISO or not after the line before, a missing or non-numeric value, or one not above
    zero."""
    source = Path(path)
    if not source.is_file():
        raise HistoryRefused(f"no price history at {source}")
    with source.open(newline="") as f:
        rows = list(csv.reader(f))
    if not rows or len(rows[0]) < 2 or rows[0][0].strip().lower() != "date":
        raise HistoryRefused(f"{source}: the header must be date,<instrument>,<instrument>...")
    instruments = [name.strip() for name in rows[0][1:]]
    if len(set(instruments)) != len(instruments) or not all(instruments):
        raise HistoryRefused(f"{source}: instrument columns must be named once each")
    history: dict[str, list[Decimal]] = {name: [] for name in instruments}
    previous: dt.date | None = None
    for line, row in enumerate(rows[1:], start=2):
        if not row:
            continue
        if len(row) != len(instruments) + 1:
            raise HistoryRefused(f"{source}:{line}: {len(row)} fields, not {len(instruments) + 1}")
        try:
            day = dt.date.fromisoformat(row[0].strip())
        except ValueError:
            said = f"{source}:{line}: {row[0]!r} is not a date (YYYY-MM-DD)"
            raise HistoryRefused(said) from None
        if previous is not None and day <= previous:
            raise HistoryRefused(f"{source}:{line}: {day} is not after {previous} (oldest first)")
        previous = day
        for name, text in zip(instruments, row[1:], strict=True):
            try:
                value = Decimal(text.strip())
            except InvalidOperation:
                raise HistoryRefused(f"{source}:{line}: {name} {text!r} is not a number") from None
            if not value.is_finite() or value <= 0:
                raise HistoryRefused(f"{source}:{line}: {name} {text!r} is not a price above zero")
            history[name].append(value)
    if previous is None:
        raise HistoryRefused(f"{source}: no closes")
    return history


def write_history_csv(
    path: str | os.PathLike[str],
    history: Mapping[str, Sequence[Any]],
    dates: Sequence[dt.date],
) -> Path:
    """Write `history` (closes per instrument, oldest first) as `load_history_csv` reads it, one
    row per date of `dates` (as many as closes, oldest first; `calendar.last_business_days`)."""
    lengths = {name: len(closes) for name, closes in history.items()}
    if not history or set(lengths.values()) != {len(dates)}:
        raise HistoryRefused(f"{len(dates)} dates for closes of lengths {lengths}")
    out = Path(path)
    out.parent.mkdir(parents=True, exist_ok=True)
    with out.open("w", newline="") as f:
        writer = csv.writer(f)
        writer.writerow(["date", *history])
        for i, day in enumerate(dates):
            writer.writerow([day.isoformat(), *(str(history[n][i]) for n in history)])
    return out
