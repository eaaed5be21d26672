"""Development-node helpers (Anvil only): bulk set-up sent unsigned and signed by the node."""

from __future__ import annotations

import pytest
from eth_utils import keccak, to_checksum_address
from support import World

from pyclient import Admission, Kind, errors
from pyclient.chain import devnet


def _newcomers(count: int) -> list[str]:
    return [to_checksum_address(keccak(text=f"devnet-newcomer-{i}")[12:]) for i in range(count)]


def test_node_sent_transactions_are_mined_together_and_take_effect(world: World) -> None:
    registry, chain = world.deployment.registry, world.chain
    addresses = _newcomers(5)
    calls = registry.admit_many(
        Admission(a, Kind.CLEARING_MEMBER, f"newcomer-{i}") for i, a in enumerate(addresses)
    )
    head = chain.w3.eth.block_number
    devnet.node_send(chain, world.ccp.address, [(c.to, c.data) for c in calls], gas=200_000)
    assert chain.w3.eth.block_number == head + 1  # all five in one block
    assert [registry.participant(a).name for a in addresses] == [f"newcomer-{i}" for i in range(5)]
    world.ccp.register.admit_member(_newcomers(6)[5], "after-the-flood")  # nonces still line up


def test_a_node_sent_transaction_that_reverts_is_named(world: World) -> None:
    registry, chain = world.deployment.registry, world.chain
    first, second = _newcomers(2)
    calls = registry.admit_many(
        [
            Admission(first, Kind.CLEARING_MEMBER, "newcomer-0"),
            Admission(first, Kind.CLEARING_MEMBER, "newcomer-again"),  # admitted twice: reverts
            Admission(second, Kind.CLEARING_MEMBER, "newcomer-1"),
        ]
    )
    with pytest.raises(errors.TransactionFailed, match=r"1 of 3 .* reverted \(the first: txs\[1\]"):
        devnet.node_send(chain, world.ccp.address, [(c.to, c.data) for c in calls], gas=200_000)
    assert registry.participant(first).name == "newcomer-0"
    assert registry.participant(second).name == "newcomer-1"
