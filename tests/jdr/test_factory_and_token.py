"""The JDR factory and the JDR token: who may create a series and from what, and a token that only
its trust issues, that the CCP's agent governs like every asset, and that remembers every balance
and the supply at every past time.

Every refusal is typed and changes nothing: wallets, supplies, no block, the factory's series.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from fractions import Fraction
from typing import Any

import pytest
import support
from support import JdrSeries

from pyclient import Kind, errors
from pyclient.chain import devnet
from pyclient.clock import TOKYO, from_unix, to_unix
from pyclient.contracts.jdr import JdrTrustClient
from pyclient.jdr.model import CancelPolicy
from pyclient.tokens.asset import AssetClass
from pyclient.units import to_bytes32

ASSETS = ("SPY", "SPY-JDR", "JPY", "USD")


def today(jdr: JdrSeries) -> dt.date:
    return from_unix(jdr.world.deployment.chain_time()).date()


def deed(jdr: JdrSeries, **overrides: Any) -> dict[str, Any]:
    """A deed for `TrustBank.create_series` (or the factory client with `trust_bank`)."""
    return {
        "symbol": "NEW-JDR", "name": "New JDR", "underlying": "SPY", "settlor": "etf-manager",
        "ratio": 10, "trust_fee_bps": 20, "listing_date": today(jdr), "buyback_minimum": 10,
    } | overrides  # fmt: skip


def refused(jdr: JdrSeries, call: Callable[[], Any], error: type[Exception]) -> Any:
    """`support.refused`, and the factory created no series."""
    factory = jdr.world.deployment.jdr_factory
    before = factory.series()
    err = support.refused(jdr.world, ASSETS, call, error)
    assert factory.series() == before
    return err


def holding(jdr: JdrSeries, **units: int) -> None:
    c = jdr.settlor.create(jdr.symbol, 100).value
    jdr.bank.approve_creation(jdr.symbol, c.id)
    for name, n in units.items():
        jdr.settlor.transfer(jdr.symbol, name.replace("_", "-"), n)


# ---------------------------------------------------------------- the factory


def test_the_trust_bank_creates_a_series_from_its_deed_and_the_factory_lists_it(
    jdr: JdrSeries,
) -> None:
    d, bank = jdr.world.deployment, jdr.bank
    out = bank.create_series(
        **deed(jdr, ratio="5/2", creation_cap=5_000, cancel_policy=CancelPolicy.ANY_HOLDER)
    )
    trust: JdrTrustClient = d.jdr("NEW-JDR")
    assert out.value == trust.address
    assert d.jdr_factory.series() == [jdr.trust.address, trust.address]
    (ev,) = out.named("SeriesCreated")
    assert (ev["trust"], ev["token"], ev["ratioNumerator"], ev["ratioDenominator"]) == (
        trust.address, d.asset("NEW-JDR").address, 5, 2,
    )  # fmt: skip
    terms = trust.deed()
    assert (terms.underlying, terms.cash, terms.foreign_cash) == (
        d.asset("SPY").address, d.asset("JPY").address, d.asset("USD").address,
    )  # fmt: skip
    assert (terms.trust_bank, terms.settlor) == (bank.address, jdr.settlor.address)
    assert (terms.ratio, terms.trust_fee_bps, terms.creation_cap, terms.buyback_minimum) == (
        Fraction(5, 2), 20, 5_000, 10,
    )  # fmt: skip
    assert terms.cancel_policy is CancelPolicy.ANY_HOLDER
    assert terms.listing_date == dt.datetime.combine(today(jdr), dt.time(), TOKYO)
    assert trust.has_role("TRUSTEE_ROLE", bank) and trust.has_role("SETTLOR_ROLE", jdr.settlor)
    asset = d.asset("NEW-JDR")
    assert (asset.spec.asset_class, asset.decimals) == (AssetClass.JDR, 0)
    assert trust.invariant() == (0, 0, True)


def test_the_fixture_series_is_listed_as_a_system_contract_and_empty(jdr: JdrSeries) -> None:
    listed = jdr.world.deployment.participant(jdr.trust.address)
    assert (listed.name, listed.kind) == ("spy-jdr-trust", Kind.SYSTEM_CONTRACT)
    assert jdr.trust.invariant() == (0, 0, True)
    assert jdr.world.deployment.jdrs() == {jdr.symbol: jdr.trust}


def test_a_series_takes_no_etf_units_until_the_ccp_lists_its_trust(jdr: JdrSeries) -> None:
    d = jdr.world.deployment
    jdr.bank.create_series(**deed(jdr))
    trust = d.jdr("NEW-JDR")
    jdr.settlor.send(d.token("SPY").approve(trust.address))
    err = support.refused(
        jdr.world, (*ASSETS, "NEW-JDR"), lambda: jdr.settlor.create("NEW-JDR", 10),
        errors.ParticipantUnknown,
    )  # fmt: skip
    assert err.account == trust.address
    jdr.world.ccp.jdr.list_series("NEW-JDR")
    assert jdr.settlor.create("NEW-JDR", 10).value.jdr_units == 100


def test_only_the_deeds_own_registered_trust_bank_may_create_a_series(jdr: JdrSeries) -> None:
    factory, a = jdr.world.deployment.jdr_factory, jdr.world.member_a
    for named in ("trust-bank", "member-a"):  # someone else's series; a member as trust bank
        err = refused(
            jdr, lambda n=named: a.send(factory.create_series(trust_bank=n, **deed(jdr))),
            errors.JdrFactoryNotTrustBank,
        )  # fmt: skip
        assert err.caller == a.address


def test_the_settlor_must_be_a_registered_etf_manager(jdr: JdrSeries) -> None:
    err = refused(
        jdr, lambda: jdr.bank.create_series(**deed(jdr, settlor="member-a")),
        errors.JdrFactoryNotSettlor,
    )  # fmt: skip
    assert err.settlor == jdr.world.member_a.address


@pytest.mark.parametrize(
    ("terms", "what", "asset"),
    [
        ({"underlying": "JGB374"}, "underlying", "JGB374"),  # a bond is not a foreign ETF
        ({"cash": "USD"}, "cash", "USD"),  # distributions and proceeds are paid in yen
        ({"foreign_cash": "JPY"}, "foreignCash", "JPY"),  # SPY pays dollars
    ],
)
def test_the_deeds_tokens_must_fit_together(
    jdr: JdrSeries, terms: dict[str, str], what: str, asset: str
) -> None:
    err = refused(
        jdr, lambda: jdr.bank.create_series(**deed(jdr, **terms)), errors.JdrFactoryAssetMismatch
    )
    assert (err.what, err.asset) == (to_bytes32(what), jdr.world.deployment.asset(asset).address)


def test_a_ratio_not_in_lowest_terms_is_refused_by_the_contract(jdr: JdrSeries) -> None:
    d = jdr.world.deployment
    listing = to_unix(dt.datetime.combine(today(jdr), dt.time(), TOKYO))
    raw_deed = (
        d.asset("SPY").address, d.asset("JPY").address, d.asset("USD").address,
        jdr.bank.address, jdr.settlor.address, 20, 2, 20, int(CancelPolicy.ELIGIBLE_HOLDERS),
        0, 10, listing,
    )  # fmt: skip
    call = d.jdr_factory.call("createSeries", raw_deed, "Bad JDR", "BAD-JDR", bytes(12))
    err = refused(jdr, lambda: jdr.bank.send(call), errors.JdrRatioInvalid)
    assert (err.numerator, err.denominator) == (20, 2)


@pytest.mark.parametrize("ratio", [2.5, 0, "1/0", "-10"])
def test_a_float_or_non_positive_ratio_is_refused_before_sending(
    jdr: JdrSeries, ratio: Any
) -> None:
    refused(jdr, lambda: jdr.bank.create_series(**deed(jdr, ratio=ratio)), errors.RatioRefused)


# ---------------------------------------------------------------- the token's roles


def test_the_trust_is_the_jdr_tokens_only_issuer(jdr: JdrSeries) -> None:
    token = jdr.trust.token
    assert token.has_role("ISSUER_ROLE", jdr.trust.address)
    for would_be in (jdr.world.issuer, jdr.bank):
        err = refused(
            jdr, lambda r=would_be: r.send(token.mint("member-a", 10, ref="no ETF behind it")),
            errors.AccessControlUnauthorizedAccount,
        )  # fmt: skip
        assert err.account == would_be.address
    assert not token.has_role("ISSUER_ROLE", jdr.world.issuer.address)


def test_the_ccps_agent_freezes_a_jdr_holder_and_forces_a_transfer(jdr: JdrSeries) -> None:
    w = jdr.world
    holding(jdr, member_a=300)
    ccp = w.ccp
    assert jdr.trust.token.has_role("AGENT_ROLE", ccp.agent.address)
    ccp.agent.freeze(jdr.symbol, "member-a", reason="court order")
    err = refused(
        jdr, lambda: w.member_a.transfer(jdr.symbol, "member-b", 10), errors.TokenAccountFrozen
    )
    assert err.account == w.member_a.address

    out = ccp.agent.forced_transfer(jdr.symbol, "member-a", "member-b", 100, reason="default")
    (ev,) = out.named("ForcedTransfer")
    assert (ev["from"], ev["to"], ev["amount"], ev["reason"], ev["agent"]) == (
        w.member_a.address, w.member_b.address, 100, to_bytes32("default"), ccp.agent.address,
    )  # fmt: skip
    assert (w.member_a.balance(jdr.symbol), w.member_b.balance(jdr.symbol)) == (200, 100)
    assert jdr.trust.invariant() == (1_000, 100, True)  # holders changed, the supply did not


# ---------------------------------------------------------------- balances at past times


def test_balances_and_supply_are_read_at_past_times_and_only_past_ones(jdr: JdrSeries) -> None:
    w, token = jdr.world, jdr.trust.token
    before_creation = w.deployment.chain_time()
    devnet.increase_time(w.chain, 10)
    created = jdr.settlor.create(jdr.symbol, 100).value
    approved = jdr.bank.approve_creation(jdr.symbol, created.id)
    devnet.increase_time(w.chain, 10)
    moved = jdr.settlor.transfer(jdr.symbol, "member-a", 300)
    devnet.increase_time(w.chain, 10)

    def at(outcome: Any) -> int:
        return int(w.chain.w3.eth.get_block(outcome.block_number)["timestamp"])

    assert token.supply_at(before_creation) == 0
    assert token.supply_at(at(approved)) == 1_000
    assert token.balance_at("etf-manager", at(moved) - 1) == 1_000
    assert token.balance_at("etf-manager", at(moved)) == 700
    assert token.balance_at("member-a", at(moved) - 1) == 0
    assert token.balance_at("member-a", at(moved)) == 300
    assert token.balances_at([w.member_a.address], at(moved)) == {w.member_a.address: 300}

    now = w.deployment.chain_time()
    for lookup in (
        lambda: token.balance_at("member-a", now),
        lambda: token.supply_at(now + 3_600),
    ):
        err = refused(jdr, lookup, errors.JdrTokenFutureLookup)
        assert err.clock == now


@contextmanager
def one_second_blocks(jdr: JdrSeries) -> Iterator[None]:
    """Blocks one second apart whatever the wall clock does."""
    devnet.rpc(jdr.world.chain, "anvil_setBlockTimestampInterval", 1)
    try:
        yield
    finally:
        devnet.rpc(jdr.world.chain, "anvil_removeBlockTimestampInterval")


def test_a_jdr_movement_in_the_block_after_another_has_gas_enough_for_new_checkpoints(
    jdr: JdrSeries,
) -> None:
    jdr.bank.confirm_cancel_eligible(jdr.symbol, "etf-manager")
    created = jdr.settlor.create(jdr.symbol, 100).value
    with one_second_blocks(jdr):
        jdr.bank.approve_creation(jdr.symbol, created.id)  # the settlor's and supply's checkpoints
        assert jdr.settlor.cancel_in_kind(jdr.symbol, 500).value == 50
    assert jdr.trust.invariant() == (500, 50, True)
