"""One embedded Anvil per test session, one deployment on it, and a snapshot around every test.

`world` deploys the suite and admits a cast of participants once; each test that touches the
chain runs inside `evm_snapshot`/`evm_revert`, so tests stay independent and the session fast.
"""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass

import pytest
from eth_account.signers.local import LocalAccount

from pyclient import (
    AccountKind,
    AccountType,
    Ccp,
    Chain,
    ClearingMember,
    Client,
    Deployment,
    Kind,
    Oracle,
    RiskParameters,
    TokenIssuer,
)
from pyclient.chain import devnet


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
        token = self.deployment.token(asset)
        return {k.address: token.functions.balanceOf(k.address).call() for k in self.keys}


@pytest.fixture(scope="session")
def chain() -> Iterator[Chain]:
    c = Chain.connect()
    yield c
    c.close()


@pytest.fixture(scope="session")
def world(chain: Chain) -> World:
    from pyclient import deploy

    keys = chain.dev_accounts(12)
    d = deploy(chain, keys[0], issuer=keys[1].address)
    ccp = Ccp(d, keys[0])
    ccp.admit(keys[1].address, Kind.TOKEN_ISSUER, "issuer")
    ccp.admit_member(keys[2].address, "member-a")
    ccp.admit_member(keys[3].address, "member-b")
    ccp.admit_client(keys[4].address, "client-seg", "member-b", AccountType.SEGREGATED)
    ccp.admit_client(keys[5].address, "client-omni", "member-a", AccountType.OMNIBUS)
    ccp.admit(keys[7].address, Kind.CCP, "ccp-default-mgmt")
    issuer = TokenIssuer(d, keys[1])
    for holder in ("member-a", "member-b"):
        issuer.issue("JPY", holder, 1_000_000, ref="opening")
        issuer.issue("USD", holder, "10000.00", ref="opening")
    issuer.issue("JGB374", "member-a", 100, ref="opening")
    return World(
        chain=chain,
        deployment=d,
        keys=keys,
        ccp=ccp,
        issuer=issuer,
        member_a=ClearingMember(d, keys[2]),
        member_b=ClearingMember(d, keys[3]),
        client_seg=Client(d, keys[4]),
        client_omni=Client(d, keys[5]),
        outsider=keys[6],
        default_account=ClearingMember(d, keys[7]),
    )


@dataclass
class Market:
    """The world with market data published and vault accounts open (see `market`)."""

    world: World
    oracle: Oracle
    house_a: int
    house_b: int
    omnibus_a: int
    segregated: int
    fund_a: int

    @property
    def vault(self):
        return self.world.deployment.vault.functions

    def holdings(self) -> dict[tuple[int, str], int]:
        """Every account's raw holding of every asset: the before/after picture in the vault."""
        d = self.world.deployment
        accounts = (self.house_a, self.house_b, self.omnibus_a, self.segregated, self.fund_a)
        return {
            (acct, a.symbol): self.vault.holding(acct, a.address).call()
            for acct in accounts
            for a in d.assets.values()
        }


PRICES = {"JPY": 1, "USD": 1, "JGB374": 49_250, "TYO7203": 3_000, "SPY": 600}
FX = {"USD": "150"}
RISK = {
    "JPY": RiskParameters(0),
    "USD": RiskParameters(200),
    "JGB374": RiskParameters(100),
    "TYO7203": RiskParameters(3_000, concentration_bps=4_000),
    "SPY": RiskParameters(1_000, eligible_for=frozenset()),
}


@pytest.fixture(scope="session")
def market(world: World) -> Market:
    oracle = Oracle(world.deployment, world.ccp.signer)  # deploy() leaves ORACLE_ROLE with the CCP
    oracle.publish_fx_rates(FX)
    oracle.publish_prices(PRICES)
    oracle.set_risk_parameters(RISK)
    ccp = world.ccp
    world.issuer.issue("TYO7203", "member-a", 10_000, ref="opening")
    world.issuer.issue("JPY", "client-seg", 50_000_000, ref="opening")
    world.issuer.issue("JPY", "client-omni", 20_000_000, ref="opening")
    return Market(
        world=world,
        oracle=oracle,
        house_a=ccp.open_account("member-a", AccountKind.HOUSE),
        house_b=ccp.open_account("member-b", AccountKind.HOUSE),
        omnibus_a=ccp.open_account("member-a", AccountKind.OMNIBUS),
        segregated=ccp.open_account("client-seg", AccountKind.SEGREGATED),
        fund_a=ccp.open_account("member-a", AccountKind.CLEARING_FUND),
    )


@pytest.fixture(autouse=True)
def _isolate(request: pytest.FixtureRequest) -> Iterator[None]:
    """Snapshot before and revert after every test that uses the chain."""
    if not {"world", "chain", "market"} & set(request.fixturenames):
        yield
        return
    if "market" in request.fixturenames:
        request.getfixturevalue("market")  # its set-up belongs before the snapshot
    w: World = request.getfixturevalue("world")
    snapshot = devnet.snapshot(w.chain)
    yield
    devnet.revert(w.chain, snapshot)
    w.deployment.forget_participants()


def refused(world: World, assets: tuple[str, ...], call, error: type[Exception]) -> Exception:
    """Run `call`, expect `error`, and check that nothing changed: balances, supply, no block."""
    d = world.deployment
    before = {a: world.balances(a) for a in assets}
    supply = {a: d.token(a).functions.totalSupply().call() for a in assets}
    block = world.chain.w3.eth.block_number
    with pytest.raises(error) as info:
        call()
    assert {a: world.balances(a) for a in assets} == before
    assert {a: d.token(a).functions.totalSupply().call() for a in assets} == supply
    assert world.chain.w3.eth.block_number == block, "a refused call must not be sent"
    return info.value
