"""pyclient's valuation against the chain's, to the yen: rules at their boundaries, then at random.

`pyclient.valuation` mirrors `contracts/collateral/Valuation.sol` and the vault's account value;
the chain is the reference. (The vault's state machine, tests/collateral/test_vault_stateful.py,
also values every account with it after every step.)
"""

from __future__ import annotations

from decimal import Decimal

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from support import PRICES, Market

from pyclient import Purpose, Quote, errors
from pyclient.chain import devnet
from pyclient.oracle import RiskParameters
from pyclient.valuation import (
    account_value,
    concentration_capped,
    haircut_value,
    market_value,
    quantity_for,
)

E18 = 10**18
JGB = Quote(49_250 * E18, E18, 100, 10_000, 0, 3)  # JGB374: 1% haircut, both purposes
USD = Quote(E18, 150 * E18, 200, 10_000, 2, 3)  # USD deposits in cents, 2% haircut


def test_haircut_value_rounds_down_at_each_step_like_the_contract() -> None:
    assert haircut_value(3, JGB) == 146_272  # 146,272.5 down
    assert haircut_value(1_234, USD) == 1_813  # 12.34 x 150 x 0.98 = 1,813.98 down
    assert market_value(1_234, USD) == 1_851  # before haircut: 1,851.00
    assert haircut_value(0, JGB) == 0


def test_quantity_for_is_the_least_quantity_that_covers_the_value() -> None:
    for value in (1, 48_757, 48_758, 1_000_000, 850_000):
        q = quantity_for(value, JGB)
        assert haircut_value(q, JGB) >= value > haircut_value(q - 1, JGB)
    assert quantity_for(850_000, JGB) == 18  # 850,000 / (49,250 x 0.99) = 17.4 -> 18 bonds
    assert quantity_for(0, JGB) == 0


def test_quantity_for_rounds_up_to_whole_lots() -> None:
    assert quantity_for(850_000, JGB, lot=10) == 20
    assert quantity_for(1_813, USD, lot=100) == 1_300  # 12.34 USD needed -> 13.00 in whole USD
    with pytest.raises(errors.InputError):
        quantity_for(1, JGB, lot=0)


def test_concentration_caps_each_limited_value_at_its_share_of_the_requirement() -> None:
    # The case: 10 JGBs (490,000 after haircut) and Toyota shares worth 21m after haircut
    # under a 40% equity limit, against a 1,000,000 requirement: equity meets at most 400,000.
    assert concentration_capped([490_000, 21_000_000], [10_000, 4_000], 1_000_000) == 890_000
    # Equity never meets more than its share of the requirement, however much is held ...
    for held in (400_000, 400_001, 10**12):
        assert concentration_capped([held], [4_000], 1_000_000) == 400_000
    assert concentration_capped([399_999], [4_000], 1_000_000) == 399_999
    # ... the cap rounds down (the CCP's way); with no requirement, limited assets count nothing.
    assert concentration_capped([10], [3_333], 1) == 0
    assert concentration_capped([10], [3_333], 3) == 0
    assert concentration_capped([10], [3_334], 3) == 1
    assert concentration_capped([500, 10**9], [10_000, 4_000], 0) == 500
    with pytest.raises(errors.InputError):
        concentration_capped([1, 2], [10_000], 0)


def test_no_limited_asset_meets_more_than_its_limit_of_an_account_just_covered() -> None:
    """The bound the limit claims: covered, equity (40%) meets at most 40% of the requirement."""
    requirement = 1_000_000
    for cash in range(0, 1_200_001, 100_000):
        counted = concentration_capped([cash, 21_000_000], [10_000, 4_000], requirement)
        equity = counted - cash
        assert equity <= 400_000
        if counted >= requirement:  # covered: equity is at most 40% of the requirement met
            assert equity * 10_000 <= 4_000 * requirement


def test_an_asset_held_at_zero_is_not_priced_and_ineligible_collateral_counts_nothing() -> None:
    spy = Quote(600 * E18, 150 * E18, 1_000, 10_000, 0, 0)  # eligible for nothing
    assert account_value({"JGB374": 3, "SPY": 10}, {"JGB374": JGB, "SPY": spy},
                         Purpose.INITIAL_MARGIN, 0) == 146_272  # fmt: skip
    assert account_value({"JGB374": 3, "UNPRICED": 0}, {"JGB374": JGB},
                         Purpose.INITIAL_MARGIN, 0) == 146_272  # fmt: skip
    fund_only = Quote(E18, E18, 0, 10_000, 0, 2)
    assert account_value({"X": 5}, {"X": fund_only}, Purpose.INITIAL_MARGIN, 0) == 0
    assert account_value({"X": 5}, {"X": fund_only}, Purpose.CLEARING_FUND, 0) == 5


def test_the_chains_single_asset_value_is_pyclients(market: Market) -> None:
    d = market.world.deployment
    quotes = d.market_data.quotes(["JGB374", "USD", "TYO7203"])
    assert d.market_data.value_of("JGB374", 3) == haircut_value(3, quotes["JGB374"])
    assert d.market_data.value_of("USD", "12.34") == haircut_value(1_234, quotes["USD"])
    assert d.market_data.value_of("TYO7203", 7) == haircut_value(7, quotes["TYO7203"])


HOLDINGS = st.fixed_dictionaries(
    {
        "JPY": st.integers(0, 1_000_000),
        "USD": st.integers(0, 1_000_000),  # cents
        "JGB374": st.integers(0, 100),
        "TYO7203": st.integers(0, 10_000),
    }
)
PRICES_NOW = st.fixed_dictionaries(
    {
        "USD": st.decimals(Decimal("0.8"), Decimal("1.2"), places=6),
        "JGB374": st.decimals(Decimal(30_000), Decimal(70_000), places=2),
        "TYO7203": st.decimals(Decimal(1_000), Decimal(5_000), places=1),
    }
)


@settings(
    max_examples=20, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture]
)
@given(
    holdings=HOLDINGS,
    prices=PRICES_NOW,
    fx=st.decimals(Decimal(100), Decimal(200), places=4),
    limit=st.integers(1, 10_000),
    haircut=st.integers(0, 9_999),
    requirement=st.integers(0, 50_000_000),
)
def test_an_accounts_value_on_chain_is_pyclients_on_random_holdings(
    market: Market, holdings, prices, fx, limit, haircut, requirement
) -> None:
    w = market.world
    d = w.deployment
    snapshot = devnet.snapshot(w.chain)
    try:
        market.oracle.publish_prices({**PRICES, **prices})
        market.oracle.publish_fx_rates({"USD": fx})
        market.oracle.set_risk_parameters(
            {"TYO7203": RiskParameters(haircut, concentration_bps=limit)}
        )
        for symbol, units in holdings.items():
            if units:
                w.member_a.deposit(symbol, d.asset(symbol).whole(units))
        w.ccp.margin.post_requirements({market.house_a: requirement}, run_id="random")
        held = d.vault.raw_holdings(market.house_a)
        quotes = d.market_data.quotes([s for s, q in held.items() if q])
        expected = account_value(held, quotes, Purpose.INITIAL_MARGIN, requirement)
        assert d.vault.collateral_value(market.house_a) == expected
    finally:
        devnet.revert(w.chain, snapshot)
        d.forget_participants()
