"""The collateral vault: accounts, deposits, the withdrawal rule, margin calls and default.

Every refusal is checked to change nothing: wallets, token supply, vault holdings, no block.
"""

from __future__ import annotations

import pytest
from support import Market

from pyclient import (
    AccountKind,
    CallStatus,
    CallType,
    Ccp,
    ClearingMember,
    Status,
    errors,
    reconcile,
)
from pyclient.chain import devnet
from pyclient.collateral import CallBatch, Skipped, SkipReason
from pyclient.events import describe
from pyclient.margin import call_deadline, from_unix

# ---------------------------------------------------------------- accounts


def test_account_ids_are_owner_and_kind(market: Market) -> None:
    a = market.world.member_a
    assert market.vault.accountId(a.address, int(AccountKind.HOUSE)).call() == market.house_a
    assert market.world.deployment.vault.account_id("member-a", AccountKind.HOUSE) == market.house_a
    account = a.vault_account(AccountKind.HOUSE)
    assert (account.owner, account.kind, account.frozen) == (a.address, AccountKind.HOUSE, False)


@pytest.mark.parametrize(
    ("owner", "kind"),
    [
        ("client-omni", AccountKind.SEGREGATED),  # an omnibus client has no account of its own
        ("client-seg", AccountKind.HOUSE),
        ("issuer", AccountKind.HOUSE),
        ("member-a", AccountKind.SEGREGATED),
    ],
)
def test_accounts_follow_the_register(market: Market, owner: str, kind: AccountKind) -> None:
    err = market.refused(
        lambda: market.world.ccp.margin.open_account(owner, kind),
        errors.VaultAccountOwnerInvalid,
    )
    assert err.kind is kind


def test_an_account_opens_once_and_only_by_the_ccp(market: Market) -> None:
    market.refused(
        lambda: market.world.ccp.margin.open_account("member-a", AccountKind.HOUSE),
        errors.VaultAccountExists,
    )
    impostor = Ccp(market.world.deployment, market.world.member_a.signer)
    market.refused(
        lambda: impostor.margin.open_account("member-b", AccountKind.OMNIBUS),
        errors.AccessControlUnauthorizedAccount,
    )


# ---------------------------------------------------------------- deposits and value


def test_deposit_moves_tokens_into_the_vault_with_an_event(market: Market) -> None:
    a = market.world.member_a
    r = a.deposit("JPY", 600_000)
    assert a.balance("JPY") == 400_000
    assert a.collateral(AccountKind.HOUSE) == {"JPY": 600_000}
    (ev,) = r.named("CollateralDeposited")
    assert (ev["account"], ev["amount"], ev["from"], ev["automatic"]) == (
        market.house_a,
        600_000,
        a.address,
        False,
    )
    assert a.collateral_value(AccountKind.HOUSE) == 600_000


def test_value_applies_fx_haircuts_and_concentration_limits(market: Market) -> None:
    a = market.world.member_a
    a.deposit("JPY", 600_000)
    a.deposit("USD", "100.00")  # 15,000 JPY less 2% = 14,700
    assert a.collateral_value(AccountKind.HOUSE) == 614_700
    a.deposit("TYO7203", 1_000)  # 3,000,000 less 30% = 2,100,000, capped at 40% of the requirement
    assert a.collateral_value(AccountKind.HOUSE) == 614_700  # no requirement: equity meets nothing
    w = market.world
    w.ccp.margin.post_requirements({market.house_a: 1_000_000}, run_id="eod")
    assert a.collateral_value(AccountKind.HOUSE) == 614_700 + 400_000
    w.ccp.margin.post_requirements({market.house_a: 1_000_001}, run_id="eod")
    assert a.collateral_value(AccountKind.HOUSE) == 614_700 + 400_000  # 400,000.4 rounds down
    w.ccp.margin.post_requirements({market.house_a: 10_000_000}, run_id="eod")
    assert a.collateral_value(AccountKind.HOUSE) == 614_700 + 2_100_000  # under its cap: all of it


@pytest.mark.parametrize(
    ("call", "error"),
    [
        (lambda m: m.world.member_a.deposit("SPY", 1), errors.VaultAssetNotEligible),
        (lambda m: m.world.member_a.deposit("JPY", 0), errors.InvalidAmount),
        (lambda m: m.world.member_a.deposit("JPY", 2_000_000), errors.ERC20InsufficientBalance),
        (
            lambda m: m.world.member_b.deposit("JPY", 1, kind=AccountKind.OMNIBUS),
            errors.InputError,
        ),
        (
            lambda m: m.world.member_b.deposit("JPY", 1, kind=AccountKind.CLEARING_FUND),
            errors.VaultAccountUnknown,
        ),
    ],
)
def test_bad_deposits_are_refused_and_change_nothing(market: Market, call, error) -> None:
    market.refused(lambda: call(market), error)


def test_nobody_deposits_into_or_withdraws_from_another_owners_account(market: Market) -> None:
    vault = market.world.deployment.vault
    b = market.world.member_b
    b.approve_vault("JPY")
    for call in (vault.deposit(market.house_a, "JPY", 1), vault.withdraw(market.house_a, "JPY", 1)):
        err = market.refused(lambda call=call: b.send(call), errors.VaultNotAccountOwner)
        assert "member-a house account" in str(err) and "member-b" in str(err)


def test_zero_amount_is_refused_on_chain_too(market: Market) -> None:
    d = market.world.deployment
    zero = d.vault.call("deposit", market.house_a, d.assets["JPY"].address, 0)
    market.refused(lambda: market.world.member_a.send(zero), errors.VaultZeroAmount)


# ---------------------------------------------------------------- the withdrawal rule


def test_withdrawal_within_the_excess_is_allowed_down_to_the_requirement(market: Market) -> None:
    a, ccp = market.world.member_a, market.world.ccp
    a.deposit("JPY", 600_000)
    ccp.margin.post_requirements({market.house_a: 450_000}, run_id="eod-1")
    r = a.withdraw("JPY", 150_000)  # leaves exactly the requirement
    (ev,) = r.named("CollateralWithdrawn")
    assert (ev["valueAfterJpy"], ev["requirementJpy"]) == (450_000, 450_000)
    assert a.balance("JPY") == 550_000


def test_withdrawal_beyond_the_excess_is_refused_and_changes_nothing(market: Market) -> None:
    a, ccp = market.world.member_a, market.world.ccp
    a.deposit("JPY", 600_000)
    ccp.margin.post_requirements({market.house_a: 450_000}, run_id="eod-1")
    err = market.refused(lambda: a.withdraw("JPY", 150_001), errors.VaultWithdrawalExceedsExcess)
    assert (err.valueAfterJpy, err.requirementJpy, err.amount) == (449_999, 450_000, 150_001)
    assert "449,999 JPY" in str(err) and "member-a house account" in str(err)


def test_substitution_today_needs_double_stacking(market: Market) -> None:
    """Swapping JPY for JGBs at full use means depositing the new collateral first."""
    a, ccp = market.world.member_a, market.world.ccp
    a.deposit("JPY", 600_000)
    ccp.margin.post_requirements({market.house_a: 600_000}, run_id="eod-1")
    market.refused(lambda: a.withdraw("JPY", 600_000), errors.VaultWithdrawalExceedsExcess)
    a.deposit("JGB374", 13)  # 13 x 49,250 x 0.99 = 633,847: pre-funded in full
    a.withdraw("JPY", 600_000)
    assert a.collateral(AccountKind.HOUSE) == {"JGB374": 13}


def test_withdrawing_more_than_held_is_refused(market: Market) -> None:
    market.world.member_a.deposit("JPY", 10)
    err = market.refused(
        lambda: market.world.member_a.withdraw("JPY", 11), errors.VaultInsufficientHolding
    )
    assert (err.held, err.amount) == (10, 11)


def test_stale_prices_block_withdrawals_only_where_a_requirement_needs_a_valuation(
    market: Market,
) -> None:
    a, b, ccp = market.world.member_a, market.world.member_b, market.world.ccp
    a.deposit("JPY", 600_000)
    b.deposit("JGB374" if b.balance("JGB374") else "JPY", 1_000)
    ccp.margin.post_requirements({market.house_a: 100_000}, run_id="eod-1")
    devnet.increase_time(market.world.chain, 2 * 24 * 3600)
    market.refused(lambda: a.withdraw("JPY", 1), errors.MarketDataPriceStale)
    b.withdraw("JPY", 1_000)  # no requirement: nothing to value


# ---------------------------------------------------------------- requirements


def test_requirements_are_posted_in_one_batch_with_events(market: Market) -> None:
    ccp = market.world.ccp
    r = ccp.margin.post_requirements(
        {market.house_a: 1_000_000, market.house_b: 2_000_000, market.segregated: 3}, run_id="eod-1"
    )
    posted = r.named("RequirementPosted")
    assert [(e["account"], e["requirementJpy"], e["previousJpy"]) for e in posted] == [
        (market.house_a, 1_000_000, 0),
        (market.house_b, 2_000_000, 0),
        (market.segregated, 3, 0),
    ]
    assert market.world.member_b.vault_account(AccountKind.HOUSE).requirement_jpy == 2_000_000


def test_requirements_need_the_margin_engine_and_known_accounts(market: Market) -> None:
    impostor = Ccp(market.world.deployment, market.world.member_a.signer)
    market.refused(
        lambda: impostor.margin.post_requirements({market.house_a: 0}, run_id="x"),
        errors.AccessControlUnauthorizedAccount,
    )
    unknown = market.house_a + 1
    market.refused(
        lambda: market.world.ccp.margin.post_requirements({unknown: 5}, run_id="x"),
        errors.VaultAccountUnknown,
    )
    market.refused(
        lambda: market.world.ccp.margin.post_requirements({market.house_a: -5}, run_id="x"),
        errors.InvalidAmount,
    )


# ---------------------------------------------------------------- margin calls


def test_a_shortfall_becomes_a_call_due_by_the_tokyo_timetable(market: Market) -> None:
    a, ccp = market.world.member_a, market.world.ccp
    a.deposit("JPY", 600_000)
    ccp.margin.post_requirements({market.house_a: 1_000_000}, run_id="eod-1")
    (call,) = ccp.margin.issue_margin_calls([market.house_a], CallType.REGULAR).value.calls
    assert (call.status, call.shortfall_jpy, call.requirement_jpy) == (
        CallStatus.ISSUED,
        400_000,
        1_000_000,
    )
    assert call.deadline == call_deadline(CallType.REGULAR, call.issued_at)
    assert call.deadline.hour == 11 and call.deadline.date() > call.issued_at.date()
    assert a.vault_account(AccountKind.HOUSE).open_call == call.id


def test_a_batch_calls_the_short_and_skips_the_covered_and_the_already_called(
    market: Market,
) -> None:
    a, ccp = market.world.member_a, market.world.ccp
    a.deposit("JPY", 600_000)
    ccp.margin.post_requirements({market.house_a: 500_000, market.house_b: 10}, run_id="eod-1")
    batch = ccp.margin.issue_margin_calls([market.house_a, market.house_b], CallType.REGULAR).value
    assert [c.account for c in batch.calls] == [market.house_b]
    assert batch.skipped == (Skipped(market.house_a, SkipReason.NO_SHORTFALL),)
    again = ccp.margin.issue_margin_calls([market.house_b], CallType.REGULAR)
    assert again.value.calls == () and again.value.skipped == (
        Skipped(market.house_b, SkipReason.CALL_OPEN),
    )
    assert [describe(e, market.world.deployment) for e in again.events] == [
        "member-b house account skipped: a call already open asks for the requirement in force"
    ]


def test_an_intraday_call_outside_the_timetable_is_refused_before_sending(market: Market) -> None:
    ccp = market.world.ccp
    ccp.margin.post_requirements({market.house_b: 10}, run_id="eod-1")
    issued_at = from_unix(market.world.deployment.chain_time()).replace(hour=12)
    market.refused(
        lambda: ccp.margin.issue_margin_calls(
            [market.house_b], CallType.INTRADAY, computed_at=issued_at
        ),
        errors.InputError,
    )


def test_standing_instruction_meets_the_call_in_the_same_transaction(market: Market) -> None:
    a, ccp = market.world.member_a, market.world.ccp
    a.deposit("JPY", 100_000)
    a.set_standing_instruction([("JPY", 50_000), ("JGB374", 100)])
    ccp.margin.post_requirements({market.house_a: 1_000_000}, run_id="eod-1")
    block = market.world.chain.w3.eth.block_number
    (call,) = ccp.margin.issue_margin_calls([market.house_a], CallType.REGULAR).value.calls
    assert market.world.chain.w3.eth.block_number == block + 1  # one transaction for all of it
    assert call.status is CallStatus.MET
    # JPY first up to its cap, then just enough JGBs: 850,000 / (49,250 x 0.99) -> 18 bonds.
    assert a.collateral(AccountKind.HOUSE) == {"JPY": 150_000, "JGB374": 18}
    assert a.collateral_value(AccountKind.HOUSE) >= 1_000_000
    assert a.vault_account(AccountKind.HOUSE).open_call is None


def test_what_the_inventory_cannot_cover_stays_open_then_a_deposit_meets_it(market: Market) -> None:
    a, ccp = market.world.member_a, market.world.ccp
    a.set_standing_instruction([("JPY", 300_000)])
    ccp.margin.post_requirements({market.house_a: 500_000}, run_id="eod-1")
    (call,) = ccp.margin.issue_margin_calls([market.house_a], CallType.REGULAR).value.calls
    assert call.status is CallStatus.PARTIALLY_MET
    r = a.deposit("JPY", 200_000)
    (met,) = r.named("MarginCallMet")
    assert met["callId"] == call.id and met["valueJpy"] == 500_000
    assert market.world.deployment.vault.margin_call(call.id).status is CallStatus.MET


def test_an_unpriced_or_frozen_instruction_asset_is_skipped_not_fatal(market: Market) -> None:
    a, ccp = market.world.member_a, market.world.ccp
    a.set_standing_instruction([("USD", "1000"), ("JPY", 500_000)])
    ccp.agent.freeze("USD", "member-a", reason="sanctions check")
    ccp.margin.post_requirements({market.house_a: 400_000}, run_id="eod-1")
    (call,) = ccp.margin.issue_margin_calls([market.house_a], CallType.REGULAR).value.calls
    assert call.status is CallStatus.MET
    assert a.collateral(AccountKind.HOUSE) == {"JPY": 400_000}


def test_overdue_then_default_freezes_and_seizes_the_members_own_collateral(market: Market) -> None:
    w = market.world
    b, ccp = w.member_b, w.ccp
    b.deposit("JPY", 300_000)
    b.deposit("USD", "100.00")
    ccp.margin.post_requirements({market.house_b: 1_000_000}, run_id="eod-1")
    (call,) = ccp.margin.issue_margin_calls([market.house_b], CallType.REGULAR).value.calls
    early = ccp.margin.mark_overdue([call.id]).value
    assert early.skipped == (Skipped(call.id, SkipReason.DEADLINE_NOT_PASSED),)
    assert early.calls == ()  # only the calls the batch processed come back
    assert w.deployment.vault.margin_call(call.id).status is CallStatus.ISSUED
    market.warp_and_reprice(3 * 24 * 3600)
    r = ccp.margin.mark_overdue([call.id])
    (ev,) = r.named("MarginCallOverdue")
    assert ev["remainingJpy"] == 1_000_000 - 300_000 - 14_700
    r = ccp.default.declare(call.id, "missed regular call")

    assert w.deployment.participant("member-b").status is Status.DEFAULTED
    assert w.deployment.vault.margin_call(call.id).status is CallStatus.DEFAULT_DECLARED
    assert b.vault_account(AccountKind.HOUSE).frozen
    seized = r.named("CollateralSeized")
    assert {(e["asset"], e["amount"]) for e in seized} == {
        (w.deployment.assets["JPY"].address, 300_000),
        (w.deployment.assets["USD"].address, 10_000),
    }
    default_account = w.deployment.default_manager.management_account()
    assert w.deployment.vault.holdings(default_account) == {"JPY": 300_000, "USD": 100}
    assert b.collateral(AccountKind.HOUSE) == {}
    # Nothing moves in or out of a frozen account, and a defaulted member gets no new call.
    market.refused(lambda: b.withdraw("JPY", 1), errors.VaultAccountFrozen)
    skipped = ccp.margin.post_requirements({market.house_b: 2_000_000}, run_id="eod-2").value
    assert skipped.skipped == (Skipped(market.house_b, SkipReason.ACCOUNT_FROZEN),)
    assert b.vault_account(AccountKind.HOUSE).requirement_jpy == 1_000_000
    batch = ccp.margin.issue_margin_calls([market.house_b], CallType.REGULAR).value
    assert batch.skipped == (Skipped(market.house_b, SkipReason.ACCOUNT_FROZEN),)


def test_default_needs_an_overdue_call_and_the_ccp(market: Market) -> None:
    ccp = market.world.ccp
    ccp.margin.post_requirements({market.house_b: 10}, run_id="eod-1")
    (call,) = ccp.margin.issue_margin_calls([market.house_b], CallType.REGULAR).value.calls
    market.refused(
        lambda: ccp.default.declare(call.id, "early"),
        errors.VaultDeadlineNotPassed,
    )
    market.refused(
        lambda: ccp.default.declare(999, "no such call"),
        errors.VaultMarginCallUnknown,
    )
    market.warp_and_reprice(3 * 24 * 3600)
    impostor = Ccp(market.world.deployment, market.world.member_a.signer)
    market.refused(
        lambda: impostor.default.declare(call.id, "x"),
        errors.AccessControlUnauthorizedAccount,
    )


def test_default_past_the_deadline_marks_an_unmarked_call_overdue_itself(market: Market) -> None:
    ccp = market.world.ccp
    ccp.margin.post_requirements({market.house_b: 10}, run_id="eod-1")
    (call,) = ccp.margin.issue_margin_calls([market.house_b], CallType.REGULAR).value.calls
    market.warp_and_reprice(3 * 24 * 3600)
    r = ccp.default.declare(call.id, "missed, never marked")
    assert [e.name for e in r.events if e.name.startswith(("MarginCall", "Default"))] == [
        "MarginCallOverdue",
        "DefaultDeclared",
        "MarginCallDefaulted",  # the call itself closes with the default, like every other open one
    ]
    assert market.world.deployment.vault.margin_call(call.id).status is CallStatus.DEFAULT_DECLARED


def test_a_call_covered_by_a_price_rise_cannot_be_defaulted_past_its_deadline(
    market: Market,
) -> None:
    """Nobody re-evaluated the call when the price rose; the default finds it covered and stops."""
    w = market.world
    w.member_a.deposit("JGB374", 10)  # 10 x 49,250 x 99% = 487,575 JPY
    w.ccp.margin.post_requirements({market.house_a: 500_000}, run_id="eod-1")
    (call,) = w.ccp.margin.issue_margin_calls([market.house_a], CallType.REGULAR).value.calls
    market.warp_and_reprice(3 * 24 * 3600)
    market.oracle.publish_prices({"JGB374": 52_000})
    err = market.refused(
        lambda: w.ccp.default.declare(call.id, "covered meanwhile"),
        errors.VaultMarginCallState,
    )
    assert (err.callId, CallStatus(err.status)) == (call.id, CallStatus.MET)
    assert w.deployment.vault.margin_call(call.id).status is CallStatus.ISSUED
    assert w.deployment.participant("member-a").status is Status.ACTIVE


def test_a_call_on_a_suspended_or_defaulted_member_is_skipped(market: Market) -> None:
    ccp = market.world.ccp
    ccp.margin.post_requirements({market.house_b: 10}, run_id="eod-1")
    ccp.register.suspend("member-b", "under inquiry")
    batch = ccp.margin.issue_margin_calls([market.house_b], CallType.REGULAR).value
    assert batch == CallBatch((), (Skipped(market.house_b, SkipReason.OWNER_NOT_ACTIVE),))
    ccp.default.declare_member("member-b", "defaulted elsewhere")  # every account frozen too
    batch = ccp.margin.issue_margin_calls([market.house_b], CallType.REGULAR).value
    assert batch == CallBatch((), (Skipped(market.house_b, SkipReason.ACCOUNT_FROZEN),))


# ---------------------------------------------------------------- cascade to clients


def test_segregated_client_pays_its_own_call(market: Market) -> None:
    w = market.world
    ccp = w.ccp
    ccp.margin.post_requirements({market.segregated: 5_000_000}, run_id="eod-1")
    (call,) = ccp.margin.issue_margin_calls([market.segregated], CallType.REGULAR).value.calls
    assert call.owner == w.client_seg.address
    w.client_seg.deposit("JPY", 5_000_000)
    assert w.deployment.vault.margin_call(call.id).status is CallStatus.MET
    assert w.client_seg.collateral(AccountKind.SEGREGATED) == {"JPY": 5_000_000}


def test_a_missed_segregated_call_defaults_the_member_but_leaves_client_collateral(
    market: Market,
) -> None:
    w = market.world
    w.client_seg.deposit("JPY", 1_000)
    w.member_b.deposit("JPY", 2_000)
    w.ccp.margin.post_requirements({market.segregated: 5_000}, run_id="eod-1")
    (call,) = w.ccp.margin.issue_margin_calls([market.segregated], CallType.REGULAR).value.calls
    market.warp_and_reprice(3 * 24 * 3600)
    w.ccp.default.declare(call.id, "client call missed")
    assert w.deployment.participant("member-b").status is Status.DEFAULTED
    assert w.client_seg.vault_account(AccountKind.SEGREGATED).frozen
    assert w.client_seg.collateral(AccountKind.SEGREGATED) == {"JPY": 1_000}  # not seized
    assert w.member_b.collateral(AccountKind.HOUSE) == {}  # the member's own is


def test_omnibus_sub_ledger_always_totals_the_omnibus_holdings(market: Market) -> None:
    w = market.world
    a = w.member_a
    a.deposit_for("client-omni", "JPY", 300_000)
    w.client_omni.deposit("JPY", 200_000)  # the client pays its own share in
    assert a.collateral(AccountKind.OMNIBUS) == {"JPY": 500_000}
    assert a.sub_ledger() == {"client-omni": {"JPY": 500_000}}
    assert reconcile.omnibus_sub_ledgers(market.world.deployment).ok
    a.withdraw_for("client-omni", "JPY", 100_000)
    assert reconcile.omnibus_sub_ledgers(market.world.deployment).ok
    err = market.refused(
        lambda: a.withdraw_for("client-omni", "JPY", 400_001),
        errors.VaultSubLedgerInsufficient,
    )
    assert (err.held, err.amount) == (400_000, 400_001)


def test_omnibus_deposits_must_name_an_omnibus_client_of_the_member(market: Market) -> None:
    a = market.world.member_a
    for client in ("client-seg", "member-b"):
        market.refused(
            lambda c=client: a.deposit_for(c, "JPY", 1), errors.VaultBeneficialOwnerInvalid
        )


def test_member_passes_an_omnibus_call_on_to_its_clients(market: Market) -> None:
    w = market.world
    w.member_a.deposit_for("client-omni", "JPY", 100_000)
    w.ccp.margin.post_requirements({market.omnibus_a: 300_000}, run_id="eod-1")
    (call,) = w.ccp.margin.issue_margin_calls([market.omnibus_a], CallType.REGULAR).value.calls
    r = w.member_a.pass_on_margin_call(call.id, {"client-omni": 200_000})
    (ev,) = r.named("MarginCallPassedOn")
    assert (ev["client"], ev["amountJpy"]) == (w.client_omni.address, 200_000)
    w.client_omni.deposit("JPY", 200_000)
    assert w.deployment.vault.margin_call(call.id).status is CallStatus.MET
    stranger = ClearingMember(w.deployment, w.member_b.signer)
    market.refused(
        lambda: stranger.pass_on_margin_call(call.id, {"client-omni": 1}),
        errors.VaultMarginCallState,
    )


def test_every_event_of_a_call_decodes_in_order_for_reconcilers(market: Market) -> None:
    a, ccp = market.world.member_a, market.world.ccp
    a.set_standing_instruction([("JPY", 500_000)])
    ccp.margin.post_requirements({market.house_a: 100_000}, run_id="eod-1")
    logs = ccp.margin.issue_margin_calls([market.house_a], CallType.REGULAR).events
    assert [(e.contract, e.name) for e in logs] == [
        ("collateral vault", "MarginCallIssued"),
        ("JPY token", "Transfer"),  # the pull itself...
        ("collateral vault", "CollateralDeposited"),  # ...then the vault books it
        ("collateral vault", "MarginCallMet"),
    ]
    assert [e.log_index for e in logs] == sorted(e.log_index for e in logs)
    assert logs[1].args["value"] == 100_000 and logs[2].args["automatic"] is True
