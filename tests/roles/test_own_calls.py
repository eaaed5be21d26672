"""A member's and a client's own margin calls: what each answers for, read from the chain."""

from __future__ import annotations

from support import Market

from pyclient import CallStatus, CallType
from pyclient.collateral import ShareStatus
from pyclient.roles import ClientCall


def call_everyone(market: Market) -> dict[int, int]:
    """A requirement on every account of the market, each called: account -> call id."""
    w = market.world
    accounts = [market.house_a, market.omnibus_a, market.fund_a, market.house_b,
                market.segregated]  # fmt: skip
    w.ccp.margin.post_requirements(dict.fromkeys(accounts, 100_000), run_id="eod")
    calls = w.ccp.margin.issue_margin_calls(accounts, CallType.REGULAR).value.calls
    return {c.account: c.id for c in calls}


def test_a_member_sees_the_calls_on_every_account_it_answers_for(market: Market) -> None:
    w = market.world
    called = call_everyone(market)
    mine = [market.house_a, market.omnibus_a, market.fund_a]
    assert [c.id for c in w.member_a.margin_calls()] == [called[a] for a in mine]
    # member-b answers for its house account and its segregated client's account.
    assert {c.account for c in w.member_b.margin_calls()} == {market.house_b, market.segregated}
    w.member_a.deposit("JPY", 100_000)  # meets the house call
    still = w.member_a.margin_calls()
    assert [c.account for c in still] == [market.omnibus_a, market.fund_a]
    assert all(c.status is CallStatus.ISSUED for c in still)
    every = w.member_a.margin_calls(open_only=False)
    assert [(c.account, c.status) for c in every] == [
        (market.house_a, CallStatus.MET), (market.omnibus_a, CallStatus.ISSUED),
        (market.fund_a, CallStatus.ISSUED),
    ]  # fmt: skip


def test_a_segregated_client_sees_the_calls_on_its_own_account(market: Market) -> None:
    w = market.world
    called = call_everyone(market)
    (own,) = w.client_seg.margin_calls()
    assert isinstance(own, ClientCall) and own.share is None
    assert (own.call.id, own.amount_jpy, own.open) == (called[market.segregated], 100_000, True)
    assert own.deadline == own.call.deadline
    w.client_seg.deposit("JPY", 100_000)
    assert w.client_seg.margin_calls() == []
    (met,) = w.client_seg.margin_calls(open_only=False)
    assert met.call.status is CallStatus.MET and not met.open


def test_an_omnibus_client_sees_its_share_once_passed_on_and_until_paid(market: Market) -> None:
    w = market.world
    called = call_everyone(market)
    assert w.client_omni.margin_calls(open_only=False) == []  # the member's to pass on first
    call_id = called[market.omnibus_a]
    w.member_a.pass_on_margin_call(call_id, {"client-omni": 100_000})
    (share,) = w.client_omni.margin_calls()
    assert share.call.id == call_id and share.share is not None
    assert (share.amount_jpy, share.share.status, share.open) == (100_000, ShareStatus.OWED, True)
    assert share.deadline == share.share.deadline
    w.client_omni.deposit("JPY", 100_000)  # its deposit counts toward its share
    assert w.client_omni.margin_calls() == []
    (paid,) = w.client_omni.margin_calls(open_only=False)
    assert paid.share is not None and paid.share.met and not paid.open
    assert w.client_seg.margin_calls(open_only=False)[0].call.account == market.segregated
