"""Market data: the oracle publishes in batches; valuing with a missing or stale price fails."""

from __future__ import annotations

from decimal import Decimal

import pytest
from conftest import PRICES, Market, refused

from pyclient import Oracle, Purpose, RiskParameters, errors
from pyclient.chain import devnet
from pyclient.oracle import price_from_chain


def test_published_prices_fx_and_parameters_read_back(market: Market) -> None:
    md = market.world.deployment.market_data.functions
    jgb = market.world.deployment.assets["JGB374"].address
    price, as_of = md.priceOf(jgb).call()
    assert price_from_chain(price) == Decimal(49_250)
    assert as_of <= market.world.deployment.chain_time()
    rate, _ = md.fxRateOf(b"USD").call()
    assert price_from_chain(rate) == Decimal(150)
    assert RiskParameters.from_chain(md.riskParameters(jgb).call()) == RiskParameters(100)
    assert md.isEligible(jgb, int(Purpose.INITIAL_MARGIN)).call()
    spy = market.world.deployment.assets["SPY"].address
    assert not md.isEligible(spy, int(Purpose.INITIAL_MARGIN)).call()


def test_value_is_quantity_times_price_times_fx_less_haircut_rounded_down(market: Market) -> None:
    d = market.world.deployment
    md = d.market_data.functions
    # 3 x 49,250 x 0.99 = 146,272.5 -> down
    assert md.valueOf(d.assets["JGB374"].address, 3).call() == 146_272
    # 12.34 USD at 150 JPY less 2%: 1,814.  (1,851 x 0.98 = 1,813.98 -> down)
    assert md.valueOf(d.assets["USD"].address, 1_234).call() == 1_813


def test_stale_price_is_refused_naming_the_asset(market: Market) -> None:
    d = market.world.deployment
    devnet.increase_time(market.world.chain, 24 * 3600 + 1)
    jgb = d.assets["JGB374"]
    with pytest.raises(errors.MarketDataPriceStale) as info:
        d.call(d.market_data.functions.valueOf(jgb.address, 1))
    assert info.value.asset == jgb.address
    assert "JGB374 token" in str(info.value)
    # A fresh publication makes it usable again.
    market.oracle.publish_prices({"JGB374": 49_000})
    assert d.market_data.functions.valueOf(jgb.address, 1).call() == 48_510


def test_stale_fx_rate_is_refused_naming_the_currency(market: Market) -> None:
    d = market.world.deployment
    devnet.increase_time(market.world.chain, 24 * 3600 + 1)
    market.oracle.publish_prices({"USD": 1})
    with pytest.raises(errors.MarketDataFxRateStale) as info:
        d.call(d.market_data.functions.valueOf(d.assets["USD"].address, 100))
    assert info.value.currency == b"USD"


def test_missing_price_is_refused(market: Market) -> None:
    """A newly listed asset has no price until the oracle publishes one."""
    d = market.world.deployment
    new_asset = market.world.keys[11].address
    d.transact(
        d.market_data.functions.listAssets([new_asset], [b"JPY"], [0]),
        market.oracle.signer,
        label="list",
    )
    with pytest.raises(errors.MarketDataPriceMissing) as info:
        d.call(d.market_data.functions.valueOf(new_asset, 1))
    assert info.value.asset == new_asset


@pytest.mark.parametrize(
    ("call", "error"),
    [
        (lambda o: o.publish_prices({"JPY": 0}), errors.InvalidAmount),
        (lambda o: o.publish_prices({"JPY": 1.0}), errors.InvalidAmount),
        (lambda o: o.publish_prices({"EUR": 1}), errors.AssetNotFound),
        (lambda o: o.publish_fx_rates({"usd": "150"}), errors.InputError),
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
    md = d.market_data.functions
    signer = market.oracle.signer
    jpy = d.assets["JPY"].address
    cases = [
        (md.publishPrices([jpy], [1, 2], d.chain_time()), errors.MarketDataBatchLengthMismatch),
        (md.publishPrices([jpy], [0], d.chain_time()), errors.MarketDataPriceInvalid),
        (md.publishPrices([jpy], [1], d.chain_time() + 3600), errors.MarketDataAsOfInFuture),
        (md.setRiskParameters([jpy], [(10_000, 10_000, 1)]), errors.MarketDataParametersInvalid),
        (md.publishPrices([market.world.outsider.address], [1], 0), errors.MarketDataAssetUnlisted),
        (md.listAssets([jpy], [b"JPY"], [0]), errors.MarketDataAssetListed),
    ]
    for fn, error in cases:
        refused(market.world, ("JPY",), lambda fn=fn: d.transact(fn, signer, label="x"), error)
    assert price_from_chain(md.priceOf(jpy).call()[0]) == PRICES["JPY"]


def test_only_the_oracle_publishes(market: Market) -> None:
    impostor = Oracle(market.world.deployment, market.world.member_a.signer)
    err = refused(
        market.world,
        ("JPY",),
        lambda: impostor.publish_prices({"JPY": 2}),
        errors.AccessControlUnauthorizedAccount,
    )
    assert "ORACLE_ROLE" in str(err)
