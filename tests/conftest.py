"""One embedded Anvil per test session, one deployment on it, and a snapshot around every test.

`world` deploys the suite and admits a cast of participants once; each test that touches the
chain runs inside `evm_snapshot`/`evm_revert`, so tests stay independent and the session fast.
"""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass

import pytest
from eth_account.signers.local import LocalAccount

from pyclient import AccountType, Ccp, Chain, ClearingMember, Client, Deployment, Kind, TokenIssuer
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


@pytest.fixture(autouse=True)
def _isolate(request: pytest.FixtureRequest) -> Iterator[None]:
    """Snapshot before and revert after every test that uses the chain."""
    if not {"world", "chain"} & set(request.fixturenames):
        yield
        return
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
