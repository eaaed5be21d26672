"""The JDR trust on the chain: creation, cancellation in kind, the ratio, suspension, buybacks.

Every operation is checked against the trust's invariant (`JDR supply x denominator == numerator x
ETF units held`, and the ETF units in the trust cover what it holds and what pending creations
delivered). Every refusal is typed and changes nothing: wallets, supplies, no block, and the
trust's own balances, requests and invariant.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable, Iterator
from fractions import Fraction
from typing import Any

import pytest
import support
from support import JdrSeries

from pyclient import Outcome, errors
from pyclient.clock import TOKYO, from_unix, to_unix
from pyclient.contracts.jdr import JdrTrustClient
from pyclient.jdr.model import (
    CancelPolicy,
    Creation,
    Operation,
    RequestStatus,
    jdr_for,
    underlying_for,
)
from pyclient.roles.base import Role
from pyclient.units import to_bytes32

ASSETS = ("SPY", "SPY-JDR", "JPY", "USD")


# ---------------------------------------------------------------- helpers


def trust_state(trust: JdrTrustClient) -> tuple[Any, ...]:
    """Everything of the trust a refused call must leave alone."""
    d = trust.suite
    held = {a: d.token(a).balance_of(trust.address) for a in ("SPY", "JPY", "USD", trust.jdr)}
    creations = [trust.creation(i) for i in range(len(trust.history("CreationRequested")))]
    suspended = [trust.is_suspended(op) for op in Operation]
    return (
        trust.invariant(), trust.pending_creations(), trust.ratio(), trust.proposed_ratio(), held,
        creations, trust.buybacks(), suspended,
    )  # fmt: skip


def refused(jdr: JdrSeries, call: Callable[[], Any], error: type[Exception]) -> Any:
    """`support.refused` over the JDR's assets, and the trust itself unchanged."""
    before = trust_state(jdr.trust)
    err = support.refused(jdr.world, ASSETS, call, error)
    assert trust_state(jdr.trust) == before
    return err


def allow(role: Role, asset: str, trust: JdrTrustClient) -> None:
    """An unlimited allowance, so that a role's verb sends nothing before a refused call."""
    role.send(trust.suite.token(asset).approve(trust.address))


def change_ratio(jdr: JdrSeries, ratio: Fraction | int | str, reason: str) -> Outcome[Fraction]:
    """The trust bank proposes `ratio` and the settlor confirms it: the confirmation's outcome."""
    jdr.bank.propose_ratio_change(jdr.symbol, ratio, reason=reason)
    return jdr.settlor.confirm_ratio_change(jdr.symbol)


def create(jdr: JdrSeries, etf_units: int) -> Creation:
    """The settlor delivers `etf_units` and the trust bank approves: JDRs to the settlor."""
    requested = jdr.settlor.create(jdr.symbol, etf_units).value
    return jdr.bank.approve_creation(jdr.symbol, requested.id).value


def holding(jdr: JdrSeries, **units: int) -> None:
    """Create the JDRs and hand them out: `holding(jdr, member_a=300, member_b=200)`; the rest
    of the 1,000 stays with the settlor."""
    create(jdr, 100)
    for name, n in units.items():
        jdr.settlor.transfer(jdr.symbol, name.replace("_", "-"), n)


def today(jdr: JdrSeries) -> dt.date:
    return from_unix(jdr.world.deployment.chain_time()).date()


@pytest.fixture
def new_series(jdr: JdrSeries) -> Iterator[Callable[..., JdrTrustClient]]:
    """Create and list another SPY series (the fixture's deed unless overridden)."""
    d = jdr.world.deployment

    def make(symbol: str, **deed: Any) -> JdrTrustClient:
        terms = {
            "name": f"{symbol} series", "underlying": "SPY", "settlor": "etf-manager",
            "ratio": 10, "trust_fee_bps": 20, "listing_date": today(jdr), "buyback_minimum": 10,
        } | deed  # fmt: skip
        jdr.bank.create_series(symbol=symbol, **terms)
        jdr.world.ccp.jdr.list_series(symbol)
        return d.jdr(symbol)

    yield make


# ---------------------------------------------------------------- creation


def test_a_creation_holds_the_etf_units_pending_until_the_trust_bank_approves_it(
    jdr: JdrSeries,
) -> None:
    t, settlor = jdr.trust, jdr.settlor
    requested = settlor.create(jdr.symbol, 100)
    c = requested.value
    assert (c.requester, c.recipient, c.underlying_units, c.jdr_units, c.status) == (
        settlor.address, settlor.address, 100, 1_000, RequestStatus.PENDING,
    )  # fmt: skip
    assert settlor.balance("SPY") == 9_900
    assert jdr.world.deployment.token("SPY").balance_of(t.address) == 100
    assert t.pending_creations() == (1, 100, 1_000)
    assert t.invariant() == (0, 0, True)  # pending units are not held yet

    approved = jdr.bank.approve_creation(jdr.symbol, c.id)
    assert approved.value.status is RequestStatus.DONE
    (ev,) = approved.named("CreationApproved")
    assert (ev["recipient"], ev["underlyingUnits"], ev["jdrUnits"]) == (settlor.address, 100, 1_000)
    assert settlor.balance(jdr.symbol) == 1_000
    assert t.pending_creations() == (0, 0, 0)
    assert t.invariant() == (1_000, 100, True)


@pytest.mark.parametrize("etf_units", [1, 7, 13])
def test_at_ratio_10_any_whole_number_of_etf_units_creates_ten_jdrs_each(
    jdr: JdrSeries, etf_units: int
) -> None:
    assert create(jdr, etf_units).jdr_units == jdr_for(etf_units, Fraction(10)) == 10 * etf_units
    assert jdr.settlor.balance(jdr.symbol) == 10 * etf_units
    assert jdr.trust.invariant() == (10 * etf_units, etf_units, True)


def test_at_ratio_5_2_an_odd_number_of_etf_units_is_refused_naming_the_nearest_exact_amounts(
    jdr: JdrSeries,
) -> None:
    t, settlor = jdr.trust, jdr.settlor
    holding(jdr)  # 1,000 JDR on 100 ETF units
    split = change_ratio(jdr, "5/2", "ETF 4-for-1 split")
    assert split.value == Fraction(5, 2)
    assert t.invariant() == (1_000, 400, True)

    err = refused(jdr, lambda: settlor.create(jdr.symbol, 3), errors.AmountNotExact)
    assert "2 SPY and 4 SPY" in str(err)
    # The contract refuses it too, when asked directly.
    err = refused(
        jdr,
        lambda: settlor.send(t.call("requestCreation", 3, settlor.address)),
        errors.JdrAmountNotExact,
    )
    assert (err.requested, err.below, err.above) == (3, 2, 4)

    assert create(jdr, 4).jdr_units == 10
    assert t.invariant() == (1_010, 404, True)


def test_the_ratio_of_an_empty_trust_changes_when_the_bank_proposes_and_the_settlor_confirms(
    jdr: JdrSeries,
) -> None:
    proposed = jdr.bank.propose_ratio_change(jdr.symbol, "5/2", reason="ETF 4-for-1 split")
    assert proposed.value == Fraction(5, 2)
    assert (jdr.trust.ratio(), jdr.trust.proposed_ratio()) == (10, Fraction(5, 2))
    assert jdr.settlor.confirm_ratio_change(jdr.symbol).value == Fraction(5, 2)
    assert (jdr.trust.ratio(), jdr.trust.proposed_ratio()) == (Fraction(5, 2), None)


def test_creation_up_to_the_cap_is_allowed_and_one_step_beyond_is_refused(
    jdr: JdrSeries, new_series: Callable[..., JdrTrustClient]
) -> None:
    small = new_series("CAP-JDR", creation_cap=50)
    settlor = jdr.settlor
    allow(settlor, "SPY", small)
    first = settlor.create("CAP-JDR", 3).value  # 30 pending count towards the cap
    second = settlor.create("CAP-JDR", 2).value  # 50: exactly the cap
    assert small.pending_creations() == (2, 5, 50)

    before = small.pending_creations(), small.invariant()
    err = support.refused(
        jdr.world, (*ASSETS, "CAP-JDR"), lambda: settlor.create("CAP-JDR", 1),
        errors.JdrCreationCapExceeded,
    )  # fmt: skip
    assert (err.cap, err.outstanding, err.requested) == (50, 50, 10)
    assert (small.pending_creations(), small.invariant()) == before

    for c in (first, second):
        jdr.bank.approve_creation("CAP-JDR", c.id)
    assert small.invariant() == (50, 5, True)
    err = support.refused(
        jdr.world, (*ASSETS, "CAP-JDR"), lambda: settlor.create("CAP-JDR", 1),
        errors.JdrCreationCapExceeded,
    )  # fmt: skip
    assert (err.outstanding, err.requested) == (50, 10)


def test_only_the_settlor_or_an_authorised_participant_may_request_a_creation(
    jdr: JdrSeries,
) -> None:
    w, t = jdr.world, jdr.trust
    a = w.member_a
    w.issuer.issue("SPY", "member-a", 20, ref="etf delivered")
    allow(a, "SPY", t)
    err = refused(
        jdr, lambda: a.request_creation(jdr.symbol, 5), errors.JdrNotAuthorisedParticipant
    )
    assert err.account == a.address

    jdr.bank.authorise_participant(jdr.symbol, "member-a")
    assert t.is_authorised_participant("member-a")
    c = a.request_creation(jdr.symbol, 5, recipient="member-b").value
    assert (c.requester, c.recipient, c.jdr_units) == (a.address, w.member_b.address, 50)
    jdr.bank.approve_creation(jdr.symbol, c.id)
    assert (a.balance("SPY"), w.member_b.balance(jdr.symbol)) == (15, 50)
    assert t.invariant() == (50, 5, True)

    jdr.bank.authorise_participant(jdr.symbol, "member-a", False)
    refused(jdr, lambda: a.request_creation(jdr.symbol, 5), errors.JdrNotAuthorisedParticipant)


def test_a_rejected_creation_returns_the_etf_units_to_the_requester(jdr: JdrSeries) -> None:
    t, settlor = jdr.trust, jdr.settlor
    c = settlor.create(jdr.symbol, 10).value
    rejected = jdr.bank.reject_creation(jdr.symbol, c.id, reason="late")
    assert rejected.value.status is RequestStatus.REFUSED
    (ev,) = rejected.named("CreationRejected")
    assert (ev["requester"], ev["underlyingUnits"], ev["reason"]) == (
        settlor.address, 10, to_bytes32("late"),
    )  # fmt: skip
    assert settlor.balance("SPY") == 10_000
    assert jdr.world.deployment.token("SPY").balance_of(t.address) == 0
    assert (t.pending_creations(), t.invariant()) == ((0, 0, 0), (0, 0, True))
    assert jdr.world.deployment.token(jdr.symbol).total_supply() == 0


def test_a_creation_is_approved_once_and_only_by_the_trust_bank(jdr: JdrSeries) -> None:
    pending = jdr.settlor.create(jdr.symbol, 10).value
    err = refused(
        jdr, lambda: jdr.settlor.send(jdr.trust.approve_creation(pending.id)),
        errors.AccessControlUnauthorizedAccount,
    )  # fmt: skip
    assert err.account == jdr.settlor.address

    jdr.bank.approve_creation(jdr.symbol, pending.id)
    for again in (
        lambda: jdr.bank.approve_creation(jdr.symbol, pending.id),
        lambda: jdr.bank.reject_creation(jdr.symbol, pending.id, reason="too late"),
    ):
        err = refused(jdr, again, errors.JdrCreationNotPending)
        assert (err.id, err.status) == (pending.id, RequestStatus.DONE)
    err = refused(
        jdr, lambda: jdr.bank.approve_creation(jdr.symbol, 7), errors.JdrCreationNotPending
    )
    assert err.status is RequestStatus.NONE
    assert jdr.trust.invariant() == (100, 10, True)


# ---------------------------------------------------------------- cancellation in kind


def test_an_unconfirmed_holder_may_not_cancel_under_the_eligible_holders_policy(
    jdr: JdrSeries,
) -> None:
    holding(jdr, member_a=300)
    a = jdr.world.member_a
    assert jdr.trust.deed().cancel_policy is CancelPolicy.ELIGIBLE_HOLDERS
    err = refused(jdr, lambda: a.cancel_in_kind(jdr.symbol, 100), errors.JdrCancelNotPermitted)
    assert (err.holder, err.policy) == (a.address, CancelPolicy.ELIGIBLE_HOLDERS)

    jdr.bank.confirm_cancel_eligible(jdr.symbol, "member-a")
    jdr.bank.confirm_cancel_eligible(jdr.symbol, "member-a", False)  # withdrawn again
    refused(jdr, lambda: a.cancel_in_kind(jdr.symbol, 100), errors.JdrCancelNotPermitted)


def test_a_confirmed_holder_cancels_in_kind_jdrs_burnt_etf_units_delivered_never_cash(
    jdr: JdrSeries,
) -> None:
    d, t = jdr.world.deployment, jdr.trust
    holding(jdr, member_a=300)
    a = jdr.world.member_a
    jdr.bank.confirm_cancel_eligible(jdr.symbol, "member-a")
    cash_before = (a.balance("JPY"), a.balance("USD"), d.token("JPY").balance_of(t.address))

    out = a.cancel_in_kind(jdr.symbol, 120)
    assert out.value == underlying_for(120, Fraction(10)) == 12
    assert (a.balance(jdr.symbol), a.balance("SPY")) == (180, 12)
    assert d.token(jdr.symbol).total_supply() == 880
    assert t.invariant() == (880, 88, True)
    assert d.token("SPY").balance_of(t.address) == 88
    (ev,) = out.named("CancelledInKind")
    assert (ev["holder"], ev["jdrUnits"], ev["underlyingUnits"]) == (a.address, 120, 12)
    # Never cash: only the JDR (burnt) and the ETF units moved.
    moved = {e.address for e in out.named("Transfer")}
    assert moved == {d.asset(jdr.symbol).address, d.asset("SPY").address}
    assert (a.balance("JPY"), a.balance("USD"), d.token("JPY").balance_of(t.address)) == (
        cash_before
    )


def test_cancelling_more_than_the_free_balance_is_refused(jdr: JdrSeries) -> None:
    holding(jdr, member_a=300)
    a = jdr.world.member_a
    jdr.bank.confirm_cancel_eligible(jdr.symbol, "member-a")
    err = refused(jdr, lambda: a.cancel_in_kind(jdr.symbol, 310), errors.JdrHolderShort)
    assert (err.holder, err.balance, err.units) == (a.address, 300, 310)

    jdr.world.ccp.agent.freeze_tokens(jdr.symbol, "member-a", 150, reason="court order")
    err = refused(jdr, lambda: a.cancel_in_kind(jdr.symbol, 200), errors.JdrHolderShort)
    assert (err.balance, err.units) == (150, 200)


def test_an_inexact_cancellation_is_refused_before_sending_and_by_the_contract(
    jdr: JdrSeries,
) -> None:
    holding(jdr, member_a=300)
    a = jdr.world.member_a
    jdr.bank.confirm_cancel_eligible(jdr.symbol, "member-a")
    err = refused(jdr, lambda: a.cancel_in_kind(jdr.symbol, 15), errors.AmountNotExact)
    assert "10 SPY-JDR and 20 SPY-JDR" in str(err)
    err = refused(jdr, lambda: a.send(jdr.trust.call("cancelInKind", 15)), errors.JdrAmountNotExact)
    assert (err.requested, err.below, err.above) == (15, 10, 20)


def test_cancellation_while_suspended_is_refused(jdr: JdrSeries) -> None:
    holding(jdr, member_a=300)
    a = jdr.world.member_a
    jdr.bank.confirm_cancel_eligible(jdr.symbol, "member-a")
    jdr.bank.suspend(jdr.symbol, Operation.CANCELLATION, reason="ETF market closed")
    err = refused(jdr, lambda: a.cancel_in_kind(jdr.symbol, 100), errors.JdrOperationSuspended)
    assert err.operation is Operation.CANCELLATION


# ---------------------------------------------------------------- the ratio


def test_an_etf_split_halves_the_ratio_and_the_trust_bank_delivers_the_extra_units(
    jdr: JdrSeries,
) -> None:
    d, t, bank, settlor = jdr.world.deployment, jdr.trust, jdr.bank, jdr.settlor
    holding(jdr, member_a=300)
    proposed = bank.propose_ratio_change(jdr.symbol, 5, reason="ETF 2-for-1 split")
    (ev,) = proposed.named("RatioChangeProposed")
    assert (ev["numerator"], ev["denominator"], ev["reason"], ev["trustee"]) == (
        5, 1, to_bytes32("ETF 2-for-1 split"), bank.address,
    )  # fmt: skip
    assert d.token("SPY").allowance(bank, t.address) == 100  # approved for what the split draws
    assert (t.ratio(), t.proposed_ratio(), t.invariant()) == (10, 5, (1_000, 100, True))

    out = settlor.confirm_ratio_change(jdr.symbol)
    assert out.value == Fraction(5)
    assert bank.balance("SPY") == 900  # 100 more ETF units now back the same JDRs: the bank's
    assert settlor.balance("SPY") == 9_900  # the settlor only confirms
    assert d.token("SPY").balance_of(t.address) == 200
    assert (t.invariant(), t.proposed_ratio()) == ((1_000, 200, True), None)
    assert (settlor.balance(jdr.symbol), jdr.world.member_a.balance(jdr.symbol)) == (700, 300)
    (ev,) = out.named("RatioChanged")
    assert (ev["oldNumerator"], ev["numerator"], ev["heldBefore"], ev["heldAfter"]) == (
        10, 5, 100, 200,
    )  # fmt: skip
    assert ev["reason"] == to_bytes32("ETF 2-for-1 split")


def test_an_etf_consolidation_doubles_the_ratio_and_the_trust_bank_takes_half_the_units_back(
    jdr: JdrSeries,
) -> None:
    d, t, bank = jdr.world.deployment, jdr.trust, jdr.bank
    holding(jdr, member_a=300)
    assert change_ratio(jdr, 20, "ETF 1-for-2 consolidation").value == 20
    assert bank.balance("SPY") == 1_050
    assert jdr.settlor.balance("SPY") == 9_900  # the units go to the bank, not to who confirmed
    assert d.token("SPY").balance_of(t.address) == 50
    assert t.invariant() == (1_000, 50, True)
    assert (jdr.settlor.balance(jdr.symbol), jdr.world.member_a.balance(jdr.symbol)) == (700, 300)
    # Cancellation follows the new ratio: 20 JDR per ETF unit.
    jdr.bank.confirm_cancel_eligible(jdr.symbol, "member-a")
    assert jdr.world.member_a.cancel_in_kind(jdr.symbol, 300).value == 15
    assert t.invariant() == (700, 35, True)


def test_the_trust_bank_alone_cannot_change_the_ratio_nor_take_etf_units_out(
    jdr: JdrSeries,
) -> None:
    """Review finding 1: a "split" to 1,000 JDR per unit that never happened sent the trust bank
    99 of the 100 SPY units, and the invariant still held. Now it is only a proposal, which the
    settlor does not confirm."""
    d, t, bank = jdr.world.deployment, jdr.trust, jdr.bank
    holding(jdr, member_a=300)
    spy = bank.balance("SPY")
    proposed = bank.propose_ratio_change(jdr.symbol, 1_000, reason="split")
    assert proposed.value == 1_000
    assert proposed.named("RatioChanged") == [] and proposed.named("Transfer") == []
    assert (t.ratio(), t.proposed_ratio()) == (10, 1_000)
    assert bank.balance("SPY") == spy
    assert d.token("SPY").balance_of(t.address) == 100
    assert t.invariant() == (1_000, 100, True)
    # Nor does the contract let the bank confirm its own proposal, or any one alone.
    err = refused(
        jdr, lambda: bank.send(t.confirm_ratio_change()), errors.AccessControlUnauthorizedAccount
    )
    assert err.account == bank.address
    err = refused(
        jdr, lambda: jdr.settlor.send(t.propose_ratio_change(20, reason="consolidation")),
        errors.AccessControlUnauthorizedAccount,
    )  # fmt: skip
    assert err.account == jdr.settlor.address


def test_a_ratio_change_is_confirmed_once_and_a_new_proposal_replaces_the_last(
    jdr: JdrSeries,
) -> None:
    t, bank, settlor = jdr.trust, jdr.bank, jdr.settlor
    holding(jdr)
    refused(jdr, lambda: settlor.confirm_ratio_change(jdr.symbol), errors.JdrNoRatioChangeProposed)
    bank.propose_ratio_change(jdr.symbol, 1_000, reason="split")
    bank.propose_ratio_change(jdr.symbol, 20, reason="ETF 1-for-2 consolidation")
    assert t.proposed_ratio() == 20
    assert settlor.confirm_ratio_change(jdr.symbol).value == 20
    assert (t.ratio(), t.proposed_ratio(), t.invariant()) == (20, None, (1_000, 50, True))
    refused(jdr, lambda: settlor.confirm_ratio_change(jdr.symbol), errors.JdrNoRatioChangeProposed)


def test_a_split_confirmed_after_more_jdrs_were_created_needs_the_bank_to_propose_again(
    jdr: JdrSeries,
) -> None:
    """The bank approves the units a split draws when it proposes; JDRs created before the
    settlor confirms need more than that: refused, and proposing again approves the rest."""
    d, t, bank = jdr.world.deployment, jdr.trust, jdr.bank
    holding(jdr)
    bank.propose_ratio_change(jdr.symbol, 5, reason="ETF 2-for-1 split")  # 100 SPY approved
    create(jdr, 10)  # 1,100 JDR: the split now draws 110
    err = refused(
        jdr, lambda: jdr.settlor.confirm_ratio_change(jdr.symbol), errors.ERC20InsufficientAllowance
    )
    assert (err.spender, err.allowance, err.needed) == (t.address, 100, 110)
    bank.propose_ratio_change(jdr.symbol, 5, reason="ETF 2-for-1 split")
    assert d.token("SPY").allowance(bank, t.address) == 110
    assert jdr.settlor.confirm_ratio_change(jdr.symbol).value == 5
    assert t.invariant() == (1_100, 220, True)


def test_the_ratio_cannot_change_while_a_creation_is_pending(jdr: JdrSeries) -> None:
    holding(jdr)
    jdr.settlor.create(jdr.symbol, 10)
    jdr.bank.propose_ratio_change(jdr.symbol, 20, reason="consolidation")  # a proposal may wait
    err = refused(
        jdr, lambda: jdr.settlor.confirm_ratio_change(jdr.symbol), errors.JdrCreationsPending
    )
    assert err.count == 1


def test_a_ratio_that_would_leave_the_supply_not_exactly_backed_is_refused(
    jdr: JdrSeries,
) -> None:
    holding(jdr)  # 1,000 JDR: 1,000 / 3 ETF units is not whole
    jdr.bank.propose_ratio_change(jdr.symbol, 3, reason="odd split")
    err = refused(
        jdr, lambda: jdr.settlor.confirm_ratio_change(jdr.symbol), errors.JdrRatioBreaksInvariant
    )
    assert (err.supply, err.numerator, err.denominator) == (1_000, 3, 1)


def test_a_ratio_not_in_lowest_terms_is_refused_by_the_contract(jdr: JdrSeries) -> None:
    holding(jdr)
    err = refused(
        jdr,
        lambda: jdr.bank.send(jdr.trust.call("changeRatio", 20, 2, to_bytes32("split"))),
        errors.JdrRatioInvalid,
    )
    assert (err.numerator, err.denominator) == (20, 2)


def test_a_float_ratio_is_refused_before_anything_is_built(jdr: JdrSeries) -> None:
    refused(jdr, lambda: jdr.trust.propose_ratio_change(0.5, reason="split"), errors.RatioRefused)


def test_the_trust_bank_refuses_a_float_ratio_before_sending_anything(jdr: JdrSeries) -> None:
    holding(jdr)
    refused(
        jdr, lambda: jdr.bank.propose_ratio_change(jdr.symbol, 0.5, reason="x"),
        errors.RatioRefused,
    )  # fmt: skip


# ---------------------------------------------------------------- suspension


def _attempt(jdr: JdrSeries, op: Operation) -> Callable[[], Any]:
    a = jdr.world.member_a
    return {
        Operation.CREATION: lambda: jdr.settlor.create(jdr.symbol, 1),
        Operation.CANCELLATION: lambda: a.cancel_in_kind(jdr.symbol, 10),
        Operation.BUYBACK: lambda: a.request_buyback(jdr.symbol, 10, 90_000),
    }[op]


@pytest.mark.parametrize("op", list(Operation))
def test_a_suspension_refuses_that_operation_alone_until_resumed_with_the_reasons_disclosed(
    jdr: JdrSeries, op: Operation
) -> None:
    t, bank = jdr.trust, jdr.bank
    holding(jdr, member_a=300)
    bank.confirm_cancel_eligible(jdr.symbol, "member-a")
    allow(jdr.settlor, "SPY", t)
    allow(jdr.world.member_a, jdr.symbol, t)

    out = bank.suspend(jdr.symbol, op, reason="ETF suspended in New York")
    (ev,) = out.named("OperationSuspended")
    assert (ev["operation"], ev["reason"], ev["trustee"]) == (
        op, to_bytes32("ETF suspended in New York"), bank.address,
    )  # fmt: skip
    assert [t.is_suspended(o) for o in Operation] == [o is op for o in Operation]
    err = refused(jdr, _attempt(jdr, op), errors.JdrOperationSuspended)
    assert err.operation is op
    for other in Operation:
        if other is not op:
            _attempt(jdr, other)()
    assert t.invariant()[2]

    out = bank.resume(jdr.symbol, op, reason="ETF trading again")
    (ev,) = out.named("OperationResumed")
    assert (ev["operation"], ev["reason"]) == (op, to_bytes32("ETF trading again"))
    assert not t.is_suspended(op)
    _attempt(jdr, op)()
    assert t.invariant()[2]


def test_suspended_creation_cannot_be_approved_but_can_be_rejected(jdr: JdrSeries) -> None:
    pending = jdr.settlor.create(jdr.symbol, 10).value
    jdr.bank.suspend(jdr.symbol, Operation.CREATION, reason="ETF suspended")
    err = refused(
        jdr, lambda: jdr.bank.approve_creation(jdr.symbol, pending.id), errors.JdrOperationSuspended
    )
    assert err.operation is Operation.CREATION
    jdr.bank.reject_creation(jdr.symbol, pending.id, reason="ETF suspended")
    assert jdr.settlor.balance("SPY") == 10_000


@pytest.mark.parametrize("op", list(Operation))
def test_suspending_twice_or_resuming_a_running_operation_is_refused(
    jdr: JdrSeries, op: Operation
) -> None:
    err = refused(
        jdr, lambda: jdr.bank.resume(jdr.symbol, op, reason="x"), errors.JdrSuspensionUnchanged
    )
    assert (err.operation, err.suspended) == (op, False)
    jdr.bank.suspend(jdr.symbol, op, reason="x")
    err = refused(
        jdr, lambda: jdr.bank.suspend(jdr.symbol, op, reason="x"), errors.JdrSuspensionUnchanged
    )
    assert (err.operation, err.suspended) == (op, True)


def test_only_the_trust_bank_suspends(jdr: JdrSeries) -> None:
    refused(
        jdr,
        lambda: jdr.settlor.send(jdr.trust.suspend(Operation.CREATION, reason="x")),
        errors.AccessControlUnauthorizedAccount,
    )


# ---------------------------------------------------------------- buyback


def test_a_buyback_below_the_deeds_minimum_is_refused(jdr: JdrSeries) -> None:
    holding(jdr, member_a=300)
    a = jdr.world.member_a
    allow(a, jdr.symbol, jdr.trust)
    err = refused(
        jdr, lambda: a.request_buyback(jdr.symbol, 9, 81_000), errors.JdrBuybackBelowMinimum
    )
    assert (err.units, err.minimum) == (9, 10)
    assert a.request_buyback(jdr.symbol, 10, 90_000).value.status is RequestStatus.PENDING


def test_a_buyback_before_the_listing_date_is_refused(
    jdr: JdrSeries, new_series: Callable[..., JdrTrustClient]
) -> None:
    listing = today(jdr) + dt.timedelta(days=7)
    later = new_series("NEW-JDR", listing_date=listing)
    c = jdr.settlor.create("NEW-JDR", 10).value  # creation needs no listing
    jdr.bank.approve_creation("NEW-JDR", c.id)
    allow(jdr.settlor, "NEW-JDR", later)
    err = support.refused(
        jdr.world, (*ASSETS, "NEW-JDR"),
        lambda: jdr.settlor.request_buyback("NEW-JDR", 50, 450_000), errors.JdrNotListedYet,
    )  # fmt: skip
    assert err.listingDate == to_unix(dt.datetime.combine(listing, dt.time(), TOKYO))
    assert later.buybacks() == []


def test_an_accepted_buyback_settles_delivery_versus_payment_in_one_transaction(
    jdr: JdrSeries,
) -> None:
    d, settlor = jdr.world.deployment, jdr.settlor
    holding(jdr, member_a=300)
    a = jdr.world.member_a
    request = a.request_buyback(jdr.symbol, 100, 900_000).value
    assert (request.holder, request.units, request.price_jpy) == (a.address, 100, 900_000)
    assert a.balance(jdr.symbol) == 300  # stays with the holder until settlement
    yen = (a.balance("JPY"), settlor.balance("JPY"))

    out = settlor.accept_buyback(jdr.symbol, request.id)
    assert out.value.status is RequestStatus.DONE
    transfers = {(e.address, e["from"], e["to"], e["value"]) for e in out.named("Transfer")}
    assert transfers == {
        (d.asset(jdr.symbol).address, a.address, settlor.address, 100),
        (d.asset("JPY").address, settlor.address, a.address, 900_000),
    }
    (ev,) = out.named("BuybackSettled")
    assert (ev["holder"], ev["settlor"], ev["units"], ev["priceJpy"]) == (
        a.address, settlor.address, 100, 900_000,
    )  # fmt: skip
    assert (a.balance(jdr.symbol), settlor.balance(jdr.symbol)) == (200, 800)
    assert (a.balance("JPY"), settlor.balance("JPY")) == (yen[0] + 900_000, yen[1] - 900_000)
    assert jdr.trust.invariant() == (1_000, 100, True)  # a sale between holders: supply unchanged
    allow(settlor, "JPY", jdr.trust)
    refused(
        jdr, lambda: settlor.accept_buyback(jdr.symbol, request.id), errors.JdrBuybackNotPending
    )


def test_a_declined_buyback_moves_nothing_and_cannot_be_accepted_afterwards(
    jdr: JdrSeries,
) -> None:
    holding(jdr, member_a=300)
    a, settlor = jdr.world.member_a, jdr.settlor
    request = a.request_buyback(jdr.symbol, 100, 900_000).value
    out = settlor.decline_buyback(jdr.symbol, request.id, reason="price too high")
    assert out.value.status is RequestStatus.REFUSED
    assert out.named("Transfer") == []
    allow(settlor, "JPY", jdr.trust)
    err = refused(
        jdr, lambda: settlor.accept_buyback(jdr.symbol, request.id), errors.JdrBuybackNotPending
    )
    assert err.status is RequestStatus.REFUSED
    assert a.balance(jdr.symbol) == 300


def test_only_the_requesting_holder_may_withdraw_its_buyback(jdr: JdrSeries) -> None:
    holding(jdr, member_a=300, member_b=100)
    a, b = jdr.world.member_a, jdr.world.member_b
    request = a.request_buyback(jdr.symbol, 100, 900_000).value
    err = refused(
        jdr, lambda: b.withdraw_buyback(jdr.symbol, request.id), errors.JdrNotBuybackHolder
    )
    assert (err.id, err.caller) == (request.id, b.address)

    assert a.withdraw_buyback(jdr.symbol, request.id).value.status is RequestStatus.WITHDRAWN
    allow(jdr.settlor, "JPY", jdr.trust)
    err = refused(
        jdr, lambda: jdr.settlor.accept_buyback(jdr.symbol, request.id), errors.JdrBuybackNotPending
    )
    assert err.status is RequestStatus.WITHDRAWN


def test_a_buyback_whose_holder_moved_its_jdrs_away_fails_typed_and_changes_nothing(
    jdr: JdrSeries,
) -> None:
    holding(jdr, member_a=300)
    a, settlor = jdr.world.member_a, jdr.settlor
    request = a.request_buyback(jdr.symbol, 100, 900_000).value
    a.transfer(jdr.symbol, "member-b", 300)
    allow(settlor, "JPY", jdr.trust)
    err = refused(
        jdr, lambda: settlor.accept_buyback(jdr.symbol, request.id),
        errors.ERC20InsufficientBalance,
    )  # fmt: skip
    assert (err.sender, err.balance, err.needed) == (a.address, 0, 100)
    assert jdr.trust.buyback(request.id).status is RequestStatus.PENDING


def test_two_pending_buybacks_of_one_holder_both_settle_whichever_is_accepted_first(
    jdr: JdrSeries,
) -> None:
    """Review finding 7: the holder's approval covered its last request only, so the second
    acceptance failed, after the settlor had sent a JPY approval for it."""
    d, t, settlor = jdr.world.deployment, jdr.trust, jdr.settlor
    holding(jdr, member_a=300)
    a = jdr.world.member_a
    first = a.request_buyback(jdr.symbol, 100, 900_000).value
    second = a.request_buyback(jdr.symbol, 100, 800_000).value
    assert d.token(jdr.symbol).allowance(a, t.address) == 200  # one approval on top of the other
    yen = (a.balance("JPY"), settlor.balance("JPY"))

    for request in (second, first):
        assert settlor.accept_buyback(jdr.symbol, request.id).value.status is RequestStatus.DONE
    assert (a.balance(jdr.symbol), settlor.balance(jdr.symbol)) == (100, 900)
    assert (a.balance("JPY"), settlor.balance("JPY")) == (yen[0] + 1_700_000, yen[1] - 1_700_000)
    assert d.token(jdr.symbol).allowance(a, t.address) == 0
    assert t.invariant() == (1_000, 100, True)


def test_a_buyback_whose_holder_took_its_approval_back_is_refused_and_the_settlor_sends_nothing(
    jdr: JdrSeries,
) -> None:
    """The settlor's yen are approved; the holder's JDR allowance is what is short, which no
    approval of the settlor's would mend: refused as the chain refuses it, nothing sent."""
    d, t, settlor = jdr.world.deployment, jdr.trust, jdr.settlor
    holding(jdr, member_a=300)
    a = jdr.world.member_a
    request = a.request_buyback(jdr.symbol, 100, 900_000).value
    a.send(d.token(jdr.symbol).approve(t.address, 0))
    allow(settlor, "JPY", t)
    err = refused(
        jdr, lambda: settlor.accept_buyback(jdr.symbol, request.id),
        errors.ERC20InsufficientAllowance,
    )  # fmt: skip
    assert (err.spender, err.allowance, err.needed) == (t.address, 0, 100)
    assert t.buyback(request.id).status is RequestStatus.PENDING
