"""The end of a JDR trust: termination stops everything that moves JDRs or ETF units, the trust
bank sells the ETF units and pays the yen in, and every holder on the termination date surrenders
its JDRs for its share of the proceeds, rounded down; nobody gets the ETF itself.

Every refusal is typed and changes nothing: wallets, supplies, no block, the trust's balances and
its termination record.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import support
from support import JdrSeries

from pyclient import errors
from pyclient.chain import devnet
from pyclient.clock import from_unix
from pyclient.contracts.jdr import JdrTrustClient
from pyclient.jdr.model import Trigger, share
from pyclient.jdr.schedule import earliest_record_date
from pyclient.units import to_bytes32

ASSETS = ("SPY", "SPY-JDR", "JPY", "USD")
HOLDINGS = {"member-a": 330, "member-b": 270, "etf-manager": 400}  # of 1,000 JDR
PROCEEDS = 9_876_543


def trust_state(trust: JdrTrustClient) -> tuple[Any, ...]:
    d = trust.suite
    held = {a: d.token(a).balance_of(trust.address) for a in ("SPY", "JPY", "USD", trust.jdr)}
    return trust.invariant(), held, trust.termination(), trust.buybacks(), trust.distributions()


def refused(jdr: JdrSeries, call: Callable[[], Any], error: type[Exception]) -> Any:
    """`support.refused` over the JDR's assets, and the trust itself unchanged."""
    before = trust_state(jdr.trust)
    err = support.refused(jdr.world, ASSETS, call, error)
    assert trust_state(jdr.trust) == before
    return err


def held_by_holders(jdr: JdrSeries) -> None:
    """1,000 JDR on 100 SPY spread as `HOLDINGS`, member-a confirmed for cancellation, and every
    allowance the verbs below would otherwise send first."""
    d, t = jdr.world.deployment, jdr.trust
    c = jdr.settlor.create(jdr.symbol, 100).value
    jdr.bank.approve_creation(jdr.symbol, c.id)
    for name in ("member-a", "member-b"):
        jdr.settlor.transfer(jdr.symbol, name, HOLDINGS[name])
    jdr.bank.confirm_cancel_eligible(jdr.symbol, "member-a")
    jdr.settlor.send(d.token("SPY").approve(t.address))
    jdr.world.member_a.send(d.token(jdr.symbol).approve(t.address))
    jdr.bank.send(d.token("JPY").approve(t.address))


def terminated(jdr: JdrSeries) -> None:
    held_by_holders(jdr)
    jdr.bank.terminate(jdr.symbol, Trigger.ETF_REDEEMED, reason="ETF redeemed")


def holders(jdr: JdrSeries) -> dict[str, Any]:
    w = jdr.world
    return {"member-a": w.member_a, "member-b": w.member_b, "etf-manager": jdr.settlor}


# ---------------------------------------------------------------- termination


def test_termination_records_the_units_outstanding_and_closes_the_token(jdr: JdrSeries) -> None:
    held_by_holders(jdr)
    out = jdr.bank.terminate(jdr.symbol, Trigger.ETF_REDEEMED, reason="ETF redeemed")
    end = out.value
    assert end.terminated and not end.liquidated
    assert (end.trigger, end.units_outstanding, end.underlying_held) == (
        Trigger.ETF_REDEEMED, 1_000, 100,
    )  # fmt: skip
    (ev,) = out.named("TrustTerminated")
    assert (ev["trigger"], ev["unitsOutstanding"], ev["reason"]) == (
        Trigger.ETF_REDEEMED, 1_000, to_bytes32("ETF redeemed"),
    )  # fmt: skip
    assert out.named("TokenClosed")
    assert jdr.trust.token.is_closed()
    assert jdr.trust.invariant() == (1_000, 100, True)  # still backed until the sale


def test_after_termination_no_jdr_moves_and_nothing_is_created_cancelled_or_bought_back(
    jdr: JdrSeries,
) -> None:
    held_by_holders(jdr)
    w, s = jdr.world, jdr.symbol
    jdr.bank.propose_ratio_change(s, 20, reason="consolidation")  # not confirmed in time
    jdr.bank.terminate(s, Trigger.ETF_REDEEMED, reason="ETF redeemed")
    at = int(jdr.trust.termination().terminated_at.timestamp())  # type: ignore[union-attr]
    refused(jdr, lambda: w.member_a.transfer(s, "member-b", 10), errors.JdrTokenClosed)
    refused(
        jdr, lambda: w.ccp.agent.forced_transfer(s, "member-a", "member-b", 10, reason="default"),
        errors.JdrTokenClosed,
    )  # fmt: skip
    for attempt in (
        lambda: jdr.settlor.create(s, 1),
        lambda: w.member_a.cancel_in_kind(s, 10),
        lambda: w.member_a.request_buyback(s, 10, 90_000),
        lambda: jdr.bank.propose_ratio_change(s, 20, reason="consolidation"),
        lambda: jdr.settlor.confirm_ratio_change(s),
        lambda: jdr.bank.announce_record_date(s, earliest_record_date(from_unix(at).date())),
        lambda: jdr.bank.terminate(s, Trigger.OTHER, reason="again"),
    ):
        err = refused(jdr, attempt, errors.JdrTrustTerminated)
        assert err.terminatedAt == at


def test_a_termination_claim_before_the_liquidation_is_refused(jdr: JdrSeries) -> None:
    terminated(jdr)
    refused(
        jdr, lambda: jdr.world.member_a.claim_termination(jdr.symbol), errors.JdrTrustNotTerminated
    )
    assert jdr.trust.claimable_termination("member-a") == (0, 0)


def test_the_liquidation_is_recorded_once_and_only_after_termination(jdr: JdrSeries) -> None:
    held_by_holders(jdr)
    refused(
        jdr, lambda: jdr.bank.record_liquidation(jdr.symbol, PROCEEDS), errors.JdrTrustNotTerminated
    )
    jdr.bank.terminate(jdr.symbol, Trigger.ETF_DELISTED, reason="ETF delisted")
    jdr.bank.record_liquidation(jdr.symbol, PROCEEDS)
    refused(
        jdr, lambda: jdr.bank.record_liquidation(jdr.symbol, PROCEEDS), errors.JdrAlreadyLiquidated
    )


# ---------------------------------------------------------------- liquidation and claims


def test_a_liquidation_under_90_percent_of_the_etf_units_market_value_is_refused(
    jdr: JdrSeries,
) -> None:
    """Review finding 2: proceeds of zero sent the trust bank every ETF unit and paid holders
    nothing. The 100 SPY units are worth 100 x 600 USD x 150 JPY = 9,000,000 JPY."""
    terminated(jdr)
    for proceeds in (0, 8_099_999):
        err = refused(
            jdr, lambda p=proceeds: jdr.bank.record_liquidation(jdr.symbol, p),
            errors.JdrProceedsBelowMarket,
        )  # fmt: skip
        assert (err.proceedsJpy, err.marketValueJpy, err.floorJpy) == (
            proceeds, 9_000_000, 8_100_000,
        )  # fmt: skip
    assert jdr.bank.record_liquidation(jdr.symbol, 8_100_000).value.proceeds_jpy == 8_100_000
    assert jdr.world.member_a.claim_termination(jdr.symbol).value == share(8_100_000, 330, 1_000)


def test_the_liquidation_is_valued_at_the_price_and_rate_published_now(jdr: JdrSeries) -> None:
    terminated(jdr)
    jdr.market.oracle.publish_fx_rates({"USD": "160"})  # 100 x 600 x 160 = 9,600,000 JPY
    err = refused(
        jdr, lambda: jdr.bank.record_liquidation(jdr.symbol, 8_639_999),
        errors.JdrProceedsBelowMarket,
    )  # fmt: skip
    assert (err.marketValueJpy, err.floorJpy) == (9_600_000, 8_640_000)
    jdr.market.oracle.publish_prices({"SPY": 500})  # 100 x 500 x 160 = 8,000,000 JPY
    assert jdr.bank.record_liquidation(jdr.symbol, 7_200_000).value.liquidated


def test_a_liquidation_on_a_stale_price_is_refused(jdr: JdrSeries) -> None:
    terminated(jdr)
    d = jdr.world.deployment
    devnet.increase_time(jdr.world.chain, 25 * 3_600)  # nothing published for a day
    err = refused(
        jdr, lambda: jdr.bank.record_liquidation(jdr.symbol, PROCEEDS), errors.MarketDataPriceStale
    )
    assert err.asset == d.asset("SPY").address
    jdr.market.warp_and_reprice(0)
    assert jdr.bank.record_liquidation(jdr.symbol, PROCEEDS).value.proceeds_jpy == PROCEEDS


def test_the_liquidation_sends_the_etf_units_to_the_trust_bank_and_brings_the_yen_in(
    jdr: JdrSeries,
) -> None:
    terminated(jdr)
    d, t, bank = jdr.world.deployment, jdr.trust, jdr.bank
    spy, yen = bank.balance("SPY"), bank.balance("JPY")
    out = bank.record_liquidation(jdr.symbol, PROCEEDS)
    assert out.value.liquidated and out.value.proceeds_jpy == PROCEEDS
    (ev,) = out.named("TrustLiquidated")
    assert (ev["underlyingSold"], ev["proceedsJpy"]) == (100, PROCEEDS)
    assert (bank.balance("SPY"), bank.balance("JPY")) == (spy + 100, yen - PROCEEDS)
    assert (d.token("SPY").balance_of(t.address), d.token("JPY").balance_of(t.address)) == (
        0, PROCEEDS,
    )  # fmt: skip
    assert t.invariant() == (1_000, 0, True)  # the cash side now


def test_every_holder_receives_its_share_of_the_proceeds_rounded_down_and_claims_once(
    jdr: JdrSeries,
) -> None:
    terminated(jdr)
    d, t = jdr.world.deployment, jdr.trust
    jdr.bank.record_liquidation(jdr.symbol, PROCEEDS)
    paid = 0
    for name, holder in holders(jdr).items():
        units = HOLDINGS[name]
        expected = share(PROCEEDS, units, 1_000)
        assert expected == PROCEEDS * units // 1_000
        assert t.claimable_termination(holder) == (units, expected)
        yen = holder.balance("JPY")
        out = holder.claim_termination(jdr.symbol)
        assert out.value == expected
        (ev,) = out.named("TerminationClaimed")
        assert (ev["holder"], ev["units"], ev["amountJpy"]) == (holder.address, units, expected)
        assert (holder.balance("JPY"), holder.balance(jdr.symbol)) == (yen + expected, 0)
        paid += expected
        assert d.token("JPY").balance_of(t.address) == PROCEEDS - paid
        assert t.invariant()[2]

        err = refused(
            jdr, lambda h=holder: h.claim_termination(jdr.symbol), errors.JdrNothingToClaim
        )
        assert err.holder == holder.address
    end = t.termination()
    assert (end.paid_jpy, end.units_claimed) == (paid, 1_000)
    assert paid == 3_259_259 + 2_666_666 + 3_950_617
    assert paid + d.token("JPY").balance_of(t.address) == PROCEEDS  # one yen of rounding stays
    assert d.token(jdr.symbol).total_supply() == 0


def test_after_termination_there_is_no_way_to_the_etf_units(jdr: JdrSeries) -> None:
    terminated(jdr)
    a = jdr.world.member_a
    refused(jdr, lambda: a.cancel_in_kind(jdr.symbol, 10), errors.JdrTrustTerminated)
    jdr.bank.record_liquidation(jdr.symbol, PROCEEDS)
    refused(jdr, lambda: a.cancel_in_kind(jdr.symbol, 330), errors.JdrTrustTerminated)
    assert a.claim_termination(jdr.symbol).value == share(PROCEEDS, 330, 1_000)
    assert a.balance("SPY") == 0


def test_a_distribution_recorded_before_termination_is_still_paid_and_one_after_is_refused(
    jdr: JdrSeries,
) -> None:
    held_by_holders(jdr)
    d, t, bank, s = jdr.world.deployment, jdr.trust, jdr.bank, jdr.symbol
    first_day = earliest_record_date(from_unix(d.chain_time()).date())
    before = bank.announce_record_date(s, first_day).value
    after = bank.announce_record_date(s, earliest_record_date(first_day)).value
    jdr.market.warp_and_reprice(int(before.record_time.timestamp()) - d.chain_time() + 60)
    bank.terminate(s, Trigger.ETF_REDEEMED, reason="ETF redeemed")
    jdr.market.warp_and_reprice(int(after.record_time.timestamp()) - d.chain_time() + 60)
    bank.transfer("USD", t.address, "200.00")

    refused(
        jdr, lambda: bank.declare_distribution(s, after.id, "100.00"), errors.JdrTrustTerminated
    )
    net = bank.declare_distribution(s, before.id, "100.00").value.net_jpy
    bank.record_liquidation(s, PROCEEDS)
    assert t.invariant()[2]  # the yen held cover the proceeds and the distribution
    a = jdr.world.member_a
    assert a.claim_distribution(s, before.id).value == share(net, 330, 1_000)
    assert a.claim_termination(s).value == share(PROCEEDS, 330, 1_000)
    assert t.invariant()[2]


def test_a_trust_that_ends_with_nothing_outstanding_takes_no_proceeds_it_could_never_pay(
    jdr: JdrSeries,
) -> None:
    jdr.bank.terminate(jdr.symbol, Trigger.ETF_REDEEMED, reason="redeemed before any creation")
    refused(jdr, lambda: jdr.bank.record_liquidation(jdr.symbol, 100), errors.JdrNoUnitsOutstanding)
    t = jdr.bank.record_liquidation(jdr.symbol, 0).value
    assert (t.liquidated, t.proceeds_jpy, t.units_outstanding) == (True, 0, 0)
    assert jdr.trust.claimable_termination("member-a") == (0, 0)
