"""The default waterfall: a loss met in order by the defaulter's house margin, its clearing-fund
contribution, the CCP's own tranche, then the survivors' contributions pro rata to their
clearing-fund requirements; what the defaulter's layers leave goes back; what none can meet is
recorded. All in JPY (no haircut) so each layer's part is exact."""

from __future__ import annotations

from decimal import Decimal

import pytest
from support import FX, PRICES, Market

from pyclient import AccountKind, ClearingMember, errors
from pyclient.chain import devnet
from pyclient.clock import to_unix
from pyclient.default import CaseStatus, DefaultCase, Layer, LayerUse


@pytest.fixture
def case(market: Market) -> tuple[Market, DefaultCase, ClearingMember]:
    """member-a defaulted holding 100,000 JPY of house margin and 500,000 of clearing fund;
    survivors member-b (fund requirement 300,000, holding it) and member-c (100,000); the CCP's
    tranche holds 50,000. The clock is past the porting deadline."""
    w = market.world
    d = w.deployment
    member_c = ClearingMember(d, w.keys[9])
    w.ccp.register.admit_member(member_c.address, "member-c")
    w.issuer.issue_many([("JPY", "member-c", 100_000, "opening"), ("JPY", "ccp", 50_000, "own")])
    w.ccp.margin.open_accounts([("member-b", AccountKind.CLEARING_FUND),
                                ("member-c", AccountKind.CLEARING_FUND),
                                (w.ccp.address, AccountKind.CLEARING_FUND)])  # fmt: skip
    fund_b, fund_c = (m.account_id(AccountKind.CLEARING_FUND) for m in (w.member_b, member_c))
    w.ccp.margin.post_requirements({fund_b: 300_000, fund_c: 100_000}, run_id="cf")
    w.member_b.deposit("JPY", 300_000, kind=AccountKind.CLEARING_FUND)
    member_c.deposit("JPY", 100_000, kind=AccountKind.CLEARING_FUND)
    w.ccp.default.post_tranche("JPY", 50_000)
    w.member_a.deposit("JPY", 100_000)
    w.member_a.deposit("JPY", 500_000, kind=AccountKind.CLEARING_FUND)
    declared = w.ccp.default.declare_member("member-a", "insolvency").value
    devnet.set_next_timestamp(w.chain, to_unix(declared.porting_deadline) + 1)
    market.oracle.publish_fx_rates(FX)
    market.oracle.publish_prices(PRICES)
    return market, declared, member_c


def test_a_large_loss_runs_through_every_layer_in_order(case) -> None:
    market, declared, member_c = case
    w = market.world
    d = w.deployment
    fund_b, fund_c = (m.account_id(AccountKind.CLEARING_FUND) for m in (w.member_b, member_c))
    tranche = w.ccp.default.tranche_account()
    settled = w.ccp.default.settle(declared.id, 1_000_000)
    fall = settled.value
    assert fall.layers == (
        LayerUse(Layer.HOUSE_MARGIN, market.house_a, 100_000),
        LayerUse(Layer.CLEARING_FUND, market.fund_a, 500_000),
        LayerUse(Layer.CCP_TRANCHE, tranche, 50_000),
        LayerUse(Layer.SURVIVORS, fund_b, 262_500),  # 350,000 x 300 / 400
        LayerUse(Layer.SURVIVORS, fund_c, 87_500),  # 350,000 x 100 / 400
    )
    assert (fall.loss_jpy, fall.covered_jpy, fall.uncovered_jpy) == (1_000_000, 1_000_000, 0)
    assert d.vault.holdings(d.default_manager.management_account()) == {"JPY": 1_000_000}
    assert w.member_b.collateral(AccountKind.CLEARING_FUND) == {"JPY": 37_500}
    assert member_c.collateral(AccountKind.CLEARING_FUND) == {"JPY": 12_500}
    assert d.default_manager.case(declared.id).status is CaseStatus.SETTLED
    market.refused(lambda: w.ccp.default.settle(declared.id, 1), errors.DefaultCaseNotOpen)


def test_a_loss_the_defaulters_own_collateral_covers_touches_nobody_else(case) -> None:
    market, declared, _member_c = case
    w = market.world
    fall = w.ccp.default.settle(declared.id, 250_000).value
    assert fall.by_layer() == {Layer.HOUSE_MARGIN: 100_000, Layer.CLEARING_FUND: 150_000,
                               Layer.CCP_TRANCHE: 0, Layer.SURVIVORS: 0}  # fmt: skip
    assert w.member_a.collateral(AccountKind.CLEARING_FUND) == {"JPY": 350_000}  # returned
    assert w.member_b.collateral(AccountKind.CLEARING_FUND) == {"JPY": 300_000}
    assert w.deployment.vault.holdings(w.ccp.default.tranche_account()) == {"JPY": 50_000}


def test_what_no_layer_can_meet_is_recorded_as_uncovered(case) -> None:
    market, declared, _member_c = case
    fall = market.world.ccp.default.settle(declared.id, 2_000_000).value
    assert fall.by_layer()[Layer.SURVIVORS] == 400_000  # all the survivors hold, no more
    assert fall.uncovered_jpy == 2_000_000 - 100_000 - 500_000 - 50_000 - 400_000


def test_the_waterfall_waits_for_the_porting_deadline_and_takes_only_the_ccps_tranche(
    market: Market,
) -> None:
    w = market.world
    declared = w.ccp.default.declare_member("member-a", "insolvency").value
    market.refused(lambda: w.ccp.default.settle(declared.id, 1), errors.DefaultPortingOpen)
    devnet.set_next_timestamp(w.chain, to_unix(declared.porting_deadline) + 1)
    market.oracle.publish_prices(PRICES)
    err = market.refused(
        lambda: w.ccp.default.settle(declared.id, 1, ccp_tranche=market.house_b),
        errors.DefaultCcpTrancheInvalid,
    )
    assert err.account == market.house_b


def test_fund_collateral_is_valued_for_the_clearing_fund_it_was_posted_for(
    market: Market,
) -> None:
    """USD eligible for the clearing fund only: the defaulter's USD contribution meets the loss
    (it used to be valued for initial margin, count for nothing, and go back to the defaulter)."""
    from pyclient import Purpose, RiskParameters

    w = market.world
    usd_for_fund = RiskParameters(200, eligible_for=frozenset({Purpose.CLEARING_FUND}))
    market.oracle.set_risk_parameters({"USD": usd_for_fund})
    w.member_a.deposit("USD", "1000.00", kind=AccountKind.CLEARING_FUND)  # 147,000 JPY counted
    w.ccp.margin.open_account(w.ccp.address, AccountKind.CLEARING_FUND)
    declared = w.ccp.default.declare_member("member-a", "insolvency").value
    devnet.set_next_timestamp(w.chain, to_unix(declared.porting_deadline) + 1)
    market.oracle.publish_fx_rates(FX)
    market.oracle.publish_prices(PRICES)
    fall = w.ccp.default.settle(declared.id, 100_000).value
    assert fall.by_layer()[Layer.CLEARING_FUND] == 100_000 and fall.uncovered_jpy == 0
    left = w.member_a.collateral(AccountKind.CLEARING_FUND)["USD"]
    assert left == Decimal("1000.00") - Decimal("680.28")  # 100,000 / (150 x 98%), rounded up


def test_a_client_left_after_the_settlement_is_still_closed_out_and_paid_back(
    market: Market,
) -> None:
    """Settling does not strand a client nobody ported or closed out yet."""
    w = market.world
    w.client_omni.deposit("JPY", 300_000)  # member-a's omnibus client, never ported
    w.ccp.margin.open_account(w.ccp.address, AccountKind.CLEARING_FUND)
    declared = w.ccp.default.declare_member("member-a", "insolvency").value
    devnet.set_next_timestamp(w.chain, to_unix(declared.porting_deadline) + 1)
    market.oracle.publish_prices(PRICES)
    w.ccp.default.settle(declared.id, 0)
    wallet = w.client_omni.balance("JPY")
    assert w.ccp.default.close_out(declared.id, "client-omni", 50_000).value == 50_000
    assert w.client_omni.balance("JPY") == wallet + 250_000
