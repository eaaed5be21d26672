"""Every row of the access table is a guard that holds: a participant without the role is refused.

For each (contract, function, role) of `pyclient/artifacts/access.json`, the function is called
through the SDK, as a real transaction would be, by an active clearing member and by a key never
admitted, neither holding the role. Each must get the typed `AccessControlUnauthorizedAccount`
naming that caller and that role, from the SDK's check before sending: no block mined, no nonce
spent. The rows are read from the table, so a function that gains a guard is covered by the next
`make compile` without touching this file; a row the test cannot reach (its contract is not
deployed by any fixture) fails, it is never skipped.

Arguments are zeros, empty arrays and empty strings built from the ABI. That is enough because the
guard is `onlyRole`, a modifier that runs before the function's body, and no restricted function
has another modifier before it. The exceptions are the `grantRole` and `revokeRole` overrides of
GoodsPool and JdrToken, which refuse the issuer's role before OpenZeppelin's guard: the zero role
(DEFAULT_ADMIN_ROLE) passes that check and reaches the guard.
"""

from __future__ import annotations

from typing import Any

import pytest
from support import World, abi_value, clients_by_artifact

from pyclient import Kind, errors
from pyclient.access import permissions

ROWS = [(r.contract, r.function, r.role) for r in permissions.access_table()]
# The fixtures that deploy contracts the session's `market` does not (a JDR series' trust and
# token), tried in turn until the row's contract is there.
EXTRA_FIXTURES = ("jdr", "warehouse")
ZERO_ADDRESS = "0x" + "00" * 20


def _caller(world: World, who: str) -> Any:
    """The signing key of `who`: member-a, an active clearing member, or a key never admitted."""
    registry = world.deployment.registry
    if who == "member-a":
        member = registry.participant(world.member_a.address)
        assert member.kind is Kind.CLEARING_MEMBER and member.active, member
        return world.keys[2]
    with pytest.raises(errors.ParticipantNotFound):
        registry.participant(world.outsider.address)
    return world.outsider


@pytest.mark.parametrize("who", ["member-a", "outsider"])
@pytest.mark.parametrize("row", ROWS, ids=[f"{c}.{f}" for c, f, _ in ROWS])
def test_a_participant_without_the_role_is_refused_before_anything_is_sent(
    market, request: pytest.FixtureRequest, row: tuple[str, str, str], who: str
) -> None:
    contract, function, role = row
    world = market.world
    clients = clients_by_artifact(world.deployment)
    for fixture in EXTRA_FIXTURES:
        if contract in clients:
            break
        request.getfixturevalue(fixture)  # set up inside this test's snapshot
        clients = clients_by_artifact(world.deployment)
    assert contract in clients, f"no fixture deploys {contract}: row {row} cannot be exercised"
    client = clients[contract]
    signer = _caller(world, who)
    assert not client.has_role(role, signer.address), f"{who} holds {role}: pick another caller"

    (item,) = [i for i in client.contract.abi if i.get("name") == function]
    call = client.call(
        function, *[abi_value(p, address=ZERO_ADDRESS, number=0) for p in item["inputs"]]
    )
    w3 = world.chain.w3
    block = w3.eth.block_number
    nonce = w3.eth.get_transaction_count(signer.address, "pending")
    with pytest.raises(errors.AccessControlUnauthorizedAccount) as info:
        call.send(signer)
    refusal = info.value
    assert refusal.account == signer.address, str(refusal)
    assert (who if who == "member-a" else signer.address) in str(refusal), str(refusal)
    assert refusal.neededRole == permissions.role_id(role), str(refusal)
    assert role in str(refusal), str(refusal)  # the message names the role, not its hash
    assert w3.eth.block_number == block, "a refused call must not be mined"
    assert w3.eth.get_transaction_count(signer.address, "pending") == nonce


def test_every_contract_with_roles_lists_grant_and_revoke_under_the_admin_role(jdr) -> None:
    """Roles change only through the admin: a contract missing from these rows would leave its
    grantRole and revokeRole untested above."""
    governed = {
        name
        for name, client in clients_by_artifact(jdr.world.deployment).items()
        if client.governed
    }
    assert governed, "no contract with roles deployed"
    for name in governed:
        functions = {r.function: r.role for r in permissions.access_table() if r.contract == name}
        assert functions.get("grantRole") == permissions.ADMIN_ROLE, name
        assert functions.get("revokeRole") == permissions.ADMIN_ROLE, name
