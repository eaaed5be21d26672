"""Atomic collateral substitution: the rule on the final state, atomicity, every account kind, and
counterparty offers signed off chain (EIP-712), each refusal typed with nothing changed."""

from __future__ import annotations

import datetime as dt
from dataclasses import replace

import pytest
from eth_account import Account
from support import Market

from pyclient import AccountKind, CallType, errors
from pyclient.chain import devnet
from pyclient.collateral.substitution import Offer


def _holdings(market: Market, account: int) -> dict[str, int]:
    return {s: u for s, u in market.world.deployment.vault.raw_holdings(account).items() if u}


def test_in_account_substitution_needs_no_prefunding_across_currencies(market: Market) -> None:
    w, d = market.world, market.world.deployment
    a = w.member_a
    a.deposit("JGB374", 20)  # 20 x 49,250 x 0.99 = 975,150
    a.deposit("USD", "1000.00")  # 150,000 x 0.98 = 147,000
    w.ccp.margin.post_requirements({market.house_a: 1_100_000}, run_id="eod")
    assert a.collateral_value(AccountKind.HOUSE) == 1_122_150
    # Everything out, JPY and equities in: no leg alone would pass the withdrawal rule.
    with pytest.raises(errors.VaultWithdrawalExceedsExcess):
        d.vault.withdraw(market.house_a, "JGB374", 20).estimate(a)
    jpy_before = a.balance("JPY")
    done = a.substitute(
        out={"JGB374": 20, "USD": "1000.00"}, into={"JPY": 900_000, "TYO7203": 100}
    ).value
    # 900,000 cash + 100 x 3,000 x 0.7 = 210,000 (under 40% of 1.1m = 440,000).
    assert (done.value_before_jpy, done.value_after_jpy) == (1_122_150, 1_110_000)
    assert done.requirement_jpy == 1_100_000 and done.counterparty is None
    assert done.out == {"JGB374": 20, "USD": 1000} and done.into == {"JPY": 900_000, "TYO7203": 100}
    assert _holdings(market, market.house_a) == {"JPY": 900_000, "TYO7203": 100}
    assert a.balance("JPY") == jpy_before - 900_000
    assert a.balance("JGB374") == 100 and a.balance("USD") == 10_000
    assert d.substitution.substitutions(market.house_a) == [done]


def test_the_rule_holds_exactly_at_the_requirement_and_refuses_one_yen_below(
    market: Market,
) -> None:
    w = market.world
    a = w.member_a
    a.deposit("JGB374", 10)  # 487,575
    w.ccp.margin.post_requirements({market.house_a: 487_575}, run_id="eod")
    # USD counts 150 x 0.98 = 147 yen a dollar: 3,316.83 USD is 487,574.01, one yen short.
    err = market.refused(
        lambda: a.substitute(out={"JGB374": 10}, into={"USD": "3316.83"}), errors.SubstitutionShort
    )
    assert (err.valueAfterJpy, err.requirementJpy, err.valueBeforeJpy) == (
        487_574,
        487_575,
        487_575,
    )
    assert err.asset == w.deployment.asset("JGB374").address
    done = a.substitute(out={"JGB374": 10}, into={"USD": "3316.84"}).value  # 487,575.48
    assert done.value_after_jpy == done.requirement_jpy == 487_575


def test_one_yen_below_the_requirement_is_refused_and_names_what_hurt(market: Market) -> None:
    w, d = market.world, market.world.deployment
    a = w.member_a
    a.deposit("JPY", 500_000)
    w.ccp.margin.post_requirements({market.house_a: 500_000}, run_id="eod")
    err = market.refused(
        lambda: a.substitute(
            out={"JPY": 500_000}, into={"USD": "3401.36"}
        ),  # 499,999.92 after haircut
        errors.SubstitutionShort,
    )
    assert (err.valueAfterJpy, err.requirementJpy, err.valueBeforeJpy) == (
        499_999,
        500_000,
        500_000,
    )
    assert err.asset == d.asset("JPY").address
    a.substitute(out={"JPY": 500_000}, into={"USD": "3401.37"})  # 500,001.39: enough


def test_concentration_limits_bind_on_the_final_state(market: Market) -> None:
    w = market.world
    a = w.member_a
    a.deposit("JPY", 1_000_000)
    w.ccp.margin.post_requirements({market.house_a: 1_000_000}, run_id="eod")
    # 10,000 shares are worth 21m after haircut, but meet at most 40% of the requirement.
    err = market.refused(
        lambda: a.substitute(out={"JPY": 1_000_000}, into={"TYO7203": 10_000}),
        errors.SubstitutionShort,
    )
    assert err.valueAfterJpy == 400_000
    done = a.substitute(out={"JPY": 400_000}, into={"TYO7203": 10_000}).value
    assert done.value_after_jpy == 1_000_000


def test_an_account_already_short_may_substitute_only_without_losing_value(market: Market) -> None:
    w = market.world
    a = w.member_a
    a.deposit("JGB374", 10)  # 487,575
    w.ccp.margin.post_requirements({market.house_a: 600_000}, run_id="eod")
    call_id = w.ccp.margin.issue_margin_calls([market.house_a], CallType.REGULAR).value.calls[0].id
    market.refused(
        lambda: a.substitute(out={"JGB374": 10}, into={"JPY": 487_574}), errors.SubstitutionShort
    )
    a.substitute(out={"JGB374": 10}, into={"JPY": 487_575})  # not lower: allowed, still short
    assert w.deployment.vault.margin_call(call_id).status.name == "ISSUED"
    # A substitution that brings the account to its requirement meets the open call.
    out = a.substitute(out={"JPY": 487_575}, into={"JGB374": 10, "USD": "765.00"})
    assert [e["callId"] for e in out.named("MarginCallMet")] == [call_id]


def test_legs_are_checked_before_sending_and_on_chain(market: Market) -> None:
    w, d = market.world, market.world.deployment
    a = w.member_a
    a.deposit("JPY", 100_000)
    with pytest.raises(errors.InputError):
        a.substitute(out={"JPY": 1}, into={})
    with pytest.raises(errors.InputError):
        a.substitute(out=[("JPY", 1)], into=[("JPY", 1)])
    with pytest.raises(errors.InvalidAmount):
        a.substitute(out={"JPY": 0}, into={"USD": 1})
    sub = d.substitution.contract.functions
    jpy, usd = d.asset("JPY").address, d.asset("USD").address
    raw = [
        (sub.substitute(market.house_a, "0x" + "00" * 20, [(jpy, 0)], [(usd, 1)]),
         errors.SubstitutionLegZero),
        (sub.substitute(market.house_a, "0x" + "00" * 20, [(jpy, 1)], [(jpy, 1)]),
         errors.SubstitutionLegRepeated),
        (sub.substitute(market.house_a, "0x" + "00" * 20, [(jpy, 1)] * 9, [(usd, 1)]),
         errors.SubstitutionLegCount),
        (sub.substitute(market.house_a, "0x" + "00" * 20, [(jpy, 1)], []),
         errors.SubstitutionLegCount),
    ]  # fmt: skip
    for fn, error in raw:
        market.refused(lambda fn=fn: d.substitution._call(fn, "raw").send(a.signer), error)


def test_refusals_leave_every_balance_and_holding_as_before(market: Market) -> None:
    w, d = market.world, market.world.deployment
    a, b = w.member_a, w.member_b
    a.deposit("JPY", 500_000)
    market.refused(
        lambda: b.send(d.substitution.substitute(market.house_a, out={"JPY": 1}, into={"USD": 1})),
        errors.SubstitutionNotAuthorised,
    )
    market.refused(
        lambda: a.substitute(out={"JPY": 100}, into={"SPY": 1}), errors.VaultAssetNotEligible
    )
    market.refused(
        lambda: a.substitute(out={"JPY": 500_001}, into={"USD": 1}), errors.VaultInsufficientHolding
    )
    # The last leg in cannot be paid: the legs before it do not happen either.
    market.refused(
        lambda: a.substitute(out={"JPY": 100}, into={"USD": 1, "JGB374": 101}),
        errors.ERC20InsufficientBalance,
    )
    devnet.increase_time(w.chain, 2 * 24 * 3600)  # prices go stale
    w.ccp.margin.post_requirements({market.house_a: 1}, run_id="eod")
    market.refused(
        lambda: a.substitute(out={"JPY": 100}, into={"USD": 1}), errors.MarketDataPriceStale
    )


def test_a_frozen_account_cannot_substitute(market: Market) -> None:
    w = market.world
    a = w.member_a
    a.deposit("JPY", 100_000)
    w.ccp.default.declare_member(a, "decision")
    market.refused(
        lambda: a.substitute(out={"JPY": 100}, into={"USD": 1}), errors.VaultAccountFrozen
    )


def test_segregated_omnibus_and_clearing_fund_accounts_substitute(market: Market) -> None:
    w, d = market.world, market.world.deployment
    seg, omni, a = w.client_seg, w.client_omni, w.member_a
    seg.deposit("JPY", 1_000_000)
    w.issuer.issue("USD", seg, "5000.00")
    seg.substitute(out={"JPY": 600_000}, into={"USD": "4000.00"})
    assert _holdings(market, market.segregated) == {"JPY": 400_000, "USD": 400_000}

    # An omnibus client swaps its own share; the member swaps for it (the client gets what leaves).
    omni.deposit("JPY", 1_000_000)
    w.issuer.issue("USD", omni, "1000.00")
    omni.substitute(out={"JPY": 100_000}, into={"USD": "1000.00"})
    client_jpy = omni.balance("JPY")
    a.substitute(AccountKind.OMNIBUS, client=omni, out={"JPY": 300_000}, into={"JGB374": 5})
    assert omni.balance("JPY") == client_jpy + 300_000
    ledger = d.vault.sub_ledger(market.omnibus_a)[omni.address]
    assert ledger == {"JPY": 600_000, "USD": 1000, "JGB374": 5}
    assert d.vault.holdings(market.omnibus_a) == ledger  # totals still equal holdings
    with pytest.raises(errors.InputError):
        a.substitute(AccountKind.OMNIBUS, out={"JPY": 1}, into={"USD": 1})

    a.deposit("JPY", 200_000, kind=AccountKind.CLEARING_FUND)
    a.substitute(AccountKind.CLEARING_FUND, out={"JPY": 200_000}, into={"JGB374": 5})
    assert _holdings(market, market.fund_a) == {"JGB374": 5}


# ---------------------------------------------------------------------- offers


def _offer(market: Market, **kw) -> Offer:
    """member-b offers member-a: 1,000 USD into its house account for 10 JGBs out."""
    return market.world.member_b.sign_offer(
        market.house_a, deliver={"USD": "1000.00"}, take={"JGB374": 10}, **kw
    )


def test_a_counterparty_swap_moves_both_ways_in_one_transaction(market: Market) -> None:
    w, d = market.world, market.world.deployment
    a, b = w.member_a, w.member_b
    a.deposit("JGB374", 20)
    w.ccp.margin.post_requirements({market.house_a: 500_000}, run_id="eod")
    offer = Offer.from_json(_offer(market).to_json())  # it travels as JSON
    assert offer.signer(d.substitution.domain()) == b.address
    assert d.substitution.offer_digest(offer)  # the chain hashes what eth-account signed
    b_usd, b_jgb = b.balance("USD"), b.balance("JGB374")
    done = a.accept_offer(offer).value
    assert done.counterparty == b.address and done.nonce == offer.nonce
    assert _holdings(market, market.house_a) == {"JGB374": 10, "USD": 100_000}
    assert (b.balance("USD"), b.balance("JGB374")) == (b_usd - 1000, b_jgb + 10)
    assert d.substitution.nonce_used(offer)
    market.refused(lambda: a.accept_offer(offer), errors.InvalidAccountNonce)  # replayed


def test_offers_are_refused_when_expired_cancelled_misdirected_or_forged(market: Market) -> None:
    w, d = market.world, market.world.deployment
    a, b, seg = w.member_a, w.member_b, w.client_seg
    a.deposit("JGB374", 20)
    expired = _offer(market, valid_for=dt.timedelta(minutes=5))
    devnet.increase_time(w.chain, 301)
    market.warp_and_reprice(0)
    market.refused(lambda: a.accept_offer(expired), errors.OfferExpired)

    cancelled = _offer(market)
    b.cancel_offer(cancelled)
    market.refused(lambda: a.accept_offer(cancelled), errors.InvalidAccountNonce)

    offer = _offer(market)
    market.refused(
        lambda: b.accept_offer(offer), errors.SubstitutionNotAuthorised
    )  # not b's account
    forged = replace(offer, take=(replace(offer.take[0], units=20),))
    market.refused(lambda: a.accept_offer(forged), errors.OfferSignatureInvalid)
    other = Account.create()
    wrong_signer = replace(offer, signature=replace(offer, counterparty=other.address)
                           .sign(other, d.substitution.domain()).signature)  # fmt: skip
    market.refused(lambda: a.accept_offer(wrong_signer), errors.OfferSignatureInvalid)

    # A counterparty that is not an active participant cannot be dealt with, signed or not.
    outsider = Offer(market.house_a, offer.deliver, offer.take, w.outsider.address, 1 << 64,
                     offer.expiry).sign(w.outsider, d.substitution.domain())  # fmt: skip
    market.refused(lambda: a.accept_offer(outsider), errors.OfferCounterpartyNotActive)
    del seg

    # The counterparty must hold and have approved what it delivers.
    unapproved = b.sign_offer(
        market.house_a, deliver={"JPY": 1_000}, take={"JGB374": 1}, approve=False
    )
    market.refused(lambda: a.accept_offer(unapproved), errors.ERC20InsufficientAllowance)
    too_much = b.sign_offer(market.house_a, deliver={"USD": "20000.00"}, take={"JGB374": 1})
    market.refused(lambda: a.accept_offer(too_much), errors.ERC20InsufficientBalance)
    a.accept_offer(offer)  # the honest one still works


def test_a_member_past_a_deadline_or_not_active_cannot_substitute(market: Market) -> None:
    """A substitution takes collateral out: refused on a withdrawal's grounds, even when it would
    raise the value (after the deadline only a deposit cures)."""
    w = market.world
    a = w.member_a
    a.deposit("JPY", 100_000, kind=AccountKind.CLEARING_FUND)
    a.deposit("JPY", 100_000)
    w.ccp.margin.post_requirements({market.house_a: 1_000_000}, run_id="eod")
    w.ccp.margin.issue_margin_calls([market.house_a], CallType.REGULAR)
    market.warp_and_reprice(3 * 24 * 3600)
    for kind in (AccountKind.HOUSE, AccountKind.CLEARING_FUND):
        market.refused(
            lambda kind=kind: a.substitute(kind, out={"JPY": 1}, into={"USD": "100.00"}),
            errors.VaultCallPastDeadline,
        )
    w.ccp.margin.post_requirements({market.house_a: 100_000}, run_id="eod-2")  # call met
    w.ccp.register.suspend("member-a", "suspended")
    err = market.refused(
        lambda: a.substitute(out={"JPY": 1}, into={"USD": "1.00"}), errors.VaultPartyNotActive
    )
    assert err.party == a.address


def test_only_the_client_deals_its_omnibus_collateral_to_a_counterparty(market: Market) -> None:
    """The review's proof: the member signed an offer on its own omnibus account naming its client
    and accepted it, taking the client's yen for a cent. Only the client may accept such an offer;
    the member may still swap the client's collateral with the client's own wallet."""
    w, d = market.world, market.world.deployment
    a, b, omni = w.member_a, w.member_b, w.client_omni
    omni.deposit("JPY", 1_000_000)
    for signer in (a, b):
        theft = signer.sign_offer(
            market.omnibus_a, client=omni, deliver={"USD": "0.01"}, take={"JPY": 1_000_000}
        )
        market.refused(lambda theft=theft: a.accept_offer(theft), errors.SubstitutionNotAuthorised)
    fair = b.sign_offer(
        market.omnibus_a, client=omni, deliver={"USD": "7000.00"}, take={"JPY": 1_000_000}
    )
    b_jpy = b.balance("JPY")
    omni.accept_offer(fair)
    assert d.vault.sub_ledger(market.omnibus_a)[omni.address] == {"USD": 7000}
    assert b.balance("JPY") == b_jpy + 1_000_000
    # A client is named for an omnibus account only.
    sub = d.substitution.contract.functions
    jpy, usd = d.asset("JPY").address, d.asset("USD").address
    fn = sub.substitute(market.house_a, omni.address, [(jpy, 1)], [(usd, 1)])
    market.refused(
        lambda: d.substitution._call(fn, "raw").send(omni.signer),
        errors.VaultBeneficialOwnerInvalid,
    )


def test_a_suspended_counterparty_cannot_be_dealt_with(market: Market) -> None:
    w = market.world
    w.member_a.deposit("JGB374", 20)
    offer = _offer(market)
    w.ccp.register.suspend("member-b", "suspended")
    market.refused(lambda: w.member_a.accept_offer(offer), errors.OfferCounterpartyNotActive)


def test_two_offers_in_the_same_asset_each_keep_their_allowance(market: Market) -> None:
    w = market.world
    w.member_a.deposit("JGB374", 20)
    first, second = _offer(market), _offer(market)
    w.member_a.accept_offer(first)
    w.member_a.accept_offer(second)
    assert _holdings(market, market.house_a) == {"USD": 200_000}
