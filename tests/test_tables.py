"""The house-style tables: what a reader sees of market data, a transaction and a sub-ledger."""

from __future__ import annotations

import io

from rich.console import Console
from rich.table import Table
from support import Market, World

from pyclient import tables
from pyclient.reconcile import supply_against_register
from pyclient.views import market_rows


def text(table: Table, width: int = 110) -> str:
    out = io.StringIO()
    Console(file=out, width=width, no_color=True).print(table)
    return out.getvalue()


def headers(table: Table) -> list[str]:
    return [str(c.header) for c in table.columns]


def test_the_market_table_caption_names_the_fx_rates_and_a_bonds_face_unit(market: Market) -> None:
    table = tables.market_table(market_rows(market.world.deployment))
    assert str(table.caption).startswith("USD/JPY 150.00; JGB374 per token of 50,000 face; ")
    assert "capped at the concentration limit" in text(table)


def test_a_transactions_events_table_drops_the_contract_column_when_narrow(world: World) -> None:
    d = world.deployment
    events = world.member_a.transfer("JPY", "member-b", 5).events
    wide = tables.events_table(d, events, title="t")
    narrow = tables.events_table(d, events, title="t", narrow=True)
    assert headers(wide) == ["#", "contract", "event", "what it says"]
    assert headers(narrow) == ["#", "event", "what it says"]
    assert "5 JPY from member-a to member-b" in text(narrow, 80)


def test_the_sub_ledger_table_shows_each_client_the_totals_and_the_holding(market: Market) -> None:
    w = market.world
    w.client_omni.deposit("JPY", 2_000_000)
    w.member_a.deposit_for("client-omni", "JGB374", 3)
    ledger = w.member_a.sub_ledger()
    held = w.deployment.vault.holdings(market.omnibus_a)
    table = tables.sub_ledger_table(w.deployment, ledger, held, title="omnibus")
    assert headers(table) == ["client", "JPY", "JGB374"]
    rows = [line.split() for line in text(table).splitlines() if line.strip()]
    assert ["client-omni", "2,000,000", "3"] in rows
    assert ["sub-ledger", "total", "2,000,000", "3"] in rows
    assert ["account", "holds", "2,000,000", "3"] in rows


def test_the_assets_table_keeps_isins_and_dates_whole_on_a_narrow_console(world: World) -> None:
    table = tables.assets_table(world.deployment, narrow=True)
    assert "address" not in headers(table) and "dec" not in headers(table)
    assert "JP1103741003" in text(table, 80) and "2034-03-20" in text(table, 80)


def test_a_check_table_shows_amounts_with_their_assets_decimals(world: World) -> None:
    rows = text(tables.check_table(supply_against_register(world.deployment)))
    usd = next(line.split() for line in rows.splitlines() if line.split()[:1] == ["USD"])
    assert usd[1:3] == ["20,000.00", "20,000.00"] and usd[3] == "✓"
