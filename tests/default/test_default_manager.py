"""Default management that cannot be escaped: one process however it starts, nothing leaving a
member's accounts once a call is past its deadline or the member is not active, client collateral
kept apart, and the seized collateral in an account no key owns.

Each test named after a finding of the security review fails on the code before this change.
"""

from __future__ import annotations

import pytest
from support import Market

from pyclient import AccountKind, CallType, Ccp, Status, errors
from pyclient.collateral.vault import CallStatus, split_account_id
from pyclient.default import CaseStatus, Origin
from pyclient.units import to_bytes32

ZERO = "0x" + "0" * 40


def _jpy(m: Market) -> str:
    return m.world.deployment.assets["JPY"].address


@pytest.fixture
def overdue(market: Market) -> tuple[Market, int]:
    """member-a: 100k in its house account against a 1m call, now past its deadline; 500k in its
    clearing-fund account (no requirement) and 300k of client-omni's in its omnibus account."""
    w = market.world
    w.member_a.deposit("JPY", 100_000)
    w.member_a.deposit("JPY", 500_000, kind=AccountKind.CLEARING_FUND)
    w.client_omni.deposit("JPY", 300_000)
    w.ccp.margin.post_requirements({market.house_a: 1_000_000}, run_id="eod")
    (call,) = w.ccp.margin.issue_margin_calls([market.house_a], CallType.REGULAR).value.calls
    market.warp_and_reprice(3 * 24 * 3600)
    return market, call.id


# ---------------------------------------------------------------- no escape


def test_a_member_with_a_call_past_its_deadline_takes_nothing_out_of_any_account(
    overdue: tuple[Market, int],
) -> None:
    """The review's proof of concept: the fund and the client collateral left before the default.
    Now each withdrawal says why it is refused, and the default finds everything in place."""
    market, call_id = overdue
    w = market.world
    attempts = [
        lambda: w.member_a.withdraw("JPY", 500_000, kind=AccountKind.CLEARING_FUND),
        lambda: w.member_a.withdraw_for("client-omni", "JPY", 300_000),
        lambda: w.member_a.withdraw("JPY", 1),
    ]
    for attempt in attempts:
        err = market.refused(attempt, errors.VaultCallPastDeadline)
        assert (err.member, err.callId) == (w.member_a.address, call_id)
    case = w.ccp.default.declare(call_id, "missed the call").value
    seized = w.ccp.default.seized(case.id)
    assert seized == {"JPY": {Origin.HOUSE_MARGIN: 100_000, Origin.CLEARING_FUND: 500_000}}
    assert w.member_a.sub_ledger() == {"client-omni": {"JPY": 300_000}}  # kept apart, frozen
    assert w.member_a.vault_account(AccountKind.OMNIBUS).frozen


def test_paying_the_call_lifts_the_block(overdue: tuple[Market, int]) -> None:
    market, call_id = overdue
    w = market.world
    w.ccp.margin.post_requirements({market.house_a: 400_000}, run_id="intraday")  # lowered
    market.refused(
        lambda: w.member_a.withdraw("JPY", 1, kind=AccountKind.CLEARING_FUND),
        errors.VaultCallPastDeadline,
    )  # still short of the lowered figure: the call stays open
    w.member_a.deposit("JPY", 300_000)  # paid late, but paid: the call is met
    assert w.deployment.vault.margin_call(call_id).status is CallStatus.MET
    w.member_a.withdraw("JPY", 500_000, kind=AccountKind.CLEARING_FUND)
    assert w.member_a.collateral(AccountKind.CLEARING_FUND) == {}


def test_before_the_deadline_a_called_member_may_still_move_its_excess(market: Market) -> None:
    w = market.world
    w.member_a.deposit("JPY", 500_000, kind=AccountKind.CLEARING_FUND)
    w.ccp.margin.post_requirements({market.house_a: 1_000_000}, run_id="eod")
    w.ccp.margin.issue_margin_calls([market.house_a], CallType.REGULAR)
    w.member_a.withdraw("JPY", 200_000, kind=AccountKind.CLEARING_FUND)  # not due yet
    assert w.member_a.collateral(AccountKind.CLEARING_FUND) == {"JPY": 300_000}


def test_a_suspended_member_or_client_takes_nothing_out(market: Market) -> None:
    w = market.world
    w.member_a.deposit("JPY", 500_000, kind=AccountKind.CLEARING_FUND)
    w.client_omni.deposit("JPY", 300_000)
    w.client_seg.deposit("JPY", 50_000)
    w.ccp.register.suspend("member-a", "inquiry")
    err = market.refused(
        lambda: w.member_a.withdraw("JPY", 1, kind=AccountKind.CLEARING_FUND),
        errors.VaultPartyNotActive,
    )
    assert (err.party, err.status) == (w.member_a.address, Status.SUSPENDED)
    w.ccp.register.reinstate("member-a", "cleared")
    w.ccp.register.suspend("client-omni", "inquiry")  # its member cannot take its collateral
    err = market.refused(
        lambda: w.member_a.withdraw_for("client-omni", "JPY", 1), errors.VaultPartyNotActive
    )
    assert err.party == w.client_omni.address
    w.ccp.register.suspend("member-b", "inquiry")  # nor a suspended member's segregated client
    err = market.refused(lambda: w.client_seg.withdraw("JPY", 1), errors.VaultPartyNotActive)
    assert err.party == w.member_b.address


def test_an_omnibus_clients_collateral_goes_back_to_the_client_not_its_member(
    market: Market,
) -> None:
    w = market.world
    w.client_omni.deposit("JPY", 300_000)
    member_before, client_before = w.member_a.balance("JPY"), w.client_omni.balance("JPY")
    out = w.member_a.withdraw_for("client-omni", "JPY", 100_000)
    (ev,) = out.named("CollateralWithdrawn")
    assert (ev["to"], ev["beneficialOwner"]) == (w.client_omni.address, w.client_omni.address)
    assert w.client_omni.balance("JPY") == client_before + 100_000
    assert w.member_a.balance("JPY") == member_before


# ---------------------------------------------------------------- one default process


def test_a_default_by_decision_freezes_and_seizes_as_a_missed_call_does(market: Market) -> None:
    """Suspension or a register decision used to leave the vault untouched and the vault's default
    path unreachable (it needed a call). Now the CCP declares the member and the same case runs."""
    w = market.world
    w.member_b.deposit("JPY", 200_000)
    w.client_seg.deposit("JPY", 50_000)
    w.ccp.register.suspend("member-b", "insolvency filing")
    outcome = w.ccp.default.declare_member("member-b", "insolvency")
    case = outcome.value
    assert (case.member, case.call_id, case.status) == (w.member_b.address, None, CaseStatus.OPEN)
    assert w.deployment.participant("member-b").status is Status.DEFAULTED
    (declared,) = outcome.named("DefaultDeclared")
    assert declared["callId"] == 0
    frozen = {e["account"] for e in outcome.named("AccountFrozen")}
    assert frozen == {market.house_b, market.segregated}  # its client's account too
    assert w.ccp.default.seized(case.id) == {"JPY": {Origin.HOUSE_MARGIN: 200_000}}
    assert w.client_seg.collateral(AccountKind.SEGREGATED) == {"JPY": 50_000}  # not seized


def test_a_member_defaulted_over_its_house_call_has_its_clients_accounts_frozen(
    market: Market,
) -> None:
    w = market.world
    w.ccp.margin.post_requirements({market.house_b: 10}, run_id="eod")
    (call,) = w.ccp.margin.issue_margin_calls([market.house_b], CallType.REGULAR).value.calls
    market.warp_and_reprice(3 * 24 * 3600)
    w.ccp.default.declare(call.id, "missed")
    assert w.client_seg.vault_account(AccountKind.SEGREGATED).frozen
    market.refused(lambda: w.client_seg.deposit("JPY", 1), errors.VaultAccountFrozen)


def test_a_member_is_declared_in_default_once_and_only_a_clearing_member(market: Market) -> None:
    w = market.world
    first = w.ccp.default.declare_member("member-b", "insolvency").value
    err = market.refused(
        lambda: w.ccp.default.declare_member("member-b", "again"), errors.DefaultAlreadyDeclared
    )
    assert err.caseId == first.id
    market.refused(
        lambda: w.ccp.default.declare_member("client-omni", "x"), errors.DefaultNotAClearingMember
    )


# ---------------------------------------------------------------- where the seized collateral sits


def test_seized_collateral_sits_in_an_account_of_the_default_manager_that_no_key_owns(
    overdue: tuple[Market, int],
) -> None:
    """It used to be the constructor admin's account for ever: rotating keys stranded it."""
    market, call_id = overdue
    w = market.world
    d = w.deployment
    new_key = w.keys[9]
    d.default_manager.grant_role("CCP_OPERATOR_ROLE", new_key.address).send(w.ccp.signer)
    d.default_manager.revoke_role("CCP_OPERATOR_ROLE", w.ccp.address).send(w.ccp.signer)
    Ccp(d, new_key).default.declare(call_id, "missed, new key")
    account = d.default_manager.management_account()
    assert split_account_id(account) == (d.default_manager.address, AccountKind.DEFAULT_MANAGEMENT)
    assert d.vault.holdings(account) == {"JPY": 600_000}
    market.refused(
        lambda: w.ccp.send(d.vault.call("withdraw", account, d.assets["JPY"].address, 1)),
        errors.VaultNotAccountOwner,
    )


# ---------------------------------------------------------------- withdrawing a default


def test_a_member_still_short_stays_in_default(overdue: tuple[Market, int]) -> None:
    """The calls the default closed are not reopened: withdrawing it for a member still short
    would hand it back its fund and its clients' collateral with nothing owed on record."""
    market, call_id = overdue
    w = market.world
    case = w.ccp.default.declare(call_id, "missed").value
    err = market.refused(lambda: w.ccp.default.withdraw(case.id, "cured?"), errors.DefaultNotCured)
    assert (err.account, err.valueJpy, err.requirementJpy) == (market.house_a, 100_000, 1_000_000)
    assert w.deployment.participant("member-a").status is Status.DEFAULTED


def test_withdrawing_a_default_gives_everything_back_and_the_status_before(
    market: Market,
) -> None:
    """Declared in error over a member that was suspended, not short: the collateral goes back,
    the accounts unfreeze, and the member is suspended again, not active."""
    w = market.world
    w.member_b.deposit("JPY", 200_000)
    w.member_b.deposit("USD", "100.00")
    w.ccp.register.suspend("member-b", "inquiry")
    case = w.ccp.default.declare_member("member-b", "insolvency (wrongly reported)").value
    assert case.was_suspended
    back = w.ccp.default.withdraw(case.id, "declared in error")
    assert back.value.status is CaseStatus.WITHDRAWN
    moved = {(e["toAccount"], e["amount"]) for e in back.named("CollateralTransferred")}
    assert moved == {(market.house_b, 200_000), (market.house_b, 10_000)}
    assert {e["account"] for e in back.named("AccountUnfrozen")} == {
        market.house_b, market.segregated,
    }  # fmt: skip
    assert w.deployment.participant("member-b").status is Status.SUSPENDED
    assert w.member_b.collateral(AccountKind.HOUSE) == {"JPY": 200_000, "USD": 100}
    assert w.ccp.default.seized(case.id)["JPY"][Origin.HOUSE_MARGIN] == 200_000  # the record
    market.refused(lambda: w.ccp.default.withdraw(case.id, "twice"), errors.DefaultCaseNotOpen)
    market.refused(lambda: w.ccp.default.withdraw(99, "none"), errors.DefaultCaseUnknown)
    w.ccp.register.reinstate("member-b", "inquiry closed")
    w.member_b.withdraw("JPY", 200_000)  # free again


# ---------------------------------------------------------------- who may


@pytest.mark.parametrize("action", ["declare", "declare member", "withdraw", "port", "close out"])
def test_only_the_ccp_operator_runs_the_default_process(
    overdue: tuple[Market, int], action: str
) -> None:
    market, call_id = overdue
    w = market.world
    impostor = Ccp(w.deployment, w.member_b.signer)
    calls = {
        "declare": lambda: impostor.default.declare(call_id, "x"),
        "declare member": lambda: impostor.default.declare_member("member-a", "x"),
        "withdraw": lambda: impostor.default.withdraw(1, "x"),
        "port": lambda: impostor.default.port(1, "client-seg"),
        "close out": lambda: impostor.default.close_out(1, "client-seg", 1),
    }
    err = market.refused(calls[action], errors.AccessControlUnauthorizedAccount)
    assert "CCP_OPERATOR_ROLE" in str(err)


@pytest.mark.parametrize(
    ("function", "args"),
    [
        ("confirmMissedCall", lambda m: [1]),
        ("freezeMember", lambda m: [m.world.member_a.address, 1]),
        ("moveCollateral", lambda m: [m.house_a, ZERO, m.house_b, ZERO, _jpy(m), 1, 1]),
        ("release", lambda m: [m.house_a, ZERO, _jpy(m), 1, 1]),
        ("reassign", lambda m: [m.segregated, m.world.member_a.address, 1]),
        ("unfreeze", lambda m: [m.house_a, 1]),
    ],
)
def test_the_vaults_default_hooks_are_the_default_managers_alone(
    market: Market, function: str, args
) -> None:
    """Not even the CCP operator's key reaches them: only through a default case."""
    vault = market.world.deployment.vault
    err = market.refused(
        lambda: market.world.ccp.send(vault.call(function, *args(market))),
        errors.AccessControlUnauthorizedAccount,
    )
    assert "DEFAULT_MANAGER_ROLE" in str(err)


def test_the_register_ends_a_default_only_for_the_default_manager(market: Market) -> None:
    w = market.world
    w.ccp.default.declare_member("member-b", "insolvency")
    d = w.deployment
    err = market.refused(
        lambda: w.ccp.send(
            d.registry.call("endDefault", w.member_b.address, int(Status.ACTIVE), to_bytes32("x"))
        ),
        errors.AccessControlUnauthorizedAccount,
    )
    assert "DEFAULT_MANAGER_ROLE" in str(err)


def test_only_a_surviving_clearing_member_accepts_a_client(market: Market) -> None:
    w = market.world
    case = w.ccp.default.declare_member("member-b", "insolvency").value
    err = market.refused(
        lambda: w.client_omni.send(
            w.deployment.default_manager.accept_client(case.id, "client-seg")
        ),
        errors.DefaultReceiverInvalid,
    )
    assert err.member == w.client_omni.address
