"""Read models: what the CLI, the demos and a dashboard show, read in a few batches."""

from __future__ import annotations

from decimal import Decimal

import pytest
from support import FX, PRICES, Market, World

from pyclient import AccountKind, CallType, errors
from pyclient.chain import devnet
from pyclient.views import (
    account_view,
    account_views,
    balance_sheet,
    clearing_members_of,
    head,
    market_rows,
    quantity_worth,
    seizures,
)


def test_an_account_view_is_the_record_holdings_value_and_open_call(market: Market) -> None:
    w = market.world
    w.member_a.deposit("JPY", 600_000)
    w.member_a.deposit("USD", "100.00")
    w.ccp.margin.post_requirements({market.house_a: 700_000}, run_id="eod")
    (call,) = w.ccp.margin.issue_margin_calls([market.house_a], CallType.REGULAR).value.calls
    view = account_view(w.deployment, market.house_a)
    assert view.label == "member-a house account" and view.kind is AccountKind.HOUSE
    assert view.holdings == {"JPY": 600_000, "USD": Decimal("100.00")}
    assert (view.value_jpy, view.requirement_jpy) == (614_700, 700_000)
    assert (view.excess_jpy, view.shortfall_jpy) == (-85_300, 85_300)
    assert view.open_call == call


def test_every_opened_account_is_listed_and_one_not_valued_says_why(market: Market) -> None:
    w = market.world
    w.member_a.deposit("JPY", 1)
    devnet.increase_time(w.chain, 2 * 24 * 3600)
    views = account_views(w.deployment)
    assert [v.id for v in views] == w.deployment.vault.account_ids()
    house = next(v for v in views if v.id == market.house_a)
    assert house.value_jpy is None and isinstance(house.unvalued, errors.MarketDataPriceStale)
    assert house.shortfall_jpy == 0 and house.excess_jpy is None
    with pytest.raises(errors.MarketDataPriceStale):  # what a margin run wants instead
        account_views(w.deployment, [market.house_a], strict=True)


def test_a_balance_sheet_shows_what_moved_since_the_last(market: Market) -> None:
    w = market.world
    d = w.deployment
    before = balance_sheet(d)
    w.member_a.transfer("USD", "member-b", "0.25")
    after = balance_sheet(d)
    assert after.changes(before) == {
        (w.member_a.address, "USD"): -25,
        (w.member_b.address, "USD"): 25,
    }
    assert after.supply == before.supply
    assert [label for label, _ in after.holders][:6] == [
        "ccp", "collateral-vault", "gold-pool", "delivery-settlement", "etf-settlement", "issuer",
    ]  # fmt: skip
    extra = balance_sheet(d, {"outsider": w.outsider.address}, participants=False)
    assert extra.holders == (("outsider", w.outsider.address),)


def test_market_rows_value_one_token_in_yen_before_and_after_haircut(market: Market) -> None:
    rows = {r.asset.symbol: r for r in market_rows(market.world.deployment)}
    spy = rows["SPY"]
    assert (spy.price, spy.fx_rate, spy.jpy_per_token) == (600, 150, 90_000)
    assert spy.counted_per_token == 81_000 and not spy.parameters.eligible_for
    assert rows["JPY"].fx_rate == 1 and rows["TYO7203"].parameters.concentration_bps == 4_000


def test_the_head_is_the_latest_block_and_moves_one_block_per_transaction(world: World) -> None:
    d = world.deployment
    before = head(d)
    assert (
        before.timestamp == d.chain_time() and before.time.utcoffset().total_seconds() == 9 * 3600
    )
    outcome = world.member_a.transfer("JPY", "member-b", 1)
    after = head(d)
    assert after.block == before.block + 1 == outcome.block_number
    assert after.timestamp >= before.timestamp


def test_each_account_is_grouped_under_the_member_responsible_for_it(market: Market) -> None:
    d = market.world.deployment
    accounts = [market.house_a, market.house_b, market.omnibus_a, market.segregated, market.fund_a]
    assert clearing_members_of(d, accounts) == {
        market.house_a: "member-a",
        market.house_b: "member-b",
        market.omnibus_a: "member-a",  # its clients clear through member-a
        market.segregated: "member-b",  # client-seg clears through member-b
        market.fund_a: "member-a",
    }


def test_the_quantity_worth_a_value_is_rounded_up_to_whole_lots(market: Market) -> None:
    d = market.world.deployment
    assert quantity_worth(d, "JPY", 1_000_001, lot=1_000_000) == 2_000_000
    assert quantity_worth(d, "JPY", Decimal("999999.5")) == 1_000_000  # the yen rounded up
    # USD/JPY 150 less a 2% haircut: a dollar counts for JPY 147.
    assert quantity_worth(d, "USD", 14_700) == Decimal("100.00")
    assert quantity_worth(d, "USD", 14_701) == 101
    assert quantity_worth(d, "USD", 14_701, lot=10) == 110
    assert quantity_worth(d, "USD", 0) == 0


def test_what_a_default_seized_is_valued_at_the_quotes_now(market: Market) -> None:
    w = market.world
    w.member_b.deposit("JPY", 300_000)
    w.member_b.deposit("USD", "100.00")
    w.ccp.margin.post_requirements({market.house_b: 1_000_000}, run_id="eod-1")
    (call,) = w.ccp.margin.issue_margin_calls([market.house_b], CallType.REGULAR).value.calls
    devnet.increase_time(w.chain, 3 * 24 * 3600)
    market.oracle.publish_fx_rates(FX)
    market.oracle.publish_prices(PRICES)
    w.ccp.margin.mark_overdue([call.id])
    default = w.ccp.default.declare(call.id, "missed regular call")
    seized = seizures(w.deployment, default.events)
    assert sorted((s.account, s.asset.symbol, s.quantity, s.market_jpy, s.counted_jpy)
                  for s in seized) == [
        (market.house_b, "JPY", 300_000, 300_000, 300_000),
        (market.house_b, "USD", Decimal("100.00"), 15_000, 14_700),  # 2% haircut
    ]  # fmt: skip
    assert [s.units for s in seized if s.asset.symbol == "USD"] == [10_000]
    assert seizures(w.deployment, w.member_a.deposit("JPY", 1).events) == []


# ---------------------------------------------------------------- accounts by label and name


def test_an_account_has_a_short_label_and_the_label_or_its_owner_finds_it_again(
    market: Market,
) -> None:
    d = market.world.deployment
    labels = {
        market.house_a: "member-a house", market.segregated: "client-seg segregated",
        market.fund_a: "member-a clearing fund", market.omnibus_a: "member-a omnibus",
    }  # fmt: skip
    for account, label in labels.items():
        assert d.account_label(account) == label
        assert d.account_id(label) == d.account_id(f"{label} account") == account
        assert d.account_id(account) == account
    # A participant stands for the account it posts margin in, as the register says.
    assert d.account_id("member-a") == d.account_id(market.world.member_a) == market.house_a
    assert d.account_id(market.world.member_a.address.lower()) == market.house_a
    assert d.account_id("client-seg") == market.segregated  # its own segregated account
    assert d.account_id("client-omni") == market.omnibus_a  # its member's omnibus account
    assert d.account_id("member-a", AccountKind.CLEARING_FUND) == market.fund_a
    assert d.account_id("member-a clearing-fund") == market.fund_a  # the CLI's spelling
    manager = d.account_id("CCP default management")
    assert d.account_label(manager) == "CCP default management"


@pytest.mark.parametrize(
    ("ref", "error", "says"),
    [
        ("nobody", errors.ParticipantNotFound, "'nobody'"),
        ("nobody house", errors.ParticipantNotFound, "'nobody house'"),
        ("issuer", errors.AccountNotFound, "issuer is a token issuer"),
        ("client-seg house", errors.AccountNotFound, "client-seg is a client"),
        (12, errors.AccountNotFound, "0xc is not a vault account id"),
        (True, errors.AccountNotFound, "True"),
        (2.5, errors.ParticipantNotFound, "2.5"),
    ],
)
def test_an_unknown_or_impossible_account_is_refused_naming_what_was_asked(
    world: World, ref: object, error: type[Exception], says: str
) -> None:
    with pytest.raises(error) as info:
        world.deployment.account_id(ref)
    assert says in str(info.value) and isinstance(info.value, errors.InputError)


def test_views_and_the_vault_client_take_an_account_by_label_or_owner(market: Market) -> None:
    w = market.world
    d = w.deployment
    w.member_a.approve_vault("JPY")
    d.vault.deposit("member-a house", "JPY", 1_000).send(w.member_a.signer)
    w.ccp.margin.post_requirements({"client-seg": 5_000, "member-a": 2_000}, run_id="eod")
    views = account_views(d, ["member-a", "client-seg segregated", market.fund_a])
    assert [v.id for v in views] == [market.house_a, market.segregated, market.fund_a]
    assert [(v.value_jpy, v.requirement_jpy) for v in views] == [(1_000, 2_000), (0, 5_000),
                                                                  (0, 0)]  # fmt: skip
    assert d.vault.holdings("member-a house") == {"JPY": 1_000}
    assert clearing_members_of(d, ["client-seg"]) == {market.segregated: "member-b"}
    (call,) = w.ccp.margin.issue_margin_calls(["client-seg"], CallType.REGULAR).value.calls
    assert call.account == market.segregated
    assert d.vault.open_calls("client-seg segregated") == [d.vault.margin_call(call.id)]
