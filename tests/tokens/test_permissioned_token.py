"""Every rule of the permissioned token, each with a refusal that changes nothing.

The rules live in one `_update` override (contracts/tokens/PermissionedToken.sol): both parties
active in the registry, neither frozen, the sender's unfrozen balance enough, and the token not
paused; forced transfers by the agent bypass the sender's side only.
"""

from __future__ import annotations

import datetime as dt
from decimal import Decimal

import pytest
from support import Market, World, refused

from pyclient import AccountKind, AssetClass, Status, errors
from pyclient.units import to_bytes32

# ---------------------------------------------------------------- ordinary transfers


def test_transfer_between_active_members_moves_the_amount(world: World) -> None:
    receipt = world.member_a.transfer("JPY", "member-b", 250_000)
    assert world.member_a.balance("JPY") == 750_000
    assert world.member_b.balance("JPY") == 1_250_000
    (transfer,) = receipt.named("Transfer")
    assert (transfer["from"], transfer["to"], transfer["value"]) == (
        world.member_a.address,
        world.member_b.address,
        250_000,
    )
    assert receipt.gas_used > 21_000


def test_usd_amounts_are_in_cents(world: World) -> None:
    world.member_a.transfer("USD", "member-b", "0.01")
    assert world.member_a.balance("USD") == Decimal("9999.99")
    assert world.member_b.balance("USD") == Decimal("10000.01")
    assert world.deployment.token("USD").balances([world.member_b.address]) == {
        world.member_b.address: 1_000_001
    }


def test_transfer_to_unregistered_address_is_refused_and_changes_nothing(world: World) -> None:
    err = refused(
        world,
        ("JPY",),
        lambda: world.member_a.transfer("JPY", world.outsider.address, 1),
        errors.ParticipantUnknown,
    )
    assert err.account == world.outsider.address
    assert world.outsider.address in str(err)


def test_transfer_from_unregistered_holder_is_refused(world: World) -> None:
    from pyclient.roles import Role

    outsider = Role(world.deployment, world.outsider)
    err = refused(
        world, ("JPY",), lambda: outsider.transfer("JPY", "member-a", 1), errors.ParticipantUnknown
    )
    assert err.account == world.outsider.address


@pytest.mark.parametrize("status", [Status.SUSPENDED, Status.DEFAULTED])
@pytest.mark.parametrize("side", ["sender", "receiver"])
def test_inactive_participant_can_neither_send_nor_receive(
    world: World, status: Status, side: str
) -> None:
    if status is Status.DEFAULTED:
        world.ccp.default.declare_member("member-b", "test")
    else:
        world.ccp.register.set_status("member-b", status, "test")
    if side == "sender":
        call = lambda: world.member_b.transfer("JPY", "member-a", 1)  # noqa: E731
    else:
        call = lambda: world.member_a.transfer("JPY", "member-b", 1)  # noqa: E731
    err = refused(world, ("JPY",), call, errors.ParticipantNotActive)
    assert err.account == world.member_b.address
    assert err.status is status
    assert "member-b" in str(err) and status.name in str(err)


def test_reinstated_participant_transacts_again(world: World) -> None:
    world.ccp.register.suspend("member-b", "late report")
    world.ccp.register.reinstate("member-b", "report filed")
    world.member_a.transfer("JPY", "member-b", 10)
    assert world.member_b.balance("JPY") == 1_000_010


def test_transfer_from_is_held_to_the_same_rules(world: World) -> None:
    """The allowance path reaches the same `_update`: no second copy of the rules to drift."""
    token = world.deployment.token("JPY")
    world.member_a.send(token.approve("member-b", 500))
    bad = token.call("transferFrom", world.member_a.address, world.outsider.address, 100)
    refused(world, ("JPY",), lambda: world.member_b.send(bad), errors.ParticipantUnknown)
    before = world.client_seg.balance("JPY")
    ok = token.call("transferFrom", world.member_a.address, world.client_seg.address, 100)
    world.member_b.send(ok)
    assert world.client_seg.balance("JPY") == before + 100


def test_balance_beyond_holding_is_refused_with_amounts_in_the_asset(world: World) -> None:
    err = refused(
        world,
        ("USD",),
        lambda: world.member_a.transfer("USD", "member-b", "10000.01"),
        errors.ERC20InsufficientBalance,
    )
    assert (err.balance, err.needed) == (1_000_000, 1_000_001)
    assert "member-a" in str(err) and "10,000.00 USD" in str(err) and "10,000.01 USD" in str(err)


# ---------------------------------------------------------------- freezes


@pytest.mark.parametrize("side", ["sender", "receiver"])
def test_frozen_account_can_neither_send_nor_receive(world: World, side: str) -> None:
    world.ccp.agent.freeze("JPY", "member-b", reason="investigation")
    if side == "sender":
        call = lambda: world.member_b.transfer("JPY", "member-a", 1)  # noqa: E731
    else:
        call = lambda: world.member_a.transfer("JPY", "member-b", 1)  # noqa: E731
    err = refused(world, ("JPY",), call, errors.TokenAccountFrozen)
    assert err.account == world.member_b.address
    assert world.member_b.free_balance("JPY") == 0


def test_freeze_is_per_asset(world: World) -> None:
    world.ccp.agent.freeze("JPY", "member-b", reason="investigation")
    world.member_b.transfer("USD", "member-a", 1)
    assert world.member_b.balance("USD") == 9_999


def test_unfrozen_account_moves_again_and_freeze_events_carry_the_reason(world: World) -> None:
    r = world.ccp.agent.freeze("JPY", "member-b", reason="investigation")
    (ev,) = r.named("AccountFreezeChanged")
    assert ev["account"] == world.member_b.address and ev["frozen"] is True
    assert ev["reason"] == to_bytes32("investigation") and ev["agent"] == world.ccp.address
    world.ccp.agent.unfreeze("JPY", "member-b", reason="cleared")
    world.member_b.transfer("JPY", "member-a", 1)


def test_freezing_twice_is_refused(world: World) -> None:
    world.ccp.agent.freeze("JPY", "member-b", reason="x")
    err = refused(
        world,
        ("JPY",),
        lambda: world.ccp.agent.freeze("JPY", "member-b", reason="x"),
        errors.TokenFreezeUnchanged,
    )
    assert err.frozen is True


def test_partial_freeze_leaves_only_the_free_balance_movable(world: World) -> None:
    r = world.ccp.agent.freeze_tokens("JPY", "member-a", 400_000, reason="pledge")
    (ev,) = r.named("TokensFrozen")
    assert (ev["amount"], ev["totalFrozen"]) == (400_000, 400_000)
    assert world.member_a.free_balance("JPY") == 600_000
    world.member_a.transfer("JPY", "member-b", 600_000)
    err = refused(
        world,
        ("JPY",),
        lambda: world.member_a.transfer("JPY", "member-b", 1),
        errors.TokenInsufficientFreeBalance,
    )
    assert (err.freeBalance, err.needed) == (0, 1)
    assert "member-a" in str(err) and "JPY" in str(err)


def test_partial_freeze_cannot_exceed_the_balance_and_release_cannot_exceed_frozen(
    world: World,
) -> None:
    world.ccp.agent.freeze_tokens("JPY", "member-a", 900_000, reason="pledge")
    err = refused(
        world,
        ("JPY",),
        lambda: world.ccp.agent.freeze_tokens("JPY", "member-a", 100_001, reason="more"),
        errors.TokenFreezeExceedsBalance,
    )
    assert (err.balance, err.frozen, err.amount) == (1_000_000, 900_000, 100_001)
    err = refused(
        world,
        ("JPY",),
        lambda: world.ccp.agent.unfreeze_tokens("JPY", "member-a", 900_001, reason="release"),
        errors.TokenUnfreezeExceedsFrozen,
    )
    assert err.frozen == 900_000
    world.ccp.agent.unfreeze_tokens("JPY", "member-a", 900_000, reason="release")
    assert world.member_a.free_balance("JPY") == 1_000_000


def test_issuer_cannot_burn_frozen_tokens(world: World) -> None:
    world.ccp.agent.freeze_tokens("JPY", "member-a", 999_999, reason="pledge")
    refused(
        world,
        ("JPY",),
        lambda: world.issuer.redeem("JPY", "member-a", 2, ref="withdrawal"),
        errors.TokenInsufficientFreeBalance,
    )


# ---------------------------------------------------------------- pause


def test_pause_halts_transfers_but_not_the_issuer_or_the_agent(world: World) -> None:
    world.ccp.agent.pause("JPY")
    refused(
        world,
        ("JPY",),
        lambda: world.member_a.transfer("JPY", "member-b", 1),
        errors.EnforcedPause,
    )
    world.issuer.issue("JPY", "member-a", 5, ref="paused mint")
    world.issuer.redeem("JPY", "member-a", 3, ref="paused burn")
    world.ccp.agent.forced_transfer("JPY", "member-a", "member-b", 2, reason="paused force")
    assert world.member_a.balance("JPY") == 1_000_000
    world.ccp.agent.unpause("JPY")
    world.member_a.transfer("JPY", "member-b", 1)
    assert world.member_b.balance("JPY") == 1_000_003


def test_pause_is_per_asset_and_unpausing_twice_is_refused(world: World) -> None:
    world.ccp.agent.pause("JPY")
    world.member_a.transfer("USD", "member-b", 1)
    world.ccp.agent.unpause("JPY")
    refused(world, ("JPY",), lambda: world.ccp.agent.unpause("JPY"), errors.ExpectedPause)


def test_only_the_pauser_pauses(world: World) -> None:
    token = world.deployment.token("JPY")
    err = refused(
        world,
        ("JPY",),
        lambda: world.member_a.send(token.pause()),
        errors.AccessControlUnauthorizedAccount,
    )
    assert "PAUSER_ROLE" in str(err) and "member-a" in str(err)


# ---------------------------------------------------------------- forced transfer


def test_forced_transfer_moves_a_defaulted_frozen_members_assets(world: World) -> None:
    world.ccp.default.declare_member("member-b", "missed margin call")
    world.ccp.agent.freeze("JPY", "member-b", reason="default")
    r = world.ccp.agent.forced_transfer(
        "JPY", "member-b", "ccp-default-mgmt", 1_000_000, reason="default management"
    )
    assert world.member_b.balance("JPY") == 0
    assert world.default_account.balance("JPY") == 1_000_000
    (ev,) = r.named("ForcedTransfer")
    assert (ev["from"], ev["to"], ev["amount"], ev["agent"]) == (
        world.member_b.address,
        world.default_account.address,
        1_000_000,
        world.ccp.address,
    )
    assert ev["reason"] == to_bytes32("default management")


def test_forced_transfer_releases_only_the_frozen_tokens_it_needs(world: World) -> None:
    world.ccp.agent.freeze_tokens("JPY", "member-a", 800_000, reason="pledge")
    r = world.ccp.agent.forced_transfer("JPY", "member-a", "member-b", 300_000, reason="close-out")
    (ev,) = r.named("TokensUnfrozen")
    assert (ev["amount"], ev["totalFrozen"]) == (100_000, 700_000)
    assert world.deployment.token("JPY").contract.functions.frozenTokens(
        world.member_a.address
    ).call() == (700_000)
    assert world.member_a.free_balance("JPY") == 0


@pytest.mark.parametrize(
    ("receiver_state", "error"),
    [
        ("unregistered", errors.ParticipantUnknown),
        ("suspended", errors.ParticipantNotActive),
        ("frozen", errors.TokenAccountFrozen),
    ],
)
def test_forced_transfer_still_needs_an_eligible_receiver(
    world: World, receiver_state: str, error: type[Exception]
) -> None:
    receiver = world.member_b.address
    if receiver_state == "unregistered":
        receiver = world.outsider.address
    elif receiver_state == "suspended":
        world.ccp.register.suspend("member-b", "x")
    else:
        world.ccp.agent.freeze("JPY", "member-b", reason="x")
    refused(
        world,
        ("JPY",),
        lambda: world.ccp.agent.forced_transfer("JPY", "member-a", receiver, 1, reason="x"),
        error,
    )


def test_forced_transfer_beyond_the_balance_and_by_a_non_agent_are_refused(world: World) -> None:
    refused(
        world,
        ("JPY",),
        lambda: world.ccp.agent.forced_transfer(
            "JPY", "member-a", "member-b", 1_000_001, reason="x"
        ),
        errors.ERC20InsufficientBalance,
    )
    token = world.deployment.token("JPY")
    grab = token.forced_transfer("member-a", "member-b", 1, reason="x")
    err = refused(
        world,
        ("JPY",),
        lambda: world.member_b.send(grab),
        errors.AccessControlUnauthorizedAccount,
    )
    assert "AGENT_ROLE" in str(err)


# ---------------------------------------------------------------- issuance


def test_issuer_mints_and_burns_with_reconcilable_events(world: World) -> None:
    r = world.issuer.issue("JGB374", "member-b", 20, ref="BOJ-NET 123")
    (ev,) = r.named("Issued")
    assert (ev["to"], ev["amount"], ev["issuer"]) == (
        world.member_b.address,
        20,
        world.issuer.address,
    )
    assert ev["ref"] == to_bytes32("BOJ-NET 123")
    r = world.issuer.redeem("JGB374", "member-b", 5, ref="BOJ-NET 124")
    (ev,) = r.named("Redeemed")
    assert (ev["from"], ev["amount"]) == (world.member_b.address, 5)
    assert world.member_b.balance("JGB374") == 15
    assert world.deployment.token("JGB374").total_supply() == 115


def test_only_the_issuer_mints_even_the_operator_no_longer_can(world: World) -> None:
    operator_as_issuer = type(world.issuer)(world.deployment, world.ccp.signer)
    err = refused(
        world,
        ("JPY",),
        lambda: operator_as_issuer.issue("JPY", "member-a", 1),
        errors.AccessControlUnauthorizedAccount,
    )
    assert "ISSUER_ROLE" in str(err)


def test_mint_to_unregistered_or_suspended_is_refused(world: World) -> None:
    refused(
        world,
        ("JPY",),
        lambda: world.issuer.issue("JPY", world.outsider.address, 1),
        errors.ParticipantUnknown,
    )
    world.ccp.register.suspend("member-a", "x")
    refused(
        world,
        ("JPY",),
        lambda: world.issuer.issue("JPY", "member-a", 1),
        errors.ParticipantNotActive,
    )


def test_zero_amounts_are_refused_on_chain_too(world: World) -> None:
    """Python refuses zero first; the contract refuses it for callers that bypass Python."""
    token = world.deployment.token("JPY")
    for call in (
        token.call("mint", world.member_a.address, 0, to_bytes32("x")),
        token.call("burn", world.member_a.address, 0, to_bytes32("x")),
    ):
        refused(
            world,
            ("JPY",),
            lambda call=call: world.issuer.send(call),
            errors.TokenZeroAmount,
        )


# ---------------------------------------------------------------- what the token is


def test_assets_are_instances_of_one_token_with_their_own_description(world: World) -> None:
    d = world.deployment
    jgb = d.token("JGB374").contract.functions
    info = jgb.assetInfo().call()
    assert AssetClass(info[0]) is AssetClass.BOND
    assert info[1] == b"JPY" and info[2] == b"JP1103741003"
    assert dt.datetime.fromtimestamp(info[3], dt.UTC).date() == dt.date(2034, 3, 20)
    assert info[4] == 50_000
    assert d.token("USD").contract.functions.decimals().call() == 2
    assert d.token("JPY").contract.functions.decimals().call() == 0
    plain = [a for a in d.assets.values() if a.spec.pool_commodity is None]  # GOLD: a GoodsPool
    code = {world.chain.w3.eth.get_code(a.address) for a in plain}
    assert len(code) > 1  # immutables differ (two ETFs described alike share them)...
    sizes = {len(c) for c in code}
    assert len(sizes) == 1  # ...but it is the same contract code everywhere


# ---------------------------------------------------------------- powers stop at custody


@pytest.fixture
def in_custody(market: Market) -> str:
    """member-a's 600,000 JPY in its house account: the vault holds them and keeps their ledger."""
    market.world.member_a.deposit("JPY", 600_000)
    return market.world.deployment.vault.address


@pytest.mark.parametrize(
    "power", ["burn", "forced out", "forced in", "freeze", "freeze tokens", "mint"]
)
def test_issuer_and_agent_powers_cannot_reach_into_the_vault(
    world: World, in_custody: str, power: str
) -> None:
    """Burning or force-moving tokens the vault holds would leave its ledger promising what its
    balance no longer has: the first withdrawal paid, the next one failing."""
    calls = {
        "burn": lambda: world.issuer.redeem("JPY", in_custody, 1, ref="x"),
        "forced out": lambda: world.ccp.agent.forced_transfer(
            "JPY", in_custody, "member-b", 1, reason="x"
        ),
        "forced in": lambda: world.ccp.agent.forced_transfer(
            "JPY", "member-b", in_custody, 1, reason="x"
        ),
        "freeze": lambda: world.ccp.agent.freeze("JPY", in_custody, reason="x"),
        "freeze tokens": lambda: world.ccp.agent.freeze_tokens("JPY", in_custody, 1, reason="x"),
        "mint": lambda: world.issuer.issue("JPY", in_custody, 1, ref="x"),
    }
    err = refused(world, ("JPY",), calls[power], errors.TokenCustodyProtected)
    assert err.custodian == in_custody
    assert world.deployment.vault.holdings(world.member_a.account_id(AccountKind.HOUSE)) == {
        "JPY": 600_000
    }
    world.member_a.withdraw("JPY", 600_000)  # the ledger and the balance still agree


def test_a_spender_must_itself_be_an_active_unfrozen_participant(world: World) -> None:
    """An allowance held by an outsider, or by a suspended or frozen participant, moves nothing."""
    token = world.deployment.token("JPY")
    world.member_a.send(token.approve(world.outsider.address, 500))
    world.member_a.send(token.approve("member-b", 500))
    move = token.call("transferFrom", world.member_a.address, world.client_seg.address, 100)
    refused(world, ("JPY",), lambda: move.send(world.outsider), errors.ParticipantUnknown)
    world.ccp.agent.freeze("JPY", "member-b", reason="inquiry")
    err = refused(world, ("JPY",), lambda: world.member_b.send(move), errors.TokenAccountFrozen)
    assert err.account == world.member_b.address
    world.ccp.agent.unfreeze("JPY", "member-b", reason="cleared")
    world.ccp.register.suspend("member-b", "inquiry")
    err = refused(world, ("JPY",), lambda: world.member_b.send(move), errors.ParticipantNotActive)
    assert err.account == world.member_b.address


def test_a_frozen_total_that_does_not_fit_its_field_is_refused_not_wrapped(world: World) -> None:
    """The frozen total is kept in 248 bits: a freeze beyond that used to wrap to a small number
    (the event saying one thing, the state another); it is refused now."""
    huge = 2**248
    world.issuer.issue("JGB374", "member-b", huge, ref="a bank's worth")
    err = refused(
        world,
        ("JGB374",),
        lambda: world.ccp.agent.freeze_tokens("JGB374", "member-b", huge, reason="everything"),
        errors.SafeCastOverflowedUintDowncast,
    )
    assert (err.bits, err.value) == (248, huge)
    assert world.member_b.free_balance("JGB374") == world.member_b.balance("JGB374")
