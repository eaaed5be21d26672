"""How the client sends: gas learnt once per shape of call and checked each time, JSON-RPC batches,
synchronous sends where the node has them, local signing, and recovery from a lost connection or a
node that lost its pool (every transaction mined exactly once)."""

from __future__ import annotations

import threading
from collections import Counter
from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from typing import Any

import coincurve
import pytest
import requests
import rlp
from eth_account import Account
from hypothesis import given
from hypothesis import strategies as st
from support import World, refused
from web3 import Web3

from pyclient import Chain, ClearingMember, Deployment, Kind, attach, errors, send_all
from pyclient.chain import client, devnet
from pyclient.chain.accounts import dev_keys

# ---------------------------------------------------------------------- helpers


class Spy:
    """A chain's transport that counts the requests it carries (a batch is one) and the JSON-RPC
    methods in them."""

    def __init__(self, inner: Any) -> None:
        self.inner, self.posts, self.methods = inner, 0, Counter[str]()

    def request(self, method: str, params: list[Any]) -> dict[str, Any]:
        self.posts += 1
        self.methods[method] += 1
        return self.inner.request(method, params)

    def batch(self, calls: Sequence[tuple[str, list[Any]]]) -> Any:
        self.posts += 1
        self.methods.update(method for method, _ in calls)
        return self.inner.batch(calls)


@contextmanager
def spying(chain: Chain) -> Iterator[Spy]:
    spy = Spy(chain.transport)
    chain.transport = spy  # type: ignore[assignment]
    try:
        yield spy
    finally:
        chain.transport = spy.inner


class FlakyProvider(Web3.HTTPProvider):
    """An HTTP provider whose connection drops at the `at`-th request once armed: before the
    request reaches the node ("before"), or after the node acted on it, its answer lost
    ("after")."""

    def __init__(self, url: str, *, at: int = 0, when: str = "before") -> None:
        super().__init__(url)
        self.at, self.when, self.seen, self.armed = at, when, 0, False

    def _maybe_drop(self, forward: Any) -> Any:
        if not self.armed:
            return forward()
        self.seen += 1
        if self.seen != self.at:
            return forward()
        if self.when == "after":
            forward()
        raise requests.exceptions.ConnectionError("connection dropped (test)")

    def make_request(self, method: Any, params: Any) -> Any:
        return self._maybe_drop(lambda: super(FlakyProvider, self).make_request(method, params))

    def make_batch_request(self, calls: Any) -> Any:
        return self._maybe_drop(lambda: super(FlakyProvider, self).make_batch_request(calls))


class NoSyncProvider(Web3.HTTPProvider):
    """A node without `eth_sendRawTransactionSync`, answering as Besu does."""

    def make_request(self, method: Any, params: Any) -> Any:
        if method == "eth_sendRawTransactionSync":
            return {
                "jsonrpc": "2.0",
                "id": 1,
                "error": {"code": -32601, "message": "Method not found"},
            }
        return super().make_request(method, params)


def anvil_only(world: World, why: str) -> None:
    """Skip the test on any node but the embedded Anvil (the suite also runs on other nodes)."""
    if world.chain.node is None:
        pytest.skip(f"Anvil only: {why}")


def fresh(world: World, provider: Any = None) -> tuple[Chain, Deployment]:
    """Another connection to the session's node (nothing learnt yet), with the deployment."""
    chain = Chain(Web3(provider)) if provider is not None else Chain.connect(world.chain.url)
    return chain, attach(world.deployment.manifest(), chain)


def transferred_once(world: World, sender: str, head: int, amounts: list[int]) -> None:
    """Every amount (each distinct) left `sender` exactly once since block `head`, by the
    chain's own record of Transfer events."""
    token = world.deployment.token("JPY")
    moved = [e["value"] for e in token.history("Transfer", from_block=head + 1)
             if e["from"] == sender]  # fmt: skip
    assert sorted(moved) == sorted(amounts)


# ---------------------------------------------------------------------- gas, learnt and checked


def test_a_call_of_a_shape_already_estimated_is_checked_not_estimated(world: World) -> None:
    chain, d = fresh(world)
    member = ClearingMember(d, world.member_a.signer)
    with spying(chain) as spy:
        member.transfer("JPY", "member-b", 1)
    assert spy.methods["eth_estimateGas"] == 1  # the first of its shape
    with spying(chain) as spy:
        member.transfer("JPY", "member-b", 2)
    assert (spy.methods["eth_estimateGas"], spy.methods["eth_call"]) == (0, 1)
    assert world.member_b.balance("JPY") == 1_000_003


def test_a_call_of_a_known_shape_that_would_revert_is_refused_unsent(world: World) -> None:
    chain, d = fresh(world)
    member = ClearingMember(d, world.member_a.signer)
    member.transfer("JPY", "member-b", 1)
    nonce = chain.w3.eth.get_transaction_count(member.address)
    with spying(chain) as spy:
        refused(world, ("JPY",), lambda: member.transfer("JPY", world.outsider.address, 1),
                errors.ParticipantUnknown)  # fmt: skip
    assert spy.methods["eth_sendRawTransaction"] + spy.methods["eth_sendRawTransactionSync"] == 0
    assert chain.w3.eth.get_transaction_count(member.address) == nonce
    member.transfer("JPY", "member-b", 1)  # nonces still in step


def test_a_learnt_gas_need_that_proves_short_is_estimated_again(world: World) -> None:
    """A transfer to a holder of nothing writes a new balance: more gas than one to a holder."""
    chain, d = fresh(world)
    member = ClearingMember(d, world.member_a.signer)
    warm = member.transfer("JPY", "member-b", 1)  # learnt on a recipient that holds JPY
    # Two registered participants holding no JPY (which depends on the fixtures set up so far:
    # the market's gives the clients theirs).
    jpy = d.token("JPY")
    first, second = [
        p.address for p in d.participants()
        if p.kind is not Kind.SYSTEM_CONTRACT and jpy.balance_of(p.address) == 0
    ][:2]  # fmt: skip
    with spying(chain) as spy:
        cold = member.transfer("JPY", first, 1)
    assert spy.methods["eth_call"] == 1 and spy.methods["eth_estimateGas"] == 1
    assert cold.gas_used > warm.gas_used + 10_000
    assert jpy.balance_of(first) == 1
    with spying(chain) as spy:  # the larger need is kept: no estimate for the next cold one
        member.transfer("JPY", second, 1)
    assert spy.methods["eth_estimateGas"] == 0


def test_calldata_encoded_here_is_what_web3_encodes(world: World) -> None:
    d = world.deployment
    fns = [
        d.token("JPY").transfer("member-b", 250).fn,
        d.vault.call("postRequirements", [1, 2, 3], [10, 0, 2**200], b"\x07" * 32).fn,
        d.registry.contract.functions.participant(world.member_a.address),
    ]
    for fn in fns:
        assert world.chain._data(fn) == fn._encode_transaction_data()


# ---------------------------------------------------------------------- signing


key = dev_keys(1)[0]
fees = st.fixed_dictionaries(
    {"maxFeePerGas": st.integers(0, 2**128), "maxPriorityFeePerGas": st.integers(0, 2**64)}
) | st.fixed_dictionaries({"gasPrice": st.integers(0, 2**128)})


@given(
    nonce=st.integers(0, 2**64 - 1),
    gas=st.integers(21_000, 30_000_000),
    value=st.integers(0, 2**200),
    data=st.binary(max_size=300),
    to=st.sampled_from([None, key.address, "0x" + "00" * 20]),
    chain_id=st.sampled_from([1, 31_337, 4_242, 2**40]),
    fee=fees,
)
def test_a_transaction_signed_here_is_byte_for_byte_what_eth_account_signs(
    nonce: int, gas: int, value: int, data: bytes, to: str | None, chain_id: int, fee: dict
) -> None:
    tx = {"nonce": nonce, "gas": gas, "value": value, "data": "0x" + data.hex(),
          "chainId": chain_id, **fee} | ({"to": to} if to else {})  # fmt: skip
    raw = client._sign_fast(coincurve.PrivateKey(bytes(key.key)), tx)
    assert raw == bytes(Account.sign_transaction(tx, key.key).raw_transaction)
    assert client._rlp([nonce, data, [value, [b""]]]) == rlp.encode([nonce, data, [value, [b""]]])


# ---------------------------------------------------------------------- sending


def test_a_single_send_gets_its_receipt_in_the_same_round_trip(world: World) -> None:
    anvil_only(world, "the node offers eth_sendRawTransactionSync")
    chain, d = fresh(world)
    member = ClearingMember(d, world.member_a.signer)
    with spying(chain) as spy:
        member.transfer("JPY", "member-b", 1)
    assert chain.sync_send is True  # Anvil offers eth_sendRawTransactionSync
    assert spy.methods["eth_sendRawTransactionSync"] == 2  # asked once (a probe), then used
    with spying(chain) as spy:
        member.transfer("JPY", "member-b", 1)
    assert spy.methods["eth_sendRawTransactionSync"] == 1
    assert spy.methods["eth_getTransactionReceipt"] == 0


def test_a_node_without_synchronous_sends_is_polled_for_receipts(world: World) -> None:
    chain, d = fresh(world, NoSyncProvider(world.chain.url))
    sent = ClearingMember(d, world.member_a.signer).transfer("JPY", "member-b", 7)
    assert chain.sync_send is False and sent.gas_used > 21_000
    assert world.member_b.balance("JPY") == 1_000_007


def test_send_all_checks_sends_and_confirms_in_a_few_requests(world: World) -> None:
    chain, d = fresh(world)
    member = ClearingMember(d, world.member_a.signer)
    member.transfer("JPY", "member-b", 1)  # its shape is known
    calls = [d.token("JPY").transfer("member-b", a) for a in range(1, 51)]
    with spying(chain) as spy:
        batch = member.send_all(calls)
    assert [e["value"] for e in batch.named("Transfer")] == list(range(1, 51))
    assert spy.methods["eth_estimateGas"] == 0 and spy.methods["eth_call"] == 50
    if world.chain.node is not None:  # Hardhat's node refuses a batch's nonces ahead of its
        # count (it mines each send as it comes): those are sent again one at a time
        assert spy.methods["eth_sendRawTransaction"] == 50
        assert spy.posts < 20  # checks, the first send, the other 49, a few receipt polls


def test_send_all_in_several_batches_reports_progress_call_by_call(
    world: World, monkeypatch: pytest.MonkeyPatch
) -> None:
    chain, d = fresh(world)
    chain.batch_size = 7
    monkeypatch.setattr("pyclient.contracts.base.IN_FLIGHT", 10)  # waits for some midway
    sender = world.member_a.signer
    start = chain.w3.eth.get_transaction_count(sender.address)
    seen: list[tuple[int, int]] = []
    calls = [d.token("JPY").transfer("member-b", a) for a in range(1, 31)]
    batch = send_all(calls, sender, progress=lambda i, n: seen.append((i, n)))
    assert seen == [(i, 30) for i in range(1, 31)]
    nonces = [chain.w3.eth.get_transaction(r.tx_hash)["nonce"] for r in batch.receipts]
    assert nonces == list(range(start, start + 30))


def test_a_nonce_taken_by_another_client_is_read_again_from_the_node(world: World) -> None:
    chain, d = fresh(world)
    _, elsewhere = fresh(world)
    signer = world.member_a.signer
    ClearingMember(d, signer).transfer("JPY", "member-b", 1)  # the count is now kept here...
    ClearingMember(elsewhere, signer).transfer("JPY", "member-b", 2)  # ...and falls behind
    start = chain.w3.eth.get_transaction_count(signer.address)
    head = chain.w3.eth.block_number
    amounts = list(range(10, 20))
    send_all([d.token("JPY").transfer("member-b", a) for a in amounts], signer)
    transferred_once(world, signer.address, head, amounts)
    assert chain.w3.eth.get_transaction_count(signer.address) == start + len(amounts)


# ---------------------------------------------------------------------- lost connections


@pytest.mark.parametrize("when", ["before", "after"])
@pytest.mark.parametrize("at", range(1, 15))
def test_a_connection_dropped_mid_batch_loses_no_transaction_and_sends_none_twice(
    world: World, at: int, when: str
) -> None:
    """Three JSON-RPC batches of sends (fees, estimate, checks, nonce, sends, receipts: about 14
    requests); the connection drops at each in turn, before the request reaches the node or after
    the node acted on it."""
    provider = FlakyProvider(world.chain.url, at=at, when=when)
    chain, d = fresh(world, provider)
    chain.batch_size = 8
    signer = world.member_a.signer
    amounts = list(range(1, 21))
    calls = [d.token("JPY").transfer("member-b", a) for a in amounts]
    start, head = chain.w3.eth.get_transaction_count(signer.address), chain.w3.eth.block_number
    provider.armed = True
    batch = send_all(calls, signer)
    provider.armed = False
    assert provider.seen >= at  # it did drop
    assert [e["value"] for e in batch.named("Transfer")] == amounts
    transferred_once(world, signer.address, head, amounts)
    assert chain.w3.eth.get_transaction_count(signer.address) == start + len(amounts)
    assert world.member_b.balance("JPY") == 1_000_000 + sum(amounts)


@pytest.mark.parametrize("when", ["before", "after"])
@pytest.mark.parametrize("at", range(1, 6))
def test_a_connection_dropped_during_a_single_send_sends_it_once(
    world: World, at: int, when: str
) -> None:
    provider = FlakyProvider(world.chain.url, at=at, when=when)
    chain, d = fresh(world, provider)
    member = ClearingMember(d, world.member_a.signer)
    start = chain.w3.eth.get_transaction_count(member.address)
    call = d.token("JPY").transfer("member-b", 5)
    provider.armed = True
    member.send(call)
    provider.armed = False
    assert chain.w3.eth.get_transaction_count(member.address) == start + 1
    assert world.member_b.balance("JPY") == 1_000_005


def test_transactions_a_node_lost_from_its_pool_are_sent_again_and_mined_once(
    world: World, monkeypatch: pytest.MonkeyPatch
) -> None:
    """The node forgets every waiting transaction (a restart), then mines again: the client,
    hearing of no receipt, asks which the node has and sends the missing ones as signed."""
    anvil_only(world, "the pool is emptied with anvil_dropAllTransactions")
    monkeypatch.setattr(client, "RESEND_AFTER", 0.2)
    chain, signer = world.chain, world.member_a.signer
    amounts = list(range(1, 11))
    calls = [world.deployment.token("JPY").transfer("member-b", a) for a in amounts]
    start, head = chain.w3.eth.get_transaction_count(signer.address), chain.w3.eth.block_number
    node = Chain.connect(chain.url)  # the network, on a connection of its own
    dropped, stop = threading.Event(), threading.Event()

    def network() -> None:
        while not stop.is_set():
            waiting = int(devnet.rpc(node, "txpool_status")["pending"], 16)
            if not dropped.is_set() and waiting == len(amounts):
                devnet.drop_pending(node)
                dropped.set()
            elif dropped.is_set() and waiting:
                devnet.mine(node)
            stop.wait(0.01)

    with devnet.automine_off(chain):
        thread = threading.Thread(target=network, daemon=True)
        thread.start()
        try:
            batch = send_all(calls, signer)
        finally:
            stop.set()
            thread.join()
    assert dropped.is_set()
    assert [e["value"] for e in batch.named("Transfer")] == amounts
    transferred_once(world, signer.address, head, amounts)
    assert chain.w3.eth.get_transaction_count(signer.address) == start + len(amounts)
