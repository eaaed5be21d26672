"""Atomic substitution on chain: a substitution that fails on any leg, after the legs before it
were booked and moved, leaves every balance, holding and allowance as it was.

The SDK judges a call before sending it, so a refusal normally sends nothing (test_substitution
checks that). Here the failing transactions are sent anyway, with a fixed gas limit, so that they
are mined and revert part-way through: the vault books every leg, pulls the legs in and pays the
legs out one by one, and the last of them fails. Nothing of what came before may survive, and the
typed error is still the one the leg met.
"""

from __future__ import annotations

from typing import Any

import pytest
from support import VAULT_ASSETS, Market

from pyclient import errors

GAS = 3_000_000  # well above what a substitution of a few legs needs


def _books(market: Market) -> dict[str, Any]:
    """Everything a substitution could move: every key's and the vault's balance of every vault
    asset, the members' allowances to the vault, the supply, and every account's holdings."""
    w, d = market.world, market.world.deployment
    vault = d.vault.address
    members = (w.member_a.address, w.member_b.address)
    books: dict[str, Any] = {"holdings": market.holdings()}
    for asset in VAULT_ASSETS:
        token = d.token(asset)
        books[asset] = (
            w.balances(asset),
            token.balances([vault]),
            [token.allowance(m, vault) for m in members],
            token.total_supply(),
        )
    return books


def _mined_and_reverted(market: Market, send: Any, error: type[Exception]) -> Any:
    """`send` mines a transaction that reverts with `error`, and nothing changes."""
    w3 = market.world.chain.w3
    before, block = _books(market), w3.eth.block_number
    with pytest.raises(error) as info:
        send()
    assert w3.eth.block_number == block + 1, "the transaction was to be mined"
    (tx,) = w3.eth.get_block(block + 1)["transactions"]
    assert w3.eth.get_transaction_receipt(tx)["status"] == 0
    assert _books(market) == before
    return info.value


def test_the_last_leg_in_failing_undoes_the_legs_in_already_pulled(market: Market) -> None:
    w, d = market.world, market.world.deployment
    a = w.member_a
    a.deposit("JGB374", 10)
    a.approve_vault("USD")
    a.approve_vault("JPY")  # unlimited: only the balance can stop a leg
    jpy = a.balance("JPY")
    call = d.substitution.substitute(
        market.house_a, out={"JGB374": 10}, into=[("USD", "100.00"), ("JPY", jpy + 1)]
    )
    # Booked: 10 JGBs out, both legs in; pulled: the dollars; then the yen are one short.
    err = _mined_and_reverted(
        market, lambda: call.send(a.signer, gas=GAS), errors.ERC20InsufficientBalance
    )
    assert (err.sender, err.balance, err.needed) == (a.address, jpy, jpy + 1)
    assert d.substitution.substitutions(market.house_a) == []
    # The same legs with a yen less go through.
    done = a.substitute(out={"JGB374": 10}, into=[("USD", "100.00"), ("JPY", jpy)]).value
    assert done.into == {"USD": 100, "JPY": jpy}


def test_the_last_leg_out_failing_undoes_every_leg_before_it(market: Market) -> None:
    w, d = market.world, market.world.deployment
    a = w.member_a
    a.deposit("JPY", 100_000)
    a.deposit("JGB374", 10)
    a.approve_vault("USD")
    # The token agent freezes member-a in JGBs: it can receive none, so the last leg out fails
    # after the dollars came in and the yen went out.
    w.ccp.agent.freeze("JGB374", a, reason="inquiry")
    legs = {"out": [("JPY", 50_000), ("JGB374", 10)], "into": [("USD", "1000.00")]}
    call = d.substitution.substitute(market.house_a, **legs)
    err = _mined_and_reverted(
        market, lambda: call.send(a.signer, gas=GAS), errors.TokenAccountFrozen
    )
    assert err.account == a.address
    market.refused(lambda: a.substitute(**legs), errors.TokenAccountFrozen)  # and sends nothing
    w.ccp.agent.unfreeze("JGB374", a, reason="cleared")
    a.substitute(**legs)
    assert d.vault.raw_holdings(market.house_a) == {"JPY": 50_000, "JGB374": 0, "USD": 100_000}


def test_a_counterparty_short_of_allowance_on_its_last_leg_moves_nothing(market: Market) -> None:
    w, d = market.world, market.world.deployment
    a, b = w.member_a, w.member_b
    a.deposit("JGB374", 20)
    offer = b.sign_offer(
        market.house_a, deliver=[("USD", "100.00"), ("JPY", 1_000)], take={"JGB374": 1},
        approve=False,
    )  # fmt: skip
    b.approve_vault("USD", "100.00")  # the yen are not approved
    call = d.substitution.accept_offer(offer)
    err = _mined_and_reverted(
        market, lambda: call.send(a.signer, gas=GAS), errors.ERC20InsufficientAllowance
    )
    assert (err.spender, err.allowance, err.needed) == (d.vault.address, 0, 1_000)
    assert not d.substitution.nonce_used(offer)  # still open: the counterparty may fix it
    b.approve_vault("JPY", 1_000)
    b_jgb = b.balance("JGB374")
    a.accept_offer(offer)
    assert b.balance("JGB374") == b_jgb + 1
    assert d.substitution.nonce_used(offer)


def test_a_mined_substitution_short_of_the_rule_books_nothing(market: Market) -> None:
    w, d = market.world, market.world.deployment
    a = w.member_a
    a.deposit("JGB374", 10)  # 487,575
    w.ccp.margin.post_requirements({market.house_a: 487_575}, run_id="eod")
    a.approve_vault("USD")
    a.approve_vault("JPY")
    # Every leg booked, the rule judged on the final state: 487,574 after, one yen short.
    call = d.substitution.substitute(
        market.house_a, out={"JGB374": 10}, into=[("JPY", 100_000), ("USD", "2636.56")]
    )
    err = _mined_and_reverted(
        market, lambda: call.send(a.signer, gas=GAS), errors.SubstitutionShort
    )
    assert (err.valueAfterJpy, err.requirementJpy, err.valueBeforeJpy) == (
        487_574, 487_575, 487_575,
    )  # fmt: skip
    assert err.asset == d.asset("JGB374").address


def test_approving_on_demand_sends_nothing_when_frozen_tokens_stand_behind_the_allowance(
    market: Market,
) -> None:
    """The SDK approves the vault on demand only when a missing allowance is all that stands in the
    way: tokens frozen behind it refuse the substitution before any approval is sent."""
    w, d = market.world, market.world.deployment
    b = w.member_b  # has not approved the vault for dollars
    b.deposit("JPY", 100_000)
    w.ccp.agent.freeze_tokens("USD", b, "9000.00", reason="pledge")  # 1,000.00 still free
    err = market.refused(
        lambda: b.substitute(out={"JPY": 1_000}, into={"USD": "2000.00"}),
        errors.TokenInsufficientFreeBalance,
    )
    assert (err.freeBalance, err.needed) == (100_000, 200_000)
    assert d.token("USD").allowance(b.address, d.vault.address) == 0


def test_approving_on_demand_sends_nothing_for_a_paused_asset_or_a_frozen_holder(
    market: Market,
) -> None:
    """A paused asset or a holder frozen in it is refused as the token would refuse it, with no
    approval sent first."""
    w, d = market.world, market.world.deployment
    b = w.member_b  # has not approved the vault for dollars
    b.deposit("JPY", 100_000)
    w.ccp.agent.pause("USD")
    market.refused(
        lambda: b.substitute(out={"JPY": 1_000}, into={"USD": "10.00"}), errors.EnforcedPause
    )
    w.ccp.agent.unpause("USD")
    w.ccp.agent.freeze("USD", b, reason="court order")
    market.refused(
        lambda: b.substitute(out={"JPY": 1_000}, into={"USD": "10.00"}), errors.TokenAccountFrozen
    )
    assert d.token("USD").allowance(b.address, d.vault.address) == 0
