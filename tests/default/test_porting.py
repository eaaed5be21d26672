"""Porting a defaulter's clients to a surviving member, and closing out those not ported.

Client collateral is never the defaulter's: a client ported keeps it (a segregated account moves
to its new member and is unfrozen; an omnibus client's holdings move into the new member's omnibus
account under its name), and a client closed out pays its own loss from its own collateral and
gets the rest back. What its collateral cannot cover is the defaulter's loss, never a fellow
client's.
"""

from __future__ import annotations

from datetime import datetime, timedelta

import pytest
from support import FX, PRICES, Market

from pyclient import AccountKind, AccountType, Client, errors
from pyclient.chain import devnet
from pyclient.clock import TOKYO, to_unix
from pyclient.default import ClientStatus, DefaultCase
from pyclient.margin.calendar import porting_deadline


def past_porting(market: Market, case: DefaultCase) -> None:
    """The clock just past the case's porting deadline, prices republished."""
    devnet.set_next_timestamp(market.world.chain, to_unix(case.porting_deadline) + 1)
    market.oracle.publish_fx_rates(FX)
    market.oracle.publish_prices(PRICES)


@pytest.fixture
def b_defaulted(market: Market) -> tuple[Market, DefaultCase]:
    """member-b in default; its segregated client client-seg holds 50,000 JPY, frozen."""
    w = market.world
    w.client_seg.deposit("JPY", 50_000)
    case = w.ccp.default.declare_member("member-b", "insolvency").value
    return market, case


@pytest.fixture
def a_defaulted(market: Market) -> tuple[Market, DefaultCase]:
    """member-a in default; its omnibus client client-omni holds 300,000 JPY there; member-b has
    an omnibus account of its own to take clients into."""
    w = market.world
    w.client_omni.deposit("JPY", 300_000)
    w.member_a.deposit_for("client-omni", "USD", "10.00")
    w.ccp.register.admit_client(w.keys[8].address, "client-omni2", "member-a", AccountType.OMNIBUS)
    w.issuer.issue("JPY", "client-omni2", 100_000, ref="opening")
    Client(w.deployment, w.keys[8]).deposit("JPY", 100_000)  # a fellow client of member-a
    w.ccp.margin.open_account("member-b", AccountKind.OMNIBUS)
    case = w.ccp.default.declare_member("member-a", "insolvency").value
    return market, case


def test_the_porting_deadline_is_15_00_tokyo_the_next_business_day(market: Market) -> None:
    friday_evening = datetime(2026, 11, 27, 18, 0, tzinfo=TOKYO)
    assert porting_deadline(friday_evening) == datetime(2026, 11, 30, 15, 0, tzinfo=TOKYO)
    before_new_year = datetime(2026, 12, 30, 9, 0, tzinfo=TOKYO)  # XTKS closes 31 Dec - 3 Jan
    assert porting_deadline(before_new_year) == datetime(2027, 1, 4, 15, 0, tzinfo=TOKYO)
    declared = market.world.ccp.default.declare_member("member-b", "x").value
    assert declared.porting_deadline == porting_deadline(declared.declared_at)
    assert declared.porting_deadline - declared.declared_at <= timedelta(days=4)


def test_a_segregated_client_is_ported_with_its_account_unfrozen(
    b_defaulted: tuple[Market, DefaultCase],
) -> None:
    market, case = b_defaulted
    w = market.world
    d = w.deployment
    accepted = w.member_a.accept_client(case.id, "client-seg").value
    assert (accepted.status, accepted.accepted_by) == (ClientStatus.ACCEPTED, w.member_a.address)
    ported = w.ccp.default.port(case.id, "client-seg")
    assert ported.value.status is ClientStatus.PORTED
    assert [e.name for e in ported.events] == [
        "ClientTransferred", "AccountReassigned", "AccountUnfrozen", "ClientPorted",
    ]  # fmt: skip
    assert d.participant("client-seg").clearing_member == w.member_a.address
    assert d.vault.member_of(market.segregated) == w.member_a.address
    assert market.segregated in d.vault.accounts_of(w.member_a)
    assert market.segregated not in d.vault.accounts_of(w.member_b)
    assert not w.client_seg.vault_account(AccountKind.SEGREGATED).frozen
    w.client_seg.withdraw("JPY", 50_000)  # its collateral is its own again, under member-a


def test_an_omnibus_client_moves_into_the_new_members_omnibus_account_by_name(
    a_defaulted: tuple[Market, DefaultCase],
) -> None:
    market, case = a_defaulted
    w = market.world
    d = w.deployment
    w.member_b.accept_client(case.id, "client-omni")
    moved = w.ccp.default.port(case.id, "client-omni")
    omnibus_b = w.member_b.account_id(AccountKind.OMNIBUS)
    assert {(e["fromAccount"], e["toAccount"]) for e in moved.named("CollateralTransferred")} == {
        (market.omnibus_a, omnibus_b)
    }
    assert w.member_b.sub_ledger() == {"client-omni": {"JPY": 300_000, "USD": 10}}
    assert w.member_a.sub_ledger() == {"client-omni": {}, "client-omni2": {"JPY": 100_000}}
    assert d.vault.holdings(market.omnibus_a) == {"JPY": 100_000}
    assert d.participant("client-omni").clearing_member == w.member_b.address
    w.client_omni.deposit("JPY", 1_000)  # now into member-b's omnibus account
    assert w.member_b.sub_ledger()["client-omni"]["JPY"] == 301_000


def test_porting_refuses_what_does_not_fit_and_changes_nothing(
    a_defaulted: tuple[Market, DefaultCase],
) -> None:
    market, case = a_defaulted
    w = market.world
    err = market.refused(
        lambda: w.member_a.accept_client(case.id, "client-omni"), errors.DefaultReceiverInvalid
    )
    assert err.member == w.member_a.address  # the defaulter takes no one
    market.refused(
        lambda: w.member_b.accept_client(case.id, "client-seg"),  # member-b's own client
        errors.DefaultNotAClientOfTheDefaulter,
    )
    market.refused(
        lambda: w.ccp.default.port(case.id, "client-omni"), errors.DefaultClientNotAccepted
    )
    w.member_b.accept_client(case.id, "client-omni")
    past_porting(market, case)
    err = market.refused(
        lambda: w.ccp.default.port(case.id, "client-omni"), errors.DefaultPortingClosed
    )
    assert err.deadline == to_unix(case.porting_deadline)


def test_an_omnibus_client_needs_an_omnibus_account_at_its_new_member(market: Market) -> None:
    w = market.world
    case = w.ccp.default.declare_member("member-a", "insolvency").value
    market.refused(
        lambda: w.member_b.accept_client(case.id, "client-omni"), errors.VaultAccountUnknown
    )


# ---------------------------------------------------------------- clients not ported


def test_a_client_not_ported_pays_its_own_loss_and_gets_the_rest_back(
    b_defaulted: tuple[Market, DefaultCase],
) -> None:
    market, case = b_defaulted
    w = market.world
    market.refused(
        lambda: w.ccp.default.close_out(case.id, "client-seg", 30_000), errors.DefaultPortingOpen
    )
    past_porting(market, case)
    wallet = w.client_seg.balance("JPY")
    closed = w.ccp.default.close_out(case.id, "client-seg", 30_000)
    assert closed.value == 30_000
    (ev,) = closed.named("ClientClosedOut")
    assert (ev["lossJpy"], ev["coveredJpy"]) == (30_000, 30_000)
    assert w.client_seg.balance("JPY") == wallet + 20_000
    dm = w.deployment.default_manager.management_account()
    assert w.deployment.vault.holdings(dm) == {"JPY": 30_000}
    assert w.client_seg.collateral(AccountKind.SEGREGATED) == {}
    port = w.deployment.default_manager.client_port(case.id, "client-seg")
    assert port.status is ClientStatus.CLOSED_OUT
    market.refused(
        lambda: w.ccp.default.close_out(case.id, "client-seg", 1), errors.DefaultClientSettled
    )


def test_what_a_clients_collateral_cannot_cover_is_the_defaulters_loss_not_its_fellows(
    a_defaulted: tuple[Market, DefaultCase],
) -> None:
    """client-omni's 300,000 JPY and 10 USD (1,470 JPY after haircut) against a loss of 400,000:
    all of it is taken, the 98,530 left is recorded on the case; another omnibus client's
    holdings are untouched."""
    market, case = a_defaulted
    w = market.world
    past_porting(market, case)
    covered = w.ccp.default.close_out(case.id, "client-omni", 400_000).value
    assert covered == 301_470
    assert w.deployment.default_manager.case(case.id).uncovered_client_loss_jpy == 98_530
    assert w.member_a.sub_ledger() == {"client-omni": {}, "client-omni2": {"JPY": 100_000}}


def test_a_default_is_not_withdrawn_once_a_client_has_moved(
    b_defaulted: tuple[Market, DefaultCase],
) -> None:
    market, case = b_defaulted
    w = market.world
    w.member_a.accept_client(case.id, "client-seg")
    w.ccp.default.port(case.id, "client-seg")
    err = market.refused(lambda: w.ccp.default.withdraw(case.id, "x"), errors.DefaultClientsMoved)
    assert err.clients == 1


def test_a_segregated_client_without_an_account_is_ported_in_the_register_alone(
    market: Market,
) -> None:
    w = market.world
    w.ccp.register.admit_client(w.keys[8].address, "client-new", "member-b", AccountType.SEGREGATED)
    case = w.ccp.default.declare_member("member-b", "insolvency").value
    w.member_a.accept_client(case.id, "client-new")
    w.ccp.default.port(case.id, "client-new")
    assert w.deployment.participant("client-new").clearing_member == w.member_a.address
