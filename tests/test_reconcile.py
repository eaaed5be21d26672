"""The CCP's controls: a clean ledger reconciles, and a real break is found and named."""

from __future__ import annotations

from decimal import Decimal

from support import JdrSeries, Market

from pyclient import reconcile
from pyclient.chain import devnet
from pyclient.clock import from_unix


def fund_accounts(m: Market) -> None:
    w = m.world
    w.member_a.deposit("JPY", 600_000)
    w.member_a.deposit("TYO7203", 1_000)
    w.member_a.deposit_for("client-omni", "JPY", 300_000)
    w.client_omni.deposit("JPY", 200_000)
    w.client_seg.deposit("JPY", 5_000_000)


def test_a_clean_ledger_passes_every_control(market: Market) -> None:
    fund_accounts(market)
    d = market.world.deployment
    result = reconcile.reconcile(d)
    assert result.ok and result.block == d.chain.w3.eth.block_number
    by_name = {c.name: c for c in result.checks}
    assert set(by_name) == {
        "supply", "vault", "omnibus", "values", "substitutions", "jdr", "goods", "etf",
    }  # fmt: skip
    jpy = next(line for line in by_name["vault"].lines if line.subject == "JPY")
    assert jpy.actual == jpy.expected == Decimal(6_100_000)
    omnibus = {line.subject: line for line in by_name["omnibus"].lines}
    assert omnibus["member-a omnibus account / JPY"].actual == 500_000
    values = {line.subject: line.actual for line in by_name["values"].lines}
    assert values["member-a house account"] == d.vault.collateral_value(market.house_a)


def test_tokens_sent_to_the_vault_outside_its_ledger_are_a_break(market: Market) -> None:
    """A plain transfer to the vault (not a deposit) is in its balance but in no account: the
    vault's books and its balance part ways, and the control says by how much. (Tokens can no
    longer be taken from behind the ledger: issuer and agent powers stop at custody.)"""
    fund_accounts(market)
    w = market.world
    w.member_b.transfer("JPY", w.deployment.vault.address, 7)
    check = reconcile.vault_against_accounts(w.deployment)
    assert not check.ok
    (line,) = check.breaks
    assert (line.subject, line.expected, line.actual) == ("JPY", 6_100_007, 6_100_000)
    assert reconcile.supply_against_register(w.deployment).ok  # the tokens are still somewhere


def test_yen_sent_to_the_etf_settlement_outside_any_book_is_a_break(market: Market) -> None:
    w = market.world
    assert reconcile.etf_settlement_held(w.deployment).ok
    w.member_b.transfer("JPY", w.deployment.etf_settlement.address, 7)
    (line,) = reconcile.etf_settlement_held(w.deployment).breaks
    assert (line.subject, line.expected, line.actual) == ("JPY", 0, 7)


def test_requirements_are_checked_against_what_the_engine_computed(market: Market) -> None:
    d = market.world.deployment
    market.world.ccp.margin.post_requirements({market.house_a: 1_000, market.house_b: 2_000},
                                              run_id="eod")  # fmt: skip
    assert reconcile.requirements_against(d, {market.house_a: 1_000, market.house_b: 2_000}).ok
    check = reconcile.requirements_against(d, {market.house_a: 1_000, market.house_b: 2_500})
    assert [(b.subject, b.expected, b.actual) for b in check.breaks] == [
        ("member-b house account", 2_500, 2_000)
    ]


def test_an_account_that_cannot_be_valued_now_is_reported_not_broken(market: Market) -> None:
    fund_accounts(market)
    devnet.increase_time(market.world.chain, 2 * 24 * 3600)  # every price is stale now
    check = reconcile.values_against_model(market.world.deployment)
    assert check.ok
    assert all("MarketDataPriceStale" in line.detail for line in check.lines)


def test_each_substitution_is_checked_leg_by_leg_against_what_the_vault_moved(
    market: Market,
) -> None:
    fund_accounts(market)
    w = market.world
    w.member_a.substitute(out={"JPY": 100_000, "TYO7203": 10}, into={"USD": "700.00"})
    check = reconcile.substitutions_against_legs(w.deployment)
    assert check.ok
    legs = {line.subject.rsplit(" (", 1)[0]: line.actual for line in check.lines}
    assert legs == {
        "member-a house account out JPY": 100_000,
        "member-a house account out TYO7203": 10,
        "member-a house account in USD": 700,
    }
    assert reconcile.reconcile(w.deployment).ok


def test_a_jdr_trust_is_backed_in_custody_and_owes_nothing_until_it_distributes(
    jdr: JdrSeries,
) -> None:
    d = jdr.world.deployment
    creation = jdr.settlor.create(jdr.symbol, 40).value
    jdr.bank.approve_creation(jdr.symbol, creation.id)
    jdr.settlor.create(jdr.symbol, 5)  # still pending: in custody, not yet backing units
    check = reconcile.jdr_trusts_backed(d)
    assert check.ok
    assert [(line.subject, line.expected, line.actual) for line in check.lines] == [
        ("SPY-JDR SPY backing 400 units", 40, 40),
        ("SPY-JDR SPY in custody", 45, 45),
        ("SPY-JDR JPY owed to holders", 0, 0),
    ]


def test_etf_units_sent_to_a_jdr_trust_outside_a_creation_show_as_a_break(jdr: JdrSeries) -> None:
    jdr.settlor.transfer("SPY", jdr.trust.address, 3)  # not a creation: nobody's JDRs
    check = reconcile.jdr_trusts_backed(jdr.world.deployment)
    assert [(b.subject, b.expected, b.actual) for b in check.breaks] == [
        ("SPY-JDR SPY in custody", 0, 3)
    ]


def test_a_series_named_like_an_asset_is_reconciled_by_its_trust_beside_the_others(
    jdr: JdrSeries,
) -> None:
    """Review finding 4: a series called "JPY" (or a second "SPY-JDR") took the symbol over, and
    the control silently dropped the series it shadowed. Both are reconciled now, the yen too."""
    d = jdr.world.deployment
    creation = jdr.settlor.create(jdr.symbol, 40).value
    jdr.bank.approve_creation(jdr.symbol, creation.id)
    listing = from_unix(d.chain_time()).date()
    trust = jdr.bank.create_series(
        symbol="JPY", name="Not yen", underlying="SPY", settlor="etf-manager", ratio=10,
        trust_fee_bps=20, listing_date=listing,
    ).value  # fmt: skip
    check = reconcile.jdr_trusts_backed(d)
    assert check.ok
    assert [(line.subject, line.expected, line.actual) for line in check.lines] == [
        ("SPY-JDR SPY backing 400 units", 40, 40),
        ("SPY-JDR SPY in custody", 40, 40),
        ("SPY-JDR JPY owed to holders", 0, 0),
        (f"JPY@{trust} SPY backing 0 units", 0, 0),
        (f"JPY@{trust} SPY in custody", 0, 0),
        (f"JPY@{trust} JPY owed to holders", 0, 0),
    ]
    assert reconcile.reconcile(d).ok
