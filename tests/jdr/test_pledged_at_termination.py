"""JDRs pledged as margin when their trust terminates: the token is closed to every transfer but
custody's, so the vault can hand them back and their owner claims its share of the proceeds."""

from __future__ import annotations

import pytest
from support import JdrSeries

from pyclient import RiskParameters, Trigger, errors


def test_jdrs_in_the_vault_at_termination_come_back_to_their_owner_and_are_claimed(
    jdr: JdrSeries,
) -> None:
    w, symbol = jdr.world, jdr.symbol
    creation = jdr.settlor.create(symbol, 100).value
    jdr.bank.approve_creation(symbol, creation.id)
    jdr.settlor.transfer(symbol, "member-a", 400)
    jdr.market.oracle.set_risk_parameters({symbol: RiskParameters(3_000)})
    w.member_a.deposit(symbol, 300)  # its house account: no requirement, so it may withdraw
    jdr.bank.terminate(symbol, Trigger.ETF_DELISTED, reason="SPY delisted")

    with pytest.raises(errors.JdrTokenClosed):  # members cannot trade, nor pledge more
        w.member_a.deposit(symbol, 100)
    w.member_a.withdraw(symbol, 300)  # custody hands pledged JDRs back
    assert w.member_a.balance(symbol) == 400

    jdr.bank.record_liquidation(symbol, 9_000_001)  # SPY at 600 USD x 150: 90,000 JPY a unit
    paid = w.member_a.claim_termination(symbol).value
    assert paid == 9_000_001 * 400 // 1_000
    assert w.member_a.balance(symbol) == 0


@pytest.mark.xfail(
    strict=True,
    reason="review finding 5, not fixed: JdrToken lets custody send closed JDRs to anyone, so a "
    "substitution offer accepted after termination hands pledged JDRs to a third party",
)
def test_after_termination_custody_hands_jdrs_to_their_owner_only_not_to_a_third_party(
    jdr: JdrSeries,
) -> None:
    w, symbol, m = jdr.world, jdr.symbol, jdr.market
    creation = jdr.settlor.create(symbol, 100).value
    jdr.bank.approve_creation(symbol, creation.id)
    jdr.settlor.transfer(symbol, "member-a", 400)
    m.oracle.set_risk_parameters({symbol: RiskParameters(3_000)})
    w.member_a.deposit(symbol, 300)
    jdr.bank.terminate(symbol, Trigger.ETF_DELISTED, reason="SPY delisted")
    m.oracle.publish_prices({symbol: 9_000})  # still priced, so the vault would value the swap
    offer = w.member_b.sign_offer(m.house_a, deliver={"JPY": 200_000}, take={symbol: 300})

    with pytest.raises(errors.JdrTokenClosed):
        w.member_a.accept_offer(offer)
    assert w.member_b.balance(symbol) == 0
    w.member_a.withdraw(symbol, 300)  # the owner still gets them back
    assert w.member_a.balance(symbol) == 400
