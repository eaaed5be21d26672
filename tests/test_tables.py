"""The house-style tables: what a reader sees of market data, a transaction, a sub-ledger, and of
the margin engine's figures: margin by component, stress losses, the clearing fund, a default."""

from __future__ import annotations

import io
import re
from dataclasses import replace
from datetime import date, datetime, timedelta
from decimal import Decimal

import pytest
from rich.console import Console
from rich.table import Table
from support import JdrSeries, Market, World

from pyclient import AccountType, CallType, Portfolio, Position, errors, tables
from pyclient.clock import TOKYO
from pyclient.jdr.model import Disclosure, Distribution, NavFigures
from pyclient.margin import ClearingFund, MarginResult, member_shares
from pyclient.margin.futures import FuturesContract
from pyclient.reconcile import supply_against_register
from pyclient.views import Seizure, market_rows


def text(table: Table, width: int = 110) -> str:
    out = io.StringIO()
    Console(file=out, width=width, no_color=True).print(table)
    return out.getvalue()


def headers(table: Table) -> list[str]:
    return [str(c.header) for c in table.columns]


def rows(table: Table, width: int = 110) -> list[list[str]]:
    """Each printed line of `table`, split into words."""
    return [line.split() for line in text(table, width).splitlines() if line.strip()]


D = Decimal
NK = FuturesContract("NK225-FUT", "Nikkei 225 futures", 1_000, D(10))
JGB = FuturesContract("JGB-FUT", "10-year JGB futures", 1_000_000, D("0.01"))


def test_the_market_table_caption_names_the_fx_rates_and_a_bonds_face_unit(market: Market) -> None:
    table = tables.market_table(market_rows(market.world.deployment))
    assert str(table.caption).startswith("USD/JPY 150.00; JGB374 per token of 50,000 face; ")
    assert "capped at its concentration limit of the requirement" in text(table)


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


def test_the_client_shares_table_shows_who_has_paid_what_remains_and_who_is_late(
    market: Market,
) -> None:
    w = market.world
    d = w.deployment
    w.ccp.register.admit_client(w.keys[8].address, "client-omni2", "member-a", AccountType.OMNIBUS)
    w.ccp.margin.post_requirements({market.omnibus_a: 300_000}, run_id="eod")
    (call,) = w.ccp.margin.issue_margin_calls([market.omnibus_a], CallType.REGULAR).value.calls
    due = call.deadline - timedelta(hours=1)
    w.member_a.pass_on_margin_call(
        call.id, {"client-omni": 200_000, "client-omni2": 100_000}, deadline=due
    )
    w.client_omni.deposit("JPY", 50_000)
    shares = w.member_a.client_shares(call.id)
    table = tables.client_shares_table(d, call, shares)
    assert headers(table) == ["client", "share (JPY)", "paid (JPY)", "remaining (JPY)", "due",
                              "state"]  # fmt: skip
    rows = [line.split() for line in text(table).splitlines() if line.strip()]
    when = f"{due:%a %d %b %H:%M}".split()
    assert ["client-omni", "200,000", "50,000", "150,000", *when, "partly", "paid"] in rows
    assert ["client-omni2", "100,000", "0", "100,000", *when, "unpaid"] in rows
    assert ["total", "300,000", "50,000", "250,000"] in rows
    assert "member-a omnibus account: JPY 300,000" in " ".join(text(table).split())
    after = due + timedelta(seconds=1)
    late = " ".join(
        text(tables.client_shares_table(d, call, shares, now=after, narrow=True), 80).split()
    )
    on_time = text(tables.client_shares_table(d, call, shares, now=due, narrow=True), 80)
    assert "past due" not in on_time  # as the vault has it: due at the deadline, late after
    assert "unpaid, past due" in late and "partly paid, past due" in late
    assert "paid (JPY)" not in late and f"{due:%a %H:%M}" in late
    w.member_a.deposit_for("client-omni2", "JPY", 100_000)
    paid = tables.client_shares_table(d, call, w.member_a.client_shares(call.id), now=due)
    assert [r[-1] for r in (line.split() for line in text(paid).splitlines()) if r[:1] == [
        "client-omni2"]] == ["paid"]  # fmt: skip


def test_the_margin_table_breaks_each_requirement_down_and_shows_its_change(market: Market) -> None:
    d = market.world.deployment
    a, b, seg = market.house_a, market.house_b, market.segregated
    before = {a: MarginResult(D(0), D(90_000), D(0), D(90_000)),
              b: MarginResult(D(1_000), D(50_000), D(5_100), D(56_100)),
              seg: MarginResult(D(0), D(30_000), D(3_000), D(33_000))}  # fmt: skip
    now = {a: MarginResult(D(3_400), D(97_846), D(0), D(101_246)), b: before[b],
           seg: MarginResult(D(0), D(10_000), D(1_000), D(11_000))}  # fmt: skip
    table = tables.margin_table(d, now, title="t", before=before, before_label="Wed EOD")
    assert headers(table) == ["account", "MTM loss", "estimated loss\n(ES 99%, 2-day)", "add-on",
                              "requirement", "Wed EOD", "change"]  # fmt: skip
    shown = rows(table)
    assert ["member-a", "house", "3,400", "97,846", "0", "101,246", "90,000", "+11,246"] in shown
    assert ["member-b", "house", "1,000", "50,000", "5,100", "56,100", "56,100", "–"] in shown
    assert ["client-seg", "segregated", "0", "10,000", "1,000", "11,000", "33,000", "−22,000"] in (
        shown
    )
    assert ["total", "168,346", "179,100"] in shown
    assert "the last 250 closes" in str(table.caption)
    narrow = tables.margin_table(d, now, before=before, before_label="11:00", narrow=True)
    assert headers(narrow) == ["account", "MTM loss", "estimated loss\n(ES 99%, 2-day)", "add-on",
                               "requirement"]  # fmt: skip
    changes = tables.margin_table(d, now, before=before, changes=True, narrow=True)
    assert headers(changes) == ["account", "requirement", "before", "change"]
    assert headers(tables.margin_table(d, now))[-1] == "requirement"


def test_the_clearing_fund_table_shows_the_plain_share_and_where_the_floor_lifts_it() -> None:
    bases = {"member-a": D(900), "member-b": D(1)}
    fund = ClearingFund(date(2026, 11, 25), D(100_000_000), 124,
                        member_shares(D(100_000_000), bases))  # fmt: skip
    table = tables.clearing_fund_table(fund, bases)
    assert table.title == "The clearing fund, Wed 25 Nov: each member's share (JPY)"
    shown = rows(table)
    # 100m × 900/901 rounded up; member-b's 110,988 is lifted to the JPY 10m minimum.
    assert ["member-a", "900", "99,889,013", "99,889,013", "no"] in shown
    assert ["member-b", "1", "110,988", "10,000,000", "yes:", "JPY", "10.0m"] in shown
    assert ["total", "901", "100,000,000", "109,889,013"] in shown
    assert "pro rata" not in headers(tables.clearing_fund_table(fund, bases, narrow=True))


def test_the_stress_table_bolds_each_members_worst_scenario_and_names_it_when_narrow() -> None:
    losses = {"member-a": {"equity-crash": D(390), "equity-rally": D(0)},
              "member-b": {"equity-crash": D(10), "equity-rally": D(20)}}  # fmt: skip
    excess = {"member-a": D(390), "member-b": D(5)}
    table = tables.stress_table(losses, excess, margins={"member-b": D(15)})
    assert headers(table) == ["member", "equity crash", "equity rally", "stress loss",
                              "previous day's margin", "excess risk"]  # fmt: skip
    assert rows(table)[3:5] == [["member-a", "390", "0", "390", "none", "390"],
                                ["member-b", "10", "20", "20", "15", "5"]]  # fmt: skip
    narrow = tables.stress_table(losses, excess, margin_label="margin Tue 24 Nov", narrow=True)
    assert headers(narrow) == ["member", "worst scenario", "stress loss", "margin Tue 24 Nov",
                               "excess risk"]  # fmt: skip
    assert ["member-b", "equity", "rally", "20", "none", "5"] in rows(narrow, 80)


def test_the_positions_table_gives_notional_net_capital_and_an_omnibus_clients_apart(
    market: Market,
) -> None:
    d = market.world.deployment
    prices = {"NK225-FUT": D(40_680_000), "JGB-FUT": D(134_070_000)}
    portfolios = [
        Portfolio(market.house_a, [Position("NK225-FUT", 40), Position("JGB-FUT", -20)], {},
                  120_000_000_000),
        Portfolio(market.omnibus_a, [Position("NK225-FUT", 12), Position("JGB-FUT", 15)], {},
                  120_000_000_000),
        Portfolio("member-b", [Position("NK225-FUT", 25)], {}, 1_500_000_000),  # its house
    ]  # fmt: skip
    owners = {market.omnibus_a: {"client-1": [Position("NK225-FUT", 12)],
                                 "client-2": [Position("JGB-FUT", 15)]}}  # fmt: skip
    table = tables.positions_table(d, portfolios, prices, owners=owners)
    assert headers(table) == ["account", "whose", "positions", "notional (JPY)",
                              "member net capital"]  # fmt: skip
    shown = rows(table)
    assert ["member-a", "house", "+40", "NK225-FUT,", "-20", "JGB-FUT", "4,308,600,000",
            "120.0bn"] in shown  # fmt: skip
    assert ["member-a", "omnibus", "client-1", "+12", "NK225-FUT", "488,160,000", "120.0bn"] in (
        shown
    )
    assert ["client-2", "+15", "JGB-FUT", "2,011,050,000", "120.0bn"] in shown
    assert ["member-b", "house", "+25", "NK225-FUT", "1,017,000,000", "1.5bn", "(add-on)"] in (
        shown
    )
    plain = tables.positions_table(d, portfolios[2:], prices, narrow=True)
    assert headers(plain) == ["account", "positions", "notional (JPY)"]


def test_the_seized_table_values_each_asset_and_names_accounts_by_kind_for_one_owner(
    market: Market,
) -> None:
    d = market.world.deployment
    jpy, usd = d.asset("JPY"), d.asset("USD")
    seized = [Seizure(market.house_b, jpy, 300_000, 300_000, 300_000),
              Seizure(market.house_b, usd, 10_000, 15_000, 14_700)]  # fmt: skip
    shown = rows(tables.seized_table(d, seized, title="t"))
    assert ["house", "JPY", "300,000", "300,000", "300,000"] in shown
    assert ["house", "USD", "100.00", "15,000", "14,700"] in shown
    assert ["total", "315,000", "314,700"] in shown
    mixed = rows(tables.seized_table(d, [*seized, Seizure(market.fund_a, jpy, 5, 5, 5)]))
    assert ["member-b", "house", "JPY", "300,000", "300,000", "300,000"] in mixed
    assert ["member-a", "clearing", "fund", "JPY", "5", "5", "5"] in mixed


def test_the_fund_record_table_sums_up_each_period_and_the_fund() -> None:
    days = [date(2026, 11, 23), date(2026, 11, 24), date(2026, 11, 25)]
    daily = dict(zip(days, (D(100), D(200), D(102)), strict=True))
    fund = ClearingFund(days[-1], D(134), 3, {})
    periods = {"before": days[:2], "today": days[2:]}
    shown = rows(tables.fund_record_table(fund, daily, periods, total_label="three days"))
    assert ["before", "2", "100", "200"] in shown and ["today", "1", "102", "102"] in shown
    assert shown[-1] == ["three", "days", "3", "134"]


def test_the_pass_on_table_gives_each_clients_weight_and_share() -> None:
    shares, margins = {"client-a1": 67, "client-a2": 33}, {"client-a1": D(200), "client-a2": D(100)}
    positions = {"client-a1": [Position("NK225-FUT", 12)], "client-a2": [Position("JGB-FUT", 15)]}
    table = tables.pass_on_table(shares, margins, positions=positions)
    assert ["client-a1", "+12", "NK225-FUT", "200", "66.7%", "67"] in rows(table)
    assert ["client-a2", "+15", "JGB-FUT", "100", "33.3%", "33"] in rows(table)
    assert "positions" not in headers(tables.pass_on_table(shares, margins))


def test_the_futures_tables_give_prices_in_points_and_contracts_in_yen() -> None:
    table = tables.futures_history_table([NK, JGB], {"NK225-FUT": [D(100), D(110), D(99)],
                                                      "JGB-FUT": [D(134), D(134), D(134)]},
                                         last_label="Wed close")  # fmt: skip
    # Returns +10% and −10%: a sample standard deviation of √0.02, 14.14%.
    assert ["NK225-FUT", "1,000", "100", "99", "110", "99", "14.14%", "99,000"] in rows(table)
    assert ["JGB-FUT", "1,000,000", "134.00", "134.00", "134.00", "134.00", "0.00%",
            "134,000,000"] in rows(table)  # fmt: skip
    short = tables.futures_history_table([NK], {"NK225-FUT": [D(10), D(20)]}, narrow=True)
    assert headers(short) == ["contract", "last close", "daily σ", "JPY / contract"]
    assert ["NK225-FUT", "20", "–", "20,000"] in rows(short, 80)  # one return: no σ
    moves = tables.futures_moves_table([NK], {"NK225-FUT": D(40_680)}, {"NK225-FUT": D(37_830)})
    assert headers(moves) == ["contract", "before", "now", "change", "JPY / contract"]
    assert ["NK225-FUT", "40,680", "37,830", "-7.0%", "37,830,000"] in rows(moves)


def test_an_error_says_where_it_was_refused_and_names_the_contract(world: World) -> None:
    with pytest.raises(errors.InvalidAmount) as caught:
        world.member_a.transfer("USD", "member-b", "10.125")
    assert tables.error_text(caught.value).startswith(
        "[red]InvalidAmount[/red] [dim](pyclient check)[/dim]\n"
    )
    with pytest.raises(errors.ParticipantUnknown) as unknown:
        world.member_a.transfer("JPY", world.outsider.address, 1)
    said = tables.error_text(unknown.value, style="bold magenta")
    name, message = said.split("\n")
    assert name == "[bold magenta]ParticipantUnknown[/bold magenta] [dim](contract rule)[/dim]"
    assert message == f"JPY token: {tables.short(world.outsider.address)} is not in the register."


def test_the_outcomes_table_gives_each_transactions_block_and_gas(world: World) -> None:
    paid = world.member_a.transfer("JPY", "member-b", 5)
    table = tables.outcomes_table("t", [(("member-a", "5"), paid)], "from", ("amount", "right"))
    assert headers(table) == ["from", "amount", "block", "gas"]
    assert ["member-a", "5", str(paid.block_number), f"{paid.gas_used:,}"] in rows(table)


def test_the_trades_table_gives_each_trade_its_resulting_position_and_average_price() -> None:
    after = {"member-a house": {"member-a": [Position("NK225-FUT", 7)]}}
    averages = {"member-a house": {"NK225-FUT": D(38_123_500)}}  # JPY per contract
    table = tables.trades_table(
        [("member-a house", "member-a", NK, -3, D(37_830))], after, averages, title="Trades"
    )
    assert headers(table) == ["account", "trade", "price", "position now",
                              "average trade price"]  # fmt: skip
    assert ["member-a", "house", "member-a", "sells", "3", "37,830", "+7", "NK225-FUT",
            "38,123.5"] in [r for line in text(table).splitlines()
                            if (r := line.split())]  # fmt: skip


def test_the_waterfall_table_follows_the_loss_down_the_layers(market: Market) -> None:
    from pyclient.default import Layer, LayerUse, Waterfall

    d = market.world.deployment
    fall = Waterfall(7, 1_000_000, (
        LayerUse(Layer.HOUSE_MARGIN, market.house_a, 100_000),
        LayerUse(Layer.CLEARING_FUND, market.fund_a, 500_000),
        LayerUse(Layer.SURVIVORS, market.house_b, 300_000),
    ), uncovered_jpy=100_000)  # fmt: skip
    table = tables.waterfall_table(d, fall)
    assert headers(table) == ["layer", "account", "paid", "loss left"]
    flat = " ".join(text(table, 140).split())
    assert "the defaulter's house margin member-a house 100,000 900,000" in flat
    assert "survivor's clearing-fund contribution member-b house 300,000 100,000" in flat
    assert "covered 900,000 100,000" in flat


# ---- JDR trusts


def test_the_jdr_series_table_gives_the_deed_and_whether_the_invariant_holds(
    jdr: JdrSeries,
) -> None:
    created = jdr.settlor.create(jdr.symbol, 100)
    jdr.bank.approve_creation(jdr.symbol, created.value.id)
    series = {jdr.symbol: (jdr.trust.deed(), jdr.trust.invariant())}
    table = tables.jdr_series_table(jdr.world.deployment, series)
    assert headers(table) == ["JDR", "ETF", "ratio", "trust fee", "cap", "cancel in kind",
                              "listed", "supply / held", "invariant"]  # fmt: skip
    (row,) = [r for r in rows(table, 140) if r[:1] == ["SPY-JDR"]]
    assert row[1:5] == ["SPY", "10", "0.20%", "1,000,000"]
    assert row[-4:] == ["1,000", "/", "100", "✓"]
    narrow = tables.jdr_series_table(jdr.world.deployment, series, narrow=True)
    assert "cancel in kind" not in headers(narrow) and "listed" not in headers(narrow)


def _distribution(**figures: int) -> Distribution:
    when = datetime(2026, 10, 16, 23, 59, 59, tzinfo=TOKYO)
    base = dict(declared=True, foreign_amount=123_456, fx_e18=151_23 * 10**16, gross_jpy=186_702,
                fee_jpy=373, net_jpy=186_329, units_of_record=10_000, paid_jpy=0,
                units_claimed=0)  # fmt: skip
    return Distribution(0, when, **{**base, **figures})


def test_the_distributions_table_converts_each_dividend_and_marks_one_only_announced(
    jdr: JdrSeries,
) -> None:
    d, deed = jdr.world.deployment, jdr.trust.deed()
    announced = replace(_distribution(), id=1, declared=False)
    table = tables.jdr_distributions_table(d, deed, [_distribution(paid_jpy=186_327), announced])
    lines = rows(table, 140)
    assert ["#0", "Fri", "16", "Oct", "2026", "1,234.56", "USD", "151.23", "186,702", "373",
            "186,329", "10,000", "186,327"] in lines  # fmt: skip
    assert ["#1", "Fri", "16", "Oct", "2026", "announced"] in lines
    assert "fee = gross × 20 bps" in text(table, 140)
    narrow = tables.jdr_distributions_table(d, deed, [_distribution()], narrow=True)
    assert "gross JPY" not in headers(narrow) and "units of record" not in headers(narrow)


def test_the_holders_of_record_table_shares_the_net_and_leaves_the_remainder(world: World) -> None:
    a, b = world.member_a.address, world.member_b.address
    table = tables.holders_of_record_table(
        world.deployment, "SPY-JDR", _distribution(), {a: 4_500, b: 5_500}, {a: 83_848},
        remainder=2,
    )  # fmt: skip
    assert headers(table) == ["holder", "units at record", "share", "JPY"]
    lines = rows(table)
    assert ["member-a", "4,500", "45.00%", "83,848"] in lines
    assert ["member-b", "5,500", "55.00%", "unclaimed"] in lines  # not in `paid`: not claimed
    assert ["paid", "10,000", "100.00%", "83,848"] in lines
    assert ["remainder", "(rounding)", "2"] in lines
    assert "holders of record on Fri 16 Oct 2026" in text(table)


def test_the_disclosure_table_sets_the_models_figures_beside_the_chains(jdr: JdrSeries) -> None:
    d, deed = jdr.world.deployment, jdr.trust.deed()
    x = Disclosure(datetime(2026, 10, 30, 15, tzinfo=TOKYO), 612_48 * 10**16, 152_40 * 10**16,
                   93_341_952, 9_334_1952 * 10**14, 10_000, 1_000)  # fmt: skip
    agreed = rows(
        tables.disclosure_table(d, deed, x, model=NavFigures(93_341_952, 9_334_1952 * 10**14))
    )
    assert ["SPY", "NAV", "per", "unit", "(USD)", "612.48"] in agreed
    assert ["NAV", "total", "(JPY)", "93,341,952", "93,341,952", "✓"] in agreed
    assert ["NAV", "per", "JDR", "unit", "(JPY)", "9,334.1952", "9,334.1952", "✓"] in agreed
    off = rows(tables.disclosure_table(d, deed, x, model=NavFigures(93_341_951, 1 + 10**18 // 3)))
    assert ["NAV", "total", "(JPY)", "93,341,952", "93,341,951", "✗"] in off
    assert ["NAV", "per", "JDR", "unit", "(JPY)", "9,334.1952", "0.3333…", "✗"] in off
    alone = tables.disclosure_table(d, deed, x)
    assert headers(alone) == ["figure", "on chain"]


def test_the_deviation_alerts_table_names_each_rule_and_the_run_it_closes() -> None:
    from pyclient.jdr.monitors import SEVEN_DAYS, SINGLE_DAY, DeviationAlert

    alerts = [
        DeviationAlert(SEVEN_DAYS, date(2026, 10, 21), D("0.053"), date(2026, 10, 13), 7),
        DeviationAlert(SINGLE_DAY, date(2026, 10, 26), D("0.215"), None, 1),
    ]
    lines = rows(tables.deviation_alerts_table(alerts))
    assert ["Wed", "21", "Oct", "2026", "5%", "or", "more,", "7", "sessions", "running", "5.30%",
            "Tue", "13", "Oct", "–", "Wed", "21", "Oct"] in lines  # fmt: skip
    assert ["Mon", "26", "Oct", "2026", "20%", "or", "more", "on", "one", "session", "21.50%",
            "–"] in lines  # fmt: skip
    assert ["none", "no", "rule", "fired"] in rows(tables.deviation_alerts_table([]))


def test_the_termination_table_adds_the_payouts_up_to_the_proceeds(world: World) -> None:
    from pyclient.jdr.model import Termination, Trigger

    a, b = world.member_a.address, world.member_b.address
    end = Termination(datetime(2026, 11, 4, 9, tzinfo=TOKYO), Trigger.ETF_DELISTED, True, 3_000,
                      300, 1_000_000, 666_666, 2_000)  # fmt: skip
    table = tables.termination_table(world.deployment, "SPY-JDR", end, {a: (2_000, 666_666)})
    lines = rows(table)
    assert ["member-a", "2,000", "66.67%", "666,666"] in lines
    assert ["paid", "2,000", "66.67%", "666,666"] in lines
    assert ["unclaimed", "and", "rounding", "1,000", "333,334"] in lines  # member-b yet to claim
    assert ["proceeds", "1,000,000"] in lines
    done = replace(end, paid_jpy=999_999, units_claimed=3_000)
    both = {a: (2_000, 666_666), b: (1_000, 333_333)}
    assert ["remainder", "(rounding)", "1"] in rows(
        tables.termination_table(world.deployment, "SPY-JDR", done, both)
    )


def test_the_register_table_names_kinds_and_statuses_in_words_never_raw_or_cut(
    world: World,
) -> None:
    """The deployment admits its own contracts (kind SYSTEM_CONTRACT): a narrow console shows
    "system contract" whole, not `SYSTEM_CONT…`, and no enum prints as a code."""
    d = world.deployment
    world.ccp.register.suspend("client-seg", "late report")
    wide = " ".join(text(tables.participants_table(d)).split())
    assert "collateral-vault system contract active" in wide
    assert "client-seg client suspended segregated member-b" in wide
    assert "ccp CCP active" in wide
    for width in (110, 80, 60):
        shown = text(tables.participants_table(d, narrow=width < 100), width)
        assert shown.count("system") == shown.count("contract") >= 4
        assert not [w for w in shown.split() if w.isupper() and "_" in w], shown
        assert not re.search(r"(?<!0x[0-9a-fA-F]{4})…", shown), "only addresses are shortened"


def test_tables_show_call_states_and_types_as_words(market: Market) -> None:
    w = market.world
    d = w.deployment
    w.ccp.margin.post_requirements({market.house_a: 100_000}, run_id="eod")
    calls = w.ccp.margin.issue_margin_calls([market.house_a], CallType.INTRADAY).value.calls
    shown = " ".join(text(tables.calls_table(d, calls)).split())
    assert "member-a house intraday 100,000" in shown and "issued" in shown
    assert "INTRADAY" not in shown and "ISSUED" not in shown
