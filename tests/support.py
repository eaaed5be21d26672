"""What the tests share besides fixtures: the cast, the market, the refusal check, and loading
the repository's scripts.

`conftest.py` builds these once per session (`world`, `market`); test modules import the types and
helpers from here.
"""

from __future__ import annotations

import importlib.util
import sys
from dataclasses import dataclass
from pathlib import Path
from types import ModuleType
from typing import Any

import pytest
from eth_account.signers.local import LocalAccount

from pyclient import (
    Ccp,
    Chain,
    ClearingMember,
    Client,
    Deployment,
    Oracle,
    RiskParameters,
    TokenIssuer,
)
from pyclient.chain import devnet
from pyclient.contracts.base import ContractClient
from pyclient.contracts.jdr import JdrTrustClient
from pyclient.roles import Settlor, TrustBank
from pyclient.views import balance_sheet

PRICES = {
    "JPY": 1, "USD": 1, "JGB374": 49_250, "TYO7203": 3_000, "SPY": 600, "GOLD": 20_000,
    "TYO6758": 3_500, "ETF1306": 2_900, "ETF2558": 30_000,
}  # fmt: skip
FX = {"USD": "150"}
VAULT_ASSETS = ("JPY", "USD", "JGB374", "TYO7203")  # what the market's accounts may hold
RISK = {
    "JPY": RiskParameters(0),
    "USD": RiskParameters(200),
    "JGB374": RiskParameters(100),
    "TYO7203": RiskParameters(3_000, concentration_bps=4_000),
    "SPY": RiskParameters(1_000, eligible_for=frozenset()),
    "GOLD": RiskParameters(1_500),  # pooled gold receipts, per gram
    "TYO6758": RiskParameters(3_000),
    "ETF1306": RiskParameters(1_500),
    "ETF2558": RiskParameters(1_500),
}


@dataclass
class World:
    chain: Chain
    deployment: Deployment
    keys: list[LocalAccount]
    ccp: Ccp
    issuer: TokenIssuer
    member_a: ClearingMember
    member_b: ClearingMember
    client_seg: Client
    client_omni: Client
    outsider: LocalAccount  # never admitted
    default_account: ClearingMember  # the CCP's default-management account

    def balances(self, asset: str) -> dict[str, int]:
        """Every key's raw balance of `asset`: the before/after picture of a refused call."""
        return self.deployment.token(asset).balances([k.address for k in self.keys])


@dataclass
class Market:
    """The world with market data published and vault accounts open (fixture `market`)."""

    world: World
    oracle: Oracle
    house_a: int
    house_b: int
    omnibus_a: int
    segregated: int
    fund_a: int

    @property
    def vault(self) -> Any:
        """The vault's raw web3 functions, for calls that bypass pyclient's own checks."""
        return self.world.deployment.vault.contract.functions

    def holdings(self) -> dict[tuple[int, str], int]:
        """Every account's raw holding of every asset: the before/after picture in the vault."""
        d = self.world.deployment
        accounts = (self.house_a, self.house_b, self.omnibus_a, self.segregated, self.fund_a)
        return {
            (acct, symbol): units
            for acct in accounts
            for symbol, units in d.vault.raw_holdings(acct).items()
            if units
        }

    def refused(self, call: Any, error: type[Exception]) -> Any:
        """`refused` over the vault's assets, and no vault account's holding moved either."""
        before = self.holdings()
        err = refused(self.world, VAULT_ASSETS, call, error)
        assert self.holdings() == before
        return err

    def warp_and_reprice(self, seconds: int) -> None:
        """Move the clock and republish prices and rates, as the oracle does every day."""
        devnet.increase_time(self.world.chain, seconds)
        self.oracle.publish_fx_rates(FX)
        self.oracle.publish_prices(PRICES)


JDR_SYMBOL = "SPY-JDR"


@dataclass
class JdrSeries:
    """The `jdr` fixture: a listed SPY JDR (10 per SPY unit, 20 bps fee, buyback minimum 10,
    holders cancel once the trust bank confirms them), its trust bank and settlor."""

    market: Market
    bank: TrustBank
    settlor: Settlor
    trust: JdrTrustClient
    symbol: str = JDR_SYMBOL

    @property
    def world(self) -> World:
        return self.market.world


def refused(world: World, assets: tuple[str, ...], call: Any, error: type[Exception]) -> Any:
    """Run `call`, expect `error`, and check that nothing changed: balances, supply, no block."""
    d = world.deployment
    holders = {k.address: k.address for k in world.keys}
    before = balance_sheet(d, holders, participants=False)
    block = world.chain.w3.eth.block_number
    with pytest.raises(error) as info:
        call()
    after = balance_sheet(d, holders, participants=False)
    assert {k: v for k, v in after.units.items() if k[1] in assets} == {
        k: v for k, v in before.units.items() if k[1] in assets
    }
    assert {a: after.supply[a] for a in assets} == {a: before.supply[a] for a in assets}
    assert world.chain.w3.eth.block_number == block, "a refused call must not be sent"
    return info.value


def load_script(path: Path, name: str) -> ModuleType:
    """A script of the repository (a demo, the compiler, a bench helper: none is in the installed
    package), loaded as module `name`."""
    spec = importlib.util.spec_from_file_location(name, path)
    assert spec is not None and spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    sys.modules[name] = module  # dataclasses look their module up by name while a class is built
    spec.loader.exec_module(module)
    return module


def abi_value(param: dict[str, Any], *, address: str, number: int) -> Any:
    """A well-formed value of ABI parameter `param`, built from the ABI alone: `address` for every
    address, `number` for every integer, empty or zero for the rest (fixed arrays filled, dynamic
    ones empty). Enough to get a call past decoding to a contract's guards."""
    kind = param["type"]
    if kind.endswith("]"):
        size = kind[kind.rindex("[") + 1 : -1]
        element = {**param, "type": kind[: kind.rindex("[")]}
        value = abi_value(element, address=address, number=number)
        return [value] * int(size) if size else []
    if kind == "tuple":
        return tuple(abi_value(c, address=address, number=number) for c in param["components"])
    if kind == "address":
        return address
    if kind.startswith(("uint", "int")):
        return number
    if kind == "bool":
        return False
    if kind == "bytes":
        return b""
    if kind.startswith("bytes"):
        return bytes(int(kind[5:]))
    if kind == "string":
        return ""
    raise NotImplementedError(f"no value for ABI type {kind}")


def clients_by_artifact(d: Deployment) -> dict[str, ContractClient]:
    """Every deployed contract's client by artifact name (one token stands for its artifact)."""
    return {client.artifact: client for client in reversed(d.contracts())}
