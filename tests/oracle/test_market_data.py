"""Market data: the oracle publishes in batches; valuing with a missing or stale price fails."""

from __future__ import annotations

from decimal import Decimal

import pytest
from support import PRICES, Market, refused

from pyclient import Oracle, Purpose, RiskParameters, errors
from pyclient.chain import devnet


def test_published_prices_fx_and_parameters_read_back(market: Market) -> None:
    md = market.world.deployment.market_data
    price, as_of = md.price("JGB374")
    assert price == Decimal(49_250)
    assert as_of <= market.world.deployment.chain_time()
    assert md.fx_rate("USD")[0] == Decimal(150)
    assert md.risk_parameters("JGB374") == RiskParameters(100)
    assert md.is_eligible("JGB374", Purpose.INITIAL_MARGIN)
    assert not md.is_eligible("SPY", Purpose.INITIAL_MARGIN)
    quote = md.quote("SPY")
    assert (quote.price_e18, quote.fx_e18) == (600 * 10**18, 150 * 10**18)
    assert (quote.haircut_bps, quote.decimals) == (1_000, 0)
    assert not quote.eligible_for(Purpose.INITIAL_MARGIN)


def test_value_is_quantity_times_price_times_fx_less_haircut_rounded_down(market: Market) -> None:
    d = market.world.deployment
    # 3 x 49,250 x 0.99 = 146,272.5 -> down
    assert d.market_data.value_of("JGB374", 3) == 146_272
    # 12.34 USD at 150 JPY less 2%: 1,814.  (1,851 x 0.98 = 1,813.98 -> down)
    assert d.market_data.value_of("USD", "12.34") == 1_813


def test_stale_price_is_refused_naming_the_asset(market: Market) -> None:
    d = market.world.deployment
    devnet.increase_time(market.world.chain, 24 * 3600 + 1)
    jgb = d.assets["JGB374"]
    with pytest.raises(errors.MarketDataPriceStale) as info:
        d.market_data.value_of("JGB374", 1)
    assert info.value.asset == jgb.address
    assert "JGB374 token" in str(info.value)
    with pytest.raises(errors.MarketDataPriceStale):
        d.market_data.quote("JGB374")
    # A fresh publication makes it usable again.
    market.oracle.publish_prices({"JGB374": 49_000})
    assert d.market_data.value_of("JGB374", 1) == 48_510


def test_stale_fx_rate_is_refused_naming_the_currency(market: Market) -> None:
    d = market.world.deployment
    devnet.increase_time(market.world.chain, 24 * 3600 + 1)
    market.oracle.publish_prices({"USD": 1})
    with pytest.raises(errors.MarketDataFxRateStale) as info:
        d.market_data.value_of("USD", 1)
    assert info.value.currency == b"USD"


def test_missing_price_is_refused(market: Market) -> None:
    """A newly listed asset has no price until the oracle publishes one."""
    d = market.world.deployment
    new_asset = market.world.keys[11].address
    market.oracle.send(d.market_data.call("listAssets", [new_asset], [b"JPY"], [0]))
    raw_value = d.market_data.contract.functions.valueOf(new_asset, 1)
    with pytest.raises(errors.MarketDataPriceMissing) as info:
        d.chain.call(raw_value, context=d.errors_for("market data"))
    assert info.value.asset == new_asset


@pytest.mark.parametrize(
    ("call", "error"),
    [
        (lambda o: o.publish_prices({"JPY": 0}), errors.InvalidAmount),
        (lambda o: o.publish_prices({"JPY": 1.0}), errors.InvalidAmount),
        (lambda o: o.publish_prices({"EUR": 1}), errors.AssetNotFound),
        (lambda o: o.publish_fx_rates({"usd": "150"}), errors.InputError),
        (lambda o: o.publish_fx_rates({"JPY": "1"}), errors.InputError),
        (lambda o: o.set_max_price_age(0), errors.InputError),
    ],
)
def test_bad_publications_are_refused_before_sending(market: Market, call, error) -> None:
    refused(market.world, ("JPY",), lambda: call(market.oracle), error)


def test_risk_parameters_out_of_range_are_refused_in_python() -> None:
    with pytest.raises(errors.InputError):
        RiskParameters(10_000)
    with pytest.raises(errors.InputError):
        RiskParameters(0, concentration_bps=0)


def test_on_chain_checks_stand_behind_the_python_ones(market: Market) -> None:
    d = market.world.deployment
    md = d.market_data
    jpy = d.assets["JPY"].address
    now = d.chain_time()
    cases = [
        (md.call("publishPrices", [jpy], [1, 2], now), errors.MarketDataBatchLengthMismatch),
        (md.call("publishPrices", [jpy], [0], now), errors.MarketDataPriceInvalid),
        (md.call("publishPrices", [jpy], [1], now + 3600), errors.MarketDataAsOfInFuture),
        (md.call("setRiskParameters", [jpy], [(10_000, 10_000, 1)]),
         errors.MarketDataParametersInvalid),
        (md.call("publishPrices", [market.world.outsider.address], [1], 0),
         errors.MarketDataAssetUnlisted),
        (md.call("listAssets", [jpy], [b"JPY"], [0]), errors.MarketDataAssetListed),
    ]  # fmt: skip
    for call, error in cases:
        refused(market.world, ("JPY",), lambda call=call: market.oracle.send(call), error)
    assert md.price("JPY")[0] == PRICES["JPY"]


def test_only_the_oracle_publishes(market: Market) -> None:
    impostor = Oracle(market.world.deployment, market.world.member_a.signer)
    err = refused(
        market.world,
        ("JPY",),
        lambda: impostor.publish_prices({"JPY": 2}),
        errors.AccessControlUnauthorizedAccount,
    )
    assert "ORACLE_ROLE" in str(err)


def test_a_prudent_value_counts_what_has_no_current_price_as_nothing(market: Market) -> None:
    """What a deadline is judged by: equal to the value while every holding is priced; with one
    price lapsed, the rest still counts and the lapsed one is counted as nothing, never refused."""
    d = market.world.deployment
    fns = d.market_data.contract.functions
    jgb, jpy = d.assets["JGB374"], d.assets["JPY"]
    held = ([jgb.address, jpy.address], [10, 100_000])
    args = (*held, int(Purpose.INITIAL_MARGIN), 10**12)
    assert fns.valueCollateralPrudently(*args).call() == [487_575 + 100_000, 0]
    assert fns.valueCollateral(*args, True).call() == [True, 487_575 + 100_000]
    devnet.increase_time(market.world.chain, 2 * 24 * 3600)
    market.oracle.publish_prices({"JPY": 1})  # the JGB's price is now stale
    assert fns.valueCollateralPrudently(*args).call() == [100_000, 1]
    assert fns.valueCollateral(*args, False).call() == [False, 0]
