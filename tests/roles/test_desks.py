"""The participants' role objects: the CCP's desks, and what a role checks before it sends."""

from __future__ import annotations

from support import Market, World, refused

from pyclient import AccountKind, errors
from pyclient.access.permissions import roles_of
from pyclient.events import describe
from pyclient.roles import Ccp, MarginDesk, RegisterDesk, TokenAgentDesk


def test_the_ccps_methods_sit_in_desks_by_business_area(world: World) -> None:
    ccp = world.ccp
    assert isinstance(ccp, Ccp)
    assert (type(ccp.register), type(ccp.agent), type(ccp.margin)) == (
        RegisterDesk, TokenAgentDesk, MarginDesk,
    )  # fmt: skip
    assert ccp.register.signer is ccp.agent.signer is ccp.margin.signer is ccp.signer


def test_the_agent_desk_grants_a_tokens_operating_role_with_an_event(world: World) -> None:
    d = world.deployment
    outcome = world.ccp.agent.grant_token_role("USD", "AGENT_ROLE", "member-b")
    assert d.token("USD").has_role("AGENT_ROLE", "member-b")
    assert not d.token("JPY").has_role("AGENT_ROLE", "member-b")
    (granted,) = outcome.named("RoleGranted")
    assert describe(granted, d) == "member-b given AGENT_ROLE on USD token by ccp"


def test_only_a_tokens_own_roles_can_be_granted_there(world: World) -> None:
    assert roles_of("PermissionedToken") == {"ISSUER_ROLE", "AGENT_ROLE", "PAUSER_ROLE"}
    for role in ("MARGIN_ENGINE_ROLE", "NO_SUCH_ROLE"):
        err = refused(
            world,
            ("USD",),
            lambda role=role: world.ccp.agent.grant_token_role("USD", role, "member-b"),
            errors.InputError,
        )
        assert "AGENT_ROLE" in str(err)


def test_a_refused_standing_instruction_sends_no_approval_first(market: Market) -> None:
    """The instruction is checked before the approvals it needs: a refusal leaves nothing."""
    w = market.world
    jpy = w.deployment.token("JPY")
    too_long = [("JPY", 1)] * 9  # the vault takes at most 8 entries
    refused(w, ("JPY",), lambda: w.member_a.set_standing_instruction(too_long),
            errors.VaultInstructionTooLong)  # fmt: skip
    assert jpy.allowance("member-a", w.deployment.vault.address) == 0
    w.member_a.set_standing_instruction([("JPY", 1)])
    assert jpy.allowance("member-a", w.deployment.vault.address) == 2**256 - 1
    again = w.member_a.set_standing_instruction([("JPY", 2)])  # already approved: one tx only
    assert [e.name for e in again.events] == ["StandingInstructionSet"]
    assert w.deployment.vault.standing_instruction(market.house_a) == [("JPY", 2)]
    assert w.member_a.vault_account(AccountKind.HOUSE).owner == w.member_a.address
