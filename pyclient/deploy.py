"""Deploy the whole Kabuto suite in one call, describe it in a manifest, and attach to it later.

`deploy()` puts every contract on the chain in dependency order (the participant registry first,
then each asset) and returns a `Deployment`: the one object the role classes work through. Its
manifest (chain id, addresses, deploy block, artifact hashes) is plain JSON, so another process can
`attach()` to the same deployment. Later features add their contracts here.
"""

from __future__ import annotations

import datetime as dt
import json
import os
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass, field
from decimal import Decimal
from pathlib import Path
from typing import Any

from eth_account.signers.local import LocalAccount
from eth_utils import event_abi_to_log_topic, is_address, to_checksum_address
from web3.contract import Contract

from . import __version__, artifacts
from .access.registry import Kind, Participant
from .chain.client import Chain, ErrorContext, Receipt
from .collateral.vault import MarginCall, split_account_id
from .errors import AssetNotFound, DeploymentMismatch, ParticipantNotFound
from .tokens.asset import DEFAULT_ASSETS, Asset, AssetClass, AssetSpec
from .units import to_bytes32

MANIFEST_VERSION = 1
Progress = Callable[[str], None]

ISSUER_ROLE = "ISSUER_ROLE"
AGENT_ROLE = "AGENT_ROLE"
PAUSER_ROLE = "PAUSER_ROLE"
CCP_OPERATOR_ROLE = "CCP_OPERATOR_ROLE"
ORACLE_ROLE = "ORACLE_ROLE"
MARGIN_ENGINE_ROLE = "MARGIN_ENGINE_ROLE"
DEFAULT_MAX_PRICE_AGE = 24 * 3600


@dataclass(frozen=True)
class DecodedEvent:
    """One log of a transaction, decoded: where it sits, who emitted it, what it says."""

    log_index: int
    contract: str
    event: str
    args: dict[str, Any]


@dataclass
class Deployment:
    """A deployed Kabuto suite on one chain: its contracts, its assets and who is who."""

    chain: Chain
    registry: Contract
    market_data: Contract
    vault: Contract
    assets: dict[str, Asset]
    deploy_block: int
    operator: str
    manifest_extra: dict[str, Any] = field(default_factory=dict)
    _participants: dict[str, Participant] = field(default_factory=dict, repr=False)
    _tokens: dict[str, Contract] = field(default_factory=dict, repr=False)
    _event_topics: dict[tuple[str, bytes], tuple[str, Any]] = field(
        default_factory=dict, repr=False
    )

    # ------------------------------------------------------------------ lookup

    def asset(self, ref: str | Asset) -> Asset:
        """An asset by symbol, address or `Asset`; `AssetNotFound` names the ones that exist."""
        if isinstance(ref, Asset):
            ref = ref.symbol
        if isinstance(ref, str):
            if ref in self.assets:
                return self.assets[ref]
            for a in self.assets.values():
                if is_address(ref) and a.address == to_checksum_address(ref):
                    return a
        raise AssetNotFound(f"no asset {ref!r}; this deployment has {', '.join(self.assets)}")

    def token(self, ref: str | Asset) -> Contract:
        """The web3 contract of an asset."""
        a = self.asset(ref)
        if a.symbol not in self._tokens:
            self._tokens[a.symbol] = self.chain.contract("PermissionedToken", a.address)
        return self._tokens[a.symbol]

    def participants(self) -> list[Participant]:
        """Every registered participant, in admission order, read from the chain now."""
        fns = self.registry.functions
        addresses = [fns.participantAt(i).call() for i in range(fns.participantCount().call())]
        self._participants = {
            a: Participant.from_chain(a, fns.participant(a).call()) for a in addresses
        }
        return list(self._participants.values())

    def participant(self, ref: Any) -> Participant:
        """A participant by name, address or role object, read fresh from the chain.

        Names and addresses never change once admitted, so they are resolved from a cache; the
        record itself (status above all) is always read now; `ParticipantNotFound` if unregistered.
        """
        address = getattr(ref, "address", None) or ref
        if not isinstance(address, str):
            raise ParticipantNotFound(f"{ref!r} is not a participant name or address")
        if not is_address(address):
            address = self._address_by_name(address)
        address = to_checksum_address(address)
        record = Participant.from_chain(
            address, self.registry.functions.participant(address).call()
        )
        if record.kind is Kind.NONE:
            raise ParticipantNotFound(f"no participant {address} is registered")
        self._participants[address] = record
        return record

    def _address_by_name(self, name: str) -> str:
        for refresh in (False, True):
            if refresh:
                self.participants()
            found = next((p for p in self._participants.values() if p.name == name), None)
            if found is not None:
                return found.address
        raise ParticipantNotFound(f"no participant named {name!r} is registered")

    def address_of(self, ref: Any) -> str:
        """The address of a participant given by name, address or role object.

        Addresses pass through unchecked so that the chain itself can refuse an unregistered
        one; names must be registered.
        """
        address = getattr(ref, "address", None)
        if isinstance(address, str):
            return address
        if isinstance(ref, str) and is_address(ref):
            return to_checksum_address(ref)
        if not isinstance(ref, str):
            raise ParticipantNotFound(f"{ref!r} is not a participant name or address")
        # A name maps to the same address for good: no need to read the record again.
        return self._address_by_name(ref)

    # ------------------------------------------------------------------ Formatter protocol

    def address(self, address: str) -> str:
        """`member-a (0x1234…abcd)` when the address is known, else the address itself."""
        name = self._name_of(address)
        short = f"{address[:6]}…{address[-4:]}"
        return f"{name} ({short})" if name else address

    def amount(self, value: int, asset: str | None) -> str:
        if asset:
            try:
                return self.asset(asset).format(value)
            except AssetNotFound:
                pass
        return f"{value:,} units"

    def collateral_holdings(self, account: int) -> dict[str, Decimal]:
        """Holdings of vault `account` per asset symbol, in whole units (held assets only)."""
        vault = self.vault.functions
        out = {}
        for address in vault.assetsOf(account).call():
            a = self.asset(address)
            units = vault.holding(account, address).call()
            if units:
                out[a.symbol] = a.whole(units)
        return out

    def omnibus_sub_ledger(self, account: int) -> dict[str, dict[str, Decimal]]:
        """Beneficial owners of omnibus `account`: client name -> asset symbol -> quantity."""
        vault = self.vault.functions
        assets = [self.asset(a) for a in vault.assetsOf(account).call()]
        ledger: dict[str, dict[str, Decimal]] = {}
        for client in vault.beneficialOwners(account).call():
            name = self.participant(client).name
            rows = {
                a.symbol: a.whole(vault.subLedger(account, client, a.address).call())
                for a in assets
            }
            ledger[name] = {k: v for k, v in rows.items() if v}
        return ledger

    def margin_call(self, call_id: int) -> MarginCall:
        return MarginCall.from_chain(call_id, self.call(self.vault.functions.marginCall(call_id)))

    def margin_calls(self) -> list[MarginCall]:
        """Every margin call ever issued, oldest first."""
        count = self.vault.functions.marginCallCount().call()
        return [self.margin_call(i) for i in range(1, count + 1)]

    def vault_account(self, account_id: int) -> str:
        """`member-a house account` for a vault account id."""
        try:
            owner, kind = split_account_id(account_id)
        except ValueError:
            return f"account 0x{account_id:x}"
        return f"{self._name_of(owner) or owner} {kind.name.lower().replace('_', ' ')} account"

    def chain_time(self) -> int:
        """The latest block's timestamp: the clock contracts judge staleness and deadlines by."""
        return int(self.chain.w3.eth.get_block("latest")["timestamp"])

    def _contracts_by_address(self) -> dict[str, tuple[str, Contract]]:
        """Every contract of the suite with the label errors and event decoding call it by."""
        labelled = {
            self.registry.address: ("participant registry", self.registry),
            self.market_data.address: ("market data", self.market_data),
            self.vault.address: ("collateral vault", self.vault),
        }
        for a in self.assets.values():
            labelled[a.address] = (f"{a.symbol} token", self.token(a))
        return labelled

    def _name_of(self, address: str) -> str | None:
        contract = self._contracts_by_address().get(address)
        if contract is not None:
            return contract[0]
        p = self._participants.get(address)
        if p is None:
            try:
                record = self.registry.functions.participant(address).call()
            except Exception:  # naming is best effort; the error itself must still surface
                return None
            if record[0] == 0:
                return None
            p = self._participants[address] = Participant.from_chain(address, record)
        return p.name

    # ------------------------------------------------------------------ sending

    def transact(
        self,
        fn: Any,
        signer: LocalAccount,
        *,
        label: str,
        contract: str | None = None,
        asset: Asset | None = None,
    ) -> Receipt:
        """Send through the chain; errors name this deployment's participants and assets."""
        context = ErrorContext(
            contract=contract or (f"{asset.symbol} token" if asset else None),
            asset=asset.address if asset else None,
            formatter=self,
        )
        return self.chain.transact(fn, signer, label=label, context=context)

    def call(self, fn: Any, *, asset: Asset | None = None) -> Any:
        return self.chain.call(
            fn, context=ErrorContext(asset=asset.address if asset else None, formatter=self)
        )

    def system_contracts(self) -> dict[str, Contract]:
        """The suite's contracts other than the assets, by artifact name."""
        return {
            "ParticipantRegistry": self.registry,
            "MarketData": self.market_data,
            "CollateralVault": self.vault,
        }

    def decode_logs(self, receipt: Receipt) -> list[DecodedEvent]:
        """Every event the suite's contracts emitted in `receipt`, in emission order.

        What a reconciler replays: one entry per log, naming the contract and the event.
        """
        if not self._event_topics:
            for address, (label, contract) in self._contracts_by_address().items():
                for item in contract.abi:
                    if item["type"] == "event":
                        event = getattr(contract.events, item["name"])()
                        self._event_topics[(address, event_abi_to_log_topic(item))] = (label, event)
        topics = self._event_topics
        raw = self.chain.w3.eth.get_transaction_receipt(receipt.tx_hash)
        out = []
        for log in raw["logs"]:
            found = topics.get((log["address"], bytes(log["topics"][0]))) if log["topics"] else None
            if found is None:
                continue
            label, event = found
            out.append(DecodedEvent(log["logIndex"], label, event.event_name,
                                    dict(event.process_log(log)["args"])))  # fmt: skip
        return out

    def forget_participants(self) -> None:
        """Drop cached participant records (after a chain revert in tests, say)."""
        self._participants.clear()

    # ------------------------------------------------------------------ manifest

    def manifest(self) -> dict[str, Any]:
        build = artifacts.manifest()
        return {
            "manifestVersion": MANIFEST_VERSION,
            "kabutoVersion": __version__,
            "chainId": self.chain.chain_id,
            "deployBlock": self.deploy_block,
            "operator": self.operator,
            "compiler": build["compiler"]["build"],
            "sourcesHash": build["sourcesHash"],
            "contracts": {
                name: {"address": c.address, "bytecodeSha256": artifacts.load(name).sha256}
                for name, c in self.system_contracts().items()
            },
            "assets": {
                a.symbol: {
                    "address": a.address,
                    "name": a.spec.name,
                    "decimals": a.spec.decimals,
                    "assetClass": a.spec.asset_class.name,
                    "currency": a.spec.currency,
                    "isin": a.spec.isin,
                    "maturity": a.spec.maturity.isoformat() if a.spec.maturity else None,
                    "faceUnit": a.spec.face_unit,
                    "bytecodeSha256": artifacts.load("PermissionedToken").sha256,
                }
                for a in self.assets.values()
            },
            **self.manifest_extra,
        }

    def save(self, path: str | os.PathLike[str]) -> Path:
        """Write the manifest as JSON; returns the path."""
        out = Path(path)
        out.parent.mkdir(parents=True, exist_ok=True)
        out.write_text(json.dumps(self.manifest(), indent=2) + "\n")
        return out


def deploy(
    chain: Chain,
    operator: LocalAccount,
    *,
    assets: Sequence[AssetSpec] = DEFAULT_ASSETS,
    issuer: str | None = None,
    oracle: str | None = None,
    max_price_age: int = DEFAULT_MAX_PRICE_AGE,
    progress: Progress | None = None,
) -> Deployment:
    """Deploy the whole suite, in dependency order, with `operator` as the CCP operator.

    `operator` holds every admin role and is registered as the CCP. With `issuer`, that address
    becomes the only minter and burner of every asset; with `oracle`, the only publisher of market
    data; otherwise the operator keeps those roles too. Prices older than `max_price_age` seconds
    are stale.
    """
    say = progress or (lambda _msg: None)
    symbols = [a.symbol for a in assets]
    if len(set(symbols)) != len(symbols):
        raise AssetNotFound(f"asset symbols repeat: {symbols}")
    say("deploying ParticipantRegistry")
    registry, first = chain.deploy("ParticipantRegistry", [operator.address], operator)

    # Everything else depends only on the registry (the vault also on market data): send back to
    # back, then wait for all.
    say("deploying MarketData")
    market_data, _ = chain.deploy("MarketData", [operator.address, max_price_age], operator)
    say("deploying CollateralVault")
    pending = [chain.send_deploy("CollateralVault", [registry.address, market_data.address,
                                                      operator.address], operator)]  # fmt: skip
    for spec in assets:
        say(f"deploying {spec.symbol} ({spec.name})")
        args = [spec.name, spec.symbol, spec.decimals, registry.address, spec.constructor_info(),
                operator.address]  # fmt: skip
        pending.append(chain.send_deploy("PermissionedToken", args, operator))
    vault_receipt, *token_receipts = [chain.wait(tx) for tx in pending]
    deployed = {
        spec.symbol: Asset(address=r.contract_address, spec=spec)
        for spec, r in zip(assets, token_receipts, strict=True)
    }
    vault = chain.contract("CollateralVault", vault_receipt.contract_address)
    deployment = Deployment(
        chain=chain,
        registry=registry,
        market_data=market_data,
        vault=vault,
        assets=deployed,
        deploy_block=first.block_number,
        operator=operator.address,
    )

    say("wiring: the CCP and the vault join the register, assets are listed for pricing")
    reg, md = registry.functions, market_data.functions
    chain.transact_many(
        [
            (reg.admit(operator.address, int(Kind.CCP), to_bytes32("ccp")), operator),
            (reg.admit(vault.address, int(Kind.SYSTEM_CONTRACT), to_bytes32("collateral-vault")),
             operator),
            # The vault declares defaults in the register on the CCP's instruction.
            (reg.grantRole(chain.w3.keccak(text=CCP_OPERATOR_ROLE), vault.address), operator),
            (md.listAssets([a.address for a in deployed.values()],
                           [a.spec.currency.encode() for a in deployed.values()],
                           [a.spec.decimals for a in deployed.values()]), operator),
        ],
        label="deploy.wiring",
    )  # fmt: skip
    if issuer is not None:
        say(f"granting the issuer role on every asset to {issuer}")
        _hand_over(deployment, operator, ISSUER_ROLE, to_checksum_address(issuer),
                   [deployment.token(a) for a in deployed.values()])  # fmt: skip
    if oracle is not None:
        say(f"granting the oracle role to {oracle}")
        _hand_over(deployment, operator, ORACLE_ROLE, to_checksum_address(oracle), [market_data])
    say(f"deployed {len(deployed) + 3} contracts from block {first.block_number}")
    return deployment


def _hand_over(
    deployment: Deployment,
    operator: LocalAccount,
    role: str,
    to: str,
    contracts: Iterable[Contract],
) -> None:
    """Give `role` on every contract to `to`, and take it from the operator."""
    role_id = deployment.chain.w3.keccak(text=role)
    calls = []
    for contract in contracts:
        calls.append((contract.functions.grantRole(role_id, to), operator))
        calls.append((contract.functions.revokeRole(role_id, operator.address), operator))
    deployment.chain.transact_many(calls, label=f"deploy.handOver.{role}")


def attach(manifest: str | os.PathLike[str] | dict[str, Any], chain: Chain) -> Deployment:
    """Reconnect to a deployment described by `manifest` (a path or the parsed JSON).

    Refuses with `DeploymentMismatch` when the chain id differs or a contract is missing.
    """
    data = manifest if isinstance(manifest, dict) else json.loads(Path(manifest).read_text())
    if data.get("manifestVersion") != MANIFEST_VERSION:
        raise DeploymentMismatch(f"manifest version {data.get('manifestVersion')} is not supported")
    if data["chainId"] != chain.chain_id:
        raise DeploymentMismatch(
            f"manifest is for chain {data['chainId']}, but {chain.url} is chain {chain.chain_id}"
        )
    system = {name: c["address"] for name, c in data["contracts"].items()}
    missing = {"ParticipantRegistry", "MarketData", "CollateralVault"} - system.keys()
    if missing:
        raise DeploymentMismatch(f"manifest lacks {', '.join(sorted(missing))}")
    addresses = dict(system) | {f"asset {s}": a["address"] for s, a in data["assets"].items()}
    for what, address in addresses.items():
        if len(chain.w3.eth.get_code(address)) == 0:
            raise DeploymentMismatch(f"{what}: no contract at {address} on chain {chain.chain_id}")
    assets = {}
    for symbol, a in data["assets"].items():
        spec = AssetSpec(
            symbol=symbol,
            name=a["name"],
            decimals=a["decimals"],
            asset_class=AssetClass[a["assetClass"]],
            currency=a["currency"],
            isin=a["isin"],
            maturity=dt.date.fromisoformat(a["maturity"]) if a["maturity"] else None,
            face_unit=a["faceUnit"],
        )
        assets[symbol] = Asset(address=to_checksum_address(a["address"]), spec=spec)
        on_chain = chain.contract("PermissionedToken", a["address"]).functions.symbol().call()
        if on_chain != symbol:
            raise DeploymentMismatch(
                f"asset {symbol}: the contract at {a['address']} is {on_chain}"
            )
    return Deployment(
        chain=chain,
        registry=chain.contract("ParticipantRegistry", system["ParticipantRegistry"]),
        market_data=chain.contract("MarketData", system["MarketData"]),
        vault=chain.contract("CollateralVault", system["CollateralVault"]),
        assets=assets,
        deploy_block=data["deployBlock"],
        operator=data["operator"],
    )
