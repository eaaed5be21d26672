"""Calls built but not sent, outcomes, and batch verbs: the layer between plumbing and roles."""

from __future__ import annotations

import pytest
from eth_account import Account
from support import Market, World, refused

from pyclient import AccountKind, AccountType, Admission, CallType, Kind, errors, send_all
from pyclient.contracts import Call, Outcome


def test_a_call_is_built_without_sending_anything(world: World) -> None:
    block = world.chain.w3.eth.block_number
    call = world.deployment.token("JPY").transfer("member-b", 250)
    assert isinstance(call, Call) and call.label == "token.transfer"
    assert call.to == world.deployment.assets["JPY"].address
    assert call.data.startswith("0xa9059cbb")  # transfer(address,uint256)
    assert 21_000 < call.estimate("member-a") < 100_000
    assert world.chain.w3.eth.block_number == block


def test_an_unsigned_transaction_signed_elsewhere_is_accepted(world: World) -> None:
    """A custody system can sign what the SDK builds; the SDK never needs the key."""
    tx = world.deployment.token("JPY").transfer("member-b", 250).transaction("member-a")
    assert tx["from"] == world.member_a.address and tx["gas"] > 21_000
    assert tx["nonce"] == world.chain.w3.eth.get_transaction_count(world.member_a.address)
    signed = Account.sign_transaction(tx, world.member_a.signer.key)
    tx_hash = world.chain.w3.eth.send_raw_transaction(signed.raw_transaction)
    assert world.chain.w3.eth.wait_for_transaction_receipt(tx_hash)["status"] == 1
    world.chain.nonces.forget(world.member_a.address)
    assert world.member_b.balance("JPY") == 1_000_250


def test_estimating_a_call_that_would_revert_raises_its_typed_error(world: World) -> None:
    call = world.deployment.token("JPY").transfer(world.outsider.address, 1)
    with pytest.raises(errors.ParticipantUnknown):
        call.estimate("member-a")
    with pytest.raises(errors.ParticipantUnknown):
        call.transaction("member-a")
    refused(world, ("JPY",), lambda: world.member_a.send(call), errors.ParticipantUnknown)


def test_an_outcome_carries_receipt_events_and_the_value_wanted(market: Market) -> None:
    w = market.world
    outcome = w.ccp.margin.open_account("member-b", AccountKind.OMNIBUS)
    assert isinstance(outcome, Outcome)
    assert outcome.value == w.deployment.vault.account_id("member-b", AccountKind.OMNIBUS)
    assert outcome.value == w.member_b.account_id(AccountKind.OMNIBUS)
    (opened,) = outcome.named("AccountOpened")
    assert (opened.contract, opened["account"], opened["owner"]) == (
        "collateral vault", outcome.value, w.member_b.address,
    )  # fmt: skip
    assert outcome.receipt.block_number == outcome.block_number == opened.block_number
    assert w.chain.gas_log[-1].tx_hash == outcome.tx_hash == opened.tx_hash
    assert outcome.gas_used == w.chain.gas_log[-1].gas_used


def test_issuing_calls_returns_the_calls_as_issued_with_their_events(market: Market) -> None:
    w = market.world
    w.ccp.margin.post_requirements({market.house_a: 10, market.house_b: 20}, run_id="r")
    outcome = w.ccp.margin.issue_margin_calls([market.house_a, market.house_b], CallType.REGULAR)
    calls = outcome.value.calls
    assert outcome.value.skipped == ()
    assert [c.account for c in calls] == [market.house_a, market.house_b]
    assert [c.id for c in calls] == [e["callId"] for e in outcome.named("MarginCallIssued")]
    assert list(calls) == w.deployment.vault.margin_calls([c.id for c in calls])


def test_a_raw_call_reaches_any_function_with_errors_still_typed(market: Market) -> None:
    d = market.world.deployment
    zero = d.vault.call("deposit", market.house_a, d.assets["JPY"].address, 0)
    assert zero.label == "vault.deposit"
    with pytest.raises(errors.VaultZeroAmount):
        zero.estimate("member-a")


def test_send_all_pipelines_and_returns_every_outcome_in_order(world: World) -> None:
    token = world.deployment.token("JPY")
    start = world.chain.w3.eth.get_transaction_count(world.member_a.address)
    batch = send_all([token.transfer("member-b", i) for i in range(1, 11)], world.member_a.signer)
    assert len(batch) == 10 and batch.value == [None] * 10
    nonces = [world.chain.w3.eth.get_transaction(r.tx_hash)["nonce"] for r in batch.receipts]
    assert nonces == list(range(start, start + 10))
    assert [e["value"] for e in batch.named("Transfer")] == list(range(1, 11))
    assert batch.gas_used == sum(r.gas_used for r in batch.receipts)
    assert world.member_b.balance("JPY") == 1_000_055


def test_send_all_stops_at_a_refused_call_keeping_what_went_before(world: World) -> None:
    token = world.deployment.token("JPY")
    calls = [token.transfer("member-b", 1), token.transfer(world.outsider.address, 1),
             token.transfer("member-b", 2)]  # fmt: skip
    with pytest.raises(errors.ParticipantUnknown):
        send_all(calls, world.member_a.signer)
    assert world.member_b.balance("JPY") == 1_000_001  # the first went through, the third never
    assert world.member_a.transfer("JPY", "member-b", 1).gas_used  # nonces still in step


def test_admit_many_admits_a_member_and_its_clients_in_one_batch(world: World) -> None:
    k = world.keys
    batch = world.ccp.register.admit_many(
        [
            Admission(k[8].address, Kind.CLEARING_MEMBER, "member-z"),
            Admission(k[9].address, Kind.CLIENT, "client-z1", "member-z", AccountType.OMNIBUS),
            Admission(k[10].address, Kind.CLIENT, "client-z2", "member-z", AccountType.SEGREGATED),
        ]
    )
    assert [p.name for p in batch.value] == ["member-z", "client-z1", "client-z2"]
    assert batch.value[1].clearing_member == k[8].address
    assert batch.value == [world.deployment.participant(p.address) for p in batch.value]
    assert len(batch.named("ParticipantAdmitted")) == 3


def test_open_accounts_and_issue_many_act_on_many_accounts(market: Market) -> None:
    w = market.world
    opened = w.ccp.margin.open_accounts(
        [("member-b", AccountKind.OMNIBUS), ("member-b", AccountKind.CLEARING_FUND)]
    )
    assert opened.value == [
        w.member_b.account_id(AccountKind.OMNIBUS),
        w.member_b.account_id(AccountKind.CLEARING_FUND),
    ]
    assert all(w.deployment.vault.account(i).owner == w.member_b.address for i in opened.value)
    issued = w.issuer.issue_many(
        [("USD", "member-a", "1.50", "wire 1"), ("JGB374", "member-b", 3, "book 2")]
    )
    assert [e.name for e in issued.events] == ["Transfer", "Issued"] * 2
    assert w.member_b.balance("JGB374") == 3


def test_a_batch_larger_than_a_block_is_refused_as_such(market: Market) -> None:
    """The node caps a transaction's gas; a batch beyond it says so in words, and is not sent."""
    vault = market.world.deployment.vault
    accounts = [market.house_a] * 12_000  # about 40M gas of requirement writes
    huge = vault.call("postRequirements", accounts, [1] * len(accounts), b"\0" * 32)
    with pytest.raises(errors.GasLimitExceeded, match="split it"):
        huge.estimate(market.world.ccp)
    refused(market.world, ("JPY",), lambda: market.world.ccp.send(huge), errors.GasLimitExceeded)
