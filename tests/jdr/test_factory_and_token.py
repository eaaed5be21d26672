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
from pyclient.access.permissions import ADMIN_ROLE, role_id
from pyclient.chain import devnet
from pyclient.clock import TOKYO, from_unix, to_unix
from pyclient.contracts.jdr import JdrTrustClient
from pyclient.deployment import attach
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


def test_a_symbol_names_one_series_only(jdr: JdrSeries) -> None:
    """Review finding 4 (the factory's part): a second "SPY-JDR" took the symbol over in every
    SDK that learnt of it, and holders' claims and buybacks went to that trust."""
    d = jdr.world.deployment
    by_symbol = d.jdr_factory.contract.functions.seriesBySymbol
    err = refused(
        jdr, lambda: jdr.bank.create_series(**deed(jdr, symbol="SPY-JDR", name="Shadow")),
        errors.JdrFactorySymbolTaken,
    )  # fmt: skip
    assert (err.symbol, err.trust) == ("SPY-JDR", jdr.trust.address)
    assert by_symbol("SPY-JDR").call() == jdr.trust.address
    assert int(by_symbol("NEW-JDR").call(), 16) == 0
    new = jdr.bank.create_series(**deed(jdr)).value
    assert by_symbol("NEW-JDR").call() == new
    assert d.jdr("SPY-JDR") == jdr.trust


def test_a_series_named_like_an_asset_of_the_deployment_does_not_shadow_it(
    jdr: JdrSeries,
) -> None:
    """Review finding 4 (the SDK's part): a series called "JPY" became the deployment's "JPY" in
    every SDK that learnt of it, so yen transfers, deposits and prices addressed its JDR."""
    w, d = jdr.world, jdr.world.deployment
    yen = d.asset("JPY").address
    trust_address = jdr.bank.create_series(**deed(jdr, symbol="JPY", name="Not yen")).value
    kept_as = f"JPY@{trust_address}"
    for sdk in (d, attach(d.manifest(), d.chain)):  # this session, and one attached afresh
        series = sdk.jdrs()
        assert set(series) == {jdr.symbol, kept_as}
        assert series[kept_as].address == sdk.jdr(trust_address).address == trust_address
        assert series[jdr.symbol].address == jdr.trust.address
        assert sdk.asset("JPY").address == sdk.token("JPY").address == yen
        assert series[kept_as].jdr.address not in {a.address for a in sdk.assets.values()}
    before = d.token("JPY").balances([w.member_b.address])[w.member_b.address]
    w.member_a.transfer("JPY", "member-b", 1_000)
    assert d.token("JPY").balances([w.member_b.address])[w.member_b.address] == before + 1_000


def test_the_deeds_tokens_must_be_this_deployments_and_listed_in_its_market_data(
    jdr: JdrSeries,
) -> None:
    """Review finding 6: the factory read only the tokens' own `assetInfo`, so a trust bank
    backed a series with "ETF units" and "yen" it issued itself, and could name itself an
    authorised participant to create JDRs against them."""
    w, d = jdr.world, jdr.world.deployment
    bank = w.keys[8]  # the fixture's trust bank
    assert bank.address == jdr.bank.address
    own_register, _ = w.chain.deploy("ParticipantRegistry", [bank.address], bank)

    def own_token(symbol: str, asset_class: AssetClass, currency: bytes, register: str) -> str:
        info = (int(asset_class), currency, bytes(12), 0, 0)
        args = [f"Own {symbol}", symbol, 0, register, info, bank.address]
        return str(w.chain.deploy("PermissionedToken", args, bank)[0].address)

    spy, yen, usd = (d.asset(s).address for s in ("SPY", "JPY", "USD"))
    unlisted_etf = own_token("FSPY", AssetClass.ETF_UNIT, b"USD", d.registry.address)
    unlisted_yen = own_token("FJPY", AssetClass.CASH, b"JPY", d.registry.address)
    elsewhere_etf = own_token("XSPY", AssetClass.ETF_UNIT, b"USD", own_register.address)
    listing = to_unix(dt.datetime.combine(today(jdr), dt.time(), TOKYO))

    def create(underlying: str, cash: str) -> Any:
        raw_deed = (
            underlying, cash, usd, bank.address, jdr.settlor.address, 10, 1, 20,
            int(CancelPolicy.ELIGIBLE_HOLDERS), 0, 10, listing,
        )  # fmt: skip
        call = d.jdr_factory.call("createSeries", raw_deed, "Own JDR", "OWN-JDR", bytes(12))
        return jdr.bank.send(call)

    for underlying, cash, unlisted in (
        (unlisted_etf, yen, unlisted_etf),
        (spy, unlisted_yen, unlisted_yen),
    ):
        err = refused(
            jdr, lambda u=underlying, c=cash: create(u, c), errors.MarketDataAssetUnlisted
        )
        assert err.asset == unlisted
    err = refused(jdr, lambda: create(elsewhere_etf, yen), errors.JdrFactoryAssetMismatch)
    assert (err.what, err.asset) == (to_bytes32("underlying"), elsewhere_etf)


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


def test_nobody_can_make_another_issuer_of_a_jdr_token_nor_revoke_its_trusts(
    jdr: JdrSeries,
) -> None:
    """Review finding 3: the token's role admin granted itself the issuer role and minted 5,000
    JDRs with nothing behind them."""
    token, trust, admin = jdr.trust.token, jdr.trust, jdr.world.ccp
    holding(jdr)
    assert token.has_role(ADMIN_ROLE, admin)
    for attempt in (
        lambda: admin.send(token.grant_role("ISSUER_ROLE", admin)),
        lambda: admin.send(token.grant_role("ISSUER_ROLE", jdr.bank)),
        lambda: admin.send(token.revoke_role("ISSUER_ROLE", trust.address)),
    ):
        refused(jdr, attempt, errors.JdrTokenIssuerIsTrust)
    assert token.has_role("ISSUER_ROLE", trust.address)
    assert not token.has_role("ISSUER_ROLE", admin) and not token.has_role("ISSUER_ROLE", jdr.bank)
    assert trust.invariant() == (1_000, 100, True)
    # The admin still administers the token's other roles, as on every asset.
    admin.send(token.grant_role("PAUSER_ROLE", jdr.world.member_a))
    assert token.has_role("PAUSER_ROLE", jdr.world.member_a)
    admin.send(token.revoke_role("PAUSER_ROLE", jdr.world.member_a))


def test_nobody_administers_the_trusts_roles_the_deed_fixes_its_trustee_and_settlor(
    jdr: JdrSeries,
) -> None:
    """Review finding 3: the CCP's admin made itself the trustee of the series (and from there
    could change the ratio or record the liquidation)."""
    trust, w = jdr.trust, jdr.world
    keys = [k.address for k in w.keys]
    assert not any(trust.has_role(ADMIN_ROLE, k) for k in keys)
    for sender, grant in (
        (w.ccp, lambda: trust.grant_role("TRUSTEE_ROLE", w.ccp)),
        (w.ccp, lambda: trust.grant_role("SETTLOR_ROLE", w.ccp)),
        (w.ccp, lambda: trust.revoke_role("TRUSTEE_ROLE", jdr.bank)),
        (jdr.bank, lambda: trust.grant_role("TRUSTEE_ROLE", w.member_a)),
        (jdr.settlor, lambda: trust.grant_role("SETTLOR_ROLE", w.member_a)),
    ):
        err = refused(
            jdr, lambda s=sender, g=grant: s.send(g()), errors.AccessControlUnauthorizedAccount
        )
        assert (err.account, err.neededRole) == (sender.address, role_id(ADMIN_ROLE))
    holders = {
        r: [k for k in keys if trust.has_role(r, k)] for r in ("TRUSTEE_ROLE", "SETTLOR_ROLE")
    }
    assert holders == {"TRUSTEE_ROLE": [jdr.bank.address], "SETTLOR_ROLE": [jdr.settlor.address]}


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


@pytest.mark.anvil_only("one-second blocks (anvil_setBlockTimestampInterval): EDR has none")
def test_a_jdr_movement_in_the_block_after_another_has_gas_enough_for_new_checkpoints(
    jdr: JdrSeries,
) -> None:
    jdr.bank.confirm_cancel_eligible(jdr.symbol, "etf-manager")
    created = jdr.settlor.create(jdr.symbol, 100).value
    with one_second_blocks(jdr):
        jdr.bank.approve_creation(jdr.symbol, created.id)  # the settlor's and supply's checkpoints
        assert jdr.settlor.cancel_in_kind(jdr.symbol, 500).value == 50
    assert jdr.trust.invariant() == (500, 50, True)
