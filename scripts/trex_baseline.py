"""Deploy the ERC-3643 T-REX v4 reference suite and measure its gas (a benchmark baseline).

T-REX is deployed from the compiled artifacts shipped in the npm package `@tokenysolutions/t-rex`
(no compilation, no Node at run time) through a `pyclient.Chain`, which signs locally, estimates,
sends and waits (a revert raises `TransactionFailed`), and the way production T-REX tokens are:
implementations registered in a `TREXImplementationAuthority`, then one
`TREXFactory.deployTREXSuite` call that CREATE2-deploys and wires the proxies, so the token users
call is a `TokenProxy`. One claim topic, one trusted `ClaimIssuer`, no compliance modules; each
investor holds an issuer-signed claim in its own ONCHAINID and is registered. `mint` and
`transfer` return the gas used. The same package's `DVDTransferManager` swaps two tokens between
two parties (delivery versus delivery): the maker initiates, the taker takes, which executes both
transfers (`dvd_swap`). tests/bench/test_trex_baseline.py deploys them on a throwaway Anvil.
"""

from __future__ import annotations

import json
import re
from dataclasses import dataclass
from functools import cache
from pathlib import Path
from typing import Any

from eth_abi import encode
from eth_account.messages import encode_defunct
from eth_account.signers.local import LocalAccount
from eth_utils import keccak, to_checksum_address
from web3.contract import Contract
from web3.logs import DISCARD

from pyclient import Chain
from pyclient.errors import TransactionFailed

REPO_ROOT = Path(__file__).resolve().parent.parent
NODE_MODULES = REPO_ROOT / "node_modules"
TREX_ARTIFACTS = NODE_MODULES / "@tokenysolutions/t-rex/artifacts"

# Where the ONCHAINID artifacts may live: the `@onchain-id/solidity` package (top level or nested
# under t-rex), else the copies that t-rex's own Hardhat build left in its artifacts directory.
_ONCHAINID_ROOTS = (
    NODE_MODULES / "@onchain-id/solidity/artifacts",
    NODE_MODULES / "@tokenysolutions/t-rex/node_modules/@onchain-id/solidity/artifacts",
    TREX_ARTIFACTS / "@onchain-id/solidity",
)

CLAIM_TOPIC = int.from_bytes(keccak(text="CLAIM_TOPIC"))  # the topic T-REX's test fixture uses
CLAIM_SCHEME_ECDSA = 1  # ERC-735 signature scheme 1: ECDSA
CLAIM_DATA = b"Some claim public data."  # the payload T-REX's test fixture puts in its claims
INVESTOR_COUNTRY = 250  # ISO-3166 numeric code stored with each identity (no module reads it)
TOKEN_NAME, TOKEN_SYMBOL, TOKEN_DECIMALS = "TREXDINO", "TREX", 0
ZERO_ADDRESS = "0x" + "00" * 20

TOKEN = ("contracts/token/Token.sol", "Token")
CTR = ("contracts/registry/implementation/ClaimTopicsRegistry.sol", "ClaimTopicsRegistry")
IR = ("contracts/registry/implementation/IdentityRegistry.sol", "IdentityRegistry")
IRS = ("contracts/registry/implementation/IdentityRegistryStorage.sol", "IdentityRegistryStorage")
TIR = ("contracts/registry/implementation/TrustedIssuersRegistry.sol", "TrustedIssuersRegistry")
MC = ("contracts/compliance/modular/ModularCompliance.sol", "ModularCompliance")
AUTHORITY = (
    "contracts/proxy/authority/TREXImplementationAuthority.sol",
    "TREXImplementationAuthority",
)
FACTORY = ("contracts/factory/TREXFactory.sol", "TREXFactory")
IDENTITY = ("@onchain-id/solidity/contracts/Identity.sol", "Identity")
CLAIM_ISSUER = ("@onchain-id/solidity/contracts/ClaimIssuer.sol", "ClaimIssuer")
DVD = ("contracts/DVD/DVDTransferManager.sol", "DVDTransferManager")


@dataclass
class TrexSuite:
    """A deployed, unpaused T-REX token with its verified investors."""

    token: Contract  # the TokenProxy, with the Token ABI: the address users call
    identity_registry: Contract  # the IdentityRegistryProxy, with the IdentityRegistry ABI
    agent: LocalAccount  # owner of the suite, agent of the token and of the identity registry


@cache
def _load(source: str, name: str) -> dict[str, Any]:
    """A Hardhat artifact by source path (e.g. `contracts/token/Token.sol`) and contract name."""
    if source.startswith("@onchain-id/solidity/"):
        inner = source.removeprefix("@onchain-id/solidity/")
        candidates = [root / inner / f"{name}.json" for root in _ONCHAINID_ROOTS]
    else:
        candidates = [TREX_ARTIFACTS / source / f"{name}.json"]
    for path in candidates:
        if path.is_file():
            artifact: dict[str, Any] = json.loads(path.read_text())
            # No T-REX 4.1.6 artifact links a library; a future package that does fails here.
            if artifact.get("linkReferences"):
                raise NotImplementedError(f"{source}:{name} needs library linking")
            return artifact
    tried = "\n  ".join(str(p) for p in candidates)
    raise FileNotFoundError(f"artifact {source}:{name} not found; tried:\n  {tried}")


def _deploy(chain: Chain, deployer: LocalAccount, which: tuple[str, str], *args: Any) -> Contract:
    artifact = _load(*which)
    factory = chain.w3.eth.contract(abi=artifact["abi"], bytecode=artifact["bytecode"])
    receipt = chain.transact(factory.constructor(*args), deployer, label=f"deploy {which[1]}")
    return _at(chain, which, str(receipt.contract_address))


def _at(chain: Chain, which: tuple[str, str], address: str) -> Contract:
    return chain.w3.eth.contract(address=to_checksum_address(address), abi=_load(*which)["abi"])


def _sign_claim(issuer_key: LocalAccount, identity: str, topic: int, data: bytes) -> bytes:
    """Sign a claim the way `ClaimIssuer.isClaimValid` checks it: keccak256(abi.encode(identity,
    topic, data)), signed as an `eth_sign` message."""
    digest = keccak(encode(["address", "uint256", "bytes"], [identity, topic, data]))
    return bytes(issuer_key.sign_message(encode_defunct(primitive=digest)).signature)


def deploy_trex(chain: Chain, deployer: LocalAccount, investors: list[LocalAccount]) -> TrexSuite:
    """Deploy a T-REX suite through TREXFactory and verify `investors` in its identity registry.

    `deployer` pays for the deployment and becomes owner and agent. Each investor sends one
    transaction (adding the issuer's claim to its own ONCHAINID), so investors need gas funds.
    """
    send = chain.transact
    # 1. Implementation contracts, registered as the current version of a reference authority.
    implementations = [_deploy(chain, deployer, c) for c in (TOKEN, CTR, IR, IRS, TIR, MC)]
    # The authority's Version struct: "4.1.6" → (4, 1, 6) (T-REX versions are major.minor.patch).
    version = [int(p) for p in re.findall(r"\d+", implementations[0].functions.version().call())]
    authority = _deploy(chain, deployer, AUTHORITY, True, ZERO_ADDRESS, ZERO_ADDRESS)
    addresses = tuple(c.address for c in implementations)
    send(authority.functions.addAndUseTREXVersion(tuple(version[:3]), addresses), deployer)

    # 2. The factory. Its ONCHAINID factory is only called to create the token's identity when
    #    none is supplied; the package ships no IdFactory, so the token gets an Identity deployed
    #    here and the (mandatory, non-zero) IdFactory slot holds the deployer's address.
    trex_factory = _deploy(chain, deployer, FACTORY, authority.address, deployer.address)
    send(authority.functions.setTREXFactory(trex_factory.address), deployer)

    # 3. ONCHAINIDs of the token and of the claim issuer (the deployer's key signs claims: a
    #    management key holds every purpose, including CLAIM signer).
    token_identity = _deploy(chain, deployer, IDENTITY, deployer.address, False)
    claim_issuer = _deploy(chain, deployer, CLAIM_ISSUER, deployer.address)

    # 4. The suite itself, in one transaction. The token's details, in order: owner, name, symbol,
    #    decimals, identity registry storage (none: deploy a new one), the token's ONCHAINID, the
    #    identity registry's and the token's agents, compliance modules and their settings (none).
    agents = [deployer.address]
    token_details = (deployer.address, TOKEN_NAME, TOKEN_SYMBOL, TOKEN_DECIMALS, ZERO_ADDRESS)
    token_details += (token_identity.address, agents, agents, [], [])
    claim_details = ([CLAIM_TOPIC], [claim_issuer.address], [[CLAIM_TOPIC]])
    salt = f"kabuto-baseline-{token_identity.address}"
    deploy_suite = trex_factory.functions.deployTREXSuite(salt, token_details, claim_details)
    receipt = send(deploy_suite, deployer, label="TREXFactory.deployTREXSuite")
    # The receipt also holds the proxies' own events, which the factory ABI cannot decode.
    events = trex_factory.events.TREXSuiteDeployed().process_receipt(
        {"logs": receipt.logs}, errors=DISCARD
    )
    if len(events) != 1:
        raise TransactionFailed(f"deployTREXSuite emitted {len(events)} TREXSuiteDeployed events")
    token = _at(chain, TOKEN, events[0]["args"]["_token"])
    identity_registry = _at(chain, IR, events[0]["args"]["_ir"])

    # 5. Investors: ONCHAINID, issuer-signed claim added by the investor, registration.
    for investor in investors:
        identity = _deploy(chain, deployer, IDENTITY, investor.address, False)
        signature = _sign_claim(deployer, identity.address, CLAIM_TOPIC, CLAIM_DATA)
        claim = (CLAIM_TOPIC, CLAIM_SCHEME_ECDSA, claim_issuer.address, signature, CLAIM_DATA, "")
        send(identity.functions.addClaim(*claim), investor)
        ir = identity_registry.functions
        send(ir.registerIdentity(investor.address, identity.address, INVESTOR_COUNTRY), deployer)
        if not ir.isVerified(investor.address).call():
            raise TransactionFailed(f"investor {investor.address} is registered but not verified")

    # 6. Tokens are created paused.
    if token.functions.paused().call():
        send(token.functions.unpause(), deployer)
    return TrexSuite(token, identity_registry, deployer)


def mint(suite: TrexSuite, chain: Chain, to: str, amount: int) -> int:
    """Mint `amount` to the verified wallet `to` as the token agent; return the gas used."""
    fn = suite.token.functions.mint(to_checksum_address(to), amount)
    return chain.transact(fn, suite.agent, label="trex.mint").gas_used


def transfer(suite: TrexSuite, chain: Chain, sender: LocalAccount, to: str, amount: int) -> int:
    """Transfer `amount` from `sender` to the verified wallet `to`; return the gas used."""
    fn = suite.token.functions.transfer(to_checksum_address(to), amount)
    return chain.transact(fn, sender, label="trex.transfer").gas_used


def approve(suite: TrexSuite, chain: Chain, owner: LocalAccount, spender: str, amount: int) -> int:
    """Let `spender` draw `amount` from `owner`; return the gas used."""
    fn = suite.token.functions.approve(to_checksum_address(spender), amount)
    return chain.transact(fn, owner, label="trex.approve").gas_used


def deploy_dvd(chain: Chain, deployer: LocalAccount) -> Contract:
    """T-REX's `DVDTransferManager`, owned by `deployer`, no fee set on any pair of tokens."""
    return _deploy(chain, deployer, DVD)


def dvd_swap(
    chain: Chain,
    dvd: Contract,
    maker: tuple[LocalAccount, TrexSuite, int],
    taker: tuple[LocalAccount, TrexSuite, int],
) -> tuple[int, int]:
    """One DVD swap: the maker (key, token it gives, amount) initiates, the taker takes, which
    moves both legs by `transferFrom` (each party must have approved `dvd`). Returns the gas of
    the initiation and of the take."""
    (maker_key, give, give_amount), (taker_key, get, get_amount) = maker, taker
    initiate = dvd.functions.initiateDVDTransfer(
        give.token.address, give_amount, taker_key.address, get.token.address, get_amount
    )
    initiated = chain.transact(initiate, maker_key, label="trex.dvd.initiate")
    events = dvd.events.DVDTransferInitiated().process_receipt(
        {"logs": initiated.logs}, errors=DISCARD
    )
    if len(events) != 1:
        raise TransactionFailed(f"initiateDVDTransfer emitted {len(events)} initiation events")
    take = dvd.functions.takeDVDTransfer(events[0]["args"]["transferID"])
    taken = chain.transact(take, taker_key, label="trex.dvd.take")
    return initiated.gas_used, taken.gas_used
