"""The participant register: who is admitted, how status changes, and who may change it."""

from __future__ import annotations

import pytest
from support import World, refused

from pyclient import AccountType, Kind, Status, errors
from pyclient.units import to_bytes32


def registry_state(world: World) -> list:
    return [(p.address, p.status, p.kind) for p in world.deployment.participants()]


def registry_refused(world: World, call, error: type[Exception]) -> Exception:
    before = registry_state(world)
    err = refused(world, ("JPY",), call, error)
    assert registry_state(world) == before
    return err


@pytest.mark.parametrize(
    "kind",
    [
        Kind.CCP,
        Kind.CLEARING_MEMBER,
        Kind.TRUST_BANK,
        Kind.ETF_MANAGER,
        Kind.ORACLE,
        Kind.WAREHOUSE,
    ],
)
def test_operator_admits_each_kind_active_with_an_event(world: World, kind: Kind) -> None:
    address, name = world.keys[8].address, f"new-{kind.name.lower()}"
    block = world.chain.w3.eth.block_number + 1
    outcome = world.ccp.register.admit(address, kind, name)
    p = outcome.value
    assert (p.kind, p.status, p.name) == (kind, Status.ACTIVE, name)
    assert world.deployment.participant(address) == p  # the outcome's record is the chain's
    (ev,) = world.deployment.registry.history("ParticipantAdmitted", from_block=block)
    assert ev.block_number == outcome.block_number and outcome.events == (ev,)
    assert (ev["account"], ev["kind"], ev["name"]) == (address, kind, to_bytes32(name))
    assert ev["operator"] == world.ccp.address


def test_client_is_admitted_under_its_member_with_its_account_type(world: World) -> None:
    p = world.deployment.participant("client-omni")
    assert p.kind is Kind.CLIENT
    assert p.clearing_member == world.member_a.address
    assert p.account_type is AccountType.OMNIBUS
    assert [c.name for c in world.member_a.clients()] == ["client-omni"]
    assert [c.name for c in world.member_b.clients()] == ["client-seg"]


def test_participants_are_listed_in_admission_order(world: World) -> None:
    names = [p.name for p in world.deployment.participants()]
    assert names == [
        "ccp",
        "collateral-vault",
        "gold-pool",
        "delivery-settlement",
        "etf-settlement",
        "issuer",
        "member-a",
        "member-b",
        "client-seg",
        "client-omni",
        "ccp-default-mgmt",
    ]


@pytest.mark.parametrize("kind", [Kind.NONE, Kind.CLIENT])
def test_admit_refuses_kinds_that_need_another_path(world: World, kind: Kind) -> None:
    err = registry_refused(
        world,
        lambda: world.ccp.register.admit(world.keys[8].address, kind, "x"),
        errors.ParticipantKindInvalid,
    )
    assert err.kind is kind


def test_system_contract_must_be_a_contract(world: World) -> None:
    registry_refused(
        world,
        lambda: world.ccp.register.register_system_contract(
            world.keys[8].address, "not-a-contract"
        ),
        errors.ParticipantKindInvalid,
    )
    vault_standin = world.deployment.assets["SPY"].address
    p = world.ccp.register.register_system_contract(vault_standin, "vault").value
    assert p.kind is Kind.SYSTEM_CONTRACT and p.active
    world.member_a.transfer("JPY", vault_standin, 10)  # a system contract may hold assets


def test_admission_needs_an_address_and_a_name(world: World) -> None:
    registry_refused(
        world,
        lambda: world.ccp.register.admit(world.keys[8].address, Kind.ORACLE, ""),
        errors.ParticipantIdentityInvalid,
    )
    registry_refused(
        world,
        lambda: world.ccp.register.admit("0x" + "00" * 20, Kind.ORACLE, "zero"),
        errors.ParticipantIdentityInvalid,
    )


def test_a_participant_is_admitted_once(world: World) -> None:
    err = registry_refused(
        world,
        lambda: world.ccp.register.admit(world.member_a.address, Kind.ORACLE, "again"),
        errors.ParticipantAlreadyRegistered,
    )
    assert err.kind is Kind.CLEARING_MEMBER


@pytest.mark.parametrize("member", ["client-seg", "outsider", "suspended-member"])
def test_client_needs_an_active_clearing_member(world: World, member: str) -> None:
    if member == "outsider":
        member = world.outsider.address
    elif member == "suspended-member":
        world.ccp.register.suspend("member-b", "x")
        member = "member-b"
    registry_refused(
        world,
        lambda: world.ccp.register.admit_client(
            world.keys[8].address, "c", member, AccountType.SEGREGATED
        ),
        errors.ParticipantClearingMemberInvalid,
    )


def test_client_needs_an_account_type(world: World) -> None:
    registry_refused(
        world,
        lambda: world.ccp.register.admit_client(
            world.keys[8].address, "c", "member-a", AccountType.NONE
        ),
        errors.ParticipantAccountTypeInvalid,
    )


ALLOWED = {(Status.ACTIVE, Status.SUSPENDED), (Status.SUSPENDED, Status.ACTIVE)}
STATUSES = [Status.ACTIVE, Status.SUSPENDED, Status.DEFAULTED]


@pytest.mark.parametrize("start", STATUSES)
@pytest.mark.parametrize("target", [*STATUSES, Status.NONE])
def test_status_transitions_follow_the_rules(world: World, start: Status, target: Status) -> None:
    """The operator moves members between active and suspended; into or out of default only the
    default process moves them (`ParticipantDefaultManaged`)."""
    if start is Status.SUSPENDED:
        world.ccp.register.suspend("member-a", "setup")
    elif start is Status.DEFAULTED:
        world.ccp.default.declare_member("member-a", "setup")
    if (start, target) in ALLOWED:
        r = world.ccp.register.set_status("member-a", target, "because")
        assert world.deployment.participant("member-a").status is target
        assert r.value.status is target
        (ev,) = r.named("ParticipantStatusChanged")
        assert (ev["previous"], ev["current"]) == (start, target)
        assert ev["reason"] == to_bytes32("because") and ev["operator"] == world.ccp.address
    else:
        managed = Status.DEFAULTED in (start, target)
        err = registry_refused(
            world,
            lambda: world.ccp.register.set_status("member-a", target, "because"),
            errors.ParticipantDefaultManaged
            if managed
            else errors.ParticipantStatusTransitionInvalid,
        )
        assert (err.current, err.requested) == (start, target)


def test_a_default_goes_through_the_default_process_and_only_it_ends_one(world: World) -> None:
    world.ccp.register.suspend("member-a", "s")
    case = world.ccp.default.declare_member("member-a", "d").value
    assert world.deployment.participant("member-a").status is Status.DEFAULTED
    registry_refused(
        world,
        lambda: world.ccp.register.reinstate("member-a", "r"),
        errors.ParticipantDefaultManaged,
    )
    world.ccp.default.withdraw(case.id, "declared in error")
    # Back to the status it had before: suspended (the default desk does not reinstate anyone).
    assert world.deployment.participant("member-a").status is Status.SUSPENDED


def test_the_operator_cannot_record_a_default_in_the_register_by_itself(world: World) -> None:
    """A register-only default would freeze and seize nothing: only the DefaultManager may."""
    d = world.deployment
    err = registry_refused(
        world,
        lambda: world.ccp.send(
            d.registry.call("declareDefault", world.member_a.address, to_bytes32("x"))
        ),
        errors.AccessControlUnauthorizedAccount,
    )
    assert "DEFAULT_MANAGER_ROLE" in str(err)


def test_status_of_an_unknown_address_is_refused(world: World) -> None:
    err = registry_refused(
        world,
        lambda: world.ccp.register.suspend(world.outsider.address, "x"),
        errors.ParticipantUnknown,
    )
    assert err.account == world.outsider.address


@pytest.mark.parametrize("action", ["admit", "suspend", "declare_default", "admit_client"])
def test_only_the_ccp_operator_changes_the_register(world: World, action: str) -> None:
    from pyclient import Ccp

    impostor = Ccp(world.deployment, world.member_a.signer)
    calls = {
        "admit": lambda: impostor.register.admit(world.keys[8].address, Kind.ORACLE, "x"),
        "suspend": lambda: impostor.register.suspend("member-b", "x"),
        "declare_default": lambda: impostor.default.declare_member("member-b", "x"),
        "admit_client": lambda: impostor.register.admit_client(
            world.keys[8].address, "x", "member-a", AccountType.SEGREGATED
        ),
    }
    err = registry_refused(world, calls[action], errors.AccessControlUnauthorizedAccount)
    assert "CCP_OPERATOR_ROLE" in str(err) and "member-a" in str(err)


def test_a_name_the_register_has_is_refused_before_sending(world: World) -> None:
    """Names stand for participants in the SDK and the command line, so each is given once: a
    second 'member-a' would leave the name pointing at one of two participants."""
    spare = world.keys[9].address
    err = refused(
        world, ("JPY",), lambda: world.ccp.register.admit_member(spare, "member-a"),
        errors.ParticipantNameTaken,
    )  # fmt: skip
    assert "already has a participant named 'member-a'" in str(err)
    assert world.member_a.address in str(err)
    refused(
        world, ("JPY",),
        lambda: world.ccp.register.admit_client(spare, "client-seg", "member-a",
                                                AccountType.SEGREGATED),
        errors.ParticipantNameTaken,
    )  # fmt: skip
    from pyclient import Admission

    twice = [Admission(spare, Kind.CLEARING_MEMBER, "member-z"),
             Admission(world.keys[10].address, Kind.CLEARING_MEMBER, "member-z")]  # fmt: skip
    err = refused(world, ("JPY",), lambda: world.ccp.register.admit_many(twice),
                  errors.ParticipantNameTaken)  # fmt: skip
    assert "'member-z' given more than once" in str(err)
    assert world.ccp.register.admit_member(spare, "member-z").value.name == "member-z"
