"""The embedded chain, keys and transactions: start/stop, persistence, nonces, gas records."""

from __future__ import annotations

import pytest
from support import World

from pyclient import Ccp, Chain, Kind, TokenIssuer, attach, deploy, errors, send_all
from pyclient.chain import EmbeddedAnvil, accounts
from pyclient.tokens import DEFAULT_ASSETS


@pytest.mark.anvil_only("a state file belongs to the embedded Anvil")
def test_state_file_lets_the_chain_survive_a_restart(tmp_path) -> None:
    state = tmp_path / "chain.json"
    with Chain.connect(state_file=str(state)) as chain:
        keys = chain.dev_accounts(3)
        d = deploy(chain, keys[0], assets=DEFAULT_ASSETS[:1])
        Ccp(d, keys[0]).register.admit_member(keys[1].address, "member-a")
        TokenIssuer(d, keys[0]).issue("JPY", "member-a", 42, ref="before restart")
        manifest = d.manifest()
    assert state.exists()
    with Chain.connect(state_file=str(state)) as chain:
        again = attach(manifest, chain)
        assert again.participant("member-a").kind is Kind.CLEARING_MEMBER
        token = again.token("JPY")
        assert (
            token.contract.functions.balanceOf(again.participant("member-a").address).call() == 42
        )


@pytest.mark.anvil_only("starts an embedded Anvil of its own")
def test_embedded_node_stops_cleanly() -> None:
    node = EmbeddedAnvil().start()
    assert node.running
    node.stop()
    assert not node.running
    with pytest.raises(errors.ChainUnavailable):
        Chain.connect(node.url)


@pytest.mark.anvil_only("starts an embedded Anvil of its own")
def test_development_keys_are_refused_on_any_other_chain() -> None:
    with EmbeddedAnvil(chain_id=4242) as node:
        chain = Chain.connect(node.url)  # attached by URL: nothing marks it as ours
        assert not chain.is_local_dev
        with pytest.raises(errors.SignerUnavailable, match="4242"):
            chain.dev_accounts()


def test_keys_load_from_the_environment_and_from_a_keystore(monkeypatch, tmp_path) -> None:
    from eth_account import Account

    key = accounts.dev_keys(1)[0]
    monkeypatch.setenv("KABUTO_PRIVATE_KEY", key.key.hex())
    assert accounts.from_env().address == key.address
    monkeypatch.delenv("KABUTO_PRIVATE_KEY")
    with pytest.raises(errors.SignerUnavailable):
        accounts.from_env()
    store = tmp_path / "key.json"
    import json

    store.write_text(json.dumps(Account.encrypt(key.key, "pw", kdf="pbkdf2", iterations=2)))
    assert accounts.from_keystore(store, "pw").address == key.address
    with pytest.raises(errors.SignerUnavailable, match="decrypt"):
        accounts.from_keystore(store, "wrong")


def test_pipelined_sends_use_consecutive_nonces_and_all_confirm(world: World) -> None:
    token = world.deployment.token("JPY")
    sender = world.member_a.signer
    start = world.chain.w3.eth.get_transaction_count(sender.address)
    receipts = send_all([token.transfer("member-b", 1) for _ in range(25)], sender).receipts
    assert len(receipts) == 25
    nonces = [world.chain.w3.eth.get_transaction(r.tx_hash)["nonce"] for r in receipts]
    assert nonces == list(range(start, start + 25))
    assert world.member_b.balance("JPY") == 1_000_025


def test_a_refused_call_spends_no_nonce(world: World) -> None:
    sender = world.member_a.signer
    before = world.chain.w3.eth.get_transaction_count(sender.address)
    with pytest.raises(errors.ParticipantUnknown):
        world.member_a.transfer("JPY", world.outsider.address, 1)
    world.member_a.transfer("JPY", "member-b", 1)
    assert world.chain.w3.eth.get_transaction_count(sender.address) == before + 1


def test_a_transaction_that_reverts_on_chain_is_explained(world: World) -> None:
    """With an explicit gas limit nothing is estimated, so the revert happens in a block."""
    token = world.deployment.token("JPY")
    fn = token.contract.functions.transfer(world.outsider.address, 1)
    with pytest.raises(errors.ParticipantUnknown):
        world.chain.transact(fn, world.member_a.signer, gas=200_000)
    with pytest.raises(errors.TransactionFailed, match="out of gas"):
        world.chain.transact(
            token.contract.functions.transfer(world.member_b.address, 1),
            world.member_a.signer,
            gas=40_000,
        )


def test_gas_of_every_receipt_is_recorded(world: World) -> None:
    before = len(world.chain.gas_log)
    r = world.member_a.transfer("JPY", "member-b", 1)
    record = world.chain.gas_log[before]
    assert (record.label, record.gas_used, record.tx_hash) == (
        "token.transfer",
        r.gas_used,
        r.tx_hash,
    )
