"""One embedded Anvil per test session, one deployment on it, and a snapshot around every test.

`world` deploys the suite and admits a cast of participants once; `market` adds market data and
vault accounts; each test that touches the chain runs inside `evm_snapshot`/`evm_revert`, so tests
stay independent and the session fast. Shared types and helpers live in `support.py`.
"""

from __future__ import annotations

import os
from collections.abc import Iterator

import pytest
from hypothesis import settings
from nodes import EdrNode, node_kind
from support import FX, JDR_SYMBOL, PRICES, RISK, JdrSeries, Market, World

from pyclient import (
    AccountKind,
    AccountType,
    Admission,
    Ccp,
    Chain,
    ClearingMember,
    Client,
    Kind,
    Oracle,
    TokenIssuer,
    deploy,
)
from pyclient.chain import devnet
from pyclient.clock import from_unix
from pyclient.roles import Settlor, TrustBank, Warehouse

# `make test` explores the same examples on every run, so a red suite is a change, not luck;
# HYPOTHESIS_PROFILE=explore searches afresh (and wider) to find what the fixed examples miss.
settings.register_profile("repeatable", derandomize=True, database=None)
settings.register_profile("explore", max_examples=1_000)
settings.load_profile(os.environ.get("HYPOTHESIS_PROFILE", "repeatable"))
NODE = node_kind()


@pytest.fixture(scope="session")
def chain() -> Iterator[Chain]:
    """The session's chain: an embedded Anvil, or Hardhat's EDR node with KABUTO_TEST_NODE=edr
    (tests/nodes.py)."""
    if NODE == "edr":
        with EdrNode() as node:
            yield Chain.connect(node.url)
        return
    c = Chain.connect()
    yield c
    c.close()


def pytest_configure(config: pytest.Config) -> None:
    config.addinivalue_line(
        "markers",
        "anvil_only(reason): needs Anvil itself (skipped on the EDR node, with the reason)",
    )


def pytest_report_header(config: pytest.Config) -> str:
    return f"node: {NODE} (KABUTO_TEST_NODE)"


def pytest_collection_modifyitems(config: pytest.Config, items: list[pytest.Item]) -> None:
    """On EDR, every test marked `anvil_only` is skipped with the reason its marker gives."""
    for item in items:
        marker = item.get_closest_marker("anvil_only")
        if marker is None:
            continue
        if not marker.args or not str(marker.args[0]).strip():
            raise pytest.UsageError(f"{item.nodeid}: anvil_only needs a reason")
        if NODE != "anvil":
            item.add_marker(pytest.mark.skip(reason=f"Anvil only: {marker.args[0]}"))


@pytest.fixture(scope="session")
def world(chain: Chain) -> World:
    keys = chain.dev_accounts(12)
    d = deploy(chain, keys[0], issuer=keys[1].address)
    ccp = Ccp(d, keys[0])
    ccp.register.admit_many(
        [
            Admission(keys[1].address, Kind.TOKEN_ISSUER, "issuer"),
            Admission(keys[2].address, Kind.CLEARING_MEMBER, "member-a"),
            Admission(keys[3].address, Kind.CLEARING_MEMBER, "member-b"),
            Admission(
                keys[4].address, Kind.CLIENT, "client-seg", "member-b", AccountType.SEGREGATED
            ),
            Admission(keys[5].address, Kind.CLIENT, "client-omni", "member-a", AccountType.OMNIBUS),
            Admission(keys[7].address, Kind.CCP, "ccp-default-mgmt"),
        ]
    )
    issuer = TokenIssuer(d, keys[1])
    issuer.issue_many(
        [(asset, holder, amount, "opening")
         for holder in ("member-a", "member-b")
         for asset, amount in (("JPY", 1_000_000), ("USD", "10000.00"))]
        + [("JGB374", "member-a", 100, "opening")]
    )  # fmt: skip
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


@pytest.fixture(scope="session")
def market(world: World) -> Market:
    oracle = Oracle(world.deployment, world.ccp.signer)  # deploy() leaves ORACLE_ROLE with the CCP
    oracle.publish_fx_rates(FX)
    oracle.publish_prices(PRICES)
    oracle.set_risk_parameters(RISK)
    world.issuer.issue_many(
        [
            ("TYO7203", "member-a", 10_000, "opening"),
            ("JPY", "client-seg", 50_000_000, "opening"),
            ("JPY", "client-omni", 20_000_000, "opening"),
        ]
    )
    opened = world.ccp.margin.open_accounts(
        [
            ("member-a", AccountKind.HOUSE),
            ("member-b", AccountKind.HOUSE),
            ("member-a", AccountKind.OMNIBUS),
            ("client-seg", AccountKind.SEGREGATED),
            ("member-a", AccountKind.CLEARING_FUND),
        ]
    ).value
    return Market(world, oracle, *opened)


@pytest.fixture
def jdr(market: Market) -> JdrSeries:
    """A listed SPY JDR at 10 JDR per SPY unit: the trust bank, the settlor (the ETF manager),
    SPY, JPY and USD where each needs them, priced, no JDR created yet. Set up inside each test's
    snapshot, so that the tests without it never see a JDR, a trust bank or an ETF manager."""
    w = market.world
    bank_key, settlor_key = w.keys[8], w.keys[9]
    w.ccp.register.admit_many(
        [
            Admission(bank_key.address, Kind.TRUST_BANK, "trust-bank"),
            Admission(settlor_key.address, Kind.ETF_MANAGER, "etf-manager"),
        ]
    )
    w.issuer.issue_many(
        [
            ("SPY", "etf-manager", 10_000, "opening"),
            ("JPY", "etf-manager", 100_000_000, "opening"),
            ("JPY", "trust-bank", 100_000_000, "opening"),
            ("USD", "trust-bank", "100000.00", "opening"),
            ("SPY", "trust-bank", 1_000, "opening"),
        ]
    )
    bank, settlor = TrustBank(w.deployment, bank_key), Settlor(w.deployment, settlor_key)
    today = from_unix(w.deployment.chain_time()).date()
    bank.create_series(
        symbol=JDR_SYMBOL, name="SPDR S&P 500 ETF JDR", underlying="SPY",
        settlor="etf-manager", ratio=10, trust_fee_bps=20, listing_date=today,
        buyback_minimum=10, creation_cap=1_000_000,
    )  # fmt: skip
    w.ccp.jdr.list_series(JDR_SYMBOL)
    market.oracle.list_asset(JDR_SYMBOL)
    market.oracle.publish_prices({JDR_SYMBOL: 9_000})
    return JdrSeries(market, bank, settlor, w.deployment.jdr(JDR_SYMBOL))


@pytest.fixture
def warehouse(market: Market) -> Warehouse:
    """A registered warehouse ("warehouse", key 10) that issues delivery orders and receipts; set
    up inside each test's snapshot. GOLD (pooled gold receipts) is priced per gram in `market`."""
    w = market.world
    w.ccp.register.admit_many([Admission(w.keys[10].address, Kind.WAREHOUSE, "warehouse")])
    return Warehouse(w.deployment, w.keys[10])


@pytest.fixture(autouse=True)
def _isolate(request: pytest.FixtureRequest) -> Iterator[None]:
    """Snapshot before and revert after every test that uses the chain."""
    if not {"world", "chain", "market", "jdr", "warehouse"} & set(request.fixturenames):
        yield
        return
    if {"market", "jdr", "warehouse"} & set(request.fixturenames):
        request.getfixturevalue("market")  # its set-up belongs before the snapshot
    w: World = request.getfixturevalue("world")
    snapshot = devnet.snapshot(w.chain)
    yield
    devnet.revert(w.chain, snapshot)
    w.deployment.forget_participants()
    w.deployment.forget_jdrs()
