"""Deploy the ERC-3643 T-REX v4 reference suite and measure its transfer gas (benchmark baseline).

Kabuto's benchmark compares its permissioned token against T-REX, the reference ERC-3643
implementation. This module deploys T-REX from the compiled artifacts shipped in the npm package
`@tokenysolutions/t-rex` (no compilation, no Node at run time) onto any chain reachable through a
`Web3` instance, and exposes `mint` and `transfer` helpers that return the gas each one used.

The suite is deployed the way production T-REX tokens are: implementation contracts registered
in a reference `TREXImplementationAuthority`, then one `TREXFactory.deployTREXSuite` call that
CREATE2-deploys the proxies (token, identity registry, identity registry storage, claim topics
registry, trusted issuers registry, modular compliance) and wires them together. The token is
therefore a `TokenProxy` that delegates to the `Token` implementation, exactly what users call.

Set-up: one required claim topic, one trusted `ClaimIssuer` (ONCHAINID) allowed to issue it, a
modular compliance with no modules. Each investor gets an ONCHAINID `Identity` (investor wallet
as management key) holding a claim signed by the issuer, and is registered in the identity
registry. The deployer owns every contract and is agent of the token and the identity registry.
The token starts paused; it is unpaused at the end of the deployment.

Every transaction is signed locally with eth-account and sent raw; a reverted transaction raises
`TransactionFailed`. Running the module starts a throwaway anvil from `node_modules` and prints the
gas of a mint and of two transfers.
"""

from __future__ import annotations

import json
import re
from dataclasses import dataclass
from functools import cache
from pathlib import Path
from typing import Any

from eth_abi import encode
from eth_account import Account
from eth_account.messages import encode_defunct
from eth_account.signers.local import LocalAccount
from eth_utils import keccak, to_checksum_address
from hexbytes import HexBytes
from web3 import Web3
from web3.contract import Contract
from web3.contract.contract import ContractConstructor, ContractFunction
from web3.logs import DISCARD
from web3.types import TxParams, TxReceipt

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
TOKEN_NAME = "TREXDINO"
TOKEN_SYMBOL = "TREX"
TOKEN_DECIMALS = 0
GAS_MARGIN = 1.25  # gas limit = estimate × margin (TokenProxy forwards gas() - 10000)

ZERO_ADDRESS = "0x" + "00" * 20
_LINK_PLACEHOLDER = re.compile(r"__\$[0-9a-fA-F]{34}\$__")


class TransactionFailed(RuntimeError):
    """A transaction of the T-REX deployment or benchmark reverted or could not be sent."""


@dataclass
class TrexSuite:
    """A deployed, unpaused T-REX token with its verified investors."""

    token: Contract  # the TokenProxy, with the Token ABI: the address users call
    identity_registry: Contract  # the IdentityRegistryProxy, with the IdentityRegistry ABI
    agent: LocalAccount  # owner of the suite, agent of the token and of the identity registry
    investors: list[LocalAccount]  # each with a registered ONCHAINID holding a valid claim


# --- artifacts -----------------------------------------------------------------------------------


@dataclass(frozen=True)
class _Artifact:
    name: str
    abi: list[dict[str, Any]]
    bytecode: str  # creation code, hex without 0x, possibly with link placeholders
    link_references: dict[str, dict[str, list[dict[str, int]]]]


@cache
def _load(source: str, name: str) -> _Artifact:
    """Load a Hardhat artifact by source path (e.g. `contracts/token/Token.sol`) and name."""
    if source.startswith("@onchain-id/solidity/"):
        inner = source.removeprefix("@onchain-id/solidity/")
        candidates = [root / inner / f"{name}.json" for root in _ONCHAINID_ROOTS]
    else:
        candidates = [TREX_ARTIFACTS / source / f"{name}.json"]
    for path in candidates:
        if path.is_file():
            data = json.loads(path.read_text())
            return _Artifact(
                name=data["contractName"],
                abi=data["abi"],
                bytecode=data["bytecode"].removeprefix("0x"),
                link_references=data.get("linkReferences") or {},
            )
    tried = "\n  ".join(str(p) for p in candidates)
    raise FileNotFoundError(f"artifact {source}:{name} not found; tried:\n  {tried}")


TOKEN = ("contracts/token/Token.sol", "Token")
CTR = ("contracts/registry/implementation/ClaimTopicsRegistry.sol", "ClaimTopicsRegistry")
IR = ("contracts/registry/implementation/IdentityRegistry.sol", "IdentityRegistry")
IRS = ("contracts/registry/implementation/IdentityRegistryStorage.sol", "IdentityRegistryStorage")
TIR = ("contracts/registry/implementation/TrustedIssuersRegistry.sol", "TrustedIssuersRegistry")
MC = ("contracts/compliance/modular/ModularCompliance.sol", "ModularCompliance")
IMPLEMENTATION_AUTHORITY = (
    "contracts/proxy/authority/TREXImplementationAuthority.sol",
    "TREXImplementationAuthority",
)
FACTORY = ("contracts/factory/TREXFactory.sol", "TREXFactory")
IDENTITY = ("@onchain-id/solidity/contracts/Identity.sol", "Identity")
CLAIM_ISSUER = ("@onchain-id/solidity/contracts/ClaimIssuer.sol", "ClaimIssuer")


# --- transactions --------------------------------------------------------------------------------


def _send(
    w3: Web3,
    account: LocalAccount,
    call: ContractFunction | ContractConstructor,
    label: str,
) -> TxReceipt:
    """Sign `call` locally as `account`, send it raw, wait for the receipt, require success."""
    params: TxParams = {
        "from": account.address,
        "nonce": w3.eth.get_transaction_count(account.address, "pending"),
        "chainId": w3.eth.chain_id,
    }
    if "baseFeePerGas" not in w3.eth.get_block("latest"):  # pre-London chain: legacy pricing
        params["gasPrice"] = w3.eth.gas_price
    try:
        estimate = call.estimate_gas(params)
        params["gas"] = int(estimate * GAS_MARGIN)
        tx = call.build_transaction(params)
        tx_hash = w3.eth.send_raw_transaction(account.sign_transaction(tx).raw_transaction)
    except Exception as exc:  # revert during estimation, insufficient funds, RPC error, …
        raise TransactionFailed(f"{label}: cannot be sent as {account.address}: {exc}") from exc
    receipt = w3.eth.wait_for_transaction_receipt(tx_hash)
    if receipt["status"] != 1:
        raise TransactionFailed(
            f"{label}: transaction {HexBytes(tx_hash).to_0x_hex()} reverted "
            f"(gas used {receipt['gasUsed']} of {tx['gas']})"
        )
    return receipt


def _link(w3: Web3, deployer: LocalAccount, artifact: _Artifact, libs: dict[str, str]) -> str:
    """Return the artifact's creation code with every library placeholder filled in.

    Libraries are deployed from the same artifact tree on first use and remembered in `libs`
    (keyed `source:name`). No T-REX 4.1.6 artifact needs linking today; this keeps it working if
    a future package version ships external libraries.
    """
    code = bytearray(bytes.fromhex(_LINK_PLACEHOLDER.sub("00" * 20, artifact.bytecode)))
    for source, names in artifact.link_references.items():
        for name, offsets in names.items():
            key = f"{source}:{name}"
            if key not in libs:
                libs[key] = _deploy(w3, deployer, (source, name), libs=libs).address
            address = bytes.fromhex(libs[key].removeprefix("0x"))
            for ref in offsets:
                code[ref["start"] : ref["start"] + ref["length"]] = address
    return code.hex()


def _deploy(
    w3: Web3,
    deployer: LocalAccount,
    which: tuple[str, str],
    *args: Any,
    libs: dict[str, str] | None = None,
) -> Contract:
    artifact = _load(*which)
    bytecode = _link(w3, deployer, artifact, {} if libs is None else libs)
    factory = w3.eth.contract(abi=artifact.abi, bytecode=bytecode)
    receipt = _send(w3, deployer, factory.constructor(*args), f"deploy {artifact.name}")
    return w3.eth.contract(address=receipt["contractAddress"], abi=artifact.abi)


def _at(w3: Web3, which: tuple[str, str], address: str) -> Contract:
    return w3.eth.contract(address=to_checksum_address(address), abi=_load(*which).abi)


# --- ONCHAINID claims ----------------------------------------------------------------------------


def _sign_claim(issuer_key: LocalAccount, identity: str, topic: int, data: bytes) -> bytes:
    """Sign a claim the way `ClaimIssuer.isClaimValid` checks it.

    The issuer signs keccak256(abi.encode(identity, topic, data)) as an `eth_sign` message.
    """
    digest = keccak(encode(["address", "uint256", "bytes"], [identity, topic, data]))
    return bytes(issuer_key.sign_message(encode_defunct(primitive=digest)).signature)


def _version_tuple(version: str) -> tuple[int, int, int]:
    """`"4.1.6"` → `(4, 1, 6)`, the Version struct of the implementation authority."""
    major, minor, patch = ([int(p) for p in re.findall(r"\d+", version)] + [0, 0, 0])[:3]
    return major, minor, patch


# --- public API ----------------------------------------------------------------------------------


def deploy_trex(w3: Web3, deployer: LocalAccount, investors: list[LocalAccount]) -> TrexSuite:
    """Deploy a T-REX suite through TREXFactory and verify `investors` in its identity registry.

    `deployer` pays for the deployment and becomes owner and agent. Each investor sends one
    transaction (adding the issuer's claim to its own ONCHAINID), so investors need gas funds.
    """
    # 1. Implementation contracts, registered as the current version of a reference authority.
    implementations = [_deploy(w3, deployer, which) for which in (TOKEN, CTR, IR, IRS, TIR, MC)]
    token_impl = implementations[0]
    version = _version_tuple(token_impl.functions.version().call())
    authority = _deploy(w3, deployer, IMPLEMENTATION_AUTHORITY, True, ZERO_ADDRESS, ZERO_ADDRESS)
    _send(
        w3,
        deployer,
        authority.functions.addAndUseTREXVersion(
            version, tuple(c.address for c in implementations)
        ),
        "TREXImplementationAuthority.addAndUseTREXVersion",
    )

    # 2. The factory. Its ONCHAINID factory is only called to create the token's identity when
    #    none is supplied; the package ships no IdFactory, so the token gets an Identity deployed
    #    here and the (mandatory, non-zero) IdFactory slot holds the deployer's address.
    trex_factory = _deploy(w3, deployer, FACTORY, authority.address, deployer.address)
    _send(
        w3,
        deployer,
        authority.functions.setTREXFactory(trex_factory.address),
        "TREXImplementationAuthority.setTREXFactory",
    )

    # 3. ONCHAINIDs of the token and of the claim issuer (the deployer's key signs claims: a
    #    management key holds every purpose, including CLAIM signer).
    token_identity = _deploy(w3, deployer, IDENTITY, deployer.address, False)
    claim_issuer = _deploy(w3, deployer, CLAIM_ISSUER, deployer.address)

    # 4. The suite itself, in one transaction.
    token_details = (
        deployer.address,  # owner
        TOKEN_NAME,
        TOKEN_SYMBOL,
        TOKEN_DECIMALS,
        ZERO_ADDRESS,  # irs: deploy a new identity registry storage
        token_identity.address,  # ONCHAINID
        [deployer.address],  # identity registry agents
        [deployer.address],  # token agents
        [],  # compliance modules: none
        [],  # compliance settings
    )
    claim_details = ([CLAIM_TOPIC], [claim_issuer.address], [[CLAIM_TOPIC]])
    salt = f"kabuto-baseline-{token_identity.address}"
    receipt = _send(
        w3,
        deployer,
        trex_factory.functions.deployTREXSuite(salt, token_details, claim_details),
        "TREXFactory.deployTREXSuite",
    )
    # The receipt also holds the proxies' own events, which the factory ABI cannot decode.
    events = trex_factory.events.TREXSuiteDeployed().process_receipt(receipt, errors=DISCARD)
    if len(events) != 1:
        raise TransactionFailed(f"deployTREXSuite emitted {len(events)} TREXSuiteDeployed events")
    deployed = events[0]["args"]
    token = _at(w3, TOKEN, deployed["_token"])
    identity_registry = _at(w3, IR, deployed["_ir"])

    # 5. Investors: ONCHAINID, issuer-signed claim added by the investor, registration.
    for investor in investors:
        identity = _deploy(w3, deployer, IDENTITY, investor.address, False)
        signature = _sign_claim(deployer, identity.address, CLAIM_TOPIC, CLAIM_DATA)
        _send(
            w3,
            investor,
            identity.functions.addClaim(
                CLAIM_TOPIC, CLAIM_SCHEME_ECDSA, claim_issuer.address, signature, CLAIM_DATA, ""
            ),
            f"Identity.addClaim for {investor.address}",
        )
        _send(
            w3,
            deployer,
            identity_registry.functions.registerIdentity(
                investor.address, identity.address, INVESTOR_COUNTRY
            ),
            f"IdentityRegistry.registerIdentity for {investor.address}",
        )
        if not identity_registry.functions.isVerified(investor.address).call():
            raise TransactionFailed(f"investor {investor.address} is registered but not verified")

    # 6. Tokens are created paused.
    if token.functions.paused().call():
        _send(w3, deployer, token.functions.unpause(), "Token.unpause")

    return TrexSuite(
        token=token,
        identity_registry=identity_registry,
        agent=deployer,
        investors=list(investors),
    )


def mint(suite: TrexSuite, w3: Web3, to: str, amount: int) -> int:
    """Mint `amount` to the verified wallet `to` as the token agent; return the gas used."""
    call = suite.token.functions.mint(to_checksum_address(to), amount)
    return int(_send(w3, suite.agent, call, f"Token.mint to {to}")["gasUsed"])


def transfer(suite: TrexSuite, w3: Web3, sender: LocalAccount, to: str, amount: int) -> int:
    """Transfer `amount` from `sender` to the verified wallet `to`; return the gas used."""
    call = suite.token.functions.transfer(to_checksum_address(to), amount)
    return int(_send(w3, sender, call, f"Token.transfer {sender.address} -> {to}")["gasUsed"])


# --- self-check ----------------------------------------------------------------------------------

ANVIL = NODE_MODULES / "@foundry-rs/anvil-linux-amd64/bin/anvil"
ANVIL_MNEMONIC = "test test test test test test test test test test test junk"


def _self_check() -> None:
    """Deploy on a throwaway anvil and print mint, cold and warm transfer gas."""
    import socket
    import subprocess
    import time

    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        port = sock.getsockname()[1]
    anvil = subprocess.Popen(
        [str(ANVIL), "--port", str(port), "--silent", "--mnemonic", ANVIL_MNEMONIC]
    )
    try:
        w3 = Web3(Web3.HTTPProvider(f"http://127.0.0.1:{port}"))
        deadline = time.monotonic() + 30
        while not w3.is_connected():
            if time.monotonic() > deadline or anvil.poll() is not None:
                raise RuntimeError("anvil did not start")
            time.sleep(0.1)
        Account.enable_unaudited_hdwallet_features()
        deployer, alice, bob = (
            Account.from_mnemonic(ANVIL_MNEMONIC, account_path=f"m/44'/60'/0'/0/{i}")
            for i in range(3)
        )
        suite = deploy_trex(w3, deployer, [alice, bob])
        print(f"token {suite.token.address}  identity registry {suite.identity_registry.address}")
        print(f"mint                    {mint(suite, w3, alice.address, 1_000):>8} gas")
        print(f"transfer, cold receiver {transfer(suite, w3, alice, bob.address, 100):>8} gas")
        print(f"transfer, warm receiver {transfer(suite, w3, alice, bob.address, 100):>8} gas")
        balances = [suite.token.functions.balanceOf(a.address).call() for a in (alice, bob)]
        assert balances == [800, 200], balances
    finally:
        anvil.terminate()
        anvil.wait(timeout=10)


if __name__ == "__main__":
    _self_check()
