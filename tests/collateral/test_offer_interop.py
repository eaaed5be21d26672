"""Offers across EIP-712 implementations and signer kinds, checked independently.

pyclient signs offers with eth-account; here ethers (npm, run by node: `tests/interop/eip712.mjs`)
is the second, independent implementation. An offer signed by pyclient verifies in ethers to the
signer, with ethers's digest equal to the chain's `offerDigest`; one signed by ethers is accepted on
chain and recovers in pyclient; a tampered one fails in all three. A contract wallet counterparty
signs through its owner's key (ERC-1271): the wallet, compiled here from a string and never shipped,
answers `isValidSignature` for the owner's ECDSA signature over the offer's digest.

node is part of the toolchain (the Makefile needs Node 20+), so without it these tests fail.
"""

from __future__ import annotations

import json
import shutil
import subprocess
from dataclasses import replace
from decimal import Decimal
from pathlib import Path
from typing import Any

import pytest
import solcx
from eth_account.signers.local import LocalAccount
from support import Market, load_script

from pyclient import Kind, errors
from pyclient.collateral.substitution import Domain, Leg, Offer

REPO = Path(__file__).resolve().parents[2]
ETHERS = REPO / "tests" / "interop" / "eip712.mjs"


def ethers(request: dict[str, Any]) -> dict[str, str]:
    """Ask ethers (v6, from the repository's node_modules) to sign or verify typed data."""
    node = shutil.which("node")
    assert node is not None, "node is not on PATH: it is part of the toolchain (Node 20+)"
    done = subprocess.run(
        [node, str(ETHERS)],
        input=json.dumps(_decimal_strings(request)),
        capture_output=True,
        text=True,
        cwd=REPO,
        timeout=60,
    )
    assert done.returncode == 0, done.stderr
    return dict(json.loads(done.stdout))


def _decimal_strings(value: Any) -> Any:
    """Integers as decimal strings: JSON numbers reach JavaScript as doubles, and nonces do not
    fit in 53 bits."""
    if isinstance(value, bool):
        return value
    if isinstance(value, int):
        return str(value)
    if isinstance(value, dict):
        return {k: _decimal_strings(v) for k, v in value.items()}
    if isinstance(value, list | tuple):
        return [_decimal_strings(v) for v in value]
    return value


def _hex(raw: bytes) -> str:
    return "0x" + raw.hex()


def _key(account: LocalAccount) -> str:
    return _hex(bytes(account.key))


def _verify_in_ethers(offer: Offer, domain: Domain) -> dict[str, str]:
    return ethers({"verify": offer.typed_data(domain), "signature": _hex(offer.signature)})


def _holdings(market: Market, account: int) -> dict[str, int]:
    return {s: u for s, u in market.world.deployment.vault.raw_holdings(account).items() if u}


def _prepare_house_a(market: Market) -> None:
    """member-a's house account holds 20 JGBs against a 500,000 yen requirement."""
    market.world.member_a.deposit("JGB374", 20)  # 975,150 counted
    market.world.ccp.margin.post_requirements({market.house_a: 500_000}, run_id="eod")


# ---------------------------------------------------------------------- pyclient <-> ethers


def test_an_offer_signed_by_pyclient_verifies_in_ethers_under_the_chains_digest(
    market: Market,
) -> None:
    w, d = market.world, market.world.deployment
    domain = d.substitution.domain()
    offer = w.member_b.sign_offer(
        market.house_a, deliver={"USD": "1000.00", "JPY": 5_000}, take={"JGB374": 10}
    )
    assert offer.nonce >= 2**64  # a keyed nonce: far beyond what a JSON number carries
    seen = _verify_in_ethers(offer, domain)
    assert seen["address"] == w.member_b.address
    assert seen["digest"] == _hex(d.substitution.offer_digest(offer))


def test_an_offer_signed_by_ethers_is_accepted_on_chain_and_recovers_in_pyclient(
    market: Market,
) -> None:
    w, d = market.world, market.world.deployment
    a, b = w.member_a, w.member_b
    _prepare_house_a(market)
    domain = d.substitution.domain()
    unsigned = d.substitution.offer(
        market.house_a, b, deliver={"USD": "1000.00"}, take={"JGB374": 10}
    )
    b.send(d.token("USD").approve(d.vault.address, "1000.00"))  # what sign_offer would do
    signed = ethers({"sign": unsigned.typed_data(domain), "key": _key(b.signer)})
    assert signed["digest"] == _hex(d.substitution.offer_digest(unsigned))
    offer = replace(unsigned, signature=bytes.fromhex(signed["signature"].removeprefix("0x")))
    assert offer.signer(domain) == b.address
    # Both sign deterministically (RFC 6979): the same key gives the same bytes.
    assert offer.signature == unsigned.sign(b.signer, domain).signature

    b_usd, b_jgb = b.balance("USD"), b.balance("JGB374")
    done = a.accept_offer(Offer.from_json(offer.to_json())).value
    assert (done.counterparty, done.nonce) == (b.address, offer.nonce)
    assert done.into == {"USD": 1000} and done.out == {"JGB374": 10}
    assert _holdings(market, market.house_a) == {"JGB374": 10, "USD": 100_000}
    assert (b.balance("USD"), b.balance("JGB374")) == (b_usd - 1000, b_jgb + 10)


def _tampered(offer: Offer, market: Market) -> dict[str, Offer]:
    """`offer` with one signed field changed each; the chain checks the signature before the
    legs, allowances or balances, so each is refused for its signature alone."""
    w = market.world
    jgb = offer.take[0]
    return {
        "take": replace(offer, take=(replace(jgb, units=jgb.units * 2),)),
        "deliver": replace(offer, deliver=(replace(offer.deliver[0], units=1),)),
        "deliver asset": replace(
            offer, deliver=(Leg(w.deployment.asset("JPY").address, offer.deliver[0].units),)
        ),
        "extra leg": replace(offer, take=(jgb, Leg(w.deployment.asset("TYO7203").address, 1))),
        "client": replace(offer, client=w.client_omni.address),
        "nonce": replace(offer, nonce=offer.nonce + 1),
        "expiry": replace(offer, expiry=offer.expiry + 1),
    }


def test_a_tampered_offer_fails_in_pyclient_in_ethers_and_on_chain(market: Market) -> None:
    w, d = market.world, market.world.deployment
    a, b = w.member_a, w.member_b
    _prepare_house_a(market)
    domain = d.substitution.domain()
    offer = b.sign_offer(market.house_a, deliver={"USD": "1000.00"}, take={"JGB374": 10})
    digest = d.substitution.offer_digest(offer)
    for field, forged in _tampered(offer, market).items():
        seen = _verify_in_ethers(forged, domain)
        assert seen["address"] != b.address, field
        assert forged.signer(domain) == seen["address"], field  # both recover the same stranger
        assert seen["digest"] == _hex(d.substitution.offer_digest(forged)) != _hex(digest), field
        market.refused(lambda forged=forged: a.accept_offer(forged), errors.OfferSignatureInvalid)

    # Signed by ethers for another deployment (another chain id): not b's under this domain.
    elsewhere = replace(domain, chain_id=domain.chain_id + 1)
    replayed = replace(
        offer,
        signature=bytes.fromhex(
            ethers({"sign": offer.typed_data(elsewhere), "key": _key(b.signer)})["signature"][2:]
        ),
    )
    assert replayed.signer(elsewhere) == b.address
    assert replayed.signer(domain) != b.address
    assert _verify_in_ethers(replayed, domain)["address"] != b.address
    market.refused(lambda: a.accept_offer(replayed), errors.OfferSignatureInvalid)
    a.accept_offer(offer)  # the untouched offer still goes through


# ---------------------------------------------------------------------- a contract wallet

WALLET_SOURCE = """
// SPDX-License-Identifier: Apache-2.0
pragma solidity 0.8.28;

interface IApprove {
    function approve(address spender, uint256 amount) external returns (bool);
}

/// A contract wallet whose owner's key signs for it (ERC-1271); for the tests only.
contract OwnerWallet {
    bytes4 private constant MAGIC_VALUE = 0x1626ba7e; // IERC1271.isValidSignature.selector
    uint256 private constant HALF_ORDER =
        0x7fffffffffffffffffffffffffffffff5d576e7357a4501ddfe92f46681b20a0;

    error WalletNotOwner(address caller);
    error WalletApprovalFailed(address token);

    address public immutable owner;

    constructor(address owner_) {
        owner = owner_;
    }

    /// The owner's 65-byte ECDSA signature (r, s, v; low s) over `hash` itself.
    function isValidSignature(bytes32 hash, bytes calldata signature)
        external
        view
        returns (bytes4)
    {
        if (signature.length != 65) return 0xffffffff;
        bytes32 r = bytes32(signature[0:32]);
        bytes32 s = bytes32(signature[32:64]);
        uint8 v = uint8(signature[64]);
        if (uint256(s) > HALF_ORDER) return 0xffffffff;
        address signer = ecrecover(hash, v, r, s);
        return signer != address(0) && signer == owner ? MAGIC_VALUE : bytes4(0xffffffff);
    }

    function approve(address token, address spender, uint256 amount) external {
        if (msg.sender != owner) revert WalletNotOwner(msg.sender);
        if (!IApprove(token).approve(spender, amount)) revert WalletApprovalFailed(token);
    }
}
"""


@pytest.fixture(scope="module")
def wallet_artifact() -> tuple[list[Any], str]:
    """The wallet's ABI and bytecode, compiled with the project's solc (tools/compile.py)."""
    compiler = load_script(REPO / "tools" / "compile.py", "kabuto_tools_compile")
    output = solcx.compile_standard(
        {
            "language": "Solidity",
            "sources": {"OwnerWallet.sol": {"content": WALLET_SOURCE}},
            "settings": {
                "optimizer": {"enabled": True, "runs": 200},
                "evmVersion": "cancun",
                "outputSelection": {"*": {"*": ["abi", "evm.bytecode.object"]}},
            },
        },
        solc_binary=compiler.find_solc(),
    )
    built = output["contracts"]["OwnerWallet.sol"]["OwnerWallet"]
    return built["abi"], built["evm"]["bytecode"]["object"]


def test_a_contract_wallet_counterparty_signs_through_its_owner_erc1271(
    market: Market, wallet_artifact: tuple[list[Any], str]
) -> None:
    w, d = market.world, market.world.deployment
    a = w.member_a
    owner, stranger = w.keys[8], w.keys[9]  # dev keys no participant uses
    _prepare_house_a(market)

    abi, bytecode = wallet_artifact
    w3 = w.chain.w3
    deployed = w.chain.transact(
        w3.eth.contract(abi=abi, bytecode=bytecode).constructor(owner.address), owner
    )
    assert deployed.contract_address is not None
    wallet = w3.eth.contract(address=deployed.contract_address, abi=abi)
    address = wallet.address
    # A desk's treasury behind a smart-contract wallet is a clearing member like any other; the
    # registry does not ask a member to be a key. (SystemContract is for Kabuto's own custody
    # contracts: tokens refuse forced transfers out of them, which a participant must not get.)
    w.ccp.register.admit(address, Kind.CLEARING_MEMBER, "wallet-desk")
    w.issuer.issue("USD", address, "5000.00")
    usd = d.token("USD")
    w.chain.transact(
        wallet.functions.approve(usd.address, d.vault.address, usd.asset.units("1000.00")), owner
    )
    assert usd.allowance(address, d.vault.address) == usd.asset.units("1000.00")

    unsigned = d.substitution.offer(
        market.house_a, address, deliver={"USD": "1000.00"}, take={"JGB374": 10}
    )
    digest = d.substitution.offer_digest(unsigned)
    offer = replace(unsigned, signature=bytes(owner.unsafe_sign_hash(digest).signature))
    # eth-account's EIP-712 digest is the chain's: recovering it gives the owner's key.
    assert offer.signer(d.substitution.domain()) == owner.address
    assert wallet.functions.isValidSignature(digest, offer.signature).call() == bytes.fromhex(
        "1626ba7e"
    )

    def wallet_balances() -> tuple[Decimal, Decimal]:
        return usd.balance_of(address), d.token("JGB374").balance_of(address)

    before = wallet_balances()
    forged = replace(unsigned, signature=bytes(stranger.unsafe_sign_hash(digest).signature))
    err = market.refused(lambda: a.accept_offer(forged), errors.OfferSignatureInvalid)
    assert err.counterparty == address
    assert wallet_balances() == before and not d.substitution.nonce_used(offer)

    done = a.accept_offer(offer).value
    assert (done.counterparty, done.nonce) == (address, offer.nonce)
    assert wallet_balances() == (before[0] - 1000, before[1] + 10)
    assert _holdings(market, market.house_a) == {"JGB374": 10, "USD": 100_000}
    assert d.substitution.nonce_used(offer)
    market.refused(lambda: a.accept_offer(offer), errors.InvalidAccountNonce)


def test_the_interop_script_refuses_integers_a_json_number_cannot_carry() -> None:
    """A nonce sent as a JSON number would reach ethers rounded; the script says so instead."""
    node = shutil.which("node")
    assert node is not None, "node is not on PATH: it is part of the toolchain (Node 20+)"
    request = {"verify": {"types": {}, "domain": {}, "message": {"nonce": 2**64 + 1}}}
    done = subprocess.run(
        [node, str(ETHERS)], input=json.dumps(request), capture_output=True, text=True, cwd=REPO
    )
    assert done.returncode != 0 and "decimal strings" in done.stderr
