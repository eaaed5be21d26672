"""JDRs as collateral: a listed JDR may be pledged for derivatives margin at no more than 70% of
its value (listing guidebook §8-2), so market data refuses an eligible JDR a haircut under 30%,
and a member's deposited JDRs count for exactly that, to the yen.

Every refusal is typed and changes nothing: wallets, supplies, vault holdings, no block, and the
JDR's risk parameters.
"""

from __future__ import annotations

from decimal import Decimal

import pytest
from support import JdrSeries

from pyclient import AccountKind, Purpose, RiskParameters, errors
from pyclient.valuation import account_value, haircut_value

BOTH = frozenset({Purpose.INITIAL_MARGIN, Purpose.CLEARING_FUND})


def set_risk(jdr: JdrSeries, parameters: RiskParameters) -> None:
    jdr.market.oracle.set_risk_parameters({jdr.symbol: parameters})


@pytest.mark.parametrize(
    "purposes",
    [frozenset({Purpose.INITIAL_MARGIN}), frozenset({Purpose.CLEARING_FUND}), BOTH],
    ids=["initial-margin", "clearing-fund", "both"],
)
def test_an_eligible_jdr_with_a_haircut_under_30_percent_is_refused(
    jdr: JdrSeries, purposes: frozenset[Purpose]
) -> None:
    md = jdr.world.deployment.market_data
    before = md.risk_parameters(jdr.symbol)
    err = jdr.market.refused(
        lambda: set_risk(jdr, RiskParameters(2_999, eligible_for=purposes)),
        errors.MarketDataHaircutBelowFloor,
    )
    assert (err.asset, err.haircutBps, err.floorBps) == (jdr.trust.jdr.address, 2_999, 3_000)
    assert md.risk_parameters(jdr.symbol) == before


def test_an_eligible_jdr_with_a_30_percent_haircut_is_accepted(jdr: JdrSeries) -> None:
    set_risk(jdr, RiskParameters(3_000))
    md = jdr.world.deployment.market_data
    assert md.risk_parameters(jdr.symbol) == RiskParameters(3_000, eligible_for=BOTH)
    assert md.is_eligible(jdr.symbol, Purpose.INITIAL_MARGIN)


@pytest.mark.parametrize("haircut", [0, 2_999])
def test_an_ineligible_jdr_may_carry_any_haircut_and_cannot_be_deposited(
    jdr: JdrSeries, haircut: int
) -> None:
    set_risk(jdr, RiskParameters(haircut, eligible_for=frozenset()))
    md = jdr.world.deployment.market_data
    assert md.risk_parameters(jdr.symbol) == RiskParameters(haircut, eligible_for=frozenset())

    c = jdr.settlor.create(jdr.symbol, 100).value
    jdr.bank.approve_creation(jdr.symbol, c.id)
    jdr.settlor.transfer(jdr.symbol, "member-a", 300)
    a = jdr.world.member_a
    a.send(jdr.world.deployment.token(jdr.symbol).approve(jdr.world.deployment.vault.address))
    jdr.market.refused(lambda: a.deposit(jdr.symbol, 100), errors.VaultAssetNotEligible)
    assert a.balance(jdr.symbol) == 300


def test_a_members_deposited_jdrs_count_for_70_percent_of_their_value_to_the_yen(
    jdr: JdrSeries,
) -> None:
    w, d, m = jdr.world, jdr.world.deployment, jdr.market
    set_risk(jdr, RiskParameters(3_000))
    m.oracle.publish_prices({jdr.symbol: Decimal("9001.5")})
    c = jdr.settlor.create(jdr.symbol, 100).value
    jdr.bank.approve_creation(jdr.symbol, c.id)
    jdr.settlor.transfer(jdr.symbol, "member-a", 300)
    a = w.member_a

    out = a.deposit(jdr.symbol, 137)
    (ev,) = out.named("CollateralDeposited")
    assert (ev["account"], ev["amount"]) == (m.house_a, 137)
    assert a.collateral(AccountKind.HOUSE) == {jdr.symbol: 137}
    assert a.balance(jdr.symbol) == 163

    value = a.collateral_value(AccountKind.HOUSE)
    assert value == int(137 * Decimal("9001.5") * Decimal("0.7")) == 863_243  # 863,243.85 down
    quote = d.market_data.quote(jdr.symbol)
    assert value == haircut_value(137, quote)
    assert value == account_value({jdr.symbol: 137}, {jdr.symbol: quote}, Purpose.INITIAL_MARGIN, 0)
    assert jdr.trust.invariant() == (1_000, 100, True)  # pledged JDRs stay outstanding
